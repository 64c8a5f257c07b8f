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
 * Lagrange coefficients are computed once per distinct holder set, which
 * with the complete graph is once per session.
 */
#include <stdlib.h>
#include <string.h>

#include "base/crn.h"
#include "crypto/crypto.h"
#include "crypto/prg.h"
#include "crypto/shamir.h"
#include "proto/codec_secagg.h"
#include "secagg/graph.h"
#include "secagg/ring.h"
#include "secagg/secagg.h"

enum coord_state {
	C_ADVERTISE = 0,
	C_SHARES,
	C_MASKED,
	C_CONSISTENCY,
	C_UNMASK,
	C_DONE,
	C_ABORTED,
};

static const char *const round_name[] = {
    "advertise",
    "share-keys",
    "masked-input",
    "consistency",
    "unmask",
    "done",
    "aborted",
};

/* What the coordinator knows of one roster member. */
typedef struct cnode {
	uint32_t slot;
	uint8_t stage;       /* rounds answered: 1 advertise .. 5 unmask */
	bool out;            /* dropped for breaking the protocol */
	bool in_u1;          /* its shares were forwarded */
	bool in_u2;          /* masked input is in the sum */
	uint8_t need;        /* CRN_SA_SHARE_* to reconstruct, or 0 */
	crn_sa_encshare *sh; /* its ShareKeys, until forwarded */
	uint32_t nsh;
	uint8_t sig[CAIRN_SIG_LEN];
	uint32_t ncoll; /* shares collected of its secret */
	uint32_t mark;  /* duplicate check within one response */
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
	cnode *nd;          /* per roster index - 1 */
	uint32_t *index_of; /* per slot - 1: roster index or 0 */
	crn_graph *g;
	uint8_t *acc; /* the running sum of masked inputs */
	size_t acc_len;
	crn_sa_survivors u2;
	uint32_t *u2_slots;
	crn_shamir_share *coll; /* n x t collected shares */
	uint32_t mark_gen;
	uint64_t bytes_rx;
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

void
crn_sa_coord_free(crn_sa_coord *c)
{
	if (c == NULL)
		return;
	if (c->nd != NULL)
		for (uint32_t i = 0; i < c->roster.n; i++)
			crn_free(
			    c->nd[i].sh, c->nd[i].nsh * sizeof(*c->nd[i].sh));
	crn_free(c->nd, (size_t)c->roster.n * sizeof(*c->nd));
	if (c->adv != NULL)
		for (uint32_t s = 0; s < c->nslots; s++)
			crn_sa_advertise_fini(&c->adv[s]);
	crn_free(c->adv, (size_t)c->nslots * sizeof(*c->adv));
	crn_free(c->slot_ids,
	    c->slot_ids ? (size_t)c->nslots * sizeof(*c->slot_ids) : 0);
	crn_free(c->adv_got, c->nslots);
	crn_free(c->index_of, (size_t)c->nslots * sizeof(*c->index_of));
	crn_freezero(c->coll, (size_t)c->roster.n * c->t * sizeof(*c->coll));
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

static cairn_err
multicast(crn_sa_coord *c, crn_sa_actions *out, uint32_t type,
    uint8_t min_stage, uint8_t *buf, size_t len)
{
	uint32_t *to = NULL;
	size_t n = 0;
	cairn_err rv;

	if ((rv = slots_at(c, min_stage, &to, &n)) != CAIRN_OK)
		return rv;
	if ((rv = crn_sa_act_send(out, type, 0, to, n, buf, len)) != CAIRN_OK)
		crn_free(to, (n ? n : 1) * sizeof(*to));
	return rv;
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
	    "%s in round %s: needed %u, answered %u", what, round_name[at],
	    needed, answered);
	crn_log_warn("secagg coordinator aborts: %s", ab.reason);
	c->state = C_ABORTED;
	if (crn_sa_abort_encode(&buf, &len, &ab) == CAIRN_OK) {
		if (at == C_ADVERTISE) {
			uint32_t *to = crn_alloc(c->nslots * sizeof(*to));
			size_t k = 0;

			for (uint32_t s = 0; to != NULL && s < c->nslots; s++)
				if (c->adv_got[s] == 1)
					to[k++] = s + 1;
			if (to == NULL ||
			    crn_sa_act_send(out, CRN_SA_MSG_ABORT, 0, to, k,
			        buf, len) != CAIRN_OK) {
				crn_free(to, c->nslots * sizeof(*to));
				crn_free(buf, len);
			}
		} else if (multicast(c, out, CRN_SA_MSG_ABORT, 1, buf, len) !=
		    CAIRN_OK) {
			crn_free(buf, len);
		}
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

/* ---- round closers ------------------------------------------------------ */

/* Round 0 -> 1: fix the roster (slot order) and send it. */
static cairn_err
close_advertise(crn_sa_coord *c, crn_sa_actions *out)
{
	struct slot_order {
		uint8_t id[CAIRN_SIGN_PK_LEN]; /* first, for cmp_pk */
		uint32_t slot;
	} * order;
	uint32_t n = 0;
	uint8_t *buf = NULL;
	size_t len = 0;
	cairn_err rv = CAIRN_EINTERNAL;

	for (uint32_t s = 0; s < c->nslots; s++)
		if (c->adv_got[s] == 1)
			n++;
	if (n < c->t || n < 2)
		return coord_abort(c, out, CAIRN_EABORT, c->t, n,
		    "too few nodes advertised keys");
	c->roster.params = c->p;
	c->roster.parts = crn_alloc((size_t)n * sizeof(*c->roster.parts));
	c->nd = crn_zalloc((size_t)n * sizeof(*c->nd));
	c->coll = crn_alloc((size_t)n * c->t * sizeof(*c->coll));
	if (c->roster.parts == NULL || c->nd == NULL || c->coll == NULL) {
		crn_free(c->roster.parts, (size_t)n * sizeof(*c->roster.parts));
		crn_free(c->nd, (size_t)n * sizeof(*c->nd));
		crn_free(c->coll, (size_t)n * c->t * sizeof(*c->coll));
		c->roster.parts = NULL;
		c->nd = NULL;
		c->coll = NULL;
		return CAIRN_ENOMEM;
	}
	c->roster.n = n;
	/* Roster order is identity-key order (nodes refuse any other): the
	 * coordinator cannot place anyone next to anyone on the ring. */
	if ((order = crn_alloc((size_t)n * sizeof(*order))) == NULL)
		return CAIRN_ENOMEM;
	n = 0;
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
	crn_free(order, (size_t)n * sizeof(*order));
	if ((rv = crn_sa_graph_seed(c->p.graph_seed, c->p.session_id,
	         c->roster.parts, n)) != CAIRN_OK)
		return rv;
	c->roster.params = c->p;
	if ((rv = crn_graph_new(&c->g, c->p.graph_seed, n, c->p.degree)) !=
	    CAIRN_OK)
		return coord_abort(c, out, rv, 0, n, "bad neighbour graph");
	if ((rv = crn_sa_roster_encode(&buf, &len, &c->roster)) != CAIRN_OK)
		return rv;
	if ((rv = multicast(c, out, CRN_SA_MSG_ROSTER, 1, buf, len)) !=
	    CAIRN_OK) {
		crn_free(buf, len);
		return rv;
	}
	c->state = C_SHARES;
	return CAIRN_OK;
}

/* Round 1 -> 2: forward to each U1 member the shares U1 members sent it. */
static cairn_err
close_shares(crn_sa_coord *c, crn_sa_actions *out)
{
	uint32_t n = c->roster.n, u1 = count_at(c, 2);
	uint32_t *cnt = NULL;
	crn_sa_shares *fwd = NULL;
	uint8_t *buf = NULL;
	size_t len = 0;
	cairn_err rv = CAIRN_EINTERNAL;

	if (u1 < c->t)
		return coord_abort(
		    c, out, CAIRN_EABORT, c->t, u1, "below threshold");
	cnt = crn_zalloc((size_t)n * sizeof(*cnt));
	fwd = crn_zalloc((size_t)n * sizeof(*fwd));
	if (cnt == NULL || fwd == NULL) {
		rv = CAIRN_ENOMEM;
		goto out;
	}
	for (uint32_t i = 0; i < n; i++) {
		const cnode *u = &c->nd[i];

		if (u->stage < 2 || u->out)
			continue;
		for (uint32_t j = 0; j < u->nsh; j++) {
			const cnode *v = &c->nd[u->sh[j].to - 1];

			if (v->stage >= 2 && !v->out)
				cnt[u->sh[j].to - 1]++;
		}
	}
	for (uint32_t i = 0; i < n; i++) {
		if (cnt[i] == 0)
			continue;
		fwd[i].v = crn_alloc((size_t)cnt[i] * sizeof(*fwd[i].v));
		if (fwd[i].v == NULL) {
			rv = CAIRN_ENOMEM;
			goto out;
		}
	}
	for (uint32_t i = 0; i < n; i++) {
		cnode *u = &c->nd[i];

		if (u->stage >= 2 && !u->out) {
			for (uint32_t j = 0; j < u->nsh; j++) {
				uint32_t to = u->sh[j].to - 1;
				const cnode *v = &c->nd[to];

				if (v->stage >= 2 && !v->out)
					fwd[to].v[fwd[to].count++] = u->sh[j];
			}
		}
		crn_free(u->sh, u->nsh * sizeof(*u->sh));
		u->sh = NULL;
		u->nsh = 0;
	}
	for (uint32_t i = 0; i < n; i++) {
		if (c->nd[i].stage < 2 || c->nd[i].out)
			continue;
		c->nd[i].in_u1 = true;
		if ((rv = crn_sa_shares_encode(&buf, &len,
		         CRN_SA_MSG_SHARES_FWD, &fwd[i])) != CAIRN_OK)
			goto out;
		if ((rv = crn_sa_act_send(out, CRN_SA_MSG_SHARES_FWD,
		         c->nd[i].slot, NULL, 0, buf, len)) != CAIRN_OK)
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

/* Round 2 -> 3: announce the survivor set U2 for signing. */
static cairn_err
close_masked(crn_sa_coord *c, crn_sa_actions *out)
{
	uint32_t u2 = 0, k = 0;
	uint8_t *buf = NULL;
	size_t len = 0;
	cairn_err rv;

	/* U2 is every node whose masked input was accepted (stage 3), even
	 * one that aborted or broke the protocol since: its input is in the
	 * sum, so its self mask must be removed and its pairwise masks must
	 * not be. */
	for (uint32_t i = 0; i < c->roster.n; i++)
		if (c->nd[i].stage >= 3)
			u2++;
	if (u2 < c->t)
		return coord_abort(
		    c, out, CAIRN_EABORT, c->t, u2, "below threshold");
	c->u2.idx = crn_alloc((size_t)u2 * sizeof(*c->u2.idx));
	c->u2_slots = crn_alloc((size_t)u2 * sizeof(*c->u2_slots));
	if (c->u2.idx == NULL || c->u2_slots == NULL)
		return CAIRN_ENOMEM;
	for (uint32_t i = 0; i < c->roster.n; i++)
		if (c->nd[i].stage >= 3) {
			c->nd[i].in_u2 = true;
			c->u2_slots[k] = c->nd[i].slot;
			c->u2.idx[k++] = i + 1;
		}
	c->u2.count = k;
	if ((rv = crn_sa_survivors_encode(&buf, &len, &c->u2)) != CAIRN_OK)
		return rv;
	if ((rv = multicast(c, out, CRN_SA_MSG_CONSISTENCY_REQ, 3, buf, len)) !=
	    CAIRN_OK) {
		crn_free(buf, len);
		return rv;
	}
	c->state = C_CONSISTENCY;
	return CAIRN_OK;
}

/* Round 3 -> 4: hand the signatures to the signers and ask for shares;
 * decide which secrets have to be reconstructed. */
static cairn_err
close_consistency(crn_sa_coord *c, crn_sa_actions *out)
{
	uint32_t u3 = count_at(c, 4), k = 0;
	uint32_t degree = crn_graph_degree(c->g), *nb;
	crn_sa_unmask_req rq;
	uint8_t *buf = NULL;
	size_t len = 0;
	cairn_err rv;

	if (u3 < c->t)
		return coord_abort(
		    c, out, CAIRN_EABORT, c->t, u3, "below threshold");
	if ((nb = crn_alloc(((size_t)degree + 1) * sizeof(*nb))) == NULL)
		return CAIRN_ENOMEM;
	for (uint32_t i = 0; i < c->roster.n; i++) {
		cnode *v = &c->nd[i];
		size_t cnt = 0;

		v->need = 0;
		if (v->in_u2) {
			v->need = CRN_SA_SHARE_SELF_MASK;
			continue;
		}
		if (!v->in_u1)
			continue;
		/* A dropped U1 member matters only if some survivor masked
		 * with it, that is if it has a neighbour in U2. */
		if ((rv = crn_graph_neighbours_of(
		         c->g, i + 1, nb, degree + 1, &cnt)) != CAIRN_OK) {
			crn_free(nb, ((size_t)degree + 1) * sizeof(*nb));
			return rv;
		}
		for (size_t j = 0; j < cnt; j++)
			if (c->nd[nb[j] - 1].in_u2) {
				v->need = CRN_SA_SHARE_MASK_KEY;
				break;
			}
	}
	crn_free(nb, ((size_t)degree + 1) * sizeof(*nb));
	memset(&rq, 0, sizeof(rq));
	rq.surv = c->u2;
	rq.sigs = crn_alloc((size_t)u3 * sizeof(*rq.sigs));
	if (rq.sigs == NULL)
		return CAIRN_ENOMEM;
	for (uint32_t i = 0; i < c->roster.n; i++)
		if (c->nd[i].stage >= 4 && !c->nd[i].out) {
			rq.sigs[k].index = i + 1;
			memcpy(rq.sigs[k++].sig, c->nd[i].sig, CAIRN_SIG_LEN);
		}
	rq.nsigs = k;
	rv = crn_sa_unmask_req_encode(&buf, &len, &rq);
	crn_free(rq.sigs, (size_t)u3 * sizeof(*rq.sigs));
	if (rv != CAIRN_OK)
		return rv;
	if ((rv = multicast(c, out, CRN_SA_MSG_UNMASK_REQ, 4, buf, len)) !=
	    CAIRN_OK) {
		crn_free(buf, len);
		return rv;
	}
	c->state = C_UNMASK;
	return CAIRN_OK;
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

/* Reconstruct every needed secret and strip its masks off the sum. */
static cairn_err
close_unmask(crn_sa_coord *c, crn_sa_actions *out)
{
	uint32_t u4 = count_at(c, 5), t = c->t;
	uint32_t *xs = NULL, *cached = NULL, *nb = NULL;
	uint64_t *coef = NULL;
	bool have_coef = false;
	uint8_t secret[CRN_SHAMIR_SECRET_LEN], seed[CAIRN_SEED_LEN];
	crn_kx_keypair kp;
	uint32_t degree = crn_graph_degree(c->g);
	cairn_err rv = CAIRN_EINTERNAL;

	if (u4 < t)
		return coord_abort(
		    c, out, CAIRN_EABORT, t, u4, "below threshold");
	for (uint32_t i = 0; i < c->roster.n; i++)
		if (c->nd[i].need != 0 && c->nd[i].ncoll < t)
			return coord_abort(c, out, CAIRN_EABORT, t,
			    c->nd[i].ncoll, "too few shares of one node");
	xs = crn_alloc((size_t)t * sizeof(*xs));
	cached = crn_alloc((size_t)t * sizeof(*cached));
	coef = crn_alloc((size_t)t * sizeof(*coef));
	nb = crn_alloc(((size_t)degree + 1) * sizeof(*nb));
	if (xs == NULL || cached == NULL || coef == NULL || nb == NULL) {
		rv = CAIRN_ENOMEM;
		goto out;
	}
	for (uint32_t i = 0; i < c->roster.n; i++) {
		cnode *v = &c->nd[i];
		const crn_shamir_share *sh = &c->coll[(size_t)i * t];
		size_t cnt = 0;

		if (v->need == 0)
			continue;
		for (uint32_t j = 0; j < t; j++)
			xs[j] = sh[j].x;
		if (!have_coef || memcmp(xs, cached, t * sizeof(*xs)) != 0) {
			if ((rv = crn_shamir_lagrange(coef, xs, t)) != CAIRN_OK)
				goto out;
			memcpy(cached, xs, t * sizeof(*xs));
			have_coef = true;
		}
		if ((rv = crn_shamir_combine_with(secret, sh, coef, t)) !=
		    CAIRN_OK) {
			rv = coord_abort(c, out, CAIRN_EAUTH, t, v->ncoll,
			    "inconsistent shares");
			goto out;
		}
		if (v->need == CRN_SA_SHARE_SELF_MASK) {
			uint8_t commit[CAIRN_KEY_LEN];
			bool ok;

			/* Shamir's redundancy misses small shifts of a share;
			 * the commitment does not, so a corrupted share ends
			 * the session instead of silently skewing the sum. */
			rv =
			    crn_sa_self_commit(commit, secret, c->p.session_id);
			ok = rv == CAIRN_OK &&
			    crn_ct_eq(commit, c->roster.parts[i].bcommit,
			        sizeof(commit));
			cairn_memzero(commit, sizeof(commit));
			if (rv != CAIRN_OK)
				goto out;
			if (!ok) {
				rv = coord_abort(c, out, CAIRN_EAUTH, t,
				    v->ncoll,
				    "self-mask shares do not match "
				    "the commitment");
				goto out;
			}
			if ((rv = crn_prg_add(c->acc, c->p.dim, c->p.ring_bits,
			         secret, 1)) != CAIRN_OK)
				goto out;
			continue;
		}
		/* A dropped node: its key must be the one it advertised,
		 * or the shares were bad. */
		crn_kx_keypair_from_seed(&kp, secret);
		if (!crn_ct_eq(
		        kp.pk, c->roster.parts[i].mask_pk, CAIRN_KX_PK_LEN)) {
			rv = coord_abort(c, out, CAIRN_EAUTH, t, v->ncoll,
			    "reconstructed mask key does not match");
			goto out;
		}
		if ((rv = crn_graph_neighbours_of(
		         c->g, i + 1, nb, degree + 1, &cnt)) != CAIRN_OK)
			goto out;
		for (size_t j = 0; j < cnt; j++) {
			uint32_t u = nb[j];

			if (!c->nd[u - 1].in_u2)
				continue;
			if ((rv = crn_sa_mask_seed(seed, kp.sk,
			         c->roster.parts[u - 1].mask_pk,
			         c->p.session_id)) != CAIRN_OK)
				goto out;
			/* u added PRG(s_uv) when v < u and subtracted it when
			 * v > u; undo exactly that. */
			if ((rv = crn_prg_add(c->acc, c->p.dim, c->p.ring_bits,
			         seed, i + 1 < u)) != CAIRN_OK)
				goto out;
		}
	}
	if ((rv = crn_sa_act_done(out, c->acc, c->acc_len)) != CAIRN_OK)
		goto out;
	/* The DONE action owns the sum now; keep a zeroed stand-in so that
	 * free stays uniform. */
	c->acc = NULL;
	c->acc_len = 0;
	c->state = C_DONE;
	rv = CAIRN_OK;
out:
	cairn_memzero(secret, sizeof(secret));
	cairn_memzero(seed, sizeof(seed));
	cairn_memzero(&kp, sizeof(kp));
	crn_free(xs, (size_t)t * sizeof(*xs));
	crn_free(cached, (size_t)t * sizeof(*cached));
	crn_free(coef, (size_t)t * sizeof(*coef));
	crn_free(nb, ((size_t)degree + 1) * sizeof(*nb));
	return rv;
}

static cairn_err
close_round(crn_sa_coord *c, crn_sa_actions *out)
{
	switch (c->state) {
	case C_ADVERTISE: return close_advertise(c, out);
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
	if ((rv = crn_sa_advertise_verify(&a, c->p.session_id)) != CAIRN_OK) {
		c->adv_got[slot - 1] = 2;
		crn_sa_advertise_fini(&a);
		return rv;
	}
	/* The slot's envelopes are signed by one identity: advertising
	 * another one (someone else's keys relayed) is refused. */
	if (c->slot_ids != NULL &&
	    memcmp(c->slot_ids[slot - 1], a.identity, CAIRN_SIGN_PK_LEN) != 0) {
		crn_log_warn("secagg coordinator: slot %u advertised an "
		             "identity other than its envelope signer's",
		    slot);
		c->adv_got[slot - 1] = 2;
		crn_sa_advertise_fini(&a);
		return CAIRN_EPERM;
	}
	/* One identity, one seat: a second slot claiming an identity that
	 * already advertised is refused. */
	for (uint32_t s = 0; s < c->nslots; s++)
		if (c->adv_got[s] == 1 &&
		    cmp_pk(c->adv[s].identity, a.identity) == 0) {
			c->adv_got[slot - 1] = 2;
			crn_sa_advertise_fini(&a);
			return CAIRN_EPERM;
		}
	c->adv[slot - 1] = a;
	c->adv_got[slot - 1] = 1;
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
	if (sh.count != crn_graph_degree(c->g)) {
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
	         c->u2.idx, c->u2.count)) != CAIRN_OK)
		return rv;
	rv = crn_sign_verify(c->roster.parts[u - 1].identity, tbs, tlen, sig);
	crn_free(tbs, tlen);
	if (rv == CAIRN_OK)
		memcpy(c->nd[u - 1].sig, sig, CAIRN_SIG_LEN);
	return rv;
}

static cairn_err
on_unmask(crn_sa_coord *c, uint32_t u, const uint8_t *msg, size_t len)
{
	crn_sa_unmask r;
	crn_shamir_share s;
	uint32_t gen = ++c->mark_gen;
	cairn_err rv;

	if ((rv = crn_sa_unmask_decode(&r, msg, len)) != CAIRN_OK)
		return rv;
	/* Check the whole response before keeping any of it. */
	for (uint32_t i = 0; i < r.count; i++) {
		const crn_sa_revealed *x = &r.v[i];
		const cnode *o;

		if (x->owner > c->roster.n) {
			rv = CAIRN_EPROTO;
			goto out;
		}
		o = &c->nd[x->owner - 1];
		if ((x->owner != u && !crn_graph_has_edge(c->g, u, x->owner)) ||
		    !o->in_u1 || o->mark == gen ||
		    x->kind !=
		        (o->in_u2 ? CRN_SA_SHARE_SELF_MASK
		                  : CRN_SA_SHARE_MASK_KEY) ||
		    crn_shamir_share_decode(&s, x->share) != CAIRN_OK ||
		    s.x != u) {
			rv = CAIRN_EPROTO;
			goto out;
		}
		c->nd[x->owner - 1].mark = gen;
	}
	for (uint32_t i = 0; i < r.count; i++) {
		cnode *o = &c->nd[r.v[i].owner - 1];

		if (o->need == 0 || o->ncoll >= c->t)
			continue;
		if (crn_shamir_share_decode(
		        &c->coll[(size_t)(r.v[i].owner - 1) * c->t + o->ncoll],
		        r.v[i].share) == CAIRN_OK)
			o->ncoll++;
	}
	rv = CAIRN_OK;
out:
	cairn_memzero(&s, sizeof(s));
	crn_sa_unmask_fini(&r);
	return rv;
}

cairn_err
crn_sa_coord_recv(crn_sa_coord *c, uint32_t slot, uint32_t type,
    const uint8_t *msg, size_t len, crn_sa_actions *out)
{
	static const uint32_t expect[] = {
	    [C_ADVERTISE] = CRN_SA_MSG_ADVERTISE,
	    [C_SHARES] = CRN_SA_MSG_SHARE_KEYS,
	    [C_MASKED] = CRN_SA_MSG_MASKED_INPUT,
	    [C_CONSISTENCY] = CRN_SA_MSG_CONSISTENCY_SIG,
	    [C_UNMASK] = CRN_SA_MSG_UNMASK,
	};
	uint32_t u;
	cnode *nd;
	cairn_err rv;

	if (slot == 0 || slot > c->nslots)
		return CAIRN_EINVAL;
	if (c->state >= C_DONE)
		return CAIRN_ESTATE;
	c->bytes_rx += len;
	if (c->state == C_ADVERTISE) {
		if (type != CRN_SA_MSG_ADVERTISE)
			return CAIRN_ESTATE;
		rv = on_advertise(c, slot, msg, len);
		if (rv == CAIRN_EREPLAY)
			return rv;
		cairn_err rv2 = maybe_close(c, out);
		return rv != CAIRN_OK ? rv : rv2;
	}
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
	switch (c->state) {
	case C_SHARES: rv = on_share_keys(c, u, msg, len); break;
	case C_MASKED: rv = on_masked(c, msg, len); break;
	case C_CONSISTENCY: rv = on_consig(c, u, msg, len); break;
	case C_UNMASK: rv = on_unmask(c, u, msg, len); break;
	default: rv = CAIRN_EINTERNAL; break;
	}
	if (rv == CAIRN_OK) {
		nd->stage++;
	} else {
		crn_log_warn("secagg coordinator drops node %u in round %s: %s",
		    u, round_name[c->state], cairn_strerror(rv));
		/* An input already in the sum stays there: such a node
		 * remains in U2 and only stops answering. */
		nd->out = true;
	}
	cairn_err rv2 = maybe_close(c, out);
	return rv != CAIRN_OK ? rv : rv2;
}

cairn_err
crn_sa_coord_deadline(crn_sa_coord *c, crn_sa_actions *out)
{
	if (c->state >= C_DONE)
		return CAIRN_OK;
	return close_round(c, out);
}
