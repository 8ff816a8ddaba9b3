/*
 * `dmg storage scan [-v | -n] [-l HOSTS]`: ask every host for its storage
 * (StorageScan), group hosts with identical results and print the summary
 * table, the per-group device tables (--verbose) or the NVMe health
 * (--nvme-health) in upstream's layout; host errors go to stderr as an
 * "Errors:" table before the results.  -j: the envelope with HostStorage
 * and host_errors.
 *
 * `storage format` is in cmd_format.c.
 *
 * Grouping key: the scan in a canonical form (every list sorted, memory
 * counters that change from second to second zeroed) packed to protobuf
 * bytes; hosts group only when those bytes are equal.  The pipeline itself
 * is dmg_fanout_run()'s.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/dmg/dmg_cmds.h"
#include "control/dmg/dmg_internal.h"
#include "control/lib/hw/hw.h"
#include "control/lib/render/render.h"
#include "control/lib/rpc/rpc.h"

static int
cmp_module(const void *a, const void *b)
{
	const struct ctl_scm_module *x = a, *y = b;

	return x->physical_id < y->physical_id ? -1 : x->physical_id > y->physical_id;
}

static int
cmp_region(const void *a, const void *b)
{
	return strcmp(((const struct ctl_scm_region *)a)->dev,
		      ((const struct ctl_scm_region *)b)->dev);
}

static int
cmp_namespace(const void *a, const void *b)
{
	return strcmp(((const struct ctl_scm_namespace *)a)->blockdev,
		      ((const struct ctl_scm_namespace *)b)->blockdev);
}

static int
cmp_ctrlr(const void *a, const void *b)
{
	return strcmp(((const struct ctl_nvme_ctrlr *)a)->pci_addr,
		      ((const struct ctl_nvme_ctrlr *)b)->pci_addr);
}

static int
cmp_ns(const void *a, const void *b)
{
	const struct ctl_nvme_ns *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

/* Sort every list so that equal hardware gives equal bytes whatever the server's order. */
static void
canonicalize(struct ctl_storage_scan *s)
{
	if (s->nr_modules > 1)
		qsort(s->modules, (size_t)s->nr_modules, sizeof(*s->modules), cmp_module);
	if (s->nr_regions > 1)
		qsort(s->regions, (size_t)s->nr_regions, sizeof(*s->regions), cmp_region);
	if (s->nr_namespaces > 1)
		qsort(s->namespaces, (size_t)s->nr_namespaces, sizeof(*s->namespaces),
		      cmp_namespace);
	if (s->nr_ctrlrs > 1)
		qsort(s->ctrlrs, (size_t)s->nr_ctrlrs, sizeof(*s->ctrlrs), cmp_ctrlr);
	for (int i = 0; i < s->nr_ctrlrs; i++)
		if (s->ctrlrs[i].nr_ns > 1)
			qsort(s->ctrlrs[i].ns, (size_t)s->ctrlrs[i].nr_ns, sizeof(*s->ctrlrs[i].ns),
			      cmp_ns);
}

static int
scan_pack(const struct d_cli_ctx *ctx, uint8_t **req, size_t *len)
{
	unsigned int flags = CTL_SCAN_SCM | CTL_SCAN_NVME | CTL_SCAN_MEM;

	if (d_cli_has(ctx, "nvme-health"))
		flags |= CTL_SCAN_HEALTH;
	return ctl_storage_scan_req_pack(flags, req, len);
}

DMG_ANSWER_NEW(scan, struct ctl_storage_scan, ctl_storage_scan_unpack, ctl_storage_scan_free)

/*
 * Canonical bytes of a scan: lists sorted; left out, as upstream's grouping
 * hash ignores them, what differs between identical machines: volatile
 * memory counters, PMem namespace UUIDs and NVMe serial numbers.
 */
