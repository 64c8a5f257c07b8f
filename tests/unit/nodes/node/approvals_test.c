/*
 * approvals_test.c — the node's approval queue and the approve policy:
 * a queued job is decided once, an expired one is refused and handed to
 * the daemon as expired, a job queued twice is refused; [policy] approve,
 * approve_manual and [dataset] approve decide which jobs wait.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <string.h>

#include "cairn_test.h"
#include "node/admit.h"
#include "node/approvals.h"
#include "runtime/config.h"

#define NOW 1796000000ULL

static void
row(crn_approval *r, uint8_t tag, uint64_t until)
{
	static uint8_t offer[] = {1, 2, 3, 4};

	memset(r, 0, sizeof(*r));
	memset(r->job_id, tag, sizeof(r->job_id));
	memset(r->session_id, tag ^ 0xff, sizeof(r->session_id));
	snprintf(r->researcher, sizeof(r->researcher), "alice");
	snprintf(r->dataset, sizeof(r->dataset), "t");
	r->what = (char *)(uintptr_t) "SELECT count(*) FROM t";
	r->received = NOW;
	r->until = until;
	r->offer = offer;
	r->offer_len = sizeof(offer);
}

static void
test_queue(void **state)
{
	const char *dir = crn_t_tmpdir();
	crn_approvals *a = NULL;
	crn_approval r, got;
	int64_t id1 = 0, id2 = 0, id3 = 0, dup = 0;
	char err[512], why[256];

	(void)state;
	CAIRN_T_PASS(crn_approvals_open(&a, dir, err, sizeof(err)));
	row(&r, 1, NOW + 100);
	CAIRN_T_PASS(crn_approvals_add(a, &r, &id1));
	CAIRN_T_FAIL(crn_approvals_add(a, &r, &dup), CAIRN_EREPLAY);
	row(&r, 2, NOW + 100);
	CAIRN_T_PASS(crn_approvals_add(a, &r, &id2));
	row(&r, 3, NOW + 10);
	CAIRN_T_PASS(crn_approvals_add(a, &r, &id3));
	/* Nothing decided, nothing expired: nothing for the daemon. */
	CAIRN_T_FAIL(crn_approvals_next(a, NOW, &got), CAIRN_ENOENT);
	CAIRN_T_PASS(
	    crn_approvals_decide(a, id1, true, NULL, NOW, why, sizeof(why)));
	CAIRN_T_FAIL(
	    crn_approvals_decide(a, id1, false, "x", NOW, why, sizeof(why)),
	    CAIRN_ESTATE);
	CAIRN_T_PASS(
	    crn_approvals_decide(a, id2, false, "no", NOW, why, sizeof(why)));
	CAIRN_T_FAIL(crn_approvals_decide(
	                 a, id3, true, NULL, NOW + 10, why, sizeof(why)),
	    CAIRN_EEXPIRED);
	assert_non_null(strstr(why, "expired"));
	CAIRN_T_FAIL(
	    crn_approvals_decide(a, 99, true, NULL, NOW, why, sizeof(why)),
	    CAIRN_ENOENT);
	/* The daemon sees them in order: approved, rejected, expired. */
	CAIRN_T_PASS(crn_approvals_next(a, NOW + 10, &got));
	CAIRN_T_EQ(got.id, id1);
	assert_string_equal(got.state, "approved");
	CAIRN_T_EQ(got.offer_len, 4);
	assert_string_equal(got.what, "SELECT count(*) FROM t");
	CAIRN_T_PASS(crn_approvals_handled(a, got.id, got.state));
	crn_approval_fini(&got);
	CAIRN_T_PASS(crn_approvals_next(a, NOW + 10, &got));
	CAIRN_T_EQ(got.id, id2);
	assert_string_equal(got.state, "rejected");
	assert_string_equal(got.reason, "no");
	CAIRN_T_PASS(crn_approvals_handled(a, got.id, got.state));
	crn_approval_fini(&got);
	CAIRN_T_PASS(crn_approvals_next(a, NOW + 10, &got));
	CAIRN_T_EQ(got.id, id3);
	assert_string_equal(got.state, "expired");
	CAIRN_T_PASS(crn_approvals_handled(a, got.id, got.state));
	crn_approval_fini(&got);
	CAIRN_T_FAIL(crn_approvals_next(a, NOW + 10, &got), CAIRN_ENOENT);
	CAIRN_T_FAIL(crn_approvals_decide(
	                 a, id3, true, NULL, NOW + 10, why, sizeof(why)),
	    CAIRN_ESTATE);
	crn_approvals_close(a);
	crn_t_rmtree(dir);
}

static void
write_conf(const char *path, const char *policy, const char *ds)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fprintf(f,
	    "[node]\nname = n1\ncoordinator = tcp://127.0.0.1:1\n"
	    "key = k\ncert = c\nca_cert = ca\ncrl = crl\n"
	    "[policy]\nresearchers = alice, bob\n%s\n"
	    "[dataset t]\nkind = csv\npath = t.csv\nexpose = v\n%s\n"
	    "[dataset u]\nkind = csv\npath = u.csv\nexpose = v\n",
	    policy, ds);
	fclose(f);
}

/* The admission rule (node/admit.h) over a loaded configuration. */
static bool
manual(const crn_config *cfg, const char *dataset, const char *researcher)
{
	crn_admit_policy p;

	memset(&p, 0, sizeof(p));
	p.node = &cfg->node;
	return crn_admit_manual(
	    &p, crn_config_dataset(cfg, dataset), researcher);
}

static void
test_policy(void **state)
{
	const char *dir = crn_t_tmpdir();
	char path[512], err[512];
	crn_config *cfg = NULL;

	(void)state;
	snprintf(path, sizeof(path), "%s/n.conf", dir);
	write_conf(path, "", "");
	CAIRN_T_PASS(
	    crn_config_load(&cfg, path, CRN_CFG_NODE, err, sizeof(err)));
	assert_false(manual(cfg, "t", "alice"));
	assert_non_null(strstr(cfg->node.audit_log, "n1-state/audit.log"));
	crn_config_free(cfg);
	write_conf(path, "approve = manual", "approve = auto");
	CAIRN_T_PASS(
	    crn_config_load(&cfg, path, CRN_CFG_NODE, err, sizeof(err)));
	assert_false(manual(cfg, "t", "alice"));
	assert_true(manual(cfg, "u", "alice"));
	crn_config_free(cfg);
	write_conf(path, "approve_manual = bob", "");
	CAIRN_T_PASS(
	    crn_config_load(&cfg, path, CRN_CFG_NODE, err, sizeof(err)));
	assert_false(manual(cfg, "t", "alice"));
	assert_true(manual(cfg, "t", "bob"));
	assert_true(manual(cfg, "u", "bob"));
	crn_config_free(cfg);
	write_conf(path, "approve = sometimes", "");
	CAIRN_T_FAIL(
	    crn_config_load(&cfg, path, CRN_CFG_NODE, err, sizeof(err)),
	    CAIRN_ECONFIG);
	assert_non_null(strstr(
	    err, "[policy] approve: \"sometimes\" is not auto or manual"));
	write_conf(path, "", "approve = maybe");
	CAIRN_T_FAIL(
	    crn_config_load(&cfg, path, CRN_CFG_NODE, err, sizeof(err)),
	    CAIRN_ECONFIG);
	assert_non_null(strstr(err, "is not auto or manual"));
	crn_t_rmtree(dir);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_queue),
    cmocka_unit_test(test_policy),
};

CAIRN_TEST_MAIN(tests)
