/*
 * Test-only front end to the control RPC library (not installed), so system
 * tests can exercise TLS, authorization, version checks and deadlines with
 * real sockets before daos_server and dmg use them.
 *
 *   rpc_tool server [opts]   serve GetVersion, StorageScan and NetworkScan
 *                            (scans of this host or DAOS_HW_ROOT); prints
 *                            "listening on port N" once ready; SIGTERM/SIGINT stop
 *   rpc_tool call [opts] METHOD HOST:PORT...
 *                            call METHOD on every host (fan-out); one line per
 *                            host: "HOST:PORT ok <summary>" or
 *                            "HOST:PORT error <kind>: <message>"
 * Options: --insecure, --ca F, --cert F, --key F, --client-cert-dir D,
 *          --port N, --timeout-ms N, --handshake-ms N, --idle-ms N,
 *          --component admin|agent|server (insecure clients),
 *          --claim-version V (pretend another version: version tests only),
 *          --admin-key (accept a 0440 key), --repeat N (calls per connection,
 *          single host), --concurrency N, --provider P, --health,
 *          --set KEY=VALUE (repeatable) fields of a Join request (sys, uuid,
 *          rank, uri, nctxs, addr, fd, idx, inc, check) or a ClusterEvent
 *          (type died|stopped, rank, inc, host, msg), so tests can populate
 *          the management service without engines, or of a RanksReq
 *          (ranks, force, check) for the rank actions PingRanks,
 *          PrepShutdownRanks, StopRanks, StartRanks and ResetFormatRanks,
 *          whose answers print one line per RankResult after the host line:
 *          "  rank=R action=A errored=0|1 state=S addr=A msg=M";
 *          --raw HEX sends these bytes as the request body instead
 *          (malformed-request tests);
 *          --claim-component NAME puts NAME in the request envelope whatever
 *          the certificate says (the library client always sends its
 *          certificate's role): one call to one host, on a connection of
 *          its own (tests that a server trusts the certificate, not the claim).
 * Exit status: 0 all ok, 1 some call failed or setup failed, 2 usage.
 */
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daos_build.h"
#include "control/lib/hw/hw.h"
#include "control/lib/render/render.h"
#include "control/lib/rpc/rpc.h"
#include "proto/ctl.pb-c.h"
#include "proto/system.pb-c.h"

/*
 * SIGTERM/SIGINT are blocked in every thread and taken with sigwait() here:
 * libraries loaded by the network scan (libfabric providers) install their
 * own SIGINT/SIGTERM handlers that exit(1), which would bypass our stop.
 */
struct sig_ctx {
	sigset_t	       set;
	struct ctl_rpc_server *srv;
};

static void *
signal_thread(void *arg)
{
	struct sig_ctx *sc = arg;
	int		sig;

	while (sigwait(&sc->set, &sig) != 0)
		;
	ctl_rpc_server_stop(sc->srv);
	return NULL;
}

static void
on_event(void *arg, enum ctl_rpc_event ev, const char *msg)
{
	static const char *const lvl[] = {"INFO", "WARN", "ERROR"};

	(void)arg;
	fprintf(stderr, "%s %s\n", lvl[ev], msg);
}

static int
h_version(void *arg, const struct ctl_rpc_peer *peer, const uint8_t *req, size_t req_len,
	  uint8_t **resp, size_t *resp_len, struct d_errbuf *eb)
{
	char			  host[256] = "";
	struct ctl_server_version v = {.name = (char *)"DAOS Control Server",
				       .version = (char *)arg,
				       .revision = (char *)DAOS_REVISION,
				       .hostname = host};

	(void)peer;
	(void)req;
	(void)req_len;
	(void)eb;
	gethostname(host, sizeof(host) - 1);
	return ctl_server_version_pack(&v, resp, resp_len);
}

