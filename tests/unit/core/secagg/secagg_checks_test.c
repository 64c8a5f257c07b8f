/* secagg_attack_test.c — one test per check the hardened protocol added
 * (issue 8), each named for what it attacks and played against the real
 * node and coordinator machines on the one-process world:
 *   - a coordinator that alters the graph seeds after seeing the reveals,
 *     or withholds one node's reveal;
 *   - two nodes shown rosters that differ in one entry;
 *   - the split-neighbourhood schedule on the sparse graph (finding 1)
 *     against status agreement;
 *   - lying revealers against robust reconstruction;
 *   - a roster above a node's max_nodes;
 *   - the semi-honest threshold shown to a malicious-policy node.
 * CAIRN_TEST_TIMEOUT: 120 */
#include <stdlib.h>
#include <string.h>

#include "cairn_test.h"
#include "secagg_play.h"

#define N 5
#define T 4 /* floor(2N/3) + 1 */

static crn_sa_world *
world_of(uint32_t n, uint32_t t, uint8_t seed, crn_sa_hook hook, void *arg)
{
	tsa_opts o;

	memset(&o, 0, sizeof(o));
	o.n = n;
	o.t = t;
	o.coordinator = true;
	o.malicious = true;
	o.seed = seed;
	o.hook = hook;
	o.hook_arg = arg;
	return tsa_world(&o);
}

/* ---- the graph seed ----------------------------------------------------- */

enum { ALTER_ONE, SWAP_TWO, WITHHOLD_ONE, CHOOSE_ONE };

typedef struct seeds_tamper {
	int how;
	uint32_t only; /* 0: every node's copy, else this slot's */
} seeds_tamper;

/* The coordinator's GraphSeeds, rewritten after it saw every reveal. */
static crn_sa_verdict
alter_seeds(void *arg, uint32_t from, uint32_t to, uint32_t type,
    uint8_t **data, size_t *len)
{
	const seeds_tamper *st = arg;
	uint8_t tmp[CAIRN_KEY_LEN];
	crn_sa_seeds sd;

	if (from != 0 || type != CRN_SA_MSG_GRAPH_SEEDS ||
	    (st->only != 0 && to != st->only))
		return CRN_SA_PASS;
	CAIRN_T_PASS(crn_sa_seeds_decode(&sd, *data, *len));
	crn_free(*data, *len);
	if (st->how == ALTER_ONE) {
		sd.r[2][7] ^= 1;
	} else if (st->how == SWAP_TWO) {
		memcpy(tmp, sd.r[0], sizeof(tmp));
		memcpy(sd.r[0], sd.r[1], sizeof(tmp));
		memcpy(sd.r[1], tmp, sizeof(tmp));
	} else if (st->how == CHOOSE_ONE) {
		memset(sd.r[1], 0x5a, CAIRN_KEY_LEN);
	}
	sd.n -= st->how == WITHHOLD_ONE;
	CAIRN_T_PASS(crn_sa_seeds_encode(data, len, &sd));
	sd.n += st->how == WITHHOLD_ONE;
	crn_sa_seeds_fini(&sd);
	return CRN_SA_PASS;
}

/*
 * A coordinator that, having seen every contribution, alters one (or
 * swaps two, drops one, or puts in one of its own) to pick the graph:
 * every node refuses before sharing a key, and with nobody left the
 * session aborts.  Altered for one node only, that node refuses and the
 * others finish without it.
 */
static void
test_coordinator_alters_graph_seeds(void **state)
{
	(void)state;
	for (int how = ALTER_ONE; how <= CHOOSE_ONE; how++) {
		seeds_tamper st = {how, 0};
		crn_sa_world *w =
		    world_of(N, T, (uint8_t)(0x40 + how), alter_seeds, &st);

		tsa_start(w);
		CAIRN_T_PASS(crn_sa_world_drain(w));
		for (uint32_t s = 1; s <= N; s++) {
			CAIRN_T_FAIL(crn_sa_world_last_rv(w, s), CAIRN_EPROTO);
			tsa_refused(w, s,
			    how == WITHHOLD_ONE ? "graph seeds for another "
			                          "roster"
			                        : "does not match its "
			                          "commitment");
			assert_false(tsa_sent(w, s, CRN_SA_MSG_SHARE_KEYS));
		}
		assert_true(crn_sa_world_aborted(w, NULL));
		crn_sa_world_free(w);
	}
	{
		seeds_tamper st = {ALTER_ONE, 4};
		crn_sa_world *w = world_of(N, T, 0x45, alter_seeds, &st);
		static const uint32_t rest[] = {1, 2, 3, 5};

		tsa_start(w);
		CAIRN_T_PASS(crn_sa_world_drain(w));
		CAIRN_T_FAIL(crn_sa_world_last_rv(w, 4), CAIRN_EPROTO);
		tsa_check_sum(w, rest, CRN_NELEM(rest));
		crn_sa_world_free(w);
	}
}

