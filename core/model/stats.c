/*
 * stats.c — compiling a model spec, the statistic vector's layout and
 * fixed point, and the per-row accumulation a node runs (see model.h).
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/crn.h"
#include "model/model_int.h"
#include "query/schema.h"
#include "query/sql_plan.h"

#define ETA_LOGIT   CRN_MODEL_ETA_LOGIT
#define ETA_LOG_MIN CRN_MODEL_ETA_LOG_MIN

static size_t
tri(size_t p)
{
	return p * (p + 1) / 2;
}

const char *
crn_model_kind_name(crn_model_kind k)
{
	switch (k) {
	case CRN_MODEL_LINEAR: return "linear";
	case CRN_MODEL_LOGISTIC: return "logistic";
	case CRN_MODEL_POISSON: return "poisson";
	case CRN_MODEL_KMEANS: return "kmeans";
	}
	return "?";
}

int
crn_model_kind_parse(const char *s)
{
	for (int k = CRN_MODEL_LINEAR; k <= CRN_MODEL_KMEANS; k++)
		if (strcmp(s, crn_model_kind_name((crn_model_kind)k)) == 0)
			return k;
	return -1;
}

void
crn_model_spec_fini(crn_model_spec *s)
{
	crn_strfree(s->dataset);
	crn_strfree(s->y);
	crn_strfree(s->where);
	for (size_t i = 0; i < s->nx; i++)
		crn_strfree(s->x[i]);
	crn_free(s->x, s->nx * sizeof(char *));
	crn_free(s->init, (size_t)s->k * s->nx * sizeof(double));
	memset(s, 0, sizeof(*s));
}

static char *
dup0(const char *s)
{
	return crn_strdup(s != NULL ? s : "");
}

static cairn_err
spec_copy(crn_model_spec *d, const crn_model_spec *s)
{
	size_t ni = (size_t)s->k * s->nx;

	*d = *s;
	d->x = NULL;
	d->init = NULL;
	d->nx = 0;
	d->dataset = dup0(s->dataset);
	d->y = dup0(s->y);
	d->where = dup0(s->where);
	if (d->dataset == NULL || d->y == NULL || d->where == NULL)
		return CAIRN_ENOMEM;
	if ((d->x = crn_zalloc((s->nx ? s->nx : 1) * sizeof(char *))) == NULL)
		return CAIRN_ENOMEM;
	for (; d->nx < s->nx; d->nx++)
		if ((d->x[d->nx] = crn_strdup(s->x[d->nx])) == NULL)
			return CAIRN_ENOMEM;
	if (s->kind == CRN_MODEL_KMEANS) {
		if ((d->init = crn_alloc((ni ? ni : 1) * sizeof(double))) ==
		    NULL)
			return CAIRN_ENOMEM;
		memcpy(d->init, s->init, ni * sizeof(double));
	} else {
		d->k = 0;
	}
	return CAIRN_OK;
}

static cairn_err
spec_check(const crn_model_spec *s, char *err, size_t errlen)
{
	if (s->kind < CRN_MODEL_LINEAR || s->kind > CRN_MODEL_KMEANS) {
		snprintf(err, errlen, "unknown model kind %d", (int)s->kind);
		return CAIRN_EINVAL;
	}
	if (s->nx == 0 || s->nx > CRN_MODEL_MAX_X) {
		snprintf(err, errlen, "a model needs 1 to %d --x terms",
		    CRN_MODEL_MAX_X);
		return CAIRN_EINVAL;
	}
	if (s->kind == CRN_MODEL_KMEANS) {
		if (s->k == 0 || s->k > CRN_MODEL_MAX_K || s->init == NULL) {
			snprintf(err, errlen,
			    "kmeans needs --k between 1 and %d and --init with k centres",
			    CRN_MODEL_MAX_K);
			return CAIRN_EINVAL;
		}
	} else if (s->y == NULL || s->y[0] == '\0') {
		snprintf(err, errlen, "a %s model needs --y",
		    crn_model_kind_name(s->kind));
		return CAIRN_EINVAL;
	}
	if (!(s->l2 >= 0) || !isfinite(s->l2) || !(s->tol >= 0) ||
	    s->max_iter > CRN_MODEL_MAX_ITER) {
		snprintf(err, errlen,
		    "--l2 and --tol must be finite and at least 0, --max-iter at most %d",
		    CRN_MODEL_MAX_ITER);
		return CAIRN_EINVAL;
	}
	for (size_t i = 0; s->kind == CRN_MODEL_KMEANS && i < s->k * s->nx; i++)
		if (!isfinite(s->init[i])) {
			snprintf(
			    err, errlen, "--init coordinates must be finite");
			return CAIRN_EINVAL;
		}
	return CAIRN_OK;
}

/* The filter: the query planner's WHERE, over the same dataset. */
static cairn_err
where_plan(const crn_schema *schema, crn_model *m, char *err, size_t errlen)
{
	const char *w = m->spec.where;
	size_t n = strlen(w) + strlen(m->ds->name) + 64;
	char *sql, why[256] = "";
	cairn_err rv;

	if ((sql = crn_alloc(n)) == NULL)
		return CAIRN_ENOMEM;
	snprintf(sql, n, "SELECT count(*) FROM \"%s\"%s%s", m->ds->name,
	    w[0] != '\0' ? " WHERE " : "", w);
	rv = crn_sql_plan(schema, sql, &m->where, why, sizeof(why));
	crn_free(sql, n);
	if (rv != CAIRN_OK) {
		snprintf(err, errlen, "--where '%s': %s", w, why);
		return rv;
	}
	if (m->where->nkeys != 0 || m->where->nmeasures != 0 ||
	    m->where->having != NULL || m->where->limit >= 0) {
		snprintf(
		    err, errlen, "--where '%s': only a filter is allowed", w);
		return CAIRN_ESQL;
	}
	return CAIRN_OK;
}

