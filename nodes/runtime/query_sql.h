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

#endif /* CRN_RUNTIME_QUERY_SQL_H */
