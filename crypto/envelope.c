/*
 * envelope.c — signing, verifying, sealing and opening the envelope every
 * cairn message travels in, and the replay guard.
 *
 * The signature covers a fixed encoding of the fields (see envelope.h)
 * rather than the protobuf bytes: protobuf encodings are not canonical, and
 * a signature that depended on one encoder's choices would break between
 * versions.
 */
#include <string.h>

#include <sodium.h>

#include "base/crn.h"
#include "crypto/envelope.h"

#define TBS_LABEL     "cairn-envelope-v1"
#define TBS_LABEL_LEN (sizeof(TBS_LABEL) - 1)
/* label, sender, type, session, round, seq, sealed, recipient, length */
#define TBS_HEADER_LEN                                                         \
	(TBS_LABEL_LEN + CAIRN_SIGN_PK_LEN + 4 + CAIRN_SESSION_ID_LEN + 4 +    \
	    8 + 1 + CAIRN_SIGN_PK_LEN + 8)
/* A sealed payload is nonce || crypto_box_easy output. */
#define SEAL_OVERHEAD (crypto_box_NONCEBYTES + crypto_box_MACBYTES)

_Static_assert(crypto_sign_PUBLICKEYBYTES == CAIRN_SIGN_PK_LEN, "pk");
_Static_assert(crypto_sign_SEEDBYTES == CAIRN_SIGN_SEED_LEN, "seed");

void
crn_envelope_fini(crn_envelope *env)
{
	if (env == NULL)
		return;
	/* An opened payload is plaintext: wipe it, not just free it. */
	crn_freezero(env->payload, env->payload_len);
	crn_free(env->sender_cert, env->sender_cert_len);
	cairn_memzero(env, sizeof(*env));
}

static uint8_t *
put_be(uint8_t *p, uint64_t v, int bytes)
{
	for (int i = bytes - 1; i >= 0; i--)
		*p++ = (uint8_t)(v >> (8 * i));
	return p;
}

/* Build the to-be-signed bytes in a fresh buffer the caller frees. */
static cairn_err
envelope_tbs(const crn_envelope *env, uint8_t **out, size_t *outlen)
{
	uint8_t *buf, *p;
	size_t n;

	*out = NULL;
	*outlen = 0;
	if (env->payload == NULL && env->payload_len != 0)
		return CAIRN_EINVAL;
	if (env->payload_len > CRN_ENVELOPE_MAX)
		return CAIRN_ETOOBIG;
	n = TBS_HEADER_LEN + env->payload_len;
	if ((buf = crn_alloc(n)) == NULL)
		return CAIRN_ENOMEM;
	p = buf;
	memcpy(p, TBS_LABEL, TBS_LABEL_LEN);
	p += TBS_LABEL_LEN;
	memcpy(p, env->sender, CAIRN_SIGN_PK_LEN);
	p += CAIRN_SIGN_PK_LEN;
	p = put_be(p, env->type, 4);
	memcpy(p, env->session_id, CAIRN_SESSION_ID_LEN);
	p += CAIRN_SESSION_ID_LEN;
	p = put_be(p, env->round, 4);
	p = put_be(p, env->seq, 8);
	*p++ = env->sealed ? 1 : 0;
	memcpy(p, env->recipient, CAIRN_SIGN_PK_LEN);
	p += CAIRN_SIGN_PK_LEN;
	p = put_be(p, env->payload_len, 8);
	if (env->payload_len > 0)
		memcpy(p, env->payload, env->payload_len);
	*out = buf;
	*outlen = n;
	return CAIRN_OK;
}

cairn_err
crn_envelope_sign(crn_envelope *env, const crn_identity *id)
{
	uint8_t *tbs = NULL;
	size_t n = 0;
	cairn_err rv = CAIRN_EINTERNAL;

	crn_identity_public(id, env->sender);
	if ((rv = envelope_tbs(env, &tbs, &n)) != CAIRN_OK)
		goto out;
	rv = crn_identity_sign(id, tbs, n, env->sig);
out:
	/* The payload may be plaintext the caller wipes later: wipe ours. */
	crn_freezero(tbs, n);
	return rv;
}

cairn_err
crn_envelope_verify(const crn_envelope *env)
{
	uint8_t *tbs = NULL;
	size_t n = 0;
	cairn_err rv = CAIRN_EINTERNAL;

	if ((rv = envelope_tbs(env, &tbs, &n)) != CAIRN_OK)
		goto out;
	rv = crn_sign_verify(env->sender, tbs, n, env->sig);
	if (rv != CAIRN_OK)
		rv = CAIRN_EAUTH;
out:
	crn_freezero(tbs, n);
	return rv;
}