static void
expr_cols(const crn_expr *e, bool *used)
{
	if (e->kind >= CRN_EX_CMP)
		used[e->col] = true;
	for (size_t i = 0; i < e->nkids; i++)
		expr_cols(&e->kids[i], used);
}

static double
amax(double lo, double hi)
{
	return fmax(fabs(lo), fabs(hi));
}

double
crn_model_mu_max(const crn_model *m)
{
	return exp(log(fmax(amax(m->ylo, m->yhi), 1.0)) + 10.0);
}

/* The largest magnitude any row puts in any element. */
static double
row_bound(const crn_model *m)
{
	double ax = 1, ay = amax(m->ylo, m->yhi), b;

	for (size_t i = 0; i < m->p; i++)
		ax = fmax(ax, amax(m->lo[i], m->hi[i]));
	switch (m->spec.kind) {
	case CRN_MODEL_LINEAR: b = fmax(ax * ax, fmax(ay * ay, ax * ay)); break;
	case CRN_MODEL_LOGISTIC: b = fmax(ax * ax, 2 * ETA_LOGIT + 4); break;
	case CRN_MODEL_POISSON: {
		double mu = crn_model_mu_max(m);

		b = fmax(mu * ax * ax, ax * (ay + mu));
		b = fmax(b, 2 * (ay * (fabs(log(fmax(ay, 1))) + 30) + ay + mu));
		break;
	}
	default: b = ax; break;
	}
	return fmax(b, 1.0);
}

