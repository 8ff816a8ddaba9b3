/*
 * Unit tests for the control RPC fan-out (rpc_fanout.c) without TLS: the
 * error category of each host that cannot be reached (refused port, a name
 * that does not resolve, a listener that never answers, a failing handler),
 * the call deadline counted after the connect, the host called alone before
 * the others, and argument checks; an in-process server on an ephemeral
 * port stands for the hosts that answer.  Then the pure parts: grouping
 * hosts by key into sorted ranged hostsets, group names, the host error
 * table (transport errors, undecodable answers, errors inside answers), and
 * their out-of-memory paths.
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

#include "../unit_fi.h"
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

/* ---- grouping and host errors ------------------------------------------------------------ */

static void
test_groups(void **state)
{
	struct ctl_host_groups g = {0};
	char		       name[24];

	(void)state;
	assert_int_equal(ctl_host_groups_add(&g, "a", 1, "node-3", 0), 0);
	assert_int_equal(ctl_host_groups_add(&g, "bb", 2, "node-10", 1), 0);
	assert_int_equal(ctl_host_groups_add(&g, "a", 1, "node-1", 2), 0);
	assert_int_equal(ctl_host_groups_add(&g, "", 0, "zeta", 3), 0);
	assert_int_equal(ctl_host_groups_add(&g, "a", 1, "alpha", 4), 0);
	assert_int_equal(ctl_host_groups_add(&g, "a", 1, "node-2", 5), 0);
	/* same length, other bytes: another group */
	assert_int_equal(ctl_host_groups_add(&g, "b", 1, "node-2", 6), 0);
	assert_int_equal(g.n, 4);
	assert_int_equal(g.members, 7);
	assert_int_equal(ctl_host_groups_finish(&g), 0);
	/* sorted by their ranged hostsets; rep is the first member added */
	assert_string_equal(g.v[0].hosts, "alpha,node-[1-3]");
	assert_int_equal(g.v[0].rep, 0);
	assert_string_equal(g.v[1].hosts, "node-10");
	assert_int_equal(g.v[1].rep, 1);
	assert_string_equal(g.v[2].hosts, "node-2");
	assert_int_equal(g.v[2].rep, 6);
	assert_string_equal(g.v[3].hosts, "zeta");
	assert_int_equal(g.v[3].key_len, 0);
	/* FNV-1a 64 of the key, in decimal */
	assert_string_equal(ctl_host_group_name(&g.v[0], name, sizeof(name)),
			    "12638187200555641996");
	assert_string_equal(ctl_host_group_name(&g.v[3], name, sizeof(name)),
			    "14695981039346656037");
	/* finishing again keeps the strings; more than the initial capacity grows */
	assert_int_equal(ctl_host_groups_finish(&g), 0);
	for (int i = 0; i < 20; i++) {
		char host[16];

		snprintf(host, sizeof(host), "h%d", i);
		assert_int_equal(ctl_host_groups_add(&g, &i, sizeof(i), host, 10 + i), 0);
	}
	assert_int_equal(g.n, 24);
	ctl_host_groups_fini(&g);
	assert_int_equal(g.n, 0);
	assert_null(g.v);
	ctl_host_groups_fini(&g);
	ctl_host_groups_fini(NULL);
}

/* Errors inside answers: host 4 has two failed devices, the others none. */
static int
more_errors(void *arg, size_t i, struct ctl_host_groups *errs)
{
	const char *const *hosts = arg;
	int		   rc;

	if (i != 4)
		return 0;
	rc = ctl_host_groups_add(errs, "nvme0: busy", 11, hosts[i], (int)i);
	if (rc == 0)
		rc = ctl_host_groups_add(errs, "connection refused", 18, hosts[i], (int)i);
	return rc;
}

static int
more_fail(void *arg, size_t i, struct ctl_host_groups *errs)
{
	(void)arg, (void)errs;
	return i == 4 ? -DER_NOMEM : 0;
}

