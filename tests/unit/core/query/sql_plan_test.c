/* sql_plan_test.c — the SQL planner: supported shapes and refusals. */
#include <stdio.h>
#include <string.h>

#include "cairn_test.h"
#include "query_fix.h"
#include "query/schema.h"
#include "query/sql_plan.h"

static const char schema_text[] =
    "[federation]\nmin_cell = 5\nmax_nodes = 100\n"
    "[dataset cps]\nmax_rows = 1000000\n"
    "[column cps.age]\ntype = integer\nmin = 16\nmax = 99\n"
    "[column cps.wage]\ntype = decimal\nscale = 2\nmin = 0\n"
    "max = 500000.00\nnullable = true\n"
    "[column cps.region]\ntype = category\n"
    "domain = north, south, east, west\n"
    "[column cps.sex]\ntype = category\ndomain = f, m\nnullable = true\n"
    "[column cps.score]\ntype = decimal\nscale = 1\nmin = -50\n"
    "max = 50\n"
    "[dataset big]\nmax_rows = 4611686018427387904\n"
    "[column big.x]\ntype = integer\nmin = -9223372036854775807\n"
    "max = 9223372036854775807\n"
    "[column big.y]\ntype = integer\nmin = 0\nmax = 4294967296\n";

static crn_schema *schema;

static int
setup(void **state)
{
	(void)state;
	return crn_t_schema_parse(schema_text, "test", &schema);
}

static int
teardown(void **state)
{
	(void)state;
	crn_schema_free(schema);
	return 0;
}

static crn_plan *
plan_ok(const char *sql)
{
	crn_plan *p = NULL;
	char err[512];
	cairn_err rv;

	rv = crn_sql_plan(schema, sql, &p, err, sizeof(err));
	if (rv != CAIRN_OK)
		fail_msg("%s\n  -> %s (%s)", sql, err, cairn_strerror(rv));
	return p;
}

static void
test_count_star(void **state)
{
	crn_plan *p;

	(void)state;
	p = plan_ok("SELECT count(*) FROM cps");
	assert_string_equal(p->dataset, "cps");
	CAIRN_T_EQ(p->nkeys, 0);
	CAIRN_T_EQ(p->ngroups, 1);
	CAIRN_T_EQ(p->per_group, 1);
	CAIRN_T_EQ(p->dim, 1);
	CAIRN_T_EQ(p->noutputs, 1);
	CAIRN_T_EQ(p->outputs[0].fn, CRN_AGG_COUNT_STAR);
	assert_string_equal(p->outputs[0].name, "count");
	CAIRN_T_EQ(p->where.kind, CRN_EX_TRUE);
	CAIRN_T_EQ(p->limit, -1);
	/* 1e6 rows x 100 nodes < 2^31 */
	CAIRN_T_EQ(p->ring_bits, 32);
	CAIRN_T_EQ(p->ncols, 5);
	CAIRN_T_EQ(p->min_cell, 5);
	crn_plan_free(p);
}