static int
h_storage_scan(void *arg, const struct ctl_rpc_peer *peer, const uint8_t *req, size_t req_len,
	       uint8_t **resp, size_t *resp_len, struct d_errbuf *eb)
{
	struct ctl_storage_scan *scan;
	unsigned int		 flags;
	int			 rc;

	(void)arg;
	(void)peer;
	rc = ctl_storage_scan_req_unpack(req, req_len, &flags, eb);
	if (rc != 0)
		return rc;
	rc = ctl_storage_scan(flags, &scan, eb);
	if (rc != 0)
		return rc;
	rc = ctl_storage_scan_pack(scan, resp, resp_len);
	ctl_storage_scan_free(scan);
	return rc;
}

static int
h_net_scan(void *arg, const struct ctl_rpc_peer *peer, const uint8_t *req, size_t req_len,
	   uint8_t **resp, size_t *resp_len, struct d_errbuf *eb)
{
	struct ctl_net_scan *scan;
	char		    *provider;
	int		     rc;

	(void)arg;
	(void)peer;
	rc = ctl_net_scan_req_unpack(req, req_len, &provider, eb);
	if (rc != 0)
		return rc;
	rc = ctl_net_scan(provider, NULL, &scan, eb);
	free(provider);
	if (rc != 0)
		return rc;
	rc = ctl_net_scan_pack(scan, resp, resp_len);
	ctl_net_scan_free(scan);
	return rc;
}

static const struct ctl_rpc_method methods[] = {
	{"GetVersion", h_version},
	{"StorageScan", h_storage_scan},
	{"NetworkScan", h_net_scan},
};

struct opts {
	struct d_tls_cfg     tls;
	int		     port;
	int		     timeout_ms;
	int		     handshake_ms;
	int		     idle_ms;
	int		     repeat;
	int		     concurrency;
	const char	    *claim_version;
	const char	    *provider;
	bool		     health;
	enum d_tls_component component;
	const char	    *raw;
	const char	    *claim_component;
	const char	    *sets[32];
	int		     nsets;
};

/* Value of --set KEY=..., or NULL. */
static const char *
set_val(const struct opts *o, const char *key)
{
	size_t kl = strlen(key);

	for (int i = o->nsets - 1; i >= 0; i--)
		if (strncmp(o->sets[i], key, kl) == 0 && o->sets[i][kl] == '=')
			return o->sets[i] + kl + 1;
	return NULL;
}

static unsigned long long
set_num(const struct opts *o, const char *key, unsigned long long deflt)
{
	const char *v = set_val(o, key);

	return v != NULL ? strtoull(v, NULL, 0) : deflt;
}

static bool
is_ranks_method(const char *method)
{
	static const char *const names[] = {"PingRanks", "PrepShutdownRanks", "StopRanks",
					    "StartRanks", "ResetFormatRanks"};

	for (size_t i = 0; i < D_ARRAY_SIZE(names); i++)
		if (strcmp(method, names[i]) == 0)
			return true;
	return false;
}

/* RanksReq body of a rank action from the --set fields. */
static int
pack_ranks_req(const struct opts *o, uint8_t **req, size_t *req_len)
{
	Ctl__RanksReq r = CTL__RANKS_REQ__INIT;

	r.ranks = (char *)(set_val(o, "ranks") ? set_val(o, "ranks") : "");
	r.force = set_num(o, "force", 0) != 0;
	r.check_mode = set_num(o, "check", 0) != 0;
	*req_len = ctl__ranks_req__get_packed_size(&r);
	*req = malloc(*req_len + 1);
	if (*req == NULL)
		return -DER_NOMEM;
	ctl__ranks_req__pack(&r, *req);
	return 0;
}

