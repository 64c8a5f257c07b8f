/* sql_result_test.c — decoding summed vectors into result tables. */
#include <stdio.h>
#include <string.h>

#include "cairn_test.h"
#include "query_fix.h"
#include "query/schema.h"
#include "query/sql_plan.h"
#include "query/sql_result.h"

static const char schema_text[] =
    "[federation]\nmin_cell = 2\nmax_nodes = 10\n"
    "[dataset t]\nmax_rows = 100\n"
    "[column t.region]\ntype = category\n"
    "domain = north, south, east, west\n"
    "[column t.wage]\ntype = decimal\nscale = 2\nmin = 0\n"
    "max = 500000.00\nnullable = true\n"
    "[column t.age]\ntype = integer\nmin = 0\nmax = 120\n"
    "nullable = true\n"
    "[column t.score]\ntype = decimal\nscale = 1\nmin = -50\n"
    "max = 50\nnullable = true\n";

static crn_schema *schema;

static int
setup(void **state)
{
	(void)state;
	return crn_t_schema_parse(schema_text, "t", &schema);
}

static int
teardown(void **state)
{
	(void)state;
	crn_schema_free(schema);
	return 0;
}

static crn_plan *
plan(const char *sql)
{
	return crn_t_plan(schema, sql);
}

/* A zeroed vector for p and a setter for its elements. */
static uint8_t *
vec_new(const crn_plan *p, size_t *len)
{
	*len = p->dim * (p->ring_bits / 8);
	return crn_zalloc(*len);
}

static void
put(const crn_plan *p, uint8_t *v, uint64_t group, uint32_t off, __int128 x)
{
	unsigned __int128 u = (unsigned __int128)x;
	uint32_t nb = p->ring_bits / 8, i;
	uint8_t *b = v + (group * p->per_group + off) * nb;

	for (i = 0; i < nb; i++) {
		b[i] = (uint8_t)(u & 0xff);
		u >>= 8;
	}
}

static void
check_json(const crn_result *r, const char *want)
{
	char *s = NULL;
	size_t n = 0;

	CAIRN_T_PASS(crn_result_json(r, &s, &n));
	assert_string_equal(s, want);
	CAIRN_T_EQ(strlen(s), n);
	crn_free(s, n + 1);
}

static char *
render(const crn_result *r, int fmt)
{
	char *s = NULL;
	size_t n = 0;

	if (fmt == 0)
		CAIRN_T_PASS(crn_result_text(r, &s, &n));
	else if (fmt == 1)
		CAIRN_T_PASS(crn_result_csv(r, &s, &n));
	else
		CAIRN_T_PASS(crn_result_json(r, &s, &n));
	CAIRN_T_EQ(strlen(s), n);
	return s;
}

static void
render_free(char *s)
{
	crn_free(s, strlen(s) + 1);
}