static crn_sa_verdict
drop_reveal_of_3(void *arg, uint32_t from, uint32_t to, uint32_t type,
    uint8_t **data, size_t *len)
{
	(void)arg;
	(void)to;
	(void)data;
	(void)len;
	return from == 3 && type == CRN_SA_MSG_SEED_REVEAL ? CRN_SA_DROP
	                                                   : CRN_SA_PASS;
}

/* Without node 3's contribution there is no graph anyone can agree on
 * without letting the coordinator choose: at the deadline the session
 * aborts, saying it needed all five and four answered; nobody shared a
 * key. */
static void
test_reveal_withheld_aborts(void **state)
{
	crn_sa_world *w = world_of(N, T, 0x46, drop_reveal_of_3, NULL);
	crn_sa_abort ab;

	(void)state;
	tsa_start(w);
	CAIRN_T_EQ(tsa_step(w), N);
	CAIRN_T_EQ(tsa_step(w), 0); /* waiting for node 3 */
	CAIRN_T_PASS(crn_sa_world_deadline(w));
	assert_true(crn_sa_world_aborted(w, &ab));
	CAIRN_T_EQ(ab.code, CAIRN_EABORT);
	CAIRN_T_EQ(ab.needed, N);
	CAIRN_T_EQ(ab.answered, N - 1);
	assert_non_null(strstr(ab.reason, "did not reveal its graph-seed"));
	assert_non_null(strstr(ab.reason, "needed 5, answered 4"));
	CAIRN_T_EQ(tsa_step(w), N);
	for (uint32_t s = 1; s <= N; s++) {
		CAIRN_T_FAIL(crn_sa_world_last_rv(w, s), CAIRN_EABORT);
		assert_false(tsa_sent(w, s, CRN_SA_MSG_SHARE_KEYS));
	}
	crn_sa_world_free(w);
}

/* A coordinator that goes on without node 3's reveal anyway: graph
 * seeds without its contribution, or with one of the coordinator's own
 * in its place, are refused by every node. */
static void
test_reveal_withheld_filled_in(void **state)
{
	tsa_opts o = {.n = N, .t = T, .malicious = true, .seed = 0x47};
	crn_sa_world *w = tsa_world(&o);
	crn_sa_seeds fewer, own;
	tsa_play p;

	(void)state;
	tsa_play_init(&p, w, &o);
	for (uint32_t s = 1; s <= N; s++)
		CAIRN_T_PASS(tsa_play_roster(&p, s, NULL));
	tsa_play_reveals(&p);
	fewer.n = N - 1;
	own.n = N;
	fewer.r = crn_alloc(N * sizeof(*fewer.r));
	own.r = crn_alloc(N * sizeof(*own.r));
	assert_true(fewer.r && own.r);
	memcpy(own.r, p.sd.r, N * sizeof(*own.r));
	memset(own.r[2], 0x33, CAIRN_KEY_LEN);
	memcpy(fewer.r[0], p.sd.r[0], 2 * sizeof(*fewer.r));
	memcpy(fewer.r[2], p.sd.r[3], 2 * sizeof(*fewer.r));
	for (uint32_t s = 1; s <= N; s++) {
		CAIRN_T_FAIL(
		    tsa_play_seeds(&p, s, s < 3 ? &fewer : &own), CAIRN_EPROTO);
		tsa_refused(w, s,
		    s < 3 ? "another roster" : "does not match its commitment");
	}
	crn_free(fewer.r, N * sizeof(*fewer.r));
	crn_sa_seeds_fini(&own);
	tsa_play_fini(&p);
	crn_sa_world_free(w);
}

/* ---- rosters that differ in one entry ----------------------------------- */

/* The colluding node 5 signs a second advertisement (another mask key)
 * with its own identity: a roster entry every node accepts, but not the
 * one in the honest roster R.  R2 is R with it. */
static void
second_roster(const tsa_play *p, crn_sa_roster *r2)
{
	crn_kx_keypair kp;
	uint8_t seed[CAIRN_SEED_LEN];
	crn_sa_advertise *a;

	*r2 = p->r;
	r2->parts = crn_alloc(N * sizeof(*r2->parts));
	assert_non_null(r2->parts);
	memcpy(r2->parts, p->r.parts, N * sizeof(*r2->parts));
	a = &r2->parts[N - 1];
	memset(seed, 0xc5, sizeof(seed));
	crn_kx_keypair_from_seed(&kp, seed);
	memcpy(a->mask_pk, kp.pk, CAIRN_KX_PK_LEN);
	CAIRN_T_PASS(crn_sa_advertise_sign(
	    a, crn_sa_world_identity(p->w, N), crn_sa_world_session(p->w)));
	cairn_memzero(&kp, sizeof(kp));
}

/* The forwarded share of `from` (a bool list) to `to`: its answer. */
static cairn_err
forward_from(tsa_play *p, uint32_t to, uint32_t a, uint32_t b)
{
	bool from[N] = {false};

	from[a - 1] = true;
	if (b != 0)
		from[b - 1] = true;
	return tsa_play_forward(p, to, from);
}

