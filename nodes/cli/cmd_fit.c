/*
 * cmd_fit.c — `cairn fit`: fit a model over the federation as a
 * researcher.  The model spec is checked against the federation schema
 * here (the coordinator and every node check it again), signed, and
 * submitted; the coordinator runs the rounds and sends the final model.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/crn.h"
#include "cli/cmds.h"
#include "model/model.h"
#include "proto/codec_runtime.h"
#include "query/job.h"
#include "query/schema.h"
#include "runtime/client.h"
#include "runtime/rt.h"

enum { FIT_TABLE = 0, FIT_JSON = 1, FIT_CSV = 2 };

static int
fit_usage(void)
{
	printf("usage: cairn fit --config researcher.conf --dataset NAME\n"
	       "         --model linear|logistic|poisson|kmeans [--y EXPR] --x EXPR [--x EXPR ...]\n"
	       "         [--where COND] [--no-intercept] [--l2 LAMBDA] [--k K --init \"c1;c2;...\"]\n"
	       "         [--max-iter N] [--tol T] [--schema FILE] [--format table|json|csv]\n"
	       "\n"
	       "Fit a model on the pooled rows of every node without moving them: each\n"
	       "round is one secure sum of sufficient statistics, so the answer equals the\n"
	       "single-process fit.  EXPR is an SQL scalar expression over the dataset's\n"
	       "columns (arithmetic, ln, exp, sqrt, abs, power, comparisons and AND/OR/NOT\n"
	       "as 1/0, CASE WHEN); its bounds must follow from the declared column bounds.\n"
	       "  --y EXPR         response (logistic: 0/1; poisson: a count)\n"
	       "  --x EXPR         a term (repeat; kmeans: a coordinate)\n"
	       "  --where COND     keep the rows where COND holds (SQL WHERE syntax)\n"
	       "  --no-intercept   no intercept term\n"
	       "  --l2 LAMBDA      ridge penalty on every coefficient but the intercept\n"
	       "  --k K            kmeans: number of centres\n"
	       "  --init C;C;...   kmeans: K initial centres, coordinates comma-separated\n"
	       "  --max-iter N     at most N rounds (default %d, at most %d)\n"
	       "  --tol T          stop when the deviance changes by less than T relatively\n"
	       "                   (default 1e-10)\n"
	       "  --schema FILE    federation schema (default: the configuration's)\n",
	    CRN_MODEL_DEFAULT_ITER, CRN_MODEL_MAX_ITER);
	return 0;
}

/* "1,2;3,4" into k * d doubles. */
static int
fit_init(const char *s, uint32_t k, size_t d, double **out)
{
	size_t n = (size_t)k * d;
	double *v = crn_zalloc((n > 0 ? n : 1) * sizeof(double));
	const char *p = s;
	char *end;

	if (v == NULL)
		return cli_error("fit: out of memory");
	for (size_t c = 0; c < k; c++) {
		for (size_t j = 0; j < d; j++) {
			v[c * d + j] = strtod(p, &end);
			if (end == p || !isfinite(v[c * d + j]))
				goto bad;
			p = end;
			if (j + 1 < d && *p++ != ',')
				goto bad;
		}
		if (c + 1 < k && *p++ != ';')
			goto bad;
	}
	if (*p != '\0')
		goto bad;
	*out = v;
	return 0;
bad:
	crn_free(v, (n > 0 ? n : 1) * sizeof(double));
	return cli_error("fit: --init needs %u centres of %zu comma-separated coordinates, separated by ';'", k, d);
}

static void
fit_json_names(char **v, size_t n)
{
	printf("[");
	for (size_t i = 0; i < n; i++) {
		printf("%s\"", i ? ", " : "");
		for (const char *p = v[i]; *p; p++)
			printf(*p == '"' || *p == '\\' ? "\\%c" : "%c", *p);
		printf("\"");
	}
	printf("]");
}

static int
fit_print(const crn_rt_result *r, int fmt)
{
	const char *out = fmt == FIT_JSON ? r->table_json
	                  : fmt == FIT_CSV ? r->table_csv
	                                   : r->table_text;

	if (out == NULL)
		return cli_error("fit: the coordinator sent no model");
	if (fmt == FIT_JSON) {
		printf("{%s, \"nodes\": {\"contributed\": ", out);
		fit_json_names(r->contributed, r->ncontributed);
		printf(", \"dropped\": ");
		fit_json_names(r->dropped, r->ndropped);
		printf("}}\n");
		return 0;
	}
	fputs(out, stdout);
	if (fmt == FIT_TABLE) {
		printf("contributed (%zu):", r->ncontributed);
		for (size_t i = 0; i < r->ncontributed; i++)
			printf("%s %s", i ? "," : "", r->contributed[i]);
		printf("\ndropped (%zu):", r->ndropped);
		for (size_t i = 0; i < r->ndropped; i++)
			printf("%s %s", i ? "," : "", r->dropped[i]);
		printf("\n");
	}
	return 0;
}

