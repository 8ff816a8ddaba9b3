/*
 * dmg: the administrator's command-line tool.
 */
#include <stdio.h>
#include <string.h>

#include "control/lib/ctl.h"

int
main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "version") == 0) {
		ctl_version_print(stdout, "DAOS Admin Tool", 0);
		return 0;
	}
	fprintf(stderr, "Usage: dmg <command>\n\nAvailable commands:\n  version\n");
	return 1;
}
