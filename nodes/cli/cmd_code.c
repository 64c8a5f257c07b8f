/*
 * cmd_code.c — approved code (core/lua): 'cairn code hash FILE' prints the
 * SHA-256 operators approve, 'cairn code run-local' runs a program in one
 * process over one CSV file, and 'cairn run' submits it to a federation.
 *
 *   cairn code hash FILE.lua
 *   cairn code approvals --config NODE.conf
 *   cairn code run-local --schema FILE --dataset D --data FILE.csv
 *                        --code FILE.lua DECL [OPTIONS]
 *   cairn run --config FILE --dataset D --code FILE.lua DECL [OPTIONS]
 *   DECL    = --output-len N --lo L --hi H [--scale S]
 *   OPTIONS = [--params LIST] [--where COND] [--max-rounds R]
 *
 * Rounds: each round is one signed job (one secure-aggregation session)
 * with that round's parameters; the program's coordinator() runs here, in
 * the researcher's process, in a sandbox of its own, on the released sum
 * and returns the next parameters or the result.  Without coordinator()
 * the result is the decoded sum of round 1.
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/crn.h"
#include "cli/cmds.h"
#include "cli/opts.h"
#include "exec/exec.h"
#include "lua/code.h"
#include "node/node_code.h"
#include "proto/codec_runtime.h"
#include "query/job.h"
#include "query/schema.h"
#include "query/sql_plan.h"
#include "runtime/client.h"
#include "runtime/config.h"
#include "runtime/rt.h"

typedef struct code_opts {
	const char *cmd; /* "run", "code run-local": for messages */
	const char *config, *schema, *dataset, *data, *code, *where;
	const char *params;
	/* --param NAME=NUMBER, in the order given */
	char pname_buf[CRN_JOB_NAMED_MAX][CRN_JOB_PNAME_MAX + 1];
	char *pnames[CRN_JOB_NAMED_MAX];
	double pvalues[CRN_JOB_NAMED_MAX];
	size_t nnamed;
	crn_lua_named named; /* the three above, for the sandbox */
	crn_code_decl decl;
	uint32_t max_rounds;
	/* DP (cairn run): --epsilon, --delta, else the researcher
	 * configuration's; epsilon 0: none. */
	double eps, delta;
	bool have_eps, have_delta;
	char *src; /* the program */
	size_t srclen;
} code_opts;

/* One round's sum, decoded; filled by the round runner. */
typedef struct code_round {
	double *agg; /* decl.len */
	uint64_t clipped;
	uint64_t rows; /* run-local only */
	char **contributed;
	size_t ncontributed;
} code_round;

typedef cairn_err (*code_round_fn)(void *ctx, const code_opts *o,
    uint32_t round, const double *params, size_t nparams, code_round *out);

/* The usage text (with the round cap filled in). */
static const char *
code_usage_text(void)
{
	static char text[4096];

	if (text[0] == '\0')
		snprintf(text, sizeof(text),
	    "usage: cairn code hash FILE.lua\n"
		    "       cairn code approvals --config NODE.conf\n"
		    "       cairn code run-local --schema FILE --dataset D --data FILE.csv\n"
		    "                 --code FILE.lua --output-len N --lo L --hi H [--scale S]\n"
		    "                 [--params LIST] [--param NAME=NUMBER ...] [--where COND]\n"
		    "                 [--max-rounds R]\n"
		    "       cairn run --config FILE --dataset D --code FILE.lua\n"
		    "                 --output-len N --lo L --hi H [--scale S]\n"
		    "                 [--params LIST] [--param NAME=NUMBER ...] [--where COND]\n"
		    "                 [--max-rounds R]\n"
		    "                 [--epsilon E [--delta D]]\n"
		    "A program defines node(data, params), returning N numbers, and may\n"
		    "define coordinator(aggregate, params, round), returning {next = LIST}\n"
		    "or {result = VALUE}.  Nodes run it only when its SHA-256 ('code hash')\n"
		    "is approved in their [policy] approved_code or approved_code_dir.\n"
		    "Each value is clipped to [L, H] and summed in fixed point with S\n"
		    "decimal digits (default 6).  LIST: numbers, '1,2' or '[1,2]' (params[1],\n"
		    "params[2], ... in the program; a later round's come from coordinator()).\n"
		    "--param NAME=NUMBER (repeatable, at most 32) is params.NAME in every round.\n"
		    "COND: an SQL condition on exposed columns, pushed down to the nodes.\n"
		    "Each round is one job; R (default 1, at most %u) caps the rounds.\n"
		    "run-local runs the same program over one CSV file in this process.\n"
		    "--epsilon E (default: the researcher configuration's epsilon) has each\n"
		    "node add distributed DP noise to its output, sensitivity from --lo/--hi\n"
		    "(one row may move each value across [L, H]); --delta D (default 1e-6).\n"
		    "Each round is charged to the nodes' budgets.\n"
		    "approvals lists the programs a node approves: its configuration's and\n"
		    "those approved with 'cairn node approve-code' (same as 'cairn node approvals').\n"
		    "Prints one JSON object: result (or aggregate), rounds, clipped.\n",
		    CRN_CODE_MAX_ROUNDS);
	return text;
}

