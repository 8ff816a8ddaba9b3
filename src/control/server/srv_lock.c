/*
 * Process-level facts `daos_server start` needs before it serves: the
 * instance lock in socket_dir (one daemon per socket_dir, so several
 * daemons with distinct socket dirs and ports can share a machine), the
 * owner of a TCP port that is already taken, and whether an engine's SCM is
 * formatted.  Nothing here logs; callers report.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "control/lib/storage/storage.h"
#include "control/server/srv_internal.h"

#ifndef TMPFS_MAGIC
#define TMPFS_MAGIC 0x01021994
#endif

/* Pid written in a lock file by its holder, or 0 when unreadable. */
static int
lock_file_pid(int fd)
{
	char	buf[32];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	if (n <= 0)
		return 0;
	buf[n] = '\0';
	return atoi(buf);
}

int
srv_lock_take(const char *socket_dir, int *fd_out, struct d_errbuf *eb)
{
	char	   *path = d_asprintf("%s/%s", socket_dir, SRV_LOCK_NAME);
	struct stat st_fd, st_path;
	char	    pid[32];
	int	    fd = -1, rc = 0, len;

	if (path == NULL) {
		d_errbuf_set(eb, "out of memory");
		return -DER_NOMEM;
	}
	/*
	 * A previous holder unlinks the file on exit: when the file we locked is
	 * no longer the one at `path`, lock the new one instead, so two daemons
	 * never both hold "the" lock.
	 */
	for (;;) {
		fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
		if (fd < 0) {
			rc = d_errno2der(errno);
			d_errbuf_set(eb,
				     "cannot open lock file %s: %s; check that socket_dir %s is "
				     "writable",
				     path, strerror(errno), socket_dir);
			goto out;
		}
		if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
			if (errno == EWOULDBLOCK) {
				d_errbuf_set(eb,
					     "another daos_server (pid %d) is already running "
					     "with socket_dir %s; stop it, or give this one its "
					     "own socket_dir (-d) and port (-p)",
					     lock_file_pid(fd), socket_dir);
				rc = -DER_EXIST;
			} else {
				rc = d_errno2der(errno);
				d_errbuf_set(eb, "cannot lock %s: %s", path, strerror(errno));
			}
			goto out;
		}
		if (fstat(fd, &st_fd) == 0 && stat(path, &st_path) == 0 &&
		    st_fd.st_ino == st_path.st_ino && st_fd.st_dev == st_path.st_dev)
			break;
		close(fd);
		fd = -1;
	}
	len = snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
	if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, (size_t)len, 0) != len) {
		rc = d_errno2der(errno);
		d_errbuf_set(eb, "cannot write lock file %s: %s", path, strerror(errno));
		goto out;
	}
	*fd_out = fd;
	fd = -1;
out:
	if (fd >= 0)
		close(fd);
	free(path);
	return rc;
}

void
srv_lock_release(const char *socket_dir, int fd)
{
	char *path;

	if (fd < 0)
		return;
	/* Unlink while still holding the lock: nobody can take a file we remove. */
	path = d_asprintf("%s/%s", socket_dir, SRV_LOCK_NAME);
	if (path != NULL)
		unlink(path);
	free(path);
	close(fd);
}

/* Inode of the socket listening on `port` in one /proc/net/tcp* table, or 0. */
static unsigned long
listen_inode(const char *table, uint16_t port)
{
	char	      line[512];
	unsigned long inode = 0;
	FILE	     *f = fopen(table, "re");

	if (f == NULL)
		return 0;
	/* "sl local_address rem_address st ... inode": state 0A is LISTEN. */
	if (fgets(line, sizeof(line), f) == NULL)
		goto out;
	while (fgets(line, sizeof(line), f) != NULL) {
		char	      local[64], remote[64];
		unsigned int  st, lport;
		unsigned long ino;
		char	     *colon;

		if (sscanf(line, "%*s %63s %63s %x %*s %*s %*s %*s %*s %lu", local, remote, &st,
			   &ino) != 4 ||
		    st != 0x0A)
			continue;
		colon = strrchr(local, ':');
		if (colon == NULL || sscanf(colon + 1, "%x", &lport) != 1 || lport != port)
			continue;
		inode = ino;
		break;
	}
out:
	fclose(f);
	return inode;
}

