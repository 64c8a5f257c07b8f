/*
 * hkdf_kat_test.c — crn_hkdf_sha256 against RFC 5869 appendix A test
 * cases 1-3 (tests/vectors/hkdf_rfc5869.txt), and crn_kdf's documented
 * construction rebuilt from plain HKDF.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cairn_test.h"
#include "crypto/crypto.h"
#include "vectors.h"

static void
test_rfc5869_vectors(void **state)
{
	FILE *f = crn_t_vectors_open("hkdf_rfc5869.txt");
	crn_t_vec_rec r;
	int checked = 0;

	(void)state;
	while (crn_t_vectors_next(f, &r)) {
		uint8_t ikm[200], salt[200], info[200], want[200], got[200];
		size_t ikmlen, saltlen, infolen, wantlen;
		long length;

		ikmlen = crn_t_rec_hex(&r, "ikm", ikm, sizeof(ikm));
		saltlen = crn_t_rec_hex(&r, "salt", salt, sizeof(salt));
		infolen = crn_t_rec_hex(&r, "info", info, sizeof(info));
		wantlen = crn_t_rec_hex(&r, "okm", want, sizeof(want));
		length = strtol(crn_t_rec_get(&r, "length"), NULL, 10);
		assert_int_equal((size_t)length, wantlen);
		memset(got, 0xaa, sizeof(got));
		CAIRN_T_PASS(
		    crn_hkdf_sha256(got, wantlen, saltlen ? salt : NULL,
		        saltlen, ikm, ikmlen, infolen ? info : NULL, infolen));
		assert_memory_equal(got, want, wantlen);
		/* Nothing written past the requested length. */
		assert_int_equal(got[wantlen], 0xaa);
		/* A shorter output is a prefix of the longer one. */
		CAIRN_T_PASS(crn_hkdf_sha256(got, 16, saltlen ? salt : NULL,
		    saltlen, ikm, ikmlen, infolen ? info : NULL, infolen));
		assert_memory_equal(got, want, 16);
		checked++;
	}
	fclose(f);
	assert_int_equal(checked, 3);
}

/* RFC 5869 section 2.2: a missing salt is HashLen zero bytes. */
static void
test_empty_salt_is_zero_salt(void **state)
{
	uint8_t ikm[22], zeros[32] = {0}, a[42], b[42];

	(void)state;
	memset(ikm, 0x0b, sizeof(ikm));
	CAIRN_T_PASS(
	    crn_hkdf_sha256(a, sizeof(a), NULL, 0, ikm, sizeof(ikm), NULL, 0));
	CAIRN_T_PASS(crn_hkdf_sha256(
	    b, sizeof(b), zeros, sizeof(zeros), ikm, sizeof(ikm), NULL, 0));
	assert_memory_equal(a, b, sizeof(a));
}

static void
test_hkdf_limits(void **state)
{
	uint8_t ikm[32] = {1}, out[255 * 32 + 1];

	(void)state;
	CAIRN_T_PASS(crn_hkdf_sha256(out, 255 * 32, NULL, 0, ikm, 32, NULL, 0));
	CAIRN_T_FAIL(
	    crn_hkdf_sha256(out, 255 * 32 + 1, NULL, 0, ikm, 32, NULL, 0),
	    CAIRN_EINVAL);
	CAIRN_T_FAIL(
	    crn_hkdf_sha256(out, 0, NULL, 0, ikm, 32, NULL, 0), CAIRN_EINVAL);
	CAIRN_T_FAIL(
	    crn_hkdf_sha256(out, 32, NULL, 0, NULL, 0, NULL, 0), CAIRN_EINVAL);
	CAIRN_T_FAIL(
	    crn_hkdf_sha256(out, 32, NULL, 5, ikm, 32, NULL, 0), CAIRN_EINVAL);
}

/*
 * crn_kdf is documented as HKDF-SHA256 with salt = session id and
 * info = "cairn/v1/" || purpose || 0x00 || u64be(context); rebuild that
 * by hand and compare, so a change of construction is caught.
 */
static void
test_kdf_construction(void **state)
{
	static const uint8_t sid[CAIRN_SESSION_ID_LEN] = {0x10, 0x11, 0x12,
	    0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d,
	    0x1e, 0x1f};
	static const uint8_t info[] = {'c', 'a', 'i', 'r', 'n', '/', 'v', '1',
	    '/', 'm', 'a', 's', 'k', 0, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06,
	    0x07, 0x08};
	uint8_t ikm[32], a[32], b[32];

	(void)state;
	for (size_t i = 0; i < sizeof(ikm); i++)
		ikm[i] = (uint8_t)i;
	CAIRN_T_PASS(crn_kdf(a, sizeof(a), ikm, sizeof(ikm), sid, "mask",
	    0x0102030405060708ull));
	CAIRN_T_PASS(crn_hkdf_sha256(b, sizeof(b), sid, sizeof(sid), ikm,
	    sizeof(ikm), info, sizeof(info)));
	assert_memory_equal(a, b, sizeof(a));
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_rfc5869_vectors),
    cmocka_unit_test(test_empty_salt_is_zero_salt),
    cmocka_unit_test(test_hkdf_limits),
    cmocka_unit_test(test_kdf_construction),
};

CAIRN_TEST_MAIN(tests)
