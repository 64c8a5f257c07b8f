/*
 * kx_test.c — X25519 key pairs and agreement, and the binding of crn_kdf
 * to session, purpose and context.
 */
#include <string.h>

#include "cairn_test.h"
#include "crypto/crypto.h"

static void
test_agree_symmetric(void **state)
{
	uint8_t sa[CAIRN_SEED_LEN], sb[CAIRN_SEED_LEN];
	uint8_t k1[CAIRN_KEY_LEN], k2[CAIRN_KEY_LEN], k3[CAIRN_KEY_LEN];
	crn_kx_keypair a, b, c;

	(void)state;
	for (int round = 0; round < 20; round++) {
		crn_random_bytes(sa, sizeof(sa));
		crn_random_bytes(sb, sizeof(sb));
		crn_kx_keypair_from_seed(&a, sa);
		crn_kx_keypair_from_seed(&b, sb);
		CAIRN_T_PASS(crn_kx_agree(k1, a.sk, b.pk));
		CAIRN_T_PASS(crn_kx_agree(k2, b.sk, a.pk));
		assert_memory_equal(k1, k2, sizeof(k1));
		/* A third party gets something else. */
		sa[5] ^= 1; /* bit 0 would be clamped away */
		crn_kx_keypair_from_seed(&c, sa);
		CAIRN_T_PASS(crn_kx_agree(k3, c.sk, b.pk));
		assert_memory_not_equal(k1, k3, sizeof(k1));
	}
	cairn_memzero(&a, sizeof(a));
	cairn_memzero(&b, sizeof(b));
	cairn_memzero(&c, sizeof(c));
}

static void
test_keypair_deterministic_and_clamped(void **state)
{
	uint8_t seed[CAIRN_SEED_LEN];
	crn_kx_keypair a, b;

	(void)state;
	memset(seed, 0xff, sizeof(seed));
	crn_kx_keypair_from_seed(&a, seed);
	crn_kx_keypair_from_seed(&b, seed);
	assert_memory_equal(&a, &b, sizeof(a));
	assert_int_equal(a.sk[0] & 7, 0);
	assert_int_equal(a.sk[31] & 0x80, 0);
	assert_int_equal(a.sk[31] & 0x40, 0x40);
}

/*
 * Points of small order (RFC 7748 section 6.1 "all-zero value"): 0, 1 and
 * a point of order 8.  Agreeing with them yields zero and must be refused.
 */
static void
test_low_order_refused(void **state)
{
	static const uint8_t order8[32] = {0xe0, 0xeb, 0x7a, 0x7c, 0x3b, 0x41,
	    0xb8, 0xae, 0x16, 0x56, 0xe3, 0xfa, 0xf1, 0x9f, 0xc4, 0x6a, 0xda,
	    0x09, 0x8d, 0xeb, 0x9c, 0x32, 0xb1, 0xfd, 0x86, 0x62, 0x05, 0x16,
	    0x5f, 0x49, 0xb8, 0x00};
	uint8_t zero[32] = {0}, one[32] = {1}, seed[32], k[32];
	crn_kx_keypair a;

	(void)state;
	crn_random_bytes(seed, sizeof(seed));
	crn_kx_keypair_from_seed(&a, seed);
	memset(k, 0x55, sizeof(k));
	CAIRN_T_FAIL(crn_kx_agree(k, a.sk, zero), CAIRN_EAUTH);
	CAIRN_T_FAIL(crn_kx_agree(k, a.sk, one), CAIRN_EAUTH);
	CAIRN_T_FAIL(crn_kx_agree(k, a.sk, order8), CAIRN_EAUTH);
	/* The output is not left holding anything usable. */
	assert_memory_equal(k, zero, sizeof(k));
}

