/*
 * secagg_attack_test.c — issue 8, findings 1 and 2 and the lesser findings
 * on graph bounds, seed grinding and single-share aborts, replayed against
 * the real node state machines (core/secagg_node.c) of the hardened
 * protocol.  The malicious coordinator is written here: it runs real
 * crn_sa_node machines configured as the node daemon configures them,
 * relays their messages itself and decides what each node is shown.  It
 * plays every round the nodes expect with genuine messages (roster and
 * its digest, graph-seed reveals, the GraphSeeds of every revealed
 * contribution, shares, masked inputs, consistency, unmask); the only
 * lies are the schedule's: whose shares reach whom, and which survivor
 * set each node is shown.  Colluding nodes run their real machines up to
 * the masked input; beyond that the adversary holds their identity keys
 * (it signs any set for them) and every share addressed to them (it
 * decrypts their boxes), whatever their machines would check.  The tests
 * with the real coordinator use core/secagg_world.h.
 *
 * CAIRN_TEST_TIMEOUT: 120
 *
 * STATUS.  Every attack case asserts the safe outcome (the adversary does
 * not end up with the victim's input) and, where nodes refuse, that they
 * refuse for the reason the attack targets.  All pass on this protocol.
 * On the protocol before commit da20a48 findings 1 and 2 and the malicious
 * variants recovered the victim's input exactly (the first version of this
 * file, commit 4841897).  Against a copy of this protocol whose nodes
 * check status agreement only in their own closed neighbourhood, S1 below
 * recovers x_u exactly again at n = 100 and 300 (semi-honest nodes) and
 * at n = 100 with 12 colluders (malicious nodes), so the check that stops
 * finding 1 is the one these tests fail without; with the graph-seed
 * commitments unchecked, the seed tampering tests fail.  The
 * test_control_* cases assert recovery: the reconstruction finds an input
 * whenever the material determines it, and each bound is tight (one
 * colluder more than the parameters tolerate breaks the victim).
 *
 * DIM is 128 elements: with 8 the node's in-place masked frame puts the
 * vector at an odd offset and crypto/prg.c's 64-bit loads trip UBSan
 * (known, reported with prg_test); 128 makes the frame header 8 bytes.
 *
 * NOTATION.  n nodes on the roster in identity order, ring degree k (k =
 * n - 1 for the complete graph), m = k/2, threshold t, victim u, N(u) its
 * neighbours, N[u] = N(u) + u, "offset" = signed ring distance from u, c
 * = colluders in N(u).  y_u = x_u + PRG(b_u) + sum_{v in M, v < u}
 * PRG(s_uv) - sum_{v in M, v > u} PRG(s_uv), with M = M_u the neighbours
 * whose shares reached u (the node masks with exactly those and refuses to
 * mask with fewer than t - 1) and s_uv = KDF(X25519(sk_u, pk_v)).  The
 * adversary has x_u exactly when it holds b_u and, for each v in M_u,
 * sk_u or sk_v; any linear combination of masked inputs needs the same
 * (PRG(b_u) appears in y_u alone), so recover() is the general test.
 *
 * WHAT A NODE CHECKS NOW before it reveals anything about w, for w itself
 * and every w in its M: t valid signatures, over its survivor set S and
 * the roster digest, from members of S in N[w] ("status agreement").
 * Each honest node signs one set, so two sets gather t signatures in one
 * N[w] only if 2t - k - 1 members of N[w] collude.  It also refuses
 * parameters above its policy's security bound and a GraphSeeds message
 * that does not match every commitment in the roster.
 *
 * WHY THE ATTACKS FAIL.  Suppose no N[x] holds 2t - k - 1 colluders, so
 * every N[x] agrees on at most one set.  The adversary needs t shares of
 * b_u: c from colluders, the rest from honest holders h in N[u] whose set
 * contains u.  (a) An honest h != u that reveals a b_u share cannot be in
 * M_u: the mask s_uh needs sk_h (N[h] would have to agree on a set
 * without h, but h's own check made it agree on one with h) or sk_u (N[u]
 * agreed on a set with u).  (b) If u itself reveals, it checked N[w] for
 * every w in M_u, so no honest w in M_u may be in its set; u signed only
 * if every neighbour in its set is in M_u; so its set holds no honest
 * neighbour and N[u] shows at most 1 + c signers: c >= t - 1.  (c) Else
 * the honest revealers sit in N(u) outside M_u and the colluders; |M_u| >=
 * t - 1, so at most k - t + 1 of them exist (M_u taking every colluder),
 * and (k - t + 1) + c >= t needs c >= 2t - k - 1.  So a victim falls only
 * when c >= 2t - k - 1, the event the malicious policy's bound
 * (crn_graph_security) prices; below it every schedule fails however the
 * coordinator splits the sets, places colluders among the victim's
 * neighbours' neighbours, or shifts which neighbours are "dropped" in
 * which neighbourhood.  The semi-honest rule t = m + 1 makes 2t - k - 1 =
 * 1: a lone coordinator fails, one colluding neighbour suffices.
 *
 * SCHEDULES (what the coordinator tells each node).  Players are the
 * nodes within 3m (S1, S1b) or 4m (S2, S3) ring positions of u, whose
 * checks matter; the next m only share keys; the rest get the roster and
 * reveal their contribution, which every graph needs, then "drop".  A
 * player gets a share when its sender is in the player's set (it would
 * not sign otherwise), and otherwise only when the sender's closed
 * neighbourhood will show t signers of that set, so that no honest node
 * holds a share that makes it refuse: the forwarding that helps the
 * adversary most.
 *  S1  split neighbourhood (finding 1's schedule): H = t - 1 neighbours
 *      of u (colluders first, then the ring ends, alternating); u gets
 *      only H's shares; u and H are shown S_A = u + H + far padding,
 *      everyone else S_B = all but H's honest members.
 *  S1b victim satisfied: as S1 but S_A is every player outside R = N(u)
 *      \ H, so every neighbourhood u checks shows t signers and u
 *      reveals; the colluders sit among u's neighbours' neighbours around
 *      H's ends, where they count for the neighbourhoods of H; the sk of
 *      H's members must come from R and the colluders (S_B).
 *  S2  silent victim: u is never asked to sign; M_u = the colluders in
 *      N(u) plus t - 1 - c honest neighbours D that "drop" after sharing
 *      keys; the other neighbours R survive with u, reveal b_u, and the
 *      sk of D as honest dropout handling would.  Needs c >= 2t - k - 1.
 *  S3  two worlds: u silent; W = the t - 1 - c honest members of M_u at
 *      the far + end survive in world A (u, R on the - side, everything
 *      left of u) and have "dropped" in world B (everything right of u's
 *      window): A reveals b_u, B would reveal the sk of W.
 *  S4  split survivors on the complete graph (finding 2): u and t - 1 - c
 *      honest nodes are shown S_A = all, the other honest nodes S_B = all
 *      minus u; colluders sign both.
 *
 * OUTCOMES on this code (each case prints a line; figures below):
 *  - Finding 1 at the coordinator's old semi-honest (k, t) = (12, 7) for
 *    n = 100 (min_participants 3 and 50) and (28, 15) for n = 300
 *    (min_participants 50): nodes on the malicious policy (the daemon's
 *    default) refuse the roster (EPERM, "graph degree or threshold below
 *    our policy"): no contribution, graph, share or input ever exists.
 *    Nodes on the semi-honest policy accept it, but check status
 *    agreement all the same: in S1 u refuses the unmask (EAUTH, "too few
 *    of a neighbour's neighbours signed our survivor set") and so do u's
 *    other neighbours, in S2 (n = 100) R refuses; no share of b_u leaves
 *    an honest node.
 *  - Finding 2 (n = 5, 7, 9, one colluder, malicious nodes): the old t =
 *    floor(n/2) + 1 is refused at the roster; at t = floor(2n/3) + 1 the
 *    S_B side of S4 cannot show t signers and refuses (EAUTH, "too few of
 *    our neighbours signed"), so sk_u never leaves; S2 ends short of b_u.
 *  - The malicious parameters' own limits: complete graph with 2t - n - 1
 *    colluders (n = 7, 10; S4, S2), and n = 100 at (k, t) = (24, 19) with
 *    2t - k - 2 = 12 colluders (S1: u refuses; S1b: u and H reveal b_u,
 *    but R and the colluders cannot show t signers of S_B around H and
 *    refuse, so no sk of H; S2: R refuses, 12 shares of b_u; S3: R passes
 *    every check and the adversary ends with 18 of 19 shares of b_u).
 *    x_u stays hidden every time.  With one colluder more, S2 (n = 100:
 *    13; n = 300: 31) and S4, S2 on the complete graph recover x_u.
 *  - Grinding: over 40 rosters the neighbourhood the coordinator predicts
 *    for its favourite victim is never the one in the graph the nodes
 *    build, whose corrupt-neighbour count is what chance gives (mean
 *    1.25, k * 5/99 = 1.21); holding every reveal but one, it grinds the
 *    last contribution to a graph with all 5 corrupt nodes around one
 *    honest node, and every node refuses those seeds (EPROTO, "a graph
 *    seed does not match its commitment"), as it refuses any changed,
 *    swapped, missing or extra contribution; the real coordinator aborts
 *    when a reveal is withheld.
 *  - One bad revealed share (and a node lying about all six shares it
 *    reveals): the real coordinator releases the exact sum and counts
 *    each lie about a neighbour's share (crn_sa_coord_liars 1 and 6).
 *  CAIRN_ATTACK_LARGE=1 adds finding 1 at n = 1000 (k = 36, t = 19,
 *  min_participants 50; S1 and the malicious roster refusal) and S2 at n
 *  = 300 at (62, 47) with 30 and 31 colluders.
 *
 * STILL WEAK (no single-input attack found; for the lead):
 *  - Grinding is gone within a session, but a coordinator that sees an
 *    unfavourable graph can abort and start a new session: each restart
 *    is a fresh draw of the same 2^-40-bounded event, and nodes do not
 *    count restarts.
 *  - min_participants is checked on the roster and on the survivor set's
 *    size; a node verifies only members near it, so the coordinator can
 *    pad a set with far nodes that never sent an input (S1 does): the
 *    released sum may mix fewer inputs than min_participants says.
 *  - These tests measure single inputs only.  With 2t - k - 2 colluders
 *    adversarially placed (beyond the policy's random-placement
 *    assumption) the coordinator may still learn sums of small arcs of
 *    honest nodes (graph.c's connectivity argument covers random
 *    placement).
 */
#define _POSIX_C_SOURCE 200809L

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cairn_test.h"
#include "proto/codec_secagg.h"
#include "crypto/prg.h"
#include "crypto/shamir.h"
#include "secagg/graph.h"
#include "secagg/secagg.h"
#include "secagg/world.h"

#define DIM  128
#define RING 64

/* What a node is shown.  OUT: the roster only (it reveals its graph-seed
 * contribution, then "drops"); SHARE: also the graph seeds (its shares
 * exist, then it drops); MASK: also its neighbours' shares (it sends its
 * masked input, then falls silent); A, B: the two survivor sets. */
enum { ST_OUT = 0, ST_SHARE = 1, ST_MASK = 2, ST_A = 3, ST_B = 4 };
#define SETOF(s) ((s)-ST_A)
#define NTYPES   (CRN_SA_MSG_LAST - CRN_SA_MSG_FIRST + 1)

typedef struct msg {
	uint32_t type;
	uint8_t *data;
	size_t len;
} msg;

/* A node machine's first refusal. */
typedef struct refusal {
	uint32_t type; /* the message it refused, 0 while none */
	cairn_err code;
	char reason[CRN_SA_REASON_LEN];
} refusal;

typedef struct party {
	crn_identity *id;
	uint8_t pk[CAIRN_SIGN_PK_LEN];
	uint8_t cert[CRN_SA_SIMCERT_LEN];
	uint8_t seed[CAIRN_SEED_LEN];
	uint64_t in[DIM];
	crn_sa_node *node;        /* its machine */
	msg adv;                  /* its AdvertiseKeys ... */
	crn_sa_advertise ad;      /* ... decoded */
	uint8_t r[CAIRN_KEY_LEN]; /* its revealed graph-seed contribution */
	bool has_r;
	crn_sa_masked y;               /* its masked input */
	uint8_t sig[2][CAIRN_SIG_LEN]; /* its signature over S_A, S_B */
	bool has_sig[2];
	refusal ref;
} party;

typedef struct arena_cfg {
	uint32_t nadv;       /* nodes that advertise */
	bool malicious;      /* the nodes' policy ... */
	double corrupt_frac; /* ... (0 means 0.05) */
	uint32_t min_part;
	/* Degree and threshold by crn_graph_choose_ex(..., malicious =
	 * mal_params) with the nodes' fractions. */
	bool mal_params;
	uint8_t tag; /* varies every key and seed */
} arena_cfg;

