/*
 * cmd_demo.c — 'cairn demo': the arguments of a throwaway federation on
 * this machine; the federation itself is nodes/demo/demo.h.
 */
#define _XOPEN_SOURCE 700
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/crn.h"
#include "cli/cmds.h"
#include "cli/opts.h"
#include "demo/demo.h"

#ifndef CAIRN_EXAMPLES_DIR
#define CAIRN_EXAMPLES_DIR "examples"
#endif

typedef crn_demo demo;

static const char demo_usage[] =
    "usage: cairn demo [--keep] [--format table|json|csv] [--timeout S]\n"
    "                  [--examples DIR]\n"
    "                  [--schema FILE --csv NODE=PATH --csv NODE=PATH ...\n"
    "                   [--dataset NAME]] [--query SQL ...]\n"
    "                  [--model linear|logistic|poisson|kmeans [FIT OPTIONS]]\n"
    "                  [--code FILE.lua --output-len N --lo L --hi H\n"
    "                   [--scale S] [--params LIST] [--param NAME=NUMBER ...]\n"
    "                   [--where COND] [--max-rounds R]]\n"
    "                  [--epsilon E [--delta D]]\n"
    "\n"
    "Runs a throwaway federation on this machine: a CA, a coordinator,\n"
    "one node daemon per CSV file and a researcher, in a temporary\n"
    "directory, as separate processes.  Each query is answered under\n"
    "secure aggregation and printed beside the same figure computed in\n"
    "the clear from the pooled files; a mismatch fails the demo.\n"
    "\n"
    "Without --schema/--csv it uses the sample federation in examples/\n"
    "(three agencies' shares of a wage survey) and a few sample queries.\n"
    "With --format json (or csv) only the answers are printed, as\n"
    "'cairn query --format json' (csv) prints them; the comparison\n"
    "with the clear computation is still made.\n"
    "\n"
    "  --keep            keep the directory (keys, configs, logs)\n"
    "                    afterwards\n"
    "  --format F        table (default), json or csv\n"
    "  --timeout S       give up on a query after S seconds (default 60)\n"
    "  --examples DIR    where the sample federation lives: DIR/schema/\n"
    "                    cps.ini, DIR/data/agency{1,2,3}.csv and\n"
    "                    DIR/node{1,2,3}.conf (default: $CAIRN_EXAMPLES,\n"
    "                    else share/cairn/examples beside an installed\n"
    "                    program's bin/, as in the Debian package,\n"
    "                    else the source tree's examples/)\n"
    "  --schema FILE     your own federation schema (with --csv)\n"
    "  --csv NODE=PATH   one node named NODE serving the CSV file PATH\n"
    "                    (at least two)\n"
    "  --dataset NAME    the schema's dataset the CSV files hold\n"
    "                    (default: its only dataset)\n"
    "  --epsilon E       differential privacy: every query and fit asks epsilon E\n"
    "                    (nodes require DP, budget epsilon 100 each);\n"
    "                    answers are then noisy and shown beside the\n"
    "                    clear ones, not compared\n"
    "  --delta D         the DP delta (default 1e-6)\n"
    "  --query SQL       a query to run instead of the samples; repeat\n"
    "                    for several\n"
    "  --model KIND      fit a model with 'cairn fit' (after any --query)\n"
    "                    and print its output; FIT OPTIONS --y, --x, --where,\n"
    "                    --no-intercept, --l2, --k, --init, --max-iter and\n"
    "                    --tol pass through (see 'cairn fit --help');\n"
    "                    without --x on the sample federation, a sample fit\n"
    "  --code FILE.lua   also run this approved-code program (instead of\n"
    "                    the sample queries unless --query is given), as\n"
    "                    'cairn run' would; the demo's nodes approve its\n"
    "                    SHA-256 automatically and say so.  Its answer is\n"
    "                    printed beside 'cairn code run-local' over the\n"
    "                    pooled rows.  --output-len, --lo, --hi (required\n"
    "                    with --code), --scale, --params, --param, --where\n"
    "                    and --max-rounds are those of 'cairn run'\n";

/* A 'cairn fit' option the demo passes through (cli_opt.each). */
typedef struct fit_pass {
	demo *d;
	const char *name;
} fit_pass;

static int
opt_fit(void *arg, const char *v)
{
	const fit_pass *f = arg;

	return crn_demo_fit_arg(f->d, f->name, v) != 0 ? 2 : 0;
}

/* --param NAME=NUMBER for the program (cli_opt.each): passed on. */
#define DEMO_MAX_PARAM 8
typedef struct demo_params {
	const char *v[DEMO_MAX_PARAM];
	size_t n;
} demo_params;

static int
opt_param(void *arg, const char *v)
{
	demo_params *p = arg;

	if (p->n == DEMO_MAX_PARAM)
		return cli_usage_error(
		    "demo", "at most %d --param", DEMO_MAX_PARAM);
	p->v[p->n++] = v;
	return 0;
}