static void
test_groups_and_moments(void **state)
{
	crn_plan *p;
	crn_result *r = NULL;
	uint8_t *v;
	size_t len;

	(void)state;
	p = plan("SELECT region, count(*) AS \"n, \"\"all\"\"\", sum(wage), avg(wage), var_samp(wage), stddev_pop(wage) FROM t GROUP BY region ORDER BY region");
	/* 5e7^2 * 1000 rows = 2.5e18 < 2^63 */
	CAIRN_T_EQ(p->ring_bits, 64);
	CAIRN_T_EQ(p->per_group, 5);
	CAIRN_T_EQ(p->ngroups, 4);
	v = vec_new(p, &len);
	/* north: wages 10.00, 20.00, 30.00 */
	put(p, v, 0, 0, 3);
	put(p, v, 0, 1, 3);
	put(p, v, 0, 2, 6000);
	put(p, v, 0, 3, 1000 * 1000 + 2000 * 2000 + 3000 * 3000);
	/* south: one row -> suppressed */
	put(p, v, 1, 0, 1);
	put(p, v, 1, 1, 1);
	put(p, v, 1, 2, 100);
	put(p, v, 1, 3, 10000);
	/* east: no rows -> suppressed alike */
	/* west: NULL, 5.50 (clipped once) and 5.50 */
	put(p, v, 3, 0, 3);
	put(p, v, 3, 1, 2);
	put(p, v, 3, 2, 1100);
	put(p, v, 3, 3, 2 * 550 * 550);
	put(p, v, 3, 4, 1);
	CAIRN_T_PASS(crn_sql_result_decode(p, v, len, 3, &r));
	CAIRN_T_EQ(r->nrows, 2);
	CAIRN_T_EQ(r->ncols, 6);
	CAIRN_T_EQ(r->suppressed_groups, 2);
	CAIRN_T_EQ(r->suppressed_cells, 0);
	CAIRN_T_EQ(r->clipped, 1);
	/* var_samp(10,20,30) = 100; stddev_pop = sqrt(200/3) */
	check_json(r,
	    "{\"columns\": [\"region\", \"n, \\\"all\\\"\", \"sum\", \"avg\", \"var_samp\", \"stddev_pop\"], \"rows\": [[\"north\", 3, 60.00, 20, 100, 8.16496580927726], [\"west\", 3, 11.00, 5.5, 0, 0]], \"suppressed\": [[false, false, false, false, false, false], [false, false, false, false, false, false]], \"suppressed_cells\": 0, \"suppressed_groups\": 2, \"min_cell\": 2, \"clipped\": 1}");
	{
		char *s = render(r, 1);

		assert_string_equal(s,
		    "region,\"n, \"\"all\"\"\",sum,avg,var_samp,stddev_pop\r\n"
		    "north,3,60.00,20,100,8.16496580927726\r\n"
		    "west,3,11.00,5.5,0,0\r\n");
		render_free(s);
		s = render(r, 0);
		assert_non_null(strstr(s, " region | n, \"all\" |   sum |"));
		assert_non_null(strstr(s,
		    "(2 rows; 2 groups suppressed: fewer than 2 contributing rows, or none; 1 value clipped"));
		render_free(s);
	}
	crn_result_free(r);
	crn_free(v, len);
	crn_plan_free(p);
}

/* Finding 4: a group of 41 rows whose only non-NULL wage is one person's
 * (WHERE wage IS NULL OR <that person>).  count(*) is released, every
 * aggregate over wage is not. */
static void
test_null_padding(void **state)
{
	crn_plan *p;
	crn_result *r = NULL;
	uint8_t *v;
	size_t len;

	(void)state;
	p = plan("SELECT count(*), sum(wage), avg(wage), count(wage), stddev_pop(wage), avg(age) FROM t WHERE wage IS NULL OR (region = 'west' AND age = 47)");
	v = vec_new(p, &len);
	put(p, v, 0, 0, 41);
	put(p, v, 0, 1, 1); /* count(wage): the one person */
	put(p, v, 0, 2, 432100);
	put(p, v, 0, 3, (__int128)432100 * 432100);
	put(p, v, 0, 5, 41); /* age, known for everyone */
	put(p, v, 0, 6, 41 * 40);
	CAIRN_T_PASS(crn_sql_result_decode(p, v, len, 3, &r));
	check_json(r,
	    "{\"columns\": [\"count\", \"sum\", \"avg\", \"count\", \"stddev_pop\", \"avg\"], \"rows\": [[41, null, null, null, null, 40]], \"suppressed\": [[false, true, true, true, true, false]], \"suppressed_cells\": 4, \"suppressed_groups\": 0, \"min_cell\": 2, \"clipped\": 0}");
	{
		char *s = render(r, 0);

		assert_null(strstr(s, "4321"));
		assert_non_null(strstr(s, " 41 | suppressed | suppressed |"));
		render_free(s);
	}
	crn_result_free(r);
	crn_free(v, len);
	crn_plan_free(p);
}

/* A cell with no rows and one with fewer than min_cell rows render the
 * same in every format, grouped or not. */
static void
same_renderings(
    const crn_plan *p, const uint8_t *a, const uint8_t *b, size_t len)
{
	crn_result *ra = NULL, *rb = NULL;

	CAIRN_T_PASS(crn_sql_result_decode(p, a, len, 2, &ra));
	CAIRN_T_PASS(crn_sql_result_decode(p, b, len, 2, &rb));
	for (int fmt = 0; fmt < 3; fmt++) {
		char *sa = render(ra, fmt), *sb = render(rb, fmt);

		assert_string_equal(sa, sb);
		render_free(sa);
		render_free(sb);
	}
	crn_result_free(ra);
	crn_result_free(rb);
}

