/*
 * Unit tests for the control RPC fan-out (rpc_fanout.c) without TLS: the
 * error category of each host that cannot be reached (refused port, a name
 * that does not resolve, a listener that never answers, a failing handler),
 * the call deadline counted after the connect, the host called alone before
 * the others, and argument checks.  An in-process server on an ephemeral
 * port stands for the hosts that answer.
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
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "control/lib/rpc/rpc.h"

/*
 * Which server saw each request, in order: the fixture's (0) or the slow one
 * of test_first_alone (1), which records only when its answer is ready.
 */
static atomic_int arrivals;
static int	  arrival[64];

static int
h_record(void *arg, const struct ctl_rpc_peer *peer, const uint8_t *req, size_t req_len,
	 uint8_t **resp, size_t *resp_len, struct d_errbuf *eb)
{
	int who = (int)(intptr_t)arg;

	(void)peer, (void)eb;
	if (who == 1)
		usleep(300 * 1000);
	arrival[atomic_fetch_add(&arrivals, 1) % 64] = who;
	*resp = malloc(req_len + 1);
	if (*resp == NULL)
		return -DER_NOMEM;
	if (req_len > 0)
		memcpy(*resp, req, req_len);
	*resp_len = req_len;
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

static const struct ctl_rpc_method methods[] = {
	{"GetVersion", h_record},
	{"StorageScan", h_fail},
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
fixture_start(struct fixture *fx, void *arg)
{
	struct ctl_rpc_server_cfg cfg = {
		.tls = &fx->tls,
		.methods = methods,
		.nr_methods = (int)D_ARRAY_SIZE(methods),
		.arg = arg,
	};
	struct d_errbuf eb = {{0}};

	fx->tls.allow_insecure = true;
	assert_int_equal(ctl_rpc_server_create(&cfg, &fx->srv, &eb), 0);
	fx->port = ctl_rpc_server_port(fx->srv);
	assert_int_equal(pthread_create(&fx->th, NULL, run_thread, fx->srv), 0);
	assert_int_equal(ctl_rpc_client_create(&fx->tls, D_COMP_ADMIN, &fx->cl, &eb), 0);
	return 0;
}

static int
setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	assert_non_null(fx);
	*state = fx;
	return fixture_start(fx, NULL);
}

static void
fixture_stop(struct fixture *fx)
{
	ctl_rpc_server_stop(fx->srv);
	pthread_join(fx->th, NULL);
	ctl_rpc_server_destroy(fx->srv);
	ctl_rpc_client_destroy(fx->cl);
}

static int
teardown(void **state)
{
	fixture_stop(*state);
	free(*state);
	return 0;
}

/* A loopback port of ours that is bound but not listening: connecting is refused. */
static int
closed_port(uint16_t *port)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t	   sl = sizeof(a);
	int		   fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &sl), 0);
	*port = ntohs(a.sin_port);
	return fd;
}

static void
test_error_categories(void **state)
{
	struct fixture		  *fx = *state;
	struct ctl_rpc_fanout_opts opts = {.connect_ms = 5000, .call_ms = 5000, .first = SIZE_MAX};
	struct ctl_rpc_target	   t[3];
	struct ctl_rpc_result	   r[3];
	uint16_t		   closed;
	int			   fd = closed_port(&closed);

	t[0] = (struct ctl_rpc_target){"127.0.0.1", closed};
	t[1] = (struct ctl_rpc_target){"no-such-host.invalid", 10001};
	t[2] = (struct ctl_rpc_target){"localhost", fx->port};
	assert_int_equal(ctl_rpc_fanout_call(fx->cl, t, 3, "StorageScan", NULL, 0, &opts, r), 0);
	assert_int_equal(r[0].rc, -DER_UNREACH);
	assert_int_equal(r[0].err.kind, CTL_RPC_ERR_REFUSED);
	assert_string_equal(r[0].err.msg, "connection refused");
	assert_int_equal(r[1].rc, -DER_NONEXIST);
	assert_int_equal(r[1].err.kind, CTL_RPC_ERR_RESOLVE);
	/* the handler's own status and text */
	assert_int_equal(r[2].rc, -DER_NOSPACE);
	assert_int_equal(r[2].err.kind, CTL_RPC_ERR_REMOTE);
	assert_non_null(strstr(r[2].err.msg, "no room on /mnt/daos0"));
	for (int i = 0; i < 3; i++)
		assert_null(r[i].body);
	ctl_rpc_results_fini(r, 3);
	close(fd);
}

