/* secagg_attack_test.c — one test per check the hardened protocol added
 * (issue 8), each named for what it attacks and played against the real
 * node and coordinator machines on the one-process world:
 *   - a coordinator that alters the graph seeds after seeing the reveals,
 *     or withholds one node's reveal;
 *   - two nodes shown rosters that differ in one entry;
 *   - lying revealers against robust reconstruction;
 *   - a roster above a node's max_nodes;
 *   - the semi-honest threshold shown to a malicious-policy node.
 * Status agreement on the sparse graph is in secagg_status_test.c.
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
			    how == WITHHOLD_ONE ? "graph seeds for another roster"
			                        : "does not match its commitment");
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
    cmocka_unit_test(test_robust_reconstruction),
    cmocka_unit_test(test_robust_reconstruction_too_few),
    cmocka_unit_test(test_roster_above_max_nodes),
    cmocka_unit_test(test_threat_policy),
};

CAIRN_TEST_MAIN(tests)
