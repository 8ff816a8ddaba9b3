/*
 * StorageFormat of daos_server (srv_format.h), upstream's flow without
 * MD-on-SSD control metadata: per engine instance decide (srv_scm_mount,
 * then srv_scm_format_needed of srv_storage.h, and whether its engine runs)
 * to skip it ("SCM is already formatted"), refuse it (running engine, no
 * reformat), or format it: stop a running
 * engine (reformat), mount a fresh tmpfs (ram) or mkfs + mount the PMem
 * namespace (dcpm), create/check the bdevs, write daos_nvme.conf, and write a
 * new superblock last, so that an instance with a superblock is always
 * completely formatted and a failure at any step leaves it needing a format.
 * Then the engine runner starts its engine (srv_engine_storage_ready()).
 *
 * Instances are formatted one after the other; a process-wide lock keeps
 * concurrent requests (two dmg runs, --auto-format) from interleaving.
 * Mounts, unmounts and mkfs go through daos_server_helper (srv_helper_run
 * of srv_storage.h), which gives the mount to our user: daos_server may run
 * unprivileged.  Not done here: SPDK controller formats (NVMe stays with the
 * kernel driver).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "control/lib/render/render.h"
#include "control/lib/storage/storage.h"
#include "control/server/srv_engine.h"
#include "control/server/srv_format.h"
#include "control/server/srv_storage.h"

static pthread_mutex_t fmt_lock = PTHREAD_MUTEX_INITIALIZER;

static bool
is_scm(const struct ctl_engine *e)
{
	return e->nstorage > 0 &&
	       (e->storage[0].class == CTL_CLASS_RAM || e->storage[0].class == CTL_CLASS_DCPM);
}

static int
format_ram(const struct ctl_server_config *cfg, const struct ctl_engine *e, uint32_t idx,
	   struct d_errbuf *eb)
{
	const struct ctl_tier *t = &e->storage[0];
	struct ctl_helper_req  req = {.op = CTL_HELPER_SCM_MOUNT_RAM};
	struct ctl_mount       m;
	struct d_errbuf	       leb = {{0}};
	uint64_t	       gib;
	int		       rc;

	rc = srv_ramdisk_gib(cfg, e, &gib, eb);
	if (rc != 0)
		return rc;
	/* A tmpfs there is ours (an earlier format or an erased system): start afresh. */
	if (ctl_mount_lookup(t->scm_mount, &m, &leb) == 0 && strcmp(m.fstype, "tmpfs") == 0) {
		D_INFO("instance %u: unmounting the old tmpfs on %s", idx, t->scm_mount);
		rc = srv_scm_unmount(cfg, t->scm_mount, eb);
		if (rc != 0)
			return rc;
	}
	D_INFO("instance %u: mounting a tmpfs of %llu GiB on %s", idx, (unsigned long long)gib,
	       t->scm_mount);
	snprintf(req.mount, sizeof(req.mount), "%s", t->scm_mount);
	req.size_gib = gib;
	return srv_helper_run(cfg, &req, eb);
}

static int
format_dcpm(const struct ctl_server_config *cfg, const struct ctl_engine *e, uint32_t idx,
	    bool mkfs, struct d_errbuf *eb)
{
	const struct ctl_tier *t = &e->storage[0];
	const char	      *dev = t->scm_list.n > 0 ? t->scm_list.v[0] : NULL;
	struct ctl_helper_req  req = {.op = CTL_HELPER_SCM_MKFS_DCPM};
	struct ctl_mount       m;
	struct d_errbuf	       leb = {{0}};
	int		       rc;

	if (dev == NULL) {
		d_errbuf_set(eb, "instance %u: class dcpm needs a device in scm_list", idx);
		return -DER_INVAL;
	}
	if (!mkfs)
		return 0; /* the file system is mounted and only lacks its superblock */
	if (ctl_mount_lookup(t->scm_mount, &m, &leb) == 0) {
		rc = srv_scm_unmount(cfg, t->scm_mount, eb);
		if (rc != 0)
			return rc;
	}
	D_INFO("instance %u: creating an ext4 file system on %s", idx, dev);
	snprintf(req.device, sizeof(req.device), "%s", dev);
	rc = srv_helper_run(cfg, &req, eb);
	if (rc == 0) {
		req.op = CTL_HELPER_SCM_MOUNT_DCPM;
		snprintf(req.mount, sizeof(req.mount), "%s", t->scm_mount);
		rc = srv_helper_run(cfg, &req, eb);
	}
	return rc;
}

