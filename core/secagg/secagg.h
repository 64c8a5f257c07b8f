/*
 * secagg.h — the secure-aggregation state machines (docs/DESIGN.md "Secure
 * aggregation"; Bonawitz et al., CCS 2017, with the consistency round;
 * SecAgg+ sparse neighbour graph of Bell et al., CCS 2020).
 *
 * Rounds: advertise (keys and commitments) -> roster -> reveal (each node's
 * graph-seed contribution, committed in its advertisement; the seed is
 * fixed only once the roster is) -> share keys -> masked input ->
 * consistency (nodes sign the survivor set over the roster digest) ->
 * unmask.  README "Secure aggregation" lists what a node checks at each
 * step and which adversarial test attacks each check.
 *
 * Sans-I/O: a machine is fed events (a serialized round message with its
 * cairn.MsgType, or "the round's deadline passed") and appends actions to a
 * crn_sa_actions list (a message to send, "done", "aborted").  It opens no
 * socket, reads no clock and takes no OS randomness: a node draws every
 * secret from a crn_drbg seeded by the 32 bytes it is given.  The transport
 * wraps the messages in signed envelopes and delivers them in order.
 *
 * Addresses: a node's only peer is the coordinator (to = 0).  The
 * coordinator addresses nodes by transport slot 1..nslots; roster indices
 * (Shamir x coordinates) are assigned in slot order among the nodes that
 * advertised, and never leave the machine except inside messages.
 *
 * Errors of recv/deadline: CAIRN_OK when the event was consumed.  A message
 * for another round returns CAIRN_ESTATE, a repeated one CAIRN_EREPLAY; both
 * leave the machine untouched (the driver may log and ignore them).  A
 * message that breaks the protocol makes a node refuse and abort (the error
 * is returned and an ABORT action appended); the coordinator instead drops
 * the offending node from the session and carries on while at least t
 * remain.  When an event ends the session in an abort (fewer than t
 * left), the call returns CAIRN_EABORT and appends the ABORT action.
 * Neither machine aborts the process on any input.
 *
 * Thread safety: one machine per thread at a time; distinct machines are
 * independent.
 */
#ifndef CRN_SECAGG_SECAGG_H
#define CRN_SECAGG_SECAGG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "crypto/crypto.h"
#include "crypto/shamir.h"
#include "proto/secagg_msg.h"

/* ---- rounds --------------------------------------------------------------- */

/* The rounds, in order (also where the simulator makes nodes drop out). */
typedef enum crn_sa_round {
	CRN_SA_R_ADVERTISE = 0,
	CRN_SA_R_REVEAL = 1,
	CRN_SA_R_SHARE = 2,
	CRN_SA_R_MASKED = 3,
	CRN_SA_R_CONSISTENCY = 4,
	CRN_SA_R_UNMASK = 5,
	CRN_SA_R_DONE = 6,
} crn_sa_round;

/* The one name of each round ("advertise", "reveal", "share-keys",
 * "masked-input", "consistency", "unmask", "done"); "unknown" otherwise. */
const char *crn_sa_round_name(crn_sa_round r);

/* ---- actions ------------------------------------------------------------ */

typedef enum crn_sa_act_kind {
	CRN_SA_ACT_SEND = 1,  /* send data (a message of `type`) */
	CRN_SA_ACT_DONE = 2,  /* finished; coordinator: data = the sum */
	CRN_SA_ACT_ABORT = 3, /* aborted; see `abort` */
} crn_sa_act_kind;

typedef struct crn_sa_action {
	crn_sa_act_kind kind;
	uint32_t type; /* SEND: CRN_SA_MSG_* */
	/* SEND: the recipient (0 = coordinator), or, when to_many is not
	 * NULL, the same bytes go to each of the n_many slots listed. */
	uint32_t to;
	uint32_t *to_many; /* owned */
	size_t n_many;
	/* SEND: the serialized message.  DONE at the coordinator: the sum,
	 * dim little-endian ring elements.  Owned by the list. */
	uint8_t *data;
	size_t len;
	crn_sa_abort abort; /* ABORT: code, reason, needed, answered */
} crn_sa_action;

