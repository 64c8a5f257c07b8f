/*
 * coord_admit.c — the coordinator's checks on a submitted job
 * (coord_admit.h).  Pure: no I/O, no clock.
 */
#include <stdio.h>

#include "coordinator/coord_admit.h"
#include "crypto/crypto.h"
#include "query/job.h"
#include "runtime/rt.h"

cairn_err
co_admit_signer(const crn_cert_info *signer, const crn_cert_info *submitter,
    char *why, size_t whylen)
{
	if (!crn_ct_eq(signer->pk, submitter->pk, CAIRN_SIGN_PK_LEN)) {
		snprintf(why, whylen, "job signed by '%s', submitted by '%s'",
		    signer->name, submitter->name);
		return CAIRN_EAUTH;
	}
	return CAIRN_OK;
}

cairn_err
co_admit_job(const crn_job *job, uint64_t now, char *why, size_t whylen)
{
	cairn_err rv;

	if ((rv = crn_job_check_time(job, now, CO_ADMIT_SKEW_S)) != CAIRN_OK) {
		snprintf(why, whylen, "job is %s",
		    rv == CAIRN_EEXPIRED ? "expired" : "not yet valid");
		return rv;
	}
	if (job->ring_bits != 32 && job->ring_bits != 64 &&
	    job->ring_bits != 128) {
		snprintf(why, whylen, "bad ring width %u", job->ring_bits);
		return CAIRN_EINVAL;
	}
	if (job->kind == CRN_JOB_SUM_COLUMN &&
	    (job->dim != CRN_RT_SUM_DIM || job->column[0] == '\0')) {
		snprintf(why, whylen,
		    "a column sum has %u elements and names a column",
		    CRN_RT_SUM_DIM);
		return CAIRN_EINVAL;
	}
	return CAIRN_OK;
}

cairn_err
co_admit_slot(bool same_job_running, bool free_slot, uint32_t max_jobs,
    char *why, size_t whylen)
{
	if (same_job_running) {
		/* Session ids derive from the job: one run at a time, and
		 * nodes run each job once anyway. */
		snprintf(why, whylen, "this job is already running");
		return CAIRN_EREPLAY;
	}
	if (!free_slot) {
		snprintf(why, whylen, "%u jobs already running (max_jobs)",
		    max_jobs);
		return CAIRN_EPERM;
	}
	return CAIRN_OK;
}

cairn_err
co_admit_roster(
    uint32_t n, uint32_t need, uint32_t max, char *why, size_t whylen)
{
	if (n < need || n < 2) {
		snprintf(
		    why, whylen, "needed %u connected nodes, have %u", need, n);
		return CAIRN_EABORT;
	}
	if (n > max) {
		snprintf(why, whylen,
		    "%u nodes are connected, the federation schema allows at most %u (max_nodes sizes the ring width)",
		    n, max);
		return CAIRN_ERANGE;
	}
	return CAIRN_OK;
}
