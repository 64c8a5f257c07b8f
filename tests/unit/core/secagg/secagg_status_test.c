/* secagg_status_test.c — status agreement on the sparse graph (issue 8,
 * finding 1): a coordinator that tells a victim's neighbourhood and the
 * neighbourhoods of the victim's neighbours different stories about who
 * dropped, played against the real node machines of an 80-node sparse
 * world with each policy's own parameters, and what it could rebuild of
 * the victim's input from everything the nodes revealed.
 * CAIRN_TEST_TIMEOUT: 120 */
#include <stdlib.h>
#include <string.h>

#include "cairn_test.h"
#include "secagg_play.h"

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

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_status_agreement_sparse_split),
    cmocka_unit_test(test_status_agreement_sparse_isolated),
};

CAIRN_TEST_MAIN(tests)
