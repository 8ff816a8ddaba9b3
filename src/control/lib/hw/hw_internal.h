/*
 * Private interfaces between the files of the hw library (not included from
 * other directories).  Layers, each calling only the ones below it:
 *
 *   hw.c             ctl_hw() and the entry points that go through it
 *                    (ctl_topo_load, ctl_storage_scan); network.c too
 *   hw_machine.c     the machine backend     hw_fixture.c   the fixture backend
 *   topology.c storage_pmem.c storage_nvme.c  (machine readers; topology.c
 *                    also reads the fixture's hwloc XML)
 *   hw_util.c        shared helpers          hw_model.c     data and pure parsers
 */
#ifndef DAOS_CONTROL_LIB_HW_HW_INTERNAL_H
#define DAOS_CONTROL_LIB_HW_HW_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "control/lib/hw/hw.h"

/* ---- hw_util.c ------------------------------------------------------------------- */

/* Read the first line of a file (no newline) into buf. */
int stg_read_line(const char *path, char *buf, size_t len, struct d_errbuf *eb);
/* Read an unsigned decimal integer (d_parse_u64) from a one-value file. */
int stg_read_u64(const char *path, uint64_t *out, struct d_errbuf *eb);
/* Read a signed integer from a one-value file. */
int stg_read_i64(const char *path, int64_t *out, struct d_errbuf *eb);
/*
 * Write a string to a kernel attribute file (/proc/sys, sysfs) with one
 * open(2) and write(2), as the kernel wants it: such a file cannot be
 * replaced.  Files we own are replaced with d_file_write_atomic().
 */
int stg_write_file(const char *path, const char *text, struct d_errbuf *eb);
/* snprintf for paths (truncation is checked by the callers' later open()). */
void stg_pathf(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Copy with truncation and guaranteed NUL. */
void stg_strlcpy(char *dst, const char *src, size_t len);
/* Append one element to a growable array (element size `sz`). */
int stg_array_add(void **arr, int *nr, size_t sz, const void *elem);
/* Sort the arrays of a scan (modules, regions, namespaces, controllers). */
void stg_scan_sort(struct ctl_storage_scan *s);
/* Fill link speeds/widths from a PCI device directory (files may be missing). */
void stg_pci_link_read(const char *pcidir, struct ctl_nvme_health *h);

/* ---- hw_model.c ------------------------------------------------------------------ */

/* Trim whitespace at both ends in place; returns s. */
char *stg_trim(char *s);
/* Append a (provider, domain) pair to l unless it is there already. */
int hw_fabric_list_add(struct ctl_fabric_list *l, const char *prov, size_t plen, const char *dom,
		       size_t dlen);

/*
 * DAOS provider -> the libfabric provider names (fi_info's fabric_attr->
 * prov_name) that deliver it, best first.
 */
#define HW_NET_NPROVIDERS 6
struct hw_net_provider {
	const char *name;
	const char *alias;
	const char *lf[3];
};
extern const struct hw_net_provider hw_net_providers[HW_NET_NPROVIDERS];

/* ---- machine readers (used by hw_machine.c) -------------------------------------- */

/* topology.c: hwloc's view of this machine. */
int hw_topo_load_machine(struct ctl_topology **out, struct d_errbuf *eb);
/* storage_pmem.c: libndctl. */
int stg_pmem_scan(struct ctl_storage_scan *s, struct d_errbuf *eb);
int stg_pmem_ns_create(const struct ctl_scm_region *r, uint64_t raw, struct d_errbuf *eb);
int stg_pmem_ns_destroy(const struct ctl_scm_namespace *ns, struct d_errbuf *eb);
/* storage_nvme.c: /sys/class/nvme and the admin ioctl. */
int stg_nvme_scan(struct ctl_storage_scan *s, bool health, struct d_errbuf *eb);

/* ---- the backends (reached only through ctl_hw()) -------------------------------- */

extern const struct ctl_hw_ops hw_machine_ops;
extern const struct ctl_hw_ops hw_fixture_ops;

/* hw_fixture.c: parse a fixture's NVMe "health" file (exposed for unit tests). */
int stg_fx_health_parse(const char *text, const char *where, struct ctl_nvme_health *h,
			struct d_errbuf *eb);

#endif /* DAOS_CONTROL_LIB_HW_HW_INTERNAL_H */
