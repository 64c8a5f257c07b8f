/*
 * graph_test.c — random Harary neighbour graphs and their parameters.
 * CAIRN_TEST_TIMEOUT: 120
 */
#include <math.h>
#include <stdbool.h>
#include <string.h>

#include "cairn_test.h"
#include "crypto/crypto.h"
#include "secagg/graph.h"

static void
seed_of(uint8_t seed[32], uint8_t b)
{
	for (int i = 0; i < 32; i++)
		seed[i] = (uint8_t)(b + 7 * i);
}

/* Breadth-first search over the graph restricted to nodes with alive[v];
 * returns how many alive nodes are reachable from start. */
static uint32_t
reach(const crn_graph *g, const bool *alive, uint32_t start)
{
	uint32_t n = crn_graph_n(g), k = crn_graph_degree(g), head = 0,
	         tail = 0, seen_n = 0;
	uint32_t *queue = crn_alloc(n * sizeof(uint32_t));
	uint32_t *nb = crn_alloc((k + 1) * sizeof(uint32_t));
	bool *seen = crn_zalloc(n + 1);
	size_t cnt;

	assert_non_null(queue);
	assert_non_null(nb);
	assert_non_null(seen);
	queue[tail++] = start;
	seen[start] = true;
	seen_n = 1;
	while (head < tail) {
		uint32_t u = queue[head++];

		CAIRN_T_PASS(crn_graph_neighbours_of(g, u, nb, k + 1, &cnt));
		for (size_t i = 0; i < cnt; i++) {
			uint32_t v = nb[i];

			if (!alive[v] || seen[v])
				continue;
			seen[v] = true;
			seen_n++;
			queue[tail++] = v;
		}
	}
	crn_free(queue, n * sizeof(uint32_t));
	crn_free(nb, (k + 1) * sizeof(uint32_t));
	crn_free(seen, n + 1);
	return seen_n;
}

/* Number of maximal runs of >= m consecutive removed ring positions. */
static uint32_t
long_runs(const crn_graph *g, const bool *alive, uint32_t m)
{
	uint32_t n = crn_graph_n(g), start = UINT32_MAX, runs = 0, len = 0;
	uint32_t *at = crn_alloc(n * sizeof(uint32_t));

	assert_non_null(at);
	for (uint32_t v = 1; v <= n; v++)
		at[crn_graph_position(g, v)] = v;
	/* Start scanning just after a surviving position. */
	for (uint32_t i = 0; i < n; i++)
		if (alive[at[i]]) {
			start = i;
			break;
		}
	assert_true(start != UINT32_MAX);
	for (uint32_t j = 1; j <= n; j++) {
		uint32_t v = at[(start + j) % n];

		if (!alive[v]) {
			len++;
			continue;
		}
		if (len >= m)
			runs++;
		len = 0;
	}
	crn_free(at, n * sizeof(uint32_t));
	return runs;
}

/*
 * graph.c's connectivity bound rests on: after removing nodes, the rest is
 * connected exactly when at most one run of >= k/2 removed ring positions
 * exists.  Check that claim against breadth-first search on random
 * removals.
 */
static void
test_disconnect_criterion(void **state)
{
	static const uint32_t cases[][2] = {
	    {40, 4}, {64, 6}, {50, 2}, {90, 10}};
	uint8_t seed[32];
	crn_drbg d;
	bool alive[91];
	uint32_t seen_disc = 0, seen_conn = 0;

	(void)state;
	seed_of(seed, 9);
	crn_drbg_init(&d, seed);
	for (size_t c = 0; c < CRN_NELEM(cases); c++) {
		uint32_t n = cases[c][0], k = cases[c][1];

		for (int trial = 0; trial < 400; trial++) {
			crn_graph *g = NULL;
			uint32_t alive_n = 0, first = 0;
			/* Removal rates from 10% to 70% of the nodes. */
			uint64_t pct = 10 + (uint64_t)trial % 61;
			uint8_t gs[32];

			crn_drbg_bytes(&d, gs, sizeof(gs));
			CAIRN_T_PASS(crn_graph_new(&g, gs, n, k));
			for (uint32_t v = 1; v <= n; v++) {
				alive[v] = crn_drbg_uniform(&d, 100) >= pct;
				if (alive[v]) {
					alive_n++;
					if (first == 0)
						first = v;
				}
			}
			if (alive_n > 0) {
				bool conn = reach(g, alive, first) == alive_n;

				CAIRN_T_EQ(
				    conn, long_runs(g, alive, k / 2) <= 1);
				seen_disc += !conn;
				seen_conn += conn;
			}
			crn_graph_free(g);
		}
	}
	crn_drbg_fini(&d);
	/* Both outcomes occurred, so the comparison meant something. */
	assert_true(seen_disc > 50);
	assert_true(seen_conn > 50);
}

