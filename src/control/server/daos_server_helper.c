/*
 * daos_server_helper: the privileged operations of an unprivileged
 * daos_server (SCM mounts, unmounts and mkfs), one request per run.
 * Installed setuid root, mode 4750 root:daos_server, so that only the
 * daos_server group may run it; daos_server spawns it with the request on
 * its stdin and reads the response on its stdout (wire in storage.h).
 *
 * It trusts nothing it is given: when the caller is not root, the
 * environment is dropped (PATH fixed for mkfs.ext4), the configuration file
 * must be one only root can change, every path and device must be the SCM
 * of an engine of that file, and only root may be able to change the
 * directories above them (else a symlink swapped in after the checks could
 * send the mount or mkfs elsewhere).  The mount's root then belongs to the
 * caller (mode 0755), so that daos_server and its engines, running as that
 * user, can write there.  Each request and its outcome go to the config's
 * helper_log_file when it names one (opened without following a symlink).
 *
 * Not here: bdev devices (`daos_server nvme prepare -u USER`, run as root,
 * gives them to the user), PMem namespaces and hugepages (`scm prepare`,
 * `nvme prepare`, run as root), anything daos_server can do itself.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "common/yaml_doc.h"
#include "control/lib/config/config.h"
#include "control/lib/storage/storage.h"

#define SAFE_PATH "/usr/sbin:/usr/bin:/sbin:/bin"

static int
respond(int status, const char *msg)
{
	char  *text = ctl_helper_resp_format(status, msg);
	size_t len, off = 0;

	if (text == NULL)
		return 1;
	len = strlen(text);
	while (off < len) {
		ssize_t n = write(1, text + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	D_FREE(text);
	return status == 0 ? 0 : 1;
}

static int
read_request(char *buf, size_t cap, size_t *len, struct d_errbuf *eb)
{
	size_t n = 0;

	for (;;) {
		ssize_t r = read(0, buf + n, cap - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			d_errbuf_set(eb, "cannot read the request: %s", strerror(errno));
			return -DER_IO;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n == cap) {
			d_errbuf_set(eb, "request longer than %d bytes", CTL_HELPER_REQ_MAX);
			return -DER_INVAL;
		}
	}
	*len = n;
	return 0;
}

/* Log to helper_log_file (never through a symlink an unprivileged user planted). */
static void
open_log(const struct ctl_server_config *cfg)
{
	struct stat st;
	int	    fd;

	if (cfg->helper_log_file == NULL || cfg->helper_log_file[0] == '\0')
		return;
	fd = open(cfg->helper_log_file, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW,
		  0640);
	if (fd < 0)
		return;
	/* Not a hard link some user made to a file of root's, not a file of another user. */
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_nlink != 1 ||
	    (st.st_uid != 0 && st.st_uid != geteuid())) {
		close(fd);
		return;
	}
	d_log_open_fd(CTL_HELPER_BIN, fd, D_LL_INFO);
}

/* The mount's root belongs to the caller, whoever mounted it. */
static int
give_mount(const char *dir, uid_t uid, gid_t gid, struct d_errbuf *eb)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	int rc = 0;

	if (fd < 0 || fchown(fd, uid, gid) != 0 || fchmod(fd, 0755) != 0) {
		d_errbuf_set(eb, "cannot give %s to uid %u: %s", dir, (unsigned)uid,
			     strerror(errno));
		rc = d_errno2der(errno);
	}
	if (fd >= 0)
		close(fd);
	return rc;
}

static int
perform(const struct ctl_server_config *cfg, const struct ctl_helper_req *req, uint32_t idx,
	uid_t uid, gid_t gid, struct d_errbuf *eb)
{
	const struct ctl_engine *e = &cfg->engines[idx];
	const struct ctl_tier	*t = &e->storage[0];
	struct ctl_ramdisk	 rd = {0};
	int			 rc;

	switch (req->op) {
	case CTL_HELPER_SCM_MOUNT_RAM:
		rd.size_gib = req->size_gib;
		rd.numa_node = e->pinned_numa_node_set ? (int)e->pinned_numa_node : -1;
		rd.hugepages_disabled = t->scm_hugepages_disabled;
		rc = ctl_scm_ram_mount(req->mount, &rd, eb);
		break;
	case CTL_HELPER_SCM_MOUNT_DCPM:
		rc = ctl_scm_dcpm_mount(req->device, req->mount, eb);
		break;
	case CTL_HELPER_SCM_MKFS_DCPM:
		return ctl_scm_dcpm_mkfs(req->device, true, eb);
	case CTL_HELPER_SCM_UNMOUNT:
		return ctl_scm_unmount(req->mount, eb);
	default:
		d_errbuf_set(eb, "unknown op");
		return -DER_INVAL;
	}
	if (rc == 0)
		rc = give_mount(req->mount, uid, gid, eb);
	return rc;
}

