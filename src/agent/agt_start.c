/*
 * `daos_agent start` (also `daos_agent` with no command): the daemon.
 * Loads daos_agent.yml (-o, else the config directory, else
 * /etc/daos/daos_agent.yml; -i, -s and -l override it), opens its log,
 * checks its runtime directory, listens on <runtime_dir>/daos_agent.sock
 * (mode 0666: every local process is a client) with the dRPC server of
 * src/common, tells systemd it is ready (sd_notify; a no-op when not
 * started by systemd) and waits for signals in the main thread: SIGINT and
 * SIGTERM stop it and remove the socket, SIGUSR2 refreshes its caches,
 * SIGUSR1 is logged and ignored, SIGPIPE is ignored.
 *
 * Not here yet: the dRPC modules (attach info, credentials) and their
 * caches; until they exist a client call is answered with dRPC's
 * "unknown module" status.
 */
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "daos_build.h"
#include "agent/agt_cmds.h"
#include "common/drpc.h"
#include "common/log.h"
#include "common/yaml_doc.h"
#include "control/lib/config/config.h"

#define AGT_SOCK_NAME "daos_agent.sock"

static int start_fail(struct d_cli_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int
start_fail(struct d_cli_ctx *ctx, const char *fmt, ...)
{
	char	buf[D_ERRBUF_LEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (!d_log_to_stderr())
		D_ERROR("%s", buf);
	fprintf(stderr, "ERROR: %s: %s\n", ctx->prog, buf);
	return 1;
}

/* Load, override, validate: every problem printed, one per line. */
static int
load_config(struct d_cli_ctx *ctx, struct ctl_agent_config **out)
{
	struct ctl_agent_overrides ov = {
		.runtime_dir = d_cli_get(ctx, "runtime_dir"),
		.log_file = d_cli_get(ctx, "logfile"),
		.insecure = d_cli_has(ctx, "insecure"),
	};
	struct ctl_agent_config *cfg = NULL;
	struct d_errbuf		 eb = {{0}};
	struct d_diags		 dg;
	char			*path = NULL;
	int			 rc;

	rc = ctl_config_find(CTL_CFG_AGENT, d_cli_get(ctx, "config-path"), NULL, &path, &eb);
	if (rc != 0)
		return start_fail(ctx, "%s", eb.msg);
	d_diags_init(&dg, path);
	rc = ctl_agent_config_load(path, &cfg, &dg);
	if (rc == 0) {
		rc = ctl_agent_config_override(cfg, &ov, &eb);
		if (rc != 0)
			d_diags_add(&dg, D_DIAG_ERROR, 0, NULL, "%s", eb.msg);
	}
	if (rc != 0) {
		d_diags_print(&dg, D_DIAG_ERROR, stderr);
		fprintf(stderr,
			"ERROR: %s: %s: the configuration is not valid; fix the problems "
			"above\n",
			ctx->prog, path);
		ctl_agent_config_destroy(cfg);
		d_diags_fini(&dg);
		D_FREE(path);
		return 1;
	}
	d_diags_fini(&dg);
	D_FREE(path);
	*out = cfg;
	return 0;
}

/* The runtime directory exists, is a directory, and we may create the socket in it. */
static int
check_runtime_dir(struct d_cli_ctx *ctx, const char *dir)
{
	struct stat st;

	if (stat(dir, &st) != 0)
		return start_fail(ctx,
				  "runtime_dir %s: %s; create it (the systemd unit's "
				  "RuntimeDirectory or tmpfiles.d entry does) or set runtime_dir / "
				  "-s to a directory that exists",
				  dir, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return start_fail(ctx, "runtime_dir %s is not a directory", dir);
	if (access(dir, W_OK | X_OK) != 0)
		return start_fail(ctx,
				  "runtime_dir %s is not writable by uid %u (owner uid %u, mode "
				  "%04o); give it to the user daos_agent runs as",
				  dir, (unsigned)geteuid(), (unsigned)st.st_uid,
				  (unsigned)(st.st_mode & 07777));
	return 0;
}

/*
 * A socket left by an agent that died: removed.  One that answers belongs to
 * a running agent: refused, naming it.
 */
static int
clear_stale_socket(struct d_cli_ctx *ctx, const char *sock)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct stat	   st;
	int		   fd, rc;

	if (lstat(sock, &st) != 0)
		return 0;
	if (!S_ISSOCK(st.st_mode))
		return start_fail(ctx, "%s exists and is not a socket; remove it", sock);
	if (strlen(sock) >= sizeof(sa.sun_path))
		return start_fail(ctx, "socket path %s is too long", sock);
	strcpy(sa.sun_path, sock);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return start_fail(ctx, "cannot create a socket: %s", strerror(errno));
	rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	close(fd);
	if (rc == 0)
		return start_fail(ctx,
				  "another daos_agent is listening on %s; stop it or give this one "
				  "another runtime_dir (-s)",
				  sock);
	if (unlink(sock) != 0)
		return start_fail(ctx, "cannot remove the stale socket %s: %s", sock,
				  strerror(errno));
	D_INFO("removed the stale socket %s of an agent that is gone", sock);
	return 0;
}

static void
drpc_note(void *arg, int rc, const char *msg)
{
	(void)arg;
	if (rc != 0)
		D_WARN("dRPC: %s", msg);
	else
		D_DEBUG("dRPC: %s", msg);
}

/* Go's name of a signal, as upstream's log lines print it ("terminated"). */
static const char *
sig_name(int sig, char *buf, size_t len)
{
	snprintf(buf, len, "%s", strsignal(sig));
	buf[0] = (char)tolower((unsigned char)buf[0]);
	return buf;
}

/* Wait for signals in this thread; returns the one that stops the agent. */
static int
wait_signals(const sigset_t *set)
{
	for (;;) {
		char name[64];
		int  sig = 0;

		if (sigwait(set, &sig) != 0)
			continue;
		switch (sig) {
		case SIGUSR1:
			D_INFO("Signal received.  Caught non-fatal %s; continuing",
			       sig_name(sig, name, sizeof(name)));
			break;
		case SIGUSR2:
			D_INFO("Signal received. Caught %s; refreshing caches",
			       sig_name(sig, name, sizeof(name)));
			break;
		default:
			D_INFO("Signal received.  Caught %s; shutting down",
			       sig_name(sig, name, sizeof(name)));
			return sig;
		}
	}
}

static int
start_run(struct d_cli_ctx *ctx)
{
	struct ctl_agent_config *cfg = NULL;
	struct d_drpc_server	*srv = NULL;
	struct d_errbuf		 eb = {{0}};
	sigset_t		 set;
	char			*sock = NULL;
	int			 rc;

	if (load_config(ctx, &cfg) != 0)
		return 1;
	/* -l was opened by d_cli_pre_run(); else log_file, else stderr, as "daos_agent:" */
	if (d_cli_get(ctx, "logfile") == NULL) {
		const char *f = cfg->log_file != NULL && cfg->log_file[0] ? cfg->log_file : NULL;

		if (d_log_open(ctx->prog, f, d_log_get_level()) != 0) {
			rc = start_fail(ctx,
					"cannot open log_file \"%s\": %s; check that its directory "
					"exists and is writable",
					cfg->log_file, strerror(errno));
			goto out;
		}
	}
	D_INFO("Starting DAOS Agent v%s (pid %d)", DAOS_VERSION, (int)getpid());
	if (cfg->transport.allow_insecure)
		D_WARN("transport_config: allow_insecure is true: credentials are not signed and "
		       "the management service is reached without TLS");
	rc = check_runtime_dir(ctx, cfg->runtime_dir);
	if (rc != 0)
		goto out;
	sock = d_asprintf("%s/%s", cfg->runtime_dir, AGT_SOCK_NAME);
	if (sock == NULL) {
		rc = start_fail(ctx, "out of memory");
		goto out;
	}
	rc = clear_stale_socket(ctx, sock);
	if (rc != 0)
		goto out;
	/* Every thread started from here on inherits the mask: only sigwait sees them. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	rc = d_drpc_server_create(sock, 0666, &srv, &eb);
	if (rc == 0) {
		d_drpc_server_set_notify(srv, drpc_note, NULL);
		rc = d_drpc_server_start(srv);
		if (rc != 0)
			d_errbuf_set(&eb, "%s", d_errstr(rc));
	}
	if (rc != 0) {
		rc = start_fail(ctx, "Unable to create socket server: %s: %s", sock, eb.msg);
		goto out;
	}
	D_INFO("DAOS Agent v%s (pid %d) listening on %s", DAOS_VERSION, (int)getpid(), sock);
	rc = sd_notify(0, "READY=1");
	if (rc < 0)
		D_WARN("cannot tell systemd the agent is ready (NOTIFY_SOCKET %s): %s",
		       getenv("NOTIFY_SOCKET") ? getenv("NOTIFY_SOCKET") : "unset", strerror(-rc));
	wait_signals(&set);
	sd_notify(0, "STOPPING=1");
	d_drpc_server_destroy(srv); /* stops it and removes the socket */
	srv = NULL;
	D_INFO("DAOS Agent (pid %d) stopped", (int)getpid());
	rc = 0;
out:
	d_drpc_server_destroy(srv);
	D_FREE(sock);
	ctl_agent_config_destroy(cfg);
	return rc;
}

const struct d_cli_cmd agt_start_cmd = {
	.name = "start",
	.help = "Start daos_agent daemon (default behavior)",
	.run = start_run,
};

int
agt_start_default(struct d_cli_ctx *ctx)
{
	return start_run(ctx);
}
