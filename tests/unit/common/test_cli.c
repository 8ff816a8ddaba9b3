/*
 * Unit tests of the go-flags-like command-line parser: every accepted form,
 * every error message (with the usage that follows it), the help layout,
 * value accessors and pre_run hooks.
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

#include "../unit_fi.h"
#include "common/cli.h"
#include "common/common.h"

/* ------------------------------------------------------------------ */
/* A command tree exercising every feature                              */

/* What the leaf saw, filled by the run() callbacks. */
static struct {
	const char *leaf;
	char	    args[256];
	char	    trace[256]; /* pre_run calls */
	int	    pre_run_rc;
	void (*check)(struct d_cli_ctx *ctx);
} seen;

static int
leaf_run(struct d_cli_ctx *ctx)
{
	seen.leaf = ctx->cmd->name;
	seen.args[0] = '\0';
	for (int i = 0; i < ctx->argc; i++)
		snprintf(seen.args + strlen(seen.args), sizeof(seen.args) - strlen(seen.args),
			 "%s%s", i > 0 ? "," : "", ctx->argv[i]);
	if (seen.check != NULL)
		seen.check(ctx);
	return 0;
}

static int
exit7_run(struct d_cli_ctx *ctx)
{
	(void)ctx;
	return 7;
}

static int
trace_pre_run(struct d_cli_ctx *ctx)
{
	(void)ctx;
	strcat(seen.trace, "pre;");
	return seen.pre_run_rc;
}

static const struct d_cli_opt scan_opts[] = {
	{.short_name = 'v', .long_name = "verbose", .help = "List SCM & NVMe device details"},
	{.short_name = 'n', .long_name = "nvme-health", .help = "Display NVMe device health"},
	{0},
};

static const struct d_cli_opt prepare_opts[] = {
	{.long_name = "pci-block-list",
	 .type = D_OPT_STR,
	 .help = "Whitespace separated list of PCI devices (by address) to be ignored when "
		 "unbinding devices from Kernel driver to be used with SPDK"},
	{.short_name = 'n', .long_name = "nvme-only", .help = "Only prepare NVMe storage"},
	{.short_name = 't',
	 .long_name = "targets",
	 .type = D_OPT_STR,
	 .arg_name = "N",
	 .help = "Number of targets",
	 .deflt = "8"},
	{.short_name = 'a', .long_name = "allow", .type = D_OPT_LIST, .help = "Allowed device"},
	{0},
};

static const struct d_cli_cmd storage_subcmds[] = {
	{.name = "scan",
	 .help = "Scan SCM and NVMe storage attached to servers",
	 .opts = scan_opts,
	 .run = leaf_run},
	{.name = "prepare",
	 .help = "Prepare SCM and NVMe storage attached to remote servers.",
	 .opts = prepare_opts,
	 .run = leaf_run,
	 .args_usage = "[pci-allow-list]"},
	{0},
};

static const struct d_cli_opt storage_opts[] = {
	{.short_name = 'l',
	 .long_name = "host-list",
	 .type = D_OPT_STR,
	 .help = "A hostlist or path to a file"},
	{0},
};

static const struct d_cli_opt netscan_opts[] = {
	{.short_name = 'p',
	 .long_name = "provider",
	 .type = D_OPT_STR,
	 .help = "Filter device list to those that support the given OFI provider or 'all'"},
	{0},
};

static const struct d_cli_cmd network_subcmds[] = {
	{.name = "scan",
	 .help = "Scan for network interface devices",
	 .opts = netscan_opts,
	 .run = leaf_run},
	{0},
};

static const struct d_cli_cmd pool_subcmds[] = {
	{.name = "list", .aliases = {"ls"}, .help = "List pools", .run = leaf_run},
	{.name = "create", .help = "Create a pool", .run = leaf_run, .args_usage = "<label>"},
	{0},
};

