/*
 * Unit tests for the control RPC transport without TLS (TLS is covered by
 * tests/system/test_rpc.py): framing and envelopes, limits, and a real
 * in-process server on an ephemeral port for several requests per
 * connection, handler errors, refusals (role, version, unknown method),
 * malformed and oversized frames, idle timeout, connection refused,
 * deadlines against a peer that never answers, fan-out and stop.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "control/lib/rpc/rpc.h"
#include "proto/ctl.pb-c.h"

static void
test_frame_round_trip(void **state)
{
	static const uint8_t	body[] = {1, 2, 3, 0, 255};
	struct ctl_rpc_req_env	req = {"StorageScan", "2.9.100", "admin", body, sizeof(body)};
	struct ctl_rpc_resp_env resp = {.status = -DER_NOSPACE,
					.error = "full",
					.body = body,
					.body_len = 2,
					.version = "2.9.100",
					.component = "server",
					.refusal = CTL_RPC_REFUSE_VERSION};
	uint8_t		       *f;
	size_t			len;
	uint32_t		n;

	(void)state;
	assert_int_equal(ctl_rpc_frame_request(&req, &f, &len), 0);
	assert_int_equal(ctl_rpc_frame_len(f, &n), 0);
	assert_int_equal(n, len - 4);
	Ctl__RpcRequest *r = ctl__rpc_request__unpack(NULL, n, f + 4);

	assert_non_null(r);
	assert_string_equal(r->method, "StorageScan");
	assert_string_equal(r->version, "2.9.100");
	assert_string_equal(r->component, "admin");
	assert_int_equal(r->body.len, sizeof(body));
	assert_memory_equal(r->body.data, body, sizeof(body));
	ctl__rpc_request__free_unpacked(r, NULL);
	free(f);

	assert_int_equal(ctl_rpc_frame_response(&resp, &f, &len), 0);
	assert_int_equal(ctl_rpc_frame_len(f, &n), 0);
	Ctl__RpcResponse *p = ctl__rpc_response__unpack(NULL, n, f + 4);

	assert_non_null(p);
	assert_int_equal(p->status, -DER_NOSPACE);
	assert_string_equal(p->error, "full");
	assert_int_equal(p->body.len, 2);
	assert_string_equal(p->component, "server");
	assert_int_equal(p->refusal, CTL_RPC_REFUSE_VERSION);
	ctl__rpc_response__free_unpacked(p, NULL);
	free(f);
}

static void
test_frame_limits(void **state)
{
	uint8_t	 hdr[4] = {0, 0, 0, 0};
	uint32_t n = 7;

	(void)state;
	assert_int_equal(ctl_rpc_frame_len(hdr, &n), -DER_PROTO);
	assert_int_equal(n, 7); /* untouched on error */
	hdr[0] = 0xff;
	assert_int_equal(ctl_rpc_frame_len(hdr, &n), -DER_OVERFLOW);
	uint32_t max = CTL_RPC_MAX_FRAME - 4;

	hdr[0] = (uint8_t)(max >> 24), hdr[1] = (uint8_t)(max >> 16);
	hdr[2] = (uint8_t)(max >> 8), hdr[3] = (uint8_t)max;
	assert_int_equal(ctl_rpc_frame_len(hdr, &n), 0);
	assert_int_equal(n, max);
	max++;
	hdr[3] = (uint8_t)max;
	assert_int_equal(ctl_rpc_frame_len(hdr, &n), -DER_OVERFLOW);

	/* A body that cannot fit one frame is refused before anything is sent. */
	uint8_t		      *big = calloc(1, CTL_RPC_MAX_FRAME);
	struct ctl_rpc_req_env req = {"StorageScan", "2.9.100", "admin", big, CTL_RPC_MAX_FRAME};
	uint8_t		      *f = NULL;
	size_t		       len;

	assert_non_null(big);
	assert_int_equal(ctl_rpc_frame_request(&req, &f, &len), -DER_OVERFLOW);
	assert_null(f);
	free(big);
	assert_string_equal(ctl_rpc_err_kind_str(CTL_RPC_ERR_REFUSED), "connection refused");
	assert_string_equal(ctl_rpc_err_kind_str((enum ctl_rpc_err_kind)99), "unknown");
}

