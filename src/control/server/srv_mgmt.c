/*
 * The management service of `daos_server start` (srv_mgmt.h): the
 * membership, its database file, and the control RPC handlers Join,
 * ClusterEvent, LeaderQuery and SystemQuery/Stop/Start/Erase.
 *
 * One mutex guards the membership.  Requests to other servers (the rank
 * actions of stop/start/erase) run without it: the selection is copied out
 * under the lock, the fan-out runs unlocked, then the results are applied
 * under the lock again (transitions that became illegal meanwhile, e.g. a
 * member that already rejoined, are skipped as upstream does).
 *
 * Not here: raft replication (a single replica only), pool service,
 * group-map pushes to engines, system exclude/drain/attributes.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/hostlist.h"
#include "common/log.h"
#include "control/lib/storage/storage.h"
#include "control/server/srv_mgmt_internal.h"
#include "proto/ctl.pb-c.h"
#include "proto/system.pb-c.h"

/* Each rank action may take a while (StartRanks waits up to 30 s for Joined). */
#define MS_FANOUT_TIMEOUT_MS 90000
#define MS_FANOUT_THREADS    16

/* ---- database ----------------------------------------------------------------------------- */

int
srv_mgmt_db_path(const struct ctl_server_config *cfg, char *buf, size_t len)
{
	int n;

	if (cfg->control_metadata.path != NULL && cfg->control_metadata.path[0] != '\0')
		n = snprintf(buf, len, "%s/daos_control/control_raft/%s",
			     cfg->control_metadata.path, SRV_MS_DB_NAME);
	else if (cfg->nengines > 0 && cfg->engines[0].nstorage > 0 &&
		 cfg->engines[0].storage[0].scm_mount != NULL)
		n = snprintf(buf, len, "%s/control_raft/%s", cfg->engines[0].storage[0].scm_mount,
			     SRV_MS_DB_NAME);
	else
		return -DER_INVAL;
	return n < 0 || (size_t)n >= len ? -DER_INVAL : 0;
}

int
srv_mgmt_create(struct srv_state *st, struct srv_mgmt **out, struct d_errbuf *eb)
{
	struct srv_mgmt *ms;

	D_ALLOC_PTR(ms);
	if (ms == NULL) {
		d_errbuf_set(eb, "out of memory creating the management service");
		return -DER_NOMEM;
	}
	pthread_mutex_init(&ms->lock, NULL);
	ms->st = st;
	if (srv_mgmt_db_path(st->cfg, ms->db_path, sizeof(ms->db_path)) != 0)
		ms->db_path[0] = '\0';
	*out = ms;
	return 0;
}

void
srv_mgmt_destroy(struct srv_mgmt *ms)
{
	if (ms == NULL)
		return;
	ctl_membership_destroy(ms->m);
	pthread_mutex_destroy(&ms->lock);
	free(ms);
}

void
srv_ms_stamp(struct srv_mgmt *ms, uint32_t rank)
{
	ctl_membership_touch(ms->m, rank, (int64_t)time(NULL));
}

static void
drop(struct srv_mgmt *ms)
{
	ctl_membership_destroy(ms->m);
	ms->m = NULL;
	ms->on_disk = false;
}

static int
read_file(const char *path, char **out, struct d_errbuf *eb)
{
	FILE  *f = fopen(path, "re");
	char  *buf = NULL;
	size_t cap = 0, len = 0;

	if (f == NULL) {
		if (errno != ENOENT)
			d_errbuf_set(eb, "cannot open %s: %s", path, strerror(errno));
		return errno == ENOENT ? -DER_NONEXIST : d_errno2der(errno);
	}
	for (;;) {
		size_t n;

		if (len + 4096 + 1 > cap) {
			char *nb = realloc(buf, cap + 65536);

			if (nb == NULL) {
				free(buf);
				fclose(f);
				d_errbuf_set(eb, "out of memory reading %s", path);
				return -DER_NOMEM;
			}
			buf = nb;
			cap += 65536;
		}
		n = fread(buf + len, 1, cap - len - 1, f);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		free(buf);
		fclose(f);
		d_errbuf_set(eb, "cannot read %s", path);
		return -DER_IO;
	}
	fclose(f);
	buf[len] = '\0';
	*out = buf;
	return 0;
}

/*
 * Bring the MS up if it can be (lock held): engine 0 formatted, database
 * loaded (or a fresh membership), the database still there if it was.
 */
