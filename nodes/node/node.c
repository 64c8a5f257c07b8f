/*
 * node.c — the node daemon.  See node.h.
 *
 * One thread: an event loop over the dialer connection to the
 * coordinator.  Each job offer becomes a job slot that runs the job's
 * passes one after the other (nd_pass_begin), each a crn_sa_node session
 * addressed by the envelope's session id, which the node recomputes from
 * the job id; several jobs may run at once.  The node never trusts the
 * coordinator about the job: it checks the researcher's certificate and
 * signature, its own policy and the cells announced for the second pass
 * itself, and the session machine checks the roster (distinct certified
 * identities, threshold).
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/crn.h"
#include "crypto/dp.h"
#include "net/transport.h"
#include "model/model.h"
#include "node/admit.h"
#include "node/approvals.h"
#include "node/budget.h"
#include "node/job_ledger.h"
#include "node/node_dp.h"
#include "node/node.h"
#include "node/node_code.h"
#include "ops/ops.h"
#include "proto/codec_runtime.h"
#include "proto/codec_secagg.h"
#include "query/codec_release.h"
#include "query/job.h"
#include "query/release.h"
#include "query/schema.h"
#include "query/sql_plan.h"
#include "runtime/audit_job.h"
#include "runtime/config.h"
#include "runtime/query_sql.h"
#include "runtime/rt.h"
#include "runtime/state_lock.h"
#include "runtime/testhook.h"
#include "secagg/secagg.h"

#define ND_MAX_SESS 16
/* A session that hears nothing from the coordinator for this long is
 * abandoned (the coordinator's own deadlines are shorter). */
#define ND_IDLE_MS (15 * 60 * 1000)
#define ND_SEND_MS 5000
/* The operator's decisions are looked for this often (not after every
 * message of a busy session). */
#define ND_POLL_MS 250

/* One job: its passes (core/release.h) run one after the other, each a
 * secure-aggregation session of its own. */
typedef struct nd_sess {
	bool used;
	uint8_t sid[CAIRN_SESSION_ID_LEN]; /* the current pass's session */
	uint8_t job_id[CRN_JOB_ID_LEN];
	uint32_t pass; /* CRN_RELEASE_PASS_COUNTS, then _FIGURES */
	bool between;  /* pass 1 done here: waiting for pass 2's cells */
	bool single;   /* one pass, the job's whole vector (JOB_CODE) */
	crn_sa_node *sa;
	crn_plan *plan; /* what the job computes (owned) */
	/* The node's whole local result, computed once in pass 1 and kept
	 * for pass 2; wiped when the job ends, aborts or expires. */
	void *full;
	size_t full_len;
	void *vec; /* the current pass's input (secret too) */
	size_t vlen;
	uint32_t min_cell;  /* the node's own threshold for this job */
	uint32_t max_nodes; /* largest roster accepted; 0: no schema */
	/* DP: the job's total rho (0: no noise) and the survivors the
	 * current pass's noise is sized for; the session then accepts no
	 * fewer. */
	double dp_rho;
	uint32_t dp_t;
	char job[9]; /* first bytes of the job id, hex */
	char researcher[CRN_CERT_NAME_MAX + 1];
	char dataset[CRN_NAME_MAX + 1];
	int64_t deadline; /* idle */
	int64_t expires;  /* the job's not_after, monotonic clock */
	int64_t started;  /* the offer, for the metrics */
	/* JOB_MODEL: the compiled model; pass = the round.  Nothing of the
	 * data is kept between rounds: each round scans again. */
	crn_model *model;
	const crn_cfg_dataset *cds;
	uint64_t not_after;
} nd_sess;

typedef struct nd {
	crn_config *cfg;
	crn_rt_party party;
	crn_rt_peers peers; /* a coordinator (the pinned one, if named) */
	crn_tr *tr;
	nd_sess sess[ND_MAX_SESS];
	crn_schema *schema;     /* the federation schema; NULL if none */
	crn_job_ledger *ledger; /* jobs this node ran, ever */
	crn_audit *audit;       /* every job's events (audit_log) */
	crn_approvals *appr;    /* jobs waiting for the operator */
	int64_t next_poll;      /* of appr: at most every ND_POLL_MS */
	crn_budget *budget;     /* privacy budget spent, per researcher */
	int64_t next_hello;
	bool acked;
	/* Heartbeats: when the coordinator last acknowledged one, and
	 * whether we said it went silent (it is up but does not answer:
	 * stopped, or refusing our messages). */
	int64_t last_ack;
	bool silent;
	char coord[CRN_CERT_NAME_MAX + 1]; /* its certificate name */
	crn_ops *ops;                      /* metrics (nodes/ops) */
	crn_ops_state *ost;                /* its state, ours to update */
} nd;

/* The test build's seam (runtime/testhook.h): about to answer round
 * `round` of pass `pass` (rounds numbered as crn_sa_round). */
static void
nd_maybe_die(const nd *d, uint32_t pass, int round)
{
	(void)d;
	if (crn_hooks.node_round != NULL)
		crn_hooks.node_round(pass, round);
}

static cairn_err
nd_send(nd *d, uint32_t type, const uint8_t *sid, uint32_t round,
    const uint8_t *payload, size_t len, int ms)
{
	uint8_t *env = NULL;
	size_t elen = 0;
	cairn_err rv;

	if ((rv = crn_rt_wrap(&d->party, type, sid, round, payload, len, &env,
	         &elen)) != CAIRN_OK)
		return rv;
	/* The envelope goes out from where it was encoded (a masked input
	 * is the largest thing a node sends): no copy in the transport. */
	rv = crn_tr_send_owned(d->tr, CRN_TR_CONN_DIALER, env, elen, ms);
	if (rv != CAIRN_OK) {
		crn_free(env, elen);
	} else {
		d->ost->bytes_out += elen;
		d->ost->msgs_out++;
	}
	return rv;
}

/* The connection is up but three heartbeats went unanswered: say so once
 * (the coordinator is stopped, or refuses what we send). */
static void
nd_silence(nd *d, int64_t now)
{
	int64_t quiet = now - d->last_ack;

	if (!d->acked || d->silent ||
	    quiet <= 3 * (int64_t)d->cfg->node.heartbeat_ms)
		return;
	d->silent = true;
	crn_log_warn(
	    "coordinator '%s' has not answered our heartbeats for %lld ms though the connection is up: it is stopped, or it refuses our messages (see its log)",
	    d->coord, (long long)quiet);
}

/* An audit entry about job job_id (NULL: not decoded). */
static cairn_err
nd_audit(nd *d, const uint8_t *job_id, const char *type,
    const crn_audit_field *f, size_t nf)
{
	cairn_err rv = crn_rt_audit_event(d->audit, type, job_id, f, nf);

	if (rv != CAIRN_OK)
		crn_log_err("audit log: cannot write a %s entry: %s", type,
		    cairn_strerror(rv));
	return rv;
}

/* The end of the job here, for the audit log. */
static void
nd_audit_outcome(
    nd *d, const uint8_t *job_id, const char *outcome, const char *detail)
{
	const crn_audit_field f[] = {{"outcome", outcome}, {"detail", detail}};

	(void)nd_audit(d, job_id, CRN_AUDIT_OUTCOME, f, CRN_NELEM(f));
}

static void
nd_hello(nd *d)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int64_t now = crn_rt_now_ms();

	nd_silence(d, now);
	if (now < d->next_hello)
		return;
	if (crn_rt_hello_encode(CAIRN_VERSION_STRING, &buf, &len) != CAIRN_OK)
		return;
	if (nd_send(d, CRN_RT_MSG_HELLO, NULL, 0, buf, len, 200) == CAIRN_OK) {
		d->next_hello = now + d->cfg->node.heartbeat_ms;
	} else {
		/* Not connected yet: try again soon; the transport keeps
		 * redialling with its own backoff. */
		d->next_hello = now + 250;
	}
	crn_free(buf, len);
}

/* The current pass's machine and input go; the job stays. */
static void
nd_pass_end(nd *d, nd_sess *s)
{
	/* Let the replay guard forget the ended session (the job ledger
	 * keeps the job from running again). */
	if (s->used && crn_replay_forget(d->party.replay, s->sid) != CAIRN_OK)
		crn_log_debug("job %s: replay guard keeps the session", s->job);
	crn_sa_node_free(s->sa);
	s->sa = NULL;
	if (s->vec != NULL)
		crn_freezero(s->vec, s->vlen);
	s->vec = NULL;
	s->vlen = 0;
}

static void
nd_sess_end(nd_sess *s)
{
	crn_sa_node_free(s->sa);
	if (s->vec != NULL)
		crn_freezero(s->vec, s->vlen);
	if (s->full != NULL)
		crn_freezero(s->full, s->full_len);
	crn_plan_free(s->plan);
	crn_model_free(s->model);
	memset(s, 0, sizeof(*s));
}

/* Count how a job ended here (s may be NULL: refused before a slot). */
static void
nd_job_end(nd *d, const nd_sess *s, crn_ops_outcome outcome)
{
	crn_ops_job_row row;

	memset(&row, 0, sizeof(row));
	row.outcome = outcome;
	row.finished = crn_rt_wall();
	if (s != NULL && s->used) {
		row.ms = crn_rt_now_ms() - s->started;
		snprintf(row.job, sizeof(row.job), "%s", s->job);
		snprintf(row.researcher, sizeof(row.researcher), "%s",
		    s->researcher);
	}
	crn_ops_job_end(d->ost, &row);
}

/* A job is over: release it, wiping its local result. */
static void
nd_sess_close(nd *d, nd_sess *s)
{
	if (s->used)
		nd_pass_end(d, s);
	nd_sess_end(s);
}

/* Refuse a job: log why here, and send the coordinator (who passes it on
 * to the researcher) `remote`, or why when remote is NULL.  Reasons that
 * may hold values of the node's data stay in the log. */
