/*
 * secagg_node.c — the node side of secure aggregation, and the helpers
 * both machines share (action lists, to-be-signed encodings, key and mask
 * derivations).
 *
 * A node u goes through: advertise its two X25519 key pairs (round 0);
 * check the roster, split its self-mask seed b and its mask secret key
 * t-of-n and encrypt one share of each to every neighbour (round 1); mask
 * its input with PRG(b) and the pairwise masks of the neighbours whose
 * shares reached it (round 2); sign the survivor set (round 3); and, after
 * checking that at least t survivors signed the very set it signed, reveal
 * for each neighbour either the share of b (survivor) or of the mask key
 * (dropped), never both (round 4).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/crn.h"
#include "crypto/crypto.h"
#include "crypto/prg.h"
#include "crypto/shamir.h"
#include "proto/codec_secagg.h"
#include "secagg/graph.h"
#include "secagg/secagg.h"

/* ---- action lists ------------------------------------------------------- */

void
crn_sa_actions_init(crn_sa_actions *a)
{
	memset(a, 0, sizeof(*a));
}

void
crn_sa_actions_clear(crn_sa_actions *a)
{
	for (size_t i = 0; i < a->count; i++) {
		crn_sa_action *x = &a->v[i];

		/* The coordinator's DONE sum is not secret, but a buffer
		 * that once held one is cheap to wipe. */
		crn_freezero(x->data, x->len);
		crn_free(x->to_many, x->n_many * sizeof(*x->to_many));
	}
	a->count = 0;
}

void
crn_sa_actions_fini(crn_sa_actions *a)
{
	if (a == NULL)
		return;
	crn_sa_actions_clear(a);
	crn_free(a->v, a->cap * sizeof(*a->v));
	memset(a, 0, sizeof(*a));
}

static crn_sa_action *
act_push(crn_sa_actions *a)
{
	crn_sa_action *x;

	if (a->count == a->cap) {
		size_t ncap = a->cap ? a->cap * 2 : 8;
		crn_sa_action *nv = crn_realloc(
		    a->v, a->cap * sizeof(*a->v), ncap * sizeof(*a->v));

		if (nv == NULL)
			return NULL;
		a->v = nv;
		a->cap = ncap;
	}
	x = &a->v[a->count++];
	memset(x, 0, sizeof(*x));
	return x;
}

cairn_err
crn_sa_act_send(crn_sa_actions *a, uint32_t type, uint32_t to,
    uint32_t *to_many, size_t n_many, uint8_t *data, size_t len)
{
	crn_sa_action *x = act_push(a);

	if (x == NULL)
		return CAIRN_ENOMEM;
	x->kind = CRN_SA_ACT_SEND;
	x->type = type;
	x->to = to;
	x->to_many = to_many;
	x->n_many = n_many;
	x->data = data;
	x->len = len;
	return CAIRN_OK;
}

cairn_err
crn_sa_act_done(crn_sa_actions *a, uint8_t *data, size_t len)
{
	crn_sa_action *x = act_push(a);

	if (x == NULL)
		return CAIRN_ENOMEM;
	x->kind = CRN_SA_ACT_DONE;
	x->data = data;
	x->len = len;
	return CAIRN_OK;
}

void
crn_sa_abort_fill(crn_sa_abort *ab, cairn_err code, uint32_t needed,
    uint32_t answered, const char *fmt, ...)
{
	va_list ap;

	memset(ab, 0, sizeof(*ab));
	ab->code = (int32_t)code;
	ab->needed = needed;
	ab->answered = answered;
	va_start(ap, fmt);
	vsnprintf(ab->reason, sizeof(ab->reason), fmt, ap);
	va_end(ap);
}

cairn_err
crn_sa_act_abort(crn_sa_actions *a, const crn_sa_abort *ab)
{
	crn_sa_action *x = act_push(a);

	if (x == NULL)
		return CAIRN_ENOMEM;
	x->kind = CRN_SA_ACT_ABORT;
	x->abort = *ab;
	return CAIRN_OK;
}

/* ---- shared derivations ------------------------------------------------- */

