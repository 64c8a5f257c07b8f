/*
 * secagg_world.c — the one-process federation of secagg_world.h.
 *
 * Messages from the coordinator to several nodes share one reference-
 * counted buffer until a hook replaces one recipient's copy, so a
 * simulated roster is not copied a thousand times.  Inputs are expanded
 * from per-node seeds when a node needs its own (at the forwarded shares)
 * or a driver asks for it, so memory stays a few vectors whatever n is.
 */
#include <stdlib.h>
#include <string.h>

#include "base/crn.h"
#include "crypto/crypto.h"
#include "crypto/prg.h"
#include "secagg/world.h"

#define NTYPES (CRN_SA_MSG_LAST - CRN_SA_MSG_FIRST + 1)

typedef struct blob {
	uint32_t refs;
	uint8_t *data;
	size_t len;
} blob;

typedef struct qent {
	struct qent *next;
	uint32_t type;
	blob *b;
} qent;

typedef struct wnode {
	crn_identity *id;
	crn_sa_node *m;
	uint8_t cert[CRN_SA_SIMCERT_LEN];
	uint8_t in_seed[CAIRN_SEED_LEN];
	uint8_t m_seed[CAIRN_SEED_LEN]; /* the machine's seed, with keep */
	qent *head, *tail;
	size_t queued;
	crn_sa_wmsg sent[NTYPES], got[NTYPES];
	cairn_err last_rv;
	double secs;
	uint64_t bytes;
} wnode;

struct crn_sa_world {
	crn_sa_world_cfg cfg;
	uint8_t sid[CAIRN_SESSION_ID_LEN];
	crn_identity *auth;
	uint8_t auth_pk[CAIRN_SIGN_PK_LEN];
	wnode *nodes;
	crn_sa_coord *coord;
	double coord_secs;
	size_t vlen;
	uint8_t *inbuf, *scratch;
	uint8_t *sum;
	size_t sum_len;
	bool aborted;
	crn_sa_abort abort;
	crn_sa_wmsg peekview; /* borrows a queued buffer */
	uint32_t round;
};

static double
w_now(const crn_sa_world *w)
{
	return w->cfg.clock != NULL ? w->cfg.clock() : 0.0;
}

static bool
fatal(cairn_err e)
{
	return e == CAIRN_ENOMEM || e == CAIRN_EINTERNAL;
}

/* ---- buffers and records ------------------------------------------------ */

static blob *
blob_new(const uint8_t *data, size_t len)
{
	blob *b = crn_zalloc(sizeof(*b));

	if (b == NULL)
		return NULL;
	if ((b->data = crn_alloc(len ? len : 1)) == NULL) {
		crn_free(b, sizeof(*b));
		return NULL;
	}
	if (len > 0)
		memcpy(b->data, data, len);
	b->len = len;
	b->refs = 1;
	return b;
}

static void
blob_rele(blob *b)
{
	if (b == NULL || --b->refs > 0)
		return;
	crn_free(b->data, b->len ? b->len : 1);
	crn_free(b, sizeof(*b));
}

static void
wmsg_clear(crn_sa_wmsg *m)
{
	crn_free(m->data, m->len ? m->len : 1);
	memset(m, 0, sizeof(*m));
}

/* Keep a copy of (type, data) in rec[type]; a message type outside the
 * secure-aggregation range is not kept. */
static cairn_err
record(crn_sa_world *w, crn_sa_wmsg *rec, uint32_t type, const uint8_t *data,
    size_t len)
{
	crn_sa_wmsg *m;

	if (!w->cfg.keep || type < CRN_SA_MSG_FIRST || type > CRN_SA_MSG_LAST)
		return CAIRN_OK;
	m = &rec[type - CRN_SA_MSG_FIRST];
	wmsg_clear(m);
	if ((m->data = crn_alloc(len ? len : 1)) == NULL)
		return CAIRN_ENOMEM;
	if (len > 0)
		memcpy(m->data, data, len);
	m->len = len;
	m->type = type;
	return CAIRN_OK;
}

/* ---- construction ------------------------------------------------------- */

