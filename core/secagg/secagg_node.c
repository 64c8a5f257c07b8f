/*
 * secagg_node.c — the node side of secure aggregation.
 *
 * A node u: advertises two X25519 key pairs and commitments to its
 * self-mask seed b and to a graph-seed contribution r; checks the roster
 * against its policy and reveals r; once every participant's r is known it
 * builds the neighbour graph, checks its neighbours' certificates and
 * signatures, splits b and its mask secret key t-of-n and encrypts one
 * share of each to every neighbour; masks its input with PRG(b) and the
 * pairwise masks of exactly the neighbours whose shares reached it; signs
 * the survivor set over the roster digest; and reveals shares only after
 * checking that the status of every node it reveals about or relies on
 * was fixed by t signatures of that node's own closed neighbourhood.
 *
 * Why each check exists is written next to it; README "Secure
 * aggregation" maps them to the lemmas of Bonawitz et al. (CCS 2017) and
 * Bell et al. (CCS 2020) and to the tests that attack them.
 */
#include <string.h>

#include "base/crn.h"
#include "crypto/crypto.h"
#include "crypto/prg.h"
#include "crypto/shamir.h"
#include "proto/codec_secagg.h"
#include "secagg/graph.h"
#include "secagg/secagg.h"

enum node_state {
	N_INIT = 0,
	N_WAIT_ROSTER,
	N_WAIT_SEEDS,
	N_WAIT_SHARES,
	N_WAIT_CONSISTENCY,
	N_WAIT_UNMASK,
	N_DONE,
	N_ABORTED,
};

/* What a node holds about one neighbour; lives in secure memory. */
typedef struct nb_state {
	uint32_t index;
	bool have; /* its shares reached us: it is in our masked input */
	uint8_t key[CAIRN_KEY_LEN]; /* share-encryption key with it */
	crn_shamir_share sb;        /* our share of its b */
	crn_shamir_share ssk;       /* our share of its mask secret key */
	/* Chained sessions only (max_rounds > 1): round 1's pairwise seed
	 * s_uv and a channel key, from which every later round derives its
	 * pairwise seed and share-encryption key (docs/DESIGN.md "Later
	 * rounds"). */
	uint8_t pair[CAIRN_SEED_LEN];
	uint8_t chan[CAIRN_KEY_LEN];
} nb_state;

/* The node's own session secrets, in one guarded, mlocked region. */
typedef struct node_secrets {
	crn_drbg rng; /* ratchets: it cannot regenerate what it made */
	crn_kx_keypair ch, mk;
	uint8_t b[CAIRN_SEED_LEN];
	uint8_t r[CAIRN_KEY_LEN]; /* graph-seed contribution */
	crn_shamir_share self_sb, self_ssk;
} node_secrets;

struct crn_sa_node {
	enum node_state state;
	const crn_identity *id;
	uint8_t my_pk[CAIRN_SIGN_PK_LEN];
	uint8_t sid[CAIRN_SESSION_ID_LEN];
	uint32_t ring_bits;
	uint64_t dim;
	uint32_t min_participants, max_nodes;
	double corrupt_frac, dropout_frac;
	bool malicious;
	const uint8_t *cert;
	size_t cert_len;
	cairn_err (*verify_peer)(void *, const uint8_t *, size_t, uint8_t *);
	void *verify_arg;
	node_secrets *sec;
	const void *input;

	crn_sa_roster roster;
	uint8_t digest[CAIRN_KEY_LEN]; /* D, once the roster is accepted */
	crn_graph *g;
	uint32_t me, t;
	nb_state *nb; /* sorted by index, secure memory, nnb_cap entries */
	size_t nnb, nb_cap;
	crn_sa_survivors u2; /* the set we signed */
	crn_sa_node_stats stats;
	/* Chained sessions: round 1's session id, the round we are in (1
	 * for the first), the last round allowed, and per roster index
	 * (1..n) whether that node may still take part: a node outside a
	 * survivor set we signed is out for good. */
	uint8_t sid1[CAIRN_SESSION_ID_LEN];
	uint32_t round, max_rounds;
	uint8_t *allowed;
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
	    cfg->verify_peer == NULL || cfg->max_nodes > CRN_SA_MAX_NODES)
		return CAIRN_EINVAL;
	if ((n = crn_zalloc(sizeof(*n))) == NULL)
		return CAIRN_ENOMEM;
	if ((n->sec = crn_secure_alloc(sizeof(*n->sec))) == NULL) {
		crn_free(n, sizeof(*n));
		return CAIRN_ENOMEM;
	}
	memset(n->sec, 0, sizeof(*n->sec));
	n->id = cfg->id;
	crn_identity_public(cfg->id, n->my_pk);
	memcpy(n->sid, cfg->session_id, sizeof(n->sid));
	memcpy(n->sid1, cfg->session_id, sizeof(n->sid1));
	n->round = 1;
	n->max_rounds = cfg->max_rounds;
	n->ring_bits = cfg->ring_bits;
	n->dim = cfg->dim;
	n->min_participants =
	    cfg->min_participants < 2 ? 2 : cfg->min_participants;
	n->max_nodes = cfg->max_nodes ? cfg->max_nodes : CRN_SA_MAX_NODES;
	n->cert = cfg->cert;
	n->cert_len = cfg->cert_len;
	n->verify_peer = cfg->verify_peer;
	n->verify_arg = cfg->verify_arg;
	n->corrupt_frac = cfg->corrupt_frac > 0 ? cfg->corrupt_frac : 0.05;
	n->dropout_frac = cfg->dropout_frac > 0 ? cfg->dropout_frac : 0.05;
	n->malicious = cfg->malicious;
	crn_drbg_init(&n->sec->rng, cfg->seed);
	n->state = N_INIT;
	*out = n;
	return CAIRN_OK;
}

static void
nb_release(crn_sa_node *n)
{
	if (n->nb != NULL)
		crn_secure_free(n->nb); /* wipes */
	n->nb = NULL;
	n->nnb = n->nb_cap = 0;
}

