/*
 * The database of the management service (srv_mgmt_internal.h): where it
 * lives, bringing the MS up (engine 0 formatted, membership loaded from the
 * file or started empty), writing it atomically after every change, and
 * removing it for a system erase.  The text form of the membership is
 * control/lib/system; this file only moves it between memory and disk.
 *
 * Not here: the requests that change the membership (srv_mgmt_join.c,
 * srv_mgmt_system.c, srv_mgmt_live.c) and the locking, which is theirs:
 * every function below but srv_mgmt_db_path() runs with the MS lock held.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/fs.h"
#include "common/log.h"
#include "control/lib/storage/storage.h"
#include "control/server/srv_mgmt_internal.h"
#include "control/server/srv_storage.h"

int
srv_mgmt_db_path(const struct ctl_server_config *cfg, char *buf, size_t len)
{
	int n;

	if (cfg->control_metadata.path != NULL && cfg->control_metadata.path[0] != '\0')
		n = snprintf(buf, len, "%s/daos_control/control_raft/%s",
			     cfg->control_metadata.path, SRV_MS_DB_NAME);
	else if (cfg->nengines > 0 && cfg->engines[0].nstorage > 0 &&
		 cfg->engines[0].storage[0].scm_mount != NULL)
		n = snprintf(buf, len, "%s/control_raft/%s", cfg->engines[0].storage[0].scm_mount,
			     SRV_MS_DB_NAME);
	else
		return -DER_INVAL;
	return n < 0 || (size_t)n >= len ? -DER_INVAL : 0;
}

void
srv_ms_stamp(struct srv_mgmt *ms, uint32_t rank)
{
	ctl_membership_touch(ms->m, rank, (int64_t)time(NULL));
}

static void
drop(struct srv_mgmt *ms)
{
	ctl_membership_destroy(ms->m);
	ms->m = NULL;
	ms->on_disk = false;
	ms->dirty = false;
	ms->save_rc = 0;
}

static void
now_text(char *buf, size_t len)
{
	time_t	  t = time(NULL);
	struct tm tm;

	strftime(buf, len, "%Y-%m-%d %H:%M:%S", localtime_r(&t, &tm));
}

/* UUID of engine 0's superblock (the system's storage), "" when unreadable. */
static void
engine0_uuid(const struct srv_mgmt *ms, char *buf, size_t len)
{
	const struct ctl_server_config *cfg = ms->st->cfg;
	struct ctl_superblock		sb;
	struct d_errbuf			eb;

	buf[0] = '\0';
	if (cfg->nengines > 0 && cfg->engines[0].nstorage > 0 &&
	    cfg->engines[0].storage[0].scm_mount != NULL &&
	    ctl_superblock_read(cfg->engines[0].storage[0].scm_mount, &sb, &eb) == 0)
		snprintf(buf, len, "%s", sb.uuid);
}

void
srv_ms_alarm(struct srv_mgmt *ms, char *buf, size_t len)
{
	snprintf(buf, len, "%s", ms->alarm);
	if (!ms->dirty)
		ms->alarm[0] = '\0';
}

/*
 * Bring the MS up if it can be (lock held): engine 0 formatted, database
 * loaded (or a fresh membership), the database still there if it was.
 */
