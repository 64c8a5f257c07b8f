/*
 * sql_result.c — from the unmasked sum vector to a result table.
 *
 * The vector is only trustworthy as far as the protocol is; a node that
 * lies about its input can still make the sum meaningless.  We therefore
 * check that every group block is one honest nodes could produce (counts
 * within the rows the nodes may hold, sums within count * bounds) and
 * refuse the result otherwise rather than print numbers that look real.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/crn.h"
#include "query/dp_account.h"
#include "query/release.h"
#include "query/schema.h"
#include "query/sql_plan.h"
#include "query/sql_result.h"

typedef __int128 i128;

/* One candidate row: every output (hidden ones too) and its group. */
typedef struct row {
	crn_rcell *cells; /* plan->noutputs */
	uint64_t group;
} row;

static i128
elem(const uint8_t *sum, uint32_t bits, uint64_t i)
{
	const uint8_t *b = sum + i * (bits / 8);
	unsigned __int128 u = 0;
	uint32_t k;

	for (k = bits / 8; k > 0; k--)
		u = (u << 8) | b[k - 1];
	switch (bits) {
	case 32: return (int32_t)(uint32_t)u;
	case 64: return (int64_t)(uint64_t)u;
	default: return (i128)u;
	}
}

static void
cell_fini(crn_rcell *c)
{
	if (c->kind == CRN_RCELL_TEXT)
		crn_strfree(c->text);
	memset(c, 0, sizeof(*c));
}

void
crn_result_free(crn_result *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->ncols; i++)
		crn_strfree(r->colnames[i]);
	crn_free(r->colnames, r->ncols * sizeof(char *));
	for (i = 0; i < r->nrows * r->ncols; i++)
		cell_fini(&r->cells[i]);
	crn_free(r->cells, r->nrows * r->ncols * sizeof(crn_rcell));
	crn_free(r, sizeof(*r));
}

void
crn_result_trim(crn_result *r)
{
	for (size_t i = 0; r != NULL && i < r->nrows * r->ncols; i++) {
		crn_rcell *c = &r->cells[i];

		while (c->kind == CRN_RCELL_EXACT && c->scale > 0 &&
		    c->ival % 10 == 0) {
			c->ival /= 10;
			c->scale--;
		}
	}
}

static long double
pow10l_u(uint32_t n)
{
	long double v = 1.0L;

	while (n-- > 0)
		v *= 10.0L;
	return v;
}

/*
 * Variance numerator n*Q - S^2 (>= 0 for honest data), exactly when it
 * fits in 128 bits; otherwise in long double.
 */
static long double
var_num(i128 n, i128 s, i128 q)
{
	i128 a, b, d;

	if (!__builtin_mul_overflow(n, q, &a) &&
	    !__builtin_mul_overflow(s, s, &b) &&
	    !__builtin_sub_overflow(a, b, &d))
		return d < 0 ? 0.0L : (long double)d;
	{
		long double x = (long double)n * (long double)q -
		    (long double)s * (long double)s;

		return x < 0 ? 0.0L : x;
	}
}

static void
set_exact(crn_rcell *c, i128 v, uint32_t scale)
{
	c->kind = CRN_RCELL_EXACT;
	c->ival = v;
	c->scale = scale;
}

static void
set_real(crn_rcell *c, long double v)
{
	if (isfinite(v)) {
		c->kind = CRN_RCELL_REAL;
		c->real = v;
	} else {
		c->kind = CRN_RCELL_NULL;
	}
}

/* A key cell: the group's category, bucket number, or NULL group. */
static cairn_err
key_cell(const crn_plan *p, const crn_output *o, uint64_t group, crn_rcell *c)
{
	const crn_groupkey *k = &p->keys[o->key];
	const crn_column *col = &p->cols[k->col];
	uint64_t div = 1, idx;
	size_t j;

	for (j = o->key + 1; j < p->nkeys; j++)
		div *= p->keys[j].card;
	idx = (group / div) % k->card;
	if (k->bucket) {
		if (idx <= (uint64_t)k->nbuckets + 1)
			set_exact(c, (i128)idx, 0);
		return CAIRN_OK; /* else the NULL group */
	}
	if (idx < col->ndomain) {
		c->kind = CRN_RCELL_TEXT;
		if ((c->text = crn_strdup(col->domain[idx])) == NULL) {
			c->kind = CRN_RCELL_NULL;
			return CAIRN_ENOMEM;
		}
	}
	return CAIRN_OK;
}

/* Compute output o of group block e (per_group elements).  An aggregate
 * whose contributor count (rows for count(*), non-NULL values of its
 * column otherwise) is below `floor` is suppressed: NULL to HAVING and
 * ORDER BY, and marked so that every format shows it as suppressed. */
