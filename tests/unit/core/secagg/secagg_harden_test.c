/* secagg_harden_test.c — the privacy holes of the security review, each
 * played by a dishonest coordinator (or a node) against the machines:
 * a roster padded with uncertified identities, a survivor set below
 * min_participants, consistency signatures from distant nodes in the
 * sparse graph, a coordinator-chosen graph (order, seed, degree), and a
 * node that aborts after its masked input was accepted.
 * CAIRN_TEST_TIMEOUT: 300 */
#include <stdlib.h>
#include <string.h>

#include "cairn_test.h"
#include "proto/codec_secagg.h"
#include "secagg/graph.h"
#include "secagg/secagg.h"

#define DIM 4

typedef struct msg {
	uint32_t type;
	uint8_t *data;
	size_t len;
} msg;

typedef struct hw {
	uint32_t n;
	crn_identity *auth;
	uint8_t auth_pk[CAIRN_SIGN_PK_LEN];
	crn_identity **id;
	uint8_t (*cert)[CRN_SA_SIMCERT_LEN];
	crn_sa_node **node;
	uint64_t (*in)[DIM];
	crn_sa_coord *c;
	crn_sa_params params;
	msg *inbox, *sent;
	uint8_t *sum;
	size_t sum_len;
	int aborted;
} hw;

static void
msg_set(msg *m, uint32_t type, const uint8_t *data, size_t len)
{
	crn_free(m->data, m->len);
	m->type = type;
	m->len = len;
	m->data = crn_alloc(len ? len : 1);
	assert_non_null(m->data);
	if (len)
		memcpy(m->data, data, len);
}

static void
coord_actions(hw *w, crn_sa_actions *a)
{
	for (size_t i = 0; i < a->count; i++) {
		crn_sa_action *x = &a->v[i];

		if (x->kind == CRN_SA_ACT_DONE) {
			w->sum = x->data;
			w->sum_len = x->len;
			x->data = NULL;
			x->len = 0;
		} else if (x->kind == CRN_SA_ACT_ABORT) {
			w->aborted = 1;
		} else if (x->to_many != NULL) {
			for (size_t j = 0; j < x->n_many; j++)
				msg_set(&w->inbox[x->to_many[j] - 1], x->type,
				    x->data, x->len);
		} else {
			msg_set(&w->inbox[x->to - 1], x->type, x->data, x->len);
		}
	}
}

static void
coord_get(hw *w, uint32_t i, uint32_t type, const uint8_t *data, size_t len)
{
	crn_sa_actions ca;
	cairn_err rv;

	crn_sa_actions_init(&ca);
	rv = crn_sa_coord_recv(w->c, i + 1, type, data, len, &ca);
	assert_true(rv != CAIRN_ENOMEM && rv != CAIRN_EINTERNAL);
	coord_actions(w, &ca);
	crn_sa_actions_fini(&ca);
}

/* Give node i a message; forward what it sends unless `hold`. */
static cairn_err
node_get(
    hw *w, uint32_t i, uint32_t type, const uint8_t *data, size_t len, int hold)
{
	crn_sa_actions na;
	cairn_err rv;

	crn_sa_actions_init(&na);
	crn_sa_node_set_input(w->node[i], w->in[i]);
	rv = crn_sa_node_recv(w->node[i], type, data, len, &na);
	for (size_t k = 0; k < na.count; k++) {
		if (na.v[k].kind != CRN_SA_ACT_SEND)
			continue;
		msg_set(&w->sent[i], na.v[k].type, na.v[k].data, na.v[k].len);
		if (!hold)
			coord_get(
			    w, i, na.v[k].type, na.v[k].data, na.v[k].len);
	}
	crn_sa_actions_fini(&na);
	return rv;
}

static cairn_err
deliver(hw *w, uint32_t i, int hold)
{
	msg m = w->inbox[i];

	return node_get(w, i, m.type, m.data, m.len, hold);
}