/* What 'cairn run' gets from the demo's --code options. */
static const char *const code_names[] = {"--output-len", "--lo", "--hi",
    "--scale", "--params", "--where", "--max-rounds"};
typedef struct demo_code {
	const char *cv[CRN_NELEM(code_names)]; /* in code_names' order */
	demo_params dp;
	const char *args[2 * (CRN_NELEM(code_names) + DEMO_MAX_PARAM)];
	size_t nargs;
} demo_code;

/* The program code (NULL: none) with c's options: 0, or the exit
 * status after the error. */
static int
demo_code_take(demo *d, const char *code, demo_code *c)
{
	for (size_t i = 0; i < CRN_NELEM(code_names); i++) {
		if (c->cv[i] == NULL)
			continue;
		if (code == NULL)
			return cli_usage_error(
			    "demo", "%s goes with --code", code_names[i]);
		c->args[c->nargs++] = code_names[i];
		c->args[c->nargs++] = c->cv[i];
	}
	if (c->dp.n > 0 && code == NULL)
		return cli_usage_error("demo", "--param goes with --code");
	for (size_t i = 0; i < c->dp.n; i++) {
		c->args[c->nargs++] = "--param";
		c->args[c->nargs++] = c->dp.v[i];
	}
	if (code == NULL)
		return 0;
	if (c->cv[0] == NULL || c->cv[1] == NULL || c->cv[2] == NULL)
		return cli_usage_error(
		    "demo", "--code needs --output-len, --lo and --hi");
	if (strcmp(d->format, "csv") == 0)
		return cli_usage_error("demo",
		    "a code job's answer is JSON: --format table or json");
	return crn_demo_set_code(d, code, c->args, c->nargs) != 0 ? 1 : 0;
}

/* --csv NODE=PATH (cli_opt.each). */
static int
opt_csv(void *arg, const char *v)
{
	demo *d = arg;
	char name[CRN_CERT_NAME_MAX + 2];
	const char *eq = strchr(v, '=');

	if (eq == NULL || eq == v || (size_t)(eq - v) > CRN_CERT_NAME_MAX)
		return cli_usage_error(
		    "demo", "--csv takes NODE=PATH, got '%s'", v);
	memcpy(name, v, (size_t)(eq - v));
	name[eq - v] = '\0';
	return crn_demo_add_node(d, name, eq + 1) != 0 ? 1 : 0;
}

/* --query SQL (cli_opt.each). */
static int
opt_query(void *arg, const char *v)
{
	demo *d = arg;

	if (d->nqueries == CRN_DEMO_MAX_QUERIES)
		return cli_usage_error(
		    "demo", "at most %d queries", CRN_DEMO_MAX_QUERIES);
	d->queries[d->nqueries++] = v;
	return 0;
}

/* The sample federation when neither --examples nor CAIRN_EXAMPLES names
 * it: for an installed program (/usr/bin/cairn), PREFIX/share/cairn/
 * examples; else (build/bin/cairn) the source tree's examples/ the
 * program was built from. */
static void
default_examples(char *buf, size_t n)
{
	struct stat st;
	char exe[CRN_DEMO_PATH];
	ssize_t len;
	char *slash;

	snprintf(buf, n, "%s", CAIRN_EXAMPLES_DIR);
	len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (len <= 0)
		return;
	exe[len] = '\0';
	/* PREFIX/bin/cairn -> PREFIX */
	for (int i = 0; i < 2 && (slash = strrchr(exe, '/')) != NULL; i++)
		*slash = '\0';
	if (snprintf(buf, n, "%s/share/cairn/examples", exe) >= (int)n ||
	    stat(buf, &st) != 0 || !S_ISDIR(st.st_mode))
		snprintf(buf, n, "%s", CAIRN_EXAMPLES_DIR);
}

