/*
 * envelope_test.c — signed and sealed envelopes end to end through the
 * wire codec: round trips, every single-bit corruption refused, replays
 * refused, sealed payloads readable only by their recipient, and the
 * decoder's field checks.
 */
#include <string.h>

#include "cairn_test.h"
#include "crypto/crypto.h"
#include "crypto/envelope.h"
#include "proto/codec_envelope.h"

/* Whether needle occurs in hay (memmem is not in C11). */
static int
contains(const uint8_t *hay, size_t n, const char *needle)
{
	size_t k = strlen(needle);

	for (size_t i = 0; i + k <= n; i++) {
		if (memcmp(hay + i, needle, k) == 0)
			return 1;
	}
	return 0;
}

static crn_identity *
ident(uint8_t fill)
{
	uint8_t seed[CAIRN_SIGN_SEED_LEN];
	crn_identity *id = NULL;

	memset(seed, fill, sizeof(seed));
	CAIRN_T_PASS(crn_identity_from_seed(&id, seed));
	return id;
}

/* A small envelope with every field set, payload copied in. */
static void
make_env(crn_envelope *env, const char *payload, uint64_t seq)
{
	size_t n = strlen(payload);

	memset(env, 0, sizeof(*env));
	env->type = 24; /* MSG_MASKED_INPUT */
	for (size_t i = 0; i < CAIRN_SESSION_ID_LEN; i++)
		env->session_id[i] = (uint8_t)(0xa0 + i);
	env->round = 2;
	env->seq = seq;
	env->payload = crn_alloc(n);
	assert_non_null(env->payload);
	memcpy(env->payload, payload, n);
	env->payload_len = n;
}

static void
assert_env_equal(const crn_envelope *a, const crn_envelope *b)
{
	assert_memory_equal(a->sender, b->sender, CAIRN_SIGN_PK_LEN);
	assert_int_equal(a->type, b->type);
	assert_memory_equal(a->session_id, b->session_id, CAIRN_SESSION_ID_LEN);
	assert_int_equal(a->round, b->round);
	assert_int_equal(a->seq, b->seq);
	assert_int_equal(a->sealed, b->sealed);
	assert_memory_equal(a->recipient, b->recipient, CAIRN_SIGN_PK_LEN);
	assert_int_equal(a->payload_len, b->payload_len);
	if (a->payload_len > 0)
		assert_memory_equal(a->payload, b->payload, a->payload_len);
	assert_int_equal(a->sender_cert_len, b->sender_cert_len);
	if (a->sender_cert_len > 0)
		assert_memory_equal(
		    a->sender_cert, b->sender_cert, a->sender_cert_len);
	assert_memory_equal(a->sig, b->sig, CAIRN_SIG_LEN);
}

static void
test_sign_encode_decode_verify(void **state)
{
	crn_identity *alice = ident(1);
	crn_envelope env, back;
	uint8_t *wire = NULL, pk[CAIRN_SIGN_PK_LEN];
	size_t wlen = 0;

	(void)state;
	make_env(&env, "sum of wages by region", 1);
	env.sender_cert = crn_alloc(5);
	assert_non_null(env.sender_cert);
	memcpy(env.sender_cert, "\x30\x03\x02\x01\x00", 5);
	env.sender_cert_len = 5;
	CAIRN_T_PASS(crn_envelope_sign(&env, alice));
	crn_identity_public(alice, pk);
	assert_memory_equal(env.sender, pk, sizeof(pk));
	CAIRN_T_PASS(crn_envelope_verify(&env));
	CAIRN_T_PASS(crn_envelope_encode(&env, &wire, &wlen));
	CAIRN_T_PASS(crn_envelope_decode(&back, wire, wlen));
	assert_env_equal(&env, &back);
	CAIRN_T_PASS(crn_envelope_verify(&back));
	crn_free(wire, wlen);
	crn_envelope_fini(&back);

	/* Outside a session and with an empty payload, too. */
	crn_envelope_fini(&env);
	memset(&env, 0, sizeof(env));
	env.type = 1;
	env.seq = 9;
	CAIRN_T_PASS(crn_envelope_sign(&env, alice));
	CAIRN_T_PASS(crn_envelope_encode(&env, &wire, &wlen));
	CAIRN_T_PASS(crn_envelope_decode(&back, wire, wlen));
	assert_env_equal(&env, &back);
	CAIRN_T_PASS(crn_envelope_verify(&back));
	crn_free(wire, wlen);
	crn_envelope_fini(&back);
	crn_envelope_fini(&env);
	crn_identity_free(alice);
}

