/*
 * Internals of the `daos_server start` daemon shared by its files:
 * srv_start.c (command and lifecycle), srv_handlers.c (control RPC
 * handlers), srv_net_helper.c (the NetworkScan helper process), srv_lock.c
 * (single instance per socket_dir, port owner lookup).  Storage decisions
 * are in srv_storage.h.  Not included outside src/control/server.
 */
#ifndef DAOS_CONTROL_SERVER_SRV_INTERNAL_H
#define DAOS_CONTROL_SERVER_SRV_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "common/common.h"
#include "control/lib/config/config.h"
#include "control/lib/rpc/rpc.h"

struct srv_engines; /* srv_engine.c: the engine instances of this host */
struct srv_mgmt;    /* srv_mgmt.c: the management service, on a replica host */

/*
 * What the handlers need of the running daemon.  The pointers are set
 * before the control RPC server starts serving and stay valid until it has
 * stopped; the objects behind them do their own locking.
 */
struct srv_state {
	const struct ctl_server_config *cfg;
	char				hostname[256];
	/* IPv4 of control_iface, or "0.0.0.0" (listening on all addresses) */
	char listen_host[64];
	/* TLS client with this server's certificate (component "server"), for
	 * Join/ClusterEvent to the MS and the MS's fan-out to hosts. */
	struct ctl_rpc_client *client;
	struct srv_engines    *engines;
	struct srv_mgmt	      *ms; /* NULL: this host is not an MS replica */
};

/* The methods `daos_server start` serves (srv_handlers.c). */
extern const struct ctl_rpc_method srv_methods[];
extern const int		   srv_nr_methods;

/*
 * One network scan (provider filter `prov`, NULL: all) in a helper process
 * (srv_net_helper.c): the packed NetworkScanResp in *resp (caller frees), or
 * the scan's error with its message in eb.  A helper that does not answer
 * within 120 s is killed.
 */
int srv_net_scan_run(const char *prov, uint8_t **resp, size_t *resp_len, struct d_errbuf *eb);

/*
 * Find program `name` as upstream does (srv_proc.c): in PATH, then, when
 * daos_server runs from the build tree, at <build>/<build_subdir>/, then
 * next to daos_server.  *out: its path (caller frees).
 * -DER_NONEXIST with where it looked in eb.
 */
int srv_find_binary(const char *name, const char *build_subdir, char **out, struct d_errbuf *eb);

/*
 * Run `exe` with argv (signal mask and handlers reset) to its end: `in`
 * (in_len bytes, at most 64 KiB; NULL: /dev/null) on its stdin, its whole
 * stdout in *out (caller frees), its stderr ours (keep_stderr) or
 * /dev/null; killed after timeout_ms (-DER_TIMEDOUT).  *status: its wait
 * status.  A spawn or read failure: -DER_* with the sentence in eb.
 */
int srv_child_run(const char *exe, char *const argv[], const void *in, size_t in_len,
		  bool keep_stderr, int timeout_ms, uint8_t **out, size_t *out_len, int *status,
		  struct d_errbuf *eb);

/* Name of the lock file in socket_dir. */
#define SRV_LOCK_NAME "daos_server.lock"

/*
 * Take the instance lock <socket_dir>/daos_server.lock (flock, held for the
 * life of the process) and write our pid into it.  Another live holder:
 * -DER_EXIST with "another daos_server (pid N) is already running with
 * socket_dir X".  *fd_out is the open lock file.
 */
int srv_lock_take(const char *socket_dir, int *fd_out, struct d_errbuf *eb);
/* Remove the lock file and release the lock; fd < 0 is a no-op. */
void srv_lock_release(const char *socket_dir, int fd);

/* Storage paths this daos_server holds: see srv_claim_storage(). */
struct srv_claims {
	int   *fd;
	size_t n;
};

/*
 * Claim every engine's scm_mount and the control_metadata path for this
 * process, for its whole life: a second daos_server on the machine given
 * one of them is refused (-DER_EXIST) with the path and the holder's pid.
 */
int  srv_claim_storage(const struct ctl_server_config *cfg, struct srv_claims *c,
		       struct d_errbuf *eb);
void srv_release_storage(struct srv_claims *c);

/*
 * Which process listens on TCP `port` in this network namespace
 * (/proc/net/tcp{,6} then /proc/<pid>/fd).  0 with *pid and comm[] set, or
 * -DER_NONEXIST when /proc does not show it.
 */
int srv_port_owner(uint16_t port, int *pid, char *comm, size_t comm_len);

/*
 * Index of the `mgmt_svc_replicas` entry that names this server (its port is
 * our port and its host resolves to a local address), or -1 when this server
 * is not a replica.  Index 0 is the bootstrap replica, where the management
 * service runs (srv_replica.c).
 */
int srv_replica_index(const struct ctl_server_config *cfg);

#endif /* DAOS_CONTROL_SERVER_SRV_INTERNAL_H */
