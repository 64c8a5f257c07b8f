/*
 * release.c — the two-pass release rule.  See release.h.
 *
 * Everything here is pure computation over plans, vectors and lists: the
 * daemons move the bytes, these functions decide, so that tests can
 * drive every decision without processes.
 */
#include <stdio.h>
#include <string.h>

#include "base/crn.h"
#include "query/release.h"
#include "query/sql_plan.h"

typedef __int128 i128;
typedef unsigned __int128 u128;

void
crn_release_fini(crn_release *r)
{
	if (r == NULL)
		return;
	crn_free(r->groups, r->ngroups * sizeof(uint64_t));
	crn_free(r->counts,
	    r->ngroups * (1 + (uint64_t)r->nmeasures) * sizeof(uint64_t));
	memset(r, 0, sizeof(*r));
}

uint32_t
crn_release_floor(uint32_t min_cell)
{
	return min_cell > 0 ? min_cell : 1;
}

cairn_err
crn_release_session_id(uint8_t sid[CAIRN_SESSION_ID_LEN],
    const uint8_t job_id[CRN_RELEASE_JOB_ID_LEN], uint32_t pass)
{
	static const uint8_t zero[CAIRN_SESSION_ID_LEN];

	if (pass < CRN_RELEASE_PASS_COUNTS || pass > CRN_RELEASE_PASSES)
		return CAIRN_EINVAL;
	return crn_kdf(sid, CAIRN_SESSION_ID_LEN, job_id,
	    CRN_RELEASE_JOB_ID_LEN, zero, "query-pass", pass);
}

/* Element i of a native vector of `bits`-bit ring elements, signed. */
static i128
nat_get(const void *v, uint32_t bits, uint64_t i)
{
	switch (bits) {
	case 32: return (int32_t)((const uint32_t *)v)[i];
	case 64: return (int64_t)((const uint64_t *)v)[i];
	default: return (i128)((const u128 *)v)[i];
	}
}

static void
nat_put(void *v, uint32_t bits, uint64_t i, i128 x)
{
	switch (bits) {
	case 32: ((uint32_t *)v)[i] = (uint32_t)(u128)x; break;
	case 64: ((uint64_t *)v)[i] = (uint64_t)(u128)x; break;
	default: ((u128 *)v)[i] = (u128)x; break;
	}
}

/* Element i of a little-endian vector, signed. */
static i128
le_get(const uint8_t *sum, uint32_t bits, uint64_t i)
{
	const uint8_t *b = sum + i * (bits / 8);
	u128 u = 0;

	for (uint32_t k = bits / 8; k > 0; k--)
		u = (u << 8) | b[k - 1];
	switch (bits) {
	case 32: return (int32_t)(uint32_t)u;
	case 64: return (int64_t)(uint64_t)u;
	default: return (i128)u;
	}
}

static bool
ring_ok(uint32_t bits)
{
	return bits == 32 || bits == 64 || bits == 128;
}

cairn_err
crn_release_counts_shape(const crn_plan *p, uint32_t *ring_bits, uint64_t *dim)
{
	u128 rows;

	*ring_bits = 0;
	*dim = 0;
	if (p->max_rows == 0 || p->max_nodes == 0 || p->ngroups == 0 ||
	    p->ngroups > CRN_PLAN_MAX_GROUPS || p->nmeasures >= p->per_group)
		return CAIRN_EINVAL;
	rows = (u128)p->max_rows * p->max_nodes;
	if (rows < ((u128)1 << 31))
		*ring_bits = 32;
	else if (rows < ((u128)1 << 63))
		*ring_bits = 64;
	else
		*ring_bits = 128;
	*dim = p->ngroups * (1 + (uint64_t)p->nmeasures);
	return CAIRN_OK;
}

/* The plan's layout is one the functions below can index safely. */
static bool
layout_ok(const crn_plan *p)
{
	if (!ring_ok(p->ring_bits) || p->per_group == 0 || p->ngroups == 0 ||
	    p->dim != p->ngroups * p->per_group)
		return false;
	for (size_t j = 0; j < p->nmeasures; j++) {
		const crn_measure *m = &p->measures[j];

		if (1 + (uint64_t)m->offset + (m->need_sumsq ? 4u : 3u) >
		    p->per_group)
			return false;
	}
	return true;
}

