/*
 * audit_job.c — job events for the daemons' audit logs.  See audit_job.h.
 */
#include <stdio.h>
#include <string.h>

#include "base/crn.h"
#include "runtime/audit_job.h"
#include "runtime/rt.h"

#define AJ_MAX_FIELDS 24

static const uint8_t aj_key[CAIRN_SESSION_ID_LEN] = {0};

static cairn_err
aj_hash_hex(const char *purpose, const uint8_t *b, size_t n, char *out)
{
	uint8_t h[CAIRN_KEY_LEN];
	cairn_err rv;

	if ((rv = crn_hash_commit(h, aj_key, purpose, b, n)) != CAIRN_OK)
		return rv;
	crn_rt_hex(h, sizeof(h), out);
	return CAIRN_OK;
}

cairn_err
crn_rt_audit_event(crn_audit *a, const char *type, const uint8_t *job_id,
    const crn_audit_field *f, size_t nf)
{
	crn_audit_field all[AJ_MAX_FIELDS];
	char hex[CRN_RT_JOB_HEX_LEN] = "";

	if (a == NULL)
		return CAIRN_OK;
	if (nf + 1 > AJ_MAX_FIELDS)
		return CAIRN_EINVAL;
	if (job_id != NULL)
		crn_rt_hex(job_id, CRN_JOB_ID_LEN, hex);
	all[0].key = "job";
	all[0].value = hex;
	for (size_t i = 0; i < nf; i++)
		all[i + 1] = f[i];
	return crn_audit_append(a, crn_rt_wall(), type, all, nf + 1);
}

cairn_err
crn_rt_audit_received(crn_audit *a, const crn_job *job,
    const crn_signed_job *sj, const char *researcher,
    const crn_audit_field *extra, size_t nextra)
{
	crn_audit_field f[AJ_MAX_FIELDS];
	char plan_hash[2 * CAIRN_KEY_LEN + 1], job_hash[2 * CAIRN_KEY_LEN + 1];
	char not_after[CRN_AUDIT_TIME_LEN], code_hash[2 * 32 + 1], round[16];
	bool sum = job->kind == CRN_JOB_SUM_COLUMN;
	bool code = job->kind == CRN_JOB_CODE;
	size_t n = 0;
	cairn_err rv;

	if (a == NULL)
		return CAIRN_OK;
	if (nextra + 10 > AJ_MAX_FIELDS - 1)
		return CAIRN_EINVAL;
	rv = sum || job->plan_len == 0
	    ? aj_hash_hex("cairn-plan", (const uint8_t *)job->column,
	          strlen(job->column), plan_hash)
	    : aj_hash_hex("cairn-plan", job->plan, job->plan_len, plan_hash);
	if (rv != CAIRN_OK ||
	    (rv = aj_hash_hex("cairn-job", sj->job, sj->job_len, job_hash)) !=
	        CAIRN_OK)
		return rv;
	crn_audit_time(job->not_after, not_after);
	f[n++] = (crn_audit_field){"researcher", researcher};
	f[n++] = (crn_audit_field){
	    "kind", sum ? "sum" : code ? "code" : "query"};
	f[n++] = (crn_audit_field){"dataset", job->dataset};
	if (code) {
		/* The program's identity, as operators approve it (SHA-256,
		 * `cairn code hash`), its round and the rows it reads. */
		crn_rt_hex(job->code_hash, sizeof(job->code_hash), code_hash);
		snprintf(round, sizeof(round), "%u", job->round);
		f[n++] = (crn_audit_field){"code_hash", code_hash};
		f[n++] = (crn_audit_field){"round", round};
		f[n++] = (crn_audit_field){"where", job->where};
	} else {
		f[n++] = sum ? (crn_audit_field){"column", job->column}
		             : (crn_audit_field){"sql", job->sql};
	}
	f[n++] = (crn_audit_field){"plan_hash", plan_hash};
	f[n++] = (crn_audit_field){"job_hash", job_hash};
	f[n++] = (crn_audit_field){"not_after", not_after};
	for (size_t i = 0; i < nextra; i++)
		f[n++] = extra[i];
	return crn_rt_audit_event(a, CRN_AUDIT_RECEIVED, job->job_id, f, n);
}
