/*
 * The liveness loop of the management service (srv_mgmt.h): the MS learns
 * of engine deaths from ClusterEvent, which a daos_server that died with its
 * engines (or an unreachable host) never sends.  So one thread pings the
 * hosts of the members that are Joined, Ready or Unresponsive (PingRanks,
 * short deadline) every MS_LIVE_PERIOD_MS and applies what the answers mean
 * (ctl_member_ping_update(): unreachable host -> Unresponsive; the host's
 * Errored/Stopped/AwaitFormat -> that state).  An Unresponsive member whose
 * host answers again that the rank is Joined by the very engine that joined
 * (same incarnation: ctl_member_ping_rejoins()) is Joined again, as a
 * verified rejoin: the host was only out of reach (a network glitch, an
 * overloaded or stopped daos_server) and its engine never stopped.
 *
 * The MS lock is held only to take a snapshot of the members and to apply
 * the results, never across the pings.  A result is applied only if the
 * member still has the state and incarnation of the snapshot: a Join, a
 * ClusterEvent or a system stop that came meanwhile wins.  A host counts as
 * unreachable only after MS_LIVE_MISSES rounds in a row without an answer,
 * so one slow answer does not push a member into Unresponsive.
 *
 * The loop is started and stopped by its owner (srv_start.c); it calls
 * only down, into the database (srv_mgmt_db.c) and plans (srv_mgmt_plan.c).
 *
 * Not here: SWIM-style engine-to-engine probing and automatic exclusion.
 * An engine that restarted meanwhile (another incarnation) comes back
 * through its own Join, not here.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "control/server/srv_mgmt_internal.h"
#include "proto/ctl.pb-c.h"

#define MS_LIVE_PERIOD_MS  1000 /* between the starts of two rounds */
#define MS_LIVE_TIMEOUT_MS 5000 /* one PingRanks, connect included */
#define MS_LIVE_MISSES	   3	/* rounds in a row without an answer: unreachable */
#define MS_LIVE_ENV	   "DAOS_MS_LIVENESS_INTERVAL_MS"

/* A member as the snapshot saw it. */
struct live_member {
	uint32_t rank;
	uint32_t state;
	uint64_t incarnation;
	size_t	 host; /* index into the plan */
};

/* Consecutive unanswered rounds of one host (control address). */
struct live_miss {
	char *addr;
	int   n;
};

/* The loop of one MS, owned by whoever started it (srv_mgmt_live_start/stop). */
struct srv_mgmt_live {
	struct srv_mgmt *ms;
	int		 period_ms;
	pthread_t	 tid;
	pthread_mutex_t	 lock; /* guards stop */
	pthread_cond_t	 cond; /* on the monotonic clock; broadcast when stop is set */
	bool		 stop;

	/* the loop's thread only */
	struct live_miss   *miss;
	size_t		    nmiss;
	struct live_member *mem;
	size_t		    nmem;
};

static void
mem_fini(struct srv_mgmt_live *c)
{
	D_FREE(c->mem);
	c->mem = NULL;
	c->nmem = 0;
}

/* Members to ping grouped by host (MS lock taken here).  -DER_UNINIT: MS not up. */
static int
snapshot(struct srv_mgmt_live *c, struct ms_plan *p)
{
	struct srv_mgmt		 *ms = c->ms;
	const struct ctl_member **v = NULL;
	struct d_errbuf		  eb;
	size_t			  n = 0;
	int			  rc;

	pthread_mutex_lock(&ms->lock);
	rc = srv_ms_up(ms, &eb);
	if (rc == 0)
		rc = ctl_membership_list(ms->m, CTL_MS_FILTER_PINGED, &v, &n);
	if (rc != 0 || n == 0)
		goto out;
	D_ALLOC_ARRAY(p->h, n);
	D_ALLOC_ARRAY(c->mem, n);
	if (p->h == NULL || c->mem == NULL) {
		rc = -DER_NOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		size_t j;

		if (srv_ms_plan_add(p, v[i]->addr, v[i]->rank, &j) != 0) {
			rc = -DER_NOMEM;
			goto out;
		}
		c->mem[c->nmem++] =
			(struct live_member){v[i]->rank, v[i]->state, v[i]->incarnation, j};
	}
out:
	pthread_mutex_unlock(&ms->lock);
	D_FREE(v);
	return rc;
}

