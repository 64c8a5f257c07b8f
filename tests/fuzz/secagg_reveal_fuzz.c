/* secagg_reveal_fuzz.c — fuzz the GraphSeedReveal decoder of
 * proto/codec_secagg.c: any input is refused or decoded, and what decodes
 * re-encodes to bytes that decode to the same contribution. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "proto/codec_secagg.h"
#include "base/crn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t r[CAIRN_KEY_LEN], back[CAIRN_KEY_LEN];
	uint8_t *out;
	size_t len;

	if (crn_sa_reveal_decode(r, data, size) != CAIRN_OK)
		return 0;
	if (crn_sa_reveal_encode(&out, &len, r) != CAIRN_OK)
		crn_panic(__FILE__, __LINE__, "decoded reveal does not encode");
	if (crn_sa_reveal_decode(back, out, len) != CAIRN_OK ||
	    memcmp(r, back, sizeof(r)) != 0)
		crn_panic(__FILE__, __LINE__, "reveal does not round-trip");
	crn_free(out, len);
	return 0;
}
