/*
 * exec.h — local executors: compute one node's contribution vector for a
 * query plan (core/query/plan.h) over the node's own data, which lives in a CSV
 * file, a SQLite database or a PostgreSQL database.
 *
 * The vector layout, the scaling of numbers and the meaning of the clipped
 * slots are those of plan.h.  Semantics shared by every source:
 *   - NULLs follow SQL: they do not count in count(col) or the sums, and a
 *     comparison with NULL is unknown; a row is kept only when the filter
 *     is TRUE (NOT of unknown stays unknown).
 *   - Measure values outside the column's declared [lo, hi] are clipped to
 *     the bound and counted in the measure's clipped slot.  Filters and
 *     width_bucket keys see the unclipped value.
 *   - Categories compare by their index in the declared domain (so `<` on a
 *     category follows the domain's order, not a collation).
 *   - Sums are computed modulo 2^ring_bits, negatives in two's
 *     complement: exact whenever the true sum fits the ring, which the
 *     planner's choice of ring_bits guarantees for max_rows rows.
 *   - A value the schema cannot represent (non-numeric text in a numeric
 *     column, more decimal digits than the column's scale, a category value
 *     outside the domain, a NULL in a column declared NOT NULL) is
 *     CAIRN_EDATA with a message naming where it is; the executor never
 *     returns a partial result.
 *   - More matching rows than max_rows (the smaller non-zero one of the
 *     dataset's and the plan's) is CAIRN_ERANGE: the ring width was chosen
 *     for max_rows, and a larger count could wrap.
 *   - A plan that carries column definitions (plan->cols) must carry the
 *     node's own (ds), or it is refused with CAIRN_EINVAL.
 *
 * CSV files are streamed and checked whole (every schema column present in
 * the header, on every row).  SQLite and PostgreSQL sources get SQL
 * generated from the plan and the source configuration (identifiers quoted,
 * constants bound as parameters) and aggregate inside the database; the
 * checks then cover the columns the plan uses, on the rows the filter
 * keeps, since the database's own types vouch for the rest.
 */
#ifndef CRN_EXEC_EXEC_H
#define CRN_EXEC_EXEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "query/plan.h"

typedef enum crn_source_kind {
	CRN_SRC_CSV = 1,
	CRN_SRC_SQLITE = 2,
	CRN_SRC_PG = 3,
} crn_source_kind;

/* Schema column `name` is called `local` in this node's source. */
typedef struct crn_colmap {
	char *name;
	char *local;
} crn_colmap;

/*
 * A node's data source, from the node's own configuration.
 *   CSV:    path = the file; table unused.  Column names come from the
 *           header row.
 *   SQLITE: path = the database file (opened read-only); table = table or
 *           view name.
 *   PG:     conninfo = libpq connection string; table = table or view name,
 *           optionally schema-qualified ("schema.table").
 * Schema columns not listed in map use their schema name.  All strings are
 * borrowed by crn_exec_run for the call only.
 */
typedef struct crn_source {
	crn_source_kind kind;
	const char *path;
	const char *conninfo;
	const char *table;
	const crn_colmap *map;
	size_t nmap;
} crn_source;

typedef struct crn_exec_stats {
	uint64_t rows_scanned; /* rows read (DB sources: rows matched) */
	uint64_t rows_matched; /* rows for which the filter was TRUE */
	uint64_t clipped;      /* measure values clipped to their bounds */
} crn_exec_stats;

/*
 * Run plan over the source's data for dataset ds (the plan's dataset).
 * On success *vec is a crn_alloc'd array of plan->dim ring elements in
 * native layout (uint32_t, uint64_t or unsigned __int128 for ring_bits 32,
 * 64, 128), owned by the caller (crn_free(*vec, plan->dim * elemsize)), and
 * *stats is filled.  On failure *vec is NULL and err (if errlen > 0) holds
 * a NUL-terminated message.
 * Errors: CAIRN_EINVAL (inconsistent plan), CAIRN_ENOTSUP (plan shape this
 * executor cannot run), CAIRN_ENOENT (file, table or column missing),
 * CAIRN_EDATA (malformed data), CAIRN_ERANGE (more rows than max_rows),
 * CAIRN_ESYS (I/O), CAIRN_ECLOSED (database connection failed),
 * CAIRN_ENOMEM.
 */