static void
test_design_query(void **state)
{
	crn_plan *p;
	const crn_expr *w;

	(void)state;
	p = plan_ok("SELECT region, count(*), avg(wage) AS mean_wage, stddev(wage), sum(age) FROM cps WHERE age >= 18 AND sex = 'f' GROUP BY region ORDER BY 3 DESC LIMIT 10");
	CAIRN_T_EQ(p->nkeys, 1);
	CAIRN_T_EQ(p->keys[0].col, 2);
	CAIRN_T_EQ(p->keys[0].card, 4);
	CAIRN_T_EQ(p->ngroups, 4);
	CAIRN_T_EQ(p->nmeasures, 2);
	CAIRN_T_EQ(p->measures[0].col, 1); /* wage, with squares */
	assert_true(p->measures[0].need_sumsq);
	CAIRN_T_EQ(p->measures[0].offset, 0);
	CAIRN_T_EQ(p->measures[1].col, 0); /* age */
	assert_false(p->measures[1].need_sumsq);
	CAIRN_T_EQ(p->measures[1].offset, 4);
	CAIRN_T_EQ(p->per_group, 1 + 4 + 3);
	CAIRN_T_EQ(p->dim, 4 * 8);
	CAIRN_T_EQ(p->noutputs, 5);
	assert_true(p->outputs[0].is_key);
	assert_string_equal(p->outputs[0].name, "region");
	CAIRN_T_EQ(p->outputs[2].fn, CRN_AGG_AVG);
	assert_string_equal(p->outputs[2].name, "mean_wage");
	CAIRN_T_EQ(p->outputs[3].fn, CRN_AGG_STDDEV_SAMP);
	assert_string_equal(p->outputs[3].name, "stddev");
	CAIRN_T_EQ(p->outputs[4].fn, CRN_AGG_SUM);
	CAIRN_T_EQ(p->outputs[4].measure, 1);
	CAIRN_T_EQ(p->norder, 1);
	CAIRN_T_EQ(p->order[0].output, 2);
	assert_true(p->order[0].desc);
	CAIRN_T_EQ(p->limit, 10);
	w = &p->where;
	CAIRN_T_EQ(w->kind, CRN_EX_AND);
	CAIRN_T_EQ(w->nkids, 2);
	CAIRN_T_EQ(w->kids[0].kind, CRN_EX_CMP);
	CAIRN_T_EQ(w->kids[0].op, CRN_OP_GE);
	CAIRN_T_EQ(w->kids[0].col, 0);
	CAIRN_T_EQ(w->kids[0].vals[0].num, 18);
	CAIRN_T_EQ(w->kids[1].op, CRN_OP_EQ);
	CAIRN_T_EQ(w->kids[1].col, 3);
	CAIRN_T_EQ(w->kids[1].vals[0].cat, 0);
	/* wage^2 * 1e8 rows: (5e7)^2 * 1e8 = 2.5e23 > 2^63 */
	CAIRN_T_EQ(p->ring_bits, 128);
	crn_plan_free(p);
}

static void
test_ring_64(void **state)
{
	crn_plan *p;

	(void)state;
	/* sum(wage): 5e7 * 1e8 = 5e15 -> 64 bits */
	p = plan_ok("SELECT sum(wage) FROM cps");
	CAIRN_T_EQ(p->ring_bits, 64);
	crn_plan_free(p);
	/* var of age: 99^2 * 1e8 < 2^31?  980100 * 1e8 > 2^31 -> 64 */
	p = plan_ok("SELECT var_pop(age) FROM cps");
	CAIRN_T_EQ(p->ring_bits, 64);
	crn_plan_free(p);
}

static void
test_ring_too_big(void **state)
{
	crn_plan *p = NULL;
	char err[256];

	(void)state;
	/* |x| ~ 2^63, squared 2^126, times 2^62 * 100 rows: no ring. */
	CAIRN_T_FAIL(crn_sql_plan(schema, "SELECT variance(x) FROM big", &p,
	                 err, sizeof(err)),
	    CAIRN_ERANGE);
	assert_null(p);
	assert_non_null(strstr(err, "128 bits"));
	/* sum(x): 2^63 * 2^62 * 100 > 2^127 as well. */
	CAIRN_T_FAIL(crn_sql_plan(schema, "SELECT sum(x) FROM big", &p, err,
	                 sizeof(err)),
	    CAIRN_ERANGE);
	/* sum(y): 2^32 * 2^62 * 100 < 2^127 -> 128 */
	p = plan_ok("SELECT sum(y) FROM big");
	CAIRN_T_EQ(p->ring_bits, 128);
	crn_plan_free(p);
}

