/*
 * x25519_kat_test.c — crn_kx_agree and crn_kx_keypair_from_seed against
 * the RFC 7748 known answers in tests/vectors/x25519_rfc7748.txt (section
 * 5.2 single and iterated vectors, section 6.1 Diffie-Hellman example).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cairn_test.h"
#include "crn_crypto.h"

#define MAX_FIELDS 16

/* One record of a vectors file: "key = value" lines up to a blank line. */
typedef struct vec_rec {
	char key[MAX_FIELDS][32];
	char val[MAX_FIELDS][400];
	int n;
} vec_rec;

static FILE *
open_vectors(const char *name)
{
	const char *src = getenv("CAIRN_SRC");
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/tests/vectors/%s",
	    src != NULL ? src : ".", name);
	if ((f = fopen(path, "r")) == NULL)
		fail_msg("cannot open %s (is CAIRN_SRC set?)", path);
	return f;
}

/* Read the next record; returns 0 at end of file. */
static int
next_rec(FILE *f, vec_rec *r)
{
	char line[1024];

	memset(r, 0, sizeof(*r));
	while (fgets(line, sizeof(line), f) != NULL) {
		char *eq, *k, *v, *e;

		line[strcspn(line, "\r\n")] = 0;
		if (line[0] == '#')
			continue;
		if (line[0] == 0) {
			if (r->n > 0)
				return 1;
			continue;
		}
		if ((eq = strchr(line, '=')) == NULL || r->n == MAX_FIELDS)
			fail_msg("bad vectors line: %s", line);
		*eq = 0;
		k = line;
		v = eq + 1;
		while (*v == ' ')
			v++;
		for (e = eq; e > k && e[-1] == ' '; e--)
			e[-1] = 0;
		assert_true(strlen(k) < sizeof(r->key[0]));
		assert_true(strlen(v) < sizeof(r->val[0]));
		strcpy(r->key[r->n], k);
		strcpy(r->val[r->n], v);
		r->n++;
	}
	return r->n > 0;
}

static const char *
rec_get(const vec_rec *r, const char *key)
{
	for (int i = 0; i < r->n; i++) {
		if (strcmp(r->key[i], key) == 0)
			return r->val[i];
	}
	return NULL;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	fail_msg("bad hex digit %c", c);
	return -1;
}

/* Decode exactly n bytes of hex from the record's key. */
static void
rec_hex(const vec_rec *r, const char *key, uint8_t *out, size_t n)
{
	const char *h = rec_get(r, key);

	if (h == NULL)
		fail_msg("record lacks %s", key);
	assert_int_equal(strlen(h), 2 * n);
	for (size_t i = 0; i < n; i++)
		out[i] =
		    (uint8_t)(hexval(h[2 * i]) << 4 | hexval(h[2 * i + 1]));
}

static void
test_rfc7748_vectors(void **state)
{
	FILE *f = open_vectors("x25519_rfc7748.txt");
	vec_rec r;
	int checked = 0;

	(void)state;
	while (next_rec(f, &r)) {
		uint8_t k[32], u[32], want[32], got[32];
		const char *it = rec_get(&r, "iterations");

		if (rec_get(&r, "scalar") != NULL) {
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
		} else if (rec_get(&r, "alice_sk") != NULL) {
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
			fail_msg("unknown record %s", rec_get(&r, "name"));
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