int
srv_ms_up(struct srv_mgmt *ms, struct d_errbuf *eb)
{
	const struct ctl_server_config *cfg = ms->st->cfg;
	const char		       *need = "SCM";
	char				why[512] = "engine 0 has no SCM tier";
	char			       *text = NULL;
	struct d_errbuf			peb;
	int				rc;

	if (cfg->nengines == 0 || ms->db_path[0] == '\0') {
		d_errbuf_set(eb,
			     "the management service is not started: %s has no engines "
			     "configured; add an engines section to its daos_server.yml",
			     ms->st->hostname);
		return -DER_UNINIT;
	}
	if (cfg->engines[0].nstorage > 0 && (cfg->engines[0].storage[0].class == CTL_CLASS_RAM ||
					     cfg->engines[0].storage[0].class == CTL_CLASS_DCPM))
		need = srv_scm_format_needed(&cfg->engines[0].storage[0], why, sizeof(why));
	if (need != NULL) {
		if (ms->m != NULL)
			D_INFO("management service stopped: engine 0 storage is no longer "
			       "formatted (%s)",
			       why);
		drop(ms);
		ms->announced = false;
		d_errbuf_set(eb,
			     "the management service is not started: engine 0 storage of %s is "
			     "not formatted; run dmg storage format",
			     ms->st->hostname);
		return -DER_UNINIT;
	}
	if (ms->m != NULL && ms->on_disk && access(ms->db_path, F_OK) != 0 && errno == ENOENT) {
		D_INFO("management service database %s was removed: starting with an empty "
		       "system",
		       ms->db_path);
		drop(ms);
	}
	if (ms->m == NULL) {
		rc = read_file(ms->db_path, &text, &peb);
		if (rc == -DER_NONEXIST) {
			rc = ctl_membership_create(&ms->m);
			if (rc != 0) {
				d_errbuf_set(eb, "out of memory starting the management service");
				return rc;
			}
			ms->on_disk = false;
		} else if (rc != 0) {
			d_errbuf_set(eb, "the management service cannot load its database: %s",
				     peb.msg);
			return rc;
		} else {
			rc = ctl_membership_from_text(text, &ms->m, &peb);
			free(text);
			if (rc != 0) {
				d_errbuf_set(eb,
					     "the management service cannot load its database %s: "
					     "%s; move the file away to start with an empty system",
					     ms->db_path, peb.msg);
				return rc;
			}
			ms->on_disk = true;
			D_INFO("management service database loaded from %s (%zu members)",
			       ms->db_path, ctl_membership_count(ms->m));
		}
	}
	if (!ms->announced) {
		D_INFO("MS leader running on %s", ms->st->hostname);
		ms->announced = true;
	}
	return 0;
}

/* mkdir -p of the directory part of `path`. */
static int
mkdir_parents(const char *path, struct d_errbuf *eb)
{
	char *p = strdup(path);
	char *s;
	int   rc = 0;

	if (p == NULL)
		return -DER_NOMEM;
	s = strrchr(p, '/');
	if (s != NULL)
		*s = '\0';
	for (s = p + 1; rc == 0; s++) {
		char c = *s;

		if (c != '/' && c != '\0')
			continue;
		*s = '\0';
		if (mkdir(p, 0700) != 0 && errno != EEXIST) {
			rc = d_errno2der(errno);
			d_errbuf_set(eb, "cannot create directory %s: %s", p, strerror(errno));
		}
		*s = c;
		if (c == '\0')
			break;
	}
	free(p);
	return rc;
}

/*
 * Write the membership (lock held).  On failure the in-memory change is
 * dropped with the rest (reloaded from the file by the next request), so
 * memory never runs ahead of the disk.
 */
int
srv_ms_persist(struct srv_mgmt *ms, struct d_errbuf *eb)
{
	struct d_errbuf web;
	char	       *text = ctl_membership_to_text(ms->m);
	int		rc;

	if (text == NULL) {
		rc = -DER_NOMEM;
		d_errbuf_set(&web, "out of memory");
	} else {
		rc = mkdir_parents(ms->db_path, &web);
		if (rc == 0)
			rc = ctl_file_write_atomic(ms->db_path, text, strlen(text), 0600, &web);
	}
	free(text);
	if (rc != 0) {
		D_ERROR("management service: cannot save %s: %s", ms->db_path, web.msg);
		d_errbuf_set(eb, "the management service cannot save its database %s: %s",
			     ms->db_path, web.msg);
		drop(ms);
		return rc;
	}
	ms->on_disk = true;
	return 0;
}

/* ---- common request checks ---------------------------------------------------------------- */

/* Validation always leaves at least one replica (default localhost:10001). */
static const char *
leader_of(const struct srv_state *st)
{
	return st->cfg->mgmt_svc_replicas.n > 0 ? st->cfg->mgmt_svc_replicas.v[0] : "";
}

static int
not_leader(const struct srv_state *st, struct d_errbuf *eb)
{
	d_errbuf_set(eb, "%s is not the management service leader; the current leader is %s",
		     st->hostname, leader_of(st));
	return -DER_NOTLEADER;
}

/* Upstream's FaultWrongSystem. */
static int
check_sys(const struct srv_state *st, const char *sys, struct d_errbuf *eb)
{
	const char *name = st->cfg->name != NULL ? st->cfg->name : "daos_server";

	if (sys == NULL || sys[0] == '\0' || strcmp(sys, name) == 0)
		return 0;
	d_errbuf_set(eb, "request system does not match running system (%s != %s)", sys, name);
	return -DER_INVAL;
}

static int
bad_request(const char *what, struct d_errbuf *eb)
{
	d_errbuf_set(eb, "malformed %s request: cannot decode its body", what);
	return -DER_PROTO;
}

static int
pack_done(size_t len, uint8_t *buf, uint8_t **resp, size_t *resp_len, struct d_errbuf *eb)
{
	if (buf == NULL) {
		d_errbuf_set(eb, "out of memory encoding the response");
		return -DER_NOMEM;
	}
	*resp = buf;
	*resp_len = len;
	return 0;
}

#define PACK(type, msg, resp, resp_len, eb)                                                        \
	({                                                                                         \
		size_t	 _l = type##__get_packed_size(msg);                                        \
		uint8_t *_b = malloc(_l > 0 ? _l : 1);                                             \
		if (_b != NULL)                                                                    \
			type##__pack(msg, _b);                                                     \
		pack_done(_l, _b, resp, resp_len, eb);                                             \
	})

/* ---- Join / ClusterEvent ------------------------------------------------------------------ */

/* "0.0.0.0:port" -> "<peer ip>:port" (into buf); other addresses unchanged. */
static const char *
fix_addr(const char *addr, const char *peer, char *buf, size_t len)
{
	const char *colon, *pc;
	size_t	    hl;

	if (addr == NULL || strncmp(addr, "0.0.0.0:", 8) != 0 || peer == NULL)
		return addr;
	colon = addr + 7;
	pc = strrchr(peer, ':');
	if (pc == NULL)
		return addr;
	hl = (size_t)(pc - peer);
	snprintf(buf, len, "%.*s%s", (int)hl, peer, colon);
	return buf;
}

