/*
 * coord_plan_test.c — the coordinator's check that a job computes what
 * it says (nodes/coordinator/coord_plan.h): the signed plan must be the
 * plan of the signed SQL under the federation schema, byte for byte, and
 * the job's dataset, dimension and ring width must be the plan's.  Each
 * case starts from a job the check admits and breaks one thing.
 */
#include <stdio.h>
#include <string.h>

#include "cairn_test.h"
#include "coordinator/coord_plan.h"
#include "query/codec_plan.h"
#include "query_fix.h"
#include "runtime/rt.h"

static const char schema_text[] =
    "[federation]\nmin_cell = 3\nmax_nodes = 10\n"
    "[dataset t]\nmax_rows = 100\n"
    "[column t.region]\ntype = category\n"
    "domain = north, south\n"
    "[column t.age]\ntype = integer\nmin = 0\nmax = 120\n";

static char tdir[256], path[300];
static co_coord_plan *cp;
static crn_schema *schema;

static int
setup(void **state)
{
	char err[256];
	FILE *f;

	(void)state;
	snprintf(tdir, sizeof(tdir), "%s", crn_t_tmpdir());
	snprintf(path, sizeof(path), "%s/schema.ini", tdir);
	if ((f = fopen(path, "w")) == NULL)
		return -1;
	fputs(schema_text, f);
	fclose(f);
	if (co_coord_plan_new(&cp, path, err, sizeof(err)) != CAIRN_OK) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	return crn_t_schema_parse(schema_text, "t", &schema);
}

static int
teardown(void **state)
{
	(void)state;
	co_coord_plan_free(cp);
	crn_schema_free(schema);
	crn_t_rmtree(tdir);
	return 0;
}

static char ds_t[] = "t", ds_u[] = "u", empty[] = "", col_age[] = "age";
static char sql_ok[] =
    "SELECT region, count(*), sum(age) FROM t GROUP BY region";
static char sql_other[] = "SELECT count(*) FROM t";
static char sql_bad[] = "SELECT name FROM t";

/* A query job whose plan is the plan of sql (the caller frees plan). */
static void
query_job(crn_job *job, char *sql, uint8_t **enc, size_t *enclen)
{
	crn_plan *p = crn_t_plan(schema, sql);

	memset(job, 0, sizeof(*job));
	CAIRN_T_PASS(crn_plan_encode(p, enc, enclen));
	job->kind = CRN_JOB_QUERY;
	job->dataset = ds_t;
	job->column = empty;
	job->sql = sql;
	job->plan = *enc;
	job->plan_len = *enclen;
	job->dim = p->dim;
	job->ring_bits = p->ring_bits;
	crn_plan_free(p);
}

static cairn_err
check(const crn_job *job, char *why, size_t whylen)
{
	crn_plan *p = NULL;
	cairn_err rv = co_coord_plan_job(cp, job, &p, why, whylen);

	assert_true((rv == CAIRN_OK) == (p != NULL));
	crn_plan_free(p);
	return rv;
}

static void
test_query_ok(void **state)
{
	crn_job job;
	uint8_t *enc = NULL;
	size_t n = 0;
	char why[256] = "";

	(void)state;
	query_job(&job, sql_ok, &enc, &n);
	CAIRN_T_PASS(check(&job, why, sizeof(why)));
	crn_free(enc, n);
}

/* The researcher signs one SQL text and another plan. */
static void
test_plan_mismatch(void **state)
{
	crn_job job;
	uint8_t *enc = NULL;
	size_t n = 0;
	char why[256] = "";

	(void)state;
	query_job(&job, sql_other, &enc, &n);
	job.sql = sql_ok;
	CAIRN_T_FAIL(check(&job, why, sizeof(why)), CAIRN_EPERM);
	assert_non_null(strstr(why, "not the plan of the signed SQL"));
	/* One byte of the plan changed. */
	job.sql = sql_other;
	enc[n - 1] ^= 1;
	CAIRN_T_FAIL(check(&job, why, sizeof(why)), CAIRN_EPERM);
	enc[n - 1] ^= 1;
	/* No plan at all. */
	job.plan = NULL;
	CAIRN_T_FAIL(check(&job, why, sizeof(why)), CAIRN_EPERM);
	crn_free(enc, n);
}

static void
test_shape_mismatch(void **state)
{
	crn_job job;
	uint8_t *enc = NULL;
	size_t n = 0;
	char why[256] = "";

	(void)state;
	query_job(&job, sql_ok, &enc, &n);
	job.dataset = ds_u;
	CAIRN_T_FAIL(check(&job, why, sizeof(why)), CAIRN_EPERM);
	assert_non_null(strstr(why, "differ from its plan"));
	job.dataset = ds_t;
	job.dim++;
	CAIRN_T_FAIL(check(&job, why, sizeof(why)), CAIRN_EPERM);
	job.dim--;
	job.ring_bits = job.ring_bits == 64 ? 128 : 64;
	CAIRN_T_FAIL(check(&job, why, sizeof(why)), CAIRN_EPERM);
	crn_free(enc, n);
}

static void
test_query_refused(void **state)
{
	crn_job job;
	char why[256] = "";

	(void)state;
	memset(&job, 0, sizeof(job));
	job.kind = CRN_JOB_QUERY;
	job.dataset = ds_t;
	job.column = empty;
	job.sql = sql_bad;
	assert_int_not_equal(check(&job, why, sizeof(why)), CAIRN_OK);
	assert_non_null(strstr(why, "query refused"));
}

static void
test_kinds(void **state)
{
	crn_job job;
	char why[256] = "";

	(void)state;
	memset(&job, 0, sizeof(job));
	job.kind = CRN_JOB_SUM_COLUMN;
	job.dataset = ds_t;
	job.column = col_age;
	job.sql = empty;
	job.ring_bits = 64;
	job.dim = CRN_RT_SUM_DIM;
	CAIRN_T_PASS(check(&job, why, sizeof(why)));
	job.kind = (crn_job_kind)99;
	CAIRN_T_FAIL(check(&job, why, sizeof(why)), CAIRN_EINVAL);
	assert_string_equal(why, "unknown job kind");
	assert_int_equal(co_coord_plan_max_nodes(cp), 10);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
static const struct CMUnitTest tests[] = {
    T(test_query_ok),
    T(test_plan_mismatch),
    T(test_shape_mismatch),
    T(test_query_refused),
    T(test_kinds),
};

CAIRN_TEST_MAIN(tests)