int
srv_ms_up(struct srv_mgmt *ms, struct d_errbuf *eb)
{
	const struct ctl_server_config *cfg = ms->st->cfg;
	const char		       *need = "SCM";
	char				why[512] = "engine 0 has no SCM tier";
	char			       *text = NULL;
	struct d_errbuf			peb;
	int				rc;

	if (cfg->nengines == 0 || ms->db_path[0] == '\0') {
		d_errbuf_set(eb,
			     "the management service is not started: %s has no engines "
			     "configured; add an engines section to its daos_server.yml",
			     ms->st->hostname);
		return -DER_UNINIT;
	}
	if (cfg->engines[0].nstorage > 0 && (cfg->engines[0].storage[0].class == CTL_CLASS_RAM ||
					     cfg->engines[0].storage[0].class == CTL_CLASS_DCPM))
		need = srv_scm_format_needed(&cfg->engines[0].storage[0], why, sizeof(why));
	if (need != NULL) {
		if (ms->m != NULL)
			D_INFO("management service stopped: engine 0 storage is no longer "
			       "formatted (%s)",
			       why);
		drop(ms);
		ms->announced = false;
		if (need == SRV_SB_DAMAGED)
			d_errbuf_set(eb,
				     "the management service is not started: engine 0 storage of "
				     "%s: %s; dmg storage format --force reformats it",
				     ms->st->hostname, why);
		else
			d_errbuf_set(
				eb,
				"the management service is not started: engine 0 storage of %s "
				"is not formatted; run dmg storage format",
				ms->st->hostname);
		return -DER_UNINIT;
	}
	if (ms->m != NULL && ms->on_disk && !ms->dirty && access(ms->db_path, F_OK) != 0 &&
	    errno == ENOENT) {
		char when[32], now_uuid[40];

		/* Gone with a reformat of engine 0 (a new superblock): a new system. */
		engine0_uuid(ms, now_uuid, sizeof(now_uuid));
		if (strcmp(now_uuid, ms->sb_uuid) != 0) {
			D_INFO("management service database %s is gone and engine 0 was "
			       "formatted again: starting a new system",
			       ms->db_path);
			drop(ms);
			return srv_ms_up(ms, eb);
		}

		now_text(when, sizeof(when));
		D_ERROR("management service database %s was removed while the MS was running: "
			"writing the %zu members held in memory back to it",
			ms->db_path, ctl_membership_count(ms->m));
		snprintf(ms->alarm, sizeof(ms->alarm),
			 "the management service database %s was removed while the MS was running "
			 "(noticed %s); the %zu members shown are held only in memory until it is "
			 "written again",
			 ms->db_path, when, ctl_membership_count(ms->m));
		ms->dirty = true;
	}
	if (ms->m != NULL && ms->dirty)
		srv_ms_persist(ms, &peb); /* logs and raises its own alarm */
	if (ms->m == NULL) {
		engine0_uuid(ms, ms->sb_uuid, sizeof(ms->sb_uuid));
		rc = d_file_read(ms->db_path, SIZE_MAX, &text, NULL, &peb);
		if (rc == -DER_NONEXIST) {
			rc = ctl_membership_create(&ms->m);
			if (rc != 0) {
				d_errbuf_set(eb, "out of memory starting the management service");
				return rc;
			}
			ms->on_disk = false;
		} else if (rc != 0) {
			d_errbuf_set(eb, "the management service cannot load its database: %s",
				     peb.msg);
			return rc;
		} else {
			rc = ctl_membership_from_text(text, &ms->m, &peb);
			D_FREE(text);
			if (rc != 0) {
				d_errbuf_set(eb,
					     "the management service cannot load its database %s: "
					     "%s; move the file away to start with an empty system",
					     ms->db_path, peb.msg);
				return rc;
			}
			ms->on_disk = true;
			D_INFO("management service database loaded from %s (%zu members)",
			       ms->db_path, ctl_membership_count(ms->m));
		}
	}
	if (!ms->announced) {
		D_INFO("MS leader running on %s", ms->st->hostname);
		ms->announced = true;
	}
	return 0;
}

/* Write the membership (lock held); see srv_mgmt_internal.h. */
int
srv_ms_persist(struct srv_mgmt *ms, struct d_errbuf *eb)
{
	struct d_errbuf web;
	char	       *text = ctl_membership_to_text(ms->m);
	const char     *slash = strrchr(ms->db_path, '/');
	const char     *advice = "";
	char		dir[sizeof(ms->db_path)], when[32];
	int		rc;

	snprintf(dir, sizeof(dir), "%.*s", slash != NULL ? (int)(slash - ms->db_path) : 0,
		 ms->db_path);
	if (text == NULL) {
		rc = -DER_NOMEM;
		d_errbuf_set(&web, "out of memory");
	} else {
		rc = d_mkdir_p(dir, 0700, &web);
		if (rc == 0) {
			rc = d_file_write_atomic(ms->db_path, text, strlen(text), 0600, &web);
			if (rc == -DER_NOSPACE)
				advice = "; free space on that file system";
			else if (rc != 0 && access(dir, W_OK) != 0)
				advice = "; check that the directory exists and is writable";
		}
	}
	D_FREE(text);
	now_text(when, sizeof(when));
	if (rc != 0) {
		d_errbuf_set(eb, "the management service cannot save its database %s: %s%s",
			     ms->db_path, web.msg, advice);
		/* Once per reason: the liveness loop retries every second. */
		if (!ms->dirty || ms->save_rc != rc) {
			D_ERROR("management service: cannot save %s: %s%s; the membership is kept "
				"in memory and saved again at the next request",
				ms->db_path, web.msg, advice);
			ms->save_rc = rc;
			snprintf(ms->alarm, sizeof(ms->alarm),
				 "the management service cannot save its database %s (since %s): "
				 "%s%s; the states shown are held only in memory and are lost if "
				 "this daos_server stops",
				 ms->db_path, when, web.msg, advice);
		}
		ms->dirty = true;
		return rc;
	}
	if (ms->dirty) {
		size_t n = strlen(ms->alarm);

		D_INFO("management service database %s written again (%zu members)", ms->db_path,
		       ctl_membership_count(ms->m));
		if (n > 0 && n < sizeof(ms->alarm))
			snprintf(ms->alarm + n, sizeof(ms->alarm) - n,
				 "; it was written again from memory at %s", when);
	}
	ms->dirty = false;
	ms->save_rc = 0;
	ms->on_disk = true;
	return 0;
}

int
srv_ms_erase(struct srv_mgmt *ms, struct d_errbuf *eb)
{
	int rc = 0;

	if (unlink(ms->db_path) != 0 && errno != ENOENT) {
		rc = d_errno2der(errno);
		d_errbuf_set(eb, "system erase: cannot remove %s: %s", ms->db_path,
			     strerror(errno));
	} else {
		D_INFO("system erased: management service database %s removed", ms->db_path);
		drop(ms);
		ms->alarm[0] = '\0';
	}
	return rc;
}
