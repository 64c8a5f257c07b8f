/*
 * dp_test.c — the discrete Gaussian sampler (crypto/dp.h) against its
 * exact probability mass function: chi-square on 10^6 draws for several
 * variances, the same statistic failing for a distribution 5% wider (so
 * the test can fail), large variances that take the 256-bit path, the
 * Bernoulli(exp(-x)) trial on its own, and reproducibility from a seed.
 * CAIRN_TEST_TIMEOUT: 120
 */
#include <math.h>
#include <string.h>

#include "cairn_test.h"
#include "crypto/dp.h"

#define DRAWS 1000000

static void
seed_of(uint8_t seed[CAIRN_SEED_LEN], uint8_t v)
{
	memset(seed, v, CAIRN_SEED_LEN);
}

/*
 * Chi-square of counts over x in [-w, w] (tails pooled into the two end
 * bins) against the discrete Gaussian pmf with variance s2.  Bins with an
 * expected count below 5 are merged into their inner neighbour.
 */
static double
chi_square(const uint64_t *cnt, int w, double s2, uint64_t n, int *df)
{
	double z = 0, chi = 0, e_acc = 0, o_acc = 0, last_e = 0, last_o = 0;
	int bins = 0;

	for (int x = -20 * w; x <= 20 * w; x++)
		z += exp(-(double)x * x / (2 * s2));
	for (int x = -w; x <= w; x++) {
		double p = exp(-(double)x * x / (2 * s2)) / z;
		if (x == -w || x == w)
			for (int y = w + 1; y <= 20 * w; y++)
				p += exp(-(double)y * y / (2 * s2)) / z;
		e_acc += p * (double)n;
		o_acc += (double)cnt[x + w];
		if (e_acc >= 5) {
			if (bins > 0)
				chi += (last_o - last_e) * (last_o - last_e) /
				    last_e;
			last_e = e_acc;
			last_o = o_acc;
			e_acc = o_acc = 0;
			bins++;
		}
	}
	/* A short last run joins the bin before it. */
	last_e += e_acc;
	last_o += o_acc;
	chi += (last_o - last_e) * (last_o - last_e) / last_e;
	*df = bins - 1;
	return chi;
}

/* A bound the statistic exceeds with probability far below 1e-6. */
static double
chi_bound(int df)
{
	return df + 7 * sqrt(2.0 * df) + 10;
}

static void
draw_counts(uint64_t s2, uint8_t seedv, uint64_t *cnt, int w)
{
	uint8_t seed[CAIRN_SEED_LEN];
	crn_dp_rng r;

	seed_of(seed, seedv);
	crn_dp_rng_init_seeded(&r, seed);
	for (int i = 0; i < DRAWS; i++) {
		__int128 x;
		assert_int_equal(crn_dp_gauss(&r, s2, &x), CAIRN_OK);
		if (x < -w)
			x = -w;
		if (x > w)
			x = w;
		cnt[(int)x + w]++;
	}
	crn_dp_rng_fini(&r);
}

static void
check_sigma2(uint64_t s2, uint8_t seedv)
{
	int w = (int)ceil(7 * sqrt((double)s2)) + 1, df, df2;
	uint64_t *cnt = test_calloc((size_t)(2 * w + 1), sizeof(uint64_t));
	double chi, wrong;

	draw_counts(s2, seedv, cnt, w);
	chi = chi_square(cnt, w, (double)s2, DRAWS, &df);
	print_message("sigma2=%llu chi2=%.1f df=%d bound=%.1f\n",
	    (unsigned long long)s2, chi, df, chi_bound(df));
	assert_true(chi < chi_bound(df));
	/* The same draws do not fit a distribution 5% wider in sd. */
	wrong = chi_square(cnt, w, (double)s2 * 1.1025, DRAWS, &df2);
	print_message("  against 1.05 sigma: chi2=%.1f\n", wrong);
	assert_true(wrong > chi_bound(df2));
	test_free(cnt);
}

static void
test_chi_small(void **state)
{
	(void)state;
	check_sigma2(1, 1);
	check_sigma2(3, 2);
}

static void
test_chi_larger(void **state)
{
	(void)state;
	check_sigma2(50, 3);
	check_sigma2(1000, 4);
}

/*
 * sigma2 = 2^80 and 2^110: the acceptance exponent needs 256 bits.
 * Binned by half standard deviations against the normal (the discrete
 * Gaussian with sigma this large differs from it by far less than the
 * sampling error); sample mean and variance checked too.
 */
