/*
 * tls.c — TLS 1.3 channels on OpenSSL 3 (see crn_tls.h).
 *
 * OpenSSL reads and writes the socket through a BIO of ours rather than
 * its socket BIO, for three reasons: send() with MSG_NOSIGNAL (a peer
 * that goes away must not raise SIGPIPE in a library), a byte budget
 * before the handshake completes, and a look at the first bytes a client
 * sends, so that a ClientHello claiming more than CRN_TLS_HELLO_MAX bytes
 * is refused before OpenSSL allocates room for it (OpenSSL would accept
 * up to 128 KiB and zero the buffer at once).
 *
 * The peer's certificate is handed to the caller's verify function from
 * OpenSSL's certificate-verification hook, which replaces OpenSSL's own
 * chain building: the verify function (crn_cert_store_verify underneath)
 * is the single place where federation certificates are judged.  OpenSSL
 * still checks the handshake signature (CertificateVerify) against the
 * key of that same certificate, which proves the peer holds its key.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "base/crn.h"
#include "crypto/tls.h"

/* TLS record header (5) + handshake header (4): what we check of the
 * first ClientHello before OpenSSL sees it. */
#define TLS_SNIFF_LEN    9
#define TLS_GROUP_X25519 0x001d

struct crn_tls_ctx {
	SSL_CTX *ssl;
	BIO_METHOD *bio;
	bool server;
	crn_tls_verify_fn verify;
	void *arg;
};

struct crn_tls {
	crn_tls_ctx *ctx;
	SSL *ssl;
	int fd;
	short want;
	bool done;         /* handshake complete, peer accepted */
	bool peer_ok;      /* the verify function accepted the peer */
	bool limit;        /* a pre-authentication limit was hit (why says) */
	bool alerted;      /* the peer sent a fatal alert: it refused us */
	cairn_err verdict; /* the verify function's refusal */
	int sys_errno;
	size_t preauth_in;
	uint8_t sniff[TLS_SNIFF_LEN];
	size_t sniffed;
	crn_cert_info peer;
	char why[CRN_TLS_WHY_LEN];
};

/* Drop OpenSSL's error queue, logging it at debug level. */
static void
tls_drain(const char *what)
{
	unsigned long e;
	char buf[256];

	while ((e = ERR_get_error()) != 0) {
		ERR_error_string_n(e, buf, sizeof(buf));
		crn_log_debug("%s: %s", what, buf);
	}
}

static void tls_why(crn_tls *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Record why the channel failed; the first reason wins. */
static void
tls_why(crn_tls *t, const char *fmt, ...)
{
	va_list ap;

	if (t->why[0] != '\0')
		return;
	va_start(ap, fmt);
	vsnprintf(t->why, sizeof(t->why), fmt, ap);
	va_end(ap);
}

/* ---- the socket BIO --------------------------------------------------- */

/* Whether the first bytes of a client's stream can open a ClientHello of
 * at most CRN_TLS_HELLO_MAX bytes carried in one record. */
static bool
tls_sniff_ok(crn_tls *t)
{
	const uint8_t *s = t->sniff;
	size_t n = t->sniffed;
	uint32_t hl;

	if ((n > 0 && s[0] != 0x16) || (n > 1 && s[1] != 0x03) ||
	    (n > 5 && s[5] != 0x01)) {
		tls_why(t, "not a TLS client (no ClientHello)");
		return false;
	}
	if (n >= 5 && ((uint32_t)s[3] << 8 | s[4]) < 4) {
		tls_why(t, "not a TLS client (ClientHello split oddly)");
		return false;
	}
	if (n < TLS_SNIFF_LEN)
		return true;
	hl = (uint32_t)s[6] << 16 | (uint32_t)s[7] << 8 | s[8];
	if (hl > CRN_TLS_HELLO_MAX) {
		tls_why(t, "ClientHello of %u bytes refused (limit %d)", hl,
		    CRN_TLS_HELLO_MAX);
		return false;
	}
	return true;
}

/* Bytes read before the handshake completed: count and check them. */
static bool
tls_preauth_ok(crn_tls *t, const uint8_t *p, size_t n)
{
	t->preauth_in += n;
	if (t->preauth_in > CRN_TLS_PREAUTH_MAX) {
		tls_why(t, "more than %d bytes before the handshake completed",
		    CRN_TLS_PREAUTH_MAX);
		return false;
	}
	if (!t->ctx->server || t->sniffed == TLS_SNIFF_LEN)
		return true;
	while (t->sniffed < TLS_SNIFF_LEN && n > 0) {
		t->sniff[t->sniffed++] = *p++;
		n--;
	}
	return tls_sniff_ok(t);
}

static int
tls_bio_read(BIO *b, char *buf, int len)
{
	crn_tls *t = BIO_get_data(b);
	ssize_t n;

	BIO_clear_retry_flags(b);
	if (len <= 0)
		return 0;
	do {
		n = recv(t->fd, buf, (size_t)len, 0);
	} while (n < 0 && errno == EINTR);
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			BIO_set_retry_read(b);
			return -1;
		}
		t->sys_errno = errno;
		return -1;
	}
	if (n > 0 && !t->done &&
	    !tls_preauth_ok(t, (uint8_t *)buf, (size_t)n)) {
		t->limit = true;
		return -1;
	}
	return (int)n;
}

