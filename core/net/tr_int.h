/*
 * tr_int.h — the transport's insides, shared by the files of
 * core/transport/ only: endpoints and sockets (addr.c), one connection
 * with its TLS channel, framing and queues (conn.c), the crn_tr object
 * and its poll loop (tr.c).  See transport.h for what the whole does.
 */
#ifndef CRN_NET_TR_INT_H
#define CRN_NET_TR_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "crypto/tls.h"
#include "base/ratelog.h"
#include "net/transport.h"

/* Frame: kind (1) | body length (4, big endian) | body. */
#define TR_HDR          5
#define TR_KIND_MSG     'M'
#define TR_KIND_WELCOME 'W'
/* The first frame of a message goes out of a staging buffer with its
 * header, so that a small message is one TLS record; the rest of a large
 * body is written from the caller's buffer. */
#define TR_STAGE 16384
/* Per connection and pass of the loop: so that one busy peer does not
 * keep the others waiting. */
#define TR_PASS_BYTES ((size_t)4 << 20)
/* Received events held for the caller; beyond, sockets are not read. */
#define TR_RXQ_MSGS  4096
#define TR_RXQ_BYTES ((size_t)1 << 30)
/* Complaints about one peer address: one line per interval. */
#define TR_LOG_INTERVAL_MS 60000

/* ---- endpoints (addr.c) ------------------------------------------------ */

typedef struct tr_url {
	bool ipc;
	char path[108]; /* ipc: the socket path (sun_path) */
	char host[256]; /* tcp: as written, brackets removed; "" = any */
	char port[8];
} tr_url;

/* Parse "tcp://host:port" or "ipc://path".  CAIRN_EINVAL otherwise. */
CAIRN_NODISCARD cairn_err crn_tr_url_parse(const char *url, tr_url *u);

/* Bind and listen (non-blocking, close-on-exec); *fd on success.  An
 * ipc path holding a dead listener's socket is replaced. */
CAIRN_NODISCARD cairn_err crn_tr_sock_listen(const tr_url *u, int *fd);

/*
 * Start a non-blocking connect to u (the attempt-th address it resolves
 * to, cycling).  *fd on success; *pending when the connect is still in
 * progress (wait for POLLOUT, then crn_tr_sock_connected).  why gets a
 * line on failure.  Errors: CAIRN_ESYS, CAIRN_ENOENT (no such host).
 */
CAIRN_NODISCARD cairn_err crn_tr_sock_connect(const tr_url *u, unsigned attempt,
    int *fd, bool *pending, char *why, size_t whylen);
/* Whether a pending connect on fd succeeded (why on failure). */
CAIRN_NODISCARD cairn_err crn_tr_sock_connected(
    int fd, char *why, size_t whylen);

/* Accept one connection (non-blocking); *fd = -1 when none waits.  addr
 * gets "ip:port" or "unix", key the part to rate-limit by (the ip). */
CAIRN_NODISCARD cairn_err crn_tr_sock_accept(
    int lfd, int *fd, char *addr, size_t addrlen, char *key, size_t keylen);

/* TCP_NODELAY and keepalive on a TCP socket (no-op for Unix sockets). */
void crn_tr_sock_tune(int fd);

/* ---- one connection (conn.c) ------------------------------------------ */

typedef enum tr_state {
	TR_CONNECTING, /* dialer: TCP connect in progress */
	TR_HANDSHAKE,  /* TLS handshake in progress */
	TR_WELCOME,    /* dialer: handshake done, waiting for the welcome */
	TR_UP,         /* peer authenticated (and, for a dialer, welcomed) */
} tr_state;

/* A message queued for sending; owns buf. */
typedef struct tr_out {
	struct tr_out *next;
	uint8_t *buf;
	size_t len;
	size_t off; /* bytes of header + body written */
	uint8_t kind;
} tr_out;

typedef struct tr_conn {
	uint32_t id;
	int fd;
	tr_state st;
	crn_tls *tls;
	int64_t deadline; /* ms: connecting, handshake, welcome */
	int64_t last_rx;  /* ms: last progress on a partial message */
	size_t max_msg;   /* the largest message this peer may send */
	crn_cert_info peer;
	char addr[CRN_TR_ADDR_LEN];
	char key[CRN_TR_ADDR_LEN]; /* for rate-limited complaints */
	/* receiving */
	uint8_t hdr[TR_HDR];
	size_t hgot;
	uint8_t *body;
	size_t blen, bgot;
	/* sending */
	tr_out *qhead, *qtail;
	size_t qcount, qbytes;
	uint8_t *stage;
	size_t stage_len, stage_off;
	short events; /* what poll last reported */
} tr_conn;

/* What a connection step produced for its owner. */
typedef struct tr_rx {
	uint8_t *buf; /* a whole message, or NULL */
	size_t len;
	bool welcome; /* the welcome frame arrived */
} tr_rx;

/* A connection over fd (taken: closed by crn_tr_conn_free). */
CAIRN_NODISCARD cairn_err crn_tr_conn_new(
    tr_conn **out, int fd, crn_tls_ctx *tls, tr_state st);
/* Free everything it holds and close its socket.  NULL is fine. */
void crn_tr_conn_free(tr_conn *c);

/* Queue a frame (takes ownership of buf on success). */
CAIRN_NODISCARD cairn_err crn_tr_conn_queue(
    tr_conn *c, uint8_t kind, uint8_t *buf, size_t len);
/* Whether a message of len bytes fits in c's queue now. */
bool crn_tr_conn_room(const tr_conn *c, size_t len);

/* Write what the socket takes, up to TR_PASS_BYTES.  why on failure. */
CAIRN_NODISCARD cairn_err crn_tr_conn_write(
    tr_conn *c, char *why, size_t whylen);

/*
 * Read until a whole frame is in (*rx), the socket is dry, or
 * TR_PASS_BYTES were read.  now_ms stamps progress.  Errors close the
 * connection (why says why): CAIRN_ETOOBIG, CAIRN_EPROTO, CAIRN_ECLOSED,
 * CAIRN_ENOMEM, CAIRN_ESYS.
 */
CAIRN_NODISCARD cairn_err crn_tr_conn_read(
    tr_conn *c, int64_t now_ms, tr_rx *rx, char *why, size_t whylen);

/* Whether a partial frame is being received. */
bool crn_tr_conn_partial(const tr_conn *c);

/* Drop the send queue (the connection ended). */
void crn_tr_conn_unqueue(tr_conn *c);

#endif /* CRN_NET_TR_INT_H */
