/*
 * job.h — signing and verifying jobs (core/query/job.c).
 *
 * The job structs and their wire codecs are in proto/job.h; this header
 * adds what needs an identity key: a researcher signs a job, a node or the
 * coordinator verifies it and checks its lifetime.
 */
#ifndef CRN_QUERY_JOB_H
#define CRN_QUERY_JOB_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "crypto/crypto.h"
#include "proto/job.h"

/*
 * Encode job, sign it with id and wrap it with the DER certificate into an
 * encoded SignedJob (*out, crn_alloc'd, caller frees with crn_free).
 */
CAIRN_NODISCARD cairn_err crn_job_sign(const crn_job *job,
    const crn_identity *id, const uint8_t *cert_der, size_t cert_len,
    uint8_t **out, size_t *outlen);

/*
 * Check the signature of sj with the researcher key pk (taken from its
 * verified certificate) and decode the job into *out.  CAIRN_EAUTH when the
 * signature does not match; the job is not decoded then.
 */
CAIRN_NODISCARD cairn_err crn_job_verify(const crn_signed_job *sj,
    const uint8_t pk[CAIRN_SIGN_PK_LEN], crn_job *out);

/* Refuse a job outside [issued_at - skew, not_after] at time now. */
CAIRN_NODISCARD cairn_err crn_job_check_time(
    const crn_job *job, uint64_t now, uint64_t skew);

#endif /* CRN_QUERY_JOB_H */
