/*
 * fixedpoint_test.c — ring widths, signed views, 128-bit formatting and
 * the fixed-point codec.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cairn_test.h"
#include "query/fixedpoint.h"

typedef unsigned __int128 u128;
typedef __int128 i128;

/* A small deterministic generator for test data (xorshift64*). */
static uint64_t
next_rand(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

/* Uniform double in [-a, a]. */
static double
rand_sym(uint64_t *s, double a)
{
	return a *
	    (2.0 * ((double)(next_rand(s) >> 11) / 9007199254740992.0) - 1.0);
}

static char last_log[512];
static int log_count;

static void
capture(cairn_log_level level, const char *func, const char *msg, void *arg)
{
	(void)level;
	(void)func;
	(void)arg;
	snprintf(last_log, sizeof(last_log), "%s", msg);
	log_count++;
}

static void
test_ring_bits(void **state)
{
	unsigned b = 0;

	(void)state;
	CAIRN_T_PASS(crn_ring_bits_for(0, 0, &b));
	CAIRN_T_EQ(b, 32);
	CAIRN_T_PASS(crn_ring_bits_for(0, (1ULL << 31) - 1, &b));
	CAIRN_T_EQ(b, 32);
	CAIRN_T_PASS(crn_ring_bits_for(0, 1ULL << 31, &b));
	CAIRN_T_EQ(b, 64);
	CAIRN_T_PASS(crn_ring_bits_for(0, (1ULL << 63) - 1, &b));
	CAIRN_T_EQ(b, 64);
	CAIRN_T_PASS(crn_ring_bits_for(0, 1ULL << 63, &b));
	CAIRN_T_EQ(b, 128);
	CAIRN_T_PASS(crn_ring_bits_for((1ULL << 63) - 1, UINT64_MAX, &b));
	CAIRN_T_EQ(b, 128);
	b = 7;
	CAIRN_T_FAIL(crn_ring_bits_for(1ULL << 63, 0, &b), CAIRN_ERANGE);
	CAIRN_T_EQ(b, 7);
	/* 1000 rows of at most 2^21: 1000 * 2^21 < 2^31; 1024 * 2^21 not. */
	CAIRN_T_PASS(crn_ring_bits_for_terms(1ULL << 21, 1000, &b));
	CAIRN_T_EQ(b, 32);
	CAIRN_T_PASS(crn_ring_bits_for_terms(1ULL << 21, 1024, &b));
	CAIRN_T_EQ(b, 64);
	CAIRN_T_PASS(crn_ring_bits_for_terms(UINT64_MAX, 1ULL << 62, &b));
	CAIRN_T_EQ(b, 128);
	CAIRN_T_FAIL(
	    crn_ring_bits_for_terms(UINT64_MAX, UINT64_MAX, &b), CAIRN_ERANGE);
	CAIRN_T_EQ(crn_ring_elem_size(32), 4);
	CAIRN_T_EQ(crn_ring_elem_size(64), 8);
	CAIRN_T_EQ(crn_ring_elem_size(128), 16);
	CAIRN_T_EQ(crn_ring_elem_size(16), 0);
}

static void
test_signed(void **state)
{
	uint32_t v32[] = {
	    0, 1, 0x7fffffffu, 0x80000000u, 0xffffffffu, 0xfffffffdu};
	uint64_t v64[] = {5, 0x8000000000000000ULL, UINT64_MAX - 9};
	u128 v128[] = {0, (u128)1 << 127, ~(u128)0, ((u128)1 << 127) - 1};
	i128 s;

	(void)state;
	CAIRN_T_EQ(crn_ring_signed32(v32[0]), 0);
	CAIRN_T_EQ(crn_ring_signed32(v32[1]), 1);
	CAIRN_T_EQ(crn_ring_signed32(v32[2]), INT32_MAX);
	CAIRN_T_EQ(crn_ring_signed32(v32[3]), INT32_MIN);
	CAIRN_T_EQ(crn_ring_signed32(v32[4]), -1);
	CAIRN_T_EQ(crn_ring_signed32(v32[5]), -3);
	assert_true(crn_ring_signed64(v64[0]) == 5);
	assert_true(crn_ring_signed64(v64[1]) == INT64_MIN);
	assert_true(crn_ring_signed64(v64[2]) == -10);
	assert_true(crn_ring_signed128(v128[0]) == 0);
	assert_true(crn_ring_signed128(v128[1]) < 0);
	assert_true(crn_ring_signed128(v128[3]) ==
	    ((i128)1 << 126) - 1 + ((i128)1 << 126));
	assert_true(
	    crn_ring_signed128(v128[1]) == -crn_ring_signed128(v128[3]) - 1);
	assert_true(crn_ring_signed128(v128[2]) == -1);
	assert_true(crn_ring_signed128(v128[3]) > 0);
	CAIRN_T_PASS(crn_ring_get_signed(v32, 5, 32, &s));
	assert_true(s == -3);
	CAIRN_T_PASS(crn_ring_get_signed(v64, 2, 64, &s));
	assert_true(s == -10);
	CAIRN_T_PASS(crn_ring_get_signed(v128, 2, 128, &s));
	assert_true(s == -1);
	CAIRN_T_FAIL(crn_ring_get_signed(v32, 0, 48, &s), CAIRN_EINVAL);
}

static void
test_format128(void **state)
{
	char buf[CRN_I128_STRLEN], want[64];
	i128 max = (i128)(((u128)1 << 127) - 1);
	i128 min = -max - 1;
	uint64_t seed = 0x1234567;

	(void)state;
	CAIRN_T_PASS(crn_i128_format(0, buf, sizeof(buf)));
	assert_string_equal(buf, "0");
	CAIRN_T_PASS(crn_i128_format(-1, buf, sizeof(buf)));
	assert_string_equal(buf, "-1");
	CAIRN_T_PASS(crn_i128_format(max, buf, sizeof(buf)));
	assert_string_equal(buf, "170141183460469231731687303715884105727");
	CAIRN_T_PASS(crn_i128_format(min, buf, sizeof(buf)));
	assert_string_equal(buf, "-170141183460469231731687303715884105728");
	CAIRN_T_EQ(strlen(buf) + 1, CRN_I128_STRLEN);
	CAIRN_T_PASS(crn_u128_format(~(u128)0, buf, sizeof(buf)));
	assert_string_equal(buf, "340282366920938463463374607431768211455");
	/* Against printf: int64 values, and hi * 10^19 + lo compositions. */
	for (int i = 0; i < 2000; i++) {
		int64_t v = (int64_t)next_rand(&seed) >> (i % 60);
		uint64_t hi = next_rand(&seed) % 10000000000000000000ULL;
		uint64_t lo = next_rand(&seed) % 10000000000000000000ULL;

		CAIRN_T_PASS(crn_i128_format(v, buf, sizeof(buf)));
		snprintf(want, sizeof(want), "%" PRId64, v);
		assert_string_equal(buf, want);
		if (hi == 0)
			continue;
		CAIRN_T_PASS(
		    crn_i128_format(-((i128)hi * 10000000000000000000ULL + lo),
		        buf, sizeof(buf)));
		snprintf(want, sizeof(want), "-%" PRIu64 "%019" PRIu64, hi, lo);
		assert_string_equal(buf, want);
	}
	/* Too small: "-12" needs 4 bytes. */
	CAIRN_T_FAIL(crn_i128_format(-12, buf, 3), CAIRN_ETOOBIG);
	assert_string_equal(buf, "");
	CAIRN_T_PASS(crn_i128_format(-12, buf, 4));
	assert_string_equal(buf, "-12");
	CAIRN_T_FAIL(crn_u128_format(5, buf, 0), CAIRN_ETOOBIG);
}

static void
test_check(void **state)
{
	crn_fixed_params p = {
	    .frac_bits = 16, .clip = 1.0, .n_max = 1000, .dim = 1};
	unsigned b = 0;

	(void)state;
	cairn_log_set_logger(capture, NULL);
	/* 1000 * 2^16 < 2^31. */
	CAIRN_T_PASS(crn_fixed_check(&p, 32));
	CAIRN_T_PASS(crn_fixed_bits(&p, &b));
	CAIRN_T_EQ(b, 32);
	/* 40000 * 2^16 > 2^31: refused for 32 bits, with a reason. */
	p.n_max = 40000;
	log_count = 0;
	CAIRN_T_FAIL(crn_fixed_check(&p, 32), CAIRN_ERANGE);
	CAIRN_T_EQ(log_count, 1);
	assert_non_null(strstr(last_log, "32-bit ring would wrap"));
	CAIRN_T_PASS(crn_fixed_check(&p, 64));
	log_count = 0;
	CAIRN_T_PASS(crn_fixed_bits(&p, &b));
	CAIRN_T_EQ(b, 64);
	CAIRN_T_EQ(log_count, 0);
	/* Exactly at the edge: 1024 * (2^21 - 1) < 2^31 <= 1024 * 2^21. */
	p.frac_bits = 0;
	p.n_max = 1024;
	p.clip = (double)((1u << 21) - 1);
	CAIRN_T_PASS(crn_fixed_check(&p, 32));
	p.clip = (double)(1u << 21);
	CAIRN_T_FAIL(crn_fixed_check(&p, 32), CAIRN_ERANGE);
	/* 128 bits cannot hold 2^32 - 1 parties' worth of 2^96 ... */
	p.n_max = UINT32_MAX;
	p.clip = 1.0;
	p.frac_bits = 96;
	CAIRN_T_FAIL(crn_fixed_check(&p, 128), CAIRN_ERANGE);
	/* ... but do hold 2^94 each. */
	p.frac_bits = 94;
	CAIRN_T_PASS(crn_fixed_bits(&p, &b));
	CAIRN_T_EQ(b, 128);
	p.clip = 1e20;
	log_count = 0;
	CAIRN_T_FAIL(crn_fixed_bits(&p, &b), CAIRN_ERANGE);
	CAIRN_T_EQ(log_count, 1);
	/* Bad parameters. */
	p.clip = 1.0;
	p.frac_bits = 8;
	p.n_max = 10;
	CAIRN_T_FAIL(crn_fixed_check(&p, 16), CAIRN_EINVAL);
	CAIRN_T_FAIL(crn_fixed_check(NULL, 32), CAIRN_EINVAL);
	p.n_max = 0;
	CAIRN_T_FAIL(crn_fixed_check(&p, 32), CAIRN_EINVAL);
	p.n_max = 10;
	p.clip = 0.0;
	CAIRN_T_FAIL(crn_fixed_check(&p, 32), CAIRN_EINVAL);
	p.clip = NAN;
	CAIRN_T_FAIL(crn_fixed_check(&p, 32), CAIRN_EINVAL);
	p.clip = INFINITY;
	CAIRN_T_FAIL(crn_fixed_check(&p, 32), CAIRN_EINVAL);
	p.clip = 0.001; /* below 2^-8 resolution: every value would be 0 */
	CAIRN_T_FAIL(crn_fixed_check(&p, 32), CAIRN_EINVAL);
	p.clip = 1.0;
	p.frac_bits = 201;
	CAIRN_T_FAIL(crn_fixed_check(&p, 128), CAIRN_EINVAL);
	cairn_log_set_logger(NULL, NULL);
}

static void
test_encode_values(void **state)
{
	crn_fixed_params p = {
	    .frac_bits = 1, .clip = 4.0, .n_max = 4, .dim = 9};
	const double x[] = {
	    -1.5, 0.25, 0.75, -0.25, -0.75, 3.0, 9.0, -INFINITY, -4.0};
	const int64_t want[] = {-3, 1, 2, -1, -2, 6, 8, -8, -8};
	uint32_t e32[9];
	uint64_t e64[9];
	u128 e128[9];
	uint64_t clipped = 99;
	double back[9];

	(void)state;
	CAIRN_T_PASS(crn_fixed_encode(&p, 32, x, e32, &clipped));
	CAIRN_T_EQ(clipped, 2);
	CAIRN_T_PASS(crn_fixed_encode(&p, 64, x, e64, NULL));
	CAIRN_T_PASS(crn_fixed_encode(&p, 128, x, e128, &clipped));
	CAIRN_T_EQ(clipped, 2);
	/* Two's complement: -3 is 2^32 - 3. */
	CAIRN_T_EQ(e32[0], 0xfffffffdu);
	assert_true(e64[0] == UINT64_MAX - 2);
	for (size_t i = 0; i < 9; i++) {
		/* Ties round away from zero: 0.25*2 = 0.5 -> 1. */
		CAIRN_T_EQ(crn_ring_signed32(e32[i]), want[i]);
		assert_true(crn_ring_signed64(e64[i]) == want[i]);
		assert_true(crn_ring_signed128(e128[i]) == want[i]);
	}
	CAIRN_T_PASS(crn_fixed_decode(&p, 32, e32, back));
	CAIRN_T_EQ(back[0] == -1.5, 1);
	CAIRN_T_EQ(back[6] == 4.0, 1);
	CAIRN_T_EQ(back[7] == -4.0, 1);
}

static void
test_encode_refusals(void **state)
{
	crn_fixed_params p = {
	    .frac_bits = 20, .clip = 10.0, .n_max = 1000, .dim = 3};
	const double x[] = {1.0, NAN, 2.0};
	uint32_t e32[3] = {0xaaaaaaaau, 0xaaaaaaaau, 0xaaaaaaaau};
	uint64_t e64[3];

	(void)state;
	/* 1000 * 10 * 2^20 > 2^31: refused before any element is written. */
	CAIRN_T_FAIL(crn_fixed_encode(&p, 32, x, e32, NULL), CAIRN_ERANGE);
	for (size_t i = 0; i < 3; i++)
		CAIRN_T_EQ(e32[i], 0xaaaaaaaau);
	CAIRN_T_FAIL(crn_fixed_encode(&p, 64, x, e64, NULL), CAIRN_EINVAL);
}

static void
test_sum_round_trip(void **state)
{
	enum { DIM = 64, PARTIES = 50 };
	static const unsigned widths[] = {32, 64, 128};
	static const unsigned fracs[] = {16, 40, 90};
	uint64_t seed = 42;

	(void)state;
	for (size_t w = 0; w < 3; w++) {
		unsigned bits = widths[w];
		crn_fixed_params p = {.frac_bits = fracs[w],
		    .clip = 100.0,
		    .n_max = PARTIES,
		    .dim = DIM};
		size_t es = crn_ring_elem_size(bits);
		uint8_t *acc = crn_zalloc(DIM * es), *one = crn_alloc(DIM * es);
		double x[DIM], exact[DIM] = {0}, back[DIM];
		i128 want[DIM] = {0};
		uint64_t clipped, total_clipped = 0, want_clipped = 0;

		assert_non_null(acc);
		assert_non_null(one);
		for (int party = 0; party < PARTIES; party++) {
			for (size_t i = 0; i < DIM; i++) {
				/* Some values beyond the clip bound. */
				x[i] = rand_sym(&seed, 120.0);
				if (fabs(x[i]) > 100.0)
					want_clipped++;
				exact[i] += fmax(-100.0, fmin(100.0, x[i]));
				want[i] += (i128)round(
				    ldexp(fmax(-100.0, fmin(100.0, x[i])),
				        (int)p.frac_bits));
			}
			CAIRN_T_PASS(
			    crn_fixed_encode(&p, bits, x, one, &clipped));
			total_clipped += clipped;
			/* Ring addition as secure aggregation does it. */
			for (size_t i = 0; i < DIM; i++) {
				if (bits == 32)
					((uint32_t *)acc)[i] +=
					    ((uint32_t *)one)[i];
				else if (bits == 64)
					((uint64_t *)acc)[i] +=
					    ((uint64_t *)one)[i];
				else
					((u128 *)acc)[i] += ((u128 *)one)[i];
			}
		}
		CAIRN_T_EQ(total_clipped, want_clipped);
		assert_true(want_clipped > 0);
		CAIRN_T_PASS(crn_fixed_decode(&p, bits, acc, back));
		for (size_t i = 0; i < DIM; i++) {
			i128 s;

			/* The ring sum is the exact integer sum. */
			CAIRN_T_PASS(crn_ring_get_signed(acc, i, bits, &s));
			assert_true(s == want[i]);
			/* Each value is off by at most half a unit. */
			assert_true(fabs(back[i] - exact[i]) <=
			    PARTIES * ldexp(1.0, -(int)p.frac_bits - 1) + 1e-9);
		}
		crn_free(acc, DIM * es);
		crn_free(one, DIM * es);
	}
}

static void
test_decode_bounds(void **state)
{
	crn_fixed_params p = {.frac_bits = 0,
	    .clip = (double)((1u << 21) - 1),
	    .n_max = 1024,
	    .dim = 2};
	uint32_t acc[2] = {0, 0}, one[2];
	const double x[2] = {1e30, -1e30};
	double back[2];
	uint32_t bad[2] = {0, 0};

	(void)state;
	/* The largest honest sums at the edge of the ring decode exactly. */
	for (int i = 0; i < 1024; i++) {
		CAIRN_T_PASS(crn_fixed_encode(&p, 32, x, one, NULL));
		acc[0] += one[0];
		acc[1] += one[1];
	}
	CAIRN_T_PASS(crn_fixed_decode(&p, 32, acc, back));
	assert_true(back[0] == 1024.0 * ((1u << 21) - 1));
	assert_true(back[1] == -1024.0 * ((1u << 21) - 1));
	/* A value no honest sum can reach is reported, not returned. */
	bad[1] = acc[0] + 1;
	CAIRN_T_FAIL(crn_fixed_decode(&p, 32, bad, back), CAIRN_ERANGE);
	bad[1] = acc[1] - 1;
	CAIRN_T_FAIL(crn_fixed_decode(&p, 32, bad, back), CAIRN_ERANGE);
	bad[1] = acc[1];
	CAIRN_T_PASS(crn_fixed_decode(&p, 32, bad, back));
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_ring_bits),
    cmocka_unit_test(test_signed),
    cmocka_unit_test(test_format128),
    cmocka_unit_test(test_check),
    cmocka_unit_test(test_encode_values),
    cmocka_unit_test(test_encode_refusals),
    cmocka_unit_test(test_sum_round_trip),
    cmocka_unit_test(test_decode_bounds),
};

CAIRN_TEST_MAIN(tests)
