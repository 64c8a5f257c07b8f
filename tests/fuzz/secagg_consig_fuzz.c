/* secagg_consig_fuzz.c — fuzz the consig decoder of proto/codec_secagg.c:
 * any input is refused or decoded, and what decodes re-encodes. */
#include <stddef.h>
#include <stdint.h>

#include "base/crn.h"
#include "proto/codec_secagg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t sig[CAIRN_SIG_LEN];
	uint8_t *out;
	size_t len;

	if (crn_sa_consig_decode(sig, data, size) == CAIRN_OK &&
	    crn_sa_consig_encode(&out, &len, sig) == CAIRN_OK)
		crn_free(out, len);
	return 0;
}
