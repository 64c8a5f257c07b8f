/*
 * fixedpoint.c — ring widths, exact signed views of ring elements, 128-bit
 * decimal formatting and the fixed-point codec.
 *
 * Conversions between unsigned ring elements and signed values are written
 * out by hand rather than left to casts: converting an out-of-range
 * unsigned value to a signed type is implementation-defined in C, while
 * the expressions below are defined everywhere.
 */
#include <math.h>
#include <stdbool.h>
#include <string.h>

#include "base/crn.h"
#include "query/fixedpoint.h"

typedef unsigned __int128 u128;
typedef __int128 i128;

#define U128_ONE ((u128)1)
#define I128_MAX ((i128)((U128_ONE << 127) - 1))
/* The largest frac_bits accepted: far beyond any use, small enough that
 * ldexp never leaves the double range for a sane clip bound. */
#define FIXED_MAX_FRAC_BITS 200u

static unsigned
bits_needed(u128 bound)
{
	/* Bits of a two's-complement integer holding +-bound. */
	unsigned b = 1;

	while (bound != 0) {
		b++;
		bound >>= 1;
	}
	return b;
}

cairn_err
crn_ring_bits_for(
    uint64_t max_abs_sum_hi, uint64_t max_abs_sum_lo, unsigned *bits)
{
	u128 bound = ((u128)max_abs_sum_hi << 64) | max_abs_sum_lo;

	if (bound < (U128_ONE << 31))
		*bits = 32;
	else if (bound < (U128_ONE << 63))
		*bits = 64;
	else if (bound < (U128_ONE << 127)) {
		*bits = 128;
	} else {
		crn_log_err("sums up to 2^%u need a %u-bit ring; the widest is 128 bits",
		    bits_needed(bound) - 2, bits_needed(bound));
		return CAIRN_ERANGE;
	}
	return CAIRN_OK;
}

cairn_err
crn_ring_bits_for_terms(uint64_t max_abs_term, uint64_t terms, unsigned *bits)
{
	/* (2^64 - 1)^2 < 2^128: the product cannot overflow. */
	u128 bound = (u128)max_abs_term * terms;

	return crn_ring_bits_for(
	    (uint64_t)(bound >> 64), (uint64_t)bound, bits);
}

size_t
crn_ring_elem_size(unsigned bits)
{
	switch (bits) {
	case 32: return sizeof(uint32_t);
	case 64: return sizeof(uint64_t);
	case 128: return sizeof(u128);
	default: return 0;
	}
}

int32_t
crn_ring_signed32(uint32_t v)
{
	if (v <= (uint32_t)INT32_MAX)
		return (int32_t)v;
	/* v = 2^32 - m with 1 <= m <= 2^31; ~v = m - 1 fits int32_t. */
	return -(int32_t)~v - 1;
}

int64_t
crn_ring_signed64(uint64_t v)
{
	if (v <= (uint64_t)INT64_MAX)
		return (int64_t)v;
	return -(int64_t)~v - 1;
}

i128
crn_ring_signed128(u128 v)
{
	if (v <= (u128)I128_MAX)
		return (i128)v;
	return -(i128)~v - 1;
}

cairn_err
crn_ring_get_signed(const void *vec, size_t i, unsigned bits, i128 *out)
{
	switch (bits) {
	case 32:
		*out = crn_ring_signed32(((const uint32_t *)vec)[i]);
		return CAIRN_OK;
	case 64:
		*out = crn_ring_signed64(((const uint64_t *)vec)[i]);
		return CAIRN_OK;
	case 128:
		*out = crn_ring_signed128(((const u128 *)vec)[i]);
		return CAIRN_OK;
	default: return CAIRN_EINVAL;
	}
}

/* Store v mod 2^bits as element i; bits already validated. */
static void
ring_put(void *vec, size_t i, unsigned bits, i128 v)
{
	/* Conversion of a negative value to an unsigned type is defined as
	 * reduction modulo 2^width: exactly two's complement. */
	u128 u = (u128)v;

	if (bits == 32)
		((uint32_t *)vec)[i] = (uint32_t)u;
	else if (bits == 64)
		((uint64_t *)vec)[i] = (uint64_t)u;
	else
		((u128 *)vec)[i] = u;
}

static cairn_err
format_digits(u128 v, bool neg, char *buf, size_t len)
{
	char tmp[CRN_I128_STRLEN];
	size_t n = 0, at = 0;

	do {
		tmp[n++] = (char)('0' + (int)(v % 10));
		v /= 10;
	} while (v != 0);
	if (len < n + (neg ? 1 : 0) + 1) {
		if (len > 0)
			buf[0] = '\0';
		return CAIRN_ETOOBIG;
	}
	if (neg)
		buf[at++] = '-';
	while (n > 0)
		buf[at++] = tmp[--n];
	buf[at] = '\0';
	return CAIRN_OK;
}

cairn_err
crn_u128_format(u128 v, char *buf, size_t len)
{
	return format_digits(v, false, buf, len);
}

