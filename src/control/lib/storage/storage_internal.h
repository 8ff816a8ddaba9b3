/*
 * Private interfaces between the files of the storage library (not included
 * from other directories).
 */
#ifndef DAOS_CONTROL_LIB_STORAGE_STORAGE_INTERNAL_H
#define DAOS_CONTROL_LIB_STORAGE_STORAGE_INTERNAL_H

#include "control/lib/storage/storage.h"

/*
 * format_sb.c: replace <dir>/<name>, a file format writes on an SCM mount
 * (the superblock, daos_nvme.conf), with text (mode 0644) through
 * d_file_write_atomic().  text NULL means its maker ran out of memory.
 * Messages: "SCM mount path <dir> is too long", "out of memory writing
 * <path>", or d_file_write_atomic's sentence, followed by "; check that the
 * directory exists and is writable" when dir is missing or not writable.
 */
int ctl_scm_file_write(const char *dir, const char *name, const char *text, struct d_errbuf *eb);

#endif /* DAOS_CONTROL_LIB_STORAGE_STORAGE_INTERNAL_H */
