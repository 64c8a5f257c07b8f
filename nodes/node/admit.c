/*
 * admit.c — the node's admission rules (admit.h).  Pure: every input is
 * an argument, so each rule is unit-tested alone.
 */
#include <stdio.h>
#include <string.h>

#include "crypto/crypto.h"
#include "model/model.h"
#include "node/admit.h"
#include "query/dp_account.h"
#include "query/job.h"
#include "query/sql_plan.h"
#include "runtime/rt.h"

static bool
admit_in(char *const *list, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++) {
		if (strcmp(list[i], name) == 0)
			return true;
	}
	return false;
}

static cairn_err
admit_refuse(crn_admit *out, crn_admit_rule rule, cairn_err rv)
{
	out->rule = rule;
	return rv;
}

static const crn_cfg_dataset *
admit_dataset(const crn_cfg_node *n, const char *name)
{
	for (size_t i = 0; i < n->ndatasets; i++)
		if (strcmp(n->datasets[i].name, name) == 0)
			return &n->datasets[i];
	return NULL;
}

bool
crn_admit_researcher(const crn_cfg_node *n, const char *name)
{
	return admit_in(n->researchers, n->nresearchers, name);
}

/* The DP rule (admit.h): noise where the policy requires it (code jobs
 * and fits too: their noise comes from the declared bounds) and a sane
 * (epsilon, delta). */
static cairn_err
admit_dp(const crn_cfg_node *n, const crn_job *job, crn_admit *out)
{
	if (job->dp_epsilon == 0 && n->require_dp) {
		snprintf(out->why, sizeof(out->why),
		    "this node requires differential privacy (require_dp): ask with --epsilon");
		return admit_refuse(out, CRN_ADMIT_DP, CAIRN_EPERM);
	}
	if (job->dp_epsilon != 0 &&
	    !crn_dp_request_ok(job->dp_epsilon, job->dp_delta)) {
		snprintf(out->why, sizeof(out->why),
		    "DP epsilon %g, delta %g: want epsilon in (0, 100] and delta in (0, 0.5)",
		    job->dp_epsilon, job->dp_delta);
		return admit_refuse(out, CRN_ADMIT_DP, CAIRN_EPERM);
	}
	return CAIRN_OK;
}

cairn_err
crn_admit_job(
    const crn_admit_policy *p, const crn_admit_offer *o, crn_admit *out)
{
	const crn_cfg_node *n = p->node;
	const crn_job *job = o->job;
	uint8_t sid[CAIRN_SESSION_ID_LEN];
	cairn_err rv;

	memset(out, 0, sizeof(*out));
	if ((rv = crn_job_check_time(job, o->now, CRN_ADMIT_SKEW_S)) !=
	    CAIRN_OK) {
		snprintf(out->why, sizeof(out->why), "job %s",
		    rv == CAIRN_EEXPIRED ? "expired" : "not yet valid");
		return admit_refuse(out, CRN_ADMIT_TIME, rv);
	}
	/* A long validity window gives a coordinator a long time to replay
	 * the job; the ledger stops repeats here, the cap bounds the window
	 * for nodes that never saw the first run. */
	if (job->not_after < job->issued_at ||
	    job->not_after - job->issued_at > n->max_job_lifetime_ms / 1000) {
		snprintf(out->why, sizeof(out->why),
		    "job valid for %llu s, policy allows %u s (max_job_lifetime_ms)",
		    (unsigned long long)(job->not_after - job->issued_at),
		    n->max_job_lifetime_ms / 1000);
		return admit_refuse(out, CRN_ADMIT_LIFETIME, CAIRN_EPERM);
	}
	if (!admit_in(n->researchers, n->nresearchers, o->researcher)) {
		snprintf(out->why, sizeof(out->why),
		    "researcher '%s' not in policy", o->researcher);
		return admit_refuse(out, CRN_ADMIT_RESEARCHER, CAIRN_EPERM);
	}
	if ((out->ds = admit_dataset(n, job->dataset)) == NULL) {
		snprintf(out->why, sizeof(out->why), "no dataset '%s' here",
		    job->dataset);
		return admit_refuse(out, CRN_ADMIT_DATASET, CAIRN_EPERM);
	}
	if (o->nodes < n->min_participants) {
		snprintf(out->why, sizeof(out->why),
		    "%u nodes offered, policy needs %u", o->nodes,
		    n->min_participants);
		return admit_refuse(out, CRN_ADMIT_PARTICIPANTS, CAIRN_EPERM);
	}
	/* Ring widths are sized for the schema's max_nodes: a larger
	 * federation could wrap a sum. */
	if (p->have_schema && o->nodes > p->schema_max_nodes) {
		snprintf(out->why, sizeof(out->why),
		    "%u nodes offered, the federation schema allows at most %u (max_nodes sizes the ring width)",
		    o->nodes, p->schema_max_nodes);
		return admit_refuse(out, CRN_ADMIT_MAX_NODES, CAIRN_EPERM);
	}
	if ((rv = admit_dp(n, job, out)) != CAIRN_OK)
		return rv;
	/* The passes' sessions are the job's, not the coordinator's pick: a
	 * model's rounds are sessions 1, 2, ... of its job (round 1 is the
	 * offer), a query's the counts pass then the figures pass. */
	if ((job->kind == CRN_JOB_MODEL
	            ? crn_model_session_id(sid, job->job_id, 1)
	            : crn_release_session_id(sid, job->job_id,
	                  CRN_RELEASE_PASS_COUNTS)) != CAIRN_OK ||
	    !crn_ct_eq(sid, o->session_id, CAIRN_SESSION_ID_LEN)) {
		snprintf(out->why, sizeof(out->why),
		    "the offer's session is not the job's first pass");
		return admit_refuse(out, CRN_ADMIT_SESSION, CAIRN_EPROTO);
	}
	return CAIRN_OK;
}

