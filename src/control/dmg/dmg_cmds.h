/*
 * The subcommands of dmg.  Each lives in its own cmd_*.c file and is
 * listed, one entry per line, in the command table of dmg.c.  Global
 * options (-o/--config-path, -j/--json, ...) are read by commands with
 * d_cli_get(ctx, "config-path") / d_cli_has(ctx, "json").
 */
#ifndef DAOS_CONTROL_DMG_DMG_CMDS_H
#define DAOS_CONTROL_DMG_DMG_CMDS_H

#include "common/cli.h"

extern const struct d_cli_cmd dmg_config_cmd;	      /* config validate|generate */
extern const struct d_cli_cmd dmg_network_cmd;	      /* network scan */
extern const struct d_cli_cmd dmg_server_version_cmd; /* server-version */
extern const struct d_cli_cmd dmg_storage_cmd;	      /* storage scan */
extern const struct d_cli_cmd dmg_storage_format_cmd; /* storage format (cmd_format.c) */
extern const struct d_cli_cmd dmg_system_cmd;  /* system leader-query|query|stop|start|erase */
extern const struct d_cli_cmd dmg_version_cmd; /* version */

#endif /* DAOS_CONTROL_DMG_DMG_CMDS_H */