static int
cmp_pk_ids(const void *a, const void *b)
{
	uint8_t x[CAIRN_SIGN_PK_LEN], y[CAIRN_SIGN_PK_LEN];

	crn_identity_public(((const wnode *)a)->id, x);
	crn_identity_public(((const wnode *)b)->id, y);
	return memcmp(x, y, sizeof(x));
}

static cairn_err
make_identities(crn_sa_world *w, crn_drbg *rng)
{
	uint8_t seed[CAIRN_SEED_LEN];
	cairn_err rv = CAIRN_OK;

	for (uint32_t i = 0; i < w->cfg.nodes && rv == CAIRN_OK; i++) {
		crn_drbg_bytes(rng, seed, sizeof(seed));
		rv = crn_identity_from_seed(&w->nodes[i].id, seed);
		crn_drbg_bytes(rng, w->nodes[i].in_seed, CAIRN_SEED_LEN);
	}
	if (rv == CAIRN_OK && w->cfg.sorted)
		qsort(w->nodes, w->cfg.nodes, sizeof(*w->nodes), cmp_pk_ids);
	crn_drbg_bytes(rng, seed, sizeof(seed));
	if (rv == CAIRN_OK)
		rv = crn_identity_from_seed(&w->auth, seed);
	cairn_memzero(seed, sizeof(seed));
	if (rv != CAIRN_OK)
		return rv;
	crn_identity_public(w->auth, w->auth_pk);
	for (uint32_t i = 0; i < w->cfg.nodes && rv == CAIRN_OK; i++) {
		uint8_t pk[CAIRN_SIGN_PK_LEN];

		crn_identity_public(w->nodes[i].id, pk);
		rv = crn_sa_simcert_issue(w->nodes[i].cert, w->auth, pk);
	}
	return rv;
}

static cairn_err
make_machine(crn_sa_world *w, uint32_t i, crn_drbg *rng)
{
	const crn_sa_world_cfg *cfg = &w->cfg;
	crn_sa_node_cfg nc;
	cairn_err rv;

	memset(&nc, 0, sizeof(nc));
	nc.id = w->nodes[i].id;
	crn_drbg_bytes(rng, nc.seed, sizeof(nc.seed));
	if (cfg->keep)
		memcpy(w->nodes[i].m_seed, nc.seed, sizeof(nc.seed));
	memcpy(nc.session_id, w->sid, CAIRN_SESSION_ID_LEN);
	nc.ring_bits = cfg->ring_bits;
	nc.dim = cfg->dim;
	nc.min_participants = cfg->min_participants;
	nc.max_nodes = cfg->max_nodes;
	nc.cert = w->nodes[i].cert;
	nc.cert_len = sizeof(w->nodes[i].cert);
	nc.verify_peer = crn_sa_simcert_verify;
	nc.verify_arg = w->auth_pk;
	nc.corrupt_frac = cfg->corrupt_frac;
	nc.dropout_frac = cfg->dropout_frac;
	nc.malicious = cfg->malicious;
	nc.max_rounds = cfg->max_rounds;
	rv = crn_sa_node_new(&w->nodes[i].m, &nc);
	cairn_memzero(&nc, sizeof(nc));
	return rv;
}

static cairn_err
make_coordinator(crn_sa_world *w)
{
	crn_sa_coord_cfg cc;

	memset(&cc, 0, sizeof(cc));
	memcpy(cc.params.session_id, w->sid, CAIRN_SESSION_ID_LEN);
	cc.params.threshold = w->cfg.threshold;
	cc.params.ring_bits = w->cfg.ring_bits;
	cc.params.dim = w->cfg.dim;
	cc.params.degree = w->cfg.degree;
	cc.nslots = w->cfg.nodes;
	return crn_sa_coord_new(&w->coord, &cc);
}