/*
 * End to end: with the parameters crn_graph_choose picks, random corrupt
 * and dropped sets of the assumed sizes never break a neighbourhood or
 * the honest survivors' connectivity (each failure has probability below
 * 2^-40, so one in these trials would be a bug).
 */
static void
test_choose_holds(void **state)
{
	static const struct {
		uint32_t n;
		double g, d;
	} cases[] = {{300, 0.1, 0.1}, {1000, 0.05, 0.05}, {500, 0.0, 0.2}};
	uint8_t seed[32];
	crn_drbg d;

	(void)state;
	seed_of(seed, 10);
	crn_drbg_init(&d, seed);
	for (size_t c = 0; c < CRN_NELEM(cases); c++) {
		uint32_t n = cases[c].n;
		uint32_t C = (uint32_t)ceil(n * cases[c].g - 1e-9);
		uint32_t D = (uint32_t)ceil(n * cases[c].d - 1e-9);
		crn_graph_params p;
		/* role: 0 honest survivor, 1 corrupt, 2 dropped. */
		uint8_t *role = crn_alloc(n + 1);
		bool *alive = crn_alloc(n + 1);
		uint32_t *nb;

		assert_non_null(role);
		assert_non_null(alive);
		CAIRN_T_PASS(
		    crn_graph_choose(&p, n, cases[c].g, cases[c].d, 1));
		assert_true(p.degree < n - 1);
		nb = crn_alloc(p.degree * sizeof(uint32_t));
		assert_non_null(nb);
		for (int trial = 0; trial < 30; trial++) {
			crn_graph *g = NULL;
			uint8_t gs[32];
			uint32_t honest_alive = 0, first = 0;

			crn_drbg_bytes(&d, gs, sizeof(gs));
			CAIRN_T_PASS(crn_graph_new(&g, gs, n, p.degree));
			memset(role, 0, n + 1);
			for (uint32_t i = 0; i < C + D;) {
				uint32_t v =
				    1 + (uint32_t)crn_drbg_uniform(&d, n);

				if (role[v] != 0)
					continue;
				role[v] = i < C ? 1 : 2;
				i++;
			}
			for (uint32_t v = 1; v <= n; v++) {
				alive[v] = role[v] == 0;
				if (alive[v]) {
					honest_alive++;
					if (first == 0)
						first = v;
				}
			}
			CAIRN_T_EQ(reach(g, alive, first), honest_alive);
			for (uint32_t u = 1; u <= n; u++) {
				size_t cnt, gone = 0, bad = 0;

				CAIRN_T_PASS(crn_graph_neighbours_of(
				    g, u, nb, p.degree, &cnt));
				for (size_t i = 0; i < cnt; i++) {
					gone += role[nb[i]] == 2;
					bad += role[nb[i]] == 1;
				}
				assert_true(cnt - gone >= p.threshold);
				assert_true(bad < p.threshold);
			}
			crn_graph_free(g);
		}
		crn_free(nb, p.degree * sizeof(uint32_t));
		crn_free(role, n + 1);
		crn_free(alive, n + 1);
	}
	crn_drbg_fini(&d);
}

static void
test_degree_symmetry(void **state)
{
	static const uint32_t cases[][2] = {
	    {5, 2},
	    {10, 4},
	    {61, 6},
	    {100, 8},
	    {101, 30},
	    {257, 2},
	    {30, 28},
	    {1000, 32},
	};
	uint8_t seed[32];

	(void)state;
	seed_of(seed, 1);
	for (size_t c = 0; c < CRN_NELEM(cases); c++) {
		uint32_t n = cases[c][0], k = cases[c][1];
		crn_graph *g = NULL;
		uint32_t *nb = crn_alloc(n * sizeof(uint32_t));
		size_t cnt;

		assert_non_null(nb);
		CAIRN_T_PASS(crn_graph_new(&g, seed, n, k));
		CAIRN_T_EQ(crn_graph_degree(g), k);
		for (uint32_t u = 1; u <= n; u++) {
			uint32_t edges = 0;

			CAIRN_T_PASS(
			    crn_graph_neighbours_of(g, u, nb, n, &cnt));
			CAIRN_T_EQ(cnt, k);
			for (size_t i = 0; i < cnt; i++) {
				assert_true(nb[i] >= 1 && nb[i] <= n);
				assert_true(nb[i] != u);
				if (i > 0)
					assert_true(nb[i - 1] < nb[i]);
				/* Symmetry through the other query path. */
				assert_true(crn_graph_has_edge(g, nb[i], u));
			}
			for (uint32_t v = 1; v <= n; v++) {
				bool e = crn_graph_has_edge(g, u, v);

				assert_true(e == crn_graph_has_edge(g, v, u));
				edges += e;
			}
			CAIRN_T_EQ(edges, k);
		}
		crn_graph_free(g);
		crn_free(nb, n * sizeof(uint32_t));
	}
}

