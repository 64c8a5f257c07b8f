/*
 * secagg_coord.c — the coordinator side of secure aggregation.
 *
 * The coordinator relays and counts; it never holds an unmasked input.  It
 * accumulates masked inputs into one running sum as they arrive (so memory
 * stays one vector whatever the federation size), and at the end
 * reconstructs only what it needs: b for every survivor, and the mask key
 * of a dropped node only when that node has a surviving neighbour whose
 * masked input carries a mask shared with it.  The pairwise masks of a
 * dropped node are regenerated only for those surviving neighbours.
 *
 * Reconstruction is robust: it keeps every share revealed to it, tries the
 * first t, and when the result does not match the owner's commitment (b)
 * or advertised key (mask key) it checks each share against the dealer's
 * commitment to it, drops the liars' shares and tries again, so one node
 * cannot end a session by revealing a wrong share.
 */
#include <stdlib.h>
#include <string.h>

#include "proto/codec_secagg.h"
#include "base/crn.h"
#include "crypto/crypto.h"
#include "crypto/prg.h"
#include "crypto/shamir.h"
#include "secagg/graph.h"
#include "secagg/secagg.h"

/* The state number is also the stage a node must have reached to be
 * awaited in it: stage counts the rounds a node answered (1 advertise,
 * 2 reveal, 3 share keys, 4 masked input, 5 consistency, 6 unmask). */
enum coord_state {
	C_ADVERTISE = CRN_SA_R_ADVERTISE,
	C_REVEAL = CRN_SA_R_REVEAL,
	C_SHARES = CRN_SA_R_SHARE,
	C_MASKED = CRN_SA_R_MASKED,
	C_CONSISTENCY = CRN_SA_R_CONSISTENCY,
	C_UNMASK = CRN_SA_R_UNMASK,
	C_DONE = CRN_SA_R_DONE,
	C_ABORTED,
};

/* A dealer's commitments to the shares one holder got from it. */
typedef struct ccommit {
	uint32_t to;
	uint8_t cb[CAIRN_KEY_LEN], csk[CAIRN_KEY_LEN];
} ccommit;

/* A survivor's round pairwise seed with a dropped node (later rounds). */
typedef struct rseed {
	uint32_t from;
	uint8_t seed[CAIRN_SEED_LEN];
} rseed;

/* What the coordinator knows of one roster member. */
typedef struct cnode {
	uint32_t slot;
	uint8_t stage;       /* rounds answered, see enum coord_state */
	bool out;            /* dropped for breaking the protocol */
	bool in_u1;          /* its shares were forwarded */
	bool in_u2;          /* masked input is in the sum */
	uint8_t need;        /* CRN_SA_SHARE_* to reconstruct, or 0 */
	uint8_t r[CAIRN_KEY_LEN]; /* graph-seed contribution */
	crn_sa_encshare *sh; /* its ShareKeys, until forwarded */
	uint32_t nsh;
	ccommit *cm; /* its commitments, sorted by holder */
	uint32_t ncm;
	uint8_t sig[CAIRN_SIG_LEN];
	crn_shamir_share *coll; /* shares of its secret, as revealed */
	uint32_t ncoll;
	rseed *rs; /* later rounds: its round seeds, as revealed */
	uint32_t nrs;
	uint32_t mark; /* duplicate check within one response */
} cnode;

struct crn_sa_coord {
	enum coord_state state;
	crn_sa_params p;
	uint32_t nslots;
	uint32_t t;
	uint8_t (*slot_ids)[CAIRN_SIGN_PK_LEN]; /* per slot, or NULL */
	crn_sa_advertise *adv; /* per slot; owns its certificate copy */
	uint8_t *adv_got;      /* per slot: 1 advertised, 2 refused */
	crn_sa_roster roster;
	uint8_t digest[CAIRN_KEY_LEN];
	cnode *nd;          /* per roster index - 1 */
	uint32_t *index_of; /* per slot - 1: roster index or 0 */
	crn_graph *g;
	uint32_t collcap; /* shares kept per node: degree + 1 */
	uint8_t *acc;     /* the running sum of masked inputs */
	size_t acc_len;
	crn_sa_survivors u2;
	uint32_t *u2_slots;
	uint32_t mark_gen;
	uint32_t liars; /* revealed shares that failed their commitment */
	uint64_t bytes_rx;
	/* Chained sessions: round 1's session id and the current round;
	 * p.session_id is the round's own (crn_sa_round_sid). */
	uint8_t sid1[CAIRN_SESSION_ID_LEN];
	uint32_t round;
};

cairn_err
crn_sa_coord_new(crn_sa_coord **out, const crn_sa_coord_cfg *cfg)
{
	crn_sa_coord *c = NULL;
	const crn_sa_params *p = &cfg->params;
	cairn_err rv = CAIRN_EINTERNAL;

	*out = NULL;
	if ((p->ring_bits != 32 && p->ring_bits != 64 && p->ring_bits != 128) ||
	    p->dim == 0 || p->dim > CRN_SA_MAX_DIM || cfg->nslots < 2 ||
	    cfg->nslots > CRN_SA_MAX_NODES || p->threshold < 2 ||
	    p->threshold > cfg->nslots)
		return CAIRN_EINVAL;
	if ((c = crn_zalloc(sizeof(*c))) == NULL)
		return CAIRN_ENOMEM;
	c->p = *p;
	memset(c->p.graph_seed, 0, sizeof(c->p.graph_seed));
	memcpy(c->sid1, p->session_id, sizeof(c->sid1));
	c->round = 1;
	c->t = p->threshold;
	c->nslots = cfg->nslots;
	c->acc_len = (size_t)p->dim * (p->ring_bits / 8);
	c->adv = crn_zalloc((size_t)c->nslots * sizeof(*c->adv));
	c->adv_got = crn_zalloc(c->nslots);
	c->index_of = crn_zalloc((size_t)c->nslots * sizeof(*c->index_of));
	c->acc = crn_zalloc(c->acc_len);
	if (cfg->slot_ids != NULL) {
		/* A copy: the daemon's table may change between sessions. */
		c->slot_ids =
		    crn_alloc((size_t)c->nslots * sizeof(*c->slot_ids));
		if (c->slot_ids != NULL)
			memcpy(c->slot_ids, cfg->slot_ids,
			    (size_t)c->nslots * sizeof(*c->slot_ids));
	}
	if (c->adv == NULL || c->adv_got == NULL || c->index_of == NULL ||
	    c->acc == NULL || (cfg->slot_ids != NULL && c->slot_ids == NULL)) {
		rv = CAIRN_ENOMEM;
		goto out;
	}
	c->state = C_ADVERTISE;
	*out = c;
	c = NULL;
	rv = CAIRN_OK;
out:
	crn_sa_coord_free(c);
	return rv;
}

