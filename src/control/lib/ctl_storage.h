/*
 * Local storage discovery and preparation for daos_server: PMem (SCM)
 * modules, regions and namespaces through libndctl, NVMe controllers through
 * /sys/class/nvme and the NVMe admin "Get Log Page" ioctl (SMART/health page
 * 0x02, Intel vendor page 0xCA), and memory/hugepage totals from
 * /proc/meminfo.  With DAOS_HW_ROOT set (see hw_root.h) everything is read
 * from, and every preparation acts on, the fixture tree described in
 * tests/fixtures/README.md ("Storage").
 *
 * Rendering (text tables in upstream's layout and JSON with upstream's field
 * names) works on groups of (hostset, scan) so that dmg can reuse it.
 *
 * What this module does not do: SPDK/vfio binding (NVMe stays with the kernel
 * driver; "prepare" hands its block devices to a user), ipmctl memory
 * allocation goals (regions cannot be created or removed here; the
 * administrator is told what to run instead).
 */
#ifndef DAOS_CONTROL_LIB_CTL_STORAGE_H
#define DAOS_CONTROL_LIB_CTL_STORAGE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "common/common.h"

struct d_json;

/* One PMem DIMM. */
struct ctl_scm_module {
	uint32_t socket_id;
	uint32_t controller_id; /* memory controller */
	uint32_t channel_id;
	uint32_t channel_pos; /* slot in the channel */
	uint32_t physical_id;
	uint64_t capacity; /* bytes */
	char	 uid[64];
	char	 part_number[64];
	char	 fw_rev[32];
	char	 health[32]; /* "Healthy", "Non-critical", ... */
};

/* One PMem (AppDirect interleaved) region. */
struct ctl_scm_region {
	char	 dev[32]; /* "region0" */
	uint32_t id;
	uint32_t numa_node;
	uint64_t size;
	uint64_t available; /* bytes not used by namespaces */
};

/* One PMem namespace (block device exposing a region). */
struct ctl_scm_namespace {
	char	 uuid[40];
	char	 blockdev[32]; /* "pmem0" */
	char	 dev[32];      /* "namespace0.0" */
	char	 region[32];   /* "region0" */
	char	 mode[16];     /* "fsdax", "devdax", "raw", "sector" */
	uint32_t numa_node;
	uint64_t size;
};

/* NVMe SMART/health values (log page 0x02 plus Intel vendor page 0xCA). */
struct ctl_nvme_health {
	uint64_t timestamp;	 /* seconds; 0 for a local scan */
	uint32_t temperature;	 /* Kelvin */
	uint32_t warn_temp_time; /* minutes */
	uint32_t crit_temp_time; /* minutes */
	uint64_t ctrl_busy_time; /* minutes */
	uint64_t power_cycles;
	uint64_t power_on_hours;
	uint64_t unsafe_shutdowns;
	uint64_t media_errs;
	uint64_t err_log_entries;
	uint32_t percentage_used;
	uint32_t bio_read_errs; /* engine (bio) counters, 0 for a local scan */
	uint32_t bio_write_errs;
	uint32_t bio_unmap_errs;
	uint32_t checksum_errs;
	uint8_t	 critical_warning; /* raw bits, see CTL_NVME_WARN_* */
	bool	 intel_vendor;	   /* page 0xCA was read */
	uint8_t	 program_fail_cnt_norm;
	uint64_t program_fail_cnt_raw;
	uint8_t	 erase_fail_cnt_norm;
	uint64_t erase_fail_cnt_raw;
	uint8_t	 wear_leveling_cnt_norm;
	uint16_t wear_leveling_cnt_min;
	uint16_t wear_leveling_cnt_max;
	uint16_t wear_leveling_cnt_avg;
	uint64_t endtoend_err_cnt_raw;
	uint64_t crc_err_cnt_raw;
	uint64_t media_wear_raw;
	uint64_t host_reads_raw;
	uint64_t workload_timer_raw;
	uint8_t	 thermal_throttle_status;
	uint64_t thermal_throttle_event_cnt;
	uint64_t retry_buffer_overflow_cnt;
	uint64_t pll_lock_loss_cnt;
	uint64_t nand_bytes_written;
	uint64_t host_bytes_written;
	uint32_t link_port_id;
	double	 link_max_speed; /* transfers per second, e.g. 8e9 */
	uint32_t link_max_width;
	double	 link_neg_speed;
	uint32_t link_neg_width;
};

