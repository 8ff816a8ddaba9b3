/*
 * The system requests of the management service (srv_mgmt.h): LeaderQuery,
 * SystemQuery, and the rank actions SystemStop (PrepShutdownRanks, then
 * StopRanks), SystemStart (StartRanks) and SystemErase (ResetFormatRanks,
 * then the database removed).
 *
 * A rank action copies its selection out under the MS lock
 * (srv_ms_plan_select()), calls the hosts without it (srv_ms_plan_call()),
 * then applies the results under the lock again; transitions that became
 * illegal meanwhile (e.g. a member that already rejoined) are skipped as
 * upstream does.
 *
 * Not here: Join and ClusterEvent (srv_mgmt_join.c), the liveness loop
 * (srv_mgmt_live.c), the per-host side of the rank actions (srv_engine_rpc.c).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "control/server/srv_mgmt_internal.h"
#include "proto/ctl.pb-c.h"
#include "proto/system.pb-c.h"

/* Each rank action may take a while (StartRanks waits up to 30 s for Joined). */
#define MS_FANOUT_TIMEOUT_MS 90000

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
		return srv_ms_bad_request("LeaderQuery", eb);
	rc = srv_ms_check_sys(st, lq->sys, eb);
	mgmt__leader_query_req__free_unpacked(lq, NULL);
	if (rc != 0)
		return rc;
	out.current_leader = (char *)srv_ms_leader(st);
	out.n_replicas = st->cfg->mgmt_svc_replicas.n;
	out.replicas = st->cfg->mgmt_svc_replicas.v;
	return srv_ms_pack(&out.base, resp, resp_len, eb);
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
	struct ctl_system_sel	 sel = {0};
	struct ctl_system_hosts *hq = NULL;
	char			 alarm[SRV_MS_ALARM_MAX];
	int			 rc;

	(void)peer;
	if (ms == NULL)
		return srv_ms_not_leader(st, eb);
	q = mgmt__system_query_req__unpack(NULL, req_len, req);
	if (q == NULL)
		return srv_ms_bad_request("SystemQuery", eb);
	rc = srv_ms_check_sys(st, q->sys, eb);
	if (rc == 0)
		rc = ctl_system_hosts_resolve(q->hosts, &hq,
					      eb); /* may block: not under the lock */
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
		srv_ms_alarm(ms, alarm, sizeof(alarm));
		out.alarm = alarm;
		/* packed under the lock: the members point into the membership */
		rc = srv_ms_pack(&out.base, resp, resp_len, eb);
	}
	pthread_mutex_unlock(&ms->lock);
out:
	ctl_system_sel_fini(&sel);
	ctl_system_hosts_free(hq);
	D_FREE(mv);
	D_FREE(mp);
	D_FREE(times);
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

static void
results_fini(struct ms_results *r)
{
	for (size_t i = 0; i < r->n; i++) {
		D_FREE(r->v[i].action);
		D_FREE(r->v[i].msg);
		D_FREE(r->v[i].state);
		D_FREE(r->v[i].addr);
	}
	D_FREE(r->v);
	memset(r, 0, sizeof(*r));
}

