/*
 * The machine backend of hw.h (ctl_hw() without DAOS_HW_ROOT): hwloc for
 * the topology (topology.c), libfabric for the fabric listing (here,
 * loaded on demand), libndctl for PMem (storage_pmem.c), sysfs and the
 * NVMe admin ioctl for NVMe (storage_nvme.c), /proc/meminfo and
 * /proc/sys/vm/nr_hugepages for memory and hugepages, /sys, /dev and
 * /run/daos_server as places.  Reached only through hw_machine_ops.
 */
#include <dlfcn.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rdma/fabric.h>

#include "common/fs.h"
#include "control/lib/hw/hw.h"
#include "control/lib/hw/hw_internal.h"

#define MACHINE_MEMINFO	     "/proc/meminfo"
#define MACHINE_NR_HUGEPAGES "/proc/sys/vm/nr_hugepages"

static void
machine_init(const char *root)
{
	(void)root;
}

/*
 * libfabric is loaded only when the real machine is scanned: loading it pulls
 * in provider libraries whose constructors take a noticeable time (PSM's
 * sleeps for ~0.2 s), which every daos_server command would otherwise pay.
 */
struct lf_api {
	int (*getinfo)(uint32_t, const char *, const char *, uint64_t, const struct fi_info *,
		       struct fi_info **);
	void (*freeinfo)(struct fi_info *);
	struct fi_info *(*dupinfo)(const struct fi_info *);
	const char *(*strerror)(int);
};

/* Ask libfabric what a Mercury-style data plane could open: RDM endpoints with messages and RMA. */
static int
machine_fabric_list(struct ctl_fabric_list *l, struct d_errbuf *eb)
{
	struct fi_info *hints = NULL, *info = NULL, *cur;
	struct lf_api	api;
	void	       *dl;
	int		rc;

	/* Never unmapped: libfabric keeps provider state in globals until exit. */
	dl = dlopen("libfabric.so.1", RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
	if (dl == NULL) {
		d_errbuf_set(eb,
			     "cannot load libfabric (%s); install libfabric to scan fabric "
			     "interfaces",
			     dlerror());
		return -DER_NOSYS;
	}
	*(void **)&api.getinfo = dlsym(dl, "fi_getinfo");
	*(void **)&api.freeinfo = dlsym(dl, "fi_freeinfo");
	*(void **)&api.dupinfo = dlsym(dl, "fi_dupinfo");
	*(void **)&api.strerror = dlsym(dl, "fi_strerror");
	if (api.getinfo == NULL || api.freeinfo == NULL || api.dupinfo == NULL ||
	    api.strerror == NULL) {
		d_errbuf_set(eb,
			     "libfabric.so.1 lacks fi_getinfo/fi_freeinfo/fi_dupinfo/fi_strerror; "
			     "install libfabric 1.9 or later");
		rc = -DER_NOSYS;
		goto out;
	}

	hints = api.dupinfo(NULL);
	if (hints == NULL) {
		d_errbuf_set(eb, "libfabric: out of memory");
		rc = -DER_NOMEM;
		goto out;
	}
	hints->ep_attr->type = FI_EP_RDM;
	hints->caps = FI_MSG | FI_RMA;
	hints->mode = FI_CONTEXT | FI_ASYNC_IOV;
	/* Without these memory-registration modes verbs would not be offered. */
	hints->domain_attr->mr_mode =
		FI_MR_VIRT_ADDR | FI_MR_ALLOCATED | FI_MR_PROV_KEY | FI_MR_LOCAL | FI_MR_ENDPOINT;

	rc = api.getinfo(FI_VERSION(1, 9), NULL, NULL, 0, hints, &info);
	if (rc == -FI_ENODATA) {
		rc = 0;
		goto out;
	}
	if (rc != 0) {
		d_errbuf_set(eb, "libfabric fi_getinfo failed: %s", api.strerror(-rc));
		rc = -DER_MISC;
		goto out;
	}
	for (cur = info; cur != NULL && rc == 0; cur = cur->next) {
		const char *p = cur->fabric_attr ? cur->fabric_attr->prov_name : NULL;
		const char *d = cur->domain_attr ? cur->domain_attr->name : NULL;

		if (p != NULL && d != NULL)
			rc = hw_fabric_list_add(l, p, strlen(p), d, strlen(d));
	}
	if (rc != 0)
		d_errbuf_set(eb, "out of memory while listing fabric interfaces");
out:
	if (info != NULL)
		api.freeinfo(info);
	if (hints != NULL)
		api.freeinfo(hints);
	dlclose(dl);
	return rc;
}

static int
machine_meminfo(struct ctl_meminfo *mi, struct d_errbuf *eb)
{
	char *text = NULL;
	int   rc;

	rc = d_file_read(MACHINE_MEMINFO, SIZE_MAX, &text, NULL, eb);
	if (rc != 0)
		return rc;
	rc = ctl_meminfo_parse(text, MACHINE_MEMINFO, mi, eb);
	D_FREE(text);
	return rc;
}

static int
machine_hugepages_set(uint64_t nr, struct d_errbuf *eb)
{
	char val[32];

	snprintf(val, sizeof(val), "%" PRIu64 "\n", nr);
	return stg_write_file(MACHINE_NR_HUGEPAGES, val, eb);
}

static const char *
machine_path(enum ctl_hw_place place, const char *name, char *buf, size_t len)
{
	static const char *const dirs[] = {
		[CTL_HW_SYS] = "/sys",
		[CTL_HW_DEV] = "/dev",
		[CTL_HW_RUN] = "/run/daos_server",
	};

	if (name == NULL)
		stg_pathf(buf, len, "%s", dirs[place]);
	else
		stg_pathf(buf, len, "%s/%s", dirs[place], name);
	return buf;
}

static void
machine_host_name(char *buf, size_t len)
{
	if (gethostname(buf, len) != 0)
		stg_strlcpy(buf, "localhost", len);
	buf[len - 1] = '\0';
}

const struct ctl_hw_ops hw_machine_ops = {
	.name = "machine",
	.init = machine_init,
	.topo_load = hw_topo_load_machine,
	.fabric_list = machine_fabric_list,
	.pmem_scan = stg_pmem_scan,
	.nvme_scan = stg_nvme_scan,
	.meminfo = machine_meminfo,
	.hugepages_set = machine_hugepages_set,
	.ns_create = stg_pmem_ns_create,
	.ns_destroy = stg_pmem_ns_destroy,
	.path = machine_path,
	.host_name = machine_host_name,
};
