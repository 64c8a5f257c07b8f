/*
 * secagg_common.c — what both secure-aggregation machines share: action
 * lists, the to-be-signed encodings, and the key, commitment, digest and
 * mask derivations.  Every derivation names its purpose in the KDF and is
 * bound to the session id, so no value made for one use serves another.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/crn.h"
#include "crypto/crypto.h"
#include "secagg/secagg.h"

/* ---- action lists ------------------------------------------------------- */

void
crn_sa_actions_init(crn_sa_actions *a)
{
	memset(a, 0, sizeof(*a));
}

void
crn_sa_actions_clear(crn_sa_actions *a)
{
	for (size_t i = 0; i < a->count; i++) {
		crn_sa_action *x = &a->v[i];

		/* The coordinator's DONE sum is not secret, but a buffer
		 * that once held one is cheap to wipe. */
		crn_freezero(x->data, x->len);
		crn_free(x->to_many, x->n_many * sizeof(*x->to_many));
	}
	a->count = 0;
}

void
crn_sa_actions_fini(crn_sa_actions *a)
{
	if (a == NULL)
		return;
	crn_sa_actions_clear(a);
	crn_free(a->v, a->cap * sizeof(*a->v));
	memset(a, 0, sizeof(*a));
}

static crn_sa_action *
act_push(crn_sa_actions *a)
{
	crn_sa_action *x;

	if (a->count == a->cap) {
		size_t ncap = a->cap ? a->cap * 2 : 8;
		crn_sa_action *nv = crn_realloc(
		    a->v, a->cap * sizeof(*a->v), ncap * sizeof(*a->v));

		if (nv == NULL)
			return NULL;
		a->v = nv;
		a->cap = ncap;
	}
	x = &a->v[a->count++];
	memset(x, 0, sizeof(*x));
	return x;
}

cairn_err
crn_sa_act_send(crn_sa_actions *a, uint32_t type, uint32_t to,
    uint32_t *to_many, size_t n_many, uint8_t *data, size_t len)
{
	crn_sa_action *x = act_push(a);

	if (x == NULL)
		return CAIRN_ENOMEM;
	x->kind = CRN_SA_ACT_SEND;
	x->type = type;
	x->to = to;
	x->to_many = to_many;
	x->n_many = n_many;
	x->data = data;
	x->len = len;
	return CAIRN_OK;
}

cairn_err
crn_sa_act_done(crn_sa_actions *a, uint8_t *data, size_t len)
{
	crn_sa_action *x = act_push(a);

	if (x == NULL)
		return CAIRN_ENOMEM;
	x->kind = CRN_SA_ACT_DONE;
	x->data = data;
	x->len = len;
	return CAIRN_OK;
}

void
crn_sa_abort_fill(crn_sa_abort *ab, cairn_err code, uint32_t needed,
    uint32_t answered, const char *fmt, ...)
{
	va_list ap;

	memset(ab, 0, sizeof(*ab));
	ab->code = (int32_t)code;
	ab->needed = needed;
	ab->answered = answered;
	va_start(ap, fmt);
	vsnprintf(ab->reason, sizeof(ab->reason), fmt, ap);
	va_end(ap);
}

cairn_err
crn_sa_act_abort(crn_sa_actions *a, const crn_sa_abort *ab)
{
	crn_sa_action *x = act_push(a);

	if (x == NULL)
		return CAIRN_ENOMEM;
	x->kind = CRN_SA_ACT_ABORT;
	x->abort = *ab;
	return CAIRN_OK;
}

const char *
crn_sa_round_name(crn_sa_round r)
{
	static const char *const names[] = {
	    [CRN_SA_R_ADVERTISE] = "advertise",
	    [CRN_SA_R_REVEAL] = "reveal",
	    [CRN_SA_R_SHARE] = "share-keys",
	    [CRN_SA_R_MASKED] = "masked-input",
	    [CRN_SA_R_CONSISTENCY] = "consistency",
	    [CRN_SA_R_UNMASK] = "unmask",
	    [CRN_SA_R_DONE] = "done",
	};

	if ((unsigned)r >= CRN_NELEM(names))
		return "unknown";
	return names[r];
}

