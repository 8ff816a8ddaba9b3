/*
 * Control RPC framing (see rpc.h): length-prefixed protobuf envelopes, shared
 * by the server (rpc_server.c) and the client (rpc_client.c).  Method bodies
 * are opaque bytes here; rpc_conv.c converts the scan messages.  Nothing here
 * logs.
 */
#include <signal.h>

#include "common/pb.h"
#include "control/lib/rpc/rpc.h"
#include "control/lib/rpc/rpc_internal.h"
#include "proto/ctl.pb-c.h"

void
ctl_rpc_ignore_sigpipe(void)
{
	struct sigaction sa;

	if (sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL) {
		sa.sa_handler = SIG_IGN;
		sigemptyset(&sa.sa_mask);
		sa.sa_flags = 0;
		sigaction(SIGPIPE, &sa, NULL);
	}
}

/* ---------------------------------------------------------------------- */
/* Framing. */

static int
frame_pack(const ProtobufCMessage *msg, uint8_t **frame, size_t *len)
{
	size_t	 n = protobuf_c_message_get_packed_size(msg);
	uint8_t *buf;
	int	 rc;

	if (n + 4 > CTL_RPC_MAX_FRAME)
		return -DER_OVERFLOW;
	rc = d_pb_pack_hdr(msg, 4, &buf, len);
	if (rc != 0)
		return rc;
	buf[0] = (uint8_t)(n >> 24);
	buf[1] = (uint8_t)(n >> 16);
	buf[2] = (uint8_t)(n >> 8);
	buf[3] = (uint8_t)n;
	*frame = buf;
	return 0;
}

int
ctl_rpc_frame_request(const struct ctl_rpc_req_env *env, uint8_t **frame, size_t *len)
{
	Ctl__RpcRequest m = CTL__RPC_REQUEST__INIT;

	m.method = (char *)(env->method != NULL ? env->method : "");
	m.version = (char *)(env->version != NULL ? env->version : "");
	m.component = (char *)(env->component != NULL ? env->component : "");
	m.body.data = (uint8_t *)env->body;
	m.body.len = env->body_len;
	return frame_pack(&m.base, frame, len);
}

int
ctl_rpc_frame_response(const struct ctl_rpc_resp_env *env, uint8_t **frame, size_t *len)
{
	Ctl__RpcResponse m = CTL__RPC_RESPONSE__INIT;

	m.status = env->status;
	m.error = (char *)(env->error != NULL ? env->error : "");
	m.body.data = (uint8_t *)env->body;
	m.body.len = env->body_len;
	m.version = (char *)(env->version != NULL ? env->version : "");
	m.component = (char *)(env->component != NULL ? env->component : "");
	m.refusal = env->refusal;
	return frame_pack(&m.base, frame, len);
}

int
ctl_rpc_frame_len(const uint8_t hdr[4], uint32_t *len)
{
	uint32_t n =
		(uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 | (uint32_t)hdr[2] << 8 | hdr[3];

	if (n == 0)
		return -DER_PROTO;
	if (n > CTL_RPC_MAX_FRAME - 4)
		return -DER_OVERFLOW;
	*len = n;
	return 0;
}

int
ctl_rpc_frame_read(struct d_tls_conn *conn, int64_t deadline, uint32_t max, uint8_t **out,
		   size_t *out_len, struct d_errbuf *eb)
{
	uint8_t	 hdr[4];
	uint32_t n;
	uint8_t *buf;
	int	 rc;

	if (max > CTL_RPC_MAX_FRAME - 4)
		max = CTL_RPC_MAX_FRAME - 4;
	rc = d_tls_read(conn, hdr, sizeof(hdr), deadline, eb);
	if (rc != 0)
		return rc;
	rc = ctl_rpc_frame_len(hdr, &n);
	if (rc == 0 && n > max)
		rc = -DER_OVERFLOW;
	if (rc != 0) {
		d_errbuf_set(eb, "invalid frame length %u (limit %u bytes)",
			     (unsigned)((uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 |
					(uint32_t)hdr[2] << 8 | hdr[3]),
			     max);
		return rc;
	}
	D_ALLOC(buf, n);
	if (buf == NULL)
		return -DER_NOMEM;
	rc = d_tls_read(conn, buf, n, deadline, eb);
	if (rc != 0) {
		if (rc == -DER_SHUTDOWN) {
			d_errbuf_set(eb, "connection closed in the middle of a message");
			rc = -DER_IO;
		}
		D_FREE(buf);
		return rc;
	}
	*out = buf;
	*out_len = n;
	return 0;
}
