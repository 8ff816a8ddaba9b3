/*
 * Local hardware topology: NUMA nodes, physical cores, PCI devices and the
 * OS devices (network interfaces, OpenFabrics devices, block devices) below
 * them, each with its NUMA affinity.  Read with hwloc from the machine, or
 * from the fixture `<DAOS_HW_ROOT>/topology.xml` (hwloc XML) when a
 * hardware root is set.  The result is plain data: no hwloc handle is kept.
 *
 * NUMA affinity of a device is the NUMA node whose CPUs cover the device's
 * nearest non-I/O ancestor (as upstream does); a device attached above all
 * nodes (e.g. to the machine on a multi-socket host) gets node 0.  A machine
 * without NUMA information reports one node, 0, holding every core.
 */
#ifndef DAOS_CONTROL_LIB_CTL_TOPO_H
#define DAOS_CONTROL_LIB_CTL_TOPO_H

#include <stdint.h>

#include "common/common.h"

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
 * Load the topology of this machine, or of the fixture when DAOS_HW_ROOT is
 * set.  Errors: -DER_NONEXIST (fixture file missing), -DER_INVAL (not a
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

#endif /* DAOS_CONTROL_LIB_CTL_TOPO_H */
