/*
 * Unit tests for dRPC (src/common/drpc.h) over real unix sockets in a
 * temporary directory: round trips small and large, many sequential and
 * concurrent calls, unknown module/method, handler failures, malformed
 * packets written raw to the server, peers closing mid-message, a server
 * that never answers (timeout, then stale answers skipped by sequence),
 * socket file handling and stop/destroy, including stop from a signal
 * handler.  No test waits on a clock except for the deliberate timeout.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "../unit_fi.h"
#include "common/drpc.h"
#include "proto/drpc.pb-c.h"

static char g_dir[64];
static char g_path[128];

/* Events reported by the server's notify callback. */
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t  g_cond = PTHREAD_COND_INITIALIZER;
static int	       g_nevents;
static int	       g_last_rc;
static char	       g_last_msg[256];

static void
notify_cb(void *arg, int rc, const char *msg)
{
	(void)arg;
	pthread_mutex_lock(&g_lock);
	g_nevents++;
	g_last_rc = rc;
	snprintf(g_last_msg, sizeof(g_last_msg), "%s", msg);
	pthread_cond_broadcast(&g_cond);
	pthread_mutex_unlock(&g_lock);
}

static int
events(void)
{
	int n;

	pthread_mutex_lock(&g_lock);
	n = g_nevents;
	pthread_mutex_unlock(&g_lock);
	return n;
}

/* Wait until more than `seen` events happened, then check the last one. */
static void
expect_event(int seen, int rc, const char *substr)
{
	pthread_mutex_lock(&g_lock);
	while (g_nevents <= seen)
		pthread_cond_wait(&g_cond, &g_lock);
	assert_int_equal(g_last_rc, rc);
	if (strstr(g_last_msg, substr) == NULL)
		fail_msg("event '%s' lacks '%s'", g_last_msg, substr);
	pthread_mutex_unlock(&g_lock);
}

static int32_t
echo_handler(const struct d_drpc_req *req, void *arg, uint8_t **body, size_t *len)
{
	(void)arg;
	if (req->body_len > 0) {
		*body = malloc(req->body_len);
		if (*body == NULL)
			return D_DRPC_FAILURE;
		memcpy(*body, req->body, req->body_len);
		*len = req->body_len;
	}
	return D_DRPC_SUCCESS;
}

static int32_t
fail_handler(const struct d_drpc_req *req, void *arg, uint8_t **body, size_t *len)
{
	(void)req;
	(void)arg;
	(void)body;
	(void)len;
	return D_DRPC_FAILURE;
}

static int32_t
huge_handler(const struct d_drpc_req *req, void *arg, uint8_t **body, size_t *len)
{
	(void)req;
	(void)arg;
	*body = calloc(1, D_DRPC_MAX_MSG + 1);
	*len = D_DRPC_MAX_MSG + 1;
	return *body != NULL ? D_DRPC_SUCCESS : D_DRPC_FAILURE;
}

static struct d_drpc_server *
new_server(bool start)
{
	struct d_drpc_server *s = NULL;
	struct d_errbuf	      eb = {{0}};

	assert_int_equal(d_drpc_server_create(g_path, 0600, &s, &eb), 0);
	d_drpc_server_set_notify(s, notify_cb, NULL);
	assert_int_equal(d_drpc_server_register(s, D_DRPC_MODULE_MGMT, D_DRPC_METHOD_MGMT_SET_RANK,
						echo_handler, NULL),
			 0);
	assert_int_equal(d_drpc_server_register(s, D_DRPC_MODULE_MGMT, D_DRPC_METHOD_MGMT_KILL_RANK,
						fail_handler, NULL),
			 0);
	assert_int_equal(d_drpc_server_register(s, D_DRPC_MODULE_SRV,
						D_DRPC_METHOD_SRV_NOTIFY_READY, huge_handler, NULL),
			 0);
	if (start)
		assert_int_equal(d_drpc_server_start(s), 0);
	return s;
}

static struct d_drpc_client *
new_client(void)
{
	struct d_drpc_client *c = NULL;

	assert_int_equal(d_drpc_connect(g_path, &c, NULL), 0);
	return c;
}

