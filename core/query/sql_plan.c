/*
 * sql_plan.c — plan researcher SQL against the federation schema.
 *
 * The text is parsed by PostgreSQL's own grammar (libpg_query) into its
 * protobuf parse tree; this file is the only one that sees that tree.  We
 * walk it and accept a deliberately small language: one dataset, grouping
 * on categories and width_bucket, aggregates whose federated sum is exact
 * (counts, sums, sums of squares), filters comparing a column with
 * constants.  Everything else is refused by name and position, because a
 * query we half-understand could compute something other than what the
 * researcher asked for, or leak what the nodes meant to keep.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <pg_query.h>
#include <pg_query/pg_query.pb-c.h>

#include "base/crn.h"
#include "query/schema.h"
#include "query/sql_plan.h"

#define SQL_MAX_LEN 65536

typedef PgQuery__Node Node;

typedef struct pctx {
	const crn_schema *schema;
	const crn_dataset *d;
	const char *sql;
	const char *alias; /* FROM alias, or NULL */
	PgQuery__SelectStmt *sel;
	crn_plan *p;
	cairn_err rv;
	char *err;
	size_t errlen;
} pctx;

/* A constant from the query, still in its literal form. */
typedef struct sconst {
	enum { K_NUM, K_STR, K_NULL, K_BOOL } kind;
	int64_t mant;
	uint32_t scale;
	const char *str;
	int loc;
} sconst;

static void perr(pctx *c, cairn_err rv, int loc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
perr(pctx *c, cairn_err rv, int loc, const char *fmt, ...)
{
	va_list ap;
	size_t n;

	if (c->rv != CAIRN_OK)
		return; /* the first error is the one to report */
	c->rv = rv;
	if (c->err == NULL || c->errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(c->err, c->errlen, fmt, ap);
	va_end(ap);
	n = strlen(c->err);
	if (loc >= 0 && n < c->errlen)
		snprintf(
		    c->err + n, c->errlen - n, " (at character %d)", loc + 1);
}

static void
nomem(pctx *c)
{
	perr(c, CAIRN_ENOMEM, -1, "out of memory");
}

/* Grow an array whose allocation is exactly n elements by one. */
static void *
grow(pctx *c, void *arr, size_t n, size_t elem)
{
	void *na = crn_realloc(arr, n * elem, (n + 1) * elem);

	if (na == NULL) {
		nomem(c);
		return NULL;
	}
	memset((char *)na + n * elem, 0, elem);
	return na;
}

/* ---- generic parse-tree helpers --------------------------------------- */

/*
 * The first non-negative "location" field in a message or, depth first,
 * in the messages it holds.  protobuf-c descriptors let us do this for
 * every node type without a case per type (JoinExpr and RangeSubselect,
 * for instance, have no location of their own).
 */
static int
msg_loc(const ProtobufCMessage *m, int depth)
{
	const ProtobufCMessageDescriptor *md;
	const ProtobufCFieldDescriptor *f;
	const char *base = (const char *)m;
	unsigned i;
	int r;

	if (m == NULL || depth > 40)
		return -1;
	md = m->descriptor;
	f = protobuf_c_message_descriptor_get_field_by_name(md, "location");
	if (f != NULL && f->type == PROTOBUF_C_TYPE_INT32) {
		int32_t v;

		memcpy(&v, base + f->offset, sizeof(v));
		if (v >= 0)
			return v;
	}
	for (i = 0; i < md->n_fields; i++) {
		f = &md->fields[i];
		if (f->type != PROTOBUF_C_TYPE_MESSAGE)
			continue;
		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			const ProtobufCMessage *const *arr;
			size_t n, j;

			memcpy(&n, base + f->quantifier_offset, sizeof(n));
			memcpy(&arr, base + f->offset, sizeof(arr));
			for (j = 0; j < n; j++)
				if ((r = msg_loc(arr[j], depth + 1)) >= 0)
					return r;
		} else {
			const ProtobufCMessage *sub;

			if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
				uint32_t which;

				memcpy(&which, base + f->quantifier_offset,
				    sizeof(which));
				if (which != f->id)
					continue;
			}
			memcpy(&sub, base + f->offset, sizeof(sub));
			if ((r = msg_loc(sub, depth + 1)) >= 0)
				return r;
		}
	}
	return -1;
}

static int
node_loc(const Node *n)
{
	return msg_loc((const ProtobufCMessage *)n, 0);
}

/* A readable name for a node type in error messages. */
static const char *
node_name(const Node *n)
{
	const ProtobufCFieldDescriptor *f;

	if (n == NULL)
		return "empty expression";
	switch (n->node_case) {
	case PG_QUERY__NODE__NODE_SUB_LINK: return "a subquery";
	case PG_QUERY__NODE__NODE_RANGE_SUBSELECT: return "a subquery in FROM";
	case PG_QUERY__NODE__NODE_JOIN_EXPR: return "JOIN";
	case PG_QUERY__NODE__NODE_CASE_EXPR: return "CASE";
	case PG_QUERY__NODE__NODE_TYPE_CAST: return "a type cast";
	case PG_QUERY__NODE__NODE_PARAM_REF: return "a query parameter";
	case PG_QUERY__NODE__NODE_COALESCE_EXPR: return "COALESCE";
	case PG_QUERY__NODE__NODE_ROW_EXPR: return "a row constructor";
	case PG_QUERY__NODE__NODE_A_ARRAY_EXPR: return "an array";
	case PG_QUERY__NODE__NODE_COLLATE_CLAUSE: return "COLLATE";
	case PG_QUERY__NODE__NODE_A_INDIRECTION:
		return "a subscript or field selection";
	case PG_QUERY__NODE__NODE_SQLVALUE_FUNCTION:
		return "a special function";
	case PG_QUERY__NODE__NODE_RANGE_FUNCTION: return "a function in FROM";
	case PG_QUERY__NODE__NODE_GROUPING_SET:
		return "ROLLUP, CUBE or GROUPING SETS";
	case PG_QUERY__NODE__NODE_A_CONST: return "a constant";
	case PG_QUERY__NODE__NODE_COLUMN_REF: return "a column";
	case PG_QUERY__NODE__NODE_FUNC_CALL: return "a function call";
	case PG_QUERY__NODE__NODE_A_EXPR: return "an operator expression";
	case PG_QUERY__NODE__NODE_BOOL_EXPR: return "a boolean expression";
	default: break;
	}
	f = protobuf_c_message_descriptor_get_field(
	    &pg_query__node__descriptor, (unsigned)n->node_case);
	return f != NULL ? f->name : "an unknown construct";
}

/* protobuf-c gives "" for an absent string; we want NULL. */
static const char *
nonempty(const char *s)
{
	return s != NULL && s[0] != '\0' ? s : NULL;
}

static const char *
str_of(const Node *n)
{
	if (n == NULL || n->node_case != PG_QUERY__NODE__NODE_STRING ||
	    n->string == NULL)
		return NULL;
	return n->string->sval;
}

/*
 * Position of keyword kw (lower case) as a whole word outside quotes and
 * comments, for constructs whose parse nodes carry no location.
 */
static int
word_char(char ch)
{
	char l = (char)(ch | 0x20);

	return ch == '_' || (l >= 'a' && l <= 'z') || (ch >= '0' && ch <= '9');
}

static int
kw_loc(const char *sql, const char *kw)
{
	size_t k = strlen(kw), i = 0, j;
	char q = 0;

	while (sql[i] != '\0') {
		char ch = sql[i];

		if (q != 0) {
			if (ch == q)
				q = 0;
			i++;
			continue;
		}
		if (ch == '\'' || ch == '"') {
			q = ch;
			i++;
			continue;
		}
		if (ch == '-' && sql[i + 1] == '-') {
			while (sql[i] != '\0' && sql[i] != '\n')
				i++;
			continue;
		}
		if (i == 0 || !word_char(sql[i - 1])) {
			for (j = 0; j < k; j++)
				if (sql[i + j] == '\0' ||
				    (char)(sql[i + j] | 0x20) != kw[j])
					break;
			if (j == k && !word_char(sql[i + k]))
				return (int)i;
		}
		i++;
	}
	return -1;
}

/* ---- constants -------------------------------------------------------- */

/* 0 and *k filled if n is a literal; -1 (error set) if it is not. */
static int
get_const(pctx *c, const Node *n, sconst *k, const char *where)
{
	const PgQuery__AConst *a;
	cairn_err rv;

	memset(k, 0, sizeof(*k));
	if (n == NULL || n->node_case != PG_QUERY__NODE__NODE_A_CONST ||
	    n->a_const == NULL) {
		perr(c, CAIRN_ESQL, node_loc(n),
		    "%s is not supported %s; only constants are",
		    node_name(n), where);
		return -1;
	}
	a = n->a_const;
	k->loc = a->location;
	if (a->isnull) {
		k->kind = K_NULL;
		return 0;
	}
	switch (a->val_case) {
	case PG_QUERY__A__CONST__VAL_IVAL:
		k->kind = K_NUM;
		k->mant = a->ival != NULL ? a->ival->ival : 0;
		return 0;
	case PG_QUERY__A__CONST__VAL_FVAL:
		k->kind = K_NUM;
		rv = crn_decimal_parse(
		    a->fval != NULL ? a->fval->fval : "", &k->mant, &k->scale);
		if (rv != CAIRN_OK) {
			perr(c, CAIRN_ESQL, k->loc,
			    "numeric constant '%s' is %s",
			    a->fval != NULL ? a->fval->fval : "",
			    rv == CAIRN_ERANGE ? "out of range"
			                       : "not a plain decimal");
			return -1;
		}
		return 0;
	case PG_QUERY__A__CONST__VAL_SVAL:
		k->kind = K_STR;
		k->str = a->sval != NULL ? a->sval->sval : "";
		return 0;
	case PG_QUERY__A__CONST__VAL_BOOLVAL:
		k->kind = K_BOOL;
		k->mant = a->boolval != NULL && a->boolval->boolval;
		return 0;
	default:
		perr(c, CAIRN_ESQL, k->loc,
		    "this kind of constant is not supported");
		return -1;
	}
}

