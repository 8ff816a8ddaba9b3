/*
 * d_pb_pack_hdr(): see pb.h.
 */
#include "common/pb.h"

int
d_pb_pack_hdr(const ProtobufCMessage *msg, size_t hdr_len, uint8_t **buf, size_t *len)
{
	size_t	 n = protobuf_c_message_get_packed_size(msg);
	uint8_t *b;

	if (n >= SIZE_MAX - hdr_len)
		return -DER_NOMEM;
	/* one byte at least: an empty message still gets a buffer */
	D_ALLOC(b, hdr_len + n > 0 ? hdr_len + n : 1);
	if (b == NULL)
		return -DER_NOMEM;
	protobuf_c_message_pack(msg, b + hdr_len);
	*buf = b;
	*len = hdr_len + n;
	return 0;
}
