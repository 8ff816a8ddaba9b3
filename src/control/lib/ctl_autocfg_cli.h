/*
 * The command-line flags of "config generate", shared by
 * `daos_server config generate` (local scans) and `dmg config generate`
 * (scans of every host of -l): the option entries and their parsing into a
 * struct ctl_autocfg_req, so both commands accept the same flags with the
 * same checks and messages.
 *
 * Flags: -a/--access-points (guide) and -r/--ms-replicas (upstream),
 * -e/--num-engines, -s/--min-ssds (guide; upstream's -s is --scm-only, which
 * is accepted as a long flag meaning --min-ssds=0), -c/--net-class,
 * -p/--net-provider, -t/--use-tmpfs-scm, -m/--control-metadata-path,
 * -f/--fabric-ports.  Command-specific flags (-l, --skip-prep) stay with
 * each command.  Nothing here scans or prints except d_cli_get_long()'s
 * own range message.
 */
#ifndef DAOS_CONTROL_LIB_CTL_AUTOCFG_CLI_H
#define DAOS_CONTROL_LIB_CTL_AUTOCFG_CLI_H

#include "common/cli.h"
#include "common/hostlist.h"
#include "control/lib/ctl_autocfg.h"

/*
 * Option entries, to be placed in a command's d_cli_opt array.
 * `replicas_deflt` is the default shown for -r ("localhost" for
 * daos_server; NULL for dmg, whose default is the first host of -l).
 */
#define CTL_AUTOCFG_CLI_OPTS(replicas_deflt, replicas_help)                                        \
	{.short_name = 'a',                                                                        \
	 .long_name = "access-points",                                                             \
	 .type = D_OPT_STR,                                                                        \
	 .arg_name = "HOSTS",                                                                      \
	 .help = "Comma separated list of access point addresses <ipv4addr/hostname> "             \
		 "(deprecated alias of --ms-replicas)"},                                           \
		{.short_name = 'r',                                                                \
		 .long_name = "ms-replicas",                                                       \
		 .type = D_OPT_STR,                                                                \
		 .arg_name = "HOSTS",                                                              \
		 .deflt = (replicas_deflt),                                                        \
		 .help = (replicas_help)},                                                         \
		{.short_name = 'e',                                                                \
		 .long_name = "num-engines",                                                       \
		 .type = D_OPT_STR,                                                                \
		 .arg_name = "N",                                                                  \
		 .help = "Set the number of DAOS Engine sections to be populated in the config "   \
			 "file "                                                                   \
			 "output. If unset then the value will be set to the number of NUMA "      \
			 "nodes "                                                                  \
			 "on storage hosts in the DAOS system."},                                  \
		{.short_name = 's',                                                                \
		 .long_name = "min-ssds",                                                          \
		 .type = D_OPT_STR,                                                                \
		 .arg_name = "N",                                                                  \
		 .deflt = "1",                                                                     \
		 .help = "Minimum number of NVMe SSDs required per DAOS Engine (SSDs must reside " \
			 "on "                                                                     \
			 "the host that is managing the engine). Set to 0 to generate a config "   \
			 "with "                                                                   \
			 "no NVMe."},                                                              \
		{.long_name = "scm-only",                                                          \
		 .type = D_OPT_BOOL,                                                               \
		 .help = "Create a SCM-only config without NVMe SSDs (same as --min-ssds=0)"},     \
		{.short_name = 'c',                                                                \
		 .long_name = "net-class",                                                         \
		 .type = D_OPT_STR,                                                                \
		 .arg_name = "best-available|ethernet|infiniband",                                 \
		 .deflt = "best-available",                                                        \
		 .help = "Network class preferred"},                                               \
		{.short_name = 'p',                                                                \
		 .long_name = "net-provider",                                                      \
		 .type = D_OPT_STR,                                                                \
		 .arg_name = "PROVIDER",                                                           \
		 .help = "Set the network fabric provider to be used (default: best available)"},  \
		{.short_name = 't',                                                                \
		 .long_name = "use-tmpfs-scm",                                                     \
		 .type = D_OPT_BOOL,                                                               \
		 .help = "Use tmpfs for scm rather than PMem"},                                    \
		{.short_name = 'm',                                                                \
		 .long_name = "control-metadata-path",                                             \
		 .type = D_OPT_STR,                                                                \
		 .arg_name = "PATH",                                                               \
		 .help = "External storage path to store control metadata. Set this to a "         \
			 "persistent "                                                             \
			 "location and specify --use-tmpfs-scm to create an MD-on-SSD config"},    \
	{                                                                                          \
		.short_name = 'f', .long_name = "fabric-ports", .type = D_OPT_STR,                 \
		.arg_name = "PORTS",                                                               \
		.help = "Allow custom fabric interface ports to be specified for each engine "     \
			"config section. Comma separated port numbers, one per engine"             \
	}

/* A parsed request and the storage its pointers refer to. */
struct ctl_autocfg_args {
	struct ctl_autocfg_req req;
	/* private */
	struct d_hostlist *hl;
	char		 **reps;
	size_t		   nreps;
	int64_t		  *ports;
};

/*
 * Fill `a` from the flags of ctx.  `default_replicas` is used when neither
 * -a nor -r is given.  Errors: -DER_INVAL with the sentence in eb (eb empty
 * when d_cli_get_long() already printed its range message), -DER_NOMEM.
 * On error `a` needs no fini.
 */
int  ctl_autocfg_args_parse(const struct d_cli_ctx *ctx, const char *default_replicas,
			    struct ctl_autocfg_args *a, struct d_errbuf *eb);
void ctl_autocfg_args_fini(struct ctl_autocfg_args *a);

#endif /* DAOS_CONTROL_LIB_CTL_AUTOCFG_CLI_H */
