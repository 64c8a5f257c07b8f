/*
 * dp_model.c — differential privacy for a fit's rounds: each round's
 * statistic vector gets the node's share of discrete Gaussian noise,
 * calibrated from one row's largest contribution (see model.h).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/crn.h"
#include "crypto/dp.h"
#include "model/model_int.h"
#include "query/dp_account.h"

/* The sampler works in units of 2^g fixed-point steps, with g picked so
 * that sigma is about 2^SIGMA_BITS of them: far from the sampler's limit
 * (2^60) and far above the one step of rounding to that grid. */
#define SIGMA_BITS 40

static double
amax(double lo, double hi)
{
	return fmax(fabs(lo), fabs(hi));
}

uint32_t
crn_model_rounds(const crn_model *m)
{
	return m->spec.kind == CRN_MODEL_LINEAR ? 1 : m->spec.max_iter;
}

/*
 * Fill b (m->dim) with the largest magnitude one row adds to each element
 * in the round at params; returns the number of elements one row can
 * change at once (all of them, or one centre's block for k-means, whose
 * block sizes are then the first d + 1 of b).
 */
static uint64_t
row_max(const crn_model *m, const double *params, double *b)
{
	size_t p = m->p, d = m->spec.nx;
	double ay = amax(m->ylo, m->yhi);

	switch (m->spec.kind) {
	case CRN_MODEL_LINEAR: {
		size_t k = 2;

		b[0] = 1;
		b[1] = ay;
		for (size_t i = 0; i < p; i++)
			for (size_t j = i; j < p; j++)
				b[k++] = amax(m->lo[i], m->hi[i]) *
				    amax(m->lo[j], m->hi[j]);
		for (size_t i = 0; i < p; i++)
			b[k++] = amax(m->lo[i], m->hi[i]) * ay;
		b[k] = ay * ay;
		return m->dim;
	}
	case CRN_MODEL_LOGISTIC:
	case CRN_MODEL_POISSON: {
		double eta = 0, w, r, dev;
		size_t k = 1;

		/* |eta| at this round's coefficients, then the clamps of
		 * glm_row (stats.c). */
		for (size_t i = 0; i < p; i++)
			eta += fabs(params[i]) * amax(m->lo[i], m->hi[i]);
		if (m->spec.kind == CRN_MODEL_LOGISTIC) {
			eta = fmin(eta, CRN_MODEL_ETA_LOGIT);
			w = 0.25;
			r = 1;
			dev = 2 * log1p(exp(eta));
		} else {
			double mu = exp(fmin(eta, log(crn_model_mu_max(m))));
			double lo = fmin(eta, -CRN_MODEL_ETA_LOG_MIN);

			w = mu;
			r = fmax(ay, mu);
			dev =
			    2 * (ay * (fabs(log(fmax(ay, 1))) + lo) + ay + mu);
		}
		b[0] = 1;
		for (size_t i = 0; i < p; i++)
			for (size_t j = i; j < p; j++)
				b[k++] = w * amax(m->lo[i], m->hi[i]) *
				    amax(m->lo[j], m->hi[j]);
		for (size_t i = 0; i < p; i++)
			b[k++] = r * amax(m->lo[i], m->hi[i]);
		b[k] = dev;
		return m->dim;
	}
	case CRN_MODEL_KMEANS:
		b[0] = 1;
		for (size_t j = 0; j < d; j++)
			b[1 + j] = amax(m->lo[j], m->hi[j]);
		return d + 1;
	}
	return 0;
}

void
crn_model_dp_fini(crn_model_dp *dp)
{
	size_t n = dp->n ? dp->n : 1;

	crn_free(dp->grid_bits, n * sizeof(*dp->grid_bits));
	crn_free(dp->node_sigma2, n * sizeof(*dp->node_sigma2));
	crn_free(dp->sigma2, n * sizeof(*dp->sigma2));
	memset(dp, 0, sizeof(*dp));
}

/* Element i's noise (of n a row can touch), its bound b: the grid, then
 * the variance per node for a share rho / n of the round's rho. */
