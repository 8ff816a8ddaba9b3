/*
 * The control plane's configuration (library src/control/lib/config): the three
 * YAML files, daos_server.yml, daos_agent.yml and daos_control.yml (dmg), with
 * strict loaders driven by one key table each (unknown keys, wrong types and
 * out-of-range values are errors with file:line and key path), upstream's
 * validation rules, the search order of each file, command-line overrides,
 * the effective-configuration writer, the sizing values derived from a server
 * configuration, and the daos_engine command line and environment derived from
 * one `engines:` entry.
 *
 * Every problem is collected in a struct d_diags (common/yaml_doc.h) so one
 * run reports all of them; notices (deprecations, discovery mode) go to the
 * same list with severity D_DIAG_NOTICE.  Nothing here logs, forks or touches
 * hardware: interface existence, NUMA affinity and memory are checked by the
 * callers at start time.
 */
#ifndef DAOS_CONTROL_LIB_CONFIG_CONFIG_H
#define DAOS_CONTROL_LIB_CONFIG_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/common.h"
#include "common/yaml_doc.h"

#define CTL_DEFAULT_PORT	10001
#define CTL_DEFAULT_SYSTEM_NAME "daos_server"
#define CTL_SYS_NAME_MAX	15
#define CTL_ACTIVE_CONFIG_NAME	".daos_server.active.yml"
#define CTL_MIN_RAMDISK_BYTES	(4ULL << 30) /* smallest tmpfs usable as SCM */
#define CTL_SCAN_MIN_HUGEPAGES	128	     /* pages needed for NVMe discovery */

struct ctl_strlist {
	char **v;
	size_t n;
};

struct ctl_intlist {
	int64_t *v;
	size_t	 n;
};

struct ctl_transport {
	bool  allow_insecure;
	char *client_cert_dir;
	char *ca_cert;
	char *cert;
	char *key;
};

enum ctl_tier_class {
	CTL_CLASS_NONE = 0,
	CTL_CLASS_DCPM,
	CTL_CLASS_RAM,
	CTL_CLASS_NVME,
	CTL_CLASS_FILE,
	CTL_CLASS_KDEV,
};

#define CTL_BDEV_ROLE_DATA 0x1u
#define CTL_BDEV_ROLE_META 0x2u
#define CTL_BDEV_ROLE_WAL  0x4u

/* One `storage:` tier of an engine. */
struct ctl_tier {
	enum ctl_tier_class class;
	char		  *scm_mount;
	int64_t		   scm_size; /* GiB, ram only; 0: sized automatically */
	bool		   scm_hugepages_disabled;
	bool		   scm_hugepages_disabled_set;
	struct ctl_strlist scm_list;
	struct ctl_strlist bdev_list;
	int64_t		   bdev_number;
	int64_t		   bdev_size; /* GB, file only */
	char		  *bdev_busid_range;
	uint32_t	   bdev_roles; /* CTL_BDEV_ROLE_* */
};

struct ctl_accel {
	char		  *engine; /* none, spdk, dml */
	struct ctl_strlist options;
};

struct ctl_spdk_rpc {
	bool  enable;
	char *sock_addr;
};

struct ctl_auto_faulty {
	bool	enable;
	int64_t max_io_errs;
	int64_t max_csum_errs;
};

struct ctl_spdk_iobuf {
	int64_t small_pool_count;
	int64_t large_pool_count;
};

/* Fabric keys shared by the server level and each engine. */
struct ctl_fabric {
	char		  *provider;
	char		  *fabric_iface;
	int64_t		   fabric_iface_port;
	bool		   bypass_health_chk;
	int64_t		   crt_timeout;
	bool		   disable_srx;
	char		  *fabric_auth_key;
	struct ctl_intlist secondary_provider_endpoints;
};

/* One `engines:` entry. */
struct ctl_engine {
	int64_t		       targets;
	int64_t		       nr_xs_helpers;
	int64_t		       first_core;
	bool		       first_core_set;
	int64_t		       pinned_numa_node;
	bool		       pinned_numa_node_set;
	struct ctl_fabric      fabric; /* after validation: inherited from the server level */
	char		      *log_mask;
	char		      *log_file;
	struct ctl_strlist     env_vars;
	struct ctl_strlist     env_pass_through;
	char		      *modules;
	struct ctl_tier	      *storage;
	size_t		       nstorage;
	struct ctl_accel       acceleration;
	struct ctl_spdk_rpc    spdk_rpc_server;
	struct ctl_auto_faulty bdev_auto_faulty;
	struct ctl_spdk_iobuf  spdk_iobuf;
};

