/*
 * nn.c — the nanomsg transport backend; the only file that includes
 * nanomsg.
 *
 * Pattern.  nanomsg has no socket type that is at once "many peers on one
 * endpoint" and "address one peer, unprompted": NN_PAIR takes one peer per
 * endpoint, NN_BUS and NN_PUB send to everyone (and PUB filters at the
 * subscriber, so every node would download every vector), and cooked
 * NN_REP may only answer the request in hand.  Raw NN_REP (AF_SP_RAW) is
 * the exception: each received message carries a backtrace header whose
 * first word is the key of the pipe (connection) it came on, and sending
 * with that header routes the message to that pipe, any number of times.
 * So the listener is a raw NN_REP and each dialer a raw NN_REQ, used like
 * ZeroMQ's ROUTER/DEALER; the dialer puts a 4-byte bottom-of-stack label
 * (top bit set) before each message as the REQ wire format requires.
 *
 * Acknowledgements.  Raw NN_REP drops a message silently when the target
 * pipe is still busy writing the previous one (measured: three 16 MiB
 * sends back to back lose the third).  A raw NN_REQ does not have this
 * problem: its send waits for a writable pipe, up to NN_SNDTIMEO.  So in
 * the listener-to-dialer direction only, every data frame carries a
 * sequence number, the dialer's transport acknowledges it, and the
 * listener keeps it until then, sending it again with a growing interval.
 * Each connection has one frame in flight and a bounded queue behind it,
 * so a send does not wait for a slow dialer unless that dialer's queue is
 * full (a single-threaded coordinator must not stall on one node); the
 * queue moves on whenever the listener is in crn_tr_recv, crn_tr_send or
 * crn_tr_flush.  Sequence
 * numbers grow across all connections of one listener and frames carry a
 * random epoch chosen at listen time, so a dialer drops repeats even after
 * it reconnected, and starts afresh when the listener restarts.
 *
 * Frame (after the REQ/REP header): kind (1) | epoch (8) | seq (8) | data.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <time.h>

#include <nanomsg/nn.h>
#include <nanomsg/tcp.h>
#include <nanomsg/reqrep.h>

#include "base/crn.h"
#include "crypto/crypto.h"
#include "net/transport.h"

#define NN_FRAME_HDR 17
#define NN_KIND_DATA 'D'
#define NN_KIND_ACK  'A'
/* Longest backtrace we keep per connection (key excluded).  A direct
 * dialer has one word; nanomsg devices in between add one each. */
#define NN_BT_MAX  32
#define NN_RTO_MIN 200  /* ms before the first resend */
#define NN_RTO_MAX 8000 /* ms, resend interval cap */
/* Per-connection send queue bounds (a single message may exceed the byte
 * bound when the queue is empty). */
#define NN_QUEUE_MSGS  CRN_TR_QUEUE_MSGS
#define NN_QUEUE_BYTES ((size_t)64 << 20)
/* Data held for crn_tr_recv while a send waits (see transport.h). */
#define NN_PEND_MSGS  4096
#define NN_PEND_BYTES ((size_t)1 << 30)

/* The dialer's bottom-of-stack label: any word with the top bit set. */
static const uint8_t nn_label[4] = {0x80, 0x00, 0x00, 0x01};

/* A frame queued for one connection; the head is in flight. */
typedef struct nn_frame {
	struct nn_frame *next;
	uint8_t *buf;
	size_t len;
	uint64_t seq;
} nn_frame;

typedef struct nn_conn {
	uint32_t key;          /* nanomsg pipe key: our connection id */
	uint8_t bt[NN_BT_MAX]; /* backtrace to echo after the key */
	size_t btlen;
	nn_frame *qhead, *qtail; /* qhead is sent, awaiting its ack */
	size_t qcount, qbytes;
	int64_t first_tx; /* ms, when qhead was first sent */
	int64_t next_tx;  /* ms, when to send it again */
	int64_t last_rx;  /* ms, when we last heard from it */
	int rto;          /* ms, current resend interval */
} nn_conn;