static void
cnodes_free(crn_sa_coord *c)
{
	if (c->nd == NULL)
		return;
	for (uint32_t i = 0; i < c->roster.n; i++) {
		cnode *v = &c->nd[i];

		crn_free(v->sh, v->nsh * sizeof(*v->sh));
		crn_free(v->cm, v->ncm * sizeof(*v->cm));
		crn_freezero(v->coll,
		    v->coll != NULL ? c->collcap * sizeof(*v->coll) : 0);
		crn_freezero(
		    v->rs, v->rs != NULL ? c->collcap * sizeof(*v->rs) : 0);
	}
	crn_free(c->nd, (size_t)c->roster.n * sizeof(*c->nd));
	c->nd = NULL;
}

void
crn_sa_coord_free(crn_sa_coord *c)
{
	if (c == NULL)
		return;
	cnodes_free(c);
	if (c->adv != NULL)
		for (uint32_t s = 0; s < c->nslots; s++)
			crn_sa_advertise_fini(&c->adv[s]);
	crn_free(c->adv, (size_t)c->nslots * sizeof(*c->adv));
	crn_free(c->slot_ids,
	    c->slot_ids ? (size_t)c->nslots * sizeof(*c->slot_ids) : 0);
	crn_free(c->adv_got, c->nslots);
	crn_free(c->index_of, (size_t)c->nslots * sizeof(*c->index_of));
	crn_free(c->u2_slots, (size_t)c->u2.count * sizeof(*c->u2_slots));
	crn_sa_survivors_fini(&c->u2);
	crn_sa_roster_fini(&c->roster);
	crn_graph_free(c->g);
	crn_free(c->acc, c->acc_len);
	crn_free(c, sizeof(*c));
}

bool
crn_sa_coord_done(const crn_sa_coord *c)
{
	return c->state == C_DONE;
}

uint32_t
crn_sa_coord_nodes(const crn_sa_coord *c)
{
	return c->roster.n;
}

const uint32_t *
crn_sa_coord_survivor_slots(const crn_sa_coord *c, uint32_t *count)
{
	*count = c->state == C_DONE ? c->u2.count : 0;
	return c->state == C_DONE ? c->u2_slots : NULL;
}

uint64_t
crn_sa_coord_bytes_received(const crn_sa_coord *c)
{
	return c->bytes_rx;
}

uint32_t
crn_sa_coord_liars(const crn_sa_coord *c)
{
	return c->liars;
}

/* ---- helpers ------------------------------------------------------------ */

/* The slots of roster members with stage >= min_stage still in. */
static cairn_err
slots_at(crn_sa_coord *c, uint8_t min_stage, uint32_t **out, size_t *count)
{
	size_t k = 0;
	uint32_t *v;

	*out = NULL;
	*count = 0;
	for (uint32_t i = 0; i < c->roster.n; i++)
		if (c->nd[i].stage >= min_stage && !c->nd[i].out)
			k++;
	if ((v = crn_alloc((k ? k : 1) * sizeof(*v))) == NULL)
		return CAIRN_ENOMEM;
	k = 0;
	for (uint32_t i = 0; i < c->roster.n; i++)
		if (c->nd[i].stage >= min_stage && !c->nd[i].out)
			v[k++] = c->nd[i].slot;
	*out = v;
	*count = k;
	return CAIRN_OK;
}

/* Send buf to every member at min_stage or beyond; takes buf on success
 * and frees it on failure too. */
static cairn_err
multicast(crn_sa_coord *c, crn_sa_actions *out, uint32_t type,
    uint8_t min_stage, uint8_t *buf, size_t len)
{
	uint32_t *to = NULL;
	size_t n = 0;
	cairn_err rv;

	if ((rv = slots_at(c, min_stage, &to, &n)) != CAIRN_OK) {
		crn_free(buf, len);
		return rv;
	}
	if ((rv = crn_sa_act_send(out, type, 0, to, n, buf, len)) != CAIRN_OK) {
		crn_free(to, (n ? n : 1) * sizeof(*to));
		crn_free(buf, len);
	}
	return rv;
}

/* Before the roster exists, an abort goes to every slot that advertised. */
static void
abort_advertisers(crn_sa_coord *c, crn_sa_actions *out, uint8_t *buf,
    size_t len)
{
	uint32_t *to = crn_alloc(c->nslots * sizeof(*to));
	size_t k = 0;

	for (uint32_t s = 0; to != NULL && s < c->nslots; s++)
		if (c->adv_got[s] == 1)
			to[k++] = s + 1;
	if (to == NULL ||
	    crn_sa_act_send(out, CRN_SA_MSG_ABORT, 0, to, k, buf, len) !=
	        CAIRN_OK) {
		crn_free(to, c->nslots * sizeof(*to));
		crn_free(buf, len);
	}
}

/*
 * Abort the session: tell every node still taking part, and report it.
 * Returns CAIRN_EABORT (the session's outcome, not a failure of the call
 * that triggered it, which callers return as-is).
 */
static cairn_err
coord_abort(crn_sa_coord *c, crn_sa_actions *out, cairn_err code,
    uint32_t needed, uint32_t answered, const char *what)
{
	crn_sa_abort ab;
	uint8_t *buf = NULL;
	size_t len = 0;
	enum coord_state at = c->state;

	crn_sa_abort_fill(&ab, code, needed, answered,
	    "%s in round %s: needed %u, answered %u", what,
	    crn_sa_round_name((crn_sa_round)at), needed, answered);
	/* Debug only: the daemon logs the abort once, with its job. */
	crn_log_debug("secagg coordinator aborts: %s", ab.reason);
	c->state = C_ABORTED;
	if (crn_sa_abort_encode(&buf, &len, &ab) == CAIRN_OK) {
		if (at == C_ADVERTISE)
			abort_advertisers(c, out, buf, len);
		else
			(void)multicast(c, out, CRN_SA_MSG_ABORT, 1, buf, len);
	}
	(void)crn_sa_act_abort(out, &ab);
	return CAIRN_EABORT;
}

static uint32_t
count_at(const crn_sa_coord *c, uint8_t min_stage)
{
	uint32_t k = 0;

	for (uint32_t i = 0; i < c->roster.n; i++)
		if (c->nd[i].stage >= min_stage && !c->nd[i].out)
			k++;
	return k;
}

static int
cmp_pk(const void *a, const void *b)
{
	return memcmp(a, b, CAIRN_SIGN_PK_LEN);
}