static int
code_usage(void)
{
	fputs(code_usage_text(), stdout);
	return 0;
}

static int
code_read(const char *path, char **buf, size_t *len)
{
	FILE *f = fopen(path, "rb");
	size_t cap = CRN_JOB_CODE_MAX + 1, n;

	*buf = NULL;
	*len = 0;
	if (f == NULL)
		return cli_error("cannot open %s: %s", path, strerror(errno));
	if ((*buf = crn_alloc(cap)) == NULL) {
		fclose(f);
		return cli_error("out of memory");
	}
	n = fread(*buf, 1, cap, f);
	fclose(f);
	if (n == cap) {
		crn_free(*buf, cap);
		*buf = NULL;
		return cli_error(
		    "%s: larger than %u bytes", path, CRN_JOB_CODE_MAX);
	}
	*len = n;
	return 0;
}

static bool
code_num(const char *s, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(s, &end);
	return end != s && *end == '\0' && errno == 0;
}

/* --param NAME=NUMBER (cli_opt.each): a named parameter, the same in
 * every round (params.NAME in the program). */
static int
opt_param(void *arg, const char *v)
{
	code_opts *o = arg;
	const char *eq = strchr(v, '=');
	char name[CRN_JOB_PNAME_MAX + 1];
	size_t n = eq != NULL ? (size_t)(eq - v) : 0;
	double x;

	if (eq == NULL || n == 0 || n > CRN_JOB_PNAME_MAX)
		return cli_usage_error(o->cmd,
		    "--param takes NAME=NUMBER with a NAME of at most %u letters, digits or _, got '%s'",
		    CRN_JOB_PNAME_MAX, v);
	memcpy(name, v, n);
	name[n] = '\0';
	if (!crn_job_pname_ok(name))
		return cli_usage_error(o->cmd,
		    "--param %s: a NAME is letters, digits and _, not starting with a digit",
		    v);
	if (!code_num(eq + 1, &x) || !isfinite(x))
		return cli_usage_error(
		    o->cmd, "--param %s: want a number after '='", v);
	for (size_t i = 0; i < o->nnamed; i++)
		if (strcmp(o->pnames[i], name) == 0)
			return cli_usage_error(
			    o->cmd, "--param %s given twice", name);
	if (o->nnamed == CRN_JOB_NAMED_MAX)
		return cli_usage_error(
		    o->cmd, "at most %u --param", CRN_JOB_NAMED_MAX);
	memcpy(o->pname_buf[o->nnamed], name, n + 1);
	o->pnames[o->nnamed] = o->pname_buf[o->nnamed];
	o->pvalues[o->nnamed++] = x;
	return 0;
}

/* A number option in [lo, hi] (whole when whole); 0, or 2 after the
 * error. */
static int
code_numarg(const char *cmd, const char *opt, const char *v, double lo,
    double hi, bool whole, double *out)
{
	if (v == NULL)
		return 0;
	if (!code_num(v, out) || *out < lo || *out > hi ||
	    (whole && *out != (double)(uint64_t)*out))
		return cli_usage_error(cmd, "%s wants %s from %g to %g, not '%s'",
		    opt, whole ? "a whole number" : "a number", lo, hi, v);
	return 0;
}

/* Parse the options of 'cairn run' (run-local false) or 'cairn code
 * run-local': -1 to go on, else the exit status. */
