/*
 * shamir_test.c — Shamir sharing over GF(2^61 - 1): every t-subset
 * reconstructs, no (t-1)-subset does, bad shares and arguments are refused,
 * the reusable Lagrange coefficients, and a 10,000-holder split+combine.
 * CAIRN_TEST_TIMEOUT: 300
 */
#include <string.h>
#include <time.h>

#include "cairn_test.h"
#include "crypto/crypto.h"
#include "crypto/shamir.h"

#define P61 ((UINT64_C(1) << 61) - 1)

static void
rng_init(crn_drbg *d, uint8_t tag)
{
	uint8_t seed[CAIRN_SEED_LEN];

	memset(seed, tag, sizeof(seed));
	crn_drbg_init(d, seed);
}

static void
random_secret(uint8_t s[CRN_SHAMIR_SECRET_LEN], uint8_t tag)
{
	crn_drbg d;

	rng_init(&d, (uint8_t)(0x80 | tag));
	crn_drbg_bytes(&d, s, CRN_SHAMIR_SECRET_LEN);
	crn_drbg_fini(&d);
}

/* Field by field: the struct has padding after x. */
static void
assert_share_equal(const crn_shamir_share *a, const crn_shamir_share *b)
{
	assert_int_equal(a->x, b->x);
	for (int c = 0; c < CRN_SHAMIR_CHUNKS; c++)
		assert_true(a->y[c] == b->y[c]);
}

/* Gather the shares whose index bit is set in mask (reversed if asked, so
 * that the order of the shares does not matter). */
static uint32_t
pick(crn_shamir_share *dst, const crn_shamir_share *src, uint32_t n,
    unsigned mask, int reverse)
{
	uint32_t k = 0;

	for (uint32_t i = 0; i < n; i++) {
		uint32_t j = reverse ? n - 1 - i : i;

		if (mask & (1u << j))
			dst[k++] = src[j];
	}
	return k;
}

static void
test_subsets(void **state)
{
	static const uint32_t cases[][2] = {
	    {1, 1},
	    {2, 1},
	    {2, 2},
	    {3, 2},
	    {4, 3},
	    {5, 3},
	    {6, 6},
	    {7, 4},
	    {8, 5},
	};
	uint8_t secret[CRN_SHAMIR_SECRET_LEN], got[CRN_SHAMIR_SECRET_LEN];
	crn_shamir_share shares[8], sub[8];

	(void)state;
	for (size_t c = 0; c < CRN_NELEM(cases); c++) {
		uint32_t n = cases[c][0], t = cases[c][1];
		unsigned ok = 0, refused = 0;
		crn_drbg d;

		random_secret(secret, (uint8_t)c);
		rng_init(&d, (uint8_t)c);
		CAIRN_T_PASS(crn_shamir_split(shares, n, t, secret, &d));
		crn_drbg_fini(&d);
		for (uint32_t i = 0; i < n; i++)
			assert_int_equal(shares[i].x, i + 1);
		for (unsigned mask = 1; mask < (1u << n); mask++) {
			uint32_t k = (uint32_t)__builtin_popcount(mask);
			cairn_err rv;

			if (k == t) {
				for (int r = 0; r < 2; r++) {
					pick(sub, shares, n, mask, r);
					memset(got, 0, sizeof(got));
					CAIRN_T_PASS(
					    crn_shamir_combine(got, sub, k, t));
					assert_memory_equal(
					    got, secret, sizeof(got));
					ok++;
				}
			} else if (k + 1 == t) {
				/* t-1 shares interpolate a degree t-2
				 * polynomial: a wrong secret or, usually,
				 * an invalid encoding. */
				pick(sub, shares, n, mask, 0);
				memset(got, 0, sizeof(got));
				rv = crn_shamir_combine(got, sub, k, k);
				assert_true(rv == CAIRN_EAUTH ||
				    (rv == CAIRN_OK &&
				        memcmp(got, secret, sizeof(got)) != 0));
				refused++;
				/* And t-1 shares are too few for t. */
				CAIRN_T_FAIL(crn_shamir_combine(got, sub, k, t),
				    CAIRN_EINVAL);
			}
		}
		assert_true(ok > 0);
		assert_true(t == 1 || refused > 0);
	}
}