typedef struct arena {
	arena_cfg cfg;
	uint32_t n, k, t; /* seated nodes, neighbours of each, threshold */
	uint8_t sid[CAIRN_SESSION_ID_LEN];
	crn_identity *auth;
	uint8_t auth_pk[CAIRN_SIGN_PK_LEN];
	party *all;   /* cfg.nadv advertisers, in identity order */
	party **seat; /* roster index - 1 -> party */
	crn_sa_roster roster;
	uint8_t digest[CAIRN_KEY_LEN];
	msg rmsg; /* the encoded roster */
	msg smsg; /* the encoded graph seeds, once all are revealed */
	crn_graph *g;
	uint32_t *nbuf;         /* scratch: k + 1 indices */
	crn_sa_encshare *box;   /* n x k shares, by recipient */
	uint32_t *nbox;         /* per recipient */
	crn_shamir_share *pool; /* 2 x n x (k + 1) revealed shares */
	uint32_t *npool;        /* per kind and owner */
	bool *mset;             /* the senders whose shares u got */
	uint32_t nref[NTYPES];  /* machine refusals, per message type */
	double t0;              /* when the arena was made (for the report) */
} arena;

typedef struct plan {
	uint32_t n, u;
	uint8_t *story; /* per roster index - 1 */
	bool *coll;     /* colluders: the adversary holds their secrets */
	bool *to_u;     /* whose shares are forwarded to u */
	crn_sa_survivors set[2]; /* S_A, S_B */
	bool *mem[2];            /* ... as membership, per roster index - 1 */
	uint32_t *nsig[2];       /* signers of each set expected in each N[i] */
	uint32_t reach;          /* players sit within reach * m of u */
} plan;

/* What the adversary ended with. */
typedef struct outcome {
	bool hit;                    /* x_u recovered exactly */
	cairn_err rv;                /* what stopped the reconstruction */
	uint32_t bshares;            /* shares of b_u held */
	uint32_t masks, masks_known; /* u's pairwise masks, strippable */
} outcome;

/* Seconds on a monotonic clock: the test reports how long a case took. */
static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static party *
P(arena *a, uint32_t idx)
{
	return a->seat[idx - 1];
}

/* ---- messages and machines ---------------------------------------------- */

static void
msg_fini(msg *m)
{
	crn_free(m->data, m->len);
	memset(m, 0, sizeof(*m));
}

/* Keep the first message a machine sends (ABORT included) in *m. */
static void
msg_take(msg *m, crn_sa_actions *acts)
{
	msg_fini(m);
	for (size_t i = 0; i < acts->count; i++) {
		crn_sa_action *x = &acts->v[i];

		if (x->kind != CRN_SA_ACT_SEND)
			continue;
		m->type = x->type;
		m->data = x->data;
		m->len = x->len;
		x->data = NULL;
		x->len = 0;
		return;
	}
}

/* One message to machine m; its answer in *reply, and on a refusal the
 * code and the reason of its abort in *ref (when not NULL). */
static cairn_err
node_try(crn_sa_node *m, const msg *in, msg *reply, refusal *ref)
{
	crn_sa_actions acts;
	cairn_err rv;

	crn_sa_actions_init(&acts);
	rv = crn_sa_node_recv(m, in->type, in->data, in->len, &acts);
	if (rv != CAIRN_OK && ref != NULL) {
		ref->type = in->type;
		ref->code = rv;
		snprintf(ref->reason, sizeof(ref->reason), "(no abort)");
		for (size_t i = 0; i < acts.count; i++)
			if (acts.v[i].kind == CRN_SA_ACT_ABORT)
				memcpy(ref->reason, acts.v[i].abort.reason,
				    sizeof(ref->reason));
	}
	msg_take(reply, &acts);
	crn_sa_actions_fini(&acts);
	return rv;
}

/* One message to p's machine; its answer in *reply.  Refusals are
 * recorded (p's first, and a count per message type), not asserted:
 * they are the outcome the tests look for. */
static cairn_err
feed(arena *a, party *p, const msg *in, msg *reply)
{
	refusal ref;
	cairn_err rv = node_try(p->node, in, reply, &ref);

	if (rv != CAIRN_OK) {
		a->nref[in->type - CRN_SA_MSG_FIRST]++;
		if (p->ref.type == 0)
			p->ref = ref;
	}
	return rv;
}

/* A machine for p configured as the node daemon configures one
 * (nodes/node/node.c: the fractions at their defaults unless the arena
 * says otherwise), started. */
static cairn_err
party_start(arena *a, party *p, crn_sa_node **out, msg *adv)
{
	crn_sa_node_cfg nc;
	crn_sa_actions acts;
	cairn_err rv;

	memset(&nc, 0, sizeof(nc));
	nc.id = p->id;
	memcpy(nc.seed, p->seed, sizeof(nc.seed));
	memcpy(nc.session_id, a->sid, sizeof(nc.session_id));
	nc.ring_bits = RING;
	nc.dim = DIM;
	nc.min_participants = a->cfg.min_part;
	nc.cert = p->cert;
	nc.cert_len = sizeof(p->cert);
	nc.verify_peer = crn_sa_simcert_verify;
	nc.verify_arg = a->auth_pk;
	nc.corrupt_frac = a->cfg.corrupt_frac;
	nc.malicious = a->cfg.malicious;
	rv = crn_sa_node_new(out, &nc);
	cairn_memzero(nc.seed, sizeof(nc.seed));
	if (rv != CAIRN_OK)
		return rv;
	crn_sa_node_set_input(*out, p->in);
	crn_sa_actions_init(&acts);
	rv = crn_sa_node_start(*out, &acts);
	msg_take(adv, &acts);
	crn_sa_actions_fini(&acts);
	return rv;
}

/* ---- the arena: advertisers, roster, reveals, graph --------------------- */

static int
party_cmp(const void *x, const void *y)
{
	return memcmp(
	    ((const party *)x)->pk, ((const party *)y)->pk, CAIRN_SIGN_PK_LEN);
}

static void
party_init(arena *a, party *p, uint32_t i)
{
	uint8_t s[CAIRN_SEED_LEN];

	memset(s, 0, sizeof(s));
	memcpy(s, &i, sizeof(i));
	s[4] = a->cfg.tag;
	s[5] = 0x1d;
	CAIRN_T_PASS(crn_identity_from_seed(&p->id, s));
	crn_identity_public(p->id, p->pk);
	s[5] = 0x5e;
	memcpy(p->seed, s, sizeof(s));
	for (uint32_t j = 0; j < DIM; j++)
		p->in[j] = (uint64_t)(i + 1) * 1000003u + a->cfg.tag +
		    (uint64_t)j * 0x9e3779b97f4a7c15ull;
}

static void
arena_new(arena *a, const arena_cfg *cfg)
{
	uint8_t s[CAIRN_SEED_LEN];

	memset(a, 0, sizeof(*a));
	a->t0 = now_s();
	a->cfg = *cfg;
	memset(a->sid, 0x40 ^ cfg->tag, sizeof(a->sid));
	memset(s, 0xa7, sizeof(s));
	s[0] = cfg->tag;
	CAIRN_T_PASS(crn_identity_from_seed(&a->auth, s));
	crn_identity_public(a->auth, a->auth_pk);
	a->all = crn_zalloc(cfg->nadv * sizeof(*a->all));
	a->seat = crn_zalloc(cfg->nadv * sizeof(*a->seat));
	assert_non_null(a->all);
	assert_non_null(a->seat);
	for (uint32_t i = 0; i < cfg->nadv; i++)
		party_init(a, &a->all[i], i);
	/* Identity order, as rosters are; machines borrow p->cert, so they
	 * are made once the parties stop moving. */
	qsort(a->all, cfg->nadv, sizeof(*a->all), party_cmp);
	for (uint32_t i = 0; i < cfg->nadv; i++) {
		party *p = &a->all[i];

		CAIRN_T_PASS(crn_sa_simcert_issue(p->cert, a->auth, p->pk));
		CAIRN_T_PASS(party_start(a, p, &p->node, &p->adv));
		CAIRN_T_EQ(p->adv.type, CRN_SA_MSG_ADVERTISE);
		CAIRN_T_PASS(
		    crn_sa_advertise_decode(&p->ad, p->adv.data, p->adv.len));
	}
}

static void
arena_unseat(arena *a)
{
	size_t nk = (size_t)a->n * a->k;

	crn_sa_roster_fini(&a->roster);
	msg_fini(&a->rmsg);
	msg_fini(&a->smsg);
	crn_graph_free(a->g);
	a->g = NULL;
	crn_free(a->nbuf, ((size_t)a->k + 1) * sizeof(*a->nbuf));
	crn_free(a->box, nk * sizeof(*a->box));
	crn_free(a->nbox, (size_t)a->n * sizeof(*a->nbox));
	crn_free(a->pool, 2 * (nk + a->n) * sizeof(*a->pool));
	crn_free(a->npool, 2 * (size_t)a->n * sizeof(*a->npool));
	crn_free(a->mset, (size_t)a->n * sizeof(*a->mset));
	a->nbuf = a->nbox = a->npool = NULL;
	a->box = NULL;
	a->pool = NULL;
	a->mset = NULL;
}

static void
arena_fini(arena *a)
{
	arena_unseat(a);
	for (uint32_t i = 0; i < a->cfg.nadv; i++) {
		party *p = &a->all[i];

		crn_sa_node_free(p->node);
		crn_identity_free(p->id);
		msg_fini(&p->adv);
		crn_sa_advertise_fini(&p->ad);
		crn_sa_masked_fini(&p->y);
	}
	crn_free(a->all, a->cfg.nadv * sizeof(*a->all));
	crn_free(a->seat, a->cfg.nadv * sizeof(*a->seat));
	crn_identity_free(a->auth);
}

/* Degree and threshold by the rule the arena names (the coordinator used
 * to pick crn_graph_choose's semi-honest ones; with n below 61 that is
 * the complete graph with t = floor(n/2) + 1, or floor(2n/3) + 1 by the
 * malicious rule). */
static void
arena_params(arena *a)
{
	crn_graph_params gp;
	double cf = a->cfg.corrupt_frac > 0 ? a->cfg.corrupt_frac : 0.05;

	CAIRN_T_PASS(
	    crn_graph_choose_ex(&gp, a->n, cf, 0.05, 1, a->cfg.mal_params));
	a->t = gp.threshold;
	a->k = gp.degree >= a->n - 1 ? a->n - 1 : gp.degree;
	memcpy(a->roster.params.session_id, a->sid, CAIRN_SESSION_ID_LEN);
	a->roster.params.threshold = a->t;
	a->roster.params.ring_bits = RING;
	a->roster.params.dim = DIM;
	a->roster.params.degree = a->k == a->n - 1 ? 0 : a->k;
}

/* Close the roster: every advertiser not excluded, in identity order,
 * with its digest (as crn_sa_coord).  Nothing is sent yet. */
static void
arena_seat(arena *a, const bool *excl)
{
	arena_unseat(a);
	a->n = 0;
	for (uint32_t i = 0; i < a->cfg.nadv; i++)
		if (excl == NULL || !excl[i])
			a->seat[a->n++] = &a->all[i];
	a->roster.parts = crn_alloc(a->n * sizeof(*a->roster.parts));
	assert_non_null(a->roster.parts);
	for (uint32_t i = 0; i < a->n; i++)
		a->roster.parts[i] = a->seat[i]->ad;
	a->roster.n = a->n;
	arena_params(a);
	CAIRN_T_PASS(crn_sa_roster_digest(a->digest, &a->roster));
	CAIRN_T_PASS(
	    crn_sa_roster_encode(&a->rmsg.data, &a->rmsg.len, &a->roster));
	a->rmsg.type = CRN_SA_MSG_ROSTER;
}

/* Round 1: the roster to every seated node; their reveals.  Returns how
 * many revealed. */
static uint32_t
arena_reveal(arena *a)
{
	uint32_t got = 0;

	for (uint32_t i = 1; i <= a->n; i++) {
		party *p = P(a, i);
		msg r = {0, NULL, 0};

		if (feed(a, p, &a->rmsg, &r) == CAIRN_OK &&
		    r.type == CRN_SA_MSG_SEED_REVEAL &&
		    crn_sa_reveal_decode(p->r, r.data, r.len) == CAIRN_OK) {
			p->has_r = true;
			got++;
		}
		msg_fini(&r);
	}
	return got;
}

/* The seeds message and graph seed from given contributions (n of
 * them, in roster order). */
