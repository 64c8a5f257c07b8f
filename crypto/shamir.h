/*
 * shamir.h — Shamir t-of-n secret sharing of 32-byte secrets.
 *
 * Field: GF(p), p = 2^61 - 1.  A 32-byte secret is cut into five chunks of
 * at most 56 bits (7 bytes; the last holds 4) and each chunk is shared with
 * its own random polynomial of degree t-1; all five use the same x.  x is
 * the holder's 1-based index, 1 <= x <= CRN_SHAMIR_MAX_N.  A reconstructed
 * chunk of 56 bits or more proves the shares were inconsistent
 * (CAIRN_EAUTH), which catches most corrupted shares.
 */
#ifndef CRN_CRYPTO_SHAMIR_H
#define CRN_CRYPTO_SHAMIR_H

#include <stdint.h>

#include "base/err.h"
#include "crypto/crypto.h"

#define CRN_SHAMIR_SECRET_LEN 32
#define CRN_SHAMIR_CHUNKS     5
#define CRN_SHAMIR_MAX_N      65535u
/* Encoded share: u32be x || 5 x u64be y. */
#define CRN_SHAMIR_SHARE_LEN (4 + 8 * CRN_SHAMIR_CHUNKS)

typedef struct crn_shamir_share {
	uint32_t x;
	uint64_t y[CRN_SHAMIR_CHUNKS];
} crn_shamir_share;

/*
 * Share secret among n holders with x = 1..n; any t reconstruct, fewer learn
 * nothing.  1 <= t <= n <= CRN_SHAMIR_MAX_N.  Randomness from rng.
 * shares must hold n entries; caller wipes them.
 */
CAIRN_NODISCARD cairn_err crn_shamir_split(crn_shamir_share *shares, uint32_t n,
    uint32_t t, const uint8_t secret[CRN_SHAMIR_SECRET_LEN], crn_drbg *rng);
/*
 * As crn_shamir_split, for the holders xs[0..count-1] only (each in
 * 1..CRN_SHAMIR_MAX_N): the same polynomial a full split would draw, so a
 * dealer computes just the shares it hands out.  CAIRN_EINVAL for t = 0
 * or above CRN_SHAMIR_MAX_N or an x out of range.
 */
CAIRN_NODISCARD cairn_err crn_shamir_split_at(crn_shamir_share *shares,
    const uint32_t *xs, uint32_t count, uint32_t t,
    const uint8_t secret[CRN_SHAMIR_SECRET_LEN], crn_drbg *rng);
/*
 * Reconstruct from count >= t shares with distinct x (uses the first t).
 * CAIRN_EINVAL for t = 0, count < t, a duplicate, zero or too large x, or
 * a y not < p; CAIRN_EAUTH if the result is not a valid secret encoding
 * (a chunk of 56 bits or more, or non-zero spare bytes in the last one).
 * secret is written only on success.
 */
CAIRN_NODISCARD cairn_err crn_shamir_combine(
    uint8_t secret[CRN_SHAMIR_SECRET_LEN], const crn_shamir_share *shares,
    uint32_t count, uint32_t t);

/*
 * Lagrange coefficients at 0 for the holders xs[0..t-1]: coef[i] is the
 * weight of the share with x = xs[i], so that a secret held by those t
 * holders is sum(coef[i] * y_i).  The coefficients depend only on the
 * holder set (they are public), so the secure-aggregation code computes
 * them once and reconstructs many secrets with crn_shamir_combine_with.
 * O(t^2) multiplications and a single field inversion.  coef holds t
 * entries.  CAIRN_EINVAL for t = 0, an x of 0 or above CRN_SHAMIR_MAX_N,
 * or a duplicate x; CAIRN_ENOMEM when scratch memory is unavailable.
 */
CAIRN_NODISCARD cairn_err crn_shamir_lagrange(
    uint64_t *coef, const uint32_t *xs, uint32_t t);
/*
 * Reconstruct a secret from shares[0..t-1] with coefficients from
 * crn_shamir_lagrange over exactly those shares' x, in the same order
 * (not checked).  CAIRN_EINVAL for t = 0 or a y or coefficient not < p;
 * CAIRN_EAUTH if the result is not a valid secret encoding.  secret is
 * written only on success.
 */
CAIRN_NODISCARD cairn_err crn_shamir_combine_with(
    uint8_t secret[CRN_SHAMIR_SECRET_LEN], const crn_shamir_share *shares,
    const uint64_t *coef, uint32_t t);

void crn_shamir_share_encode(
    uint8_t out[CRN_SHAMIR_SHARE_LEN], const crn_shamir_share *s);
/* CAIRN_EINVAL when x is 0 or above CRN_SHAMIR_MAX_N, or a y is not < p. */
CAIRN_NODISCARD cairn_err crn_shamir_share_decode(
    crn_shamir_share *s, const uint8_t in[CRN_SHAMIR_SHARE_LEN]);

#endif /* CRN_CRYPTO_SHAMIR_H */