static const char *
class_name(enum ctl_tier_class c)
{
	switch (c) {
	case CTL_CLASS_NVME:
		return "nvme";
	case CTL_CLASS_FILE:
		return "file";
	case CTL_CLASS_KDEV:
		return "kdev";
	default:
		return "unknown";
	}
}

/* Format/check one bdev tier; one result per bdev_list entry into `r`. */
static int
format_tier(const struct ctl_tier *t, uint32_t idx, struct ctl_format_resp *r)
{
	struct d_errbuf eb = {{0}};
	int		rc = 0;

	D_INFO("Instance %u: starting format of %s block devices ...", idx, class_name(t->class));
	if (t->class == CTL_CLASS_FILE)
		rc = ctl_bdev_file_create(t, &eb);
	else if (t->class == CTL_CLASS_KDEV)
		rc = ctl_bdev_kdev_check(t, &eb);
	for (size_t i = 0; i < t->bdev_list.n; i++) {
		const char     *addr = t->bdev_list.v[i];
		struct d_errbuf deb = {{0}};
		int		drc = rc;
		char		dev[256];

		if (t->class == CTL_CLASS_NVME)
			drc = ctl_bdev_nvme_resolve(addr, dev, sizeof(dev), &deb);
		else if (rc != 0)
			deb = eb;
		if (drc != 0)
			D_ERROR("instance %u: format of %s failed: %s", idx, addr, deb.msg);
		if (ctl_format_resp_add(r, false, addr, idx, t->bdev_roles, drc,
					drc != 0 ? deb.msg : NULL, NULL) != 0)
			return -DER_NOMEM;
		if (drc != 0 && rc == 0)
			rc = drc;
	}
	return rc;
}

/* Every result of instance idx in r becomes failed with `msg`. */
static void
fail_results(struct ctl_format_resp *r, const char *msg, int rc)
{
	for (size_t i = 0; i < r->nctrlrs; i++) {
		if (r->ctrlrs[i].status != 0)
			continue;
		r->ctrlrs[i].status = rc;
		D_FREE(r->ctrlrs[i].error);
		r->ctrlrs[i].error = d_asprintf("%s", msg);
	}
}

static int
merge(struct ctl_format_resp *dst, const struct ctl_format_resp *src)
{
	for (size_t i = 0; i < src->nctrlrs; i++) {
		const struct ctl_fmt_result *c = &src->ctrlrs[i];

		if (ctl_format_resp_add(dst, false, c->path, c->instance, c->roles, c->status,
					c->error, c->info) != 0)
			return -DER_NOMEM;
	}
	return 0;
}

/*
 * Format instance idx (its engine is not running).  The mount result goes
 * into `out`; bdev results too, unless the SCM failed (bdevs are then not
 * touched, as upstream skips NVMe of an instance whose SCM failed).
 */
static int
format_instance(struct srv_state *st, uint32_t idx, const char *need, bool reformat, bool replace,
		struct ctl_format_resp *out)
{
	const struct ctl_engine *e = &st->cfg->engines[idx];
	const char		*mnt = e->storage[0].scm_mount;
	struct ctl_format_resp	 bd = {0};
	struct ctl_superblock	 sb;
	struct d_errbuf		 eb = {{0}};
	char			 msg[D_ERRBUF_LEN + 64];
	int			 rc;