static int
is_const(const Node *n)
{
	return n != NULL && n->node_case == PG_QUERY__NODE__NODE_A_CONST;
}

/* Compare two exact decimals: <0, 0, >0. */
static int
dec_cmp(int64_t a, uint32_t as, int64_t b, uint32_t bs)
{
	__int128 x = a, y = b;

	for (; as < bs; as++)
		x *= 10;
	for (; bs < as; bs++)
		y *= 10;
	return x < y ? -1 : x > y;
}

/* ---- columns ---------------------------------------------------------- */

/* Resolve a column reference to an index in the dataset; -1 on error. */
static long
colref(pctx *c, const Node *n)
{
	const PgQuery__ColumnRef *cr = n->column_ref;
	const char *name, *qual;
	long i;

	if (cr == NULL || cr->n_fields == 0 || cr->n_fields > 2) {
		perr(c, CAIRN_ESQL, node_loc(n),
		    "qualified name is not supported");
		return -1;
	}
	name = str_of(cr->fields[cr->n_fields - 1]);
	if (name == NULL) {
		perr(c, CAIRN_ESQL, cr->location,
		    "* returns individual rows; only aggregates can be selected");
		return -1;
	}
	if (cr->n_fields == 2) {
		qual = str_of(cr->fields[0]);
		if (qual == NULL ||
		    (strcmp(qual, c->d->name) != 0 &&
		        (c->alias == NULL || strcmp(qual, c->alias) != 0)) ||
		    (c->alias != NULL && strcmp(qual, c->d->name) == 0 &&
		        strcmp(qual, c->alias) != 0)) {
			perr(c, CAIRN_ESQL, cr->location,
			    "table '%s' is not in FROM",
			    qual != NULL ? qual : "?");
			return -1;
		}
	}
	i = crn_dataset_column(c->d, name);
	if (i < 0) {
		perr(c, CAIRN_ESQL, cr->location,
		    "column '%s' does not exist in dataset '%s'",
		    name, c->d->name);
		return -1;
	}
	return i;
}

static int
is_colref(const Node *n)
{
	return n != NULL && n->node_case == PG_QUERY__NODE__NODE_COLUMN_REF;
}

/* Last component of a function name ("pg_catalog.count" -> "count"). */
static const char *
func_name(const PgQuery__FuncCall *f)
{
	const char *name;

	if (f->n_funcname == 0)
		return "";
	name = str_of(f->funcname[f->n_funcname - 1]);
	if (name == NULL)
		return "";
	if (f->n_funcname == 2) {
		const char *s = str_of(f->funcname[0]);

		if (s == NULL || strcmp(s, "pg_catalog") != 0)
			return ""; /* user schemas: unknown */
	} else if (f->n_funcname > 2) {
		return "";
	}
	return name;
}

static int
is_func(const Node *n, const char *name)
{
	return n != NULL && n->node_case == PG_QUERY__NODE__NODE_FUNC_CALL &&
	    n->func_call != NULL && strcmp(func_name(n->func_call), name) == 0;
}

/* ---- aggregates and outputs ------------------------------------------- */

static const struct {
	const char *name;
	crn_aggfn fn;
} aggs[] = {
    {"count", CRN_AGG_COUNT},
    {"sum", CRN_AGG_SUM},
    {"avg", CRN_AGG_AVG},
    {"var_samp", CRN_AGG_VAR_SAMP},
    {"variance", CRN_AGG_VAR_SAMP},
    {"var_pop", CRN_AGG_VAR_POP},
    {"stddev_samp", CRN_AGG_STDDEV_SAMP},
    {"stddev", CRN_AGG_STDDEV_SAMP},
    {"stddev_pop", CRN_AGG_STDDEV_POP},
};

const char *
crn_aggfn_name(crn_aggfn fn)
{
	switch (fn) {
	case CRN_AGG_COUNT_STAR:
	case CRN_AGG_COUNT: return "count";
	case CRN_AGG_SUM: return "sum";
	case CRN_AGG_AVG: return "avg";
	case CRN_AGG_VAR_SAMP: return "var_samp";
	case CRN_AGG_VAR_POP: return "var_pop";
	case CRN_AGG_STDDEV_SAMP: return "stddev_samp";
	case CRN_AGG_STDDEV_POP: return "stddev_pop";
	}
	return "?";
}

static int
is_agg(const Node *n)
{
	const char *name;
	size_t i;

	if (n == NULL || n->node_case != PG_QUERY__NODE__NODE_FUNC_CALL ||
	    n->func_call == NULL)
		return 0;
	name = func_name(n->func_call);
	for (i = 0; i < CRN_NELEM(aggs); i++)
		if (strcmp(name, aggs[i].name) == 0)
			return 1;
	return 0;
}

/* Does an expression tree contain an aggregate call? (for messages) */
static int
refuse_funcall_extras(pctx *c, const PgQuery__FuncCall *f)
{
	if (f->over != NULL) {
		perr(c, CAIRN_ESQL,
		    f->over->location >= 0 ? f->over->location : f->location,
		    "window functions (OVER) are not supported");
		return -1;
	}
	if (f->agg_distinct) {
		perr(c, CAIRN_ESQL, f->location,
		    "DISTINCT inside an aggregate is not supported");
		return -1;
	}
	if (f->agg_filter != NULL) {
		perr(c, CAIRN_ESQL, node_loc(f->agg_filter),
		    "FILTER on an aggregate is not supported; use WHERE");
		return -1;
	}
	if (f->n_agg_order > 0 || f->agg_within_group) {
		perr(c, CAIRN_ESQL, f->location,
		    "ORDER BY inside an aggregate is not supported");
		return -1;
	}
	if (f->func_variadic) {
		perr(c, CAIRN_ESQL, f->location, "VARIADIC is not supported");
		return -1;
	}
	return 0;
}

static int
find_measure(pctx *c, uint32_t col, int sumsq)
{
	crn_plan *p = c->p;
	crn_measure *nm;
	size_t i;

	for (i = 0; i < p->nmeasures; i++) {
		if (p->measures[i].col == col) {
			if (sumsq)
				p->measures[i].need_sumsq = true;
			return (int)i;
		}
	}
	if ((nm = grow(c, p->measures, p->nmeasures, sizeof(crn_measure))) ==
	    NULL)
		return -1;
	p->measures = nm;
	nm[p->nmeasures].col = col;
	nm[p->nmeasures].need_sumsq = sumsq != 0;
	return (int)p->nmeasures++;
}

static int
add_output(pctx *c, const crn_output *o, const char *name, uint32_t *idx)
{
	crn_plan *p = c->p;
	crn_output *no;
	size_t i;

	/* Output names travel in the plan and end up in tables, CSV and
	 * logs: keep them short and printable (the plan codec insists). */
	for (i = 0; name[i] != '\0'; i++) {
		if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f ||
		    i >= 255) {
			perr(c, CAIRN_ESQL, -1,
			    "output name '%.40s...' is too long or has control characters",
			    i >= 255 ? name : "");
			return -1;
		}
	}

	if (p->noutputs >= CRN_PLAN_MAX_OUTPUTS) {
		perr(c, CAIRN_ESQL, -1, "more than %u output columns",
		    CRN_PLAN_MAX_OUTPUTS);
		return -1;
	}
	if ((no = grow(c, p->outputs, p->noutputs, sizeof(crn_output))) == NULL)
		return -1;
	p->outputs = no;
	no[p->noutputs] = *o;
	if ((no[p->noutputs].name = crn_strdup(name)) == NULL) {
		nomem(c);
		return -1;
	}
	*idx = (uint32_t)p->noutputs++;
	return 0;
}

/*
 * Turn an aggregate call into an output.  When `hidden`, an existing
 * output computing the same thing is reused (HAVING / ORDER BY); the
 * select list always gets its own column.
 */
static int
agg_output(pctx *c, const Node *n, const char *alias, int hidden, uint32_t *idx)
{
	const PgQuery__FuncCall *f = n->func_call;
	const char *name = func_name(f);
	crn_output o;
	const crn_column *col;
	long ci;
	size_t i;
	int m;

	memset(&o, 0, sizeof(o));
	if (refuse_funcall_extras(c, f) != 0)
		return -1;
	for (i = 0; i < CRN_NELEM(aggs); i++)
		if (strcmp(name, aggs[i].name) == 0)
			o.fn = aggs[i].fn;
	if (f->agg_star) {
		if (o.fn != CRN_AGG_COUNT) {
			perr(c, CAIRN_ESQL, f->location,
			    "%s(*) is not supported",
			    name);
			return -1;
		}
		o.fn = CRN_AGG_COUNT_STAR;
	} else {
		if (f->n_args != 1) {
			perr(c, CAIRN_ESQL, f->location,
			    "%s() takes one column",
			    name);
			return -1;
		}
		if (!is_colref(f->args[0])) {
			perr(c, CAIRN_ESQL, node_loc(f->args[0]),
			    "%s inside an aggregate is not supported; aggregate a column",
			    node_name(f->args[0]));
			return -1;
		}
		if ((ci = colref(c, f->args[0])) < 0)
			return -1;
		col = &c->d->cols[ci];
		if (col->type == CRN_COL_CATEGORY) {
			if (o.fn == CRN_AGG_COUNT && !col->nullable) {
				/* Never NULL, so the same as count(*). */
				o.fn = CRN_AGG_COUNT_STAR;
			} else {
				perr(c, CAIRN_ESQL, f->location,
				    "%s() of category column '%s' is not supported",
				    name, col->name);
				return -1;
			}
		} else {
			m = find_measure(
			    c, (uint32_t)ci, o.fn >= CRN_AGG_VAR_SAMP);
			if (m < 0)
				return -1;
			o.measure = (uint32_t)m;
		}
	}
	if (hidden) {
		for (i = 0; i < c->p->noutputs; i++) {
			const crn_output *e = &c->p->outputs[i];

			if (!e->is_key && e->fn == o.fn &&
			    (o.fn == CRN_AGG_COUNT_STAR ||
			        e->measure == o.measure)) {
				*idx = (uint32_t)i;
				return 0;
			}
		}
	}
	o.hidden = hidden != 0;
	return add_output(c, &o, alias != NULL ? alias : name, idx);
}

