/*
 * query_sql.h — the researcher's side of SQL jobs: plan the query
 * locally against the federation schema (so that the researcher signs
 * the exact plan nodes will run), and render the summed vector as a
 * table.
 */
#ifndef CAIRN_NODES_QUERY_SQL_H
#define CAIRN_NODES_QUERY_SQL_H

#include <stddef.h>
#include <stdint.h>

#include "cairn/err.h"

typedef struct crn_plan crn_plan;

typedef struct crn_q_sql {
	crn_plan *plan;		/* owned */
	char *dataset;		/* borrowed from plan */
	uint8_t *plan_bytes;	/* owned encoded plan */
	size_t plan_len;
	uint32_t ring_bits;
	uint64_t dim;
} crn_q_sql;

/* Plan sql against the schema file at schema_path (required: CAIRN_EINVAL
 * with a message when NULL).  err receives the planner's message. */
CAIRN_NODISCARD cairn_err crn_q_sql_plan(crn_q_sql *q,
    const char *schema_path, const char *sql, char *err, size_t errlen);

/* Decode the sum over `nodes` nodes and render it: fmt 0 text table,
 * 1 JSON object, 2 CSV.  *out is crn_alloc'd (crn_free(*out, *outlen +
 * 1)), NUL-terminated. */
CAIRN_NODISCARD cairn_err crn_q_sql_render(const crn_q_sql *q,
    const uint8_t *sum, size_t len, uint32_t nodes, int fmt, char **out,
    size_t *outlen, char *err, size_t errlen);

/* Safe on zeroed storage. */
void crn_q_sql_fini(crn_q_sql *q);

#endif
