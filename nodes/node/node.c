/*
 * node.c — the node daemon.  See node.h.
 *
 * One thread: an event loop over the dialer connection to the
 * coordinator.  Each job offer becomes one crn_sa_node session, addressed
 * by the envelope's session id; several may run at once.  The node never
 * trusts the coordinator about the job: it checks the researcher's
 * certificate and signature and its own policy itself, and the session
 * machine checks the roster (distinct certified identities, threshold).
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "codec_runtime.h"
#include "config.h"
#include "crn.h"
#include "job.h"
#include "node/job_ledger.h"
#include "node/node.h"
#include "runtime/rt.h"
#include "schema.h"
#include "secagg.h"
#include "transport.h"

#define ND_MAX_SESS 16
/* Clock skew tolerated on a job's issue time, seconds. */
#define ND_JOB_SKEW 300
/* A session that hears nothing from the coordinator for this long is
 * abandoned (the coordinator's own deadlines are shorter). */
#define ND_IDLE_MS (15 * 60 * 1000)
#define ND_SEND_MS 5000

typedef struct nd_sess {
	bool used;
	uint8_t sid[CAIRN_SESSION_ID_LEN];
	crn_sa_node *sa;
	void *vec;
	size_t vlen;
	char job[9]; /* first bytes of the job id, hex */
	char researcher[CRN_CERT_NAME_MAX + 1];
	char dataset[CRN_NAME_MAX + 1];
	int64_t deadline;
} nd_sess;

typedef struct nd {
	crn_config *cfg;
	crn_rt_party party;
	crn_rt_peers peers; /* a coordinator (the pinned one, if named) */
	crn_tr *tr;
	nd_sess sess[ND_MAX_SESS];
	crn_schema *schema;     /* the federation schema; NULL if none */
	crn_job_ledger *ledger; /* jobs this node ran, ever */
	int die_at;             /* test hook: round index, or -1 */
	int64_t next_hello;
	bool acked;
} nd;

static const char *const nd_rounds[5] = {
    "advertise",
    "share",
    "masked-input",
    "consistency",
    "unmask",
};

/* The test hook (node.h): exit as if killed when about to answer. */
static void
nd_maybe_die(const nd *d, int round)
{
	if (d->die_at == round) {
		fprintf(stderr, "cairn-node: test hook: dying at %s\n",
		    nd_rounds[round]);
		_exit(137);
	}
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
	if (rv != CAIRN_OK)
		crn_free(env, elen);
	return rv;
}

static void
nd_hello(nd *d)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int64_t now = crn_rt_now_ms();

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

static void
nd_sess_end(nd_sess *s)
{
	crn_sa_node_free(s->sa);
	s->sa = NULL;
	if (s->vec != NULL)
		crn_freezero(s->vec, s->vlen);
	memset(s, 0, sizeof(*s));
}

/* A session is over: release it and let the replay guard forget its id
 * (the job ledger keeps the job from running again). */
static void
nd_sess_close(nd *d, nd_sess *s)
{
	if (s->used && crn_replay_forget(d->party.replay, s->sid) != CAIRN_OK)
		crn_log_debug("job %s: replay guard keeps the session", s->job);
	nd_sess_end(s);
}

/* Refuse a job: log why here, and send the coordinator (who passes it on
 * to the researcher) `remote`, or why when remote is NULL.  Reasons that
 * may hold values of the node's data stay in the log. */
static void
nd_refuse(nd *d, const uint8_t *sid, const char *job, const char *who,
    const char *dataset, cairn_err code, const char *why, const char *remote)
{
	crn_rt_error e = {.code = (int32_t)code,
	    .message = (char *)(uintptr_t)(remote != NULL ? remote : why)};
	uint8_t *buf = NULL;
	size_t len = 0;

	crn_log_info("job %s researcher %s dataset %s: refused: %s", job,
	    who[0] ? who : "?", dataset[0] ? dataset : "?", why);
	if (crn_rt_error_encode(&e, &buf, &len) != CAIRN_OK)
		return;
	(void)nd_send(d, CRN_RT_MSG_ERROR, sid, 0, buf, len, ND_SEND_MS);
	crn_free(buf, len);
}

