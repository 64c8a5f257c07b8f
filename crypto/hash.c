/*
 * hash.c — a fast keyed hash for commitments that every party checks in
 * bulk (BLAKE2b-256 through libsodium's crypto_generichash).
 */
#include <string.h>

#include <sodium.h>

#include "base/crn.h"
#include "crypto/crypto.h"

_Static_assert(CAIRN_SESSION_ID_LEN >= crypto_generichash_KEYBYTES_MIN,
    "a session id is a valid BLAKE2b key");

cairn_err
crn_hash_commit(uint8_t out[CAIRN_KEY_LEN],
    const uint8_t session_id[CAIRN_SESSION_ID_LEN], const char *purpose,
    const uint8_t *msg, size_t len)
{
	crypto_generichash_state st;
	size_t plen;

	if (out == NULL || session_id == NULL || purpose == NULL ||
	    (msg == NULL && len != 0))
		return CAIRN_EINVAL;
	plen = strlen(purpose) + 1; /* the NUL ends the purpose */
	if (crypto_generichash_init(&st, session_id, CAIRN_SESSION_ID_LEN,
	        CAIRN_KEY_LEN) != 0 ||
	    crypto_generichash_update(
	        &st, (const unsigned char *)purpose, plen) != 0 ||
	    crypto_generichash_update(&st, msg, len) != 0 ||
	    crypto_generichash_final(&st, out, CAIRN_KEY_LEN) != 0) {
		sodium_memzero(&st, sizeof(st));
		return CAIRN_ECRYPTO;
	}
	sodium_memzero(&st, sizeof(st));
	return CAIRN_OK;
}
