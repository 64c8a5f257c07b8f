/*
 * release_test.c — the two-pass release rule (core/release.h) without
 * processes: what nodes send in each pass, what the coordinator lists,
 * which cells a node zeroes, and the final decode's re-check.
 *
 * Three nodes hold rows of one dataset; their full local results are built
 * by hand, the passes are summed in the clear (secure aggregation's job
 * is the sum; the decisions around it are tested here).
 */
#include <stdio.h>
#include <string.h>

#include "cairn_test.h"
#include "query_fix.h"
#include "query/codec_release.h"
#include "proto/plan.pb-c.h"
#include "query/release.h"
#include "query/schema.h"
#include "query/sql_plan.h"
#include "query/sql_result.h"

static const char schema_text[] =
    "[federation]\nmin_cell = 3\nmax_nodes = 10\n"
    "[dataset t]\nmax_rows = 100\n"
    "[column t.region]\ntype = category\n"
    "domain = north, south, east, west\n"
    "[column t.wage]\ntype = decimal\nscale = 2\nmin = 0\n"
    "max = 9999.99\nnullable = true\n"
    "[column t.age]\ntype = integer\nmin = 0\nmax = 120\n";

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

/* ---- vectors ---------------------------------------------------------- */

static __int128
nat_get(const void *v, uint32_t bits, uint64_t i)
{
	if (bits == 32)
		return (int32_t)((const uint32_t *)v)[i];
	if (bits == 64)
		return (int64_t)((const uint64_t *)v)[i];
	return (__int128)((const unsigned __int128 *)v)[i];
}

static void
nat_add(void *v, uint32_t bits, uint64_t i, __int128 x)
{
	if (bits == 32)
		((uint32_t *)v)[i] += (uint32_t)x;
	else if (bits == 64)
		((uint64_t *)v)[i] += (uint64_t)x;
	else
		((unsigned __int128 *)v)[i] += (unsigned __int128)x;
}

/* The plan's full local result of one node: per group, rows and wages
 * (a wage < 0 is NULL), ages summed along. */
typedef struct node {
	void *full;
	size_t len;
} node;

static void
node_row(const crn_plan *p, node *n, uint64_t g, int64_t wage, int64_t age)
{
	uint64_t b = g * p->per_group;

	nat_add(n->full, p->ring_bits, b, 1);
	for (size_t j = 0; j < p->nmeasures; j++) {
		const crn_measure *m = &p->measures[j];
		int64_t x =
		    strcmp(p->cols[m->col].name, "wage") == 0 ? wage : age;

		if (x < 0)
			continue;
		nat_add(n->full, p->ring_bits, b + 1 + m->offset, 1);
		nat_add(n->full, p->ring_bits, b + 1 + m->offset + 1, x);
		if (m->need_sumsq)
			nat_add(n->full, p->ring_bits, b + 1 + m->offset + 2,
			    (__int128)x * x);
	}
}

static void
node_init(const crn_plan *p, node *n)
{
	n->len = p->dim * (p->ring_bits / 8);
	n->full = crn_zalloc(n->len);
	assert_non_null(n->full);
}

/* Sum native vectors of dim elements into a little-endian buffer. */
static uint8_t *
sum_le(void *const *vecs, size_t nvec, uint32_t bits, uint64_t dim, size_t *len)
{
	size_t w = bits / 8;
	uint8_t *out;

	*len = dim * w;
	out = crn_zalloc(*len > 0 ? *len : 1);
	assert_non_null(out);
	for (uint64_t i = 0; i < dim; i++) {
		unsigned __int128 s = 0;

		for (size_t k = 0; k < nvec; k++)
			s += (unsigned __int128)nat_get(vecs[k], bits, i);
		for (size_t b = 0; b < w; b++)
			out[i * w + b] = (uint8_t)(s >> (8 * b));
	}
	return out;
}

/* Pass 1 over the nodes: the coordinator's list. */
static void
pass1(const crn_plan *p, node *nodes, size_t n, crn_release *rel)
{
	void *v[8];
	size_t vlen[8], slen;
	uint32_t bits;
	uint64_t dim;
	uint8_t *sum;

	CAIRN_T_PASS(crn_release_counts_shape(p, &bits, &dim));
	for (size_t k = 0; k < n; k++) {
		CAIRN_T_PASS(crn_release_counts_vector(
		    p, nodes[k].full, &v[k], &vlen[k]));
		CAIRN_T_EQ(vlen[k], dim * (bits / 8));
	}
	sum = sum_le(v, n, bits, dim, &slen);
	CAIRN_T_PASS(crn_release_decide(p, sum, slen, (uint32_t)n, rel));
	for (size_t k = 0; k < n; k++)
		crn_freezero(v[k], vlen[k]);
	crn_free(sum, slen > 0 ? slen : 1);
}

