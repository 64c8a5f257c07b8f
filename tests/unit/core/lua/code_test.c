/*
 * code_test.c — approved-code jobs around the sandbox (core/lua/code.h):
 * the fixed-point vector (clipping counted, negatives, ring bound), the
 * parameter lists, the program hash, and the rows a program sees (only
 * the listed columns, after the WHERE, NULL as nil) from a real CSV file.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "cairn_test.h"
#include "lua/code.h"
#include "query/schema.h"
#include "query/sql_plan.h"

static void
test_encode_clip(void **state)
{
	crn_code_decl d = {.len = 4, .lo = -2, .hi = 3, .scale = 2};
	double out[4] = {1.234, -5, 3.5, -1.005}, agg[4];
	uint64_t vec[5], sum[5], clipped;

	(void)state;
	crn_code_encode(&d, out, vec, &clipped);
	CAIRN_T_EQ(clipped, 2);
	CAIRN_T_EQ(vec[4], 2);
	CAIRN_T_EQ((int64_t)vec[0], 123);
	CAIRN_T_EQ((int64_t)vec[1], -200);
	CAIRN_T_EQ((int64_t)vec[2], 300);
	/* Two nodes' vectors summed in the ring decode to the sum. */
	for (int i = 0; i < 5; i++)
		sum[i] = vec[i] + vec[i];
	crn_code_decode(&d, sum, agg, &clipped);
	CAIRN_T_EQ(clipped, 4);
	assert_true(fabs(agg[0] - 2.46) < 1e-9);
	assert_true(fabs(agg[1] + 4) < 1e-9);
}

static void
test_decl_check(void **state)
{
	crn_code_decl d = {.len = 3, .lo = 0, .hi = 1e9, .scale = 6};
	char err[256];

	(void)state;
	/* 1e15 per node times 1000 nodes fits below 2^62; 10^4 nodes not. */
	CAIRN_T_PASS(crn_code_decl_check(&d, 1000, err, sizeof(err)));
	CAIRN_T_FAIL(
	    crn_code_decl_check(&d, 10000, err, sizeof(err)), CAIRN_ERANGE);
	d.lo = 2;
	d.hi = 1;
	CAIRN_T_FAIL(
	    crn_code_decl_check(&d, 1, err, sizeof(err)), CAIRN_EINVAL);
	d.lo = 0;
	d.hi = NAN;
	CAIRN_T_FAIL(
	    crn_code_decl_check(&d, 1, err, sizeof(err)), CAIRN_EINVAL);
	d.hi = 1;
	d.len = 0;
	CAIRN_T_FAIL(
	    crn_code_decl_check(&d, 1, err, sizeof(err)), CAIRN_EINVAL);
	d.len = 1;
	d.scale = CRN_CODE_MAX_SCALE + 1;
	CAIRN_T_FAIL(
	    crn_code_decl_check(&d, 1, err, sizeof(err)), CAIRN_EINVAL);
}

static void
test_params(void **state)
{
	double *v = NULL;
	size_t n = 0;

	(void)state;
	CAIRN_T_PASS(crn_code_params_parse("1, 2.5,-3", &v, &n));
	CAIRN_T_EQ(n, 3);
	assert_true(v[0] == 1 && v[1] == 2.5 && v[2] == -3);
	crn_free(v, (n + 1) * sizeof(double));
	CAIRN_T_PASS(crn_code_params_parse(" [0, 1e3] ", &v, &n));
	CAIRN_T_EQ(n, 2);
	assert_true(v[1] == 1000);
	crn_free(v, (n + 1) * sizeof(double));
	CAIRN_T_PASS(crn_code_params_parse("", &v, &n));
	CAIRN_T_EQ(n, 0);
	crn_free(v, sizeof(double));
	CAIRN_T_FAIL(crn_code_params_parse("1, x", &v, &n), CAIRN_EINVAL);
	CAIRN_T_FAIL(crn_code_params_parse("[1, 2", &v, &n), CAIRN_EINVAL);
	CAIRN_T_FAIL(crn_code_params_parse("1 2", &v, &n), CAIRN_EINVAL);
	CAIRN_T_FAIL(crn_code_params_parse("inf", &v, &n), CAIRN_EINVAL);
	CAIRN_T_FAIL(crn_code_params_parse("nan", &v, &n), CAIRN_EINVAL);
}