static void
hw_init(hw *w, uint32_t n, uint32_t t, uint32_t degree, uint32_t minp)
{
	crn_sa_coord_cfg cc;
	uint8_t seed[32];

	memset(w, 0, sizeof(*w));
	w->n = n;
	w->id = crn_zalloc(n * sizeof(*w->id));
	w->cert = crn_zalloc(n * sizeof(*w->cert));
	w->node = crn_zalloc(n * sizeof(*w->node));
	w->in = crn_zalloc(n * sizeof(*w->in));
	w->inbox = crn_zalloc(n * sizeof(*w->inbox));
	w->sent = crn_zalloc(n * sizeof(*w->sent));
	assert_true(
	    w->id && w->cert && w->node && w->in && w->inbox && w->sent);
	memset(&cc, 0, sizeof(cc));
	memset(cc.params.session_id, 0x3c, CAIRN_SESSION_ID_LEN);
	cc.params.threshold = t;
	cc.params.ring_bits = 64;
	cc.params.dim = DIM;
	cc.params.degree = degree;
	cc.nslots = n;
	w->params = cc.params;
	CAIRN_T_PASS(crn_sa_coord_new(&w->c, &cc));
	memset(seed, 0xa5, sizeof(seed));
	CAIRN_T_PASS(crn_identity_from_seed(&w->auth, seed));
	crn_identity_public(w->auth, w->auth_pk);
	for (uint32_t i = 0; i < n; i++) {
		crn_sa_node_cfg nc;
		uint8_t pk[CAIRN_SIGN_PK_LEN];

		memset(seed, 0, sizeof(seed));
		memcpy(seed, &i, sizeof(i));
		seed[31] = 0x77;
		CAIRN_T_PASS(crn_identity_from_seed(&w->id[i], seed));
		crn_identity_public(w->id[i], pk);
		CAIRN_T_PASS(crn_sa_simcert_issue(w->cert[i], w->auth, pk));
		memset(&nc, 0, sizeof(nc));
		nc.id = w->id[i];
		nc.seed[0] = (uint8_t)i;
		nc.seed[1] = (uint8_t)(i >> 8);
		nc.seed[2] = 0xee;
		memcpy(
		    nc.session_id, cc.params.session_id, CAIRN_SESSION_ID_LEN);
		nc.ring_bits = 64;
		nc.dim = DIM;
		nc.min_participants = minp;
		nc.cert = w->cert[i];
		nc.cert_len = sizeof(w->cert[i]);
		nc.verify_peer = crn_sa_simcert_verify;
		nc.verify_arg = w->auth_pk;
		CAIRN_T_PASS(crn_sa_node_new(&w->node[i], &nc));
		for (uint32_t k = 0; k < DIM; k++)
			w->in[i][k] = (uint64_t)(i + 1) * 7919u + k;
	}
}

static void
hw_fini(hw *w)
{
	uint32_t n = w->n;

	for (uint32_t i = 0; i < n; i++) {
		crn_sa_node_free(w->node[i]);
		crn_identity_free(w->id[i]);
		crn_free(
		    w->inbox[i].data, w->inbox[i].len ? w->inbox[i].len : 1);
		crn_free(w->sent[i].data, w->sent[i].len ? w->sent[i].len : 1);
	}
	crn_free(w->id, n * sizeof(*w->id));
	crn_free(w->cert, n * sizeof(*w->cert));
	crn_free(w->node, n * sizeof(*w->node));
	crn_free(w->in, n * sizeof(*w->in));
	crn_free(w->inbox, n * sizeof(*w->inbox));
	crn_free(w->sent, n * sizeof(*w->sent));
	crn_sa_coord_free(w->c);
	crn_free(w->sum, w->sum_len);
	crn_identity_free(w->auth);
}

static void
start_all(hw *w)
{
	for (uint32_t i = 0; i < w->n; i++) {
		crn_sa_actions na;

		crn_sa_actions_init(&na);
		CAIRN_T_PASS(crn_sa_node_start(w->node[i], &na));
		for (size_t k = 0; k < na.count; k++)
			if (na.v[k].kind == CRN_SA_ACT_SEND) {
				msg_set(&w->sent[i], na.v[k].type, na.v[k].data,
				    na.v[k].len);
				coord_get(w, i, na.v[k].type, na.v[k].data,
				    na.v[k].len);
			}
		crn_sa_actions_fini(&na);
	}
}

