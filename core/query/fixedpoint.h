/*
 * fixedpoint.h — ring widths and the fixed-point codec for real vectors.
 *
 * Secure aggregation adds vectors in the ring Z_{2^bits}, bits = 32, 64 or
 * 128, with elements stored as uint32_t, uint64_t or unsigned __int128
 * (the layout crypto/prg.h uses).  A signed value v is the element
 * v mod 2^bits (two's complement), so a sum is exact as long as the true
 * sum satisfies |sum| < 2^(bits-1); nothing here lets a sum wrap silently.
 *
 * Real numbers use a binary scale: x is stored as round(x * 2^frac_bits).
 * A power of two keeps the scaling itself exact in double precision
 * (ldexp only moves the exponent), so the only error of a round trip is
 * the rounding to the nearest multiple of 2^-frac_bits, at most
 * 2^-(frac_bits+1) per value, and decoding a sum divides exactly.  (SQL
 * columns keep their decimal 10^scale units; see plan.h.)
 *
 * Thread safety: all functions are reentrant.
 */
#ifndef CRN_QUERY_FIXEDPOINT_H
#define CRN_QUERY_FIXEDPOINT_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

/* ---- ring widths and exact integers ------------------------------------- */

/*
 * The smallest supported width (32, 64 or 128) whose ring holds every sum
 * with |sum| <= bound, i.e. bound < 2^(bits-1), where bound is the 128-bit
 * number hi * 2^64 + lo.  CAIRN_ERANGE (and a log line) when even 128 bits
 * cannot (bound >= 2^127); *bits is untouched on error.
 */
CAIRN_NODISCARD cairn_err crn_ring_bits_for(
    uint64_t max_abs_sum_hi, uint64_t max_abs_sum_lo, unsigned *bits);

/*
 * As crn_ring_bits_for for a sum of `terms` values each of absolute value
 * at most max_abs_term (the product is computed exactly in 128 bits).
 */
CAIRN_NODISCARD cairn_err crn_ring_bits_for_terms(
    uint64_t max_abs_term, uint64_t terms, unsigned *bits);

/* Bytes per element for bits = 32, 64, 128; 0 for any other width. */
size_t crn_ring_elem_size(unsigned bits);

/* The two's-complement (signed) value of a ring element. */
int32_t crn_ring_signed32(uint32_t v);
int64_t crn_ring_signed64(uint64_t v);
__int128 crn_ring_signed128(unsigned __int128 v);

/*
 * Element i of a ring vector as a signed 128-bit integer (sign-extended
 * from bits).  bits must be 32, 64 or 128 (CAIRN_EINVAL otherwise).
 */
CAIRN_NODISCARD cairn_err crn_ring_get_signed(
    const void *vec, size_t i, unsigned bits, __int128 *out);

/* Longest decimal text of a signed 128-bit integer, with '-' and NUL. */
#define CRN_I128_STRLEN 41

/*
 * Write v in decimal ("-170141183460469231731687303715884105728" for the
 * minimum) into buf, NUL-terminated.  CAIRN_ETOOBIG when len is too small
 * (buf then holds "" if len > 0).  crn_u128_format does the same for an
 * unsigned value.
 */
CAIRN_NODISCARD cairn_err crn_i128_format(__int128 v, char *buf, size_t len);
CAIRN_NODISCARD cairn_err crn_u128_format(
    unsigned __int128 v, char *buf, size_t len);

/* ---- the fixed-point codec --------------------------------------------- */

/*
 * frac_bits: the scale is 2^frac_bits (0..200).
 * clip:      values are clipped to [-clip, clip] before scaling (> 0,
 *            finite; clip * 2^frac_bits must be at least 0.5).
 * n_max:     the most parties whose vectors are ever added (>= 1).
 * dim:       elements per vector (what encode and decode process).
 * Every coordinate of a sum is then bounded by n_max * M with
 * M = round(clip * 2^frac_bits), which the ring must hold.
 */
typedef struct crn_fixed_params {
	unsigned frac_bits;
	double clip;
	uint32_t n_max;
	size_t dim;
} crn_fixed_params;

/*
 * Whether sums under p fit a ring of `bits`: CAIRN_OK, CAIRN_EINVAL for
 * bad parameters or width, CAIRN_ERANGE (with a crn_log_err line giving
 * the bits needed) when n_max * M >= 2^(bits-1).
 */
CAIRN_NODISCARD cairn_err crn_fixed_check(
    const crn_fixed_params *p, unsigned bits);

/* The smallest ring width for which crn_fixed_check passes. */
CAIRN_NODISCARD cairn_err crn_fixed_bits(
    const crn_fixed_params *p, unsigned *bits);

/*
 * Encode p->dim doubles from x into the ring vector out (p->dim elements of
 * `bits`): clip to [-clip, clip] (infinities too), scale by 2^frac_bits,
 * round to nearest (ties away from zero), reduce to two's complement.
 * *clipped (may be NULL) receives how many values were clipped.
 * Errors: whatever crn_fixed_check returns (checked first, so a ring that
 * could wrap is refused before any data is touched), CAIRN_EINVAL for a
 * NaN input.  On error out's contents are unspecified and should be
 * discarded.
 */
CAIRN_NODISCARD cairn_err crn_fixed_encode(const crn_fixed_params *p,
    unsigned bits, const double *x, void *out, uint64_t *clipped);

/*
 * Decode a ring vector holding the sum of at most p->n_max encoded vectors
 * back to doubles: two's-complement value divided by 2^frac_bits (values
 * above 2^53 lose precision in the double; use crn_ring_get_signed and
 * crn_i128_format for the exact sums).  CAIRN_ERANGE when some element lies
 * outside +-n_max * M, which no honest sum can: the sum is corrupt or has
 * more parties than n_max.  Other errors as crn_fixed_check.  On error
 * out's contents are unspecified.
 */
CAIRN_NODISCARD cairn_err crn_fixed_decode(
    const crn_fixed_params *p, unsigned bits, const void *sum, double *out);

#endif /* CRN_QUERY_FIXEDPOINT_H */
