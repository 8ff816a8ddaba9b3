/*
 * `daos_server start`: the control-plane daemon.  Loads daos_server.yml
 * (search order, command-line overrides, validation), opens the control log,
 * takes the instance lock in socket_dir, starts the control RPC server
 * (TLS from transport_config) on `port`, saves the active configuration and
 * serves StorageScan, NetworkScan and GetVersion until SIGTERM/SIGINT.
 *
 * Without engines it runs in discovery (listening) mode.  With engines it
 * creates the engine instances (srv_engine.h: dRPC server on
 * <socket_dir>/daos_server.sock), checks each engine's SCM and starts the
 * engines whose storage is formatted; the others wait for a format
 * (StorageFormat, srv_format.c), or are formatted right away with
 * --auto-format.  At shutdown every engine is stopped before the daemon exits.
 *
 * The duplicate-process check of the local commands is not used here: the
 * lock in socket_dir lets several daemons with distinct socket dirs and
 * ports share one machine (tests, benchmarks).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <sys/resource.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daos_build.h"
#include "common/cli.h"
#include "common/fs.h"
#include "common/log.h"
#include "common/netif.h"
#include "common/tls.h"
#include "control/lib/config/config.h"
#include "control/lib/rpc/rpc.h"
#include "control/server/srv_cmds.h"
#include "control/server/srv_engine.h"
#include "control/server/srv_format.h"
#include "control/server/srv_internal.h"
#include "control/server/srv_mgmt.h"

#define NOFILE_WANT 8192

static struct ctl_rpc_server *volatile start_server;
static volatile sig_atomic_t start_signal;

static void
on_stop_signal(int sig)
{
	struct ctl_rpc_server *srv = start_server;
	int		       saved = errno; /* the interrupted thread may be about to read it */

	start_signal = sig;
	if (srv != NULL)
		ctl_rpc_server_stop(srv); /* async-signal-safe */
	errno = saved;
}

static void
install_signals(void)
{
	struct sigaction sa = {.sa_handler = on_stop_signal};

	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGQUIT, &sa, NULL);
	/* No configuration reload yet; a stray hangup must not kill the daemon. */
	sa.sa_handler = SIG_IGN;
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGPIPE, &sa, NULL);
}

/* A start failure: on stderr for whoever started us, and in the log when it is a file. */
static void __attribute__((format(printf, 2, 3)))
start_fail(const struct d_cli_ctx *ctx, const char *fmt, ...)
{
	char	msg[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "ERROR: %s: %s\n", ctx->prog, msg);
	if (!d_log_to_stderr())
		D_ERROR("%s", msg);
}

static void
on_rpc_event(void *arg, enum ctl_rpc_event ev, const char *msg)
{
	(void)arg;
	if (ev == CTL_RPC_EV_ERROR)
		D_ERROR("%s", msg);
	else if (ev == CTL_RPC_EV_WARN)
		D_WARN("%s", msg);
	else
		D_DEBUG("%s", msg);
}

/* First IPv4 address of `iface`, into buf. */
static int
iface_ipv4(const char *iface, char *buf, size_t len, struct d_errbuf *eb)
{
	struct in_addr in;
	int	       rc = d_netif_ipv4(iface, &in, eb);

	if (rc == 0) {
		inet_ntop(AF_INET, &in, buf, len);
		return 0;
	}
	if (rc == -DER_INVAL || rc == -DER_NONEXIST)
		d_errbuf_set(eb,
			     "control_iface %s %s; set control_iface to an interface with an "
			     "IPv4 address or remove it to listen on all addresses",
			     iface,
			     rc == -DER_INVAL ? "has no IPv4 address"
					      : "does not exist on this host");
	return rc;
}

/*
 * Load, override and validate; every problem printed, one per line.  On
 * success the notices stay in *notes (caller finishes it) for the log.
 */
