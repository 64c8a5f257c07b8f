/*
 * codec_plan.c — query plans to and from cairn.plan.QueryPlan.
 *
 * A node runs what this decoder hands it, over its own data, so the check
 * is strict: a plan that the planner could not have produced is refused
 * (CAIRN_EPROTO) instead of being partly executed.
 */
#define _POSIX_C_SOURCE 200809L
#include <string.h>

#include "base/crn.h"
#include "proto/plan.pb-c.h"
#include "query/codec_plan.h"
#include "query/schema.h"
#include "query/sql_plan.h"

#define NAME_MAX_LEN 256
/* Expressions from the planner are at most this deep (NOT wrappers add
 * one level to its own limit); deeper ones are refused. */
#define EXPR_MAX_DEPTH (CRN_PLAN_MAX_EXPR_DEPTH + 4)

/* ---- consistency ------------------------------------------------------ */

static int
valid_name(const char *s)
{
	size_t i, n;

	if (s == NULL || (n = strlen(s)) == 0 || n > NAME_MAX_LEN)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return 1;
}

static int
check_expr(const crn_plan *p, const crn_expr *e, int having, int depth)
{
	size_t i;

	if (depth > EXPR_MAX_DEPTH)
		return 0;
	switch (e->kind) {
	case CRN_EX_TRUE: return e->nkids == 0 && e->nvals == 0;
	case CRN_EX_AND:
	case CRN_EX_OR:
	case CRN_EX_NOT:
		if (e->nvals != 0 || e->nkids == 0 ||
		    (e->kind == CRN_EX_NOT && e->nkids != 1))
			return 0;
		for (i = 0; i < e->nkids; i++)
			if (!check_expr(p, &e->kids[i], having, depth + 1))
				return 0;
		return 1;
	case CRN_EX_CMP:
		if (e->nvals != 1 || e->op > CRN_OP_GE)
			return 0;
		break;
	case CRN_EX_IN:
		if (e->nvals == 0)
			return 0;
		break;
	case CRN_EX_BETWEEN:
		if (e->nvals != 2)
			return 0;
		break;
	case CRN_EX_ISNULL:
	case CRN_EX_NOTNULL:
		if (e->nvals != 0)
			return 0;
		break;
	default: return 0;
	}
	if (e->nkids != 0)
		return 0;
	if (having) {
		if (e->col >= p->noutputs)
			return 0;
		for (i = 0; i < e->nvals; i++)
			if (e->vals[i].scale > CRN_SCHEMA_MAX_SCALE)
				return 0;
		return 1;
	}
	if (e->col >= p->ncols)
		return 0;
	if (p->cols[e->col].type == CRN_COL_CATEGORY) {
		if (e->kind == CRN_EX_BETWEEN ||
		    (e->kind == CRN_EX_CMP && e->op != CRN_OP_EQ &&
		        e->op != CRN_OP_NE))
			return 0;
		for (i = 0; i < e->nvals; i++)
			if (e->vals[i].cat >= p->cols[e->col].ndomain)
				return 0;
	}
	return 1;
}

