/*
 * rt.h — code shared by the coordinator and node daemons and the
 * researcher commands: a party's identity and trust store, signed
 * envelopes bound to certificates, signals, clocks and logging.
 *
 * Channel security, in two layers.  The link: every connection is TLS 1.3
 * (core/transport.h) in which both parties authenticate with their
 * federation certificates, checked here (crn_rt_peer_verify: CA, CRL,
 * role, pinned coordinator name) with the same rules as everything else;
 * so nothing travels in clear and an unauthenticated peer gets no further
 * than the handshake.  The message: every message a party sends is an
 * envelope signed by its identity key and carrying its DER certificate.
 * A receiver checks the certificate against the federation CA and CRL
 * (role included), binds the key in the certificate to the envelope's
 * signer and to the TLS peer of the connection it came on, checks the
 * signature and refuses replays; only then does it read the payload.
 * The signatures stay because they outlive the link: a node checks the
 * researcher's signed job itself, and signatures bind round messages to
 * their session.
 *
 * Not thread-safe: each daemon runs one event loop on one thread.
 */
#ifndef CRN_RUNTIME_RT_H
#define CRN_RUNTIME_RT_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "base/err.h"
#include "base/logfmt.h"
#include "base/ratelog.h"
#include "crypto/cert.h"
#include "crypto/crypto.h"
#include "crypto/envelope.h"
#include "net/transport.h"

/*
 * JOB_SUM_COLUMN: the node runs a plan of count(*) and one measure (the
 * column, no sum of squares, no groups), so the vector is
 *   [count(*), count(column), sum(column), values clipped]
 * in the job's ring (two's complement for negative sums), the sum in
 * units of 10^-CRN_RT_SUM_SCALE.
 */
#define CRN_RT_SUM_DIM 4u
/* Column sums read the column as a decimal with this many digits after
 * the point (integers and money alike; more digits are a data error), so
 * the sum element is in units of 10^-CRN_RT_SUM_SCALE.  Values outside
 * these bounds (scaled) are clipped and counted in the fourth element. */
#define CRN_RT_SUM_SCALE 4u
#define CRN_RT_SUM_LO    (-(INT64_C(1) << 53))
#define CRN_RT_SUM_HI    (INT64_C(1) << 53)

/* The largest message each role may send us (transport limit per peer):
 * a researcher sends a signed job (at most CRN_JOB_MAX, 1 MiB) with two
 * certificates and an envelope around them; nodes and the coordinator
 * send masked vectors and rosters, up to an envelope's limit. */
#define CRN_RT_RESEARCHER_MSG_MAX ((size_t)2 << 20)
#define CRN_RT_PEER_MSG_MAX       ((size_t)CRN_ENVELOPE_MAX)

/* One party: identity key, own certificate, trust store, replay guard. */
typedef struct crn_rt_party {
	crn_identity *id;
	uint8_t pk[CAIRN_SIGN_PK_LEN];
	uint8_t *cert_der; /* own certificate, sent in every envelope */
	size_t cert_len;
	crn_cert_info me;      /* what our certificate says (verified) */
	crn_cert_store *store; /* CA + CRL; reloaded when changed */
	char *ca_path, *crl_path;
	crn_crl_mark crl_mark; /* the newest CRL accepted: never go back */
	char *mark_path;       /* where it is kept (state_dir), or NULL */
	struct timespec ca_mtime, crl_mtime;
	time_t checked_at;
	crn_replay *replay;
	uint64_t seq;   /* next envelope sequence number */
	crn_ratelog rl; /* refusals: one warning per peer address a minute */
} crn_rt_party;

/* For crn_rt_party_open: do not verify our own certificate (the test
 * build's unchecked_self, runtime/testhook.h); it is only parsed. */
#define CRN_ROLE_UNCHECKED 0

/*
 * Load key (refused unless 0600), certificate, CA and CRL; check our own
 * certificate is valid now and has role `role`, and that it carries our
 * key.  On failure err holds one line saying what is wrong.
 * Errors: those of crn_identity_load, crn_file_read, crn_cert_store_new
 * and crn_cert_store_verify; CAIRN_EAUTH when the certificate is for
 * another key.
 */
CAIRN_NODISCARD cairn_err crn_rt_party_open(crn_rt_party *p, const char *key,
    const char *cert, const char *ca, const char *crl, crn_role role, char *err,
    size_t errlen);
/* Release everything; safe on zeroed storage. */
void crn_rt_party_close(crn_rt_party *p);

/*
 * Re-read CA and CRL if either file changed (checked at most once per
 * second), so that a revocation reaches a running daemon.  A file that no
 * longer parses keeps the previous store, and so does a CRL older (by
 * crlNumber or thisUpdate) than the newest this party accepted: putting
 * an old CRL back would un-revoke.  Either is logged once per change.
 */
void crn_rt_party_refresh(crn_rt_party *p);

