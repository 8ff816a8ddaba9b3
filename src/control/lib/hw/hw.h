/*
 * Hardware discovery (library src/control/lib/hw): the local topology (NUMA
 * nodes, cores, PCI and OS devices, through hwloc), the fabric interfaces
 * each DAOS provider can use (libfabric), PMem modules, regions and
 * namespaces (libndctl), NVMe controllers and their health (sysfs and the
 * NVMe admin ioctl), memory and hugepages (/proc/meminfo, sysfs).  The
 * result types are plain data shared with the RPC conversions and the
 * renderers; their free functions and pure parsers link without hwloc or
 * libndctl (hw_model.c), so a remote client such as dmg can hold scans.
 *
 * Every scan and preparation goes through one backend, chosen once per
 * process (ctl_hw() at the end of this header): the machine, or with
 * DAOS_HW_ROOT=<dir> the hardware fixture in <dir> (layout in
 * tests/fixtures/README.md).
 */
#ifndef DAOS_CONTROL_LIB_HW_HW_H
#define DAOS_CONTROL_LIB_HW_HW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/common.h"

/* ==== topology ==================================================================== */

/*
 * Local hardware topology: NUMA nodes, physical cores, PCI devices and the
 * OS devices (network interfaces, OpenFabrics devices, block devices) below
 * them, each with its NUMA affinity.  Read with hwloc from the machine, or
 * from the fixture's `<dir>/topology.xml` (hwloc XML) on a fixture backend.
 * The result is plain data: no hwloc handle is kept.
 *
 * NUMA affinity of a device is the NUMA node whose CPUs cover the device's
 * nearest non-I/O ancestor (as upstream does); a device attached above all
 * nodes (e.g. to the machine on a multi-socket host) gets node 0.  A machine
 * without NUMA information reports one node, 0, holding every core.
 */

/* One NUMA node. */
struct ctl_topo_numa {
	unsigned id;	 /* OS index (the number Linux and hwloc print) */
	unsigned ncores; /* physical cores whose CPUs belong to this node */
	unsigned npus;	 /* hardware threads */
};

/* One PCI device (function). */
struct ctl_topo_pci {
	char	 addr[16]; /* "0000:81:00.0", lower-case hex */
	uint16_t class_id; /* PCI class and subclass, e.g. 0x0108 NVMe, 0x0200 Ethernet */
	unsigned numa;
};

enum ctl_topo_osdev_type {
	CTL_OSDEV_OTHER = 0,
	CTL_OSDEV_BLOCK,       /* nvme0n1, sda */
	CTL_OSDEV_NETWORK,     /* eth0, ib0 */
	CTL_OSDEV_OPENFABRICS, /* mlx5_0, hfi1_0 (the RDMA device of a NIC) */
};

/* One OS device. */
struct ctl_topo_osdev {
	char			*name;
	enum ctl_topo_osdev_type type;
	int	 pci; /* index into ctl_topology.pci, -1 when not below a PCI device */
	unsigned numa;
};

struct ctl_topology {
	unsigned	       nnuma;  /* >= 1 */
	struct ctl_topo_numa  *numa;   /* sorted by id */
	unsigned	       ncores; /* all physical cores */
	unsigned	       npci;
	struct ctl_topo_pci   *pci; /* sorted by address */
	unsigned	       nosdev;
	struct ctl_topo_osdev *osdev;  /* in hwloc's order */
	char		      *source; /* "hwloc" or the XML file read */
};

/*
 * Load the topology of this machine, or of the fixture (ctl_hw()->topo_load).
 * Errors: -DER_NONEXIST (fixture file missing), -DER_INVAL (not a
 * usable hwloc XML file), -DER_MISC (hwloc failed on the machine),
 * -DER_NOMEM; eb says which file and what to do.
 */
int ctl_topo_load(struct ctl_topology **out, struct d_errbuf *eb);

/* Load an hwloc XML file (what `lstopo --of xml` writes). */
int ctl_topo_load_xml(const char *path, struct ctl_topology **out, struct d_errbuf *eb);

void ctl_topo_free(struct ctl_topology *topo);

/* Number of NUMA nodes (at least 1). */
unsigned ctl_topo_numa_count(const struct ctl_topology *topo);

/*
 * Physical cores per NUMA node.  Upstream reports the core count of
 * whichever node its map yields first; we report the smallest count over all
 * nodes, which is the same on symmetric hosts and the safe bound for sizing
 * engines on asymmetric ones.
 */
unsigned ctl_topo_cores_per_numa(const struct ctl_topology *topo);

/* The node with OS index `id`, or NULL. */
const struct ctl_topo_numa *ctl_topo_numa_get(const struct ctl_topology *topo, unsigned id);

/*
 * Normalise a PCI address ("81:00.0", "0000:81:00.0", any case) to
 * "dddd:bb:dd.f" in buf (16 bytes).  -DER_INVAL when it is not one.
 */
