/*
 * secret.c — library start-up, OS randomness, secret memory and
 * constant-time comparison, all on libsodium.
 */
#include <string.h>

#include <sodium.h>
#include <openssl/crypto.h>

#include "base/crn.h"
#include "crypto/crypto.h"

cairn_err
crn_crypto_init(void)
{
	if (sodium_init() < 0) {
		crn_log_err("sodium_init failed");
		return CAIRN_ECRYPTO;
	}
	if (OPENSSL_init_crypto(0, NULL) != 1) {
		crn_log_err("OPENSSL_init_crypto failed");
		return CAIRN_ECRYPTO;
	}
	return CAIRN_OK;
}

void
crn_random_bytes(void *buf, size_t n)
{
	randombytes_buf(buf, n);
}

bool
crn_ct_eq(const void *a, const void *b, size_t n)
{
	return sodium_memcmp(a, b, n) == 0;
}

void *
crn_secure_alloc(size_t n)
{
	return sodium_malloc(n);
}

void
crn_secure_free(void *p)
{
	sodium_free(p);
}

/*
 * The DRBG is ChaCha20 (IETF) keyed by the seed; each call draws a fresh
 * block run under a new 96-bit nonce built from the call counter, so no
 * keystream byte is ever handed out twice.  After every call the key is
 * replaced by 32 bytes of its own keystream under a nonce no output call
 * uses ("fast key erasure"): a copy of the state taken later cannot
 * regenerate anything already drawn (a node's self-mask seed, its mask
 * key), so the seed need not be kept, and is not.
 */
void
crn_drbg_init(crn_drbg *d, const uint8_t seed[CAIRN_SEED_LEN])
{
	memcpy(d->key, seed, CAIRN_SEED_LEN);
	d->counter = 0;
}

void
crn_drbg_bytes(crn_drbg *d, void *buf, size_t n)
{
	uint8_t nonce[crypto_stream_chacha20_ietf_NONCEBYTES] = {0};
	uint8_t next[CAIRN_SEED_LEN];
	uint64_t c = d->counter++;

	for (size_t i = 0; i < 8; i++)
		nonce[i] = (uint8_t)(c >> (8 * i));
	/* ChaCha20-IETF has a 32-bit block counter: 256 GiB per call. */
	crypto_stream_chacha20_ietf(buf, n, nonce, d->key);
	nonce[sizeof(nonce) - 1] = 0x80; /* the rekey nonce of this call */
	crypto_stream_chacha20_ietf(next, sizeof(next), nonce, d->key);
	memcpy(d->key, next, sizeof(next));
	sodium_memzero(next, sizeof(next));
}

uint64_t
crn_drbg_uniform(crn_drbg *d, uint64_t bound)
{
	uint64_t r, min;

	CAIRN_ASSERT(bound > 0);
	/* Rejection sampling: 2^64 mod bound values are biased; skip them. */
	min = (0 - bound) % bound;
	do {
		crn_drbg_bytes(d, &r, sizeof(r));
	} while (r < min);
	return r % bound;
}

void
crn_drbg_fini(crn_drbg *d)
{
	cairn_memzero(d, sizeof(*d));
}
