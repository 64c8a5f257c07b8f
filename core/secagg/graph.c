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
 * n nodes, C = ceil(gamma n) of them corrupt (colluding with the
 * coordinator), D = ceil(delta n) dropping out; the corrupt set is fixed
 * before the graph seed, which nobody can predict when the roster closes
 * (the seed comes from every participant's committed contribution, see
 * secagg.h).  k is the degree, t the threshold, N[w] the closed
 * neighbourhood of w (w and its k neighbours).
 *
 *  Correctness.  Every secret the coordinator needs (a survivor's
 *  self-mask seed, a dropped node's mask key) must be held by t surviving
 *  members of its owner's closed neighbourhood: it fails if some node has
 *  more than k - t dropped neighbours.
 *
 *  Security against an honest-but-curious coordinator.  An honest node
 *  with t corrupt neighbours is exposed (they rebuild both its secrets);
 *  and the pairwise masks hide single inputs only within a connected
 *  component of the honest survivors, so random dropouts must not cut
 *  the ring (P_disc below).
 *
 *  Security against a malicious coordinator.  It decides who "dropped"
 *  and can tell different nodes different stories, adaptively, after
 *  seeing the graph.  Nodes reveal anything about w only when t members
 *  of N[w] signed the same survivor set (over one roster digest), and
 *  each honest node signs one set.  Two different sets can both gather t
 *  signatures in N[w] only if its corrupt members sign both:
 *  (k + 1 - c) + 2c >= 2t, so every honest w must have fewer than
 *  2t - k - 1 corrupt neighbours ("agreement"; the + 1 is w's own share).
 *  With agreement, no survivor's mask key and no dropped node's self-mask
 *  seed is ever revealed, so the coordinator learns the sum of each
 *  connected component of the honest survivors.  To learn less than the
 *  total it must cut the ring: leave a run of k/2 consecutive positions
 *  without honest survivors on two sides of some arc.  The honest
 *  survivor just after such a run has no honest survivors among its k/2
 *  neighbours on the run's side, so of the t signers its own
 *  neighbourhood must show, at most 1 + k/2 are honest and at least
 *  t - 1 - k/2 corrupt neighbours sit on that side ("connectivity").  If
 *  no node has that many corrupt nodes among the k/2 on either side, the
 *  honest survivors stay connected whatever the coordinator drops.
 *
 * The bounds.  The ring order is a uniform permutation, so a node's k
 * neighbours are a uniform k-subset of the other n - 1 nodes (and the k/2
 * on one side a uniform k/2-subset), and the count of corrupt (dropped)
 * ones is hypergeometric.  Counting C and D among the other n - 1 even
 * when the node itself is one of them only makes the tails heavier.  With
 * a union bound over the n nodes (and the two sides):
 *   P_corr <= n P[Hyp(n-1, D, k) >= k - t + 1]
 *   P_sec  <= n P[Hyp(n-1, C, k) >= t] + P_disc              (semi-honest)
 *   P_sec  <= n P[Hyp(n-1, C, k) >= 2t - k - 1]
 *             + 2n P[Hyp(n-1, C, k/2) >= t - 1 - k/2]         (malicious)
 * For P_disc: remove the r = C + D corrupt or dropped nodes; the rest is
 * disconnected only if two runs of at least m = k/2 removed positions
 * exist, which contain two disjoint all-removed windows of m positions;
 * fewer than n^2/2 window pairs, each all removed with probability
 * C(r, 2m) / C(n, 2m), so P_disc <= n^2/2 C(r, 2m) / C(n, 2m).
 *
 * This follows the reasoning of Bell et al. (CCS 2020, section 3 and the
 * appendix) with exact tail sums instead of their concentration bounds;
 * the malicious connectivity argument is ours and gives the coordinator
 * only the total, not the sums of large subsets their definition allows.
 * We take the smallest even k < n - 1 for which some t in (k/2, k] puts
 * both bounds below 2^-40, and among those t the one with the smaller
 * worse bound (ties: smaller t).  Sums run on natural logs in double
 * precision with the hypergeometric pmf built by its ratio recurrence, so
 * nothing underflows.  graph_test prints the table; README "Secure
 * aggregation" quotes it.
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
 * tail has draws + 2 entries and tail[draws + 1] = -inf.  lp is scratch of
 * the same size.
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

/* The tails one degree k needs, for the corrupt and the dropped counts. */
typedef struct tails {
	double *c;    /* Hyp(n-1, C, k) */
	double *ch;   /* Hyp(n-1, C, k/2) */
	double *d;    /* Hyp(n-1, D, k) */
	double *lp;   /* scratch */
	double disc;  /* ln P_disc */
	double *mem;
	size_t len;
} tails;

static cairn_err
tails_init(tails *tl, uint32_t kmax)
{
	tl->len = (size_t)kmax + 2;
	tl->mem = crn_alloc(4 * tl->len * sizeof(double));
	if (tl->mem == NULL)
		return CAIRN_ENOMEM;
	tl->c = tl->mem;
	tl->ch = tl->mem + tl->len;
	tl->d = tl->mem + 2 * tl->len;
	tl->lp = tl->mem + 3 * tl->len;
	return CAIRN_OK;
}

static void
tails_fini(tails *tl)
{
	crn_free(tl->mem, tl->mem != NULL ? 4 * tl->len * sizeof(double) : 0);
	tl->mem = NULL;
}

static void
tails_fill(tails *tl, uint32_t n, uint32_t k, uint32_t C, uint32_t D)
{
	hyper_tails(tl->c, tl->lp, n - 1, C, k);
	hyper_tails(tl->ch, tl->lp, n - 1, C, k / 2);
	hyper_tails(tl->d, tl->lp, n - 1, D, k);
	tl->disc = log_disconnect(n, C + D, k / 2);
}

/* ln of the security bound for (k, t); t in (k/2, k]. */
static double
sparse_sec(const tails *tl, uint32_t n, uint32_t k, uint32_t t, int malicious)
{
	double ln_n = log((double)n);

	if (!malicious)
		return log_add(ln_n + tl->c[t], tl->disc);
	/* t - 1 - k/2 = 0 means a boundary node needs no corrupt help: the
	 * tail at 0 is certainty. */
	return log_add(ln_n + tl->c[2 * t - k - 1],
	    log(2.0) + ln_n + tl->ch[t - 1 - k / 2]);
}

/* ln of the correctness bound for (k, t). */
static double
sparse_corr(const tails *tl, uint32_t n, uint32_t k, uint32_t t)
{
	return log((double)n) + tl->d[k - t + 1];
}

/* The complete graph's security: certain failure or none. */
static bool
complete_secure(uint32_t n, uint32_t t, uint32_t C, int malicious)
{
	/* Closed neighbourhood = all n nodes: two survivor sets with t
	 * signers each overlap in 2t - n nodes, which must not all be
	 * corrupt. */
	if (malicious)
		return 2 * (uint64_t)t > n + (uint64_t)C;
	return t > C;
}

static void
choose_complete(
    crn_graph_params *p, uint32_t n, uint32_t C, uint32_t D, int malicious)
{
	uint32_t t =
	    malicious ? (uint32_t)((2 * (uint64_t)n) / 3 + 1) : n / 2 + 1;
	bool fails = n - D < t || !complete_secure(n, t, C, malicious);

	p->n = n;
	p->degree = n - 1;
	p->threshold = t;
	p->fail_log2 = fails ? 0.0 : -INFINITY;
}

/* The best t for degree k, and its worse bound (ln). */
static uint32_t
best_threshold(const tails *tl, uint32_t n, uint32_t k, int malicious,
    double *worst_out)
{
	double best = INFINITY;
	uint32_t best_t = 0;

	for (uint32_t t = k / 2 + 1; t <= k; t++) {
		double corr = sparse_corr(tl, n, k, t);
		double sec = sparse_sec(tl, n, k, t, malicious);
		double worst = corr > sec ? corr : sec;

		if (worst < best) {
			best = worst;
			best_t = t;
		}
	}
	*worst_out = best;
	return best_t;
}

/* Search the sparse parameters; *found with *p filled when a k qualifies. */
static cairn_err
choose_sparse(crn_graph_params *p, bool *found, uint32_t n, uint32_t C,
    uint32_t D, int malicious)
{
	const double target = CRN_GRAPH_FAIL_LOG2_TARGET * log(2.0);
	tails tl;
	cairn_err rv;

	*found = false;
	if ((rv = tails_init(&tl, GRAPH_KMAX)) != CAIRN_OK)
		return rv;
	for (uint32_t k = 2; k <= GRAPH_KMAX && k < n - 1; k += 2) {
		double worst;
		uint32_t t;

		if (!malicious && log_disconnect(n, C + D, k / 2) >= target)
			continue;
		tails_fill(&tl, n, k, C, D);
		t = best_threshold(&tl, n, k, malicious, &worst);
		if (worst < target) {
			p->n = n;
			p->degree = k;
			p->threshold = t;
			p->fail_log2 = worst / log(2.0);
			*found = true;
			break;
		}
	}
	tails_fini(&tl);
	return CAIRN_OK;
}

static bool
fracs_ok(uint32_t n, double corrupt_frac, double dropout_frac)
{
	/* The negated comparisons also refuse NaN. */
	return n >= 3 && corrupt_frac >= 0.0 && corrupt_frac < 0.5 &&
	    dropout_frac >= 0.0 && dropout_frac < 0.5;
}

cairn_err
crn_graph_choose_ex(crn_graph_params *out, uint32_t n, double corrupt_frac,
    double dropout_frac, int sparse, int malicious)
{
	crn_graph_params p;
	uint32_t C, D;
	bool found = false;
	cairn_err rv;

	if (!fracs_ok(n, corrupt_frac, dropout_frac))
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

cairn_err
crn_graph_security(double *log2_out, uint32_t n, uint32_t degree,
    uint32_t t, double corrupt_frac, double dropout_frac, int malicious)
{
	tails tl;
	uint32_t C, D;
	cairn_err rv;

	if (!fracs_ok(n, corrupt_frac, dropout_frac) || t < 2 || t > n)
		return CAIRN_EINVAL;
	C = frac_count(n, corrupt_frac);
	D = frac_count(n, dropout_frac);
	if (graph_is_complete(n, degree)) {
		*log2_out = complete_secure(n, t, C, malicious) ? -INFINITY
		                                                 : 0.0;
		return CAIRN_OK;
	}
	if (degree % 2 != 0 || degree > GRAPH_KMAX || t <= degree / 2 ||
	    t > degree)
		return CAIRN_EINVAL;
	if ((rv = tails_init(&tl, degree)) != CAIRN_OK)
		return rv;
	tails_fill(&tl, n, degree, C, D);
	*log2_out = sparse_sec(&tl, n, degree, t, malicious) / log(2.0);
	tails_fini(&tl);
	return CAIRN_OK;
}
