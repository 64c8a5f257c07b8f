/*
 * sim.c — the one-process simulation of a secure-aggregation round
 * (crn_sa_sim_run, declared in secagg.h): one coordinator machine and n
 * node machines wired together in memory, with dropouts and timing.
 * Moved verbatim out of secagg_coord.c.
 */
#include <stdlib.h>
#include <string.h>

#include "base/crn.h"
#include "crypto/crypto.h"
#include "crypto/prg.h"
#include "secagg/ring.h"
#include "secagg/secagg.h"

/* ---- one-process simulation --------------------------------------------- */

typedef struct sim_node {
	crn_identity *id;
	crn_sa_node *m;
	uint8_t in_seed[CAIRN_SEED_LEN];
	uint8_t cert[CRN_SA_SIMCERT_LEN]; /* from the sim authority */
	bool drops;                       /* goes silent at cfg->drop_at */
	bool gone;
	double secs;
	uint64_t sent;
} sim_node;

typedef struct sim {
	const crn_sa_sim_cfg *cfg;
	crn_sa_sim_result *res;
	crn_sa_coord *coord;
	sim_node *nodes;
	uint8_t *inbuf, *plain, *sum;
	size_t vlen, sum_len;
	uint32_t delivered; /* masked inputs delivered */
	int depth;
} sim;

static double
sim_now(const sim *s)
{
	return s->cfg->clock != NULL ? s->cfg->clock() : 0.0;
}

static crn_sa_round
round_of_msg(uint32_t type)
{
	switch (type) {
	case CRN_SA_MSG_ADVERTISE: return CRN_SA_R_ADVERTISE;
	case CRN_SA_MSG_SHARE_KEYS: return CRN_SA_R_SHARE;
	case CRN_SA_MSG_MASKED_INPUT: return CRN_SA_R_MASKED;
	case CRN_SA_MSG_CONSISTENCY_SIG: return CRN_SA_R_CONSISTENCY;
	default: return CRN_SA_R_UNMASK;
	}
}

static cairn_err sim_coord_actions(sim *s, crn_sa_actions *a);

static cairn_err
sim_fatal(cairn_err e)
{
	return (e == CAIRN_ENOMEM || e == CAIRN_EINTERNAL) ? e : CAIRN_OK;
}

/* Route what node `slot` wants to send to the coordinator. */
static cairn_err
sim_node_actions(sim *s, uint32_t slot, crn_sa_actions *a)
{
	sim_node *sn = &s->nodes[slot - 1];
	cairn_err rv = CAIRN_OK;

	for (size_t i = 0; i < a->count && rv == CAIRN_OK; i++) {
		const crn_sa_action *x = &a->v[i];
		crn_sa_actions ca;
		double t0;

		if (x->kind != CRN_SA_ACT_SEND)
			continue;
		if (sn->drops && x->type != CRN_SA_MSG_ABORT &&
		    round_of_msg(x->type) == s->cfg->drop_at) {
			sn->gone = true;
			return CAIRN_OK;
		}
		sn->sent += x->len;
		if (x->type == CRN_SA_MSG_MASKED_INPUT) {
			/* This input goes into the sum: add it to the plain
			 * sum too, timing just the addition. */
			t0 = sim_now(s);
			crn_sa_ring_add(
			    s->plain, s->inbuf, s->cfg->dim, s->cfg->ring_bits);
			s->res->plain_sum_s += sim_now(s) - t0;
			s->delivered++;
		}
		crn_sa_actions_init(&ca);
		t0 = sim_now(s);
		/* Refusals are the session's business (they show in the
		 * actions); only our own failures stop the simulation. */
		rv = sim_fatal(crn_sa_coord_recv(
		    s->coord, slot, x->type, x->data, x->len, &ca));
		s->res->coord_s += sim_now(s) - t0;
		if (rv == CAIRN_OK)
			rv = sim_coord_actions(s, &ca);
		crn_sa_actions_fini(&ca);
	}
	return rv;
}

static cairn_err
sim_to_node(
    sim *s, uint32_t slot, uint32_t type, const uint8_t *data, size_t len)
{
	sim_node *sn = &s->nodes[slot - 1];
	crn_sa_actions na;
	cairn_err rv;
	double t0;

	if (sn->gone)
		return CAIRN_OK;
	if (type == CRN_SA_MSG_SHARES_FWD) {
		if ((rv = crn_prg_expand(s->inbuf, s->cfg->dim,
		         s->cfg->ring_bits, sn->in_seed)) != CAIRN_OK)
			return rv;
		crn_sa_node_set_input(sn->m, s->inbuf);
	}
	crn_sa_actions_init(&na);
	t0 = sim_now(s);
	rv = sim_fatal(crn_sa_node_recv(sn->m, type, data, len, &na));
	sn->secs += sim_now(s) - t0;
	if (rv == CAIRN_OK)
		rv = sim_node_actions(s, slot, &na);
	crn_sa_actions_fini(&na);
	return rv;
}

