/*
 * ring.h — ring arithmetic shared by the coordinator machine and the
 * simulator (core/secagg/secagg_coord.c).
 */
#ifndef CRN_SECAGG_RING_H
#define CRN_SECAGG_RING_H

#include <stdint.h>

/*
 * acc[i] += y[i] for i < dim, in the ring Z_{2^bits} (bits 32, 64 or 128).
 * acc holds native integers (suitably aligned); y holds dim elements of
 * bits/8 bytes each in the same byte order, read without alignment
 * assumptions.
 */
void crn_sa_ring_add(
    uint8_t *acc, const uint8_t *y, uint64_t dim, uint32_t bits);

#endif /* CRN_SECAGG_RING_H */
