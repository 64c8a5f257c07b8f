/* secagg_rounds_test.c — chained sessions (docs/DESIGN.md "Later
 * rounds"): rounds 2.. of a job without a key agreement, against the real
 * machines on the one-process world.  Honest rounds with and without a
 * dropout, then the attacks: a coordinator that claims a node dropped in
 * round 2 after it survived round 1 (its round-1 b is known), a node
 * dropped in round 1 that tries to come back, and different survivor
 * views in a later round.  Complete graph of N nodes, malicious policy.
 * Each attack test fails on a machine without the check it attacks
 * (b reused across rounds; a node continuing from an unfinished round;
 * no signature check in later rounds): see the commit that added this
 * note for how that was checked.
 * CAIRN_TEST_TIMEOUT: 60 */
#include <string.h>

#include "cairn_test.h"
#include "secagg_play.h"

#define N 5
#define T 4 /* floor(2N/3) + 1 */

/* What the hook does: drop one node's masked input in one round (and
 * keep nothing else from it), rewrite one node's survivor set. */
typedef struct meddle {
	crn_sa_world *w;
	uint32_t drop_slot, drop_round;
	uint32_t split_slot, split_round; /* shown the set without drop */
	uint32_t split_out;
	uint32_t liar_slot, liar_round; /* alters its revealed round seeds */
} meddle;

static crn_sa_verdict
hook(void *arg, uint32_t from, uint32_t to, uint32_t type, uint8_t **data,
    size_t *len)
{
	meddle *m = arg;
	uint32_t round = m->w != NULL ? crn_sa_world_round(m->w) : 1;

	if (type == CRN_SA_MSG_MASKED_INPUT && from == m->drop_slot &&
	    round == m->drop_round)
		return CRN_SA_DROP;
	if (type == CRN_SA_MSG_CONSISTENCY_REQ && to == m->split_slot &&
	    round == m->split_round) {
		crn_sa_survivors s;
		bool skip[N] = {false};

		skip[m->split_out - 1] = true;
		tsa_set_but(&s, N, skip);
		crn_free(*data, *len);
		CAIRN_T_PASS(crn_sa_survivors_encode(data, len, &s));
		crn_sa_survivors_fini(&s);
	}
	if (type == CRN_SA_MSG_UNMASK && from == m->liar_slot &&
	    round == m->liar_round) {
		crn_sa_unmask u;

		CAIRN_T_PASS(crn_sa_unmask_decode(&u, *data, *len));
		for (uint32_t i = 0; i < u.count; i++)
			if (u.v[i].kind == CRN_SA_SHARE_ROUND_SEED)
				u.v[i].share[0] ^= 1;
		crn_free(*data, *len);
		CAIRN_T_PASS(crn_sa_unmask_encode(data, len, &u));
		crn_sa_unmask_fini(&u);
	}
	return CRN_SA_PASS;
}

static crn_sa_world *
world_of(uint8_t seed, meddle *m)
{
	tsa_opts o;
	crn_sa_world *w;

	memset(&o, 0, sizeof(o));
	o.n = N;
	o.t = T;
	o.minp = 3;
	o.coordinator = true;
	o.malicious = true;
	o.seed = seed;
	o.max_rounds = 4;
	o.hook = hook;
	o.hook_arg = m;
	w = tsa_world(&o);
	m->w = w;
	return w;
}

static void
rounds_honest(void **state)
{
	meddle m = {0};
	crn_sa_world *w = world_of(0x51, &m);
	crn_sa_node_stats st1, st2;

	(void)state;
	CAIRN_T_PASS(crn_sa_world_run(w));
	tsa_check_sum_all(w, N);
	crn_sa_node_get_stats(crn_sa_world_node(w, 1), &st1);
	for (uint32_t r = 2; r <= 4; r++) {
		CAIRN_T_PASS(crn_sa_world_run_next(w, r));
		assert_false(crn_sa_world_aborted(w, NULL));
		tsa_check_sum_all(w, N);
	}
	/* Later rounds made no key pair and agreed no key. */
	crn_sa_node_get_stats(crn_sa_world_node(w, 1), &st2);
	CAIRN_T_EQ(st2.x25519, st1.x25519);
	/* Rounds only go forward, and never past max_rounds. */
	CAIRN_T_EQ(crn_sa_world_next(w, 4), CAIRN_EINVAL);
	crn_sa_world_free(w);
}

static void
rounds_dropout(void **state)
{
	meddle m = {.drop_slot = 5, .drop_round = 2};
	crn_sa_world *w = world_of(0x52, &m);
	const uint32_t four[] = {1, 2, 3, 4};

	(void)state;
	CAIRN_T_PASS(crn_sa_world_run(w));
	tsa_check_sum_all(w, N);
	CAIRN_T_PASS(crn_sa_world_run_next(w, 2));
	tsa_check_sum(w, four, 4);
	/* Round 3: node 5 is out for good; the others go on. */
	assert_false(crn_sa_node_done(crn_sa_world_node(w, 5)));
	CAIRN_T_PASS(crn_sa_world_run_next(w, 3));
	tsa_check_sum(w, four, 4);
	crn_sa_world_free(w);
}

