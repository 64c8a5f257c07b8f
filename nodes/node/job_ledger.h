/*
 * job_ledger.h — the node's persistent record of the jobs it has run.
 *
 * A job a researcher signed once could otherwise be offered again by a
 * coordinator in a new session with a different subset of nodes, and the
 * difference of two results would single out a node's data (a
 * differencing attack).  A node therefore runs each signed job id at most
 * once, ever: the ledger is an append-only file of job ids (one hex line
 * each) in the node's state directory, read at start and extended, with
 * fsync, before the node computes anything for a job.
 */
#ifndef CRN_NODE_JOB_LEDGER_H
#define CRN_NODE_JOB_LEDGER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "proto/job.h"

typedef struct crn_job_ledger crn_job_ledger;

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
 * Record a job id: appended to the file and flushed to disk before this
 * returns CAIRN_OK.  CAIRN_EREPLAY when already recorded; CAIRN_ESYS when
 * it could not be written (the caller must then not run the job);
 * CAIRN_ENOMEM.
 */
CAIRN_NODISCARD cairn_err crn_job_ledger_add(
    crn_job_ledger *l, const uint8_t id[CRN_JOB_ID_LEN]);

/* Number of recorded jobs. */
size_t crn_job_ledger_count(const crn_job_ledger *l);

#endif /* CRN_NODE_JOB_LEDGER_H */
