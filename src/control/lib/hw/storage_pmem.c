/*
 * PMem on the real machine through libndctl: DIMMs (location decoded from
 * the ACPI NFIT device handle), PMem regions and their namespaces, and the
 * two actions prepare/reset need: create an fsdax namespace of a given raw
 * size on a region (page map on the device, 2 MiB alignment, as
 * `ndctl create-namespace -m fsdax` does) and destroy a namespace (refused by
 * the kernel while it is mounted).  Regions (memory allocation goals) are
 * not handled here: that needs ipmctl and a reboot.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include <ndctl/libndctl.h>

#include "control/lib/hw/hw_internal.h"

#define SZ_2M (2UL << 20)

/* From <ndctl/ndctl.h>, which needs ccan headers Debian does not ship. */
#define STG_ND_DEVICE_REGION_PMEM  2
#define STG_ND_DEVICE_NAMESPACE_IO 4

static int
ndctl_open(struct ndctl_ctx **ctx, struct d_errbuf *eb)
{
	int rc = ndctl_new(ctx);

	if (rc < 0) {
		d_errbuf_set(eb, "libndctl initialisation failed: %s", strerror(-rc));
		return d_errno2der(-rc);
	}
	return 0;
}

static void
uuid_to_str(const unsigned char *u, char *buf, size_t len)
{
	snprintf(buf, len, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12],
		 u[13], u[14], u[15]);
}

static const char *
mode_name(enum ndctl_namespace_mode m)
{
	switch (m) {
	case NDCTL_NS_MODE_FSDAX:
		return "fsdax";
	case NDCTL_NS_MODE_DEVDAX:
		return "devdax";
	case NDCTL_NS_MODE_SECTOR:
		return "sector";
	case NDCTL_NS_MODE_RAW:
		return "raw";
	default:
		return "unknown";
	}
}

static void
dimm_to_module(struct ndctl_bus *bus, struct ndctl_dimm *dimm, struct ctl_scm_module *m)
{
	unsigned int	      h = ndctl_dimm_get_handle(dimm);
	struct ndctl_region  *region;
	struct ndctl_mapping *map;
	const char	     *uid;

	/* NFIT device handle: [3:0] slot, [7:4] channel, [11:8] iMC, [15:12] socket. */
	m->channel_pos = h & 0xf;
	m->channel_id = (h >> 4) & 0xf;
	m->controller_id = (h >> 8) & 0xf;
	m->socket_id = (h >> 12) & 0xf;
	m->physical_id = ndctl_dimm_get_phys_id(dimm);
	uid = ndctl_dimm_get_unique_id(dimm);
	if (uid != NULL)
		stg_strlcpy(m->uid, uid, sizeof(m->uid));
	else
		snprintf(m->uid, sizeof(m->uid), "%08x", ndctl_dimm_get_serial(dimm));
	/* libndctl has no part number; vendor and device ids identify the model. */
	snprintf(m->part_number, sizeof(m->part_number), "%04x-%04x", ndctl_dimm_get_vendor(dimm),
		 ndctl_dimm_get_device(dimm));
	snprintf(m->fw_rev, sizeof(m->fw_rev), "%u", ndctl_dimm_get_revision(dimm));
	stg_strlcpy(m->health,
		    ndctl_dimm_failed_map(dimm)	     ? "Critical"
		    : ndctl_dimm_smart_pending(dimm) ? "Non-critical"
						     : "Healthy",
		    sizeof(m->health));
	/* Capacity: what the DIMM contributes to PMem regions (its mappings). */
	m->capacity = 0;
	ndctl_region_foreach(bus, region)
	{
		ndctl_mapping_foreach(region, map)
		{
			if (ndctl_mapping_get_dimm(map) == dimm)
				m->capacity += ndctl_mapping_get_length(map);
		}
	}
}

