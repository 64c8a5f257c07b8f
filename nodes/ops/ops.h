/*
 * ops.h — what a daemon tells its operator besides its log: Prometheus
 * metrics and, on the coordinator, a read-only HTML status page, served
 * on an optional local HTTP listener (metrics_listen = IP:PORT).
 *
 * Threads.  The daemon's event loop owns a crn_ops_state and updates it
 * freely, without locks (crn_ops_state_of).  Now and then (at most every
 * CRN_OPS_PUBLISH_MS while it changes, and every second) the loop calls
 * crn_ops_publish, which copies the state into a snapshot under a mutex
 * it only *tries* to take: while the HTTP thread holds it, the loop skips
 * this publish and the next one catches up (the counters are cumulative),
 * so the event loop never waits for the listener.  The HTTP thread
 * (libmicrohttpd's own) copies the snapshot out under the same mutex and
 * renders it after releasing it.
 *
 * Nothing served holds a secret, a key or data of a node: counts, names
 * from certificates (HTML-escaped on the page), times, job ids.
 */
#ifndef CRN_OPS_OPS_H
#define CRN_OPS_OPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

#define CRN_OPS_ROUNDS     6   /* advertise .. unmask (crn_sa_round) */
#define CRN_OPS_NBUCKETS   16  /* histogram buckets, +Inf apart */
#define CRN_OPS_NODES_MAX  256 /* nodes listed on the page */
#define CRN_OPS_SESS_MAX   64  /* running sessions listed */
#define CRN_OPS_RECENT     32  /* finished jobs listed, newest first */
#define CRN_OPS_NAME_MAX   64  /* certificate names (CRN_CERT_NAME_MAX) */
#define CRN_OPS_PUBLISH_MS 100

typedef enum crn_ops_role {
	CRN_OPS_COORDINATOR = 1,
	CRN_OPS_NODE = 2,
} crn_ops_role;

/* How a job ended, as the daemon saw it. */
typedef enum crn_ops_outcome {
	CRN_OPS_DONE = 0,    /* coordinator: the result was sent */
	CRN_OPS_FAILED,      /* coordinator: ended without a result */
	CRN_OPS_ABORTED,     /* the secure-aggregation session aborted */
	CRN_OPS_REFUSED,     /* refused before it started */
	CRN_OPS_CONTRIBUTED, /* node: its figures are in the sum */
	CRN_OPS_ABANDONED,   /* node: the coordinator went silent, expired */
	CRN_OPS_NOUTCOMES
} crn_ops_outcome;

/* "done", "failed", "aborted", "refused", "contributed", "abandoned". */
const char *crn_ops_outcome_name(crn_ops_outcome o);

/* A cumulative histogram in seconds (bounds: crn_ops_bucket_bounds). */
typedef struct crn_ops_hist {
	uint64_t bucket[CRN_OPS_NBUCKETS]; /* observations <= bound[i] */
	uint64_t count;
	double sum;
} crn_ops_hist;

extern const double crn_ops_bucket_bounds[CRN_OPS_NBUCKETS];

typedef struct crn_ops_node_row {
	char name[CRN_OPS_NAME_MAX + 1];
	int64_t cert_not_after; /* unix seconds, 0 unknown */
	uint64_t last_contact;  /* unix seconds of its newest message */
	bool connected;
} crn_ops_node_row;

typedef struct crn_ops_sess_row {
	char job[17]; /* first 8 bytes of the job id, hex */
	char researcher[CRN_OPS_NAME_MAX + 1];
	char what[96]; /* "sum t.value", "query t" */
	uint32_t pass, passes, round, nodes, answered;
	uint64_t started; /* unix seconds */
} crn_ops_sess_row;

typedef struct crn_ops_job_row {
	char job[17];
	char researcher[CRN_OPS_NAME_MAX + 1];
	char what[96];
	crn_ops_outcome outcome;
	char detail[160];  /* why it failed, or "" */
	uint32_t nodes;    /* in the result */
	uint64_t finished; /* unix seconds */
	int64_t ms;        /* from submission to the end */
} crn_ops_job_row;

/* What the event loop keeps up to date. */
typedef struct crn_ops_state {
	uint64_t jobs[CRN_OPS_NOUTCOMES];
	crn_ops_hist session;               /* a job, submit to end */
	crn_ops_hist round[CRN_OPS_ROUNDS]; /* coordinator */
	uint64_t dropouts[CRN_OPS_ROUNDS];  /* coordinator */
	uint64_t bytes_in, bytes_out;       /* envelopes */
	uint64_t msgs_in, msgs_out;
	uint32_t nodes_connected; /* coordinator: nodes offered jobs now;
	                           * node: 1 when its coordinator answers */
	int64_t cert_not_after;   /* own certificate, unix seconds */
	uint64_t started;         /* unix seconds */
	/* The status page (coordinator). */
	crn_ops_node_row nodes[CRN_OPS_NODES_MAX];
	size_t nnodes, nnodes_total;
	crn_ops_sess_row sess[CRN_OPS_SESS_MAX];
	size_t nsess;
	crn_ops_job_row recent[CRN_OPS_RECENT]; /* a ring */
	size_t nrecent, recent_next;
	bool dirty; /* changed since the last publish */
} crn_ops_state;

/* Count one observation of `seconds` (negative counts as 0). */
void crn_ops_hist_observe(crn_ops_hist *h, double seconds);
/* A job ended: its outcome is counted, its duration observed and it
 * becomes the newest row of the recent jobs (row copied). */
void crn_ops_job_end(crn_ops_state *st, const crn_ops_job_row *row);

/*
 * Render st as Prometheus text exposition (version 0.0.4) for role, with
 * now the unix time (certificate expiry is said in seconds from now).
 * *out is crn_alloc'd, NUL-terminated, *len bytes without the NUL
 * (crn_free(*out, *len + 1)).  Errors: CAIRN_ENOMEM.
 */
CAIRN_NODISCARD cairn_err crn_ops_render_metrics(const crn_ops_state *st,
    crn_ops_role role, const char *party, uint64_t now, char **out,
    size_t *len);
/* The coordinator's status page as HTML, every string escaped; owned as
 * for crn_ops_render_metrics. */
CAIRN_NODISCARD cairn_err crn_ops_render_status(const crn_ops_state *st,
    const char *party, uint64_t now, char **out, size_t *len);

typedef struct crn_ops crn_ops;

/*
 * The operator channel of a daemon: its state and, when listen is not
 * NULL ("IP:PORT", checked by the configuration), an HTTP listener on a
 * thread of its own serving /metrics (and / on the coordinator).  party
 * names the daemon in the metrics and on the page (copied).  On failure
 * err holds one line (the address cannot be bound, say).
 * Errors: CAIRN_ESYS (listener), CAIRN_EINVAL, CAIRN_ENOMEM.
 */
CAIRN_NODISCARD cairn_err crn_ops_open(crn_ops **out, crn_ops_role role,
    const char *party, const char *listen, char *err, size_t errlen);
/* Stop the listener (waits for its thread) and free everything.  NULL
 * is fine. */
void crn_ops_close(crn_ops *o);
/* The loop's own state (never NULL for an open crn_ops). */
crn_ops_state *crn_ops_state_of(crn_ops *o);
/* Offer the state to the listener (see the top of this file); now_ms is
 * the monotonic clock.  Never blocks. */
void crn_ops_publish(crn_ops *o, int64_t now_ms);

#endif /* CRN_OPS_OPS_H */