void
crn_sa_ring_add(uint8_t *acc, const uint8_t *y, uint64_t dim, uint32_t bits)
{
	/* memcpy per element keeps this free of alignment assumptions; the
	 * compiler turns it into plain loads, and the loop vectorises. */
	if (bits == 32) {
		uint32_t *a = (uint32_t *)(void *)acc;

		for (uint64_t i = 0; i < dim; i++) {
			uint32_t x;

			memcpy(&x, y + 4 * i, 4);
			a[i] += x;
		}
	} else if (bits == 64) {
		uint64_t *a = (uint64_t *)(void *)acc;

		for (uint64_t i = 0; i < dim; i++) {
			uint64_t x;

			memcpy(&x, y + 8 * i, 8);
			a[i] += x;
		}
	} else {
		unsigned __int128 *a = (unsigned __int128 *)(void *)acc;

		for (uint64_t i = 0; i < dim; i++) {
			unsigned __int128 x;

			memcpy(&x, y + 16 * i, 16);
			a[i] += x;
		}
	}
}

/* ---- round closers ------------------------------------------------------ */

static cairn_err
roster_alloc(crn_sa_coord *c, uint32_t n)
{
	c->roster.parts = crn_alloc((size_t)n * sizeof(*c->roster.parts));
	c->nd = crn_zalloc((size_t)n * sizeof(*c->nd));
	if (c->roster.parts == NULL || c->nd == NULL) {
		crn_free(c->roster.parts, (size_t)n * sizeof(*c->roster.parts));
		crn_free(c->nd, (size_t)n * sizeof(*c->nd));
		c->roster.parts = NULL;
		c->nd = NULL;
		return CAIRN_ENOMEM;
	}
	c->roster.n = n;
	return CAIRN_OK;
}

/* Fill the roster from the advertised slots in identity-key order (nodes
 * refuse any other): the coordinator places nobody anywhere. */
static cairn_err
roster_fill(crn_sa_coord *c)
{
	struct slot_order {
		uint8_t id[CAIRN_SIGN_PK_LEN]; /* first, for cmp_pk */
		uint32_t slot;
	} * order;
	uint32_t n = 0;

	if ((order = crn_alloc((size_t)c->roster.n * sizeof(*order))) == NULL)
		return CAIRN_ENOMEM;
	for (uint32_t s = 0; s < c->nslots; s++) {
		if (c->adv_got[s] != 1)
			continue;
		memcpy(order[n].id, c->adv[s].identity, CAIRN_SIGN_PK_LEN);
		order[n++].slot = s + 1;
	}
	qsort(order, n, sizeof(*order), cmp_pk);
	for (uint32_t i = 0; i < n; i++) {
		uint32_t s = order[i].slot - 1;

		/* The roster borrows the slot's certificate copy. */
		c->roster.parts[i] = c->adv[s];
		c->nd[i].slot = s + 1;
		c->nd[i].stage = 1;
		c->index_of[s] = i + 1;
	}
	crn_free(order, (size_t)c->roster.n * sizeof(*order));
	return CAIRN_OK;
}

/* Round 0 -> 1: fix the roster and send it. */
static cairn_err
close_advertise(crn_sa_coord *c, crn_sa_actions *out)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	uint32_t n = 0;
	cairn_err rv;

	for (uint32_t s = 0; s < c->nslots; s++)
		if (c->adv_got[s] == 1)
			n++;
	if (n < c->t || n < 2)
		return coord_abort(c, out, CAIRN_EABORT, c->t, n,
		    "too few nodes advertised keys");
	if ((rv = roster_alloc(c, n)) != CAIRN_OK ||
	    (rv = roster_fill(c)) != CAIRN_OK)
		return rv;
	c->roster.params = c->p;
	if ((rv = crn_sa_roster_digest(c->digest, &c->roster)) != CAIRN_OK ||
	    (rv = crn_sa_roster_encode(&buf, &len, &c->roster)) != CAIRN_OK)
		return rv;
	if ((rv = multicast(c, out, CRN_SA_MSG_ROSTER, 1, buf, len)) !=
	    CAIRN_OK)
		return rv;
	c->state = C_REVEAL;
	return CAIRN_OK;
}

/* Round 1 -> 2: every roster member's contribution fixes the graph; one
 * missing means no graph anyone can agree on without letting us choose. */
static cairn_err
close_reveal(crn_sa_coord *c, crn_sa_actions *out)
{
	crn_sa_seeds sd = {NULL, 0};
	uint8_t *buf = NULL;
	size_t len = 0;
	uint32_t got = count_at(c, 2);
	cairn_err rv;

	if (got < c->roster.n)
		return coord_abort(c, out, CAIRN_EABORT, c->roster.n, got,
		    "a participant did not reveal its graph-seed share");
	sd.n = c->roster.n;
	if ((sd.r = crn_alloc((size_t)sd.n * sizeof(*sd.r))) == NULL)
		return CAIRN_ENOMEM;
	for (uint32_t i = 0; i < sd.n; i++)
		memcpy(sd.r[i], c->nd[i].r, CAIRN_KEY_LEN);
	if ((rv = crn_sa_graph_seed(c->p.graph_seed, c->p.session_id,
	         c->digest, &sd)) == CAIRN_OK)
		rv = crn_sa_seeds_encode(&buf, &len, &sd);
	crn_sa_seeds_fini(&sd);
	if (rv != CAIRN_OK)
		return rv;
	c->roster.params.graph_seed[0] = 0; /* the wire never carries it */
	if ((rv = crn_graph_new(&c->g, c->p.graph_seed, c->roster.n,
	         c->p.degree)) != CAIRN_OK) {
		crn_free(buf, len);
		return coord_abort(c, out, rv, 0, c->roster.n,
		    "bad neighbour graph");
	}
	c->collcap = crn_graph_degree(c->g) + 1;
	if ((rv = multicast(c, out, CRN_SA_MSG_GRAPH_SEEDS, 2, buf, len)) !=
	    CAIRN_OK)
		return rv;
	c->state = C_SHARES;
	return CAIRN_OK;
}

static int
cmp_ccommit(const void *a, const void *b)
{
	uint32_t x = ((const ccommit *)a)->to, y = ((const ccommit *)b)->to;

	return (x > y) - (x < y);
}

/* Keep a dealer's commitments (sorted by holder) once its ciphertexts
 * are forwarded. */
static cairn_err
keep_commits(cnode *u)
{
	if (u->nsh == 0)
		return CAIRN_OK;
	if ((u->cm = crn_alloc(u->nsh * sizeof(*u->cm))) == NULL)
		return CAIRN_ENOMEM;
	for (uint32_t j = 0; j < u->nsh; j++) {
		u->cm[j].to = u->sh[j].to;
		memcpy(u->cm[j].cb, u->sh[j].cb, CAIRN_KEY_LEN);
		memcpy(u->cm[j].csk, u->sh[j].csk, CAIRN_KEY_LEN);
	}
	u->ncm = u->nsh;
	qsort(u->cm, u->ncm, sizeof(*u->cm), cmp_ccommit);
	return CAIRN_OK;
}

