/*
 * `daos_agent net-scan [-p/--provider <provider>|all]`: this client node's
 * fabric interfaces per NUMA node and provider, printed for "localhost" as
 * `daos_server network scan` prints them (text or -j JSON): the interfaces
 * the agent chooses from for its clients.
 */
#include <stdio.h>

#include "agent/agt_cmds.h"
#include "control/lib/render/render.h"

static int
net_scan_run(struct d_cli_ctx *ctx)
{
	return ctl_net_local_report(ctx->prog, d_cli_get(ctx, "provider"), d_cli_has(ctx, "json"),
				    stdout, stderr);
}

static const struct d_cli_opt net_scan_opts[] = {
	{.short_name = 'p',
	 .long_name = "provider",
	 .type = D_OPT_STR,
	 .help = "Filter device list to those that support the given OFI provider or 'all' for "
		 "all available (default is all local providers)"},
	{0},
};

const struct d_cli_cmd agt_net_scan_cmd = {
	.name = "net-scan",
	.help = "Perform local network fabric scan",
	.opts = net_scan_opts,
	.run = net_scan_run,
};