cairn_err
crn_sa_world_new(crn_sa_world **out, const crn_sa_world_cfg *cfg)
{
	crn_sa_world *w;
	crn_drbg rng;
	cairn_err rv = CAIRN_ENOMEM;

	*out = NULL;
	if (cfg->nodes < 2 || cfg->nodes > CRN_SA_MAX_NODES ||
	    (cfg->ring_bits != 32 && cfg->ring_bits != 64 &&
	        cfg->ring_bits != 128) ||
	    cfg->dim == 0 || cfg->dim > CRN_SA_MAX_DIM)
		return CAIRN_EINVAL;
	if ((w = crn_zalloc(sizeof(*w))) == NULL)
		return CAIRN_ENOMEM;
	w->cfg = *cfg;
	w->round = 1;
	w->vlen = (size_t)cfg->dim * (cfg->ring_bits / 8);
	crn_drbg_init(&rng, cfg->seed);
	crn_drbg_bytes(&rng, w->sid, sizeof(w->sid));
	w->nodes = crn_zalloc((size_t)cfg->nodes * sizeof(*w->nodes));
	w->inbuf = crn_alloc(w->vlen);
	w->scratch = crn_alloc(w->vlen);
	if (w->nodes == NULL || w->inbuf == NULL || w->scratch == NULL ||
	    (rv = make_identities(w, &rng)) != CAIRN_OK)
		goto out;
	for (uint32_t i = 0; i < cfg->nodes; i++)
		if ((rv = make_machine(w, i, &rng)) != CAIRN_OK)
			goto out;
	if (cfg->coordinator && (rv = make_coordinator(w)) != CAIRN_OK)
		goto out;
	*out = w;
	w = NULL;
	rv = CAIRN_OK;
out:
	crn_drbg_fini(&rng);
	crn_sa_world_free(w);
	return rv;
}

static void
queue_clear(wnode *n)
{
	while (n->head != NULL) {
		qent *q = n->head;

		n->head = q->next;
		blob_rele(q->b);
		crn_free(q, sizeof(*q));
	}
	n->tail = NULL;
	n->queued = 0;
}

void
crn_sa_world_free(crn_sa_world *w)
{
	if (w == NULL)
		return;
	for (uint32_t i = 0; w->nodes != NULL && i < w->cfg.nodes; i++) {
		wnode *n = &w->nodes[i];

		crn_sa_node_free(n->m);
		crn_identity_free(n->id);
		cairn_memzero(n->m_seed, sizeof(n->m_seed));
		queue_clear(n);
		for (size_t k = 0; k < NTYPES; k++) {
			wmsg_clear(&n->sent[k]);
			wmsg_clear(&n->got[k]);
		}
	}
	crn_free(w->nodes, (size_t)w->cfg.nodes * sizeof(*w->nodes));
	crn_identity_free(w->auth);
	crn_sa_coord_free(w->coord);
	crn_free(w->inbuf, w->vlen);
	crn_free(w->scratch, w->vlen);
	crn_free(w->sum, w->sum_len);
	crn_free(w, sizeof(*w));
}

/* ---- routing ------------------------------------------------------------ */

static cairn_err coord_actions(crn_sa_world *w, crn_sa_actions *a);

/* Let the hook see a message; on PASS *b may have been replaced by a
 * private buffer (the shared one released). */
static crn_sa_verdict
hooked(crn_sa_world *w, uint32_t from, uint32_t to, uint32_t type, blob **b,
    cairn_err *rv)
{
	uint8_t *data;
	size_t len;
	crn_sa_verdict v;

	*rv = CAIRN_OK;
	if (w->cfg.hook == NULL)
		return CRN_SA_PASS;
	if ((data = crn_alloc((*b)->len ? (*b)->len : 1)) == NULL) {
		*rv = CAIRN_ENOMEM;
		return CRN_SA_DROP;
	}
	memcpy(data, (*b)->data, (*b)->len);
	len = (*b)->len;
	v = w->cfg.hook(w->cfg.hook_arg, from, to, type, &data, &len);
	if (v == CRN_SA_PASS && (len != (*b)->len ||
	                            memcmp(data, (*b)->data, len) != 0)) {
		blob *nb = crn_zalloc(sizeof(*nb));

		if (nb == NULL) {
			crn_free(data, len ? len : 1);
			*rv = CAIRN_ENOMEM;
			return CRN_SA_DROP;
		}
		nb->refs = 1;
		nb->data = data;
		nb->len = len;
		blob_rele(*b);
		*b = nb;
		return v;
	}
	crn_free(data, len ? len : 1);
	return v;
}