typedef struct crn_sa_actions {
	crn_sa_action *v;
	size_t count, cap;
} crn_sa_actions;

/* Zeroed storage is an empty list.  fini frees every action's buffers;
 * clear does the same and keeps the list usable. */
void crn_sa_actions_init(crn_sa_actions *a);
void crn_sa_actions_clear(crn_sa_actions *a);
void crn_sa_actions_fini(crn_sa_actions *a);

/* ---- node --------------------------------------------------------------- */

typedef struct crn_sa_node crn_sa_node;

typedef struct crn_sa_node_cfg {
	const crn_identity *id;       /* borrowed; must outlive the node */
	uint8_t seed[CAIRN_SEED_LEN]; /* all of the node's randomness */
	uint8_t session_id[CAIRN_SESSION_ID_LEN];
	uint32_t ring_bits; /* 32, 64 or 128, as the job says */
	uint64_t dim;       /* elements, as the job says */
	/* Refuse a roster with fewer distinct certified identities than
	 * this, and refuse to sign or unmask a survivor set smaller than
	 * max(t, this) (at least 2 is enforced whatever the value). */
	uint32_t min_participants;
	/* Refuse a roster larger than this (the ring width of the job was
	 * sized for at most this many nodes); 0 means CRN_SA_MAX_NODES. */
	uint32_t max_nodes;
	/* The node's own certificate (borrowed, must outlive the node),
	 * sent in AdvertiseKeys so that the other nodes can check it. */
	const uint8_t *cert;
	size_t cert_len;
	/*
	 * Check a peer's certificate: CAIRN_OK and the Ed25519 identity key
	 * it certifies in pk, or an error (CAIRN_EAUTH, CAIRN_EPERM, ...)
	 * when it is not a valid node certificate.  The daemons check the
	 * chain, the CRL and the role node; the simulator and the tests use
	 * crn_sa_simcert_verify.  Every roster entry must pass and certify
	 * the identity it advertises, or the node refuses the roster.
	 * Required: crn_sa_node_new refuses NULL (CAIRN_EINVAL).
	 */
	cairn_err (*verify_peer)(void *arg, const uint8_t *cert,
	    size_t cert_len, uint8_t pk[CAIRN_SIGN_PK_LEN]);
	void *verify_arg;
	/* The node's own policy for the graph parameters it accepts: the
	 * fractions of corrupt and of dropping nodes it assumes (0 means
	 * 0.05 each), and whether the coordinator may lie to nodes (the
	 * daemon's default, `threat = malicious`).  A roster whose degree
	 * and threshold do not keep the node's security bound
	 * (crn_graph_security) below 2^-40 under this policy is refused. */
	double corrupt_frac, dropout_frac;
	bool malicious;
	/* 0 or 1: one session.  Otherwise the session may be continued by
	 * crn_sa_node_next for rounds 2 .. max_rounds of the same job
	 * without a new key agreement: the node then keeps, in secure
	 * memory, its pairwise seed and channel key with each neighbour. */
	uint32_t max_rounds;
} crn_sa_node_cfg;

/*
 * Create a node for one session.  CAIRN_EINVAL for a bad ring width, dim 0
 * or over CRN_SA_MAX_DIM, no identity or no verify_peer; CAIRN_ENOMEM.  *out is
 * NULL on error.  The caller wipes cfg->seed.
 */
CAIRN_NODISCARD cairn_err crn_sa_node_new(
    crn_sa_node **out, const crn_sa_node_cfg *cfg);
/* Wipes every secret and frees; NULL is fine. */
void crn_sa_node_free(crn_sa_node *n);

/*
 * The input vector: dim native ring elements (uint32_t, uint64_t or
 * unsigned __int128), borrowed; it must stay valid until the recv call
 * that delivers the forwarded shares has returned (that call masks it).
 */
void crn_sa_node_set_input(crn_sa_node *n, const void *vec);

/* Round 0: make the session keys and send AdvertiseKeys.  CAIRN_ESTATE
 * when called twice. */
CAIRN_NODISCARD cairn_err crn_sa_node_start(
    crn_sa_node *n, crn_sa_actions *out);