/*
 * The X25519 secret matching an identity: libsodium derives the Ed25519
 * secret key from the seed, then converts it (the hashed, clamped scalar).
 */
static cairn_err
identity_curve_sk(
    const crn_identity *id, uint8_t xsk[crypto_box_SECRETKEYBYTES])
{
	uint8_t seed[CAIRN_SIGN_SEED_LEN];
	uint8_t edpk[crypto_sign_PUBLICKEYBYTES];
	uint8_t edsk[crypto_sign_SECRETKEYBYTES];
	cairn_err rv = CAIRN_ECRYPTO;

	crn_identity_seed(id, seed);
	if (crypto_sign_seed_keypair(edpk, edsk, seed) != 0 ||
	    crypto_sign_ed25519_sk_to_curve25519(xsk, edsk) != 0)
		goto out;
	rv = CAIRN_OK;
out:
	cairn_memzero(seed, sizeof(seed));
	cairn_memzero(edsk, sizeof(edsk));
	if (rv != CAIRN_OK)
		cairn_memzero(xsk, crypto_box_SECRETKEYBYTES);
	return rv;
}

cairn_err
crn_envelope_seal(crn_envelope *env, const crn_identity *sender,
    const uint8_t recipient[CAIRN_SIGN_PK_LEN])
{
	uint8_t xsk[crypto_box_SECRETKEYBYTES];
	uint8_t xpk[crypto_box_PUBLICKEYBYTES];
	uint8_t *ct = NULL;
	size_t ctlen = 0;
	cairn_err rv = CAIRN_EINTERNAL;

	if (env->sealed) {
		rv = CAIRN_ESTATE;
		goto out;
	}
	if ((env->payload == NULL && env->payload_len != 0)) {
		rv = CAIRN_EINVAL;
		goto out;
	}
	if (env->payload_len > CRN_ENVELOPE_MAX - SEAL_OVERHEAD) {
		rv = CAIRN_ETOOBIG;
		goto out;
	}
	/* A recipient key that is not a valid Ed25519 point has no X25519
	 * counterpart; nobody could open the box. */
	if (crypto_sign_ed25519_pk_to_curve25519(xpk, recipient) != 0) {
		rv = CAIRN_EINVAL;
		goto out;
	}
	if ((rv = identity_curve_sk(sender, xsk)) != CAIRN_OK)
		goto out;
	ctlen = env->payload_len + SEAL_OVERHEAD;
	if ((ct = crn_alloc(ctlen)) == NULL) {
		rv = CAIRN_ENOMEM;
		goto out;
	}
	randombytes_buf(ct, crypto_box_NONCEBYTES);
	if (crypto_box_easy(ct + crypto_box_NONCEBYTES, env->payload,
	        env->payload_len, ct, xpk, xsk) != 0) {
		/* Only a low-order recipient point makes crypto_box refuse. */
		rv = CAIRN_EINVAL;
		goto out;
	}
	crn_freezero(env->payload, env->payload_len);
	env->payload = ct;
	env->payload_len = ctlen;
	ct = NULL;
	crn_identity_public(sender, env->sender);
	memcpy(env->recipient, recipient, CAIRN_SIGN_PK_LEN);
	env->sealed = true;
	rv = CAIRN_OK;
out:
	crn_free(ct, ctlen);
	cairn_memzero(xsk, sizeof(xsk));
	return rv;
}

