/*
 * cmd_bench_fit.c — 'cairn bench fit': fit a model in this one process
 * over the rows of CSV files, with the same statistic code and solver the
 * federation runs, but no nodes, no secure aggregation and no network:
 * the single-process baseline tests/bench/fit_bench.sh sets beside the
 * federated fit.  Prints the model as JSON with the seconds it took.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/crn.h"
#include "cli/cmds.h"
#include "model/model.h"
#include "query/schema.h"

#define BF_MAX_CSV 16

static int
bf_usage(void)
{
	printf("usage: cairn bench fit --schema FILE --dataset NAME --model KIND [--y EXPR]\n"
	       "         --x EXPR [--x EXPR ...] --csv FILE [--csv FILE ...] [--max-iter N] [--tol T]\n"
	       "\n"
	       "Fit the model in this one process over the rows of the CSV files (read one\n"
	       "after the other each round), with the code the nodes and the coordinator\n"
	       "run; prints the model as JSON with \"seconds\", the wall time of the fit.\n");
	return 0;
}

static double
bf_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* One round over every file: the summed vector, decoded into st. */
static cairn_err
bf_round(const crn_model *m, char **csv, size_t ncsv, const double *par,
    size_t np, double *st, char *err, size_t errlen)
{
	unsigned __int128 *tot = crn_zalloc(m->dim * sizeof(*tot)), *v = NULL;
	cairn_err rv = CAIRN_OK;

	if (tot == NULL)
		return CAIRN_ENOMEM;
	for (size_t f = 0; f < ncsv && rv == CAIRN_OK; f++) {
		crn_source src = {.kind = CRN_SRC_CSV, .path = csv[f]};

		if ((rv = crn_model_run(m, &src, par, np, 1, &v, err, errlen)) !=
		    CAIRN_OK)
			break;
		for (uint64_t i = 0; i < m->dim; i++)
			tot[i] += v[i];
		crn_free(v, m->dim * sizeof(*v));
	}
	if (rv == CAIRN_OK)
		crn_model_decode(m, tot, st);
	crn_free(tot, m->dim * sizeof(*tot));
	return rv;
}

static int
bf_fit(const crn_schema *schema, const crn_model_spec *sp, char **csv,
    size_t ncsv)
{
	crn_model *m = NULL;
	crn_model_fit f;
	double *st = NULL, t0;
	char err[512] = "", *text = NULL, *json = NULL, *cs = NULL;
	int status = 1;

	memset(&f, 0, sizeof(f));
	if (crn_model_compile(schema, sp, &m, err, sizeof(err)) != CAIRN_OK)
		return cli_error("bench fit: %s", err);
	if ((st = crn_alloc(m->dim * sizeof(double))) == NULL ||
	    crn_model_fit_init(&f, m, 1) != CAIRN_OK) {
		cli_error("bench fit: out of memory");
		goto out;
	}
	t0 = bf_now();
	while (!f.done) {
		if (bf_round(m, csv, ncsv, f.params, crn_model_nparams(m), st,
		        err, sizeof(err)) != CAIRN_OK ||
		    crn_model_fit_step(&f, st, err, sizeof(err)) != CAIRN_OK) {
			cli_error("bench fit: %s", err);
			goto out;
		}
	}
	t0 = bf_now() - t0;
	if (crn_model_fit_render(&f, &text, &json, &cs) != CAIRN_OK) {
		cli_error("bench fit: out of memory");
		goto out;
	}
	printf("{%s,\"seconds\":%.3f}\n", json, t0);
	status = 0;
out:
	crn_strfree(text);
	crn_strfree(json);
	crn_strfree(cs);
	crn_model_fit_fini(&f);
	if (st != NULL)
		crn_free(st, m->dim * sizeof(double));
	crn_model_free(m);
	return status;
}

int
cli_bench_fit(int argc, char **argv)
{
	const char *schema_path = NULL;
	char *xs[CRN_MODEL_MAX_X], *csv[BF_MAX_CSV], err[512] = "";
	size_t ncsv = 0;
	crn_model_spec sp;
	crn_schema *schema = NULL;
	int status;

	memset(&sp, 0, sizeof(sp));
	sp.x = xs;
	for (int i = 1; i < argc; i++) {
		const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(o, "--help") == 0 || strcmp(o, "-h") == 0)
			return bf_usage();
		if (v == NULL)
			return (void)cli_error("bench fit: unknown argument or missing value '%s'", o), 2;
		i++;
		if (strcmp(o, "--schema") == 0)
			schema_path = v;
		else if (strcmp(o, "--dataset") == 0)
			sp.dataset = (char *)(uintptr_t)v;
		else if (strcmp(o, "--model") == 0)
			sp.kind = (crn_model_kind)crn_model_kind_parse(v);
		else if (strcmp(o, "--y") == 0)
			sp.y = (char *)(uintptr_t)v;
		else if (strcmp(o, "--x") == 0 && sp.nx < CRN_MODEL_MAX_X)
			sp.x[sp.nx++] = (char *)(uintptr_t)v;
		else if (strcmp(o, "--csv") == 0 && ncsv < BF_MAX_CSV)
			csv[ncsv++] = (char *)(uintptr_t)v;
		else if (strcmp(o, "--max-iter") == 0)
			sp.max_iter = (uint32_t)strtoul(v, NULL, 10);
		else if (strcmp(o, "--tol") == 0)
			sp.tol = strtod(v, NULL);
		else
			return (void)cli_error("bench fit: unknown argument '%s'", o), 2;
	}
	if (schema_path == NULL || sp.dataset == NULL || ncsv == 0 ||
	    (int)sp.kind <= 0 || sp.kind == CRN_MODEL_KMEANS)
		return (void)cli_error("bench fit: --schema, --dataset, --model (linear, logistic or poisson), --x and --csv are required"), 2;
	if (crn_schema_load(schema_path, &schema, err, sizeof(err)) != CAIRN_OK)
		return (void)cli_error("bench fit: %s", err), 1;
	status = bf_fit(schema, &sp, csv, ncsv);
	crn_schema_free(schema);
	return status;
}
