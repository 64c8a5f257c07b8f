/*
 * exec_sources_test.c — the CSV, SQLite and PostgreSQL executors agree with
 * each other and with a reference computed here, row by row, from the same
 * generated dataset.
 *
 * PostgreSQL runs only when CAIRN_PG_CONNINFO names a server (see
 * tests/integration/exec_pg.sh, which starts a throwaway one); without it
 * the PostgreSQL case is skipped.
 *
 * CAIRN_TEST_TIMEOUT: 300
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

#define NROWS 2000

enum { C_REGION, C_SECTOR, C_AGE, C_WAGE, NCOLS };

typedef struct trow {
	int region; /* -1 = NULL */
	int sector;
	bool age_null, wage_null;
	int64_t age;
	int64_t wage; /* cents */
} trow;

static char *region_dom[] = {"North", "South", "East", "West"};
static char *sector_dom[] = {"Agri", "Industry", "Services"};

static crn_column cols[NCOLS] = {
    [C_REGION] = {.name = "region",
        .type = CRN_COL_CATEGORY,
        .domain = region_dom,
        .ndomain = 4,
        .nullable = true},
    [C_SECTOR] = {.name = "sector",
        .type = CRN_COL_CATEGORY,
        .domain = sector_dom,
        .ndomain = 3,
        .nullable = false},
    [C_AGE] = {.name = "age",
        .type = CRN_COL_INT,
        .lo = 16,
        .hi = 90,
        .nullable = true},
    [C_WAGE] = {.name = "wage",
        .type = CRN_COL_DECIMAL,
        .scale = 2,
        .lo = -100000,
        .hi = 2000000,
        .nullable = true},
};

static crn_dataset ds = {
    .name = "people", .cols = cols, .ncols = NCOLS, .max_rows = 100000};

static trow rows[NROWS];
static char tmpdir[256], csv_path[300], db_path[300];
static char pg_table[64], pg_loose[80];
static const char *pg_cur; /* the PostgreSQL table under test */
static const char *pg_conninfo;

/* CSV and SQLite call the region column by other names. */
static const crn_colmap csv_map[] = {{"region", "Region"}};
static const crn_colmap db_map[] = {{"region", "reg"}};

static uint64_t rng = 0x9e3779b97f4a7c15u;

static uint64_t
rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 2685821657736338717u;
}

static void
gen_rows(void)
{
	for (int i = 0; i < NROWS; i++) {
		trow *r = &rows[i];

		r->region = rnd() % 20 == 0 ? -1 : (int)(rnd() % 4);
		r->sector = (int)(rnd() % 3);
		r->age_null = rnd() % 17 == 0;
		r->age = 10 + (int64_t)(rnd() % 90); /* 10..99: some clip */
		r->wage_null = rnd() % 13 == 0;
		/* -2000.00 .. 24999.99, some below and above the bounds */
		r->wage = (int64_t)(rnd() % 2700000) - 200000;
		if (i % 50 == 0)
			r->wage -= r->wage % 100; /* whole units */
	}
}

static void
fmt_wage(char *b, size_t n, int64_t c, int style)
{
	int64_t a = c < 0 ? -c : c;

	if (style == 0 && a % 100 == 0)
		snprintf(
		    b, n, "%s%lld", c < 0 ? "-" : "", (long long)(a / 100));
	else if (style == 1 && a % 10 == 0)
		snprintf(b, n, "%s%lld.%lld", c < 0 ? "-" : "",
		    (long long)(a / 100), (long long)(a % 100 / 10));
	else
		snprintf(b, n, "%s%lld.%02lld%s", c < 0 ? "-" : "",
		    (long long)(a / 100), (long long)(a % 100),
		    style == 2 ? "0" : "");
}

static void
write_csv(void)
{
	FILE *f = fopen(csv_path, "w");

	assert_non_null(f);
	fprintf(f, "id,wage,age,Region,sector\n");
	for (int i = 0; i < NROWS; i++) {
		const trow *r = &rows[i];
		char w[40] = "";

		if (!r->wage_null)
			fmt_wage(w, sizeof(w), r->wage, i % 4);
		fprintf(f, "%d,%s,", i, w);
		if (!r->age_null)
			fprintf(f, "%lld", (long long)r->age);
		fprintf(f, ",");
		if (r->region >= 0)
			fprintf(f, i % 7 == 0 ? "\"%s\"" : "%s",
			    region_dom[r->region]);
		fprintf(f, ",%s%s", sector_dom[r->sector],
		    i % 11 == 0 ? "\r\n" : "\n");
	}
	assert_int_equal(fclose(f), 0);
}

static void
sqlite_ok(sqlite3 *db, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("sqlite: %s: %s", sql, msg);
}

