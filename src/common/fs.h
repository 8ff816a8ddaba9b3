/*
 * Files and directories: mkdir -p, reading a whole file, and replacing a
 * file atomically and durably.  Every function returns 0 or -DER_* and fills
 * the d_errbuf (NULL allowed) with a sentence naming the path and the reason;
 * saying what the user should do is the caller's part, which knows what the
 * file is for.  Nothing here logs.  Descriptors are O_CLOEXEC and closed
 * before returning; outputs are written only on success.
 */
#ifndef DAOS_COMMON_FS_H
#define DAOS_COMMON_FS_H

#include <stddef.h>
#include <sys/types.h>

#include "common/common.h"

/**
 * mkdir -p: create \a path and every missing parent with \a mode (less the
 * umask).  An existing directory is fine and keeps its mode.
 *
 * \return 0; -DER_NOTDIR when \a path or one of its parents exists and is not
 * a directory; -DER_INVAL for an empty path or one of PATH_MAX bytes or more;
 * the mkdir(2) error otherwise (-DER_NO_PERM, -DER_NOSPACE, ...).
 */
int d_mkdir_p(const char *path, mode_t mode, struct d_errbuf *eb);

/**
 * Read the whole file at \a path into a D_ALLOC'd buffer (*\a buf, free with
 * D_FREE) with a NUL after the last byte; *\a len (NULL allowed) gets the
 * byte count, the NUL not counted.  Reads to end of file, so /proc and sysfs
 * files, whose stat(2) size is 0 or a page, are read whole.
 *
 * \return 0; -DER_OVERFLOW when the file holds more than \a max bytes (SIZE_MAX
 * for no bound); -DER_INVAL when \a path is a directory; -DER_NONEXIST when
 * there is no such file; -DER_NOMEM; the open(2)/read(2) error otherwise
 * (-DER_NO_PERM, -DER_IO, ...).  The message is "cannot read <path>: <reason
 * as strerror(3) says it>" whether open(2) or read(2) failed (a directory:
 * "Is a directory"), or "out of memory reading <path>".
 */
int d_file_read(const char *path, size_t max, char **buf, size_t *len, struct d_errbuf *eb);

/**
 * Replace \a path with \a data[0..\a len) so that readers, and the file system
 * after a crash, see the old file or the new one, never a mix: the data go to
 * a temporary file "<path>.tmpXXXXXX" in the same directory, which is given
 * \a mode, fsync()ed and renamed over \a path; then the directory is fsync()ed
 * so that the rename itself is on disk.
 *
 * \return 0, or the error of the step that failed (-DER_NONEXIST or -DER_NOTDIR
 * for a missing directory, -DER_NO_PERM, -DER_NOSPACE, -DER_IO, -DER_INVAL for
 * a path of PATH_MAX bytes or more, ...).  Before the rename a failure removes
 * the temporary file and leaves \a path as it was; a failed directory sync
 * is reported although \a path already holds the new data.
 */
int d_file_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
			struct d_errbuf *eb);

/*
 * Test hook: every fsync(2) of this module goes through this pointer
 * (fsync by default), so a unit test can check which descriptors are synced
 * and in what order, or make a sync fail.  Production code never sets it.
 */
extern int (*d_fs_fsync)(int fd);

#endif /* DAOS_COMMON_FS_H */
