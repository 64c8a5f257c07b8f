/* secagg_harden_test.c — the privacy holes of the first security review,
 * each played by a dishonest coordinator (or node) against the real
 * machines on the one-process world: a roster padded with uncertified
 * identities, a slot advertising someone else's identity, a survivor set
 * below min_participants, which certificates a sparse node checks,
 * consistency signatures from distant nodes (or from the node's own
 * neighbourhood only), a coordinator-chosen graph (order, degree,
 * threshold, graph seed), a node that aborts after its masked input was
 * accepted, and 5,000 copies of one bad signature.
 * CAIRN_TEST_TIMEOUT: 120 */
#include <stdlib.h>
#include <string.h>

#include "cairn_test.h"
#include "secagg_play.h"

/* ---- 1. certified participants ------------------------------------------ */

/* A participant of the coordinator's own making: a fresh identity with a
 * correctly signed advertisement, its own machine (to reveal a graph
 * contribution that matches its commitment) and a certificate that is
 * none (how 0), from another authority (1) or a real node's (2). */
typedef struct fake {
	crn_identity *id;
	crn_sa_node *m;
	crn_sa_advertise adv;
	uint8_t cert[CRN_SA_SIMCERT_LEN];
} fake;

static void
fake_new(fake *f, crn_sa_world *w, uint32_t k, int how, const uint8_t *real)
{
	crn_sa_node_cfg nc;
	crn_sa_actions na;
	crn_identity *other;
	uint8_t seed[32], pk[CAIRN_SIGN_PK_LEN];

	memset(f, 0, sizeof(*f));
	memset(seed, 0x40 + (int)k, sizeof(seed));
	CAIRN_T_PASS(crn_identity_from_seed(&f->id, seed));
	crn_identity_public(f->id, pk);
	memset(&nc, 0, sizeof(nc));
	nc.id = f->id;
	nc.seed[0] = (uint8_t)(0x90 + k);
	memcpy(nc.session_id, crn_sa_world_session(w), CAIRN_SESSION_ID_LEN);
	nc.ring_bits = 64;
	nc.dim = 4;
	nc.verify_peer = crn_sa_simcert_verify;
	nc.verify_arg = (void *)(uintptr_t)crn_sa_world_authority(w);
	CAIRN_T_PASS(crn_sa_node_new(&f->m, &nc));
	crn_sa_actions_init(&na);
	CAIRN_T_PASS(crn_sa_node_start(f->m, &na));
	CAIRN_T_PASS(
	    crn_sa_advertise_decode(&f->adv, na.v[0].data, na.v[0].len));
	crn_sa_actions_fini(&na);
	assert_null(f->adv.cert); /* configured without one */
	if (how == 1) {
		memset(seed, 0x99, sizeof(seed));
		CAIRN_T_PASS(crn_identity_from_seed(&other, seed));
		CAIRN_T_PASS(crn_sa_simcert_issue(f->cert, other, pk));
		crn_identity_free(other);
	} else if (how == 2) {
		memcpy(f->cert, real, CRN_SA_SIMCERT_LEN);
	}
	if (how != 0) {
		f->adv.cert = f->cert;
		f->adv.cert_len = CRN_SA_SIMCERT_LEN;
	}
}

static void
fake_free(fake *f)
{
	crn_sa_node_free(f->m);
	crn_identity_free(f->id);
	memset(f, 0, sizeof(*f));
}

/* The fake's graph-seed contribution, revealed by its own machine. */
static void
fake_reveal(fake *f, const uint8_t *roster, size_t len, uint8_t r[32])
{
	crn_sa_actions na;

	crn_sa_actions_init(&na);
	CAIRN_T_PASS(
	    crn_sa_node_recv(f->m, CRN_SA_MSG_ROSTER, roster, len, &na));
	CAIRN_T_EQ(na.v[0].type, CRN_SA_MSG_SEED_REVEAL);
	CAIRN_T_PASS(crn_sa_reveal_decode(r, na.v[0].data, na.v[0].len));
	crn_sa_actions_fini(&na);
}

