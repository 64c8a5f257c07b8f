/*
 * approvals.c — the node's approval queue in SQLite.  See approvals.h.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "base/crn.h"
#include "node/approvals.h"

struct crn_approvals {
	sqlite3 *db;
};

static const char ap_schema[] =
    "CREATE TABLE IF NOT EXISTS approvals( id INTEGER PRIMARY KEY AUTOINCREMENT, job_id BLOB NOT NULL UNIQUE, session_id BLOB NOT NULL, researcher TEXT NOT NULL, dataset TEXT NOT NULL, what TEXT NOT NULL, received INTEGER NOT NULL, until INTEGER NOT NULL, offer BLOB NOT NULL, state TEXT NOT NULL DEFAULT 'pending', reason TEXT NOT NULL DEFAULT '', decided INTEGER NOT NULL DEFAULT 0, handled INTEGER NOT NULL DEFAULT 0)";

#define AP_COLS                                                                \
	"id, job_id, session_id, researcher, dataset, what, received, "        \
	"until, offer, state, reason, decided, handled"

void
crn_approval_fini(crn_approval *r)
{
	if (r == NULL)
		return;
	crn_strfree(r->what);
	crn_strfree(r->reason);
	crn_free(r->offer, r->offer_len);
	memset(r, 0, sizeof(*r));
}

cairn_err
crn_approvals_open(
    crn_approvals **out, const char *state_dir, char *err, size_t errlen)
{
	crn_approvals *a;
	char path[4096];
	int fd;

	*out = NULL;
	if (mkdir(state_dir, 0700) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "cannot create %s: %s", state_dir,
		    strerror(errno));
		return CAIRN_ESYS;
	}
	snprintf(path, sizeof(path), "%s/approvals.db", state_dir);
	/* Create it ourselves so that its mode is 0600 from the start. */
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) >= 0)
		(void)close(fd);
	if ((a = crn_zalloc(sizeof(*a))) == NULL)
		return CAIRN_ENOMEM;
	if (sqlite3_open_v2(path, &a->db,
	        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
	            SQLITE_OPEN_FULLMUTEX,
	        NULL) != SQLITE_OK ||
	    sqlite3_busy_timeout(a->db, 5000) != SQLITE_OK ||
	    sqlite3_exec(a->db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL) !=
	        SQLITE_OK ||
	    sqlite3_exec(a->db, "PRAGMA synchronous=FULL", NULL, NULL, NULL) !=
	        SQLITE_OK ||
	    sqlite3_exec(a->db, ap_schema, NULL, NULL, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "approvals %s: %s", path,
		    a->db != NULL ? sqlite3_errmsg(a->db) : "cannot open");
		crn_approvals_close(a);
		return CAIRN_ESYS;
	}
	*out = a;
	return CAIRN_OK;
}

void
crn_approvals_close(crn_approvals *a)
{
	if (a == NULL)
		return;
	sqlite3_close(a->db);
	crn_free(a, sizeof(*a));
}

