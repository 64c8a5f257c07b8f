/*
 * dp.c — exact discrete Gaussian sampling.  See dp.h.
 *
 * Notation follows Canonne, Kamath and Steinke (2020), section 5:
 *   Bernoulli(exp(-g)) for g = n/d in [0, 1]: draw A_k ~ Bernoulli(g / k)
 *     for k = 1, 2, ... until one is 0; the answer is whether that k is
 *     odd.  For g > 1, floor(g) draws of Bernoulli(exp(-1)) must all be 1,
 *     then one of Bernoulli(exp(-(g - floor g))).
 *   Discrete Laplace with scale t: U uniform in [0, t), kept with
 *     probability exp(-U/t); V geometric from Bernoulli(exp(-1)); X = U +
 *     tV with a random sign, +0 and -0 not both.
 *   Discrete Gaussian with sigma^2 = s: t = floor(sigma) + 1, Y discrete
 *     Laplace(t), kept with probability exp(-(|Y| - s/t)^2 / (2s)).
 * The last exponent is the rational (|Y| t - s)^2 / (2 s t^2): with s up
 * to 2^120 its numerator and denominator need 256 bits, hence the small
 * u256 type below.  Bernoulli(n/d) compares a uniform draw in [0, d) with
 * n.
 */
#include <stdbool.h>
#include <string.h>

#include "base/crn.h"
#include "crypto/dp.h"

typedef unsigned __int128 u128;

/* Caps that only cut off events of probability below 2^-5000. */
#define GAMMA_CAP 4096u      /* exp(-4096): reject outright */
#define K_CAP     4096u      /* P(K > 4096) <= 1/4096! */
#define GEOM_CAP  (1u << 20) /* exp(-2^20) */

/* ---- the byte source ------------------------------------------------------
 */

static void
fill_os(void *ctx, uint8_t *buf, size_t n)
{
	(void)ctx;
	crn_random_bytes(buf, n);
}

static void
fill_drbg(void *ctx, uint8_t *buf, size_t n)
{
	crn_drbg_bytes(ctx, buf, n);
}

void
crn_dp_rng_init(crn_dp_rng *r, crn_dp_fill_fn fill, void *ctx)
{
	memset(r, 0, sizeof(*r));
	r->fill = fill;
	r->ctx = ctx;
	r->pos = sizeof(r->buf);
}

void
crn_dp_rng_init_os(crn_dp_rng *r)
{
	uint8_t seed[CAIRN_SEED_LEN];

	/* A ChaCha20 DRBG keyed from the OS CSPRNG, as the secure-aggregation
	 * machines draw theirs: the OS call costs about 30 ns a byte on the
	 * project's machine, ChaCha20 under 1. */
	crn_random_bytes(seed, sizeof(seed));
	crn_dp_rng_init_seeded(r, seed);
	cairn_memzero(seed, sizeof(seed));
}

void
crn_dp_rng_init_os_direct(crn_dp_rng *r)
{
	crn_dp_rng_init(r, fill_os, NULL);
}

void
crn_dp_rng_init_seeded(crn_dp_rng *r, const uint8_t seed[CAIRN_SEED_LEN])
{
	crn_dp_rng_init(r, fill_drbg, NULL);
	crn_drbg_init(&r->drbg, seed);
	r->ctx = &r->drbg;
}

void
crn_dp_rng_fini(crn_dp_rng *r)
{
	if (r->ctx == &r->drbg)
		crn_drbg_fini(&r->drbg);
	cairn_memzero(r, sizeof(*r));
}

static uint64_t
rand64(crn_dp_rng *r)
{
	uint64_t x;

	if (r->pos + sizeof(x) > sizeof(r->buf)) {
		r->fill(r->ctx, r->buf, sizeof(r->buf));
		r->pos = 0;
	}
	memcpy(&x, r->buf + r->pos, sizeof(x));
	r->pos += sizeof(x);
	return x;
}

/* k random bits, 1 <= k <= 64, from a 64-bit pool: most draws need a few
 * bits only (Bernoulli trials with small denominators). */
static uint64_t
rand_bits(crn_dp_rng *r, unsigned k)
{
	uint64_t x;

	if (k == 64)
		return rand64(r);
	if (k > r->nbits) {
		r->pool = rand64(r);
		r->nbits = 64;
	}
	x = r->pool & ((UINT64_C(1) << k) - 1);
	r->pool >>= k;
	r->nbits -= k;
	return x;
}

static unsigned
bitlen64(uint64_t x)
{
	return x == 0 ? 0 : 64u - (unsigned)__builtin_clzll(x);
}

/* ---- 256-bit unsigned integers (little-endian 64-bit limbs) -------------- */

typedef struct u256 {
	uint64_t w[4];
} u256;

static u256
u256_of(u128 a)
{
	u256 r = {{(uint64_t)a, (uint64_t)(a >> 64), 0, 0}};
	return r;
}