/* ---------------------------------------------------------------------- */

static int
h_echo(void *arg, const struct ctl_rpc_peer *peer, const uint8_t *req, size_t req_len,
       uint8_t **resp, size_t *resp_len, struct d_errbuf *eb)
{
	(void)arg, (void)eb;
	assert_non_null(peer->addr);
	*resp = malloc(req_len + 1);
	if (*resp == NULL)
		return -DER_NOMEM;
	if (req_len > 0)
		memcpy(*resp, req, req_len);
	(*resp)[req_len] = (uint8_t)peer->component;
	*resp_len = req_len + 1;
	return 0;
}

static int
h_fail(void *arg, const struct ctl_rpc_peer *peer, const uint8_t *req, size_t req_len,
       uint8_t **resp, size_t *resp_len, struct d_errbuf *eb)
{
	(void)arg, (void)peer, (void)req, (void)req_len, (void)resp, (void)resp_len;
	d_errbuf_set(eb, "no room on /mnt/daos0");
	return -DER_NOSPACE;
}

/* SystemQuery waits until the test opens the gate. */
static pthread_mutex_t gate_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t  gate_cond = PTHREAD_COND_INITIALIZER;
static bool	       gate_open;

static int
h_gate(void *arg, const struct ctl_rpc_peer *peer, const uint8_t *req, size_t req_len,
       uint8_t **resp, size_t *resp_len, struct d_errbuf *eb)
{
	pthread_mutex_lock(&gate_lock);
	while (!gate_open)
		pthread_cond_wait(&gate_cond, &gate_lock);
	pthread_mutex_unlock(&gate_lock);
	return h_echo(arg, peer, req, req_len, resp, resp_len, eb);
}

static const struct ctl_rpc_method methods[] = {
	{"GetVersion", h_echo},
	{"StorageScan", h_fail},
	{"GetAttachInfo", h_echo},
	{"SystemQuery", h_gate},
};

struct fixture {
	struct ctl_rpc_server *srv;
	pthread_t	       th;
	uint16_t	       port;
	struct ctl_rpc_client *cl;
	struct d_tls_cfg       tls;
};

static void *
run_thread(void *arg)
{
	ctl_rpc_server_run(arg);
	return NULL;
}

static int
setup(void **state)
{
	struct fixture		 *fx = calloc(1, sizeof(*fx));
	struct ctl_rpc_server_cfg cfg = {
		.tls = &fx->tls,
		.methods = methods,
		.nr_methods = (int)D_ARRAY_SIZE(methods),
		.idle_timeout_ms = 300,
		.handshake_timeout_ms = 300,
	};
	struct d_errbuf eb = {{0}};

	fx->tls.allow_insecure = true;
	assert_int_equal(ctl_rpc_server_create(&cfg, &fx->srv, &eb), 0);
	fx->port = ctl_rpc_server_port(fx->srv);
	assert_int_equal(pthread_create(&fx->th, NULL, run_thread, fx->srv), 0);
	assert_int_equal(ctl_rpc_client_create(&fx->tls, D_COMP_ADMIN, &fx->cl, &eb), 0);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;

	ctl_rpc_server_stop(fx->srv);
	pthread_join(fx->th, NULL);
	ctl_rpc_server_destroy(fx->srv);
	ctl_rpc_client_destroy(fx->cl);
	free(fx);
	return 0;
}