/* ---- group keys ------------------------------------------------------- */

/* Parse width_bucket(col, lo, hi, n) into k (not yet added). */
static int
parse_bucket(pctx *c, const Node *n, crn_groupkey *k)
{
	const PgQuery__FuncCall *f = n->func_call;
	const crn_column *col;
	sconst lo, hi, nb;
	long ci;
	int exact;

	memset(k, 0, sizeof(*k));
	if (refuse_funcall_extras(c, f) != 0)
		return -1;
	if (f->n_args != 4 || f->agg_star) {
		perr(c, CAIRN_ESQL, f->location,
		    "width_bucket takes (column, low, high, count)");
		return -1;
	}
	if (!is_colref(f->args[0])) {
		perr(c, CAIRN_ESQL, node_loc(f->args[0]),
		    "width_bucket's first argument must be a column");
		return -1;
	}
	if ((ci = colref(c, f->args[0])) < 0)
		return -1;
	col = &c->d->cols[ci];
	if (col->type == CRN_COL_CATEGORY) {
		perr(c, CAIRN_ESQL, f->location,
		    "width_bucket of category column '%s'",
		    col->name);
		return -1;
	}
	if (get_const(c, f->args[1], &lo, "in width_bucket") != 0 ||
	    get_const(c, f->args[2], &hi, "in width_bucket") != 0 ||
	    get_const(c, f->args[3], &nb, "in width_bucket") != 0)
		return -1;
	if (lo.kind != K_NUM || hi.kind != K_NUM) {
		perr(c, CAIRN_ESQL, lo.kind != K_NUM ? lo.loc : hi.loc,
		    "width_bucket bounds must be numbers");
		return -1;
	}
	if (nb.kind != K_NUM || nb.scale != 0 || nb.mant < 1 ||
	    nb.mant > CRN_PLAN_MAX_BUCKETS) {
		perr(c, CAIRN_ESQL, nb.loc,
		    "width_bucket count must be an integer from 1 to %u",
		    CRN_PLAN_MAX_BUCKETS);
		return -1;
	}
	if (crn_decimal_rescale(
	        lo.mant, lo.scale, col->scale, 0, &k->lo, &exact) != CAIRN_OK ||
	    !exact) {
		perr(c, CAIRN_ESQL, lo.loc,
		    "width_bucket bound has more decimals than column '%s' or is out of range",
		    col->name);
		return -1;
	}
	if (crn_decimal_rescale(
	        hi.mant, hi.scale, col->scale, 0, &k->hi, &exact) != CAIRN_OK ||
	    !exact) {
		perr(c, CAIRN_ESQL, hi.loc,
		    "width_bucket bound has more decimals than column '%s' or is out of range",
		    col->name);
		return -1;
	}
	if (k->lo >= k->hi) {
		perr(c, CAIRN_ESQL, lo.loc, "width_bucket needs low < high");
		return -1;
	}
	k->col = (uint32_t)ci;
	k->bucket = true;
	k->nbuckets = (uint32_t)nb.mant;
	return 0;
}

/*
 * The group key an expression denotes.  Returns 0 and *key when found (or
 * created, when `create`); 1 when the expression is not a key; -1 on error.
 */
static int
key_of(pctx *c, const Node *n, int create, uint32_t *key)
{
	crn_plan *p = c->p;
	crn_groupkey k, *nk;
	long ci;
	size_t i;

	memset(&k, 0, sizeof(k));
	if (is_colref(n)) {
		if ((ci = colref(c, n)) < 0)
			return -1;
		k.col = (uint32_t)ci;
	} else if (is_func(n, "width_bucket")) {
		if (parse_bucket(c, n, &k) != 0)
			return -1;
	} else {
		return 1;
	}
	for (i = 0; i < p->nkeys; i++) {
		const crn_groupkey *e = &p->keys[i];

		if (e->col == k.col && e->bucket == k.bucket &&
		    (!k.bucket ||
		        (e->lo == k.lo && e->hi == k.hi &&
		            e->nbuckets == k.nbuckets))) {
			*key = (uint32_t)i;
			return 0;
		}
	}
	if (!create)
		return 1;
	if (!k.bucket && c->d->cols[k.col].type != CRN_COL_CATEGORY) {
		perr(c, CAIRN_ESQL, node_loc(n),
		    "GROUP BY numeric column '%s' would reveal individual values; group by width_bucket(%s, low, high, count)",
		    c->d->cols[k.col].name, c->d->cols[k.col].name);
		return -1;
	}
	if ((nk = grow(c, p->keys, p->nkeys, sizeof(crn_groupkey))) == NULL)
		return -1;
	p->keys = nk;
	nk[p->nkeys] = k;
	*key = (uint32_t)p->nkeys++;
	return 0;
}

/* The select-list expression a GROUP BY / ORDER BY item refers to by
 * position or output name, or NULL. */
static const Node *
target_by_position(pctx *c, const Node *n, int *bad)
{
	sconst k;
	size_t nt = c->sel->n_target_list;

	*bad = 0;
	if (!is_const(n))
		return NULL;
	if (get_const(c, n, &k, "here") != 0) {
		*bad = 1;
		return NULL;
	}
	if (k.kind != K_NUM || k.scale != 0 || k.mant < 1 ||
	    (uint64_t)k.mant > nt) {
		perr(c, CAIRN_ESQL, k.loc,
		    "position is not in the select list");
		*bad = 1;
		return NULL;
	}
	return c->sel->target_list[k.mant - 1]->res_target->val;
}

static int
group_by(pctx *c)
{
	PgQuery__SelectStmt *s = c->sel;
	size_t i, j;
	uint32_t key;

	for (i = 0; i < s->n_group_clause; i++) {
		const Node *n = s->group_clause[i];
		const Node *t;
		int bad, r;

		if ((t = target_by_position(c, n, &bad)) != NULL)
			n = t;
		else if (bad)
			return -1;
		else if (is_colref(n) && n->column_ref->n_fields == 1) {
			/* PostgreSQL resolves a bare name to an input
			 * column first, then to an output alias. */
			const char *nm = str_of(n->column_ref->fields[0]);

			if (nm != NULL && crn_dataset_column(c->d, nm) < 0) {
				for (j = 0; j < s->n_target_list; j++) {
					const PgQuery__ResTarget *rt =
					    s->target_list[j]->res_target;

					if (nonempty(rt->name) != NULL &&
					    strcmp(rt->name, nm) == 0) {
						n = rt->val;
						break;
					}
				}
			}
		}
		r = key_of(c, n, 1, &key);
		if (r < 0)
			return -1;
		if (r > 0) {
			if (is_agg(n))
				perr(c, CAIRN_ESQL, node_loc(n),
				    "aggregates are not allowed in GROUP BY");
			else if (n != NULL &&
			    n->node_case == PG_QUERY__NODE__NODE_FUNC_CALL)
				perr(c, CAIRN_ESQL, node_loc(n),
				    "function '%s' is not supported",
				    func_name(n->func_call));
			else
				perr(c, CAIRN_ESQL, node_loc(n),
				    "%s is not supported in GROUP BY",
				    node_name(n));
			return -1;
		}
	}
	return 0;
}

/* ---- the select list -------------------------------------------------- */

static int
select_list(pctx *c)
{
	PgQuery__SelectStmt *s = c->sel;
	size_t i;

	if (s->n_target_list == 0) {
		perr(c, CAIRN_ESQL, kw_loc(c->sql, "select"),
		    "the select list is empty");
		return -1;
	}
	for (i = 0; i < s->n_target_list; i++) {
		const PgQuery__ResTarget *rt;
		const Node *v;
		crn_output o;
		uint32_t idx, key;
		int r;

		if (s->target_list[i]->node_case !=
		        PG_QUERY__NODE__NODE_RES_TARGET ||
		    (rt = s->target_list[i]->res_target) == NULL) {
			perr(c, CAIRN_ESQL, node_loc(s->target_list[i]),
			    "unexpected select item");
			return -1;
		}
		v = rt->val;
		if (is_agg(v)) {
			if (agg_output(c, v, nonempty(rt->name), 0, &idx) != 0)
				return -1;
			continue;
		}
		if (is_colref(v) && v->column_ref->n_fields >= 1 &&
		    str_of(
		        v->column_ref->fields[v->column_ref->n_fields - 1]) ==
		        NULL) {
			perr(c, CAIRN_ESQL, rt->location,
			    "SELECT * returns individual rows; only aggregates and GROUP BY keys can be selected");
			return -1;
		}
		r = key_of(c, v, 0, &key);
		if (r < 0)
			return -1;
		if (r > 0) {
			if (is_colref(v))
				perr(c, CAIRN_ESQL, node_loc(v),
				    "column '%s' must appear in GROUP BY or be used in an aggregate",
				    c->d->cols[colref(c, v)].name);
			else if (v != NULL &&
			    v->node_case == PG_QUERY__NODE__NODE_FUNC_CALL &&
			    !is_func(v, "width_bucket"))
				perr(c, CAIRN_ESQL, node_loc(v),
				    "function '%s' is not supported",
				    func_name(v->func_call));
			else if (is_func(v, "width_bucket"))
				perr(c, CAIRN_ESQL, node_loc(v),
				    "this width_bucket must appear in GROUP BY");
			else
				perr(c, CAIRN_ESQL, node_loc(v),
				    "%s is not supported in the select list; select aggregates and GROUP BY keys",
				    node_name(v));
			return -1;
		}
		memset(&o, 0, sizeof(o));
		o.is_key = true;
		o.key = key;
		if (add_output(c, &o,
		        nonempty(rt->name) != NULL ? rt->name
		            : is_colref(v)
		            ? c->d->cols[c->p->keys[key].col].name
		            : "width_bucket",
		        &idx) != 0)
			return -1;
	}
	return 0;
}