static cairn_err
output_cell(const crn_plan *p, const crn_output *o, const i128 *e,
    uint64_t group, i128 floor, crn_rcell *c)
{
	const crn_measure *m;
	const crn_column *col;
	i128 n, s, q = 0;
	long double sc, v;

	memset(c, 0, sizeof(*c));
	if (o->is_key)
		return key_cell(p, o, group, c);
	if (o->fn == CRN_AGG_COUNT_STAR) {
		if (e[0] < floor)
			c->suppressed = true;
		else
			set_exact(c, e[0], 0);
		return CAIRN_OK;
	}
	m = &p->measures[o->measure];
	col = &p->cols[m->col];
	n = e[1 + m->offset];
	s = e[1 + m->offset + 1];
	if (m->need_sumsq)
		q = e[1 + m->offset + 2];
	if (n < floor) {
		c->suppressed = true;
		return CAIRN_OK;
	}
	sc = pow10l_u(col->scale);
	switch (o->fn) {
	case CRN_AGG_COUNT: set_exact(c, n, 0); break;
	case CRN_AGG_SUM:
		if (n > 0)
			set_exact(c, s, col->scale);
		break;
	case CRN_AGG_AVG:
		if (n > 0)
			set_real(c, (long double)s / (long double)n / sc);
		break;
	case CRN_AGG_VAR_POP:
	case CRN_AGG_STDDEV_POP:
		if (n > 0) {
			v = var_num(n, s, q) /
			    ((long double)n * (long double)n) / (sc * sc);
			set_real(c, o->fn == CRN_AGG_VAR_POP ? v : sqrtl(v));
		}
		break;
	case CRN_AGG_VAR_SAMP:
	case CRN_AGG_STDDEV_SAMP:
		if (n > 1) {
			v = var_num(n, s, q) /
			    ((long double)n * (long double)(n - 1)) / (sc * sc);
			set_real(c, o->fn == CRN_AGG_VAR_SAMP ? v : sqrtl(v));
		}
		break;
	default: return CAIRN_EINVAL;
	}
	return CAIRN_OK;
}

static i128
clamp(i128 x, i128 lo, i128 hi)
{
	return x < lo ? lo : x > hi ? hi : x;
}

/*
 * DP: move noisy block e (listed group k of rel, or rel NULL) into the set
 * block_ok and within_announced accept.  Only public bounds and the noisy
 * figures themselves are used, so this is post-processing.
 */
static void
dp_clamp(const crn_plan *p, const crn_release *rel, uint64_t k, i128 *e,
    i128 maxrows)
{
	const uint64_t *c =
	    rel != NULL ? rel->counts + k * (1 + (uint64_t)p->nmeasures) : NULL;

	e[0] = clamp(e[0], 0, maxrows);
	if (c != NULL && e[0] > (i128)c[0])
		e[0] = (i128)c[0];
	for (size_t i = 0; i < p->nmeasures; i++) {
		const crn_measure *m = &p->measures[i];
		const crn_column *col = &p->cols[m->col];
		i128 *b = e + 1 + m->offset, mag, qmax;
		i128 n = clamp(b[0], 0, e[0]);

		if (c != NULL && n > (i128)c[1 + i])
			n = (i128)c[1 + i];
		b[0] = n;
		b[1] = clamp(b[1], (i128)col->lo * n, (i128)col->hi * n);
		b[m->need_sumsq ? 3 : 2] =
		    clamp(b[m->need_sumsq ? 3 : 2], 0, n);
		if (m->need_sumsq) {
			mag = col->lo < 0 ? -(i128)col->lo : (i128)col->lo;
			if ((i128)col->hi > mag)
				mag = col->hi;
			if (__builtin_mul_overflow(mag, mag, &qmax) ||
			    __builtin_mul_overflow(qmax, n, &qmax))
				qmax = b[2] > 0 ? b[2] : 0;
			b[2] = clamp(b[2], 0, qmax);
		}
	}
}

/*
 * DP: the noise sd of cell c (output o of block e) from the noise
 * variances var[] of the classes (core/query/dp_account.h), to first
 * order for ratios.  Counts and sums carry their class's sd; avg, var and
 * stddev combine those of their inputs.
 */
static void
dp_cell_noise(const crn_plan *p, const crn_output *o, const i128 *e,
    const long double *var, crn_rcell *c)
{
	const crn_measure *m;
	long double n, s, q, sc, v, dvn, dvs, dvq, vv;

	if (o->is_key || c->suppressed || c->kind == CRN_RCELL_NULL)
		return;
	if (o->fn == CRN_AGG_COUNT_STAR || o->fn == CRN_AGG_COUNT) {
		c->noise_sd = sqrtl(var[CRN_DP_COUNTS]);
		return;
	}
	m = &p->measures[o->measure];
	sc = pow10l_u(p->cols[m->col].scale);
	n = (long double)e[1 + m->offset];
	s = (long double)e[1 + m->offset + 1];
	q = m->need_sumsq ? (long double)e[1 + m->offset + 2] : 0;
	if (o->fn == CRN_AGG_SUM) {
		c->noise_sd = sqrtl(var[CRN_DP_SUMS]) / sc;
		return;
	}
	if (n <= 0)
		return;
	if (o->fn == CRN_AGG_AVG) {
		vv = var[CRN_DP_SUMS] / (n * n) +
		    s * s * var[CRN_DP_COUNTS] / (n * n * n * n);
		c->noise_sd = sqrtl(vv) / sc;
		return;
	}
	/* v = q/n - (s/n)^2 and its partial derivatives. */
	v = q / n - (s / n) * (s / n);
	dvq = 1 / n;
	dvs = -2 * s / (n * n);
	dvn = -q / (n * n) + 2 * s * s / (n * n * n);
	vv = dvq * dvq * var[CRN_DP_SUMSQ] + dvs * dvs * var[CRN_DP_SUMS] +
	    dvn * dvn * var[CRN_DP_COUNTS];
	if (o->fn == CRN_AGG_VAR_SAMP || o->fn == CRN_AGG_STDDEV_SAMP)
		vv *= n > 1 ? (n / (n - 1)) * (n / (n - 1)) : 1;
	vv = sqrtl(vv) / (sc * sc);
	if (o->fn == CRN_AGG_STDDEV_POP || o->fn == CRN_AGG_STDDEV_SAMP)
		vv = v > 0 ? vv / (2 * sqrtl(v) / sc) : vv;
	c->noise_sd = vv;
}