static void
nd_refuse(nd *d, const uint8_t *sid, const uint8_t *job_id, const char *job,
    const char *who, const char *dataset, cairn_err code, const char *why,
    const char *remote)
{
	crn_rt_error e = {.code = (int32_t)code,
	    .message = (char *)(uintptr_t)(remote != NULL ? remote : why)};
	/* The audit log may be shown to others: it keeps what the node
	 * told them, not details that may quote the node's data. */
	const crn_audit_field f[] = {{"decision", "refuse"},
	    {"reason", remote != NULL ? remote : why}, {"researcher", who},
	    {"dataset", dataset}};
	uint8_t *buf = NULL;
	size_t len = 0;

	crn_log_info("job %s researcher %s dataset %s: refused: %s", job,
	    who[0] ? who : "?", dataset[0] ? dataset : "?", why);
	nd_job_end(d, NULL, CRN_OPS_REFUSED);
	(void)nd_audit(d, job_id, CRN_AUDIT_DECISION, f, CRN_NELEM(f));
	if (crn_rt_error_encode(&e, &buf, &len) != CAIRN_OK)
		return;
	(void)nd_send(d, CRN_RT_MSG_ERROR, sid, 0, buf, len, ND_SEND_MS);
	crn_free(buf, len);
}

/* Pass 1 ended here: keep the local result until pass 2's cells arrive,
 * at most until the job expires. */
static void
nd_between(nd *d, nd_sess *s)
{
	int64_t now = crn_rt_now_ms();

	crn_log_info(
	    "job %s researcher %s dataset %s: counts contributed (index %u); waiting for the cells to release",
	    s->job, s->researcher, s->dataset, crn_sa_node_index(s->sa));
	nd_audit_outcome(d, s->job_id, "counts contributed", "pass 1");
	nd_pass_end(d, s);
	s->between = true;
	s->deadline = now + ND_IDLE_MS;
	if (s->expires < s->deadline)
		s->deadline = s->expires;
}

/* A model round ended here: wait for the next round's parameters (or
 * the end of the fit), at most until the job expires. */
static void
nd_model_between(nd *d, nd_sess *s)
{
	int64_t now = crn_rt_now_ms();

	crn_log_info(
	    "job %s researcher %s dataset %s: model round %u contributed (index %u)",
	    s->job, s->researcher, s->dataset, s->pass,
	    crn_sa_node_index(s->sa));
	/* The machine stays: the next round continues its session with
	 * round 1's pairwise secrets (nd_model_next). */
	if (crn_replay_forget(d->party.replay, s->sid) != CAIRN_OK)
		crn_log_debug("job %s: replay guard keeps the session", s->job);
	if (s->vec != NULL)
		crn_freezero(s->vec, s->vlen);
	s->vec = NULL;
	s->vlen = 0;
	s->between = true;
	s->deadline = now + ND_IDLE_MS;
	if (s->expires < s->deadline)
		s->deadline = s->expires;
}

/* Send what the machine produced; returns true when the job ended. */
static bool
nd_apply(nd *d, nd_sess *s, crn_sa_actions *acts)
{
	bool ended = false;

	for (size_t i = 0; i < acts->count; i++) {
		crn_sa_action *a = &acts->v[i];
		cairn_err rv;

		if (a->kind == CRN_SA_ACT_SEND) {
			if ((rv = nd_send(d, a->type, s->sid, a->type, a->data,
			         a->len, ND_SEND_MS)) != CAIRN_OK)
				crn_log_warn("job %s: send (type %u): %s",
				    s->job, a->type, cairn_strerror(rv));
		} else if (a->kind == CRN_SA_ACT_DONE && s->model != NULL) {
			nd_model_between(d, s);
			break;
		} else if (a->kind == CRN_SA_ACT_DONE &&
		    s->pass == CRN_RELEASE_PASS_COUNTS && !s->single) {
			nd_between(d, s);
			break;
		} else if (a->kind == CRN_SA_ACT_DONE) {
			crn_log_info(
			    "job %s researcher %s dataset %s: contributed (index %u)",
			    s->job, s->researcher, s->dataset,
			    crn_sa_node_index(s->sa));
			nd_job_end(d, s, CRN_OPS_CONTRIBUTED);
			nd_audit_outcome(d, s->job_id, "contributed",
			    s->pass == CRN_RELEASE_PASS_FIGURES ? "pass 2"
			                                        : "");
			ended = true;
		} else if (a->kind == CRN_SA_ACT_ABORT) {
			crn_log_info(
			    "job %s researcher %s dataset %s: aborted in pass %u: %s",
			    s->job, s->researcher, s->dataset, s->pass,
			    a->abort.reason);
			nd_job_end(d, s, CRN_OPS_ABORTED);
			nd_audit_outcome(
			    d, s->job_id, "aborted", a->abort.reason);
			ended = true;
		}
	}
	crn_sa_actions_clear(acts);
	if (ended)
		nd_sess_close(d, s);
	return ended;
}

/* Fill src from a configured dataset; the map arrays are crn_alloc'd. */
static cairn_err
nd_src(const crn_cfg_dataset *ds, crn_node_src *src, char ***ms, char ***ml)
{
	memset(src, 0, sizeof(*src));
	*ms = *ml = NULL;
	src->kind = (int)ds->kind;
	src->path = ds->path;
	src->conninfo = ds->conninfo;
	src->table = ds->table;
	if (ds->nmap > 0) {
		*ms = crn_zalloc(ds->nmap * sizeof(char *));
		*ml = crn_zalloc(ds->nmap * sizeof(char *));
		if (*ms == NULL || *ml == NULL) {
			crn_free(*ms, ds->nmap * sizeof(char *));
			crn_free(*ml, ds->nmap * sizeof(char *));
			*ms = *ml = NULL;
			return CAIRN_ENOMEM;
		}
		for (size_t i = 0; i < ds->nmap; i++) {
			(*ms)[i] = ds->map[i].column;
			(*ml)[i] = ds->map[i].source;
		}
	}
	src->map_schema = *ms;
	src->map_local = *ml;
	src->nmap = ds->nmap;
	return CAIRN_OK;
}

cairn_err
crn_node_src_from_config(
    const crn_cfg_dataset *ds, crn_node_src *src, char ***ms, char ***ml)
{
	return nd_src(ds, src, ms, ml);
}

static cairn_err nd_verify_peer(void *arg, const uint8_t *cert, size_t cert_len,
    uint8_t pk[CAIRN_SIGN_PK_LEN]);

/*
 * The node has one thread: a query that runs on forever would stop it
 * serving every other job.  PostgreSQL gets a statement_timeout through
 * the connection's options (the executor's API takes a conninfo, not a
 * setting): query_timeout_ms, or what is left of the job's validity when
 * that is shorter.  *out is a crn_alloc'd copy of conninfo with the
 * option added (it may hold a password: crn_freezero(*out, *outlen)), or
 * NULL when the operator's conninfo sets options itself (theirs win).
 */
static cairn_err
nd_pg_timeout(const nd *d, const crn_job *job, const char *conninfo, char **out,
    size_t *outlen)
{
	uint64_t now = crn_rt_wall(), ms = d->cfg->node.query_timeout_ms;
	bool uri;
	size_t n;

	*out = NULL;
	*outlen = 0;
	if (conninfo == NULL || strstr(conninfo, "options") != NULL) {
		crn_log_debug("conninfo sets options: no statement_timeout");
		return CAIRN_OK;
	}
	if (job->not_after > now && (job->not_after - now) * 1000 < ms)
		ms = (job->not_after - now) * 1000;
	if (ms < 1000)
		ms = 1000;
	uri = strncmp(conninfo, "postgresql://", 13) == 0 ||
	    strncmp(conninfo, "postgres://", 11) == 0;
	n = strlen(conninfo) + 64;
	if ((*out = crn_alloc(n)) == NULL)
		return CAIRN_ENOMEM;
	*outlen = n;
	if (uri)
		snprintf(*out, n, "%s%coptions=-c%%20statement_timeout%%3D%llu",
		    conninfo, strchr(conninfo, '?') != NULL ? '&' : '?',
		    (unsigned long long)ms);
	else
		snprintf(*out, n, "%s options='-c statement_timeout=%llu'",
		    conninfo, (unsigned long long)ms);
	return CAIRN_OK;
}

/* A dataset's source for one scan, with the strings it borrows. */
typedef struct nd_scan {
	crn_node_src src;
	char **ms, **ml, *pgconn;
	size_t pgconnlen;
} nd_scan;

/* Open ds's source for a scan for job (its not_after bounds a
 * PostgreSQL statement). */
static cairn_err
nd_scan_open(
    const nd *d, const crn_cfg_dataset *ds, const crn_job *job, nd_scan *h)
{
	cairn_err rv;

	memset(h, 0, sizeof(*h));
	if ((rv = nd_src(ds, &h->src, &h->ms, &h->ml)) != CAIRN_OK ||
	    (ds->kind == CRN_SRC_PG &&
	        (rv = nd_pg_timeout(d, job, ds->conninfo, &h->pgconn,
	             &h->pgconnlen)) != CAIRN_OK))
		return rv;
	if (h->pgconn != NULL)
		h->src.conninfo = h->pgconn;
	return CAIRN_OK;
}

static void
nd_scan_close(nd_scan *h)
{
	if (h->ms != NULL) {
		crn_free(h->ms, h->src.nmap * sizeof(char *));
		crn_free(h->ml, h->src.nmap * sizeof(char *));
	}
	if (h->pgconn != NULL)
		crn_freezero(h->pgconn, h->pgconnlen);
	memset(h, 0, sizeof(*h));
}

/* What a job offer carries, and what the node made of it. */
typedef struct nd_offer {
	crn_rt_offer offer;
	crn_signed_job sj;
	crn_job job;
	const crn_cfg_dataset *ds;
	char jobhex[9];
	char who[CRN_CERT_NAME_MAX + 1];
	char dsname[CRN_NAME_MAX + 1];
	char why[512];
	char remote[256]; /* what the others are told, when not why */
} nd_offer;