static int
results_add(struct ms_results *r, uint32_t rank, const char *action, bool errored, const char *msg,
	    const char *state, const char *addr)
{
	Ctl__RankResult *x;

	if (r->n == r->cap) {
		size_t		 cap = r->cap ? r->cap * 2 : 16;
		Ctl__RankResult *nv = d_realloc(r->v, cap * sizeof(*nv));

		if (nv == NULL)
			return -DER_NOMEM;
		r->v = nv;
		r->cap = cap;
	}
	x = &r->v[r->n];
	ctl__rank_result__init(x);
	x->rank = rank;
	x->errored = errored;
	D_STRDUP(x->action, action);
	D_STRDUP(x->msg, msg ? msg : "");
	D_STRDUP(x->state, state ? state : "");
	D_STRDUP(x->addr, addr ? addr : "");
	r->n++;
	if (x->action == NULL || x->msg == NULL || x->state == NULL || x->addr == NULL)
		return -DER_NOMEM;
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

		/* Failed again in the same state: the new reason replaces the old one. */
		if (mb != NULL && mb->state == to && x->errored && x->msg != NULL &&
		    x->msg[0] != '\0' && (mb->info == NULL || strcmp(mb->info, x->msg) != 0)) {
			if (ctl_membership_set_info(ms->m, x->rank, x->msg) == 0) {
				srv_ms_stamp(ms, x->rank);
				changed = true;
			}
			continue;
		}
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
	Ctl__RankResult **v = d_calloc(r->n > 0 ? r->n : 1, sizeof(*v));

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
	int (*encode)(Ctl__RankResult **v, size_t n, const struct ms_plan *p, char *alarm,
		      uint8_t **resp, size_t *resp_len, struct d_errbuf *eb);
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
	char		    alarm[SRV_MS_ALARM_MAX];
	int		    rc;

	if (st->ms == NULL)
		return srv_ms_not_leader(st, eb);
	msg = op->decode(req, req_len, &q);
	if (msg == NULL)
		return srv_ms_bad_request(op->name, eb);
	rc = srv_ms_check_sys(st, q.sys, eb);
	if (rc == 0)
		rc = srv_ms_plan_select(st->ms, q.ranks, q.hosts, !q.ignore_admin_excluded, &p, eb);
	if (rc == 0)
		rc = op->run(st, &q, &p, &r, eb);
	if (rc == 0) {
		pthread_mutex_lock(&st->ms->lock);
		srv_ms_alarm(st->ms, alarm, sizeof(alarm));
		pthread_mutex_unlock(&st->ms->lock);
		rp = result_ptrs(&r);
		rc = rp == NULL ? -DER_NOMEM : op->encode(rp, r.n, &p, alarm, resp, resp_len, eb);
	}
	D_FREE(rp);
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
stop_encode(Ctl__RankResult **v, size_t n, const struct ms_plan *p, char *alarm, uint8_t **resp,
	    size_t *resp_len, struct d_errbuf *eb)
{
	Mgmt__SystemStopResp out = MGMT__SYSTEM_STOP_RESP__INIT;

	out.results = v, out.n_results = n, out.alarm = alarm;
	out.absentranks = p->absent_ranks, out.absenthosts = p->absent_hosts;
	return srv_ms_pack(&out.base, resp, resp_len, eb);
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
start_encode(Ctl__RankResult **v, size_t n, const struct ms_plan *p, char *alarm, uint8_t **resp,
	     size_t *resp_len, struct d_errbuf *eb)
{
	Mgmt__SystemStartResp out = MGMT__SYSTEM_START_RESP__INIT;

	out.results = v, out.n_results = n, out.alarm = alarm;
	out.absentranks = p->absent_ranks, out.absenthosts = p->absent_hosts;
	return srv_ms_pack(&out.base, resp, resp_len, eb);
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
	static const struct ms_ranks_op op = {"SystemStart", start_decode, start_run, start_encode};

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
	D_FREE(v);
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
		return srv_ms_not_leader(st, eb);
	q = mgmt__system_erase_req__unpack(NULL, req_len, req);
	if (q == NULL)
		return srv_ms_bad_request("SystemErase", eb);
	rc = srv_ms_check_sys(st, q->sys, eb);
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
		rc = srv_ms_plan_select(ms, NULL, NULL, false, &p, eb);
	if (rc != 0)
		goto out;
	D_INFO("system erase requested (%zu hosts)", p.nh);
	rc = ms_action(st, &p, "ResetFormatRanks", "reset format", false, &r, eb);
	if (rc != 0)
		goto out;
	if (!any_errored(&r)) {
		pthread_mutex_lock(&ms->lock);
		rc = srv_ms_erase(ms, eb);
		pthread_mutex_unlock(&ms->lock);
		if (rc != 0)
			goto out;
	}
	rp = result_ptrs(&r);
	out.n_results = r.n;
	out.results = rp;
	rc = rp == NULL ? -DER_NOMEM : srv_ms_pack(&out.base, resp, resp_len, eb);
out:
	D_FREE(rp);
	D_FREE(running);
	results_fini(&r);
	srv_ms_plan_fini(&p);
	mgmt__system_erase_req__free_unpacked(q, NULL);
	return rc;
}
