/*
 * transport.h — message transport between the coordinator, node daemons
 * and researchers: TLS 1.3 over TCP or Unix sockets, both ends
 * authenticated by their federation certificates.
 *
 * Why our own transport over TLS (the lead's decision, replacing nanomsg;
 * README "Dependencies"): a standard, well-kept construction for the
 * channel instead of a hand-rolled handshake; forward secrecy per
 * connection (ephemeral X25519); per-connection control that nanomsg
 * could not give (memory budgets before and after authentication, a cap
 * on connections still in their handshake, a handshake and partial-
 * message deadline, closing one connection); and events when a
 * connection comes up or goes away.
 *
 * The coordinator listens on one endpoint; node daemons and researchers
 * dial out to it (an agency opens no inbound port).  Endpoints:
 * "tcp://host:port" (host a name, an IPv4 address, [IPv6] or "*" to
 * listen on every interface) and "ipc:///path" (a Unix socket; a stale
 * socket file left by a dead listener is replaced).
 *
 * Authentication: every connection runs a full TLS 1.3 handshake
 * (crypto/tls.h) in which both sides present their certificate and
 * prove they hold its key; the auth->verify function judges the peer's
 * certificate (CA, CRL, validity, role, pinned name: crn_rt_cert_check
 * underneath) and sets how large a message that peer may send.  Nothing a
 * peer sends is read as a message before that: a listener holds, per
 * connection still in its handshake, no buffer of its own (only
 * OpenSSL's handshake state, bounded in crn_tls.h), accepts at most
 * max_unauth such connections at once (more are closed on accept), and
 * closes any that has not finished within handshake_ms.  Messages then
 * come with the authenticated peer (crn_tr_event.peer), so a receiver can
 * check that what a message claims to be from is the channel's peer.
 *
 * Framing inside TLS: kind (1 byte) | length (4 bytes, big endian) |
 * body.  A message longer than the peer's limit, an unknown kind, or a
 * partial message that makes no progress for stall_ms closes the
 * connection.  After the handshake the listener sends a "welcome" frame:
 * a dialer counts as connected only once the listener has accepted its
 * certificate (TLS 1.3 lets a client finish its handshake before the
 * server has judged the client's certificate).
 *
 * Delivery: messages on one connection arrive in order, whole, or not at
 * all (TCP and TLS give that while the connection lives; no message is
 * dropped by the transport while it does).  Send queues the message for
 * its connection (at most CRN_TR_QUEUE_MSGS messages or CRN_TR_QUEUE_BYTES
 * per connection; one larger message is allowed into an empty queue) and
 * writes what the socket takes at once; a send waits only while that
 * connection's queue is full, so a single-threaded coordinator never
 * stalls on one slow node.  Queues move only while the caller is inside
 * crn_tr_next, crn_tr_recv, crn_tr_send or crn_tr_flush: a daemon calls
 * crn_tr_next in its loop anyway, and crn_tr_flush before closing.  When
 * a connection breaks, what was queued or in flight on it is lost, and
 * the owner hears of it (CRN_TR_EV_DOWN; CAIRN_ECLOSED from a dialer's
 * crn_tr_recv); the protocol above has deadlines for the rest.  Received
 * messages wait for the caller in one queue (up to 4096 messages or
 * 1 GiB; beyond that the transport stops reading sockets, and TCP makes
 * the senders wait).
 *
 * A dialer connects at once and, after a failure or a drop, again with
 * exponential backoff between reconnect_min_ms and reconnect_max_ms.  A
 * dialer's send waits (up to its timeout) until the connection is up and
 * has room.  Each connection of a listener has its own id (never
 * CRN_TR_CONN_DIALER); a reconnecting dialer gets a new id.
 *
 * Timeouts: every blocking call takes timeout_ms >= 0 (0 = do not wait);
 * no call blocks forever.  A passed timeout returns CAIRN_ETIMEDOUT.
 *
 * Threads: one crn_tr is used by one thread at a time; nothing runs in the
 * background (the two ends of a connection in one process need a thread
 * each, as in the unit tests).
 */
