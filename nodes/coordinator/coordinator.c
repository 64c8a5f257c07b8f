/*
 * coordinator.c — the coordinator daemon.  See coordinator.h.
 *
 * Sessions are driven by the sans-I/O machine of core/secagg/secagg.h: this
 * file only moves its messages between the machine and the transport, maps
 * machine slots (1..n) to node names and connection ids, and keeps the
 * round deadlines.  A job's passes run through the same code one after
 * the other (co_pass_begin .. co_pass_done); what the counts allow to be
 * released is decided in core/release.c.  A node is addressed by its
 * certificate name; the connection id of its most recent authenticated message
 * is where we send, so a node that reconnects is found again.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/crn.h"
#include "coordinator/coord_admit.h"
#include "coordinator/coord_plan.h"
#include "coordinator/coord_seen.h"
#include "coordinator/coordinator.h"
#include "lua/code.h"
#include "model/model.h"
#include "net/transport.h"
#include "ops/ops.h"
#include "proto/codec_runtime.h"
#include "proto/codec_secagg.h"
#include "query/codec_release.h"
#include "query/job.h"
#include "query/release.h"
#include "query/dp_account.h"
#include "query/sql_plan.h"
#include "runtime/audit_job.h"
#include "runtime/config.h"
#include "secagg/graph.h"
#include "runtime/rt.h"
#include "runtime/state_lock.h"
#include "runtime/testhook.h"
#include "secagg/graph.h"
#include "secagg/secagg.h"

/* A node not heard from for three of its heartbeat intervals (as observed
 * between its hellos; nodes send one every heartbeat_ms, 10 s by default)
 * is not offered new jobs and `cairn status` no longer lists it; until two
 * hellos have been seen, the default interval is assumed. */
#define CO_NODE_STALE_BEATS 3
#define CO_NODE_BEAT_MS     10000
#define CO_NODE_BEAT_MIN_MS 1000
/* Sends to one connection wait at most this long for the previous
 * message to that connection to be acknowledged. */
#define CO_SEND_MS   1500
#define CO_MAX_NODES 4096
/* How long past a job's validity a node waiting for its operator is
 * waited for (its refusal of the expired job arrives in this time). */
#define CO_PENDING_GRACE_MS 3000

typedef struct co_node {
	char name[CRN_CERT_NAME_MAX + 1];
	uint8_t pk[CAIRN_SIGN_PK_LEN]; /* identity key of its certificate */
	uint32_t conn;
	int64_t seen_ms;
	int64_t hello_ms; /* its last hello */
	int64_t beat_ms;  /* observed interval between its hellos */
	bool live;
	int64_t not_after;  /* its certificate's, for the status page */
	uint64_t seen_wall; /* seen_ms on the wall clock */
} co_node;

typedef struct co_slot {
	char name[CRN_CERT_NAME_MAX + 1];
	uint8_t pk[CAIRN_SIGN_PK_LEN];
	bool answered; /* in the current round */
	bool out;      /* refused, unreachable: will not answer */
	bool waiting;  /* its operator has not approved the job yet */
} co_slot;

/* One job: its passes (core/release.h) run one after the other, each a
 * secure-aggregation session of its own with the nodes that took part in
 * the one before. */
typedef struct co_session {
	bool used;
	uint8_t sid[CAIRN_SESSION_ID_LEN]; /* the current pass's session */
	uint8_t job_id[CRN_JOB_ID_LEN];
	char researcher[CRN_CERT_NAME_MAX + 1];
	uint32_t rconn;
	crn_sa_coord *sa;
	uint8_t (*ids)[CAIRN_SIGN_PK_LEN]; /* slot identity keys */
	co_slot *slots;
	uint32_t nslots;
	uint32_t pass;  /* CRN_RELEASE_PASS_COUNTS, then _FIGURES */
	uint32_t round; /* 0 advertise .. 4 unmask */
	int64_t deadline;
	int64_t started;
	crn_plan *plan;      /* what the job computes (owned) */
	bool is_sum;         /* a column sum: decimals printed trimmed */
	bool is_code;        /* approved code: one pass, the raw sum back */
	uint64_t code_dim;   /* its vector: code_dim x 64-bit */
	uint8_t *signed_job; /* as submitted, for the pass-1 offer */
	size_t signed_job_len;
	crn_release rel; /* pass 1's decision: what pass 2 sums */
	char **offered;  /* nodes offered the job */
	size_t noffered;
	char **counted; /* nodes in pass 1's counts */
	size_t ncounted;
	uint32_t refused;  /* nodes that refused the job */
	char refusal[160]; /* the first refusal's reason */
	/* Why a pass may end early, for the researcher: nodes whose
	 * connection closed ("node2 in round masked-input, ..."), and nodes
	 * that refused to go on mid-session (names, and the first one's
	 * reason as it sent it). */
	char gone[200];
	char stopped[200];
	char stop_why[CRN_SA_REASON_LEN];
	/* What became of each offered node that is not in the sum: lost
	 * (with where: pass and round) or refused (with the category of its
	 * reason), first event wins; and the expected nodes that were not
	 * offered the job at all. */
	char **lost, **ref; /* "name\nwhere", "name\ncategory" */
	size_t nlost, nref;
	char **absent;
	size_t nabsent;
	int64_t round_started; /* for cairn_round_duration_seconds */
	uint64_t started_wall;
	char what[96];      /* "sum t.value", "query t": the status page */
	uint64_t not_after; /* the job's validity, unix seconds */
	/* Our audit log's head right after the job's receipt, signed: in
	 * the offer, so that every node can later hold us to it. */
	uint8_t audit_head[CRN_RT_AUDIT_HEAD_LEN];
	/* JOB_MODEL: the model and the fit so far; pass = the round.  Each
	 * round's sum stays here; only the final model is sent on. */
	crn_model *model;
	crn_model_fit fit;
} co_session;

/* A job waiting for a free session slot (max_jobs busy): the signed job
 * as submitted, re-checked when its turn comes. */
typedef struct co_queued {
	uint32_t conn;
	crn_cert_info who;
	uint8_t job_id[CRN_JOB_ID_LEN];
	uint8_t *signed_job;
	size_t signed_job_len;
	int64_t since;  /* when it was queued */
	uint32_t ahead; /* as last told to the researcher */
} co_queued;

typedef struct co {
	crn_config *cfg;
	crn_rt_party party;
	crn_rt_peers peers; /* nodes and researchers of the federation */
	crn_tr *tr;
	co_coord_plan *planner;
	co_node *nodes;
	size_t nnodes;
	co_session *sess; /* max_jobs entries */
	uint32_t nsess;
	co_queued *queue; /* max_queue entries, the first nqueue used */
	uint32_t nqueue;
	crn_ops *ops;       /* metrics and status page (nodes/ops) */
	crn_ops_state *ost; /* its state, ours to update */
	crn_audit *audit;   /* every job's events (audit_log) */
	/* `cairn budget` requests waiting for node reports: the newest
	 * request of each researcher, reports relayed for CO_BUDGET_MS. */
	struct co_budget_wait {
		char researcher[CRN_CERT_NAME_MAX + 1];
		uint32_t conn;
		int64_t until;
	} budget[8];
} co;

#define CO_BUDGET_MS 10000

/* Messages nodes send in each round (index = crn_sa_round). */
static const uint32_t round_msg[CRN_SA_R_DONE] = {
    [CRN_SA_R_ADVERTISE] = CRN_SA_MSG_ADVERTISE,
    [CRN_SA_R_REVEAL] = CRN_SA_MSG_SEED_REVEAL,
    [CRN_SA_R_SHARE] = CRN_SA_MSG_SHARE_KEYS,
    [CRN_SA_R_MASKED] = CRN_SA_MSG_MASKED_INPUT,
    [CRN_SA_R_CONSISTENCY] = CRN_SA_MSG_CONSISTENCY_SIG,
    [CRN_SA_R_UNMASK] = CRN_SA_MSG_UNMASK,
};

static uint32_t
co_round_ms(const co *c, uint32_t round)
{
	const crn_cfg_deadlines *d = &c->cfg->coord.deadlines;

	switch (round) {
	case CRN_SA_R_ADVERTISE: return d->advertise_ms;
	case CRN_SA_R_REVEAL: return d->reveal_ms;
	case CRN_SA_R_SHARE: return d->share_ms;
	case CRN_SA_R_MASKED: return d->input_ms;
	case CRN_SA_R_CONSISTENCY: return d->consistency_ms;
	default: return d->unmask_ms;
	}
}

/* An audit entry for the session's job; a failure is logged (the job has
 * been accepted and logged as received already). */
static void
co_audit(co *c, const co_session *s, const char *type, const crn_audit_field *f,
    size_t nf)
{
	cairn_err rv = crn_rt_audit_event(c->audit, type, s->job_id, f, nf);

	if (rv != CAIRN_OK)
		crn_log_err("audit log: cannot write a %s entry: %s", type,
		    cairn_strerror(rv));
}

/* The one-word reason category of a job that failed or aborted with
 * code, for its outcome entry; scripts can act on it. */
static const char *
co_fail_reason(cairn_err code)
{
	switch (code) {
	case CAIRN_ENOMEM: return "memory";
	case CAIRN_EABORT: return "participants";
	case CAIRN_EAUTH: return "integrity";
	default: return "error";
	}
}

/* The job's outcome entry (exactly one for every job the coordinator
 * accepted): outcome, the reason category ("" when released), detail. */
static void
co_audit_outcome(co *c, const co_session *s, const char *outcome,
    const char *reason, const char *detail)
{
	const crn_audit_field f[] = {
	    {"outcome", outcome}, {"reason", reason}, {"detail", detail}};

	co_audit(c, s, CRN_AUDIT_OUTCOME, f, CRN_NELEM(f));
}

/* Names joined with ", " into out (len bytes, cut when full). */
static void
co_join(char *out, size_t len, char *const *names, size_t n)
{
	size_t o = 0;

	out[0] = '\0';
	for (size_t i = 0; i < n && o + 1 < len; i++) {
		int w = snprintf(
		    out + o, len - o, "%s%s", i > 0 ? ", " : "", names[i]);

		if (w < 0)
			break;
		o += (size_t)w;
	}
}

static co_node *
co_node_find(co *c, const char *name)
{
	for (size_t i = 0; i < c->nnodes; i++) {
		if (strcmp(c->nodes[i].name, name) == 0)
			return &c->nodes[i];
	}
	return NULL;
}

/* Write the names of every node known to state_dir/nodes.seen, so that a
 * restarted coordinator still expects them (coord_seen.h). */
static void
co_seen_persist(co *c)
{
	const char **v = crn_alloc((c->nnodes + 1) * sizeof(*v));
	cairn_err rv;

	if (v == NULL)
		return;
	for (size_t i = 0; i < c->nnodes; i++)
		v[i] = c->nodes[i].name;
	rv = co_seen_save(c->cfg->coord.state_dir, v, c->nnodes);
	if (rv != CAIRN_OK)
		crn_log_warn("cannot record the known nodes in %s/%s: %s",
		    c->cfg->coord.state_dir, CO_SEEN_FILE, cairn_strerror(rv));
	crn_free(v, (c->nnodes + 1) * sizeof(*v));
}

/* A node known before a restart: expected, not connected. */
static cairn_err
co_node_known(co *c, const char *name)
{
	co_node *nn;

	if (co_node_find(c, name) != NULL || c->nnodes >= CO_MAX_NODES)
		return CAIRN_OK;
	nn = crn_realloc(
	    c->nodes, c->nnodes * sizeof(*nn), (c->nnodes + 1) * sizeof(*nn));
	if (nn == NULL)
		return CAIRN_ENOMEM;
	c->nodes = nn;
	memset(&nn[c->nnodes], 0, sizeof(*nn));
	snprintf(nn[c->nnodes].name, sizeof(nn->name), "%s", name);
	c->nnodes++;
	return CAIRN_OK;
}

/* Load state_dir/nodes.seen: every node seen before a restart. */
static cairn_err
co_seen_restore(co *c)
{
	char **v = NULL;
	size_t n = 0, bad = 0;
	cairn_err rv;

	rv = co_seen_load(c->cfg->coord.state_dir, &v, &n, &bad);
	if (rv != CAIRN_OK) {
		crn_log_err("cannot read %s/%s: %s (delete it to start afresh)",
		    c->cfg->coord.state_dir, CO_SEEN_FILE, cairn_strerror(rv));
		return rv;
	}
	if (bad > 0)
		crn_log_warn("%s/%s: %zu lines are not node names, ignored",
		    c->cfg->coord.state_dir, CO_SEEN_FILE, bad);
	for (size_t i = 0; i < n && rv == CAIRN_OK; i++)
		rv = co_node_known(c, v[i]);
	if (n > 0)
		crn_log_info("expecting %zu known nodes (from %s/%s)", n,
		    c->cfg->coord.state_dir, CO_SEEN_FILE);
	co_seen_free(v, n);
	return rv;
}