/* For every U1 member, the ciphertexts other U1 members sent it. */
static cairn_err
gather_forwards(crn_sa_coord *c, crn_sa_shares *fwd, uint32_t *cnt)
{
	uint32_t n = c->roster.n;

	for (uint32_t i = 0; i < n; i++) {
		const cnode *u = &c->nd[i];

		for (uint32_t j = 0; u->stage >= 3 && !u->out && j < u->nsh;
		     j++) {
			const cnode *v = &c->nd[u->sh[j].to - 1];

			if (v->stage >= 3 && !v->out)
				cnt[u->sh[j].to - 1]++;
		}
	}
	for (uint32_t i = 0; i < n; i++)
		if (cnt[i] > 0 &&
		    (fwd[i].v = crn_alloc((size_t)cnt[i] * sizeof(*fwd[i].v))) ==
		        NULL)
			return CAIRN_ENOMEM;
	for (uint32_t i = 0; i < n; i++) {
		cnode *u = &c->nd[i];

		for (uint32_t j = 0; u->stage >= 3 && !u->out && j < u->nsh;
		     j++) {
			uint32_t to = u->sh[j].to - 1;
			crn_sa_encshare *e;

			if (c->nd[to].stage < 3 || c->nd[to].out)
				continue;
			e = &fwd[to].v[fwd[to].count++];
			*e = u->sh[j];
			/* The commitments stay here. */
			memset(e->cb, 0, sizeof(e->cb));
			memset(e->csk, 0, sizeof(e->csk));
		}
	}
	return CAIRN_OK;
}

/* Round 2 -> 3: forward to each U1 member the shares U1 members sent it. */
static cairn_err
close_shares(crn_sa_coord *c, crn_sa_actions *out)
{
	uint32_t n = c->roster.n, u1 = count_at(c, 3);
	uint32_t *cnt = NULL;
	crn_sa_shares *fwd = NULL;
	uint8_t *buf = NULL;
	size_t len = 0;
	cairn_err rv = CAIRN_ENOMEM;

	if (u1 < c->t)
		return coord_abort(
		    c, out, CAIRN_EABORT, c->t, u1, "below threshold");
	cnt = crn_zalloc((size_t)n * sizeof(*cnt));
	fwd = crn_zalloc((size_t)n * sizeof(*fwd));
	if (cnt == NULL || fwd == NULL ||
	    (rv = gather_forwards(c, fwd, cnt)) != CAIRN_OK)
		goto out;
	for (uint32_t i = 0; i < n; i++) {
		cnode *u = &c->nd[i];

		if ((rv = keep_commits(u)) != CAIRN_OK)
			goto out;
		crn_free(u->sh, u->nsh * sizeof(*u->sh));
		u->sh = NULL;
		u->nsh = 0;
		if (u->stage < 3 || u->out)
			continue;
		u->in_u1 = true;
		if ((rv = crn_sa_shares_encode(&buf, &len,
		         CRN_SA_MSG_SHARES_FWD, &fwd[i])) != CAIRN_OK ||
		    (rv = crn_sa_act_send(out, CRN_SA_MSG_SHARES_FWD, u->slot,
		         NULL, 0, buf, len)) != CAIRN_OK)
			goto out;
		buf = NULL;
	}
	c->state = C_MASKED;
	rv = CAIRN_OK;
out:
	crn_free(buf, len);
	if (fwd != NULL)
		for (uint32_t i = 0; i < n; i++)
			crn_free(fwd[i].v, (size_t)cnt[i] * sizeof(*fwd[i].v));
	crn_free(fwd, (size_t)n * sizeof(*fwd));
	crn_free(cnt, (size_t)n * sizeof(*cnt));
	return rv;
}

/* Round 3 -> 4: announce the survivor set U2 for signing. */
static cairn_err
close_masked(crn_sa_coord *c, crn_sa_actions *out)
{
	uint32_t u2 = 0, k = 0;
	uint8_t *buf = NULL;
	size_t len = 0;
	cairn_err rv;

	/* U2 is every node whose masked input was accepted (stage 4), even
	 * one that aborted or broke the protocol since: its input is in the
	 * sum, so its self mask must be removed and its pairwise masks must
	 * not be. */
	for (uint32_t i = 0; i < c->roster.n; i++)
		if (c->nd[i].stage >= 4)
			u2++;
	if (u2 < c->t)
		return coord_abort(
		    c, out, CAIRN_EABORT, c->t, u2, "below threshold");
	c->u2.idx = crn_alloc((size_t)u2 * sizeof(*c->u2.idx));
	c->u2_slots = crn_alloc((size_t)u2 * sizeof(*c->u2_slots));
	if (c->u2.idx == NULL || c->u2_slots == NULL) {
		crn_free(c->u2.idx, (size_t)u2 * sizeof(*c->u2.idx));
		crn_free(c->u2_slots, (size_t)u2 * sizeof(*c->u2_slots));
		c->u2.idx = NULL;
		c->u2_slots = NULL;
		return CAIRN_ENOMEM;
	}
	for (uint32_t i = 0; i < c->roster.n; i++)
		if (c->nd[i].stage >= 4) {
			c->nd[i].in_u2 = true;
			c->u2_slots[k] = c->nd[i].slot;
			c->u2.idx[k++] = i + 1;
		}
	c->u2.count = k;
	if ((rv = crn_sa_survivors_encode(&buf, &len, &c->u2)) != CAIRN_OK ||
	    (rv = multicast(c, out, CRN_SA_MSG_CONSISTENCY_REQ, 4, buf, len)) !=
	        CAIRN_OK)
		return rv;
	c->state = C_CONSISTENCY;
	return CAIRN_OK;
}

/* What must be reconstructed of each node: b of a survivor; the mask key
 * of a dropped U1 member only if some survivor masked with it. */
static cairn_err
decide_needs(crn_sa_coord *c)
{
	uint32_t degree = crn_graph_degree(c->g), *nb;
	cairn_err rv = CAIRN_OK;

	if ((nb = crn_alloc(((size_t)degree + 1) * sizeof(*nb))) == NULL)
		return CAIRN_ENOMEM;
	for (uint32_t i = 0; i < c->roster.n && rv == CAIRN_OK; i++) {
		cnode *v = &c->nd[i];
		size_t cnt = 0;

		v->need = 0;
		if (v->in_u2) {
			v->need = CRN_SA_SHARE_SELF_MASK;
			continue;
		}
		if (!v->in_u1)
			continue;
		rv = crn_graph_neighbours_of(c->g, i + 1, nb, degree + 1, &cnt);
		for (size_t j = 0; rv == CAIRN_OK && j < cnt; j++)
			if (c->nd[nb[j] - 1].in_u2) {
				v->need = c->round == 1 ? CRN_SA_SHARE_MASK_KEY
				                        : CRN_SA_SHARE_ROUND_SEED;
				break;
			}
	}
	for (uint32_t i = 0; i < c->roster.n && rv == CAIRN_OK; i++) {
		cnode *v = &c->nd[i];

		if (v->need == CRN_SA_SHARE_ROUND_SEED) {
			if ((v->rs = crn_alloc(c->collcap * sizeof(*v->rs))) ==
			    NULL)
				rv = CAIRN_ENOMEM;
		} else if (v->need != 0 &&
		    (v->coll = crn_alloc(c->collcap * sizeof(*v->coll))) == NULL)
			rv = CAIRN_ENOMEM;
	}
	crn_free(nb, ((size_t)degree + 1) * sizeof(*nb));
	return rv;
}