static void
test_connected(void **state)
{
	uint8_t seed[32];
	bool alive[401];
	crn_graph *g = NULL;

	(void)state;
	seed_of(seed, 2);
	for (size_t i = 0; i < CRN_NELEM(alive); i++)
		alive[i] = true;
	CAIRN_T_PASS(crn_graph_new(&g, seed, 400, 2));
	/* k = 2 is the ring itself: connected, and still connected after one
	 * node leaves, but not after two that are not ring neighbours. */
	CAIRN_T_EQ(reach(g, alive, 1), 400);
	alive[17] = false;
	CAIRN_T_EQ(reach(g, alive, 1), 399);
	for (uint32_t v = 1; v <= 400; v++) {
		uint32_t pa = crn_graph_position(g, 17);
		uint32_t pv = crn_graph_position(g, v);
		uint32_t d = pa > pv ? pa - pv : pv - pa;

		if (d > 1 && d < 399) {
			alive[v] = false;
			assert_true(reach(g, alive, v == 1 ? 2 : 1) < 398);
			break;
		}
	}
	crn_graph_free(g);
	CAIRN_T_PASS(crn_graph_new(&g, seed, 400, 20));
	for (size_t i = 0; i < CRN_NELEM(alive); i++)
		alive[i] = true;
	CAIRN_T_EQ(reach(g, alive, 5), 400);
	/* Knock out every node whose index is a multiple of 3: the ring
	 * still has no run of 10 removed positions here with overwhelming
	 * likelihood, and the graph must stay connected. */
	for (uint32_t v = 3; v <= 400; v += 3)
		alive[v] = false;
	CAIRN_T_EQ(reach(g, alive, 1), 400 - 133);
	crn_graph_free(g);
}

static void
test_deterministic(void **state)
{
	uint8_t s1[32], s2[32];
	uint32_t *a = NULL, *b = NULL, *c = NULL;
	size_t na, nb, nc;

	(void)state;
	seed_of(s1, 3);
	seed_of(s2, 4);
	CAIRN_T_PASS(crn_graph_neighbours(&a, &na, s1, 500, 16, 42));
	CAIRN_T_PASS(crn_graph_neighbours(&b, &nb, s1, 500, 16, 42));
	CAIRN_T_PASS(crn_graph_neighbours(&c, &nc, s2, 500, 16, 42));
	CAIRN_T_EQ(na, 16);
	CAIRN_T_EQ(nb, 16);
	CAIRN_T_EQ(nc, 16);
	assert_memory_equal(a, b, na * sizeof(uint32_t));
	assert_memory_not_equal(a, c, na * sizeof(uint32_t));
	for (size_t i = 0; i < na; i++) {
		assert_true(crn_graph_adjacent(s1, 500, 16, 42, a[i]));
		assert_true(crn_graph_adjacent(s1, 500, 16, a[i], 42));
	}
	crn_free(a, na * sizeof(uint32_t));
	crn_free(b, nb * sizeof(uint32_t));
	crn_free(c, nc * sizeof(uint32_t));
}

