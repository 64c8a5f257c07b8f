/*
 * solve.c — the coordinator's side of a fit: from each round's decoded
 * sum to the next round's parameters, and the final model (see model.h).
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/crn.h"
#include "model/model_int.h"

static size_t
tri(size_t p)
{
	return p * (p + 1) / 2;
}

/* Full symmetric matrix from a row-major upper triangle. */
static void
unpack_tri(const double *t, size_t p, double *a)
{
	for (size_t i = 0, k = 0; i < p; i++)
		for (size_t j = i; j < p; j++, k++)
			a[i * p + j] = a[j * p + i] = t[k];
}

static const char *
term_name(const crn_model *m, size_t i)
{
	size_t off = m->p - m->spec.nx;

	return i < off ? "(Intercept)" : m->spec.x[i - off];
}

/*
 * Invert the symmetric positive definite a (p x p) in place by Cholesky.
 * A pivot below 1e-10 of its diagonal means the term is (nearly) a linear
 * combination of the earlier ones: err names it.
 */
static cairn_err
spd_inverse(
    const crn_model_fit *f, double *a, size_t p, char *err, size_t errlen)
{
	const crn_model *m = f->m;
	double *l = crn_zalloc(p * p * sizeof(double));
	double *inv = crn_zalloc(p * p * sizeof(double));
	cairn_err rv = CAIRN_OK;

	if (l == NULL || inv == NULL) {
		rv = CAIRN_ENOMEM;
		goto out;
	}
	for (size_t j = 0; j < p && rv == CAIRN_OK; j++) {
		double d = a[j * p + j];

		for (size_t k = 0; k < j; k++)
			d -= l[j * p + k] * l[j * p + k];
		if ((!(d > 1e-10 * fabs(a[j * p + j])) || !(d > 0)) &&
		    f->dp_epsilon > 0) {
			snprintf(err, errlen,
			    "the DP noise left X'X singular at term '%s' (or the design is): ask with a larger epsilon, fewer rounds, narrower terms (least/greatest) or more rows",
			    term_name(m, j));
			rv = CAIRN_EINVAL;
			break;
		}
		if (!(d > 1e-10 * fabs(a[j * p + j])) || !(d > 0)) {
			snprintf(err, errlen,
			    "singular design: term '%s' is collinear with the terms before it (or constant)",
			    term_name(m, j));
			rv = CAIRN_EINVAL;
			break;
		}
		l[j * p + j] = sqrt(d);
		for (size_t i = j + 1; i < p; i++) {
			double s = a[i * p + j];

			for (size_t k = 0; k < j; k++)
				s -= l[i * p + k] * l[j * p + k];
			l[i * p + j] = s / l[j * p + j];
		}
	}
	/* inv = L^-T L^-1, column by column from the identity. */
	for (size_t c = 0; c < p && rv == CAIRN_OK; c++) {
		double *z = &inv[c * p];

		for (size_t i = 0; i < p; i++) {
			double s = i == c ? 1 : 0;

			for (size_t k = 0; k < i; k++)
				s -= l[i * p + k] * z[k];
			z[i] = s / l[i * p + i];
		}
		for (size_t i = p; i-- > 0;) {
			double s = z[i];

			for (size_t k = i + 1; k < p; k++)
				s -= l[k * p + i] * z[k];
			z[i] = s / l[i * p + i];
		}
	}
	if (rv == CAIRN_OK)
		for (size_t i = 0; i < p; i++)
			for (size_t j = 0; j < p; j++)
				a[i * p + j] = inv[j * p + i];
out:
	crn_free(l, p * p * sizeof(double));
	crn_free(inv, p * p * sizeof(double));
	return rv;
}