static void
seeds_make(arena *a, const uint8_t (*r)[CAIRN_KEY_LEN], uint32_t n, msg *m,
    uint8_t gseed[32])
{
	crn_sa_seeds sd;

	sd.n = n;
	sd.r = crn_alloc((size_t)n * sizeof(*sd.r));
	assert_non_null(sd.r);
	memcpy(sd.r, r, (size_t)n * sizeof(*sd.r));
	msg_fini(m);
	CAIRN_T_PASS(crn_sa_seeds_encode(&m->data, &m->len, &sd));
	m->type = CRN_SA_MSG_GRAPH_SEEDS;
	if (gseed != NULL)
		CAIRN_T_PASS(crn_sa_graph_seed(gseed, a->sid, a->digest, &sd));
	crn_sa_seeds_fini(&sd);
}

/* Every seated node's revealed contribution, in roster order. */
static uint8_t (*arena_contribs(arena *a))[CAIRN_KEY_LEN]
{
	uint8_t(*r)[CAIRN_KEY_LEN] = crn_alloc((size_t)a->n * sizeof(*r));

	assert_non_null(r);
	for (uint32_t i = 1; i <= a->n; i++) {
		assert_true(P(a, i)->has_r);
		memcpy(r[i - 1], P(a, i)->r, CAIRN_KEY_LEN);
	}
	return r;
}

/* With every contribution in: the seeds message and the graph the nodes
 * will build from it. */
static void
arena_graph(arena *a)
{
	uint8_t(*r)[CAIRN_KEY_LEN] = arena_contribs(a);
	uint8_t gseed[32];
	size_t nk = (size_t)a->n * a->k;

	seeds_make(
	    a, (const uint8_t(*)[CAIRN_KEY_LEN])r, a->n, &a->smsg, gseed);
	crn_free(r, (size_t)a->n * sizeof(*r));
	CAIRN_T_PASS(
	    crn_graph_new(&a->g, gseed, a->n, a->roster.params.degree));
	a->nbuf = crn_alloc(((size_t)a->k + 1) * sizeof(*a->nbuf));
	a->box = crn_alloc(nk * sizeof(*a->box));
	a->nbox = crn_zalloc((size_t)a->n * sizeof(*a->nbox));
	a->pool = crn_alloc(2 * (nk + a->n) * sizeof(*a->pool));
	a->npool = crn_zalloc(2 * (size_t)a->n * sizeof(*a->npool));
	a->mset = crn_zalloc((size_t)a->n * sizeof(*a->mset));
	assert_true(
	    a->nbuf && a->box && a->nbox && a->pool && a->npool && a->mset);
}

/* Seat everyone, run the roster and reveal rounds; the graph when every
 * node revealed.  Returns how many revealed. */
static uint32_t
arena_open(arena *a)
{
	uint32_t got;

	arena_seat(a, NULL);
	got = arena_reveal(a);
	if (got == a->n)
		arena_graph(a);
	return got;
}

/* ---- ring geometry ------------------------------------------------------ */

/* Signed ring offset of v from u, in (-n/2, n/2]. */
static int32_t
ring_off(const arena *a, uint32_t u, uint32_t v)
{
	int64_t d = (int64_t)crn_graph_position(a->g, v) -
	    (int64_t)crn_graph_position(a->g, u);

	if (d > (int64_t)a->n / 2)
		d -= a->n;
	if (d <= -(int64_t)a->n / 2)
		d += a->n;
	return (int32_t)d;
}

static uint32_t
ring_dist(const arena *a, uint32_t u, uint32_t v)
{
	int32_t d;

	if (a->k == a->n - 1)
		return u == v ? 0 : 1;
	d = ring_off(a, u, v);
	return (uint32_t)(d < 0 ? -d : d);
}

/* i and its neighbours into a->nbuf; returns how many. */
static size_t
closed_nb(arena *a, uint32_t i)
{
	size_t cnt = 0;

	CAIRN_T_PASS(crn_graph_neighbours_of(a->g, i, a->nbuf, a->k, &cnt));
	a->nbuf[cnt] = i;
	return cnt + 1;
}

/* u's neighbours sorted by distance from u, farthest first; at equal
 * distance the positive side first, so that the order alternates ends:
 * +m, -m, +(m-1), -(m-1), ...  Returns the count (k). */
static size_t
nb_far_first(arena *a, uint32_t u, uint32_t *out)
{
	size_t cnt = closed_nb(a, u) - 1;

	memcpy(out, a->nbuf, cnt * sizeof(*out));
	for (size_t i = 1; i < cnt; i++) {
		for (size_t j = i; j > 0; j--) {
			int32_t x = ring_off(a, u, out[j - 1]);
			int32_t y = ring_off(a, u, out[j]);
			int64_t kx = 2 * (int64_t)(x < 0 ? -x : x) + (x > 0);
			int64_t ky = 2 * (int64_t)(y < 0 ? -y : y) + (y > 0);
			uint32_t tmp;

			if (kx >= ky)
				break;
			tmp = out[j - 1];
			out[j - 1] = out[j];
			out[j] = tmp;
		}
	}
	return cnt;
}

/* Colluders: the c neighbours of u nearest to it, alternating sides. */
static bool *
inner_colluders(arena *a, uint32_t u, uint32_t c)
{
	bool *coll = crn_zalloc(a->n * sizeof(bool));
	uint32_t *nb = crn_alloc(a->k * sizeof(*nb));
	size_t cnt;

	assert_true(coll && nb);
	cnt = nb_far_first(a, u, nb);
	for (size_t i = 0; i < c && i < cnt; i++)
		coll[nb[cnt - 1 - i] - 1] = true;
	crn_free(nb, a->k * sizeof(*nb));
	return coll;
}

/* Colluders among u's neighbours' neighbours: the c nodes just outside
 * u's ring window, alternating sides (offsets +(m+1), -(m+1), ...). */
static bool *
outer_colluders(arena *a, uint32_t u, uint32_t c)
{
	bool *coll = crn_zalloc(a->n * sizeof(bool));
	int32_t m = (int32_t)(a->k / 2);
	uint32_t got = 0;

	assert_non_null(coll);
	for (int32_t d = m + 1; got < c && d <= 2 * m; d++)
		for (int side = 1; side >= -1 && got < c; side -= 2)
			for (uint32_t i = 1; i <= a->n; i++)
				if (ring_off(a, u, i) == side * d) {
					coll[i - 1] = true;
					got++;
				}
	return coll;
}

/* ---- plans: what the coordinator shows each node ------------------------ */

static void
plan_new(plan *pl, const arena *a, uint32_t u, const bool *coll)
{
	memset(pl, 0, sizeof(*pl));
	pl->n = a->n;
	pl->u = u;
	pl->reach = 3;
	pl->story = crn_zalloc(a->n);
	pl->coll = crn_zalloc(a->n * sizeof(bool));
	pl->to_u = crn_zalloc(a->n * sizeof(bool));
	for (int s = 0; s < 2; s++) {
		pl->mem[s] = crn_zalloc(a->n * sizeof(bool));
		pl->nsig[s] = crn_zalloc(a->n * sizeof(uint32_t));
		assert_true(pl->mem[s] && pl->nsig[s]);
	}
	assert_true(pl->story && pl->coll && pl->to_u);
	if (coll != NULL)
		memcpy(pl->coll, coll, a->n * sizeof(bool));
}

static void
plan_fini(plan *pl)
{
	crn_free(pl->story, pl->n);
	crn_free(pl->coll, pl->n * sizeof(bool));
	crn_free(pl->to_u, pl->n * sizeof(bool));
	for (int s = 0; s < 2; s++) {
		crn_free(pl->mem[s], pl->n * sizeof(bool));
		crn_free(pl->nsig[s], pl->n * sizeof(uint32_t));
		crn_sa_survivors_fini(&pl->set[s]);
	}
}

static bool
in_set(const plan *pl, int s, uint32_t i)
{
	return pl->mem[SETOF(s)][i - 1];
}

/* Whether i signs story s's set: an honest node shown it, or a colluder
 * in it (the adversary signs with its key). */
static bool
signs(const plan *pl, uint32_t i, int s)
{
	if (!in_set(pl, s, i))
		return false;
	return pl->coll[i - 1] || pl->story[i - 1] == s;
}

/* Set w (0: S_A, 1: S_B) = the indices marked, in increasing order. */
static void
set_build(plan *pl, int w, const bool *mark)
{
	crn_sa_survivors *s = &pl->set[w];
	uint32_t c = 0, n = pl->n;

	memcpy(pl->mem[w], mark, n * sizeof(bool));
	for (uint32_t i = 0; i < n; i++)
		c += mark[i];
	s->count = c;
	s->idx = c ? crn_alloc(c * sizeof(*s->idx)) : NULL;
	c = 0;
	for (uint32_t i = 0; i < n; i++)
		if (mark[i])
			s->idx[c++] = i + 1;
}

/* Mark nodes farther than `beyond` ring positions from u, farthest
 * first, until `have` reaches `want`.  Returns the new count. */
static uint32_t
pad(arena *a, const plan *pl, bool *mark, uint32_t have, uint32_t want,
    uint32_t beyond)
{
	for (uint32_t d = a->n / 2 + 1; d-- > beyond + 1 && have < want;)
		for (uint32_t i = 1; i <= a->n && have < want; i++)
			if (!mark[i - 1] && ring_dist(a, pl->u, i) == d) {
				mark[i - 1] = true;
				have++;
			}
	return have;
}

/* Players (within reach * m of u) get story `near`; up to (reach + 1) *
 * m they share keys; further away they only reveal (the complete graph:
 * all play).  A schedule that needs the reveals of nodes holding shares
 * of u's neighbours (within 2m) sets reach 4: those check neighbourhoods
 * of nodes within 3m, whose members must be able to sign; one that needs
 * only u's neighbours sets reach 3. */
static uint8_t
far_story(const arena *a, const plan *pl, uint32_t i, uint8_t near)
{
	uint32_t d = ring_dist(a, pl->u, i), m = a->k / 2;

	if (a->k == a->n - 1 || d <= pl->reach * m)
		return near;
	return d <= (pl->reach + 1) * m ? ST_SHARE : ST_OUT;
}

/* Once stories and sets are fixed: the signers each set will show in
 * every closed neighbourhood (drives forwarding, see fwd_ok). */
static void
plan_finish(arena *a, plan *pl)
{
	for (int s = ST_A; s <= ST_B; s++) {
		if (pl->set[SETOF(s)].count == 0)
			continue;
		for (uint32_t i = 1; i <= a->n; i++) {
			size_t cnt = closed_nb(a, i);
			uint32_t c = 0;

			for (size_t j = 0; j < cnt; j++)
				c += signs(pl, a->nbuf[j], s);
			pl->nsig[SETOF(s)][i - 1] = c;
		}
	}
}

/* The smallest survivor set nodes accept. */
static uint32_t
want_of(const arena *a)
{
	return a->cfg.min_part > a->t ? a->cfg.min_part : a->t;
}

/* H (to_u): t - 1 neighbours of u; colluding neighbours first, then
 * honest ones from the two ends of u's ring window, alternating sides. */
static void
pick_h(arena *a, plan *pl)
{
	uint32_t *nb = crn_alloc(a->k * sizeof(*nb)), got = 0;
	size_t cnt;

	assert_non_null(nb);
	cnt = nb_far_first(a, pl->u, nb);
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < cnt && got < a->t - 1; i++)
			if (pl->coll[nb[i] - 1] == (pass == 0) &&
			    !pl->to_u[nb[i] - 1]) {
				pl->to_u[nb[i] - 1] = true;
				got++;
			}
	crn_free(nb, a->k * sizeof(*nb));
}

static bool
honest_h(const plan *pl, uint32_t i)
{
	return pl->to_u[i - 1] && !pl->coll[i - 1];
}

/*
 * S1, split neighbourhood (finding 1).  u and H's honest members are
 * shown S_A = u + H + padding more than 2m from u (nobody's neighbour in
 * N[u] + H); every other player S_B = all but H's honest members.  With
 * `satisfied` (S1b) S_A is instead every player outside R = N(u) \ H, and
 * they are all shown S_A: every neighbourhood u checks has t signers.
 * False when S_A cannot be padded to min_participants.
 */
static bool
plan_split_nbhd(
    arena *a, plan *pl, uint32_t u, const bool *coll, bool satisfied)
{
	uint32_t have = 0, n = a->n;
	bool *mark = crn_zalloc(n * sizeof(bool));

	assert_non_null(mark);
	plan_new(pl, a, u, coll);
	pick_h(a, pl);
	for (uint32_t i = 1; i <= n; i++) {
		bool r = crn_graph_has_edge(a->g, u, i) && !pl->to_u[i - 1];
		bool a_side = i == u || honest_h(pl, i) || (satisfied && !r);

		pl->story[i - 1] = far_story(a, pl, i, a_side ? ST_A : ST_B);
		mark[i - 1] = i == u || pl->to_u[i - 1] ||
		    (satisfied && !r && pl->story[i - 1] >= ST_MASK);
		have += mark[i - 1];
	}
	have = pad(a, pl, mark, have, want_of(a), 2 * (a->k / 2));
	set_build(pl, 0, mark);
	for (uint32_t i = 1; i <= n; i++)
		mark[i - 1] = !honest_h(pl, i);
	set_build(pl, 1, mark);
	crn_free(mark, n * sizeof(bool));
	plan_finish(a, pl);
	return have >= want_of(a);
}

