/*
 * The management service (MS) of `daos_server start` (srv_mgmt*.c, listed
 * in srv_mgmt_internal.h); the member selection of its `dmg system`
 * requests is control/lib/system.
 *
 * The MS runs in the daos_server that is the first `mgmt_svc_replicas`
 * entry (single replica: no raft).  It keeps the system membership
 * (control/lib/system/system.h) in memory and in
 * <engine 0 scm_mount>/control_raft/daos_system.db, or
 * <control_metadata.path>/daos_control/control_raft/daos_system.db, written
 * atomically on every change.  It is up only while engine 0's SCM is
 * formatted; before that its requests fail with -DER_UNINIT.  A database
 * that disappears (reformat, erase) is forgotten: the MS starts empty.
 *
 * The control RPC handlers below serve Join, ClusterEvent, LeaderQuery and
 * SystemQuery/Stop/Start/Erase.  A server that is not the MS answers every
 * one but LeaderQuery with -DER_NOTLEADER naming the leader.  The MS lock is
 * never held across a call to other servers (a StartRanks makes engines
 * Join this MS while the fan-out is running).
 */
#ifndef DAOS_CONTROL_SERVER_SRV_MGMT_H
#define DAOS_CONTROL_SERVER_SRV_MGMT_H

#include <stddef.h>
#include <stdint.h>

#include "common/common.h"
#include "control/lib/rpc/rpc.h"
#include "control/lib/system/system.h"
#include "control/server/srv_internal.h"

/* Name of the database file inside the control_raft directory. */
#define SRV_MS_DB_NAME "daos_system.db"

struct srv_mgmt_live; /* srv_mgmt_live.c: the liveness loop of an MS */

/*
 * The MS of this server (call only when srv_replica_index() is 0).  No file
 * is touched yet: the database is loaded by the first request that finds
 * engine 0 formatted.  Stop its liveness loop before destroying it.
 */
int  srv_mgmt_create(struct srv_state *st, struct srv_mgmt **out, struct d_errbuf *eb);
void srv_mgmt_destroy(struct srv_mgmt *ms);

/*
 * The liveness loop (srv_mgmt_live.c): one thread that pings, about every
 * second, the hosts of members that are Joined, Ready or Unresponsive and
 * marks members whose host does not answer Unresponsive, and those the host
 * reports Errored/Stopped/AwaitFormat so.  DAOS_MS_LIVENESS_INTERVAL_MS in
 * the environment changes the period (0: no loop).  The MS does not run it
 * itself: its owner starts it once the control RPC server exists (NULL: ms
 * is NULL, the loop is disabled, or it could not start, which is logged) and
 * stops it (NULL: no-op; frees it) before the engines of this host are
 * stopped, so a shutting-down MS does not report its own ranks, and before
 * srv_mgmt_destroy().
 */
struct srv_mgmt_live *srv_mgmt_live_start(struct srv_mgmt *ms);
void		      srv_mgmt_live_stop(struct srv_mgmt_live *live);

/* Path of the database for this configuration into buf; -DER_INVAL without engines. */
int srv_mgmt_db_path(const struct ctl_server_config *cfg, char *buf, size_t len);

/* Control RPC handlers (registered in srv_methods[]); `arg` is the struct srv_state. */
int srv_h_join(void *arg, const struct ctl_rpc_peer *peer, const uint8_t *req, size_t req_len,
	       uint8_t **resp, size_t *resp_len, struct d_errbuf *eb);
int srv_h_cluster_event(void *arg, const struct ctl_rpc_peer *peer, const uint8_t *req,
			size_t req_len, uint8_t **resp, size_t *resp_len, struct d_errbuf *eb);
int srv_h_leader_query(void *arg, const struct ctl_rpc_peer *peer, const uint8_t *req,
		       size_t req_len, uint8_t **resp, size_t *resp_len, struct d_errbuf *eb);
int srv_h_system_query(void *arg, const struct ctl_rpc_peer *peer, const uint8_t *req,
		       size_t req_len, uint8_t **resp, size_t *resp_len, struct d_errbuf *eb);
int srv_h_system_stop(void *arg, const struct ctl_rpc_peer *peer, const uint8_t *req,
		      size_t req_len, uint8_t **resp, size_t *resp_len, struct d_errbuf *eb);
int srv_h_system_start(void *arg, const struct ctl_rpc_peer *peer, const uint8_t *req,
		       size_t req_len, uint8_t **resp, size_t *resp_len, struct d_errbuf *eb);
int srv_h_system_erase(void *arg, const struct ctl_rpc_peer *peer, const uint8_t *req,
		       size_t req_len, uint8_t **resp, size_t *resp_len, struct d_errbuf *eb);

#endif /* DAOS_CONTROL_SERVER_SRV_MGMT_H */
