/*
 * `dmg config`: configuration file commands.  `validate` checks the dmg
 * configuration (global -o, else ~/.daos_control.yml, the config directory,
 * /etc/daos/daos_control.yml, else built-in defaults) and prints the
 * effective configuration or every problem.  `config generate` (which talks
 * to servers) is added by a later issue.
 */
#include <stdio.h>

#include "control/dmg/dmg_cmds.h"
#include "control/lib/ctl_config.h"

static int
validate_run(struct d_cli_ctx *ctx)
{
	struct ctl_control_overrides ov = {
	    .hostlist = d_cli_get(ctx, "host-list"),
	    .insecure = d_cli_has(ctx, "insecure"),
	};

	return ctl_config_validate_main(CTL_CFG_CONTROL, d_cli_get(ctx, "config-path"), &ov,
					d_cli_has(ctx, "json"), stdout, stderr);
}

static const struct d_cli_cmd config_subcmds[] = {
	{.name = "validate",
	 .help = "Check the dmg config file (-o) and print the effective configuration",
	 .run = validate_run},
	{0},
};

const struct d_cli_cmd dmg_config_cmd = {
	.name = "config",
	.help = "Check configuration files",
	.subcmds = config_subcmds,
};
