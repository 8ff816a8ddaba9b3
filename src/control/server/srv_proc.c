/*
 * Processes of daos_server: finding the programs of our installation or
 * build (srv_find_binary), running a helper program to completion
 * (srv_child_run), and, for daos_server's commands, upstream's
 * duplicate-process check (no two daos_server processes touch the same
 * hardware).  Processes in another network namespace count as another host
 * (containers, and the namespace hosts of the multi-host tests), so only
 * daos_server processes in our own network namespace are duplicates; when a
 * process's namespace cannot be read it is assumed to be ours.  Nothing here
 * logs; callers report the message.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdbool.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "daos_build.h"
#include "common/common.h"
#include "common/tls.h"
#include "control/server/srv_cmds.h"
#include "control/server/srv_internal.h"

extern char **environ;

/* The basename of argv[0] of a process, from /proc/<pid>/cmdline. */
static int
proc_name(const char *pid, char *buf, size_t len)
{
	char	path[64];
	char	cmd[4096];
	ssize_t n;
	int	fd;

	snprintf(path, sizeof(path), "/proc/%s/cmdline", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, cmd, sizeof(cmd) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	cmd[n] = '\0';
	snprintf(buf, len, "%s", basename(cmd));
	return 0;
}

/* True unless /proc/<pid>/ns/net is readable and differs from ours. */
static bool
same_netns(const char *pid, const char *self_ns)
{
	char	path[300], ns[64];
	ssize_t n;

	if (self_ns[0] == '\0')
		return true;
	snprintf(path, sizeof(path), "/proc/%s/ns/net", pid);
	n = readlink(path, ns, sizeof(ns) - 1);
	if (n <= 0)
		return true;
	ns[n] = '\0';
	return strcmp(ns, self_ns) == 0;
}

int
srv_check_dupe_process(struct d_errbuf *eb)
{
	char	       self[256], other[256], me[32], self_ns[64] = "";
	DIR	      *d;
	struct dirent *de;
	int	       rc = 0;

	snprintf(me, sizeof(me), "%d", (int)getpid());
	if (proc_name(me, self, sizeof(self)) != 0) {
		d_errbuf_set(eb, "failed to get process name: cannot read /proc/%s/cmdline", me);
		return -DER_IO;
	}
	{
		ssize_t n = readlink("/proc/self/ns/net", self_ns, sizeof(self_ns) - 1);

		self_ns[n > 0 ? n : 0] = '\0';
	}
	d = opendir("/proc");
	if (d == NULL) {
		d_errbuf_set(eb, "failed to read process list: %s", strerror(errno));
		return -DER_IO;
	}
	while ((de = readdir(d)) != NULL) {
		if (!isdigit((unsigned char)de->d_name[0]) || strcmp(de->d_name, me) == 0)
			continue;
		if (proc_name(de->d_name, other, sizeof(other)) != 0 || strcmp(other, self) != 0)
			continue;
		if (!same_netns(de->d_name, self_ns))
			continue;
		d_errbuf_set(eb, "another %s process is already running (pid: %s)", self,
			     de->d_name);
		rc = -DER_EXIST;
		break;
	}
	closedir(d);
	return rc;
}

/* ---- programs of our build ---------------------------------------------------------- */

static char *
usable(char *p)
{
	if (p != NULL && access(p, X_OK) == 0)
		return p;
	D_FREE(p);
	return NULL;
}

int
srv_find_binary(const char *name, const char *build_subdir, char **out, struct d_errbuf *eb)
{
	const char *path = getenv("PATH");
	char	    self[PATH_MAX], dir[PATH_MAX];
	ssize_t	    n;
	char	   *p = NULL;

	if (path != NULL) {
		char *dup = d_asprintf("%s", path), *save = NULL, *d;

		if (dup == NULL)
			return -DER_NOMEM;
		for (d = strtok_r(dup, ":", &save); d != NULL && p == NULL;
		     d = strtok_r(NULL, ":", &save))
			p = usable(d_asprintf("%s/%s", *d ? d : ".", name));
		D_FREE(dup);
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (p == NULL && n > 0) {
		size_t bl = strlen(DAOS_BUILD_DIR);

		self[n] = '\0';
		/* Run from the build tree: the program of the same build. */
		if (strncmp(self, DAOS_BUILD_DIR "/", bl + 1) == 0)
			p = usable(d_asprintf("%s/%s/%s", DAOS_BUILD_DIR, build_subdir, name));
		if (p == NULL) {
			memcpy(dir, self, (size_t)n + 1);
			p = usable(d_asprintf("%s/%s", dirname(dir), name));
		}
	}
	if (p != NULL) {
		*out = p;
		return 0;
	}
	d_errbuf_set(eb,
		     "%s not found in PATH (%s) nor next to daos_server (%s); install it or add "
		     "its directory to PATH",
		     name, path ? path : "unset", n > 0 ? self : "unknown");
	return -DER_NONEXIST;
}

/* ---- helper programs ---------------------------------------------------------------- */

/* Read everything the helper sends until EOF, within the deadline. */
static int
read_child(int fd, uint8_t **buf, size_t *len, int64_t deadline)
{
	size_t	 cap = 4096, off = 0;
	uint8_t *b = d_calloc(1, cap);

	if (b == NULL)
		return -DER_NOMEM;
	for (;;) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		int64_t	      left = deadline - d_tls_now_ms();
		ssize_t	      n;

		if (left <= 0) {
			D_FREE(b);
			return -DER_TIMEDOUT;
		}
		if (poll(&pfd, 1, (int)left) < 0 && errno != EINTR) {
			D_FREE(b);
			return -DER_IO;
		}
		if (pfd.revents == 0)
			continue;
		if (off == cap) {
			uint8_t *nb = d_realloc(b, cap * 2);

			if (nb == NULL) {
				D_FREE(b);
				return -DER_NOMEM;
			}
			b = nb;
			cap *= 2;
		}
		n = read(fd, b + off, cap - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			D_FREE(b);
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

int
srv_child_run(const char *exe, char *const argv[], const void *in, size_t in_len, bool keep_stderr,
	      int timeout_ms, uint8_t **out, size_t *out_len, int *status, struct d_errbuf *eb)
{
	static const int	   dfl_sigs[] = {SIGHUP, SIGINT, SIGPIPE, SIGQUIT, SIGTERM};
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t	   attr;
	sigset_t		   none, dfl;
	int			   ofd[2], ifd[2] = {-1, -1};
	pid_t			   pid;
	int			   rc;

	if (pipe2(ofd, O_CLOEXEC) != 0) {
		d_errbuf_set(eb, "cannot create a pipe: %s", strerror(errno));
		return d_errno2der(errno);
	}
	if (in != NULL && pipe2(ifd, O_CLOEXEC) != 0) {
		d_errbuf_set(eb, "cannot create a pipe: %s", strerror(errno));
		close(ofd[0]);
		close(ofd[1]);
		return d_errno2der(errno);
	}
	sigemptyset(&none);
	sigemptyset(&dfl);
	for (size_t i = 0; i < D_ARRAY_SIZE(dfl_sigs); i++)
		sigaddset(&dfl, dfl_sigs[i]);
	posix_spawn_file_actions_init(&fa);
	if (in != NULL)
		posix_spawn_file_actions_adddup2(&fa, ifd[0], 0);
	else
		posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, ofd[1], 1);
	if (!keep_stderr)
		posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	posix_spawnattr_init(&attr);
	/* our handlers and blocked signals must not carry over */
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &dfl);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	rc = posix_spawn(&pid, exe, &fa, &attr, argv, environ);
	posix_spawnattr_destroy(&attr);
	posix_spawn_file_actions_destroy(&fa);
	close(ofd[1]);
	if (in != NULL)
		close(ifd[0]);
	if (rc != 0) {
		d_errbuf_set(eb, "cannot run %s: %s", exe, strerror(rc));
		close(ofd[0]);
		if (in != NULL)
			close(ifd[1]);
		return d_errno2der(rc);
	}
	/* The request fits the pipe's buffer (64 KiB): written whole before reading. */
	if (in != NULL) {
		const char *p = in;

		while (in_len > 0) {
			ssize_t n = write(ifd[1], p, in_len);

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break; /* the child is gone; its status says why */
			p += n;
			in_len -= (size_t)n;
		}
		close(ifd[1]);
	}
	rc = read_child(ofd[0], out, out_len, d_tls_now_ms() + timeout_ms);
	close(ofd[0]);
	if (rc == -DER_TIMEDOUT)
		kill(pid, SIGKILL);
	while (waitpid(pid, status, 0) < 0 && errno == EINTR)
		;
	if (rc == -DER_TIMEDOUT)
		d_errbuf_set(eb, "%s did not finish within %d s and was stopped", exe,
			     timeout_ms / 1000);
	else if (rc != 0)
		d_errbuf_set(eb, "cannot read the output of %s: %s", exe, d_errstr(rc));
	return rc;
}