static void
test_extreme_secrets(void **state)
{
	uint8_t secret[CRN_SHAMIR_SECRET_LEN], got[CRN_SHAMIR_SECRET_LEN];
	crn_shamir_share shares[9];
	crn_drbg d;

	(void)state;
	rng_init(&d, 40);
	for (int v = 0; v < 3; v++) {
		memset(secret,
		    v == 0       ? 0x00
		        : v == 1 ? 0xff
		                 : 0x80,
		    sizeof(secret));
		CAIRN_T_PASS(crn_shamir_split(shares, 9, 5, secret, &d));
		/* More shares than needed: the first t are used. */
		CAIRN_T_PASS(crn_shamir_combine(got, shares + 2, 7, 5));
		assert_memory_equal(got, secret, sizeof(got));
	}
	crn_drbg_fini(&d);
}

static void
test_deterministic(void **state)
{
	uint8_t secret[CRN_SHAMIR_SECRET_LEN];
	crn_shamir_share a[6], b[6];
	crn_drbg d;

	(void)state;
	random_secret(secret, 1);
	rng_init(&d, 7);
	CAIRN_T_PASS(crn_shamir_split(a, 6, 4, secret, &d));
	crn_drbg_fini(&d);
	rng_init(&d, 7);
	CAIRN_T_PASS(crn_shamir_split(b, 6, 4, secret, &d));
	crn_drbg_fini(&d);
	for (int i = 0; i < 6; i++)
		assert_share_equal(&a[i], &b[i]);
	for (int i = 0; i < 6; i++) {
		for (int c = 0; c < CRN_SHAMIR_CHUNKS; c++)
			assert_true(a[i].y[c] < P61);
	}
	/* A different random stream gives different shares, same secret. */
	rng_init(&d, 8);
	CAIRN_T_PASS(crn_shamir_split(b, 6, 4, secret, &d));
	crn_drbg_fini(&d);
	assert_memory_not_equal(&a[0].y, &b[0].y, sizeof(a[0].y));
}

static void
test_bad_combine(void **state)
{
	uint8_t secret[CRN_SHAMIR_SECRET_LEN], got[CRN_SHAMIR_SECRET_LEN];
	crn_shamir_share shares[5], bad[5];
	crn_drbg d;

	(void)state;
	random_secret(secret, 2);
	rng_init(&d, 9);
	CAIRN_T_PASS(crn_shamir_split(shares, 5, 3, secret, &d));
	crn_drbg_fini(&d);

	CAIRN_T_FAIL(crn_shamir_combine(got, shares, 2, 3), CAIRN_EINVAL);
	CAIRN_T_FAIL(crn_shamir_combine(got, shares, 0, 0), CAIRN_EINVAL);
	memcpy(bad, shares, sizeof(bad));
	bad[1].x = bad[0].x;
	CAIRN_T_FAIL(crn_shamir_combine(got, bad, 5, 3), CAIRN_EINVAL);
	memcpy(bad, shares, sizeof(bad));
	bad[2].x = 0;
	CAIRN_T_FAIL(crn_shamir_combine(got, bad, 5, 3), CAIRN_EINVAL);
	memcpy(bad, shares, sizeof(bad));
	bad[2].x = CRN_SHAMIR_MAX_N + 1;
	CAIRN_T_FAIL(crn_shamir_combine(got, bad, 5, 3), CAIRN_EINVAL);
	memcpy(bad, shares, sizeof(bad));
	bad[0].y[3] = P61;
	CAIRN_T_FAIL(crn_shamir_combine(got, bad, 5, 3), CAIRN_EINVAL);

	/*
	 * A share replaced by garbage is caught by the encoding check: each
	 * reconstructed chunk is then uniform in the field, and all five fit
	 * their width with probability about 2^-49.  (A small, deliberate
	 * change is not caught: that is what the AEAD around shares is for.)
	 */
	memcpy(bad, shares, sizeof(bad));
	rng_init(&d, 10);
	for (int c = 0; c < CRN_SHAMIR_CHUNKS; c++)
		bad[1].y[c] = crn_drbg_uniform(&d, P61);
	crn_drbg_fini(&d);
	memset(got, 0x5a, sizeof(got));
	CAIRN_T_FAIL(crn_shamir_combine(got, bad, 3, 3), CAIRN_EAUTH);
	/* Not written on failure. */
	for (size_t i = 0; i < sizeof(got); i++)
		assert_int_equal(got[i], 0x5a);
	/* A duplicate beyond the first t is not used, so not an error. */
	memcpy(bad, shares, sizeof(bad));
	bad[4].x = bad[0].x;
	CAIRN_T_PASS(crn_shamir_combine(got, bad, 5, 3));
	assert_memory_equal(got, secret, sizeof(got));
}