/* ---- encodings and derivations ------------------------------------------ */

static void
put_u32be(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void
put_u64be(uint8_t *p, uint64_t v)
{
	put_u32be(p, (uint32_t)(v >> 32));
	put_u32be(p + 4, (uint32_t)v);
}

#define ADV_LABEL "cairn-advertise-v2"
#define ADV_TBS_LEN                                                            \
	(sizeof(ADV_LABEL) - 1 + CAIRN_SESSION_ID_LEN + 2 * CAIRN_KX_PK_LEN +  \
	    2 * CAIRN_KEY_LEN)

static void
adv_tbs(uint8_t out[ADV_TBS_LEN], const uint8_t sid[CAIRN_SESSION_ID_LEN],
    const crn_sa_advertise *a)
{
	uint8_t *p = out;

	memcpy(p, ADV_LABEL, sizeof(ADV_LABEL) - 1);
	p += sizeof(ADV_LABEL) - 1;
	memcpy(p, sid, CAIRN_SESSION_ID_LEN);
	p += CAIRN_SESSION_ID_LEN;
	memcpy(p, a->channel_pk, CAIRN_KX_PK_LEN);
	p += CAIRN_KX_PK_LEN;
	memcpy(p, a->mask_pk, CAIRN_KX_PK_LEN);
	p += CAIRN_KX_PK_LEN;
	memcpy(p, a->bcommit, CAIRN_KEY_LEN);
	p += CAIRN_KEY_LEN;
	memcpy(p, a->gcommit, CAIRN_KEY_LEN);
}

cairn_err
crn_sa_advertise_sign(crn_sa_advertise *a, const crn_identity *id,
    const uint8_t sid[CAIRN_SESSION_ID_LEN])
{
	uint8_t tbs[ADV_TBS_LEN];

	adv_tbs(tbs, sid, a);
	return crn_identity_sign(id, tbs, sizeof(tbs), a->sig);
}

cairn_err
crn_sa_advertise_verify(
    const crn_sa_advertise *a, const uint8_t sid[CAIRN_SESSION_ID_LEN])
{
	uint8_t tbs[ADV_TBS_LEN];

	adv_tbs(tbs, sid, a);
	return crn_sign_verify(a->identity, tbs, sizeof(tbs), a->sig);
}

cairn_err
crn_sa_self_commit(uint8_t out[CAIRN_KEY_LEN], const uint8_t b[CAIRN_SEED_LEN],
    const uint8_t sid[CAIRN_SESSION_ID_LEN])
{
	return crn_kdf(
	    out, CAIRN_KEY_LEN, b, CAIRN_SEED_LEN, sid, "self-commit", 0);
}

cairn_err
crn_sa_graph_commit(uint8_t out[CAIRN_KEY_LEN],
    const uint8_t r[CAIRN_KEY_LEN], const uint8_t sid[CAIRN_SESSION_ID_LEN])
{
	return crn_hash_commit(out, sid, "cairn-graph-commit", r, CAIRN_KEY_LEN);
}

/* What the roster digest covers per entry (not the certificate: it only
 * binds the identity key, which is covered). */
#define DIGEST_ENTRY                                                           \
	(CAIRN_SIGN_PK_LEN + 2 * CAIRN_KX_PK_LEN + 2 * CAIRN_KEY_LEN)
#define DIGEST_PARAMS 24

cairn_err
crn_sa_roster_digest(uint8_t d[CAIRN_KEY_LEN], const crn_sa_roster *r)
{
	size_t len = DIGEST_PARAMS + (size_t)r->n * DIGEST_ENTRY;
	uint8_t *ikm, *p;
	cairn_err rv;

	if (r->n == 0)
		return CAIRN_EINVAL;
	if ((ikm = crn_alloc(len)) == NULL)
		return CAIRN_ENOMEM;
	put_u32be(ikm, r->params.threshold);
	put_u32be(ikm + 4, r->params.ring_bits);
	put_u64be(ikm + 8, r->params.dim);
	put_u32be(ikm + 16, r->params.degree);
	put_u32be(ikm + 20, r->n);
	p = ikm + DIGEST_PARAMS;
	for (uint32_t i = 0; i < r->n; i++) {
		const crn_sa_advertise *a = &r->parts[i];

		memcpy(p, a->identity, CAIRN_SIGN_PK_LEN);
		p += CAIRN_SIGN_PK_LEN;
		memcpy(p, a->channel_pk, CAIRN_KX_PK_LEN);
		p += CAIRN_KX_PK_LEN;
		memcpy(p, a->mask_pk, CAIRN_KX_PK_LEN);
		p += CAIRN_KX_PK_LEN;
		memcpy(p, a->bcommit, CAIRN_KEY_LEN);
		p += CAIRN_KEY_LEN;
		memcpy(p, a->gcommit, CAIRN_KEY_LEN);
		p += CAIRN_KEY_LEN;
	}
	rv = crn_kdf(d, CAIRN_KEY_LEN, ikm, len, r->params.session_id,
	    "roster-digest", r->n);
	crn_free(ikm, len);
	return rv;
}

cairn_err
crn_sa_graph_seed(uint8_t seed[32], const uint8_t sid[CAIRN_SESSION_ID_LEN],
    const uint8_t digest[CAIRN_KEY_LEN], const crn_sa_seeds *s)
{
	size_t len = CAIRN_KEY_LEN + (size_t)s->n * CAIRN_KEY_LEN;
	uint8_t *ikm;
	cairn_err rv;

	if (s->n == 0)
		return CAIRN_EINVAL;
	if ((ikm = crn_alloc(len)) == NULL)
		return CAIRN_ENOMEM;
	memcpy(ikm, digest, CAIRN_KEY_LEN);
	memcpy(ikm + CAIRN_KEY_LEN, s->r, (size_t)s->n * CAIRN_KEY_LEN);
	rv = crn_kdf(seed, 32, ikm, len, sid, "graph-seed", s->n);
	crn_free(ikm, len);
	return rv;
}

cairn_err
crn_sa_seeds_check(const crn_sa_seeds *s, const crn_sa_roster *r,
    uint32_t *bad)
{
	uint8_t c[CAIRN_KEY_LEN];
	cairn_err rv;

	*bad = 0;
	if (s->n != r->n)
		return CAIRN_EPROTO;
	for (uint32_t i = 0; i < s->n; i++) {
		rv = crn_sa_graph_commit(c, s->r[i], r->params.session_id);
		if (rv != CAIRN_OK)
			return rv;
		if (!crn_ct_eq(c, r->parts[i].gcommit, sizeof(c))) {
			*bad = i + 1;
			return CAIRN_EAUTH;
		}
	}
	return CAIRN_OK;
}

void
crn_sa_share_ad(uint8_t ad[CRN_SA_SHARE_AD_LEN],
    const uint8_t sid[CAIRN_SESSION_ID_LEN],
    const uint8_t digest[CAIRN_KEY_LEN], uint32_t from, uint32_t to)
{
	uint8_t *p = ad;

	memcpy(p, "cairn-share-v2", 14);
	p += 14;
	memcpy(p, sid, CAIRN_SESSION_ID_LEN);
	p += CAIRN_SESSION_ID_LEN;
	memcpy(p, digest, CAIRN_KEY_LEN);
	p += CAIRN_KEY_LEN;
	put_u32be(p, from);
	put_u32be(p + 4, to);
}

cairn_err
crn_sa_share_commit(uint8_t out[CAIRN_KEY_LEN],
    const uint8_t sid[CAIRN_SESSION_ID_LEN], uint32_t from, uint32_t to,
    uint32_t kind, const crn_shamir_share *share)
{
	uint8_t enc[CRN_SHAMIR_SHARE_LEN];
	cairn_err rv;

	crn_shamir_share_encode(enc, share);
	rv = crn_kdf(out, CAIRN_KEY_LEN, enc, sizeof(enc), sid,
	    kind == CRN_SA_SHARE_SELF_MASK ? "share-commit-b" : "share-commit-sk",
	    (uint64_t)from << 32 | to);
	cairn_memzero(enc, sizeof(enc));
	return rv;
}

#define CONS_LABEL "cairn-consistency-v2"

cairn_err
crn_sa_consistency_tbs(uint8_t **out, size_t *out_len,
    const uint8_t session_id[CAIRN_SESSION_ID_LEN],
    const uint8_t digest[CAIRN_KEY_LEN], const uint32_t *idx, uint32_t count)
{
	size_t n = sizeof(CONS_LABEL) - 1 + CAIRN_SESSION_ID_LEN +
	    CAIRN_KEY_LEN + 4 + 4 * (size_t)count;
	uint8_t *b, *p;

	*out = NULL;
	*out_len = 0;
	if ((b = crn_alloc(n)) == NULL)
		return CAIRN_ENOMEM;
	p = b;
	memcpy(p, CONS_LABEL, sizeof(CONS_LABEL) - 1);
	p += sizeof(CONS_LABEL) - 1;
	memcpy(p, session_id, CAIRN_SESSION_ID_LEN);
	p += CAIRN_SESSION_ID_LEN;
	memcpy(p, digest, CAIRN_KEY_LEN);
	p += CAIRN_KEY_LEN;
	put_u32be(p, count);
	p += 4;
	for (uint32_t i = 0; i < count; i++, p += 4)
		put_u32be(p, idx[i]);
	*out = b;
	*out_len = n;
	return CAIRN_OK;
}

cairn_err
crn_sa_mask_seed(uint8_t seed[CAIRN_SEED_LEN],
    const uint8_t sk[CAIRN_KX_SK_LEN], const uint8_t peer_pk[CAIRN_KX_PK_LEN],
    const uint8_t sid[CAIRN_SESSION_ID_LEN])
{
	uint8_t shared[CAIRN_KEY_LEN];
	cairn_err rv;

	if ((rv = crn_kx_agree(shared, sk, peer_pk)) != CAIRN_OK)
		goto out;
	rv = crn_kdf(
	    seed, CAIRN_SEED_LEN, shared, sizeof(shared), sid, "mask", 0);
out:
	cairn_memzero(shared, sizeof(shared));
	return rv;
}

bool
crn_sa_surv_has(const crn_sa_survivors *s, uint32_t idx)
{
	size_t lo = 0, hi = s->count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->idx[mid] == idx)
			return true;
		if (s->idx[mid] < idx)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

/* ---- later rounds of a chained session ---------------------------------- */

cairn_err
crn_sa_round_sid(uint8_t out[CAIRN_SESSION_ID_LEN],
    const uint8_t sid1[CAIRN_SESSION_ID_LEN],
    const uint8_t sid_r[CAIRN_SESSION_ID_LEN], uint32_t round)
{
	/* Bound to the chain (round 1's session, hence its roster) and to
	 * the round: signatures, share ciphertexts and commitments of one
	 * round never count in another. */
	return crn_kdf(out, CAIRN_SESSION_ID_LEN, sid_r, CAIRN_SESSION_ID_LEN,
	    sid1, "round-session", round);
}

cairn_err
crn_sa_round_seed(uint8_t seed[CAIRN_SEED_LEN],
    const uint8_t base[CAIRN_SEED_LEN],
    const uint8_t rsid[CAIRN_SESSION_ID_LEN], uint32_t round)
{
	return crn_kdf(
	    seed, CAIRN_SEED_LEN, base, CAIRN_SEED_LEN, rsid, "mask-round", round);
}

cairn_err
crn_sa_round_seed_commit(uint8_t out[CAIRN_KEY_LEN],
    const uint8_t rsid[CAIRN_SESSION_ID_LEN], uint32_t from, uint32_t to,
    const uint8_t seed[CAIRN_SEED_LEN])
{
	return crn_kdf(out, CAIRN_KEY_LEN, seed, CAIRN_SEED_LEN, rsid,
	    "round-seed-commit", (uint64_t)from << 32 | to);
}