static int
code_args(int argc, char **argv, bool local, code_opts *o)
{
	const char *len = NULL, *lo = NULL, *hi = NULL, *scale = NULL;
	const char *rounds = NULL, *eps = NULL, *delta = NULL;
	const cli_opt opts[] = {
	    {.name = "--config", .val = &o->config, .required = !local},
	    {.name = "--schema", .val = &o->schema, .required = local},
	    {.name = "--data", .val = &o->data, .required = local},
	    {.name = "--dataset", .val = &o->dataset, .required = true},
	    {.name = "--code", .val = &o->code, .required = true},
	    {.name = "--output-len", .val = &len, .required = true},
	    {.name = "--lo", .val = &lo, .required = true},
	    {.name = "--hi", .val = &hi, .required = true},
	    {.name = "--scale", .val = &scale},
	    {.name = "--params", .val = &o->params},
	    {.name = "--param", .each = opt_param, .arg = o},
	    {.name = "--where", .val = &o->where},
	    {.name = "--max-rounds", .val = &rounds},
	    {.name = "--epsilon", .val = &eps},
	    {.name = "--delta", .val = &delta},
	    {.name = NULL},
	};
	const cli_cmd cmd = {o->cmd, opts, NULL, 0, 0, NULL, code_usage_text()};
	double x = 0;
	int st;

	o->decl.scale = 6;
	o->max_rounds = 1;
	if ((st = cli_parse(&cmd, argc, argv)) >= 0)
		return st;
	if (local && (eps != NULL || delta != NULL))
		return cli_usage_error(o->cmd,
		    "--epsilon and --delta are for 'cairn run' (run-local computes in the clear)");
	if (code_numarg(o->cmd, "--output-len", len, 1, CRN_LUA_MAX_OUTPUT,
	        true, &x) != 0)
		return 2;
	o->decl.len = (uint64_t)x;
	if (code_numarg(o->cmd, "--lo", lo, -DBL_MAX, DBL_MAX, false,
	        &o->decl.lo) != 0 ||
	    code_numarg(o->cmd, "--hi", hi, -DBL_MAX, DBL_MAX, false,
	        &o->decl.hi) != 0)
		return 2;
	x = o->decl.scale;
	if (code_numarg(o->cmd, "--scale", scale, 0, CRN_CODE_MAX_SCALE, true,
	        &x) != 0)
		return 2;
	o->decl.scale = (uint32_t)x;
	x = o->max_rounds;
	if (code_numarg(o->cmd, "--max-rounds", rounds, 1,
	        CRN_CODE_MAX_ROUNDS, true, &x) != 0)
		return 2;
	o->max_rounds = (uint32_t)x;
	if ((eps != NULL && cli_dp_arg(o->cmd, "--epsilon", eps, &o->eps)) ||
	    (delta != NULL && cli_dp_arg(o->cmd, "--delta", delta, &o->delta)))
		return 2;
	o->named.names = o->pnames;
	o->named.values = o->pvalues;
	o->named.n = o->nnamed;
	o->have_eps = eps != NULL;
	o->have_delta = delta != NULL;
	if (code_read(o->code, &o->src, &o->srclen) != 0)
		return 1;
	return -1;
}

static void
code_json_names(char **v, size_t n)
{
	putchar('[');
	for (size_t i = 0; i < n; i++)
		printf("%s\"%s\"", i > 0 ? ", " : "", v[i]);
	putchar(']');
}

static void
code_round_fini(code_round *r, const code_opts *o)
{
	crn_free(r->agg, ((size_t)o->decl.len + 1) * sizeof(double));
	for (size_t i = 0; i < r->ncontributed; i++)
		crn_strfree(r->contributed[i]);
	crn_free(r->contributed, r->ncontributed * sizeof(char *));
	memset(r, 0, sizeof(*r));
}

/* Print the outcome as one JSON object. */
static void
code_print(const code_opts *o, const char *result, const code_round *r,
    uint32_t rounds, uint64_t clipped)
{
	char hex[CRN_CODE_HEX_LEN];

	crn_code_hash_hex(o->src, o->srclen, hex);
	printf("{\"code\": \"%s\", ", hex);
	if (result != NULL) {
		printf("\"result\": %s", result);
	} else {
		printf("\"aggregate\": [");
		for (uint64_t i = 0; i < o->decl.len; i++) {
			char b[40];

			/* The shortest of 15 or 17 digits that reads back. */
			snprintf(b, sizeof(b), "%.15g", r->agg[i]);
			if (strtod(b, NULL) != r->agg[i])
				snprintf(b, sizeof(b), "%.17g", r->agg[i]);
			printf("%s%s", i > 0 ? ", " : "", b);
		}
		putchar(']');
	}
	printf(", \"rounds\": %u, \"clipped\": %llu", rounds,
	    (unsigned long long)clipped);
	if (o->eps > 0)
		printf(", \"epsilon\": %.15g, \"delta\": %.15g", o->eps,
		    o->delta);
	if (r->contributed != NULL) {
		printf(", \"contributed\": ");
		code_json_names(r->contributed, r->ncontributed);
	}
	printf("}\n");
}