static void
test_calls_on_one_connection(void **state)
{
	struct fixture	    *fx = *state;
	struct ctl_rpc_conn *conn;
	struct ctl_rpc_error err = {0};
	int64_t		     deadline = d_tls_now_ms() + 10000;

	assert_int_equal(ctl_rpc_conn_open(fx->cl, "127.0.0.1", fx->port, deadline, &conn, &err),
			 0);
	for (int i = 0; i < 5; i++) {
		char	 msg[16];
		uint8_t *resp = NULL;
		size_t	 len = 0;

		snprintf(msg, sizeof(msg), "hello %d", i);
		assert_int_equal(ctl_rpc_conn_call(conn, "GetVersion", msg, strlen(msg), deadline,
						   &resp, &len, &err),
				 0);
		assert_int_equal(len, strlen(msg) + 1);
		assert_memory_equal(resp, msg, strlen(msg));
		assert_int_equal(resp[len - 1], D_COMP_ADMIN); /* insecure: header role */
		free(resp);
	}
	/* A handler failure keeps the connection usable. */
	uint8_t *resp = NULL;
	size_t	 len = 0;

	assert_int_equal(
		ctl_rpc_conn_call(conn, "StorageScan", NULL, 0, deadline, &resp, &len, &err),
		-DER_NOSPACE);
	assert_int_equal(err.kind, CTL_RPC_ERR_REMOTE);
	assert_string_equal(err.msg, "no room on /mnt/daos0");
	assert_int_equal(
		ctl_rpc_conn_call(conn, "PoolCreate", NULL, 0, deadline, &resp, &len, &err),
		-DER_NOSYS);
	assert_int_equal(err.kind, CTL_RPC_ERR_REMOTE);
	assert_string_equal(err.msg, "method PoolCreate is not served by this daos_server");
	assert_int_equal(ctl_rpc_conn_call(conn, "Bogus", NULL, 0, deadline, &resp, &len, &err),
			 -DER_NO_PERM);
	assert_int_equal(err.kind, CTL_RPC_ERR_PERM);
	assert_string_equal(err.msg, "permission denied: admin does not have permission to call "
				     "Bogus");
	assert_int_equal(ctl_rpc_conn_call(conn, "GetVersion", "x", 1, deadline, &resp, &len, &err),
			 0);
	free(resp);
	ctl_rpc_conn_close(conn);
	ctl_rpc_conn_close(NULL);
}

static void
test_role_and_version_refusals(void **state)
{
	struct fixture	      *fx = *state;
	struct ctl_rpc_client *agent;
	struct ctl_rpc_error   err = {0};
	struct d_errbuf	       eb = {{0}};
	uint8_t		      *resp = NULL;
	size_t		       len = 0;

	assert_int_equal(ctl_rpc_client_create(&fx->tls, D_COMP_AGENT, &agent, &eb), 0);
	assert_int_equal(ctl_rpc_call(agent, "localhost", fx->port, "StorageScan", NULL, 0, 5000,
				      &resp, &len, &err),
			 -DER_NO_PERM);
	assert_int_equal(err.kind, CTL_RPC_ERR_PERM);
	assert_string_equal(err.msg, "permission denied: agent does not have permission to call "
				     "StorageScan");
	assert_int_equal(ctl_rpc_call(agent, "localhost", fx->port, "GetAttachInfo", NULL, 0, 5000,
				      &resp, &len, &err),
			 0);
	free(resp);
	/* server <-> agent tolerate 2 minor versions, admin does not */
	assert_int_equal(ctl_rpc_client_set_version(agent, "2.7.0"), 0);
	assert_int_equal(ctl_rpc_call(agent, "localhost", fx->port, "GetAttachInfo", NULL, 0, 5000,
				      &resp, &len, &err),
			 0);
	free(resp);
	assert_int_equal(ctl_rpc_client_set_version(fx->cl, "2.7.0"), 0);
	assert_int_equal(ctl_rpc_call(fx->cl, "localhost", fx->port, "GetVersion", NULL, 0, 5000,
				      &resp, &len, &err),
			 -DER_MISMATCH);
	assert_int_equal(err.kind, CTL_RPC_ERR_VERSION);
	assert_non_null(strstr(err.msg, "version mismatch: admin 2.7.0 is incompatible with "
					"server "));
	assert_int_equal(ctl_rpc_client_set_version(fx->cl, NULL), -DER_INVAL);
	ctl_rpc_client_destroy(agent);
}

/* Connect a raw TCP socket to the fixture's server. */
static int
raw_connect(uint16_t port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
	int		   fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	return fd;
}