/* ---- WHERE ------------------------------------------------------------ */

static crn_value *
new_vals(pctx *c, size_t n)
{
	crn_value *v = crn_zalloc(n * sizeof(crn_value));

	if (v == NULL)
		nomem(c);
	return v;
}

/* A predicate that is FALSE for every non-NULL value and NULL for NULL,
 * exactly like comparing with a constant the column can never equal. */
static int
never(pctx *c, uint32_t col, crn_expr *e)
{
	e->kind = CRN_EX_BETWEEN;
	e->col = col;
	if ((e->vals = new_vals(c, 2)) == NULL)
		return -1;
	e->nvals = 2;
	e->vals[0].num = 1;
	e->vals[1].num = 0;
	return 0;
}

static int
wrap_not(pctx *c, crn_expr *e)
{
	crn_expr *kid = crn_alloc(sizeof(*kid));

	if (kid == NULL) {
		nomem(c);
		return -1;
	}
	*kid = *e;
	memset(e, 0, sizeof(*e));
	e->kind = CRN_EX_NOT;
	e->kids = kid;
	e->nkids = 1;
	return 0;
}

static int
parse_op(const char *op, crn_cmpop *out)
{
	static const struct {
		const char *s;
		crn_cmpop op;
	} ops[] = {
	    {"=", CRN_OP_EQ},
	    {"<>", CRN_OP_NE},
	    {"!=", CRN_OP_NE},
	    {"<", CRN_OP_LT},
	    {"<=", CRN_OP_LE},
	    {">", CRN_OP_GT},
	    {">=", CRN_OP_GE},
	};
	size_t i;

	for (i = 0; op != NULL && i < CRN_NELEM(ops); i++) {
		if (strcmp(op, ops[i].s) == 0) {
			*out = ops[i].op;
			return 0;
		}
	}
	return -1;
}

static crn_cmpop
flip_op(crn_cmpop op)
{
	switch (op) {
	case CRN_OP_LT: return CRN_OP_GT;
	case CRN_OP_LE: return CRN_OP_GE;
	case CRN_OP_GT: return CRN_OP_LT;
	case CRN_OP_GE: return CRN_OP_LE;
	default: return op;
	}
}

static const char *
aexpr_op(const PgQuery__AExpr *a)
{
	if (a->n_name == 0)
		return NULL;
	return str_of(a->name[a->n_name - 1]);
}

/*
 * Convert a literal for comparison with column col.  Numbers are rescaled
 * to the column's scale rounding down (ceil_round 0) or up; *exact tells
 * whether that lost anything.  Categories become domain indices.
 */
static int
conv_const(pctx *c, uint32_t ci, const sconst *k, int ceil_round, crn_value *v,
    int *exact)
{
	const crn_column *col = &c->d->cols[ci];
	long idx;

	*exact = 1;
	memset(v, 0, sizeof(*v));
	if (k->kind == K_NULL) {
		perr(c, CAIRN_ESQL, k->loc,
		    "comparison with NULL is never true; use IS NULL or IS NOT NULL");
		return -1;
	}
	if (col->type == CRN_COL_CATEGORY) {
		if (k->kind != K_STR) {
			perr(c, CAIRN_ESQL, k->loc,
			    "category column '%s' is compared with a string",
			    col->name);
			return -1;
		}
		if ((idx = crn_column_category(col, k->str)) < 0) {
			perr(c, CAIRN_ESQL, k->loc,
			    "'%s' is not in the domain of column '%s'",
			    k->str, col->name);
			return -1;
		}
		v->cat = (uint32_t)idx;
		return 0;
	}
	if (k->kind != K_NUM) {
		perr(c, CAIRN_ESQL, k->loc,
		    "numeric column '%s' is compared with a %s",
		    col->name, k->kind == K_STR ? "string" : "boolean");
		return -1;
	}
	if (crn_decimal_rescale(k->mant, k->scale, col->scale, ceil_round,
	        &v->num, exact) != CAIRN_OK) {
		perr(c, CAIRN_ESQL, k->loc,
		    "constant is out of range for column '%s'",
		    col->name);
		return -1;
	}
	return 0;
}

static int where_expr(pctx *c, const Node *n, crn_expr *e, int depth);

static int
where_cmp(pctx *c, const PgQuery__AExpr *a, crn_expr *e)
{
	const Node *cn, *kn;
	crn_cmpop op;
	sconst k;
	long ci;
	int exact, ceil_round;
	const char *ops = aexpr_op(a);

	if (parse_op(ops, &op) != 0) {
		perr(c, CAIRN_ESQL, a->location,
		    "operator '%s' is not supported",
		    ops != NULL ? ops : "?");
		return -1;
	}
	if (a->lexpr == NULL || a->rexpr == NULL) {
		perr(c, CAIRN_ESQL, a->location,
		    "operator '%s' needs two operands",
		    ops);
		return -1;
	}
	if (is_colref(a->lexpr) && !is_colref(a->rexpr)) {
		cn = a->lexpr;
		kn = a->rexpr;
	} else if (is_colref(a->rexpr) && !is_colref(a->lexpr)) {
		cn = a->rexpr;
		kn = a->lexpr;
		op = flip_op(op);
	} else if (is_colref(a->lexpr)) {
		perr(c, CAIRN_ESQL, a->location,
		    "comparison between two columns is not supported; compare a column with a constant");
		return -1;
	} else {
		const Node *bad = is_const(a->lexpr) ? a->rexpr : a->lexpr;

		if (is_agg(bad))
			perr(c, CAIRN_ESQL, node_loc(bad),
			    "aggregates are not allowed in WHERE; use HAVING");
		else
			perr(c, CAIRN_ESQL, node_loc(bad),
			    "%s is not supported in WHERE; compare a column with a constant",
			    node_name(bad));
		return -1;
	}
	if ((ci = colref(c, cn)) < 0)
		return -1;
	if (is_agg(kn)) {
		perr(c, CAIRN_ESQL, node_loc(kn),
		    "aggregates are not allowed in WHERE; use HAVING");
		return -1;
	}
	if (get_const(c, kn, &k, "in WHERE") != 0)
		return -1;
	if (c->d->cols[ci].type == CRN_COL_CATEGORY && op != CRN_OP_EQ &&
	    op != CRN_OP_NE) {
		perr(c, CAIRN_ESQL, a->location,
		    "category column '%s' can only be compared with = or <>",
		    c->d->cols[ci].name);
		return -1;
	}
	/* x < c  <=>  x < ceil(c);   x <= c  <=>  x <= floor(c);
	 * x > c  <=>  x > floor(c);  x >= c  <=>  x >= ceil(c)
	 * for integer x (scaled units) and any real c. */
	ceil_round = op == CRN_OP_LT || op == CRN_OP_GE;
	e->kind = CRN_EX_CMP;
	e->op = op;
	e->col = (uint32_t)ci;
	if ((e->vals = new_vals(c, 1)) == NULL)
		return -1;
	e->nvals = 1;
	if (conv_const(c, (uint32_t)ci, &k, ceil_round, &e->vals[0], &exact) !=
	    0)
		return -1;
	if (!exact && (op == CRN_OP_EQ || op == CRN_OP_NE)) {
		/* The column can never hold c exactly. */
		crn_expr_fini(e);
		if (never(c, (uint32_t)ci, e) != 0)
			return -1;
		if (op == CRN_OP_NE)
			return wrap_not(c, e);
	}
	return 0;
}