/* Is block e something honest nodes could have summed to? */
static int
block_ok(const crn_plan *p, const i128 *e, i128 maxrows)
{
	size_t i;

	if (e[0] < 0 || e[0] > maxrows)
		return 0;
	for (i = 0; i < p->nmeasures; i++) {
		const crn_measure *m = &p->measures[i];
		const crn_column *col = &p->cols[m->col];
		const i128 *b = e + 1 + m->offset;
		i128 n = b[0], s = b[1], clip = b[m->need_sumsq ? 3 : 2];
		i128 mag, lo, hi, qmax;

		if (n < 0 || n > e[0] || clip < 0 || clip > n)
			return 0;
		/* The planner sized the ring so these cannot overflow. */
		lo = (i128)col->lo * n;
		hi = (i128)col->hi * n;
		if (s < lo || s > hi)
			return 0;
		if (m->need_sumsq) {
			mag = col->lo < 0 ? -(i128)col->lo : (i128)col->lo;
			if ((i128)col->hi > mag)
				mag = col->hi;
			if (b[2] < 0)
				return 0;
			if (!__builtin_mul_overflow(mag, mag, &qmax) &&
			    !__builtin_mul_overflow(qmax, n, &qmax) &&
			    b[2] > qmax)
				return 0;
		}
	}
	return 1;
}

/* ---- HAVING ----------------------------------------------------------- */

/* Compare a cell with constant num / 10^scale: -1, 0, 1. */
static int
cmp_const(const crn_rcell *c, int64_t num, uint32_t scale)
{
	if (c->kind == CRN_RCELL_EXACT) {
		i128 a = c->ival, b = num;
		uint32_t as = c->scale, bs = scale;
		int ok = 1;

		while (as < bs && ok) {
			ok = !__builtin_mul_overflow(a, 10, &a);
			as++;
		}
		while (bs < as && ok) {
			ok = !__builtin_mul_overflow(b, 10, &b);
			bs++;
		}
		if (ok)
			return a < b ? -1 : a > b;
	}
	{
		long double x = c->kind == CRN_RCELL_EXACT
		    ? (long double)c->ival / pow10l_u(c->scale)
		    : c->real;
		long double y = (long double)num / pow10l_u(scale);

		return x < y ? -1 : x > y;
	}
}

/* Three-valued: 1 true, 0 false, -1 unknown (NULL). */
static int
having_eval(const crn_expr *e, const crn_rcell *cells, size_t ncells)
{
	const crn_rcell *c;
	size_t i;
	int r, any_unknown = 0, k;

	switch (e->kind) {
	case CRN_EX_TRUE: return 1;
	case CRN_EX_AND:
		for (i = 0; i < e->nkids; i++) {
			r = having_eval(&e->kids[i], cells, ncells);
			if (r == 0)
				return 0;
			if (r < 0)
				any_unknown = 1;
		}
		return any_unknown ? -1 : 1;
	case CRN_EX_OR:
		for (i = 0; i < e->nkids; i++) {
			r = having_eval(&e->kids[i], cells, ncells);
			if (r == 1)
				return 1;
			if (r < 0)
				any_unknown = 1;
		}
		return any_unknown ? -1 : 0;
	case CRN_EX_NOT:
		if (e->nkids != 1)
			return -1;
		r = having_eval(&e->kids[0], cells, ncells);
		return r < 0 ? -1 : !r;
	default: break;
	}
	if (e->col >= ncells)
		return -1;
	c = &cells[e->col];
	if (e->kind == CRN_EX_ISNULL)
		return c->kind == CRN_RCELL_NULL;
	if (e->kind == CRN_EX_NOTNULL)
		return c->kind != CRN_RCELL_NULL;
	if (c->kind != CRN_RCELL_EXACT && c->kind != CRN_RCELL_REAL)
		return -1;
	switch (e->kind) {
	case CRN_EX_CMP:
		if (e->nvals < 1)
			return -1;
		k = cmp_const(c, e->vals[0].num, e->vals[0].scale);
		switch (e->op) {
		case CRN_OP_EQ: return k == 0;
		case CRN_OP_NE: return k != 0;
		case CRN_OP_LT: return k < 0;
		case CRN_OP_LE: return k <= 0;
		case CRN_OP_GT: return k > 0;
		case CRN_OP_GE: return k >= 0;
		}
		return -1;
	case CRN_EX_IN:
		for (i = 0; i < e->nvals; i++)
			if (cmp_const(c, e->vals[i].num, e->vals[i].scale) == 0)
				return 1;
		return 0;
	case CRN_EX_BETWEEN:
		if (e->nvals != 2)
			return -1;
		return cmp_const(c, e->vals[0].num, e->vals[0].scale) >= 0 &&
		    cmp_const(c, e->vals[1].num, e->vals[1].scale) <= 0;
	default: return -1;
	}
}