static void
test_bad_frames(void **state)
{
	struct fixture *fx = *state;
	uint8_t		buf[256];
	int		fd;

	/* Oversized length: the server closes without reading further. */
	fd = raw_connect(fx->port);
	static const uint8_t huge[] = {0x7f, 0xff, 0xff, 0xff};

	assert_int_equal(write(fd, huge, 4), 4);
	assert_int_equal(recv(fd, buf, sizeof(buf), 0), 0);
	close(fd);

	/*
	 * A frame above what any role may send (but below CTL_RPC_MAX_FRAME): the
	 * server closes at the length, without reading or answering the body.
	 */
	{
		size_t	 blen = (size_t)ctl_rpc_role_frame_max(D_COMP_UNDEFINED) + 1;
		uint8_t	 hdr[4] = {(uint8_t)(blen >> 24), (uint8_t)(blen >> 16),
				   (uint8_t)(blen >> 8), (uint8_t)blen};
		uint8_t *junk = calloc(1, blen);
		size_t	 off = 0;
		ssize_t	 w;

		assert_non_null(junk);
		fd = raw_connect(fx->port);
		assert_int_equal(write(fd, hdr, 4), 4);
		while (off < blen && (w = send(fd, junk + off, blen - off, MSG_NOSIGNAL)) > 0)
			off += (size_t)w;
		free(junk);
		assert_true(recv(fd, buf, sizeof(buf), 0) <= 0);
		close(fd);
	}

	/* A body above its method's limit: -DER_OVERFLOW naming both, before any handler. */
	{
		size_t		       blen = CTL_RPC_REQ_SMALL + 1;
		uint8_t		      *body = calloc(1, blen);
		struct ctl_rpc_req_env big = {"GetVersion", "2.9.100", "admin", body, blen};
		uint8_t		      *f, rbuf[512];
		size_t		       flen;
		uint32_t	       rl;
		char		       want[128];

		assert_non_null(body);
		assert_int_equal(ctl_rpc_frame_request(&big, &f, &flen), 0);
		free(body);
		fd = raw_connect(fx->port);
		assert_int_equal(write(fd, f, flen), (ssize_t)flen);
		free(f);
		assert_int_equal(recv(fd, rbuf, 4, MSG_WAITALL), 4);
		assert_int_equal(ctl_rpc_frame_len(rbuf, &rl), 0);
		assert_true(rl < sizeof(rbuf));
		assert_int_equal(recv(fd, rbuf, rl, MSG_WAITALL), (ssize_t)rl);
		Ctl__RpcResponse *r = ctl__rpc_response__unpack(NULL, rl, rbuf);

		assert_non_null(r);
		assert_int_equal(r->status, -DER_OVERFLOW);
		snprintf(want, sizeof(want),
			 "request body of %zu bytes is above the limit of %u bytes for GetVersion",
			 blen, CTL_RPC_REQ_SMALL);
		assert_string_equal(r->error, want);
		ctl__rpc_response__free_unpacked(r, NULL);
		close(fd);
	}

	/* Garbage envelope: a -DER_PROTO response, then the connection stays usable. */
	fd = raw_connect(fx->port);
	static const uint8_t bad[] = {0, 0, 0, 3, 0x0a, 0x7f, 0x01};

	assert_int_equal(write(fd, bad, sizeof(bad)), (ssize_t)sizeof(bad));
	ssize_t n = recv(fd, buf, sizeof(buf), MSG_WAITALL);

	assert_true(n > 4);
	Ctl__RpcResponse *r = ctl__rpc_response__unpack(NULL, (size_t)n - 4, buf + 4);

	assert_non_null(r);
	assert_int_equal(r->status, -DER_PROTO);
	assert_string_equal(r->error, "malformed request envelope");
	ctl__rpc_response__free_unpacked(r, NULL);
	close(fd);

	/* A silent peer is dropped after the handshake timeout (300 ms here). */
	fd = raw_connect(fx->port);
	assert_int_equal(recv(fd, buf, sizeof(buf), 0), 0);
	close(fd);

	/* After a request, silence beyond the idle timeout closes the connection. */
	struct ctl_rpc_req_env req = {"GetVersion", "2.9.100", "admin", NULL, 0};
	uint8_t		      *f;
	size_t		       len;

	assert_int_equal(ctl_rpc_frame_request(&req, &f, &len), 0);
	fd = raw_connect(fx->port);
	assert_int_equal(write(fd, f, len), (ssize_t)len);
	free(f);
	n = recv(fd, buf, 4, MSG_WAITALL);
	assert_int_equal(n, 4);
	uint32_t rlen;

	assert_int_equal(ctl_rpc_frame_len(buf, &rlen), 0);
	assert_true(rlen < sizeof(buf));
	assert_int_equal(recv(fd, buf, rlen, MSG_WAITALL), (ssize_t)rlen);
	assert_int_equal(recv(fd, buf, sizeof(buf), 0), 0);
	close(fd);
}