/* The researcher and the signed job, checked by the node itself. */
static cairn_err
nd_offer_job(nd *d, const crn_envelope *env, nd_offer *o)
{
	crn_cert_info rinfo;
	cairn_err rv;

	if ((rv = crn_rt_offer_decode(
	         &o->offer, env->payload, env->payload_len)) != CAIRN_OK ||
	    (rv = crn_signed_job_decode(&o->sj, o->offer.signed_job,
	         o->offer.signed_job_len)) != CAIRN_OK) {
		snprintf(o->why, sizeof(o->why), "malformed offer");
		return rv;
	}
	/* Our own check of the researcher: chain, CRL, role. */
	if ((rv = crn_rt_cert_check(&d->party, o->sj.cert, o->sj.cert_len,
	         CRN_ROLE_RESEARCHER, &rinfo)) != CAIRN_OK) {
		crn_cert_info peek;

		if (crn_cert_inspect(o->sj.cert, o->sj.cert_len, &peek) ==
		    CAIRN_OK)
			snprintf(o->who, sizeof(o->who), "%s", peek.name);
		snprintf(o->why, sizeof(o->why), "researcher certificate: %s",
		    cairn_strerror(rv));
		return rv;
	}
	snprintf(o->who, sizeof(o->who), "%s", rinfo.name);
	if ((rv = crn_job_verify(&o->sj, rinfo.pk, &o->job)) != CAIRN_OK) {
		snprintf(
		    o->why, sizeof(o->why), "job signature does not verify");
		return rv;
	}
	crn_rt_hex(o->job.job_id, 4, o->jobhex);
	snprintf(o->dsname, sizeof(o->dsname), "%s", o->job.dataset);
	return CAIRN_OK;
}

/* The node's policy as admit.h takes it. */
static crn_admit_policy
nd_policy(const nd *d)
{
	crn_admit_policy p;

	memset(&p, 0, sizeof(p));
	p.node = &d->cfg->node;
	if (d->schema != NULL) {
		p.have_schema = true;
		p.schema_max_nodes = d->schema->max_nodes;
		p.schema_min_cell = d->schema->min_cell;
	}
	return p;
}

/* The node's policy over a verified job (admit.h). */
static cairn_err
nd_offer_policy(nd *d, const crn_envelope *env, nd_offer *o)
{
	crn_admit_policy p = nd_policy(d);
	crn_admit_offer in;
	crn_admit a;
	cairn_err rv;

	memset(&in, 0, sizeof(in));
	in.job = &o->job;
	in.researcher = o->who;
	in.nodes = o->offer.nodes;
	in.session_id = env->session_id;
	in.now = crn_rt_wall();
	rv = crn_admit_job(&p, &in, &a);
	o->ds = a.ds;
	if (rv != CAIRN_OK)
		snprintf(o->why, sizeof(o->why), "%s", a.why);
	return rv;
}

/* A free session slot for the job (NULL: why says why). */
static nd_sess *
nd_sess_take(nd *d, const crn_envelope *env, nd_offer *o, cairn_err *rv)
{
	nd_sess *s = NULL;

	for (uint32_t i = 0; i < ND_MAX_SESS; i++) {
		if (!d->sess[i].used) {
			if (s == NULL)
				s = &d->sess[i];
		} else if (memcmp(d->sess[i].job_id, o->job.job_id,
		               CRN_JOB_ID_LEN) == 0 ||
		    memcmp(d->sess[i].sid, env->session_id,
		        CAIRN_SESSION_ID_LEN) == 0) {
			snprintf(
			    o->why, sizeof(o->why), "session offered twice");
			*rv = CAIRN_EPROTO;
			return NULL;
		}
	}
	if (s == NULL) {
		snprintf(
		    o->why, sizeof(o->why), "%d sessions running", ND_MAX_SESS);
		*rv = CAIRN_ETOOBIG;
	}
	return s;
}

static uint32_t nd_model_min_cell(const nd *d);

/* An approved-code job: s->vec is the whole vector, in one pass. */
static cairn_err
nd_code(nd *d, nd_sess *s, nd_offer *o, const crn_node_src *src)
{
	const crn_cfg_node *n = &d->cfg->node;
	crn_node_code_policy p = {.approved = n->approved_code,
	    .napproved = n->napproved_code,
	    .approved_dir = n->approved_code_dir,
	    .state_dir = n->state_dir,
	    .dataset = o->job.dataset,
	    .researcher = o->who,
	    .memory_mb = n->code_memory_mb,
	    .steps_m = n->code_steps_m,
	    .timeout_ms = n->code_timeout_ms,
	    .max_nodes = d->schema != NULL ? d->schema->max_nodes : 0,
	    .min_cell = nd_model_min_cell(d)};

	/* DP: noise sized for the offer's threshold, which the session
	 * then requires (nd_pass_begin); charged by nd_dp_charge. */
	if (o->job.dp_epsilon > 0) {
		p.dp_rho = crn_dp_rho_of(o->job.dp_epsilon, o->job.dp_delta);
		p.dp_t = o->offer.threshold > 0 ? o->offer.threshold : 1;
		s->dp_t = p.dp_t;
		crn_log_info(
		    "job %s: DP noise for the program's output sized for %u survivors",
		    s->job, p.dp_t);
	}
	return crn_node_run_code(&p, src, d->schema, &o->job, o->ds->expose,
	    o->ds->nexpose, &s->vec, &s->vlen, o->why, sizeof(o->why),
	    o->remote, sizeof(o->remote));
}

/* The smallest group of the node's rows a model round may single out:
 * the larger of its policy's and the schema's min_cell. */
static uint32_t
nd_model_min_cell(const nd *d)
{
	crn_admit_policy p = nd_policy(d);

	return crn_admit_min_cell(&p, 1);
}

/* The guard a model round applies before it leaves (crn_model_run):
 * min_cell without DP.  Under DP none: a refusal that depends on the rows
 * (a WHERE leaving few of them, a cluster the coordinator's centres
 * isolate) would reach the coordinator without noise, an exact answer
 * about one row at any epsilon; the noise covers what the guard did, and
 * the coordinator's min_cell checks on the noisy counts remain. */
static uint32_t
nd_model_guard(const nd *d, const nd_sess *s)
{
	return s->dp_rho > 0 ? 0 : nd_model_min_cell(d);
}

/* DP: round `round`'s vector (at params), rounded to the noise's grid
 * with the node's share of noise added.  Nothing without DP. */
static cairn_err
nd_model_noise(nd_sess *s, uint32_t round, const double *params, size_t np,
    void *vec, char *why, size_t whylen)
{
	crn_model_dp dp;
	crn_dp_rng r;
	cairn_err rv;

	if (s->dp_rho <= 0)
		return CAIRN_OK;
	if ((rv = crn_model_dp_of(&dp, s->model, params, np, s->dp_rho, s->dp_t,
	         why, whylen)) != CAIRN_OK)
		return rv;
	crn_dp_rng_init_os(&r);
	rv = crn_model_dp_add(s->model, &dp, vec, &r);
	crn_dp_rng_fini(&r);
	if (rv == CAIRN_OK)
		crn_log_info(
		    "job %s: DP noise for model round %u: sd %.3g on the row count (L2 sensitivity %.3g, rho %.3g of the job's %.3g), sized for %u survivors",
		    s->job, round, sqrt(dp.sigma2[0]), sqrt(dp.sens2),
		    dp.rho_round, s->dp_rho, dp.t);
	else
		snprintf(why, whylen, "cannot add the DP noise: %s",
		    cairn_strerror(rv));
	crn_model_dp_fini(&dp);
	return rv;
}

/* JOB_MODEL: check the model against the schema and policy, and compute
 * round 1 (from the spec alone) into s->full. */
static cairn_err
nd_model_first(nd *d, nd_sess *s, nd_offer *o, const crn_node_src *src)
{
	double *par = NULL;
	size_t np = 0;
	cairn_err rv;

	if ((rv = crn_node_model_prepare(d->schema, &o->job, o->ds->expose,
	         o->ds->nexpose, &s->model, o->why, sizeof(o->why))) !=
	    CAIRN_OK)
		return rv;
	s->cds = o->ds;
	s->not_after = o->job.not_after;
	if ((rv = crn_model_initial(s->model, &par, &np)) != CAIRN_OK)
		return rv;
	/* DP: the whole job was charged (nd_dp_charge); every round's
	 * noise is sized for the offer's threshold, which the session then
	 * requires in every round (nd_pass_begin). */
	if (s->dp_rho > 0)
		s->dp_t = o->offer.threshold > 0 ? o->offer.threshold : 1;
	rv = crn_node_model_run(src, s->model, par, np, nd_model_guard(d, s),
	    &s->full, &s->full_len, o->why, sizeof(o->why));
	if (rv == CAIRN_OK)
		rv = nd_model_noise(
		    s, 1, par, np, s->full, o->why, sizeof(o->why));
	crn_free(par, (np ? np : 1) * sizeof(double));
	return rv;
}

/* Run the job over the node's data: s->plan and s->full, the node's
 * whole local result, in one scan. */
static cairn_err
nd_compute(nd *d, nd_sess *s, nd_offer *o, const crn_node_src *src)
{
	const crn_job *job = &o->job;
	crn_admit a;
	cairn_err rv;

	if (job->kind == CRN_JOB_CODE)
		return nd_code(d, s, o, src);

	if (job->kind == CRN_JOB_QUERY) {
		/* The plan's own checks first (their reasons are the more
		 * precise), then: is it the plan of the SQL the operator
		 * reads?  Nothing computed leaves the node before both. */
		if ((rv = crn_node_run_query(src, d->schema, job->dataset,
		         job->plan, job->plan_len, o->ds->expose,
		         o->ds->nexpose, job->ring_bits, job->dim, &s->plan,
		         &s->full, &s->full_len, o->why, sizeof(o->why))) !=
		    CAIRN_OK)
			return rv;
		return crn_node_plan_is_sql(d->schema, job->sql, job->plan,
		    job->plan_len, o->why, sizeof(o->why));
	}
	if (job->kind == CRN_JOB_MODEL)
		return nd_model_first(d, s, o, src);
	if ((rv = crn_admit_sum(o->ds, job, &a)) != CAIRN_OK) {
		snprintf(o->why, sizeof(o->why), "%s", a.why);
		return rv;
	}
	/* The threshold comes when the cells are announced: 0 here. */
	if ((rv = crn_q_sum_plan(job->dataset, job->column, job->ring_bits, 0,
	         &s->plan)) != CAIRN_OK) {
		snprintf(o->why, sizeof(o->why), "cannot plan the sum: %s",
		    cairn_strerror(rv));
		return rv;
	}
	return crn_node_sum_column(
	    src, s->plan, &s->full, &s->full_len, o->why, sizeof(o->why));
}

