/*
 * aead_test.c — XChaCha20-Poly1305 sealing: round trips, random nonces,
 * and refusal of every single-bit change to nonce, ciphertext, tag or
 * associated data.
 */
#include <string.h>

#include "cairn_test.h"
#include "crypto/crypto.h"

static void
test_round_trip_sizes(void **state)
{
	static const size_t sizes[] = {0, 1, 15, 16, 63, 64, 65, 1000, 70000};
	uint8_t key[CAIRN_KEY_LEN], ad[13];

	(void)state;
	crn_random_bytes(key, sizeof(key));
	crn_random_bytes(ad, sizeof(ad));
	for (size_t i = 0; i < CRN_NELEM(sizes); i++) {
		size_t n = sizes[i];
		uint8_t *pt = crn_alloc(n),
		        *ct = crn_alloc(n + CAIRN_AEAD_OVERHEAD);
		uint8_t *back = crn_alloc(n);

		assert_non_null(pt);
		assert_non_null(ct);
		assert_non_null(back);
		crn_random_bytes(pt, n);
		CAIRN_T_PASS(crn_aead_seal(ct, pt, n, ad, sizeof(ad), key));
		/* The ciphertext does not contain the plaintext verbatim. */
		if (n >= 16)
			assert_memory_not_equal(
			    ct + CAIRN_AEAD_NONCE_LEN, pt, 16);
		CAIRN_T_PASS(crn_aead_open(
		    back, ct, n + CAIRN_AEAD_OVERHEAD, ad, sizeof(ad), key));
		assert_memory_equal(back, pt, n);
		/* Without associated data too. */
		CAIRN_T_PASS(crn_aead_seal(ct, pt, n, NULL, 0, key));
		CAIRN_T_PASS(crn_aead_open(
		    back, ct, n + CAIRN_AEAD_OVERHEAD, NULL, 0, key));
		assert_memory_equal(back, pt, n);
		crn_free(pt, n);
		crn_free(ct, n + CAIRN_AEAD_OVERHEAD);
		crn_free(back, n);
	}
}

static void
test_nonces_are_fresh(void **state)
{
	uint8_t key[CAIRN_KEY_LEN], pt[32] = {0};
	uint8_t c1[32 + CAIRN_AEAD_OVERHEAD], c2[32 + CAIRN_AEAD_OVERHEAD];

	(void)state;
	crn_random_bytes(key, sizeof(key));
	CAIRN_T_PASS(crn_aead_seal(c1, pt, sizeof(pt), NULL, 0, key));
	CAIRN_T_PASS(crn_aead_seal(c2, pt, sizeof(pt), NULL, 0, key));
	assert_memory_not_equal(c1, c2, CAIRN_AEAD_NONCE_LEN);
	assert_memory_not_equal(
	    c1 + CAIRN_AEAD_NONCE_LEN, c2 + CAIRN_AEAD_NONCE_LEN, sizeof(pt));
}

static void
test_every_bit_flip_refused(void **state)
{
	enum { PT = 40, CT = PT + CAIRN_AEAD_OVERHEAD };
	uint8_t key[CAIRN_KEY_LEN], pt[PT], ct[CT], back[PT], ad[10];
	int refused = 0;

	(void)state;
	crn_random_bytes(key, sizeof(key));
	crn_random_bytes(pt, sizeof(pt));
	crn_random_bytes(ad, sizeof(ad));
	CAIRN_T_PASS(crn_aead_seal(ct, pt, PT, ad, sizeof(ad), key));
	/* nonce, ciphertext and tag */
	for (size_t bit = 0; bit < CT * 8; bit++) {
		ct[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		memset(back, 0x5a, sizeof(back));
		CAIRN_T_FAIL(crn_aead_open(back, ct, CT, ad, sizeof(ad), key),
		    CAIRN_EAUTH);
		/* No unauthenticated plaintext is released. */
		for (size_t i = 0; i < PT; i++)
			assert_true(back[i] == 0x5a || back[i] == 0);
		ct[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		refused++;
	}
	/* associated data */
	for (size_t bit = 0; bit < sizeof(ad) * 8; bit++) {
		ad[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		CAIRN_T_FAIL(crn_aead_open(back, ct, CT, ad, sizeof(ad), key),
		    CAIRN_EAUTH);
		ad[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		refused++;
	}
	/* key */
	for (size_t bit = 0; bit < sizeof(key) * 8; bit++) {
		key[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		CAIRN_T_FAIL(crn_aead_open(back, ct, CT, ad, sizeof(ad), key),
		    CAIRN_EAUTH);
		key[bit / 8] ^= (uint8_t)(1u << (bit % 8));
	}
	assert_int_equal(refused, (CT + (int)sizeof(ad)) * 8);
	/* Missing, truncated or extended associated data and ciphertext. */
	CAIRN_T_FAIL(crn_aead_open(back, ct, CT, NULL, 0, key), CAIRN_EAUTH);
	CAIRN_T_FAIL(
	    crn_aead_open(back, ct, CT, ad, sizeof(ad) - 1, key), CAIRN_EAUTH);
	CAIRN_T_FAIL(
	    crn_aead_open(back, ct, CT - 1, ad, sizeof(ad), key), CAIRN_EAUTH);
	CAIRN_T_FAIL(crn_aead_open(back, ct, CAIRN_AEAD_OVERHEAD - 1, ad,
	                 sizeof(ad), key),
	    CAIRN_EAUTH);
	CAIRN_T_FAIL(
	    crn_aead_open(back, ct, 0, ad, sizeof(ad), key), CAIRN_EAUTH);
	/* And the untouched message still opens. */
	CAIRN_T_PASS(crn_aead_open(back, ct, CT, ad, sizeof(ad), key));
	assert_memory_equal(back, pt, PT);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_round_trip_sizes),
    cmocka_unit_test(test_nonces_are_fresh),
    cmocka_unit_test(test_every_bit_flip_refused),
};

CAIRN_TEST_MAIN(tests)