static int
where_in(pctx *c, const PgQuery__AExpr *a, crn_expr *e)
{
	const char *ops = aexpr_op(a);
	const PgQuery__List *l;
	long ci;
	size_t i;
	int neg;

	if (ops == NULL || (strcmp(ops, "=") != 0 && strcmp(ops, "<>") != 0)) {
		perr(c, CAIRN_ESQL, a->location,
		    "this IN form is not supported");
		return -1;
	}
	neg = ops[0] == '<';
	if (!is_colref(a->lexpr)) {
		perr(c, CAIRN_ESQL, node_loc(a->lexpr),
		    "%s is not supported before IN; use a column",
		    node_name(a->lexpr));
		return -1;
	}
	if (a->rexpr == NULL ||
	    a->rexpr->node_case != PG_QUERY__NODE__NODE_LIST ||
	    (l = a->rexpr->list) == NULL || l->n_items == 0) {
		perr(c, CAIRN_ESQL,
		    a->rexpr != NULL ? node_loc(a->rexpr) : a->location,
		    "IN needs a list of constants");
		return -1;
	}
	if ((ci = colref(c, a->lexpr)) < 0)
		return -1;
	e->kind = CRN_EX_IN;
	e->col = (uint32_t)ci;
	if ((e->vals = new_vals(c, l->n_items)) == NULL)
		return -1;
	for (i = 0; i < l->n_items; i++) {
		sconst k;
		crn_value v;
		int exact;

		if (get_const(c, l->items[i], &k, "in an IN list") != 0)
			return -1;
		if (k.kind == K_NULL) {
			perr(c, CAIRN_ESQL, k.loc,
			    "NULL in an IN list is not supported");
			return -1;
		}
		if (conv_const(c, (uint32_t)ci, &k, 0, &v, &exact) != 0)
			return -1;
		if (exact) /* values the column cannot hold never match */
			e->vals[e->nvals++] = v;
	}
	if (e->nvals == 0) {
		crn_expr_fini(e);
		if (never(c, (uint32_t)ci, e) != 0)
			return -1;
	}
	return neg ? wrap_not(c, e) : 0;
}

static int
where_between(pctx *c, const PgQuery__AExpr *a, crn_expr *e)
{
	const PgQuery__List *l;
	sconst lo, hi;
	long ci;
	int neg, sym, exact;

	neg = a->kind == PG_QUERY__A__EXPR__KIND__AEXPR_NOT_BETWEEN ||
	    a->kind == PG_QUERY__A__EXPR__KIND__AEXPR_NOT_BETWEEN_SYM;
	sym = a->kind == PG_QUERY__A__EXPR__KIND__AEXPR_BETWEEN_SYM ||
	    a->kind == PG_QUERY__A__EXPR__KIND__AEXPR_NOT_BETWEEN_SYM;
	if (!is_colref(a->lexpr)) {
		perr(c, CAIRN_ESQL, node_loc(a->lexpr),
		    "%s is not supported before BETWEEN; use a column",
		    node_name(a->lexpr));
		return -1;
	}
	if (a->rexpr == NULL ||
	    a->rexpr->node_case != PG_QUERY__NODE__NODE_LIST ||
	    (l = a->rexpr->list) == NULL || l->n_items != 2) {
		perr(c, CAIRN_ESQL, a->location,
		    "BETWEEN needs two constants");
		return -1;
	}
	if ((ci = colref(c, a->lexpr)) < 0)
		return -1;
	if (c->d->cols[ci].type == CRN_COL_CATEGORY) {
		perr(c, CAIRN_ESQL, a->location,
		    "BETWEEN on category column '%s' is not supported",
		    c->d->cols[ci].name);
		return -1;
	}
	if (get_const(c, l->items[0], &lo, "in BETWEEN") != 0 ||
	    get_const(c, l->items[1], &hi, "in BETWEEN") != 0)
		return -1;
	if (sym && lo.kind == K_NUM && hi.kind == K_NUM &&
	    dec_cmp(lo.mant, lo.scale, hi.mant, hi.scale) > 0) {
		sconst t = lo;

		lo = hi;
		hi = t;
	}
	e->kind = CRN_EX_BETWEEN;
	e->col = (uint32_t)ci;
	if ((e->vals = new_vals(c, 2)) == NULL)
		return -1;
	e->nvals = 2;
	/* lo <= x <=> ceil(lo) <= x;  x <= hi <=> x <= floor(hi). */
	if (conv_const(c, (uint32_t)ci, &lo, 1, &e->vals[0], &exact) != 0 ||
	    conv_const(c, (uint32_t)ci, &hi, 0, &e->vals[1], &exact) != 0)
		return -1;
	return neg ? wrap_not(c, e) : 0;
}

static int
where_bool(pctx *c, const PgQuery__BoolExpr *b, crn_expr *e, int depth)
{
	size_t i;

	switch (b->boolop) {
	case PG_QUERY__BOOL_EXPR_TYPE__AND_EXPR: e->kind = CRN_EX_AND; break;
	case PG_QUERY__BOOL_EXPR_TYPE__OR_EXPR: e->kind = CRN_EX_OR; break;
	case PG_QUERY__BOOL_EXPR_TYPE__NOT_EXPR: e->kind = CRN_EX_NOT; break;
	default:
		perr(c, CAIRN_ESQL, b->location, "unknown boolean operator");
		return -1;
	}
	if (b->n_args == 0 || (e->kind == CRN_EX_NOT && b->n_args != 1)) {
		perr(c, CAIRN_ESQL, b->location,
		    "malformed boolean expression");
		return -1;
	}
	if ((e->kids = crn_zalloc(b->n_args * sizeof(crn_expr))) == NULL) {
		nomem(c);
		return -1;
	}
	e->nkids = b->n_args;
	for (i = 0; i < b->n_args; i++)
		if (where_expr(c, b->args[i], &e->kids[i], depth + 1) != 0)
			return -1;
	return 0;
}

static int
where_expr(pctx *c, const Node *n, crn_expr *e, int depth)
{
	memset(e, 0, sizeof(*e));
	if (depth > CRN_PLAN_MAX_EXPR_DEPTH) {
		perr(c, CAIRN_ESQL, node_loc(n),
		    "WHERE is nested too deeply");
		return -1;
	}
	if (n == NULL) {
		perr(c, CAIRN_ESQL, -1, "empty expression");
		return -1;
	}
	switch (n->node_case) {
	case PG_QUERY__NODE__NODE_BOOL_EXPR:
		return where_bool(c, n->bool_expr, e, depth);
	case PG_QUERY__NODE__NODE_NULL_TEST: {
		const PgQuery__NullTest *t = n->null_test;
		long ci;

		if (!is_colref(t->arg)) {
			perr(c, CAIRN_ESQL, node_loc(t->arg),
			    "%s is not supported before IS NULL; use a column",
			    node_name(t->arg));
			return -1;
		}
		if ((ci = colref(c, t->arg)) < 0)
			return -1;
		e->kind =
		    t->nulltesttype == PG_QUERY__NULL_TEST_TYPE__IS_NOT_NULL
		    ? CRN_EX_NOTNULL
		    : CRN_EX_ISNULL;
		e->col = (uint32_t)ci;
		return 0;
	}
	case PG_QUERY__NODE__NODE_A_EXPR: {
		const PgQuery__AExpr *a = n->a_expr;

		switch (a->kind) {
		case PG_QUERY__A__EXPR__KIND__AEXPR_OP:
			return where_cmp(c, a, e);
		case PG_QUERY__A__EXPR__KIND__AEXPR_IN:
			return where_in(c, a, e);
		case PG_QUERY__A__EXPR__KIND__AEXPR_BETWEEN:
		case PG_QUERY__A__EXPR__KIND__AEXPR_NOT_BETWEEN:
		case PG_QUERY__A__EXPR__KIND__AEXPR_BETWEEN_SYM:
		case PG_QUERY__A__EXPR__KIND__AEXPR_NOT_BETWEEN_SYM:
			return where_between(c, a, e);
		case PG_QUERY__A__EXPR__KIND__AEXPR_LIKE:
		case PG_QUERY__A__EXPR__KIND__AEXPR_ILIKE:
			perr(c, CAIRN_ESQL, a->location,
			    "LIKE is not supported; compare categories with = or IN");
			return -1;
		default:
			perr(c, CAIRN_ESQL, a->location,
			    "this operator form is not supported");
			return -1;
		}
	}
	case PG_QUERY__NODE__NODE_FUNC_CALL:
		if (is_agg(n))
			perr(c, CAIRN_ESQL, node_loc(n),
			    "aggregates are not allowed in WHERE; use HAVING");
		else
			perr(c, CAIRN_ESQL, node_loc(n),
			    "function '%s' is not supported",
			    func_name(n->func_call));
		return -1;
	default:
		perr(c, CAIRN_ESQL, node_loc(n),
		    "%s is not supported in WHERE",
		    node_name(n));
		return -1;
	}
}

/* ---- HAVING ----------------------------------------------------------- */

static int
having_operand(pctx *c, const Node *n, uint32_t *out)
{
	if (is_agg(n))
		return agg_output(c, n, NULL, 1, out);
	if (is_colref(n))
		perr(c, CAIRN_ESQL, node_loc(n),
		    "HAVING may only compare aggregates with constants; filter columns in WHERE");
	else
		perr(c, CAIRN_ESQL, node_loc(n),
		    "%s is not supported in HAVING",
		    node_name(n));
	return -1;
}

static int
having_const(pctx *c, const Node *n, crn_value *v)
{
	sconst k;

	if (get_const(c, n, &k, "in HAVING") != 0)
		return -1;
	if (k.kind != K_NUM) {
		perr(c, CAIRN_ESQL, k.loc,
		    "HAVING compares aggregates with numbers only");
		return -1;
	}
	v->num = k.mant;
	v->scale = k.scale;
	return 0;
}

static int having_expr(pctx *c, const Node *n, crn_expr *e, int depth);

