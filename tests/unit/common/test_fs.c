/*
 * Tests of the fs.h helpers on real files in a fresh directory under /tmp:
 * d_mkdir_p (nested, existing, a file in the way), d_file_read (bounds,
 * files whose size stat() does not tell, missing file, out of memory) and
 * d_file_write_atomic (nothing left behind on failure; the file is synced
 * before the rename and the directory after it, checked through the
 * d_fs_fsync hook).  Tests run as root, so failures are made with paths
 * whose parent is a file or whose target is a directory, not with modes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../unit_fi.h"
#include "common/common.h"
#include "common/fs.h"

static char g_dir[64];

static int
setup(void **state)
{
	(void)state;
	snprintf(g_dir, sizeof(g_dir), "/tmp/test_fs_XXXXXX");
	return mkdtemp(g_dir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	d_fs_fsync = fsync;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", g_dir);
	return system(cmd) == 0 ? 0 : -1;
}

static const char *
at(const char *name)
{
	static char buf[4][256];
	static int  i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", g_dir, name);
	return buf[i];
}

static void
put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

/* The file's text, read without the code under test; NULL when missing. */
static char *
get(const char *path)
{
	static char buf[4096];
	FILE	   *f = fopen(path, "r");
	size_t	    n;

	if (f == NULL)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return buf;
}

/* Entries of a directory, "." and ".." not counted. */
static int
entries(const char *dir)
{
	DIR	      *d = opendir(dir);
	struct dirent *de;
	int	       n = 0;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL)
		n += strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0;
	closedir(d);
	return n;
}

/* ---- d_mkdir_p ---------------------------------------------------------- */

