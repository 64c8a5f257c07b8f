/*
 * transport.h — message transport between the coordinator, node daemons
 * and researchers.
 *
 * The coordinator listens on one endpoint; node daemons and researchers dial
 * out to it (an agency opens no inbound port).  Messages are opaque byte
 * strings (encoded, signed envelopes): the transport says nothing about who
 * a peer is.  The identity of a peer comes from the signature on what it
 * sends; the transport only gives the listener a connection id so that it
 * can address a reply, or an unsolicited message, to that connection.
 *
 * Endpoints: "tcp://host:port" and "ipc:///path" (also "inproc://name" for
 * tests inside one process).  The implementation sits behind an ops table
 * (core/net/); today the only one is nanomsg (core/net/nn.c).
 *
 * Delivery: messages on one connection arrive in order, whole, or not at
 * all.  A dialer's send waits (up to its timeout) until the connection is
 * up and has room.  A listener's send queues the message for that
 * connection and returns; the dialer's transport acknowledges each message,
 * the listener sends the next one after the acknowledgement and sends an
 * unacknowledged one again, so no message is silently lost while the
 * connection lives.  A listener's send waits only when that connection
 * already has CRN_TR_QUEUE_MSGS messages (or 64 MiB) queued.  Queues move
 * only while the listener is inside crn_tr_recv, crn_tr_send or
 * crn_tr_flush, so a listener calls crn_tr_recv in its loop (as a daemon
 * does anyway) and crn_tr_flush before closing.  When the connection
 * breaks, messages in flight are lost; the protocol above has deadlines
 * for that.  The dialer acknowledges from inside crn_tr_recv, so a dialer
 * that leaves a message unread for longer than the listener's
 * ack_giveup_ms is forgotten by the listener (its queue is dropped and
 * sends to it return CAIRN_ECLOSED) until it sends again.  One message is
 * in flight per connection: many small messages to the same dialer cost a
 * round trip each (about 50 us on loopback); different connections
 * overlap.  Data messages that arrive while a listener's send waits are
 * kept for crn_tr_recv, up to 4096 messages / 1 GiB; beyond that they are
 * dropped (and logged).
 *
 * Connections: a listener learns a connection when the dialer first sends
 * on it, so a dialer says hello first and, to be reachable after the
 * listener restarts (or after idle_ms of silence), sends something (a
 * heartbeat) from time to time.  A
 * reconnecting dialer gets a new connection id; map identities (from the
 * signed envelope) to the connection id of their most recent message.
 * A dialer reconnects by itself with exponential backoff between
 * reconnect_min_ms and reconnect_max_ms.
 *
 * Timeouts: every blocking call takes timeout_ms >= 0 (0 = do not wait);
 * no call blocks forever.  A passed timeout returns CAIRN_ETIMEDOUT.
 *
 * Threads: one crn_tr is used by one thread at a time.
 */
#ifndef CRN_NET_TRANSPORT_H
#define CRN_NET_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

/* Largest message accepted by default (a 16-million-element u64 vector plus
 * envelope); nanomsg's own default of 1 MiB is far too small. */
#define CRN_TR_MAX_MSG_DEFAULT       ((size_t)256 << 20)
#define CRN_TR_RECONNECT_MIN_DEFAULT 100   /* ms */
#define CRN_TR_RECONNECT_MAX_DEFAULT 30000 /* ms */
/* A listener gives up on a connection whose message stays unacknowledged
 * this long, and forgets the connection. */
#define CRN_TR_ACK_GIVEUP_DEFAULT 60000 /* ms */
/* A listener forgets a connection it has had nothing from for this long
 * and has nothing queued for (pipes that went away leave no other trace). */
#define CRN_TR_IDLE_DEFAULT 3600000 /* ms */

/* A listener's send queue per connection (see Delivery). */
#define CRN_TR_QUEUE_MSGS 64

/* The connection id a dialer reports for its one connection. */
#define CRN_TR_CONN_DIALER 0u

typedef struct crn_tr crn_tr;

