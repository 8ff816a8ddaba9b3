/*
 * daos_engine: the I/O engine process as daos_server starts it.  Parses
 * its options and environment, checks and allocates cores and starts one
 * pinned thread per xstream, opens its fabric endpoint, serves
 * daos_engine_<pid>.sock (SetRank, SetUp, PrepShutdown), tells
 * daos_server it is ready (NotifyReady) and prints upstream's banner once
 * SetUp arrives.  SIGTERM/SIGINT end it cleanly with status 0.
 *
 * Not here yet: modules (-m), storage (-s, -n, tiers, memory sizes) are
 * accepted and reported but nothing is loaded or mounted; no I/O service
 * runs on the xstreams.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "daos_build.h"
#include "common/drpc.h"
#include "common/log.h"
#include "common/pb.h"
#include "daos/daos_errno.h"
#include "engine/engine.h"
#include "proto/mgmt.pb-c.h"
#include "proto/srv.pb-c.h"

#define ENG_NOTIFY_TIMEOUT_MS 60000

extern char **environ;

/* What the dRPC handlers share with the main thread. */
struct eng_state {
	pthread_mutex_t lock;
	bool		rank_set;
	uint32_t	rank;
	uint32_t	map_version;
	bool		setup_done;
	int		efd; /* eventfd: SetUp arrived */
};

static int32_t
daos_resp(int32_t status, uint8_t **body, size_t *len)
{
	Mgmt__DaosResp resp = MGMT__DAOS_RESP__INIT;

	resp.status = status;
	if (d_pb_pack(&resp.base, body, len) != 0)
		return D_DRPC_FAILED_MARSHAL;
	return D_DRPC_SUCCESS;
}

static int32_t
handle_set_rank(const struct d_drpc_req *req, void *arg, uint8_t **body, size_t *len)
{
	struct eng_state *st = arg;
	Mgmt__SetRankReq *in;

	in = mgmt__set_rank_req__unpack(NULL, req->body_len, req->body);
	if (in == NULL) {
		D_ERROR("SetRank: cannot decode the request body (%zu bytes)", req->body_len);
		return D_DRPC_FAILED_UNMARSHAL_PAYLOAD;
	}
	pthread_mutex_lock(&st->lock);
	st->rank = in->rank;
	st->map_version = in->map_version;
	st->rank_set = true;
	pthread_mutex_unlock(&st->lock);
	D_INFO("SetRank: rank %u, map version %u", in->rank, in->map_version);
	mgmt__set_rank_req__free_unpacked(in, NULL);
	return daos_resp(0, body, len);
}

static int32_t
handle_set_up(const struct d_drpc_req *req, void *arg, uint8_t **body, size_t *len)
{
	struct eng_state *st = arg;
	uint64_t	  one = 1;
	int32_t		  status = 0;

	(void)req;
	pthread_mutex_lock(&st->lock);
	if (!st->rank_set) {
		status = -DER_UNINIT;
	} else if (!st->setup_done) {
		st->setup_done = true;
		if (write(st->efd, &one, sizeof(one)) != sizeof(one))
			status = -DER_MISC;
	}
	pthread_mutex_unlock(&st->lock);
	if (status == -DER_UNINIT)
		D_ERROR("SetUp before SetRank refused: the engine has no rank yet");
	return daos_resp(status, body, len);
}

static int32_t
handle_prep_shutdown(const struct d_drpc_req *req, void *arg, uint8_t **body, size_t *len)
{
	(void)req;
	(void)arg;
	D_NOTE("PrepShutdown received: preparing for shutdown");
	return daos_resp(0, body, len);
}

static void
drpc_notify(void *arg, int rc, const char *msg)
{
	(void)arg;
	D_WARN("dRPC listener: %s (%s)", msg, d_errstr(rc));
}

struct drpc_thread_arg {
	struct d_drpc_server	 *srv;
	const struct eng_xs_plan *plan;
	const struct eng_xs	 *xs;
};

