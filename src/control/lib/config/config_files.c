/*
 * The three configuration file kinds (config.h): which description
 * (struct cfg_file, one per file's own source) serves which kind, and the
 * search order that finds a file of a kind when no path is given.  Above
 * the per-file sources and the generic loader in config_schema.c; called
 * by the `config validate` report and the daemons.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "daos_build.h"
#include "control/lib/config/config_internal.h"

static const struct cfg_file *const cfg_files[] = {
	[CTL_CFG_SERVER] = &cfg_server_file,
	[CTL_CFG_AGENT] = &cfg_agent_file,
	[CTL_CFG_CONTROL] = &cfg_control_file,
};

const struct cfg_file *
cfg_file_get(enum ctl_config_kind kind)
{
	return cfg_files[kind];
}

/* ---- search order ------------------------------------------------------------------- */

static bool
file_exists(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 && !S_ISDIR(st.st_mode);
}

int
ctl_config_find(enum ctl_config_kind kind, const char *opt_path, const struct ctl_config_dirs *dirs,
		char **out, struct d_errbuf *eb)
{
	const struct cfg_file *f = cfg_file_get(kind);
	const char	      *home = dirs && dirs->home ? dirs->home : getenv("HOME");
	const char	      *cdir = dirs && dirs->config_dir ? dirs->config_dir : DAOS_CONFIG_DIR;
	const char	      *sdir = dirs && dirs->sys_dir ? dirs->sys_dir : "/etc/daos";
	char		      *cand[3] = {NULL, NULL, NULL};
	size_t		       n = 0, i;
	int		       rc = 0;

	if (opt_path != NULL && *opt_path != '\0') {
		D_STRDUP(*out, opt_path);
		return *out ? 0 : -DER_NOMEM;
	}
	if (f->home_dotfile && home != NULL && *home != '\0')
		cand[n++] = d_asprintf("%s/.%s", home, f->name);
	cand[n++] = d_asprintf("%s/%s", cdir, f->name);
	if (strcmp(cdir, sdir) != 0)
		cand[n++] = d_asprintf("%s/%s", sdir, f->name);
	for (i = 0; i < n; i++)
		if (cand[i] == NULL)
			rc = -DER_NOMEM;
	if (rc != 0)
		goto out;
	for (i = 0; i < n; i++) {
		if (file_exists(cand[i])) {
			*out = cand[i];
			cand[i] = NULL;
			goto out;
		}
	}
	if (f->optional) {
		*out = NULL;
		goto out;
	}
	d_errbuf_set(eb, "no %s found (looked for %s%s%s); give the file with -o", f->name, cand[0],
		     n > 1 ? " and " : "", n > 1 ? cand[1] : "");
	rc = -DER_NONEXIST;
out:
	for (i = 0; i < n; i++)
		D_FREE(cand[i]);
	return rc;
}