cairn_err
crn_approvals_add(crn_approvals *a, const crn_approval *r, int64_t *id)
{
	sqlite3_stmt *st = NULL;
	cairn_err rv = CAIRN_ESYS;
	int rc;

	if (sqlite3_prepare_v2(a->db,
	        "INSERT INTO approvals(job_id, session_id, researcher, dataset, what, received, until, offer) VALUES(?,?,?,?,?,?,?,?)",
	        -1, &st, NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_blob(st, 1, r->job_id, CRN_JOB_ID_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, r->session_id, 16, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, r->researcher, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, r->dataset, -1, SQLITE_STATIC);
	sqlite3_bind_text(
	    st, 5, r->what != NULL ? r->what : "", -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, (sqlite3_int64)r->received);
	sqlite3_bind_int64(st, 7, (sqlite3_int64)r->until);
	sqlite3_bind_blob(st, 8, r->offer, (int)r->offer_len, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_CONSTRAINT) {
		rv = CAIRN_EREPLAY;
		goto out;
	}
	if (rc != SQLITE_DONE)
		goto out;
	*id = sqlite3_last_insert_rowid(a->db);
	rv = CAIRN_OK;
out:
	if (rv == CAIRN_ESYS)
		crn_log_err("approvals: %s", sqlite3_errmsg(a->db));
	sqlite3_finalize(st);
	return rv;
}

static void
ap_text(sqlite3_stmt *st, int col, char *out, size_t len)
{
	const unsigned char *t = sqlite3_column_text(st, col);

	snprintf(out, len, "%s", t != NULL ? (const char *)t : "");
}

static cairn_err
ap_row(sqlite3_stmt *st, crn_approval *r)
{
	const void *b;
	int n;

	memset(r, 0, sizeof(*r));
	r->id = sqlite3_column_int64(st, 0);
	b = sqlite3_column_blob(st, 1);
	if (b != NULL && sqlite3_column_bytes(st, 1) == CRN_JOB_ID_LEN)
		memcpy(r->job_id, b, CRN_JOB_ID_LEN);
	b = sqlite3_column_blob(st, 2);
	if (b != NULL && sqlite3_column_bytes(st, 2) == 16)
		memcpy(r->session_id, b, 16);
	ap_text(st, 3, r->researcher, sizeof(r->researcher));
	ap_text(st, 4, r->dataset, sizeof(r->dataset));
	r->what = crn_strdup((const char *)sqlite3_column_text(st, 5));
	r->received = (uint64_t)sqlite3_column_int64(st, 6);
	r->until = (uint64_t)sqlite3_column_int64(st, 7);
	n = sqlite3_column_bytes(st, 8);
	b = sqlite3_column_blob(st, 8);
	if (n > 0 && b != NULL && (r->offer = crn_alloc((size_t)n)) != NULL) {
		memcpy(r->offer, b, (size_t)n);
		r->offer_len = (size_t)n;
	}
	ap_text(st, 9, r->state, sizeof(r->state));
	r->reason = crn_strdup((const char *)sqlite3_column_text(st, 10));
	r->decided = (uint64_t)sqlite3_column_int64(st, 11);
	r->handled = sqlite3_column_int(st, 12) != 0;
	if (r->what == NULL || r->reason == NULL ||
	    (n > 0 && r->offer == NULL)) {
		crn_approval_fini(r);
		return CAIRN_ENOMEM;
	}
	return CAIRN_OK;
}

cairn_err
crn_approvals_next(crn_approvals *a, uint64_t now, crn_approval *out)
{
	sqlite3_stmt *st = NULL;
	cairn_err rv = CAIRN_ESYS;
	int rc;

	memset(out, 0, sizeof(*out));
	if (sqlite3_prepare_v2(a->db,
	        "SELECT " AP_COLS " FROM approvals WHERE handled = 0 AND (state IN ('approved', 'rejected') OR (state = 'pending' AND until <= ?)) ORDER BY id LIMIT 1",
	        -1, &st, NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)now);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		rv = CAIRN_ENOENT;
		goto out;
	}
	if (rc != SQLITE_ROW)
		goto out;
	if ((rv = ap_row(st, out)) != CAIRN_OK)
		goto out;
	if (strcmp(out->state, "pending") == 0)
		snprintf(out->state, sizeof(out->state), "expired");
out:
	if (rv == CAIRN_ESYS)
		crn_log_err("approvals: %s", sqlite3_errmsg(a->db));
	sqlite3_finalize(st);
	return rv;
}

cairn_err
crn_approvals_handled(crn_approvals *a, int64_t id, const char *state)
{
	sqlite3_stmt *st = NULL;
	cairn_err rv = CAIRN_ESYS;

	if (sqlite3_prepare_v2(a->db,
	        "UPDATE approvals SET handled = 1, state = ? WHERE id = ?", -1,
	        &st, NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_text(st, 1, state, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, id);
	if (sqlite3_step(st) == SQLITE_DONE)
		rv = CAIRN_OK;
out:
	if (rv != CAIRN_OK)
		crn_log_err("approvals: %s", sqlite3_errmsg(a->db));
	sqlite3_finalize(st);
	return rv;
}

/* Why a decision on row id could not be taken. */
static cairn_err
ap_why_not(crn_approvals *a, int64_t id, uint64_t now, char *why, size_t len)
{
	sqlite3_stmt *st = NULL;
	crn_approval r;
	cairn_err rv = CAIRN_ESYS;

	if (sqlite3_prepare_v2(a->db,
	        "SELECT " AP_COLS " FROM approvals WHERE id = ?", -1, &st,
	        NULL) != SQLITE_OK) {
		snprintf(why, len, "approvals: %s", sqlite3_errmsg(a->db));
		return CAIRN_ESYS;
	}
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) != SQLITE_ROW) {
		snprintf(why, len,
		    "no queued job %lld (cairn node pending lists them)",
		    (long long)id);
		rv = CAIRN_ENOENT;
	} else if (ap_row(st, &r) == CAIRN_OK) {
		if (strcmp(r.state, "pending") == 0 && r.until <= now) {
			snprintf(why, len,
			    "job %lld expired %llu s ago and is refused",
			    (long long)id, (unsigned long long)(now - r.until));
			rv = CAIRN_EEXPIRED;
		} else {
			snprintf(why, len, "job %lld is %s already",
			    (long long)id, r.state);
			rv = CAIRN_ESTATE;
		}
		crn_approval_fini(&r);
	}
	sqlite3_finalize(st);
	return rv;
}

cairn_err
crn_approvals_decide(crn_approvals *a, int64_t id, bool approve,
    const char *reason, uint64_t now, char *why, size_t len)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(a->db,
	        "UPDATE approvals SET state = ?, reason = ?, decided = ? WHERE id = ? AND state = 'pending' AND handled = 0 AND until > ?",
	        -1, &st, NULL) != SQLITE_OK) {
		snprintf(why, len, "approvals: %s", sqlite3_errmsg(a->db));
		return CAIRN_ESYS;
	}
	sqlite3_bind_text(
	    st, 1, approve ? "approved" : "rejected", -1, SQLITE_STATIC);
	sqlite3_bind_text(
	    st, 2, reason != NULL ? reason : "", -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)now);
	sqlite3_bind_int64(st, 4, id);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)now);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		snprintf(why, len, "approvals: %s", sqlite3_errmsg(a->db));
		return CAIRN_ESYS;
	}
	if (sqlite3_changes(a->db) == 1)
		return CAIRN_OK;
	return ap_why_not(a, id, now, why, len);
}

cairn_err
crn_approvals_list(crn_approvals *a, bool all,
    void (*visit)(void *arg, const crn_approval *r), void *arg)
{
	sqlite3_stmt *st = NULL;
	cairn_err rv = CAIRN_ESYS;
	int rc;

	if (sqlite3_prepare_v2(a->db,
	        all ? "SELECT " AP_COLS " FROM approvals ORDER BY id"
	            : "SELECT " AP_COLS " FROM approvals WHERE state = 'pending' AND handled = 0 ORDER BY id",
	        -1, &st, NULL) != SQLITE_OK)
		goto out;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		crn_approval r;

		if ((rv = ap_row(st, &r)) != CAIRN_OK)
			goto out;
		visit(arg, &r);
		crn_approval_fini(&r);
	}
	rv = rc == SQLITE_DONE ? CAIRN_OK : CAIRN_ESYS;
out:
	if (rv == CAIRN_ESYS)
		crn_log_err("approvals: %s", sqlite3_errmsg(a->db));
	sqlite3_finalize(st);
	return rv;
}
