/*
 * prg.c — the mask PRG: AES-128-CTR through OpenSSL EVP, expanded into
 * ring elements and added into a vector in one pass.
 *
 * Why it looks the way it does (measured on the project's 2-core machine,
 * see `cairn bench prg`):
 *  - The keystream is produced in blocks of CRN_PRG_BLOCK bytes (16 KiB)
 *    into a stack buffer that stays in L1/L2, and each block is added into
 *    the vector right away, so the vector is read and written exactly once
 *    and the keystream never travels to memory.
 *  - CTR mode XORs its input with the keystream, so the input must be
 *    zeros.  Encrypting from a read-only all-zero block was faster than
 *    re-zeroing the buffer before each block (a store pass) or zeroing it
 *    inside the add loop.
 *  - gcc -O2 (gcc >= 12) only vectorises loops whose trip count is a known
 *    multiple of the vector width ("very cheap" cost model).  The add loops
 *    therefore run over whole blocks with a constant element count; only
 *    the last, partial block goes through the generic loop.
 */
#include <stdatomic.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>

#include "base/crn.h"
#include "crypto/prg.h"

#define CRN_PRG_BLOCK   16384
#define CRN_PRG_KEY_LEN 16

__extension__ typedef unsigned __int128 crn_u128;

/* CTR input: the keystream is the encryption of zeros. */
static const uint8_t prg_zeros[CRN_PRG_BLOCK];

/*
 * Element loads: element i is the little-endian word at keystream offset
 * i * width.  On a little-endian host that is a plain (alias-safe) memcpy,
 * which the vectoriser turns into vector loads.
 */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define PRG_LE32(x) __builtin_bswap32(x)
#define PRG_LE64(x) __builtin_bswap64(x)
#else
#define PRG_LE32(x) (x)
#define PRG_LE64(x) (x)
#endif

static inline uint32_t
ld32(const uint8_t *p)
{
	uint32_t x;

	memcpy(&x, p, sizeof(x));
	return PRG_LE32(x);
}

static inline uint64_t
ld64(const uint8_t *p)
{
	uint64_t x;

	memcpy(&x, p, sizeof(x));
	return PRG_LE64(x);
}

static inline crn_u128
ld128(const uint8_t *p)
{
	return (crn_u128)ld64(p) | ((crn_u128)ld64(p + 8) << 64);
}

/*
 * The build targets baseline x86-64 (SSE2).  On x86-64 the whole-block
 * loops are also compiled for AVX2 and picked at load time (an ifunc):
 * measured about 8% faster expand-and-add for 64-bit elements.
 */
#if defined(__x86_64__) && defined(__has_attribute)
#if __has_attribute(target_clones)
#define PRG_CLONES __attribute__((target_clones("avx2", "default")))
#endif
#endif
#ifndef PRG_CLONES
#define PRG_CLONES
#endif

/*
 * One macro body per width and direction.  The whole-block variant has a
 * constant trip count (vectorised); the tail variant takes a count.  The
 * vector's elements are read and written through memcpy, so it may sit at
 * any alignment (a node masks its input inside a message buffer); the
 * compiler emits unaligned vector moves, which cost nothing extra here.
 */
#define PRG_LOOPS(name, type, load, op)                                        \
	PRG_CLONES static void name##_block(                                   \
	    uint8_t *restrict v, const uint8_t *restrict k)                    \
	{                                                                      \
		for (size_t i = 0; i < CRN_PRG_BLOCK / sizeof(type); i++) {    \
			type x;                                                \
                                                                               \
			memcpy(&x, v + i * sizeof(type), sizeof(type));        \
			x op load(k + i * sizeof(type));                       \
			memcpy(v + i * sizeof(type), &x, sizeof(type));        \
		}                                                              \
	}                                                                      \
	static void name##_tail(                                               \
	    uint8_t *restrict v, const uint8_t *restrict k, size_t m)          \
	{                                                                      \
		for (size_t i = 0; i < m; i++) {                               \
			type x;                                                \
                                                                               \
			memcpy(&x, v + i * sizeof(type), sizeof(type));        \
			x op load(k + i * sizeof(type));                       \
			memcpy(v + i * sizeof(type), &x, sizeof(type));        \
		}                                                              \
	}