int ctl_pci_addr_normalize(const char *addr, char buf[16]);

/* NUMA node of a PCI device; -DER_INVAL bad address, -DER_NONEXIST not present. */
int ctl_topo_pci_numa(const struct ctl_topology *topo, const char *addr, unsigned *numa);

/* The OS device called `name`, or NULL. */
const struct ctl_topo_osdev *ctl_topo_osdev_find(const struct ctl_topology *topo, const char *name);

/* NUMA node of a network interface known to hwloc; -DER_NONEXIST otherwise. */
int ctl_topo_netdev_numa(const struct ctl_topology *topo, const char *ifname, unsigned *numa);

/* ==== fabric interfaces ============================================================ */

/*
 * Fabric interface discovery ("network scan"): which OS network interfaces
 * can carry which DAOS fabric provider (`ofi+tcp`, `ofi+verbs;ofi_rxm`, ...),
 * with each interface's NUMA node and device class, plus the host's NUMA
 * count and cores per NUMA node.  Also the text and JSON renderings shared by
 * `daos_server network scan` and `dmg network scan`.
 *
 * Sources, real machine: libfabric's fi_getinfo() for reliable-datagram
 * endpoints gives (provider, domain) pairs; a domain is mapped to OS
 * interfaces through the hwloc topology (a domain that is itself a network
 * interface, or an OpenFabrics device such as mlx5_0 whose PCI device
 * carries network interfaces such as ib0) or, for virtual interfaces hwloc
 * does not know (lo, bridges), through /sys/class/net.  The device class is
 * the ARPHRD number in /sys/class/net/<if>/type.  Interfaces that are down or
 * have no address are not listed because libfabric does not offer them.
 * Loopback interfaces are never listed.
 *
 * On a fixture backend the same pipeline reads the fixture instead:
 * <root>/libfabric.txt ("<libfabric provider> <domain>" per line, what
 * fi_getinfo would return), <root>/topology.xml and
 * <root>/sys/class/net/<if>/type (layout in tests/fixtures/README.md).
 */

/* ARPHRD device classes (linux/if_arp.h) that matter to DAOS. */
#define CTL_NET_CLASS_ETHER	 1
#define CTL_NET_CLASS_INFINIBAND 32
#define CTL_NET_CLASS_LOOPBACK	 772

/* Upstream's name for a class ("ETHER", "INFINIBAND", "LOOPBACK", "UNKNOWN (0x..)"), in buf. */
const char *ctl_net_class_str(uint32_t net_class, char *buf, size_t len);

/*
 * The DAOS fabric providers network scan knows, best first.  The priority of
 * a provider is its index in this list: lower is better.  Order: the CaRT
 * provider table (src/cart/crt_hg.c crt_na_dict: verbs, tcp, tcp;ofi_rxm,
 * cxi, opx), then ofi+sockets, which upstream CaRT dropped (DAOS-14431) and
 * we keep only as a fallback.  Upstream derives priorities at run time from
 * the order Mercury happens to list providers; a fixed table gives every host
 * the same numbers, so identical hosts group together.
 */
int	    ctl_net_provider_count(void);
const char *ctl_net_provider_name(int priority);

/* Priority of a DAOS provider name (aliases such as `ofi+verbs` accepted), or -1. */
int ctl_net_provider_priority(const char *name);

/* One (interface, provider) pair found by the scan. */
struct ctl_fabric_iface {
	char	*provider; /* DAOS form: "ofi+tcp;ofi_rxm" */
	char	*device;   /* OS interface: "ib0" */
	char	*domain;   /* libfabric domain it came from: "mlx5_0" or "ib0" */
	unsigned numa;
	unsigned priority;  /* ctl_net_provider_priority(provider) */
	uint32_t net_class; /* ARPHRD number */
};

struct ctl_net_scan {
	int			 nifaces;
	struct ctl_fabric_iface *ifaces; /* sorted by NUMA, priority, device */
	int			 nproviders;
	char		       **providers;	 /* distinct providers found, by priority */
	unsigned		 numa_count;	 /* ctl_topo_numa_count() */
	unsigned		 cores_per_numa; /* ctl_topo_cores_per_numa() */
};

/*
 * Scan this host (or the fixture).  `provider` NULL, "" or "all"
 * (case-insensitive) keeps every provider; otherwise only that provider
 * (aliases accepted).  A provider DAOS does not know, or one with no
 * interface on this host, is -DER_INVAL / -DER_NONEXIST with eb listing the
 * providers available here.  No interface at all is -DER_NONEXIST.
 * `topo` may be NULL (then the topology is loaded here).
 */
int ctl_net_scan(const char *provider, const struct ctl_topology *topo, struct ctl_net_scan **out,
		 struct d_errbuf *eb);

void ctl_net_scan_free(struct ctl_net_scan *scan);

/* Interfaces of `scan` on NUMA node `numa` carrying `provider`, joined by ", " (caller frees). */
char *ctl_net_scan_ifaces_str(const struct ctl_net_scan *scan, unsigned numa, const char *provider);

