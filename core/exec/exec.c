/*
 * exec.c — the part of the local executors shared by every source: plan
 * validation, filter evaluation in three-valued logic, group numbering,
 * exact accumulation and the reduction into the ring.
 *
 * Slots are accumulated directly in the output vector, in the ring's own
 * width: unsigned wrap-around modulo 2^ring_bits is exactly the ring
 * arithmetic, so adding (two's complement) values in 32, 64 or 128 bits
 * gives the same residue as adding the exact sums and reducing at the end,
 * with no second copy of a possibly large vector.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/crn.h"
#include "exec/exec.h"

/* Deeper filters than this are refused rather than recursed into: plans
 * arrive from other parties. */
#define CRN_EXPR_MAX_DEPTH 64

size_t
crn_exec_elem_size(uint32_t ring_bits)
{
	switch (ring_bits) {
	case 32: return sizeof(uint32_t);
	case 64: return sizeof(uint64_t);
	case 128: return sizeof(unsigned __int128);
	default: return 0;
	}
}

void
crn_acc_errf(crn_acc *acc, const char *fmt, ...)
{
	va_list ap;

	if (acc->err == NULL || acc->errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(acc->err, acc->errlen, fmt, ap);
	va_end(ap);
}

const char *
crn_exec_local_name(const crn_source *src, const crn_column *c)
{
	for (size_t i = 0; i < src->nmap; i++)
		if (src->map[i].name != NULL && src->map[i].local != NULL &&
		    strcmp(src->map[i].name, c->name) == 0)
			return src->map[i].local;
	return c->name;
}

long
crn_exec_domain_find(const crn_column *c, const char *s, size_t len)
{
	for (size_t i = 0; i < c->ndomain; i++)
		if (strlen(c->domain[i]) == len &&
		    memcmp(c->domain[i], s, len) == 0)
			return (long)i;
	return -1;
}

static bool
is_numeric(const crn_column *c)
{
	return c->type == CRN_COL_INT || c->type == CRN_COL_DECIMAL;
}

static cairn_err
check_expr(crn_acc *acc, const crn_expr *e, int depth)
{
	const crn_dataset *ds = acc->ds;

	if (depth > CRN_EXPR_MAX_DEPTH) {
		crn_acc_errf(
		    acc, "filter nested deeper than %d", CRN_EXPR_MAX_DEPTH);
		return CAIRN_ENOTSUP;
	}
	switch (e->kind) {
	case CRN_EX_TRUE: return CAIRN_OK;
	case CRN_EX_AND:
	case CRN_EX_OR:
	case CRN_EX_NOT:
		if (e->nkids == 0 || e->kids == NULL ||
		    (e->kind == CRN_EX_NOT && e->nkids != 1))
			goto bad;
		for (size_t i = 0; i < e->nkids; i++) {
			cairn_err rv = check_expr(acc, &e->kids[i], depth + 1);
			if (rv != CAIRN_OK)
				return rv;
		}
		return CAIRN_OK;
	case CRN_EX_CMP:
	case CRN_EX_IN:
	case CRN_EX_BETWEEN:
	case CRN_EX_ISNULL:
	case CRN_EX_NOTNULL:
		if (e->col >= ds->ncols)
			goto bad;
		if (e->kind == CRN_EX_CMP &&
		    (e->nvals != 1 || e->vals == NULL || e->op > CRN_OP_GE))
			goto bad;
		if (e->kind == CRN_EX_IN && (e->nvals == 0 || e->vals == NULL))
			goto bad;
		if (e->kind == CRN_EX_BETWEEN &&
		    (e->nvals != 2 || e->vals == NULL))
			goto bad;
		acc->used[e->col] = true;
		return CAIRN_OK;
	}
bad:
	crn_acc_errf(
	    acc, "malformed filter expression (kind %d)", (int)e->kind);
	return CAIRN_EINVAL;
}

/*
 * A plan carries the coordinator's copy of the columns, and the layout
 * and ring width were computed from it.  The node computes with its own
 * schema; the two must agree or the coordinator would decode the vector
 * with bounds, scales or domains the node never applied.
 */
static bool
same_columns(const crn_plan *p, const crn_dataset *ds)
{
	if (p->ncols != ds->ncols)
		return false;
	for (size_t i = 0; i < ds->ncols; i++) {
		const crn_column *a = &p->cols[i], *b = &ds->cols[i];

		if (a->name == NULL || b->name == NULL ||
		    strcmp(a->name, b->name) != 0 || a->type != b->type ||
		    a->scale != b->scale || a->nullable != b->nullable ||
		    a->ndomain != b->ndomain)
			return false;
		if (a->type != CRN_COL_CATEGORY &&
		    (a->lo != b->lo || a->hi != b->hi))
			return false;
		for (size_t j = 0; j < a->ndomain; j++)
			if (strcmp(a->domain[j], b->domain[j]) != 0)
				return false;
	}
	return true;
}

void
crn_acc_fini(crn_acc *acc)
{
	if (acc->vec != NULL)
		crn_free(acc->vec, (size_t)acc->plan->dim * acc->esz);
	if (acc->used != NULL)
		crn_free(acc->used, acc->ds->ncols * sizeof(*acc->used));
	acc->vec = NULL;
	acc->used = NULL;
}

void
crn_acc_reset(crn_acc *acc)
{
	memset(acc->vec, 0, (size_t)acc->plan->dim * acc->esz);
	memset(&acc->stats, 0, sizeof(acc->stats));
	if (acc->err != NULL && acc->errlen > 0)
		acc->err[0] = '\0';
}

/* Check the plan's group keys against the dataset and mark their
 * columns used; *ngroups receives the product of their cardinalities. */
static cairn_err
acc_keys(crn_acc *acc, uint64_t *ngroups)
{
	const crn_plan *plan = acc->plan;
	const crn_dataset *ds = acc->ds;
	size_t nbytes;

	*ngroups = 1;
	for (size_t i = 0; i < plan->nkeys; i++) {
		const crn_groupkey *k = &plan->keys[i];
		const crn_column *c;
		uint64_t want;

		if (k->col >= ds->ncols) {
			crn_acc_errf(
			    acc, "group key %zu: no column %u", i, k->col);
			return CAIRN_EINVAL;
		}
		c = &ds->cols[k->col];
		if (k->bucket) {
			if (!is_numeric(c) || k->lo >= k->hi ||
			    k->nbuckets == 0) {
				crn_acc_errf(acc,
				    "group key %zu: bad width_bucket over %s",
				    i, c->name);
				return CAIRN_EINVAL;
			}
			want =
			    (uint64_t)k->nbuckets + 2 + (c->nullable ? 1 : 0);
		} else if (c->type == CRN_COL_CATEGORY) {
			want = (uint64_t)c->ndomain + (c->nullable ? 1 : 0);
		} else {
			crn_acc_errf(acc,
			    "group key %zu: numeric column %s without width_bucket",
			    i, c->name);
			return CAIRN_ENOTSUP;
		}
		if (want != k->card || want == 0) {
			crn_acc_errf(acc,
			    "group key %zu: card %u, expected %llu",
			    i, k->card, (unsigned long long)want);
			return CAIRN_EINVAL;
		}
		if (crn_mul_size(*ngroups, want, &nbytes) != 0) {
			crn_acc_errf(acc, "too many groups");
			return CAIRN_EINVAL;
		}
		*ngroups = nbytes;
		acc->used[k->col] = true;
	}
	return CAIRN_OK;
}

/* Check the plan's measures against the dataset and mark their columns
 * used. */
static cairn_err
acc_measures(crn_acc *acc)
{
	const crn_plan *plan = acc->plan;
	const crn_dataset *ds = acc->ds;

	for (size_t i = 0; i < plan->nmeasures; i++) {
		const crn_measure *m = &plan->measures[i];
		uint64_t end;

		if (m->col >= ds->ncols || !is_numeric(&ds->cols[m->col])) {
			crn_acc_errf(
			    acc, "measure %zu: not a numeric column", i);
			return CAIRN_EINVAL;
		}
		end = 1 + (uint64_t)m->offset + (m->need_sumsq ? 4 : 3);
		if (end > plan->per_group) {
			crn_acc_errf(acc,
			    "measure %zu: offset %u outside the group block of %u",
			    i, m->offset, plan->per_group);
			return CAIRN_EINVAL;
		}
		acc->used[m->col] = true;
	}
	return CAIRN_OK;
}

cairn_err
crn_acc_init(crn_acc *acc, const crn_plan *plan, const crn_dataset *ds,
    char *err, size_t errlen)
{
	uint64_t ngroups = 1, dim;
	size_t nbytes;
	cairn_err rv = CAIRN_EINVAL;

	memset(acc, 0, sizeof(*acc));
	acc->plan = plan;
	acc->ds = ds;
	acc->err = err;
	acc->errlen = errlen;
	if (plan->dataset != NULL && ds->name != NULL &&
	    strcmp(plan->dataset, ds->name) != 0) {
		crn_acc_errf(acc, "plan is for dataset %s, not %s",
		    plan->dataset, ds->name);
		goto out;
	}
	if (plan->cols != NULL && !same_columns(plan, ds)) {
		crn_acc_errf(acc,
		    "the plan's column definitions differ from this node's schema for dataset %s",
		    ds->name != NULL ? ds->name : "?");
		goto out;
	}
	if (crn_exec_elem_size(plan->ring_bits) == 0) {
		crn_acc_errf(
		    acc, "ring_bits %u not 32, 64 or 128", plan->ring_bits);
		goto out;
	}
	if ((acc->used = crn_zalloc(ds->ncols * sizeof(*acc->used))) == NULL) {
		rv = CAIRN_ENOMEM;
		goto out;
	}
	if ((rv = acc_keys(acc, &ngroups)) != CAIRN_OK)
		goto out;
	rv = CAIRN_EINVAL;
	if (ngroups != plan->ngroups) {
		crn_acc_errf(acc, "ngroups %llu, expected %llu",
		    (unsigned long long)plan->ngroups,
		    (unsigned long long)ngroups);
		goto out;
	}
	if ((rv = acc_measures(acc)) != CAIRN_OK)
		goto out;
	rv = CAIRN_EINVAL;
	if (plan->per_group == 0 ||
	    crn_mul_size(ngroups, plan->per_group, &nbytes) != 0 ||
	    nbytes != plan->dim) {
		crn_acc_errf(acc, "dim %llu does not match %llu groups of %u",
		    (unsigned long long)plan->dim, (unsigned long long)ngroups,
		    plan->per_group);
		goto out;
	}
	dim = nbytes;
	if ((rv = check_expr(acc, &plan->where, 0)) != CAIRN_OK)
		goto out;
	acc->esz = crn_exec_elem_size(plan->ring_bits);
	if (crn_mul_size(dim, acc->esz, &nbytes) != 0) {
		rv = CAIRN_ETOOBIG;
		goto out;
	}
	if ((acc->vec = crn_zalloc(nbytes)) == NULL) {
		rv = CAIRN_ENOMEM;
		goto out;
	}
	rv = CAIRN_OK;
out:
	if (rv != CAIRN_OK)
		crn_acc_fini(acc);
	return rv;
}

static int
cmp_holds(crn_cmpop op, int64_t a, int64_t b)
{
	switch (op) {
	case CRN_OP_EQ: return a == b;
	case CRN_OP_NE: return a != b;
	case CRN_OP_LT: return a < b;
	case CRN_OP_LE: return a <= b;
	case CRN_OP_GT: return a > b;
	case CRN_OP_GE: return a >= b;
	}
	return 0;
}

/* A constant in the same representation as the cell's value: category
 * indices and scaled numbers are both compared as integers. */
static int64_t
val_of(const crn_value *v, bool cat)
{
	return cat ? (int64_t)v->cat : v->num;
}

int
crn_exec_filter(const crn_expr *e, const crn_dataset *ds, const crn_cell *cells)
{
	const crn_cell *c;
	int r, any_unknown;
	bool cat;
	int64_t x;

	switch (e->kind) {
	case CRN_EX_TRUE: return CRN_TV_TRUE;
	case CRN_EX_AND:
		any_unknown = 0;
		for (size_t i = 0; i < e->nkids; i++) {
			r = crn_exec_filter(&e->kids[i], ds, cells);
			if (r == CRN_TV_FALSE)
				return CRN_TV_FALSE;
			any_unknown |= r == CRN_TV_UNKNOWN;
		}
		return any_unknown ? CRN_TV_UNKNOWN : CRN_TV_TRUE;
	case CRN_EX_OR:
		any_unknown = 0;
		for (size_t i = 0; i < e->nkids; i++) {
			r = crn_exec_filter(&e->kids[i], ds, cells);
			if (r == CRN_TV_TRUE)
				return CRN_TV_TRUE;
			any_unknown |= r == CRN_TV_UNKNOWN;
		}
		return any_unknown ? CRN_TV_UNKNOWN : CRN_TV_FALSE;
	case CRN_EX_NOT:
		r = crn_exec_filter(&e->kids[0], ds, cells);
		return r == CRN_TV_UNKNOWN
		    ? r
		    : (r == CRN_TV_TRUE ? CRN_TV_FALSE : CRN_TV_TRUE);
	case CRN_EX_ISNULL:
		return cells[e->col].null ? CRN_TV_TRUE : CRN_TV_FALSE;
	case CRN_EX_NOTNULL:
		return cells[e->col].null ? CRN_TV_FALSE : CRN_TV_TRUE;
	default: break;
	}
	c = &cells[e->col];
	if (c->null)
		return CRN_TV_UNKNOWN;
	cat = ds->cols[e->col].type == CRN_COL_CATEGORY;
	x = cat ? (int64_t)c->cat : c->num;
	switch (e->kind) {
	case CRN_EX_CMP:
		return cmp_holds(e->op, x, val_of(&e->vals[0], cat))
		    ? CRN_TV_TRUE
		    : CRN_TV_FALSE;
	case CRN_EX_IN:
		for (size_t i = 0; i < e->nvals; i++)
			if (x == val_of(&e->vals[i], cat))
				return CRN_TV_TRUE;
		return CRN_TV_FALSE;
	case CRN_EX_BETWEEN:
		return (x >= val_of(&e->vals[0], cat) &&
		           x <= val_of(&e->vals[1], cat))
		    ? CRN_TV_TRUE
		    : CRN_TV_FALSE;
	default: return CRN_TV_FALSE;
	}
}

cairn_err
crn_exec_key_index(const crn_groupkey *k, const crn_column *c,
    const crn_cell *v, uint64_t *out)
{
	__int128 q;

	if (v->null) {
		if (!c->nullable)
			return CAIRN_EDATA;
		*out = (uint64_t)k->card - 1;
		return CAIRN_OK;
	}
	if (!k->bucket) {
		*out = v->cat;
		return CAIRN_OK;
	}
	if (v->num < k->lo) {
		*out = 0;
	} else if (v->num >= k->hi) {
		*out = (uint64_t)k->nbuckets + 1;
	} else {
		/* Exact integer form of PostgreSQL's width_bucket:
		 * floor((v - lo) * n / (hi - lo)) + 1, in 128 bits so
		 * that wide ranges cannot overflow. */
		q = ((__int128)v->num - k->lo) * k->nbuckets /
		    ((__int128)k->hi - k->lo);
		*out = (uint64_t)q + 1;
	}
	return CAIRN_OK;
}

cairn_err
crn_acc_matched(crn_acc *acc, uint64_t n)
{
	uint64_t max = acc->ds->max_rows, pmax = acc->plan->max_rows;

	/* The ring was sized for the plan's max_rows; the node's own
	 * schema may be stricter.  The smaller bound holds. */
	if (pmax != 0 && (max == 0 || pmax < max))
		max = pmax;
	acc->stats.rows_matched += n;
	if (max != 0 && acc->stats.rows_matched > max) {
		crn_acc_errf(acc, "more than max_rows (%llu) rows match",
		    (unsigned long long)max);
		return CAIRN_ERANGE;
	}
	return CAIRN_OK;
}

/* Add v (two's complement) to element i of the vector, modulo the ring. */
static inline void
slot_add(crn_acc *acc, uint64_t i, unsigned __int128 v)
{
	if (acc->esz == sizeof(uint64_t))
		((uint64_t *)acc->vec)[i] += (uint64_t)v;
	else if (acc->esz == sizeof(uint32_t))
		((uint32_t *)acc->vec)[i] += (uint32_t)v;
	else
		((unsigned __int128 *)acc->vec)[i] += v;
}

cairn_err
crn_acc_row(crn_acc *acc, const crn_cell *cells, const char *where)
{
	const crn_plan *p = acc->plan;
	const crn_dataset *ds = acc->ds;
	uint64_t g = 0, idx, s;
	cairn_err rv;

	if (acc->rowfn != NULL) {
		if ((rv = crn_acc_matched(acc, 1)) != CAIRN_OK)
			return rv;
		return acc->rowfn(acc->rowarg, cells, where);
	}
	for (size_t i = 0; i < p->nkeys; i++) {
		const crn_groupkey *k = &p->keys[i];

		rv = crn_exec_key_index(
		    k, &ds->cols[k->col], &cells[k->col], &idx);
		if (rv != CAIRN_OK) {
			crn_acc_errf(acc,
			    "%s: column %s: NULL in a NOT NULL group key",
			    where, ds->cols[k->col].name);
			return rv;
		}
		g = g * k->card + idx;
	}
	if ((rv = crn_acc_matched(acc, 1)) != CAIRN_OK)
		return rv;
	s = g * p->per_group;
	slot_add(acc, s, 1);
	for (size_t i = 0; i < p->nmeasures; i++) {
		const crn_measure *m = &p->measures[i];
		const crn_column *c = &ds->cols[m->col];
		uint64_t ms = s + 1 + m->offset;
		int64_t v;

		if (cells[m->col].null)
			continue;
		v = cells[m->col].num;
		slot_add(acc, ms, 1);
		if (v < c->lo || v > c->hi) {
			v = v < c->lo ? c->lo : c->hi;
			slot_add(acc, ms + (m->need_sumsq ? 3 : 2), 1);
			acc->stats.clipped++;
		}
		slot_add(acc, ms + 1, (unsigned __int128)(__int128)v);
		if (m->need_sumsq)
			slot_add(
			    acc, ms + 2, (unsigned __int128)((__int128)v * v));
	}
	return CAIRN_OK;
}

void
crn_acc_add(crn_acc *acc, uint64_t g, uint32_t off, __int128 v)
{
	slot_add(acc, g * acc->plan->per_group + off, (unsigned __int128)v);
}

cairn_err
crn_acc_vector(crn_acc *acc, void **vec)
{
	*vec = acc->vec;
	acc->vec = NULL;
	return CAIRN_OK;
}

/* Run the source's executor over acc. */
static cairn_err
acc_scan(crn_acc *acc, const crn_source *src)
{
	switch (src->kind) {
	case CRN_SRC_CSV: return crn_exec_csv(acc, src);
	case CRN_SRC_SQLITE: return crn_exec_sqlite(acc, src);
	case CRN_SRC_PG: return crn_exec_pg(acc, src);
	default:
		crn_acc_errf(acc, "unknown source kind %d", (int)src->kind);
		return CAIRN_EINVAL;
	}
}

cairn_err
crn_exec_run(const crn_plan *plan, const crn_dataset *ds, const crn_source *src,
    void **vec, crn_exec_stats *stats, char *err, size_t errlen)
{
	crn_acc acc;
	cairn_err rv;

	*vec = NULL;
	if (errlen > 0)
		err[0] = '\0';
	memset(stats, 0, sizeof(*stats));
	if ((rv = crn_acc_init(&acc, plan, ds, err, errlen)) != CAIRN_OK)
		return rv;
	rv = acc_scan(&acc, src);
	if (rv == CAIRN_OK)
		rv = crn_acc_vector(&acc, vec);
	if (rv == CAIRN_OK)
		*stats = acc.stats;
	else
		crn_log_debug("executor failed: %s", cairn_strerror(rv));
	crn_acc_fini(&acc);
	return rv;
}

cairn_err
crn_exec_rows(const crn_plan *plan, const crn_dataset *ds,
    const crn_source *src, const bool *cols, crn_exec_rowfn fn, void *arg,
    crn_exec_stats *stats, char *err, size_t errlen)
{
	crn_acc acc;
	cairn_err rv;

	if (errlen > 0)
		err[0] = '\0';
	memset(stats, 0, sizeof(*stats));
	if (plan->nkeys != 0) {
		snprintf(err, errlen, "a row scan has no groups");
		return CAIRN_EINVAL;
	}
	if ((rv = crn_acc_init(&acc, plan, ds, err, errlen)) != CAIRN_OK)
		return rv;
	for (size_t i = 0; i < ds->ncols; i++)
		acc.used[i] = acc.used[i] || cols[i];
	acc.rowfn = fn;
	acc.rowarg = arg;
	rv = acc_scan(&acc, src);
	if (rv == CAIRN_OK)
		*stats = acc.stats;
	crn_acc_fini(&acc);
	return rv;
}

/* ---- SQL generation ------------------------------------------------------
 *
 * The SQL is built only from the plan's structure, the schema and the
 * node's own source configuration: identifiers are quoted, and every
 * constant (filter values, bounds, domain values) is a bound parameter.
 * Numbers are compared and summed as scaled integers so that the database
 * computes exactly what the CSV scanner computes.
 */

static void
sq_put(crn_sqlq *q, const char *s, size_t n)
{
	if (q->oom)
		return;
	if (q->len + n + 1 > q->cap) {
		size_t nc = q->cap * 2 + n + 256;
		char *p = crn_realloc(q->sql, q->cap, nc);

		if (p == NULL) {
			q->oom = true;
			return;
		}
		q->sql = p;
		q->cap = nc;
	}
	memcpy(q->sql + q->len, s, n);
	q->len += n;
	q->sql[q->len] = '\0';
}

static void
sq_puts(crn_sqlq *q, const char *s)
{
	sq_put(q, s, strlen(s));
}

static void sq_printf(crn_sqlq *q, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
sq_printf(crn_sqlq *q, const char *fmt, ...)
{
	char tmp[128];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		q->oom = true;
		return;
	}
	sq_put(q, tmp, (size_t)n);
}

/* A quoted identifier: "name" with embedded quotes doubled. */
static void
sq_ident(crn_sqlq *q, const char *s, size_t n)
{
	sq_puts(q, "\"");
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '"')
			sq_puts(q, "\"");
		sq_put(q, &s[i], 1);
	}
	sq_puts(q, "\"");
}