/* ---- 1. certified participants ------------------------------------------ */

/* A fake participant: a fresh identity with a correctly signed
 * advertisement; `how` picks its certificate: 0 none, 1 from another
 * authority, 2 a real node's valid certificate (another key), 3 one from
 * the real authority (the control: a certified node). */
static void
fake_entry(crn_sa_advertise *a, uint8_t cert[CRN_SA_SIMCERT_LEN], const hw *w,
    uint32_t k, int how)
{
	crn_sa_node *fn;
	crn_sa_node_cfg nc;
	crn_sa_actions na;
	crn_identity *fid, *other;
	uint8_t seed[32], pk[CAIRN_SIGN_PK_LEN];

	memset(seed, 0x40 + (int)k, sizeof(seed));
	CAIRN_T_PASS(crn_identity_from_seed(&fid, seed));
	crn_identity_public(fid, pk);
	memset(&nc, 0, sizeof(nc));
	nc.id = fid;
	nc.seed[0] = (uint8_t)(0x90 + k);
	memcpy(nc.session_id, w->params.session_id, CAIRN_SESSION_ID_LEN);
	nc.ring_bits = 64;
	nc.dim = DIM;
	/* It only advertises: any verifier will do. */
	nc.verify_peer = crn_sa_simcert_verify;
	nc.verify_arg = (void *)(uintptr_t)w->auth_pk;
	CAIRN_T_PASS(crn_sa_node_new(&fn, &nc));
	crn_sa_actions_init(&na);
	CAIRN_T_PASS(crn_sa_node_start(fn, &na));
	/* Configured without a certificate, it advertises none. */
	CAIRN_T_PASS(crn_sa_advertise_decode(a, na.v[0].data, na.v[0].len));
	assert_null(a->cert);
	if (how == 1) {
		memset(seed, 0x99, sizeof(seed));
		CAIRN_T_PASS(crn_identity_from_seed(&other, seed));
		CAIRN_T_PASS(crn_sa_simcert_issue(cert, other, pk));
		crn_identity_free(other);
	} else if (how == 2) {
		memcpy(cert, w->cert[1], CRN_SA_SIMCERT_LEN);
	} else if (how == 3) {
		CAIRN_T_PASS(crn_sa_simcert_issue(cert, w->auth, pk));
	}
	if (how != 0) {
		a->cert = cert;
		a->cert_len = CRN_SA_SIMCERT_LEN;
	}
	crn_sa_actions_fini(&na);
	crn_sa_node_free(fn);
	crn_identity_free(fid);
}

static int
cmp_adv(const void *x, const void *y)
{
	const crn_sa_advertise *a = x, *b = y;

	return memcmp(a->identity, b->identity, CAIRN_SIGN_PK_LEN);
}

/*
 * The coordinator seats the victim (node 0) among 4 identities of its
 * own making to pass min_participants = 5.  Every kind of bad
 * certificate is refused before the victim shares anything, so the
 * coordinator holds no share to decrypt; with certified entries (the
 * control) the victim would share.
 */
static void
test_uncertified_padding(void **state)
{
	(void)state;
	for (int how = 0; how <= 3; how++) {
		hw w;
		crn_sa_roster r;
		crn_sa_advertise victim;
		uint8_t certs[4][CRN_SA_SIMCERT_LEN];
		uint8_t *buf;
		size_t len;
		cairn_err rv;

		hw_init(&w, 5, 3, 0, 5);
		start_all(&w);
		/* The victim's own advertisement, as the coordinator got it. */
		CAIRN_T_PASS(crn_sa_advertise_decode(
		    &victim, w.sent[0].data, w.sent[0].len));
		memset(&r, 0, sizeof(r));
		r.params = w.params;
		r.n = 5;
		r.parts = crn_zalloc(5 * sizeof(*r.parts));
		assert_non_null(r.parts);
		r.parts[0] = victim;
		for (uint32_t k = 0; k < 4; k++)
			fake_entry(&r.parts[k + 1], certs[k], &w, k, how);
		qsort(r.parts, 5, sizeof(*r.parts), cmp_adv);
		CAIRN_T_PASS(crn_sa_graph_seed(
		    r.params.graph_seed, r.params.session_id, r.parts, r.n));
		CAIRN_T_PASS(crn_sa_roster_encode(&buf, &len, &r));
		rv = node_get(&w, 0, CRN_SA_MSG_ROSTER, buf, len, 1);
		crn_free(buf, len);
		if (how == 3) {
			CAIRN_T_PASS(rv);
			CAIRN_T_EQ(w.sent[0].type, CRN_SA_MSG_SHARE_KEYS);
		} else {
			CAIRN_T_FAIL(rv, CAIRN_EAUTH);
			/* No ShareKeys: nothing of the victim's to decrypt. */
			CAIRN_T_EQ(w.sent[0].type, CRN_SA_MSG_ABORT);
			assert_int_equal(crn_sa_node_index(w.node[0]), 0);
		}
		crn_free(r.parts, 5 * sizeof(*r.parts));
		crn_sa_advertise_fini(&victim);
		hw_fini(&w);
	}
}