/*
 * Nodes 1, 2 and 5 are shown R, nodes 3 and 4 the roster R2 that differs
 * in node 5's entry; both pass every check on their own.  The digest in
 * each share ciphertext's associated data keeps the two groups apart:
 * shares across them do not decrypt (CAIRN_EAUTH), shares within one do
 * (the node then refuses only for having too few, CAIRN_EABORT).
 */
static void
test_roster_split_shares(void **state)
{
	tsa_opts o = {.n = N, .t = T, .malicious = true, .seed = 0x48};
	crn_sa_world *w = tsa_world(&o);
	uint8_t d2[CAIRN_KEY_LEN];
	crn_sa_roster r2;
	tsa_play p;

	(void)state;
	tsa_play_init(&p, w, &o);
	second_roster(&p, &r2);
	CAIRN_T_PASS(crn_sa_roster_digest(d2, &r2));
	assert_memory_not_equal(d2, p.digest, sizeof(d2));
	for (uint32_t s = 1; s <= N; s++)
		CAIRN_T_PASS(
		    tsa_play_roster(&p, s, s == 3 || s == 4 ? &r2 : NULL));
	tsa_play_reveals(&p);
	for (uint32_t s = 1; s <= N; s++)
		CAIRN_T_PASS(tsa_play_seeds(&p, s, NULL));
	tsa_play_keys(&p);
	CAIRN_T_FAIL(forward_from(&p, 3, 1, 0), CAIRN_EAUTH); /* R -> R2 */
	tsa_refused(w, 3, "does not decrypt");
	CAIRN_T_FAIL(forward_from(&p, 1, 4, 0), CAIRN_EAUTH); /* R2 -> R */
	tsa_refused(w, 1, "does not decrypt");
	CAIRN_T_FAIL(forward_from(&p, 4, 3, 0), CAIRN_EABORT); /* in R2 */
	tsa_refused(w, 4, "too few neighbours shared keys");
	CAIRN_T_FAIL(forward_from(&p, 2, 1, 5), CAIRN_EABORT); /* in R */
	tsa_refused(w, 2, "too few neighbours shared keys");
	crn_free(r2.parts, N * sizeof(*r2.parts));
	tsa_play_fini(&p);
	crn_sa_world_free(w);
}

/* A world of seed 0x49 where nodes 1-4 are shown R (or R2 with alt) and
 * sign the survivor set {1, 2, 3, 4}; node 5, the colluder, goes no
 * further than revealing (its shares under R would not open under R2):
 * each signature in sig. */
static crn_sa_world *
signed_world(
    bool alt, tsa_play *p, crn_sa_signed sig[N - 1], crn_sa_survivors *four)
{
	tsa_opts o = {.n = N, .t = T, .malicious = true, .seed = 0x49};
	crn_sa_world *w = tsa_world(&o);
	bool from[N] = {true, true, true, true, false}, skip5[N] = {false};
	crn_sa_roster r2;

	tsa_play_init(p, w, &o);
	second_roster(p, &r2);
	for (uint32_t s = 1; s <= N; s++)
		CAIRN_T_PASS(tsa_play_roster(p, s, alt && s < N ? &r2 : NULL));
	tsa_play_reveals(p);
	for (uint32_t s = 1; s <= N; s++)
		CAIRN_T_PASS(tsa_play_seeds(p, s, NULL));
	tsa_play_keys(p);
	skip5[N - 1] = true;
	tsa_set_but(four, N, skip5);
	for (uint32_t s = 1; s < N; s++)
		CAIRN_T_PASS(tsa_play_forward(p, s, from));
	for (uint32_t s = 1; s < N; s++)
		CAIRN_T_PASS(tsa_play_consistency(p, s, four, &sig[s - 1]));
	crn_free(r2.parts, N * sizeof(*r2.parts));
	return w;
}

/*
 * The same nodes (one seed) signing the same survivor set once shown R
 * and once R2: a signature made over one roster's digest does not count
 * for a node that holds the other, so t signatures of which some were
 * made over the other roster are too few.
 */
static void
test_roster_split_signatures(void **state)
{
	crn_sa_signed sr[N - 1], s2[N - 1], mix[N - 1];
	crn_sa_survivors four, four2;
	tsa_play pr, p2;
	crn_sa_world *wr = signed_world(false, &pr, sr, &four);
	crn_sa_world *w2 = signed_world(true, &p2, s2, &four2);

	(void)state;
	assert_memory_not_equal(sr[0].sig, s2[0].sig, CAIRN_SIG_LEN);
	/* Node 1 of R: three signatures over R, one over R2. */
	memcpy(mix, sr, sizeof(mix));
	mix[3] = s2[3];
	CAIRN_T_FAIL(tsa_play_unmask(&pr, 1, &four, mix, N - 1), CAIRN_EAUTH);
	tsa_refused(wr, 1, "too few of our neighbours signed");
	CAIRN_T_PASS(tsa_play_unmask(&pr, 2, &four, sr, N - 1));
	/* Node 3 of R2: its own signature and three over R. */
	memcpy(mix, sr, sizeof(mix));
	mix[2] = s2[2];
	CAIRN_T_FAIL(tsa_play_unmask(&p2, 3, &four, mix, N - 1), CAIRN_EAUTH);
	tsa_refused(w2, 3, "too few of our neighbours signed");
	CAIRN_T_PASS(tsa_play_unmask(&p2, 4, &four, s2, N - 1));
	crn_sa_survivors_fini(&four);
	crn_sa_survivors_fini(&four2);
	tsa_play_fini(&pr);
	tsa_play_fini(&p2);
	crn_sa_world_free(wr);
	crn_sa_world_free(w2);
}

