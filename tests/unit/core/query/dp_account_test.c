/*
 * dp_account_test.c — zCDP accounting (core/query/dp_account.h): the
 * conversions between rho and (epsilon, delta) invert each other and
 * match hand-computed values; a plan's classes get the sensitivities its
 * bounds imply; and the variance of a noisy sum over t survivors, each
 * node drawing from the sampler with its share, is never below the
 * target (checked on draws, for several t).
 */
#include <math.h>
#include <string.h>

#include "cairn_test.h"
#include "crypto/dp.h"
#include "query/dp_account.h"

static void
test_conversions(void **state)
{
	(void)state;
	/* rho = D^2 / (2 sigma^2) */
	assert_true(fabs(crn_dp_rho(1, 50) - 0.01) < 1e-12);
	/* epsilon(rho = 0.5, delta = 1e-6) = 0.5 + 2 sqrt(0.5 ln 1e6) */
	assert_true(fabs(crn_dp_epsilon(0.5, 1e-6) -
	                (0.5 + 2 * sqrt(0.5 * log(1e6)))) < 1e-12);
	for (double e = 0.1; e < 20; e *= 1.7) {
		double rho = crn_dp_rho_of(e, 1e-6);
		assert_true(rho > 0);
		assert_true(fabs(crn_dp_epsilon(rho, 1e-6) - e) < 1e-9 * e);
	}
	assert_true(crn_dp_request_ok(1, 1e-6));
	assert_false(crn_dp_request_ok(0, 1e-6));
	assert_false(crn_dp_request_ok(1, 0));
	assert_false(crn_dp_request_ok(1, 0.5));
	assert_false(crn_dp_request_ok(NAN, 1e-6));
	assert_false(crn_dp_request_ok(1000, 1e-6));
}

static crn_column cols[] = {
    {.name = "grp", .type = CRN_COL_CATEGORY},
    {.name = "wage",
        .type = CRN_COL_DECIMAL,
        .scale = 2,
        .lo = -500,
        .hi = 20000},
    {.name = "hours", .type = CRN_COL_INT, .lo = 0, .hi = 100},
};
static crn_measure ms[] = {
    {.col = 1, .need_sumsq = true, .offset = 0},
    {.col = 2, .need_sumsq = false, .offset = 4},
};
static crn_plan plan = {.cols = cols,
    .ncols = 3,
    .measures = ms,
    .nmeasures = 2,
    .ngroups = 3,
    .per_group = 1 + 4 + 3,
    .dim = 24,
    .ring_bits = 64,
    .limit = -1};

static void
test_sensitivity(void **state)
{
	crn_dp_noise n;
	double rho = 0.4;

	(void)state;
	assert_int_equal(crn_dp_noise_of(&n, &plan, rho, 3), CAIRN_OK);
	assert_true(n.sens2[CRN_DP_PASS1] == 3);
	assert_true(n.sens2[CRN_DP_COUNTS] == 5);
	assert_true(n.sens2[CRN_DP_SUMS] == 20000.0 * 20000 + 100 * 100);
	assert_true(n.sens2[CRN_DP_SUMSQ] == 20000.0 * 20000 * 20000 * 20000);
	/* Four classes, rho/4 each: the shares add up to the job's rho. */
	double total = 0;
	for (int c = 0; c < CRN_DP_CLASSES; c++) {
		total += crn_dp_rho(n.sens2[c], n.sigma2[c]);
		assert_true((double)n.node_sigma2[c] * 3 >= n.sigma2[c]);
	}
	assert_true(fabs(total - rho) < 1e-9);
	/* Element classes of a group block. */
	assert_int_equal(crn_dp_class_of(&plan, 0), CRN_DP_COUNTS);
	assert_int_equal(crn_dp_class_of(&plan, 1), CRN_DP_COUNTS);
	assert_int_equal(crn_dp_class_of(&plan, 2), CRN_DP_SUMS);
	assert_int_equal(crn_dp_class_of(&plan, 3), CRN_DP_SUMSQ);
	assert_int_equal(crn_dp_class_of(&plan, 4), CRN_DP_COUNTS);
	assert_int_equal(crn_dp_class_of(&plan, 5), CRN_DP_COUNTS);
	assert_int_equal(crn_dp_class_of(&plan, 6), CRN_DP_SUMS);
	assert_int_equal(crn_dp_class_of(&plan, 7), CRN_DP_COUNTS);
	assert_int_equal(crn_dp_noise_of(&n, &plan, 0, 3), CAIRN_EINVAL);
	assert_int_equal(crn_dp_noise_of(&n, &plan, 1, 0), CAIRN_EINVAL);
}

/*
 * t nodes each add their share; over 20,000 sums the sample variance is
 * at least the target (allowing the sampling error of the estimate, 4
 * standard errors of a variance estimate: sqrt(2 / N)).
 */
