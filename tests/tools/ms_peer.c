/*
 * Test-only stand-in for the management service and for its fan-out (not
 * installed), so system tests can drive daos_server's engine side without
 * the real MS:
 *
 *   ms_peer serve PORT [--notleader N] [--refuse MSG]
 *       insecure control RPC server answering Join (rank: the requested one,
 *       else 1, 2, ...; map version 1) and ClusterEvent.  The first N Joins
 *       get -DER_NOTLEADER; with --refuse every Join gets -DER_INVAL and MSG.
 *       Prints "listening on port P", then one line per request:
 *       "Join sys=S uuid=U rank=R addr=A fd=F idx=I inc=N uri=URI" and
 *       "ClusterEvent type=T rank=R inc=N host=H msg=M".
 *   ms_peer ranks METHOD HOST:PORT RANKS [--force]
 *       call a rank action (insecure, as component "server") and print one
 *       line per result: "rank=R action=A errored=0|1 state=S addr=A msg=M".
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "control/lib/rpc.h"
#include "proto/ctl.pb-c.h"
#include "proto/system.pb-c.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int	       notleader;
static const char     *refuse;
static uint32_t	       next_rank = 1;
static struct ctl_rpc_server *volatile server;

static void
on_sig(int sig)
{
	(void)sig;
	if (server != NULL)
		ctl_rpc_server_stop(server);
}

static int
h_join(void *arg, const struct ctl_rpc_peer *peer, const uint8_t *req, size_t req_len,
       uint8_t **resp, size_t *resp_len, struct d_errbuf *eb)
{
	Mgmt__JoinReq *in = mgmt__join_req__unpack(NULL, req_len, req);
	Mgmt__JoinResp out = MGMT__JOIN_RESP__INIT;
	int	       rc = 0;

	(void)arg;
	(void)peer;
	if (in == NULL) {
		d_errbuf_set(eb, "bad JoinReq");
		return -DER_PROTO;
	}
	pthread_mutex_lock(&lock);
	printf("Join sys=%s uuid=%s rank=%u addr=%s fd=%s idx=%u inc=%llu uri=%s\n", in->sys,
	       in->uuid, in->rank, in->addr, in->srvfaultdomain, in->idx,
	       (unsigned long long)in->incarnation, in->uri);
	fflush(stdout);
	if (notleader > 0) {
		notleader--;
		d_errbuf_set(eb, "not the leader (test)");
		rc = -DER_NOTLEADER;
	} else if (refuse != NULL) {
		d_errbuf_set(eb, "%s", refuse);
		rc = -DER_INVAL;
	} else {
		out.rank = in->rank != 0xffffffffu ? in->rank : next_rank++;
		out.state = MGMT__JOIN_RESP__STATE__IN;
		out.map_version = 1;
		out.faultdomain = in->srvfaultdomain;
		*resp_len = mgmt__join_resp__get_packed_size(&out);
		*resp = malloc(*resp_len ? *resp_len : 1);
		if (*resp == NULL)
			rc = -DER_NOMEM;
		else
			mgmt__join_resp__pack(&out, *resp);
	}
	pthread_mutex_unlock(&lock);
	mgmt__join_req__free_unpacked(in, NULL);
	return rc;
}

static int
h_event(void *arg, const struct ctl_rpc_peer *peer, const uint8_t *req, size_t req_len,
	uint8_t **resp, size_t *resp_len, struct d_errbuf *eb)
{
	Mgmt__ClusterEventReq *in = mgmt__cluster_event_req__unpack(NULL, req_len, req);
	Mgmt__ClusterEventResp out = MGMT__CLUSTER_EVENT_RESP__INIT;

	(void)arg;
	(void)peer;
	if (in == NULL) {
		d_errbuf_set(eb, "bad ClusterEventReq");
		return -DER_PROTO;
	}
	pthread_mutex_lock(&lock);
	printf("ClusterEvent type=%d rank=%u inc=%llu host=%s msg=%s\n", in->type, in->rank,
	       (unsigned long long)in->incarnation, in->hostname, in->msg);
	fflush(stdout);
	pthread_mutex_unlock(&lock);
	mgmt__cluster_event_req__free_unpacked(in, NULL);
	*resp_len = mgmt__cluster_event_resp__get_packed_size(&out);
	*resp = malloc(*resp_len ? *resp_len : 1);
	if (*resp == NULL)
		return -DER_NOMEM;
	mgmt__cluster_event_resp__pack(&out, *resp);
	return 0;
}

static const struct ctl_rpc_method methods[] = {
	{"Join", h_join},
	{"ClusterEvent", h_event},
};

static int
serve(int argc, char **argv)
{
	struct d_tls_cfg	  tls = {.allow_insecure = true};
	struct ctl_rpc_server_cfg cfg = {
		.port = (uint16_t)atoi(argv[0]),
		.tls = &tls,
		.methods = methods,
		.nr_methods = 2,
	};
	struct sigaction sa = {.sa_handler = on_sig};
	struct ctl_rpc_server *srv;
	struct d_errbuf	       eb = {{0}};

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--notleader") == 0 && i + 1 < argc)
			notleader = atoi(argv[++i]);
		else if (strcmp(argv[i], "--refuse") == 0 && i + 1 < argc)
			refuse = argv[++i];
		else
			return 2;
	}
	if (ctl_rpc_server_create(&cfg, &srv, &eb) != 0) {
		fprintf(stderr, "ms_peer: %s\n", eb.msg);
		return 1;
	}
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	server = srv;
	printf("listening on port %u\n", ctl_rpc_server_port(srv));
	fflush(stdout);
	ctl_rpc_server_run(srv);
	server = NULL;
	ctl_rpc_server_destroy(srv);
	return 0;
}

static int
ranks(int argc, char **argv)
{
	struct d_tls_cfg       tls = {.allow_insecure = true};
	struct ctl_rpc_client *cl = NULL;
	struct ctl_rpc_error   err = {0};
	struct d_errbuf	       eb = {{0}};
	Ctl__RanksReq	       req = CTL__RANKS_REQ__INIT;
	Ctl__RanksResp	      *r;
	uint8_t		       buf[256], *resp = NULL;
	size_t		       len, rlen = 0;
	char		       host[256];
	char		      *colon;
	int		       rc;

	if (argc < 3 || strlen(argv[1]) >= sizeof(host))
		return 2;
	snprintf(host, sizeof(host), "%s", argv[1]);
	colon = strrchr(host, ':');
	if (colon == NULL)
		return 2;
	*colon = '\0';
	req.ranks = argv[2];
	req.force = argc > 3 && strcmp(argv[3], "--force") == 0;
	len = ctl__ranks_req__pack(&req, buf);
	if (ctl_rpc_client_create(&tls, D_COMP_SERVER, &cl, &eb) != 0) {
		fprintf(stderr, "ms_peer: %s\n", eb.msg);
		return 1;
	}
	rc = ctl_rpc_call(cl, host, (uint16_t)atoi(colon + 1), argv[0], buf, len, 120000, &resp,
			  &rlen, &err);
	ctl_rpc_client_destroy(cl);
	if (rc != 0) {
		printf("error %s\n", err.msg);
		return 1;
	}
	r = ctl__ranks_resp__unpack(NULL, rlen, resp);
	free(resp);
	if (r == NULL)
		return 1;
	for (size_t i = 0; i < r->n_results; i++)
		printf("rank=%u action=%s errored=%d state=%s addr=%s msg=%s\n",
		       r->results[i]->rank, r->results[i]->action, r->results[i]->errored,
		       r->results[i]->state, r->results[i]->addr, r->results[i]->msg);
	ctl__ranks_resp__free_unpacked(r, NULL);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc >= 3 && strcmp(argv[1], "serve") == 0)
		return serve(argc - 2, argv + 2);
	if (argc >= 5 && strcmp(argv[1], "ranks") == 0)
		return ranks(argc - 2, argv + 2);
	fprintf(stderr, "usage: ms_peer serve PORT [--notleader N] [--refuse MSG] | "
			"ms_peer ranks METHOD HOST:PORT RANKS [--force]\n");
	return 2;
}