static void
test_zero_vs_small(void **state)
{
	crn_plan *p;
	uint8_t *a, *b;
	size_t len;

	(void)state;
	p = plan("SELECT region, count(*), sum(wage) FROM t GROUP BY region");
	a = vec_new(p, &len);
	b = vec_new(p, &len);
	/* north: 4 rows in both; east: none in a, one in b */
	put(p, a, 0, 0, 4);
	put(p, a, 0, 1, 4);
	put(p, a, 0, 2, 4000);
	memcpy(b, a, len);
	put(p, b, 2, 0, 1);
	put(p, b, 2, 1, 1);
	put(p, b, 2, 2, 123456);
	same_renderings(p, a, b, len);
	crn_free(a, len);
	crn_free(b, len);
	crn_plan_free(p);

	p = plan("SELECT count(*), avg(age) FROM t WHERE region = 'east'");
	a = vec_new(p, &len);
	b = vec_new(p, &len);
	put(p, b, 0, 0, 1);
	put(p, b, 0, 1, 1);
	put(p, b, 0, 2, 47);
	same_renderings(p, a, b, len);
	{
		crn_result *r = NULL;

		CAIRN_T_PASS(crn_sql_result_decode(p, a, len, 2, &r));
		check_json(r,
		    "{\"columns\": [\"count\", \"avg\"], \"rows\": [[null, null]], \"suppressed\": [[true, true]], \"suppressed_cells\": 2, \"suppressed_groups\": 0, \"min_cell\": 2, \"clipped\": 0}");
		crn_result_free(r);
	}
	crn_free(a, len);
	crn_free(b, len);
	crn_plan_free(p);
}

/* HAVING and ORDER BY see a suppressed value as NULL. */
static void
test_having_order_suppressed(void **state)
{
	crn_plan *p;
	crn_result *r = NULL;
	uint8_t *v;
	size_t len;

	(void)state;
	p = plan("SELECT region, sum(wage) FROM t GROUP BY region HAVING sum(wage) > 0 OR count(*) > 100");
	v = vec_new(p, &len);
	/* north: 3 wages; south: 3 rows, one wage of 999.99 */
	put(p, v, 0, 0, 3);
	put(p, v, 0, 1, 3);
	put(p, v, 0, 2, 600);
	put(p, v, 1, 0, 3);
	put(p, v, 1, 1, 1);
	put(p, v, 1, 2, 99999);
	CAIRN_T_PASS(crn_sql_result_decode(p, v, len, 2, &r));
	/* south's suppressed sum is NULL: NULL > 0 is unknown, dropped */
	CAIRN_T_EQ(r->nrows, 1);
	CAIRN_T_EQ(r->suppressed_cells, 0);
	crn_result_free(r);
	crn_plan_free(p);

	p = plan("SELECT region, sum(wage) FROM t GROUP BY region HAVING sum(wage) IS NULL");
	CAIRN_T_PASS(crn_sql_result_decode(p, v, len, 2, &r));
	check_json(r,
	    "{\"columns\": [\"region\", \"sum\"], \"rows\": [[\"south\", null]], \"suppressed\": [[false, true]], \"suppressed_cells\": 1, \"suppressed_groups\": 2, \"min_cell\": 2, \"clipped\": 0}");
	crn_result_free(r);
	crn_plan_free(p);

	/* NULLs sort last ascending and first descending. */
	p = plan("SELECT region, avg(wage) FROM t GROUP BY region ORDER BY avg(wage)");
	CAIRN_T_PASS(crn_sql_result_decode(p, v, len, 2, &r));
	CAIRN_T_EQ(r->nrows, 2);
	assert_string_equal(r->cells[0].text, "north");
	assert_true(r->cells[3].suppressed);
	crn_result_free(r);
	crn_plan_free(p);
	p = plan("SELECT region, avg(wage) FROM t GROUP BY region ORDER BY avg(wage) DESC LIMIT 1");
	CAIRN_T_PASS(crn_sql_result_decode(p, v, len, 2, &r));
	CAIRN_T_EQ(r->nrows, 1);
	assert_string_equal(r->cells[0].text, "south");
	CAIRN_T_EQ(r->suppressed_cells, 1);
	crn_result_free(r);
	crn_plan_free(p);
	crn_free(v, len);
}

