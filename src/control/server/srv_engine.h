/*
 * The engine instances of one daos_server (srv_engine.c): one per
 * `engines:` entry.  This module starts daos_engine processes (argv/env of
 * control/lib/config/config.h), relays their stdout/stderr to the log with the
 * "daos_engine:<idx>" prefix, serves the dRPC socket
 * <socket_dir>/daos_server.sock (NotifyReady) and notices exits.  A ready
 * engine and an exit nobody asked for go to the hooks given at creation:
 * for `daos_server start` those of srv_join.c, which join ready engines to
 * the management service over the control RPC (Join, with retries while
 * the MS is not up), record the rank in the superblock, send SetRank and
 * SetUp, and report deaths (ClusterEvent ENGINE_DIED).  It also serves the
 * per-host rank actions the MS fans out (PrepShutdownRanks, StopRanks,
 * StartRanks, PingRanks, ResetFormatRanks; srv_engine_methods[]).
 *
 * It does not format storage (srv_format.c does, then calls
 * srv_engine_storage_ready()) and holds no membership (srv_mgmt.c).
 * Every function is thread-safe: control RPC handlers call them from their
 * connection threads.
 */
#ifndef DAOS_CONTROL_SERVER_SRV_ENGINE_H
#define DAOS_CONTROL_SERVER_SRV_ENGINE_H

#include <stdbool.h>
#include <stdint.h>

#include "common/common.h"
#include "control/lib/rpc/rpc.h"
#include "control/server/srv_internal.h"

enum srv_inst_state {
	SRV_INST_AWAIT_FORMAT =
		0,	   /* storage needs a format; waits for srv_engine_storage_ready() */
	SRV_INST_STOPPED,  /* formatted, no process (stopped on request or never started) */
	SRV_INST_STARTING, /* process started, not yet joined and set up */
	SRV_INST_JOINED,   /* joined the system, SetUp done */
	SRV_INST_ERRORED,  /* exited unexpectedly, or the start/join failed */
};

/* Name for logs and rank results: "AwaitFormat", "Stopped", "Starting", "Joined", "Errored". */
const char *srv_inst_state_name(enum srv_inst_state s);

/*
 * What the layer above does when an engine is ready or dies: srv_engine.c
 * calls these hooks, never that layer, which may call down into this
 * module.  Both run with the instances' lock held, on the dRPC server's or
 * the supervisor's thread: a hook only hands the work to a thread of its
 * own.  A NULL hook does nothing.
 */
struct srv_engine_hooks {
	/*
	 * NotifyReady accepted for instance idx, whose process is generation
	 * `gen` (a later process has another): join it.  Not 0: NotifyReady is
	 * answered with a failure.
	 */
	int (*on_ready)(struct srv_engines *en, uint32_t idx, uint64_t gen);
	/*
	 * The engine of `rank` (NotifyReady's `incarnation`) exited although
	 * nobody asked, and daos_server is not shutting down; `msg` says how
	 * ("instance N, pid P, rank R exited with status: ...").
	 */
	void (*on_exit)(struct srv_engines *en, uint32_t rank, uint64_t incarnation,
			const char *msg);
};

/* The hooks of `daos_server start` (srv_join.c): Join, SetRank, SetUp; ClusterEvent. */
extern const struct srv_engine_hooks srv_join_hooks;

/*
 * One instance per engine of st->cfg and the dRPC server on
 * <socket_dir>/daos_server.sock (mode 0600, stale daos_engine_*.sock
 * removed).  No engine is started yet.  `hooks` (copied; NULL: none) are
 * fixed for the life of the instances.
 */
int srv_engines_create(struct srv_state *st, const struct srv_engine_hooks *hooks,
		       struct srv_engines **out, struct d_errbuf *eb);

/*
 * The start-up check of every instance, as upstream: "Checking DAOS I/O
 * Engine instance N storage ...", then either start the engine (storage
 * formatted: superblock present) or log "SCM format required on instance N"
 * and leave it in AwaitFormat.
 */
void srv_engines_start_all(struct srv_engines *en);

/* Stop every engine (SIGTERM, then SIGKILL after a grace period), stop the dRPC server, free. */
void srv_engines_destroy(struct srv_engines *en);

uint32_t	    srv_engines_count(const struct srv_engines *en);
enum srv_inst_state srv_engine_state(struct srv_engines *en, uint32_t idx);
/* A daos_engine process of instance idx exists (Starting or Joined). */
bool srv_engine_running(struct srv_engines *en, uint32_t idx);

/*
 * Format finished for instance idx (superblock written): start its engine.
 * `replace` is carried into the Join request.
 */
int srv_engine_storage_ready(struct srv_engines *en, uint32_t idx, bool replace,
			     struct d_errbuf *eb);

/*
 * Stop the engine of instance idx and wait for its exit: SIGTERM (SIGKILL
 * when `force`, or after the grace period).  The exit is not reported as a
 * death.  State becomes `after` (SRV_INST_STOPPED, or SRV_INST_AWAIT_FORMAT
 * when the caller is about to reformat).  No process: 0.
 */
int srv_engine_stop(struct srv_engines *en, uint32_t idx, bool force, enum srv_inst_state after,
		    struct d_errbuf *eb);

/* Start the engine of a formatted, stopped instance; returns once the process runs. */
int srv_engine_start(struct srv_engines *en, uint32_t idx, struct d_errbuf *eb);

/* Wait until instance idx is Joined (0), or Errored/timeout (-DER_*, message in eb). */
int srv_engine_wait_joined(struct srv_engines *en, uint32_t idx, int timeout_ms,
			   struct d_errbuf *eb);

/* The rank-action methods this module serves (srv_engine_rpc.c). */
#define SRV_RANKS_HANDLER(fn)                                                                      \
	int fn(void *arg, const struct ctl_rpc_peer *peer, const uint8_t *req, size_t req_len,     \
	       uint8_t **resp, size_t *resp_len, struct d_errbuf *eb)
SRV_RANKS_HANDLER(srv_h_prep_shutdown_ranks);
SRV_RANKS_HANDLER(srv_h_stop_ranks);
SRV_RANKS_HANDLER(srv_h_start_ranks);
SRV_RANKS_HANDLER(srv_h_ping_ranks);
SRV_RANKS_HANDLER(srv_h_reset_format_ranks);
/* Entries for srv_methods[]: a static table cannot include another array. */
#define SRV_ENGINE_METHODS                                                                         \
	{"PrepShutdownRanks", srv_h_prep_shutdown_ranks}, {"StopRanks", srv_h_stop_ranks},         \
		{"StartRanks", srv_h_start_ranks}, {"PingRanks", srv_h_ping_ranks},                \
	{                                                                                          \
		"ResetFormatRanks", srv_h_reset_format_ranks                                       \
	}
extern const struct ctl_rpc_method srv_engine_methods[];
extern const int		   srv_engine_nr_methods;

#endif /* DAOS_CONTROL_SERVER_SRV_ENGINE_H */
