/*
 * admit_test.c — the node's admission rules (nodes/node/admit.h), one
 * case or more per rule: each test starts from an offer every rule admits
 * and breaks exactly one thing, then checks the error, the rule named and
 * the reason the operator reads.  Boundaries are tested on both sides.
 */
#include <string.h>

#include "cairn_test.h"
#include "model/model.h"
#include "node/admit.h"
#include "query/release.h"
#include "query/sql_plan.h"
#include "runtime/query_sql.h"
#include "runtime/rt.h"

#define NOW 1700000000u

static char *researchers[] = {"alice", "bob"};
static char dsname[] = "patients", colname[] = "age", otherds[] = "claims",
            badcol[] = "name", income[] = "income";
static char *expose[] = {colname, income};

typedef struct fix {
	crn_cfg_dataset ds;
	crn_cfg_node node;
	crn_admit_policy pol;
	crn_job job;
	uint8_t sid[CAIRN_SESSION_ID_LEN];
	crn_admit_offer offer;
	crn_admit out;
} fix;

static void
fix_init(fix *f)
{
	memset(f, 0, sizeof(*f));
	f->ds.name = dsname;
	f->ds.expose = expose;
	f->ds.nexpose = 2;
	f->node.researchers = researchers;
	f->node.nresearchers = 2;
	f->node.datasets = &f->ds;
	f->node.ndatasets = 1;
	f->node.min_participants = 3;
	f->node.max_job_lifetime_ms = 3600 * 1000;
	f->node.min_cell = 5;
	f->pol.node = &f->node;
	f->pol.have_schema = true;
	f->pol.schema_max_nodes = 10;
	f->pol.schema_min_cell = 7;
	memset(f->job.job_id, 0x5a, CRN_JOB_ID_LEN);
	f->job.kind = CRN_JOB_SUM_COLUMN;
	f->job.dataset = dsname;
	f->job.column = colname;
	f->job.dim = CRN_RT_SUM_DIM;
	f->job.ring_bits = 64;
	f->job.issued_at = NOW - 10;
	f->job.not_after = NOW + 600;
	assert_int_equal(crn_release_session_id(
	                     f->sid, f->job.job_id, CRN_RELEASE_PASS_COUNTS),
	    CAIRN_OK);
	f->offer.job = &f->job;
	f->offer.researcher = "alice";
	f->offer.nodes = 3;
	f->offer.session_id = f->sid;
	f->offer.now = NOW;
}

/* Run crn_admit_job and check its error and rule. */
static void
expect(fix *f, cairn_err rv, crn_admit_rule rule)
{
	CAIRN_T_FAIL(crn_admit_job(&f->pol, &f->offer, &f->out), rv);
	assert_string_equal(
	    crn_admit_rule_name(f->out.rule), crn_admit_rule_name(rule));
	if (rv == CAIRN_OK)
		assert_string_equal(f->out.why, "");
	else
		assert_true(strlen(f->out.why) > 0);
}

static void
test_admits(void **state)
{
	fix f;

	(void)state;
	fix_init(&f);
	expect(&f, CAIRN_OK, CRN_ADMIT_OK);
	assert_ptr_equal(f.out.ds, &f.ds);
}

static void
test_time(void **state)
{
	fix f;

	(void)state;
	fix_init(&f);
	f.offer.now = f.job.not_after + 1;
	expect(&f, CAIRN_EEXPIRED, CRN_ADMIT_TIME);
	assert_string_equal(f.out.why, "job expired");
	f.offer.now = f.job.not_after; /* the last second is still valid */
	expect(&f, CAIRN_OK, CRN_ADMIT_OK);
	/* Issued in the future, beyond the tolerated skew. */
	fix_init(&f);
	f.job.issued_at = NOW + CRN_ADMIT_SKEW_S + 1;
	f.job.not_after = f.job.issued_at + 60;
	expect(&f, CAIRN_ENOTYET, CRN_ADMIT_TIME);
	assert_string_equal(f.out.why, "job not yet valid");
	f.job.issued_at = NOW + CRN_ADMIT_SKEW_S;
	expect(&f, CAIRN_OK, CRN_ADMIT_OK);
}