static int
having_aexpr(pctx *c, const PgQuery__AExpr *a, crn_expr *e)
{
	const PgQuery__List *l;
	const char *ops = aexpr_op(a);
	size_t i;
	int neg = 0;

	switch (a->kind) {
	case PG_QUERY__A__EXPR__KIND__AEXPR_OP:
		if (parse_op(ops, &e->op) != 0 || a->lexpr == NULL ||
		    a->rexpr == NULL) {
			perr(c, CAIRN_ESQL, a->location,
			    "operator '%s' is not supported",
			    ops != NULL ? ops : "?");
			return -1;
		}
		e->kind = CRN_EX_CMP;
		if ((e->vals = new_vals(c, 1)) == NULL)
			return -1;
		e->nvals = 1;
		if (is_const(a->lexpr)) {
			e->op = flip_op(e->op);
			return having_operand(c, a->rexpr, &e->col) != 0 ||
			        having_const(c, a->lexpr, &e->vals[0]) != 0
			    ? -1
			    : 0;
		}
		return having_operand(c, a->lexpr, &e->col) != 0 ||
		        having_const(c, a->rexpr, &e->vals[0]) != 0
		    ? -1
		    : 0;
	case PG_QUERY__A__EXPR__KIND__AEXPR_IN:
		if (ops == NULL ||
		    (strcmp(ops, "=") != 0 && strcmp(ops, "<>") != 0))
			break;
		neg = ops[0] == '<';
		if (a->rexpr == NULL ||
		    a->rexpr->node_case != PG_QUERY__NODE__NODE_LIST ||
		    (l = a->rexpr->list) == NULL || l->n_items == 0)
			break;
		e->kind = CRN_EX_IN;
		if (having_operand(c, a->lexpr, &e->col) != 0)
			return -1;
		if ((e->vals = new_vals(c, l->n_items)) == NULL)
			return -1;
		e->nvals = l->n_items;
		for (i = 0; i < l->n_items; i++)
			if (having_const(c, l->items[i], &e->vals[i]) != 0)
				return -1;
		return neg ? wrap_not(c, e) : 0;
	case PG_QUERY__A__EXPR__KIND__AEXPR_BETWEEN:
	case PG_QUERY__A__EXPR__KIND__AEXPR_NOT_BETWEEN:
	case PG_QUERY__A__EXPR__KIND__AEXPR_BETWEEN_SYM:
	case PG_QUERY__A__EXPR__KIND__AEXPR_NOT_BETWEEN_SYM:
		if (a->rexpr == NULL ||
		    a->rexpr->node_case != PG_QUERY__NODE__NODE_LIST ||
		    (l = a->rexpr->list) == NULL || l->n_items != 2)
			break;
		e->kind = CRN_EX_BETWEEN;
		if (having_operand(c, a->lexpr, &e->col) != 0)
			return -1;
		if ((e->vals = new_vals(c, 2)) == NULL)
			return -1;
		e->nvals = 2;
		if (having_const(c, l->items[0], &e->vals[0]) != 0 ||
		    having_const(c, l->items[1], &e->vals[1]) != 0)
			return -1;
		if ((a->kind == PG_QUERY__A__EXPR__KIND__AEXPR_BETWEEN_SYM ||
		        a->kind ==
		            PG_QUERY__A__EXPR__KIND__AEXPR_NOT_BETWEEN_SYM) &&
		    dec_cmp(e->vals[0].num, e->vals[0].scale, e->vals[1].num,
		        e->vals[1].scale) > 0) {
			crn_value t = e->vals[0];

			e->vals[0] = e->vals[1];
			e->vals[1] = t;
		}
		if (a->kind == PG_QUERY__A__EXPR__KIND__AEXPR_NOT_BETWEEN ||
		    a->kind == PG_QUERY__A__EXPR__KIND__AEXPR_NOT_BETWEEN_SYM)
			return wrap_not(c, e);
		return 0;
	default: break;
	}
	perr(c, CAIRN_ESQL, a->location,
	    "this operator form is not supported in HAVING");
	return -1;
}

static int
having_expr(pctx *c, const Node *n, crn_expr *e, int depth)
{
	size_t i;

	memset(e, 0, sizeof(*e));
	if (depth > CRN_PLAN_MAX_EXPR_DEPTH) {
		perr(c, CAIRN_ESQL, node_loc(n),
		    "HAVING is nested too deeply");
		return -1;
	}
	if (n == NULL) {
		perr(c, CAIRN_ESQL, -1, "empty expression");
		return -1;
	}
	switch (n->node_case) {
	case PG_QUERY__NODE__NODE_BOOL_EXPR: {
		const PgQuery__BoolExpr *b = n->bool_expr;

		e->kind = b->boolop == PG_QUERY__BOOL_EXPR_TYPE__AND_EXPR
		    ? CRN_EX_AND
		    : b->boolop == PG_QUERY__BOOL_EXPR_TYPE__OR_EXPR
		    ? CRN_EX_OR
		    : CRN_EX_NOT;
		if (b->n_args == 0 ||
		    (e->kind == CRN_EX_NOT && b->n_args != 1)) {
			perr(c, CAIRN_ESQL, b->location,
			    "malformed boolean expression");
			return -1;
		}
		if ((e->kids = crn_zalloc(b->n_args * sizeof(crn_expr))) ==
		    NULL) {
			nomem(c);
			return -1;
		}
		e->nkids = b->n_args;
		for (i = 0; i < b->n_args; i++)
			if (having_expr(
			        c, b->args[i], &e->kids[i], depth + 1) != 0)
				return -1;
		return 0;
	}
	case PG_QUERY__NODE__NODE_NULL_TEST:
		e->kind = n->null_test->nulltesttype ==
		        PG_QUERY__NULL_TEST_TYPE__IS_NOT_NULL
		    ? CRN_EX_NOTNULL
		    : CRN_EX_ISNULL;
		return having_operand(c, n->null_test->arg, &e->col);
	case PG_QUERY__NODE__NODE_A_EXPR: return having_aexpr(c, n->a_expr, e);
	default:
		perr(c, CAIRN_ESQL, node_loc(n),
		    "%s is not supported in HAVING",
		    node_name(n));
		return -1;
	}
}

/* ---- ORDER BY and LIMIT ----------------------------------------------- */

static int
order_item(pctx *c, const PgQuery__SortBy *sb, uint32_t *out)
{
	const Node *n = sb->node;
	crn_plan *p = c->p;
	size_t i, vis = 0;
	uint32_t key;
	int bad, r;

	if (is_const(n)) {
		sconst k;

		if (get_const(c, n, &k, "in ORDER BY") != 0)
			return -1;
		if (k.kind == K_NUM && k.scale == 0 && k.mant >= 1) {
			for (i = 0; i < p->noutputs; i++) {
				if (p->outputs[i].hidden)
					continue;
				if (++vis == (uint64_t)k.mant) {
					*out = (uint32_t)i;
					return 0;
				}
			}
		}
		perr(c, CAIRN_ESQL, k.loc,
		    "ORDER BY position is not in the select list");
		return -1;
	}
	(void)bad;
	if (is_colref(n) && n->column_ref->n_fields == 1) {
		const char *nm = str_of(n->column_ref->fields[0]);

		/* An output name (alias) wins over an input column, as in
		 * PostgreSQL. */
		for (i = 0; nm != NULL && i < p->noutputs; i++) {
			if (!p->outputs[i].hidden &&
			    strcmp(p->outputs[i].name, nm) == 0) {
				*out = (uint32_t)i;
				return 0;
			}
		}
	}
	if (is_agg(n))
		return agg_output(c, n, NULL, 1, out);
	r = key_of(c, n, 0, &key);
	if (r < 0)
		return -1;
	if (r == 0) {
		crn_output o;

		for (i = 0; i < p->noutputs; i++) {
			if (p->outputs[i].is_key && p->outputs[i].key == key) {
				*out = (uint32_t)i;
				return 0;
			}
		}
		memset(&o, 0, sizeof(o));
		o.is_key = true;
		o.key = key;
		o.hidden = true;
		return add_output(
		    c, &o, c->d->cols[p->keys[key].col].name, out);
	}
	if (is_colref(n))
		perr(c, CAIRN_ESQL, node_loc(n),
		    "ORDER BY column '%s' must be a GROUP BY key or an output name",
		    c->d->cols[colref(c, n)].name);
	else
		perr(c, CAIRN_ESQL, node_loc(n),
		    "%s is not supported in ORDER BY",
		    node_name(n));
	return -1;
}

static int
order_by(pctx *c)
{
	PgQuery__SelectStmt *s = c->sel;
	crn_plan *p = c->p;
	size_t i;

	if (s->n_sort_clause == 0)
		return 0;
	if ((p->order = crn_zalloc(s->n_sort_clause * sizeof(crn_order))) ==
	    NULL) {
		nomem(c);
		return -1;
	}
	p->norder = s->n_sort_clause;
	for (i = 0; i < s->n_sort_clause; i++) {
		const Node *n = s->sort_clause[i];
		const PgQuery__SortBy *sb;

		if (n->node_case != PG_QUERY__NODE__NODE_SORT_BY ||
		    (sb = n->sort_by) == NULL) {
			perr(c, CAIRN_ESQL, node_loc(n),
			    "unexpected ORDER BY item");
			return -1;
		}
		if (sb->sortby_dir == PG_QUERY__SORT_BY_DIR__SORTBY_USING) {
			perr(c, CAIRN_ESQL, sb->location,
			    "ORDER BY ... USING is not supported");
			return -1;
		}
		if (sb->sortby_nulls ==
		        PG_QUERY__SORT_BY_NULLS__SORTBY_NULLS_FIRST ||
		    sb->sortby_nulls ==
		        PG_QUERY__SORT_BY_NULLS__SORTBY_NULLS_LAST) {
			perr(c, CAIRN_ESQL, sb->location,
			    "NULLS FIRST/LAST is not supported");
			return -1;
		}
		if (order_item(c, sb, &p->order[i].output) != 0)
			return -1;
		p->order[i].desc =
		    sb->sortby_dir == PG_QUERY__SORT_BY_DIR__SORTBY_DESC;
	}
	return 0;
}

