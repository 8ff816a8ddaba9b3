/*
 * Conversions between the control plane's C structures and the protobuf-c
 * messages of src/proto/ctl.proto, both ways, plus pack/unpack helpers that
 * go straight between the C structures and wire bytes.  Scans: struct
 * ctl_storage_scan <-> Ctl__StorageScanResp, struct ctl_net_scan <->
 * Ctl__NetworkScanResp; requests and the version response.
 *
 * *_to_pb() results borrow strings from the C structure (valid while it
 * lives) and are released with the matching *_pb_free().  *_from_pb()
 * results are ordinary heap structures (ctl_*_scan_free()).
 */
#ifndef DAOS_CONTROL_LIB_RPC_CONV_H
#define DAOS_CONTROL_LIB_RPC_CONV_H

#include <stddef.h>
#include <stdint.h>

#include "common/common.h"
#include "control/lib/ctl_net.h"
#include "control/lib/ctl_storage.h"
#include "proto/ctl.pb-c.h"

int  ctl_storage_scan_to_pb(const struct ctl_storage_scan *scan, Ctl__StorageScanResp **out);
void ctl_storage_scan_pb_free(Ctl__StorageScanResp *msg);
int  ctl_storage_scan_from_pb(const Ctl__StorageScanResp *msg, struct ctl_storage_scan **out);

int  ctl_net_scan_to_pb(const struct ctl_net_scan *scan, Ctl__NetworkScanResp **out);
void ctl_net_scan_pb_free(Ctl__NetworkScanResp *msg);
int  ctl_net_scan_from_pb(const Ctl__NetworkScanResp *msg, struct ctl_net_scan **out);

/* Wire bytes (malloc()ed) of a scan, and back; bad bytes are -DER_PROTO with eb. */
int ctl_storage_scan_pack(const struct ctl_storage_scan *scan, uint8_t **buf, size_t *len);
int ctl_storage_scan_unpack(const uint8_t *buf, size_t len, struct ctl_storage_scan **out,
			    struct d_errbuf *eb);
int ctl_net_scan_pack(const struct ctl_net_scan *scan, uint8_t **buf, size_t *len);
int ctl_net_scan_unpack(const uint8_t *buf, size_t len, struct ctl_net_scan **out,
			struct d_errbuf *eb);

/* StorageScanReq <-> CTL_SCAN_* flags. */
int ctl_storage_scan_req_pack(unsigned int flags, uint8_t **buf, size_t *len);
int ctl_storage_scan_req_unpack(const uint8_t *buf, size_t len, unsigned int *flags,
				struct d_errbuf *eb);

/* NetworkScanReq <-> provider ("" = all); *provider is malloc()ed. */
int ctl_net_scan_req_pack(const char *provider, uint8_t **buf, size_t *len);
int ctl_net_scan_req_unpack(const uint8_t *buf, size_t len, char **provider, struct d_errbuf *eb);

/* GetVersionResp. */
struct ctl_server_version {
	char *name;	/* "DAOS Control Server" */
	char *version;	/* "2.9.100" */
	char *revision; /* "" when unknown */
	char *hostname;
};

int  ctl_server_version_pack(const struct ctl_server_version *v, uint8_t **buf, size_t *len);
int  ctl_server_version_unpack(const uint8_t *buf, size_t len, struct ctl_server_version *v,
			       struct d_errbuf *eb);
void ctl_server_version_fini(struct ctl_server_version *v);

#endif /* DAOS_CONTROL_LIB_RPC_CONV_H */