/* Send what the machine produced; returns true when the session ended. */
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
		} else if (a->kind == CRN_SA_ACT_DONE) {
			crn_log_info("job %s researcher %s dataset %s: "
			             "contributed (index %u)",
			    s->job, s->researcher, s->dataset,
			    crn_sa_node_index(s->sa));
			ended = true;
		} else if (a->kind == CRN_SA_ACT_ABORT) {
			crn_log_info("job %s researcher %s dataset %s: "
			             "aborted: %s",
			    s->job, s->researcher, s->dataset, a->abort.reason);
			ended = true;
		}
	}
	crn_sa_actions_clear(acts);
	if (ended)
		nd_sess_close(d, s);
	return ended;
}

static const crn_cfg_dataset *
nd_dataset(const nd *d, const char *name)
{
	return crn_config_dataset(d->cfg, name);
}

static bool
nd_in(char *const *list, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++) {
		if (strcmp(list[i], name) == 0)
			return true;
	}
	return false;
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

static void
nd_on_offer(nd *d, const crn_envelope *env)
{
	crn_rt_offer offer;
	crn_signed_job sj;
	crn_job job;
	crn_cert_info rinfo;
	crn_sa_node_cfg scfg;
	crn_sa_actions acts;
	crn_node_src src;
	const crn_cfg_dataset *ds;
	nd_sess *s = NULL;
	char **ms = NULL, **ml = NULL;
	char jobhex[9] = "?", who[CRN_CERT_NAME_MAX + 1] = "";
	char dsname[CRN_NAME_MAX + 1] = "";
	char why[512] = "";
	char remote[256] = "";
	char *pgconn = NULL;
	size_t pgconnlen = 0;
	cairn_err rv;

	memset(&offer, 0, sizeof(offer));
	memset(&sj, 0, sizeof(sj));
	memset(&job, 0, sizeof(job));
	memset(&scfg, 0, sizeof(scfg));
	crn_sa_actions_init(&acts);
	if ((rv = crn_rt_offer_decode(
	         &offer, env->payload, env->payload_len)) != CAIRN_OK ||
	    (rv = crn_signed_job_decode(
	         &sj, offer.signed_job, offer.signed_job_len)) != CAIRN_OK) {
		snprintf(why, sizeof(why), "malformed offer");
		goto refuse;
	}
	/* Our own check of the researcher: chain, CRL, role. */
	if ((rv = crn_rt_cert_check(&d->party, sj.cert, sj.cert_len,
	         CRN_ROLE_RESEARCHER, &rinfo)) != CAIRN_OK) {
		crn_cert_info peek;

		if (crn_cert_inspect(sj.cert, sj.cert_len, &peek) == CAIRN_OK)
			snprintf(who, sizeof(who), "%s", peek.name);
		snprintf(why, sizeof(why), "researcher certificate: %s",
		    cairn_strerror(rv));
		goto refuse;
	}
	snprintf(who, sizeof(who), "%s", rinfo.name);
	if ((rv = crn_job_verify(&sj, rinfo.pk, &job)) != CAIRN_OK) {
		snprintf(why, sizeof(why), "job signature does not verify");
		goto refuse;
	}
	crn_rt_hex(job.job_id, 4, jobhex);
	snprintf(dsname, sizeof(dsname), "%s", job.dataset);
	if ((rv = crn_job_check_time(&job, crn_rt_wall(), ND_JOB_SKEW)) !=
	    CAIRN_OK) {
		snprintf(why, sizeof(why), "job %s",
		    rv == CAIRN_EEXPIRED ? "expired" : "not yet valid");
		goto refuse;
	}
	/* A long validity window gives a coordinator a long time to replay
	 * the job; the ledger below stops repeats here, the cap bounds the
	 * window for nodes that never saw the first run. */
	if (job.not_after < job.issued_at ||
	    job.not_after - job.issued_at >
	        d->cfg->node.max_job_lifetime_ms / 1000) {
		snprintf(why, sizeof(why),
		    "job valid for %llu s, policy allows "
		    "%u s (max_job_lifetime_ms)",
		    (unsigned long long)(job.not_after - job.issued_at),
		    d->cfg->node.max_job_lifetime_ms / 1000);
		rv = CAIRN_EPERM;
		goto refuse;
	}
	rv = CAIRN_EPERM;
	if (!nd_in(d->cfg->node.researchers, d->cfg->node.nresearchers,
	        rinfo.name)) {
		snprintf(why, sizeof(why), "researcher '%s' not in policy",
		    rinfo.name);
		goto refuse;
	}
	if ((ds = nd_dataset(d, job.dataset)) == NULL) {
		snprintf(why, sizeof(why), "no dataset '%s' here", job.dataset);
		goto refuse;
	}
	if (offer.nodes < d->cfg->node.min_participants) {
		snprintf(why, sizeof(why), "%u nodes offered, policy needs %u",
		    offer.nodes, d->cfg->node.min_participants);
		goto refuse;
	}
	for (uint32_t i = 0; i < ND_MAX_SESS; i++) {
		if (!d->sess[i].used) {
			if (s == NULL)
				s = &d->sess[i];
			continue;
		}
		if (memcmp(d->sess[i].sid, env->session_id,
		        CAIRN_SESSION_ID_LEN) == 0) {
			s = NULL;
			snprintf(why, sizeof(why), "session offered twice");
			rv = CAIRN_EPROTO;
			goto refuse;
		}
	}
	if (s == NULL) {
		snprintf(why, sizeof(why), "%d sessions running", ND_MAX_SESS);
		rv = CAIRN_ETOOBIG;
		goto refuse;
	}
	memset(s, 0, sizeof(*s));
	/* Each signed job runs here once, ever: a coordinator that offers
	 * it again (with other nodes, to difference the results) is
	 * refused.  The id is on disk before anything is computed. */
	if ((rv = crn_job_ledger_add(d->ledger, job.job_id)) != CAIRN_OK) {
		snprintf(why, sizeof(why),
		    rv == CAIRN_EREPLAY ? "job already "
		                          "ran here (each job runs once)"
		                        : "cannot record the job "
		                          "in the ledger: %s",
		    cairn_strerror(rv));
		goto refuse;
	}
	if ((rv = nd_src(ds, &src, &ms, &ml)) != CAIRN_OK) {
		snprintf(why, sizeof(why), "out of memory");
		goto refuse;
	}
	if (ds->kind == CRN_SRC_PG) {
		if ((rv = nd_pg_timeout(d, &job, ds->conninfo, &pgconn,
		         &pgconnlen)) != CAIRN_OK) {
			snprintf(why, sizeof(why), "out of memory");
			goto refuse;
		}
		if (pgconn != NULL)
			src.conninfo = pgconn;
	}
	if (job.kind == CRN_JOB_SUM_COLUMN) {
		if (!nd_in(ds->expose, ds->nexpose, job.column)) {
			snprintf(why, sizeof(why), "column '%s' not exposed",
			    job.column);
			rv = CAIRN_EPERM;
			goto refuse;
		}
		if (job.dim != CRN_RT_SUM_DIM) {
			snprintf(why, sizeof(why), "bad vector length");
			rv = CAIRN_EINVAL;
			goto refuse;
		}
		rv = crn_node_sum_column(&src, job.dataset, job.column,
		    job.ring_bits, &s->vec, &s->vlen, why, sizeof(why));
	} else if (job.kind == CRN_JOB_QUERY) {
		const crn_dataset *sds = d->schema == NULL
		    ? NULL
		    : crn_schema_dataset(d->schema, job.dataset);

		rv = crn_node_run_query(&src, sds, job.dataset, job.plan,
		    job.plan_len, ds->expose, ds->nexpose,
		    d->cfg->node.min_cell, job.ring_bits, job.dim, &s->vec,
		    &s->vlen, why, sizeof(why));
	} else {
		snprintf(why, sizeof(why), "unknown job kind");
		rv = CAIRN_ENOTSUP;
	}
	if (rv != CAIRN_OK) {
		if (why[0] == '\0')
			snprintf(why, sizeof(why), "%s", cairn_strerror(rv));
		/* Policy refusals name columns and numbers of the job; the
		 * executors' messages may quote a row's value, which must
		 * not leave the node: the remote parties get a code and a
		 * generic reason, the operator the details in the log. */
		if (rv != CAIRN_EPERM)
			snprintf(remote, sizeof(remote),
			    "%s in dataset %s; "
			    "see the node's log",
			    rv == CAIRN_EDATA ? "data error"
			                      : cairn_strerror(rv),
			    job.dataset);
		goto refuse;
	}
	nd_maybe_die(d, 0);
	crn_random_bytes(scfg.seed, sizeof(scfg.seed));
	memcpy(scfg.session_id, env->session_id, CAIRN_SESSION_ID_LEN);
	scfg.id = d->party.id;
	scfg.ring_bits = job.ring_bits;
	scfg.dim = job.dim;
	scfg.min_participants = d->cfg->node.min_participants;
	scfg.cert = d->party.cert_der;
	scfg.cert_len = d->party.cert_len;
	scfg.verify_peer = nd_verify_peer;
	scfg.verify_arg = d;
	rv = crn_sa_node_new(&s->sa, &scfg);
	cairn_memzero(scfg.seed, sizeof(scfg.seed));
	if (rv != CAIRN_OK) {
		snprintf(
		    why, sizeof(why), "cannot start: %s", cairn_strerror(rv));
		goto refuse;
	}
	s->used = true;
	memcpy(s->sid, env->session_id, CAIRN_SESSION_ID_LEN);
	snprintf(s->job, sizeof(s->job), "%s", jobhex);
	snprintf(s->researcher, sizeof(s->researcher), "%s", who);
	snprintf(s->dataset, sizeof(s->dataset), "%s", dsname);
	s->deadline = crn_rt_now_ms() + ND_IDLE_MS;
	crn_sa_node_set_input(s->sa, s->vec);
	crn_log_debug("job %s: accepted, %zu-byte vector", jobhex, s->vlen);
	if ((rv = crn_sa_node_start(s->sa, &acts)) != CAIRN_OK) {
		crn_log_warn(
		    "job %s: cannot start: %s", jobhex, cairn_strerror(rv));
		nd_sess_end(s);
		goto out;
	}
	(void)nd_apply(d, s, &acts);
	goto out;
refuse:
	if (s != NULL && !s->used)
		nd_sess_end(s);
	nd_refuse(d, env->session_id, jobhex, who, dsname, rv, why,
	    remote[0] != '\0' ? remote : NULL);
out:
	if (ms != NULL) {
		crn_free(ms, src.nmap * sizeof(char *));
		crn_free(ml, src.nmap * sizeof(char *));
	}
	if (pgconn != NULL)
		crn_freezero(pgconn, pgconnlen);
	crn_sa_actions_fini(&acts);
	crn_job_fini(&job);
	crn_signed_job_fini(&sj);
	crn_rt_offer_fini(&offer);
}

