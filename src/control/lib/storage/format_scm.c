/*
 * The SCM tier of storage format: tmpfs mounts for class ram, mkfs.ext4 and
 * DAX mounts for class dcpm, mount detection through /proc/self/mountinfo and
 * the "is formatted" test (mounted and superblock present).  Also the small
 * program runner used for mkfs.  Does not clear or chown the mount point.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/fs.h"
#include "control/lib/storage/storage.h"

extern char **environ;

#define MOUNTINFO "/proc/self/mountinfo"

/* Upstream mounts SCM without access-time updates. */
#define SCM_MOUNT_FLAGS (MS_NOATIME | MS_NOSUID | MS_NODEV)

/* Undo mountinfo's octal escapes (\040 space, \011 tab, \012 newline, \134 backslash). */
static void
unescape(char *s)
{
	char *w = s;

	for (; *s != '\0'; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*w++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else {
			*w++ = *s;
		}
	}
	*w = '\0';
}

int
ctl_mountinfo_find(const char *text, const char *where, const char *target, struct ctl_mount *out,
		   struct d_errbuf *eb)
{
	struct ctl_mount m;
	bool		 found = false;
	const char	*line = text;
	int		 lineno = 0;

	while (*line != '\0') {
		const char *nl = strchr(line, '\n');
		size_t	    len = nl != NULL ? (size_t)(nl - line) : strlen(line);
		char	    buf[4096];
		char	   *f[6];
		char	   *sep;
		char	   *save = NULL;
		char	   *tail;
		int	    i;

		lineno++;
		if (len >= sizeof(buf)) {
			d_errbuf_set(eb, "%s:%d: line too long", where, lineno);
			return -DER_INVAL;
		}
		memcpy(buf, line, len);
		buf[len] = '\0';
		line += len + (nl != NULL ? 1 : 0);
		if (buf[0] == '\0')
			continue;
		/* The optional fields end at a lone "-"; fstype, source, options follow. */
		sep = strstr(buf, " - ");
		if (sep == NULL)
			goto bad;
		*sep = '\0';
		tail = sep + 3;
		for (i = 0; i < 5; i++) {
			f[i] = strtok_r(i == 0 ? buf : NULL, " ", &save);
			if (f[i] == NULL)
				goto bad;
		}
		unescape(f[4]);
		if (strcmp(f[4], target) != 0)
			continue;
		save = NULL;
		f[0] = strtok_r(tail, " ", &save);
		f[1] = strtok_r(NULL, " ", &save);
		f[2] = strtok_r(NULL, " ", &save);
		if (f[0] == NULL || f[1] == NULL)
			goto bad;
		unescape(f[1]);
		memset(&m, 0, sizeof(m));
		snprintf(m.fstype, sizeof(m.fstype), "%s", f[0]);
		snprintf(m.source, sizeof(m.source), "%s", f[1]);
		snprintf(m.options, sizeof(m.options), "%s", f[2] != NULL ? f[2] : "");
		/* Later lines are mounted on top of earlier ones: keep the last. */
		found = true;
		continue;
	bad:
		d_errbuf_set(eb, "%s:%d: malformed mountinfo line", where, lineno);
		return -DER_INVAL;
	}
	if (!found)
		return -DER_NONEXIST;
	*out = m;
	return 0;
}

int
ctl_mount_lookup(const char *dir, struct ctl_mount *out, struct d_errbuf *eb)
{
	char  real[PATH_MAX];
	char *text = NULL;
	int   rc;

	if (realpath(dir, real) == NULL) {
		if (errno == ENOENT || errno == ENOTDIR)
			return -DER_NONEXIST;
		d_errbuf_set(eb, "cannot resolve %s: %s", dir, strerror(errno));
		return d_errno2der(errno);
	}
	rc = d_file_read(MOUNTINFO, SIZE_MAX, &text, NULL, eb);
	if (rc != 0)
		return rc;
	rc = ctl_mountinfo_find(text, MOUNTINFO, real, out, eb);
	D_FREE(text);
	return rc;
}

