/*
 * Command-line parsing for the control-plane binaries, in the style of
 * upstream's go-flags interfaces: a tree of commands (with aliases), each
 * with its options; options of every command on the path are accepted after
 * that command (global options anywhere).  Short options `-v`, grouped bools
 * `-vj`, `-pVALUE`, `-p VALUE`, long `--provider VALUE` and
 * `--provider=VALUE`; `--` ends options.  `-h/--help` prints usage for the
 * command reached so far and returns D_CLI_HELP.
 *
 * Errors (exit status 1 from d_cli_main) are printed to stderr as:
 *   "ERROR: <prog>: unknown flag `x'"            (short; long: `name')
 *   "ERROR: <prog>: expected argument for flag `-p, --provider'"
 *   "ERROR: <prog>: expected argument for flag `-p, --provider', but got double dash `--'"
 *   "ERROR: <prog>: bool flag `-v, --verbose' cannot have an argument"
 *   "ERROR: <prog>: Unknown command `foo'. Please specify one command of: a, b or c"
 *   "ERROR: <prog>: Unknown command `foo'. You should use the a command"  (one command)
 *   "ERROR: <prog>: Unknown command `sca', did you mean `scan'?"  (edit distance < half)
 *   "ERROR: <prog>: Please specify one command of: a, b or c"
 *   "ERROR: <prog>: Please specify the a command"            (one command)
 *   "ERROR: <prog>: unexpected argument `x'"     (positional, args_usage == NULL)
 * followed by the usage text for the command reached, as go-flags does.
 * Hidden commands are not counted in these lists.
 *
 * Usage layout is go-flags' help.go: "Usage:\n  <prog> [OPTIONS] cmd
 * [cmd-OPTIONS] ... <a | b | c>" (or "<command>" beyond three visible
 * subcommands; "[...]" when the command runs without one), "Application
 * Options:", "Help Options:", "[cmd command options]" sections with
 * descriptions aligned and wrapped at 80 columns, then "Available
 * commands:" sorted by name with "(aliases: ...)".
 */
#ifndef DAOS_COMMON_CLI_H
#define DAOS_COMMON_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "common/common.h"

#define D_CLI_HELP 2 /* returned by d_cli_parse after printing help */

enum d_cli_opt_type {
	D_OPT_BOOL = 0, /* flag, no argument */
	D_OPT_STR,	/* takes one argument */
	D_OPT_LIST,	/* takes one argument, may repeat; values kept in order */
};

struct d_cli_opt {
	char		    short_name; /* 0 when none */
	const char	   *long_name;	/* required; the key used by d_cli_get() */
	enum d_cli_opt_type type;
	const char	   *arg_name; /* for help, e.g. "PROVIDER" */
	const char	   *help;
	const char	   *deflt;  /* default value shown in help and returned by d_cli_get */
	bool		    hidden; /* accepted but not listed in help */
};

struct d_cli_ctx;

struct d_cli_cmd {
	const char	       *name;
	const char	       *aliases[4]; /* NULL-terminated */
	const char	       *help;	    /* one line */
	const struct d_cli_opt *opts;	    /* terminated by an entry with long_name == NULL */
	const struct d_cli_cmd *subcmds;    /* terminated by an entry with name == NULL */
	/* Leaf action.  Returns the process exit status. */
	int (*run)(struct d_cli_ctx *ctx);
	const char *args_usage; /* e.g. "[pci-allow-list]"; NULL: no positionals */
	bool	    hidden;
	/*
	 * Optional, called for every command on the parsed path (root first)
	 * before the leaf's run(), like go-flags' CommandHandler upstream uses to
	 * apply global options (log level, proxy scrubbing).  A non-zero return
	 * is the exit status and the leaf does not run.
	 */
	int (*pre_run)(struct d_cli_ctx *ctx);
	/*
	 * Subcommands defined in other files, as a NULL-terminated array of
	 * pointers (C cannot copy an extern struct into a static initializer):
	 *   static const struct d_cli_cmd *const cmds[] = {&srv_network_cmd, NULL};
	 * Listed after `subcmds` when both are given.
	 */
	const struct d_cli_cmd *const *subcmd_ptrs;
};

/* Parsed state handed to a command's run(). */
struct d_cli_ctx {
	const char	       *prog; /* argv[0] basename */
	const struct d_cli_cmd *cmd;  /* the leaf command reached */
	int			argc; /* positional arguments */
	char		      **argv;
	void		       *user; /* caller's pointer from d_cli_main */
	/* private */
	struct d_cli_parsed *parsed;
};

/* True if the option was given on the command line (any command on the path). */
bool d_cli_has(const struct d_cli_ctx *ctx, const char *long_name);

/* Value of a D_OPT_STR option (last occurrence), else its default, else NULL. */
const char *d_cli_get(const struct d_cli_ctx *ctx, const char *long_name);

/* Values of a D_OPT_LIST option; returns the count and sets *vals (owned by ctx). */
int d_cli_get_list(const struct d_cli_ctx *ctx, const char *long_name, const char *const **vals);

/*
 * Integer value of an option with range checking; on a bad value prints
 * "ERROR: <prog>: invalid argument for flag `--name': expected an integer
 * between MIN and MAX, got "X"" and returns -DER_INVAL.  Absent: *out = deflt.
 */
int d_cli_get_long(const struct d_cli_ctx *ctx, const char *long_name, long min, long max,
		   long deflt, long *out);

/* Print usage for ctx->cmd (or the root when cmd is NULL) to out. */
void d_cli_usage(const struct d_cli_ctx *ctx, FILE *out);

/*
 * Parse argv against the root command (whose opts are the global options)
 * and run the leaf.  Returns the exit status: the command's return value, 0
 * after help, 1 on a usage error.  A command without run() and without a
 * subcommand given is a usage error ("Please specify one command of: ...").
 */
int d_cli_main(const struct d_cli_cmd *root, int argc, char **argv, void *user);

/* ---- what every control-plane binary shares (build_info.c, cli_daemon.c) ---- */

/* Build facts reported by `version` commands. */
struct d_build_info {
	const char *name;     /* e.g. "DAOS Control Server" */
	const char *version;  /* "2.9.100" */
	const char *revision; /* short git hash or "" */
	const char *config_dir;
};

void d_build_info_get(const char *component, struct d_build_info *bi);

/* Print "<component> version <ver>[-g<rev>]" (or the JSON form) to out. */
void d_version_print(FILE *out, const char *component, int json);

/*
 * Remove http(s)/ftp/socks/no_proxy variables (both cases) from the
 * environment, as upstream does unless --allow-proxy is given or
 * DAOS_DISABLE_PROXY_SCRUB is set to a true value (1, t, true, ...).
 */
void d_proxy_scrub(void);

/*
 * pre_run hook for the root command of every control-plane binary: applies
 * --debug, --log-file/--logfile, --json-logging, --syslog and --allow-proxy
 * (see d_proxy_scrub), whichever of them the binary defines.
 * Returns 0, or 1 after printing an error (log file cannot be opened).
 */
int d_cli_pre_run(struct d_cli_ctx *ctx);

#endif /* DAOS_COMMON_CLI_H */
