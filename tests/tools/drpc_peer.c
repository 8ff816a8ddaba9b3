/*
 * Test peer playing daos_server's dRPC side for tests/system/test_engine.py:
 * listens on <dir>/daos_server.sock, prints the NotifyReady it receives,
 * then calls SetRank and SetUp (and optionally other methods) on the
 * engine's listener socket and prints each outcome.  Not installed.
 *
 *   drpc_peer DIR [--rank N] [--map-version V] [--no-set-rank]
 *                 [--prep-shutdown] [--unknown-method] [--bad-body]
 *                 [--refuse]
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/drpc.h"
#include "daos/daos_errno.h"
#include "proto/mgmt.pb-c.h"
#include "proto/srv.pb-c.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t  cond = PTHREAD_COND_INITIALIZER;
static char	      *listener;
static int	       refuse;

static int32_t
notify_ready(const struct d_drpc_req *req, void *arg, uint8_t **body, size_t *len)
{
	Srv__NotifyReadyReq *in;

	(void)arg;
	(void)body;
	(void)len;
	in = srv__notify_ready_req__unpack(NULL, req->body_len, req->body);
	if (in == NULL) {
		printf("NotifyReady undecodable\n");
		fflush(stdout);
		return D_DRPC_FAILED_UNMARSHAL_PAYLOAD;
	}
	printf("NotifyReady uri=%s nctxs=%u drpcListenerSock=%s instanceIdx=%u ntgts=%u "
	       "incarnation=%llu check_mode=%d\n",
	       in->uri, in->nctxs, in->drpclistenersock, in->instanceidx, in->ntgts,
	       (unsigned long long)in->incarnation, (int)in->check_mode);
	fflush(stdout);
	pthread_mutex_lock(&lock);
	listener = strdup(in->drpclistenersock);
	pthread_cond_signal(&cond);
	pthread_mutex_unlock(&lock);
	srv__notify_ready_req__free_unpacked(in, NULL);
	return refuse ? D_DRPC_FAILURE : D_DRPC_SUCCESS;
}

static int
call(struct d_drpc_client *c, const char *what, int32_t mod, int32_t meth, const void *body,
     size_t len)
{
	struct d_drpc_resp *resp = NULL;
	Mgmt__DaosResp	   *dr = NULL;
	int		    rc;

	rc = d_drpc_call(c, mod, meth, body, len, 30000, &resp);
	if (rc) {
		printf("%s call failed: %s\n", what, d_errstr(rc));
		fflush(stdout);
		return rc;
	}
	if (resp->status == D_DRPC_SUCCESS)
		dr = mgmt__daos_resp__unpack(NULL, resp->body_len, resp->body);
	printf("%s status=%s daos_status=%d\n", what, d_drpc_status_name(resp->status),
	       dr ? dr->status : 0);
	fflush(stdout);
	if (dr)
		mgmt__daos_resp__free_unpacked(dr, NULL);
	d_drpc_resp_free(resp);
	return 0;
}

int
main(int argc, char **argv)
{
	struct d_drpc_server *srv = NULL;
	struct d_drpc_client *cli = NULL;
	struct d_errbuf	      eb = {{0}};
	Mgmt__SetRankReq      sr = MGMT__SET_RANK_REQ__INIT;
	uint8_t		      buf[64];
	struct timespec	      ts;
	char		     *path;
	int		      set_rank = 1, prep = 0, unknown = 0, bad = 0, rc = 2;

	if (argc < 2) {
		fprintf(stderr, "usage: drpc_peer DIR [options]\n");
		return 2;
	}
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--rank") == 0 && i + 1 < argc)
			sr.rank = (uint32_t)strtoul(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--map-version") == 0 && i + 1 < argc)
			sr.map_version = (uint32_t)strtoul(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--no-set-rank") == 0)
			set_rank = 0;
		else if (strcmp(argv[i], "--prep-shutdown") == 0)
			prep = 1;
		else if (strcmp(argv[i], "--unknown-method") == 0)
			unknown = 1;
		else if (strcmp(argv[i], "--bad-body") == 0)
			bad = 1;
		else if (strcmp(argv[i], "--refuse") == 0)
			refuse = 1;
		else {
			fprintf(stderr, "drpc_peer: unknown argument %s\n", argv[i]);
			return 2;
		}
	}
	path = d_asprintf("%s/daos_server.sock", argv[1]);
	if (path == NULL || d_drpc_server_create(path, 0600, &srv, &eb) != 0 ||
	    d_drpc_server_register(srv, D_DRPC_MODULE_SRV, D_DRPC_METHOD_SRV_NOTIFY_READY,
				   notify_ready, NULL) != 0 ||
	    d_drpc_server_start(srv) != 0) {
		fprintf(stderr, "drpc_peer: cannot serve %s: %s\n", path ? path : "?", eb.msg);
		goto out;
	}
	printf("listening %s\n", path);
	fflush(stdout);

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 120;
	pthread_mutex_lock(&lock);
	while (listener == NULL)
		if (pthread_cond_timedwait(&cond, &lock, &ts) != 0)
			break;
	pthread_mutex_unlock(&lock);
	if (listener == NULL) {
		fprintf(stderr, "drpc_peer: no NotifyReady within 120 s\n");
		goto out;
	}
	if (refuse) {
		rc = 0;
		goto out;
	}
	if (d_drpc_connect(listener, &cli, &eb) != 0) {
		fprintf(stderr, "drpc_peer: %s\n", eb.msg);
		goto out;
	}
	if (unknown)
		call(cli, "Unknown", D_DRPC_MODULE_MGMT, 299, NULL, 0);
	if (bad) {
		/* a field-1 varint with no value: not a SetRankReq */
		buf[0] = 0x08;
		call(cli, "SetRank", D_DRPC_MODULE_MGMT, D_DRPC_METHOD_MGMT_SET_RANK, buf, 1);
	}
	if (set_rank) {
		size_t len = mgmt__set_rank_req__pack(&sr, buf);

		call(cli, "SetRank", D_DRPC_MODULE_MGMT, D_DRPC_METHOD_MGMT_SET_RANK, buf, len);
	}
	call(cli, "SetUp", D_DRPC_MODULE_MGMT, D_DRPC_METHOD_MGMT_SET_UP, NULL, 0);
	if (prep)
		call(cli, "PrepShutdown", D_DRPC_MODULE_MGMT, D_DRPC_METHOD_MGMT_PREP_SHUTDOWN,
		     NULL, 0);
	rc = 0;
out:
	d_drpc_close(cli);
	d_drpc_server_destroy(srv);
	free(listener);
	free(path);
	return rc;
}