/* ---- status agreement on the sparse graph ------------------------------- */

#define SPARSE_N 80

/* One sparse session played by a lying coordinator against victim u. */
typedef struct nbsplit {
	tsa_play p;
	crn_graph_params gp;
	uint32_t u;
	bool *in_h;   /* H: the t - 1 neighbours whose shares reach u */
	bool *in_r;   /* R: u's other k - t + 1 neighbours */
	bool *group1; /* shown set s1; the others s2 */
	crn_sa_survivors s1, s2;
	cairn_err *rv; /* each node's refusal, or its answer to unmask */
} nbsplit;

typedef struct ringnb {
	int32_t off; /* ring offset from u */
	uint32_t v;
} ringnb;

static int
cmp_ring(const void *a, const void *b)
{
	const ringnb *x = a, *y = b;
	int32_t ax = abs(x->off), ay = abs(y->off);

	if (ax != ay)
		return ax < ay ? -1 : 1;
	return (x->off > y->off) - (x->off < y->off);
}

/* R: the k - t + 1 neighbours nearest u on the ring; H: the rest, both
 * ring ends among them (finding 1 of issue 8). */
static void
split_neighbours(nbsplit *x)
{
	uint32_t k = x->gp.degree, m = 0;
	uint32_t pu = crn_graph_position(x->p.g, x->u);
	ringnb *v = crn_alloc(k * sizeof(*v));

	assert_non_null(v);
	for (uint32_t y = 1; y <= SPARSE_N; y++) {
		int32_t off;

		if (!crn_graph_has_edge(x->p.g, x->u, y))
			continue;
		off =
		    (int32_t)((crn_graph_position(x->p.g, y) + SPARSE_N - pu) %
		        SPARSE_N);
		v[m].off = off > SPARSE_N / 2 ? off - SPARSE_N : off;
		v[m++].v = y;
	}
	CAIRN_T_EQ(m, k);
	qsort(v, k, sizeof(*v), cmp_ring);
	for (uint32_t i = 0; i < k; i++)
		if (i < k - (x->gp.threshold - 1))
			x->in_r[v[i].v - 1] = true;
		else
			x->in_h[v[i].v - 1] = true;
	CAIRN_T_EQ(abs(v[k - 1].off), k / 2);
	CAIRN_T_EQ(abs(v[k - 2].off), k / 2);
	crn_free(v, k * sizeof(*v));
}

/* A sparse world under either policy, with that policy's own parameters,
 * run honestly through share keys except that only H's shares reach u. */
static void
nbsplit_setup(nbsplit *x, uint8_t seed, bool malicious)
{
	tsa_opts o;

	memset(x, 0, sizeof(*x));
	CAIRN_T_PASS(
	    crn_graph_choose_ex(&x->gp, SPARSE_N, 0.05, 0.05, 1, malicious));
	assert_true(x->gp.degree < SPARSE_N - 1);
	memset(&o, 0, sizeof(o));
	o.n = SPARSE_N;
	o.t = x->gp.threshold;
	o.degree = x->gp.degree;
	o.malicious = malicious;
	o.seed = seed;
	x->u = 1;
	x->in_h = crn_zalloc(SPARSE_N * sizeof(bool));
	x->in_r = crn_zalloc(SPARSE_N * sizeof(bool));
	x->group1 = crn_zalloc(SPARSE_N * sizeof(bool));
	x->rv = crn_zalloc(SPARSE_N * sizeof(*x->rv));
	assert_true(x->in_h && x->in_r && x->group1 && x->rv);
	tsa_play_init(&x->p, tsa_world(&o), &o);
	tsa_play_to_shares(&x->p);
	split_neighbours(x);
	for (uint32_t s = 1; s <= SPARSE_N; s++)
		CAIRN_T_PASS(
		    tsa_play_forward(&x->p, s, s == x->u ? x->in_h : NULL));
}

static void
nbsplit_free(nbsplit *x)
{
	crn_sa_world *w = x->p.w;

	crn_free(x->in_h, SPARSE_N * sizeof(bool));
	crn_free(x->in_r, SPARSE_N * sizeof(bool));
	crn_free(x->group1, SPARSE_N * sizeof(bool));
	crn_free(x->rv, SPARSE_N * sizeof(*x->rv));
	crn_sa_survivors_fini(&x->s1);
	crn_sa_survivors_fini(&x->s2);
	tsa_play_fini(&x->p);
	crn_sa_world_free(w);
}