static int
limit(pctx *c)
{
	PgQuery__SelectStmt *s = c->sel;
	sconst k;

	c->p->limit = -1;
	if (s->limit_offset != NULL) {
		perr(c, CAIRN_ESQL,
		    kw_loc(c->sql, "offset") >= 0 ? kw_loc(c->sql, "offset")
		                                  : node_loc(s->limit_offset),
		    "OFFSET is not supported");
		return -1;
	}
	if (s->limit_option == PG_QUERY__LIMIT_OPTION__LIMIT_OPTION_WITH_TIES) {
		perr(c, CAIRN_ESQL, kw_loc(c->sql, "ties"),
		    "WITH TIES is not supported");
		return -1;
	}
	if (s->limit_count == NULL)
		return 0;
	if (get_const(c, s->limit_count, &k, "in LIMIT") != 0)
		return -1;
	if (k.kind == K_NULL)
		return 0; /* LIMIT ALL / LIMIT NULL */
	if (k.kind != K_NUM || k.scale != 0 || k.mant < 0) {
		perr(c, CAIRN_ESQL, k.loc,
		    "LIMIT must be a non-negative integer");
		return -1;
	}
	c->p->limit = k.mant;
	return 0;
}

/* ---- the statement ---------------------------------------------------- */

static int
from_clause(pctx *c)
{
	PgQuery__SelectStmt *s = c->sel;
	const PgQuery__RangeVar *rv;
	const Node *n;

	if (s->n_from_clause == 0) {
		perr(c, CAIRN_ESQL, -1,
		    "a FROM clause naming one dataset is required");
		return -1;
	}
	if (s->n_from_clause > 1) {
		perr(c, CAIRN_ESQL, node_loc(s->from_clause[1]),
		    "joins are not supported; query one dataset");
		return -1;
	}
	n = s->from_clause[0];
	if (n->node_case == PG_QUERY__NODE__NODE_JOIN_EXPR) {
		int loc = kw_loc(c->sql, "join");

		perr(c, CAIRN_ESQL, loc >= 0 ? loc : node_loc(n),
		    "JOIN is not supported; query one dataset");
		return -1;
	}
	if (n->node_case != PG_QUERY__NODE__NODE_RANGE_VAR ||
	    (rv = n->range_var) == NULL) {
		perr(c, CAIRN_ESQL, node_loc(n),
		    "%s is not supported; FROM names one dataset",
		    node_name(n));
		return -1;
	}
	if ((rv->schemaname != NULL && rv->schemaname[0] != '\0') ||
	    (rv->catalogname != NULL && rv->catalogname[0] != '\0')) {
		perr(c, CAIRN_ESQL, rv->location,
		    "schema-qualified names are not supported");
		return -1;
	}
	if (!rv->inh) {
		perr(c, CAIRN_ESQL, rv->location, "ONLY is not supported");
		return -1;
	}
	c->d = crn_schema_dataset(c->schema, rv->relname);
	if (c->d == NULL) {
		perr(c, CAIRN_ESQL, rv->location,
		    "dataset '%s' is not in the federation schema",
		    rv->relname != NULL ? rv->relname : "");
		return -1;
	}
	if (rv->alias != NULL) {
		if (rv->alias->n_colnames > 0) {
			perr(c, CAIRN_ESQL, rv->location,
			    "column aliases in FROM are not supported");
			return -1;
		}
		c->alias = nonempty(rv->alias->aliasname);
	}
	return 0;
}

/* Refuse statement-level constructs before looking at the parts. */
static int
statement_shape(pctx *c)
{
	PgQuery__SelectStmt *s = c->sel;
	int loc;

	if (s->op != PG_QUERY__SET_OPERATION__SETOP_NONE) {
		const char *kw = s->op == PG_QUERY__SET_OPERATION__SETOP_UNION
		    ? "union"
		    : s->op == PG_QUERY__SET_OPERATION__SETOP_INTERSECT
		    ? "intersect"
		    : "except";

		perr(c, CAIRN_ESQL, kw_loc(c->sql, kw),
		    "UNION, INTERSECT and EXCEPT are not supported");
		return -1;
	}
	if (s->with_clause != NULL) {
		perr(c, CAIRN_ESQL, s->with_clause->location,
		    "WITH is not supported");
		return -1;
	}
	if (s->n_values_lists > 0) {
		perr(c, CAIRN_ESQL, kw_loc(c->sql, "values"),
		    "VALUES is not supported");
		return -1;
	}
	if (s->into_clause != NULL) {
		perr(c, CAIRN_ESQL, kw_loc(c->sql, "into"),
		    "SELECT INTO is not supported");
		return -1;
	}
	if (s->n_distinct_clause > 0) {
		perr(c, CAIRN_ESQL, kw_loc(c->sql, "distinct"),
		    "DISTINCT is not supported; use GROUP BY");
		return -1;
	}
	if (s->group_distinct) {
		perr(c, CAIRN_ESQL, kw_loc(c->sql, "distinct"),
		    "GROUP BY DISTINCT is not supported");
		return -1;
	}
	if (s->n_window_clause > 0) {
		loc = kw_loc(c->sql, "window");
		perr(c, CAIRN_ESQL,
		    loc >= 0 ? loc : node_loc(s->window_clause[0]),
		    "WINDOW is not supported");
		return -1;
	}
	if (s->n_locking_clause > 0) {
		perr(c, CAIRN_ESQL, kw_loc(c->sql, "for"),
		    "locking clauses are not supported");
		return -1;
	}
	return 0;
}

static int
plan_select(pctx *c)
{
	crn_plan *p = c->p;
	size_t i;

	if (statement_shape(c) != 0 || from_clause(c) != 0)
		return -1;
	if ((p->dataset = crn_strdup(c->d->name)) == NULL) {
		nomem(c);
		return -1;
	}
	if (group_by(c) != 0 || select_list(c) != 0)
		return -1;
	if (c->sel->where_clause != NULL &&
	    where_expr(c, c->sel->where_clause, &p->where, 0) != 0)
		return -1;
	if (c->sel->having_clause != NULL) {
		if ((p->having = crn_zalloc(sizeof(crn_expr))) == NULL) {
			nomem(c);
			return -1;
		}
		if (having_expr(c, c->sel->having_clause, p->having, 0) != 0)
			return -1;
	}
	if (order_by(c) != 0 || limit(c) != 0)
		return -1;
	/* The plan carries the dataset's column definitions so nodes and
	 * the decoder need nothing else to interpret it. */
	if ((p->cols = crn_zalloc(c->d->ncols * sizeof(crn_column))) == NULL) {
		nomem(c);
		return -1;
	}
	for (i = 0; i < c->d->ncols; i++) {
		if (crn_column_copy(&p->cols[i], &c->d->cols[i]) != CAIRN_OK) {
			nomem(c);
			return -1;
		}
		p->ncols++;
	}
	p->max_rows = c->d->max_rows;
	p->max_nodes = c->schema->max_nodes;
	p->min_cell = c->schema->min_cell;
	return 0;
}

/* ---- layout and ring width -------------------------------------------- */

cairn_err
crn_plan_layout(crn_plan *p)
{
	uint64_t ngroups = 1, dim;
	uint32_t per = 1;
	size_t i;

	for (i = 0; i < p->nkeys; i++) {
		crn_groupkey *k = &p->keys[i];
		const crn_column *col;
		uint64_t card;

		if (k->col >= p->ncols)
			return CAIRN_EINVAL;
		col = &p->cols[k->col];
		if (k->bucket) {
			if (col->type == CRN_COL_CATEGORY || k->nbuckets == 0 ||
			    k->nbuckets > CRN_PLAN_MAX_BUCKETS ||
			    k->lo >= k->hi ||
			    /* executors compute hi - lo in 64 bits */
			    (__int128)k->hi - k->lo > (__int128)INT64_MAX)
				return CAIRN_EINVAL;
			card = (uint64_t)k->nbuckets + 2;
		} else {
			if (col->type != CRN_COL_CATEGORY)
				return CAIRN_EINVAL;
			card = col->ndomain;
		}
		if (col->nullable)
			card++;
		if (card == 0 || card > CRN_PLAN_MAX_GROUPS)
			return CAIRN_ETOOBIG;
		k->card = (uint32_t)card;
		ngroups *= card;
		if (ngroups > CRN_PLAN_MAX_GROUPS)
			return CAIRN_ETOOBIG;
	}
	for (i = 0; i < p->nmeasures; i++) {
		crn_measure *m = &p->measures[i];

		if (m->col >= p->ncols ||
		    p->cols[m->col].type == CRN_COL_CATEGORY)
			return CAIRN_EINVAL;
		m->offset = per - 1;
		per += m->need_sumsq ? 4 : 3;
		if (per > CRN_PLAN_MAX_DIM)
			return CAIRN_ETOOBIG;
	}
	dim = ngroups * per;
	if (dim > CRN_PLAN_MAX_DIM)
		return CAIRN_ETOOBIG;
	p->ngroups = ngroups;
	p->per_group = per;
	p->dim = dim;
	return CAIRN_OK;
}