/* N(u) split for the silent-victim schedules: to_u = the colluders in
 * N(u) and enough honest neighbours to reach t - 1, those from the far
 * ends (alternating; with `one_side`, the + end only).  Returns the
 * honest ones' count. */
static uint32_t
pick_masked(arena *a, plan *pl, bool one_side)
{
	uint32_t *nb = crn_alloc(a->k * sizeof(*nb)), got = 0, honest = 0;
	size_t cnt;

	assert_non_null(nb);
	cnt = nb_far_first(a, pl->u, nb);
	for (size_t i = 0; i < cnt; i++)
		if (pl->coll[nb[i] - 1]) {
			pl->to_u[nb[i] - 1] = true;
			got++;
		}
	for (size_t i = 0; i < cnt && got < a->t - 1; i++)
		if (!pl->coll[nb[i] - 1] &&
		    (!one_side || ring_off(a, pl->u, nb[i]) > 0)) {
			pl->to_u[nb[i] - 1] = true;
			got++;
			honest++;
		}
	assert_true(got >= a->t - 1);
	crn_free(nb, a->k * sizeof(*nb));
	return honest;
}

/*
 * S2, silent victim: u masks with to_u and is never asked to sign; the
 * honest members D of to_u share keys and "drop"; every other player
 * survives with u in one set S (padded beyond 3m to min_participants).
 */
static void
plan_silent(arena *a, plan *pl, uint32_t u, const bool *coll)
{
	uint32_t have = 0, n = a->n;
	bool *mark = crn_zalloc(n * sizeof(bool));

	assert_non_null(mark);
	plan_new(pl, a, u, coll);
	pl->reach = 4;
	(void)pick_masked(a, pl, false);
	for (uint32_t i = 1; i <= n; i++) {
		uint8_t st = far_story(a, pl, i, ST_A);

		if (i == u)
			st = ST_MASK;
		else if (honest_h(pl, i))
			st = ST_SHARE;
		pl->story[i - 1] = st;
		mark[i - 1] = st >= ST_MASK;
		have += mark[i - 1];
	}
	(void)pad(a, pl, mark, have, want_of(a), pl->reach * (a->k / 2));
	set_build(pl, 0, mark);
	crn_free(mark, n * sizeof(bool));
	plan_finish(a, pl);
}

/*
 * S3, two worlds: u silent; W = the honest members of to_u (the + end)
 * survive in world A (u, the rest of N(u), players on the - side) and
 * are "dropped" in world B (players beyond u's window on the + side);
 * colluders sign both.
 */
static void
plan_two_worlds(arena *a, plan *pl, uint32_t u, const bool *coll)
{
	uint32_t n = a->n, m = a->k / 2;
	bool *ma = crn_zalloc(n * sizeof(bool));
	bool *mb = crn_zalloc(n * sizeof(bool));

	assert_true(ma && mb);
	plan_new(pl, a, u, coll);
	pl->reach = 4;
	(void)pick_masked(a, pl, true);
	for (uint32_t i = 1; i <= n; i++) {
		int32_t off = ring_off(a, u, i);
		bool b = off > (int32_t)m && !pl->coll[i - 1];
		uint8_t st = far_story(a, pl, i, b ? ST_B : ST_A);

		pl->story[i - 1] = i == u ? ST_MASK : st;
		ma[i - 1] = pl->story[i - 1] >= ST_MASK && !b;
		mb[i - 1] =
		    (b && st == ST_B) || (pl->coll[i - 1] && st >= ST_MASK);
	}
	set_build(pl, 0, ma);
	set_build(pl, 1, mb);
	crn_free(ma, n * sizeof(bool));
	crn_free(mb, n * sizeof(bool));
	plan_finish(a, pl);
}

/* S4, split survivors (complete graph): u and t - 1 - c honest nodes are
 * shown S_A = all, the other honest nodes S_B = all \ {u}. */
static void
plan_split_surv(arena *a, plan *pl, uint32_t u, const bool *coll)
{
	uint32_t n = a->n, c = 0, na = 0;
	bool *mark = crn_zalloc(n * sizeof(bool));

	assert_non_null(mark);
	plan_new(pl, a, u, coll);
	for (uint32_t i = 0; i < n; i++)
		c += pl->coll[i];
	for (uint32_t i = 1; i <= n; i++) {
		pl->to_u[i - 1] = i != u;
		if (i == u || (!pl->coll[i - 1] && na + c + 1 < a->t)) {
			pl->story[i - 1] = ST_A;
			na += i != u;
		} else {
			pl->story[i - 1] = ST_B;
		}
		mark[i - 1] = true;
	}
	set_build(pl, 0, mark);
	mark[u - 1] = false;
	set_build(pl, 1, mark);
	crn_free(mark, n * sizeof(bool));
	plan_finish(a, pl);
}

/* An honest schedule: the nodes in surv are shown surv, the others share
 * keys and then drop out. */
static void
plan_honest(arena *a, plan *pl, uint32_t u, const bool *surv, const bool *coll)
{
	plan_new(pl, a, u, coll);
	for (uint32_t i = 1; i <= a->n; i++) {
		pl->story[i - 1] = surv[i - 1] ? ST_A : ST_SHARE;
		pl->to_u[i - 1] = i != u;
	}
	set_build(pl, 0, surv);
	plan_finish(a, pl);
}

/* ---- the rounds, as the adversary relays them --------------------------- */

static void
box_add(arena *a, uint32_t from, const crn_sa_shares *sh)
{
	for (uint32_t j = 0; j < sh->count; j++) {
		const crn_sa_encshare *e = &sh->v[j];

		if (e->from != from || e->to == 0 || e->to > a->n ||
		    a->nbox[e->to - 1] >= a->k)
			continue;
		a->box[(size_t)(e->to - 1) * a->k + a->nbox[e->to - 1]++] = *e;
	}
}

/* Round 2: the graph seeds to every node that shares keys; their
 * ShareKeys into per-recipient boxes, as a coordinator relays them. */
static void
run_seeds(arena *a, const plan *pl)
{
	for (uint32_t i = 1; i <= a->n; i++) {
		party *p = P(a, i);
		msg r = {0, NULL, 0};
		crn_sa_shares sh;

		if (pl->story[i - 1] < ST_SHARE)
			continue;
		if (feed(a, p, &a->smsg, &r) == CAIRN_OK &&
		    r.type == CRN_SA_MSG_SHARE_KEYS) {
			CAIRN_T_PASS(crn_sa_shares_decode(
			    &sh, CRN_SA_MSG_SHARE_KEYS, r.data, r.len));
			box_add(a, i, &sh);
			crn_sa_shares_fini(&sh);
		}
		msg_fini(&r);
	}
}

/*
 * Whether j's share goes to player i.  u: as the schedule says.  A
 * colluder's machine: everything.  An honest player: the shares of its
 * set's members (it signs only if it holds them), and of others only when
 * j's closed neighbourhood will show t signers of its set, so that
 * holding j's share never makes it refuse the unmask.
 */
static bool
fwd_ok(const arena *a, const plan *pl, uint32_t i, uint32_t j)
{
	int s = pl->story[i - 1];

	if (i == pl->u)
		return pl->to_u[j - 1];
	if (pl->coll[i - 1] || s < ST_A)
		return true;
	return in_set(pl, s, j) || pl->nsig[SETOF(s)][j - 1] >= a->t;
}

static void
forward_one(arena *a, const plan *pl, uint32_t i, crn_sa_shares *sh)
{
	const crn_sa_encshare *b = &a->box[(size_t)(i - 1) * a->k];
	party *p = P(a, i);
	msg f = {CRN_SA_MSG_SHARES_FWD, NULL, 0}, r = {0, NULL, 0};

	sh->count = 0;
	for (uint32_t j = 0; j < a->nbox[i - 1]; j++)
		if (fwd_ok(a, pl, i, b[j].from))
			sh->v[sh->count++] = b[j];
	/* Too few to mask with: give it everything (it will refuse later,
	 * which the schedule then shows). */
	if (i != pl->u && sh->count + 1 < a->t) {
		memcpy(sh->v, b, a->nbox[i - 1] * sizeof(*b));
		sh->count = a->nbox[i - 1];
	}
	for (uint32_t j = 0; i == pl->u && j < sh->count; j++)
		a->mset[sh->v[j].from - 1] = true;
	CAIRN_T_PASS(crn_sa_shares_encode(&f.data, &f.len, f.type, sh));
	if (feed(a, p, &f, &r) == CAIRN_OK && r.type == CRN_SA_MSG_MASKED_INPUT)
		CAIRN_T_PASS(crn_sa_masked_decode(&p->y, r.data, r.len));
	msg_fini(&f);
	msg_fini(&r);
}

/* Round 3: each node that masks gets the shares the schedule lets
 * through; its masked input is kept. */
static void
run_forward(arena *a, const plan *pl)
{
	crn_sa_shares sh;

	sh.v = crn_alloc(a->k * sizeof(*sh.v));
	assert_non_null(sh.v);
	for (uint32_t i = 1; i <= a->n; i++)
		if (pl->story[i - 1] >= ST_MASK)
			forward_one(a, pl, i, &sh);
	crn_free(sh.v, a->k * sizeof(*sh.v));
}

/* A colluder's signature over story s's set, made with its key. */
static void
collude_sign(arena *a, const plan *pl, uint32_t i, int s)
{
	party *p = P(a, i);
	const crn_sa_survivors *set = &pl->set[SETOF(s)];
	uint8_t *tbs = NULL;
	size_t tlen = 0;

	CAIRN_T_PASS(crn_sa_consistency_tbs(
	    &tbs, &tlen, a->sid, a->digest, set->idx, set->count));
	CAIRN_T_PASS(crn_identity_sign(p->id, tbs, tlen, p->sig[SETOF(s)]));
	p->has_sig[SETOF(s)] = true;
	crn_free(tbs, tlen);
}

static void
consist_one(arena *a, const plan *pl, uint32_t i, int s)
{
	party *p = P(a, i);
	msg req = {CRN_SA_MSG_CONSISTENCY_REQ, NULL, 0}, r = {0, NULL, 0};

	CAIRN_T_PASS(
	    crn_sa_survivors_encode(&req.data, &req.len, &pl->set[SETOF(s)]));
	if (feed(a, p, &req, &r) == CAIRN_OK &&
	    r.type == CRN_SA_MSG_CONSISTENCY_SIG)
		CAIRN_T_PASS(
		    crn_sa_consig_decode(p->sig[SETOF(s)], r.data, r.len));
	p->has_sig[SETOF(s)] = r.type == CRN_SA_MSG_CONSISTENCY_SIG;
	msg_fini(&req);
	msg_fini(&r);
}

/* Round 4: each honest player signs the set of its story; colluders sign
 * every set that contains them. */
static void
run_consistency(arena *a, const plan *pl)
{
	for (int s = ST_A; s <= ST_B; s++)
		for (uint32_t i = 1; i <= a->n; i++) {
			if (pl->set[SETOF(s)].count == 0 ||
			    pl->story[i - 1] < ST_MASK)
				continue;
			if (pl->coll[i - 1] && in_set(pl, s, i))
				collude_sign(a, pl, i, s);
			else if (!pl->coll[i - 1] && pl->story[i - 1] == s)
				consist_one(a, pl, i, s);
		}
}

static void
pool_add(arena *a, uint32_t owner, int kd, const crn_shamir_share *s)
{
	crn_shamir_share *v;
	uint32_t *cnt;

	if (owner == 0 || owner > a->n)
		return;
	v = &a->pool[((size_t)kd * a->n + owner - 1) * (a->k + 1)];
	cnt = &a->npool[(size_t)kd * a->n + owner - 1];
	for (uint32_t j = 0; j < *cnt; j++)
		if (v[j].x == s->x)
			return;
	if (*cnt <= a->k)
		v[(*cnt)++] = *s;
}

/* Every signature over story s's set (the node picks what it needs). */
static uint32_t
sigs_for(arena *a, int s, crn_sa_signed *out)
{
	uint32_t m = 0;

	for (uint32_t i = 1; i <= a->n; i++) {
		if (!P(a, i)->has_sig[SETOF(s)])
			continue;
		out[m].index = i;
		memcpy(out[m++].sig, P(a, i)->sig[SETOF(s)], CAIRN_SIG_LEN);
	}
	return m;
}