/* Every node is asked to sign its set; each that signed is then shown
 * its set with every signature made over it. */
static void
nbsplit_run(nbsplit *x)
{
	crn_sa_signed *g1 = crn_alloc(SPARSE_N * sizeof(*g1));
	crn_sa_signed *g2 = crn_alloc(SPARSE_N * sizeof(*g2));
	uint32_t n1 = 0, n2 = 0;

	assert_true(g1 && g2);
	for (uint32_t s = 1; s <= SPARSE_N; s++) {
		bool one = x->group1[s - 1];
		crn_sa_signed *sig = one ? &g1[n1] : &g2[n2];

		x->rv[s - 1] =
		    tsa_play_consistency(&x->p, s, one ? &x->s1 : &x->s2, sig);
		if (x->rv[s - 1] == CAIRN_OK && one)
			n1++;
		else if (x->rv[s - 1] == CAIRN_OK)
			n2++;
	}
	for (uint32_t s = 1; s <= SPARSE_N; s++) {
		bool one = x->group1[s - 1];

		if (x->rv[s - 1] == CAIRN_OK)
			x->rv[s - 1] =
			    tsa_play_unmask(&x->p, s, one ? &x->s1 : &x->s2,
			        one ? g1 : g2, one ? n1 : n2);
	}
	crn_free(g1, SPARSE_N * sizeof(*g1));
	crn_free(g2, SPARSE_N * sizeof(*g2));
}

/* H's indices, and for each v in H the pairwise mask seed with u from
 * v's mask secret key sk[i]. */
static uint32_t
h_seeds(const nbsplit *x, const uint8_t (*sk)[CRN_SHAMIR_SECRET_LEN],
    uint32_t *h, uint8_t (*seeds)[CAIRN_SEED_LEN])
{
	uint32_t nh = 0;
	crn_kx_keypair kp;

	for (uint32_t v = 1; v <= SPARSE_N; v++) {
		if (!x->in_h[v - 1])
			continue;
		crn_kx_keypair_from_seed(&kp, sk[nh]);
		assert_memory_equal(
		    kp.pk, x->p.ads[v - 1].mask_pk, CAIRN_KX_PK_LEN);
		CAIRN_T_PASS(crn_sa_mask_seed(seeds[nh], kp.sk,
		    x->p.ads[x->u - 1].mask_pk, crn_sa_world_session(x->p.w)));
		h[nh++] = v;
	}
	cairn_memzero(&kp, sizeof(kp));
	return nh;
}

/* What the coordinator rebuilds from every share the nodes revealed:
 * b_u, and each H member's mask key, each from t shares.  True when that
 * unmasks x_u; *nbu is the number of shares of b_u it got. */
static bool
nbsplit_loot(const nbsplit *x, uint32_t *nbu)
{
	uint32_t t = x->gp.threshold, cap = x->gp.degree + 1, nh = 0, c;
	crn_shamir_share *sh = crn_alloc(cap * sizeof(*sh));
	uint8_t(*sk)[CRN_SHAMIR_SECRET_LEN] = crn_alloc(SPARSE_N * sizeof(*sk));
	uint8_t(*seeds)[CAIRN_SEED_LEN] = crn_alloc(SPARSE_N * sizeof(*seeds));
	uint8_t b[CRN_SHAMIR_SECRET_LEN];
	uint32_t h[SPARSE_N];
	bool won = false;

	assert_true(sh && sk && seeds);
	*nbu = tsa_revealed(
	    x->p.w, SPARSE_N, x->u, CRN_SA_SHARE_SELF_MASK, sh, 0, cap);
	if (*nbu < t)
		goto out;
	CAIRN_T_PASS(crn_shamir_combine(b, sh, *nbu, t));
	for (uint32_t v = 1; v <= SPARSE_N; v++) {
		if (!x->in_h[v - 1])
			continue;
		c = tsa_revealed(
		    x->p.w, SPARSE_N, v, CRN_SA_SHARE_MASK_KEY, sh, 0, cap);
		if (c < t)
			goto out;
		CAIRN_T_PASS(crn_shamir_combine(sk[nh++], sh, c, t));
	}
	nh = h_seeds(x, (const uint8_t(*)[CRN_SHAMIR_SECRET_LEN])sk, h, seeds);
	won = tsa_unmask_input(
	    x->p.w, x->u, b, h, (const uint8_t(*)[CAIRN_SEED_LEN])seeds, nh);
out:
	crn_freezero(sh, cap * sizeof(*sh));
	crn_freezero(sk, SPARSE_N * sizeof(*sk));
	crn_freezero(seeds, SPARSE_N * sizeof(*seeds));
	return won;
}