/* Pass 2 over the nodes, each with its own threshold: the result. */
static crn_result *
pass2(const crn_plan *p, node *nodes, const uint32_t *mc, size_t n,
    const crn_release *rel)
{
	void *v[8];
	size_t vlen[8], slen;
	uint64_t dim = crn_release_figures_dim(p, rel), withheld;
	crn_result *r = NULL;
	uint8_t *sum;

	for (size_t k = 0; k < n; k++)
		CAIRN_T_PASS(crn_release_figures_vector(
		    p, rel, nodes[k].full, mc[k], &v[k], &vlen[k], &withheld));
	sum = sum_le(v, n, p->ring_bits, dim, &slen);
	CAIRN_T_PASS(
	    crn_sql_result_release(p, rel, sum, slen, (uint32_t)n, &r));
	for (size_t k = 0; k < n; k++)
		crn_freezero(v[k], vlen[k]);
	crn_free(sum, slen > 0 ? slen : 1);
	return r;
}

static void
check_json(const crn_result *r, const char *want)
{
	char *s = NULL;
	size_t n = 0;

	CAIRN_T_PASS(crn_result_json(r, &s, &n));
	assert_string_equal(s, want);
	crn_free(s, n + 1);
}

/* ---- tests ------------------------------------------------------------ */

static void
test_session_ids(void **state)
{
	uint8_t job[CRN_RELEASE_JOB_ID_LEN] = {1, 2, 3};
	uint8_t a[CAIRN_SESSION_ID_LEN], b[CAIRN_SESSION_ID_LEN];
	uint8_t c[CAIRN_SESSION_ID_LEN];

	(void)state;
	CAIRN_T_PASS(crn_release_session_id(a, job, CRN_RELEASE_PASS_COUNTS));
	CAIRN_T_PASS(crn_release_session_id(b, job, CRN_RELEASE_PASS_FIGURES));
	assert_memory_not_equal(a, b, sizeof(a));
	CAIRN_T_PASS(crn_release_session_id(c, job, CRN_RELEASE_PASS_COUNTS));
	assert_memory_equal(a, c, sizeof(a));
	job[0] ^= 1;
	CAIRN_T_PASS(crn_release_session_id(c, job, CRN_RELEASE_PASS_COUNTS));
	assert_memory_not_equal(a, c, sizeof(a));
	CAIRN_T_FAIL(crn_release_session_id(c, job, 0), CAIRN_EINVAL);
	CAIRN_T_FAIL(crn_release_session_id(c, job, 3), CAIRN_EINVAL);
}

/* Pass 1 carries counts only: count(*) and each measure's count. */
static void
test_counts_vector(void **state)
{
	crn_plan *p;
	node n;
	void *v = NULL;
	size_t vlen = 0;
	uint32_t bits;
	uint64_t dim;

	(void)state;
	p = plan("SELECT region, count(*), sum(wage), var_pop(age) FROM t GROUP BY region");
	CAIRN_T_EQ(p->nmeasures, 2);
	node_init(p, &n);
	node_row(p, &n, 1, 123456, 40);
	node_row(p, &n, 1, -1, 41);
	node_row(p, &n, 3, 700, 50);
	CAIRN_T_PASS(crn_release_counts_shape(p, &bits, &dim));
	CAIRN_T_EQ(bits, 32); /* 100 rows * 10 nodes */
	CAIRN_T_EQ(dim, 4 * 3);
	CAIRN_T_PASS(crn_release_counts_vector(p, n.full, &v, &vlen));
	CAIRN_T_EQ(vlen, dim * 4);
	{
		const uint32_t *c = v;
		const uint32_t want[12] = {0, 0, 0, 2, 1, 2, 0, 0, 0, 1, 1, 1};

		/* No sum, square or clip count: no wage, no age leaves. */
		assert_memory_equal(c, want, sizeof(want));
	}
	crn_freezero(v, vlen);
	crn_free(n.full, n.len);
	crn_plan_free(p);
}

