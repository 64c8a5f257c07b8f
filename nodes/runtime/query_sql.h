/*
 * query_sql.h — the researcher's side of SQL jobs: plan the query
 * locally against the federation schema (so that the researcher signs
 * the exact plan nodes will run).  The coordinator decodes the sum and
 * sends the released table (nodes/coordinator/coord_plan.h); the
 * researcher never sees the per-group vector.
 */
#ifndef CRN_RUNTIME_QUERY_SQL_H
#define CRN_RUNTIME_QUERY_SQL_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

typedef struct crn_plan crn_plan;

typedef struct crn_q_sql {
	crn_plan *plan;      /* owned */
	char *dataset;       /* borrowed from plan */
	uint8_t *plan_bytes; /* owned encoded plan */
	size_t plan_len;
	uint32_t ring_bits;
	uint64_t dim;
} crn_q_sql;

/* Plan sql against the schema file at schema_path (required: CAIRN_EINVAL
 * with a message when NULL).  err receives the planner's message. */
CAIRN_NODISCARD cairn_err crn_q_sql_plan(crn_q_sql *q, const char *schema_path,
    const char *sql, char *err, size_t errlen);

/* Safe on zeroed storage. */
void crn_q_sql_fini(crn_q_sql *q);

/*
 * Check a column sum against the schema file at schema_path before the
 * job travels: the dataset must be declared and the column numeric.
 * CAIRN_ENOENT (no such dataset or column) or CAIRN_EINVAL (a category
 * column) with one line in err naming what the schema has; the errors of
 * crn_schema_load.
 */
CAIRN_NODISCARD cairn_err crn_q_sum_check(const char *schema_path,
    const char *dataset, const char *column, char *err, size_t errlen);

/*
 * A column-sum job (JOB_SUM_COLUMN) as the plan both the coordinator and
 * the nodes run it by (core/release.h crn_release_sum_plan): the column
 * read as a decimal of CRN_RT_SUM_SCALE digits within CRN_RT_SUM_LO..HI,
 * in the job's ring.  Its row and node bounds are fixed (not any
 * schema's) so that both sides size the counts pass alike: at most
 * CRN_Q_SUM_MAX_ROWS rows per node, CRN_Q_SUM_MAX_NODES nodes.  min_cell
 * is the threshold the caller applies (the coordinator: the federation
 * schema's; a node: 0, it applies its own when the cells are announced).
 * Errors of crn_release_sum_plan.
 */
#define CRN_Q_SUM_MAX_ROWS  (UINT64_C(1) << 32)
#define CRN_Q_SUM_MAX_NODES 65535u
CAIRN_NODISCARD cairn_err crn_q_sum_plan(const char *dataset,
    const char *column, uint32_t ring_bits, uint32_t min_cell, crn_plan **out);

#endif /* CRN_RUNTIME_QUERY_SQL_H */