static u256
u256_mul128(u128 a, u128 b)
{
	uint64_t x[2] = {(uint64_t)a, (uint64_t)(a >> 64)};
	uint64_t y[2] = {(uint64_t)b, (uint64_t)(b >> 64)};
	u256 r = {{0, 0, 0, 0}};

	for (int i = 0; i < 2; i++) {
		u128 carry = 0;
		for (int j = 0; j < 2; j++) {
			u128 p = (u128)x[i] * y[j] + r.w[i + j] + carry;
			r.w[i + j] = (uint64_t)p;
			carry = p >> 64;
		}
		r.w[i + 2] = (uint64_t)carry;
	}
	return r;
}

/* a * k; the caller keeps the product below 2^256. */
static u256
u256_mulsmall(u256 a, uint64_t k)
{
	u128 carry = 0;

	for (int i = 0; i < 4; i++) {
		u128 p = (u128)a.w[i] * k + carry;
		a.w[i] = (uint64_t)p;
		carry = p >> 64;
	}
	return a;
}

static int
u256_cmp(const u256 *a, const u256 *b)
{
	for (int i = 3; i >= 0; i--)
		if (a->w[i] != b->w[i])
			return a->w[i] < b->w[i] ? -1 : 1;
	return 0;
}

/* a - b for a >= b. */
static u256
u256_sub(u256 a, const u256 *b)
{
	uint64_t borrow = 0;

	for (int i = 0; i < 4; i++) {
		uint64_t bi = b->w[i] + borrow;
		uint64_t nb = (bi < borrow) || (a.w[i] < bi);
		a.w[i] -= bi;
		borrow = nb;
	}
	return a;
}

/* Uniform in [0, bound), bound > 0: draws of bitlen(bound) bits, those at
 * or above bound rejected (each kept with probability above 1/2). */
static u256
u256_uniform(crn_dp_rng *r, const u256 *bound)
{
	int top = 3;
	unsigned k;
	u256 x;

	while (top > 0 && bound->w[top] == 0)
		top--;
	k = bitlen64(bound->w[top]);
	for (;;) {
		memset(&x, 0, sizeof(x));
		for (int i = 0; i < top; i++)
			x.w[i] = rand64(r);
		x.w[top] = k == 0 ? 0 : rand_bits(r, k);
		if (u256_cmp(&x, bound) < 0)
			return x;
	}
}

static uint64_t
uniform64(crn_dp_rng *r, uint64_t bound)
{
	unsigned k = bitlen64(bound - 1);
	uint64_t x;

	if (k == 0)
		return 0;
	do
		x = rand_bits(r, k);
	while (x >= bound);
	return x;
}

/* ---- Bernoulli trials ------------------------------------------------------
 */

/* Bernoulli(exp(-n/d)) for n <= d, d > 0 and d * K_CAP < 2^256. */
static int
bern_exp_frac(crn_dp_rng *r, const u256 *n, const u256 *d)
{
	uint64_t k;

	for (k = 1; k <= K_CAP; k++) {
		u256 dk = u256_mulsmall(*d, k);
		u256 u = u256_uniform(r, &dk);
		if (u256_cmp(&u, n) >= 0)
			break;
	}
	return (int)(k & 1);
}

/* The same for 64-bit n <= d: the common case, without 256-bit draws. */
static int
bern_exp_frac64(crn_dp_rng *r, uint64_t n, uint64_t d)
{
	uint64_t k;

	for (k = 1; k <= K_CAP; k++) {
		u128 dk = (u128)d * k;
		uint64_t u;
		if (dk >> 64) {
			u256 b = u256_of(dk), nn = u256_of(n);
			u256 x = u256_uniform(r, &b);
			if (u256_cmp(&x, &nn) >= 0)
				break;
			continue;
		}
		u = uniform64(r, (uint64_t)dk);
		if (u >= n)
			break;
	}
	return (int)(k & 1);
}

static int
bern_exp_one(crn_dp_rng *r)
{
	return bern_exp_frac64(r, 1, 1);
}

/* Bernoulli(exp(-n/d)), d > 0, d * K_CAP < 2^256.  Below exp(-GAMMA_CAP):
 * 0 without drawing. */
static int
bern_exp(crn_dp_rng *r, u256 n, const u256 *d)
{
	u256 cap = u256_mulsmall(*d, GAMMA_CAP);
	unsigned q = 0;

	if (u256_cmp(&n, &cap) >= 0)
		return 0;
	while (u256_cmp(&n, d) > 0) {
		n = u256_sub(n, d);
		q++;
	}
	for (unsigned i = 0; i < q; i++)
		if (!bern_exp_one(r))
			return 0;
	return bern_exp_frac(r, &n, d);
}

