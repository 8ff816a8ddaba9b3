/*
 * Internals of the management service shared by its files, lowest first:
 * srv_mgmt_db.c (the database: path, load, persist), srv_mgmt.c (the MS
 * object and the checks every request makes), srv_mgmt_plan.c (members
 * grouped by host, the parallel per-host call), then the users of those:
 * srv_mgmt_join.c (Join, ClusterEvent), srv_mgmt_system.c (LeaderQuery,
 * SystemQuery/Stop/Start/Erase) and srv_mgmt_live.c (the liveness loop).
 * A file calls only the files before it.  Not included outside those files.
 *
 * Locking: `lock` guards the membership and the database fields (m,
 * on_disk, announced); st and db_path are set by srv_mgmt_create() and only
 * read afterwards.  Functions marked "lock held" expect the caller to hold
 * it; the others take it themselves.  It is never held across a call to
 * another server nor while host names are resolved (both may block for
 * seconds), and nothing else is locked under it.  A struct ms_plan
 * belongs to its caller and needs no lock: it is filled from the membership
 * under `lock`, then used without it.  The liveness loop's own lock is
 * private to srv_mgmt_live.c and never held with this one.
 */
#ifndef DAOS_CONTROL_SERVER_SRV_MGMT_INTERNAL_H
#define DAOS_CONTROL_SERVER_SRV_MGMT_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>

#include "common/hostlist.h"
#include "common/pb.h"
#include "control/server/srv_mgmt.h"

/* An alarm names the database path and a reason. */
#define SRV_MS_ALARM_MAX (6 * 1024)

struct srv_mgmt {
	pthread_mutex_t	       lock;
	struct srv_state      *st;
	char		       db_path[4096];
	struct ctl_membership *m;	    /* NULL: not loaded (down, or to be reloaded) */
	bool		       on_disk;	    /* m was read from or written to db_path */
	bool		       dirty;	    /* m has changes the file lacks (removed, not saved) */
	bool		       announced;   /* "MS leader running" logged since it came up */
	char		       sb_uuid[40]; /* engine 0's superblock when m was loaded */
	int		       save_rc;	    /* of the last failed save: logged once per error */
	char		       alarm[SRV_MS_ALARM_MAX]; /* for the administrator: srv_ms_alarm() */
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

/* ---- the database (srv_mgmt_db.c) ---------------------------------------------------------- */

/*
 * Bring the MS up if it can be (lock held): engine 0 formatted, database
 * loaded (or a fresh membership).  -DER_UNINIT with the reason otherwise.
 */
int srv_ms_up(struct srv_mgmt *ms, struct d_errbuf *eb);
/*
 * Write the membership atomically (lock held).  Memory is the truth: on
 * failure it keeps the change, the MS is dirty and raises an alarm, and
 * every later srv_ms_up() tries again (the error is logged once per reason).
 * A caller that must not acknowledge an unsaved change (Join) undoes it.
 */
int srv_ms_persist(struct srv_mgmt *ms, struct d_errbuf *eb);
/*
 * The alarm an administrator must see (lock held), copied to buf ("" for
 * none): the database removed while the MS ran, or not saved.  Once the
 * database is on disk again the alarm is given out once more, saying so,
 * and then cleared.
 */
void srv_ms_alarm(struct srv_mgmt *ms, char *buf, size_t len);
/* Record now as the member's last change (lock held; before srv_ms_persist). */
void srv_ms_stamp(struct srv_mgmt *ms, uint32_t rank);
/* Remove the database file and forget the membership (lock held): system erase. */
int srv_ms_erase(struct srv_mgmt *ms, struct d_errbuf *eb);

/* ---- what every request checks (srv_mgmt.c) ------------------------------------------------ */

/* The leader every answer names: the first mgmt_svc_replicas entry. */
const char *srv_ms_leader(const struct srv_state *st);
/* -DER_NOTLEADER naming the leader (this server runs no MS). */
int srv_ms_not_leader(const struct srv_state *st, struct d_errbuf *eb);
/* -DER_INVAL when the request names another system (upstream's FaultWrongSystem). */
int srv_ms_check_sys(const struct srv_state *st, const char *sys, struct d_errbuf *eb);
/* -DER_PROTO: the body of a `what` request does not decode. */
int srv_ms_bad_request(const char *what, struct d_errbuf *eb);
/* The response `msg` (&m.base) packed into a new buffer (d_pb_pack); -DER_NOMEM. */
int srv_ms_pack(const ProtobufCMessage *msg, uint8_t **resp, size_t *resp_len, struct d_errbuf *eb);

/* ---- plans: members grouped by host (srv_mgmt_plan.c) -------------------------------------- */

/*
 * Add `rank` of the member at control address `addr` to *p, whose h[] has
 * room for one more host: to that address's host, else to a new one.
 * *host (may be NULL) is the host's index.  -DER_NOMEM.
 */
int srv_ms_plan_add(struct ms_plan *p, const char *addr, uint32_t rank, size_t *host);
/*
 * Select the members (`ranks`, `hosts`: dmg's filters, NULL for all) and
 * group them by control address into *p; lock taken here.  With
 * `skip_admin_excluded`, AdminExcluded members are left out.
 */
int srv_ms_plan_select(struct srv_mgmt *ms, const char *ranks, const char *hosts,
		       bool skip_admin_excluded, struct ms_plan *p, struct d_errbuf *eb);
/*
 * Send `method` with each host's own RanksReq (its `ranks`) in parallel,
 * lock NOT held; each host's answer or error lands in its `res`.
 */
int  srv_ms_plan_call(struct srv_state *st, struct ms_plan *p, const char *method, bool force,
		      int timeout_ms);
void srv_ms_plan_fini(struct ms_plan *p);

#endif /* DAOS_CONTROL_SERVER_SRV_MGMT_INTERNAL_H */
