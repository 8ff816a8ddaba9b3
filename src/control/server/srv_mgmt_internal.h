/*
 * Internals of the management service shared by srv_mgmt.c (database,
 * handlers, rank-action fan-out) and srv_mgmt_live.c (the liveness loop).
 * Not included outside those files.
 *
 * Locking: `lock` guards the membership and the database fields; it is
 * never held across a call to another server.
 */
#ifndef DAOS_CONTROL_SERVER_SRV_MGMT_INTERNAL_H
#define DAOS_CONTROL_SERVER_SRV_MGMT_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>

#include "common/hostlist.h"
#include "control/server/srv_mgmt.h"

struct srv_mgmt {
	pthread_mutex_t	       lock;
	struct srv_state      *st;
	char		       db_path[4096];
	struct ctl_membership *m;	  /* NULL: not loaded (down, or to be reloaded) */
	bool		       on_disk;	  /* m was read from or written to db_path */
	bool		       announced; /* "MS leader running" logged since it came up */
};

/* The ranks of one host (control address) and the call made there. */
struct ms_host {
	char		     *addr;
	struct d_rankset     *ranks;
	char		      host[256];
	uint16_t	      port;
	uint8_t		     *body;
	size_t		      body_len;
	struct ctl_rpc_result res;
};

struct ms_plan {
	struct ms_host *h;
	size_t		nh;
	char	       *absent_ranks;
	char	       *absent_hosts;
};

/*
 * Bring the MS up if it can be (lock held): engine 0 formatted, database
 * loaded (or a fresh membership).  -DER_UNINIT with the reason otherwise.
 */
int  srv_ms_up(struct srv_mgmt *ms, struct d_errbuf *eb);
/* Write the membership atomically (lock held); on failure memory is dropped too. */
int  srv_ms_persist(struct srv_mgmt *ms, struct d_errbuf *eb);
/* Record now as the member's last change (lock held; before srv_ms_persist). */
void srv_ms_stamp(struct srv_mgmt *ms, uint32_t rank);

/*
 * Send `method` with each host's own RanksReq (its `ranks`) in parallel,
 * lock NOT held; each host's answer or error lands in its `res`.
 */
int  srv_ms_plan_call(struct srv_state *st, struct ms_plan *p, const char *method, bool force,
		      int timeout_ms);
void srv_ms_plan_fini(struct ms_plan *p);

#endif /* DAOS_CONTROL_SERVER_SRV_MGMT_INTERNAL_H */