/* A data message received while a send waited for an ack. */
typedef struct nn_pending {
	struct nn_pending *next;
	uint32_t conn;
	uint8_t *buf;
	size_t len;
} nn_pending;

typedef struct nn_impl {
	int sock;
	uint64_t epoch; /* listener: this run; dialer: peer's */
	uint64_t seq;   /* listener: last used; dialer: seen */
	nn_conn *conns; /* listener */
	size_t nconns, capconns;
	nn_pending *head, *tail;
	size_t npend, pend_bytes;
} nn_impl;

cairn_err
crn_tr_nn_err(int e)
{
	switch (e) {
	case ETIMEDOUT:
	case EAGAIN: return CAIRN_ETIMEDOUT;
	case ENOMEM: return CAIRN_ENOMEM;
	case EBADF:
	case ETERM: return CAIRN_ECLOSED;
	case EINVAL:
	case EPROTONOSUPPORT:
	case ENAMETOOLONG:
	case EAFNOSUPPORT: return CAIRN_EINVAL;
	case EMSGSIZE: return CAIRN_ETOOBIG;
	default: return CAIRN_ESYS;
	}
}

/* Map the current nn_errno once, logging what failed. */
static cairn_err
nn_fail(const char *what)
{
	int e = nn_errno();
	cairn_err rv = crn_tr_nn_err(e);

	if (rv != CAIRN_ETIMEDOUT)
		crn_log_err("%s: %s", what, nn_strerror(e));
	return rv;
}

static int64_t
nn_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
nn_put64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

static uint64_t
nn_get64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return v;
}

static void
nn_frame_hdr(uint8_t *h, int kind, uint64_t epoch, uint64_t seq)
{
	h[0] = (uint8_t)kind;
	nn_put64(h + 1, epoch);
	nn_put64(h + 9, seq);
}

/* Time left until deadline, clamped to [0, INT_MAX]. */
static int
nn_left(int64_t deadline)
{
	int64_t d = deadline - nn_now();

	if (d < 0)
		return 0;
	return d > INT_MAX ? INT_MAX : (int)d;
}

static cairn_err
nn_set_int(int sock, int opt, int val, const char *what)
{
	if (nn_setsockopt(sock, NN_SOL_SOCKET, opt, &val, sizeof(val)) < 0)
		return nn_fail(what);
	return CAIRN_OK;
}

/*
 * Receive one raw message, waiting up to wait_ms.  On success *body, *blen
 * and *ctl are nanomsg-owned (nn_freemsg); *ctl may be NULL.
 */
static cairn_err
nn_recv_raw(int sock, int wait_ms, void **body, size_t *blen, void **ctl)
{
	struct nn_msghdr hdr;
	struct nn_iovec iov;
	cairn_err rv;
	int rc;

	*body = NULL;
	*ctl = NULL;
	*blen = 0;
	if ((rv = nn_set_int(sock, NN_RCVTIMEO, wait_ms, "nn_setsockopt")) !=
	    CAIRN_OK)
		return rv;
	iov.iov_base = body;
	iov.iov_len = NN_MSG;
	memset(&hdr, 0, sizeof(hdr));
	hdr.msg_iov = &iov;
	hdr.msg_iovlen = 1;
	hdr.msg_control = ctl;
	hdr.msg_controllen = NN_MSG;
	do {
		rc = nn_recvmsg(sock, &hdr, wait_ms == 0 ? NN_DONTWAIT : 0);
	} while (rc < 0 && nn_errno() == EINTR);
	if (rc < 0) {
		*ctl = NULL;
		*body = NULL;
		return nn_fail("nn_recvmsg");
	}
	*blen = (size_t)rc;
	return CAIRN_OK;
}

static void
nn_free_raw(void *body, void *ctl)
{
	if (body != NULL)
		nn_freemsg(body);
	if (ctl != NULL)
		nn_freemsg(ctl);
}

static cairn_err
nn_copy_out(const uint8_t *data, size_t len, uint8_t **out)
{
	*out = crn_alloc(len);
	if (*out == NULL)
		return CAIRN_ENOMEM;
	if (len > 0)
		memcpy(*out, data, len);
	return CAIRN_OK;
}

/* ---- opening and closing ---------------------------------------------- */

