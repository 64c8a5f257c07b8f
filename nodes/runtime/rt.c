/*
 * rt.c — shared daemon code: parties, authenticated envelopes, signals,
 * clocks, logging.  See rt.h.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/crn.h"
#include "proto/codec_envelope.h"
#include "runtime/rt.h"

volatile sig_atomic_t crn_rt_stop;

static char rt_tag[96] = "cairn";
/* Daemons: timestamped lines in rt_format (crn_rt_log_daemon). */
static bool rt_daemon;
static crn_log_format rt_format = CRN_LOG_TEXT;

/* Refusals a peer can cause at will: one warning per address this often
 * (the rest at debug level). */
#define RT_COMPLAIN_MS 60000

static void rt_errf(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
rt_errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static void
rt_mtime(const char *path, struct timespec *ts)
{
	struct stat st;

	memset(ts, 0, sizeof(*ts));
	if (path != NULL && stat(path, &st) == 0)
		*ts = st.st_mtim;
}

static cairn_err
rt_store_load(crn_rt_party *p, crn_cert_store **out, char *err, size_t errlen)
{
	uint8_t *ca = NULL, *crl = NULL;
	size_t calen = 0, crllen = 0;
	cairn_err rv;

	*out = NULL;
	if ((rv = crn_file_read(p->ca_path, CRN_CERT_MAX_LEN, &ca, &calen)) !=
	    CAIRN_OK) {
		rt_errf(err, errlen, "CA certificate %s: %s", p->ca_path,
		    cairn_strerror(rv));
		goto out;
	}
	if ((rv = crn_file_read(
	         p->crl_path, CRN_CERT_MAX_LEN, &crl, &crllen)) != CAIRN_OK) {
		rt_errf(
		    err, errlen, "CRL %s: %s", p->crl_path, cairn_strerror(rv));
		goto out;
	}
	if ((rv = crn_cert_store_new(out, ca, calen, crl, crllen)) != CAIRN_OK)
		rt_errf(err, errlen, "CA %s / CRL %s: %s", p->ca_path,
		    p->crl_path, cairn_strerror(rv));
out:
	if (ca != NULL)
		crn_free(ca, calen + 1);
	if (crl != NULL)
		crn_free(crl, crllen + 1);
	return rv;
}

cairn_err
crn_rt_party_open(crn_rt_party *p, const char *key, const char *cert,
    const char *ca, const char *crl, crn_role role, char *err, size_t errlen)
{
	uint8_t *pem = NULL;
	size_t pemlen = 0;
	cairn_err rv;

	memset(p, 0, sizeof(*p));
	if (crl == NULL) {
		rt_errf(err, errlen,
		    "no CRL configured: every party checks revocation (set crl = ...)");
		rv = CAIRN_ECONFIG;
		goto out;
	}
	if ((rv = crn_identity_load(&p->id, key)) != CAIRN_OK) {
		char why[1024];

		/* Whose the file is or its mode, and the command to fix it. */
		if (rv == CAIRN_EPERM &&
		    crn_keyfile_check(key, why, sizeof(why)) == CAIRN_EPERM)
			rt_errf(err, errlen, "key %s", why);
		else
			rt_errf(
			    err, errlen, "key %s: %s", key, cairn_strerror(rv));
		goto out;
	}
	crn_identity_public(p->id, p->pk);
	if ((p->ca_path = crn_strdup(ca)) == NULL ||
	    (p->crl_path = crn_strdup(crl)) == NULL) {
		rv = CAIRN_ENOMEM;
		goto out;
	}
	rt_mtime(ca, &p->ca_mtime);
	rt_mtime(crl, &p->crl_mtime);
	p->checked_at = time(NULL);
	if ((rv = rt_store_load(p, &p->store, err, errlen)) != CAIRN_OK)
		goto out;
	crn_cert_store_crl_mark(p->store, &p->crl_mark);
	if ((rv = crn_file_read(cert, CRN_CERT_MAX_LEN, &pem, &pemlen)) !=
	    CAIRN_OK) {
		rt_errf(err, errlen, "certificate %s: %s", cert,
		    cairn_strerror(rv));
		goto out;
	}
	if ((rv = crn_cert_pem_to_der(
	         (const char *)pem, &p->cert_der, &p->cert_len)) != CAIRN_OK) {
		rt_errf(
		    err, errlen, "certificate %s: not a PEM certificate", cert);
		goto out;
	}
	if (role == CRN_ROLE_UNCHECKED)
		rv = crn_cert_inspect(p->cert_der, p->cert_len, &p->me);
	else
		rv = crn_cert_store_verify(p->store, p->cert_der, p->cert_len,
		    (unsigned)role, (int64_t)time(NULL), &p->me);
	if (rv != CAIRN_OK) {
		rt_errf(err, errlen, "certificate %s: %s (need role %s)", cert,
		    cairn_strerror(rv), crn_role_name(role));
		goto out;
	}
	if (!crn_ct_eq(p->me.pk, p->pk, CAIRN_SIGN_PK_LEN)) {
		rt_errf(
		    err, errlen, "certificate %s is not for key %s", cert, key);
		rv = CAIRN_EAUTH;
		goto out;
	}
	if ((rv = crn_replay_new(&p->replay)) != CAIRN_OK)
		goto out;
	crn_ratelog_init(&p->rl, RT_COMPLAIN_MS);
	/* Sequence numbers start at the wall clock in microseconds so that a
	 * restarted party never reuses one its peers have already seen. */
	{
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		p->seq = (uint64_t)ts.tv_sec * 1000000u +
		    (uint64_t)ts.tv_nsec / 1000u;
	}
	rv = CAIRN_OK;
out:
	if (pem != NULL)
		crn_free(pem, pemlen + 1);
	if (rv != CAIRN_OK)
		crn_rt_party_close(p);
	return rv;
}

void
crn_rt_party_close(crn_rt_party *p)
{
	if (p == NULL)
		return;
	crn_identity_free(p->id);
	crn_free(p->cert_der, p->cert_len);
	crn_cert_store_free(p->store);
	crn_strfree(p->ca_path);
	crn_strfree(p->crl_path);
	crn_strfree(p->mark_path);
	crn_replay_free(p->replay);
	memset(p, 0, sizeof(*p));
}

static void
rt_fmt_time(int64_t t, char buf[32])
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, 32, "@%lld", (long long)t);
}