/* 0 to go on, -1 after --help, 1 for a failure, 2 for a usage error. */
static int
parse_args(demo *d, int argc, char **argv, int *custom)
{
	char examples[CRN_DEMO_PATH];
	const char *ex = getenv("CAIRN_EXAMPLES");
	const char *schema = NULL, *format = NULL, *timeout = NULL;
	const char *dataset = NULL, *exdir = NULL, *code = NULL;
	const char *eps = NULL, *delta = NULL, *where = NULL;
	bool keep = false, nointercept = false;
	fit_pass fp[] = {{d, "--y"}, {d, "--x"}, {d, "--l2"}, {d, "--k"},
	    {d, "--init"}, {d, "--max-iter"}, {d, "--tol"}};
	demo_code dc;
	const char **cv = dc.cv;
	const cli_opt opts[] = {
	    {.name = "--keep", .flag = &keep},
	    {.name = "--format", .val = &format},
	    {.name = "--timeout", .val = &timeout},
	    {.name = "--schema", .val = &schema},
	    {.name = "--dataset", .val = &dataset},
	    {.name = "--examples", .val = &exdir},
	    {.name = "--csv", .each = opt_csv, .arg = d},
	    {.name = "--query", .each = opt_query, .arg = d},
	    {.name = "--code", .val = &code},
	    {.name = "--output-len", .val = &cv[0]},
	    {.name = "--lo", .val = &cv[1]},
	    {.name = "--hi", .val = &cv[2]},
	    {.name = "--scale", .val = &cv[3]},
	    {.name = "--params", .val = &cv[4]},
	    {.name = "--where", .val = &where},
	    {.name = "--max-rounds", .val = &cv[6]},
	    {.name = "--param", .each = opt_param, .arg = &dc.dp},
	    {.name = "--epsilon", .val = &eps},
	    {.name = "--delta", .val = &delta},
	    {.name = "--model", .val = &d->model},
	    {.name = "--no-intercept", .flag = &nointercept},
	    {.name = "--y", .each = opt_fit, .arg = &fp[0]},
	    {.name = "--x", .each = opt_fit, .arg = &fp[1]},
	    {.name = "--l2", .each = opt_fit, .arg = &fp[2]},
	    {.name = "--k", .each = opt_fit, .arg = &fp[3]},
	    {.name = "--init", .each = opt_fit, .arg = &fp[4]},
	    {.name = "--max-iter", .each = opt_fit, .arg = &fp[5]},
	    {.name = "--tol", .each = opt_fit, .arg = &fp[6]},
	    {.name = NULL},
	};
	const cli_cmd cmd = {"demo", opts, NULL, 0, 0, NULL, demo_usage};
	int st;

	memset(&dc, 0, sizeof(dc));
	if ((st = cli_parse(&cmd, argc, argv)) >= 0)
		return st == 0 ? -1 : st;
	if (exdir != NULL || ex != NULL)
		snprintf(examples, sizeof(examples), "%s",
		    exdir != NULL ? exdir : ex);
	else
		default_examples(examples, sizeof(examples));
	d->keep = keep;
	if (code != NULL && d->model != NULL)
		return cli_usage_error(
		    "demo", "give --model or --code, not both");
	/* --where filters the program's rows with --code, the fit's else. */
	if (code != NULL)
		cv[5] = where;
	else if (where != NULL && crn_demo_fit_arg(d, "--where", where) != 0)
		return 2;
	if (nointercept && crn_demo_fit_arg(d, "--no-intercept", NULL) != 0)
		return 2;
	if (d->nfit > 0 && d->model == NULL)
		return cli_usage_error("demo", "fit options need --model");
	if (format != NULL) {
		if (strcmp(format, "table") != 0 &&
		    strcmp(format, "json") != 0 && strcmp(format, "csv") != 0)
			return cli_usage_error(
			    "demo", "--format is table, json or csv");
		d->format = format;
	}
	if (timeout != NULL) {
		d->timeout_s = atoi(timeout);
		if (d->timeout_s <= 0 || d->timeout_s > 3600)
			return cli_usage_error(
			    "demo", "--timeout is 1..3600 seconds");
	}
	if ((eps != NULL &&
	        cli_dp_arg("demo", "--epsilon", eps, &d->epsilon)) ||
	    (delta != NULL && cli_dp_arg("demo", "--delta", delta, &d->delta)))
		return 2;
	if (dataset != NULL)
		snprintf(d->dataset, sizeof(d->dataset), "%s", dataset);
	if ((st = demo_code_take(d, code, &dc)) != 0)
		return st;
	*custom = schema != NULL || d->nnodes > 0;
	if (*custom && (schema == NULL || d->nnodes == 0))
		return cli_usage_error(
		    "demo", "--schema and --csv go together");
	if (!*custom ? crn_demo_use_examples(d, examples) != 0
	             : crn_demo_set_schema(d, schema) != 0)
		return 1;
	if (d->nnodes < 2)
		return cli_error(
		    "demo: secure aggregation needs at least two nodes; give --csv at least twice");
	if (d->nqueries == 0 && d->model == NULL && code == NULL)
		return cli_error(
		    "demo: give at least one --query SQL, a --model or --code FILE.lua");
	return 0;
}

int
cmd_demo(int argc, char **argv)
{
	demo d;
	int custom, ret;

	crn_demo_init(&d);
	if ((ret = parse_args(&d, argc, argv, &custom)) != 0) {
		ret = ret < 0 ? 0 : (ret > 1 ? 2 : 1);
		crn_demo_fini(&d, ret);
		return ret;
	}
	ret = crn_demo_run(&d);
	crn_demo_fini(&d, ret);
	return ret;
}
