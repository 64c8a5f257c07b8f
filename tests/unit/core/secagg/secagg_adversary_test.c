/* secagg_adversary_test.c — nodes against a dishonest coordinator and a
 * meddling network, on the one-process world (core/secagg_world.h):
 * replayed and reordered round messages, split survivor sets with a
 * colluding node, a request for both share kinds, duplicate identities,
 * forged and tampered rosters, garbage at every round on both sides,
 * deadlines and a lying revealer.  Complete graph of N nodes under the
 * malicious policy (t = floor(2N/3) + 1) unless a test says otherwise.
 * CAIRN_TEST_TIMEOUT: 120 */
#include <string.h>

#include "cairn_test.h"
#include "secagg_play.h"

#define N 5
#define T 4 /* floor(2N/3) + 1 */

static const uint8_t junk[] = {0x0a, 0xff, 0xff, 0x01, 0x12};

static crn_sa_world *
world_of(uint8_t seed, crn_sa_hook hook, void *arg)
{
	tsa_opts o;

	memset(&o, 0, sizeof(o));
	o.n = N;
	o.t = T;
	o.minp = 3;
	o.coordinator = true;
	o.malicious = true;
	o.seed = seed;
	o.hook = hook;
	o.hook_arg = arg;
	return tsa_world(&o);
}

/* Give to_slot a copy of the last message of `type` slot got. */
static cairn_err
again(crn_sa_world *w, uint32_t slot, uint32_t type, uint32_t to_slot)
{
	const crn_sa_wmsg *m = crn_sa_world_got(w, slot, type);
	uint8_t *buf;

	assert_non_null(m);
	buf = crn_alloc(m->len);
	assert_non_null(buf);
	memcpy(buf, m->data, m->len);
	return tsa_give(w, to_slot, type, buf, m->len);
}

/* Hand the coordinator, from slot, what slot sent of `type` once more;
 * nothing may come of it. */
static cairn_err
coord_again(crn_sa_world *w, uint32_t slot, uint32_t type)
{
	const crn_sa_wmsg *m = crn_sa_world_sent(w, slot, type);
	crn_sa_actions a;
	cairn_err rv;

	assert_non_null(m);
	crn_sa_actions_init(&a);
	rv = crn_sa_coord_recv(
	    crn_sa_world_coord(w), slot, type, m->data, m->len, &a);
	CAIRN_T_EQ(a.count, 0);
	crn_sa_actions_fini(&a);
	return rv;
}

static void
test_honest(void **state)
{
	crn_sa_world *w = world_of(1, NULL, NULL);

	(void)state;
	tsa_start(w);
	CAIRN_T_PASS(crn_sa_world_drain(w));
	tsa_check_sum_all(w, N);
	assert_false(crn_sa_world_aborted(w, NULL));
	for (uint32_t s = 1; s <= N; s++)
		assert_true(crn_sa_node_done(crn_sa_world_node(w, s)));
	CAIRN_T_EQ(crn_sa_coord_liars(crn_sa_world_coord(w)), 0);
	crn_sa_world_free(w);
}

/* Before start, and before the roster, nothing else is accepted; each
 * refusal leaves the node as it was. */
static void
early_messages(crn_sa_world *w)
{
	static const uint32_t later[] = {CRN_SA_MSG_GRAPH_SEEDS,
	    CRN_SA_MSG_SHARES_FWD, CRN_SA_MSG_CONSISTENCY_REQ,
	    CRN_SA_MSG_UNMASK_REQ};
	const crn_sa_wmsg *m;

	CAIRN_T_PASS(
	    crn_sa_world_to_node(w, 1, CRN_SA_MSG_ROSTER, junk, sizeof(junk)));
	CAIRN_T_FAIL(crn_sa_world_last_rv(w, 1), CAIRN_ESTATE);
	tsa_start(w);
	m = crn_sa_world_peek(w, 1);
	assert_non_null(m);
	CAIRN_T_EQ(m->type, CRN_SA_MSG_ROSTER);
	for (size_t i = 0; i < CRN_NELEM(later); i++) {
		CAIRN_T_PASS(
		    crn_sa_world_to_node(w, 1, later[i], m->data, m->len));
		CAIRN_T_FAIL(crn_sa_world_last_rv(w, 1), CAIRN_ESTATE);
	}
	assert_false(tsa_sent(w, 1, CRN_SA_MSG_ABORT));
}