static int
cmp_adv(const void *x, const void *y)
{
	const crn_sa_advertise *a = x, *b = y;

	return memcmp(a->identity, b->identity, CAIRN_SIGN_PK_LEN);
}

/* The roster position of an identity. */
static uint32_t
seat_of(const crn_sa_roster *r, const uint8_t id[CAIRN_SIGN_PK_LEN])
{
	for (uint32_t i = 0; i < r->n; i++)
		if (memcmp(r->parts[i].identity, id, CAIRN_SIGN_PK_LEN) == 0)
			return i;
	fail_msg("identity not in the roster");
	return 0;
}

/* The victim (slot 1) seated among four fakes; its answer to the graph
 * seeds, which make it check its neighbours' certificates. */
static cairn_err
padded_session(tsa_play *p, int how)
{
	fake f[4];
	crn_sa_roster r = p->r;
	crn_sa_seeds sd = {NULL, 5};
	const crn_sa_wmsg *m;
	uint8_t *buf;
	size_t len;
	cairn_err rv;

	r.parts = crn_alloc(5 * sizeof(*r.parts));
	sd.r = crn_alloc(5 * sizeof(*sd.r));
	assert_true(r.parts && sd.r);
	r.parts[0] = p->ads[0];
	for (uint32_t k = 0; k < 4; k++) {
		fake_new(&f[k], p->w, k, how, p->ads[1].cert);
		r.parts[k + 1] = f[k].adv;
	}
	qsort(r.parts, 5, sizeof(*r.parts), cmp_adv);
	CAIRN_T_PASS(crn_sa_roster_encode(&buf, &len, &r));
	for (uint32_t k = 0; k < 4; k++)
		fake_reveal(
		    &f[k], buf, len, sd.r[seat_of(&r, f[k].adv.identity)]);
	CAIRN_T_PASS(tsa_give(p->w, 1, CRN_SA_MSG_ROSTER, buf, len));
	m = crn_sa_world_sent(p->w, 1, CRN_SA_MSG_SEED_REVEAL);
	assert_non_null(m);
	CAIRN_T_PASS(crn_sa_reveal_decode(
	    sd.r[seat_of(&r, p->ads[0].identity)], m->data, m->len));
	for (uint32_t k = 0; k < 4; k++)
		fake_free(&f[k]);
	crn_free(r.parts, 5 * sizeof(*r.parts));
	rv = tsa_play_seeds(p, 1, &sd);
	crn_sa_seeds_fini(&sd);
	return rv;
}

/*
 * The coordinator seats the victim among four identities of its own
 * making to pass min_participants = 5.  Every kind of bad certificate is
 * refused once the graph is fixed, before the victim shares anything;
 * seated with the real, certified nodes it shares.
 */
static void
test_uncertified_padding(void **state)
{
	(void)state;
	for (int how = 0; how <= 3; how++) {
		tsa_opts o = {.n = 5,
		    .t = 4,
		    .minp = 5,
		    .malicious = true,
		    .seed = (uint8_t)(0x60 + how)};
		crn_sa_world *w = tsa_world(&o);
		tsa_play p;

		tsa_play_init(&p, w, &o);
		if (how == 3) {
			tsa_play_to_shares(&p);
			assert_true(tsa_sent(w, 1, CRN_SA_MSG_SHARE_KEYS));
		} else {
			CAIRN_T_FAIL(padded_session(&p, how), CAIRN_EAUTH);
			tsa_refused(w, 1,
			    how == 2 ? "certifies another key"
			             : "no valid node certificate");
			assert_false(tsa_sent(w, 1, CRN_SA_MSG_SHARE_KEYS));
			assert_true(tsa_sent(w, 1, CRN_SA_MSG_ABORT));
		}
		tsa_play_fini(&p);
		crn_sa_world_free(w);
	}
}

