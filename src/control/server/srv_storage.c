/*
 * The storage decisions of daos_server (srv_storage.h): is an engine's SCM
 * formatted, mounting a formatted dcpm file system, the automatic tmpfs
 * size, the engine's hugepage memory and daos_nvme.conf, on top of the
 * storage library (mounts, superblock, daos_nvme.conf) and the hw library
 * (ctl_hw()->meminfo: the machine's or a fixture's memory figures), and
 * the requests to daos_server_helper, which mounts, unmounts and makes file
 * systems for us (we may run unprivileged).  The format flow itself is
 * srv_format.c; the engine processes srv_engine.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/log.h"
#include "control/lib/hw/hw.h"
#include "control/lib/storage/storage.h"
#include "control/server/srv_internal.h"
#include "control/server/srv_storage.h"

#ifndef TMPFS_MAGIC
#define TMPFS_MAGIC 0x01021994
#endif

#define GIB (1ULL << 30)

/* mkfs.ext4 of a large PMem namespace takes a while; a hung one is stopped. */
#define HELPER_TIMEOUT_MS (10 * 60 * 1000)

/* ---- daos_server_helper ---------------------------------------------------------- */

int
srv_helper_run(const struct ctl_server_config *cfg, struct ctl_helper_req *req, struct d_errbuf *eb)
{
	struct d_errbuf ceb = {{0}};
	uint8_t	       *out = NULL;
	size_t		len = 0;
	char	       *text = NULL, *exe = NULL;
	char	       *argv[2];
	int		status = 0, st = 0, rc;

	if (cfg->path == NULL || realpath(cfg->path, req->config) == NULL) {
		d_errbuf_set(eb,
			     "%s %s: the storage helper acts only on the engines of a "
			     "configuration file; start daos_server with -o <daos_server.yml>",
			     cfg->path != NULL ? "cannot find the configuration file"
					       : "no configuration file",
			     cfg->path != NULL ? strerror(errno) : "was loaded");
		return -DER_INVAL;
	}
	text = ctl_helper_req_format(req);
	if (text == NULL) {
		d_errbuf_set(eb, "%s of %s%s: cannot write the request (a newline in a path?)",
			     ctl_helper_op_name(req->op), req->mount, req->device);
		return -DER_INVAL;
	}
	rc = srv_find_binary(CTL_HELPER_BIN, "src/control/server", &exe, &ceb);
	if (rc != 0) {
		d_errbuf_set(eb, "%s", ceb.msg);
		goto out;
	}
	argv[0] = exe;
	argv[1] = NULL;
	rc = srv_child_run(exe, argv, text, strlen(text), false, HELPER_TIMEOUT_MS, &out, &len,
			   &status, &ceb);
	if (rc != 0) {
		d_errbuf_set(eb, "%s", ceb.msg);
		goto out;
	}
	rc = ctl_helper_resp_parse((const char *)out, len, &st, eb);
	if (rc != 0) {
		d_errbuf_set(eb, "%s ended without an answer (%s %d)", exe,
			     WIFSIGNALED(status) ? "signal" : "exit status",
			     WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
		goto out;
	}
	rc = st;
out:
	D_FREE(out);
	D_FREE(exe);
	D_FREE(text);
	return rc;
}

int
srv_scm_unmount(const struct ctl_server_config *cfg, const char *mnt, struct d_errbuf *eb)
{
	struct ctl_helper_req req = {.op = CTL_HELPER_SCM_UNMOUNT};

	snprintf(req.mount, sizeof(req.mount), "%s", mnt);
	return srv_helper_run(cfg, &req, eb);
}

/* ---- is the SCM formatted ------------------------------------------------------- */

/* Is `path` the root of a mount (its device differs from its parent's)? */
static bool
is_mount_point(const char *path)
{
	struct stat st, pst;
	char	   *parent = d_asprintf("%s/..", path);
	bool	    rc = false;

	if (parent != NULL && stat(path, &st) == 0 && stat(parent, &pst) == 0)
		rc = st.st_dev != pst.st_dev || st.st_ino == pst.st_ino;
	D_FREE(parent);
	return rc;
}

/*
 * Does `dev` hold an ext4 (or ext2/3) file system?  The superblock lives at
 * byte 1024 and carries the magic 0xEF53 at offset 0x38; reading it
 * directly avoids running blkid for a yes/no answer.
 */
static bool
dev_has_extfs(const char *dev)
{
	unsigned char m[2];
	int	      fd = open(dev, O_RDONLY | O_CLOEXEC);
	bool	      rc;

	if (fd < 0)
		return false;
	rc = pread(fd, m, sizeof(m), 1024 + 0x38) == (ssize_t)sizeof(m) && m[0] == 0x53 &&
	     m[1] == 0xEF;
	close(fd);
	return rc;
}

static bool
dcpm_unmounted(const struct ctl_tier *scm)
{
	return scm->class == CTL_CLASS_DCPM && scm->scm_mount != NULL &&
	       !is_mount_point(scm->scm_mount);
}

/*
 * A dcpm tier whose mount point is not mounted: NULL when it could be
 * mounted (its device holds the file system and the mount point directory
 * exists), else "SCM" with the reason in *why.
 */
static const char *
dcpm_unmountable(const struct ctl_tier *scm, char *why, size_t why_len)
{
	const char *dev = scm->scm_list.n > 0 ? scm->scm_list.v[0] : NULL;
	struct stat st;

	if (dev == NULL) {
		snprintf(why, why_len, "no scm_list device for %s", scm->scm_mount);
		return "SCM";
	}
	if (!dev_has_extfs(dev)) {
		snprintf(why, why_len, "%s is not mounted and %s holds no file system",
			 scm->scm_mount, dev);
		return "SCM";
	}
	if (stat(scm->scm_mount, &st) != 0 || !S_ISDIR(st.st_mode)) {
		snprintf(why, why_len,
			 "filesystem exists on device %s but mount-point path %s does not exist",
			 dev, scm->scm_mount);
		return "SCM";
	}
	return NULL;
}

int
srv_scm_mount(const struct ctl_server_config *cfg, const struct ctl_tier *scm, struct d_errbuf *eb)
{
	struct ctl_helper_req req = {.op = CTL_HELPER_SCM_MOUNT_DCPM};
	char		      why[512];

	if (!dcpm_unmounted(scm) || dcpm_unmountable(scm, why, sizeof(why)) != NULL)
		return 0;
	snprintf(req.device, sizeof(req.device), "%s", scm->scm_list.v[0]);
	snprintf(req.mount, sizeof(req.mount), "%s", scm->scm_mount);
	return srv_helper_run(cfg, &req, eb);
}

const char SRV_SB_DAMAGED[] = "Damaged superblock";

const char *
srv_scm_format_needed(const struct ctl_tier *scm, char *why, size_t why_len)
{
	const char   *mnt = scm->scm_mount;
	struct statfs sfs;
	char	     *sb;
	bool	      have_sb;

	if (dcpm_unmounted(scm)) {
		const char *need = dcpm_unmountable(scm, why, why_len);

		if (need != NULL)
			return need;
	}
	if (mnt == NULL || !is_mount_point(mnt)) {
		snprintf(why, why_len, "%s is not mounted", mnt ? mnt : "scm_mount");
		return "SCM";
	}
	/* A ram tier is only ours when it is a tmpfs: anything else there is not DAOS's. */
	if (scm->class == CTL_CLASS_RAM && (statfs(mnt, &sfs) != 0 || sfs.f_type != TMPFS_MAGIC)) {
		snprintf(why, why_len, "%s is mounted but not a tmpfs", mnt);
		return "SCM";
	}
	sb = d_asprintf("%s/superblock", mnt);
	have_sb = sb != NULL && access(sb, F_OK) == 0;
	D_FREE(sb);
	if (have_sb) {
		struct ctl_superblock sbk;
		struct d_errbuf	      eb = {{0}};

		if (ctl_superblock_read(mnt, &sbk, &eb) == 0)
			return NULL;
		snprintf(why, why_len, "the superblock is damaged: %s", eb.msg);
		return SRV_SB_DAMAGED;
	}
	snprintf(why, why_len, "no superblock in %s", mnt);
	/* The tmpfs content is rebuilt by an SCM format; a dcpm file system only needs its
	 * superblock. */
	return scm->class == CTL_CLASS_RAM ? "SCM" : "Metadata";
}

/* ---- memory ---------------------------------------------------------------------- */

int
srv_ramdisk_gib(const struct ctl_server_config *cfg, const struct ctl_engine *e, uint64_t *gib,
		struct d_errbuf *eb)
{
	const struct ctl_tier *t = &e->storage[0];
	struct ctl_meminfo     mi = {0};
	uint64_t	       max, huge;
	int		       rc;

	if (t->scm_size > 0) {
		*gib = (uint64_t)t->scm_size;
		return 0;
	}
	/* The machine's /proc/meminfo, or a hardware fixture's. */
	rc = ctl_hw()->meminfo(&mi, eb);
	if (rc == 0) {
		huge = (uint64_t)(cfg->nr_hugepages > 0 ? cfg->nr_hugepages : 0) *
		       mi.hugepage_size_kb * 1024;
		rc = ctl_calc_ramdisk_size(
			mi.mem_total_kb * 1024, huge, (uint64_t)cfg->system_ram_reserved * GIB,
			e->targets > 0 ? (uint64_t)e->targets : 1, cfg->nengines, &max, eb);
	}
	if (rc != 0) {
		char msg[D_ERRBUF_LEN];

		snprintf(msg, sizeof(msg), "%s", eb->msg);
		d_errbuf_set(eb, "cannot size the tmpfs for %s: %s; set scm_size", t->scm_mount,
			     msg);
		return rc;
	}
	if (max < CTL_MIN_RAMDISK_BYTES) {
		d_errbuf_set(eb,
			     "the automatic tmpfs size for %s is %llu MiB, below the minimum of "
			     "4 GiB: total memory minus system_ram_reserved (%lld GiB) and the "
			     "engines' reservations is too small; lower system_ram_reserved or set "
			     "scm_size",
			     t->scm_mount, (unsigned long long)(max >> 20),
			     (long long)cfg->system_ram_reserved);
		return -DER_NOSPACE;
	}
	*gib = max / GIB;
	return 0;
}

int
srv_engine_mem_sizes(const struct ctl_server_config *cfg, uint32_t idx, int64_t *mem, int64_t *hp,
		     struct d_errbuf *eb)
{
	const struct ctl_engine *e = &cfg->engines[idx];
	struct ctl_meminfo	 mi = {0};
	uint64_t		 pages, page_mib, req;
	int			 rc;

	if (e->nstorage <= 1) {
		*mem = 0;
		*hp = 0;
		return 0;
	}
	/* The machine's /proc/meminfo, or a hardware fixture's. */
	rc = ctl_hw()->meminfo(&mi, eb);
	if (rc != 0)
		return rc;
	pages = cfg->nr_hugepages > 0 ? (uint64_t)cfg->nr_hugepages : 0;
	if (pages == 0 && !cfg->disable_hugepages && mi.hugepage_size_kb > 0) {
		rc = ctl_min_hugepages(cfg, mi.hugepage_size_kb, &pages, eb);
		if (rc != 0)
			return rc;
	}
	page_mib = mi.hugepage_size_kb / 1024;
	/*
	 * Upstream's -r/-H figures, for the engine's command line.  Our engines
	 * allocate no DMA memory (no SPDK), so nothing is reserved or checked:
	 * free hugepages are not required, and their absence is not reported.
	 */
	req = pages / (cfg->nengines ? cfg->nengines : 1) * page_mib;
	*mem = (int64_t)req;
	*hp = (int64_t)page_mib;
	D_DEBUG("instance %u: mem_size %lld MiB, hugepage size %lld MiB", idx, (long long)*mem,
		(long long)*hp);
	return 0;
}

/* ---- daos_nvme.conf -------------------------------------------------------------- */

int
srv_nvme_conf_install(const struct ctl_server_config *cfg, uint32_t idx, const char *hostname,
		      char **path, struct d_errbuf *eb)
{
	const struct ctl_engine *e = &cfg->engines[idx];
	struct ctl_nvme_conf	 conf = {0};
	char			*p = NULL;
	int			 rc;

	rc = ctl_nvme_conf_build(&e->storage[1], e->nstorage - 1, hostname, !cfg->disable_vmd,
				 &conf, eb);
	if (rc == 0)
		rc = ctl_nvme_conf_write(e->storage[0].scm_mount, &conf, eb);
	ctl_nvme_conf_fini(&conf);
	if (rc != 0 || path == NULL)
		return rc;
	p = d_asprintf("%s/%s", e->storage[0].scm_mount, CTL_NVME_CONF_NAME);
	if (p == NULL) {
		d_errbuf_set(eb, "out of memory");
		return -DER_NOMEM;
	}
	*path = p;
	return 0;
}