/* The node's own bounds for the job: the threshold it applies to what it
 * contributes (the largest of its policy's, its schema's and the plan's
 * min_cell) and the largest roster its schema's ring widths allow. */
static void
nd_limits(const nd *d, nd_sess *s)
{
	crn_admit_policy p = nd_policy(d);

	s->min_cell =
	    crn_admit_min_cell(&p, s->plan != NULL ? s->plan->min_cell : 0);
	/* The secure-aggregation machine refuses a roster above this. */
	s->max_nodes = d->schema != NULL ? d->schema->max_nodes : 0;
}

/* Start pass s->pass with input s->vec of dim elements of ring_bits: the
 * same for every pass. */
static cairn_err
nd_pass_begin(nd *d, nd_sess *s, uint32_t ring_bits, uint64_t dim)
{
	crn_sa_node_cfg scfg;
	crn_sa_actions acts;
	cairn_err rv;

	memset(&scfg, 0, sizeof(scfg));
	crn_sa_actions_init(&acts);
	nd_maybe_die(d, s->pass, 0);
	crn_random_bytes(scfg.seed, sizeof(scfg.seed));
	memcpy(scfg.session_id, s->sid, CAIRN_SESSION_ID_LEN);
	scfg.id = d->party.id;
	scfg.ring_bits = ring_bits;
	scfg.dim = dim;
	scfg.min_participants = d->cfg->node.min_participants;
	/* DP: the noise was sized for dp_t survivors; fewer would release
	 * a sum with less than the target noise. */
	if (s->dp_t > scfg.min_participants)
		scfg.min_participants = s->dp_t;
	scfg.max_nodes = s->max_nodes;
	scfg.malicious = d->cfg->node.malicious;
	scfg.corrupt_frac = d->cfg->node.corrupt_frac;
	scfg.dropout_frac = d->cfg->node.dropout_frac;
	scfg.cert = d->party.cert_der;
	scfg.cert_len = d->party.cert_len;
	scfg.verify_peer = nd_verify_peer;
	scfg.verify_arg = d;
	/* A fit's later rounds continue this session (nd_model_next). */
	if (s->model != NULL)
		scfg.max_rounds = s->model->spec.max_iter;
	rv = crn_sa_node_new(&s->sa, &scfg);
	cairn_memzero(scfg.seed, sizeof(scfg.seed));
	if (rv != CAIRN_OK)
		goto out;
	s->between = false;
	s->deadline = crn_rt_now_ms() + ND_IDLE_MS;
	crn_sa_node_set_input(s->sa, s->vec);
	crn_log_debug(
	    "job %s: pass %u, %zu-byte vector", s->job, s->pass, s->vlen);
	if ((rv = crn_sa_node_start(s->sa, &acts)) != CAIRN_OK)
		goto out;
	(void)nd_apply(d, s, &acts);
out:
	crn_sa_actions_fini(&acts);
	return rv;
}

/* The job's not_after on the monotonic clock. */
static int64_t
nd_expiry(const crn_job *job)
{
	uint64_t now = crn_rt_wall();
	int64_t left =
	    job->not_after > now ? (int64_t)(job->not_after - now) * 1000 : 0;

	if (left > ND_IDLE_MS)
		left = ND_IDLE_MS;
	return crn_rt_now_ms() + left;
}

/*
 * DP: charge the job's rho to (researcher, dataset) before the data is
 * read, so nothing computed from it (a result or a failure) leaves the
 * node uncharged.  The charge covers both
 * passes; it is on disk when this returns (node/budget.h), so a crash
 * between here and the send can only over-count.  Over budget: EPERM,
 * with what is left in why.
 */
static cairn_err
nd_dp_charge(nd *d, nd_sess *s, nd_offer *o)
{
	const crn_cfg_node *n = &d->cfg->node;
	double left = 0;
	cairn_err rv;

	if (o->job.dp_epsilon == 0)
		return CAIRN_OK;
	s->dp_rho = crn_dp_rho_of(o->job.dp_epsilon, o->job.dp_delta);
	rv = crn_budget_charge(d->budget, o->who, o->job.dataset, o->job.job_id,
	    s->dp_rho, crn_dp_rho_of(n->budget_epsilon, n->budget_delta),
	    n->budget_delta, &left, o->why, sizeof(o->why));
	if (rv == CAIRN_OK)
		crn_log_info(
		    "job %s researcher %s dataset %s: charged rho %.6g (epsilon %g, delta %g), %.6g left",
		    s->job, o->who, o->job.dataset, s->dp_rho,
		    o->job.dp_epsilon, o->job.dp_delta, left);
	else if (rv != CAIRN_EPERM)
		rv = CAIRN_ESYS;
	if (rv == CAIRN_OK) {
		/* The charge is on record before the job goes on. */
		char hex[CRN_RT_JOB_HEX_LEN], charge[96], rest[48];

		crn_rt_hex(o->job.job_id, CRN_JOB_ID_LEN, hex);
		snprintf(charge, sizeof(charge), "rho=%.9g epsilon=%g delta=%g",
		    s->dp_rho, o->job.dp_epsilon, o->job.dp_delta);
		snprintf(rest, sizeof(rest), "rho=%.9g", left);
		if (crn_audit_budget(d->audit, crn_rt_wall(), hex, o->who,
		        o->job.dataset, charge, rest) != CAIRN_OK) {
			snprintf(o->why, sizeof(o->why),
			    "the node cannot write its audit log");
			rv = CAIRN_ESYS;
		}
	}
	return rv;
}

/* DP: add the node's noise share to s->vec for t survivors. */
static cairn_err
nd_dp_noise(nd_sess *s, uint32_t bits, uint64_t dim, uint32_t t, bool counts)
{
	crn_dp_noise nz;
	cairn_err rv;

	if (s->dp_rho <= 0)
		return CAIRN_OK;
	s->dp_t = t > 0 ? t : 1;
	if ((rv = crn_dp_noise_of(&nz, s->plan, s->dp_rho, s->dp_t)) !=
	    CAIRN_OK)
		return rv;
	crn_log_info("job %s: DP noise for %s pass sized for %u survivors",
	    s->job, counts ? "the counts" : "the figures", s->dp_t);
	return crn_node_dp_add(s->vec, bits, dim, s->plan, &nz, counts);
}

/* Compute the job's local result and start pass 1 with its counts. */
static cairn_err
nd_offer_run(nd *d, nd_sess *s, nd_offer *o)
{
	nd_scan h;
	uint32_t bits = 0;
	uint64_t dim = 0;
	cairn_err rv;

	if ((rv = nd_scan_open(d, o->ds, &o->job, &h)) != CAIRN_OK) {
		snprintf(o->why, sizeof(o->why), "out of memory");
		goto out;
	}
	/* DP: charged before the data is read.  Whether a job fails (a
	 * program's error, a WHERE that leaves few rows) depends on the
	 * rows and reaches the researcher without noise, so a failure
	 * costs what a release does; otherwise failing jobs would be a
	 * free channel. */
	if ((rv = nd_dp_charge(d, s, o)) != CAIRN_OK ||
	    (rv = nd_compute(d, s, o, &h.src)) != CAIRN_OK)
		goto out;
	if (s->single) {
		s->max_nodes = d->schema != NULL ? d->schema->max_nodes : 0;
		if ((rv = nd_pass_begin(d, s, o->job.ring_bits, o->job.dim)) !=
		    CAIRN_OK)
			snprintf(o->why, sizeof(o->why), "cannot start: %s",
			    cairn_strerror(rv));
		goto out;
	}
	nd_limits(d, s);
	if (s->model != NULL) {
		/* A model round sends its whole statistic vector. */
		s->vec = s->full;
		s->vlen = s->full_len;
		s->full = NULL;
		s->full_len = 0;
		if ((rv = nd_pass_begin(d, s, 128, s->model->dim)) != CAIRN_OK)
			snprintf(o->why, sizeof(o->why), "cannot start: %s",
			    cairn_strerror(rv));
		goto out;
	}
	if ((rv = crn_release_counts_shape(s->plan, &bits, &dim)) != CAIRN_OK ||
	    (rv = crn_release_counts_vector(
	         s->plan, s->full, &s->vec, &s->vlen)) != CAIRN_OK ||
	    (rv = nd_dp_noise(s, bits, dim, o->offer.threshold, true)) !=
	        CAIRN_OK ||
	    (rv = nd_pass_begin(d, s, bits, dim)) != CAIRN_OK)
		snprintf(o->why, sizeof(o->why), "cannot start: %s",
		    cairn_strerror(rv));
out:
	nd_scan_close(&h);
	return rv;
}

/* What the researcher asked, in the researcher's own words (the SQL
 * text it signed) or, for a job without SQL, what the plan computes:
 * the operator reads what the node was asked before what it did. */
static void
nd_log_asked(const nd_offer *o)
{
	const crn_job *job = &o->job;
	char what[CRN_RT_JOB_DESC_LEN];

	crn_rt_job_describe(job, what, sizeof(what));
	crn_log_info("job %s researcher %s dataset %s: asked: %s%s", o->jobhex,
	    o->who, job->dataset,
	    job->kind == CRN_JOB_QUERY && job->sql != NULL &&
	            job->sql[0] != '\0'
	        ? "SQL: "
	        : "",
	    what);
}

/* Take a slot, record the job in the ledger and start it; on failure
 * the job is refused.  The offer was checked (nd_offer_job, _policy). */