/* Remember that node `name` is reachable on conn (its newest message). */
static void
co_node_seen(
    co *c, const char *name, const uint8_t pk[CAIRN_SIGN_PK_LEN], uint32_t conn)
{
	co_node *n = co_node_find(c, name);
	co_node *nn;

	if (n == NULL) {
		if (c->nnodes >= CO_MAX_NODES) {
			crn_log_warn("node '%s' ignored: %d nodes known", name,
			    CO_MAX_NODES);
			return;
		}
		nn = crn_realloc(c->nodes, c->nnodes * sizeof(*nn),
		    (c->nnodes + 1) * sizeof(*nn));
		if (nn == NULL)
			return;
		c->nodes = nn;
		n = &c->nodes[c->nnodes++];
		memset(n, 0, sizeof(*n));
		snprintf(n->name, sizeof(n->name), "%s", name);
		crn_log_info("node '%s' joined (connection %08x)", name, conn);
		co_seen_persist(c);
	} else if (!n->live || n->conn != conn) {
		crn_log_info("node '%s' %s (connection %08x)", name,
		    n->live ? "reconnected" : "is back", conn);
		/* A new connection's first hello comes at once, not after
		 * an interval: measure from its second. */
		n->hello_ms = 0;
		n->beat_ms = 0;
	}
	/* A re-issued certificate may carry a new key: the newest wins. */
	memcpy(n->pk, pk, CAIRN_SIGN_PK_LEN);
	n->conn = conn;
	n->live = true;
	n->seen_ms = crn_rt_now_ms();
	n->seen_wall = crn_rt_wall();
}

static bool
co_node_usable(const co_node *n, int64_t now)
{
	int64_t beat = n->beat_ms > 0 ? n->beat_ms : CO_NODE_BEAT_MS;

	return n->live && now - n->seen_ms < CO_NODE_STALE_BEATS * beat + 500;
}

/* A hello from n: learn its heartbeat interval from the last two hellos,
 * at least CO_NODE_BEAT_MIN_MS (a node whose loop was held up once, or
 * that sends faster, is judged on its latest beat, never too eagerly). */
static void
co_node_hello(co_node *n, int64_t now)
{
	if (n->hello_ms > 0)
		n->beat_ms = now - n->hello_ms < CO_NODE_BEAT_MIN_MS
		    ? CO_NODE_BEAT_MIN_MS
		    : now - n->hello_ms;
	n->hello_ms = now;
}

/* Whether list (entries "name" or "name\nnote") holds name. */
static bool
co_listed(char *const *list, size_t n, const char *name)
{
	size_t k = strlen(name);

	for (size_t i = 0; i < n; i++)
		if (strncmp(list[i], name, k) == 0 &&
		    (list[i][k] == '\0' || list[i][k] == '\n'))
			return true;
	return false;
}

/* The category of a node's refusal (code and text of its ErrorReport),
 * as the researcher sees it: one word, so scripts can act on it. */
static const char *
co_refusal_category(int32_t code, const char *msg)
{
	switch ((cairn_err)code) {
	case CAIRN_EPERM:
		/* The node's min_participants, or its schema's max_nodes. */
		return strstr(msg, "nodes offered") != NULL ? "participants"
		                                            : "policy";
	case CAIRN_EDATA:
	case CAIRN_ENOENT: return "data";
	case CAIRN_EREPLAY: return "replay";
	case CAIRN_EEXPIRED:
	case CAIRN_ENOTYET: return "time";
	case CAIRN_EAUTH:
	case CAIRN_EREVOKED:
	case CAIRN_EROLE:
	case CAIRN_EUNKNOWNCA:
	case CAIRN_ETAMPERED: return "certificate";
	case CAIRN_ETOOBIG: return "capacity";
	case CAIRN_EABORT: return "participants";
	default: return "error";
	}
}

/* Record that `name` will not be in this job's sum: lost in the current
 * pass and round (cat NULL) or refused for reason category cat, as one
 * entry "name\nnote".  A node's first event is what the researcher is
 * told. */
static void
co_fate(co_session *s, const char *name, const char *cat)
{
	char e[CRN_CERT_NAME_MAX + 64];

	if (co_listed(s->lost, s->nlost, name) ||
	    co_listed(s->ref, s->nref, name))
		return;
	if (cat != NULL) {
		snprintf(e, sizeof(e), "%s\n%s", name, cat);
		if (crn_rt_names_add(&s->ref, &s->nref, e) != CAIRN_OK)
			crn_log_warn("out of memory: '%s' refused", name);
		return;
	}
	if (s->model != NULL)
		snprintf(e, sizeof(e), "%s\nmodel round %u %s", name, s->pass,
		    s->round < CRN_SA_R_DONE
		        ? crn_sa_round_name((crn_sa_round)s->round)
		        : "done");
	else
		snprintf(e, sizeof(e), "%s\n%s %s", name,
		    s->pass == CRN_RELEASE_PASS_FIGURES ? "figures" : "counts",
		    s->round < CRN_SA_R_DONE
		        ? crn_sa_round_name((crn_sa_round)s->round)
		        : "done");
	if (crn_rt_names_add(&s->lost, &s->nlost, e) != CAIRN_OK)
		crn_log_warn("out of memory: '%s' lost", name);
}

/* Append ", item" (or "item" first) to the list in buf, keeping it a
 * string when it is full. */
static void
co_note_add(char *buf, size_t size, const char *item)
{
	size_t len = strlen(buf);

	if (len + 1 < size)
		snprintf(
		    buf + len, size - len, "%s%s", len > 0 ? ", " : "", item);
}

/* Slot i (0-based) will not answer any more in this pass. */
static void
co_slot_out(co_session *s, uint32_t i, const char *cat)
{
	if (!s->slots[i].out)
		co_fate(s, s->slots[i].name, cat);
	s->slots[i].out = true;
}

/* Send an encoded envelope to connection conn. */
static cairn_err
co_send_conn(co *c, uint32_t conn, const uint8_t *buf, size_t len, int ms)
{
	cairn_err rv = crn_tr_send(c->tr, conn, buf, len, ms);

	if (rv == CAIRN_OK) {
		c->ost->bytes_out += len;
		c->ost->msgs_out++;
	}
	return rv;
}

/* The job ended (or was refused) with outcome: count it and list it on
 * the status page.  s may be NULL for a job refused before it had a
 * session; researcher names who asked then. */
static void
co_job_end(co *c, const co_session *s, const char *researcher,
    crn_ops_outcome outcome, size_t nodes, const char *detail)
{
	crn_ops_job_row row;

	memset(&row, 0, sizeof(row));
	row.outcome = outcome;
	row.nodes = (uint32_t)nodes;
	row.finished = crn_rt_wall();
	snprintf(row.detail, sizeof(row.detail), "%s", detail);
	snprintf(row.job, sizeof(row.job), "-");
	snprintf(row.researcher, sizeof(row.researcher), "%s", researcher);
	if (s != NULL && s->used) {
		crn_rt_hex(s->job_id, 8, row.job);
		snprintf(row.what, sizeof(row.what), "%s", s->what);
		row.ms = crn_rt_now_ms() - s->started;
	}
	crn_ops_job_end(c->ost, &row);
}

/* A round of s closed now: how long it took. */
static void
co_round_closed(co *c, co_session *s)
{
	int64_t now = crn_rt_now_ms();

	if (s->round < CRN_OPS_ROUNDS)
		crn_ops_hist_observe(&c->ost->round[s->round],
		    (double)(now - s->round_started) / 1000.0);
	s->round_started = now;
	c->ost->dirty = true;
}

static cairn_err
co_send_msg(co *c, uint32_t conn, uint32_t type, const uint8_t *sid,
    uint32_t round, const uint8_t *payload, size_t plen, int ms)
{
	uint8_t *env = NULL;
	size_t elen = 0;
	cairn_err rv;

	if ((rv = crn_rt_wrap(&c->party, type, sid, round, payload, plen, &env,
	         &elen)) != CAIRN_OK)
		return rv;
	rv = co_send_conn(c, conn, env, elen, ms);
	crn_free(env, elen);
	return rv;
}

static void
co_send_error(
    co *c, uint32_t conn, const uint8_t *sid, cairn_err code, const char *msg)
{
	crn_rt_error e = {
	    .code = (int32_t)code, .message = (char *)(uintptr_t)msg};
	uint8_t *buf = NULL;
	size_t len = 0;

	if (crn_rt_error_encode(&e, &buf, &len) != CAIRN_OK)
		return;
	(void)co_send_msg(
	    c, conn, CRN_RT_MSG_ERROR, sid, 0, buf, len, CO_SEND_MS);
	crn_free(buf, len);
}

/* Send a JobResult to the researcher: a failure (code != 0) with text, or
 * success with the sum. */
static void
co_send_result(co *c, const co_session *s, crn_rt_result *r)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	cairn_err rv;

	memcpy(r->job_id, s->job_id, CRN_RT_JOB_ID_LEN);
	if ((rv = crn_rt_result_encode(r, &buf, &len)) != CAIRN_OK) {
		crn_log_err("cannot encode the result: %s", cairn_strerror(rv));
		return;
	}
	/* Bounded like every send: a researcher that went away must not
	 * hold the other sessions up for long. */
	rv = co_send_msg(c, s->rconn, CRN_RT_MSG_JOB_RESULT, s->sid, 0, buf,
	    len, CO_SEND_MS);
	if (rv != CAIRN_OK)
		crn_log_warn("result for '%s' not delivered: %s", s->researcher,
		    cairn_strerror(rv));
	crn_free(buf, len);
}

static void
co_fail_job(co *c, uint32_t conn, const uint8_t job_id[CRN_JOB_ID_LEN],
    cairn_err code, uint32_t needed, uint32_t answered, const char *msg)
{
	crn_rt_result r;
	uint8_t *buf = NULL;
	size_t len = 0;

	memset(&r, 0, sizeof(r));
	if (job_id != NULL)
		memcpy(r.job_id, job_id, CRN_RT_JOB_ID_LEN);
	r.code = (int32_t)code;
	r.error = (char *)(uintptr_t)msg;
	r.needed = needed;
	r.answered = answered;
	if (crn_rt_result_encode(&r, &buf, &len) != CAIRN_OK)
		return;
	(void)co_send_msg(
	    c, conn, CRN_RT_MSG_JOB_RESULT, NULL, 0, buf, len, CO_SEND_MS);
	crn_free(buf, len);
}

/* The released table of the last pass into r; when the sum cannot be
 * decoded the researcher gets the error instead, never the sum. */
static void
co_release(const co_session *s, const uint8_t *sum, size_t len, uint32_t nodes,
    crn_rt_result *r)
{
	char why[256] = "";
	cairn_err rv;

	if (s->is_code) {
		/* A program's output is its sum (the operators approved what
		 * it computes); the researcher's coordinator part decodes. */
		if (len > 0 && (r->sum = crn_alloc(len)) == NULL) {
			r->code = CAIRN_ENOMEM;
			r->error = (char *)(uintptr_t) "out of memory";
			return;
		}
		if (len > 0)
			memcpy(r->sum, sum, len);
		r->sum_len = len;
		r->ring_bits = CRN_CODE_RING_BITS;
		return;
	}
	rv = co_coord_plan_release(
	    s->plan, &s->rel, sum, len, nodes, s->is_sum, r, why, sizeof(why));
	if (rv != CAIRN_OK) {
		crn_log_err("job for '%s': %s", s->researcher, why);
		r->code = (int32_t)rv;
		crn_strfree(r->table_text);
		crn_strfree(r->table_json);
		crn_strfree(r->table_csv);
		r->table_text = r->table_json = r->table_csv = NULL;
		r->error = (char
		        *)(uintptr_t) "the coordinator could not decode the sum";
	}
}

/* The current pass's machine and slots go; the job stays. */
static void
co_pass_end(co *c, co_session *s)
{
	/* The session's counters are no longer needed: its id is never
	 * offered again, and a long-running coordinator must not fill its
	 * replay guard. */
	if (s->sa != NULL &&
	    crn_replay_forget(c->party.replay, s->sid) != CAIRN_OK)
		crn_log_debug("replay guard keeps an ended session");
	crn_sa_coord_free(s->sa);
	s->sa = NULL;
	crn_free(s->ids, s->nslots * sizeof(*s->ids));
	crn_free(s->slots, s->nslots * sizeof(*s->slots));
	s->ids = NULL;
	s->slots = NULL;
	s->nslots = 0;
}

static void
co_session_end(co *c, co_session *s)
{
	co_pass_end(c, s);
	crn_plan_free(s->plan);
	crn_free(s->signed_job, s->signed_job_len);
	crn_release_fini(&s->rel);
	crn_rt_names_free(s->offered, s->noffered);
	crn_rt_names_free(s->counted, s->ncounted);
	crn_rt_names_free(s->lost, s->nlost);
	crn_rt_names_free(s->ref, s->nref);
	crn_rt_names_free(s->absent, s->nabsent);
	crn_model_fit_fini(&s->fit);
	crn_model_free(s->model);
	memset(s, 0, sizeof(*s));
}

static void
co_progress(co *c, co_session *s, uint32_t answered)
{
	crn_rt_jobstatus st;
	uint8_t *buf = NULL;
	size_t len = 0;

	memset(&st, 0, sizeof(st));
	memcpy(st.job_id, s->job_id, CRN_RT_JOB_ID_LEN);
	st.round = s->round;
	st.nodes = s->nslots;
	st.answered = answered;
	st.pass = s->pass;
	st.passes = CRN_RELEASE_PASSES;
	for (uint32_t i = 0; i < s->nslots; i++) {
		size_t o = strlen(st.waiting);

		st.dropped += s->slots[i].out;
		if (s->slots[i].waiting && !s->slots[i].out &&
		    !s->slots[i].answered)
			snprintf(st.waiting + o, sizeof(st.waiting) - o, "%s%s",
			    o > 0 ? ", " : "", s->slots[i].name);
	}
	if (crn_rt_jobstatus_encode(&st, &buf, &len) != CAIRN_OK)
		return;
	/* Progress is best effort: never hold a session up for it. */
	(void)co_send_msg(
	    c, s->rconn, CRN_RT_MSG_JOB_STATUS, s->sid, 0, buf, len, 200);
	crn_free(buf, len);
}

