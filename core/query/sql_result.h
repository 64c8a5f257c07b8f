/*
 * sql_result.h — decode the unmasked federation sum of a planned query
 * into a result table, and render it as text, CSV or JSON.
 *
 * Release rule (core/release.h): count(*) is shown when the group has at
 * least min_cell rows, an aggregate over column c when c has at least
 * min_cell non-NULL values (min_cell taken as at least 1); any other
 * aggregate is suppressed.  A suppressed cell is one marker whatever the
 * reason, a small cell or an empty one, in every format.  A group whose
 * count(*) is suppressed is not listed (empty and small groups alike; SQL
 * lists no empty group) and is counted in suppressed_groups; a query
 * without GROUP BY always answers its one row.  count and sum are exact;
 * avg, variances and standard deviations are computed from exact sums
 * (128-bit integer arithmetic where it fits, long double after).  HAVING,
 * ORDER BY and LIMIT are applied here and see a suppressed value as NULL.
 */
#ifndef CRN_QUERY_SQL_RESULT_H
#define CRN_QUERY_SQL_RESULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "query/plan.h"
#include "query/release.h"

/* How the text table shows a suppressed cell, whatever the reason. */
#define CRN_RESULT_SUPPRESSED "suppressed"

typedef enum crn_rcellkind {
	CRN_RCELL_NULL = 0,
	CRN_RCELL_EXACT, /* ival / 10^scale, printed exactly */
	CRN_RCELL_REAL,  /* real */
	CRN_RCELL_TEXT,  /* text (owned by the result) */
} crn_rcellkind;

typedef struct crn_rcell {
	crn_rcellkind kind; /* CRN_RCELL_NULL when suppressed */
	/* Below the minimum cell size (or empty): shown as suppressed. */
	bool suppressed;
	uint32_t scale;
	__int128 ival;
	long double real;
	char *text;
	/* Standard deviation of the DP noise in this figure, in its units
	 * (first order for ratios); 0 when the figure is exact. */
	long double noise_sd;
} crn_rcell;

typedef struct crn_result {
	char **colnames; /* ncols names (visible outputs, in order) */
	size_t ncols;
	crn_rcell *cells; /* nrows * ncols, row-major */
	size_t nrows;
	/* visible cells shown as suppressed, in the rows listed */
	uint64_t suppressed_cells;
	/* groups not listed: fewer than min_cell rows, none included */
	uint64_t suppressed_groups;
	uint64_t clipped;  /* values clipped to bounds, released cells */
	uint32_t min_cell; /* the threshold applied, at least 1 */
	uint32_t nodes;    /* contributing nodes, as given */
	double dp_epsilon, dp_delta; /* the job's DP; 0: exact figures */
} crn_result;

/*
 * Decode sum (plan->dim little-endian ring elements of plan->ring_bits
 * bits, len bytes) summed over `nodes` contributing nodes: every group's
 * whole block, as one pass would give it (the demo's clear computation
 * and tests use this; the coordinator uses crn_sql_result_release).  On
 * success *out is a new result (free with crn_result_free).  Errors:
 * CAIRN_EINVAL (length does not match the plan), CAIRN_EPROTO (the sum is
 * not one that honest nodes could produce: negative or too large counts,
 * sums outside the declared bounds), CAIRN_ENOMEM.
 */
CAIRN_NODISCARD cairn_err crn_sql_result_decode(const crn_plan *plan,
    const uint8_t *sum, size_t len, uint32_t nodes, crn_result **out);

/*
 * Decode the pass-2 sum of a two-pass query: rel is the list pass 2 ran
 * on (its groups, in order, hold plan->per_group elements each; len =
 * crn_release_figures_dim * ring_bits / 8 bytes), summed over `nodes`
 * nodes.  Groups outside the list are suppressed; suppression is checked
 * again on the pass-2 counts.  With plan->dp_rho > 0 the sum is noisy:
 * each group block is first clamped into what honest nodes could have
 * summed (counts within [0, announced], sums within the bounds times the
 * count), which is post-processing, and each figure gets its noise sd
 * from the noise the nodes added for rel->threshold survivors (times
 * `nodes`, the survivors that did add it).  Errors of crn_sql_result_decode,
 * and CAIRN_EPROTO for a list that fails crn_release_check or pass-2 counts
 * above the pass-1 counts the list announced.
 */
CAIRN_NODISCARD cairn_err crn_sql_result_release(const crn_plan *plan,
    const crn_release *rel, const uint8_t *sum, size_t len, uint32_t nodes,
    crn_result **out);

/* Free a result.  NULL-safe. */
void crn_result_free(crn_result *r);

/* Print exact decimals without trailing zeros (12.5, not 12.5000): the
 * column-sum job reads every column with a fixed, generous scale. */
void crn_result_trim(crn_result *r);

/*
 * Render r as an aligned text table (suppressed cells as "suppressed",
 * NULL as "NULL", with a footer line that counts suppressed cells and
 * groups), CSV (RFC 4180, header row, NULL and suppressed cells as empty
 * fields) or JSON
 *   {"columns": [...], "rows": [[...], ...], "suppressed": [[false, true,
 *    ...], ...], "suppressed_cells": N, "suppressed_groups": N,
 *    "min_cell": N, "clipped": N}
 * where a suppressed cell is null in "rows" and true at the same place in
 * "suppressed".  With DP noise the JSON also has "epsilon", "delta",
 * "noise_sd" (per cell, null for keys and suppressed cells) and "ci95"
 * (per cell [low, high], value -/+ 1.96 noise_sd, or null), and the text
 * table shows each noisy figure as "value ±half-width of the 95%
 * interval".  *out is a new NUL-terminated string of *len bytes (free
 * with crn_free(*out, *len + 1)).  CAIRN_ENOMEM.
 */
CAIRN_NODISCARD cairn_err crn_result_text(
    const crn_result *r, char **out, size_t *len);
CAIRN_NODISCARD cairn_err crn_result_csv(
    const crn_result *r, char **out, size_t *len);
CAIRN_NODISCARD cairn_err crn_result_json(
    const crn_result *r, char **out, size_t *len);

/* One cell as text into buf ("" for NULL and suppressed); returns buf. */
const char *crn_rcell_format(const crn_rcell *c, char *buf, size_t len);

#endif /* CRN_QUERY_SQL_RESULT_H */
