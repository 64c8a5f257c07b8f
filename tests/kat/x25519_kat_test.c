/*
 * x25519_kat_test.c — crn_kx_agree and crn_kx_keypair_from_seed against
 * the RFC 7748 known answers in tests/vectors/x25519_rfc7748.txt (section
 * 5.2 single and iterated vectors, section 6.1 Diffie-Hellman example).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cairn_test.h"
#include "crypto/crypto.h"
#include "vectors.h"

/* Decode exactly n bytes of hex from the record's key. */
static void
rec_hex(const crn_t_vec_rec *r, const char *key, uint8_t *out, size_t n)
{
	assert_int_equal(crn_t_rec_hex(r, key, out, n), n);
}

static void
test_rfc7748_vectors(void **state)
{
	FILE *f = crn_t_vectors_open("x25519_rfc7748.txt");
	crn_t_vec_rec r;
	int checked = 0;

	(void)state;
	while (crn_t_vectors_next(f, &r)) {
		uint8_t k[32], u[32], want[32], got[32];
		const char *it = crn_t_rec_get(&r, "iterations");

		if (crn_t_rec_get(&r, "scalar") != NULL) {
			rec_hex(&r, "scalar", k, 32);
			rec_hex(&r, "u", u, 32);
			rec_hex(&r, "out", want, 32);
			CAIRN_T_PASS(crn_kx_agree(got, k, u));
			assert_memory_equal(got, want, 32);
			checked++;
		} else if (it != NULL) {
			long n = strtol(it, NULL, 10);

			/* k = u = 9: the base point's u-coordinate. */
			memset(k, 0, 32);
			k[0] = 9;
			memcpy(u, k, 32);
			for (long i = 0; i < n; i++) {
				CAIRN_T_PASS(crn_kx_agree(got, k, u));
				memcpy(u, k, 32);
				memcpy(k, got, 32);
			}
			rec_hex(&r, "out", want, 32);
			assert_memory_equal(k, want, 32);
			checked++;
		} else if (crn_t_rec_get(&r, "alice_sk") != NULL) {
			crn_kx_keypair a, b;
			uint8_t sk[32], pk[32], s1[32], s2[32];

			/*
			 * The RFC's private keys are unclamped; our key pair
			 * constructor clamps, and X25519 clamps anyway, so
			 * the public keys and shared secret must match.
			 */
			rec_hex(&r, "alice_sk", sk, 32);
			crn_kx_keypair_from_seed(&a, sk);
			rec_hex(&r, "alice_pk", pk, 32);
			assert_memory_equal(a.pk, pk, 32);
			rec_hex(&r, "bob_sk", sk, 32);
			crn_kx_keypair_from_seed(&b, sk);
			rec_hex(&r, "bob_pk", pk, 32);
			assert_memory_equal(b.pk, pk, 32);
			rec_hex(&r, "shared", want, 32);
			CAIRN_T_PASS(crn_kx_agree(s1, a.sk, b.pk));
			CAIRN_T_PASS(crn_kx_agree(s2, b.sk, a.pk));
			assert_memory_equal(s1, want, 32);
			assert_memory_equal(s2, want, 32);
			/* Raw unclamped scalars give the same result. */
			rec_hex(&r, "alice_sk", sk, 32);
			CAIRN_T_PASS(crn_kx_agree(s1, sk, b.pk));
			assert_memory_equal(s1, want, 32);
			checked++;
		} else {
			fail_msg(
			    "unknown record %s", crn_t_rec_get(&r, "name"));
		}
	}
	fclose(f);
	/* Two single, two iterated and the DH example. */
	assert_int_equal(checked, 5);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_rfc7748_vectors),
};

CAIRN_TEST_MAIN(tests)
