/*
 * job_describe_test.c — crn_rt_job_describe, the line an operator reads in
 * `cairn node pending` and the audit log: a fit's terms, filter, ridge
 * penalty and k-means centres; a program's hash, WHERE, parameters and
 * output; the SQL; differential privacy; one line whatever the
 * researcher's text holds; cut with "..." when too long.
 */
#include <string.h>

#include "cairn_test.h"
#include "model/model.h"
#include "proto/job.h"
#include "runtime/audit_job.h"

/* job->model from a spec; free with crn_free(job->model, job->model_len). */
static void
set_model(crn_job *job, crn_model_spec *sp)
{
	job->kind = CRN_JOB_MODEL;
	CAIRN_T_PASS(crn_model_spec_encode(sp, &job->model, &job->model_len));
}

static void
test_model(void **state)
{
	char *x[] = {"age", "age = 47"};
	crn_model_spec sp = {.kind = CRN_MODEL_LINEAR,
	    .dataset = "cps",
	    .y = "wage",
	    .x = x,
	    .nx = 2,
	    .where = "region = 'north'",
	    .l2 = 0.5,
	    .max_iter = 25};
	double init[] = {1, 2, 3, 4};
	char *kx[] = {"age", "wage"};
	crn_job job;
	char buf[CRN_RT_JOB_DESC_LEN];

	(void)state;
	memset(&job, 0, sizeof(job));
	set_model(&job, &sp);
	crn_rt_job_describe(&job, buf, sizeof(buf));
	assert_string_equal(buf,
	    "fit linear: wage ~ 1 + (age) + (age = 47) WHERE region = 'north' l2 0.5 max_iter 25");
	crn_free(job.model, job.model_len);
	sp = (crn_model_spec){.kind = CRN_MODEL_KMEANS,
	    .dataset = "cps",
	    .x = kx,
	    .nx = 2,
	    .k = 2,
	    .init = init,
	    .max_iter = 10};
	set_model(&job, &sp);
	crn_rt_job_describe(&job, buf, sizeof(buf));
	assert_string_equal(
	    buf, "fit kmeans: (age) + (wage) k 2 init 1,2;3,4 max_iter 10");
	crn_free(job.model, job.model_len);
	job.model = (uint8_t *)"\xff\xff";
	job.model_len = 2;
	crn_rt_job_describe(&job, buf, sizeof(buf));
	assert_non_null(strstr(buf, "does not decode"));
}

static void
test_code(void **state)
{
	double params[] = {3, 0.25};
	char *names[] = {"cap"};
	double values[] = {40};
	crn_job job = {.kind = CRN_JOB_CODE,
	    .where = "age >= 30",
	    .round = 2,
	    .params = params,
	    .nparams = 2,
	    .pnames = names,
	    .pvalues = values,
	    .nnamed = 1,
	    .out_len = 2,
	    .out_lo = 0,
	    .out_hi = 1e6,
	    .out_scale = 1,
	    .dp_epsilon = 1,
	    .dp_delta = 1e-6};
	char buf[CRN_RT_JOB_DESC_LEN], want[CRN_RT_JOB_DESC_LEN];

	(void)state;
	memset(job.code_hash, 0xab, sizeof(job.code_hash));
	memset(want, 0, sizeof(want));
	memcpy(want, "code ", 5);
	memset(want + 5, 'a', 64);
	for (size_t i = 0; i < 64; i += 2)
		want[5 + i + 1] = 'b';
	strcat(want,
	    " round 2 WHERE age >= 30 params 3, 0.25 cap=40 output 2 in [0, 1e+06] scale 1 [dp epsilon 1 delta 1e-06]");
	crn_rt_job_describe(&job, buf, sizeof(buf));
	assert_string_equal(buf, want);
}

static void
test_query_one_line_cut(void **state)
{
	crn_job job = {.kind = CRN_JOB_QUERY,
	    .sql = "SELECT count(*)\nFROM t\r\n\tWHERE a = '\x1b[2J'"};
	char buf[CRN_RT_JOB_DESC_LEN], small[16];

	(void)state;
	crn_rt_job_describe(&job, buf, sizeof(buf));
	assert_string_equal(buf, "SELECT count(*) FROM t   WHERE a = '?[2J'");
	crn_rt_job_describe(&job, small, sizeof(small));
	assert_string_equal(small, "SELECT count...");
	job.sql = "";
	crn_rt_job_describe(&job, buf, sizeof(buf));
	assert_string_equal(buf, "a query plan without SQL text");
	job = (crn_job){.kind = CRN_JOB_SUM_COLUMN, .column = "value"};
	crn_rt_job_describe(&job, buf, sizeof(buf));
	assert_string_equal(buf, "sum of column value");
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_model),
    cmocka_unit_test(test_code),
    cmocka_unit_test(test_query_one_line_cut),
};

CAIRN_TEST_MAIN(tests)