static cairn_err
sim_coord_actions(sim *s, crn_sa_actions *a)
{
	cairn_err rv = CAIRN_OK;

	for (size_t i = 0; i < a->count && rv == CAIRN_OK; i++) {
		crn_sa_action *x = &a->v[i];

		if (x->kind == CRN_SA_ACT_DONE) {
			s->sum = x->data;
			s->sum_len = x->len;
			x->data = NULL;
			x->len = 0;
		} else if (x->kind == CRN_SA_ACT_ABORT) {
			s->res->abort = x->abort;
		} else if (x->to_many != NULL) {
			for (size_t j = 0; j < x->n_many && rv == CAIRN_OK; j++)
				rv = sim_to_node(
				    s, x->to_many[j], x->type, x->data, x->len);
		} else {
			rv = sim_to_node(s, x->to, x->type, x->data, x->len);
		}
	}
	return rv;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

cairn_err
crn_sa_sim_run(const crn_sa_sim_cfg *cfg, crn_sa_sim_result *res)
{
	sim s;
	crn_drbg rng;
	crn_sa_coord_cfg cc;
	crn_identity *authority = NULL;
	uint8_t auth_pk[CAIRN_SIGN_PK_LEN];
	uint8_t seed[CAIRN_SEED_LEN];
	uint32_t *perm = NULL;
	double *secs = NULL;
	uint64_t *bytes = NULL;
	uint32_t n = cfg->nodes;
	cairn_err rv = CAIRN_EINTERNAL;

	memset(res, 0, sizeof(*res));
	memset(&s, 0, sizeof(s));
	if (n < 2 || n > CRN_SA_MAX_NODES || cfg->ndrop > n ||
	    cfg->drop_at > CRN_SA_R_UNMASK)
		return CAIRN_EINVAL;
	s.cfg = cfg;
	s.res = res;
	res->nodes = n;
	s.vlen = (size_t)cfg->dim * (cfg->ring_bits / 8);
	res->plain_bytes = s.vlen;
	crn_drbg_init(&rng, cfg->seed);

	memset(&cc, 0, sizeof(cc));
	crn_drbg_bytes(&rng, cc.params.session_id, CAIRN_SESSION_ID_LEN);
	crn_drbg_bytes(&rng, cc.params.graph_seed, 32);
	cc.params.threshold = cfg->threshold;
	cc.params.ring_bits = cfg->ring_bits;
	cc.params.dim = cfg->dim;
	cc.params.degree = cfg->degree;
	cc.nslots = n;
	if ((rv = crn_sa_coord_new(&s.coord, &cc)) != CAIRN_OK)
		goto out;
	s.nodes = crn_zalloc((size_t)n * sizeof(*s.nodes));
	s.inbuf = crn_alloc(s.vlen);
	s.plain = crn_zalloc(s.vlen);
	perm = crn_alloc((size_t)n * sizeof(*perm));
	secs = crn_alloc((size_t)n * sizeof(*secs));
	bytes = crn_alloc((size_t)n * sizeof(*bytes));
	if (s.nodes == NULL || s.inbuf == NULL || s.plain == NULL ||
	    perm == NULL || secs == NULL || bytes == NULL) {
		rv = CAIRN_ENOMEM;
		goto out;
	}
	/* The droppers: the first ndrop of a random permutation. */
	for (uint32_t i = 0; i < n; i++)
		perm[i] = i;
	for (uint32_t i = 0; i < cfg->ndrop; i++) {
		uint32_t j = i + (uint32_t)crn_drbg_uniform(&rng, n - i);
		uint32_t tmp = perm[i];

		perm[i] = perm[j];
		perm[j] = tmp;
		s.nodes[perm[i]].drops = true;
	}
	for (uint32_t i = 0; i < n; i++) {
		crn_sa_node_cfg nc;

		memset(&nc, 0, sizeof(nc));
		crn_drbg_bytes(&rng, seed, sizeof(seed));
		if ((rv = crn_identity_from_seed(&s.nodes[i].id, seed)) !=
		    CAIRN_OK)
			goto out;
		nc.id = s.nodes[i].id;
		crn_drbg_bytes(&rng, nc.seed, sizeof(nc.seed));
		memcpy(
		    nc.session_id, cc.params.session_id, CAIRN_SESSION_ID_LEN);
		nc.ring_bits = cfg->ring_bits;
		nc.dim = cfg->dim;
		nc.min_participants =
		    cfg->min_participants ? cfg->min_participants : 2;
		/* Issued below, before any node starts. */
		nc.cert = s.nodes[i].cert;
		nc.cert_len = sizeof(s.nodes[i].cert);
		nc.verify_peer = crn_sa_simcert_verify;
		nc.verify_arg = auth_pk;
		nc.corrupt_frac = cfg->corrupt_frac;
		nc.dropout_frac = cfg->dropout_frac;
		nc.malicious = cfg->malicious;
		rv = crn_sa_node_new(&s.nodes[i].m, &nc);
		cairn_memzero(&nc, sizeof(nc));
		if (rv != CAIRN_OK)
			goto out;
		crn_drbg_bytes(&rng, s.nodes[i].in_seed, CAIRN_SEED_LEN);
	}
	/* The sim authority certifies every node (drawn last, so the rest
	 * of the simulation is what it was before certificates). */
	crn_drbg_bytes(&rng, seed, sizeof(seed));
	if ((rv = crn_identity_from_seed(&authority, seed)) != CAIRN_OK)
		goto out;
	crn_identity_public(authority, auth_pk);
	for (uint32_t i = 0; i < n; i++) {
		uint8_t pk[CAIRN_SIGN_PK_LEN];

		crn_identity_public(s.nodes[i].id, pk);
		if ((rv = crn_sa_simcert_issue(
		         s.nodes[i].cert, authority, pk)) != CAIRN_OK)
			goto out;
	}
	/* Round 0 starts everywhere; from then on messages flow through
	 * the routing above, and a deadline closes each round that stalls
	 * because someone dropped. */
	for (uint32_t i = 0; i < n; i++) {
		crn_sa_actions na;
		double t0;

		crn_sa_actions_init(&na);
		t0 = sim_now(&s);
		rv = crn_sa_node_start(s.nodes[i].m, &na);
		s.nodes[i].secs += sim_now(&s) - t0;
		if (rv == CAIRN_OK)
			rv = sim_node_actions(&s, i + 1, &na);
		crn_sa_actions_fini(&na);
		if (rv != CAIRN_OK)
			goto out;
	}
	for (int r = 0; r < 8 && s.sum == NULL && res->abort.reason[0] == '\0';
	     r++) {
		crn_sa_actions ca;
		double t0;

		crn_sa_actions_init(&ca);
		t0 = sim_now(&s);
		rv = sim_fatal(crn_sa_coord_deadline(s.coord, &ca));
		res->coord_s += sim_now(&s) - t0;
		if (rv == CAIRN_OK)
			rv = sim_coord_actions(&s, &ca);
		crn_sa_actions_fini(&ca);
		if (rv != CAIRN_OK)
			goto out;
	}
	res->coord_bytes_rx = crn_sa_coord_bytes_received(s.coord);
	res->survivors = s.delivered;
	if (s.sum != NULL) {
		res->finished = true;
		res->correct =
		    s.sum_len == s.vlen && memcmp(s.sum, s.plain, s.vlen) == 0;
	}
	/* Per-node figures describe the nodes that stayed to the end
	 * (all of them if none did). */
	{
		uint32_t k = 0;

		for (uint32_t i = 0; i < n; i++) {
			if (s.nodes[i].drops && cfg->ndrop < n)
				continue;
			secs[k] = s.nodes[i].secs;
			bytes[k++] = s.nodes[i].sent;
		}
		qsort(secs, k, sizeof(*secs), cmp_double);
		qsort(bytes, k, sizeof(*bytes), cmp_u64);
		res->node_s_median = secs[k / 2];
		res->node_s_p99 = secs[(k * 99) / 100];
		res->node_s_max = secs[k - 1];
		res->node_bytes_median = bytes[k / 2];
		res->node_bytes_max = bytes[k - 1];
	}
	rv = CAIRN_OK;
out:
	if (s.nodes != NULL)
		for (uint32_t i = 0; i < n; i++) {
			crn_sa_node_free(s.nodes[i].m);
			crn_identity_free(s.nodes[i].id);
		}
	crn_free(s.nodes, (size_t)n * sizeof(*s.nodes));
	crn_identity_free(authority);
	crn_sa_coord_free(s.coord);
	crn_free(s.inbuf, s.vlen);
	crn_free(s.plain, s.vlen);
	crn_free(s.sum, s.sum_len);
	crn_free(perm, (size_t)n * sizeof(*perm));
	crn_free(secs, (size_t)n * sizeof(*secs));
	crn_free(bytes, (size_t)n * sizeof(*bytes));
	crn_drbg_fini(&rng);
	cairn_memzero(seed, sizeof(seed));
	return rv;
}