struct ctl_metadata {
	char *path;
	char *device;
	bool  allow_spdk_conf_override;
};

struct ctl_support {
	char *file_transfer_exec;
};

struct ctl_server_config {
	char		    *path; /* file loaded, or NULL for built-in defaults */
	char		    *name;
	struct ctl_strlist   mgmt_svc_replicas;
	struct ctl_strlist   access_points; /* deprecated; moved to mgmt_svc_replicas */
	int64_t		     port;
	char		    *control_iface;
	struct ctl_transport transport;
	struct ctl_fabric    fabric;
	struct ctl_metadata  control_metadata;
	char		    *fault_path;
	char		    *fault_cb;
	int64_t		     core_dump_filter;
	struct ctl_strlist   bdev_exclude;
	bool		     disable_vfio;
	bool		     disable_vmd;
	bool		     disable_hotplug;
	bool		     disable_hotplug_set;
	bool		     enable_hotplug; /* deprecated */
	bool		     enable_hotplug_set;
	bool		     hyperthreads;
	char		    *socket_dir;
	int64_t		     nr_hugepages;
	bool		     disable_hugepages;
	bool		     allow_numa_imbalance;
	bool		     allow_thp;
	char		    *kernel_config_path;
	int64_t		     system_ram_reserved; /* GiB */
	char		    *control_log_mask;
	char		    *control_log_file;
	bool		     control_log_json;
	char		    *helper_log_file;
	char		    *firmware_helper_log_file; /* deprecated */
	int64_t		     telemetry_port;
	bool		     disable_engine_auto_restart;
	int64_t		     engine_auto_restart_min_delay;
	struct ctl_strlist   client_env_vars;
	struct ctl_support   support_config;
	struct ctl_engine   *engines;
	size_t		     nengines;
	/* private: the parsed document, kept to put line numbers on later findings */
	struct d_yaml_doc *doc;
	const char	  *fault_cb_dir;     /* directory fault_cb must live in (tests) */
	bool		   replicas_default; /* mgmt_svc_replicas is localhost:<port>, derived */
};

struct ctl_user_map {
	bool		   is_default; /* the "default" entry */
	uint32_t	   uid;
	char		  *user;
	char		  *group;
	struct ctl_strlist groups;
};

struct ctl_credential {
	int64_t		     cache_expiration_ns;
	struct ctl_user_map *client_user_map;
	size_t		     nclient_user_map;
};

struct ctl_fabric_dev {
	char *iface;
	char *domain;
};

struct ctl_numa_fabric {
	int64_t		       numa_node;
	struct ctl_fabric_dev *devices;
	size_t		       ndevices;
};

struct ctl_agent_config {
	char		       *path;
	char		       *name;
	struct ctl_strlist	access_points;
	int64_t			port;
	char		       *runtime_dir;
	char		       *log_file;
	char		       *control_log_mask;
	struct ctl_transport	transport;
	struct ctl_credential	credential_config;
	bool			disable_caching;
	int64_t			cache_expiration; /* minutes, 0: never */
	bool			disable_auto_evict;
	bool			enable_evict_on_start;
	struct ctl_strlist	exclude_fabric_ifaces;
	struct ctl_strlist	include_fabric_ifaces;
	struct ctl_numa_fabric *fabric_ifaces;
	size_t			nfabric_ifaces;
	int64_t			telemetry_port;
	bool			telemetry_enabled;
	int64_t			telemetry_retain_ns;
	char		       *telemetry_enabled_procs;
	char		       *telemetry_disabled_procs;
	struct d_yaml_doc      *doc;
};

struct ctl_control_config {
	char		    *path; /* NULL: built-in defaults, no file found */
	char		    *name;
	int64_t		     port;
	struct ctl_strlist   hostlist;
	struct ctl_transport transport;
	struct d_yaml_doc   *doc;
};

/* ---- daos_server.yml --------------------------------------------------------- */

/* Built-in defaults (what an empty file gives). */
int ctl_server_config_default(struct ctl_server_config **out);
/*
 * Parse `path` strictly and apply load-time rules (system name, single
 * provider, access_points migration, default replica).  Returns 0, or a
 * negative -DER_* with the problems in `diags` (-DER_INVAL for content,
 * -DER_NONEXIST / -DER_NO_PERM for the file itself).
 */
int ctl_server_config_load(const char *path, struct ctl_server_config **out, struct d_diags *diags);
/* Same from memory (`name` appears in messages); used by tests. */
int ctl_server_config_load_string(const char *name, const char *text,
				  struct ctl_server_config **out, struct d_diags *diags);