PRG_LOOPS(add32, uint32_t, ld32, +=)
PRG_LOOPS(sub32, uint32_t, ld32, -=)
PRG_LOOPS(add64, uint64_t, ld64, +=)
PRG_LOOPS(sub64, uint64_t, ld64, -=)
PRG_LOOPS(add128, crn_u128, ld128, +=)
PRG_LOOPS(sub128, crn_u128, ld128, -=)

/*
 * EVP_aes_128_ctr() makes every EVP_EncryptInit_ex2 look the cipher up in
 * the provider store again; fetching it once halves the fixed cost of a
 * call (about 380 ns to 180 ns measured), which matters for the many short
 * masks of a SecAgg+ round.  The first caller to finish the fetch wins; a
 * racing loser frees its copy.  The cached cipher lives until exit.
 */
static _Atomic(EVP_CIPHER *) prg_cipher;

static const EVP_CIPHER *
prg_aes128ctr(void)
{
	EVP_CIPHER *c, *expected = NULL;

	c = atomic_load_explicit(&prg_cipher, memory_order_acquire);
	if (c != NULL)
		return c;
	if ((c = EVP_CIPHER_fetch(NULL, "AES-128-CTR", NULL)) == NULL) {
		ERR_clear_error();
		return EVP_aes_128_ctr();
	}
	if (!atomic_compare_exchange_strong(&prg_cipher, &expected, c)) {
		EVP_CIPHER_free(c);
		return expected;
	}
	return c;
}

static cairn_err
prg_ctx_new(EVP_CIPHER_CTX **out, const uint8_t seed[32])
{
	EVP_CIPHER_CTX *ctx;

	*out = NULL;
	if ((ctx = EVP_CIPHER_CTX_new()) == NULL)
		return CAIRN_ENOMEM;
	if (EVP_EncryptInit_ex2(ctx, prg_aes128ctr(), seed,
	        seed + CRN_PRG_KEY_LEN, NULL) != 1) {
		crn_log_debug("EVP_EncryptInit_ex2: %lu", ERR_get_error());
		EVP_CIPHER_CTX_free(ctx);
		return CAIRN_ECRYPTO;
	}
	*out = ctx;
	return CAIRN_OK;
}

/* Next len (<= CRN_PRG_BLOCK) keystream bytes into out. */
static cairn_err
prg_stream(EVP_CIPHER_CTX *ctx, uint8_t *out, size_t len)
{
	int outl = 0;

	if (EVP_EncryptUpdate(ctx, out, &outl, prg_zeros, (int)len) != 1 ||
	    (size_t)outl != len) {
		crn_log_debug("EVP_EncryptUpdate: %lu", ERR_get_error());
		return CAIRN_ECRYPTO;
	}
	return CAIRN_OK;
}

static size_t
prg_width(unsigned bits)
{
	switch (bits) {
	case 32:
	case 64:
	case 128: return bits / 8;
	default: return 0;
	}
}

cairn_err
crn_prg_keystream(uint8_t *out, size_t len, const uint8_t seed[32])
{
	EVP_CIPHER_CTX *ctx = NULL;
	cairn_err rv = CAIRN_EINTERNAL;

	if (seed == NULL || (out == NULL && len > 0)) {
		rv = CAIRN_EINVAL;
		goto out;
	}
	if (len == 0) {
		rv = CAIRN_OK;
		goto out;
	}
	if ((rv = prg_ctx_new(&ctx, seed)) != CAIRN_OK)
		goto out;
	/* Straight into the caller's buffer: no copy, no scratch. */
	for (size_t off = 0; off < len; off += CRN_PRG_BLOCK) {
		size_t m = len - off;

		if (m > CRN_PRG_BLOCK)
			m = CRN_PRG_BLOCK;

		if ((rv = prg_stream(ctx, out + off, m)) != CAIRN_OK)
			goto out;
	}
	rv = CAIRN_OK;
out:
	EVP_CIPHER_CTX_free(ctx);
	return rv;
}