static const struct d_cli_cmd root_subcmds[] = {
	{.name = "storage",
	 .aliases = {"sto", "stor"},
	 .help = "Perform tasks related to storage attached to remote servers",
	 .opts = storage_opts,
	 .subcmds = storage_subcmds,
	 .pre_run = trace_pre_run},
	{.name = "network",
	 .aliases = {"net"},
	 .help = "Perform tasks related to network devices",
	 .subcmds = network_subcmds},
	{.name = "version", .help = "Print version", .run = leaf_run},
	{.name = "secret", .help = "Hidden command", .run = exit7_run, .hidden = true},
	{0},
};

/* a command defined "in another file", reached through subcmd_ptrs */
static const struct d_cli_cmd pool_cmd = {
	.name = "pool",
	.help = "Perform tasks related to pools",
	.subcmds = pool_subcmds,
	.run = leaf_run, /* runs on its own: subcommands are optional */
};

static const struct d_cli_cmd *const root_ptrs[] = {
	&pool_cmd,
	NULL,
};

static const struct d_cli_opt root_opts[] = {
	{.long_name = "allow-proxy", .help = "Allow proxy configuration via environment"},
	{.short_name = 'j', .long_name = "json", .help = "Enable JSON output"},
	{.short_name = 'o',
	 .long_name = "config-path",
	 .type = D_OPT_STR,
	 .help = "Client config file path",
	 .deflt = "/etc/daos/daos_control.yml"},
	{.short_name = 'H',
	 .long_name = "hidden-host",
	 .type = D_OPT_STR,
	 .hidden = true,
	 .help = "DEPRECATED"},
	{0},
};

static const struct d_cli_cmd root = {
	.name = "prog",
	.opts = root_opts,
	.subcmds = root_subcmds,
	.subcmd_ptrs = root_ptrs,
	.pre_run = trace_pre_run,
};

/* ------------------------------------------------------------------ */
/* Running d_cli_main with stdout and stderr captured                   */

static char out_buf[16384];
static char err_buf[16384];

static void
slurp(FILE *f, char *buf, size_t len)
{
	size_t n;

	rewind(f);
	n = fread(buf, 1, len - 1, f);
	buf[n] = '\0';
	fclose(f);
}

static int
run_argv(int argc, char **argv)
{
	FILE *fo = tmpfile();
	FILE *fe = tmpfile();
	int   so, se, rc;

	assert_non_null(fo);
	assert_non_null(fe);
	fflush(stdout);
	fflush(stderr);
	so = dup(1);
	se = dup(2);
	dup2(fileno(fo), 1);
	dup2(fileno(fe), 2);
	memset(&seen, 0, offsetof(typeof(seen), pre_run_rc));
	rc = d_cli_main(&root, argc, argv, NULL);
	fflush(stdout);
	fflush(stderr);
	dup2(so, 1);
	dup2(se, 2);
	close(so);
	close(se);
	slurp(fo, out_buf, sizeof(out_buf));
	slurp(fe, err_buf, sizeof(err_buf));
	return rc;
}

/* run("a b c"): words separated by single spaces; "" is no argument. */
static int
run(const char *line)
{
	char  copy[512];
	char *argv[64] = {"/usr/bin/prog"};
	int   argc = 1;

	snprintf(copy, sizeof(copy), "%s", line);
	for (char *tok = strtok(copy, " "); tok != NULL; tok = strtok(NULL, " "))
		argv[argc++] = tok;
	argv[argc] = NULL;
	return run_argv(argc, argv);
}

/* stderr must be "ERROR: prog: <msg>\n" followed by exactly `usage`. */
static void
assert_usage_error(const char *line, const char *msg, const char *usage)
{
	char want[16384];

	assert_int_equal(run(line), 1);
	snprintf(want, sizeof(want), "ERROR: prog: %s\n%s", msg, usage);
	assert_string_equal(err_buf, want);
	assert_string_equal(out_buf, "");
	assert_null(seen.leaf);
}