/* One message from the coordinator.  See the file comment for errors;
 * refusals are CAIRN_EPERM (roster against policy: too few or duplicate
 * identities, threshold too low), CAIRN_EAUTH (bad signature or share
 * ciphertext), CAIRN_EPROTO (inconsistent survivor sets, bad indices),
 * CAIRN_EABORT (the coordinator aborted), CAIRN_EINVAL (undecodable). */
CAIRN_NODISCARD cairn_err crn_sa_node_recv(crn_sa_node *n, uint32_t type,
    const uint8_t *msg, size_t len, crn_sa_actions *out);
/* The current round's deadline passed: abort with CAIRN_ETIMEDOUT (no-op
 * after the node finished). */
CAIRN_NODISCARD cairn_err crn_sa_node_deadline(
    crn_sa_node *n, crn_sa_actions *out);

/* What a node's session cost it in public-key operations and keystream,
 * for the simulator's crypto floor. */
typedef struct crn_sa_node_stats {
	uint32_t x25519;    /* key generations and agreements */
	uint32_t verifies;  /* Ed25519 verifications, certificates included */
	uint32_t signs;     /* Ed25519 signatures */
	uint64_t prg_elems; /* mask keystream, in ring elements */
} crn_sa_node_stats;
void crn_sa_node_get_stats(const crn_sa_node *n, crn_sa_node_stats *st);

/*
 * Continue a finished session with round `round` of the same job
 * (docs/DESIGN.md "Later rounds"): no advertise, roster or key
 * agreement; a fresh self-mask seed is dealt to the neighbours still in,
 * pairwise masks come from round 1's pairwise seeds and the round, and
 * the consistency and unmask rounds run as in round 1.  sid_r is the
 * caller's session id for this round (the machine binds it to round 1's).
 * Every node that was not in a survivor set this node signed is out for
 * good: shares from it and survivor sets naming it are refused.  Appends
 * the ShareKeys message; the input must be set before the forwarded
 * shares arrive, as in round 1.  CAIRN_ESTATE unless the previous round
 * finished (an aborted node never comes back); CAIRN_EINVAL when round
 * is not above the last one, is 1, or exceeds cfg.max_rounds; CAIRN_EABORT
 * (and an ABORT action) when fewer than t - 1 neighbours are left.
 */
CAIRN_NODISCARD cairn_err crn_sa_node_next(crn_sa_node *n,
    const uint8_t sid_r[CAIRN_SESSION_ID_LEN], uint32_t round,
    crn_sa_actions *out);

/* The node's roster index once it accepted the roster, else 0. */
uint32_t crn_sa_node_index(const crn_sa_node *n);
bool crn_sa_node_done(const crn_sa_node *n);

/* ---- coordinator -------------------------------------------------------- */

typedef struct crn_sa_coord crn_sa_coord;

typedef struct crn_sa_coord_cfg {
	/* session id, threshold t, ring width, dim and degree (0 =
	 * complete), announced in the roster.  params.graph_seed is ignored:
	 * the roster is sorted by identity key and the seed derived from it
	 * (crn_sa_graph_seed), as nodes require. */
	crn_sa_params params;
	uint32_t nslots; /* connected nodes, addressed 1..nslots */
	/* Optional (NULL for none): the identity key of the envelope signer
	 * on each slot (index slot - 1), borrowed for the coordinator's
	 * lifetime.  An advertisement whose identity differs from its
	 * slot's is refused and the slot left out of the roster. */
	const uint8_t (*slot_ids)[CAIRN_SIGN_PK_LEN];
} crn_sa_coord_cfg;

/* CAIRN_EINVAL for bad parameters (t < 2 or > nslots, ...). */
CAIRN_NODISCARD cairn_err crn_sa_coord_new(
    crn_sa_coord **out, const crn_sa_coord_cfg *cfg);
void crn_sa_coord_free(crn_sa_coord *c);

/* One message from the node on `slot`.  A round closes by itself once
 * every node still in it has answered. */
