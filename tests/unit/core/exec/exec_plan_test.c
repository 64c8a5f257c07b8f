/*
 * exec_plan_test.c — a query end to end without the network: researcher
 * SQL -> planner -> each example agency's executor (CSV, and SQLite
 * copies of the same rows) -> the vectors summed in the ring -> the
 * result decoder, compared with SQLite answering the same question over
 * the three agencies' rows pooled in one table.  With CAIRN_PG_CONNINFO
 * (tests/integration/exec_pg.sh) the agencies also run on PostgreSQL
 * tables, one of them with loose column types.
 *
 * This checks that the planner, the executors and the decoder read the
 * plan.h contract the same way (group numbering, measure offsets, scales,
 * clipping, NULLs).
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>
#include <sqlite3.h>

#include "cairn_test.h"
#include "exec/exec.h"
#include "query/schema.h"
#include "query/sql_plan.h"
#include "query/sql_result.h"

typedef struct qcase {
	const char *sql; /* what the researcher sends */
	const char *ref; /* the same question for SQLite */
	size_t nkeys;    /* leading key columns in both */
} qcase;

static const qcase queries[] = {
    {"SELECT region, count(*), avg(wage) FROM cps WHERE education >= 12 GROUP BY region",
        "SELECT region, count(*), avg(wage) FROM cps WHERE education >= 12 GROUP BY region HAVING count(*) >= 5",
        1},
    {"SELECT sex, count(wage), sum(wage), avg(hours) FROM cps GROUP BY sex",
        "SELECT sex, count(wage), sum(wage), avg(hours) FROM cps GROUP BY sex HAVING count(*) >= 5",
        1},
    {"SELECT count(*), sum(age), avg(wage) FROM cps WHERE region IN ('north', 'west') AND NOT (hours < 30 OR wage IS NULL)",
        "SELECT count(*), sum(age), avg(wage) FROM cps WHERE region IN ('north', 'west') AND NOT (hours < 30 OR wage IS NULL)",
        0},
    {"SELECT region, sex, count(*), var_samp(wage), stddev_pop(hours) FROM cps WHERE age BETWEEN 25 AND 54 GROUP BY region, sex",
        "SELECT region, sex, count(*), (sum(wage * wage) - sum(wage) * sum(wage) / count(wage)) / (count(wage) - 1), sqrt((sum(hours * hours) - sum(hours) * sum(hours) / count(hours)) / count(hours)) FROM cps WHERE age BETWEEN 25 AND 54 GROUP BY region, sex HAVING count(*) >= 5",
        2},
    {"SELECT width_bucket(age, 20, 70, 5), count(*), avg(wage) FROM cps WHERE sex = 'female' GROUP BY width_bucket(age, 20, 70, 5)",
        "SELECT CASE WHEN age < 20 THEN 0 WHEN age >= 70 THEN 6 ELSE (age - 20) * 5 / 50 + 1 END AS b, count(*), avg(wage) FROM cps WHERE sex = 'female' GROUP BY b HAVING count(*) >= 5",
        1},
};

static char dir[256], dbpath[300];
static const char *pg_conninfo; /* CAIRN_PG_CONNINFO, or NULL */
static char pg_prefix[64];
static crn_schema *schema;
static const crn_dataset *cps;
static sqlite3 *ref;

static const crn_colmap map2[] = {
    {"wage", "hourly_wage"}, {"education", "years_schooling"}};

/*
 * Load one example CSV (the generator's simple dialect: no embedded
 * commas or newlines, optional quotes, CRLF or LF) into table `table` of
 * db, with the file's own column names.
 */
