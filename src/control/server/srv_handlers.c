/*
 * Control RPC handlers of `daos_server start`: StorageScan, NetworkScan and
 * GetVersion, each scanning this host (or the DAOS_HW_ROOT fixture) per
 * request.  Authorization and version checks happen in front of them in
 * rpc.c; handlers only decode, scan and encode.  Format and system methods
 * come with later issues.
 *
 * A network scan runs in a separate, exec'd helper process
 * (srv_net_helper.c says why); GetVersion and StorageScan run here.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "daos_build.h"
#include "common/log.h"
#include "control/lib/hw/hw.h"
#include "control/lib/rpc/rpc.h"
#include "control/server/srv_engine.h"
#include "control/server/srv_format.h"
#include "control/server/srv_internal.h"
#include "control/server/srv_mgmt.h"

/* Upstream's NvmeBasic: a scan that did not ask for health carries none. */
static void
strip_health(struct ctl_storage_scan *scan)
{
	for (int i = 0; i < scan->nr_ctrlrs; i++) {
		D_FREE(scan->ctrlrs[i].health);
		scan->ctrlrs[i].health = NULL;
		D_FREE(scan->ctrlrs[i].info);
		scan->ctrlrs[i].info = NULL;
	}
}

static int
h_storage_scan(void *arg, const struct ctl_rpc_peer *peer, const uint8_t *req, size_t req_len,
	       uint8_t **resp, size_t *resp_len, struct d_errbuf *eb)
{
	struct ctl_storage_scan *scan;
	unsigned int		 flags;
	int			 rc;

	(void)arg;
	rc = ctl_storage_scan_req_unpack(req, req_len, &flags, eb);
	if (rc != 0)
		return rc;
	/* An empty request is the default scan: everything but health. */
	if ((flags & (CTL_SCAN_SCM | CTL_SCAN_NVME | CTL_SCAN_MEM)) == 0)
		flags |= CTL_SCAN_SCM | CTL_SCAN_NVME | CTL_SCAN_MEM;
	D_DEBUG("StorageScan from %s (flags 0x%x)", peer->addr, flags);
	rc = ctl_storage_scan(flags, &scan, eb);
	if (rc != 0) {
		D_ERROR("storage scan for %s failed: %s", peer->addr, eb->msg);
		return rc;
	}
	if (!(flags & CTL_SCAN_HEALTH))
		strip_health(scan);
	rc = ctl_storage_scan_pack(scan, resp, resp_len);
	ctl_storage_scan_free(scan);
	if (rc != 0)
		d_errbuf_set(eb, "cannot encode the storage scan: %s", d_errstr(rc));
	return rc;
}

static int
h_net_scan(void *arg, const struct ctl_rpc_peer *peer, const uint8_t *req, size_t req_len,
	   uint8_t **resp, size_t *resp_len, struct d_errbuf *eb)
{
	const struct srv_state *st = arg;
	const char	       *prov;
	char		       *provider = NULL;
	int			rc;

	rc = ctl_net_scan_req_unpack(req, req_len, &provider, eb);
	if (rc != 0)
		return rc;
	/* Upstream: no provider in the request means the configured one, else all. */
	prov = provider;
	if (prov == NULL || prov[0] == '\0')
		prov = st->cfg->fabric.provider;
	if (prov != NULL && strcasecmp(prov, "all") == 0)
		prov = NULL;
	D_DEBUG("NetworkScan from %s (provider %s)", peer->addr, prov ? prov : "all");
	rc = srv_net_scan_run(prov, resp, resp_len, eb);
	D_FREE(provider);
	if (rc != 0)
		D_ERROR("network scan for %s failed: %s", peer->addr, eb->msg);
	return rc;
}
static int
h_version(void *arg, const struct ctl_rpc_peer *peer, const uint8_t *req, size_t req_len,
	  uint8_t **resp, size_t *resp_len, struct d_errbuf *eb)
{
	const struct srv_state	 *st = arg;
	struct ctl_server_version v = {
		.name = (char *)"DAOS Control Server",
		.version = (char *)DAOS_VERSION,
		.revision = (char *)DAOS_REVISION,
		.hostname = (char *)st->hostname,
	};
	int rc;

	(void)req;
	(void)req_len;
	D_DEBUG("GetVersion from %s", peer->addr);
	rc = ctl_server_version_pack(&v, resp, resp_len);
	if (rc != 0)
		d_errbuf_set(eb, "cannot encode the version: %s", d_errstr(rc));
	return rc;
}

const struct ctl_rpc_method srv_methods[] = {
	{"GetVersion", h_version},
	{"NetworkScan", h_net_scan},
	{"StorageFormat", srv_h_storage_format},
	{"StorageScan", h_storage_scan},
	{"Join", srv_h_join},
	{"ClusterEvent", srv_h_cluster_event},
	{"LeaderQuery", srv_h_leader_query},
	{"SystemQuery", srv_h_system_query},
	{"SystemStop", srv_h_system_stop},
	{"SystemStart", srv_h_system_start},
	{"SystemErase", srv_h_system_erase},
	SRV_ENGINE_METHODS,
};
const int srv_nr_methods = (int)D_ARRAY_SIZE(srv_methods);
