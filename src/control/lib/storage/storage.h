/*
 * Storage-format primitives of daos_server: the engine superblock (YAML at
 * <scm_mount>/superblock), the SCM tier (tmpfs for class ram, ext4 with DAX
 * for class dcpm), the bdev tier (sparse files, kernel block devices, NVMe
 * controllers resolved to their kernel namespaces) and the SPDK-style
 * daos_nvme.conf JSON written next to the superblock.
 *
 * What this module does not do: decide what to format (the StorageFormat
 * flow lives in daos_server), chown to the daemon user, SPDK controller
 * formatting (NVMe stays with the kernel driver), MD-on-SSD control metadata.
 * Functions return 0 or -DER_*; user-facing messages go to a d_errbuf.
 *
 * Also the preparation of PMem and NVMe for DAOS (`storage prepare`), on the
 * machine or on a fixture, and the StorageFormat decision for one instance.
 */
#ifndef DAOS_CONTROL_LIB_STORAGE_STORAGE_H
#define DAOS_CONTROL_LIB_STORAGE_STORAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <limits.h>
#include <stdio.h>
#include <sys/types.h>

#include "common/common.h"
#include "control/lib/config/config.h"
#include "control/lib/hw/hw.h"

/* ---- superblock ------------------------------------------------------------- */

#define CTL_SUPERBLOCK_NAME    "superblock"
#define CTL_SUPERBLOCK_VERSION 1
#define CTL_RANK_MAX	       0xfffffffeu /* upstream's MaxRank; 0xffffffff is "nil" */

struct ctl_superblock {
	uint32_t version;
	char	 uuid[37];	       /* lower-case 8-4-4-4-12 */
	char	 system[64];	       /* system name */
	uint32_t rank;		       /* meaningful when has_rank */
	bool	 has_rank;	       /* false: "rank: null" (not yet assigned) */
	char	 uri[256];	       /* engine's primary fabric URI, "" before start */
	bool	 validrank;	       /* rank was assigned by the management service */
	char	 hostfaultdomain[256]; /* "/host", "" when unknown */
	uint64_t incarnation;	       /* bumped on each join of a new engine process */
};

/* A fresh superblock: current version, random UUID (getrandom), no rank. */
int ctl_superblock_init(struct ctl_superblock *sb, const char *system, struct d_errbuf *eb);

/* YAML text of a superblock (caller frees); NULL on allocation failure. */
char *ctl_superblock_format(const struct ctl_superblock *sb);

/*
 * Strict parse of superblock YAML; `name` is used in messages
 * ("<name>:<line>: <key>: ...").  Unknown keys, missing keys (version, uuid,
 * system), wrong types and unsupported versions are errors (-DER_INVAL).
 */
int ctl_superblock_parse(const char *name, const char *text, size_t len, struct ctl_superblock *sb,
			 struct d_errbuf *eb);

/* "<dir>/superblock" in buf; -DER_INVAL when it does not fit. */
int ctl_superblock_path(const char *dir, char *buf, size_t len);

/* Write <dir>/superblock atomically (mode 0644). */
int ctl_superblock_write(const char *dir, const struct ctl_superblock *sb, struct d_errbuf *eb);

/* Read <dir>/superblock; -DER_NONEXIST when there is none. */
int ctl_superblock_read(const char *dir, struct ctl_superblock *sb, struct d_errbuf *eb);

/* ---- mounts ----------------------------------------------------------------- */

struct ctl_mount {
	char fstype[32];
	char source[256];
	char options[512]; /* per-superblock options (mountinfo field after source) */
};

/*
 * Find the topmost mount on `target` (an absolute, canonical path) in
 * /proc/self/mountinfo-format `text`.  Returns 0 with *out filled, or
 * -DER_NONEXIST when nothing is mounted there.  `where` names the text in
 * messages.
 */
int ctl_mountinfo_find(const char *text, const char *where, const char *target,
		       struct ctl_mount *out, struct d_errbuf *eb);

/* What is mounted on `dir` (canonicalised) now; -DER_NONEXIST: nothing. */
int ctl_mount_lookup(const char *dir, struct ctl_mount *out, struct d_errbuf *eb);

/* Unmount `dir`; 0 also when nothing is mounted there. */
int ctl_scm_unmount(const char *dir, struct d_errbuf *eb);

/* ---- SCM class ram (tmpfs) ---------------------------------------------------- */

struct ctl_ramdisk {
	uint64_t size_gib;	     /* 0: tmpfs default size */
	int	 numa_node;	     /* mpol=prefer:<n>; < 0: no memory policy */
	bool	 hugepages_disabled; /* scm_hugepages_disabled */
};