static int
start_config(struct d_cli_ctx *ctx, struct ctl_server_config **out, char **path_out,
	     struct d_diags *notes)
{
	struct ctl_server_overrides ov = {
		.port = d_cli_get(ctx, "port"),
		.scm_mount = d_cli_get(ctx, "storage"),
		.modules = d_cli_get(ctx, "modules"),
		.targets = d_cli_get(ctx, "targets"),
		.xs_helpers = d_cli_get(ctx, "xshelpernr"),
		.first_core = d_cli_get(ctx, "firstcore"),
		.group = d_cli_get(ctx, "group"),
		.socket_dir = d_cli_get(ctx, "socket_dir"),
		.insecure = d_cli_has(ctx, "insecure"),
	};
	struct ctl_server_config *cfg = NULL;
	struct d_errbuf		  eb = {{0}};
	struct d_diags		  dg;
	char			 *path = NULL;
	int			  rc;

	rc = ctl_config_find(CTL_CFG_SERVER, d_cli_get(ctx, "config"), NULL, &path, &eb);
	if (rc != 0) {
		start_fail(ctx, "%s", eb.msg);
		return rc;
	}
	d_diags_init(&dg, path);
	rc = ctl_server_config_load(path, &cfg, &dg);
	if (rc == 0) {
		rc = ctl_server_config_override(cfg, &ov, &eb);
		if (rc != 0)
			d_diags_add(&dg, D_DIAG_ERROR, 0, NULL, "%s", eb.msg);
	}
	if (rc == 0)
		rc = ctl_server_config_validate(cfg, &dg);
	if (rc != 0) {
		d_diags_print(&dg, D_DIAG_NOTICE, stderr);
		d_diags_print(&dg, D_DIAG_ERROR, stderr);
		fprintf(stderr,
			"ERROR: %s: %s: the configuration is not valid; fix the problems "
			"above\n",
			ctx->prog, path);
		ctl_server_config_destroy(cfg);
		d_diags_fini(&dg);
		D_FREE(path);
		return rc;
	}
	*out = cfg;
	*path_out = path;
	*notes = dg;
	return 0;
}

/* Open the control log as the configuration says; -b/--debug forces DEBUG. */
static int
start_logging(struct d_cli_ctx *ctx, const struct ctl_server_config *cfg)
{
	enum d_log_level lvl = D_LL_INFO;
	struct d_errbuf	 eb = {{0}};

	if (cfg->control_log_mask != NULL &&
	    d_log_control_mask_parse(cfg->control_log_mask, &lvl, &eb) != 0) {
		start_fail(ctx, "control_log_mask: %s", eb.msg);
		return -DER_INVAL;
	}
	if (d_cli_has(ctx, "debug"))
		lvl = D_LL_DEBUG;
	if (d_log_open(ctx->prog, cfg->control_log_file, lvl) != 0) {
		start_fail(ctx,
			   "cannot open control_log_file \"%s\": %s; check that its "
			   "directory exists and is writable",
			   cfg->control_log_file, strerror(errno));
		return -DER_IO;
	}
	if (cfg->control_log_json)
		d_log_set_json(true);
	return 0;
}

/*
 * The control port holds up to a thousand connections of strangers besides
 * the real clients (rpc_server.c): raise the soft limit on open files to the
 * hard one, as upstream's runtime does.
 */
static void
raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return;
	if (rl.rlim_cur < NOFILE_WANT && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max < NOFILE_WANT ? rl.rlim_max : NOFILE_WANT;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
			getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur < NOFILE_WANT)
		D_WARN("open files limit is %llu (hard limit %llu): with many connections to the "
		       "control port, the oldest unauthenticated ones are closed early; raise "
		       "LimitNOFILE (systemd) or ulimit -n to %d",
		       (unsigned long long)rl.rlim_cur, (unsigned long long)rl.rlim_max,
		       NOFILE_WANT);
}