/* Join / ClusterEvent bodies from the --set fields. */
static int
pack_ms_req(const struct opts *o, const char *method, uint8_t **req, size_t *req_len)
{
	if (strcmp(method, "Join") == 0) {
		Mgmt__JoinReq j = MGMT__JOIN_REQ__INIT;

		j.sys = (char *)(set_val(o, "sys") ? set_val(o, "sys") : "");
		j.uuid = (char *)(set_val(o, "uuid") ? set_val(o, "uuid") : "");
		j.rank = (uint32_t)set_num(o, "rank", 0xffffffffu);
		j.uri = (char *)(set_val(o, "uri") ? set_val(o, "uri") : "");
		j.nctxs = (uint32_t)set_num(o, "nctxs", 1);
		j.addr = (char *)(set_val(o, "addr") ? set_val(o, "addr") : "");
		j.srvfaultdomain = (char *)(set_val(o, "fd") ? set_val(o, "fd") : "");
		j.idx = (uint32_t)set_num(o, "idx", 0);
		j.incarnation = set_num(o, "inc", 1);
		j.check_mode = set_num(o, "check", 0) != 0;
		*req_len = mgmt__join_req__get_packed_size(&j);
		*req = malloc(*req_len + 1);
		if (*req == NULL)
			return -DER_NOMEM;
		mgmt__join_req__pack(&j, *req);
	} else {
		Mgmt__ClusterEventReq e = MGMT__CLUSTER_EVENT_REQ__INIT;
		const char	     *t = set_val(o, "type");

		e.type = t != NULL && strcmp(t, "stopped") == 0
				 ? MGMT__CLUSTER_EVENT_REQ__TYPE__ENGINE_STOPPED
				 : MGMT__CLUSTER_EVENT_REQ__TYPE__ENGINE_DIED;
		e.rank = (uint32_t)set_num(o, "rank", 0);
		e.incarnation = set_num(o, "inc", 1);
		e.hostname = (char *)(set_val(o, "host") ? set_val(o, "host") : "");
		e.msg = (char *)(set_val(o, "msg") ? set_val(o, "msg") : "");
		*req_len = mgmt__cluster_event_req__get_packed_size(&e);
		*req = malloc(*req_len + 1);
		if (*req == NULL)
			return -DER_NOMEM;
		mgmt__cluster_event_req__pack(&e, *req);
	}
	return 0;
}

static int
run_server(const struct opts *o)
{
	struct ctl_rpc_server_cfg cfg = {
		.port = (uint16_t)o->port,
		.tls = &o->tls,
		.methods = methods,
		.nr_methods = (int)D_ARRAY_SIZE(methods),
		.arg = (void *)(o->claim_version != NULL ? o->claim_version : DAOS_VERSION),
		.notify = on_event,
		.handshake_timeout_ms = o->handshake_ms,
		.idle_timeout_ms = o->idle_ms,
		.version = o->claim_version,
	};
	struct d_errbuf	       eb = {{0}};
	struct ctl_rpc_server *srv;
	struct sig_ctx	       sc;
	pthread_t	       th;
	int		       rc;

	/* Before any thread exists, so that every thread inherits the mask. */
	sigemptyset(&sc.set);
	sigaddset(&sc.set, SIGTERM);
	sigaddset(&sc.set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &sc.set, NULL);

	rc = ctl_rpc_server_create(&cfg, &srv, &eb);
	if (rc != 0) {
		fprintf(stderr, "rpc_tool: %s\n", eb.msg);
		return 1;
	}
	sc.srv = srv;
	if (pthread_create(&th, NULL, signal_thread, &sc) != 0) {
		ctl_rpc_server_destroy(srv);
		return 1;
	}
	if (ctl_rpc_server_insecure(srv))
		fprintf(stderr, "WARN allow_insecure: true: the control plane runs without TLS "
				"and without authorization\n");
	printf("listening on port %u\n", ctl_rpc_server_port(srv));
	fflush(stdout);
	ctl_rpc_server_run(srv);
	pthread_join(th, NULL);
	ctl_rpc_server_destroy(srv);
	fprintf(stderr, "INFO stopped\n");
	return 0;
}