/* ---- ORDER BY --------------------------------------------------------- */

static int
cell_cmp(const crn_rcell *a, const crn_rcell *b)
{
	/* NULL sorts above everything: last ascending, first descending,
	 * as in PostgreSQL. */
	if (a->kind == CRN_RCELL_NULL || b->kind == CRN_RCELL_NULL)
		return (a->kind == CRN_RCELL_NULL) -
		    (b->kind == CRN_RCELL_NULL);
	if (a->kind == CRN_RCELL_TEXT && b->kind == CRN_RCELL_TEXT) {
		int r = strcmp(a->text, b->text);

		return (r > 0) - (r < 0);
	}
	if (a->kind == CRN_RCELL_EXACT && b->kind == CRN_RCELL_EXACT &&
	    a->scale == b->scale)
		return (a->ival > b->ival) - (a->ival < b->ival);
	{
		long double x = a->kind == CRN_RCELL_EXACT
		    ? (long double)a->ival / pow10l_u(a->scale)
		    : a->real;
		long double y = b->kind == CRN_RCELL_EXACT
		    ? (long double)b->ival / pow10l_u(b->scale)
		    : b->real;

		return (x > y) - (x < y);
	}
}

static int
row_cmp(const crn_plan *p, const row *a, const row *b)
{
	size_t i;
	int r;

	for (i = 0; i < p->norder; i++) {
		uint32_t o = p->order[i].output;

		r = cell_cmp(&a->cells[o], &b->cells[o]);
		if (r != 0)
			return p->order[i].desc ? -r : r;
	}
	/* Ties keep the layout order, so results are deterministic. */
	return (a->group > b->group) - (a->group < b->group);
}

/* Merge sort (stable, no global state: qsort has no context argument). */
static void
sort_rows(const crn_plan *p, row *v, row *tmp, size_t n)
{
	size_t h, i, j, k;

	if (n < 2)
		return;
	h = n / 2;
	sort_rows(p, v, tmp, h);
	sort_rows(p, v + h, tmp, n - h);
	for (i = 0, j = h, k = 0; i < h && j < n;)
		tmp[k++] = row_cmp(p, &v[j], &v[i]) < 0 ? v[j++] : v[i++];
	while (i < h)
		tmp[k++] = v[i++];
	while (j < n)
		tmp[k++] = v[j++];
	memcpy(v, tmp, n * sizeof(row));
}

/* ---- decode ----------------------------------------------------------- */

static void
rows_free(const crn_plan *p, row *rows, size_t n, size_t cap)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		for (j = 0; j < p->noutputs; j++)
			cell_fini(&rows[i].cells[j]);
		crn_free(rows[i].cells, p->noutputs * sizeof(crn_rcell));
	}
	crn_free(rows, cap * sizeof(row));
}

static int
plan_sane(const crn_plan *p)
{
	size_t i;

	if (p->ring_bits != 32 && p->ring_bits != 64 && p->ring_bits != 128)
		return 0;
	if (p->per_group == 0 || p->dim != p->ngroups * p->per_group)
		return 0;
	for (i = 0; i < p->nkeys; i++)
		if (p->keys[i].card == 0 || p->keys[i].col >= p->ncols)
			return 0;
	for (i = 0; i < p->nmeasures; i++)
		if (p->measures[i].col >= p->ncols ||
		    1 + p->measures[i].offset +
		            (p->measures[i].need_sumsq ? 4u : 3u) >
		        p->per_group)
			return 0;
	for (i = 0; i < p->noutputs; i++) {
		const crn_output *o = &p->outputs[i];

		if (o->is_key ? o->key >= p->nkeys
		              : (o->fn != CRN_AGG_COUNT_STAR &&
		                    o->measure >= p->nmeasures))
			return 0;
	}
	for (i = 0; i < p->norder; i++)
		if (p->order[i].output >= p->noutputs)
			return 0;
	return 1;
}

/* Where each group's block comes from: every group of a full vector
 * (rel NULL), or the listed groups of a pass-2 vector, in list order. */
typedef struct blocks {
	const crn_plan *p;
	const uint8_t *sum;
	const crn_release *rel;
	uint64_t next; /* the next listed group (rel) */
} blocks;

/* Group g's block into blk (zero when the vector does not hold it);
 * returns 1 and its position in the vector in *at when it does. */
static int
block_get(blocks *b, uint64_t g, i128 *blk, uint64_t *at)
{
	const crn_plan *p = b->p;

	memset(blk, 0, p->per_group * sizeof(i128));
	if (b->rel == NULL) {
		*at = g;
	} else if (b->next < b->rel->ngroups && b->rel->groups[b->next] == g) {
		*at = b->next++;
	} else {
		return 0;
	}
	for (uint32_t j = 0; j < p->per_group; j++)
		blk[j] = elem(b->sum, p->ring_bits, *at * p->per_group + j);
	return 1;
}