static int
ns_describe(struct ndctl_region *region, struct ndctl_namespace *ndns, struct ctl_scm_namespace *ns)
{
	struct ndctl_pfn *pfn = ndctl_namespace_get_pfn(ndns);
	const char	 *bdev;
	unsigned char	  uu[16];
	int		  numa;

	if (ndctl_namespace_get_size(ndns) == 0 || !ndctl_namespace_is_active(ndns))
		return -DER_NONEXIST;
	bdev = pfn != NULL ? ndctl_pfn_get_block_device(pfn)
			   : ndctl_namespace_get_block_device(ndns);
	if (bdev == NULL || bdev[0] == '\0')
		return -DER_NONEXIST; /* devdax: no block device usable as SCM */
	memset(ns, 0, sizeof(*ns));
	stg_strlcpy(ns->blockdev, bdev, sizeof(ns->blockdev));
	stg_strlcpy(ns->dev, ndctl_namespace_get_devname(ndns), sizeof(ns->dev));
	stg_strlcpy(ns->region, ndctl_region_get_devname(region), sizeof(ns->region));
	stg_strlcpy(ns->mode, mode_name(ndctl_namespace_get_mode(ndns)), sizeof(ns->mode));
	ndctl_namespace_get_uuid(ndns, uu);
	uuid_to_str(uu, ns->uuid, sizeof(ns->uuid));
	numa = ndctl_namespace_get_numa_node(ndns);
	ns->numa_node = numa > 0 ? (uint32_t)numa : 0;
	ns->size = pfn != NULL ? ndctl_pfn_get_size(pfn) : ndctl_namespace_get_size(ndns);
	return 0;
}

int
stg_pmem_scan(struct ctl_storage_scan *s, struct d_errbuf *eb)
{
	struct ndctl_ctx       *ctx;
	struct ndctl_bus       *bus;
	struct ndctl_dimm      *dimm;
	struct ndctl_region    *region;
	struct ndctl_namespace *ndns;
	int			rc;

	rc = ndctl_open(&ctx, eb);
	if (rc != 0)
		return rc;
	ndctl_bus_foreach(ctx, bus)
	{
		ndctl_dimm_foreach(bus, dimm)
		{
			struct ctl_scm_module m = {0};

			dimm_to_module(bus, dimm, &m);
			if (stg_array_add((void **)&s->modules, &s->nr_modules, sizeof(m), &m))
				goto nomem;
		}
		ndctl_region_foreach(bus, region)
		{
			struct ctl_scm_region r = {0};
			int		      numa;

			if (ndctl_region_get_type(region) != STG_ND_DEVICE_REGION_PMEM)
				continue;
			stg_strlcpy(r.dev, ndctl_region_get_devname(region), sizeof(r.dev));
			r.id = ndctl_region_get_id(region);
			numa = ndctl_region_get_numa_node(region);
			r.numa_node = numa > 0 ? (uint32_t)numa : 0;
			r.size = ndctl_region_get_size(region);
			r.available = ndctl_region_get_available_size(region);
			if (stg_array_add((void **)&s->regions, &s->nr_regions, sizeof(r), &r))
				goto nomem;
			ndctl_namespace_foreach(region, ndns)
			{
				struct ctl_scm_namespace ns;

				if (ns_describe(region, ndns, &ns) != 0)
					continue;
				if (stg_array_add((void **)&s->namespaces, &s->nr_namespaces,
						  sizeof(ns), &ns))
					goto nomem;
			}
		}
	}
	ndctl_unref(ctx);
	return 0;
nomem:
	ndctl_unref(ctx);
	d_errbuf_set(eb, "out of memory");
	return -DER_NOMEM;
}

static struct ndctl_region *
find_region(struct ndctl_ctx *ctx, const char *dev)
{
	struct ndctl_bus    *bus;
	struct ndctl_region *region;

	ndctl_bus_foreach(ctx, bus)
	{
		ndctl_region_foreach(bus, region)
		{
			if (strcmp(ndctl_region_get_devname(region), dev) == 0)
				return region;
		}
	}
	return NULL;
}

static int
random_uuid(unsigned char *uu)
{
	if (getrandom(uu, 16, 0) != 16)
		return -DER_IO;
	uu[6] = (uu[6] & 0x0f) | 0x40; /* version 4 */
	uu[8] = (uu[8] & 0x3f) | 0x80; /* RFC 4122 variant */
	return 0;
}