/*
 * All rules of the server's Validate() plus per-engine, storage-tier and
 * multi-engine checks.  Fills derived fields (replica ports, inherited
 * engine fabric, ofi_rxm for verbs).  Returns 0 or -DER_INVAL; every
 * problem and notice is in `diags`.
 */
int  ctl_server_config_validate(struct ctl_server_config *cfg, struct d_diags *diags);
void ctl_server_config_destroy(struct ctl_server_config *cfg);

/* Effective configuration as YAML, all keys, table order. Caller frees. */
char *ctl_server_config_to_yaml(const struct ctl_server_config *cfg);
/*
 * Write the effective configuration to <socket_dir>/.daos_server.active.yml
 * atomically (temporary file, fsync, rename; mode 0644).  *path_out (caller
 * frees) names the file for the caller's log.
 */
int ctl_server_config_save_active(const struct ctl_server_config *cfg, const char *socket_dir,
				  char **path_out, struct d_errbuf *eb);

/* Command-line overrides of `daos_server start` (NULL / false: not given). */
struct ctl_server_overrides {
	const char *port;	/* -p */
	const char *scm_mount;	/* -s: engine 0's SCM mount (deprecated flag) */
	const char *modules;	/* -m */
	const char *targets;	/* -t */
	const char *xs_helpers; /* -x */
	const char *first_core; /* -f */
	const char *group;	/* -g */
	const char *socket_dir; /* -d */
	bool	    insecure;	/* -i */
};
int ctl_server_config_override(struct ctl_server_config *cfg, const struct ctl_server_overrides *ov,
			       struct d_errbuf *eb);

/* ---- daos_agent.yml ------------------------------------------------------------ */

int ctl_agent_config_default(struct ctl_agent_config **out);
/* Parse and validate (the agent validates at load, as upstream). */
int  ctl_agent_config_load(const char *path, struct ctl_agent_config **out, struct d_diags *diags);
int  ctl_agent_config_load_string(const char *name, const char *text, struct ctl_agent_config **out,
				  struct d_diags *diags);
void ctl_agent_config_destroy(struct ctl_agent_config *cfg);
char *ctl_agent_config_to_yaml(const struct ctl_agent_config *cfg);

struct ctl_agent_overrides {
	const char *runtime_dir; /* -s */
	const char *log_file;	 /* -l */
	bool	    insecure;	 /* -i */
};
int ctl_agent_config_override(struct ctl_agent_config *cfg, const struct ctl_agent_overrides *ov,
			      struct d_errbuf *eb);

/* ---- daos_control.yml ------------------------------------------------------------ */

int ctl_control_config_default(struct ctl_control_config **out);
/* `path` NULL: built-in defaults.  An empty file is an error. */
int   ctl_control_config_load(const char *path, struct ctl_control_config **out,
			      struct d_diags *diags);
int   ctl_control_config_load_string(const char *name, const char *text,
				     struct ctl_control_config **out, struct d_diags *diags);
void  ctl_control_config_destroy(struct ctl_control_config *cfg);
char *ctl_control_config_to_yaml(const struct ctl_control_config *cfg);

struct ctl_control_overrides {
	const char *hostlist; /* -l, comma separated */
	bool	    insecure; /* -i */
};
int ctl_control_config_override(struct ctl_control_config	   *cfg,
				const struct ctl_control_overrides *ov, struct d_errbuf *eb);

/* ---- search order ---------------------------------------------------------------- */

/* Directories searched; NULL members take the real ones (HOME, DAOS_CONFIG_DIR, /etc/daos). */
struct ctl_config_dirs {
	const char *home;
	const char *config_dir;
	const char *sys_dir;
};

enum ctl_config_kind {
	CTL_CFG_SERVER = 0,
	CTL_CFG_AGENT,
	CTL_CFG_CONTROL,
};

/*
 * Choose the file to load: the -o value when given (even if missing, so the
 * loader reports it), else the first existing candidate:
 *   server:  <config dir>/daos_server.yml, /etc/daos/daos_server.yml
 *   agent:   <config dir>/daos_agent.yml, /etc/daos/daos_agent.yml
 *   control: ~/.daos_control.yml, <config dir>/daos_control.yml,
 *            /etc/daos/daos_control.yml
 * Returns 0 with *out set (caller frees); for control, 0 with *out NULL when
 * nothing exists (use built-in defaults); for server and agent
 * -DER_NONEXIST with a message listing the places searched.
 */
int ctl_config_find(enum ctl_config_kind kind, const char *opt_path,
		    const struct ctl_config_dirs *dirs, char **out, struct d_errbuf *eb);

/* ---- derived sizing (pure) ------------------------------------------------------ */