/* Count this round's miss (or answer) of host `addr`; the misses so far. */
static int
count_miss(struct srv_mgmt_live *c, struct live_miss *next, size_t *nnext, const char *addr,
	   bool missed)
{
	int prev = 0;

	for (size_t i = 0; i < c->nmiss; i++)
		if (strcmp(c->miss[i].addr, addr) == 0)
			prev = c->miss[i].n;
	if (!missed)
		return 0;
	D_STRDUP(next[*nnext].addr, addr);
	if (next[*nnext].addr == NULL)
		return prev; /* forgets the count: only delays the verdict */
	next[*nnext].n = prev + 1;
	(*nnext)++;
	return prev + 1;
}

/* Transport trouble, as opposed to an answer (REMOTE) or our own failure (LOCAL). */
static bool
no_answer(const struct ctl_rpc_result *r)
{
	return r->rc != 0 && r->err.kind != CTL_RPC_ERR_REMOTE && r->err.kind != CTL_RPC_ERR_LOCAL;
}

/* What the host said about one rank. */
static struct ctl_ping
ping_of(const struct ms_host *h, const Ctl__RanksResp *rr, bool unreachable, uint32_t rank)
{
	struct ctl_ping p = {0};

	if (unreachable)
		return (struct ctl_ping){.unreachable = true, .msg = h->res.err.msg};
	if (h->res.rc != 0) { /* the host answered, with an error for the whole request */
		if (h->res.err.kind == CTL_RPC_ERR_REMOTE)
			p = (struct ctl_ping){
				.answered = true, .state = "Unknown", .msg = h->res.err.msg};
		return p;
	}
	for (size_t k = 0; rr != NULL && k < rr->n_results; k++)
		if (rr->results[k]->rank == rank)
			return (struct ctl_ping){.answered = true,
						 .state = rr->results[k]->state,
						 .msg = rr->results[k]->msg,
						 .incarnation = rr->results[k]->incarnation};
	return p;
}

/* Apply the answers (MS lock taken here). */
static void
apply(struct srv_mgmt_live *c, struct ms_plan *p, const bool *unreachable, Ctl__RanksResp **rr)
{
	struct srv_mgmt *ms = c->ms;
	struct d_errbuf	 eb;
	bool		 changed = false;

	pthread_mutex_lock(&ms->lock);
	if (srv_ms_up(ms, &eb) != 0)
		goto out;
	for (size_t i = 0; i < c->nmem; i++) {
		const struct live_member *s = &c->mem[i];
		const struct ctl_member	 *mb = ctl_membership_find_rank(ms->m, s->rank);
		struct ctl_ping		  ping;
		uint32_t		  to, from;
		char			  info[1024];

		if (mb == NULL || mb->state != s->state || mb->incarnation != s->incarnation)
			continue; /* changed since the snapshot: that change is newer */
		ping = ping_of(&p->h[s->host], rr[s->host], unreachable[s->host], s->rank);
		if (ctl_member_ping_rejoins(mb->state, mb->incarnation, mb->addr, &ping, info,
					    sizeof(info))) {
			if (ctl_membership_rejoin_same(ms->m, s->rank, s->incarnation, &eb) != 0)
				continue;
			D_INFO("rank %u: Unresponsive -> Joined: %s", s->rank, info);
			srv_ms_stamp(ms, s->rank);
			changed = true;
			continue;
		}
		if (!ctl_member_ping_update(s->rank, mb->state, mb->addr, &ping, &to, info,
					    sizeof(info)))
			continue;
		from = mb->state;
		if (ctl_membership_set_state(ms->m, s->rank, to, info, &eb) != 0)
			continue;
		D_ERROR("rank %u: %s -> %s: %s", s->rank, ctl_member_state_name(from),
			ctl_member_state_name(to), info);
		srv_ms_stamp(ms, s->rank);
		changed = true;
	}
	if (changed)
		srv_ms_persist(ms, &eb); /* logs its failure itself */
out:
	pthread_mutex_unlock(&ms->lock);
}