static void
unmask_one(arena *a, const plan *pl, uint32_t i, int s)
{
	party *p = P(a, i);
	crn_sa_unmask_req rq;
	crn_sa_unmask resp;
	msg req = {CRN_SA_MSG_UNMASK_REQ, NULL, 0}, r = {0, NULL, 0};
	crn_shamir_share sh;

	rq.surv = pl->set[SETOF(s)];
	rq.sigs = crn_alloc((size_t)a->n * sizeof(*rq.sigs));
	assert_non_null(rq.sigs);
	rq.nsigs = sigs_for(a, s, rq.sigs);
	CAIRN_T_PASS(crn_sa_unmask_req_encode(&req.data, &req.len, &rq));
	crn_free(rq.sigs, (size_t)a->n * sizeof(*rq.sigs));
	if (feed(a, p, &req, &r) == CAIRN_OK && r.type == CRN_SA_MSG_UNMASK &&
	    crn_sa_unmask_decode(&resp, r.data, r.len) == CAIRN_OK) {
		for (uint32_t j = 0; j < resp.count; j++)
			if (crn_shamir_share_decode(&sh, resp.v[j].share) ==
			    CAIRN_OK)
				pool_add(a, resp.v[j].owner,
				    resp.v[j].kind == CRN_SA_SHARE_SELF_MASK
				        ? 0
				        : 1,
				    &sh);
		crn_sa_unmask_fini(&resp);
	}
	msg_fini(&req);
	msg_fini(&r);
}

/* Round 5: every honest node that signed is asked to unmask, with every
 * signature over its set; whatever comes back goes into the pool. */
static void
run_unmask(arena *a, const plan *pl)
{
	for (int s = ST_A; s <= ST_B; s++)
		for (uint32_t i = 1; i <= a->n; i++)
			if (!pl->coll[i - 1] && pl->story[i - 1] == s &&
			    P(a, i)->has_sig[SETOF(s)])
				unmask_one(a, pl, i, s);
}

/* ---- what colluders hold ------------------------------------------------ */

/* A node's session secrets from the seed it runs on (its key schedule:
 * channel key pair, mask key pair, b, graph-seed contribution), checked
 * against what it advertised, so that a changed schedule fails loudly. */
typedef struct keysched {
	crn_kx_keypair ch, mk;
	uint8_t b[CAIRN_SEED_LEN];
	uint8_t r[CAIRN_KEY_LEN];
} keysched;

static void
key_schedule(arena *a, const party *p, keysched *ks)
{
	crn_drbg d;
	uint8_t s[CAIRN_SEED_LEN], chk[CAIRN_KEY_LEN];

	crn_drbg_init(&d, p->seed);
	crn_drbg_bytes(&d, s, sizeof(s));
	crn_kx_keypair_from_seed(&ks->ch, s);
	crn_drbg_bytes(&d, s, sizeof(s));
	crn_kx_keypair_from_seed(&ks->mk, s);
	crn_drbg_bytes(&d, ks->b, sizeof(ks->b));
	crn_drbg_bytes(&d, ks->r, sizeof(ks->r));
	crn_drbg_fini(&d);
	cairn_memzero(s, sizeof(s));
	CAIRN_T_PASS(crn_sa_self_commit(chk, ks->b, a->sid));
	if (memcmp(ks->ch.pk, p->ad.channel_pk, CAIRN_KX_PK_LEN) != 0 ||
	    memcmp(ks->mk.pk, p->ad.mask_pk, CAIRN_KX_PK_LEN) != 0 ||
	    memcmp(chk, p->ad.bcommit, CAIRN_KEY_LEN) != 0)
		fail_msg("the node's key schedule changed: update key_schedule");
	CAIRN_T_PASS(crn_sa_graph_commit(chk, ks->r, a->sid));
	if (memcmp(chk, p->ad.gcommit, CAIRN_KEY_LEN) != 0)
		fail_msg("the node's key schedule changed: update key_schedule");
}

/* Every share addressed to colluder i, decrypted with its channel key
 * (the dealer's share of b and of its mask key) into the pool: a
 * colluder hands over what it holds whatever its machine would check. */
static void
collude_open(arena *a, uint32_t i)
{
	const crn_sa_encshare *b = &a->box[(size_t)(i - 1) * a->k];
	uint8_t ad[CRN_SA_SHARE_AD_LEN], pt[CRN_SA_SHARE_PT_LEN];
	uint8_t shared[CAIRN_KEY_LEN], key[CAIRN_KEY_LEN];
	crn_shamir_share sh;
	keysched ks;

	key_schedule(a, P(a, i), &ks);
	for (uint32_t j = 0; j < a->nbox[i - 1]; j++) {
		uint32_t from = b[j].from;

		CAIRN_T_PASS(crn_kx_agree(
		    shared, ks.ch.sk, a->roster.parts[from - 1].channel_pk));
		CAIRN_T_PASS(crn_kdf(key, sizeof(key), shared, sizeof(shared),
		    a->sid, "share", 0));
		crn_sa_share_ad(ad, a->sid, a->digest, from, i);
		CAIRN_T_PASS(crn_aead_open(
		    pt, b[j].ct, sizeof(b[j].ct), ad, sizeof(ad), key));
		for (int kd = 0; kd < 2; kd++) {
			CAIRN_T_PASS(crn_shamir_share_decode(
			    &sh, pt + kd * CRN_SHAMIR_SHARE_LEN));
			pool_add(a, from, kd, &sh);
		}
	}
	cairn_memzero(&ks, sizeof(ks));
	cairn_memzero(pt, sizeof(pt));
	cairn_memzero(key, sizeof(key));
	cairn_memzero(shared, sizeof(shared));
}

static void
attack_run(arena *a, const plan *pl)
{
	run_seeds(a, pl);
	run_forward(a, pl);
	run_consistency(a, pl);
	run_unmask(a, pl);
	for (uint32_t i = 1; i <= a->n; i++)
		if (pl->coll[i - 1])
			collude_open(a, i);
}

/* ---- reconstruction ----------------------------------------------------- */

static uint32_t
pool_count(const arena *a, uint32_t v, int kd)
{
	return a->npool[(size_t)kd * a->n + v - 1];
}

/* v's b (kd 0) or mask secret key (kd 1) from the pool, checked against
 * v's commitment or public key.  CAIRN_ENOENT with fewer than t. */
static cairn_err
pool_secret(arena *a, uint32_t v, int kd, uint8_t out[CAIRN_SEED_LEN])
{
	const crn_sa_advertise *ad = &a->roster.parts[v - 1];
	uint32_t cnt = pool_count(a, v, kd);
	uint8_t chk[CAIRN_KEY_LEN];
	crn_kx_keypair kp;
	cairn_err rv;

	if (cnt < a->t)
		return CAIRN_ENOENT;
	rv = crn_shamir_combine(
	    out, &a->pool[((size_t)kd * a->n + v - 1) * (a->k + 1)], cnt, a->t);
	if (rv != CAIRN_OK)
		return rv;
	if (kd == 0) {
		if ((rv = crn_sa_self_commit(chk, out, a->sid)) == CAIRN_OK &&
		    memcmp(chk, ad->bcommit, sizeof(chk)) != 0)
			rv = CAIRN_EAUTH;
	} else {
		crn_kx_keypair_from_seed(&kp, out);
		if (memcmp(kp.pk, ad->mask_pk, CAIRN_KX_PK_LEN) != 0)
			rv = CAIRN_EAUTH;
		cairn_memzero(&kp, sizeof(kp));
	}
	return rv;
}

static cairn_err
secret_of(arena *a, const plan *pl, uint32_t v, int kd, uint8_t *out)
{
	keysched ks;

	if (!pl->coll[v - 1])
		return pool_secret(a, v, kd, out);
	key_schedule(a, P(a, v), &ks);
	memcpy(out, kd == 0 ? ks.b : ks.mk.sk, CAIRN_SEED_LEN);
	cairn_memzero(&ks, sizeof(ks));
	return CAIRN_OK;
}

/* s_uv from u's key when known, else from v's. */
static cairn_err
pair_seed(arena *a, const plan *pl, uint32_t v, const uint8_t *sku,
    uint8_t s[CAIRN_SEED_LEN])
{
	uint8_t skv[CAIRN_KX_SK_LEN];
	uint32_t u = pl->u;
	cairn_err rv;

	if (sku != NULL)
		return crn_sa_mask_seed(
		    s, sku, a->roster.parts[v - 1].mask_pk, a->sid);
	if ((rv = secret_of(a, pl, v, 1, skv)) == CAIRN_OK)
		rv = crn_sa_mask_seed(
		    s, skv, a->roster.parts[u - 1].mask_pk, a->sid);
	cairn_memzero(skv, sizeof(skv));
	return rv;
}

/*
 * Try to recover x_u from everything collected: u's masked input, the
 * pool of revealed and colluder-held shares and the colluders' own
 * secrets, with the real Shamir and PRG code.  o->rv: CAIRN_OK when every
 * piece was there, CAIRN_ENOENT when some is missing, CAIRN_EAUTH when
 * shares contradict a commitment.
 */
static void
recover(arena *a, const plan *pl, outcome *o)
{
	party *pu = P(a, pl->u);
	uint64_t x[DIM];
	uint8_t b[CAIRN_SEED_LEN], sku[CAIRN_KX_SK_LEN], s[CAIRN_SEED_LEN];
	bool have_b, have_sku;
	cairn_err rv = CAIRN_ENOENT;

	memset(o, 0, sizeof(*o));
	memset(x, 0, sizeof(x));
	o->bshares = pool_count(a, pl->u, 0);
	rv = secret_of(a, pl, pl->u, 0, b);
	have_b = rv == CAIRN_OK;
	have_sku = secret_of(a, pl, pl->u, 1, sku) == CAIRN_OK;
	if (pu->y.data == NULL || pu->y.len != sizeof(x))
		rv = CAIRN_ENOENT;
	if (rv == CAIRN_OK) {
		memcpy(x, pu->y.data, sizeof(x));
		rv = crn_prg_add(x, DIM, RING, b, 1);
	}
	for (uint32_t v = 1; v <= a->n; v++) {
		if (!a->mset[v - 1])
			continue;
		o->masks++;
		if (pair_seed(a, pl, v, have_sku ? sku : NULL, s) != CAIRN_OK)
			continue;
		o->masks_known++;
		if (rv == CAIRN_OK)
			rv = crn_prg_add(x, DIM, RING, s, v < pl->u);
	}
	if (rv == CAIRN_OK && (!have_b || o->masks_known < o->masks))
		rv = CAIRN_ENOENT;
	o->rv = rv;
	o->hit = rv == CAIRN_OK && memcmp(x, pu->in, sizeof(x)) == 0;
	cairn_memzero(b, sizeof(b));
	cairn_memzero(sku, sizeof(sku));
	cairn_memzero(s, sizeof(s));
}

/* ---- verdicts ----------------------------------------------------------- */

static uint32_t
count_coll(const plan *pl)
{
	uint32_t c = 0;

	for (uint32_t i = 0; i < pl->n; i++)
		c += pl->coll[i];
	return c;
}

static uint32_t
all_refusals(const arena *a)
{
	uint32_t c = 0;

	for (size_t i = 0; i < NTYPES; i++)
		c += a->nref[i];
	return c;
}

/* Recover, and print what the adversary got. */
static void
verdict(arena *a, const plan *pl, const char *what, outcome *o)
{
	recover(a, pl, o);
	printf("[attack] %s: n=%u k=%u t=%u min=%u colluders=%u: refusals %u (unmask %u); b_u shares %u of %u, masks %u of %u: %s (%.2f s)\n",
	    what, a->n, a->k, a->t, a->cfg.min_part, count_coll(pl),
	    all_refusals(a), a->nref[CRN_SA_MSG_UNMASK_REQ - CRN_SA_MSG_FIRST],
	    o->bshares, a->t, o->masks_known, o->masks,
	    o->hit                  ? "x_u RECOVERED exactly"
	        : o->rv == CAIRN_OK ? "a wrong vector"
	                            : cairn_strerror(o->rv),
	    now_s() - a->t0);
}

/* The safe outcome: the adversary did not end up with x_u. */
static void
expect_hidden(const outcome *o, const char *what)
{
	if (o->hit)
		fail_msg("%s: the coordinator recovered the victim's input exactly",
		    what);
}

/* Node idx's machine refused a message of `type` with `code` and a
 * reason containing `why`. */