/* Pass-2 counts come from a subset of pass 1's nodes: none may exceed
 * the pass-1 count the list announced for the same cell. */
static int
within_announced(
    const crn_plan *p, const crn_release *rel, uint64_t k, const i128 *e)
{
	const uint64_t *c = rel->counts + k * (1 + (uint64_t)p->nmeasures);

	if (e[0] > (i128)c[0])
		return 0;
	for (size_t j = 0; j < p->nmeasures; j++)
		if (e[1 + p->measures[j].offset] > (i128)c[1 + j])
			return 0;
	return 1;
}

/* The decoder's state: candidate rows and what it counted. */
typedef struct dec {
	const crn_plan *p;
	i128 floor;
	bool dp;
	long double var[CRN_DP_CLASSES]; /* noise variance per class */
	row *rows;
	size_t nrows, cap;
	uint64_t groups_suppressed, clipped;
} dec;

static void
row_drop(dec *d)
{
	row *r = &d->rows[--d->nrows];

	for (size_t j = 0; j < d->p->noutputs; j++)
		cell_fini(&r->cells[j]);
	crn_free(r->cells, d->p->noutputs * sizeof(crn_rcell));
	r->cells = NULL;
}

/* Make group g's row from block e; HAVING may drop it again. */
static cairn_err
dec_row(dec *d, const i128 *e, uint64_t g)
{
	const crn_plan *p = d->p;
	crn_rcell *cells;
	cairn_err rv;

	if (d->nrows == d->cap) {
		size_t nc = d->cap == 0 ? 16 : d->cap * 2;
		row *nr = crn_realloc(
		    d->rows, d->cap * sizeof(row), nc * sizeof(row));

		if (nr == NULL)
			return CAIRN_ENOMEM;
		d->rows = nr;
		d->cap = nc;
	}
	if ((cells = crn_zalloc(p->noutputs * sizeof(crn_rcell))) == NULL)
		return CAIRN_ENOMEM;
	d->rows[d->nrows].cells = cells;
	d->rows[d->nrows].group = g;
	d->nrows++;
	for (size_t j = 0; j < p->noutputs; j++) {
		if ((rv = output_cell(p, &p->outputs[j], e, g, d->floor,
		         &cells[j])) != CAIRN_OK)
			return rv;
		if (d->dp)
			dp_cell_noise(p, &p->outputs[j], e, d->var, &cells[j]);
	}
	/* Filtered groups are dropped silently: the researcher asked for
	 * that.  A suppressed value is NULL here, so it never passes a
	 * comparison. */
	if (p->having != NULL &&
	    having_eval(p->having, cells, p->noutputs) != 1) {
		row_drop(d);
		return CAIRN_OK;
	}
	/* Clipping is reported for released cells only: that a small cell
	 * held an outlier is itself a figure of that cell. */
	for (size_t j = 0; j < p->nmeasures; j++) {
		const crn_measure *m = &p->measures[j];

		if (e[1 + m->offset] >= d->floor)
			d->clipped += (uint64_t)
			    e[1 + m->offset + (m->need_sumsq ? 3 : 2)];
	}
	return CAIRN_OK;
}

/* Sort, cut to LIMIT and move the visible cells into a result. */
static cairn_err
dec_result(dec *d, uint32_t nodes, crn_result **out)
{
	const crn_plan *p = d->p;
	crn_result *r = NULL;
	row *tmp = NULL;
	size_t keep = d->nrows, vis = 0, i, j;
	cairn_err rv = CAIRN_ENOMEM;

	if (p->norder > 0 && d->nrows > 1) {
		if ((tmp = crn_alloc(d->nrows * sizeof(row))) == NULL)
			goto out;
		sort_rows(p, d->rows, tmp, d->nrows);
	}
	if (p->limit >= 0 && (uint64_t)p->limit < keep)
		keep = (size_t)p->limit;
	for (j = 0; j < p->noutputs; j++)
		vis += !p->outputs[j].hidden;
	if ((r = crn_zalloc(sizeof(*r))) == NULL)
		goto out;
	r->suppressed_groups = d->groups_suppressed;
	r->clipped = d->clipped;
	r->nodes = nodes;
	r->min_cell = (uint32_t)d->floor;
	if (d->dp) {
		r->dp_epsilon = p->dp_epsilon;
		r->dp_delta = p->dp_delta;
	}
	if ((r->colnames = crn_zalloc(vis * sizeof(char *))) == NULL)
		goto out;
	r->ncols = vis;
	for (i = 0, j = 0; j < p->noutputs; j++)
		if (!p->outputs[j].hidden &&
		    (r->colnames[i++] = crn_strdup(p->outputs[j].name)) == NULL)
			goto out;
	if ((r->cells = crn_zalloc(keep * vis * sizeof(crn_rcell))) == NULL)
		goto out;
	r->nrows = keep;
	/* Move the visible cells; what stays behind is freed by the caller. */
	for (i = 0; i < keep; i++) {
		size_t c = 0;

		for (j = 0; j < p->noutputs; j++) {
			if (p->outputs[j].hidden)
				continue;
			r->suppressed_cells += d->rows[i].cells[j].suppressed;
			r->cells[i * vis + c++] = d->rows[i].cells[j];
			memset(&d->rows[i].cells[j], 0, sizeof(crn_rcell));
		}
	}
	*out = r;
	r = NULL;
	rv = CAIRN_OK;
out:
	crn_free(tmp, d->nrows * sizeof(row));
	crn_result_free(r);
	return rv;
}

