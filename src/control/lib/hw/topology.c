/*
 * Topology discovery with hwloc (see hw.h): the real machine (for the
 * machine backend), or an hwloc XML file (a fixture's topology.xml).  Which
 * of the two ctl_topo_load() reads is the backend's choice (hw.c).  The
 * hwloc topology is walked once and copied into plain arrays, so callers
 * never touch hwloc.  This file does not bind threads or memory (the engine
 * does that itself).
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <hwloc.h>

#include "control/lib/hw/hw.h"
#include "control/lib/hw/hw_internal.h"

/* NUMA node of an object: the first node whose CPUs cover its nearest non-I/O ancestor. */
static unsigned
obj_numa(hwloc_topology_t t, hwloc_obj_t obj)
{
	hwloc_obj_t anc = hwloc_get_non_io_ancestor_obj(t, obj);
	hwloc_obj_t node = NULL;

	if (anc == NULL || anc->cpuset == NULL || hwloc_bitmap_iszero(anc->cpuset))
		return 0;
	while ((node = hwloc_get_next_obj_by_type(t, HWLOC_OBJ_NUMANODE, node)) != NULL) {
		if (node->cpuset != NULL && !hwloc_bitmap_iszero(node->cpuset) &&
		    hwloc_bitmap_isincluded(anc->cpuset, node->cpuset))
			return node->os_index;
	}
	return 0;
}

static int
cmp_numa(const void *a, const void *b)
{
	const struct ctl_topo_numa *x = a, *y = b;

	return (x->id > y->id) - (x->id < y->id);
}

static int
cmp_pci(const void *a, const void *b)
{
	const struct ctl_topo_pci *x = a, *y = b;

	return strcmp(x->addr, y->addr);
}

static enum ctl_topo_osdev_type
osdev_type(hwloc_obj_t obj)
{
	switch (obj->attr->osdev.type) {
	case HWLOC_OBJ_OSDEV_BLOCK:
		return CTL_OSDEV_BLOCK;
	case HWLOC_OBJ_OSDEV_NETWORK:
		return CTL_OSDEV_NETWORK;
	case HWLOC_OBJ_OSDEV_OPENFABRICS:
		return CTL_OSDEV_OPENFABRICS;
	default:
		return CTL_OSDEV_OTHER;
	}
}

static void
pci_format(char buf[16], unsigned dom, unsigned bus, unsigned dev, unsigned fn)
{
	snprintf(buf, 16, "%04x:%02x:%02x.%x", dom & 0xffff, bus & 0xff, dev & 0x1f, fn & 0x7);
}

