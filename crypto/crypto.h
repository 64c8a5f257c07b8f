/*
 * crypto.h — cairn's wrappers over libsodium and OpenSSL: randomness,
 * secret memory, identity keys (Ed25519), key agreement (X25519), the KDF
 * and authenticated encryption.  Only crypto/ includes sodium.h or the
 * OpenSSL headers; everything else uses these.
 *
 * Thread safety: all functions are safe to call concurrently on distinct
 * objects after crn_crypto_init() returned CAIRN_OK.
 */
#ifndef CRN_CRYPTO_CRYPTO_H
#define CRN_CRYPTO_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

#define CAIRN_SIGN_PK_LEN    32 /* Ed25519 public key */
#define CAIRN_SIGN_SEED_LEN  32 /* Ed25519 private seed */
#define CAIRN_SIG_LEN        64 /* Ed25519 signature */
#define CAIRN_KX_PK_LEN      32 /* X25519 public key */
#define CAIRN_KX_SK_LEN      32 /* X25519 secret key */
#define CAIRN_KEY_LEN        32 /* symmetric key */
#define CAIRN_SEED_LEN       32 /* PRG / DRBG seed */
#define CAIRN_SESSION_ID_LEN 16
#define CAIRN_AEAD_NONCE_LEN 24 /* XChaCha20-Poly1305 */
#define CAIRN_AEAD_TAG_LEN   16
#define CAIRN_AEAD_OVERHEAD  (CAIRN_AEAD_NONCE_LEN + CAIRN_AEAD_TAG_LEN)
/* "SHA256:" + 43 unpadded base64 characters + NUL, as OpenSSH prints. */
#define CAIRN_FINGERPRINT_LEN 51

/* ---- start-up, randomness, secret memory -------------------------------- */

/* Initialise libsodium and OpenSSL; idempotent. */
CAIRN_NODISCARD cairn_err crn_crypto_init(void);

/* Fill buf with n bytes from the OS CSPRNG (libsodium). */
void crn_random_bytes(void *buf, size_t n);

/* Constant-time equality of two n-byte buffers: true when equal. */
bool crn_ct_eq(const void *a, const void *b, size_t n);

/* Guarded, mlocked allocation for long-lived secrets (sodium_malloc);
 * crn_secure_free wipes and releases (NULL is fine). */
void *crn_secure_alloc(size_t n);
void crn_secure_free(void *p);

/*
 * A deterministic random bit generator: ChaCha20 keyed by a 32-byte seed,
 * rekeyed from its own output after every call (fast key erasure), so the
 * state never regenerates what it already produced.  State machines take
 * their randomness from one of these so that tests and the simulator are
 * reproducible; daemons seed it from crn_random_bytes and wipe the seed.
 * crn_drbg_fini wipes the state.
 */
typedef struct crn_drbg {
	uint8_t key[CAIRN_SEED_LEN];
	uint64_t counter;
} crn_drbg;
void crn_drbg_init(crn_drbg *d, const uint8_t seed[CAIRN_SEED_LEN]);
void crn_drbg_bytes(crn_drbg *d, void *buf, size_t n);
/* Uniform in [0, bound) without modulo bias; bound > 0. */
uint64_t crn_drbg_uniform(crn_drbg *d, uint64_t bound);
void crn_drbg_fini(crn_drbg *d);

/* ---- identity keys (Ed25519) --------------------------------------------- */

/* An Ed25519 key pair whose secret half lives in secure memory. */
typedef struct crn_identity crn_identity;

CAIRN_NODISCARD cairn_err crn_identity_generate(crn_identity **out);
CAIRN_NODISCARD cairn_err crn_identity_from_seed(
    crn_identity **out, const uint8_t seed[CAIRN_SIGN_SEED_LEN]);
/* Wipes and frees; NULL is fine. */
void crn_identity_free(crn_identity *id);

/*
 * Write the private key as PKCS#8 PEM (so OpenSSL tools and the certificate
 * code read it) with mode 0600, refusing to overwrite (CAIRN_EPERM if the
 * file exists).  crn_identity_load refuses, with CAIRN_EPERM, a file owned
 * by anyone but the effective user or readable or writable by group or
 * others (OpenSSH's rule; crn_keyfile_check says which and how to fix
 * it); CAIRN_ENOENT when missing, CAIRN_EINVAL when it is not a regular
 * file holding an Ed25519 private key.
 */
CAIRN_NODISCARD cairn_err crn_identity_save(
    const crn_identity *id, const char *path);
CAIRN_NODISCARD cairn_err crn_identity_load(
    crn_identity **out, const char *path);

/*
 * The ownership and mode rule of crn_identity_load, on path: CAIRN_OK, or
 * an error with one line in why (len bytes) naming the file, what is wrong
 * (whose it is, or its mode) and the command that fixes it (chown,
 * chmod 600).  CAIRN_EPERM for ownership or mode, CAIRN_EINVAL when it is
 * not a regular file, CAIRN_ENOENT / CAIRN_ESYS when stat fails.
 */