static void
test_complete_and_errors(void **state)
{
	uint8_t seed[32];
	uint32_t *a = NULL;
	size_t na;
	crn_graph *g = NULL;
	uint32_t buf[4];

	(void)state;
	seed_of(seed, 5);
	for (uint32_t deg = 0; deg < 12; deg += 9) {
		CAIRN_T_PASS(crn_graph_neighbours(&a, &na, seed, 10, deg, 4));
		CAIRN_T_EQ(na, 9);
		for (uint32_t i = 0, v = 1; i < na; i++, v++) {
			if (v == 4)
				v++;
			CAIRN_T_EQ(a[i], v);
		}
		crn_free(a, na * sizeof(uint32_t));
	}
	assert_true(crn_graph_adjacent(seed, 10, 0, 1, 10));
	assert_false(crn_graph_adjacent(seed, 10, 0, 3, 3));
	assert_false(crn_graph_adjacent(seed, 10, 0, 0, 3));
	assert_false(crn_graph_adjacent(seed, 10, 0, 3, 11));
	assert_false(crn_graph_adjacent(seed, 10, 3, 1, 2));
	CAIRN_T_PASS(crn_graph_neighbours(&a, &na, seed, 1, 0, 1));
	assert_null(a);
	CAIRN_T_EQ(na, 0);
	CAIRN_T_FAIL(
	    crn_graph_neighbours(&a, &na, seed, 10, 3, 1), CAIRN_EINVAL);
	CAIRN_T_FAIL(
	    crn_graph_neighbours(&a, &na, seed, 10, 4, 0), CAIRN_EINVAL);
	CAIRN_T_FAIL(
	    crn_graph_neighbours(&a, &na, seed, 10, 4, 11), CAIRN_EINVAL);
	CAIRN_T_FAIL(
	    crn_graph_neighbours(&a, &na, seed, 0, 0, 1), CAIRN_EINVAL);
	assert_null(a);
	CAIRN_T_FAIL(crn_graph_new(&g, seed, 10, 5), CAIRN_EINVAL);
	assert_null(g);
	CAIRN_T_PASS(crn_graph_new(&g, seed, 10, 6));
	CAIRN_T_FAIL(crn_graph_neighbours_of(g, 1, buf, 4, &na), CAIRN_ETOOBIG);
	CAIRN_T_EQ(na, 6);
	crn_graph_free(g);
	crn_graph_free(NULL);
}

static void
test_oom(void **state)
{
	uint8_t seed[32];
	uint32_t *a = NULL;
	size_t na;
	cairn_err rv;

	(void)state;
	seed_of(seed, 6);
	for (long i = 0;; i++) {
		crn_alloc_fail_after(i);
		rv = crn_graph_neighbours(&a, &na, seed, 100, 10, 7);
		crn_alloc_fail_after(-1);
		if (rv == CAIRN_OK)
			break;
		CAIRN_T_EQ(rv, CAIRN_ENOMEM);
		assert_null(a);
		assert_true(i < 10);
	}
	CAIRN_T_EQ(na, 10);
	crn_free(a, na * sizeof(uint32_t));
}

/* The connectivity bound of graph.c: n^2/2 * C(r, k) / C(n, k). */
static double
disc_brute(uint32_t n, uint32_t r, uint32_t k)
{
	double p = (double)n * n / 2;

	if (r > n)
		r = n;
	if (k > r)
		return 0.0;
	for (uint32_t i = 0; i < k; i++)
		p *= (double)(r - i) / (double)(n - i);
	return p;
}

/* Probability of a hypergeometric tail by direct lgamma sums, for checking
 * that the choice meets its own bound. */
static double
hyp_tail_brute(uint32_t pop, uint32_t marked, uint32_t draws, uint32_t x0)
{
	double total = 0.0;

	for (uint32_t x = x0; x <= draws && x <= marked; x++) {
		if (draws - x > pop - marked)
			continue;
		total += exp(lgamma(marked + 1.0) - lgamma(x + 1.0) -
		    lgamma(marked - x + 1.0) + lgamma(pop - marked + 1.0) -
		    lgamma(draws - x + 1.0) -
		    lgamma(pop - marked - (draws - x) + 1.0) -
		    lgamma(pop + 1.0) + lgamma(draws + 1.0) +
		    lgamma(pop - draws + 1.0));
	}
	return total;
}

