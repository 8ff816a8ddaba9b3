/*
 * The subcommands of daos_server.  Each lives in its own srv_*.c file and
 * is listed, one entry per line, in the command table of daos_server.c.
 * Global options (-b/--debug, -j/--json, ...) are read by commands with
 * d_cli_has(ctx, "json") since options of the whole command path are
 * visible from the leaf.
 */
#ifndef DAOS_CONTROL_SERVER_SRV_CMDS_H
#define DAOS_CONTROL_SERVER_SRV_CMDS_H

#include "common/cli.h"

/* Commands still to come, one per helper (uncomment with the source file):
 * extern const struct d_cli_cmd srv_storage_cmd;   storage scan|prepare (legacy syntax)
 * extern const struct d_cli_cmd srv_scm_cmd;       scm prepare|reset|scan
 * extern const struct d_cli_cmd srv_nvme_cmd;      nvme prepare|reset|scan
 * extern const struct d_cli_cmd srv_network_cmd;   network scan
 */

extern const struct d_cli_cmd srv_config_cmd; /* config validate (generate later) */

#endif /* DAOS_CONTROL_SERVER_SRV_CMDS_H */