static cairn_err
enqueue(crn_sa_world *w, uint32_t slot, uint32_t type, blob *b)
{
	wnode *n = &w->nodes[slot - 1];
	qent *q;
	cairn_err rv;

	b->refs++;
	if (hooked(w, 0, slot, type, &b, &rv) == CRN_SA_DROP) {
		blob_rele(b);
		return rv;
	}
	if ((q = crn_zalloc(sizeof(*q))) == NULL) {
		blob_rele(b);
		return CAIRN_ENOMEM;
	}
	q->type = type;
	q->b = b;
	if (n->tail != NULL)
		n->tail->next = q;
	else
		n->head = q;
	n->tail = q;
	n->queued++;
	return CAIRN_OK;
}

static cairn_err
coord_send(crn_sa_world *w, const crn_sa_action *x)
{
	blob *b = blob_new(x->data, x->len);
	cairn_err rv = CAIRN_OK;

	if (b == NULL)
		return CAIRN_ENOMEM;
	if (x->to_many != NULL) {
		for (size_t j = 0; j < x->n_many && rv == CAIRN_OK; j++)
			rv = enqueue(w, x->to_many[j], x->type, b);
	} else {
		rv = enqueue(w, x->to, x->type, b);
	}
	blob_rele(b);
	return rv;
}

static cairn_err
coord_actions(crn_sa_world *w, crn_sa_actions *a)
{
	cairn_err rv = CAIRN_OK;

	for (size_t i = 0; i < a->count && rv == CAIRN_OK; i++) {
		crn_sa_action *x = &a->v[i];

		if (x->kind == CRN_SA_ACT_DONE) {
			crn_free(w->sum, w->sum_len);
			w->sum = x->data;
			w->sum_len = x->len;
			x->data = NULL;
			x->len = 0;
		} else if (x->kind == CRN_SA_ACT_ABORT) {
			w->aborted = true;
			w->abort = x->abort;
		} else {
			rv = coord_send(w, x);
		}
	}
	return rv;
}

/* One node message to the coordinator (or only recorded). */
static cairn_err
node_send(crn_sa_world *w, uint32_t slot, const crn_sa_action *x)
{
	wnode *n = &w->nodes[slot - 1];
	crn_sa_actions ca;
	blob *b;
	double t0;
	cairn_err rv;

	if ((rv = record(w, n->sent, x->type, x->data, x->len)) != CAIRN_OK ||
	    (b = blob_new(x->data, x->len)) == NULL)
		return rv != CAIRN_OK ? rv : CAIRN_ENOMEM;
	if (hooked(w, slot, 0, x->type, &b, &rv) == CRN_SA_DROP ||
	    w->coord == NULL) {
		blob_rele(b);
		return rv;
	}
	n->bytes += b->len;
	crn_sa_actions_init(&ca);
	t0 = w_now(w);
	rv = crn_sa_coord_recv(w->coord, slot, x->type, b->data, b->len, &ca);
	w->coord_secs += w_now(w) - t0;
	rv = fatal(rv) ? rv : coord_actions(w, &ca);
	crn_sa_actions_fini(&ca);
	blob_rele(b);
	return rv;
}

static cairn_err
node_actions(crn_sa_world *w, uint32_t slot, crn_sa_actions *a)
{
	cairn_err rv = CAIRN_OK;

	for (size_t i = 0; i < a->count && rv == CAIRN_OK; i++)
		if (a->v[i].kind == CRN_SA_ACT_SEND)
			rv = node_send(w, slot, &a->v[i]);
	return rv;
}

static void
expand_input(const crn_sa_world *w, uint32_t slot, uint8_t *out)
{
	uint8_t seed[CAIRN_SEED_LEN];

	/* A later round's input is another vector (KDF of the node's input
	 * seed and the round), as a model's next round would be. */
	memcpy(seed, w->nodes[slot - 1].in_seed, sizeof(seed));
	if (w->round > 1 &&
	    crn_kdf(seed, sizeof(seed), w->nodes[slot - 1].in_seed,
	        sizeof(seed), w->sid, "world-input", w->round) != CAIRN_OK)
		memset(seed, 0, sizeof(seed));
	/* Only fails for a bad width, which the constructor refused. */
	if (crn_prg_expand(out, w->cfg.dim, w->cfg.ring_bits, seed) !=
	    CAIRN_OK)
		memset(out, 0, w->vlen);
	cairn_memzero(seed, sizeof(seed));
}

