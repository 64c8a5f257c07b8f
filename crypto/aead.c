/*
 * aead.c — authenticated encryption with libsodium's XChaCha20-Poly1305
 * (IETF).  The 24-byte nonce is random: drawn from the OS for
 * crn_aead_seal, or given by the caller for crn_aead_seal_nonce (state
 * machines take it from their own DRBG so that a run is reproducible from
 * its seed).  At that size random nonces never collide in practice.
 */
#include <string.h>

#include <sodium.h>

#include "base/crn.h"
#include "crypto/crypto.h"

_Static_assert(
    CAIRN_AEAD_NONCE_LEN == crypto_aead_xchacha20poly1305_ietf_NPUBBYTES,
    "nonce length");
_Static_assert(CAIRN_AEAD_TAG_LEN == crypto_aead_xchacha20poly1305_ietf_ABYTES,
    "tag length");
_Static_assert(
    CAIRN_KEY_LEN == crypto_aead_xchacha20poly1305_ietf_KEYBYTES, "key length");

cairn_err
crn_aead_seal_nonce(uint8_t *out, const uint8_t *pt, size_t ptlen,
    const uint8_t *ad, size_t adlen, const uint8_t key[CAIRN_KEY_LEN],
    const uint8_t nonce[CAIRN_AEAD_NONCE_LEN])
{
	unsigned long long clen = 0;

	if (out == NULL || key == NULL || nonce == NULL ||
	    (pt == NULL && ptlen != 0) || (ad == NULL && adlen != 0) ||
	    ptlen > crypto_aead_xchacha20poly1305_ietf_MESSAGEBYTES_MAX -
	            CAIRN_AEAD_OVERHEAD)
		return CAIRN_EINVAL;
	memmove(out, nonce, CAIRN_AEAD_NONCE_LEN);
	/* libsodium allows pt to overlap the ciphertext exactly, not shifted;
	 * callers never pass overlapping buffers here. */
	if (crypto_aead_xchacha20poly1305_ietf_encrypt(
	        out + CAIRN_AEAD_NONCE_LEN, &clen, pt, ptlen, ad, adlen, NULL,
	        out, key) != 0 ||
	    clen != ptlen + CAIRN_AEAD_TAG_LEN) {
		cairn_memzero(out, ptlen + CAIRN_AEAD_OVERHEAD);
		return CAIRN_ECRYPTO;
	}
	return CAIRN_OK;
}

cairn_err
crn_aead_seal(uint8_t *out, const uint8_t *pt, size_t ptlen, const uint8_t *ad,
    size_t adlen, const uint8_t key[CAIRN_KEY_LEN])
{
	uint8_t nonce[CAIRN_AEAD_NONCE_LEN];

	randombytes_buf(nonce, sizeof(nonce));
	return crn_aead_seal_nonce(out, pt, ptlen, ad, adlen, key, nonce);
}

cairn_err
crn_aead_open(uint8_t *out, const uint8_t *in, size_t inlen, const uint8_t *ad,
    size_t adlen, const uint8_t key[CAIRN_KEY_LEN])
{
	unsigned long long mlen = 0;

	if (in == NULL || key == NULL || (ad == NULL && adlen != 0))
		return CAIRN_EINVAL;
	/* Too short to hold a nonce and a tag: nothing authentic in it. */
	if (inlen < CAIRN_AEAD_OVERHEAD)
		return CAIRN_EAUTH;
	if (out == NULL && inlen > CAIRN_AEAD_OVERHEAD)
		return CAIRN_EINVAL;
	/*
	 * libsodium checks the tag before it writes any plaintext, so out is
	 * untouched on forgery; wipe anyway in case that ever changes.
	 */
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(out, &mlen, NULL,
	        in + CAIRN_AEAD_NONCE_LEN, inlen - CAIRN_AEAD_NONCE_LEN, ad,
	        adlen, in, key) != 0) {
		if (out != NULL)
			cairn_memzero(out, inlen - CAIRN_AEAD_OVERHEAD);
		return CAIRN_EAUTH;
	}
	CAIRN_ASSERT(mlen == inlen - CAIRN_AEAD_OVERHEAD);
	return CAIRN_OK;
}
