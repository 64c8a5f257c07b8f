/*
 * codec_envelope.h — wire codecs: structs to and from the protobuf
 * messages of proto/cairn.proto.  Only the codecs (proto/codec_*.c and
 * core/query/codec_plan.c) see the generated protobuf-c types; everything
 * else calls these functions and gets structs it owns.
 *
 * Rules shared by every codec declared here:
 *   - encode writes a crn_alloc'd buffer to *out and its length to *outlen
 *     (free with crn_free(*out, *outlen)); *out is NULL on failure.
 *   - decode never trusts its input: it checks the total size, every field
 *     length and every enum, returns CAIRN_EINVAL for malformed input,
 *     CAIRN_ETOOBIG for oversized input, CAIRN_ENOMEM when allocation
 *     fails, and never crashes.  On failure the out struct is left zeroed
 *     (nothing to free); on success the caller owns it and releases it
 *     with the struct's _fini.
 *   - decode only parses; authenticity (signatures, replay) is the
 *     caller's job with the crypto/ functions.
 *
 * Thread safety: all codecs are reentrant.
 */
#ifndef CRN_PROTO_CODEC_ENVELOPE_H
#define CRN_PROTO_CODEC_ENVELOPE_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "crypto/envelope.h"

/* ---- envelope (cairn.Envelope; proto/codec_envelope.c) -------------------
 *
 * Wire rules: sender is 32 bytes; session_id is empty (decoded as 16 zero
 * bytes: "no session") or 16 bytes; recipient is 32 bytes when sealed and
 * empty otherwise; signature is 64 bytes; type fits a uint32.  Encoding
 * writes an all-zero session id as empty and the recipient only when
 * sealed, so decode(encode(env)) equals env field for field.  Decode
 * accepts only that canonical encoding (no unknown fields, no default
 * values written out, bools as 0 or 1), so encode(decode(wire)) equals
 * wire byte for byte and a signed envelope cannot be re-encoded in
 * transit.
 */

/* Encode env (borrowed).  CAIRN_EINVAL for a struct the wire cannot carry
 * (payload NULL with a length, type above INT32_MAX), CAIRN_ETOOBIG when
 * the result would exceed CRN_ENVELOPE_MAX, CAIRN_ENOMEM. */
CAIRN_NODISCARD cairn_err crn_envelope_encode(
    const crn_envelope *env, uint8_t **out, size_t *outlen);

/* Decode len bytes of buf (borrowed) into *out, which the caller provides
 * and releases with crn_envelope_fini on success.  CAIRN_ETOOBIG when len
 * exceeds CRN_ENVELOPE_MAX, CAIRN_EINVAL when malformed, CAIRN_ENOMEM. */
CAIRN_NODISCARD cairn_err crn_envelope_decode(
    crn_envelope *out, const uint8_t *buf, size_t len);

#endif /* CRN_PROTO_CODEC_ENVELOPE_H */
