/*
 * sql_result.h — decode the unmasked federation sum of a planned query
 * into a result table, and render it as text, CSV or JSON.
 *
 * The coordinator calls crn_sql_result_decode with the plan it built and
 * the summed vector.  Groups with fewer than plan->min_cell rows are
 * suppressed (not shown, not shown as zero, but counted); groups with no
 * rows do not exist, as in SQL.  count and sum are exact; avg, variances
 * and standard deviations are computed from exact sums (128-bit integer
 * arithmetic where it fits, long double after).  HAVING, ORDER BY and
 * LIMIT are applied here.
 */
#ifndef CRN_QUERY_SQL_RESULT_H
#define CRN_QUERY_SQL_RESULT_H

#include <stddef.h>
#include <stdint.h>

#include "query/plan.h"

typedef enum crn_rcellkind {
	CRN_RCELL_NULL = 0,
	CRN_RCELL_EXACT, /* ival / 10^scale, printed exactly */
	CRN_RCELL_REAL,  /* real */
	CRN_RCELL_TEXT,  /* text (owned by the result) */
} crn_rcellkind;

typedef struct crn_rcell {
	crn_rcellkind kind;
	uint32_t scale;
	__int128 ival;
	long double real;
	char *text;
} crn_rcell;

typedef struct crn_result {
	char **colnames; /* ncols names (visible outputs, in order) */
	size_t ncols;
	crn_rcell *cells; /* nrows * ncols, row-major */
	size_t nrows;
	uint64_t suppressed; /* groups with 0 < count < min_cell */
	uint64_t clipped;    /* values clipped to bounds, shown groups */
	uint32_t nodes;      /* contributing nodes, as given */
} crn_result;

/*
 * Decode sum (plan->dim little-endian ring elements of plan->ring_bits
 * bits, len bytes) summed over `nodes` contributing nodes.  On success
 * *out is a new result (free with crn_result_free).  Errors: CAIRN_EINVAL
 * (length does not match the plan), CAIRN_EPROTO (the sum is not one that
 * honest nodes could produce: negative or too large counts, sums outside
 * the declared bounds), CAIRN_ENOMEM.
 */
CAIRN_NODISCARD cairn_err crn_sql_result_decode(const crn_plan *plan,
    const uint8_t *sum, size_t len, uint32_t nodes, crn_result **out);

/* Free a result.  NULL-safe. */
void crn_result_free(crn_result *r);

/*
 * Render r as an aligned text table (with a footer line), CSV (RFC 4180,
 * header row, NULL as an empty field) or JSON
 * {"columns": [...], "rows": [[...], ...], "suppressed": N,
 *  "clipped": N}.  *out is a new NUL-terminated string of *len bytes
 * (free with crn_free(*out, *len + 1)).  CAIRN_ENOMEM.
 */
CAIRN_NODISCARD cairn_err crn_result_text(
    const crn_result *r, char **out, size_t *len);
CAIRN_NODISCARD cairn_err crn_result_csv(
    const crn_result *r, char **out, size_t *len);
CAIRN_NODISCARD cairn_err crn_result_json(
    const crn_result *r, char **out, size_t *len);

/* One cell as text into buf ("" for NULL); returns buf. */
const char *crn_rcell_format(const crn_rcell *c, char *buf, size_t len);

#endif /* CRN_QUERY_SQL_RESULT_H */
