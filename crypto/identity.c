/*
 * identity.c — Ed25519 identity keys: generation, PKCS#8 files, signing.
 *
 * Signing and verification use libsodium.  Key files are PKCS#8 PEM written
 * through OpenSSL so that the certificate code (and the openssl tool) read
 * the same file.  The secret half of a key lives in sodium_malloc memory.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <sodium.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "base/crn.h"
#include "base/file.h"
#include "crypto/crypto.h"

/* A PKCS#8 PEM Ed25519 key is about 120 bytes; anything far larger is not
 * one of ours, and reading it whole would let a bad file exhaust memory. */
#define CRN_KEYFILE_MAX 16384

struct crn_identity {
	uint8_t pk[CAIRN_SIGN_PK_LEN];
	/* libsodium's 64-byte secret key (seed || pk), in secure memory. */
	uint8_t *sk;
};

/*
 * Key files are never encrypted; without this callback OpenSSL would prompt
 * on the terminal for a passphrase when handed an encrypted key, and a
 * library must never do that.
 */
static int
crn_no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

/* Log and drop OpenSSL's error queue so a stale entry never confuses a
 * later caller. */
static void
crn_ossl_drain(const char *what)
{
	unsigned long e;
	char buf[256];

	while ((e = ERR_get_error()) != 0) {
		ERR_error_string_n(e, buf, sizeof(buf));
		crn_log_debug("%s: %s", what, buf);
	}
}

cairn_err
crn_identity_from_seed(
    crn_identity **out, const uint8_t seed[CAIRN_SIGN_SEED_LEN])
{
	crn_identity *id = NULL;
	cairn_err rv = CAIRN_EINTERNAL;

	*out = NULL;
	if ((id = crn_zalloc(sizeof(*id))) == NULL) {
		rv = CAIRN_ENOMEM;
		goto out;
	}
	if ((id->sk = crn_secure_alloc(crypto_sign_SECRETKEYBYTES)) == NULL) {
		rv = CAIRN_ENOMEM;
		goto out;
	}
	if (crypto_sign_seed_keypair(id->pk, id->sk, seed) != 0) {
		rv = CAIRN_ECRYPTO;
		goto out;
	}
	*out = id;
	id = NULL;
	rv = CAIRN_OK;
out:
	crn_identity_free(id);
	return rv;
}

cairn_err
crn_identity_generate(crn_identity **out)
{
	uint8_t seed[CAIRN_SIGN_SEED_LEN];
	cairn_err rv;

	crn_random_bytes(seed, sizeof(seed));
	rv = crn_identity_from_seed(out, seed);
	cairn_memzero(seed, sizeof(seed));
	return rv;
}

void
crn_identity_free(crn_identity *id)
{
	if (id == NULL)
		return;
	/* sodium_free wipes the region before unmapping it. */
	crn_secure_free(id->sk);
	crn_freezero(id, sizeof(*id));
}

void
crn_identity_public(const crn_identity *id, uint8_t pk[CAIRN_SIGN_PK_LEN])
{
	memcpy(pk, id->pk, CAIRN_SIGN_PK_LEN);
}

void
crn_identity_seed(const crn_identity *id, uint8_t seed[CAIRN_SIGN_SEED_LEN])
{
	crypto_sign_ed25519_sk_to_seed(seed, id->sk);
}

cairn_err
crn_identity_sign(const crn_identity *id, const void *msg, size_t len,
    uint8_t sig[CAIRN_SIG_LEN])
{
	if (crypto_sign_detached(sig, NULL, msg, len, id->sk) != 0)
		return CAIRN_ECRYPTO;
	return CAIRN_OK;
}

cairn_err
crn_sign_verify(const uint8_t pk[CAIRN_SIGN_PK_LEN], const void *msg,
    size_t len, const uint8_t sig[CAIRN_SIG_LEN])
{
	if (crypto_sign_verify_detached(sig, msg, len, pk) != 0)
		return CAIRN_EAUTH;
	return CAIRN_OK;
}

