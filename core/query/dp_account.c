/*
 * dp_account.c — zCDP accounting and noise calibration.  See
 * dp_account.h.
 */
#include <math.h>
#include <string.h>

#include "query/dp_account.h"

/* The sampler's largest variance, 2^120 (crypto/dp.h; this layer may not
 * include it, the node checks again when it samples). */
#define SIGMA2_MAX 1.329227995784916e36

double
crn_dp_rho(double sens2, double sigma2)
{
	return sens2 / (2 * sigma2);
}

double
crn_dp_epsilon(double rho, double delta)
{
	return rho + 2 * sqrt(rho * log(1 / delta));
}

double
crn_dp_rho_of(double epsilon, double delta)
{
	double l = log(1 / delta), d = sqrt(l + epsilon) - sqrt(l);

	return d * d;
}

bool
crn_dp_request_ok(double epsilon, double delta)
{
	return isfinite(epsilon) && isfinite(delta) && epsilon > 0 &&
	    epsilon <= 100 && delta > 0 && delta < 0.5;
}

static double
bound_of(const crn_plan *p, uint32_t col)
{
	const crn_column *c = &p->cols[col];
	double lo = fabs((double)c->lo), hi = fabs((double)c->hi);

	return lo > hi ? lo : hi;
}

int
crn_dp_class_of(const crn_plan *p, uint32_t off)
{
	if (off == 0)
		return CRN_DP_COUNTS;
	for (size_t m = 0; m < p->nmeasures; m++) {
		const crn_measure *ms = &p->measures[m];
		uint32_t base = 1 + ms->offset;
		if (off < base || off >= base + (ms->need_sumsq ? 4u : 3u))
			continue;
		switch (off - base) {
		case 0: return CRN_DP_COUNTS;
		case 1: return CRN_DP_SUMS;
		case 2: return ms->need_sumsq ? CRN_DP_SUMSQ : CRN_DP_COUNTS;
		default: return CRN_DP_COUNTS;
		}
	}
	return CRN_DP_COUNTS;
}

/* rho in equal shares between the classes n->sens2 has, each class's
 * target variance and the variance each of t nodes adds. */
static cairn_err
noise_split(crn_dp_noise *n, double rho, uint32_t t)
{
	unsigned classes = 0;

	for (int c = 0; c < CRN_DP_CLASSES; c++)
		classes += n->sens2[c] > 0;
	for (int c = 0; c < CRN_DP_CLASSES; c++) {
		double s2, ns2;
		if (n->sens2[c] == 0)
			continue;
		s2 = n->sens2[c] / (2 * (rho / classes));
		/* Rounded up, with a margin for the division's rounding, so
		 * that t node variances reach the target. */
		ns2 = ceil(s2 / t * (1 + 1e-12));
		if (!(ns2 <= SIGMA2_MAX))
			return CAIRN_EINVAL;
		n->sigma2[c] = s2;
		n->node_sigma2[c] = (unsigned __int128)ns2;
	}
	return CAIRN_OK;
}

cairn_err
crn_dp_noise_of(crn_dp_noise *n, const crn_plan *p, double rho, uint32_t t)
{
	memset(n, 0, sizeof(*n));
	if (!(rho > 0) || !isfinite(rho) || t == 0)
		return CAIRN_EINVAL;
	n->rho = rho;
	n->t = t;
	n->sens2[CRN_DP_PASS1] = 1.0 + (double)p->nmeasures;
	n->sens2[CRN_DP_COUNTS] = 1.0 + 2.0 * (double)p->nmeasures;
	for (size_t m = 0; m < p->nmeasures; m++) {
		double b = bound_of(p, p->measures[m].col);
		n->sens2[CRN_DP_SUMS] += b * b;
		if (p->measures[m].need_sumsq)
			n->sens2[CRN_DP_SUMSQ] += b * b * b * b;
	}
	return noise_split(n, rho, t);
}

cairn_err
crn_dp_noise_code(crn_dp_noise *n, uint64_t len, double lo, double hi,
    uint32_t scale, double rho, uint32_t t)
{
	double p = pow(10, scale), range;

	memset(n, 0, sizeof(*n));
	if (!(rho > 0) || !isfinite(rho) || t == 0 || len == 0 || !(hi > lo) ||
	    !isfinite(hi * p) || !isfinite(lo * p) || fabs(hi * p) > 9e18 ||
	    fabs(lo * p) > 9e18)
		return CAIRN_EINVAL;
	/* One row moves a value across what the encoder can send: the clipped
	 * value rounded to the grid (crn_code_encode's llround), not the
	 * declared range, which rounding can widen (lo 0.4999, hi 0.5, scale
	 * 0 encodes 0 or 1). */
	range = (double)(llround(hi * p) - llround(lo * p));
	if (range < 1)
		range = 1;
	n->rho = rho;
	n->t = t;
	n->sens2[CRN_DP_SUMS] = (double)len * range * range;
	n->sens2[CRN_DP_COUNTS] = (double)len * (double)len;
	return noise_split(n, rho, t);
}
