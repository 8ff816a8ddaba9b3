/*
 * How daos_server turns one validated `engines:` entry into a daos_engine
 * process: the command line (upstream's flag set and order), the
 * environment (fabric and log variables, the PMDK and Argobots rules, the
 * allowed pass-through of the daemon's own environment) and the engine's
 * own core accounting check.  Pure functions: nothing here forks, reads
 * the process environment or touches hardware; callers pass what they
 * found.
 */
#ifndef DAOS_CONTROL_LIB_CTL_ENGINE_H
#define DAOS_CONTROL_LIB_CTL_ENGINE_H

#include <stdbool.h>
#include <stdint.h>

#include "common/common.h"
#include "control/lib/ctl_config.h"

#define CTL_ENGINE_BIN		    "daos_engine"
#define CTL_ABT_STACK_MIN_DCPM	    20480
#define CTL_ABT_STACK_MIN_MD_ON_SSD 24576
#define CTL_ABT_STACK_MIN_UCX	    32768
#define CTL_ENGINE_SYS_CORES	    2 /* DAOS_TGT0_OFFSET: system and SWIM xstreams */

/* Values daos_server decides at start time, not found in the engine section. */
struct ctl_engine_runtime {
	const char  *argv0;	   /* argv[0]; NULL: "daos_engine" */
	const char  *system_name;  /* -g (NULL/empty: omitted) */
	const char  *socket_dir;   /* -d (NULL/empty: omitted) */
	uint32_t     index;	   /* -I, always given */
	const char  *nvme_conf;	   /* -n, only used when the engine has bdev tiers */
	int64_t	     mem_size_mib; /* -r, always given */
	int64_t	     hugepage_mib; /* -H, always given */
	bool	     checker;	   /* -C */
	char *const *environ;	   /* daemon's "K=V" list for env_pass_through; NULL: empty */
};

/*
 * NULL-terminated daos_engine argv:
 *   argv0 -x H [-t T] [-s MOUNT] [-m MODS] [-f CORE] [-g SYS] [-d SOCKDIR]
 *   [-n NVMECONF] -I IDX [-T NTIERS] [-p NUMA] [-b] [-S N,..] -r MEM -H HPSZ [-C]
 * Omissions follow upstream: zero targets/tiers, unset first_core and
 * pinned_numa_node, empty strings.  NTIERS is the engine's storage tier
 * count.  Negative counts are -DER_INVAL with a message.  Free with
 * ctl_strv_free().
 */
int ctl_engine_argv(const struct ctl_engine *e, const struct ctl_engine_runtime *rt,
		    char ***argv_out, struct d_errbuf *eb);

/*
 * NULL-terminated "K=V" environment of the engine.  Precedence, lowest
 * first: allowed variables of rt->environ, the engine's env_vars (first
 * of duplicates wins, "K=" and malformed entries dropped), then the
 * values daos_server derives: D_INTERFACE, D_PORT, D_PROVIDER, D_LOG_FILE,
 * D_LOG_MASK, CRT_TIMEOUT, FI_OFI_RXM_USE_SRX (0 with disable_srx, else
 * 1), D_PROVIDER_AUTH_KEY, VOS_BDEV_CLASS (NVME or AIO by the first bdev
 * tier).  Before that, as daos_server does at start: ABT_THREAD_STACKSIZE
 * is added or checked (>= 32768 for ucx+ providers, >= 20480 with a dcpm
 * tier 0, >= 24576 for MD-on-SSD) and PMEMOBJ_CONF gets sds.at_create=0
 * for non-dcpm SCM (and must not name sds.at_create for dcpm).  Errors are
 * -DER_INVAL with upstream's message.  Free with ctl_strv_free().
 */
int ctl_engine_envp(const struct ctl_engine *e, const struct ctl_engine_runtime *rt,
		    char ***env_out, struct d_errbuf *eb);

/* Free a NULL-terminated string vector; NULL allowed. */
void ctl_strv_free(char **v);
/* Value of `key` in a "K=V" vector, or NULL. */
const char *ctl_strv_getenv(char *const *v, const char *key);

/* Outcome of the engine's core accounting (dss_tgt_nr_check). */
struct ctl_engine_cores {
	uint32_t helpers;	 /* helper xstreams after capping at 2 x targets */
	bool	 helpers_capped; /* "#nr_xs_helpers(H) cannot exceed 2 times #targets ..." */
	bool	 no_helpers;	 /* "Suggest to config at least 1 helper XS per DAOS engine" */
	bool	 oversubscribed; /* too few cores, started anyway */
	bool	 helper_pool;	 /* helpers % targets != 0: shared helper pool */
	uint32_t cores_needed;	 /* 2 + targets + helpers */
};

/*
 * The engine needs 2 + targets + helpers cores.  Too few cores is
 * -DER_INVAL with upstream's message unless `oversubscribe`
 * (DAOS_TARGET_OVERSUBSCRIBE=1).  Zero targets or cores is -DER_INVAL.
 */
int ctl_engine_cores_check(uint32_t targets, uint32_t helpers, uint32_t ncores, bool oversubscribe,
			   struct ctl_engine_cores *out, struct d_errbuf *eb);

#endif /* DAOS_CONTROL_LIB_CTL_ENGINE_H */