cairn_err
crn_model_fit_init(crn_model_fit *f, const crn_model *m, uint32_t min_cell)
{
	size_t np;

	memset(f, 0, sizeof(*f));
	f->m = m;
	f->min_cell = min_cell;
	if (crn_model_initial(m, &f->params, &np) != CAIRN_OK ||
	    (f->prev = crn_zalloc((np ? np : 1) * sizeof(double))) == NULL ||
	    (f->coef = crn_zalloc(m->p * sizeof(double))) == NULL ||
	    (f->se = crn_zalloc(m->p * sizeof(double))) == NULL ||
	    (f->centers = crn_zalloc((np ? np : 1) * sizeof(double))) == NULL ||
	    (f->sizes = crn_zalloc(
	         (m->spec.k ? m->spec.k : 1) * sizeof(uint64_t))) == NULL) {
		crn_model_fit_fini(f);
		return CAIRN_ENOMEM;
	}
	return CAIRN_OK;
}

void
crn_model_fit_fini(crn_model_fit *f)
{
	size_t np, k;

	if (f->m == NULL)
		return;
	np = crn_model_nparams(f->m);
	k = f->m->spec.k ? f->m->spec.k : 1;
	np = np ? np : 1;
	crn_free(f->params, np * sizeof(double));
	crn_free(f->prev, np * sizeof(double));
	crn_free(f->centers, np * sizeof(double));
	crn_free(f->coef, f->m->p * sizeof(double));
	crn_free(f->se, f->m->p * sizeof(double));
	crn_free(f->sizes, k * sizeof(uint64_t));
	memset(f, 0, sizeof(*f));
}

static cairn_err
check_n(crn_model_fit *f, double n, char *err, size_t errlen)
{
	if (n < (double)f->m->p + 1 || n < (double)f->min_cell) {
		snprintf(err, errlen,
		    "%.0f rows matched: a fit with %zu coefficients needs more than %zu and at least min_cell %u",
		    n, f->m->p, f->m->p, f->min_cell);
		return CAIRN_EINVAL;
	}
	return CAIRN_OK;
}

static cairn_err
step_linear(
    crn_model_fit *f, const double *s, double *a, char *err, size_t errlen)
{
	const crn_model *m = f->m;
	size_t p = m->p, t = tri(p), off = p - m->spec.nx;
	double n = s[0], sy = s[1], yy = s[2 + t + p], rss, tss;
	const double *xy = &s[2 + t];
	cairn_err rv;

	if ((rv = check_n(f, n, err, errlen)) != CAIRN_OK)
		return rv;
	unpack_tri(&s[2], p, a);
	for (size_t i = off; i < p; i++)
		a[i * p + i] += m->spec.l2;
	if ((rv = spd_inverse(f, a, p, err, errlen)) != CAIRN_OK)
		return rv;
	for (size_t i = 0; i < p; i++) {
		f->coef[i] = 0;
		for (size_t j = 0; j < p; j++)
			f->coef[i] += a[i * p + j] * xy[j];
	}
	/* RSS = y'y - 2 b'X'y + b'X'X b, with the unpenalised X'X. */
	rss = yy;
	for (size_t i = 0, k = 2; i < p; i++)
		for (size_t j = i; j < p; j++, k++)
			rss +=
			    (i == j ? 1 : 2) * f->coef[i] * f->coef[j] * s[k];
	for (size_t i = 0; i < p; i++)
		rss -= 2 * f->coef[i] * xy[i];
	/* Under DP the noisy y'y can fall below the fitted part: then the
	 * residual error is unknown (NaN, shown as null), not 0. */
	rss = rss > 0 || f->dp_epsilon == 0 ? fmax(rss, 0) : NAN;
	tss = off ? yy - sy * sy / n : yy;
	f->n = n;
	f->resid_se = sqrt(rss / (n - (double)p));
	f->r2 = tss > 0 ? 1 - rss / tss : 0;
	for (size_t i = 0; i < p; i++)
		f->se[i] = f->resid_se * sqrt(a[i * p + i]);
	f->converged = f->done = true;
	return CAIRN_OK;
}

