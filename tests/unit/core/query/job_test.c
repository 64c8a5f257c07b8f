/* job_test.c — researcher job signing, verification and the job codecs. */
#include <string.h>

#include "cairn_test.h"
#include "crypto/crypto.h"
#include "query/job.h"

static crn_identity *
make_id(uint8_t b)
{
	uint8_t seed[CAIRN_SIGN_SEED_LEN];
	crn_identity *id = NULL;

	memset(seed, b, sizeof(seed));
	CAIRN_T_PASS(crn_identity_from_seed(&id, seed));
	return id;
}

static void
fill_job(crn_job *job)
{
	memset(job, 0, sizeof(*job));
	memset(job->job_id, 0xab, sizeof(job->job_id));
	job->kind = CRN_JOB_SUM_COLUMN;
	job->dataset = (char *)(uintptr_t) "wages";
	job->column = (char *)(uintptr_t) "wage";
	job->issued_at = 1000;
	job->not_after = 2000;
	job->ring_bits = 64;
	job->dim = 1;
}

static void
test_sign_verify_roundtrip(void **state)
{
	static const uint8_t cert[] = {0x30, 0x03, 0x01, 0x02, 0x03};
	crn_identity *id = make_id(1);
	uint8_t pk[CAIRN_SIGN_PK_LEN];
	crn_signed_job sj;
	crn_job job, got;
	uint8_t *buf = NULL;
	size_t len = 0;

	(void)state;
	fill_job(&job);
	crn_identity_public(id, pk);
	CAIRN_T_PASS(crn_job_sign(&job, id, cert, sizeof(cert), &buf, &len));
	CAIRN_T_PASS(crn_signed_job_decode(&sj, buf, len));
	assert_int_equal(sj.cert_len, sizeof(cert));
	assert_memory_equal(sj.cert, cert, sizeof(cert));
	CAIRN_T_PASS(crn_job_verify(&sj, pk, &got));
	assert_string_equal(got.dataset, "wages");
	assert_string_equal(got.column, "wage");
	assert_int_equal(got.kind, CRN_JOB_SUM_COLUMN);
	assert_int_equal(got.ring_bits, 64);
	assert_memory_equal(got.job_id, job.job_id, CRN_JOB_ID_LEN);
	CAIRN_T_PASS(crn_job_check_time(&got, 1500, 0));
	CAIRN_T_FAIL(crn_job_check_time(&got, 2001, 0), CAIRN_EEXPIRED);
	CAIRN_T_FAIL(crn_job_check_time(&got, 900, 60), CAIRN_ENOTYET);
	CAIRN_T_PASS(crn_job_check_time(&got, 990, 60));
	crn_job_fini(&got);
	crn_signed_job_fini(&sj);
	crn_free(buf, len);
	crn_identity_free(id);
}

/* The coordinator cannot alter a job: every changed bit of the job bytes
 * and of the signature is refused, and so is another researcher's key. */
static void
test_tampering_refused(void **state)
{
	static const uint8_t cert[] = {0x30, 0x00};
	crn_identity *id = make_id(2), *other = make_id(3);
	uint8_t pk[CAIRN_SIGN_PK_LEN], opk[CAIRN_SIGN_PK_LEN];
	crn_signed_job sj;
	crn_job job, got;
	uint8_t *buf = NULL;
	size_t len = 0;

	(void)state;
	fill_job(&job);
	crn_identity_public(id, pk);
	crn_identity_public(other, opk);
	CAIRN_T_PASS(crn_job_sign(&job, id, cert, sizeof(cert), &buf, &len));
	CAIRN_T_PASS(crn_signed_job_decode(&sj, buf, len));
	CAIRN_T_FAIL(crn_job_verify(&sj, opk, &got), CAIRN_EAUTH);
	for (size_t i = 0; i < sj.job_len * 8; i++) {
		sj.job[i / 8] ^= (uint8_t)(1u << (i % 8));
		CAIRN_T_FAIL(crn_job_verify(&sj, pk, &got), CAIRN_EAUTH);
		sj.job[i / 8] ^= (uint8_t)(1u << (i % 8));
	}
	for (size_t i = 0; i < CAIRN_SIG_LEN * 8; i++) {
		sj.sig[i / 8] ^= (uint8_t)(1u << (i % 8));
		CAIRN_T_FAIL(crn_job_verify(&sj, pk, &got), CAIRN_EAUTH);
		sj.sig[i / 8] ^= (uint8_t)(1u << (i % 8));
	}
	CAIRN_T_PASS(crn_job_verify(&sj, pk, &got));
	crn_job_fini(&got);
	crn_signed_job_fini(&sj);
	crn_free(buf, len);
	crn_identity_free(id);
	crn_identity_free(other);
}

static void
test_decode_rejects(void **state)
{
	crn_signed_job sj;
	crn_job job, got;
	uint8_t *buf = NULL;
	size_t len = 0;
	static const uint8_t junk[] = {0xff, 0xff, 0xff, 0xff, 0x0f};

	(void)state;
	CAIRN_T_FAIL(crn_job_decode(&got, junk, sizeof(junk)), CAIRN_EINVAL);
	CAIRN_T_FAIL(
	    crn_signed_job_decode(&sj, junk, sizeof(junk)), CAIRN_EINVAL);
	/* a bad ring width */
	fill_job(&job);
	job.ring_bits = 48;
	CAIRN_T_PASS(crn_job_encode(&job, &buf, &len));
	CAIRN_T_FAIL(crn_job_decode(&got, buf, len), CAIRN_EINVAL);
	crn_free(buf, len);
	/* a control character in a name */
	fill_job(&job);
	job.dataset = (char *)(uintptr_t) "wa\nges";
	CAIRN_T_PASS(crn_job_encode(&job, &buf, &len));
	CAIRN_T_FAIL(crn_job_decode(&got, buf, len), CAIRN_EINVAL);
	crn_free(buf, len);
	/* a query job without a plan */
	fill_job(&job);
	job.kind = CRN_JOB_QUERY;
	CAIRN_T_PASS(crn_job_encode(&job, &buf, &len));
	CAIRN_T_FAIL(crn_job_decode(&got, buf, len), CAIRN_EINVAL);
	crn_free(buf, len);
	/* size limit */
	CAIRN_T_FAIL(
	    crn_job_decode(&got, junk, CRN_JOB_MAX + 1), CAIRN_ETOOBIG);
}

static void
test_oom(void **state)
{
	static const uint8_t cert[] = {0x30, 0x00};
	crn_identity *id = make_id(4);
	crn_job job;
	uint8_t *buf;
	size_t len;
	cairn_err rv;
	long n;

	(void)state;
	fill_job(&job);
	for (n = 0; n < 64; n++) {
		crn_alloc_fail_after(n);
		rv = crn_job_sign(&job, id, cert, sizeof(cert), &buf, &len);
		crn_alloc_fail_after(-1);
		if (rv == CAIRN_OK) {
			crn_free(buf, len);
			break;
		}
		CAIRN_T_EQ(rv, CAIRN_ENOMEM);
	}
	assert_true(n < 64);
	crn_identity_free(id);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_sign_verify_roundtrip),
    cmocka_unit_test(test_tampering_refused),
    cmocka_unit_test(test_decode_rejects),
    cmocka_unit_test(test_oom),
};

CAIRN_TEST_MAIN(tests)
