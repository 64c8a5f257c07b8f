/*
 * schema.h — the federation schema: which datasets exist, their columns,
 * types, bounds and categorical domains.  The structs live in core/query/plan.h
 * (the planner, executors and decoder share them); this module loads them
 * from an INI file (inih) and answers lookups.
 *
 * File format (one key per line; ';' or '#' start a comment):
 *
 *   [federation]
 *   min_cell = 5              ; groups with fewer rows are suppressed
 *   max_nodes = 1000          ; federation size the ring width is sized for
 *
 *   [dataset cps]
 *   max_rows = 1000000        ; per node
 *
 *   [column cps.wage]
 *   type = decimal            ; integer | decimal | category
 *   scale = 2                 ; decimal digits (decimal only)
 *   min = 0
 *   max = 500000.00
 *   nullable = false
 *
 *   [column cps.region]
 *   type = category
 *   domain = north, south, east, west
 *     , central               ; indented lines continue the domain
 *
 * Names are lower-case SQL identifiers ([a-z_][a-z0-9_]*), so that the
 * unquoted names of a query (which PostgreSQL folds to lower case) match.
 * Numbers are exact: bounds are parsed into scaled int64 without doubles.
 */
#ifndef CRN_QUERY_SCHEMA_H
#define CRN_QUERY_SCHEMA_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "query/plan.h"

/* Defaults used when the [federation] section leaves them out. */
#define CRN_SCHEMA_DEFAULT_MIN_CELL  5
#define CRN_SCHEMA_DEFAULT_MAX_NODES 1000
/* Decimal scales above this cannot be held in an int64 usefully. */
#define CRN_SCHEMA_MAX_SCALE 18

/*
 * Load the schema file at path into a new *out (free with
 * crn_schema_free).  On failure *out stays NULL and, when err is not NULL,
 * err receives "path:line: what is wrong" (NUL-terminated, truncated to
 * errlen).  Errors: CAIRN_ENOENT (cannot open), CAIRN_ECONFIG (bad
 * content), CAIRN_ENOMEM.
 */
CAIRN_NODISCARD cairn_err crn_schema_load(
    const char *path, crn_schema **out, char *err, size_t errlen);

/*
 * Same as crn_schema_load, from a NUL-terminated string; name is used in
 * error messages in place of the path.
 */
CAIRN_NODISCARD cairn_err crn_schema_parse(const char *text, const char *name,
    crn_schema **out, char *err, size_t errlen);

/* Free a schema and everything it owns.  NULL-safe. */
void crn_schema_free(crn_schema *s);

/* Release what a column owns (name, domain) and zero it. */
void crn_column_fini(crn_column *c);

/* Deep copy of a column into caller-owned storage *dst (fini it later). */
CAIRN_NODISCARD cairn_err crn_column_copy(
    crn_column *dst, const crn_column *src);

/* Lookups; NULL / -1 when there is no such name.  Borrowed pointers. */
const crn_dataset *crn_schema_dataset(const crn_schema *s, const char *name);
long crn_dataset_column(const crn_dataset *d, const char *name);
/* Index of value in a category column's domain, or -1. */
long crn_column_category(const crn_column *c, const char *value);

/*
 * Parse a decimal literal ("-12", "3.50", "+0.5") exactly.  *mant and
 * *scale receive the digits as an integer and the number of digits after
 * the point (value = mant / 10^scale).  CAIRN_EINVAL if s is not a plain
 * decimal; CAIRN_ERANGE if it does not fit an int64 (trailing zeros after
 * the point are dropped first).
 */
CAIRN_NODISCARD cairn_err crn_decimal_parse(
    const char *s, int64_t *mant, uint32_t *scale);

/*
 * Parse a decimal and convert it exactly to the given scale (value *
 * 10^scale).  CAIRN_EINVAL if it is not a number or has more digits after
 * the point than scale (non-zero ones); CAIRN_ERANGE if it does not fit.
 */
CAIRN_NODISCARD cairn_err crn_decimal_to_scale(
    const char *s, uint32_t scale, int64_t *out);

/*
 * Rescale mant / 10^from to units of 10^-to.  When precision is lost the
 * result is rounded down (floor) or up (ceil); *exact tells whether it was
 * exact.  CAIRN_ERANGE if the result does not fit an int64.
 */
CAIRN_NODISCARD cairn_err crn_decimal_rescale(int64_t mant, uint32_t from,
    uint32_t to, int ceil_round, int64_t *out, int *exact);

/*
 * Format a signed 128-bit integer v with `scale` implied decimals
 * ("-1234" with scale 2 -> "-12.34") into buf.  Returns the length, or
 * -1 if buf is too small (44 bytes always suffice up to scale 18).
 */
int crn_decimal_format(__int128 v, uint32_t scale, char *buf, size_t len);

/*
 * Read a CSV file (RFC 4180: header row, quoted fields, CRLF or LF) from
 * in and write a draft schema for it, as dataset `dataset`, into *out
 * (NUL-terminated, *len bytes; free with crn_free(*out, *len + 1)).
 * Per column: integer, decimal (scale = most digits after the point
 * seen), category (text with at most 32 distinct usable values, domain
 * listed) or commented-out free text; bounds seen; nullable if an empty
 * cell was seen.  The draft tells the operator what to review.  name is
 * used in messages; err receives "name:line: what is wrong".  Errors:
 * CAIRN_EDATA (malformed row), CAIRN_EINVAL (bad dataset name),
 * CAIRN_ETOOBIG, CAIRN_ESYS, CAIRN_ENOMEM.
 */
CAIRN_NODISCARD cairn_err crn_schema_infer(FILE *in, const char *name,
    const char *dataset, char **out, size_t *len, char *err, size_t errlen);

/*
 * The same over nin files holding the same dataset (one per node): every
 * header must name the same columns in the same order; bounds, scales and
 * domains cover the values of all files, and max_rows is sized from the
 * largest file.  in[k] is read as names[k] (used in messages).  Errors as
 * crn_schema_infer, and CAIRN_EDATA for a header that differs from the
 * first file's, CAIRN_EINVAL for nin == 0.
 */
CAIRN_NODISCARD cairn_err crn_schema_infer_many(FILE *const *in,
    const char *const *names, size_t nin, const char *dataset, char **out,
    size_t *len, char *err, size_t errlen);

#endif /* CRN_QUERY_SCHEMA_H */
