/* secagg_abort_fuzz.c — fuzz the abort decoder of proto/codec_secagg.c:
 * any input is refused or decoded, and what decodes re-encodes. */
#include <stddef.h>
#include <stdint.h>

#include "base/crn.h"
#include "proto/codec_secagg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	crn_sa_abort m;
	uint8_t *out;
	size_t len;

	if (crn_sa_abort_decode(&m, data, size) == CAIRN_OK &&
	    crn_sa_abort_encode(&out, &len, &m) == CAIRN_OK)
		crn_free(out, len);
	return 0;
}