/*
 * With t = 1 the polynomial is the constant secret, so a share's y values
 * are the chunks themselves: this pins the chunk layout and the checks on
 * chunk size exactly.
 */
static void
test_chunk_encoding(void **state)
{
	uint8_t secret[CRN_SHAMIR_SECRET_LEN], got[CRN_SHAMIR_SECRET_LEN];
	crn_shamir_share s;
	crn_drbg d;

	(void)state;
	for (int i = 0; i < CRN_SHAMIR_SECRET_LEN; i++)
		secret[i] = (uint8_t)(i + 1);
	rng_init(&d, 11);
	CAIRN_T_PASS(crn_shamir_split(&s, 1, 1, secret, &d));
	crn_drbg_fini(&d);
	assert_true(s.y[0] == UINT64_C(0x01020304050607));
	assert_true(s.y[1] == UINT64_C(0x08090a0b0c0d0e));
	assert_true(s.y[2] == UINT64_C(0x0f101112131415));
	assert_true(s.y[3] == UINT64_C(0x161718191a1b1c));
	assert_true(s.y[4] == UINT64_C(0x1d1e1f20));

	s.y[0] = (UINT64_C(1) << 56) - 1;
	CAIRN_T_PASS(crn_shamir_combine(got, &s, 1, 1));
	for (int i = 0; i < 7; i++)
		assert_int_equal(got[i], 0xff);
	s.y[0] = UINT64_C(1) << 56;
	CAIRN_T_FAIL(crn_shamir_combine(got, &s, 1, 1), CAIRN_EAUTH);
	s.y[0] = 0;
	s.y[4] = UINT64_C(0xffffffff);
	CAIRN_T_PASS(crn_shamir_combine(got, &s, 1, 1));
	s.y[4] = UINT64_C(1) << 32; /* a spare byte of the last chunk */
	CAIRN_T_FAIL(crn_shamir_combine(got, &s, 1, 1), CAIRN_EAUTH);
	s.y[4] = UINT64_C(1) << 55;
	CAIRN_T_FAIL(crn_shamir_combine(got, &s, 1, 1), CAIRN_EAUTH);
}