/* A table name, quoted part by part so "schema.table" works. */
static void
sq_table(crn_sqlq *q, const char *t)
{
	const char *dot;

	while ((dot = strchr(t, '.')) != NULL) {
		sq_ident(q, t, (size_t)(dot - t));
		sq_puts(q, ".");
		t = dot + 1;
	}
	sq_ident(q, t, strlen(t));
}

static size_t
sq_param(crn_sqlq *q, bool is_text, int64_t num, const char *text)
{
	crn_sqlparam *p;

	if (q->oom)
		return 0;
	if (q->nparams == q->paramcap) {
		size_t nc = q->paramcap * 2 + 16;

		p = crn_realloc(
		    q->params, q->paramcap * sizeof(*p), nc * sizeof(*p));
		if (p == NULL) {
			q->oom = true;
			return 0;
		}
		q->params = p;
		q->paramcap = nc;
	}
	p = &q->params[q->nparams++];
	memset(p, 0, sizeof(*p));
	p->is_text = is_text;
	p->num = num;
	p->text = text;
	/* Not p->text = p->buf: the array moves when it grows. */
	if (!is_text)
		snprintf(p->buf, sizeof(p->buf), "%lld", (long long)num);
	return q->nparams;
}

static void
sq_ref(crn_sqlq *q, size_t n, bool is_text)
{
	if (q->dialect == CRN_SQL_PG)
		sq_printf(q, "$%zu::%s", n, is_text ? "text" : "int8");
	else
		sq_printf(q, "?%zu", n);
}