cairn_err
crn_release_counts_vector(
    const crn_plan *p, const void *full, void **out, size_t *outlen)
{
	uint32_t bits;
	uint64_t dim, per1 = 1 + (uint64_t)p->nmeasures;
	void *v;
	cairn_err rv;

	*out = NULL;
	*outlen = 0;
	if (!layout_ok(p) || full == NULL)
		return CAIRN_EINVAL;
	if ((rv = crn_release_counts_shape(p, &bits, &dim)) != CAIRN_OK)
		return rv;
	if ((v = crn_zalloc((size_t)dim * (bits / 8))) == NULL)
		return CAIRN_ENOMEM;
	for (uint64_t g = 0; g < p->ngroups; g++) {
		uint64_t b = g * p->per_group;

		nat_put(v, bits, g * per1, nat_get(full, p->ring_bits, b));
		for (size_t j = 0; j < p->nmeasures; j++)
			nat_put(v, bits, g * per1 + 1 + j,
			    nat_get(full, p->ring_bits,
			        b + 1 + p->measures[j].offset));
	}
	*out = v;
	*outlen = (size_t)dim * (bits / 8);
	return CAIRN_OK;
}

/* Rows the plan allows over `nodes` nodes (the plan's max_nodes if 0). */
static i128
max_total(const crn_plan *p, uint32_t nodes)
{
	return (i128)p->max_rows * (nodes > 0 ? nodes : p->max_nodes);
}

/* Check the counts of one group of the pass-1 sum; 1 when honest. */
static int
counts_ok(const crn_plan *p, const uint8_t *sum, uint32_t bits, uint64_t g,
    i128 maxrows)
{
	uint64_t per1 = 1 + (uint64_t)p->nmeasures;
	i128 n = le_get(sum, bits, g * per1);

	if (n < 0 || n > maxrows)
		return 0;
	for (uint64_t j = 1; j < per1; j++) {
		i128 c = le_get(sum, bits, g * per1 + j);

		if (c < 0 || c > n)
			return 0;
	}
	return 1;
}

/* Count j of group g of the pass-1 sum; with DP noise, clamped into [0,
 * maxrows] and, for a column count, to at most count(*) (post-processing
 * of the noisy sum). */
static i128
count_at(const crn_plan *p, const uint8_t *sum, uint32_t bits, uint64_t g,
    uint64_t j, i128 maxrows)
{
	uint64_t per1 = 1 + (uint64_t)p->nmeasures;
	i128 c = le_get(sum, bits, g * per1 + j), n;

	if (p->dp_rho <= 0)
		return c;
	c = c < 0 ? 0 : c > maxrows ? maxrows : c;
	if (j > 0 && c > (n = count_at(p, sum, bits, g, 0, maxrows)))
		c = n;
	return c;
}

static cairn_err
release_alloc(crn_release *r, uint64_t ngroups, uint32_t nmeasures)
{
	r->nmeasures = nmeasures;
	if (ngroups == 0)
		return CAIRN_OK;
	r->groups = crn_zalloc(ngroups * sizeof(uint64_t));
	r->counts =
	    crn_zalloc(ngroups * (1 + (uint64_t)nmeasures) * sizeof(uint64_t));
	if (r->groups == NULL || r->counts == NULL) {
		crn_free(r->groups, ngroups * sizeof(uint64_t));
		crn_free(r->counts,
		    ngroups * (1 + (uint64_t)nmeasures) * sizeof(uint64_t));
		r->groups = NULL;
		r->counts = NULL;
		return CAIRN_ENOMEM;
	}
	r->ngroups = ngroups;
	return CAIRN_OK;
}

