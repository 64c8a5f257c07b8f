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

/* The names of list (dataset names or column names), comma-separated. */
static void
q_names(char *out, size_t outlen, const char *const *v, size_t n)
{
	size_t k = 0;

	out[0] = '\0';
	for (size_t i = 0; i < n && k < outlen; i++) {
		int w = snprintf(out + k, outlen - k, "%s%s", i ? ", " : "",
		    v[i]);

		if (w < 0)
			break;
		k += (size_t)w;
	}
}

cairn_err
crn_q_sum_check(const char *schema_path, const char *dataset,
    const char *column, char *err, size_t errlen)
{
	crn_schema *schema = NULL;
	const crn_dataset *d;
	const char *names[64];
	char list[512];
	size_t n = 0;
	long ci;
	cairn_err rv;

	if ((rv = crn_schema_load(schema_path, &schema, err, errlen)) !=
	    CAIRN_OK)
		return rv;
	rv = CAIRN_ENOENT;
	if ((d = crn_schema_dataset(schema, dataset)) == NULL) {
		for (size_t i = 0; i < schema->ndatasets && n < 64; i++)
			names[n++] = schema->datasets[i].name;
		q_names(list, sizeof(list), names, n);
		snprintf(err, errlen,
		    "dataset '%s' is not in the schema %s (it has: %s)",
		    dataset, schema_path, list);
		goto out;
	}
	if ((ci = crn_dataset_column(d, column)) < 0) {
		for (size_t i = 0; i < d->ncols && n < 64; i++)
			if (d->cols[i].type != CRN_COL_CATEGORY)
				names[n++] = d->cols[i].name;
		q_names(list, sizeof(list), names, n);
		snprintf(err, errlen,
		    "column '%s' is not in dataset '%s' of the schema %s (numeric columns: %s)",
		    column, dataset, schema_path, list);
		goto out;
	}
	if (d->cols[ci].type == CRN_COL_CATEGORY) {
		snprintf(err, errlen,
		    "column '%s.%s' is a category: --sum needs a numeric column",
		    dataset, column);
		rv = CAIRN_EINVAL;
		goto out;
	}
	rv = CAIRN_OK;
out:
	crn_schema_free(schema);
	return rv;
}