CAIRN_NODISCARD cairn_err crn_exec_run(const crn_plan *plan,
    const crn_dataset *ds, const crn_source *src, void **vec,
    crn_exec_stats *stats, char *err, size_t errlen);

/* One row that passed the filter, cells indexed by schema column (which
 * hold values: crn_exec_rows); `where` names the source for messages. */
typedef struct crn_cell crn_cell;
typedef cairn_err (*crn_exec_rowfn)(
    void *arg, const crn_cell *cells, const char *where);

/*
 * Hand every row of the source that plan's filter keeps to fn, for model
 * rounds (core/model) and approved-code jobs (core/lua).  plan is
 * ungrouped (CAIRN_EINVAL otherwise); its shape is checked as for
 * crn_exec_run and max_rows still applies, but its sums are not computed.
 * The cells hold the columns the plan reads and those marked in cols
 * (ds->ncols flags); the others are unspecified.  CSV, SQLite and
 * PostgreSQL sources; the databases get the filter pushed down and stream
 * the matching rows (PostgreSQL in libpq's single-row mode).  An error
 * from fn ends the scan and is returned.  Errors of crn_exec_run.
 */
CAIRN_NODISCARD cairn_err crn_exec_rows(const crn_plan *plan,
    const crn_dataset *ds, const crn_source *src, const bool *cols,
    crn_exec_rowfn fn, void *arg, crn_exec_stats *stats, char *err,
    size_t errlen);

/* Bytes per ring element for ring_bits 32, 64 or 128; 0 otherwise. */
size_t crn_exec_elem_size(uint32_t ring_bits);

/* ---- shared by the executors (core/exec_*.c); not for other modules ---- */

/* One value of one row: scaled number or domain index, or NULL. */
struct crn_cell {
	int64_t num;
	uint32_t cat;
	bool null;
};

/* Three-valued logic result of a filter. */
enum { CRN_TV_FALSE = 0, CRN_TV_TRUE = 1, CRN_TV_UNKNOWN = 2 };

/*
 * Accumulator for one run: the output vector, summed into in the ring's
 * width, plus what the executors need to know about the plan.
 * crn_acc_init validates the plan against ds (keys, measures, offsets,
 * card, dim, ring_bits) and allocates the vector; crn_acc_fini releases
 * it unless crn_acc_vector handed it over (safe on zeroed storage).
 */
typedef struct crn_acc {
	const crn_plan *plan;
	const crn_dataset *ds;
	void *vec; /* plan->dim elements of esz bytes */
	size_t esz;
	bool *used; /* ds->ncols: column the plan reads */
	crn_exec_stats stats;
	char *err;
	size_t errlen;
	crn_exec_rowfn rowfn; /* crn_exec_rows: rows go here */
	void *rowarg;
} crn_acc;

CAIRN_NODISCARD cairn_err crn_acc_init(crn_acc *acc, const crn_plan *plan,
    const crn_dataset *ds, char *err, size_t errlen);
void crn_acc_fini(crn_acc *acc);
/* Zero the vector, stats and message (to run the scan again). */
void crn_acc_reset(crn_acc *acc);

/* Filter value of a row (cells indexed by schema column). */
int crn_exec_filter(
    const crn_expr *e, const crn_dataset *ds, const crn_cell *cells);

/*
 * Group index of one key value: category index or NULL, or the bucket of a
 * number (PostgreSQL width_bucket numbering, NULL group last).  Returns
 * CAIRN_EDATA for a NULL in a key with no NULL group.
 */
CAIRN_NODISCARD cairn_err crn_exec_key_index(const crn_groupkey *k,
    const crn_column *c, const crn_cell *v, uint64_t *out);

/*
 * Add one row that passed the filter (rows_scanned is the caller's job):
 * computes the group, bumps count(*), and each measure's count, clipped
 * sum, sum of squares and clip count.  CAIRN_EDATA for a NULL key value
 * with no NULL group; CAIRN_ERANGE past max_rows.  `where` names the row in
 * error messages.
 */
CAIRN_NODISCARD cairn_err crn_acc_row(
    crn_acc *acc, const crn_cell *cells, const char *where);

/*
 * Add pre-aggregated values for one group (the database executors): slot
 * offset `off` within group g gets `v` (two's complement for negatives).
 */
void crn_acc_add(crn_acc *acc, uint64_t g, uint32_t off, __int128 v);