static void
test_sum_variance(void **state)
{
	enum { N = 20000 };
	uint8_t seed[CAIRN_SEED_LEN] = {3};
	crn_dp_rng r;

	(void)state;
	crn_dp_rng_init_seeded(&r, seed);
	for (uint32_t t = 1; t <= 7; t += 3) {
		crn_dp_noise n;
		double s = 0, s2 = 0, var;

		assert_int_equal(crn_dp_noise_of(&n, &plan, 2.0, t), CAIRN_OK);
		for (int i = 0; i < N; i++) {
			double sum = 0;
			for (uint32_t k = 0; k < t; k++) {
				__int128 x;
				assert_int_equal(
				    crn_dp_gauss(
				        &r, n.node_sigma2[CRN_DP_COUNTS], &x),
				    CAIRN_OK);
				sum += (double)x;
			}
			s += sum;
			s2 += sum * sum;
		}
		var = s2 / N - (s / N) * (s / N);
		print_message("t=%u target %.3f measured %.3f (node %.0f)\n", t,
		    n.sigma2[CRN_DP_COUNTS], var,
		    (double)n.node_sigma2[CRN_DP_COUNTS]);
		assert_true(
		    var >= n.sigma2[CRN_DP_COUNTS] * (1 - 4 * sqrt(2.0 / N)));
	}
	crn_dp_rng_fini(&r);
}

/* A code job's noise: sensitivity from the declared bounds (every value
 * may move across [lo, hi] in fixed point, the clip count by len), rho
 * split between the two classes, and t nodes reaching the target. */
static void
test_code_noise(void **state)
{
	crn_dp_noise n, w;
	double rho = crn_dp_rho_of(1, 1e-6);

	(void)state;
	CAIRN_T_PASS(crn_dp_noise_code(&n, 4, -1, 2, 2, rho, 3));
	assert_true(fabs(n.sens2[CRN_DP_SUMS] - 4 * 300.0 * 300.0) < 1e-6);
	assert_true(fabs(n.sens2[CRN_DP_COUNTS] - 16) < 1e-12);
	assert_true(n.sens2[CRN_DP_PASS1] == 0 && n.sens2[CRN_DP_SUMSQ] == 0);
	/* Each class releases rho / 2: the two add up to the job's rho. */
	assert_true(
	    fabs(crn_dp_rho(n.sens2[CRN_DP_SUMS], n.sigma2[CRN_DP_SUMS]) +
	        crn_dp_rho(n.sens2[CRN_DP_COUNTS], n.sigma2[CRN_DP_COUNTS]) -
	        rho) < 1e-12);
	for (int c = CRN_DP_COUNTS; c <= CRN_DP_SUMS; c++) {
		assert_true((double)n.node_sigma2[c] * 3 >= n.sigma2[c]);
		assert_true((double)n.node_sigma2[c] * 3 < n.sigma2[c] + 4);
	}
	/* One more decimal: ten times the sd. */
	CAIRN_T_PASS(crn_dp_noise_code(&w, 4, -1, 2, 3, rho, 3));
	assert_true(
	    fabs(w.sigma2[CRN_DP_SUMS] / n.sigma2[CRN_DP_SUMS] - 100) < 1e-9);
	/* Sensitivity is the encoded range: [0.4999, 0.5] at scale 0
	 * encodes 0 or 1, so one row moves a value by 1, not by 1e-4. */
	CAIRN_T_PASS(crn_dp_noise_code(&n, 1, 0.4999, 0.5, 0, rho, 3));
	assert_true(fabs(n.sens2[CRN_DP_SUMS] - 1.0) < 1e-12);
	CAIRN_T_PASS(crn_dp_noise_code(&n, 1, 0.1, 0.2, 0, rho, 3));
	assert_true(fabs(n.sens2[CRN_DP_SUMS] - 1.0) < 1e-12);
	CAIRN_T_FAIL(crn_dp_noise_code(&n, 0, 0, 1, 0, rho, 3), CAIRN_EINVAL);
	CAIRN_T_FAIL(crn_dp_noise_code(&n, 1, 1, 1, 0, rho, 3), CAIRN_EINVAL);
	CAIRN_T_FAIL(crn_dp_noise_code(&n, 1, 0, 1, 0, 0, 3), CAIRN_EINVAL);
	CAIRN_T_FAIL(crn_dp_noise_code(&n, 1, 0, 1, 0, rho, 0), CAIRN_EINVAL);
	/* A variance past the sampler's: refused, not truncated. */
	CAIRN_T_FAIL(crn_dp_noise_code(&n, 1000, -1e15, 1e15, 9, 1e-9, 1),
	    CAIRN_EINVAL);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_conversions),
    cmocka_unit_test(test_sensitivity),
    cmocka_unit_test(test_sum_variance),
    cmocka_unit_test(test_code_noise),
};

CAIRN_TEST_MAIN(tests)
