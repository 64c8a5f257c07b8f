/*
 * plan.h — the federation schema and the query plan: the contract between
 * the SQL planner (coordinator), the local executors (nodes) and the result
 * decoder (coordinator).
 *
 * Numbers are exact: every numeric value is an int64 in the column's scaled
 * units (value * 10^scale; money with scale 2 is in cents).  Categories are
 * indices into the column's declared domain.
 *
 * Output vector layout (what one node contributes, in ring elements):
 *   groups are numbered row-major over plan->keys (the first key varies
 *   slowest); group g occupies plan->per_group elements starting at
 *   g * plan->per_group:
 *     [0]                 count(*) of rows in the group
 *     for each measure m, at offset 1 + m->offset:
 *       +0  count of non-NULL values
 *       +1  sum of (clipped) values
 *       +2  sum of squares (only when m->need_sumsq)
 *       +2 or +3  number of values that were clipped to the bounds
 *   dim = ngroups * per_group.  Negative sums are two's complement in the
 *   ring; ring_bits is chosen so that |any true sum| < 2^(ring_bits-1).
 */
#ifndef CRN_QUERY_PLAN_H
#define CRN_QUERY_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

typedef enum crn_coltype {
	CRN_COL_INT = 1,      /* integer, scale 0 */
	CRN_COL_DECIMAL = 2,  /* fixed point with `scale` decimal digits */
	CRN_COL_CATEGORY = 3, /* text from a declared domain */
} crn_coltype;

typedef struct crn_column {
	char *name;
	crn_coltype type;
	uint32_t scale; /* decimal digits (DECIMAL), else 0 */
	int64_t lo, hi; /* declared bounds, scaled (numeric) */
	char **domain;  /* CATEGORY: allowed values */
	size_t ndomain;
	bool nullable;
} crn_column;

typedef struct crn_dataset {
	char *name;
	crn_column *cols;
	size_t ncols;
	uint64_t max_rows; /* per node; bounds the ring width */
} crn_dataset;

typedef struct crn_schema {
	crn_dataset *datasets;
	size_t ndatasets;
	uint32_t min_cell; /* groups with fewer rows are suppressed */
	/* Added: the largest federation the ring width must hold (sums run
	 * over max_rows rows on each of up to max_nodes nodes). */
	uint32_t max_nodes;
} crn_schema;

/* ---- filters (WHERE), evaluated by nodes -------------------------------- */

typedef enum crn_exkind {
	CRN_EX_TRUE = 0, /* no WHERE clause */
	CRN_EX_AND,
	CRN_EX_OR,
	CRN_EX_NOT,
	CRN_EX_CMP,     /* col op vals[0] */
	CRN_EX_IN,      /* col IN (vals...) */
	CRN_EX_BETWEEN, /* vals[0] <= col <= vals[1] */
	CRN_EX_ISNULL,
	CRN_EX_NOTNULL,
} crn_exkind;

typedef enum crn_cmpop {
	CRN_OP_EQ = 0,
	CRN_OP_NE,
	CRN_OP_LT,
	CRN_OP_LE,
	CRN_OP_GT,
	CRN_OP_GE,
} crn_cmpop;

/* A constant already converted to the column's representation: scaled
 * int64 for numbers (the planner rounds constants that are finer than the
 * column's scale in the direction that keeps the comparison exact), domain
 * index for categories.  A comparison no value of the column can satisfy
 * (col = 1.005 on a scale-2 column) becomes BETWEEN 1 AND 0: false for
 * every value, NULL for NULL, as in SQL. */
typedef struct crn_value {
	int64_t num;
	uint32_t cat;
	/* HAVING only (coordinator side): num is the constant * 10^scale. */
	uint32_t scale;
} crn_value;

typedef struct crn_expr {
	crn_exkind kind;
	crn_cmpop op; /* CMP */
	uint32_t col; /* CMP, IN, BETWEEN, ISNULL, NOTNULL */
	crn_value *vals;
	size_t nvals;
	struct crn_expr *kids; /* AND, OR (2 or more), NOT (1) */
	size_t nkids;
} crn_expr;

/* ---- grouping and measures ------------------------------------------------
 */

typedef struct crn_groupkey {
	uint32_t col;
	bool bucket;    /* width_bucket(col, lo, hi, nbuckets) */
	int64_t lo, hi; /* bucket bounds, scaled */
	uint32_t nbuckets;
	/* groups this key spans: ndomain (+1 NULL if nullable) for a
	 * category; nbuckets + 2 (+1 NULL if nullable) for a bucket key,
	 * numbered as PostgreSQL's width_bucket: 0 below lo, n+1 at or above
	 * hi; the NULL group, when present, is the last. */
	uint32_t card;
} crn_groupkey;

typedef struct crn_measure {
	uint32_t col;    /* numeric column */
	bool need_sumsq; /* for var_* / stddev_* */
	uint32_t offset; /* within the group block, after count(*) */
} crn_measure;

typedef enum crn_aggfn {
	CRN_AGG_COUNT_STAR = 1,
	CRN_AGG_COUNT,
	CRN_AGG_SUM,
	CRN_AGG_AVG,
	CRN_AGG_VAR_SAMP,
	CRN_AGG_VAR_POP,
	CRN_AGG_STDDEV_SAMP,
	CRN_AGG_STDDEV_POP,
} crn_aggfn;

/* One output column of the result table. */
typedef struct crn_output {
	char *name;
	bool is_key; /* a GROUP BY key (index in keys) */
	uint32_t key;
	crn_aggfn fn; /* else an aggregate over measures[measure] */
	uint32_t measure;
	/* Computed only for HAVING / ORDER BY; not shown in the table. */
	bool hidden;
} crn_output;

/* ORDER BY item: an index into plan->outputs (possibly a hidden one).
 * NULLs sort last ascending and first descending, as in PostgreSQL. */
typedef struct crn_order {
	uint32_t output;
	bool desc;
} crn_order;

typedef struct crn_plan {
	char *dataset;
	crn_expr where;
	crn_groupkey *keys;
	size_t nkeys;
	crn_measure *measures;
	size_t nmeasures;
	uint64_t ngroups;
	uint32_t per_group;
	uint64_t dim;
	uint32_t ring_bits; /* 32, 64 or 128 */
	/* coordinator-side, applied after unmasking: */
	crn_output *outputs;
	size_t noutputs;
	/* HAVING, NULL if none: the same node kinds as `where`, but `col`
	 * is an index into outputs and each value is num / 10^scale. */
	crn_expr *having;
	int64_t limit; /* -1 if none */
	/* Added by the planner (see core/query/sql_plan.h):
	 * a copy of the dataset's column definitions, in schema order, so
	 * that a plan is self-contained: every `col` index above refers to
	 * both plan->cols and the schema's dataset->cols. */
	crn_column *cols;
	size_t ncols;
	uint64_t max_rows;  /* per node, from the schema */
	uint32_t max_nodes; /* federation size the ring was sized for */
	uint32_t min_cell;  /* groups with fewer rows are suppressed */
	crn_order *order;   /* ORDER BY, applied by the decoder */
	size_t norder;
	/* Coordinator only, never on the wire: the job's DP request (epsilon
	 * 0: none) and its total zCDP rho.  With DP the sums the decoders
	 * see are noisy: they clamp counts and sums into what honest nodes
	 * could produce instead of refusing them, and report the noise of
	 * each figure (core/query/dp_account.h). */
	double dp_epsilon, dp_delta, dp_rho;
} crn_plan;

#endif /* CRN_QUERY_PLAN_H */