static void
test_buckets_and_nulls(void **state)
{
	crn_plan *p;

	(void)state;
	p = plan_ok("SELECT width_bucket(age, 20, 60, 4) AS band, sex, count(*) FROM cps GROUP BY band, 2");
	CAIRN_T_EQ(p->nkeys, 2);
	assert_true(p->keys[0].bucket);
	CAIRN_T_EQ(p->keys[0].lo, 20);
	CAIRN_T_EQ(p->keys[0].hi, 60);
	CAIRN_T_EQ(p->keys[0].nbuckets, 4);
	CAIRN_T_EQ(p->keys[0].card, 6);
	CAIRN_T_EQ(p->keys[1].card, 3); /* f, m, NULL */
	CAIRN_T_EQ(p->ngroups, 18);
	assert_string_equal(p->outputs[0].name, "band");
	assert_true(p->outputs[0].is_key);
	CAIRN_T_EQ(p->outputs[0].key, 0);
	CAIRN_T_EQ(p->outputs[1].key, 1);
	crn_plan_free(p);
	/* Bucket bounds at a decimal column's scale. */
	p = plan_ok("SELECT width_bucket(wage, 0, 1000.50, 10), count(wage) FROM cps GROUP BY 1");
	CAIRN_T_EQ(p->keys[0].hi, 100050);
	CAIRN_T_EQ(p->keys[0].card, 13); /* 10 + 2 + NULL */
	CAIRN_T_EQ(p->outputs[1].fn, CRN_AGG_COUNT);
	crn_plan_free(p);
}

/* Constants finer than the column's scale keep comparisons exact. */
static void
test_rounding(void **state)
{
	crn_plan *p;
	const crn_expr *w;

	(void)state;
	p = plan_ok("SELECT count(*) FROM cps WHERE wage < 10.005 OR wage <= 10.005 OR wage > 10.005 OR wage >= 10.005 OR -2.5 > age OR score = 1.25 OR score <> 1.25 OR score BETWEEN -1.25 AND 1.25 OR age IN (1, 2.5, 3)");
	w = &p->where;
	CAIRN_T_EQ(w->kind, CRN_EX_OR);
	CAIRN_T_EQ(w->nkids, 9);
	CAIRN_T_EQ(w->kids[0].op, CRN_OP_LT);
	CAIRN_T_EQ(w->kids[0].vals[0].num, 1001); /* ceil */
	CAIRN_T_EQ(w->kids[1].op, CRN_OP_LE);
	CAIRN_T_EQ(w->kids[1].vals[0].num, 1000); /* floor */
	CAIRN_T_EQ(w->kids[2].op, CRN_OP_GT);
	CAIRN_T_EQ(w->kids[2].vals[0].num, 1000); /* floor */
	CAIRN_T_EQ(w->kids[3].op, CRN_OP_GE);
	CAIRN_T_EQ(w->kids[3].vals[0].num, 1001); /* ceil */
	/* -2.5 > age  <=>  age < -2.5  <=>  age < -2 */
	CAIRN_T_EQ(w->kids[4].op, CRN_OP_LT);
	CAIRN_T_EQ(w->kids[4].col, 0);
	CAIRN_T_EQ(w->kids[4].vals[0].num, -2);
	/* score = 1.25 can never hold: empty BETWEEN */
	CAIRN_T_EQ(w->kids[5].kind, CRN_EX_BETWEEN);
	assert_true(w->kids[5].vals[0].num > w->kids[5].vals[1].num);
	CAIRN_T_EQ(w->kids[6].kind, CRN_EX_NOT);
	CAIRN_T_EQ(w->kids[6].kids[0].kind, CRN_EX_BETWEEN);
	/* BETWEEN -1.25 AND 1.25 on scale 1: [-12, 12] */
	CAIRN_T_EQ(w->kids[7].vals[0].num, -12);
	CAIRN_T_EQ(w->kids[7].vals[1].num, 12);
	/* IN drops 2.5, which an integer never equals */
	CAIRN_T_EQ(w->kids[8].kind, CRN_EX_IN);
	CAIRN_T_EQ(w->kids[8].nvals, 2);
	CAIRN_T_EQ(w->kids[8].vals[1].num, 3);
	crn_plan_free(p);
}