/* Each header field that the signature covers, changed after signing. */
static void
test_verify_refuses_changed_fields(void **state)
{
	crn_identity *alice = ident(1), *mallory = ident(2);
	crn_envelope env;

	(void)state;
	make_env(&env, "payload", 5);
	CAIRN_T_PASS(crn_envelope_sign(&env, alice));
	env.type++;
	CAIRN_T_FAIL(crn_envelope_verify(&env), CAIRN_EAUTH);
	env.type--;
	env.session_id[3] ^= 4;
	CAIRN_T_FAIL(crn_envelope_verify(&env), CAIRN_EAUTH);
	env.session_id[3] ^= 4;
	env.round++;
	CAIRN_T_FAIL(crn_envelope_verify(&env), CAIRN_EAUTH);
	env.round--;
	env.seq++;
	CAIRN_T_FAIL(crn_envelope_verify(&env), CAIRN_EAUTH);
	env.seq--;
	env.sealed = true;
	CAIRN_T_FAIL(crn_envelope_verify(&env), CAIRN_EAUTH);
	env.sealed = false;
	env.recipient[0] = 1;
	CAIRN_T_FAIL(crn_envelope_verify(&env), CAIRN_EAUTH);
	env.recipient[0] = 0;
	env.payload_len--;
	CAIRN_T_FAIL(crn_envelope_verify(&env), CAIRN_EAUTH);
	env.payload_len++;
	env.payload[0] ^= 1;
	CAIRN_T_FAIL(crn_envelope_verify(&env), CAIRN_EAUTH);
	env.payload[0] ^= 1;
	env.sig[63] ^= 0x10;
	CAIRN_T_FAIL(crn_envelope_verify(&env), CAIRN_EAUTH);
	env.sig[63] ^= 0x10;
	/* Claiming another sender. */
	crn_identity_public(mallory, env.sender);
	CAIRN_T_FAIL(crn_envelope_verify(&env), CAIRN_EAUTH);
	crn_identity_public(alice, env.sender);
	CAIRN_T_PASS(crn_envelope_verify(&env));
	crn_envelope_fini(&env);
	crn_identity_free(alice);
	crn_identity_free(mallory);
}

/*
 * Flip every bit of an encoded envelope, one at a time: each result must
 * fail to decode or fail to verify.  The envelope carries no certificate,
 * which the signature deliberately does not cover (certificates are
 * checked against the CA and the sender key on their own).
 */
