/*
 * scan_bench.c — executor throughput: rows per second per source for
 *   sum:    count(*), count(wage), sum(wage) over every row;
 *   group:  GROUP BY a 10-value category with 4 aggregates (count(*),
 *           sum(wage), var_pop(wage), avg(age)).
 * over a generated dataset (default 1,000,000 rows) written as CSV and
 * SQLite, and as a PostgreSQL table when CAIRN_PG_CONNINFO is set.
 * Each measurement is the median of several runs; the last line is JSON.
 *
 *   bench_scan_bench [rows] [runs]
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>
#include <sqlite3.h>

#include "base/crn.h"
#include "crypto/init.h"
#include "exec/exec.h"

enum { C_GRP, C_AGE, C_WAGE, C_HOURS, NCOLS };

static char *grp_dom[] = {
    "g0", "g1", "g2", "g3", "g4", "g5", "g6", "g7", "g8", "g9"};

static crn_column cols[NCOLS] = {
    [C_GRP] = {.name = "grp",
        .type = CRN_COL_CATEGORY,
        .domain = grp_dom,
        .ndomain = 10},
    [C_AGE] = {.name = "age",
        .type = CRN_COL_INT,
        .lo = 16,
        .hi = 90,
        .nullable = true},
    [C_WAGE] = {.name = "wage",
        .type = CRN_COL_DECIMAL,
        .scale = 2,
        .lo = 0,
        .hi = 10000000,
        .nullable = true},
    [C_HOURS] = {.name = "hours", .type = CRN_COL_INT, .lo = 0, .hi = 100},
};
static crn_dataset ds = {.name = "bench", .cols = cols, .ncols = NCOLS};

static crn_measure sum_ms[] = {{.col = C_WAGE}};
static crn_plan sum_plan = {.measures = sum_ms,
    .nmeasures = 1,
    .ngroups = 1,
    .per_group = 4,
    .dim = 4,
    .ring_bits = 64,
    .limit = -1};

static crn_groupkey grp_key = {.col = C_GRP, .card = 10};
static crn_measure grp_ms[] = {
    {.col = C_WAGE, .need_sumsq = true, .offset = 0},
    {.col = C_AGE, .offset = 4},
};
static crn_plan grp_plan = {.keys = &grp_key,
    .nkeys = 1,
    .measures = grp_ms,
    .nmeasures = 2,
    .ngroups = 10,
    .per_group = 8,
    .dim = 80,
    .ring_bits = 64,
    .limit = -1};

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

typedef struct brow {
	int grp;
	int64_t age, wage, hours;
	bool age_null, wage_null;
} brow;

static uint64_t rng = 0x2545f4914f6cdd1du;

static void
gen(brow *r)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	uint64_t x = rng * 2685821657736338717u;

	r->grp = (int)(x % 10);
	r->age = 16 + (int64_t)((x >> 8) % 70);
	r->wage = (int64_t)((x >> 16) % 2000000);
	r->hours = (int64_t)((x >> 40) % 60);
	r->age_null = (x >> 50) % 50 == 0;
	r->wage_null = (x >> 56) % 40 == 0;
}

static void
write_data(const char *csv, const char *db, long nrows, PGconn *pg)
{
	FILE *f = fopen(csv, "w");
	sqlite3 *s;
	sqlite3_stmt *st;
	PGresult *res;
	char line[128];

	if (f == NULL || sqlite3_open(db, &s) != SQLITE_OK) {
		fprintf(stderr, "cannot create %s / %s\n", csv, db);
		exit(1);
	}
	sqlite3_exec(s,
	    "CREATE TABLE bench (grp TEXT, age INTEGER, wage REAL, hours INTEGER); BEGIN",
	    NULL, NULL, NULL);
	sqlite3_prepare_v2(
	    s, "INSERT INTO bench VALUES (?, ?, ?, ?)", -1, &st, NULL);
	if (pg != NULL) {
		PQclear(PQexec(pg, "DROP TABLE IF EXISTS cairn_scan_bench"));
		PQclear(PQexec(pg,
		    "CREATE TABLE cairn_scan_bench (grp text, age int, wage numeric(12,2), hours int)"));
		res = PQexec(pg, "COPY cairn_scan_bench FROM STDIN CSV");
		if (PQresultStatus(res) != PGRES_COPY_IN) {
			fprintf(stderr, "COPY: %s", PQerrorMessage(pg));
			exit(1);
		}
		PQclear(res);
	}
	fputs("grp,age,wage,hours\n", f);
	for (long i = 0; i < nrows; i++) {
		brow r;
		char age[24] = "", wage[32] = "";
		int n;

		gen(&r);
		if (!r.age_null)
			snprintf(age, sizeof(age), "%lld", (long long)r.age);
		if (!r.wage_null)
			snprintf(wage, sizeof(wage), "%lld.%02lld",
			    (long long)(r.wage / 100),
			    (long long)(r.wage % 100));
		n = snprintf(line, sizeof(line), "%s,%s,%s,%lld\n",
		    grp_dom[r.grp], age, wage, (long long)r.hours);
		fputs(line, f);
		if (pg != NULL && PQputCopyData(pg, line, n) != 1) {
			fprintf(stderr, "COPY: %s", PQerrorMessage(pg));
			exit(1);
		}
		sqlite3_bind_text(st, 1, grp_dom[r.grp], -1, SQLITE_STATIC);
		if (r.age_null)
			sqlite3_bind_null(st, 2);
		else
			sqlite3_bind_int64(st, 2, r.age);
		if (r.wage_null)
			sqlite3_bind_null(st, 3);
		else
			sqlite3_bind_double(st, 3, (double)r.wage / 100.0);
		sqlite3_bind_int64(st, 4, r.hours);
		sqlite3_step(st);
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	sqlite3_exec(s, "COMMIT", NULL, NULL, NULL);
	sqlite3_close(s);
	fclose(f);
	if (pg != NULL) {
		if (PQputCopyEnd(pg, NULL) != 1) {
			fprintf(stderr, "COPY end: %s", PQerrorMessage(pg));
			exit(1);
		}
		res = PQgetResult(pg);
		if (PQresultStatus(res) != PGRES_COMMAND_OK) {
			fprintf(stderr, "COPY: %s", PQerrorMessage(pg));
			exit(1);
		}
		PQclear(res);
		PQclear(PQexec(pg, "ANALYZE cairn_scan_bench"));
	}
}

/* Median rows per second of `runs` runs; also checks the sources agree. */
static double
measure(const crn_plan *p, const crn_source *src, long nrows, int runs,
    uint64_t *first)
{
	double t[16];

	for (int i = 0; i < runs; i++) {
		crn_exec_stats st;
		char err[256];
		void *vec = NULL;
		double t0 = now();

		if (crn_exec_run(p, &ds, src, &vec, &st, err, sizeof(err)) !=
		    CAIRN_OK) {
			fprintf(stderr, "run failed: %s\n", err);
			exit(1);
		}
		t[i] = (double)nrows / (now() - t0);
		/* Every source must produce the same vector. */
		if (first[0] == UINT64_MAX)
			memcpy(first, vec, p->dim * sizeof(uint64_t));
		else if (memcmp(first, vec, p->dim * sizeof(uint64_t)) != 0) {
			fprintf(stderr, "sources disagree\n");
			exit(1);
		}
		crn_free(vec, p->dim * sizeof(uint64_t));
	}
	qsort(t, (size_t)runs, sizeof(t[0]), cmp_double);
	return t[runs / 2];
}