static void
test_where_forms(void **state)
{
	crn_plan *p;
	const crn_expr *w;

	(void)state;
	p = plan_ok(
	    "SELECT count(*) FROM cps c WHERE NOT (c.region IN ('north', 'west')) AND wage IS NOT NULL AND sex IS NULL AND region NOT IN ('east') AND age NOT BETWEEN 30 AND 40 AND age BETWEEN SYMMETRIC 50 AND 45 AND c.age <> 33");
	w = &p->where;
	CAIRN_T_EQ(w->kind, CRN_EX_AND);
	CAIRN_T_EQ(w->nkids, 7);
	CAIRN_T_EQ(w->kids[0].kind, CRN_EX_NOT);
	CAIRN_T_EQ(w->kids[0].kids[0].kind, CRN_EX_IN);
	CAIRN_T_EQ(w->kids[0].kids[0].vals[1].cat, 3);
	CAIRN_T_EQ(w->kids[1].kind, CRN_EX_NOTNULL);
	CAIRN_T_EQ(w->kids[1].col, 1);
	CAIRN_T_EQ(w->kids[2].kind, CRN_EX_ISNULL);
	CAIRN_T_EQ(w->kids[3].kind, CRN_EX_NOT);
	CAIRN_T_EQ(w->kids[3].kids[0].vals[0].cat, 2);
	CAIRN_T_EQ(w->kids[4].kind, CRN_EX_NOT);
	CAIRN_T_EQ(w->kids[4].kids[0].kind, CRN_EX_BETWEEN);
	CAIRN_T_EQ(w->kids[5].vals[0].num, 45);
	CAIRN_T_EQ(w->kids[5].vals[1].num, 50);
	CAIRN_T_EQ(w->kids[6].op, CRN_OP_NE);
	crn_plan_free(p);
}

static void
test_having_order(void **state)
{
	crn_plan *p;

	(void)state;
	p = plan_ok("SELECT region, avg(wage) FROM cps GROUP BY region HAVING count(*) > 100 AND avg(wage) BETWEEN 10.5 AND 99 ORDER BY sum(age), region DESC");
	/* region, avg(wage), hidden count(*), hidden sum(age) */
	CAIRN_T_EQ(p->noutputs, 4);
	assert_true(p->outputs[2].hidden);
	CAIRN_T_EQ(p->outputs[2].fn, CRN_AGG_COUNT_STAR);
	assert_true(p->outputs[3].hidden);
	CAIRN_T_EQ(p->outputs[3].fn, CRN_AGG_SUM);
	assert_non_null(p->having);
	CAIRN_T_EQ(p->having->kind, CRN_EX_AND);
	CAIRN_T_EQ(p->having->kids[0].kind, CRN_EX_CMP);
	CAIRN_T_EQ(p->having->kids[0].col, 2);
	CAIRN_T_EQ(p->having->kids[0].op, CRN_OP_GT);
	CAIRN_T_EQ(p->having->kids[0].vals[0].num, 100);
	CAIRN_T_EQ(p->having->kids[1].kind, CRN_EX_BETWEEN);
	CAIRN_T_EQ(p->having->kids[1].col, 1); /* reuses avg(wage) */
	CAIRN_T_EQ(p->having->kids[1].vals[0].num, 105);
	CAIRN_T_EQ(p->having->kids[1].vals[0].scale, 1);
	CAIRN_T_EQ(p->norder, 2);
	CAIRN_T_EQ(p->order[0].output, 3);
	assert_false(p->order[0].desc);
	CAIRN_T_EQ(p->order[1].output, 0);
	assert_true(p->order[1].desc);
	crn_plan_free(p);
	/* ORDER BY an alias and a key that is not selected. */
	p = plan_ok("SELECT count(*) AS n FROM cps GROUP BY region, sex ORDER BY n, sex LIMIT ALL");
	CAIRN_T_EQ(p->order[0].output, 0);
	CAIRN_T_EQ(p->order[1].output, 1);
	assert_true(p->outputs[1].hidden);
	assert_true(p->outputs[1].is_key);
	CAIRN_T_EQ(p->outputs[1].key, 1);
	CAIRN_T_EQ(p->limit, -1);
	crn_plan_free(p);
}