/*
 * Minimum hugepages for the engines of a validated config (SetNrHugepages):
 * 1 GiB per target of every engine with bdevs, plus one system xstream per
 * MD-on-SSD engine, a 1-target non-MD engine counting 2; divided by the
 * hugepage size.  0 when no engine has bdevs.
 */
int ctl_min_hugepages(const struct ctl_server_config *cfg, uint64_t hugepage_kib, uint64_t *out,
		      struct d_errbuf *eb);

/*
 * Settle nr_hugepages as daos_server start does: disabled hugepages are
 * checked, 0 becomes the minimum, no bdev targets means at least 128 pages
 * for NVMe discovery; a smaller explicit value only adds a notice.
 */
int ctl_server_set_nr_hugepages(struct ctl_server_config *cfg, uint64_t hugepage_kib,
				struct d_diags *diags);

/*
 * tmpfs bytes per engine (CalcRamdiskSize):
 *   (mem_total - hugepage_mem - sys_reserved - engines * max(targets*128 MiB, 1 GiB)) / engines.
 */
int ctl_calc_ramdisk_size(uint64_t mem_total, uint64_t mem_huge, uint64_t mem_sys, uint64_t targets,
			  uint64_t engines, uint64_t *out, struct d_errbuf *eb);

/*
 * Apply the ramdisk size to every ram SCM tier of a validated config
 * (SetRamdiskSize): scm_size 0 is set to the maximum in GiB; larger than
 * the maximum, or a maximum below 4 GiB, is an error.
 */
int ctl_server_set_ramdisk_size(struct ctl_server_config *cfg, uint64_t mem_total_kib,
				uint64_t hugepage_kib, struct d_diags *diags);

/* ---- `config validate` output ----------------------------------------------------- */

struct d_json;

/* What a validate command found, for ctl_config_report(). */
struct ctl_config_result {
	int		rc;    /* load/validate status */
	struct d_diags *diags; /* file name, notices and problems */
	const void     *cfg;   /* loaded configuration when rc == 0 */
	const char     *yaml;  /* its effective YAML */
	void (*to_json)(const void *cfg, struct d_json *w, const char *key);
};

/*
 * Print the outcome: valid -> effective YAML on `out`, notices on `err`,
 * exit status 0; invalid -> every problem on `err` as
 * "file:line: key: message", status 1.  With `json`, the
 * {"response","error","status"} envelope on `out` instead; the response
 * holds path, valid, config (when valid), notices and errors.
 */
int ctl_config_report(const struct ctl_config_result *res, bool json, FILE *out, FILE *err);

/*
 * The whole of `<binary> config validate`: find the file (opt_path from -o,
 * else the search order of `kind`), load, validate, report.  Returns the
 * exit status.  `overrides` (may be NULL) points to the kind's override
 * struct (ctl_server_overrides, ctl_agent_overrides or
 * ctl_control_overrides) holding the command-line flags, applied after
 * loading exactly as the daemon or tool would apply them.
 */
int ctl_config_validate_main(enum ctl_config_kind kind, const char *opt_path, const void *overrides,
			     bool json, FILE *out, FILE *err);

/* JSON objects of the effective configurations (same keys as the YAML). */
void ctl_server_config_json(const void *cfg, struct d_json *w, const char *key);
void ctl_agent_config_json(const void *cfg, struct d_json *w, const char *key);
void ctl_control_config_json(const void *cfg, struct d_json *w, const char *key);

/* ---- helpers shared with the commands ------------------------------------------ */

const char *ctl_tier_class_name(enum ctl_tier_class c);
/* "dddd:bb:dd.f" (also 6-digit VMD domains); 0 or -DER_INVAL. */
int ctl_pci_addr_check(const char *s);
/* True when the engine has bdev tiers with the meta role (MD-on-SSD). */
bool ctl_engine_md_on_ssd(const struct ctl_engine *e);

/* ==== daos_engine command line and environment ====================================== */

/*
 * How daos_server turns one validated `engines:` entry into a daos_engine
 * process: the command line (upstream's flag set and order) and the
 * environment (fabric and log variables, the PMDK and Argobots rules, the
 * allowed pass-through of the daemon's own environment).  Pure functions:
 * callers pass what they found.
 */

#define CTL_ENGINE_BIN		    "daos_engine"
#define CTL_ABT_STACK_MIN_DCPM	    20480
#define CTL_ABT_STACK_MIN_MD_ON_SSD 24576
#define CTL_ABT_STACK_MIN_UCX	    32768

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

#endif /* DAOS_CONTROL_LIB_CONFIG_CONFIG_H */
