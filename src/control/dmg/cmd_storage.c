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
 * bytes; hosts group only when those bytes are equal.
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

/* Canonical bytes of a (canonicalized) scan: volatile memory counters left out. */
static int
scan_key(struct ctl_storage_scan *s, uint8_t **key, size_t *len)
{
	struct ctl_meminfo saved = s->mem;
	int		   rc;

	s->mem.hugepages_free = 0;
	s->mem.hugepages_rsvd = 0;
	s->mem.hugepages_surp = 0;
	s->mem.mem_free_kb = 0;
	s->mem.mem_available_kb = 0;
	rc = ctl_storage_scan_pack(s, key, len);
	s->mem = saved;
	return rc;
}

static int
scan_run(struct d_cli_ctx *ctx)
{
	bool			  verbose = d_cli_has(ctx, "verbose");
	bool			  health = d_cli_has(ctx, "nvme-health");
	bool			  json = d_cli_has(ctx, "json");
	struct dmg_conn		 *c = NULL;
	struct ctl_rpc_result	 *res = NULL;
	struct ctl_storage_scan **scans = NULL;
	struct ctl_storage_group *groups = NULL;
	struct ctl_host_groups	  ok = {0}, errs = {0};
	struct d_errbuf		  eb = {{0}};
	struct d_json		 *w = NULL;
	uint8_t			 *req = NULL;
	size_t			  req_len = 0, i;
	unsigned int		  flags = CTL_SCAN_SCM | CTL_SCAN_NVME | CTL_SCAN_MEM;
	int			  rc, nfailed, status = 1;

	if (verbose && health)
		return dmg_fail(ctx, -DER_INVAL, "cannot use --verbose with --nvme-health");
	if (health)
		flags |= CTL_SCAN_HEALTH;

	rc = dmg_conn_open(ctx, &c, &eb);
	if (rc != 0)
		return dmg_fail(ctx, rc, "%s", eb.msg);
	rc = ctl_storage_scan_req_pack(flags, &req, &req_len);
	if (rc == 0)
		rc = dmg_fanout(c, "StorageScan", req, req_len, &res);
	if (rc != 0) {
		status = dmg_fail(ctx, rc, "storage scan: %s", d_errstr(rc));
		goto out;
	}
	D_ALLOC_ARRAY(scans, c->n);
	if (scans == NULL)
		goto nomem;
	for (i = 0; i < c->n; i++) {
		uint8_t *key;
		size_t	 key_len;

		if (res[i].rc != 0)
			continue;
		rc = ctl_storage_scan_unpack(res[i].body, res[i].body_len, &scans[i], &eb);
		if (rc != 0) {
			ctl_rpc_result_fail(&res[i], rc, "invalid storage scan response: %s",
					    eb.msg);
			continue;
		}
		canonicalize(scans[i]);
		rc = scan_key(scans[i], &key, &key_len);
		if (rc != 0)
			goto nomem;
		rc = ctl_host_groups_add(&ok, key, key_len, c->display[i], (int)i);
		free(key);
		if (rc != 0)
			goto nomem;
	}
	nfailed = dmg_host_errors(c, res, &errs);
	if (nfailed < 0 || ctl_host_groups_finish(&ok) != 0)
		goto nomem;
	D_ALLOC_ARRAY(groups, ok.n > 0 ? ok.n : 1);
	if (groups == NULL)
		goto nomem;
	for (int g = 0; g < ok.n; g++) {
		groups[g].hosts = ok.v[g].hosts;
		groups[g].scan = scans[ok.v[g].rep];
	}

	if (json) {
		w = d_json_create();
		if (w == NULL)
			goto nomem;
		d_json_obj_begin(w, NULL);
		dmg_errors_json(w, &errs);
		d_json_obj_begin(w, "HostStorage");
		for (int g = 0; g < ok.n; g++) {
			char k[24];

			d_json_obj_begin(w, ctl_host_group_name(&ok.v[g], k, sizeof(k)));
			ctl_storage_json_host(w, "storage", groups[g].scan);
			d_json_str(w, "hosts", groups[g].hosts);
			d_json_obj_end(w);
		}
		d_json_obj_end(w);
		d_json_obj_end(w);
	} else {
		/* upstream logs storage scan host errors (stderr) before the tables */
		dmg_errors_print(stderr, &errs);
		if (health)
			ctl_storage_print_health(stdout, groups, ok.n);
		else if (verbose)
			ctl_storage_print_verbose(stdout, groups, ok.n);
		else if (ok.n > 0)
			ctl_storage_print_summary(stdout, groups, ok.n);
	}
	status = dmg_finish(ctx, nfailed, w);
	goto out;
nomem:
	status = dmg_fail(ctx, -DER_NOMEM, "out of memory collecting storage scan results");
out:
	d_json_destroy(w);
	free(groups);
	if (scans != NULL)
		for (i = 0; i < c->n; i++)
			ctl_storage_scan_free(scans[i]);
	free(scans);
	free(req);
	dmg_fanout_fini(c, res, &ok, &errs);
	return status;
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