/* A new integer parameter, referenced here. */
static void
sq_int(crn_sqlq *q, int64_t v)
{
	sq_ref(q, sq_param(q, false, v, NULL), false);
}

static void
sq_col(crn_sqlq *q, const crn_source *src, const crn_column *c)
{
	const char *n = crn_exec_local_name(src, c);

	sq_ident(q, n, strlen(n));
}

static int64_t
pow10_i64(uint32_t s)
{
	int64_t m = 1;

	while (s-- > 0)
		m *= 10;
	return m;
}

static uint8_t
sq_exact(const crn_sqlq *q, const crn_column *c)
{
	if (q->exact == NULL || q->cols == NULL)
		return CRN_SQL_EXACT_NONE;
	return q->exact[c - q->cols];
}

/* The column's value in scaled units, as an integer expression. */
static void
sq_scaled(crn_sqlq *q, const crn_source *src, const crn_column *c)
{
	int64_t m = pow10_i64(c->scale);
	uint8_t ex = sq_exact(q, c);

	if (q->dialect == CRN_SQL_PG && ex == CRN_SQL_EXACT_INT) {
		sq_puts(q, "(");
		sq_col(q, src, c);
		if (m == 1)
			sq_puts(q, "::int8)");
		else
			sq_printf(q, "::int8 * %lld)", (long long)m);
	} else if (q->dialect == CRN_SQL_PG && ex == CRN_SQL_EXACT_NUM) {
		sq_puts(q, "(");
		sq_col(q, src, c);
		sq_printf(q, " * %lld)::int8", (long long)m);
	} else if (q->dialect == CRN_SQL_PG) {
		sq_puts(q, "(");
		sq_col(q, src, c);
		sq_printf(q, "::numeric * %lld)::int8", (long long)m);
	} else if (c->scale == 0) {
		sq_puts(q, "CAST(");
		sq_col(q, src, c);
		sq_puts(q, " AS INTEGER)");
	} else {
		/* Integers scale exactly; reals go through round(), which
		 * is exact below 2^53 (bad_expr flags what is not). */
		sq_puts(q, "(CASE WHEN typeof(");
		sq_col(q, src, c);
		sq_puts(q, ")='integer' THEN ");
		sq_col(q, src, c);
		sq_printf(q, "*%lld ELSE CAST(round(", (long long)m);
		sq_col(q, src, c);
		sq_printf(q, "*%lld) AS INTEGER) END)", (long long)m);
	}
}