static void
write_sqlite(void)
{
	sqlite3 *db;
	sqlite3_stmt *st;

	assert_int_equal(sqlite3_open(db_path, &db), SQLITE_OK);
	sqlite_ok(db,
	    "CREATE TABLE people (id INTEGER, reg TEXT, sector TEXT, age INTEGER, wage REAL); BEGIN");
	assert_int_equal(sqlite3_prepare_v2(db,
	                     "INSERT INTO people VALUES (?, ?, ?, ?, ?)",
	                     -1, &st, NULL),
	    SQLITE_OK);
	for (int i = 0; i < NROWS; i++) {
		const trow *r = &rows[i];

		sqlite3_bind_int(st, 1, i);
		if (r->region >= 0)
			sqlite3_bind_text(
			    st, 2, region_dom[r->region], -1, SQLITE_STATIC);
		else
			sqlite3_bind_null(st, 2);
		sqlite3_bind_text(
		    st, 3, sector_dom[r->sector], -1, SQLITE_STATIC);
		if (r->age_null)
			sqlite3_bind_null(st, 4);
		else
			sqlite3_bind_int64(st, 4, r->age);
		/* Whole wages go in as INTEGER, the rest as REAL: the
		 * executor must scale both exactly. */
		if (r->wage_null)
			sqlite3_bind_null(st, 5);
		else if (r->wage % 100 == 0)
			sqlite3_bind_int64(st, 5, r->wage / 100);
		else
			sqlite3_bind_double(st, 5, (double)r->wage / 100.0);
		assert_int_equal(sqlite3_step(st), SQLITE_DONE);
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
	}
	sqlite3_finalize(st);
	sqlite_ok(db, "COMMIT");
	sqlite3_close(db);
}

static void
pg_ok(PGconn *c, const char *sql)
{
	PGresult *r = PQexec(c, sql);

	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		fail_msg("pg: %s: %s", sql, PQerrorMessage(c));
	PQclear(r);
}

static void
write_pg(void)
{
	PGconn *c = PQconnectdb(pg_conninfo);
	char sql[256];

	if (PQstatus(c) != CONNECTION_OK)
		fail_msg("pg connect: %s", PQerrorMessage(c));
	snprintf(sql, sizeof(sql),
	    "CREATE TABLE %s (id int, reg text, sector text NOT NULL, age int, wage numeric(12,2))",
	    pg_table);
	pg_ok(c, "BEGIN");
	pg_ok(c, sql);
	/* The same rows with types that vouch for nothing: the executor
	 * must then check and scale every value itself. */
	snprintf(sql, sizeof(sql),
	    "CREATE TABLE %s_loose (id int, reg varchar(10), sector text, age numeric, wage float8)",
	    pg_table);
	pg_ok(c, sql);
	snprintf(sql, sizeof(sql),
	    "INSERT INTO %s VALUES ($1::int, $2, $3, $4::int, $5::numeric)",
	    pg_table);
	for (int i = 0; i < NROWS; i++) {
		const trow *r = &rows[i];
		char id[16], age[24], wage[40];
		const char *v[5];
		PGresult *res;

		snprintf(id, sizeof(id), "%d", i);
		snprintf(age, sizeof(age), "%lld", (long long)r->age);
		fmt_wage(wage, sizeof(wage), r->wage, i % 4);
		v[0] = id;
		v[1] = r->region >= 0 ? region_dom[r->region] : NULL;
		v[2] = sector_dom[r->sector];
		v[3] = r->age_null ? NULL : age;
		v[4] = r->wage_null ? NULL : wage;
		res = PQexecParams(c, sql, 5, NULL, v, NULL, NULL, 0);
		if (PQresultStatus(res) != PGRES_COMMAND_OK)
			fail_msg("pg insert: %s", PQerrorMessage(c));
		PQclear(res);
	}
	snprintf(sql, sizeof(sql), "INSERT INTO %s_loose SELECT * FROM %s",
	    pg_table, pg_table);
	pg_ok(c, sql);
	pg_ok(c, "COMMIT");
	PQfinish(c);
}

static void
drop_pg(void)
{
	PGconn *c = PQconnectdb(pg_conninfo);
	char sql[256];

	if (PQstatus(c) == CONNECTION_OK) {
		snprintf(sql, sizeof(sql),
		    "DROP TABLE IF EXISTS %s, %s_loose",
		    pg_table, pg_table);
		PQclear(PQexec(c, sql));
	}
	PQfinish(c);
}

static int
setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "%s", crn_t_tmpdir());
	snprintf(csv_path, sizeof(csv_path), "%s/people.csv", tmpdir);
	snprintf(db_path, sizeof(db_path), "%s/people.db", tmpdir);
	gen_rows();
	write_csv();
	write_sqlite();
	pg_conninfo = getenv("CAIRN_PG_CONNINFO");
	if (pg_conninfo != NULL && pg_conninfo[0] == '\0')
		pg_conninfo = NULL;
	if (pg_conninfo != NULL) {
		snprintf(pg_table, sizeof(pg_table), "exec_people_%ld",
		    (long)getpid());
		snprintf(pg_loose, sizeof(pg_loose), "%s_loose", pg_table);
		pg_cur = pg_table;
		write_pg();
	}
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	if (pg_conninfo != NULL)
		drop_pg();
	crn_t_rmtree(tmpdir);
	return 0;
}

/* ---- the reference: plain C over the generated rows ------------------- */

