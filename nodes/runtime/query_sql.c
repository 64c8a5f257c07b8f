/*
 * query_sql.c — plan and render SQL jobs for the researcher CLI.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <string.h>

#include "base/crn.h"
#include "query/codec_plan.h"
#include "query/release.h"
#include "query/schema.h"
#include "query/sql_plan.h"
#include "runtime/query_sql.h"
#include "runtime/rt.h"

cairn_err
crn_q_sql_plan(crn_q_sql *q, const char *schema_path, const char *sql,
    char *err, size_t errlen)
{
	crn_schema *schema = NULL;
	cairn_err rv;

	memset(q, 0, sizeof(*q));
	if (schema_path == NULL) {
		snprintf(err, errlen,
		    "an SQL query needs --schema FILE (the federation schema the coordinator uses)");
		return CAIRN_EINVAL;
	}
	if ((rv = crn_schema_load(schema_path, &schema, err, errlen)) !=
	    CAIRN_OK)
		return rv;
	if ((rv = crn_sql_plan(schema, sql, &q->plan, err, errlen)) != CAIRN_OK)
		goto out;
	if ((rv = crn_plan_encode(q->plan, &q->plan_bytes, &q->plan_len)) !=
	    CAIRN_OK) {
		snprintf(err, errlen, "cannot encode the plan: %s",
		    cairn_strerror(rv));
		goto out;
	}
	q->dataset = q->plan->dataset;
	q->ring_bits = q->plan->ring_bits;
	q->dim = q->plan->dim;
out:
	crn_schema_free(schema);
	if (rv != CAIRN_OK)
		crn_q_sql_fini(q);
	return rv;
}

void
crn_q_sql_fini(crn_q_sql *q)
{
	if (q == NULL)
		return;
	crn_plan_free(q->plan);
	crn_free(q->plan_bytes, q->plan_len);
	memset(q, 0, sizeof(*q));
}

cairn_err
crn_q_sum_plan(const char *dataset, const char *column, uint32_t ring_bits,
    uint32_t min_cell, crn_plan **out)
{
	return crn_release_sum_plan(out, dataset, column, CRN_RT_SUM_SCALE,
	    CRN_RT_SUM_LO, CRN_RT_SUM_HI, ring_bits, CRN_Q_SUM_MAX_ROWS,
	    CRN_Q_SUM_MAX_NODES, min_cell);
}