static void
flip_every_bit(crn_envelope *env)
{
	uint8_t *wire = NULL;
	size_t wlen = 0, decode_err = 0, auth_err = 0;
	crn_envelope back;

	CAIRN_T_PASS(crn_envelope_encode(env, &wire, &wlen));
	for (size_t bit = 0; bit < wlen * 8; bit++) {
		cairn_err rv;

		wire[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		rv = crn_envelope_decode(&back, wire, wlen);
		if (rv == CAIRN_OK) {
			rv = crn_envelope_verify(&back);
			if (rv != CAIRN_EAUTH)
				fail_msg("bit %zu of %zu accepted (%d)", bit,
				    wlen * 8, rv);
			auth_err++;
			crn_envelope_fini(&back);
		} else {
			assert_true(rv == CAIRN_EINVAL);
			decode_err++;
		}
		wire[bit / 8] ^= (uint8_t)(1u << (bit % 8));
	}
	assert_int_equal(decode_err + auth_err, wlen * 8);
	/* Both kinds of refusal happen. */
	assert_true(decode_err > 0);
	assert_true(auth_err > 0);
	CAIRN_T_PASS(crn_envelope_decode(&back, wire, wlen));
	CAIRN_T_PASS(crn_envelope_verify(&back));
	crn_envelope_fini(&back);
	crn_free(wire, wlen);
}

static void
test_every_bit_flip_refused(void **state)
{
	crn_identity *alice = ident(1), *bob = ident(3);
	uint8_t bobpk[CAIRN_SIGN_PK_LEN];
	crn_envelope env;

	(void)state;
	make_env(&env, "tiny", 7);
	CAIRN_T_PASS(crn_envelope_sign(&env, alice));
	flip_every_bit(&env);
	crn_envelope_fini(&env);

	/* A sealed one, which carries a recipient as well. */
	crn_identity_public(bob, bobpk);
	make_env(&env, "sealed", 8);
	CAIRN_T_PASS(crn_envelope_seal(&env, alice, bobpk));
	CAIRN_T_PASS(crn_envelope_sign(&env, alice));
	flip_every_bit(&env);
	crn_envelope_fini(&env);
	crn_identity_free(alice);
	crn_identity_free(bob);
}

/* Per-connection counters: a second connection of the same sender (a
 * duplicate daemon whose clock runs ahead) never locks the first out, a
 * replay on the same connection is refused, and a closed connection's
 * counters go. */
static void
test_replay_conn(void **state)
{
	crn_identity *alice = ident(1);
	crn_replay *r = NULL;
	crn_envelope a;

	(void)state;
	CAIRN_T_PASS(crn_replay_new(&r));
	make_env(&a, "x", 0);
	a.seq = 10;
	CAIRN_T_PASS(crn_envelope_sign(&a, alice));
	CAIRN_T_PASS(crn_replay_check_conn(r, &a, 1));
	CAIRN_T_FAIL(crn_replay_check_conn(r, &a, 1), CAIRN_EREPLAY);
	/* The duplicate, on connection 2, far ahead. */
	a.seq = 1000000;
	CAIRN_T_PASS(crn_replay_check_conn(r, &a, 2));
	/* The original goes on. */
	a.seq = 11;
	CAIRN_T_PASS(crn_replay_check_conn(r, &a, 1));
	CAIRN_T_FAIL(crn_replay_check_conn(r, &a, 1), CAIRN_EREPLAY);
	assert_int_equal(crn_replay_count(r), 2);
	/* Connections close: their entries go, the table is empty. */
	CAIRN_T_PASS(crn_replay_forget_conn(r, 2));
	assert_int_equal(crn_replay_count(r), 1);
	CAIRN_T_PASS(crn_replay_forget_conn(r, 1));
	assert_int_equal(crn_replay_count(r), 0);
	for (uint32_t i = 0; i < 3000; i++) {
		a.seq = 5;
		CAIRN_T_PASS(crn_replay_check_conn(r, &a, 100 + i));
		CAIRN_T_PASS(crn_replay_forget_conn(r, 100 + i));
	}
	assert_int_equal(crn_replay_count(r), 0);
	crn_replay_free(r);
	crn_envelope_fini(&a);
	crn_identity_free(alice);
}

static void
test_replay(void **state)
{
	crn_identity *alice = ident(1), *bob = ident(3);
	crn_replay *r = NULL;
	crn_envelope a, b;

	(void)state;
	CAIRN_T_PASS(crn_replay_new(&r));
	make_env(&a, "x", 0);
	CAIRN_T_PASS(crn_envelope_sign(&a, alice));
	make_env(&b, "y", 0);
	CAIRN_T_PASS(crn_envelope_sign(&b, bob));

	CAIRN_T_PASS(crn_replay_check(r, &a));
	CAIRN_T_FAIL(crn_replay_check(r, &a), CAIRN_EREPLAY);
	/* Another sender in the same session has its own counter. */
	CAIRN_T_PASS(crn_replay_check(r, &b));
	a.seq = 5;
	CAIRN_T_PASS(crn_replay_check(r, &a));
	CAIRN_T_FAIL(crn_replay_check(r, &a), CAIRN_EREPLAY);
	/* Strictly greater: older numbers are refused, gaps are fine. */
	a.seq = 4;
	CAIRN_T_FAIL(crn_replay_check(r, &a), CAIRN_EREPLAY);
	a.seq = 100;
	CAIRN_T_PASS(crn_replay_check(r, &a));
	/* Another session of the same sender starts afresh. */
	a.session_id[0] ^= 1;
	a.seq = 1;
	CAIRN_T_PASS(crn_replay_check(r, &a));
	a.session_id[0] ^= 1;
	CAIRN_T_FAIL(crn_replay_check(r, &a), CAIRN_EREPLAY);

	/* Many (sender, session) pairs: the table grows and forgets none. */
	for (uint32_t i = 0; i < 5000; i++) {
		memcpy(b.session_id, &i, sizeof(i));
		b.seq = 10;
		CAIRN_T_PASS(crn_replay_check(r, &b));
	}
	for (uint32_t i = 0; i < 5000; i++) {
		memcpy(b.session_id, &i, sizeof(i));
		b.seq = 10;
		CAIRN_T_FAIL(crn_replay_check(r, &b), CAIRN_EREPLAY);
		b.seq = 11;
		CAIRN_T_PASS(crn_replay_check(r, &b));
	}
	/* Forgetting finished sessions (even ones): exactly those start
	 * afresh, every other counter survives the rebuild. */
	for (uint32_t i = 0; i < 5000; i += 2) {
		uint8_t sid[CAIRN_SESSION_ID_LEN] = {0};

		memcpy(b.session_id, &i, sizeof(i));
		memcpy(sid, b.session_id, sizeof(sid));
		CAIRN_T_PASS(crn_replay_forget(r, sid));
	}
	for (uint32_t i = 0; i < 5000; i++) {
		memcpy(b.session_id, &i, sizeof(i));
		b.seq = 1;
		if (i % 2 == 0)
			CAIRN_T_PASS(crn_replay_check(r, &b));
		else
			CAIRN_T_FAIL(crn_replay_check(r, &b), CAIRN_EREPLAY);
	}
	crn_replay_free(r);
	crn_replay_free(NULL);
	crn_envelope_fini(&a);
	crn_envelope_fini(&b);
	crn_identity_free(alice);
	crn_identity_free(bob);
}

static void
test_seal_open(void **state)
{
	static const char secret[] = "share of b for node 7";
	crn_identity *alice = ident(1), *bob = ident(3), *carol = ident(4);
	uint8_t bobpk[CAIRN_SIGN_PK_LEN], carolpk[CAIRN_SIGN_PK_LEN];
	crn_envelope env, back, copy;
	uint8_t *wire = NULL;
	size_t wlen = 0;

	(void)state;
	crn_identity_public(bob, bobpk);
	crn_identity_public(carol, carolpk);
	make_env(&env, secret, 1);
	CAIRN_T_PASS(crn_envelope_seal(&env, alice, bobpk));
	assert_true(env.sealed);
	assert_memory_equal(env.recipient, bobpk, sizeof(bobpk));
	assert_int_equal(env.payload_len, strlen(secret) + 40);
	assert_false(contains(env.payload, env.payload_len, "share"));
	/* Sealing twice is a caller bug. */
	CAIRN_T_FAIL(crn_envelope_seal(&env, alice, bobpk), CAIRN_ESTATE);
	CAIRN_T_PASS(crn_envelope_sign(&env, alice));
	CAIRN_T_PASS(crn_envelope_encode(&env, &wire, &wlen));
	assert_false(contains(wire, wlen, "share"));

	/* Carol, not the recipient, cannot open it. */
	CAIRN_T_PASS(crn_envelope_decode(&back, wire, wlen));
	CAIRN_T_PASS(crn_envelope_verify(&back));
	CAIRN_T_FAIL(crn_envelope_open(&back, carol), CAIRN_EAUTH);
	/* Nor by claiming to be the recipient. */
	memcpy(back.recipient, carolpk, sizeof(carolpk));
	CAIRN_T_FAIL(crn_envelope_open(&back, carol), CAIRN_EAUTH);
	crn_envelope_fini(&back);

	/* Bob can, and learns it came from Alice's key. */
	CAIRN_T_PASS(crn_envelope_decode(&back, wire, wlen));
	CAIRN_T_PASS(crn_envelope_verify(&back));
	CAIRN_T_PASS(crn_envelope_open(&back, bob));
	assert_false(back.sealed);
	assert_int_equal(back.payload_len, strlen(secret));
	assert_memory_equal(back.payload, secret, strlen(secret));
	CAIRN_T_FAIL(crn_envelope_open(&back, bob), CAIRN_ESTATE);
	crn_envelope_fini(&back);

	/* A different claimed sender breaks the box, signature aside. */
	CAIRN_T_PASS(crn_envelope_decode(&back, wire, wlen));
	crn_identity_public(carol, back.sender);
	CAIRN_T_FAIL(crn_envelope_open(&back, bob), CAIRN_EAUTH);
	crn_envelope_fini(&back);

	/* Any changed ciphertext byte is refused by the box itself. */
	CAIRN_T_PASS(crn_envelope_decode(&copy, wire, wlen));
	for (size_t i = 0; i < copy.payload_len; i++) {
		CAIRN_T_PASS(crn_envelope_decode(&back, wire, wlen));
		back.payload[i] ^= 0x01;
		CAIRN_T_FAIL(crn_envelope_open(&back, bob), CAIRN_EAUTH);
		crn_envelope_fini(&back);
	}
	/* Truncated below nonce + tag. */
	copy.payload_len = 39;
	CAIRN_T_FAIL(crn_envelope_open(&copy, bob), CAIRN_EAUTH);
	copy.payload_len = strlen(secret) + 40;
	crn_envelope_fini(&copy);
	crn_free(wire, wlen);
	crn_envelope_fini(&env);

	/* Empty payloads seal and open too. */
	make_env(&env, "", 2);
	CAIRN_T_PASS(crn_envelope_seal(&env, alice, bobpk));
	CAIRN_T_PASS(crn_envelope_open(&env, bob));
	assert_int_equal(env.payload_len, 0);
	crn_envelope_fini(&env);

	/* A recipient key that is no curve point is refused. */
	make_env(&env, "x", 3);
	memset(bobpk, 0, sizeof(bobpk));
	CAIRN_T_FAIL(crn_envelope_seal(&env, alice, bobpk), CAIRN_EINVAL);
	assert_false(env.sealed);
	crn_envelope_fini(&env);
	crn_identity_free(alice);
	crn_identity_free(bob);
	crn_identity_free(carol);
}

/* Hand-written protobuf: field checks of the decoder. */
static size_t
put_bytes_field(uint8_t *p, unsigned field, const uint8_t *v, size_t n)
{
	size_t k = 0;

	p[k++] = (uint8_t)(field << 3 | 2);
	p[k++] = (uint8_t)n; /* n < 128 here */
	memset(p + k, 0, n);
	if (v != NULL)
		memcpy(p + k, v, n);
	return k + n;
}

static cairn_err
decode_fields(
    size_t sender, size_t session, int sealed, size_t recipient, size_t sig)
{
	uint8_t buf[512];
	size_t n = 0;
	crn_envelope env;
	cairn_err rv;

	n += put_bytes_field(buf + n, 1, NULL, sender);
	if (session > 0)
		n += put_bytes_field(buf + n, 3, NULL, session);
	if (sealed) {
		buf[n++] = 6 << 3;
		buf[n++] = 1;
	}
	if (recipient > 0)
		n += put_bytes_field(buf + n, 7, NULL, recipient);
	n += put_bytes_field(buf + n, 8, (const uint8_t *)"p", 1);
	n += put_bytes_field(buf + n, 10, NULL, sig);
	rv = crn_envelope_decode(&env, buf, n);
	if (rv == CAIRN_OK)
		crn_envelope_fini(&env);
	return rv;
}

static void
test_decode_field_checks(void **state)
{
	static const uint8_t junk[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	crn_envelope env;
	uint8_t zero[sizeof(env)];

	(void)state;
	CAIRN_T_PASS(decode_fields(32, 0, 0, 0, 64));
	CAIRN_T_PASS(decode_fields(32, 16, 0, 0, 64));
	CAIRN_T_PASS(decode_fields(32, 16, 1, 32, 64));
	CAIRN_T_FAIL(decode_fields(31, 16, 0, 0, 64), CAIRN_EINVAL);
	CAIRN_T_FAIL(decode_fields(33, 16, 0, 0, 64), CAIRN_EINVAL);
	CAIRN_T_FAIL(decode_fields(0, 16, 0, 0, 64), CAIRN_EINVAL);
	CAIRN_T_FAIL(decode_fields(32, 15, 0, 0, 64), CAIRN_EINVAL);
	CAIRN_T_FAIL(decode_fields(32, 17, 0, 0, 64), CAIRN_EINVAL);
	CAIRN_T_FAIL(decode_fields(32, 16, 1, 0, 64), CAIRN_EINVAL);
	CAIRN_T_FAIL(decode_fields(32, 16, 1, 31, 64), CAIRN_EINVAL);
	CAIRN_T_FAIL(decode_fields(32, 16, 0, 32, 64), CAIRN_EINVAL);
	CAIRN_T_FAIL(decode_fields(32, 16, 0, 0, 63), CAIRN_EINVAL);
	CAIRN_T_FAIL(decode_fields(32, 16, 0, 0, 0), CAIRN_EINVAL);
	CAIRN_T_FAIL(decode_fields(32, 16, 0, 0, 65), CAIRN_EINVAL);
	CAIRN_T_FAIL(crn_envelope_decode(&env, NULL, 0), CAIRN_EINVAL);
	CAIRN_T_FAIL(
	    crn_envelope_decode(&env, junk, sizeof(junk)), CAIRN_EINVAL);
	/* On failure the out struct is left zeroed. */
	memset(zero, 0, sizeof(zero));
	assert_memory_equal(&env, zero, sizeof(env));
	/* Size is checked before anything is read. */
	CAIRN_T_FAIL(
	    crn_envelope_decode(&env, junk, (size_t)CRN_ENVELOPE_MAX + 1),
	    CAIRN_ETOOBIG);
}

/* The type is a uint32 in the struct and an int32 enum on the wire. */
static void
test_type_range(void **state)
{
	crn_identity *alice = ident(1);
	crn_envelope env, back;
	uint8_t *wire = NULL, *w2 = NULL;
	size_t wlen = 0, n = 0;

	(void)state;
	make_env(&env, "t", 1);
	env.type = (uint32_t)INT32_MAX + 1;
	CAIRN_T_FAIL(crn_envelope_encode(&env, &wire, &wlen), CAIRN_EINVAL);
	assert_null(wire);
	/* An unknown but non-negative type passes through unchanged. */
	env.type = 1000;
	CAIRN_T_PASS(crn_envelope_sign(&env, alice));
	CAIRN_T_PASS(crn_envelope_encode(&env, &wire, &wlen));
	CAIRN_T_PASS(crn_envelope_decode(&back, wire, wlen));
	assert_int_equal(back.type, 1000);
	CAIRN_T_PASS(crn_envelope_verify(&back));
	crn_envelope_fini(&back);
	/*
	 * Rewrite the type as -1 (ten-byte varint): the sender field comes
	 * first (34 bytes), then the type's tag and its varint "e8 07".
	 */
	assert_int_equal(wire[34], 0x10);
	assert_int_equal(wire[35], 0xe8);
	assert_int_equal(wire[36], 0x07);
	w2 = crn_alloc(wlen + 8);
	assert_non_null(w2);
	memcpy(w2, wire, 35);
	n = 35;
	for (int i = 0; i < 9; i++)
		w2[n++] = 0xff;
	w2[n++] = 0x01;
	memcpy(w2 + n, wire + 37, wlen - 37);
	n += wlen - 37;
	CAIRN_T_FAIL(crn_envelope_decode(&back, w2, n), CAIRN_EINVAL);
	crn_free(w2, wlen + 8);
	crn_free(wire, wlen);
	crn_envelope_fini(&env);
	crn_identity_free(alice);
}

/* Every allocation of encode and decode may fail; none may leak. */
static void
test_codec_oom(void **state)
{
	crn_identity *alice = ident(1);
	crn_envelope env, back;
	uint8_t *wire = NULL;
	size_t wlen = 0;
	int ok = 0;

	(void)state;
	make_env(&env, "oom loop", 1);
	CAIRN_T_PASS(crn_envelope_sign(&env, alice));
	CAIRN_T_PASS(crn_envelope_encode(&env, &wire, &wlen));
	for (long n = 0; n < 50 && !ok; n++) {
		cairn_err rv;

		crn_alloc_fail_after(n);
		rv = crn_envelope_decode(&back, wire, wlen);
		crn_alloc_fail_after(-1);
		if (rv == CAIRN_OK) {
			assert_env_equal(&env, &back);
			crn_envelope_fini(&back);
			ok = 1;
		} else {
			CAIRN_T_FAIL(rv, CAIRN_ENOMEM);
		}
	}
	assert_true(ok);
	crn_free(wire, wlen);
	crn_alloc_fail_after(0);
	CAIRN_T_FAIL(crn_envelope_encode(&env, &wire, &wlen), CAIRN_ENOMEM);
	crn_alloc_fail_after(-1);
	assert_null(wire);
	crn_envelope_fini(&env);
	crn_identity_free(alice);
}

/*
 * Sign, seal, open and the replay guard under failing allocations: each
 * either succeeds or returns CAIRN_ENOMEM with the envelope as it was.
 */
static void
test_envelope_oom(void **state)
{
	static const char msg[] = "oom payload";
	crn_identity *alice = ident(1), *bob = ident(3);
	uint8_t bobpk[CAIRN_SIGN_PK_LEN];
	crn_envelope env;
	crn_replay *r = NULL;
	cairn_err rv;
	long n;

	(void)state;
	crn_identity_public(bob, bobpk);
	make_env(&env, msg, 1);
	for (n = 0, rv = CAIRN_ENOMEM; rv == CAIRN_ENOMEM; n++) {
		crn_alloc_fail_after(n);
		rv = crn_envelope_seal(&env, alice, bobpk);
		crn_alloc_fail_after(-1);
		if (rv == CAIRN_ENOMEM) {
			assert_false(env.sealed);
			assert_memory_equal(env.payload, msg, strlen(msg));
		}
	}
	CAIRN_T_PASS(rv);
	for (n = 0, rv = CAIRN_ENOMEM; rv == CAIRN_ENOMEM; n++) {
		crn_alloc_fail_after(n);
		rv = crn_envelope_sign(&env, alice);
		crn_alloc_fail_after(-1);
	}
	CAIRN_T_PASS(rv);
	CAIRN_T_PASS(crn_envelope_verify(&env));
	for (n = 0, rv = CAIRN_ENOMEM; rv == CAIRN_ENOMEM; n++) {
		crn_alloc_fail_after(n);
		rv = crn_envelope_open(&env, bob);
		crn_alloc_fail_after(-1);
		if (rv == CAIRN_ENOMEM) {
			/* Still the signed, sealed envelope. */
			assert_true(env.sealed);
			CAIRN_T_PASS(crn_envelope_verify(&env));
		}
	}
	CAIRN_T_PASS(rv);
	assert_memory_equal(env.payload, msg, strlen(msg));

	for (n = 0, rv = CAIRN_ENOMEM; rv == CAIRN_ENOMEM; n++) {
		crn_alloc_fail_after(n);
		rv = crn_replay_new(&r);
		crn_alloc_fail_after(-1);
		if (rv == CAIRN_ENOMEM)
			assert_null(r);
	}
	CAIRN_T_PASS(rv);
	/* Growing the table fails cleanly and forgets nothing. */
	for (uint32_t i = 0; i < 200; i++) {
		memcpy(env.session_id, &i, sizeof(i));
		env.seq = 1;
		crn_alloc_fail_after(0);
		rv = crn_replay_check(r, &env);
		crn_alloc_fail_after(-1);
		if (rv == CAIRN_ENOMEM)
			CAIRN_T_PASS(crn_replay_check(r, &env));
		else
			CAIRN_T_PASS(rv);
	}
	for (uint32_t i = 0; i < 200; i++) {
		memcpy(env.session_id, &i, sizeof(i));
		CAIRN_T_FAIL(crn_replay_check(r, &env), CAIRN_EREPLAY);
	}
	crn_replay_free(r);
	crn_envelope_fini(&env);
	crn_identity_free(alice);
	crn_identity_free(bob);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_sign_encode_decode_verify),
    cmocka_unit_test(test_verify_refuses_changed_fields),
    cmocka_unit_test(test_every_bit_flip_refused),
    cmocka_unit_test(test_replay),
    cmocka_unit_test(test_seal_open),
    cmocka_unit_test(test_decode_field_checks),
    cmocka_unit_test(test_type_range),
    cmocka_unit_test(test_codec_oom),
    cmocka_unit_test(test_envelope_oom),
    cmocka_unit_test(test_replay_conn),
};

CAIRN_TEST_MAIN(tests)