CAIRN_NODISCARD cairn_err crn_sa_coord_recv(crn_sa_coord *c, uint32_t slot,
    uint32_t type, const uint8_t *msg, size_t len, crn_sa_actions *out);
/* The current round's deadline passed: close it with whoever answered
 * (abort when fewer than t did). */
CAIRN_NODISCARD cairn_err crn_sa_coord_deadline(
    crn_sa_coord *c, crn_sa_actions *out);

/*
 * Continue a finished session with round `round` (see crn_sa_node_next):
 * every roster member outside the last survivor set, or that broke the
 * protocol, is out for good; the others are awaited in the share-keys
 * round.  Nothing is sent (nodes start the round).  CAIRN_ESTATE unless
 * the previous round produced its sum; CAIRN_EINVAL for a round not above
 * the last one or equal to 1.
 */
CAIRN_NODISCARD cairn_err crn_sa_coord_next(crn_sa_coord *c,
    const uint8_t sid_r[CAIRN_SESSION_ID_LEN], uint32_t round);

bool crn_sa_coord_done(const crn_sa_coord *c);
/* Roster size, and the slots whose inputs are in the sum (valid once
 * done; NULL before).  The array belongs to the coordinator. */
uint32_t crn_sa_coord_nodes(const crn_sa_coord *c);
const uint32_t *crn_sa_coord_survivor_slots(
    const crn_sa_coord *c, uint32_t *count);
/* Total bytes of messages received so far. */
uint64_t crn_sa_coord_bytes_received(const crn_sa_coord *c);
/* Revealed shares that did not match their dealer's commitment (their
 * holders lied, or the dealer did); they were left out. */
uint32_t crn_sa_coord_liars(const crn_sa_coord *c);

/* The to-be-signed encoding of a consistency signature: label, session,
 * roster digest, survivor count and indices.  For tests that play a
 * dishonest party too. */
CAIRN_NODISCARD cairn_err crn_sa_consistency_tbs(uint8_t **out, size_t *out_len,
    const uint8_t session_id[CAIRN_SESSION_ID_LEN],
    const uint8_t digest[CAIRN_KEY_LEN], const uint32_t *idx, uint32_t count);

/* ---- shared by the two machines (library-internal) ---------------------- */

/* Associated data of a share ciphertext: label, session, roster digest,
 * from, to. */
#define CRN_SA_SHARE_AD_LEN (14 + CAIRN_SESSION_ID_LEN + CAIRN_KEY_LEN + 8)

/* Append an action.  send and done take ownership of data (and to_many)
 * on success only. */
CAIRN_NODISCARD cairn_err crn_sa_act_send(crn_sa_actions *a, uint32_t type,
    uint32_t to, uint32_t *to_many, size_t n_many, uint8_t *data, size_t len);
CAIRN_NODISCARD cairn_err crn_sa_act_done(
    crn_sa_actions *a, uint8_t *data, size_t len);
/* Failing to record an abort (ENOMEM) is reported but may be ignored: the
 * machine's state says aborted either way. */