cairn_err
crn_plan_ring_bits(const crn_plan *p, uint32_t *bits)
{
	unsigned __int128 rows, bound, mag, sq;
	size_t i;

	*bits = 0;
	if (p->max_rows == 0 || p->max_nodes == 0)
		return CAIRN_EINVAL;
	rows = (unsigned __int128)p->max_rows * p->max_nodes;
	bound = rows; /* counts and clip counts */
	for (i = 0; i < p->nmeasures; i++) {
		const crn_column *col;
		unsigned __int128 lo, hi, t;

		if (p->measures[i].col >= p->ncols)
			return CAIRN_EINVAL;
		col = &p->cols[p->measures[i].col];
		lo = col->lo < 0 ? (unsigned __int128)0 -
		        (unsigned __int128)(__int128)col->lo
		                 : (unsigned __int128)col->lo;
		hi = col->hi < 0 ? (unsigned __int128)0 -
		        (unsigned __int128)(__int128)col->hi
		                 : (unsigned __int128)col->hi;
		mag = lo > hi ? lo : hi;
		if (__builtin_mul_overflow(mag, rows, &t))
			return CAIRN_ERANGE;
		if (t > bound)
			bound = t;
		if (p->measures[i].need_sumsq) {
			if (__builtin_mul_overflow(mag, mag, &sq) ||
			    __builtin_mul_overflow(sq, rows, &t))
				return CAIRN_ERANGE;
			if (t > bound)
				bound = t;
		}
	}
	/* Every true sum s satisfies |s| <= bound; it must stay below
	 * 2^(bits-1) so that two's complement decoding is unambiguous. */
	if (bound < ((unsigned __int128)1 << 31))
		*bits = 32;
	else if (bound < ((unsigned __int128)1 << 63))
		*bits = 64;
	else if (bound < ((unsigned __int128)1 << 127))
		*bits = 128;
	else
		return CAIRN_ERANGE;
	return CAIRN_OK;
}

/* ---- parse-tree depth -------------------------------------------------- */

/* Deeper parse trees are refused before protobuf-c sees them. */
#define SQL_MAX_TREE_DEPTH 600

static int
pb_varint(const uint8_t *b, size_t end, size_t *pos, uint64_t *out)
{
	uint64_t v = 0;
	unsigned shift = 0;

	while (*pos < end && shift < 64) {
		uint8_t c = b[(*pos)++];

		v |= (uint64_t)(c & 0x7f) << shift;
		if ((c & 0x80) == 0) {
			*out = v;
			return 1;
		}
		shift += 7;
	}
	return 0;
}

/*
 * protobuf-c unpacks (and frees) nested messages recursively, and
 * PostgreSQL's grammar nests without bound ("NOT NOT NOT ...",
 * "1+1+1+...").  Walk the wire bytes with an explicit stack, using the
 * descriptors to tell submessages from strings, and refuse trees deeper
 * than SQL_MAX_TREE_DEPTH (far beyond anything the planner accepts).
 */
static int
tree_depth_ok(const uint8_t *buf, size_t len)
{
	struct {
		const ProtobufCMessageDescriptor *d;
		size_t end;
	} st[SQL_MAX_TREE_DEPTH];
	size_t sp = 0, pos = 0;

	st[0].d = &pg_query__parse_result__descriptor;
	st[0].end = len;
	for (;;) {
		const ProtobufCFieldDescriptor *f;
		uint64_t key, v;

		if (pos == st[sp].end) {
			if (sp == 0)
				return 1;
			sp--;
			continue;
		}
		if (!pb_varint(buf, st[sp].end, &pos, &key))
			return 0;
		switch (key & 7) {
		case 0:
			if (!pb_varint(buf, st[sp].end, &pos, &v))
				return 0;
			break;
		case 1:
		case 5:
			v = (key & 7) == 1 ? 8 : 4;
			if (v > st[sp].end - pos)
				return 0;
			pos += v;
			break;
		case 2:
			if (!pb_varint(buf, st[sp].end, &pos, &v) ||
			    v > st[sp].end - pos)
				return 0;
			f = protobuf_c_message_descriptor_get_field(
			    st[sp].d, (unsigned)(key >> 3));
			if (f != NULL && f->type == PROTOBUF_C_TYPE_MESSAGE) {
				if (sp + 1 >= SQL_MAX_TREE_DEPTH)
					return 0;
				sp++;
				st[sp].d = f->descriptor;
				st[sp].end = pos + (size_t)v;
			} else {
				pos += (size_t)v;
			}
			break;
		default: return 0;
		}
	}
}

/* ---- entry points ----------------------------------------------------- */

void
crn_expr_fini(crn_expr *e)
{
	size_t i;

	if (e == NULL)
		return;
	for (i = 0; i < e->nkids; i++)
		crn_expr_fini(&e->kids[i]);
	crn_free(e->kids, e->nkids * sizeof(crn_expr));
	crn_free(e->vals, e->nvals * sizeof(crn_value));
	memset(e, 0, sizeof(*e));
}

void
crn_plan_free(crn_plan *p)
{
	size_t i;

	if (p == NULL)
		return;
	crn_strfree(p->dataset);
	crn_expr_fini(&p->where);
	crn_free(p->keys, p->nkeys * sizeof(crn_groupkey));
	crn_free(p->measures, p->nmeasures * sizeof(crn_measure));
	for (i = 0; i < p->noutputs; i++)
		crn_strfree(p->outputs[i].name);
	crn_free(p->outputs, p->noutputs * sizeof(crn_output));
	if (p->having != NULL) {
		crn_expr_fini(p->having);
		crn_free(p->having, sizeof(crn_expr));
	}
	for (i = 0; i < p->ncols; i++)
		crn_column_fini(&p->cols[i]);
	crn_free(p->cols, p->ncols * sizeof(crn_column));
	crn_free(p->order, p->norder * sizeof(crn_order));
	crn_free(p, sizeof(*p));
}

cairn_err
crn_sql_parse(const char *sql, struct PgQuery__ParseResult **out, char *err,
    size_t errlen)
{
	PgQueryProtobufParseResult pr;
	PgQuery__ParseResult *tree = NULL;
	int parsed = 0;
	pctx c;

	*out = NULL;
	memset(&c, 0, sizeof(c));
	c.sql = sql;
	c.err = err;
	c.errlen = errlen;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (strlen(sql) > SQL_MAX_LEN) {
		perr(&c, CAIRN_ESQL, -1, "query longer than %d bytes",
		    SQL_MAX_LEN);
		goto out;
	}
	pr = pg_query_parse_protobuf(sql);
	parsed = 1;
	if (pr.error != NULL) {
		perr(&c, CAIRN_ESQL,
		    pr.error->cursorpos > 0 ? pr.error->cursorpos - 1 : -1,
		    "%s",
		    pr.error->message != NULL ? pr.error->message
		                              : "syntax error");
		goto out;
	}
	if (!tree_depth_ok(
	        (const uint8_t *)pr.parse_tree.data, pr.parse_tree.len)) {
		perr(&c, CAIRN_ESQL, -1, "the query is nested too deeply");
		goto out;
	}
	tree = pg_query__parse_result__unpack(
	    NULL, pr.parse_tree.len, (const uint8_t *)pr.parse_tree.data);
	if (tree == NULL) {
		perr(&c, CAIRN_ENOMEM, -1, "cannot read the parse tree");
		goto out;
	}
	if (tree->n_stmts != 1 || tree->stmts[0] == NULL ||
	    tree->stmts[0]->stmt == NULL) {
		perr(&c, CAIRN_ESQL,
		    tree->n_stmts > 1 ? tree->stmts[1]->stmt_location : -1,
		    tree->n_stmts > 1 ? "only one statement is allowed"
		                      : "empty query");
		goto out;
	}
	*out = tree;
	tree = NULL;
out:
	crn_sql_parse_free(tree);
	if (parsed)
		pg_query_free_protobuf_parse_result(pr);
	if (c.rv == CAIRN_OK && *out == NULL)
		c.rv = CAIRN_EINTERNAL;
	return c.rv;
}

void
crn_sql_parse_free(struct PgQuery__ParseResult *tree)
{
	if (tree != NULL)
		pg_query__parse_result__free_unpacked(tree, NULL);
}

cairn_err
crn_sql_plan(const crn_schema *schema, const char *sql, crn_plan **out,
    char *err, size_t errlen)
{
	PgQuery__ParseResult *tree = NULL;
	pctx c;
	cairn_err rv;

	*out = NULL;
	memset(&c, 0, sizeof(c));
	c.schema = schema;
	c.sql = sql;
	c.err = err;
	c.errlen = errlen;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (schema == NULL || sql == NULL) {
		perr(&c, CAIRN_EINVAL, -1, "no schema or query");
		goto out;
	}
	if ((rv = crn_sql_parse(sql, &tree, err, errlen)) != CAIRN_OK) {
		c.rv = rv;
		goto out;
	}
	if (tree->stmts[0]->stmt->node_case !=
	    PG_QUERY__NODE__NODE_SELECT_STMT) {
		perr(&c, CAIRN_ESQL, tree->stmts[0]->stmt_location,
		    "only SELECT is supported");
		goto out;
	}
	c.sel = tree->stmts[0]->stmt->select_stmt;
	if ((c.p = crn_zalloc(sizeof(crn_plan))) == NULL) {
		nomem(&c);
		goto out;
	}
	c.p->limit = -1;
	if (plan_select(&c) != 0)
		goto out;
	if ((rv = crn_plan_layout(c.p)) != CAIRN_OK) {
		perr(&c, rv, -1,
		    rv == CAIRN_ETOOBIG ? "the query has too many groups (at most %u groups and %u vector elements)"
		                        : "inconsistent grouping",
		    CRN_PLAN_MAX_GROUPS, CRN_PLAN_MAX_DIM);
		goto out;
	}
	if ((rv = crn_plan_ring_bits(c.p, &c.p->ring_bits)) != CAIRN_OK) {
		perr(&c, rv, -1,
		    "the declared bounds and row counts make sums that do not fit in 128 bits; narrow the bounds");
		goto out;
	}
	*out = c.p;
	c.p = NULL;
out:
	crn_sql_parse_free(tree);
	crn_plan_free(c.p);
	if (c.rv == CAIRN_OK && *out == NULL)
		c.rv = CAIRN_EINTERNAL;
	return c.rv;
}
