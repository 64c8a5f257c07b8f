/*
 * cmd_fit.c — `cairn fit`: fit a model over the federation as a
 * researcher.  The model spec is checked against the federation schema
 * here (the coordinator and every node check it again), signed, and
 * submitted; the coordinator runs the rounds and sends the final model,
 * printed like a query's answer (cli_job_wait).  Also the model options
 * 'cairn bench fit' shares (fit.h).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/crn.h"
#include "cli/cmds.h"
#include "cli/fit.h"
#include "cli/opts.h"
#include "model/model.h"
#include "proto/codec_runtime.h"
#include "query/job.h"
#include "query/schema.h"
#include "runtime/client.h"
#include "runtime/rt.h"

#define FIT_STR_(x) #x
#define FIT_STR(x)  FIT_STR_(x)

static const char fit_usage[] =
    "usage: cairn fit --config researcher.conf --dataset NAME\n"
    "         --model linear|logistic|poisson|kmeans [--y EXPR] --x EXPR [--x EXPR ...]\n"
    "         [--where COND] [--no-intercept] [--l2 LAMBDA] [--k K --init \"c1;c2;...\"]\n"
    "         [--max-iter N] [--tol T] [--schema FILE] [--format table|json|csv]\n"
    "         [--strict] [--timeout MS] [--epsilon E [--delta D]]\n"
    "\n"
    "Fit a model on the pooled rows of every node without moving them: each\n"
    "round is one secure sum of sufficient statistics, so the answer equals the\n"
    "single-process fit.  EXPR is an SQL scalar expression over the dataset's\n"
    "columns (arithmetic, ln, exp, sqrt, abs, power, least, greatest, comparisons\n"
    "and AND/OR/NOT as 1/0, CASE WHEN); its bounds must follow from the declared\n"
    "column bounds.  Under DP the noise is sized from those bounds: clip a wide\n"
    "column with least/greatest, e.g. --y \"least(wage, 100)\".\n"
    "Like a query's answer, the model says which expected nodes contributed,\n"
    "dropped (with the round), refused (with the reason's category) or were\n"
    "absent.\n"
    "  --y EXPR         response (logistic: 0/1; poisson: a count)\n"
    "  --x EXPR         a term (repeat; kmeans: a coordinate)\n"
    "  --where COND     keep the rows where COND holds (SQL WHERE syntax)\n"
    "  --no-intercept   no intercept term\n"
    "  --l2 LAMBDA      ridge penalty on every coefficient but the intercept\n"
    "  --k K            kmeans: number of centres\n"
    "  --init C;C;...   kmeans: K initial centres, coordinates comma-separated\n"
    "  --max-iter N     at most N rounds (default " FIT_STR(CRN_MODEL_DEFAULT_ITER) ", at most " FIT_STR(
        CRN_MODEL_MAX_ITER) ")\n"
                            "  --tol T          stop when the deviance changes by less than T relatively\n"
                            "                   (default 1e-10)\n"
                            "  --schema FILE    federation schema (default: the configuration's)\n"
                            "  --strict         exit 3 unless every expected node contributed\n"
                            "  --timeout MS     wait at most MS milliseconds for the model (default:\n"
                            "                   timeout_ms of the configuration)\n"
                            "  --epsilon E      differential privacy for the whole fit, E in (0, 100]: every\n"
                            "                   node charges E to your budget before the first round and\n"
                            "                   adds noise to every round's statistics, the budget split\n"
                            "                   evenly over --max-iter rounds (a linear fit takes one), so\n"
                            "                   a GLM or k-means under DP wants a small --max-iter\n"
                            "                   (default: epsilon of [researcher]; 0: no noise)\n"
                            "  --delta D        the DP delta, D in (0, 0.5) (default: delta of\n"
                            "                   [researcher], 1e-6)\n";

/* "1,2;3,4" into k * d doubles; 0, or 2 after a usage error. */
static int
fit_init(const char *cmd, const char *s, uint32_t k, size_t d, double **out)
{
	size_t n = (size_t)k * d;
	double *v = crn_zalloc((n > 0 ? n : 1) * sizeof(double));
	const char *p = s;
	char *end;

	if (v == NULL)
		return cli_error("%s: out of memory", cmd);
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
	return cli_usage_error(cmd,
	    "--init needs %u centres of %zu comma-separated coordinates, separated by ';'",
	    k, d);
}