/* The coordinator lists the groups whose count(*) reaches min_cell,
 * with their counts; the rest (small or empty) are not listed. */
static void
test_decide(void **state)
{
	crn_plan *p;
	node nodes[2];
	crn_release rel;
	size_t len;
	uint8_t *sum;

	(void)state;
	p = plan("SELECT region, count(*), avg(wage) FROM t GROUP BY region");
	for (int k = 0; k < 2; k++)
		node_init(p, &nodes[k]);
	/* north 4 rows (2 wages), south 2 rows, east 0, west 3 */
	for (int i = 0; i < 4; i++)
		node_row(p, &nodes[i % 2], 0, i < 2 ? 100 : -1, 30);
	node_row(p, &nodes[0], 1, 5, 30);
	node_row(p, &nodes[1], 1, 5, 30);
	for (int i = 0; i < 3; i++)
		node_row(p, &nodes[0], 3, 10 + i, 30);
	pass1(p, nodes, 2, &rel);
	CAIRN_T_EQ(rel.ngroups, 2);
	CAIRN_T_EQ(rel.nmeasures, 1);
	CAIRN_T_EQ(rel.min_cell, 3);
	CAIRN_T_EQ(rel.groups[0], 0);
	CAIRN_T_EQ(rel.groups[1], 3);
	CAIRN_T_EQ(rel.counts[0], 4);
	CAIRN_T_EQ(rel.counts[1], 0); /* 2 wages: announced as none */
	CAIRN_T_EQ(rel.counts[2], 3);
	CAIRN_T_EQ(rel.counts[3], 3);
	CAIRN_T_PASS(crn_release_check(p, &rel));
	crn_release_fini(&rel);

	/* Counts no honest nodes could give are refused. */
	{
		uint32_t bits;
		uint64_t dim;

		CAIRN_T_PASS(crn_release_counts_shape(p, &bits, &dim));
		len = dim * (bits / 8);
		sum = crn_zalloc(len);
		sum[0] = 2; /* north count(*) 2 */
		sum[4] = 3; /* count(wage) 3 > count(*) */
		CAIRN_T_FAIL(
		    crn_release_decide(p, sum, len, 2, &rel), CAIRN_EPROTO);
		sum[4] = 0;
		sum[3] = 0x80; /* negative count(*) */
		CAIRN_T_FAIL(
		    crn_release_decide(p, sum, len, 2, &rel), CAIRN_EPROTO);
		sum[3] = 0;
		sum[0] = 201; /* more than 2 nodes of 100 rows */
		CAIRN_T_FAIL(
		    crn_release_decide(p, sum, len, 2, &rel), CAIRN_EPROTO);
		CAIRN_T_FAIL(
		    crn_release_decide(p, sum, len - 1, 2, &rel), CAIRN_EINVAL);
		/* Nothing reaches min_cell: an empty list. */
		sum[0] = 2;
		CAIRN_T_PASS(crn_release_decide(p, sum, len, 2, &rel));
		CAIRN_T_EQ(rel.ngroups, 0);
		crn_release_fini(&rel);
		crn_free(sum, len);
	}
	for (int k = 0; k < 2; k++)
		crn_free(nodes[k].full, nodes[k].len);
	crn_plan_free(p);
}

/* A node checks every list before it contributes: a coordinator asking
 * for a group below min_cell, or for counts the plan cannot give, is
 * refused. */
