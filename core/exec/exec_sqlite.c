/*
 * exec_sqlite.c — the SQLite executor.
 *
 * The aggregation runs inside SQLite: one generated SELECT ... WHERE ...
 * GROUP BY returns, per group, count(*) and each measure's count, clipped
 * sum, sum of squares and clip count, plus per-column counts of values the
 * schema cannot represent (exec.c builds the SQL).
 *
 * Decimal columns may be stored as INTEGER (already whole) or REAL; both
 * are scaled to integers inside the query (round() is exact below 2^53)
 * and summed as 64-bit integers, so results are exact.  When 64-bit
 * arithmetic could overflow — a product the declared bounds allow to
 * exceed 2^63, which SQLite would silently turn into a float, or a sum()
 * that raises "integer overflow" — the executor streams the scaled rows
 * instead and aggregates them in C, in the ring.  Grouped plans
 * always stream (filter still pushed down into SQLite), see below.
 */
#include <string.h>

#include <sqlite3.h>

#include "base/crn.h"
#include "exec/exec.h"

static cairn_err
map_sqlite(crn_acc *acc, sqlite3 *db, int rc, const char *what)
{
	const char *msg = db != NULL ? sqlite3_errmsg(db) : sqlite3_errstr(rc);

	crn_acc_errf(acc, "sqlite %s: %s", what, msg);
	switch (rc & 0xff) {
	case SQLITE_NOMEM: return CAIRN_ENOMEM;
	case SQLITE_CANTOPEN: return CAIRN_ENOENT;
	case SQLITE_IOERR: return CAIRN_ESYS;
	case SQLITE_ERROR:
		if (strncmp(msg, "no such ", 8) == 0)
			return CAIRN_ENOENT;
		return CAIRN_EDATA;
	default: return CAIRN_EDATA;
	}
}

/* Run q; *overflow is set when SQLite reports integer overflow. */
static cairn_err
run_query(crn_acc *acc, sqlite3 *db, const crn_source *src, crn_sqlq *q,
    bool *overflow)
{
	sqlite3_stmt *st = NULL;
	crn_sqlval *vals = NULL;
	cairn_err rv = CAIRN_ENOMEM;
	int rc;

	*overflow = false;
	if ((vals = crn_zalloc(q->ncols * sizeof(*vals))) == NULL)
		goto out;
	crn_log_debug("sqlite query: %s", q->sql);
	rc = sqlite3_prepare_v2(db, q->sql, (int)q->len, &st, NULL);
	if (rc != SQLITE_OK) {
		rv = map_sqlite(acc, db, rc, "prepare");
		goto out;
	}
	for (size_t i = 0; i < q->nparams; i++) {
		const crn_sqlparam *p = &q->params[i];

		rc = p->is_text ? sqlite3_bind_text(st, (int)i + 1, p->text, -1,
		                      SQLITE_STATIC)
		                : sqlite3_bind_int64(st, (int)i + 1, p->num);
		if (rc != SQLITE_OK) {
			rv = map_sqlite(acc, db, rc, "bind");
			goto out;
		}
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		for (size_t i = 0; i < q->ncols; i++) {
			crn_sqlval *v = &vals[i];
			int t = sqlite3_column_type(st, (int)i);

			memset(v, 0, sizeof(*v));
			switch (t) {
			case SQLITE_NULL: v->null = true; break;
			case SQLITE_INTEGER:
				v->num = sqlite3_column_int64(st, (int)i);
				break;
			case SQLITE_TEXT:
				v->text = (const char *)sqlite3_column_text(
				    st, (int)i);
				v->textlen =
				    (size_t)sqlite3_column_bytes(st, (int)i);
				if (v->text == NULL) {
					rv = CAIRN_ENOMEM;
					goto out;
				}
				break;
			default:
				crn_acc_errf(acc,
				    "%s: unexpected %s result "
				    "in column %zu",
				    src->table,
				    t == SQLITE_FLOAT ? "real" : "blob", i + 1);
				rv = CAIRN_EDATA;
				goto out;
			}
		}
		if ((rv = crn_sqlq_row(q, acc, src, vals)) != CAIRN_OK)
			goto out;
	}
	if (rc != SQLITE_DONE) {
		if (strstr(sqlite3_errmsg(db), "integer overflow") != NULL)
			*overflow = true;
		rv = map_sqlite(acc, db, rc, "step");
		goto out;
	}
	rv = CAIRN_OK;
out:
	sqlite3_finalize(st);
	crn_free(vals, q->ncols * sizeof(*vals));
	return rv;
}

static cairn_err
run_mode(crn_acc *acc, sqlite3 *db, const crn_source *src, bool stream,
    bool *overflow)
{
	crn_sqlq q;
	cairn_err rv;

	*overflow = false;
	rv = crn_sqlq_build(&q, acc, src, CRN_SQL_SQLITE, stream, NULL);
	if (rv == CAIRN_ENOTSUP) {
		*overflow = true;
		return rv;
	}
	if (rv != CAIRN_OK)
		return rv;
	rv = run_query(acc, db, src, &q, overflow);
	crn_sqlq_fini(&q);
	return rv;
}

cairn_err
crn_exec_sqlite(crn_acc *acc, const crn_source *src)
{
	sqlite3 *db = NULL;
	bool overflow;
	cairn_err rv;
	int rc;

	if (src->path == NULL) {
		crn_acc_errf(acc, "SQLite source without a path");
		return CAIRN_ECONFIG;
	}
	rc = sqlite3_open_v2(
	    src->path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		rv = map_sqlite(acc, db, rc, "open");
		goto out;
	}
	sqlite3_busy_timeout(db, 5000);
	/* Without this SQLite reads a quoted identifier that names no
	 * column as a string literal, and a misnamed column would turn into
	 * a constant instead of an error. */
	(void)sqlite3_db_config(db, SQLITE_DBCONFIG_DQS_DML, 0, (int *)NULL);
	(void)sqlite3_db_config(db, SQLITE_DBCONFIG_DQS_DDL, 0, (int *)NULL);
	/* SQLite has no hash aggregation: GROUP BY sorts every matching
	 * row, which measured about twice as slow as stepping through the
	 * filtered rows and grouping them here.  Ungrouped plans aggregate
	 * inside SQLite. */
	rv = run_mode(acc, db, src, acc->plan->nkeys > 0 || acc->rowfn != NULL,
	    &overflow);
	if (rv != CAIRN_OK && overflow) {
		crn_log_info("sqlite: 64-bit sums could overflow; "
		             "aggregating the rows here instead");
		crn_acc_reset(acc);
		rv = run_mode(acc, db, src, true, &overflow);
	}
out:
	sqlite3_close(db);
	return rv;
}