/* A row's value of a column as (null, scaled number or index). */
static bool
ref_get(const trow *r, uint32_t col, int64_t *v)
{
	switch (col) {
	case C_REGION: *v = r->region; return r->region < 0;
	case C_SECTOR: *v = r->sector; return false;
	case C_AGE: *v = r->age; return r->age_null;
	default: *v = r->wage; return r->wage_null;
	}
}

typedef struct tcase {
	const char *name;
	crn_groupkey keys[2];
	size_t nkeys;
	uint32_t mcol[3];
	bool msq[3];
	size_t nms;
	crn_expr where;
	/* The filter by hand: true only when SQL would say TRUE. */
	bool (*pred)(const trow *r);
	uint32_t ring;
} tcase;

static bool
p_all(const trow *r)
{
	(void)r;
	return true;
}
static bool
p_eq(const trow *r)
{
	return !r->age_null && r->age == 40;
}
static bool
p_ne(const trow *r)
{
	return !r->age_null && r->age != 40;
}
static bool
p_lt(const trow *r)
{
	return !r->age_null && r->age < 40;
}
static bool
p_le(const trow *r)
{
	return !r->age_null && r->age <= 40;
}
static bool
p_gt(const trow *r)
{
	return !r->age_null && r->age > 40;
}
static bool
p_ge(const trow *r)
{
	return !r->age_null && r->age >= 40;
}

static bool
p_in(const trow *r)
{
	return r->region == 0 || r->region == 3;
}

static bool
p_between(const trow *r)
{
	return !r->wage_null && r->wage >= 100000 && r->wage <= 300000;
}

static bool
p_isnull(const trow *r)
{
	return r->age_null;
}
static bool
p_notnull(const trow *r)
{
	return !r->wage_null;
}

static bool
p_not_or(const trow *r)
{
	/* NOT (age > 40 OR region = 'South'): TRUE only when both
	 * disjuncts are known and false. */
	return !r->age_null && r->age <= 40 && r->region >= 0 && r->region != 1;
}

static bool
p_and_or(const trow *r)
{
	bool neg = !r->wage_null && r->wage < 0;
	bool old = !r->age_null && r->age >= 65;

	return r->sector != 0 && (neg || old);
}

static bool
p_cat_lt(const trow *r)
{
	return r->region >= 0 && r->region < 2;
}

#define V1(x)                                                                  \
	(crn_value[])                                                          \
	{                                                                      \
		{                                                              \
			.num = (x), .cat = 0                                   \
		}                                                              \
	}
#define CMP_AGE(o)                                                             \
	{                                                                      \
		.kind = CRN_EX_CMP, .op = (o), .col = C_AGE, .vals = V1(40),   \
		.nvals = 1                                                     \
	}

static const crn_groupkey k_region = {.col = C_REGION, .card = 5};
static const crn_groupkey k_sector = {.col = C_SECTOR, .card = 3};
static const crn_groupkey k_agebkt = {
    .col = C_AGE, .bucket = true, .lo = 20, .hi = 70, .nbuckets = 5, .card = 8};

