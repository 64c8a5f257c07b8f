/*
 * secagg_sim.c — one whole secure-aggregation session in one process, for
 * property tests and `cairn sim secagg`: real node and coordinator
 * machines, every message through its serialized bytes, nodes certified by
 * a sim authority, chosen nodes going silent at a chosen round, and a
 * deadline whenever nobody has anything left to send.  Each party is timed
 * separately; the median node's crypto floor is timed alone afterwards
 * from the operation counts its machine reports.
 */
#include <stdlib.h>
#include <string.h>

#include "crn.h"
#include "crn_crypto.h"
#include "crn_prg.h"
#include "secagg.h"

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
	crn_identity *authority;
	uint8_t auth_pk[CAIRN_SIGN_PK_LEN];
	uint8_t *inbuf, *plain, *sum;
	size_t vlen, sum_len;
	uint32_t delivered; /* masked inputs delivered */
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
	case CRN_SA_MSG_SEED_REVEAL: return CRN_SA_R_REVEAL;
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

/* One message of node `slot` to the coordinator. */
static cairn_err
sim_deliver(sim *s, uint32_t slot, const crn_sa_action *x)
{
	crn_sa_actions ca;
	cairn_err rv;
	double t0;

	if (x->type == CRN_SA_MSG_MASKED_INPUT) {
		/* This input goes into the sum: add it to the plain sum
		 * too, timing just the addition. */
		t0 = sim_now(s);
		crn_sa_ring_add(
		    s->plain, s->inbuf, s->cfg->dim, s->cfg->ring_bits);
		s->res->plain_sum_s += sim_now(s) - t0;
		s->delivered++;
	}
	crn_sa_actions_init(&ca);
	t0 = sim_now(s);
	/* Refusals are the session's business (they show in the actions);
	 * only our own failures stop the simulation. */
	rv = sim_fatal(crn_sa_coord_recv(
	    s->coord, slot, x->type, x->data, x->len, &ca));
	s->res->coord_s += sim_now(s) - t0;
	if (rv == CAIRN_OK)
		rv = sim_coord_actions(s, &ca);
	crn_sa_actions_fini(&ca);
	return rv;
}