cairn_err
crn_envelope_open(crn_envelope *env, const crn_identity *me)
{
	uint8_t xsk[crypto_box_SECRETKEYBYTES];
	uint8_t xpk[crypto_box_PUBLICKEYBYTES];
	uint8_t mypk[CAIRN_SIGN_PK_LEN];
	uint8_t *pt = NULL;
	size_t ptlen = 0;
	cairn_err rv = CAIRN_EINTERNAL;

	if (!env->sealed) {
		rv = CAIRN_ESTATE;
		goto out;
	}
	crn_identity_public(me, mypk);
	/*
	 * Every failure from here on means "not for me or altered", which
	 * the peer must not be able to tell apart: all are CAIRN_EAUTH.
	 */
	rv = CAIRN_EAUTH;
	if (!crn_ct_eq(env->recipient, mypk, CAIRN_SIGN_PK_LEN) ||
	    env->payload == NULL || env->payload_len < SEAL_OVERHEAD)
		goto out;
	if (crypto_sign_ed25519_pk_to_curve25519(xpk, env->sender) != 0)
		goto out;
	if ((rv = identity_curve_sk(me, xsk)) != CAIRN_OK)
		goto out;
	ptlen = env->payload_len - SEAL_OVERHEAD;
	if ((pt = crn_alloc(ptlen)) == NULL) {
		rv = CAIRN_ENOMEM;
		goto out;
	}
	if (crypto_box_open_easy(pt, env->payload + crypto_box_NONCEBYTES,
	        env->payload_len - crypto_box_NONCEBYTES, env->payload, xpk,
	        xsk) != 0) {
		rv = CAIRN_EAUTH;
		goto out;
	}
	crn_free(env->payload, env->payload_len);
	env->payload = pt;
	env->payload_len = ptlen;
	pt = NULL;
	/* The envelope now holds plaintext; it is no longer a sealed one
	 * (and its signature, made over the ciphertext, no longer fits). */
	env->sealed = false;
	cairn_memzero(env->recipient, sizeof(env->recipient));
	rv = CAIRN_OK;
out:
	crn_freezero(pt, ptlen);
	cairn_memzero(xsk, sizeof(xsk));
	return rv;
}

/* ---- replay guard -------------------------------------------------------- */

/*
 * An open-addressing hash table keyed by sender || session_id.  The hash is
 * SipHash (crypto_shorthash) under a random per-table key, so a peer that
 * picks session ids cannot aim them at one bucket.  The table holds at most
 * CRN_REPLAY_MAX entries so that a flood of fresh sessions cannot exhaust
 * memory; past that, new (sender, session) pairs are refused.
 */
/* sender || session_id || u32 connection (0 for crn_replay_check) */
#define REPLAY_KEY_LEN (CAIRN_SIGN_PK_LEN + CAIRN_SESSION_ID_LEN + 4)
#define REPLAY_CONN_OFF (CAIRN_SIGN_PK_LEN + CAIRN_SESSION_ID_LEN)
#define REPLAY_MIN_CAP 64u
#define CRN_REPLAY_MAX (1u << 20)

typedef struct replay_slot {
	uint8_t key[REPLAY_KEY_LEN];
	uint64_t seq;
	uint8_t used;
} replay_slot;

struct crn_replay {
	replay_slot *slots;
	size_t cap; /* power of two */
	size_t count;
	uint8_t hkey[crypto_shorthash_KEYBYTES];
};

static size_t
replay_hash(const crn_replay *r, const uint8_t key[REPLAY_KEY_LEN])
{
	uint8_t h[crypto_shorthash_BYTES];
	uint64_t v = 0;

	crypto_shorthash(h, key, REPLAY_KEY_LEN, r->hkey);
	for (size_t i = 0; i < sizeof(h); i++)
		v = (v << 8) | h[i];
	return (size_t)v;
}

/* The slot holding key, or the empty slot where it belongs. */
static replay_slot *
replay_find(const crn_replay *r, const uint8_t key[REPLAY_KEY_LEN])
{
	size_t mask = r->cap - 1, i = replay_hash(r, key) & mask;

	/* The load factor stays at or below 1/2, so an empty slot exists. */
	while (r->slots[i].used &&
	    memcmp(r->slots[i].key, key, REPLAY_KEY_LEN) != 0)
		i = (i + 1) & mask;
	return &r->slots[i];
}

static cairn_err
replay_grow(crn_replay *r)
{
	replay_slot *old = r->slots, *s;
	size_t oldcap = r->cap, newcap = r->cap * 2, bytes;

	if (crn_mul_size(newcap, sizeof(*old), &bytes) != 0)
		return CAIRN_ENOMEM;
	if ((r->slots = crn_zalloc(bytes)) == NULL) {
		r->slots = old;
		return CAIRN_ENOMEM;
	}
	r->cap = newcap;
	for (size_t i = 0; i < oldcap; i++) {
		if (!old[i].used)
			continue;
		s = replay_find(r, old[i].key);
		*s = old[i];
	}
	crn_free(old, oldcap * sizeof(*old));
	return CAIRN_OK;
}

/* Rebuild the table without the entries whose key holds `what` (len
 * bytes) at offset off: linear probing cannot simply clear a slot in the
 * middle of a probe run.  O(cap). */