/* With the secrets themselves (as if u and all of H were corrupt) the
 * same reconstruction unmasks x_u: an attack that fails, fails for want
 * of shares, not for a broken reconstruction. */
static void
nbsplit_control(const nbsplit *x)
{
	uint8_t(*sk)[CRN_SHAMIR_SECRET_LEN] = crn_alloc(SPARSE_N * sizeof(*sk));
	uint8_t(*seeds)[CAIRN_SEED_LEN] = crn_alloc(SPARSE_N * sizeof(*seeds));
	uint8_t b[CAIRN_SEED_LEN], bv[CAIRN_SEED_LEN];
	uint32_t h[SPARSE_N], nh = 0;
	crn_kx_keypair ch, mk;

	assert_true(sk && seeds);
	for (uint32_t v = 1; v <= SPARSE_N; v++)
		if (x->in_h[v - 1]) {
			tsa_corrupt_keys(
			    x->p.w, v, &x->p.ads[v - 1], &ch, &mk, bv);
			memcpy(sk[nh++], mk.sk, CRN_SHAMIR_SECRET_LEN);
		}
	tsa_corrupt_keys(x->p.w, x->u, &x->p.ads[x->u - 1], &ch, &mk, b);
	nh = h_seeds(x, (const uint8_t(*)[CRN_SHAMIR_SECRET_LEN])sk, h, seeds);
	assert_true(tsa_unmask_input(
	    x->p.w, x->u, b, h, (const uint8_t(*)[CAIRN_SEED_LEN])seeds, nh));
	cairn_memzero(&ch, sizeof(ch));
	cairn_memzero(&mk, sizeof(mk));
	crn_freezero(sk, SPARSE_N * sizeof(*sk));
	crn_freezero(seeds, SPARSE_N * sizeof(*seeds));
}

/*
 * Finding 1 of issue 8, against status agreement.  The coordinator
 * forwards to u only H's shares (u masks with H alone), shows u and H
 * the set {u} + H (H survived) and everyone else all but H (H dropped,
 * u survived).  u's closed neighbourhood holds t signers of its set, but
 * the far ends of H do not: u refuses before revealing anything; R,
 * whose neighbourhoods hold too few signers of their set, refuse too.
 * Nothing revealed rebuilds b_u, so y_u stays masked.  Under the
 * malicious policy (k = 20, t = 16 at n = 80) and under the semi-honest
 * one (k = 10, t = 6): with a node checking only its own neighbourhood's
 * signatures, as before status agreement, the semi-honest case gives the
 * coordinator x_u exactly.
 */
static void
split_schedule(uint8_t seed, bool malicious)
{
	nbsplit x;
	uint32_t idx[SPARSE_N], k = 0, revealed = 0, nbu = 0;

	nbsplit_setup(&x, seed, malicious);
	memcpy(x.group1, x.in_h, SPARSE_N * sizeof(bool));
	x.group1[x.u - 1] = true;
	for (uint32_t s = 1; s <= SPARSE_N; s++)
		if (x.group1[s - 1])
			idx[k++] = s;
	CAIRN_T_EQ(k, x.gp.threshold);
	tsa_set(&x.s1, idx, k);
	tsa_set_but(&x.s2, SPARSE_N, x.in_h);
	nbsplit_run(&x);
	CAIRN_T_FAIL(x.rv[x.u - 1], CAIRN_EAUTH);
	tsa_refused(x.p.w, x.u, "a neighbour's neighbours signed");
	for (uint32_t s = 1; s <= SPARSE_N; s++) {
		if (x.in_r[s - 1])
			CAIRN_T_FAIL(x.rv[s - 1], CAIRN_EAUTH);
		revealed += x.rv[s - 1] == CAIRN_OK;
	}
	assert_true(revealed > 0); /* far from u, nodes carry on */
	assert_false(nbsplit_loot(&x, &nbu));
	assert_true(nbu < x.gp.threshold);
	nbsplit_control(&x);
	nbsplit_free(&x);
}

static void
test_status_agreement_sparse_split(void **state)
{
	(void)state;
	split_schedule(0x50, true);
	split_schedule(0x52, false);
}

/*
 * The same forwarding, then one consistent story: H dropped.  u may not
 * name R as survivors (they never shared keys with it), so its set drops
 * every neighbour and only u signs it within its closed neighbourhood;
 * everyone else is told all but H.  u refuses (too few of its
 * neighbours signed), R refuse, and H, absent from the set shown to
 * them, refuse to sign it.  y_u stays masked.
 */
