/*
 * dmg's connection to the servers (dmg_internal.h): configuration and host
 * list, the TLS client, the fan-out with dmg's limits (the threads and
 * deadlines are ctl_rpc_fanout_call()'s), grouping of identical results and
 * the host error table.  Nothing here knows what a method
 * returns; the commands decode and render.
 */
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "common/table.h"
#include "control/dmg/dmg_internal.h"

int
dmg_fail(const struct d_cli_ctx *ctx, int rc, const char *fmt, ...)
{
	char	msg[2048];
	va_list ap;
	size_t	len;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	len = strlen(msg);
	while (len > 0 && msg[len - 1] == '\n')
		msg[--len] = '\0';
	if (d_cli_has(ctx, "json"))
		d_json_envelope_print(stdout, NULL, msg, rc != 0 ? rc : -DER_MISC);
	fprintf(stderr, "ERROR: %s: %s\n", ctx->prog, msg);
	return 1;
}

int
dmg_env_int(const char *name, int deflt)
{
	const char *v = getenv(name);
	uint64_t    x;

	if (d_parse_u64(v, &x) != 0 || x == 0 || x > 86400000)
		return deflt;
	return (int)x;
}

/* ---- configuration and host list --------------------------------------------------------- */

static int
load_config(const struct d_cli_ctx *ctx, struct ctl_control_config **out, struct d_errbuf *eb)
{
	struct ctl_control_overrides ov = {
		.hostlist = d_cli_get(ctx, "host-list"),
		.insecure = d_cli_has(ctx, "insecure"),
	};
	struct ctl_control_config *cfg = NULL;
	struct d_diags		   diags;
	char			  *path = NULL;
	int			   rc;

	rc = ctl_config_find(CTL_CFG_CONTROL, d_cli_get(ctx, "config-path"), NULL, &path, eb);
	if (rc != 0)
		return rc;
	d_diags_init(&diags, path != NULL ? path : "defaults");
	rc = ctl_control_config_load(path, &cfg, &diags);
	if (rc != 0) {
		struct d_sbuf sb;
		size_t	      i, nerr = 0;

		d_sbuf_init(&sb);
		for (i = 0; i < diags.n; i++) {
			char *line;

			if (diags.v[i].sev != D_DIAG_ERROR)
				continue;
			line = d_diag_format(&diags, &diags.v[i]);
			d_sbuf_printf(&sb, "%s%s", nerr++ ? "\n" : "", line ? line : "?");
			D_FREE(line);
		}
		if (nerr == 0)
			d_errbuf_set(eb, "cannot load %s: %s", path ? path : "the dmg config",
				     d_errstr(rc));
		else
			d_errbuf_set(eb, "%s", sb.buf);
		d_sbuf_fini(&sb);
		goto out;
	}
	rc = ctl_control_config_override(cfg, &ov, eb);
	if (rc != 0)
		goto out;
	*out = cfg;
	cfg = NULL;
out:
	ctl_control_config_destroy(cfg);
	d_diags_fini(&diags);
	D_FREE(path);
	return rc;
}

static int
expand_hosts(struct dmg_conn *c, struct d_errbuf *eb)
{
	struct d_sbuf sb;
	char	    **addrs = NULL;
	size_t	      naddrs = 0, i;
	unsigned int  port = (unsigned int)c->cfg->port;
	int	      rc;

	d_sbuf_init(&sb);
	for (i = 0; i < c->cfg->hostlist.n; i++)
		d_sbuf_printf(&sb, "%s%s", i ? "," : "", c->cfg->hostlist.v[i]);
	if (sb.failed) {
		d_sbuf_fini(&sb);
		return -DER_NOMEM;
	}
	if (sb.buf == NULL || sb.buf[0] == '\0') {
		d_sbuf_fini(&sb);
		d_errbuf_set(eb,
			     "no hosts to contact: give -l/--host-list or set hostlist: in "
			     "%s",
			     c->cfg->path ? c->cfg->path : "daos_control.yml");
		return -DER_INVAL;
	}
	rc = d_host_addrs_parse(sb.buf, port, &addrs, &naddrs, eb);
	d_sbuf_fini(&sb);
	if (rc != 0)
		return rc;

	D_ALLOC_ARRAY(c->targets, naddrs);
	D_ALLOC_ARRAY(c->names, naddrs);
	D_ALLOC_ARRAY(c->display, naddrs);
	if (c->targets == NULL || c->names == NULL || c->display == NULL) {
		rc = -DER_NOMEM;
		goto out;
	}
	for (i = 0; i < naddrs; i++) {
		size_t	 len = strlen(addrs[i]) + 1; /* the host is never longer */
		uint16_t p;

		D_ALLOC(c->names[i], len);
		if (c->names[i] == NULL) {
			c->n = i + 1;
			rc = -DER_NOMEM;
			goto out;
		}
		if (ctl_addr_split(addrs[i], c->names[i], len, &p) != 0) {
			c->n = i + 1;
			d_errbuf_set(eb,
				     "invalid host address \"%s\" in the host list: hosts "
				     "must be hostname[:port] with a port between 1 and 65535",
				     addrs[i]);
			rc = -DER_INVAL;
			goto out;
		}
		/* the port is shown only where it is not the configured one */
		c->display[i] = p == port ? d_strndup(c->names[i], (size_t)-1)
					  : d_strndup(addrs[i], (size_t)-1);
		if (c->display[i] == NULL) {
			c->n = i + 1;
			rc = -DER_NOMEM;
			goto out;
		}
		c->targets[i].host = c->names[i];
		c->targets[i].port = (uint16_t)p;
		c->n = i + 1;
	}
out:
	d_host_addrs_free(addrs, naddrs);
	return rc;
}

