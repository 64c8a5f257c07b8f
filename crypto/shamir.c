/*
 * shamir.c — Shamir t-of-n sharing of 32-byte secrets over GF(2^61 - 1).
 *
 * The Mersenne prime makes reduction two shifts and an add, and a product
 * of two field elements fits a 128-bit integer, so the whole field is a
 * handful of inline functions.  Splitting evaluates five polynomials (one
 * per chunk) at each x by Horner's rule, the five running in the same loop
 * so that their independent multiplications overlap.  Combining computes
 * the Lagrange coefficients at 0 with one inversion for the whole holder
 * set (Montgomery's batch trick).
 */
#include <string.h>

#include "base/crn.h"
#include "crypto/shamir.h"

#define GF_P ((UINT64_C(1) << 61) - 1)

__extension__ typedef unsigned __int128 crn_u128;

/* Bytes of each chunk of the secret: four of 7 bytes, then 4. */
static const unsigned chunk_len[CRN_SHAMIR_CHUNKS] = {7, 7, 7, 7, 4};

/*
 * Reduce a value below 2^125 to [0, p).  With v = hi * 2^61 + lo and
 * 2^61 = 1 (mod p), v = hi + lo; for the inputs here hi + lo < 2p, so one
 * conditional subtraction finishes.
 */
/*
 * r - p when r >= p, else r, for r < 2p, without a branch on r: shares and
 * secrets pass through here, so the time must not depend on them.  Since
 * p < 2^61, r - p wraps to a value with the top bit set exactly when
 * r < p, and that bit becomes the mask that adds p back.
 */
static inline uint64_t
gf_csub(uint64_t r)
{
	uint64_t t = r - GF_P;

	return t + ((0 - (t >> 63)) & GF_P);
}

static inline uint64_t
gf_reduce(crn_u128 v)
{
	uint64_t r = (uint64_t)(v & GF_P) + (uint64_t)(v >> 61);

	r = (r & GF_P) + (r >> 61);
	return gf_csub(r);
}

static inline uint64_t
gf_mul(uint64_t a, uint64_t b)
{
	return gf_reduce((crn_u128)a * b);
}

static inline uint64_t
gf_add(uint64_t a, uint64_t b)
{
	return gf_csub(a + b);
}

static inline uint64_t
gf_sub(uint64_t a, uint64_t b)
{
	uint64_t t = a - b; /* wraps, top bit set, exactly when a < b */

	return t + ((0 - (t >> 63)) & GF_P);
}

/* a^(p-2) = a^-1 for a != 0 (Fermat). */
static uint64_t
gf_inv(uint64_t a)
{
	uint64_t r = 1, e = GF_P - 2;

	while (e != 0) {
		if (e & 1)
			r = gf_mul(r, a);
		a = gf_mul(a, a);
		e >>= 1;
	}
	return r;
}

static uint64_t
load_be(const uint8_t *p, unsigned len)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < len; i++)
		v = (v << 8) | p[i];
	return v;
}

