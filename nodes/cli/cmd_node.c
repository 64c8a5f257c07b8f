/*
 * cmd_node.c — 'cairn node --config FILE' (the daemon) and
 * 'cairn node check --config FILE' (validate everything the daemon needs
 * and say exactly what is wrong), 'cairn node budget --config FILE' (the
 * privacy budget each researcher has spent and has left) and 'cairn node
 * pending | approve | reject' (the operator's approval queue,
 * node/approvals.h).
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "base/crn.h"
#include "base/file.h"
#include "cli/cmds.h"
#include "cli/opts.h"
#include "node/approvals.h"
#include "node/budget.h"
#include "node/node.h"
#include "node/node_code.h"
#include "proto/job.h"
#include "query/dp_account.h"
#include "query/schema.h"
#include "runtime/config.h"
#include "runtime/rt.h"

static const char node_usage[] =
    "usage: cairn node --config FILE\n"
    "       cairn node check --config FILE\n"
    "       cairn node budget --config FILE\n"
    "       cairn node pending --config FILE [--all]\n"
    "       cairn node approve ID --config FILE\n"
    "       cairn node reject ID [--reason TEXT] --config FILE\n"
    "       cairn node approve-code --config FILE PROGRAM.lua\n"
    "                  [--datasets D1,D2] [--researchers R1,R2]\n"
    "       cairn node approvals --config FILE\n"
    "Run a node daemon: dials the coordinator, verifies every job itself and\n"
    "takes part in secure aggregation over its own data.  'check' validates\n"
    "the configuration, key, certificate and data sources and exits 1 on any\n"
    "problem, and says how many nodes may drop out of a session before this\n"
    "node's min_participants stops it.  'budget' prints, from the node's ledger (state_dir/budget.db),\n"
    "the DP budget each researcher has spent and has left per dataset.\n"
    "'pending' lists the jobs waiting for the operator's approval (policy\n"
    "approve = manual; --all: every decision too); 'approve' lets the daemon\n"
    "run job ID, 'reject' refuses it (the researcher sees the reason).  A job\n"
    "not decided before its validity ends is refused as expired.\n"
    "'approve-code' approves a program (its SHA-256) in the node's state\n"
    "directory, for the datasets and researchers listed (default: any);\n"
    "the running node sees it at the next job.  'approvals' lists every\n"
    "program the node approves: approved_code, approved_code_dir and these.\n"
    "In [node]: log_format = text | json (RFC 3339 timestamps either way);\n"
    "metrics_listen = IP:PORT serves Prometheus metrics at /metrics (off unless set).\n"
    "In [policy]: require_dp = true | false (refuse queries asking no DP noise),\n"
    "budget_epsilon (10) and budget_delta (1e-6): the DP budget per researcher and dataset.\n";

/* A source kind's name, as in the configuration. */
static const char *
src_kind_name(const crn_cfg_dataset *ds)
{
	return ds->kind == CRN_SRC_CSV      ? "csv"
	    : ds->kind == CRN_SRC_SQLITE ? "sqlite"
	                                 : "postgres";
}

/* Rows beyond the schema's max_rows make the node refuse every job on
 * the dataset (the ring is sized for max_rows): say so now.  0 when
 * within bounds. */
static int
node_check_rows(const crn_node_src *src, const crn_cfg_dataset *ds,
    const crn_dataset *sd, const char *schema_path)
{
	char err[1024];
	uint64_t rows;

	err[0] = '\0';
	if (crn_node_count_rows(src, ds->name, &rows, err, sizeof(err)) !=
	    CAIRN_OK) {
		printf("FAIL dataset %s: %s\n", ds->name, err);
		return 1;
	}
	if (sd->max_rows != 0 && rows > sd->max_rows) {
		printf("FAIL dataset %s: %llu rows, more than max_rows = %llu in the schema %s; every job on it would be refused (raise max_rows for the whole federation, or serve fewer rows)\n",
		    ds->name, (unsigned long long)rows,
		    (unsigned long long)sd->max_rows, schema_path);
		return 1;
	}
	printf("ok   dataset %s: %llu rows (max_rows %llu)\n", ds->name,
	    (unsigned long long)rows, (unsigned long long)sd->max_rows);
	return 0;
}

/* One [dataset NAME] section: in the schema, readable, the exposed
 * columns present, no more rows than max_rows.  0 when all is well. */
