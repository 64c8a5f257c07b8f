/*
 * plan_sql_test.c — a node checks a query job's signed plan against its
 * signed SQL itself (crn_node_plan_is_sql, nodes/node/node.h).  The
 * operator approves and the audit log records the SQL; the node computes
 * the plan.  A researcher who signs an innocent SQL with the plan of
 * another query, and a coordinator that does not check (or colludes),
 * would have the node run what nobody approved.  Before this check only
 * the coordinator compared the two.
 */
#include <string.h>

#include "base/crn.h"
#include "cairn_test.h"
#include "node/node.h"
#include "query/codec_plan.h"
#include "query/schema.h"
#include "query/sql_plan.h"

static const char schema_text[] =
    "[federation]\nmin_cell = 5\nmax_nodes = 10\n"
    "[dataset cps]\nmax_rows = 100000\n"
    "[column cps.age]\ntype = integer\nmin = 16\nmax = 99\n"
    "[column cps.wage]\ntype = decimal\nscale = 2\nmin = 0\nmax = 500\n"
    "[column cps.region]\ntype = category\ndomain = north, south\n";

/* The encoded plan of sql under schema s. */
static uint8_t *
plan_of(const crn_schema *s, const char *sql, size_t *len)
{
	crn_plan *p = NULL;
	uint8_t *enc = NULL;
	char err[256];

	CAIRN_T_PASS(crn_sql_plan(s, sql, &p, err, sizeof(err)));
	CAIRN_T_PASS(crn_plan_encode(p, &enc, len));
	crn_plan_free(p);
	return enc;
}

static void
test_plan_is_sql(void **state)
{
	const char *innocent =
	    "SELECT region, count(*) FROM cps GROUP BY region";
	const char *target =
	    "SELECT region, count(*), sum(wage) FROM cps WHERE age = 47 GROUP BY region";
	crn_schema *s = NULL, *wide = NULL;
	uint8_t *mine, *other, *widened;
	size_t mlen, olen, wlen;
	char err[256], *wtext;

	(void)state;
	CAIRN_T_PASS(crn_schema_parse(schema_text, "t", &s, err, sizeof(err)));
	mine = plan_of(s, innocent, &mlen);
	other = plan_of(s, target, &olen);
	/* The plan of the SQL: accepted. */
	CAIRN_T_PASS(
	    crn_node_plan_is_sql(s, innocent, mine, mlen, err, sizeof(err)));
	/* The innocent SQL signed with the target's plan: refused. */
	CAIRN_T_FAIL(
	    crn_node_plan_is_sql(s, innocent, other, olen, err, sizeof(err)),
	    CAIRN_EPERM);
	assert_non_null(
	    strstr(err, "signed plan is not the plan of the signed SQL"));
	/* One byte of the plan changed: refused (malformed, or another
	 * plan). */
	mine[mlen / 2] ^= 1;
	assert_int_not_equal(
	    crn_node_plan_is_sql(s, innocent, mine, mlen, err, sizeof(err)),
	    CAIRN_OK);
	mine[mlen / 2] ^= 1;
	/* A plan made under a wider schema (the researcher's own file). */
	wtext = crn_strdup(schema_text);
	assert_non_null(wtext);
	memcpy(strstr(wtext, "max = 500"), "max = 900", 9);
	CAIRN_T_PASS(crn_schema_parse(wtext, "w", &wide, err, sizeof(err)));
	widened = plan_of(wide, "SELECT sum(wage) FROM cps", &wlen);
	CAIRN_T_FAIL(crn_node_plan_is_sql(s, "SELECT sum(wage) FROM cps",
	                 widened, wlen, err, sizeof(err)),
	    CAIRN_EPERM);
	/* A coordinator whose schema says min_cell 9: the same plan but for
	 * min_cell, which the node takes as the larger of the two anyway. */
	{
		crn_schema *strict = NULL;
		uint8_t *sp;
		size_t slen;

		memcpy(strstr(wtext, "max = 900"), "max = 500", 9);
		memcpy(strstr(wtext, "min_cell = 5"), "min_cell = 9", 12);
		CAIRN_T_PASS(
		    crn_schema_parse(wtext, "s", &strict, err, sizeof(err)));
		sp = plan_of(strict, innocent, &slen);
		CAIRN_T_PASS(crn_node_plan_is_sql(
		    s, innocent, sp, slen, err, sizeof(err)));
		crn_free(sp, slen);
		crn_schema_free(strict);
	}
	/* SQL that does not plan here: refused with the planner's reason. */
	CAIRN_T_FAIL(crn_node_plan_is_sql(s, "SELECT sum(salary) FROM cps",
	                 mine, mlen, err, sizeof(err)),
	    CAIRN_EPERM);
	assert_non_null(strstr(err, "does not plan under this node's schema"));
	/* No SQL at all: a plan alone, which the node logs as such. */
	CAIRN_T_PASS(
	    crn_node_plan_is_sql(s, "", other, olen, err, sizeof(err)));
	crn_free(mine, mlen);
	crn_free(other, olen);
	crn_free(widened, wlen);
	crn_strfree(wtext);
	crn_schema_free(wide);
	crn_schema_free(s);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_plan_is_sql),
};

CAIRN_TEST_MAIN(tests)
