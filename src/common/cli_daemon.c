/*
 * What the global options common to daos_server, dmg and daos_agent do
 * before any subcommand runs: log level (-d/-b --debug), log file
 * (--log-file / -l --logfile), log format (-J/--json-logging, --syslog) and
 * removal of proxy variables unless --allow-proxy.  Options a subcommand consumes itself (config
 * path, insecure, runtime dir, JSON output) are read by that subcommand.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cli.h"
#include "common/log.h"

/* Go's strconv.ParseBool true spellings; anything else (or unset) is false. */
static bool
env_true(const char *v)
{
	static const char *const yes[] = {"1", "t", "T", "true", "TRUE", "True"};

	if (v == NULL)
		return false;
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		if (strcmp(v, yes[i]) == 0)
			return true;
	return false;
}

void
d_proxy_scrub(void)
{
	static const char *const vars[] = {
		"http_proxy", "https_proxy", "ftp_proxy", "socks_proxy", "no_proxy",
		"HTTP_PROXY", "HTTPS_PROXY", "FTP_PROXY", "SOCKS_PROXY", "NO_PROXY",
	};

	if (env_true(getenv("DAOS_DISABLE_PROXY_SCRUB")))
		return;
	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		unsetenv(vars[i]);
}

int
d_cli_pre_run(struct d_cli_ctx *ctx)
{
	enum d_log_level lvl = d_cli_has(ctx, "debug") ? D_LL_DEBUG : d_log_get_level();
	const char	*path = d_cli_get(ctx, "log-file");
	int		 rc;

	if (!d_cli_has(ctx, "allow-proxy"))
		d_proxy_scrub();
	if (path == NULL)
		path = d_cli_get(ctx, "logfile"); /* daos_agent's spelling */
	if (path != NULL) {
		rc = d_log_open(ctx->prog, path, lvl);
		if (rc != 0) {
			fprintf(stderr,
				"ERROR: %s: cannot open log file \"%s\": %s; check that its "
				"directory exists and is writable\n",
				ctx->prog, path, strerror(errno));
			return 1;
		}
	}
	d_log_set_level(lvl);
	d_log_set_json(d_cli_has(ctx, "json-logging"));
	d_log_set_syslog(d_cli_has(ctx, "syslog"));
	return 0;
}