cairn_err
crn_plan_check(const crn_plan *p)
{
	crn_plan t;
	crn_groupkey *keys = NULL;
	crn_measure *meas = NULL;
	uint32_t bits;
	size_t i, j;
	cairn_err rv = CAIRN_EPROTO;

	if (p == NULL || !valid_name(p->dataset) || p->ncols == 0 ||
	    p->ncols > CRN_PLAN_MAX_COLS || p->max_rows == 0 ||
	    p->max_nodes == 0 || p->noutputs == 0 ||
	    p->noutputs > CRN_PLAN_MAX_OUTPUTS || p->limit < -1)
		return CAIRN_EPROTO;
	for (i = 0; i < p->ncols; i++) {
		const crn_column *c = &p->cols[i];

		if (!valid_name(c->name) || c->scale > CRN_SCHEMA_MAX_SCALE)
			return CAIRN_EPROTO;
		for (j = 0; j < i; j++)
			if (strcmp(p->cols[j].name, c->name) == 0)
				return CAIRN_EPROTO;
		switch (c->type) {
		case CRN_COL_INT:
		case CRN_COL_DECIMAL:
			if (c->ndomain != 0 || c->lo > c->hi ||
			    (c->type == CRN_COL_INT && c->scale != 0))
				return CAIRN_EPROTO;
			break;
		case CRN_COL_CATEGORY:
			if (c->ndomain == 0 || c->ndomain > CRN_PLAN_MAX_GROUPS)
				return CAIRN_EPROTO;
			for (j = 0; j < c->ndomain; j++)
				if (!valid_name(c->domain[j]))
					return CAIRN_EPROTO;
			break;
		default: return CAIRN_EPROTO;
		}
	}
	for (i = 0; i < p->nmeasures; i++)
		if (p->measures[i].col >= p->ncols)
			return CAIRN_EPROTO;
	for (i = 0; i < p->noutputs; i++) {
		const crn_output *o = &p->outputs[i];

		if (!valid_name(o->name))
			return CAIRN_EPROTO;
		if (o->is_key) {
			if (o->key >= p->nkeys)
				return CAIRN_EPROTO;
			continue;
		}
		if (o->fn < CRN_AGG_COUNT_STAR || o->fn > CRN_AGG_STDDEV_POP)
			return CAIRN_EPROTO;
		if (o->fn == CRN_AGG_COUNT_STAR)
			continue;
		if (o->measure >= p->nmeasures)
			return CAIRN_EPROTO;
		if (o->fn >= CRN_AGG_VAR_SAMP &&
		    !p->measures[o->measure].need_sumsq)
			return CAIRN_EPROTO;
	}
	for (i = 0; i < p->norder; i++)
		if (p->order[i].output >= p->noutputs)
			return CAIRN_EPROTO;
	if (!check_expr(p, &p->where, 0, 0))
		return CAIRN_EPROTO;
	if (p->having != NULL && !check_expr(p, p->having, 1, 0))
		return CAIRN_EPROTO;
	/* Recompute the layout on copies and compare with the claims. */
	t = *p;
	if (p->nkeys > 0) {
		if ((keys = crn_alloc(p->nkeys * sizeof(*keys))) == NULL)
			return CAIRN_ENOMEM;
		memcpy(keys, p->keys, p->nkeys * sizeof(*keys));
	}
	if (p->nmeasures > 0) {
		if ((meas = crn_alloc(p->nmeasures * sizeof(*meas))) == NULL) {
			rv = CAIRN_ENOMEM;
			goto out;
		}
		memcpy(meas, p->measures, p->nmeasures * sizeof(*meas));
	}
	t.keys = keys;
	t.measures = meas;
	if ((rv = crn_plan_layout(&t)) != CAIRN_OK) {
		rv = rv == CAIRN_ETOOBIG ? CAIRN_ETOOBIG : CAIRN_EPROTO;
		goto out;
	}
	rv = CAIRN_EPROTO;
	if (t.ngroups != p->ngroups || t.per_group != p->per_group ||
	    t.dim != p->dim)
		goto out;
	for (i = 0; i < p->nkeys; i++)
		if (keys[i].card != p->keys[i].card)
			goto out;
	for (i = 0; i < p->nmeasures; i++)
		if (meas[i].offset != p->measures[i].offset)
			goto out;
	if (crn_plan_ring_bits(p, &bits) != CAIRN_OK || bits != p->ring_bits)
		goto out;
	rv = CAIRN_OK;
out:
	crn_free(keys, p->nkeys * sizeof(*keys));
	crn_free(meas, p->nmeasures * sizeof(*meas));
	return rv;
}

/* ---- encode ----------------------------------------------------------- */

/* Every allocation of one encoding, freed together. */
typedef struct arena {
	void **ptr;
	size_t *size;
	size_t n, cap;
	int oom;
} arena;

static void *
aalloc(arena *a, size_t size)
{
	void *p;

	if (a->oom)
		return NULL;
	if (a->n == a->cap) {
		size_t nc = a->cap == 0 ? 32 : a->cap * 2;
		void **np = crn_realloc(
		    a->ptr, a->cap * sizeof(void *), nc * sizeof(void *));
		size_t *ns;

		if (np == NULL) {
			a->oom = 1;
			return NULL;
		}
		a->ptr = np;
		ns = crn_realloc(
		    a->size, a->cap * sizeof(size_t), nc * sizeof(size_t));
		if (ns == NULL) {
			a->oom = 1;
			return NULL;
		}
		a->size = ns;
		a->cap = nc;
	}
	if ((p = crn_zalloc(size)) == NULL) {
		a->oom = 1;
		return NULL;
	}
	a->ptr[a->n] = p;
	a->size[a->n++] = size;
	return p;
}