/* Refusals: the error code, words of the message and the position. */
static const struct {
	const char *sql;
	cairn_err rv;
	const char *want;
} bad[] = {
    {"SELECT count(*) FROM cps JOIN tax ON true", CAIRN_ESQL,
        "JOIN is not supported; query one dataset (at character 26)"},
    {"SELECT count(*) FROM cps, big", CAIRN_ESQL,
        "joins are not supported; query one dataset (at character 27)"},
    {"SELECT count(*) FROM (SELECT * FROM cps) s", CAIRN_ESQL,
        "a subquery in FROM is not supported"},
    {"SELECT count(*) FROM cps WHERE age IN (SELECT 1)", CAIRN_ESQL,
        "(at character 36)"},
    {"SELECT count(*) FROM cps WHERE age > (SELECT 1)", CAIRN_ESQL,
        "a subquery is not supported in WHERE; only constants are (at character 38)"},
    {"SELECT DISTINCT region FROM cps", CAIRN_ESQL,
        "DISTINCT is not supported; use GROUP BY (at character 8)"},
    {"SELECT count(DISTINCT age) FROM cps", CAIRN_ESQL,
        "DISTINCT inside an aggregate is not supported (at character 8)"},
    {"SELECT count(*) OVER () FROM cps", CAIRN_ESQL,
        "window functions (OVER) are not supported"},
    {"SELECT max(age) FROM cps", CAIRN_ESQL,
        "function 'max' is not supported (at character 8)"},
    {"SELECT age FROM cps", CAIRN_ESQL,
        "column 'age' must appear in GROUP BY or be used in an aggregate (at character 8)"},
    {"SELECT * FROM cps", CAIRN_ESQL, "(at character 8)"},
    {"SELECT count(*) FROM nope", CAIRN_ESQL,
        "dataset 'nope' is not in the federation schema (at character 22)"},
    {"SELECT sum(nope) FROM cps", CAIRN_ESQL,
        "column 'nope' does not exist in dataset 'cps' (at character 12)"},
    {"SELECT count(*) FROM cps WHERE region = 'middle'", CAIRN_ESQL,
        "'middle' is not in the domain of column 'region' (at character 41)"},
    {"SELECT count(*) FROM cps WHERE region IN ('north', 'up')", CAIRN_ESQL,
        "'up' is not in the domain (at character 52)"},
    {"SELECT count(*) FROM cps WHERE region < 'north'", CAIRN_ESQL,
        "only be compared with = or <>"},
    {"SELECT count(*) FROM cps WHERE age + 1 > 3", CAIRN_ESQL,
        "an operator expression is not supported in WHERE"},
    {"SELECT count(*) FROM cps WHERE age > wage", CAIRN_ESQL,
        "comparison between two columns"},
    {"SELECT count(*) FROM cps WHERE region LIKE 'n%'", CAIRN_ESQL,
        "LIKE is not supported"},
    {"SELECT count(*) FROM cps WHERE age = NULL", CAIRN_ESQL,
        "use IS NULL (at character 38)"},
    {"SELECT count(*) FROM cps WHERE age > 'x'", CAIRN_ESQL,
        "compared with a string"},
    {"SELECT count(*) FROM cps WHERE sum(age) > 3", CAIRN_ESQL,
        "aggregates are not allowed in WHERE; use HAVING (at character 32)"},
    {"SELECT count(*) FROM cps WHERE lower(region) = 'a'", CAIRN_ESQL,
        "(at character 32)"},
    {"SELECT count(*) FROM cps GROUP BY age", CAIRN_ESQL,
        "GROUP BY numeric column 'age' would reveal individual values"},
    {"SELECT sum(age * 2) FROM cps", CAIRN_ESQL,
        "an operator expression inside an aggregate is not supported (at character 16)"},
    {"SELECT avg(region) FROM cps", CAIRN_ESQL,
        "avg() of category column 'region'"},
    {"SELECT count(sex) FROM cps", CAIRN_ESQL,
        "count() of category column 'sex'"},
    {"SELECT count(*) FROM cps UNION SELECT count(*) FROM cps", CAIRN_ESQL,
        "UNION, INTERSECT and EXCEPT are not supported (at character 26)"},
    {"WITH t AS (SELECT 1) SELECT count(*) FROM cps", CAIRN_ESQL,
        "WITH is not supported (at character 1)"},
    {"SELECT count(*) FROM cps LIMIT 5 OFFSET 2", CAIRN_ESQL,
        "OFFSET is not supported (at character 34)"},
    {"DELETE FROM cps", CAIRN_ESQL, "only SELECT is supported"},
    {"SELECT count(*) FROM cps; SELECT 1", CAIRN_ESQL,
        "only one statement is allowed"},
    {"SELEC count(*) FROM cps", CAIRN_ESQL,
        "syntax error at or near \"SELEC\" (at character 1)"},
    {"SELECT count(*) FROM", CAIRN_ESQL, "syntax error"},
    {"", CAIRN_ESQL, "empty query"},
    {"SELECT count(*) FROM cps GROUP BY region HAVING region = 'north'",
        CAIRN_ESQL,
        "HAVING may only compare aggregates with constants (at character 49)"},
    {"SELECT count(*) FROM cps ORDER BY 2", CAIRN_ESQL,
        "ORDER BY position is not in the select list (at character 35)"},
    {"SELECT count(*) FROM cps ORDER BY age", CAIRN_ESQL,
        "ORDER BY column 'age' must be a GROUP BY key"},
    {"SELECT count(*) FROM cps LIMIT -1", CAIRN_ESQL,
        "LIMIT must be a non-negative integer"},
    {"SELECT width_bucket(age, 10, 5, 3), count(*) FROM cps GROUP BY 1",
        CAIRN_ESQL, "width_bucket needs low < high"},
    {"SELECT width_bucket(age, 1.5, 5, 3), count(*) FROM cps GROUP BY 1",
        CAIRN_ESQL, "more decimals than column 'age'"},
    {"SELECT width_bucket(age, 0, 100, 0), count(*) FROM cps GROUP BY 1",
        CAIRN_ESQL, "width_bucket count must be an integer"},
    {"SELECT width_bucket(age, 0, 100, 10), count(*) FROM cps", CAIRN_ESQL,
        "this width_bucket must appear in GROUP BY"},
    {"SELECT count(*) FROM cps GROUP BY ROLLUP (region)", CAIRN_ESQL,
        "ROLLUP, CUBE or GROUPING SETS is not supported in GROUP BY"},
    {"SELECT count(*) FROM cps WHERE age > $1", CAIRN_ESQL,
        "a query parameter is not supported (at character 38)"},
    {"SELECT count(*) FROM cps WHERE age > 5::int", CAIRN_ESQL,
        "a type cast is not supported (at character 39)"},
    {"SELECT count(*) FROM cps WHERE age > 1e3", CAIRN_ESQL,
        "numeric constant '1e3' is not a plain decimal"},
    {"SELECT count(*) FROM cps WHERE age > 99999999999999999999", CAIRN_ESQL,
        "out of range"},
    {"SELECT count(*) FROM public.cps", CAIRN_ESQL,
        "schema-qualified names are not supported"},
    {"SELECT count(*) FROM cps c WHERE cps.age > 3", CAIRN_ESQL,
        "table 'cps' is not in FROM"},
    {"SELECT count(*) FROM cps WHERE CASE WHEN age > 3 THEN true END",
        CAIRN_ESQL, "CASE is not supported in WHERE (at character 32)"},
    {"SELECT count(*) FROM cps GROUP BY region, sex, width_bucket(age, 0, 100, 100000)",
        CAIRN_ETOOBIG, "too many groups"},
    {"SELECT FROM cps", CAIRN_ESQL, "the select list is empty"},
    {"SELECT 1 FROM cps", CAIRN_ESQL,
        "a constant is not supported in the select list"},
    {"SELECT count(*) FILTER (WHERE age > 3) FROM cps", CAIRN_ESQL,
        "FILTER on an aggregate is not supported"},
    {"SELECT count(*) AS \"a\x01z\" FROM cps", CAIRN_ESQL,
        "control characters"},
    {"SELECT count(*) FROM cps FOR UPDATE", CAIRN_ESQL,
        "locking clauses are not supported (at character 26)"},
};