static int
node_check_dataset(const crn_config *cfg, const crn_cfg_dataset *ds,
    const crn_schema *schema)
{
	const crn_dataset *sd = NULL;
	crn_node_src src;
	char **ms = NULL, **ml = NULL;
	char err[1024];
	cairn_err rv;
	int bad = 0;

	if (crn_node_src_from_config(ds, &src, &ms, &ml) != CAIRN_OK) {
		printf("FAIL out of memory\n");
		return 1;
	}
	if (schema != NULL &&
	    (sd = crn_schema_dataset(schema, ds->name)) == NULL) {
		printf("FAIL dataset %s: not in the schema %s\n", ds->name,
		    cfg->node.schema);
		bad = 1;
	}
	err[0] = '\0';
	rv = crn_node_probe(
	    &src, ds->name, ds->expose, ds->nexpose, err, sizeof(err));
	if (rv != CAIRN_OK) {
		printf("FAIL dataset %s: %s\n", ds->name,
		    err[0] ? err : cairn_strerror(rv));
		bad = 1;
	} else {
		printf("ok   dataset %s (%s %s)\n", ds->name,
		    src_kind_name(ds),
		    ds->kind == CRN_SRC_PG ? ds->table : ds->path);
		if (sd != NULL &&
		    node_check_rows(&src, ds, sd, cfg->node.schema) != 0)
			bad = 1;
	}
	crn_free(ms, src.nmap * sizeof(char *));
	crn_free(ml, src.nmap * sizeof(char *));
	return bad;
}

/* Say how many nodes may drop out of a session before this node, by
 * its own min_participants, refuses to go on (the coordinator's
 * threshold may ask for more: `cairn status` gives the federation's). */
static void
node_check_tolerance(const crn_cfg_node *n)
{
	uint32_t m = n->min_participants < 2 ? 2 : n->min_participants;

	printf("note dropout tolerance: this node goes on while at least min_participants = %u nodes remain, so in a session of n nodes up to n - %u may drop out (e.g. 3 nodes: %u; 5 nodes: %u); the coordinator's threshold may need more, see cairn status\n",
	    m, m, m <= 3 ? 3 - m : 0, m <= 5 ? 5 - m : 0);
}

static int
node_check(const char *path)
{
	crn_config *cfg = NULL;
	crn_rt_party party;
	crn_schema *schema = NULL;
	char err[1024];
	int bad = 0;
	cairn_err rv;

	memset(&party, 0, sizeof(party));
	if ((rv = crn_config_load(
	         &cfg, path, CRN_CFG_NODE, err, sizeof(err))) != CAIRN_OK) {
		if (rv == CAIRN_ENOENT)
			printf("FAIL config %s: cannot open\n", path);
		else
			printf("FAIL config %s\n", err);
		return 1;
	}
	printf("ok   config %s\n", path);
	if ((rv = crn_rt_party_open(&party, cfg->node.key, cfg->node.cert,
	         cfg->node.ca_cert, cfg->node.crl, CRN_ROLE_NODE, err,
	         sizeof(err))) != CAIRN_OK) {
		printf("FAIL %s\n", err);
		bad = 1;
	} else {
		char fp[CAIRN_FINGERPRINT_LEN];

		crn_fingerprint(party.pk, fp);
		printf("ok   key %s (0600, %s)\n", cfg->node.key, fp);
		printf("ok   certificate %s: node '%s', valid, not revoked\n",
		    cfg->node.cert, party.me.name);
		/* Compare with the newest CRL the daemon accepted; write
		 * nothing: check may run as another user than the daemon. */
		if (crn_rt_party_crl_state(&party, cfg->node.state_dir, false,
		        err, sizeof(err)) != CAIRN_OK) {
			printf("FAIL %s\n", err);
			bad = 1;
		}
		if (strcmp(party.me.name, cfg->node.name) != 0) {
			printf("FAIL certificate is for '%s' but name = %s\n",
			    party.me.name, cfg->node.name);
			bad = 1;
		}
	}
	/* The node checks every SQL plan against its own copy of the
	 * federation schema; without one it refuses SQL jobs. */
	if (cfg->node.schema == NULL) {
		printf("FAIL schema not set in [node]: SQL jobs are refused without the federation schema\n");
		bad = 1;
	} else if ((rv = crn_schema_load(cfg->node.schema, &schema, err,
	                sizeof(err))) != CAIRN_OK) {
		printf("FAIL schema %s\n",
		    rv == CAIRN_ENOENT ? cfg->node.schema : err);
		bad = 1;
	} else {
		printf("ok   schema %s\n", cfg->node.schema);
	}
	for (size_t i = 0; i < cfg->node.ndatasets; i++)
		if (node_check_dataset(cfg, &cfg->node.datasets[i], schema) != 0)
			bad = 1;
	if (cfg->node.ndatasets == 0) {
		printf("FAIL no [dataset NAME] section: nothing to serve\n");
		bad = 1;
	}
	node_check_tolerance(&cfg->node);
	crn_rt_party_close(&party);
	crn_schema_free(schema);
	crn_config_free(cfg);
	return bad;
}