/* Copy what we need out of a loaded hwloc topology. */
static int
topo_extract(hwloc_topology_t t, const char *source, struct ctl_topology **out)
{
	struct ctl_topology *topo = NULL;
	hwloc_obj_t	     obj;
	int		     n, i, rc = -DER_NOMEM;

	D_ALLOC_PTR(topo);
	if (topo == NULL)
		goto out;
	D_STRDUP(topo->source, source);
	if (topo->source == NULL)
		goto out;

	/*
	 * hwloc 2 always has at least one NUMA node: it makes node 0 when the
	 * machine (or a hwloc 1.x XML file) has no NUMA information.
	 */
	n = hwloc_get_nbobjs_by_type(t, HWLOC_OBJ_NUMANODE);
	D_ALLOC_ARRAY(topo->numa, n > 0 ? n : 1);
	if (topo->numa == NULL)
		goto out;
	for (i = 0; i < n; i++)
		topo->numa[i].id = hwloc_get_obj_by_type(t, HWLOC_OBJ_NUMANODE, i)->os_index;
	topo->nnuma = n > 0 ? n : 1;
	qsort(topo->numa, topo->nnuma, sizeof(*topo->numa), cmp_numa);

	for (obj = NULL; (obj = hwloc_get_next_obj_by_type(t, HWLOC_OBJ_CORE, obj)) != NULL;) {
		struct ctl_topo_numa *node =
			(struct ctl_topo_numa *)ctl_topo_numa_get(topo, obj_numa(t, obj));

		if (node == NULL)
			node = &topo->numa[0];
		node->ncores++;
		node->npus +=
			hwloc_bitmap_weight(obj->cpuset) > 0 ? hwloc_bitmap_weight(obj->cpuset) : 0;
		topo->ncores++;
	}
	if (topo->ncores == 0) {
		/* Some virtual machines expose PUs without cores: count each PU as a core. */
		for (obj = NULL;
		     (obj = hwloc_get_next_obj_by_type(t, HWLOC_OBJ_PU, obj)) != NULL;) {
			struct ctl_topo_numa *node =
				(struct ctl_topo_numa *)ctl_topo_numa_get(topo, obj_numa(t, obj));

			if (node == NULL)
				node = &topo->numa[0];
			node->ncores++;
			node->npus++;
			topo->ncores++;
		}
	}

	n = hwloc_get_nbobjs_by_type(t, HWLOC_OBJ_PCI_DEVICE);
	if (n > 0) {
		D_ALLOC_ARRAY(topo->pci, n);
		if (topo->pci == NULL)
			goto out;
		for (obj = NULL; (obj = hwloc_get_next_pcidev(t, obj)) != NULL;) {
			struct ctl_topo_pci *p = &topo->pci[topo->npci++];

			pci_format(p->addr, obj->attr->pcidev.domain, obj->attr->pcidev.bus,
				   obj->attr->pcidev.dev, obj->attr->pcidev.func);
			p->class_id = obj->attr->pcidev.class_id;
			p->numa = obj_numa(t, obj);
		}
		qsort(topo->pci, topo->npci, sizeof(*topo->pci), cmp_pci);
	}

	n = hwloc_get_nbobjs_by_type(t, HWLOC_OBJ_OS_DEVICE);
	if (n > 0) {
		D_ALLOC_ARRAY(topo->osdev, n);
		if (topo->osdev == NULL)
			goto out;
		for (obj = NULL; (obj = hwloc_get_next_osdev(t, obj)) != NULL;) {
			struct ctl_topo_osdev *d = &topo->osdev[topo->nosdev];
			hwloc_obj_t	       p;

			if (obj->name == NULL)
				continue;
			D_STRDUP(d->name, obj->name);
			if (d->name == NULL)
				goto out;
			topo->nosdev++;
			d->type = osdev_type(obj);
			d->numa = obj_numa(t, obj);
			d->pci = -1;
			for (p = obj->parent; p != NULL && p->type == HWLOC_OBJ_OS_DEVICE;
			     p = p->parent)
				;
			if (p != NULL && p->type == HWLOC_OBJ_PCI_DEVICE) {
				char addr[16];

				pci_format(addr, p->attr->pcidev.domain, p->attr->pcidev.bus,
					   p->attr->pcidev.dev, p->attr->pcidev.func);
				for (i = 0; i < (int)topo->npci; i++)
					if (strcmp(topo->pci[i].addr, addr) == 0)
						d->pci = i;
			}
		}
	}

	*out = topo;
	topo = NULL;
	rc = 0;
out:
	ctl_topo_free(topo);
	return rc;
}

static int
topo_load(const char *xml, struct ctl_topology **out, struct d_errbuf *eb)
{
	hwloc_topology_t t = NULL;
	int		 rc;

	if (hwloc_topology_init(&t) != 0) {
		d_errbuf_set(eb, "hwloc: cannot initialise a topology: %s", strerror(errno));
		return -DER_NOMEM;
	}
	/* Keep PCI devices and their OS devices (NICs, HCAs, NVMe namespaces). */
	hwloc_topology_set_io_types_filter(t, HWLOC_TYPE_FILTER_KEEP_ALL);
	/*
	 * On Linux the core backend reads PCI devices from sysfs by itself; the
	 * separate "pci" component (libpciaccess) only adds names and leaks
	 * memory that the sanitizer build would report on every scan.
	 */
	hwloc_topology_set_components(t, HWLOC_TOPOLOGY_COMPONENTS_FLAG_BLACKLIST, "pci");
	if (xml != NULL && hwloc_topology_set_xml(t, xml) != 0) {
		d_errbuf_set(
			eb,
			"hardware fixture %s: not a valid hwloc XML topology (%s); "
			"regenerate it with tests/fixtures/make_topology.py or `lstopo --of xml`",
			xml, strerror(errno));
		rc = -DER_INVAL;
		goto out;
	}
	if (hwloc_topology_load(t) != 0) {
		if (xml != NULL) {
			d_errbuf_set(eb,
				     "hardware fixture %s: hwloc cannot build a topology from it "
				     "(%s); regenerate it with tests/fixtures/make_topology.py or "
				     "`lstopo --of xml`",
				     xml, strerror(errno));
			rc = -DER_INVAL;
		} else {
			d_errbuf_set(eb, "hwloc could not read this machine's topology: %s",
				     strerror(errno));
			rc = -DER_MISC;
		}
		goto out;
	}
	rc = topo_extract(t, xml != NULL ? xml : "hwloc", out);
	if (rc != 0)
		d_errbuf_set(eb, "out of memory while reading the hardware topology");
out:
	hwloc_topology_destroy(t);
	return rc;
}

