/* secagg_unmask_fuzz.c — fuzz the unmask decoder of proto/codec_secagg.c:
 * any input is refused or decoded, and what decodes re-encodes. */
#include <stddef.h>
#include <stdint.h>

#include "base/crn.h"
#include "proto/codec_secagg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	crn_sa_unmask m;
	uint8_t *out;
	size_t len;

	if (crn_sa_unmask_decode(&m, data, size) != CAIRN_OK)
		return 0;
	if (crn_sa_unmask_encode(&out, &len, &m) == CAIRN_OK)
		crn_free(out, len);
	crn_sa_unmask_fini(&m);
	return 0;
}