void
crn_fingerprint(
    const uint8_t pk[CAIRN_SIGN_PK_LEN], char out[CAIRN_FINGERPRINT_LEN])
{
	uint8_t h[crypto_hash_sha256_BYTES];
	char b64[sodium_base64_ENCODED_LEN(crypto_hash_sha256_BYTES,
	    sodium_base64_VARIANT_ORIGINAL_NO_PADDING)];

	crypto_hash_sha256(h, pk, CAIRN_SIGN_PK_LEN);
	sodium_bin2base64(b64, sizeof(b64), h, sizeof(h),
	    sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
	memcpy(out, "SHA256:", 7);
	memcpy(out + 7, b64, sizeof(b64)); /* includes the NUL */
}

/* Write all of buf to fd, retrying short writes and EINTR. */
static cairn_err
crn_write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			crn_log_err("write: %s", strerror(errno));
			return CAIRN_ESYS;
		}
		p += n;
		len -= (size_t)n;
	}
	return CAIRN_OK;
}

cairn_err
crn_identity_save(const crn_identity *id, const char *path)
{
	uint8_t seed[CAIRN_SIGN_SEED_LEN];
	EVP_PKEY *pkey = NULL;
	BIO *bio = NULL;
	char *pem = NULL;
	long pemlen;
	int fd = -1;
	cairn_err rv = CAIRN_EINTERNAL;

	crn_identity_seed(id, seed);
	pkey = EVP_PKEY_new_raw_private_key(
	    EVP_PKEY_ED25519, NULL, seed, sizeof(seed));
	if (pkey == NULL) {
		crn_ossl_drain("EVP_PKEY_new_raw_private_key");
		rv = CAIRN_ECRYPTO;
		goto out;
	}
	/* PEM_write_bio_PrivateKey emits PKCS#8 ("BEGIN PRIVATE KEY"). */
	if ((bio = BIO_new(BIO_s_secmem())) == NULL ||
	    PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0, NULL, NULL) !=
	        1) {
		crn_ossl_drain("PEM_write_bio_PrivateKey");
		rv = CAIRN_ECRYPTO;
		goto out;
	}
	pemlen = BIO_get_mem_data(bio, &pem);
	if (pemlen <= 0) {
		rv = CAIRN_ECRYPTO;
		goto out;
	}
	/*
	 * O_EXCL: never replace an existing key (an operator who loses a key
	 * by accident loses an identity).  O_NOFOLLOW: a planted symlink must
	 * not redirect the key elsewhere.
	 */
	fd = open(
	    path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		if (errno == EEXIST) {
			crn_log_err("refusing to overwrite %s", path);
			rv = CAIRN_EPERM;
		} else if (errno == ENOENT) {
			rv = CAIRN_ENOENT;
		} else {
			crn_log_err("open %s: %s", path, strerror(errno));
			rv = CAIRN_ESYS;
		}
		goto out;
	}
	/* The umask can only clear bits, but be explicit about the mode. */
	if (fchmod(fd, 0600) != 0) {
		crn_log_err("fchmod %s: %s", path, strerror(errno));
		rv = CAIRN_ESYS;
		goto out;
	}
	if ((rv = crn_write_all(fd, pem, (size_t)pemlen)) != CAIRN_OK)
		goto out;
	if (fsync(fd) != 0) {
		crn_log_err("fsync %s: %s", path, strerror(errno));
		rv = CAIRN_ESYS;
		goto out;
	}
	rv = CAIRN_OK;
out:
	if (fd >= 0) {
		if (close(fd) != 0 && rv == CAIRN_OK) {
			crn_log_err("close %s: %s", path, strerror(errno));
			rv = CAIRN_ESYS;
		}
		/* Do not leave a half-written key behind. */
		if (rv != CAIRN_OK)
			(void)unlink(path);
	}
	BIO_free(bio); /* secure-heap BIO: wiped on free */
	EVP_PKEY_free(pkey);
	cairn_memzero(seed, sizeof(seed));
	return rv;
}

/* The user name of uid into buf, or "uid N" when it has none. */
static void
user_name(uid_t uid, char *buf, size_t len)
{
	char tmp[4096];
	struct passwd pw, *res = NULL;

	if (getpwuid_r(uid, &pw, tmp, sizeof(tmp), &res) == 0 && res != NULL)
		snprintf(buf, len, "%s", pw.pw_name);
	else
		snprintf(buf, len, "uid %u", (unsigned)uid);
}

/*
 * OpenSSH's rule for private keys (sshkey_perm_ok, and the ownership check
 * of its secure_filename): the file belongs to the user who runs us and
 * nobody else can read or write it.  A key owned by another user could be
 * read or replaced by that user, so its mode alone proves nothing.
 */