/* Replayed and reordered messages are refused without harm, at the
 * nodes and at the coordinator, and the session still ends exact. */
static void
test_replay_reorder(void **state)
{
	crn_sa_world *w = world_of(2, NULL, NULL);

	(void)state;
	early_messages(w);
	/* Node 1 reveals; its reveal again within the round counts once. */
	CAIRN_T_PASS(crn_sa_world_deliver(w, 1));
	CAIRN_T_FAIL(coord_again(w, 1, CRN_SA_MSG_SEED_REVEAL), CAIRN_EREPLAY);
	CAIRN_T_EQ(tsa_step(w), N - 1); /* the reveal round closes */
	CAIRN_T_FAIL(again(w, 1, CRN_SA_MSG_ROSTER, 3), CAIRN_ESTATE);
	CAIRN_T_FAIL(coord_again(w, 2, CRN_SA_MSG_SEED_REVEAL), CAIRN_ESTATE);
	CAIRN_T_EQ(tsa_step(w), N); /* graph seeds -> share keys */
	CAIRN_T_FAIL(again(w, 1, CRN_SA_MSG_GRAPH_SEEDS, 1), CAIRN_ESTATE);
	/* Closed rounds at the coordinator. */
	CAIRN_T_FAIL(coord_again(w, 1, CRN_SA_MSG_SHARE_KEYS), CAIRN_ESTATE);
	CAIRN_T_FAIL(coord_again(w, 1, CRN_SA_MSG_ADVERTISE), CAIRN_ESTATE);
	for (uint32_t s = 1; s < N; s++)
		CAIRN_T_PASS(crn_sa_world_deliver(w, s));
	/* A masked input replayed within its round must not count twice. */
	CAIRN_T_FAIL(coord_again(w, 2, CRN_SA_MSG_MASKED_INPUT), CAIRN_EREPLAY);
	CAIRN_T_PASS(crn_sa_world_deliver(w, N));
	CAIRN_T_PASS(crn_sa_world_drain(w));
	tsa_check_sum_all(w, N);
	/* After the end: the unmask request again, anything at the
	 * coordinator. */
	CAIRN_T_FAIL(again(w, 1, CRN_SA_MSG_UNMASK_REQ, 1), CAIRN_ESTATE);
	CAIRN_T_FAIL(coord_again(w, 1, CRN_SA_MSG_UNMASK), CAIRN_ESTATE);
	crn_sa_world_free(w);
}

/* ---- split survivor sets ------------------------------------------------ */

/* What the coordinator gathered of node 1's secrets, with the colluder
 * c's own shares: true when it unmasks x_1. */
static bool
split_loot(tsa_play *p, uint32_t t, uint32_t c)
{
	uint32_t n = p->n, nb = 0, nk = 0, *others;
	crn_shamir_share *bs, *ks;
	uint8_t b[CRN_SHAMIR_SECRET_LEN], sk[CRN_SHAMIR_SECRET_LEN];
	uint8_t(*seeds)[CAIRN_SEED_LEN];
	crn_kx_keypair kp;
	bool won = false;

	bs = crn_alloc((n + 1) * sizeof(*bs));
	ks = crn_alloc((n + 1) * sizeof(*ks));
	others = crn_alloc(n * sizeof(*others));
	seeds = crn_alloc(n * sizeof(*seeds));
	assert_true(bs && ks && others && seeds);
	nb = tsa_revealed(p->w, n, 1, CRN_SA_SHARE_SELF_MASK, bs, 0, n);
	nk = tsa_revealed(p->w, n, 1, CRN_SA_SHARE_MASK_KEY, ks, 0, n);
	assert_true(tsa_corrupt_open(p, c, 1, &bs[nb++], &ks[nk++]));
	if (nb >= t && nk >= t) {
		CAIRN_T_PASS(crn_shamir_combine(b, bs, nb, t));
		CAIRN_T_PASS(crn_shamir_combine(sk, ks, nk, t));
		crn_kx_keypair_from_seed(&kp, sk);
		assert_memory_equal(kp.pk, p->ads[0].mask_pk, CAIRN_KX_PK_LEN);
		for (uint32_t v = 2; v <= n; v++) {
			others[v - 2] = v;
			CAIRN_T_PASS(crn_sa_mask_seed(seeds[v - 2], kp.sk,
			    p->ads[v - 1].mask_pk, crn_sa_world_session(p->w)));
		}
		won = tsa_unmask_input(p->w, 1, b, others,
		    (const uint8_t(*)[CAIRN_SEED_LEN])seeds, n - 1);
	} else {
		CAIRN_T_FAIL(crn_shamir_combine(sk, ks, nk, t), CAIRN_EINVAL);
	}
	crn_free(bs, (n + 1) * sizeof(*bs));
	crn_free(ks, (n + 1) * sizeof(*ks));
	crn_free(others, n * sizeof(*others));
	crn_free(seeds, n * sizeof(*seeds));
	return won;
}