static void
test_choose_table(void **state)
{
	static const struct {
		uint32_t n;
		double g, d;
	} cases[] = {
	    {100, 0.05, 0.05},
	    {200, 0.05, 0.05},
	    {500, 0.1, 0.1},
	    {1000, 0.05, 0.05},
	    {1000, 0.0, 0.1},
	    {1000, 0.2, 0.2},
	    {5000, 0.05, 0.05},
	    {10000, 0.1, 0.05},
	    {100000, 0.05, 0.05},
	    {1000000, 0.01, 0.01},
	};
	crn_graph_params p, q;

	(void)state;
	for (size_t c = 0; c < CRN_NELEM(cases); c++) {
		uint32_t n = cases[c].n;
		uint32_t C = (uint32_t)ceil(n * cases[c].g - 1e-9);
		uint32_t D = (uint32_t)ceil(n * cases[c].d - 1e-9);

		CAIRN_T_PASS(
		    crn_graph_choose(&p, n, cases[c].g, cases[c].d, 1));
		CAIRN_T_PASS(
		    crn_graph_choose_ex(&q, n, cases[c].g, cases[c].d, 1, 1));
		print_message(
		    "n=%u gamma=%.2f delta=%.2f: k=%u t=%u log2 fail=%.1f | malicious k=%u t=%u log2 fail=%.1f\n",
		    n, cases[c].g, cases[c].d, p.degree, p.threshold,
		    p.fail_log2, q.degree, q.threshold, q.fail_log2);
		CAIRN_T_EQ(p.n, n);
		assert_true(p.degree % 2 == 0 || p.degree == n - 1);
		assert_true(p.degree < n - 1);
		assert_true(2 * p.threshold > p.degree);
		assert_true(p.threshold <= p.degree);
		assert_true(p.fail_log2 < -40.0);
		assert_true(q.fail_log2 < -40.0);
		assert_true(q.degree >= p.degree);
		assert_true(2 * q.threshold > q.degree);
		/* Check the bounds independently with lgamma sums for the
		 * moderate cases (the pmf there is not too small). */
		if (n <= 10000) {
			double corr = n *
			    hyp_tail_brute(
			        n - 1, D, p.degree, p.degree - p.threshold + 1);
			double sec = n *
			        hyp_tail_brute(
			            n - 1, C, p.degree, p.threshold) +
			    disc_brute(n, C + D, p.degree);

			assert_true(corr < ldexp(1.0, -40));
			assert_true(sec < ldexp(1.0, -40));
			/* The malicious variant: fewer than 2t - k - 1
			 * corrupt neighbours (agreement), fewer than
			 * t - 1 - k/2 on either side (connectivity), and t
			 * survivors, everywhere. */
			if (q.degree < n - 1) {
				uint32_t k = q.degree, t = q.threshold;

				corr = n *
				    hyp_tail_brute(n - 1, D, k, k - t + 1);
				sec = n * hyp_tail_brute(n - 1, C, k,
				              2 * t - k - 1) +
				    2.0 * n *
				        hyp_tail_brute(
				            n - 1, C, k / 2, t - 1 - k / 2);
				assert_true(corr < ldexp(1.0, -40));
				assert_true(sec < ldexp(1.0, -40));
			}
			/* And the next smaller degree fails for every t. */
			if (p.degree > 2) {
				uint32_t k = p.degree - 2;
				bool any = false;

				for (uint32_t t = k / 2 + 1; t <= k; t++) {
					double c2 = n *
					    hyp_tail_brute(
					        n - 1, D, k, k - t + 1);
					double s2 =
					    n * hyp_tail_brute(n - 1, C, k, t);

					s2 += disc_brute(n, C + D, k);
					if (c2 < ldexp(1.0, -41) &&
					    s2 < ldexp(1.0, -41))
						any = true;
				}
				assert_false(any);
			}
		}
	}
	/* More corruption or dropout never lowers the degree. */
	CAIRN_T_PASS(crn_graph_choose(&p, 1000, 0.05, 0.05, 1));
	CAIRN_T_PASS(crn_graph_choose(&q, 1000, 0.1, 0.05, 1));
	assert_true(q.degree >= p.degree);
	CAIRN_T_PASS(crn_graph_choose(&q, 1000, 0.05, 0.1, 1));
	assert_true(q.degree >= p.degree);
}

/* What a node checks of announced parameters: the chosen ones pass under
 * the policy they were chosen for; the semi-honest complete-graph
 * threshold fails a malicious node (two survivor sets of t signers share
 * 2t - n <= C nodes: finding 2 of issue 8), and so does the smallest
 * sparse threshold (a boundary node needs no corrupt help to cut the
 * honest survivors apart). */