static int
setup(void **state)
{
	(void)state;
	snprintf(g_dir, sizeof(g_dir), "/tmp/test_drpc.XXXXXX");
	if (mkdtemp(g_dir) == NULL)
		return -1;
	snprintf(g_path, sizeof(g_path), "%s/daos_server.sock", g_dir);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	unlink(g_path);
	rmdir(g_dir);
	return 0;
}

/* ---- raw packets, encoded here independently of the library ---- */

static void
le(uint8_t *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static int
raw_connect(void)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int		   fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	strcpy(sa.sun_path, g_path);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

/* One packet: header fields as given, then `data` bytes of payload. */
static void
raw_send(int fd, uint64_t total, uint64_t chunk, uint32_t idx, uint32_t n, size_t data)
{
	uint8_t *p = calloc(1, D_DRPC_HDR_SIZE + data);

	assert_non_null(p);
	le(p, total, 8);
	le(p + 8, chunk, 8);
	le(p + 16, idx, 4);
	le(p + 20, n, 4);
	memset(p + D_DRPC_HDR_SIZE, 'x', data);
	assert_int_equal(send(fd, p, D_DRPC_HDR_SIZE + data, MSG_NOSIGNAL),
			 (ssize_t)(D_DRPC_HDR_SIZE + data));
	free(p);
}

/* The server must drop the connection and report why. */
static void
expect_dropped(int fd, int seen, int rc, const char *substr)
{
	char buf[64];

	assert_int_equal(recv(fd, buf, sizeof(buf), 0), 0);
	close(fd);
	expect_event(seen, rc, substr);
}

static void
expect_echo(struct d_drpc_client *c, const char *text)
{
	struct d_drpc_resp *r = NULL;

	assert_int_equal(d_drpc_call(c, D_DRPC_MODULE_MGMT, D_DRPC_METHOD_MGMT_SET_RANK, text,
				     strlen(text), -1, &r),
			 0);
	assert_int_equal(r->status, D_DRPC_SUCCESS);
	assert_int_equal(r->body_len, strlen(text));
	assert_memory_equal(r->body, text, strlen(text));
	d_drpc_resp_free(r);
}

/* ---- tests ---- */

static void
test_names(void **state)
{
	(void)state;
	assert_string_equal(d_drpc_module_name(D_DRPC_MODULE_MGMT), "Mgmt");
	assert_string_equal(d_drpc_module_name(4), "Security");
	assert_null(d_drpc_module_name(99));
	assert_string_equal(d_drpc_method_name(2, 202), "SetRank");
	assert_string_equal(d_drpc_method_name(3, 301), "NotifyReady");
	assert_string_equal(d_drpc_method_name(1, 101), "RequestCredentials");
	assert_null(d_drpc_method_name(3, 202));
	assert_int_equal(D_DRPC_METHOD_MGMT_NOTIFY_POOL_DISCONNECT, 236);
	assert_int_equal(D_DRPC_METHOD_SEC_VALIDATE_CREDS, 401);
	assert_string_equal(d_drpc_status_name(D_DRPC_FAILED_UNMARSHAL_PAYLOAD),
			    "FAILED_UNMARSHAL_PAYLOAD");
	assert_string_equal(d_drpc_status_name(0), "SUCCESS");
	assert_null(d_drpc_status_name(8));
	assert_null(d_drpc_status_name(-1));
}

static void
test_round_trip(void **state)
{
	struct d_drpc_server *s = new_server(true);
	struct d_drpc_client *c = new_client();
	struct d_drpc_resp   *r = NULL;
	size_t		      big = 1024 * 1024 + 7; /* 9 packets */
	uint8_t		     *b = malloc(big);
	struct stat	      st;

	(void)state;
	assert_int_equal(stat(g_path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0600);

	expect_echo(c, "hello");

	assert_non_null(b);
	for (size_t i = 0; i < big; i++)
		b[i] = (uint8_t)(i * 31 + (i >> 11));
	assert_int_equal(d_drpc_call(c, 2, 202, b, big, -1, &r), 0);
	assert_int_equal(r->status, D_DRPC_SUCCESS);
	assert_int_equal(r->sequence, 2);
	assert_int_equal(r->body_len, big);
	assert_memory_equal(r->body, b, big);
	d_drpc_resp_free(r);
	free(b);

	/* empty body both ways */
	assert_int_equal(d_drpc_call(c, 2, 202, NULL, 0, 1000000, &r), 0);
	assert_int_equal(r->status, D_DRPC_SUCCESS);
	assert_int_equal(r->body_len, 0);
	assert_null(r->body);
	d_drpc_resp_free(r);

	assert_int_equal(d_drpc_call(c, 2, 202, NULL, 5, -1, &r), -DER_INVAL);
	assert_int_equal(d_drpc_call(c, 2, 202, "x", (size_t)D_DRPC_MAX_MSG + 1, -1, &r),
			 -DER_OVERFLOW);
	d_drpc_close(c);
	d_drpc_server_destroy(s);
	assert_int_equal(access(g_path, F_OK), -1);
}

static void
test_sequential(void **state)
{
	struct d_drpc_server *s = new_server(true);
	struct d_drpc_client *c = new_client();

	(void)state;
	for (int i = 1; i <= 300; i++) {
		struct d_drpc_resp *r = NULL;
		char		    txt[32];

		snprintf(txt, sizeof(txt), "call %d", i);
		assert_int_equal(d_drpc_call(c, 2, 202, txt, strlen(txt), -1, &r), 0);
		assert_int_equal(r->sequence, i);
		assert_int_equal(r->body_len, strlen(txt));
		assert_memory_equal(r->body, txt, strlen(txt));
		d_drpc_resp_free(r);
	}
	d_drpc_close(c);
	d_drpc_server_destroy(s);
}

#define NTHREADS 6
#define NCALLS	 60

static void *
client_thread(void *arg)
{
	struct d_drpc_client *c = new_client();
	long		      id = (long)arg;

	for (int i = 0; i < NCALLS; i++) {
		char txt[64];

		/* every other thread sends a multi-packet body */
		snprintf(txt, sizeof(txt), "thread %ld call %d", id, i);
		if (id % 2 == 0) {
			expect_echo(c, txt);
		} else {
			size_t		    n = 300 * 1024;
			char		   *b = malloc(n);
			struct d_drpc_resp *r = NULL;

			assert_non_null(b);
			memset(b, (int)('a' + id), n);
			memcpy(b, txt, strlen(txt));
			assert_int_equal(d_drpc_call(c, 2, 202, b, n, -1, &r), 0);
			assert_int_equal(r->body_len, n);
			assert_memory_equal(r->body, b, n);
			d_drpc_resp_free(r);
			free(b);
		}
	}
	d_drpc_close(c);
	return NULL;
}

static void
test_concurrent(void **state)
{
	struct d_drpc_server *s = new_server(true);
	struct d_drpc_client *shared;
	pthread_t	      t[NTHREADS];

	(void)state;
	for (long i = 0; i < NTHREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, client_thread, (void *)i), 0);
	/* meanwhile, one client used from this thread too */
	shared = new_client();
	for (int i = 0; i < NCALLS; i++)
		expect_echo(shared, "main");
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(t[i], NULL);
	d_drpc_close(shared);
	d_drpc_server_destroy(s);
}

static void
test_statuses(void **state)
{
	struct d_drpc_server *s = new_server(false);
	struct d_drpc_client *c;
	struct d_drpc_resp   *r = NULL;

	(void)state;
	assert_int_equal(d_drpc_server_register(s, 2, 202, echo_handler, NULL), -DER_EXIST);
	assert_int_equal(d_drpc_server_register(s, 2, 203, NULL, NULL), -DER_INVAL);
	assert_int_equal(d_drpc_server_start(s), 0);
	assert_int_equal(d_drpc_server_start(s), -DER_ALREADY);
	assert_int_equal(d_drpc_server_register(s, 2, 204, echo_handler, NULL), -DER_INVAL);
	c = new_client();

	assert_int_equal(d_drpc_call(c, 9, 901, "a", 1, -1, &r), 0);
	assert_int_equal(r->status, D_DRPC_UNKNOWN_MODULE);
	assert_int_equal(r->sequence, 1);
	d_drpc_resp_free(r);

	assert_int_equal(d_drpc_call(c, 2, 299, "a", 1, -1, &r), 0);
	assert_int_equal(r->status, D_DRPC_UNKNOWN_METHOD);
	d_drpc_resp_free(r);

	assert_int_equal(d_drpc_call(c, 2, 201, "a", 1, -1, &r), 0);
	assert_int_equal(r->status, D_DRPC_FAILURE);
	assert_int_equal(r->body_len, 0);
	d_drpc_resp_free(r);

	/* a response body over the message limit is not sent */
	assert_int_equal(d_drpc_call(c, 3, 301, NULL, 0, -1, &r), 0);
	assert_int_equal(r->status, D_DRPC_FAILED_MARSHAL);
	assert_int_equal(r->body_len, 0);
	d_drpc_resp_free(r);

	expect_echo(c, "still fine");
	d_drpc_close(c);
	d_drpc_server_destroy(s);
}

static void
test_malformed(void **state)
{
	struct d_drpc_server *s = new_server(true);
	struct d_drpc_client *c;
	Drpc__Response	     *resp;
	uint8_t	       junk[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	uint8_t	      *buf;
	size_t	       len;
	bool	       partial = true;
	int	       fd, n;
	const uint64_t P = D_DRPC_MAX_PAYLOAD;

	(void)state;
	/* packet shorter than the header */
	fd = raw_connect();
	n = events();
	assert_int_equal(send(fd, "short", 5, 0), 5);
	expect_dropped(fd, n, -DER_PROTO, "shorter than the 24-byte");

	/* header announces another size than the packet carries */
	fd = raw_connect();
	n = events();
	raw_send(fd, 10, 10, 0, 1, 4);
	expect_dropped(fd, n, -DER_PROTO, "announces 10 data bytes but the packet carries 4");

	/* first packet is not chunk 0 */
	fd = raw_connect();
	n = events();
	raw_send(fd, 2 * P, P, 1, 2, P);
	expect_dropped(fd, n, -DER_PROTO, "chunk index 1 instead of 0");

	/* chunks out of order */
	fd = raw_connect();
	n = events();
	raw_send(fd, 3 * P, P, 0, 3, P);
	raw_send(fd, 3 * P, P, 2, 3, P);
	expect_dropped(fd, n, -DER_PROTO, "chunk 2 arrived where chunk 1 was expected");

	/* later chunk disagrees with the first on the total */
	fd = raw_connect();
	n = events();
	raw_send(fd, 2 * P, P, 0, 2, P);
	raw_send(fd, 2 * P + 1, P, 1, 2, P);
	expect_dropped(fd, n, -DER_PROTO, "its message began with");

	/* oversized message */
	fd = raw_connect();
	n = events();
	raw_send(fd, (uint64_t)D_DRPC_MAX_MSG + 1, 8, 0, 1000, 8);
	expect_dropped(fd, n, -DER_OVERFLOW, "exceeds the limit");

	/* oversized packet */
	fd = raw_connect();
	n = events();
	raw_send(fd, P + 100, P + 100, 0, 1, P + 100);
	expect_dropped(fd, n, -DER_OVERFLOW, "exceeds the packet limit");

	/* impossible chunk counts */
	fd = raw_connect();
	n = events();
	raw_send(fd, 4, 4, 0, 9, 4);
	expect_dropped(fd, n, -DER_PROTO, "impossible 9 chunks");
	fd = raw_connect();
	n = events();
	raw_send(fd, 0, 0, 0, 0, 0);
	expect_dropped(fd, n, -DER_PROTO, "impossible 0 chunks");

	/* chunk longer than what remains, and a message that ends short */
	fd = raw_connect();
	n = events();
	raw_send(fd, 5, 10, 0, 1, 10);
	expect_dropped(fd, n, -DER_PROTO, "carries 10 bytes where 5 of the message remain");
	fd = raw_connect();
	n = events();
	raw_send(fd, 10, 4, 0, 1, 4);
	expect_dropped(fd, n, -DER_PROTO, "ended after 4 of its 10 bytes");
	fd = raw_connect();
	n = events();
	raw_send(fd, 10, 4, 0, 2, 4);
	raw_send(fd, 10, 0, 1, 2, 0);
	expect_dropped(fd, n, -DER_PROTO, "carries 0 bytes");

	/* well framed, but not a Call: answered, connection kept */
	fd = raw_connect();
	assert_int_equal(d_drpc_send_msg(fd, junk, sizeof(junk), -1), 0);
	assert_int_equal(d_drpc_recv_msg(fd, -1, &buf, &len, &partial), 0);
	assert_false(partial);
	resp = drpc__response__unpack(NULL, len, buf);
	assert_non_null(resp);
	assert_int_equal(resp->status, DRPC__STATUS__FAILED_UNMARSHAL_CALL);
	assert_int_equal(resp->sequence, 0);
	drpc__response__free_unpacked(resp, NULL);
	free(buf);
	/* an empty message is an empty Call: module 0 is unknown */
	assert_int_equal(d_drpc_send_msg(fd, NULL, 0, -1), 0);
	assert_int_equal(d_drpc_recv_msg(fd, -1, &buf, &len, NULL), 0);
	resp = drpc__response__unpack(NULL, len, buf);
	assert_non_null(resp);
	assert_int_equal(resp->status, DRPC__STATUS__UNKNOWN_MODULE);
	drpc__response__free_unpacked(resp, NULL);
	free(buf);
	assert_int_equal(d_drpc_send_msg(fd, junk, (size_t)D_DRPC_MAX_MSG + 1, -1), -DER_OVERFLOW);
	close(fd);

	/* the server survived all of it */
	c = new_client();
	expect_echo(c, "after the garbage");
	d_drpc_close(c);
	d_drpc_server_destroy(s);
}

static void
test_peer_close(void **state)
{
	struct d_drpc_server *s = new_server(true);
	int		      fd, n;

	(void)state;
	/* client vanishes mid-message */
	fd = raw_connect();
	n = events();
	raw_send(fd, 2 * D_DRPC_MAX_PAYLOAD, D_DRPC_MAX_PAYLOAD, 0, 2, D_DRPC_MAX_PAYLOAD);
	close(fd);
	expect_event(n, -DER_PROTO, "closed the connection after chunk 0 of 2");

	/* a clean close between messages is not an event */
	fd = raw_connect();
	close(fd);
	fd = raw_connect();
	n = events();
	raw_send(fd, 1, 1, 0, 9, 1);
	expect_dropped(fd, n, -DER_PROTO, "impossible 9 chunks");
	assert_int_equal(events(), n + 1);
	d_drpc_server_destroy(s);
}

/* A listener that the test itself plays the server on, packet by packet. */
static int
fake_listener(void)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int		   fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	strcpy(sa.sun_path, g_path);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 4), 0);
	return fd;
}

