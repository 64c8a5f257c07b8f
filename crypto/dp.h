/*
 * dp.h — an exact sampler for the discrete Gaussian distribution, the
 * noise nodes add to their vectors before masking (distributed discrete
 * Gaussian, Kairouz, Liu and Steinke 2021).
 *
 * The algorithm is the one of Canonne, Kamath and Steinke (NeurIPS 2020):
 * Bernoulli(exp(-gamma)) trials with gamma an exact rational, a discrete
 * Laplace proposal built from them, and rejection to the discrete
 * Gaussian.  Every step is integer arithmetic (up to 256-bit products); no
 * floating point is used, so the attack of Mironov (2012) on floating-point
 * Laplace noise, whose low bits reveal the true value, has nothing to act
 * on: every output integer is reachable and has exactly its probability.
 *
 * The variance parameter is an integer sigma2 >= 0 (sigma^2 in the units of
 * the vector; callers round up).  Output X has
 *     P(X = x) = exp(-x^2 / (2 sigma2)) / sum_y exp(-y^2 / (2 sigma2)).
 * One departure, far below any other error in the system: a proposal whose
 * acceptance probability is below exp(-4096), or whose discrete-Laplace
 * geometric part would exceed 2^20 draws, is rejected outright instead of
 * tried; the total variation this introduces is below 2^-5000.
 *
 * Randomness comes from a byte source the caller supplies (crn_dp_rng):
 * the OS CSPRNG in the daemons, a seeded crn_drbg (ChaCha20) for
 * reproducible tests.  The sampler is a rejection sampler: its running
 * time depends on the sample.  It runs on the node before anything is
 * sent, so only the node's own wall-clock time depends on it.
 */
#ifndef CRN_CRYPTO_DP_H
#define CRN_CRYPTO_DP_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "crypto/crypto.h"

/* Largest sigma2 the sampler takes: 2^120 (sigma about 1.15e18). */
#define CRN_DP_SIGMA2_MAX (((unsigned __int128)1) << 120)

#define CRN_DP_RNG_BUF 4096

/* A byte source: fill buf with n random bytes. */
typedef void (*crn_dp_fill_fn)(void *ctx, uint8_t *buf, size_t n);

/*
 * A buffered random source for the sampler.  Caller-owned storage; not
 * thread safe (one per thread).  crn_dp_rng_fini wipes the buffer and, for
 * a seeded source, the DRBG.
 */
typedef struct crn_dp_rng {
	crn_dp_fill_fn fill;
	void *ctx;
	crn_drbg drbg; /* the seeded source's state */
	size_t pos;    /* next unused byte of buf */
	uint64_t pool; /* unused random bits */
	unsigned nbits;
	uint8_t buf[CRN_DP_RNG_BUF];
} crn_dp_rng;

/* A source that calls fill(ctx, ...) for its bytes (borrowed). */
void crn_dp_rng_init(crn_dp_rng *r, crn_dp_fill_fn fill, void *ctx);
/* What daemons use: a ChaCha20 DRBG (crn_drbg, fast key erasure) keyed
 * with 32 bytes from the OS CSPRNG (libsodium randombytes). */
void crn_dp_rng_init_os(crn_dp_rng *r);
/* Every byte straight from the OS CSPRNG (slower; for comparison). */
void crn_dp_rng_init_os_direct(crn_dp_rng *r);
/* A reproducible ChaCha20 stream from seed (crn_drbg). */
void crn_dp_rng_init_seeded(crn_dp_rng *r, const uint8_t seed[CAIRN_SEED_LEN]);
void crn_dp_rng_fini(crn_dp_rng *r);

/*
 * One draw from the discrete Gaussian with variance parameter sigma2
 * (sigma2 = 0 gives 0).  CAIRN_EINVAL when sigma2 > CRN_DP_SIGMA2_MAX.
 */
CAIRN_NODISCARD cairn_err crn_dp_gauss(
    crn_dp_rng *r, unsigned __int128 sigma2, __int128 *out);

/* Bernoulli(exp(-num/den)) for 64-bit num, den > 0: 1 or 0.  Exposed for
 * tests. */
int crn_dp_bern_exp(crn_dp_rng *r, uint64_t num, uint64_t den);

/* floor(sqrt(x)). */
uint64_t crn_dp_isqrt(unsigned __int128 x);

#endif /* CRN_CRYPTO_DP_H */