/* A node without a certificate verifier cannot be created. */
static void
test_verifier_required(void **state)
{
	tsa_opts o = {.n = 3, .t = 3, .seed = 0x70};
	crn_sa_world *w = tsa_world(&o);
	crn_sa_node *nn = NULL;
	crn_sa_node_cfg nc;

	(void)state;
	memset(&nc, 0, sizeof(nc));
	nc.id = crn_sa_world_identity(w, 1);
	nc.ring_bits = 64;
	nc.dim = 4;
	CAIRN_T_FAIL(crn_sa_node_new(&nn, &nc), CAIRN_EINVAL);
	assert_null(nn);
	nc.verify_peer = crn_sa_simcert_verify;
	nc.verify_arg = (void *)(uintptr_t)crn_sa_world_authority(w);
	CAIRN_T_PASS(crn_sa_node_new(&nn, &nc));
	crn_sa_node_free(nn);
	crn_sa_world_free(w);
}

/* A slot advertising an identity other than its envelope signer's is
 * left out of the roster. */
static void
test_slot_ids(void **state)
{
	tsa_opts o = {.n = 4, .t = 3, .seed = 0x71};
	crn_sa_world *w = tsa_world(&o);
	uint8_t ids[4][CAIRN_SIGN_PK_LEN];
	crn_sa_coord_cfg cc;
	crn_sa_coord *c;
	crn_sa_actions a;

	(void)state;
	for (uint32_t i = 0; i < 4; i++)
		crn_identity_public(crn_sa_world_identity(w, i + 1), ids[i]);
	/* Slot 3's envelopes are signed by node 1's key. */
	memcpy(ids[2], ids[0], sizeof(ids[2]));
	memset(&cc, 0, sizeof(cc));
	memcpy(cc.params.session_id, crn_sa_world_session(w),
	    CAIRN_SESSION_ID_LEN);
	cc.params.threshold = 3;
	cc.params.ring_bits = 64;
	cc.params.dim = 4;
	cc.nslots = 4;
	cc.slot_ids = (const uint8_t(*)[CAIRN_SIGN_PK_LEN])ids;
	CAIRN_T_PASS(crn_sa_coord_new(&c, &cc));
	memset(ids, 0, sizeof(ids)); /* the coordinator copied them */
	tsa_start(w);
	crn_sa_actions_init(&a);
	for (uint32_t s = 1; s <= 4; s++) {
		const crn_sa_wmsg *m =
		    crn_sa_world_sent(w, s, CRN_SA_MSG_ADVERTISE);

		CAIRN_T_FAIL(
		    crn_sa_coord_recv(c, s, m->type, m->data, m->len, &a),
		    s == 3 ? CAIRN_EPERM : CAIRN_OK);
	}
	CAIRN_T_EQ(crn_sa_coord_nodes(c), 3);
	CAIRN_T_EQ(a.count, 1);
	CAIRN_T_EQ(a.v[0].type, CRN_SA_MSG_ROSTER);
	CAIRN_T_EQ(a.v[0].n_many, 3);
	for (size_t i = 0; i < a.v[0].n_many; i++)
		assert_int_not_equal(a.v[0].to_many[i], 3);
	crn_sa_actions_fini(&a);
	crn_sa_coord_free(c);
	crn_sa_world_free(w);
}

/* ---- 2. min_participants on the survivor set ---------------------------- */

static void
run_sim(
    uint32_t n, uint32_t t, uint32_t minp, uint32_t ndrop, crn_sa_sim_result *r)
{
	crn_sa_sim_cfg cfg;

	memset(&cfg, 0, sizeof(cfg));
	cfg.nodes = n;
	cfg.dim = 8;
	cfg.ring_bits = 64;
	cfg.threshold = t;
	cfg.min_participants = minp;
	cfg.ndrop = ndrop;
	cfg.drop_at = CRN_SA_R_MASKED;
	cfg.seed[0] = 42;
	CAIRN_T_PASS(crn_sa_sim_run(&cfg, r));
}

static void
test_survivors_min_participants(void **state)
{
	crn_sa_sim_result r;

	(void)state;
	/* n = 3, min_participants = 3, one drops: two survivors would let
	 * each learn the other's input from the sum; they refuse. */
	run_sim(3, 2, 3, 1, &r);
	assert_false(r.finished);
	/* The control: min_participants 2 lets the same session finish. */
	run_sim(3, 2, 2, 1, &r);
	assert_true(r.finished && r.correct);
	/* And no dropout with min_participants 3 finishes too. */
	run_sim(3, 2, 3, 0, &r);
	assert_true(r.finished && r.correct);
}