static cairn_err
layout(const crn_schema *schema, crn_model *m, char *err, size_t errlen)
{
	double b = row_bound(m), total;
	double rows = (double)(m->ds->max_rows ? m->ds->max_rows : 1);
	int f1, f2, f;

	switch (m->spec.kind) {
	case CRN_MODEL_LINEAR: m->dim = 3 + tri(m->p) + m->p; break;
	case CRN_MODEL_LOGISTIC:
	case CRN_MODEL_POISSON: m->dim = 2 + tri(m->p) + m->p; break;
	case CRN_MODEL_KMEANS:
		m->dim = (uint64_t)m->spec.k * (m->spec.nx + 1);
		break;
	}
	m->max_nodes = schema->max_nodes ? schema->max_nodes : 1;
	total = b * rows * m->max_nodes;
	/* Sums below 2^125; one row's element below 2^62, so that it is
	 * rounded by one fast conversion to int64. */
	f1 = (int)floor(125 - log2(total));
	f2 = (int)floor(62 - log2(b));
	f = f1 < f2 ? f1 : f2;
	if (f > 96)
		f = 96;
	if (f < CRN_MODEL_MIN_FRAC || m->ds->max_rows == 0) {
		snprintf(err, errlen,
		    "the feature bounds (largest per-row term %g) and max_rows leave %d fractional bits in a 128-bit ring, fewer than %d; narrow the column bounds",
		    b, f, CRN_MODEL_MIN_FRAC);
		return CAIRN_ERANGE;
	}
	m->frac_bits = (uint32_t)f;
	return CAIRN_OK;
}

static cairn_err
compile_exprs(crn_model *m, char *err, size_t errlen)
{
	size_t off =
	    m->spec.no_intercept || m->spec.kind == CRN_MODEL_KMEANS ? 0 : 1;
	cairn_err rv;

	m->p = m->spec.nx + off;
	if ((m->x = crn_zalloc(m->spec.nx * sizeof(*m->x))) == NULL ||
	    (m->lo = crn_zalloc(m->p * sizeof(double))) == NULL ||
	    (m->hi = crn_zalloc(m->p * sizeof(double))) == NULL)
		return CAIRN_ENOMEM;
	if (off)
		m->lo[0] = m->hi[0] = 1;
	for (size_t i = 0; i < m->spec.nx; i++) {
		if ((rv = crn_mexpr_compile(m->ds, m->spec.x[i], m->used,
		         &m->x[i], err, errlen)) != CAIRN_OK)
			return rv;
		crn_mexpr_range(m->x[i], &m->lo[off + i], &m->hi[off + i]);
	}
	if (m->spec.kind == CRN_MODEL_KMEANS)
		return CAIRN_OK;
	if ((rv = crn_mexpr_compile(
	         m->ds, m->spec.y, m->used, &m->y, err, errlen)) != CAIRN_OK)
		return rv;
	crn_mexpr_range(m->y, &m->ylo, &m->yhi);
	/* Decided here, from the expression: a row whose response is
	 * neither 0 nor 1 would otherwise stop the job at the one node that
	 * holds it, an exact answer about that row whatever the DP noise. */
	if (m->spec.kind == CRN_MODEL_LOGISTIC &&
	    (m->ylo < 0 || m->yhi > 1 || !crn_mexpr_is01(m->y))) {
		snprintf(err, errlen,
		    "logistic response '%s' (range [%g, %g]) can be other than 0 or 1; it must be 0 or 1 on every row (write a comparison such as \"y = 1\")",
		    m->spec.y, m->ylo, m->yhi);
		return CAIRN_ESQL;
	}
	if (m->spec.kind == CRN_MODEL_POISSON && m->ylo < 0) {
		snprintf(err, errlen,
		    "Poisson response '%s' ranges over [%g, %g]; counts cannot be negative",
		    m->spec.y, m->ylo, m->yhi);
		return CAIRN_ESQL;
	}
	return CAIRN_OK;
}

