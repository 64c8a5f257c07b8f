/*
 * secagg_play.c — see secagg_play.h.
 */
#include <stdlib.h>
#include <string.h>

#include "cairn_test.h"
#include "crypto/prg.h"
#include "secagg_play.h"

/* ---- worlds ------------------------------------------------------------- */

static uint32_t
nodes_of(crn_sa_world *w)
{
	uint32_t n = 0;

	while (crn_sa_world_node(w, n + 1) != NULL)
		n++;
	return n;
}

crn_sa_world *
tsa_world(const tsa_opts *o)
{
	crn_sa_world_cfg c;
	crn_sa_world *w = NULL;

	memset(&c, 0, sizeof(c));
	c.nodes = o->n;
	c.dim = o->dim ? o->dim : 4;
	c.ring_bits = o->bits ? o->bits : 64;
	c.threshold = o->t;
	c.degree = o->degree;
	memset(c.seed, o->seed, sizeof(c.seed));
	c.malicious = o->malicious;
	c.min_participants = o->minp;
	c.max_nodes = o->max_nodes;
	c.coordinator = o->coordinator;
	c.sorted = true;
	c.keep = true;
	c.hook = o->hook;
	c.hook_arg = o->hook_arg;
	c.max_rounds = o->max_rounds;
	CAIRN_T_PASS(crn_sa_world_new(&w, &c));
	return w;
}

void
tsa_start(crn_sa_world *w)
{
	uint32_t n = nodes_of(w);

	CAIRN_T_PASS(crn_sa_world_start_all(w));
	for (uint32_t s = 1; s <= n; s++)
		CAIRN_T_PASS(crn_sa_world_last_rv(w, s));
}

size_t
tsa_step(crn_sa_world *w)
{
	uint32_t n = nodes_of(w);
	bool *had = crn_zalloc(n * sizeof(*had));
	size_t k = 0;

	assert_non_null(had);
	/* Only what was queued when the step began: a round that closes
	 * during the step waits for the next one. */
	for (uint32_t s = 1; s <= n; s++)
		had[s - 1] = crn_sa_world_queued(w, s) > 0;
	for (uint32_t s = 1; s <= n; s++)
		if (had[s - 1]) {
			CAIRN_T_PASS(crn_sa_world_deliver(w, s));
			k++;
		}
	crn_free(had, n * sizeof(*had));
	return k;
}

static bool
heads_are(crn_sa_world *w, uint32_t n, uint32_t type)
{
	bool any = false;

	for (uint32_t s = 1; s <= n; s++) {
		const crn_sa_wmsg *m = crn_sa_world_peek(w, s);

		if (m == NULL)
			continue;
		if (m->type != type)
			return false;
		any = true;
	}
	return any;
}

void
tsa_until(crn_sa_world *w, uint32_t type)
{
	uint32_t n = nodes_of(w);

	for (int i = 0; i < 16; i++) {
		if (heads_are(w, n, type))
			return;
		/* Nothing to deliver: the coordinator's round deadline. */
		if (tsa_step(w) == 0)
			CAIRN_T_PASS(crn_sa_world_deadline(w));
	}
	fail_msg("no round delivers message type %u", type);
}

cairn_err
tsa_give(
    crn_sa_world *w, uint32_t slot, uint32_t type, uint8_t *buf, size_t len)
{
	cairn_err rv = crn_sa_world_to_node(w, slot, type, buf, len);

	crn_free(buf, len);
	CAIRN_T_PASS(rv);
	return crn_sa_world_last_rv(w, slot);
}

bool
tsa_sent(const crn_sa_world *w, uint32_t slot, uint32_t type)
{
	return crn_sa_world_sent(w, slot, type) != NULL;
}

void
tsa_refused(const crn_sa_world *w, uint32_t slot, const char *why)
{
	const crn_sa_wmsg *m = crn_sa_world_sent(w, slot, CRN_SA_MSG_ABORT);
	crn_sa_abort ab;

	assert_non_null(m);
	CAIRN_T_PASS(crn_sa_abort_decode(&ab, m->data, m->len));
	if (strstr(ab.reason, why) == NULL)
		fail_msg("node %u refused with \"%s\", not \"%s\"", slot,
		    ab.reason, why);
}