/* The coordinator part, in a fresh sandbox per round. */
static cairn_err
code_coord(const code_opts *o, const code_round *r, const double *params,
    size_t nparams, uint32_t round, double **next, size_t *nnext, char **result,
    bool *has)
{
	crn_lua *L = NULL;
	crn_lua_verdict v;
	char log[512];
	cairn_err rv;

	*has = false;
	rv = crn_lua_new(&L, o->src, o->srclen, NULL, 0, &v, log, sizeof(log));
	if (rv == CAIRN_OK)
		crn_lua_set_named(L, &o->named);
	if (rv == CAIRN_OK && (*has = crn_lua_has_coordinator(L)))
		rv = crn_lua_coordinator(L, r->agg, (size_t)o->decl.len, params,
		    nparams, round, next, nnext, result, &v, log, sizeof(log));
	if (rv != CAIRN_OK)
		cli_error(
		    "code: coordinator(): %s: %s", crn_lua_reason(v), log);
	crn_lua_free(L);
	return rv;
}

/* The rounds: run, then coordinator(), until a result or max_rounds. */
static int
code_drive(const code_opts *o, code_round_fn fn, void *ctx)
{
	double *params = NULL, *next = NULL;
	size_t nparams = 0, nnext = 0;
	char *result = NULL;
	code_round r;
	uint64_t clipped = 0;
	int status = 1;
	cairn_err rv;

	memset(&r, 0, sizeof(r));
	if (crn_code_params_parse(o->params != NULL ? o->params : "", &params,
	        &nparams) != CAIRN_OK)
		return cli_error("code: --params is a list of numbers");
	for (uint32_t round = 1; round <= o->max_rounds; round++) {
		bool has;

		code_round_fini(&r, o);
		if ((rv = fn(ctx, o, round, params, nparams, &r)) != CAIRN_OK)
			goto out;
		clipped += r.clipped;
		if (code_coord(o, &r, params, nparams, round, &next, &nnext,
		        &result, &has) != CAIRN_OK)
			goto out;
		if (!has || result != NULL) {
			code_print(o, result, &r, round, clipped);
			status = 0;
			goto out;
		}
		crn_free(params, (nparams + 1) * sizeof(double));
		params = next;
		nparams = nnext;
		next = NULL;
	}
	cli_error(
	    "code: no result after %u rounds (--max-rounds)", o->max_rounds);
out:
	code_round_fini(&r, o);
	crn_free(params, (nparams + 1) * sizeof(double));
	crn_free(next, (nnext > 0 ? nnext : 1) * sizeof(double));
	crn_strfree(result);
	return status;
}

/* ---- run-local ---------------------------------------------------------- */

typedef struct local_ctx {
	crn_code_data data;
} local_ctx;

static cairn_err
local_round(void *ctx, const code_opts *o, uint32_t round, const double *params,
    size_t nparams, code_round *out)
{
	local_ctx *lc = ctx;
	uint8_t id[CRN_JOB_ID_LEN] = {0};
	size_t n = (size_t)o->decl.len + 1;
	uint64_t *vec = crn_zalloc(n * sizeof(uint64_t));
	crn_code_stats st;
	crn_lua_verdict v;
	char log[512];
	cairn_err rv;

	if (vec == NULL ||
	    (out->agg = crn_zalloc(n * sizeof(double))) == NULL) {
		crn_free(vec, n * sizeof(uint64_t));
		return CAIRN_ENOMEM;
	}
	rv = crn_code_node_run(o->src, o->srclen, NULL,
	    crn_code_seed(id, sizeof(id), round), &lc->data, params, nparams,
	    &o->named, &o->decl, vec, NULL, &st, &v, log, sizeof(log));
	if (rv != CAIRN_OK)
		cli_error("code: node(): %s: %s", crn_lua_reason(v), log);
	else
		crn_code_decode(&o->decl, vec, out->agg, &out->clipped);
	out->rows = st.rows;
	crn_freezero(vec, n * sizeof(uint64_t));
	return rv;
}

