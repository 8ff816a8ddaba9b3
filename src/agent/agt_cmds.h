/*
 * The subcommands of daos_agent.  Each lives in its own agt_*.c file and is
 * listed, one entry per line, in the command table of daos_agent.c.  Global
 * options (-o/--config-path, -j/--json, ...) are read by commands with
 * d_cli_get(ctx, "config-path") / d_cli_has(ctx, "json").
 */
#ifndef DAOS_AGENT_AGT_CMDS_H
#define DAOS_AGENT_AGT_CMDS_H

#include "common/cli.h"

extern const struct d_cli_cmd agt_config_cmd;	/* config validate */
extern const struct d_cli_cmd agt_net_scan_cmd; /* net-scan */
extern const struct d_cli_cmd agt_start_cmd;	/* start: the daemon */

/* `daos_agent` with no command: start (agt_start.c). */
int agt_start_default(struct d_cli_ctx *ctx);

#endif /* DAOS_AGENT_AGT_CMDS_H */