/* Refuse to mount over an existing mount. */
static int
check_not_mounted(const char *dir, struct d_errbuf *eb)
{
	struct ctl_mount m;
	int		 rc;

	rc = ctl_mount_lookup(dir, &m, eb);
	if (rc == -DER_NONEXIST)
		return 0;
	if (rc != 0)
		return rc;
	d_errbuf_set(eb, "%s is already mounted (%s from %s); unmount it first or reformat", dir,
		     m.fstype, m.source);
	return strcmp(m.fstype, "tmpfs") == 0 ? -DER_EXIST : -DER_BUSY;
}

/* Refuse to mount over files: the mount would hide them. */
static int
check_empty(const char *dir, struct d_errbuf *eb)
{
	DIR	      *d = opendir(dir);
	struct dirent *de;
	char	       first[256] = "";
	size_t	       n = 0;

	if (d == NULL) {
		d_errbuf_set(eb, "cannot read %s: %s", dir, strerror(errno));
		return d_errno2der(errno);
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (n++ == 0)
			snprintf(first, sizeof(first), "%s", de->d_name);
	}
	closedir(d);
	if (n == 0)
		return 0;
	if (n == 1)
		d_errbuf_set(eb,
			     "scm_mount %s is not empty (it holds \"%s\"): mounting SCM there "
			     "would hide it; move it away or set scm_mount to an empty directory",
			     dir, first);
	else
		d_errbuf_set(eb,
			     "scm_mount %s is not empty (it holds \"%s\" and %zu more): mounting "
			     "SCM there would hide them; move them away or set scm_mount to an "
			     "empty directory",
			     dir, first, n - 1);
	return -DER_BUSY;
}

int
ctl_scm_unmount(const char *dir, struct d_errbuf *eb)
{
	struct ctl_mount m;
	int		 rc;

	rc = ctl_mount_lookup(dir, &m, eb);
	if (rc == -DER_NONEXIST)
		return 0;
	if (rc != 0)
		return rc;
	if (umount2(dir, UMOUNT_NOFOLLOW) != 0) {
		rc = d_errno2der(errno);
		if (errno == EBUSY)
			d_errbuf_set(eb,
				     "cannot unmount %s: it is in use (stop the engine using "
				     "it)",
				     dir);
		else
			d_errbuf_set(eb, "cannot unmount %s: %s", dir, strerror(errno));
		return rc;
	}
	return 0;
}

char *
ctl_ramdisk_options(const struct ctl_ramdisk *rd, bool numa, bool thp)
{
	struct d_sbuf sb;
	const char   *sep = "";

	d_sbuf_init(&sb);
	if (numa && rd->numa_node >= 0) {
		d_sbuf_printf(&sb, "mpol=prefer:%d", rd->numa_node);
		sep = ",";
	}
	if (rd->size_gib > 0) {
		d_sbuf_printf(&sb, "%ssize=%jug", sep, (uintmax_t)rd->size_gib);
		sep = ",";
	}
	if (thp && !rd->hugepages_disabled)
		d_sbuf_printf(&sb, "%shuge=always", sep);
	if (sb.failed) {
		d_sbuf_fini(&sb);
		return NULL;
	}
	return d_sbuf_take(&sb);
}

bool
ctl_kernel_has_numa(void)
{
	return access("/sys/devices/system/node/node0", F_OK) == 0;
}

bool
ctl_kernel_has_thp(void)
{
	return access("/sys/kernel/mm/transparent_hugepage/enabled", F_OK) == 0;
}