static void
test_status_agreement_sparse_isolated(void **state)
{
	nbsplit x;
	bool nbr[SPARSE_N];
	uint32_t nbu = 0;

	(void)state;
	nbsplit_setup(&x, 0x51, true);
	x.group1[x.u - 1] = true;
	for (uint32_t v = 0; v < SPARSE_N; v++)
		nbr[v] = x.in_h[v] || x.in_r[v];
	tsa_set_but(&x.s1, SPARSE_N, nbr);
	tsa_set_but(&x.s2, SPARSE_N, x.in_h);
	nbsplit_run(&x);
	CAIRN_T_FAIL(x.rv[x.u - 1], CAIRN_EAUTH);
	tsa_refused(x.p.w, x.u, "too few of our neighbours signed");
	for (uint32_t s = 1; s <= SPARSE_N; s++) {
		if (x.in_r[s - 1])
			CAIRN_T_FAIL(x.rv[s - 1], CAIRN_EAUTH);
		if (x.in_h[s - 1]) {
			CAIRN_T_FAIL(x.rv[s - 1], CAIRN_EPROTO);
			tsa_refused(x.p.w, s, "not us");
		}
	}
	assert_false(nbsplit_loot(&x, &nbu));
	assert_true(nbu < x.gp.threshold);
	nbsplit_free(&x);
}

/* ---- robust reconstruction ---------------------------------------------- */

#define MAXN 10

typedef struct liars {
	uint32_t about[MAXN + 1]; /* per slot: the owner it lies about */
	uint32_t drop;            /* a slot whose masked input is lost */
} liars;

/* Each liar shifts the share it reveals of its chosen owner by its own
 * slot number (equal shifts from two liars could cancel out in the
 * interpolation, as they do for shares 2 and 3 of 1..5). */
static crn_sa_verdict
lie(void *arg, uint32_t from, uint32_t to, uint32_t type, uint8_t **data,
    size_t *len)
{
	const liars *l = arg;
	crn_sa_unmask u;
	crn_shamir_share sh;

	(void)to;
	if (from != 0 && from == l->drop && type == CRN_SA_MSG_MASKED_INPUT)
		return CRN_SA_DROP;
	if (from == 0 || type != CRN_SA_MSG_UNMASK || l->about[from] == 0)
		return CRN_SA_PASS;
	CAIRN_T_PASS(crn_sa_unmask_decode(&u, *data, *len));
	for (uint32_t k = 0; k < u.count; k++) {
		if (u.v[k].owner != l->about[from])
			continue;
		CAIRN_T_PASS(crn_shamir_share_decode(&sh, u.v[k].share));
		sh.y[0] = sh.y[0] >= from ? sh.y[0] - from : sh.y[0] + from;
		crn_shamir_share_encode(u.v[k].share, &sh);
	}
	crn_free(*data, *len);
	CAIRN_T_PASS(crn_sa_unmask_encode(data, len, &u));
	crn_sa_unmask_fini(&u);
	return CRN_SA_PASS;
}

/* A session of n (t = floor(2n/3) + 1) with these liars, whose answers
 * reach the coordinator first (so their shares are among the first t it
 * tries); the number of liars it caught. */
static uint32_t
lying_session(uint32_t n, liars *l, crn_sa_world **out)
{
	crn_sa_world *w =
	    world_of(n, (2 * n) / 3 + 1, (uint8_t)(0x60 + n + l->drop), lie, l);

	tsa_start(w);
	tsa_until(w, CRN_SA_MSG_UNMASK_REQ);
	for (uint32_t s = 1; s <= n; s++)
		if (l->about[s] != 0)
			CAIRN_T_PASS(crn_sa_world_deliver(w, s));
	CAIRN_T_PASS(crn_sa_world_drain(w));
	*out = w;
	return crn_sa_coord_liars(crn_sa_world_coord(w));
}

/*
 * Lying revealers cannot end a session while t honest committed shares
 * of every secret remain: the reconstruction misses its commitment, each
 * share is checked against its dealer's commitment, the liars' are
 * dropped and counted, and the sum is exact.  One liar (n = 7), three
 * liars about three owners and two about one owner (n = 10), a lie
 * about a dropped node's mask key (n = 7).
 */
static void
test_robust_reconstruction(void **state)
{
	static const uint32_t in6[] = {1, 2, 3, 4, 5, 6};
	crn_sa_world *w;
	liars l;

	(void)state;
	memset(&l, 0, sizeof(l));
	l.about[2] = 1;
	CAIRN_T_EQ(lying_session(7, &l, &w), 1);
	tsa_check_sum_all(w, 7);
	crn_sa_world_free(w);
	l.about[3] = 5;
	l.about[4] = 6;
	CAIRN_T_EQ(lying_session(10, &l, &w), 3);
	tsa_check_sum_all(w, 10);
	crn_sa_world_free(w);
	memset(&l, 0, sizeof(l));
	l.about[2] = l.about[3] = 1;
	CAIRN_T_EQ(lying_session(10, &l, &w), 2);
	tsa_check_sum_all(w, 10);
	crn_sa_world_free(w);
	memset(&l, 0, sizeof(l));
	l.drop = 7;
	l.about[2] = 7;
	CAIRN_T_EQ(lying_session(7, &l, &w), 1);
	tsa_check_sum(w, in6, CRN_NELEM(in6));
	crn_sa_world_free(w);
}

/* Two liars about one owner at n = 7, t = 5: four committed honest
 * shares remain (the owner's own has no commitment), too few; the
 * session aborts with CAIRN_EAUTH and never outputs a sum. */