/* One-line summary of a successful response. */
static void
summarize(const char *method, const uint8_t *body, size_t len, char *out, size_t outlen)
{
	struct d_errbuf eb = {{0}};

	if (strcmp(method, "GetVersion") == 0) {
		struct ctl_server_version v;

		if (ctl_server_version_unpack(body, len, &v, &eb) == 0) {
			snprintf(out, outlen, "%s version %s host %s", v.name, v.version,
				 v.hostname);
			ctl_server_version_fini(&v);
			return;
		}
	} else if (strcmp(method, "StorageScan") == 0) {
		struct ctl_storage_scan *s;

		if (ctl_storage_scan_unpack(body, len, &s, &eb) == 0) {
			snprintf(out, outlen, "%d modules %d namespaces %d controllers",
				 s->nr_modules, s->nr_namespaces, s->nr_ctrlrs);
			ctl_storage_scan_free(s);
			return;
		}
	} else if (strcmp(method, "NetworkScan") == 0) {
		struct ctl_net_scan *s;

		if (ctl_net_scan_unpack(body, len, &s, &eb) == 0) {
			snprintf(out, outlen, "%d interfaces %u numa", s->nifaces, s->numa_count);
			ctl_net_scan_free(s);
			return;
		}
	} else if (strcmp(method, "Join") == 0) {
		Mgmt__JoinResp *j = mgmt__join_resp__unpack(NULL, len, body);

		if (j != NULL) {
			snprintf(out, outlen, "rank %u state %d map_version %u local %d", j->rank,
				 (int)j->state, j->map_version, (int)j->localjoin);
			mgmt__join_resp__free_unpacked(j, NULL);
			return;
		}
		d_errbuf_set(&eb, "bad JoinResp");
	} else if (is_ranks_method(method)) {
		Ctl__RanksResp *r = ctl__ranks_resp__unpack(NULL, len, body);
		size_t		n;

		if (r != NULL) {
			n = (size_t)snprintf(out, outlen, "%zu results", r->n_results);
			for (size_t i = 0; i < r->n_results && n < outlen; i++) {
				Ctl__RankResult *x = r->results[i];

				n += (size_t)snprintf(out + n, outlen - n,
						      "\n  rank=%u action=%s errored=%d state=%s "
						      "addr=%s msg=%s",
						      x->rank, x->action, (int)x->errored, x->state,
						      x->addr, x->msg);
			}
			ctl__ranks_resp__free_unpacked(r, NULL);
			return;
		}
		d_errbuf_set(&eb, "bad RanksResp");
	} else {
		snprintf(out, outlen, "%zu bytes", len);
		return;
	}
	snprintf(out, outlen, "undecodable: %s", eb.msg);
}

static int
split_target(char *arg, struct ctl_rpc_target *t)
{
	char *colon = strrchr(arg, ':');
	long  port;

	if (colon == NULL)
		return -1;
	*colon = '\0';
	port = strtol(colon + 1, NULL, 10);
	if (port <= 0 || port > 65535)
		return -1;
	if (arg[0] == '[' && colon[-1] == ']') { /* [v6]:port */
		colon[-1] = '\0';
		arg++;
	}
	t->host = arg;
	t->port = (uint16_t)port;
	return 0;
}

/* Read one response frame: 4-byte big-endian length, then the envelope. */
static int
claim_read(struct d_tls_conn *tc, int64_t deadline, uint8_t **out, size_t *out_len,
	   struct d_errbuf *eb)
{
	uint8_t	 hdr[4];
	uint32_t n;
	uint8_t *buf;
	int	 rc;

	rc = d_tls_read(tc, hdr, sizeof(hdr), deadline, eb);
	if (rc == 0)
		rc = ctl_rpc_frame_len(hdr, &n);
	if (rc != 0)
		return rc;
	buf = malloc(n);
	if (buf == NULL)
		return -DER_NOMEM;
	rc = d_tls_read(tc, buf, n, deadline, eb);
	if (rc != 0) {
		free(buf);
		return rc;
	}
	*out = buf;
	*out_len = n;
	return 0;
}

/*
 * --claim-component: one call with a hand-made envelope whose component is
 * o->claim_component, over TLS with this tool's certificate.  Prints the
 * host line as run_call() does (refusals with the library's prefixes).
 */