static cairn_err
dp_element(crn_model_dp *dp, const crn_model *m, uint64_t i, double b,
    char *err, size_t errlen)
{
	double n = (double)dp->n, sig, grid, e, s2g, per, wrap;
	long g;

	/* The target sd in real units, then a grid of 2^g fixed-point steps
	 * with sigma about 2^SIGMA_BITS of them.  The node's sum is rounded
	 * to the grid before the noise, which moves the element by at most
	 * one grid step more when one row changes: that step is in the
	 * sensitivity the noise is sized for. */
	sig = b * sqrt(n / (2 * dp->rho_round));
	g = (long)m->frac_bits + (long)floor(log2(sig)) - SIGMA_BITS;
	if (g < 0)
		g = 0;
	if (g > 100)
		goto range;
	grid = ldexp(1, (int)g - (int)m->frac_bits); /* in real units */
	e = b / grid + 1;
	s2g = n * e * e / (2 * dp->rho_round);
	dp->grid_bits[i] = (uint32_t)g;
	dp->sigma2[i] = s2g * grid * grid;
	/* Every node adds ceil(sigma2 / t): any t of them add sigma2. */
	per = ceil(s2g / dp->t);
	if (!(per < 0x1p119))
		goto range;
	dp->node_sigma2[i] = (unsigned __int128)per;
	/* The noise of every node of the federation, 16 sd of it, must stay
	 * below 2^125 fixed-point steps, where the data's sums stop
	 * (stats.c layout()), so that nothing wraps. */
	wrap = 16 * sqrt(per * m->max_nodes) * ldexp(1, (int)g);
	if (!(wrap < 0x1p125))
		goto range;
	return CAIRN_OK;
range:
	snprintf(err, errlen,
	    "the fit's DP noise (sd %.3g on one statistic) does not fit its 128-bit fixed point; raise epsilon or narrow the column bounds",
	    sig);
	return CAIRN_ERANGE;
}

cairn_err
crn_model_dp_of(crn_model_dp *out, const crn_model *m, const double *params,
    size_t nparams, double rho, uint32_t t, char *err, size_t errlen)
{
	double *b = NULL;
	cairn_err rv = CAIRN_ENOMEM;

	memset(out, 0, sizeof(*out));
	if (!(rho > 0) || !isfinite(rho) || t == 0 ||
	    nparams != crn_model_nparams(m)) {
		snprintf(err, errlen, "bad DP parameters for the fit");
		return CAIRN_EINVAL;
	}
	if ((b = crn_zalloc(m->dim * sizeof(double))) == NULL)
		return CAIRN_ENOMEM;
	out->n = row_max(m, params, b);
	out->rho_round = rho / crn_model_rounds(m);
	out->t = t;
	if ((out->grid_bits = crn_zalloc(out->n * sizeof(uint32_t))) == NULL ||
	    (out->node_sigma2 =
	            crn_zalloc(out->n * sizeof(unsigned __int128))) == NULL ||
	    (out->sigma2 = crn_zalloc(out->n * sizeof(double))) == NULL)
		goto out;
	rv = CAIRN_OK;
	for (uint64_t i = 0; i < out->n && rv == CAIRN_OK; i++) {
		/* Each row's element is rounded to the fixed point, half a
		 * step either way (stats.c put()). */
		b[i] += ldexp(1, -(int)m->frac_bits);
		out->sens2 += b[i] * b[i];
		rv = dp_element(out, m, i, b[i], err, errlen);
	}
out:
	crn_free(b, m->dim * sizeof(double));
	if (rv != CAIRN_OK)
		crn_model_dp_fini(out);
	return rv;
}

cairn_err
crn_model_dp_add(const crn_model *m, const crn_model_dp *dp,
    unsigned __int128 *vec, struct crn_dp_rng *r)
{
	cairn_err rv = CAIRN_OK;

	if (dp->n == 0)
		return CAIRN_EINVAL;
	for (uint64_t i = 0; i < m->dim && rv == CAIRN_OK; i++) {
		/* k-means: every centre's block has the first block's
		 * noise. */
		uint64_t e = i % dp->n;
		uint32_t g = dp->grid_bits[e];
		__int128 v = (__int128)vec[i], x = 0;

		/* Round to the grid (nearest; the shift is arithmetic). */
		if (g > 0)
			v = ((v + ((__int128)1 << (g - 1))) >> g) *
			    ((__int128)1 << g);
		if ((rv = crn_dp_gauss(r, dp->node_sigma2[e], &x)) != CAIRN_OK)
			break;
		vec[i] = (unsigned __int128)v +
		    ((unsigned __int128)x << g); /* modulo 2^128 */
		v = x = 0;
	}
	return rv;
}
