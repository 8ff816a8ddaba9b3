/*
 * The per-host rank actions the management service fans out (ctl.proto
 * RanksReq -> RanksResp): PrepShutdownRanks, StopRanks, StartRanks,
 * PingRanks and ResetFormatRanks.  Each requested rank is mapped to the
 * local instance whose superblock (or last Join) holds it; a rank not on
 * this host gets an errored result "rank N not found on this host".
 * Results carry the member state name after the action and this host's
 * control address; a ping of a Joined rank also carries the incarnation its
 * engine announced in NotifyReady.  Membership itself is the MS's business (srv_mgmt.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/hostlist.h"
#include "common/log.h"
#include "common/pb.h"
#include "common/tls.h"
#include "control/lib/storage/storage.h"
#include "control/server/srv_engine_internal.h"
#include "proto/ctl.pb-c.h"

#define START_WAIT_MS 30000
/* One result per requested rank is built; bound the request (a host runs a few engines). */
#define MAX_REQ_RANKS 65536

enum rank_action { ACT_PREP, ACT_STOP, ACT_START, ACT_PING, ACT_RESET };

static const char *const action_names[] = {
	[ACT_PREP] = "prep shutdown", [ACT_STOP] = "stop",	    [ACT_START] = "start",
	[ACT_PING] = "ping",	      [ACT_RESET] = "reset format",
};

struct rank_slot {
	uint32_t rank;
	int	 idx; /* -1: not on this host */
	bool	 errored;
	char	 msg[512];
	char	 state[32];
	uint64_t incarnation; /* ping of a Joined instance: its engine's, else 0 */
};

