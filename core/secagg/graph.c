/*
 * graph.c — random Harary neighbour graphs (SecAgg+) and the choice of
 * degree and threshold.
 *
 * The graph: nodes sit on a ring in the order of a Fisher-Yates shuffle of
 * 1..n drawn from crn_drbg(seed); node u is joined to the k/2 ring
 * positions on each side of its own.  Because k is even and k < n - 1 the
 * 2 * (k/2) positions are distinct and never u's own, so every node has
 * exactly k neighbours, and adjacency is "ring distance <= k/2", which is
 * symmetric by construction.  The seed should be one derived for this
 * purpose only (for example with crn_kdf and its own purpose string), so
 * that the DRBG stream here is not reused anywhere else.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/crn.h"
#include "crypto/crypto.h"
#include "secagg/graph.h"

struct crn_graph {
	uint32_t n;
	uint32_t half; /* k/2; unused when complete */
	bool complete;
	uint32_t *order; /* ring position -> node (1-based) */
	uint32_t *pos;   /* node - 1 -> ring position */
};

static bool
graph_is_complete(uint32_t n, uint32_t degree)
{
	return degree == 0 || degree >= n - 1;
}

cairn_err
crn_graph_new(
    crn_graph **out, const uint8_t seed[32], uint32_t n, uint32_t degree)
{
	crn_graph *g = NULL;
	crn_drbg d;
	size_t bytes = 0;
	cairn_err rv = CAIRN_EINTERNAL;

	*out = NULL;
	memset(&d, 0, sizeof(d));
	if (n == 0 || (!graph_is_complete(n, degree) && degree % 2 != 0)) {
		rv = CAIRN_EINVAL;
		goto out;
	}
	if ((g = crn_zalloc(sizeof(*g))) == NULL) {
		rv = CAIRN_ENOMEM;
		goto out;
	}
	g->n = n;
	g->complete = graph_is_complete(n, degree);
	if (g->complete) {
		*out = g;
		g = NULL;
		rv = CAIRN_OK;
		goto out;
	}
	g->half = degree / 2;
	if (crn_mul_size(n, sizeof(uint32_t), &bytes) != 0) {
		rv = CAIRN_ETOOBIG;
		goto out;
	}
	if ((g->order = crn_alloc(bytes)) == NULL ||
	    (g->pos = crn_alloc(bytes)) == NULL) {
		rv = CAIRN_ENOMEM;
		goto out;
	}
	for (uint32_t i = 0; i < n; i++)
		g->order[i] = i + 1;
	/*
	 * Fisher-Yates from the top: position i takes a uniform pick among
	 * positions 0..i, so every permutation is equally likely and the
	 * result depends only on the seed.
	 */
	crn_drbg_init(&d, seed);
	for (uint32_t i = n - 1; i > 0; i--) {
		uint32_t j = (uint32_t)crn_drbg_uniform(&d, (uint64_t)i + 1);
		uint32_t tmp = g->order[i];

		g->order[i] = g->order[j];
		g->order[j] = tmp;
	}
	for (uint32_t i = 0; i < n; i++)
		g->pos[g->order[i] - 1] = i;
	*out = g;
	g = NULL;
	rv = CAIRN_OK;
out:
	crn_drbg_fini(&d);
	crn_graph_free(g);
	return rv;
}

void
crn_graph_free(crn_graph *g)
{
	if (g == NULL)
		return;
	if (!g->complete) {
		crn_free(g->order, (size_t)g->n * sizeof(uint32_t));
		crn_free(g->pos, (size_t)g->n * sizeof(uint32_t));
	}
	crn_free(g, sizeof(*g));
}

uint32_t
crn_graph_n(const crn_graph *g)
{
	return g->n;
}

uint32_t
crn_graph_degree(const crn_graph *g)
{
	return g->complete ? g->n - 1 : 2 * g->half;
}

