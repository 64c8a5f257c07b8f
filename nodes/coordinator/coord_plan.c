/*
 * coord_plan.c — schema and plan checks for SQL jobs at the coordinator.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <string.h>

#include "base/crn.h"
#include "coordinator/coord_plan.h"
#include "base/crn.h"
#include "model/model.h"
#include "proto/codec_runtime.h"
#include "query/codec_plan.h"
#include "query/schema.h"
#include "query/sql_plan.h"
#include "query/sql_result.h"
#include "runtime/query_sql.h"

struct co_coord_plan {
	crn_schema *schema;
};

cairn_err
co_coord_plan_new(
    co_coord_plan **out, const char *schema_path, char *err, size_t errlen)
{
	co_coord_plan *p;
	cairn_err rv;

	*out = NULL;
	if ((p = crn_zalloc(sizeof(*p))) == NULL)
		return CAIRN_ENOMEM;
	if ((rv = crn_schema_load(schema_path, &p->schema, err, errlen)) !=
	    CAIRN_OK) {
		crn_free(p, sizeof(*p));
		return rv;
	}
	*out = p;
	return CAIRN_OK;
}

void
co_coord_plan_free(co_coord_plan *p)
{
	if (p == NULL)
		return;
	crn_schema_free(p->schema);
	crn_free(p, sizeof(*p));
}

uint32_t
co_coord_plan_max_nodes(const co_coord_plan *p)
{
	return p->schema->max_nodes;
}

/* JOB_QUERY: the plan of the signed SQL, equal to the signed plan. */
static cairn_err
cp_query(co_coord_plan *p, const crn_job *job, crn_plan **out, char *why,
    size_t whylen)
{
	crn_plan *plan = NULL;
	uint8_t *enc = NULL;
	size_t enclen = 0;
	char err[256] = "";
	cairn_err rv;

	/* Plan the SQL ourselves: the researcher's plan is what nodes will
	 * run (they verify its signature), ours is what the schema allows;
	 * the two must be the same bytes, or the job says one thing and
	 * does another. */
	if ((rv = crn_sql_plan(p->schema, job->sql, &plan, err, sizeof(err))) !=
	    CAIRN_OK) {
		snprintf(why, whylen, "query refused: %s", err);
		goto out;
	}
	if ((rv = crn_plan_encode(plan, &enc, &enclen)) != CAIRN_OK) {
		snprintf(why, whylen, "cannot encode the plan: %s",
		    cairn_strerror(rv));
		goto out;
	}
	rv = CAIRN_EPERM;
	if (job->plan == NULL || enclen != job->plan_len ||
	    memcmp(enc, job->plan, enclen) != 0) {
		snprintf(why, whylen,
		    "the signed plan is not the plan of the signed SQL under the federation schema");
		goto out;
	}
	if (strcmp(plan->dataset, job->dataset) != 0 || plan->dim != job->dim ||
	    plan->ring_bits != job->ring_bits) {
		snprintf(why, whylen,
		    "job dataset, dimension or ring width differ from its plan");
		goto out;
	}
	*out = plan;
	plan = NULL;
	rv = CAIRN_OK;
out:
	crn_free(enc, enclen);
	crn_plan_free(plan);
	return rv;
}

cairn_err
co_coord_plan_job(co_coord_plan *p, const crn_job *job, crn_plan **plan,
    char *why, size_t whylen)
{
	cairn_err rv;

	*plan = NULL;
	if (job->kind == CRN_JOB_QUERY)
		return cp_query(p, job, plan, why, whylen);
	if (job->kind != CRN_JOB_SUM_COLUMN) {
		snprintf(why, whylen, "unknown job kind");
		return CAIRN_EINVAL;
	}
	rv = crn_q_sum_plan(job->dataset, job->column, job->ring_bits,
	    p->schema->min_cell, plan);
	if (rv != CAIRN_OK)
		snprintf(why, whylen, "cannot plan the column sum: %s",
		    cairn_strerror(rv));
	return rv;
}

cairn_err
co_coord_plan_model(co_coord_plan *p, const crn_job *job, crn_model **out,
    char *why, size_t whylen)
{
	crn_model_spec spec;
	char err[400] = "";
	cairn_err rv;

	*out = NULL;
	if ((rv = crn_model_spec_decode(job->model, job->model_len, &spec)) !=
	    CAIRN_OK) {
		snprintf(why, whylen, "malformed model spec");
		return rv;
	}
	if (strcmp(spec.dataset, job->dataset) != 0) {
		snprintf(why, whylen, "the model's dataset is not the job's");
		rv = CAIRN_EINVAL;
	} else if ((rv = crn_model_compile(p->schema, &spec, out, err,
	                sizeof(err))) != CAIRN_OK) {
		snprintf(why, whylen, "model refused: %s", err);
	} else if (job->ring_bits != 128 || job->dim != (*out)->dim) {
		snprintf(why, whylen, "the job's vector shape is not the model's");
		crn_model_free(*out);
		*out = NULL;
		rv = CAIRN_EINVAL;
	}
	crn_model_spec_fini(&spec);
	return rv;
}

uint32_t
co_coord_plan_min_cell(const co_coord_plan *p)
{
	return p->schema->min_cell;
}

/* Render r as text; *out is a crn_strdup'd copy (crn_strfree). */
static cairn_err
cp_render(const crn_result *r, int fmt, char **out)
{
	char *txt = NULL;
	size_t len = 0;
	cairn_err rv;

	*out = NULL;
	if (fmt == 1)
		rv = crn_result_json(r, &txt, &len);
	else if (fmt == 2)
		rv = crn_result_csv(r, &txt, &len);
	else
		rv = crn_result_text(r, &txt, &len);
	if (rv != CAIRN_OK)
		return rv;
	if ((*out = crn_strdup(txt)) == NULL)
		rv = CAIRN_ENOMEM;
	crn_free(txt, len + 1);
	return rv;
}

cairn_err
co_coord_plan_release(const crn_plan *plan, const crn_release *rel,
    const uint8_t *sum, size_t sum_len, uint32_t nodes, bool trim,
    crn_rt_result *r, char *why, size_t whylen)
{
	crn_result *res = NULL;
	cairn_err rv;

	/* Suppression happens here, at the party that unmasks the sum: a
	 * researcher's client is not trusted to drop small cells. */
	if ((rv = crn_sql_result_release(
	         plan, rel, sum, sum_len, nodes, &res)) != CAIRN_OK) {
		snprintf(why, whylen, "cannot decode the sum: %s",
		    cairn_strerror(rv));
		goto out;
	}
	if (trim)
		crn_result_trim(res);
	if ((rv = cp_render(res, 0, &r->table_text)) != CAIRN_OK ||
	    (rv = cp_render(res, 1, &r->table_json)) != CAIRN_OK ||
	    (rv = cp_render(res, 2, &r->table_csv)) != CAIRN_OK) {
		snprintf(why, whylen, "cannot render the result: %s",
		    cairn_strerror(rv));
		goto out;
	}
	r->suppressed_cells = res->suppressed_cells;
	r->suppressed_groups = res->suppressed_groups;
	r->clipped = res->clipped;
out:
	crn_result_free(res);
	return rv;
}