static void
load_csv(sqlite3 *db, const char *path, const char *table)
{
	FILE *f = fopen(path, "r");
	char line[512], sql[1024], *msg = NULL;
	sqlite3_stmt *st = NULL;
	bool header = true;

	assert_non_null(f);
	/* One transaction: not a sync per row. */
	assert_int_equal(
	    sqlite3_exec(db, "BEGIN", NULL, NULL, NULL), SQLITE_OK);
	while (fgets(line, sizeof(line), f) != NULL) {
		char *fields[8], *p = line;
		int n = 0;

		line[strcspn(line, "\r\n")] = '\0';
		while (n < 8) {
			char *e = strchr(p, ',');

			if (e != NULL)
				*e = '\0';
			if (p[0] == '"') {
				p++;
				p[strlen(p) - 1] = '\0';
			}
			fields[n++] = p;
			if (e == NULL)
				break;
			p = e + 1;
		}
		assert_int_equal(n, 6);
		if (header) {
			snprintf(sql, sizeof(sql),
			    "CREATE TABLE IF NOT EXISTS %s (%s INTEGER, %s INTEGER, %s REAL, %s REAL, %s TEXT, %s TEXT)",
			    table, fields[0], fields[1], fields[2], fields[3],
			    fields[4], fields[5]);
			if (sqlite3_exec(db, sql, NULL, NULL, &msg) !=
			    SQLITE_OK)
				fail_msg("%s: %s", sql, msg);
			snprintf(sql, sizeof(sql),
			    "INSERT INTO %s VALUES (?, ?, ?, ?, ?, ?)",
			    table);
			assert_int_equal(
			    sqlite3_prepare_v2(db, sql, -1, &st, NULL),
			    SQLITE_OK);
			header = false;
			continue;
		}
		sqlite3_bind_int64(st, 1, strtoll(fields[0], NULL, 10));
		sqlite3_bind_int64(st, 2, strtoll(fields[1], NULL, 10));
		if (fields[2][0] == '\0')
			sqlite3_bind_null(st, 3);
		else
			sqlite3_bind_double(st, 3, strtod(fields[2], NULL));
		sqlite3_bind_double(st, 4, strtod(fields[3], NULL));
		sqlite3_bind_text(st, 5, fields[4], -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 6, fields[5], -1, SQLITE_TRANSIENT);
		assert_int_equal(sqlite3_step(st), SQLITE_DONE);
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	assert_int_equal(
	    sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
	fclose(f);
}

static void
pg_exec(PGconn *c, const char *sql)
{
	PGresult *r = PQexec(c, sql);

	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		fprintf(stderr, "pg: %s: %s", sql, PQerrorMessage(c));
	PQclear(r);
}

/*
 * Copy the agencies' SQLite tables into PostgreSQL: agency 1 with exact
 * types, agency 2 with its own column names and loose types (float8,
 * text), agency 3 with numeric columns of no declared scale.
 */
static int
pg_load(sqlite3 *db)
{
	static const char *ddl[] = {
	    "(age int, education int, wage numeric(10,2), hours numeric(4,1), region text, sex text)",
	    "(age int, years_schooling int, hourly_wage float8, hours text, region varchar(8), sex text)",
	    "(age numeric, education int8, wage numeric, hours numeric, region text, sex text)",
	};
	PGconn *c = PQconnectdb(pg_conninfo);
	char sql[512];

	if (PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "pg: %s", PQerrorMessage(c));
		PQfinish(c);
		return -1;
	}
	snprintf(pg_prefix, sizeof(pg_prefix), "exec_plan_%ld", (long)getpid());
	pg_exec(c, "BEGIN");
	for (int a = 1; a <= 3; a++) {
		sqlite3_stmt *st;

		snprintf(sql, sizeof(sql), "CREATE TABLE %s_a%d %s", pg_prefix,
		    a, ddl[a - 1]);
		pg_exec(c, sql);
		snprintf(sql, sizeof(sql), "SELECT * FROM a%d", a);
		if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
			return -1;
		snprintf(sql, sizeof(sql),
		    "INSERT INTO %s_a%d VALUES ($1, $2, $3, $4, $5, $6)",
		    pg_prefix, a);
		while (sqlite3_step(st) == SQLITE_ROW) {
			const char *v[6];
			PGresult *r;

			for (int i = 0; i < 6; i++)
				v[i] = (const char *)sqlite3_column_text(st, i);
			r = PQexecParams(c, sql, 6, NULL, v, NULL, NULL, 0);
			if (PQresultStatus(r) != PGRES_COMMAND_OK) {
				fprintf(stderr, "pg: %s", PQerrorMessage(c));
				PQclear(r);
				return -1;
			}
			PQclear(r);
		}
		sqlite3_finalize(st);
	}
	pg_exec(c, "COMMIT");
	PQfinish(c);
	return 0;
}

static void
pg_drop(void)
{
	PGconn *c = PQconnectdb(pg_conninfo);
	char sql[256];

	snprintf(sql, sizeof(sql), "DROP TABLE IF EXISTS %s_a1, %s_a2, %s_a3",
	    pg_prefix, pg_prefix, pg_prefix);
	pg_exec(c, sql);
	PQfinish(c);
}

static int
setup(void **state)
{
	const char *src = getenv("CAIRN_SRC");
	char path[512], err[256];
	sqlite3 *db;

	(void)state;
	if (src == NULL)
		return 0;
	snprintf(path, sizeof(path), "%s/examples/schema/cps.ini", src);
	if (crn_schema_load(path, &schema, err, sizeof(err)) != CAIRN_OK) {
		fprintf(stderr, "schema: %s\n", err);
		return -1;
	}
	for (size_t i = 0; i < schema->ndatasets; i++)
		if (strcmp(schema->datasets[i].name, "cps") == 0)
			cps = &schema->datasets[i];
	if (cps == NULL)
		return -1;
	snprintf(dir, sizeof(dir), "%s", crn_t_tmpdir());
	snprintf(dbpath, sizeof(dbpath), "%s/agencies.db", dir);
	if (sqlite3_open(dbpath, &db) != SQLITE_OK ||
	    sqlite3_open(":memory:", &ref) != SQLITE_OK)
		return -1;
	for (int a = 1; a <= 3; a++) {
		char table[8];

		snprintf(path, sizeof(path), "%s/examples/data/agency%d.csv",
		    src, a);
		snprintf(table, sizeof(table), "a%d", a);
		load_csv(db, path, table);
		load_csv(ref, path, "cps");
	}
	pg_conninfo = getenv("CAIRN_PG_CONNINFO");
	if (pg_conninfo != NULL && pg_conninfo[0] == '\0')
		pg_conninfo = NULL;
	if (pg_conninfo != NULL && pg_load(db) != 0)
		return -1;
	sqlite3_close(db);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	if (pg_conninfo != NULL && pg_prefix[0] != '\0')
		pg_drop();
	crn_schema_free(schema);
	if (ref != NULL)
		sqlite3_close(ref);
	if (dir[0] != '\0')
		crn_t_rmtree(dir);
	return 0;
}

/* Run plan at every agency from `kind` sources; sum in the ring. */
static uint8_t *
federated_sum(const crn_plan *p, crn_source_kind kind, size_t *len)
{
	size_t esz = crn_exec_elem_size(p->ring_bits);
	unsigned __int128 *acc = calloc(p->dim, sizeof(*acc));
	uint8_t *out;

	assert_non_null(acc);
	for (int a = 1; a <= 3; a++) {
		crn_source src = {.kind = kind};
		crn_exec_stats st;
		char path[512], table[96], err[256];
		void *vec = NULL;

		if (kind == CRN_SRC_CSV) {
			snprintf(path, sizeof(path),
			    "%s/examples/data/agency%d.csv",
			    getenv("CAIRN_SRC"), a);
		} else if (kind == CRN_SRC_SQLITE) {
			snprintf(path, sizeof(path), "%s", dbpath);
			snprintf(table, sizeof(table), "a%d", a);
			src.table = table;
		} else {
			snprintf(table, sizeof(table), "%s_a%d", pg_prefix, a);
			src.table = table;
			src.conninfo = pg_conninfo;
		}
		src.path = path;
		if (a == 2) {
			src.map = map2;
			src.nmap = 2;
		}
		if (crn_exec_run(p, cps, &src, &vec, &st, err, sizeof(err)) !=
		    CAIRN_OK)
			fail_msg("agency %d: %s", a, err);
		for (uint64_t i = 0; i < p->dim; i++) {
			if (esz == 4)
				acc[i] += ((uint32_t *)vec)[i];
			else if (esz == 8)
				acc[i] += ((uint64_t *)vec)[i];
			else
				acc[i] += ((unsigned __int128 *)vec)[i];
		}
		crn_free(vec, p->dim * esz);
	}
	/* Little-endian ring elements, as the decoder takes them. */
	*len = p->dim * esz;
	out = malloc(*len);
	assert_non_null(out);
	for (uint64_t i = 0; i < p->dim; i++)
		for (size_t b = 0; b < esz; b++)
			out[i * esz + b] = (uint8_t)(acc[i] >> (8 * b));
	free(acc);
	return out;
}

static bool
cell_num(const crn_rcell *c, long double *v)
{
	if (c->kind == CRN_RCELL_EXACT) {
		*v = (long double)c->ival;
		for (uint32_t i = 0; i < c->scale; i++)
			*v /= 10;
		return true;
	}
	if (c->kind == CRN_RCELL_REAL) {
		*v = c->real;
		return true;
	}
	return false;
}

/* Does result row r hold the same keys as the reference row? */
static bool
same_keys(const crn_result *res, size_t r, sqlite3_stmt *st, size_t nkeys)
{
	for (size_t k = 0; k < nkeys; k++) {
		const crn_rcell *c = &res->cells[r * res->ncols + k];
		long double v;

		switch (sqlite3_column_type(st, (int)k)) {
		case SQLITE_NULL:
			if (c->kind != CRN_RCELL_NULL)
				return false;
			break;
		case SQLITE_TEXT:
			if (c->kind != CRN_RCELL_TEXT ||
			    strcmp(c->text,
			        (const char *)sqlite3_column_text(
			            st, (int)k)) != 0)
				return false;
			break;
		default:
			if (!cell_num(c, &v) ||
			    v != (long double)sqlite3_column_int64(st, (int)k))
				return false;
		}
	}
	return true;
}

static void
compare(const qcase *q, const crn_result *res)
{
	sqlite3_stmt *st;
	size_t nref = 0;
	int rc;

	if (sqlite3_prepare_v2(ref, q->ref, -1, &st, NULL) != SQLITE_OK)
		fail_msg("reference: %s", sqlite3_errmsg(ref));
	assert_int_equal((size_t)sqlite3_column_count(st), res->ncols);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		size_t r;

		nref++;
		for (r = 0; r < res->nrows; r++)
			if (same_keys(res, r, st, q->nkeys))
				break;
		if (r == res->nrows)
			fail_msg(
			    "%s: reference row %zu has no match", q->sql, nref);
		for (size_t c = q->nkeys; c < res->ncols; c++) {
			const crn_rcell *cell = &res->cells[r * res->ncols + c];
			long double got = 0, want;

			if (sqlite3_column_type(st, (int)c) == SQLITE_NULL) {
				assert_int_equal(cell->kind, CRN_RCELL_NULL);
				continue;
			}
			want = sqlite3_column_double(st, (int)c);
			if (!cell_num(cell, &got))
				fail_msg("%s: row %zu col %zu not a number",
				    q->sql, nref, c);
			if (fabsl(got - want) > 1e-7L * fmaxl(1, fabsl(want)))
				fail_msg("%s: row %zu col %zu: got %.10Lg, want %.10Lg",
				    q->sql, nref, c, got, want);
		}
	}
	assert_int_equal(rc, SQLITE_DONE);
	sqlite3_finalize(st);
	assert_true(nref > 0);
	assert_int_equal(res->nrows, nref);
}