static void
fake_answer(int fd, int64_t seq, const char *text)
{
	Drpc__Response r = DRPC__RESPONSE__INIT;
	uint8_t	       buf[256];
	size_t	       len;

	r.sequence = seq;
	r.status = DRPC__STATUS__SUCCESS;
	r.body.data = (uint8_t *)text;
	r.body.len = strlen(text);
	len = drpc__response__pack(&r, buf);
	assert_int_equal(d_drpc_send_msg(fd, buf, len, -1), 0);
}

static void
test_client_timeout_and_sequence(void **state)
{
	struct d_drpc_client *c;
	struct d_drpc_resp   *r = NULL;
	Drpc__Call	     *call;
	uint8_t		     *buf;
	size_t		      len;
	int		      lfd, sfd;

	(void)state;
	lfd = fake_listener();
	c = new_client();
	sfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	assert_true(sfd >= 0);

	/* nobody answers */
	assert_int_equal(d_drpc_call(c, 2, 202, "one", 3, 50, &r), -DER_TIMEDOUT);
	assert_null(r);
	assert_int_equal(d_drpc_recv_msg(sfd, -1, &buf, &len, NULL), 0);
	call = drpc__call__unpack(NULL, len, buf);
	assert_non_null(call);
	assert_int_equal(call->module, 2);
	assert_int_equal(call->method, 202);
	assert_int_equal(call->sequence, 1);
	assert_int_equal(call->body.len, 3);
	assert_memory_equal(call->body.data, "one", 3);
	drpc__call__free_unpacked(call, NULL);
	free(buf);

	/* the late answer to call 1 is skipped, call 2 gets its own */
	fake_answer(sfd, 1, "late");
	fake_answer(sfd, 2, "two");
	assert_int_equal(d_drpc_call(c, 2, 202, "x", 1, -1, &r), 0);
	assert_int_equal(r->sequence, 2);
	assert_int_equal(r->body_len, 3);
	assert_memory_equal(r->body, "two", 3);
	d_drpc_resp_free(r);
	r = NULL;

	/* an answer from the future breaks the connection */
	fake_answer(sfd, 7, "bogus");
	assert_int_equal(d_drpc_call(c, 2, 202, "x", 1, -1, &r), -DER_PROTO);
	assert_int_equal(d_drpc_call(c, 2, 202, "x", 1, -1, &r), -DER_HG);
	assert_null(r);
	d_drpc_close(c);
	close(sfd);

	/* garbage instead of a Response */
	c = new_client();
	sfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	assert_int_equal(
		d_drpc_send_msg(sfd, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", 11, -1), 0);
	assert_int_equal(d_drpc_call(c, 2, 202, "x", 1, -1, &r), -DER_PROTO);
	d_drpc_close(c);
	close(sfd);

	/* server dies halfway through its answer */
	c = new_client();
	sfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	{
		uint8_t hdr[D_DRPC_HDR_SIZE + 4] = {0};

		le(hdr, 400000, 8);
		le(hdr + 8, 4, 8);
		le(hdr + 16, 0, 4);
		le(hdr + 20, 4, 4);
		assert_int_equal(send(sfd, hdr, sizeof(hdr), 0), (ssize_t)sizeof(hdr));
	}
	/* the client can still send its call, then reads chunk 0 and EOF */
	assert_int_equal(shutdown(sfd, SHUT_WR), 0);
	assert_int_equal(d_drpc_call(c, 2, 202, "x", 1, -1, &r), -DER_PROTO);
	assert_int_equal(d_drpc_call(c, 2, 202, "x", 1, -1, &r), -DER_HG);
	d_drpc_close(c);
	close(sfd);

	/* server gone before answering */
	c = new_client();
	sfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	close(sfd);
	assert_int_equal(d_drpc_call(c, 2, 202, "x", 1, -1, &r), -DER_UNREACH);
	d_drpc_close(c);
	close(lfd);
	unlink(g_path);
}

static void
test_socket_files(void **state)
{
	struct d_drpc_server *s = NULL, *s2 = NULL;
	struct d_drpc_client *c = NULL;
	struct d_errbuf	      eb = {{0}};
	char		      longp[200];
	int		      fd;

	(void)state;
	/* nothing there yet */
	assert_int_equal(d_drpc_connect(g_path, &c, &eb), -DER_NONEXIST);
	assert_non_null(strstr(eb.msg, g_path));
	assert_null(c);

	/* a stale socket: connect refused, server creation replaces it */
	close(fake_listener());
	assert_int_equal(d_drpc_connect(g_path, &c, &eb), -DER_UNREACH);
	s = new_server(true);
	expect_echo(c = new_client(), "replaced");
	d_drpc_close(c);

	/* a live one is not stolen, and stays intact */
	assert_int_equal(d_drpc_server_create(g_path, 0600, &s2, &eb), -DER_BUSY);
	assert_non_null(strstr(eb.msg, "another process is serving"));
	assert_null(s2);
	expect_echo(c = new_client(), "still mine");
	d_drpc_close(c);
	d_drpc_server_destroy(s);

	/* a non-socket file is left alone */
	fd = open(g_path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(d_drpc_server_create(g_path, 0600, &s2, &eb), -DER_EXIST);
	assert_non_null(strstr(eb.msg, "is not a socket"));
	assert_int_equal(access(g_path, F_OK), 0);
	unlink(g_path);

	/* path limits */
	memset(longp, 'a', sizeof(longp) - 1);
	longp[0] = '/';
	longp[sizeof(longp) - 1] = '\0';
	assert_int_equal(d_drpc_server_create(longp, 0600, &s2, &eb), -DER_INVAL);
	assert_non_null(strstr(eb.msg, "shorter socket directory"));
	assert_int_equal(d_drpc_connect(longp, &c, NULL), -DER_INVAL);
	assert_int_equal(d_drpc_connect("", &c, NULL), -DER_INVAL);

	/* a missing directory */
	assert_int_equal(d_drpc_server_create("/nonexistent-dir/x.sock", 0600, &s2, &eb),
			 -DER_NONEXIST);
	assert_non_null(strstr(eb.msg, "cannot bind"));

	/* mode chosen by the caller */
	s = new_server(false);
	d_drpc_server_destroy(s);
	assert_int_equal(d_drpc_server_create(g_path, 0666, &s, NULL), 0);
	{
		struct stat st;

		assert_int_equal(stat(g_path, &st), 0);
		assert_int_equal(st.st_mode & 0777, 0666);
	}
	/* destroy does not remove a file that is no longer its socket (the old
	 * one is kept under another name so its inode cannot be reused) */
	snprintf(longp, sizeof(longp), "%s.old", g_path);
	assert_int_equal(rename(g_path, longp), 0);
	close(fake_listener());
	d_drpc_server_destroy(s);
	assert_int_equal(access(g_path, F_OK), 0);
	unlink(g_path);
	unlink(longp);
}

static void
test_too_many_connections(void **state)
{
	struct d_drpc_server *s = new_server(true);
	struct d_drpc_client *c;
	int		      fds[D_DRPC_MAX_CONNS];
	int		      fd, n;

	(void)state;
	for (int i = 0; i < D_DRPC_MAX_CONNS; i++)
		fds[i] = raw_connect();
	n = events();
	fd = raw_connect();
	expect_dropped(fd, n, -DER_BUSY, "too many open connections");
	close(fds[0]);
	/* the freed slot is reusable (server sees the close before the connect) */
	c = new_client();
	expect_echo(c, "slot");
	d_drpc_close(c);
	for (int i = 1; i < D_DRPC_MAX_CONNS; i++)
		close(fds[i]);
	d_drpc_server_destroy(s);
}

static struct d_drpc_server *g_srv;

static void
on_sigusr1(int sig)
{
	(void)sig;
	d_drpc_server_stop(g_srv);
}

/* Runs inside d_drpc_server_run() on the main thread: the signal handler
 * interrupts the server's own thread, as a SIGTERM would in daos_engine. */
static int32_t
raise_handler(const struct d_drpc_req *req, void *arg, uint8_t **body, size_t *len)
{
	(void)req;
	(void)arg;
	(void)body;
	(void)len;
	raise(SIGUSR1);
	return D_DRPC_SUCCESS;
}

static void *
stop_caller(void *arg)
{
	struct d_drpc_client *c = arg;
	struct d_drpc_resp   *r = NULL;

	assert_int_equal(d_drpc_call(c, 4, 401, NULL, 0, -1, &r), 0);
	assert_int_equal(r->status, D_DRPC_SUCCESS);
	d_drpc_resp_free(r);
	return NULL;
}

static void
test_stop_destroy(void **state)
{
	struct sigaction      sa = {.sa_handler = on_sigusr1};
	struct d_drpc_client *c, *c2;
	struct d_drpc_resp   *r = NULL;
	pthread_t	      t;

	(void)state;
	d_drpc_server_destroy(NULL);
	d_drpc_close(NULL);
	d_drpc_resp_free(NULL);
	d_drpc_server_stop(NULL);

	g_srv = new_server(false);
	assert_int_equal(d_drpc_server_register(g_srv, 4, 401, raise_handler, NULL), 0);
	sigemptyset(&sa.sa_mask);
	assert_int_equal(sigaction(SIGUSR1, &sa, NULL), 0);
	c = new_client();
	c2 = new_client();
	assert_int_equal(pthread_create(&t, NULL, stop_caller, c), 0);
	assert_int_equal(d_drpc_server_run(g_srv), 0);
	pthread_join(t, NULL);
	/* stopped: nobody serves c2 any more, the socket file remains until destroy */
	assert_int_equal(access(g_path, F_OK), 0);
	d_drpc_server_destroy(g_srv);
	assert_int_equal(access(g_path, F_OK), -1);
	assert_int_equal(d_drpc_call(c2, 2, 202, "x", 1, -1, &r), -DER_UNREACH);
	assert_int_equal(d_drpc_call(c2, 2, 202, "x", 1, -1, &r), -DER_HG);
	d_drpc_close(c2);
	d_drpc_close(c);
	signal(SIGUSR1, SIG_DFL);

	/* a stop request before the loop starts makes it return at once */
	g_srv = new_server(false);
	d_drpc_server_stop(g_srv);
	assert_int_equal(d_drpc_server_run(g_srv), 0);
	d_drpc_server_destroy(g_srv);

	/* destroy of a started server with a connected, idle client */
	g_srv = new_server(true);
	c = new_client();
	expect_echo(c, "bye");
	d_drpc_server_destroy(g_srv);
	assert_int_equal(d_drpc_call(c, 2, 202, "x", 1, -1, &r), -DER_UNREACH);
	d_drpc_close(c);
}

/*
 * Under allocation fault injection (child process): every step either
 * works or fails cleanly.  0 = all worked, 1 = an allocation failure was
 * reported as such, 2 = anything else.  Allocations fail from the Nth on,
 * in the server thread too, so the client may instead see the server drop
 * its connection (-DER_UNREACH).
 */
static int
fi_round_trip(void)
{
	struct d_drpc_server *s = NULL;
	struct d_drpc_client *c = NULL;
	struct d_drpc_resp   *r = NULL;
	int		      rc, ret = 2;

	if (setup(NULL) != 0)
		return 2;
	rc = d_drpc_server_create(g_path, 0600, &s, NULL);
	if (rc != 0)
		goto out;
	rc = d_drpc_server_register(s, 2, 202, echo_handler, NULL);
	if (rc != 0)
		goto out;
	rc = d_drpc_server_start(s);
	if (rc != 0)
		goto out;
	rc = d_drpc_connect(g_path, &c, NULL);
	if (rc != 0)
		goto out;
	rc = d_drpc_call(c, 2, 202, "ping", 4, -1, &r);
	if (rc == -DER_UNREACH)
		rc = -DER_NOMEM;
	if (rc == 0 &&
	    (r->status != D_DRPC_SUCCESS || r->body_len != 4 || memcmp(r->body, "ping", 4) != 0))
		rc = -DER_MISC;
out:
	ret = rc == 0 ? 0 : rc == -DER_NOMEM ? 1 : 2;
	d_drpc_resp_free(r);
	d_drpc_close(c);
	d_drpc_server_destroy(s);
	teardown(NULL);
	return ret;
}

static void
test_alloc_failures(void **state)
{
	(void)state;
	for (int n = 1; n <= 14; n++) {
		int rc = unit_fi_run("round_trip", n);

		if (rc != 0 && rc != 1)
			fail_msg("allocation failure %d: exit status %d", n, rc);
	}
	assert_int_equal(unit_fi_run("round_trip", 1), 1);
	assert_int_equal(unit_fi_run("round_trip", 1000), 0);
}

static const struct unit_fi_case fi_cases[] = {
	{"round_trip", fi_round_trip},
	{NULL, NULL},
};

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sequential, setup, teardown),
		cmocka_unit_test_setup_teardown(test_concurrent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_statuses, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_peer_close, setup, teardown),
		cmocka_unit_test_setup_teardown(test_client_timeout_and_sequence, setup, teardown),
		cmocka_unit_test_setup_teardown(test_socket_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_too_many_connections, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stop_destroy, setup, teardown),
		cmocka_unit_test(test_alloc_failures),
	};

	unit_fi_dispatch(fi_cases);

	return cmocka_run_group_tests(tests, NULL, NULL);
}
