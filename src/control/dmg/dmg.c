/*
 * dmg: the administrator's command-line tool.  This file is only the root of
 * the command tree: the global options (accepted before or after any
 * subcommand; the hidden -l/--host-list is deprecated in favour of each
 * command's own -l), the table of top-level commands, and the pre_run hook
 * ctl_cli_pre_run() that applies -d, --log-file, -J and --allow-proxy before
 * a command runs.  Parsing and dispatch are d_cli_main()'s (common/cli.h);
 * each command lives in a cmd_*.c file (declared in dmg_cmds.h), and the
 * connection to the servers in dmg_conn.c.
 */
#include <stdio.h>

#include "common/cli.h"
#include "control/dmg/dmg_cmds.h"

/* Global options, accepted before or after any subcommand. */
static const struct d_cli_opt dmg_global_opts[] = {
	{.long_name = "allow-proxy", .help = "Allow proxy configuration via environment"},
	{.short_name = 'l',
	 .long_name = "host-list",
	 .type = D_OPT_STR,
	 .hidden = true,
	 .help = "DEPRECATED: A hostlist to override the one in the config file (use the "
		 "command's -l)"},
	{.short_name = 'i',
	 .long_name = "insecure",
	 .help = "Have dmg attempt to connect without certificates"},
	{.short_name = 'd', .long_name = "debug", .help = "Enable debug output"},
	{.long_name = "log-file",
	 .type = D_OPT_STR,
	 .help = "Log command output to the specified file"},
	{.short_name = 'j', .long_name = "json", .help = "Enable JSON output"},
	{.short_name = 'J',
	 .long_name = "json-logging",
	 .help = "Enable JSON-formatted log output"},
	{.short_name = 'o',
	 .long_name = "config-path",
	 .type = D_OPT_STR,
	 .help = "Client config file path"},
	{0},
};

/* One command per line; keep sorted by name. */
/* clang-format off */
static const struct d_cli_cmd *const dmg_cmds[] = {
	&dmg_config_cmd,
	&dmg_network_cmd,
	&dmg_server_version_cmd,
	&dmg_storage_cmd,
	&dmg_system_cmd,
	&dmg_version_cmd,
	NULL,
};
/* clang-format on */

static const struct d_cli_cmd dmg_root = {
	.name = "dmg",
	.opts = dmg_global_opts,
	.subcmd_ptrs = dmg_cmds,
	.pre_run = d_cli_pre_run,
};

int
main(int argc, char **argv)
{
	return d_cli_main(&dmg_root, argc, argv, NULL);
}