/* Is the caller on this host (the MS runs in the same daos_server as the engine)? */
static bool
peer_is_local(const char *peer)
{
	struct ifaddrs *ifa;
	const char     *pc = strrchr(peer, ':');
	char		host[INET6_ADDRSTRLEN + 2];
	bool		local = false;

	if (pc == NULL || (size_t)(pc - peer) >= sizeof(host))
		return false;
	snprintf(host, sizeof(host), "%.*s", (int)(pc - peer), peer);
	if (host[0] == '[') { /* [v6] */
		memmove(host, host + 1, strlen(host));
		host[strcspn(host, "]")] = '\0';
	}
	if (getifaddrs(&ifa) != 0)
		return false;
	for (struct ifaddrs *i = ifa; i != NULL && !local; i = i->ifa_next) {
		char num[INET6_ADDRSTRLEN];

		if (i->ifa_addr == NULL)
			continue;
		if (i->ifa_addr->sa_family == AF_INET)
			inet_ntop(AF_INET, &((struct sockaddr_in *)i->ifa_addr)->sin_addr, num,
				  sizeof(num));
		else if (i->ifa_addr->sa_family == AF_INET6)
			inet_ntop(AF_INET6, &((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr, num,
				  sizeof(num));
		else
			continue;
		local = strcmp(num, host) == 0;
	}
	freeifaddrs(ifa);
	return local;
}

int
srv_h_join(void *arg, const struct ctl_rpc_peer *peer, const uint8_t *req, size_t req_len,
	   uint8_t **resp, size_t *resp_len, struct d_errbuf *eb)
{
	struct srv_state    *st = arg;
	struct srv_mgmt	    *ms = st->ms;
	Mgmt__JoinReq	    *jr;
	Mgmt__JoinResp	     out = MGMT__JOIN_RESP__INIT;
	struct ctl_join_resp r;
	char		     addr[300];
	int		     rc;

	if (ms == NULL)
		return not_leader(st, eb);
	jr = mgmt__join_req__unpack(NULL, req_len, req);
	if (jr == NULL)
		return bad_request("Join", eb);
	rc = check_sys(st, jr->sys, eb);
	if (rc == 0) {
		struct ctl_join_req cj = {
			.uuid = jr->uuid,
			.rank = jr->rank,
			.uri = jr->uri,
			.nctxs = jr->nctxs,
			.addr = fix_addr(jr->addr, peer->addr, addr, sizeof(addr)),
			.fault_domain = jr->srvfaultdomain,
			.incarnation = jr->incarnation,
			.check_mode = jr->check_mode,
		};

		pthread_mutex_lock(&ms->lock);
		rc = srv_ms_up(ms, eb);
		if (rc == 0)
			rc = ctl_membership_join(ms->m, &cj, &r, NULL, eb);
		if (rc == 0) {
			srv_ms_stamp(ms, r.rank);
			rc = srv_ms_persist(ms, eb);
		}
		if (rc == 0) {
			D_INFO("rank %u %s (%s, %s)", r.rank, r.created ? "joined" : "rejoined",
			       jr->uuid, cj.addr);
		}
		pthread_mutex_unlock(&ms->lock);
		if (rc != 0)
			D_ERROR("join of engine %u of %s (uuid %s) refused: %s", jr->idx, cj.addr,
				jr->uuid, eb->msg);
	}
	if (rc == 0) {
		out.rank = r.rank;
		out.state = r.state == CTL_MS_CHECKER_STARTED ? MGMT__JOIN_RESP__STATE__CHECK
							      : MGMT__JOIN_RESP__STATE__IN;
		out.faultdomain = jr->srvfaultdomain;
		out.map_version = (uint32_t)r.map_version;
		out.localjoin = peer_is_local(peer->addr);
		rc = PACK(mgmt__join_resp, &out, resp, resp_len, eb);
	}
	mgmt__join_req__free_unpacked(jr, NULL);
	return rc;
}

int
srv_h_cluster_event(void *arg, const struct ctl_rpc_peer *peer, const uint8_t *req, size_t req_len,
		    uint8_t **resp, size_t *resp_len, struct d_errbuf *eb)
{
	struct srv_state	*st = arg;
	struct srv_mgmt		*ms = st->ms;
	Mgmt__ClusterEventReq	*ev;
	Mgmt__ClusterEventResp	 out = MGMT__CLUSTER_EVENT_RESP__INIT;
	const struct ctl_member *mb;
	uint32_t		 to;
	int			 rc;

	(void)peer;
	if (ms == NULL)
		return not_leader(st, eb);
	ev = mgmt__cluster_event_req__unpack(NULL, req_len, req);
	if (ev == NULL)
		return bad_request("ClusterEvent", eb);
	to = ev->type == MGMT__CLUSTER_EVENT_REQ__TYPE__ENGINE_DIED ? CTL_MS_ERRORED
								    : CTL_MS_STOPPED;
	pthread_mutex_lock(&ms->lock);
	rc = srv_ms_up(ms, eb);
	if (rc != 0)
		goto unlock;
	mb = ctl_membership_find_rank(ms->m, ev->rank);
	if (mb == NULL) {
		d_errbuf_set(eb, "cluster event for rank %u: not a member of the system", ev->rank);
		rc = -DER_NONEXIST;
		goto unlock;
	}
	D_INFO("rank %u on %s: %s", ev->rank, ev->hostname, ev->msg);
	/* an event about an earlier process of that rank says nothing about the current one */
	if (ev->incarnation != mb->incarnation) {
		D_DEBUG("cluster event for rank %u ignored: incarnation %llu, member has %llu",
			ev->rank, (unsigned long long)ev->incarnation,
			(unsigned long long)mb->incarnation);
		goto unlock;
	}
	if (!ctl_member_state_transition_ok(mb->state, to)) {
		D_DEBUG("cluster event for rank %u: %s -> %s is not a legal transition", ev->rank,
			ctl_member_state_name(mb->state), ctl_member_state_name(to));
		goto unlock;
	}
	rc = ctl_membership_set_state(ms->m, ev->rank, to, ev->msg[0] ? ev->msg : NULL, eb);
	if (rc == 0) {
		srv_ms_stamp(ms, ev->rank);
		rc = srv_ms_persist(ms, eb);
	}
unlock:
	pthread_mutex_unlock(&ms->lock);
	mgmt__cluster_event_req__free_unpacked(ev, NULL);
	if (rc == 0)
		rc = PACK(mgmt__cluster_event_resp, &out, resp, resp_len, eb);
	return rc;
}

/* ---- LeaderQuery / SystemQuery ------------------------------------------------------------ */

int
srv_h_leader_query(void *arg, const struct ctl_rpc_peer *peer, const uint8_t *req, size_t req_len,
		   uint8_t **resp, size_t *resp_len, struct d_errbuf *eb)
{
	struct srv_state     *st = arg;
	Mgmt__LeaderQueryReq *lq;
	Mgmt__LeaderQueryResp out = MGMT__LEADER_QUERY_RESP__INIT;
	int		      rc;

	(void)peer;
	lq = mgmt__leader_query_req__unpack(NULL, req_len, req);
	if (lq == NULL)
		return bad_request("LeaderQuery", eb);
	rc = check_sys(st, lq->sys, eb);
	mgmt__leader_query_req__free_unpacked(lq, NULL);
	if (rc != 0)
		return rc;
	out.current_leader = (char *)leader_of(st);
	out.n_replicas = st->cfg->mgmt_svc_replicas.n;
	out.replicas = st->cfg->mgmt_svc_replicas.v;
	return PACK(mgmt__leader_query_resp, &out, resp, resp_len, eb);
}

static void
rfc3339(time_t t, char *buf, size_t len)
{
	struct tm tm;

	if (t == 0 || gmtime_r(&t, &tm) == NULL) {
		snprintf(buf, len, "0001-01-01T00:00:00Z"); /* Go's zero time */
		return;
	}
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int
srv_h_system_query(void *arg, const struct ctl_rpc_peer *peer, const uint8_t *req, size_t req_len,
		   uint8_t **resp, size_t *resp_len, struct d_errbuf *eb)
{
	struct srv_state     *st = arg;
	struct srv_mgmt	     *ms = st->ms;
	Mgmt__SystemQueryReq *q;
	Mgmt__SystemQueryResp out = MGMT__SYSTEM_QUERY_RESP__INIT;
	Mgmt__SystemMember   *mv = NULL, **mp = NULL;
	char(*times)[32] = NULL;
	struct ctl_system_sel    sel = {0};
	struct ctl_system_hosts *hq = NULL;
	int		     rc;

	(void)peer;
	if (ms == NULL)
		return not_leader(st, eb);
	q = mgmt__system_query_req__unpack(NULL, req_len, req);
	if (q == NULL)
		return bad_request("SystemQuery", eb);
	rc = check_sys(st, q->sys, eb);
	if (rc == 0)
		rc = ctl_system_hosts_resolve(q->hosts, &hq, eb); /* may block: not under the lock */
	if (rc != 0)
		goto out;
	pthread_mutex_lock(&ms->lock);
	rc = srv_ms_up(ms, eb);
	if (rc == 0)
		rc = ctl_system_select(ms->m, q->ranks, hq, q->state_mask, &sel, eb);
	if (rc == 0 && sel.n > 0) {
		D_ALLOC_ARRAY(mv, sel.n);
		D_ALLOC_ARRAY(mp, sel.n);
		D_ALLOC_ARRAY(times, sel.n);
		if (mv == NULL || mp == NULL || times == NULL) {
			rc = -DER_NOMEM;
			d_errbuf_set(eb, "out of memory answering a system query");
		}
	}
	for (size_t i = 0; rc == 0 && i < sel.n; i++) {
		const struct ctl_member *mb = sel.v[i];

		mgmt__system_member__init(&mv[i]);
		mv[i].addr = mb->addr;
		mv[i].uuid = (char *)mb->uuid;
		mv[i].rank = mb->rank;
		mv[i].incarnation = mb->incarnation;
		mv[i].state = (char *)ctl_member_state_name(mb->state);
		mv[i].fault_domain = mb->fault_domain;
		mv[i].fabric_uri = mb->uri;
		mv[i].fabric_contexts = mb->nctxs;
		mv[i].info = mb->info != NULL ? mb->info : (char *)"";
		rfc3339((time_t)mb->last_update, times[i], sizeof(times[i]));
		mv[i].last_update = times[i];
		mp[i] = &mv[i];
	}
	if (rc == 0) {
		out.n_members = sel.n;
		out.members = mp;
		out.absentranks = sel.absent_ranks;
		out.absenthosts = sel.absent_hosts;
		out.map_version = ctl_membership_map_version(ms->m);
		/* packed under the lock: the members point into the membership */
		rc = PACK(mgmt__system_query_resp, &out, resp, resp_len, eb);
	}
	pthread_mutex_unlock(&ms->lock);
out:
	ctl_system_sel_fini(&sel);
	ctl_system_hosts_free(hq);
	free(mv);
	free(mp);
	free(times);
	mgmt__system_query_req__free_unpacked(q, NULL);
	return rc;
}

/* ---- rank actions: stop, start, erase ----------------------------------------------------- */

/* One result per rank, owned here. */
struct ms_results {
	Ctl__RankResult *v;
	size_t		 n;
	size_t		 cap;
};

void
srv_ms_plan_fini(struct ms_plan *p)
{
	for (size_t i = 0; i < p->nh; i++) {
		free(p->h[i].addr);
		d_rankset_destroy(p->h[i].ranks);
		free(p->h[i].body);
		ctl_rpc_results_fini(&p->h[i].res, 1);
	}
	free(p->h);
	free(p->absent_ranks);
	free(p->absent_hosts);
	memset(p, 0, sizeof(*p));
}

static void
results_fini(struct ms_results *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->v[i].action);
		free(r->v[i].msg);
		free(r->v[i].state);
		free(r->v[i].addr);
	}
	free(r->v);
	memset(r, 0, sizeof(*r));
}

static int
results_add(struct ms_results *r, uint32_t rank, const char *action, bool errored, const char *msg,
	    const char *state, const char *addr)
{
	Ctl__RankResult *x;

	if (r->n == r->cap) {
		size_t		 cap = r->cap ? r->cap * 2 : 16;
		Ctl__RankResult *nv = realloc(r->v, cap * sizeof(*nv));

		if (nv == NULL)
			return -DER_NOMEM;
		r->v = nv;
		r->cap = cap;
	}
	x = &r->v[r->n];
	ctl__rank_result__init(x);
	x->rank = rank;
	x->errored = errored;
	x->action = strdup(action);
	x->msg = strdup(msg ? msg : "");
	x->state = strdup(state ? state : "");
	x->addr = strdup(addr ? addr : "");
	r->n++;
	if (x->action == NULL || x->msg == NULL || x->state == NULL || x->addr == NULL)
		return -DER_NOMEM;
	return 0;
}

/*
 * Group the selected members by control address (lock held).  With
 * `skip_admin_excluded`, AdminExcluded members are left out, as upstream
 * does unless --ignore-admin-excluded.
 */
static int
plan_build(const struct ctl_system_sel *sel, bool skip_admin_excluded, struct ms_plan *p)
{
	D_ALLOC_ARRAY(p->h, sel->n > 0 ? sel->n : 1);
	if (p->h == NULL)
		return -DER_NOMEM;
	for (size_t i = 0; i < sel->n; i++) {
		const struct ctl_member *mb = sel->v[i];
		struct ms_host		*h = NULL;

		if (skip_admin_excluded && mb->state == CTL_MS_ADMIN_EXCLUDED)
			continue;
		for (size_t j = 0; j < p->nh; j++)
			if (strcmp(p->h[j].addr, mb->addr) == 0)
				h = &p->h[j];
		if (h == NULL) {
			h = &p->h[p->nh++];
			h->addr = strdup(mb->addr);
			if (h->addr == NULL || d_rankset_create(&h->ranks) != 0)
				return -DER_NOMEM;
		}
		if (d_rankset_add(h->ranks, mb->rank) != 0)
			return -DER_NOMEM;
	}
	p->absent_ranks = strdup(sel->absent_ranks ? sel->absent_ranks : "");
	p->absent_hosts = strdup(sel->absent_hosts ? sel->absent_hosts : "");
	return p->absent_ranks == NULL || p->absent_hosts == NULL ? -DER_NOMEM : 0;
}

struct fan {
	struct ctl_rpc_client *cl;
	const char	      *method;
	int		       timeout_ms;
	struct ms_host	      *h;
	size_t		       n;
	atomic_size_t	       next;
};

static void *
fan_thread(void *arg)
{
	struct fan *f = arg;
	size_t	    i;

	while ((i = atomic_fetch_add(&f->next, 1)) < f->n) {
		struct ms_host *h = &f->h[i];

		h->res.rc = ctl_rpc_call(f->cl, h->host, h->port, f->method, h->body, h->body_len,
					 f->timeout_ms, &h->res.body, &h->res.body_len,
					 &h->res.err);
	}
	return NULL;
}

/*
 * Call `method` with each host's own RanksReq, in parallel (lock NOT held).
 * ctl_rpc_fanout() sends one body to all; here every host gets its ranks.
 */
int
srv_ms_plan_call(struct srv_state *st, struct ms_plan *p, const char *method, bool force,
		 int timeout_ms)
{
	struct fan f = {
		.cl = st->client, .method = method, .timeout_ms = timeout_ms, .h = p->h, .n = p->nh};
	pthread_t  tids[MS_FANOUT_THREADS];
	int	   nt = 0;

	for (size_t i = 0; i < p->nh; i++) {
		struct ms_host *h = &p->h[i];
		Ctl__RanksReq	rq = CTL__RANKS_REQ__INIT;
		char	       *ranks = NULL;

		ctl_rpc_results_fini(&h->res, 1); /* the previous action's answer */
		memset(&h->res, 0, sizeof(h->res));
		free(h->body);
		h->body = NULL;
		if (ctl_addr_split(h->addr, h->host, sizeof(h->host), &h->port) != 0) {
			h->res.rc = -DER_INVAL;
			h->res.err.kind = CTL_RPC_ERR_LOCAL;
			snprintf(h->res.err.msg, sizeof(h->res.err.msg),
				 "invalid member control address \"%s\"", h->addr);
			continue;
		}
		if (d_rankset_str(h->ranks, &ranks) != 0)
			return -DER_NOMEM;
		rq.ranks = ranks;
		rq.force = force;
		h->body_len = ctl__ranks_req__get_packed_size(&rq);
		h->body = malloc(h->body_len > 0 ? h->body_len : 1);
		if (h->body == NULL) {
			free(ranks);
			return -DER_NOMEM;
		}
		ctl__ranks_req__pack(&rq, h->body);
		free(ranks);
	}
	D_DEBUG("management service: %s on %zu hosts", method, p->nh);
	for (size_t i = 0; i < p->nh && nt < MS_FANOUT_THREADS; i++) {
		if (pthread_create(&tids[nt], NULL, fan_thread, &f) != 0)
			break;
		nt++;
	}
	if (nt == 0)
		fan_thread(&f);
	for (int i = 0; i < nt; i++)
		pthread_join(tids[i], NULL);
	return 0;
}

struct rank_walk {
	struct ms_results *r;
	const char	  *action;
	const char	  *msg;
	const char	  *addr;
	Ctl__RanksResp	  *resp;
	int		   rc;
};

static int
add_missing(uint32_t rank, void *arg)
{
	struct rank_walk *w = arg;
	char		  msg[600];

	if (w->resp != NULL) {
		for (size_t i = 0; i < w->resp->n_results; i++)
			if (w->resp->results[i]->rank == rank)
				return 0;
		snprintf(msg, sizeof(msg), "no result from %s for rank %u", w->addr, rank);
	} else {
		snprintf(msg, sizeof(msg), "%s", w->msg);
	}
	w->rc = results_add(w->r, rank, w->action, true, msg, "Unknown", w->addr);
	return w->rc;
}

/* Turn the host answers into per-rank results (lock not needed). */
static int
plan_results(struct ms_plan *p, const char *action, struct ms_results *out)
{
	for (size_t i = 0; i < p->nh; i++) {
		struct ms_host	*h = &p->h[i];
		struct rank_walk w = {.r = out, .action = action, .addr = h->addr};
		Ctl__RanksResp	*rr = NULL;
		char		 msg[600];

		if (h->res.rc == 0) {
			rr = ctl__ranks_resp__unpack(NULL, h->res.body_len, h->res.body);
			if (rr == NULL) {
				snprintf(msg, sizeof(msg), "%s: undecodable response", h->addr);
				w.msg = msg;
			}
		} else {
			snprintf(msg, sizeof(msg), "%s: %s", h->addr, h->res.err.msg);
			w.msg = msg;
		}
		for (size_t k = 0; rr != NULL && k < rr->n_results; k++) {
			Ctl__RankResult *x = rr->results[k];

			if (!d_rankset_contains(h->ranks, x->rank)) /* not asked for */
				continue;
			/* the member's address: a host may call itself 0.0.0.0 */
			if (results_add(out, x->rank, x->action[0] ? x->action : action, x->errored,
					x->msg, x->state, h->addr)) {
				ctl__ranks_resp__free_unpacked(rr, NULL);
				return -DER_NOMEM;
			}
		}
		w.resp = rr;
		d_rankset_foreach(h->ranks, add_missing, &w);
		if (rr != NULL)
			ctl__ranks_resp__free_unpacked(rr, NULL);
		if (w.rc != 0)
			return w.rc;
	}
	return 0;
}

static bool
any_errored(const struct ms_results *r)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->v[i].errored)
			return true;
	return false;
}