/*
 * tmpfs option string in upstream's order ("mpol=prefer:N,size=Gg,huge=always"):
 * mpol only when `numa` (kernel with NUMA), huge only when `thp` (kernel with
 * transparent hugepages) and not disabled.  Caller frees.
 */
char *ctl_ramdisk_options(const struct ctl_ramdisk *rd, bool numa, bool thp);

/* Kernel features probed from sysfs (/sys/devices/system/node, THP). */
bool ctl_kernel_has_numa(void);
bool ctl_kernel_has_thp(void);

/*
 * Create `dir` (and parents) and mount a tmpfs on it.  Something already
 * mounted there: -DER_EXIST (a tmpfs) or -DER_BUSY (anything else), with the
 * message saying what and what to do.
 */
int ctl_scm_ram_mount(const char *dir, const struct ctl_ramdisk *rd, struct d_errbuf *eb);

/* ---- SCM class dcpm (ext4 with DAX) --------------------------------------------- */

#define CTL_MKFS_ARGV_MAX 32

/*
 * argv (NULL-terminated, pointing at static strings and `device`) of the
 * mkfs.ext4 run that formats a PMem namespace with upstream's options; -F
 * first when `force`.  Returns the number of arguments.
 */
int ctl_dcpm_mkfs_argv(const char *device, bool force, const char *argv[CTL_MKFS_ARGV_MAX]);

/*
 * Run a program (argv[0] looked up in PATH) with stdout discarded; a failure
 * (-DER_NONEXIST: not installed, -DER_IO: non-zero exit) quotes the last line
 * of its stderr.
 */
int ctl_run(const char *const argv[], struct d_errbuf *eb);

/* mkfs.ext4 on a PMem block device (checked to be a block device first). */
int ctl_scm_dcpm_mkfs(const char *device, bool force, struct d_errbuf *eb);

/*
 * Create `dir` and mount the ext4 on `device` with "dax,nodelalloc".  A
 * device without DAX support: -DER_NOTSUPPORTED naming the device.
 */
int ctl_scm_dcpm_mount(const char *device, const char *dir, struct d_errbuf *eb);

/* ---- bdev tier ------------------------------------------------------------------ */

#define CTL_AIO_BLOCK_SIZE 4096

/*
 * Class file: create each bdev_list file (and its directories) as a sparse
 * file of bdev_size GB (10^9 bytes, rounded down to CTL_AIO_BLOCK_SIZE);
 * existing files are emptied first.
 */
int ctl_bdev_file_create(const struct ctl_tier *t, struct d_errbuf *eb);

/* Class kdev: every bdev_list entry must be an existing block device. */
int ctl_bdev_kdev_check(const struct ctl_tier *t, struct d_errbuf *eb);

/*
 * Class nvme: the kernel block device (ctl_hw()'s CTL_HW_DEV place:
 * "/dev/nvme0n1", or a fixture's storage/dev/<name>) of the first namespace
 * of the controller at `pci` (through ctl_storage_scan()).
 */
int ctl_bdev_nvme_resolve(const char *pci, char *dev, size_t len, struct d_errbuf *eb);

/* ---- daos_nvme.conf ---------------------------------------------------------------- */

#define CTL_NVME_CONF_NAME "daos_nvme.conf"

enum ctl_nvme_conf_method {
	CTL_NVME_ATTACH = 0, /* bdev_nvme_attach_controller (class nvme) */
	CTL_AIO_CREATE,	     /* bdev_aio_create (class file or kdev) */
};

/* One device of the bdev subsystem. */
struct ctl_nvme_conf_dev {
	enum ctl_nvme_conf_method method;
	char			  name[128];  /* Nvme_<host>_<idx>_<tier>_<roles> / AIO_... */
	char			  addr[256];  /* traddr (PCI) or filename */
	uint32_t		  block_size; /* aio: 4096 for files, 0 for kdev */
	uint32_t		  index;      /* position in the tier's bdev_list */
	uint32_t		  tier;	      /* tier index in the engine's storage list */
	uint32_t		  roles;      /* CTL_BDEV_ROLE_* bits */
};

struct ctl_nvme_conf {
	struct ctl_nvme_conf_dev *devs;
	size_t			  ndevs;
	bool			  vmd; /* "vmd" subsystem with enable_vmd */
};

void ctl_nvme_conf_fini(struct ctl_nvme_conf *conf);

/*
 * Devices of an engine's bdev tiers (storage[1..]), named as upstream does
 * with `host`; `vmd` is honoured only when a tier is class nvme.
 */