uint32_t
crn_graph_position(const crn_graph *g, uint32_t u)
{
	if (u == 0 || u > g->n)
		return UINT32_MAX;
	return g->complete ? u - 1 : g->pos[u - 1];
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

cairn_err
crn_graph_neighbours_of(
    const crn_graph *g, uint32_t u, uint32_t *buf, size_t cap, size_t *count)
{
	size_t need;
	uint32_t p, n = g->n;

	*count = 0;
	if (u == 0 || u > n)
		return CAIRN_EINVAL;
	need = crn_graph_degree(g);
	*count = need;
	if (cap < need)
		return CAIRN_ETOOBIG;
	if (g->complete) {
		size_t i = 0;

		for (uint32_t v = 1; v <= n; v++)
			if (v != u)
				buf[i++] = v;
		return CAIRN_OK;
	}
	p = g->pos[u - 1];
	for (uint32_t d = 1; d <= g->half; d++) {
		buf[2 * (d - 1)] = g->order[(uint32_t)(((uint64_t)p + d) % n)];
		buf[2 * (d - 1) + 1] =
		    g->order[(uint32_t)(((uint64_t)p + n - d) % n)];
	}
	qsort(buf, need, sizeof(uint32_t), cmp_u32);
	return CAIRN_OK;
}

bool
crn_graph_has_edge(const crn_graph *g, uint32_t u, uint32_t v)
{
	uint32_t a, b, diff;

	if (u == v || u == 0 || v == 0 || u > g->n || v > g->n)
		return false;
	if (g->complete)
		return true;
	a = g->pos[u - 1];
	b = g->pos[v - 1];
	diff = a > b ? a - b : b - a;
	if (g->n - diff < diff)
		diff = g->n - diff;
	return diff <= g->half;
}

cairn_err
crn_graph_neighbours(uint32_t **out, size_t *count, const uint8_t seed[32],
    uint32_t n, uint32_t degree, uint32_t u)
{
	crn_graph *g = NULL;
	uint32_t *buf = NULL;
	size_t k = 0, got = 0;
	cairn_err rv = CAIRN_EINTERNAL;

	*out = NULL;
	*count = 0;
	if (n == 0 || u == 0 || u > n) {
		rv = CAIRN_EINVAL;
		goto out;
	}
	if ((rv = crn_graph_new(&g, seed, n, degree)) != CAIRN_OK)
		goto out;
	k = crn_graph_degree(g);
	if (k > 0 && (buf = crn_alloc(k * sizeof(uint32_t))) == NULL) {
		rv = CAIRN_ENOMEM;
		goto out;
	}
	if ((rv = crn_graph_neighbours_of(g, u, buf, k, &got)) != CAIRN_OK)
		goto out;
	*out = buf;
	*count = got;
	buf = NULL;
	rv = CAIRN_OK;
out:
	crn_free(buf, k * sizeof(uint32_t));
	crn_graph_free(g);
	return rv;
}

bool
crn_graph_adjacent(
    const uint8_t seed[32], uint32_t n, uint32_t degree, uint32_t u, uint32_t v)
{
	crn_graph *g = NULL;
	bool r;

	if (u == v || u == 0 || v == 0 || u > n || v > n)
		return false;
	if (crn_graph_new(&g, seed, n, degree) != CAIRN_OK)
		return false;
	r = crn_graph_has_edge(g, u, v);
	crn_graph_free(g);
	return r;
}

/* ---- choosing degree and threshold -------------------------------------
 *
 * What can go wrong, for n nodes of which C = ceil(gamma n) are corrupt and
 * D = ceil(delta n) drop out, all fixed before the graph seed is drawn:
 *
 *  Correctness.  The coordinator must collect t shares of every node's
 *  secret (the self-mask seed of a survivor, the mask key of a dropped
 *  node) from that node's surviving neighbours.  It fails if some node has
 *  more than k - t dropped neighbours.
 *
 *  Security, shares.  If some honest node has t or more corrupt neighbours
 *  they can rebuild both of its secrets between them and unmask its input.
 *  Against a coordinator that lies about who dropped, honest neighbours
 *  reveal one kind of share each while corrupt ones hand over both; the
 *  adversary gets t of both kinds only if k + c >= 2t, with c the number of
 *  corrupt neighbours, so the malicious variant requires c <= 2t - k - 1.
 *
 *  Security, connectivity.  The pairwise masks hide single inputs only
 *  inside a connected component: if the graph among honest survivors
 *  falls apart, the coordinator learns the partial sum of each part.
 *
 * The bounds.  The ring order is a uniform permutation, so a node's k
 * neighbours are a uniform k-subset of the other n - 1 nodes and the
 * number of dropped (corrupt) ones is hypergeometric: population n - 1,
 * D (C) marked, k drawn.  We use D and C marked nodes among the other
 * n - 1 even though u itself might be one of them, which only makes the
 * tails heavier.  A union bound over the n nodes gives
 *   P_corr <= n * P[Hyp(n-1, D, k) >= k - t + 1]
 *   P_sec  <= n * P[Hyp(n-1, C, k) >= s] + P_disc
 * with s = t (honest-but-curious coordinator) or s = 2t - k (malicious).
 *
 * For P_disc: remove the r = C + D corrupt or dropped nodes from the ring.
 * Two consecutive remaining nodes are adjacent exactly when the run of
 * removed positions between them is shorter than m = k/2.  One such long
 * run still leaves a path around the other side of the ring; the remaining
 * graph is disconnected only if there are at least two runs of m or more
 * removed positions, since every edge between the two arcs they cut would
 * have to jump one of the runs.  Two such runs contain two disjoint windows
 * of m positions each, all removed; there are fewer than n^2/2 pairs of
 * windows, and a fixed set of 2m positions holds a uniform 2m-subset of
 * the nodes, so
 *   P_disc <= n^2/2 * C(r, 2m) / C(n, 2m).
 *
 * This is the reasoning of Bell et al. (CCS 2020, section 3 and appendix)
 * with exact tail sums in place of their Chernoff-style estimates.  We
 * take the smallest even k < n - 1 for which some t in (k/2, k] puts both
 * bounds below 2^-40; among those t, the one with the smaller of the two
 * bounds' maximum (ties: smaller t).  All sums are done on natural logs in
 * double precision; the hypergeometric pmf is built by its ratio
 * recurrence from the first term, so nothing underflows.
 *
 * What it gives (graph_test prints the table): n = 1000 with 5% corrupt
 * and 5% dropout yields k = 36, t = 19, bound 2^-40.4; DESIGN.md quotes
 * about k = 30, t = 17 from the paper.  By the bounds above k = 30, t = 17
 * is secure to 2^-41.5 but its correctness bound is only 2^-27: the
 * dropout side (t survivors in every neighbourhood, union over all n
 * nodes) is what costs the extra six neighbours here.  For n = 10^6 with
 * the same fractions k = 48, t = 25.  The connectivity term is far below
 * the others at these sizes.  The bounds assume the corrupt and dropped
 * sets do not depend on the seed, so the seed must be fixed only after
 * the participant set is, and not by the coordinator alone.
 */

/* Above this degree the sparse graph is no longer worth its bookkeeping
 * and the search stops; the complete graph is always correct. */
#define GRAPH_KMAX 2048u

static double
log_add(double a, double b)
{
	double hi = a > b ? a : b, lo = a > b ? b : a;

	if (hi == -INFINITY)
		return -INFINITY;
	return hi + log1p(exp(lo - hi));
}

/* ln C(a, b) for 0 <= b <= a, in O(b) steps (b is at most a degree). */
static double
log_choose(double a, uint32_t b)
{
	double s = 0.0;

	for (uint32_t i = 1; i <= b; i++)
		s += log((a - b + i) / i);
	return s;
}

/*
 * tail[x] = ln P[X >= x] for X ~ Hyp(pop, marked, draws), x = 0..draws;
 * tail has draws + 2 entries and tail[draws + 1] = -inf.
 */
static void
hyper_tails(
    double *tail, double *lp, uint32_t pop, uint32_t marked, uint32_t draws)
{
	uint32_t xmin, xmax;

	if (marked > pop)
		marked = pop;
	xmin = draws > pop - marked ? draws - (pop - marked) : 0;
	xmax = draws < marked ? draws : marked;
	for (uint32_t x = 0; x <= draws + 1; x++)
		lp[x] = -INFINITY;
	lp[xmin] = log_choose(marked, xmin) +
	    log_choose(pop - marked, draws - xmin) - log_choose(pop, draws);
	for (uint32_t x = xmin; x < xmax; x++) {
		double num = (double)(marked - x) * (double)(draws - x);
		double den =
		    (double)(x + 1) * ((double)pop - marked - draws + x + 1);

		lp[x + 1] = lp[x] + log(num / den);
	}
	tail[draws + 1] = -INFINITY;
	for (uint32_t x = draws + 1; x-- > 0;)
		tail[x] = log_add(tail[x + 1], lp[x]);
}

/* ln of n^2/2 * C(r, 2m) / C(n, 2m); -inf when 2m > r. */
static double
log_disconnect(uint32_t n, uint32_t r, uint32_t m)
{
	double s = 2.0 * log((double)n) - log(2.0);

	if (r > n)
		r = n;
	if (2 * (uint64_t)m > r)
		return -INFINITY;
	for (uint32_t i = 0; i < 2 * m; i++)
		s += log((double)(r - i) / (double)(n - i));
	return s;
}

static uint32_t
frac_count(uint32_t n, double frac)
{
	/* The epsilon keeps 0.05 * 1000 from becoming 51 through rounding. */
	double c = ceil((double)n * frac - 1e-9);

	if (c < 0)
		c = 0;
	if (c > n)
		c = n;
	return (uint32_t)c;
}

static void
choose_complete(
    crn_graph_params *p, uint32_t n, uint32_t C, uint32_t D, int malicious)
{
	uint32_t t =
	    malicious ? (uint32_t)((2 * (uint64_t)n) / 3 + 1) : n / 2 + 1;
	uint32_t sec_lim;
	bool fails;

	/* Corrupt neighbours of an honest node: at most C.  See above for
	 * the 2t - k rule; here k = n - 1. */
	sec_lim = malicious ? (uint32_t)(2 * (uint64_t)t - (n - 1)) : t;
	fails = n - D < t || C >= sec_lim || C + D >= n;
	p->n = n;
	p->degree = n - 1;
	p->threshold = t;
	p->fail_log2 = fails ? 0.0 : -INFINITY;
}

/*
 * Search the sparse parameters; true with *p filled when some k qualifies.
 * Scratch: four arrays of GRAPH_KMAX + 2 doubles.
 */
static cairn_err
choose_sparse(crn_graph_params *p, bool *found, uint32_t n, uint32_t C,
    uint32_t D, int malicious)
{
	const double target = CRN_GRAPH_FAIL_LOG2_TARGET * log(2.0);
	const double ln_n = log((double)n);
	size_t len = GRAPH_KMAX + 2;
	double *mem = NULL, *tc, *td, *lp1, *lp2;
	cairn_err rv = CAIRN_EINTERNAL;

	*found = false;
	if ((mem = crn_alloc(4 * len * sizeof(double))) == NULL) {
		rv = CAIRN_ENOMEM;
		goto out;
	}
	tc = mem;
	td = mem + len;
	lp1 = mem + 2 * len;
	lp2 = mem + 3 * len;
	for (uint32_t k = 2; k <= GRAPH_KMAX && k < n - 1; k += 2) {
		double disc = log_disconnect(n, C + D, k / 2);
		double best = INFINITY;
		uint32_t best_t = 0;

		if (disc >= target)
			continue;
		hyper_tails(tc, lp1, n - 1, C, k);
		hyper_tails(td, lp2, n - 1, D, k);
		for (uint32_t t = k / 2 + 1; t <= k; t++) {
			uint32_t s = malicious ? 2 * t - k : t;
			double corr = ln_n + td[k - t + 1];
			double sec = log_add(ln_n + tc[s], disc);
			double worst = corr > sec ? corr : sec;

			if (worst < best) {
				best = worst;
				best_t = t;
			}
		}
		if (best < target) {
			p->n = n;
			p->degree = k;
			p->threshold = best_t;
			p->fail_log2 = best / log(2.0);
			*found = true;
			break;
		}
	}
	rv = CAIRN_OK;
out:
	crn_free(mem, 4 * len * sizeof(double));
	return rv;
}

cairn_err
crn_graph_choose_ex(crn_graph_params *out, uint32_t n, double corrupt_frac,
    double dropout_frac, int sparse, int malicious)
{
	crn_graph_params p;
	uint32_t C, D;
	bool found = false;
	cairn_err rv;

	/* The negated comparisons also refuse NaN. */
	if (n < 3 || !(corrupt_frac >= 0.0 && corrupt_frac < 0.5) ||
	    !(dropout_frac >= 0.0 && dropout_frac < 0.5))
		return CAIRN_EINVAL;
	C = frac_count(n, corrupt_frac);
	D = frac_count(n, dropout_frac);
	memset(&p, 0, sizeof(p));
	if (sparse && n >= CRN_GRAPH_SPARSE_MIN_N) {
		rv = choose_sparse(&p, &found, n, C, D, malicious);
		if (rv != CAIRN_OK)
			return rv;
	}
	if (!found)
		choose_complete(&p, n, C, D, malicious);
	*out = p;
	return CAIRN_OK;
}

cairn_err
crn_graph_choose(crn_graph_params *out, uint32_t n, double corrupt_frac,
    double dropout_frac, int sparse)
{
	return crn_graph_choose_ex(
	    out, n, corrupt_frac, dropout_frac, sparse, 0);
}
