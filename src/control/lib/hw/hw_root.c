/*
 * Selection between the real machine and a hardware fixture (DAOS_HW_ROOT).
 */
#include <stdio.h>
#include <stdlib.h>

#include "control/lib/hw/hw.h"

const char *
ctl_hw_root(void)
{
	const char *r = getenv("DAOS_HW_ROOT");

	return (r != NULL && r[0] != '\0') ? r : NULL;
}

const char *
ctl_hw_path(char *buf, unsigned long len, const char *rel)
{
	const char *root = ctl_hw_root();

	if (root == NULL)
		return NULL;
	snprintf(buf, len, "%s/%s", root, rel);
	return buf;
}
