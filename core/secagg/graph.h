/*
 * graph.h — the neighbour graph of secure aggregation and its parameters.
 *
 * With the complete graph every node shares keys and masks with every other
 * node (Bonawitz et al., CCS 2017).  For large federations SecAgg+ (Bell et
 * al., CCS 2020) uses a random Harary graph H(n, k): the n nodes are placed
 * on a ring in a pseudo-random order fixed by a 32-byte seed, and each node
 * is joined to the k/2 nearest nodes on either side.  Every node then has
 * exactly k neighbours, the graph is symmetric, and each node's neighbour
 * set is, marginally, a uniformly random k-subset of the other n - 1 nodes,
 * which is what the parameter choice in crn_graph_choose relies on.
 *
 * Nodes are numbered 1..n.  A degree of 0 or >= n - 1 means the complete
 * graph; otherwise the degree must be even (CAIRN_EINVAL if it is not).
 *
 * The ring order is the Fisher-Yates shuffle of 1..n driven by crn_drbg
 * seeded with the seed, so every party that knows the seed derives the
 * same graph.  The functions below that take a seed rebuild the order on
 * each call: O(n) time and 8n bytes per call, fine for one-off questions or
 * n <= 10,000.  Code that asks about many nodes builds a crn_graph once
 * (O(n)) and then answers each question in O(k log k) or O(1).
 *
 * Thread safety: all functions are reentrant; a crn_graph is read-only
 * after crn_graph_new and may be queried from several threads.
 */
#ifndef CRN_SECAGG_GRAPH_H
#define CRN_SECAGG_GRAPH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

/* Target for both the correctness and the security failure bounds. */
#define CRN_GRAPH_FAIL_LOG2_TARGET (-40.0)
/* Federations this small always use the complete graph. */
#define CRN_GRAPH_SPARSE_MIN_N 61u

/*
 * Parameters of one session's graph.  degree == n - 1 for the complete
 * graph.  fail_log2 is log2 of an upper bound on the probability that the
 * session fails, the larger of the correctness bound (some node cannot be
 * reconstructed) and the security bound (some honest node's secrets or a
 * partial sum leak); -INFINITY when failure is impossible under the
 * assumed fractions, 0 when it is certain.
 */
typedef struct crn_graph_params {
	uint32_t n, degree, threshold;
	double fail_log2;
} crn_graph_params;

/*
 * Choose degree and threshold for n nodes of which a fraction corrupt_frac
 * may be corrupt (colluding with the coordinator) and a fraction
 * dropout_frac may drop out (nodes that go silent, corrupt or not, count
 * here).  sparse = 0 asks for the complete graph with t = floor(n/2) + 1;
 * sparse != 0 asks for the smallest even degree k < n - 1 and a threshold
 * t > k/2 whose failure bounds are both below 2^-40 (see graph.c for the
 * derivation), and falls back to the complete graph when n is below
 * CRN_GRAPH_SPARSE_MIN_N or no sparse graph qualifies.
 *
 * Against a malicious coordinator (one that may tell nodes different
 * stories) the complete graph wants t > 2n/3: use crn_graph_choose_ex.
 *
 * Errors: CAIRN_EINVAL when n < 3 or a fraction is outside [0, 0.5) or NaN;
 * *out is untouched on error.
 */
CAIRN_NODISCARD cairn_err crn_graph_choose(crn_graph_params *out, uint32_t n,
    double corrupt_frac, double dropout_frac, int sparse);

/*
 * As crn_graph_choose; with malicious != 0 the parameters also hold against
 * a coordinator that lies to nodes about who dropped (graph.c derives the
 * bounds): the complete graph's threshold is floor(2n/3) + 1 (secure while
 * 2t > n + C), and a sparse (k, t) must keep every honest node below
 * 2t - k - 1 corrupt neighbours (survivor sets agree) and below t - 1 - k/2
 * corrupt neighbours on either side of the ring (the honest survivors stay
 * connected), each with probability 1 - 2^-40.
 */
CAIRN_NODISCARD cairn_err crn_graph_choose_ex(crn_graph_params *out, uint32_t n,
    double corrupt_frac, double dropout_frac, int sparse, int malicious);

/*
 * log2 of the security failure bound of given parameters, as a node checks
 * what the coordinator announced against its own assumed fractions:
 * -INFINITY when failure is impossible, 0 when certain.  degree 0 or
 * >= n - 1 is the complete graph; a sparse degree must be even, at most
 * 2048, with degree/2 < t <= degree.  Errors: CAIRN_EINVAL (bad n, t,
 * degree or fraction), CAIRN_ENOMEM.
 */
CAIRN_NODISCARD cairn_err crn_graph_security(double *log2_out, uint32_t n,
    uint32_t degree, uint32_t t, double corrupt_frac, double dropout_frac,
    int malicious);

/*
 * The neighbours of node u (1-based), sorted ascending, never u itself.
 * On success *out is a new array of *count entries owned by the caller,
 * freed with crn_free(*out, *count * sizeof(uint32_t)); when *count is 0
 * (n == 1) *out is NULL.  O(n) per call (see above).
 * Errors: CAIRN_EINVAL (n == 0, u outside 1..n, odd sparse degree),
 * CAIRN_ENOMEM.  On error *out is NULL and *count 0.
 */
CAIRN_NODISCARD cairn_err crn_graph_neighbours(uint32_t **out, size_t *count,
    const uint8_t seed[32], uint32_t n, uint32_t degree, uint32_t u);

/*
 * Whether u and v are neighbours.  False when u == v, either is outside
 * 1..n, the degree is odd and sparse, or memory runs out.  O(n) per call.
 */
bool crn_graph_adjacent(const uint8_t seed[32], uint32_t n, uint32_t degree,
    uint32_t u, uint32_t v);

/* ---- a built graph, for many queries ------------------------------------ */

typedef struct crn_graph crn_graph;

/*
 * Build the graph for (seed, n, degree): O(n) time, 8n bytes (none for the
 * complete graph).  Errors: CAIRN_EINVAL (n == 0, odd sparse degree),
 * CAIRN_ENOMEM; *out is NULL on error.  Free with crn_graph_free.
 */
CAIRN_NODISCARD cairn_err crn_graph_new(
    crn_graph **out, const uint8_t seed[32], uint32_t n, uint32_t degree);
/* NULL is fine. */
void crn_graph_free(crn_graph *g);

uint32_t crn_graph_n(const crn_graph *g);
/* The number of neighbours every node has: k, or n - 1 when complete. */
uint32_t crn_graph_degree(const crn_graph *g);

/*
 * Write u's neighbours, sorted ascending, into buf (room for cap entries)
 * and their number into *count.  O(k log k); O(n) for the complete graph.
 * Errors: CAIRN_EINVAL (u outside 1..n), CAIRN_ETOOBIG (cap too small;
 * *count still says how many are needed).
 */
CAIRN_NODISCARD cairn_err crn_graph_neighbours_of(
    const crn_graph *g, uint32_t u, uint32_t *buf, size_t cap, size_t *count);

/* O(1).  False when u == v or either is outside 1..n. */
bool crn_graph_has_edge(const crn_graph *g, uint32_t u, uint32_t v);

/* Ring position (0..n-1) of node u, or UINT32_MAX when u is out of range
 * (the complete graph uses the identity order).  For tests and tracing. */
uint32_t crn_graph_position(const crn_graph *g, uint32_t u);

#endif /* CRN_SECAGG_GRAPH_H */