int
main(int argc, char **argv)
{
	static char		  buf[CTL_HELPER_REQ_MAX + 1];
	static char		  real[PATH_MAX];
	struct ctl_server_config *cfg = NULL;
	struct ctl_helper_req	  req;
	struct d_errbuf		  eb = {{0}};
	struct d_diags		  dg;
	uid_t			  uid = getuid();
	gid_t			  gid = getgid();
	uint32_t		  idx;
	size_t			  len;
	int			  rc;

	(void)argv;
	/* Dispositions the caller set must not kill us after we acted, or lose our child. */
	signal(SIGCHLD, SIG_DFL);
	signal(SIGPIPE, SIG_DFL);
	signal(SIGXFSZ, SIG_IGN);
	if (uid != geteuid()) {
		/* Setuid: nothing of the caller's environment reaches mkfs or the hw layer. */
		if (clearenv() != 0 || setenv("PATH", SAFE_PATH, 1) != 0)
			return respond(-DER_NOMEM, "cannot reset the environment");
	}
	umask(022);
	if (argc != 1) {
		fprintf(stderr,
			"%s performs the privileged storage operations of daos_server; it reads "
			"one request on stdin and takes no arguments\n",
			CTL_HELPER_BIN);
		return 2;
	}
	rc = read_request(buf, sizeof(buf), &len, &eb);
	if (rc == 0)
		rc = ctl_helper_req_parse(buf, len, &req, &eb);
	if (rc != 0)
		return respond(rc, eb.msg);
	rc = ctl_helper_config_trusted(req.config, uid, real, sizeof(real), &eb);
	if (rc != 0)
		return respond(rc, eb.msg);
	/* the file checked, not the path given (a link could be swapped meanwhile) */
	d_diags_init(&dg, req.config);
	rc = ctl_server_config_load(real, &cfg, &dg);
	if (rc != 0) {
		char *first = dg.n > 0 ? d_diag_format(&dg, &dg.v[0]) : NULL;

		d_errbuf_set(&eb, "cannot load %s: %s", req.config,
			     first != NULL ? first : d_errstr(rc));
		D_FREE(first);
		d_diags_fini(&dg);
		return respond(rc, eb.msg);
	}
	d_diags_fini(&dg);
	open_log(cfg);
	rc = ctl_helper_req_check(cfg, &req, uid, &idx, &eb);
	if (rc == 0 && req.mount[0] != '\0')
		rc = ctl_helper_path_trusted(req.mount, "scm_mount", uid, &eb);
	if (rc == 0 && req.device[0] != '\0')
		rc = ctl_helper_path_trusted(req.device, "scm_list device", uid, &eb);
	if (rc == 0 && uid != geteuid() && (setresgid(0, 0, 0) != 0 || setresuid(0, 0, 0) != 0)) {
		d_errbuf_set(&eb, "cannot become root: %s", strerror(errno));
		rc = -DER_NO_PERM;
	}
	if (rc == 0)
		rc = perform(cfg, &req, idx, uid, gid, &eb);
	if (rc != 0)
		D_ERROR("uid %u: %s %s%s: %s", (unsigned)uid, ctl_helper_op_name(req.op),
			req.device[0] != '\0' ? req.device : req.mount,
			req.device[0] != '\0' && req.mount[0] != '\0' ? " (mount)" : "", eb.msg);
	else
		D_INFO("uid %u: %s %s%s%s: done", (unsigned)uid, ctl_helper_op_name(req.op),
		       req.device, req.device[0] != '\0' && req.mount[0] != '\0' ? " on " : "",
		       req.mount);
	ctl_server_config_destroy(cfg);
	return respond(rc, eb.msg);
}
