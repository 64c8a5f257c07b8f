/* secagg_machine_fuzz.c — fuzz the state machines' entry points.  A real
 * three-node session (fixed seeds) runs honestly up to the round chosen by
 * the input; then the rest of the input is handed to node 1 (as if from
 * the coordinator) or to the coordinator (as if from node 1).  Whatever
 * arrives, the machines must refuse or proceed without crashing, and the
 * session must still end cleanly when driven on.
 *
 * Input: byte 0 = target (bit 0: 0 node, 1 coordinator) and round
 * (bits 1-3, modulo 5); byte 1 = message type offset from 20 (0 means the
 * type the round expects); the rest is the message. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "base/crn.h"
#include "crypto/init.h"
#include "secagg/secagg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FN   3
#define FDIM 4

typedef struct fmsg {
	uint32_t type;
	uint8_t *data;
	size_t len;
} fmsg;

typedef struct fworld {
	crn_identity *id[FN];
	crn_identity *auth; /* sim authority certifying the nodes */
	uint8_t auth_pk[CAIRN_SIGN_PK_LEN];
	uint8_t cert[FN][CRN_SA_SIMCERT_LEN];
	crn_sa_node *node[FN];
	uint64_t in[FN][FDIM];
	crn_sa_coord *c;
	fmsg inbox[FN];
} fworld;

static void
fmsg_set(fmsg *m, uint32_t type, const uint8_t *d, size_t len)
{
	crn_free(m->data, m->len);
	m->data = crn_alloc(len);
	m->len = m->data != NULL ? len : 0;
	m->type = type;
	if (m->data != NULL && len > 0)
		memcpy(m->data, d, len);
}

static void
coord_out(fworld *w, crn_sa_actions *a)
{
	for (size_t i = 0; i < a->count; i++) {
		const crn_sa_action *x = &a->v[i];

		if (x->kind != CRN_SA_ACT_SEND)
			continue;
		if (x->to_many != NULL)
			for (size_t j = 0; j < x->n_many; j++)
				fmsg_set(&w->inbox[x->to_many[j] - 1], x->type,
				    x->data, x->len);
		else if (x->to >= 1 && x->to <= FN)
			fmsg_set(
			    &w->inbox[x->to - 1], x->type, x->data, x->len);
	}
}

static void
node_out(fworld *w, int i, crn_sa_actions *na)
{
	for (size_t k = 0; k < na->count; k++) {
		crn_sa_actions ca;
		cairn_err rv;

		if (na->v[k].kind != CRN_SA_ACT_SEND)
			continue;
		crn_sa_actions_init(&ca);
		rv = crn_sa_coord_recv(w->c, (uint32_t)i + 1, na->v[k].type,
		    na->v[k].data, na->v[k].len, &ca);
		(void)rv;
		coord_out(w, &ca);
		crn_sa_actions_fini(&ca);
	}
}

static void
node_in(fworld *w, int i, uint32_t type, const uint8_t *d, size_t len)
{
	crn_sa_actions na;
	cairn_err rv;

	crn_sa_actions_init(&na);
	crn_sa_node_set_input(w->node[i], w->in[i]);
	rv = crn_sa_node_recv(w->node[i], type, d, len, &na);
	(void)rv;
	node_out(w, i, &na);
	crn_sa_actions_fini(&na);
}

static bool
setup(fworld *w)
{
	crn_sa_coord_cfg cc;

	memset(w, 0, sizeof(*w));
	memset(&cc, 0, sizeof(cc));
	memset(cc.params.session_id, 0x33, CAIRN_SESSION_ID_LEN);
	cc.params.threshold = 2;
	cc.params.ring_bits = 64;
	cc.params.dim = FDIM;
	cc.nslots = FN;
	if (crn_sa_coord_new(&w->c, &cc) != CAIRN_OK)
		return false;
	{
		uint8_t aseed[32] = {0xa0};

		if (crn_identity_from_seed(&w->auth, aseed) != CAIRN_OK)
			return false;
		crn_identity_public(w->auth, w->auth_pk);
	}
	for (int i = 0; i < FN; i++) {
		crn_sa_node_cfg nc;
		uint8_t seed[32] = {(uint8_t)(i + 1)};
		uint8_t pk[CAIRN_SIGN_PK_LEN];

		if (crn_identity_from_seed(&w->id[i], seed) != CAIRN_OK)
			return false;
		crn_identity_public(w->id[i], pk);
		if (crn_sa_simcert_issue(w->cert[i], w->auth, pk) != CAIRN_OK)
			return false;
		memset(&nc, 0, sizeof(nc));
		nc.cert = w->cert[i];
		nc.cert_len = sizeof(w->cert[i]);
		nc.verify_peer = crn_sa_simcert_verify;
		nc.verify_arg = w->auth_pk;
		nc.id = w->id[i];
		nc.seed[0] = (uint8_t)(0x40 + i);
		memcpy(
		    nc.session_id, cc.params.session_id, CAIRN_SESSION_ID_LEN);
		nc.ring_bits = 64;
		nc.dim = FDIM;
		if (crn_sa_node_new(&w->node[i], &nc) != CAIRN_OK)
			return false;
		for (int k = 0; k < FDIM; k++)
			w->in[i][k] = (uint64_t)(i * 10 + k);
	}
	return true;
}

