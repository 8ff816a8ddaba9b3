/*
 * libFuzzer target for the control RPC wire decoders: frame length checks,
 * envelopes, and the scan/version bodies with their conversions to C
 * structures.  Built only with clang (see meson.build).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "control/lib/rpc/rpc.h"
#include "proto/ctl.pb-c.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct d_errbuf		  eb;
	struct ctl_storage_scan	 *s;
	struct ctl_net_scan	 *n;
	struct ctl_server_version v;
	unsigned int		  flags;
	uint32_t		  len;
	char			 *p;

	if (size >= 4)
		(void)ctl_rpc_frame_len(data, &len);
	Ctl__RpcRequest *rq = ctl__rpc_request__unpack(NULL, size, data);

	ctl__rpc_request__free_unpacked(rq, NULL);
	Ctl__RpcResponse *rs = ctl__rpc_response__unpack(NULL, size, data);

	ctl__rpc_response__free_unpacked(rs, NULL);
	if (ctl_storage_scan_unpack(data, size, &s, &eb) == 0)
		ctl_storage_scan_free(s);
	if (ctl_net_scan_unpack(data, size, &n, &eb) == 0)
		ctl_net_scan_free(n);
	if (ctl_server_version_unpack(data, size, &v, &eb) == 0)
		ctl_server_version_fini(&v);
	(void)ctl_storage_scan_req_unpack(data, size, &flags, &eb);
	if (ctl_net_scan_req_unpack(data, size, &p, &eb) == 0)
		free(p);
	return 0;
}