static const char root_usage[] =
	"Usage:\n"
	"  prog [OPTIONS] <command>\n"
	"\n"
	"Application Options:\n"
	"      --allow-proxy  Allow proxy configuration via environment\n"
	"  -j, --json         Enable JSON output\n"
	"  -o, --config-path= Client config file path (default:\n"
	"                     /etc/daos/daos_control.yml)\n"
	"\n"
	"Help Options:\n"
	"  -h, --help         Show this help message\n"
	"\n"
	"Available commands:\n"
	"  network  Perform tasks related to network devices (aliases: net)\n"
	"  pool     Perform tasks related to pools\n"
	"  storage  Perform tasks related to storage attached to remote servers (aliases: sto, "
	"stor)\n"
	"  version  Print version\n";

static const char scan_usage[] =
	"Usage:\n"
	"  prog [OPTIONS] storage [storage-OPTIONS] scan [scan-OPTIONS]\n"
	"\n"
	"Application Options:\n"
	"      --allow-proxy      Allow proxy configuration via environment\n"
	"  -j, --json             Enable JSON output\n"
	"  -o, --config-path=     Client config file path (default:\n"
	"                         /etc/daos/daos_control.yml)\n"
	"\n"
	"Help Options:\n"
	"  -h, --help             Show this help message\n"
	"\n"
	"[storage command options]\n"
	"      -l, --host-list=   A hostlist or path to a file\n"
	"\n"
	"[scan command options]\n"
	"      -v, --verbose      List SCM & NVMe device details\n"
	"      -n, --nvme-health  Display NVMe device health\n";

static const char network_usage[] =
	"Usage:\n"
	"  prog [OPTIONS] network <scan>\n"
	"\n"
	"Application Options:\n"
	"      --allow-proxy  Allow proxy configuration via environment\n"
	"  -j, --json         Enable JSON output\n"
	"  -o, --config-path= Client config file path (default:\n"
	"                     /etc/daos/daos_control.yml)\n"
	"\n"
	"Help Options:\n"
	"  -h, --help         Show this help message\n"
	"\n"
	"Available commands:\n"
	"  scan  Scan for network interface devices\n";

static const char netscan_usage[] =
	"Usage:\n"
	"  prog [OPTIONS] network scan [scan-OPTIONS]\n"
	"\n"
	"Application Options:\n"
	"      --allow-proxy   Allow proxy configuration via environment\n"
	"  -j, --json          Enable JSON output\n"
	"  -o, --config-path=  Client config file path (default:\n"
	"                      /etc/daos/daos_control.yml)\n"
	"\n"
	"Help Options:\n"
	"  -h, --help          Show this help message\n"
	"\n"
	"[scan command options]\n"
	"      -p, --provider= Filter device list to those that support the given OFI\n"
	"                      provider or 'all'\n";

static const char version_usage[] =
	"Usage:\n"
	"  prog [OPTIONS] version\n"
	"\n"
	"Application Options:\n"
	"      --allow-proxy  Allow proxy configuration via environment\n"
	"  -j, --json         Enable JSON output\n"
	"  -o, --config-path= Client config file path (default:\n"
	"                     /etc/daos/daos_control.yml)\n"
	"\n"
	"Help Options:\n"
	"  -h, --help         Show this help message\n";

/* ------------------------------------------------------------------ */
/* Tests                                                                */

static void
check_scan(struct d_cli_ctx *ctx)
{
	assert_true(d_cli_has(ctx, "verbose"));
	assert_true(d_cli_has(ctx, "json"));
	assert_false(d_cli_has(ctx, "nvme-health"));
	assert_false(d_cli_has(ctx, "no-such-option"));
	assert_string_equal(d_cli_get(ctx, "verbose"), "true");
	assert_null(d_cli_get(ctx, "nvme-health"));
	assert_string_equal(ctx->prog, "prog");
}