/* err contains want; a trailing "(at character N)" in want is checked
 * separately so that the words before it may go on. */
static int
matches(const char *err, const char *want)
{
	const char *at = strstr(want, "(at character");
	char head[512];
	size_t n;

	if (at == NULL)
		return strstr(err, want) != NULL;
	if (strstr(err, at) == NULL)
		return 0;
	n = (size_t)(at - want);
	while (n > 0 && want[n - 1] == ' ')
		n--;
	memcpy(head, want, n);
	head[n] = '\0';
	return strstr(err, head) != NULL;
}

static void
test_refusals(void **state)
{
	char err[512];
	int failed = 0;

	(void)state;
	for (size_t i = 0; i < CRN_NELEM(bad); i++) {
		crn_plan *p = NULL;
		cairn_err rv;

		err[0] = '\0';
		rv = crn_sql_plan(schema, bad[i].sql, &p, err, sizeof(err));
		if (rv != bad[i].rv || !matches(err, bad[i].want)) {
			print_error("%s\n  got %d '%s'\n  want %d '%s'\n",
			    bad[i].sql, rv, err, bad[i].rv, bad[i].want);
			failed++;
		}
		assert_null(p);
	}
	CAIRN_T_EQ(failed, 0);
}

static void
test_oom(void **state)
{
	static const char *sql =
	    "SELECT region, width_bucket(age, 20, 60, 4), count(*), avg(wage), var_pop(score) FROM cps WHERE age IN (20, 30) AND NOT region = 'east' GROUP BY 1, 2 HAVING sum(age) > 3 ORDER BY 3 DESC, sum(score) LIMIT 4";

	(void)state;
	for (long n = 0; n < 1000; n++) {
		crn_plan *p = NULL;
		cairn_err rv;

		crn_alloc_fail_after(n);
		rv = crn_sql_plan(schema, sql, &p, NULL, 0);
		crn_alloc_fail_after(-1);
		if (rv == CAIRN_OK) {
			crn_plan_free(p);
			return;
		}
		CAIRN_T_EQ(rv, CAIRN_ENOMEM);
		assert_null(p);
	}
	fail_msg("planning never succeeded");
}