static void
expect_refused(
    arena *a, uint32_t idx, uint32_t type, cairn_err code, const char *why)
{
	const refusal *r = &P(a, idx)->ref;

	if (r->type != type || r->code != code ||
	    strstr(r->reason, why) == NULL)
		fail_msg("node %u: expected a refusal of message %u (%s, \"%s\"), got message %u (%s, \"%s\")",
		    idx, type, cairn_strerror(code), why, r->type,
		    cairn_strerror(r->code), r->reason);
}

/* Every refusal of an honest node's machine was of a message of `type`
 * with `code` and a reason containing `why`.  Returns how many there
 * were. */
static uint32_t
expect_only(
    arena *a, const plan *pl, uint32_t type, cairn_err code, const char *why)
{
	uint32_t c = 0;

	for (uint32_t i = 1; i <= a->n; i++) {
		const refusal *r = &P(a, i)->ref;

		if (r->type == 0 || (pl != NULL && pl->coll[i - 1]))
			continue;
		c++;
		if (r->type != type || r->code != code ||
		    strstr(r->reason, why) == NULL)
			fail_msg("node %u refused message %u (%s, \"%s\"); expected only refusals of message %u (%s, \"%s\")",
			    i, r->type, cairn_strerror(r->code), r->reason,
			    type, cairn_strerror(code), why);
	}
	return c;
}

/* ---- controls: the routine recovers when it legitimately can ------------ */

/* Honest session of 5 (complete graph, t = 3); nodes 2 and 3 share keys
 * and drop out; the survivors are 1, 4, 5.  With 4 and 5 colluding the
 * sum gives x_1 away anyway, and the routine must find it from the
 * revealed shares (b_1, sk_2, sk_3) and the colluders' keys. */
static void
test_control_recovers(void **state)
{
	arena_cfg cfg = {5, false, 0, 3, false, 1};
	bool surv[5] = {true, false, false, true, true};
	bool coll[5] = {false, false, false, true, true};
	arena a;
	plan pl;
	outcome o;

	(void)state;
	arena_new(&a, &cfg);
	CAIRN_T_EQ(arena_open(&a), 5);
	plan_honest(&a, &pl, 1, surv, coll);
	attack_run(&a, &pl);
	CAIRN_T_EQ(all_refusals(&a), 0);
	verdict(&a, &pl, "control, 2 of 3 survivors collude", &o);
	assert_true(o.hit);
	plan_fini(&pl);
	arena_fini(&a);
}

/* The same session without colluders: the pairwise masks with 4 and 5
 * stay on y_1 and the routine must say so. */
static void
test_control_honest_hides(void **state)
{
	arena_cfg cfg = {5, false, 0, 3, false, 2};
	bool surv[5] = {true, false, false, true, true};
	arena a;
	plan pl;
	outcome o;

	(void)state;
	arena_new(&a, &cfg);
	CAIRN_T_EQ(arena_open(&a), 5);
	plan_honest(&a, &pl, 1, surv, NULL);
	attack_run(&a, &pl);
	CAIRN_T_EQ(all_refusals(&a), 0);
	verdict(&a, &pl, "control, honest session", &o);
	assert_false(o.hit);
	CAIRN_T_EQ(o.rv, CAIRN_ENOENT);
	CAIRN_T_EQ(o.bshares, 3);
	plan_fini(&pl);
	arena_fini(&a);
}

enum { S1 = 1, S1B, S2, S3, S4 };

static const char *
sched_name(int sched)
{
	switch (sched) {
	case S1: return "S1 split neighbourhood";
	case S1B: return "S1b victim satisfied";
	case S2: return "S2 silent victim";
	case S3: return "S3 two worlds";
	default: return "S4 split survivors";
	}
}

/* The colluders of a schedule: on the complete graph indices 2..c+1
 * (the victim is 1); S1b places them among u's neighbours' neighbours,
 * the others among u's nearest neighbours. */
static bool *
colluders_for(arena *a, int sched, uint32_t u, uint32_t c)
{
	bool *coll;

	if (a->k < a->n - 1)
		return sched == S1B ? outer_colluders(a, u, c)
		                    : inner_colluders(a, u, c);
	coll = crn_zalloc(a->n * sizeof(bool));
	assert_non_null(coll);
	for (uint32_t i = 0; i < c; i++)
		coll[1 + i] = true;
	return coll;
}

/* One schedule against a fresh federation: victim u (the middle index,
 * or 1 on the complete graph) and c colluders.  The arena stays open for
 * the caller's checks. */
static void
run_sched(
    arena *a, plan *pl, const arena_cfg *cfg, int sched, uint32_t c, outcome *o)
{
	bool *coll;
	uint32_t u, got;
	char what[96];

	arena_new(a, cfg);
	got = arena_open(a);
	CAIRN_T_EQ(got, a->n);
	u = a->k == a->n - 1 ? 1 : a->n / 2;
	coll = colluders_for(a, sched, u, c);
	if (sched == S1 || sched == S1B)
		assert_true(plan_split_nbhd(a, pl, u, coll, sched == S1B));
	else if (sched == S2)
		plan_silent(a, pl, u, coll);
	else if (sched == S3)
		plan_two_worlds(a, pl, u, coll);
	else
		plan_split_surv(a, pl, u, coll);
	crn_free(coll, a->n * sizeof(bool));
	attack_run(a, pl);
	snprintf(what, sizeof(what), "%s, %s nodes", sched_name(sched),
	    cfg->malicious ? "malicious" : "semi-honest");
	verdict(a, pl, what, o);
}

/* 2t - k - 1 colluders in N(u), one more than the malicious parameters
 * tolerate: S2 recovers x_u against malicious nodes.  The bound is
 * tight, and the schedule does what it claims. */
static void
test_control_tight_sparse(void **state)
{
	arena_cfg cfg = {100, true, 0, 3, true, 3};
	arena a;
	plan pl;
	outcome o;

	(void)state;
	run_sched(&a, &pl, &cfg, S2, 13, &o);
	CAIRN_T_EQ(2 * a.t - a.k - 1, 13);
	CAIRN_T_EQ(all_refusals(&a), 0);
	assert_true(o.hit);
	plan_fini(&pl);
	arena_fini(&a);
}

/* The complete graph with 2t - n colluders (one over the 2t - n - 1
 * that t = floor(2n/3) + 1 tolerates): S4 and S2 recover x_u. */
static void
test_control_tight_complete(void **state)
{
	static const int sched[] = {S4, S2};
	arena_cfg cfg = {7, true, 2.0 / 7, 3, true, 5};

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		arena a;
		plan pl;
		outcome o;

		cfg.tag = (uint8_t)(5 + i);
		run_sched(&a, &pl, &cfg, sched[i], 3, &o);
		CAIRN_T_EQ(2 * a.t - a.n, 3);
		CAIRN_T_EQ(all_refusals(&a), 0);
		assert_true(o.hit);
		plan_fini(&pl);
		arena_fini(&a);
	}
}

/* Semi-honest nodes at semi-honest parameters (t = k/2 + 1) trust the
 * coordinator not to lie: a lying coordinator with ONE colluding
 * neighbour of the victim (2t - k - 1 = 1) recovers x_u with S2.  This is
 * what `threat = semi-honest` means, and why malicious is the default. */
static void
test_control_semi_honest_one_colluder(void **state)
{
	arena_cfg cfg = {100, false, 0, 3, false, 7};
	arena a;
	plan pl;
	outcome o;

	(void)state;
	run_sched(&a, &pl, &cfg, S2, 1, &o);
	CAIRN_T_EQ(2 * a.t - a.k - 1, 1);
	assert_true(o.hit);
	plan_fini(&pl);
	arena_fini(&a);
}

/* ---- finding 1: sparse graph, coordinator alone ------------------------- */

/* Malicious nodes shown the coordinator's semi-honest (k, t): every one
 * refuses the roster, so no contribution is revealed and no graph, share
 * or masked input ever exists. */
static void
refused_roster(const arena_cfg *cfg, const char *what)
{
	arena a;
	uint32_t got;

	arena_new(&a, cfg);
	got = arena_open(&a);
	CAIRN_T_EQ(got, 0);
	CAIRN_T_EQ(a.nref[CRN_SA_MSG_ROSTER - CRN_SA_MSG_FIRST], a.n);
	CAIRN_T_EQ(expect_only(&a, NULL, CRN_SA_MSG_ROSTER, CAIRN_EPERM,
	               "graph degree or threshold below our policy"),
	    a.n);
	printf("[attack] %s: n=%u k=%u t=%u: all %u nodes refuse the roster (%.2f s)\n",
	    what, a.n, a.k, a.t, a.n, now_s() - a.t0);
	arena_fini(&a);
}

/*
 * The coordinator's semi-honest parameters (crn_graph_choose), no
 * colluder.  Nodes on the malicious policy (the daemon's default) refuse
 * the roster.  Nodes on the semi-honest policy accept it (that policy
 * trusts the coordinator), but they check status agreement all the same,
 * and t = m + 1 leaves two sets no room in any N[w] without a colluder:
 * S1 ends with u refusing (one of its neighbours' closed neighbourhoods
 * lacks t signers of S_A) and R refusing (N[u] has only t - 1 signers of
 * S_B); S2 ends with R refusing (N[u] shows R alone, t - 1 signers).
 * Either way no share of b_u leaves an honest node.
 */
static void
finding1(uint32_t n, uint32_t min_part, uint8_t tag, bool s1, bool s2)
{
	arena_cfg cfg = {n, false, 0, min_part, false, tag};
	arena a;
	plan pl;
	outcome o;

	if (s1) {
		run_sched(&a, &pl, &cfg, S1, 0, &o);
		assert_true(a.k < n - 1);
		expect_hidden(&o, "finding 1, S1");
		CAIRN_T_EQ(o.bshares, 0);
		expect_refused(&a, pl.u, CRN_SA_MSG_UNMASK_REQ, CAIRN_EAUTH,
		    "too few of a neighbour's neighbours signed our survivor set");
		assert_true(
		    expect_only(&a, &pl, CRN_SA_MSG_UNMASK_REQ, CAIRN_EAUTH,
		        "signed our survivor set") > a.k - a.t + 1);
		plan_fini(&pl);
		arena_fini(&a);
	}
	if (s2) {
		cfg.tag = (uint8_t)(tag + 100);
		run_sched(&a, &pl, &cfg, S2, 0, &o);
		expect_hidden(&o, "finding 1, S2");
		CAIRN_T_EQ(o.bshares, 0);
		assert_true(
		    expect_only(&a, &pl, CRN_SA_MSG_UNMASK_REQ, CAIRN_EAUTH,
		        "signed our survivor set") >= a.k - a.t + 1);
		plan_fini(&pl);
		arena_fini(&a);
	}
	cfg.malicious = true;
	cfg.tag = (uint8_t)(tag + 50);
	refused_roster(&cfg, "finding 1, malicious nodes");
}

static void
test_finding1_n100(void **state)
{
	(void)state;
	finding1(100, 3, 10, true, true);
}

static void
test_finding1_n100_min50(void **state)
{
	(void)state;
	finding1(100, 50, 11, true, false);
}

static void
test_finding1_n300_min50(void **state)
{
	(void)state;
	finding1(300, 50, 13, true, false);
}

/* ---- finding 2: complete graph, coordinator plus one colluder ---------- */

/* Malicious nodes: the old t = floor(n/2) + 1 is refused at the roster;
 * at t = floor(2n/3) + 1 the S_B side of S4 cannot show t signers and
 * refuses to unmask, so sk_u never leaves an honest node; S2 ends short
 * of b_u. */
static void
test_finding2_complete(void **state)
{
	static const uint32_t ns[] = {5, 7, 9};

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		arena_cfg cfg = {ns[i], true, 0, 3, false, (uint8_t)(20 + i)};
		arena a;
		plan pl;
		outcome o;
		uint32_t refused = 0;

		refused_roster(&cfg, "finding 2, old threshold");
		cfg.mal_params = true;
		cfg.tag = (uint8_t)(30 + i);
		run_sched(&a, &pl, &cfg, S4, 1, &o);
		expect_hidden(&o, "finding 2, S4");
		for (uint32_t j = 1; j <= a.n; j++)
			if (pl.story[j - 1] == ST_B && !pl.coll[j - 1]) {
				expect_refused(&a, j, CRN_SA_MSG_UNMASK_REQ,
				    CAIRN_EAUTH,
				    "too few of our neighbours signed");
				refused++;
			}
		assert_true(refused > 0);
		CAIRN_T_EQ(pool_count(&a, 1, 1), 1); /* the colluder's */
		plan_fini(&pl);
		arena_fini(&a);
		cfg.tag = (uint8_t)(40 + i);
		run_sched(&a, &pl, &cfg, S2, 1, &o);
		expect_hidden(&o, "finding 2, S2");
		assert_true(o.bshares < a.t);
		plan_fini(&pl);
		arena_fini(&a);
	}
}