/* Count matched rows added in bulk, checking max_rows. */
CAIRN_NODISCARD cairn_err crn_acc_matched(crn_acc *acc, uint64_t n);

/* Hand the vector over to the caller (crn_free(v, dim * esz)). */
CAIRN_NODISCARD cairn_err crn_acc_vector(crn_acc *acc, void **vec);

/* Write a formatted message into acc->err (if any). */
void crn_acc_errf(crn_acc *acc, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The source's name for schema column c (the map, else the schema name). */
const char *crn_exec_local_name(const crn_source *src, const crn_column *c);

/* Domain index of a category value of len bytes, or -1 if not in it. */
long crn_exec_domain_find(const crn_column *c, const char *s, size_t len);

/* ---- SQL generation for the database executors (exec.c) ---------------- */

enum { CRN_SQL_SQLITE = 1, CRN_SQL_PG = 2 };

/* A bound parameter: a 64-bit integer or a borrowed string. */
typedef struct crn_sqlparam {
	bool is_text;
	int64_t num;
	const char *text; /* is_text only */
	char buf[24];     /* num as decimal text (PostgreSQL) */
} crn_sqlparam;

/* One value of a result row, as the database returned it. */
typedef struct crn_sqlval {
	bool null;
	const char *text; /* category keys */
	size_t textlen;
	__int128 num; /* everything else */
} crn_sqlval;

/*
 * A generated query.  In aggregate mode the columns are: one per group key
 * (category: the raw value as text; bucket: its number), count(*), per
 * measure count, clipped sum, [sum of squares], clip count, then one count
 * of bad values per column the plan reads.  In stream mode (the filter is
 * pushed down, but the C code filters again, groups and sums) it is, per
 * column the plan reads, its scaled value (category: raw text) and a 0/1
 * bad flag.
 */
typedef struct crn_sqlq {
	int dialect;
	bool stream;
	char *sql;
	size_t len, cap;
	crn_sqlparam *params;
	size_t nparams, paramcap;
	size_t *domparam; /* per column: first domain param (1-based) */
	size_t ndomparam;
	size_t ncols;           /* result columns */
	const crn_column *cols; /* the dataset's columns */
	const uint8_t *exact;   /* see CRN_SQL_EXACT_*; may be NULL */
	bool oom;
} crn_sqlq;

/*
 * Build the query for acc's plan over src->table.  stream selects the mode
 * above.  Returns CAIRN_ENOTSUP when aggregate mode could overflow the
 * database's 64-bit integers (the caller then streams), CAIRN_ENOMEM.
 */
CAIRN_NODISCARD cairn_err crn_sqlq_build(crn_sqlq *q, crn_acc *acc,
    const crn_source *src, int dialect, bool stream, const uint8_t *exact);

/*
 * What the database's own column types guarantee (exact argument of
 * crn_sqlq_build, one entry per schema column, or NULL for nothing):
 * an integer type (scaled exactly with integer arithmetic, nothing to
 * check) or a numeric whose scale is at most the column's (no digit can be
 * finer than the scale).  Lets the SQL skip per-row checks and numeric
 * arithmetic.
 */
enum { CRN_SQL_EXACT_NONE = 0, CRN_SQL_EXACT_INT = 1, CRN_SQL_EXACT_NUM = 2 };

/* Set q->sql to src's table name quoted for SQL ("schema"."table"). */
CAIRN_NODISCARD cairn_err crn_sqlq_table(crn_sqlq *q, const char *table);
void crn_sqlq_fini(crn_sqlq *q);

/* Consume one result row of q (vals has q->ncols entries). */
CAIRN_NODISCARD cairn_err crn_sqlq_row(
    crn_sqlq *q, crn_acc *acc, const crn_source *src, const crn_sqlval *vals);

/* Parse a decimal integer as a database prints it ("-123", "45.000"). */
CAIRN_NODISCARD cairn_err crn_exec_parse_i128(const char *s, __int128 *out);

/* The per-source executors; same contract as crn_exec_run with a ready
 * accumulator. */
CAIRN_NODISCARD cairn_err crn_exec_csv(crn_acc *acc, const crn_source *src);
CAIRN_NODISCARD cairn_err crn_exec_sqlite(crn_acc *acc, const crn_source *src);
CAIRN_NODISCARD cairn_err crn_exec_pg(crn_acc *acc, const crn_source *src);

#endif /* CRN_EXEC_EXEC_H */