cairn_err
crn_i128_format(i128 v, char *buf, size_t len)
{
	/* 0 - (u128)v is |v| for every v, the minimum included. */
	if (v < 0)
		return format_digits((u128)0 - (u128)v, true, buf, len);
	return format_digits((u128)v, false, buf, len);
}

/*
 * Validate p and compute M = round(clip * 2^frac_bits) and the sum bound
 * n_max * M; CAIRN_ERANGE when the bound does not fit `bits`.  quiet
 * suppresses the range log line (crn_fixed_bits tries narrow rings first).
 */
static cairn_err
fixed_bound(const crn_fixed_params *p, unsigned bits, u128 *m_out,
    u128 *bound_out, bool quiet)
{
	double md;
	u128 m, limit;

	if (p == NULL || crn_ring_elem_size(bits) == 0 ||
	    p->frac_bits > FIXED_MAX_FRAC_BITS || !isfinite(p->clip) ||
	    !(p->clip > 0.0) || p->n_max == 0)
		return CAIRN_EINVAL;
	md = round(ldexp(p->clip, (int)p->frac_bits));
	if (md < 1.0) {
		crn_log_err("clip %g is below the resolution 2^-%u", p->clip,
		    p->frac_bits);
		return CAIRN_EINVAL;
	}
	if (!(md < ldexp(1.0, 127))) {
		if (!quiet)
			crn_log_err("clip %g * 2^%u does not fit 128 bits",
			    p->clip, p->frac_bits);
		return CAIRN_ERANGE;
	}
	m = (u128)md;
	limit = U128_ONE << (bits - 1);
	/* n_max * m < limit  <=>  m <= (limit - 1) / n_max; no overflow. */
	if (m > (limit - 1) / p->n_max) {
		if (!quiet)
			crn_log_err("%u parties x round(%g * 2^%u) reach 2^%.2f: a %u-bit ring would wrap",
			    p->n_max, p->clip, p->frac_bits,
			    log2((double)p->n_max) + log2(md), bits);
		return CAIRN_ERANGE;
	}
	*m_out = m;
	*bound_out = m * p->n_max;
	return CAIRN_OK;
}

cairn_err
crn_fixed_check(const crn_fixed_params *p, unsigned bits)
{
	u128 m, bound;

	return fixed_bound(p, bits, &m, &bound, false);
}

cairn_err
crn_fixed_bits(const crn_fixed_params *p, unsigned *bits)
{
	static const unsigned widths[] = {32, 64, 128};
	cairn_err rv = CAIRN_ERANGE;
	u128 m, bound;

	for (size_t i = 0; i < CRN_NELEM(widths); i++) {
		/* Only the widest ring's refusal is worth a log line. */
		rv = fixed_bound(p, widths[i], &m, &bound, widths[i] != 128);
		if (rv == CAIRN_OK) {
			*bits = widths[i];
			break;
		}
		if (rv != CAIRN_ERANGE)
			break;
	}
	return rv;
}

cairn_err
crn_fixed_encode(const crn_fixed_params *p, unsigned bits, const double *x,
    void *out, uint64_t *clipped)
{
	uint64_t nclip = 0;
	u128 m, bound;
	cairn_err rv;

	if ((rv = fixed_bound(p, bits, &m, &bound, false)) != CAIRN_OK)
		return rv;
	for (size_t i = 0; i < p->dim; i++) {
		double v = x[i];

		if (isnan(v)) {
			crn_log_err("element %zu is NaN", i);
			return CAIRN_EINVAL;
		}
		if (v > p->clip) {
			v = p->clip;
			nclip++;
		} else if (v < -p->clip) {
			v = -p->clip;
			nclip++;
		}
		/*
		 * Exact scaling, then rounding; round() is monotone, so
		 * |round(v * 2^f)| <= round(clip * 2^f) = M and the sum of
		 * n_max such values stays inside the ring checked above.
		 */
		ring_put(
		    out, i, bits, (i128)round(ldexp(v, (int)p->frac_bits)));
	}
	if (clipped != NULL)
		*clipped = nclip;
	return CAIRN_OK;
}

cairn_err
crn_fixed_decode(
    const crn_fixed_params *p, unsigned bits, const void *sum, double *out)
{
	u128 m, bound;
	cairn_err rv;

	if ((rv = fixed_bound(p, bits, &m, &bound, false)) != CAIRN_OK)
		return rv;
	for (size_t i = 0; i < p->dim; i++) {
		i128 s;

		if ((rv = crn_ring_get_signed(sum, i, bits, &s)) != CAIRN_OK)
			return rv;
		/* bound < 2^127, so it converts to i128 unchanged. */
		if (s > (i128)bound || s < -(i128)bound) {
			crn_log_err(
			    "element %zu of the sum is outside the bound of %u parties: corrupt sum or too many parties",
			    i, p->n_max);
			return CAIRN_ERANGE;
		}
		out[i] = ldexp((double)s, -(int)p->frac_bits);
	}
	return CAIRN_OK;
}
