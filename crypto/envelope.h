/*
 * envelope.h — the signed (and optionally sealed) envelope every cairn
 * message travels in.  proto/codec_envelope.c converts it to and from the
 * wire (cairn.Envelope); this module signs, verifies, seals, opens and
 * rejects replays.
 *
 * The signature covers a fixed to-be-signed encoding, independent of
 * protobuf: "cairn-envelope-v1" || sender || u32be type || session_id ||
 * u32be round || u64be seq || u8 sealed || recipient || u64be payload_len ||
 * payload (the ciphertext when sealed).  Any flipped bit in a field that
 * matters breaks it.
 *
 * Order for a receiver: decode, crn_envelope_verify, crn_replay_check, and
 * only then crn_envelope_open.  The signature does not cover sender_cert:
 * whoever accepts a certificate from an envelope must check that the key
 * it certifies equals `sender`.
 */
#ifndef CRN_CRYPTO_ENVELOPE_H
#define CRN_CRYPTO_ENVELOPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "crypto/crypto.h"

/* Largest encoded envelope any decoder accepts (a 16M-element 64-bit
 * vector fits in 128 MiB, with room for framing). */
#define CRN_ENVELOPE_MAX (160u * 1024u * 1024u)

typedef struct crn_envelope {
	uint8_t sender[CAIRN_SIGN_PK_LEN];
	uint32_t type; /* cairn.MsgType */
	uint8_t session_id[CAIRN_SESSION_ID_LEN];
	uint32_t round;
	uint64_t seq;
	bool sealed;
	uint8_t recipient[CAIRN_SIGN_PK_LEN]; /* zero unless sealed */
	uint8_t *payload;                     /* owned, crn_alloc'd */
	size_t payload_len;
	uint8_t *sender_cert; /* owned DER certificate or NULL */
	size_t sender_cert_len;
	uint8_t sig[CAIRN_SIG_LEN];
} crn_envelope;

/* Frees payload and certificate; safe on zeroed storage. */
void crn_envelope_fini(crn_envelope *env);

/* Sign with id (sets sender from id, then sig). */
CAIRN_NODISCARD cairn_err crn_envelope_sign(
    crn_envelope *env, const crn_identity *id);
/* CAIRN_OK or CAIRN_EAUTH. */
CAIRN_NODISCARD cairn_err crn_envelope_verify(const crn_envelope *env);

/*
 * Encrypt payload in place to the recipient's identity key (libsodium
 * crypto_box with both Ed25519 keys converted to X25519: the recipient
 * also learns the sender authenticated).  Call before crn_envelope_sign.
 */
CAIRN_NODISCARD cairn_err crn_envelope_seal(crn_envelope *env,
    const crn_identity *sender, const uint8_t recipient[CAIRN_SIGN_PK_LEN]);
/* Decrypt in place; CAIRN_EAUTH when not for me or altered.  On success
 * `sealed` becomes false and `recipient` is zeroed, so the envelope no
 * longer verifies: verify before opening. */
CAIRN_NODISCARD cairn_err crn_envelope_open(
    crn_envelope *env, const crn_identity *me);

/*
 * Replay guard: remembers the highest sequence number per (sender, session)
 * and refuses anything not strictly greater (CAIRN_EREPLAY).  Transport
 * preserves order per connection, so a strict counter is enough.
 * crn_replay_check records the number when it accepts, so call it only on
 * verified envelopes.  It remembers at most 2^20 (sender, session) pairs
 * and answers CAIRN_ETOOBIG beyond, so a flood of sessions cannot exhaust
 * memory.  Not thread-safe.
 */
typedef struct crn_replay crn_replay;
CAIRN_NODISCARD cairn_err crn_replay_new(crn_replay **out);
void crn_replay_free(crn_replay *r);
CAIRN_NODISCARD cairn_err crn_replay_check(
    crn_replay *r, const crn_envelope *env);
/*
 * Forget every sender's counter for session_id, once that session is over
 * (its messages are refused as belonging to no session from then on), so
 * that a long-running daemon does not fill the guard.  CAIRN_ENOMEM leaves
 * the guard as it was.
 */
CAIRN_NODISCARD cairn_err crn_replay_forget(
    crn_replay *r, const uint8_t session_id[CAIRN_SESSION_ID_LEN]);

/*
 * Per connection: the counters of crn_replay_check_conn are kept per
 * (connection, sender, session).  Transport links are authenticated and
 * ordered, so a replay can only come on the connection that carried the
 * original; keeping counters per connection means a second process with
 * the same identity (a duplicate daemon, a restart after the clock
 * stepped back) can never lock the first out, and the counters of a
 * connection go when it ends (crn_replay_forget_conn), so the table is
 * bounded by the live connections.  CAIRN_ENOMEM leaves the guard as it
 * was.
 */
CAIRN_NODISCARD cairn_err crn_replay_check_conn(
    crn_replay *r, const crn_envelope *env, uint32_t conn);
CAIRN_NODISCARD cairn_err crn_replay_forget_conn(crn_replay *r, uint32_t conn);
/* Entries held (for tests and metrics). */
size_t crn_replay_count(const crn_replay *r);

#endif /* CRN_CRYPTO_ENVELOPE_H */