static void
nd_offer_accept(nd *d, const crn_envelope *env, nd_offer *o)
{
	nd_sess *s = NULL;
	char nodes[16];
	cairn_err rv;

	if ((s = nd_sess_take(d, env, o, &rv)) == NULL)
		goto refuse;
	/* Each signed job runs here once, ever: a coordinator that offers
	 * it again (with other nodes, to difference the results) is
	 * refused.  The id is on disk before anything is computed. */
	if ((rv = crn_job_ledger_add(d->ledger, o->job.job_id, o->job.not_after,
	         crn_rt_wall())) != CAIRN_OK) {
		snprintf(o->why, sizeof(o->why),
		    rv == CAIRN_EREPLAY
		        ? "job already ran here (each job runs once)"
		        : "cannot record the job in the ledger: %s",
		    cairn_strerror(rv));
		goto refuse;
	}
	snprintf(nodes, sizeof(nodes), "%u", o->offer.nodes);
	{
		const crn_audit_field f[] = {{"decision", "accept"},
		    {"reason", ""}, {"nodes_offered", nodes}};

		if ((rv = nd_audit(d, o->job.job_id, CRN_AUDIT_DECISION, f,
		         CRN_NELEM(f))) != CAIRN_OK) {
			snprintf(o->why, sizeof(o->why),
			    "the node cannot write its audit log");
			goto refuse;
		}
	}
	memset(s, 0, sizeof(*s));
	s->used = true;
	s->pass = CRN_RELEASE_PASS_COUNTS;
	s->single = o->job.kind == CRN_JOB_CODE;
	memcpy(s->sid, env->session_id, CAIRN_SESSION_ID_LEN);
	memcpy(s->job_id, o->job.job_id, CRN_JOB_ID_LEN);
	snprintf(s->job, sizeof(s->job), "%s", o->jobhex);
	snprintf(s->researcher, sizeof(s->researcher), "%s", o->who);
	snprintf(s->dataset, sizeof(s->dataset), "%s", o->dsname);
	s->expires = nd_expiry(&o->job);
	s->started = crn_rt_now_ms();
	if ((rv = nd_offer_run(d, s, o)) == CAIRN_OK)
		return;
	/* Policy refusals name columns and numbers of the job; the
	 * executors' messages may quote a row's value, which must not leave
	 * the node: the remote parties get a code and a generic reason, the
	 * operator the details in the log. */
	if (rv != CAIRN_EPERM && o->remote[0] == '\0')
		snprintf(o->remote, sizeof(o->remote),
		    "%s in dataset %s; see the node's log",
		    rv == CAIRN_EDATA ? "data error" : cairn_strerror(rv),
		    o->job.dataset);
refuse:
	if (o->why[0] == '\0')
		snprintf(o->why, sizeof(o->why), "%s", cairn_strerror(rv));
	if (s != NULL && s->used)
		nd_sess_close(d, s);
	nd_refuse(d, env->session_id, o->job.job_id, o->jobhex, o->who,
	    o->dsname, rv, o->why, o->remote[0] != '\0' ? o->remote : NULL);
}

/* The receipt of a verified job, with the coordinator's signed head when
 * the offer carries one that verifies under the sender's key. */
static cairn_err
nd_audit_received(nd *d, const crn_envelope *env, const nd_offer *o)
{
	char key[2 * CAIRN_SIGN_PK_LEN + 1],
	    head[2 * CRN_RT_AUDIT_HEAD_LEN + 1];
	crn_audit_field f[3];
	uint8_t h[CRN_AUDIT_HASH_LEN];
	uint64_t seq = 0;
	size_t n = 0;

	crn_rt_hex(env->sender, CAIRN_SIGN_PK_LEN, key);
	f[n++] = (crn_audit_field){"coord_key", key};
	if (o->offer.audit_head_len == CRN_RT_AUDIT_HEAD_LEN) {
		crn_rt_hex(o->offer.audit_head, CRN_RT_AUDIT_HEAD_LEN, head);
		if (crn_audit_head_check(o->offer.audit_head,
		        o->offer.audit_head_len, o->job.job_id, env->sender,
		        &seq, h) == CAIRN_OK) {
			f[n++] = (crn_audit_field){"coord_head", head};
		} else {
			crn_log_warn(
			    "job %s: the coordinator's audit head does not verify",
			    o->jobhex);
			f[n++] = (crn_audit_field){"coord_head_bad", head};
		}
	}
	return crn_rt_audit_received(d->audit, &o->job, &o->sj, o->who, f, n);
}

/* What the operator approves, in one line: the SQL, or the model's terms
 * and filter, or the program's hash, WHERE and parameters.  Room for the
 * whole SQL text: an operator must not approve a query cut short.  Free
 * with crn_free(s, *n); NULL when out of memory. */
static char *
nd_offer_what(const crn_job *job, size_t *n)
{
	char *s;

	*n = CRN_RT_JOB_DESC_LEN;
	if (job->kind == CRN_JOB_QUERY && job->sql != NULL)
		*n += strlen(job->sql);
	if ((s = crn_alloc(*n)) != NULL)
		crn_rt_job_describe(job, s, *n);
	return s;
}

/* Queue the job for the operator and tell the coordinator we wait. */
static cairn_err
nd_offer_queue(nd *d, const crn_envelope *env, nd_offer *o)
{
	crn_approval r;
	crn_rt_pending p;
	uint8_t *buf = NULL;
	size_t len = 0, wlen = 0;
	int64_t id = 0;
	char until[CRN_AUDIT_TIME_LEN], num[24];
	cairn_err rv;

	memset(&r, 0, sizeof(r));
	memcpy(r.job_id, o->job.job_id, CRN_JOB_ID_LEN);
	memcpy(r.session_id, env->session_id, CAIRN_SESSION_ID_LEN);
	snprintf(r.researcher, sizeof(r.researcher), "%s", o->who);
	snprintf(r.dataset, sizeof(r.dataset), "%s", o->dsname);
	if ((r.what = nd_offer_what(&o->job, &wlen)) == NULL) {
		snprintf(o->why, sizeof(o->why),
		    "cannot queue the job for approval");
		return CAIRN_ENOMEM;
	}
	r.received = crn_rt_wall();
	r.until = o->job.not_after;
	r.offer = env->payload;
	r.offer_len = env->payload_len;
	rv = crn_approvals_add(d->appr, &r, &id);
	crn_free(r.what, wlen);
	if (rv != CAIRN_OK) {
		snprintf(o->why, sizeof(o->why),
		    rv == CAIRN_EREPLAY ? "job already waits for approval here"
		                        : "cannot queue the job for approval");
		return rv;
	}
	crn_audit_time(r.until, until);
	snprintf(num, sizeof(num), "%lld", (long long)id);
	{
		const crn_audit_field f[] = {{"decision", "pending"},
		    {"reason", "approve = manual"}, {"approval", num},
		    {"until", until}};

		(void)nd_audit(
		    d, o->job.job_id, CRN_AUDIT_DECISION, f, CRN_NELEM(f));
	}
	crn_log_info(
	    "job %s researcher %s dataset %s: waits for approval (cairn node approve %lld), until %s",
	    o->jobhex, o->who, o->dsname, (long long)id, until);
	memcpy(p.job_id, o->job.job_id, CRN_JOB_ID_LEN);
	p.until = r.until;
	if (crn_rt_pending_encode(&p, &buf, &len) == CAIRN_OK) {
		(void)nd_send(d, CRN_RT_MSG_JOB_PENDING, env->session_id, 0,
		    buf, len, ND_SEND_MS);
		crn_free(buf, len);
	}
	return CAIRN_OK;
}

static void
nd_on_offer(nd *d, const crn_envelope *env)
{
	crn_admit_policy p = nd_policy(d);
	nd_offer o;
	cairn_err rv;

	memset(&o, 0, sizeof(o));
	snprintf(o.jobhex, sizeof(o.jobhex), "?");
	if ((rv = nd_offer_job(d, env, &o)) == CAIRN_OK)
		nd_log_asked(&o);
	/* A job whose signature verified is on record before anything
	 * else, refused or not. */
	if (o.job.dataset != NULL &&
	    nd_audit_received(d, env, &o) != CAIRN_OK && rv == CAIRN_OK) {
		snprintf(o.why, sizeof(o.why),
		    "the node cannot write its audit log");
		rv = CAIRN_ESYS;
	}
	if (rv != CAIRN_OK || (rv = nd_offer_policy(d, env, &o)) != CAIRN_OK)
		goto refuse;
	if (crn_admit_manual(&p, o.ds, o.who)) {
		if ((rv = nd_offer_queue(d, env, &o)) != CAIRN_OK)
			goto refuse;
		goto out;
	}
	nd_offer_accept(d, env, &o);
	goto out;
refuse:
	if (o.why[0] == '\0')
		snprintf(o.why, sizeof(o.why), "%s", cairn_strerror(rv));
	nd_refuse(d, env->session_id,
	    o.job.dataset != NULL ? o.job.job_id : NULL, o.jobhex, o.who,
	    o.dsname, rv, o.why, NULL);
out:
	crn_job_fini(&o.job);
	crn_signed_job_fini(&o.sj);
	crn_rt_offer_fini(&o.offer);
}

/* The operator decided on a queued job (or it expired): run it, after
 * checking it again, or refuse it with the reason. */
