/*
 * `daos_agent config`: configuration file commands.  `validate` checks the
 * agent configuration (global -o, else the config directory, then
 * /etc/daos/daos_agent.yml) and prints the effective configuration or every
 * problem.
 */
#include <stdio.h>

#include "agent/agt_cmds.h"
#include "control/lib/config/config.h"

static int
validate_run(struct d_cli_ctx *ctx)
{
	struct ctl_agent_overrides ov = {
		.runtime_dir = d_cli_get(ctx, "runtime_dir"),
		.log_file = d_cli_get(ctx, "logfile"),
		.insecure = d_cli_has(ctx, "insecure"),
	};

	return ctl_config_validate_main(CTL_CFG_AGENT, d_cli_get(ctx, "config-path"), &ov,
					d_cli_has(ctx, "json"), stdout, stderr);
}

static const struct d_cli_cmd config_subcmds[] = {
	{.name = "validate",
	 .help = "Check the agent config file (-o) and print the effective configuration",
	 .run = validate_run},
	{0},
};

const struct d_cli_cmd agt_config_cmd = {
	.name = "config",
	.help = "Check configuration files",
	.subcmds = config_subcmds,
};