static void
test_lifetime(void **state)
{
	fix f;

	(void)state;
	fix_init(&f);
	f.job.issued_at = NOW - 10;
	f.job.not_after = f.job.issued_at + 3600; /* exactly the cap */
	expect(&f, CAIRN_OK, CRN_ADMIT_OK);
	f.job.not_after++;
	expect(&f, CAIRN_EPERM, CRN_ADMIT_LIFETIME);
	assert_non_null(
	    strstr(f.out.why, "job valid for 3601 s, policy allows 3600 s"));
	/* Ends before it starts. */
	fix_init(&f);
	f.job.issued_at = NOW;
	f.job.not_after = NOW - 1;
	f.offer.now = NOW - 2;
	expect(&f, CAIRN_EPERM, CRN_ADMIT_LIFETIME);
}

static void
test_researcher(void **state)
{
	fix f;

	(void)state;
	fix_init(&f);
	f.offer.researcher = "bob";
	expect(&f, CAIRN_OK, CRN_ADMIT_OK);
	f.offer.researcher = "mallory";
	expect(&f, CAIRN_EPERM, CRN_ADMIT_RESEARCHER);
	assert_string_equal(f.out.why, "researcher 'mallory' not in policy");
	/* Names match whole, not as prefixes. */
	f.offer.researcher = "alic";
	expect(&f, CAIRN_EPERM, CRN_ADMIT_RESEARCHER);
	f.node.nresearchers = 0;
	f.offer.researcher = "alice";
	expect(&f, CAIRN_EPERM, CRN_ADMIT_RESEARCHER);
}

static void
test_dataset(void **state)
{
	fix f;

	(void)state;
	fix_init(&f);
	f.job.dataset = otherds;
	expect(&f, CAIRN_EPERM, CRN_ADMIT_DATASET);
	assert_string_equal(f.out.why, "no dataset 'claims' here");
	assert_null(f.out.ds);
}

/* DP: require_dp refuses a query or sum without noise, admits one with
 * it; out-of-range (epsilon, delta) are refused; a code job may not ask
 * for noise and is not held to require_dp (admit.h). */
static void
test_dp(void **state)
{
	fix f;

	(void)state;
	fix_init(&f);
	f.node.require_dp = true;
	expect(&f, CAIRN_EPERM, CRN_ADMIT_DP);
	assert_string_equal(f.out.why,
	    "this node requires differential privacy (require_dp): ask with --epsilon");
	f.job.dp_epsilon = 1;
	f.job.dp_delta = 1e-6;
	expect(&f, CAIRN_OK, CRN_ADMIT_OK);
	f.job.dp_epsilon = 100;
	expect(&f, CAIRN_OK, CRN_ADMIT_OK);
	f.job.dp_epsilon = 100.5;
	expect(&f, CAIRN_EPERM, CRN_ADMIT_DP);
	f.job.dp_epsilon = 1;
	f.job.dp_delta = 0.5;
	expect(&f, CAIRN_EPERM, CRN_ADMIT_DP);
	f.job.dp_delta = 0;
	expect(&f, CAIRN_EPERM, CRN_ADMIT_DP);
	/* Without require_dp, no noise is admitted too. */
	f.node.require_dp = false;
	f.job.dp_epsilon = 0;
	expect(&f, CAIRN_OK, CRN_ADMIT_OK);
	/* A code job: noise from its declared bounds, under the same rule
	 * (require_dp refuses one that asks none; a bad request refused). */
	f.job.kind = CRN_JOB_CODE;
	f.node.require_dp = true;
	expect(&f, CAIRN_EPERM, CRN_ADMIT_DP);
	assert_non_null(strstr(f.out.why, "require_dp"));
	f.job.dp_epsilon = 1;
	f.job.dp_delta = 1e-6;
	expect(&f, CAIRN_OK, CRN_ADMIT_OK);
	f.job.dp_delta = 0.7;
	expect(&f, CAIRN_EPERM, CRN_ADMIT_DP);
	/* A model job: under the same rule (its rounds are noised from the
	 * terms' ranges); require_dp refuses one that asks none. */
	f.job.kind = CRN_JOB_MODEL;
	assert_int_equal(
	    crn_model_session_id(f.sid, f.job.job_id, 1), CAIRN_OK);
	expect(&f, CAIRN_EPERM, CRN_ADMIT_DP); /* delta 0.7 */
	f.job.dp_delta = 1e-6;
	expect(&f, CAIRN_OK, CRN_ADMIT_OK);
	f.job.dp_epsilon = 0;
	f.job.dp_delta = 0;
	expect(&f, CAIRN_EPERM, CRN_ADMIT_DP);
	f.node.require_dp = false;
	expect(&f, CAIRN_OK, CRN_ADMIT_OK);
	assert_string_equal(crn_admit_rule_name(CRN_ADMIT_DP), "dp");
}