/* The column's category as a domain index, -1 outside the domain. */
static void
sq_catidx(crn_sqlq *q, const crn_source *src, const crn_column *c, size_t first)
{
	sq_puts(q, "(CASE WHEN ");
	sq_col(q, src, c);
	sq_puts(q, " IS NULL THEN NULL");
	for (size_t i = 0; i < c->ndomain; i++) {
		sq_puts(q, " WHEN ");
		if (q->dialect == CRN_SQL_PG) {
			sq_col(q, src, c);
			sq_puts(q, "::text");
		} else {
			sq_puts(q, "CAST(");
			sq_col(q, src, c);
			sq_puts(q, " AS TEXT)");
		}
		sq_puts(q, " = ");
		sq_ref(q, first + i, true);
		sq_printf(q, " THEN %zu", i);
	}
	sq_puts(q, " ELSE -1 END)");
}

static void
sq_value(
    crn_sqlq *q, const crn_source *src, const crn_dataset *ds, uint32_t col)
{
	const crn_column *c = &ds->cols[col];

	if (c->type == CRN_COL_CATEGORY)
		sq_catidx(q, src, c, q->domparam[col]);
	else
		sq_scaled(q, src, c);
}

/* A boolean that is true when the column's value cannot be represented:
 * wrong type, more digits than the scale, outside the domain, or NULL in a
 * NOT NULL column. */