cairn_err
crn_release_decide(const crn_plan *p, const uint8_t *sum, size_t len,
    uint32_t nodes, crn_release *out)
{
	uint32_t bits;
	uint64_t dim, per1 = 1 + (uint64_t)p->nmeasures, n = 0, k = 0;
	i128 floor = crn_release_floor(p->min_cell), maxrows;
	cairn_err rv;

	memset(out, 0, sizeof(*out));
	if ((rv = crn_release_counts_shape(p, &bits, &dim)) != CAIRN_OK)
		return rv;
	if (len != dim * (bits / 8) || (sum == NULL && len > 0))
		return CAIRN_EINVAL;
	maxrows = max_total(p, nodes);
	for (uint64_t g = 0; g < p->ngroups; g++) {
		if (p->dp_rho <= 0 && !counts_ok(p, sum, bits, g, maxrows)) {
			crn_log_warn("group %llu of the counts is not one honest nodes could produce",
			    (unsigned long long)g);
			return CAIRN_EPROTO;
		}
		n += count_at(p, sum, bits, g, 0, maxrows) >= floor;
	}
	if ((rv = release_alloc(out, n, (uint32_t)p->nmeasures)) != CAIRN_OK)
		return rv;
	out->min_cell = p->min_cell;
	for (uint64_t g = 0; g < p->ngroups && k < n; g++) {
		if (count_at(p, sum, bits, g, 0, maxrows) < floor)
			continue;
		out->groups[k] = g;
		for (uint64_t j = 0; j < per1; j++) {
			i128 c = count_at(p, sum, bits, g, j, maxrows);

			/* A column count below the minimum is announced as
			 * 0, "not released": no node learns a small count. */
			out->counts[k * per1 + j] =
			    c >= floor ? (uint64_t)c : 0;
		}
		k++;
	}
	return CAIRN_OK;
}

cairn_err
crn_release_check(const crn_plan *p, const crn_release *r)
{
	uint64_t per1 = 1 + (uint64_t)r->nmeasures;
	u128 maxrows = (u128)p->max_rows * p->max_nodes;
	uint32_t mc = r->min_cell > p->min_cell ? r->min_cell : p->min_cell;
	uint64_t floor = crn_release_floor(mc);

	if (r->nmeasures != p->nmeasures || r->min_cell < p->min_cell ||
	    r->ngroups > p->ngroups ||
	    (r->ngroups > 0 && (r->groups == NULL || r->counts == NULL)))
		return CAIRN_EPROTO;
	for (uint64_t k = 0; k < r->ngroups; k++) {
		const uint64_t *c = r->counts + k * per1;

		if (r->groups[k] >= p->ngroups ||
		    (k > 0 && r->groups[k] <= r->groups[k - 1]))
			return CAIRN_EPROTO;
		if (c[0] < floor || (u128)c[0] > maxrows)
			return CAIRN_EPROTO;
		for (uint64_t j = 1; j < per1; j++)
			if (c[j] > c[0] || (c[j] != 0 && c[j] < floor))
				return CAIRN_EPROTO;
	}
	return CAIRN_OK;
}

uint64_t
crn_release_figures_dim(const crn_plan *p, const crn_release *r)
{
	return r->ngroups * p->per_group;
}

/* Copy group block `g` of full into slot k of out, zeroing the cells whose
 * announced count c[] is below floor.  Returns the cells zeroed. */
static uint64_t
figures_block(const crn_plan *p, const void *full, void *out, uint64_t k,
    uint64_t g, const uint64_t *c, uint64_t floor)
{
	uint32_t bits = p->ring_bits;
	uint64_t src = g * p->per_group, dst = k * p->per_group, zeroed = 0;

	if (c[0] < floor)
		return 1 + p->nmeasures; /* the block stays zero */
	nat_put(out, bits, dst, nat_get(full, bits, src));
	for (size_t j = 0; j < p->nmeasures; j++) {
		const crn_measure *m = &p->measures[j];
		uint64_t off = 1 + (uint64_t)m->offset;
		uint32_t w = m->need_sumsq ? 4 : 3;

		if (c[1 + j] < floor) {
			zeroed++;
			continue;
		}
		for (uint32_t e = 0; e < w; e++)
			nat_put(out, bits, dst + off + e,
			    nat_get(full, bits, src + off + e));
	}
	return zeroed;
}

cairn_err
crn_release_figures_vector(const crn_plan *p, const crn_release *r,
    const void *full, uint32_t min_cell, void **out, size_t *outlen,
    uint64_t *withheld)
{
	uint64_t dim, per1 = 1 + (uint64_t)r->nmeasures, zeroed = 0;
	uint64_t floor = crn_release_floor(min_cell);
	size_t esz;
	void *v;

	*out = NULL;
	*outlen = 0;
	if (withheld != NULL)
		*withheld = 0;
	if (!layout_ok(p) || full == NULL || r->ngroups == 0 ||
	    crn_release_check(p, r) != CAIRN_OK)
		return CAIRN_EINVAL;
	dim = crn_release_figures_dim(p, r);
	esz = p->ring_bits / 8;
	if ((v = crn_zalloc((size_t)dim * esz)) == NULL)
		return CAIRN_ENOMEM;
	for (uint64_t k = 0; k < r->ngroups; k++)
		zeroed += figures_block(
		    p, full, v, k, r->groups[k], r->counts + k * per1, floor);
	*out = v;
	*outlen = (size_t)dim * esz;
	if (withheld != NULL)
		*withheld = zeroed;
	return CAIRN_OK;
}