static void
test_bools_and_path(void **state)
{
	static const char *const lines[] = {
		"storage scan -v -j",	  "-j storage scan -v", "storage -j scan --verbose",
		"sto scan -vj",		  "stor scan -jv",	"-j stor scan --verbose --verbose",
		"--json storage scan -v",
	};

	(void)state;
	seen.check = check_scan;
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		assert_int_equal(run(lines[i]), 0);
		assert_string_equal(seen.leaf, "scan");
		assert_string_equal(seen.args, "");
		assert_string_equal(err_buf, "");
		assert_string_equal(out_buf, "");
	}
	seen.check = NULL;
}

static void
check_provider_x(struct d_cli_ctx *ctx)
{
	assert_string_equal(d_cli_get(ctx, "provider"), "ofi+tcp");
}

static void
check_provider_dash(struct d_cli_ctx *ctx)
{
	assert_string_equal(d_cli_get(ctx, "provider"), "-x");
}

static void
check_provider_empty(struct d_cli_ctx *ctx)
{
	assert_string_equal(d_cli_get(ctx, "provider"), "");
}

static void
test_values(void **state)
{
	static const char *const lines[] = {
		"network scan -p ofi+tcp",	    "network scan -pofi+tcp",
		"network scan --provider ofi+tcp",  "network scan --provider=ofi+tcp",
		"net scan -p x --provider=ofi+tcp", "network scan -jpofi+tcp",
		"network scan -jp ofi+tcp",
	};

	(void)state;
	seen.check = check_provider_x;
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		assert_int_equal(run(lines[i]), 0);
		assert_string_equal(seen.leaf, "scan");
	}
	/* like go-flags, the next word is the value even if it looks like an option */
	seen.check = check_provider_dash;
	assert_int_equal(run("network scan -p -x"), 0);
	assert_int_equal(run("network scan --provider -x"), 0);
	seen.check = check_provider_empty;
	assert_int_equal(run("network scan --provider="), 0);
	seen.check = NULL;
}

static void
check_prepare(struct d_cli_ctx *ctx)
{
	const char *const *vals;
	long		   v = 0;

	assert_int_equal(d_cli_get_list(ctx, "allow", &vals), 3);
	assert_string_equal(vals[0], "a1");
	assert_string_equal(vals[1], "a2");
	assert_string_equal(vals[2], "a3");
	assert_int_equal(d_cli_get_list(ctx, "nvme-only", &vals), 0);
	assert_int_equal(d_cli_get_list(ctx, "unknown", &vals), 0);
	/* defaults: from the option table, else NULL */
	assert_string_equal(d_cli_get(ctx, "config-path"), "/etc/daos/daos_control.yml");
	assert_string_equal(d_cli_get(ctx, "targets"), "8");
	assert_null(d_cli_get(ctx, "pci-block-list"));
	assert_null(d_cli_get(ctx, "unknown"));
	assert_false(d_cli_has(ctx, "targets"));
	assert_int_equal(d_cli_get_long(ctx, "targets", 1, 64, 16, &v), 0);
	assert_int_equal(v, 16);
	/* hidden global option accepted */
	assert_string_equal(d_cli_get(ctx, "hidden-host"), "h1");
	assert_string_equal(d_cli_get(ctx, "host-list"), "node[1-2]");
}

static void
test_positionals_and_lists(void **state)
{
	(void)state;
	seen.check = check_prepare;
	assert_int_equal(run("storage -l node[1-2] prepare 0000:81:00.0 -a a1 --allow a2 -H h1 "
			     "0000:82:00.0 -aa3"),
			 0);
	assert_string_equal(seen.leaf, "prepare");
	assert_string_equal(seen.args, "0000:81:00.0,0000:82:00.0");
	/* after "--" everything is positional, including words like options */
	seen.check = NULL;
	assert_int_equal(run("storage prepare -- -n --allow x"), 0);
	assert_string_equal(seen.args, "-n,--allow,x");
	/* "-" alone is a positional argument */
	assert_int_equal(run("storage prepare -"), 0);
	assert_string_equal(seen.args, "-");
}