static void
sq_bad(crn_sqlq *q, const crn_source *src, const crn_dataset *ds, uint32_t col)
{
	const crn_column *c = &ds->cols[col];
	int64_t m = pow10_i64(c->scale);

	sq_puts(q, "(");
	if (c->type == CRN_COL_CATEGORY) {
		sq_catidx(q, src, c, q->domparam[col]);
		sq_puts(q, " = -1");
	} else if (sq_exact(q, c) != CRN_SQL_EXACT_NONE) {
		sq_puts(q, "1=0"); /* the column's type vouches */
	} else if (q->dialect == CRN_SQL_PG) {
		sq_puts(q, "(");
		sq_col(q, src, c);
		sq_printf(q, "::numeric * %lld) <> trunc(", (long long)m);
		sq_col(q, src, c);
		sq_printf(q, "::numeric * %lld)", (long long)m);
	} else {
		sq_puts(q, "typeof(");
		sq_col(q, src, c);
		sq_puts(q,
		    ") NOT IN ('integer', 'real', 'null') OR (typeof(");
		sq_col(q, src, c);
		sq_puts(q, ") = 'real' AND abs(");
		sq_col(q, src, c);
		sq_printf(q, "*%lld - round(", (long long)m);
		sq_col(q, src, c);
		sq_printf(q, "*%lld)) > 1e-6 + abs(", (long long)m);
		sq_col(q, src, c);
		sq_printf(q, "*%lld) * 1e-15)", (long long)m);
	}
	if (!c->nullable) {
		sq_puts(q, " OR ");
		sq_col(q, src, c);
		sq_puts(q, " IS NULL");
	}
	sq_puts(q, ")");
}

static const char *
sq_op(crn_cmpop op)
{
	static const char *ops[] = {"=", "<>", "<", "<=", ">", ">="};

	return ops[op];
}

static int64_t
sq_const(const crn_dataset *ds, uint32_t col, const crn_value *v)
{
	return ds->cols[col].type == CRN_COL_CATEGORY ? (int64_t)v->cat
	                                              : v->num;
}

static void
sq_filter(crn_sqlq *q, const crn_source *src, const crn_dataset *ds,
    const crn_expr *e)
{
	switch (e->kind) {
	case CRN_EX_TRUE: sq_puts(q, "1=1"); return;
	case CRN_EX_AND:
	case CRN_EX_OR:
		sq_puts(q, "(");
		for (size_t i = 0; i < e->nkids; i++) {
			if (i > 0)
				sq_puts(q,
				    e->kind == CRN_EX_AND ? " AND " : " OR ");
			sq_filter(q, src, ds, &e->kids[i]);
		}
		sq_puts(q, ")");
		return;
	case CRN_EX_NOT:
		sq_puts(q, "(NOT ");
		sq_filter(q, src, ds, &e->kids[0]);
		sq_puts(q, ")");
		return;
	case CRN_EX_ISNULL:
	case CRN_EX_NOTNULL:
		sq_puts(q, "(");
		sq_col(q, src, &ds->cols[e->col]);
		sq_puts(q,
		    e->kind == CRN_EX_ISNULL ? " IS NULL)" : " IS NOT NULL)");
		return;
	default: break;
	}
	sq_puts(q, "(");
	sq_value(q, src, ds, e->col);
	if (e->kind == CRN_EX_CMP) {
		sq_printf(q, " %s ", sq_op(e->op));
		sq_int(q, sq_const(ds, e->col, &e->vals[0]));
	} else if (e->kind == CRN_EX_IN) {
		sq_puts(q, " IN (");
		for (size_t i = 0; i < e->nvals; i++) {
			if (i > 0)
				sq_puts(q, ", ");
			sq_int(q, sq_const(ds, e->col, &e->vals[i]));
		}
		sq_puts(q, ")");
	} else {
		sq_puts(q, " BETWEEN ");
		sq_int(q, sq_const(ds, e->col, &e->vals[0]));
		sq_puts(q, " AND ");
		sq_int(q, sq_const(ds, e->col, &e->vals[1]));
	}
	sq_puts(q, ")");
}