static int
scan_key(void *obj, uint8_t **key, size_t *len)
{
	struct ctl_storage_scan *s = obj;
	struct ctl_meminfo	 saved = s->mem;
	char(*uuids)[sizeof(s->namespaces->uuid)] = NULL;
	char(*serials)[sizeof(s->ctrlrs->serial)] = NULL;
	int rc;

	canonicalize(s);
	D_ALLOC_ARRAY(uuids, s->nr_namespaces + 1);
	D_ALLOC_ARRAY(serials, s->nr_ctrlrs + 1);
	if (uuids == NULL || serials == NULL) {
		D_FREE(uuids);
		D_FREE(serials);
		return -DER_NOMEM;
	}
	for (int i = 0; i < s->nr_namespaces; i++) {
		memcpy(uuids[i], s->namespaces[i].uuid, sizeof(uuids[i]));
		s->namespaces[i].uuid[0] = '\0';
	}
	for (int i = 0; i < s->nr_ctrlrs; i++) {
		memcpy(serials[i], s->ctrlrs[i].serial, sizeof(serials[i]));
		s->ctrlrs[i].serial[0] = '\0';
	}
	s->mem.hugepages_free = 0;
	s->mem.hugepages_rsvd = 0;
	s->mem.hugepages_surp = 0;
	s->mem.mem_free_kb = 0;
	s->mem.mem_available_kb = 0;
	rc = ctl_storage_scan_pack(s, key, len);
	s->mem = saved;
	for (int i = 0; i < s->nr_namespaces; i++)
		memcpy(s->namespaces[i].uuid, uuids[i], sizeof(uuids[i]));
	for (int i = 0; i < s->nr_ctrlrs; i++)
		memcpy(s->ctrlrs[i].serial, serials[i], sizeof(serials[i]));
	D_FREE(uuids);
	D_FREE(serials);
	return rc;
}

static void
scan_print(const struct dmg_fanout *f)
{
	const struct ctl_storage_group *groups = f->view;

	if (d_cli_has(f->ctx, "nvme-health"))
		ctl_storage_print_health(stdout, groups, f->ok.n);
	else if (d_cli_has(f->ctx, "verbose"))
		ctl_storage_print_verbose(stdout, groups, f->ok.n);
	else if (f->ok.n > 0)
		ctl_storage_print_summary(stdout, groups, f->ok.n);
}

static void
scan_json_host(struct d_json *w, const char *key, const void *obj)
{
	ctl_storage_json_host(w, key, obj);
}

static void
scan_json(const struct dmg_fanout *f, struct d_json *w)
{
	dmg_fanout_json_map(f, w, "HostStorage", "storage", scan_json_host);
}

static const struct dmg_fanout_cmd scan_cmd = {
	.method = "StorageScan",
	.name = "storage scan",
	.resp_name = "storage scan",
	.oom = "out of memory collecting storage scan results",
	.view = DMG_VIEW(struct ctl_storage_group, hosts, scan),
	.pack = scan_pack,
	.unpack = scan_unpack,
	.key = scan_key,
	.free = scan_free,
	.print = scan_print,
	.json = scan_json,
};

static int
scan_run(struct d_cli_ctx *ctx)
{
	if (d_cli_has(ctx, "verbose") && d_cli_has(ctx, "nvme-health"))
		return dmg_fail(ctx, -DER_INVAL, "cannot use --verbose with --nvme-health");
	return dmg_fanout_run(ctx, &scan_cmd);
}

static const struct d_cli_opt scan_opts[] = {
	DMG_OPT_HOST_LIST,
	{.short_name = 'v', .long_name = "verbose", .help = "List SCM & NVMe device details"},
	{.short_name = 'n',
	 .long_name = "nvme-health",
	 .help = "Display NVMe device health statistics"},
	{0},
};

static const struct d_cli_cmd *const storage_subcmd_ptrs[] = {&dmg_storage_format_cmd, NULL};

static const struct d_cli_cmd storage_subcmds[] = {
	{.name = "scan",
	 .help = "Scan SCM and NVMe storage attached to remote servers.",
	 .opts = scan_opts,
	 .run = scan_run},
	{0},
};

const struct d_cli_cmd dmg_storage_cmd = {
	.name = "storage",
	.aliases = {"sto", NULL},
	.help = "Perform tasks related to storage attached to remote servers",
	.subcmds = storage_subcmds,
	.subcmd_ptrs = storage_subcmd_ptrs,
};