/* Send one message the machine produced to machine slot `slot`. */
static void
co_send_slot(
    co *c, co_session *s, uint32_t slot, const uint8_t *env, size_t elen)
{
	co_slot *sl;
	co_node *n;
	cairn_err rv;

	if (slot == 0 || slot > s->nslots)
		return;
	sl = &s->slots[slot - 1];
	if (sl->out)
		return;
	n = co_node_find(c, sl->name);
	if (n == NULL || !n->live) {
		co_slot_out(s, slot - 1, NULL);
		return;
	}
	if ((rv = co_send_conn(c, n->conn, env, elen, CO_SEND_MS)) !=
	    CAIRN_OK) {
		crn_log_warn(
		    "node '%s' unreachable: %s", sl->name, cairn_strerror(rv));
		co_slot_out(s, slot - 1, NULL);
		if (rv == CAIRN_ECLOSED)
			n->live = false;
	}
}

static uint32_t
co_count_answered(const co_session *s)
{
	uint32_t k = 0;

	for (uint32_t i = 0; i < s->nslots; i++)
		k += s->slots[i].answered;
	return k;
}

/* The machine sent the first message of round r: the previous round
 * closed.  Start r's deadline and tell the researcher. */
static void
co_enter_round(co *c, co_session *s, uint32_t r)
{
	uint32_t answered = co_count_answered(s);

	crn_log_info(
	    "session %02x%02x%02x%02x: round %s closed, %u of %u answered (%lld ms since the offer)",
	    s->sid[0], s->sid[1], s->sid[2], s->sid[3],
	    crn_sa_round_name((crn_sa_round)s->round), answered, s->nslots,
	    (long long)(crn_rt_now_ms() - s->started));
	co_round_closed(c, s);
	for (uint32_t i = 0; i < s->nslots; i++) {
		/* A node that missed a round is out of the session. */
		if (!s->slots[i].answered && !s->slots[i].out &&
		    s->round < CRN_OPS_ROUNDS)
			c->ost->dropouts[s->round]++;
		if (!s->slots[i].answered)
			co_slot_out(s, i, NULL);
		s->slots[i].answered = false;
		s->slots[i].waiting = false;
	}
	s->round = r;
	s->deadline = crn_rt_now_ms() + co_round_ms(c, r);
	co_progress(c, s, answered);
}

static bool
co_name_in(char *const *list, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(list[i], name) == 0)
			return true;
	return false;
}

/* The names of the slots whose inputs are in the sum of the pass that
 * just ended, in slot (name) order. */
static cairn_err
co_survivors(const co_session *s, char ***names, size_t *n)
{
	uint32_t nsurv = 0;
	const uint32_t *surv = crn_sa_coord_survivor_slots(s->sa, &nsurv);
	bool *in = crn_zalloc(s->nslots + 1);
	cairn_err rv = CAIRN_OK;

	*names = NULL;
	*n = 0;
	if (in == NULL)
		return CAIRN_ENOMEM;
	for (uint32_t k = 0; k < nsurv; k++)
		if (surv[k] >= 1 && surv[k] <= s->nslots)
			in[surv[k]] = true;
	for (uint32_t k = 1; k <= s->nslots && rv == CAIRN_OK; k++)
		if (in[k])
			rv = crn_rt_names_add(names, n, s->slots[k - 1].name);
	crn_free(in, s->nslots + 1);
	if (rv != CAIRN_OK) {
		crn_rt_names_free(*names, *n);
		*names = NULL;
		*n = 0;
	}
	return rv;
}

/*
 * Degree and threshold by the rule nodes apply to what they accept
 * (crn_graph_choose_ex under our threat policy and assumed fractions:
 * the complete graph below CRN_GRAPH_SPARSE_MIN_N nodes, SecAgg+ above).
 * The configured threshold fraction can only raise t on the complete
 * graph; a node refuses anything below its own policy either way.
 */
static void
co_params(const co *c, uint32_t n, uint32_t *t, uint32_t *degree)
{
	const crn_cfg_coordinator *cc = &c->cfg->coord;
	crn_graph_params gp;
	uint32_t floor_t = (uint32_t)((double)n * cc->threshold) + 1;

	*degree = 0;
	*t = n;
	if (n < 3 ||
	    crn_graph_choose_ex(&gp, n, cc->corrupt_frac, cc->dropout_frac, 1,
	        cc->malicious) != CAIRN_OK)
		return;
	*t = gp.threshold;
	if (gp.degree > 0 && gp.degree < n - 1) {
		*degree = gp.degree;
		return;
	}
	if (floor_t > *t)
		*t = floor_t > n ? n : floor_t;
}

/* The vector each node sends in the current pass. */
static cairn_err
co_pass_shape(const co_session *s, uint32_t *ring_bits, uint64_t *dim)
{
	if (s->is_code) {
		*ring_bits = CRN_CODE_RING_BITS;
		*dim = s->code_dim;
		return CAIRN_OK;
	}
	if (s->model != NULL) {
		*ring_bits = 128;
		*dim = s->model->dim;
		return CAIRN_OK;
	}
	if (s->pass == CRN_RELEASE_PASS_COUNTS)
		return crn_release_counts_shape(s->plan, ring_bits, dim);
	*ring_bits = s->plan->ring_bits;
	*dim = crn_release_figures_dim(s->plan, &s->rel);
	return CAIRN_OK;
}

/* The message that opens the current pass for n nodes and threshold t:
 * the signed job (pass 1) or the cells pass 2 sums. */
static cairn_err
co_opening(co_session *s, uint32_t t, uint32_t n, uint32_t *type, uint8_t **buf,
    size_t *len)
{
	if (s->pass == CRN_RELEASE_PASS_COUNTS) {
		crn_rt_offer offer = {.signed_job = s->signed_job,
		    .signed_job_len = s->signed_job_len,
		    .threshold = t,
		    .nodes = n,
		    .audit_head_len = CRN_RT_AUDIT_HEAD_LEN};

		memcpy(offer.audit_head, s->audit_head, CRN_RT_AUDIT_HEAD_LEN);
		*type = CRN_RT_MSG_JOB_OFFER;
		return crn_rt_offer_encode(&offer, buf, len);
	}
	*type = CRN_RT_MSG_PASS_START;
	if (s->model != NULL) {
		crn_model_round r = {.round = s->pass,
		    .params = s->fit.params,
		    .nparams = crn_model_nparams(s->model),
		    .threshold = t,
		    .nodes = n};

		memcpy(r.job_id, s->job_id, CRN_JOB_ID_LEN);
		return crn_model_round_encode(&r, buf, len);
	}
	s->rel.threshold = t;
	s->rel.nodes = n;
	return crn_release_encode(&s->rel, buf, len);
}

/* Who is offered the current pass. */
static void
co_audit_parties(co *c, const co_session *s)
{
	char nodes[2048], pass[16];
	size_t o = 0;

	nodes[0] = '\0';
	for (uint32_t i = 0; i < s->nslots && o + 1 < sizeof(nodes); i++) {
		int w = snprintf(nodes + o, sizeof(nodes) - o, "%s%s",
		    i > 0 ? ", " : "", s->slots[i].name);

		if (w < 0)
			break;
		o += (size_t)w;
	}
	snprintf(pass, sizeof(pass), "%u", s->pass);
	{
		const crn_audit_field f[] = {{"pass", pass}, {"nodes", nodes}};

		co_audit(c, s, CRN_AUDIT_PARTIES, f, CRN_NELEM(f));
	}
}

/* Test build only (crn_hooks.coord_round_params): slot i's own round
 * message, at parameters the hook changed, on the session they name. */
static void
co_send_split(co *c, co_session *s, uint32_t slot, uint32_t t, uint32_t n)
{
	size_t np = crn_model_nparams(s->model);
	double *par = crn_alloc((np ? np : 1) * sizeof(double));
	crn_model_round r = {.round = s->pass,
	    .params = par,
	    .nparams = np,
	    .threshold = t,
	    .nodes = n};
	uint8_t sid[CAIRN_SESSION_ID_LEN], *msg = NULL, *env = NULL;
	size_t mlen = 0, elen = 0;

	if (par == NULL)
		return;
	memcpy(par, s->fit.params, np * sizeof(double));
	memcpy(r.job_id, s->job_id, CRN_JOB_ID_LEN);
	crn_hooks.coord_round_params(s->slots[slot - 1].name, s->pass, par, np);
	if (crn_model_round_sid(sid, s->job_id, s->pass, par, np) == CAIRN_OK &&
	    crn_model_round_encode(&r, &msg, &mlen) == CAIRN_OK &&
	    crn_rt_wrap(&c->party, CRN_RT_MSG_PASS_START, sid, 0, msg, mlen,
	        &env, &elen) == CAIRN_OK)
		co_send_slot(c, s, slot, env, elen);
	crn_free(msg, mlen);
	crn_free(env, elen);
	crn_free(par, (np ? np : 1) * sizeof(double));
}

/* Open the pass or round on s->sid: the opening message (threshold t,
 * n nodes) to every slot still in, round `round` awaited from now. */
static cairn_err
co_open_round(co *c, co_session *s, uint32_t t, uint32_t n, uint32_t round)
{
	uint8_t *msg = NULL, *env = NULL;
	size_t mlen = 0, elen = 0;
	uint32_t type = 0;
	cairn_err rv;

	if ((rv = co_opening(s, t, n, &type, &msg, &mlen)) == CAIRN_OK &&
	    (rv = crn_rt_wrap(&c->party, type, s->sid, 0, msg, mlen, &env,
	         &elen)) == CAIRN_OK) {
		s->round = round;
		s->deadline = crn_rt_now_ms() + co_round_ms(c, round);
		s->round_started = crn_rt_now_ms();
		co_audit_parties(c, s);
		for (uint32_t i = 1; i <= s->nslots; i++)
			if (crn_hooks.coord_round_params != NULL &&
			    s->model != NULL && s->pass >= 2)
				co_send_split(c, s, i, t, n);
			else
				co_send_slot(c, s, i, env, elen);
		co_progress(c, s, 0);
	}
	crn_free(msg, mlen);
	crn_free(env, elen);
	return rv;
}

/* Start pass `pass` of the job with the nodes of s->slots: its own
 * session id (derived from the job), a new machine, and the pass's
 * opening message to every node.  The same code runs every pass. */
static cairn_err
co_pass_begin(co *c, co_session *s, uint32_t pass, char *why, size_t whylen)
{
	crn_sa_coord_cfg scfg;
	uint32_t n = s->nslots;
	cairn_err rv;

	memset(&scfg, 0, sizeof(scfg));
	s->pass = pass;
	if ((rv = s->model != NULL
	            ? crn_model_round_sid(s->sid, s->job_id, pass,
	                  s->fit.params, crn_model_nparams(s->model))
	            : crn_release_session_id(s->sid, s->job_id, pass)) !=
	        CAIRN_OK ||
	    (rv = co_pass_shape(s, &scfg.params.ring_bits, &scfg.params.dim)) !=
	        CAIRN_OK)
		goto out;
	co_params(c, n, &scfg.params.threshold, &scfg.params.degree);
	memcpy(scfg.params.session_id, s->sid, CAIRN_SESSION_ID_LEN);
	scfg.nslots = n;
	/* Each slot's advertisement must come from the key of the
	 * certificate that slot's envelopes are signed with. */
	if ((s->ids = crn_alloc(n * sizeof(*s->ids))) == NULL) {
		rv = CAIRN_ENOMEM;
		goto out;
	}
	for (uint32_t i = 0; i < n; i++)
		memcpy(s->ids[i], s->slots[i].pk, CAIRN_SIGN_PK_LEN);
	scfg.slot_ids = (const uint8_t(*)[CAIRN_SIGN_PK_LEN])s->ids;
	if ((rv = crn_sa_coord_new(&s->sa, &scfg)) != CAIRN_OK)
		goto out;
	crn_log_info(
	    "job for '%s', pass %u of %u: session %02x%02x%02x%02x with %u nodes, threshold %u, %llu x %u-bit",
	    s->researcher, pass, CRN_RELEASE_PASSES, s->sid[0], s->sid[1],
	    s->sid[2], s->sid[3], n, scfg.params.threshold,
	    (unsigned long long)scfg.params.dim, scfg.params.ring_bits);
	rv = co_open_round(c, s, scfg.params.threshold, n, 0);
out:
	if (rv != CAIRN_OK)
		snprintf(why, whylen, "cannot start pass %u: %s", pass,
		    cairn_strerror(rv));
	return rv;
}

/* Round `pass` of a fit, continuing the session of round 1 (docs/
 * DESIGN.md "Later rounds"): the same roster and slots, no key
 * agreement; the nodes outside the last survivor set are out for good
 * (the machine refuses them, and they are not sent the round).  Its own
 * session id, like every round; the nodes answer the round's parameters
 * with ShareKeys at once. */