cairn_err
crn_release_plan_fits(const crn_plan *p, const crn_schema *s,
    const crn_dataset *ds, char *why, size_t whylen)
{
	uint32_t bits = 0;

	if (p->max_rows != ds->max_rows) {
		snprintf(why, whylen,
		    "plan's max_rows %llu differs from the node's schema (%llu)",
		    (unsigned long long)p->max_rows,
		    (unsigned long long)ds->max_rows);
		return CAIRN_EPERM;
	}
	if (p->max_nodes != s->max_nodes) {
		snprintf(why, whylen,
		    "plan's max_nodes %u differs from the node's schema (%u)",
		    p->max_nodes, s->max_nodes);
		return CAIRN_EPERM;
	}
	/* The columns equal the node's and so do the two bounds above: the
	 * width recomputed here is the node's own. */
	if (crn_plan_ring_bits(p, &bits) != CAIRN_OK || bits != p->ring_bits) {
		snprintf(why, whylen,
		    "plan's %u-bit ring is not the node's own width (%u)",
		    p->ring_bits, bits);
		return CAIRN_EPERM;
	}
	return CAIRN_OK;
}

static cairn_err
sum_plan_outputs(crn_plan *p, const char *column)
{
	static const crn_aggfn fn[3] = {
	    CRN_AGG_COUNT_STAR, CRN_AGG_COUNT, CRN_AGG_SUM};
	char name[300];

	if ((p->outputs = crn_zalloc(3 * sizeof(crn_output))) == NULL)
		return CAIRN_ENOMEM;
	p->noutputs = 3;
	for (size_t i = 0; i < 3; i++) {
		if (i == 0)
			snprintf(name, sizeof(name), "count(*)");
		else
			snprintf(name, sizeof(name), "%s(%s)",
			    crn_aggfn_name(fn[i]), column);
		p->outputs[i].fn = fn[i];
		p->outputs[i].measure = 0;
		if ((p->outputs[i].name = crn_strdup(name)) == NULL)
			return CAIRN_ENOMEM;
	}
	return CAIRN_OK;
}

cairn_err
crn_release_sum_plan(crn_plan **out, const char *dataset, const char *column,
    uint32_t scale, int64_t lo, int64_t hi, uint32_t ring_bits,
    uint64_t max_rows, uint32_t max_nodes, uint32_t min_cell)
{
	crn_plan *p = NULL;
	cairn_err rv = CAIRN_ENOMEM;

	*out = NULL;
	if (dataset == NULL || column == NULL || strlen(column) > 256 ||
	    lo >= hi || !ring_ok(ring_bits) || max_rows == 0 || max_nodes == 0)
		return CAIRN_EINVAL;
	if ((p = crn_zalloc(sizeof(*p))) == NULL)
		goto out;
	p->where.kind = CRN_EX_TRUE;
	p->limit = -1;
	if ((p->dataset = crn_strdup(dataset)) == NULL ||
	    (p->cols = crn_zalloc(sizeof(crn_column))) == NULL)
		goto out;
	p->ncols = 1;
	if ((p->cols[0].name = crn_strdup(column)) == NULL ||
	    (p->measures = crn_zalloc(sizeof(crn_measure))) == NULL)
		goto out;
	p->cols[0].type = CRN_COL_DECIMAL;
	p->cols[0].scale = scale;
	p->cols[0].lo = lo;
	p->cols[0].hi = hi;
	p->cols[0].nullable = true;
	p->nmeasures = 1;
	if ((rv = sum_plan_outputs(p, column)) != CAIRN_OK ||
	    (rv = crn_plan_layout(p)) != CAIRN_OK)
		goto out;
	p->ring_bits = ring_bits;
	p->max_rows = max_rows;
	p->max_nodes = max_nodes;
	p->min_cell = min_cell;
	*out = p;
	p = NULL;
	rv = CAIRN_OK;
out:
	crn_plan_free(p);
	return rv;
}