static int
tls_bio_write(BIO *b, const char *buf, int len)
{
	crn_tls *t = BIO_get_data(b);
	ssize_t n;

	BIO_clear_retry_flags(b);
	if (len <= 0)
		return 0;
	do {
		n = send(t->fd, buf, (size_t)len, MSG_NOSIGNAL);
	} while (n < 0 && errno == EINTR);
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			BIO_set_retry_write(b);
			return -1;
		}
		t->sys_errno = errno;
		return -1;
	}
	return (int)n;
}

static long
tls_bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	(void)b;
	(void)num;
	(void)ptr;
	/* send() has no buffer of ours to flush; nothing else applies. */
	return cmd == BIO_CTRL_FLUSH ? 1 : 0;
}

static int
tls_bio_create(BIO *b)
{
	BIO_set_init(b, 1);
	return 1;
}

static cairn_err
tls_bio_method(crn_tls_ctx *c)
{
	int type = BIO_get_new_index();

	if (type == -1 ||
	    (c->bio = BIO_meth_new(
	         type | BIO_TYPE_SOURCE_SINK, "cairn socket")) == NULL ||
	    BIO_meth_set_read(c->bio, tls_bio_read) != 1 ||
	    BIO_meth_set_write(c->bio, tls_bio_write) != 1 ||
	    BIO_meth_set_ctrl(c->bio, tls_bio_ctrl) != 1 ||
	    BIO_meth_set_create(c->bio, tls_bio_create) != 1) {
		tls_drain("BIO_meth_new");
		return CAIRN_ECRYPTO;
	}
	return CAIRN_OK;
}

/* ---- OpenSSL callbacks ------------------------------------------------ */

static crn_tls *
tls_of(const SSL *s)
{
	return s == NULL ? NULL : SSL_get_app_data(s);
}

/* An X.509 verification error for the alert the peer gets. */
static int
tls_x509_err(cairn_err rv)
{
	switch (rv) {
	case CAIRN_EREVOKED: return X509_V_ERR_CERT_REVOKED;
	case CAIRN_EEXPIRED: return X509_V_ERR_CERT_HAS_EXPIRED;
	case CAIRN_ENOTYET: return X509_V_ERR_CERT_NOT_YET_VALID;
	case CAIRN_EUNKNOWNCA:
		return X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY;
	default: return X509_V_ERR_CERT_REJECTED;
	}
}