static void
nd_on_round(nd *d, const crn_envelope *env)
{
	nd_sess *s = NULL;
	crn_sa_actions acts;
	cairn_err rv;

	for (uint32_t i = 0; i < ND_MAX_SESS; i++) {
		if (d->sess[i].used &&
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
	case CRN_SA_MSG_ROSTER: nd_maybe_die(d, 1); break;
	case CRN_SA_MSG_SHARES_FWD: nd_maybe_die(d, 2); break;
	case CRN_SA_MSG_CONSISTENCY_REQ: nd_maybe_die(d, 3); break;
	case CRN_SA_MSG_UNMASK_REQ: nd_maybe_die(d, 4); break;
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
		crn_log_warn("refused a message from coordinator '%s': "
		             "coordinator_name is '%s'",
		    who.name, d->cfg->node.coordinator_name);
		crn_envelope_fini(&env);
		return;
	}
	switch (env.type) {
	case CRN_RT_MSG_HELLO_ACK:
		if (!d->acked)
			crn_log_info("connected to coordinator '%s'", who.name);
		d->acked = true;
		break;
	case CRN_RT_MSG_JOB_OFFER: nd_on_offer(d, &env); break;
	case CRN_RT_MSG_ERROR:
		crn_log_warn("coordinator reports an error");
		break;
	default:
		if (env.type >= CRN_SA_MSG_ADVERTISE &&
		    env.type <= CRN_SA_MSG_ABORT)
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
		/* The machine answers CAIRN_ETIMEDOUT together with the
		 * abort it wants sent: apply its actions whatever it
		 * returns, so the coordinator hears the abort. */
		if (crn_sa_node_deadline(s->sa, &acts) != CAIRN_OK)
			crn_log_debug("job %s: round deadline passed", s->job);
		if (!nd_apply(d, s, &acts)) {
			crn_log_info(
			    "job %s: abandoned (coordinator silent)", s->job);
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
		crn_log_warn("roster: a participant's certificate is refused: "
		             "%s",
		    cairn_strerror(rv));
		return rv;
	}
	memcpy(pk, info.pk, CAIRN_SIGN_PK_LEN);
	return CAIRN_OK;
}

static int
nd_die_at(void)
{
	const char *e = getenv("CAIRN_TEST_DIE_AT");

	if (e == NULL || *e == '\0')
		return -1;
	for (int i = 0; i < 5; i++) {
		if (strcmp(e, nd_rounds[i]) == 0)
			return i;
	}
	return -1;
}

int
crn_node_main(const char *path)
{
	nd d;
	char err[512], tag[128];
	crn_tr_auth auth;
	crn_tr_opts opts;
	int status = 1;
	cairn_err rv;

	memset(&d, 0, sizeof(d));
	d.die_at = nd_die_at();
	crn_rt_log_init("cairn-node");
	crn_rt_signals();
	if ((rv = crn_config_load(
	         &d.cfg, path, CRN_CFG_NODE, err, sizeof(err))) != CAIRN_OK) {
		crn_log_err("%s", rv == CAIRN_ENOENT ? path : err);
		goto out;
	}
	snprintf(tag, sizeof(tag), "cairn-node[%s]", d.cfg->node.name);
	crn_rt_log_init(tag);
	if (crn_rt_harden() != CAIRN_OK)
		goto out;
	if ((rv = crn_rt_party_open(&d.party, d.cfg->node.key, d.cfg->node.cert,
	         d.cfg->node.ca_cert, d.cfg->node.crl, CRN_ROLE_NODE, err,
	         sizeof(err))) != CAIRN_OK) {
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
	if ((rv = crn_job_ledger_open(&d.ledger, d.cfg->node.state_dir, err,
	         sizeof(err))) != CAIRN_OK) {
		crn_log_err("job ledger: %s", err);
		goto out;
	}
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
	    d.die_at >= 0 ? " (test hook CAIRN_TEST_DIE_AT set)" : "");
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
			if (ev.kind == CRN_TR_EV_MSG)
				nd_on_message(&d, &ev);
			else
				nd_on_link(&d, &ev);
			crn_tr_event_fini(&ev);
		} else if (rv != CAIRN_ETIMEDOUT) {
			crn_log_debug("receive: %s", cairn_strerror(rv));
		}
		nd_deadlines(&d);
	}
	crn_log_info("stopping");
	status = 0;
out:
	for (uint32_t i = 0; i < ND_MAX_SESS; i++)
		if (d.sess[i].used)
			nd_sess_end(&d.sess[i]);
	crn_tr_close(d.tr);
	crn_rt_party_close(&d.party);
	crn_job_ledger_close(d.ledger);
	crn_schema_free(d.schema);
	crn_config_free(d.cfg);
	return status;
}
