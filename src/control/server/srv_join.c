/*
 * Joining a ready engine to the system, as the on_ready hook of the engine
 * instances (srv_join_hooks, which srv_start.c hands to
 * srv_engines_create(); srv_engine.c never calls this file): after
 * NotifyReady a detached thread sends JoinReq over the control RPC to the
 * first mgmt_svc_replicas entry, retrying (250 ms doubling to 2 s) while the
 * MS cannot answer yet (transport errors, -DER_NOTLEADER, -DER_UNINIT,
 * -DER_AGAIN); then it records rank/validrank/uri in the superblock and
 * sends SetRank and SetUp to the engine's dRPC socket (srv_engine_drpc.c).
 * Any other failure is final: logged with the MS's message, engine
 * stopped, instance Errored.
 *
 * Also the ClusterEvent ENGINE_DIED sender, the on_exit hook (best effort,
 * a few tries).  Neither thread holds the lock across an RPC.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "common/pb.h"
#include "control/lib/storage/storage.h"
#include "control/server/srv_engine_internal.h"
#include "proto/mgmt.pb-c.h"
#include "proto/system.pb-c.h"

#define JOIN_CALL_MS	 5000
#define JOIN_BACKOFF_MIN 250
#define JOIN_BACKOFF_MAX 2000
#define EVENT_TRIES	 3

struct join_arg {
	struct srv_engines *en;
	uint32_t	    idx;
	uint64_t	    gen;
};

/* The process this join is for still runs and nobody is shutting down (lock held). */
static bool
still_wanted(struct srv_engines *en, struct srv_inst *in, uint64_t gen)
{
	return !en->shutdown && in->gen == gen && in->pid != 0 && !in->stopping;
}

/* Sleep up to ms unless the join became pointless; false: give up. */
static bool
backoff(struct srv_engines *en, struct srv_inst *in, uint64_t gen, int ms)
{
	struct timespec ts;
	bool		ok;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&en->lock);
	while ((ok = still_wanted(en, in, gen)) &&
	       pthread_cond_timedwait(&en->cond, &en->lock, &ts) != ETIMEDOUT)
		;
	ok = still_wanted(en, in, gen);
	pthread_mutex_unlock(&en->lock);
	return ok;
}

/* The MS's address: the first mgmt_svc_replicas entry. */
static int
ms_target(const struct ctl_server_config *cfg, char *host, size_t hlen, uint16_t *port,
	  struct d_errbuf *eb)
{
	if (cfg->mgmt_svc_replicas.n == 0) {
		d_errbuf_set(eb, "no mgmt_svc_replicas in the configuration: nowhere to join");
		return -DER_INVAL;
	}
	if (ctl_addr_split(cfg->mgmt_svc_replicas.v[0], host, hlen, port) != 0) {
		d_errbuf_set(eb, "mgmt_svc_replicas entry \"%s\" is not host:port",
			     cfg->mgmt_svc_replicas.v[0]);
		return -DER_INVAL;
	}
	return 0;
}

static bool
retryable(int rc, const struct ctl_rpc_error *err)
{
	if (err->kind != CTL_RPC_ERR_REMOTE)
		return err->kind != CTL_RPC_ERR_PERM && err->kind != CTL_RPC_ERR_VERSION &&
		       err->kind != CTL_RPC_ERR_LOCAL && err->kind != CTL_RPC_ERR_TLS;
	return rc == -DER_NOTLEADER || rc == -DER_UNINIT || rc == -DER_AGAIN;
}

/* Join with retries; 0 with *resp, or -DER_* with eb (final), -DER_CANCELED when abandoned. */
static int
join_loop(struct srv_engines *en, struct srv_inst *in, uint64_t gen, Mgmt__JoinReq *req,
	  Mgmt__JoinResp **resp, struct d_errbuf *eb)
{
	const struct srv_state *st = en->st;
	char			host[256];
	uint16_t		port;
	uint8_t		       *body = NULL, *rbody = NULL;
	size_t			len, rlen = 0;
	int			delay = JOIN_BACKOFF_MIN, rc;

	rc = ms_target(st->cfg, host, sizeof(host), &port, eb);
	if (rc != 0)
		return rc;
	if (d_pb_pack(&req->base, &body, &len) != 0)
		return -DER_NOMEM;
	for (int attempt = 1;; attempt++) {
		struct ctl_rpc_error err = {0};

		rbody = NULL;
		rc = ctl_rpc_call(st->client, host, port, "Join", body, len, JOIN_CALL_MS, &rbody,
				  &rlen, &err);
		if (rc == 0)
			break;
		if (!retryable(rc, &err)) {
			d_errbuf_set(eb, "join to %s:%u refused: %s", host, port, err.msg);
			goto out;
		}
		if (attempt <= 3 || attempt % 10 == 0)
			D_INFO("instance %u: join attempt %d to %s:%u failed (%s); retrying",
			       in->idx, attempt, host, port, err.msg);
		else
			D_DEBUG("instance %u: join attempt %d failed (%s)", in->idx, attempt,
				err.msg);
		if (!backoff(en, in, gen, delay)) {
			rc = -DER_CANCELED;
			goto out;
		}
		delay = delay * 2 > JOIN_BACKOFF_MAX ? JOIN_BACKOFF_MAX : delay * 2;
	}
	*resp = mgmt__join_resp__unpack(NULL, rlen, rbody);
	if (*resp == NULL) {
		d_errbuf_set(eb, "cannot decode the JoinResp from %s:%u", host, port);
		rc = -DER_PROTO;
	} else if ((*resp)->status != 0) {
		d_errbuf_set(eb, "the management service refused the join: %s",
			     d_errstr((*resp)->status));
		rc = (*resp)->status;
	} else if ((*resp)->state == MGMT__JOIN_RESP__STATE__OUT) {
		d_errbuf_set(eb, "rank %u excluded", (*resp)->rank);
		rc = -DER_MISC;
	}
	if (rc != 0 && *resp != NULL) {
		mgmt__join_resp__free_unpacked(*resp, NULL);
		*resp = NULL;
	}
out:
	D_FREE(rbody);
	D_FREE(body);
	return rc;
}

