/*
 * coord_plan.h — the coordinator's side of query jobs: it holds the
 * federation schema, checks that the plan a researcher signed is the plan
 * the coordinator itself derives from the job's SQL text, and renders the
 * released table once the passes are done (core/release.h).
 */
#ifndef CRN_COORDINATOR_COORD_PLAN_H
#define CRN_COORDINATOR_COORD_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "proto/job.h"
#include "query/job.h"
#include "query/release.h"

typedef struct co_coord_plan co_coord_plan;

/* Load the schema file at path.  err receives one line on failure. */
CAIRN_NODISCARD cairn_err co_coord_plan_new(
    co_coord_plan **out, const char *schema_path, char *err, size_t errlen);
void co_coord_plan_free(co_coord_plan *p);

/* The federation schema's max_nodes: the most nodes a session may hold,
 * since ring widths are sized for it. */
uint32_t co_coord_plan_max_nodes(const co_coord_plan *p);

/*
 * The plan a job runs by, checked.  JOB_QUERY: re-plan job->sql against
 * the schema and refuse (CAIRN_EPERM) unless the encoded plan equals
 * job->plan byte for byte and the job's dataset, ring width and dimension
 * match it.  JOB_SUM_COLUMN: the column-sum plan (runtime/query_sql.h)
 * with the schema's min_cell.  *plan is new (crn_plan_free); why receives
 * the reason of a refusal.
 */
struct crn_plan;
CAIRN_NODISCARD cairn_err co_coord_plan_job(co_coord_plan *p,
    const crn_job *job, struct crn_plan **plan, char *why, size_t whylen);

/*
 * Decode the unmasked pass-2 sum (the groups of rel; `nodes` contributed)
 * and fill r->table_text, table_json, table_csv and the suppression
 * counts with the released table.  The researcher gets only this, never
 * a raw vector.  trim: print exact decimals without trailing zeros (the
 * column-sum job).  Errors of crn_sql_result_release (CAIRN_EPROTO: a sum
 * honest nodes could not produce); why says which.
 */
struct crn_rt_result;
CAIRN_NODISCARD cairn_err co_coord_plan_release(const struct crn_plan *plan,
    const crn_release *rel, const uint8_t *sum, size_t sum_len, uint32_t nodes,
    bool trim, struct crn_rt_result *r, char *why, size_t whylen);

/* JOB_MODEL: the signed spec compiled against the federation schema and
 * matched with the job's vector shape (*out: crn_model_free). */
struct crn_model;
CAIRN_NODISCARD cairn_err co_coord_plan_model(co_coord_plan *p,
    const crn_job *job, struct crn_model **out, char *why, size_t whylen);
/* The federation schema's min_cell. */
uint32_t co_coord_plan_min_cell(const co_coord_plan *p);

#endif /* CRN_COORDINATOR_COORD_PLAN_H */