/* Options; zero fields take the defaults above.  NULL means all defaults. */
typedef struct crn_tr_opts {
	size_t max_msg;       /* bytes; a larger one drops the link */
	int reconnect_min_ms; /* dialer: first reconnect delay */
	int reconnect_max_ms; /* dialer: backoff cap */
	int ack_giveup_ms;    /* listener: see CRN_TR_ACK_GIVEUP_DEFAULT */
	int idle_ms;          /* listener: see CRN_TR_IDLE_DEFAULT */
} crn_tr_opts;

/*
 * Implementation ops (nng-style): a transport backend fills one of these.
 * Only core/net/ uses it.
 */
typedef struct crn_tr_ops {
	const char *name;
	cairn_err (*listen)(crn_tr *tr, const char *url);
	cairn_err (*dial)(crn_tr *tr, const char *url);
	cairn_err (*send)(crn_tr *tr, uint32_t conn, const void *buf,
	    size_t len, int timeout_ms);
	cairn_err (*recv)(crn_tr *tr, uint32_t *conn, uint8_t **buf,
	    size_t *len, int timeout_ms);
	cairn_err (*flush)(crn_tr *tr, int timeout_ms);
	void (*close)(crn_tr *tr);
} crn_tr_ops;

struct crn_tr {
	const crn_tr_ops *ops;
	void *impl;       /* backend state */
	crn_tr_opts opts; /* defaults filled in */
	int listener;     /* 1 when opened by crn_tr_listen */
};

/* The nanomsg backend (core/net/nn.c). */
extern const crn_tr_ops crn_tr_nn_ops;

/*
 * Bind url and start accepting dialers.  *out is NULL on error.
 * Errors: CAIRN_EINVAL (bad or unsupported url, bad opts), CAIRN_ESYS
 * (address in use, cannot bind), CAIRN_ENOMEM.
 */
CAIRN_NODISCARD cairn_err crn_tr_listen(
    crn_tr **out, const char *url, const crn_tr_opts *opts);

/*
 * Dial url; returns at once, the connection comes up (and comes back after
 * a failure) in the background.  Errors as crn_tr_listen.
 */
CAIRN_NODISCARD cairn_err crn_tr_dial(
    crn_tr **out, const char *url, const crn_tr_opts *opts);

/*
 * Send len bytes from buf (copied; the caller keeps buf).  A listener names
 * the connection and the message is queued for it; a dialer passes
 * CRN_TR_CONN_DIALER.  Success means the transport took the message, not
 * that the peer has it.
 * Errors: CAIRN_ETIMEDOUT (dialer: no connection or no room; listener:
 * the connection's queue stayed full when timeout_ms passed),
 * CAIRN_ECLOSED (conn unknown or given up), CAIRN_ETOOBIG (len > max_msg),
 * CAIRN_EINVAL, CAIRN_ENOMEM, CAIRN_ESYS.
 */
CAIRN_NODISCARD cairn_err crn_tr_send(
    crn_tr *tr, uint32_t conn, const void *buf, size_t len, int timeout_ms);

/*
 * Receive the next message from any connection.  On success *buf is a new
 * crn_alloc'd buffer of *len bytes the caller frees with
 * crn_free(*buf, *len) (a zero-length message still gets a buffer), and
 * *conn names the connection it came on (CRN_TR_CONN_DIALER on a dialer).
 * Errors: CAIRN_ETIMEDOUT, CAIRN_ENOMEM, CAIRN_ESYS, CAIRN_EINVAL.
 */
CAIRN_NODISCARD cairn_err crn_tr_recv(
    crn_tr *tr, uint32_t *conn, uint8_t **buf, size_t *len, int timeout_ms);

/*
 * Listener: keep the transport running (receiving, queueing data messages
 * for crn_tr_recv, resending) until every queued message is acknowledged
 * or dropped with its connection.  Dialer: returns at once.
 * Errors: CAIRN_ETIMEDOUT, CAIRN_ENOMEM, CAIRN_ESYS, CAIRN_EINVAL.
 */
CAIRN_NODISCARD cairn_err crn_tr_flush(crn_tr *tr, int timeout_ms);

/* Close and free; messages not yet delivered are lost.  NULL is fine. */
void crn_tr_close(crn_tr *tr);

/* Map a nanomsg errno value to a cairn_err (logged by the caller). */
cairn_err crn_tr_nn_err(int nn_errnum);

#endif /* CRN_NET_TRANSPORT_H */