/* Member states from the results (lock taken here); illegal transitions skipped. */
static void
apply_results(struct srv_mgmt *ms, const struct ms_results *r)
{
	struct d_errbuf eb;
	bool		changed = false;

	pthread_mutex_lock(&ms->lock);
	if (srv_ms_up(ms, &eb) != 0) {
		pthread_mutex_unlock(&ms->lock);
		return;
	}
	for (size_t i = 0; i < r->n; i++) {
		const Ctl__RankResult	*x = &r->v[i];
		uint32_t		 to = ctl_member_state_parse(x->state);
		const struct ctl_member *mb = ctl_membership_find_rank(ms->m, x->rank);

		if (to == CTL_MS_UNKNOWN || mb == NULL || mb->state == to ||
		    !ctl_member_state_transition_ok(mb->state, to)) {
			D_DEBUG("rank %u: result state %s not applied (member %s)", x->rank,
				x->state, mb ? ctl_member_state_name(mb->state) : "gone");
			continue;
		}
		if (ctl_membership_set_state(ms->m, x->rank, to, x->errored ? x->msg : NULL, &eb) ==
		    0) {
			srv_ms_stamp(ms, x->rank);
			changed = true;
		}
	}
	if (changed)
		srv_ms_persist(ms, &eb);
	pthread_mutex_unlock(&ms->lock);
}