/* Trees deeper than protobuf-c's recursion can take are refused before
 * it sees them; shallower chains hit the planner's own limit. */
static void
test_deep_nesting(void **state)
{
	static const char *unit[] = {"NOT ", "1 + ", "- "};
	char *q, err[256];
	crn_plan *p = NULL;

	(void)state;
	q = crn_alloc(60000);
	assert_non_null(q);
	for (size_t u = 0; u < CRN_NELEM(unit); u++) {
		size_t n = (size_t)snprintf(
		    q, 60000, "SELECT count(*) FROM cps WHERE ");

		for (int i = 0; i < 5000; i++)
			n += (size_t)snprintf(q + n, 60000 - n, "%s", unit[u]);
		snprintf(
		    q + n, 60000 - n, "%s", u == 0 ? "age > 1" : "1 > age");
		if (u < 2) {
			CAIRN_T_FAIL(
			    crn_sql_plan(schema, q, &p, err, sizeof(err)),
			    CAIRN_ESQL);
			assert_null(p);
			continue;
		}
		/* PostgreSQL folds 5000 unary minuses into the constant:
		 * 1 > age, i.e. age < 1. */
		CAIRN_T_PASS(crn_sql_plan(schema, q, &p, err, sizeof(err)));
		CAIRN_T_EQ(p->where.kind, CRN_EX_CMP);
		CAIRN_T_EQ(p->where.op, CRN_OP_LT);
		CAIRN_T_EQ(p->where.vals[0].num, 1);
		crn_plan_free(p);
		p = NULL;
	}
	crn_free(q, 60000);
	CAIRN_T_FAIL(crn_sql_plan(schema,
	                 "SELECT count(*) FROM cps WHERE NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT age > 1",
	                 &p, err, sizeof(err)),
	    CAIRN_ESQL);
	assert_non_null(strstr(err, "WHERE is nested too deeply"));
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

static const struct CMUnitTest tests[] = {
    T(test_count_star),
    T(test_design_query),
    T(test_ring_64),
    T(test_ring_too_big),
    T(test_buckets_and_nulls),
    T(test_rounding),
    T(test_where_forms),
    T(test_having_order),
    T(test_refusals),
    T(test_oom),
    T(test_deep_nesting),
};

CAIRN_TEST_MAIN(tests)