static cairn_err
co_chain_begin(co *c, co_session *s, uint32_t pass, char **surv, size_t nsurv,
    char *why, size_t whylen)
{
	uint32_t t = 0, degree = 0;
	cairn_err rv;

	if (crn_replay_forget(c->party.replay, s->sid) != CAIRN_OK)
		crn_log_debug("replay guard keeps an ended session");
	for (uint32_t i = 0; i < s->nslots; i++) {
		if (!co_name_in(surv, nsurv, s->slots[i].name))
			co_slot_out(s, i, NULL);
		s->slots[i].answered = false;
		s->slots[i].waiting = false;
	}
	s->pass = pass;
	co_params(c, s->nslots, &t, &degree);
	/* The round's session is bound to its parameters (what
	 * co_opening sends): nodes sent other ones cannot join its sum. */
	if ((rv = crn_model_round_sid(s->sid, s->job_id, pass, s->fit.params,
	         crn_model_nparams(s->model))) != CAIRN_OK ||
	    (rv = crn_sa_coord_next(s->sa, s->sid, pass)) != CAIRN_OK)
		goto out;
	crn_log_info(
	    "job for '%s', model round %u: session %02x%02x%02x%02x continues round 1's with %zu nodes, threshold %u",
	    s->researcher, pass, s->sid[0], s->sid[1], s->sid[2], s->sid[3],
	    nsurv, t);
	rv = co_open_round(c, s, t, (uint32_t)nsurv, CRN_SA_R_SHARE);
out:
	if (rv != CAIRN_OK)
		snprintf(why, whylen, "cannot start model round %u: %s", pass,
		    cairn_strerror(rv));
	return rv;
}

/* MSG_PASS_START with msg on session sid to every live node of the
 * current slots (those that dropped out too: they may hold the job). */
static void
co_send_slots(co *c, const co_session *s, const uint8_t *sid,
    const uint8_t *msg, size_t mlen)
{
	for (uint32_t i = 0; i < s->nslots; i++) {
		co_node *n = co_node_find(c, s->slots[i].name);

		if (n != NULL && n->live)
			(void)co_send_msg(c, n->conn, CRN_RT_MSG_PASS_START,
			    sid, 0, msg, mlen, CO_SEND_MS);
	}
}

/* Tell every node of the current slots that the job ends before pass 2
 * (an empty list for the pass-2 session): they wipe what they kept. */
static void
co_send_forget(co *c, co_session *s)
{
	crn_release e;
	uint8_t sid[CAIRN_SESSION_ID_LEN], *msg = NULL;
	size_t mlen = 0;

	memset(&e, 0, sizeof(e));
	memcpy(e.job_id, s->job_id, CRN_JOB_ID_LEN);
	e.min_cell = s->plan->min_cell;
	e.nmeasures = (uint32_t)s->plan->nmeasures;
	if (crn_release_session_id(
	        e.counts_sid, s->job_id, CRN_RELEASE_PASS_COUNTS) != CAIRN_OK ||
	    crn_release_session_id(sid, s->job_id, CRN_RELEASE_PASS_FIGURES) !=
	        CAIRN_OK ||
	    crn_release_encode(&e, &msg, &mlen) != CAIRN_OK)
		return;
	/* Nodes that dropped out may still hold the job: all of them. */
	co_send_slots(c, s, sid, msg, mlen);
	crn_free(msg, mlen);
}

/* Add list entry e ("name\nnote") to the names and notes lists. */
static cairn_err
co_split_add(
    const char *e, char ***names, size_t *nn, char ***notes, size_t *nnotes)
{
	char name[CRN_CERT_NAME_MAX + 1];
	const char *nl = strchr(e, '\n');
	size_t k = nl != NULL ? (size_t)(nl - e) : strlen(e);
	cairn_err rv;

	if (k >= sizeof(name))
		k = sizeof(name) - 1;
	memcpy(name, e, k);
	name[k] = '\0';
	if ((rv = crn_rt_names_add(names, nn, name)) != CAIRN_OK)
		return rv;
	return crn_rt_names_add(notes, nnotes, nl != NULL ? nl + 1 : "");
}

/* Account in r for every node the federation expects that is not in
 * surv: each offered node is dropped (with where) or refused (with its
 * category), each expected one not offered is absent. */
static cairn_err
co_account(
    const co_session *s, char *const *surv, size_t nsurv, crn_rt_result *r)
{
	cairn_err rv = CAIRN_OK;

	for (size_t i = 0; i < s->noffered && rv == CAIRN_OK; i++) {
		const char *name = s->offered[i], *e = NULL;
		size_t k = strlen(name);

		if (co_listed(surv, nsurv, name))
			continue;
		for (size_t j = 0; j < s->nref && e == NULL; j++)
			if (strncmp(s->ref[j], name, k) == 0 &&
			    s->ref[j][k] == '\n')
				e = s->ref[j];
		if (e != NULL) {
			rv = co_split_add(e, &r->refused, &r->nrefused,
			    &r->refused_reason, &r->nrefused_reason);
			continue;
		}
		for (size_t j = 0; j < s->nlost && e == NULL; j++)
			if (strncmp(s->lost[j], name, k) == 0 &&
			    s->lost[j][k] == '\n')
				e = s->lost[j];
		/* Left out by the machine itself (an invalid message). */
		rv = co_split_add(e != NULL ? e : name, &r->dropped,
		    &r->ndropped, &r->dropped_round, &r->ndropped_round);
	}
	for (size_t i = 0; i < s->nabsent && rv == CAIRN_OK; i++)
		rv = crn_rt_names_add(&r->absent, &r->nabsent, s->absent[i]);
	return rv;
}

/* The fitted model into r (its text, JSON and CSV renderings). */
static void
co_model_release(const co_session *s, crn_rt_result *r)
{
	if (crn_model_fit_render(&s->fit, &r->table_text, &r->table_json,
	        &r->table_csv) != CAIRN_OK) {
		r->code = (int32_t)CAIRN_ENOMEM;
		r->error = (char
		        *)(uintptr_t) "the coordinator could not render the model";
	}
}

/* Tell the nodes of the current slots that the fit is over (the session
 * of round 0): they release the job. */
static void
co_model_end(co *c, co_session *s)
{
	crn_model_round r = {.round = 0};
	uint8_t sid[CAIRN_SESSION_ID_LEN], *msg = NULL;
	size_t mlen = 0;

	memcpy(r.job_id, s->job_id, CRN_JOB_ID_LEN);
	if (crn_model_session_id(sid, s->job_id, 0) != CAIRN_OK ||
	    crn_model_round_encode(&r, &msg, &mlen) != CAIRN_OK)
		return;
	co_send_slots(c, s, sid, msg, mlen);
	crn_free(msg, mlen);
}

/* The final result: the released table of the last pass, with who
 * contributed (the last pass's nodes: the figures are theirs), who was
 * offered the job and did not, and who was counted in pass 1 but is not
 * in the figures.  Takes ownership of surv. */
static void
co_finish(co *c, co_session *s, const uint8_t *sum, size_t len, char **surv,
    size_t nsurv)
{
	crn_rt_result r;
	cairn_err rv = CAIRN_OK;

	memset(&r, 0, sizeof(r));
	r.contributed = surv;
	r.ncontributed = nsurv;
	r.error = (char *)(uintptr_t) "";
	rv = co_account(s, surv, nsurv, &r);
	for (size_t i = 0; i < s->ncounted && rv == CAIRN_OK; i++)
		if (!co_name_in(surv, nsurv, s->counted[i]))
			rv = crn_rt_names_add(&r.dropped_between,
			    &r.ndropped_between, s->counted[i]);
	if (s->model != NULL)
		co_model_release(s, &r);
	else
		co_release(s, sum, len, (uint32_t)nsurv, &r);
	crn_log_info(
	    "job for '%s' done: %zu nodes in the sum, %zu dropped, %zu refused, %zu absent, %zu between the passes, %lld ms",
	    s->researcher, r.ncontributed, r.ndropped, r.nrefused, r.nabsent,
	    r.ndropped_between, (long long)(crn_rt_now_ms() - s->started));
	{
		char detail[64] = "";

		if (r.ndropped + r.ndropped_between > 0)
			snprintf(detail, sizeof(detail), "%zu dropped",
			    r.ndropped + r.ndropped_between);
		co_job_end(c, s, s->researcher,
		    r.code == 0 ? CRN_OPS_DONE : CRN_OPS_FAILED, r.ncontributed,
		    r.code == 0 ? detail : r.error);
	}
	{
		char in[1024], out[1024], ref[1024], abs[1024];
		const crn_audit_field f[] = {
		    {"outcome", r.code == 0 ? "released" : "failed"},
		    {"reason",
		        r.code == 0                  ? ""
		            : r.code == CAIRN_ENOMEM ? "memory"
		                                     : "decode"},
		    {"contributed", in},
		    {"dropped", out},
		    {"refused", ref},
		    {"absent", abs},
		    {"detail", r.code == 0 ? "" : r.error},
		};

		co_join(in, sizeof(in), r.contributed, r.ncontributed);
		co_join(out, sizeof(out), r.dropped, r.ndropped);
		co_join(ref, sizeof(ref), r.refused, r.nrefused);
		co_join(abs, sizeof(abs), r.absent, r.nabsent);
		co_audit(c, s, CRN_AUDIT_OUTCOME, f, CRN_NELEM(f));
	}
	s->round = CRN_SA_R_DONE;
	co_progress(c, s, (uint32_t)r.ncontributed);
	co_send_result(c, s, &r);
	r.error = NULL;
	crn_rt_result_fini(&r);
}

/* Slots for the next pass: the current slots named in names (sorted). */
static co_slot *
co_next_slots(const co_session *s, char *const *names, size_t n)
{
	co_slot *v = crn_zalloc((n > 0 ? n : 1) * sizeof(*v));
	size_t k = 0;

	for (uint32_t i = 0; v != NULL && i < s->nslots && k < n; i++) {
		if (!co_name_in(names, n, s->slots[i].name))
			continue;
		memcpy(v[k].name, s->slots[i].name, sizeof(v[k].name));
		memcpy(v[k].pk, s->slots[i].pk, CAIRN_SIGN_PK_LEN);
		k++;
	}
	return v;
}

/* The job ends here without a result: count it, record its outcome with
 * the reason category, let pass-1 nodes wipe what they kept and tell the
 * researcher. */
static void
co_job_failed(co *c, co_session *s, cairn_err code, const char *reason,
    const char *why, uint32_t needed, uint32_t answered)
{
	crn_log_warn("job for '%s' failed: %s", s->researcher, why);
	co_job_end(c, s, s->researcher, CRN_OPS_FAILED, answered, why);
	co_audit_outcome(c, s, "failed", reason, why);
	if (s->model != NULL)
		co_model_end(c, s);
	else if (s->pass == CRN_RELEASE_PASS_COUNTS && !s->is_code)
		co_send_forget(c, s);
	co_fail_job(c, s->rconn, s->job_id, code, needed, answered, why);
}

/* Pass 1 ended with the counts: decide what may be released and start
 * pass 2 with pass 1's nodes, or end the job.  Takes ownership of surv.
 * Returns true when the job ended. */
static bool
co_after_counts(co *c, co_session *s, const uint8_t *sum, size_t len,
    char **surv, size_t nsurv)
{
	uint32_t n = (uint32_t)nsurv, need = c->cfg->coord.min_participants;
	co_slot *next;
	char why[256] = "";
	const char *reason = "participants";
	cairn_err rv, prv;

	s->counted = surv;
	s->ncounted = nsurv;
	rv = crn_release_decide(s->plan, sum, len, n, &s->rel);
	if (rv == CAIRN_OK)
		crn_log_info(
		    "job for '%s': counts pass done, %llu of %llu groups releasable, %lld ms",
		    s->researcher, (unsigned long long)s->rel.ngroups,
		    (unsigned long long)s->plan->ngroups,
		    (long long)(crn_rt_now_ms() - s->started));
	next = co_next_slots(s, surv, nsurv);
	co_pass_end(c, s);
	s->slots = next;
	s->nslots = next != NULL ? n : 0;
	memcpy(s->rel.job_id, s->job_id, CRN_JOB_ID_LEN);
	if (rv == CAIRN_OK && next == NULL)
		rv = CAIRN_ENOMEM;
	if (rv == CAIRN_OK &&
	    (rv = crn_release_session_id(s->rel.counts_sid, s->job_id,
	         CRN_RELEASE_PASS_COUNTS)) == CAIRN_OK &&
	    s->rel.ngroups == 0) {
		/* Every cell is below the minimum: nothing more leaves the
		 * nodes, and the answer is the all-suppressed table. */
		co_send_forget(c, s);
		co_finish(c, s, NULL, 0, surv, nsurv);
		s->counted = NULL;
		s->ncounted = 0;
		return true;
	}
	if (need < 2)
		need = 2;
	if (rv != CAIRN_OK) {
		snprintf(why, sizeof(why),
		    "the coordinator could not decode the counts: %s",
		    cairn_strerror(rv));
		reason = rv == CAIRN_ENOMEM ? "memory" : "decode";
	} else if (n < need) {
		snprintf(why, sizeof(why),
		    "%u nodes took part in the counts, the figures need %u", n,
		    need);
	} else if ((prv = co_pass_begin(c, s, CRN_RELEASE_PASS_FIGURES, why,
	                sizeof(why))) == CAIRN_OK) {
		return false;
	} else {
		reason = co_fail_reason(prv);
	}
	co_job_failed(
	    c, s, rv != CAIRN_OK ? rv : CAIRN_EABORT, reason, why, need, n);
	return true;
}