static tcase cases[] = {
    {.name = "count_star", .pred = p_all, .ring = 64},
    {.name = "measures",
        .mcol = {C_WAGE, C_AGE},
        .msq = {true},
        .nms = 2,
        .pred = p_all,
        .ring = 128},
    {.name = "by_region",
        .keys = {k_region},
        .nkeys = 1,
        .mcol = {C_WAGE},
        .msq = {true},
        .nms = 1,
        .pred = p_all,
        .ring = 64},
    {.name = "by_region_bucket",
        .keys = {k_region, k_agebkt},
        .nkeys = 2,
        .mcol = {C_WAGE, C_AGE},
        .msq = {true, true},
        .nms = 2,
        .pred = p_all,
        .ring = 64},
    {.name = "eq",
        .where = CMP_AGE(CRN_OP_EQ),
        .mcol = {C_WAGE},
        .nms = 1,
        .pred = p_eq,
        .ring = 64},
    {.name = "ne",
        .where = CMP_AGE(CRN_OP_NE),
        .mcol = {C_WAGE},
        .nms = 1,
        .pred = p_ne,
        .ring = 64},
    {.name = "lt",
        .where = CMP_AGE(CRN_OP_LT),
        .mcol = {C_WAGE},
        .nms = 1,
        .pred = p_lt,
        .ring = 64},
    {.name = "le",
        .where = CMP_AGE(CRN_OP_LE),
        .keys = {k_sector},
        .nkeys = 1,
        .mcol = {C_WAGE},
        .nms = 1,
        .pred = p_le,
        .ring = 64},
    {.name = "gt",
        .where = CMP_AGE(CRN_OP_GT),
        .mcol = {C_WAGE},
        .nms = 1,
        .pred = p_gt,
        .ring = 32},
    {.name = "ge",
        .where = CMP_AGE(CRN_OP_GE),
        .mcol = {C_WAGE},
        .msq = {true},
        .nms = 1,
        .pred = p_ge,
        .ring = 128},
    {.name = "in",
        .where = {.kind = CRN_EX_IN,
            .col = C_REGION,
            .vals = (crn_value[]){{.cat = 0}, {.cat = 3}},
            .nvals = 2},
        .keys = {k_sector},
        .nkeys = 1,
        .mcol = {C_AGE},
        .nms = 1,
        .pred = p_in,
        .ring = 64},
    {.name = "between",
        .where = {.kind = CRN_EX_BETWEEN,
            .col = C_WAGE,
            .vals = (crn_value[]){{.num = 100000}, {.num = 300000}},
            .nvals = 2},
        .keys = {k_agebkt},
        .nkeys = 1,
        .mcol = {C_WAGE},
        .msq = {true},
        .nms = 1,
        .pred = p_between,
        .ring = 64},
    {.name = "isnull",
        .where = {.kind = CRN_EX_ISNULL, .col = C_AGE},
        .mcol = {C_WAGE},
        .nms = 1,
        .pred = p_isnull,
        .ring = 64},
    {.name = "notnull",
        .where = {.kind = CRN_EX_NOTNULL, .col = C_WAGE},
        .keys = {k_region},
        .nkeys = 1,
        .mcol = {C_AGE},
        .nms = 1,
        .pred = p_notnull,
        .ring = 64},
    {.name = "not_or",
        .where = {.kind = CRN_EX_NOT,
            .nkids = 1,
            .kids = (crn_expr[]){{.kind = CRN_EX_OR,
                .nkids = 2,
                .kids = (crn_expr[]){CMP_AGE(CRN_OP_GT),
                    {.kind = CRN_EX_CMP,
                        .op = CRN_OP_EQ,
                        .col = C_REGION,
                        .vals = (crn_value[]){{.cat = 1}},
                        .nvals = 1}}}}},
        .mcol = {C_WAGE},
        .msq = {true},
        .nms = 1,
        .pred = p_not_or,
        .ring = 64},
    {.name = "and_or",
        .where = {.kind = CRN_EX_AND,
            .nkids = 2,
            .kids = (crn_expr[]){{.kind = CRN_EX_CMP,
                                     .op = CRN_OP_NE,
                                     .col = C_SECTOR,
                                     .vals = (crn_value[]){{.cat = 0}},
                                     .nvals = 1},
                {.kind = CRN_EX_OR,
                    .nkids = 2,
                    .kids = (crn_expr[]){{.kind = CRN_EX_CMP,
                                             .op = CRN_OP_LT,
                                             .col = C_WAGE,
                                             .vals = V1(0),
                                             .nvals = 1},
                        {.kind = CRN_EX_CMP,
                            .op = CRN_OP_GE,
                            .col = C_AGE,
                            .vals = V1(65),
                            .nvals = 1}}}}},
        .keys = {k_region},
        .nkeys = 1,
        .mcol = {C_WAGE},
        .msq = {true},
        .nms = 1,
        .pred = p_and_or,
        .ring = 32},
    {.name = "cat_lt",
        .where = {.kind = CRN_EX_CMP,
            .op = CRN_OP_LT,
            .col = C_REGION,
            .vals = (crn_value[]){{.cat = 2}},
            .nvals = 1},
        .mcol = {C_AGE},
        .nms = 1,
        .pred = p_cat_lt,
        .ring = 64},
};

static void
make_plan(crn_plan *p, crn_measure *ms, tcase *tc)
{
	uint32_t off = 0;

	memset(p, 0, sizeof(*p));
	p->dataset = "people";
	p->where = tc->where;
	p->keys = tc->keys;
	p->nkeys = tc->nkeys;
	p->ngroups = 1;
	for (size_t i = 0; i < tc->nkeys; i++)
		p->ngroups *= tc->keys[i].card;
	for (size_t i = 0; i < tc->nms; i++) {
		ms[i].col = tc->mcol[i];
		ms[i].need_sumsq = tc->msq[i];
		ms[i].offset = off;
		off += tc->msq[i] ? 4 : 3;
	}
	p->measures = ms;
	p->nmeasures = tc->nms;
	p->per_group = 1 + off;
	p->dim = p->ngroups * p->per_group;
	p->ring_bits = tc->ring;
	p->limit = -1;
}

static uint64_t
ref_key(const crn_groupkey *k, const trow *r)
{
	int64_t v;

	if (ref_get(r, k->col, &v))
		return k->card - 1;
	if (!k->bucket)
		return (uint64_t)v;
	if (v < k->lo)
		return 0;
	if (v >= k->hi)
		return k->nbuckets + 1;
	return (uint64_t)floor((double)(v - k->lo) * k->nbuckets /
	           (double)(k->hi - k->lo)) +
	    1;
}