static void
round_once(struct srv_mgmt_live *c)
{
	struct ms_plan	  p = {0};
	struct live_miss *next = NULL;
	size_t		  nnext = 0;
	Ctl__RanksResp	**rr = NULL;
	bool		 *unreachable = NULL;

	if (snapshot(c, &p) != 0 || p.nh == 0)
		goto out;
	srv_ms_plan_call(c->ms->st, &p, "PingRanks", false, MS_LIVE_TIMEOUT_MS);
	D_ALLOC_ARRAY(next, p.nh);
	D_ALLOC_ARRAY(rr, p.nh);
	D_ALLOC_ARRAY(unreachable, p.nh);
	if (next == NULL || rr == NULL || unreachable == NULL)
		goto out;
	for (size_t i = 0; i < p.nh; i++) {
		struct ms_host *h = &p.h[i];
		int		misses = count_miss(c, next, &nnext, h->addr, no_answer(&h->res));

		if (h->res.rc != 0 && h->res.err.kind == CTL_RPC_ERR_LOCAL)
			D_ERROR("management service: cannot ping %s: %s", h->addr, h->res.err.msg);
		else if (misses > 0)
			D_DEBUG("management service: no answer from %s (%d in a row): %s", h->addr,
				misses, h->res.err.msg);
		unreachable[i] = misses >= MS_LIVE_MISSES;
		if (h->res.rc == 0)
			rr[i] = ctl__ranks_resp__unpack(NULL, h->res.body_len, h->res.body);
	}
	apply(c, &p, unreachable, rr);
out:
	/* only the hosts of this round keep a count */
	for (size_t i = 0; i < c->nmiss; i++)
		D_FREE(c->miss[i].addr);
	D_FREE(c->miss);
	c->miss = next;
	c->nmiss = nnext;
	for (size_t i = 0; rr != NULL && i < p.nh; i++)
		if (rr[i] != NULL)
			ctl__ranks_resp__free_unpacked(rr[i], NULL);
	D_FREE(rr);
	D_FREE(unreachable);
	mem_fini(c);
	srv_ms_plan_fini(&p);
}

static void *
live_thread(void *arg)
{
	struct srv_mgmt_live *c = arg;

	for (;;) {
		struct timespec ts;
		bool		stop;

		pthread_mutex_lock(&c->lock);
		stop = c->stop;
		pthread_mutex_unlock(&c->lock);
		if (stop)
			break;
		round_once(c);

		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_sec += c->period_ms / 1000;
		ts.tv_nsec += (long)(c->period_ms % 1000) * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_mutex_lock(&c->lock);
		while (!c->stop && pthread_cond_timedwait(&c->cond, &c->lock, &ts) != ETIMEDOUT)
			;
		pthread_mutex_unlock(&c->lock);
	}
	for (size_t i = 0; i < c->nmiss; i++)
		D_FREE(c->miss[i].addr);
	D_FREE(c->miss);
	return NULL;
}

/* The period from the environment: the default, 0 (off), or -1 when the value is bad. */
static int
live_period(void)
{
	const char *s = getenv(MS_LIVE_ENV);
	uint64_t    v;

	if (s == NULL || s[0] == '\0')
		return MS_LIVE_PERIOD_MS;
	if (d_parse_u64(s, &v) != 0 || v > 3600000)
		return -1;
	return (int)v;
}

struct srv_mgmt_live *
srv_mgmt_live_start(struct srv_mgmt *ms)
{
	struct srv_mgmt_live *c;
	pthread_condattr_t    ca;
	int		      period = live_period();
	int		      rc;

	if (ms == NULL)
		return NULL;
	if (period < 0) {
		D_ERROR("%s=\"%s\" is not a number of milliseconds from 0 to 3600000: using %d",
			MS_LIVE_ENV, getenv(MS_LIVE_ENV), MS_LIVE_PERIOD_MS);
		period = MS_LIVE_PERIOD_MS;
	}
	if (period == 0) {
		D_INFO("management service: liveness checks disabled (%s=0)", MS_LIVE_ENV);
		return NULL;
	}
	D_ALLOC_PTR(c);
	if (c == NULL) {
		D_ERROR("management service: out of memory starting the liveness checks");
		return NULL;
	}
	c->ms = ms;
	c->period_ms = period;
	pthread_mutex_init(&c->lock, NULL);
	/* the wait is on the monotonic clock: a clock step must not stall the loop */
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&c->cond, &ca);
	pthread_condattr_destroy(&ca);
	rc = pthread_create(&c->tid, NULL, live_thread, c);
	if (rc != 0) {
		D_ERROR("management service: cannot start the liveness thread: %s", strerror(rc));
		pthread_cond_destroy(&c->cond);
		pthread_mutex_destroy(&c->lock);
		D_FREE(c);
		return NULL;
	}
	D_DEBUG("management service: liveness checks every %d ms", period);
	return c;
}

void
srv_mgmt_live_stop(struct srv_mgmt_live *c)
{
	if (c == NULL)
		return;
	pthread_mutex_lock(&c->lock);
	c->stop = true;
	pthread_cond_broadcast(&c->cond);
	pthread_mutex_unlock(&c->lock);
	pthread_join(c->tid, NULL);
	pthread_cond_destroy(&c->cond);
	pthread_mutex_destroy(&c->lock);
	D_FREE(c);
}