/* ---- 3. and 4. the sparse graph ----------------------------------------- */

#define SPARSE_N 80

/* A sparse world with the malicious policy's own parameters. */
static crn_sa_world *
sparse_world(uint8_t seed, crn_graph_params *gp)
{
	tsa_opts o;

	CAIRN_T_PASS(crn_graph_choose_ex(gp, SPARSE_N, 0.05, 0.05, 1, 1));
	assert_true(gp->degree > 0 && gp->degree < SPARSE_N - 1);
	memset(&o, 0, sizeof(o));
	o.n = SPARSE_N;
	o.t = gp->threshold;
	o.degree = gp->degree;
	o.coordinator = true;
	o.malicious = true;
	o.seed = seed;
	return tsa_world(&o);
}

/* The graph the world's session will have, and its GraphSeeds bytes
 * (the seed follows from the reveals, which a node makes only once it
 * holds its roster: a probe world of the same seed runs that far). */
static crn_graph *
probe_graph(uint8_t seed, uint8_t **seeds, size_t *len)
{
	crn_graph_params gp;
	crn_sa_world *w = sparse_world(seed, &gp);
	const crn_sa_wmsg *m;
	crn_sa_roster r;
	crn_graph *g;

	tsa_start(w);
	CAIRN_T_EQ(tsa_step(w), SPARSE_N);
	m = crn_sa_world_peek(w, 1);
	tsa_got_roster(w, 1, &r);
	g = tsa_graph_of(w, &r, m);
	*seeds = crn_alloc(m->len);
	assert_non_null(*seeds);
	memcpy(*seeds, m->data, m->len);
	*len = m->len;
	crn_sa_roster_fini(&r);
	crn_sa_world_free(w);
	return g;
}

/* Node 1 gets the roster with entry `target`'s certificate broken (the
 * certificate is not in the roster digest, so nothing else changes);
 * its answer to the graph seeds, which must be the probe's. */
static cairn_err
broken_cert(uint8_t seed, uint32_t target, const uint8_t *gs, size_t gslen)
{
	crn_graph_params gp;
	crn_sa_world *w = sparse_world(seed, &gp);
	const crn_sa_wmsg *m;
	crn_sa_roster r;
	uint8_t *buf, *bad;
	size_t len, clen;
	cairn_err rv;

	tsa_start(w);
	m = crn_sa_world_peek(w, 1);
	CAIRN_T_PASS(crn_sa_roster_decode(&r, m->data, m->len));
	clen = r.parts[target - 1].cert_len;
	bad = crn_alloc(clen);
	assert_non_null(bad);
	memcpy(bad, r.parts[target - 1].cert, clen);
	bad[clen - 1] ^= 1;
	r.parts[target - 1].cert = bad;
	CAIRN_T_PASS(crn_sa_roster_encode(&buf, &len, &r));
	crn_free(bad, clen);
	crn_sa_roster_fini(&r);
	crn_sa_world_discard(w, 1);
	CAIRN_T_PASS(tsa_give(w, 1, CRN_SA_MSG_ROSTER, buf, len));
	CAIRN_T_EQ(tsa_step(w), SPARSE_N - 1);
	m = crn_sa_world_peek(w, 1);
	CAIRN_T_EQ(m->len, gslen);
	assert_memory_equal(m->data, gs, gslen);
	CAIRN_T_PASS(crn_sa_world_deliver(w, 1));
	rv = crn_sa_world_last_rv(w, 1);
	assert_true(tsa_sent(w, 1, CRN_SA_MSG_SHARE_KEYS) == (rv == CAIRN_OK));
	crn_sa_world_free(w);
	return rv;
}

/*
 * Which certificates a node checks in a sparse roster: every neighbour's
 * (an uncertified neighbour is refused), and beyond them only enough
 * entries to reach min_participants, so the cost stays O(k).  An entry
 * far from us with a broken certificate shares nothing with us and is
 * refused by its own honest neighbours.
 */