static int
do_join(struct srv_engines *en, struct srv_inst *in, uint64_t gen, struct d_errbuf *eb)
{
	const struct srv_state *st = en->st;
	Mgmt__JoinReq		req = MGMT__JOIN_REQ__INIT;
	Mgmt__JoinResp	       *resp = NULL;
	struct ctl_superblock	sb;
	struct d_errbuf		e2 = {{0}};
	const char	       *mnt = in->cfg->storage[0].scm_mount;
	char			addr[128], fd[200], uri[256], sock[256];
	int			rc;

	rc = ctl_superblock_read(mnt, &sb, &e2);
	if (rc != 0) {
		d_errbuf_set(eb, "%s", e2.msg);
		return rc;
	}
	srv_engines_ctl_addr(en, addr, sizeof(addr));
	snprintf(fd, sizeof(fd), "/%.190s", st->hostname);
	pthread_mutex_lock(&en->lock);
	snprintf(uri, sizeof(uri), "%s", in->uri);
	snprintf(sock, sizeof(sock), "%s", in->drpc_sock);
	req.nctxs = in->nctxs;
	req.incarnation = in->incarnation;
	req.check_mode = in->check_mode;
	req.replace = in->replace;
	pthread_mutex_unlock(&en->lock);
	req.sys = st->cfg->name;
	req.uuid = sb.uuid;
	req.rank = sb.has_rank ? sb.rank : SRV_NIL_RANK;
	/* Rank 0 is reserved for engine 0 of the bootstrap replica. */
	if (!sb.validrank && in->idx == 0 && srv_replica_index(st->cfg) == 0)
		req.rank = 0;
	req.uri = uri;
	req.addr = addr;
	req.srvfaultdomain = fd;
	req.idx = in->idx;
	{
		char rk[16] = "NilRank";

		if (req.rank != SRV_NIL_RANK)
			snprintf(rk, sizeof(rk), "%u", req.rank);
		D_INFO("instance %u: joining the system (uuid %s, requested rank %s, control "
		       "address %s)",
		       in->idx, sb.uuid, rk, addr);
	}
	rc = join_loop(en, in, gen, &req, &resp, eb);
	if (rc != 0)
		return rc;

	sb.rank = resp->rank;
	sb.has_rank = true;
	sb.validrank = true;
	snprintf(sb.uri, sizeof(sb.uri), "%s", uri);
	snprintf(sb.hostfaultdomain, sizeof(sb.hostfaultdomain), "%s", fd);
	sb.incarnation = req.incarnation;
	/*
	 * Under the lock: a reformat stops the engine (still_wanted() turns false)
	 * before it writes a new superblock, which ours must not overwrite.
	 */
	pthread_mutex_lock(&en->lock);
	if (!still_wanted(en, in, gen)) {
		pthread_mutex_unlock(&en->lock);
		rc = -DER_CANCELED;
		goto out;
	}
	rc = ctl_superblock_write(mnt, &sb, &e2);
	if (rc == 0) {
		in->has_rank = true;
		in->rank = resp->rank;
		in->replace = false;
	}
	pthread_mutex_unlock(&en->lock);
	if (rc != 0) {
		d_errbuf_set(eb, "joined as rank %u but cannot update the superblock: %s",
			     resp->rank, e2.msg);
		goto out;
	}
	D_INFO("instance %u: joined the system as rank %u (map version %u)%s", in->idx, resp->rank,
	       resp->map_version, resp->localjoin ? " (local MS)" : "");
	rc = srv_engine_drpc_set_rank(sock, resp->rank, resp->map_version, eb);
	if (rc == 0)
		rc = srv_engine_drpc_set_up(sock, eb);
out:
	mgmt__join_resp__free_unpacked(resp, NULL);
	return rc;
}