static void
test_encode_decode(void **state)
{
	uint8_t secret[CRN_SHAMIR_SECRET_LEN], buf[CRN_SHAMIR_SHARE_LEN];
	crn_shamir_share shares[4], back;
	crn_drbg d;

	(void)state;
	random_secret(secret, 3);
	rng_init(&d, 12);
	CAIRN_T_PASS(crn_shamir_split(shares, 4, 2, secret, &d));
	crn_drbg_fini(&d);
	for (int i = 0; i < 4; i++) {
		crn_shamir_share_encode(buf, &shares[i]);
		/* Big-endian x first. */
		assert_int_equal(buf[0], 0);
		assert_int_equal(buf[3], i + 1);
		assert_int_equal(buf[4 + 7], (uint8_t)shares[i].y[0]);
		CAIRN_T_PASS(crn_shamir_share_decode(&back, buf));
		assert_share_equal(&back, &shares[i]);
	}

	/* Largest valid values. */
	back.x = CRN_SHAMIR_MAX_N;
	for (int c = 0; c < CRN_SHAMIR_CHUNKS; c++)
		back.y[c] = P61 - 1;
	crn_shamir_share_encode(buf, &back);
	memset(&shares[0], 0, sizeof(shares[0]));
	CAIRN_T_PASS(crn_shamir_share_decode(&shares[0], buf));
	assert_share_equal(&shares[0], &back);

	/* x = 0, x too large, y = p, y = 2^64 - 1 are refused and the
	 * output is left alone. */
	memset(buf, 0, sizeof(buf));
	CAIRN_T_FAIL(crn_shamir_share_decode(&back, buf), CAIRN_EINVAL);
	buf[1] = 1; /* x = 65536 */
	CAIRN_T_FAIL(crn_shamir_share_decode(&back, buf), CAIRN_EINVAL);
	buf[1] = 0;
	buf[3] = 1;
	CAIRN_T_PASS(crn_shamir_share_decode(&back, buf));
	buf[4 + 8 * 2] = 0x20; /* y[2] = 2^61 = p + 1 */
	CAIRN_T_FAIL(crn_shamir_share_decode(&back, buf), CAIRN_EINVAL);
	buf[4 + 8 * 2] = 0x1f; /* y[2] = 0x1f00.. < p */
	CAIRN_T_PASS(crn_shamir_share_decode(&back, buf));
	memset(buf + 4 + 8 * 4, 0xff, 8); /* y[4] = 2^64 - 1 */
	CAIRN_T_FAIL(crn_shamir_share_decode(&back, buf), CAIRN_EINVAL);
	memset(buf + 4 + 8 * 4, 0xff, 8);
	buf[4 + 8 * 4] = 0x1f; /* y[4] = p exactly */
	CAIRN_T_FAIL(crn_shamir_share_decode(&back, buf), CAIRN_EINVAL);
	assert_int_equal(back.x, 1);
	assert_true(back.y[2] == UINT64_C(0x1f) << 56);
}

/* One set of coefficients serves many secrets held by the same holders. */
static void
test_lagrange_reuse(void **state)
{
	uint8_t secret[CRN_SHAMIR_SECRET_LEN], got[CRN_SHAMIR_SECRET_LEN];
	crn_shamir_share shares[10][12], sub[6];
	static const uint32_t holders[6] = {12, 3, 7, 1, 9, 10};
	uint32_t xs[6];
	uint64_t coef[6];
	crn_drbg d;

	(void)state;
	rng_init(&d, 13);
	for (int s = 0; s < 10; s++) {
		random_secret(secret, (uint8_t)(20 + s));
		CAIRN_T_PASS(crn_shamir_split(shares[s], 12, 6, secret, &d));
	}
	crn_drbg_fini(&d);
	memcpy(xs, holders, sizeof(xs));
	CAIRN_T_PASS(crn_shamir_lagrange(coef, xs, 6));
	for (int i = 0; i < 6; i++)
		assert_true(coef[i] < P61);
	for (int s = 0; s < 10; s++) {
		for (int i = 0; i < 6; i++)
			sub[i] = shares[s][holders[i] - 1];
		random_secret(secret, (uint8_t)(20 + s));
		CAIRN_T_PASS(crn_shamir_combine_with(got, sub, coef, 6));
		assert_memory_equal(got, secret, sizeof(got));
	}
	/* Coefficients out of the field are refused. */
	coef[2] = P61;
	CAIRN_T_FAIL(crn_shamir_combine_with(got, sub, coef, 6), CAIRN_EINVAL);
	CAIRN_T_FAIL(crn_shamir_combine_with(got, sub, coef, 0), CAIRN_EINVAL);

	/* The coefficients of a set sum to 1 (they interpolate the constant
	 * polynomial 1). */
	CAIRN_T_PASS(crn_shamir_lagrange(coef, xs, 6));
	{
		uint64_t sum = 0;

		for (int i = 0; i < 6; i++)
			sum = (sum + coef[i]) % P61;
		assert_true(sum == 1);
	}

	xs[4] = xs[1];
	CAIRN_T_FAIL(crn_shamir_lagrange(coef, xs, 6), CAIRN_EINVAL);
	xs[4] = 0;
	CAIRN_T_FAIL(crn_shamir_lagrange(coef, xs, 6), CAIRN_EINVAL);
	xs[4] = CRN_SHAMIR_MAX_N + 1;
	CAIRN_T_FAIL(crn_shamir_lagrange(coef, xs, 6), CAIRN_EINVAL);
	CAIRN_T_FAIL(crn_shamir_lagrange(coef, xs, 0), CAIRN_EINVAL);
}