static u128
uniform128(crn_dp_rng *r, u128 bound)
{
	uint64_t hi = (uint64_t)(bound >> 64);
	unsigned k = bitlen64(hi);
	u128 x;

	if (hi == 0)
		return uniform64(r, (uint64_t)bound);
	do
		x = ((u128)rand_bits(r, k) << 64) | rand64(r);
	while (x >= bound);
	return x;
}

/* bern_exp for d < 2^116 (so d * K_CAP and d * GAMMA_CAP fit in 128
 * bits): the same trials in 128-bit arithmetic. */
static int
bern_exp128(crn_dp_rng *r, u128 n, u128 d)
{
	u128 q;
	uint64_t k;

	if (n >= d * GAMMA_CAP)
		return 0;
	q = n / d;
	n -= q * d;
	for (u128 i = 0; i < q; i++)
		if (!bern_exp_one(r))
			return 0;
	for (k = 1; k <= K_CAP; k++)
		if (uniform128(r, d * k) >= n)
			break;
	return (int)(k & 1);
}

int
crn_dp_bern_exp(crn_dp_rng *r, uint64_t num, uint64_t den)
{
	u256 n = u256_of(num), d = u256_of(den);

	if (num <= den)
		return bern_exp_frac64(r, num, den);
	return bern_exp(r, n, &d);
}

/* ---- discrete Laplace and Gaussian ------------------------------------ */

/* |X| and its sign for X ~ discrete Laplace with scale t >= 1:
 * P(X = x) proportional to exp(-|x|/t). */
static void
dlap(crn_dp_rng *r, uint64_t t, u128 *mag, int *neg)
{
	for (;;) {
		uint64_t u = uniform64(r, t), v = 0;
		int sign;

		if (!bern_exp_frac64(r, u, t))
			continue;
		while (bern_exp_one(r) && v <= GEOM_CAP)
			v++;
		if (v > GEOM_CAP)
			continue;
		sign = (int)rand_bits(r, 1);
		*mag = (u128)u + (u128)t * v;
		if (sign && *mag == 0)
			continue;
		*neg = sign;
		return;
	}
}

uint64_t
crn_dp_isqrt(u128 x)
{
	uint64_t lo = 0, hi = UINT64_MAX;

	/* Largest s with s * s <= x, by bisection on 64-bit s. */
	/* Start from [2^(b/2 - 1), 2^(b/2 + 1)) for b = bitlen(x). */
	if (x > 0) {
		unsigned b = (x >> 64) ? 64 + bitlen64((uint64_t)(x >> 64))
		                       : bitlen64((uint64_t)x);
		lo = b / 2 > 0 ? UINT64_C(1) << (b / 2 - 1) : 0;
		hi = b / 2 + 1 < 64 ? (UINT64_C(1) << (b / 2 + 1)) - 1
		                    : UINT64_MAX;
	}
	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2 + 1;
		if ((u128)mid * mid <= x)
			lo = mid;
		else
			hi = mid - 1;
	}
	return lo;
}

cairn_err
crn_dp_gauss(crn_dp_rng *r, u128 sigma2, __int128 *out)
{
	uint64_t t;
	u256 den;
	u128 den128;
	bool small;

	*out = 0;
	if (sigma2 > CRN_DP_SIGMA2_MAX)
		return CAIRN_EINVAL;
	if (sigma2 == 0)
		return CAIRN_OK;
	t = crn_dp_isqrt(sigma2) + 1;
	/* den = 2 s t^2 <= 2 * 2^120 * 2^121: den * 4096 fits in 256 bits. */
	den = u256_mulsmall(u256_mul128(sigma2, (u128)t * t), 2);
	small = den.w[3] == 0 && den.w[2] == 0 && (den.w[1] >> 52) == 0;
	den128 = (u128)den.w[0] | ((u128)den.w[1] << 64);
	for (;;) {
		u128 mag, diff;
		int neg;
		u256 at, s = u256_of(sigma2), num;

		dlap(r, t, &mag, &neg);
		/* |Y| t, with |Y| < t (2^20 + 2): below 2^143. */
		at = u256_mul128(mag, t);
		if (u256_cmp(&at, &s) >= 0)
			at = u256_sub(at, &s);
		else
			at = u256_sub(s, &at);
		/* A difference of 2^128 or more makes the exponent exceed
		 * 2^256 / 2^243 > GAMMA_CAP: reject without drawing. */
		if (at.w[2] != 0 || at.w[3] != 0)
			continue;
		diff = (u128)at.w[0] | ((u128)at.w[1] << 64);
		if (small && (diff >> 64) == 0) {
			if (!bern_exp128(r, diff * diff, den128))
				continue;
		} else {
			num = u256_mul128(diff, diff);
			if (!bern_exp(r, num, &den))
				continue;
		}
		*out = neg ? -(__int128)mag : (__int128)mag;
		return CAIRN_OK;
	}
}