/* Route what node `slot` wants to send to the coordinator. */
static cairn_err
sim_node_actions(sim *s, uint32_t slot, crn_sa_actions *a)
{
	sim_node *sn = &s->nodes[slot - 1];
	cairn_err rv = CAIRN_OK;

	for (size_t i = 0; i < a->count && rv == CAIRN_OK; i++) {
		const crn_sa_action *x = &a->v[i];

		if (x->kind != CRN_SA_ACT_SEND)
			continue;
		if (sn->drops && x->type != CRN_SA_MSG_ABORT &&
		    round_of_msg(x->type) == s->cfg->drop_at) {
			sn->gone = true;
			return CAIRN_OK;
		}
		sn->sent += x->len;
		rv = sim_deliver(s, slot, x);
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

/* The droppers: the first ndrop of a random permutation. */
static cairn_err
pick_droppers(sim *s, crn_drbg *rng)
{
	uint32_t n = s->cfg->nodes, *perm;

	if ((perm = crn_alloc((size_t)n * sizeof(*perm))) == NULL)
		return CAIRN_ENOMEM;
	for (uint32_t i = 0; i < n; i++)
		perm[i] = i;
	for (uint32_t i = 0; i < s->cfg->ndrop; i++) {
		uint32_t j = i + (uint32_t)crn_drbg_uniform(rng, n - i);
		uint32_t tmp = perm[i];

		perm[i] = perm[j];
		perm[j] = tmp;
		s->nodes[perm[i]].drops = true;
	}
	crn_free(perm, (size_t)n * sizeof(*perm));
	return CAIRN_OK;
}

static cairn_err
make_node(sim *s, uint32_t i, crn_drbg *rng, const uint8_t sid[16])
{
	const crn_sa_sim_cfg *cfg = s->cfg;
	crn_sa_node_cfg nc;
	uint8_t seed[CAIRN_SEED_LEN];
	cairn_err rv;

	memset(&nc, 0, sizeof(nc));
	crn_drbg_bytes(rng, seed, sizeof(seed));
	rv = crn_identity_from_seed(&s->nodes[i].id, seed);
	cairn_memzero(seed, sizeof(seed));
	if (rv != CAIRN_OK)
		return rv;
	nc.id = s->nodes[i].id;
	crn_drbg_bytes(rng, nc.seed, sizeof(nc.seed));
	memcpy(nc.session_id, sid, CAIRN_SESSION_ID_LEN);
	nc.ring_bits = cfg->ring_bits;
	nc.dim = cfg->dim;
	nc.min_participants = cfg->min_participants ? cfg->min_participants : 2;
	/* Issued before any node starts. */
	nc.cert = s->nodes[i].cert;
	nc.cert_len = sizeof(s->nodes[i].cert);
	nc.verify_peer = crn_sa_simcert_verify;
	nc.verify_arg = s->auth_pk;
	nc.corrupt_frac = cfg->corrupt_frac;
	nc.dropout_frac = cfg->dropout_frac;
	nc.malicious = cfg->malicious;
	rv = crn_sa_node_new(&s->nodes[i].m, &nc);
	cairn_memzero(&nc, sizeof(nc));
	if (rv == CAIRN_OK)
		crn_drbg_bytes(rng, s->nodes[i].in_seed, CAIRN_SEED_LEN);
	return rv;
}

/* The coordinator, every node and the sim authority certifying them. */
static cairn_err
sim_setup(sim *s, crn_drbg *rng)
{
	const crn_sa_sim_cfg *cfg = s->cfg;
	crn_sa_coord_cfg cc;
	uint8_t seed[CAIRN_SEED_LEN];
	cairn_err rv;

	memset(&cc, 0, sizeof(cc));
	crn_drbg_bytes(rng, cc.params.session_id, CAIRN_SESSION_ID_LEN);
	cc.params.threshold = cfg->threshold;
	cc.params.ring_bits = cfg->ring_bits;
	cc.params.dim = cfg->dim;
	cc.params.degree = cfg->degree;
	cc.nslots = cfg->nodes;
	if ((rv = crn_sa_coord_new(&s->coord, &cc)) != CAIRN_OK ||
	    (rv = pick_droppers(s, rng)) != CAIRN_OK)
		return rv;
	for (uint32_t i = 0; i < cfg->nodes; i++)
		if ((rv = make_node(s, i, rng, cc.params.session_id)) !=
		    CAIRN_OK)
			return rv;
	crn_drbg_bytes(rng, seed, sizeof(seed));
	rv = crn_identity_from_seed(&s->authority, seed);
	cairn_memzero(seed, sizeof(seed));
	if (rv != CAIRN_OK)
		return rv;
	crn_identity_public(s->authority, s->auth_pk);
	for (uint32_t i = 0; i < cfg->nodes && rv == CAIRN_OK; i++) {
		uint8_t pk[CAIRN_SIGN_PK_LEN];

		crn_identity_public(s->nodes[i].id, pk);
		rv = crn_sa_simcert_issue(s->nodes[i].cert, s->authority, pk);
	}
	return rv;
}

/* Round 0 everywhere, then deadlines until the session ends. */
static cairn_err
sim_drive(sim *s)
{
	cairn_err rv = CAIRN_OK;

	for (uint32_t i = 0; i < s->cfg->nodes && rv == CAIRN_OK; i++) {
		crn_sa_actions na;
		double t0;

		crn_sa_actions_init(&na);
		t0 = sim_now(s);
		rv = crn_sa_node_start(s->nodes[i].m, &na);
		s->nodes[i].secs += sim_now(s) - t0;
		if (rv == CAIRN_OK)
			rv = sim_node_actions(s, i + 1, &na);
		crn_sa_actions_fini(&na);
	}
	for (int r = 0; rv == CAIRN_OK && r < 10 && s->sum == NULL &&
	     s->res->abort.reason[0] == '\0';
	     r++) {
		crn_sa_actions ca;
		double t0;

		crn_sa_actions_init(&ca);
		t0 = sim_now(s);
		rv = sim_fatal(crn_sa_coord_deadline(s->coord, &ca));
		s->res->coord_s += sim_now(s) - t0;
		if (rv == CAIRN_OK)
			rv = sim_coord_actions(s, &ca);
		crn_sa_actions_fini(&ca);
	}
	return rv;
}

/*
 * The crypto floor of one node: the operations its machine counted,
 * timed alone — X25519 (as agreements), Ed25519 verifications and
 * signatures, and mask keystream added into a vector.
 */
static cairn_err
time_floor(sim *s, const crn_sa_node_stats *st, double *out)
{
	uint8_t sk[32], pk[32], key[32], sig[CAIRN_SIG_LEN], msg[64] = {0};
	crn_kx_keypair kp;
	double t0 = sim_now(s);
	cairn_err rv = CAIRN_OK;

	memset(sk, 0x42, sizeof(sk));
	crn_kx_keypair_from_seed(&kp, sk);
	memcpy(pk, kp.pk, sizeof(pk));
	for (uint32_t i = 0; i < st->x25519 && rv == CAIRN_OK; i++)
		rv = crn_kx_agree(key, kp.sk, pk);
	for (uint32_t i = 0; i < st->signs && rv == CAIRN_OK; i++)
		rv = crn_identity_sign(s->authority, msg, sizeof(msg), sig);
	for (uint32_t i = 0; i < st->verifies && rv == CAIRN_OK; i++)
		rv = crn_sign_verify(s->auth_pk, msg, sizeof(msg), sig);
	for (uint64_t e = 0; e < st->prg_elems && rv == CAIRN_OK;
	     e += s->cfg->dim)
		rv = crn_prg_add(s->inbuf, s->cfg->dim, s->cfg->ring_bits, key,
		    0);
	*out = sim_now(s) - t0;
	cairn_memzero(&kp, sizeof(kp));
	cairn_memzero(key, sizeof(key));
	return rv;
}

static int
cmp_node_secs(const void *a, const void *b)
{
	const sim_node *x = *(sim_node *const *)a, *y = *(sim_node *const *)b;

	return cmp_double(&x->secs, &y->secs);
}

/* Per-node figures over the nodes that stayed to the end (all of them if
 * none did), and the median one's crypto floor. */
static cairn_err
sim_figures(sim *s)
{
	uint32_t n = s->cfg->nodes, k = 0;
	sim_node **v;
	crn_sa_node_stats st;
	uint64_t bmax = 0;
	cairn_err rv;

	if ((v = crn_alloc((size_t)n * sizeof(*v))) == NULL)
		return CAIRN_ENOMEM;
	for (uint32_t i = 0; i < n; i++)
		if (!s->nodes[i].drops || s->cfg->ndrop == n)
			v[k++] = &s->nodes[i];
	qsort(v, k, sizeof(*v), cmp_node_secs);
	s->res->node_s_median = v[k / 2]->secs;
	s->res->node_s_p99 = v[(k * 99) / 100]->secs;
	s->res->node_s_max = v[k - 1]->secs;
	for (uint32_t i = 0; i < k; i++)
		bmax = v[i]->sent > bmax ? v[i]->sent : bmax;
	s->res->node_bytes_median = v[k / 2]->sent;
	s->res->node_bytes_max = bmax;
	crn_sa_node_get_stats(v[k / 2]->m, &st);
	rv = s->cfg->clock != NULL ? time_floor(s, &st, &s->res->node_floor_s)
	                           : CAIRN_OK;
	crn_free(v, (size_t)n * sizeof(*v));
	return rv;
}

static void
sim_free(sim *s)
{
	if (s->nodes != NULL)
		for (uint32_t i = 0; i < s->cfg->nodes; i++) {
			crn_sa_node_free(s->nodes[i].m);
			crn_identity_free(s->nodes[i].id);
		}
	crn_free(s->nodes, (size_t)s->cfg->nodes * sizeof(*s->nodes));
	crn_identity_free(s->authority);
	crn_sa_coord_free(s->coord);
	crn_free(s->inbuf, s->vlen);
	crn_free(s->plain, s->vlen);
	crn_free(s->sum, s->sum_len);
}

cairn_err
crn_sa_sim_run(const crn_sa_sim_cfg *cfg, crn_sa_sim_result *res)
{
	sim s;
	crn_drbg rng;
	cairn_err rv = CAIRN_ENOMEM;

	memset(res, 0, sizeof(*res));
	memset(&s, 0, sizeof(s));
	if (cfg->nodes < 2 || cfg->nodes > CRN_SA_MAX_NODES ||
	    cfg->ndrop > cfg->nodes || cfg->drop_at > CRN_SA_R_UNMASK)
		return CAIRN_EINVAL;
	s.cfg = cfg;
	s.res = res;
	res->nodes = cfg->nodes;
	s.vlen = (size_t)cfg->dim * (cfg->ring_bits / 8);
	res->plain_bytes = s.vlen;
	crn_drbg_init(&rng, cfg->seed);
	s.nodes = crn_zalloc((size_t)cfg->nodes * sizeof(*s.nodes));
	s.inbuf = crn_alloc(s.vlen);
	s.plain = crn_zalloc(s.vlen);
	if (s.nodes == NULL || s.inbuf == NULL || s.plain == NULL ||
	    (rv = sim_setup(&s, &rng)) != CAIRN_OK ||
	    (rv = sim_drive(&s)) != CAIRN_OK)
		goto out;
	res->coord_bytes_rx = crn_sa_coord_bytes_received(s.coord);
	res->survivors = s.delivered;
	if (s.sum != NULL) {
		res->finished = true;
		res->correct =
		    s.sum_len == s.vlen && memcmp(s.sum, s.plain, s.vlen) == 0;
	}
	rv = sim_figures(&s);
out:
	sim_free(&s);
	crn_drbg_fini(&rng);
	return rv;
}
