/*
 * StorageFormat in daos_server (srv_format.c): formats the SCM and bdev
 * tiers of each engine instance that needs it (or all, with reformat),
 * writes daos_nvme.conf and a fresh superblock, then hands the instance to
 * the engine runner (srv_engine_storage_ready()).  Used by the control RPC
 * handler and by `daos_server start --auto-format`.
 */
#ifndef DAOS_CONTROL_SERVER_SRV_FORMAT_H
#define DAOS_CONTROL_SERVER_SRV_FORMAT_H

#include <stdbool.h>

#include "control/lib/rpc/rpc.h"
#include "control/server/srv_internal.h"

/*
 * Format this host's engines.  Per-instance outcomes (including failures)
 * are results in *out; the return value is an error of the whole request
 * (-DER_INVAL: replace with reformat, or replace while no instance needs a
 * format), with the sentence in eb.  Requests run one at a time.
 */
int srv_storage_format(struct srv_state *st, bool reformat, bool replace,
		       struct ctl_format_resp *out, struct d_errbuf *eb);

/*
 * `daos_server start --auto-format`: srv_storage_format() without reformat
 * or replace, every outcome logged (failures at ERROR).
 */
void srv_auto_format(struct srv_state *st);

/* The "StorageFormat" control RPC handler (arg: struct srv_state). */
int srv_h_storage_format(void *arg, const struct ctl_rpc_peer *peer, const uint8_t *req,
			 size_t req_len, uint8_t **resp, size_t *resp_len, struct d_errbuf *eb);

#endif /* DAOS_CONTROL_SERVER_SRV_FORMAT_H */
