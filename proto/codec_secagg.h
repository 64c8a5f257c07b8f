/*
 * codec_secagg.h — secure-aggregation round messages to and from the wire
 * (cairn.proto: AdvertiseKeys, Roster, GraphSeedReveal, GraphSeeds,
 * ShareKeys, ForwardedShares, MaskedInput, ConsistencyRequest, ConsistencySignature, UnmaskRequest,
 * UnmaskResponse, Abort).
 *
 * Encoders write a freshly crn_alloc'd buffer to *out / *out_len (free it
 * with crn_free(*out, *out_len)); CAIRN_ENOMEM or CAIRN_EINVAL for a struct
 * no decoder would accept.
 *
 * Decoders take untrusted bytes and fill a caller-provided struct, which
 * they zero first and fill only on success (release it with the matching
 * crn_sa_*_fini of proto/secagg_msg.h).  They never crash on any input:
 * CAIRN_EINVAL for bytes that are not the message, a field of the wrong
 * size, an unknown enum value, a count over the limits, or a vector whose
 * length disagrees with its dim and ring width; CAIRN_ETOOBIG for input
 * larger than CRN_ENVELOPE_MAX.
 */
#ifndef CRN_PROTO_CODEC_SECAGG_H
#define CRN_PROTO_CODEC_SECAGG_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "proto/secagg_msg.h"

CAIRN_NODISCARD cairn_err crn_sa_advertise_encode(
    uint8_t **out, size_t *out_len, const crn_sa_advertise *m);
CAIRN_NODISCARD cairn_err crn_sa_advertise_decode(
    crn_sa_advertise *m, const uint8_t *in, size_t len);

CAIRN_NODISCARD cairn_err crn_sa_roster_encode(
    uint8_t **out, size_t *out_len, const crn_sa_roster *m);
CAIRN_NODISCARD cairn_err crn_sa_roster_decode(
    crn_sa_roster *m, const uint8_t *in, size_t len);

/* type is CRN_SA_MSG_SHARE_KEYS or CRN_SA_MSG_SHARES_FWD (same layout). */
CAIRN_NODISCARD cairn_err crn_sa_shares_encode(
    uint8_t **out, size_t *out_len, uint32_t type, const crn_sa_shares *m);
CAIRN_NODISCARD cairn_err crn_sa_shares_decode(
    crn_sa_shares *m, uint32_t type, const uint8_t *in, size_t len);

/* Encodes `dim` elements straight from a native vector (no copy of it). */
CAIRN_NODISCARD cairn_err crn_sa_masked_encode(uint8_t **out, size_t *out_len,
    uint32_t ring_bits, uint64_t dim, const void *vec);
CAIRN_NODISCARD cairn_err crn_sa_masked_decode(
    crn_sa_masked *m, const uint8_t *in, size_t len);
/*
 * Allocate an encoded MaskedInput of dim elements whose vector the caller
 * fills in place: *data points at its dim * ring_bits / 8 bytes inside
 * *out (little-endian elements).  The one copy of a node's input on its
 * way to the wire is into this buffer.
 */
CAIRN_NODISCARD cairn_err crn_sa_masked_frame(uint8_t **out, size_t *out_len,
    uint8_t **data, uint32_t ring_bits, uint64_t dim);

/*
 * The same checks as crn_sa_masked_decode without copying the vector: on
 * success *data points into `in` (valid while `in` is) at dim elements of
 * ring_bits bits, little-endian.  The coordinator adds each masked input
 * straight from the received bytes.  Never accepts what
 * crn_sa_masked_decode refuses, and agrees with it on what both accept; it
 * may refuse oddities protobuf-c tolerates (tags over 32 bits, groups),
 * which no cairn encoder produces.
 */
CAIRN_NODISCARD cairn_err crn_sa_masked_view(uint32_t *ring_bits, uint64_t *dim,
    const uint8_t **data, const uint8_t *in, size_t len);

CAIRN_NODISCARD cairn_err crn_sa_survivors_encode(
    uint8_t **out, size_t *out_len, const crn_sa_survivors *m);
/* Also refuses an empty or not strictly increasing list, or index 0. */
CAIRN_NODISCARD cairn_err crn_sa_survivors_decode(
    crn_sa_survivors *m, const uint8_t *in, size_t len);

/* GraphSeedReveal: one 32-byte contribution. */
CAIRN_NODISCARD cairn_err crn_sa_reveal_encode(
    uint8_t **out, size_t *out_len, const uint8_t r[CAIRN_KEY_LEN]);
CAIRN_NODISCARD cairn_err crn_sa_reveal_decode(
    uint8_t r[CAIRN_KEY_LEN], const uint8_t *in, size_t len);
/* GraphSeeds: n contributions in roster order (n >= 1). */
CAIRN_NODISCARD cairn_err crn_sa_seeds_encode(
    uint8_t **out, size_t *out_len, const crn_sa_seeds *m);
CAIRN_NODISCARD cairn_err crn_sa_seeds_decode(
    crn_sa_seeds *m, const uint8_t *in, size_t len);

CAIRN_NODISCARD cairn_err crn_sa_consig_encode(
    uint8_t **out, size_t *out_len, const uint8_t sig[CAIRN_SIG_LEN]);
CAIRN_NODISCARD cairn_err crn_sa_consig_decode(
    uint8_t sig[CAIRN_SIG_LEN], const uint8_t *in, size_t len);

CAIRN_NODISCARD cairn_err crn_sa_unmask_req_encode(
    uint8_t **out, size_t *out_len, const crn_sa_unmask_req *m);
CAIRN_NODISCARD cairn_err crn_sa_unmask_req_decode(
    crn_sa_unmask_req *m, const uint8_t *in, size_t len);

CAIRN_NODISCARD cairn_err crn_sa_unmask_encode(
    uint8_t **out, size_t *out_len, const crn_sa_unmask *m);
CAIRN_NODISCARD cairn_err crn_sa_unmask_decode(
    crn_sa_unmask *m, const uint8_t *in, size_t len);

CAIRN_NODISCARD cairn_err crn_sa_abort_encode(
    uint8_t **out, size_t *out_len, const crn_sa_abort *m);
/* Non-printable characters of the reason become '?'. */
CAIRN_NODISCARD cairn_err crn_sa_abort_decode(
    crn_sa_abort *m, const uint8_t *in, size_t len);

#endif /* CRN_PROTO_CODEC_SECAGG_H */