int
dmg_conn_open(const struct d_cli_ctx *ctx, struct dmg_conn **out, struct d_errbuf *eb)
{
	struct dmg_conn *c;
	struct d_tls_cfg tls = {0};
	struct d_errbuf	 teb;
	int		 rc;

	D_ALLOC_PTR(c);
	if (c == NULL)
		return -DER_NOMEM;
	rc = load_config(ctx, &c->cfg, eb);
	if (rc != 0)
		goto out;
	rc = expand_hosts(c, eb);
	if (rc != 0)
		goto out;
	c->connect_ms = dmg_env_int("DMG_CONNECT_TIMEOUT_MS", DMG_DEFAULT_CONNECT_MS);
	c->call_ms = dmg_env_int("DMG_RPC_TIMEOUT_MS", DMG_DEFAULT_CALL_MS);
	c->concurrency = dmg_env_int("DMG_CONCURRENCY", DMG_DEFAULT_CONCURRENCY);

	tls.allow_insecure = c->cfg->transport.allow_insecure;
	tls.ca_cert = c->cfg->transport.ca_cert;
	tls.cert = c->cfg->transport.cert;
	tls.key = c->cfg->transport.key;
	tls.key_group_readable = true; /* admin keys may be shared with a group (0440) */
	rc = ctl_rpc_client_create(&tls, D_COMP_ADMIN, &c->cl, &teb);
	if (rc != 0) {
		d_errbuf_set(eb, "Unable to load Certificate Data: %s", teb.msg);
		goto out;
	}
	*out = c;
	c = NULL;
out:
	if (rc == -DER_NOMEM)
		d_errbuf_set(eb, "out of memory setting up the connection to the servers");
	dmg_conn_close(c);
	return rc;
}

void
dmg_conn_close(struct dmg_conn *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->n; i++) {
		D_FREE(c->names[i]);
		D_FREE(c->display[i]);
	}
	D_FREE(c->names);
	D_FREE(c->display);
	D_FREE(c->targets);
	ctl_rpc_client_destroy(c->cl);
	ctl_control_config_destroy(c->cfg);
	D_FREE(c);
}

const char *
dmg_conn_first_host(const struct dmg_conn *c)
{
	return c->n > 0 ? c->display[0] : "localhost";
}

/* ---- fan-out ------------------------------------------------------------------------------ */

int
dmg_fanout(struct dmg_conn *c, const char *method, const void *req, size_t req_len,
	   struct ctl_rpc_result **results)
{
	return dmg_fanout_first(c, method, req, req_len, SIZE_MAX, results);
}

int
dmg_fanout_first(struct dmg_conn *c, const char *method, const void *req, size_t req_len,
		 size_t first, struct ctl_rpc_result **results)
{
	struct ctl_rpc_fanout_opts opts = {.connect_ms = c->connect_ms,
					   .call_ms = c->call_ms,
					   .concurrency = c->concurrency,
					   .first = first};
	struct ctl_rpc_result	  *res;
	int			   rc;

	D_ALLOC_ARRAY(res, c->n > 0 ? c->n : 1);
	if (res == NULL)
		return -DER_NOMEM;
	rc = ctl_rpc_fanout_call(c->cl, c->targets, c->n, method, req, req_len, &opts, res);
	if (rc != 0) {
		D_FREE(res);
		return rc;
	}
	*results = res;
	return 0;
}

