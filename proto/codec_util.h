/*
 * codec_util.h — helpers every protobuf-c codec in proto/ shares.  Only
 * proto/ includes this (it names protobuf-c types).
 */
#ifndef CRN_PROTO_CODEC_UTIL_H
#define CRN_PROTO_CODEC_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "base/err.h"

/*
 * Serialize m into a new crn_alloc'd buffer (*out, *outlen; free with
 * crn_free(*out, *outlen)); a message with every field at its default
 * packs to zero bytes and still gets a buffer.  max > 0 refuses larger
 * messages with CAIRN_ETOOBIG.  *out is NULL on error.
 */
CAIRN_NODISCARD cairn_err crn_pb_pack(
    const ProtobufCMessage *m, size_t max, uint8_t **out, size_t *outlen);

/* Copy a bytes field into a new crn_alloc'd buffer; an empty field gives
 * NULL and 0.  CAIRN_ENOMEM. */
CAIRN_NODISCARD cairn_err crn_pb_copy_bytes(
    uint8_t **dst, size_t *dstlen, const ProtobufCBinaryData *src);

#endif /* CRN_PROTO_CODEC_UTIL_H */