/* A fit that stops before its model: the error, and what became of
 * every expected node (the round's nodes, surv, as contributed). */
static void
co_model_fail(co *c, co_session *s, cairn_err rv, uint32_t need,
    char *const *surv, size_t nsurv, const char *why)
{
	crn_rt_result r;

	memset(&r, 0, sizeof(r));
	r.code = (int32_t)rv;
	r.error = (char *)(uintptr_t)why;
	r.needed = need;
	r.answered = (uint32_t)nsurv;
	for (size_t i = 0; i < nsurv; i++)
		if (crn_rt_names_add(
		        &r.contributed, &r.ncontributed, surv[i]) != CAIRN_OK)
			break;
	(void)co_account(s, surv, nsurv, &r);
	co_audit_outcome(c, s, "failed", co_fail_reason(rv), why);
	co_send_result(c, s, &r);
	r.error = NULL;
	crn_rt_result_fini(&r);
}

/* A model round ended with this sum: take the step, then finish the fit
 * or start the next round with this round's nodes (a node that dropped
 * does not come back).  Takes ownership of surv.  Returns true when the
 * job ended. */
static bool
co_model_round_done(co *c, co_session *s, const uint8_t *sum, size_t len,
    char **surv, size_t nsurv)
{
	uint32_t n = (uint32_t)nsurv, need = c->cfg->coord.min_participants;
	unsigned __int128 *v = NULL;
	double *st = NULL;
	char why[512] = "", err[400] = "";
	cairn_err rv = CAIRN_ENOMEM;

	if (len != s->model->dim * sizeof(*v)) {
		snprintf(why, sizeof(why), "the sum has the wrong length");
		rv = CAIRN_EINTERNAL;
		goto fail;
	}
	if ((v = crn_alloc(len)) == NULL ||
	    (st = crn_alloc(s->model->dim * sizeof(double))) == NULL)
		goto fail;
	memcpy(v, sum, len);
	crn_model_decode(s->model, v, st);
	if ((rv = crn_model_fit_step(&s->fit, st, err, sizeof(err))) !=
	    CAIRN_OK) {
		snprintf(why, sizeof(why), "model round %u: %s", s->pass, err);
		goto fail;
	}
	crn_log_info("job for '%s': model round %u done with %u nodes%s",
	    s->researcher, s->pass, n, s->fit.done ? ", fit over" : "");
	if (s->fit.done) {
		co_model_end(c, s);
		co_finish(c, s, NULL, 0, surv, nsurv);
		surv = NULL;
		nsurv = 0;
		rv = CAIRN_OK;
		goto out;
	}
	if (need < 2)
		need = 2;
	rv = CAIRN_EABORT;
	if (n < need) {
		snprintf(why, sizeof(why),
		    "%u nodes took part in model round %u, the next round needs %u",
		    n, s->pass, need);
		goto fail;
	}
	if ((rv = co_chain_begin(c, s, s->pass + 1, surv, nsurv, why,
	         sizeof(why))) == CAIRN_OK) {
		crn_rt_names_free(surv, nsurv);
		crn_free(v, len);
		crn_free(st, s->model->dim * sizeof(double));
		return false;
	}
fail:
	crn_log_warn("job for '%s' failed: %s", s->researcher, why);
	co_job_end(c, s, s->researcher, CRN_OPS_FAILED, n, why);
	co_model_end(c, s);
	co_model_fail(c, s, rv, need, surv, nsurv, why);
out:
	crn_rt_names_free(surv, nsurv);
	crn_free(v, len);
	if (st != NULL)
		crn_free(st, s->model->dim * sizeof(double));
	return true;
}

/* The machine finished the current pass with this sum.  Returns true
 * when the job ended. */
static bool
co_pass_done(co *c, co_session *s, const uint8_t *sum, size_t len)
{
	char **surv = NULL;
	size_t nsurv = 0;
	cairn_err rv;

	/* The machine closed the last round of the pass. */
	co_round_closed(c, s);
	if (crn_hooks.coord_survivors != NULL)
		crn_hooks.coord_survivors(true);
	rv = co_survivors(s, &surv, &nsurv);
	if (crn_hooks.coord_survivors != NULL)
		crn_hooks.coord_survivors(false);
	if (rv != CAIRN_OK) {
		co_job_failed(
		    c, s, CAIRN_ENOMEM, "memory", "out of memory", 0, 0);
		return true;
	}
	if (s->model != NULL)
		return co_model_round_done(c, s, sum, len, surv, nsurv);
	if (s->pass == CRN_RELEASE_PASS_COUNTS && !s->is_code)
		return co_after_counts(c, s, sum, len, surv, nsurv);
	co_finish(c, s, sum, len, surv, nsurv);
	return true;
}

/* The researcher's one line for an aborted pass: the machine's reason,
 * then what the nodes did: refused the job, disconnected (with the
 * round), refused to go on (with the first one's reason). */
static void
co_abort_text(const co_session *s, const char *reason, char *msg, size_t size)
{
	size_t len;

	snprintf(msg, size, "%s", reason);
	if (s->refused > 0) {
		len = strlen(msg);
		snprintf(msg + len, size - len,
		    "; %u node%s refused the job (%s)", s->refused,
		    s->refused == 1 ? "" : "s", s->refusal);
	}
	if (s->gone[0] != '\0') {
		len = strlen(msg);
		snprintf(msg + len, size - len, "; disconnected: %s", s->gone);
	}
	if (s->stopped[0] != '\0') {
		len = strlen(msg);
		snprintf(msg + len, size - len, "; refused to go on: %s (%s)",
		    s->stopped, s->stop_why);
	}
}

/* The machine aborted the current pass. */
static void
co_abort(co *c, co_session *s, const crn_sa_action *a)
{
	char msg[CRN_SA_REASON_LEN * 2 + 640];
	crn_rt_result r;

	memset(&r, 0, sizeof(r));
	r.code = a->abort.code != 0 ? a->abort.code : CAIRN_EABORT;
	/* Say why nodes were missing when they told us, and whose
	 * connection closed. */
	co_abort_text(s, a->abort.reason, msg, sizeof(msg));
	r.error = msg;
	r.needed = a->abort.needed;
	r.answered = a->abort.answered;
	/* Nobody contributed: say what became of every node. */
	(void)co_account(s, NULL, 0, &r);
	crn_log_warn("job for '%s' aborted in pass %u: %s", s->researcher,
	    s->pass, a->abort.reason);
	co_job_end(c, s, s->researcher, CRN_OPS_ABORTED, 0, msg);
	co_audit_outcome(
	    c, s, "aborted", co_fail_reason((cairn_err)r.code), msg);
	if (s->model != NULL)
		co_model_end(c, s);
	else if (s->pass == CRN_RELEASE_PASS_COUNTS && !s->is_code)
		co_send_forget(c, s);
	co_send_result(c, s, &r);
	r.error = NULL;
	crn_rt_result_fini(&r);
}

/* The first message of each round is the sign that the previous one
 * closed. */
static void
co_note_send(co *c, co_session *s, uint32_t type)
{
	static const struct {
		uint32_t type;
		crn_sa_round round;
	} opens[] = {
	    {CRN_SA_MSG_ROSTER, CRN_SA_R_REVEAL},
	    {CRN_SA_MSG_GRAPH_SEEDS, CRN_SA_R_SHARE},
	    {CRN_SA_MSG_SHARES_FWD, CRN_SA_R_MASKED},
	    {CRN_SA_MSG_CONSISTENCY_REQ, CRN_SA_R_CONSISTENCY},
	    {CRN_SA_MSG_UNMASK_REQ, CRN_SA_R_UNMASK},
	};

	for (size_t i = 0; i < CRN_NELEM(opens); i++)
		if (opens[i].type == type && s->round < opens[i].round)
			co_enter_round(c, s, opens[i].round);
}

/* Send one message the machine produced. */
static void
co_apply_send(co *c, co_session *s, const crn_sa_action *a)
{
	uint8_t *env = NULL;
	size_t elen = 0;

	co_note_send(c, s, a->type);
	if (crn_rt_wrap(&c->party, a->type, s->sid, s->round, a->data, a->len,
	        &env, &elen) != CAIRN_OK) {
		crn_log_err("cannot wrap a round message");
		return;
	}
	if (a->to_many != NULL) {
		for (size_t k = 0; k < a->n_many; k++)
			co_send_slot(c, s, a->to_many[k], env, elen);
	} else {
		co_send_slot(c, s, a->to, env, elen);
	}
	crn_free(env, elen);
}

/* Apply what the machine asked for.  Returns true when the job ended
 * (and has been released); a pass that ends and starts the next one
 * returns false with the next pass's machine in place. */
static bool
co_apply(co *c, co_session *s, crn_sa_actions *acts)
{
	bool ended = false;

	for (size_t i = 0; i < acts->count; i++) {
		crn_sa_action *a = &acts->v[i];

		if (a->kind == CRN_SA_ACT_SEND) {
			co_apply_send(c, s, a);
		} else if (a->kind == CRN_SA_ACT_DONE) {
			ended = co_pass_done(c, s, a->data, a->len);
			break;
		} else if (a->kind == CRN_SA_ACT_ABORT) {
			co_abort(c, s, a);
			ended = true;
			break;
		}
	}
	crn_sa_actions_clear(acts);
	if (ended)
		co_session_end(c, s);
	return ended;
}

/* Close the round early when every node still in it has answered or is
 * known not to answer; the machine closes it by itself only in the first
 * case. */
static void
co_maybe_close(co *c, co_session *s, crn_sa_actions *acts)
{
	for (uint32_t i = 0; i < s->nslots; i++) {
		if (!s->slots[i].answered && !s->slots[i].out)
			return;
	}
	if (crn_sa_coord_deadline(s->sa, acts) != CAIRN_EABORT &&
	    acts->count == 0)
		return;
	(void)co_apply(c, s, acts);
}

static co_session *
co_session_find(co *c, const uint8_t sid[CAIRN_SESSION_ID_LEN])
{
	for (uint32_t i = 0; i < c->nsess; i++) {
		if (c->sess[i].used &&
		    memcmp(c->sess[i].sid, sid, CAIRN_SESSION_ID_LEN) == 0)
			return &c->sess[i];
	}
	return NULL;
}

/* Node `slot` waits for its operator's approval of the job.  The
 * advertise round of pass 1 stays open until the job's validity ends
 * (nothing is shared or fixed before the roster, so holding it costs the
 * other nodes only their wait); the node answers when approved, or
 * refuses when rejected or expired.  Later rounds are never held. */
static void
co_on_pending(co *c, co_session *s, uint32_t slot, const crn_envelope *env)
{
	co_slot *sl = &s->slots[slot - 1];
	crn_rt_pending p;
	uint64_t wall = crn_rt_wall();
	int64_t left, dl;

	if (crn_rt_pending_decode(&p, env->payload, env->payload_len) !=
	        CAIRN_OK ||
	    memcmp(p.job_id, s->job_id, CRN_JOB_ID_LEN) != 0) {
		crn_log_warn("malformed approval notice from '%s'", sl->name);
		return;
	}
	if (s->pass != CRN_RELEASE_PASS_COUNTS ||
	    s->round != CRN_SA_R_ADVERTISE || sl->answered || sl->out) {
		crn_log_debug("approval notice from '%s' after the first round",
		    sl->name);
		return;
	}
	sl->waiting = true;
	left = s->not_after > wall ? (int64_t)(s->not_after - wall) * 1000 : 0;
	/* A little past the validity, so that the node's own refusal of an
	 * expired job (it looks at its queue every 250 ms) reaches us and the
	 * researcher learns why. */
	dl = crn_rt_now_ms() + left + CO_PENDING_GRACE_MS;
	if (dl > s->deadline)
		s->deadline = dl;
	crn_log_info(
	    "job for '%s': node '%s' waits for its operator's approval; the first round stays open until the job expires (%llu s)",
	    s->researcher, sl->name, (unsigned long long)(left / 1000));
	{
		const crn_audit_field f[] = {{"node", sl->name}};

		co_audit(c, s, "pending", f, CRN_NELEM(f));
	}
	co_progress(c, s, co_count_answered(s));
}

/* Node `name` refused to go on with the session (its secure-aggregation
 * machine aborted): remember who and, from the first, why. */
static void
co_note_stop(co_session *s, const char *name, const crn_envelope *env)
{
	crn_sa_abort ab;

	co_note_add(s->stopped, sizeof(s->stopped), name);
	if (s->stop_why[0] != '\0')
		return;
	if (crn_sa_abort_decode(&ab, env->payload, env->payload_len) ==
	        CAIRN_OK &&
	    ab.reason[0] != '\0')
		snprintf(s->stop_why, sizeof(s->stop_why), "%s", ab.reason);
	else
		snprintf(s->stop_why, sizeof(s->stop_why), "no reason given");
}

