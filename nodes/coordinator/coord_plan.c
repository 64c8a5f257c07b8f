/*
 * coord_plan.c — schema and plan checks for SQL jobs at the coordinator.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <string.h>

#include "coordinator/coord_plan.h"
#include "crn.h"
#include "codec_plan.h"
#include "schema.h"
#include "sql_plan.h"

struct co_coord_plan {
	crn_schema *schema;
};

cairn_err
co_coord_plan_new(co_coord_plan **out, const char *schema_path, char *err,
    size_t errlen)
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

cairn_err
co_coord_plan_check(co_coord_plan *p, const crn_job *job, char *why,
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
	if ((rv = crn_sql_plan(p->schema, job->sql, &plan, err,
	    sizeof(err))) != CAIRN_OK) {
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
		snprintf(why, whylen, "the signed plan is not the plan of the "
		    "signed SQL under the federation schema");
		goto out;
	}
	if (strcmp(plan->dataset, job->dataset) != 0 ||
	    plan->dim != job->dim || plan->ring_bits != job->ring_bits) {
		snprintf(why, whylen, "job dataset, dimension or ring width "
		    "differ from its plan");
		goto out;
	}
	rv = CAIRN_OK;
out:
	crn_free(enc, enclen);
	crn_plan_free(plan);
	return rv;
}