static void
test_refused_and_deadline(void **state)
{
	struct fixture	    *fx = *state;
	struct ctl_rpc_error err = {0};
	struct sockaddr_in   a = {.sin_family = AF_INET};
	socklen_t	     sl = sizeof(a);
	uint8_t		    *resp = NULL;
	size_t		     len = 0;
	int		     fd;

	/* A port nobody listens on: bind without listen keeps it ours and closed. */
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	getsockname(fd, (struct sockaddr *)&a, &sl);
	assert_int_equal(ctl_rpc_call(fx->cl, "127.0.0.1", ntohs(a.sin_port), "GetVersion", NULL, 0,
				      5000, &resp, &len, &err),
			 -DER_UNREACH);
	assert_int_equal(err.kind, CTL_RPC_ERR_REFUSED);
	assert_string_equal(err.msg, "connection refused");

	/* Listening but never accepting or answering: the deadline ends the call. */
	assert_int_equal(listen(fd, 8), 0);
	int64_t start = d_tls_now_ms();

	assert_int_equal(ctl_rpc_call(fx->cl, "127.0.0.1", ntohs(a.sin_port), "GetVersion", NULL, 0,
				      200, &resp, &len, &err),
			 -DER_TIMEDOUT);
	assert_int_equal(err.kind, CTL_RPC_ERR_TIMEOUT);
	assert_string_equal(err.msg, "timed out");
	assert_true(d_tls_now_ms() - start < 5000);
	close(fd);

	assert_int_equal(ctl_rpc_call(fx->cl, "no-such-host.invalid", 10001, "GetVersion", NULL, 0,
				      5000, &resp, &len, &err),
			 -DER_NONEXIST);
	assert_int_equal(err.kind, CTL_RPC_ERR_RESOLVE);
	assert_int_equal(
		ctl_rpc_call(fx->cl, "", 10001, "GetVersion", NULL, 0, 5000, &resp, &len, &err),
		-DER_INVAL);
	assert_int_equal(err.kind, CTL_RPC_ERR_LOCAL);
}

static void
test_fanout(void **state)
{
	struct fixture *fx = *state;
	enum { N = 40 };
	struct ctl_rpc_target t[N];
	struct ctl_rpc_result r[N];

	for (int i = 0; i < N; i++) {
		t[i].host = (i % 4 == 3) ? "127.0.0.1" : "localhost";
		t[i].port = (i % 10 == 9) ? 1 : fx->port; /* port 1: refused */
	}
	assert_int_equal(ctl_rpc_fanout(fx->cl, t, N, "GetVersion", "ping", 4, 5000, 8, r), 0);
	for (int i = 0; i < N; i++) {
		if (i % 10 == 9) {
			assert_int_equal(r[i].rc, -DER_UNREACH);
			assert_int_equal(r[i].err.kind, CTL_RPC_ERR_REFUSED);
			assert_null(r[i].body);
		} else {
			assert_int_equal(r[i].rc, 0);
			assert_int_equal(r[i].body_len, 5);
			assert_memory_equal(r[i].body, "ping", 4);
		}
	}
	ctl_rpc_results_fini(r, N);
	ctl_rpc_results_fini(NULL, 0);
	assert_int_equal(ctl_rpc_fanout(fx->cl, t, 0, "GetVersion", NULL, 0, 5000, 8, r), 0);
	assert_int_equal(ctl_rpc_fanout(fx->cl, NULL, 3, "GetVersion", NULL, 0, 5000, 8, r),
			 -DER_INVAL);
}

