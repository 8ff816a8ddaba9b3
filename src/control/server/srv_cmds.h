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

extern const struct d_cli_cmd
	srv_storage_cmd;		   /* storage scan|prepare (legacy syntax), cmd_storage.c */
extern const struct d_cli_cmd srv_scm_cmd; /* scm prepare|reset|scan, cmd_storage.c */
extern const struct d_cli_cmd srv_nvme_cmd;	       /* nvme prepare|reset|scan, cmd_storage.c */
extern const struct d_cli_cmd srv_network_cmd;	       /* network scan, cmd_network.c */
extern const struct d_cli_cmd srv_config_cmd;	       /* config validate, cmd_config.c */
extern const struct d_cli_cmd srv_config_generate_cmd; /* config generate, cmd_config_gen.c */
extern const struct d_cli_cmd srv_start_cmd;	       /* start (the daemon), srv_start.c */
/* Hidden: the NetworkScan helper process of `start`, srv_net_helper.c. */
#define SRV_NET_HELPER_CMD "network-scan-helper"
extern const struct d_cli_cmd srv_net_helper_cmd;

/*
 * Upstream's duplicate-process check (common.CheckDupeProcess): -DER_EXIST
 * with "another daos_server process is already running (pid: N)" in eb when
 * another process has our argv[0] basename.  Every command but version calls
 * it first.  Defined in srv_proc.c.
 */
struct d_errbuf;
int srv_check_dupe_process(struct d_errbuf *eb);

#endif /* DAOS_CONTROL_SERVER_SRV_CMDS_H */
