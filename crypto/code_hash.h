/*
 * code_hash.h — SHA-256 of a researcher's program: the identity under
 * which node operators approve code (core/lua/code.h).
 */
#ifndef CRN_CRYPTO_CODE_HASH_H
#define CRN_CRYPTO_CODE_HASH_H

#include <stddef.h>
#include <stdint.h>

#define CRN_CODE_HASH_LEN 32

/* out = SHA-256(p[0..n)), through libsodium.  p may be NULL when n is 0. */
void crn_code_sha256(
    uint8_t out[CRN_CODE_HASH_LEN], const uint8_t *p, size_t n);

#endif /* CRN_CRYPTO_CODE_HASH_H */