static cairn_err
keyfile_stat_ok(const struct stat *st, const char *path, char *why, size_t len)
{
	char owner[64], me[64];
	uid_t uid = geteuid();

	if (!S_ISREG(st->st_mode)) {
		snprintf(why, len, "%s is not a regular file", path);
		return CAIRN_EINVAL;
	}
	if (st->st_uid != uid) {
		user_name(st->st_uid, owner, sizeof(owner));
		user_name(uid, me, sizeof(me));
		snprintf(why, len,
		    "%s belongs to %s, not to %s who runs cairn; refusing another user's key (run 'chown %s %s' as root, or run cairn as %s)",
		    path, owner, me, me, path, owner);
		return CAIRN_EPERM;
	}
	if ((st->st_mode & (S_IRWXG | S_IRWXO)) != 0) {
		snprintf(why, len,
		    "%s has mode %03o, readable or writable by group or others; refusing to use it (run 'chmod 600 %s'; if others may have read it, replace the key)",
		    path, (unsigned)(st->st_mode & 0777), path);
		return CAIRN_EPERM;
	}
	return CAIRN_OK;
}

cairn_err
crn_keyfile_check(const char *path, char *why, size_t len)
{
	struct stat st;

	if (stat(path, &st) != 0) {
		snprintf(why, len, "%s: %s", path, strerror(errno));
		return errno == ENOENT ? CAIRN_ENOENT : CAIRN_ESYS;
	}
	return keyfile_stat_ok(&st, path, why, len);
}

cairn_err
crn_identity_load(crn_identity **out, const char *path)
{
	char why[1024];
	uint8_t seed[CAIRN_SIGN_SEED_LEN];
	size_t seedlen = sizeof(seed);
	struct stat st;
	EVP_PKEY *pkey = NULL;
	BIO *bio = NULL;
	uint8_t *buf = NULL;
	size_t bufsize = 0, len = 0;
	int fd = -1;
	cairn_err rv = CAIRN_EINTERNAL;

	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		if (errno == ENOENT) {
			rv = CAIRN_ENOENT;
		} else if (errno == EACCES) {
			rv = CAIRN_EPERM;
		} else {
			crn_log_err("open %s: %s", path, strerror(errno));
			rv = CAIRN_ESYS;
		}
		goto out;
	}
	/* fstat on the opened descriptor: no window between check and use. */
	if (fstat(fd, &st) != 0) {
		crn_log_err("fstat %s: %s", path, strerror(errno));
		rv = CAIRN_ESYS;
		goto out;
	}
	if ((rv = keyfile_stat_ok(&st, path, why, sizeof(why))) != CAIRN_OK) {
		if (rv == CAIRN_EPERM)
			crn_log_err("%s", why);
		goto out;
	}
	if (st.st_size <= 0 || st.st_size > CRN_KEYFILE_MAX) {
		rv = CAIRN_EINVAL;
		goto out;
	}
	bufsize = (size_t)st.st_size;
	if ((buf = crn_alloc(bufsize)) == NULL) {
		rv = CAIRN_ENOMEM;
		goto out;
	}
	if ((rv = crn_fd_read_all(fd, path, buf, bufsize, &len)) != CAIRN_OK)
		goto out;
	if ((bio = BIO_new_mem_buf(buf, (int)len)) == NULL) {
		rv = CAIRN_ENOMEM;
		goto out;
	}
	pkey = PEM_read_bio_PrivateKey(bio, NULL, crn_no_passphrase, NULL);
	if (pkey == NULL || EVP_PKEY_get_id(pkey) != EVP_PKEY_ED25519) {
		crn_ossl_drain("PEM_read_bio_PrivateKey");
		crn_log_err("%s is not an Ed25519 private key", path);
		rv = CAIRN_EINVAL;
		goto out;
	}
	if (EVP_PKEY_get_raw_private_key(pkey, seed, &seedlen) != 1 ||
	    seedlen != sizeof(seed)) {
		crn_ossl_drain("EVP_PKEY_get_raw_private_key");
		rv = CAIRN_EINVAL;
		goto out;
	}
	rv = crn_identity_from_seed(out, seed);
out:
	if (fd >= 0)
		(void)close(fd);
	BIO_free(bio);
	EVP_PKEY_free(pkey);
	crn_freezero(buf, bufsize);
	cairn_memzero(seed, sizeof(seed));
	ERR_clear_error();
	return rv;
}