static void
test_security_check(void **state)
{
	static const uint32_t ns[] = {100, 1000, 10000};
	crn_graph_params p;
	double l2;

	(void)state;
	for (size_t i = 0; i < CRN_NELEM(ns); i++) {
		CAIRN_T_PASS(crn_graph_choose_ex(&p, ns[i], 0.05, 0.05, 1, 1));
		CAIRN_T_PASS(crn_graph_security(&l2, ns[i], p.degree,
		    p.threshold, 0.05, 0.05, 1));
		assert_true(l2 <= CRN_GRAPH_FAIL_LOG2_TARGET);
		if (p.degree < ns[i] - 1) {
			CAIRN_T_PASS(crn_graph_security(&l2, ns[i], p.degree,
			    p.degree / 2 + 1, 0.05, 0.05, 1));
			assert_true(l2 > CRN_GRAPH_FAIL_LOG2_TARGET);
		}
	}
	for (uint32_t n = 5; n <= 9; n += 2) {
		CAIRN_T_PASS(crn_graph_security(
		    &l2, n, 0, n / 2 + 1, 0.05, 0.05, 1));
		assert_true(l2 == 0.0);
		CAIRN_T_PASS(crn_graph_security(
		    &l2, n, 0, n / 2 + 1, 0.05, 0.05, 0));
		assert_true(isinf(l2) && l2 < 0);
		CAIRN_T_PASS(crn_graph_security(
		    &l2, n, 0, (2 * n) / 3 + 1, 0.05, 0.05, 1));
		assert_true(isinf(l2) && l2 < 0);
	}
	CAIRN_T_FAIL(crn_graph_security(&l2, 100, 13, 8, 0.05, 0.05, 1),
	    CAIRN_EINVAL); /* odd degree */
	CAIRN_T_FAIL(crn_graph_security(&l2, 100, 20, 10, 0.05, 0.05, 1),
	    CAIRN_EINVAL); /* t <= k/2 */
}

static void
test_choose_complete(void **state)
{
	crn_graph_params p;

	(void)state;
	CAIRN_T_PASS(crn_graph_choose(&p, 1000, 0.05, 0.05, 0));
	CAIRN_T_EQ(p.degree, 999);
	CAIRN_T_EQ(p.threshold, 501);
	assert_true(isinf(p.fail_log2) && p.fail_log2 < 0);
	CAIRN_T_PASS(crn_graph_choose_ex(&p, 1000, 0.05, 0.05, 0, 1));
	CAIRN_T_EQ(p.threshold, 667);
	/* Small federations use the complete graph even when asked. */
	CAIRN_T_PASS(crn_graph_choose(&p, 40, 0.05, 0.05, 1));
	CAIRN_T_EQ(p.degree, 39);
	CAIRN_T_EQ(p.threshold, 21);
	CAIRN_T_PASS(crn_graph_choose(&p, 3, 0.0, 0.0, 1));
	CAIRN_T_EQ(p.degree, 2);
	CAIRN_T_EQ(p.threshold, 2);
	/* No sparse graph of degree < n - 1 qualifies here. */
	CAIRN_T_PASS(crn_graph_choose(&p, 61, 0.49, 0.49, 1));
	CAIRN_T_EQ(p.degree, 60);
	CAIRN_T_EQ(p.threshold, 31);
	/* Dropout so high that t = 6 of 10 cannot survive: certain failure. */
	CAIRN_T_PASS(crn_graph_choose(&p, 10, 0.0, 0.49, 0));
	assert_true(p.fail_log2 == 0.0);
	/* Out of memory in the sparse search: reported, *out untouched. */
	memset(&p, 0xab, sizeof(p));
	crn_alloc_fail_after(0);
	CAIRN_T_FAIL(crn_graph_choose(&p, 1000, 0.05, 0.05, 1), CAIRN_ENOMEM);
	crn_alloc_fail_after(-1);
	CAIRN_T_EQ(p.n, 0xabababab);
	/* Errors leave *out alone. */
	memset(&p, 0xab, sizeof(p));
	CAIRN_T_FAIL(crn_graph_choose(&p, 2, 0.0, 0.0, 0), CAIRN_EINVAL);
	CAIRN_T_FAIL(crn_graph_choose(&p, 100, 0.5, 0.0, 1), CAIRN_EINVAL);
	CAIRN_T_FAIL(crn_graph_choose(&p, 100, 0.0, -0.1, 1), CAIRN_EINVAL);
	CAIRN_T_FAIL(crn_graph_choose(&p, 100, NAN, 0.0, 1), CAIRN_EINVAL);
	CAIRN_T_EQ(p.n, 0xabababab);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_degree_symmetry),
    cmocka_unit_test(test_connected),
    cmocka_unit_test(test_disconnect_criterion),
    cmocka_unit_test(test_choose_holds),
    cmocka_unit_test(test_deterministic),
    cmocka_unit_test(test_complete_and_errors),
    cmocka_unit_test(test_oom),
    cmocka_unit_test(test_choose_table),
    cmocka_unit_test(test_choose_complete),
    cmocka_unit_test(test_security_check),
};

CAIRN_TEST_MAIN(tests)
