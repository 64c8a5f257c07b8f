/*
 * aes_ctr_kat_test.c — the mask PRG against NIST SP 800-38A (2001),
 * Appendix F.5.1 (CTR-AES128.Encrypt), read from
 * tests/vectors/aes_ctr_sp800_38a.txt.  The PRG seed is the key followed by
 * the initial counter block, so crn_prg_keystream must reproduce the
 * document's output blocks, and the expanded ring elements must be the
 * little-endian words of those blocks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cairn_test.h"
#include "crypto/prg.h"

#define KAT_MAX 256

struct kat {
	uint8_t key[16], ctr[16];
	uint8_t out[KAT_MAX], pt[KAT_MAX], ct[KAT_MAX];
	size_t nkey, nctr, nout, npt, nct;
};

static int
unhex(uint8_t *dst, size_t cap, size_t *len, const char *hex)
{
	size_t n = strlen(hex);

	if (n % 2 != 0 || *len + n / 2 > cap)
		return -1;
	for (size_t i = 0; i < n; i += 2) {
		unsigned v;

		if (sscanf(hex + i, "%2x", &v) != 1)
			return -1;
		dst[(*len)++] = (uint8_t)v;
	}
	return 0;
}

/* Read the vector file; returns the number of cases parsed. */
static size_t
load_vectors(struct kat *k, size_t cap)
{
	char path[1024], line[512], name[64], hex[400];
	const char *src = getenv("CAIRN_SRC");
	size_t n = 0;
	FILE *f;

	assert_non_null(src);
	snprintf(
	    path, sizeof(path), "%s/tests/vectors/aes_ctr_sp800_38a.txt", src);
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f) != NULL) {
		struct kat *c;
		int rc = 0;

		if (line[0] == '#' ||
		    sscanf(line, "%63s = %399s", name, hex) != 2)
			continue;
		if (strcmp(name, "Key") == 0) {
			assert_true(n < cap);
			memset(&k[n], 0, sizeof(k[n]));
			n++;
		}
		assert_true(n > 0);
		c = &k[n - 1];
		if (strcmp(name, "Key") == 0)
			rc = unhex(c->key, sizeof(c->key), &c->nkey, hex);
		else if (strcmp(name, "InitCounter") == 0)
			rc = unhex(c->ctr, sizeof(c->ctr), &c->nctr, hex);
		else if (strcmp(name, "OutputBlock") == 0)
			rc = unhex(c->out, KAT_MAX, &c->nout, hex);
		else if (strcmp(name, "Plaintext") == 0)
			rc = unhex(c->pt, KAT_MAX, &c->npt, hex);
		else if (strcmp(name, "Ciphertext") == 0)
			rc = unhex(c->ct, KAT_MAX, &c->nct, hex);
		else
			fail_msg("unknown field %s", name);
		assert_int_equal(rc, 0);
	}
	fclose(f);
	return n;
}

static void
seed_of(uint8_t seed[32], const struct kat *c)
{
	assert_int_equal(c->nkey, 16);
	assert_int_equal(c->nctr, 16);
	memcpy(seed, c->key, 16);
	memcpy(seed + 16, c->ctr, 16);
}

static void
test_keystream(void **state)
{
	struct kat k[4];
	uint8_t seed[32], ks[KAT_MAX + 1];
	size_t n;

	(void)state;
	n = load_vectors(k, CRN_NELEM(k));
	assert_true(n >= 1);
	for (size_t i = 0; i < n; i++) {
		const struct kat *c = &k[i];

		seed_of(seed, c);
		assert_true(c->nout > 0);
		assert_int_equal(c->nout, c->npt);
		assert_int_equal(c->nout, c->nct);
		/* Every prefix length, including ones that end mid-block. */
		for (size_t len = 0; len <= c->nout; len++) {
			memset(ks, 0xa5, sizeof(ks));
			CAIRN_T_PASS(crn_prg_keystream(ks, len, seed));
			assert_memory_equal(ks, c->out, len);
			assert_int_equal(ks[len], 0xa5);
		}
		/* Ciphertext = plaintext XOR keystream. */
		for (size_t j = 0; j < c->nout; j++)
			assert_int_equal(c->pt[j] ^ ks[j], c->ct[j]);
	}
}

/* Element i is the little-endian word at offset i * width. */
static void
test_expand_words(void **state)
{
	struct kat k[4];
	uint8_t seed[32];
	uint32_t v32[KAT_MAX / 4];
	uint64_t v64[KAT_MAX / 8];
	_Alignas(16) uint64_t v128[KAT_MAX / 8]; /* two halves each */
	size_t n;

	(void)state;
	n = load_vectors(k, CRN_NELEM(k));
	for (size_t i = 0; i < n; i++) {
		const struct kat *c = &k[i];
		size_t n32 = c->nout / 4, n64 = c->nout / 8;
		size_t n128 = c->nout / 16;

		seed_of(seed, c);
		CAIRN_T_PASS(crn_prg_expand(v32, n32, 32, seed));
		CAIRN_T_PASS(crn_prg_expand(v64, n64, 64, seed));
		CAIRN_T_PASS(crn_prg_expand(v128, n128, 128, seed));
		for (size_t j = 0; j < n32; j++) {
			uint32_t w = 0;

			for (size_t b = 4; b-- > 0;)
				w = (w << 8) | c->out[4 * j + b];
			assert_int_equal(v32[j], w);
		}
		for (size_t j = 0; j < n64; j++) {
			uint64_t w = 0;

			for (size_t b = 8; b-- > 0;)
				w = (w << 8) | c->out[8 * j + b];
			assert_int_equal(v64[j], w);
		}
		/* 128-bit elements: low half first (little-endian words). */
		for (size_t j = 0; j < n128; j++) {
			__extension__ unsigned __int128 e;
			uint64_t lo = 0, hi = 0;

			for (size_t b = 8; b-- > 0;) {
				lo = (lo << 8) | c->out[16 * j + b];
				hi = (hi << 8) | c->out[16 * j + 8 + b];
			}
			memcpy(&e, &v128[2 * j], sizeof(e));
			assert_true((uint64_t)e == lo);
			assert_true((uint64_t)(e >> 64) == hi);
		}
	}
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_keystream),
    cmocka_unit_test(test_expand_words),
};

CAIRN_TEST_MAIN(tests)
