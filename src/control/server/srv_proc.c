/*
 * Process-level checks shared by daos_server's commands: upstream's
 * duplicate-process check (no two daos_server processes touch the same
 * hardware).  Nothing here logs; callers report the message.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
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

int
srv_check_dupe_process(struct d_errbuf *eb)
{
	char	       self[256], other[256], me[32];
	DIR	      *d;
	struct dirent *de;
	int	       rc = 0;

	snprintf(me, sizeof(me), "%d", (int)getpid());
	if (proc_name(me, self, sizeof(self)) != 0) {
		d_errbuf_set(eb, "failed to get process name: cannot read /proc/%s/cmdline", me);
		return -DER_IO;
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
		d_errbuf_set(eb, "another %s process is already running (pid: %s)", self,
			     de->d_name);
		rc = -DER_EXIST;
		break;
	}
	closedir(d);
	return rc;
}
