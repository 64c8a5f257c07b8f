/*
 * query_sql.c — plan and render SQL jobs for the researcher CLI.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <string.h>

#include "codec_plan.h"
#include "crn.h"
#include "runtime/query_sql.h"
#include "schema.h"
#include "sql_plan.h"
#include "sql_result.h"

cairn_err
crn_q_sql_plan(crn_q_sql *q, const char *schema_path, const char *sql,
    char *err, size_t errlen)
{
	crn_schema *schema = NULL;
	cairn_err rv;

	memset(q, 0, sizeof(*q));
	if (schema_path == NULL) {
		snprintf(err, errlen, "an SQL query needs --schema FILE (the "
		    "federation schema the coordinator uses)");
		return CAIRN_EINVAL;
	}
	if ((rv = crn_schema_load(schema_path, &schema, err, errlen)) !=
	    CAIRN_OK)
		return rv;
	if ((rv = crn_sql_plan(schema, sql, &q->plan, err, errlen)) !=
	    CAIRN_OK)
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

cairn_err
crn_q_sql_render(const crn_q_sql *q, const uint8_t *sum, size_t len,
    uint32_t nodes, int fmt, char **out, size_t *outlen, char *err,
    size_t errlen)
{
	crn_result *r = NULL;
	cairn_err rv;

	*out = NULL;
	*outlen = 0;
	if ((rv = crn_sql_result_decode(q->plan, sum, len, nodes, &r)) !=
	    CAIRN_OK) {
		snprintf(err, errlen, "cannot decode the result: %s",
		    cairn_strerror(rv));
		return rv;
	}
	if (fmt == 1)
		rv = crn_result_json(r, out, outlen);
	else if (fmt == 2)
		rv = crn_result_csv(r, out, outlen);
	else
		rv = crn_result_text(r, out, outlen);
	if (rv != CAIRN_OK)
		snprintf(err, errlen, "%s", cairn_strerror(rv));
	crn_result_free(r);
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
