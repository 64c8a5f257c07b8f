/* secagg_seeds_fuzz.c — fuzz the GraphSeeds decoder of
 * proto/codec_secagg.c: any input is refused or decoded into at least one
 * contribution, and what decodes re-encodes to bytes that decode to the
 * same contributions. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "proto/codec_secagg.h"
#include "base/crn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	crn_sa_seeds m, back;
	uint8_t *out;
	size_t len;

	if (crn_sa_seeds_decode(&m, data, size) != CAIRN_OK)
		return 0;
	if (m.n == 0 || crn_sa_seeds_encode(&out, &len, &m) != CAIRN_OK)
		crn_panic(__FILE__, __LINE__, "decoded seeds do not encode");
	if (crn_sa_seeds_decode(&back, out, len) != CAIRN_OK || back.n != m.n ||
	    memcmp(back.r, m.r, (size_t)m.n * sizeof(*m.r)) != 0)
		crn_panic(__FILE__, __LINE__, "seeds do not round-trip");
	crn_sa_seeds_fini(&back);
	crn_free(out, len);
	crn_sa_seeds_fini(&m);
	return 0;
}
