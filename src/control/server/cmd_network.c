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

static void
network_error(struct d_cli_ctx *ctx, bool json, const char *msg, int rc)
{
	char *full = d_asprintf("get local fabric interfaces: %s", msg);

	if (json)
		d_json_envelope_print(stdout, NULL, full ? full : msg, rc);
	fprintf(stderr, "ERROR: %s: %s\n", ctx->prog, full ? full : msg);
	D_FREE(full);
}

static int
network_scan_run(struct d_cli_ctx *ctx)
{
	const char		 *provider = d_cli_get(ctx, "provider");
	bool			  json = d_cli_has(ctx, "json");
	struct ctl_net_scan	 *scan = NULL;
	struct ctl_net_host_group group;
	struct d_errbuf		  eb = {{0}};
	struct d_json		 *w;
	int			  rc;

	rc = srv_check_dupe_process(&eb);
	if (rc == 0)
		rc = ctl_net_scan(provider, NULL, &scan, &eb);
	if (rc != 0) {
		network_error(ctx, json, eb.msg, rc);
		return 1;
	}
	group.hosts = "localhost";
	group.scan = scan;
	if (!json) {
		ctl_net_print(stdout, &group, 1);
		ctl_net_scan_free(scan);
		return 0;
	}

	w = d_json_create();
	if (w != NULL)
		ctl_net_json(w, NULL, &group, 1);
	rc = w != NULL ? d_json_finish(w) : -DER_NOMEM;
	if (rc != 0)
		network_error(ctx, json, "out of memory while writing JSON", rc);
	else
		d_json_envelope_print(stdout, w, NULL, 0);
	d_json_destroy(w);
	ctl_net_scan_free(scan);
	return rc == 0 ? 0 : 1;
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