/* A round message (or a refusal) from node `name`. */
static void
co_on_node_msg(co *c, const crn_envelope *env, const char *name)
{
	co_session *s = co_session_find(c, env->session_id);
	crn_sa_actions acts;
	uint32_t slot = 0;
	cairn_err rv;

	if (s == NULL) {
		crn_log_debug("message for an unknown session from '%s'", name);
		return;
	}
	for (uint32_t i = 0; i < s->nslots; i++) {
		if (strcmp(s->slots[i].name, name) == 0) {
			slot = i + 1;
			break;
		}
	}
	if (slot == 0) {
		crn_log_warn(
		    "refused a message from '%s': not in session", name);
		return;
	}
	if (env->type == CRN_RT_MSG_JOB_PENDING) {
		co_on_pending(c, s, slot, env);
		return;
	}
	crn_sa_actions_init(&acts);
	if (env->type == CRN_RT_MSG_ERROR) {
		crn_rt_error e;

		if (crn_rt_error_decode(&e, env->payload, env->payload_len) ==
		    CAIRN_OK) {
			crn_log_info("node '%s' refused the job: %s (%s)", name,
			    e.message, cairn_strerror((cairn_err)e.code));
			if (!s->slots[slot - 1].out && s->refused++ == 0)
				snprintf(s->refusal, sizeof(s->refusal),
				    "%s: %s", name, e.message);
			co_slot_out(s, slot - 1,
			    co_refusal_category(e.code, e.message));
			crn_rt_error_fini(&e);
		}
		co_slot_out(s, slot - 1, "error");
		co_maybe_close(c, s, &acts);
		crn_sa_actions_fini(&acts);
		return;
	}
	if (env->type == CRN_SA_MSG_ABORT && !s->slots[slot - 1].out)
		co_note_stop(s, name, env);
	rv = crn_sa_coord_recv(
	    s->sa, slot, env->type, env->payload, env->payload_len, &acts);
	if (rv == CAIRN_OK && s->round < CRN_SA_R_DONE &&
	    env->type == round_msg[s->round])
		s->slots[slot - 1].answered = true;
	else if (rv != CAIRN_OK && rv != CAIRN_EABORT)
		crn_log_warn("session message (type %u) from '%s': %s",
		    env->type, name, cairn_strerror(rv));
	if (!co_apply(c, s, &acts))
		co_maybe_close(c, s, &acts);
	crn_sa_actions_fini(&acts);
}

/* Validate a submitted job.  On success *job is the decoded job, the
 * signed bytes are in *sj and *plan is what the job computes. */
static cairn_err
co_check_job(co *c, const crn_envelope *env, const crn_cert_info *who,
    crn_signed_job *sj, crn_job *job, crn_plan **plan, crn_model **model,
    char *why, size_t whylen)
{
	crn_cert_info rinfo;
	cairn_err rv;

	memset(job, 0, sizeof(*job));
	if ((rv = crn_signed_job_decode(sj, env->payload, env->payload_len)) !=
	    CAIRN_OK) {
		snprintf(why, whylen, "malformed signed job");
		return rv;
	}
	if ((rv = crn_rt_cert_check(&c->party, sj->cert, sj->cert_len,
	         CRN_ROLE_RESEARCHER, &rinfo)) != CAIRN_OK) {
		snprintf(
		    why, whylen, "job certificate: %s", cairn_strerror(rv));
		return rv;
	}
	if ((rv = co_admit_signer(&rinfo, who, why, whylen)) != CAIRN_OK)
		return rv;
	if ((rv = crn_job_verify(sj, rinfo.pk, job)) != CAIRN_OK) {
		snprintf(why, whylen, "job signature does not verify");
		return rv;
	}
	if ((rv = co_admit_job(job, crn_rt_wall(), why, whylen)) != CAIRN_OK)
		return rv;
	if (job->kind == CRN_JOB_CODE) {
		crn_code_decl d = {.len = job->out_len,
		    .lo = job->out_lo,
		    .hi = job->out_hi,
		    .scale = job->out_scale};

		if (job->ring_bits != CRN_CODE_RING_BITS ||
		    job->dim != job->out_len + 1) {
			snprintf(why, whylen,
			    "a code job's vector is its output length + 1, 64-bit");
			return CAIRN_EINVAL;
		}
		return crn_code_decl_check(
		    &d, co_coord_plan_max_nodes(c->planner), why, whylen);
	}
	if (job->kind == CRN_JOB_MODEL)
		return co_coord_plan_model(c->planner, job, model, why, whylen);
	return co_coord_plan_job(c->planner, job, plan, why, whylen);
}

static int
co_slot_cmp(const void *a, const void *b)
{
	return strcmp(((const co_slot *)a)->name, ((const co_slot *)b)->name);
}

/* A free session for a job, or NULL (why says why). */
static co_session *
co_session_for(co *c, const uint8_t job_id[CRN_JOB_ID_LEN], char *why,
    size_t whylen, cairn_err *rv)
{
	co_session *free_s = NULL;
	bool running = false;

	for (uint32_t i = 0; i < c->nsess; i++) {
		if (!c->sess[i].used) {
			if (free_s == NULL)
				free_s = &c->sess[i];
		} else if (memcmp(c->sess[i].job_id, job_id, CRN_JOB_ID_LEN) ==
		    0) {
			running = true;
		}
	}
	if ((*rv = co_admit_slot(
	         running, free_s != NULL, c->nsess, why, whylen)) != CAIRN_OK)
		return NULL;
	return free_s;
}

/* Tell the researcher of queued job q how many jobs are ahead of it. */
static void
co_queue_tell(co *c, co_queued *q, uint32_t ahead)
{
	crn_rt_jobstatus st;
	uint8_t *buf = NULL;
	size_t len = 0;

	memset(&st, 0, sizeof(st));
	memcpy(st.job_id, q->job_id, CRN_RT_JOB_ID_LEN);
	st.queued = true;
	st.ahead = ahead;
	st.wait_ms = c->cfg->coord.queue_wait_ms;
	q->ahead = ahead;
	if (crn_rt_jobstatus_encode(&st, &buf, &len) != CAIRN_OK)
		return;
	(void)co_send_msg(
	    c, q->conn, CRN_RT_MSG_JOB_STATUS, NULL, 0, buf, len, 200);
	crn_free(buf, len);
}

/* Every slot is busy: queue the job (why says why not).  Jobs already
 * running and the jobs queued before it are ahead of it. */
static cairn_err
co_queue_add(co *c, uint32_t conn, const crn_envelope *env,
    const crn_cert_info *who, const uint8_t job_id[CRN_JOB_ID_LEN], char *why,
    size_t whylen)
{
	const crn_cfg_coordinator *cc = &c->cfg->coord;
	co_queued *q;

	for (uint32_t i = 0; i < c->nqueue; i++)
		if (memcmp(c->queue[i].job_id, job_id, CRN_JOB_ID_LEN) == 0) {
			snprintf(why, whylen, "this job is already queued");
			return CAIRN_EREPLAY;
		}
	if (c->nqueue >= cc->max_queue) {
		snprintf(why, whylen,
		    "the coordinator is busy: max_jobs %u running and max_queue %u waiting; try again later",
		    c->nsess, c->nqueue);
		return CAIRN_EBUSY;
	}
	q = &c->queue[c->nqueue];
	memset(q, 0, sizeof(*q));
	if ((q->signed_job = crn_alloc(env->payload_len)) == NULL) {
		snprintf(why, whylen, "out of memory");
		return CAIRN_ENOMEM;
	}
	memcpy(q->signed_job, env->payload, env->payload_len);
	q->signed_job_len = env->payload_len;
	q->conn = conn;
	q->who = *who;
	memcpy(q->job_id, job_id, CRN_JOB_ID_LEN);
	q->since = crn_rt_now_ms();
	c->nqueue++;
	crn_log_info(
	    "job from '%s' queued: %u jobs running, %u ahead in the queue",
	    who->name, c->nsess, c->nqueue - 1);
	co_queue_tell(c, q, c->nsess + c->nqueue - 1);
	return CAIRN_OK;
}

/* Take entry i out of the queue; the entries behind it move up. */
static void
co_queue_drop(co *c, uint32_t i)
{
	crn_free(c->queue[i].signed_job, c->queue[i].signed_job_len);
	memmove(&c->queue[i], &c->queue[i + 1],
	    (c->nqueue - i - 1) * sizeof(*c->queue));
	c->nqueue--;
}

static int
co_str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The nodes the federation expects (named in the configuration, or seen
 * since the coordinator started) that are not offered the job: absent,
 * in name order. */
static cairn_err
co_absent(co *c, co_session *s)
{
	const crn_cfg_coordinator *cc = &c->cfg->coord;

	for (size_t i = 0; i < cc->nnodes; i++)
		if (!co_listed(s->offered, s->noffered, cc->nodes[i]) &&
		    !co_listed(s->absent, s->nabsent, cc->nodes[i]) &&
		    crn_rt_names_add(&s->absent, &s->nabsent, cc->nodes[i]) !=
		        CAIRN_OK)
			return CAIRN_ENOMEM;
	for (size_t i = 0; i < c->nnodes; i++)
		if (!co_listed(s->offered, s->noffered, c->nodes[i].name) &&
		    !co_listed(s->absent, s->nabsent, c->nodes[i].name) &&
		    crn_rt_names_add(
		        &s->absent, &s->nabsent, c->nodes[i].name) != CAIRN_OK)
			return CAIRN_ENOMEM;
	if (s->nabsent > 1)
		qsort(s->absent, s->nabsent, sizeof(*s->absent), co_str_cmp);
	return CAIRN_OK;
}

/* Put a job whose signature verified on record (refused or not) before
 * anything is offered; an audit log that cannot be written refuses the
 * job (*rv, why) unless it is refused already. */
static void
co_audit_received(co *c, const crn_job *job, const crn_signed_job *sj,
    const crn_cert_info *who, cairn_err *rv, char *why, size_t whylen)
{
	cairn_err arv;

	if (job->dataset == NULL)
		return;
	arv = crn_rt_audit_received(c->audit, job, sj, who->name, NULL, 0);
	if (arv == CAIRN_OK || *rv != CAIRN_OK)
		return;
	*rv = arv;
	snprintf(why, whylen, "the coordinator cannot write its audit log: %s",
	    cairn_strerror(arv));
}

/* The job's kind and what it reads, in s (is_sum, is_code, what). */
static void
co_session_describe(co_session *s, const crn_job *job, const char *who)
{
	s->is_sum = job->kind == CRN_JOB_SUM_COLUMN;
	s->is_code = job->kind == CRN_JOB_CODE;
	s->code_dim = job->dim;
	if (s->is_code) {
		char hex[CRN_CODE_HEX_LEN];

		crn_code_hash_hex(job->code, job->code_len, hex);
		crn_log_info("job from '%s': code %s on %s, round %u", who, hex,
		    job->dataset, job->round);
	}
	snprintf(s->what, sizeof(s->what), "%s %s%s%s",
	    s->model != NULL ? crn_model_kind_name(s->model->spec.kind)
	        : s->is_sum  ? "sum"
	                     : "query",
	    job->dataset, s->is_sum ? "." : "", s->is_sum ? job->column : "");
}

/* Fill a new session with the usable nodes (at most max: the ring width
 * is sized for the schema's max_nodes). */
static cairn_err
co_session_nodes(co *c, co_session *s, int64_t now, char *why, size_t whylen)
{
	uint32_t n = 0, need = c->cfg->coord.min_participants;
	uint32_t max = co_coord_plan_max_nodes(c->planner);

	for (size_t i = 0; i < c->nnodes; i++)
		n += co_node_usable(&c->nodes[i], now);
	cairn_err rv;

	if ((rv = co_admit_roster(n, need, max, why, whylen)) != CAIRN_OK)
		return rv;
	if ((s->slots = crn_zalloc(n * sizeof(*s->slots))) == NULL)
		return CAIRN_ENOMEM;
	s->nslots = n;
	n = 0;
	for (size_t i = 0; i < c->nnodes; i++) {
		if (co_node_usable(&c->nodes[i], now)) {
			snprintf(s->slots[n].name, sizeof(s->slots[0].name),
			    "%s", c->nodes[i].name);
			memcpy(s->slots[n++].pk, c->nodes[i].pk,
			    CAIRN_SIGN_PK_LEN);
		}
	}
	/* Slots in name order: results list nodes the same way each time. */
	qsort(s->slots, n, sizeof(*s->slots), co_slot_cmp);
	for (uint32_t i = 0; i < n; i++)
		if (crn_rt_names_add(&s->offered, &s->noffered,
		        s->slots[i].name) != CAIRN_OK)
			return CAIRN_ENOMEM;
	return co_absent(c, s);
}