static void
check_long_ok(struct d_cli_ctx *ctx)
{
	long v = 0;

	assert_int_equal(d_cli_get_long(ctx, "targets", 1, 64, 16, &v), 0);
	assert_int_equal(v, 64);
	/* D_OPT_STR last occurrence wins */
	assert_string_equal(d_cli_get(ctx, "targets"), "64");
}

static char long_err[512];

static void
check_long_bad(struct d_cli_ctx *ctx)
{
	long v = 99;

	fflush(stderr);
	assert_int_equal(d_cli_get_long(ctx, "targets", 1, 64, 16, &v), -DER_INVAL);
	assert_int_equal(v, 99);
	(void)long_err;
}

static void
test_get_long(void **state)
{
	static const struct {
		const char *line;
		const char *val;
	} bad[] = {
		{"storage prepare -t 65", "65"},
		{"storage prepare -t 0", "0"},
		{"storage prepare -t x", "x"},
		{"storage prepare -t 1x", "1x"},
		{"storage prepare --targets=", ""},
		{"storage prepare -t -1", "-1"},
		{"storage prepare -t 99999999999999999999", "99999999999999999999"},
		{"storage prepare -t= 5", "= 5"},
	};
	char want[512];

	(void)state;
	seen.check = check_long_ok;
	assert_int_equal(run("storage prepare -t 3 --targets 64"), 0);
	seen.check = check_long_bad;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char line[128];

		/* "-t= 5" would be split by run(); build that argv by hand */
		if (strcmp(bad[i].val, "= 5") == 0) {
			char *argv[] = {"prog", "storage", "prepare", "-t= 5", NULL};

			assert_int_equal(run_argv(4, argv), 0);
		} else {
			snprintf(line, sizeof(line), "%s", bad[i].line);
			assert_int_equal(run(line), 0);
		}
		snprintf(want, sizeof(want),
			 "ERROR: prog: invalid argument for flag `--targets': expected an integer "
			 "between 1 and 64, got \"%s\"\n",
			 bad[i].val);
		assert_string_equal(err_buf, want);
	}
	seen.check = NULL;
}

static void
test_commands(void **state)
{
	(void)state;
	assert_int_equal(run("version"), 0);
	assert_string_equal(seen.leaf, "version");
	/* hidden commands run but are not listed */
	assert_int_equal(run("secret"), 7);
	assert_null(strstr(root_usage, "secret"));
	/* a command with run() and subcommands: both forms work */
	assert_int_equal(run("pool"), 0);
	assert_string_equal(seen.leaf, "pool");
	assert_int_equal(run("pool ls"), 0);
	assert_string_equal(seen.leaf, "list");
	assert_int_equal(run("pool create label1"), 0);
	assert_string_equal(seen.leaf, "create");
	assert_string_equal(seen.args, "label1");
}

static void
test_pre_run(void **state)
{
	(void)state;
	/* root then storage, before the leaf */
	assert_int_equal(run("storage scan"), 0);
	assert_string_equal(seen.trace, "pre;pre;");
	assert_string_equal(seen.leaf, "scan");
	assert_int_equal(run("version"), 0);
	assert_string_equal(seen.trace, "pre;");
	/* a failing hook stops everything with its status */
	seen.pre_run_rc = 3;
	assert_int_equal(run("storage scan"), 3);
	assert_string_equal(seen.trace, "pre;");
	assert_null(seen.leaf);
	seen.pre_run_rc = 0;
	/* no hook on errors or help */
	assert_int_equal(run("storage scan -x"), 1);
	assert_string_equal(seen.trace, "");
	assert_int_equal(run("-h"), 0);
	assert_string_equal(seen.trace, "");
}