static int
code_run_local(int argc, char **argv)
{
	code_opts o;
	local_ctx lc;
	crn_schema *schema = NULL;
	const crn_dataset *ds;
	crn_plan *plan = NULL;
	crn_source src;
	char err[512], *sql = NULL;
	size_t sqllen = 0;
	int status;

	memset(&o, 0, sizeof(o));
	memset(&lc, 0, sizeof(lc));
	o.cmd = "code run-local";
	if ((status = code_args(argc - 1, argv + 1, true, &o)) >= 0)
		goto out;
	status = 1;
	if (crn_code_decl_check(&o.decl, 1, err, sizeof(err)) != CAIRN_OK ||
	    crn_schema_load(o.schema, &schema, err, sizeof(err)) != CAIRN_OK) {
		cli_error("code run-local: %s", err);
		goto out;
	}
	if ((ds = crn_schema_dataset(schema, o.dataset)) == NULL) {
		cli_error("code run-local: no dataset '%s' in %s", o.dataset,
		    o.schema);
		goto out;
	}
	if (crn_code_where_sql(o.dataset, o.where, &sql, &sqllen) != CAIRN_OK ||
	    crn_sql_plan(schema, sql, &plan, err, sizeof(err)) != CAIRN_OK) {
		cli_error("code run-local: --where: %s", err);
		goto out;
	}
	memset(&src, 0, sizeof(src));
	src.kind = CRN_SRC_CSV;
	src.path = o.data;
	if (crn_code_scan(plan, ds, &src, NULL, 0, &lc.data, err,
	        sizeof(err)) != CAIRN_OK) {
		cli_error("code run-local: %s", err);
		goto out;
	}
	status = code_drive(&o, local_round, &lc);
out:
	crn_code_data_fini(&lc.data);
	crn_plan_free(plan);
	crn_free(sql, sqllen);
	crn_schema_free(schema);
	crn_free(o.src, CRN_JOB_CODE_MAX + 1);
	return status;
}

/* ---- run (the federation) ------------------------------------------------ */

typedef struct fed_ctx {
	crn_rt_client c;
} fed_ctx;

/* Wait for the job's result (progress messages are skipped). */
static cairn_err
fed_wait(fed_ctx *fc, const uint8_t *job_id, crn_rt_result *r)
{
	int64_t deadline = crn_rt_now_ms() + fc->c.cfg->researcher.timeout_ms;
	cairn_err rv;

	for (;;) {
		crn_envelope env;

		if ((rv = crn_rt_client_recv(&fc->c, &env, deadline)) !=
		    CAIRN_OK) {
			cli_error("run: no result: %s", cairn_strerror(rv));
			return rv;
		}
		if (env.type == CRN_RT_MSG_JOB_RESULT) {
			rv = crn_rt_result_decode(
			    r, env.payload, env.payload_len);
			crn_envelope_fini(&env);
			if (rv != CAIRN_OK) {
				cli_error("run: malformed result");
				return rv;
			}
			if (memcmp(r->job_id, job_id, CRN_JOB_ID_LEN) == 0)
				return CAIRN_OK;
			crn_rt_result_fini(r);
			continue;
		}
		if (env.type == CRN_RT_MSG_ERROR) {
			crn_rt_error e;

			if (crn_rt_error_decode(
			        &e, env.payload, env.payload_len) == CAIRN_OK) {
				cli_error("run: coordinator: %s", e.message);
				crn_rt_error_fini(&e);
			}
			crn_envelope_fini(&env);
			return CAIRN_EPROTO;
		}
		crn_envelope_fini(&env);
	}
}

