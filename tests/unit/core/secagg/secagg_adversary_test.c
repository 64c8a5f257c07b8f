/* secagg_adversary_test.c — nodes against a dishonest coordinator and a
 * meddling network: split survivor sets, requests for both share kinds,
 * replayed and reordered round messages, duplicate identities and forged
 * advertisements are all refused, and the coordinator ends up unable to
 * unmask anyone's input.  Also scripted invalid transitions. */
#include <string.h>

#include "cairn_test.h"
#include "crypto/prg.h"
#include "crypto/shamir.h"
#include "proto/codec_secagg.h"
#include "secagg/secagg.h"

#define N   5
#define T   3
#define DIM 16

typedef struct msg {
	uint32_t type;
	uint8_t *data;
	size_t len;
} msg;

typedef struct world {
	crn_identity *id[N];
	crn_identity *auth; /* the sim authority certifying the nodes */
	uint8_t auth_pk[CAIRN_SIGN_PK_LEN];
	uint8_t cert[N][CRN_SA_SIMCERT_LEN];
	crn_sa_node *node[N];
	uint64_t in[N][DIM];
	crn_sa_coord *c;
	crn_sa_params params;
	msg inbox[N]; /* last message the coordinator sent each */
	msg sent[N];  /* last message each node sent */
	uint8_t *sum;
	size_t sum_len;
	crn_sa_abort abort;
	int aborted;
} world;

static void
msg_set(msg *m, uint32_t type, const uint8_t *data, size_t len)
{
	crn_free(m->data, m->len);
	m->type = type;
	m->len = len;
	m->data = crn_alloc(len);
	assert_non_null(m->data);
	memcpy(m->data, data, len);
}

