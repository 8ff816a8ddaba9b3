/*
 * daos_agent: the client-node daemon serving attach info and credentials.
 */
#include <stdio.h>
#include <string.h>

#include "control/lib/ctl.h"

int
main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "version") == 0) {
		ctl_version_print(stdout, "DAOS Agent", 0);
		return 0;
	}
	fprintf(stderr, "Usage: daos_agent <command>\n\nAvailable commands:\n  version\n");
	return 1;
}
