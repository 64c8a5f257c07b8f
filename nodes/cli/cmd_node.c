/*
 * cmd_node.c — 'cairn node --config FILE' (the daemon) and
 * 'cairn node check --config FILE' (validate everything the daemon needs
 * and say exactly what is wrong).
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "base/crn.h"
#include "cli/cmds.h"
#include "node/approvals.h"
#include "node/node.h"
#include "query/schema.h"
#include "runtime/config.h"
#include "runtime/rt.h"

static int
node_usage(void)
{
	printf(
	    "usage: cairn node --config FILE\n"
	    "       cairn node check --config FILE\n"
	    "       cairn node pending --config FILE [--all]\n"
	    "       cairn node approve ID --config FILE\n"
	    "       cairn node reject ID [--reason TEXT] --config FILE\n"
	    "Run a node daemon: dials the coordinator, verifies every job "
	    "itself and\ntakes part in secure aggregation over its own data.  "
	    "'check' validates\nthe configuration, key, certificate and data "
	    "sources and exits 1 on any\nproblem.\n"
	    "'pending' lists the jobs waiting for the operator's approval (policy\n"
	    "approve = manual; --all: every decision too); 'approve' lets the daemon\n"
	    "run job ID, 'reject' refuses it (the researcher sees the reason).  A job\n"
	    "not decided before its validity ends is refused as expired.\n");
	return 0;
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
		printf("FAIL schema not set in [node]: SQL jobs are refused "
		       "without the federation schema\n");
		bad = 1;
	} else if ((rv = crn_schema_load(cfg->node.schema, &schema, err,
	                sizeof(err))) != CAIRN_OK) {
		printf("FAIL schema %s\n",
		    rv == CAIRN_ENOENT ? cfg->node.schema : err);
		bad = 1;
	} else {
		printf("ok   schema %s\n", cfg->node.schema);
	}
	for (size_t i = 0; i < cfg->node.ndatasets; i++) {
		const crn_cfg_dataset *ds = &cfg->node.datasets[i];
		crn_node_src src;
		char **ms = NULL, **ml = NULL;

		if (crn_node_src_from_config(ds, &src, &ms, &ml) != CAIRN_OK) {
			printf("FAIL out of memory\n");
			bad = 1;
			break;
		}
		if (schema != NULL &&
		    crn_schema_dataset(schema, ds->name) == NULL) {
			printf("FAIL dataset %s: not in the schema %s\n",
			    ds->name, cfg->node.schema);
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
			    ds->kind == CRN_SRC_CSV          ? "csv"
			        : ds->kind == CRN_SRC_SQLITE ? "sqlite"
			                                     : "postgres",
			    ds->kind == CRN_SRC_PG ? ds->table : ds->path);
		}
		crn_free(ms, src.nmap * sizeof(char *));
		crn_free(ml, src.nmap * sizeof(char *));
	}
	if (cfg->node.ndatasets == 0) {
		printf("FAIL no [dataset NAME] section: nothing to serve\n");
		bad = 1;
	}
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

/* pending | approve ID | reject ID [--reason TEXT] */
static int
node_approvals(const char *path, const char *verb, const char *id_arg,
    const char *reason, bool all)
{
	crn_config *cfg = NULL;
	crn_approvals *a = NULL;
	char err[1024];
	long long id = 0;
	char *end = NULL;
	int n = 0, status = 1;
	cairn_err rv;

	if (strcmp(verb, "pending") != 0) {
		if (id_arg == NULL || (id = strtoll(id_arg, &end, 10)) <= 0 ||
		    *end != '\0') {
			cli_error("node %s: want the job's number from 'cairn node pending', not '%s'",
			    verb, id_arg != NULL ? id_arg : "");
			return 2;
		}
	}
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

int
cmd_node(int argc, char **argv)
{
	const char *config = NULL, *verb = NULL, *id = NULL, *reason = NULL;
	bool check = false, all = false;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
			config = argv[++i];
		} else if (i == 1 && (strcmp(argv[i], "pending") == 0 ||
		                         strcmp(argv[i], "approve") == 0 ||
		                         strcmp(argv[i], "reject") == 0)) {
			verb = argv[i];
		} else if (verb != NULL && strcmp(verb, "reject") == 0 &&
		    strcmp(argv[i], "--reason") == 0 && i + 1 < argc) {
			reason = argv[++i];
		} else if (verb != NULL && strcmp(verb, "pending") == 0 &&
		    strcmp(argv[i], "--all") == 0) {
			all = true;
		} else if (verb != NULL && strcmp(verb, "pending") != 0 &&
		    id == NULL && argv[i][0] != '-') {
			id = argv[i];
		} else if (strcmp(argv[i], "check") == 0 && i == 1) {
			check = true;
		} else if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0) {
			return node_usage();
		} else {
			cli_error("node: unknown argument '%s'", argv[i]);
			return 2;
		}
	}
	if (config == NULL) {
		cli_error("node: --config FILE is required");
		return 2;
	}
	if (verb != NULL)
		return node_approvals(config, verb, id, reason, all);
	return check ? node_check(config) : crn_node_main(config);
}