static void
co_submit(co *c, uint32_t conn, const crn_envelope *env,
    const crn_cert_info *who, bool from_queue)
{
	crn_signed_job sj;
	crn_job job;
	crn_plan *plan = NULL;
	crn_model *model = NULL;
	co_session *s = NULL;
	crn_sa_actions acts;
	char why[256] = "";
	int64_t now = crn_rt_now_ms();
	bool accepted = false;
	cairn_err rv;

	memset(&sj, 0, sizeof(sj));
	crn_sa_actions_init(&acts);
	rv = co_check_job(
	    c, env, who, &sj, &job, &plan, &model, why, sizeof(why));
	/* Every job whose signature verified is on record, refused or
	 * not, and the record is on disk before anything is offered (a job
	 * leaving the queue is on record since it came). */
	if (!from_queue)
		co_audit_received(c, &job, &sj, who, &rv, why, sizeof(why));
	if (rv != CAIRN_OK)
		goto refuse;
	if ((s = co_session_for(c, job.job_id, why, sizeof(why), &rv)) ==
	    NULL) {
		/* All max_jobs slots busy: wait in the queue, bounded. */
		if (rv == CAIRN_EPERM &&
		    (rv = co_queue_add(c, conn, env, who, job.job_id, why,
		         sizeof(why))) == CAIRN_OK)
			goto out;
		goto refuse;
	}
	memset(s, 0, sizeof(*s));
	s->not_after = job.not_after;
	if ((rv = crn_audit_head_sign(c->audit, job.job_id, s->audit_head)) !=
	    CAIRN_OK) {
		snprintf(why, sizeof(why), "cannot sign the audit head: %s",
		    cairn_strerror(rv));
		goto refuse;
	}
	s->used = true;
	memcpy(s->job_id, job.job_id, CRN_JOB_ID_LEN);
	snprintf(s->researcher, sizeof(s->researcher), "%s", who->name);
	s->rconn = conn;
	s->started = now;
	s->plan = plan;
	plan = NULL;
	if (model != NULL) {
		s->model = model;
		model = NULL;
		if ((rv = crn_model_fit_init(&s->fit, s->model,
		         co_coord_plan_min_cell(c->planner))) != CAIRN_OK)
			goto refuse;
		if (job.dp_epsilon > 0) {
			s->fit.dp_epsilon = job.dp_epsilon;
			s->fit.dp_delta = job.dp_delta;
		}
	}
	if (s->plan != NULL && job.kind != CRN_JOB_CODE && job.dp_epsilon > 0 &&
	    crn_dp_request_ok(job.dp_epsilon, job.dp_delta)) {
		s->plan->dp_epsilon = job.dp_epsilon;
		s->plan->dp_delta = job.dp_delta;
		s->plan->dp_rho = crn_dp_rho_of(job.dp_epsilon, job.dp_delta);
	}
	co_session_describe(s, &job, who->name);
	s->started_wall = crn_rt_wall();
	if ((rv = co_session_nodes(c, s, now, why, sizeof(why))) != CAIRN_OK)
		goto refuse;
	if ((s->signed_job = crn_alloc(env->payload_len)) == NULL) {
		rv = CAIRN_ENOMEM;
		goto refuse;
	}
	memcpy(s->signed_job, env->payload, env->payload_len);
	s->signed_job_len = env->payload_len;
	crn_log_info(
	    "job from '%s' (%s) for %u nodes", who->name, s->what, s->nslots);
	{
		const crn_audit_field f[] = {
		    {"decision", "accept"}, {"reason", ""}};

		co_audit(c, s, CRN_AUDIT_DECISION, f, CRN_NELEM(f));
	}
	accepted = true;
	if ((rv = co_pass_begin(
	         c, s, CRN_RELEASE_PASS_COUNTS, why, sizeof(why))) != CAIRN_OK)
		goto refuse;
	co_maybe_close(c, s, &acts);
	goto out;
refuse:
	if (rv == CAIRN_ENOMEM && why[0] == '\0')
		snprintf(why, sizeof(why), "out of memory");
	crn_log_warn("refused a job from '%s': %s", who->name, why);
	co_job_end(c, s, who->name, accepted ? CRN_OPS_FAILED : CRN_OPS_REFUSED,
	    0, why);
	if (accepted) {
		/* Accepted on record already: this is its outcome. */
		co_audit_outcome(c, s, "failed", co_fail_reason(rv), why);
	} else {
		const crn_audit_field f[] = {{"decision", "refuse"},
		    {"reason", why}, {"researcher", who->name}};

		if (crn_rt_audit_event(c->audit, CRN_AUDIT_DECISION,
		        job.dataset != NULL ? job.job_id : NULL, f,
		        CRN_NELEM(f)) != CAIRN_OK)
			crn_log_err("audit log: cannot record a refusal");
	}
	co_fail_job(c, conn, job.job_id, rv,
	    rv == CAIRN_EABORT ? c->cfg->coord.min_participants : 0,
	    s != NULL ? s->nslots : 0, why);
	if (s != NULL)
		co_session_end(c, s);
out:
	crn_plan_free(plan);
	crn_model_free(model);
	crn_sa_actions_fini(&acts);
	crn_signed_job_fini(&sj);
	crn_job_fini(&job);
}

static uint32_t
co_running(const co *c)
{
	uint32_t k = 0;

	for (uint32_t i = 0; i < c->nsess; i++)
		k += c->sess[i].used;
	return k;
}

/* Refuse the queued jobs that waited queue_wait_ms, start queued jobs
 * while a slot is free (in the order they came), and tell those still
 * waiting when their place changed. */
static void
co_queue_pump(co *c)
{
	uint32_t wait = c->cfg->coord.queue_wait_ms, running;
	int64_t now = crn_rt_now_ms();
	char why[256];

	for (uint32_t i = 0; i < c->nqueue;) {
		co_queued *q = &c->queue[i];

		if (now - q->since < (int64_t)wait) {
			i++;
			continue;
		}
		snprintf(why, sizeof(why),
		    "waited %u ms in the coordinator's queue (queue_wait_ms) with %u ahead of it; every max_jobs slot stayed busy, try again later",
		    wait, q->ahead);
		crn_log_warn("refused a job from '%s': %s", q->who.name, why);
		co_job_end(c, NULL, q->who.name, CRN_OPS_REFUSED, 0, why);
		{
			const crn_audit_field f[] = {{"decision", "refuse"},
			    {"reason", why}, {"researcher", q->who.name}};

			if (crn_rt_audit_event(c->audit, CRN_AUDIT_DECISION,
			        q->job_id, f, CRN_NELEM(f)) != CAIRN_OK)
				crn_log_err(
				    "audit log: cannot record a refusal");
		}
		co_fail_job(c, q->conn, q->job_id, CAIRN_ETIMEDOUT, 0, 0, why);
		co_queue_drop(c, i);
	}
	while (c->nqueue > 0 && (running = co_running(c)) < c->nsess) {
		co_queued q = c->queue[0];
		crn_envelope env;

		/* q owns the signed job now; the entry goes. */
		memmove(&c->queue[0], &c->queue[1],
		    (c->nqueue - 1) * sizeof(*c->queue));
		c->nqueue--;
		memset(&env, 0, sizeof(env));
		env.type = CRN_RT_MSG_JOB_SUBMIT;
		env.payload = q.signed_job;
		env.payload_len = q.signed_job_len;
		crn_log_info("job from '%s' leaves the queue after %lld ms",
		    q.who.name, (long long)(now - q.since));
		co_submit(c, q.conn, &env, &q.who, true);
		crn_free(q.signed_job, q.signed_job_len);
	}
	running = co_running(c);
	for (uint32_t i = 0; i < c->nqueue; i++)
		if (c->queue[i].ahead != running + i)
			co_queue_tell(c, &c->queue[i], running + i);
}

/* The researcher on conn went away: its queued jobs go too. */
static void
co_queue_forget(co *c, uint32_t conn)
{
	for (uint32_t i = 0; i < c->nqueue;) {
		if (c->queue[i].conn == conn)
			co_queue_drop(c, i);
		else
			i++;
	}
}

/* The dropout tolerance figures of a status report: the threshold of a
 * session of the connected nodes and of one of every expected node
 * (named in the configuration, or seen). */
static void
co_status_tolerance(co *c, crn_rt_status *st)
{
	const crn_cfg_coordinator *cc = &c->cfg->coord;
	uint32_t degree, n = (uint32_t)c->nnodes;

	for (size_t i = 0; i < cc->nnodes; i++)
		if (co_node_find(c, cc->nodes[i]) == NULL)
			n++;
	co_params(c, (uint32_t)st->nnodes, &st->threshold, &degree);
	co_params(c, n, &st->expected_threshold, &degree);
	st->expected = n;
	st->min_participants =
	    cc->min_participants < 2 ? 2 : cc->min_participants;
}

static void
co_on_status(co *c, uint32_t conn)
{
	crn_rt_status st;
	uint8_t *buf = NULL;
	size_t len = 0;
	int64_t now = crn_rt_now_ms();

	memset(&st, 0, sizeof(st));
	for (size_t i = 0; i < c->nnodes; i++) {
		if (co_node_usable(&c->nodes[i], now) &&
		    crn_rt_names_add(&st.nodes, &st.nnodes, c->nodes[i].name) !=
		        CAIRN_OK)
			goto out;
	}
	co_status_tolerance(c, &st);
	if (c->nsess > 0 &&
	    (st.sessions = crn_zalloc(c->nsess * sizeof(*st.sessions))) == NULL)
		goto out;
	for (uint32_t i = 0; i < c->nsess; i++) {
		const co_session *s = &c->sess[i];
		crn_rt_session_info *si;

		if (!s->used)
			continue;
		si = &st.sessions[st.nsessions++];
		memcpy(si->session_id, s->sid, CAIRN_SESSION_ID_LEN);
		memcpy(si->job_id, s->job_id, CRN_RT_JOB_ID_LEN);
		si->researcher = crn_strdup(s->researcher);
		si->round = s->round;
		si->nodes = s->nslots;
	}
	if (crn_rt_status_encode(&st, &buf, &len) == CAIRN_OK)
		(void)co_send_msg(
		    c, conn, CRN_RT_MSG_STATUS, NULL, 0, buf, len, CO_SEND_MS);
out:
	/* nsessions counts the filled entries; free the whole array. */
	for (size_t i = 0; i < st.nsessions; i++)
		crn_strfree(st.sessions[i].researcher);
	crn_free(st.sessions, c->nsess * sizeof(*st.sessions));
	st.sessions = NULL;
	st.nsessions = 0;
	crn_rt_status_fini(&st);
	crn_free(buf, len);
}

/* `cairn budget`: ask every usable node about this researcher's ledger
 * and tell the researcher how many were asked. */
static void
co_on_budget_req(co *c, uint32_t conn, const crn_cert_info *who)
{
	struct co_budget_wait *w = &c->budget[0];
	crn_rt_budget first;
	uint8_t *buf = NULL;
	size_t len = 0;
	int64_t now = crn_rt_now_ms();

	for (size_t i = 0; i < CRN_NELEM(c->budget); i++) {
		if (strcmp(c->budget[i].researcher, who->name) == 0 ||
		    c->budget[i].until < now) {
			w = &c->budget[i];
			break;
		}
		if (c->budget[i].until < w->until)
			w = &c->budget[i];
	}
	snprintf(w->researcher, sizeof(w->researcher), "%s", who->name);
	w->conn = conn;
	w->until = now + CO_BUDGET_MS;
	memset(&first, 0, sizeof(first));
	if (crn_rt_budget_req_encode(who->name, &buf, &len) != CAIRN_OK)
		return;
	for (size_t i = 0; i < c->nnodes; i++)
		if (co_node_usable(&c->nodes[i], now) &&
		    co_send_msg(c, c->nodes[i].conn, CRN_RT_MSG_BUDGET_REQ,
		        NULL, 0, buf, len, CO_SEND_MS) == CAIRN_OK)
			first.nodes++;
	crn_free(buf, len);
	buf = NULL;
	if (crn_rt_budget_encode(&first, &buf, &len) == CAIRN_OK)
		(void)co_send_msg(
		    c, conn, CRN_RT_MSG_BUDGET, NULL, 0, buf, len, CO_SEND_MS);
	crn_free(buf, len);
}

/* A node's budget report: relayed to the researcher it is about, if that
 * researcher asked within CO_BUDGET_MS, with the node's certificate name. */
static void
co_on_budget(co *c, const crn_envelope *env, const char *node)
{
	crn_rt_budget r;
	uint8_t *buf = NULL;
	size_t len = 0;
	int64_t now = crn_rt_now_ms();

	if (crn_rt_budget_decode(&r, env->payload, env->payload_len) !=
	    CAIRN_OK) {
		crn_log_warn("malformed budget report from '%s'", node);
		return;
	}
	crn_strfree(r.node);
	r.node = crn_strdup(node);
	for (size_t i = 0; r.node != NULL && i < CRN_NELEM(c->budget); i++) {
		if (c->budget[i].until < now ||
		    strcmp(c->budget[i].researcher, r.researcher) != 0)
			continue;
		r.nodes = 0;
		if (crn_rt_budget_encode(&r, &buf, &len) == CAIRN_OK)
			(void)co_send_msg(c, c->budget[i].conn,
			    CRN_RT_MSG_BUDGET, NULL, 0, buf, len, CO_SEND_MS);
		crn_free(buf, len);
		break;
	}
	crn_rt_budget_fini(&r);
}