static void
test_sparse_cert_scope(void **state)
{
	uint8_t *gs;
	size_t gslen;
	crn_graph *g = probe_graph(0x72, &gs, &gslen);
	uint32_t near = 0, far = 0;

	(void)state;
	for (uint32_t x = 2; x <= SPARSE_N; x++) {
		if (crn_graph_has_edge(g, 1, x) && near == 0)
			near = x;
		if (!crn_graph_has_edge(g, 1, x) && far == 0)
			far = x;
	}
	assert_true(near != 0 && far != 0);
	CAIRN_T_FAIL(broken_cert(0x72, near, gs, gslen), CAIRN_EAUTH);
	CAIRN_T_PASS(broken_cert(0x72, far, gs, gslen));
	crn_free(gs, gslen);
	crn_graph_free(g);
}

/* Mark x and its neighbours. */
static void
mark_closed(const crn_graph *g, uint32_t x, bool *in)
{
	in[x - 1] = true;
	for (uint32_t v = 1; v <= crn_graph_n(g); v++)
		if (crn_graph_has_edge(g, x, v))
			in[v - 1] = true;
}

/* The signatures of the marked signers (inverted with `not`). */
static uint32_t
pick(const crn_sa_signed *all, const bool *in, bool not, crn_sa_signed *out)
{
	uint32_t k = 0;

	for (uint32_t i = 0; i < SPARSE_N; i++)
		if (in[i] != not )
			out[k++] = all[i];
	return k;
}

/* Node slot's answer to the survivor set with the marked signatures. */
static cairn_err
ask(crn_sa_world *w, uint32_t slot, const crn_sa_survivors *s,
    const crn_sa_signed *all, const bool *in, bool not )
{
	crn_sa_signed *sel = crn_alloc(SPARSE_N * sizeof(*sel));
	uint32_t k;
	cairn_err rv;

	assert_non_null(sel);
	k = pick(all, in, not, sel);
	crn_sa_world_discard(w, slot);
	rv = tsa_give_unmask(w, slot, s, sel, k);
	assert_true(tsa_sent(w, slot, CRN_SA_MSG_UNMASK) == (rv == CAIRN_OK));
	crn_free(sel, SPARSE_N * sizeof(*sel));
	return rv;
}

/*
 * The split-view attack with signers the victim cannot vouch for: every
 * node signed the same survivor set, and the coordinator shows node 1 t
 * valid signatures over it, all from nodes that are not its neighbours;
 * node 2 only the signatures of its own closed neighbourhood.  Neither
 * says what the neighbourhoods of the nodes whose secrets they would
 * reveal were told: both refuse.  Node 3, shown the signatures of the
 * closed neighbourhoods of itself and of each neighbour, answers.
 */
static void
test_sparse_distant_signers(void **state)
{
	crn_graph_params gp;
	crn_sa_world *w = sparse_world(0x73, &gp);
	crn_sa_signed *all = crn_alloc(SPARSE_N * sizeof(*all));
	bool *in = crn_zalloc(SPARSE_N * sizeof(*in));
	const crn_sa_wmsg *m;
	crn_sa_survivors surv;
	crn_graph *g;

	(void)state;
	assert_true(all && in);
	tsa_start(w);
	tsa_until(w, CRN_SA_MSG_UNMASK_REQ);
	g = tsa_got_graph(w, 1);
	m = crn_sa_world_got(w, 1, CRN_SA_MSG_CONSISTENCY_REQ);
	CAIRN_T_PASS(crn_sa_survivors_decode(&surv, m->data, m->len));
	CAIRN_T_EQ(surv.count, SPARSE_N);
	for (uint32_t s = 1; s <= SPARSE_N; s++) {
		m = crn_sa_world_sent(w, s, CRN_SA_MSG_CONSISTENCY_SIG);
		all[s - 1].index = s;
		CAIRN_T_PASS(
		    crn_sa_consig_decode(all[s - 1].sig, m->data, m->len));
	}
	mark_closed(g, 1, in);
	assert_true(SPARSE_N - (gp.degree + 1) >= gp.threshold);
	CAIRN_T_FAIL(ask(w, 1, &surv, all, in, true), CAIRN_EAUTH);
	tsa_refused(w, 1, "too few of our neighbours signed");
	memset(in, 0, SPARSE_N * sizeof(*in));
	mark_closed(g, 2, in);
	CAIRN_T_FAIL(ask(w, 2, &surv, all, in, false), CAIRN_EAUTH);
	tsa_refused(w, 2, "too few of a neighbour's neighbours signed");
	memset(in, 0, SPARSE_N * sizeof(*in));
	for (uint32_t v = 1; v <= SPARSE_N; v++)
		if (v == 3 || crn_graph_has_edge(g, 3, v))
			mark_closed(g, v, in);
	CAIRN_T_PASS(ask(w, 3, &surv, all, in, false));
	crn_free(all, SPARSE_N * sizeof(*all));
	crn_free(in, SPARSE_N * sizeof(*in));
	crn_sa_survivors_fini(&surv);
	crn_graph_free(g);
	crn_sa_world_free(w);
}