static cairn_err
nn_open_sock(crn_tr *tr, int protocol, nn_impl **out)
{
	nn_impl *im = NULL;
	cairn_err rv = CAIRN_EINTERNAL;

	*out = NULL;
	if ((im = crn_zalloc(sizeof(*im))) == NULL) {
		rv = CAIRN_ENOMEM;
		goto out;
	}
	im->sock = -1;
	if ((im->sock = nn_socket(AF_SP_RAW, protocol)) < 0) {
		rv = nn_fail("nn_socket");
		goto out;
	}
	if ((rv = nn_set_int(im->sock, NN_RCVMAXSIZE,
	         (int)(tr->opts.max_msg + NN_FRAME_HDR + 8),
	         "NN_RCVMAXSIZE")) != CAIRN_OK)
		goto out;
	if ((rv = nn_set_int(im->sock, NN_RECONNECT_IVL,
	         tr->opts.reconnect_min_ms, "NN_RECONNECT_IVL")) != CAIRN_OK)
		goto out;
	if ((rv = nn_set_int(im->sock, NN_RECONNECT_IVL_MAX,
	         tr->opts.reconnect_max_ms, "NN_RECONNECT_IVL_MAX")) !=
	    CAIRN_OK)
		goto out;
	/*
	 * Every protocol round is a small request followed by a reply that
	 * waits for it; with Nagle's algorithm on, each such exchange over
	 * tcp:// stalled about 40 ms on delayed ACKs (measured: a 3-node
	 * query took 247 ms, 118 ms without).  Not fatal if refused: the
	 * option only exists for tcp.
	 */
	{
		int one = 1;

		if (nn_setsockopt(im->sock, NN_TCP, NN_TCP_NODELAY, &one,
		        sizeof(one)) < 0)
			crn_log_debug(
			    "NN_TCP_NODELAY: %s", nn_strerror(nn_errno()));
	}
	*out = im;
	im = NULL;
out:
	if (im != NULL) {
		if (im->sock >= 0)
			nn_close(im->sock);
		crn_free(im, sizeof(*im));
	}
	return rv;
}

static void
nn_frame_free(nn_frame *f)
{
	crn_free(f->buf, f->len);
	crn_free(f, sizeof(*f));
}

static void
nn_queue_clear(nn_conn *c)
{
	nn_frame *f;

	while ((f = c->qhead) != NULL) {
		c->qhead = f->next;
		nn_frame_free(f);
	}
	c->qtail = NULL;
	c->qcount = 0;
	c->qbytes = 0;
}

static void
nn_tr_close(crn_tr *tr)
{
	nn_impl *im = tr->impl;
	nn_pending *p;

	if (im == NULL)
		return;
	if (im->sock >= 0)
		nn_close(im->sock);
	for (size_t i = 0; i < im->nconns; i++)
		nn_queue_clear(&im->conns[i]);
	crn_free(im->conns, im->capconns * sizeof(*im->conns));
	while ((p = im->head) != NULL) {
		im->head = p->next;
		crn_free(p->buf, p->len);
		crn_free(p, sizeof(*p));
	}
	crn_free(im, sizeof(*im));
	tr->impl = NULL;
}

static cairn_err
nn_tr_listen(crn_tr *tr, const char *url)
{
	nn_impl *im = NULL;
	cairn_err rv;

	if ((rv = nn_open_sock(tr, NN_REP, &im)) != CAIRN_OK)
		return rv;
	tr->impl = im;
	if (nn_bind(im->sock, url) < 0) {
		rv = nn_fail("nn_bind");
		nn_tr_close(tr);
		return rv;
	}
	/* A fresh epoch lets dialers tell a restarted listener's sequence
	 * numbers from the old one's; zero is reserved for "none yet". */
	do {
		crn_random_bytes(&im->epoch, sizeof(im->epoch));
	} while (im->epoch == 0);
	crn_log_info("listening on %s", url);
	return CAIRN_OK;
}

