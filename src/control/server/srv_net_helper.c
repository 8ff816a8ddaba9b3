/*
 * The NetworkScan helper process of `daos_server start`, both sides.
 *
 * Why a separate process: libfabric and the provider libraries it loads
 * stay mapped until exit (~4.5 MiB resident here), hwloc and its plugins
 * another ~1.5 MiB, and PSM's constructor replaces the SIGINT/SIGTERM
 * handlers with its own, which would turn a clean stop into exit(1).
 *
 * Why exec: the daemon is multi-threaded (RPC connections, the engine
 * supervisor, dRPC, management service), and after a bare fork() only
 * async-signal-safe calls are allowed; a malloc, stdio or dlopen lock held
 * by another thread at that moment would deadlock the child.  So the
 * daemon posix_spawn()s its own binary (/proc/self/exe, valid even after
 * the file was replaced) with the hidden subcommand SRV_NET_HELPER_CMD,
 * which scans for the given provider filter and writes one message to its
 * stdout, a pipe: int32 rc, uint32 length, then the packed
 * NetworkScanResp (rc 0) or the error text.  The helper never logs.
 *
 * Not here: the request decoding and the provider default (srv_handlers.c),
 * the scan itself (control/lib/hw).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/log.h"
#include "common/tls.h"
#include "control/lib/hw/hw.h"
#include "control/lib/rpc/rpc.h"
#include "control/server/srv_cmds.h"
#include "control/server/srv_internal.h"

extern char **environ;

/* A helper that does not answer within this time is killed (a hung provider). */
#define NET_SCAN_CHILD_MS 120000

/* ---- helper side ---------------------------------------------------------------- */

/* Scan and pack, in this process. */
static int
net_scan_packed(const char *prov, uint8_t **resp, size_t *resp_len, struct d_errbuf *eb)
{
	struct ctl_net_scan *scan;
	int		     rc;

	rc = ctl_net_scan(prov, NULL, &scan, eb);
	if (rc != 0)
		return rc;
	rc = ctl_net_scan_pack(scan, resp, resp_len);
	ctl_net_scan_free(scan);
	if (rc != 0)
		d_errbuf_set(eb, "cannot encode the network scan: %s", d_errstr(rc));
	return rc;
}

static bool
write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		p += n;
		len -= (size_t)n;
	}
	return true;
}

static int
helper_run(struct d_cli_ctx *ctx)
{
	const char     *prov = d_cli_get(ctx, "provider");
	struct d_errbuf eb = {{0}};
	struct stat	st;
	uint8_t	       *body = NULL;
	const void     *out;
	size_t		len = 0;
	int32_t		rc;
	uint32_t	n;
	bool		ok;

	if (isatty(1) || fstat(1, &st) != 0 || !S_ISFIFO(st.st_mode)) {
		fprintf(stderr,
			"ERROR: %s: `%s' is internal to `daos_server start': it answers one "
			"NetworkScan request and writes a binary result to a pipe, but its "
			"standard output is %s; run `daos_server network scan' instead\n",
			ctx->prog, SRV_NET_HELPER_CMD, isatty(1) ? "a terminal" : "not a pipe");
		return 1;
	}
	/* A hung provider must not outlive the daemon's waiting thread. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	/* The result goes to the daemon, which logs failures itself. */
	d_log_set_level(D_LL_DISABLED);
	rc = net_scan_packed(prov, &body, &len, &eb);
	out = rc == 0 ? (const void *)body : (const void *)eb.msg;
	if (rc != 0)
		len = strlen(eb.msg);
	n = (uint32_t)len;
	ok = write_all(1, &rc, sizeof(rc)) && write_all(1, &n, sizeof(n)) && write_all(1, out, len);
	D_FREE(body);
	return ok ? 0 : 1;
}

static const struct d_cli_opt helper_opts[] = {
	{.long_name = "provider", .type = D_OPT_STR, .arg_name = "PROVIDER", .hidden = true},
	{0},
};

const struct d_cli_cmd srv_net_helper_cmd = {
	.name = SRV_NET_HELPER_CMD,
	.help = "Internal: one network scan for daos_server start",
	.opts = helper_opts,
	.run = helper_run,
	.hidden = true,
};

/* ---- daemon side ---------------------------------------------------------------- */

int
srv_net_scan_run(const char *prov, uint8_t **resp, size_t *resp_len, struct d_errbuf *eb)
{
	uint8_t	       *msg = NULL;
	size_t		len = 0;
	int		status = 0, rc;
	int32_t		crc;
	uint32_t	n;
	char	       *parg = NULL;
	char	       *argv[4] = {(char *)"daos_server", (char *)SRV_NET_HELPER_CMD};
	struct d_errbuf ceb = {{0}};

	if (prov != NULL) {
		parg = d_asprintf("--provider=%s", prov);
		if (parg == NULL)
			return -DER_NOMEM;
		argv[2] = parg;
	}
	/* stderr stays ours, for libfabric's warnings */
	rc = srv_child_run("/proc/self/exe", argv, NULL, 0, true, NET_SCAN_CHILD_MS, &msg, &len,
			   &status, &ceb);
	D_FREE(parg);
	if (rc == -DER_TIMEDOUT) {
		d_errbuf_set(eb,
			     "network scan did not finish within %d s (libfabric provider "
			     "hung?); it was stopped",
			     NET_SCAN_CHILD_MS / 1000);
		goto out;
	}
	if (rc != 0) {
		d_errbuf_set(eb, "network scan: %s", ceb.msg);
		goto out;
	}
	if (len >= sizeof(crc) + sizeof(n)) {
		memcpy(&crc, msg, sizeof(crc));
		memcpy(&n, msg + sizeof(crc), sizeof(n));
	}
	if (len < sizeof(crc) + sizeof(n) || len != sizeof(crc) + sizeof(n) + n) {
		d_errbuf_set(eb, "network scan process ended without a result (%s %d)",
			     WIFSIGNALED(status) ? "signal" : "exit status",
			     WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
		rc = -DER_MISC;
		goto out;
	}
	if (crc != 0) {
		d_errbuf_set(eb, "%.*s", (int)n, (const char *)msg + sizeof(crc) + sizeof(n));
		rc = crc;
		goto out;
	}
	*resp = d_calloc(1, n > 0 ? n : 1);
	if (*resp == NULL) {
		rc = -DER_NOMEM;
		goto out;
	}
	memcpy(*resp, msg + sizeof(crc) + sizeof(n), n);
	*resp_len = n;
out:
	D_FREE(msg);
	return rc;
}