static void *
join_main(void *p)
{
	struct join_arg	   *a = p;
	struct srv_engines *en = a->en;
	struct srv_inst	   *in = &en->insts[a->idx];
	struct d_errbuf	    eb = {{0}};
	int		    rc;

	rc = do_join(en, in, a->gen, &eb);
	pthread_mutex_lock(&en->lock);
	if (rc == 0 && still_wanted(en, in, a->gen)) {
		in->state = SRV_INST_JOINED;
		pthread_cond_broadcast(&en->cond);
		pthread_mutex_unlock(&en->lock);
		D_INFO("instance %u: rank %u set up", in->idx, in->rank);
	} else if (rc != 0 && rc != -DER_CANCELED && still_wanted(en, in, a->gen)) {
		snprintf(in->err, sizeof(in->err), "instance %u: %.1000s", in->idx, eb.msg);
		D_ERROR("instance %u: %s; stopping the engine", in->idx, eb.msg);
		pthread_mutex_unlock(&en->lock);
		srv_engine_stop(en, in->idx, false, SRV_INST_ERRORED, &eb);
	} else {
		pthread_mutex_unlock(&en->lock);
	}
	D_FREE(a);
	srv_engines_thread_done(en);
	return NULL;
}

static int
spawn(struct srv_engines *en, void *(*fn)(void *), void *arg)
{
	pthread_attr_t attr;
	pthread_t      tid;
	int	       rc;

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	rc = pthread_create(&tid, &attr, fn, arg);
	pthread_attr_destroy(&attr);
	if (rc != 0) {
		D_ERROR("cannot start a thread: %s", strerror(rc));
		return d_errno2der(rc);
	}
	en->nr_threads++;
	return 0;
}

/* on_ready: NotifyReady arrived (en->lock held); join on a detached thread. */
static int
join_spawn(struct srv_engines *en, uint32_t idx, uint64_t gen)
{
	struct join_arg *a = d_calloc(1, sizeof(*a));
	int		 rc;

	if (a == NULL)
		return -DER_NOMEM;
	*a = (struct join_arg){.en = en, .idx = idx, .gen = gen};
	rc = spawn(en, join_main, a);
	if (rc != 0)
		D_FREE(a);
	return rc;
}

struct event_arg {
	struct srv_engines *en;
	uint32_t	    rank;
	uint64_t	    incarnation;
	char		    msg[600];
};

static void *
event_main(void *p)
{
	struct event_arg     *a = p;
	struct srv_engines   *en = a->en;
	Mgmt__ClusterEventReq req = MGMT__CLUSTER_EVENT_REQ__INIT;
	struct d_errbuf	      eb = {{0}};
	char		      host[256];
	uint16_t	      port;
	uint8_t		     *body = NULL;
	size_t		      len;

	req.type = MGMT__CLUSTER_EVENT_REQ__TYPE__ENGINE_DIED;
	req.rank = a->rank;
	req.incarnation = a->incarnation;
	req.hostname = en->st->hostname;
	req.msg = a->msg;
	if (d_pb_pack(&req.base, &body, &len) != 0 ||
	    ms_target(en->st->cfg, host, sizeof(host), &port, &eb) != 0) {
		D_WARN("rank %u: cannot report the engine's death: %s", a->rank,
		       body ? eb.msg : "out of memory");
		goto out;
	}
	for (int i = 1; i <= EVENT_TRIES; i++) {
		struct ctl_rpc_error err = {0};
		uint8_t		    *resp = NULL;
		size_t		     rlen = 0;
		bool		     stop;

		if (ctl_rpc_call(en->st->client, host, port, "ClusterEvent", body, len,
				 JOIN_CALL_MS, &resp, &rlen, &err) == 0) {
			D_FREE(resp);
			D_INFO("rank %u: engine death reported to the management service at %s:%u",
			       a->rank, host, port);
			goto out;
		}
		D_WARN("rank %u: ClusterEvent to %s:%u failed (try %d of %d): %s", a->rank, host,
		       port, i, EVENT_TRIES, err.msg);
		pthread_mutex_lock(&en->lock);
		stop = en->shutdown;
		pthread_mutex_unlock(&en->lock);
		if (stop || i == EVENT_TRIES)
			break;
		{
			struct timespec ts = {.tv_sec = 0, .tv_nsec = 500 * 1000000L};

			nanosleep(&ts, NULL);
		}
	}
out:
	D_FREE(body);
	D_FREE(a);
	srv_engines_thread_done(en);
	return NULL;
}

/* on_exit: tell the MS that the engine of `rank` died (en->lock held; detached thread). */
static void
event_spawn(struct srv_engines *en, uint32_t rank, uint64_t incarnation, const char *msg)
{
	struct event_arg *a = d_calloc(1, sizeof(*a));

	if (a == NULL) {
		D_WARN("rank %u: cannot report the engine's death: out of memory", rank);
		return;
	}
	a->en = en;
	a->rank = rank;
	a->incarnation = incarnation;
	snprintf(a->msg, sizeof(a->msg), "%s", msg);
	if (spawn(en, event_main, a) != 0)
		D_FREE(a);
}

const struct srv_engine_hooks srv_join_hooks = {
	.on_ready = join_spawn,
	.on_exit = event_spawn,
};