int
ctl_scm_ram_mount(const char *dir, const struct ctl_ramdisk *rd, struct d_errbuf *eb)
{
	char *opts;
	int   rc;

	rc = d_mkdir_p(dir, 0755, eb);
	if (rc != 0)
		return rc;
	rc = check_not_mounted(dir, eb);
	if (rc == 0)
		rc = check_empty(dir, eb);
	if (rc != 0)
		return rc;
	opts = ctl_ramdisk_options(rd, ctl_kernel_has_numa(), ctl_kernel_has_thp());
	if (opts == NULL) {
		d_errbuf_set(eb, "out of memory mounting %s", dir);
		return -DER_NOMEM;
	}
	if (mount("tmpfs", dir, "tmpfs", SCM_MOUNT_FLAGS, opts) != 0) {
		rc = d_errno2der(errno);
		if (errno == EPERM)
			d_errbuf_set(eb,
				     "cannot mount tmpfs on %s: permission denied (mounting needs "
				     "root: daos_server_helper must be installed setuid root, "
				     "mode 4750 root:daos_server, as make install does)",
				     dir);
		else
			d_errbuf_set(eb, "cannot mount tmpfs on %s with options \"%s\": %s", dir,
				     opts, strerror(errno));
	}
	D_FREE(opts);
	return rc;
}

/*
 * Options of upstream's SCM provider (the modern-distribution branch): one
 * inode per 64 MiB, 128-byte inodes, no reserved blocks, metadata packed at
 * the start, 128 groups per flex group so that huge pages can map data.
 */
int
ctl_dcpm_mkfs_argv(const char *device, bool force, const char *argv[CTL_MKFS_ARGV_MAX])
{
	static const char *const opts[] = {
		"-q",
		"-D",
		"-L",
		"daos",
		"-m",
		"0",
		"-b",
		"4096",
		"-I",
		"128",
		"-i",
		"67108864",
		"-E",
		"stride=512,lazy_itable_init=0,lazy_journal_init=0,nodiscard,packed_meta_blocks=1",
		"-O",
		"flex_bg,^uninit_bg,^resize_inode,^extra_isize,sparse_super2,^metadata_csum",
		"-G",
		"128",
	};
	int    n = 0;
	size_t i;

	argv[n++] = "mkfs.ext4";
	if (force)
		argv[n++] = "-F";
	for (i = 0; i < D_ARRAY_SIZE(opts); i++)
		argv[n++] = opts[i];
	argv[n++] = device;
	argv[n] = NULL;
	return n;
}

int
ctl_run(const char *const argv[], struct d_errbuf *eb)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t	   attr;
	sigset_t		   none, all;
	int			   pfd[2] = {-1, -1};
	char			   err[4096];
	size_t			   elen = 0;
	pid_t			   pid;
	int			   status;
	int			   rc;

	if (pipe2(pfd, O_CLOEXEC) != 0) {
		d_errbuf_set(eb, "cannot run %s: pipe: %s", argv[0], strerror(errno));
		return d_errno2der(errno);
	}
	posix_spawn_file_actions_init(&fa);
	/* nothing of the caller's reaches the program: no stdin, default signals */
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, pfd[1], 2);
	posix_spawnattr_init(&attr);
	sigemptyset(&none);
	sigfillset(&all);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &all);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	rc = posix_spawnp(&pid, argv[0], &fa, &attr, (char *const *)argv, environ);
	posix_spawnattr_destroy(&attr);
	posix_spawn_file_actions_destroy(&fa);
	close(pfd[1]);
	if (rc != 0) {
		close(pfd[0]);
		if (rc == ENOENT) {
			d_errbuf_set(eb,
				     "%s not found in PATH; install it (e2fsprogs for mkfs.ext4)",
				     argv[0]);
			return -DER_NONEXIST;
		}
		d_errbuf_set(eb, "cannot run %s: %s", argv[0], strerror(rc));
		return d_errno2der(rc);
	}
	for (;;) {
		ssize_t n;

		if (elen == sizeof(err) - 1) {
			/* Keep the tail: the last line says what went wrong. */
			memmove(err, err + sizeof(err) / 2, elen - sizeof(err) / 2);
			elen -= sizeof(err) / 2;
		}
		n = read(pfd[0], err + elen, sizeof(err) - 1 - elen);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		elen += (size_t)n;
	}
	close(pfd[0]);
	err[elen] = '\0';
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			d_errbuf_set(eb, "cannot wait for %s: %s", argv[0], strerror(errno));
			return d_errno2der(errno);
		}
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	while (elen > 0 && (err[elen - 1] == '\n' || err[elen - 1] == ' '))
		err[--elen] = '\0';
	{
		const char *last = strrchr(err, '\n');

		last = last != NULL ? last + 1 : err;
		if (WIFEXITED(status))
			d_errbuf_set(eb, "%s failed (exit status %d)%s%s", argv[0],
				     WEXITSTATUS(status), last[0] != '\0' ? ": " : "", last);
		else
			d_errbuf_set(eb, "%s killed by signal %d", argv[0], WTERMSIG(status));
	}
	return -DER_IO;
}

