/* sql_codec_test.c — query plans to bytes and back, and the decoder's
 * checks. */
#include <stdio.h>
#include <string.h>

#include "cairn_test.h"
#include "query_fix.h"
#include "query/codec_plan.h"
#include "query/schema.h"
#include "query/sql_plan.h"

/* CAIRN_TEST_TIMEOUT: 300 */

static const char schema_text[] =
    "[federation]\nmin_cell = 3\nmax_nodes = 50\n"
    "[dataset cps]\nmax_rows = 100000\n"
    "[column cps.age]\ntype = integer\nmin = 16\nmax = 99\n"
    "nullable = true\n"
    "[column cps.wage]\ntype = decimal\nscale = 2\nmin = -100\n"
    "max = 500000.00\nnullable = true\n"
    "[column cps.region]\ntype = category\n"
    "domain = north, south, east, west\n"
    "[column cps.sex]\ntype = category\ndomain = f, m\n";

static const char *queries[] = {
    "SELECT count(*) FROM cps",
    "SELECT region, count(*), avg(wage), stddev_pop(wage), sum(age) FROM cps WHERE age >= 18 AND (sex = 'f' OR wage < 10.005) AND NOT region IN ('east', 'west') AND wage IS NOT NULL GROUP BY region HAVING count(*) > 10 OR avg(wage) BETWEEN 1.5 AND 2 ORDER BY 3 DESC, sum(wage) LIMIT 3",
    "SELECT width_bucket(age, 20, 60, 8) AS b, sex, var_samp(age) FROM cps WHERE age NOT BETWEEN 30 AND 31 AND wage = 1.001 GROUP BY 1, 2 HAVING var_samp(age) IS NOT NULL ORDER BY b",
};

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

static void
expr_eq(const crn_expr *a, const crn_expr *b)
{
	CAIRN_T_EQ(a->kind, b->kind);
	CAIRN_T_EQ(a->nkids, b->nkids);
	CAIRN_T_EQ(a->nvals, b->nvals);
	if (a->kind == CRN_EX_CMP)
		CAIRN_T_EQ(a->op, b->op);
	if (a->nkids == 0 && a->kind != CRN_EX_TRUE)
		CAIRN_T_EQ(a->col, b->col);
	for (size_t i = 0; i < a->nvals; i++) {
		CAIRN_T_EQ(a->vals[i].num, b->vals[i].num);
		CAIRN_T_EQ(a->vals[i].cat, b->vals[i].cat);
		CAIRN_T_EQ(a->vals[i].scale, b->vals[i].scale);
	}
	for (size_t i = 0; i < a->nkids; i++)
		expr_eq(&a->kids[i], &b->kids[i]);
}

static void
plan_eq(const crn_plan *a, const crn_plan *b)
{
	assert_string_equal(a->dataset, b->dataset);
	CAIRN_T_EQ(a->ncols, b->ncols);
	for (size_t i = 0; i < a->ncols; i++) {
		assert_string_equal(a->cols[i].name, b->cols[i].name);
		CAIRN_T_EQ(a->cols[i].type, b->cols[i].type);
		CAIRN_T_EQ(a->cols[i].lo, b->cols[i].lo);
		CAIRN_T_EQ(a->cols[i].hi, b->cols[i].hi);
		CAIRN_T_EQ(a->cols[i].ndomain, b->cols[i].ndomain);
		CAIRN_T_EQ(a->cols[i].nullable, b->cols[i].nullable);
	}
	CAIRN_T_EQ(a->nkeys, b->nkeys);
	CAIRN_T_EQ(a->nmeasures, b->nmeasures);
	CAIRN_T_EQ(a->noutputs, b->noutputs);
	for (size_t i = 0; i < a->noutputs; i++) {
		assert_string_equal(a->outputs[i].name, b->outputs[i].name);
		CAIRN_T_EQ(a->outputs[i].hidden, b->outputs[i].hidden);
		CAIRN_T_EQ(a->outputs[i].fn, b->outputs[i].fn);
	}
	CAIRN_T_EQ(a->ngroups, b->ngroups);
	CAIRN_T_EQ(a->per_group, b->per_group);
	CAIRN_T_EQ(a->dim, b->dim);
	CAIRN_T_EQ(a->ring_bits, b->ring_bits);
	CAIRN_T_EQ(a->limit, b->limit);
	CAIRN_T_EQ(a->norder, b->norder);
	CAIRN_T_EQ(a->max_rows, b->max_rows);
	CAIRN_T_EQ(a->max_nodes, b->max_nodes);
	CAIRN_T_EQ(a->min_cell, b->min_cell);
	expr_eq(&a->where, &b->where);
	assert_true((a->having == NULL) == (b->having == NULL));
	if (a->having != NULL)
		expr_eq(a->having, b->having);
}

