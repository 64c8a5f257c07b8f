/*
 * node_dp_test.c — a node's noise share (nodes/node/node_dp.h): each
 * element gets the variance of its class (counts small, sums large here),
 * the counts pass only the pass-1 class, arithmetic wraps in the ring as
 * masking does (a 32-bit vector stays 32-bit), and noise that could wrap
 * a sum over max_nodes nodes is refused.
 */
#include <math.h>
#include <string.h>

#include "cairn_test.h"
#include "node/node_dp.h"

static crn_column cols[] = {
    {.name = "v", .type = CRN_COL_INT, .lo = 0, .hi = 1000000},
};
static crn_measure ms[] = {{.col = 0, .need_sumsq = false, .offset = 0}};
static crn_plan plan = {.cols = cols,
    .ncols = 1,
    .measures = ms,
    .nmeasures = 1,
    .ngroups = 400,
    .per_group = 4, /* count(*), count(v), sum(v), clipped */
    .dim = 1600,
    .ring_bits = 64,
    .max_nodes = 10,
    .limit = -1};

static void
test_classes(void **state)
{
	uint64_t v[1600];
	crn_dp_noise nz;
	double s2[4] = {0};

	(void)state;
	memset(v, 0, sizeof(v));
	assert_int_equal(crn_dp_noise_of(&nz, &plan, 1.0, 3), CAIRN_OK);
	assert_int_equal(
	    crn_node_dp_add(v, 64, 1600, &plan, &nz, false), CAIRN_OK);
	for (size_t i = 0; i < 1600; i++) {
		double x = (double)(int64_t)v[i];
		s2[i % 4] += x * x / 400;
	}
	print_message("per-place variance %.3g %.3g %.3g %.3g; counts %.3g sums %.3g\n",
	    s2[0], s2[1], s2[2], s2[3], (double)nz.node_sigma2[CRN_DP_COUNTS],
	    (double)nz.node_sigma2[CRN_DP_SUMS]);
	/* Within 30% of the class variance on 400 draws each. */
	for (int k = 0; k < 4; k++) {
		double want =
		    (double)
		        nz.node_sigma2[k == 2 ? CRN_DP_SUMS : CRN_DP_COUNTS];
		assert_true(s2[k] > 0.7 * want && s2[k] < 1.3 * want);
	}
}

static void
test_counts_pass_ring32(void **state)
{
	uint32_t v[1000];
	crn_dp_noise nz;
	double s2 = 0;

	(void)state;
	for (size_t i = 0; i < 1000; i++)
		v[i] = 0;
	assert_int_equal(crn_dp_noise_of(&nz, &plan, 0.5, 2), CAIRN_OK);
	assert_int_equal(
	    crn_node_dp_add(v, 32, 1000, &plan, &nz, true), CAIRN_OK);
	for (size_t i = 0; i < 1000; i++) {
		double x = (double)(int32_t)v[i];
		s2 += x * x / 1000;
	}
	assert_true(s2 > 0.8 * (double)nz.node_sigma2[CRN_DP_PASS1] &&
	    s2 < 1.2 * (double)nz.node_sigma2[CRN_DP_PASS1]);
	/* Negative noise wrapped as two's complement in 32 bits. */
	int neg = 0;
	for (size_t i = 0; i < 1000; i++)
		neg += (int32_t)v[i] < 0;
	assert_true(neg > 100);
}

static void
test_too_big_for_ring(void **state)
{
	uint32_t v[1600] = {0};
	crn_dp_noise nz;

	(void)state;
	/* Sums with sensitivity 10^6 at a tiny rho cannot fit 32 bits. */
	assert_int_equal(crn_dp_noise_of(&nz, &plan, 1e-6, 1), CAIRN_OK);
	assert_int_equal(
	    crn_node_dp_add(v, 32, 1600, &plan, &nz, false), CAIRN_ETOOBIG);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_classes),
    cmocka_unit_test(test_counts_pass_ring32),
    cmocka_unit_test(test_too_big_for_ring),
};

CAIRN_TEST_MAIN(tests)
