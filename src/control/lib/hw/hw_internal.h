/*
 * Private helpers shared by the files of the hw library (not included from
 * other directories).
 */
#ifndef DAOS_CONTROL_LIB_HW_HW_INTERNAL_H
#define DAOS_CONTROL_LIB_HW_HW_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "control/lib/hw/hw.h"

/* Real locations. */
#define STG_SYS_NVME	 "/sys/class/nvme"
#define STG_PROC_MEMINFO "/proc/meminfo"
#define STG_NR_HUGEPAGES "/proc/sys/vm/nr_hugepages"
#define STG_RUN_DIR	 "/run/daos_server"
#define STG_NVME_STATE	 "nvme_prepare.state"

/* Fixture locations, relative to DAOS_HW_ROOT. */
#define STG_FX_DIR     "storage"
#define STG_FX_MEMINFO "storage/meminfo"
#define STG_FX_PMEM    "storage/pmem"
#define STG_FX_NVME    "storage/nvme"
#define STG_FX_DEV     "storage/dev"
#define STG_FX_RUN     "storage/run"

/* Read a whole (small) file; *out is NUL-terminated, trailing newline kept. */
int stg_read_file(const char *path, char **out, struct d_errbuf *eb);
/* Read the first line of a file (no newline) into buf. */
int stg_read_line(const char *path, char *buf, size_t len, struct d_errbuf *eb);
/* Read an unsigned integer (decimal or 0x hex) from a one-value file. */
int stg_read_u64(const char *path, uint64_t *out, struct d_errbuf *eb);
/* Read a signed integer from a one-value file. */
int stg_read_i64(const char *path, int64_t *out, struct d_errbuf *eb);
/* Write a string to a file (truncating, creating 0644). */
int stg_write_file(const char *path, const char *text, struct d_errbuf *eb);
/* snprintf for paths (truncation is checked by the callers' later open()). */
void stg_pathf(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Copy with truncation and guaranteed NUL. */
void stg_strlcpy(char *dst, const char *src, size_t len);
/* Trim whitespace at both ends in place; returns s. */
char *stg_trim(char *s);

/* Strict number parsing (whole string). */
int stg_parse_u64(const char *s, uint64_t *out);

/* Append one element to a growable array (element size `sz`). */
int stg_array_add(void **arr, int *nr, size_t sz, const void *elem);

/* Sort the arrays of a scan (modules, regions, namespaces, controllers). */
void stg_scan_sort(struct ctl_storage_scan *s);

/* Validate a PCI address "dddd:bb:dd.f" (lower-case hex). */
bool stg_pci_addr_valid(const char *s);

/* Fixture readers (DAOS_HW_ROOT set). */
int stg_fx_scan_pmem(const char *root, struct ctl_storage_scan *s, struct d_errbuf *eb);
int stg_fx_scan_nvme(const char *root, struct ctl_storage_scan *s, bool health,
		     struct d_errbuf *eb);
int stg_fx_health_parse(const char *text, const char *where, struct ctl_nvme_health *h,
			struct d_errbuf *eb);

/* Real machine readers. */
int stg_pmem_scan(struct ctl_storage_scan *s, struct d_errbuf *eb);
int stg_nvme_scan(struct ctl_storage_scan *s, bool health, struct d_errbuf *eb);
/* Fill link speeds/widths from a PCI device directory (files may be missing). */
void stg_pci_link_read(const char *pcidir, struct ctl_nvme_health *h);

/* Meminfo of the real machine or the fixture. */
int stg_meminfo_read(struct ctl_meminfo *mi, struct d_errbuf *eb);
/* Set the number of (default size) hugepages; returns the number obtained. */
int stg_hugepages_set(uint64_t nr, uint64_t *got, struct d_errbuf *eb);

/* PMem backends used by prepare/reset. */
struct stg_pmem_ops {
	int (*create_ns)(const struct ctl_scm_region *r, uint64_t size, struct d_errbuf *eb);
	int (*destroy_ns)(const struct ctl_scm_namespace *ns, struct d_errbuf *eb);
};

extern const struct stg_pmem_ops stg_pmem_real_ops;
extern const struct stg_pmem_ops stg_pmem_fx_ops;

/*
 * DAOS provider -> the libfabric provider names (fi_info's fabric_attr->
 * prov_name) that deliver it, best first (hw_model.c).
 */
#define HW_NET_NPROVIDERS 6
struct hw_net_provider {
	const char *name;
	const char *alias;
	const char *lf[3];
};
extern const struct hw_net_provider hw_net_providers[HW_NET_NPROVIDERS];

#endif /* DAOS_CONTROL_LIB_HW_HW_INTERNAL_H */
