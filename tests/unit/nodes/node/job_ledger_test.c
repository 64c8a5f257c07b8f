/*
 * job_ledger_test.c — the node's job ledger (nodes/node/job_ledger.h):
 * a job id runs once while its job is valid, and ids of jobs that expired
 * are forgotten, so memory and the file stay bounded over many jobs
 * (issue 12: the ledger kept every id for ever).
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "base/file.h"
#include "cairn_test.h"
#include "node/job_ledger.h"

#define T0 1700000000u

static void
mkid(uint8_t id[CRN_JOB_ID_LEN], uint32_t k)
{
	memset(id, 0xa5, CRN_JOB_ID_LEN);
	memcpy(id, &k, sizeof(k));
}

static off_t
file_size(const char *dir)
{
	char path[512];
	struct stat st;

	snprintf(path, sizeof(path), "%s/jobs.ledger", dir);
	assert_int_equal(stat(path, &st), 0);
	return st.st_size;
}

/* 2,000 jobs valid for 60 s, one a second: the ledger holds about the
 * last 60 + margin seconds of them, in memory and on disk; a job still
 * valid is refused a second time, also after a restart (which reads
 * the file back: live lines and those not yet rewritten away). */
static void
test_bounded(void **state)
{
	const char *dir = crn_t_tmpdir();
	crn_job_ledger *l = NULL;
	char err[256];
	uint8_t id[CRN_JOB_ID_LEN];
	const uint32_t n = 2000, life = 60;
	size_t most = life + CRN_JOB_LEDGER_MARGIN_S + 2, peak = 0;

	(void)state;
	CAIRN_T_PASS(crn_job_ledger_open(&l, dir, err, sizeof(err)));
	for (uint32_t k = 0; k < n; k++) {
		mkid(id, k);
		CAIRN_T_PASS(crn_job_ledger_add(l, id, T0 + k + life, T0 + k));
		if (crn_job_ledger_count(l) > peak)
			peak = crn_job_ledger_count(l);
	}
	printf("ledger: %u jobs, at most %zu ids held, file %lld bytes\n", n,
	    peak, (long long)file_size(dir));
	assert_true(peak <= most);
	/* The file is rewritten once most of it is forgotten ids: at most
	 * about twice the live lines of 54 bytes. */
	assert_true(file_size(dir) <= (off_t)(2 * most + 64) * 54);
	/* The newest job is still valid: a replay is refused. */
	mkid(id, n - 1);
	CAIRN_T_FAIL(crn_job_ledger_add(l, id, T0 + n - 1 + life, T0 + n),
	    CAIRN_EREPLAY);
	crn_job_ledger_close(l);
	/* And after a restart, from the file. */
	CAIRN_T_PASS(crn_job_ledger_open(&l, dir, err, sizeof(err)));
	assert_true(crn_job_ledger_count(l) <= 2 * most + 64);
	assert_true(crn_job_ledger_has(l, id));
	CAIRN_T_FAIL(crn_job_ledger_add(l, id, T0 + n - 1 + life, T0 + n),
	    CAIRN_EREPLAY);
	/* An id expired by more than the margin is forgotten. */
	mkid(id, 0);
	assert_false(crn_job_ledger_has(l, id));
	crn_job_ledger_close(l);
	crn_t_rmtree(dir);
}

/* Within the margin after its expiry an id is still refused (a node
 * whose clock stepped back must not run it again). */
static void
test_margin(void **state)
{
	const char *dir = crn_t_tmpdir();
	crn_job_ledger *l = NULL;
	char err[256];
	uint8_t id[CRN_JOB_ID_LEN], other[CRN_JOB_ID_LEN];

	(void)state;
	CAIRN_T_PASS(crn_job_ledger_open(&l, dir, err, sizeof(err)));
	mkid(id, 1);
	mkid(other, 2);
	CAIRN_T_PASS(crn_job_ledger_add(l, id, T0 + 10, T0));
	CAIRN_T_PASS(crn_job_ledger_add(
	    l, other, T0 + 1000, T0 + 10 + CRN_JOB_LEDGER_MARGIN_S));
	CAIRN_T_FAIL(crn_job_ledger_add(l, id, T0 + 10,
	                 T0 + 10 + CRN_JOB_LEDGER_MARGIN_S),
	    CAIRN_EREPLAY);
	crn_job_ledger_close(l);
	crn_t_rmtree(dir);
}

/* A ledger written before ids expired (id lines alone) is read, and its
 * ids are kept for ever; a damaged line stops the node. */
static void
test_old_format(void **state)
{
	const char *dir = crn_t_tmpdir();
	char path[512], err[256];
	char text[2 * CRN_JOB_ID_LEN + 2];
	crn_job_ledger *l = NULL;
	uint8_t id[CRN_JOB_ID_LEN];

	(void)state;
	mkid(id, 7);
	for (size_t k = 0; k < CRN_JOB_ID_LEN; k++)
		snprintf(text + 2 * k, 3, "%02x", id[k]);
	text[2 * CRN_JOB_ID_LEN] = '\n';
	text[2 * CRN_JOB_ID_LEN + 1] = '\0';
	snprintf(path, sizeof(path), "%s/jobs.ledger", dir);
	CAIRN_T_PASS(crn_file_write_atomic(path, text, strlen(text), 0600));
	CAIRN_T_PASS(crn_job_ledger_open(&l, dir, err, sizeof(err)));
	CAIRN_T_FAIL(crn_job_ledger_add(l, id, T0, T0 + 100000), CAIRN_EREPLAY);
	crn_job_ledger_close(l);
	CAIRN_T_PASS(crn_file_write_atomic(path, "abc x\n", 6, 0600));
	CAIRN_T_FAIL(crn_job_ledger_open(&l, dir, err, sizeof(err)),
	    CAIRN_EDATA);
	assert_null(l);
	crn_t_rmtree(dir);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_bounded),
    cmocka_unit_test(test_margin),
    cmocka_unit_test(test_old_format),
};

CAIRN_TEST_MAIN(tests)
