/*
 * `dmg network scan [-p provider|all] [-l HOSTS]`: ask every host for its
 * fabric interfaces (NetworkScan), group hosts with identical results and
 * print one banner per group with the per-NUMA provider tables
 * (ctl_net_print).  Host errors are printed on stdout before the groups, as
 * upstream does for this command.  -j: the envelope with HostFabrics and
 * host_errors.
 *
 * Grouping key: ctl_net_scan_key(), a digest of the scan that does not
 * depend on interface order.
 */
#include <stdio.h>
#include <stdlib.h>

#include "control/dmg/dmg_cmds.h"
#include "control/dmg/dmg_internal.h"
#include "control/lib/hw/hw.h"
#include "control/lib/render/render.h"
#include "control/lib/rpc/rpc.h"

static int
scan_run(struct d_cli_ctx *ctx)
{
	const char		  *provider = d_cli_get(ctx, "provider");
	struct dmg_conn		  *c = NULL;
	struct ctl_rpc_result	  *res = NULL;
	struct ctl_net_scan	 **scans = NULL;
	struct ctl_net_host_group *groups = NULL;
	struct ctl_host_groups	   ok = {0}, errs = {0};
	struct d_errbuf		   eb = {{0}};
	struct d_json		  *w = NULL;
	uint8_t			  *req = NULL;
	size_t			   req_len = 0, i;
	int			   rc, nfailed, status = 1;

	rc = dmg_conn_open(ctx, &c, &eb);
	if (rc != 0)
		return dmg_fail(ctx, rc, "%s", eb.msg);
	/* "" lets each server use the provider of its own configuration */
	rc = ctl_net_scan_req_pack(provider != NULL ? provider : "", &req, &req_len);
	if (rc == 0)
		rc = dmg_fanout(c, "NetworkScan", req, req_len, &res);
	if (rc != 0) {
		status = dmg_fail(ctx, rc, "network scan: %s", d_errstr(rc));
		goto out;
	}
	D_ALLOC_ARRAY(scans, c->n);
	if (scans == NULL)
		goto nomem;
	for (i = 0; i < c->n; i++) {
		uint64_t key;

		if (res[i].rc != 0)
			continue;
		rc = ctl_net_scan_unpack(res[i].body, res[i].body_len, &scans[i], &eb);
		if (rc != 0) {
			ctl_rpc_result_fail(&res[i], rc, "invalid network scan response: %s",
					    eb.msg);
			continue;
		}
		key = ctl_net_scan_key(scans[i]);
		if (ctl_host_groups_add(&ok, &key, sizeof(key), c->display[i], (int)i) != 0)
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
	if (d_cli_has(ctx, "json")) {
		w = d_json_create();
		if (w == NULL)
			goto nomem;
		d_json_obj_begin(w, NULL);
		dmg_errors_json(w, &errs);
		ctl_net_json(w, "HostFabrics", groups, ok.n);
		d_json_obj_end(w);
	} else {
		dmg_errors_print(stdout, &errs);
		if (errs.n > 0 && ok.n > 0)
			fputc('\n', stdout);
		ctl_net_print(stdout, groups, ok.n);
	}
	status = dmg_finish(ctx, nfailed, w);
	goto out;
nomem:
	status = dmg_fail(ctx, -DER_NOMEM, "out of memory collecting network scan results");
out:
	d_json_destroy(w);
	free(groups);
	if (scans != NULL)
		for (i = 0; i < c->n; i++)
			ctl_net_scan_free(scans[i]);
	free(scans);
	free(req);
	dmg_fanout_fini(c, res, &ok, &errs);
	return status;
}

static const struct d_cli_opt scan_opts[] = {
	DMG_OPT_HOST_LIST,
	{.short_name = 'p',
	 .long_name = "provider",
	 .type = D_OPT_STR,
	 .arg_name = "PROVIDER",
	 .help = "Filter device list to those that support the given OFI provider or 'all' "
		 "for all available (default is the provider specified in the server config)"},
	{0},
};

static const struct d_cli_cmd network_subcmds[] = {
	{.name = "scan",
	 .help = "Scan for network interface devices on remote servers",
	 .opts = scan_opts,
	 .run = scan_run},
	{0},
};

const struct d_cli_cmd dmg_network_cmd = {
	.name = "network",
	.aliases = {"net", NULL},
	.help = "Perform tasks related to network devices attached to remote servers",
	.subcmds = network_subcmds,
};
