/*
 * Process-level checks shared by daos_server's commands: upstream's
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
#include <stdio.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include "common/common.h"
#include "control/server/srv_cmds.h"

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
