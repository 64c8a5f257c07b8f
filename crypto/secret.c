/*
 * secret.c — library start-up, OS randomness, secret memory and
 * constant-time comparison, all on libsodium.
 */
#include <sodium.h>
#include <openssl/crypto.h>

#include "crn.h"
#include "crn_crypto.h"

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
cairn_memzero(void *p, size_t n)
{
	if (p != NULL && n > 0)
		sodium_memzero(p, n);
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