static int
cmp_result(const void *a, const void *b)
{
	const Ctl__RankResult *x = a, *y = b;

	return x->rank < y->rank ? -1 : x->rank > y->rank;
}

/* Select and plan under the lock. */
static int
ms_plan(struct srv_mgmt *ms, const char *ranks, const char *hosts, bool skip_admin_excluded,
	struct ms_plan *p, struct d_errbuf *eb)
{
	struct ctl_system_sel    sel = {0};
	struct ctl_system_hosts *hq = NULL;
	int		     rc;

	rc = ctl_system_hosts_resolve(hosts, &hq, eb); /* may block: not under the lock */
	if (rc != 0)
		return rc;
	pthread_mutex_lock(&ms->lock);
	rc = srv_ms_up(ms, eb);
	if (rc == 0)
		rc = ctl_system_select(ms->m, ranks, hq, 0, &sel, eb);
	if (rc == 0) {
		rc = plan_build(&sel, skip_admin_excluded, p);
		if (rc != 0)
			d_errbuf_set(eb, "out of memory planning the request");
	}
	pthread_mutex_unlock(&ms->lock);
	ctl_system_sel_fini(&sel);
	ctl_system_hosts_free(hq);
	return rc;
}

/* Run one action everywhere; the results go into *out (sorted by rank). */
static int
ms_action(struct srv_state *st, struct ms_plan *p, const char *method, const char *action,
	  bool force, struct ms_results *out, struct d_errbuf *eb)
{
	int rc = srv_ms_plan_call(st, p, method, force, MS_FANOUT_TIMEOUT_MS);

	if (rc == 0)
		rc = plan_results(p, action, out);
	if (rc != 0) {
		d_errbuf_set(eb, "out of memory running %s", method);
		return rc;
	}
	qsort(out->v, out->n, sizeof(*out->v), cmp_result);
	apply_results(st->ms, out);
	return 0;
}

