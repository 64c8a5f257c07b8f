/*
 * coord_admit.h — the coordinator's checks on a submitted job, as pure
 * functions: each takes the job, the policy and the clock as values and
 * returns a cairn_err and one line saying why.  coordinator.c calls them;
 * tests/unit/nodes/coordinator/coord_admit_test.c checks every rule.
 * (What the job computes is checked by coord_plan.h against the schema.)
 */
#ifndef CRN_COORDINATOR_COORD_ADMIT_H
#define CRN_COORDINATOR_COORD_ADMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "crypto/cert.h"
#include "proto/job.h"

/* Clock skew tolerated on a job's issue time, seconds. */
#define CO_ADMIT_SKEW_S 300

/*
 * The submitter must be the job's signer: the certificate in the signed
 * job (signer) and the channel's peer (submitter) carry the same key, or
 * CAIRN_EAUTH.
 */
CAIRN_NODISCARD cairn_err co_admit_signer(const crn_cert_info *signer,
    const crn_cert_info *submitter, char *why, size_t whylen);

/*
 * A verified job at unix time now: within [issued_at - skew, not_after]
 * (CAIRN_EEXPIRED, CAIRN_ENOTYET), a ring width of 32, 64 or 128 bits and,
 * for a column sum, CRN_RT_SUM_DIM elements and a column (CAIRN_EINVAL);
 * no DP asked of a model (CAIRN_ENOTSUP: not built).
 */
CAIRN_NODISCARD cairn_err co_admit_job(
    const crn_job *job, uint64_t now, char *why, size_t whylen);

/*
 * A session slot: CAIRN_EREPLAY when the same job is running already,
 * CAIRN_EPERM when all max_jobs slots are taken (no free slot).
 */
CAIRN_NODISCARD cairn_err co_admit_slot(bool same_job_running, bool free_slot,
    uint32_t max_jobs, char *why, size_t whylen);

/*
 * The roster: n usable nodes against min_participants (need; at least 2
 * always: CAIRN_EABORT below) and the schema's max_nodes (CAIRN_ERANGE
 * above, since ring widths are sized for it).
 */
CAIRN_NODISCARD cairn_err co_admit_roster(
    uint32_t n, uint32_t need, uint32_t max, char *why, size_t whylen);

#endif /* CRN_COORDINATOR_COORD_ADMIT_H */