	D_INFO("Instance %u: starting format of SCM (%s) on %s", idx,
	       e->storage[0].class == CTL_CLASS_RAM ? "ram" : "dcpm", mnt);
	if (e->storage[0].class == CTL_CLASS_RAM)
		rc = format_ram(st->cfg, e, idx, &eb);
	else
		rc = format_dcpm(st->cfg, e, idx,
				 reformat || need == NULL || strcmp(need, "SCM") == 0, &eb);
	if (rc != 0) {
		snprintf(msg, sizeof(msg), "instance %u: SCM format of %s failed: %s", idx, mnt,
			 eb.msg);
		goto fail;
	}
	for (size_t i = 1; i < e->nstorage; i++) {
		rc = format_tier(&e->storage[i], idx, &bd);
		if (rc == -DER_NOMEM) {
			snprintf(msg, sizeof(msg), "instance %u: out of memory", idx);
			goto fail;
		}
	}
	/* A bdev failure leaves the instance unformatted: no superblock below. */
	for (size_t i = 0; rc == 0 && i < bd.nctrlrs; i++)
		rc = bd.ctrlrs[i].status;
	if (rc == 0 && e->nstorage > 1) {
		D_INFO("Writing NVMe config file for engine instance %u to \"%s/%s\"", idx, mnt,
		       CTL_NVME_CONF_NAME);
		rc = srv_nvme_conf_install(st->cfg, idx, st->hostname, NULL, &eb);
		if (rc != 0) {
			snprintf(msg, sizeof(msg), "instance %u: cannot write %s: %s", idx,
				 CTL_NVME_CONF_NAME, eb.msg);
			D_ERROR("%s", msg);
			fail_results(&bd, msg, rc);
		}
	}
	if (merge(out, &bd) != 0) {
		rc = -DER_NOMEM;
		snprintf(msg, sizeof(msg), "instance %u: out of memory", idx);
		goto fail;
	}
	if (rc != 0) {
		/* The SCM itself is fine; the instance still needs a format. */
		snprintf(msg, sizeof(msg),
			 "instance %u: bdev format failed; %s has no superblock and the instance "
			 "still needs a format",
			 idx, mnt);
		goto fail;
	}
	rc = ctl_superblock_init(&sb, st->cfg->name, &eb);
	if (rc == 0)
		rc = ctl_superblock_write(mnt, &sb, &eb);
	if (rc != 0) {
		snprintf(msg, sizeof(msg), "instance %u: cannot write the superblock: %s", idx,
			 eb.msg);
		goto fail;
	}
	D_INFO("instance %u: storage formatted (superblock uuid %s)", idx, sb.uuid);
	ctl_format_resp_fini(&bd);
	if (st->engines != NULL) {
		rc = srv_engine_storage_ready(st->engines, idx, replace, &eb);
		if (rc != 0) {
			snprintf(msg, sizeof(msg),
				 "instance %u: storage formatted, but the engine did not start: %s",
				 idx, eb.msg);
			D_ERROR("%s", msg);
			/* The SCM was formatted: the summary counts it. */
			return ctl_format_resp_add(out, true, mnt, idx, 0, rc, msg,
						   CTL_FMT_DONE_BEFORE);
		}
	}
	return ctl_format_resp_add(out, true, mnt, idx, 0, 0, NULL, NULL);
fail:
	ctl_format_resp_fini(&bd);
	D_ERROR("%s", msg);
	return ctl_format_resp_add(out, true, mnt, idx, 0, rc, msg, NULL);
}

static int
format_locked(struct srv_state *st, bool reformat, bool replace, struct ctl_format_resp *out,
	      struct d_errbuf *eb)
{
	const struct ctl_server_config *cfg = st->cfg;
	const char		      **need;
	bool				any = false;
	int				rc = 0;