static Ctl__RankResult **
result_ptrs(const struct ms_results *r)
{
	Ctl__RankResult **v = calloc(r->n > 0 ? r->n : 1, sizeof(*v));

	for (size_t i = 0; v != NULL && i < r->n; i++)
		v[i] = &r->v[i];
	return v;
}

/* ---- SystemStop / SystemStart ------------------------------------------------------------- */

/* The request fields SystemStop and SystemStart share, borrowed from the decoded message. */
struct ms_ranks_req {
	const char *sys;
	const char *ranks;
	const char *hosts;
	bool	    ignore_admin_excluded;
	bool	    force; /* SystemStop only */
};

/* What differs between the two handlers; ms_ranks_handle() does the rest. */
struct ms_ranks_op {
	const char *name; /* the method, for the malformed-request error */
	/* Decode the body into *q; the returned message owns the strings of *q. */
	ProtobufCMessage *(*decode)(const uint8_t *req, size_t len, struct ms_ranks_req *q);
	/* The rank actions; *r holds the results of the last one run. */
	int (*run)(struct srv_state *st, const struct ms_ranks_req *q, struct ms_plan *p,
		   struct ms_results *r, struct d_errbuf *eb);
	int (*encode)(Ctl__RankResult **v, size_t n, const struct ms_plan *p, uint8_t **resp,
		      size_t *resp_len, struct d_errbuf *eb);
};