static void
test_bad_split(void **state)
{
	uint8_t secret[CRN_SHAMIR_SECRET_LEN] = {1};
	crn_shamir_share shares[4];
	crn_drbg d;

	(void)state;
	rng_init(&d, 14);
	CAIRN_T_FAIL(crn_shamir_split(shares, 4, 0, secret, &d), CAIRN_EINVAL);
	CAIRN_T_FAIL(crn_shamir_split(shares, 4, 5, secret, &d), CAIRN_EINVAL);
	CAIRN_T_FAIL(crn_shamir_split(shares, 0, 0, secret, &d), CAIRN_EINVAL);
	CAIRN_T_FAIL(
	    crn_shamir_split(shares, CRN_SHAMIR_MAX_N + 1, 2, secret, &d),
	    CAIRN_EINVAL);
	CAIRN_T_FAIL(
	    crn_shamir_split(shares, 4, 2, secret, NULL), CAIRN_EINVAL);
	crn_drbg_fini(&d);
}

static double
now_s(void)
{
	struct timespec ts;

	/* C11's clock; the build is strict C11 without POSIX extensions. */
	if (timespec_get(&ts, TIME_UTC) != TIME_UTC)
		return 0;
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/*
 * n = 10,000 holders with t = 5,001: about 0.3 s at -O2 on the project's
 * machine.  Under ASan+UBSan at -O0 that size takes 1.6-3 s depending on
 * load, so sanitized builds run a quarter of the work (n = 5,000).
 */
static void
test_large(void **state)
{
#ifdef CAIRN_SANITIZED
	const uint32_t n = 5000, t = 2501;
#else
	const uint32_t n = 10000, t = 5001;
#endif
	uint8_t secret[CRN_SHAMIR_SECRET_LEN], got[CRN_SHAMIR_SECRET_LEN];
	crn_shamir_share *shares, *sub;
	size_t sz = (size_t)n * sizeof(*shares);
	double t0, t1, t2;
	crn_drbg d;

	(void)state;
	shares = crn_alloc(sz);
	sub = crn_alloc(sz);
	assert_non_null(shares);
	assert_non_null(sub);
	random_secret(secret, 99);
	rng_init(&d, 15);
	t0 = now_s();
	CAIRN_T_PASS(crn_shamir_split(shares, n, t, secret, &d));
	t1 = now_s();
	crn_drbg_fini(&d);
	/* The last t holders, in reverse order. */
	for (uint32_t i = 0; i < t; i++)
		sub[i] = shares[n - 1 - i];
	CAIRN_T_PASS(crn_shamir_combine(got, sub, t, t));
	t2 = now_s();
	assert_memory_equal(got, secret, sizeof(got));
	print_message(
	    "n=%u t=%u split %.3f s, combine %.3f s\n", n, t, t1 - t0, t2 - t1);
	/* One fewer holder does not reconstruct. */
	memset(got, 0, sizeof(got));
	if (crn_shamir_combine(got, sub + 1, t - 1, t - 1) == CAIRN_OK)
		assert_memory_not_equal(got, secret, sizeof(got));
	crn_freezero(shares, sz);
	crn_freezero(sub, sz);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_subsets),
    cmocka_unit_test(test_extreme_secrets),
    cmocka_unit_test(test_deterministic),
    cmocka_unit_test(test_bad_combine),
    cmocka_unit_test(test_chunk_encoding),
    cmocka_unit_test(test_encode_decode),
    cmocka_unit_test(test_lagrange_reuse),
    cmocka_unit_test(test_bad_split),
    cmocka_unit_test(test_large),
};

CAIRN_TEST_MAIN(tests)