void
tsa_check_sum(const crn_sa_world *w, const uint32_t *slots, size_t count)
{
	size_t len = 0;
	const uint8_t *sum = crn_sa_world_sum(w, &len);
	uint8_t *want;

	assert_non_null(sum);
	want = crn_alloc(len);
	assert_non_null(want);
	crn_sa_world_plain_sum(w, slots, count, want);
	assert_memory_equal(sum, want, len);
	crn_free(want, len);
}

void
tsa_check_sum_all(const crn_sa_world *w, uint32_t n)
{
	uint32_t *all = crn_alloc(n * sizeof(*all));

	assert_non_null(all);
	for (uint32_t i = 0; i < n; i++)
		all[i] = i + 1;
	tsa_check_sum(w, all, n);
	crn_free(all, n * sizeof(*all));
}

void
tsa_got_roster(const crn_sa_world *w, uint32_t slot, crn_sa_roster *r)
{
	const crn_sa_wmsg *m = crn_sa_world_got(w, slot, CRN_SA_MSG_ROSTER);

	assert_non_null(m);
	CAIRN_T_PASS(crn_sa_roster_decode(r, m->data, m->len));
}

crn_graph *
tsa_graph_of(
    const crn_sa_world *w, const crn_sa_roster *r, const crn_sa_wmsg *seeds)
{
	crn_sa_seeds sd;
	uint8_t d[CAIRN_KEY_LEN], seed[32];
	crn_graph *g = NULL;

	assert_non_null(seeds);
	CAIRN_T_EQ(seeds->type, CRN_SA_MSG_GRAPH_SEEDS);
	CAIRN_T_PASS(crn_sa_seeds_decode(&sd, seeds->data, seeds->len));
	CAIRN_T_PASS(crn_sa_roster_digest(d, r));
	CAIRN_T_PASS(crn_sa_graph_seed(seed, crn_sa_world_session(w), d, &sd));
	CAIRN_T_PASS(crn_graph_new(&g, seed, r->n, r->params.degree));
	crn_sa_seeds_fini(&sd);
	return g;
}

