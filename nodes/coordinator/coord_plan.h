/*
 * coord_plan.h — the coordinator's side of SQL jobs: it holds the
 * federation schema and checks that the plan a researcher signed is the
 * plan the coordinator itself derives from the job's SQL text.
 */
#ifndef CRN_COORDINATOR_COORD_PLAN_H
#define CRN_COORDINATOR_COORD_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "proto/job.h"

typedef struct co_coord_plan co_coord_plan;

/* Load the schema file at path.  err receives one line on failure. */
CAIRN_NODISCARD cairn_err co_coord_plan_new(
    co_coord_plan **out, const char *schema_path, char *err, size_t errlen);
void co_coord_plan_free(co_coord_plan *p);

/*
 * Check a JOB_QUERY: re-plan job->sql against the schema and refuse
 * (CAIRN_EPERM) unless the encoded plan equals job->plan byte for byte
 * and the job's dataset, ring width and dimension match it.  why receives
 * the reason.  CAIRN_ENOTSUP when this build cannot plan SQL jobs.
 */
CAIRN_NODISCARD cairn_err co_coord_plan_check(
    co_coord_plan *p, const crn_job *job, char *why, size_t whylen);

/*
 * Decode the unmasked sum of a JOB_QUERY (plan_bytes: the signed plan the
 * session ran; `nodes` contributed) and fill r->table_text, table_json
 * and table_csv with the released table: groups under the plan's min_cell
 * removed and counted.  The researcher gets only this, never the raw
 * per-group vector.  Errors of crn_plan_decode and crn_sql_result_decode
 * (CAIRN_EPROTO: a sum honest nodes could not produce); why says which.
 */
struct crn_rt_result;
CAIRN_NODISCARD cairn_err co_coord_plan_release(const uint8_t *plan_bytes,
    size_t plan_len, const uint8_t *sum, size_t sum_len, uint32_t nodes,
    struct crn_rt_result *r, char *why, size_t whylen);

#endif /* CRN_COORDINATOR_COORD_PLAN_H */
