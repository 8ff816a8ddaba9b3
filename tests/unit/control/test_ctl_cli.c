/*
 * Unit tests of the global options shared by the control-plane binaries
 * (d_cli_pre_run) and of the proxy scrubbing policy.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/cli.h"
#include "common/log.h"

static void
test_proxy_scrub(void **state)
{
	static const char *const vars[] = {
		"http_proxy", "https_proxy", "ftp_proxy", "socks_proxy", "no_proxy",
		"HTTP_PROXY", "HTTPS_PROXY", "FTP_PROXY", "SOCKS_PROXY", "NO_PROXY"};
	static const struct {
		const char *disable; /* DAOS_DISABLE_PROXY_SCRUB, NULL: unset */
		bool	    kept;
	} cases[] = {
		{NULL, false}, {"1", true},	 {"true", true}, {"T", true},
		{"0", false},  {"false", false}, {"yes", false}, {"", false},
	};

	(void)state;
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
			setenv(vars[i], "http://proxy:3128", 1);
		setenv("UNRELATED", "x", 1);
		if (cases[c].disable != NULL)
			setenv("DAOS_DISABLE_PROXY_SCRUB", cases[c].disable, 1);
		else
			unsetenv("DAOS_DISABLE_PROXY_SCRUB");
		d_proxy_scrub();
		for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
			assert_int_equal(getenv(vars[i]) != NULL, cases[c].kept);
		assert_non_null(getenv("UNRELATED"));
	}
	unsetenv("DAOS_DISABLE_PROXY_SCRUB");
}

static int debug_line; /* line of the D_DEBUG() in log_run() */

static int
log_run(struct d_cli_ctx *ctx)
{
	(void)ctx;
	debug_line = __LINE__ + 1;
	D_DEBUG("debug line");
	D_INFO("info \"quoted\"");
	return 0;
}

static const struct d_cli_opt globals[] = {
	{.long_name = "allow-proxy", .help = "Allow proxy configuration via environment"},
	{.short_name = 'd', .long_name = "debug", .help = "Enable debug output"},
	{.short_name = 'J',
	 .long_name = "json-logging",
	 .help = "Enable JSON-formatted log output"},
	{.long_name = "log-file", .type = D_OPT_STR, .help = "Log file"},
	{0},
};

static const struct d_cli_cmd	     log_cmd = {.name = "log", .help = "log", .run = log_run};
static const struct d_cli_cmd *const cmds[] = {&log_cmd, NULL};
static const struct d_cli_cmd	     root = {
	       .name = "tool", .opts = globals, .subcmd_ptrs = cmds, .pre_run = d_cli_pre_run};

static char logpath[] = "/tmp/test_ctl_cli.XXXXXX";

static int
run(const char *a1, const char *a2, const char *a3)
{
	char *argv[8] = {"tool", "--log-file", logpath};
	int   argc = 3;

	if (a1 != NULL)
		argv[argc++] = (char *)a1;
	if (a2 != NULL)
		argv[argc++] = (char *)a2;
	if (a3 != NULL)
		argv[argc++] = (char *)a3;
	argv[argc++] = "log";
	d_log_set_level(D_LL_INFO); /* the level is process-wide; start each run afresh */
	return d_cli_main(&root, argc, argv, NULL);
}

static char *
read_log(void)
{
	static char buf[4096];
	FILE	   *f = fopen(logpath, "r");
	size_t	    n;

	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	assert_int_equal(truncate(logpath, 0), 0);
	return buf;
}

static void
test_pre_run(void **state)
{
	char  want[64];
	char *log;

	(void)state;
	assert_int_equal(mkstemp(logpath) >= 0, 1);
	d_log_set_level(D_LL_INFO);

	/* --log-file: records go to the file; INFO by default */
	assert_int_equal(run(NULL, NULL, NULL), 0);
	log = read_log();
	assert_null(strstr(log, "debug line"));
	assert_non_null(strstr(log, "INFO "));
	assert_non_null(strstr(log, " tool: info \"quoted\"\n"));

	/* -d: debug records too */
	assert_int_equal(run("-d", NULL, NULL), 0);
	log = read_log();
	assert_non_null(strstr(log, "DEBUG "));
	/* debug lines carry the call site (log_run() above) */
	snprintf(want, sizeof(want), "tool: test_ctl_cli.c:%d: debug line\n", debug_line);
	assert_non_null(strstr(log, want));

	/* -J: one JSON object per line, upstream's field order */
	assert_int_equal(run("-J", NULL, NULL), 0);
	log = read_log();
	assert_true(strncmp(log, "{\"level\":\"INFO\",\"time\":\"", 24) == 0);
	assert_non_null(
		strstr(log, "\",\"extra\":\"tool\",\"message\":\"info \\\"quoted\\\"\"}\n"));
	assert_ptr_equal(strchr(log, '\n'), log + strlen(log) - 1); /* one line */

	/* proxies scrubbed unless --allow-proxy */
	setenv("https_proxy", "http://proxy:3128", 1);
	assert_int_equal(run("--allow-proxy", NULL, NULL), 0);
	assert_non_null(getenv("https_proxy"));
	assert_int_equal(run(NULL, NULL, NULL), 0);
	assert_null(getenv("https_proxy"));

	d_log_set_json(false);
	d_log_close();
	unlink(logpath);
}

static void
test_bad_log_file(void **state)
{
	char *argv[] = {"tool", "--log-file", "/nonexistent-dir/x.log", "log", NULL};

	(void)state;
	/* error path: exit status 1, nothing run (the message goes to stderr) */
	assert_int_equal(d_cli_main(&root, 4, argv, NULL), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_proxy_scrub),
		cmocka_unit_test(test_pre_run),
		cmocka_unit_test(test_bad_log_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
