/*
 * budget_test.c — the node's privacy-budget ledger (nodes/node/budget.h):
 * charges add up and persist across reopening; a charge over the budget
 * is refused with what is left in the message; a job is charged once;
 * concurrent charges from several processes are atomic (exactly as many
 * succeed as the budget holds); and a node killed with SIGKILL after the
 * charge and before it would send keeps the charge.
 */
#define _XOPEN_SOURCE 700
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cairn_test.h"
#include "node/budget.h"

static char tdir[256];

static int
setup(void **state)
{
	(void)state;
	snprintf(tdir, sizeof(tdir), "%s", crn_t_tmpdir());
	return 0;
}

static int
teardown(void **state)
{
	char cmd[300];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tdir);
	return system(cmd) == 0 ? 0 : -1;
}

static void
job_id(uint8_t id[CRN_JOB_ID_LEN], uint32_t n)
{
	memset(id, 0, CRN_JOB_ID_LEN);
	memcpy(id, &n, sizeof(n));
}

static crn_budget *
open_ledger(void)
{
	crn_budget *b = NULL;
	char err[256] = "";

	assert_int_equal(crn_budget_open(&b, tdir, err, sizeof(err)), CAIRN_OK);
	return b;
}

static void
test_charge_and_refuse(void **state)
{
	crn_budget *b = open_ledger();
	uint8_t id[CRN_JOB_ID_LEN];
	char why[512] = "";
	double left = -1, spent = 0;
	uint64_t jobs = 0;

	(void)state;
	job_id(id, 1);
	assert_int_equal(crn_budget_charge(b, "alice", "cps", id, 0.3, 1.0,
	                     1e-6, &left, why, sizeof(why)),
	    CAIRN_OK);
	assert_true(left > 0.69 && left < 0.71);
	/* The same job again: refused, not charged twice. */
	assert_int_equal(crn_budget_charge(b, "alice", "cps", id, 0.3, 1.0,
	                     1e-6, &left, why, sizeof(why)),
	    CAIRN_EREPLAY);
	job_id(id, 2);
	assert_int_equal(crn_budget_charge(b, "alice", "cps", id, 0.5, 1.0,
	                     1e-6, &left, why, sizeof(why)),
	    CAIRN_OK);
	/* 0.2 left: a 0.3 job is refused and the message says so. */
	job_id(id, 3);
	assert_int_equal(crn_budget_charge(b, "alice", "cps", id, 0.3, 1.0,
	                     1e-6, &left, why, sizeof(why)),
	    CAIRN_EPERM);
	print_message("%s\n", why);
	assert_non_null(strstr(why, "privacy budget exceeded"));
	assert_non_null(strstr(why, "0.2 of 1 is left"));
	assert_non_null(strstr(why, "alice"));
	assert_true(left > 0.19 && left < 0.21);
	/* Another researcher, another dataset: their own budgets. */
	assert_int_equal(crn_budget_charge(b, "bob", "cps", id, 0.9, 1.0, 1e-6,
	                     NULL, why, sizeof(why)),
	    CAIRN_OK);
	job_id(id, 4);
	assert_int_equal(crn_budget_charge(b, "alice", "tax", id, 0.9, 1.0,
	                     1e-6, NULL, why, sizeof(why)),
	    CAIRN_OK);
	crn_budget_close(b);
	/* Persisted. */
	b = open_ledger();
	assert_int_equal(
	    crn_budget_spent(b, "alice", "cps", &spent, &jobs), CAIRN_OK);
	assert_true(spent > 0.79 && spent < 0.81);
	assert_int_equal(jobs, 2);
	crn_budget_close(b);
}

/* Eight processes charge 0.25 each against a budget of 1: four win. */
static void
test_concurrent(void **state)
{
	enum { KIDS = 8 };
	pid_t pid[KIDS];
	int ok = 0, refused = 0;
	crn_budget *b = open_ledger();
	double spent = 0;

	(void)state;
	crn_budget_close(b);
	for (int i = 0; i < KIDS; i++) {
		if ((pid[i] = fork()) == 0) {
			uint8_t id[CRN_JOB_ID_LEN];
			char why[512];
			crn_budget *c = NULL;
			char err[256];
			cairn_err rv;

			if (crn_budget_open(&c, tdir, err, sizeof(err)) !=
			    CAIRN_OK)
				_exit(3);
			job_id(id, 100 + (uint32_t)i);
			rv = crn_budget_charge(c, "carol", "cps", id, 0.25, 1.0,
			    1e-6, NULL, why, sizeof(why));
			crn_budget_close(c);
			_exit(rv == CAIRN_OK ? 0 : rv == CAIRN_EPERM ? 1 : 2);
		}
		assert_true(pid[i] > 0);
	}
	for (int i = 0; i < KIDS; i++) {
		int st = 0;
		assert_int_equal(waitpid(pid[i], &st, 0), pid[i]);
		assert_true(WIFEXITED(st));
		ok += WEXITSTATUS(st) == 0;
		refused += WEXITSTATUS(st) == 1;
	}
	assert_int_equal(ok, 4);
	assert_int_equal(refused, 4);
	b = open_ledger();
	assert_int_equal(
	    crn_budget_spent(b, "carol", "cps", &spent, NULL), CAIRN_OK);
	assert_true(spent > 0.99 && spent < 1.01);
	crn_budget_close(b);
}

/*
 * A child charges, tells the parent, and stops where a node would send
 * its masked input; the parent kills it with SIGKILL.  The charge is in
 * the ledger afterwards.
 */
static void
test_kill9_keeps_charge(void **state)
{
	int fd[2];
	pid_t pid;
	char c = 0;
	int st = 0;
	crn_budget *b;
	double spent = 0;
	uint64_t jobs = 0;

	(void)state;
	assert_int_equal(pipe(fd), 0);
	if ((pid = fork()) == 0) {
		uint8_t id[CRN_JOB_ID_LEN];
		char why[512], err[256];
		crn_budget *k = NULL;

		close(fd[0]);
		if (crn_budget_open(&k, tdir, err, sizeof(err)) != CAIRN_OK)
			_exit(3);
		job_id(id, 7);
		if (crn_budget_charge(k, "dave", "cps", id, 0.4, 1.0, 1e-6,
		        NULL, why, sizeof(why)) != CAIRN_OK)
			_exit(4);
		/* "About to send": the parent kills us here. */
		if (write(fd[1], "c", 1) != 1)
			_exit(5);
		for (;;)
			pause();
	}
	assert_true(pid > 0);
	close(fd[1]);
	assert_int_equal(read(fd[0], &c, 1), 1);
	assert_int_equal(kill(pid, SIGKILL), 0);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	close(fd[0]);
	b = open_ledger();
	assert_int_equal(
	    crn_budget_spent(b, "dave", "cps", &spent, &jobs), CAIRN_OK);
	assert_int_equal(jobs, 1);
	assert_true(spent > 0.39 && spent < 0.41);
	crn_budget_close(b);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_charge_and_refuse, setup, teardown),
    cmocka_unit_test_setup_teardown(test_concurrent, setup, teardown),
    cmocka_unit_test_setup_teardown(test_kill9_keeps_charge, setup, teardown),
};

CAIRN_TEST_MAIN(tests)
