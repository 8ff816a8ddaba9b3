/*
 * The storage decisions of daos_server in one place (srv_storage.c), on top
 * of the storage and hw libraries: whether an engine's SCM needs a format
 * (a query: it never mounts), mounting a formatted dcpm file system that is
 * not mounted (an action its callers ask for), the automatic tmpfs size,
 * the hugepage memory of an engine, and installing daos_nvme.conf.  Memory
 * figures come from ctl_hw()->meminfo: the machine's, or a hardware
 * fixture's.  Used by srv_format.c (StorageFormat), srv_engine.c (engine
 * start) and srv_mgmt.c (is the management service's engine formatted).
 */
#ifndef DAOS_CONTROL_SERVER_SRV_STORAGE_H
#define DAOS_CONTROL_SERVER_SRV_STORAGE_H

#include <stddef.h>
#include <stdint.h>

#include "common/common.h"
#include "control/lib/config/config.h"
#include "control/lib/storage/storage.h"

/*
 * Does the SCM tier of an engine need a format before its engine can start
 * (as upstream's awaitStorageReady decides, without MD-on-SSD metadata):
 * NULL when formatted; "SCM" when `scm_mount` is not mounted (ram: not a
 * tmpfs) or, for ram, holds no `superblock`; "Metadata" when a mounted dcpm
 * file system has no `superblock`; SRV_SB_DAMAGED when the superblock is
 * there but cannot be read or parsed (the instance holds data that only
 * `dmg storage format --force` may erase).  *why says what is missing or
 * wrong, naming the file.  A query: nothing is mounted here, so a dcpm file
 * system that srv_scm_mount() would mount still counts as "SCM" ("... is not
 * mounted").  Never logs.
 */
const char *srv_scm_format_needed(const struct ctl_tier *scm, char *why, size_t why_len);

/* What srv_scm_format_needed() returns for a superblock that is damaged. */
extern const char SRV_SB_DAMAGED[];

/*
 * Mount the file system of a dcpm tier that holds one but is not mounted (a
 * formatted PMem namespace after a reboot), as upstream does before it
 * starts an engine.  0 when there is nothing to mount: a ram tier, a mounted
 * one, or a dcpm tier without device, file system or mount point directory
 * (srv_scm_format_needed() then says which); otherwise the failed mount's
 * error with its sentence in eb.  Never logs.
 */
int srv_scm_mount(const struct ctl_server_config *cfg, const struct ctl_tier *scm,
		  struct d_errbuf *eb);

/*
 * Have daos_server_helper (found as srv_find_binary() finds programs) do
 * `req` for us; req->config is filled in here from cfg->path.  The helper's
 * status, with its sentence in eb; -DER_PROTO when it died without an
 * answer.  Never logs.
 */
int srv_helper_run(const struct ctl_server_config *cfg, struct ctl_helper_req *req,
		   struct d_errbuf *eb);

/* Unmount the SCM of an engine at `mnt` through the helper (0: nothing mounted). */
int srv_scm_unmount(const struct ctl_server_config *cfg, const char *mnt, struct d_errbuf *eb);

/*
 * tmpfs size in GiB of the ram tier of engine e: scm_size, or upstream's
 * automatic size for scm_size 0 (memory total minus hugepages,
 * system_ram_reserved and the engines' reservations, split between the
 * engines).  -DER_NOSPACE when that is below 4 GiB; the sentence in eb says
 * what to change.  Never logs.
 */
int srv_ramdisk_gib(const struct ctl_server_config *cfg, const struct ctl_engine *e, uint64_t *gib,
		    struct d_errbuf *eb);

/*
 * The engine's -r (hugepage memory, MiB) and -H (hugepage size, MiB), as
 * upstream's setEngineMemSize decides them: engines without bdevs get 0/0;
 * otherwise nr_hugepages (or the minimum for the targets) split evenly
 * between engines, capped by the free hugepages.  Logs a NOTE when the free
 * hugepages do not cover the share.
 */
int srv_engine_mem_sizes(const struct ctl_server_config *cfg, uint32_t idx, int64_t *mem_mib,
			 int64_t *hugepage_mib, struct d_errbuf *eb);

/*
 * Write daos_nvme.conf for the bdev tiers of engine idx into its scm_mount
 * (host name `hostname` in the controller names).  *path (if path is not
 * NULL): the file written, caller frees.  Never logs.
 */
int srv_nvme_conf_install(const struct ctl_server_config *cfg, uint32_t idx, const char *hostname,
			  char **path, struct d_errbuf *eb);

#endif /* DAOS_CONTROL_SERVER_SRV_STORAGE_H */