static void
coord_actions(world *w, crn_sa_actions *a)
{
	for (size_t i = 0; i < a->count; i++) {
		crn_sa_action *x = &a->v[i];

		if (x->kind == CRN_SA_ACT_DONE) {
			w->sum = x->data;
			w->sum_len = x->len;
			x->data = NULL;
			x->len = 0;
		} else if (x->kind == CRN_SA_ACT_ABORT) {
			w->abort = x->abort;
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

/* Deliver node i's sends to the coordinator (remembering them). */
static void
to_coord(world *w, int i, crn_sa_actions *na)
{
	for (size_t k = 0; k < na->count; k++) {
		crn_sa_actions ca;
		cairn_err rv;

		if (na->v[k].kind != CRN_SA_ACT_SEND)
			continue;
		msg_set(
		    &w->sent[i], na->v[k].type, na->v[k].data, na->v[k].len);
		crn_sa_actions_init(&ca);
		/* Refusals show in the actions; tests check them there. */
		rv = crn_sa_coord_recv(w->c, (uint32_t)i + 1, na->v[k].type,
		    na->v[k].data, na->v[k].len, &ca);
		assert_true(rv != CAIRN_ENOMEM && rv != CAIRN_EINTERNAL);
		coord_actions(w, &ca);
		crn_sa_actions_fini(&ca);
	}
}

/* Give node i a message; forward what it sends unless `hold`. */
static cairn_err
node_get(
    world *w, int i, uint32_t type, const uint8_t *data, size_t len, int hold)
{
	crn_sa_actions na;
	cairn_err rv;

	crn_sa_actions_init(&na);
	crn_sa_node_set_input(w->node[i], w->in[i]);
	rv = crn_sa_node_recv(w->node[i], type, data, len, &na);
	if (!hold)
		to_coord(w, i, &na);
	else
		for (size_t k = 0; k < na.count; k++)
			if (na.v[k].kind == CRN_SA_ACT_SEND)
				msg_set(&w->sent[i], na.v[k].type, na.v[k].data,
				    na.v[k].len);
	crn_sa_actions_fini(&na);
	return rv;
}

static cairn_err
deliver(world *w, int i, int hold)
{
	msg m = w->inbox[i];

	return node_get(w, i, m.type, m.data, m.len, hold);
}

/* Order identities by public key: rosters are sorted by identity, so
 * node i then has roster index i + 1, as the tests below assume. */
static void
sort_ids(crn_identity **id)
{
	for (int i = 1; i < N; i++)
		for (int j = i; j > 0; j--) {
			uint8_t a[CAIRN_SIGN_PK_LEN], b[CAIRN_SIGN_PK_LEN];
			crn_identity *tmp;

			crn_identity_public(id[j - 1], a);
			crn_identity_public(id[j], b);
			if (memcmp(a, b, sizeof(a)) <= 0)
				break;
			tmp = id[j - 1];
			id[j - 1] = id[j];
			id[j] = tmp;
		}
}

static void
world_init(world *w, int dup_identity)
{
	crn_sa_coord_cfg cc;
	uint8_t seed[32];

	memset(w, 0, sizeof(*w));
	memset(&cc, 0, sizeof(cc));
	memset(cc.params.session_id, 0x5a, CAIRN_SESSION_ID_LEN);
	memset(cc.params.graph_seed, 0x11, 32);
	cc.params.threshold = T;
	cc.params.ring_bits = 64;
	cc.params.dim = DIM;
	cc.nslots = N;
	w->params = cc.params;
	CAIRN_T_PASS(crn_sa_coord_new(&w->c, &cc));
	memset(seed, 0xa7, sizeof(seed));
	CAIRN_T_PASS(crn_identity_from_seed(&w->auth, seed));
	crn_identity_public(w->auth, w->auth_pk);
	for (int i = 0; i < N; i++) {
		memset(seed, 0, sizeof(seed));
		/* With dup_identity the last node reuses node 0's key. */
		seed[0] = (uint8_t)((dup_identity && i == N - 1) ? 1 : i + 1);
		CAIRN_T_PASS(crn_identity_from_seed(&w->id[i], seed));
	}
	sort_ids(w->id);
	for (int i = 0; i < N; i++) {
		crn_sa_node_cfg nc;
		uint8_t pk[CAIRN_SIGN_PK_LEN];

		crn_identity_public(w->id[i], pk);
		CAIRN_T_PASS(crn_sa_simcert_issue(w->cert[i], w->auth, pk));
		memset(&nc, 0, sizeof(nc));
		nc.cert = w->cert[i];
		nc.cert_len = sizeof(w->cert[i]);
		nc.verify_peer = crn_sa_simcert_verify;
		nc.verify_arg = w->auth_pk;
		nc.id = w->id[i];
		nc.seed[0] = (uint8_t)(0x80 + i);
		memcpy(
		    nc.session_id, cc.params.session_id, CAIRN_SESSION_ID_LEN);
		nc.ring_bits = 64;
		nc.dim = DIM;
		nc.min_participants = 3;
		CAIRN_T_PASS(crn_sa_node_new(&w->node[i], &nc));
		for (int k = 0; k < DIM; k++)
			w->in[i][k] = (uint64_t)(i + 1) * 1000003u +
			    (uint64_t)k * 0x9e3779b97f4a7c15ull;
	}
}

static void
world_fini(world *w)
{
	for (int i = 0; i < N; i++) {
		crn_sa_node_free(w->node[i]);
		crn_identity_free(w->id[i]);
		crn_free(w->inbox[i].data, w->inbox[i].len);
		crn_free(w->sent[i].data, w->sent[i].len);
	}
	crn_sa_coord_free(w->c);
	crn_free(w->sum, w->sum_len);
	crn_identity_free(w->auth);
}

static void
start_all(world *w)
{
	for (int i = 0; i < N; i++) {
		crn_sa_actions na;

		crn_sa_actions_init(&na);
		CAIRN_T_PASS(crn_sa_node_start(w->node[i], &na));
		to_coord(w, i, &na);
		crn_sa_actions_fini(&na);
	}
}

/* Run honestly up to (and including) the masked inputs. */
static void
run_to_consistency(world *w)
{
	start_all(w);
	for (int i = 0; i < N; i++)
		CAIRN_T_EQ(w->inbox[i].type, CRN_SA_MSG_ROSTER);
	for (int i = 0; i < N; i++)
		CAIRN_T_PASS(deliver(w, i, 0));
	for (int i = 0; i < N; i++)
		CAIRN_T_PASS(deliver(w, i, 0));
	for (int i = 0; i < N; i++)
		CAIRN_T_EQ(w->inbox[i].type, CRN_SA_MSG_CONSISTENCY_REQ);
}

static void
check_sum(const world *w)
{
	uint64_t want[DIM];

	memset(want, 0, sizeof(want));
	for (int i = 0; i < N; i++)
		for (int k = 0; k < DIM; k++)
			want[k] += w->in[i][k];
	assert_non_null(w->sum);
	CAIRN_T_EQ(w->sum_len, sizeof(want));
	assert_memory_equal(w->sum, want, sizeof(want));
}

static void
test_honest(void **state)
{
	world w;

	(void)state;
	world_init(&w, 0);
	run_to_consistency(&w);
	for (int i = 0; i < N; i++)
		CAIRN_T_PASS(deliver(&w, i, 0));
	for (int i = 0; i < N; i++)
		CAIRN_T_PASS(deliver(&w, i, 0));
	check_sum(&w);
	for (int i = 0; i < N; i++)
		assert_true(crn_sa_node_done(w.node[i]));
	world_fini(&w);
}

/* Replayed and reordered messages are refused without harm, and the
 * session still ends with the right sum. */
static void
test_replay_reorder(void **state)
{
	world w;
	msg roster = {0, NULL, 0};
	crn_sa_actions ca;

	(void)state;
	world_init(&w, 0);
	/* Before start, nothing is accepted. */
	CAIRN_T_FAIL(
	    node_get(&w, 0, CRN_SA_MSG_ROSTER, NULL, 0, 1), CAIRN_ESTATE);
	start_all(&w);
	msg_set(&roster, w.inbox[0].type, w.inbox[0].data, w.inbox[0].len);
	/* A later round's message before the roster: refused, no change. */
	CAIRN_T_FAIL(
	    node_get(&w, 0, CRN_SA_MSG_UNMASK_REQ, roster.data, roster.len, 1),
	    CAIRN_ESTATE);
	CAIRN_T_FAIL(
	    node_get(&w, 0, CRN_SA_MSG_SHARES_FWD, roster.data, roster.len, 1),
	    CAIRN_ESTATE);
	for (int i = 0; i < N; i++)
		CAIRN_T_PASS(deliver(&w, i, 0));
	/* The roster again (replayed): refused. */
	CAIRN_T_FAIL(
	    node_get(&w, 2, CRN_SA_MSG_ROSTER, roster.data, roster.len, 1),
	    CAIRN_ESTATE);
	/* A node's ShareKeys again at the coordinator, now that the round
	 * has closed: refused. */
	crn_sa_actions_init(&ca);
	CAIRN_T_FAIL(crn_sa_coord_recv(w.c, 1, w.sent[0].type, w.sent[0].data,
	                 w.sent[0].len, &ca),
	    CAIRN_ESTATE);
	/* An advertisement now is for a closed round too. */
	CAIRN_T_FAIL(crn_sa_coord_recv(w.c, 1, CRN_SA_MSG_ADVERTISE,
	                 w.sent[0].data, w.sent[0].len, &ca),
	    CAIRN_ESTATE);
	CAIRN_T_EQ(ca.count, 0);
	crn_sa_actions_fini(&ca);
	for (int i = 0; i < N - 1; i++)
		CAIRN_T_PASS(deliver(&w, i, 0));
	/* A masked input replayed within its round must not count twice. */
	crn_sa_actions_init(&ca);
	CAIRN_T_FAIL(crn_sa_coord_recv(w.c, 2, w.sent[1].type, w.sent[1].data,
	                 w.sent[1].len, &ca),
	    CAIRN_EREPLAY);
	CAIRN_T_EQ(ca.count, 0);
	crn_sa_actions_fini(&ca);
	CAIRN_T_PASS(deliver(&w, N - 1, 0));
	for (int i = 0; i < N; i++)
		CAIRN_T_PASS(deliver(&w, i, 0));
	for (int i = 0; i < N; i++)
		CAIRN_T_PASS(deliver(&w, i, 0));
	check_sum(&w);
	/* After the end, an unmask request again is refused. */
	CAIRN_T_FAIL(deliver(&w, 0, 1), CAIRN_ESTATE);
	crn_free(roster.data, roster.len);
	world_fini(&w);
}

/*
 * The coordinator tells nodes 1-3 that everyone survived and nodes 4-5
 * that node 1 dropped, hoping for shares of b_1 from the first group and
 * of node 1's mask key from the second.  Nodes 4-5 cannot see t
 * signatures on their set and refuse; shown to the other set they refuse
 * too.  The coordinator ends with no share of node 1's mask key, so node
 * 1's masked input stays masked.
 */
static void
test_split_survivor_sets(void **state)
{
	world w;
	uint32_t all[N] = {1, 2, 3, 4, 5}, most[N - 1] = {2, 3, 4, 5};
	crn_sa_survivors sa = {all, N}, sb = {most, N - 1};
	crn_sa_signed sigs[N];
	crn_sa_unmask_req rq;
	crn_sa_unmask resp;
	crn_shamir_share keyshares[N], bshares[N];
	uint32_t nkey = 0, nb = 0, nsig = 0, nsigb = 0;
	crn_sa_signed sigsb[N];
	uint8_t *buf, b1[CRN_SHAMIR_SECRET_LEN];
	size_t len;
	crn_sa_masked y1;
	uint64_t x1[DIM];

	(void)state;
	world_init(&w, 0);
	run_to_consistency(&w);
	CAIRN_T_PASS(crn_sa_masked_decode(&y1, w.sent[0].data, w.sent[0].len));

	/* Consistency: different stories to the two groups. */
	for (int i = 0; i < N; i++) {
		crn_sa_survivors *s = i < 3 ? &sa : &sb;

		if (i == 0 && s == &sb)
			continue;
		CAIRN_T_PASS(crn_sa_survivors_encode(&buf, &len, s));
		CAIRN_T_PASS(
		    node_get(&w, i, CRN_SA_MSG_CONSISTENCY_REQ, buf, len, 1));
		crn_free(buf, len);
		CAIRN_T_EQ(w.sent[i].type, CRN_SA_MSG_CONSISTENCY_SIG);
		if (i < 3) {
			sigs[nsig].index = (uint32_t)i + 1;
			CAIRN_T_PASS(crn_sa_consig_decode(
			    sigs[nsig++].sig, w.sent[i].data, w.sent[i].len));
		} else {
			sigsb[nsigb].index = (uint32_t)i + 1;
			CAIRN_T_PASS(crn_sa_consig_decode(
			    sigsb[nsigb++].sig, w.sent[i].data, w.sent[i].len));
		}
	}
	/* Group A's request, with its three valid signatures. */
	for (int i = 0; i < 3; i++) {
		rq.surv = sa;
		rq.sigs = sigs;
		rq.nsigs = nsig;
		CAIRN_T_PASS(crn_sa_unmask_req_encode(&buf, &len, &rq));
		CAIRN_T_PASS(
		    node_get(&w, i, CRN_SA_MSG_UNMASK_REQ, buf, len, 1));
		crn_free(buf, len);
		CAIRN_T_PASS(
		    crn_sa_unmask_decode(&resp, w.sent[i].data, w.sent[i].len));
		for (uint32_t k = 0; k < resp.count; k++) {
			/* Group A was told everyone survived. */
			CAIRN_T_EQ(resp.v[k].kind, CRN_SA_SHARE_SELF_MASK);
			if (resp.v[k].owner == 1)
				CAIRN_T_PASS(crn_shamir_share_decode(
				    &bshares[nb++], resp.v[k].share));
		}
		crn_sa_unmask_fini(&resp);
	}
	/* Group B: its own set has only two signatures (plus group A's
	 * signatures relabelled, which do not verify over set B). */
	for (int i = 3; i < N; i++) {
		crn_sa_signed mixed[N];
		uint32_t m = 0;

		for (uint32_t k = 0; k < nsigb; k++)
			mixed[m++] = sigsb[k];
		mixed[m] = sigs[1]; /* node 2's signature over set A */
		mixed[m++].index = 2;
		rq.surv = sb;
		rq.sigs = mixed;
		rq.nsigs = m;
		CAIRN_T_PASS(crn_sa_unmask_req_encode(&buf, &len, &rq));
		CAIRN_T_FAIL(
		    node_get(&w, i, CRN_SA_MSG_UNMASK_REQ, buf, len, 1),
		    CAIRN_EAUTH);
		crn_free(buf, len);
		/* Whatever it answered is all the coordinator gets. */
		if (w.sent[i].type == CRN_SA_MSG_UNMASK) {
			CAIRN_T_PASS(crn_sa_unmask_decode(
			    &resp, w.sent[i].data, w.sent[i].len));
			for (uint32_t k = 0; k < resp.count; k++)
				if (resp.v[k].owner == 1 &&
				    resp.v[k].kind == CRN_SA_SHARE_MASK_KEY)
					CAIRN_T_PASS(crn_shamir_share_decode(
					    &keyshares[nkey++],
					    resp.v[k].share));
			crn_sa_unmask_fini(&resp);
		}
		CAIRN_T_EQ(w.sent[i].type, CRN_SA_MSG_ABORT);
		assert_false(crn_sa_node_done(w.node[i]));
	}
	/* And a fresh pair of nodes in group B shown set A would refuse
	 * because it differs from what they signed: replay the scenario on
	 * a second world where only the request differs. */
	{
		world w2;
		uint32_t nsig2 = 0;
		crn_sa_signed s2[N];

		world_init(&w2, 0);
		run_to_consistency(&w2);
		for (int i = 0; i < N; i++) {
			crn_sa_survivors *s = i < 3 ? &sa : &sb;

			CAIRN_T_PASS(crn_sa_survivors_encode(&buf, &len, s));
			if (i == 0 && s == &sb) {
				crn_free(buf, len);
				continue;
			}
			CAIRN_T_PASS(node_get(
			    &w2, i, CRN_SA_MSG_CONSISTENCY_REQ, buf, len, 1));
			crn_free(buf, len);
			if (i < 3) {
				s2[nsig2].index = (uint32_t)i + 1;
				CAIRN_T_PASS(
				    crn_sa_consig_decode(s2[nsig2++].sig,
				        w2.sent[i].data, w2.sent[i].len));
			}
		}
		rq.surv = sa;
		rq.sigs = s2;
		rq.nsigs = nsig2;
		CAIRN_T_PASS(crn_sa_unmask_req_encode(&buf, &len, &rq));
		CAIRN_T_FAIL(
		    node_get(&w2, 4, CRN_SA_MSG_UNMASK_REQ, buf, len, 1),
		    CAIRN_EPROTO);
		crn_free(buf, len);
		CAIRN_T_EQ(w2.sent[4].type, CRN_SA_MSG_ABORT);
		world_fini(&w2);
	}

	/* What the coordinator holds of node 1: t shares of b_1 but no
	 * share of its mask key, so the pairwise masks stay on y_1. */
	CAIRN_T_EQ(nb, T);
	CAIRN_T_EQ(nkey, 0);
	CAIRN_T_FAIL(crn_shamir_combine(b1, keyshares, nkey, T), CAIRN_EINVAL);
	CAIRN_T_PASS(crn_shamir_combine(b1, bshares, nb, T));
	memcpy(x1, y1.data, sizeof(x1));
	CAIRN_T_PASS(crn_prg_add(x1, DIM, 64, b1, 1));
	assert_memory_not_equal(x1, w.in[0], sizeof(x1));
	crn_sa_masked_fini(&y1);
	cairn_memzero(b1, sizeof(b1));
	world_fini(&w);
}

/* A node reveals one kind of share per peer, once: a second unmask
 * request (say, with a different survivor set) is refused. */
static void
test_never_both_kinds(void **state)
{
	world w;
	crn_sa_unmask resp;
	uint8_t owners[N + 1];
	msg req = {0, NULL, 0};

	(void)state;
	world_init(&w, 0);
	run_to_consistency(&w);
	/* Node 5 goes silent before signing; its masked input is in the sum,
	 * so everyone is asked for shares of its b, never of its key. */
	for (int i = 0; i < N - 1; i++)
		CAIRN_T_PASS(deliver(&w, i, 0));
	{
		crn_sa_actions ca;

		crn_sa_actions_init(&ca);
		CAIRN_T_PASS(crn_sa_coord_deadline(w.c, &ca));
		coord_actions(&w, &ca);
		crn_sa_actions_fini(&ca);
	}
	msg_set(&req, w.inbox[0].type, w.inbox[0].data, w.inbox[0].len);
	CAIRN_T_PASS(deliver(&w, 0, 1));
	CAIRN_T_PASS(
	    crn_sa_unmask_decode(&resp, w.sent[0].data, w.sent[0].len));
	memset(owners, 0, sizeof(owners));
	for (uint32_t k = 0; k < resp.count; k++) {
		assert_true(resp.v[k].owner >= 1 && resp.v[k].owner <= N);
		owners[resp.v[k].owner]++;
		/* Node 5 signed nothing but its masked input is in: b. */
		CAIRN_T_EQ(resp.v[k].kind, CRN_SA_SHARE_SELF_MASK);
	}
	for (int o = 1; o <= N; o++)
		CAIRN_T_EQ(owners[o], 1);
	crn_sa_unmask_fini(&resp);
	/* Asked again (replay, or a changed story): refused. */
	CAIRN_T_FAIL(
	    node_get(&w, 0, req.type, req.data, req.len, 1), CAIRN_ESTATE);
	CAIRN_T_FAIL(
	    node_get(&w, 0, CRN_SA_MSG_CONSISTENCY_REQ, req.data, req.len, 1),
	    CAIRN_ESTATE);
	for (int i = 1; i < N - 1; i++)
		CAIRN_T_PASS(deliver(&w, i, 0));
	/* Node 1's response was held back; deliver it now. */
	{
		crn_sa_actions ca;

		crn_sa_actions_init(&ca);
		CAIRN_T_PASS(crn_sa_coord_recv(w.c, 1, w.sent[0].type,
		    w.sent[0].data, w.sent[0].len, &ca));
		coord_actions(&w, &ca);
		crn_sa_actions_fini(&ca);
	}
	check_sum(&w);
	crn_free(req.data, req.len);
	world_fini(&w);
}

/* Roster tampering: duplicate identities, a forged advertisement, too few
 * participants, a roster without our keys. */
static void
test_bad_rosters(void **state)
{
	world w;
	crn_sa_roster r;
	uint8_t *buf;
	size_t len;

	(void)state;
	/* Two slots with one identity: the coordinator seats only one. */
	world_init(&w, 1);
	start_all(&w);
	CAIRN_T_EQ(crn_sa_coord_nodes(w.c), N - 1);
	world_fini(&w);

	for (int kase = 0; kase < 4; kase++) {
		static const cairn_err want[] = {
		    CAIRN_EPERM, CAIRN_EAUTH, CAIRN_EPERM, CAIRN_EPROTO};

		world_init(&w, 0);
		start_all(&w);
		CAIRN_T_PASS(
		    crn_sa_roster_decode(&r, w.inbox[0].data, w.inbox[0].len));
		switch (kase) {
		case 0: /* a copy of node 2's entry in node 4's seat */
			r.parts[3] = r.parts[1];
			break;
		case 1: /* node 3's mask key swapped for the coordinator's */
			r.parts[2].mask_pk[0] ^= 1;
			break;
		case 2: /* below min_participants (3) */
			r.n = 2;
			r.params.threshold = 2;
			break;
		case 3: /* our own entry replaced by someone else's keys */
			memcpy(r.parts[0].channel_pk, r.parts[1].channel_pk,
			    CAIRN_KX_PK_LEN);
			break;
		}
		/* A coordinator that tampers also fixes the graph seed. */
		CAIRN_T_PASS(crn_sa_graph_seed(
		    r.params.graph_seed, w.params.session_id, r.parts, r.n));
		CAIRN_T_PASS(crn_sa_roster_encode(&buf, &len, &r));
		CAIRN_T_FAIL(node_get(&w, 0, CRN_SA_MSG_ROSTER, buf, len, 1),
		    want[kase]);
		CAIRN_T_EQ(w.sent[0].type, CRN_SA_MSG_ABORT);
		/* Refused for good: nothing more is accepted. */
		CAIRN_T_FAIL(node_get(&w, 0, CRN_SA_MSG_ROSTER, buf, len, 1),
		    CAIRN_ESTATE);
		crn_free(buf, len);
		r.n = N;
		crn_sa_roster_fini(&r);
		world_fini(&w);
	}
}

/* A threshold too low for the neighbourhood is refused: two disjoint
 * groups of t could then each sign a different story. */
static void
test_low_threshold(void **state)
{
	world w;
	crn_sa_roster r;
	uint8_t *buf;
	size_t len;

	(void)state;
	world_init(&w, 0);
	start_all(&w);
	CAIRN_T_PASS(crn_sa_roster_decode(&r, w.inbox[1].data, w.inbox[1].len));
	r.params.threshold = 2;
	CAIRN_T_PASS(crn_sa_roster_encode(&buf, &len, &r));
	CAIRN_T_FAIL(
	    node_get(&w, 1, CRN_SA_MSG_ROSTER, buf, len, 1), CAIRN_EPERM);
	crn_free(buf, len);
	crn_sa_roster_fini(&r);
	world_fini(&w);
}

/* Garbage at every round: a clean refusal, never a crash. */
static void
test_garbage(void **state)
{
	static const uint8_t junk[] = {0x0a, 0xff, 0xff, 0x01, 0x12};
	world w;

	(void)state;
	world_init(&w, 0);
	start_all(&w);
	CAIRN_T_FAIL(node_get(&w, 0, CRN_SA_MSG_ROSTER, junk, sizeof(junk), 1),
	    CAIRN_EINVAL);
	for (int i = 1; i < N; i++)
		CAIRN_T_PASS(deliver(&w, i, 0));
	/* The coordinator still waits for node 1's share keys... */
	{
		crn_sa_actions ca;

		crn_sa_actions_init(&ca);
		CAIRN_T_FAIL(crn_sa_coord_recv(w.c, 2, CRN_SA_MSG_SHARE_KEYS,
		                 junk, sizeof(junk), &ca),
		    CAIRN_EREPLAY);
		/* ... and node 1's refusal takes it out of the session. */
		CAIRN_T_PASS(crn_sa_coord_recv(w.c, 1, w.sent[0].type,
		    w.sent[0].data, w.sent[0].len, &ca));
		coord_actions(&w, &ca);
		crn_sa_actions_fini(&ca);
	}
	for (int i = 1; i < N; i++)
		CAIRN_T_EQ(w.inbox[i].type, CRN_SA_MSG_SHARES_FWD);
	world_fini(&w);
}

/* Deadlines: a node that waits too long aborts; a coordinator short of t
 * at a deadline aborts and tells the nodes, which then stop. */
static void
test_deadlines(void **state)
{
	world w;
	crn_sa_actions a;

	(void)state;
	world_init(&w, 0);
	for (int i = 0; i < 2; i++) {
		crn_sa_actions_init(&a);
		CAIRN_T_PASS(crn_sa_node_start(w.node[i], &a));
		CAIRN_T_FAIL(crn_sa_node_start(w.node[i], &a), CAIRN_ESTATE);
		to_coord(&w, i, &a);
		crn_sa_actions_fini(&a);
	}
	crn_sa_actions_init(&a);
	CAIRN_T_FAIL(crn_sa_node_deadline(w.node[1], &a), CAIRN_ETIMEDOUT);
	CAIRN_T_EQ(a.count, 2);
	CAIRN_T_EQ(a.v[0].kind, CRN_SA_ACT_SEND);
	CAIRN_T_EQ(a.v[0].type, CRN_SA_MSG_ABORT);
	CAIRN_T_EQ(a.v[1].kind, CRN_SA_ACT_ABORT);
	CAIRN_T_EQ(a.v[1].abort.code, CAIRN_ETIMEDOUT);
	crn_sa_actions_fini(&a);
	/* Only two of five advertised; t = 3. */
	crn_sa_actions_init(&a);
	CAIRN_T_FAIL(crn_sa_coord_deadline(w.c, &a), CAIRN_EABORT);
	coord_actions(&w, &a);
	crn_sa_actions_fini(&a);
	assert_true(w.aborted);
	CAIRN_T_EQ(w.abort.code, CAIRN_EABORT);
	CAIRN_T_EQ(w.abort.needed, T);
	CAIRN_T_EQ(w.abort.answered, 2);
	assert_non_null(strstr(w.abort.reason, "needed 3, answered 2"));
	assert_false(crn_sa_coord_done(w.c));
	/* Node 1 hears of it and stops. */
	CAIRN_T_EQ(w.inbox[0].type, CRN_SA_MSG_ABORT);
	CAIRN_T_FAIL(deliver(&w, 0, 1), CAIRN_EABORT);
	CAIRN_T_FAIL(deliver(&w, 0, 1), CAIRN_ESTATE);
	world_fini(&w);
}

/* A node that shifts one revealed share by one cannot skew the sum: the
 * reconstructed b misses its commitment and the session aborts. */
static void
test_corrupt_share(void **state)
{
	world w;
	crn_sa_unmask resp;
	crn_sa_actions ca;
	crn_shamir_share sh;
	uint8_t *buf;
	size_t len;
	int hit = 0;

	(void)state;
	world_init(&w, 0);
	run_to_consistency(&w);
	for (int i = 0; i < N; i++)
		CAIRN_T_PASS(deliver(&w, i, 0));
	CAIRN_T_PASS(deliver(&w, 0, 0));
	CAIRN_T_PASS(deliver(&w, 1, 1));
	CAIRN_T_PASS(
	    crn_sa_unmask_decode(&resp, w.sent[1].data, w.sent[1].len));
	for (uint32_t k = 0; k < resp.count; k++) {
		if (resp.v[k].owner != 1)
			continue;
		CAIRN_T_PASS(crn_shamir_share_decode(&sh, resp.v[k].share));
		sh.y[0] = sh.y[0] == 0 ? 1 : sh.y[0] - 1;
		crn_shamir_share_encode(resp.v[k].share, &sh);
		hit = 1;
	}
	assert_true(hit);
	CAIRN_T_PASS(crn_sa_unmask_encode(&buf, &len, &resp));
	crn_sa_unmask_fini(&resp);
	crn_sa_actions_init(&ca);
	CAIRN_T_PASS(
	    crn_sa_coord_recv(w.c, 2, CRN_SA_MSG_UNMASK, buf, len, &ca));
	coord_actions(&w, &ca);
	crn_sa_actions_fini(&ca);
	crn_free(buf, len);
	for (int i = 2; i < N; i++)
		(void)deliver(&w, i, 0);
	assert_null(w.sum);
	assert_true(w.aborted);
	CAIRN_T_EQ(w.abort.code, CAIRN_EAUTH);
	world_fini(&w);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_corrupt_share),
    cmocka_unit_test(test_deadlines),
    cmocka_unit_test(test_honest),
    cmocka_unit_test(test_replay_reorder),
    cmocka_unit_test(test_split_survivor_sets),
    cmocka_unit_test(test_never_both_kinds),
    cmocka_unit_test(test_bad_rosters),
    cmocka_unit_test(test_low_threshold),
    cmocka_unit_test(test_garbage),
};

CAIRN_TEST_MAIN(tests)