int
stg_pmem_ns_create(const struct ctl_scm_region *r, uint64_t raw, struct d_errbuf *eb)
{
	struct ndctl_ctx       *ctx;
	struct ndctl_region    *region;
	struct ndctl_namespace *ndns;
	struct ndctl_pfn       *pfn;
	unsigned char		uu[16];
	const char	       *step = NULL;
	int			rc;

	rc = ndctl_open(&ctx, eb);
	if (rc != 0)
		return rc;
	region = find_region(ctx, r->dev);
	if (region == NULL) {
		d_errbuf_set(eb, "%s: region disappeared during prepare", r->dev);
		rc = -DER_NONEXIST;
		goto out;
	}
	if (ndctl_region_get_nstype(region) == STG_ND_DEVICE_NAMESPACE_IO) {
		/* Label-less region: one fixed namespace covering it, only its mode can change. */
		ndns = ndctl_namespace_get_first(region);
		if (ndns != NULL && (rc = ndctl_namespace_disable_safe(ndns)) < 0)
			step = "disable the label-less namespace";
	} else {
		ndns = ndctl_region_get_namespace_seed(region);
		if (ndns == NULL || !ndctl_namespace_is_configuration_idle(ndns)) {
			step = "find an idle namespace seed";
			rc = -EBUSY;
		} else if ((rc = random_uuid(uu)) != 0 ||
			   (rc = ndctl_namespace_set_uuid(ndns, uu)) < 0) {
			step = "set the namespace uuid";
		} else if ((rc = ndctl_namespace_set_size(ndns, raw)) < 0) {
			step = "set the namespace size";
		} else {
			/* Only labelled namespaces remember their mode; ignore the others. */
			ndctl_namespace_set_enforce_mode(ndns, NDCTL_NS_MODE_FSDAX);
		}
	}
	if (step == NULL && ndns == NULL) {
		step = "find a namespace";
		rc = -ENODEV;
	}
	if (step == NULL) {
		pfn = ndctl_region_get_pfn_seed(region);
		if (pfn == NULL) {
			step = "find a pfn seed (is the nd_pmem driver loaded?)";
			rc = -ENODEV;
		} else if ((rc = random_uuid(uu)) != 0 || (rc = ndctl_pfn_set_uuid(pfn, uu)) < 0 ||
			   (rc = ndctl_pfn_set_location(pfn, NDCTL_PFN_LOC_PMEM)) < 0 ||
			   (ndctl_pfn_has_align(pfn) &&
			    (rc = ndctl_pfn_set_align(pfn, SZ_2M)) < 0) ||
			   (rc = ndctl_pfn_set_namespace(pfn, ndns)) < 0 ||
			   (rc = ndctl_pfn_enable(pfn)) < 0) {
			step = "configure fsdax mode";
		}
	}
	if (step != NULL) {
		d_errbuf_set(eb, "%s: cannot %s: %s", r->dev, step,
			     rc < 0 ? strerror(-rc) : d_errstr(rc));
		rc = rc < 0 && rc > -1000 ? d_errno2der(-rc) : rc;
		if (rc == 0)
			rc = -DER_IO;
	}
out:
	ndctl_unref(ctx);
	return rc;
}

int
stg_pmem_ns_destroy(const struct ctl_scm_namespace *ns, struct d_errbuf *eb)
{
	struct ndctl_ctx       *ctx;
	struct ndctl_region    *region;
	struct ndctl_namespace *ndns;
	int			rc;

	rc = ndctl_open(&ctx, eb);
	if (rc != 0)
		return rc;
	region = find_region(ctx, ns->region);
	rc = -DER_NONEXIST;
	if (region != NULL) {
		ndctl_namespace_foreach(region, ndns)
		{
			if (strcmp(ndctl_namespace_get_devname(ndns), ns->dev) != 0)
				continue;
			/* disable_safe refuses while the block device is mounted. */
			rc = ndctl_namespace_disable_safe(ndns);
			if (rc == 0)
				rc = ndctl_namespace_delete(ndns);
			if (rc < 0) {
				d_errbuf_set(eb, "cannot destroy %s (/dev/%s): %s; is it mounted?",
					     ns->dev, ns->blockdev, strerror(-rc));
				rc = d_errno2der(-rc);
			}
			goto out;
		}
	}
	d_errbuf_set(eb, "%s: namespace not found", ns->dev);
out:
	ndctl_unref(ctx);
	return rc;
}