/* Replaces OpenSSL's chain verification: the caller judges the leaf. */
static int
tls_cert_cb(X509_STORE_CTX *xs, void *arg)
{
	crn_tls_ctx *c = arg;
	SSL *s = X509_STORE_CTX_get_ex_data(
	    xs, SSL_get_ex_data_X509_STORE_CTX_idx());
	crn_tls *t = tls_of(s);
	X509 *x = X509_STORE_CTX_get0_cert(xs);
	unsigned char *der = NULL;
	crn_cert_info info, claim;
	cairn_err rv = CAIRN_EAUTH;
	int n = -1;

	if (t == NULL || x == NULL || (n = i2d_X509(x, &der)) <= 0)
		goto out;
	rv = c->verify(c->arg, der, (size_t)n, &info);
	if (rv == CAIRN_OK) {
		t->peer = info;
		t->peer_ok = true;
		goto out;
	}
	/* What the certificate claims, for the log only (the name
	 * checker escapes nothing: it refuses odd names). */
	if (crn_cert_inspect(der, (size_t)n, &claim) != CAIRN_OK ||
	    !crn_cert_name_valid(claim.name))
		snprintf(claim.name, sizeof(claim.name), "?");
	tls_why(t, "certificate of '%s' refused: %s", claim.name,
	    rv == CAIRN_EPERM ? "not the peer name accepted here"
	                      : cairn_strerror(rv));
	t->verdict = rv;
out:
	OPENSSL_free(der);
	if (rv != CAIRN_OK) {
		X509_STORE_CTX_set_error(xs, tls_x509_err(rv));
		return 0;
	}
	return 1;
}

/* A ClientHello must carry an X25519 key share: then the server never
 * asks again (HelloRetryRequest) and the first hello is the only one. */
static int
tls_hello_cb(SSL *s, int *al, void *arg)
{
	const unsigned char *p;
	size_t len, l, kl;
	crn_tls *t = tls_of(s);

	(void)arg;
	if (SSL_client_hello_get0_ext(s, TLSEXT_TYPE_key_share, &p, &len) !=
	        1 ||
	    len < 2)
		goto bad;
	l = (size_t)p[0] << 8 | p[1];
	if (l + 2 != len)
		goto bad;
	for (p += 2; l >= 4; p += 4 + kl, l -= 4 + kl) {
		kl = (size_t)p[2] << 8 | p[3];
		if (kl + 4 > l)
			break;
		if (((unsigned)p[0] << 8 | p[1]) == TLS_GROUP_X25519 &&
		    kl == 32)
			return SSL_CLIENT_HELLO_SUCCESS;
	}
bad:
	if (t != NULL) {
		tls_why(t, "ClientHello without an X25519 key share");
		t->limit = true;
	}
	*al = SSL_AD_HANDSHAKE_FAILURE;
	return SSL_CLIENT_HELLO_ERROR;
}

/* Note a fatal alert from the peer: it refused us, and says why. */
static void
tls_info_cb(const SSL *s, int where, int ret)
{
	crn_tls *t = tls_of(s);

	if (t == NULL || !(where & SSL_CB_READ_ALERT) ||
	    (ret >> 8) != SSL3_AL_FATAL)
		return;
	t->alerted = true;
	tls_why(t, "the peer refused the connection (TLS alert: %s)",
	    SSL_alert_desc_string_long(ret));
}

/* ---- contexts --------------------------------------------------------- */

