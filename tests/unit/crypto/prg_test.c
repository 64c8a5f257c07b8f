/*
 * prg_test.c — the mask PRG: expand and add agree element for element for
 * every width, add then subtract restores the vector, lengths that are not
 * a multiple of the internal block, n = 0, and bad arguments.
 * (Known answers are in tests/kat/aes_ctr_kat_test.c.)
 */
#include <string.h>

#include "cairn_test.h"
#include "crypto/crypto.h"
#include "crypto/prg.h"

__extension__ typedef unsigned __int128 u128;

/* Element counts around the 16 KiB internal block for every width. */
static const size_t sizes[] = {
    0,
    1,
    2,
    3,
    5,
    7,
    31,
    1023,
    1024,
    1025,
    2047,
    2048,
    2049,
    4095,
    4096,
    4097,
    12289,
    40000,
};

static void *
fill_random(size_t len, uint8_t tag)
{
	uint8_t seed[CAIRN_SEED_LEN] = {tag};
	crn_drbg d;
	void *p;

	p = crn_alloc(len > 0 ? len : 1);
	assert_non_null(p);
	crn_drbg_init(&d, seed);
	crn_drbg_bytes(&d, p, len);
	crn_drbg_fini(&d);
	return p;
}

static void
make_seed(uint8_t seed[32], uint8_t tag)
{
	for (int i = 0; i < 32; i++)
		seed[i] = (uint8_t)(tag * 31 + i * 7);
}

/* Expected v[i] + sign * e[i] mod 2^bits, computed one element at a time. */
static void
check_sum(const void *got, const void *v, const void *e, size_t n,
    unsigned bits, int sub)
{
	for (size_t i = 0; i < n; i++) {
		if (bits == 32) {
			uint32_t a, b, g;

			memcpy(&a, (const uint8_t *)v + 4 * i, 4);
			memcpy(&b, (const uint8_t *)e + 4 * i, 4);
			memcpy(&g, (const uint8_t *)got + 4 * i, 4);
			assert_true(g == (uint32_t)(sub ? a - b : a + b));
		} else if (bits == 64) {
			uint64_t a, b, g;

			memcpy(&a, (const uint8_t *)v + 8 * i, 8);
			memcpy(&b, (const uint8_t *)e + 8 * i, 8);
			memcpy(&g, (const uint8_t *)got + 8 * i, 8);
			assert_true(g == (uint64_t)(sub ? a - b : a + b));
		} else {
			u128 a, b, g;

			memcpy(&a, (const uint8_t *)v + 16 * i, 16);
			memcpy(&b, (const uint8_t *)e + 16 * i, 16);
			memcpy(&g, (const uint8_t *)got + 16 * i, 16);
			assert_true(g == (u128)(sub ? a - b : a + b));
		}
	}
}

static void
test_expand_add_agree(void **state)
{
	static const unsigned widths[] = {32, 64, 128};
	uint8_t seed[32];

	(void)state;
	make_seed(seed, 1);
	for (size_t w = 0; w < CRN_NELEM(widths); w++) {
		unsigned bits = widths[w];

		for (size_t s = 0; s < CRN_NELEM(sizes); s++) {
			size_t n = sizes[s], len = n * bits / 8;
			void *e = fill_random(len, 9);
			void *v = fill_random(len, 2);
			void *y = fill_random(len, 2);
			void *z = crn_zalloc(len > 0 ? len : 1);

			assert_non_null(z);
			CAIRN_T_PASS(crn_prg_expand(e, n, bits, seed));
			/* On zeros, add writes exactly the expansion. */
			CAIRN_T_PASS(crn_prg_add(z, n, bits, seed, 0));
			assert_memory_equal(z, e, len);
			/* On data, add is element-wise modular addition. */
			CAIRN_T_PASS(crn_prg_add(y, n, bits, seed, 0));
			check_sum(y, v, e, n, bits, 0);
			/* And subtracting restores the original exactly. */
			CAIRN_T_PASS(crn_prg_add(y, n, bits, seed, 1));
			assert_memory_equal(y, v, len);
			/* Subtract alone is element-wise subtraction. */
			CAIRN_T_PASS(crn_prg_add(y, n, bits, seed, 1));
			check_sum(y, v, e, n, bits, 1);
			crn_free(e, len > 0 ? len : 1);
			crn_free(v, len > 0 ? len : 1);
			crn_free(y, len > 0 ? len : 1);
			crn_free(z, len > 0 ? len : 1);
		}
	}
}

/*
 * crn_prg_add on a vector at every byte offset.  It used to load and
 * store the vector as native words, undefined at an unaligned address
 * (UBSan: "load of misaligned address"); it now goes through memcpy, and
 * the node's masked frame is padded to put its vector 16-byte aligned
 * anyway.
 */
static void
test_add_unaligned_vector(void **state)
{
	static const unsigned widths[] = {32, 64, 128};
	static const size_t counts[] = {5, 4097};
	uint8_t seed[32];

	(void)state;
	make_seed(seed, 4);
	for (size_t w = 0; w < CRN_NELEM(widths); w++)
		for (size_t c = 0; c < CRN_NELEM(counts); c++)
			for (size_t off = 1; off < 16; off += 5) {
				unsigned bits = widths[w];
				size_t n = counts[c], len = n * bits / 8;
				uint8_t *buf = crn_zalloc(len + 16);
				void *e = fill_random(len, 7);
				void *v = fill_random(len, 8);

				assert_non_null(buf);
				CAIRN_T_PASS(crn_prg_expand(e, n, bits, seed));
				memcpy(buf + off, v, len);
				CAIRN_T_PASS(
				    crn_prg_add(buf + off, n, bits, seed, 0));
				check_sum(buf + off, v, e, n, bits, 0);
				crn_free(buf, len + 16);
				crn_free(e, len);
				crn_free(v, len);
			}
}