static void
test_end_to_end(void **state)
{
	(void)state;
	if (schema == NULL)
		skip();
	for (size_t i = 0; i < CRN_NELEM(queries); i++) {
		const qcase *q = &queries[i];
		crn_plan *p = NULL;
		char err[256];

		if (crn_sql_plan(schema, q->sql, &p, err, sizeof(err)) !=
		    CAIRN_OK)
			fail_msg("plan %s: %s", q->sql, err);
		for (int k = CRN_SRC_CSV; k <= CRN_SRC_PG; k++) {
			crn_result *res = NULL;
			size_t len;
			uint8_t *sum;

			if (k == CRN_SRC_PG && pg_conninfo == NULL)
				continue;
			sum = federated_sum(p, (crn_source_kind)k, &len);

			CAIRN_T_PASS(
			    crn_sql_result_decode(p, sum, len, 3, &res));
			compare(q, res);
			crn_result_free(res);
			free(sum);
		}
		crn_plan_free(p);
	}
}

/* The executor refuses a plan whose column definitions are not the
 * node's (here: a coordinator that narrowed wage's bounds). */
static void
test_plan_columns_must_match(void **state)
{
	crn_plan *p = NULL;
	crn_source src = {
	    .kind = CRN_SRC_SQLITE, .path = dbpath, .table = "a1"};
	crn_exec_stats st;
	char err[256];
	void *vec = NULL;

	(void)state;
	if (schema == NULL)
		skip();
	CAIRN_T_PASS(crn_sql_plan(
	    schema, "SELECT sum(wage) FROM cps", &p, err, sizeof(err)));
	CAIRN_T_PASS(crn_exec_run(p, cps, &src, &vec, &st, err, sizeof(err)));
	crn_free(vec, p->dim * crn_exec_elem_size(p->ring_bits));
	vec = NULL;
	for (size_t i = 0; i < p->ncols; i++)
		if (strcmp(p->cols[i].name, "wage") == 0)
			p->cols[i].hi /= 2;
	CAIRN_T_FAIL(crn_exec_run(p, cps, &src, &vec, &st, err, sizeof(err)),
	    CAIRN_EINVAL);
	assert_null(vec);
	crn_plan_free(p);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_end_to_end),
    cmocka_unit_test(test_plan_columns_must_match),
};

int
main(void)
{
	crn_t_init();
	return cmocka_run_group_tests(tests, setup, teardown);
}