static void
test_host_errors(void **state)
{
	const char *const      hosts[] = {"h1", "h2", "h3", "h4", "h5", "h6"};
	struct ctl_rpc_result  r[6] = {{0}};
	struct ctl_host_groups errs = {0};

	(void)state;
	r[1].rc = -DER_UNREACH;
	snprintf(r[1].err.msg, sizeof(r[1].err.msg), "connection refused");
	r[2].rc = -DER_TIMEDOUT; /* no text: the error code's */
	r[3].rc = -DER_UNREACH;
	snprintf(r[3].err.msg, sizeof(r[3].err.msg), "connection refused");
	/* an answer that could not be decoded becomes the host's error */
	r[5].body = malloc(3);
	r[5].body_len = 3;
	ctl_rpc_result_fail(&r[5], -DER_PROTO, "invalid %s response: %s", "version", "bad bytes");
	assert_null(r[5].body);
	assert_int_equal(r[5].body_len, 0);
	assert_int_equal(r[5].err.kind, CTL_RPC_ERR_PROTO);
	assert_int_equal(r[5].err.status, -DER_PROTO);
	assert_string_equal(ctl_rpc_result_msg(&r[5]), "invalid version response: bad bytes");
	assert_string_equal(ctl_rpc_result_msg(&r[2]), d_errstr(-DER_TIMEDOUT));

	assert_int_equal(ctl_rpc_host_errors(r, 6, hosts, NULL, NULL, &errs), 4);
	assert_int_equal(errs.n, 3);
	/* strcmp order of the hostsets: '[' sorts after the digits */
	assert_string_equal(errs.v[0].hosts, "h3");
	assert_string_equal(errs.v[1].hosts, "h6");
	assert_string_equal(errs.v[2].hosts, "h[2,4]");
	assert_memory_equal(errs.v[2].key, "connection refused", 18);
	ctl_host_groups_fini(&errs);

	/* a host with several errors in its answer counts once */
	assert_int_equal(ctl_rpc_host_errors(r, 6, hosts, more_errors, (void *)hosts, &errs), 5);
	assert_int_equal(errs.n, 4);
	assert_string_equal(errs.v[0].hosts, "h3");
	assert_string_equal(errs.v[1].hosts, "h5");
	assert_memory_equal(errs.v[1].key, "nvme0: busy", 11);
	assert_string_equal(errs.v[2].hosts, "h6");
	assert_string_equal(errs.v[3].hosts, "h[2,4-5]");
	ctl_host_groups_fini(&errs);

	/* the callback's failure is the result; nothing failed: 0 */
	assert_int_equal(ctl_rpc_host_errors(r, 6, hosts, more_fail, NULL, &errs), -DER_NOMEM);
	ctl_host_groups_fini(&errs);
	assert_int_equal(ctl_rpc_host_errors(r, 1, hosts, NULL, NULL, &errs), 0);
	assert_int_equal(errs.n, 0);
	ctl_host_groups_fini(&errs);
	ctl_rpc_results_fini(r, 6);
}

/* Under D_FI_ALLOC_FAIL: every step either succeeds or says -DER_NOMEM, and fini frees. */
static int
fi_groups(void)
{
	struct ctl_host_groups g = {0};
	int		       rc = 0;

	for (int i = 0; i < 12 && rc == 0; i++) {
		char host[16];

		snprintf(host, sizeof(host), "n%d", i);
		rc = ctl_host_groups_add(&g, &i, sizeof(i), host, i);
	}
	if (rc == 0)
		rc = ctl_host_groups_finish(&g);
	ctl_host_groups_fini(&g);
	return rc == 0 ? 0 : rc == -DER_NOMEM ? 2 : 1;
}

static int
fi_host_errors(void)
{
	const char *const      hosts[] = {"a1", "a2", "b1"};
	struct ctl_rpc_result  r[3] = {{0}};
	struct ctl_host_groups errs = {0};
	int		       rc;

	for (int i = 0; i < 3; i++) {
		r[i].rc = -DER_UNREACH;
		snprintf(r[i].err.msg, sizeof(r[i].err.msg), i == 2 ? "timed out" : "refused");
	}
	rc = ctl_rpc_host_errors(r, 3, hosts, NULL, NULL, &errs);
	ctl_host_groups_fini(&errs);
	return rc == 3 ? 0 : rc == -DER_NOMEM ? 2 : 1;
}

static void
test_alloc_failures(void **state)
{
	int ok = 0, nomem = 0;

	(void)state;
	/* fail the n-th allocation onwards, from the first until everything fits */
	for (int n = 1; n <= 200; n++) {
		int st = unit_fi_run("groups", n);

		assert_true(st == 0 || st == 2);
		ok += st == 0;
		nomem += st == 2;
	}
	assert_true(ok > 0 && nomem > 0);
	ok = nomem = 0;
	for (int n = 1; n <= 60; n++) {
		int st = unit_fi_run("host_errors", n);

		assert_true(st == 0 || st == 2);
		ok += st == 0;
		nomem += st == 2;
	}
	assert_true(ok > 0 && nomem > 0);
}

static const struct unit_fi_case fi_cases[] = {
	{"groups", fi_groups},
	{"host_errors", fi_host_errors},
	{NULL, NULL},
};

int
main(void)
{
	unit_fi_dispatch(fi_cases);

	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_error_categories, setup, teardown),
		cmocka_unit_test_setup_teardown(test_call_deadline, setup, teardown),
		cmocka_unit_test_setup_teardown(test_first_alone, setup, teardown),
		cmocka_unit_test_setup_teardown(test_args, setup, teardown),
		cmocka_unit_test(test_groups),
		cmocka_unit_test(test_host_errors),
		cmocka_unit_test(test_alloc_failures),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