cairn_err
crn_admit_sum(const crn_cfg_dataset *ds, const crn_job *job, crn_admit *out)
{
	memset(out, 0, sizeof(*out));
	out->ds = ds;
	if (job->kind != CRN_JOB_SUM_COLUMN) {
		snprintf(out->why, sizeof(out->why), "unknown job kind");
		return admit_refuse(out, CRN_ADMIT_KIND, CAIRN_ENOTSUP);
	}
	if (!admit_in(ds->expose, ds->nexpose, job->column)) {
		snprintf(out->why, sizeof(out->why), "column '%s' not exposed",
		    job->column);
		return admit_refuse(out, CRN_ADMIT_COLUMN, CAIRN_EPERM);
	}
	if (job->dim != CRN_RT_SUM_DIM) {
		snprintf(out->why, sizeof(out->why), "bad vector length");
		return admit_refuse(out, CRN_ADMIT_DIM, CAIRN_EINVAL);
	}
	return CAIRN_OK;
}

uint32_t
crn_admit_min_cell(const crn_admit_policy *p, uint32_t plan_min_cell)
{
	uint32_t mc = p->node->min_cell;

	if (p->have_schema && p->schema_min_cell > mc)
		mc = p->schema_min_cell;
	if (plan_min_cell > mc)
		mc = plan_min_cell;
	return mc;
}

cairn_err
crn_admit_pass2(
    const crn_admit_policy *p, const crn_admit_cells *c, crn_admit *out)
{
	uint8_t sid1[CAIRN_SESSION_ID_LEN], sid2[CAIRN_SESSION_ID_LEN];
	const crn_release *rel = c->rel;
	uint32_t need = p->node->min_participants;

	memset(out, 0, sizeof(*out));
	if (!c->between) {
		snprintf(out->why, sizeof(out->why),
		    "cells to release before the counts pass ended here");
		return admit_refuse(out, CRN_ADMIT_PASS_ORDER, CAIRN_EPROTO);
	}
	if (crn_release_session_id(sid1, c->job_id, CRN_RELEASE_PASS_COUNTS) !=
	        CAIRN_OK ||
	    crn_release_session_id(sid2, c->job_id, CRN_RELEASE_PASS_FIGURES) !=
	        CAIRN_OK ||
	    !crn_ct_eq(sid1, rel->counts_sid, CAIRN_SESSION_ID_LEN) ||
	    !crn_ct_eq(sid2, c->session_id, CAIRN_SESSION_ID_LEN)) {
		snprintf(out->why, sizeof(out->why),
		    "the cells are not bound to this job's passes");
		return admit_refuse(out, CRN_ADMIT_BINDING, CAIRN_EPROTO);
	}
	if (crn_release_check(c->plan, rel) != CAIRN_OK) {
		snprintf(out->why, sizeof(out->why),
		    "the cells announced break the release rule (a group below min_cell, or counts the plan cannot give)");
		return admit_refuse(out, CRN_ADMIT_RELEASE, CAIRN_EPROTO);
	}
	if (rel->nodes < need ||
	    (c->max_nodes > 0 && rel->nodes > c->max_nodes)) {
		snprintf(out->why, sizeof(out->why),
		    "%u nodes in the second pass, policy needs %u to %u",
		    rel->nodes, need, c->max_nodes);
		return admit_refuse(out, CRN_ADMIT_ROSTER, CAIRN_EPERM);
	}
	return CAIRN_OK;
}

bool
crn_admit_manual(const crn_admit_policy *p, const crn_cfg_dataset *ds,
    const char *researcher)
{
	const crn_cfg_node *n = p->node;

	if (researcher != NULL &&
	    admit_in(n->manual_researchers, n->nmanual_researchers, researcher))
		return true;
	if (ds != NULL && ds->approve != CRN_CFG_APPROVE_POLICY)
		return ds->approve == CRN_CFG_APPROVE_MANUAL;
	return n->approve_manual;
}

const char *
crn_admit_rule_name(crn_admit_rule rule)
{
	static const char *const names[] = {
	    [CRN_ADMIT_OK] = "admitted",
	    [CRN_ADMIT_TIME] = "time",
	    [CRN_ADMIT_LIFETIME] = "lifetime",
	    [CRN_ADMIT_RESEARCHER] = "researcher",
	    [CRN_ADMIT_DATASET] = "dataset",
	    [CRN_ADMIT_PARTICIPANTS] = "participants",
	    [CRN_ADMIT_MAX_NODES] = "max_nodes",
	    [CRN_ADMIT_SESSION] = "session",
	    [CRN_ADMIT_KIND] = "kind",
	    [CRN_ADMIT_COLUMN] = "column",
	    [CRN_ADMIT_DIM] = "dim",
	    [CRN_ADMIT_PASS_ORDER] = "pass_order",
	    [CRN_ADMIT_BINDING] = "binding",
	    [CRN_ADMIT_RELEASE] = "release",
	    [CRN_ADMIT_ROSTER] = "roster",
	    [CRN_ADMIT_DP] = "dp",
	};

	if ((size_t)rule >= sizeof(names) / sizeof(names[0]) ||
	    names[rule] == NULL)
		return "?";
	return names[rule];
}