static unsigned __int128 *
ref_vector(
    const crn_plan *p, const tcase *tc, uint64_t *matched, uint64_t *clipped)
{
	unsigned __int128 *s = calloc(p->dim, sizeof(*s));

	assert_non_null(s);
	*matched = *clipped = 0;
	for (int i = 0; i < NROWS; i++) {
		const trow *r = &rows[i];
		uint64_t g = 0;

		if (!tc->pred(r))
			continue;
		(*matched)++;
		for (size_t k = 0; k < p->nkeys; k++)
			g = g * p->keys[k].card + ref_key(&p->keys[k], r);
		s[g * p->per_group] += 1;
		for (size_t m = 0; m < p->nmeasures; m++) {
			const crn_column *c = &cols[p->measures[m].col];
			unsigned __int128 *b =
			    &s[g * p->per_group + 1 + p->measures[m].offset];
			int64_t v;

			if (ref_get(r, p->measures[m].col, &v))
				continue;
			b[0] += 1;
			if (v < c->lo || v > c->hi) {
				v = v < c->lo ? c->lo : c->hi;
				b[p->measures[m].need_sumsq ? 3 : 2] += 1;
				(*clipped)++;
			}
			b[1] += (unsigned __int128)(__int128)v;
			if (p->measures[m].need_sumsq)
				b[2] += (unsigned __int128)((__int128)v * v);
		}
	}
	return s;
}

static void
check_vec(const char *what, const crn_plan *p, const void *vec,
    const unsigned __int128 *ref)
{
	for (uint64_t i = 0; i < p->dim; i++) {
		unsigned __int128 got;

		if (p->ring_bits == 32) {
			got = ((const uint32_t *)vec)[i];
			if (got != (uint32_t)ref[i])
				goto bad;
		} else if (p->ring_bits == 64) {
			got = ((const uint64_t *)vec)[i];
			if (got != (uint64_t)ref[i])
				goto bad;
		} else {
			got = ((const unsigned __int128 *)vec)[i];
			if (got != ref[i])
				goto bad;
		}
		continue;
	bad:
		fail_msg("%s: element %llu: got %llu, want %llu", what,
		    (unsigned long long)i, (unsigned long long)got,
		    (unsigned long long)ref[i]);
	}
}

static void
source_for(crn_source *src, crn_source_kind kind)
{
	memset(src, 0, sizeof(*src));
	src->kind = kind;
	if (kind == CRN_SRC_CSV) {
		src->path = csv_path;
		src->map = csv_map;
		src->nmap = 1;
	} else {
		src->path = db_path;
		src->conninfo = pg_conninfo;
		src->table = kind == CRN_SRC_PG ? pg_cur : "people";
		src->map = db_map;
		src->nmap = 1;
	}
}

static const char *kind_name[] = {"", "csv", "sqlite", "pg"};

static void
run_cases(crn_source_kind kind)
{
	for (size_t t = 0; t < CRN_NELEM(cases); t++) {
		tcase *tc = &cases[t];
		crn_measure ms[3];
		crn_plan p;
		crn_source src;
		crn_exec_stats st;
		unsigned __int128 *ref;
		uint64_t matched, clipped;
		char err[256], what[64];
		void *vec = NULL;

		make_plan(&p, ms, tc);
		source_for(&src, kind);
		ref = ref_vector(&p, tc, &matched, &clipped);
		snprintf(
		    what, sizeof(what), "%s/%s", kind_name[kind], tc->name);
		if (crn_exec_run(&p, &ds, &src, &vec, &st, err, sizeof(err)) !=
		    CAIRN_OK)
			fail_msg("%s: %s", what, err);
		check_vec(what, &p, vec, ref);
		assert_int_equal(st.rows_matched, matched);
		assert_int_equal(st.clipped, clipped);
		if (kind == CRN_SRC_CSV)
			assert_int_equal(st.rows_scanned, NROWS);
		/* The reference must not be trivial. */
		assert_true(matched > 0);
		crn_free(vec, p.dim * crn_exec_elem_size(p.ring_bits));
		free(ref);
	}
}

static void
test_csv_matches_reference(void **state)
{
	(void)state;
	run_cases(CRN_SRC_CSV);
}

static void
test_sqlite_matches_reference(void **state)
{
	(void)state;
	run_cases(CRN_SRC_SQLITE);
}

static void
test_pg_matches_reference(void **state)
{
	(void)state;
	if (pg_conninfo == NULL)
		skip();
	pg_cur = pg_table;
	run_cases(CRN_SRC_PG);
	pg_cur = pg_loose;
	run_cases(CRN_SRC_PG);
	pg_cur = pg_table;
}

/* Bounds so wide that 64-bit squares could overflow: SQLite must fall
 * back to streaming rows, and every source must still agree. */
static void
test_wide_bounds(void **state)
{
	crn_column wide[NCOLS];
	crn_dataset wds = ds;
	tcase *tc = &cases[3];
	crn_measure ms[3];
	crn_plan p;
	unsigned __int128 *ref;
	uint64_t matched, clipped;

	(void)state;
	memcpy(wide, cols, sizeof(wide));
	wide[C_WAGE].lo = -(INT64_C(1) << 40);
	wide[C_WAGE].hi = INT64_C(1) << 40;
	wds.cols = wide;
	make_plan(&p, ms, tc);
	p.ring_bits = 128;
	/* Reference with the original clip bounds would differ: compute it
	 * against the wide schema by swapping the columns in. */
	memcpy(cols, wide, sizeof(wide));
	ref = ref_vector(&p, tc, &matched, &clipped);
	for (int k = CRN_SRC_CSV; k <= CRN_SRC_PG; k++) {
		crn_source src;
		crn_exec_stats st;
		char err[256];
		void *vec = NULL;

		if (k == CRN_SRC_PG && pg_conninfo == NULL)
			continue;
		source_for(&src, (crn_source_kind)k);
		if (crn_exec_run(&p, &wds, &src, &vec, &st, err, sizeof(err)) !=
		    CAIRN_OK)
			fail_msg("%s: %s", kind_name[k], err);
		check_vec(kind_name[k], &p, vec, ref);
		assert_int_equal(st.rows_matched, matched);
		assert_int_equal(st.clipped, clipped);
		crn_free(vec, p.dim * 16);
	}
	free(ref);
	wide[C_WAGE].lo = -100000;
	wide[C_WAGE].hi = 2000000;
	memcpy(cols, wide, sizeof(wide));
}