static cairn_err
nn_tr_dial(crn_tr *tr, const char *url)
{
	nn_impl *im = NULL;
	cairn_err rv;

	if ((rv = nn_open_sock(tr, NN_REQ, &im)) != CAIRN_OK)
		return rv;
	tr->impl = im;
	if (nn_connect(im->sock, url) < 0) {
		rv = nn_fail("nn_connect");
		nn_tr_close(tr);
		return rv;
	}
	crn_log_info("dialing %s", url);
	return CAIRN_OK;
}

/* ---- dialer ------------------------------------------------------------ */

/* Send label | frame header | data, waiting up to wait_ms for room. */
static cairn_err
nn_dialer_put(nn_impl *im, const uint8_t fh[NN_FRAME_HDR], const void *buf,
    size_t len, int wait_ms)
{
	struct nn_iovec iov[3];
	struct nn_msghdr hdr;
	cairn_err rv;
	int rc;

	if ((rv = nn_set_int(
	         im->sock, NN_SNDTIMEO, wait_ms, "nn_setsockopt")) != CAIRN_OK)
		return rv;
	/* nanomsg copies the iovecs; the casts only drop const. */
	iov[0].iov_base = (void *)(uintptr_t)nn_label;
	iov[0].iov_len = sizeof(nn_label);
	iov[1].iov_base = (void *)(uintptr_t)fh;
	iov[1].iov_len = NN_FRAME_HDR;
	iov[2].iov_base = (void *)(uintptr_t)buf;
	iov[2].iov_len = len;
	memset(&hdr, 0, sizeof(hdr));
	hdr.msg_iov = iov;
	hdr.msg_iovlen = len > 0 ? 3 : 2;
	do {
		rc = nn_sendmsg(im->sock, &hdr, wait_ms == 0 ? NN_DONTWAIT : 0);
	} while (rc < 0 && nn_errno() == EINTR);
	if (rc < 0)
		return nn_fail("nn_sendmsg");
	return CAIRN_OK;
}

static cairn_err
nn_dialer_send(crn_tr *tr, const void *buf, size_t len, int timeout_ms)
{
	uint8_t fh[NN_FRAME_HDR];

	nn_frame_hdr(fh, NN_KIND_DATA, 0, 0);
	return nn_dialer_put(tr->impl, fh, buf, len, timeout_ms);
}

static cairn_err
nn_dialer_recv(crn_tr *tr, uint8_t **buf, size_t *len, int timeout_ms)
{
	nn_impl *im = tr->impl;
	int64_t deadline = nn_now() + timeout_ms;
	uint8_t ack[NN_FRAME_HDR];
	void *body, *ctl;
	const uint8_t *f;
	uint64_t epoch, seq;
	size_t blen;
	cairn_err rv;
	int fresh;

	for (;;) {
		rv = nn_recv_raw(
		    im->sock, nn_left(deadline), &body, &blen, &ctl);
		if (rv != CAIRN_OK)
			return rv;
		f = body;
		if (blen < NN_FRAME_HDR || f[0] != NN_KIND_DATA) {
			crn_log_debug(
			    "dropped a malformed frame (%zu bytes)", blen);
			nn_free_raw(body, ctl);
			continue;
		}
		epoch = nn_get64(f + 1);
		seq = nn_get64(f + 9);
		fresh = epoch != im->epoch || seq > im->seq;
		/* Copy before acknowledging: if we cannot keep the message,
		 * no ack goes out and the listener sends it again. */
		if (fresh &&
		    (rv = nn_copy_out(f + NN_FRAME_HDR, blen - NN_FRAME_HDR,
		         buf)) != CAIRN_OK) {
			nn_free_raw(body, ctl);
			return rv;
		}
		/* Acknowledge repeats too: the first ack may have been lost
		 * with a broken connection.  If the ack cannot go out now the
		 * listener sends again and we answer then. */
		nn_frame_hdr(ack, NN_KIND_ACK, epoch, seq);
		if (nn_dialer_put(im, ack, NULL, 0, nn_left(deadline)) !=
		    CAIRN_OK)
			crn_log_debug("ack for seq %llu not sent",
			    (unsigned long long)seq);
		if (!fresh) {
			nn_free_raw(body, ctl);
			continue;
		}
		im->epoch = epoch;
		im->seq = seq;
		*len = blen - NN_FRAME_HDR;
		nn_free_raw(body, ctl);
		return CAIRN_OK;
	}
}

