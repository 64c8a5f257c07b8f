/*
 * sql_plan.h — the SQL planner: researcher SQL + federation schema ->
 * crn_plan (core/query/plan.h).  Parsing is PostgreSQL's own grammar through
 * libpg_query; everything the planner cannot compute exactly and privately
 * is refused with CAIRN_ESQL and a message that names the construct and
 * its character position (1-based, as PostgreSQL reports them).
 *
 * Supported:
 *   SELECT <group keys and aggregates> FROM <dataset> [WHERE <filter>]
 *   [GROUP BY <category column | width_bucket(col, lo, hi, n)>, ...]
 *   [HAVING <aggregate comparisons>] [ORDER BY <output>, ...] [LIMIT n]
 * Aggregates: count(*), count(col), sum, avg, var_samp (variance),
 * var_pop, stddev_samp (stddev), stddev_pop over numeric columns.
 * Filters: = <> < <= > >=, IN, NOT IN, BETWEEN, IS [NOT] NULL, AND, OR,
 * NOT, between a column and constants.
 */
#ifndef CRN_QUERY_SQL_PLAN_H
#define CRN_QUERY_SQL_PLAN_H

#include <stddef.h>

#include "query/plan.h"

/* Limits on what one plan may ask of every node. */
#define CRN_PLAN_MAX_GROUPS     (1u << 20)
#define CRN_PLAN_MAX_DIM        (1u << 24)
#define CRN_PLAN_MAX_BUCKETS    100000u
#define CRN_PLAN_MAX_OUTPUTS    256u
#define CRN_PLAN_MAX_EXPR_DEPTH 64

/*
 * Plan sql against schema.  On success *out is a new plan (free with
 * crn_plan_free).  On failure *out stays NULL and err (if not NULL)
 * receives a message such as "JOIN is not supported (at character 22)".
 * Errors: CAIRN_ESQL (syntax, unsupported or invalid query, unknown
 * dataset or column, constant outside a category's domain),
 * CAIRN_ETOOBIG (too many groups), CAIRN_ERANGE (sums could not be held
 * even in a 128-bit ring), CAIRN_ENOMEM.
 */
CAIRN_NODISCARD cairn_err crn_sql_plan(const crn_schema *schema,
    const char *sql, crn_plan **out, char *err, size_t errlen);

/*
 * Parse sql (one statement) with PostgreSQL's grammar, the same checks as
 * crn_sql_plan (length, nesting depth, one statement).  On success *out is
 * libpg_query's unpacked tree (pg_query/pg_query.pb-c.h), freed with
 * crn_sql_parse_free.  CAIRN_ESQL with a message for a syntax error.
 * Shared with core/model, which parses feature expressions.
 */
struct PgQuery__ParseResult;
CAIRN_NODISCARD cairn_err crn_sql_parse(const char *sql,
    struct PgQuery__ParseResult **out, char *err, size_t errlen);
void crn_sql_parse_free(struct PgQuery__ParseResult *tree);

/* Free a plan and everything it owns.  NULL-safe. */
void crn_plan_free(crn_plan *p);

/* Release what an expression owns (not the node itself) and zero it. */
void crn_expr_fini(crn_expr *e);

/*
 * Recompute the vector layout from keys and measures: each key's card,
 * the measures' offsets, per_group, ngroups and dim.  Column indices must
 * already be valid for p->cols.  CAIRN_ETOOBIG beyond the limits above,
 * CAIRN_EINVAL on an inconsistent key.
 */
CAIRN_NODISCARD cairn_err crn_plan_layout(crn_plan *p);

/*
 * The ring width (32, 64 or 128) that holds every element of the summed
 * vector without wrapping: counts up to max_rows * max_nodes, sums of
 * values bounded by the columns' bounds, and sums of their squares.
 * CAIRN_ERANGE if even 128 bits do not suffice.
 */
CAIRN_NODISCARD cairn_err crn_plan_ring_bits(const crn_plan *p, uint32_t *bits);

/* SQL name of an aggregate ("count", "avg", ...). */
const char *crn_aggfn_name(crn_aggfn fn);

#endif /* CRN_QUERY_SQL_PLAN_H */
