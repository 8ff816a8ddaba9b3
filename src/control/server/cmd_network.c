/*
 * `daos_server network scan [-p/--provider <provider>|all]`: the fabric
 * interfaces of this host per NUMA node and provider, as text or (-j) JSON,
 * printed for the host group "localhost" like upstream.  Without -p every
 * provider is listed; upstream would use the provider of a loaded server
 * configuration, which this command does not read yet.
 */
#include <stdio.h>

#include "common/cli.h"
#include "common/json.h"
#include "control/lib/hw/hw.h"
#include "control/lib/render/render.h"
#include "control/server/srv_cmds.h"

static int
network_scan_run(struct d_cli_ctx *ctx)
{
	bool		json = d_cli_has(ctx, "json");
	struct d_errbuf eb = {{0}};
	int		rc;

	rc = srv_check_dupe_process(&eb);
	if (rc != 0) {
		char *msg = d_asprintf("get local fabric interfaces: %s", eb.msg);

		if (json)
			d_json_envelope_print(stdout, NULL, msg ? msg : eb.msg, rc);
		fprintf(stderr, "ERROR: %s: %s\n", ctx->prog, msg ? msg : eb.msg);
		D_FREE(msg);
		return 1;
	}
	return ctl_net_local_report(ctx->prog, d_cli_get(ctx, "provider"), json, stdout, stderr);
}

static const struct d_cli_opt network_scan_opts[] = {
	{.short_name = 'p',
	 .long_name = "provider",
	 .type = D_OPT_STR,
	 .help = "Filter device list to those that support the given OFI provider or 'all' "
		 "for all available (default is all)"},
	{0},
};

static const struct d_cli_cmd network_subcmds[] = {
	{.name = "scan",
	 .help = "Scan for network interface devices on local server",
	 .opts = network_scan_opts,
	 .run = network_scan_run},
	{0},
};

const struct d_cli_cmd srv_network_cmd = {
	.name = "network",
	.help = "Perform network device scan based on fabric provider",
	.subcmds = network_subcmds,
};