static void
co_on_message(co *c, const crn_tr_event *ev)
{
	uint32_t conn = ev->conn;
	crn_envelope env;
	crn_cert_info who;
	co_node *n;
	bool node_msg;

	if (crn_rt_unwrap(&c->party, ev, CRN_ROLE_NODE | CRN_ROLE_RESEARCHER,
	        &env, &who) != CAIRN_OK)
		return;
	node_msg = env.type == CRN_RT_MSG_HELLO ||
	    env.type == CRN_RT_MSG_ERROR || env.type == CRN_RT_MSG_BUDGET ||
	    env.type == CRN_RT_MSG_JOB_PENDING ||
	    (env.type >= CRN_SA_MSG_FIRST && env.type <= CRN_SA_MSG_LAST);
	if (node_msg && who.role != CRN_ROLE_NODE) {
		crn_log_warn(
		    "refused a message (type %u) from '%s': role %s, need node",
		    env.type, who.name, crn_role_name(who.role));
		goto out;
	}
	if (!node_msg && who.role != CRN_ROLE_RESEARCHER) {
		crn_log_warn(
		    "refused a message (type %u) from '%s': role %s, need researcher",
		    env.type, who.name, crn_role_name(who.role));
		goto out;
	}
	if (node_msg) {
		co_node_seen(c, who.name, who.pk, conn);
		if ((n = co_node_find(c, who.name)) != NULL)
			n->not_after = who.not_after;
	}
	switch (env.type) {
	case CRN_RT_MSG_HELLO:
		if ((n = co_node_find(c, who.name)) != NULL)
			co_node_hello(n, crn_rt_now_ms());
		/* Acknowledge without waiting: a heartbeat never blocks us. */
		(void)co_send_msg(
		    c, conn, CRN_RT_MSG_HELLO_ACK, NULL, 0, NULL, 0, 0);
		break;
	case CRN_RT_MSG_JOB_SUBMIT:
		co_submit(c, conn, &env, &who, false);
		break;
	case CRN_RT_MSG_STATUS_REQ: co_on_status(c, conn); break;
	case CRN_RT_MSG_BUDGET_REQ: co_on_budget_req(c, conn, &who); break;
	case CRN_RT_MSG_BUDGET: co_on_budget(c, &env, who.name); break;
	case CRN_RT_MSG_ERROR:
	default:
		if (node_msg) {
			co_on_node_msg(c, &env, who.name);
			break;
		}
		crn_log_warn("refused a message from '%s': unexpected type %u",
		    who.name, env.type);
		co_send_error(
		    c, conn, NULL, CAIRN_EPROTO, "unexpected message");
		break;
	}
out:
	crn_envelope_fini(&env);
}

/* Node `name`'s connection closed during session s. */
static void
co_note_gone(co_session *s, const char *name)
{
	char e[CRN_CERT_NAME_MAX + 48];

	snprintf(e, sizeof(e), "%s in %s round %s", name,
	    s->pass == CRN_RELEASE_PASS_FIGURES ? "the figures'"
	                                        : "the counts'",
	    s->round < CRN_SA_R_DONE ? crn_sa_round_name((crn_sa_round)s->round)
	                             : "done");
	co_note_add(s->gone, sizeof(s->gone), e);
}

/* Node `name` is gone: it will not answer in any session it is in, so a
 * round need not wait for it until its deadline. */
static void
co_node_gone(co *c, const char *name)
{
	crn_sa_actions acts;

	for (uint32_t i = 0; i < c->nsess; i++) {
		co_session *s = &c->sess[i];
		bool in = false;

		for (uint32_t k = 0; s->used && k < s->nslots; k++) {
			if (strcmp(s->slots[k].name, name) == 0 &&
			    !s->slots[k].out) {
				if (!s->slots[k].answered && !s->slots[k].out &&
				    s->round < CRN_OPS_ROUNDS)
					c->ost->dropouts[s->round]++;
				co_note_gone(s, name);
				co_slot_out(s, k, NULL);
				in = true;
			}
		}
		if (!in)
			continue;
		crn_sa_actions_init(&acts);
		co_maybe_close(c, s, &acts);
		crn_sa_actions_fini(&acts);
	}
}

/* A connection closed.  A node on it is gone at once (the transport
 * knows; no heartbeat needs to go missing first). */
static void
co_on_down(co *c, const crn_tr_event *ev)
{
	co_node *n;

	/* Its replay counters go with it (they are per connection): the
	 * table holds the live connections' only. */
	if (crn_replay_forget_conn(c->party.replay, ev->conn) != CAIRN_OK)
		crn_log_debug("replay guard keeps a closed connection");
	if (ev->peer.role != CRN_ROLE_NODE) {
		co_queue_forget(c, ev->conn);
		return;
	}
	n = co_node_find(c, ev->peer.name);
	if (n == NULL || !n->live || n->conn != ev->conn)
		return;
	n->live = false;
	crn_log_info("node '%s' disconnected: %s", n->name, ev->why);
	co_node_gone(c, n->name);
}

static void
co_deadlines(co *c)
{
	int64_t now = crn_rt_now_ms();
	crn_sa_actions acts;

	crn_sa_actions_init(&acts);
	for (uint32_t i = 0; i < c->nsess; i++) {
		co_session *s = &c->sess[i];

		if (!s->used || now < s->deadline)
			continue;
		crn_log_info("session %02x%02x%02x%02x: deadline of round %s",
		    s->sid[0], s->sid[1], s->sid[2], s->sid[3],
		    crn_sa_round_name((crn_sa_round)s->round));
		if (crn_sa_coord_deadline(s->sa, &acts) != CAIRN_OK)
			crn_log_debug("deadline closed the session");
		if (!co_apply(c, s, &acts) && s->used && now >= s->deadline) {
			/* The machine did not move on (nothing to close):
			 * push the deadline so that we do not spin. */
			s->deadline = now + co_round_ms(c, s->round);
		}
	}
	crn_sa_actions_fini(&acts);
}

/* Offer the listener what it shows: nodes, sessions, counters.  Built at
 * most every CRN_OPS_PUBLISH_MS; crn_ops_publish never waits. */
static void
co_publish(co *c, int64_t *next)
{
	crn_ops_state *st = c->ost;
	int64_t now = crn_rt_now_ms();

	if (c->cfg->coord.metrics_listen == NULL || now < *next)
		return;
	*next = now + CRN_OPS_PUBLISH_MS;
	st->nodes_connected = 0;
	st->nnodes = 0;
	st->nnodes_total = c->nnodes;
	for (size_t i = 0; i < c->nnodes; i++) {
		const co_node *n = &c->nodes[i];
		bool up = co_node_usable(n, now);

		st->nodes_connected += up;
		if (st->nnodes < CRN_OPS_NODES_MAX) {
			crn_ops_node_row *r = &st->nodes[st->nnodes++];

			snprintf(r->name, sizeof(r->name), "%s", n->name);
			r->cert_not_after = n->not_after;
			r->last_contact = n->seen_wall;
			r->connected = up;
		}
	}
	st->nsess = 0;
	for (uint32_t i = 0; i < c->nsess && st->nsess < CRN_OPS_SESS_MAX;
	     i++) {
		const co_session *s = &c->sess[i];
		crn_ops_sess_row *r;

		if (!s->used)
			continue;
		r = &st->sess[st->nsess++];
		crn_rt_hex(s->job_id, 8, r->job);
		snprintf(
		    r->researcher, sizeof(r->researcher), "%s", s->researcher);
		snprintf(r->what, sizeof(r->what), "%s", s->what);
		r->pass = s->pass;
		r->passes = CRN_RELEASE_PASSES;
		r->round = s->round;
		r->nodes = s->nslots;
		r->started = s->started_wall;
	}
	st->dirty = true;
	crn_ops_publish(c->ops, now);
}

static int
co_wait_ms(const co *c)
{
	int64_t now = crn_rt_now_ms(), wait = 500;

	for (uint32_t i = 0; i < c->nsess; i++) {
		if (c->sess[i].used && c->sess[i].deadline - now < wait)
			wait = c->sess[i].deadline - now;
	}
	return wait < 0 ? 0 : (int)wait;
}

/* The coordinator stops: each job still running ends here, on record in
 * the audit log and its researcher told. */
static void
co_stop_jobs(co *c)
{
	for (uint32_t i = 0; c->sess != NULL && i < c->nsess; i++) {
		if (!c->sess[i].used)
			continue;
		co_job_failed(c, &c->sess[i], CAIRN_ECLOSED, "stopped",
		    "the coordinator stopped before the job finished", 0, 0);
		co_session_end(c, &c->sess[i]);
	}
}

/* The event loop: messages, deadlines, the queue and the published
 * state, until a signal stops the daemon. */
static void
co_run(co *c)
{
	int64_t next_publish = 0;
	cairn_err rv;

	while (!crn_rt_stop) {
		crn_tr_event ev;

		rv = crn_tr_next(c->tr, &ev, co_wait_ms(c));
		if (rv == CAIRN_OK) {
			if (ev.kind == CRN_TR_EV_MSG) {
				c->ost->bytes_in += ev.len;
				c->ost->msgs_in++;
				co_on_message(c, &ev);
			} else if (ev.kind == CRN_TR_EV_DOWN)
				co_on_down(c, &ev);
			crn_tr_event_fini(&ev);
		} else if (rv != CAIRN_ETIMEDOUT) {
			crn_log_debug("receive: %s", cairn_strerror(rv));
		}
		co_deadlines(c);
		co_queue_pump(c);
		co_publish(c, &next_publish);
	}
}

int
crn_coordinator_main(const char *path)
{
	co c;
	char err[1024];
	crn_tr_auth auth;
	crn_tr_opts opts;
	crn_state_lock lock;
	int status = 1;
	cairn_err rv;

	memset(&c, 0, sizeof(c));
	memset(&lock, 0, sizeof(lock));
	crn_rt_log_daemon("cairn-coordinator", CRN_LOG_TEXT);
	crn_rt_signals();
	if ((rv = crn_config_load(&c.cfg, path, CRN_CFG_COORDINATOR, err,
	         sizeof(err))) != CAIRN_OK) {
		crn_log_err("%s", rv == CAIRN_ENOENT ? path : err);
		goto out;
	}
	crn_rt_log_daemon("cairn-coordinator",
	    c.cfg->coord.log_json ? CRN_LOG_JSON : CRN_LOG_TEXT);
	/* First of all: a second coordinator on this state_dir stops here. */
	if (crn_state_lock_open(
	        &lock, c.cfg->coord.state_dir, err, sizeof(err)) != CAIRN_OK) {
		crn_log_err("%s", err);
		goto out;
	}
	if (crn_rt_harden() != CAIRN_OK)
		goto out;
	if ((rv = crn_rt_party_open(&c.party, c.cfg->coord.key,
	         c.cfg->coord.cert, c.cfg->coord.ca_cert, c.cfg->coord.crl,
	         CRN_ROLE_COORDINATOR, err, sizeof(err))) != CAIRN_OK) {
		crn_log_err("%s", err);
		goto out;
	}
	if (crn_rt_party_crl_state(&c.party, c.cfg->coord.state_dir, true, err,
	        sizeof(err)) != CAIRN_OK) {
		crn_log_err("%s", err);
		goto out;
	}
	if (co_seen_restore(&c) != CAIRN_OK)
		goto out;
	if ((rv = crn_ops_open(&c.ops, CRN_OPS_COORDINATOR, c.party.me.name,
	         c.cfg->coord.metrics_listen, err, sizeof(err))) != CAIRN_OK) {
		crn_log_err("%s", err);
		goto out;
	}
	c.ost = crn_ops_state_of(c.ops);
	c.ost->cert_not_after = c.party.me.not_after;
	if (c.cfg->coord.metrics_listen != NULL)
		crn_log_info(
		    "metrics on http://%s/metrics, status page on http://%s/",
		    c.cfg->coord.metrics_listen, c.cfg->coord.metrics_listen);
	if ((rv = crn_audit_open(&c.audit, c.cfg->coord.audit_log, c.party.id,
	         crn_rt_wall(), err, sizeof(err))) != CAIRN_OK) {
		crn_log_err("%s", err);
		goto out;
	}
	if ((rv = co_coord_plan_new(&c.planner, c.cfg->coord.schema, err,
	         sizeof(err))) != CAIRN_OK) {
		crn_log_err("schema %s: %s", c.cfg->coord.schema, err);
		goto out;
	}
	c.nsess = c.cfg->coord.max_jobs;
	if ((c.sess = crn_zalloc(c.nsess * sizeof(*c.sess))) == NULL ||
	    (c.queue = crn_zalloc(
	         (c.cfg->coord.max_queue + 1) * sizeof(*c.queue))) == NULL)
		goto out;
	c.peers.party = &c.party;
	c.peers.roles = CRN_ROLE_NODE | CRN_ROLE_RESEARCHER;
	crn_rt_tr_auth(&c.peers, &auth);
	memset(&opts, 0, sizeof(opts));
	/* No message is larger than an envelope may be; a researcher's are
	 * much smaller (crn_rt_peer_verify). */
	opts.max_msg = CRN_ENVELOPE_MAX;
	opts.max_unauth = c.cfg->coord.max_unauth;
	opts.handshake_ms = (int)c.cfg->coord.handshake_ms;
	if ((rv = crn_tr_listen(&c.tr, c.cfg->coord.listen, &auth, &opts)) !=
	    CAIRN_OK) {
		crn_log_err("cannot listen on %s: %s", c.cfg->coord.listen,
		    cairn_strerror(rv));
		goto out;
	}
	crn_log_info("coordinator '%s' listening on %s (max_jobs %u)",
	    c.party.me.name, c.cfg->coord.listen, c.nsess);
	co_run(&c);
	crn_log_info("stopping");
	status = 0;
out:
	co_stop_jobs(&c);
	crn_free(c.sess, c.nsess * sizeof(*c.sess));
	while (c.queue != NULL && c.nqueue > 0)
		co_queue_drop(&c, c.nqueue - 1);
	if (c.queue != NULL)
		crn_free(
		    c.queue, (c.cfg->coord.max_queue + 1) * sizeof(*c.queue));
	crn_free(c.nodes, c.nnodes * sizeof(*c.nodes));
	crn_tr_close(c.tr);
	crn_ops_close(c.ops);
	co_coord_plan_free(c.planner);
	crn_audit_close(c.audit);
	crn_rt_party_close(&c.party);
	crn_config_free(c.cfg);
	crn_state_lock_close(&lock);
	return status;
}