int
ctl_topo_load_xml(const char *path, struct ctl_topology **out, struct d_errbuf *eb)
{
	FILE *f;

	/* hwloc reports a missing file only as a generic load failure. */
	f = fopen(path, "re");
	if (f == NULL) {
		int err = errno;

		d_errbuf_set(eb,
			     "hardware fixture %s: cannot open: %s (each host directory needs "
			     "an hwloc XML topology; see tests/fixtures/README.md)",
			     path, strerror(err));
		return err == ENOENT ? -DER_NONEXIST : -DER_INVAL;
	}
	fclose(f);
	return topo_load(path, out, eb);
}

int
hw_topo_load_machine(struct ctl_topology **out, struct d_errbuf *eb)
{
	return topo_load(NULL, out, eb);
}

void
ctl_topo_free(struct ctl_topology *topo)
{
	unsigned i;

	if (topo == NULL)
		return;
	for (i = 0; i < topo->nosdev; i++)
		D_FREE(topo->osdev[i].name);
	D_FREE(topo->osdev);
	D_FREE(topo->pci);
	D_FREE(topo->numa);
	D_FREE(topo->source);
	D_FREE(topo);
}

unsigned
ctl_topo_numa_count(const struct ctl_topology *topo)
{
	return topo->nnuma;
}

unsigned
ctl_topo_cores_per_numa(const struct ctl_topology *topo)
{
	unsigned i, min = UINT_MAX;

	for (i = 0; i < topo->nnuma; i++)
		if (topo->numa[i].ncores < min)
			min = topo->numa[i].ncores;
	return topo->nnuma == 0 ? 0 : min;
}

const struct ctl_topo_numa *
ctl_topo_numa_get(const struct ctl_topology *topo, unsigned id)
{
	unsigned i;

	for (i = 0; i < topo->nnuma; i++)
		if (topo->numa[i].id == id)
			return &topo->numa[i];
	return NULL;
}

int
ctl_pci_addr_normalize(const char *addr, char buf[16])
{
	unsigned dom = 0, bus, dev, fn;
	int	 used = 0;
	size_t	 len;

	if (addr == NULL)
		return -DER_INVAL;
	len = strlen(addr);
	if (sscanf(addr, "%x:%x:%x.%x%n", &dom, &bus, &dev, &fn, &used) == 4 &&
	    (size_t)used == len && len == 12) {
		/* dddd:bb:dd.f */
	} else if (dom = 0, used = 0,
		   sscanf(addr, "%x:%x.%x%n", &bus, &dev, &fn, &used) == 3 && (size_t)used == len &&
			   len == 7) {
		/* bb:dd.f in domain 0 */
	} else {
		return -DER_INVAL;
	}
	for (size_t i = 0; i < len; i++)
		if (!isxdigit((unsigned char)addr[i]) && addr[i] != ':' && addr[i] != '.')
			return -DER_INVAL;
	if (bus > 0xff || dev > 0x1f || fn > 7)
		return -DER_INVAL;
	pci_format(buf, dom, bus, dev, fn);
	return 0;
}

int
ctl_topo_pci_numa(const struct ctl_topology *topo, const char *addr, unsigned *numa)
{
	char	 norm[16];
	unsigned i;

	if (ctl_pci_addr_normalize(addr, norm) != 0)
		return -DER_INVAL;
	for (i = 0; i < topo->npci; i++) {
		if (strcmp(topo->pci[i].addr, norm) == 0) {
			*numa = topo->pci[i].numa;
			return 0;
		}
	}
	return -DER_NONEXIST;
}

const struct ctl_topo_osdev *
ctl_topo_osdev_find(const struct ctl_topology *topo, const char *name)
{
	unsigned i;

	for (i = 0; i < topo->nosdev; i++)
		if (strcmp(topo->osdev[i].name, name) == 0)
			return &topo->osdev[i];
	return NULL;
}

int
ctl_topo_netdev_numa(const struct ctl_topology *topo, const char *ifname, unsigned *numa)
{
	const struct ctl_topo_osdev *d = ctl_topo_osdev_find(topo, ifname);

	if (d == NULL || d->type != CTL_OSDEV_NETWORK)
		return -DER_NONEXIST;
	*numa = d->numa;
	return 0;
}
