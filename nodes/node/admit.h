/*
 * admit.h — the node's admission policy as pure functions.
 *
 * Every rule the node applies to a job offer before it touches its data,
 * and to the cells the coordinator announces for the second pass, is
 * here: each takes the job, the node's policy and the clock as values and
 * returns a decision, the rule that decided it and one line saying why.
 * No I/O, no clock, no randomness: tests/unit/nodes/node/admit_test.c
 * checks every rule case by case, and node.c only calls these.
 */
#ifndef CRN_NODE_ADMIT_H
#define CRN_NODE_ADMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "proto/job.h"
#include "query/release.h"
#include "runtime/config.h"

/* Clock skew tolerated on a job's issue time, seconds. */
#define CRN_ADMIT_SKEW_S 300

/* The rule that refused (CRN_ADMIT_OK: admitted). */
typedef enum crn_admit_rule {
	CRN_ADMIT_OK = 0,
	CRN_ADMIT_TIME,         /* now outside [issued_at - skew, not_after] */
	CRN_ADMIT_LIFETIME,     /* validity longer than max_job_lifetime_ms */
	CRN_ADMIT_RESEARCHER,   /* researcher not in researchers = */
	CRN_ADMIT_DATASET,      /* no such dataset on this node */
	CRN_ADMIT_PARTICIPANTS, /* fewer nodes than min_participants */
	CRN_ADMIT_MAX_NODES,    /* more nodes than the schema's max_nodes */
	CRN_ADMIT_SESSION,      /* offer's session is not the job's pass 1 (model: round 1) */
	CRN_ADMIT_KIND,         /* a job kind this node cannot run */
	CRN_ADMIT_COLUMN,       /* a column sum over a column not exposed */
	CRN_ADMIT_DIM,          /* a column sum of the wrong length */
	CRN_ADMIT_PASS_ORDER,   /* cells announced before pass 1 ended */
	CRN_ADMIT_BINDING,      /* cells not bound to this job's passes */
	CRN_ADMIT_RELEASE,      /* cells break the release rule */
	CRN_ADMIT_ROSTER,       /* pass 2 roster outside the policy's range */
	CRN_ADMIT_DP,           /* DP asked or missing against require_dp */
} crn_admit_rule;

/* The node's policy: its [node] section (researchers, datasets,
 * min_participants, max_job_lifetime_ms, min_cell) and the federation
 * schema's bounds (0 each when the node has no schema). */
typedef struct crn_admit_policy {
	const crn_cfg_node *node;
	uint32_t schema_max_nodes;
	uint32_t schema_min_cell;
	bool have_schema;
} crn_admit_policy;

/* A job offer as the node sees it once the researcher's certificate and
 * the job's signature are checked. */
typedef struct crn_admit_offer {
	const crn_job *job;
	const char *researcher;    /* the certificate's name */
	uint32_t nodes;            /* the roster the coordinator offers */
	const uint8_t *session_id; /* the offer's session id */
	uint64_t now;              /* unix seconds */
} crn_admit_offer;

/* A decision.  why is one line for the operator's log and the refusal. */
typedef struct crn_admit {
	crn_admit_rule rule;
	const crn_cfg_dataset *ds; /* the job's dataset, once found */
	char why[256];
} crn_admit;

/*
 * Admit or refuse a job offer.  Rules in order: TIME, LIFETIME,
 * RESEARCHER, DATASET, PARTICIPANTS, MAX_NODES, DP, SESSION.  DP refuses
 * a query or column sum without noise (dp_epsilon 0) when the policy has
 * require_dp, an (epsilon, delta) outside crn_dp_request_ok, and a code
 * job asking for noise (a program's output has no per-record bound to
 * size it by; an approved program is released as its operators approved
 * it, require_dp or not).  Returns
 * CAIRN_OK (out->ds is the dataset), CAIRN_EEXPIRED or
 * CAIRN_ENOTYET (TIME), CAIRN_EPERM, or CAIRN_EPROTO (SESSION).
 */
CAIRN_NODISCARD cairn_err crn_admit_job(
    const crn_admit_policy *p, const crn_admit_offer *o, crn_admit *out);

/*
 * The rules of a column-sum job over dataset ds: KIND (CAIRN_ENOTSUP
 * unless the job is a column sum), COLUMN (CAIRN_EPERM), DIM
 * (CAIRN_EINVAL).
 */
CAIRN_NODISCARD cairn_err crn_admit_sum(
    const crn_cfg_dataset *ds, const crn_job *job, crn_admit *out);

/*
 * Must an admitted job of researcher on dataset ds (may be NULL) wait in
 * the approval queue for the node's operator?  Yes when the researcher is
 * in [policy] approve_manual, else as the dataset's approve = says, else
 * as [policy] approve = says.
 */
bool crn_admit_manual(const crn_admit_policy *p, const crn_cfg_dataset *ds,
    const char *researcher);

/* The threshold the node applies to what it contributes: the largest of
 * its policy's, its schema's and the plan's min_cell. */
uint32_t crn_admit_min_cell(const crn_admit_policy *p, uint32_t plan_min_cell);

/* The cells the coordinator announces for the second pass, and what the
 * node knows of the job. */
typedef struct crn_admit_cells {
	bool between;              /* pass 1 ended here */
	const uint8_t *job_id;     /* CRN_JOB_ID_LEN bytes */
	const uint8_t *session_id; /* the announcement's session */
	const crn_plan *plan;
	const crn_release *rel;
	uint32_t max_nodes; /* largest roster accepted; 0: any */
} crn_admit_cells;

/*
 * Admit or refuse the second pass: PASS_ORDER, BINDING, RELEASE
 * (CAIRN_EPROTO each), ROSTER (CAIRN_EPERM: fewer nodes than
 * min_participants or more than max_nodes).
 */
CAIRN_NODISCARD cairn_err crn_admit_pass2(
    const crn_admit_policy *p, const crn_admit_cells *c, crn_admit *out);

/* Whether the policy's researchers = lists name. */
bool crn_admit_researcher(const crn_cfg_node *n, const char *name);

/* "lifetime", "researcher", ...: the rule's name, for logs and tests. */
const char *crn_admit_rule_name(crn_admit_rule rule);

#endif /* CRN_NODE_ADMIT_H */