#ifndef CRN_NET_TRANSPORT_H
#define CRN_NET_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "crypto/cert.h"
#include "crypto/crypto.h"

/* Largest message sent or accepted by default (a 16-million-element u64
 * vector plus envelope). */
#define CRN_TR_MAX_MSG_DEFAULT       ((size_t)256 << 20)
#define CRN_TR_RECONNECT_MIN_DEFAULT 100   /* ms */
#define CRN_TR_RECONNECT_MAX_DEFAULT 30000 /* ms */
/* TCP connect, TLS handshake and the welcome frame, from accept (or
 * from the start of a dial attempt). */
#define CRN_TR_HANDSHAKE_DEFAULT 5000 /* ms */
/* A partial message that makes no progress for this long. */
#define CRN_TR_STALL_DEFAULT 30000 /* ms */
/* Listener: connections still in their handshake at once. */
#define CRN_TR_MAX_UNAUTH_DEFAULT 64

/* A connection's send queue (see Delivery). */
#define CRN_TR_QUEUE_MSGS  64
#define CRN_TR_QUEUE_BYTES ((size_t)64 << 20)

/* The connection id a dialer reports for its one connection. */
#define CRN_TR_CONN_DIALER 0u

/* Room for a peer address ("[v6 address]:port", "unix") and a reason. */
#define CRN_TR_ADDR_LEN 64
#define CRN_TR_WHY_LEN  160

typedef struct crn_tr crn_tr;

/* Options; zero fields take the defaults above.  NULL means all
 * defaults. */
typedef struct crn_tr_opts {
	size_t max_msg;       /* bytes: the most we send, and accept */
	int reconnect_min_ms; /* dialer: first reconnect delay */
	int reconnect_max_ms; /* dialer: backoff cap */
	int handshake_ms;     /* see CRN_TR_HANDSHAKE_DEFAULT */
	int stall_ms;         /* see CRN_TR_STALL_DEFAULT */
	uint32_t max_unauth;  /* listener: see CRN_TR_MAX_UNAUTH_DEFAULT */
} crn_tr_opts;

/*
 * Judge a peer's certificate (DER, borrowed): CAIRN_OK accepts it and
 * fills *info, and *max_msg with the largest message this peer may send
 * (0: opts.max_msg; never more than opts.max_msg).  Any other code
 * refuses the connection.  Called once per connection, during its
 * handshake.
 */
typedef cairn_err (*crn_tr_verify_fn)(void *arg, const uint8_t *der, size_t len,
    crn_cert_info *info, size_t *max_msg);

/* Who we are and how we judge peers.  id, cert and arg are borrowed for
 * the life of the crn_tr (the certificate is copied into TLS). */
typedef struct crn_tr_auth {
	const crn_identity *id;
	const uint8_t *cert; /* our certificate, DER */
	size_t cert_len;
	crn_tr_verify_fn verify;
	void *arg;
} crn_tr_auth;

typedef enum crn_tr_ev_kind {
	CRN_TR_EV_MSG = 1, /* a message: buf, len */
	CRN_TR_EV_UP,      /* a connection's peer was authenticated */
	CRN_TR_EV_DOWN,    /* a connection that was up is gone (why) */
} crn_tr_ev_kind;

/* What crn_tr_next returns.  buf (MSG only) is the caller's: free it
 * with crn_tr_event_fini. */
typedef struct crn_tr_event {
	crn_tr_ev_kind kind;
	uint32_t conn; /* CRN_TR_CONN_DIALER on a dialer */
	uint8_t *buf;
	size_t len;
	crn_cert_info peer; /* the authenticated peer of conn */
	char addr[CRN_TR_ADDR_LEN];
	char why[CRN_TR_WHY_LEN]; /* DOWN: how it ended */
} crn_tr_event;

/*
 * Bind url and start accepting dialers.  *out is NULL on error.
 * Errors: CAIRN_EINVAL (bad or unsupported url, bad opts or auth),
 * CAIRN_ESYS (address in use, cannot bind), CAIRN_ENOMEM, CAIRN_ECRYPTO.
 */