cairn_err
crn_model_compile(const crn_schema *schema, const crn_model_spec *spec,
    crn_model **out, char *err, size_t errlen)
{
	crn_model *m = NULL;
	cairn_err rv;

	*out = NULL;
	if (errlen > 0)
		err[0] = '\0';
	if ((rv = spec_check(spec, err, errlen)) != CAIRN_OK)
		return rv;
	if ((m = crn_zalloc(sizeof(*m))) == NULL)
		return CAIRN_ENOMEM;
	if ((rv = spec_copy(&m->spec, spec)) != CAIRN_OK)
		goto out;
	if (m->spec.max_iter == 0)
		m->spec.max_iter = CRN_MODEL_DEFAULT_ITER;
	if (m->spec.tol == 0)
		m->spec.tol = 1e-10;
	for (size_t i = 0; i < schema->ndatasets; i++)
		if (strcmp(schema->datasets[i].name, spec->dataset) == 0)
			m->ds = &schema->datasets[i];
	if (m->ds == NULL) {
		snprintf(err, errlen, "no dataset '%s' in the schema",
		    spec->dataset);
		rv = CAIRN_ESQL;
		goto out;
	}
	rv = CAIRN_ENOMEM;
	if ((m->used = crn_zalloc(m->ds->ncols * sizeof(bool))) == NULL)
		goto out;
	if ((rv = compile_exprs(m, err, errlen)) != CAIRN_OK ||
	    (rv = where_plan(schema, m, err, errlen)) != CAIRN_OK ||
	    (rv = layout(schema, m, err, errlen)) != CAIRN_OK)
		goto out;
	expr_cols(&m->where->where, m->used);
	*out = m;
	m = NULL;
out:
	crn_model_free(m);
	return rv;
}

void
crn_model_free(crn_model *m)
{
	if (m == NULL)
		return;
	crn_mexpr_free(m->y);
	for (size_t i = 0; m->x != NULL && i < m->spec.nx; i++)
		crn_mexpr_free(m->x[i]);
	crn_free(m->x, m->spec.nx * sizeof(*m->x));
	crn_plan_free(m->where);
	if (m->ds != NULL)
		crn_free(m->used, m->ds->ncols * sizeof(bool));
	crn_free(m->lo, m->p * sizeof(double));
	crn_free(m->hi, m->p * sizeof(double));
	crn_model_spec_fini(&m->spec);
	crn_free(m, sizeof(*m));
}

size_t
crn_model_nparams(const crn_model *m)
{
	switch (m->spec.kind) {
	case CRN_MODEL_LOGISTIC:
	case CRN_MODEL_POISSON: return m->p;
	case CRN_MODEL_KMEANS: return (size_t)m->spec.k * m->spec.nx;
	default: return 0;
	}
}

cairn_err
crn_model_initial(const crn_model *m, double **params, size_t *n)
{
	size_t np = crn_model_nparams(m);

	*n = np;
	if ((*params = crn_zalloc((np ? np : 1) * sizeof(double))) == NULL)
		return CAIRN_ENOMEM;
	if (m->spec.kind == CRN_MODEL_KMEANS)
		memcpy(*params, m->spec.init, np * sizeof(double));
	return CAIRN_OK;
}

/* ---- accumulation ------------------------------------------------------- */

cairn_err
crn_model_acc_init(crn_model_acc *a, const crn_model *m, const double *params,
    size_t nparams, char *err, size_t errlen)
{
	memset(a, 0, sizeof(*a));
	a->m = m;
	a->params = params;
	a->err = err;
	a->errlen = errlen;
	if (nparams != crn_model_nparams(m)) {
		snprintf(err, errlen, "%zu round parameters, the model has %zu",
		    nparams, crn_model_nparams(m));
		return CAIRN_EINVAL;
	}
	for (size_t i = 0; i < nparams; i++)
		if (!isfinite(params[i])) {
			snprintf(
			    err, errlen, "a round parameter is not finite");
			return CAIRN_EINVAL;
		}
	if ((a->vec = crn_zalloc(m->dim * sizeof(*a->vec))) == NULL ||
	    (a->row = crn_zalloc((m->p + 1) * sizeof(double))) == NULL) {
		crn_model_acc_fini(a);
		return CAIRN_ENOMEM;
	}
	return CAIRN_OK;
}

