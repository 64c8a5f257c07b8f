/*
 * budget.h — the node's privacy-budget ledger: per researcher and
 * dataset, the zCDP rho its releases have spent (core/query/dp_account.h).
 *
 * An SQLite database `budget.db` in the node's state directory, in WAL
 * mode with synchronous = FULL, so a charge that returned is on disk.  A
 * node charges a job before it sends anything computed from its data for
 * that job (the charge covers both passes of a query), so a crash can
 * only leave a charge for a job that never released, never a release
 * without its charge.  Charges are checked and written in one BEGIN
 * IMMEDIATE transaction: two processes or threads charging at once are
 * serialised and cannot both pass the check on the same remainder.
 */
#ifndef CRN_NODE_BUDGET_H
#define CRN_NODE_BUDGET_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "proto/job.h"

typedef struct crn_budget crn_budget;

/*
 * Open (creating the directory with mode 0700 and the database with its
 * table when missing) budget.db in state_dir.  *out is new
 * (crn_budget_close).  err receives one line on failure.  CAIRN_ESYS,
 * CAIRN_EDATA (not a ledger), CAIRN_ENOMEM.
 */
CAIRN_NODISCARD cairn_err crn_budget_open(
    crn_budget **out, const char *state_dir, char *err, size_t errlen);

/* Close the database and free the ledger.  NULL-safe. */
void crn_budget_close(crn_budget *b);

/*
 * Charge rho (> 0) for job_id to (researcher, dataset) when what they have
 * spent plus rho stays within limit.  On CAIRN_OK the charge is committed
 * to disk.  CAIRN_EPERM when it would exceed the limit: nothing is
 * charged, and why says how much is asked and how much is left (rho and
 * epsilon at delta).  CAIRN_EREPLAY when the job was charged already;
 * CAIRN_ESYS when the database cannot be written (the caller must not run
 * the job).  *remaining (may be NULL) receives what is left after the
 * charge, or before it on EPERM.
 */
CAIRN_NODISCARD cairn_err crn_budget_charge(crn_budget *b,
    const char *researcher, const char *dataset,
    const uint8_t job_id[CRN_JOB_ID_LEN], double rho, double limit,
    double delta, double *remaining, char *why, size_t whylen);

/* What (researcher, dataset) has spent, 0 when nothing. */
CAIRN_NODISCARD cairn_err crn_budget_spent(crn_budget *b,
    const char *researcher, const char *dataset, double *spent, uint64_t *jobs);

/* Call fn for every (researcher, dataset) with a charge, in order. */
typedef void (*crn_budget_row_fn)(void *ctx, const char *researcher,
    const char *dataset, double spent, uint64_t jobs);
CAIRN_NODISCARD cairn_err crn_budget_each(
    crn_budget *b, crn_budget_row_fn fn, void *ctx);

#endif /* CRN_NODE_BUDGET_H */