static void
test_check(void **state)
{
	crn_plan *p;
	crn_release r;
	uint64_t groups[2] = {0, 2};
	uint64_t counts[4] = {5, 4, 3, 3};

	(void)state;
	p = plan("SELECT region, sum(wage) FROM t GROUP BY region");
	memset(&r, 0, sizeof(r));
	r.min_cell = 3;
	r.nmeasures = 1;
	r.ngroups = 2;
	r.groups = groups;
	r.counts = counts;
	CAIRN_T_PASS(crn_release_check(p, &r));
	counts[2] = 2; /* a listed group of 2 rows: below min_cell */
	CAIRN_T_FAIL(crn_release_check(p, &r), CAIRN_EPROTO);
	counts[2] = 3;
	counts[1] = 6; /* more wages than rows */
	CAIRN_T_FAIL(crn_release_check(p, &r), CAIRN_EPROTO);
	counts[1] = 2; /* a small column count, which no node may learn */
	CAIRN_T_FAIL(crn_release_check(p, &r), CAIRN_EPROTO);
	counts[1] = 0; /* "not released" */
	CAIRN_T_PASS(crn_release_check(p, &r));
	counts[1] = 4;
	groups[1] = 0; /* not increasing */
	CAIRN_T_FAIL(crn_release_check(p, &r), CAIRN_EPROTO);
	groups[1] = 4; /* beyond the plan's groups */
	CAIRN_T_FAIL(crn_release_check(p, &r), CAIRN_EPROTO);
	groups[1] = 2;
	r.min_cell = 1; /* below the signed plan's */
	CAIRN_T_FAIL(crn_release_check(p, &r), CAIRN_EPROTO);
	r.min_cell = 3;
	r.nmeasures = 2;
	CAIRN_T_FAIL(crn_release_check(p, &r), CAIRN_EPROTO);
	r.nmeasures = 1;
	counts[0] = 1001; /* more than 10 nodes of 100 rows */
	CAIRN_T_FAIL(crn_release_check(p, &r), CAIRN_EPROTO);
	crn_plan_free(p);
}

/* Pass 2 at a node: groups outside the list and cells below the node's
 * own threshold come out zero, counts included; the rest is the node's
 * own block. */
static void
test_figures_vector(void **state)
{
	crn_plan *p;
	node n;
	crn_release r;
	uint64_t groups[2] = {1, 3};
	/* south: 9 rows, 8 wages; west: 4 rows, 3 wages (pass 1) */
	uint64_t counts[4] = {9, 8, 4, 3};
	void *v = NULL;
	size_t vlen = 0;
	uint64_t withheld = 0;

	(void)state;
	p = plan("SELECT region, count(*), sum(wage) FROM t GROUP BY region");
	CAIRN_T_EQ(p->per_group, 4);
	node_init(p, &n);
	node_row(p, &n, 0, 100, 30); /* north: not listed */
	node_row(p, &n, 1, 200, 30);
	node_row(p, &n, 1, -1, 30);
	node_row(p, &n, 3, 300, 30);
	memset(&r, 0, sizeof(r));
	r.min_cell = 3;
	r.nmeasures = 1;
	r.ngroups = 2;
	r.groups = groups;
	r.counts = counts;
	/* The federation's threshold: both listed groups contribute. */
	CAIRN_T_PASS(
	    crn_release_figures_vector(p, &r, n.full, 3, &v, &vlen, &withheld));
	CAIRN_T_EQ(crn_release_figures_dim(p, &r), 8);
	CAIRN_T_EQ(p->ring_bits, 32);
	CAIRN_T_EQ(vlen, 8 * sizeof(uint32_t));
	CAIRN_T_EQ(withheld, 0);
	CAIRN_T_EQ(nat_get(v, 32, 0), 2);
	CAIRN_T_EQ(nat_get(v, 32, 1), 1);
	CAIRN_T_EQ(nat_get(v, 32, 2), 200);
	CAIRN_T_EQ(nat_get(v, 32, 4), 1);
	CAIRN_T_EQ(nat_get(v, 32, 5), 1);
	CAIRN_T_EQ(nat_get(v, 32, 6), 300);
	crn_freezero(v, vlen);
	/* A node with min_cell 5: west (4 rows) goes whole, its count too;
	 * south stays. */
	CAIRN_T_PASS(
	    crn_release_figures_vector(p, &r, n.full, 5, &v, &vlen, &withheld));
	CAIRN_T_EQ(withheld, 2);
	CAIRN_T_EQ(nat_get(v, 32, 0), 2);
	CAIRN_T_EQ(nat_get(v, 32, 2), 200);
	for (int i = 4; i < 8; i++)
		CAIRN_T_EQ(nat_get(v, 32, (uint64_t)i), 0);
	crn_freezero(v, vlen);
	/* min_cell 9: south's count(*) stays, its 8 wages do not. */
	CAIRN_T_PASS(
	    crn_release_figures_vector(p, &r, n.full, 9, &v, &vlen, &withheld));
	CAIRN_T_EQ(nat_get(v, 32, 0), 2);
	CAIRN_T_EQ(nat_get(v, 32, 1), 0);
	CAIRN_T_EQ(nat_get(v, 32, 2), 0);
	CAIRN_T_EQ(nat_get(v, 32, 3), 0);
	crn_freezero(v, vlen);
	/* A list that breaks the rule makes no vector. */
	counts[2] = 2;
	CAIRN_T_FAIL(
	    crn_release_figures_vector(p, &r, n.full, 3, &v, &vlen, &withheld),
	    CAIRN_EINVAL);
	assert_null(v);
	crn_free(n.full, n.len);
	crn_plan_free(p);
}

