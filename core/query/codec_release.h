/*
 * codec_release.h — crn_release (core/release.h) <-> cairn.plan.ReleaseList
 * bytes, the payload of MSG_PASS_START.
 *
 * Nodes decode what the coordinator sends between the two passes of a
 * query.  The decoder checks the shape only (ids of 16 bytes, counts of
 * groups * (1 + nmeasures) entries, groups strictly increasing, within the
 * planner's limits); whether the list fits the job's plan is
 * crn_release_check's business, with the plan at hand.  The rules of
 * codec.h apply.
 */
#ifndef CRN_QUERY_CODEC_RELEASE_H
#define CRN_QUERY_CODEC_RELEASE_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "query/release.h"

/* Largest encoded list a decoder accepts: counts of up to the planner's
 * largest vector as varints of up to 8 bytes, inside an envelope
 * (CRN_ENVELOPE_MAX). */
#define CRN_RELEASE_MAX_ENCODED (128u * 1024u * 1024u)

/* Encode r.  CAIRN_EINVAL for a list the decoder would refuse,
 * CAIRN_ETOOBIG beyond CRN_RELEASE_MAX_ENCODED, CAIRN_ENOMEM. */
CAIRN_NODISCARD cairn_err crn_release_encode(
    const crn_release *r, uint8_t **out, size_t *outlen);

/* Decode into *r (zeroed on failure; crn_release_fini on success).
 * CAIRN_EINVAL, CAIRN_ETOOBIG, CAIRN_ENOMEM. */
CAIRN_NODISCARD cairn_err crn_release_decode(
    crn_release *r, const uint8_t *buf, size_t len);

#endif /* CRN_QUERY_CODEC_RELEASE_H */