cairn_err
crn_prg_expand(void *out, size_t n, unsigned bits, const uint8_t seed[32])
{
	size_t w = prg_width(bits), len;
	cairn_err rv;

	if (w == 0 || seed == NULL || (out == NULL && n > 0))
		return CAIRN_EINVAL;
	if (crn_mul_size(n, w, &len) != 0)
		return CAIRN_EINVAL;
	if ((rv = crn_prg_keystream(out, len, seed)) != CAIRN_OK)
		return rv;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	/* The keystream bytes are little-endian words; make them native. */
	for (size_t i = 0; i < n; i++) {
		uint8_t *p = (uint8_t *)out + i * w;

		if (bits == 32) {
			uint32_t x = ld32(p);
			memcpy(p, &x, 4);
		} else if (bits == 64) {
			uint64_t x = ld64(p);
			memcpy(p, &x, 8);
		} else {
			crn_u128 x = ld128(p);
			memcpy(p, &x, 16);
		}
	}
#endif
	return CAIRN_OK;
}

/* Add (or subtract) one block of m elements of keystream k into v. */
static void
prg_apply(uint8_t *v, const uint8_t *k, size_t m, unsigned bits, int sub)
{
	size_t full = CRN_PRG_BLOCK / (bits / 8);

	switch (bits) {
	case 32:
		if (m == full)
			(sub ? sub32_block : add32_block)(v, k);
		else
			(sub ? sub32_tail : add32_tail)(v, k, m);
		break;
	case 64:
		if (m == full)
			(sub ? sub64_block : add64_block)(v, k);
		else
			(sub ? sub64_tail : add64_tail)(v, k, m);
		break;
	default:
		if (m == full)
			(sub ? sub128_block : add128_block)(v, k);
		else
			(sub ? sub128_tail : add128_tail)(v, k, m);
		break;
	}
}

cairn_err
crn_prg_add(void *vec, size_t n, unsigned bits, const uint8_t seed[32], int sub)
{
	_Alignas(64) uint8_t buf[CRN_PRG_BLOCK];
	EVP_CIPHER_CTX *ctx = NULL;
	size_t w = prg_width(bits), per_block, used = 0, len;
	uint8_t *v = vec;
	cairn_err rv = CAIRN_EINTERNAL;

	if (w == 0 || seed == NULL || (vec == NULL && n > 0) ||
	    crn_mul_size(n, w, &len) != 0) {
		rv = CAIRN_EINVAL;
		goto out;
	}
	if (n == 0) {
		rv = CAIRN_OK;
		goto out;
	}
	if ((rv = prg_ctx_new(&ctx, seed)) != CAIRN_OK)
		goto out;
	per_block = CRN_PRG_BLOCK / w;
	for (size_t i = 0; i < n; i += per_block) {
		size_t m = n - i < per_block ? n - i : per_block;

		/*
		 * AES runs from L1 while the vector waits in memory: ask for
		 * the lines of this block first so that they arrive while the
		 * keystream is computed (measured 5-8% at 1M elements).
		 */
		for (size_t o = 0; o < m * w; o += 64)
			__builtin_prefetch(v + i * w + o, 1, 3);
		if ((rv = prg_stream(ctx, buf, m * w)) != CAIRN_OK)
			goto out;
		if (m * w > used)
			used = m * w;
		prg_apply(v + i * w, buf, m, bits, sub);
	}
	rv = CAIRN_OK;
out:
	/* The buffer holds mask keystream: wipe the part that was used. */
	cairn_memzero(buf, used);
	EVP_CIPHER_CTX_free(ctx);
	return rv;
}
