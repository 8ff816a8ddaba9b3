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
#include <string.h>

#include "control/dmg/dmg_cmds.h"
#include "control/dmg/dmg_internal.h"
#include "control/lib/hw/hw.h"
#include "control/lib/render/render.h"
#include "control/lib/rpc/rpc.h"

static int
scan_pack(const struct d_cli_ctx *ctx, uint8_t **req, size_t *len)
{
	const char *provider = d_cli_get(ctx, "provider");

	/* "" lets each server use the provider of its own configuration */
	return ctl_net_scan_req_pack(provider != NULL ? provider : "", req, len);
}

DMG_ANSWER_NEW(scan, struct ctl_net_scan, ctl_net_scan_unpack, ctl_net_scan_free)

static int
scan_key(void *obj, uint8_t **key, size_t *len)
{
	uint64_t k = ctl_net_scan_key(obj);

	D_ALLOC(*key, sizeof(k));
	if (*key == NULL)
		return -DER_NOMEM;
	memcpy(*key, &k, sizeof(k));
	*len = sizeof(k);
	return 0;
}

static void
scan_print(const struct dmg_fanout *f)
{
	ctl_net_print(stdout, f->view, f->ok.n);
}

static void
scan_json(const struct dmg_fanout *f, struct d_json *w)
{
	ctl_net_json(w, "HostFabrics", f->view, f->ok.n);
}

static const struct dmg_fanout_cmd scan_cmd = {
	.method = "NetworkScan",
	.name = "network scan",
	.resp_name = "network scan",
	.oom = "out of memory collecting network scan results",
	.errors_stdout = true,
	.view = DMG_VIEW(struct ctl_net_host_group, hosts, scan),
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
	return dmg_fanout_run(ctx, &scan_cmd);
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
