/*
 * exec_pg.c — the PostgreSQL executor (libpq).
 *
 * One generated SELECT ... WHERE ... GROUP BY runs inside a read-only
 * transaction; exec.c builds it from the plan and the node's own source
 * configuration, with every constant a bound parameter.  Numbers are
 * scaled through numeric (exact for numeric, integer and float8 columns:
 * float8 converts by its shortest decimal form) and summed as numeric, so
 * no sum can overflow whatever the table's size; the sums come back as
 * text and are parsed into 128-bit integers.
 */
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "base/crn.h"
#include "exec/exec.h"

/* libpq prints server notices to stderr by default; the library never
 * prints, so they go to the log. */
static void
pg_notice(void *arg, const char *msg)
{
	(void)arg;
	crn_log_debug("postgresql notice: %s", msg);
}

/* Map a failed result to a cairn_err by its SQLSTATE class. */
static cairn_err
map_pg(crn_acc *acc, PGconn *c, const PGresult *r, const char *what)
{
	const char *state =
	    r != NULL ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	const char *msg =
	    r != NULL ? PQresultErrorMessage(r) : PQerrorMessage(c);
	size_t n = strlen(msg);

	/* libpq messages end with a newline; keep ours on one line. */
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
		n--;
	crn_acc_errf(acc, "postgresql %s: %.*s", what, (int)n, msg);
	if (PQstatus(c) != CONNECTION_OK || state == NULL)
		return CAIRN_ECLOSED;
	if (strcmp(state, "42P01") == 0 || strcmp(state, "42703") == 0 ||
	    strcmp(state, "3F000") == 0)
		return CAIRN_ENOENT;
	if (strcmp(state, "42501") == 0)
		return CAIRN_EPERM;
	if (strncmp(state, "53", 2) == 0)
		return CAIRN_ENOMEM;
	if (strncmp(state, "57", 2) == 0)
		return CAIRN_ETIMEDOUT;
	return CAIRN_EDATA;
}

static cairn_err
pg_cmd(crn_acc *acc, PGconn *c, const char *sql)
{
	PGresult *r = PQexec(c, sql);
	cairn_err rv = CAIRN_OK;

	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		rv = map_pg(acc, c, r, sql);
	PQclear(r);
	return rv;
}

static cairn_err
consume(crn_acc *acc, const crn_source *src, crn_sqlq *q, PGresult *r)
{
	const crn_plan *p = acc->plan;
	crn_sqlval *vals;
	uint8_t *textcol = NULL;
	int nrows = PQntuples(r);
	cairn_err rv = CAIRN_OK;

	if ((size_t)PQnfields(r) != q->ncols) {
		crn_acc_errf(acc,
		    "postgresql: %d result columns, expected %zu",
		    PQnfields(r), q->ncols);
		return CAIRN_EINTERNAL;
	}
	if ((vals = crn_zalloc(q->ncols * sizeof(*vals))) == NULL)
		return CAIRN_ENOMEM;
	if (q->stream && (textcol = crn_zalloc(q->ncols)) == NULL) {
		crn_free(vals, q->ncols * sizeof(*vals));
		return CAIRN_ENOMEM;
	}
	/* Stream mode: a value and a bad flag per column read; categories
	 * come as their text. */
	for (size_t i = 0, k = 0; textcol != NULL && i < acc->ds->ncols; i++) {
		if (!acc->used[i])
			continue;
		if (k < q->ncols)
			textcol[k] =
			    acc->ds->cols[i].type == CRN_COL_CATEGORY;
		k += 2;
	}
	for (int row = 0; row < nrows && rv == CAIRN_OK; row++) {
		for (size_t i = 0; i < q->ncols; i++) {
			crn_sqlval *v = &vals[i];
			bool text = textcol != NULL
			                ? textcol[i] != 0
			                : i < p->nkeys && !p->keys[i].bucket;

			memset(v, 0, sizeof(*v));
			if (PQgetisnull(r, row, (int)i)) {
				v->null = true;
				continue;
			}
			v->text = PQgetvalue(r, row, (int)i);
			v->textlen = (size_t)PQgetlength(r, row, (int)i);
			if (!text &&
			    crn_exec_parse_i128(v->text, &v->num) != CAIRN_OK) {
				crn_acc_errf(acc,
				    "postgresql: result '%.40s' in column %zu is not an integer",
				    v->text, i + 1);
				rv = CAIRN_EDATA;
				break;
			}
		}
		if (rv == CAIRN_OK)
			rv = crn_sqlq_row(q, acc, src, vals);
	}
	crn_free(vals, q->ncols * sizeof(*vals));
	if (textcol != NULL)
		crn_free(textcol, q->ncols);
	return rv;
}