static void
test_kdf_binding(void **state)
{
	uint8_t ikm[32], sid[CAIRN_SESSION_ID_LEN], sid2[CAIRN_SESSION_ID_LEN];
	uint8_t base[32], k[32], k64[64];

	(void)state;
	crn_random_bytes(ikm, sizeof(ikm));
	crn_random_bytes(sid, sizeof(sid));
	memcpy(sid2, sid, sizeof(sid));
	sid2[15] ^= 0x01;

	CAIRN_T_PASS(crn_kdf(base, 32, ikm, 32, sid, "mask", 7));
	/* Deterministic. */
	CAIRN_T_PASS(crn_kdf(k, 32, ikm, 32, sid, "mask", 7));
	assert_memory_equal(base, k, 32);
	/* Different session. */
	CAIRN_T_PASS(crn_kdf(k, 32, ikm, 32, sid2, "mask", 7));
	assert_memory_not_equal(base, k, 32);
	/* Different purpose, including a prefix and an extension of it. */
	CAIRN_T_PASS(crn_kdf(k, 32, ikm, 32, sid, "share", 7));
	assert_memory_not_equal(base, k, 32);
	CAIRN_T_PASS(crn_kdf(k, 32, ikm, 32, sid, "mas", 7));
	assert_memory_not_equal(base, k, 32);
	CAIRN_T_PASS(crn_kdf(k, 32, ikm, 32, sid, "maskx", 7));
	assert_memory_not_equal(base, k, 32);
	/* Different context, in the low and in the high byte. */
	CAIRN_T_PASS(crn_kdf(k, 32, ikm, 32, sid, "mask", 6));
	assert_memory_not_equal(base, k, 32);
	CAIRN_T_PASS(crn_kdf(k, 32, ikm, 32, sid, "mask", 7 | (1ull << 63)));
	assert_memory_not_equal(base, k, 32);
	/* Different key material. */
	ikm[31] ^= 0x80;
	CAIRN_T_PASS(crn_kdf(k, 32, ikm, 32, sid, "mask", 7));
	assert_memory_not_equal(base, k, 32);
	ikm[31] ^= 0x80;
	/* HKDF: a longer output starts with the shorter one. */
	CAIRN_T_PASS(crn_kdf(k64, 64, ikm, 32, sid, "mask", 7));
	assert_memory_equal(base, k64, 32);
}

static void
test_kdf_rejects_bad_arguments(void **state)
{
	uint8_t ikm[32] = {1}, sid[CAIRN_SESSION_ID_LEN] = {2}, k[32];
	char longp[1100];

	(void)state;
	CAIRN_T_FAIL(crn_kdf(k, 32, ikm, 32, sid, NULL, 0), CAIRN_EINVAL);
	CAIRN_T_FAIL(crn_kdf(k, 32, ikm, 32, sid, "", 0), CAIRN_EINVAL);
	CAIRN_T_FAIL(crn_kdf(k, 32, ikm, 32, NULL, "mask", 0), CAIRN_EINVAL);
	CAIRN_T_FAIL(crn_kdf(k, 32, ikm, 0, sid, "mask", 0), CAIRN_EINVAL);
	CAIRN_T_FAIL(crn_kdf(k, 0, ikm, 32, sid, "mask", 0), CAIRN_EINVAL);
	memset(longp, 'a', sizeof(longp) - 1);
	longp[sizeof(longp) - 1] = 0;
	CAIRN_T_FAIL(crn_kdf(k, 32, ikm, 32, sid, longp, 0), CAIRN_EINVAL);
}

/* The pairwise mask seed as secure aggregation derives it: both ends of a
 * pair get the same key from their own secret and the other's public. */
static void
test_pairwise_seed(void **state)
{
	uint8_t sa[32], sb[32], sid[CAIRN_SESSION_ID_LEN];
	uint8_t s1[32], s2[32], k1[32], k2[32];
	crn_kx_keypair a, b;

	(void)state;
	crn_random_bytes(sa, 32);
	crn_random_bytes(sb, 32);
	crn_random_bytes(sid, sizeof(sid));
	crn_kx_keypair_from_seed(&a, sa);
	crn_kx_keypair_from_seed(&b, sb);
	CAIRN_T_PASS(crn_kx_agree(s1, a.sk, b.pk));
	CAIRN_T_PASS(crn_kx_agree(s2, b.sk, a.pk));
	CAIRN_T_PASS(crn_kdf(k1, 32, s1, 32, sid, "mask", 0));
	CAIRN_T_PASS(crn_kdf(k2, 32, s2, 32, sid, "mask", 0));
	assert_memory_equal(k1, k2, 32);
	cairn_memzero(s1, 32);
	cairn_memzero(s2, 32);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_agree_symmetric),
    cmocka_unit_test(test_keypair_deterministic_and_clamped),
    cmocka_unit_test(test_low_order_refused),
    cmocka_unit_test(test_kdf_binding),
    cmocka_unit_test(test_kdf_rejects_bad_arguments),
    cmocka_unit_test(test_pairwise_seed),
};

CAIRN_TEST_MAIN(tests)
