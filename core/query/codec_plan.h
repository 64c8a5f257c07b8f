/*
 * codec_plan.h — crn_plan (core/query/plan.h) <-> cairn.plan.QueryPlan bytes.
 *
 * Nodes receive the encoded plan inside a researcher-signed Job.  The
 * decoder trusts nothing: every index is range-checked, expressions must
 * form trees within the depth limit, and the vector layout and ring width
 * are recomputed from the keys, measures and columns and must equal what
 * the message claims.
 */
#ifndef CRN_QUERY_CODEC_PLAN_H
#define CRN_QUERY_CODEC_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "query/plan.h"

/* Plans larger than this are refused by the decoder. */
#define CRN_PLAN_MAX_ENCODED    (1u << 20)
#define CRN_PLAN_MAX_COLS       4096u
#define CRN_PLAN_MAX_EXPR_NODES 4096u

/*
 * Serialize p.  On success *out is a new buffer of *len bytes (free with
 * crn_free(*out, *len)).  CAIRN_EINVAL if p is not a valid plan (the
 * encoder applies the decoder's checks), CAIRN_ENOMEM.
 */
CAIRN_NODISCARD cairn_err crn_plan_encode(
    const crn_plan *p, uint8_t **out, size_t *len);

/*
 * Parse and validate buf.  On success *out is a new plan (free with
 * crn_plan_free, core/query/sql_plan.h).  CAIRN_EPROTO for malformed or
 * inconsistent plans, CAIRN_ETOOBIG beyond the limits, CAIRN_ENOMEM.
 * Never crashes on any input.
 */
CAIRN_NODISCARD cairn_err crn_plan_decode(
    const uint8_t *buf, size_t len, crn_plan **out);

/* Check a plan's internal consistency (what the decoder enforces). */
CAIRN_NODISCARD cairn_err crn_plan_check(const crn_plan *p);

#endif /* CRN_QUERY_CODEC_PLAN_H */
