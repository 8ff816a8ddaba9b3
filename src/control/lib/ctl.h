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

/*
 * Remove http(s)/ftp/socks/no_proxy variables (both cases) from the
 * environment, as upstream does unless --allow-proxy is given or
 * DAOS_DISABLE_PROXY_SCRUB is set to a true value (1, t, true, ...).
 */
void ctl_proxy_scrub(void);

struct d_cli_ctx;

/*
 * pre_run hook for the root command of every control-plane binary: applies
 * --debug, --log-file/--logfile, --json-logging, --syslog and --allow-proxy
 * (see ctl_proxy_scrub), whichever of them the binary defines.
 * Returns 0, or 1 after printing an error (log file cannot be opened).
 */
int ctl_cli_pre_run(struct d_cli_ctx *ctx);

#endif /* DAOS_CONTROL_LIB_CTL_H */