/* More matching rows than max_rows could wrap the ring: refused. */
static void
test_max_rows(void **state)
{
	crn_dataset small = ds;
	crn_measure ms[3];
	crn_plan p;

	(void)state;
	small.max_rows = 100;
	make_plan(&p, ms, &cases[2]);
	for (int k = CRN_SRC_CSV; k <= CRN_SRC_PG; k++) {
		crn_source src;
		crn_exec_stats st;
		char err[256];
		void *vec = NULL;

		if (k == CRN_SRC_PG && pg_conninfo == NULL)
			continue;
		source_for(&src, (crn_source_kind)k);
		CAIRN_T_FAIL(
		    crn_exec_run(&p, &small, &src, &vec, &st, err, sizeof(err)),
		    CAIRN_ERANGE);
		assert_null(vec);
	}
}

/* A column the plan needs that the source lacks, or a missing table. */
static void
test_missing(void **state)
{
	crn_measure ms[3];
	crn_plan p;
	crn_source src;
	crn_exec_stats st;
	char err[256];
	void *vec = NULL;

	(void)state;
	make_plan(&p, ms, &cases[2]);
	for (int k = CRN_SRC_CSV; k <= CRN_SRC_PG; k++) {
		if (k == CRN_SRC_PG && pg_conninfo == NULL)
			continue;
		source_for(&src, (crn_source_kind)k);
		src.nmap = 0; /* "region" is not what the source calls it */
		CAIRN_T_FAIL(
		    crn_exec_run(&p, &ds, &src, &vec, &st, err, sizeof(err)),
		    CAIRN_ENOENT);
		assert_non_null(strstr(err, "region"));
		if (k == CRN_SRC_CSV)
			continue;
		source_for(&src, (crn_source_kind)k);
		src.table = "no_such_table";
		CAIRN_T_FAIL(
		    crn_exec_run(&p, &ds, &src, &vec, &st, err, sizeof(err)),
		    CAIRN_ENOENT);
	}
	source_for(&src, CRN_SRC_CSV);
	src.path = "/nonexistent/people.csv";
	CAIRN_T_FAIL(crn_exec_run(&p, &ds, &src, &vec, &st, err, sizeof(err)),
	    CAIRN_ENOENT);
}

/* Inconsistent plans are refused before any data is read. */
static void
test_bad_plan(void **state)
{
	crn_measure ms[3];
	crn_plan p;
	crn_source src;
	crn_exec_stats st;
	char err[256];
	void *vec = NULL;

	(void)state;
	source_for(&src, CRN_SRC_CSV);
	make_plan(&p, ms, &cases[3]);
	p.dim--;
	CAIRN_T_FAIL(crn_exec_run(&p, &ds, &src, &vec, &st, err, sizeof(err)),
	    CAIRN_EINVAL);
	make_plan(&p, ms, &cases[3]);
	p.ring_bits = 48;
	CAIRN_T_FAIL(crn_exec_run(&p, &ds, &src, &vec, &st, err, sizeof(err)),
	    CAIRN_EINVAL);
	make_plan(&p, ms, &cases[2]);
	ms[0].col = C_REGION; /* a measure over a category */
	CAIRN_T_FAIL(crn_exec_run(&p, &ds, &src, &vec, &st, err, sizeof(err)),
	    CAIRN_EINVAL);
	make_plan(&p, ms, &cases[2]);
	p.dataset = "other";
	CAIRN_T_FAIL(crn_exec_run(&p, &ds, &src, &vec, &st, err, sizeof(err)),
	    CAIRN_EINVAL);
	make_plan(&p, ms, &cases[2]);
	p.keys = (crn_groupkey[]){{.col = C_REGION, .card = 4}};
	CAIRN_T_FAIL(crn_exec_run(&p, &ds, &src, &vec, &st, err, sizeof(err)),
	    CAIRN_EINVAL);
	assert_null(vec);
}

/* ---- values the schema cannot represent, in a database ---------------- */

typedef struct bad_db_case {
	const char *sqlite_row; /* an SQL VALUES tuple for SQLite */
	const char *pg_row;     /* the same for PostgreSQL (all text) */
	bool grouped;           /* GROUP BY region, sector */
	bool filter_ne;         /* WHERE region <> 'North' */
	const char *says;
} bad_db_case;