static void
put_u32be(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

#define ADV_LABEL "cairn-advertise-v1"
#define ADV_TBS_LEN                                                            \
	(sizeof(ADV_LABEL) - 1 + CAIRN_SESSION_ID_LEN + CAIRN_KX_PK_LEN +      \
	    CAIRN_KX_PK_LEN + CAIRN_KEY_LEN)

static void
adv_tbs(uint8_t out[ADV_TBS_LEN], const uint8_t sid[CAIRN_SESSION_ID_LEN],
    const crn_sa_advertise *a)
{
	size_t o = 0;

	memcpy(out, ADV_LABEL, sizeof(ADV_LABEL) - 1);
	o += sizeof(ADV_LABEL) - 1;
	memcpy(out + o, sid, CAIRN_SESSION_ID_LEN);
	o += CAIRN_SESSION_ID_LEN;
	memcpy(out + o, a->channel_pk, CAIRN_KX_PK_LEN);
	o += CAIRN_KX_PK_LEN;
	memcpy(out + o, a->mask_pk, CAIRN_KX_PK_LEN);
	o += CAIRN_KX_PK_LEN;
	memcpy(out + o, a->bcommit, CAIRN_KEY_LEN);
}

cairn_err
crn_sa_self_commit(uint8_t out[CAIRN_KEY_LEN], const uint8_t b[CAIRN_SEED_LEN],
    const uint8_t sid[CAIRN_SESSION_ID_LEN])
{
	return crn_kdf(
	    out, CAIRN_KEY_LEN, b, CAIRN_SEED_LEN, sid, "self-commit", 0);
}

cairn_err
crn_sa_advertise_verify(
    const crn_sa_advertise *a, const uint8_t sid[CAIRN_SESSION_ID_LEN])
{
	uint8_t tbs[ADV_TBS_LEN];

	adv_tbs(tbs, sid, a);
	return crn_sign_verify(a->identity, tbs, sizeof(tbs), a->sig);
}

#define CONS_LABEL "cairn-consistency-v1"

cairn_err
crn_sa_consistency_tbs(uint8_t **out, size_t *out_len,
    const uint8_t session_id[CAIRN_SESSION_ID_LEN], const uint32_t *idx,
    uint32_t count)
{
	size_t n = sizeof(CONS_LABEL) - 1 + CAIRN_SESSION_ID_LEN + 4 +
	    4 * (size_t)count;
	uint8_t *b;
	size_t o = 0;

	*out = NULL;
	*out_len = 0;
	if ((b = crn_alloc(n)) == NULL)
		return CAIRN_ENOMEM;
	memcpy(b, CONS_LABEL, sizeof(CONS_LABEL) - 1);
	o += sizeof(CONS_LABEL) - 1;
	memcpy(b + o, session_id, CAIRN_SESSION_ID_LEN);
	o += CAIRN_SESSION_ID_LEN;
	put_u32be(b + o, count);
	o += 4;
	for (uint32_t i = 0; i < count; i++, o += 4)
		put_u32be(b + o, idx[i]);
	*out = b;
	*out_len = n;
	return CAIRN_OK;
}

cairn_err
crn_sa_mask_seed(uint8_t seed[CAIRN_SEED_LEN],
    const uint8_t sk[CAIRN_KX_SK_LEN], const uint8_t peer_pk[CAIRN_KX_PK_LEN],
    const uint8_t sid[CAIRN_SESSION_ID_LEN])
{
	uint8_t shared[CAIRN_KEY_LEN];
	cairn_err rv;

	if ((rv = crn_kx_agree(shared, sk, peer_pk)) != CAIRN_OK)
		goto out;
	rv = crn_kdf(
	    seed, CAIRN_SEED_LEN, shared, sizeof(shared), sid, "mask", 0);
out:
	cairn_memzero(shared, sizeof(shared));
	return rv;
}

/* Every participant's advertised keys, in roster order, fix the seed: the
 * coordinator can choose neither the graph nor the order once the
 * participant set is known (the order is by identity key). */
#define GSEED_ENTRY (CAIRN_SIGN_PK_LEN + 2 * CAIRN_KX_PK_LEN + CAIRN_KEY_LEN)

cairn_err
crn_sa_graph_seed(uint8_t seed[32], const uint8_t sid[CAIRN_SESSION_ID_LEN],
    const crn_sa_advertise *parts, uint32_t n)
{
	size_t len = (size_t)n * GSEED_ENTRY;
	uint8_t *ikm;
	cairn_err rv;

	if (n == 0)
		return CAIRN_EINVAL;
	if ((ikm = crn_alloc(len)) == NULL)
		return CAIRN_ENOMEM;
	for (uint32_t i = 0; i < n; i++) {
		uint8_t *e = ikm + (size_t)i * GSEED_ENTRY;

		memcpy(e, parts[i].identity, CAIRN_SIGN_PK_LEN);
		e += CAIRN_SIGN_PK_LEN;
		memcpy(e, parts[i].channel_pk, CAIRN_KX_PK_LEN);
		e += CAIRN_KX_PK_LEN;
		memcpy(e, parts[i].mask_pk, CAIRN_KX_PK_LEN);
		e += CAIRN_KX_PK_LEN;
		memcpy(e, parts[i].bcommit, CAIRN_KEY_LEN);
	}
	rv = crn_kdf(seed, 32, ikm, len, sid, "graph-seed", n);
	crn_free(ikm, len);
	return rv;
}

/* The AEAD binds each share ciphertext to its direction: a ciphertext
 * from u to v cannot be replayed as one from v to u, or to anyone else. */
static void
share_ad(uint8_t ad[CRN_SA_SHARE_AD_LEN],
    const uint8_t sid[CAIRN_SESSION_ID_LEN], uint32_t from, uint32_t to)
{
	memcpy(ad, "cairn-share-v1", 14);
	memcpy(ad + 14, sid, CAIRN_SESSION_ID_LEN);
	put_u32be(ad + 14 + CAIRN_SESSION_ID_LEN, from);
	put_u32be(ad + 18 + CAIRN_SESSION_ID_LEN, to);
}

/* ---- the node ----------------------------------------------------------- */

enum node_state {
	N_INIT = 0,
	N_WAIT_ROSTER,
	N_WAIT_SHARES,
	N_WAIT_CONSISTENCY,
	N_WAIT_UNMASK,
	N_DONE,
	N_ABORTED,
};

/* What a node holds about one neighbour. */
typedef struct nb_state {
	uint32_t index;
	bool have;         /* its shares reached us (it is in our U1) */
	uint32_t revealed; /* CRN_SA_SHARE_* once revealed, else 0 */
	uint8_t key[CAIRN_KEY_LEN]; /* share-encryption key with it */
	crn_shamir_share sb;        /* our share of its b */
	crn_shamir_share ssk;       /* our share of its mask secret key */
} nb_state;

struct crn_sa_node {
	enum node_state state;
	const crn_identity *id;
	uint8_t my_pk[CAIRN_SIGN_PK_LEN];
	uint8_t sid[CAIRN_SESSION_ID_LEN];
	uint32_t ring_bits;
	uint64_t dim;
	uint32_t min_participants;
	crn_drbg rng;
	crn_kx_keypair ch, mk;
	uint8_t b[CAIRN_SEED_LEN];
	const void *input;

	crn_sa_roster roster;
	uint32_t me;
	uint32_t t;
	nb_state *nb;       /* sorted by index */
	size_t nnb, nb_cap; /* used, allocated */
	const uint8_t *cert;
	size_t cert_len;
	cairn_err (*verify_peer)(void *, const uint8_t *, size_t, uint8_t *);
	void *verify_arg;
	double corrupt_frac, dropout_frac;
	bool malicious;
	crn_shamir_share self_sb, self_ssk;
	crn_sa_survivors u2; /* the set we signed */
};

cairn_err
crn_sa_node_new(crn_sa_node **out, const crn_sa_node_cfg *cfg)
{
	crn_sa_node *n;

	*out = NULL;
	if (cfg->id == NULL ||
	    (cfg->ring_bits != 32 && cfg->ring_bits != 64 &&
	        cfg->ring_bits != 128) ||
	    cfg->dim == 0 || cfg->dim > CRN_SA_MAX_DIM ||
	    cfg->verify_peer == NULL)
		return CAIRN_EINVAL;
	if ((n = crn_zalloc(sizeof(*n))) == NULL)
		return CAIRN_ENOMEM;
	n->id = cfg->id;
	crn_identity_public(cfg->id, n->my_pk);
	memcpy(n->sid, cfg->session_id, sizeof(n->sid));
	n->ring_bits = cfg->ring_bits;
	n->dim = cfg->dim;
	n->min_participants =
	    cfg->min_participants < 2 ? 2 : cfg->min_participants;
	n->cert = cfg->cert;
	n->cert_len = cfg->cert_len;
	n->verify_peer = cfg->verify_peer;
	n->verify_arg = cfg->verify_arg;
	n->corrupt_frac = cfg->corrupt_frac > 0 ? cfg->corrupt_frac : 0.05;
	n->dropout_frac = cfg->dropout_frac > 0 ? cfg->dropout_frac : 0.05;
	n->malicious = cfg->malicious;
	crn_drbg_init(&n->rng, cfg->seed);
	n->state = N_INIT;
	*out = n;
	return CAIRN_OK;
}

void
crn_sa_node_free(crn_sa_node *n)
{
	if (n == NULL)
		return;
	crn_sa_roster_fini(&n->roster);
	crn_freezero(n->nb, n->nb_cap * sizeof(*n->nb));
	crn_sa_survivors_fini(&n->u2);
	crn_drbg_fini(&n->rng);
	crn_freezero(n, sizeof(*n));
}

void
crn_sa_node_set_input(crn_sa_node *n, const void *vec)
{
	n->input = vec;
}

uint32_t
crn_sa_node_index(const crn_sa_node *n)
{
	return n->state >= N_WAIT_SHARES ? n->me : 0;
}

bool
crn_sa_node_done(const crn_sa_node *n)
{
	return n->state == N_DONE;
}

/*
 * Refuse: move to ABORTED, tell the coordinator why (best effort) and
 * report the abort locally.  Returns code so callers can `return fail()`.
 */
static cairn_err
node_fail(crn_sa_node *n, crn_sa_actions *out, cairn_err code, uint32_t needed,
    uint32_t answered, const char *why)
{
	crn_sa_abort ab;
	uint8_t *buf = NULL;
	size_t len = 0;

	crn_log_warn("secagg node %u refuses: %s (%s)", n->me, why,
	    cairn_strerror(code));
	n->state = N_ABORTED;
	crn_sa_abort_fill(
	    &ab, code, needed, answered, "node %u: %s", n->me, why);
	if (crn_sa_abort_encode(&buf, &len, &ab) == CAIRN_OK &&
	    crn_sa_act_send(out, CRN_SA_MSG_ABORT, 0, NULL, 0, buf, len) !=
	        CAIRN_OK)
		crn_free(buf, len);
	(void)crn_sa_act_abort(out, &ab);
	return code;
}

cairn_err
crn_sa_node_start(crn_sa_node *n, crn_sa_actions *out)
{
	crn_sa_advertise adv;
	uint8_t seed[CAIRN_SEED_LEN];
	uint8_t tbs[ADV_TBS_LEN];
	uint8_t *buf = NULL;
	size_t len = 0;
	cairn_err rv = CAIRN_EINTERNAL;

	if (n->state != N_INIT)
		return CAIRN_ESTATE;
	crn_drbg_bytes(&n->rng, seed, sizeof(seed));
	crn_kx_keypair_from_seed(&n->ch, seed);
	crn_drbg_bytes(&n->rng, seed, sizeof(seed));
	crn_kx_keypair_from_seed(&n->mk, seed);
	crn_drbg_bytes(&n->rng, n->b, sizeof(n->b));

	memcpy(adv.identity, n->my_pk, sizeof(adv.identity));
	adv.cert = n->cert;
	adv.cert_len = n->cert_len;
	memcpy(adv.channel_pk, n->ch.pk, sizeof(adv.channel_pk));
	memcpy(adv.mask_pk, n->mk.pk, sizeof(adv.mask_pk));
	if ((rv = crn_sa_self_commit(adv.bcommit, n->b, n->sid)) != CAIRN_OK)
		goto out;
	adv_tbs(tbs, n->sid, &adv);
	if ((rv = crn_identity_sign(n->id, tbs, sizeof(tbs), adv.sig)) !=
	    CAIRN_OK)
		goto out;
	if ((rv = crn_sa_advertise_encode(&buf, &len, &adv)) != CAIRN_OK)
		goto out;
	if ((rv = crn_sa_act_send(
	         out, CRN_SA_MSG_ADVERTISE, 0, NULL, 0, buf, len)) != CAIRN_OK)
		goto out;
	buf = NULL;
	n->state = N_WAIT_ROSTER;
out:
	crn_free(buf, len);
	cairn_memzero(seed, sizeof(seed));
	return rv;
}

static cairn_err
check_cert(crn_sa_node *n, const crn_sa_advertise *p, const char **why)
{
	uint8_t pk[CAIRN_SIGN_PK_LEN];

	if (n->verify_peer(n->verify_arg, p->cert, p->cert_len, pk) !=
	    CAIRN_OK) {
		*why = "a roster entry has no valid node certificate";
		return CAIRN_EAUTH;
	}
	if (memcmp(pk, p->identity, CAIRN_SIGN_PK_LEN) != 0) {
		*why = "a roster certificate certifies another key";
		return CAIRN_EAUTH;
	}
	return CAIRN_OK;
}

/*
 * Roster entries must carry certificates that certify exactly the
 * identities they advertise, or a coordinator could pad the roster with
 * identities of its own making and then hold enough shares to unmask us.
 * Which entries we check:
 *  - every neighbour: they receive our shares, their signatures count in
 *    the consistency round, and their masks are the ones that hide our
 *    input;
 *  - then, in roster order, further entries until min_participants
 *    distinct certified identities (ourselves included) are known — the
 *    roster is strictly sorted, so they are distinct.
 * An uncertified entry elsewhere cannot touch our input: it shares no
 * mask with us and an honest node it neighbours refuses it in turn.
 * With the complete graph everyone is a neighbour, so everyone is
 * checked; with the sparse graph the cost stays O(k + min_participants)
 * instead of O(n) signature checks (38 ms a node at n = 1,000).
 */
static cairn_err
check_certs(crn_sa_node *n, const crn_sa_roster *r, const uint32_t *nbidx,
    size_t nnb, const char **why)
{
	size_t known = 1 + nnb, j = 0;
	cairn_err rv;

	for (size_t i = 0; i < nnb; i++) {
		if ((rv = check_cert(n, &r->parts[nbidx[i] - 1], why)) !=
		    CAIRN_OK)
			return rv;
	}
	for (uint32_t x = 1; x <= r->n && known < n->min_participants; x++) {
		while (j < nnb && nbidx[j] < x)
			j++; /* nbidx is sorted */
		if (x == n->me || (j < nnb && nbidx[j] == x))
			continue;
		if ((rv = check_cert(n, &r->parts[x - 1], why)) != CAIRN_OK)
			return rv;
		known++;
	}
	return CAIRN_OK;
}

/*
 * The graph parameters must meet our own policy, whatever the coordinator
 * chose: a sparse graph at least as dense, and a threshold at least as
 * high, as crn_graph_choose gives for our assumed fractions; and t large
 * enough that two disjoint sets of t signers cannot exist within a
 * neighbourhood of k + 1 (2t > k + 1; 3t > 2k against a lying
 * coordinator, 3t > 2n on the complete graph).
 */
static bool
params_ok(const crn_sa_node *n, uint32_t nodes, uint32_t degree, uint32_t t,
    size_t k, bool sparse)
{
	crn_graph_params gp;

	if (t < 2 || 2 * (uint64_t)t <= k + 1 || t > k + 1)
		return false;
	if (!sparse)
		return !n->malicious || 3 * (uint64_t)t > 2 * (uint64_t)nodes;
	if (n->malicious && 3 * (uint64_t)t <= 2 * (uint64_t)k)
		return false;
	if (nodes < 3 ||
	    crn_graph_choose_ex(&gp, nodes, n->corrupt_frac, n->dropout_frac, 1,
	        n->malicious) != CAIRN_OK)
		return false;
	/* Our policy wants the complete graph for this size. */
	if (gp.degree == 0 || gp.degree >= nodes - 1)
		return false;
	return degree >= gp.degree && t >= gp.threshold;
}

static nb_state *
nb_find(crn_sa_node *n, uint32_t index)
{
	size_t lo = 0, hi = n->nnb;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (n->nb[mid].index == index)
			return &n->nb[mid];
		if (n->nb[mid].index < index)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* Round 1: check the roster against our policy and what we advertised,
 * then share b and the mask key with our neighbours. */
static cairn_err
on_roster(crn_sa_node *n, const uint8_t *msg, size_t len, crn_sa_actions *out)
{
	crn_sa_roster *r = &n->roster;
	const char *why = NULL;
	uint8_t gseed[32];
	crn_graph *g = NULL;
	uint32_t *nbidx = NULL;
	crn_shamir_share *sb = NULL, *ssk = NULL;
	crn_sa_shares sh = {NULL, 0};
	uint8_t chkey[CAIRN_KEY_LEN];
	uint8_t pt[CRN_SA_SHARE_PT_LEN], ad[CRN_SA_SHARE_AD_LEN];
	uint8_t *buf = NULL;
	size_t cnt = 0, blen = 0, nsh = 0, deg = 0;
	bool sparse;
	cairn_err rv = CAIRN_EINTERNAL;

	if ((rv = crn_sa_roster_decode(r, msg, len)) != CAIRN_OK)
		return node_fail(n, out, rv, 0, 0, "undecodable roster");
	if (memcmp(r->params.session_id, n->sid, CAIRN_SESSION_ID_LEN) != 0 ||
	    r->params.ring_bits != n->ring_bits || r->params.dim != n->dim)
		return node_fail(n, out, CAIRN_EPROTO, 0, 0,
		    "roster is for another session or vector shape");
	if (r->n < n->min_participants)
		return node_fail(n, out, CAIRN_EPERM, n->min_participants, r->n,
		    "too few participants");
	/* Strictly increasing identity keys: the order (and so every Shamir
	 * x coordinate and the graph) follows from the participant set
	 * alone, and no identity can appear twice. */
	for (uint32_t i = 1; i < r->n; i++)
		if (memcmp(r->parts[i - 1].identity, r->parts[i].identity,
		        CAIRN_SIGN_PK_LEN) >= 0)
			return node_fail(n, out, CAIRN_EPERM, 0, 0,
			    "roster not sorted by identity, or an identity "
			    "repeats");
	n->me = 0;
	for (uint32_t i = 0; i < r->n; i++)
		if (memcmp(r->parts[i].identity, n->my_pk, CAIRN_SIGN_PK_LEN) ==
		    0)
			n->me = i + 1;
	if (n->me == 0 ||
	    memcmp(r->parts[n->me - 1].channel_pk, n->ch.pk, CAIRN_KX_PK_LEN) !=
	        0 ||
	    memcmp(r->parts[n->me - 1].mask_pk, n->mk.pk, CAIRN_KX_PK_LEN) !=
	        0) {
		n->me = 0;
		rv = node_fail(n, out, CAIRN_EPROTO, 0, 0,
		    "roster lacks our advertised keys");
		goto out;
	}
	if ((rv = crn_sa_graph_seed(gseed, n->sid, r->parts, r->n)) != CAIRN_OK)
		goto out;
	if (memcmp(gseed, r->params.graph_seed, sizeof(gseed)) != 0) {
		rv = node_fail(n, out, CAIRN_EPROTO, 0, 0,
		    "graph seed is not the one the roster fixes");
		goto out;
	}
	sparse = r->params.degree != 0 && r->params.degree < r->n - 1;
	if ((rv = crn_graph_new(&g, gseed, r->n, r->params.degree)) !=
	    CAIRN_OK) {
		rv = node_fail(n, out, rv, 0, 0, "bad neighbour graph");
		goto out;
	}
	deg = crn_graph_degree(g);
	if ((nbidx = crn_alloc(deg * sizeof(*nbidx))) == NULL ||
	    (n->nb = crn_zalloc(deg * sizeof(*n->nb))) == NULL) {
		rv = CAIRN_ENOMEM;
		goto out;
	}
	n->nb_cap = deg;
	if ((rv = crn_graph_neighbours_of(g, n->me, nbidx, deg, &cnt)) !=
	    CAIRN_OK)
		goto out;
	n->nnb = cnt;
	n->t = r->params.threshold;
	if (!params_ok(n, r->n, r->params.degree, n->t, n->nnb, sparse)) {
		rv = node_fail(n, out, CAIRN_EPERM, (uint32_t)(n->nnb / 2 + 1),
		    n->t, "graph degree or threshold below our policy");
		goto out;
	}
	if ((rv = check_certs(n, r, nbidx, n->nnb, &why)) != CAIRN_OK) {
		n->me = 0; /* the roster was not accepted */
		rv = node_fail(n, out, rv, 0, 0, why);
		goto out;
	}
	/* Verify the keys of everyone whose keys we use.  With the sparse
	 * graph that is our neighbours only: per-node cost stays O(k). */
	for (size_t i = 0; i < n->nnb; i++) {
		n->nb[i].index = nbidx[i];
		if (crn_sa_advertise_verify(&r->parts[nbidx[i] - 1], n->sid) !=
		    CAIRN_OK) {
			rv = node_fail(n, out, CAIRN_EAUTH, 0, 0,
			    "bad advertise signature in roster");
			goto out;
		}
	}
	if (!sparse)
		for (uint32_t i = 0; i < r->n; i++)
			if (i + 1 != n->me && nb_find(n, i + 1) == NULL) {
				rv = node_fail(n, out, CAIRN_EPROTO, 0, 0,
				    "complete graph is not complete");
				goto out;
			}

	/* Shares for x = 1..n; only ours and our neighbours' leave here. */
	sb = crn_alloc((size_t)r->n * sizeof(*sb));
	ssk = crn_alloc((size_t)r->n * sizeof(*ssk));
	sh.v = crn_alloc(n->nnb * sizeof(*sh.v));
	if (sb == NULL || ssk == NULL || sh.v == NULL) {
		rv = CAIRN_ENOMEM;
		goto out;
	}
	if ((rv = crn_shamir_split(sb, r->n, n->t, n->b, &n->rng)) !=
	        CAIRN_OK ||
	    (rv = crn_shamir_split(ssk, r->n, n->t, n->mk.sk, &n->rng)) !=
	        CAIRN_OK)
		goto out;
	n->self_sb = sb[n->me - 1];
	n->self_ssk = ssk[n->me - 1];
	for (size_t i = 0; i < n->nnb; i++) {
		uint32_t v = n->nb[i].index;
		const crn_sa_advertise *pv = &r->parts[v - 1];

		if ((rv = crn_kx_agree(chkey, n->ch.sk, pv->channel_pk)) !=
		    CAIRN_OK) {
			rv = node_fail(
			    n, out, rv, 0, 0, "bad channel key in roster");
			goto out;
		}
		/* Kept for decrypting its shares in the next round: one
		 * X25519 per neighbour instead of two. */
		if ((rv = crn_kdf(n->nb[i].key, sizeof(n->nb[i].key), chkey,
		         sizeof(chkey), n->sid, "share", 0)) != CAIRN_OK)
			goto out;
		crn_shamir_share_encode(pt, &sb[v - 1]);
		crn_shamir_share_encode(pt + CRN_SHAMIR_SHARE_LEN, &ssk[v - 1]);
		share_ad(ad, n->sid, n->me, v);
		sh.v[nsh].from = n->me;
		sh.v[nsh].to = v;
		if ((rv = crn_aead_seal(sh.v[nsh].ct, pt, sizeof(pt), ad,
		         sizeof(ad), n->nb[i].key)) != CAIRN_OK)
			goto out;
		nsh++;
	}
	sh.count = (uint32_t)nsh;
	if ((rv = crn_sa_shares_encode(
	         &buf, &blen, CRN_SA_MSG_SHARE_KEYS, &sh)) != CAIRN_OK)
		goto out;
	if ((rv = crn_sa_act_send(out, CRN_SA_MSG_SHARE_KEYS, 0, NULL, 0, buf,
	         blen)) != CAIRN_OK)
		goto out;
	buf = NULL;
	n->state = N_WAIT_SHARES;
	rv = CAIRN_OK;
out:
	if (rv != CAIRN_OK && n->state != N_ABORTED)
		(void)node_fail(n, out, rv, 0, 0, "cannot share keys");
	crn_free(buf, blen);
	crn_graph_free(g);
	crn_free(nbidx, deg * sizeof(*nbidx));
	crn_freezero(sb, (size_t)r->n * sizeof(*sb));
	crn_freezero(ssk, (size_t)r->n * sizeof(*ssk));
	crn_sa_shares_fini(&sh);
	cairn_memzero(chkey, sizeof(chkey));
	cairn_memzero(pt, sizeof(pt));
	return rv;
}

/* Round 2: take the shares our neighbours sent, then mask the input with
 * PRG(b) and the pairwise masks of exactly those neighbours. */
static cairn_err
on_shares(crn_sa_node *n, const uint8_t *msg, size_t len, crn_sa_actions *out)
{
	crn_sa_shares sh = {NULL, 0};
	uint8_t seed[CAIRN_SEED_LEN];
	uint8_t pt[CRN_SA_SHARE_PT_LEN], ad[CRN_SA_SHARE_AD_LEN];
	uint8_t *y = NULL, *buf = NULL;
	size_t ylen = 0, blen = 0;
	uint32_t got = 0;
	cairn_err rv = CAIRN_EINTERNAL;

	if (n->input == NULL)
		return CAIRN_ESTATE;
	if ((rv = crn_sa_shares_decode(&sh, CRN_SA_MSG_SHARES_FWD, msg, len)) !=
	    CAIRN_OK)
		return node_fail(n, out, rv, 0, 0, "undecodable shares");
	for (uint32_t i = 0; i < sh.count; i++) {
		const crn_sa_encshare *e = &sh.v[i];
		nb_state *p = nb_find(n, e->from);
		crn_shamir_share a, b;

		if (e->to != n->me || p == NULL || p->have) {
			rv = node_fail(n, out, CAIRN_EPROTO, 0, 0,
			    "forwarded share from a non-neighbour, "
			    "misaddressed or repeated");
			goto out;
		}
		share_ad(ad, n->sid, e->from, n->me);
		if (crn_aead_open(pt, e->ct, sizeof(e->ct), ad, sizeof(ad),
		        p->key) != CAIRN_OK ||
		    crn_shamir_share_decode(&a, pt) != CAIRN_OK ||
		    crn_shamir_share_decode(&b, pt + CRN_SHAMIR_SHARE_LEN) !=
		        CAIRN_OK ||
		    a.x != n->me || b.x != n->me) {
			cairn_memzero(&a, sizeof(a));
			cairn_memzero(&b, sizeof(b));
			rv = node_fail(n, out, CAIRN_EAUTH, 0, 0,
			    "a neighbour's share does not decrypt");
			goto out;
		}
		p->sb = a;
		p->ssk = b;
		p->have = true;
		got++;
		cairn_memzero(&a, sizeof(a));
		cairn_memzero(&b, sizeof(b));
	}
	if (got + 1 < n->t) {
		rv = node_fail(n, out, CAIRN_EABORT, n->t, got + 1,
		    "too few neighbours shared keys");
		goto out;
	}

	ylen = (size_t)n->dim * (n->ring_bits / 8);
	if ((y = crn_alloc(ylen)) == NULL) {
		rv = CAIRN_ENOMEM;
		goto out;
	}
	memcpy(y, n->input, ylen);
	if ((rv = crn_prg_add(y, n->dim, n->ring_bits, n->b, 0)) != CAIRN_OK)
		goto out;
	/* y = x + PRG(b) + sum_{v<u} PRG(s_uv) - sum_{v>u} PRG(s_uv): the
	 * pairwise terms cancel in the sum over any set closed under the
	 * neighbour relation. */
	for (size_t i = 0; i < n->nnb; i++) {
		const nb_state *p = &n->nb[i];

		if (!p->have)
			continue;
		if ((rv = crn_sa_mask_seed(seed, n->mk.sk,
		         n->roster.parts[p->index - 1].mask_pk, n->sid)) !=
		    CAIRN_OK)
			goto out;
		if ((rv = crn_prg_add(y, n->dim, n->ring_bits, seed,
		         p->index > n->me)) != CAIRN_OK)
			goto out;
	}
	if ((rv = crn_sa_masked_encode(&buf, &blen, n->ring_bits, n->dim, y)) !=
	    CAIRN_OK)
		goto out;
	if ((rv = crn_sa_act_send(out, CRN_SA_MSG_MASKED_INPUT, 0, NULL, 0, buf,
	         blen)) != CAIRN_OK)
		goto out;
	buf = NULL;
	n->input = NULL;
	/* The node's own secrets have done their work: from here on it
	 * only holds shares, so wipe b and both secret keys now rather than
	 * at free. */
	cairn_memzero(n->b, sizeof(n->b));
	cairn_memzero(&n->mk, sizeof(n->mk));
	cairn_memzero(&n->ch, sizeof(n->ch));
	n->state = N_WAIT_CONSISTENCY;
	rv = CAIRN_OK;
out:
	if (rv != CAIRN_OK && n->state != N_ABORTED)
		(void)node_fail(n, out, rv, 0, 0, "cannot mask the input");
	/* The share round is over either way: the per-neighbour share
	 * keys have nothing left to decrypt. */
	for (size_t i = 0; i < n->nnb; i++)
		cairn_memzero(n->nb[i].key, sizeof(n->nb[i].key));
	crn_free(buf, blen);
	crn_freezero(y, ylen);
	crn_sa_shares_fini(&sh);
	cairn_memzero(seed, sizeof(seed));
	cairn_memzero(pt, sizeof(pt));
	return rv;
}

static bool
surv_has(const crn_sa_survivors *s, uint32_t idx)
{
	size_t lo = 0, hi = s->count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->idx[mid] == idx)
			return true;
		if (s->idx[mid] < idx)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

/* The fewest survivors we sign for or unmask: max(t, min_participants). */
static uint32_t
surv_min(const crn_sa_node *n)
{
	return n->t > n->min_participants ? n->t : n->min_participants;
}

/* Round 3: sign the survivor set, once we know it is one we can unmask. */
static cairn_err
on_consistency(
    crn_sa_node *n, const uint8_t *msg, size_t len, crn_sa_actions *out)
{
	crn_sa_survivors s = {NULL, 0};
	uint8_t sig[CAIRN_SIG_LEN];
	uint8_t *tbs = NULL, *buf = NULL;
	size_t tlen = 0, blen = 0;
	cairn_err rv = CAIRN_EINTERNAL;

	if ((rv = crn_sa_survivors_decode(&s, msg, len)) != CAIRN_OK)
		return node_fail(n, out, rv, 0, 0, "undecodable survivor set");
	if (s.idx[s.count - 1] > n->roster.n || !surv_has(&s, n->me)) {
		rv = node_fail(n, out, CAIRN_EPROTO, 0, 0,
		    "survivor set names unknown nodes or not us");
		goto out;
	}
	/* Below min_participants the sum would reveal too little mixing
	 * (with one other survivor, its input and ours): refuse to sign. */
	if (s.count < surv_min(n)) {
		rv = node_fail(n, out, CAIRN_EABORT, surv_min(n), s.count,
		    "survivor set below threshold or min_participants");
		goto out;
	}
	/* A neighbour cannot have survived round 2 without sharing with us:
	 * its masked input would carry a mask we hold no share of. */
	for (uint32_t i = 0; i < s.count; i++) {
		nb_state *p = nb_find(n, s.idx[i]);

		if (p != NULL && !p->have) {
			rv = node_fail(n, out, CAIRN_EPROTO, 0, 0,
			    "survivor never shared keys with us");
			goto out;
		}
	}
	if ((rv = crn_sa_consistency_tbs(
	         &tbs, &tlen, n->sid, s.idx, s.count)) != CAIRN_OK ||
	    (rv = crn_identity_sign(n->id, tbs, tlen, sig)) != CAIRN_OK ||
	    (rv = crn_sa_consig_encode(&buf, &blen, sig)) != CAIRN_OK)
		goto out;
	if ((rv = crn_sa_act_send(out, CRN_SA_MSG_CONSISTENCY_SIG, 0, NULL, 0,
	         buf, blen)) != CAIRN_OK)
		goto out;
	buf = NULL;
	n->u2 = s;
	memset(&s, 0, sizeof(s));
	n->state = N_WAIT_UNMASK;
	rv = CAIRN_OK;
out:
	if (rv != CAIRN_OK && n->state != N_ABORTED)
		(void)node_fail(n, out, rv, 0, 0, "cannot sign survivors");
	crn_free(buf, blen);
	crn_free(tbs, tlen);
	crn_sa_survivors_fini(&s);
	return rv;
}

/* Round 4: reveal one share per neighbour, after checking that t
 * survivors signed exactly the set we signed. */
static cairn_err
on_unmask(crn_sa_node *n, const uint8_t *msg, size_t len, crn_sa_actions *out)
{
	crn_sa_unmask_req rq;
	crn_sa_unmask resp = {NULL, 0};
	uint8_t *tbs = NULL, *buf = NULL, *seen = NULL;
	size_t tlen = 0, blen = 0;
	uint32_t valid = 0;
	cairn_err rv = CAIRN_EINTERNAL;

	if ((rv = crn_sa_unmask_req_decode(&rq, msg, len)) != CAIRN_OK)
		return node_fail(
		    n, out, rv, 0, 0, "undecodable unmask request");
	if (rq.surv.count != n->u2.count ||
	    memcmp(rq.surv.idx, n->u2.idx, n->u2.count * sizeof(*n->u2.idx)) !=
	        0) {
		rv = node_fail(n, out, CAIRN_EPROTO, 0, 0,
		    "survivor set differs from the one we signed");
		goto out;
	}
	if (n->u2.count < surv_min(n)) {
		rv = node_fail(n, out, CAIRN_EABORT, surv_min(n), n->u2.count,
		    "survivor set below threshold or min_participants");
		goto out;
	}
	if ((rv = crn_sa_consistency_tbs(
	         &tbs, &tlen, n->sid, n->u2.idx, n->u2.count)) != CAIRN_OK)
		goto out;
	if ((seen = crn_zalloc((size_t)n->roster.n + 1)) == NULL) {
		rv = CAIRN_ENOMEM;
		goto out;
	}
	/*
	 * Count distinct signers over our set among us and our neighbours
	 * (SecAgg+): a signature from a distant node says nothing about
	 * what our neighbours, the only holders of our shares, were told.
	 * t of them are enough, so stop there (verification dominates);
	 * look at no more entries than there are survivors, and mark an
	 * index seen before verifying, so a request full of repeats costs
	 * at most one verification per survivor.
	 */
	for (uint32_t i = 0; i < rq.nsigs && i < n->u2.count && valid < n->t;
	     i++) {
		uint32_t s = rq.sigs[i].index;

		if (s == 0 || s > n->roster.n || seen[s] ||
		    !surv_has(&n->u2, s) ||
		    (s != n->me && nb_find(n, s) == NULL))
			continue;
		seen[s] = 1;
		if (crn_sign_verify(n->roster.parts[s - 1].identity, tbs, tlen,
		        rq.sigs[i].sig) != CAIRN_OK)
			continue;
		valid++;
	}
	if (valid < n->t) {
		rv = node_fail(n, out, CAIRN_EAUTH, n->t, valid,
		    "too few of our neighbours signed our survivor set");
		goto out;
	}

	resp.v = crn_alloc((n->nnb + 1) * sizeof(*resp.v));
	if (resp.v == NULL) {
		rv = CAIRN_ENOMEM;
		goto out;
	}
	resp.v[0].owner = n->me;
	resp.v[0].kind = CRN_SA_SHARE_SELF_MASK;
	crn_shamir_share_encode(resp.v[0].share, &n->self_sb);
	resp.count = 1;
	for (size_t i = 0; i < n->nnb; i++) {
		nb_state *p = &n->nb[i];
		uint32_t kind;

		if (!p->have)
			continue;
		kind = surv_has(&n->u2, p->index) ? CRN_SA_SHARE_SELF_MASK
		                                  : CRN_SA_SHARE_MASK_KEY;
		/* Never both kinds for one peer: with both, anyone holding
		 * the peer's masked input could strip every mask off it. */
		if (p->revealed != 0 && p->revealed != kind) {
			rv = node_fail(n, out, CAIRN_EPROTO, 0, 0,
			    "asked for both share kinds of one peer");
			goto out;
		}
		p->revealed = kind;
		resp.v[resp.count].owner = p->index;
		resp.v[resp.count].kind = kind;
		crn_shamir_share_encode(resp.v[resp.count].share,
		    kind == CRN_SA_SHARE_SELF_MASK ? &p->sb : &p->ssk);
		resp.count++;
	}
	if ((rv = crn_sa_unmask_encode(&buf, &blen, &resp)) != CAIRN_OK)
		goto out;
	if ((rv = crn_sa_act_send(
	         out, CRN_SA_MSG_UNMASK, 0, NULL, 0, buf, blen)) != CAIRN_OK)
		goto out;
	buf = NULL;
	n->state = N_DONE;
	if ((rv = crn_sa_act_done(out, NULL, 0)) != CAIRN_OK)
		goto out;
	rv = CAIRN_OK;
out:
	if (rv != CAIRN_OK && n->state != N_ABORTED && n->state != N_DONE)
		(void)node_fail(n, out, rv, 0, 0, "cannot unmask");
	crn_free(buf, blen);
	crn_free(tbs, tlen);
	crn_free(seen, seen ? (size_t)n->roster.n + 1 : 0);
	crn_sa_unmask_fini(&resp);
	crn_sa_unmask_req_fini(&rq);
	return rv;
}

cairn_err
crn_sa_node_recv(crn_sa_node *n, uint32_t type, const uint8_t *msg, size_t len,
    crn_sa_actions *out)
{
	static const uint32_t expect[] = {
	    [N_WAIT_ROSTER] = CRN_SA_MSG_ROSTER,
	    [N_WAIT_SHARES] = CRN_SA_MSG_SHARES_FWD,
	    [N_WAIT_CONSISTENCY] = CRN_SA_MSG_CONSISTENCY_REQ,
	    [N_WAIT_UNMASK] = CRN_SA_MSG_UNMASK_REQ,
	};

	if (n->state == N_DONE || n->state == N_ABORTED || n->state == N_INIT)
		return CAIRN_ESTATE;
	if (type == CRN_SA_MSG_ABORT) {
		crn_sa_abort ab;

		if (crn_sa_abort_decode(&ab, msg, len) != CAIRN_OK)
			crn_sa_abort_fill(
			    &ab, CAIRN_EABORT, 0, 0, "coordinator aborted");
		n->state = N_ABORTED;
		(void)crn_sa_act_abort(out, &ab);
		return CAIRN_EABORT;
	}
	/* Each round accepts exactly one message type, once: an earlier
	 * round's message (replayed) or a later one (reordered) is refused
	 * without touching the state. */
	if (type != expect[n->state])
		return CAIRN_ESTATE;
	switch (n->state) {
	case N_WAIT_ROSTER: return on_roster(n, msg, len, out);
	case N_WAIT_SHARES: return on_shares(n, msg, len, out);
	case N_WAIT_CONSISTENCY: return on_consistency(n, msg, len, out);
	case N_WAIT_UNMASK: return on_unmask(n, msg, len, out);
	default: return CAIRN_ESTATE;
	}
}

cairn_err
crn_sa_node_deadline(crn_sa_node *n, crn_sa_actions *out)
{
	if (n->state == N_DONE || n->state == N_ABORTED)
		return CAIRN_OK;
	return node_fail(
	    n, out, CAIRN_ETIMEDOUT, 0, 0, "round deadline passed");
}