/*
 * Ask the catalog what the table's column types guarantee, so that the
 * query can skip per-row checks and numeric arithmetic where the type
 * already makes every value exact (integers; numeric with no more decimal
 * digits than the schema's scale).  A missing table is an error here; any
 * other failure only means no hints.
 */
static cairn_err
column_types(crn_acc *acc, PGconn *c, const crn_source *src, uint8_t *exact)
{
	static const char sql[] =
	    "SELECT a.attname, t.typname, CASE WHEN t.typname = 'numeric' AND a.atttypmod >= 4 THEN ((a.atttypmod - 4) & 65535) ELSE -1 END FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type t ON t.oid = a.atttypid WHERE a.attrelid = $1::text::regclass AND a.attnum > 0 AND NOT a.attisdropped";
	const crn_dataset *ds = acc->ds;
	const char *param;
	const char *state;
	PGresult *r = NULL;
	crn_sqlq t;
	cairn_err rv;

	if ((rv = crn_sqlq_table(&t, src->table)) != CAIRN_OK)
		return rv;
	param = t.sql;
	r = PQexecParams(c, sql, 1, NULL, &param, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
		if (state != NULL &&
		    (strcmp(state, "42P01") == 0 ||
		        strcmp(state, "3F000") == 0)) {
			rv = map_pg(acc, c, r, "table");
			goto out;
		}
		/* Without hints the query checks everything itself; the
		 * failed statement must not poison the transaction. */
		PQclear(r);
		r = NULL;
		rv = pg_cmd(acc, c, "ROLLBACK");
		if (rv == CAIRN_OK)
			rv = pg_cmd(acc, c, "BEGIN TRANSACTION READ ONLY");
		goto out;
	}
	for (int row = 0; row < PQntuples(r); row++) {
		const char *name = PQgetvalue(r, row, 0);
		const char *type = PQgetvalue(r, row, 1);
		long scale = strtol(PQgetvalue(r, row, 2), NULL, 10);

		for (size_t i = 0; i < ds->ncols; i++) {
			const crn_column *col = &ds->cols[i];

			if (!acc->used[i] || col->type == CRN_COL_CATEGORY ||
			    strcmp(crn_exec_local_name(src, col), name) != 0)
				continue;
			if (strcmp(type, "int2") == 0 ||
			    strcmp(type, "int4") == 0 ||
			    strcmp(type, "int8") == 0)
				exact[i] = CRN_SQL_EXACT_INT;
			else if (strcmp(type, "numeric") == 0 && scale >= 0 &&
			    scale <= (long)col->scale)
				exact[i] = CRN_SQL_EXACT_NUM;
		}
	}
	rv = CAIRN_OK;
out:
	PQclear(r);
	crn_sqlq_fini(&t);
	return rv;
}

/*
 * A data exception (SQLSTATE class 22) inside the query is a value that
 * does not convert, e.g. text that is not a number.  PostgreSQL names the
 * value but not the column: name the columns it can have come from.
 */
static void
name_suspects(crn_acc *acc, const crn_source *src, const PGresult *r,
    const uint8_t *exact)
{
	const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
	const crn_dataset *ds = acc->ds;
	const char *sep = " (in column ";
	size_t n;

	if (state == NULL || strncmp(state, "22", 2) != 0 || acc->err == NULL ||
	    acc->errlen == 0)
		return;
	for (size_t i = 0; i < ds->ncols; i++) {
		if (!acc->used[i] || ds->cols[i].type == CRN_COL_CATEGORY ||
		    exact[i] != CRN_SQL_EXACT_NONE)
			continue;
		n = strlen(acc->err);
		snprintf(acc->err + n, acc->errlen - n, "%s%s", sep,
		    crn_exec_local_name(src, &ds->cols[i]));
		sep = " or ";
	}
	n = strlen(acc->err);
	if (sep[1] == 'o')
		snprintf(acc->err + n, acc->errlen - n, ")");
}

