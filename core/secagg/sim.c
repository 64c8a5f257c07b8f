/*
 * secagg_sim.c — `cairn sim secagg` and the property tests: one whole
 * session in the shared one-process world (secagg_world.h), with chosen
 * nodes going silent at a chosen round through the world's hook, each
 * party timed separately, and the median node's crypto floor timed alone
 * afterwards from the operation counts its machine reports.
 */
#include <stdlib.h>
#include <string.h>

#include "base/crn.h"
#include "crypto/crypto.h"
#include "crypto/prg.h"
#include "secagg/secagg.h"
#include "secagg/world.h"

typedef struct sim {
	const crn_sa_sim_cfg *cfg;
	crn_sa_sim_result *res;
	crn_sa_world *w;
	bool *drops, *gone;
	uint32_t *delivered; /* slots whose masked input reached the sum */
	uint32_t ndelivered;
} sim;

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

/* The droppers go silent at drop_at and hear nothing afterwards. */
static crn_sa_verdict
sim_hook(void *arg, uint32_t from, uint32_t to, uint32_t type, uint8_t **data,
    size_t *len)
{
	sim *s = arg;

	(void)data;
	(void)len;
	if (from == 0)
		return s->gone[to - 1] ? CRN_SA_DROP : CRN_SA_PASS;
	if (s->gone[from - 1])
		return CRN_SA_DROP;
	if (s->drops[from - 1] && type != CRN_SA_MSG_ABORT &&
	    round_of_msg(type) == s->cfg->drop_at) {
		s->gone[from - 1] = true;
		return CRN_SA_DROP;
	}
	if (type == CRN_SA_MSG_MASKED_INPUT)
		s->delivered[s->ndelivered++] = from;
	return CRN_SA_PASS;
}

/* The droppers: the first ndrop of a random permutation. */
static cairn_err
pick_droppers(sim *s)
{
	uint32_t n = s->cfg->nodes, *perm;
	crn_drbg rng;
	uint8_t seed[CAIRN_SEED_LEN];

	if ((perm = crn_alloc((size_t)n * sizeof(*perm))) == NULL)
		return CAIRN_ENOMEM;
	/* Separate from the world's stream, but from the same seed. */
	if (crn_kdf(seed, sizeof(seed), s->cfg->seed, CAIRN_SEED_LEN,
	        (const uint8_t *)"cairn-sim-drops!", "sim-drops", 0) !=
	    CAIRN_OK) {
		crn_free(perm, (size_t)n * sizeof(*perm));
		return CAIRN_ECRYPTO;
	}
	crn_drbg_init(&rng, seed);
	for (uint32_t i = 0; i < n; i++)
		perm[i] = i;
	for (uint32_t i = 0; i < s->cfg->ndrop; i++) {
		uint32_t j = i + (uint32_t)crn_drbg_uniform(&rng, n - i);
		uint32_t tmp = perm[i];

		perm[i] = perm[j];
		perm[j] = tmp;
		s->drops[perm[i]] = true;
	}
	crn_drbg_fini(&rng);
	cairn_memzero(seed, sizeof(seed));
	crn_free(perm, (size_t)n * sizeof(*perm));
	return CAIRN_OK;
}

static double
sim_now(const sim *s)
{
	return s->cfg->clock != NULL ? s->cfg->clock() : 0.0;
}

/* The plain sum of the delivered inputs, timing just the additions;
 * *correct when it equals the coordinator's sum. */
static cairn_err
check_sum(sim *s)
{
	size_t vlen = (size_t)s->cfg->dim * (s->cfg->ring_bits / 8), len = 0;
	const uint8_t *sum = crn_sa_world_sum(s->w, &len);
	uint8_t *plain;

	if ((plain = crn_zalloc(vlen)) == NULL)
		return CAIRN_ENOMEM;
	for (uint32_t i = 0; i < s->ndelivered; i++) {
		const uint8_t *x = crn_sa_world_input(s->w, s->delivered[i]);
		double t0 = sim_now(s);

		crn_sa_ring_add(plain, x, s->cfg->dim, s->cfg->ring_bits);
		s->res->plain_sum_s += sim_now(s) - t0;
	}
	s->res->finished = sum != NULL;
	s->res->correct =
	    sum != NULL && len == vlen && memcmp(sum, plain, vlen) == 0;
	crn_free(plain, vlen);
	return CAIRN_OK;
}

/*
 * The crypto floor of one node: the operations its machine counted,
 * timed alone — X25519 (as agreements), Ed25519 verifications and
 * signatures, and mask keystream added into a vector.
 */
static cairn_err
time_floor(sim *s, const crn_sa_node_stats *st, double *out)
{
	size_t vlen = (size_t)s->cfg->dim * (s->cfg->ring_bits / 8);
	uint8_t key[32], sig[CAIRN_SIG_LEN], pk[CAIRN_SIGN_PK_LEN];
	uint8_t msg[64] = {0}, *vec;
	const crn_identity *id = crn_sa_world_identity(s->w, 1);
	crn_kx_keypair kp;
	double t0;
	cairn_err rv = CAIRN_OK;

	if ((vec = crn_zalloc(vlen)) == NULL)
		return CAIRN_ENOMEM;
	memset(key, 0x42, sizeof(key));
	crn_kx_keypair_from_seed(&kp, key);
	crn_identity_public(id, pk);
	t0 = sim_now(s);
	for (uint32_t i = 0; i < st->x25519 && rv == CAIRN_OK; i++)
		rv = crn_kx_agree(key, kp.sk, kp.pk);
	for (uint32_t i = 0; i < st->signs && rv == CAIRN_OK; i++)
		rv = crn_identity_sign(id, msg, sizeof(msg), sig);
	for (uint32_t i = 0; i < st->verifies && rv == CAIRN_OK; i++)
		rv = crn_sign_verify(pk, msg, sizeof(msg), sig);
	for (uint64_t e = 0; e < st->prg_elems && rv == CAIRN_OK;
	     e += s->cfg->dim)
		rv = crn_prg_add(vec, s->cfg->dim, s->cfg->ring_bits, key, 0);
	*out = sim_now(s) - t0;
	cairn_memzero(&kp, sizeof(kp));
	cairn_memzero(key, sizeof(key));
	crn_free(vec, vlen);
	return rv;
}

