/*
 * approvals.h — the node's queue of jobs waiting for its operator
 * (policy approve = manual): state_dir/approvals.db, SQLite in WAL mode,
 * shared by the daemon (which adds offers and acts on decisions, polling)
 * and the operator's commands (cairn node pending | approve | reject).
 *
 * A row is pending until the operator approves or rejects it, or until
 * the job's validity ends (then it is expired and refused).  The daemon
 * keeps the whole offer so that it can re-check and run the job once
 * approved, even after a restart.
 */
#ifndef CRN_NODE_APPROVALS_H
#define CRN_NODE_APPROVALS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "crypto/cert.h"
#include "proto/job.h"

typedef struct crn_approvals crn_approvals;

/* One queued job; crn_approval_fini frees what it owns. */
typedef struct crn_approval {
	int64_t id;
	uint8_t job_id[CRN_JOB_ID_LEN];
	uint8_t session_id[16];
	char researcher[CRN_CERT_NAME_MAX + 1];
	char dataset[CRN_NAME_MAX + 1];
	char *what;     /* what it computes, one line (crn_rt_job_describe) */
	char *reason;   /* the operator's, for a rejection */
	char state[16]; /* pending | approved | rejected | expired */
	bool handled;   /* the daemon acted on the decision */
	uint64_t received, until, decided; /* unix seconds */
	uint8_t *offer; /* the JobOffer payload as received */
	size_t offer_len;
} crn_approval;

void crn_approval_fini(crn_approval *r);

/*
 * Open (creating, mode 0600) approvals.db in state_dir.  err gets one
 * line on failure.  CAIRN_ESYS, CAIRN_ENOMEM.
 */
CAIRN_NODISCARD cairn_err crn_approvals_open(
    crn_approvals **out, const char *state_dir, char *err, size_t errlen);
void crn_approvals_close(crn_approvals *a);

/* Queue a job (state pending); *id is its number.  CAIRN_EREPLAY when the
 * job is queued already, CAIRN_ESYS. */
CAIRN_NODISCARD cairn_err crn_approvals_add(
    crn_approvals *a, const crn_approval *r, int64_t *id);

/*
 * The oldest row the daemon must act on at time now: approved or rejected
 * and not handled, or pending past its validity (returned with state
 * "expired").  CAIRN_ENOENT when none.
 */
CAIRN_NODISCARD cairn_err crn_approvals_next(
    crn_approvals *a, uint64_t now, crn_approval *out);

/* Mark row id handled, with its final state.  CAIRN_ESYS. */
CAIRN_NODISCARD cairn_err crn_approvals_handled(
    crn_approvals *a, int64_t id, const char *state);

/*
 * The operator's decision on a pending row: approve, or reject with
 * reason (may be NULL).  CAIRN_ENOENT (no such id), CAIRN_ESTATE (not
 * pending: decided already), CAIRN_EEXPIRED (its validity ended: refused),
 * CAIRN_ESYS.  why gets one line for the operator.
 */
CAIRN_NODISCARD cairn_err crn_approvals_decide(crn_approvals *a, int64_t id,
    bool approve, const char *reason, uint64_t now, char *why, size_t len);

/* Visit every row (pending ones only unless all), oldest first. */
CAIRN_NODISCARD cairn_err crn_approvals_list(crn_approvals *a, bool all,
    void (*visit)(void *arg, const crn_approval *r), void *arg);

#endif /* CRN_NODE_APPROVALS_H */