static void
test_participants(void **state)
{
	fix f;

	(void)state;
	fix_init(&f);
	f.offer.nodes = 2;
	expect(&f, CAIRN_EPERM, CRN_ADMIT_PARTICIPANTS);
	assert_string_equal(f.out.why, "2 nodes offered, policy needs 3");
}

static void
test_max_nodes(void **state)
{
	fix f;

	(void)state;
	fix_init(&f);
	f.offer.nodes = 10;
	expect(&f, CAIRN_OK, CRN_ADMIT_OK);
	f.offer.nodes = 11;
	expect(&f, CAIRN_EPERM, CRN_ADMIT_MAX_NODES);
	assert_non_null(strstr(f.out.why, "at most 10"));
	/* No schema: no bound from it. */
	f.pol.have_schema = false;
	expect(&f, CAIRN_OK, CRN_ADMIT_OK);
}

static void
test_session(void **state)
{
	fix f;
	uint8_t other[CAIRN_SESSION_ID_LEN];

	(void)state;
	fix_init(&f);
	/* The second pass's session offered as the first. */
	assert_int_equal(crn_release_session_id(
	                     other, f.job.job_id, CRN_RELEASE_PASS_FIGURES),
	    CAIRN_OK);
	f.offer.session_id = other;
	expect(&f, CAIRN_EPROTO, CRN_ADMIT_SESSION);
	/* A session of the coordinator's own choosing. */
	memset(other, 0, sizeof(other));
	expect(&f, CAIRN_EPROTO, CRN_ADMIT_SESSION);
}

/* A model job's offer opens round 1 of its rounds: that session, not a
 * query's first pass nor a later round's. */
static void
test_session_model(void **state)
{
	fix f;
	uint8_t sid[CAIRN_SESSION_ID_LEN];

	(void)state;
	fix_init(&f);
	f.job.kind = CRN_JOB_MODEL;
	expect(&f, CAIRN_EPROTO, CRN_ADMIT_SESSION);
	assert_int_equal(crn_model_session_id(sid, f.job.job_id, 1), CAIRN_OK);
	f.offer.session_id = sid;
	expect(&f, CAIRN_OK, CRN_ADMIT_OK);
	/* Round 2 offered as the first, and the end-of-fit session. */
	assert_int_equal(crn_model_session_id(sid, f.job.job_id, 2), CAIRN_OK);
	expect(&f, CAIRN_EPROTO, CRN_ADMIT_SESSION);
	assert_int_equal(crn_model_session_id(sid, f.job.job_id, 0), CAIRN_OK);
	expect(&f, CAIRN_EPROTO, CRN_ADMIT_SESSION);
	/* A query's pass 1 session is not a model's round 1. */
	f.job.kind = CRN_JOB_QUERY;
	assert_int_equal(crn_model_session_id(sid, f.job.job_id, 1), CAIRN_OK);
	expect(&f, CAIRN_EPROTO, CRN_ADMIT_SESSION);
}

