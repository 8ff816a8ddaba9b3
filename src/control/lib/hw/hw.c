/*
 * The choice of hardware backend (hw.h, ctl_hw()) and the entry points that
 * go through it: topology loading and the storage scan.  The backends
 * (hw_machine.c, hw_fixture.c) are reached only through their operation
 * tables; this is the one place that reads DAOS_HW_ROOT.
 */
#include <pthread.h>
#include <stdlib.h>

#include "control/lib/hw/hw.h"
#include "control/lib/hw/hw_internal.h"

static const struct ctl_hw_ops *hw_ops;
static pthread_once_t		hw_once = PTHREAD_ONCE_INIT;

void
ctl_hw_use(const char *root)
{
	if (root != NULL && root[0] != '\0') {
		hw_fixture_ops.init(root);
		hw_ops = &hw_fixture_ops;
	} else {
		hw_ops = &hw_machine_ops;
	}
}

static void
hw_choose(void)
{
	if (hw_ops == NULL)
		ctl_hw_use(getenv("DAOS_HW_ROOT"));
}

const struct ctl_hw_ops *
ctl_hw(void)
{
	pthread_once(&hw_once, hw_choose);
	return hw_ops;
}

int
ctl_topo_load(struct ctl_topology **out, struct d_errbuf *eb)
{
	return ctl_hw()->topo_load(out, eb);
}

int
ctl_storage_scan(unsigned int flags, struct ctl_storage_scan **out, struct d_errbuf *eb)
{
	const struct ctl_hw_ops *hw = ctl_hw();
	struct ctl_storage_scan *s;
	int			 rc = 0;

	D_ALLOC_PTR(s);
	if (s == NULL) {
		d_errbuf_set(eb, "out of memory");
		return -DER_NOMEM;
	}
	if (flags & CTL_SCAN_SCM) {
		rc = hw->pmem_scan(s, eb);
		if (rc != 0)
			goto out;
	}
	if (flags & CTL_SCAN_NVME) {
		rc = hw->nvme_scan(s, (flags & CTL_SCAN_HEALTH) != 0, eb);
		if (rc != 0)
			goto out;
	}
	if (flags & CTL_SCAN_MEM) {
		rc = hw->meminfo(&s->mem, eb);
		if (rc != 0)
			goto out;
	}
	stg_scan_sort(s);
	*out = s;
	s = NULL;
out:
	ctl_storage_scan_free(s);
	return rc;
}