static void
nd_on_decision(nd *d, crn_approval *r)
{
	crn_envelope env;
	nd_offer o;
	char why[600];
	const char *final = r->state;
	cairn_err rv;

	memset(&env, 0, sizeof(env));
	memset(&o, 0, sizeof(o));
	memcpy(env.session_id, r->session_id, CAIRN_SESSION_ID_LEN);
	env.payload = r->offer;
	env.payload_len = r->offer_len;
	crn_rt_hex(r->job_id, 4, o.jobhex);
	snprintf(o.who, sizeof(o.who), "%s", r->researcher);
	snprintf(o.dsname, sizeof(o.dsname), "%s", r->dataset);
	if (strcmp(r->state, "approved") == 0) {
		const crn_audit_field f[] = {
		    {"decision", "approved"}, {"reason", "by the operator"}};

		(void)nd_audit(
		    d, r->job_id, CRN_AUDIT_DECISION, f, CRN_NELEM(f));
		crn_log_info("job %s: approved by the operator", o.jobhex);
		if ((rv = nd_offer_job(d, &env, &o)) == CAIRN_OK &&
		    (rv = nd_offer_policy(d, &env, &o)) == CAIRN_OK)
			nd_offer_accept(d, &env, &o);
		else
			nd_refuse(d, env.session_id, r->job_id, o.jobhex, o.who,
			    o.dsname, rv, o.why[0] ? o.why : cairn_strerror(rv),
			    NULL);
	} else if (strcmp(r->state, "rejected") == 0) {
		snprintf(why, sizeof(why),
		    "rejected by the operator of node %s%s%s",
		    d->cfg->node.name, r->reason[0] ? ": " : "", r->reason);
		nd_refuse(d, env.session_id, r->job_id, o.jobhex, o.who,
		    o.dsname, CAIRN_EPERM, why, NULL);
	} else {
		snprintf(why, sizeof(why),
		    "expired waiting for approval by the operator of node %s",
		    d->cfg->node.name);
		nd_refuse(d, env.session_id, r->job_id, o.jobhex, o.who,
		    o.dsname, CAIRN_EEXPIRED, why, NULL);
		final = "expired";
	}
	if (crn_approvals_handled(d->appr, r->id, final) != CAIRN_OK)
		crn_log_err("approvals: cannot mark job %s handled", o.jobhex);
	env.payload = NULL;
	crn_job_fini(&o.job);
	crn_signed_job_fini(&o.sj);
	crn_rt_offer_fini(&o.offer);
}

/* Act on every decision the operator took since the last look. */
static void
nd_poll_approvals(nd *d)
{
	crn_approval r;
	int64_t now = crn_rt_now_ms();

	if (now < d->next_poll)
		return;
	d->next_poll = now + ND_POLL_MS;
	for (int k = 0; k < 16; k++) {
		if (crn_approvals_next(d->appr, crn_rt_wall(), &r) != CAIRN_OK)
			return;
		nd_on_decision(d, &r);
		crn_approval_fini(&r);
	}
}

/* The session of a job, by id. */
static nd_sess *
nd_sess_of_job(nd *d, const uint8_t job_id[CRN_JOB_ID_LEN])
{
	for (uint32_t i = 0; i < ND_MAX_SESS; i++)
		if (d->sess[i].used &&
		    memcmp(d->sess[i].job_id, job_id, CRN_JOB_ID_LEN) == 0)
			return &d->sess[i];
	return NULL;
}

/* Check the cells pass 2 is to sum against the job as this node knows
 * it.  why says what is wrong. */
static cairn_err
nd_cells_ok(nd *d, const nd_sess *s, const crn_envelope *env,
    const crn_release *rel, char *why, size_t whylen)
{
	crn_admit_policy p = nd_policy(d);
	crn_admit_cells c;
	crn_admit a;
	cairn_err rv;

	memset(&c, 0, sizeof(c));
	c.between = s->between;
	c.job_id = s->job_id;
	c.session_id = env->session_id;
	c.plan = s->plan;
	c.rel = rel;
	c.max_nodes = s->max_nodes;
	if ((rv = crn_admit_pass2(&p, &c, &a)) != CAIRN_OK)
		snprintf(why, whylen, "%s", a.why);
	return rv;
}

/* The model session whose fit this end-of-fit message ends, or NULL. */
static nd_sess *
nd_model_end_sess(nd *d, const crn_envelope *env)
{
	uint8_t fin[CAIRN_SESSION_ID_LEN];

	for (uint32_t i = 0; i < ND_MAX_SESS; i++) {
		nd_sess *s = &d->sess[i];

		if (s->used && s->model != NULL &&
		    crn_model_session_id(fin, s->job_id, 0) == CAIRN_OK &&
		    crn_ct_eq(fin, env->session_id, CAIRN_SESSION_ID_LEN))
			return s;
	}
	return NULL;
}

/* The model session a round message (decoded into r) is for: the fit of
 * r's job, when the message came on the session of r's round at r's
 * parameters (crn_model_round_sid).  *bound is false when the job is a
 * fit here but the session is not that one. */
static nd_sess *
nd_model_round_sess(
    nd *d, const crn_envelope *env, const crn_model_round *r, bool *bound)
{
	uint8_t sid[CAIRN_SESSION_ID_LEN];

	*bound = false;
	for (uint32_t i = 0; i < ND_MAX_SESS; i++) {
		nd_sess *s = &d->sess[i];

		if (!s->used || s->model == NULL ||
		    memcmp(s->job_id, r->job_id, CRN_JOB_ID_LEN) != 0)
			continue;
		*bound = crn_model_round_sid(sid, s->job_id, r->round,
		             r->params, r->nparams) == CAIRN_OK &&
		    crn_ct_eq(sid, env->session_id, CAIRN_SESSION_ID_LEN);
		return s;
	}
	return NULL;
}

/* Check round r against the model and the node's policy. */
static cairn_err
nd_model_round_ok(
    nd *d, const nd_sess *s, const crn_model_round *r, char *why, size_t whylen)
{
	if (memcmp(r->job_id, s->job_id, CRN_JOB_ID_LEN) != 0 || !s->between ||
	    r->round != s->pass + 1) {
		snprintf(why, whylen,
		    "model round %u out of order (this node did round %u)",
		    r->round, s->pass);
		return CAIRN_EPROTO;
	}
	/* The researcher signed max_iter (a linear fit takes one round): a
	 * coordinator cannot ask for more rounds, each one another view of
	 * the data at its chosen point and, under DP, another share of
	 * noise the budget was not charged for. */
	if (r->round > crn_model_rounds(s->model)) {
		snprintf(why, whylen,
		    "model round %u is past the %u the signed model takes",
		    r->round, crn_model_rounds(s->model));
		return CAIRN_EPERM;
	}
	if (r->nodes < d->cfg->node.min_participants ||
	    (s->max_nodes > 0 && r->nodes > s->max_nodes)) {
		snprintf(why, whylen,
		    "%u nodes in model round %u, policy needs %u to %u",
		    r->nodes, r->round, d->cfg->node.min_participants,
		    s->max_nodes);
		return CAIRN_EPERM;
	}
	return CAIRN_OK;
}

/* Compute round r over the node's data into s->vec. */
static cairn_err
nd_model_compute(
    nd *d, nd_sess *s, const crn_model_round *r, char *why, size_t whylen)
{
	nd_scan h;
	crn_job pj;
	cairn_err rv;

	memset(&pj, 0, sizeof(pj));
	pj.not_after = s->not_after;
	if ((rv = nd_scan_open(d, s->cds, &pj, &h)) != CAIRN_OK)
		snprintf(why, whylen, "out of memory");
	else
		rv = crn_node_model_run(&h.src, s->model, r->params, r->nparams,
		    nd_model_guard(d, s), &s->vec, &s->vlen, why, whylen);
	nd_scan_close(&h);
	if (rv == CAIRN_OK)
		rv = nd_model_noise(
		    s, r->round, r->params, r->nparams, s->vec, why, whylen);
	return rv;
}

/* Round s->pass of a fit, continuing round 1's session: no key
 * agreement, a fresh self-mask, pairwise masks from round 1's secrets
 * (docs/DESIGN.md "Later rounds"). */
static cairn_err
nd_model_next(nd *d, nd_sess *s)
{
	crn_sa_actions acts;
	bool ended;
	cairn_err rv;

	if (s->sa == NULL || !crn_sa_node_done(s->sa))
		return CAIRN_ESTATE; /* round 1 did not finish here */
	crn_sa_actions_init(&acts);
	nd_maybe_die(d, s->pass, 0);
	s->between = false;
	s->deadline = crn_rt_now_ms() + ND_IDLE_MS;
	crn_log_debug(
	    "job %s: model round %u continues the session, %zu-byte vector",
	    s->job, s->pass, s->vlen);
	rv = crn_sa_node_next(s->sa, s->sid, s->pass, &acts);
	/* After next, which forgets the last round's input. */
	if (rv == CAIRN_OK)
		crn_sa_node_set_input(s->sa, s->vec);
	/* An abort (too few neighbours left) ends the job in nd_apply,
	 * logged and audited there. */
	ended = nd_apply(d, s, &acts);
	crn_sa_actions_fini(&acts);
	return ended ? CAIRN_OK : rv;
}

/* MSG_PASS_START of a model job: the next round at the coordinator's
 * parameters, or the end of the fit.  Returns false when the message is
 * not for a model session here. */
static bool
nd_model_round(nd *d, const crn_envelope *env)
{
	crn_model_round r;
	bool bound = false;
	nd_sess *s = nd_model_end_sess(d, env);
	char why[512] = "";
	cairn_err rv;

	if (s != NULL) {
		crn_log_info(
		    "job %s researcher %s dataset %s: fit over after %u rounds",
		    s->job, s->researcher, s->dataset, s->pass);
		nd_sess_close(d, s);
		return true;
	}
	/* Not a fit's round unless it decodes as one for a fit here. */
	if (crn_model_round_decode(env->payload, env->payload_len, &r) !=
	    CAIRN_OK)
		return false;
	if ((s = nd_model_round_sess(d, env, &r, &bound)) == NULL) {
		crn_model_round_fini(&r);
		return false;
	}
	if (!bound) {
		/* Another node may have been sent other parameters: this
		 * node answers only on the session they name. */
		snprintf(why, sizeof(why),
		    "model round %u came on a session that is not its parameters'",
		    r.round);
		rv = CAIRN_EPROTO;
		goto refuse;
	}
	if ((rv = nd_model_round_ok(d, s, &r, why, sizeof(why))) != CAIRN_OK ||
	    (rv = nd_model_compute(d, s, &r, why, sizeof(why))) != CAIRN_OK)
		goto refuse;
	memcpy(s->sid, env->session_id, CAIRN_SESSION_ID_LEN);
	s->pass = r.round;
	if ((rv = nd_model_next(d, s)) == CAIRN_OK)
		goto out;
	snprintf(why, sizeof(why), "cannot start: %s", cairn_strerror(rv));
refuse:
	nd_refuse(d, env->session_id, s->job_id, s->job, s->researcher,
	    s->dataset, rv, why,
	    rv == CAIRN_EDATA ? "data error; see the node's log" : NULL);
	nd_sess_close(d, s);
out:
	crn_model_round_fini(&r);
	return true;
}