/* The dRPC listener xstream: pinned like the others, then serving. */
static void *
drpc_main(void *p)
{
	struct drpc_thread_arg *a = p;
	struct d_errbuf		eb = {{0}};

	if (eng_xs_bind_self(a->plan, a->xs, &eb) != 0)
		D_WARN("%s", eb.msg);
	if (d_drpc_server_run(a->srv) != 0)
		D_ERROR("dRPC listener stopped on a poll failure");
	return NULL;
}

static int
notify_ready(const struct eng_opts *o, const char *uri, uint32_t nctxs, const char *listener,
	     struct d_drpc_client **out, struct d_errbuf *eb)
{
	Srv__NotifyReadyReq   req = SRV__NOTIFY_READY_REQ__INIT;
	struct d_drpc_client *cli = NULL;
	struct d_drpc_resp   *resp = NULL;
	struct timespec	      ts;
	struct d_errbuf	      ceb = {{0}};
	char		     *path;
	uint8_t		     *body = NULL;
	size_t		      len;
	int		      rc;

	path = d_asprintf("%s/daos_server.sock", o->socket_dir);
	if (path == NULL)
		return -DER_NOMEM;
	rc = d_drpc_connect(path, &cli, &ceb);
	if (rc) {
		d_errbuf_set(eb, "cannot reach daos_server over dRPC: %s", ceb.msg);
		goto out;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	req.uri = (char *)uri;
	req.nctxs = nctxs;
	req.drpclistenersock = (char *)listener;
	req.instanceidx = o->instance;
	req.ntgts = o->targets;
	/* a new value on every start, so daos_server can tell restarts apart */
	req.incarnation = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
	req.check_mode = o->check_mode;
	rc = d_pb_pack(&req.base, &body, &len);
	if (rc != 0)
		goto out;
	rc = d_drpc_call(cli, D_DRPC_MODULE_SRV, D_DRPC_METHOD_SRV_NOTIFY_READY, body, len,
			 ENG_NOTIFY_TIMEOUT_MS, &resp);
	if (rc) {
		d_errbuf_set(eb, "NotifyReady to daos_server at %s failed: %s", path, d_errstr(rc));
		goto out;
	}
	if (resp->status != D_DRPC_SUCCESS) {
		d_errbuf_set(eb, "daos_server at %s refused NotifyReady: %s", path,
			     d_drpc_status_name(resp->status) ? d_drpc_status_name(resp->status)
							      : "unknown status");
		rc = -DER_PROTO;
		goto out;
	}
	*out = cli;
	cli = NULL;
out:
	d_drpc_resp_free(resp);
	d_drpc_close(cli);
	D_FREE(body);
	D_FREE(path);
	return rc;
}

static void
print_banner(const struct eng_opts *o, const struct eng_xs_plan *plan, uint32_t rank)
{
	char host[256] = "";

	gethostname(host, sizeof(host) - 1);
	printf("DAOS I/O Engine (v%s) process %u started on rank %u with %u target, %d helper XS, "
	       "firstcore %d, host %s.\n",
	       DAOS_VERSION, (unsigned)getpid(), rank, o->targets, (int)plan->helpers,
	       o->first_core, host);
	if (o->numa_node >= 0)
		printf("Using NUMA node: %d\n", o->numa_node);
	fflush(stdout);
	D_NOTE("DAOS I/O Engine (v%s) process %u started on rank %u with %u target, %d helper "
	       "XS, firstcore %d, host %s.",
	       DAOS_VERSION, (unsigned)getpid(), rank, o->targets, (int)plan->helpers,
	       o->first_core, host);
	if (o->numa_node >= 0)
		D_NOTE("Using NUMA node: %d", o->numa_node);
}

/* Wait for SetUp (banner) and then for SIGTERM/SIGINT. */
static int
main_loop(const struct eng_opts *o, const struct eng_xs_plan *plan, struct eng_state *st, int sfd)
{
	struct pollfd pfd[2] = {{.fd = sfd, .events = POLLIN}, {.fd = st->efd, .events = POLLIN}};
	struct signalfd_siginfo si;
	uint64_t		v;

	for (;;) {
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			D_ERROR("poll failed: %s", strerror(errno));
			return -DER_HG;
		}
		if (pfd[1].revents & POLLIN) {
			if (read(st->efd, &v, sizeof(v)) == sizeof(v)) {
				uint32_t rank;

				pthread_mutex_lock(&st->lock);
				rank = st->rank;
				pthread_mutex_unlock(&st->lock);
				print_banner(o, plan, rank);
			}
		}
		if (pfd[0].revents & POLLIN) {
			if (read(sfd, &si, sizeof(si)) == sizeof(si)) {
				D_NOTE("received signal %s, shutting down",
				       strsignal((int)si.ssi_signo));
				return 0;
			}
		}
	}
}

