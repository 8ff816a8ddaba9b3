/*
 * libFuzzer target for dRPC message reassembly (src/common/drpc.c) and the
 * drpc.Call / drpc.Response decoders.  Built only with clang (see
 * meson.build); not part of `make test`.
 *
 * Input format: a sequence of packets, each a 2-byte little-endian length L
 * followed by L bytes (a short last packet takes what is left; a lone last
 * byte is dropped).  The packets are written in order into one end of a
 * socketpair(AF_UNIX, SOCK_SEQPACKET) whose write end is then closed, and
 * d_drpc_recv_msg() is called on the other end until it fails, so every
 * run ends (at worst with -DER_UNREACH/-DER_PROTO at end of stream) and
 * never waits on a timer.  Writes are non-blocking: packets that do not fit
 * in the socket buffer are dropped, which only shortens the stream.
 * Every reassembled message is decoded as drpc.Call and drpc.Response, as
 * the server and client do; the raw input is decoded too.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/drpc.h"
#include "proto/drpc.pb-c.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
decode(const uint8_t *buf, size_t len)
{
	Drpc__Call     *call = drpc__call__unpack(NULL, len, buf);
	Drpc__Response *resp = drpc__response__unpack(NULL, len, buf);

	drpc__call__free_unpacked(call, NULL);
	drpc__response__free_unpacked(resp, NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int    sv[2];
	size_t off = 0;

	decode(data, size);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
		abort();
	while (off + 2 <= size) {
		size_t l = (size_t)data[off] | (size_t)data[off + 1] << 8;

		off += 2;
		if (l > size - off)
			l = size - off;
		if (send(sv[1], data + off, l, MSG_DONTWAIT | MSG_NOSIGNAL) < 0 &&
		    errno != EAGAIN && errno != EWOULDBLOCK && errno != ENOBUFS)
			abort();
		off += l;
	}
	close(sv[1]);
	for (;;) {
		uint8_t *msg = NULL;
		size_t	 len = 0;
		bool	 partial = true;
		int	 rc = d_drpc_recv_msg(sv[0], -1, &msg, &len, &partial);

		if (rc != 0) {
			/* the only errors possible on a closed local pipe */
			if (rc != -DER_UNREACH && rc != -DER_PROTO && rc != -DER_OVERFLOW &&
			    rc != -DER_NOMEM)
				abort();
			break;
		}
		if (len > D_DRPC_MAX_MSG)
			abort();
		decode(msg, len);
		free(msg);
	}
	close(sv[0]);
	return 0;
}
