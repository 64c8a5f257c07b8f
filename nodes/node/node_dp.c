/*
 * node_dp.c — adding the node's noise to its vector.  See node_dp.h.
 */
#include <math.h>

#include "base/crn.h"
#include "crypto/dp.h"
#include "node/node_dp.h"

cairn_err
crn_node_dp_add(void *vec, uint32_t ring_bits, uint64_t dim, const crn_plan *p,
    const crn_dp_noise *nz, bool counts_pass)
{
	crn_dp_rng r;
	cairn_err rv = CAIRN_OK;

	if (!counts_pass && p->per_group == 0)
		return CAIRN_EINVAL;
	/* The sum of every node's noise must stay far inside the ring, or
	 * it could wrap: 16 sd of max_nodes draws below 2^(bits - 2). */
	for (int c = 0; c < CRN_DP_CLASSES; c++) {
		long double sd;

		if ((c == CRN_DP_PASS1) != counts_pass)
			continue;
		sd = sqrtl((long double)nz->node_sigma2[c] *
		    (p->max_nodes > 0 ? p->max_nodes : 1));
		if (16 * sd >= ldexpl(1.0L, (int)ring_bits - 2))
			return CAIRN_ETOOBIG;
	}
	crn_dp_rng_init_os(&r);
	for (uint64_t i = 0; i < dim && rv == CAIRN_OK; i++) {
		int cls = counts_pass
		    ? CRN_DP_PASS1
		    : crn_dp_class_of(p, (uint32_t)(i % p->per_group));
		__int128 x = 0;

		if ((rv = crn_dp_gauss(&r, nz->node_sigma2[cls], &x)) !=
		    CAIRN_OK)
			break;
		/* Two's complement in the ring: adding the low bits of x is
		 * adding x modulo 2^ring_bits. */
		switch (ring_bits) {
		case 32:
			((uint32_t *)vec)[i] += (uint32_t)(unsigned __int128)x;
			break;
		case 64:
			((uint64_t *)vec)[i] += (uint64_t)(unsigned __int128)x;
			break;
		default:
			((unsigned __int128 *)vec)[i] += (unsigned __int128)x;
			break;
		}
		x = 0;
	}
	crn_dp_rng_fini(&r);
	return rv;
}