void
crn_model_acc_fini(crn_model_acc *a)
{
	if (a->vec != NULL)
		crn_freezero(a->vec, a->m->dim * sizeof(*a->vec));
	if (a->row != NULL)
		crn_freezero(a->row, (a->m->p + 1) * sizeof(double));
	a->vec = NULL;
	a->row = NULL;
}

static inline void
put(crn_model_acc *a, size_t i, double v)
{
	int64_t q = (int64_t)llrint(ldexp(v, (int)a->m->frac_bits));

	a->vec[i] += (unsigned __int128)(__int128)q;
}

static void
put_tri(crn_model_acc *a, size_t at, const double *x, size_t p, double w)
{
	for (size_t i = 0; i < p; i++)
		for (size_t j = i; j < p; j++)
			put(a, at++, w * x[i] * x[j]);
}

static cairn_err
glm_row(crn_model_acc *a, const double *x, double y)
{
	const crn_model *m = a->m;
	size_t p = m->p, t = tri(p);
	double eta = 0, mu, w, dev;

	for (size_t i = 0; i < p; i++)
		eta += a->params[i] * x[i];
	if (m->spec.kind == CRN_MODEL_LOGISTIC) {
		if (y != 0 && y != 1) {
			snprintf(a->err, a->errlen,
			    "the logistic response '%s' is %g on a row; it must be 0 or 1",
			    m->spec.y, y);
			return CAIRN_EDATA;
		}
		eta = fmin(fmax(eta, -ETA_LOGIT), ETA_LOGIT);
		mu = 1 / (1 + exp(-eta));
		w = mu * (1 - mu);
		dev = 2 * (y == 1 ? log1p(exp(-eta)) : log1p(exp(eta)));
	} else {
		eta = fmin(fmax(eta, ETA_LOG_MIN), log(crn_model_mu_max(m)));
		mu = exp(eta);
		w = mu;
		dev = 2 * ((y > 0 ? y * log(y / mu) : 0) - (y - mu));
	}
	a->sw += w;
	a->sw2 += w * w;
	put(a, 0, 1);
	put_tri(a, 1, x, p, w);
	for (size_t i = 0; i < p; i++)
		put(a, 1 + t + i, x[i] * (y - mu));
	put(a, 1 + t + p, dev);
	return CAIRN_OK;
}

static void
kmeans_row(crn_model_acc *a, const double *x)
{
	const crn_model *m = a->m;
	size_t d = m->spec.nx, best = 0;
	double bd = INFINITY;

	for (size_t c = 0; c < m->spec.k; c++) {
		double s = 0;

		for (size_t j = 0; j < d; j++) {
			double t = x[j] - a->params[c * d + j];

			s += t * t;
		}
		if (s < bd) { /* ties keep the lowest index */
			bd = s;
			best = c;
		}
	}
	put(a, best * (d + 1), 1);
	for (size_t j = 0; j < d; j++)
		put(a, best * (d + 1) + 1 + j, x[j]);
}

cairn_err
crn_model_acc_row(void *arg, const crn_cell *cells, const char *where)
{
	crn_model_acc *a = arg;
	const crn_model *m = a->m;
	size_t off = m->p - m->spec.nx, p = m->p, t = tri(p);
	double *x = a->row, y = 0;
	bool null = false;

	(void)where;
	for (size_t i = 0; i < m->ds->ncols; i++)
		if (m->used[i] && cells[i].null)
			return CAIRN_OK; /* complete cases only */
	if (off)
		x[0] = 1;
	for (size_t i = 0; i < m->spec.nx; i++)
		x[off + i] = crn_mexpr_eval(m->x[i], m->ds, cells, &null);
	if (m->y != NULL)
		y = crn_mexpr_eval(m->y, m->ds, cells, &null);
	a->rows++;
	switch (m->spec.kind) {
	case CRN_MODEL_LINEAR:
		put(a, 0, 1);
		put(a, 1, y);
		put_tri(a, 2, x, p, 1);
		for (size_t i = 0; i < p; i++)
			put(a, 2 + t + i, x[i] * y);
		put(a, 2 + t + p, y * y);
		return CAIRN_OK;
	case CRN_MODEL_LOGISTIC:
	case CRN_MODEL_POISSON: return glm_row(a, x, y);
	case CRN_MODEL_KMEANS: kmeans_row(a, x); return CAIRN_OK;
	}
	return CAIRN_EINTERNAL;
}

