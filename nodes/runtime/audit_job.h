/*
 * audit_job.h — the job events the node and coordinator daemons write to
 * their audit logs (core/audit/audit.h), in one shape for both.
 *
 * Every entry's first field is "job": the job id in hex (32 digits).
 * A "received" entry carries what the researcher asked: researcher, kind
 * (sum | query | code), dataset, sql (the researcher's text) or column
 * or, for code, code_hash (SHA-256 of the program, as `cairn code hash`
 * prints it), round and where, plan_hash (BLAKE2b-256 of the encoded
 * plan, or of the column name for a sum and a program), job_hash (BLAKE2b-256
 * of the Job bytes the researcher signed) and not_after (RFC 3339), then the
 * caller's extra fields.
 */
#ifndef CRN_RUNTIME_AUDIT_JOB_H
#define CRN_RUNTIME_AUDIT_JOB_H

#include "audit/audit.h"
#include "proto/job.h"

/* Hex of a job id: 32 digits and a NUL. */
#define CRN_RT_JOB_HEX_LEN (2 * CRN_JOB_ID_LEN + 1)

/*
 * Append a "received" entry for job (decoded from sj, borrowed) submitted
 * by researcher, with nextra more fields.  a NULL: nothing, CAIRN_OK.
 * Errors of crn_audit_append.
 */
CAIRN_NODISCARD cairn_err crn_rt_audit_received(crn_audit *a,
    const crn_job *job, const crn_signed_job *sj, const char *researcher,
    const crn_audit_field *extra, size_t nextra);

/*
 * What job computes, in one line for the people who approve and audit it:
 * the SQL of a query, "sum of column C", "code <sha256> round N" with the
 * WHERE and parameters of a code job, "fit KIND: Y ~ X1 + X2 ..." with
 * the WHERE, ridge penalty, k-means centres and max_iter of a model job.
 * Always NUL-terminated; cut with "..." when longer than len - 1.
 */
#define CRN_RT_JOB_DESC_LEN 2048
void crn_rt_job_describe(const crn_job *job, char *buf, size_t len);

/*
 * Append an entry of type with the job id (NULL: "job" is "") first and
 * the nf fields after it.  a NULL: nothing, CAIRN_OK.
 */
CAIRN_NODISCARD cairn_err crn_rt_audit_event(crn_audit *a, const char *type,
    const uint8_t *job_id, const crn_audit_field *f, size_t nf);

#endif /* CRN_RUNTIME_AUDIT_JOB_H */