/* "CRL FILE is number N of DATE, older than number M of DATE <where>". */
static void
rt_crl_older(char *err, size_t errlen, const crn_rt_party *p,
    const crn_crl_mark *cand, const crn_crl_mark *floor, const char *where)
{
	char t0[32], t1[32];

	rt_fmt_time(cand->this_update, t0);
	rt_fmt_time(floor->this_update, t1);
	rt_errf(err, errlen,
	    "CRL %s is number %llu of %s, older than number %llu of %s %s; an older CRL would un-revoke certificates: install the CA's current crl.pem",
	    p->crl_path, (unsigned long long)cand->number, t0,
	    (unsigned long long)floor->number, t1, where);
}

static bool
rt_mark_eq(const crn_crl_mark *a, const crn_crl_mark *b)
{
	return memcmp(a->ca, b->ca, sizeof(a->ca)) == 0 &&
	    a->number == b->number && a->this_update == b->this_update;
}

/* The store in use changed: remember its CRL, in state_dir too. */
static void
rt_crl_remember(crn_rt_party *p)
{
	crn_crl_mark m;

	crn_cert_store_crl_mark(p->store, &m);
	if (rt_mark_eq(&m, &p->crl_mark))
		return;
	p->crl_mark = m;
	if (p->mark_path != NULL &&
	    crn_crl_mark_save(p->mark_path, &m) != CAIRN_OK)
		crn_log_warn(
		    "cannot record CRL number %llu in %s: a restart would accept an older CRL",
		    (unsigned long long)m.number, p->mark_path);
}