static const bad_db_case bad_db[] = {
    {"('North', 'Agri', 30, 'abc')", "('North','Agri','30','abc')", false,
        false, "wage"},
    {"('North', 'Agri', 30, 'abc')", "('North','Agri','30','abc')", true, false,
        "wage"},
    {"('North', 'Agri', 30, 12.345)", "('North','Agri','30','12.345')", false,
        false, "wage"},
    {"('North', 'Agri', 30, 12.345)", "('North','Agri','30','12.345')", true,
        false, "wage"},
    {"('North', 'Agri', 42.5, 1)", "('North','Agri','42.5','1')", false, false,
        "age"},
    {"('Nowhere', 'Agri', 30, 1)", "('Nowhere','Agri','30','1')", true, false,
        "Nowhere"},
    {"('Nowhere', 'Agri', 30, 1)", "('Nowhere','Agri','30','1')", false, true,
        "reg"},
    {"('North', NULL, 30, 1)", "('North',NULL,'30','1')", true, false,
        "sector"},
};

static void
bad_plan(
    crn_plan *p, crn_measure *ms, crn_groupkey *keys, const bad_db_case *bc)
{
	static crn_value north[] = {{.cat = 0}};
	static crn_expr ne = {.kind = CRN_EX_CMP,
	    .op = CRN_OP_NE,
	    .col = C_REGION,
	    .vals = north,
	    .nvals = 1};

	memset(p, 0, sizeof(*p));
	keys[0] = k_region;
	keys[1] = k_sector;
	ms[0] = (crn_measure){.col = C_WAGE, .need_sumsq = true};
	ms[1] = (crn_measure){.col = C_AGE, .offset = 4};
	p->keys = keys;
	p->nkeys = bc->grouped ? 2 : 0;
	p->ngroups = bc->grouped ? 15 : 1;
	p->measures = ms;
	p->nmeasures = 2;
	p->per_group = 8;
	p->dim = p->ngroups * 8;
	p->ring_bits = 64;
	if (bc->filter_ne)
		p->where = ne;
}

static void
test_db_bad_values(void **state)
{
	(void)state;
	for (size_t i = 0; i < CRN_NELEM(bad_db); i++) {
		const bad_db_case *bc = &bad_db[i];
		crn_groupkey keys[2];
		crn_measure ms[2];
		crn_plan p;
		crn_source src;
		crn_exec_stats st;
		char path[320], sql[512], err[512], *msg = NULL;
		void *vec = NULL;
		sqlite3 *db;
		cairn_err rv;

		bad_plan(&p, ms, keys, bc);
		snprintf(path, sizeof(path), "%s/bad%zu.db", tmpdir, i);
		assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
		snprintf(sql, sizeof(sql),
		    "CREATE TABLE bad (reg TEXT, sector TEXT, age, wage); INSERT INTO bad VALUES ('South', 'Agri', 40, 10.5), %s",
		    bc->sqlite_row);
		if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
			fail_msg("%s", msg);
		sqlite3_close(db);
		src = (crn_source){.kind = CRN_SRC_SQLITE,
		    .path = path,
		    .table = "bad",
		    .map = db_map,
		    .nmap = 1};
		rv = crn_exec_run(&p, &ds, &src, &vec, &st, err, sizeof(err));
		if (rv != CAIRN_EDATA || strstr(err, bc->says) == NULL)
			fail_msg("sqlite case %zu: %d '%s'", i, rv, err);
		assert_null(vec);
		if (pg_conninfo == NULL)
			continue;
		{
			PGconn *c = PQconnectdb(pg_conninfo);
			char table[96];

			snprintf(
			    table, sizeof(table), "%s_bad%zu", pg_table, i);
			snprintf(sql, sizeof(sql),
			    "CREATE TABLE %s (reg text, sector text, age text, wage text); INSERT INTO %s VALUES ('South','Agri','40','10.5'), %s",
			    table, table, bc->pg_row);
			pg_ok(c, sql);
			src = (crn_source){.kind = CRN_SRC_PG,
			    .conninfo = pg_conninfo,
			    .table = table,
			    .map = db_map,
			    .nmap = 1};
			rv = crn_exec_run(
			    &p, &ds, &src, &vec, &st, err, sizeof(err));
			snprintf(sql, sizeof(sql), "DROP TABLE %s", table);
			pg_ok(c, sql);
			PQfinish(c);
			if (rv != CAIRN_EDATA || strstr(err, bc->says) == NULL)
				fail_msg("pg case %zu: %d '%s'", i, rv, err);
			assert_null(vec);
		}
	}
}

/* Identifiers with quotes, spaces and dots are quoted, never spliced:
 * the odd names below come from the node's own configuration. */
