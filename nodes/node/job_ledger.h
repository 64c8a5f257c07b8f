/*
 * job_ledger.h — the node's persistent record of the jobs it has run.
 *
 * A job a researcher signed once could otherwise be offered again by a
 * coordinator in a new session with a different subset of nodes, and the
 * difference of two results would single out a node's data (a
 * differencing attack).  A node therefore runs each signed job id at most
 * once: the ledger is an append-only file of job ids (one hex line each,
 * with the job's not_after) in the node's state directory, read at start
 * and extended, with fsync, before the node computes anything for a job.
 * An id is forgotten once its job expired more than
 * CRN_JOB_LEDGER_MARGIN_S ago (the node refuses an expired job anyway),
 * so the ledger holds the jobs of the last max_job_lifetime_ms and a
 * margin, not every job ever; the file is rewritten (atomically) when
 * most of its lines are such ids.
 */
#ifndef CRN_NODE_JOB_LEDGER_H
#define CRN_NODE_JOB_LEDGER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "proto/job.h"

typedef struct crn_job_ledger crn_job_ledger;

/* How long after its not_after a job's id is kept, seconds: a node
 * whose clock steps back by up to this much still refuses a replay. */
#define CRN_JOB_LEDGER_MARGIN_S 300

/*
 * Open (creating the directory with mode 0700 and the file with mode 0600
 * when missing) the ledger file `jobs.ledger` in state_dir and read it.
 * *out is new (crn_job_ledger_close).  err receives one line on failure.
 * Errors: CAIRN_ESYS (cannot create or read), CAIRN_EDATA (a line is not a
 * job id: the file was damaged; the node refuses to start rather than
 * forget what it ran), CAIRN_ENOMEM.
 */
CAIRN_NODISCARD cairn_err crn_job_ledger_open(
    crn_job_ledger **out, const char *state_dir, char *err, size_t errlen);

/* Close the file and free the ledger.  NULL-safe. */
void crn_job_ledger_close(crn_job_ledger *l);

/* Has this job id been recorded? */
bool crn_job_ledger_has(
    const crn_job_ledger *l, const uint8_t id[CRN_JOB_ID_LEN]);

/*
 * Record a job id with its job's not_after (unix seconds), at unix time
 * now: appended to the file and flushed to disk before this returns
 * CAIRN_OK.  Ids of jobs expired more than CRN_JOB_LEDGER_MARGIN_S before
 * now may be forgotten on the way.  CAIRN_EREPLAY when already recorded;
 * CAIRN_ESYS when it could not be written (the caller must then not run
 * the job); CAIRN_ENOMEM.
 */
CAIRN_NODISCARD cairn_err crn_job_ledger_add(crn_job_ledger *l,
    const uint8_t id[CRN_JOB_ID_LEN], uint64_t not_after, uint64_t now);

/* Number of job ids held (recorded and not yet forgotten). */
size_t crn_job_ledger_count(const crn_job_ledger *l);

#endif /* CRN_NODE_JOB_LEDGER_H */