/* Each group is shown its own set with every signature over it. */
static void
split_unmask(tsa_play *p, uint32_t t, bool malicious,
    const crn_sa_survivors *sa, const crn_sa_signed *ga, uint32_t na,
    const crn_sa_survivors *sb, const crn_sa_signed *gb, uint32_t nb)
{
	for (uint32_t s = 1; s < t; s++)
		CAIRN_T_PASS(tsa_play_unmask(p, s, sa, ga, na));
	for (uint32_t s = t; s < p->n; s++) {
		cairn_err rv = tsa_play_unmask(p, s, sb, gb, nb);

		if (!malicious) {
			CAIRN_T_PASS(rv);
			continue;
		}
		/* n - t + 1 signers: too few for t. */
		CAIRN_T_FAIL(rv, CAIRN_EAUTH);
		tsa_refused(p->w, s, "too few of our neighbours signed");
		assert_false(tsa_sent(p->w, s, CRN_SA_MSG_UNMASK));
		assert_true(tsa_sent(p->w, s, CRN_SA_MSG_ABORT));
	}
}

/*
 * The coordinator and the colluding node n split the others: the victim
 * (node 1) and nodes 2..t-1 are told everyone survived (A), nodes
 * t..n-1 that node 1 dropped (B).  The colluder signs both sets and
 * opens its own shares of node 1's b and mask key.  Group A's shares of
 * b_1 and group B's shares of node 1's mask key would strip every mask
 * off y_1.  True when the coordinator unmasked x_1.
 */
static bool
split_attack(uint32_t n, uint32_t t, bool malicious)
{
	tsa_opts o;
	crn_sa_world *w;
	crn_sa_survivors sa, sb;
	crn_sa_signed *ga, *gb;
	uint32_t na = 0, nb = 0;
	bool *skip, won;
	tsa_play p;

	memset(&o, 0, sizeof(o));
	o.n = n;
	o.t = t;
	o.malicious = malicious;
	o.seed = (uint8_t)(0x30 + n + malicious);
	w = tsa_world(&o);
	tsa_play_init(&p, w, &o);
	tsa_play_to_shares(&p);
	for (uint32_t s = 1; s <= n; s++)
		CAIRN_T_PASS(tsa_play_forward(&p, s, NULL));
	skip = crn_zalloc(n * sizeof(*skip));
	ga = crn_alloc(n * sizeof(*ga));
	gb = crn_alloc(n * sizeof(*gb));
	assert_true(skip && ga && gb);
	skip[0] = true;
	tsa_set_but(&sa, n, NULL);
	tsa_set_but(&sb, n, skip);
	for (uint32_t s = 1; s < n; s++)
		if (s < t)
			CAIRN_T_PASS(
			    tsa_play_consistency(&p, s, &sa, &ga[na++]));
		else
			CAIRN_T_PASS(
			    tsa_play_consistency(&p, s, &sb, &gb[nb++]));
	tsa_corrupt_sign(w, n, p.digest, &sa, &ga[na++]);
	tsa_corrupt_sign(w, n, p.digest, &sb, &gb[nb++]);
	split_unmask(&p, t, malicious, &sa, ga, na, &sb, gb, nb);
	won = split_loot(&p, t, n);
	crn_free(skip, n * sizeof(*skip));
	crn_free(ga, n * sizeof(*ga));
	crn_free(gb, n * sizeof(*gb));
	crn_sa_survivors_fini(&sa);
	crn_sa_survivors_fini(&sb);
	tsa_play_fini(&p);
	crn_sa_world_free(w);
	return won;
}

