/*
 * crn_tls.h — TLS 1.3 channels between federation parties, on OpenSSL 3.
 * Only crypto/tls.c sees OpenSSL; the transport (core/transport/) owns the
 * sockets, the poll loop and the framing, and drives one crn_tls per
 * connection through the calls below.
 *
 * What a channel is:
 *   - TLS 1.3 only; key exchange X25519 only (ephemeral: forward secrecy
 *     per connection); signatures Ed25519 only; AES-128-GCM,
 *     AES-256-GCM or ChaCha20-Poly1305.  No session tickets, no
 *     resumption: every connection runs a full handshake, so every
 *     connection checks both certificates against the CA and CRL of that
 *     moment.
 *   - Both sides present their federation certificate (X.509, Ed25519 key,
 *     role in OU) and prove possession of its key in the handshake.  The
 *     peer's certificate is judged by the caller's verify function, not by
 *     OpenSSL's chain verification, so that exactly the rules of
 *     crn_cert_store_verify apply (CA, CRL, validity, subject shape, role)
 *     plus whatever the caller adds (a pinned coordinator name).
 *   - Before the handshake completes a peer can make us hold little: the
 *     server refuses a first ClientHello larger than CRN_TLS_HELLO_MAX
 *     bytes (checked on the wire, before OpenSSL allocates for it) and a
 *     ClientHello without an X25519 key share (so no HelloRetryRequest and
 *     no second hello), certificate lists are capped at
 *     CRN_TLS_CERT_LIST_MAX, and either side refuses to read more than
 *     CRN_TLS_PREAUTH_MAX bytes before the handshake is done.  OpenSSL
 *     frees its record buffers whenever they are empty
 *     (SSL_MODE_RELEASE_BUFFERS), so idle connections cost little.
 *
 * I/O: the socket is the caller's, non-blocking; tls.c reads and writes it
 * (recv/send, never SIGPIPE) through a BIO of its own and never blocks.
 * A call that cannot go on without the socket returns CAIRN_OK with no
 * progress and crn_tls_want() tells which poll events to wait for.
 *
 * Threads: a crn_tls_ctx and its channels are used by one thread at a
 * time.
 */
#ifndef CRN_CRYPTO_TLS_H
#define CRN_CRYPTO_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "crypto/cert.h"
#include "crypto/crypto.h"

/* Largest first ClientHello a server accepts (a real one is ~300 B). */
#define CRN_TLS_HELLO_MAX 8192
/* Largest certificate list either side accepts from its peer. */
#define CRN_TLS_CERT_LIST_MAX 16384
/* Bytes either side reads from its peer before the handshake is done. */
#define CRN_TLS_PREAUTH_MAX 32768

/* Room for crn_tls_why(): one line. */
#define CRN_TLS_WHY_LEN 160

typedef struct crn_tls_ctx crn_tls_ctx;
typedef struct crn_tls crn_tls;

/*
 * Judge the peer's certificate (DER, borrowed for the call).  Return
 * CAIRN_OK and fill *info to accept it; any other code refuses the
 * connection (the code is what crn_tls_why reports).  Called during the
 * handshake, at most once per connection.
 */
typedef cairn_err (*crn_tls_verify_fn)(
    void *arg, const uint8_t *der, size_t len, crn_cert_info *info);

/*
 * A context for one side: server (accepts) or client (connects).  id and
 * cert (DER) are our identity and certificate; the key is copied into
 * OpenSSL (which wipes it when the context is freed); cert is copied.
 * verify/arg judge every peer (arg is borrowed for the context's life).
 * Errors: CAIRN_EINVAL (cert is not for id's key, or does not parse),
 * CAIRN_ECRYPTO, CAIRN_ENOMEM.
 */
CAIRN_NODISCARD cairn_err crn_tls_ctx_new(crn_tls_ctx **out, bool server,
    const crn_identity *id, const uint8_t *cert, size_t cert_len,
    crn_tls_verify_fn verify, void *arg);
void crn_tls_ctx_free(crn_tls_ctx *ctx);

/*
 * A channel over the connected, non-blocking socket fd (borrowed: the
 * caller closes it after crn_tls_free).  Errors: CAIRN_ENOMEM,
 * CAIRN_ECRYPTO.
 */
CAIRN_NODISCARD cairn_err crn_tls_new(crn_tls **out, crn_tls_ctx *ctx, int fd);
/* Free the channel; sends nothing.  NULL is fine. */
void crn_tls_free(crn_tls *t);

/*
 * Go on with the handshake.  *done is true once it completed and the
 * peer's certificate was accepted (crn_tls_peer is then valid).  Errors
 * end the channel: CAIRN_EAUTH and the verify function's codes (peer
 * refused), CAIRN_EPROTO (not TLS, a limit above exceeded, or the peer
 * refused us), CAIRN_ECLOSED (the peer went away), CAIRN_ESYS.
 * crn_tls_why says what happened in one line.
 */
CAIRN_NODISCARD cairn_err crn_tls_handshake(crn_tls *t, bool *done);

/*
 * Read up to len bytes of application data; *got = 0 when nothing can be
 * read now.  Errors: CAIRN_ECLOSED (the peer closed, or went away),
 * CAIRN_EPROTO, CAIRN_ESYS.
 */
CAIRN_NODISCARD cairn_err crn_tls_read(
    crn_tls *t, void *buf, size_t len, size_t *got);

/*
 * Write up to len bytes (len > 0); *put is what was taken (0 when the
 * socket is full).  After *put = 0 the next call must pass the same bytes
 * again (the same content; the address may change).  Errors as
 * crn_tls_read.
 */
CAIRN_NODISCARD cairn_err crn_tls_write(
    crn_tls *t, const void *buf, size_t len, size_t *put);

/* Poll events (POLLIN, POLLOUT) the last call that made no progress
 * waits for. */
short crn_tls_want(const crn_tls *t);

/* True when decrypted bytes wait inside the channel (read them before
 * polling: the socket will not say so). */
bool crn_tls_pending(const crn_tls *t);

/* The peer's certificate as the verify function accepted it; NULL
 * before the handshake is done. */
const crn_cert_info *crn_tls_peer(const crn_tls *t);

/* One line on why the channel failed ("" if it did not). */
const char *crn_tls_why(const crn_tls *t);

/* Send close_notify if the socket takes it now; never waits. */
void crn_tls_close_notify(crn_tls *t);

#endif /* CRN_CRYPTO_TLS_H */
