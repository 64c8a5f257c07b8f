/*
 * release.h — which cells of a query may be released, decided in two
 * secure-aggregation passes so that no figure of a small cell is ever
 * unmasked (issue 8, findings 4 and 5).
 *
 * Pass 1 ("counts"): every node sends, per group of the plan, count(*) and
 * for each measure the count of its non-NULL values (the contributor count
 * of every aggregate over that column).  The node computes its whole local
 * result in the same scan and keeps it; nothing else leaves it yet.
 *
 * The coordinator unmasks the counts and lists the releasable cells: a
 * group whose count(*) reaches min_cell, with its pass-1 count(*) and
 * measure counts (a measure count below min_cell is announced as 0, so
 * that no node learns a small count).  An aggregate over column c (count(c),
 * sum, avg, variances, standard deviations) is released only when count(c)
 * reaches min_cell; a cell with no rows is suppressed like a small one
 * (min_cell is taken as at least 1).
 *
 * Pass 2 ("figures"): each node receives that list (crn_release) and
 * contributes, for the listed groups only and in list order, the plan's
 * whole group block (core/plan.h) with every cell whose announced count is
 * below its own threshold (max of the federation's and its policy's
 * min_cell) zeroed, counts included.  The coordinator unmasks the compact
 * vector and checks suppression again on the pass-2 counts
 * (crn_sql_result_release, core/sql_result.h): a node may have dropped out
 * or withheld a cell between the passes.
 *
 * What each party learns is in README.md, "Threat model".  In short: the
 * coordinator learns the pass-1 counts of every cell, small ones
 * included, and pass-2 figures only of listed cells; a coordinator that
 * lies about the pass-1 counts is not stopped by this.
 *
 * Vectors a node builds are in native layout (uint32_t, uint64_t or
 * unsigned __int128 by ring width), as crn_exec_run returns them and
 * crn_sa_node_set_input takes them.  Sums the coordinator decodes are
 * little-endian ring elements, as the secure-aggregation machine gives
 * them.
 */
#ifndef CRN_QUERY_RELEASE_H
#define CRN_QUERY_RELEASE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "crypto/crypto.h"
#include "query/plan.h"

#define CRN_RELEASE_JOB_ID_LEN 16
/* The passes of a query job, in order. */
#define CRN_RELEASE_PASS_COUNTS  1u
#define CRN_RELEASE_PASS_FIGURES 2u
#define CRN_RELEASE_PASSES       2u

/*
 * The cells pass 2 sums: coordinator -> nodes, in a signed envelope whose
 * session id is the pass-2 session of job_id (crn_release_session_id).
 * counts holds, for listed group k, the pass-1 figures
 *     counts[k * (1 + nmeasures)]          count(*)
 *     counts[k * (1 + nmeasures) + 1 + j]  count of measure j's column,
 *                                          0 when below min_cell
 * Every pointer owned; release with crn_release_fini.
 */
typedef struct crn_release {
	uint8_t job_id[CRN_RELEASE_JOB_ID_LEN];
	uint8_t counts_sid[CAIRN_SESSION_ID_LEN]; /* the pass-1 session */
	uint32_t min_cell;  /* the threshold the coordinator applied */
	uint32_t threshold; /* t of the pass-2 session */
	uint32_t nodes;     /* nodes invited to pass 2 */
	uint32_t nmeasures;
	uint64_t ngroups; /* listed groups; 0: nothing to release */
	uint64_t *groups; /* ngroups indices, strictly increasing */
	uint64_t *counts; /* ngroups * (1 + nmeasures) */
} crn_release;

/* Free what r owns and zero it; safe on zeroed storage. */
void crn_release_fini(crn_release *r);

/* The threshold the release rule applies: a cell needs at least
 * max(min_cell, 1) rows, so an empty cell is never released. */
uint32_t crn_release_floor(uint32_t min_cell);

/*
 * The session id of pass `pass` (CRN_RELEASE_PASS_*) of a job:
 * KDF(job_id, "query-pass", pass).  Both passes are bound to the signed
 * job, and nodes recompute the id rather than take the coordinator's.
 * CAIRN_EINVAL for another pass number; errors of crn_kdf.
 */
CAIRN_NODISCARD cairn_err crn_release_session_id(
    uint8_t sid[CAIRN_SESSION_ID_LEN],
    const uint8_t job_id[CRN_RELEASE_JOB_ID_LEN], uint32_t pass);

/*
 * Pass 1's vector shape for plan p: 1 + nmeasures counts per group and
 * the narrowest ring (32, 64, 128) that holds max_rows * max_nodes.
 * CAIRN_EINVAL for a plan without max_rows or max_nodes.
 */