/* The elements are the keystream bytes (little-endian words), and a
 * prefix of a long expansion is the short expansion. */
static void
test_expand_is_keystream(void **state)
{
	size_t n = 40000, len = n * 8;
	uint8_t *ks = crn_alloc(len), *e = crn_alloc(len), *p = crn_alloc(len);
	uint8_t seed[32];

	(void)state;
	assert_non_null(ks);
	assert_non_null(e);
	assert_non_null(p);
	make_seed(seed, 3);
	CAIRN_T_PASS(crn_prg_keystream(ks, len, seed));
	CAIRN_T_PASS(crn_prg_expand(e, n, 64, seed));
	for (size_t i = 0; i < n; i++) {
		uint64_t w = 0, g;

		for (size_t b = 8; b-- > 0;)
			w = (w << 8) | ks[8 * i + b];
		memcpy(&g, e + 8 * i, 8);
		assert_true(g == w);
	}
	CAIRN_T_PASS(crn_prg_expand(p, 16385, 32, seed));
	assert_memory_equal(p, ks, 16385 * 4);
	crn_free(ks, len);
	crn_free(e, len);
	crn_free(p, len);
}

static void
test_seeds_differ(void **state)
{
	uint8_t s1[32], s2[32], a[4096], b[4096];

	(void)state;
	make_seed(s1, 4);
	memcpy(s2, s1, 32);
	s2[31] ^= 1; /* counter block only */
	CAIRN_T_PASS(crn_prg_keystream(a, sizeof(a), s1));
	CAIRN_T_PASS(crn_prg_keystream(b, sizeof(b), s2));
	assert_memory_not_equal(a, b, 16);
	s2[31] ^= 1;
	s2[0] ^= 1; /* key only */
	CAIRN_T_PASS(crn_prg_keystream(b, sizeof(b), s2));
	assert_memory_not_equal(a, b, 16);
	/* Deterministic: the same seed gives the same stream. */
	CAIRN_T_PASS(crn_prg_keystream(b, sizeof(b), s1));
	assert_memory_equal(a, b, sizeof(b));
}

static void
test_zero_length(void **state)
{
	uint8_t seed[32];
	uint64_t v[2] = {11, 22};

	(void)state;
	make_seed(seed, 5);
	CAIRN_T_PASS(crn_prg_add(v, 0, 64, seed, 0));
	CAIRN_T_PASS(crn_prg_add(NULL, 0, 64, seed, 1));
	CAIRN_T_PASS(crn_prg_expand(NULL, 0, 32, seed));
	CAIRN_T_PASS(crn_prg_keystream(NULL, 0, seed));
	assert_true(v[0] == 11 && v[1] == 22);
}

static void
test_bad_arguments(void **state)
{
	static const unsigned bad[] = {0, 1, 8, 16, 31, 33, 63, 96, 127, 256};
	uint8_t seed[32];
	uint32_t v[8] = {0};

	(void)state;
	make_seed(seed, 6);
	for (size_t i = 0; i < CRN_NELEM(bad); i++) {
		CAIRN_T_FAIL(crn_prg_add(v, 2, bad[i], seed, 0), CAIRN_EINVAL);
		CAIRN_T_FAIL(crn_prg_add(v, 0, bad[i], seed, 0), CAIRN_EINVAL);
		CAIRN_T_FAIL(crn_prg_expand(v, 2, bad[i], seed), CAIRN_EINVAL);
	}
	for (size_t i = 0; i < CRN_NELEM(v); i++)
		assert_true(v[i] == 0);
	CAIRN_T_FAIL(crn_prg_add(v, 2, 32, NULL, 0), CAIRN_EINVAL);
	CAIRN_T_FAIL(crn_prg_add(NULL, 2, 32, seed, 0), CAIRN_EINVAL);
	CAIRN_T_FAIL(crn_prg_expand(NULL, 2, 32, seed), CAIRN_EINVAL);
	CAIRN_T_FAIL(crn_prg_keystream(NULL, 2, seed), CAIRN_EINVAL);
	CAIRN_T_FAIL(crn_prg_keystream((uint8_t *)v, 2, NULL), CAIRN_EINVAL);
	/* n * width overflowing size_t is refused, not wrapped. */
	CAIRN_T_FAIL(crn_prg_add(v, SIZE_MAX / 4, 64, seed, 0), CAIRN_EINVAL);
	CAIRN_T_FAIL(crn_prg_expand(v, SIZE_MAX / 8, 128, seed), CAIRN_EINVAL);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_expand_add_agree),
    cmocka_unit_test(test_add_unaligned_vector),
    cmocka_unit_test(test_expand_is_keystream),
    cmocka_unit_test(test_seeds_differ),
    cmocka_unit_test(test_zero_length),
    cmocka_unit_test(test_bad_arguments),
};

CAIRN_TEST_MAIN(tests)