/* Round 4 -> 5: hand every signature to the signers and ask for shares. */
static cairn_err
close_consistency(crn_sa_coord *c, crn_sa_actions *out)
{
	uint32_t u3 = count_at(c, 5), k = 0;
	crn_sa_unmask_req rq;
	uint8_t *buf = NULL;
	size_t len = 0;
	cairn_err rv;

	if (u3 < c->t)
		return coord_abort(
		    c, out, CAIRN_EABORT, c->t, u3, "below threshold");
	if ((rv = decide_needs(c)) != CAIRN_OK)
		return rv;
	memset(&rq, 0, sizeof(rq));
	rq.surv = c->u2;
	if ((rq.sigs = crn_alloc((size_t)u3 * sizeof(*rq.sigs))) == NULL)
		return CAIRN_ENOMEM;
	for (uint32_t i = 0; i < c->roster.n; i++)
		if (c->nd[i].stage >= 5 && !c->nd[i].out) {
			rq.sigs[k].index = i + 1;
			memcpy(rq.sigs[k++].sig, c->nd[i].sig, CAIRN_SIG_LEN);
		}
	rq.nsigs = k;
	rv = crn_sa_unmask_req_encode(&buf, &len, &rq);
	crn_free(rq.sigs, (size_t)u3 * sizeof(*rq.sigs));
	if (rv != CAIRN_OK ||
	    (rv = multicast(c, out, CRN_SA_MSG_UNMASK_REQ, 5, buf, len)) !=
	        CAIRN_OK)
		return rv;
	c->state = C_UNMASK;
	return CAIRN_OK;
}

/* ---- reconstruction ----------------------------------------------------- */