/* Rules run in order: an offer breaking two is refused by the first. */
static void
test_order(void **state)
{
	fix f;

	(void)state;
	fix_init(&f);
	f.offer.researcher = "mallory";
	f.offer.nodes = 1;
	expect(&f, CAIRN_EPERM, CRN_ADMIT_RESEARCHER);
}

static void
test_sum(void **state)
{
	fix f;

	(void)state;
	fix_init(&f);
	CAIRN_T_PASS(crn_admit_sum(&f.ds, &f.job, &f.out));
	f.job.column = badcol;
	CAIRN_T_FAIL(crn_admit_sum(&f.ds, &f.job, &f.out), CAIRN_EPERM);
	assert_int_equal(f.out.rule, CRN_ADMIT_COLUMN);
	assert_string_equal(f.out.why, "column 'name' not exposed");
	f.job.column = income;
	f.job.dim = CRN_RT_SUM_DIM + 1;
	CAIRN_T_FAIL(crn_admit_sum(&f.ds, &f.job, &f.out), CAIRN_EINVAL);
	assert_int_equal(f.out.rule, CRN_ADMIT_DIM);
	f.job.kind = (crn_job_kind)99;
	CAIRN_T_FAIL(crn_admit_sum(&f.ds, &f.job, &f.out), CAIRN_ENOTSUP);
	assert_int_equal(f.out.rule, CRN_ADMIT_KIND);
}

static void
test_min_cell(void **state)
{
	fix f;

	(void)state;
	fix_init(&f);
	/* The largest of the node's (5), the schema's (7), the plan's. */
	assert_int_equal(crn_admit_min_cell(&f.pol, 0), 7);
	assert_int_equal(crn_admit_min_cell(&f.pol, 9), 9);
	f.pol.have_schema = false;
	assert_int_equal(crn_admit_min_cell(&f.pol, 0), 5);
	f.node.min_cell = 11;
	assert_int_equal(crn_admit_min_cell(&f.pol, 9), 11);
}

/* Second pass: a job after pass 1, its cells and the policy. */
typedef struct fix2 {
	fix f;
	crn_plan *plan;
	crn_release rel;
	uint64_t groups[1];
	uint64_t counts[2];
	uint8_t sid2[CAIRN_SESSION_ID_LEN];
	crn_admit_cells c;
} fix2;

static void
fix2_init(fix2 *g)
{
	memset(g, 0, sizeof(*g));
	fix_init(&g->f);
	CAIRN_T_PASS(crn_q_sum_plan("patients", "age", 64, 5, &g->plan));
	g->rel.nmeasures = (uint32_t)g->plan->nmeasures;
	g->rel.min_cell = 5;
	g->rel.nodes = 3;
	memcpy(g->rel.job_id, g->f.job.job_id, CRN_JOB_ID_LEN);
	memcpy(g->rel.counts_sid, g->f.sid, CAIRN_SESSION_ID_LEN);
	assert_int_equal(crn_release_session_id(g->sid2, g->f.job.job_id,
	                     CRN_RELEASE_PASS_FIGURES),
	    CAIRN_OK);
	g->c.between = true;
	g->c.job_id = g->f.job.job_id;
	g->c.session_id = g->sid2;
	g->c.plan = g->plan;
	g->c.rel = &g->rel;
	g->c.max_nodes = 10;
}

static void
expect2(fix2 *g, cairn_err rv, crn_admit_rule rule)
{
	CAIRN_T_FAIL(crn_admit_pass2(&g->f.pol, &g->c, &g->f.out), rv);
	assert_string_equal(
	    crn_admit_rule_name(g->f.out.rule), crn_admit_rule_name(rule));
}

