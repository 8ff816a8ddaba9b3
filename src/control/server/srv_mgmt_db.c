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
	if (ms->m != NULL && ms->on_disk && access(ms->db_path, F_OK) != 0 && errno == ENOENT) {
		D_INFO("management service database %s was removed: starting with an empty "
		       "system",
		       ms->db_path);
		drop(ms);
	}
	if (ms->m == NULL) {
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

/*
 * Write the membership (lock held).  On failure the in-memory change is
 * dropped with the rest (reloaded from the file by the next request), so
 * memory never runs ahead of the disk.
 */
int
srv_ms_persist(struct srv_mgmt *ms, struct d_errbuf *eb)
{
	struct d_errbuf web;
	char	       *text = ctl_membership_to_text(ms->m);
	const char     *slash = strrchr(ms->db_path, '/');
	const char     *advice = "";
	char		dir[sizeof(ms->db_path)];
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
			if (rc != 0 && access(dir, W_OK) != 0)
				advice = "; check that the directory exists and is writable";
		}
	}
	D_FREE(text);
	if (rc != 0) {
		D_ERROR("management service: cannot save %s: %s%s", ms->db_path, web.msg, advice);
		d_errbuf_set(eb, "the management service cannot save its database %s: %s%s",
			     ms->db_path, web.msg, advice);
		drop(ms);
		return rc;
	}
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
	}
	return rc;
}