static int
run_claim(const struct opts *o, const char *method, const uint8_t *req, size_t req_len,
	  char *target)
{
	struct ctl_rpc_req_env env = {
		.method = method,
		.version = o->claim_version != NULL ? o->claim_version : DAOS_VERSION,
		.component = o->claim_component,
		.body = req,
		.body_len = req_len,
	};
	struct addrinfo	      hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV};
	struct addrinfo	     *res = NULL;
	struct ctl_rpc_target t;
	struct d_tls_ctx     *ctx = NULL;
	struct d_tls_conn    *tc = NULL;
	struct d_errbuf	      eb = {{0}};
	Ctl__RpcResponse     *r = NULL;
	int64_t		      deadline = d_tls_now_ms() + o->timeout_ms;
	uint8_t		     *frame = NULL;
	size_t		      flen;
	char		      port[8], sum[8192];
	int		      fd = -1, rc;

	if (split_target(target, &t) != 0) {
		fprintf(stderr, "rpc_tool: bad target \"%s\" (expected HOST:PORT)\n", target);
		return 1;
	}
	rc = d_tls_ctx_create(D_TLS_CLIENT, &o->tls, &ctx, &eb);
	if (rc != 0) {
		fprintf(stderr, "rpc_tool: %s\n", eb.msg);
		return 1;
	}
	snprintf(port, sizeof(port), "%u", t.port);
	if (getaddrinfo(t.host, port, &hints, &res) != 0) {
		printf("%s:%u error no such host\n", t.host, t.port);
		goto fail;
	}
	fd = socket(res->ai_family, res->ai_socktype | SOCK_CLOEXEC, res->ai_protocol);
	if (fd < 0 || connect(fd, res->ai_addr, res->ai_addrlen) != 0) {
		printf("%s:%u error cannot connect: %s\n", t.host, t.port, strerror(errno));
		goto fail;
	}
	rc = d_tls_conn_create(ctx, fd, -1, &tc);
	if (rc != 0)
		goto fail;
	fd = -1; /* the connection owns it */
	rc = d_tls_handshake(tc, deadline, NULL, &eb);
	if (rc == 0)
		rc = ctl_rpc_frame_request(&env, &frame, &flen);
	if (rc == 0)
		rc = d_tls_write(tc, frame, flen, deadline, &eb);
	free(frame);
	frame = NULL;
	if (rc == 0)
		rc = claim_read(tc, deadline, &frame, &flen, &eb);
	if (rc != 0) {
		printf("%s:%u error %s\n", t.host, t.port, eb.msg[0] ? eb.msg : d_errstr(rc));
		goto fail;
	}
	r = ctl__rpc_response__unpack(NULL, flen, frame);
	if (r == NULL) {
		printf("%s:%u error malformed response\n", t.host, t.port);
		goto fail;
	}
	if (r->refusal == CTL_RPC_REFUSE_PERM)
		printf("%s:%u error permission denied: %s\n", t.host, t.port, r->error);
	else if (r->refusal == CTL_RPC_REFUSE_VERSION)
		printf("%s:%u error version mismatch: %s\n", t.host, t.port, r->error);
	else if (r->status != 0)
		printf("%s:%u error %s\n", t.host, t.port,
		       r->error[0] ? r->error : d_errstr(r->status));
	if (r->refusal != CTL_RPC_REFUSE_NONE || r->status != 0)
		goto fail;
	summarize(method, r->body.data, r->body.len, sum, sizeof(sum));
	printf("%s:%u ok %s\n", t.host, t.port, sum);
	rc = 0;
	goto out;
fail:
	rc = 1;
out:
	if (r != NULL)
		ctl__rpc_response__free_unpacked(r, NULL);
	free(frame);
	if (fd >= 0)
		close(fd);
	if (res != NULL)
		freeaddrinfo(res);
	d_tls_conn_destroy(tc);
	d_tls_ctx_destroy(ctx);
	return rc;
}