/* Wait for the job's result and print it. */
static int
fit_wait(crn_rt_client *c, const uint8_t *job_id, int fmt)
{
	int64_t deadline = crn_rt_now_ms() + c->cfg->researcher.timeout_ms;
	cairn_err rv;

	for (;;) {
		crn_envelope env;
		int status = -1;

		if ((rv = crn_rt_client_recv(c, &env, deadline)) != CAIRN_OK)
			return cli_error("fit: %s", rv == CAIRN_ETIMEDOUT ? "no result before timeout_ms" : "lost the connection to the coordinator");
		if (env.type == CRN_RT_MSG_JOB_RESULT) {
			crn_rt_result r;

			if (crn_rt_result_decode(&r, env.payload,
			        env.payload_len) != CAIRN_OK) {
				status = cli_error("fit: malformed result");
			} else if (memcmp(r.job_id, job_id, CRN_JOB_ID_LEN) != 0) {
				status = -1;
			} else if (r.code != 0) {
				status = cli_error("fit: %s (%s)", r.error,
				    cairn_strerror((cairn_err)r.code));
			} else {
				status = fit_print(&r, fmt);
			}
			crn_rt_result_fini(&r);
		} else if (env.type == CRN_RT_MSG_ERROR) {
			crn_rt_error e;

			status = 1;
			if (crn_rt_error_decode(&e, env.payload,
			        env.payload_len) == CAIRN_OK) {
				cli_error("fit: coordinator: %s", e.message);
				crn_rt_error_fini(&e);
			}
		}
		crn_envelope_fini(&env);
		if (status >= 0)
			return status;
	}
}

/* Compile the spec against the schema, sign it and submit it. */
static int
fit_submit(crn_rt_client *c, const char *schema_path, crn_model_spec *spec,
    int fmt)
{
	crn_schema *schema = NULL;
	crn_model *m = NULL;
	crn_job job;
	uint8_t *sj = NULL;
	size_t sjlen = 0;
	char err[512] = "";
	int status = 1;
	cairn_err rv;

	memset(&job, 0, sizeof(job));
	if (schema_path == NULL) {
		cli_error("fit: no federation schema (--schema, or schema in the configuration)");
		goto out;
	}
	if (crn_schema_load(schema_path, &schema, err, sizeof(err)) !=
	        CAIRN_OK ||
	    crn_model_compile(schema, spec, &m, err, sizeof(err)) != CAIRN_OK) {
		cli_error("fit: %s", err);
		goto out;
	}
	crn_random_bytes(job.job_id, sizeof(job.job_id));
	job.kind = CRN_JOB_MODEL;
	job.dataset = spec->dataset;
	job.column = (char *)(uintptr_t) "";
	job.sql = (char *)(uintptr_t) "";
	job.issued_at = crn_rt_wall();
	job.not_after = job.issued_at + c->cfg->researcher.timeout_ms / 1000 + 60;
	job.ring_bits = 128;
	job.dim = m->dim;
	if ((rv = crn_model_spec_encode(spec, &job.model, &job.model_len)) !=
	        CAIRN_OK ||
	    (rv = crn_job_sign(&job, c->party.id, c->party.cert_der,
	         c->party.cert_len, &sj, &sjlen)) != CAIRN_OK) {
		cli_error("fit: cannot sign the job: %s", cairn_strerror(rv));
		goto out;
	}
	if ((rv = crn_rt_client_send(
	         c, CRN_RT_MSG_JOB_SUBMIT, sj, sjlen, 5000)) != CAIRN_OK) {
		cli_error("fit: cannot reach the coordinator at %s: %s",
		    c->cfg->researcher.coordinator, cairn_strerror(rv));
		goto out;
	}
	status = fit_wait(c, job.job_id, fmt);
out:
	crn_free(job.model, job.model_len);
	crn_free(sj, sjlen);
	crn_model_free(m);
	crn_schema_free(schema);
	return status;
}