/* Both passes over three nodes, node 3 with min_cell 6 where the
 * federation has 3.  The answer is the pooled data without node 3's rows
 * in the cells below 6; a cell that falls below 3 once they are gone is
 * suppressed at the final decode. */
static void
test_two_passes(void **state)
{
	crn_plan *p;
	node nodes[3];
	crn_release rel;
	crn_result *r;
	const uint32_t mc[3] = {3, 3, 6};

	(void)state;
	p = plan("SELECT region, count(*), sum(wage) FROM t GROUP BY region ORDER BY region");
	for (int k = 0; k < 3; k++)
		node_init(p, &nodes[k]);
	/* north: 3 rows at each node (9 >= 6: everyone) */
	for (int k = 0; k < 3; k++)
		for (int i = 0; i < 3; i++)
			node_row(p, &nodes[k], 0, 1000 * (k + 1), 30);
	/* south: 2 + 2 + 1 = 5 rows, 3 wages; 5 < 6: node 3 withholds, 4
	 * rows remain but only 2 wages: the sum falls below 3 */
	node_row(p, &nodes[0], 1, 10, 30);
	node_row(p, &nodes[0], 1, -1, 30);
	node_row(p, &nodes[1], 1, 20, 30);
	node_row(p, &nodes[1], 1, -1, 30);
	node_row(p, &nodes[2], 1, 99999, 30);
	/* east: 1 + 1 + 2 = 4 < 6: node 3 withholds, 2 remain < 3 */
	node_row(p, &nodes[0], 2, 1, 30);
	node_row(p, &nodes[1], 2, 2, 30);
	node_row(p, &nodes[2], 2, 777, 30);
	node_row(p, &nodes[2], 2, 777, 30);
	/* west: one row: never listed */
	node_row(p, &nodes[2], 3, 55555, 30);
	pass1(p, nodes, 3, &rel);
	CAIRN_T_EQ(rel.ngroups, 3);
	r = pass2(p, nodes, mc, 3, &rel);
	check_json(r,
	    "{\"columns\": [\"region\", \"count\", \"sum\"], \"rows\": [[\"north\", 9, 180.00], [\"south\", 4, null]], \"suppressed\": [[false, false, false], [false, false, true]], \"suppressed_cells\": 1, \"suppressed_groups\": 2, \"min_cell\": 3, \"clipped\": 0}");
	crn_result_free(r);

	/* Pass-2 counts above the pass-1 counts announced are refused. */
	{
		const uint32_t fed[3] = {3, 3, 3};
		void *v[3];
		size_t vlen[3], slen;
		uint8_t *sum;

		rel.counts[0] = 9;
		for (int k = 0; k < 3; k++)
			CAIRN_T_PASS(crn_release_figures_vector(p, &rel,
			    nodes[k].full, fed[k], &v[k], &vlen[k], NULL));
		sum = sum_le(v, 3, p->ring_bits,
		    crn_release_figures_dim(p, &rel), &slen);
		rel.counts[0] = 8;
		r = NULL;
		CAIRN_T_FAIL(crn_sql_result_release(p, &rel, sum, slen, 3, &r),
		    CAIRN_EPROTO);
		assert_null(r);
		CAIRN_T_FAIL(
		    crn_sql_result_release(p, &rel, sum, slen - 1, 3, &r),
		    CAIRN_EINVAL);
		for (int k = 0; k < 3; k++)
			crn_freezero(v[k], vlen[k]);
		crn_free(sum, slen);
	}
	crn_release_fini(&rel);
	for (int k = 0; k < 3; k++)
		crn_free(nodes[k].full, nodes[k].len);
	crn_plan_free(p);
}

/* No cell reaches min_cell: an empty list, and the released table is the
 * all-suppressed one, for a grouped query and for one row. */
