/*
 * Internals of the engine instances shared by srv_engine.c (instances,
 * process start/stop and supervision, dRPC NotifyReady), srv_join.c (Join to
 * the management service, SetRank/SetUp, ClusterEvent), srv_engine_rpc.c
 * (the rank actions) and srv_engine_drpc.c (the calls on an engine's dRPC
 * socket).  Not included outside those files.
 *
 * Locking: one mutex (en->lock) guards every field of every instance except
 * those marked "supervisor only", which only the supervisor thread touches;
 * en->cond is broadcast on every state or process change.  The hooks
 * (srv_engine.h) are called with en->lock held and only start a thread;
 * such a thread takes the lock itself and never holds it across an RPC or
 * a dRPC call.
 *
 * Layering: srv_engine.c is the bottom and calls none of the others; the
 * join reaches it through the hooks, not by name.  srv_join.c and
 * srv_engine_rpc.c call down into srv_engine.c and srv_engine_drpc.c.
 */
#ifndef DAOS_CONTROL_SERVER_SRV_ENGINE_INTERNAL_H
#define DAOS_CONTROL_SERVER_SRV_ENGINE_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/drpc.h"
#include "control/server/srv_engine.h"

#define SRV_NIL_RANK	  0xffffffffu
#define SRV_STOP_GRACE_MS 10000 /* SIGTERM, then SIGKILL after this */
#define SRV_OUT_LINE_MAX  4096

struct srv_inst {
	uint32_t		 idx;
	const struct ctl_engine *cfg;
	enum srv_inst_state	 state;
	pid_t			 pid;	     /* 0: no process */
	uint64_t		 gen;	     /* bumped on each process start */
	bool			 stopping;   /* exit was asked for: not a death */
	enum srv_inst_state	 stop_after; /* state once the asked-for exit happened */
	char			 err[D_ERRBUF_LEN + 128]; /* why the instance is Errored */
	bool			 replace;		  /* carried into the next Join */

	/* rank from the superblock or the last Join */
	bool	 has_rank;
	uint32_t rank;

	/* NotifyReady of the current process */
	bool	 ready;
	uint64_t incarnation;
	char	 uri[256];
	uint32_t nctxs;
	char	 drpc_sock[256];
	bool	 check_mode;

	/* launch request handed to the supervisor thread */
	bool   launch_req;
	bool   launch_done;
	int    launch_rc;
	char   launch_msg[D_ERRBUF_LEN];
	char  *exe;
	char **argv;
	char **envp;

	/* supervisor only */
	int    out_fd; /* read end of the engine's stdout/stderr, -1 once at EOF */
	int    pidfd;  /* readable once the engine exited; -1: none (old kernel) */
	char   out[SRV_OUT_LINE_MAX];
	size_t outlen;
	char   last_line[SRV_OUT_LINE_MAX];
};

struct srv_engines {
	struct srv_state       *st;
	struct srv_engine_hooks hooks; /* set by srv_engines_create(), then only read */
	pthread_mutex_t		lock;
	pthread_cond_t		cond;
	uint32_t		n;
	struct srv_inst	       *insts;
	struct d_drpc_server   *drpc;
	char		       *sock_path;
	pthread_t		sup_tid;
	bool			sup_running;
	int			wake[2];    /* self-pipe waking the supervisor */
	bool			shutdown;   /* destroy in progress: no new starts, joins give up */
	bool			quit;	    /* the supervisor ends once no process is left */
	int			nr_threads; /* detached threads of the hooks still running */
};

/* Wake the supervisor thread (async-signal-safe, lock not needed). */
void srv_engines_wake(struct srv_engines *en);

/*
 * A detached helper thread of a hook ended (lock taken inside).  A hook
 * that starts one counts it in en->nr_threads (lock held): destroy waits
 * for the count to reach 0.
 */
void srv_engines_thread_done(struct srv_engines *en);

/* "<listen host>:<port>": our control address as the MS records it. */
void srv_engines_ctl_addr(const struct srv_engines *en, char *buf, size_t len);

/*
 * The calls made on an engine's dRPC socket `sock` (srv_engine_drpc.c):
 * 0, or -DER_* with the reason in eb (the engine's own code when it
 * refused).  No lock needed; none is taken.
 */
int srv_engine_drpc_set_rank(const char *sock, uint32_t rank, uint32_t map_version,
			     struct d_errbuf *eb);
int srv_engine_drpc_set_up(const char *sock, struct d_errbuf *eb);
int srv_engine_drpc_prep_shutdown(const char *sock, struct d_errbuf *eb);

/* Instance of a rank, or NULL (lock held). */
struct srv_inst *srv_inst_by_rank(struct srv_engines *en, uint32_t rank);

#endif /* DAOS_CONTROL_SERVER_SRV_ENGINE_INTERNAL_H */