/* The cells pass 2 sums (or an empty list: the job ends before it). */
static void
nd_on_pass_start(nd *d, const crn_envelope *env)
{
	crn_release rel;
	nd_sess *s;
	char why[256] = "";
	uint64_t withheld = 0;
	uint32_t mc;
	cairn_err rv;

	if (nd_model_round(d, env))
		return;
	if ((rv = crn_release_decode(&rel, env->payload, env->payload_len)) !=
	    CAIRN_OK) {
		crn_log_warn(
		    "malformed cells to release: %s", cairn_strerror(rv));
		return;
	}
	if ((s = nd_sess_of_job(d, rel.job_id)) == NULL) {
		crn_log_debug("cells to release for no job of ours");
		goto out;
	}
	/* Pass 1's session ended here (forgotten by the replay guard): the
	 * job now answers on this one, checked below, and the replay guard
	 * forgets it when the job ends. */
	if (s->sa == NULL)
		memcpy(s->sid, env->session_id, CAIRN_SESSION_ID_LEN);
	else if (crn_replay_forget(d->party.replay, env->session_id) !=
	    CAIRN_OK)
		crn_log_debug("job %s: replay guard keeps a session", s->job);
	if (rel.ngroups == 0) {
		crn_log_info(
		    "job %s researcher %s dataset %s: nothing to release; local result wiped",
		    s->job, s->researcher, s->dataset);
		nd_audit_outcome(d, s->job_id, "ended", "nothing to release");
		nd_sess_close(d, s);
		goto out;
	}
	if ((rv = nd_cells_ok(d, s, env, &rel, why, sizeof(why))) != CAIRN_OK)
		goto refuse;
	mc = rel.min_cell > s->min_cell ? rel.min_cell : s->min_cell;
	s->pass = CRN_RELEASE_PASS_FIGURES;
	if ((rv = crn_release_figures_vector(s->plan, &rel, s->full, mc,
	         &s->vec, &s->vlen, &withheld)) != CAIRN_OK) {
		snprintf(why, sizeof(why), "cannot build the figures: %s",
		    cairn_strerror(rv));
		goto refuse;
	}
	if ((rv = nd_dp_noise(s, s->plan->ring_bits,
	         crn_release_figures_dim(s->plan, &rel), rel.threshold,
	         false)) != CAIRN_OK) {
		snprintf(why, sizeof(why), "cannot add the DP noise: %s",
		    cairn_strerror(rv));
		goto refuse;
	}
	crn_log_info(
	    "job %s: %llu listed groups, %llu cells withheld below min_cell %u",
	    s->job, (unsigned long long)rel.ngroups,
	    (unsigned long long)withheld, mc);
	if ((rv = nd_pass_begin(d, s, s->plan->ring_bits,
	         crn_release_figures_dim(s->plan, &rel))) == CAIRN_OK)
		goto out;
	snprintf(why, sizeof(why), "cannot start: %s", cairn_strerror(rv));
refuse:
	nd_refuse(d, env->session_id, s->job_id, s->job, s->researcher,
	    s->dataset, rv, why, NULL);
	nd_sess_close(d, s);
out:
	crn_release_fini(&rel);
}

static void
nd_on_round(nd *d, const crn_envelope *env)
{
	nd_sess *s = NULL;
	crn_sa_actions acts;
	cairn_err rv;

	for (uint32_t i = 0; i < ND_MAX_SESS; i++) {
		if (d->sess[i].used && d->sess[i].sa != NULL &&
		    memcmp(d->sess[i].sid, env->session_id,
		        CAIRN_SESSION_ID_LEN) == 0) {
			s = &d->sess[i];
			break;
		}
	}
	if (s == NULL) {
		crn_log_debug(
		    "message (type %u) for no session of ours", env->type);
		return;
	}
	switch (env->type) {
	case CRN_SA_MSG_ROSTER:
		nd_maybe_die(d, s->pass, CRN_SA_R_REVEAL);
		break;
	case CRN_SA_MSG_GRAPH_SEEDS:
		nd_maybe_die(d, s->pass, CRN_SA_R_SHARE);
		break;
	case CRN_SA_MSG_SHARES_FWD:
		nd_maybe_die(d, s->pass, CRN_SA_R_MASKED);
		break;
	case CRN_SA_MSG_CONSISTENCY_REQ:
		nd_maybe_die(d, s->pass, CRN_SA_R_CONSISTENCY);
		break;
	case CRN_SA_MSG_UNMASK_REQ:
		nd_maybe_die(d, s->pass, CRN_SA_R_UNMASK);
		break;
	default: break;
	}
	s->deadline = crn_rt_now_ms() + ND_IDLE_MS;
	crn_sa_actions_init(&acts);
	rv = crn_sa_node_recv(
	    s->sa, env->type, env->payload, env->payload_len, &acts);
	if (rv != CAIRN_OK && acts.count == 0)
		crn_log_warn("job %s: message (type %u) ignored: %s", s->job,
		    env->type, cairn_strerror(rv));
	(void)nd_apply(d, s, &acts);
	crn_sa_actions_fini(&acts);
}

/* The coordinator refused something we sent: say what it said. */
static void
nd_on_error(const crn_envelope *env, const char *coord)
{
	crn_rt_error e;

	memset(&e, 0, sizeof(e));
	if (crn_rt_error_decode(&e, env->payload, env->payload_len) !=
	    CAIRN_OK) {
		crn_log_warn(
		    "coordinator '%s' refused a message of ours (its error message is malformed)",
		    coord);
		return;
	}
	crn_log_warn("coordinator '%s' refused a message of ours: %s (%s)",
	    coord, e.message != NULL ? e.message : "",
	    cairn_strerror((cairn_err)e.code));
	crn_rt_error_fini(&e);
}

/* `cairn budget`: this node's ledger for the researcher the coordinator
 * names, one entry per dataset the node serves (a researcher its policy
 * does not list gets an empty report). */
static void
nd_on_budget_req(nd *d, const crn_envelope *env)
{
	const crn_cfg_node *n = &d->cfg->node;
	crn_rt_budget r;
	char *who = NULL;
	uint8_t *buf = NULL;
	size_t len = 0, k = 0;

	memset(&r, 0, sizeof(r));
	if (crn_rt_budget_req_decode(&who, env->payload, env->payload_len) !=
	    CAIRN_OK)
		return;
	r.researcher = who;
	r.rho_limit = crn_dp_rho_of(n->budget_epsilon, n->budget_delta);
	r.delta = n->budget_delta;
	r.require_dp = n->require_dp;
	if (crn_admit_researcher(n, who) && n->ndatasets > 0) {
		r.rho_spent = crn_zalloc(n->ndatasets * sizeof(double));
		r.jobs = crn_zalloc(n->ndatasets * sizeof(uint64_t));
		r.datasets = crn_zalloc(n->ndatasets * sizeof(char *));
		if (r.rho_spent == NULL || r.jobs == NULL || r.datasets == NULL)
			goto out;
		for (; k < n->ndatasets; k++) {
			if ((r.datasets[k] = crn_strdup(n->datasets[k].name)) ==
			        NULL ||
			    crn_budget_spent(d->budget, who,
			        n->datasets[k].name, &r.rho_spent[k],
			        &r.jobs[k]) != CAIRN_OK)
				goto out;
		}
	}
	r.n = k;
	if (crn_rt_budget_encode(&r, &buf, &len) == CAIRN_OK)
		(void)nd_send(
		    d, CRN_RT_MSG_BUDGET, NULL, 0, buf, len, ND_SEND_MS);
	crn_free(buf, len);
out:
	/* Free what was allocated, whatever k reached. */
	for (size_t i = 0; r.datasets != NULL && i < n->ndatasets; i++)
		crn_strfree(r.datasets[i]);
	crn_free(r.datasets, n->ndatasets * sizeof(char *));
	crn_free(r.rho_spent, n->ndatasets * sizeof(double));
	crn_free(r.jobs, n->ndatasets * sizeof(uint64_t));
	crn_strfree(who);
}

static void
nd_on_message(nd *d, const crn_tr_event *ev)
{
	crn_envelope env;
	crn_cert_info who;

	if (crn_rt_unwrap(&d->party, ev, CRN_ROLE_COORDINATOR, &env, &who) !=
	    CAIRN_OK)
		return;
	/* Any coordinator certificate of the federation, unless the
	 * operator named the one we serve. */
	if (d->cfg->node.coordinator_name != NULL &&
	    strcmp(who.name, d->cfg->node.coordinator_name) != 0) {
		crn_log_warn(
		    "refused a message from coordinator '%s': coordinator_name is '%s'",
		    who.name, d->cfg->node.coordinator_name);
		crn_envelope_fini(&env);
		return;
	}
	switch (env.type) {
	case CRN_RT_MSG_HELLO_ACK:
		if (!d->acked)
			crn_log_info("connected to coordinator '%s'", who.name);
		else if (d->silent)
			crn_log_info(
			    "coordinator '%s' answers again after %lld ms",
			    who.name,
			    (long long)(crn_rt_now_ms() - d->last_ack));
		snprintf(d->coord, sizeof(d->coord), "%s", who.name);
		d->acked = true;
		d->silent = false;
		d->last_ack = crn_rt_now_ms();
		break;
	case CRN_RT_MSG_JOB_OFFER: nd_on_offer(d, &env); break;
	case CRN_RT_MSG_PASS_START: nd_on_pass_start(d, &env); break;
	case CRN_RT_MSG_BUDGET_REQ: nd_on_budget_req(d, &env); break;
	case CRN_RT_MSG_ERROR: nd_on_error(&env, who.name); break;
	default:
		if (env.type >= CRN_SA_MSG_FIRST && env.type <= CRN_SA_MSG_LAST)
			nd_on_round(d, &env);
		else
			crn_log_warn("unexpected message type %u", env.type);
		break;
	}
	crn_envelope_fini(&env);
}

