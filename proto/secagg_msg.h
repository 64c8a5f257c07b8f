/*
 * secagg_msg.h — the structs of the secure-aggregation round messages
 * (cairn.proto "secure aggregation").  proto/codec_secagg.c converts them
 * to and from the wire; the state machines in core/secagg/ only see
 * these.  Decoders have already checked every fixed size and bounded every
 * count; indices are checked against the roster by the machines.
 */
#ifndef CRN_PROTO_SECAGG_MSG_H
#define CRN_PROTO_SECAGG_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "crypto/crypto.h"
#include "crypto/shamir.h"

/* Message types: the values of cairn.MsgType. */
#define CRN_SA_MSG_ADVERTISE       20u
#define CRN_SA_MSG_ROSTER          21u
#define CRN_SA_MSG_SHARE_KEYS      22u
#define CRN_SA_MSG_SHARES_FWD      23u
#define CRN_SA_MSG_MASKED_INPUT    24u
#define CRN_SA_MSG_CONSISTENCY_REQ 25u
#define CRN_SA_MSG_CONSISTENCY_SIG 26u
#define CRN_SA_MSG_UNMASK_REQ      27u
#define CRN_SA_MSG_UNMASK          28u
#define CRN_SA_MSG_ABORT           29u
#define CRN_SA_MSG_SEED_REVEAL     30u
#define CRN_SA_MSG_GRAPH_SEEDS     31u
/* Every secure-aggregation message type lies in this range. */
#define CRN_SA_MSG_FIRST CRN_SA_MSG_ADVERTISE
#define CRN_SA_MSG_LAST  CRN_SA_MSG_GRAPH_SEEDS

/* Largest roster any decoder accepts (Shamir x coordinates are u16). */
#define CRN_SA_MAX_NODES CRN_SHAMIR_MAX_N
/* Largest vector, in elements (a 16M-element vector, as the envelope). */
#define CRN_SA_MAX_DIM (16u * 1024u * 1024u)
/* Plaintext of one encrypted share: share of b || share of the mask key. */
#define CRN_SA_SHARE_PT_LEN (2 * CRN_SHAMIR_SHARE_LEN)
#define CRN_SA_SHARE_CT_LEN (CRN_SA_SHARE_PT_LEN + CAIRN_AEAD_OVERHEAD)
#define CRN_SA_REASON_LEN   160
/* Largest certificate an advertisement may carry (DER; a cairn node
 * certificate is well under 1 KiB). */
#define CRN_SA_CERT_MAX 8192u

/* Share kinds: the values of cairn.ShareKind. */
#define CRN_SA_SHARE_SELF_MASK 1u
#define CRN_SA_SHARE_MASK_KEY  2u
/* Later rounds of a chained session: the revealer's round pairwise seed
 * with a dropped owner, in the first CAIRN_SEED_LEN bytes of `share`. */
#define CRN_SA_SHARE_ROUND_SEED 3u

/* Round 0: a node's session keys, its commitment to b and to its graph
 * seed contribution, signed by its identity key over "cairn-advertise-v2"
 * || session_id || channel_pk || mask_pk || bcommit || gcommit, and the
 * certificate that binds the identity key to a certified node (checked by
 * every node that receives the roster).
 *
 * cert is not owned by the struct, so advertisements copy by value: it
 * points into the roster's certificate buffer (crn_sa_roster.certs), into
 * a copy that crn_sa_advertise_decode made (released with
 * crn_sa_advertise_fini), or at the node's own certificate. */
typedef struct crn_sa_advertise {
	uint8_t identity[CAIRN_SIGN_PK_LEN];
	uint8_t channel_pk[CAIRN_KX_PK_LEN];
	uint8_t mask_pk[CAIRN_KX_PK_LEN];
	uint8_t bcommit[CAIRN_KEY_LEN]; /* KDF(b, session, "self-commit") */
	uint8_t gcommit[CAIRN_KEY_LEN]; /* BLAKE2b-256 keyed by the session over "cairn-graph-commit" || r */
	uint8_t sig[CAIRN_SIG_LEN];
	const uint8_t *cert; /* cert_len bytes, at most CRN_SA_CERT_MAX */
	size_t cert_len;
} crn_sa_advertise;