static int
run_call(const struct opts *o, const char *method, int ntargets, char **argv)
{
	struct ctl_rpc_client *cl;
	struct ctl_rpc_target *targets;
	struct ctl_rpc_result *results;
	struct d_errbuf	       eb = {{0}};
	uint8_t		      *req = NULL;
	size_t		       req_len = 0;
	int		       failed = 0, rc;

	rc = ctl_rpc_client_create(&o->tls, o->component, &cl, &eb);
	if (rc != 0) {
		fprintf(stderr, "rpc_tool: %s\n", eb.msg);
		return 1;
	}
	if (o->claim_version != NULL)
		ctl_rpc_client_set_version(cl, o->claim_version);
	if (strcmp(method, "StorageScan") == 0)
		rc = ctl_storage_scan_req_pack(CTL_SCAN_ALL & ~(o->health ? 0 : CTL_SCAN_HEALTH),
					       &req, &req_len);
	else if (strcmp(method, "NetworkScan") == 0)
		rc = ctl_net_scan_req_pack(o->provider, &req, &req_len);
	else if (strcmp(method, "Join") == 0 || strcmp(method, "ClusterEvent") == 0)
		rc = pack_ms_req(o, method, &req, &req_len);
	else if (is_ranks_method(method))
		rc = pack_ranks_req(o, &req, &req_len);
	if (rc == 0 && o->raw != NULL) {
		size_t n = strlen(o->raw) / 2;

		free(req);
		req = malloc(n + 1);
		if (req == NULL)
			rc = -DER_NOMEM;
		for (size_t i = 0; req != NULL && i < n; i++) {
			unsigned int b;

			if (sscanf(o->raw + 2 * i, "%2x", &b) != 1)
				b = 0;
			req[i] = (uint8_t)b;
		}
		req_len = n;
	}
	if (rc != 0) {
		ctl_rpc_client_destroy(cl);
		return 1;
	}
	if (o->claim_component != NULL) {
		ctl_rpc_client_destroy(cl);
		if (ntargets != 1) {
			fprintf(stderr, "rpc_tool: --claim-component calls one host\n");
			free(req);
			return 2;
		}
		rc = run_claim(o, method, req, req_len, argv[0]);
		free(req);
		return rc;
	}
	targets = calloc((size_t)ntargets, sizeof(*targets));
	results = calloc((size_t)ntargets, sizeof(*results));
	if (targets == NULL || results == NULL)
		goto out;
	for (int i = 0; i < ntargets; i++) {
		if (split_target(argv[i], &targets[i]) != 0) {
			fprintf(stderr, "rpc_tool: bad target \"%s\" (expected HOST:PORT)\n",
				argv[i]);
			failed = 1;
			goto out;
		}
	}
	if (o->repeat > 1 && ntargets == 1) {
		/* Several calls on one connection. */
		struct ctl_rpc_conn *conn;
		int64_t		     deadline = d_tls_now_ms() + o->timeout_ms;

		rc = ctl_rpc_conn_open(cl, targets[0].host, targets[0].port, deadline, &conn,
				       &results[0].err);
		for (int i = 0; rc == 0 && i < o->repeat; i++) {
			free(results[0].body);
			results[0].body = NULL;
			rc = ctl_rpc_conn_call(conn, method, req, req_len, deadline,
					       &results[0].body, &results[0].body_len,
					       &results[0].err);
		}
		ctl_rpc_conn_close(conn);
		results[0].rc = rc;
	} else {
		ctl_rpc_fanout(cl, targets, ntargets, method, req, req_len, o->timeout_ms,
			       o->concurrency, results);
	}
	for (int i = 0; i < ntargets; i++) {
		char sum[8192];

		if (results[i].rc == 0) {
			summarize(method, results[i].body, results[i].body_len, sum, sizeof(sum));
			printf("%s:%u ok %s\n", targets[i].host, targets[i].port, sum);
		} else {
			printf("%s:%u error %s\n", targets[i].host, targets[i].port,
			       results[i].err.msg);
			failed = 1;
		}
	}
	ctl_rpc_results_fini(results, ntargets);
out:
	free(targets);
	free(results);
	free(req);
	ctl_rpc_client_destroy(cl);
	return failed;
}

