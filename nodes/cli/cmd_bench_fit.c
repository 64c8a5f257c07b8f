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

#include "base/crn.h"
#include "cli/cmds.h"
#include "cli/fit.h"
#include "cli/opts.h"
#include "model/model.h"
#include "query/schema.h"
#include "runtime/rt.h"

#define BF_MAX_CSV 16

static const char bf_usage[] =
    "usage: cairn bench fit --schema FILE --dataset NAME --model linear|logistic|poisson\n"
    "         [--y EXPR] --x EXPR [--x EXPR ...] --csv FILE [--csv FILE ...]\n"
    "         [other 'cairn fit' model options: --where, --no-intercept, --l2,\n"
    "          --max-iter, --tol]\n"
    "\n"
    "Fit the model in this one process over the rows of the CSV files (read one\n"
    "after the other each round), with the code the nodes and the coordinator\n"
    "run; prints the model as JSON with \"seconds\", the wall time of the fit.\n"
    "  --schema FILE    the federation schema\n"
    "  --csv FILE       a CSV file of the dataset (repeat, at most 16)\n";

/* The CSV files (cli_opt.each). */
typedef struct bf_files {
	char *csv[BF_MAX_CSV];
	size_t n;
} bf_files;

static int
opt_csv(void *arg, const char *v)
{
	bf_files *f = arg;

	if (f->n == BF_MAX_CSV)
		return cli_usage_error(
		    "bench fit", "at most %d --csv files", BF_MAX_CSV);
	f->csv[f->n++] = (char *)(uintptr_t)v;
	return 0;
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
	t0 = (double)crn_rt_now_ms() / 1000.0;
	while (!f.done) {
		if (bf_round(m, csv, ncsv, f.params, crn_model_nparams(m), st,
		        err, sizeof(err)) != CAIRN_OK ||
		    crn_model_fit_step(&f, st, err, sizeof(err)) != CAIRN_OK) {
			cli_error("bench fit: %s", err);
			goto out;
		}
	}
	t0 = (double)crn_rt_now_ms() / 1000.0 - t0;
	if (crn_model_fit_render(&f, &text, &json, &cs) != CAIRN_OK) {
		cli_error("bench fit: out of memory");
		goto out;
	}
	/* One object: the model's, with the seconds added. */
	printf("%.*s,\"seconds\":%.3f}\n", (int)strlen(json) - 1, json, t0);
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
	bf_files files = {.n = 0};
	const cli_opt opts[] = {
	    {.name = "--schema", .val = &schema_path, .required = true},
	    {.name = "--csv", .each = opt_csv, .arg = &files},
	    {.name = NULL},
	};
	const cli_cmd cmd = {"bench fit", opts, NULL, 0, 0, NULL, bf_usage};
	cli_fit_args a;
	crn_schema *schema = NULL;
	char err[512] = "";
	int status;

	if ((status = cli_fit_parse(&cmd, argc, argv, &a)) >= 0)
		goto out;
	status = 2;
	if (files.n == 0) {
		cli_usage_error("bench fit", "--csv is required");
		goto out;
	}
	if (a.spec.kind == CRN_MODEL_KMEANS) {
		cli_usage_error("bench fit",
		    "--model is linear, logistic or poisson (kmeans is not timed)");
		goto out;
	}
	status = 1;
	if (crn_schema_load(schema_path, &schema, err, sizeof(err)) !=
	    CAIRN_OK) {
		cli_error("bench fit: %s", err);
		goto out;
	}
	status = bf_fit(schema, &a.spec, files.csv, files.n);
	crn_schema_free(schema);
out:
	cli_fit_args_fini(&a);
	return status;
}