CAIRN_NODISCARD cairn_err crn_release_counts_shape(
    const crn_plan *p, uint32_t *ring_bits, uint64_t *dim);

/*
 * Node: the pass-1 vector from the node's full local result `full`
 * (p->dim native elements of p->ring_bits).  *out is crn_alloc'd, *outlen
 * bytes, native layout of the pass-1 ring; it depends on the node's data
 * (free with crn_freezero).  CAIRN_EINVAL, CAIRN_ENOMEM.
 */
CAIRN_NODISCARD cairn_err crn_release_counts_vector(
    const crn_plan *p, const void *full, void **out, size_t *outlen);

/*
 * Coordinator: from the unmasked pass-1 sum (little-endian elements of
 * the pass-1 shape, len bytes, summed over `nodes` nodes) to the list of
 * releasable groups and their counts (threshold, nodes and the ids are
 * left for the caller).  With p->dp_rho > 0 the counts are noisy and
 * are clamped into [0, max_rows * nodes] (column counts to at most
 * count(*)) instead of refused.  *out is filled on success
 * (crn_release_fini).
 * CAIRN_EINVAL (length), CAIRN_EPROTO (counts no honest nodes could
 * produce: negative, more rows than the nodes may hold, count(col) above
 * count(*)), CAIRN_ENOMEM.
 */
CAIRN_NODISCARD cairn_err crn_release_decide(const crn_plan *p,
    const uint8_t *sum, size_t len, uint32_t nodes, crn_release *out);

/*
 * Node (and the coordinator's decoder): check a list against the plan it
 * is for.  Groups in range and strictly increasing, nmeasures equal to
 * the plan's, min_cell at least the plan's, every listed count(*) at
 * least crn_release_floor(max(min_cell, plan min_cell)), measure counts
 * 0 or at least that floor and at most count(*), counts at most max_rows
 * * max_nodes.  A list breaking
 * these asks for a cell no honest coordinator would: CAIRN_EPROTO.
 */
CAIRN_NODISCARD cairn_err crn_release_check(
    const crn_plan *p, const crn_release *r);

/* Elements of pass 2's vector: r->ngroups * p->per_group. */
uint64_t crn_release_figures_dim(const crn_plan *p, const crn_release *r);

/*
 * Node: the pass-2 vector (crn_release_figures_dim native elements of
 * p->ring_bits) from its full local result.  Listed group k gets group
 * r->groups[k]'s block; a group whose announced count(*) is below
 * crn_release_floor(min_cell) is all zero, and so is each measure block
 * whose announced count is.  The caller passes min_cell = max(federation,
 * its own policy).  *withheld (may be NULL) receives the number of listed
 * cells zeroed (groups and measures).  *out is crn_alloc'd (free with
 * crn_freezero).  CAIRN_EINVAL for an empty list or a list that fails
 * crn_release_check, CAIRN_ENOMEM.
 */
CAIRN_NODISCARD cairn_err crn_release_figures_vector(const crn_plan *p,
    const crn_release *r, const void *full, uint32_t min_cell, void **out,
    size_t *outlen, uint64_t *withheld);

/*
 * Node: does plan p, whose columns already match the node's dataset ds,
 * also fit the node's own schema s?  max_rows and max_nodes must equal the
 * node's (the ring width was chosen for them; it is recomputed and must
 * equal the plan's).  CAIRN_EPERM with why filled when not.
 */
CAIRN_NODISCARD cairn_err crn_release_plan_fits(const crn_plan *p,
    const crn_schema *s, const crn_dataset *ds, char *why, size_t whylen);

/*
 * The column-sum job (JOB_SUM_COLUMN) as a plan, so that it follows the
 * same two passes and release rule: "SELECT count(*), count(col),
 * sum(col) FROM dataset" over a one-column dataset whose column is a
 * nullable decimal of `scale` digits within [lo, hi].  Output names are
 * "count(*)", "count(<col>)" and "sum(<col>)".  The ring is the job's;
 * max_rows and max_nodes size the pass-1 counts and the decoder's checks.
 * *out is a new plan (crn_plan_free).  CAIRN_EINVAL, CAIRN_ENOMEM.
 */
CAIRN_NODISCARD cairn_err crn_release_sum_plan(crn_plan **out,
    const char *dataset, const char *column, uint32_t scale, int64_t lo,
    int64_t hi, uint32_t ring_bits, uint64_t max_rows, uint32_t max_nodes,
    uint32_t min_cell);

#endif /* CRN_QUERY_RELEASE_H */