int ctl_nvme_conf_build(const struct ctl_tier *tiers, size_t ntiers, const char *host, bool vmd,
			struct ctl_nvme_conf *conf, struct d_errbuf *eb);

/* SPDK JSON text (caller frees); NULL on allocation failure. */
char *ctl_nvme_conf_format(const struct ctl_nvme_conf *conf);

/* Parse daos_nvme.conf text strictly; messages name `name` and the line. */
int ctl_nvme_conf_parse(const char *name, const char *text, size_t len, struct ctl_nvme_conf *conf,
			struct d_errbuf *eb);

/* Write <dir>/daos_nvme.conf atomically; read it back. */
int ctl_nvme_conf_write(const char *dir, const struct ctl_nvme_conf *conf, struct d_errbuf *eb);
int ctl_nvme_conf_read(const char *dir, struct ctl_nvme_conf *conf, struct d_errbuf *eb);

/* ---- the StorageFormat decision ------------------------------------------------- */

/* What StorageFormat does with one engine instance. */
enum ctl_fmt_action {
	CTL_FMT_SKIP = 0,	 /* formatted and no reformat: "SCM is already formatted" */
	CTL_FMT_REFUSE_RUNNING,	 /* needs format but its engine runs: refused without reformat */
	CTL_FMT_FORMAT,		 /* format it */
	CTL_FMT_STOP_AND_FORMAT, /* reformat: stop the running engine first */
};

/* The decision for an instance: does it need a format, does its engine run, reformat asked. */
enum ctl_fmt_action ctl_format_decide(bool needed, bool running, bool reformat);

/* ----------------------------------------------------------------------
 * Preparation.  Every function refuses to run unless the effective user is
 * root (-DER_NO_PERM, nothing changed) and reports what it did on `out`
 * (NULL: silent), one sentence per line.
 */

struct ctl_scm_prepare_req {
	unsigned int nr_ns_per_socket; /* 1..CTL_SCM_NS_PER_SOCKET_MAX */
	int	     socket;	       /* -1: all sockets */
};

#define CTL_SCM_NS_PER_SOCKET_MAX 4

struct ctl_scm_prepare_resp {
	bool			  reboot_required;
	struct ctl_scm_namespace *namespaces; /* all namespaces after prepare */
	int			  nr_namespaces;
};

void ctl_scm_prepare_resp_fini(struct ctl_scm_prepare_resp *resp);

/*
 * Create fsdax namespaces (nr_ns_per_socket per region with free capacity).
 * No modules: -DER_NONEXIST ("No PMem modules exist on storage server").
 * Modules without regions: success with reboot_required and the
 * administrator's instructions in eb.
 */
int ctl_scm_prepare(const struct ctl_scm_prepare_req *req, struct ctl_scm_prepare_resp *resp,
		    FILE *out, struct d_errbuf *eb);

/* Destroy PMem namespaces (on `socket`, or all when -1). */
int ctl_scm_reset(int socket, FILE *out, struct d_errbuf *eb);

struct ctl_nvme_prepare_req {
	long	    nr_hugepages; /* 0: default (CTL_NVME_MIN_HUGEPAGES) */
	const char *target_user;  /* NULL: the running user */
	const char *allow_list;	  /* comma-separated PCI addresses, NULL/"" = all */
	const char *block_list;
	bool	    disable_vfio;
};

#define CTL_NVME_MIN_HUGEPAGES 128

/* Reserve hugepages and give the allowed controllers' block devices to the user. */
int ctl_nvme_prepare(const struct ctl_nvme_prepare_req *req, FILE *out, struct d_errbuf *eb);

/* Give the block devices back to root and release what prepare reserved. */
int ctl_nvme_reset(const struct ctl_nvme_prepare_req *req, FILE *out, struct d_errbuf *eb);

/* ---- daos_server_helper requests ------------------------------------------------ */

/*
 * The privileged operations that an unprivileged daos_server asks of
 * daos_server_helper (setuid root, mode 4750 root:daos_server), one request
 * per run.  Wire, both directions plain text, one "key=value" per line,
 * values to the end of the line (no control characters), each key once:
 *
 *   request on the helper's stdin (ended by EOF, at most CTL_HELPER_REQ_MAX):
 *     op=<name>          one of CTL_HELPER_OPS, first line
 *     config=<path>      absolute path of the daos_server.yml the daemon loaded
 *     mount=<path>       scm_mount of an engine      (ops that mount/unmount)
 *     device=<path>      scm_list[0] of a dcpm engine (dcpm ops)
 *     size_gib=<n>       tmpfs size, 0: tmpfs default (scm-mount-ram)
 *   response on its stdout:
 *     status=<0 or -DER_*>
 *     message=<what went wrong, what to do>   (status != 0)
 *
 * The helper trusts nothing in a request: the config file must be one only
 * root can change (when the caller is not root), and every path and device
 * must be the SCM of an engine of that file (ctl_helper_req_check()).
 */