void
crn_sa_node_free(crn_sa_node *n)
{
	if (n == NULL)
		return;
	crn_sa_roster_fini(&n->roster);
	crn_graph_free(n->g);
	nb_release(n);
	crn_sa_survivors_fini(&n->u2);
	crn_free(n->allowed, n->allowed != NULL ? (size_t)n->roster.n + 1 : 0);
	crn_secure_free(n->sec);
	crn_freezero(n, sizeof(*n));
}

void
crn_sa_node_set_input(crn_sa_node *n, const void *vec)
{
	n->input = vec;
}

void
crn_sa_node_get_stats(const crn_sa_node *n, crn_sa_node_stats *st)
{
	*st = n->stats;
}

uint32_t
crn_sa_node_index(const crn_sa_node *n)
{
	return n->state >= N_WAIT_SEEDS && n->state != N_ABORTED ? n->me : 0;
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

	/* Debug only: the daemon logs the abort once, with its job. */
	crn_log_debug("secagg node %u refuses: %s (%s)", n->me, why,
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

/* Encode and queue one message to the coordinator. */
static cairn_err
send_msg(crn_sa_actions *out, uint32_t type, uint8_t *buf, size_t len)
{
	cairn_err rv = crn_sa_act_send(out, type, 0, NULL, 0, buf, len);

	if (rv != CAIRN_OK)
		crn_free(buf, len);
	return rv;
}

/* Round 0: session keys, b, r and the signed advertisement. */
cairn_err
crn_sa_node_start(crn_sa_node *n, crn_sa_actions *out)
{
	node_secrets *s = n->sec;
	crn_sa_advertise adv;
	uint8_t seed[CAIRN_SEED_LEN];
	uint8_t *buf = NULL;
	size_t len = 0;
	cairn_err rv = CAIRN_EINTERNAL;

	if (n->state != N_INIT)
		return CAIRN_ESTATE;
	crn_drbg_bytes(&s->rng, seed, sizeof(seed));
	crn_kx_keypair_from_seed(&s->ch, seed);
	crn_drbg_bytes(&s->rng, seed, sizeof(seed));
	crn_kx_keypair_from_seed(&s->mk, seed);
	crn_drbg_bytes(&s->rng, s->b, sizeof(s->b));
	crn_drbg_bytes(&s->rng, s->r, sizeof(s->r));
	n->stats.x25519 += 2;
	n->stats.signs++;

	memset(&adv, 0, sizeof(adv));
	memcpy(adv.identity, n->my_pk, sizeof(adv.identity));
	adv.cert = n->cert;
	adv.cert_len = n->cert_len;
	memcpy(adv.channel_pk, s->ch.pk, sizeof(adv.channel_pk));
	memcpy(adv.mask_pk, s->mk.pk, sizeof(adv.mask_pk));
	if ((rv = crn_sa_self_commit(adv.bcommit, s->b, n->sid)) != CAIRN_OK ||
	    (rv = crn_sa_graph_commit(adv.gcommit, s->r, n->sid)) !=
	        CAIRN_OK ||
	    (rv = crn_sa_advertise_sign(&adv, n->id, n->sid)) != CAIRN_OK ||
	    (rv = crn_sa_advertise_encode(&buf, &len, &adv)) != CAIRN_OK ||
	    (rv = send_msg(out, CRN_SA_MSG_ADVERTISE, buf, len)) != CAIRN_OK)
		goto out;
	n->state = N_WAIT_ROSTER;
out:
	cairn_memzero(seed, sizeof(seed));
	return rv;
}

/* ---- round 1: the roster ------------------------------------------------- */

/*
 * The graph parameters must meet our own policy whatever the coordinator
 * chose: t large enough that two disjoint sets of t signers cannot exist
 * in a closed neighbourhood (2t > k + 1), and (k, t) keeping our security
 * bound for n nodes below 2^-40 under our assumed corrupt and dropout
 * fractions and threat (crn_graph_security; graph.c derives the bounds).
 */
static bool
params_ok(const crn_sa_node *n, uint32_t nodes, uint32_t degree, uint32_t t)
{
	bool complete = degree == 0 || degree >= nodes - 1;
	uint64_t k = complete ? nodes - 1 : degree;
	double l2;

	if (t < 2 || t > k + 1 || 2 * (uint64_t)t <= k + 1)
		return false;
	if (nodes < 3)
		return complete && t == nodes;
	if (crn_graph_security(&l2, nodes, complete ? 0 : degree, t,
	        n->corrupt_frac, n->dropout_frac, n->malicious) != CAIRN_OK)
		return false;
	return l2 <= CRN_GRAPH_FAIL_LOG2_TARGET;
}

/* What a roster must be before we reveal anything; *why on refusal. */
static cairn_err
roster_ok(crn_sa_node *n, const crn_sa_roster *r, const char **why)
{
	const node_secrets *s = n->sec;

	if (memcmp(r->params.session_id, n->sid, CAIRN_SESSION_ID_LEN) != 0 ||
	    r->params.ring_bits != n->ring_bits || r->params.dim != n->dim) {
		*why = "roster is for another session or vector shape";
		return CAIRN_EPROTO;
	}
	if (r->n < n->min_participants) {
		*why = "too few participants";
		return CAIRN_EPERM;
	}
	/* The job's ring width holds sums of at most max_nodes inputs. */
	if (r->n > n->max_nodes) {
		*why = "more participants than the job's ring width allows";
		return CAIRN_EPERM;
	}
	/* Strictly increasing identity keys: the order (and so every Shamir
	 * x coordinate) follows from the participant set alone, and no
	 * identity can appear twice. */
	for (uint32_t i = 1; i < r->n; i++)
		if (memcmp(r->parts[i - 1].identity, r->parts[i].identity,
		        CAIRN_SIGN_PK_LEN) >= 0) {
			*why = "roster not sorted by identity, or an identity repeats";
			return CAIRN_EPERM;
		}
	n->me = 0;
	for (uint32_t i = 0; i < r->n && n->me == 0; i++)
		if (memcmp(r->parts[i].identity, n->my_pk, CAIRN_SIGN_PK_LEN) ==
		    0)
			n->me = i + 1;
	if (n->me == 0 ||
	    memcmp(r->parts[n->me - 1].channel_pk, s->ch.pk,
	        CAIRN_KX_PK_LEN) != 0 ||
	    memcmp(r->parts[n->me - 1].mask_pk, s->mk.pk, CAIRN_KX_PK_LEN) !=
	        0) {
		n->me = 0;
		*why = "roster lacks our advertised keys";
		return CAIRN_EPROTO;
	}
	if (!params_ok(n, r->n, r->params.degree, r->params.threshold)) {
		*why = "graph degree or threshold below our policy";
		return CAIRN_EPERM;
	}
	return CAIRN_OK;
}

/* Round 1: accept the roster, fix its digest, reveal our contribution to
 * the graph seed.  Nothing about the graph is known before this point, so
 * nobody could have chosen the participants to shape it. */
static cairn_err
on_roster(crn_sa_node *n, const uint8_t *msg, size_t len, crn_sa_actions *out)
{
	crn_sa_roster *r = &n->roster;
	const char *why = NULL;
	uint8_t mine[CAIRN_KEY_LEN];
	uint8_t *buf = NULL;
	size_t blen = 0;
	cairn_err rv;

	if ((rv = crn_sa_roster_decode(r, msg, len)) != CAIRN_OK)
		return node_fail(n, out, rv, 0, 0, "undecodable roster");
	if ((rv = roster_ok(n, r, &why)) != CAIRN_OK)
		return node_fail(n, out, rv, r->params.threshold, r->n, why);
	/* Our own commitment must be in the roster as we made it. */
	if ((rv = crn_sa_graph_commit(mine, n->sec->r, n->sid)) != CAIRN_OK)
		return node_fail(n, out, rv, 0, 0, "cannot commit");
	if (!crn_ct_eq(mine, r->parts[n->me - 1].gcommit, sizeof(mine))) {
		n->me = 0;
		return node_fail(n, out, CAIRN_EPROTO, 0, 0,
		    "roster lacks our advertised keys");
	}
	n->t = r->params.threshold;
	if ((n->allowed = crn_alloc((size_t)r->n + 1)) == NULL)
		return node_fail(n, out, CAIRN_ENOMEM, 0, 0, "out of memory");
	memset(n->allowed, 1, (size_t)r->n + 1);
	if ((rv = crn_sa_roster_digest(n->digest, r)) != CAIRN_OK ||
	    (rv = crn_sa_reveal_encode(&buf, &blen, n->sec->r)) != CAIRN_OK ||
	    (rv = send_msg(out, CRN_SA_MSG_SEED_REVEAL, buf, blen)) !=
	        CAIRN_OK)
		return node_fail(n, out, rv, 0, 0, "cannot reveal");
	n->state = N_WAIT_SEEDS;
	return CAIRN_OK;
}

/* ---- round 2: the graph and the shares ---------------------------------- */

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

static cairn_err
check_cert(crn_sa_node *n, const crn_sa_advertise *p, const char **why)
{
	uint8_t pk[CAIRN_SIGN_PK_LEN];

	n->stats.verifies++;
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
 * identities of its own making.  Which entries we check:
 *  - every neighbour, and its signed advertisement: they receive our
 *    shares, their signatures decide our status, their masks hide our
 *    input;
 *  - then, in roster order, further entries until min_participants
 *    distinct certified identities (ourselves included) are known.
 * Signers further away count only for a neighbour w's status, and an
 * honest w checked its own neighbours before it shared with us (its share
 * ciphertext is bound to the roster digest), so their certificates are
 * not ours to check: O(k + min_participants) checks, not O(n).
 */
static cairn_err
check_roster_entries(crn_sa_node *n, const char **why)
{
	const crn_sa_roster *r = &n->roster;
	size_t known = 1 + n->nnb, j = 0;
	cairn_err rv;

	for (size_t i = 0; i < n->nnb; i++) {
		const crn_sa_advertise *p = &r->parts[n->nb[i].index - 1];

		if ((rv = check_cert(n, p, why)) != CAIRN_OK)
			return rv;
		n->stats.verifies++;
		if (crn_sa_advertise_verify(p, n->sid) != CAIRN_OK) {
			*why = "bad advertise signature in roster";
			return CAIRN_EAUTH;
		}
	}
	for (uint32_t x = 1; x <= r->n && known < n->min_participants; x++) {
		while (j < n->nnb && n->nb[j].index < x)
			j++; /* nb is sorted */
		if (x == n->me || (j < n->nnb && n->nb[j].index == x))
			continue;
		if ((rv = check_cert(n, &r->parts[x - 1], why)) != CAIRN_OK)
			return rv;
		known++;
	}
	return CAIRN_OK;
}

/* Build the graph from the revealed contributions and list our
 * neighbours (in secure memory: they will hold keys and shares). */
static cairn_err
build_graph(crn_sa_node *n, const crn_sa_seeds *sd, const char **why)
{
	uint32_t *idx = NULL;
	uint32_t bad = 0;
	size_t deg, cnt = 0;
	cairn_err rv;

	if ((rv = crn_sa_seeds_check(sd, &n->roster, &bad)) != CAIRN_OK) {
		*why = rv == CAIRN_EPROTO ? "graph seeds for another roster"
		                          : "a graph seed does not match its commitment";
		return rv == CAIRN_EPROTO || rv == CAIRN_EAUTH ? CAIRN_EPROTO
		                                               : rv;
	}
	*why = "cannot build the neighbour graph";
	if ((rv = crn_sa_graph_seed(n->roster.params.graph_seed, n->sid,
	         n->digest, sd)) != CAIRN_OK ||
	    (rv = crn_graph_new(&n->g, n->roster.params.graph_seed,
	         n->roster.n, n->roster.params.degree)) != CAIRN_OK)
		return rv;
	deg = crn_graph_degree(n->g);
	if ((idx = crn_alloc((deg ? deg : 1) * sizeof(*idx))) == NULL ||
	    (n->nb = crn_secure_alloc((deg ? deg : 1) * sizeof(*n->nb))) ==
	        NULL) {
		crn_free(idx, (deg ? deg : 1) * sizeof(*idx));
		return CAIRN_ENOMEM;
	}
	memset(n->nb, 0, (deg ? deg : 1) * sizeof(*n->nb));
	n->nb_cap = deg;
	rv = crn_graph_neighbours_of(n->g, n->me, idx, deg, &cnt);
	for (size_t i = 0; rv == CAIRN_OK && i < cnt; i++)
		n->nb[i].index = idx[i];
	n->nnb = cnt;
	crn_free(idx, (deg ? deg : 1) * sizeof(*idx));
	return rv;
}

/* Our share for one neighbour v, encrypted to it, with the commitments
 * the coordinator keeps to tell a tampered revealed share. */
static cairn_err
seal_share(crn_sa_node *n, nb_state *p, crn_sa_encshare *e,
    const crn_shamir_share *sb, const crn_shamir_share *ssk)
{
	const crn_sa_advertise *pv = &n->roster.parts[p->index - 1];
	uint8_t chkey[CAIRN_KEY_LEN], nonce[CAIRN_AEAD_NONCE_LEN];
	uint8_t pt[CRN_SA_SHARE_PT_LEN], ad[CRN_SA_SHARE_AD_LEN];
	cairn_err rv;

	n->stats.x25519++;
	if ((rv = crn_kx_agree(chkey, n->sec->ch.sk, pv->channel_pk)) !=
	    CAIRN_OK)
		goto out;
	/* Kept for decrypting its shares in the next round: one X25519 per
	 * neighbour instead of two. */
	if ((rv = crn_kdf(p->key, sizeof(p->key), chkey, sizeof(chkey),
	         n->sid, "share", 0)) != CAIRN_OK)
		goto out;
	/* A chained session keeps a separate channel key for later rounds'
	 * shares, so that no round reuses another's encryption key. */
	if (n->max_rounds > 1 &&
	    (rv = crn_kdf(p->chan, sizeof(p->chan), chkey, sizeof(chkey),
	         n->sid, "share-chain", 0)) != CAIRN_OK)
		goto out;
	crn_shamir_share_encode(pt, sb);
	crn_shamir_share_encode(pt + CRN_SHAMIR_SHARE_LEN, ssk);
	crn_sa_share_ad(ad, n->sid, n->digest, n->me, p->index);
	crn_drbg_bytes(&n->sec->rng, nonce, sizeof(nonce));
	e->from = n->me;
	e->to = p->index;
	if ((rv = crn_aead_seal_nonce(e->ct, pt, sizeof(pt), ad, sizeof(ad),
	         p->key, nonce)) != CAIRN_OK ||
	    (rv = crn_sa_share_commit(e->cb, n->sid, n->me, p->index,
	         CRN_SA_SHARE_SELF_MASK, sb)) != CAIRN_OK)
		goto out;
	rv = crn_sa_share_commit(
	    e->csk, n->sid, n->me, p->index, CRN_SA_SHARE_MASK_KEY, ssk);
out:
	cairn_memzero(chkey, sizeof(chkey));
	cairn_memzero(pt, sizeof(pt));
	return rv;
}

/* Split b and the mask key t-of-n and send one share of each to every
 * neighbour; keep our own.  Only those shares are computed (x = our
 * index and our neighbours'), not all n. */
static cairn_err
share_keys(crn_sa_node *n, crn_sa_actions *out)
{
	size_t m = n->nnb + 1;
	crn_shamir_share *sb, *ssk;
	crn_sa_shares sh = {NULL, 0};
	uint32_t *xs;
	uint8_t *buf = NULL;
	size_t blen = 0;
	cairn_err rv = CAIRN_ENOMEM;

	xs = crn_alloc(m * sizeof(*xs));
	sb = crn_alloc(m * sizeof(*sb));
	ssk = crn_alloc(m * sizeof(*ssk));
	sh.v = crn_zalloc(m * sizeof(*sh.v));
	if (xs == NULL || sb == NULL || ssk == NULL || sh.v == NULL)
		goto out;
	xs[0] = n->me;
	for (size_t i = 0; i < n->nnb; i++)
		xs[i + 1] = n->nb[i].index;
	if ((rv = crn_shamir_split_at(sb, xs, (uint32_t)m, n->t, n->sec->b,
	         &n->sec->rng)) != CAIRN_OK ||
	    (rv = crn_shamir_split_at(ssk, xs, (uint32_t)m, n->t,
	         n->sec->mk.sk, &n->sec->rng)) != CAIRN_OK)
		goto out;
	n->sec->self_sb = sb[0];
	n->sec->self_ssk = ssk[0];
	for (size_t i = 0; i < n->nnb; i++)
		if ((rv = seal_share(n, &n->nb[i], &sh.v[i], &sb[i + 1],
		         &ssk[i + 1])) != CAIRN_OK)
			goto out;
	sh.count = (uint32_t)n->nnb;
	if ((rv = crn_sa_shares_encode(
	         &buf, &blen, CRN_SA_MSG_SHARE_KEYS, &sh)) == CAIRN_OK)
		rv = send_msg(out, CRN_SA_MSG_SHARE_KEYS, buf, blen);
out:
	crn_free(xs, m * sizeof(*xs));
	crn_freezero(sb, m * sizeof(*sb));
	crn_freezero(ssk, m * sizeof(*ssk));
	crn_free(sh.v, m * sizeof(*sh.v));
	return rv;
}

/* Round 2: every participant's revealed contribution fixes the graph;
 * check the neighbours it gives us, then share keys with them. */
static cairn_err
on_seeds(crn_sa_node *n, const uint8_t *msg, size_t len, crn_sa_actions *out)
{
	crn_sa_seeds sd = {NULL, 0};
	const char *why = NULL;
	cairn_err rv;

	if ((rv = crn_sa_seeds_decode(&sd, msg, len)) != CAIRN_OK)
		return node_fail(n, out, rv, 0, 0, "undecodable graph seeds");
	if ((rv = build_graph(n, &sd, &why)) != CAIRN_OK ||
	    (rv = check_roster_entries(n, &why)) != CAIRN_OK) {
		crn_sa_seeds_fini(&sd);
		return node_fail(n, out, rv, 0, 0, why);
	}
	crn_sa_seeds_fini(&sd);
	/* r has done its work; nothing may regenerate it later. */
	cairn_memzero(n->sec->r, sizeof(n->sec->r));
	if ((rv = share_keys(n, out)) != CAIRN_OK)
		return node_fail(n, out, rv, 0, 0, "cannot share keys");
	n->state = N_WAIT_SHARES;
	return CAIRN_OK;
}

/* ---- later rounds of a chained session ---------------------------------- */

/* This round's pairwise seed with neighbour p: in round 1 from X25519 of
 * the mask keys (kept in a chained session), later from round 1's seed,
 * the round's session id and the round number, so no round's seed tells
 * anything about another's. */
static cairn_err
pair_seed(crn_sa_node *n, const nb_state *p, uint8_t seed[CAIRN_SEED_LEN])
{
	if (n->round > 1)
		return crn_sa_round_seed(seed, p->pair, n->sid, n->round);
	n->stats.x25519++;
	return crn_sa_mask_seed(seed, n->sec->mk.sk,
	    n->roster.parts[p->index - 1].mask_pk, n->sid);
}

/* Round r's share of our fresh b for one neighbour still in, encrypted
 * under the round's key with it; the coordinator gets commitments to the
 * share and to our round-r pairwise seed with that neighbour. */
static cairn_err
seal_round_share(crn_sa_node *n, nb_state *p, crn_sa_encshare *e,
    const crn_shamir_share *sb)
{
	uint8_t nonce[CAIRN_AEAD_NONCE_LEN], seed[CAIRN_SEED_LEN];
	uint8_t pt[CRN_SA_SHARE_PT_LEN], ad[CRN_SA_SHARE_AD_LEN];
	cairn_err rv;

	if ((rv = crn_kdf(p->key, sizeof(p->key), p->chan, sizeof(p->chan),
	         n->sid, "share-round", n->round)) != CAIRN_OK ||
	    (rv = pair_seed(n, p, seed)) != CAIRN_OK)
		goto out;
	memset(pt, 0, sizeof(pt));
	crn_shamir_share_encode(pt, sb);
	crn_sa_share_ad(ad, n->sid, n->digest, n->me, p->index);
	crn_drbg_bytes(&n->sec->rng, nonce, sizeof(nonce));
	e->from = n->me;
	e->to = p->index;
	if ((rv = crn_aead_seal_nonce(e->ct, pt, sizeof(pt), ad, sizeof(ad),
	         p->key, nonce)) != CAIRN_OK ||
	    (rv = crn_sa_share_commit(e->cb, n->sid, n->me, p->index,
	         CRN_SA_SHARE_SELF_MASK, sb)) != CAIRN_OK)
		goto out;
	rv = crn_sa_round_seed_commit(e->csk, n->sid, n->me, p->index, seed);
out:
	cairn_memzero(seed, sizeof(seed));
	cairn_memzero(pt, sizeof(pt));
	return rv;
}

/* Draw this round's b and deal it t-of-n to the neighbours still in. */
static cairn_err
share_round(crn_sa_node *n, crn_sa_actions *out)
{
	size_t m = n->nnb + 1, k = 1;
	crn_shamir_share *sb;
	crn_sa_shares sh = {NULL, 0};
	uint32_t *xs;
	uint8_t *buf = NULL;
	size_t blen = 0;
	cairn_err rv = CAIRN_ENOMEM;

	xs = crn_alloc(m * sizeof(*xs));
	sb = crn_alloc(m * sizeof(*sb));
	sh.v = crn_zalloc(m * sizeof(*sh.v));
	if (xs == NULL || sb == NULL || sh.v == NULL)
		goto out;
	xs[0] = n->me;
	for (size_t i = 0; i < n->nnb; i++)
		if (n->allowed[n->nb[i].index])
			xs[k++] = n->nb[i].index;
	if (k < n->t) {
		rv = CAIRN_EABORT;
		goto out;
	}
	/* A fresh b every round: revealing round r's (we survived it)
	 * tells nothing about any other round's. */
	crn_drbg_bytes(&n->sec->rng, n->sec->b, sizeof(n->sec->b));
	if ((rv = crn_shamir_split_at(sb, xs, (uint32_t)k, n->t, n->sec->b,
	         &n->sec->rng)) != CAIRN_OK)
		goto out;
	n->sec->self_sb = sb[0];
	for (size_t i = 0, j = 1; i < n->nnb && rv == CAIRN_OK; i++)
		if (n->allowed[n->nb[i].index])
			rv = seal_round_share(
			    n, &n->nb[i], &sh.v[sh.count++], &sb[j++]);
	if (rv == CAIRN_OK &&
	    (rv = crn_sa_shares_encode(
	         &buf, &blen, CRN_SA_MSG_SHARE_KEYS, &sh)) == CAIRN_OK)
		rv = send_msg(out, CRN_SA_MSG_SHARE_KEYS, buf, blen);
out:
	crn_free(xs, m * sizeof(*xs));
	crn_freezero(sb, m * sizeof(*sb));
	crn_free(sh.v, m * sizeof(*sh.v));
	return rv;
}

cairn_err
crn_sa_node_next(crn_sa_node *n, const uint8_t sid_r[CAIRN_SESSION_ID_LEN],
    uint32_t round, crn_sa_actions *out)
{
	uint8_t rsid[CAIRN_SESSION_ID_LEN];
	cairn_err rv;

	if (n->state != N_DONE || n->max_rounds < 2)
		return CAIRN_ESTATE;
	if (round < 2 || round <= n->round || round > n->max_rounds)
		return CAIRN_EINVAL;
	if ((rv = crn_sa_round_sid(rsid, n->sid1, sid_r, round)) != CAIRN_OK)
		return rv;
	/* Whoever was not in the set we signed dropped (its mask key or
	 * its pairwise seeds may have been revealed): out for good. */
	for (uint32_t i = 1; i <= n->roster.n; i++)
		if (!crn_sa_surv_has(&n->u2, i))
			n->allowed[i] = 0;
	crn_sa_survivors_fini(&n->u2);
	memcpy(n->sid, rsid, sizeof(n->sid));
	n->round = round;
	n->input = NULL;
	/* The mask-key shares served round 1 only: nothing may reveal them
	 * later (with an earlier round's b they would open its input). */
	for (size_t i = 0; i < n->nnb; i++) {
		n->nb[i].have = false;
		cairn_memzero(&n->nb[i].sb, sizeof(n->nb[i].sb));
		cairn_memzero(&n->nb[i].ssk, sizeof(n->nb[i].ssk));
	}
	cairn_memzero(&n->sec->self_sb, sizeof(n->sec->self_sb));
	cairn_memzero(&n->sec->self_ssk, sizeof(n->sec->self_ssk));
	n->state = N_WAIT_SHARES;
	if ((rv = share_round(n, out)) == CAIRN_EABORT)
		return node_fail(n, out, rv, n->t, 0,
		    "too few neighbours left for this round");
	if (rv != CAIRN_OK)
		return node_fail(n, out, rv, 0, 0, "cannot share keys");
	return CAIRN_OK;
}

/* ---- round 3: masked input ---------------------------------------------- */

/* Take the shares our neighbours sent; *got counts them. */
static cairn_err
take_shares(crn_sa_node *n, const crn_sa_shares *sh, uint32_t *got,
    const char **why)
{
	uint8_t pt[CRN_SA_SHARE_PT_LEN], ad[CRN_SA_SHARE_AD_LEN];
	cairn_err rv = CAIRN_OK;

	*got = 0;
	for (uint32_t i = 0; i < sh->count && rv == CAIRN_OK; i++) {
		const crn_sa_encshare *e = &sh->v[i];
		nb_state *p = nb_find(n, e->from);

		if (e->to != n->me || p == NULL || p->have ||
		    !n->allowed[e->from]) {
			*why = "forwarded share from a non-neighbour, misaddressed or repeated";
			rv = CAIRN_EPROTO;
			break;
		}
		/* The AD holds the roster digest: a share opens only if its
		 * dealer accepted the roster we did. */
		crn_sa_share_ad(ad, n->sid, n->digest, e->from, n->me);
		/* Later rounds carry only the share of b: the mask key was
		 * shared once, in round 1, and is never revealed after it. */
		if (crn_aead_open(pt, e->ct, sizeof(e->ct), ad, sizeof(ad),
		        p->key) != CAIRN_OK ||
		    crn_shamir_share_decode(&p->sb, pt) != CAIRN_OK ||
		    p->sb.x != n->me ||
		    (n->round == 1 &&
		        (crn_shamir_share_decode(&p->ssk,
		             pt + CRN_SHAMIR_SHARE_LEN) != CAIRN_OK ||
		            p->ssk.x != n->me))) {
			*why = "a neighbour's share does not decrypt";
			rv = CAIRN_EAUTH;
			break;
		}
		p->have = true;
		(*got)++;
	}
	cairn_memzero(pt, sizeof(pt));
	return rv;
}

/* y = x + PRG(b) + sum_{v<u} PRG(s_uv) - sum_{v>u} PRG(s_uv) over the
 * neighbours whose shares we hold, written straight into the message. */
static cairn_err
mask_into(crn_sa_node *n, uint8_t *y)
{
	uint8_t seed[CAIRN_SEED_LEN];
	cairn_err rv;

	memcpy(y, n->input, (size_t)n->dim * (n->ring_bits / 8));
	n->stats.prg_elems += n->dim;
	if ((rv = crn_prg_add(y, n->dim, n->ring_bits, n->sec->b, 0)) !=
	    CAIRN_OK)
		goto out;
	for (size_t i = 0; i < n->nnb; i++) {
		nb_state *p = &n->nb[i];

		if (!p->have)
			continue;
		n->stats.prg_elems += n->dim;
		if ((rv = pair_seed(n, p, seed)) != CAIRN_OK ||
		    (rv = crn_prg_add(y, n->dim, n->ring_bits, seed,
		         p->index > n->me)) != CAIRN_OK)
			goto out;
		if (n->round == 1 && n->max_rounds > 1)
			memcpy(p->pair, seed, sizeof(p->pair));
	}
out:
	cairn_memzero(seed, sizeof(seed));
	return rv;
}

static cairn_err
on_shares(crn_sa_node *n, const uint8_t *msg, size_t len, crn_sa_actions *out)
{
	crn_sa_shares sh = {NULL, 0};
	const char *why = "cannot mask the input";
	uint8_t *buf = NULL, *y = NULL;
	size_t blen = 0;
	uint32_t got = 0;
	cairn_err rv;

	if (n->input == NULL)
		return CAIRN_ESTATE;
	if ((rv = crn_sa_shares_decode(&sh, CRN_SA_MSG_SHARES_FWD, msg, len)) !=
	    CAIRN_OK)
		return node_fail(n, out, rv, 0, 0, "undecodable shares");
	rv = take_shares(n, &sh, &got, &why);
	crn_sa_shares_fini(&sh);
	for (size_t i = 0; i < n->nnb; i++)
		cairn_memzero(n->nb[i].key, sizeof(n->nb[i].key));
	if (rv != CAIRN_OK)
		return node_fail(n, out, rv, 0, 0, why);
	if (got + 1 < n->t)
		return node_fail(n, out, CAIRN_EABORT, n->t, got + 1,
		    "too few neighbours shared keys");
	if ((rv = crn_sa_masked_frame(
	         &buf, &blen, &y, n->ring_bits, n->dim)) != CAIRN_OK ||
	    (rv = mask_into(n, y)) != CAIRN_OK) {
		crn_freezero(buf, blen);
		return node_fail(n, out, rv, 0, 0, why);
	}
	if ((rv = send_msg(out, CRN_SA_MSG_MASKED_INPUT, buf, blen)) !=
	    CAIRN_OK)
		return node_fail(n, out, rv, 0, 0, why);
	n->input = NULL;
	/* Our own secrets have done their work: from here on we only hold
	 * shares, so wipe b and both secret keys now rather than at free. */
	cairn_memzero(n->sec->b, sizeof(n->sec->b));
	cairn_memzero(&n->sec->mk, sizeof(n->sec->mk));
	cairn_memzero(&n->sec->ch, sizeof(n->sec->ch));
	n->state = N_WAIT_CONSISTENCY;
	return CAIRN_OK;
}

/* ---- round 4: consistency ----------------------------------------------- */

/* The fewest survivors we sign for or unmask: max(t, min_participants). */
static uint32_t
surv_min(const crn_sa_node *n)
{
	return n->t > n->min_participants ? n->t : n->min_participants;
}

/* Why we would not sign s, or NULL. */
static const char *
survivors_refusal(crn_sa_node *n, const crn_sa_survivors *s, cairn_err *code)
{
	*code = CAIRN_EPROTO;
	if (s->idx[s->count - 1] > n->roster.n || !crn_sa_surv_has(s, n->me))
		return "survivor set names unknown nodes or not us";
	/* Below min_participants the sum would reveal too little mixing
	 * (with one other survivor, its input and ours). */
	if (s->count < surv_min(n)) {
		*code = CAIRN_EABORT;
		return "survivor set below threshold or min_participants";
	}
	/* A neighbour we name as a survivor must be in our masked input,
	 * or its mask with us would be left in the sum unpaired. */
	for (uint32_t i = 0; i < s->count; i++) {
		nb_state *p = nb_find(n, s->idx[i]);

		/* A node dropped in an earlier round never comes back (in
		 * round 1 its mask key may have been revealed). */
		if (!n->allowed[s->idx[i]])
			return "survivor set names a node that dropped in an earlier round";
		if (p != NULL && !p->have)
			return "survivor never shared keys with us";
	}
	return NULL;
}

/* Round 4: sign the survivor set, with the roster digest, once. */
static cairn_err
on_consistency(
    crn_sa_node *n, const uint8_t *msg, size_t len, crn_sa_actions *out)
{
	crn_sa_survivors s = {NULL, 0};
	uint8_t sig[CAIRN_SIG_LEN];
	uint8_t *tbs = NULL, *buf = NULL;
	size_t tlen = 0, blen = 0;
	const char *why;
	cairn_err rv;

	if ((rv = crn_sa_survivors_decode(&s, msg, len)) != CAIRN_OK)
		return node_fail(n, out, rv, 0, 0, "undecodable survivor set");
	if ((why = survivors_refusal(n, &s, &rv)) != NULL) {
		uint32_t cnt = s.count;

		crn_sa_survivors_fini(&s);
		return node_fail(n, out, rv, surv_min(n), cnt, why);
	}
	n->stats.signs++;
	if ((rv = crn_sa_consistency_tbs(&tbs, &tlen, n->sid, n->digest, s.idx,
	         s.count)) == CAIRN_OK &&
	    (rv = crn_identity_sign(n->id, tbs, tlen, sig)) == CAIRN_OK &&
	    (rv = crn_sa_consig_encode(&buf, &blen, sig)) == CAIRN_OK)
		rv = send_msg(out, CRN_SA_MSG_CONSISTENCY_SIG, buf, blen);
	crn_free(tbs, tlen);
	if (rv != CAIRN_OK) {
		crn_sa_survivors_fini(&s);
		return node_fail(n, out, rv, 0, 0, "cannot sign survivors");
	}
	n->u2 = s;
	n->state = N_WAIT_UNMASK;
	return CAIRN_OK;
}

/* ---- round 5: unmask ---------------------------------------------------- */

/* Signatures of an unmask request, looked up by signer and verified at
 * most once each. */
typedef struct sigtab {
	const crn_sa_unmask_req *rq;
	const uint8_t *tbs;
	size_t tlen;
	uint32_t *pos;   /* per roster index: position in rq->sigs + 1 */
	uint8_t *state;  /* per roster index: 0 unchecked, 1 valid, 2 bad */
	uint32_t *scratch; /* a closed neighbourhood */
	size_t n1, cap;
} sigtab;

static void
sigtab_fini(sigtab *st)
{
	crn_free(st->pos, st->n1 * sizeof(*st->pos));
	crn_free(st->state, st->n1);
	crn_free(st->scratch, st->cap * sizeof(*st->scratch));
	memset(st, 0, sizeof(*st));
}

static cairn_err
sigtab_init(sigtab *st, crn_sa_node *n, const crn_sa_unmask_req *rq,
    const uint8_t *tbs, size_t tlen)
{
	memset(st, 0, sizeof(*st));
	st->rq = rq;
	st->tbs = tbs;
	st->tlen = tlen;
	st->n1 = (size_t)n->roster.n + 1;
	st->cap = (size_t)crn_graph_degree(n->g) + 1;
	st->pos = crn_zalloc(st->n1 * sizeof(*st->pos));
	st->state = crn_zalloc(st->n1);
	st->scratch = crn_alloc(st->cap * sizeof(*st->scratch));
	if (st->pos == NULL || st->state == NULL || st->scratch == NULL) {
		sigtab_fini(st);
		return CAIRN_ENOMEM;
	}
	/* Only survivors sign the set (an honest node signs a set only if
	 * it is in it); the first signature per signer counts. */
	for (uint32_t i = 0; i < rq->nsigs; i++) {
		uint32_t s = rq->sigs[i].index;

		if (s != 0 && s < st->n1 && st->pos[s] == 0 &&
		    crn_sa_surv_has(&n->u2, s))
			st->pos[s] = i + 1;
	}
	return CAIRN_OK;
}

static bool
signed_by(crn_sa_node *n, sigtab *st, uint32_t z)
{
	if (st->pos[z] == 0)
		return false;
	if (st->state[z] == 0) {
		n->stats.verifies++;
		st->state[z] = crn_sign_verify(n->roster.parts[z - 1].identity,
		                   st->tbs, st->tlen,
		                   st->rq->sigs[st->pos[z] - 1].sig) == CAIRN_OK
		    ? 1
		    : 2;
	}
	return st->state[z] == 1;
}

/*
 * Whether t members of N[w] (w and its neighbours) signed our set.  Each
 * honest node signs one set per session and 2t > k + 1 + (corrupt
 * neighbours of w), so at most one set can gather t signatures in N[w]:
 * whoever reveals anything about w agrees with us on whether w survived.
 */
static cairn_err
nbhd_signed(crn_sa_node *n, sigtab *st, uint32_t w, bool *ok)
{
	size_t cnt = 0;
	uint32_t valid;
	cairn_err rv;

	*ok = false;
	if ((rv = crn_graph_neighbours_of(
	         n->g, w, st->scratch, st->cap, &cnt)) != CAIRN_OK)
		return rv;
	st->scratch[cnt++] = w;
	valid = 0;
	for (size_t i = 0; i < cnt && valid < n->t; i++)
		if (signed_by(n, st, st->scratch[i]))
			valid++;
	*ok = valid >= n->t;
	return CAIRN_OK;
}

/*
 * Status agreement (the check that stops a coordinator from showing
 * different neighbourhoods different survivor sets): before revealing
 * anything we need t signatures over our set, with our roster digest,
 * from the closed neighbourhood of ourselves and of every neighbour in
 * our masked input — the nodes whose secrets we reveal shares of, and
 * whose masks hide our input.  *bad is the first w that fails.
 */
static cairn_err
status_agreed(crn_sa_node *n, sigtab *st, uint32_t *bad)
{
	bool ok = false;
	cairn_err rv;

	*bad = 0;
	if ((rv = nbhd_signed(n, st, n->me, &ok)) != CAIRN_OK)
		return rv;
	if (!ok) {
		*bad = n->me;
		return CAIRN_OK;
	}
	for (size_t i = 0; i < n->nnb; i++) {
		if (!n->nb[i].have)
			continue;
		if ((rv = nbhd_signed(n, st, n->nb[i].index, &ok)) != CAIRN_OK)
			return rv;
		if (!ok) {
			*bad = n->nb[i].index;
			return CAIRN_OK;
		}
	}
	return CAIRN_OK;
}

/* Our self-mask share, and for each neighbour in our masked input the
 * share of b (it survived) or of its mask key (it dropped), never both:
 * we answer one unmask request per session. */
static cairn_err
reveal(crn_sa_node *n, crn_sa_actions *out)
{
	crn_sa_unmask resp = {NULL, 0};
	uint8_t *buf = NULL;
	size_t blen = 0;
	cairn_err rv = CAIRN_OK;

	if ((resp.v = crn_alloc((n->nnb + 1) * sizeof(*resp.v))) == NULL)
		return CAIRN_ENOMEM;
	resp.v[0].owner = n->me;
	resp.v[0].kind = CRN_SA_SHARE_SELF_MASK;
	crn_shamir_share_encode(resp.v[0].share, &n->sec->self_sb);
	resp.count = 1;
	for (size_t i = 0; i < n->nnb; i++) {
		const nb_state *p = &n->nb[i];
		crn_sa_revealed *x = &resp.v[resp.count];

		if (!p->have)
			continue;
		x->owner = p->index;
		resp.count++;
		if (crn_sa_surv_has(&n->u2, p->index)) {
			x->kind = CRN_SA_SHARE_SELF_MASK;
			crn_shamir_share_encode(x->share, &p->sb);
		} else if (n->round == 1) {
			x->kind = CRN_SA_SHARE_MASK_KEY;
			crn_shamir_share_encode(x->share, &p->ssk);
		} else {
			/* Never the mask key after round 1: with it and b of
			 * an earlier round, that round's input would open.
			 * This round's pairwise seed with p tells nothing
			 * about any other round. */
			memset(x->share, 0, sizeof(x->share));
			x->kind = CRN_SA_SHARE_ROUND_SEED;
			if ((rv = pair_seed(n, p, x->share)) != CAIRN_OK)
				goto out;
		}
	}
	if ((rv = crn_sa_unmask_encode(&buf, &blen, &resp)) == CAIRN_OK)
		rv = send_msg(out, CRN_SA_MSG_UNMASK, buf, blen);
out:
	crn_sa_unmask_fini(&resp);
	return rv;
}

static cairn_err
on_unmask(crn_sa_node *n, const uint8_t *msg, size_t len, crn_sa_actions *out)
{
	crn_sa_unmask_req rq;
	sigtab st;
	uint8_t *tbs = NULL;
	size_t tlen = 0;
	uint32_t bad = 0;
	cairn_err rv;

	if ((rv = crn_sa_unmask_req_decode(&rq, msg, len)) != CAIRN_OK)
		return node_fail(
		    n, out, rv, 0, 0, "undecodable unmask request");
	if (rq.surv.count != n->u2.count ||
	    memcmp(rq.surv.idx, n->u2.idx, n->u2.count * sizeof(*n->u2.idx)) !=
	        0) {
		crn_sa_unmask_req_fini(&rq);
		return node_fail(n, out, CAIRN_EPROTO, 0, 0,
		    "survivor set differs from the one we signed");
	}
	if ((rv = crn_sa_consistency_tbs(&tbs, &tlen, n->sid, n->digest,
	         n->u2.idx, n->u2.count)) == CAIRN_OK &&
	    (rv = sigtab_init(&st, n, &rq, tbs, tlen)) == CAIRN_OK) {
		rv = status_agreed(n, &st, &bad);
		sigtab_fini(&st);
	}
	crn_free(tbs, tlen);
	crn_sa_unmask_req_fini(&rq);
	if (rv != CAIRN_OK)
		return node_fail(n, out, rv, 0, 0, "cannot unmask");
	if (bad != 0)
		return node_fail(n, out, CAIRN_EAUTH, n->t, 0,
		    bad == n->me ? "too few of our neighbours signed our survivor set"
		                 : "too few of a neighbour's neighbours signed our survivor set");
	if ((rv = reveal(n, out)) != CAIRN_OK)
		return node_fail(n, out, rv, 0, 0, "cannot unmask");
	n->state = N_DONE;
	return crn_sa_act_done(out, NULL, 0);
}

cairn_err
crn_sa_node_recv(crn_sa_node *n, uint32_t type, const uint8_t *msg, size_t len,
    crn_sa_actions *out)
{
	static const uint32_t expect[] = {
	    [N_WAIT_ROSTER] = CRN_SA_MSG_ROSTER,
	    [N_WAIT_SEEDS] = CRN_SA_MSG_GRAPH_SEEDS,
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
	case N_WAIT_SEEDS: return on_seeds(n, msg, len, out);
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