crn_graph *
tsa_got_graph(const crn_sa_world *w, uint32_t slot)
{
	crn_sa_roster r;
	crn_graph *g;

	tsa_got_roster(w, slot, &r);
	g = tsa_graph_of(
	    w, &r, crn_sa_world_got(w, slot, CRN_SA_MSG_GRAPH_SEEDS));
	crn_sa_roster_fini(&r);
	return g;
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

void
tsa_set(crn_sa_survivors *s, const uint32_t *idx, uint32_t count)
{
	s->idx = crn_alloc((count ? count : 1) * sizeof(*s->idx));
	assert_non_null(s->idx);
	memcpy(s->idx, idx, count * sizeof(*idx));
	qsort(s->idx, count, sizeof(*s->idx), cmp_u32);
	s->count = count;
}

void
tsa_set_but(crn_sa_survivors *s, uint32_t n, const bool *skip)
{
	uint32_t k = 0;

	s->idx = crn_alloc(n * sizeof(*s->idx));
	assert_non_null(s->idx);
	for (uint32_t i = 1; i <= n; i++)
		if (skip == NULL || !skip[i - 1])
			s->idx[k++] = i;
	s->count = k;
}

/* ---- the dishonest coordinator ------------------------------------------ */

void
tsa_play_init(tsa_play *p, crn_sa_world *w, const tsa_opts *o)
{
	uint32_t n = nodes_of(w);

	memset(p, 0, sizeof(*p));
	p->w = w;
	p->n = n;
	tsa_start(w);
	p->ads = crn_zalloc(n * sizeof(*p->ads));
	p->r.parts = crn_zalloc(n * sizeof(*p->r.parts));
	p->keys = crn_zalloc(n * sizeof(*p->keys));
	assert_true(p->ads && p->r.parts && p->keys);
	for (uint32_t s = 1; s <= n; s++) {
		const crn_sa_wmsg *m =
		    crn_sa_world_sent(w, s, CRN_SA_MSG_ADVERTISE);

		assert_non_null(m);
		CAIRN_T_PASS(
		    crn_sa_advertise_decode(&p->ads[s - 1], m->data, m->len));
		p->r.parts[s - 1] = p->ads[s - 1];
	}
	p->r.n = n;
	memcpy(p->r.params.session_id, crn_sa_world_session(w),
	    CAIRN_SESSION_ID_LEN);
	p->r.params.threshold = o->t;
	p->r.params.degree = o->degree;
	p->r.params.ring_bits = o->bits ? o->bits : 64;
	p->r.params.dim = o->dim ? o->dim : 4;
	CAIRN_T_PASS(crn_sa_roster_digest(p->digest, &p->r));
}

void
tsa_play_fini(tsa_play *p)
{
	for (uint32_t i = 0; p->ads != NULL && i < p->n; i++)
		crn_sa_advertise_fini(&p->ads[i]);
	for (uint32_t i = 0; p->keys != NULL && i < p->n; i++)
		crn_sa_shares_fini(&p->keys[i]);
	crn_free(p->ads, p->n * sizeof(*p->ads));
	crn_free(p->keys, p->n * sizeof(*p->keys));
	crn_sa_roster_fini(&p->r);
	crn_sa_seeds_fini(&p->sd);
	crn_graph_free(p->g);
	memset(p, 0, sizeof(*p));
}

cairn_err
tsa_play_roster(tsa_play *p, uint32_t slot, const crn_sa_roster *r)
{
	uint8_t *buf;
	size_t len;

	CAIRN_T_PASS(crn_sa_roster_encode(&buf, &len, r ? r : &p->r));
	return tsa_give(p->w, slot, CRN_SA_MSG_ROSTER, buf, len);
}

void
tsa_play_reveals(tsa_play *p)
{
	uint8_t seed[32];

	crn_sa_seeds_fini(&p->sd);
	crn_graph_free(p->g);
	p->g = NULL;
	p->sd.n = p->n;
	p->sd.r = crn_alloc(p->n * sizeof(*p->sd.r));
	assert_non_null(p->sd.r);
	for (uint32_t s = 1; s <= p->n; s++) {
		const crn_sa_wmsg *m =
		    crn_sa_world_sent(p->w, s, CRN_SA_MSG_SEED_REVEAL);

		assert_non_null(m);
		CAIRN_T_PASS(
		    crn_sa_reveal_decode(p->sd.r[s - 1], m->data, m->len));
	}
	CAIRN_T_PASS(crn_sa_graph_seed(
	    seed, crn_sa_world_session(p->w), p->digest, &p->sd));
	CAIRN_T_PASS(crn_graph_new(&p->g, seed, p->n, p->r.params.degree));
}

cairn_err
tsa_play_seeds(tsa_play *p, uint32_t slot, const crn_sa_seeds *sd)
{
	uint8_t *buf;
	size_t len;

	CAIRN_T_PASS(crn_sa_seeds_encode(&buf, &len, sd ? sd : &p->sd));
	return tsa_give(p->w, slot, CRN_SA_MSG_GRAPH_SEEDS, buf, len);
}

void
tsa_play_to_shares(tsa_play *p)
{
	for (uint32_t s = 1; s <= p->n; s++)
		CAIRN_T_PASS(tsa_play_roster(p, s, NULL));
	tsa_play_reveals(p);
	for (uint32_t s = 1; s <= p->n; s++)
		CAIRN_T_PASS(tsa_play_seeds(p, s, NULL));
	tsa_play_keys(p);
}

void
tsa_play_keys(tsa_play *p)
{
	for (uint32_t s = 1; s <= p->n; s++) {
		const crn_sa_wmsg *m =
		    crn_sa_world_sent(p->w, s, CRN_SA_MSG_SHARE_KEYS);

		crn_sa_shares_fini(&p->keys[s - 1]);
		if (m != NULL)
			CAIRN_T_PASS(crn_sa_shares_decode(&p->keys[s - 1],
			    CRN_SA_MSG_SHARE_KEYS, m->data, m->len));
	}
}

cairn_err
tsa_play_forward(tsa_play *p, uint32_t slot, const bool *from)
{
	crn_sa_shares f = {NULL, 0};
	uint8_t *buf;
	size_t len;

	f.v = crn_zalloc(p->n * sizeof(*f.v));
	assert_non_null(f.v);
	for (uint32_t d = 1; d <= p->n; d++) {
		const crn_sa_shares *k = &p->keys[d - 1];

		if (from != NULL && !from[d - 1])
			continue;
		for (uint32_t j = 0; j < k->count; j++)
			if (k->v[j].to == slot) {
				f.v[f.count] = k->v[j];
				/* The commitments stay with the coordinator. */
				memset(f.v[f.count].cb, 0, CAIRN_KEY_LEN);
				memset(f.v[f.count++].csk, 0, CAIRN_KEY_LEN);
			}
	}
	CAIRN_T_PASS(
	    crn_sa_shares_encode(&buf, &len, CRN_SA_MSG_SHARES_FWD, &f));
	crn_free(f.v, p->n * sizeof(*f.v));
	return tsa_give(p->w, slot, CRN_SA_MSG_SHARES_FWD, buf, len);
}

cairn_err
tsa_play_consistency(
    tsa_play *p, uint32_t slot, const crn_sa_survivors *s, crn_sa_signed *sig)
{
	const crn_sa_wmsg *m;
	uint8_t *buf;
	size_t len;
	cairn_err rv;

	CAIRN_T_PASS(crn_sa_survivors_encode(&buf, &len, s));
	rv = tsa_give(p->w, slot, CRN_SA_MSG_CONSISTENCY_REQ, buf, len);
	if (rv != CAIRN_OK)
		return rv;
	m = crn_sa_world_sent(p->w, slot, CRN_SA_MSG_CONSISTENCY_SIG);
	assert_non_null(m);
	sig->index = slot;
	CAIRN_T_PASS(crn_sa_consig_decode(sig->sig, m->data, m->len));
	return rv;
}

cairn_err
tsa_give_unmask(crn_sa_world *w, uint32_t slot, const crn_sa_survivors *s,
    const crn_sa_signed *sigs, uint32_t nsigs)
{
	crn_sa_unmask_req rq;
	uint8_t *buf;
	size_t len;

	memset(&rq, 0, sizeof(rq));
	rq.surv = *s;
	rq.nsigs = nsigs;
	rq.sigs = crn_alloc((nsigs ? nsigs : 1) * sizeof(*rq.sigs));
	assert_non_null(rq.sigs);
	memcpy(rq.sigs, sigs, nsigs * sizeof(*sigs));
	CAIRN_T_PASS(crn_sa_unmask_req_encode(&buf, &len, &rq));
	crn_free(rq.sigs, (nsigs ? nsigs : 1) * sizeof(*rq.sigs));
	return tsa_give(w, slot, CRN_SA_MSG_UNMASK_REQ, buf, len);
}

cairn_err
tsa_play_unmask(tsa_play *p, uint32_t slot, const crn_sa_survivors *s,
    const crn_sa_signed *sigs, uint32_t nsigs)
{
	return tsa_give_unmask(p->w, slot, s, sigs, nsigs);
}

/* ---- corrupt nodes ------------------------------------------------------ */

void
tsa_corrupt_keys(const crn_sa_world *w, uint32_t slot,
    const crn_sa_advertise *adv, crn_kx_keypair *ch, crn_kx_keypair *mk,
    uint8_t b[CAIRN_SEED_LEN])
{
	uint8_t seed[CAIRN_SEED_LEN], c[CAIRN_KEY_LEN];
	crn_drbg d;

	/* The node draws, in order: its channel key seed, its mask key
	 * seed, b, its graph-seed contribution (crn_sa_node_start). */
	CAIRN_T_PASS(crn_sa_world_node_seed(w, slot, seed));
	crn_drbg_init(&d, seed);
	crn_drbg_bytes(&d, seed, sizeof(seed));
	crn_kx_keypair_from_seed(ch, seed);
	crn_drbg_bytes(&d, seed, sizeof(seed));
	crn_kx_keypair_from_seed(mk, seed);
	crn_drbg_bytes(&d, b, CAIRN_SEED_LEN);
	crn_drbg_fini(&d);
	cairn_memzero(seed, sizeof(seed));
	assert_memory_equal(ch->pk, adv->channel_pk, CAIRN_KX_PK_LEN);
	assert_memory_equal(mk->pk, adv->mask_pk, CAIRN_KX_PK_LEN);
	CAIRN_T_PASS(crn_sa_self_commit(c, b, crn_sa_world_session(w)));
	assert_memory_equal(c, adv->bcommit, sizeof(c));
}

static const crn_sa_encshare *
share_for(const tsa_play *p, uint32_t dealer, uint32_t holder)
{
	const crn_sa_shares *k = &p->keys[dealer - 1];

	for (uint32_t j = 0; j < k->count; j++)
		if (k->v[j].to == holder)
			return &k->v[j];
	return NULL;
}

bool
tsa_corrupt_open(const tsa_play *p, uint32_t holder, uint32_t dealer,
    crn_shamir_share *sb, crn_shamir_share *ssk)
{
	const uint8_t *sid = crn_sa_world_session(p->w);
	const crn_sa_encshare *e = share_for(p, dealer, holder);
	uint8_t shared[CAIRN_KEY_LEN], key[CAIRN_KEY_LEN], b[CAIRN_SEED_LEN];
	uint8_t pt[CRN_SA_SHARE_PT_LEN], ad[CRN_SA_SHARE_AD_LEN];
	crn_kx_keypair ch, mk;
	bool ok;

	assert_non_null(e);
	tsa_corrupt_keys(p->w, holder, &p->ads[holder - 1], &ch, &mk, b);
	CAIRN_T_PASS(
	    crn_kx_agree(shared, ch.sk, p->ads[dealer - 1].channel_pk));
	CAIRN_T_PASS(
	    crn_kdf(key, sizeof(key), shared, sizeof(shared), sid, "share", 0));
	crn_sa_share_ad(ad, sid, p->digest, dealer, holder);
	ok = crn_aead_open(pt, e->ct, sizeof(e->ct), ad, sizeof(ad), key) ==
	    CAIRN_OK;
	if (ok) {
		CAIRN_T_PASS(crn_shamir_share_decode(sb, pt));
		CAIRN_T_PASS(
		    crn_shamir_share_decode(ssk, pt + CRN_SHAMIR_SHARE_LEN));
	}
	cairn_memzero(&ch, sizeof(ch));
	cairn_memzero(&mk, sizeof(mk));
	cairn_memzero(pt, sizeof(pt));
	return ok;
}

void
tsa_corrupt_sign(const crn_sa_world *w, uint32_t slot,
    const uint8_t digest[CAIRN_KEY_LEN], const crn_sa_survivors *s,
    crn_sa_signed *sig)
{
	uint8_t *tbs;
	size_t tlen;

	CAIRN_T_PASS(crn_sa_consistency_tbs(
	    &tbs, &tlen, crn_sa_world_session(w), digest, s->idx, s->count));
	CAIRN_T_PASS(crn_identity_sign(
	    crn_sa_world_identity(w, slot), tbs, tlen, sig->sig));
	sig->index = slot;
	crn_free(tbs, tlen);
}

uint32_t
tsa_revealed(const crn_sa_world *w, uint32_t n, uint32_t owner, uint32_t kind,
    crn_shamir_share *out, uint32_t count, uint32_t cap)
{
	for (uint32_t s = 1; s <= n; s++) {
		const crn_sa_wmsg *m =
		    crn_sa_world_sent(w, s, CRN_SA_MSG_UNMASK);
		crn_sa_unmask u;

		if (m == NULL)
			continue;
		CAIRN_T_PASS(crn_sa_unmask_decode(&u, m->data, m->len));
		for (uint32_t i = 0; i < u.count && count < cap; i++)
			if (u.v[i].owner == owner && u.v[i].kind == kind)
				CAIRN_T_PASS(crn_shamir_share_decode(
				    &out[count++], u.v[i].share));
		crn_sa_unmask_fini(&u);
	}
	return count;
}

bool
tsa_unmask_input(const crn_sa_world *w, uint32_t u,
    const uint8_t b[CRN_SHAMIR_SECRET_LEN], const uint32_t *nb,
    const uint8_t (*seed)[CAIRN_SEED_LEN], size_t count)
{
	const crn_sa_wmsg *m = crn_sa_world_sent(w, u, CRN_SA_MSG_MASKED_INPUT);
	crn_sa_masked y;
	bool eq;

	assert_non_null(m);
	CAIRN_T_PASS(crn_sa_masked_decode(&y, m->data, m->len));
	CAIRN_T_PASS(crn_prg_add(y.data, y.dim, y.ring_bits, b, 1));
	/* u added PRG(s_uv) for v < u and subtracted it for v > u. */
	for (size_t i = 0; i < count; i++)
		CAIRN_T_PASS(crn_prg_add(
		    y.data, y.dim, y.ring_bits, seed[i], nb[i] < u));
	eq = memcmp(y.data, crn_sa_world_input(w, u), y.len) == 0;
	crn_sa_masked_fini(&y);
	return eq;
}
