/*
 * node_dp.h — the node's share of the distributed DP noise
 * (core/query/dp_account.h, crypto/dp.h).
 */
#ifndef CRN_NODE_NODE_DP_H
#define CRN_NODE_NODE_DP_H

#include <stdbool.h>
#include <stdint.h>

#include "base/err.h"
#include "query/dp_account.h"
#include "query/plan.h"

/*
 * Add to each of the dim native elements of vec (ring_bits wide) a fresh
 * discrete Gaussian draw with the node variance of its class: PASS1 for
 * every element of the counts pass (counts_pass), else the class of its
 * place in the plan's group block.  Randomness from the OS CSPRNG
 * (crn_dp_rng_init_os).  Arithmetic is in the ring, as masking is.
 * CAIRN_EINVAL for a variance the sampler refuses; CAIRN_ETOOBIG when
 * the noise of max_nodes nodes could wrap the ring (an epsilon far too
 * small for the plan's ring width).
 */
CAIRN_NODISCARD cairn_err crn_node_dp_add(void *vec, uint32_t ring_bits,
    uint64_t dim, const crn_plan *p, const crn_dp_noise *nz, bool counts_pass);

#endif /* CRN_NODE_NODE_DP_H */
