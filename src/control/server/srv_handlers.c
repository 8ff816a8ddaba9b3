/*
 * Control RPC handlers of `daos_server start`: StorageScan, NetworkScan and
 * GetVersion, each scanning this host (or the DAOS_HW_ROOT fixture) per
 * request.  Authorization and version checks happen in front of them in
 * rpc.c; handlers only decode, scan and encode.  Format and system methods
 * come with later issues.
 *
 * A network scan runs in a forked child: libfabric and the provider
 * libraries it loads stay mapped until exit (~4.5 MiB resident here), hwloc
 * and its plugins another ~1.5 MiB, and PSM's constructor replaces the
 * SIGINT/SIGTERM handlers with its own, which would turn a clean stop into
 * exit(1).  The child scans, sends the packed response (or the error)
 * through a pipe and exits; the daemon stays small.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>

#include "daos_build.h"
#include "common/log.h"
#include "control/lib/ctl_net.h"
#include "control/lib/ctl_storage.h"
#include "control/lib/rpc_conv.h"
#include "control/server/srv_engine.h"
#include "control/server/srv_format.h"
#include "control/server/srv_internal.h"
#include "control/server/srv_mgmt.h"

/* Upstream's NvmeBasic: a scan that did not ask for health carries none. */
static void
strip_health(struct ctl_storage_scan *scan)
{
	for (int i = 0; i < scan->nr_ctrlrs; i++) {
		free(scan->ctrlrs[i].health);
		scan->ctrlrs[i].health = NULL;
		free(scan->ctrlrs[i].info);
		scan->ctrlrs[i].info = NULL;
	}
}

static int
h_storage_scan(void *arg, const struct ctl_rpc_peer *peer, const uint8_t *req, size_t req_len,
	       uint8_t **resp, size_t *resp_len, struct d_errbuf *eb)
{
	struct ctl_storage_scan *scan;
	unsigned int		 flags;
	int			 rc;

	(void)arg;
	rc = ctl_storage_scan_req_unpack(req, req_len, &flags, eb);
	if (rc != 0)
		return rc;
	/* An empty request is the default scan: everything but health. */
	if ((flags & (CTL_SCAN_SCM | CTL_SCAN_NVME | CTL_SCAN_MEM)) == 0)
		flags |= CTL_SCAN_SCM | CTL_SCAN_NVME | CTL_SCAN_MEM;
	D_DEBUG("StorageScan from %s (flags 0x%x)", peer->addr, flags);
	rc = ctl_storage_scan(flags, &scan, eb);
	if (rc != 0) {
		D_ERROR("storage scan for %s failed: %s", peer->addr, eb->msg);
		return rc;
	}
	if (!(flags & CTL_SCAN_HEALTH))
		strip_health(scan);
	rc = ctl_storage_scan_pack(scan, resp, resp_len);
	ctl_storage_scan_free(scan);
	if (rc != 0)
		d_errbuf_set(eb, "cannot encode the storage scan: %s", d_errstr(rc));
	return rc;
}

/* A child that does not answer within this time is killed (a hung provider). */
#define NET_SCAN_CHILD_MS 120000

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

/*
 * Child side: only this thread exists after fork(); it must not take locks
 * other threads may have held (the log), so it never logs.  Message:
 * int32 rc, uint32 length, then the response body or the error text.
 */
static void __attribute__((noreturn)) net_scan_child(int fd, const char *prov)
{
	struct d_errbuf eb = {{0}};
	uint8_t	       *body = NULL;
	size_t		len = 0;
	int32_t		rc;
	uint32_t	n;

	rc = net_scan_packed(prov, &body, &len, &eb);
	if (rc != 0) {
		body = (uint8_t *)eb.msg;
		len = strlen(eb.msg);
	}
	n = (uint32_t)len;
	if (!write_all(fd, &rc, sizeof(rc)) || !write_all(fd, &n, sizeof(n)) ||
	    !write_all(fd, body, len))
		_exit(1);
	_exit(0);
}

/* Read everything the child sends until EOF, within the deadline. */
static int
read_child(int fd, uint8_t **buf, size_t *len, int64_t deadline)
{
	size_t	 cap = 4096, off = 0;
	uint8_t *b = malloc(cap);

	if (b == NULL)
		return -DER_NOMEM;
	for (;;) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		int64_t	      left = deadline - d_tls_now_ms();
		ssize_t	      n;

		if (left <= 0) {
			free(b);
			return -DER_TIMEDOUT;
		}
		if (poll(&pfd, 1, (int)left) < 0 && errno != EINTR) {
			free(b);
			return -DER_IO;
		}
		if (pfd.revents == 0)
			continue;
		if (off == cap) {
			uint8_t *nb = realloc(b, cap * 2);

			if (nb == NULL) {
				free(b);
				return -DER_NOMEM;
			}
			b = nb;
			cap *= 2;
		}
		n = read(fd, b + off, cap - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			free(b);
			return -DER_IO;
		}
		if (n == 0)
			break;
		off += (size_t)n;
	}
	*buf = b;
	*len = off;
	return 0;
}

