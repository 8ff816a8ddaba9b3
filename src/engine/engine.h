/*
 * daos_engine internals: command line and environment (eng_args.c), core
 * accounting, core allocation and the pinned xstream threads (eng_xs.c),
 * the libfabric endpoint (eng_fabric.c).  The process flow (dRPC with
 * daos_server, signals, banner) is in daos_engine.c.
 *
 * The xstream threads are the process skeleton only: they are created and
 * pinned as upstream places its xstreams, then wait for shutdown; no I/O
 * service runs on them yet.
 */
#ifndef DAOS_ENGINE_ENGINE_H
#define DAOS_ENGINE_ENGINE_H

#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/common.h"

#define ENG_GROUP_MAX	    15 /* DAOS_SYS_NAME_MAX */
#define ENG_DEFAULT_GROUP   "daos_server"
#define ENG_DEFAULT_SOCKDIR "/var/run/daos_server"
#define ENG_SEC_CTX_MAX	    8

/* Everything daos_engine is told by its command line and environment. */
struct eng_opts {
	char	*modules;    /* -m */
	uint32_t targets;    /* -t / -c */
	uint32_t helpers;    /* -x */
	int	 first_core; /* -f, 0 by default */
	bool	 first_core_set;
	int	 numa_node;	/* -p, -1: not pinned */
	char	*group;		/* -g */
	char	*storage;	/* -s */
	char	*socket_dir;	/* -d */
	char	*nvme_conf;	/* -n */
	uint32_t instance;	/* -I */
	uint32_t tiers;		/* -T */
	uint64_t mem_size_mib;	/* -r */
	uint64_t hugepage_mib;	/* -H */
	bool	 bypass_health; /* -b */
	bool	 check_mode;	/* -C */
	uint32_t nsec_ctx;	/* -S entries */
	uint32_t sec_ctx[ENG_SEC_CTX_MAX];
	/* environment */
	char	*interface;	/* D_INTERFACE */
	uint32_t port;		/* D_PORT, 0: any */
	char	*provider;	/* D_PROVIDER */
	char	*log_file;	/* D_LOG_FILE, NULL: stderr */
	char	*log_mask;	/* D_LOG_MASK, NULL: INFO */
	bool	 oversubscribe; /* DAOS_TARGET_OVERSUBSCRIBE=1 */
	bool	 help;		/* -h: usage printed, nothing else done */
};

/*
 * Parse argv (upstream's short and long options) and the environment
 * `envp` ("K=V" list, NULL-terminated).  Errors are -DER_INVAL with a
 * message naming the option or variable and its value.  -h sets
 * opts->help.  Free with eng_opts_fini().
 */
int		  eng_opts_parse(int argc, char **argv, char *const *envp, struct eng_opts *opts,
				 struct d_errbuf *eb);
void		  eng_opts_fini(struct eng_opts *opts);
extern const char eng_usage[];

/* One xstream placement. */
enum eng_xs_kind { ENG_XS_SYS, ENG_XS_SWIM, ENG_XS_DRPC, ENG_XS_TARGET, ENG_XS_HELPER };

struct eng_xs {
	enum eng_xs_kind kind;
	uint32_t	 idx;  /* target or helper index */
	unsigned	 core; /* logical core index (hwloc order) */
	char		 name[16];
};

/* Placement of all xstreams on cores, before any thread exists. */
struct eng_xs_plan {
	unsigned       ncores;	  /* cores usable: all, or those of the NUMA node */
	int	       numa_node; /* -1 legacy */
	unsigned       nxs;
	struct eng_xs *xs;
	uint32_t       helpers; /* after capping */
	bool	       helper_pool;
	bool	       no_helpers;
	bool	       helpers_capped;
	bool	       oversubscribed;
	cpu_set_t     *cpus;	      /* CPUs of plan core i (ncores entries) */
	char	       mode_line[64]; /* "Using ... core allocation algorithm" */
};

/*
 * Count the cores (of the NUMA node with -p), run the core accounting and
 * place the xstreams: XS0 on the first core, SWIM and the dRPC listener on
 * the second (upstream's 2 reserved cores), then each target followed by
 * its own helpers when helpers % targets == 0, else all targets and then
 * the shared helper pool.  Cores are taken from first_core on and wrap
 * around when oversubscribed.  Errors -DER_INVAL with upstream's message.
 */
int  eng_xs_plan(const struct eng_opts *o, struct eng_xs_plan *plan, struct d_errbuf *eb);
void eng_xs_plan_fini(struct eng_xs_plan *plan);

/* Running pinned threads of a plan. */
struct eng_xs_threads;

/*
 * Start one thread per xstream except the dRPC one, each bound to its core
 * and named after it (xs->name, visible in /proc/.../comm).  The caller
 * runs the dRPC listener on a thread it pins with eng_xs_bind_self().
 */
int  eng_xs_start(const struct eng_xs_plan *plan, struct eng_xs_threads **out, struct d_errbuf *eb);
void eng_xs_stop(struct eng_xs_threads *t);
int  eng_xs_bind_self(const struct eng_xs_plan *plan, const struct eng_xs *xs, struct d_errbuf *eb);

/* An open RDM endpoint. */
struct eng_fabric;

/*
 * Open an RDM endpoint of `provider` (DAOS name: ofi+tcp, ofi+tcp;ofi_rxm,
 * ofi+sockets, ofi+verbs;ofi_rxm ...) on the IPv4 address of `iface` and
 * `port`, and form its URI "<provider>://<ip>:<port>".  -DER_INVAL for an
 * unsupported provider or an interface without an IPv4 address,
 * -DER_NONEXIST when libfabric offers nothing for that pair, -DER_NOMEM,
 * -DER_HG for other libfabric failures.
 */
int eng_fabric_open(const char *provider, const char *iface, uint32_t port, struct eng_fabric **out,
		    struct d_errbuf *eb);
const char *eng_fabric_uri(const struct eng_fabric *f);
const char *eng_fabric_prov_name(const struct eng_fabric *f);
void	    eng_fabric_close(struct eng_fabric *f);

/* Translate a DAOS provider name to libfabric's ("ofi+tcp" -> "tcp");
 * NULL when not an ofi+ provider. */
const char *eng_fabric_ofi_name(const char *provider);

#endif /* DAOS_ENGINE_ENGINE_H */
