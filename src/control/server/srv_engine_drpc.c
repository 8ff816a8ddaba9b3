/*
 * The dRPC client of daos_server towards its engines: the calls made on an
 * engine's own socket, <socket_dir>/daos_engine_<pid>.sock as its
 * NotifyReady announced it.  SetRank and SetUp follow a join (srv_join.c),
 * PrepShutdown comes before a system stop (srv_engine_rpc.c).  Each call is
 * one connection and one mgmt-module request answered by a mgmt.DaosResp,
 * within DRPC_CALL_MS; the engine's refusal comes back as its -DER code.
 *
 * Not here: the dRPC server daos_server runs for the engines (NotifyReady,
 * srv_engine.c) and the instances: callers pass the socket path, copied
 * under their lock.  Nothing here is locked or logged.
 */
#include <stdint.h>

#include "control/server/srv_engine_internal.h"
#include "proto/mgmt.pb-c.h"

#define DRPC_CALL_MS 30000

/* One dRPC call to the engine whose reply is a mgmt.DaosResp. */
static int
engine_call(const char *sock, int32_t method, const void *body, size_t len, struct d_errbuf *eb)
{
	struct d_drpc_client *cli = NULL;
	struct d_drpc_resp   *resp = NULL;
	Mgmt__DaosResp	     *dr = NULL;
	const char	     *name = d_drpc_method_name(D_DRPC_MODULE_MGMT, method);
	int		      rc;

	rc = d_drpc_connect(sock, &cli, eb);
	if (rc != 0)
		return rc;
	rc = d_drpc_call(cli, D_DRPC_MODULE_MGMT, method, body, len, DRPC_CALL_MS, &resp);
	if (rc != 0) {
		d_errbuf_set(eb, "%s over dRPC to %s failed: %s", name, sock, d_errstr(rc));
		goto out;
	}
	if (resp->status != D_DRPC_SUCCESS) {
		d_errbuf_set(eb, "the engine refused %s: %s", name,
			     d_drpc_status_name(resp->status) ? d_drpc_status_name(resp->status)
							      : "unknown dRPC status");
		rc = -DER_PROTO;
		goto out;
	}
	dr = mgmt__daos_resp__unpack(NULL, resp->body_len, resp->body);
	if (dr == NULL) {
		d_errbuf_set(eb, "%s: cannot decode the engine's response", name);
		rc = -DER_PROTO;
		goto out;
	}
	if (dr->status != 0) {
		d_errbuf_set(eb, "the engine answered %s with %s", name, d_errstr(dr->status));
		rc = dr->status;
	}
out:
	if (dr != NULL)
		mgmt__daos_resp__free_unpacked(dr, NULL);
	d_drpc_resp_free(resp);
	d_drpc_close(cli);
	return rc;
}

int
srv_engine_drpc_set_rank(const char *sock, uint32_t rank, uint32_t map_version, struct d_errbuf *eb)
{
	Mgmt__SetRankReq req = MGMT__SET_RANK_REQ__INIT;
	uint8_t		 buf[32];
	size_t		 len;

	req.rank = rank;
	req.map_version = map_version;
	len = mgmt__set_rank_req__pack(&req, buf);
	return engine_call(sock, D_DRPC_METHOD_MGMT_SET_RANK, buf, len, eb);
}

int
srv_engine_drpc_set_up(const char *sock, struct d_errbuf *eb)
{
	return engine_call(sock, D_DRPC_METHOD_MGMT_SET_UP, NULL, 0, eb);
}

int
srv_engine_drpc_prep_shutdown(const char *sock, struct d_errbuf *eb)
{
	return engine_call(sock, D_DRPC_METHOD_MGMT_PREP_SHUTDOWN, NULL, 0, eb);
}