static void
teardown(fworld *w)
{
	for (int i = 0; i < FN; i++) {
		crn_sa_node_free(w->node[i]);
		crn_identity_free(w->id[i]);
		crn_free(w->inbox[i].data, w->inbox[i].len);
	}
	crn_sa_coord_free(w->c);
	crn_identity_free(w->auth);
}

/* Deliver every node's pending message (one honest round). */
static void
honest_round(fworld *w, int skip_node0)
{
	for (int i = skip_node0 ? 1 : 0; i < FN; i++) {
		fmsg m = w->inbox[i];

		w->inbox[i].data = NULL;
		w->inbox[i].len = 0;
		if (m.data != NULL)
			node_in(w, i, m.type, m.data, m.len);
		crn_free(m.data, m.len);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint32_t node_expect[] = {CRN_SA_MSG_ROSTER,
	    CRN_SA_MSG_SHARES_FWD, CRN_SA_MSG_CONSISTENCY_REQ,
	    CRN_SA_MSG_UNMASK_REQ, CRN_SA_MSG_ABORT};
	static const uint32_t coord_expect[] = {CRN_SA_MSG_ADVERTISE,
	    CRN_SA_MSG_SHARE_KEYS, CRN_SA_MSG_MASKED_INPUT,
	    CRN_SA_MSG_CONSISTENCY_SIG, CRN_SA_MSG_UNMASK};
	static int inited;
	fworld w;
	int to_coord, round;
	uint32_t type;

	if (!inited) {
		if (cairn_init() != CAIRN_OK)
			return 0;
		inited = 1;
	}
	if (size < 2)
		return 0;
	to_coord = data[0] & 1;
	round = ((data[0] >> 1) & 7) % 5;
	type = data[1] == 0
	    ? (to_coord ? coord_expect[round] : node_expect[round])
	    : 20u + data[1] % 12u;
	data += 2;
	size -= 2;
	if (!setup(&w))
		goto out;

	if (to_coord && round == 0) {
		/* The fuzzed advertisement takes node 1's seat. */
		crn_sa_actions ca;
		cairn_err rv;

		crn_sa_actions_init(&ca);
		rv = crn_sa_coord_recv(w.c, 1, type, data, size, &ca);
		(void)rv;
		coord_out(&w, &ca);
		crn_sa_actions_fini(&ca);
		for (int i = 1; i < FN; i++) {
			crn_sa_actions na;

			crn_sa_actions_init(&na);
			if (crn_sa_node_start(w.node[i], &na) == CAIRN_OK)
				node_out(&w, i, &na);
			crn_sa_actions_fini(&na);
		}
	} else {
		for (int i = 0; i < FN; i++) {
			crn_sa_actions na;

			crn_sa_actions_init(&na);
			if (crn_sa_node_start(w.node[i], &na) == CAIRN_OK)
				node_out(&w, i, &na);
			crn_sa_actions_fini(&na);
		}
		if (to_coord) {
			/* Honest rounds before the chosen one; in it, node 1
			 * stays silent and the fuzz input arrives from its
			 * slot instead. */
			crn_sa_actions ca;
			cairn_err rv;

			for (int r = 0; r < round - 1; r++)
				honest_round(&w, 0);
			honest_round(&w, 1);
			crn_sa_actions_init(&ca);
			rv = crn_sa_coord_recv(w.c, 1, type, data, size, &ca);
			(void)rv;
			coord_out(&w, &ca);
			crn_sa_actions_fini(&ca);
		} else {
			for (int r = 0; r < round; r++)
				honest_round(&w, 0);
			node_in(&w, 0, type, data, size);
		}
	}
	/* Drive the session on to its end, with deadlines as needed. */
	for (int r = 0; r < 6; r++) {
		crn_sa_actions ca;
		cairn_err rv;

		honest_round(&w, 0);
		crn_sa_actions_init(&ca);
		rv = crn_sa_coord_deadline(w.c, &ca);
		(void)rv;
		coord_out(&w, &ca);
		crn_sa_actions_fini(&ca);
	}
out:
	teardown(&w);
	return 0;
}