static cairn_err
replay_drop(crn_replay *r, size_t off, const uint8_t *what, size_t len)
{
	replay_slot *old = r->slots, *s;
	size_t bytes;

	if (crn_mul_size(r->cap, sizeof(*old), &bytes) != 0)
		return CAIRN_ENOMEM;
	if ((r->slots = crn_zalloc(bytes)) == NULL) {
		r->slots = old;
		return CAIRN_ENOMEM;
	}
	r->count = 0;
	for (size_t i = 0; i < r->cap; i++) {
		if (!old[i].used || memcmp(old[i].key + off, what, len) == 0)
			continue;
		s = replay_find(r, old[i].key);
		*s = old[i];
		r->count++;
	}
	crn_free(old, bytes);
	return CAIRN_OK;
}

cairn_err
crn_replay_forget_conn(crn_replay *r, uint32_t conn)
{
	uint8_t c[4];

	memcpy(c, &conn, sizeof(c));
	return replay_drop(r, REPLAY_CONN_OFF, c, sizeof(c));
}

size_t
crn_replay_count(const crn_replay *r)
{
	return r->count;
}

cairn_err
crn_replay_forget(crn_replay *r, const uint8_t session_id[CAIRN_SESSION_ID_LEN])
{
	replay_slot *old = r->slots, *s;
	size_t bytes;

	/* Rebuild the table without the session's entries: linear probing
	 * cannot simply clear a slot in the middle of a probe run.  O(cap),
	 * once per finished session. */
	if (crn_mul_size(r->cap, sizeof(*old), &bytes) != 0)
		return CAIRN_ENOMEM;
	if ((r->slots = crn_zalloc(bytes)) == NULL) {
		r->slots = old;
		return CAIRN_ENOMEM;
	}
	r->count = 0;
	for (size_t i = 0; i < r->cap; i++) {
		if (!old[i].used ||
		    memcmp(old[i].key + CAIRN_SIGN_PK_LEN, session_id,
		        CAIRN_SESSION_ID_LEN) == 0)
			continue;
		s = replay_find(r, old[i].key);
		*s = old[i];
		r->count++;
	}
	crn_free(old, bytes);
	return CAIRN_OK;
}

cairn_err
crn_replay_new(crn_replay **out)
{
	crn_replay *r = NULL;
	cairn_err rv = CAIRN_EINTERNAL;

	*out = NULL;
	if ((r = crn_zalloc(sizeof(*r))) == NULL) {
		rv = CAIRN_ENOMEM;
		goto out;
	}
	if ((r->slots = crn_zalloc(REPLAY_MIN_CAP * sizeof(*r->slots))) ==
	    NULL) {
		rv = CAIRN_ENOMEM;
		goto out;
	}
	r->cap = REPLAY_MIN_CAP;
	crypto_shorthash_keygen(r->hkey);
	*out = r;
	r = NULL;
	rv = CAIRN_OK;
out:
	crn_replay_free(r);
	return rv;
}

void
crn_replay_free(crn_replay *r)
{
	if (r == NULL)
		return;
	crn_free(r->slots, r->cap * sizeof(*r->slots));
	cairn_memzero(r->hkey, sizeof(r->hkey));
	crn_free(r, sizeof(*r));
}

cairn_err
crn_replay_check(crn_replay *r, const crn_envelope *env)
{
	return crn_replay_check_conn(r, env, 0);
}

cairn_err
crn_replay_check_conn(crn_replay *r, const crn_envelope *env, uint32_t conn)
{
	uint8_t key[REPLAY_KEY_LEN];
	replay_slot *s;
	cairn_err rv;

	memcpy(key, env->sender, CAIRN_SIGN_PK_LEN);
	memcpy(key + CAIRN_SIGN_PK_LEN, env->session_id, CAIRN_SESSION_ID_LEN);
	memcpy(key + REPLAY_CONN_OFF, &conn, sizeof(conn));
	s = replay_find(r, key);
	if (s->used) {
		if (env->seq <= s->seq)
			return CAIRN_EREPLAY;
		s->seq = env->seq;
		return CAIRN_OK;
	}
	if (r->count >= CRN_REPLAY_MAX) {
		crn_log_warn("replay guard full (%u entries)", CRN_REPLAY_MAX);
		return CAIRN_ETOOBIG;
	}
	/* Grow before inserting so the load factor stays at most 1/2. */
	if ((r->count + 1) * 2 > r->cap) {
		if ((rv = replay_grow(r)) != CAIRN_OK)
			return rv;
		s = replay_find(r, key);
	}
	memcpy(s->key, key, REPLAY_KEY_LEN);
	s->seq = env->seq;
	s->used = 1;
	r->count++;
	return CAIRN_OK;
}