/* width_bucket over the scaled value v<col> of the inner query,
 * PostgreSQL's numbering. */
static void
sq_bucket(crn_sqlq *q, const crn_groupkey *k)
{
	sq_printf(
	    q, "(CASE WHEN v%u IS NULL THEN NULL WHEN v%u < ", k->col, k->col);
	sq_int(q, k->lo);
	sq_printf(q, " THEN 0 WHEN v%u >= ", k->col);
	sq_int(q, k->hi);
	sq_puts(q, " THEN ");
	sq_int(q, (int64_t)k->nbuckets + 1);
	if (q->dialect == CRN_SQL_PG) {
		/* numeric: (v - lo) * n may not fit in 64 bits */
		sq_printf(q, " ELSE div((v%u - ", k->col);
		sq_int(q, k->lo);
		sq_puts(q, ")::numeric * ");
		sq_int(q, k->nbuckets);
		sq_puts(q, ", ");
		sq_int(q, k->hi - k->lo);
		sq_puts(q, ")::int8 + 1");
	} else {
		sq_printf(q, " ELSE (v%u - ", k->col);
		sq_int(q, k->lo);
		sq_puts(q, ") * ");
		sq_int(q, k->nbuckets);
		sq_puts(q, " / ");
		sq_int(q, k->hi - k->lo);
		sq_puts(q, " + 1");
	}
	sq_puts(q, " END)");
}

/* The inner query's v<col> clipped to the column's bounds. */
static void
sq_clip(crn_sqlq *q, uint32_t col, const crn_column *c)
{
	sq_printf(q, "(CASE WHEN v%u < ", col);
	sq_int(q, c->lo);
	sq_puts(q, " THEN ");
	sq_int(q, c->lo);
	sq_printf(q, " WHEN v%u > ", col);
	sq_int(q, c->hi);
	sq_puts(q, " THEN ");
	sq_int(q, c->hi);
	sq_printf(q, " ELSE v%u END)", col);
}

/* Could SQLite's 64-bit integer arithmetic overflow silently?  A product
 * that overflows turns into a float without an error (sum() does raise
 * one, which the SQLite executor catches), so width_bucket's and the
 * squares' products are checked here against the declared bounds. */
static bool
sqlite_may_overflow(const crn_acc *acc)
{
	const crn_plan *p = acc->plan;
	const crn_dataset *ds = acc->ds;
	const __int128 lim = (__int128)INT64_MAX;

	for (size_t i = 0; i < p->nkeys; i++) {
		const crn_groupkey *k = &p->keys[i];

		if (k->bucket && ((__int128)k->hi - k->lo) * k->nbuckets > lim)
			return true;
	}
	for (size_t i = 0; i < p->nmeasures; i++) {
		const crn_column *c = &ds->cols[p->measures[i].col];
		__int128 b =
		    c->hi > -(__int128)c->lo ? c->hi : -(__int128)c->lo;

		if (p->measures[i].need_sumsq && b * b > lim)
			return true;
	}
	return false;
}

void
crn_sqlq_fini(crn_sqlq *q)
{
	crn_free(q->sql, q->cap);
	crn_free(q->params, q->paramcap * sizeof(*q->params));
	if (q->domparam != NULL)
		crn_free(q->domparam, q->ndomparam * sizeof(size_t));
	memset(q, 0, sizeof(*q));
}

/* A category column as text in the query's dialect. */
static void
sq_text(crn_sqlq *q, const crn_source *src, const crn_column *c)
{
	if (q->dialect == CRN_SQL_PG) {
		sq_col(q, src, c);
		sq_puts(q, "::text");
	} else {
		sq_puts(q, "CAST(");
		sq_col(q, src, c);
		sq_puts(q, " AS TEXT)");
	}
}

/* Streaming mode: one row out per matching row, each used column's value
 * and its bad-value flag. */
static void
sq_stream(crn_sqlq *q, const crn_acc *acc, const crn_source *src)
{
	const crn_dataset *ds = acc->ds;
	const char *sep = "";

	for (uint32_t i = 0; i < ds->ncols; i++) {
		const crn_column *c = &ds->cols[i];

		if (!acc->used[i])
			continue;
		sq_puts(q, sep);
		sep = ", ";
		if (c->type == CRN_COL_CATEGORY)
			sq_text(q, src, c);
		else
			sq_scaled(q, src, c);
		sq_puts(q, ", CASE WHEN ");
		sq_bad(q, src, ds, i);
		sq_puts(q, " THEN 1 ELSE 0 END");
		q->ncols += 2;
	}
	if (q->ncols == 0) {
		sq_puts(q, "1");
		q->ncols = 1;
	}
	/* The filter runs in the database too, so that only matching rows
	 * travel; the C side applies it again, which keeps the two paths
	 * one semantics. */
	sq_puts(q, " FROM ");
	sq_table(q, src->table);
	sq_puts(q, " WHERE ");
	sq_filter(q, src, ds, &acc->plan->where);
}

/* Aggregate mode, one measure's columns: count, sum, sum of squares
 * when needed, and the out-of-range count. */
static void
sq_measure(crn_sqlq *q, const crn_measure *m, const crn_column *c)
{
	sq_printf(q, ", count(v%u), sum(", m->col);
	sq_clip(q, m->col, c);
	sq_puts(q, ")");
	if (m->need_sumsq) {
		__int128 b = c->hi > -(__int128)c->lo ? c->hi : -(__int128)c->lo;

		/* PostgreSQL sums int8 in 128 bits and returns numeric; the
		 * square itself must fit in int8 or be computed in numeric. */
		sq_puts(q, ", sum(");
		sq_clip(q, m->col, c);
		sq_puts(q,
		    q->dialect == CRN_SQL_PG && b * b > (__int128)INT64_MAX
		        ? "::numeric * "
		        : " * ");
		sq_clip(q, m->col, c);
		sq_puts(q, ")");
	}
	sq_printf(q, ", sum(CASE WHEN v%u < ", m->col);
	sq_int(q, c->lo);
	sq_printf(q, " OR v%u > ", m->col);
	sq_int(q, c->hi);
	sq_puts(q, " THEN 1 ELSE 0 END)");
	q->ncols += m->need_sumsq ? 4 : 3;
}

