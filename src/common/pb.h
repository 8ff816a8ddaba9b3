/*
 * Packing protobuf-c messages into fresh buffers: the one place that does
 * get_packed_size + allocate + pack, so every packer allocates with D_ALLOC
 * (fault injection reaches it) and reports -DER_NOMEM the same way.  Built
 * as its own library (pb_dep) so that only protobuf users link protobuf-c.
 * Never logs.
 */
#ifndef DAOS_COMMON_PB_H
#define DAOS_COMMON_PB_H

#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "common/common.h"

/**
 * Pack \a msg after \a hdr_len zeroed bytes left for the caller's frame
 * header: the message starts at *\a buf + \a hdr_len and *\a len counts both.
 * *\a buf is D_ALLOC'd (free with D_FREE or free()) and never NULL, even for
 * an empty message.
 *
 * \return 0 or -DER_NOMEM; *\a buf and *\a len are written only on success.
 */
int d_pb_pack_hdr(const ProtobufCMessage *msg, size_t hdr_len, uint8_t **buf, size_t *len);

/**
 * Pack \a msg into a fresh buffer of *\a len bytes, as d_pb_pack_hdr() with
 * no header.  Typed messages are passed as &m.base.
 *
 * \return 0 or -DER_NOMEM; *\a buf and *\a len are written only on success.
 */
static inline int
d_pb_pack(const ProtobufCMessage *msg, uint8_t **buf, size_t *len)
{
	return d_pb_pack_hdr(msg, 0, buf, len);
}

#endif /* DAOS_COMMON_PB_H */
