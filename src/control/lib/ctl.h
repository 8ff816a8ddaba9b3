/*
 * Control-plane library shared by daos_server, dmg and daos_agent.
 * This header gathers the build information; the configuration and
 * hardware modules have their own headers (ctl_config.h, ctl_hw.h).
 */
#ifndef DAOS_CONTROL_LIB_CTL_H
#define DAOS_CONTROL_LIB_CTL_H

#include <stdio.h>

/* Build facts reported by `version` commands. */
struct ctl_build_info {
	const char *name;     /* e.g. "DAOS Control Server" */
	const char *version;  /* "2.9.100" */
	const char *revision; /* short git hash or "" */
	const char *config_dir;
};

void ctl_build_info_get(const char *component, struct ctl_build_info *bi);

/* Print "<component> version <ver>[-g<rev>]" (or the JSON form) to out. */
void ctl_version_print(FILE *out, const char *component, int json);

#endif /* DAOS_CONTROL_LIB_CTL_H */