static void slot_err(struct rank_slot *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void
slot_err(struct rank_slot *s, const char *fmt, ...)
{
	va_list ap;

	s->errored = true;
	va_start(ap, fmt);
	vsnprintf(s->msg, sizeof(s->msg), fmt, ap);
	va_end(ap);
}

static void
slot_state(struct srv_engines *en, struct rank_slot *s)
{
	snprintf(s->state, sizeof(s->state), "%s",
		 srv_inst_state_name(srv_engine_state(en, (uint32_t)s->idx)));
}

/*
 * An instance awaiting a format (one in progress, or one that failed) has no
 * engine and must keep its fence: stopping it is an error, not a success
 * that stopped nothing.
 */
static bool
refuse_unformatted(struct srv_engines *en, struct rank_slot *s)
{
	if (srv_engine_state(en, (uint32_t)s->idx) != SRV_INST_AWAIT_FORMAT)
		return false;
	slot_err(s,
		 "instance %d has no formatted storage (a storage format is under way or did "
		 "not finish): there is no engine to stop; finish the format with dmg storage "
		 "format",
		 s->idx);
	slot_state(en, s);
	return true;
}

static void
act_prep(struct srv_engines *en, struct rank_slot *s)
{
	struct srv_inst *in = &en->insts[s->idx];
	struct d_errbuf	 eb = {{0}};
	char		 sock[256];
	bool		 running;

	if (refuse_unformatted(en, s))
		return;
	pthread_mutex_lock(&en->lock);
	running = in->pid != 0;
	snprintf(sock, sizeof(sock), "%s", in->drpc_sock);
	pthread_mutex_unlock(&en->lock);
	if (!running) {
		slot_state(en, s);
		return;
	}
	if (sock[0] == '\0') {
		slot_err(s, "instance %d has not reported ready yet", s->idx);
		slot_state(en, s);
		return;
	}
	if (srv_engine_drpc_prep_shutdown(sock, &eb) != 0) {
		slot_err(s, "%s", eb.msg);
		slot_state(en, s);
		return;
	}
	snprintf(s->state, sizeof(s->state), "Stopping");
}

static void
act_stop(struct srv_engines *en, struct rank_slot *s, bool force)
{
	struct d_errbuf eb = {{0}};

	if (refuse_unformatted(en, s))
		return;
	if (srv_engine_stop(en, (uint32_t)s->idx, force, SRV_INST_STOPPED, &eb) != 0)
		slot_err(s, "%s", eb.msg);
	slot_state(en, s);
}

static void
act_reset(struct srv_engines *en, struct rank_slot *s)
{
	struct srv_inst *in = &en->insts[s->idx];
	const char	*mnt = in->cfg->nstorage ? in->cfg->storage[0].scm_mount : NULL;
	const char	*names[] = {CTL_SUPERBLOCK_NAME, CTL_NVME_CONF_NAME};

	pthread_mutex_lock(&en->lock);
	if (in->pid != 0 || in->launch_req) {
		pthread_mutex_unlock(&en->lock);
		slot_err(s, "instances not stopped");
		slot_state(en, s);
		return;
	}
	for (size_t i = 0; mnt != NULL && i < D_ARRAY_SIZE(names); i++) {
		char *p = d_asprintf("%s/%s", mnt, names[i]);

		if (p == NULL) {
			slot_err(s, "out of memory");
			break;
		}
		if (unlink(p) != 0 && errno != ENOENT)
			slot_err(s, "cannot remove %s: %s", p, strerror(errno));
		D_FREE(p);
	}
	if (!s->errored) {
		in->state = SRV_INST_AWAIT_FORMAT;
		in->has_rank = false;
		pthread_cond_broadcast(&en->cond);
		D_INFO("instance %d (rank %u): superblock removed, awaiting format", s->idx,
		       s->rank);
	}
	pthread_mutex_unlock(&en->lock);
	slot_state(en, s);
}

static int
pack_results(struct srv_engines *en, enum rank_action act, struct rank_slot *slots, int n,
	     uint8_t **resp, size_t *resp_len)
{
	Ctl__RanksResp	  r = CTL__RANKS_RESP__INIT;
	Ctl__RankResult	 *res = d_calloc(n ? n : 1, sizeof(*res));
	Ctl__RankResult **ptrs = d_calloc(n ? n : 1, sizeof(*ptrs));
	char		  addr[128];
	int		  rc = 0;

	if (res == NULL || ptrs == NULL) {
		rc = -DER_NOMEM;
		goto out;
	}
	srv_engines_ctl_addr(en, addr, sizeof(addr));
	for (int i = 0; i < n; i++) {
		ctl__rank_result__init(&res[i]);
		res[i].rank = slots[i].rank;
		res[i].action = (char *)action_names[act];
		res[i].errored = slots[i].errored;
		res[i].msg = slots[i].msg;
		res[i].state = slots[i].state;
		res[i].addr = addr;
		res[i].incarnation = slots[i].incarnation;
		ptrs[i] = &res[i];
	}
	r.n_results = (size_t)n;
	r.results = ptrs;
	rc = d_pb_pack(&r.base, resp, resp_len);
out:
	D_FREE(res);
	D_FREE(ptrs);
	return rc;
}

static int
rank_action(void *arg, const struct ctl_rpc_peer *peer, enum rank_action act, const uint8_t *req,
	    size_t req_len, uint8_t **resp, size_t *resp_len, struct d_errbuf *eb)
{
	const struct srv_state *st = arg;
	struct srv_engines     *en = st->engines;
	Ctl__RanksReq	       *in;
	struct d_rankset       *rs = NULL;
	struct rank_slot       *slots = NULL;
	int			n = 0, rc;

	in = ctl__ranks_req__unpack(NULL, req_len, req);
	if (in == NULL) {
		d_errbuf_set(eb, "cannot decode the RanksReq (%zu bytes)", req_len);
		return -DER_PROTO;
	}
	if (en == NULL) {
		d_errbuf_set(eb, "this daos_server runs no engines");
		rc = -DER_UNINIT;
		goto out;
	}
	rc = d_rankset_parse(in->ranks ? in->ranks : "", &rs, eb);
	if (rc != 0)
		goto out;
	if (d_rankset_count(rs) > MAX_REQ_RANKS) {
		d_errbuf_set(eb, "RanksReq names %llu ranks (%s); at most %d per request",
			     (unsigned long long)d_rankset_count(rs), in->ranks, MAX_REQ_RANKS);
		rc = -DER_INVAL;
		goto out;
	}
	n = (int)d_rankset_count(rs);
	D_ALLOC_ARRAY(slots, n ? n : 1);
	if (slots == NULL) {
		rc = -DER_NOMEM;
		goto out;
	}
	D_DEBUG("%s ranks %s from %s", action_names[act], in->ranks ? in->ranks : "", peer->addr);
	pthread_mutex_lock(&en->lock);
	for (int i = 0; i < n; i++) {
		struct srv_inst *si;

		d_rankset_nth(rs, (uint64_t)i, &slots[i].rank);
		si = srv_inst_by_rank(en, slots[i].rank);
		slots[i].idx = si ? (int)si->idx : -1;
		if (si == NULL) {
			slots[i].errored = true;
			snprintf(slots[i].msg, sizeof(slots[i].msg),
				 "rank %u not found on this host", slots[i].rank);
			snprintf(slots[i].state, sizeof(slots[i].state), "Unknown");
		}
	}
	pthread_mutex_unlock(&en->lock);

	/* starts first for every rank, then the waits, so engines come up together */
	for (int i = 0; i < n; i++) {
		struct rank_slot *s = &slots[i];
		struct d_errbuf	  e2 = {{0}};

		if (s->idx < 0)
			continue;
		switch (act) {
		case ACT_PREP:
			act_prep(en, s);
			break;
		case ACT_STOP:
			act_stop(en, s, in->force);
			break;
		case ACT_START:
			if (!srv_engine_running(en, (uint32_t)s->idx) &&
			    srv_engine_start(en, (uint32_t)s->idx, &e2) != 0) {
				slot_err(s, "%s", e2.msg);
				slot_state(en, s);
			}
			break;
		case ACT_PING:
			slot_state(en, s);
			/* why it is Errored: the MS shows it to the operator */
			pthread_mutex_lock(&en->lock);
			if (en->insts[s->idx].state == SRV_INST_ERRORED)
				snprintf(s->msg, sizeof(s->msg), "%.*s", (int)sizeof(s->msg) - 1,
					 en->insts[s->idx].err);
			/* lets the MS recognise the very engine that joined (srv_mgmt_live.c) */
			if (en->insts[s->idx].state == SRV_INST_JOINED && en->insts[s->idx].ready)
				s->incarnation = en->insts[s->idx].incarnation;
			pthread_mutex_unlock(&en->lock);
			break;
		case ACT_RESET:
			act_reset(en, s);
			break;
		}
	}
	if (act == ACT_START) {
		int64_t deadline = d_tls_now_ms() + START_WAIT_MS;

		for (int i = 0; i < n; i++) {
			struct rank_slot *s = &slots[i];
			struct d_errbuf	  e2 = {{0}};
			int64_t		  left = deadline - d_tls_now_ms();

			if (s->idx < 0 || s->errored)
				continue;
			if (srv_engine_wait_joined(en, (uint32_t)s->idx, left > 0 ? (int)left : 0,
						   &e2) != 0)
				slot_err(s, "%s", e2.msg);
			slot_state(en, s);
		}
	}
	rc = pack_results(en, act, slots, n, resp, resp_len);
	if (rc != 0)
		d_errbuf_set(eb, "cannot encode the results: %s", d_errstr(rc));
out:
	D_FREE(slots);
	d_rankset_destroy(rs);
	ctl__ranks_req__free_unpacked(in, NULL);
	return rc;
}

#define RANK_HANDLER(fn, act)                                                                      \
	int fn(void *arg, const struct ctl_rpc_peer *peer, const uint8_t *req, size_t req_len,     \
	       uint8_t **resp, size_t *resp_len, struct d_errbuf *eb)                              \
	{                                                                                          \
		return rank_action(arg, peer, act, req, req_len, resp, resp_len, eb);              \
	}

RANK_HANDLER(srv_h_prep_shutdown_ranks, ACT_PREP)
RANK_HANDLER(srv_h_stop_ranks, ACT_STOP)
RANK_HANDLER(srv_h_start_ranks, ACT_START)
RANK_HANDLER(srv_h_ping_ranks, ACT_PING)
RANK_HANDLER(srv_h_reset_format_ranks, ACT_RESET)

const struct ctl_rpc_method srv_engine_methods[] = {SRV_ENGINE_METHODS};
const int		    srv_engine_nr_methods = (int)D_ARRAY_SIZE(srv_engine_methods);