static cairn_err
decode(const crn_plan *p, blocks *b, uint32_t nodes, crn_result **out)
{
	dec d;
	i128 *blk = NULL, maxrows;
	uint64_t at = 0;
	cairn_err rv = CAIRN_OK;

	memset(&d, 0, sizeof(d));
	d.p = p;
	d.floor = crn_release_floor(p->min_cell);
	maxrows = (i128)p->max_rows * (nodes > 0 ? nodes : p->max_nodes);
	if (p->dp_rho > 0 && b->rel != NULL) {
		crn_dp_noise nz;
		uint32_t t = b->rel->threshold > 0 ? b->rel->threshold : nodes;

		if ((rv = crn_dp_noise_of(&nz, p, p->dp_rho, t > 0 ? t : 1)) !=
		    CAIRN_OK)
			return rv;
		d.dp = true;
		for (int k = 0; k < CRN_DP_CLASSES; k++)
			d.var[k] = (long double)nz.node_sigma2[k] *
			    (nodes > 0 ? nodes : 1);
	}
	if ((blk = crn_alloc(p->per_group * sizeof(i128))) == NULL)
		return CAIRN_ENOMEM;
	for (uint64_t g = 0; g < p->ngroups && rv == CAIRN_OK; g++) {
		int present = block_get(b, g, blk, &at);

		if (present && d.dp)
			dp_clamp(p, b->rel, at, blk, maxrows);
		if (present &&
		    (!block_ok(p, blk, maxrows) ||
		        (b->rel != NULL &&
		            !within_announced(p, b->rel, at, blk)))) {
			crn_log_warn("group %llu of the sum is not one honest nodes could produce",
			    (unsigned long long)g);
			rv = CAIRN_EPROTO;
			break;
		}
		/* A group below the minimum cell size, empty or not, is not
		 * listed; without GROUP BY the one row is always there, its
		 * aggregates suppressed, as SQL answers one row. */
		if (blk[0] < d.floor && p->nkeys > 0) {
			d.groups_suppressed++;
			continue;
		}
		rv = dec_row(&d, blk, g);
	}
	if (rv == CAIRN_OK)
		rv = dec_result(&d, nodes, out);
	crn_free(blk, p->per_group * sizeof(i128));
	if (d.rows != NULL)
		rows_free(p, d.rows, d.nrows, d.cap);
	return rv;
}

cairn_err
crn_sql_result_decode(const crn_plan *p, const uint8_t *sum, size_t len,
    uint32_t nodes, crn_result **out)
{
	blocks b = {.p = p, .sum = sum};

	*out = NULL;
	if (p == NULL || !plan_sane(p) || (sum == NULL && p->dim > 0) ||
	    len != p->dim * (p->ring_bits / 8))
		return CAIRN_EINVAL;
	return decode(p, &b, nodes, out);
}

cairn_err
crn_sql_result_release(const crn_plan *p, const crn_release *rel,
    const uint8_t *sum, size_t len, uint32_t nodes, crn_result **out)
{
	blocks b = {.p = p, .sum = sum, .rel = rel};

	*out = NULL;
	if (p == NULL || rel == NULL || !plan_sane(p) ||
	    (sum == NULL && len > 0) ||
	    len != crn_release_figures_dim(p, rel) * (p->ring_bits / 8))
		return CAIRN_EINVAL;
	if (crn_release_check(p, rel) != CAIRN_OK)
		return CAIRN_EPROTO;
	return decode(p, &b, nodes, out);
}

/* ---- rendering -------------------------------------------------------- */

typedef struct sbuf {
	char *p;
	size_t len, cap;
	int oom;
} sbuf;