/* The connection to the coordinator came up or went away. */
static void
nd_on_link(nd *d, const crn_tr_event *ev)
{
	if (ev->kind == CRN_TR_EV_UP) {
		/* Say hello at once: the coordinator learns of us now. */
		d->next_hello = 0;
		return;
	}
	crn_log_warn(
	    "lost the connection to coordinator '%s' (%s), reconnecting",
	    ev->peer.name, ev->why);
	d->acked = false;
	/* The replay counters were the old connection's; the next one starts
	 * afresh (a restarted coordinator may have a clock that went back). */
	if (crn_replay_forget_conn(d->party.replay, ev->conn) != CAIRN_OK)
		crn_log_debug("replay guard keeps the old connection");
}

static void
nd_deadlines(nd *d)
{
	int64_t now = crn_rt_now_ms();
	crn_sa_actions acts;

	crn_sa_actions_init(&acts);
	for (uint32_t i = 0; i < ND_MAX_SESS; i++) {
		nd_sess *s = &d->sess[i];

		if (!s->used || now < s->deadline)
			continue;
		if (s->sa == NULL) {
			crn_log_info(
			    "job %s: no second pass before the job expired; local result wiped",
			    s->job);
			nd_job_end(d, s, CRN_OPS_ABANDONED);
			nd_audit_outcome(d, s->job_id, "expired",
			    "no second pass before the job expired");
			nd_sess_close(d, s);
			continue;
		}
		/* The machine answers CAIRN_ETIMEDOUT together with the
		 * abort it wants sent: apply its actions whatever it
		 * returns, so the coordinator hears the abort. */
		if (crn_sa_node_deadline(s->sa, &acts) != CAIRN_OK)
			crn_log_debug("job %s: round deadline passed", s->job);
		if (!nd_apply(d, s, &acts)) {
			crn_log_info(
			    "job %s: abandoned (coordinator silent)", s->job);
			nd_job_end(d, s, CRN_OPS_ABANDONED);
			nd_audit_outcome(
			    d, s->job_id, "abandoned", "coordinator silent");
			if (s->used)
				nd_sess_close(d, s);
		}
	}
	crn_sa_actions_fini(&acts);
}

/* The roster check of crn_sa_node: every other participant must hold a
 * node certificate of our federation (chain, CRL, role), and we learn the
 * identity key it certifies. */
static cairn_err
nd_verify_peer(void *arg, const uint8_t *cert, size_t cert_len,
    uint8_t pk[CAIRN_SIGN_PK_LEN])
{
	nd *d = arg;
	crn_cert_info info;
	cairn_err rv;

	rv = crn_rt_cert_check(&d->party, cert, cert_len, CRN_ROLE_NODE, &info);
	if (rv != CAIRN_OK) {
		crn_log_warn(
		    "roster: a participant's certificate is refused: %s",
		    cairn_strerror(rv));
		return rv;
	}
	memcpy(pk, info.pk, CAIRN_SIGN_PK_LEN);
	return CAIRN_OK;
}

/* The metrics listener (nodes/ops), when metrics_listen is set. */
static cairn_err
nd_ops_open(nd *d, char *err, size_t errlen)
{
	cairn_err rv;

	if ((rv = crn_ops_open(&d->ops, CRN_OPS_NODE, d->cfg->node.name,
	         d->cfg->node.metrics_listen, err, errlen)) != CAIRN_OK)
		return rv;
	d->ost = crn_ops_state_of(d->ops);
	d->ost->cert_not_after = d->party.me.not_after;
	if (d->cfg->node.metrics_listen != NULL)
		crn_log_info("metrics on http://%s/metrics",
		    d->cfg->node.metrics_listen);
	return CAIRN_OK;
}

/* The metrics listener, then the node's records in state_dir: the job
 * ledger, the privacy budget each researcher spent, the audit log and the
 * approval queue (each logs why it cannot open). */
static cairn_err
nd_state_open(nd *d)
{
	char err[1024];
	cairn_err rv;

	if ((rv = nd_ops_open(d, err, sizeof(err))) != CAIRN_OK) {
		crn_log_err("%s", err);
		return rv;
	}
	if ((rv = crn_job_ledger_open(&d->ledger, d->cfg->node.state_dir, err,
	         sizeof(err))) != CAIRN_OK) {
		crn_log_err("job ledger: %s", err);
		return rv;
	}
	if ((rv = crn_budget_open(&d->budget, d->cfg->node.state_dir, err,
	         sizeof(err))) != CAIRN_OK) {
		crn_log_err("budget ledger: %s", err);
		return rv;
	}
	if ((rv = crn_audit_open(&d->audit, d->cfg->node.audit_log, d->party.id,
	         crn_rt_wall(), err, sizeof(err))) != CAIRN_OK ||
	    (rv = crn_approvals_open(&d->appr, d->cfg->node.state_dir, err,
	         sizeof(err))) != CAIRN_OK)
		crn_log_err("%s", err);
	return rv;
}

int
crn_node_main(const char *path)
{
	nd d;
	char err[1024], tag[128];
	crn_tr_auth auth;
	crn_tr_opts opts;
	crn_state_lock lock;
	int status = 1;
	cairn_err rv;

	memset(&d, 0, sizeof(d));
	memset(&lock, 0, sizeof(lock));
	crn_rt_log_daemon("cairn-node", CRN_LOG_TEXT);
	crn_rt_signals();
	if ((rv = crn_config_load(
	         &d.cfg, path, CRN_CFG_NODE, err, sizeof(err))) != CAIRN_OK) {
		crn_log_err("%s", rv == CAIRN_ENOENT ? path : err);
		goto out;
	}
	snprintf(tag, sizeof(tag), "cairn-node[%s]", d.cfg->node.name);
	crn_rt_log_daemon(
	    tag, d.cfg->node.log_json ? CRN_LOG_JSON : CRN_LOG_TEXT);
	/* First of all: a second daemon on this state_dir stops here. */
	if (crn_state_lock_open(
	        &lock, d.cfg->node.state_dir, err, sizeof(err)) != CAIRN_OK) {
		crn_log_err("%s", err);
		goto out;
	}
	if (crn_rt_harden() != CAIRN_OK)
		goto out;
	if ((rv = crn_rt_party_open(&d.party, d.cfg->node.key, d.cfg->node.cert,
	         d.cfg->node.ca_cert, d.cfg->node.crl, CRN_ROLE_NODE, err,
	         sizeof(err))) != CAIRN_OK) {
		crn_log_err("%s", err);
		goto out;
	}
	if (crn_rt_party_crl_state(&d.party, d.cfg->node.state_dir, true, err,
	        sizeof(err)) != CAIRN_OK) {
		crn_log_err("%s", err);
		goto out;
	}
	if (strcmp(d.party.me.name, d.cfg->node.name) != 0)
		crn_log_warn("certificate name '%s' differs from name = %s",
		    d.party.me.name, d.cfg->node.name);
	if (d.cfg->node.schema != NULL &&
	    (rv = crn_schema_load(d.cfg->node.schema, &d.schema, err,
	         sizeof(err))) != CAIRN_OK) {
		crn_log_err("%s", err);
		goto out;
	}
	if (d.schema == NULL)
		crn_log_warn("no schema = in [node]: SQL jobs will be refused");
	if (nd_state_open(&d) != CAIRN_OK)
		goto out;
	d.peers.party = &d.party;
	d.peers.roles = CRN_ROLE_COORDINATOR;
	d.peers.name = d.cfg->node.coordinator_name;
	crn_rt_tr_auth(&d.peers, &auth);
	memset(&opts, 0, sizeof(opts));
	/* No message is larger than an envelope may be. */
	opts.max_msg = CRN_ENVELOPE_MAX;
	opts.reconnect_min_ms = (int)d.cfg->node.reconnect_min_ms;
	opts.reconnect_max_ms = (int)d.cfg->node.reconnect_max_ms;
	if ((rv = crn_tr_dial(&d.tr, d.cfg->node.coordinator, &auth, &opts)) !=
	    CAIRN_OK) {
		crn_log_err("cannot dial %s: %s", d.cfg->node.coordinator,
		    cairn_strerror(rv));
		goto out;
	}
	crn_log_info("node '%s' dialling %s%s", d.party.me.name,
	    d.cfg->node.coordinator,
	    crn_hooks.note != NULL ? crn_hooks.note : "");
	while (!crn_rt_stop) {
		crn_tr_event ev;
		int64_t wait;

		nd_hello(&d);
		wait = d.next_hello - crn_rt_now_ms();
		if (wait > 500)
			wait = 500;
		if (wait < 0)
			wait = 0;
		rv = crn_tr_next(d.tr, &ev, (int)wait);
		if (rv == CAIRN_OK) {
			if (ev.kind == CRN_TR_EV_MSG) {
				d.ost->bytes_in += ev.len;
				d.ost->msgs_in++;
				nd_on_message(&d, &ev);
			} else {
				nd_on_link(&d, &ev);
			}
			crn_tr_event_fini(&ev);
		} else if (rv != CAIRN_ETIMEDOUT) {
			crn_log_debug("receive: %s", cairn_strerror(rv));
		}
		nd_deadlines(&d);
		d.ost->nodes_connected = d.acked && !d.silent;
		crn_ops_publish(d.ops, crn_rt_now_ms());
		if (d.acked)
			nd_poll_approvals(&d);
	}
	crn_log_info("stopping");
	status = 0;
out:
	for (uint32_t i = 0; i < ND_MAX_SESS; i++)
		if (d.sess[i].used)
			nd_sess_end(&d.sess[i]);
	crn_tr_close(d.tr);
	crn_ops_close(d.ops);
	crn_rt_party_close(&d.party);
	crn_job_ledger_close(d.ledger);
	crn_audit_close(d.audit);
	crn_approvals_close(d.appr);
	crn_budget_close(d.budget);
	crn_schema_free(d.schema);
	crn_config_free(d.cfg);
	crn_state_lock_close(&lock);
	return status;
}