static int
start_run(struct d_cli_ctx *ctx)
{
	struct ctl_server_config *cfg = NULL;
	struct ctl_rpc_server	 *srv = NULL;
	struct srv_state	  st = {0};
	struct srv_mgmt_live	 *live = NULL;
	struct d_errbuf		  eb = {{0}}, web;
	struct d_diags		  notes;
	char			 *path = NULL, *active = NULL;
	char			  addr[INET_ADDRSTRLEN] = "0.0.0.0";
	struct srv_claims	  claims = {0};
	int			  lock_fd = -1, rc;

	install_signals();
	if (start_config(ctx, &cfg, &path, &notes) != 0)
		return 1;
	rc = start_logging(ctx, cfg);
	if (rc == 0) {
		/* Notices of validation: deprecations, the discovery-mode line. */
		D_INFO("DAOS Server config loaded from %s", path);
		for (size_t i = 0; i < notes.n; i++)
			D_INFO("%s%s%s", notes.v[i].key ? notes.v[i].key : "",
			       notes.v[i].key ? ": " : "", notes.v[i].msg);
	}
	d_diags_fini(&notes);
	if (rc != 0)
		goto out;
	raise_nofile();

	rc = d_mkdir_p(cfg->socket_dir, 0755, &web);
	if (rc != 0)
		d_errbuf_set(&eb, "cannot create socket_dir %s: %s", cfg->socket_dir, web.msg);
	if (rc == 0)
		rc = srv_lock_take(cfg->socket_dir, &lock_fd, &eb);
	if (rc == 0)
		rc = srv_claim_storage(cfg, &claims, &eb);
	if (rc == 0 && cfg->control_iface != NULL)
		rc = iface_ipv4(cfg->control_iface, addr, sizeof(addr), &eb);
	if (rc != 0) {
		start_fail(ctx, "%s", eb.msg);
		goto out;
	}

	{
		struct d_tls_cfg tls = {
			.allow_insecure = cfg->transport.allow_insecure,
			.ca_cert = cfg->transport.ca_cert,
			.cert = cfg->transport.cert,
			.key = cfg->transport.key,
			.client_cert_dir = cfg->transport.client_cert_dir,
		};
		struct ctl_rpc_server_cfg rcfg = {
			.addr = cfg->control_iface != NULL ? addr : NULL,
			.port = (uint16_t)cfg->port,
			.tls = &tls,
			.methods = srv_methods,
			.nr_methods = srv_nr_methods,
			.arg = &st,
			.notify = on_rpc_event,
		};

		st.cfg = cfg;
		gethostname(st.hostname, sizeof(st.hostname) - 1);
		snprintf(st.listen_host, sizeof(st.listen_host), "%s", addr);
		rc = ctl_rpc_server_create(&rcfg, &srv, &eb);
		/* A daos_server presenting another role's certificate would be refused by
		 * every peer (or worse, trusted as that role): refuse to start instead. */
		if (rc == 0 && !ctl_rpc_server_insecure(srv) &&
		    ctl_rpc_server_component(srv) != D_COMP_SERVER) {
			enum d_tls_component c = ctl_rpc_server_component(srv);
			char		     what[64] = "a certificate of no DAOS role";

			if (c != D_COMP_UNDEFINED)
				snprintf(what, sizeof(what), "the %s certificate (CN=%s)",
					 d_tls_component_name(c), d_tls_component_name(c));
			d_errbuf_set(&eb,
				     "certificate at path \"%s\" is %s: transport_config.cert of "
				     "daos_server must be the server certificate (CN=server, "
				     "server.crt from gen_certificates.sh)",
				     tls.cert, what);
			rc = -DER_BAD_CERT;
		}
		/* Same material as the listener, so a load error is reported once, above. */
		if (rc == 0)
			rc = ctl_rpc_client_create(&tls, D_COMP_SERVER, &st.client, &eb);
		/* The MS lives on the bootstrap replica only (no raft: one replica). */
		if (rc == 0 && srv_replica_index(cfg) == 0)
			rc = srv_mgmt_create(&st, &st.ms, &eb);
	}
	if (rc == -DER_EXIST) {
		char comm[64];
		int  pid;

		if (srv_port_owner((uint16_t)cfg->port, &pid, comm, sizeof(comm)) == 0)
			start_fail(ctx,
				   "port %lld is already in use by %s (pid %d); stop it or "
				   "set a different `port` (-p)",
				   (long long)cfg->port, comm, pid);
		else
			start_fail(ctx, "%s", eb.msg);
		goto out;
	} else if (rc != 0) {
		start_fail(ctx, "%s", eb.msg);
		goto out;
	}

	rc = ctl_server_config_save_active(cfg, cfg->socket_dir, &active, &eb);
	if (rc != 0) {
		start_fail(ctx, "%s", eb.msg);
		goto out;
	}
	D_INFO("active config saved to %s (read-only)", active);
	if (ctl_rpc_server_insecure(srv))
		D_WARN("transport_config: allow_insecure is true: the control plane runs without "
		       "TLS and without authorization; anyone who reaches port %lld can manage "
		       "this server. Never use this in production",
		       (long long)cfg->port);

	start_server = srv;
	if (start_signal != 0) /* a stop request arrived before the handler could act */
		ctl_rpc_server_stop(srv);
	D_INFO("DAOS Control Server v%s (pid %d) listening on %s:%u", DAOS_VERSION, (int)getpid(),
	       addr, ctl_rpc_server_port(srv));
	live = srv_mgmt_live_start(st.ms);
	/* As upstream: the dRPC server and the engines come once the control plane listens. */
	if (cfg->nengines > 0) {
		rc = srv_engines_create(&st, &srv_join_hooks, &st.engines, &eb);
		if (rc != 0) {
			start_fail(ctx, "%s", eb.msg);
			goto out;
		}
		srv_engines_start_all(st.engines);
		if (d_cli_has(ctx, "auto-format"))
			srv_auto_format(&st);
	}
	ctl_rpc_server_run(srv);
	D_INFO("DAOS Control Server (pid %d) shutting down (signal %d)", (int)getpid(),
	       (int)start_signal);
	start_server = NULL;
	rc = 0;
out:
	start_server = NULL;
	/* Before the engines stop: a departing MS must not report its own ranks Unresponsive. */
	srv_mgmt_live_stop(live);
	/* Engines stop while the RPC server no longer serves: nothing can start one again. */
	srv_engines_destroy(st.engines);
	st.engines = NULL;
	ctl_rpc_server_destroy(srv);
	srv_mgmt_destroy(st.ms);
	ctl_rpc_client_destroy(st.client);
	srv_release_storage(&claims);
	if (cfg != NULL)
		srv_lock_release(cfg->socket_dir, lock_fd);
	D_FREE(active);
	D_FREE(path);
	ctl_server_config_destroy(cfg);
	return rc == 0 ? 0 : 1;
}