/* The round's result into out. */
static cairn_err
fed_take(const code_opts *o, crn_rt_result *r, code_round *out)
{
	size_t n = (size_t)o->decl.len + 1;

	if (r->code != 0) {
		cli_error("run: %s (%s)", r->error,
		    cairn_strerror((cairn_err)r->code));
		return (cairn_err)r->code;
	}
	if (r->sum_len != n * sizeof(uint64_t)) {
		cli_error(
		    "run: the coordinator sent a sum of %zu bytes, want %zu",
		    r->sum_len, n * sizeof(uint64_t));
		return CAIRN_EPROTO;
	}
	if ((out->agg = crn_zalloc(n * sizeof(double))) == NULL)
		return CAIRN_ENOMEM;
	{
		uint64_t *s = crn_alloc(n * sizeof(uint64_t));

		if (s == NULL)
			return CAIRN_ENOMEM;
		for (size_t i = 0; i < n; i++) {
			uint64_t x = 0;

			for (int b = 7; b >= 0; b--)
				x = x << 8 | r->sum[i * 8 + (size_t)b];
			s[i] = x;
		}
		crn_code_decode(&o->decl, s, out->agg, &out->clipped);
		crn_free(s, n * sizeof(uint64_t));
	}
	out->contributed = r->contributed;
	out->ncontributed = r->ncontributed;
	r->contributed = NULL;
	r->ncontributed = 0;
	return CAIRN_OK;
}

static cairn_err
fed_round(void *ctx, const code_opts *o, uint32_t round, const double *params,
    size_t nparams, code_round *out)
{
	fed_ctx *fc = ctx;
	crn_job job;
	crn_rt_result r;
	uint8_t *sj = NULL;
	size_t sjlen = 0;
	cairn_err rv;

	memset(&job, 0, sizeof(job));
	memset(&r, 0, sizeof(r));
	crn_random_bytes(job.job_id, sizeof(job.job_id));
	job.kind = CRN_JOB_CODE;
	job.issued_at = crn_rt_wall();
	job.not_after =
	    job.issued_at + fc->c.cfg->researcher.timeout_ms / 1000 + 60;
	job.dataset = (char *)(uintptr_t)o->dataset;
	job.column = job.sql = (char *)(uintptr_t) "";
	job.ring_bits = CRN_CODE_RING_BITS;
	job.dim = o->decl.len + 1;
	job.code = (uint8_t *)o->src;
	job.code_len = o->srclen;
	job.params = (double *)(uintptr_t)params;
	job.nparams = nparams;
	job.pnames = (char **)(uintptr_t)o->pnames;
	job.pvalues = (double *)(uintptr_t)o->pvalues;
	job.nnamed = o->nnamed;
	job.out_lo = o->decl.lo;
	job.out_hi = o->decl.hi;
	job.out_scale = o->decl.scale;
	job.out_len = o->decl.len;
	job.where = (char *)(uintptr_t)(o->where != NULL ? o->where : "");
	job.round = round;
	job.dp_epsilon = o->eps;
	job.dp_delta = o->eps > 0 ? o->delta : 0;
	rv = crn_job_sign(&job, fc->c.party.id, fc->c.party.cert_der,
	    fc->c.party.cert_len, &sj, &sjlen);
	if (rv != CAIRN_OK) {
		cli_error("run: cannot sign the job: %s", cairn_strerror(rv));
		return rv;
	}
	rv = crn_rt_client_send(&fc->c, CRN_RT_MSG_JOB_SUBMIT, sj, sjlen, 5000);
	crn_free(sj, sjlen);
	if (rv != CAIRN_OK) {
		cli_error("run: cannot reach the coordinator: %s",
		    cairn_strerror(rv));
		return rv;
	}
	if ((rv = fed_wait(fc, job.job_id, &r)) != CAIRN_OK)
		return rv;
	rv = fed_take(o, &r, out);
	crn_rt_result_fini(&r);
	return rv;
}

int
cmd_run(int argc, char **argv)
{
	code_opts o;
	fed_ctx fc;
	char err[512];
	int status;

	memset(&o, 0, sizeof(o));
	memset(&fc, 0, sizeof(fc));
	o.cmd = "run";
	if ((status = code_args(argc, argv, false, &o)) >= 0)
		goto out;
	status = 1;
	if (crn_code_decl_check(&o.decl, 1, err, sizeof(err)) != CAIRN_OK) {
		cli_error("run: %s", err);
		goto out;
	}
	crn_rt_signals();
	crn_rt_log_init("cairn");
	cairn_log_set_level(
	    getenv("CAIRN_LOG") != NULL ? CAIRN_LOG_DEBUG : CAIRN_LOG_ERR);
	if (crn_rt_client_open(&fc.c, o.config, err, sizeof(err)) != CAIRN_OK) {
		cli_error("run: %s", err);
		goto out;
	}
	if (!o.have_eps)
		o.eps = fc.c.cfg->researcher.epsilon;
	if (!o.have_delta)
		o.delta = fc.c.cfg->researcher.delta;
	status = code_drive(&o, fed_round, &fc);
out:
	crn_rt_client_close(&fc.c);
	crn_free(o.src, CRN_JOB_CODE_MAX + 1);
	return status;
}