static int
net_scan_in_child(const char *prov, uint8_t **resp, size_t *resp_len, struct d_errbuf *eb)
{
	uint8_t *msg = NULL;
	size_t	 len = 0;
	int	 fds[2], status, rc;
	int32_t	 crc;
	uint32_t n;
	pid_t	 pid;

	if (pipe2(fds, O_CLOEXEC) != 0) {
		d_errbuf_set(eb, "network scan: cannot create a pipe: %s", strerror(errno));
		return d_errno2der(errno);
	}
	pid = fork();
	if (pid < 0) {
		rc = d_errno2der(errno);
		d_errbuf_set(eb, "network scan: cannot fork: %s", strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return rc;
	}
	if (pid == 0) {
		close(fds[0]);
		net_scan_child(fds[1], prov);
	}
	close(fds[1]);
	rc = read_child(fds[0], &msg, &len, d_tls_now_ms() + NET_SCAN_CHILD_MS);
	close(fds[0]);
	if (rc == -DER_TIMEDOUT)
		kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (rc == -DER_TIMEDOUT) {
		d_errbuf_set(eb,
			     "network scan did not finish within %d s (libfabric provider "
			     "hung?); it was stopped",
			     NET_SCAN_CHILD_MS / 1000);
		goto out;
	}
	if (rc != 0) {
		d_errbuf_set(eb, "network scan: cannot read the scan result: %s", d_errstr(rc));
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
	*resp = malloc(n > 0 ? n : 1);
	if (*resp == NULL) {
		rc = -DER_NOMEM;
		goto out;
	}
	memcpy(*resp, msg + sizeof(crc) + sizeof(n), n);
	*resp_len = n;
out:
	free(msg);
	return rc;
}

static int
h_net_scan(void *arg, const struct ctl_rpc_peer *peer, const uint8_t *req, size_t req_len,
	   uint8_t **resp, size_t *resp_len, struct d_errbuf *eb)
{
	const struct srv_state *st = arg;
	const char	       *prov;
	char		       *provider = NULL;
	int			rc;

	rc = ctl_net_scan_req_unpack(req, req_len, &provider, eb);
	if (rc != 0)
		return rc;
	/* Upstream: no provider in the request means the configured one, else all. */
	prov = provider;
	if (prov == NULL || prov[0] == '\0')
		prov = st->cfg->fabric.provider;
	if (prov != NULL && strcasecmp(prov, "all") == 0)
		prov = NULL;
	D_DEBUG("NetworkScan from %s (provider %s)", peer->addr, prov ? prov : "all");
	rc = net_scan_in_child(prov, resp, resp_len, eb);
	free(provider);
	if (rc != 0)
		D_ERROR("network scan for %s failed: %s", peer->addr, eb->msg);
	return rc;
}
static int
h_version(void *arg, const struct ctl_rpc_peer *peer, const uint8_t *req, size_t req_len,
	  uint8_t **resp, size_t *resp_len, struct d_errbuf *eb)
{
	const struct srv_state	 *st = arg;
	struct ctl_server_version v = {
		.name = (char *)"DAOS Control Server",
		.version = (char *)DAOS_VERSION,
		.revision = (char *)DAOS_REVISION,
		.hostname = (char *)st->hostname,
	};
	int rc;

	(void)req;
	(void)req_len;
	D_DEBUG("GetVersion from %s", peer->addr);
	rc = ctl_server_version_pack(&v, resp, resp_len);
	if (rc != 0)
		d_errbuf_set(eb, "cannot encode the version: %s", d_errstr(rc));
	return rc;
}

const struct ctl_rpc_method srv_methods[] = {
	{"GetVersion", h_version},
	{"NetworkScan", h_net_scan},
	{"StorageFormat", srv_h_storage_format},
	{"StorageScan", h_storage_scan},
	{"Join", srv_h_join},
	{"ClusterEvent", srv_h_cluster_event},
	{"LeaderQuery", srv_h_leader_query},
	{"SystemQuery", srv_h_system_query},
	{"SystemStop", srv_h_system_stop},
	{"SystemStart", srv_h_system_start},
	{"SystemErase", srv_h_system_erase},
	SRV_ENGINE_METHODS,
};
const int srv_nr_methods = (int)D_ARRAY_SIZE(srv_methods);