int
main(int argc, char **argv)
{
	long nrows = argc > 1 ? atol(argv[1]) : 1000000;
	int runs = argc > 2 ? atoi(argv[2]) : 5;
	const char *conninfo = getenv("CAIRN_PG_CONNINFO");
	char dir[] = "/tmp/cairn-scan-XXXXXX", csv[64], db[64];
	PGconn *pg = NULL;
	crn_source srcs[3];
	const char *names[] = {"csv", "sqlite", "pg"};
	double r_sum[3] = {0}, r_grp[3] = {0};
	uint64_t first_sum[4], first_grp[80];
	int nsrc = 2;

	if (runs < 1 || runs > 16 || nrows < 1) {
		fprintf(stderr, "usage: %s [rows] [runs 1..16]\n", argv[0]);
		return 2;
	}
	if (cairn_init() != CAIRN_OK || mkdtemp(dir) == NULL)
		return 1;
	snprintf(csv, sizeof(csv), "%s/bench.csv", dir);
	snprintf(db, sizeof(db), "%s/bench.db", dir);
	if (conninfo != NULL && conninfo[0] != '\0') {
		pg = PQconnectdb(conninfo);
		if (PQstatus(pg) != CONNECTION_OK) {
			fprintf(stderr, "pg: %s", PQerrorMessage(pg));
			return 1;
		}
		nsrc = 3;
	}
	printf("generating %ld rows...\n", nrows);
	write_data(csv, db, nrows, pg);
	memset(srcs, 0, sizeof(srcs));
	srcs[0] = (crn_source){.kind = CRN_SRC_CSV, .path = csv};
	srcs[1] =
	    (crn_source){.kind = CRN_SRC_SQLITE, .path = db, .table = "bench"};
	srcs[2] = (crn_source){.kind = CRN_SRC_PG,
	    .conninfo = conninfo,
	    .table = "cairn_scan_bench"};
	first_sum[0] = first_grp[0] = UINT64_MAX;
	for (int s = 0; s < nsrc; s++) {
		r_sum[s] = measure(&sum_plan, &srcs[s], nrows, runs, first_sum);
		r_grp[s] = measure(&grp_plan, &srcs[s], nrows, runs, first_grp);
		printf("%-7s sum: %12.0f rows/s   group(10 x 4 aggregates): %12.0f rows/s  (median of %d)\n",
		    names[s], r_sum[s], r_grp[s], runs);
	}
	printf("{\"bench\":\"scan\",\"rows\":%ld,\"runs\":%d", nrows, runs);
	for (int s = 0; s < nsrc; s++)
		printf(",\"%s_sum_rows_per_s\":%.0f,\"%s_group_rows_per_s\":%.0f",
		    names[s], r_sum[s], names[s], r_grp[s]);
	printf("}\n");
	if (pg != NULL) {
		PQclear(PQexec(pg, "DROP TABLE IF EXISTS cairn_scan_bench"));
		PQfinish(pg);
	}
	unlink(csv);
	unlink(db);
	rmdir(dir);
	return 0;
}