typedef struct crn_sa_params {
	uint8_t session_id[CAIRN_SESSION_ID_LEN];
	uint32_t threshold; /* t */
	uint32_t ring_bits; /* 32, 64 or 128 */
	uint64_t dim;       /* elements */
	uint32_t degree;    /* 0 (or >= n-1) = complete graph */
	/* Not on the wire: derived from the revealed contributions once the
	 * reveal round is over (crn_sa_graph_seed). */
	uint8_t graph_seed[32];
} crn_sa_params;

/* Participants in index order: index = position + 1.  A decoded roster
 * owns `certs`, the buffer every parts[i].cert points into; a roster the
 * coordinator builds leaves it NULL (the certificates stay with its
 * per-slot advertisements). */
typedef struct crn_sa_roster {
	crn_sa_params params;
	crn_sa_advertise *parts; /* owned, n entries */
	uint32_t n;
	uint8_t *certs; /* owned, certs_len bytes, or NULL */
	size_t certs_len;
} crn_sa_roster;

typedef struct crn_sa_encshare {
	uint32_t from, to;
	uint8_t ct[CRN_SA_SHARE_CT_LEN];
	/* ShareKeys only: the dealer's commitments to the two shares inside
	 * (crn_sa_share_commit); zero and not on the wire when forwarded. */
	uint8_t cb[CAIRN_KEY_LEN], csk[CAIRN_KEY_LEN];
} crn_sa_encshare;

/* The reveal round output: every participant's graph seed contribution,
 * in roster order. */
typedef struct crn_sa_seeds {
	uint8_t (*r)[CAIRN_KEY_LEN]; /* owned, n entries */
	uint32_t n;
} crn_sa_seeds;

/* ShareKeys (node -> coordinator) and ForwardedShares (the other way). */
typedef struct crn_sa_shares {
	crn_sa_encshare *v; /* owned, count entries */
	uint32_t count;
} crn_sa_shares;

typedef struct crn_sa_masked {
	uint32_t ring_bits;
	uint64_t dim;
	uint8_t *data; /* owned, dim * ring_bits / 8 bytes, LE */
	size_t len;
} crn_sa_masked;

/* ConsistencyRequest: strictly increasing survivor indices. */
typedef struct crn_sa_survivors {
	uint32_t *idx; /* owned */
	uint32_t count;
} crn_sa_survivors;

typedef struct crn_sa_signed {
	uint32_t index;
	uint8_t sig[CAIRN_SIG_LEN];
} crn_sa_signed;

typedef struct crn_sa_unmask_req {
	crn_sa_survivors surv;
	crn_sa_signed *sigs; /* owned */
	uint32_t nsigs;
} crn_sa_unmask_req;

typedef struct crn_sa_revealed {
	uint32_t owner;
	uint32_t kind; /* CRN_SA_SHARE_* */
	uint8_t share[CRN_SHAMIR_SHARE_LEN];
} crn_sa_revealed;

typedef struct crn_sa_unmask {
	crn_sa_revealed *v; /* owned */
	uint32_t count;
} crn_sa_unmask;

typedef struct crn_sa_abort {
	int32_t code;                   /* cairn_err */
	char reason[CRN_SA_REASON_LEN]; /* NUL-terminated, printable ASCII */
	uint32_t needed, answered;
} crn_sa_abort;

/* Release what each struct owns; safe on zeroed storage.  The survivor
 * and share lists hold no secrets; revealed shares are wiped. */
void crn_sa_roster_fini(crn_sa_roster *r);
/* Frees the certificate copy crn_sa_advertise_decode made; only for
 * advertisements from that decoder. */
void crn_sa_advertise_fini(crn_sa_advertise *a);
void crn_sa_shares_fini(crn_sa_shares *s);
void crn_sa_masked_fini(crn_sa_masked *m);
void crn_sa_survivors_fini(crn_sa_survivors *s);
void crn_sa_unmask_req_fini(crn_sa_unmask_req *r);
void crn_sa_unmask_fini(crn_sa_unmask *u);
void crn_sa_seeds_fini(crn_sa_seeds *s);

#endif /* CRN_PROTO_SECAGG_MSG_H */