static void
test_pass2(void **state)
{
	fix2 g;

	(void)state;
	fix2_init(&g);
	expect2(&g, CAIRN_OK, CRN_ADMIT_OK);
	g.c.between = false;
	expect2(&g, CAIRN_EPROTO, CRN_ADMIT_PASS_ORDER);
	g.c.between = true;
	/* The announcement on pass 1's session, or pass 1 of another job. */
	g.c.session_id = g.f.sid;
	expect2(&g, CAIRN_EPROTO, CRN_ADMIT_BINDING);
	g.c.session_id = g.sid2;
	g.rel.counts_sid[0] ^= 1;
	expect2(&g, CAIRN_EPROTO, CRN_ADMIT_BINDING);
	g.rel.counts_sid[0] ^= 1;
	/* A cell of 1 row asked for: below min_cell. */
	g.groups[0] = 0;
	g.counts[0] = 1;
	g.rel.groups = g.groups;
	g.rel.counts = g.counts;
	g.rel.ngroups = 1;
	expect2(&g, CAIRN_EPROTO, CRN_ADMIT_RELEASE);
	g.rel.ngroups = 0;
	/* The roster: min_participants (3) to max_nodes (10). */
	g.rel.nodes = 2;
	expect2(&g, CAIRN_EPERM, CRN_ADMIT_ROSTER);
	assert_string_equal(
	    g.f.out.why, "2 nodes in the second pass, policy needs 3 to 10");
	g.rel.nodes = 11;
	expect2(&g, CAIRN_EPERM, CRN_ADMIT_ROSTER);
	g.rel.nodes = 10;
	expect2(&g, CAIRN_OK, CRN_ADMIT_OK);
	g.c.max_nodes = 0; /* no schema: no upper bound */
	g.rel.nodes = 1000;
	expect2(&g, CAIRN_OK, CRN_ADMIT_OK);
	crn_plan_free(g.plan);
}

static void
test_rule_names(void **state)
{
	(void)state;
	assert_string_equal(
	    crn_admit_rule_name(CRN_ADMIT_LIFETIME), "lifetime");
	assert_string_equal(crn_admit_rule_name(CRN_ADMIT_ROSTER), "roster");
	assert_string_equal(crn_admit_rule_name((crn_admit_rule)999), "?");
}

/* Manual approval: the researcher's list wins, then the dataset's
 * approve =, then the policy's; a job admitted by every other rule still
 * waits when one of them says manual. */
static void
test_manual(void **state)
{
	static char *manual[] = {"bob"};
	fix f;

	(void)state;
	fix_init(&f);
	expect(&f, CAIRN_OK, CRN_ADMIT_OK);
	assert_false(crn_admit_manual(&f.pol, f.out.ds, "alice"));
	f.node.approve_manual = true;
	assert_true(crn_admit_manual(&f.pol, f.out.ds, "alice"));
	assert_true(crn_admit_manual(&f.pol, NULL, "alice"));
	f.ds.approve = CRN_CFG_APPROVE_AUTO;
	assert_false(crn_admit_manual(&f.pol, &f.ds, "alice"));
	f.node.manual_researchers = manual;
	f.node.nmanual_researchers = 1;
	assert_true(crn_admit_manual(&f.pol, &f.ds, "bob"));
	assert_false(crn_admit_manual(&f.pol, &f.ds, "alice"));
	f.node.approve_manual = false;
	f.ds.approve = CRN_CFG_APPROVE_MANUAL;
	assert_true(crn_admit_manual(&f.pol, &f.ds, "alice"));
	f.ds.approve = CRN_CFG_APPROVE_POLICY;
	assert_false(crn_admit_manual(&f.pol, &f.ds, "alice"));
	assert_true(crn_admit_manual(&f.pol, &f.ds, "bob"));
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_admits),
    cmocka_unit_test(test_time),
    cmocka_unit_test(test_lifetime),
    cmocka_unit_test(test_researcher),
    cmocka_unit_test(test_dataset),
    cmocka_unit_test(test_participants),
    cmocka_unit_test(test_dp),
    cmocka_unit_test(test_max_nodes),
    cmocka_unit_test(test_session),
    cmocka_unit_test(test_session_model),
    cmocka_unit_test(test_order),
    cmocka_unit_test(test_sum),
    cmocka_unit_test(test_min_cell),
    cmocka_unit_test(test_pass2),
    cmocka_unit_test(test_manual),
    cmocka_unit_test(test_rule_names),
};

CAIRN_TEST_MAIN(tests)