/* ---- the malicious parameters' own limits ------------------------------- */

/* Complete graph, t = floor(2n/3) + 1, 2t - n - 1 colluders (the most it
 * tolerates; the nodes' policy assumes that many): S4 and S2 fail, with
 * the side that would have to reveal sk_u or b_u refusing (EAUTH). */
static void
test_malicious_complete_bound(void **state)
{
	static const uint32_t ns[] = {7, 10};
	static const int sched[] = {S4, S2};

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		for (size_t j = 0; j < 2; j++) {
			uint32_t n = ns[i], t = 2 * n / 3 + 1,
			         c = 2 * t - n - 1;
			arena_cfg cfg = {n, true, (double)c / n, 3, true,
			    (uint8_t)(50 + 2 * i + j)};
			arena a;
			plan pl;
			outcome o;

			run_sched(&a, &pl, &cfg, sched[j], c, &o);
			CAIRN_T_EQ(a.t, t);
			expect_hidden(&o, "malicious complete bound");
			assert_true(
			    expect_only(&a, &pl, CRN_SA_MSG_UNMASK_REQ,
			        CAIRN_EAUTH, "signed our survivor set") > 0);
			plan_fini(&pl);
			arena_fini(&a);
		}
	}
}

/*
 * Sparse graph at the malicious (k, t) = (24, 19) of n = 100, with the
 * 2t - k - 2 = 12 colluders the parameters tolerate placed for each
 * schedule: in H (S1), among u's neighbours' neighbours around H's ends
 * (S1b), in M_u (S2, S3).  x_u stays hidden every time:
 *  S1  u refuses (a neighbour's neighbourhood lacks t signers of S_A);
 *  S1b u is satisfied and reveals, and so does H: b_u is out, but the sk
 *      of H's honest members would have to come from R and the
 *      colluders, who refuse (too few signers of S_B around them);
 *  S2  R refuses (N[u] shows R + colluders = t - 1 signers): the
 *      adversary holds only the colluders' shares of b_u;
 *  S3  W's signatures satisfy N[u], so R passes every check and
 *      reveals: the adversary holds R + colluders = t - 1 shares of b_u,
 *      one short (the refusals are W, asked in vain, world B's nodes,
 *      which cannot show t signers around W, and far players).
 */
static void
test_malicious_sparse(void **state)
{
	static const int sched[] = {S1, S1B, S2, S3};

	(void)state;
	for (size_t i = 0; i < 4; i++) {
		arena_cfg cfg = {100, true, 0, 3, true, (uint8_t)(60 + i)};
		arena a;
		plan pl;
		outcome o;
		uint32_t c = 12;

		run_sched(&a, &pl, &cfg, sched[i], c, &o);
		CAIRN_T_EQ(2 * a.t - a.k - 2, c);
		expect_hidden(&o, sched_name(sched[i]));
		(void)expect_only(&a, &pl, CRN_SA_MSG_UNMASK_REQ, CAIRN_EAUTH,
		    "signed our survivor set");
		if (sched[i] == S1)
			expect_refused(&a, pl.u, CRN_SA_MSG_UNMASK_REQ,
			    CAIRN_EAUTH, "signed our survivor set");
		if (sched[i] == S1B) {
			CAIRN_T_EQ(P(&a, pl.u)->ref.type, 0);
			assert_true(o.bshares >= a.t);
			assert_true(o.masks_known < o.masks);
		}
		if (sched[i] == S2)
			CAIRN_T_EQ(o.bshares, c);
		if (sched[i] == S3)
			CAIRN_T_EQ(o.bshares, a.t - 1);
		plan_fini(&pl);
		arena_fini(&a);
	}
}

/* ---- larger federations (CAIRN_ATTACK_LARGE=1) -------------------------- */

/* The same attacks on larger graphs take a minute under ASan, so they run
 * only when asked: `CAIRN_ATTACK_LARGE=1 build/tests/secagg_attack_test`
 * (README quotes the figures). */
static bool
large_wanted(void)
{
	return getenv("CAIRN_ATTACK_LARGE") != NULL;
}

/* Finding 1 at n = 1000, min_participants 50: S1 against semi-honest
 * nodes, and the roster refused by malicious ones. */
static void
test_large_finding1_n1000(void **state)
{
	(void)state;
	if (!large_wanted())
		skip();
	finding1(1000, 50, 14, true, false);
}

/* n = 300 at the malicious (k, t) = (62, 47): S2 with 2t - k - 2 = 30
 * colluders fails, with 31 it recovers x_u. */
static void
test_large_malicious_sparse_n300(void **state)
{
	(void)state;
	if (!large_wanted())
		skip();
	for (uint32_t c = 30; c <= 31; c++) {
		arena_cfg cfg = {300, true, 0, 3, true, (uint8_t)(c + 40)};
		arena a;
		plan pl;
		outcome o;

		run_sched(&a, &pl, &cfg, S2, c, &o);
		CAIRN_T_EQ(2 * a.t - a.k - 2, 30);
		if (c == 30)
			expect_hidden(&o, "S2 at n = 300");
		else
			assert_true(o.hit);
		plan_fini(&pl);
		arena_fini(&a);
	}
}

/* ---- grinding: the coordinator chooses the roster or the seeds ---------- */

/* Corrupt neighbours of u in g (seated indices; corrupt per
 * advertiser). */
static uint32_t
corrupt_nbrs(arena *a, const crn_graph *g, const bool *corrupt, uint32_t u)
{
	size_t cnt = 0;
	uint32_t bad = 0;

	CAIRN_T_PASS(crn_graph_neighbours_of(g, u, a->nbuf, a->k, &cnt));
	for (size_t j = 0; j < cnt; j++)
		bad += corrupt[P(a, a->nbuf[j]) - a->all];
	return bad;
}

/* The most corrupt neighbours any honest node has in g, and that node
 * in *victim. */
static uint32_t
best_victim(arena *a, const crn_graph *g, const bool *corrupt, uint32_t *victim)
{
	uint32_t best = 0;

	*victim = 0;
	for (uint32_t u = 1; u <= a->n; u++) {
		uint32_t bad;

		if (corrupt[P(a, u) - a->all])
			continue;
		bad = corrupt_nbrs(a, g, corrupt, u);
		if (*victim == 0 || bad > best) {
			best = bad;
			*victim = u;
		}
	}
	return best;
}

/* The graph for the current seating with the given contributions: the
 * corrupt nodes' own (the adversary holds their seeds) and, for the
 * honest, r[i] when known (`known` true), else the adversary's guess. */
static crn_graph *
graph_with(arena *a, const bool *corrupt, const uint8_t (*r)[CAIRN_KEY_LEN],
    bool known)
{
	uint8_t(*c)[CAIRN_KEY_LEN] = crn_zalloc((size_t)a->n * sizeof(*c));
	uint8_t gseed[32];
	msg m = {0, NULL, 0};
	crn_graph *g = NULL;
	keysched ks;

	assert_non_null(c);
	for (uint32_t i = 1; i <= a->n; i++) {
		if (corrupt[P(a, i) - a->all]) {
			key_schedule(a, P(a, i), &ks);
			memcpy(c[i - 1], ks.r, CAIRN_KEY_LEN);
		} else if (known) {
			memcpy(c[i - 1], r[i - 1], CAIRN_KEY_LEN);
		}
	}
	cairn_memzero(&ks, sizeof(ks));
	seeds_make(a, (const uint8_t(*)[CAIRN_KEY_LEN])c, a->n, &m, gseed);
	msg_fini(&m);
	crn_free(c, (size_t)a->n * sizeof(*c));
	CAIRN_T_PASS(crn_graph_new(&g, gseed, a->n, a->roster.params.degree));
	return g;
}

/* The neighbours node idx addresses its shares to, once given the seeds:
 * the graph its machine built. */
static void
node_neighbours(arena *a, uint32_t idx, uint32_t *out, size_t *cnt)
{
	msg r = {0, NULL, 0};
	crn_sa_shares sh;

	CAIRN_T_PASS(feed(a, P(a, idx), &a->smsg, &r));
	CAIRN_T_EQ(r.type, CRN_SA_MSG_SHARE_KEYS);
	CAIRN_T_PASS(crn_sa_shares_decode(&sh, r.type, r.data, r.len));
	*cnt = sh.count;
	for (uint32_t j = 0; j < sh.count; j++)
		out[j] = sh.v[j].to; /* in the order of the sorted neighbours */
	crn_sa_shares_fini(&sh);
	msg_fini(&r);
}

/* Whether g and h give node u the same neighbours. */
static bool
same_nbhd(arena *a, const crn_graph *g, const crn_graph *h, uint32_t u)
{
	uint32_t *x = crn_alloc(2 * (size_t)a->k * sizeof(*x));
	size_t cx = 0, cy = 0;
	bool same;

	assert_non_null(x);
	CAIRN_T_PASS(crn_graph_neighbours_of(g, u, x, a->k, &cx));
	CAIRN_T_PASS(crn_graph_neighbours_of(h, u, x + a->k, a->k, &cy));
	same = cx == cy && memcmp(x, x + a->k, cx * sizeof(*x)) == 0;
	crn_free(x, 2 * (size_t)a->k * sizeof(*x));
	return same;
}

/* One roster the coordinator considers (advertiser j left out): the
 * victim its prediction favours and that victim's corrupt neighbours,
 * predicted (*pred) and in the graph the nodes will build from the
 * contributions they reveal (*real).  False when the prediction gave u
 * the same neighbourhood as the real graph. */
static bool
grind_try(arena *a, const bool *corrupt, uint32_t j, uint32_t *u,
    uint32_t *pred, uint32_t *real)
{
	bool excl[101];
	uint8_t(*r)[CAIRN_KEY_LEN] = crn_alloc(sizeof(excl) * sizeof(*r));
	crn_graph *g, *h;
	bool same;

	assert_non_null(r);
	memset(excl, 0, sizeof(excl));
	excl[j] = true;
	arena_seat(a, excl);
	a->nbuf = crn_alloc(((size_t)a->k + 1) * sizeof(*a->nbuf));
	assert_non_null(a->nbuf);
	/* What each node will reveal is fixed by its advertisement; the
	 * test knows it (key_schedule), the coordinator does not. */
	for (uint32_t i = 1; i <= a->n; i++) {
		keysched ks;

		key_schedule(a, P(a, i), &ks);
		memcpy(r[i - 1], ks.r, CAIRN_KEY_LEN);
		cairn_memzero(&ks, sizeof(ks));
	}
	g = graph_with(a, corrupt, NULL, false);
	h = graph_with(a, corrupt, (const uint8_t(*)[CAIRN_KEY_LEN])r, true);
	*pred = best_victim(a, g, corrupt, u);
	*real = corrupt_nbrs(a, h, corrupt, *u);
	same = same_nbhd(a, g, h, *u);
	crn_graph_free(g);
	crn_graph_free(h);
	crn_free(r, sizeof(excl) * sizeof(*r));
	return !same;
}

/*
 * 101 advertisers, 5 corrupt, malicious nodes.  The coordinator tries
 * rosters that leave one honest advertiser out and, for each, computes
 * the graph as far as it can before anyone reveals (its colluders'
 * contributions, a guess for the honest ones) and the honest node with
 * the most corrupt neighbours.  For none of 40 rosters is that node's
 * neighbourhood the one in the graph the nodes build; the roster it
 * picks is then run, and the nodes' graph (read from the recipients of
 * the victim's shares) is the real one, not the predicted one.
 */
static void
test_grind_roster(void **state)
{
	arena_cfg cfg = {101, true, 0, 3, true, 80};
	bool corrupt[101], excl[101];
	uint32_t best = 0, best_j = 0, victim = 0, u, pred, real, hit = 0;
	uint32_t real_sum = 0, tries = 0, got, *nb;
	size_t cnt = 0;
	arena a;

	(void)state;
	memset(corrupt, 0, sizeof(corrupt));
	for (uint32_t i = 0; i < 5; i++)
		corrupt[7 + 20 * i] = true;
	arena_new(&a, &cfg);
	for (uint32_t j = 0; j < 45 && tries < 40; j++) {
		if (corrupt[j])
			continue;
		tries++;
		hit += !grind_try(&a, corrupt, j, &u, &pred, &real);
		real_sum += real;
		if (pred > best) {
			best = pred;
			best_j = j;
			victim = u;
		}
	}
	CAIRN_T_EQ(hit, 0);
	memset(excl, 0, sizeof(excl));
	excl[best_j] = true;
	arena_seat(&a, excl);
	got = arena_reveal(&a);
	CAIRN_T_EQ(got, a.n);
	arena_graph(&a);
	nb = crn_alloc((size_t)a.k * sizeof(*nb));
	assert_non_null(nb);
	node_neighbours(&a, victim, nb, &cnt);
	CAIRN_T_EQ(cnt, a.k);
	CAIRN_T_PASS(crn_graph_neighbours_of(a.g, victim, a.nbuf, a.k, &cnt));
	assert_memory_equal(nb, a.nbuf, cnt * sizeof(*nb));
	real = corrupt_nbrs(&a, a.g, corrupt, victim);
	printf("[attack] grinding the roster, %u rosters, 5 of 101 corrupt: best prediction node %u with %u corrupt neighbours; in the nodes' graph it has %u (mean over the tries' favourites %.2f; S2 needs %u)\n",
	    tries, victim, best, real, (double)real_sum / tries,
	    2 * a.t - a.k - 1);
	assert_true(real < best);
	crn_free(nb, (size_t)a.k * sizeof(*nb));
	arena_fini(&a);
}