/* Protocol, algorithms and limits: the same for both sides. */
static cairn_err
tls_ctx_policy(crn_tls_ctx *c)
{
	SSL_CTX *s = c->ssl;

	if (SSL_CTX_set_min_proto_version(s, TLS1_3_VERSION) != 1 ||
	    SSL_CTX_set_max_proto_version(s, TLS1_3_VERSION) != 1 ||
	    SSL_CTX_set_ciphersuites(s,
	        "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256") != 1 ||
	    SSL_CTX_set1_groups_list(s, "X25519") != 1 ||
	    SSL_CTX_set1_sigalgs_list(s, "ed25519") != 1 ||
	    SSL_CTX_set_num_tickets(s, 0) != 1) {
		tls_drain("SSL_CTX policy");
		return CAIRN_ECRYPTO;
	}
	SSL_CTX_set_options(s,
	    SSL_OP_NO_TICKET | SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
	SSL_CTX_set_session_cache_mode(s, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_mode(s,
	    SSL_MODE_ENABLE_PARTIAL_WRITE |
	        SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
	SSL_CTX_set_max_cert_list(s, CRN_TLS_CERT_LIST_MAX);
	SSL_CTX_set_verify(
	    s, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	SSL_CTX_set_cert_verify_callback(s, tls_cert_cb, c);
	SSL_CTX_set_info_callback(s, tls_info_cb);
	if (c->server)
		SSL_CTX_set_client_hello_cb(s, tls_hello_cb, NULL);
	return CAIRN_OK;
}

/* Our certificate and key. */
static cairn_err
tls_ctx_identity(crn_tls_ctx *c, const crn_identity *id, const uint8_t *cert,
    size_t cert_len)
{
	uint8_t seed[CAIRN_SIGN_SEED_LEN];
	const unsigned char *p = cert;
	EVP_PKEY *pk = NULL;
	X509 *x = NULL;
	cairn_err rv = CAIRN_EINTERNAL;

	if (cert_len > CRN_CERT_MAX_LEN ||
	    (x = d2i_X509(NULL, &p, (long)cert_len)) == NULL ||
	    p != cert + cert_len) {
		rv = CAIRN_EINVAL;
		goto out;
	}
	crn_identity_seed(id, seed);
	pk = EVP_PKEY_new_raw_private_key(
	    EVP_PKEY_ED25519, NULL, seed, sizeof(seed));
	if (pk == NULL) {
		rv = CAIRN_ECRYPTO;
		goto out;
	}
	if (SSL_CTX_use_certificate(c->ssl, x) != 1 ||
	    SSL_CTX_use_PrivateKey(c->ssl, pk) != 1 ||
	    SSL_CTX_check_private_key(c->ssl) != 1) {
		crn_log_err("TLS: our certificate is not for our key");
		rv = CAIRN_EINVAL;
		goto out;
	}
	rv = CAIRN_OK;
out:
	cairn_memzero(seed, sizeof(seed));
	tls_drain("TLS identity");
	EVP_PKEY_free(pk);
	X509_free(x);
	return rv;
}

cairn_err
crn_tls_ctx_new(crn_tls_ctx **out, bool server, const crn_identity *id,
    const uint8_t *cert, size_t cert_len, crn_tls_verify_fn verify, void *arg)
{
	crn_tls_ctx *c = NULL;
	cairn_err rv = CAIRN_EINTERNAL;

	*out = NULL;
	if (id == NULL || cert == NULL || cert_len == 0 || verify == NULL) {
		rv = CAIRN_EINVAL;
		goto out;
	}
	if ((c = crn_zalloc(sizeof(*c))) == NULL) {
		rv = CAIRN_ENOMEM;
		goto out;
	}
	c->server = server;
	c->verify = verify;
	c->arg = arg;
	if ((c->ssl = SSL_CTX_new(TLS_method())) == NULL) {
		tls_drain("SSL_CTX_new");
		rv = CAIRN_ENOMEM;
		goto out;
	}
	if ((rv = tls_ctx_policy(c)) != CAIRN_OK ||
	    (rv = tls_ctx_identity(c, id, cert, cert_len)) != CAIRN_OK ||
	    (rv = tls_bio_method(c)) != CAIRN_OK)
		goto out;
	*out = c;
	c = NULL;
	rv = CAIRN_OK;
out:
	crn_tls_ctx_free(c);
	return rv;
}

void
crn_tls_ctx_free(crn_tls_ctx *c)
{
	if (c == NULL)
		return;
	SSL_CTX_free(c->ssl);
	BIO_meth_free(c->bio);
	crn_free(c, sizeof(*c));
}

/* ---- channels --------------------------------------------------------- */

cairn_err
crn_tls_new(crn_tls **out, crn_tls_ctx *ctx, int fd)
{
	crn_tls *t = NULL;
	BIO *b = NULL;
	cairn_err rv = CAIRN_EINTERNAL;

	*out = NULL;
	if ((t = crn_zalloc(sizeof(*t))) == NULL) {
		rv = CAIRN_ENOMEM;
		goto out;
	}
	t->ctx = ctx;
	t->fd = fd;
	t->want = POLLIN | POLLOUT;
	if ((t->ssl = SSL_new(ctx->ssl)) == NULL ||
	    (b = BIO_new(ctx->bio)) == NULL) {
		tls_drain("SSL_new");
		rv = CAIRN_ENOMEM;
		goto out;
	}
	BIO_set_data(b, t);
	SSL_set_bio(t->ssl, b, b); /* the SSL owns b now */
	SSL_set_app_data(t->ssl, t);
	if (ctx->server)
		SSL_set_accept_state(t->ssl);
	else
		SSL_set_connect_state(t->ssl);
	*out = t;
	t = NULL;
	rv = CAIRN_OK;
out:
	crn_tls_free(t);
	return rv;
}

void
crn_tls_free(crn_tls *t)
{
	if (t == NULL)
		return;
	SSL_free(t->ssl);
	crn_free(t, sizeof(*t));
}

/* After a call returned r <= 0: wait, or map the failure. */
static cairn_err
tls_result(crn_tls *t, int r)
{
	int e = SSL_get_error(t->ssl, r);
	unsigned long oe = ERR_peek_error();
	cairn_err rv = CAIRN_EPROTO;

	switch (e) {
	case SSL_ERROR_WANT_READ: t->want = POLLIN; return CAIRN_OK;
	case SSL_ERROR_WANT_WRITE: t->want = POLLOUT; return CAIRN_OK;
	case SSL_ERROR_ZERO_RETURN:
		tls_why(t, "closed by the peer");
		rv = CAIRN_ECLOSED;
		break;
	default:
		if (t->verdict != CAIRN_OK) {
			rv = t->verdict;
		} else if (t->alerted) {
			rv = CAIRN_EAUTH;
		} else if (t->limit) {
			rv = CAIRN_EPROTO;
		} else if (t->sys_errno != 0) {
			tls_why(t, "%s", strerror(t->sys_errno));
			rv = t->sys_errno == ECONNRESET || t->sys_errno == EPIPE
			    ? CAIRN_ECLOSED
			    : CAIRN_ESYS;
		} else if (oe == 0 ||
		    ERR_GET_REASON(oe) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
			tls_why(t, "the peer closed the connection");
			rv = CAIRN_ECLOSED;
		} else {
			tls_why(t, "TLS: %s", ERR_reason_error_string(oe));
		}
		break;
	}
	tls_drain("TLS");
	return rv;
}

cairn_err
crn_tls_handshake(crn_tls *t, bool *done)
{
	int r;

	*done = false;
	if (t->done) {
		*done = true;
		return CAIRN_OK;
	}
	ERR_clear_error();
	r = SSL_do_handshake(t->ssl);
	if (r != 1)
		return tls_result(t, r);
	if (!t->peer_ok) {
		/* SSL_VERIFY_FAIL_IF_NO_PEER_CERT makes this unreachable;
		 * never let an unverified peer through anyway. */
		tls_why(t, "the peer presented no certificate");
		return CAIRN_EAUTH;
	}
	t->done = true;
	t->want = 0;
	*done = true;
	return CAIRN_OK;
}

cairn_err
crn_tls_read(crn_tls *t, void *buf, size_t len, size_t *got)
{
	size_t n = 0;
	int r;

	*got = 0;
	if (!t->done)
		return CAIRN_ESTATE;
	ERR_clear_error();
	r = SSL_read_ex(t->ssl, buf, len, &n);
	if (r == 1) {
		*got = n;
		t->want = 0;
		return CAIRN_OK;
	}
	return tls_result(t, r);
}

cairn_err
crn_tls_write(crn_tls *t, const void *buf, size_t len, size_t *put)
{
	size_t n = 0;
	int r;

	*put = 0;
	if (!t->done || len == 0)
		return CAIRN_ESTATE;
	ERR_clear_error();
	r = SSL_write_ex(t->ssl, buf, len, &n);
	if (r == 1) {
		*put = n;
		t->want = 0;
		return CAIRN_OK;
	}
	return tls_result(t, r);
}

short
crn_tls_want(const crn_tls *t)
{
	return t->want;
}

bool
crn_tls_pending(const crn_tls *t)
{
	return t != NULL && t->done && SSL_pending(t->ssl) > 0;
}

const crn_cert_info *
crn_tls_peer(const crn_tls *t)
{
	return t->done ? &t->peer : NULL;
}

const char *
crn_tls_why(const crn_tls *t)
{
	return t->why;
}

void
crn_tls_close_notify(crn_tls *t)
{
	if (t == NULL || !t->done)
		return;
	ERR_clear_error();
	(void)SSL_shutdown(t->ssl);
	ERR_clear_error();
}