static void
test_help(void **state)
{
	(void)state;
	assert_int_equal(run("-h"), 0);
	assert_string_equal(out_buf, root_usage);
	assert_string_equal(err_buf, "");
	assert_null(seen.leaf);
	assert_int_equal(run("--help"), 0);
	assert_string_equal(out_buf, root_usage);
	assert_int_equal(run("storage scan -h"), 0);
	assert_string_equal(out_buf, scan_usage);
	assert_int_equal(run("sto -j scan --help"), 0);
	assert_string_equal(out_buf, scan_usage);
	assert_int_equal(run("network -h scan"), 0); /* help for what was reached */
	assert_string_equal(out_buf, network_usage);
	assert_int_equal(run("network scan -h"), 0);
	assert_string_equal(out_buf, netscan_usage);
	assert_int_equal(run("version -h extra"), 0);
	assert_string_equal(out_buf, version_usage);
	/* -h in a group of short options */
	assert_int_equal(run("version -jh"), 0);
	assert_string_equal(out_buf, version_usage);
	/* an error before -h wins */
	assert_int_equal(run("-x -h"), 1);
	assert_string_equal(out_buf, "");
}

static void
test_usage_layouts(void **state)
{
	(void)state;
	assert_int_equal(run("storage prepare -h"), 0);
	assert_string_equal(
		out_buf,
		"Usage:\n"
		"  prog [OPTIONS] storage [storage-OPTIONS] prepare [prepare-OPTIONS] "
		"[pci-allow-list]\n"
		"\n"
		"Application Options:\n"
		"      --allow-proxy            Allow proxy configuration via environment\n"
		"  -j, --json                   Enable JSON output\n"
		"  -o, --config-path=           Client config file path (default:\n"
		"                               /etc/daos/daos_control.yml)\n"
		"\n"
		"Help Options:\n"
		"  -h, --help                   Show this help message\n"
		"\n"
		"[storage command options]\n"
		"      -l, --host-list=         A hostlist or path to a file\n"
		"\n"
		"[prepare command options]\n"
		"          --pci-block-list=    Whitespace separated list of PCI devices (by\n"
		"                               address) to be ignored when unbinding devices\n"
		"                               from Kernel driver to be used with SPDK\n"
		"      -n, --nvme-only          Only prepare NVMe storage\n"
		"      -t, --targets=N          Number of targets (default: 8)\n"
		"      -a, --allow=             Allowed device\n");
	assert_int_equal(run("pool -h"), 0);
	assert_non_null(strstr(out_buf, "  prog [OPTIONS] pool [create | list]\n"));
	assert_non_null(strstr(out_buf, "Available commands:\n"
					"  create  Create a pool\n"
					"  list    List pools (aliases: ls)\n"));
	assert_int_equal(run("pool create -h"), 0);
	assert_non_null(strstr(out_buf, "  prog [OPTIONS] pool create <label>\n"));
}

