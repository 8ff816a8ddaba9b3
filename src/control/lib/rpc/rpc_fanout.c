/*
 * Fan-out (rpc.h): one request to many hosts over a bounded pool of
 * threads, each host with its own connect deadline and call deadline, and
 * optionally one host called alone before the others.  Nothing here decodes
 * a response or prints: callers group and render the results.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "control/lib/rpc/rpc.h"

#define FANOUT_STACK_SIZE  (512 * 1024)
#define FANOUT_CONCURRENCY 64

struct fanout {
	struct ctl_rpc_client		 *cl;
	const struct ctl_rpc_target	 *targets;
	size_t				  n;
	const char			 *method;
	const void			 *req;
	size_t				  req_len;
	const struct ctl_rpc_fanout_opts *opts;
	struct ctl_rpc_result		 *results;
	atomic_size_t			  next;
};

static void
call_one(struct fanout *f, size_t i)
{
	struct ctl_rpc_result *r = &f->results[i];
	struct ctl_rpc_conn   *conn = NULL;
	int64_t		       deadline = d_tls_now_ms() + f->opts->connect_ms;

	memset(r, 0, sizeof(*r));
	/* separate deadlines: a host that never answers the handshake costs connect_ms */
	r->rc = ctl_rpc_conn_open(f->cl, f->targets[i].host, f->targets[i].port, deadline, &conn,
				  &r->err);
	if (r->rc != 0)
		return;
	if (f->opts->call_ms > 0)
		deadline = d_tls_now_ms() + f->opts->call_ms;
	r->rc = ctl_rpc_conn_call(conn, f->method, f->req, f->req_len, deadline, &r->body,
				  &r->body_len, &r->err);
	ctl_rpc_conn_close(conn);
}

static void *
fanout_worker(void *arg)
{
	struct fanout *f = arg;
	size_t	       i;

	while ((i = atomic_fetch_add(&f->next, 1)) < f->n)
		if (i != f->opts->first)
			call_one(f, i);
	return NULL;
}

int
ctl_rpc_fanout_call(struct ctl_rpc_client *cl, const struct ctl_rpc_target *targets, size_t n,
		    const char *method, const void *req, size_t req_len,
		    const struct ctl_rpc_fanout_opts *opts, struct ctl_rpc_result *results)
{
	struct fanout  f = {.cl = cl,
			    .targets = targets,
			    .n = n,
			    .method = method,
			    .req = req,
			    .req_len = req_len,
			    .opts = opts,
			    .results = results};
	pthread_attr_t attr;
	pthread_t     *th;
	size_t	       nth, started = 0;

	if (n > 0 && (targets == NULL || results == NULL || opts == NULL))
		return -DER_INVAL;
	if (n == 0)
		return 0;
	nth = opts->concurrency > 0 ? (size_t)opts->concurrency : FANOUT_CONCURRENCY;
	if (nth > n)
		nth = n;
	D_ALLOC_ARRAY(th, nth);
	if (th == NULL)
		return -DER_NOMEM;
	atomic_init(&f.next, 0);
	if (opts->first < n)
		call_one(&f, opts->first);
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, FANOUT_STACK_SIZE);
	for (size_t i = 0; i < nth; i++) {
		if (pthread_create(&th[started], &attr, fanout_worker, &f) != 0)
			break;
		started++;
	}
	pthread_attr_destroy(&attr);
	if (started == 0)
		fanout_worker(&f); /* no thread could start: call the hosts one by one */
	for (size_t i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	D_FREE(th);
	return 0;
}

int
ctl_rpc_fanout(struct ctl_rpc_client *cl, const struct ctl_rpc_target *targets, int n,
	       const char *method, const void *req, size_t req_len, int timeout_ms, int concurrency,
	       struct ctl_rpc_result *results)
{
	/* call_ms 0: one deadline over connect and call, as ctl_rpc_call() */
	struct ctl_rpc_fanout_opts opts = {
		.connect_ms = timeout_ms, .concurrency = concurrency, .first = SIZE_MAX};

	if (n < 0)
		return -DER_INVAL;
	return ctl_rpc_fanout_call(cl, targets, (size_t)n, method, req, req_len, &opts, results);
}

void
ctl_rpc_results_fini(struct ctl_rpc_result *results, int n)
{
	if (results == NULL)
		return;
	for (int i = 0; i < n; i++) {
		free(results[i].body);
		results[i].body = NULL;
		results[i].body_len = 0;
	}
}
