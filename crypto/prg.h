/*
 * prg.h — the mask PRG: AES-128-CTR (OpenSSL EVP) expanding a 32-byte
 * seed into ring elements of 32, 64 or 128 bits, added into or subtracted
 * from a vector in one pass over cache-sized blocks.
 *
 * Seed layout: bytes 0..15 are the AES key, bytes 16..31 the initial
 * counter block.  Element i is the little-endian word at keystream offset
 * i * bits/8, so expand(seed) and add(seed) agree element for element.
 */
#ifndef CRN_CRYPTO_PRG_H
#define CRN_CRYPTO_PRG_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

/* vec holds n ring elements of `bits` (32, 64 or 128) bits, native layout
 * (uint32_t, uint64_t or unsigned __int128).  sub=0 adds, sub=1 subtracts,
 * modulo 2^bits.  CAIRN_EINVAL for another width. */
CAIRN_NODISCARD cairn_err crn_prg_add(
    void *vec, size_t n, unsigned bits, const uint8_t seed[32], int sub);
/* Write the n elements themselves (for tests). */
CAIRN_NODISCARD cairn_err crn_prg_expand(
    void *out, size_t n, unsigned bits, const uint8_t seed[32]);
/* Raw AES-128-CTR keystream of len bytes (the benchmark's baseline). */
CAIRN_NODISCARD cairn_err crn_prg_keystream(
    uint8_t *out, size_t len, const uint8_t seed[32]);

#endif /* CRN_CRYPTO_PRG_H */