/* The addresses `host` resolves to (caller frees), NULL when it does not. */
static struct addrinfo *
resolve(const char *host)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;

	return getaddrinfo(host, NULL, &hints, &res) == 0 ? res : NULL;
}

static bool
same_host(const char *a, const char *b)
{
	struct addrinfo *ra, *rb;
	bool		 same = false;

	if (strcmp(a, b) == 0)
		return true;
	ra = resolve(a);
	rb = ra != NULL ? resolve(b) : NULL;
	for (struct addrinfo *x = ra; x != NULL && !same; x = x->ai_next)
		for (struct addrinfo *y = rb; y != NULL && !same; y = y->ai_next)
			same = x->ai_family == y->ai_family && x->ai_addrlen == y->ai_addrlen &&
			       ((x->ai_family == AF_INET &&
				 ((struct sockaddr_in *)x->ai_addr)->sin_addr.s_addr ==
					 ((struct sockaddr_in *)y->ai_addr)->sin_addr.s_addr) ||
				(x->ai_family == AF_INET6 &&
				 memcmp(&((struct sockaddr_in6 *)x->ai_addr)->sin6_addr,
					&((struct sockaddr_in6 *)y->ai_addr)->sin6_addr,
					sizeof(struct in6_addr)) == 0));
	if (ra != NULL)
		freeaddrinfo(ra);
	if (rb != NULL)
		freeaddrinfo(rb);
	return same;
}

size_t
dmg_conn_find(const struct dmg_conn *c, const char *host, uint16_t port)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->targets[i].port == port && strcmp(c->targets[i].host, host) == 0)
			return i;
	for (size_t i = 0; i < c->n; i++)
		if (c->targets[i].port == port && same_host(c->targets[i].host, host))
			return i;
	return SIZE_MAX;
}

void
dmg_results_free(struct ctl_rpc_result *results, size_t n)
{
	if (results == NULL)
		return;
	ctl_rpc_results_fini(results, (int)n);
	D_FREE(results);
}

/* ---- host errors -------------------------------------------------------------------------- */

int
dmg_host_errors(const struct dmg_conn *c, const struct ctl_rpc_result *res,
		struct ctl_host_groups *errs)
{
	return ctl_rpc_host_errors(res, c->n, (const char *const *)c->display, NULL, NULL, errs);
}

void
dmg_errors_print(FILE *out, const struct ctl_host_groups *errs)
{
	static const char *const titles[] = {"Hosts", "Error"};
	struct d_table		*t;

	if (errs->n == 0)
		return;
	t = d_table_create(2, titles);
	if (t == NULL)
		return;
	for (int i = 0; i < errs->n; i++) {
		char *msg = d_strndup((const char *)errs->v[i].key, errs->v[i].key_len);

		d_table_add(t, errs->v[i].hosts, msg ? msg : "out of memory");
		D_FREE(msg);
	}
	fprintf(out, "Errors:\n");
	d_table_print(t, out, 2);
	d_table_destroy(t);
}

void
dmg_errors_json(struct d_json *w, const struct ctl_host_groups *errs)
{
	d_json_obj_begin(w, "host_errors");
	for (int i = 0; i < errs->n; i++) {
		char *msg = d_strndup((const char *)errs->v[i].key, errs->v[i].key_len);

		d_json_str(w, msg ? msg : "out of memory", errs->v[i].hosts);
		D_FREE(msg);
	}
	d_json_obj_end(w);
}

const char *
dmg_failed_str(int nfailed, char *buf, size_t len)
{
	snprintf(buf, len, "%d host%s had errors", nfailed, nfailed == 1 ? "" : "s");
	return buf;
}

int
dmg_finish(const struct d_cli_ctx *ctx, int nfailed, struct d_json *response)
{
	char msg[64];

	if (nfailed > 0)
		dmg_failed_str(nfailed, msg, sizeof(msg));
	if (d_cli_has(ctx, "json")) {
		if (response != NULL && d_json_finish(response) != 0)
			return dmg_fail(ctx, -DER_NOMEM, "out of memory writing JSON");
		d_json_envelope_print(stdout, response, nfailed > 0 ? msg : NULL,
				      nfailed > 0 ? -DER_MISC : 0);
	}
	if (nfailed > 0) {
		fprintf(stderr, "ERROR: %s: %s\n", ctx->prog, msg);
		return 1;
	}
	return 0;
}