static void
arena_free(arena *a)
{
	size_t i;

	for (i = 0; i < a->n; i++)
		crn_free(a->ptr[i], a->size[i]);
	crn_free(a->ptr, a->cap * sizeof(void *));
	crn_free(a->size, a->cap * sizeof(size_t));
}

static size_t
expr_count(const crn_expr *e)
{
	size_t n = 1, i;

	for (i = 0; i < e->nkids; i++)
		n += expr_count(&e->kids[i]);
	return n;
}

/* Post-order: children first; returns this node's index. */
static uint32_t
expr_flatten(
    arena *a, const crn_expr *e, Cairn__Plan__ExprNode **nodes, size_t *n)
{
	Cairn__Plan__ExprNode *x;
	uint32_t *kids = NULL;
	size_t i;

	if (e->nkids > 0 &&
	    (kids = aalloc(a, e->nkids * sizeof(uint32_t))) == NULL)
		return 0;
	for (i = 0; i < e->nkids; i++)
		kids[i] = expr_flatten(a, &e->kids[i], nodes, n);
	if ((x = aalloc(a, sizeof(*x))) == NULL)
		return 0;
	cairn__plan__expr_node__init(x);
	x->kind = (uint32_t)e->kind;
	x->op = (uint32_t)e->op;
	x->col = e->col;
	x->n_kids = e->nkids;
	x->kids = kids;
	if (e->nvals > 0) {
		Cairn__Plan__Value *v = aalloc(a, e->nvals * sizeof(*v));
		Cairn__Plan__Value **vp = aalloc(a, e->nvals * sizeof(*vp));

		if (v == NULL || vp == NULL)
			return 0;
		for (i = 0; i < e->nvals; i++) {
			cairn__plan__value__init(&v[i]);
			v[i].num = e->vals[i].num;
			v[i].cat = e->vals[i].cat;
			v[i].scale = e->vals[i].scale;
			vp[i] = &v[i];
		}
		x->n_vals = e->nvals;
		x->vals = vp;
	}
	nodes[*n] = x;
	return (uint32_t)(*n)++;
}

static int
expr_encode(
    arena *a, const crn_expr *e, Cairn__Plan__ExprNode ***out, size_t *nout)
{
	size_t total, n = 0;
	Cairn__Plan__ExprNode **nodes;

	*out = NULL;
	*nout = 0;
	if (e == NULL || e->kind == CRN_EX_TRUE)
		return 0;
	total = expr_count(e);
	if ((nodes = aalloc(a, total * sizeof(*nodes))) == NULL)
		return -1;
	expr_flatten(a, e, nodes, &n);
	if (a->oom)
		return -1;
	*out = nodes;
	*nout = n;
	return 0;
}