/*
 * Attack (a): node 5 survives round 1, so its round-1 b is revealed and
 * the coordinator keeps it.  In round 2 the coordinator drops 5's masked
 * input on purpose (keeping a copy) and so learns 5's round-2 pairwise
 * seeds from the survivors.  With b reused across rounds this opens
 * x_5 of round 2; with a fresh b per round it does not.
 */
static void
rounds_attack_claim_dropped(void **state)
{
	meddle m = {.drop_slot = 5, .drop_round = 2};
	crn_sa_world *w = world_of(0x53, &m);
	crn_shamir_share sh[N];
	uint8_t b1[CRN_SHAMIR_SECRET_LEN];
	uint8_t seeds[N][CAIRN_SEED_LEN];
	uint32_t nb[N], k = 0, cnt;

	(void)state;
	CAIRN_T_PASS(crn_sa_world_run(w));
	cnt = tsa_revealed(w, N, 5, CRN_SA_SHARE_SELF_MASK, sh, 0, N);
	assert_true(cnt >= T);
	CAIRN_T_PASS(crn_shamir_combine(b1, sh, cnt, T));
	tsa_check_sum_all(w, N);

	CAIRN_T_PASS(crn_sa_world_run_next(w, 2));
	{
		const uint32_t four[] = {1, 2, 3, 4};

		tsa_check_sum(w, four, 4);
	}
	for (uint32_t s = 1; s < 5; s++) {
		const crn_sa_wmsg *msg =
		    crn_sa_world_sent(w, s, CRN_SA_MSG_UNMASK);
		crn_sa_unmask u;

		assert_non_null(msg);
		CAIRN_T_PASS(crn_sa_unmask_decode(&u, msg->data, msg->len));
		for (uint32_t i = 0; i < u.count; i++) {
			/* Never a share of 5's mask key after round 1. */
			assert_int_not_equal(u.v[i].kind, CRN_SA_SHARE_MASK_KEY);
			if (u.v[i].owner == 5 &&
			    u.v[i].kind == CRN_SA_SHARE_ROUND_SEED) {
				nb[k] = s;
				memcpy(seeds[k++], u.v[i].share, CAIRN_SEED_LEN);
			}
		}
		crn_sa_unmask_fini(&u);
	}
	/* Every survivor revealed its round seed with 5: the coordinator
	 * holds y_5, every pairwise mask of 5, and round 1's b_5. */
	CAIRN_T_EQ(k, 4u);
	assert_false(tsa_unmask_input(
	    w, 5, b1, nb, (const uint8_t(*)[CAIRN_SEED_LEN])seeds, k));
	/* Nor does any share of 5's round-2 b leave a survivor. */
	CAIRN_T_EQ(tsa_revealed(w, 4, 5, CRN_SA_SHARE_SELF_MASK, sh, 0, N), 0u);
	cairn_memzero(b1, sizeof(b1));
	crn_sa_world_free(w);
}

/*
 * Attack (b): node 5 is made to drop in round 1 (its masked input lost),
 * so its mask key is revealed; it must not come back in round 2, neither
 * by its own machine nor by a coordinator naming it a survivor.
 */
static void
rounds_attack_rejoin(void **state)
{
	meddle m = {.drop_slot = 5, .drop_round = 1, .split_slot = 1,
	    .split_round = 2, .split_out = 4};
	crn_sa_world *w = world_of(0x54, &m);
	const uint32_t four[] = {1, 2, 3, 4};
	crn_sa_actions a;
	uint8_t sid[CAIRN_SESSION_ID_LEN];

	(void)state;
	CAIRN_T_PASS(crn_sa_world_run(w));
	tsa_check_sum(w, four, 4);
	assert_true(tsa_sent(w, 1, CRN_SA_MSG_UNMASK));
	/* 5's own machine never finished round 1: it cannot go on. */
	memset(sid, 7, sizeof(sid));
	crn_sa_actions_init(&a);
	CAIRN_T_EQ(crn_sa_node_next(crn_sa_world_node(w, 5), sid, 2, &a),
	    CAIRN_ESTATE);
	CAIRN_T_EQ(a.count, 0u);
	crn_sa_actions_fini(&a);
	/* A coordinator naming 5 a survivor of round 2 is refused: the
	 * hook shows node 1 the set {1, 2, 3, 5}. */
	CAIRN_T_PASS(crn_sa_world_next(w, 2));
	tsa_until(w, CRN_SA_MSG_CONSISTENCY_REQ);
	CAIRN_T_PASS(crn_sa_world_deliver(w, 1));
	CAIRN_T_EQ(crn_sa_world_last_rv(w, 1), CAIRN_EPROTO);
	tsa_refused(w, 1, "dropped in an earlier round");
	crn_sa_world_free(w);
}

/*
 * Attack (c): in round 2 node 1 is shown the survivor set without 5
 * while 2..4 see everyone.  Node 1 signs its set, but the signatures the
 * others made are over another set: it must not reveal its round seed
 * with 5 (which, with 5's b revealed by the others, would open x_5).
 */