/*
 * Keep the newest CRL accepted in state_dir/crl.mark too, so that a
 * restarted daemon cannot be fed an older CRL either.  Refuses
 * (CAIRN_EREPLAY, one line in err) when the CRL loaded by
 * crn_rt_party_open is older than the one recorded there; otherwise, with
 * persist, records it (and every newer CRL crn_rt_party_refresh takes
 * later).  Without persist ('cairn node check') it only compares.
 * Errors: CAIRN_EDATA (a damaged crl.mark), CAIRN_ESYS, CAIRN_ENOMEM.
 */
CAIRN_NODISCARD cairn_err crn_rt_party_crl_state(crn_rt_party *p,
    const char *state_dir, bool persist, char *err, size_t errlen);

/*
 * Build, sign and encode an envelope of `type` for session sid (NULL: no
 * session) carrying payload (borrowed) and our certificate.  *out is a
 * crn_alloc'd buffer (crn_free(*out, *outlen)).
 */
CAIRN_NODISCARD cairn_err crn_rt_wrap(crn_rt_party *p, uint32_t type,
    const uint8_t *sid, uint32_t round, const uint8_t *payload, size_t len,
    uint8_t **out, size_t *outlen);

/*
 * Decode and authenticate the envelope of message ev (CRN_TR_EV_MSG): the
 * sender certificate must be present and verify against our store with a
 * role in role_mask; its key must be the envelope's signer and the TLS
 * peer of the connection (ev->peer); the signature must verify; the
 * sequence number must be new.  On CAIRN_OK *env (caller frees with
 * crn_envelope_fini) and *who are filled.  Every refusal is logged on one
 * line with its reason, at most one warning per peer address a minute
 * (the others at debug level).
 * Errors: CAIRN_EINVAL/ETOOBIG (malformed), CAIRN_EAUTH (unsigned, forged,
 * no certificate, key not bound to the certificate, signer not the
 * channel's peer), CAIRN_EREPLAY, and the certificate errors of
 * crn_cert_store_verify (CAIRN_EEXPIRED, CAIRN_EREVOKED, CAIRN_EROLE,
 * CAIRN_EUNKNOWNCA, ...).
 */
CAIRN_NODISCARD cairn_err crn_rt_unwrap(crn_rt_party *p, const crn_tr_event *ev,
    unsigned role_mask, crn_envelope *env, crn_cert_info *who);

/* Whom a party's transport accepts: roles, and one certificate name if
 * name is not NULL (a pinned coordinator).  Borrowed by the transport. */
typedef struct crn_rt_peers {
	crn_rt_party *party;
	unsigned roles;
	const char *name;
} crn_rt_peers;

/*
 * The transport's judge of a peer (crn_tr_verify_fn, arg a crn_rt_peers):
 * the certificate must verify against the party's CA and CRL now
 * (crn_rt_cert_check) with a role in peers->roles, and carry peers->name
 * if set (CAIRN_EPERM otherwise); *max_msg is that role's limit.
 */
CAIRN_NODISCARD cairn_err crn_rt_peer_verify(void *arg, const uint8_t *der,
    size_t len, crn_cert_info *info, size_t *max_msg);

/* The transport's credentials for a party: its key and certificate, and
 * crn_rt_peer_verify with peers (both borrowed while the transport
 * lives). */
void crn_rt_tr_auth(crn_rt_peers *peers, crn_tr_auth *auth);

/* Verify a DER certificate (for example a researcher's, inside a signed
 * job) against the party's store now, for role_mask. */
CAIRN_NODISCARD cairn_err crn_rt_cert_check(crn_rt_party *p, const uint8_t *der,
    size_t len, unsigned role_mask, crn_cert_info *info);

/* Set by SIGINT / SIGTERM after crn_rt_signals(). */
extern volatile sig_atomic_t crn_rt_stop;
void crn_rt_signals(void);

/* Milliseconds on the monotonic clock; seconds of wall-clock time. */
int64_t crn_rt_now_ms(void);
uint64_t crn_rt_wall(void);

/* Log to stderr as "<tag>: <level>: <message>"; CAIRN_LOG=debug in the
 * environment adds debug messages.  tag is copied. */
void crn_rt_log_init(const char *tag);
/* The daemons' logger: as crn_rt_log_init, but every line starts with
 * an RFC 3339 UTC timestamp, or is a JSON object (base/logfmt.h); one
 * write per line, so it may be called from any thread.  Call again to
 * change tag or format (log_format = text | json). */
void crn_rt_log_daemon(const char *tag, crn_log_format fmt);

/* Lower-case hex of n bytes into out (2n + 1 bytes). */
void crn_rt_hex(const uint8_t *b, size_t n, char *out);

/* Disable core dumps and ptrace attachment (daemons holding keys). */
CAIRN_NODISCARD cairn_err crn_rt_harden(void);

#endif /* CRN_RUNTIME_RT_H */
