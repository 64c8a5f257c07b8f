/*
 * job_code_test.c — JOB_CODE on the wire (proto/codec_job.c): the fields
 * round-trip, the program hash is the decoder's own SHA-256 of the bytes
 * (one byte changed, another hash), and malformed code jobs are refused.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <string.h>

#include "cairn_test.h"
#include "crypto/code_hash.h"
#include "proto/job.h"

static void
fill(crn_job *j, uint8_t *code, size_t len, double *params, size_t np)
{
	memset(j, 0, sizeof(*j));
	memset(j->job_id, 7, sizeof(j->job_id));
	j->kind = CRN_JOB_CODE;
	j->dataset = (char *)(uintptr_t) "cps";
	j->ring_bits = 64;
	j->out_len = 3;
	j->dim = 4;
	j->out_lo = -1.5;
	j->out_hi = 2;
	j->out_scale = 4;
	j->code = code;
	j->code_len = len;
	j->params = params;
	j->nparams = np;
	j->where = (char *)(uintptr_t) "age > 30";
	j->round = 5;
}

static void
test_roundtrip(void **state)
{
	uint8_t code[] = "function node() return {1, 2, 3} end";
	double params[2] = {0.5, -7};
	uint8_t *buf = NULL, want[CRN_CODE_HASH_LEN];
	size_t len = 0;
	crn_job j, got;

	(void)state;
	fill(&j, code, sizeof(code) - 1, params, 2);
	CAIRN_T_PASS(crn_job_encode(&j, &buf, &len));
	CAIRN_T_PASS(crn_job_decode(&got, buf, len));
	crn_code_sha256(want, code, sizeof(code) - 1);
	assert_memory_equal(got.code_hash, want, CRN_CODE_HASH_LEN);
	assert_int_equal(got.code_len, sizeof(code) - 1);
	assert_int_equal(got.nparams, 2);
	assert_true(
	    got.params[1] == -7 && got.out_lo == -1.5 && got.out_hi == 2);
	assert_int_equal(got.out_scale, 4);
	assert_int_equal(got.out_len, 3);
	assert_int_equal(got.round, 5);
	assert_string_equal(got.where, "age > 30");
	crn_job_fini(&got);
	crn_free(buf, len);
	/* One byte more, another hash. */
	code[sizeof(code) - 2] = ' ';
	CAIRN_T_PASS(crn_job_encode(&j, &buf, &len));
	CAIRN_T_PASS(crn_job_decode(&got, buf, len));
	assert_memory_not_equal(got.code_hash, want, CRN_CODE_HASH_LEN);
	crn_job_fini(&got);
	crn_free(buf, len);
}

static void
test_refused(void **state)
{
	uint8_t code[] = "x = 1";
	uint8_t *buf = NULL;
	size_t len = 0;
	crn_job j, got;

	(void)state;
	/* dim must be out_len + 1 (the clip count). */
	fill(&j, code, sizeof(code) - 1, NULL, 0);
	j.dim = 3;
	CAIRN_T_PASS(crn_job_encode(&j, &buf, &len));
	CAIRN_T_FAIL(crn_job_decode(&got, buf, len), CAIRN_EINVAL);
	crn_free(buf, len);
	/* No program. */
	fill(&j, NULL, 0, NULL, 0);
	CAIRN_T_PASS(crn_job_encode(&j, &buf, &len));
	CAIRN_T_FAIL(crn_job_decode(&got, buf, len), CAIRN_EINVAL);
	crn_free(buf, len);
	/* No declared output. */
	fill(&j, code, sizeof(code) - 1, NULL, 0);
	j.out_len = 0;
	j.dim = 1;
	CAIRN_T_PASS(crn_job_encode(&j, &buf, &len));
	CAIRN_T_FAIL(crn_job_decode(&got, buf, len), CAIRN_EINVAL);
	crn_free(buf, len);
}

/* Named parameters (--param NAME=NUMBER): round-trip in order; a name
 * that is not an identifier, a name given twice, a value that is not
 * finite or names without values are refused. */
static void
test_named(void **state)
{
	uint8_t code[] = "x = 1";
	char *names[3] = {"lo_cut", "k2", "lo_cut"};
	double values[3] = {1.5, -2, 3};
	uint8_t *buf = NULL;
	size_t len = 0;
	crn_job j, got;

	(void)state;
	fill(&j, code, sizeof(code) - 1, NULL, 0);
	j.pnames = names;
	j.pvalues = values;
	j.nnamed = 2;
	CAIRN_T_PASS(crn_job_encode(&j, &buf, &len));
	CAIRN_T_PASS(crn_job_decode(&got, buf, len));
	assert_int_equal(got.nnamed, 2);
	assert_string_equal(got.pnames[0], "lo_cut");
	assert_string_equal(got.pnames[1], "k2");
	assert_true(got.pvalues[0] == 1.5 && got.pvalues[1] == -2);
	crn_job_fini(&got);
	crn_free(buf, len);
	/* Each refused case: the encoder writes it, the decoder refuses. */
	{
		char *bad[] = {"2x", "a-b", "", "x y",
		    "a_name_longer_than_thirty_two_chars"};

		for (size_t i = 0; i < CRN_NELEM(bad); i++) {
			names[0] = bad[i];
			j.nnamed = 1;
			CAIRN_T_PASS(crn_job_encode(&j, &buf, &len));
			CAIRN_T_FAIL(
			    crn_job_decode(&got, buf, len), CAIRN_EINVAL);
			crn_free(buf, len);
		}
		names[0] = "lo_cut";
	}
	j.nnamed = 3; /* lo_cut twice */
	CAIRN_T_PASS(crn_job_encode(&j, &buf, &len));
	CAIRN_T_FAIL(crn_job_decode(&got, buf, len), CAIRN_EINVAL);
	crn_free(buf, len);
	j.nnamed = 1;
	values[0] = INFINITY;
	CAIRN_T_PASS(crn_job_encode(&j, &buf, &len));
	CAIRN_T_FAIL(crn_job_decode(&got, buf, len), CAIRN_EINVAL);
	crn_free(buf, len);
	assert_true(crn_job_pname_ok("_x9") && !crn_job_pname_ok("9x"));
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_roundtrip),
    cmocka_unit_test(test_refused),
    cmocka_unit_test(test_named),
};

CAIRN_TEST_MAIN(tests)