/* Aggregate mode, the inner query: per row, each used column's scaled
 * value (v<col>) or category text (t<col>) and bad-value flag (b<col>). */
static void
sq_rows(crn_sqlq *q, const crn_acc *acc, const crn_source *src)
{
	const crn_dataset *ds = acc->ds;

	sq_puts(q, " FROM (SELECT 1 AS one");
	for (uint32_t i = 0; i < ds->ncols; i++) {
		const crn_column *c = &ds->cols[i];

		if (!acc->used[i])
			continue;
		sq_puts(q, ", ");
		if (c->type == CRN_COL_CATEGORY) {
			sq_text(q, src, c);
			sq_printf(q, " AS t%u", i);
		} else {
			sq_scaled(q, src, c);
			sq_printf(q, " AS v%u", i);
		}
		sq_puts(q, ", CASE WHEN ");
		sq_bad(q, src, ds, i);
		sq_printf(q, " THEN 1 ELSE 0 END AS b%u", i);
	}
	sq_puts(q, " FROM ");
	sq_table(q, src->table);
	sq_puts(q, " WHERE ");
	sq_filter(q, src, ds, &acc->plan->where);
	sq_puts(q,
	    q->dialect == CRN_SQL_PG ? " OFFSET 0) AS cairn_rows"
	                             : " LIMIT -1 OFFSET 0) AS cairn_rows");
}

/*
 * Aggregate mode is two levels: the inner query (sq_rows) filters and
 * computes each column's values once per row; the outer one groups and
 * sums.  OFFSET 0 keeps both SQLite and PostgreSQL from flattening the
 * inner query, which would re-evaluate the scaling expression in every
 * aggregate that uses it.
 */
static void
sq_aggregate(crn_sqlq *q, const crn_acc *acc, const crn_source *src)
{
	const crn_plan *p = acc->plan;
	const crn_dataset *ds = acc->ds;

	for (size_t i = 0; i < p->nkeys; i++) {
		const crn_groupkey *k = &p->keys[i];

		if (k->bucket)
			sq_bucket(q, k);
		else
			sq_printf(q, "t%u", k->col);
		sq_puts(q, ", ");
	}
	sq_puts(q, "count(*)");
	q->ncols = p->nkeys + 1;
	for (size_t i = 0; i < p->nmeasures; i++)
		sq_measure(q, &p->measures[i], &ds->cols[p->measures[i].col]);
	for (uint32_t i = 0; i < ds->ncols; i++) {
		if (!acc->used[i])
			continue;
		sq_printf(q, ", sum(b%u)", i);
		q->ncols++;
	}
	sq_rows(q, acc, src);
	for (size_t i = 0; i < p->nkeys; i++)
		sq_printf(q, "%s%zu", i == 0 ? " GROUP BY " : ", ", i + 1);
}

cairn_err
crn_sqlq_build(crn_sqlq *q, crn_acc *acc, const crn_source *src, int dialect,
    bool stream, const uint8_t *exact)
{
	const crn_dataset *ds = acc->ds;
	cairn_err rv = CAIRN_ENOMEM;

	memset(q, 0, sizeof(*q));
	q->dialect = dialect;
	q->stream = stream;
	q->cols = ds->cols;
	q->exact = exact;
	if (src->table == NULL || src->table[0] == '\0') {
		crn_acc_errf(acc, "database source without a table");
		return CAIRN_ECONFIG;
	}
	for (size_t i = 0; i < ds->ncols; i++)
		if (ds->cols[i].type != CRN_COL_CATEGORY &&
		    ds->cols[i].scale > 18) {
			crn_acc_errf(acc, "column %s: scale %u too large",
			    ds->cols[i].name, ds->cols[i].scale);
			return CAIRN_EINVAL;
		}
	if (!stream && dialect == CRN_SQL_SQLITE && sqlite_may_overflow(acc))
		return CAIRN_ENOTSUP;
	if ((q->domparam = crn_zalloc(ds->ncols * sizeof(size_t))) == NULL)
		goto out;
	q->ndomparam = ds->ncols;
	/* Domain values are bound once per column and referenced by number
	 * wherever the column's index is needed. */
	for (size_t i = 0; i < ds->ncols; i++) {
		const crn_column *c = &ds->cols[i];

		if (!acc->used[i] || c->type != CRN_COL_CATEGORY)
			continue;
		for (size_t j = 0; j < c->ndomain; j++) {
			size_t n = sq_param(q, true, 0, c->domain[j]);

			if (j == 0)
				q->domparam[i] = n;
		}
	}
	sq_puts(q, "SELECT ");
	if (stream)
		sq_stream(q, acc, src);
	else
		sq_aggregate(q, acc, src);
	rv = q->oom ? CAIRN_ENOMEM : CAIRN_OK;
out:
	if (rv != CAIRN_OK)
		crn_sqlq_fini(q);
	return rv;
}

cairn_err
crn_sqlq_table(crn_sqlq *q, const char *table)
{
	memset(q, 0, sizeof(*q));
	sq_table(q, table);
	if (q->oom || q->sql == NULL) {
		crn_sqlq_fini(q);
		return CAIRN_ENOMEM;
	}
	return CAIRN_OK;
}

cairn_err
crn_exec_parse_i128(const char *s, __int128 *out)
{
	unsigned __int128 v = 0;
	const unsigned __int128 lim = (unsigned __int128)1 << 126;
	bool neg = false, digits = false;

	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	for (; *s >= '0' && *s <= '9'; s++) {
		if (v >= lim)
			return CAIRN_ERANGE;
		v = v * 10 + (unsigned)(*s - '0');
		digits = true;
	}
	if (*s == '.')
		for (s++; *s == '0'; s++)
			;
	if (*s != '\0' || !digits)
		return CAIRN_EDATA;
	*out = neg ? -(__int128)v : (__int128)v;
	return CAIRN_OK;
}