static int
check_blockdev(const char *device, const char *what, struct d_errbuf *eb)
{
	struct stat st;

	if (stat(device, &st) != 0) {
		d_errbuf_set(eb, "%s %s: %s", what, device,
			     errno == ENOENT ? "does not exist (check the storage configuration "
					       "and run the matching prepare command)"
					     : strerror(errno));
		return errno == ENOENT ? -DER_NONEXIST : d_errno2der(errno);
	}
	if (!S_ISBLK(st.st_mode)) {
		d_errbuf_set(eb, "%s %s is not a block device", what, device);
		return -DER_INVAL;
	}
	return 0;
}

int
ctl_scm_dcpm_mkfs(const char *device, bool force, struct d_errbuf *eb)
{
	const char     *argv[CTL_MKFS_ARGV_MAX];
	struct d_errbuf run;
	int		rc;

	rc = check_blockdev(device, "PMem device", eb);
	if (rc != 0)
		return rc;
	ctl_dcpm_mkfs_argv(device, force, argv);
	rc = ctl_run(argv, &run);
	if (rc != 0)
		d_errbuf_set(eb, "failed to format %s: %s", device, run.msg);
	return rc;
}

/* Does the block device advertise DAX (/sys/dev/block/M:N/queue/dax)? */
static bool
blockdev_has_dax(const char *device)
{
	struct stat st;
	char	    path[128];
	char	    v = '0';
	int	    fd;

	if (stat(device, &st) != 0)
		return false;
	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/queue/dax", major(st.st_rdev),
		 minor(st.st_rdev));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	if (read(fd, &v, 1) != 1)
		v = '0';
	close(fd);
	return v == '1';
}

int
ctl_scm_dcpm_mount(const char *device, const char *dir, struct d_errbuf *eb)
{
	int rc;

	rc = check_blockdev(device, "PMem device", eb);
	if (rc != 0)
		return rc;
	rc = d_mkdir_p(dir, 0755, eb);
	if (rc != 0)
		return rc;
	rc = check_not_mounted(dir, eb);
	if (rc == 0)
		rc = check_empty(dir, eb);
	if (rc != 0)
		return rc;
	if (mount(device, dir, "ext4", SCM_MOUNT_FLAGS, "dax,nodelalloc") == 0)
		return 0;
	rc = d_errno2der(errno);
	if ((errno == EINVAL || errno == EOPNOTSUPP) && !blockdev_has_dax(device)) {
		d_errbuf_set(eb,
			     "cannot mount %s on %s: the device does not support DAX; SCM "
			     "class dcpm needs a PMem namespace in fsdax mode (daos_server scm "
			     "prepare)",
			     device, dir);
		return -DER_NOTSUPPORTED;
	}
	d_errbuf_set(eb, "cannot mount %s on %s (ext4, dax,nodelalloc): %s; is it formatted?",
		     device, dir, strerror(errno));
	return rc;
}
