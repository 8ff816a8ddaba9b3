/*
 * Text and JSON renderings of network scan results (see render.h), shared
 * by `daos_server network scan` and `daos_agent net-scan` (one group,
 * "localhost", through net_local.c) and `dmg network scan` (hosts grouped
 * by identical results).  Nothing here scans.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "common/json.h"
#include "common/table.h"
#include "control/lib/hw/hw.h"
#include "control/lib/render/render.h"

static bool
numa_listed(const struct ctl_net_scan *s, int upto, unsigned numa)
{
	int i;

	for (i = 0; i < upto; i++)
		if (s->ifaces[i].numa == numa)
			return true;
	return false;
}

static void
print_numa(FILE *out, const struct ctl_net_scan *s, unsigned numa)
{
	static const char *const titles[] = {"Provider", "Interfaces"};
	struct d_table		*t;
	char			 title[32];
	int			 p;

	snprintf(title, sizeof(title), "NUMA Socket %u", numa);
	d_banner_print(out, 4, title);
	fputc('\n', out);

	t = d_table_create(2, titles);
	if (t == NULL) {
		fprintf(out, "        (out of memory)\n\n");
		return;
	}
	for (p = 0; p < s->nproviders; p++) {
		char *ifaces = ctl_net_scan_ifaces_str(s, numa, s->providers[p]);

		if (ifaces != NULL && ifaces[0] != '\0')
			d_table_add(t, s->providers[p], ifaces);
		D_FREE(ifaces);
	}
	d_table_print(t, out, 8);
	d_table_destroy(t);
	fputc('\n', out);
}

void
ctl_net_print(FILE *out, const struct ctl_net_host_group *groups, int ngroups)
{
	int g, i;

	for (g = 0; g < ngroups; g++) {
		const struct ctl_net_scan *s = groups[g].scan;

		d_banner_print(out, 0, groups[g].hosts);
		fputc('\n', out);
		/* ifaces are sorted by NUMA node, so first appearances come in ascending order. */
		for (i = 0; i < s->nifaces; i++)
			if (!numa_listed(s, i, s->ifaces[i].numa))
				print_numa(out, s, s->ifaces[i].numa);
	}
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

void
ctl_net_json(struct d_json *w, const char *key, const struct ctl_net_host_group *groups,
	     int ngroups)
{
	int g, i;

	d_json_obj_begin(w, key);
	for (g = 0; g < ngroups; g++) {
		const struct ctl_net_scan *s = groups[g].scan;
		const char		 **sorted;
		char			   k[24];

		snprintf(k, sizeof(k), "%" PRIu64, ctl_net_scan_key(s));
		d_json_obj_begin(w, k);
		d_json_obj_begin(w, "HostFabric");
		d_json_arr_begin(w, "Interfaces");
		for (i = 0; i < s->nifaces; i++) {
			const struct ctl_fabric_iface *fi = &s->ifaces[i];

			d_json_obj_begin(w, NULL);
			d_json_str(w, "Provider", fi->provider);
			d_json_str(w, "Device", fi->device);
			d_json_uint(w, "NumaNode", fi->numa);
			d_json_uint(w, "Priority", fi->priority);
			d_json_uint(w, "NetDevClass", fi->net_class);
			d_json_obj_end(w);
		}
		d_json_arr_end(w);
		/* Upstream's HostFabric keeps its provider list sorted by name. */
		d_json_arr_begin(w, "Providers");
		D_ALLOC_ARRAY(sorted, s->nproviders > 0 ? s->nproviders : 1);
		if (sorted != NULL) {
			for (i = 0; i < s->nproviders; i++)
				sorted[i] = s->providers[i];
			qsort(sorted, s->nproviders, sizeof(*sorted), cmp_str);
		}
		for (i = 0; i < s->nproviders; i++)
			d_json_str(w, NULL, sorted != NULL ? sorted[i] : s->providers[i]);
		D_FREE(sorted);
		d_json_arr_end(w);
		d_json_uint(w, "NumaCount", s->numa_count);
		d_json_uint(w, "CoresPerNuma", s->cores_per_numa);
		d_json_obj_end(w);
		d_json_str(w, "HostSet", groups[g].hosts);
		d_json_obj_end(w);
	}
	d_json_obj_end(w);
}