/* ---- listener ---------------------------------------------------------- */

static nn_conn *
nn_conn_find(nn_impl *im, uint32_t key)
{
	/* Linear: a federation has at most a few thousand connections and
	 * this runs once per message, next to a signature check. */
	for (size_t i = 0; i < im->nconns; i++)
		if (im->conns[i].key == key)
			return &im->conns[i];
	return NULL;
}

static void
nn_conn_drop(nn_impl *im, nn_conn *c)
{
	size_t i = (size_t)(c - im->conns);

	nn_queue_clear(c);
	im->conns[i] = im->conns[im->nconns - 1];
	im->nconns--;
}

static cairn_err
nn_conn_add(
    nn_impl *im, uint32_t key, const uint8_t *bt, size_t btlen, nn_conn **out)
{
	nn_conn *nc;
	size_t ncap;

	*out = NULL;
	if (im->nconns == im->capconns) {
		ncap = im->capconns == 0 ? 16 : im->capconns * 2;
		nc = crn_realloc(
		    im->conns, im->capconns * sizeof(*nc), ncap * sizeof(*nc));
		if (nc == NULL)
			return CAIRN_ENOMEM;
		im->conns = nc;
		im->capconns = ncap;
	}
	nc = &im->conns[im->nconns++];
	memset(nc, 0, sizeof(*nc));
	nc->key = key;
	memcpy(nc->bt, bt, btlen);
	nc->btlen = btlen;
	*out = nc;
	return CAIRN_OK;
}

/* Send one frame to c with NN_DONTWAIT; raw REP never blocks anyway. */
static cairn_err
nn_listener_put(
    nn_impl *im, const nn_conn *c, const uint8_t *frame, size_t flen)
{
	union {
		struct nn_cmsghdr h;
		uint8_t b[NN_CMSG_SPACE(sizeof(size_t) + 4 + NN_BT_MAX)];
	} ctl;
	struct nn_iovec iov;
	struct nn_msghdr hdr;
	size_t hl = 4 + c->btlen;
	uint8_t *d;
	int rc;

	memset(&ctl, 0, sizeof(ctl));
	ctl.h.cmsg_len = NN_CMSG_LEN(sizeof(size_t) + hl);
	ctl.h.cmsg_level = PROTO_SP;
	ctl.h.cmsg_type = SP_HDR;
	d = NN_CMSG_DATA(&ctl.h);
	memcpy(d, &hl, sizeof(hl));
	d[sizeof(size_t) + 0] = (uint8_t)(c->key >> 24);
	d[sizeof(size_t) + 1] = (uint8_t)(c->key >> 16);
	d[sizeof(size_t) + 2] = (uint8_t)(c->key >> 8);
	d[sizeof(size_t) + 3] = (uint8_t)c->key;
	memcpy(d + sizeof(size_t) + 4, c->bt, c->btlen);
	iov.iov_base = (void *)(uintptr_t)frame;
	iov.iov_len = flen;
	memset(&hdr, 0, sizeof(hdr));
	hdr.msg_iov = &iov;
	hdr.msg_iovlen = 1;
	hdr.msg_control = &ctl;
	hdr.msg_controllen = NN_CMSG_SPACE(sizeof(size_t) + hl);
	do {
		rc = nn_sendmsg(im->sock, &hdr, NN_DONTWAIT);
	} while (rc < 0 && nn_errno() == EINTR);
	if (rc < 0)
		return nn_fail("nn_sendmsg");
	return CAIRN_OK;
}

/* Send the head of c's queue for the first time. */
static void
nn_conn_start(nn_impl *im, nn_conn *c, int64_t now)
{
	nn_frame *f = c->qhead;

	if (f == NULL)
		return;
	/* A failure here is retried at the first resend. */
	(void)nn_listener_put(im, c, f->buf, f->len);
	c->first_tx = now;
	/* Allow for the time a large message takes on a slow link before
	 * the first resend (a resend into a busy pipe is dropped anyway). */
	c->rto = NN_RTO_MIN + (int)(f->len >> 13);
	if (c->rto > NN_RTO_MAX)
		c->rto = NN_RTO_MAX;
	c->next_tx = now + c->rto;
}

