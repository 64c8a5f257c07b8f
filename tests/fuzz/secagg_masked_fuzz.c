/* secagg_masked_fuzz.c — fuzz the masked decoder of proto/codec_secagg.c:
 * any input is refused or decoded, and what decodes re-encodes; the
 * zero-copy view agrees with the decoder. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "base/crn.h"
#include "proto/codec_secagg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	crn_sa_masked m;
	uint8_t *out;
	size_t len;
	const uint8_t *view;
	uint32_t vbits;
	uint64_t vdim;
	cairn_err vrv = crn_sa_masked_view(&vbits, &vdim, &view, data, size);

	if (crn_sa_masked_decode(&m, data, size) != CAIRN_OK) {
		/* The zero-copy view never accepts what protobuf-c refuses. */
		if (vrv == CAIRN_OK)
			crn_panic(__FILE__, __LINE__, "view accepts more");
		return 0;
	}
	/* The view may refuse odd keys protobuf-c tolerates (over-long tags,
	 * groups), never the reverse; when both accept they agree. */
	if (vrv == CAIRN_OK &&
	    (vbits != m.ring_bits || vdim != m.dim ||
	        memcmp(view, m.data, m.len) != 0))
		crn_panic(__FILE__, __LINE__, "view disagrees with decode");
	if (crn_sa_masked_encode(&out, &len, m.ring_bits, m.dim, m.data) ==
	    CAIRN_OK)
		crn_free(out, len);
	crn_sa_masked_fini(&m);
	return 0;
}
