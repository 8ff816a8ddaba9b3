/*
 * The file-system helpers of fs.h: mkdir -p, whole-file read, atomic and
 * durable replace.  No logging, no policy about what the files are.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fs.h"

int (*d_fs_fsync)(int fd) = fsync;

int
d_mkdir_p(const char *path, mode_t mode, struct d_errbuf *eb)
{
	char	    buf[PATH_MAX];
	struct stat st;
	size_t	    n, i;
	int	    rc;

	if (path == NULL || path[0] == '\0') {
		d_errbuf_set(eb, "cannot create a directory with an empty path");
		return -DER_INVAL;
	}
	n = strlen(path);
	if (n >= sizeof(buf)) {
		d_errbuf_set(eb,
			     "cannot create directory %.64s...: the path is too long (%zu bytes)",
			     path, n);
		return -DER_INVAL;
	}
	memcpy(buf, path, n + 1);
	/* each prefix that ends a component, parents first; "a//b" and "a/" add none */
	for (i = 1; i <= n; i++) {
		if ((buf[i] != '/' && buf[i] != '\0') || buf[i - 1] == '/')
			continue;
		buf[i] = '\0';
		if (mkdir(buf, mode) != 0 && errno != EEXIST) {
			rc = d_errno2der(errno);
			d_errbuf_set(eb, "cannot create directory %s: %s", buf, strerror(errno));
			return rc;
		}
		buf[i] = path[i];
	}
	/* EEXIST above may have been a file of that name */
	if (stat(path, &st) != 0) {
		rc = d_errno2der(errno);
		d_errbuf_set(eb, "cannot create directory %s: %s", path, strerror(errno));
		return rc;
	}
	if (!S_ISDIR(st.st_mode)) {
		d_errbuf_set(eb, "cannot create directory %s: it exists and is not a directory",
			     path);
		return -DER_NOTDIR;
	}
	return 0;
}

static ssize_t
read_eintr(int fd, void *buf, size_t len)
{
	ssize_t n;

	do
		n = read(fd, buf, len);
	while (n < 0 && errno == EINTR);
	return n;
}

int
d_file_read(const char *path, size_t max, char **buf, size_t *len, struct d_errbuf *eb)
{
	struct stat st;
	char	   *b = NULL;
	size_t	    room; /* bytes b can take before its NUL; never above max */
	size_t	    n = 0;
	ssize_t	    r;
	int	    fd;
	int	    rc = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = d_errno2der(errno);
		d_errbuf_set(eb, "cannot read %s: %s", path, strerror(errno));
		return rc;
	}
	if (fstat(fd, &st) != 0) {
		rc = d_errno2der(errno);
		d_errbuf_set(eb, "cannot read %s: %s", path, strerror(errno));
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		d_errbuf_set(eb, "cannot read %s: %s", path, strerror(EISDIR));
		rc = -DER_INVAL;
		goto out;
	}
	/* The size is a hint only: /proc files say 0, sysfs files a page. */
	room = S_ISREG(st.st_mode) && st.st_size > 0 ? (size_t)st.st_size : 4096;
	if (room > max)
		room = max;
	D_ALLOC(b, room + 1);
	if (b == NULL)
		goto nomem;
	for (;;) {
		char c;

		if (n < room) {
			r = read_eintr(fd, b + n, room - n);
			if (r < 0)
				goto read_err;
			if (r == 0)
				break;
			n += (size_t)r;
			continue;
		}
		/* full: one byte more tells the end of the file from a longer file */
		r = read_eintr(fd, &c, 1);
		if (r < 0)
			goto read_err;
		if (r == 0)
			break;
		if (n == max) {
			d_errbuf_set(eb, "cannot read %s: it is larger than %zu bytes", path, max);
			rc = -DER_OVERFLOW;
			goto out;
		}
		{
			size_t nroom = room <= max - room ? 2 * room : max;
			char  *nb;

			if (nroom < 4096 && max >= 4096)
				nroom = 4096;
			nb = nroom < SIZE_MAX ? d_realloc(b, nroom + 1) : NULL;
			if (nb == NULL)
				goto nomem;
			b = nb;
			room = nroom;
		}
		b[n++] = c;
	}
	b[n] = '\0';
	*buf = b;
	b = NULL;
	if (len != NULL)
		*len = n;
	goto out;
read_err:
	rc = d_errno2der(errno);
	d_errbuf_set(eb, "cannot read %s: %s", path, strerror(errno));
	goto out;
nomem:
	rc = -DER_NOMEM;
	d_errbuf_set(eb, "out of memory reading %s", path);
out:
	D_FREE(b);
	close(fd);
	return rc;
}

int
d_file_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
		    struct d_errbuf *eb)
{
	char	    tmp[PATH_MAX];
	char	    dir[PATH_MAX];
	const char *slash;
	const char *p = data;
	int	    fd = -1;
	int	    dfd = -1;
	int	    rc;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmpXXXXXX", path) >= sizeof(tmp)) {
		d_errbuf_set(eb, "cannot write %.64s...: the path is too long (%zu bytes)", path,
			     strlen(path));
		return -DER_INVAL;
	}
	slash = strrchr(path, '/');
	if (slash == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		rc = d_errno2der(errno);
		d_errbuf_set(eb, "cannot create a file in %s: %s", dir, strerror(errno));
		return rc;
	}
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = d_errno2der(errno);
			d_errbuf_set(eb, "cannot write %s: %s", tmp, strerror(errno));
			goto out;
		}
		p += n;
		len -= (size_t)n;
	}
	if (fchmod(fd, mode) != 0 || d_fs_fsync(fd) != 0) {
		rc = d_errno2der(errno);
		d_errbuf_set(eb, "cannot sync %s: %s", tmp, strerror(errno));
		goto out;
	}
	rc = close(fd);
	fd = -1;
	if (rc != 0) {
		rc = d_errno2der(errno);
		d_errbuf_set(eb, "cannot close %s: %s", tmp, strerror(errno));
		goto out;
	}
	if (rename(tmp, path) != 0) {
		rc = d_errno2der(errno);
		d_errbuf_set(eb, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
		goto out;
	}
	tmp[0] = '\0'; /* renamed: nothing to remove any more */
	/* The rename is only durable once the directory is synced. */
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || d_fs_fsync(dfd) != 0) {
		rc = d_errno2der(errno);
		d_errbuf_set(eb, "cannot sync directory %s: %s", dir, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	if (dfd >= 0)
		close(dfd);
	if (tmp[0] != '\0')
		unlink(tmp);
	return rc;
}