	if (reformat && replace) {
		d_errbuf_set(eb, "--replace may not be mixed with --force");
		return -DER_INVAL;
	}
	if (cfg->nengines == 0) {
		d_errbuf_set(eb,
			     "%s has no engines in its configuration (discovery mode): there is "
			     "no storage to format; add `engines:` to daos_server.yml and restart",
			     st->hostname);
		return -DER_INVAL;
	}
	D_ALLOC_ARRAY(need, cfg->nengines);
	if (need == NULL) {
		d_errbuf_set(eb, "out of memory");
		return -DER_NOMEM;
	}
	for (uint32_t i = 0; i < cfg->nengines; i++) {
		struct d_errbuf meb = {{0}};
		char		why[D_ERRBUF_LEN] = "";

		if (!is_scm(&cfg->engines[i])) {
			need[i] = "SCM";
			continue;
		}
		/*
		 * Mount a formatted dcpm file system that is not mounted (after a reboot)
		 * before deciding: the query alone calls it unformatted, and its mkfs would
		 * erase it.
		 */
		need[i] = "SCM";
		if (srv_scm_mount(cfg, &cfg->engines[i].storage[0], &meb) != 0)
			snprintf(why, sizeof(why), "%s", meb.msg);
		else
			need[i] = srv_scm_format_needed(&cfg->engines[i].storage[0], why,
							sizeof(why));
		if (need[i] != NULL) {
			any = true;
			D_DEBUG("instance %u: %s format needed: %s", i, need[i], why);
		}
	}
	if (replace && !any) {
		d_errbuf_set(eb,
			     "--replace given but no engine on %s needs a format: replace "
			     "reclaims the rank of an engine whose storage was lost",
			     st->hostname);
		rc = -DER_INVAL;
		goto out;
	}
	for (uint32_t i = 0; i < cfg->nengines && rc == 0; i++) {
		const struct ctl_engine *e = &cfg->engines[i];
		bool		running = st->engines != NULL && srv_engine_running(st->engines, i);
		struct d_errbuf leb = {{0}};
		char		msg[D_ERRBUF_LEN + 64];

		if (!is_scm(e)) {
			/* Validation guarantees an SCM first tier; never trust it blindly. */
			snprintf(msg, sizeof(msg), "instance %u: the first storage tier is not SCM",
				 i);
			rc = ctl_format_resp_add(out, true, "", i, 0, -DER_INVAL, msg, NULL);
			continue;
		}
		if (need[i] == SRV_SB_DAMAGED && !reformat) {
			char why[D_ERRBUF_LEN / 2] = "the superblock is damaged";

			/* Not formatted, not blank: it may hold data; only --force erases it. */
			(void)srv_scm_format_needed(&e->storage[0], why, sizeof(why));
			snprintf(msg, sizeof(msg),
				 "instance %u: %s; nothing was changed: dmg storage format --force "
				 "reformats the instance, erasing its storage",
				 i, why);
			D_ERROR("%s", msg);
			rc = ctl_format_resp_add(out, true, e->storage[0].scm_mount, i, 0,
						 -DER_INVAL, msg, NULL);
			continue;
		}
		if (need[i] == SRV_SB_DAMAGED)
			need[i] = "SCM"; /* --force: the whole SCM tier afresh */
		switch (ctl_format_decide(need[i] != NULL, running, reformat)) {
		case CTL_FMT_SKIP:
			D_INFO("instance %u: SCM is already formatted (%s)", i,
			       e->storage[0].scm_mount);
			rc = ctl_format_resp_add(out, true, e->storage[0].scm_mount, i, 0, 0, NULL,
						 CTL_FMT_ALREADY);
			break;
		case CTL_FMT_REFUSE_RUNNING:
			snprintf(msg, sizeof(msg),
				 "instance %u: can't format storage of running instance", i);
			D_ERROR("%s", msg);
			rc = ctl_format_resp_add(out, true, e->storage[0].scm_mount, i, 0,
						 -DER_BUSY, msg, NULL);
			break;
		case CTL_FMT_STOP_AND_FORMAT:
			D_INFO("instance %u: stopping the running engine for a reformat", i);
			if (srv_engine_stop(st->engines, i, true, SRV_INST_AWAIT_FORMAT, &leb) !=
			    0) {
				snprintf(msg, sizeof(msg),
					 "instance %u: cannot stop the engine for the reformat: %s",
					 i, leb.msg);
				D_ERROR("%s", msg);
				rc = ctl_format_resp_add(out, true, e->storage[0].scm_mount, i, 0,
							 -DER_BUSY, msg, NULL);
				break;
			}
			/* fall through */
		case CTL_FMT_FORMAT:
			/*
			 * Fence a stopped instance (AwaitFormat) so that a StartRanks
			 * arriving now cannot launch an engine on storage being formatted.
			 */
			if (st->engines != NULL && !running &&
			    srv_engine_stop(st->engines, i, true, SRV_INST_AWAIT_FORMAT, &leb) !=
				    0) {
				snprintf(msg, sizeof(msg), "instance %u: %s", i, leb.msg);
				D_ERROR("%s", msg);
				rc = ctl_format_resp_add(out, true, e->storage[0].scm_mount, i, 0,
							 -DER_BUSY, msg, NULL);
				break;
			}
			rc = format_instance(st, i, need[i], reformat, replace, out);
			break;
		}
	}
	if (rc != 0)
		d_errbuf_set(eb, "out of memory collecting format results");
out:
	D_FREE(need);
	return rc;
}