/*
 * Finding 2 of issue 8.  Under the semi-honest policy (t = floor(n/2) +
 * 1, which it accepts) the split with one colluder unmasks x_1: what
 * that policy trusts the coordinator not to do.  Under the malicious
 * policy (t = floor(2n/3) + 1) group B cannot gather t signatures and
 * refuses, and the coordinator holds too few shares of node 1's mask
 * key: y_1 stays masked.
 */
static void
test_split_survivor_sets(void **state)
{
	static const uint32_t sizes[] = {5, 7, 9};

	(void)state;
	for (size_t i = 0; i < CRN_NELEM(sizes); i++) {
		uint32_t n = sizes[i];

		assert_true(split_attack(n, n / 2 + 1, false));
		assert_false(split_attack(n, (2 * n) / 3 + 1, true));
	}
}

/* A node shown, at unmask, a set other than the one it signed refuses
 * (whatever signatures come with it). */
static void
test_unmask_other_set(void **state)
{
	crn_sa_world *w = world_of(3, NULL, NULL);
	const crn_sa_wmsg *m;
	crn_sa_unmask_req rq;
	uint8_t *buf;
	size_t len;

	(void)state;
	tsa_start(w);
	tsa_until(w, CRN_SA_MSG_UNMASK_REQ);
	m = crn_sa_world_peek(w, 1);
	CAIRN_T_PASS(crn_sa_unmask_req_decode(&rq, m->data, m->len));
	CAIRN_T_EQ(rq.surv.count, N);
	/* Node 2 "dropped" in the set shown now. */
	memmove(
	    &rq.surv.idx[1], &rq.surv.idx[2], (N - 2) * sizeof(*rq.surv.idx));
	rq.surv.count--;
	CAIRN_T_PASS(crn_sa_unmask_req_encode(&buf, &len, &rq));
	rq.surv.count++;
	crn_sa_unmask_req_fini(&rq);
	crn_sa_world_discard(w, 1);
	CAIRN_T_FAIL(
	    tsa_give(w, 1, CRN_SA_MSG_UNMASK_REQ, buf, len), CAIRN_EPROTO);
	tsa_refused(w, 1, "differs from the one we signed");
	assert_false(tsa_sent(w, 1, CRN_SA_MSG_UNMASK));
	crn_sa_world_free(w);
}

/* ---- one kind of share per peer, once ----------------------------------- */

static crn_sa_verdict
drop_consig_of_n(void *arg, uint32_t from, uint32_t to, uint32_t type,
    uint8_t **data, size_t *len)
{
	(void)arg;
	(void)to;
	(void)data;
	(void)len;
	return from == N && type == CRN_SA_MSG_CONSISTENCY_SIG ? CRN_SA_DROP
	                                                       : CRN_SA_PASS;
}

/* Node N goes silent before signing; its masked input is in the sum, so
 * everyone is asked for shares of its b, never of its key; a second
 * request (a replay, or a changed story) is refused. */
static void
test_never_both_kinds(void **state)
{
	crn_sa_world *w = world_of(4, drop_consig_of_n, NULL);
	const crn_sa_wmsg *m;
	crn_sa_unmask resp;
	uint8_t owners[N + 1];

	(void)state;
	tsa_start(w);
	tsa_until(w, CRN_SA_MSG_CONSISTENCY_REQ);
	CAIRN_T_EQ(tsa_step(w), N);
	CAIRN_T_PASS(crn_sa_world_deadline(w)); /* 4 signatures of 5 */
	CAIRN_T_EQ(crn_sa_world_queued(w, N), 0);
	CAIRN_T_PASS(crn_sa_world_deliver(w, 1));
	m = crn_sa_world_sent(w, 1, CRN_SA_MSG_UNMASK);
	assert_non_null(m);
	CAIRN_T_PASS(crn_sa_unmask_decode(&resp, m->data, m->len));
	memset(owners, 0, sizeof(owners));
	for (uint32_t k = 0; k < resp.count; k++) {
		assert_true(resp.v[k].owner >= 1 && resp.v[k].owner <= N);
		owners[resp.v[k].owner]++;
		CAIRN_T_EQ(resp.v[k].kind, CRN_SA_SHARE_SELF_MASK);
	}
	for (int o = 1; o <= N; o++)
		CAIRN_T_EQ(owners[o], 1);
	crn_sa_unmask_fini(&resp);
	CAIRN_T_FAIL(again(w, 1, CRN_SA_MSG_UNMASK_REQ, 1), CAIRN_ESTATE);
	CAIRN_T_FAIL(again(w, 1, CRN_SA_MSG_CONSISTENCY_REQ, 1), CAIRN_ESTATE);
	CAIRN_T_PASS(crn_sa_world_drain(w));
	tsa_check_sum_all(w, N);
	crn_sa_world_free(w);
}

