/*
 * sql_result_dp_test.c — decoding a noisy pass-2 sum (plan->dp_rho > 0):
 * counts below zero, sums outside the bounds and clip counts above the
 * count, which the exact decoder refuses as impossible, are clamped
 * (post-processing) instead; each released figure carries the noise sd
 * the nodes were asked to add (times the nodes that did) and its 95%
 * interval, in JSON and in the table.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cairn_test.h"
#include "query/dp_account.h"
#include "query/schema.h"
#include "query/sql_plan.h"
#include "query/sql_result.h"

static const char schema_text[] =
    "[federation]\nmin_cell = 2\nmax_nodes = 10\n"
    "[dataset t]\nmax_rows = 100\n"
    "[column t.region]\ntype = category\n"
    "domain = north, south, east, west\n"
    "[column t.wage]\ntype = decimal\nscale = 2\nmin = 0\n"
    "max = 5000.00\nnullable = true\n";

static void
put(const crn_plan *p, uint8_t *v, uint64_t k, uint32_t off, __int128 x)
{
	unsigned __int128 u = (unsigned __int128)x;
	uint32_t nb = p->ring_bits / 8;
	uint8_t *b = v + (k * p->per_group + off) * nb;

	for (uint32_t i = 0; i < nb; i++, u >>= 8)
		b[i] = (uint8_t)(u & 0xff);
}

static void
test_noisy_release(void **state)
{
	crn_schema *s = NULL;
	crn_plan *p = NULL;
	crn_result *r = NULL;
	crn_release rel;
	crn_dp_noise nz;
	uint64_t groups[2] = {0, 1}, counts[4] = {12, 12, 4, 4};
	uint8_t *v;
	size_t len;
	uint32_t m;
	char err[256], *js = NULL, *txt = NULL;
	size_t jn = 0, tn = 0;

	(void)state;
	CAIRN_T_PASS(crn_schema_parse(schema_text, "t", &s, err, sizeof(err)));
	CAIRN_T_PASS(crn_sql_plan(s,
	    "SELECT region, count(*), sum(wage) FROM t GROUP BY region", &p,
	    err, sizeof(err)));
	memset(&rel, 0, sizeof(rel));
	rel.min_cell = p->min_cell;
	rel.threshold = 3;
	rel.nodes = 4;
	rel.nmeasures = 1;
	rel.ngroups = 2;
	rel.groups = groups;
	rel.counts = counts;
	len = crn_release_figures_dim(p, &rel) * (p->ring_bits / 8);
	v = crn_zalloc(len);
	m = 1 + p->measures[0].offset;
	/* Listed group 0: plausible figures. */
	put(p, v, 0, 0, 11);
	put(p, v, 0, m, 10);
	put(p, v, 0, m + 1, 123456);
	/* Listed group 1: what noise can make of a 4-row cell. */
	put(p, v, 1, 0, -3);
	put(p, v, 1, m, 9);
	put(p, v, 1, m + 1, -7777777);
	put(p, v, 1, m + 2, 50);
	/* Exact decoding refuses it. */
	assert_int_equal(
	    crn_sql_result_release(p, &rel, v, len, 4, &r), CAIRN_EPROTO);
	p->dp_epsilon = 1;
	p->dp_delta = 1e-6;
	p->dp_rho = crn_dp_rho_of(1, 1e-6);
	CAIRN_T_PASS(crn_sql_result_release(p, &rel, v, len, 4, &r));
	/* Group 1's count is clamped to 0: not listed. */
	assert_int_equal(r->nrows, 1);
	assert_int_equal(r->suppressed_groups, 3);
	CAIRN_T_PASS(crn_dp_noise_of(&nz, p, p->dp_rho, 3));
	assert_true(
	    fabsl(r->cells[1].noise_sd -
	        sqrtl((long double)nz.node_sigma2[CRN_DP_COUNTS] * 4)) < 1e-9);
	assert_true(fabsl(r->cells[2].noise_sd -
	                sqrtl((long double)nz.node_sigma2[CRN_DP_SUMS] * 4) /
	                    100) < 1e-6);
	assert_true(r->cells[0].noise_sd == 0); /* the key */
	CAIRN_T_PASS(crn_result_json(r, &js, &jn));
	print_message("%s\n", js);
	assert_non_null(strstr(js, "\"epsilon\": 1, \"delta\": "));
	assert_non_null(strstr(js, "\"noise_sd\": [[null, "));
	assert_non_null(strstr(js, "\"ci95\": [[null, [-"));
	CAIRN_T_PASS(crn_result_text(r, &txt, &tn));
	print_message("%s", txt);
	assert_non_null(strstr(txt, "11 ±"));
	assert_non_null(strstr(txt, "differential privacy epsilon 1"));
	crn_free(js, jn + 1);
	crn_free(txt, tn + 1);
	crn_result_free(r);
	crn_free(v, len);
	crn_plan_free(p);
	crn_schema_free(s);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_noisy_release),
};

CAIRN_TEST_MAIN(tests)