CAIRN_NODISCARD cairn_err crn_keyfile_check(
    const char *path, char *why, size_t len);

void crn_identity_public(const crn_identity *id, uint8_t pk[CAIRN_SIGN_PK_LEN]);
CAIRN_NODISCARD cairn_err crn_identity_sign(const crn_identity *id,
    const void *msg, size_t len, uint8_t sig[CAIRN_SIG_LEN]);
/* CAIRN_OK or CAIRN_EAUTH. */
CAIRN_NODISCARD cairn_err crn_sign_verify(const uint8_t pk[CAIRN_SIGN_PK_LEN],
    const void *msg, size_t len, const uint8_t sig[CAIRN_SIG_LEN]);
/* "SHA256:<base64>" of the public key, for display and logs. */
void crn_fingerprint(
    const uint8_t pk[CAIRN_SIGN_PK_LEN], char out[CAIRN_FINGERPRINT_LEN]);
/* Copy the 32-byte private seed (for OpenSSL key objects); caller wipes. */
void crn_identity_seed(
    const crn_identity *id, uint8_t seed[CAIRN_SIGN_SEED_LEN]);

/* ---- key agreement (X25519) and KDF (HKDF-SHA256) ------------------------ */

typedef struct crn_kx_keypair {
	uint8_t pk[CAIRN_KX_PK_LEN];
	uint8_t sk[CAIRN_KX_SK_LEN];
} crn_kx_keypair;

/* From 32 random bytes (clamped as X25519 requires).  Caller wipes kp. */
void crn_kx_keypair_from_seed(
    crn_kx_keypair *kp, const uint8_t seed[CAIRN_SEED_LEN]);
/* Raw X25519; CAIRN_EAUTH when the result is all zero (low-order peer). */
CAIRN_NODISCARD cairn_err crn_kx_agree(uint8_t shared[CAIRN_KEY_LEN],
    const uint8_t sk[CAIRN_KX_SK_LEN], const uint8_t peer_pk[CAIRN_KX_PK_LEN]);

/* Plain HKDF-SHA256 (RFC 5869), exposed for known-answer tests. */
CAIRN_NODISCARD cairn_err crn_hkdf_sha256(uint8_t *out, size_t outlen,
    const uint8_t *salt, size_t saltlen, const uint8_t *ikm, size_t ikmlen,
    const uint8_t *info, size_t infolen);
/*
 * cairn's KDF: HKDF-SHA256 with the session id as salt and
 * info = "cairn/v1/" || purpose || 0x00 || u64be(context).  Keys for one
 * session and purpose never serve another.
 */
CAIRN_NODISCARD cairn_err crn_kdf(uint8_t *out, size_t outlen,
    const uint8_t *ikm, size_t ikmlen,
    const uint8_t session_id[CAIRN_SESSION_ID_LEN], const char *purpose,
    uint64_t context);

/*
 * A commitment or digest others check in bulk: BLAKE2b-256 keyed with the
 * session id over purpose (with its NUL) || msg.  Much cheaper than crn_kdf
 * (no HMAC, no provider lookup): every node checks every participant's
 * graph-seed commitment.  CAIRN_EINVAL for NULL arguments.
 */
CAIRN_NODISCARD cairn_err crn_hash_commit(uint8_t out[CAIRN_KEY_LEN],
    const uint8_t session_id[CAIRN_SESSION_ID_LEN], const char *purpose,
    const uint8_t *msg, size_t len);

/* ---- authenticated encryption (XChaCha20-Poly1305) ----------------------- */

/*
 * out receives nonce || ciphertext || tag, ptlen + CAIRN_AEAD_OVERHEAD bytes;
 * the nonce is random.  ad may be NULL when adlen is 0.
 */
CAIRN_NODISCARD cairn_err crn_aead_seal(uint8_t *out, const uint8_t *pt,
    size_t ptlen, const uint8_t *ad, size_t adlen,
    const uint8_t key[CAIRN_KEY_LEN]);
/* As crn_aead_seal with the caller's nonce, which must never repeat under
 * one key (draw it from a DRBG or the OS). */
CAIRN_NODISCARD cairn_err crn_aead_seal_nonce(uint8_t *out, const uint8_t *pt,
    size_t ptlen, const uint8_t *ad, size_t adlen,
    const uint8_t key[CAIRN_KEY_LEN],
    const uint8_t nonce[CAIRN_AEAD_NONCE_LEN]);
/* out receives inlen - CAIRN_AEAD_OVERHEAD bytes; CAIRN_EAUTH on forgery. */
CAIRN_NODISCARD cairn_err crn_aead_open(uint8_t *out, const uint8_t *in,
    size_t inlen, const uint8_t *ad, size_t adlen,
    const uint8_t key[CAIRN_KEY_LEN]);

#endif /* CRN_CRYPTO_CRYPTO_H */