static void
test_mkdir_nested(void **state)
{
	struct d_errbuf eb;
	struct stat	st;
	mode_t		old = umask(022);

	(void)state;
	assert_int_equal(d_mkdir_p(at("a/b/c"), 0750, &eb), 0);
	assert_int_equal(stat(at("a"), &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0750);
	assert_int_equal(stat(at("a/b/c"), &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0750);
	/* the umask applies, as with mkdir -p -m */
	assert_int_equal(d_mkdir_p(at("u"), 0777, &eb), 0);
	assert_int_equal(stat(at("u"), &st), 0);
	assert_int_equal(st.st_mode & 0777, 0755);
	/* doubled and trailing slashes */
	assert_int_equal(d_mkdir_p(at("d//e/"), 0700, &eb), 0);
	assert_int_equal(stat(at("d/e"), &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	umask(old);
}

static void
test_mkdir_existing(void **state)
{
	struct d_errbuf eb;
	struct stat	st;

	(void)state;
	assert_int_equal(d_mkdir_p(at("x/y"), 0700, &eb), 0);
	/* existing: fine, and the mode of what exists is kept */
	assert_int_equal(d_mkdir_p(at("x/y"), 0755, &eb), 0);
	assert_int_equal(d_mkdir_p(at("x"), 0755, NULL), 0);
	assert_int_equal(stat(at("x/y"), &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	assert_int_equal(d_mkdir_p("/", 0755, &eb), 0);
	assert_int_equal(d_mkdir_p(g_dir, 0755, &eb), 0);
}

static void
test_mkdir_file_in_the_way(void **state)
{
	struct d_errbuf eb;
	struct stat	st;

	(void)state;
	put(at("f"), "not a directory\n");
	eb.msg[0] = '\0';
	assert_int_equal(d_mkdir_p(at("f"), 0755, &eb), -DER_NOTDIR);
	assert_non_null(strstr(eb.msg, at("f")));
	assert_non_null(strstr(eb.msg, "not a directory"));
	eb.msg[0] = '\0';
	assert_int_equal(d_mkdir_p(at("f/sub/dir"), 0755, &eb), -DER_NOTDIR);
	assert_non_null(strstr(eb.msg, at("f/sub")));
	assert_int_equal(stat(at("f"), &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_string_equal(get(at("f")), "not a directory\n");
}

static void
test_mkdir_bad_path(void **state)
{
	struct d_errbuf eb;
	char		longp[PATH_MAX + 16];

	(void)state;
	assert_int_equal(d_mkdir_p("", 0755, &eb), -DER_INVAL);
	assert_int_equal(d_mkdir_p(NULL, 0755, &eb), -DER_INVAL);
	memset(longp, 'a', sizeof(longp) - 1);
	longp[0] = '/';
	longp[sizeof(longp) - 1] = '\0';
	assert_int_equal(d_mkdir_p(longp, 0755, &eb), -DER_INVAL);
	assert_non_null(strstr(eb.msg, "too long"));
}

static void
test_write_atomic_long_path(void **state)
{
	struct d_errbuf eb;
	char		longp[PATH_MAX];

	(void)state;
	/* with ".tmpXXXXXX" the temporary's name would not fit */
	snprintf(longp, sizeof(longp), "%s/", g_dir);
	memset(longp + strlen(longp), 'a', sizeof(longp) - strlen(longp) - 1);
	longp[sizeof(longp) - 8] = '\0';
	assert_int_equal(d_file_write_atomic(longp, "x", 1, 0644, &eb), -DER_INVAL);
	assert_non_null(strstr(eb.msg, "too long"));
	assert_int_equal(entries(g_dir), 0);
}

/* ---- d_file_read -------------------------------------------------------- */

static void
test_read_whole(void **state)
{
	struct d_errbuf eb;
	char	       *b = NULL;
	size_t		n = 99;

	(void)state;
	put(at("t"), "hello\nworld");
	assert_int_equal(d_file_read(at("t"), 100, &b, &n, &eb), 0);
	assert_int_equal(n, 11);
	assert_string_equal(b, "hello\nworld");
	assert_int_equal(b[11], '\0');
	D_FREE(b);
	/* len is optional */
	assert_int_equal(d_file_read(at("t"), SIZE_MAX, &b, NULL, &eb), 0);
	assert_string_equal(b, "hello\nworld");
	D_FREE(b);
	/* empty file: an empty string, even with no room at all */
	put(at("e"), "");
	assert_int_equal(d_file_read(at("e"), 0, &b, &n, &eb), 0);
	assert_int_equal(n, 0);
	assert_string_equal(b, "");
	D_FREE(b);
	/* a /proc file, whose stat() size is 0 */
	assert_int_equal(d_file_read("/proc/self/status", 1 << 20, &b, &n, &eb), 0);
	assert_true(n > 0 && strlen(b) == n);
	assert_non_null(strstr(b, "Name:"));
	D_FREE(b);
}

static void
test_read_bounds(void **state)
{
	struct d_errbuf eb;
	char	       *b = (char *)"untouched";
	size_t		n = 77;

	(void)state;
	put(at("ten"), "0123456789");
	assert_int_equal(d_file_read(at("ten"), 10, &b, &n, &eb), 0);
	assert_int_equal(n, 10);
	assert_string_equal(b, "0123456789");
	D_FREE(b);
	b = (char *)"untouched";
	n = 77;
	eb.msg[0] = '\0';
	assert_int_equal(d_file_read(at("ten"), 9, &b, &n, &eb), -DER_OVERFLOW);
	assert_string_equal(b, "untouched");
	assert_int_equal(n, 77);
	assert_non_null(strstr(eb.msg, at("ten")));
	assert_non_null(strstr(eb.msg, "larger than 9 bytes"));
	assert_int_equal(d_file_read(at("ten"), 0, &b, &n, &eb), -DER_OVERFLOW);
	assert_int_equal(d_file_read(at("ten"), 1, &b, &n, NULL), -DER_OVERFLOW);
}

/* A FIFO fed by a child: a file whose size nothing tells in advance. */
static pid_t
fifo_feed(const char *path, size_t total)
{
	pid_t pid;

	assert_int_equal(mkfifo(path, 0600), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char   chunk[1000];
		int    fd;
		size_t off = 0;

		signal(SIGPIPE, SIG_IGN);
		fd = open(path, O_WRONLY);
		for (size_t i = 0; i < sizeof(chunk); i++)
			chunk[i] = (char)('a' + i % 26);
		while (fd >= 0 && off < total) {
			size_t	w = total - off < sizeof(chunk) ? total - off : sizeof(chunk);
			ssize_t r = write(fd, chunk, w);

			if (r <= 0)
				break;
			off += (size_t)r;
		}
		_exit(0);
	}
	return pid;
}

static bool
fed_ok(const char *b, size_t n, size_t total)
{
	if (n != total || b[n] != '\0')
		return false;
	for (size_t i = 0; i < n; i++)
		if (b[i] != (char)('a' + (i % 1000) % 26))
			return false;
	return true;
}

static void
test_read_stream(void **state)
{
	struct d_errbuf eb;
	char	       *b = NULL;
	size_t		n = 0;
	pid_t		pid;

	(void)state;
	/* grows past its first guess */
	pid = fifo_feed(at("fifo"), 50000);
	assert_int_equal(d_file_read(at("fifo"), SIZE_MAX, &b, &n, &eb), 0);
	waitpid(pid, NULL, 0);
	assert_true(fed_ok(b, n, 50000));
	D_FREE(b);
	/* exactly the bound */
	unlink(at("fifo"));
	pid = fifo_feed(at("fifo"), 6000);
	assert_int_equal(d_file_read(at("fifo"), 6000, &b, &n, &eb), 0);
	waitpid(pid, NULL, 0);
	assert_true(fed_ok(b, n, 6000));
	D_FREE(b);
	/* one byte over */
	unlink(at("fifo"));
	pid = fifo_feed(at("fifo"), 6001);
	assert_int_equal(d_file_read(at("fifo"), 6000, &b, &n, &eb), -DER_OVERFLOW);
	waitpid(pid, NULL, 0);
}

static void
test_read_missing(void **state)
{
	struct d_errbuf eb;
	char	       *b = (char *)"untouched";
	size_t		n = 77;

	(void)state;
	eb.msg[0] = '\0';
	assert_int_equal(d_file_read(at("nothing-here"), 100, &b, &n, &eb), -DER_NONEXIST);
	assert_non_null(strstr(eb.msg, at("nothing-here")));
	assert_non_null(strstr(eb.msg, "cannot read "));
	assert_non_null(strstr(eb.msg, ": No such file or directory"));
	assert_string_equal(b, "untouched");
	assert_int_equal(n, 77);
	assert_int_equal(d_file_read(at("no/such/dir"), 100, &b, &n, NULL), -DER_NONEXIST);
	eb.msg[0] = '\0';
	assert_int_equal(d_file_read(g_dir, 100, &b, &n, &eb), -DER_INVAL);
	assert_non_null(strstr(eb.msg, ": Is a directory"));
	put(at("f"), "x");
	assert_int_equal(d_file_read(at("f/x"), 100, &b, &n, &eb), -DER_NOTDIR);
	assert_string_equal(b, "untouched");
}

/* In a child with D_FI_ALLOC_FAIL set: 0 out of memory, 1 read, 2 wrong. */
static int
fi_read(void)
{
	char   dir[] = "/tmp/test_fs_fi_XXXXXX", path[64];
	char  *b = NULL;
	size_t n = 0;
	pid_t  pid;
	int    rc;

	if (mkdtemp(dir) == NULL)
		return 2;
	snprintf(path, sizeof(path), "%s/fifo", dir);
	pid = fifo_feed(path, 30000);
	rc = d_file_read(path, SIZE_MAX, &b, &n, NULL);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	unlink(path);
	rmdir(dir);
	if (rc == -DER_NOMEM)
		return b == NULL ? 0 : 2;
	rc = rc == 0 && fed_ok(b, n, 30000) ? 1 : 2;
	D_FREE(b);
	return rc;
}

static void
test_read_alloc_failures(void **state)
{
	(void)state;
	/* the first allocation, then each growth (4 KiB to 32 KiB) */
	for (int n = 1; n <= 4; n++)
		assert_int_equal(unit_fi_run("read", n), 0);
	assert_int_equal(unit_fi_run("read", 5), 1);
}

/* ---- d_file_write_atomic ------------------------------------------------ */

static void
test_write_atomic(void **state)
{
	struct d_errbuf eb;
	struct stat	st;
	char		cwd[PATH_MAX];

	(void)state;
	assert_int_equal(d_file_write_atomic(at("cfg"), "v1\n", 3, 0600, &eb), 0);
	assert_string_equal(get(at("cfg")), "v1\n");
	assert_int_equal(stat(at("cfg"), &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	/* replacing: new data and mode, still one file and no temporaries */
	assert_int_equal(d_file_write_atomic(at("cfg"), "second\n", 7, 0644, &eb), 0);
	assert_string_equal(get(at("cfg")), "second\n");
	assert_int_equal(stat(at("cfg"), &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);
	assert_int_equal(entries(g_dir), 1);
	/* empty data */
	assert_int_equal(d_file_write_atomic(at("cfg"), "", 0, 0644, &eb), 0);
	assert_string_equal(get(at("cfg")), "");
	/* a path without a directory part is in the current directory */
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(g_dir), 0);
	assert_int_equal(d_file_write_atomic("rel", "r", 1, 0644, &eb), 0);
	assert_int_equal(chdir(cwd), 0);
	assert_string_equal(get(at("rel")), "r");
	assert_int_equal(entries(g_dir), 2);
}

static void
test_write_atomic_no_dir(void **state)
{
	struct d_errbuf eb;

	(void)state;
	/* the parent is a regular file */
	put(at("f"), "keep");
	eb.msg[0] = '\0';
	assert_int_equal(d_file_write_atomic(at("f/x"), "data", 4, 0644, &eb), -DER_NOTDIR);
	assert_non_null(strstr(eb.msg, at("f")));
	assert_string_equal(get(at("f")), "keep");
	assert_int_equal(entries(g_dir), 1);
	/* the parent does not exist */
	eb.msg[0] = '\0';
	assert_int_equal(d_file_write_atomic(at("none/x"), "data", 4, 0644, &eb), -DER_NONEXIST);
	assert_non_null(strstr(eb.msg, at("none")));
	assert_int_equal(entries(g_dir), 1);
}

static void
test_write_atomic_rename_fails(void **state)
{
	struct d_errbuf eb;
	struct stat	st;

	(void)state;
	/* the target is a non-empty directory: the rename fails after the write */
	assert_int_equal(mkdir(at("d"), 0755), 0);
	put(at("d/inside"), "x");
	eb.msg[0] = '\0';
	assert_int_not_equal(d_file_write_atomic(at("d"), "data", 4, 0644, &eb), 0);
	assert_non_null(strstr(eb.msg, "cannot rename"));
	assert_int_equal(entries(g_dir), 1);
	assert_int_equal(stat(at("d"), &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_string_equal(get(at("d/inside")), "x");
}

/* What the fsync hook saw, in order. */
#define MAX_SYNCS 8
static struct {
	int   n;
	bool  is_dir[MAX_SYNCS];
	ino_t ino[MAX_SYNCS];
	char  target[MAX_SYNCS][32]; /* the target's text at the time, "-" when missing */
} g_syncs;
static int g_fail_sync = -1; /* index of the call that fails with EIO */

static int
spy_fsync(int fd)
{
	struct stat st;
	const char *t = get(at("cfg"));
	int	    i = g_syncs.n++;

	assert_true(i < MAX_SYNCS);
	assert_int_equal(fstat(fd, &st), 0);
	g_syncs.is_dir[i] = S_ISDIR(st.st_mode);
	g_syncs.ino[i] = st.st_ino;
	snprintf(g_syncs.target[i], sizeof(g_syncs.target[i]), "%.31s", t ? t : "-");
	if (i == g_fail_sync) {
		errno = EIO;
		return -1;
	}
	return fsync(fd);
}

static void
spy_reset(int fail)
{
	memset(&g_syncs, 0, sizeof(g_syncs));
	g_fail_sync = fail;
	d_fs_fsync = spy_fsync;
}

/* The file is synced before the rename, its directory after it. */
static void
test_write_atomic_syncs(void **state)
{
	struct d_errbuf eb;
	struct stat	dst;

	(void)state;
	put(at("cfg"), "old");
	assert_int_equal(stat(g_dir, &dst), 0);
	spy_reset(-1);
	assert_int_equal(d_file_write_atomic(at("cfg"), "new", 3, 0644, &eb), 0);
	d_fs_fsync = fsync;
	assert_int_equal(g_syncs.n, 2);
	/* 1: the temporary file, while the target still holds the old data */
	assert_false(g_syncs.is_dir[0]);
	assert_string_equal(g_syncs.target[0], "old");
	/* 2: the target's directory, once the rename has happened */
	assert_true(g_syncs.is_dir[1]);
	assert_int_equal(g_syncs.ino[1], dst.st_ino);
	assert_string_equal(g_syncs.target[1], "new");
	/* the same for a new file */
	unlink(at("cfg"));
	spy_reset(-1);
	assert_int_equal(d_file_write_atomic(at("cfg"), "fresh", 5, 0644, &eb), 0);
	d_fs_fsync = fsync;
	assert_int_equal(g_syncs.n, 2);
	assert_string_equal(g_syncs.target[0], "-");
	assert_true(g_syncs.is_dir[1]);
	assert_string_equal(g_syncs.target[1], "fresh");
}

/*
 * What each fsync of d_file_write_atomic(g_dir/cfg, "new") must see, checked
 * at the call: first the temporary file (a regular file in g_dir named
 * "cfg.tmp*", holding the whole new data with its final mode) while "cfg"
 * still holds the old data; then g_dir itself, once "cfg" is that same
 * inode.  Anything else (a sync missing, one moved after the rename, another
 * descriptor synced) is recorded as a failure.
 */
static struct {
	int   n;
	ino_t tmp_ino;	/* inode of the temporary file synced first */
	char  err[256]; /* the first thing that was wrong */
} g_seq;

/* The entry of g_dir whose inode is ino, or NULL. */
static const char *
name_of(ino_t ino)
{
	static char    name[256];
	DIR	      *d = opendir(g_dir);
	struct dirent *de;
	const char    *found = NULL;

	assert_non_null(d);
	while (found == NULL && (de = readdir(d)) != NULL)
		if (de->d_ino == ino && strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0) {
			snprintf(name, sizeof(name), "%s", de->d_name);
			found = name;
		}
	closedir(d);
	return found;
}

static void
seq_fail(const char *what)
{
	if (g_seq.err[0] == '\0')
		snprintf(g_seq.err, sizeof(g_seq.err), "fsync #%d: %s", g_seq.n, what);
}

static int
seq_fsync(int fd)
{
	struct stat st, dst, tst;
	char	    buf[16];
	const char *name;
	bool	    target = stat(at("cfg"), &tst) == 0;

	g_seq.n++;
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(stat(g_dir, &dst), 0);
	if (g_seq.n == 1) {
		name = S_ISREG(st.st_mode) ? name_of(st.st_ino) : NULL;
		g_seq.tmp_ino = st.st_ino;
		if (!S_ISREG(st.st_mode) || st.st_dev != dst.st_dev)
			seq_fail("not a regular file on the target's file system");
		else if (name == NULL)
			seq_fail("not a file of the target's directory");
		else if (strncmp(name, "cfg.tmp", 7) != 0)
			seq_fail("not the temporary file (cfg.tmp*)");
		else if (st.st_size != 3 || pread(fd, buf, sizeof(buf), 0) != 3 ||
			 memcmp(buf, "new", 3) != 0)
			seq_fail("the temporary file does not hold the whole new data yet");
		else if ((st.st_mode & 0777) != 0640)
			seq_fail("the temporary file does not have its final mode yet");
		else if (!target || tst.st_ino == st.st_ino || strcmp(get(at("cfg")), "old") != 0)
			seq_fail("the target was already replaced: file synced after the rename");
	} else if (g_seq.n == 2) {
		if (!S_ISDIR(st.st_mode) || st.st_ino != dst.st_ino || st.st_dev != dst.st_dev)
			seq_fail("not the target's directory");
		else if (!target || tst.st_ino != g_seq.tmp_ino)
			seq_fail("the target is not yet the synced temporary file: directory "
				 "synced before the rename");
		else if (strcmp(get(at("cfg")), "new") != 0)
			seq_fail("the target does not hold the new data");
	} else {
		seq_fail("one fsync too many");
	}
	return fsync(fd);
}

static void
test_write_atomic_sync_sequence(void **state)
{
	struct d_errbuf eb;
	struct stat	st;

	(void)state;
	put(at("cfg"), "old");
	memset(&g_seq, 0, sizeof(g_seq));
	d_fs_fsync = seq_fsync;
	assert_int_equal(d_file_write_atomic(at("cfg"), "new", 3, 0640, &eb), 0);
	d_fs_fsync = fsync;
	if (g_seq.err[0] != '\0')
		fail_msg("%s", g_seq.err);
	if (g_seq.n != 2)
		fail_msg("%d fsync calls, expected 2 (the temporary file, then the directory)",
			 g_seq.n);
	/* what was synced is what is now in place, and nothing else is left */
	assert_int_equal(stat(at("cfg"), &st), 0);
	assert_int_equal(st.st_ino, g_seq.tmp_ino);
	assert_string_equal(get(at("cfg")), "new");
	assert_int_equal(entries(g_dir), 1);
}

static void
test_write_atomic_sync_fails(void **state)
{
	struct d_errbuf eb;

	(void)state;
	put(at("cfg"), "old");
	/* the file's sync fails: the old file stays, the temporary goes */
	spy_reset(0);
	eb.msg[0] = '\0';
	assert_int_equal(d_file_write_atomic(at("cfg"), "new", 3, 0644, &eb), -DER_IO);
	d_fs_fsync = fsync;
	assert_non_null(strstr(eb.msg, "cannot sync"));
	assert_string_equal(get(at("cfg")), "old");
	assert_int_equal(entries(g_dir), 1);
	/* the directory's sync fails: reported, the data are already in place */
	spy_reset(1);
	eb.msg[0] = '\0';
	assert_int_equal(d_file_write_atomic(at("cfg"), "new", 3, 0644, &eb), -DER_IO);
	d_fs_fsync = fsync;
	assert_non_null(strstr(eb.msg, "cannot sync directory"));
	assert_non_null(strstr(eb.msg, g_dir));
	assert_string_equal(get(at("cfg")), "new");
	assert_int_equal(entries(g_dir), 1);
}

static const struct unit_fi_case fi_cases[] = {
	{"read", fi_read},
	{NULL, NULL},
};

int
main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_mkdir_nested),
		T(test_mkdir_existing),
		T(test_mkdir_file_in_the_way),
		T(test_mkdir_bad_path),
		T(test_read_whole),
		T(test_read_bounds),
		T(test_read_stream),
		T(test_read_missing),
		T(test_read_alloc_failures),
		T(test_write_atomic),
		T(test_write_atomic_no_dir),
		T(test_write_atomic_rename_fails),
		T(test_write_atomic_long_path),
		T(test_write_atomic_syncs),
		T(test_write_atomic_sync_sequence),
		T(test_write_atomic_sync_fails),
	};
#undef T

	unit_fi_dispatch(fi_cases);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