cairn_err crn_sa_act_abort(crn_sa_actions *a, const crn_sa_abort *ab);
void crn_sa_abort_fill(crn_sa_abort *ab, cairn_err code, uint32_t needed,
    uint32_t answered, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Sign / verify an advertisement by its identity key over
 * "cairn-advertise-v2" || session_id || channel_pk || mask_pk || bcommit
 * || gcommit. */
CAIRN_NODISCARD cairn_err crn_sa_advertise_sign(crn_sa_advertise *a,
    const crn_identity *id, const uint8_t sid[CAIRN_SESSION_ID_LEN]);
CAIRN_NODISCARD cairn_err crn_sa_advertise_verify(
    const crn_sa_advertise *a, const uint8_t sid[CAIRN_SESSION_ID_LEN]);
/* The roster digest D: KDF(params || identity, channel_pk, mask_pk,
 * bcommit, gcommit of every entry in order, session, "roster-digest", n).
 * CAIRN_EINVAL for an empty roster; CAIRN_ENOMEM. */
CAIRN_NODISCARD cairn_err crn_sa_roster_digest(
    uint8_t d[CAIRN_KEY_LEN], const crn_sa_roster *r);
/* The neighbour-graph seed, fixed by every participant's revealed
 * contribution: KDF(D || r_1 || ... || r_n, session, "graph-seed", n). */
CAIRN_NODISCARD cairn_err crn_sa_graph_seed(uint8_t seed[32],
    const uint8_t sid[CAIRN_SESSION_ID_LEN],
    const uint8_t digest[CAIRN_KEY_LEN], const crn_sa_seeds *s);
/* Every revealed contribution against its entry's gcommit: CAIRN_OK, or
 * CAIRN_EPROTO (wrong count) / CAIRN_EAUTH with *bad the first index
 * whose contribution does not match. */
CAIRN_NODISCARD cairn_err crn_sa_seeds_check(
    const crn_sa_seeds *s, const crn_sa_roster *r, uint32_t *bad);
/* Commitments: to a self-mask seed KDF(b, session, "self-commit"), to a
 * graph-seed contribution BLAKE2b-256 keyed by the session over "cairn-graph-commit" || r, and to one
 * Shamir share of the dealer `from` held by `to`. */
CAIRN_NODISCARD cairn_err crn_sa_self_commit(uint8_t out[CAIRN_KEY_LEN],
    const uint8_t b[CAIRN_SEED_LEN], const uint8_t sid[CAIRN_SESSION_ID_LEN]);
CAIRN_NODISCARD cairn_err crn_sa_graph_commit(uint8_t out[CAIRN_KEY_LEN],
    const uint8_t r[CAIRN_KEY_LEN], const uint8_t sid[CAIRN_SESSION_ID_LEN]);
CAIRN_NODISCARD cairn_err crn_sa_share_commit(uint8_t out[CAIRN_KEY_LEN],
    const uint8_t sid[CAIRN_SESSION_ID_LEN], uint32_t from, uint32_t to,
    uint32_t kind, const crn_shamir_share *share);
void crn_sa_share_ad(uint8_t ad[CRN_SA_SHARE_AD_LEN],
    const uint8_t sid[CAIRN_SESSION_ID_LEN],
    const uint8_t digest[CAIRN_KEY_LEN], uint32_t from, uint32_t to);
/* The pairwise mask seed s_uv = KDF(X25519(sk_u, pk_v), session, "mask"). */
CAIRN_NODISCARD cairn_err crn_sa_mask_seed(uint8_t seed[CAIRN_SEED_LEN],
    const uint8_t sk[CAIRN_KX_SK_LEN], const uint8_t peer_pk[CAIRN_KX_PK_LEN],
    const uint8_t sid[CAIRN_SESSION_ID_LEN]);
/*
 * Later rounds of a chained session (docs/DESIGN.md "Later rounds"):
 * the working session id of round r >= 2, KDF(sid_r, sid1,
 * "round-session", r), from round 1's session id and the caller's id for
 * round r; the round-r pairwise seed KDF(base, rsid, "mask-round", r)
 * from round 1's pairwise seed s_uv; and the commitment of `from` to the
 * round seed it shares with `to`, which the coordinator checks when the
 * seed is revealed.
 */
CAIRN_NODISCARD cairn_err crn_sa_round_sid(uint8_t out[CAIRN_SESSION_ID_LEN],
    const uint8_t sid1[CAIRN_SESSION_ID_LEN],
    const uint8_t sid_r[CAIRN_SESSION_ID_LEN], uint32_t round);
CAIRN_NODISCARD cairn_err crn_sa_round_seed(uint8_t seed[CAIRN_SEED_LEN],
    const uint8_t base[CAIRN_SEED_LEN],
    const uint8_t rsid[CAIRN_SESSION_ID_LEN], uint32_t round);
CAIRN_NODISCARD cairn_err crn_sa_round_seed_commit(uint8_t out[CAIRN_KEY_LEN],
    const uint8_t rsid[CAIRN_SESSION_ID_LEN], uint32_t from, uint32_t to,
    const uint8_t seed[CAIRN_SEED_LEN]);
/* acc += y, dim little-endian elements of bits (32, 64, 128). */
void crn_sa_ring_add(
    uint8_t *acc, const uint8_t *y, uint64_t dim, uint32_t bits);
/* Binary search in a sorted survivor list. */
bool crn_sa_surv_has(const crn_sa_survivors *s, uint32_t idx);

/* ---- simulator certificates -------------------------------------------- */

/*
 * A lightweight but real certification for the simulator and the tests,
 * in place of X.509: a "sim authority" Ed25519 key certifies a node's
 * identity key pk with the 96-byte certificate
 *     pk || Sign_authority("cairn-sim-cert-v1" || pk).
 */
#define CRN_SA_SIMCERT_LEN (CAIRN_SIGN_PK_LEN + CAIRN_SIG_LEN)

/* Issue the certificate of pk.  Errors of crn_identity_sign. */
CAIRN_NODISCARD cairn_err crn_sa_simcert_issue(uint8_t cert[CRN_SA_SIMCERT_LEN],
    const crn_identity *authority, const uint8_t pk[CAIRN_SIGN_PK_LEN]);
/* A crn_sa_node_cfg.verify_peer: arg is the authority's public key
 * (const uint8_t[CAIRN_SIGN_PK_LEN]).  CAIRN_OK and the certified key in
 * pk; CAIRN_EAUTH for a wrong length or a bad signature. */
CAIRN_NODISCARD cairn_err crn_sa_simcert_verify(void *arg, const uint8_t *cert,
    size_t cert_len, uint8_t pk[CAIRN_SIGN_PK_LEN]);

/* ---- one-process simulation (property tests and `cairn sim secagg`) ----- */


typedef struct crn_sa_sim_cfg {
	uint32_t nodes; /* 2 .. CRN_SA_MAX_NODES */
	uint64_t dim;
	uint32_t ring_bits;
	uint32_t threshold;
	uint32_t degree;              /* 0 = complete graph */
	uint8_t seed[CAIRN_SEED_LEN]; /* everything derives from it */
	/* The nodes' policy (crn_sa_node_cfg): zero fractions mean 0.05;
	 * min_participants 0 means 2.  Every node is certified by a sim
	 * authority (crn_sa_simcert_issue) and checks every roster entry. */
	double corrupt_frac, dropout_frac;
	bool malicious;
	uint32_t min_participants;
	uint32_t ndrop;       /* nodes (chosen from the seed) that go */
	crn_sa_round drop_at; /* silent instead of sending this round */
	/* Seconds on a monotonic clock, for timing each party; NULL for
	 * none (the library reads no clock itself). */
	double (*clock)(void);
} crn_sa_sim_cfg;

typedef struct crn_sa_sim_result {
	bool finished;      /* the coordinator produced a sum */
	bool correct;       /* ... equal to the plain survivors' sum */
	crn_sa_abort abort; /* when not finished */
	uint32_t nodes;     /* configured */
	uint32_t survivors; /* inputs in the sum (or expected there) */
	double coord_s;     /* coordinator time, all rounds */
	double node_s_median, node_s_p99, node_s_max;
	/* The median node's crypto floor, timed alone in the same run: its
	 * X25519 agreements, signature and certificate checks, and the
	 * keystream of its masks (0 when no clock was given). */
	double node_floor_s;
	uint64_t node_bytes_median, node_bytes_max; /* sent by a node */
	uint64_t coord_bytes_rx;
	uint64_t plain_bytes; /* one plain input vector */
	double plain_sum_s;   /* adding the survivors' plain vectors */
} crn_sa_sim_result;

/*
 * Run one whole session in this process: nodes with random inputs and
 * identities from cfg->seed, every message passing through its serialized
 * bytes, cfg->ndrop nodes going silent at cfg->drop_at, round deadlines
 * whenever nobody has anything left to send.  CAIRN_OK when the
 * simulation ran, whatever the session's outcome (see res); CAIRN_EINVAL
 * for a bad configuration, CAIRN_ENOMEM, or another error for a bug.
 */
CAIRN_NODISCARD cairn_err crn_sa_sim_run(
    const crn_sa_sim_cfg *cfg, crn_sa_sim_result *res);

#endif /* CRN_SECAGG_SECAGG_H */