static void
test_round_trip(void **state)
{
	(void)state;
	for (size_t q = 0; q < CRN_NELEM(queries); q++) {
		crn_plan *p = plan(queries[q]), *d = NULL;
		uint8_t *buf = NULL, *buf2 = NULL;
		size_t len = 0, len2 = 0;

		CAIRN_T_PASS(crn_plan_encode(p, &buf, &len));
		CAIRN_T_PASS(crn_plan_decode(buf, len, &d));
		plan_eq(p, d);
		/* Encoding is deterministic: decode(encode) re-encodes to
		 * the same bytes. */
		CAIRN_T_PASS(crn_plan_encode(d, &buf2, &len2));
		CAIRN_T_EQ(len, len2);
		assert_memory_equal(buf, buf2, len);
		crn_free(buf, len);
		crn_free(buf2, len2);
		crn_plan_free(d);
		crn_plan_free(p);
	}
}

/* Each tampering of a valid plan must be refused. */
static void
test_refuses_inconsistent(void **state)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int i;

	(void)state;
	for (i = 0; i < 16; i++) {
		crn_plan *p = plan(queries[1]);

		switch (i) {
		case 0: p->dim++; break;
		case 1: p->per_group--; break;
		case 2: p->ngroups = 5; break;
		case 3: p->ring_bits = 32; break;
		case 4: p->ring_bits = 64; break; /* too narrow */
		case 5: p->keys[0].card = 5; break;
		case 6: p->measures[0].offset = 7; break;
		case 7: p->outputs[2].measure = 9; break;
		case 8: p->outputs[0].key = 3; break;
		case 9: p->order[0].output = 40; break;
		case 10: p->having->kids[0].col = 40; break;
		case 11: p->where.kids[0].col = 99; break;
		case 12: p->where.kids[2].kids[0].vals[0].cat = 4; break;
		case 13: p->measures[0].need_sumsq = false; break;
		case 14: p->where.kids[0].op = (crn_cmpop)17; break;
		case 15: p->cols[2].ndomain = 0; break;
		}
		if (crn_plan_encode(p, &buf, &len) != CAIRN_EINVAL)
			fail_msg("tampering %d was accepted", i);
		if (i == 15)
			p->cols[2].ndomain = 4; /* so free sees all */
		crn_plan_free(p);
	}
}

/* Every single-byte change and truncation of an encoding decodes to an
 * error or to a plan that passes the checks; nothing crashes or leaks. */
static void
test_mutations(void **state)
{
	crn_plan *p = plan(queries[2]), *d;
	uint8_t *buf = NULL;
	size_t len = 0, ok = 0;

	(void)state;
	CAIRN_T_PASS(crn_plan_encode(p, &buf, &len));
	for (size_t i = 0; i < len; i++) {
		static const uint8_t deltas[] = {0x01, 0x80, 0xff};

		for (size_t k = 0; k < CRN_NELEM(deltas); k++) {
			uint8_t save = buf[i];

			buf[i] ^= deltas[k];
			d = NULL;
			if (crn_plan_decode(buf, len, &d) == CAIRN_OK) {
				CAIRN_T_PASS(crn_plan_check(d));
				ok++;
			}
			crn_plan_free(d);
			buf[i] = save;
		}
		d = NULL;
		if (crn_plan_decode(buf, i, &d) == CAIRN_OK)
			ok++;
		crn_plan_free(d);
	}
	/* Most changes are caught (names and descending flags are not
	 * checkable, so some survive). */
	assert_true(ok < len);
	d = NULL;
	CAIRN_T_FAIL(crn_plan_decode(NULL, 0, &d), CAIRN_EPROTO);
	CAIRN_T_FAIL(
	    crn_plan_decode(buf, CRN_PLAN_MAX_ENCODED + 1, &d), CAIRN_ETOOBIG);
	assert_null(d);
	crn_free(buf, len);
	crn_plan_free(p);
}

static void
test_oom(void **state)
{
	crn_plan *p = plan(queries[1]);
	uint8_t *buf = NULL;
	size_t len = 0;

	(void)state;
	for (long n = 0; n < 2000; n++) {
		crn_plan *d = NULL;
		cairn_err rv;

		crn_alloc_fail_after(n);
		rv = crn_plan_encode(p, &buf, &len);
		if (rv == CAIRN_OK) {
			rv = crn_plan_decode(buf, len, &d);
			crn_free(buf, len);
		}
		crn_alloc_fail_after(-1);
		crn_plan_free(d);
		if (rv == CAIRN_OK) {
			crn_plan_free(p);
			return;
		}
		CAIRN_T_EQ(rv, CAIRN_ENOMEM);
	}
	fail_msg("never succeeded");
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

static const struct CMUnitTest tests[] = {
    T(test_round_trip),
    T(test_refuses_inconsistent),
    T(test_mutations),
    T(test_oom),
};

CAIRN_TEST_MAIN(tests)