typedef struct nstat {
	double secs;
	uint64_t sent;
	uint32_t slot;
} nstat;

static int
cmp_nstat(const void *a, const void *b)
{
	double x = ((const nstat *)a)->secs, y = ((const nstat *)b)->secs;

	return (x > y) - (x < y);
}

/* Per-node figures over the nodes that stayed to the end (all of them if
 * none did), and the median one's crypto floor. */
static cairn_err
sim_figures(sim *s)
{
	uint32_t n = s->cfg->nodes, k = 0;
	nstat *v;
	crn_sa_node_stats st;
	uint64_t bmax = 0;
	cairn_err rv = CAIRN_OK;

	if ((v = crn_alloc((size_t)n * sizeof(*v))) == NULL)
		return CAIRN_ENOMEM;
	for (uint32_t i = 0; i < n; i++)
		if (!s->drops[i] || s->cfg->ndrop == n) {
			v[k].secs = crn_sa_world_node_secs(s->w, i + 1);
			v[k].sent = crn_sa_world_node_sent(s->w, i + 1);
			v[k++].slot = i + 1;
		}
	qsort(v, k, sizeof(*v), cmp_nstat);
	s->res->node_s_median = v[k / 2].secs;
	s->res->node_s_p99 = v[(k * 99) / 100].secs;
	s->res->node_s_max = v[k - 1].secs;
	for (uint32_t i = 0; i < k; i++)
		bmax = v[i].sent > bmax ? v[i].sent : bmax;
	s->res->node_bytes_median = v[k / 2].sent;
	s->res->node_bytes_max = bmax;
	crn_sa_node_get_stats(crn_sa_world_node(s->w, v[k / 2].slot), &st);
	if (s->cfg->clock != NULL)
		rv = time_floor(s, &st, &s->res->node_floor_s);
	crn_free(v, (size_t)n * sizeof(*v));
	return rv;
}

static void
world_cfg(const crn_sa_sim_cfg *cfg, sim *s, crn_sa_world_cfg *wc)
{
	memset(wc, 0, sizeof(*wc));
	wc->nodes = cfg->nodes;
	wc->dim = cfg->dim;
	wc->ring_bits = cfg->ring_bits;
	wc->threshold = cfg->threshold;
	wc->degree = cfg->degree;
	memcpy(wc->seed, cfg->seed, CAIRN_SEED_LEN);
	wc->corrupt_frac = cfg->corrupt_frac;
	wc->dropout_frac = cfg->dropout_frac;
	wc->malicious = cfg->malicious;
	wc->min_participants = cfg->min_participants;
	wc->coordinator = true;
	wc->autorun = true;
	wc->hook = sim_hook;
	wc->hook_arg = s;
	wc->clock = cfg->clock;
}

cairn_err
crn_sa_sim_run(const crn_sa_sim_cfg *cfg, crn_sa_sim_result *res)
{
	crn_sa_world_cfg wc;
	sim s;
	uint32_t n = cfg->nodes;
	cairn_err rv = CAIRN_ENOMEM;

	memset(res, 0, sizeof(*res));
	memset(&s, 0, sizeof(s));
	if (n < 2 || n > CRN_SA_MAX_NODES || cfg->ndrop > n ||
	    cfg->drop_at > CRN_SA_R_UNMASK)
		return CAIRN_EINVAL;
	s.cfg = cfg;
	s.res = res;
	res->nodes = n;
	res->plain_bytes = (size_t)cfg->dim * (cfg->ring_bits / 8);
	world_cfg(cfg, &s, &wc);
	s.drops = crn_zalloc(n * sizeof(*s.drops));
	s.gone = crn_zalloc(n * sizeof(*s.gone));
	s.delivered = crn_zalloc(n * sizeof(*s.delivered));
	if (s.drops == NULL || s.gone == NULL || s.delivered == NULL ||
	    (rv = pick_droppers(&s)) != CAIRN_OK ||
	    (rv = crn_sa_world_new(&s.w, &wc)) != CAIRN_OK ||
	    (rv = crn_sa_world_run(s.w)) != CAIRN_OK)
		goto out;
	(void)crn_sa_world_aborted(s.w, &res->abort);
	res->coord_s = crn_sa_world_coord_secs(s.w);
	res->coord_bytes_rx =
	    crn_sa_coord_bytes_received(crn_sa_world_coord(s.w));
	res->survivors = s.ndelivered;
	if ((rv = check_sum(&s)) == CAIRN_OK)
		rv = sim_figures(&s);
out:
	crn_sa_world_free(s.w);
	crn_free(s.drops, n * sizeof(*s.drops));
	crn_free(s.gone, n * sizeof(*s.gone));
	crn_free(s.delivered, n * sizeof(*s.delivered));
	return rv;
}