/* Decode, select the members, run the actions (results applied there), encode. */
static int
ms_ranks_handle(struct srv_state *st, const struct ms_ranks_op *op, const uint8_t *req,
		size_t req_len, uint8_t **resp, size_t *resp_len, struct d_errbuf *eb)
{
	struct ms_ranks_req q = {0};
	ProtobufCMessage   *msg;
	struct ms_plan	    p = {0};
	struct ms_results   r = {0};
	Ctl__RankResult	  **rp = NULL;
	int		    rc;

	if (st->ms == NULL)
		return not_leader(st, eb);
	msg = op->decode(req, req_len, &q);
	if (msg == NULL)
		return bad_request(op->name, eb);
	rc = check_sys(st, q.sys, eb);
	if (rc == 0)
		rc = ms_plan(st->ms, q.ranks, q.hosts, !q.ignore_admin_excluded, &p, eb);
	if (rc == 0)
		rc = op->run(st, &q, &p, &r, eb);
	if (rc == 0) {
		rp = result_ptrs(&r);
		rc = rp == NULL ? -DER_NOMEM : op->encode(rp, r.n, &p, resp, resp_len, eb);
	}
	free(rp);
	results_fini(&r);
	srv_ms_plan_fini(&p);
	protobuf_c_message_free_unpacked(msg, NULL);
	return rc;
}

static ProtobufCMessage *
stop_decode(const uint8_t *req, size_t len, struct ms_ranks_req *q)
{
	Mgmt__SystemStopReq *m = mgmt__system_stop_req__unpack(NULL, len, req);

	if (m == NULL)
		return NULL;
	*q = (struct ms_ranks_req){m->sys, m->ranks, m->hosts, m->ignore_admin_excluded, m->force};
	return &m->base;
}

static int
stop_run(struct srv_state *st, const struct ms_ranks_req *q, struct ms_plan *p,
	 struct ms_results *r, struct d_errbuf *eb)
{
	int rc;

	D_INFO("system stop%s of %zu hosts requested", q->force ? " (force)" : "", p->nh);
	/* Upstream: a failed prep shutdown ends a stop that is not forced. */
	if (!q->force) {
		rc = ms_action(st, p, "PrepShutdownRanks", "prep shutdown", false, r, eb);
		if (rc != 0 || any_errored(r))
			return rc;
		results_fini(r);
	}
	return ms_action(st, p, "StopRanks", "stop", q->force, r, eb);
}

static int
stop_encode(Ctl__RankResult **v, size_t n, const struct ms_plan *p, uint8_t **resp,
	    size_t *resp_len, struct d_errbuf *eb)
{
	Mgmt__SystemStopResp out = MGMT__SYSTEM_STOP_RESP__INIT;

	out.results = v, out.n_results = n;
	out.absentranks = p->absent_ranks, out.absenthosts = p->absent_hosts;
	return PACK(mgmt__system_stop_resp, &out, resp, resp_len, eb);
}

static ProtobufCMessage *
start_decode(const uint8_t *req, size_t len, struct ms_ranks_req *q)
{
	Mgmt__SystemStartReq *m = mgmt__system_start_req__unpack(NULL, len, req);

	if (m == NULL)
		return NULL;
	*q = (struct ms_ranks_req){m->sys, m->ranks, m->hosts, m->ignore_admin_excluded, false};
	return &m->base;
}

