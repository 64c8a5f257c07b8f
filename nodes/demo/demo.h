/*
 * demo.h — a throwaway federation on this machine, as 'cairn demo' runs it
 * (nodes/cli/cmd_demo.c is its argument handling).
 *
 * crn_demo_run provisions a CA, a coordinator, one node per CSV file and a
 * researcher in a fresh temporary directory, starts the coordinator and
 * the nodes as separate processes of this same program (over an ipc://
 * socket in that directory, exactly as they would talk over tcp://),
 * submits each query with 'cairn query' as the researcher would, and
 * prints every answer beside the same figure computed in the clear from
 * the pooled files (plan + local executors + plain sum, no secure
 * aggregation).  A mismatch is an error.  With a model, 'cairn fit' runs
 * last and its output is printed as it comes.  With a program (--code)
 * it runs that as a code job too and prints its answer beside the same
 * program run in one process on the pooled rows.  crn_demo_fini stops
 * everything and removes the directory (unless keep, or the run failed).
 *
 * Errors are printed as one line ("cairn: demo: ..."); functions return 0
 * or the exit status (1).
 */
#ifndef CRN_DEMO_DEMO_H
#define CRN_DEMO_DEMO_H

#include <stddef.h>
#include <sys/types.h>

#include "crypto/cert.h"
#include "query/schema.h"
#include "runtime/config.h"

#define CRN_DEMO_MAX_NODES   16
#define CRN_DEMO_MAX_QUERIES 32
#define CRN_DEMO_PATH        4096
#define CRN_DEMO_MAX_FITARGS 64
#define CRN_DEMO_CODE_ARGS   32

typedef struct crn_demo_node {
	char name[CRN_CERT_NAME_MAX + 1];
	char csv[CRN_DEMO_PATH];
	pid_t pid;
	/* The sample nodes' own configs name columns their files call
	 * differently (examples/node2.conf); NULL for --csv nodes. */
	crn_config *cfg;
} crn_demo_node;

typedef struct crn_demo {
	char dir[CRN_DEMO_PATH];  /* the throwaway federation */
	char self[CRN_DEMO_PATH]; /* this program */
	char schema_path[CRN_DEMO_PATH];
	char dataset[CRN_CERT_NAME_MAX + 1];
	const char *format; /* table | json | csv */
	const char *queries[CRN_DEMO_MAX_QUERIES];
	size_t nqueries;
	crn_demo_node nodes[CRN_DEMO_MAX_NODES];
	size_t nnodes;
	pid_t coord_pid;
	int keep;
	int timeout_s;
	crn_schema *schema;
	/* --model: 'cairn fit' runs after the queries with these options
	 * (borrowed strings). */
	const char *model;
	const char *fitargs[CRN_DEMO_MAX_FITARGS];
	size_t nfit;
	/* --code: the program (absolute path), its SHA-256 in hex, which
	 * the demo's nodes approve, and the options passed on to 'cairn
	 * run' and 'cairn code run-local' as they are ("--lo", "0", ...). */
	char code[CRN_DEMO_PATH];
	char code_hash[65];
	const char *code_args[CRN_DEMO_CODE_ARGS];
	size_t ncode_args;
	double epsilon, delta; /* DP asked of every query; epsilon 0: none */
} crn_demo;

/* Defaults: table format, 60 s per query, no DP (delta 1e-6 if
 * epsilon is set), nothing started. */
void crn_demo_init(crn_demo *d);

/* One node serving the CSV file at csv (made absolute). */
int crn_demo_add_node(crn_demo *d, const char *name, const char *csv);

/* A 'cairn fit' option (opt, then val unless NULL) for the --model fit. */
int crn_demo_fit_arg(crn_demo *d, const char *opt, const char *val);

/* The sample federation in dir (examples/): its schema, three agencies'
 * files and node configs, and the sample queries unless some are given
 * (or a --model: its sample fit unless a --x is given). */
int crn_demo_use_examples(crn_demo *d, const char *dir);

/* The federation schema file for --csv nodes (made absolute). */
int crn_demo_set_schema(crn_demo *d, const char *path);

/* Run the approved-code program at path on the federation, with args
 * (nargs, at most CRN_DEMO_CODE_ARGS) passed on to 'cairn run'; the
 * demo's nodes approve it by its hash.  The answer is printed beside
 * 'cairn code run-local' over the pooled rows. */
int crn_demo_set_code(
    crn_demo *d, const char *path, const char *const *args, size_t nargs);

/* Check the schema and queries, start the federation, run every query
 * and then the fit of --model.  Returns the exit status: 0 when every
 * answer matched and the fit succeeded. */
int crn_demo_run(crn_demo *d);

/* Stop the daemons, remove the directory unless d->keep or status is
 * not 0 (then say where it is), free what d holds. */
void crn_demo_fini(crn_demo *d, int status);

#endif /* CRN_DEMO_DEMO_H */
