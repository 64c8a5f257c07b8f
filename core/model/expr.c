/*
 * expr.c — feature expressions: from libpg_query's tree to a small
 * evaluation tree with interval bounds (see model.h).
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pg_query/pg_query.pb-c.h>

#include "base/crn.h"
#include "model/model_int.h"
#include "query/sql_plan.h"

typedef PgQuery__Node Node;

typedef struct ectx {
	const crn_dataset *ds;
	const char *text; /* the expression, for messages */
	bool *used;
	char *err;
	size_t errlen;
	cairn_err rv;
	int nodes;
} ectx;

static void eerr(ectx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
eerr(ectx *c, const char *fmt, ...)
{
	va_list ap;
	char msg[256];

	if (c->rv != CAIRN_OK)
		return;
	c->rv = CAIRN_ESQL;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (c->err != NULL && c->errlen > 0)
		snprintf(
		    c->err, c->errlen, "expression '%s': %s", c->text, msg);
}

static crn_mexpr *
enew(ectx *c, crn_mop op)
{
	crn_mexpr *e;

	if (++c->nodes > 512) {
		eerr(c, "more than 512 operations");
		return NULL;
	}
	if ((e = crn_zalloc(sizeof(*e))) == NULL) {
		c->rv = CAIRN_ENOMEM;
		return NULL;
	}
	e->op = op;
	return e;
}

void
crn_mexpr_free(crn_mexpr *e)
{
	if (e == NULL)
		return;
	for (size_t i = 0; i < e->nkids; i++)
		crn_mexpr_free(e->kids[i]);
	crn_free(e->kids, e->nkids * sizeof(*e->kids));
	crn_free(e, sizeof(*e));
}

static bool
ekid(ectx *c, crn_mexpr *e, crn_mexpr *k)
{
	crn_mexpr **nk;

	if (k == NULL)
		return false;
	nk = crn_realloc(
	    e->kids, e->nkids * sizeof(*nk), (e->nkids + 1) * sizeof(*nk));
	if (nk == NULL) {
		crn_mexpr_free(k);
		c->rv = CAIRN_ENOMEM;
		return false;
	}
	e->kids = nk;
	e->kids[e->nkids++] = k;
	return true;
}

static const char *
str_of(const Node *n)
{
	if (n == NULL || n->node_case != PG_QUERY__NODE__NODE_STRING ||
	    n->string == NULL)
		return NULL;
	return n->string->sval;
}

static double
pow10d(uint32_t s)
{
	double v = 1.0;

	while (s-- > 0)
		v *= 10.0;
	return v;
}

static crn_mexpr *conv(ectx *c, const Node *n, int depth);

static crn_mexpr *
conv_const(ectx *c, const PgQuery__AConst *k)
{
	crn_mexpr *e;
	char *end = NULL;

	if (k->isnull) {
		eerr(c, "NULL constants are not supported");
		return NULL;
	}
	if (k->val_case == PG_QUERY__A__CONST__VAL_SVAL) {
		if ((e = enew(c, CRN_MOP_STR)) != NULL)
			e->str = k->sval->sval;
		return e;
	}
	if ((e = enew(c, CRN_MOP_CONST)) == NULL)
		return NULL;
	switch (k->val_case) {
	case PG_QUERY__A__CONST__VAL_IVAL: e->v = k->ival->ival; break;
	case PG_QUERY__A__CONST__VAL_FVAL:
		e->v = strtod(k->fval->fval, &end);
		break;
	case PG_QUERY__A__CONST__VAL_BOOLVAL:
		e->v = k->boolval->boolval ? 1 : 0;
		break;
	default:
		eerr(c, "unsupported constant");
		crn_mexpr_free(e);
		return NULL;
	}
	e->lo = e->hi = e->v;
	return e;
}

static crn_mexpr *
conv_col(ectx *c, const PgQuery__ColumnRef *r)
{
	const char *name;
	crn_mexpr *e;

	if (r->n_fields < 1 ||
	    (name = str_of(r->fields[r->n_fields - 1])) == NULL) {
		eerr(c, "unsupported column reference");
		return NULL;
	}
	for (uint32_t i = 0; i < c->ds->ncols; i++) {
		const crn_column *col = &c->ds->cols[i];

		if (strcmp(col->name, name) != 0)
			continue;
		if ((e = enew(c, CRN_MOP_COL)) == NULL)
			return NULL;
		e->col = i;
		c->used[i] = true;
		if (col->type == CRN_COL_CATEGORY) {
			e->cat = true;
			e->lo = 0;
			e->hi = (double)col->ndomain;
			return e;
		}
		e->scale = pow10d(col->scale);
		e->lo = (double)col->lo / e->scale;
		e->hi = (double)col->hi / e->scale;
		return e;
	}
	eerr(c, "no column '%s' in dataset %s", name, c->ds->name);
	return NULL;
}

/* A comparison of a category column with a string constant compares
 * domain indices (the query planner's rule), so both sides must name one
 * value of the domain. */
static bool
cat_fix(ectx *c, crn_mexpr *e)
{
	crn_mexpr *a = e->kids[0], *b = e->kids[1];
	const crn_column *col;
	long idx = -1;

	if (a->op == CRN_MOP_STR && b->op == CRN_MOP_COL) {
		e->kids[0] = b;
		e->kids[1] = a;
		a = e->kids[0];
		b = e->kids[1];
		e->cmp = crn_mop_flip(e->cmp);
	}
	if (a->op == CRN_MOP_STR ||
	    (b->op == CRN_MOP_STR && !(a->op == CRN_MOP_COL && a->cat))) {
		eerr(c, "a text constant compares only with a category column");
		return false;
	}
	if (b->op != CRN_MOP_STR) {
		if ((a->op == CRN_MOP_COL && a->cat) ||
		    (b->op == CRN_MOP_COL && b->cat)) {
			eerr(c,
			    "a category column compares only with one of its values");
			return false;
		}
		return true;
	}
	col = &c->ds->cols[a->col];
	for (size_t i = 0; i < col->ndomain; i++)
		if (strcmp(col->domain[i], b->str) == 0)
			idx = (long)i;
	if (idx < 0) {
		eerr(c, "'%s' is not in the domain of column %s", b->str,
		    col->name);
		return false;
	}
	b->op = CRN_MOP_CONST;
	b->v = b->lo = b->hi = (double)idx;
	return true;
}

static int
op_of(const char *s)
{
	static const struct {
		const char *s;
		int op;
	} t[] = {{"+", CRN_MOP_ADD}, {"-", CRN_MOP_SUB}, {"*", CRN_MOP_MUL},
	    {"/", CRN_MOP_DIV}, {"=", CRN_MOP_EQ}, {"<>", CRN_MOP_NE},
	    {"!=", CRN_MOP_NE}, {"<", CRN_MOP_LT}, {"<=", CRN_MOP_LE},
	    {">", CRN_MOP_GT}, {">=", CRN_MOP_GE}, {"^", CRN_MOP_POW}};

	for (size_t i = 0; i < CRN_NELEM(t); i++)
		if (strcmp(s, t[i].s) == 0)
			return t[i].op;
	return -1;
}

static crn_mexpr *
conv_aexpr(ectx *c, const PgQuery__AExpr *a, int depth)
{
	const char *name = a->n_name == 1 ? str_of(a->name[0]) : NULL;
	int op = name != NULL ? op_of(name) : -1;
	crn_mexpr *e;

	if (a->kind != PG_QUERY__A__EXPR__KIND__AEXPR_OP || op < 0) {
		eerr(c, "operator %s is not supported", name ? name : "?");
		return NULL;
	}
	if (a->lexpr == NULL) {
		if (op != CRN_MOP_SUB && op != CRN_MOP_ADD) {
			eerr(c, "unary %s is not supported", name);
			return NULL;
		}
		if (op == CRN_MOP_ADD)
			return conv(c, a->rexpr, depth + 1);
		if ((e = enew(c, CRN_MOP_NEG)) == NULL)
			return NULL;
		if (!ekid(c, e, conv(c, a->rexpr, depth + 1))) {
			crn_mexpr_free(e);
			return NULL;
		}
		return e;
	}
	if ((e = enew(c,
	         op >= CRN_MOP_EQ && op <= CRN_MOP_GE ? CRN_MOP_CMP
	                                              : (crn_mop)op)) == NULL)
		return NULL;
	e->cmp = (crn_mop)op;
	if (!ekid(c, e, conv(c, a->lexpr, depth + 1)) ||
	    !ekid(c, e, conv(c, a->rexpr, depth + 1)) ||
	    (e->op == CRN_MOP_CMP && !cat_fix(c, e))) {
		crn_mexpr_free(e);
		return NULL;
	}
	return e;
}

static crn_mexpr *
conv_func(ectx *c, const PgQuery__FuncCall *f, int depth)
{
	static const struct {
		const char *s;
		crn_mop op;
		size_t nargs;
	} t[] = {{"ln", CRN_MOP_LN, 1}, {"exp", CRN_MOP_EXP, 1},
	    {"sqrt", CRN_MOP_SQRT, 1}, {"abs", CRN_MOP_ABS, 1},
	    {"power", CRN_MOP_POW, 2}, {"pow", CRN_MOP_POW, 2}};
	const char *name =
	    f->n_funcname > 0 ? str_of(f->funcname[f->n_funcname - 1]) : NULL;
	crn_mexpr *e;

	for (size_t i = 0; name != NULL && i < CRN_NELEM(t); i++) {
		if (strcmp(name, t[i].s) != 0)
			continue;
		if (f->n_args != t[i].nargs || f->agg_star || f->agg_distinct ||
		    f->over != NULL || f->n_agg_order > 0 ||
		    f->agg_filter != NULL) {
			eerr(c, "%s takes %zu argument%s", name, t[i].nargs,
			    t[i].nargs > 1 ? "s" : "");
			return NULL;
		}
		if ((e = enew(c, t[i].op)) == NULL)
			return NULL;
		for (size_t j = 0; j < f->n_args; j++)
			if (!ekid(c, e, conv(c, f->args[j], depth + 1))) {
				crn_mexpr_free(e);
				return NULL;
			}
		return e;
	}
	eerr(c,
	    "function %s is not supported (ln, exp, sqrt, abs, power, least, greatest)",
	    name ? name : "?");
	return NULL;
}

/* LEAST(a, b, ...) and GREATEST(a, b, ...): clipping a term to a range
 * narrower than its column's bounds (what DP's noise is sized from). */
static crn_mexpr *
conv_minmax(ectx *c, const PgQuery__MinMaxExpr *m, int depth)
{
	crn_mexpr *e;

	if (m->n_args < 2 ||
	    (m->op != PG_QUERY__MIN_MAX_OP__IS_LEAST &&
	        m->op != PG_QUERY__MIN_MAX_OP__IS_GREATEST)) {
		eerr(c, "least and greatest take 2 or more arguments");
		return NULL;
	}
	if ((e = enew(c,
	         m->op == PG_QUERY__MIN_MAX_OP__IS_LEAST ? CRN_MOP_LEAST
	                                                 : CRN_MOP_GREATEST)) ==
	    NULL)
		return NULL;
	for (size_t j = 0; j < m->n_args; j++)
		if (!ekid(c, e, conv(c, m->args[j], depth + 1))) {
			crn_mexpr_free(e);
			return NULL;
		}
	return e;
}

static crn_mexpr *
conv_bool(ectx *c, const PgQuery__BoolExpr *b, int depth)
{
	crn_mexpr *e;
	crn_mop op = b->boolop == PG_QUERY__BOOL_EXPR_TYPE__AND_EXPR
	    ? CRN_MOP_AND
	    : b->boolop == PG_QUERY__BOOL_EXPR_TYPE__OR_EXPR ? CRN_MOP_OR
	                                                     : CRN_MOP_NOT;

	if ((e = enew(c, op)) == NULL)
		return NULL;
	for (size_t i = 0; i < b->n_args; i++)
		if (!ekid(c, e, conv(c, b->args[i], depth + 1))) {
			crn_mexpr_free(e);
			return NULL;
		}
	return e;
}

/* CASE WHEN c1 THEN r1 ... ELSE d END: kids are c1, r1, c2, r2, ..., d. */
static crn_mexpr *
conv_case(ectx *c, const PgQuery__CaseExpr *k, int depth)
{
	crn_mexpr *e;

	if (k->arg != NULL) {
		eerr(c, "only searched CASE WHEN cond THEN ... is supported");
		return NULL;
	}
	if (k->defresult == NULL) {
		eerr(c, "CASE needs an ELSE branch");
		return NULL;
	}
	if ((e = enew(c, CRN_MOP_CASE)) == NULL)
		return NULL;
	for (size_t i = 0; i < k->n_args; i++) {
		const Node *w = k->args[i];

		if (w->node_case != PG_QUERY__NODE__NODE_CASE_WHEN ||
		    !ekid(c, e, conv(c, w->case_when->expr, depth + 1)) ||
		    !ekid(c, e, conv(c, w->case_when->result, depth + 1))) {
			crn_mexpr_free(e);
			return NULL;
		}
	}
	if (!ekid(c, e, conv(c, k->defresult, depth + 1))) {
		crn_mexpr_free(e);
		return NULL;
	}
	return e;
}

static crn_mexpr *
conv(ectx *c, const Node *n, int depth)
{
	if (c->rv != CAIRN_OK)
		return NULL;
	if (n == NULL || depth > 64) {
		eerr(c, n == NULL ? "missing operand" : "nested too deeply");
		return NULL;
	}
	switch (n->node_case) {
	case PG_QUERY__NODE__NODE_A_CONST: return conv_const(c, n->a_const);
	case PG_QUERY__NODE__NODE_COLUMN_REF: return conv_col(c, n->column_ref);
	case PG_QUERY__NODE__NODE_A_EXPR:
		return conv_aexpr(c, n->a_expr, depth);
	case PG_QUERY__NODE__NODE_FUNC_CALL:
		return conv_func(c, n->func_call, depth);
	case PG_QUERY__NODE__NODE_BOOL_EXPR:
		return conv_bool(c, n->bool_expr, depth);
	case PG_QUERY__NODE__NODE_CASE_EXPR:
		return conv_case(c, n->case_expr, depth);
	case PG_QUERY__NODE__NODE_MIN_MAX_EXPR:
		return conv_minmax(c, n->min_max_expr, depth);
	default: break;
	}
	eerr(c,
	    "unsupported construct (arithmetic, ln, exp, sqrt, abs, power, least, greatest, comparisons, AND/OR/NOT and CASE WHEN are)");
	return NULL;
}

/* ---- bounds ------------------------------------------------------------- */

static void
mm4(double a, double b, double c, double d, double *lo, double *hi)
{
	*lo = fmin(fmin(a, b), fmin(c, d));
	*hi = fmax(fmax(a, b), fmax(c, d));
}

static int
bound_pow(ectx *c, crn_mexpr *e)
{
	crn_mexpr *a = e->kids[0], *b = e->kids[1];
	double x = b->v, l, h;

	if (b->op != CRN_MOP_CONST) {
		eerr(c, "power needs a constant exponent");
		return -1;
	}
	if (x != floor(x) && a->lo < 0) {
		eerr(c,
		    "power with a fractional exponent of a range [%g, %g] reaching below 0",
		    a->lo, a->hi);
		return -1;
	}
	if (x < 0 && a->lo <= 0 && a->hi >= 0) {
		eerr(c,
		    "power with a negative exponent of a range [%g, %g] holding 0",
		    a->lo, a->hi);
		return -1;
	}
	l = pow(a->lo, x);
	h = pow(a->hi, x);
	e->lo = fmin(l, h);
	e->hi = fmax(l, h);
	if (a->lo < 0 && a->hi > 0 && x > 0)
		e->lo = fmin(e->lo, 0), e->hi = fmax(e->hi, 0);
	if (x == floor(x) && fmod(fabs(x), 2) == 0 && a->lo < 0 && a->hi > 0)
		e->lo = 0;
	return 0;
}

/* Interval of e from its children's; -1 with the reason when underivable. */
static int
bound(ectx *c, crn_mexpr *e)
{
	crn_mexpr *a = e->nkids > 0 ? e->kids[0] : NULL;
	crn_mexpr *b = e->nkids > 1 ? e->kids[1] : NULL;

	for (size_t i = 0; i < e->nkids; i++)
		if (bound(c, e->kids[i]) != 0)
			return -1;
	switch (e->op) {
	case CRN_MOP_CONST:
	case CRN_MOP_COL: break;
	case CRN_MOP_STR:
		eerr(c, "a text constant outside a comparison");
		return -1;
	case CRN_MOP_NEG: e->lo = -a->hi, e->hi = -a->lo; break;
	case CRN_MOP_ADD: e->lo = a->lo + b->lo, e->hi = a->hi + b->hi; break;
	case CRN_MOP_SUB: e->lo = a->lo - b->hi, e->hi = a->hi - b->lo; break;
	case CRN_MOP_MUL:
		mm4(a->lo * b->lo, a->lo * b->hi, a->hi * b->lo, a->hi * b->hi,
		    &e->lo, &e->hi);
		break;
	case CRN_MOP_DIV:
		if (b->lo <= 0 && b->hi >= 0) {
			eerr(c, "division by a range [%g, %g] that holds 0",
			    b->lo, b->hi);
			return -1;
		}
		mm4(a->lo / b->lo, a->lo / b->hi, a->hi / b->lo, a->hi / b->hi,
		    &e->lo, &e->hi);
		break;
	case CRN_MOP_LN:
		if (a->lo <= 0) {
			eerr(c,
			    "ln of a range [%g, %g] that reaches 0 or below",
			    a->lo, a->hi);
			return -1;
		}
		e->lo = log(a->lo), e->hi = log(a->hi);
		break;
	case CRN_MOP_EXP:
		if (a->hi > 700) {
			eerr(c, "exp of a range [%g, %g] past 700", a->lo,
			    a->hi);
			return -1;
		}
		e->lo = exp(a->lo), e->hi = exp(a->hi);
		break;
	case CRN_MOP_SQRT:
		if (a->lo < 0) {
			eerr(c, "sqrt of a range [%g, %g] that reaches below 0",
			    a->lo, a->hi);
			return -1;
		}
		e->lo = sqrt(a->lo), e->hi = sqrt(a->hi);
		break;
	case CRN_MOP_ABS:
		e->hi = fmax(fabs(a->lo), fabs(a->hi));
		e->lo = a->lo <= 0 && a->hi >= 0
		    ? 0
		    : fmin(fabs(a->lo), fabs(a->hi));
		break;
	case CRN_MOP_POW: return bound_pow(c, e);
	case CRN_MOP_CMP:
	case CRN_MOP_AND:
	case CRN_MOP_OR:
	case CRN_MOP_NOT: e->lo = 0, e->hi = 1; break;
	case CRN_MOP_CASE:
		e->lo = INFINITY, e->hi = -INFINITY;
		for (size_t i = 1; i < e->nkids; i += 2) {
			e->lo = fmin(e->lo, e->kids[i]->lo);
			e->hi = fmax(e->hi, e->kids[i]->hi);
		}
		e->lo = fmin(e->lo, e->kids[e->nkids - 1]->lo);
		e->hi = fmax(e->hi, e->kids[e->nkids - 1]->hi);
		break;
	case CRN_MOP_LEAST:
	case CRN_MOP_GREATEST: {
		bool least = e->op == CRN_MOP_LEAST;

		e->lo = a->lo, e->hi = a->hi;
		for (size_t i = 1; i < e->nkids; i++) {
			const crn_mexpr *k = e->kids[i];

			e->lo = least ? fmin(e->lo, k->lo) : fmax(e->lo, k->lo);
			e->hi = least ? fmin(e->hi, k->hi) : fmax(e->hi, k->hi);
		}
		break;
	}
	default: eerr(c, "internal: operation %d", (int)e->op); return -1;
	}
	if (!isfinite(e->lo) || !isfinite(e->hi)) {
		eerr(c, "its range overflows a double");
		return -1;
	}
	return 0;
}

cairn_err
crn_mexpr_compile(const crn_dataset *ds, const char *text, bool *used,
    crn_mexpr **out, char *err, size_t errlen)
{
	PgQuery__ParseResult *tree = NULL;
	const PgQuery__SelectStmt *sel;
	char *sql = NULL, why[200] = "";
	size_t len;
	ectx c = {
	    .ds = ds, .text = text, .used = used, .err = err, .errlen = errlen};
	crn_mexpr *e = NULL;
	cairn_err rv;

	*out = NULL;
	if (text == NULL || text[0] == '\0' ||
	    strlen(text) > CRN_MODEL_EXPR_MAX) {
		eerr(&c, "empty or longer than %d bytes", CRN_MODEL_EXPR_MAX);
		return c.rv;
	}
	len = strlen(text) + 8;
	if ((sql = crn_alloc(len)) == NULL)
		return CAIRN_ENOMEM;
	snprintf(sql, len, "SELECT %s", text);
	if ((rv = crn_sql_parse(sql, &tree, why, sizeof(why))) != CAIRN_OK) {
		char *at = strstr(why, " (at character ");
		long pos;

		/* Positions count from the start of the expression, not of
		 * the "SELECT " put in front of it. */
		if (at != NULL && (pos = strtol(at + 15, NULL, 10)) > 7)
			snprintf(at, sizeof(why) - (size_t)(at - why),
			    " (at character %ld)", pos - 7);
		eerr(&c, "%s", why[0] != '\0' ? why : "syntax error");
		if (rv == CAIRN_ENOMEM)
			c.rv = rv;
		goto out;
	}
	sel =
	    tree->stmts[0]->stmt->node_case == PG_QUERY__NODE__NODE_SELECT_STMT
	    ? tree->stmts[0]->stmt->select_stmt
	    : NULL;
	if (sel == NULL || sel->n_target_list != 1 || sel->n_from_clause ||
	    sel->where_clause || sel->n_group_clause || sel->having_clause ||
	    sel->n_sort_clause || sel->limit_count || sel->limit_offset ||
	    sel->n_distinct_clause || sel->with_clause || sel->larg ||
	    sel->target_list[0]->node_case != PG_QUERY__NODE__NODE_RES_TARGET ||
	    (sel->target_list[0]->res_target->name != NULL &&
	        sel->target_list[0]->res_target->name[0] != '\0')) {
		eerr(&c, "not one scalar expression");
		goto out;
	}
	e = conv(&c, sel->target_list[0]->res_target->val, 0);
	if (e != NULL && bound(&c, e) != 0) {
		crn_mexpr_free(e);
		e = NULL;
	}
	if (e != NULL && c.rv == CAIRN_OK) {
		*out = e;
		e = NULL;
	}
out:
	crn_mexpr_free(e);
	crn_sql_parse_free(tree);
	crn_free(sql, len);
	if (c.rv == CAIRN_OK && *out == NULL)
		c.rv = CAIRN_EINTERNAL;
	return c.rv;
}

/* ---- evaluation -----------------------------------------------------------
 */

static bool
cmp_holds(crn_mop op, double a, double b)
{
	switch (op) {
	case CRN_MOP_EQ: return a == b;
	case CRN_MOP_NE: return a != b;
	case CRN_MOP_LT: return a < b;
	case CRN_MOP_LE: return a <= b;
	case CRN_MOP_GT: return a > b;
	case CRN_MOP_GE: return a >= b;
	default: return false;
	}
}

double
crn_mexpr_eval(const crn_mexpr *e, const crn_dataset *ds, const crn_cell *cells,
    bool *null)
{
	double a = 0, b = 0;
	const crn_cell *v;

	switch (e->op) {
	case CRN_MOP_CONST: return e->v;
	case CRN_MOP_COL:
		v = &cells[e->col];
		if (v->null) {
			*null = true;
			return 0;
		}
		if (e->cat)
			return (double)v->cat;
		a = (double)v->num / e->scale;
		/* Clipped to the declared bounds: the ranges hold. */
		return a < e->lo ? e->lo : a > e->hi ? e->hi : a;
	case CRN_MOP_CASE:
		for (size_t i = 0; i + 1 < e->nkids; i += 2)
			if (crn_mexpr_eval(e->kids[i], ds, cells, null) != 0)
				return crn_mexpr_eval(
				    e->kids[i + 1], ds, cells, null);
		return crn_mexpr_eval(e->kids[e->nkids - 1], ds, cells, null);
	case CRN_MOP_LEAST:
	case CRN_MOP_GREATEST:
		a = crn_mexpr_eval(e->kids[0], ds, cells, null);
		for (size_t i = 1; i < e->nkids; i++) {
			b = crn_mexpr_eval(e->kids[i], ds, cells, null);
			a = e->op == CRN_MOP_LEAST ? fmin(a, b) : fmax(a, b);
		}
		return a;
	default: break;
	}
	if (e->nkids > 0)
		a = crn_mexpr_eval(e->kids[0], ds, cells, null);
	if (e->nkids > 1)
		b = crn_mexpr_eval(e->kids[1], ds, cells, null);
	switch (e->op) {
	case CRN_MOP_NEG: return -a;
	case CRN_MOP_ADD: return a + b;
	case CRN_MOP_SUB: return a - b;
	case CRN_MOP_MUL: return a * b;
	case CRN_MOP_DIV: return a / b;
	case CRN_MOP_LN: return log(a);
	case CRN_MOP_EXP: return exp(a);
	case CRN_MOP_SQRT: return sqrt(a);
	case CRN_MOP_ABS: return fabs(a);
	case CRN_MOP_POW: return pow(a, b);
	case CRN_MOP_CMP: return cmp_holds(e->cmp, a, b) ? 1 : 0;
	case CRN_MOP_AND:
		for (size_t i = 0; i < e->nkids; i++)
			if (crn_mexpr_eval(e->kids[i], ds, cells, null) == 0)
				return 0;
		return 1;
	case CRN_MOP_OR:
		for (size_t i = 0; i < e->nkids; i++)
			if (crn_mexpr_eval(e->kids[i], ds, cells, null) != 0)
				return 1;
		return 0;
	case CRN_MOP_NOT: return a != 0 ? 0 : 1;
	default: return 0;
	}
}

bool
crn_mexpr_is01(const crn_mexpr *e)
{
	switch (e->op) {
	case CRN_MOP_CMP:
	case CRN_MOP_AND:
	case CRN_MOP_OR:
	case CRN_MOP_NOT: return true;
	case CRN_MOP_CONST: return e->v == 0 || e->v == 1;
	case CRN_MOP_COL:
		/* An integer column within [0, 1]: values are clipped to it. */
		return !e->cat && e->scale == 1 && e->lo >= 0 && e->hi <= 1;
	case CRN_MOP_SUB:
		return e->kids[0]->op == CRN_MOP_CONST && e->kids[0]->v == 1 &&
		    crn_mexpr_is01(e->kids[1]);
	case CRN_MOP_CASE:
		for (size_t i = 1; i < e->nkids; i += 2)
			if (!crn_mexpr_is01(e->kids[i]))
				return false;
		return crn_mexpr_is01(e->kids[e->nkids - 1]);
	case CRN_MOP_MUL:
	case CRN_MOP_LEAST:
	case CRN_MOP_GREATEST:
		for (size_t i = 0; i < e->nkids; i++)
			if (!crn_mexpr_is01(e->kids[i]))
				return false;
		return true;
	default: return false;
	}
}

void
crn_mexpr_range(const crn_mexpr *e, double *lo, double *hi)
{
	*lo = e->lo;
	*hi = e->hi;
}

crn_mop
crn_mop_flip(crn_mop op)
{
	switch (op) {
	case CRN_MOP_LT: return CRN_MOP_GT;
	case CRN_MOP_LE: return CRN_MOP_GE;
	case CRN_MOP_GT: return CRN_MOP_LT;
	case CRN_MOP_GE: return CRN_MOP_LE;
	default: return op;
	}
}