static void
test_robust_reconstruction_too_few(void **state)
{
	crn_sa_world *w;
	crn_sa_abort ab;
	liars l;
	size_t len;

	(void)state;
	memset(&l, 0, sizeof(l));
	l.about[2] = l.about[3] = 1;
	CAIRN_T_EQ(lying_session(7, &l, &w), 2);
	assert_null(crn_sa_world_sum(w, &len));
	assert_true(crn_sa_world_aborted(w, &ab));
	CAIRN_T_EQ(ab.code, CAIRN_EAUTH);
	assert_non_null(strstr(ab.reason, "too few honest shares"));
	crn_sa_world_free(w);
}

/* ---- max_nodes ---------------------------------------------------------- */

/* The job's ring width holds sums of at most max_nodes inputs: a roster
 * one larger is refused on sight (CAIRN_EPERM), before the node reveals
 * anything; at max_nodes it is accepted. */
static void
test_roster_above_max_nodes(void **state)
{
	(void)state;
	for (uint32_t max = N - 1; max <= N; max++) {
		tsa_opts o = {.n = N,
		    .t = T,
		    .max_nodes = max,
		    .coordinator = true,
		    .malicious = true,
		    .seed = (uint8_t)(0x70 + max)};
		crn_sa_world *w = tsa_world(&o);

		tsa_start(w);
		CAIRN_T_EQ(tsa_step(w), N);
		for (uint32_t s = 1; s <= N; s++) {
			if (max == N) {
				CAIRN_T_PASS(crn_sa_world_last_rv(w, s));
				continue;
			}
			CAIRN_T_FAIL(crn_sa_world_last_rv(w, s), CAIRN_EPERM);
			tsa_refused(w, s, "ring width");
			assert_false(tsa_sent(w, s, CRN_SA_MSG_SEED_REVEAL));
		}
		CAIRN_T_PASS(crn_sa_world_drain(w));
		if (max == N)
			tsa_check_sum_all(w, N);
		else
			assert_true(crn_sa_world_aborted(w, NULL));
		crn_sa_world_free(w);
	}
}

/* ---- threat policy ------------------------------------------------------ */

/* A session at threshold t on the complete graph, under either policy:
 * true when it ends with the exact sum; node 1's refusal otherwise. */
static bool
policy_session(uint32_t n, uint32_t t, bool malicious, cairn_err *rv)
{
	tsa_opts o = {.n = n,
	    .t = t,
	    .coordinator = true,
	    .malicious = malicious,
	    .seed = (uint8_t)(0x80 + n + t)};
	crn_sa_world *w = tsa_world(&o);
	size_t len;
	bool done;

	tsa_start(w);
	CAIRN_T_EQ(tsa_step(w), n); /* the roster */
	*rv = crn_sa_world_last_rv(w, 1);
	for (uint32_t s = 1; s <= n; s++)
		assert_true(tsa_sent(w, s, CRN_SA_MSG_SEED_REVEAL) ==
		    (*rv == CAIRN_OK));
	CAIRN_T_PASS(crn_sa_world_drain(w));
	done = crn_sa_world_sum(w, &len) != NULL;
	if (done)
		tsa_check_sum_all(w, n);
	crn_sa_world_free(w);
	return done;
}

/* The semi-honest threshold floor(n/2) + 1 on the complete graph lets a
 * coordinator and one colluder split the survivors (see
 * secagg_adversary_test): a malicious-policy node refuses it before it
 * reveals anything; a semi-honest node accepts it; the malicious
 * threshold floor(2n/3) + 1 is accepted by both. */
static void
test_threat_policy(void **state)
{
	static const uint32_t sizes[] = {5, 7, 9};
	cairn_err rv;

	(void)state;
	for (size_t i = 0; i < CRN_NELEM(sizes); i++) {
		uint32_t n = sizes[i], semi = n / 2 + 1, mal = (2 * n) / 3 + 1;

		assert_false(policy_session(n, semi, true, &rv));
		CAIRN_T_FAIL(rv, CAIRN_EPERM);
		assert_true(policy_session(n, semi, false, &rv));
		assert_true(policy_session(n, mal, true, &rv));
		assert_true(policy_session(n, mal, false, &rv));
	}
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_coordinator_alters_graph_seeds),
    cmocka_unit_test(test_reveal_withheld_aborts),
    cmocka_unit_test(test_reveal_withheld_filled_in),
    cmocka_unit_test(test_roster_split_shares),
    cmocka_unit_test(test_roster_split_signatures),
    cmocka_unit_test(test_status_agreement_sparse_split),
    cmocka_unit_test(test_status_agreement_sparse_isolated),
    cmocka_unit_test(test_robust_reconstruction),
    cmocka_unit_test(test_robust_reconstruction_too_few),
    cmocka_unit_test(test_roster_above_max_nodes),
    cmocka_unit_test(test_threat_policy),
};

CAIRN_TEST_MAIN(tests)
