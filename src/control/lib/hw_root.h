/*
 * Where hardware discovery looks.  With DAOS_HW_ROOT unset, every scan
 * reads the real machine (hwloc, libfabric, libndctl, sysfs).  With
 * DAOS_HW_ROOT=<dir>, scans read only the hardware fixture in <dir> (layout
 * in tests/fixtures/README.md) and preparation commands change the state
 * recorded there instead of the machine; nothing real is touched.
 */
#ifndef DAOS_CONTROL_LIB_HW_ROOT_H
#define DAOS_CONTROL_LIB_HW_ROOT_H

/* The fixture directory, or NULL when scanning the real machine. */
const char *ctl_hw_root(void);

/* "<root>/<rel>" in buf (NULL when no fixture is in use). */
const char *ctl_hw_path(char *buf, unsigned long len, const char *rel);

#endif /* DAOS_CONTROL_LIB_HW_ROOT_H */