/* One row of stream mode: rebuild the cells and run the C path. */
static cairn_err
sqlq_stream_row(crn_sqlq *q, crn_acc *acc, const crn_source *src,
    const crn_sqlval *vals, crn_cell *cells)
{
	const crn_dataset *ds = acc->ds;
	size_t k = 0;

	(void)q;
	for (uint32_t i = 0; i < ds->ncols; i++) {
		const crn_column *c = &ds->cols[i];
		const crn_sqlval *v = &vals[k], *bad = &vals[k + 1];
		const char *name = crn_exec_local_name(src, c);
		long idx;

		if (!acc->used[i])
			continue;
		k += 2;
		if (v->null && !c->nullable) {
			crn_acc_errf(acc,
			    "%s: column %s: NULL in a NOT NULL column",
			    src->table, name);
			return CAIRN_EDATA;
		}
		cells[i].null = v->null;
		if (c->type == CRN_COL_CATEGORY) {
			/* Checked here rather than by the flag, so that the
			 * message can name the value. */
			if (v->null)
				continue;
			idx = crn_exec_domain_find(c, v->text, v->textlen);
			if (idx < 0) {
				crn_acc_errf(acc,
				    "%s: column %s: value '%.*s' outside the declared domain",
				    src->table, name,
				    (int)(v->textlen > 64 ? 64 : v->textlen),
				    v->text);
				return CAIRN_EDATA;
			}
			cells[i].cat = (uint32_t)idx;
			continue;
		}
		if (!bad->null && bad->num != 0) {
			crn_acc_errf(acc,
			    "%s: column %s: a value that is not a number with at most %u decimal digits",
			    src->table, name, c->scale);
			return CAIRN_EDATA;
		}
		if (v->null)
			continue;
		if (v->num < INT64_MIN || v->num > INT64_MAX)
			return CAIRN_EDATA;
		cells[i].num = (int64_t)v->num;
	}
	acc->stats.rows_scanned++;
	if (crn_exec_filter(&acc->plan->where, ds, cells) != CRN_TV_TRUE)
		return CAIRN_OK;
	return crn_acc_row(acc, cells, src->table);
}

cairn_err
crn_sqlq_row(
    crn_sqlq *q, crn_acc *acc, const crn_source *src, const crn_sqlval *vals)
{
	const crn_plan *p = acc->plan;
	const crn_dataset *ds = acc->ds;
	uint64_t g = 0;
	size_t k;
	__int128 n;
	cairn_err rv;

	if (q->stream) {
		crn_cell cells[64];
		crn_cell *cp = cells;

		if (ds->ncols > CRN_NELEM(cells) &&
		    (cp = crn_zalloc(ds->ncols * sizeof(*cp))) == NULL)
			return CAIRN_ENOMEM;
		for (size_t i = 0; i < ds->ncols; i++)
			cp[i].null = true;
		rv = sqlq_stream_row(q, acc, src, vals, cp);
		if (cp != cells)
			crn_free(cp, ds->ncols * sizeof(*cp));
		return rv;
	}
	for (size_t i = 0; i < p->nkeys; i++) {
		const crn_groupkey *key = &p->keys[i];
		const crn_column *c = &ds->cols[key->col];
		const crn_sqlval *v = &vals[i];
		uint64_t idx;

		if (v->null) {
			if (!c->nullable) {
				crn_acc_errf(acc,
				    "%s: column %s: NULL group in a NOT NULL column",
				    src->table, crn_exec_local_name(src, c));
				return CAIRN_EDATA;
			}
			idx = (uint64_t)key->card - 1;
		} else if (key->bucket) {
			if (v->num < 0 || v->num > (__int128)key->nbuckets + 1)
				return CAIRN_EINTERNAL;
			idx = (uint64_t)v->num;
		} else {
			long d = crn_exec_domain_find(c, v->text, v->textlen);

			if (d < 0) {
				crn_acc_errf(acc,
				    "%s: column %s: group '%.*s' is outside the declared domain",
				    src->table, crn_exec_local_name(src, c),
				    (int)(v->textlen > 64 ? 64 : v->textlen),
				    v->text);
				return CAIRN_EDATA;
			}
			idx = (uint64_t)d;
		}
		g = g * key->card + idx;
	}
	/* Bad-value counts come last; any one fails the whole run.  Keys
	 * were looked at first so that a group outside the domain is named
	 * by its value. */
	k = q->ncols;
	for (size_t i = ds->ncols; i-- > 0;) {
		const crn_column *c = &ds->cols[i];

		if (!acc->used[i])
			continue;
		k--;
		if (vals[k].null || vals[k].num == 0)
			continue;
		if (c->type == CRN_COL_CATEGORY)
			crn_acc_errf(acc,
			    "%s: column %s: %lld matching rows hold a value outside the declared domain%s",
			    src->table, crn_exec_local_name(src, c),
			    (long long)vals[k].num,
			    c->nullable ? "" : " or NULL");
		else
			crn_acc_errf(acc,
			    "%s: column %s: %lld matching rows hold a value that is not a number with at most %u decimal digits%s",
			    src->table, crn_exec_local_name(src, c),
			    (long long)vals[k].num, c->scale,
			    c->nullable ? "" : ", or NULL");
		return CAIRN_EDATA;
	}
	k = p->nkeys;
	n = vals[k].null ? 0 : vals[k].num;
	if (n < 0 || n > (__int128)INT64_MAX)
		return CAIRN_EINTERNAL;
	if (n == 0)
		return CAIRN_OK; /* an empty ungrouped scan's row */
	acc->stats.rows_scanned += (uint64_t)n;
	if ((rv = crn_acc_matched(acc, (uint64_t)n)) != CAIRN_OK)
		return rv;
	crn_acc_add(acc, g, 0, n);
	k++;
	for (size_t i = 0; i < p->nmeasures; i++) {
		const crn_measure *m = &p->measures[i];
		uint32_t nv = m->need_sumsq ? 4 : 3;

		for (uint32_t j = 0; j < nv; j++)
			if (!vals[k + j].null)
				crn_acc_add(
				    acc, g, 1 + m->offset + j, vals[k + j].num);
		if (!vals[k + nv - 1].null)
			acc->stats.clipped += (uint64_t)vals[k + nv - 1].num;
		k += nv;
	}
	return CAIRN_OK;
}
