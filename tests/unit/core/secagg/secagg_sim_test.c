/* secagg_sim_test.c — property tests of the whole protocol through the
 * one-process simulator: over random seeds, sizes, ring widths, graphs,
 * both threat policies and dropouts at every round, a session ends with
 * the exact survivors' sum or with a clean abort that says how many were
 * needed and answered.  A node missing the reveal round always ends the
 * session (the graph seed needs every contribution).
 * CAIRN_TEST_TIMEOUT: 300 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cairn_test.h"
#include "secagg/graph.h"
#include "secagg/secagg.h"

static void
seed_of(uint8_t seed[CAIRN_SEED_LEN], uint32_t a, uint32_t b)
{
	memset(seed, 0, CAIRN_SEED_LEN);
	memcpy(seed, &a, sizeof(a));
	memcpy(seed + 4, &b, sizeof(b));
}

static bool malicious_policy;

static void
run(uint32_t n, uint64_t dim, uint32_t bits, uint32_t t, uint32_t degree,
    uint32_t ndrop, crn_sa_round at, uint32_t s, crn_sa_sim_result *res)
{
	crn_sa_sim_cfg cfg;

	memset(&cfg, 0, sizeof(cfg));
	cfg.malicious = malicious_policy;
	cfg.dropout_frac = 0.1;
	cfg.nodes = n;
	cfg.dim = dim;
	cfg.ring_bits = bits;
	cfg.threshold = t;
	cfg.degree = degree;
	cfg.ndrop = ndrop;
	cfg.drop_at = at;
	seed_of(cfg.seed, n, s);
	CAIRN_T_PASS(crn_sa_sim_run(&cfg, res));
}

/* How many inputs end up in the sum when ndrop go silent at `at`. */
static uint32_t
expect_in_sum(uint32_t n, uint32_t ndrop, crn_sa_round at)
{
	return at <= CRN_SA_R_MASKED ? n - ndrop : n;
}

static void
test_no_dropout(void **state)
{
	crn_sa_sim_result r;

	(void)state;
	run(3, 10, 64, 2, 0, 0, CRN_SA_R_ADVERTISE, 1, &r);
	assert_true(r.finished);
	assert_true(r.correct);
	CAIRN_T_EQ(r.survivors, 3);
	run(8, 33, 32, 5, 0, 0, CRN_SA_R_ADVERTISE, 2, &r);
	assert_true(r.finished && r.correct);
	run(8, 33, 128, 5, 0, 0, CRN_SA_R_ADVERTISE, 3, &r);
	assert_true(r.finished && r.correct);
}

/* Dropouts at every round, several sizes and seeds: exact or clean. */
static void
test_dropouts_every_round_complete(void **state)
{
	static const uint32_t sizes[] = {3, 4, 7, 12, 25};
	static const uint32_t widths[] = {32, 64, 128};
	unsigned finished = 0, aborted = 0;

	(void)state;
	for (size_t si = 0; si < CRN_NELEM(sizes); si++) {
		uint32_t n = sizes[si], t = n / 2 + 1;

		for (int at = CRN_SA_R_ADVERTISE; at <= CRN_SA_R_UNMASK; at++) {
			for (uint32_t s = 0; s < 3; s++) {
				crn_sa_sim_result r;
				uint32_t ndrop = (s * n) / 4 + (s > 0);
				uint32_t bits = widths[(si + s) % 3];

				if (ndrop > n)
					ndrop = n;
				run(n, 17 + s, bits, t, 0, ndrop,
				    (crn_sa_round)at, s + 100 * (uint32_t)at,
				    &r);
				if (at == CRN_SA_R_REVEAL && ndrop > 0) {
					aborted++;
					assert_false(r.finished);
					CAIRN_T_EQ(r.abort.code, CAIRN_EABORT);
					CAIRN_T_EQ(r.abort.needed, n);
					CAIRN_T_EQ(r.abort.answered, n - ndrop);
				} else if (r.finished) {
					finished++;
					assert_true(r.correct);
					CAIRN_T_EQ(r.survivors,
					    expect_in_sum(
					        n, ndrop, (crn_sa_round)at));
					/* Finishing needs t at every round. */
					assert_true(n - ndrop >= t);
				} else {
					aborted++;
					assert_true(n - ndrop < t);
					CAIRN_T_EQ(r.abort.code, CAIRN_EABORT);
					CAIRN_T_EQ(r.abort.needed, t);
					assert_true(r.abort.answered < t);
					assert_non_null(
					    strstr(r.abort.reason, "needed"));
				}
			}
		}
	}
	assert_true(finished > 0);
	assert_true(aborted > 0);
}