static void
store_be(uint8_t *p, uint64_t v, unsigned len)
{
	for (unsigned i = len; i-- > 0;) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

/*
 * Uniform field elements: 61 random bits are uniform on [0, 2^61) and only
 * the single value 2^61 - 1 = p falls outside the field; redraw it.
 */
static void
gf_random(uint64_t *out, size_t n, crn_drbg *rng)
{
	crn_drbg_bytes(rng, out, n * sizeof(*out));
	for (size_t i = 0; i < n; i++) {
		out[i] &= GF_P;
		while (out[i] == GF_P) {
			crn_drbg_bytes(rng, &out[i], sizeof(out[i]));
			out[i] &= GF_P;
		}
	}
}

/* One share at x of the polynomials with constant terms s and higher
 * coefficients poly (t - 1 of them per chunk). */
static void
share_at(crn_shamir_share *out, uint32_t x, const uint64_t *poly, uint32_t t,
    const uint64_t s[CRN_SHAMIR_CHUNKS])
{
	uint64_t acc[CRN_SHAMIR_CHUNKS] = {0};

	/*
	 * Horner with lazy reduction: x < 2^16 and acc < 2^63, so acc * x <
	 * 2^79, and folding it once leaves less than 2^61 + 2^18; adding a
	 * coefficient keeps acc < 2^63.
	 */
	for (size_t j = t - 1; j-- > 0;) {
		const uint64_t *a = poly + j * CRN_SHAMIR_CHUNKS;

		for (unsigned c = 0; c < CRN_SHAMIR_CHUNKS; c++) {
			crn_u128 m = (crn_u128)acc[c] * x;

			acc[c] = (uint64_t)(m & GF_P) + (uint64_t)(m >> 61) +
			    a[c];
		}
	}
	out->x = x;
	for (unsigned c = 0; c < CRN_SHAMIR_CHUNKS; c++)
		out->y[c] = gf_add(gf_reduce((crn_u128)acc[c] * x), s[c]);
	cairn_memzero(acc, sizeof(acc));
}

cairn_err
crn_shamir_split_at(crn_shamir_share *shares, const uint32_t *xs,
    uint32_t count, uint32_t t, const uint8_t secret[CRN_SHAMIR_SECRET_LEN],
    crn_drbg *rng)
{
	uint64_t *poly = NULL; /* [j * CHUNKS + c]: x^(j+1), chunk c */
	uint64_t s[CRN_SHAMIR_CHUNKS];
	size_t npoly = 0, off = 0;
	cairn_err rv = CAIRN_EINTERNAL;

	if (shares == NULL || xs == NULL || secret == NULL || rng == NULL ||
	    t == 0 || t > CRN_SHAMIR_MAX_N) {
		rv = CAIRN_EINVAL;
		goto out;
	}
	for (uint32_t i = 0; i < count; i++)
		if (xs[i] == 0 || xs[i] > CRN_SHAMIR_MAX_N) {
			rv = CAIRN_EINVAL;
			goto out;
		}
	for (unsigned c = 0; c < CRN_SHAMIR_CHUNKS; c++) {
		s[c] = load_be(secret + off, chunk_len[c]);
		off += chunk_len[c];
	}
	npoly = (size_t)(t - 1) * CRN_SHAMIR_CHUNKS;
	if (npoly > 0) {
		if ((poly = crn_alloc(npoly * sizeof(*poly))) == NULL) {
			rv = CAIRN_ENOMEM;
			goto out;
		}
		gf_random(poly, npoly, rng);
	}
	for (uint32_t i = 0; i < count; i++)
		share_at(&shares[i], xs[i], poly, t, s);
	rv = CAIRN_OK;
out:
	cairn_memzero(s, sizeof(s));
	crn_freezero(poly, npoly * sizeof(*poly));
	return rv;
}

cairn_err
crn_shamir_split(crn_shamir_share *shares, uint32_t n, uint32_t t,
    const uint8_t secret[CRN_SHAMIR_SECRET_LEN], crn_drbg *rng)
{
	uint32_t *xs;
	cairn_err rv;

	if (shares == NULL || t == 0 || t > n || n > CRN_SHAMIR_MAX_N)
		return CAIRN_EINVAL;
	if ((xs = crn_alloc((size_t)n * sizeof(*xs))) == NULL)
		return CAIRN_ENOMEM;
	for (uint32_t x = 1; x <= n; x++)
		xs[x - 1] = x;
	rv = crn_shamir_split_at(shares, xs, n, t, secret, rng);
	crn_free(xs, (size_t)n * sizeof(*xs));
	return rv;
}

cairn_err
crn_shamir_lagrange(uint64_t *coef, const uint32_t *xs, uint32_t t)
{
	uint8_t seen[(CRN_SHAMIR_MAX_N + 1) / 8];
	uint64_t *prefix = NULL, all, inv;
	cairn_err rv = CAIRN_EINTERNAL;

	if (coef == NULL || xs == NULL || t == 0) {
		rv = CAIRN_EINVAL;
		goto out;
	}
	memset(seen, 0, sizeof(seen));
	for (uint32_t i = 0; i < t; i++) {
		uint32_t x = xs[i];

		if (x == 0 || x > CRN_SHAMIR_MAX_N ||
		    (seen[x / 8] & (1u << (x % 8))) != 0) {
			rv = CAIRN_EINVAL;
			goto out;
		}
		seen[x / 8] |= (uint8_t)(1u << (x % 8));
	}
	if ((prefix = crn_alloc((size_t)t * sizeof(*prefix))) == NULL) {
		rv = CAIRN_ENOMEM;
		goto out;
	}
	/*
	 * coef_i = prod_{j != i} x_j / (x_j - x_i)
	 *        = (prod_j x_j) / (x_i * prod_{j != i} (x_j - x_i)).
	 * The denominators d_i go into coef; all of them are inverted at
	 * once: invert the product of all, then peel off one factor at a
	 * time from the back using the prefix products.
	 */
	all = 1;
	for (uint32_t i = 0; i < t; i++) {
		uint64_t d = xs[i];

		for (uint32_t j = 0; j < t; j++) {
			if (j != i)
				d = gf_mul(d, gf_sub(xs[j], xs[i]));
		}
		coef[i] = d;
		all = gf_mul(all, xs[i]);
		prefix[i] = i == 0 ? d : gf_mul(prefix[i - 1], d);
	}
	inv = gf_inv(prefix[t - 1]);
	for (uint32_t i = t; i-- > 0;) {
		/* inv = 1 / (d_0 ... d_i) here, so 1 / d_i is inv times
		 * the product of the ones before it. */
		uint64_t d = coef[i];
		uint64_t inv_d = i == 0 ? inv : gf_mul(inv, prefix[i - 1]);

		coef[i] = gf_mul(all, inv_d);
		inv = gf_mul(inv, d);
	}
	rv = CAIRN_OK;
out:
	crn_free(prefix, (size_t)t * sizeof(*prefix));
	return rv;
}

cairn_err
crn_shamir_combine_with(uint8_t secret[CRN_SHAMIR_SECRET_LEN],
    const crn_shamir_share *shares, const uint64_t *coef, uint32_t t)
{
	uint64_t s[CRN_SHAMIR_CHUNKS] = {0};
	uint8_t buf[CRN_SHAMIR_SECRET_LEN];
	size_t off = 0;
	cairn_err rv = CAIRN_EINTERNAL;

	if (secret == NULL || shares == NULL || coef == NULL || t == 0) {
		rv = CAIRN_EINVAL;
		goto out;
	}
	for (uint32_t i = 0; i < t; i++) {
		if (coef[i] >= GF_P) {
			rv = CAIRN_EINVAL;
			goto out;
		}
		for (unsigned c = 0; c < CRN_SHAMIR_CHUNKS; c++) {
			if (shares[i].y[c] >= GF_P) {
				rv = CAIRN_EINVAL;
				goto out;
			}
			s[c] = gf_add(s[c], gf_mul(coef[i], shares[i].y[c]));
		}
	}
	/*
	 * A chunk that does not fit its byte width cannot come from a real
	 * secret: the shares were inconsistent (corrupted or mixed up).  The
	 * check runs on every chunk so that its timing does not depend on
	 * which one failed.
	 */
	rv = CAIRN_OK;
	for (unsigned c = 0; c < CRN_SHAMIR_CHUNKS; c++) {
		if ((s[c] >> (8 * chunk_len[c])) != 0)
			rv = CAIRN_EAUTH;
		store_be(buf + off, s[c], chunk_len[c]);
		off += chunk_len[c];
	}
	if (rv == CAIRN_OK)
		memcpy(secret, buf, sizeof(buf));
out:
	cairn_memzero(s, sizeof(s));
	cairn_memzero(buf, sizeof(buf));
	return rv;
}

cairn_err
crn_shamir_combine(uint8_t secret[CRN_SHAMIR_SECRET_LEN],
    const crn_shamir_share *shares, uint32_t count, uint32_t t)
{
	uint32_t *xs = NULL;
	uint64_t *coef = NULL;
	cairn_err rv = CAIRN_EINTERNAL;

	if (secret == NULL || shares == NULL || t == 0 || count < t ||
	    t > CRN_SHAMIR_MAX_N) {
		rv = CAIRN_EINVAL;
		goto out;
	}
	xs = crn_alloc((size_t)t * sizeof(*xs));
	coef = crn_alloc((size_t)t * sizeof(*coef));
	if (xs == NULL || coef == NULL) {
		rv = CAIRN_ENOMEM;
		goto out;
	}
	for (uint32_t i = 0; i < t; i++)
		xs[i] = shares[i].x;
	if ((rv = crn_shamir_lagrange(coef, xs, t)) != CAIRN_OK)
		goto out;
	rv = crn_shamir_combine_with(secret, shares, coef, t);
out:
	crn_free(xs, (size_t)t * sizeof(*xs));
	crn_free(coef, (size_t)t * sizeof(*coef));
	return rv;
}

void
crn_shamir_share_encode(
    uint8_t out[CRN_SHAMIR_SHARE_LEN], const crn_shamir_share *s)
{
	store_be(out, s->x, 4);
	for (unsigned c = 0; c < CRN_SHAMIR_CHUNKS; c++)
		store_be(out + 4 + 8 * c, s->y[c], 8);
}

cairn_err
crn_shamir_share_decode(
    crn_shamir_share *s, const uint8_t in[CRN_SHAMIR_SHARE_LEN])
{
	crn_shamir_share tmp;
	cairn_err rv = CAIRN_EINVAL;
	uint64_t bad = 0;

	tmp.x = (uint32_t)load_be(in, 4);
	if (tmp.x == 0 || tmp.x > CRN_SHAMIR_MAX_N)
		goto out;
	/* x is public; the y values are secret, so check them all without
	 * stopping at the first bad one. */
	for (unsigned c = 0; c < CRN_SHAMIR_CHUNKS; c++) {
		tmp.y[c] = load_be(in + 4 + 8 * c, 8);
		/* y >= p = 2^61 - 1 exactly when y or y + 1 has a bit at
		 * 2^61 or above (the first catches y + 1 wrapping to 0). */
		bad |= (tmp.y[c] >> 61) | ((tmp.y[c] + 1) >> 61);
	}
	if (bad != 0)
		goto out;
	*s = tmp;
	rv = CAIRN_OK;
out:
	cairn_memzero(&tmp, sizeof(tmp));
	return rv;
}