static const struct d_cli_opt start_opts[] = {
	{.short_name = 'o',
	 .long_name = "config",
	 .type = D_OPT_STR,
	 .arg_name = "PATH",
	 .help = "Server config file path"},
	{.short_name = 'p',
	 .long_name = "port",
	 .type = D_OPT_STR,
	 .help = "Port for the gRPC service"},
	{.short_name = 's',
	 .long_name = "storage",
	 .type = D_OPT_STR,
	 .help = "Storage path (deprecated: overrides engine 0's scm_mount)"},
	{.short_name = 'm',
	 .long_name = "modules",
	 .type = D_OPT_STR,
	 .help = "List of server modules to load"},
	{.short_name = 't',
	 .long_name = "targets",
	 .type = D_OPT_STR,
	 .help = "Number of targets to use (default use all cores)"},
	{.short_name = 'x',
	 .long_name = "xshelpernr",
	 .type = D_OPT_STR,
	 .help = "Number of helper XS per VOS target"},
	{.short_name = 'f',
	 .long_name = "firstcore",
	 .type = D_OPT_STR,
	 .help = "Index of first core for service thread"},
	{.short_name = 'g', .long_name = "group", .type = D_OPT_STR, .help = "Server group name"},
	{.short_name = 'd',
	 .long_name = "socket_dir",
	 .type = D_OPT_STR,
	 .help = "Location for all daos_server & daos_engine sockets"},
	{.short_name = 'i', .long_name = "insecure", .help = "Allow for insecure connections"},
	{.long_name = "auto-format",
	 .help = "Automatically format storage on server start to bring-up engines without "
		 "requiring dmg storage format command"},
	{0},
};

const struct d_cli_cmd srv_start_cmd = {
	.name = "start",
	.help = "Start daos_server",
	.opts = start_opts,
	.run = start_run,
};