static void
test_buckets_having_limit(void **state)
{
	crn_plan *p;
	crn_result *r = NULL;
	uint8_t *v;
	size_t len;

	(void)state;
	p = plan("SELECT width_bucket(age, 20, 60, 2) AS b, count(*) AS n, sum(score) FROM t GROUP BY 1 HAVING count(*) >= 2 ORDER BY n DESC, b LIMIT 2");
	/* 500 * 1000 rows < 2^31 */
	CAIRN_T_EQ(p->ring_bits, 32);
	CAIRN_T_EQ(p->ngroups, 5); /* 0, 1, 2, 3, NULL */
	CAIRN_T_EQ(p->per_group, 4);
	v = vec_new(p, &len);
	/* bucket 0: scores -1.5, -2.0, NULL (negative: two's complement) */
	put(p, v, 0, 0, 3);
	put(p, v, 0, 1, 2);
	put(p, v, 0, 2, -35);
	/* bucket 1: 4.0, 5.0 */
	put(p, v, 1, 0, 2);
	put(p, v, 1, 1, 2);
	put(p, v, 1, 2, 90);
	/* bucket 2: one row -> suppressed; bucket 3: none, alike */
	put(p, v, 2, 0, 1);
	/* NULL age: five rows of 1.0, two of them clipped */
	put(p, v, 4, 0, 5);
	put(p, v, 4, 1, 5);
	put(p, v, 4, 2, 50);
	put(p, v, 4, 3, 2);
	CAIRN_T_PASS(crn_sql_result_decode(p, v, len, 2, &r));
	check_json(r,
	    "{\"columns\": [\"b\", \"n\", \"sum\"], \"rows\": [[null, 5, 5.0], [0, 3, -3.5]], \"suppressed\": [[false, false, false], [false, false, false]], \"suppressed_cells\": 0, \"suppressed_groups\": 2, \"min_cell\": 2, \"clipped\": 2}");
	crn_result_free(r);
	crn_plan_free(p);

	/* The same vector, HAVING on a sum with a finer constant. */
	p = plan("SELECT width_bucket(age, 20, 60, 2) AS b, sum(score) FROM t GROUP BY 1 HAVING sum(score) > -3.55 AND NOT sum(score) IN (5) ORDER BY 2");
	CAIRN_T_PASS(crn_sql_result_decode(p, v, len, 2, &r));
	check_json(r,
	    "{\"columns\": [\"b\", \"sum\"], \"rows\": [[0, -3.5], [1, 9.0]], \"suppressed\": [[false, false], [false, false]], \"suppressed_cells\": 0, \"suppressed_groups\": 2, \"min_cell\": 2, \"clipped\": 0}");
	crn_result_free(r);
	crn_plan_free(p);
	crn_free(v, len);
}

static void
test_no_group_by(void **state)
{
	crn_plan *p;
	crn_result *r = NULL;
	uint8_t *v;
	size_t len;

	(void)state;
	p = plan("SELECT count(*), avg(age), variance(age) FROM t WHERE region = 'north'");
	v = vec_new(p, &len);
	/* ages 20, 30, 40, 50 and one NULL */
	put(p, v, 0, 0, 5);
	put(p, v, 0, 1, 4);
	put(p, v, 0, 2, 140);
	put(p, v, 0, 3, 400 + 900 + 1600 + 2500);
	CAIRN_T_PASS(crn_sql_result_decode(p, v, len, 1, &r));
	/* var_samp = ((5400 - 140^2/4) / 3) = 166.666... */
	check_json(r,
	    "{\"columns\": [\"count\", \"avg\", \"variance\"], \"rows\": [[5, 35, 166.666666666667]], \"suppressed\": [[false, false, false]], \"suppressed_cells\": 0, \"suppressed_groups\": 0, \"min_cell\": 2, \"clipped\": 0}");
	crn_result_free(r);
	/* A single small group: its one row, every aggregate suppressed. */
	memset(v, 0, len);
	put(p, v, 0, 0, 1);
	CAIRN_T_PASS(crn_sql_result_decode(p, v, len, 1, &r));
	CAIRN_T_EQ(r->nrows, 1);
	CAIRN_T_EQ(r->suppressed_cells, 3);
	{
		char *s = render(r, 1);

		assert_string_equal(s, "count,avg,variance\r\n,,\r\n");
		render_free(s);
	}
	crn_result_free(r);
	crn_free(v, len);
	crn_plan_free(p);
}

