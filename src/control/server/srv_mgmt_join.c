/*
 * The membership requests of the management service (srv_mgmt.h): Join,
 * sent by a daos_server for each of its engines once the engine is ready
 * (srv_join.c is that sender), and ClusterEvent, sent when an engine that
 * joined died.  Both change one member under the MS lock and persist it
 * before answering.
 *
 * Not here: the rank actions and queries (srv_mgmt_system.c), the members
 * that stop answering (srv_mgmt_live.c), the database (srv_mgmt_db.c).
 */
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "control/server/srv_mgmt_internal.h"
#include "proto/system.pb-c.h"

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

/* Back to the membership before a join that could not be saved (lock held). */
static void
undo_join(struct srv_mgmt *ms, const char *undo)
{
	struct ctl_membership *m = NULL;
	struct d_errbuf	       eb;

	if (ctl_membership_from_text(undo, &m, &eb) != 0) {
		D_ERROR("management service: cannot undo an unsaved join: %s", eb.msg);
		return;
	}
	ctl_membership_destroy(ms->m);
	ms->m = m;
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
		return srv_ms_not_leader(st, eb);
	jr = mgmt__join_req__unpack(NULL, req_len, req);
	if (jr == NULL)
		return srv_ms_bad_request("Join", eb);
	rc = srv_ms_check_sys(st, jr->sys, eb);
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
			.provider = st->cfg->fabric.provider,
		};

		char *undo = NULL;

		pthread_mutex_lock(&ms->lock);
		rc = srv_ms_up(ms, eb);
		/* A rank given out must be on disk: an unsaved join is undone. */
		if (rc == 0) {
			undo = ctl_membership_to_text(ms->m);
			if (undo == NULL) {
				d_errbuf_set(eb, "out of memory");
				rc = -DER_NOMEM;
			}
		}
		if (rc == 0)
			rc = ctl_membership_join(ms->m, &cj, &r, NULL, eb);
		if (rc == 0) {
			srv_ms_stamp(ms, r.rank);
			rc = srv_ms_persist(ms, eb);
			if (rc != 0)
				undo_join(ms, undo);
		}
		D_FREE(undo);
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
		rc = srv_ms_pack(&out.base, resp, resp_len, eb);
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
		return srv_ms_not_leader(st, eb);
	ev = mgmt__cluster_event_req__unpack(NULL, req_len, req);
	if (ev == NULL)
		return srv_ms_bad_request("ClusterEvent", eb);
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
		struct d_errbuf peb;

		/* What happened is shown even when it cannot be saved (alarm raised). */
		srv_ms_stamp(ms, ev->rank);
		srv_ms_persist(ms, &peb);
	}
unlock:
	pthread_mutex_unlock(&ms->lock);
	mgmt__cluster_event_req__free_unpacked(ev, NULL);
	if (rc == 0)
		rc = srv_ms_pack(&out.base, resp, resp_len, eb);
	return rc;
}