/* --x EXPR (cli_opt.each). */
static int
opt_x(void *arg, const char *v)
{
	cli_fit_args *a = arg;

	if (a->spec.nx >= CRN_MODEL_MAX_X)
		return cli_usage_error(
		    a->cmd, "at most %d --x terms", CRN_MODEL_MAX_X);
	a->xs[a->spec.nx++] = (char *)(uintptr_t)v;
	return 0;
}

/* An option's number: s (NULL: keep *out) within [lo, hi]; integral when
 * asked.  -1 to go on, else 2 after a usage error. */
static int
fit_num(const char *cmd, const char *opt, const char *s, double lo, double hi,
    bool integral, double *out)
{
	char *end;
	double v;

	if (s == NULL)
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (end == s || *end != '\0' || errno != 0 || !isfinite(v) || v < lo ||
	    v > hi || (integral && v != floor(v)))
		return cli_usage_error(cmd,
		    "%s needs %s from %g to %g, not '%s'", opt,
		    integral ? "a whole number" : "a number", lo, hi, s);
	*out = v;
	return -1;
}

/* The options' values into a->spec; -1 to go on, else the status. */
static int
fit_check(const char *cmd, cli_fit_args *a, const char *model,
    const char *const num[4], const char *init)
{
	crn_model_spec *sp = &a->spec;
	double l2 = 0, k = 0, iter = 0, tol = 0;
	int st, kind;

	if (sp->dataset == NULL || model == NULL || sp->nx == 0)
		return cli_usage_error(cmd,
		    "--dataset, --model and at least one --x are required");
	if ((kind = crn_model_kind_parse(model)) <= 0)
		return cli_usage_error(cmd,
		    "--model is linear, logistic, poisson or kmeans, not '%s'",
		    model);
	sp->kind = (crn_model_kind)kind;
	if ((st = fit_num(cmd, "--l2", num[0], 0, 1e12, false, &l2)) >= 0 ||
	    (st = fit_num(cmd, "--k", num[1], 1, CRN_MODEL_MAX_K, true, &k)) >=
	        0 ||
	    (st = fit_num(cmd, "--max-iter", num[2], 1, CRN_MODEL_MAX_ITER,
	         true, &iter)) >= 0 ||
	    (st = fit_num(cmd, "--tol", num[3], 0, 1, false, &tol)) >= 0)
		return st;
	sp->l2 = l2;
	sp->k = (uint32_t)k;
	sp->max_iter = (uint32_t)iter;
	sp->tol = tol;
	if (sp->kind != CRN_MODEL_KMEANS)
		return -1;
	if (sp->k == 0 || init == NULL)
		return cli_usage_error(
		    cmd, "kmeans needs --k K and --init with K centres");
	return fit_init(cmd, init, sp->k, sp->nx, &sp->init) != 0 ? 2 : -1;
}

int
cli_fit_parse(const cli_cmd *c, int argc, char **argv, cli_fit_args *a)
{
	const char *model = NULL, *init = NULL, *num[4] = {NULL};
	const char *y = NULL, *where = NULL, *dataset = NULL;
	const cli_opt mine[] = {
	    {.name = "--dataset", .val = &dataset},
	    {.name = "--model", .val = &model},
	    {.name = "--y", .val = &y},
	    {.name = "--x", .each = opt_x, .arg = a},
	    {.name = "--where", .val = &where},
	    {.name = "--no-intercept", .flag = &a->spec.no_intercept},
	    {.name = "--l2", .val = &num[0]},
	    {.name = "--k", .val = &num[1]},
	    {.name = "--init", .val = &init},
	    {.name = "--max-iter", .val = &num[2]},
	    {.name = "--tol", .val = &num[3]},
	};
	cli_opt all[CRN_NELEM(mine) + 16];
	cli_cmd cmd = *c;
	size_t n = 0;
	int st;

	memset(a, 0, sizeof(*a));
	a->spec.x = a->xs;
	a->cmd = c->name;
	for (const cli_opt *o = c->opts; o != NULL && o->name != NULL &&
	     n < CRN_NELEM(all) - CRN_NELEM(mine) - 1;
	     o++)
		all[n++] = *o;
	memcpy(&all[n], mine, sizeof(mine));
	n += CRN_NELEM(mine);
	memset(&all[n], 0, sizeof(all[n]));
	cmd.opts = all;
	if ((st = cli_parse(&cmd, argc, argv)) >= 0)
		return st;
	a->spec.dataset = (char *)(uintptr_t)dataset;
	a->spec.y = (char *)(uintptr_t)y;
	a->spec.where = (char *)(uintptr_t)where;
	return fit_check(c->name, a, model, num, init);
}

