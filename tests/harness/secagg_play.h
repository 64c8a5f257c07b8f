/*
 * secagg_play.h — helpers for the secure-aggregation tests on the
 * one-process world (core/secagg_world.h): worlds with the tests'
 * defaults, an honest coordinator stepped one round at a time, a
 * dishonest coordinator played by the test itself (tsa_play), corrupt
 * nodes whose secrets the test knows, and the coordinator's attempt to
 * unmask one node's input from whatever it collected.
 *
 * Every helper fails the running cmocka test on an unexpected error, so
 * tests read as the schedule they play.  Worlds made here are sorted
 * (slot i is roster index i), keep records and are not autorun.
 */
#ifndef CRN_HARNESS_SECAGG_PLAY_H
#define CRN_HARNESS_SECAGG_PLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/codec_secagg.h"
#include "crypto/shamir.h"
#include "secagg/graph.h"
#include "secagg/secagg.h"
#include "secagg/world.h"

typedef struct tsa_opts {
	uint32_t n, t, degree; /* degree 0: complete graph */
	uint32_t minp, max_nodes;
	uint64_t dim;  /* 0: 4 */
	uint32_t bits; /* 0: 64 */
	bool coordinator, malicious;
	uint8_t seed; /* the world's seed is this byte repeated */
	uint32_t max_rounds; /* chained sessions (crn_sa_world_cfg) */
	crn_sa_hook hook;
	void *hook_arg;
} tsa_opts;

crn_sa_world *tsa_world(const tsa_opts *o);
void tsa_start(crn_sa_world *w);
/* Deliver the oldest queued message of every slot once; how many. */
size_t tsa_step(crn_sa_world *w);
/* Step until something is queued and every non-empty queue starts with
 * a message of `type` (the honest rounds before it), passing the
 * coordinator's deadline whenever nothing is queued. */
void tsa_until(crn_sa_world *w, uint32_t type);
/* Give node slot a message of our own making (takes buf, a crn_alloc'd
 * buffer of len bytes); the node's own return. */
cairn_err tsa_give(
    crn_sa_world *w, uint32_t slot, uint32_t type, uint8_t *buf, size_t len);
bool tsa_sent(const crn_sa_world *w, uint32_t slot, uint32_t type);
/* Node slot sent an abort whose reason contains why. */
void tsa_refused(const crn_sa_world *w, uint32_t slot, const char *why);
/* The coordinator's sum equals the plain sum of the slots listed. */
void tsa_check_sum(const crn_sa_world *w, const uint32_t *slots, size_t count);
void tsa_check_sum_all(const crn_sa_world *w, uint32_t n);
/* The roster node slot received (decoded); the graph a roster and a
 * GraphSeeds message fix; the graph of what node slot received. */
void tsa_got_roster(const crn_sa_world *w, uint32_t slot, crn_sa_roster *r);
crn_graph *tsa_graph_of(
    const crn_sa_world *w, const crn_sa_roster *r, const crn_sa_wmsg *seeds);
crn_graph *tsa_got_graph(const crn_sa_world *w, uint32_t slot);
/* Give slot an UnmaskRequest for s with these signatures. */
cairn_err tsa_give_unmask(crn_sa_world *w, uint32_t slot,
    const crn_sa_survivors *s, const crn_sa_signed *sigs, uint32_t nsigs);
/* A survivor set of the listed indices (sorted here), or 1..n but
 * those with skip[i - 1].  Free with crn_sa_survivors_fini. */
void tsa_set(crn_sa_survivors *s, const uint32_t *idx, uint32_t count);
void tsa_set_but(crn_sa_survivors *s, uint32_t n, const bool *skip);

/* ---- a dishonest coordinator played by the test ------------------------ */

typedef struct tsa_play {
	crn_sa_world *w;
	uint32_t n;
	crn_sa_advertise *ads; /* per slot, as advertised */
	crn_sa_roster r;       /* the honest roster; parts copy ads */
	uint8_t digest[CAIRN_KEY_LEN];
	crn_sa_seeds sd; /* every contribution, once revealed */
	crn_graph *g;
	crn_sa_shares *keys; /* per slot: the ShareKeys it sent */
} tsa_play;

/* Start every node of w (made from o with coordinator = false) and
 * build the roster an honest coordinator would from their
 * advertisements, with o's threshold and degree. */
void tsa_play_init(tsa_play *p, crn_sa_world *w, const tsa_opts *o);
void tsa_play_fini(tsa_play *p);
cairn_err tsa_play_roster(tsa_play *p, uint32_t slot, const crn_sa_roster *r);
/* Collect every node's revealed contribution; fix the graph. */
void tsa_play_reveals(tsa_play *p);
cairn_err tsa_play_seeds(tsa_play *p, uint32_t slot, const crn_sa_seeds *sd);
/* Run every node honestly through roster, reveal and graph seeds. */
void tsa_play_to_shares(tsa_play *p);
/* Collect every ShareKeys sent; forward to slot the shares addressed to
 * it from the dealers d with from[d - 1] (NULL: all). */
void tsa_play_keys(tsa_play *p);
cairn_err tsa_play_forward(tsa_play *p, uint32_t slot, const bool *from);
/* Ask slot to sign s; on success *sig is its signature. */
cairn_err tsa_play_consistency(
    tsa_play *p, uint32_t slot, const crn_sa_survivors *s, crn_sa_signed *sig);
cairn_err tsa_play_unmask(tsa_play *p, uint32_t slot, const crn_sa_survivors *s,
    const crn_sa_signed *sigs, uint32_t nsigs);

/* ---- corrupt nodes and what the coordinator can rebuild ----------------- */

/* A node's session keys and self-mask seed as its machine derived them
 * from its seed (checked against its advertisement). */
void tsa_corrupt_keys(const crn_sa_world *w, uint32_t slot,
    const crn_sa_advertise *adv, crn_kx_keypair *ch, crn_kx_keypair *mk,
    uint8_t b[CAIRN_SEED_LEN]);
/* What a corrupt holder learns from the ciphertext a dealer sent it:
 * its shares of the dealer's b and mask key (false if it does not
 * open under this roster digest). */
bool tsa_corrupt_open(const tsa_play *p, uint32_t holder, uint32_t dealer,
    crn_shamir_share *sb, crn_shamir_share *ssk);
/* A corrupt node's consistency signature over any set. */
void tsa_corrupt_sign(const crn_sa_world *w, uint32_t slot,
    const uint8_t digest[CAIRN_KEY_LEN], const crn_sa_survivors *s,
    crn_sa_signed *sig);
/* Every share of owner's secret of `kind` the nodes revealed (their
 * UnmaskResponses), appended to out (room for cap); the new count. */
uint32_t tsa_revealed(const crn_sa_world *w, uint32_t n, uint32_t owner,
    uint32_t kind, crn_shamir_share *out, uint32_t count, uint32_t cap);
/*
 * The coordinator's attempt on node u's input: y_u minus PRG(b_u) and
 * minus the pairwise mask of every neighbour v in nb (count of them),
 * seed[i] being crn_sa_mask_seed of the pair (from either side's mask
 * secret key).  True when the result is x_u.
 */
bool tsa_unmask_input(const crn_sa_world *w, uint32_t u,
    const uint8_t b[CRN_SHAMIR_SECRET_LEN], const uint32_t *nb,
    const uint8_t (*seed)[CAIRN_SEED_LEN], size_t count);

#endif /* CRN_HARNESS_SECAGG_PLAY_H */
