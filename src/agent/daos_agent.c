/*
 * daos_agent: the client-node daemon serving attach info and credentials.
 * This file only assembles the command tree; each subcommand lives in its
 * own agt_*.c file (see agt_cmds.h).
 */
#include <stdio.h>

#include "agent/agt_cmds.h"
#include "common/cli.h"

static int
version_run(struct d_cli_ctx *ctx)
{
	d_version_print(stdout, "DAOS Agent", d_cli_has(ctx, "json"));
	return 0;
}

static const struct d_cli_cmd version_cmd = {
	.name = "version",
	.help = "Print daos_agent version",
	.run = version_run,
};

/* Global options, accepted before or after any subcommand. */
static const struct d_cli_opt agt_global_opts[] = {
	{.long_name = "allow-proxy", .help = "Allow proxy configuration via environment"},
	{.short_name = 'o',
	 .long_name = "config-path",
	 .type = D_OPT_STR,
	 .help = "Path to agent configuration file"},
	{.short_name = 'i',
	 .long_name = "insecure",
	 .help = "have agent attempt to connect without certificates"},
	{.short_name = 's',
	 .long_name = "runtime_dir",
	 .type = D_OPT_STR,
	 .help = "Path to agent communications socket"},
	{.short_name = 'l',
	 .long_name = "logfile",
	 .type = D_OPT_STR,
	 .help = "Full path and filename for daos agent log file"},
	{.short_name = 'd', .long_name = "debug", .help = "Enable debug output"},
	{.short_name = 'j', .long_name = "json", .help = "Enable JSON output"},
	{.short_name = 'J',
	 .long_name = "json-logging",
	 .help = "Enable JSON-formatted log output"},
	{0},
};

/* One command per line; keep sorted by name. */
static const struct d_cli_cmd *const agt_cmds[] = {
	&agt_config_cmd, &agt_net_scan_cmd, &agt_start_cmd, &version_cmd, NULL,
};

static const struct d_cli_cmd agt_root = {
	.name = "daos_agent",
	.opts = agt_global_opts,
	.subcmd_ptrs = agt_cmds,
	.pre_run = d_cli_pre_run,
	.run = agt_start_default,
};

int
main(int argc, char **argv)
{
	return d_cli_main(&agt_root, argc, argv, NULL);
}