/*
 * Resend what is due; forget connections whose message stayed unacked
 * past ack_giveup_ms.  Returns the time of the next resend (or far).
 */
static int64_t
nn_listener_resend(crn_tr *tr, int64_t now)
{
	nn_impl *im = tr->impl;
	int64_t next = now + INT_MAX;
	size_t i = 0;

	while (i < im->nconns) {
		nn_conn *c = &im->conns[i];

		if (c->qhead == NULL) {
			if (now - c->last_rx >= tr->opts.idle_ms) {
				crn_log_debug("connection %08x: idle, "
				              "forgotten",
				    c->key);
				nn_conn_drop(im, c);
				continue;
			}
			i++;
			continue;
		}
		if (now - c->first_tx >= tr->opts.ack_giveup_ms) {
			crn_log_warn("connection %08x: no ack for %d ms, "
			             "dropped with %zu queued messages",
			    c->key, tr->opts.ack_giveup_ms, c->qcount);
			nn_conn_drop(im, c);
			continue; /* slot i now holds another conn */
		}
		if (now >= c->next_tx) {
			/* A failure here is retried at the next interval. */
			(void)nn_listener_put(
			    im, c, c->qhead->buf, c->qhead->len);
			c->rto =
			    c->rto * 2 > NN_RTO_MAX ? NN_RTO_MAX : c->rto * 2;
			c->next_tx = now + c->rto;
		}
		if (c->next_tx < next)
			next = c->next_tx;
		i++;
	}
	return next;
}

/* Whether a frame of flen bytes fits in c's queue now. */
static int
nn_conn_room(const nn_conn *c, size_t flen)
{
	if (c->qcount == 0)
		return 1;
	return c->qcount < NN_QUEUE_MSGS && c->qbytes + flen <= NN_QUEUE_BYTES;
}

/* Split the SP header (pipe key + backtrace) out of the control data. */
static int
nn_listener_hdr(void *ctl, uint32_t *key, const uint8_t **bt, size_t *btlen)
{
	struct nn_msghdr hdr;
	struct nn_cmsghdr *cm;
	const uint8_t *d;
	size_t hl;

	if (ctl == NULL)
		return -1;
	memset(&hdr, 0, sizeof(hdr));
	hdr.msg_control = &ctl;
	hdr.msg_controllen = NN_MSG;
	for (cm = NN_CMSG_FIRSTHDR(&hdr); cm != NULL;
	     cm = NN_CMSG_NXTHDR(&hdr, cm)) {
		if (cm->cmsg_level != PROTO_SP || cm->cmsg_type != SP_HDR)
			continue;
		if (cm->cmsg_len < NN_CMSG_LEN(sizeof(size_t)))
			return -1;
		d = NN_CMSG_DATA(cm);
		memcpy(&hl, d, sizeof(hl));
		if (hl < 8 || hl - 4 > NN_BT_MAX ||
		    hl > cm->cmsg_len - NN_CMSG_LEN(sizeof(size_t)))
			return -1;
		d += sizeof(size_t);
		*key = (uint32_t)d[0] << 24 | (uint32_t)d[1] << 16 |
		    (uint32_t)d[2] << 8 | d[3];
		*bt = d + 4;
		*btlen = hl - 4;
		return 0;
	}
	return -1;
}

/* What nn_listener_pump waits for. */
typedef enum nn_until {
	NN_UNTIL_DATA,  /* a data message (returned) */
	NN_UNTIL_ROOM,  /* room for wait_len bytes to wait_key */
	NN_UNTIL_EMPTY, /* every send queue empty */
} nn_until;

static int
nn_queues_empty(const nn_impl *im)
{
	for (size_t i = 0; i < im->nconns; i++)
		if (im->conns[i].qhead != NULL)
			return 0;
	return 1;
}

/*
 * Run the listener (receive, acknowledge, resend) until the condition
 * `until` holds or deadline passes.  Data messages are stored in *got for
 * NN_UNTIL_DATA and queued for crn_tr_recv otherwise.
 */