/* Does /proc/<pid>/fd hold socket:[inode]? */
static bool
pid_has_socket(const char *pid, unsigned long inode)
{
	char	       dir[300], link[600], want[64], target[64];
	DIR	      *d;
	struct dirent *de;
	bool	       found = false;

	snprintf(dir, sizeof(dir), "/proc/%s/fd", pid);
	snprintf(want, sizeof(want), "socket:[%lu]", inode);
	d = opendir(dir);
	if (d == NULL)
		return false;
	while (!found && (de = readdir(d)) != NULL) {
		ssize_t n;

		if (de->d_name[0] == '.')
			continue;
		snprintf(link, sizeof(link), "%s/%s", dir, de->d_name);
		n = readlink(link, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = '\0';
		found = strcmp(target, want) == 0;
	}
	closedir(d);
	return found;
}

int
srv_port_owner(uint16_t port, int *pid_out, char *comm, size_t comm_len)
{
	unsigned long  inode = listen_inode("/proc/net/tcp", port);
	DIR	      *d;
	struct dirent *de;
	int	       rc = -DER_NONEXIST;

	if (inode == 0)
		inode = listen_inode("/proc/net/tcp6", port);
	if (inode == 0)
		return -DER_NONEXIST;
	d = opendir("/proc");
	if (d == NULL)
		return -DER_NONEXIST;
	while ((de = readdir(d)) != NULL) {
		char  path[300], name[64] = "";
		FILE *f;

		if (!isdigit((unsigned char)de->d_name[0]) || !pid_has_socket(de->d_name, inode))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/comm", de->d_name);
		f = fopen(path, "re");
		if (f != NULL) {
			if (fgets(name, sizeof(name), f) != NULL)
				name[strcspn(name, "\n")] = '\0';
			fclose(f);
		}
		*pid_out = atoi(de->d_name);
		snprintf(comm, comm_len, "%s", name[0] ? name : "?");
		rc = 0;
		break;
	}
	closedir(d);
	return rc;
}

/* Is `path` the root of a mount (its device differs from its parent's)? */
static bool
is_mount_point(const char *path)
{
	struct stat st, pst;
	char	   *parent = d_asprintf("%s/..", path);
	bool	    rc = false;

	if (parent != NULL && stat(path, &st) == 0 && stat(parent, &pst) == 0)
		rc = st.st_dev != pst.st_dev || st.st_ino == pst.st_ino;
	free(parent);
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

/*
 * A dcpm tier whose mount point is not mounted: a device that already holds
 * the file system is formatted and is mounted now (as upstream does at
 * start); NULL when that worked.
 */
static const char *
dcpm_mount_existing(const struct ctl_tier *scm, char *why, size_t why_len)
{
	const char     *dev = scm->scm_list.n > 0 ? scm->scm_list.v[0] : NULL;
	struct d_errbuf eb = {{0}};
	struct stat	st;

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
	if (ctl_scm_dcpm_mount(dev, scm->scm_mount, &eb) != 0) {
		snprintf(why, why_len, "%s", eb.msg);
		return "SCM";
	}
	return NULL;
}

const char *
srv_scm_format_needed(const struct ctl_tier *scm, char *why, size_t why_len)
{
	const char   *mnt = scm->scm_mount;
	struct statfs sfs;
	char	     *sb;
	bool	      have_sb;

	if (mnt != NULL && scm->class == CTL_CLASS_DCPM && !is_mount_point(mnt)) {
		const char *need = dcpm_mount_existing(scm, why, why_len);

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
	free(sb);
	if (have_sb)
		return NULL;
	snprintf(why, why_len, "no superblock in %s", mnt);
	/* The tmpfs content is rebuilt by an SCM format; a dcpm file system only needs its
	 * superblock. */
	return scm->class == CTL_CLASS_RAM ? "SCM" : "Metadata";
}
