/*
 * Plans of the management service (srv_mgmt_internal.h): the selected
 * members grouped by control address, one RanksReq per host, sent to all
 * hosts in parallel (up to MS_FANOUT_THREADS at once), each host's answer
 * or error kept with it.  Used by the system actions (srv_mgmt_system.c)
 * and the liveness loop (srv_mgmt_live.c).
 *
 * Not here: what the answers mean for the members; the callers decide and
 * apply that under the MS lock.  The calls themselves run without it.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/pb.h"
#include "control/server/srv_mgmt_internal.h"
#include "proto/ctl.pb-c.h"

#define MS_FANOUT_THREADS 16

int
srv_ms_plan_add(struct ms_plan *p, const char *addr, uint32_t rank, size_t *host)
{
	size_t j;

	for (j = 0; j < p->nh; j++)
		if (strcmp(p->h[j].addr, addr) == 0)
			break;
	if (j == p->nh) {
		D_STRDUP(p->h[j].addr, addr);
		p->nh++;
		if (p->h[j].addr == NULL || d_rankset_create(&p->h[j].ranks) != 0)
			return -DER_NOMEM;
	}
	if (d_rankset_add(p->h[j].ranks, rank) != 0)
		return -DER_NOMEM;
	if (host != NULL)
		*host = j;
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

		if (skip_admin_excluded && mb->state == CTL_MS_ADMIN_EXCLUDED)
			continue;
		if (srv_ms_plan_add(p, mb->addr, mb->rank, NULL) != 0)
			return -DER_NOMEM;
	}
	D_STRDUP(p->absent_ranks, sel->absent_ranks ? sel->absent_ranks : "");
	D_STRDUP(p->absent_hosts, sel->absent_hosts ? sel->absent_hosts : "");
	return p->absent_ranks == NULL || p->absent_hosts == NULL ? -DER_NOMEM : 0;
}

/* Select and plan under the lock. */
int
srv_ms_plan_select(struct srv_mgmt *ms, const char *ranks, const char *hosts,
		   bool skip_admin_excluded, struct ms_plan *p, struct d_errbuf *eb)
{
	struct ctl_system_sel	 sel = {0};
	struct ctl_system_hosts *hq = NULL;
	int			 rc;

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

void
srv_ms_plan_fini(struct ms_plan *p)
{
	for (size_t i = 0; i < p->nh; i++) {
		D_FREE(p->h[i].addr);
		d_rankset_destroy(p->h[i].ranks);
		D_FREE(p->h[i].body);
		ctl_rpc_results_fini(&p->h[i].res, 1);
	}
	D_FREE(p->h);
	D_FREE(p->absent_ranks);
	D_FREE(p->absent_hosts);
	memset(p, 0, sizeof(*p));
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

		h->res.rc =
			ctl_rpc_call(f->cl, h->host, h->port, f->method, h->body, h->body_len,
				     f->timeout_ms, &h->res.body, &h->res.body_len, &h->res.err);
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
	struct fan f = {.cl = st->client,
			.method = method,
			.timeout_ms = timeout_ms,
			.h = p->h,
			.n = p->nh};
	pthread_t  tids[MS_FANOUT_THREADS];
	int	   nt = 0;

	for (size_t i = 0; i < p->nh; i++) {
		struct ms_host *h = &p->h[i];
		Ctl__RanksReq	rq = CTL__RANKS_REQ__INIT;
		char	       *ranks = NULL;

		ctl_rpc_results_fini(&h->res, 1); /* the previous action's answer */
		memset(&h->res, 0, sizeof(h->res));
		D_FREE(h->body);
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
		if (d_pb_pack(&rq.base, &h->body, &h->body_len) != 0) {
			D_FREE(ranks);
			return -DER_NOMEM;
		}
		D_FREE(ranks);
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