static cairn_err
step_glm(crn_model_fit *f, const double *s, double *a, char *err, size_t errlen)
{
	const crn_model *m = f->m;
	size_t p = m->p, t = tri(p), off = p - m->spec.nx;
	double n = s[0], dev = s[1 + t + p], g[CRN_MODEL_MAX_X + 1];
	const double *score = &s[1 + t];
	cairn_err rv;

	if ((rv = check_n(f, n, err, errlen)) != CAIRN_OK)
		return rv;
	unpack_tri(&s[1], p, a);
	for (size_t i = off; i < p; i++)
		a[i * p + i] += m->spec.l2;
	if ((rv = spd_inverse(f, a, p, err, errlen)) != CAIRN_OK)
		return rv;
	/* Coefficients, errors and deviance are all at the round's beta. */
	f->n = n;
	memcpy(f->coef, f->params, p * sizeof(double));
	for (size_t i = 0; i < p; i++)
		f->se[i] = sqrt(a[i * p + i]);
	f->deviance = dev;
	if (f->round >= 2 &&
	    fabs(dev - f->prev_dev) / (fabs(dev) + 0.1) < m->spec.tol) {
		f->converged = f->done = true;
		return CAIRN_OK;
	}
	f->prev_dev = dev;
	if (f->round >= m->spec.max_iter) {
		f->done = true;
		return CAIRN_OK;
	}
	for (size_t i = 0; i < p; i++)
		g[i] = score[i] - (i >= off ? m->spec.l2 * f->params[i] : 0);
	for (size_t i = 0; i < p; i++)
		for (size_t j = 0; j < p; j++)
			f->params[i] += a[i * p + j] * g[j];
	for (size_t i = 0; i < p; i++)
		if (!isfinite(f->params[i])) {
			snprintf(err, errlen,
			    "the fit diverged (coefficient of '%s' is not finite); the data may be separable",
			    term_name(m, i));
			return CAIRN_EINVAL;
		}
	return CAIRN_OK;
}

static cairn_err
step_kmeans(crn_model_fit *f, const double *s, char *err, size_t errlen)
{
	const crn_model *m = f->m;
	size_t d = m->spec.nx, k = m->spec.k;
	bool same = true;

	f->n = 0;
	for (size_t c = 0; c < k; c++) {
		double cnt = s[c * (d + 1)];

		if (cnt < 0.5 || cnt < (double)f->min_cell) {
			snprintf(err, errlen,
			    "cluster %zu has %.0f rows in round %u, fewer than min_cell %u: not released (choose other --init centres or a smaller --k)",
			    c + 1, cnt, f->round,
			    f->min_cell > 0 ? f->min_cell : 1);
			return CAIRN_EINVAL;
		}
		f->sizes[c] = (uint64_t)llround(cnt);
		f->n += cnt;
		for (size_t j = 0; j < d; j++) {
			double v = s[c * (d + 1) + 1 + j] / cnt;

			if (v != f->params[c * d + j])
				same = false;
			f->centers[c * d + j] = v;
		}
	}
	memcpy(f->prev, f->params, k * d * sizeof(double));
	memcpy(f->params, f->centers, k * d * sizeof(double));
	f->converged = same;
	f->done = same || f->round >= m->spec.max_iter;
	return CAIRN_OK;
}

cairn_err
crn_model_fit_step(
    crn_model_fit *f, const double *stats, char *err, size_t errlen)
{
	size_t p = f->m->p;
	double *a;
	cairn_err rv;

	if (f->done)
		return CAIRN_ESTATE;
	f->round++;
	if (f->m->spec.kind == CRN_MODEL_KMEANS)
		return step_kmeans(f, stats, err, errlen);
	if ((a = crn_zalloc(p * p * sizeof(double))) == NULL)
		return CAIRN_ENOMEM;
	rv = f->m->spec.kind == CRN_MODEL_LINEAR
	    ? step_linear(f, stats, a, err, errlen)
	    : step_glm(f, stats, a, err, errlen);
	crn_free(a, p * p * sizeof(double));
	return rv;
}