static cairn_err
nn_listener_pump(crn_tr *tr, int64_t deadline, nn_until until, nn_pending **got,
    uint32_t wait_key, size_t wait_len)
{
	nn_impl *im = tr->impl;
	nn_pending *p = NULL;
	const uint8_t *f, *bt;
	void *body = NULL, *ctl = NULL;
	uint32_t key;
	size_t blen, btlen;
	int64_t now, next;
	nn_conn *c;
	cairn_err rv = CAIRN_EINTERNAL;
	int wait;

	for (;;) {
		now = nn_now();
		next = nn_listener_resend(tr, now);
		if (until == NN_UNTIL_ROOM) {
			c = nn_conn_find(im, wait_key);
			if (c == NULL) {
				rv = CAIRN_ECLOSED;
				goto out;
			}
			if (nn_conn_room(c, wait_len)) {
				rv = CAIRN_OK;
				goto out;
			}
		} else if (until == NN_UNTIL_EMPTY && nn_queues_empty(im)) {
			rv = CAIRN_OK;
			goto out;
		}
		wait = nn_left(deadline < next ? deadline : next);
		rv = nn_recv_raw(im->sock, wait, &body, &blen, &ctl);
		if (rv == CAIRN_ETIMEDOUT) {
			if (nn_now() >= deadline)
				goto out;
			continue;
		}
		if (rv != CAIRN_OK)
			goto out;
		f = body;
		if (nn_listener_hdr(ctl, &key, &bt, &btlen) != 0 ||
		    blen < NN_FRAME_HDR) {
			crn_log_debug(
			    "dropped a malformed frame (%zu bytes)", blen);
			goto next;
		}
		c = nn_conn_find(im, key);
		if (c != NULL)
			c->last_rx = nn_now();
		if (f[0] == NN_KIND_ACK) {
			if (c != NULL && c->qhead != NULL &&
			    nn_get64(f + 1) == im->epoch &&
			    nn_get64(f + 9) == c->qhead->seq) {
				nn_frame *done = c->qhead;

				c->qhead = done->next;
				if (c->qhead == NULL)
					c->qtail = NULL;
				c->qcount--;
				c->qbytes -= done->len;
				nn_frame_free(done);
				nn_conn_start(im, c, nn_now());
			}
			goto next;
		}
		if (f[0] != NN_KIND_DATA)
			goto next;
		if (c == NULL) {
			if ((rv = nn_conn_add(im, key, bt, btlen, &c)) !=
			    CAIRN_OK)
				goto out;
			c->last_rx = nn_now();
			crn_log_debug("new connection %08x", key);
		}
		if (until != NN_UNTIL_DATA &&
		    (im->npend >= NN_PEND_MSGS ||
		        im->pend_bytes + blen > NN_PEND_BYTES)) {
			crn_log_warn("connection %08x: %zu bytes dropped, "
			             "%zu messages already waiting",
			    key, blen, im->npend);
			goto next;
		}
		if ((p = crn_zalloc(sizeof(*p))) == NULL) {
			rv = CAIRN_ENOMEM;
			goto out;
		}
		p->conn = key;
		p->len = blen - NN_FRAME_HDR;
		if ((rv = nn_copy_out(f + NN_FRAME_HDR, p->len, &p->buf)) !=
		    CAIRN_OK)
			goto out;
		nn_free_raw(body, ctl);
		body = ctl = NULL;
		if (until == NN_UNTIL_DATA) {
			*got = p;
			p = NULL;
			rv = CAIRN_OK;
			goto out;
		}
		if (im->tail != NULL)
			im->tail->next = p;
		else
			im->head = p;
		im->tail = p;
		im->npend++;
		im->pend_bytes += p->len;
		p = NULL;
		continue;
	next:
		nn_free_raw(body, ctl);
		body = ctl = NULL;
	}
out:
	nn_free_raw(body, ctl);
	if (p != NULL) {
		crn_free(p->buf, p->len);
		crn_free(p, sizeof(*p));
	}
	return rv;
}