cairn_err
crn_sa_world_to_node(crn_sa_world *w, uint32_t slot, uint32_t type,
    const uint8_t *data, size_t len)
{
	wnode *n;
	crn_sa_actions na;
	double t0;
	cairn_err rv;

	if (slot == 0 || slot > w->cfg.nodes)
		return CAIRN_EINVAL;
	n = &w->nodes[slot - 1];
	if ((rv = record(w, n->got, type, data, len)) != CAIRN_OK)
		return rv;
	if (type == CRN_SA_MSG_SHARES_FWD) {
		expand_input(w, slot, w->inbuf);
		crn_sa_node_set_input(n->m, w->inbuf);
	}
	crn_sa_actions_init(&na);
	t0 = w_now(w);
	n->last_rv = crn_sa_node_recv(n->m, type, data, len, &na);
	n->secs += w_now(w) - t0;
	rv = fatal(n->last_rv) ? n->last_rv : node_actions(w, slot, &na);
	crn_sa_actions_fini(&na);
	return rv;
}

cairn_err
crn_sa_world_deliver(crn_sa_world *w, uint32_t slot)
{
	wnode *n;
	qent *q;
	cairn_err rv;

	if (slot == 0 || slot > w->cfg.nodes)
		return CAIRN_EINVAL;
	n = &w->nodes[slot - 1];
	if ((q = n->head) == NULL)
		return CAIRN_ENOENT;
	n->head = q->next;
	if (n->head == NULL)
		n->tail = NULL;
	n->queued--;
	rv = crn_sa_world_to_node(w, slot, q->type, q->b->data, q->b->len);
	blob_rele(q->b);
	crn_free(q, sizeof(*q));
	return rv;
}

cairn_err
crn_sa_world_drain(crn_sa_world *w)
{
	bool any = true;
	cairn_err rv = CAIRN_OK;

	while (any && rv == CAIRN_OK) {
		any = false;
		for (uint32_t s = 1; s <= w->cfg.nodes && rv == CAIRN_OK; s++)
			if (w->nodes[s - 1].head != NULL) {
				any = true;
				rv = crn_sa_world_deliver(w, s);
			}
	}
	return rv;
}

static cairn_err
maybe_drain(crn_sa_world *w, cairn_err rv)
{
	return rv == CAIRN_OK && w->cfg.autorun ? crn_sa_world_drain(w) : rv;
}

cairn_err
crn_sa_world_to_coord(crn_sa_world *w, uint32_t slot, uint32_t type,
    const uint8_t *data, size_t len)
{
	crn_sa_action x;
	cairn_err rv;

	if (slot == 0 || slot > w->cfg.nodes)
		return CAIRN_EINVAL;
	/* A copy first: data may be one of our own records, which
	 * node_send replaces. */
	memset(&x, 0, sizeof(x));
	x.kind = CRN_SA_ACT_SEND;
	x.type = type;
	x.len = len;
	if ((x.data = crn_alloc(len ? len : 1)) == NULL)
		return CAIRN_ENOMEM;
	if (len > 0)
		memcpy(x.data, data, len);
	rv = node_send(w, slot, &x);
	crn_free(x.data, len ? len : 1);
	return maybe_drain(w, rv);
}

cairn_err
crn_sa_world_start(crn_sa_world *w, uint32_t slot)
{
	wnode *n;
	crn_sa_actions na;
	double t0;
	cairn_err rv;

	if (slot == 0 || slot > w->cfg.nodes)
		return CAIRN_EINVAL;
	n = &w->nodes[slot - 1];
	crn_sa_actions_init(&na);
	t0 = w_now(w);
	n->last_rv = crn_sa_node_start(n->m, &na);
	n->secs += w_now(w) - t0;
	rv = fatal(n->last_rv) ? n->last_rv : node_actions(w, slot, &na);
	crn_sa_actions_fini(&na);
	return maybe_drain(w, rv);
}

cairn_err
crn_sa_world_start_all(crn_sa_world *w)
{
	cairn_err rv = CAIRN_OK;

	for (uint32_t s = 1; s <= w->cfg.nodes && rv == CAIRN_OK; s++)
		rv = crn_sa_world_start(w, s);
	return rv;
}