cairn_err
crn_plan_encode(const crn_plan *p, uint8_t **out, size_t *len)
{
	Cairn__Plan__QueryPlan m = CAIRN__PLAN__QUERY_PLAN__INIT;
	arena a = {0};
	uint8_t *buf = NULL;
	size_t i, n = 0;
	cairn_err rv;

	*out = NULL;
	*len = 0;
	if ((rv = crn_plan_check(p)) != CAIRN_OK)
		return rv == CAIRN_ENOMEM ? rv : CAIRN_EINVAL;
	/* protobuf-c wants non-const char *; the strings are only read. */
	m.dataset = (char *)(uintptr_t)p->dataset;
	m.ngroups = p->ngroups;
	m.per_group = p->per_group;
	m.dim = p->dim;
	m.ring_bits = p->ring_bits;
	m.limit = p->limit;
	m.max_rows = p->max_rows;
	m.max_nodes = p->max_nodes;
	m.min_cell = p->min_cell;
	m.cols = aalloc(&a, p->ncols * sizeof(*m.cols));
	m.keys = aalloc(&a, (p->nkeys + 1) * sizeof(*m.keys));
	m.measures = aalloc(&a, (p->nmeasures + 1) * sizeof(*m.measures));
	m.outputs = aalloc(&a, p->noutputs * sizeof(*m.outputs));
	m.order = aalloc(&a, (p->norder + 1) * sizeof(*m.order));
	if (a.oom)
		goto nomem;
	for (i = 0; i < p->ncols; i++) {
		const crn_column *c = &p->cols[i];
		Cairn__Plan__Column *x = aalloc(&a, sizeof(*x));

		if (x == NULL)
			goto nomem;
		cairn__plan__column__init(x);
		x->name = (char *)(uintptr_t)c->name;
		x->type = (uint32_t)c->type;
		x->scale = c->scale;
		x->lo = c->lo;
		x->hi = c->hi;
		x->nullable = c->nullable;
		x->n_domain = c->ndomain;
		x->domain = c->domain;
		m.cols[i] = x;
	}
	m.n_cols = p->ncols;
	for (i = 0; i < p->nkeys; i++) {
		const crn_groupkey *k = &p->keys[i];
		Cairn__Plan__GroupKey *x = aalloc(&a, sizeof(*x));

		if (x == NULL)
			goto nomem;
		cairn__plan__group_key__init(x);
		x->col = k->col;
		x->bucket = k->bucket;
		x->lo = k->lo;
		x->hi = k->hi;
		x->nbuckets = k->nbuckets;
		x->card = k->card;
		m.keys[i] = x;
	}
	m.n_keys = p->nkeys;
	for (i = 0; i < p->nmeasures; i++) {
		Cairn__Plan__Measure *x = aalloc(&a, sizeof(*x));

		if (x == NULL)
			goto nomem;
		cairn__plan__measure__init(x);
		x->col = p->measures[i].col;
		x->need_sumsq = p->measures[i].need_sumsq;
		x->offset = p->measures[i].offset;
		m.measures[i] = x;
	}
	m.n_measures = p->nmeasures;
	for (i = 0; i < p->noutputs; i++) {
		const crn_output *o = &p->outputs[i];
		Cairn__Plan__Output *x = aalloc(&a, sizeof(*x));

		if (x == NULL)
			goto nomem;
		cairn__plan__output__init(x);
		x->name = (char *)(uintptr_t)o->name;
		x->is_key = o->is_key;
		x->key = o->key;
		x->fn = (uint32_t)o->fn;
		x->measure = o->measure;
		x->hidden = o->hidden;
		m.outputs[i] = x;
	}
	m.n_outputs = p->noutputs;
	for (i = 0; i < p->norder; i++) {
		Cairn__Plan__Order *x = aalloc(&a, sizeof(*x));

		if (x == NULL)
			goto nomem;
		cairn__plan__order__init(x);
		x->output = p->order[i].output;
		x->desc = p->order[i].desc;
		m.order[i] = x;
	}
	m.n_order = p->norder;
	if (expr_encode(&a, &p->where, &m.where, &m.n_where) != 0 ||
	    expr_encode(&a, p->having, &m.having, &m.n_having) != 0)
		goto nomem;
	n = cairn__plan__query_plan__get_packed_size(&m);
	if ((buf = crn_alloc(n)) == NULL)
		goto nomem;
	if (cairn__plan__query_plan__pack(&m, buf) != n) {
		crn_free(buf, n);
		arena_free(&a);
		return CAIRN_EINTERNAL;
	}
	arena_free(&a);
	*out = buf;
	*len = n;
	return CAIRN_OK;
nomem:
	arena_free(&a);
	return CAIRN_ENOMEM;
}

/* ---- decode ----------------------------------------------------------- */

static cairn_err
dup_name(char **dst, const char *src)
{
	*dst = NULL;
	if (!valid_name(src))
		return CAIRN_EPROTO;
	if ((*dst = crn_strdup(src)) == NULL)
		return CAIRN_ENOMEM;
	return CAIRN_OK;
}