static void
test_nothing_released(void **state)
{
	crn_plan *p;
	node n;
	crn_release rel;
	crn_result *r = NULL;

	(void)state;
	p = plan("SELECT count(*), sum(wage) FROM t");
	node_init(p, &n);
	node_row(p, &n, 0, 4321, 40);
	pass1(p, &n, 1, &rel);
	CAIRN_T_EQ(rel.ngroups, 0);
	CAIRN_T_PASS(crn_sql_result_release(p, &rel, NULL, 0, 1, &r));
	check_json(r,
	    "{\"columns\": [\"count\", \"sum\"], \"rows\": [[null, null]], \"suppressed\": [[true, true]], \"suppressed_cells\": 2, \"suppressed_groups\": 0, \"min_cell\": 3, \"clipped\": 0}");
	crn_result_free(r);
	crn_release_fini(&rel);
	crn_free(n.full, n.len);
	crn_plan_free(p);
}

static void
test_codec(void **state)
{
	crn_release a, b;
	uint64_t groups[3] = {1, 5, 9};
	uint64_t counts[6] = {10, 9, 7, 7, 1u << 20, 3};
	uint8_t *buf = NULL;
	size_t len = 0;

	(void)state;
	memset(&a, 0, sizeof(a));
	memset(a.job_id, 0xab, sizeof(a.job_id));
	memset(a.counts_sid, 0xcd, sizeof(a.counts_sid));
	a.min_cell = 5;
	a.threshold = 3;
	a.nodes = 4;
	a.nmeasures = 1;
	a.ngroups = 3;
	a.groups = groups;
	a.counts = counts;
	CAIRN_T_PASS(crn_release_encode(&a, &buf, &len));
	CAIRN_T_PASS(crn_release_decode(&b, buf, len));
	assert_memory_equal(a.job_id, b.job_id, sizeof(a.job_id));
	assert_memory_equal(a.counts_sid, b.counts_sid, sizeof(a.counts_sid));
	CAIRN_T_EQ(b.min_cell, 5);
	CAIRN_T_EQ(b.threshold, 3);
	CAIRN_T_EQ(b.nodes, 4);
	CAIRN_T_EQ(b.ngroups, 3);
	assert_memory_equal(b.groups, groups, sizeof(groups));
	assert_memory_equal(b.counts, counts, sizeof(counts));
	crn_release_fini(&b);
	/* Truncated bytes, and shapes the codec refuses. */
	CAIRN_T_FAIL(crn_release_decode(&b, buf, len - 1), CAIRN_EINVAL);
	crn_free(buf, len);
	groups[2] = 5;
	CAIRN_T_FAIL(crn_release_encode(&a, &buf, &len), CAIRN_EINVAL);
	groups[2] = 9;
	{
		Cairn__Plan__ReleaseList m = CAIRN__PLAN__RELEASE_LIST__INIT;
		uint8_t raw[256], id[16] = {0};

		m.job_id.data = id;
		m.job_id.len = 16;
		m.counts_session_id.data = id;
		m.counts_session_id.len = 16;
		m.nmeasures = 2; /* 3 groups need 9 counts, not 6 */
		m.n_groups = 3;
		m.groups = groups;
		m.n_counts = 6;
		m.counts = counts;
		len = cairn__plan__release_list__pack(&m, raw);
		CAIRN_T_FAIL(crn_release_decode(&b, raw, len), CAIRN_EINVAL);
		m.nmeasures = 1;
		len = cairn__plan__release_list__pack(&m, raw);
		CAIRN_T_PASS(crn_release_decode(&b, raw, len));
		crn_release_fini(&b);
		m.job_id.len = 15;
		len = cairn__plan__release_list__pack(&m, raw);
		CAIRN_T_FAIL(crn_release_decode(&b, raw, len), CAIRN_EINVAL);
	}
	/* An empty list (nothing to release) travels too. */
	a.nmeasures = 1;
	a.ngroups = 0;
	a.groups = NULL;
	a.counts = NULL;
	CAIRN_T_PASS(crn_release_encode(&a, &buf, &len));
	CAIRN_T_PASS(crn_release_decode(&b, buf, len));
	CAIRN_T_EQ(b.ngroups, 0);
	crn_release_fini(&b);
	crn_free(buf, len);
}

/* A node recomputes the ring width from its own schema: a plan sized
 * for fewer nodes or rows than the node's schema says is refused. */