static void
pending_row(void *arg, const crn_approval *r)
{
	char rec[CRN_AUDIT_TIME_LEN], until[CRN_AUDIT_TIME_LEN];
	char job[2 * CRN_JOB_ID_LEN + 1];
	int *n = arg;

	crn_audit_time(r->received, rec);
	crn_audit_time(r->until, until);
	for (size_t i = 0; i < CRN_JOB_ID_LEN; i++)
		snprintf(job + 2 * i, 3, "%02x", r->job_id[i]);
	if ((*n)++ == 0)
		printf("%-4s %-9s %-20s %-20s %-12s %-10s %s\n", "ID", "STATE",
		    "RECEIVED", "EXPIRES", "RESEARCHER", "DATASET", "JOB");
	printf("%-4lld %-9s %-20s %-20s %-12s %-10s %s\n", (long long)r->id,
	    r->state, rec, until, r->researcher, r->dataset, job);
	printf("     %s\n", r->what);
	if (r->reason[0] != '\0')
		printf("     reason: %s\n", r->reason);
}

/* pending | approve ID | reject ID [--reason TEXT]; the ID is checked. */
static int
node_approvals(const char *path, const char *verb, long long id,
    const char *reason, bool all)
{
	crn_config *cfg = NULL;
	crn_approvals *a = NULL;
	char err[1024];
	int n = 0, status = 1;
	cairn_err rv;

	if ((rv = crn_config_load(
	         &cfg, path, CRN_CFG_NODE, err, sizeof(err))) != CAIRN_OK)
		return cli_error(
		    "node %s: %s", verb, rv == CAIRN_ENOENT ? path : err);
	if (crn_approvals_open(&a, cfg->node.state_dir, err, sizeof(err)) !=
	    CAIRN_OK) {
		cli_error("node %s: %s", verb, err);
		goto out;
	}
	if (strcmp(verb, "pending") == 0) {
		if (crn_approvals_list(a, all, pending_row, &n) != CAIRN_OK) {
			cli_error("node pending: cannot read the approvals");
			goto out;
		}
		if (n == 0)
			printf("no job waits for approval\n");
		status = 0;
		goto out;
	}
	rv = crn_approvals_decide(a, (int64_t)id, strcmp(verb, "approve") == 0,
	    reason, crn_rt_wall(), err, sizeof(err));
	if (rv != CAIRN_OK) {
		cli_error("node %s: %s", verb, err);
		goto out;
	}
	printf("job %lld %s; the daemon acts on it within a second\n", id,
	    strcmp(verb, "approve") == 0 ? "approved" : "rejected");
	status = 0;
out:
	crn_approvals_close(a);
	crn_config_free(cfg);
	return status;
}

/* 'cairn node approve-code': the program's hash into the state dir. */
static int
node_approve(const char *path, const char *prog, const char *datasets,
    const char *researchers)
{
	crn_config *cfg = NULL;
	uint8_t *src = NULL;
	size_t len = 0;
	char err[1024], hex[65];
	int st = 1;

	if (crn_config_load(&cfg, path, CRN_CFG_NODE, err, sizeof(err)) !=
	    CAIRN_OK)
		return cli_error("node approve-code: %s", err);
	if (crn_file_read(prog, CRN_JOB_CODE_MAX, &src, &len) != CAIRN_OK) {
		cli_error("node approve-code: cannot read %s (at most %u bytes)",
		    prog, CRN_JOB_CODE_MAX);
		goto out;
	}
	if (crn_node_code_approve(cfg->node.state_dir, src, len, prog,
	        datasets, researchers, hex, err, sizeof(err)) != CAIRN_OK) {
		cli_error("node approve-code: %s", err);
		goto out;
	}
	printf("%s  %s approved for datasets %s, researchers %s\n", hex, prog,
	    datasets != NULL ? datasets : "*",
	    researchers != NULL ? researchers : "*");
	st = 0;
out:
	if (src != NULL)
		crn_free(src, len + 1);
	crn_config_free(cfg);
	return st;
}

typedef struct budget_print {
	const crn_cfg_node *n;
	double limit;
} budget_print;

static void
budget_row(void *ctx, const char *researcher, const char *dataset, double spent,
    uint64_t jobs)
{
	const budget_print *bp = ctx;
	double left = bp->limit - spent;

	if (left < 0)
		left = 0;
	printf("%-16s %-16s %6llu %12.6g %12.6g %12.4g\n", researcher, dataset,
	    (unsigned long long)jobs, spent, left,
	    crn_dp_epsilon(left, bp->n->budget_delta));
}