static void
rounds_attack_split_view(void **state)
{
	meddle m = {.split_slot = 1, .split_round = 2, .split_out = 5};
	crn_sa_world *w = world_of(0x55, &m);

	(void)state;
	CAIRN_T_PASS(crn_sa_world_run(w));
	tsa_check_sum_all(w, N);
	CAIRN_T_PASS(crn_sa_world_next(w, 2));
	tsa_until(w, CRN_SA_MSG_UNMASK_REQ);
	{
		/* The dishonest coordinator hands node 1 its own set with
		 * every signature it has: node 1's over that set, and the
		 * others' over the set with 5 in it. */
		const crn_sa_wmsg *q = crn_sa_world_peek(w, 2);
		const crn_sa_wmsg *mine =
		    crn_sa_world_sent(w, 1, CRN_SA_MSG_CONSISTENCY_SIG);
		crn_sa_unmask_req rq;
		crn_sa_survivors s;
		bool skip[N] = {false};
		crn_sa_signed sig[N + 1];
		uint32_t k = 0;

		assert_non_null(q);
		assert_non_null(mine);
		CAIRN_T_PASS(crn_sa_unmask_req_decode(&rq, q->data, q->len));
		for (uint32_t i = 0; i < rq.nsigs && k < N; i++)
			if (rq.sigs[i].index != 1)
				sig[k++] = rq.sigs[i];
		crn_sa_unmask_req_fini(&rq);
		sig[k].index = 1;
		CAIRN_T_PASS(crn_sa_consig_decode(sig[k++].sig, mine->data,
		    mine->len));
		skip[4] = true;
		tsa_set_but(&s, N, skip);
		assert_int_not_equal(tsa_give_unmask(w, 1, &s, sig, k), CAIRN_OK);
		crn_sa_survivors_fini(&s);
	}
	tsa_refused(w, 1, "signed our survivor set");
	/* What node 1 last revealed is round 1's answer: no round seed. */
	{
		const crn_sa_wmsg *msg =
		    crn_sa_world_sent(w, 1, CRN_SA_MSG_UNMASK);
		crn_sa_unmask u;

		assert_non_null(msg);
		CAIRN_T_PASS(crn_sa_unmask_decode(&u, msg->data, msg->len));
		for (uint32_t i = 0; i < u.count; i++)
			assert_int_not_equal(
			    u.v[i].kind, CRN_SA_SHARE_ROUND_SEED);
		crn_sa_unmask_fini(&u);
	}
	crn_sa_world_free(w);
}

/* A survivor that reveals a false round seed is caught by its own
 * commitment: the round ends with a clear abort, not a wrong sum. */
static void
rounds_lying_seed(void **state)
{
	meddle m = {.drop_slot = 5, .drop_round = 2, .liar_slot = 2,
	    .liar_round = 2};
	crn_sa_world *w = world_of(0x56, &m);
	crn_sa_abort ab;
	size_t len = 0;

	(void)state;
	CAIRN_T_PASS(crn_sa_world_run(w));
	tsa_check_sum_all(w, N);
	CAIRN_T_PASS(crn_sa_world_run_next(w, 2));
	assert_null(crn_sa_world_sum(w, &len));
	assert_true(crn_sa_world_aborted(w, &ab));
	assert_non_null(strstr(ab.reason, "valid round seed"));
	CAIRN_T_EQ(crn_sa_coord_liars(crn_sa_world_coord(w)), 1u);
	crn_sa_world_free(w);
}

/* Round 2 with the Nth allocation failing, for every N until it
 * completes: clean errors or refusals, no crash, no leak (ASan), and a
 * completed round is exact. */
static void
rounds_oom(void **state)
{
	long k;
	unsigned failures = 0;

	(void)state;
	for (k = 0; k < 100000; k++) {
		meddle m = {0};
		crn_sa_world *w = world_of(0x57, &m);
		size_t len = 0;
		cairn_err rv;

		CAIRN_T_PASS(crn_sa_world_run(w));
		crn_alloc_fail_after(k);
		rv = crn_sa_world_run_next(w, 2);
		crn_alloc_fail_after(-1);
		if (rv == CAIRN_OK && crn_sa_world_sum(w, &len) != NULL) {
			tsa_check_sum_all(w, N);
			crn_sa_world_free(w);
			break;
		}
		assert_true(rv == CAIRN_ENOMEM || rv == CAIRN_OK);
		failures++;
		crn_sa_world_free(w);
	}
	assert_true(k < 100000);
	assert_true(failures > 10);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(rounds_lying_seed),
    cmocka_unit_test(rounds_oom),
    cmocka_unit_test(rounds_honest),
    cmocka_unit_test(rounds_dropout),
    cmocka_unit_test(rounds_attack_claim_dropped),
    cmocka_unit_test(rounds_attack_rejoin),
    cmocka_unit_test(rounds_attack_split_view),
};

CAIRN_TEST_MAIN(tests)