cairn_err
crn_rt_party_crl_state(crn_rt_party *p, const char *state_dir, bool persist,
    char *err, size_t errlen)
{
	char path[4096];
	crn_crl_mark floor;
	int n = snprintf(path, sizeof(path), "%s/crl.mark", state_dir);
	cairn_err rv;

	if (n < 0 || (size_t)n >= sizeof(path)) {
		rt_errf(err, errlen, "state_dir %s: path too long", state_dir);
		return CAIRN_ETOOBIG;
	}
	rv = crn_crl_mark_load(path, &floor);
	if (rv == CAIRN_EDATA) {
		rt_errf(err, errlen,
		    "%s is damaged: restore it from a backup, or remove it to trust the CRL in %s as the newest",
		    path, p->crl_path);
		return rv;
	}
	if (rv != CAIRN_OK && rv != CAIRN_ENOENT) {
		rt_errf(err, errlen, "%s: %s", path, cairn_strerror(rv));
		return rv;
	}
	if (crn_crl_mark_check(&floor, &p->crl_mark) != CAIRN_OK) {
		char where[sizeof(path) + 16];

		snprintf(where, sizeof(where), "recorded in %s", path);
		rt_crl_older(err, errlen, p, &p->crl_mark, &floor, where);
		return CAIRN_EREPLAY;
	}
	if (!persist)
		return CAIRN_OK;
	if ((p->mark_path = crn_strdup(path)) == NULL)
		return CAIRN_ENOMEM;
	if (!rt_mark_eq(&floor, &p->crl_mark) &&
	    (rv = crn_crl_mark_save(path, &p->crl_mark)) != CAIRN_OK) {
		rt_errf(err, errlen, "cannot write %s: %s", path,
		    cairn_strerror(rv));
		return rv;
	}
	return CAIRN_OK;
}

void
crn_rt_party_refresh(crn_rt_party *p)
{
	struct timespec ca, crl;
	crn_cert_store *s = NULL;
	crn_crl_mark m;
	char err[1024];
	time_t now = time(NULL);

	if (p->store == NULL || now == p->checked_at)
		return;
	p->checked_at = now;
	rt_mtime(p->ca_path, &ca);
	rt_mtime(p->crl_path, &crl);
	if (memcmp(&ca, &p->ca_mtime, sizeof(ca)) == 0 &&
	    memcmp(&crl, &p->crl_mtime, sizeof(crl)) == 0)
		return;
	if (rt_store_load(p, &s, err, sizeof(err)) != CAIRN_OK) {
		crn_log_warn("keeping the previous CA/CRL: %s", err);
		return;
	}
	/* These files are read whole and dealt with, taken or refused: one
	 * log line per change, not one per second. */
	p->ca_mtime = ca;
	p->crl_mtime = crl;
	crn_cert_store_crl_mark(s, &m);
	if (crn_crl_mark_check(&p->crl_mark, &m) != CAIRN_OK) {
		rt_crl_older(
		    err, sizeof(err), p, &m, &p->crl_mark, "already accepted");
		crn_log_warn("keeping the previous CRL: %s", err);
		crn_cert_store_free(s);
		return;
	}
	crn_cert_store_free(p->store);
	p->store = s;
	rt_crl_remember(p);
	crn_log_info("reloaded CA %s and CRL %s (number %llu)", p->ca_path,
	    p->crl_path, (unsigned long long)m.number);
}

cairn_err
crn_rt_wrap(crn_rt_party *p, uint32_t type, const uint8_t *sid, uint32_t round,
    const uint8_t *payload, size_t len, uint8_t **out, size_t *outlen)
{
	crn_envelope env;
	cairn_err rv;

	*out = NULL;
	*outlen = 0;
	memset(&env, 0, sizeof(env));
	env.type = type;
	if (sid != NULL)
		memcpy(env.session_id, sid, CAIRN_SESSION_ID_LEN);
	env.round = round;
	env.seq = p->seq++;
	/* The envelope borrows payload and certificate; they are detached
	 * again before env could free them. */
	env.payload = (uint8_t *)(uintptr_t)payload;
	env.payload_len = len;
	env.sender_cert = p->cert_der;
	env.sender_cert_len = p->cert_len;
	if ((rv = crn_envelope_sign(&env, p->id)) == CAIRN_OK)
		rv = crn_envelope_encode(&env, out, outlen);
	cairn_memzero(&env, sizeof(env));
	return rv;
}

cairn_err
crn_rt_cert_check(crn_rt_party *p, const uint8_t *der, size_t len,
    unsigned role_mask, crn_cert_info *info)
{
	crn_rt_party_refresh(p);
	return crn_cert_store_verify(
	    p->store, der, len, role_mask, (int64_t)time(NULL), info);
}

