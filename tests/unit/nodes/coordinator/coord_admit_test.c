/*
 * coord_admit_test.c — the coordinator's checks on a submitted job
 * (nodes/coordinator/coord_admit.h): one test per rule, each starting
 * from a job every rule admits and breaking one thing, boundaries on
 * both sides.
 */
#include <stdio.h>
#include <string.h>

#include "cairn_test.h"
#include "coordinator/coord_admit.h"
#include "runtime/rt.h"

#define NOW 1700000000u

static char ds[] = "patients", col[] = "age", nocol[] = "";

static void
job_init(crn_job *job)
{
	memset(job, 0, sizeof(*job));
	job->kind = CRN_JOB_SUM_COLUMN;
	job->dataset = ds;
	job->column = col;
	job->dim = CRN_RT_SUM_DIM;
	job->ring_bits = 64;
	job->issued_at = NOW - 5;
	job->not_after = NOW + 600;
}

static void
test_signer(void **state)
{
	crn_cert_info a, b;
	char why[256] = "";

	(void)state;
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	snprintf(a.name, sizeof(a.name), "alice");
	snprintf(b.name, sizeof(b.name), "bob");
	memset(a.pk, 1, sizeof(a.pk));
	memset(b.pk, 1, sizeof(b.pk));
	/* The key decides, not the name. */
	CAIRN_T_PASS(co_admit_signer(&a, &b, why, sizeof(why)));
	b.pk[CAIRN_SIGN_PK_LEN - 1] ^= 1;
	CAIRN_T_FAIL(co_admit_signer(&a, &b, why, sizeof(why)), CAIRN_EAUTH);
	assert_string_equal(why, "job signed by 'alice', submitted by 'bob'");
}

static void
test_time(void **state)
{
	crn_job job;
	char why[256] = "";

	(void)state;
	job_init(&job);
	CAIRN_T_PASS(co_admit_job(&job, NOW, why, sizeof(why)));
	CAIRN_T_PASS(co_admit_job(&job, job.not_after, why, sizeof(why)));
	CAIRN_T_FAIL(co_admit_job(&job, job.not_after + 1, why, sizeof(why)),
	    CAIRN_EEXPIRED);
	assert_string_equal(why, "job is expired");
	job.issued_at = NOW + CO_ADMIT_SKEW_S + 1;
	job.not_after = job.issued_at + 60;
	CAIRN_T_FAIL(co_admit_job(&job, NOW, why, sizeof(why)), CAIRN_ENOTYET);
	assert_string_equal(why, "job is not yet valid");
	job.issued_at = NOW + CO_ADMIT_SKEW_S;
	CAIRN_T_PASS(co_admit_job(&job, NOW, why, sizeof(why)));
}

static void
test_ring(void **state)
{
	crn_job job;
	char why[256] = "";
	static const uint32_t good[] = {32, 64, 128};
	static const uint32_t bad[] = {0, 8, 16, 63, 256};

	(void)state;
	job_init(&job);
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		job.ring_bits = good[i];
		CAIRN_T_PASS(co_admit_job(&job, NOW, why, sizeof(why)));
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		job.ring_bits = bad[i];
		CAIRN_T_FAIL(
		    co_admit_job(&job, NOW, why, sizeof(why)), CAIRN_EINVAL);
		assert_non_null(strstr(why, "bad ring width"));
	}
}

static void
test_sum_shape(void **state)
{
	crn_job job;
	char why[256] = "";

	(void)state;
	job_init(&job);
	job.dim = CRN_RT_SUM_DIM + 1;
	CAIRN_T_FAIL(co_admit_job(&job, NOW, why, sizeof(why)), CAIRN_EINVAL);
	job_init(&job);
	job.column = nocol;
	CAIRN_T_FAIL(co_admit_job(&job, NOW, why, sizeof(why)), CAIRN_EINVAL);
	assert_non_null(strstr(why, "names a column"));
	/* A query job's shape is the planner's business, not this rule's. */
	job.kind = CRN_JOB_QUERY;
	job.dim = 1000;
	CAIRN_T_PASS(co_admit_job(&job, NOW, why, sizeof(why)));
	/* A model job, with DP or without: the nodes noise its rounds. */
	job.kind = CRN_JOB_MODEL;
	CAIRN_T_PASS(co_admit_job(&job, NOW, why, sizeof(why)));
	job.dp_epsilon = 1;
	job.dp_delta = 1e-6;
	CAIRN_T_PASS(co_admit_job(&job, NOW, why, sizeof(why)));
}

static void
test_slot(void **state)
{
	char why[256] = "";

	(void)state;
	CAIRN_T_PASS(co_admit_slot(false, true, 4, why, sizeof(why)));
	CAIRN_T_FAIL(
	    co_admit_slot(true, true, 4, why, sizeof(why)), CAIRN_EREPLAY);
	assert_string_equal(why, "this job is already running");
	CAIRN_T_FAIL(
	    co_admit_slot(false, false, 4, why, sizeof(why)), CAIRN_EPERM);
	assert_string_equal(why, "4 jobs already running (max_jobs)");
}

static void
test_roster(void **state)
{
	char why[256] = "";

	(void)state;
	CAIRN_T_PASS(co_admit_roster(3, 3, 10, why, sizeof(why)));
	CAIRN_T_PASS(co_admit_roster(10, 3, 10, why, sizeof(why)));
	CAIRN_T_FAIL(co_admit_roster(2, 3, 10, why, sizeof(why)), CAIRN_EABORT);
	assert_string_equal(why, "needed 3 connected nodes, have 2");
	CAIRN_T_FAIL(
	    co_admit_roster(11, 3, 10, why, sizeof(why)), CAIRN_ERANGE);
	assert_non_null(strstr(why, "allows at most 10"));
	/* Never fewer than two, whatever min_participants says. */
	CAIRN_T_FAIL(co_admit_roster(1, 0, 10, why, sizeof(why)), CAIRN_EABORT);
	CAIRN_T_PASS(co_admit_roster(2, 0, 10, why, sizeof(why)));
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_signer),
    cmocka_unit_test(test_time),
    cmocka_unit_test(test_ring),
    cmocka_unit_test(test_sum_shape),
    cmocka_unit_test(test_slot),
    cmocka_unit_test(test_roster),
};

CAIRN_TEST_MAIN(tests)