static void
test_hash(void **state)
{
	char hex[CRN_CODE_HEX_LEN];

	(void)state;
	/* SHA-256("abc"), FIPS 180-2. */
	crn_code_hash_hex("abc", 3, hex);
	assert_string_equal(hex,
	    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static const char schema_text[] = "[federation]\n"
                                  "max_nodes = 10\n"
                                  "[dataset t]\n"
                                  "max_rows = 100\n"
                                  "[column t.x]\n"
                                  "type = decimal\n"
                                  "scale = 1\n"
                                  "min = -100\n"
                                  "max = 100\n"
                                  "nullable = true\n"
                                  "[column t.k]\n"
                                  "type = integer\n"
                                  "min = 0\n"
                                  "max = 10\n"
                                  "[column t.g]\n"
                                  "type = category\n"
                                  "domain = a, b\n";

static void
test_scan_where(void **state)
{
	const char *dir = crn_t_tmpdir();
	char path[512], err[256], *sql = NULL;
	size_t sqllen = 0;
	crn_schema *schema = NULL;
	crn_plan *plan = NULL;
	crn_code_data data;
	crn_source src;
	char *expose[] = {"x", "g"};
	FILE *f;

	(void)state;
	snprintf(path, sizeof(path), "%s/t.csv", dir);
	assert_non_null(f = fopen(path, "w"));
	fputs("x,k,g\n1.5,1,a\n,2,b\n-2.5,3,a\n7,9,b\n", f);
	fclose(f);
	CAIRN_T_PASS(
	    crn_schema_parse(schema_text, "s", &schema, err, sizeof(err)));
	CAIRN_T_PASS(crn_code_where_sql("t", "k < 5", &sql, &sqllen));
	assert_string_equal(sql, "SELECT count(*) FROM t WHERE k < 5");
	CAIRN_T_PASS(crn_sql_plan(schema, sql, &plan, err, sizeof(err)));
	memset(&src, 0, sizeof(src));
	src.kind = CRN_SRC_CSV;
	src.path = path;
	CAIRN_T_PASS(crn_code_scan(plan, crn_schema_dataset(schema, "t"), &src,
	    expose, 2, &data, err, sizeof(err)));
	/* Rows with k < 5; only x and g; the NULL x is nil. */
	CAIRN_T_EQ(data.nrows, 3);
	CAIRN_T_EQ(data.ncols, 2);
	assert_string_equal(data.cols[0].name, "x");
	assert_true(data.cols[0].num[0] == 1.5 && data.cols[0].null[1] &&
	    data.cols[0].num[2] == -2.5);
	assert_string_equal(data.cols[1].text[2], "a");
	{
		const char *prog =
		    "function node(d, p)\n"
		    "  assert(d.cols.k == nil, 'unexposed column seen')\n"
		    "  local s = 0\n"
		    "  for i = 1, d.rows do s = s + (d.cols.x[i] or p.fill) end\n"
		    "  return {s, d.rows * p[1]}\n"
		    "end\n";
		/* A numbered parameter and a named one (--param fill=100). */
		const double params[] = {1};
		char *names[] = {"fill"};
		const double values[] = {100};
		const crn_lua_named named = {names, values, 1};
		crn_code_decl d = {
		    .len = 2, .lo = -1000, .hi = 1000, .scale = 1};
		uint64_t vec[3];
		crn_code_stats st;
		crn_lua_verdict v;
		char log[256];

		CAIRN_T_PASS(crn_code_node_run(prog, strlen(prog), NULL, 1,
		    &data, params, 1, &named, &d, vec, NULL, &st, &v, log,
		    sizeof(log)));
		CAIRN_T_EQ((int64_t)vec[0], 990); /* 1.5 + 100 - 2.5 */
		CAIRN_T_EQ((int64_t)vec[1], 30);
	}
	/* A WHERE naming a column the schema does not have fails to plan. */
	crn_plan_free(plan);
	plan = NULL;
	crn_free(sql, sqllen);
	CAIRN_T_PASS(crn_code_where_sql("t", "nope = 1", &sql, &sqllen));
	assert_int_not_equal(
	    crn_sql_plan(schema, sql, &plan, err, sizeof(err)), CAIRN_OK);
	crn_free(sql, sqllen);
	CAIRN_T_FAIL(
	    crn_code_where_sql("T;x", NULL, &sql, &sqllen), CAIRN_EINVAL);
	crn_code_data_fini(&data);
	crn_schema_free(schema);
	crn_t_rmtree(dir);
}

/* The same rows from SQLite (the filter pushed into SQLite, rows
 * streamed). */
static void
test_scan_sqlite(void **state)
{
	const char *dir = crn_t_tmpdir();
	char path[512], err[256];
	crn_schema *schema = NULL;
	crn_plan *plan = NULL;
	crn_code_data data;
	crn_source src;
	sqlite3 *db = NULL;

	(void)state;
	snprintf(path, sizeof(path), "%s/t.db", dir);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(
	    sqlite3_exec(db,
	        "CREATE TABLE t (x NUMERIC, k INTEGER, g TEXT);INSERT INTO t VALUES (1.5, 1, 'a'), (NULL, 2, 'b'), (-2.5, 3, 'a'), (7, 9, 'b');",
	        NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(db);
	CAIRN_T_PASS(
	    crn_schema_parse(schema_text, "s", &schema, err, sizeof(err)));
	CAIRN_T_PASS(crn_sql_plan(schema, "SELECT count(*) FROM t WHERE k < 5",
	    &plan, err, sizeof(err)));
	memset(&src, 0, sizeof(src));
	src.kind = CRN_SRC_SQLITE;
	src.path = path;
	src.table = "t";
	CAIRN_T_PASS(crn_code_scan(plan, crn_schema_dataset(schema, "t"), &src,
	    NULL, 0, &data, err, sizeof(err)));
	CAIRN_T_EQ(data.nrows, 3);
	CAIRN_T_EQ(data.ncols, 3);
	assert_true(data.cols[0].num[0] == 1.5 && data.cols[0].null[1] &&
	    data.cols[0].num[2] == -2.5);
	assert_true(data.cols[1].inum[2] == 3);
	assert_string_equal(data.cols[2].text[1], "b");
	crn_code_data_fini(&data);
	/* PostgreSQL is read as well (tests/integration/fed_code_pg.sh runs
	 * a real server): a server that is not there is a connection
	 * error, named in the message. */
	src.kind = CRN_SRC_PG;
	src.conninfo = "host=/nonexistent port=1 connect_timeout=2";
	CAIRN_T_FAIL(crn_code_scan(plan, crn_schema_dataset(schema, "t"), &src,
	                 NULL, 0, &data, err, sizeof(err)),
	    CAIRN_ECLOSED);
	assert_non_null(strstr(err, "postgresql connect"));
	crn_plan_free(plan);
	crn_schema_free(schema);
	crn_t_rmtree(dir);
}

/* The scan and the run with every allocation failing in turn. */
static void
test_oom(void **state)
{
	const char *dir = crn_t_tmpdir();
	const char *prog = "function node(d) return {d.rows} end";
	crn_code_decl d = {.len = 1, .lo = 0, .hi = 100, .scale = 0};
	char path[512], err[256];
	crn_schema *schema = NULL;
	crn_plan *plan = NULL;
	crn_source src;
	bool done = false;
	FILE *f;

	(void)state;
	snprintf(path, sizeof(path), "%s/t.csv", dir);
	assert_non_null(f = fopen(path, "w"));
	fputs("x,k,g\n", f);
	for (int i = 0; i < 90; i++) /* max_rows is 100 */
		fprintf(f, "%d.5,%d,%s\n", i % 90, i % 10, i % 2 ? "a" : "b");
	fclose(f);
	CAIRN_T_PASS(
	    crn_schema_parse(schema_text, "s", &schema, err, sizeof(err)));
	CAIRN_T_PASS(crn_sql_plan(schema, "SELECT count(*) FROM t WHERE k < 5",
	    &plan, err, sizeof(err)));
	memset(&src, 0, sizeof(src));
	src.kind = CRN_SRC_CSV;
	src.path = path;
	for (long n = 0; !done && n < 20000; n++) {
		crn_code_data data;
		crn_code_stats st;
		crn_lua_verdict v;
		uint64_t vec[2];
		char log[256] = "";
		cairn_err rv;

		err[0] = '\0';
		crn_alloc_fail_after(n);
		rv = crn_code_scan(plan, crn_schema_dataset(schema, "t"), &src,
		    NULL, 0, &data, err, sizeof(err));
		if (rv == CAIRN_OK)
			rv = crn_code_node_run(prog, strlen(prog), NULL, 1,
			    &data, NULL, 0, NULL, &d, vec, NULL, &st, &v, log,
			    sizeof(log));
		crn_alloc_fail_after(-1);
		if (rv == CAIRN_OK) {
			CAIRN_T_EQ(vec[0], 45);
			done = true;
		}
		crn_code_data_fini(&data);
	}
	assert_true(done);
	crn_plan_free(plan);
	crn_schema_free(schema);
	crn_t_rmtree(dir);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_encode_clip),
    cmocka_unit_test(test_decl_check),
    cmocka_unit_test(test_params),
    cmocka_unit_test(test_hash),
    cmocka_unit_test(test_scan_where),
    cmocka_unit_test(test_scan_sqlite),
    cmocka_unit_test(test_oom),
};

CAIRN_TEST_MAIN(tests)