cairn_err
crn_sa_world_deadline(crn_sa_world *w)
{
	crn_sa_actions ca;
	double t0;
	cairn_err rv;

	if (w->coord == NULL)
		return CAIRN_ESTATE;
	crn_sa_actions_init(&ca);
	t0 = w_now(w);
	rv = crn_sa_coord_deadline(w->coord, &ca);
	w->coord_secs += w_now(w) - t0;
	rv = fatal(rv) ? rv : coord_actions(w, &ca);
	crn_sa_actions_fini(&ca);
	return maybe_drain(w, rv);
}

cairn_err
crn_sa_world_run(crn_sa_world *w)
{
	cairn_err rv;

	if (w->coord == NULL)
		return CAIRN_ESTATE;
	if ((rv = crn_sa_world_start_all(w)) == CAIRN_OK)
		rv = crn_sa_world_drain(w);
	for (int r = 0; rv == CAIRN_OK && r <= CRN_SA_R_DONE &&
	     w->sum == NULL && !w->aborted;
	     r++) {
		if ((rv = crn_sa_world_deadline(w)) == CAIRN_OK)
			rv = crn_sa_world_drain(w);
	}
	return rv;
}

/* ---- accessors ---------------------------------------------------------- */

crn_sa_node *
crn_sa_world_node(crn_sa_world *w, uint32_t slot)
{
	return slot >= 1 && slot <= w->cfg.nodes ? w->nodes[slot - 1].m : NULL;
}

crn_sa_coord *
crn_sa_world_coord(crn_sa_world *w)
{
	return w->coord;
}

const crn_identity *
crn_sa_world_identity(const crn_sa_world *w, uint32_t slot)
{
	return slot >= 1 && slot <= w->cfg.nodes ? w->nodes[slot - 1].id
	                                         : NULL;
}

const void *
crn_sa_world_input(const crn_sa_world *w, uint32_t slot)
{
	if (slot == 0 || slot > w->cfg.nodes)
		return NULL;
	expand_input(w, slot, w->scratch);
	return w->scratch;
}

cairn_err
crn_sa_world_node_seed(
    const crn_sa_world *w, uint32_t slot, uint8_t seed[CAIRN_SEED_LEN])
{
	if (slot == 0 || slot > w->cfg.nodes)
		return CAIRN_EINVAL;
	if (!w->cfg.keep)
		return CAIRN_ESTATE;
	memcpy(seed, w->nodes[slot - 1].m_seed, CAIRN_SEED_LEN);
	return CAIRN_OK;
}

const uint8_t *
crn_sa_world_session(const crn_sa_world *w)
{
	return w->sid;
}

const uint8_t *
crn_sa_world_authority(const crn_sa_world *w)
{
	return w->auth_pk;
}

cairn_err
crn_sa_world_last_rv(const crn_sa_world *w, uint32_t slot)
{
	return slot >= 1 && slot <= w->cfg.nodes ? w->nodes[slot - 1].last_rv
	                                         : CAIRN_EINVAL;
}

static const crn_sa_wmsg *
rec_get(const crn_sa_wmsg *rec, uint32_t type)
{
	if (type < CRN_SA_MSG_FIRST || type > CRN_SA_MSG_LAST ||
	    rec[type - CRN_SA_MSG_FIRST].data == NULL)
		return NULL;
	return &rec[type - CRN_SA_MSG_FIRST];
}

const crn_sa_wmsg *
crn_sa_world_sent(const crn_sa_world *w, uint32_t slot, uint32_t type)
{
	if (slot == 0 || slot > w->cfg.nodes)
		return NULL;
	return rec_get(w->nodes[slot - 1].sent, type);
}

const crn_sa_wmsg *
crn_sa_world_got(const crn_sa_world *w, uint32_t slot, uint32_t type)
{
	if (slot == 0 || slot > w->cfg.nodes)
		return NULL;
	return rec_get(w->nodes[slot - 1].got, type);
}

size_t
crn_sa_world_queued(const crn_sa_world *w, uint32_t slot)
{
	return slot >= 1 && slot <= w->cfg.nodes ? w->nodes[slot - 1].queued
	                                         : 0;
}