static void
log_plan(const struct eng_opts *o, const struct eng_xs_plan *plan)
{
	printf("%s\n", plan->mode_line);
	fflush(stdout);
	D_INFO("%s", plan->mode_line);
	if (plan->helpers_capped)
		D_WARN("#nr_xs_helpers(%u) cannot exceed 2 times #targets (2 x %u = %u)",
		       o->helpers, o->targets, plan->helpers);
	if (plan->no_helpers)
		D_WARN("Suggest to config at least 1 helper XS per DAOS engine");
	if (plan->oversubscribed)
		D_WARN("%u targets and %u helpers oversubscribe %u cores "
		       "(DAOS_TARGET_OVERSUBSCRIBE=1): xstreams share cores",
		       o->targets, plan->helpers, plan->ncores);
	for (unsigned i = 0; i < plan->nxs; i++)
		D_DEBUG("xstream %s on core %u", plan->xs[i].name, plan->xs[i].core);
}

int
main(int argc, char **argv)
{
	struct eng_opts	       o = {0};
	struct eng_xs_plan     plan = {0};
	struct eng_xs_threads *xst = NULL;
	struct eng_fabric     *fab = NULL;
	struct d_drpc_server  *srv = NULL;
	struct d_drpc_client  *cli = NULL;
	struct eng_state       st = {.efd = -1};
	struct drpc_thread_arg targ;
	struct d_errbuf	       eb = {{0}};
	enum d_log_level       lvl;
	pthread_t	       drpc_tid;
	bool		       drpc_running = false;
	char		      *listener = NULL;
	sigset_t	       sigs;
	int		       sfd = -1, rc;

	pthread_mutex_init(&st.lock, NULL);
	rc = eng_opts_parse(argc, argv, environ, &o, &eb);
	if (rc) {
		fprintf(stderr, "daos_engine: %s\n", eb.msg);
		return 1;
	}
	if (o.help) {
		fputs(eng_usage, stdout);
		eng_opts_fini(&o);
		return 0;
	}
	rc = d_log_mask_parse(o.log_mask ? o.log_mask : "INFO", &lvl, &eb);
	if (rc) {
		fprintf(stderr, "daos_engine: engine %u: invalid D_LOG_MASK: %s\n", o.instance,
			eb.msg);
		goto out;
	}
	rc = d_log_open("daos_engine", o.log_file, lvl);
	if (rc) {
		fprintf(stderr, "daos_engine: engine %u: cannot open D_LOG_FILE %s: %s\n",
			o.instance, o.log_file, d_errstr(rc));
		goto out;
	}
	D_INFO("engine %u starting: %u targets, %u helpers, provider %s, interface %s, port %u",
	       o.instance, o.targets, o.helpers, o.provider, o.interface, o.port);

	/* every thread inherits the blocked mask; only signalfd sees them */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	sfd = signalfd(-1, &sigs, SFD_CLOEXEC);
	st.efd = eventfd(0, EFD_CLOEXEC);
	if (sfd < 0 || st.efd < 0) {
		snprintf(eb.msg, sizeof(eb.msg), "cannot create signalfd/eventfd: %s",
			 strerror(errno));
		rc = d_errno2der(errno);
		goto fail;
	}

	rc = eng_xs_plan(&o, &plan, &eb);
	if (rc)
		goto fail;
	log_plan(&o, &plan);
	rc = eng_xs_start(&plan, &xst, &eb);
	if (rc)
		goto fail;

	rc = eng_fabric_open(o.provider, o.interface, o.port, &fab, &eb);
	if (rc)
		goto fail;
	D_INFO("fabric endpoint %s (libfabric provider %s)", eng_fabric_uri(fab),
	       eng_fabric_prov_name(fab));

	listener = d_asprintf("%s/daos_engine_%u.sock", o.socket_dir, (unsigned)getpid());
	if (listener == NULL) {
		rc = -DER_NOMEM;
		goto fail;
	}
	rc = d_drpc_server_create(listener, 0600, &srv, &eb);
	if (rc)
		goto fail;
	d_drpc_server_set_notify(srv, drpc_notify, NULL);
	if ((rc = d_drpc_server_register(srv, D_DRPC_MODULE_MGMT, D_DRPC_METHOD_MGMT_SET_RANK,
					 handle_set_rank, &st)) ||
	    (rc = d_drpc_server_register(srv, D_DRPC_MODULE_MGMT, D_DRPC_METHOD_MGMT_SET_UP,
					 handle_set_up, &st)) ||
	    (rc = d_drpc_server_register(srv, D_DRPC_MODULE_MGMT, D_DRPC_METHOD_MGMT_PREP_SHUTDOWN,
					 handle_prep_shutdown, &st))) {
		snprintf(eb.msg, sizeof(eb.msg), "cannot register dRPC handlers: %s", d_errstr(rc));
		goto fail;
	}
	targ.srv = srv;
	targ.plan = &plan;
	targ.xs = NULL;
	for (unsigned i = 0; i < plan.nxs; i++)
		if (plan.xs[i].kind == ENG_XS_DRPC)
			targ.xs = &plan.xs[i];
	rc = pthread_create(&drpc_tid, NULL, drpc_main, &targ);
	if (rc) {
		snprintf(eb.msg, sizeof(eb.msg), "cannot start the dRPC listener: %s",
			 strerror(rc));
		rc = d_errno2der(rc);
		goto fail;
	}
	drpc_running = true;
	D_INFO("dRPC listener on %s", listener);

	rc = notify_ready(&o, eng_fabric_uri(fab),
			  2 + o.targets + (plan.helpers < o.targets ? plan.helpers : o.targets),
			  listener, &cli, &eb);
	if (rc)
		goto fail;
	D_INFO("NotifyReady sent, waiting for SetRank and SetUp");

	rc = main_loop(&o, &plan, &st, sfd);
	goto out;
fail:
	fprintf(stderr, "daos_engine: engine %u: %s\n", o.instance, eb.msg);
	D_ERROR("engine %u: %s", o.instance, eb.msg);
out:
	if (drpc_running) {
		d_drpc_server_stop(srv);
		pthread_join(drpc_tid, NULL);
	}
	d_drpc_server_destroy(srv);
	d_drpc_close(cli);
	eng_fabric_close(fab);
	eng_xs_stop(xst);
	eng_xs_plan_fini(&plan);
	if (sfd >= 0)
		close(sfd);
	if (st.efd >= 0)
		close(st.efd);
	D_FREE(listener);
	if (rc == 0)
		D_INFO("engine %u exited", o.instance);
	eng_opts_fini(&o);
	d_log_close();
	pthread_mutex_destroy(&st.lock);
	return rc == 0 ? 0 : 1;
}