/* GraphSeeds with contribution j (1-based; 0 none) flipped, the count
 * changed by `dn`, or two entries swapped (`swap`). */
static void
seeds_bad(arena *a, uint32_t j, int dn, bool swap, msg *m)
{
	uint8_t(*r)[CAIRN_KEY_LEN] = arena_contribs(a);
	uint8_t(*big)[CAIRN_KEY_LEN] =
	    crn_zalloc(((size_t)a->n + 1) * sizeof(*big));

	assert_non_null(big);
	memcpy(big, r, (size_t)a->n * sizeof(*r));
	if (j != 0)
		big[j - 1][j % CAIRN_KEY_LEN] ^= 0x01;
	if (swap) {
		memcpy(big[a->n], big[0], CAIRN_KEY_LEN);
		memcpy(big[0], big[1], CAIRN_KEY_LEN);
		memcpy(big[1], big[a->n], CAIRN_KEY_LEN);
	}
	seeds_make(a, (const uint8_t(*)[CAIRN_KEY_LEN])big,
	    (uint32_t)((int)a->n + dn), m, NULL);
	crn_free(r, (size_t)a->n * sizeof(*r));
	crn_free(big, ((size_t)a->n + 1) * sizeof(*big));
}

/* A fresh machine for node idx (same seed, same advertisement) that has
 * accepted the roster and revealed, then is handed m: its refusal. */
static cairn_err
fresh_try(arena *a, uint32_t idx, const msg *m, refusal *ref)
{
	crn_sa_node *node = NULL;
	msg adv = {0, NULL, 0}, r = {0, NULL, 0};
	cairn_err rv;

	CAIRN_T_PASS(party_start(a, P(a, idx), &node, &adv));
	assert_true(adv.len == P(a, idx)->adv.len &&
	    memcmp(adv.data, P(a, idx)->adv.data, adv.len) == 0);
	CAIRN_T_PASS(node_try(node, &a->rmsg, &r, NULL));
	CAIRN_T_EQ(r.type, CRN_SA_MSG_SEED_REVEAL);
	memset(ref, 0, sizeof(*ref));
	rv = node_try(node, m, &r, ref);
	msg_fini(&adv);
	msg_fini(&r);
	crn_sa_node_free(node);
	return rv;
}

/* Nine malicious nodes: a GraphSeeds with any one contribution changed,
 * one missing, one extra or two swapped is refused by whoever gets it;
 * the genuine one is accepted. */
static void
test_seeds_tamper(void **state)
{
	arena_cfg cfg = {9, true, 0, 3, true, 90};
	refusal ref;
	msg m = {0, NULL, 0};
	arena a;

	(void)state;
	arena_new(&a, &cfg);
	CAIRN_T_EQ(arena_open(&a), 9);
	CAIRN_T_PASS(fresh_try(&a, 1, &a.smsg, &ref));
	for (uint32_t j = 1; j <= a.n; j++) {
		seeds_bad(&a, j, 0, false, &m);
		CAIRN_T_EQ(fresh_try(&a, 1 + j % a.n, &m, &ref), CAIRN_EPROTO);
		assert_non_null(strstr(
		    ref.reason, "a graph seed does not match its commitment"));
	}
	seeds_bad(&a, 0, 0, true, &m);
	CAIRN_T_EQ(fresh_try(&a, 3, &m, &ref), CAIRN_EPROTO);
	assert_non_null(strstr(ref.reason, "does not match its commitment"));
	for (int dn = -1; dn <= 1; dn += 2) {
		seeds_bad(&a, 0, dn, false, &m);
		CAIRN_T_EQ(fresh_try(&a, 4, &m, &ref), CAIRN_EPROTO);
		assert_non_null(
		    strstr(ref.reason, "graph seeds for another roster"));
	}
	printf("[attack] seeds tampering, n=9: each of 9 changed contributions, a swap, a missing and an extra one refused\n");
	msg_fini(&m);
	arena_fini(&a);
}

/*
 * 100 malicious nodes, 5 corrupt.  The coordinator holds every reveal
 * but the last honest node z's and grinds z's contribution until the
 * graph gives some honest node all 5 corrupt nodes as neighbours.  It can
 * compute that graph, but not make anyone build it: every node refuses
 * the seeds it ground.
 */
static void
test_grind_last_reveal(void **state)
{
	arena_cfg cfg = {100, true, 0, 3, true, 91};
	bool corrupt[100];
	uint8_t(*r)[CAIRN_KEY_LEN];
	uint32_t z, tries = 0, v = 0, best = 0, refused = 0;
	msg m = {0, NULL, 0};
	arena a;

	(void)state;
	memset(corrupt, 0, sizeof(corrupt));
	for (uint32_t i = 0; i < 5; i++)
		corrupt[3 + 19 * i] = true;
	arena_new(&a, &cfg);
	v = arena_open(&a);
	CAIRN_T_EQ(v, a.n);
	z = corrupt[a.n - 1] ? a.n - 1 : a.n;
	r = arena_contribs(&a);
	while (best < 5 && tries < 5000) {
		crn_graph *g;

		memcpy(r[z - 1], &tries, sizeof(tries));
		tries++;
		g = graph_with(&a, corrupt, (const uint8_t(*)[32])r, true);
		best = best_victim(&a, g, corrupt, &v);
		crn_graph_free(g);
	}
	CAIRN_T_EQ(best, 5);
	seeds_make(&a, (const uint8_t(*)[CAIRN_KEY_LEN])r, a.n, &m, NULL);
	for (uint32_t i = 1; i <= a.n; i++) {
		msg out = {0, NULL, 0};

		if (feed(&a, P(&a, i), &m, &out) != CAIRN_OK)
			refused++;
		msg_fini(&out);
	}
	CAIRN_T_EQ(refused, a.n);
	CAIRN_T_EQ(expect_only(&a, NULL, CRN_SA_MSG_GRAPH_SEEDS, CAIRN_EPROTO,
	               "a graph seed does not match its commitment"),
	    a.n);
	printf("[attack] grinding the last contribution: %u tries to put all 5 corrupt nodes around node %u; all %u nodes refuse those seeds\n",
	    tries, v, a.n);
	crn_free(r, (size_t)a.n * sizeof(*r));
	msg_fini(&m);
	arena_fini(&a);
}

/* ---- the real coordinator: withheld reveal, one bad share --------------- */

typedef struct hookarg {
	uint32_t slot; /* whose message to touch */
	uint32_t type; /* which */
	bool drop;     /* lose it, else shift shares */
	bool all;      /* every share it reveals, else its second one */
} hookarg;

/* Shift share v[i] of an Unmask message by one (the liar's lie). */
static void
shift_shares(uint8_t **data, size_t *len, bool all)
{
	crn_sa_unmask u;
	crn_shamir_share sh;

	CAIRN_T_PASS(crn_sa_unmask_decode(&u, *data, *len));
	assert_true(u.count >= 2);
	for (uint32_t i = all ? 0 : 1; i < (all ? u.count : 2); i++) {
		CAIRN_T_PASS(crn_shamir_share_decode(&sh, u.v[i].share));
		sh.y[0] = sh.y[0] == 0 ? 1 : sh.y[0] - 1;
		crn_shamir_share_encode(u.v[i].share, &sh);
	}
	crn_free(*data, *len);
	CAIRN_T_PASS(crn_sa_unmask_encode(data, len, &u));
	crn_sa_unmask_fini(&u);
}

static crn_sa_verdict
hook(void *arg, uint32_t from, uint32_t to, uint32_t type, uint8_t **data,
    size_t *len)
{
	const hookarg *h = arg;

	if (from != h->slot || to != 0 || type != h->type)
		return CRN_SA_PASS;
	if (h->drop)
		return CRN_SA_DROP;
	shift_shares(data, len, h->all);
	return CRN_SA_PASS;
}

static crn_sa_world *
world_of(hookarg *h, uint8_t tag)
{
	crn_sa_world_cfg wc;
	crn_sa_world *w = NULL;

	memset(&wc, 0, sizeof(wc));
	wc.nodes = 7;
	wc.dim = DIM;
	wc.ring_bits = RING;
	wc.threshold = 5; /* floor(2n/3) + 1 */
	wc.seed[0] = tag;
	wc.malicious = true;
	wc.coordinator = wc.autorun = wc.sorted = wc.keep = true;
	wc.hook = hook;
	wc.hook_arg = h;
	CAIRN_T_PASS(crn_sa_world_new(&w, &wc));
	return w;
}

/* A reveal that never arrives: the real coordinator aborts at the
 * round's deadline and nobody ever gets graph seeds. */
static void
test_withheld_reveal_aborts(void **state)
{
	hookarg h = {4, CRN_SA_MSG_SEED_REVEAL, true, false};
	crn_sa_world *w = world_of(&h, 1);
	crn_sa_abort ab;

	(void)state;
	CAIRN_T_PASS(crn_sa_world_run(w));
	assert_true(crn_sa_world_aborted(w, &ab));
	assert_non_null(
	    strstr(ab.reason, "did not reveal its graph-seed share"));
	for (uint32_t s = 1; s <= 7; s++) {
		assert_null(crn_sa_world_got(w, s, CRN_SA_MSG_GRAPH_SEEDS));
		assert_non_null(crn_sa_world_got(w, s, CRN_SA_MSG_ABORT));
	}
	printf("[attack] withheld reveal: %s\n", ab.reason);
	crn_sa_world_free(w);
}

/* Seven malicious nodes and the real coordinator; node 1 (which answers
 * first, so its shares are among the first t tried) lies about one share
 * of a neighbour, then about every share it reveals.  The sum is exact
 * and each lie about a neighbour's share is counted. */
static void
test_one_bad_share(void **state)
{
	(void)state;
	for (int all = 0; all < 2; all++) {
		hookarg h = {1, CRN_SA_MSG_UNMASK, false, all != 0};
		crn_sa_world *w = world_of(&h, (uint8_t)(2 + all));
		uint32_t slots[7] = {1, 2, 3, 4, 5, 6, 7};
		uint64_t want[DIM];
		const uint8_t *sum;
		size_t len = 0;
		uint32_t liars;

		CAIRN_T_PASS(crn_sa_world_run(w));
		assert_false(crn_sa_world_aborted(w, NULL));
		sum = crn_sa_world_sum(w, &len);
		crn_sa_world_plain_sum(w, slots, 7, (uint8_t *)want);
		assert_non_null(sum);
		CAIRN_T_EQ(len, sizeof(want));
		assert_memory_equal(sum, want, sizeof(want));
		liars = crn_sa_coord_liars(crn_sa_world_coord(w));
		printf("[attack] %s: exact sum, liars counted %u\n",
		    all ? "node 1 lies about every share"
		        : "node 1 lies about one share",
		    liars);
		CAIRN_T_EQ(liars, all ? 6 : 1);
		crn_sa_world_free(w);
	}
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_control_recovers),
    cmocka_unit_test(test_control_honest_hides),
    cmocka_unit_test(test_control_tight_sparse),
    cmocka_unit_test(test_control_tight_complete),
    cmocka_unit_test(test_control_semi_honest_one_colluder),
    cmocka_unit_test(test_finding1_n100),
    cmocka_unit_test(test_finding1_n100_min50),
    cmocka_unit_test(test_finding1_n300_min50),
    cmocka_unit_test(test_finding2_complete),
    cmocka_unit_test(test_malicious_complete_bound),
    cmocka_unit_test(test_malicious_sparse),
    cmocka_unit_test(test_large_finding1_n1000),
    cmocka_unit_test(test_large_malicious_sparse_n300),
    cmocka_unit_test(test_grind_roster),
    cmocka_unit_test(test_seeds_tamper),
    cmocka_unit_test(test_grind_last_reveal),
    cmocka_unit_test(test_withheld_reveal_aborts),
    cmocka_unit_test(test_one_bad_share),
};

CAIRN_TEST_MAIN(tests)
