/*
 * budget.c — the node's privacy-budget ledger over SQLite.  See budget.h.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <sqlite3.h>

#include "base/crn.h"
#include "node/budget.h"
#include "query/dp_account.h"

struct crn_budget {
	sqlite3 *db;
};

static const char *const bg_schema = "CREATE TABLE IF NOT EXISTS charges ( job_id BLOB PRIMARY KEY, researcher TEXT NOT NULL, dataset TEXT NOT NULL, rho REAL NOT NULL, at INTEGER NOT NULL);CREATE INDEX IF NOT EXISTS charges_by_who ON charges (researcher, dataset);";

static cairn_err
bg_exec(crn_budget *b, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(b->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		crn_log_err(
		    "budget ledger: %s: %s", sql, msg != NULL ? msg : "?");
		sqlite3_free(msg);
		return CAIRN_ESYS;
	}
	return CAIRN_OK;
}

cairn_err
crn_budget_open(
    crn_budget **out, const char *state_dir, char *err, size_t errlen)
{
	crn_budget *b = NULL;
	char *path = NULL;
	size_t plen = strlen(state_dir) + sizeof("/budget.db");
	cairn_err rv = CAIRN_ENOMEM;

	*out = NULL;
	if (mkdir(state_dir, 0700) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "cannot create %s: %s", state_dir,
		    strerror(errno));
		return CAIRN_ESYS;
	}
	if ((b = crn_zalloc(sizeof(*b))) == NULL ||
	    (path = crn_alloc(plen)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	snprintf(path, plen, "%s/budget.db", state_dir);
	rv = CAIRN_ESYS;
	if (sqlite3_open_v2(path, &b->db,
	        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
	            SQLITE_OPEN_FULLMUTEX,
	        NULL) != SQLITE_OK) {
		snprintf(err, errlen, "cannot open the budget ledger %s: %s",
		    path, b->db != NULL ? sqlite3_errmsg(b->db) : "no memory");
		goto out;
	}
	(void)chmod(path, 0600);
	sqlite3_busy_timeout(b->db, 10000);
	if (bg_exec(b, "PRAGMA journal_mode=WAL") != CAIRN_OK ||
	    bg_exec(b, "PRAGMA synchronous=FULL") != CAIRN_OK ||
	    bg_exec(b, bg_schema) != CAIRN_OK) {
		snprintf(err, errlen,
		    "the budget ledger %s cannot be set up: %s (is it a cairn budget.db?)",
		    path, sqlite3_errmsg(b->db));
		rv = CAIRN_EDATA;
		goto out;
	}
	*out = b;
	b = NULL;
	rv = CAIRN_OK;
out:
	if (path != NULL)
		crn_free(path, plen);
	crn_budget_close(b);
	return rv;
}

void
crn_budget_close(crn_budget *b)
{
	if (b == NULL)
		return;
	sqlite3_close(b->db);
	crn_free(b, sizeof(*b));
}

/* Sum of rho and number of charges of (researcher, dataset). */
static cairn_err
bg_sum(crn_budget *b, const char *researcher, const char *dataset,
    double *spent, uint64_t *jobs)
{
	sqlite3_stmt *st = NULL;
	cairn_err rv = CAIRN_ESYS;

	*spent = 0;
	if (jobs != NULL)
		*jobs = 0;
	if (sqlite3_prepare_v2(b->db,
	        "SELECT coalesce(sum(rho), 0), count(*) FROM charges WHERE researcher = ?1 AND dataset = ?2",
	        -1, &st, NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_text(st, 1, researcher, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, dataset, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW)
		goto out;
	*spent = sqlite3_column_double(st, 0);
	if (jobs != NULL)
		*jobs = (uint64_t)sqlite3_column_int64(st, 1);
	rv = CAIRN_OK;
out:
	if (rv != CAIRN_OK)
		crn_log_err("budget ledger: %s", sqlite3_errmsg(b->db));
	sqlite3_finalize(st);
	return rv;
}

static cairn_err
bg_insert(crn_budget *b, const char *researcher, const char *dataset,
    const uint8_t job_id[CRN_JOB_ID_LEN], double rho)
{
	sqlite3_stmt *st = NULL;
	cairn_err rv = CAIRN_ESYS;
	int rc;

	if (sqlite3_prepare_v2(b->db,
	        "INSERT INTO charges (job_id, researcher, dataset, rho, at) VALUES (?1, ?2, ?3, ?4, ?5)",
	        -1, &st, NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_blob(st, 1, job_id, CRN_JOB_ID_LEN, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, researcher, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, dataset, -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 4, rho);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)time(NULL));
	rc = sqlite3_step(st);
	if (rc == SQLITE_CONSTRAINT)
		rv = CAIRN_EREPLAY;
	else if (rc == SQLITE_DONE)
		rv = CAIRN_OK;
out:
	if (rv == CAIRN_ESYS)
		crn_log_err("budget ledger: %s", sqlite3_errmsg(b->db));
	sqlite3_finalize(st);
	return rv;
}

cairn_err
crn_budget_charge(crn_budget *b, const char *researcher, const char *dataset,
    const uint8_t job_id[CRN_JOB_ID_LEN], double rho, double limit,
    double delta, double *remaining, char *why, size_t whylen)
{
	double spent = 0, left;
	cairn_err rv;

	if (remaining != NULL)
		*remaining = 0;
	if (!(rho > 0) || !(limit > 0))
		return CAIRN_EINVAL;
	/* IMMEDIATE takes the write lock now: the sum read below cannot
	 * change before the insert commits. */
	if ((rv = bg_exec(b, "BEGIN IMMEDIATE")) != CAIRN_OK) {
		snprintf(why, whylen, "cannot lock the budget ledger");
		return rv;
	}
	if ((rv = bg_sum(b, researcher, dataset, &spent, NULL)) != CAIRN_OK)
		goto rollback;
	left = limit - spent;
	if (left < 0)
		left = 0;
	if (rho > left) {
		snprintf(why, whylen,
		    "privacy budget exceeded for researcher %s on dataset %s: the job asks rho %.6g, %.6g of %.6g is left (epsilon %.4g of %.4g at delta %.3g)",
		    researcher, dataset, rho, left, limit,
		    crn_dp_epsilon(left, delta), crn_dp_epsilon(limit, delta),
		    delta);
		if (remaining != NULL)
			*remaining = left;
		rv = CAIRN_EPERM;
		goto rollback;
	}
	if ((rv = bg_insert(b, researcher, dataset, job_id, rho)) != CAIRN_OK) {
		snprintf(why, whylen,
		    rv == CAIRN_EREPLAY ? "job already charged here"
		                        : "cannot write the budget ledger");
		goto rollback;
	}
	if ((rv = bg_exec(b, "COMMIT")) != CAIRN_OK) {
		snprintf(why, whylen, "cannot commit the budget ledger");
		goto rollback;
	}
	if (remaining != NULL)
		*remaining = left - rho;
	return CAIRN_OK;
rollback:
	(void)bg_exec(b, "ROLLBACK");
	return rv;
}

cairn_err
crn_budget_spent(crn_budget *b, const char *researcher, const char *dataset,
    double *spent, uint64_t *jobs)
{
	return bg_sum(b, researcher, dataset, spent, jobs);
}

cairn_err
crn_budget_each(crn_budget *b, crn_budget_row_fn fn, void *ctx)
{
	sqlite3_stmt *st = NULL;
	cairn_err rv = CAIRN_ESYS;
	int rc;

	if (sqlite3_prepare_v2(b->db,
	        "SELECT researcher, dataset, sum(rho), count(*) FROM charges GROUP BY researcher, dataset ORDER BY researcher, dataset",
	        -1, &st, NULL) != SQLITE_OK)
		goto out;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		fn(ctx, (const char *)sqlite3_column_text(st, 0),
		    (const char *)sqlite3_column_text(st, 1),
		    sqlite3_column_double(st, 2),
		    (uint64_t)sqlite3_column_int64(st, 3));
	if (rc == SQLITE_DONE)
		rv = CAIRN_OK;
out:
	if (rv != CAIRN_OK)
		crn_log_err("budget ledger: %s", sqlite3_errmsg(b->db));
	sqlite3_finalize(st);
	return rv;
}