#define CTL_HELPER_BIN	   "daos_server_helper"
#define CTL_HELPER_REQ_MAX 8192

/* X(enum suffix, wire name, keys besides op and config) */
#define CTL_HELPER_OPS(X)                                                                          \
	X(SCM_MOUNT_RAM, "scm-mount-ram", CTL_HK_MOUNT | CTL_HK_SIZE_GIB)                          \
	X(SCM_MKFS_DCPM, "scm-mkfs-dcpm", CTL_HK_DEVICE)                                           \
	X(SCM_MOUNT_DCPM, "scm-mount-dcpm", CTL_HK_DEVICE | CTL_HK_MOUNT)                          \
	X(SCM_UNMOUNT, "scm-unmount", CTL_HK_MOUNT)

enum ctl_helper_key {
	CTL_HK_MOUNT = 1u << 0,
	CTL_HK_DEVICE = 1u << 1,
	CTL_HK_SIZE_GIB = 1u << 2,
};

enum ctl_helper_op {
	CTL_HELPER_NONE,
#define CTL_HELPER_ENUM(e, name, keys) CTL_HELPER_##e,
	CTL_HELPER_OPS(CTL_HELPER_ENUM)
#undef CTL_HELPER_ENUM
};

struct ctl_helper_req {
	enum ctl_helper_op op;
	char		   config[PATH_MAX];
	char		   mount[PATH_MAX];
	char		   device[PATH_MAX];
	uint64_t	   size_gib;
};

/* Wire name of an op ("scm-mount-ram"), "?" for an unknown one. */
const char *ctl_helper_op_name(enum ctl_helper_op op);

/*
 * The request as text (caller frees); NULL when out of memory or when a
 * field holds a newline or is missing for its op (a bug of the caller).
 */
char *ctl_helper_req_format(const struct ctl_helper_req *req);

/*
 * Strict parse of a request: -DER_INVAL with "line N: ..." for an unknown
 * op or key, a repeated key, a key the op does not take, a missing one, a
 * relative path, a control character or a bad number.
 */
int ctl_helper_req_parse(const char *text, size_t len, struct ctl_helper_req *req,
			 struct d_errbuf *eb);

/*
 * May a caller with real uid `caller` have the helper act on the config file
 * at `path` (absolute)?  Root may; anyone else only when the file and every
 * directory above it belong to root and are not writable by group or others
 * (a directory with the sticky bit, such as /tmp, may be).  `real` (of
 * real_len bytes) receives the path to load: the resolved one, whose every
 * component only root can change, so that what is loaded is what was checked.
 * -DER_NO_PERM names the file or directory and the fix.
 */
int ctl_helper_config_trusted(const char *path, uid_t caller, char *real, size_t real_len,
			      struct d_errbuf *eb);

/*
 * May a caller with real uid `caller` have the helper mount on, or mkfs,
 * `path` (the `key` of the config naming it: "scm_mount", "scm_list
 * device")?  Root may; for anyone else the path as written must have no
 * symbolic link in it and every existing directory above it must belong to
 * root and not be writable by group or others, sticky or not: else the
 * caller could point it elsewhere (a symlink to /etc, say) between the check
 * and the act.  A missing tail is fine (root creates it).  -DER_NO_PERM
 * names the link or directory.
 */
int ctl_helper_path_trusted(const char *path, const char *key, uid_t caller, struct d_errbuf *eb);

/*
 * Is the request about the SCM of an engine of `cfg` (loaded from
 * req->config)?  0 with *engine = its index; -DER_NO_PERM naming the path or
 * device, the config file and what the helper would act on.  For a caller
 * other than root the tmpfs size must also be the engine's scm_size (or, for
 * an automatic size, at most this host's memory).
 */
int ctl_helper_req_check(const struct ctl_server_config *cfg, const struct ctl_helper_req *req,
			 uid_t caller, uint32_t *engine, struct d_errbuf *eb);

/* Response text (caller frees), NULL when out of memory. */
char *ctl_helper_resp_format(int status, const char *message);

/*
 * Parse a response: 0 with *status and the message (if any) in eb, or
 * -DER_PROTO when the text is not one.
 */
int ctl_helper_resp_parse(const char *text, size_t len, int *status, struct d_errbuf *eb);

#endif /* DAOS_CONTROL_LIB_STORAGE_STORAGE_H */