static void
test_dishonest_sums(void **state)
{
	crn_plan *p;
	crn_result *r = NULL;
	uint8_t *v;
	size_t len;

	(void)state;
	p = plan("SELECT count(*), sum(score) FROM t");
	v = vec_new(p, &len);
	CAIRN_T_FAIL(crn_sql_result_decode(p, v, len - 1, 1, &r), CAIRN_EINVAL);
	put(p, v, 0, 0, -1); /* negative count */
	CAIRN_T_FAIL(crn_sql_result_decode(p, v, len, 1, &r), CAIRN_EPROTO);
	put(p, v, 0, 0, 101); /* more rows than one node holds */
	CAIRN_T_FAIL(crn_sql_result_decode(p, v, len, 1, &r), CAIRN_EPROTO);
	CAIRN_T_PASS(crn_sql_result_decode(p, v, len, 2, &r));
	crn_result_free(r);
	put(p, v, 0, 0, 3);
	put(p, v, 0, 1, 2);
	put(p, v, 0, 2, 1001); /* above 2 * 50.0 */
	CAIRN_T_FAIL(crn_sql_result_decode(p, v, len, 1, &r), CAIRN_EPROTO);
	put(p, v, 0, 2, -1001);
	CAIRN_T_FAIL(crn_sql_result_decode(p, v, len, 1, &r), CAIRN_EPROTO);
	put(p, v, 0, 2, 1000);
	put(p, v, 0, 3, 3); /* clipped more than counted */
	CAIRN_T_FAIL(crn_sql_result_decode(p, v, len, 1, &r), CAIRN_EPROTO);
	put(p, v, 0, 3, 0);
	CAIRN_T_PASS(crn_sql_result_decode(p, v, len, 1, &r));
	check_json(r,
	    "{\"columns\": [\"count\", \"sum\"], \"rows\": [[3, 100.0]], \"suppressed\": [[false, false]], \"suppressed_cells\": 0, \"suppressed_groups\": 0, \"min_cell\": 2, \"clipped\": 0}");
	crn_result_free(r);
	assert_null(NULL);
	crn_free(v, len);
	crn_plan_free(p);
}

static void
test_oom(void **state)
{
	crn_plan *p;
	uint8_t *v;
	size_t len;

	(void)state;
	p = plan("SELECT region, count(*) AS n, avg(wage) FROM t GROUP BY region HAVING count(*) > 1 ORDER BY n DESC");
	v = vec_new(p, &len);
	for (uint64_t g = 0; g < p->ngroups; g++)
		put(p, v, g, 0, (__int128)(g + 2));
	for (long n = 0; n < 200; n++) {
		crn_result *r = NULL;
		char *s = NULL;
		size_t sl = 0;
		cairn_err rv;

		crn_alloc_fail_after(n);
		rv = crn_sql_result_decode(p, v, len, 1, &r);
		if (rv == CAIRN_OK) {
			rv = crn_result_text(r, &s, &sl);
			if (rv == CAIRN_OK)
				crn_free(s, sl + 1);
		}
		crn_alloc_fail_after(-1);
		crn_result_free(r);
		if (rv == CAIRN_OK) {
			crn_free(v, len);
			crn_plan_free(p);
			return;
		}
		CAIRN_T_EQ(rv, CAIRN_ENOMEM);
	}
	fail_msg("never succeeded");
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

static const struct CMUnitTest tests[] = {
    T(test_groups_and_moments),
    T(test_null_padding),
    T(test_zero_vs_small),
    T(test_having_order_suppressed),
    T(test_buckets_having_limit),
    T(test_no_group_by),
    T(test_dishonest_sums),
    T(test_oom),
};

CAIRN_TEST_MAIN(tests)