/* ---- rosters ------------------------------------------------------------ */

/* Slot 4's advertisement is replaced in transit by slot 2's. */
static crn_sa_verdict
dup_identity(void *arg, uint32_t from, uint32_t to, uint32_t type,
    uint8_t **data, size_t *len)
{
	crn_sa_world **w = arg;
	const crn_sa_wmsg *m;

	(void)to;
	if (from != 4 || type != CRN_SA_MSG_ADVERTISE ||
	    (m = crn_sa_world_sent(*w, 2, type)) == NULL)
		return CRN_SA_PASS;
	crn_free(*data, *len);
	*data = crn_alloc(m->len);
	assert_non_null(*data);
	memcpy(*data, m->data, m->len);
	*len = m->len;
	return CRN_SA_PASS;
}

/* Two slots with one identity: the coordinator seats only one. */
static void
test_duplicate_identity(void **state)
{
	crn_sa_world *w = NULL;

	(void)state;
	w = world_of(5, dup_identity, &w);
	tsa_start(w);
	CAIRN_T_EQ(crn_sa_coord_nodes(crn_sa_world_coord(w)), N - 1);
	CAIRN_T_EQ(crn_sa_world_queued(w, 4), 0);
	for (uint32_t s = 1; s <= N; s++)
		if (s != 4)
			CAIRN_T_EQ(
			    crn_sa_world_peek(w, s)->type, CRN_SA_MSG_ROSTER);
	crn_sa_world_free(w);
}

enum { DUP_SEAT, FORGED_KEY, TOO_FEW, NOT_OUR_KEYS, NOT_OUR_COMMIT };

static void
tamper(crn_sa_roster *r, int kase)
{
	switch (kase) {
	case DUP_SEAT: /* a copy of node 2's entry in node 4's seat */
		r->parts[3] = r->parts[1];
		break;
	case FORGED_KEY: /* node 3's mask key, the coordinator's own */
		r->parts[2].mask_pk[0] ^= 1;
		break;
	case TOO_FEW: /* below min_participants (3) */
		r->n = 2;
		r->params.threshold = 2;
		break;
	case NOT_OUR_KEYS: /* our entry with someone else's keys */
		memcpy(r->parts[0].channel_pk, r->parts[1].channel_pk,
		    CAIRN_KX_PK_LEN);
		break;
	default: /* our graph-seed commitment replaced */
		r->parts[0].gcommit[0] ^= 1;
		break;
	}
}

/* Hand node 1 the roster after `tamper`; the node's answer. */
static cairn_err
tampered_roster(crn_sa_world *w, int kase)
{
	const crn_sa_wmsg *m = crn_sa_world_peek(w, 1);
	crn_sa_roster r;
	uint8_t *buf;
	size_t len;

	assert_non_null(m);
	CAIRN_T_PASS(crn_sa_roster_decode(&r, m->data, m->len));
	tamper(&r, kase);
	CAIRN_T_PASS(crn_sa_roster_encode(&buf, &len, &r));
	r.n = N;
	crn_sa_roster_fini(&r);
	crn_sa_world_discard(w, 1);
	return tsa_give(w, 1, CRN_SA_MSG_ROSTER, buf, len);
}

/*
 * Roster tampering: a duplicate seat, a forged advertisement, too few
 * participants, a roster without our keys or our commitment.  A forged
 * entry's signature is checked once the graph is known (when the graph
 * seeds arrive), before any share leaves the node; the others are
 * refused on sight, before the node reveals its graph-seed share.
 */
