/* secagg_shares_fuzz.c — fuzz the shares decoder of proto/codec_secagg.c:
 * any input is refused or decoded, and what decodes re-encodes. */
#include <stddef.h>
#include <stdint.h>

#include "base/crn.h"
#include "proto/codec_secagg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	crn_sa_shares m;
	uint8_t *out;
	size_t len;
	uint32_t type = CRN_SA_MSG_SHARE_KEYS;

	/* The first byte picks ShareKeys or ForwardedShares. */
	if (size > 0) {
		if (data[0] & 1)
			type = CRN_SA_MSG_SHARES_FWD;
		data++;
		size--;
	}
	if (crn_sa_shares_decode(&m, type, data, size) != CAIRN_OK)
		return 0;
	if (crn_sa_shares_encode(&out, &len, type, &m) == CAIRN_OK)
		crn_free(out, len);
	crn_sa_shares_fini(&m);
	return 0;
}