static void
test_plan_fits(void **state)
{
	crn_plan *p;
	const crn_dataset *ds;
	char why[160] = "";

	(void)state;
	p = plan("SELECT region, sum(wage) FROM t GROUP BY region");
	ds = crn_schema_dataset(schema, "t");
	CAIRN_T_PASS(crn_release_plan_fits(p, schema, ds, why, sizeof(why)));
	p->max_nodes = 2; /* a wire plan claiming a smaller federation */
	CAIRN_T_FAIL(crn_release_plan_fits(p, schema, ds, why, sizeof(why)),
	    CAIRN_EPERM);
	assert_string_equal(
	    why, "plan's max_nodes 2 differs from the node's schema (10)");
	p->max_nodes = 10;
	p->max_rows = 99;
	CAIRN_T_FAIL(crn_release_plan_fits(p, schema, ds, why, sizeof(why)),
	    CAIRN_EPERM);
	p->max_rows = 100;
	p->ring_bits = 128;
	CAIRN_T_FAIL(crn_release_plan_fits(p, schema, ds, why, sizeof(why)),
	    CAIRN_EPERM);
	crn_plan_free(p);
}

static void
test_sum_plan(void **state)
{
	crn_plan *p = NULL;
	uint32_t bits;
	uint64_t dim;

	(void)state;
	CAIRN_T_PASS(
	    crn_release_sum_plan(&p, "cps", "wage", 4, -(INT64_C(1) << 53),
	        INT64_C(1) << 53, 64, UINT64_C(1) << 32, 65535, 5));
	CAIRN_T_EQ(p->dim, 4);
	CAIRN_T_EQ(p->per_group, 4);
	CAIRN_T_EQ(p->ngroups, 1);
	CAIRN_T_EQ(p->min_cell, 5);
	assert_string_equal(p->outputs[0].name, "count(*)");
	assert_string_equal(p->outputs[1].name, "count(wage)");
	assert_string_equal(p->outputs[2].name, "sum(wage)");
	CAIRN_T_PASS(crn_release_counts_shape(p, &bits, &dim));
	CAIRN_T_EQ(bits, 64);
	CAIRN_T_EQ(dim, 2);
	crn_plan_free(p);
	CAIRN_T_FAIL(
	    crn_release_sum_plan(&p, "cps", "wage", 4, 1, 1, 64, 1, 1, 0),
	    CAIRN_EINVAL);
	assert_null(p);
}

/* Every constructor survives a failed allocation anywhere. */
static void
test_oom(void **state)
{
	crn_plan *p;
	node nodes[2];
	const uint32_t mc[2] = {3, 3};

	(void)state;
	p = plan("SELECT region, count(*), avg(wage) FROM t GROUP BY region");
	for (int k = 0; k < 2; k++)
		node_init(p, &nodes[k]);
	for (int i = 0; i < 8; i++)
		node_row(p, &nodes[i % 2], (uint64_t)(i % 3), 100 + i, 30);
	for (long n = 0; n < 400; n++) {
		crn_release rel, dec;
		void *v = NULL;
		size_t vlen = 0, blen = 0;
		uint8_t *buf = NULL;
		cairn_err rv;

		memset(&rel, 0, sizeof(rel));
		memset(&dec, 0, sizeof(dec));
		pass1(p, nodes, 2, &rel);
		crn_alloc_fail_after(n);
		rv = crn_release_figures_vector(
		    p, &rel, nodes[0].full, mc[0], &v, &vlen, NULL);
		if (rv == CAIRN_OK)
			rv = crn_release_encode(&rel, &buf, &blen);
		if (rv == CAIRN_OK)
			rv = crn_release_decode(&dec, buf, blen);
		crn_alloc_fail_after(-1);
		if (v != NULL)
			crn_freezero(v, vlen);
		crn_free(buf, blen);
		crn_release_fini(&dec);
		if (rv == CAIRN_OK) {
			crn_result *r = pass2(p, nodes, mc, 2, &rel);

			crn_result_free(r);
			crn_release_fini(&rel);
			for (int k = 0; k < 2; k++)
				crn_free(nodes[k].full, nodes[k].len);
			crn_plan_free(p);
			return;
		}
		crn_release_fini(&rel);
		CAIRN_T_EQ(rv, CAIRN_ENOMEM);
	}
	fail_msg("never succeeded");
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

static const struct CMUnitTest tests[] = {
    T(test_session_ids),
    T(test_counts_vector),
    T(test_decide),
    T(test_check),
    T(test_figures_vector),
    T(test_two_passes),
    T(test_nothing_released),
    T(test_codec),
    T(test_plan_fits),
    T(test_sum_plan),
    T(test_oom),
};

CAIRN_TEST_MAIN(tests)