/* Build node i of a flat list (already checked to be a tree). */
static cairn_err
expr_build(Cairn__Plan__ExprNode *const *nodes, size_t i, crn_expr *e)
{
	const Cairn__Plan__ExprNode *x = nodes[i];
	size_t j;
	cairn_err rv;

	memset(e, 0, sizeof(*e));
	if (x->kind > CRN_EX_NOTNULL || x->op > CRN_OP_GE)
		return CAIRN_EPROTO;
	e->kind = (crn_exkind)x->kind;
	e->op = (crn_cmpop)x->op;
	e->col = x->col;
	if (x->n_vals > 0) {
		if ((e->vals = crn_zalloc(x->n_vals * sizeof(crn_value))) ==
		    NULL)
			return CAIRN_ENOMEM;
		e->nvals = x->n_vals;
		for (j = 0; j < x->n_vals; j++) {
			e->vals[j].num = x->vals[j]->num;
			e->vals[j].cat = x->vals[j]->cat;
			e->vals[j].scale = x->vals[j]->scale;
		}
	}
	if (x->n_kids > 0) {
		if ((e->kids = crn_zalloc(x->n_kids * sizeof(crn_expr))) ==
		    NULL)
			return CAIRN_ENOMEM;
		e->nkids = x->n_kids;
		for (j = 0; j < x->n_kids; j++)
			if ((rv = expr_build(nodes, x->kids[j], &e->kids[j])) !=
			    CAIRN_OK)
				return rv;
	}
	return CAIRN_OK;
}

/*
 * Check that a flat list is one tree rooted at its last node (children
 * before parents, each node used once) no deeper than EXPR_MAX_DEPTH, then
 * build it.  The depth check comes first so expr_build's recursion is
 * bounded.
 */
static cairn_err
expr_decode(Cairn__Plan__ExprNode *const *nodes, size_t n, crn_expr *e)
{
	uint8_t *used = NULL;
	uint32_t *depth = NULL;
	size_t i, j;
	cairn_err rv = CAIRN_EPROTO;

	memset(e, 0, sizeof(*e));
	if (n == 0)
		return CAIRN_OK;
	if (n > CRN_PLAN_MAX_EXPR_NODES)
		return CAIRN_ETOOBIG;
	used = crn_zalloc(n);
	depth = crn_zalloc(n * sizeof(uint32_t));
	if (used == NULL || depth == NULL) {
		rv = CAIRN_ENOMEM;
		goto out;
	}
	for (i = 0; i < n; i++) {
		const Cairn__Plan__ExprNode *x = nodes[i];

		depth[i] = 1;
		for (j = 0; j < x->n_kids; j++) {
			uint32_t k = x->kids[j];

			if (k >= i || used[k])
				goto out;
			used[k] = 1;
			if (depth[k] + 1 > depth[i])
				depth[i] = depth[k] + 1;
		}
		if (depth[i] > EXPR_MAX_DEPTH)
			goto out;
	}
	for (i = 0; i + 1 < n; i++)
		if (!used[i])
			goto out;
	if ((rv = expr_build(nodes, n - 1, e)) != CAIRN_OK)
		crn_expr_fini(e);
out:
	crn_free(used, n);
	crn_free(depth, n * sizeof(uint32_t));
	return rv;
}

