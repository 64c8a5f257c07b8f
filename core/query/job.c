/*
 * job.c — signing and verifying researcher jobs (see job.h).
 */
#include <string.h>

#include "base/crn.h"
#include "query/job.h"

#define JOB_SIG_DOMAIN "cairn-job-v1"

/* The signed message is the domain string followed by the job bytes, so a
 * job signature can never be mistaken for a signature of anything else. */
static cairn_err
job_tbs(const uint8_t *job, size_t job_len, uint8_t **out, size_t *outlen)
{
	size_t n = sizeof(JOB_SIG_DOMAIN) - 1 + job_len;
	uint8_t *buf;

	if ((buf = crn_alloc(n)) == NULL)
		return CAIRN_ENOMEM;
	memcpy(buf, JOB_SIG_DOMAIN, sizeof(JOB_SIG_DOMAIN) - 1);
	memcpy(buf + sizeof(JOB_SIG_DOMAIN) - 1, job, job_len);
	*out = buf;
	*outlen = n;
	return CAIRN_OK;
}

cairn_err
crn_job_sign(const crn_job *job, const crn_identity *id,
    const uint8_t *cert_der, size_t cert_len, uint8_t **out, size_t *outlen)
{
	crn_signed_job sj;
	uint8_t *tbs = NULL;
	size_t tbs_len = 0;
	cairn_err rv;

	*out = NULL;
	*outlen = 0;
	memset(&sj, 0, sizeof(sj));
	if (cert_der == NULL || cert_len == 0)
		return CAIRN_EINVAL;
	if ((rv = crn_job_encode(job, &sj.job, &sj.job_len)) != CAIRN_OK)
		goto out;
	if ((rv = job_tbs(sj.job, sj.job_len, &tbs, &tbs_len)) != CAIRN_OK)
		goto out;
	if ((rv = crn_identity_sign(id, tbs, tbs_len, sj.sig)) != CAIRN_OK)
		goto out;
	/* Borrow the certificate for encoding only. */
	sj.cert = (uint8_t *)(uintptr_t)cert_der;
	sj.cert_len = cert_len;
	rv = crn_signed_job_encode(&sj, out, outlen);
	sj.cert = NULL;
	sj.cert_len = 0;
out:
	crn_free(tbs, tbs_len);
	crn_signed_job_fini(&sj);
	return rv;
}

cairn_err
crn_job_verify(
    const crn_signed_job *sj, const uint8_t pk[CAIRN_SIGN_PK_LEN], crn_job *out)
{
	uint8_t *tbs = NULL;
	size_t tbs_len = 0;
	cairn_err rv;

	memset(out, 0, sizeof(*out));
	if ((rv = job_tbs(sj->job, sj->job_len, &tbs, &tbs_len)) != CAIRN_OK)
		goto out;
	if ((rv = crn_sign_verify(pk, tbs, tbs_len, sj->sig)) != CAIRN_OK)
		goto out;
	rv = crn_job_decode(out, sj->job, sj->job_len);
out:
	crn_free(tbs, tbs_len);
	return rv;
}

cairn_err
crn_job_check_time(const crn_job *job, uint64_t now, uint64_t skew)
{
	/* Compared as a difference: now + skew could wrap around. */
	if (job->issued_at > now && job->issued_at - now > skew)
		return CAIRN_ENOTYET;
	if (now > job->not_after)
		return CAIRN_EEXPIRED;
	return CAIRN_OK;
}