static void
test_bad_rosters(void **state)
{
	static const cairn_err want[] = {
	    CAIRN_EPERM, CAIRN_EAUTH, CAIRN_EPERM, CAIRN_EPROTO, CAIRN_EPROTO};
	static const char *const why[] = {"not sorted", "bad advertise",
	    "too few participants", "lacks our advertised keys",
	    "lacks our advertised keys"};

	(void)state;
	for (int kase = DUP_SEAT; kase <= NOT_OUR_COMMIT; kase++) {
		crn_sa_world *w = world_of((uint8_t)(0x10 + kase), NULL, NULL);
		uint32_t last = CRN_SA_MSG_ROSTER;
		cairn_err rv;

		tsa_start(w);
		rv = tampered_roster(w, kase);
		if (kase == FORGED_KEY) {
			CAIRN_T_PASS(rv);
			CAIRN_T_EQ(tsa_step(w), N - 1); /* seeds go out */
			CAIRN_T_PASS(crn_sa_world_deliver(w, 1));
			rv = crn_sa_world_last_rv(w, 1);
			last = CRN_SA_MSG_GRAPH_SEEDS;
		} else {
			assert_false(tsa_sent(w, 1, CRN_SA_MSG_SEED_REVEAL));
		}
		CAIRN_T_FAIL(rv, want[kase]);
		tsa_refused(w, 1, why[kase]);
		assert_false(tsa_sent(w, 1, CRN_SA_MSG_SHARE_KEYS));
		/* Refused for good: nothing more is accepted. */
		CAIRN_T_FAIL(again(w, 1, last, 1), CAIRN_ESTATE);
		crn_sa_world_free(w);
	}
}

/* A threshold too low for the neighbourhood is refused (two disjoint
 * groups of t could then each sign a different story), as is the
 * semi-honest threshold under the malicious policy; one above n does
 * not even decode. */
static void
test_low_threshold(void **state)
{
	static const uint32_t bad[] = {2, N / 2 + 1, N + 1};
	static const cairn_err want[] = {
	    CAIRN_EPERM, CAIRN_EPERM, CAIRN_EINVAL};
	crn_sa_world *w = world_of(6, NULL, NULL);

	(void)state;
	tsa_start(w);
	for (uint32_t i = 0; i < CRN_NELEM(bad); i++) {
		const crn_sa_wmsg *m = crn_sa_world_peek(w, i + 1);
		crn_sa_roster r;
		uint8_t *buf;
		size_t len;

		CAIRN_T_PASS(crn_sa_roster_decode(&r, m->data, m->len));
		r.params.threshold = bad[i];
		CAIRN_T_PASS(crn_sa_roster_encode(&buf, &len, &r));
		crn_sa_roster_fini(&r);
		crn_sa_world_discard(w, i + 1);
		CAIRN_T_FAIL(
		    tsa_give(w, i + 1, CRN_SA_MSG_ROSTER, buf, len), want[i]);
		assert_false(tsa_sent(w, i + 1, CRN_SA_MSG_SEED_REVEAL));
	}
	crn_sa_world_free(w);
}

/* ---- garbage ------------------------------------------------------------ */

/* How a session ends when one node (`bad`) leaves it in a given round:
 * aborted (the reveal round needs everyone), or with the sum of the
 * inputs still in it. */
static void
check_outcome(crn_sa_world *w, bool aborts, uint32_t bad, bool bad_in_sum)
{
	uint32_t in[N], k = 0;
	crn_sa_abort ab;

	CAIRN_T_PASS(crn_sa_world_drain(w));
	if (aborts) {
		assert_true(crn_sa_world_aborted(w, &ab));
		CAIRN_T_EQ(ab.code, CAIRN_EABORT);
		CAIRN_T_EQ(ab.needed, N);
		CAIRN_T_EQ(ab.answered, N - 1);
		assert_non_null(strstr(ab.reason, "graph-seed"));
		return;
	}
	assert_false(crn_sa_world_aborted(w, NULL));
	for (uint32_t s = 1; s <= N; s++)
		if (s != bad || bad_in_sum)
			in[k++] = s;
	tsa_check_sum(w, in, k);
}

