/*
 * Process-level facts `daos_server start` needs before it serves: the
 * instance lock in socket_dir (one daemon per socket_dir, so several
 * daemons with distinct socket dirs and ports can share a machine), the
 * claims on storage paths (one daemon per scm_mount and control_metadata
 * path) and the owner of a TCP port that is already taken.  Whether an engine's SCM is
 * formatted is srv_storage.c's.  Nothing here logs; callers report.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/stat.h>
#include <unistd.h>

#include "control/server/srv_internal.h"

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
	D_FREE(path);
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
	D_FREE(path);
	close(fd);
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

/*
 * A claim is an abstract unix socket named after the path: the kernel keeps
 * the name unique in the network namespace (one machine) and releases it
 * when the process ends, however it ends, with no file to clean up.
 */
#define CLAIM_PREFIX "daos_server:"

static void
claim_name(const char *kind, const char *path, char *name, size_t len)
{
	char	 real[PATH_MAX];
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */

	if (realpath(path, real) == NULL)
		snprintf(real, sizeof(real), "%s", path);
	size_t head = strlen(CLAIM_PREFIX) + strlen(kind) + 1, n = strlen(real);

	snprintf(name, len, CLAIM_PREFIX "%s:", kind);
	if (head + n < len) {
		memcpy(name + head, real, n + 1);
		return;
	}
	for (const char *c = real; *c != '\0'; c++)
		h = (h ^ (unsigned char)*c) * 1099511628211ULL;
	snprintf(name + head, len - head, "#%016llx", (unsigned long long)h);
}

/* Pid of the process holding the abstract unix socket `name`, or 0. */
static int
claim_holder(const char *name)
{
	char	       line[512];
	unsigned long  inode = 0;
	FILE	      *f = fopen("/proc/net/unix", "re");
	DIR	      *d;
	struct dirent *de;
	int	       pid = 0;

	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL) {
		char	      path[256];
		unsigned long ino;

		/* "Num RefCount Protocol Flags Type St Inode Path": abstract names start with @ */
		if (sscanf(line, "%*s %*s %*s %*s %*s %*s %lu %255s", &ino, path) == 2 &&
		    path[0] == '@' && strcmp(path + 1, name) == 0) {
			inode = ino;
			break;
		}
	}
	fclose(f);
	if (inode == 0 || (d = opendir("/proc")) == NULL)
		return 0;
	while (pid == 0 && (de = readdir(d)) != NULL)
		if (isdigit((unsigned char)de->d_name[0]) && pid_has_socket(de->d_name, inode))
			pid = atoi(de->d_name);
	closedir(d);
	return pid;
}

static int
claim_one(const char *kind, const char *path, const char *what, int *fd_out, struct d_errbuf *eb)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char		   name[sizeof(sa.sun_path) - 1];
	socklen_t	   sl;
	int		   fd;

	claim_name(kind, path, name, sizeof(name));
	memcpy(sa.sun_path + 1, name, strlen(name)); /* sun_path[0] = 0: abstract */
	sl = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + strlen(name));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		d_errbuf_set(eb, "cannot claim %s %s: socket: %s", what, path, strerror(errno));
		return d_errno2der(errno);
	}
	if (bind(fd, (struct sockaddr *)&sa, sl) != 0) {
		int err = errno;

		close(fd);
		if (err == EADDRINUSE) {
			int  pid = claim_holder(name);
			char who[64] = "another daos_server";

			if (pid > 0)
				snprintf(who, sizeof(who), "another daos_server (pid %d)", pid);
			d_errbuf_set(eb,
				     "%s %s is already used by %s: two servers on one machine "
				     "would share its files (and management service database); "
				     "give each daos_server its own %s",
				     what, path, who, what);
			return -DER_EXIST;
		}
		d_errbuf_set(eb, "cannot claim %s %s: %s", what, path, strerror(err));
		return d_errno2der(err);
	}
	*fd_out = fd;
	return 0;
}

int
srv_claim_storage(const struct ctl_server_config *cfg, struct srv_claims *c, struct d_errbuf *eb)
{
	int rc = 0;

	c->n = 0;
	D_ALLOC_ARRAY(c->fd, cfg->nengines + 1);
	if (c->fd == NULL) {
		d_errbuf_set(eb, "out of memory");
		return -DER_NOMEM;
	}
	if (cfg->control_metadata.path != NULL && cfg->control_metadata.path[0] != '\0') {
		rc = claim_one("md", cfg->control_metadata.path, "control_metadata path",
			       &c->fd[c->n], eb);
		c->n += rc == 0;
	}
	for (size_t i = 0; rc == 0 && i < cfg->nengines; i++) {
		const struct ctl_engine *e = &cfg->engines[i];

		if (e->nstorage == 0 || e->storage[0].scm_mount == NULL)
			continue;
		rc = claim_one("scm", e->storage[0].scm_mount, "scm_mount", &c->fd[c->n], eb);
		c->n += rc == 0;
	}
	if (rc != 0)
		srv_release_storage(c);
	return rc;
}

void
srv_release_storage(struct srv_claims *c)
{
	for (size_t i = 0; i < c->n; i++)
		close(c->fd[i]);
	D_FREE(c->fd);
	c->fd = NULL;
	c->n = 0;
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
