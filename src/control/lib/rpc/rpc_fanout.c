/*
 * Fan-out (rpc.h): one request to many hosts over a bounded pool of
 * threads, each host with its own connect deadline and call deadline, and
 * optionally one host called alone before the others; then the grouping of
 * hosts whose answers are identical, or whose errors are, into ranged
 * hostsets.  Nothing here decodes a response or prints: callers decode the
 * bodies, choose the grouping keys and render the groups.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "common/hostlist.h"
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
		D_FREE(results[i].body);
		results[i].body = NULL;
		results[i].body_len = 0;
	}
}

const char *
ctl_rpc_result_msg(const struct ctl_rpc_result *r)
{
	return r->err.msg[0] != '\0' ? r->err.msg : d_errstr(r->rc);
}

void
ctl_rpc_result_fail(struct ctl_rpc_result *r, int rc, const char *fmt, ...)
{
	va_list ap;

	D_FREE(r->body);
	r->body_len = 0;
	r->rc = rc;
	r->err.kind = CTL_RPC_ERR_PROTO;
	r->err.status = rc;
	va_start(ap, fmt);
	vsnprintf(r->err.msg, sizeof(r->err.msg), fmt, ap);
	va_end(ap);
}

/* ---- grouping ----------------------------------------------------------------------------- */

int
ctl_host_groups_add(struct ctl_host_groups *g, const void *key, size_t len, const char *host,
		    int idx)
{
	struct ctl_host_group *grp = NULL;
	struct d_errbuf	       eb;

	/* few groups in practice (identical hardware): a linear search is enough */
	for (int i = 0; i < g->n; i++) {
		if (g->v[i].key_len == len && memcmp(g->v[i].key, key, len) == 0) {
			grp = &g->v[i];
			break;
		}
	}
	if (grp == NULL) {
		if (g->n == g->cap) {
			int		       cap = g->cap ? g->cap * 2 : 8;
			struct ctl_host_group *v = d_realloc(g->v, sizeof(*v) * (size_t)cap);

			if (v == NULL)
				return -DER_NOMEM;
			g->v = v;
			g->cap = cap;
		}
		grp = &g->v[g->n];
		memset(grp, 0, sizeof(*grp));
		D_ALLOC(grp->key, len > 0 ? len : 1);
		if (grp->key == NULL)
			return -DER_NOMEM;
		if (d_hostset_create(&grp->hs) != 0) {
			D_FREE(grp->key);
			return -DER_NOMEM;
		}
		memcpy(grp->key, key, len);
		grp->key_len = len;
		grp->rep = idx;
		g->n++;
	}
	g->members++;
	return d_hostset_insert(grp->hs, host, NULL, &eb);
}

static int
group_cmp(const void *a, const void *b)
{
	const struct ctl_host_group *x = a, *y = b;

	return strcmp(x->hosts, y->hosts);
}

int
ctl_host_groups_finish(struct ctl_host_groups *g)
{
	for (int i = 0; i < g->n; i++) {
		if (g->v[i].hosts == NULL && d_hostset_ranged(g->v[i].hs, &g->v[i].hosts) != 0)
			return -DER_NOMEM;
	}
	if (g->n > 1)
		qsort(g->v, (size_t)g->n, sizeof(*g->v), group_cmp);
	return 0;
}

void
ctl_host_groups_fini(struct ctl_host_groups *g)
{
	if (g == NULL)
		return;
	for (int i = 0; i < g->n; i++) {
		D_FREE(g->v[i].key);
		D_FREE(g->v[i].hosts);
		d_hostset_destroy(g->v[i].hs);
	}
	D_FREE(g->v);
	memset(g, 0, sizeof(*g));
}

const char *
ctl_host_group_name(const struct ctl_host_group *g, char *buf, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < g->key_len; i++) {
		h ^= g->key[i];
		h *= 0x100000001b3ULL;
	}
	snprintf(buf, len, "%llu", (unsigned long long)h);
	return buf;
}

int
ctl_rpc_host_errors(const struct ctl_rpc_result *res, size_t n, const char *const *hosts,
		    ctl_host_errors_t more, void *arg, struct ctl_host_groups *errs)
{
	int nfailed = 0, rc;

	for (size_t i = 0; i < n; i++) {
		size_t before = errs->members;

		if (res[i].rc != 0) {
			const char *msg = ctl_rpc_result_msg(&res[i]);

			rc = ctl_host_groups_add(errs, msg, strlen(msg), hosts[i], (int)i);
		} else {
			rc = more != NULL ? more(arg, i, errs) : 0;
		}
		if (rc != 0)
			return rc;
		if (errs->members > before)
			nfailed++;
	}
	rc = ctl_host_groups_finish(errs);
	return rc != 0 ? rc : nfailed;
}