static cairn_err
nn_listener_send(
    crn_tr *tr, uint32_t conn, const void *buf, size_t len, int timeout_ms)
{
	nn_impl *im = tr->impl;
	int64_t deadline = nn_now() + timeout_ms;
	size_t flen = len + NN_FRAME_HDR;
	nn_frame *f = NULL;
	nn_conn *c;
	cairn_err rv = CAIRN_EINTERNAL;

	if (nn_conn_find(im, conn) == NULL) {
		rv = CAIRN_ECLOSED;
		goto out;
	}
	/* Wait only while this connection's queue is full. */
	rv = nn_listener_pump(tr, deadline, NN_UNTIL_ROOM, NULL, conn, flen);
	if (rv != CAIRN_OK)
		goto out;
	if ((f = crn_zalloc(sizeof(*f))) == NULL ||
	    (f->buf = crn_alloc(flen)) == NULL) {
		rv = CAIRN_ENOMEM;
		goto out;
	}
	f->len = flen;
	f->seq = ++im->seq;
	nn_frame_hdr(f->buf, NN_KIND_DATA, im->epoch, f->seq);
	if (len > 0)
		memcpy(f->buf + NN_FRAME_HDR, buf, len);
	if ((c = nn_conn_find(im, conn)) == NULL) {
		rv = CAIRN_ECLOSED;
		goto out;
	}
	if (c->qtail != NULL)
		c->qtail->next = f;
	else
		c->qhead = f;
	c->qtail = f;
	c->qcount++;
	c->qbytes += flen;
	if (c->qhead == f)
		nn_conn_start(im, c, nn_now());
	f = NULL;
	rv = CAIRN_OK;
out:
	if (f != NULL) {
		crn_free(f->buf, f->len);
		crn_free(f, sizeof(*f));
	}
	return rv;
}

static cairn_err
nn_listener_recv(
    crn_tr *tr, uint32_t *conn, uint8_t **buf, size_t *len, int timeout_ms)
{
	nn_impl *im = tr->impl;
	nn_pending *p = NULL;
	cairn_err rv;

	if ((p = im->head) != NULL) {
		im->head = p->next;
		if (im->head == NULL)
			im->tail = NULL;
		im->npend--;
		im->pend_bytes -= p->len;
		/* Keep resends going even when the queue serves us. */
		(void)nn_listener_resend(tr, nn_now());
	} else {
		rv = nn_listener_pump(
		    tr, nn_now() + timeout_ms, NN_UNTIL_DATA, &p, 0, 0);
		if (rv != CAIRN_OK)
			return rv;
	}
	*conn = p->conn;
	*buf = p->buf;
	*len = p->len;
	crn_free(p, sizeof(*p));
	return CAIRN_OK;
}

/* ---- ops --------------------------------------------------------------- */

static cairn_err
nn_tr_flush(crn_tr *tr, int timeout_ms)
{
	/* A dialer's send returns once nanomsg holds the message. */
	if (!tr->listener)
		return CAIRN_OK;
	return nn_listener_pump(
	    tr, nn_now() + timeout_ms, NN_UNTIL_EMPTY, NULL, 0, 0);
}

static cairn_err
nn_tr_send(
    crn_tr *tr, uint32_t conn, const void *buf, size_t len, int timeout_ms)
{
	if (tr->listener)
		return nn_listener_send(tr, conn, buf, len, timeout_ms);
	return nn_dialer_send(tr, buf, len, timeout_ms);
}

static cairn_err
nn_tr_recv(
    crn_tr *tr, uint32_t *conn, uint8_t **buf, size_t *len, int timeout_ms)
{
	if (tr->listener)
		return nn_listener_recv(tr, conn, buf, len, timeout_ms);
	*conn = CRN_TR_CONN_DIALER;
	return nn_dialer_recv(tr, buf, len, timeout_ms);
}

const crn_tr_ops crn_tr_nn_ops = {
    .name = "nanomsg",
    .listen = nn_tr_listen,
    .dial = nn_tr_dial,
    .send = nn_tr_send,
    .recv = nn_tr_recv,
    .flush = nn_tr_flush,
    .close = nn_tr_close,
};