static void
test_odd_identifiers(void **state)
{
	static const crn_colmap odd_map[] = {
	    {"region", "reg\"ion; --"}, {"wage", "wa ge"}, {"age", "a.ge"}};
	crn_measure ms[3];
	crn_plan p;
	crn_source src;
	crn_exec_stats st;
	char path[320], err[256], *msg = NULL;
	static char pg_odd[128];
	uint64_t *v = NULL;
	sqlite3 *db;

	(void)state;
	make_plan(&p, ms, &cases[15]); /* and_or: GROUP BY region */
	p.ring_bits = 64;
	snprintf(path, sizeof(path), "%s/odd.db", tmpdir);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	if (sqlite3_exec(db,
	        "CREATE TABLE \"odd \"\"t\"\"\" (\"reg\"\"ion; --\" TEXT, sector TEXT, \"a.ge\" INTEGER, \"wa ge\" REAL); INSERT INTO \"odd \"\"t\"\"\" VALUES ('South', 'Industry', 70, -5.25), ('South', 'Agri', 70, -1), (NULL, 'Services', 20, -2), ('West', 'Services', 80, NULL)",
	        NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s", msg);
	sqlite3_close(db);
	src = (crn_source){.kind = CRN_SRC_SQLITE,
	    .path = path,
	    .table = "odd \"t\"",
	    .map = odd_map,
	    .nmap = 3};
	for (int round = 0; round < 2; round++) {
		if (round == 1) {
			PGconn *c;
			char sql[600];

			if (pg_conninfo == NULL)
				break;
			/* "schema.table": both parts quoted apart. */
			c = PQconnectdb(pg_conninfo);
			snprintf(sql, sizeof(sql),
			    "CREATE SCHEMA \"s \"\"%s\"; CREATE TABLE \"s \"\"%s\".\"odd \"\"t\"\"\" (\"reg\"\"ion; --\" text, sector text, \"a.ge\" int, \"wa ge\" numeric(8,2)); INSERT INTO \"s \"\"%s\".\"odd \"\"t\"\"\" VALUES ('South', 'Industry', 70, -5.25), ('South', 'Agri', 70, -1), (NULL, 'Services', 20, -2), ('West', 'Services', 80, NULL)",
			    pg_table, pg_table, pg_table);
			pg_ok(c, sql);
			PQfinish(c);
			snprintf(pg_odd, sizeof(pg_odd), "s \"%s.odd \"t\"",
			    pg_table);
			src = (crn_source){.kind = CRN_SRC_PG,
			    .conninfo = pg_conninfo,
			    .table = pg_odd,
			    .map = odd_map,
			    .nmap = 3};
		}
		if (crn_exec_run(&p, &ds, &src, (void **)&v, &st, err,
		        sizeof(err)) != CAIRN_OK)
			fail_msg("round %d: %s", round, err);
		/* Matches: South/Industry (wage < 0), the NULL region row
		 * (wage < 0) and West (age >= 65, wage NULL); the Agri row
		 * is excluded. */
		assert_int_equal(st.rows_matched, 3);
		/* group South (1): one row, wage -525 clipped to nothing */
		assert_true(v[1 * p.per_group] == 1);
		assert_true((int64_t)v[1 * p.per_group + 2] == -525);
		/* group West (3): one row, NULL wage */
		assert_true(v[3 * p.per_group] == 1);
		assert_true(v[3 * p.per_group + 1] == 0);
		/* the NULL group (4): wage -200 */
		assert_true((int64_t)v[4 * p.per_group + 2] == -200);
		crn_free(v, p.dim * 8);
		v = NULL;
		if (round == 1) {
			PGconn *c = PQconnectdb(pg_conninfo);
			char sql[256];

			snprintf(sql, sizeof(sql),
			    "DROP SCHEMA \"s \"\"%s\" CASCADE",
			    pg_table);
			pg_ok(c, sql);
			PQfinish(c);
		}
	}
}

/* Allocation failures in the database paths: CAIRN_ENOMEM, no leaks
 * (ASan), and success once allocations stop failing. */
static void
test_db_oom(void **state)
{
	(void)state;
	for (int grouped = 0; grouped < 2; grouped++) {
		crn_measure ms[3];
		crn_plan p;
		crn_source src;
		crn_exec_stats st;
		char err[256];
		long n;

		make_plan(&p, ms, &cases[grouped ? 3 : 1]);
		source_for(&src, CRN_SRC_SQLITE);
		for (n = 0; n < 200; n++) {
			void *vec = NULL;
			cairn_err rv;

			crn_alloc_fail_after(n);
			rv = crn_exec_run(
			    &p, &ds, &src, &vec, &st, err, sizeof(err));
			crn_alloc_fail_after(-1);
			if (rv == CAIRN_OK) {
				crn_free(vec,
				    p.dim * crn_exec_elem_size(p.ring_bits));
				break;
			}
			CAIRN_T_FAIL(rv, CAIRN_ENOMEM);
			assert_null(vec);
		}
		assert_true(n > 2 && n < 200);
	}
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_csv_matches_reference),
    cmocka_unit_test(test_sqlite_matches_reference),
    cmocka_unit_test(test_pg_matches_reference),
    cmocka_unit_test(test_wide_bounds),
    cmocka_unit_test(test_max_rows),
    cmocka_unit_test(test_missing),
    cmocka_unit_test(test_bad_plan),
    cmocka_unit_test(test_db_bad_values),
    cmocka_unit_test(test_odd_identifiers),
    cmocka_unit_test(test_db_oom),
};

int
main(void)
{
	crn_t_init();
	return cmocka_run_group_tests(tests, setup, teardown);
}