static const ccommit *
commit_of(const cnode *dealer, uint32_t holder)
{
	size_t lo = 0, hi = dealer->ncm;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (dealer->cm[mid].to == holder)
			return &dealer->cm[mid];
		if (dealer->cm[mid].to < holder)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* Reconstruct v's secret from t of its shares and check it against what
 * v committed to: its bcommit (b) or its advertised mask key. */
static cairn_err
combine_checked(crn_sa_coord *c, uint32_t i, const crn_shamir_share *sh,
    uint8_t secret[CRN_SHAMIR_SECRET_LEN])
{
	const cnode *v = &c->nd[i];
	uint8_t chk[CAIRN_KEY_LEN];
	crn_kx_keypair kp;
	bool ok;
	cairn_err rv;

	if ((rv = crn_shamir_combine(secret, sh, c->t, c->t)) != CAIRN_OK)
		return rv == CAIRN_EINVAL ? CAIRN_EAUTH : rv;
	if (v->need == CRN_SA_SHARE_SELF_MASK && c->round > 1) {
		/* A later round's b has no advertised commitment: its
		 * shares were checked one by one before (filter_shares). */
		ok = true;
	} else if (v->need == CRN_SA_SHARE_SELF_MASK) {
		if ((rv = crn_sa_self_commit(chk, secret, c->p.session_id)) !=
		    CAIRN_OK)
			return rv;
		ok = crn_ct_eq(chk, c->roster.parts[i].bcommit, sizeof(chk));
	} else {
		crn_kx_keypair_from_seed(&kp, secret);
		ok = crn_ct_eq(
		    kp.pk, c->roster.parts[i].mask_pk, CAIRN_KX_PK_LEN);
		cairn_memzero(&kp, sizeof(kp));
	}
	cairn_memzero(chk, sizeof(chk));
	return ok ? CAIRN_OK : CAIRN_EAUTH;
}

/* Keep only the shares that match their dealer's commitment (the owner's
 * own share has none and is left out); count the others as liars. */
static uint32_t
filter_shares(crn_sa_coord *c, uint32_t i)
{
	cnode *v = &c->nd[i];
	uint32_t kept = 0;

	for (uint32_t j = 0; j < v->ncoll; j++) {
		const crn_shamir_share *s = &v->coll[j];
		const ccommit *cm = commit_of(v, s->x);
		uint8_t h[CAIRN_KEY_LEN];
		bool ok = false;

		if (cm != NULL &&
		    crn_sa_share_commit(h, c->p.session_id, i + 1, s->x,
		        v->need, s) == CAIRN_OK)
			ok = crn_ct_eq(h, v->need == CRN_SA_SHARE_SELF_MASK
			                      ? cm->cb
			                      : cm->csk,
			    sizeof(h));
		if (!ok && s->x != i + 1) {
			crn_log_warn("secagg coordinator: node %u revealed a share of node %u that its dealer did not commit to; share dropped",
			    s->x, i + 1);
			c->liars++;
		}
		/* In a later round the owner's own share is kept unchecked:
		 * a false one spoils only its own input, as a false input
		 * would. */
		if (ok || (c->round > 1 && s->x == i + 1))
			v->coll[kept++] = *s;
	}
	cairn_memzero(&v->coll[kept], (v->ncoll - kept) * sizeof(*v->coll));
	v->ncoll = kept;
	return kept;
}

/* v's secret, robustly: the first t shares, else the honest ones. */
static cairn_err
reconstruct(crn_sa_coord *c, crn_sa_actions *out, uint32_t i,
    uint8_t secret[CRN_SHAMIR_SECRET_LEN])
{
	cnode *v = &c->nd[i];
	cairn_err rv;

	if (v->ncoll < c->t)
		return coord_abort(c, out, CAIRN_EABORT, c->t, v->ncoll,
		    "too few shares of one node");
	if (c->round > 1 && filter_shares(c, i) < c->t)
		return coord_abort(c, out, CAIRN_EAUTH, c->t, v->ncoll,
		    "too few honest shares of one node");
	if ((rv = combine_checked(c, i, v->coll, secret)) != CAIRN_EAUTH)
		return rv;
	if (filter_shares(c, i) < c->t)
		return coord_abort(c, out, CAIRN_EAUTH, c->t, v->ncoll,
		    "too few honest shares of one node");
	if ((rv = combine_checked(c, i, v->coll, secret)) == CAIRN_EAUTH)
		return coord_abort(c, out, CAIRN_EAUTH, c->t, v->ncoll,
		    "a node's shares do not match its commitment");
	return rv;
}

/* Remove a dropped node's pairwise masks from the sum, for its surviving
 * neighbours only. */
static cairn_err
strip_pairwise(crn_sa_coord *c, uint32_t i, const uint8_t sk_seed[32])
{
	uint32_t degree = crn_graph_degree(c->g), *nb;
	uint8_t seed[CAIRN_SEED_LEN];
	crn_kx_keypair kp;
	size_t cnt = 0;
	cairn_err rv;

	if ((nb = crn_alloc(((size_t)degree + 1) * sizeof(*nb))) == NULL)
		return CAIRN_ENOMEM;
	crn_kx_keypair_from_seed(&kp, sk_seed);
	rv = crn_graph_neighbours_of(c->g, i + 1, nb, degree + 1, &cnt);
	for (size_t j = 0; rv == CAIRN_OK && j < cnt; j++) {
		uint32_t u = nb[j];

		if (!c->nd[u - 1].in_u2)
			continue;
		/* u added PRG(s_uv) when v < u and subtracted it when
		 * v > u; undo exactly that. */
		if ((rv = crn_sa_mask_seed(seed, kp.sk,
		         c->roster.parts[u - 1].mask_pk, c->p.session_id)) ==
		    CAIRN_OK)
			rv = crn_prg_add(c->acc, c->p.dim, c->p.ring_bits, seed,
			    i + 1 < u);
	}
	cairn_memzero(seed, sizeof(seed));
	cairn_memzero(&kp, sizeof(kp));
	crn_free(nb, ((size_t)degree + 1) * sizeof(*nb));
	return rv;
}

/* The round seed survivor u revealed for dropped node i, checked against
 * u's commitment to it; NULL (and a warning) when missing or false. */
static const rseed *
round_seed_of(crn_sa_coord *c, uint32_t i, uint32_t u)
{
	const cnode *v = &c->nd[i];
	const ccommit *cm = commit_of(&c->nd[u - 1], i + 1);
	uint8_t h[CAIRN_KEY_LEN];

	for (uint32_t j = 0; j < v->nrs; j++) {
		if (v->rs[j].from != u)
			continue;
		if (cm != NULL &&
		    crn_sa_round_seed_commit(h, c->p.session_id, u, i + 1,
		        v->rs[j].seed) == CAIRN_OK &&
		    crn_ct_eq(h, cm->csk, sizeof(h)))
			return &v->rs[j];
		crn_log_warn("secagg coordinator: node %u revealed a round seed with node %u that it did not commit to",
		    u, i + 1);
		c->liars++;
		return NULL;
	}
	return NULL;
}

/*
 * A later round: remove dropped node i's pairwise masks from the sum with
 * the round seeds its surviving neighbours revealed.  Every survivor that
 * took i's shares masked with it, so each one's seed is needed; the mask
 * key that would replace a missing one is never revealed after round 1.
 */
static cairn_err
strip_round(crn_sa_coord *c, crn_sa_actions *out, uint32_t i)
{
	uint32_t degree = crn_graph_degree(c->g), *nb;
	size_t cnt = 0;
	cairn_err rv;

	if ((nb = crn_alloc(((size_t)degree + 1) * sizeof(*nb))) == NULL)
		return CAIRN_ENOMEM;
	rv = crn_graph_neighbours_of(c->g, i + 1, nb, degree + 1, &cnt);
	for (size_t j = 0; rv == CAIRN_OK && j < cnt; j++) {
		uint32_t u = nb[j];
		const rseed *x;

		if (!c->nd[u - 1].in_u2 || commit_of(&c->nd[i], u) == NULL)
			continue;
		if ((x = round_seed_of(c, i, u)) == NULL) {
			rv = coord_abort(c, out, CAIRN_EABORT, 1, 0,
			    "a survivor did not reveal a valid round seed with a dropped node");
			break;
		}
		rv = crn_prg_add(
		    c->acc, c->p.dim, c->p.ring_bits, x->seed, i + 1 < u);
	}
	crn_free(nb, ((size_t)degree + 1) * sizeof(*nb));
	return rv;
}

/* Round 5 -> done: reconstruct every needed secret and strip its masks. */
static cairn_err
close_unmask(crn_sa_coord *c, crn_sa_actions *out)
{
	uint8_t secret[CRN_SHAMIR_SECRET_LEN];
	uint32_t u4 = count_at(c, 6);
	cairn_err rv = CAIRN_OK;

	if (u4 < c->t)
		return coord_abort(
		    c, out, CAIRN_EABORT, c->t, u4, "below threshold");
	for (uint32_t i = 0; i < c->roster.n && rv == CAIRN_OK; i++) {
		const cnode *v = &c->nd[i];

		if (v->need == 0)
			continue;
		if (v->need == CRN_SA_SHARE_ROUND_SEED) {
			rv = strip_round(c, out, i);
			continue;
		}
		if ((rv = reconstruct(c, out, i, secret)) != CAIRN_OK)
			break;
		if (v->need == CRN_SA_SHARE_SELF_MASK)
			rv = crn_prg_add(
			    c->acc, c->p.dim, c->p.ring_bits, secret, 1);
		else
			rv = strip_pairwise(c, i, secret);
	}
	cairn_memzero(secret, sizeof(secret));
	if (rv != CAIRN_OK)
		return rv;
	if ((rv = crn_sa_act_done(out, c->acc, c->acc_len)) != CAIRN_OK)
		return rv;
	/* The DONE action owns the sum now. */
	c->acc = NULL;
	c->acc_len = 0;
	c->state = C_DONE;
	return CAIRN_OK;
}

static cairn_err
close_round(crn_sa_coord *c, crn_sa_actions *out)
{
	switch (c->state) {
	case C_ADVERTISE: return close_advertise(c, out);
	case C_REVEAL: return close_reveal(c, out);
	case C_SHARES: return close_shares(c, out);
	case C_MASKED: return close_masked(c, out);
	case C_CONSISTENCY: return close_consistency(c, out);
	case C_UNMASK: return close_unmask(c, out);
	default: return CAIRN_OK;
	}
}

/* Close the round by itself once nobody it waits for is left. */
static cairn_err
maybe_close(crn_sa_coord *c, crn_sa_actions *out)
{
	if (c->state == C_ADVERTISE) {
		for (uint32_t s = 0; s < c->nslots; s++)
			if (c->adv_got[s] == 0)
				return CAIRN_OK;
		return close_round(c, out);
	}
	if (c->state >= C_DONE)
		return CAIRN_OK;
	for (uint32_t i = 0; i < c->roster.n; i++)
		if (!c->nd[i].out && c->nd[i].stage == (uint8_t)c->state)
			return CAIRN_OK;
	return close_round(c, out);
}

/* ---- message handlers --------------------------------------------------- */

/* Why an advertisement on slot is refused, or CAIRN_OK. */
static cairn_err
advertise_ok(crn_sa_coord *c, uint32_t slot, const crn_sa_advertise *a)
{
	cairn_err rv;

	if ((rv = crn_sa_advertise_verify(a, c->p.session_id)) != CAIRN_OK)
		return rv;
	/* The slot's envelopes are signed by one identity: advertising
	 * another one (someone else's keys relayed) is refused. */
	if (c->slot_ids != NULL &&
	    memcmp(c->slot_ids[slot - 1], a->identity, CAIRN_SIGN_PK_LEN) !=
	        0) {
		crn_log_warn("secagg coordinator: slot %u advertised an identity other than its envelope signer's",
		    slot);
		return CAIRN_EPERM;
	}
	/* One identity, one seat. */
	for (uint32_t s = 0; s < c->nslots; s++)
		if (c->adv_got[s] == 1 &&
		    cmp_pk(c->adv[s].identity, a->identity) == 0)
			return CAIRN_EPERM;
	return CAIRN_OK;
}

static cairn_err
on_advertise(crn_sa_coord *c, uint32_t slot, const uint8_t *msg, size_t len)
{
	crn_sa_advertise a;
	cairn_err rv;

	if (c->adv_got[slot - 1] != 0)
		return CAIRN_EREPLAY;
	if ((rv = crn_sa_advertise_decode(&a, msg, len)) != CAIRN_OK) {
		c->adv_got[slot - 1] = 2;
		return rv;
	}
	if ((rv = advertise_ok(c, slot, &a)) != CAIRN_OK) {
		c->adv_got[slot - 1] = 2;
		crn_sa_advertise_fini(&a);
		return rv;
	}
	c->adv[slot - 1] = a;
	c->adv_got[slot - 1] = 1;
	return CAIRN_OK;
}

static cairn_err
on_reveal(crn_sa_coord *c, uint32_t u, const uint8_t *msg, size_t len)
{
	uint8_t cm[CAIRN_KEY_LEN];
	cnode *nd = &c->nd[u - 1];
	cairn_err rv;

	if ((rv = crn_sa_reveal_decode(nd->r, msg, len)) != CAIRN_OK ||
	    (rv = crn_sa_graph_commit(cm, nd->r, c->p.session_id)) != CAIRN_OK)
		return rv;
	if (!crn_ct_eq(cm, c->roster.parts[u - 1].gcommit, sizeof(cm)))
		return CAIRN_EAUTH;
	return CAIRN_OK;
}

static cairn_err
on_share_keys(crn_sa_coord *c, uint32_t u, const uint8_t *msg, size_t len)
{
	crn_sa_shares sh;
	cnode *nd = &c->nd[u - 1];
	uint32_t gen = ++c->mark_gen;
	cairn_err rv;

	if ((rv = crn_sa_shares_decode(&sh, CRN_SA_MSG_SHARE_KEYS, msg, len)) !=
	    CAIRN_OK)
		return rv;
	/* Round 1 deals to every neighbour; a later round only to those
	 * still in, as the dealer sees them. */
	if (c->round == 1 ? sh.count != crn_graph_degree(c->g)
	                  : sh.count > crn_graph_degree(c->g)) {
		rv = CAIRN_EPROTO;
		goto out;
	}
	for (uint32_t i = 0; i < sh.count; i++) {
		uint32_t to = sh.v[i].to;

		if (sh.v[i].from != u || to > c->roster.n ||
		    !crn_graph_has_edge(c->g, u, to) ||
		    c->nd[to - 1].mark == gen) {
			rv = CAIRN_EPROTO;
			goto out;
		}
		c->nd[to - 1].mark = gen;
	}
	nd->sh = sh.v;
	nd->nsh = sh.count;
	memset(&sh, 0, sizeof(sh));
	rv = CAIRN_OK;
out:
	crn_sa_shares_fini(&sh);
	return rv;
}

static cairn_err
on_masked(crn_sa_coord *c, const uint8_t *msg, size_t len)
{
	const uint8_t *y;
	uint32_t bits;
	uint64_t dim;
	cairn_err rv;

	/* Add straight from the received bytes: no copy of the vector. */
	if ((rv = crn_sa_masked_view(&bits, &dim, &y, msg, len)) != CAIRN_OK)
		return rv;
	if (bits != c->p.ring_bits || dim != c->p.dim)
		return CAIRN_EPROTO;
	crn_sa_ring_add(c->acc, y, dim, bits);
	return CAIRN_OK;
}

static cairn_err
on_consig(crn_sa_coord *c, uint32_t u, const uint8_t *msg, size_t len)
{
	uint8_t sig[CAIRN_SIG_LEN];
	uint8_t *tbs = NULL;
	size_t tlen = 0;
	cairn_err rv;

	if ((rv = crn_sa_consig_decode(sig, msg, len)) != CAIRN_OK)
		return rv;
	if ((rv = crn_sa_consistency_tbs(&tbs, &tlen, c->p.session_id,
	         c->digest, c->u2.idx, c->u2.count)) != CAIRN_OK)
		return rv;
	rv = crn_sign_verify(c->roster.parts[u - 1].identity, tbs, tlen, sig);
	crn_free(tbs, tlen);
	if (rv == CAIRN_OK)
		memcpy(c->nd[u - 1].sig, sig, CAIRN_SIG_LEN);
	return rv;
}

/* Whether node u may reveal x at all: a share of itself or of a
 * neighbour, of a U1 member, of the kind its status calls for, held by
 * u, and not twice in one response. */
static bool
revealed_ok(crn_sa_coord *c, uint32_t u, const crn_sa_revealed *x,
    uint32_t gen, crn_shamir_share *s)
{
	const cnode *o;
	uint32_t want;

	if (x->owner == 0 || x->owner > c->roster.n)
		return false;
	o = &c->nd[x->owner - 1];
	want = o->in_u2      ? CRN_SA_SHARE_SELF_MASK
	    : c->round == 1 ? CRN_SA_SHARE_MASK_KEY
	                    : CRN_SA_SHARE_ROUND_SEED;
	if (!(x->owner == u || crn_graph_has_edge(c->g, u, x->owner)) ||
	    !o->in_u1 || o->mark == gen || x->kind != want)
		return false;
	/* A round seed is u's own with the owner, not a Shamir share. */
	if (want == CRN_SA_SHARE_ROUND_SEED)
		return x->owner != u;
	return crn_shamir_share_decode(s, x->share) == CAIRN_OK && s->x == u;
}

static cairn_err
on_unmask(crn_sa_coord *c, uint32_t u, const uint8_t *msg, size_t len)
{
	crn_sa_unmask r;
	crn_shamir_share s;
	uint32_t gen = ++c->mark_gen;
	cairn_err rv = CAIRN_OK;

	if ((rv = crn_sa_unmask_decode(&r, msg, len)) != CAIRN_OK)
		return rv;
	/* Check the whole response before keeping any of it. */
	for (uint32_t i = 0; i < r.count; i++) {
		if (!revealed_ok(c, u, &r.v[i], gen, &s)) {
			rv = CAIRN_EPROTO;
			goto out;
		}
		c->nd[r.v[i].owner - 1].mark = gen;
	}
	for (uint32_t i = 0; i < r.count; i++) {
		cnode *o = &c->nd[r.v[i].owner - 1];

		if (o->need == CRN_SA_SHARE_ROUND_SEED) {
			if (o->nrs < c->collcap) {
				o->rs[o->nrs].from = u;
				memcpy(o->rs[o->nrs++].seed, r.v[i].share,
				    CAIRN_SEED_LEN);
			}
			continue;
		}
		if (o->need == 0 || o->ncoll >= c->collcap)
			continue;
		if (crn_shamir_share_decode(&o->coll[o->ncoll],
		        r.v[i].share) == CAIRN_OK)
			o->ncoll++;
	}
out:
	cairn_memzero(&s, sizeof(s));
	crn_sa_unmask_fini(&r);
	return rv;
}

static cairn_err
dispatch(crn_sa_coord *c, uint32_t u, const uint8_t *msg, size_t len)
{
	switch (c->state) {
	case C_REVEAL: return on_reveal(c, u, msg, len);
	case C_SHARES: return on_share_keys(c, u, msg, len);
	case C_MASKED: return on_masked(c, msg, len);
	case C_CONSISTENCY: return on_consig(c, u, msg, len);
	case C_UNMASK: return on_unmask(c, u, msg, len);
	default: return CAIRN_EINTERNAL;
	}
}

static cairn_err
recv_advertise(crn_sa_coord *c, uint32_t slot, uint32_t type,
    const uint8_t *msg, size_t len, crn_sa_actions *out)
{
	cairn_err rv, rv2;

	if (type != CRN_SA_MSG_ADVERTISE)
		return CAIRN_ESTATE;
	if ((rv = on_advertise(c, slot, msg, len)) == CAIRN_EREPLAY)
		return rv;
	rv2 = maybe_close(c, out);
	return rv != CAIRN_OK ? rv : rv2;
}

cairn_err
crn_sa_coord_recv(crn_sa_coord *c, uint32_t slot, uint32_t type,
    const uint8_t *msg, size_t len, crn_sa_actions *out)
{
	static const uint32_t expect[] = {
	    [C_REVEAL] = CRN_SA_MSG_SEED_REVEAL,
	    [C_SHARES] = CRN_SA_MSG_SHARE_KEYS,
	    [C_MASKED] = CRN_SA_MSG_MASKED_INPUT,
	    [C_CONSISTENCY] = CRN_SA_MSG_CONSISTENCY_SIG,
	    [C_UNMASK] = CRN_SA_MSG_UNMASK,
	};
	uint32_t u;
	cnode *nd;
	cairn_err rv, rv2;

	if (slot == 0 || slot > c->nslots)
		return CAIRN_EINVAL;
	if (c->state >= C_DONE)
		return CAIRN_ESTATE;
	c->bytes_rx += len;
	if (c->state == C_ADVERTISE)
		return recv_advertise(c, slot, type, msg, len, out);
	if ((u = c->index_of[slot - 1]) == 0)
		return CAIRN_EPROTO; /* not in the roster */
	nd = &c->nd[u - 1];
	if (nd->out)
		return CAIRN_ESTATE;
	if (type == CRN_SA_MSG_ABORT) {
		/* The node refused to go on: it is out of the session. */
		nd->out = true;
		return maybe_close(c, out);
	}
	if (type != expect[c->state])
		return CAIRN_ESTATE;
	if (nd->stage > (uint8_t)c->state)
		return CAIRN_EREPLAY;
	if (nd->stage < (uint8_t)c->state)
		return CAIRN_ESTATE; /* dropped in an earlier round */
	if ((rv = dispatch(c, u, msg, len)) == CAIRN_OK) {
		nd->stage++;
	} else {
		crn_log_warn("secagg coordinator drops node %u in round %s: %s",
		    u, crn_sa_round_name((crn_sa_round)c->state),
		    cairn_strerror(rv));
		/* An input already in the sum stays there: such a node
		 * remains in U2 and only stops answering. */
		nd->out = true;
	}
	rv2 = maybe_close(c, out);
	return rv != CAIRN_OK ? rv : rv2;
}

cairn_err
crn_sa_coord_deadline(crn_sa_coord *c, crn_sa_actions *out)
{
	if (c->state >= C_DONE)
		return CAIRN_OK;
	return close_round(c, out);
}

/* Forget what one node told us in the round that finished; keep who it
 * is and whether it is still in. */
static void
cnode_reset(crn_sa_coord *c, cnode *v)
{
	/* Not in the survivor set (or it broke the protocol): it dropped,
	 * and its mask key or round seeds may be known: out for good. */
	if (!v->in_u2)
		v->out = true;
	v->stage = v->out ? 0 : 2;
	v->in_u1 = v->in_u2 = false;
	v->need = 0;
	crn_free(v->sh, v->nsh * sizeof(*v->sh));
	crn_free(v->cm, v->ncm * sizeof(*v->cm));
	crn_freezero(v->coll, v->coll != NULL ? c->collcap * sizeof(*v->coll) : 0);
	crn_freezero(v->rs, v->rs != NULL ? c->collcap * sizeof(*v->rs) : 0);
	v->sh = NULL;
	v->cm = NULL;
	v->coll = NULL;
	v->rs = NULL;
	v->nsh = v->ncm = v->ncoll = v->nrs = 0;
	memset(v->sig, 0, sizeof(v->sig));
}

cairn_err
crn_sa_coord_next(crn_sa_coord *c, const uint8_t sid_r[CAIRN_SESSION_ID_LEN],
    uint32_t round)
{
	size_t len = (size_t)c->p.dim * (c->p.ring_bits / 8);
	uint8_t rsid[CAIRN_SESSION_ID_LEN];
	cairn_err rv;

	if (c->state != C_DONE)
		return CAIRN_ESTATE;
	if (round < 2 || round <= c->round)
		return CAIRN_EINVAL;
	if ((rv = crn_sa_round_sid(rsid, c->sid1, sid_r, round)) != CAIRN_OK)
		return rv;
	if ((c->acc = crn_zalloc(len)) == NULL)
		return CAIRN_ENOMEM;
	c->acc_len = len;
	for (uint32_t i = 0; i < c->roster.n; i++)
		cnode_reset(c, &c->nd[i]);
	crn_free(c->u2_slots, (size_t)c->u2.count * sizeof(*c->u2_slots));
	c->u2_slots = NULL;
	crn_sa_survivors_fini(&c->u2);
	memcpy(c->p.session_id, rsid, sizeof(rsid));
	c->round = round;
	c->state = C_SHARES;
	return CAIRN_OK;
}