/* The node's ledger, read while the daemon may be running (WAL). */
static int
node_budget(const char *path)
{
	crn_config *cfg = NULL;
	crn_budget *b = NULL;
	budget_print bp;
	char err[1024];
	int status = 1;
	cairn_err rv;

	if ((rv = crn_config_load(
	         &cfg, path, CRN_CFG_NODE, err, sizeof(err))) != CAIRN_OK) {
		cli_error("node budget: %s", rv == CAIRN_ENOENT ? path : err);
		return 1;
	}
	if (crn_budget_open(&b, cfg->node.state_dir, err, sizeof(err)) !=
	    CAIRN_OK) {
		cli_error("node budget: %s", err);
		goto out;
	}
	bp.n = &cfg->node;
	bp.limit =
	    crn_dp_rho_of(cfg->node.budget_epsilon, cfg->node.budget_delta);
	printf("budget per researcher and dataset: epsilon %g, delta %g (rho %.6g); require_dp = %s\n",
	    cfg->node.budget_epsilon, cfg->node.budget_delta, bp.limit,
	    cfg->node.require_dp ? "true" : "false");
	printf("%-16s %-16s %6s %12s %12s %12s\n", "researcher", "dataset",
	    "jobs", "rho spent", "rho left", "epsilon left");
	if (crn_budget_each(b, budget_row, &bp) != CAIRN_OK) {
		cli_error("node budget: cannot read %s/budget.db",
		    cfg->node.state_dir);
		goto out;
	}
	status = 0;
out:
	crn_budget_close(b);
	crn_config_free(cfg);
	return status;
}

/* 'cairn node pending | approve | reject' (argv[0] is the verb). */
static int
node_queue_cmd(int argc, char **argv)
{
	const char *config = NULL, *reason = NULL, *id_arg = NULL;
	bool all = false, pending = strcmp(argv[0], "pending") == 0;
	bool reject = strcmp(argv[0], "reject") == 0;
	/* --config, then --all (pending) or --reason (reject), then the
	 * table's end. */
	cli_opt opts[3] = {
	    {.name = "--config", .val = &config, .required = true},
	};
	const char *name = pending ? "node pending"
	    : reject               ? "node reject"
	                           : "node approve";
	const cli_cmd cmd = {name, opts, &id_arg, pending ? 0 : 1,
	    pending ? 0 : 1, "job number", node_usage};
	long long id = 0;
	char *end = NULL;
	int st;

	if (pending)
		opts[1] = (cli_opt){.name = "--all", .flag = &all};
	else if (reject)
		opts[1] = (cli_opt){.name = "--reason", .val = &reason};
	if ((st = cli_parse(&cmd, argc, argv)) >= 0)
		return st;
	if (!pending && ((id = strtoll(id_arg, &end, 10)) <= 0 || *end != '\0'))
		return cli_usage_error(name,
		    "want the job's number from 'cairn node pending', not '%s'",
		    id_arg);
	return node_approvals(config, argv[0], id, reason, all);
}

int
cmd_node(int argc, char **argv)
{
	const char *config = NULL, *pos[2] = {NULL, NULL};
	const char *datasets = NULL, *researchers = NULL;
	const cli_opt opts[] = {
	    {.name = "--config", .val = &config, .required = true},
	    {.name = "--datasets", .val = &datasets},
	    {.name = "--researchers", .val = &researchers},
	    {.name = NULL},
	};
	const cli_cmd cmd = {"node", opts, pos, 2, 0, NULL, node_usage};
	const char *what = pos[0];
	int st;

	if (argc >= 2 && (strcmp(argv[1], "pending") == 0 ||
	                     strcmp(argv[1], "approve") == 0 ||
	                     strcmp(argv[1], "reject") == 0))
		return node_queue_cmd(argc - 1, argv + 1);
	if ((st = cli_parse(&cmd, argc, argv)) >= 0)
		return st;
	what = pos[0];
	if (what != NULL && strcmp(what, "approve-code") == 0) {
		if (pos[1] == NULL)
			return cli_usage_error("node", "which PROGRAM.lua?");
		return node_approve(config, pos[1], datasets, researchers);
	}
	if (pos[1] != NULL ||
	    (what != NULL && strcmp(what, "check") != 0 &&
	        strcmp(what, "approvals") != 0 && strcmp(what, "budget") != 0))
		return cli_usage_error("node", "unexpected argument '%s'",
		    pos[1] != NULL ? pos[1] : what);
	if (datasets != NULL || researchers != NULL)
		return cli_usage_error(
		    "node", "--datasets and --researchers go with approve-code");
	if (what != NULL && strcmp(what, "approvals") == 0)
		return cli_code_approvals(config);
	if (what != NULL && strcmp(what, "budget") == 0)
		return node_budget(config);
	return what != NULL ? node_check(config) : crn_node_main(config);
}