/* The sparse graph, with parameters from the graph module, under both
 * threat policies. */
static void
test_dropouts_sparse(void **state)
{
	static const struct {
		uint32_t n;
		int malicious;
	} cases[] = {{80, 0}, {200, 0}, {80, 1}};

	(void)state;
	for (size_t si = 0; si < CRN_NELEM(cases); si++) {
		crn_graph_params gp;
		uint32_t n = cases[si].n;
		int mal = cases[si].malicious;

		malicious_policy = mal != 0;
		CAIRN_T_PASS(crn_graph_choose_ex(&gp, n, 0.05, 0.1, 1, mal));
		assert_true(gp.degree < n - 1);
		for (int at = CRN_SA_R_ADVERTISE; at <= CRN_SA_R_UNMASK; at++) {
			crn_sa_sim_result r;
			uint32_t ndrop = n / 10;

			run(n, 8, 64, gp.threshold, gp.degree, ndrop,
			    (crn_sa_round)at, 7 + (uint32_t)at, &r);
			if (at == CRN_SA_R_REVEAL) {
				assert_false(r.finished);
				continue;
			}
			assert_true(r.finished);
			assert_true(r.correct);
			CAIRN_T_EQ(r.survivors,
			    expect_in_sum(n, ndrop, (crn_sa_round)at));
		}
	}
	malicious_policy = false;
}

/* The daemons' default: nodes assume a lying coordinator, and the
 * complete graph's threshold is floor(2n/3) + 1. */
static void
test_malicious_complete(void **state)
{
	static const uint32_t sizes[] = {3, 5, 9, 30};

	(void)state;
	malicious_policy = true;
	for (size_t si = 0; si < CRN_NELEM(sizes); si++) {
		crn_graph_params gp;
		crn_sa_sim_result r;
		uint32_t n = sizes[si];

		CAIRN_T_PASS(crn_graph_choose_ex(&gp, n, 0.05, 0.1, 0, 1));
		CAIRN_T_EQ(gp.threshold, (2 * n) / 3 + 1);
		run(n, 9, 64, gp.threshold, 0, n - gp.threshold,
		    CRN_SA_R_MASKED, 11, &r);
		assert_true(r.finished && r.correct);
		/* A threshold two sets of signers could share with only the
		 * assumed corrupt nodes (2t <= n + C, C = ceil(0.05 n)):
		 * every node refuses the roster. */
		run(n, 9, 64, (n + (n + 19) / 20) / 2, 0, 0, CRN_SA_R_MASKED,
		    12, &r);
		assert_false(r.finished);
	}
	malicious_policy = false;
}

/* Complete graph at 200 nodes with 10% dropping at masked input. */
static void
test_complete_200(void **state)
{
	crn_sa_sim_result r;

	(void)state;
	run(200, 4, 64, 101, 0, 20, CRN_SA_R_MASKED, 5, &r);
	assert_true(r.finished);
	assert_true(r.correct);
	CAIRN_T_EQ(r.survivors, 180);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_no_dropout),
    cmocka_unit_test(test_dropouts_every_round_complete),
    cmocka_unit_test(test_dropouts_sparse),
    cmocka_unit_test(test_complete_200),
    cmocka_unit_test(test_malicious_complete),
};

CAIRN_TEST_MAIN(tests)