static void
sb_add(sbuf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t nc = b->cap == 0 ? 256 : b->cap;
		char *np;

		while (nc < b->len + n + 1)
			nc *= 2;
		if ((np = crn_realloc(b->p, b->cap, nc)) == NULL) {
			b->oom = 1;
			return;
		}
		b->p = np;
		b->cap = nc;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
sb_str(sbuf *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

static void sb_printf(sbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
sb_printf(sbuf *b, const char *fmt, ...)
{
	char tmp[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n > 0)
		sb_add(b, tmp,
		    (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

static cairn_err
sb_finish(sbuf *b, char **out, size_t *len)
{
	char *np;

	if (!b->oom && b->p == NULL)
		sb_add(b, "", 0);
	if (b->oom) {
		crn_free(b->p, b->cap);
		return CAIRN_ENOMEM;
	}
	/* Shrink so that the documented crn_free(*out, *len + 1) holds. */
	if ((np = crn_realloc(b->p, b->cap, b->len + 1)) == NULL) {
		crn_free(b->p, b->cap);
		return CAIRN_ENOMEM;
	}
	*out = np;
	*len = b->len;
	return CAIRN_OK;
}

const char *
crn_rcell_format(const crn_rcell *c, char *buf, size_t len)
{
	if (len == 0)
		return buf;
	buf[0] = '\0';
	switch (c->kind) {
	case CRN_RCELL_EXACT:
		if (crn_decimal_format(c->ival, c->scale, buf, len) < 0)
			buf[0] = '\0';
		break;
	case CRN_RCELL_REAL: snprintf(buf, len, "%.15Lg", c->real); break;
	case CRN_RCELL_TEXT: snprintf(buf, len, "%s", c->text); break;
	default: break;
	}
	return buf;
}

static int
numeric(const crn_rcell *c)
{
	return c->kind == CRN_RCELL_EXACT || c->kind == CRN_RCELL_REAL;
}

static void
pad(sbuf *b, size_t have, size_t want)
{
	for (; have < want; have++)
		sb_str(b, " ");
}

/* Characters of UTF-8 text s (the table's "±" is two bytes, one column). */
static size_t
u8len(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

/* One cell of the text table: numeric columns right-aligned, others
 * left-aligned, no trailing blanks after the last column. */
static void
text_cell(sbuf *b, const char *s, size_t w, int right, int last)
{
	size_t n = u8len(s);

	if (right)
		pad(b, n, w);
	sb_str(b, s);
	if (!right && !last)
		pad(b, n, w);
}

/* A cell as the text table shows it. */
static const char *
text_of(const crn_rcell *c, char *buf, size_t len)
{
	if (c->suppressed)
		return CRN_RESULT_SUPPRESSED;
	if (c->kind == CRN_RCELL_NULL)
		return "NULL";
	if (c->kind == CRN_RCELL_TEXT)
		return c->text;
	crn_rcell_format(c, buf, len);
	if (c->noise_sd > 0) {
		size_t n = strlen(buf);
		snprintf(buf + n, len - n, " ±%.3Lg", 1.96L * c->noise_sd);
	}
	return buf;
}

/* The footer's account of suppression: how many cells and groups, and
 * the rule, which covers empty cells too. */
static void
text_suppressed(sbuf *b, const crn_result *r)
{
	uint64_t c = r->suppressed_cells, g = r->suppressed_groups;

	if (c == 0 && g == 0)
		return;
	sb_str(b, "; ");
	if (c > 0)
		sb_printf(
		    b, "%llu cell%s", (unsigned long long)c, c == 1 ? "" : "s");
	if (c > 0 && g > 0)
		sb_str(b, " and ");
	if (g > 0)
		sb_printf(b, "%llu group%s", (unsigned long long)g,
		    g == 1 ? "" : "s");
	sb_printf(b, " suppressed: fewer than %u contributing rows, or none",
	    r->min_cell);
}

cairn_err
crn_result_text(const crn_result *r, char **out, size_t *len)
{
	size_t *w = NULL, i, j, k, wsz = (r->ncols + 1) * sizeof(size_t);
	char buf[128];
	sbuf b = {0};

	*out = NULL;
	*len = 0;
	/* w[2j] = width, w[2j+1] = numeric column */
	wsz *= 2;
	if ((w = crn_zalloc(wsz)) == NULL)
		return CAIRN_ENOMEM;
	for (j = 0; j < r->ncols; j++) {
		w[2 * j] = strlen(r->colnames[j]);
		for (i = 0; i < r->nrows; i++) {
			const crn_rcell *c = &r->cells[i * r->ncols + j];
			size_t n = u8len(text_of(c, buf, sizeof(buf)));

			if (n > w[2 * j])
				w[2 * j] = n;
			if (numeric(c))
				w[2 * j + 1] = 1;
		}
	}
	for (j = 0; j < r->ncols; j++) {
		sb_str(&b, j > 0 ? " | " : " ");
		text_cell(&b, r->colnames[j], w[2 * j], (int)w[2 * j + 1],
		    j + 1 == r->ncols);
	}
	sb_str(&b, "\n");
	for (j = 0; j < r->ncols; j++) {
		sb_str(&b, j > 0 ? "-+-" : "-");
		for (k = 0; k < w[2 * j]; k++)
			sb_str(&b, "-");
	}
	sb_str(&b, "\n");
	for (i = 0; i < r->nrows; i++) {
		for (j = 0; j < r->ncols; j++) {
			const char *s = text_of(
			    &r->cells[i * r->ncols + j], buf, sizeof(buf));

			sb_str(&b, j > 0 ? " | " : " ");
			text_cell(&b, s, w[2 * j], (int)w[2 * j + 1],
			    j + 1 == r->ncols);
		}
		sb_str(&b, "\n");
	}
	sb_printf(&b, "(%zu row%s", r->nrows, r->nrows == 1 ? "" : "s");
	text_suppressed(&b, r);
	if (r->clipped > 0)
		sb_printf(&b, "; %llu value%s clipped to declared bounds",
		    (unsigned long long)r->clipped, r->clipped == 1 ? "" : "s");
	if (r->dp_epsilon > 0)
		sb_printf(&b,
		    "; differential privacy epsilon %g, delta %g: ± is the 95%% interval of the noise",
		    r->dp_epsilon, r->dp_delta);
	sb_str(&b, ")\n");
	crn_free(w, wsz);
	return sb_finish(&b, out, len);
}

static void
csv_field(sbuf *b, const char *s)
{
	if (strpbrk(s, ",\"\r\n") == NULL) {
		sb_str(b, s);
		return;
	}
	sb_str(b, "\"");
	for (; *s != '\0'; s++) {
		if (*s == '"')
			sb_str(b, "\"");
		sb_add(b, s, 1);
	}
	sb_str(b, "\"");
}

cairn_err
crn_result_csv(const crn_result *r, char **out, size_t *len)
{
	sbuf b = {0};
	char buf[128];
	size_t i, j;

	*out = NULL;
	*len = 0;
	for (j = 0; j < r->ncols; j++) {
		if (j > 0)
			sb_str(&b, ",");
		csv_field(&b, r->colnames[j]);
	}
	sb_str(&b, "\r\n");
	for (i = 0; i < r->nrows; i++) {
		for (j = 0; j < r->ncols; j++) {
			const crn_rcell *c = &r->cells[i * r->ncols + j];

			if (j > 0)
				sb_str(&b, ",");
			/* NULL and suppressed are both empty; stderr and the
			 * other formats tell them apart. */
			csv_field(&b,
			    c->kind == CRN_RCELL_TEXT
			        ? c->text
			        : crn_rcell_format(c, buf, sizeof(buf)));
		}
		sb_str(&b, "\r\n");
	}
	return sb_finish(&b, out, len);
}

static void
json_str(sbuf *b, const char *s)
{
	sb_str(b, "\"");
	for (; *s != '\0'; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\') {
			sb_str(b, "\\");
			sb_add(b, s, 1);
		} else if (ch < 0x20) {
			sb_printf(b, "\\u%04x", ch);
		} else {
			sb_add(b, s, 1);
		}
	}
	sb_str(b, "\"");
}

/* DP: close "suppressed" and add "epsilon", "delta", "noise_sd" and
 * "ci95" (the caller closes the last array). */
static void
json_noise(sbuf *b, const crn_result *r)
{
	char buf[128];

	sb_printf(b, "], \"epsilon\": %.15g, \"delta\": %.15g", r->dp_epsilon,
	    r->dp_delta);
	for (int pass = 0; pass < 2; pass++) {
		sb_str(b, pass == 0 ? ", \"noise_sd\": [" : "], \"ci95\": [");
		for (size_t i = 0; i < r->nrows; i++) {
			sb_str(b, i > 0 ? ", [" : "[");
			for (size_t j = 0; j < r->ncols; j++) {
				const crn_rcell *c =
				    &r->cells[i * r->ncols + j];
				long double v, hw = 1.96L * c->noise_sd;

				if (j > 0)
					sb_str(b, ", ");
				if (c->noise_sd <= 0 || !numeric(c)) {
					sb_str(b, "null");
					continue;
				}
				if (pass == 0) {
					sb_printf(b, "%.6Lg", c->noise_sd);
					continue;
				}
				crn_rcell_format(c, buf, sizeof(buf));
				v = strtold(buf, NULL);
				sb_printf(
				    b, "[%.15Lg, %.15Lg]", v - hw, v + hw);
			}
			sb_str(b, "]");
		}
	}
}

cairn_err
crn_result_json(const crn_result *r, char **out, size_t *len)
{
	sbuf b = {0};
	char buf[128];
	size_t i, j;

	*out = NULL;
	*len = 0;
	sb_str(&b, "{\"columns\": [");
	for (j = 0; j < r->ncols; j++) {
		if (j > 0)
			sb_str(&b, ", ");
		json_str(&b, r->colnames[j]);
	}
	sb_str(&b, "], \"rows\": [");
	for (i = 0; i < r->nrows; i++) {
		sb_str(&b, i > 0 ? ", [" : "[");
		for (j = 0; j < r->ncols; j++) {
			const crn_rcell *c = &r->cells[i * r->ncols + j];

			if (j > 0)
				sb_str(&b, ", ");
			if (c->kind == CRN_RCELL_NULL)
				sb_str(&b, "null");
			else if (c->kind == CRN_RCELL_TEXT)
				json_str(&b, c->text);
			else
				sb_str(
				    &b, crn_rcell_format(c, buf, sizeof(buf)));
		}
		sb_str(&b, "]");
	}
	sb_str(&b, "], \"suppressed\": [");
	for (i = 0; i < r->nrows; i++) {
		sb_str(&b, i > 0 ? ", [" : "[");
		for (j = 0; j < r->ncols; j++) {
			if (j > 0)
				sb_str(&b, ", ");
			sb_str(&b,
			    r->cells[i * r->ncols + j].suppressed ? "true"
			                                          : "false");
		}
		sb_str(&b, "]");
	}
	if (r->dp_epsilon > 0)
		json_noise(&b, r);
	sb_printf(&b,
	    "], \"suppressed_cells\": %llu, \"suppressed_groups\": %llu, \"min_cell\": %u, \"clipped\": %llu}",
	    (unsigned long long)r->suppressed_cells,
	    (unsigned long long)r->suppressed_groups, r->min_cell,
	    (unsigned long long)r->clipped);
	return sb_finish(&b, out, len);
}