/*
 * Stream mode (a row scan, crn_exec_rows): the rows come one at a time
 * (libpq's single-row mode), so a large table is never held whole.  Every
 * result is read to the end, even after an error, so that the connection
 * is left clean.
 */
static cairn_err
pg_stream(crn_acc *acc, PGconn *c, const crn_source *src, crn_sqlq *q,
    const char **values, const uint8_t *exact)
{
	PGresult *r;
	cairn_err rv = CAIRN_OK;

	if (!PQsendQueryParams(c, q->sql, (int)q->nparams, NULL, values, NULL,
	        NULL, 0) ||
	    !PQsetSingleRowMode(c))
		return map_pg(acc, c, NULL, "query");
	while ((r = PQgetResult(c)) != NULL) {
		ExecStatusType st = PQresultStatus(r);

		if (rv == CAIRN_OK && st == PGRES_SINGLE_TUPLE) {
			rv = consume(acc, src, q, r);
		} else if (rv == CAIRN_OK && st != PGRES_TUPLES_OK) {
			rv = map_pg(acc, c, r, "query");
			name_suspects(acc, src, r, exact);
		}
		PQclear(r);
	}
	return rv;
}

cairn_err
crn_exec_pg(crn_acc *acc, const crn_source *src)
{
	PGconn *c = NULL;
	PGresult *r = NULL;
	const char **values = NULL;
	uint8_t *exact = NULL;
	crn_sqlq q;
	bool in_tx = false;
	cairn_err rv;

	memset(&q, 0, sizeof(q));
	if (src->conninfo == NULL) {
		crn_acc_errf(acc, "PostgreSQL source without a conninfo");
		return CAIRN_ECONFIG;
	}
	if ((exact = crn_zalloc(acc->ds->ncols)) == NULL)
		return CAIRN_ENOMEM;
	rv = CAIRN_ENOMEM;
	if ((c = PQconnectdb(src->conninfo)) == NULL)
		goto out;
	if (PQstatus(c) != CONNECTION_OK) {
		rv = map_pg(acc, c, NULL, "connect");
		goto out;
	}
	PQsetNoticeProcessor(c, pg_notice, NULL);
	if (PQsetClientEncoding(c, "UTF8") != 0) {
		rv = map_pg(acc, c, NULL, "client encoding");
		goto out;
	}
	/* Read-only: the generated query only reads, and the transaction
	 * makes sure of it. */
	if ((rv = pg_cmd(acc, c, "BEGIN TRANSACTION READ ONLY")) != CAIRN_OK)
		goto out;
	in_tx = true;
	if ((rv = column_types(acc, c, src, exact)) != CAIRN_OK)
		goto out;
	rv = crn_sqlq_build(
	    &q, acc, src, CRN_SQL_PG, acc->rowfn != NULL, exact);
	if (rv != CAIRN_OK)
		goto out;
	rv = CAIRN_ENOMEM;
	if (q.nparams > 0 &&
	    (values = crn_zalloc(q.nparams * sizeof(*values))) == NULL)
		goto out;
	for (size_t i = 0; i < q.nparams; i++)
		values[i] =
		    q.params[i].is_text ? q.params[i].text : q.params[i].buf;
	crn_log_debug("postgresql query: %s", q.sql);
	if (q.stream) {
		rv = pg_stream(acc, c, src, &q, values, exact);
		goto out;
	}
	r = PQexecParams(c, q.sql, (int)q.nparams, NULL, values, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		rv = map_pg(acc, c, r, "query");
		name_suspects(acc, src, r, exact);
		goto out;
	}
	rv = consume(acc, src, &q, r);
out:
	PQclear(r);
	if (in_tx)
		PQclear(PQexec(c, "ROLLBACK"));
	PQfinish(c);
	crn_free(values, q.nparams * sizeof(*values));
	crn_sqlq_fini(&q);
	crn_free(exact, acc->ds->ncols);
	return rv;
}