/* Critical warning bits of the SMART/health page (NVMe base spec). */
#define CTL_NVME_WARN_SPARE	0x01
#define CTL_NVME_WARN_TEMP	0x02
#define CTL_NVME_WARN_RELIAB	0x04
#define CTL_NVME_WARN_READ_ONLY 0x08
#define CTL_NVME_WARN_VOLATILE	0x10

struct ctl_nvme_ns {
	uint32_t id;
	uint64_t size;	       /* bytes */
	char	 blockdev[32]; /* "nvme0n1" */
};

struct ctl_nvme_ctrlr {
	char			pci_addr[16]; /* "0000:81:00.0" */
	char			model[64];
	char			serial[64];
	char			fw_rev[32];
	char			vendor_id[8]; /* "0x8086" */
	char			ctrl_dev[16]; /* "nvme0" (real machine) */
	int32_t			socket_id;
	struct ctl_nvme_ns     *ns;
	int			nr_ns;
	struct ctl_nvme_health *health; /* NULL: not requested or unreadable */
	char		       *info;	/* why health is missing, or NULL */
};

/* Memory totals (upstream's SysMemInfo, host-wide). */
struct ctl_meminfo {
	uint64_t hugepages_total;
	uint64_t hugepages_free;
	uint64_t hugepages_rsvd;
	uint64_t hugepages_surp;
	uint64_t hugepage_size_kb;
	uint64_t mem_total_kb;
	uint64_t mem_free_kb;
	uint64_t mem_available_kb;
};

struct ctl_storage_scan {
	struct ctl_scm_module	 *modules;
	int			  nr_modules;
	struct ctl_scm_region	 *regions;
	int			  nr_regions;
	struct ctl_scm_namespace *namespaces;
	int			  nr_namespaces;
	struct ctl_nvme_ctrlr	 *ctrlrs;
	int			  nr_ctrlrs;
	struct ctl_meminfo	  mem;
	bool			  reboot_required;
};

/* What ctl_storage_scan() looks at. */
enum {
	CTL_SCAN_SCM = 1 << 0,
	CTL_SCAN_NVME = 1 << 1,
	CTL_SCAN_MEM = 1 << 2,
	CTL_SCAN_HEALTH = 1 << 3, /* read NVMe health (needs CTL_SCAN_NVME) */
	CTL_SCAN_ALL = 0xf,
};

/*
 * Scan local storage (or the fixture).  Absent hardware is not an error (empty
 * lists); an unreadable health log is recorded per controller in `info`.
 * Errors: unreadable or malformed fixture files (message names file:line),
 * libndctl failures.  Arrays are sorted (modules by physical id, namespaces by
 * block device, controllers by PCI address).
 */
int  ctl_storage_scan(unsigned int flags, struct ctl_storage_scan **out, struct d_errbuf *eb);
void ctl_storage_scan_free(struct ctl_storage_scan *scan);

/* Sum of namespace sizes of one controller. */
uint64_t ctl_nvme_ctrlr_capacity(const struct ctl_nvme_ctrlr *c);

/*
 * Decode an SMART/health log page (512 bytes) and an Intel vendor SMART page
 * (at least 13 * 12 bytes) into `h`.  Exposed for unit tests.
 */
int  ctl_nvme_health_decode(const uint8_t *page, size_t len, struct ctl_nvme_health *h);
void ctl_nvme_intel_decode(const uint8_t *page, size_t len, struct ctl_nvme_health *h);

/* Parse /proc/meminfo text. */
int ctl_meminfo_parse(const char *text, const char *where, struct ctl_meminfo *mi,
		      struct d_errbuf *eb);

/* Parse a sysfs link speed ("8.0 GT/s PCIe") into transfers per second. */
double ctl_pci_link_speed_parse(const char *s);

