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
 * With DAOS_HW_ROOT set, the same pipeline reads the fixture instead:
 * <root>/libfabric.txt ("<libfabric provider> <domain>" per line, what
 * fi_getinfo would return), <root>/topology.xml and
 * <root>/sys/class/net/<if>/type (layout in tests/fixtures/README.md).
 */
#ifndef DAOS_CONTROL_LIB_CTL_NET_H
#define DAOS_CONTROL_LIB_CTL_NET_H

#include <stdint.h>
#include <stdio.h>

#include "common/common.h"

struct d_json;
struct ctl_topology;

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

/* A group of hosts with identical scans. */
struct ctl_net_host_group {
	const char *hosts; /* ranged hostset text, e.g. "wolf-[1-4]" or "localhost" */
	const struct ctl_net_scan *scan;
};

/*
 * Text rendering: per group a banner with the hosts, then per NUMA node (in
 * ascending order) a 4-space-indented banner "NUMA Socket N" and an
 * 8-space-indented table "Provider Interfaces", providers by priority and
 * interfaces by name.  Upstream iterates Go maps here, so its order varies
 * from run to run; ours is fixed.  Groups print in the order given.
 */
void ctl_net_print(FILE *out, const struct ctl_net_host_group *groups, int ngroups);

/*
 * JSON rendering with upstream's field names (control.HostFabricMap): an
 * object keyed by the decimal ctl_net_scan_key() of each group, each value
 * {"HostFabric": {"Interfaces": [{"Provider", "Device", "NumaNode",
 * "Priority", "NetDevClass"}], "Providers": [...], "NumaCount",
 * "CoresPerNuma"}, "HostSet": "<hosts>"}.  Written as a value with `key`
 * (NULL inside arrays or at top level).
 */
void ctl_net_json(struct d_json *w, const char *key, const struct ctl_net_host_group *groups,
		  int ngroups);

#endif /* DAOS_CONTROL_LIB_CTL_NET_H */