static void
test_call_deadline(void **state)
{
	struct fixture		  *fx = *state;
	struct ctl_rpc_fanout_opts opts = {.connect_ms = 20000, .call_ms = 200, .first = SIZE_MAX};
	struct ctl_rpc_target	   t[2];
	struct ctl_rpc_result	   r[2];
	uint16_t		   port;
	int			   fd = closed_port(&port);
	int64_t			   start;

	/* listening but never accepting nor answering: connected, then silence */
	assert_int_equal(listen(fd, 8), 0);
	t[0] = (struct ctl_rpc_target){"127.0.0.1", port};
	t[1] = (struct ctl_rpc_target){"127.0.0.1", fx->port};
	start = d_tls_now_ms();
	assert_int_equal(ctl_rpc_fanout_call(fx->cl, t, 2, "GetVersion", "7", 1, &opts, r), 0);
	/* the call's deadline ended it, not the long connect one */
	assert_true(d_tls_now_ms() - start < 10000);
	assert_int_equal(r[0].rc, -DER_TIMEDOUT);
	assert_int_equal(r[0].err.kind, CTL_RPC_ERR_TIMEOUT);
	assert_string_equal(r[0].err.msg, "timed out");
	assert_int_equal(r[1].rc, 0);
	assert_int_equal(r[1].body_len, 1);
	assert_memory_equal(r[1].body, "7", 1);
	ctl_rpc_results_fini(r, 2);

	/* call_ms 0: one deadline over both */
	opts = (struct ctl_rpc_fanout_opts){.connect_ms = 200, .first = SIZE_MAX};
	start = d_tls_now_ms();
	assert_int_equal(ctl_rpc_fanout_call(fx->cl, t, 1, "GetVersion", NULL, 0, &opts, r), 0);
	assert_true(d_tls_now_ms() - start < 10000);
	assert_int_equal(r[0].err.kind, CTL_RPC_ERR_TIMEOUT);
	ctl_rpc_results_fini(r, 1);
	close(fd);
}

static void
test_first_alone(void **state)
{
	struct fixture *fx = *state, slow = {0};
	enum { N = 12, FIRST = 5 };
	struct ctl_rpc_fanout_opts opts = {.connect_ms = 5000, .call_ms = 5000, .concurrency = 4};
	struct ctl_rpc_target	   t[N];
	struct ctl_rpc_result	   r[N];

	fixture_start(&slow, (void *)(intptr_t)1);
	for (int i = 0; i < N; i++)
		t[i] = (struct ctl_rpc_target){"localhost", i == FIRST ? slow.port : fx->port};
	/* called alone, the slow host's answer comes before any other host is called */
	for (size_t first = FIRST; first != SIZE_MAX; first = first == FIRST ? SIZE_MAX : first) {
		atomic_store(&arrivals, 0);
		opts.first = first;
		assert_int_equal(ctl_rpc_fanout_call(fx->cl, t, N, "GetVersion", "ab", 2, &opts, r),
				 0);
		assert_int_equal(atomic_load(&arrivals), N);
		for (int i = 0; i < N; i++) {
			assert_int_equal(r[i].rc, 0);
			assert_int_equal(r[i].body_len, 2);
			assert_memory_equal(r[i].body, "ab", 2);
		}
		ctl_rpc_results_fini(r, N);
		/* without `first` the fast hosts answer while the slow one sleeps */
		assert_int_equal(arrival[0], first == FIRST ? 1 : 0);
	}
	fixture_stop(&slow);
}

static void
test_args(void **state)
{
	struct fixture		  *fx = *state;
	struct ctl_rpc_fanout_opts opts = {.connect_ms = 100, .first = SIZE_MAX};
	struct ctl_rpc_target	   t = {"127.0.0.1", fx->port};
	struct ctl_rpc_result	   r;

	assert_int_equal(ctl_rpc_fanout_call(fx->cl, NULL, 0, "GetVersion", NULL, 0, NULL, NULL),
			 0);
	assert_int_equal(ctl_rpc_fanout_call(fx->cl, &t, 1, "GetVersion", NULL, 0, NULL, &r),
			 -DER_INVAL);
	assert_int_equal(ctl_rpc_fanout_call(fx->cl, &t, 1, "GetVersion", NULL, 0, &opts, NULL),
			 -DER_INVAL);
	assert_int_equal(ctl_rpc_fanout(fx->cl, &t, -1, "GetVersion", NULL, 0, 100, 1, &r),
			 -DER_INVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_error_categories, setup, teardown),
		cmocka_unit_test_setup_teardown(test_call_deadline, setup, teardown),
		cmocka_unit_test_setup_teardown(test_first_alone, setup, teardown),
		cmocka_unit_test_setup_teardown(test_args, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