static void
check_large(unsigned shift, uint8_t seedv)
{
	enum { N = 200000, B = 16 };
	unsigned __int128 s2 = (unsigned __int128)1 << shift;
	double sigma = ldexp(1.0, (int)shift / 2), chi = 0, m = 0, v = 0;
	uint64_t cnt[B + 2] = {0};
	uint8_t seed[CAIRN_SEED_LEN];
	crn_dp_rng r;

	seed_of(seed, seedv);
	crn_dp_rng_init_seeded(&r, seed);
	for (int i = 0; i < N; i++) {
		__int128 x;
		double z;
		int b;
		assert_int_equal(crn_dp_gauss(&r, s2, &x), CAIRN_OK);
		z = (double)x / sigma;
		m += z;
		v += z * z;
		b = (int)floor(z * 2) + B / 2 + 1;
		if (b < 0)
			b = 0;
		if (b > B + 1)
			b = B + 1;
		cnt[b]++;
	}
	crn_dp_rng_fini(&r);
	for (int b = 0; b < B + 2; b++) {
		double lo = b == 0 ? -INFINITY : (b - 1 - B / 2) / 2.0;
		double hi = b == B + 1 ? INFINITY : (b - B / 2) / 2.0;
		double p = 0.5 * (erf(hi / sqrt(2.0)) - erf(lo / sqrt(2.0)));
		double e = p * N;
		chi += ((double)cnt[b] - e) * ((double)cnt[b] - e) / e;
	}
	m /= N;
	v = v / N - m * m;
	print_message("sigma2=2^%u chi2=%.1f mean/sigma=%.4f var/sigma2=%.4f\n",
	    shift, chi, m, v);
	assert_true(chi < chi_bound(B + 1));
	assert_true(fabs(m) < 0.02);
	assert_true(fabs(v - 1) < 0.02);
}

static void
test_large_sigma(void **state)
{
	(void)state;
	check_large(44, 8);
	check_large(80, 5);
	check_large(110, 6);
	check_large(120, 7);
}

/* Bernoulli(exp(-n/d)) hits its probability, for n/d below and above 1. */
static void
test_bern_exp(void **state)
{
	static const uint64_t nd[][2] = {
	    {0, 1}, {1, 3}, {1, 1}, {5, 2}, {7, 1}};
	uint8_t seed[CAIRN_SEED_LEN];
	crn_dp_rng r;

	(void)state;
	seed_of(seed, 9);
	crn_dp_rng_init_seeded(&r, seed);
	for (size_t k = 0; k < sizeof(nd) / sizeof(nd[0]); k++) {
		double p = exp(-(double)nd[k][0] / (double)nd[k][1]);
		double sd = sqrt(p * (1 - p) / DRAWS), got = 0;
		for (int i = 0; i < DRAWS; i++)
			got += crn_dp_bern_exp(&r, nd[k][0], nd[k][1]);
		got /= DRAWS;
		print_message("exp(-%llu/%llu)=%.5f got %.5f\n",
		    (unsigned long long)nd[k][0], (unsigned long long)nd[k][1],
		    p, got);
		assert_true(fabs(got - p) <= 6 * sd + 1e-12);
	}
	crn_dp_rng_fini(&r);
}

static void
test_same_seed(void **state)
{
	uint8_t seed[CAIRN_SEED_LEN];
	crn_dp_rng a, b, c;
	int same = 0;

	(void)state;
	seed_of(seed, 42);
	crn_dp_rng_init_seeded(&a, seed);
	crn_dp_rng_init_seeded(&b, seed);
	seed[0] ^= 1;
	crn_dp_rng_init_seeded(&c, seed);
	for (int i = 0; i < 10000; i++) {
		__int128 x, y, z;
		assert_int_equal(crn_dp_gauss(&a, 1000000, &x), CAIRN_OK);
		assert_int_equal(crn_dp_gauss(&b, 1000000, &y), CAIRN_OK);
		assert_int_equal(crn_dp_gauss(&c, 1000000, &z), CAIRN_OK);
		assert_true(x == y);
		same += x == z;
	}
	/* Another seed, other noise (equal draws only by chance, ~1/2500). */
	assert_true(same < 50);
	crn_dp_rng_fini(&a);
	crn_dp_rng_fini(&b);
	crn_dp_rng_fini(&c);
}

static void
test_limits(void **state)
{
	crn_dp_rng r;
	__int128 x = 5;

	(void)state;
	crn_dp_rng_init_os(&r);
	assert_int_equal(crn_dp_gauss(&r, 0, &x), CAIRN_OK);
	assert_true(x == 0);
	assert_int_equal(
	    crn_dp_gauss(&r, CRN_DP_SIGMA2_MAX + 1, &x), CAIRN_EINVAL);
	assert_int_equal(crn_dp_gauss(&r, 4, &x), CAIRN_OK);
	crn_dp_rng_fini(&r);
	assert_int_equal(crn_dp_isqrt(0), 0);
	assert_int_equal(crn_dp_isqrt(15), 3);
	assert_int_equal(crn_dp_isqrt(16), 4);
	assert_true(crn_dp_isqrt(CRN_DP_SIGMA2_MAX) == (1ull << 60));
}

/* The daemon's source is keyed from the OS: two sources, two streams. */
static void
test_os_sources_differ(void **state)
{
	crn_dp_rng a, b;
	int same = 0;

	(void)state;
	crn_dp_rng_init_os(&a);
	crn_dp_rng_init_os(&b);
	for (int i = 0; i < 1000; i++) {
		__int128 x, y;
		assert_int_equal(crn_dp_gauss(&a, 1000000, &x), CAIRN_OK);
		assert_int_equal(crn_dp_gauss(&b, 1000000, &y), CAIRN_OK);
		same += x == y;
	}
	assert_true(same < 20);
	crn_dp_rng_fini(&a);
	crn_dp_rng_fini(&b);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_chi_small),
    cmocka_unit_test(test_chi_larger),
    cmocka_unit_test(test_large_sigma),
    cmocka_unit_test(test_bern_exp),
    cmocka_unit_test(test_same_seed),
    cmocka_unit_test(test_limits),
    cmocka_unit_test(test_os_sources_differ),
};

CAIRN_TEST_MAIN(tests)