static void
test_errors(void **state)
{
	(void)state;
	assert_usage_error("storage scan -x", "unknown flag `x'", scan_usage);
	assert_usage_error("storage scan -vx", "unknown flag `x'", scan_usage);
	assert_usage_error("storage scan --bogus", "unknown flag `bogus'", scan_usage);
	assert_usage_error("storage scan --bogus=1", "unknown flag `bogus'", scan_usage);
	/* options of a subcommand are unknown before it */
	assert_usage_error("-v storage scan", "unknown flag `v'", root_usage);
	assert_usage_error("--verbose storage scan", "unknown flag `verbose'", root_usage);
	assert_usage_error("network scan -p", "expected argument for flag `-p, --provider'",
			   netscan_usage);
	assert_usage_error("network scan --provider", "expected argument for flag `-p, --provider'",
			   netscan_usage);
	assert_usage_error("network scan -jp", "expected argument for flag `-p, --provider'",
			   netscan_usage);
	assert_usage_error("network scan -p --",
			   "expected argument for flag `-p, --provider', but got double dash `--'",
			   netscan_usage);
	assert_usage_error("storage scan --verbose=1",
			   "bool flag `-v, --verbose' cannot have an argument", scan_usage);
	assert_usage_error("--allow-proxy=yes version",
			   "bool flag `--allow-proxy' cannot have an argument", root_usage);
	assert_usage_error("foo",
			   "Unknown command `foo'. Please specify one command of: network, pool, "
			   "storage or version",
			   root_usage);
	assert_usage_error("stroage", "Unknown command `stroage', did you mean `storage'?",
			   root_usage);
	assert_usage_error("", "Please specify one command of: network, pool, storage or version",
			   root_usage);
	assert_usage_error("-j", "Please specify one command of: network, pool, storage or version",
			   root_usage);
	assert_usage_error("network", "Please specify the scan command", network_usage);
	assert_usage_error("network foo", "Unknown command `foo'. You should use the scan command",
			   network_usage);
	assert_usage_error("network sca", "Unknown command `sca', did you mean `scan'?",
			   network_usage);
	/* a transposition is two edits: 2/4 is not below go-flags' 0.5 threshold */
	assert_usage_error("network sacn",
			   "Unknown command `sacn'. You should use the scan command",
			   network_usage);
	assert_usage_error("version extra", "unexpected argument `extra'", version_usage);
	assert_usage_error("storage scan a", "unexpected argument `a'", scan_usage);
	assert_usage_error("-- version", "unexpected argument `version'", root_usage);
}

/* Long option lines do not overflow the fixed line buffer. */
static void
test_long_names(void **state)
{
	static const struct d_cli_opt opts[] = {
		{.long_name = "a-very-long-option-name-that-goes-on-and-on-and-on-and-on-and-on-"
			      "and-on-and-on-and-on-and-on-and-on-and-on-and-on-and-on-and-on-and-"
			      "on-and-on-and-on-and-on-and-on-and-on-and-on-and-on-and-on-and-on-"
			      "and-on-and-on-and-on-and-on-and-on-and-on-and-on-and-on-and-on-and-"
			      "on-and-on-and-on-and-on-and-on-and-on-and-on-and-on-and-on-and-on",
		 .type = D_OPT_STR,
		 .help = "x"},
		{0},
	};
	static const struct d_cli_cmd big = {.name = "big", .opts = opts, .run = leaf_run};
	struct d_cli_ctx	      ctx = {.prog = "big", .cmd = &big};
	char			     *buf = NULL;
	size_t			      len = 0;
	FILE			     *f = open_memstream(&buf, &len);

	(void)state;
	d_cli_usage(&ctx, f);
	fclose(f);
	assert_non_null(strstr(buf, "Usage:\n  big [OPTIONS]\n"));
	assert_non_null(strstr(buf, "and-on= x\n")); /* go-flags does not count the = */
	free(buf);
}

/* Child: out of memory while parsing is reported, not a crash. */
static int
fi_parse(void)
{
	char *argv[] = {"prog", "storage", "scan", "-v", NULL};

	return d_cli_main(&root, 4, argv, NULL);
}

static void
test_alloc_failures(void **state)
{
	(void)state;
	assert_int_equal(unit_fi_run("parse", 1), 1);
	assert_int_equal(unit_fi_run("parse", 2), 1);
	assert_int_equal(unit_fi_run("parse", 3), 1);
	assert_int_equal(unit_fi_run("parse", 100), 0);
}

static const struct unit_fi_case fi_cases[] = {
	{"parse", fi_parse},
	{NULL, NULL},
};

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bools_and_path),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_positionals_and_lists),
		cmocka_unit_test(test_get_long),
		cmocka_unit_test(test_commands),
		cmocka_unit_test(test_pre_run),
		cmocka_unit_test(test_help),
		cmocka_unit_test(test_usage_layouts),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_long_names),
		cmocka_unit_test(test_alloc_failures),
	};

	unit_fi_dispatch(fi_cases);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