void
cli_fit_args_fini(cli_fit_args *a)
{
	if (a->spec.init != NULL)
		crn_free(a->spec.init,
		    ((size_t)a->spec.k * a->spec.nx > 0
		            ? (size_t)a->spec.k * a->spec.nx
		            : 1) *
		        sizeof(double));
	memset(a, 0, sizeof(*a));
}

/* Compile the spec against the schema, sign it, submit it and wait for
 * the model.  Returns the exit status. */
static int
fit_submit(crn_rt_client *c, const char *schema_path, crn_model_spec *spec,
    const double dp[2], const cli_wait *w)
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
		cli_error(
		    "fit: no federation schema (--schema, or schema in the configuration)");
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
	job.not_after = job.issued_at + (uint64_t)w->timeout_ms / 1000 + 60;
	job.ring_bits = 128;
	job.dim = m->dim;
	/* DP as for queries: the flag, else the configuration's. */
	job.dp_epsilon = dp[0] >= 0 ? dp[0] : c->cfg->researcher.epsilon;
	job.dp_delta = dp[1] > 0 ? dp[1] : c->cfg->researcher.delta;
	if (job.dp_epsilon == 0)
		job.dp_delta = 0;
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
		    c->cfg->researcher.coordinator,
		    crn_rt_client_why(c)[0] ? crn_rt_client_why(c)
		                            : cairn_strerror(rv));
		goto out;
	}
	status = cli_job_wait(c, job.job_id, w);
out:
	crn_free(job.model, job.model_len);
	crn_free(sj, sjlen);
	crn_model_free(m);
	crn_schema_free(schema);
	return status;
}

int
cmd_fit(int argc, char **argv)
{
	const char *config = NULL, *schema = NULL, *format = NULL;
	const char *timeout = NULL, *eps = NULL, *delta = NULL;
	double dp[2] = {-1, -1}; /* -1: the configuration's */
	cli_wait w = {.cmd = "fit"};
	const cli_opt opts[] = {
	    {.name = "--config", .val = &config, .required = true},
	    {.name = "--schema", .val = &schema},
	    {.name = "--format", .val = &format},
	    {.name = "--strict", .flag = &w.strict},
	    {.name = "--timeout", .val = &timeout},
	    {.name = "--epsilon", .val = &eps},
	    {.name = "--delta", .val = &delta},
	    {.name = NULL},
	};
	const cli_cmd cmd = {"fit", opts, NULL, 0, 0, NULL, fit_usage};
	cli_fit_args a;
	crn_rt_client c;
	char err[512];
	int status;

	memset(&c, 0, sizeof(c));
	if ((status = cli_fit_parse(&cmd, argc, argv, &a)) >= 0 ||
	    (status = cli_format("fit", format, &w.fmt)) >= 0 ||
	    (status = cli_timeout("fit", timeout, &w.timeout_ms)) >= 0)
		goto out;
	if ((eps != NULL && cli_dp_arg("fit", "--epsilon", eps, &dp[0])) ||
	    (delta != NULL && cli_dp_arg("fit", "--delta", delta, &dp[1]))) {
		status = 2;
		goto out;
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
	if (w.timeout_ms < 0)
		w.timeout_ms = c.cfg->researcher.timeout_ms;
	status =
	    fit_submit(&c, schema != NULL ? schema : c.cfg->researcher.schema,
	        &a.spec, dp, &w);
out:
	cli_fit_args_fini(&a);
	crn_rt_client_close(&c);
	return status;
}