static void
swap_two(crn_sa_roster *r, const crn_graph_params *gp)
{
	crn_sa_advertise tmp = r->parts[3];

	(void)gp;
	r->parts[3] = r->parts[7];
	r->parts[7] = tmp;
}

static void
low_degree(crn_sa_roster *r, const crn_graph_params *gp)
{
	r->params.degree = gp->degree - 2;
	r->params.threshold = gp->degree / 2 + 1;
}

static void
low_threshold(crn_sa_roster *r, const crn_graph_params *gp)
{
	r->params.threshold = gp->threshold - 1;
}

/* Give node slot its roster after `tamper`; its answer. */
static cairn_err
tampered(crn_sa_world *w, uint32_t slot, const crn_graph_params *gp,
    void (*tamper)(crn_sa_roster *, const crn_graph_params *))
{
	const crn_sa_wmsg *m = crn_sa_world_peek(w, slot);
	crn_sa_roster r;
	uint8_t *buf;
	size_t len;

	CAIRN_T_PASS(crn_sa_roster_decode(&r, m->data, m->len));
	tamper(&r, gp);
	CAIRN_T_PASS(crn_sa_roster_encode(&buf, &len, &r));
	crn_sa_roster_fini(&r);
	crn_sa_world_discard(w, slot);
	return tsa_give(w, slot, CRN_SA_MSG_ROSTER, buf, len);
}

/*
 * The coordinator tries to choose the graph: reorder the roster, lower
 * the degree or the threshold (refused against each node's own policy
 * before it reveals anything), or, once it has seen every revealed
 * contribution, change one in the graph seeds (refused: it no longer
 * matches the commitment its owner signed in its advertisement).
 */
static void
test_coordinator_chosen_graph(void **state)
{
	crn_graph_params gp;
	crn_sa_world *w = sparse_world(0x74, &gp);
	const crn_sa_wmsg *m;
	crn_sa_seeds sd;
	uint8_t *buf;
	size_t len;

	(void)state;
	tsa_start(w);
	CAIRN_T_FAIL(tampered(w, 1, &gp, swap_two), CAIRN_EPERM);
	tsa_refused(w, 1, "not sorted by identity");
	CAIRN_T_FAIL(tampered(w, 2, &gp, low_degree), CAIRN_EPERM);
	tsa_refused(w, 2, "below our policy");
	CAIRN_T_FAIL(tampered(w, 3, &gp, low_threshold), CAIRN_EPERM);
	tsa_refused(w, 3, "below our policy");
	for (uint32_t s = 1; s <= 3; s++)
		assert_false(tsa_sent(w, s, CRN_SA_MSG_SEED_REVEAL));
	crn_sa_world_free(w);

	w = sparse_world(0x75, &gp);
	tsa_start(w);
	CAIRN_T_EQ(tsa_step(w), SPARSE_N);
	m = crn_sa_world_peek(w, 1);
	CAIRN_T_PASS(crn_sa_seeds_decode(&sd, m->data, m->len));
	sd.r[5][0] ^= 0x40;
	CAIRN_T_PASS(crn_sa_seeds_encode(&buf, &len, &sd));
	crn_sa_seeds_fini(&sd);
	crn_sa_world_discard(w, 1);
	CAIRN_T_FAIL(
	    tsa_give(w, 1, CRN_SA_MSG_GRAPH_SEEDS, buf, len), CAIRN_EPROTO);
	tsa_refused(w, 1, "does not match its commitment");
	assert_false(tsa_sent(w, 1, CRN_SA_MSG_SHARE_KEYS));
	crn_sa_world_free(w);
}