CAIRN_NODISCARD cairn_err crn_tr_listen(crn_tr **out, const char *url,
    const crn_tr_auth *auth, const crn_tr_opts *opts);

/*
 * Dial url: the first attempt starts now, the connection comes up (and
 * comes back after a failure) while the caller is in the calls below.
 * Errors as crn_tr_listen.
 */
CAIRN_NODISCARD cairn_err crn_tr_dial(crn_tr **out, const char *url,
    const crn_tr_auth *auth, const crn_tr_opts *opts);

/*
 * Send len bytes from buf (copied; the caller keeps buf).  A listener
 * names the connection; a dialer passes CRN_TR_CONN_DIALER.  Success means
 * the transport took the message, not that the peer has it.
 * Errors: CAIRN_ETIMEDOUT (dialer: no connection or no room; listener:
 * the connection's queue stayed full), CAIRN_ECLOSED (listener: conn
 * unknown or gone), CAIRN_ETOOBIG (len > max_msg), CAIRN_EAUTH and
 * certificate codes (dialer: the peer refused us, or we refused it,
 * during this call), CAIRN_EINVAL, CAIRN_ENOMEM, CAIRN_ESYS.
 */
CAIRN_NODISCARD cairn_err crn_tr_send(
    crn_tr *tr, uint32_t conn, const void *buf, size_t len, int timeout_ms);

/*
 * crn_tr_send without the copy: buf (len bytes from crn_alloc) is sent
 * from where it is.  Takes ownership on success; on failure buf stays
 * with the caller.
 */
CAIRN_NODISCARD cairn_err crn_tr_send_owned(
    crn_tr *tr, uint32_t conn, uint8_t *buf, size_t len, int timeout_ms);

/*
 * The next event from any connection: a message, a connection up, a
 * connection down.  *ev is filled on success only.
 * Errors: CAIRN_ETIMEDOUT, CAIRN_ENOMEM, CAIRN_ESYS, CAIRN_EINVAL.
 */
CAIRN_NODISCARD cairn_err crn_tr_next(
    crn_tr *tr, crn_tr_event *ev, int timeout_ms);
/* Free an event's message; safe on zeroed storage. */
void crn_tr_event_fini(crn_tr_event *ev);

/*
 * Receive the next message (skipping up/down events).  On success *buf
 * is a new crn_alloc'd buffer of *len bytes the caller frees with
 * crn_free(*buf, *len) (a zero-length message still gets a buffer), and
 * *conn names the connection it came on (CRN_TR_CONN_DIALER on a dialer).
 * Errors: CAIRN_ECLOSED (dialer: the connection went away; returned once
 * per lost connection, at once), CAIRN_ETIMEDOUT, CAIRN_ENOMEM,
 * CAIRN_ESYS, CAIRN_EINVAL.
 */
CAIRN_NODISCARD cairn_err crn_tr_recv(
    crn_tr *tr, uint32_t *conn, uint8_t **buf, size_t *len, int timeout_ms);

/*
 * Keep the transport running until every queued message has been handed
 * to the kernel (or dropped with its connection).
 * Errors: CAIRN_ETIMEDOUT, CAIRN_ENOMEM, CAIRN_ESYS, CAIRN_EINVAL.
 */
CAIRN_NODISCARD cairn_err crn_tr_flush(crn_tr *tr, int timeout_ms);

/* Listener: close one connection now (what is queued for it is lost;
 * no DOWN event).  CAIRN_ECLOSED if conn is unknown. */
CAIRN_NODISCARD cairn_err crn_tr_drop(crn_tr *tr, uint32_t conn);

/* Dialer: one line on why the last connection attempt failed or the
 * connection ended ("" if none did). */
const char *crn_tr_why(const crn_tr *tr);

/* Close every connection (telling peers, if their sockets take it now)
 * and free; messages not yet delivered are lost.  NULL is fine. */
void crn_tr_close(crn_tr *tr);

#endif /* CRN_NET_TRANSPORT_H */