/* Garbage instead of each round's message to node 1: a clean refusal
 * (EINVAL, an abort sent), never a crash; the others carry on. */
static void
test_garbage_to_node(void **state)
{
	static const uint32_t types[] = {CRN_SA_MSG_ROSTER,
	    CRN_SA_MSG_GRAPH_SEEDS, CRN_SA_MSG_SHARES_FWD,
	    CRN_SA_MSG_CONSISTENCY_REQ, CRN_SA_MSG_UNMASK_REQ};

	(void)state;
	for (size_t i = 0; i < CRN_NELEM(types); i++) {
		crn_sa_world *w = world_of((uint8_t)(0x20 + i), NULL, NULL);
		uint8_t *buf = crn_alloc(sizeof(junk));

		assert_non_null(buf);
		memcpy(buf, junk, sizeof(junk));
		tsa_start(w);
		tsa_until(w, types[i]);
		crn_sa_world_discard(w, 1);
		CAIRN_T_FAIL(
		    tsa_give(w, 1, types[i], buf, sizeof(junk)), CAIRN_EINVAL);
		assert_true(tsa_sent(w, 1, CRN_SA_MSG_ABORT));
		/* Its masked input stays in the sum once accepted. */
		check_outcome(w, i == 0, 1, i >= 3);
		crn_sa_world_free(w);
	}
}

static crn_sa_verdict
junk_from_n(void *arg, uint32_t from, uint32_t to, uint32_t type,
    uint8_t **data, size_t *len)
{
	const uint32_t *when = arg;

	(void)to;
	if (from != N || type != *when)
		return CRN_SA_PASS;
	crn_free(*data, *len);
	*data = crn_alloc(sizeof(junk));
	assert_non_null(*data);
	memcpy(*data, junk, sizeof(junk));
	*len = sizeof(junk);
	return CRN_SA_PASS;
}

/* Garbage from node N instead of each of its messages: the coordinator
 * drops it and carries on while it can. */
static void
test_garbage_to_coordinator(void **state)
{
	static const uint32_t types[] = {CRN_SA_MSG_SEED_REVEAL,
	    CRN_SA_MSG_SHARE_KEYS, CRN_SA_MSG_MASKED_INPUT,
	    CRN_SA_MSG_CONSISTENCY_SIG, CRN_SA_MSG_UNMASK};

	(void)state;
	for (size_t i = 0; i < CRN_NELEM(types); i++) {
		uint32_t when = types[i];
		crn_sa_world *w =
		    world_of((uint8_t)(0x28 + i), junk_from_n, &when);

		tsa_start(w);
		check_outcome(w, i == 0, N, i >= 3);
		crn_sa_world_free(w);
	}
}

/* ---- deadlines ---------------------------------------------------------- */

/* A node that waits too long aborts; a coordinator short of t at a
 * deadline aborts and tells the nodes, which then stop. */
static void
test_deadlines(void **state)
{
	crn_sa_world *w = world_of(7, NULL, NULL);
	crn_sa_abort ab;
	crn_sa_actions a;

	(void)state;
	CAIRN_T_PASS(crn_sa_world_start(w, 1));
	CAIRN_T_PASS(crn_sa_world_start(w, 2));
	crn_sa_actions_init(&a);
	CAIRN_T_FAIL(
	    crn_sa_node_start(crn_sa_world_node(w, 1), &a), CAIRN_ESTATE);
	CAIRN_T_EQ(a.count, 0);
	CAIRN_T_FAIL(
	    crn_sa_node_deadline(crn_sa_world_node(w, 2), &a), CAIRN_ETIMEDOUT);
	CAIRN_T_EQ(a.count, 2);
	CAIRN_T_EQ(a.v[0].kind, CRN_SA_ACT_SEND);
	CAIRN_T_EQ(a.v[0].type, CRN_SA_MSG_ABORT);
	CAIRN_T_EQ(a.v[1].kind, CRN_SA_ACT_ABORT);
	CAIRN_T_EQ(a.v[1].abort.code, CAIRN_ETIMEDOUT);
	crn_sa_actions_fini(&a);
	/* Two of five advertised; t = 4. */
	CAIRN_T_PASS(crn_sa_world_deadline(w));
	assert_true(crn_sa_world_aborted(w, &ab));
	CAIRN_T_EQ(ab.code, CAIRN_EABORT);
	CAIRN_T_EQ(ab.needed, T);
	CAIRN_T_EQ(ab.answered, 2);
	assert_non_null(strstr(ab.reason, "needed 4, answered 2"));
	assert_false(crn_sa_coord_done(crn_sa_world_coord(w)));
	/* Node 1 hears of it and stops; the others heard nothing. */
	CAIRN_T_EQ(crn_sa_world_peek(w, 1)->type, CRN_SA_MSG_ABORT);
	CAIRN_T_PASS(crn_sa_world_deliver(w, 1));
	CAIRN_T_FAIL(crn_sa_world_last_rv(w, 1), CAIRN_EABORT);
	CAIRN_T_FAIL(again(w, 1, CRN_SA_MSG_ABORT, 1), CAIRN_ESTATE);
	CAIRN_T_EQ(crn_sa_world_queued(w, 3), 0);
	/* Past the end, a deadline changes nothing. */
	CAIRN_T_PASS(crn_sa_world_deadline(w));
	crn_sa_world_free(w);
}

