/*
 * daos_server: the control-plane daemon of a storage node and its local
 * administration subcommands.  This file only assembles the command tree;
 * each subcommand lives in its own srv_*.c file (see srv_cmds.h).
 */
#include <stdio.h>

#include "common/cli.h"
#include "control/server/srv_cmds.h"

static int
version_run(struct d_cli_ctx *ctx)
{
	d_version_print(stdout, "DAOS Control Server", d_cli_has(ctx, "json"));
	return 0;
}

static const struct d_cli_cmd version_cmd = {
	.name = "version",
	.help = "Print daos_server version",
	.run = version_run,
};

/* Global options, accepted before or after any subcommand. */
static const struct d_cli_opt srv_global_opts[] = {
	{.long_name = "allow-proxy", .help = "Allow proxy configuration via environment"},
	{.short_name = 'b', .long_name = "debug", .help = "Enable debug output"},
	{.short_name = 'j', .long_name = "json", .help = "Enable JSON output"},
	{.short_name = 'J',
	 .long_name = "json-logging",
	 .help = "Enable JSON-formatted log output"},
	{.long_name = "syslog", .help = "Enable logging to syslog"},
	{0},
};

/* One command per line; keep sorted by name. */
static const struct d_cli_cmd *const srv_cmds[] = {
	&srv_network_cmd, &srv_net_helper_cmd, &srv_nvme_cmd, &srv_scm_cmd, &srv_start_cmd,
	&srv_storage_cmd, &srv_config_cmd,     &version_cmd,  NULL,
};

static const struct d_cli_cmd srv_root = {
	.name = "daos_server",
	.opts = srv_global_opts,
	.subcmd_ptrs = srv_cmds,
	.pre_run = d_cli_pre_run,
};

int
main(int argc, char **argv)
{
	return d_cli_main(&srv_root, argc, argv, NULL);
}