static cairn_err
convert(const Cairn__Plan__QueryPlan *m, crn_plan *p)
{
	size_t i, j;
	cairn_err rv;

	if (m->n_cols == 0 || m->n_cols > CRN_PLAN_MAX_COLS ||
	    m->n_outputs > CRN_PLAN_MAX_OUTPUTS || m->n_keys > 64 ||
	    m->n_measures > CRN_PLAN_MAX_COLS ||
	    m->n_order > CRN_PLAN_MAX_OUTPUTS)
		return CAIRN_ETOOBIG;
	if ((rv = dup_name(&p->dataset, m->dataset)) != CAIRN_OK)
		return rv;
	p->ngroups = m->ngroups;
	p->per_group = m->per_group;
	p->dim = m->dim;
	p->ring_bits = m->ring_bits;
	p->limit = m->limit;
	p->max_rows = m->max_rows;
	p->max_nodes = m->max_nodes;
	p->min_cell = m->min_cell;
	if ((p->cols = crn_zalloc(m->n_cols * sizeof(crn_column))) == NULL)
		return CAIRN_ENOMEM;
	for (i = 0; i < m->n_cols; i++) {
		const Cairn__Plan__Column *x = m->cols[i];
		crn_column *c = &p->cols[p->ncols++];

		if ((rv = dup_name(&c->name, x->name)) != CAIRN_OK)
			return rv;
		if (x->type < CRN_COL_INT || x->type > CRN_COL_CATEGORY ||
		    x->n_domain > CRN_PLAN_MAX_GROUPS)
			return CAIRN_EPROTO;
		c->type = (crn_coltype)x->type;
		c->scale = x->scale;
		c->lo = x->lo;
		c->hi = x->hi;
		c->nullable = x->nullable;
		if (x->n_domain > 0) {
			c->domain = crn_zalloc(x->n_domain * sizeof(char *));
			if (c->domain == NULL)
				return CAIRN_ENOMEM;
			for (j = 0; j < x->n_domain; j++) {
				rv = dup_name(
				    &c->domain[c->ndomain], x->domain[j]);
				if (rv != CAIRN_OK)
					return rv;
				c->ndomain++;
			}
		}
	}
	if (m->n_keys > 0) {
		p->keys = crn_zalloc(m->n_keys * sizeof(crn_groupkey));
		if (p->keys == NULL)
			return CAIRN_ENOMEM;
		p->nkeys = m->n_keys;
	}
	for (i = 0; i < m->n_keys; i++) {
		p->keys[i].col = m->keys[i]->col;
		p->keys[i].bucket = m->keys[i]->bucket;
		p->keys[i].lo = m->keys[i]->lo;
		p->keys[i].hi = m->keys[i]->hi;
		p->keys[i].nbuckets = m->keys[i]->nbuckets;
		p->keys[i].card = m->keys[i]->card;
	}
	if (m->n_measures > 0) {
		p->measures = crn_zalloc(m->n_measures * sizeof(crn_measure));
		if (p->measures == NULL)
			return CAIRN_ENOMEM;
		p->nmeasures = m->n_measures;
	}
	for (i = 0; i < m->n_measures; i++) {
		p->measures[i].col = m->measures[i]->col;
		p->measures[i].need_sumsq = m->measures[i]->need_sumsq;
		p->measures[i].offset = m->measures[i]->offset;
	}
	if (m->n_outputs > 0) {
		p->outputs = crn_zalloc(m->n_outputs * sizeof(crn_output));
		if (p->outputs == NULL)
			return CAIRN_ENOMEM;
	}
	for (i = 0; i < m->n_outputs; i++) {
		const Cairn__Plan__Output *x = m->outputs[i];
		crn_output *o = &p->outputs[p->noutputs++];

		if ((rv = dup_name(&o->name, x->name)) != CAIRN_OK)
			return rv;
		if (x->fn > CRN_AGG_STDDEV_POP)
			return CAIRN_EPROTO;
		o->is_key = x->is_key;
		o->key = x->key;
		o->fn = (crn_aggfn)x->fn;
		o->measure = x->measure;
		o->hidden = x->hidden;
	}
	if (m->n_order > 0) {
		p->order = crn_zalloc(m->n_order * sizeof(crn_order));
		if (p->order == NULL)
			return CAIRN_ENOMEM;
		p->norder = m->n_order;
	}
	for (i = 0; i < m->n_order; i++) {
		p->order[i].output = m->order[i]->output;
		p->order[i].desc = m->order[i]->desc;
	}
	if ((rv = expr_decode(m->where, m->n_where, &p->where)) != CAIRN_OK)
		return rv;
	if (m->n_having > 0) {
		if ((p->having = crn_zalloc(sizeof(crn_expr))) == NULL)
			return CAIRN_ENOMEM;
		if ((rv = expr_decode(m->having, m->n_having, p->having)) !=
		    CAIRN_OK)
			return rv;
	}
	return CAIRN_OK;
}

cairn_err
crn_plan_decode(const uint8_t *buf, size_t len, crn_plan **out)
{
	Cairn__Plan__QueryPlan *m = NULL;
	crn_plan *p = NULL;
	cairn_err rv = CAIRN_EINTERNAL;

	*out = NULL;
	if (buf == NULL || len == 0) {
		rv = CAIRN_EPROTO;
		goto out;
	}
	if (len > CRN_PLAN_MAX_ENCODED) {
		rv = CAIRN_ETOOBIG;
		goto out;
	}
	if ((m = cairn__plan__query_plan__unpack(NULL, len, buf)) == NULL) {
		rv = CAIRN_EPROTO;
		goto out;
	}
	if ((p = crn_zalloc(sizeof(*p))) == NULL) {
		rv = CAIRN_ENOMEM;
		goto out;
	}
	if ((rv = convert(m, p)) != CAIRN_OK)
		goto out;
	if ((rv = crn_plan_check(p)) != CAIRN_OK)
		goto out;
	*out = p;
	p = NULL;
out:
	if (m != NULL)
		cairn__plan__query_plan__free_unpacked(m, NULL);
	crn_plan_free(p);
	return rv;
}
