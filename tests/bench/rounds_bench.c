/*
 * rounds_bench.c — what a later round of a multi-round job costs: the
 * secure-aggregation machines of n nodes and the coordinator in this one
 * process (every message serialized), a model's statistics vector (dim
 * elements of 128 bits), R rounds.  Baseline, in the same run: every
 * round a full session (fresh keys, key agreement, certificate checks),
 * as model rounds ran before chained sessions.  Compared: round 1 full,
 * rounds 2..R chained (crn_sa_node_next / crn_sa_coord_next).  Times are
 * the machines' own work summed over all parties (one core), not network
 * round trips; a chained round also needs 4 round trips instead of 6.
 * The last line is JSON.
 *
 *   bench_rounds_bench [rounds [dim]]
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/crn.h"
#include "crypto/init.h"
#include "secagg/world.h"

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
cfg_of(crn_sa_world_cfg *c, uint32_t n, uint64_t dim, uint32_t rounds,
    uint8_t seed)
{
	memset(c, 0, sizeof(*c));
	c->nodes = n;
	c->dim = dim;
	c->ring_bits = 128;
	c->threshold = 2 * n / 3 + 1;
	c->malicious = true;
	c->min_participants = 2;
	c->coordinator = true;
	c->autorun = false;
	c->max_rounds = rounds;
	memset(c->seed, seed, sizeof(c->seed));
}

static bool
finished(crn_sa_world *w)
{
	size_t len = 0;

	return crn_sa_world_sum(w, &len) != NULL && !crn_sa_world_aborted(w, NULL);
}

/* Seconds per round, full sessions: a new federation's session each
 * round (world construction, i.e. identities, not counted). */
static int
full_rounds(uint32_t n, uint64_t dim, uint32_t rounds, double *per)
{
	crn_sa_world_cfg c;
	double t = 0;

	for (uint32_t r = 1; r <= rounds; r++) {
		crn_sa_world *w = NULL;
		double t0;

		cfg_of(&c, n, dim, 1, (uint8_t)r);
		if (crn_sa_world_new(&w, &c) != CAIRN_OK)
			return -1;
		t0 = now();
		if (crn_sa_world_run(w) != CAIRN_OK || !finished(w)) {
			crn_sa_world_free(w);
			return -1;
		}
		t += now() - t0;
		crn_sa_world_free(w);
	}
	*per = t / rounds;
	return 0;
}

/* Round 1 full, then chained rounds: seconds of round 1 and per later
 * round. */
static int
chained_rounds(uint32_t n, uint64_t dim, uint32_t rounds, double *first,
    double *per)
{
	crn_sa_world_cfg c;
	crn_sa_world *w = NULL;
	double t0;
	int rc = -1;

	cfg_of(&c, n, dim, rounds, 0x77);
	if (crn_sa_world_new(&w, &c) != CAIRN_OK)
		return -1;
	t0 = now();
	if (crn_sa_world_run(w) != CAIRN_OK || !finished(w))
		goto out;
	*first = now() - t0;
	t0 = now();
	for (uint32_t r = 2; r <= rounds; r++)
		if (crn_sa_world_run_next(w, r) != CAIRN_OK || !finished(w))
			goto out;
	*per = (now() - t0) / (rounds - 1);
	rc = 0;
out:
	crn_sa_world_free(w);
	return rc;
}

int
main(int argc, char **argv)
{
	uint32_t rounds = argc > 1 ? (uint32_t)atoi(argv[1]) : 8;
	uint64_t dim = argc > 2 ? (uint64_t)atoll(argv[2]) : 80;
	const uint32_t ns[] = {3, 10};
	double full[2], first[2], later[2];

	if (rounds < 2 || dim == 0 || crn_crypto_init() != CAIRN_OK) {
		fprintf(stderr, "usage: bench_rounds_bench [rounds >= 2 [dim]]\n");
		return 2;
	}
	/* Warm up (page faults, CPU clock) before anything is timed. */
	if (full_rounds(3, dim, 2, &full[0]) != 0)
		return 1;
	for (size_t i = 0; i < 2; i++) {
		if (full_rounds(ns[i], dim, rounds, &full[i]) != 0 ||
		    chained_rounds(ns[i], dim, rounds, &first[i], &later[i]) !=
		        0) {
			fprintf(stderr, "rounds_bench: a session did not finish\n");
			return 1;
		}
		printf("%2u nodes, dim %llu, %u rounds: full session %.2f ms/round; chained: round 1 %.2f ms, later rounds %.2f ms/round (%.1fx cheaper)\n",
		    ns[i], (unsigned long long)dim, rounds, full[i] * 1e3,
		    first[i] * 1e3, later[i] * 1e3, full[i] / later[i]);
	}
	printf("{\"dim\": %llu, \"rounds\": %u, \"n3_full_ms\": %.3f, \"n3_chained_ms\": %.3f, \"n10_full_ms\": %.3f, \"n10_chained_ms\": %.3f}\n",
	    (unsigned long long)dim, rounds, full[0] * 1e3, later[0] * 1e3,
	    full[1] * 1e3, later[1] * 1e3);
	return 0;
}