/* The approvals 'cairn node approve-code' keeps in the state directory,
 * with what each covers. */
static int
code_state_approvals(const crn_config *cfg)
{
	crn_node_code_entry *e = NULL;
	size_t n = 0;
	char err[512];

	if (crn_node_code_entries(cfg->node.state_dir, &e, &n, err,
	        sizeof(err)) != CAIRN_OK)
		return cli_error("approvals: %s", err);
	for (size_t i = 0; i < n; i++)
		printf("%s  %s (state: datasets %s, researchers %s)\n",
		    e[i].hash, e[i].file, e[i].datasets, e[i].researchers);
	crn_free(e, (n + 1) * sizeof(*e));
	return 0;
}

/* The programs a node approves: its approved_code hashes, then each
 * file of approved_code_dir with its hash (as the node computes them when
 * a job arrives), then those approved in its state directory. */
int
cli_code_approvals(const char *conf)
{
	crn_config *cfg = NULL;
	char err[512];
	DIR *d;
	struct dirent *e;
	int st;

	if (crn_config_load(&cfg, conf, CRN_CFG_NODE, err, sizeof(err)) !=
	    CAIRN_OK)
		return cli_error("approvals: %s", err);
	for (size_t i = 0; i < cfg->node.napproved_code; i++)
		printf("%s  (approved_code)\n", cfg->node.approved_code[i]);
	if (cfg->node.approved_code_dir != NULL) {
		if ((d = opendir(cfg->node.approved_code_dir)) == NULL) {
			cli_error("approvals: %s: %s",
			    cfg->node.approved_code_dir, strerror(errno));
			crn_config_free(cfg);
			return 1;
		}
		while ((e = readdir(d)) != NULL) {
			char path[4096], *buf = NULL, hex[CRN_CODE_HEX_LEN];
			size_t len = 0;

			if (e->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s",
			    cfg->node.approved_code_dir, e->d_name);
			if (code_read(path, &buf, &len) != 0)
				continue;
			crn_code_hash_hex(buf, len, hex);
			printf("%s  %s\n", hex, path);
			crn_free(buf, CRN_JOB_CODE_MAX + 1);
		}
		closedir(d);
	}
	st = code_state_approvals(cfg);
	crn_config_free(cfg);
	return st;
}

static int
code_approvals(int argc, char **argv)
{
	const char *config = NULL;
	const cli_opt opts[] = {
	    {.name = "--config", .val = &config, .required = true},
	    {.name = NULL},
	};
	const cli_cmd cmd = {
	    "code approvals", opts, NULL, 0, 0, NULL, code_usage_text()};
	int st;

	if ((st = cli_parse(&cmd, argc - 1, argv + 1)) >= 0)
		return st;
	return cli_code_approvals(config);
}

/* 'cairn code hash FILE.lua': the SHA-256 operators approve. */
static int
code_hash(int argc, char **argv)
{
	const char *file = NULL;
	const cli_opt none[] = {{.name = NULL}};
	const cli_cmd cmd = {
	    "code hash", none, &file, 1, 1, "FILE.lua", code_usage_text()};
	char *buf = NULL, hex[CRN_CODE_HEX_LEN];
	size_t len = 0;
	int st;

	if ((st = cli_parse(&cmd, argc - 1, argv + 1)) >= 0)
		return st;
	if (code_read(file, &buf, &len) != 0)
		return 1;
	crn_code_hash_hex(buf, len, hex);
	printf("%s  %s\n", hex, file);
	crn_free(buf, CRN_JOB_CODE_MAX + 1);
	return 0;
}

int
cmd_code(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "hash") == 0)
		return code_hash(argc, argv);
	if (argc >= 2 && strcmp(argv[1], "run-local") == 0)
		return code_run_local(argc, argv);
	if (argc >= 2 && strcmp(argv[1], "approvals") == 0)
		return code_approvals(argc, argv);
	if (argc >= 2 &&
	    (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0))
		return code_usage();
	if (argc >= 2)
		return cli_usage_error("code",
		    "unknown subcommand '%s': hash, approvals or run-local",
		    argv[1]);
	return cli_usage_error("code", "which subcommand? hash, approvals or run-local");
}