static int
start_run(struct srv_state *st, const struct ms_ranks_req *q, struct ms_plan *p,
	  struct ms_results *r, struct d_errbuf *eb)
{
	(void)q;
	D_INFO("system start of %zu hosts requested", p->nh);
	return ms_action(st, p, "StartRanks", "start", false, r, eb);
}

static int
start_encode(Ctl__RankResult **v, size_t n, const struct ms_plan *p, uint8_t **resp,
	     size_t *resp_len, struct d_errbuf *eb)
{
	Mgmt__SystemStartResp out = MGMT__SYSTEM_START_RESP__INIT;

	out.results = v, out.n_results = n;
	out.absentranks = p->absent_ranks, out.absenthosts = p->absent_hosts;
	return PACK(mgmt__system_start_resp, &out, resp, resp_len, eb);
}

int
srv_h_system_stop(void *arg, const struct ctl_rpc_peer *peer, const uint8_t *req, size_t req_len,
		  uint8_t **resp, size_t *resp_len, struct d_errbuf *eb)
{
	static const struct ms_ranks_op op = {"SystemStop", stop_decode, stop_run, stop_encode};

	(void)peer;
	return ms_ranks_handle(arg, &op, req, req_len, resp, resp_len, eb);
}

int
srv_h_system_start(void *arg, const struct ctl_rpc_peer *peer, const uint8_t *req, size_t req_len,
		   uint8_t **resp, size_t *resp_len, struct d_errbuf *eb)
{
	static const struct ms_ranks_op op = {"SystemStart", start_decode, start_run,
					      start_encode};

	(void)peer;
	return ms_ranks_handle(arg, &op, req, req_len, resp, resp_len, eb);
}

/* Ranks still running (Ready or Joined, as upstream's erase check); lock held. */
static int
running_ranks(struct srv_mgmt *ms, char **out)
{
	const struct ctl_member **v = NULL;
	struct d_rankset	 *rs = NULL;
	size_t			  n = 0;
	int			  rc;

	rc = ctl_membership_list(ms->m, CTL_MS_FILTER_AVAILABLE, &v, &n);
	if (rc == 0)
		rc = d_rankset_create(&rs);
	for (size_t i = 0; rc == 0 && i < n; i++)
		rc = d_rankset_add(rs, v[i]->rank);
	*out = NULL;
	if (rc == 0 && n > 0)
		rc = d_rankset_str(rs, out);
	free(v);
	d_rankset_destroy(rs);
	return rc;
}

int
srv_h_system_erase(void *arg, const struct ctl_rpc_peer *peer, const uint8_t *req, size_t req_len,
		   uint8_t **resp, size_t *resp_len, struct d_errbuf *eb)
{
	struct srv_state     *st = arg;
	struct srv_mgmt	     *ms = st->ms;
	Mgmt__SystemEraseReq *q;
	Mgmt__SystemEraseResp out = MGMT__SYSTEM_ERASE_RESP__INIT;
	struct ms_plan	      p = {0};
	struct ms_results     r = {0};
	Ctl__RankResult	    **rp = NULL;
	char		     *running = NULL;
	int		      rc;

	(void)peer;
	if (ms == NULL)
		return not_leader(st, eb);
	q = mgmt__system_erase_req__unpack(NULL, req_len, req);
	if (q == NULL)
		return bad_request("SystemErase", eb);
	rc = check_sys(st, q->sys, eb);
	if (rc != 0)
		goto out;
	pthread_mutex_lock(&ms->lock);
	rc = srv_ms_up(ms, eb);
	if (rc == 0 && running_ranks(ms, &running) != 0) {
		rc = -DER_NOMEM;
		d_errbuf_set(eb, "out of memory");
	}
	if (rc == 0 && running != NULL) {
		uint64_t	  cnt = 0;
		struct d_rankset *rs = NULL;

		if (d_rankset_parse(running, &rs, NULL) == 0)
			cnt = d_rankset_count(rs);
		d_rankset_destroy(rs);
		d_errbuf_set(eb,
			     "system erase requires the following %llu %s to be stopped: %s; "
			     "run `dmg system stop` first",
			     (unsigned long long)cnt, cnt == 1 ? "rank" : "ranks", running);
		rc = -DER_BUSY;
	}
	pthread_mutex_unlock(&ms->lock);
	if (rc == 0)
		rc = ms_plan(ms, NULL, NULL, false, &p, eb);
	if (rc != 0)
		goto out;
	D_INFO("system erase requested (%zu hosts)", p.nh);
	rc = ms_action(st, &p, "ResetFormatRanks", "reset format", false, &r, eb);
	if (rc != 0)
		goto out;
	if (!any_errored(&r)) {
		pthread_mutex_lock(&ms->lock);
		if (unlink(ms->db_path) != 0 && errno != ENOENT) {
			rc = d_errno2der(errno);
			d_errbuf_set(eb, "system erase: cannot remove %s: %s", ms->db_path,
				     strerror(errno));
		} else {
			D_INFO("system erased: management service database %s removed",
			       ms->db_path);
			drop(ms);
		}
		pthread_mutex_unlock(&ms->lock);
		if (rc != 0)
			goto out;
	}
	rp = result_ptrs(&r);
	out.n_results = r.n;
	out.results = rp;
	rc = rp == NULL ? -DER_NOMEM : PACK(mgmt__system_erase_resp, &out, resp, resp_len, eb);
out:
	free(rp);
	free(running);
	results_fini(&r);
	srv_ms_plan_fini(&p);
	mgmt__system_erase_req__free_unpacked(q, NULL);
	return rc;
}