/* ---- 5. a masked input followed by an abort ----------------------------- */

static crn_sa_world *
small_world(uint8_t seed)
{
	tsa_opts o = {.n = 5,
	    .t = 4,
	    .coordinator = true,
	    .malicious = true,
	    .seed = seed};

	return tsa_world(&o);
}

/* Node 1's masked input is accepted, then it aborts: its input is in the
 * sum, so its self mask is removed and the sum is of all five. */
static void
test_masked_then_abort(void **state)
{
	crn_sa_world *w = small_world(0x76);
	crn_sa_actions a;
	crn_sa_abort ab;
	uint8_t *buf;
	size_t len;

	(void)state;
	tsa_start(w);
	tsa_until(w, CRN_SA_MSG_SHARES_FWD);
	CAIRN_T_PASS(crn_sa_world_deliver(w, 1));
	assert_true(tsa_sent(w, 1, CRN_SA_MSG_MASKED_INPUT));
	crn_sa_abort_fill(&ab, CAIRN_EABORT, 0, 0, "changed my mind");
	CAIRN_T_PASS(crn_sa_abort_encode(&buf, &len, &ab));
	crn_sa_actions_init(&a);
	CAIRN_T_PASS(crn_sa_coord_recv(
	    crn_sa_world_coord(w), 1, CRN_SA_MSG_ABORT, buf, len, &a));
	CAIRN_T_EQ(a.count, 0);
	crn_sa_actions_fini(&a);
	crn_free(buf, len);
	CAIRN_T_PASS(crn_sa_world_drain(w));
	assert_false(crn_sa_world_aborted(w, NULL));
	tsa_check_sum_all(w, 5);
	crn_sa_world_free(w);
}

/* ---- 6. bounded unmask requests ----------------------------------------- */

/* 5,000 copies of one bad signature cost one verification at most, and
 * are refused. */
static void
test_unmask_request_repeats(void **state)
{
	const uint32_t many = 5000;
	crn_sa_world *w = small_world(0x77);
	crn_sa_node_stats before, after;
	const crn_sa_wmsg *m;
	crn_sa_survivors surv;
	crn_sa_signed *sigs = crn_zalloc(many * sizeof(*sigs));

	(void)state;
	assert_non_null(sigs);
	tsa_start(w);
	tsa_until(w, CRN_SA_MSG_UNMASK_REQ);
	m = crn_sa_world_got(w, 1, CRN_SA_MSG_CONSISTENCY_REQ);
	CAIRN_T_PASS(crn_sa_survivors_decode(&surv, m->data, m->len));
	for (uint32_t i = 0; i < many; i++)
		sigs[i].index = 2;
	crn_sa_node_get_stats(crn_sa_world_node(w, 1), &before);
	crn_sa_world_discard(w, 1);
	CAIRN_T_FAIL(tsa_give_unmask(w, 1, &surv, sigs, many), CAIRN_EAUTH);
	crn_sa_node_get_stats(crn_sa_world_node(w, 1), &after);
	assert_true(after.verifies - before.verifies <= 1);
	crn_free(sigs, many * sizeof(*sigs));
	crn_sa_survivors_fini(&surv);
	crn_sa_world_free(w);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_uncertified_padding),
    cmocka_unit_test(test_verifier_required),
    cmocka_unit_test(test_slot_ids),
    cmocka_unit_test(test_survivors_min_participants),
    cmocka_unit_test(test_sparse_cert_scope),
    cmocka_unit_test(test_sparse_distant_signers),
    cmocka_unit_test(test_coordinator_chosen_graph),
    cmocka_unit_test(test_masked_then_abort),
    cmocka_unit_test(test_unmask_request_repeats),
};

CAIRN_TEST_MAIN(tests)