cairn_err
crn_model_acc_guard(
    const crn_model_acc *a, uint32_t min_cell, char *err, size_t errlen)
{
	const crn_model *m = a->m;
	size_t d = m->spec.nx;

	if (a->rows > 0 && a->rows < min_cell) {
		/* The WHERE (or the complete cases) left a few rows. */
		snprintf(err, errlen,
		    "the fit's WHERE leaves fewer than min_cell %u of this node's rows",
		    min_cell);
		return CAIRN_EPERM;
	}
	if (m->spec.kind == CRN_MODEL_KMEANS) {
		for (size_t c = 0; c < m->spec.k; c++) {
			__int128 v = (__int128)a->vec[c * (d + 1)];
			uint64_t n = (uint64_t)(v >> m->frac_bits);

			if (n > 0 && n < min_cell) {
				/* The message reaches the coordinator: no
				 * count. */
				snprintf(err, errlen,
				    "the round's centres leave a cluster with fewer than min_cell %u of this node's rows",
				    min_cell);
				return CAIRN_EPERM;
			}
		}
	} else if (m->spec.kind != CRN_MODEL_LINEAR && a->rows > 0 &&
	    a->sw * a->sw < (double)min_cell * a->sw2) {
		snprintf(err, errlen,
		    "the round's coefficients put the weight of the fit on fewer than min_cell %u of this node's rows",
		    min_cell);
		return CAIRN_EPERM;
	}
	return CAIRN_OK;
}

cairn_err
crn_model_run(const crn_model *m, const crn_source *src, const double *params,
    size_t nparams, uint32_t min_cell, unsigned __int128 **vec, char *err,
    size_t errlen)
{
	crn_model_acc a;
	crn_exec_stats st;
	cairn_err rv;

	*vec = NULL;
	if ((rv = crn_model_acc_init(&a, m, params, nparams, err, errlen)) !=
	    CAIRN_OK)
		return rv;
	rv = crn_exec_rows(m->where, m->ds, src, m->used, crn_model_acc_row, &a,
	    &st, err, errlen);
	if (rv == CAIRN_OK)
		rv = crn_model_acc_guard(&a, min_cell, err, errlen);
	if (rv == CAIRN_OK) {
		*vec = a.vec;
		a.vec = NULL;
	}
	crn_model_acc_fini(&a);
	return rv;
}

void
crn_model_decode(const crn_model *m, const unsigned __int128 *sum, double *out)
{
	for (uint64_t i = 0; i < m->dim; i++) {
		__int128 v = (__int128)sum[i];
		/* The magnitude, split so that no bit of a large sum is lost
		 * before scaling; then the sign.  (Splitting a negative value
		 * directly adds 2^64 - |low| to a -2^64 high part and loses
		 * low bits to the cancellation.) */
		unsigned __int128 u =
		    v < 0 ? -(unsigned __int128)v : (unsigned __int128)v;
		double hi = (double)(uint64_t)(u >> 64),
		       lo = (double)(uint64_t)u;
		double x = ldexp(hi, 64 - (int)m->frac_bits) +
		    ldexp(lo, -(int)m->frac_bits);

		out[i] = v < 0 ? -x : x;
	}
}