static void rt_refuse(crn_rt_party *p, const crn_tr_event *ev, const char *kind,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/*
 * Log "refused a message from '<peer>': <why>": one warning per peer
 * address and kind of refusal a minute, saying how many were held back;
 * the rest at debug level (a peer decides how often this happens).
 */
static void
rt_refuse(crn_rt_party *p, const crn_tr_event *ev, const char *kind,
    const char *fmt, ...)
{
	char why[384], more[96] = "", key[CRN_TR_ADDR_LEN + 16];
	const char *colon = strrchr(ev->addr, ':');
	int alen =
	    colon != NULL ? (int)(colon - ev->addr) : (int)strlen(ev->addr);
	uint64_t held;
	bool loud;
	va_list ap;

	/* The address without its port: one peer, many connections. */
	snprintf(key, sizeof(key), "%.*s#%s", alen, ev->addr, kind);
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	loud = crn_ratelog_allow(&p->rl, key, crn_rt_now_ms(), &held);
	if (held > 0)
		snprintf(more, sizeof(more),
		    " (and %llu more like it from %.*s)",
		    (unsigned long long)held, alen, ev->addr);
	crn_log(loud ? CAIRN_LOG_WARN : CAIRN_LOG_DEBUG, __func__,
	    "refused a message from '%s': %s%s", ev->peer.name, why, more);
}

/* The sender's certificate: verified, or the refusal logged. */
static cairn_err
rt_unwrap_cert(crn_rt_party *p, const crn_tr_event *ev, const crn_envelope *env,
    unsigned role_mask, crn_cert_info *who)
{
	crn_cert_info claim;
	cairn_err rv;

	if (env->sender_cert == NULL || env->sender_cert_len == 0) {
		rt_refuse(p, ev, "nocert", "no certificate in the envelope");
		return CAIRN_EAUTH;
	}
	rv = crn_rt_cert_check(
	    p, env->sender_cert, env->sender_cert_len, role_mask, who);
	if (rv == CAIRN_OK)
		return CAIRN_OK;
	/* Name what the certificate claims (unverified, escaped by the
	 * certificate parser's name rules) to help the operator;
	 * decisions never use it. */
	if (crn_cert_inspect(env->sender_cert, env->sender_cert_len, &claim) !=
	        CAIRN_OK ||
	    !crn_cert_name_valid(claim.name))
		snprintf(claim.name, sizeof(claim.name), "?");
	rt_refuse(p, ev, "cert", "certificate of '%s' (type %u): %s",
	    claim.name, env->type, cairn_strerror(rv));
	return rv;
}

cairn_err
crn_rt_unwrap(crn_rt_party *p, const crn_tr_event *ev, unsigned role_mask,
    crn_envelope *env, crn_cert_info *who)
{
	cairn_err rv;

	memset(env, 0, sizeof(*env));
	memset(who, 0, sizeof(*who));
	if ((rv = crn_envelope_decode(env, ev->buf, ev->len)) != CAIRN_OK) {
		rt_refuse(p, ev, "malformed", "malformed envelope (%s)",
		    cairn_strerror(rv));
		return rv;
	}
	if ((rv = rt_unwrap_cert(p, ev, env, role_mask, who)) != CAIRN_OK)
		goto out;
	rv = CAIRN_EAUTH;
	if (!crn_ct_eq(who->pk, env->sender, CAIRN_SIGN_PK_LEN)) {
		rt_refuse(p, ev, "signer",
		    "signer is not the key of certificate '%s'", who->name);
		goto out;
	}
	/* The link's peer proved its key in the TLS handshake: a message
	 * signed by anyone else did not come from the party it names. */
	if (!crn_ct_eq(who->pk, ev->peer.pk, CAIRN_SIGN_PK_LEN)) {
		rt_refuse(p, ev, "peer", "signed by '%s', not by this peer",
		    who->name);
		goto out;
	}
	if ((rv = crn_envelope_verify(env)) != CAIRN_OK) {
		rt_refuse(p, ev, "signature", "bad signature");
		goto out;
	}
	if ((rv = crn_replay_check_conn(p->replay, env, ev->conn)) !=
	    CAIRN_OK) {
		rt_refuse(p, ev, "replay", "%s",
		    rv == CAIRN_EREPLAY ? "replayed" : cairn_strerror(rv));
		goto out;
	}
	rv = CAIRN_OK;
out:
	if (rv != CAIRN_OK) {
		crn_envelope_fini(env);
		memset(who, 0, sizeof(*who));
	}
	return rv;
}

cairn_err
crn_rt_peer_verify(void *arg, const uint8_t *der, size_t len,
    crn_cert_info *info, size_t *max_msg)
{
	crn_rt_peers *peers = arg;
	cairn_err rv;

	*max_msg = 0;
	rv = crn_rt_cert_check(peers->party, der, len, peers->roles, info);
	if (rv != CAIRN_OK)
		return rv;
	/* The caller logs the refusal (rate-limited): a peer chooses how
	 * often it happens. */
	if (peers->name != NULL && strcmp(info->name, peers->name) != 0)
		return CAIRN_EPERM;
	*max_msg = info->role == CRN_ROLE_RESEARCHER ? CRN_RT_RESEARCHER_MSG_MAX
	                                             : CRN_RT_PEER_MSG_MAX;
	return CAIRN_OK;
}

void
crn_rt_tr_auth(crn_rt_peers *peers, crn_tr_auth *auth)
{
	memset(auth, 0, sizeof(*auth));
	auth->id = peers->party->id;
	auth->cert = peers->party->cert_der;
	auth->cert_len = peers->party->cert_len;
	auth->verify = crn_rt_peer_verify;
	auth->arg = peers;
}

static void
rt_on_signal(int sig)
{
	(void)sig;
	crn_rt_stop = 1;
}

void
crn_rt_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = rt_on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	/* A peer closing a connection must not kill the daemon. */
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

int64_t
crn_rt_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

uint64_t
crn_rt_wall(void)
{
	return (uint64_t)time(NULL);
}

static void
rt_logger(cairn_log_level level, const char *func, const char *msg, void *arg)
{
	const char *lv = "info";
	char line[CRN_LOG_LINE_MAX];
	struct timespec ts;
	size_t len, off = 0;

	(void)arg;
	if (rt_daemon) {
		/* One event, one line, one write: lines of the HTTP thread
		 * and of the event loop never interleave. */
		clock_gettime(CLOCK_REALTIME, &ts);
		len = crn_log_line(line, sizeof(line), rt_format,
		    (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000, level,
		    rt_tag, func, msg);
		while (off < len) {
			ssize_t w = write(STDERR_FILENO, line + off, len - off);

			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				break;
			off += (size_t)w;
		}
		return;
	}
	switch (level) {
	case CAIRN_LOG_ERR: lv = "error"; break;
	case CAIRN_LOG_WARN: lv = "warning"; break;
	case CAIRN_LOG_DEBUG: lv = "debug"; break;
	default: break;
	}
	if (level == CAIRN_LOG_DEBUG)
		fprintf(stderr, "%s: %s: %s: %s\n", rt_tag, lv, func, msg);
	else
		fprintf(stderr, "%s: %s: %s\n", rt_tag, lv, msg);
	fflush(stderr);
}

void
crn_rt_log_init(const char *tag)
{
	const char *e = getenv("CAIRN_LOG");

	snprintf(rt_tag, sizeof(rt_tag), "%s", tag);
	cairn_log_set_logger(rt_logger, NULL);
	cairn_log_set_level(e != NULL && strcmp(e, "debug") == 0
	        ? CAIRN_LOG_DEBUG
	        : CAIRN_LOG_INFO);
}

void
crn_rt_log_daemon(const char *tag, crn_log_format fmt)
{
	crn_rt_log_init(tag);
	rt_format = fmt;
	rt_daemon = true;
}

void
crn_rt_hex(const uint8_t *b, size_t n, char *out)
{
	static const char hx[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hx[b[i] >> 4];
		out[2 * i + 1] = hx[b[i] & 15];
	}
	out[2 * n] = '\0';
}

cairn_err
crn_rt_harden(void)
{
	struct rlimit rl = {0, 0};

	if (setrlimit(RLIMIT_CORE, &rl) != 0) {
		crn_log_err("setrlimit(RLIMIT_CORE): %s", strerror(errno));
		return CAIRN_ESYS;
	}
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
		crn_log_err("prctl(PR_SET_DUMPABLE): %s", strerror(errno));
		return CAIRN_ESYS;
	}
	return CAIRN_OK;
}
