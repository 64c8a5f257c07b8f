/* codec_util.c — helpers shared by the codecs (codec_util.h). */
#include <string.h>

#include "base/crn.h"
#include "proto/codec_util.h"

cairn_err
crn_pb_pack(
    const ProtobufCMessage *m, size_t max, uint8_t **out, size_t *outlen)
{
	size_t n = protobuf_c_message_get_packed_size(m);
	uint8_t *buf;

	*out = NULL;
	*outlen = 0;
	if (max > 0 && n > max)
		return CAIRN_ETOOBIG;
	if ((buf = crn_alloc(n)) == NULL) /* crn_alloc(0) is a 1-byte buffer */
		return CAIRN_ENOMEM;
	if (protobuf_c_message_pack(m, buf) != n) {
		crn_free(buf, n);
		return CAIRN_EINTERNAL;
	}
	*out = buf;
	*outlen = n;
	return CAIRN_OK;
}

cairn_err
crn_pb_copy_bytes(uint8_t **dst, size_t *dstlen, const ProtobufCBinaryData *src)
{
	*dst = NULL;
	*dstlen = 0;
	if (src->len == 0)
		return CAIRN_OK;
	if ((*dst = crn_alloc(src->len)) == NULL)
		return CAIRN_ENOMEM;
	memcpy(*dst, src->data, src->len);
	*dstlen = src->len;
	return CAIRN_OK;
}