static int
num_arg(const char *s, const char *opt, int max)
{
	char *end;
	long  v = strtol(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v < 0 || v > max) {
		fprintf(stderr, "rpc_tool: --%s wants a number from 0 to %d, not \"%s\"\n", opt,
			max, s);
		exit(2);
	}
	return (int)v;
}

static void
usage(void)
{
	fprintf(stderr,
		"usage: rpc_tool server [opts] | rpc_tool call [opts] METHOD HOST:PORT...\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{"insecure", no_argument, NULL, 'i'},
		{"ca", required_argument, NULL, 'a'},
		{"cert", required_argument, NULL, 'c'},
		{"key", required_argument, NULL, 'k'},
		{"client-cert-dir", required_argument, NULL, 'd'},
		{"port", required_argument, NULL, 'p'},
		{"timeout-ms", required_argument, NULL, 't'},
		{"handshake-ms", required_argument, NULL, 'H'},
		{"idle-ms", required_argument, NULL, 'I'},
		{"component", required_argument, NULL, 'C'},
		{"claim-version", required_argument, NULL, 'V'},
		{"admin-key", no_argument, NULL, 'A'},
		{"repeat", required_argument, NULL, 'r'},
		{"concurrency", required_argument, NULL, 'n'},
		{"provider", required_argument, NULL, 'P'},
		{"health", no_argument, NULL, 'h'},
		{"set", required_argument, NULL, 's'},
		{"raw", required_argument, NULL, 'R'},
		{"claim-component", required_argument, NULL, 'X'},
		{NULL, 0, NULL, 0},
	};
	struct opts o = {.timeout_ms = 5000, .component = D_COMP_ADMIN, .repeat = 1};
	const char *mode;
	int	    c;

	if (argc < 2)
		usage();
	mode = argv[1];
	optind = 2;
	while ((c = getopt_long(argc, argv, "", lopts, NULL)) != -1) {
		switch (c) {
		case 'i':
			o.tls.allow_insecure = true;
			break;
		case 'a':
			o.tls.ca_cert = optarg;
			break;
		case 'c':
			o.tls.cert = optarg;
			break;
		case 'k':
			o.tls.key = optarg;
			break;
		case 'd':
			o.tls.client_cert_dir = optarg;
			break;
		case 'A':
			o.tls.key_group_readable = true;
			break;
		case 'p':
			o.port = num_arg(optarg, "port", 65535);
			break;
		case 't':
			o.timeout_ms = num_arg(optarg, "timeout-ms", INT32_MAX);
			break;
		case 'H':
			o.handshake_ms = num_arg(optarg, "handshake-ms", INT32_MAX);
			break;
		case 'I':
			o.idle_ms = num_arg(optarg, "idle-ms", INT32_MAX);
			break;
		case 'C':
			o.component = d_tls_component_from_cn(optarg);
			break;
		case 'V':
			o.claim_version = optarg;
			break;
		case 'r':
			o.repeat = num_arg(optarg, "repeat", 1000000);
			break;
		case 'n':
			o.concurrency = num_arg(optarg, "concurrency", 4096);
			break;
		case 'P':
			o.provider = optarg;
			break;
		case 'h':
			o.health = true;
			break;
		case 'R':
			o.raw = optarg;
			break;
		case 'X':
			o.claim_component = optarg;
			break;
		case 's':
			if (o.nsets == (int)(sizeof(o.sets) / sizeof(o.sets[0])) ||
			    strchr(optarg, '=') == NULL) {
				fprintf(stderr, "rpc_tool: --set wants KEY=VALUE (at most 32)\n");
				exit(2);
			}
			o.sets[o.nsets++] = optarg;
			break;
		default:
			usage();
		}
	}
	if (strcmp(mode, "server") == 0)
		return run_server(&o);
	if (strcmp(mode, "call") == 0 && argc - optind >= 2)
		return run_call(&o, argv[optind], argc - optind - 1, argv + optind + 1);
	usage();
	return 2;
}