/* A node without a certificate verifier cannot be created. */
static void
test_verifier_required(void **state)
{
	hw w;
	crn_sa_node *nn = NULL;
	crn_sa_node_cfg nc;

	(void)state;
	hw_init(&w, 3, 2, 0, 2);
	memset(&nc, 0, sizeof(nc));
	nc.id = w.id[0];
	nc.ring_bits = 64;
	nc.dim = DIM;
	nc.cert = w.cert[0];
	nc.cert_len = sizeof(w.cert[0]);
	CAIRN_T_FAIL(crn_sa_node_new(&nn, &nc), CAIRN_EINVAL);
	assert_null(nn);
	nc.verify_peer = crn_sa_simcert_verify;
	nc.verify_arg = w.auth_pk;
	CAIRN_T_PASS(crn_sa_node_new(&nn, &nc));
	crn_sa_node_free(nn);
	hw_fini(&w);
}

/* A slot advertising an identity other than its envelope signer's is
 * left out of the roster. */
static void
test_slot_ids(void **state)
{
	hw w;
	crn_sa_coord *c2;
	crn_sa_coord_cfg cc;
	uint8_t(*ids)[CAIRN_SIGN_PK_LEN];

	(void)state;
	hw_init(&w, 4, 3, 0, 2);
	ids = crn_alloc(4 * sizeof(*ids));
	assert_non_null(ids);
	for (uint32_t i = 0; i < 4; i++)
		crn_identity_public(w.id[i], ids[i]);
	/* Slot 3's envelopes are signed by node 1's key. */
	memcpy(ids[2], ids[0], sizeof(ids[2]));
	memset(&cc, 0, sizeof(cc));
	cc.params = w.params;
	cc.nslots = 4;
	cc.slot_ids = (const uint8_t(*)[CAIRN_SIGN_PK_LEN])ids;
	CAIRN_T_PASS(crn_sa_coord_new(&c2, &cc));
	crn_free(ids, 4 * sizeof(*ids)); /* the coordinator copied it */
	crn_sa_coord_free(w.c);
	w.c = c2;
	start_all(&w);
	CAIRN_T_EQ(crn_sa_coord_nodes(w.c), 3);
	CAIRN_T_EQ(w.inbox[0].type, CRN_SA_MSG_ROSTER);
	assert_null(w.inbox[2].data);
	hw_fini(&w);
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

static void
sparse_world(hw *w, crn_graph_params *gp)
{
	CAIRN_T_PASS(crn_graph_choose(gp, SPARSE_N, 0.05, 0.05, 1));
	assert_true(gp->degree > 0 && gp->degree < SPARSE_N - 1);
	hw_init(w, SPARSE_N, gp->threshold, gp->degree, 2);
	start_all(w);
	for (uint32_t i = 0; i < w->n; i++)
		CAIRN_T_EQ(w->inbox[i].type, CRN_SA_MSG_ROSTER);
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
	(void)state;
	for (int near = 0; near <= 1; near++) {
		hw w;
		crn_graph_params gp;
		crn_sa_roster r;
		crn_graph *g;
		uint8_t pk[CAIRN_SIGN_PK_LEN], *bad = NULL;
		uint32_t vi = 0, target = 0;
		uint8_t *buf;
		size_t len;
		cairn_err rv;

		sparse_world(&w, &gp);
		CAIRN_T_PASS(
		    crn_sa_roster_decode(&r, w.inbox[0].data, w.inbox[0].len));
		crn_identity_public(w.id[0], pk);
		for (uint32_t i = 0; i < r.n; i++)
			if (memcmp(r.parts[i].identity, pk, sizeof(pk)) == 0)
				vi = i + 1;
		assert_true(vi != 0);
		CAIRN_T_PASS(crn_graph_new(
		    &g, r.params.graph_seed, r.n, r.params.degree));
		for (uint32_t x = 1; x <= r.n && target == 0; x++)
			if (x != vi && crn_graph_has_edge(g, vi, x) == near)
				target = x;
		assert_true(target != 0);
		/* The certificate is not part of the graph seed: corrupting
		 * it changes nothing else of the roster. */
		bad = crn_alloc(r.parts[target - 1].cert_len);
		assert_non_null(bad);
		memcpy(bad, r.parts[target - 1].cert,
		    r.parts[target - 1].cert_len);
		bad[r.parts[target - 1].cert_len - 1] ^= 1;
		r.parts[target - 1].cert = bad;
		CAIRN_T_PASS(crn_sa_roster_encode(&buf, &len, &r));
		rv = node_get(&w, 0, CRN_SA_MSG_ROSTER, buf, len, 1);
		if (near) {
			CAIRN_T_FAIL(rv, CAIRN_EAUTH);
			CAIRN_T_EQ(w.sent[0].type, CRN_SA_MSG_ABORT);
		} else {
			CAIRN_T_PASS(rv);
			CAIRN_T_EQ(w.sent[0].type, CRN_SA_MSG_SHARE_KEYS);
		}
		crn_free(buf, len);
		crn_free(bad, r.parts[target - 1].cert_len);
		r.parts[target - 1].cert = NULL;
		r.parts[target - 1].cert_len = 0;
		crn_graph_free(g);
		crn_sa_roster_fini(&r);
		hw_fini(&w);
	}
}

/*
 * The split-view attack with distant signers: every node signed the
 * same survivor set, and the coordinator hands the victim t valid
 * signatures over its set, all from nodes that are not its neighbours.
 * Those say nothing of what its neighbours (who hold its shares) were
 * told: the victim refuses.  With its neighbours' signatures it
 * answers.
 */
static void
test_sparse_distant_signers(void **state)
{
	hw w;
	crn_graph_params gp;
	crn_sa_roster r;
	crn_graph *g;
	crn_sa_survivors surv;
	crn_sa_signed *far, *near, *all;
	uint32_t nfar = 0, nnear = 0, vi;
	crn_sa_unmask_req rq;
	uint8_t *buf;
	size_t len;

	(void)state;
	sparse_world(&w, &gp);
	CAIRN_T_PASS(crn_sa_roster_decode(&r, w.inbox[0].data, w.inbox[0].len));
	CAIRN_T_PASS(
	    crn_graph_new(&g, r.params.graph_seed, r.n, r.params.degree));
	for (uint32_t i = 0; i < w.n; i++)
		CAIRN_T_PASS(deliver(&w, i, 0)); /* roster */
	for (uint32_t i = 0; i < w.n; i++)
		CAIRN_T_PASS(deliver(&w, i, 0)); /* shares -> masked */
	for (uint32_t i = 0; i < w.n; i++)
		CAIRN_T_EQ(w.inbox[i].type, CRN_SA_MSG_CONSISTENCY_REQ);
	CAIRN_T_PASS(
	    crn_sa_survivors_decode(&surv, w.inbox[0].data, w.inbox[0].len));
	CAIRN_T_EQ(surv.count, SPARSE_N);
	far = crn_alloc(w.n * sizeof(*far));
	near = crn_alloc(w.n * sizeof(*near));
	all = crn_alloc(w.n * sizeof(*all));
	assert_true(far && near && all);
	vi = crn_sa_node_index(w.node[0]);
	for (uint32_t i = 0; i < w.n; i++) {
		uint32_t x = crn_sa_node_index(w.node[i]);
		crn_sa_signed *s;

		CAIRN_T_PASS(deliver(&w, i, 1));
		CAIRN_T_EQ(w.sent[i].type, CRN_SA_MSG_CONSISTENCY_SIG);
		if (x != vi && !crn_graph_has_edge(g, vi, x))
			s = &far[nfar++];
		else
			s = &near[nnear++];
		s->index = x;
		CAIRN_T_PASS(crn_sa_consig_decode(
		    s->sig, w.sent[i].data, w.sent[i].len));
		all[i] = *s;
	}
	assert_true(nfar >= gp.threshold);
	memset(&rq, 0, sizeof(rq));
	rq.surv = surv;
	rq.sigs = far;
	rq.nsigs = nfar;
	CAIRN_T_PASS(crn_sa_unmask_req_encode(&buf, &len, &rq));
	CAIRN_T_FAIL(
	    node_get(&w, 0, CRN_SA_MSG_UNMASK_REQ, buf, len, 1), CAIRN_EAUTH);
	CAIRN_T_EQ(w.sent[0].type, CRN_SA_MSG_ABORT);
	crn_free(buf, len);
	/* Another node shown its neighbourhood's signatures answers. */
	{
		uint32_t vj = crn_sa_node_index(w.node[1]);
		uint32_t k = 0;

		for (uint32_t i = 0; i < w.n; i++) {
			uint32_t x = crn_sa_node_index(w.node[i]);

			if (x == vj || crn_graph_has_edge(g, vj, x))
				near[k++] = all[i];
		}
		rq.sigs = near;
		rq.nsigs = k;
		CAIRN_T_PASS(crn_sa_unmask_req_encode(&buf, &len, &rq));
		CAIRN_T_PASS(
		    node_get(&w, 1, CRN_SA_MSG_UNMASK_REQ, buf, len, 1));
		CAIRN_T_EQ(w.sent[1].type, CRN_SA_MSG_UNMASK);
		crn_free(buf, len);
	}
	crn_free(far, w.n * sizeof(*far));
	crn_free(near, w.n * sizeof(*near));
	crn_free(all, w.n * sizeof(*all));
	crn_sa_survivors_fini(&surv);
	crn_graph_free(g);
	crn_sa_roster_fini(&r);
	hw_fini(&w);
}

/* Re-encode node 0's roster after `tamper` and expect a refusal. */
static void
tampered_roster(
    void (*tamper)(crn_sa_roster *, const crn_graph_params *), cairn_err want)
{
	hw w;
	crn_graph_params gp;
	crn_sa_roster r;
	uint8_t *buf;
	size_t len;

	sparse_world(&w, &gp);
	CAIRN_T_PASS(crn_sa_roster_decode(&r, w.inbox[0].data, w.inbox[0].len));
	tamper(&r, &gp);
	CAIRN_T_PASS(crn_sa_roster_encode(&buf, &len, &r));
	CAIRN_T_FAIL(node_get(&w, 0, CRN_SA_MSG_ROSTER, buf, len, 1), want);
	CAIRN_T_EQ(w.sent[0].type, CRN_SA_MSG_ABORT);
	crn_free(buf, len);
	crn_sa_roster_fini(&r);
	hw_fini(&w);
}

static void
swap_two(crn_sa_roster *r, const crn_graph_params *gp)
{
	crn_sa_advertise tmp = r->parts[3];

	r->parts[3] = r->parts[7];
	r->parts[7] = tmp;
	/* Even with the seed recomputed for the new order. */
	CAIRN_T_PASS(crn_sa_graph_seed(
	    r->params.graph_seed, r->params.session_id, r->parts, r->n));
	(void)gp;
}

static void
chosen_seed(crn_sa_roster *r, const crn_graph_params *gp)
{
	r->params.graph_seed[5] ^= 0x40;
	(void)gp;
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

static void
test_coordinator_chosen_graph(void **state)
{
	(void)state;
	tampered_roster(swap_two, CAIRN_EPERM);
	tampered_roster(chosen_seed, CAIRN_EPROTO);
	tampered_roster(low_degree, CAIRN_EPERM);
	tampered_roster(low_threshold, CAIRN_EPERM);
}

/* ---- 5. a masked input followed by an abort ----------------------------- */

static void
test_masked_then_abort(void **state)
{
	hw w;
	crn_sa_abort ab;
	uint8_t *buf;
	size_t len;
	uint64_t want[DIM];

	(void)state;
	hw_init(&w, 5, 3, 0, 2);
	start_all(&w);
	for (uint32_t i = 0; i < w.n; i++)
		CAIRN_T_PASS(deliver(&w, i, 0)); /* roster */
	/* Node 0's masked input is accepted, then it aborts. */
	CAIRN_T_PASS(deliver(&w, 0, 0));
	CAIRN_T_EQ(w.sent[0].type, CRN_SA_MSG_MASKED_INPUT);
	crn_sa_abort_fill(&ab, CAIRN_EABORT, 0, 0, "changed my mind");
	CAIRN_T_PASS(crn_sa_abort_encode(&buf, &len, &ab));
	coord_get(&w, 0, CRN_SA_MSG_ABORT, buf, len);
	crn_free(buf, len);
	for (uint32_t i = 1; i < w.n; i++)
		CAIRN_T_PASS(deliver(&w, i, 0)); /* masked */
	for (uint32_t round = 0; round < 2; round++)
		for (uint32_t i = 1; i < w.n; i++)
			CAIRN_T_PASS(deliver(&w, i, 0));
	assert_false(w.aborted);
	/* Its input is in the sum, so the sum is of all five inputs. */
	memset(want, 0, sizeof(want));
	for (uint32_t i = 0; i < w.n; i++)
		for (uint32_t k = 0; k < DIM; k++)
			want[k] += w.in[i][k];
	assert_non_null(w.sum);
	CAIRN_T_EQ(w.sum_len, sizeof(want));
	assert_memory_equal(w.sum, want, sizeof(want));
	hw_fini(&w);
}

/* ---- 6. bounded unmask requests ----------------------------------------- */

/* 5,000 copies of one bad signature cost one verification each time at
 * most, and are refused. */
static void
test_unmask_request_repeats(void **state)
{
	hw w;
	crn_sa_survivors surv;
	crn_sa_unmask_req rq;
	uint8_t *buf;
	size_t len;
	const uint32_t many = 5000;

	(void)state;
	hw_init(&w, 5, 3, 0, 2);
	start_all(&w);
	for (uint32_t round = 0; round < 3; round++)
		for (uint32_t i = 0; i < w.n; i++)
			CAIRN_T_PASS(deliver(&w, i, round == 2));
	CAIRN_T_PASS(
	    crn_sa_survivors_decode(&surv, w.inbox[0].data, w.inbox[0].len));
	memset(&rq, 0, sizeof(rq));
	rq.surv = surv;
	rq.sigs = crn_zalloc(many * sizeof(*rq.sigs));
	assert_non_null(rq.sigs);
	rq.nsigs = many;
	for (uint32_t i = 0; i < many; i++)
		rq.sigs[i].index = 2;
	CAIRN_T_PASS(crn_sa_unmask_req_encode(&buf, &len, &rq));
	CAIRN_T_FAIL(
	    node_get(&w, 0, CRN_SA_MSG_UNMASK_REQ, buf, len, 1), CAIRN_EAUTH);
	crn_free(buf, len);
	crn_free(rq.sigs, many * sizeof(*rq.sigs));
	crn_sa_survivors_fini(&surv);
	hw_fini(&w);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_uncertified_padding),
    cmocka_unit_test(test_slot_ids),
    cmocka_unit_test(test_verifier_required),
    cmocka_unit_test(test_survivors_min_participants),
    cmocka_unit_test(test_sparse_cert_scope),
    cmocka_unit_test(test_sparse_distant_signers),
    cmocka_unit_test(test_coordinator_chosen_graph),
    cmocka_unit_test(test_masked_then_abort),
    cmocka_unit_test(test_unmask_request_repeats),
};

CAIRN_TEST_MAIN(tests)