struct gated_call {
	struct ctl_rpc_client *cl;
	uint16_t	       port;
	int		       rc;
};

static void *
gated_call(void *arg)
{
	struct gated_call   *gc = arg;
	struct ctl_rpc_error err = {0};
	uint8_t		    *resp = NULL;
	size_t		     len = 0;

	gc->rc = ctl_rpc_call(gc->cl, "127.0.0.1", gc->port, "SystemQuery", NULL, 0, 10000, &resp,
			      &len, &err);
	free(resp);
	return NULL;
}

/* Workers serve requests, not connections: idle connections hold none. */
static void
test_workers_serve_requests(void **state)
{
	struct d_tls_cfg	  tls = {.allow_insecure = true};
	struct ctl_rpc_server_cfg cfg = {.tls = &tls,
					 .methods = methods,
					 .nr_methods = (int)D_ARRAY_SIZE(methods),
					 .max_conns = 1};
	struct ctl_rpc_server	 *srv;
	struct ctl_rpc_client	 *cl;
	struct ctl_rpc_conn	 *held;
	struct ctl_rpc_error	  err = {0};
	struct d_errbuf		  eb = {{0}};
	struct gated_call	  gc = {0};
	pthread_t		  th, gth;
	uint8_t			 *resp = NULL;
	size_t			  len = 0;

	(void)state;
	assert_int_equal(ctl_rpc_server_create(&cfg, &srv, &eb), 0);
	assert_int_equal(pthread_create(&th, NULL, run_thread, srv), 0);
	assert_int_equal(ctl_rpc_client_create(&tls, D_COMP_ADMIN, &cl, &eb), 0);
	uint16_t port = ctl_rpc_server_port(srv);

	assert_int_equal(
		ctl_rpc_conn_open(cl, "127.0.0.1", port, d_tls_now_ms() + 5000, &held, &err), 0);
	assert_int_equal(ctl_rpc_conn_call(held, "GetVersion", NULL, 0, d_tls_now_ms() + 5000,
					   &resp, &len, &err),
			 0);
	free(resp);
	/* The held, idle connection does not keep the only worker from others. */
	assert_int_equal(
		ctl_rpc_call(cl, "127.0.0.1", port, "GetVersion", NULL, 0, 5000, &resp, &len, &err),
		0);
	free(resp);
	/* A request being served does: the next one waits, until its deadline ... */
	gate_open = false;
	gc.cl = cl;
	gc.port = port;
	assert_int_equal(pthread_create(&gth, NULL, gated_call, &gc), 0);
	usleep(100 * 1000);
	assert_int_equal(
		ctl_rpc_call(cl, "127.0.0.1", port, "GetVersion", NULL, 0, 300, &resp, &len, &err),
		-DER_TIMEDOUT);
	assert_int_equal(err.kind, CTL_RPC_ERR_TIMEOUT);
	/* ... or until the worker is free. */
	pthread_mutex_lock(&gate_lock);
	gate_open = true;
	pthread_cond_broadcast(&gate_cond);
	pthread_mutex_unlock(&gate_lock);
	pthread_join(gth, NULL);
	assert_int_equal(gc.rc, 0);
	assert_int_equal(ctl_rpc_conn_call(held, "GetVersion", "z", 1, d_tls_now_ms() + 5000, &resp,
					   &len, &err),
			 0);
	free(resp);
	ctl_rpc_conn_close(held);
	ctl_rpc_server_stop(srv);
	pthread_join(th, NULL);
	ctl_rpc_server_destroy(srv);
	ctl_rpc_client_destroy(cl);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_frame_round_trip),
		cmocka_unit_test(test_frame_limits),
		cmocka_unit_test_setup_teardown(test_calls_on_one_connection, setup, teardown),
		cmocka_unit_test_setup_teardown(test_role_and_version_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_frames, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused_and_deadline, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fanout, setup, teardown),
		cmocka_unit_test(test_workers_serve_requests),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
