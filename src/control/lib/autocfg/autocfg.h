/*
 * Server configuration generation ("config generate"): from the network and
 * storage scans of one or more hosts, derive a daos_server configuration
 * that uses the hardware well, following upstream's algorithm
 * (src/control/lib/control/auto.go): hardware must be identical on every
 * host; fabric interfaces are chosen by class, provider and provider
 * priority; each engine gets one NUMA node with its SCM (PMem namespace or
 * tmpfs), its fabric interface and a balanced share of the SSDs on that
 * node; target and helper thread counts come from the cores per NUMA node.
 *
 * The same entry point serves `daos_server config generate` (one host,
 * local scans) and `dmg config generate` (the scans returned by every host
 * of the host list).  When hosts differ, the error names the sets of hosts
 * that differ and how (which interface, provider, SSD or PMem namespace),
 * not only upstream's "hardware not consistent across hosts".
 *
 * This module does not scan, log or print: callers pass scans in and print
 * the returned configuration (ctl_server_config_to_yaml()) or the error.
 */
#ifndef DAOS_CONTROL_LIB_AUTOCFG_AUTOCFG_H
#define DAOS_CONTROL_LIB_AUTOCFG_AUTOCFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/cli.h"
#include "common/common.h"
#include "common/hostlist.h"
#include "control/lib/config/config.h"
#include "control/lib/hw/hw.h"

/* Fabric network class wanted (`-c/--net-class`). */
enum ctl_autocfg_net_class {
	CTL_AUTOCFG_NET_BEST = 0, /* best-available: Ethernet or InfiniBand, best provider wins */
	CTL_AUTOCFG_NET_ETHER,	  /* ethernet */
	CTL_AUTOCFG_NET_IB,	  /* infiniband (upstream's default) */
};

/* Parse "best-available", "ethernet", "infiniband"; -DER_INVAL with the choices in eb. */
int	    ctl_autocfg_net_class_parse(const char *s, enum ctl_autocfg_net_class *out,
					struct d_errbuf *eb);
const char *ctl_autocfg_net_class_name(enum ctl_autocfg_net_class c);

/* Upstream's constants, exposed for tests and help texts. */
#define CTL_AUTOCFG_FABRIC_PORT	      31416 /* engine i listens on 31416 + 1000 * i */
#define CTL_AUTOCFG_FABRIC_PORT_STEP  1000
#define CTL_AUTOCFG_DEFAULT_TARGETS   16
#define CTL_AUTOCFG_RESERVED_CORES    2 /* per engine, for the system */
#define CTL_AUTOCFG_SCM_MOUNT_PREFIX  "/mnt/daos"
#define CTL_AUTOCFG_ENGINE_LOG_PREFIX "/var/log/daos/daos_engine"
#define CTL_AUTOCFG_CONTROL_LOG_FILE  "/var/log/daos/daos_server.log"
#define CTL_AUTOCFG_MAX_NUMA	      64 /* NUMA node ids handled: 0 .. 63 */
#define CTL_AUTOCFG_MAX_DIFFS	      10 /* hardware differences listed before "and N more" */

struct ctl_autocfg_req {
	const char *const	  *ms_replicas; /* "host[:port]"; at least one */
	size_t			   nr_ms_replicas;
	int			   nr_engines; /* 0: the NUMA node count */
	int			   min_ssds;   /* SSDs each engine needs (guide's -s); 0: no NVMe */
	enum ctl_autocfg_net_class net_class;
	const char		  *provider; /* NULL, "" or "all": any; else one DAOS provider */
	bool			   use_tmpfs_scm; /* ram SCM on every NUMA node instead of PMem */
	const char		  *control_metadata_path; /* with use_tmpfs_scm: MD-on-SSD */
	const int64_t		  *fabric_ports; /* one per engine, or none (31416 + 1000 * i) */
	size_t			   nr_fabric_ports;
	const char		  *helper_log_file; /* NULL: not set */
	/* Control port the scanned servers listen on, used when no replica names one (0: none). */
	int64_t control_port;
};

/* Fill `req` with the defaults of the command line (localhost, 1 SSD, best-available). */
void ctl_autocfg_req_init(struct ctl_autocfg_req *req);

/* What one host reported. */
struct ctl_autocfg_host {
	const char		      *hostname; /* as listed by the caller, e.g. "wolf-71" */
	const struct ctl_net_scan     *net;	 /* network scan with provider "all" */
	const struct ctl_storage_scan *storage;	 /* CTL_SCAN_SCM | CTL_SCAN_NVME | CTL_SCAN_MEM */
};

/*
 * Generate a configuration for `hosts` (nhosts >= 1).  On success *out is a
 * validated configuration (ctl_server_config_destroy() it).  On failure
 * returns -DER_INVAL (request or hardware cannot give a configuration) or
 * -DER_NOMEM, and appends to `err` (NULL allowed) the reason: upstream's
 * message on the first line, then what to do; for hosts whose hardware
 * differs, the hostsets of each hardware group and their differences from
 * the largest group, one per line ("  - ..."), at most CTL_AUTOCFG_MAX_DIFFS.
 */
int ctl_autocfg_generate(const struct ctl_autocfg_req *req, const struct ctl_autocfg_host *hosts,
			 size_t nhosts, struct ctl_server_config **out, struct d_sbuf *err);

/*
 * The hardware consistency check alone: 0 when every host has the same
 * network hardware (NUMA nodes, cores per NUMA node, interfaces with their
 * NUMA node, class and providers) and storage hardware (hugepage size, NVMe
 * PCI addresses and NUMA nodes, PMem namespaces, sizes and NUMA nodes);
 * otherwise -DER_INVAL with the explanation in `err`.
 */
int ctl_autocfg_check_hosts(const struct ctl_autocfg_host *hosts, size_t nhosts,
			    struct d_sbuf *err);

/*
 * Thread counts of one engine (upstream getThreadCounts): reserve 2 cores;
 * without SSDs min(16, cores) targets and no helpers; else
 * floor(cores * 0.8 / ssds) targets per SSD, helpers = targets / 4, or
 * min(ssds, cores) targets without helpers when that is 0.  Unlike upstream
 * a node left with no core after the reservation still gets 1 target (a
 * 2-core host runs one engine instead of failing validation).
 * cores_per_numa < 2: -DER_INVAL with upstream's message in eb.
 */
int ctl_autocfg_thread_counts(unsigned cores_per_numa, unsigned nr_ssds, int *targets, int *helpers,
			      struct d_errbuf *eb);

/*
 * MD-on-SSD split of `nr_ssds` SSDs into bdev tiers (upstream getBdevTiers):
 * 1 SSD: [1]; 2-5: [1, N-1]; 6 or more: [2, N-2].  Returns the tier count
 * (0 for no SSDs) and fills sizes[0..2).
 */
int ctl_autocfg_md_split(unsigned nr_ssds, unsigned sizes[2]);

/* ==== command-line flags ============================================================ */

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

#endif /* DAOS_CONTROL_LIB_AUTOCFG_AUTOCFG_H */
