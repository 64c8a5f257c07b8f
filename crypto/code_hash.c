/*
 * code_hash.c — SHA-256 of a program's exact bytes (code_hash.h).
 */
#include <sodium.h>

#include "crypto/code_hash.h"

_Static_assert(
    crypto_hash_sha256_BYTES == CRN_CODE_HASH_LEN, "SHA-256 is 32 bytes");

void
crn_code_sha256(uint8_t out[CRN_CODE_HASH_LEN], const uint8_t *p, size_t n)
{
	static const uint8_t none[1];

	(void)crypto_hash_sha256(out, p != NULL ? p : none, n);
}