/*
 * A 64-bit digest of everything a scan reports, independent of interface
 * order: hosts whose scans have the same key print as one group.
 */
uint64_t ctl_net_scan_key(const struct ctl_net_scan *scan);

/* ==== storage and memory ============================================================ */

/*
 * Local storage discovery and preparation for daos_server: PMem (SCM)
 * modules, regions and namespaces through libndctl, NVMe controllers through
 * /sys/class/nvme and the NVMe admin "Get Log Page" ioctl (SMART/health page
 * 0x02, Intel vendor page 0xCA), and memory/hugepage totals from
 * /proc/meminfo.  On a fixture backend (see ctl_hw()) everything is read
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

/* Is s a PCI address in the form the scans report ("dddd:bb:dd.f", lower-case hex)? */
bool ctl_pci_addr_valid(const char *s);

/* ==== hardware backends ============================================================ */

/*
 * Where hardware discovery looks, chosen once per process, as Redis's ae
 * chooses its event backend: the machine (hwloc, libfabric, libndctl,
 * /sys, /proc) or, when DAOS_HW_ROOT=<dir> is set at the first call of
 * ctl_hw(), the hardware fixture in <dir> (layout in
 * tests/fixtures/README.md): scans read only the fixture and preparation
 * changes the state recorded there; nothing real is touched.  Every scan,
 * every preparation and every memory figure daos_server uses goes through
 * the operations of the chosen backend; DAOS_HW_ROOT is read nowhere else.
 *
 * Operations fail with a negative -DER_* code and a sentence in eb naming
 * the file or device; they never log.
 */

/* What fi_getinfo() offers: one (libfabric provider, domain) pair per entry. */
struct ctl_fabric_domain {
	char *prov;   /* "verbs;ofi_rxm" */
	char *domain; /* "mlx5_0" */
};

struct ctl_fabric_list {
	int			  n;
	int			  cap;
	struct ctl_fabric_domain *e;
};

void ctl_fabric_list_fini(struct ctl_fabric_list *l);

/* Places a backend keeps files in. */
enum ctl_hw_place {
	CTL_HW_SYS, /* sysfs: /sys; fixture <dir>/sys */
	CTL_HW_DEV, /* block devices: /dev; fixture <dir>/storage/dev */
	CTL_HW_RUN, /* daos_server run-time state: /run/daos_server; fixture <dir>/storage/run */
};

struct ctl_hw_ops {
	const char *name; /* "machine" or "fixture" */
	/* Take the fixture directory (fixture backend; the machine ignores it).  ctl_hw_use(). */
	void (*init)(const char *root);
	/* ctl_topo_load(). */
	int (*topo_load)(struct ctl_topology **out, struct d_errbuf *eb);
	/* Append what libfabric offers (reliable-datagram endpoints) to l, without duplicates. */
	int (*fabric_list)(struct ctl_fabric_list *l, struct d_errbuf *eb);
	/* Append PMem modules, regions and namespaces to s (unsorted). */
	int (*pmem_scan)(struct ctl_storage_scan *s, struct d_errbuf *eb);
	/* Append NVMe controllers to s (unsorted), with their health when asked. */
	int (*nvme_scan)(struct ctl_storage_scan *s, bool health, struct d_errbuf *eb);
	/* Memory totals and the hugepage state (/proc/meminfo; fixture storage/meminfo). */
	int (*meminfo)(struct ctl_meminfo *mi, struct d_errbuf *eb);
	/* Ask for nr default-size hugepages; read meminfo for what was granted. */
	int (*hugepages_set)(uint64_t nr, struct d_errbuf *eb);
	/* Create an fsdax namespace taking raw_size bytes of region r. */
	int (*ns_create)(const struct ctl_scm_region *r, uint64_t raw_size, struct d_errbuf *eb);
	/* Destroy a namespace (refused while it is mounted). */
	int (*ns_destroy)(const struct ctl_scm_namespace *ns, struct d_errbuf *eb);
	/* "<place>/<name>" (name NULL: the place itself) in buf; returns buf. */
	const char *(*path)(enum ctl_hw_place place, const char *name, char *buf, size_t len);
	/* The host name shown in banners: this host's, or the fixture directory's name. */
	void (*host_name)(char *buf, size_t len);
};

/*
 * The backend of this process.  The first call chooses it from
 * DAOS_HW_ROOT (unset or empty: the machine) unless ctl_hw_use() chose
 * first; later changes of the environment have no effect.  Thread-safe.
 */
const struct ctl_hw_ops *ctl_hw(void);

/*
 * Choose the backend explicitly: the fixture in root, or the machine when
 * root is NULL or "".  For tests and tools; not thread-safe: call it while
 * no other thread uses ctl_hw().
 */
void ctl_hw_use(const char *root);

#endif /* DAOS_CONTROL_LIB_HW_HW_H */
