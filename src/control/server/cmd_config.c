/*
 * `daos_server config`: configuration file commands.  `validate` checks a
 * daos_server.yml (given with -o, else found in the config directory or
 * /etc/daos) and prints the effective configuration or every problem.
 * `generate` lives in cmd_config_gen.c.
 */
#include <stdio.h>

#include "control/lib/config/config.h"
#include "control/server/srv_cmds.h"

static int
validate_run(struct d_cli_ctx *ctx)
{
	return ctl_config_validate_main(CTL_CFG_SERVER, d_cli_get(ctx, "config"), NULL,
					d_cli_has(ctx, "json"), stdout, stderr);
}

static const struct d_cli_opt validate_opts[] = {
	{.short_name = 'o',
	 .long_name = "config",
	 .type = D_OPT_STR,
	 .arg_name = "PATH",
	 .help = "Server config file path (default: the config directory, then "
		 "/etc/daos/daos_server.yml)"},
	{0},
};

static const struct d_cli_cmd config_subcmds[] = {
	{.name = "validate",
	 .help = "Check a server config file and print the effective configuration",
	 .opts = validate_opts,
	 .run = validate_run},
	{0},
};

static const struct d_cli_cmd *const config_subcmd_ptrs[] = {&srv_config_generate_cmd, NULL};

const struct d_cli_cmd srv_config_cmd = {
	.name = "config",
	.help = "Check configuration files",
	.subcmds = config_subcmds,
	.subcmd_ptrs = config_subcmd_ptrs,
};