int
srv_storage_format(struct srv_state *st, bool reformat, bool replace, struct ctl_format_resp *out,
		   struct d_errbuf *eb)
{
	struct ctl_format_resp r = {0};
	int		       rc;

	pthread_mutex_lock(&fmt_lock);
	rc = format_locked(st, reformat, replace, &r, eb);
	pthread_mutex_unlock(&fmt_lock);
	if (rc != 0) {
		ctl_format_resp_fini(&r);
		return rc;
	}
	*out = r;
	return 0;
}

int
srv_h_storage_format(void *arg, const struct ctl_rpc_peer *peer, const uint8_t *req, size_t req_len,
		     uint8_t **resp, size_t *resp_len, struct d_errbuf *eb)
{
	struct srv_state      *st = arg;
	struct ctl_format_resp r = {0};
	bool		       reformat, replace;
	int		       rc;

	rc = ctl_format_req_unpack(req, req_len, &reformat, &replace, eb);
	if (rc != 0)
		return rc;
	D_INFO("StorageFormat from %s (reformat %s, replace %s)", peer->addr,
	       reformat ? "yes" : "no", replace ? "yes" : "no");
	rc = srv_storage_format(st, reformat, replace, &r, eb);
	if (rc != 0) {
		D_ERROR("storage format for %s: %s", peer->addr, eb->msg);
		return rc;
	}
	rc = ctl_format_resp_pack(&r, resp, resp_len);
	ctl_format_resp_fini(&r);
	if (rc != 0)
		d_errbuf_set(eb, "cannot encode the format results: %s", d_errstr(rc));
	return rc;
}

void
srv_auto_format(struct srv_state *st)
{
	struct ctl_format_resp r = {0};
	struct d_errbuf	       eb = {{0}};
	char		       msg[D_ERRBUF_LEN + 64];

	D_INFO("--auto-format: formatting the storage of instances that need it");
	if (srv_storage_format(st, false, false, &r, &eb) != 0) {
		D_ERROR("--auto-format: %s", eb.msg);
		return;
	}
	for (size_t i = 0; i < r.nmounts; i++) {
		const struct ctl_fmt_result *m = &r.mounts[i];

		if (m->status == 0) {
			D_INFO("--auto-format: instance %u: %s: %s", m->instance, m->path,
			       m->info != NULL ? m->info : CTL_FMT_SUCCESS);
			continue;
		}
		ctl_fmt_result_error(m, msg, sizeof(msg));
		D_ERROR("--auto-format: %s", msg);
	}
	for (size_t i = 0; i < r.nctrlrs; i++) {
		if (r.ctrlrs[i].status == 0)
			continue;
		ctl_fmt_result_error(&r.ctrlrs[i], msg, sizeof(msg));
		D_ERROR("--auto-format: instance %u: %s: %s", r.ctrlrs[i].instance,
			r.ctrlrs[i].path, msg);
	}
	ctl_format_resp_fini(&r);
}
