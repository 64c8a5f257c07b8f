/*
 * crn_shamir.h — Shamir t-of-n secret sharing of 32-byte secrets.
 *
 * Field: GF(p), p = 2^61 - 1.  A 32-byte secret is cut into five chunks of
 * at most 56 bits (7 bytes; the last holds 4) and each chunk is shared with
 * its own random polynomial of degree t-1; all five use the same x.  x is
 * the holder's 1-based index, 1 <= x <= CRN_SHAMIR_MAX_N.  A reconstructed
 * chunk of 56 bits or more proves the shares were inconsistent
 * (CAIRN_EAUTH), which catches most corrupted shares.
 */
#ifndef CRN_SHAMIR_H
#define CRN_SHAMIR_H

#include <stdint.h>

#include "cairn/err.h"
#include "crn_crypto.h"

#define CRN_SHAMIR_SECRET_LEN 32
#define CRN_SHAMIR_CHUNKS 5
#define CRN_SHAMIR_MAX_N 65535u
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
CAIRN_NODISCARD cairn_err crn_shamir_split(crn_shamir_share *shares,
    uint32_t n, uint32_t t, const uint8_t secret[CRN_SHAMIR_SECRET_LEN],
    crn_drbg *rng);
/*
 * Reconstruct from count >= t shares with distinct x (uses the first t).
 * CAIRN_EINVAL for count < t, duplicate or zero x; CAIRN_EAUTH if the
 * result is not a valid secret encoding.
 */
CAIRN_NODISCARD cairn_err crn_shamir_combine(
    uint8_t secret[CRN_SHAMIR_SECRET_LEN], const crn_shamir_share *shares,
    uint32_t count, uint32_t t);

void crn_shamir_share_encode(uint8_t out[CRN_SHAMIR_SHARE_LEN],
    const crn_shamir_share *s);
/* CAIRN_EINVAL when x is 0 or a y is not < p. */
CAIRN_NODISCARD cairn_err crn_shamir_share_decode(crn_shamir_share *s,
    const uint8_t in[CRN_SHAMIR_SHARE_LEN]);

#endif /* CRN_SHAMIR_H */