const crn_sa_wmsg *
crn_sa_world_peek(crn_sa_world *w, uint32_t slot)
{
	const qent *q;

	if (slot == 0 || slot > w->cfg.nodes ||
	    (q = w->nodes[slot - 1].head) == NULL)
		return NULL;
	w->peekview.type = q->type;
	w->peekview.data = q->b->data;
	w->peekview.len = q->b->len;
	return &w->peekview;
}

void
crn_sa_world_discard(crn_sa_world *w, uint32_t slot)
{
	wnode *n;
	qent *q;

	if (slot == 0 || slot > w->cfg.nodes ||
	    (q = (n = &w->nodes[slot - 1])->head) == NULL)
		return;
	n->head = q->next;
	if (n->head == NULL)
		n->tail = NULL;
	n->queued--;
	blob_rele(q->b);
	crn_free(q, sizeof(*q));
}

const uint8_t *
crn_sa_world_sum(const crn_sa_world *w, size_t *len)
{
	*len = w->sum_len;
	return w->sum;
}

bool
crn_sa_world_aborted(const crn_sa_world *w, crn_sa_abort *ab)
{
	if (w->aborted && ab != NULL)
		*ab = w->abort;
	return w->aborted;
}

void
crn_sa_world_plain_sum(const crn_sa_world *w, const uint32_t *slots,
    size_t count, uint8_t *out)
{
	memset(out, 0, w->vlen);
	for (size_t i = 0; i < count; i++) {
		expand_input(w, slots[i], w->scratch);
		crn_sa_ring_add(out, w->scratch, w->cfg.dim, w->cfg.ring_bits);
	}
}

double
crn_sa_world_node_secs(const crn_sa_world *w, uint32_t slot)
{
	return slot >= 1 && slot <= w->cfg.nodes ? w->nodes[slot - 1].secs
	                                         : 0.0;
}

double
crn_sa_world_coord_secs(const crn_sa_world *w)
{
	return w->coord_secs;
}

uint64_t
crn_sa_world_node_sent(const crn_sa_world *w, uint32_t slot)
{
	return slot >= 1 && slot <= w->cfg.nodes ? w->nodes[slot - 1].bytes
	                                         : 0;
}

cairn_err
crn_sa_world_next(crn_sa_world *w, uint32_t round)
{
	uint8_t sid_r[CAIRN_SESSION_ID_LEN];
	cairn_err rv = CAIRN_OK;

	/* The caller's id for round r; the machines bind it to round 1's. */
	memcpy(sid_r, w->sid, sizeof(sid_r));
	sid_r[0] ^= (uint8_t)round;
	crn_free(w->sum, w->sum_len);
	w->sum = NULL;
	w->sum_len = 0;
	w->aborted = false;
	memset(&w->abort, 0, sizeof(w->abort));
	if (w->coord != NULL &&
	    (rv = crn_sa_coord_next(w->coord, sid_r, round)) != CAIRN_OK)
		return rv;
	w->round = round;
	for (uint32_t s = 1; s <= w->cfg.nodes && rv == CAIRN_OK; s++) {
		wnode *n = &w->nodes[s - 1];
		crn_sa_actions na;
		double t0;

		if (!crn_sa_node_done(n->m))
			continue;
		crn_sa_actions_init(&na);
		t0 = w_now(w);
		n->last_rv = crn_sa_node_next(n->m, sid_r, round, &na);
		n->secs += w_now(w) - t0;
		rv = fatal(n->last_rv) ? n->last_rv : node_actions(w, s, &na);
		crn_sa_actions_fini(&na);
	}
	return maybe_drain(w, rv);
}

cairn_err
crn_sa_world_run_next(crn_sa_world *w, uint32_t round)
{
	cairn_err rv;

	if (w->coord == NULL)
		return CAIRN_ESTATE;
	if ((rv = crn_sa_world_next(w, round)) == CAIRN_OK)
		rv = crn_sa_world_drain(w);
	for (int r = 0; rv == CAIRN_OK && r <= CRN_SA_R_DONE &&
	     w->sum == NULL && !w->aborted;
	     r++) {
		if ((rv = crn_sa_world_deadline(w)) == CAIRN_OK)
			rv = crn_sa_world_drain(w);
	}
	return rv;
}

uint32_t
crn_sa_world_round(const crn_sa_world *w)
{
	return w->round;
}