/* ---- a lying revealer --------------------------------------------------- */

static crn_sa_verdict
shift_share_of_1(void *arg, uint32_t from, uint32_t to, uint32_t type,
    uint8_t **data, size_t *len)
{
	crn_sa_unmask u;
	crn_shamir_share sh;

	(void)arg;
	(void)to;
	if (from != 2 || type != CRN_SA_MSG_UNMASK)
		return CRN_SA_PASS;
	CAIRN_T_PASS(crn_sa_unmask_decode(&u, *data, *len));
	for (uint32_t k = 0; k < u.count; k++) {
		if (u.v[k].owner != 1)
			continue;
		CAIRN_T_PASS(crn_shamir_share_decode(&sh, u.v[k].share));
		sh.y[0] = sh.y[0] == 0 ? 1 : sh.y[0] - 1;
		crn_shamir_share_encode(u.v[k].share, &sh);
	}
	crn_free(*data, *len);
	CAIRN_T_PASS(crn_sa_unmask_encode(data, len, &u));
	crn_sa_unmask_fini(&u);
	return CRN_SA_PASS;
}

/*
 * Node 2 shifts its revealed share of b_1 by one, and answers first.
 * The coordinator never outputs a skewed sum: the reconstruction misses
 * node 1's commitment, node 2's share misses its dealer's and is dropped
 * (counted), and with N = 5, t = 4 the three committed honest shares
 * left are too few, so the session aborts with CAIRN_EAUTH.
 * secagg_attack_test shows the sum coming out exact when enough remain.
 */
static void
test_lying_revealer(void **state)
{
	crn_sa_world *w = world_of(8, shift_share_of_1, NULL);
	crn_sa_abort ab;
	size_t len;

	(void)state;
	tsa_start(w);
	tsa_until(w, CRN_SA_MSG_UNMASK_REQ);
	CAIRN_T_PASS(crn_sa_world_deliver(w, 2));
	CAIRN_T_PASS(crn_sa_world_drain(w));
	assert_null(crn_sa_world_sum(w, &len));
	assert_true(crn_sa_world_aborted(w, &ab));
	CAIRN_T_EQ(ab.code, CAIRN_EAUTH);
	assert_non_null(strstr(ab.reason, "too few honest shares"));
	CAIRN_T_EQ(crn_sa_coord_liars(crn_sa_world_coord(w)), 1);
	crn_sa_world_free(w);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_honest),
    cmocka_unit_test(test_replay_reorder),
    cmocka_unit_test(test_split_survivor_sets),
    cmocka_unit_test(test_unmask_other_set),
    cmocka_unit_test(test_never_both_kinds),
    cmocka_unit_test(test_duplicate_identity),
    cmocka_unit_test(test_bad_rosters),
    cmocka_unit_test(test_low_threshold),
    cmocka_unit_test(test_garbage_to_node),
    cmocka_unit_test(test_garbage_to_coordinator),
    cmocka_unit_test(test_deadlines),
    cmocka_unit_test(test_lying_revealer),
};

CAIRN_TEST_MAIN(tests)