/* ----------------------------------------------------------------------
 * Preparation.  Every function refuses to run unless the effective user is
 * root (-DER_NO_PERM, nothing changed) and reports what it did on `out`
 * (NULL: silent), one sentence per line.
 */

struct ctl_scm_prepare_req {
	unsigned int nr_ns_per_socket; /* 1..CTL_SCM_NS_PER_SOCKET_MAX */
	int	     socket;	       /* -1: all sockets */
};

#define CTL_SCM_NS_PER_SOCKET_MAX 4

struct ctl_scm_prepare_resp {
	bool			  reboot_required;
	struct ctl_scm_namespace *namespaces; /* all namespaces after prepare */
	int			  nr_namespaces;
};

void ctl_scm_prepare_resp_fini(struct ctl_scm_prepare_resp *resp);

/*
 * Create fsdax namespaces (nr_ns_per_socket per region with free capacity).
 * No modules: -DER_NONEXIST ("No PMem modules exist on storage server").
 * Modules without regions: success with reboot_required and the
 * administrator's instructions in eb.
 */
int ctl_scm_prepare(const struct ctl_scm_prepare_req *req, struct ctl_scm_prepare_resp *resp,
		    FILE *out, struct d_errbuf *eb);

/* Destroy PMem namespaces (on `socket`, or all when -1). */
int ctl_scm_reset(int socket, FILE *out, struct d_errbuf *eb);

struct ctl_nvme_prepare_req {
	long	    nr_hugepages; /* 0: default (CTL_NVME_MIN_HUGEPAGES) */
	const char *target_user;  /* NULL: the running user */
	const char *allow_list;	  /* comma-separated PCI addresses, NULL/"" = all */
	const char *block_list;
	bool	    disable_vfio;
};

#define CTL_NVME_MIN_HUGEPAGES 128

/* Reserve hugepages and give the allowed controllers' block devices to the user. */
int ctl_nvme_prepare(const struct ctl_nvme_prepare_req *req, FILE *out, struct d_errbuf *eb);

/* Give the block devices back to root and release what prepare reserved. */
int ctl_nvme_reset(const struct ctl_nvme_prepare_req *req, FILE *out, struct d_errbuf *eb);

/* ----------------------------------------------------------------------
 * Rendering.
 */

/* One group of hosts with identical storage. */
struct ctl_storage_group {
	const char		      *hosts; /* ranged hostset string */
	const struct ctl_storage_scan *scan;
};

/* "Hosts SCM Total NVMe Total" summary table. */
void ctl_storage_print_summary(FILE *out, const struct ctl_storage_group *groups, int n);
/* Per group: banner, hugepage size, SCM and NVMe tables. */
void ctl_storage_print_verbose(FILE *out, const struct ctl_storage_group *groups, int n);
/* Per group: banner, then each controller with its health. */
void ctl_storage_print_health(FILE *out, const struct ctl_storage_group *groups, int n);

/* SCM namespace table, else module table, else "No SCM modules found". */
void ctl_storage_print_scm(FILE *out, const struct ctl_storage_scan *scan);
void ctl_storage_print_scm_namespaces(FILE *out, const struct ctl_scm_namespace *ns, int n);
/* NVMe table or "No NVMe devices found". */
void ctl_storage_print_nvme(FILE *out, const struct ctl_storage_scan *scan);

/* Summary strings: "6.4 TB (2 namespaces)", "3.1 TB (3 controllers)", "3.0 TiB (6 modules)". */
char *ctl_storage_scm_summary(const struct ctl_storage_scan *scan);
char *ctl_storage_nvme_summary(const struct ctl_storage_scan *scan);

/* JSON: the HostStorage object, or one of its arrays, under `key`. */
void ctl_storage_json_host(struct d_json *w, const char *key, const struct ctl_storage_scan *s);
void ctl_storage_json_ctrlrs(struct d_json *w, const char *key, const struct ctl_storage_scan *s);
void ctl_storage_json_modules(struct d_json *w, const char *key, const struct ctl_storage_scan *s);
void ctl_storage_json_namespaces(struct d_json *w, const char *key,
				 const struct ctl_scm_namespace *ns, int n);

#endif /* DAOS_CONTROL_LIB_CTL_STORAGE_H */
