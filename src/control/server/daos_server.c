/*
 * daos_server: the control-plane daemon of a storage node and its local
 * administration subcommands.
 */
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "control/lib/ctl.h"

int
main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "version") == 0) {
		ctl_version_print(stdout, "DAOS Control Server", 0);
		return 0;
	}
	fprintf(stderr, "Usage: daos_server <command>\n\nAvailable commands:\n  version\n");
	return 1;
}