static int
fit_format(const char *s, int *fmt)
{
	if (strcmp(s, "table") == 0)
		*fmt = FIT_TABLE;
	else if (strcmp(s, "json") == 0)
		*fmt = FIT_JSON;
	else if (strcmp(s, "csv") == 0)
		*fmt = FIT_CSV;
	else
		return cli_error("fit: --format is table, json or csv, not '%s'", s);
	return 0;
}

/* One option into spec; 1 = consumed a value, 0 = a flag, -1 = error. */
static int
fit_opt(int argc, char **argv, int i, crn_model_spec *sp, const char **init,
    int *fmt)
{
	const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
	char *end = NULL;

	if (strcmp(o, "--no-intercept") == 0) {
		sp->no_intercept = true;
		return 0;
	}
	if (v == NULL)
		return (void)cli_error("fit: unknown argument or missing value '%s'", o), -1;
	if (strcmp(o, "--dataset") == 0)
		sp->dataset = (char *)(uintptr_t)v;
	else if (strcmp(o, "--model") == 0) {
		int k = crn_model_kind_parse(v);

		if (k < 0)
			return (void)cli_error("fit: --model is linear, logistic, poisson or kmeans, not '%s'", v), -1;
		sp->kind = (crn_model_kind)k;
	} else if (strcmp(o, "--y") == 0)
		sp->y = (char *)(uintptr_t)v;
	else if (strcmp(o, "--x") == 0) {
		if (sp->nx >= CRN_MODEL_MAX_X)
			return (void)cli_error("fit: at most %d --x terms", CRN_MODEL_MAX_X), -1;
		sp->x[sp->nx++] = (char *)(uintptr_t)v;
	} else if (strcmp(o, "--where") == 0)
		sp->where = (char *)(uintptr_t)v;
	else if (strcmp(o, "--l2") == 0)
		sp->l2 = strtod(v, &end);
	else if (strcmp(o, "--tol") == 0)
		sp->tol = strtod(v, &end);
	else if (strcmp(o, "--k") == 0)
		sp->k = (uint32_t)strtoul(v, &end, 10);
	else if (strcmp(o, "--max-iter") == 0)
		sp->max_iter = (uint32_t)strtoul(v, &end, 10);
	else if (strcmp(o, "--init") == 0)
		*init = v;
	else if (strcmp(o, "--format") == 0)
		return fit_format(v, fmt) == 0 ? 1 : -1;
	else
		return (void)cli_error("fit: unknown argument '%s'", o), -1;
	if (end != NULL && (*end != '\0' || end == v))
		return (void)cli_error("fit: %s needs a number, not '%s'", o, v), -1;
	return 1;
}

int
cmd_fit(int argc, char **argv)
{
	const char *config = NULL, *schema = NULL, *init = NULL;
	char *xs[CRN_MODEL_MAX_X];
	crn_model_spec sp;
	crn_rt_client c;
	int fmt = FIT_TABLE, status = 2;
	char err[512];

	memset(&sp, 0, sizeof(sp));
	memset(&c, 0, sizeof(c));
	sp.x = xs;
	for (int i = 1; i < argc; i++) {
		int r;

		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return fit_usage();
		if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
			config = argv[++i];
			continue;
		}
		if (strcmp(argv[i], "--schema") == 0 && i + 1 < argc) {
			schema = argv[++i];
			continue;
		}
		if ((r = fit_opt(argc, argv, i, &sp, &init, &fmt)) < 0)
			return 2;
		i += r;
	}
	if (config == NULL || sp.dataset == NULL || sp.kind == 0 || sp.nx == 0) {
		cli_error("fit: --config, --dataset, --model and at least one --x are required");
		return 2;
	}
	if (sp.kind == CRN_MODEL_KMEANS &&
	    (sp.k == 0 || init == NULL || fit_init(init, sp.k, sp.nx, &sp.init) != 0)) {
		if (init == NULL || sp.k == 0)
			cli_error("fit: kmeans needs --k K and --init with K centres");
		return 2;
	}
	crn_rt_signals();
	crn_rt_log_init("cairn");
	cairn_log_set_level(
	    getenv("CAIRN_LOG") != NULL ? CAIRN_LOG_DEBUG : CAIRN_LOG_ERR);
	status = 1;
	if (crn_rt_client_open(&c, config, err, sizeof(err)) != CAIRN_OK) {
		cli_error("fit: %s", err);
		goto out;
	}
	status = fit_submit(
	    &c, schema != NULL ? schema : c.cfg->researcher.schema, &sp, fmt);
out:
	if (sp.init != NULL)
		crn_free(sp.init, (size_t)sp.k * sp.nx * sizeof(double));
	crn_rt_client_close(&c);
	return status;
}
