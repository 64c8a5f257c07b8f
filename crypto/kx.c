/*
 * kx.c — X25519 key agreement (libsodium) and the HKDF-SHA256 key
 * derivation (OpenSSL 3 EVP_KDF) that turns shared secrets into keys bound
 * to one session and one purpose.
 */
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <sodium.h>

#include "base/crn.h"
#include "crypto/crypto.h"

/* RFC 5869: HKDF-Expand produces at most 255 hash blocks. */
#define CRN_HKDF_MAX_OUT (255u * 32u)
/*
 * OpenSSL 3.0 caps the HKDF info at 1024 bytes; the KDF's info adds a
 * 9-byte prefix, a NUL and 8 context bytes to the purpose.
 */
#define CRN_KDF_INFO_MAX 1024u
#define CRN_KDF_PREFIX   "cairn/v1/"

void
crn_kx_keypair_from_seed(crn_kx_keypair *kp, const uint8_t seed[CAIRN_SEED_LEN])
{
	memcpy(kp->sk, seed, CAIRN_KX_SK_LEN);
	/*
	 * Clamp as RFC 7748 section 5 decodes scalars, so the stored secret
	 * key is exactly the scalar used and other X25519 implementations
	 * agree with it.
	 */
	kp->sk[0] &= 248;
	kp->sk[31] &= 127;
	kp->sk[31] |= 64;
	/*
	 * With a clamped scalar the base-point product is never the
	 * identity, so libsodium cannot fail here: a failure is our bug.
	 */
	if (crypto_scalarmult_base(kp->pk, kp->sk) != 0)
		crn_panic(__FILE__, __LINE__, "crypto_scalarmult_base");
}

cairn_err
crn_kx_agree(uint8_t shared[CAIRN_KEY_LEN], const uint8_t sk[CAIRN_KX_SK_LEN],
    const uint8_t peer_pk[CAIRN_KX_PK_LEN])
{
	/*
	 * libsodium returns -1 when the result is all zero, which happens
	 * exactly when the peer sent a point of small order: the "shared"
	 * secret would then be known to everyone (RFC 7748 section 6.1).
	 */
	if (crypto_scalarmult(shared, sk, peer_pk) != 0) {
		cairn_memzero(shared, CAIRN_KEY_LEN);
		crn_log_debug("X25519 with a low-order public key refused");
		return CAIRN_EAUTH;
	}
	return CAIRN_OK;
}

cairn_err
crn_hkdf_sha256(uint8_t *out, size_t outlen, const uint8_t *salt,
    size_t saltlen, const uint8_t *ikm, size_t ikmlen, const uint8_t *info,
    size_t infolen)
{
	EVP_KDF *kdf = NULL;
	EVP_KDF_CTX *ctx = NULL;
	OSSL_PARAM params[5];
	size_t np = 0;
	cairn_err rv = CAIRN_EINTERNAL;

	if (out == NULL || outlen == 0 || outlen > CRN_HKDF_MAX_OUT ||
	    ikm == NULL || ikmlen == 0 || (salt == NULL && saltlen != 0) ||
	    (info == NULL && infolen != 0) || infolen > CRN_KDF_INFO_MAX) {
		rv = CAIRN_EINVAL;
		goto out;
	}
	if ((kdf = EVP_KDF_fetch(NULL, OSSL_KDF_NAME_HKDF, NULL)) == NULL ||
	    (ctx = EVP_KDF_CTX_new(kdf)) == NULL) {
		crn_log_debug("EVP_KDF_fetch(HKDF): %lu", ERR_get_error());
		rv = CAIRN_ECRYPTO;
		goto out;
	}
	/*
	 * OSSL_PARAM wants non-const pointers but only reads through them.
	 * An empty salt or info is left out: HKDF then uses HashLen zero
	 * bytes as salt, which RFC 5869 defines as the same thing.
	 */
	params[np++] = OSSL_PARAM_construct_utf8_string(
	    OSSL_KDF_PARAM_DIGEST, (char *)(uintptr_t) "SHA256", 0);
	params[np++] = OSSL_PARAM_construct_octet_string(
	    OSSL_KDF_PARAM_KEY, (void *)(uintptr_t)ikm, ikmlen);
	if (saltlen > 0)
		params[np++] = OSSL_PARAM_construct_octet_string(
		    OSSL_KDF_PARAM_SALT, (void *)(uintptr_t)salt, saltlen);
	if (infolen > 0)
		params[np++] = OSSL_PARAM_construct_octet_string(
		    OSSL_KDF_PARAM_INFO, (void *)(uintptr_t)info, infolen);
	params[np] = OSSL_PARAM_construct_end();
	if (EVP_KDF_derive(ctx, out, outlen, params) != 1) {
		crn_log_debug("EVP_KDF_derive: %lu", ERR_get_error());
		cairn_memzero(out, outlen);
		rv = CAIRN_ECRYPTO;
		goto out;
	}
	rv = CAIRN_OK;
out:
	/* EVP_KDF_CTX_free wipes the key material the context copied. */
	EVP_KDF_CTX_free(ctx);
	EVP_KDF_free(kdf);
	return rv;
}

cairn_err
crn_kdf(uint8_t *out, size_t outlen, const uint8_t *ikm, size_t ikmlen,
    const uint8_t session_id[CAIRN_SESSION_ID_LEN], const char *purpose,
    uint64_t context)
{
	uint8_t info[CRN_KDF_INFO_MAX];
	size_t plen, pre = sizeof(CRN_KDF_PREFIX) - 1, n = 0;
	cairn_err rv = CAIRN_EINTERNAL;

	if (session_id == NULL || purpose == NULL) {
		rv = CAIRN_EINVAL;
		goto out;
	}
	plen = strlen(purpose);
	if (plen == 0 || pre + plen + 1 + 8 > sizeof(info)) {
		rv = CAIRN_EINVAL;
		goto out;
	}
	/*
	 * info = "cairn/v1/" || purpose || 0x00 || u64be(context).  The NUL
	 * ends the purpose, so no (purpose, context) pair can be written
	 * the same as another one.
	 */
	memcpy(info, CRN_KDF_PREFIX, pre);
	n = pre;
	memcpy(info + n, purpose, plen);
	n += plen;
	info[n++] = 0;
	for (int i = 7; i >= 0; i--)
		info[n++] = (uint8_t)(context >> (8 * i));
	rv = crn_hkdf_sha256(out, outlen, session_id, CAIRN_SESSION_ID_LEN, ikm,
	    ikmlen, info, n);
out:
	/* The context can be a round or share index: not secret, but cheap. */
	cairn_memzero(info, n);
	return rv;
}
