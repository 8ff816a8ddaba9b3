/*
 * daos_control.yml (dmg): key table, strict loading with upstream's
 * empty-file rule and overrides.  No file found for dmg means built-in
 * defaults (its search is config_files.c).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daos_build.h"
#include "common/hostlist.h"
#include "control/lib/config/config_internal.h"

#define CK(f) offsetof(struct ctl_control_config, f)

static const struct cfg_key control_keys[] = {
	{"name", CT_STR, CK(name), .deflt = CTL_DEFAULT_SYSTEM_NAME},
	{"port", CT_INT, CK(port), .min = INT32_MIN, .max = INT32_MAX, .deflt = "10001"},
	{"hostlist", CT_STRLIST, CK(hostlist), .deflt = "[\"localhost:10001\"]"},
	{"transport_config", CT_SECTION, CK(transport), .sub = &cfg_control_transport_section},
};

static const struct cfg_section control_section = {"control", sizeof(struct ctl_control_config),
						   control_keys, D_ARRAY_SIZE(control_keys)};

static void
control_validate(struct cfg_ctx *cx, void *obj)
{
	struct ctl_control_config *cfg = obj;

	cfg_sys_name_check(cx, cfg->name, true);
	cfg_control_port_check(cx, cfg->port);
	cfg_addr_list_check(cx, &cfg->hostlist, "hostlist", "host");
}

const struct cfg_file cfg_control_file = {
	.name = "daos_control.yml",
	.sec = &control_section,
	.path_off = CK(path),
	.doc_off = CK(doc),
	.optional = true,
	.home_dotfile = true,
	.empty_hint = "add settings such as hostlist or remove the file to use the defaults",
	.validate = control_validate,
};

void
ctl_control_config_destroy(struct ctl_control_config *cfg)
{
	cfg_file_destroy(&cfg_control_file, cfg);
}

int
ctl_control_config_default(struct ctl_control_config **out)
{
	return cfg_file_default(&cfg_control_file, (void **)out);
}

int
ctl_control_config_load(const char *path, struct ctl_control_config **out, struct d_diags *diags)
{
	return cfg_file_load(&cfg_control_file, path, (void **)out, diags);
}

int
ctl_control_config_load_string(const char *name, const char *text, struct ctl_control_config **out,
			       struct d_diags *diags)
{
	return cfg_file_load_string(&cfg_control_file, name, text, (void **)out, diags);
}

char *
ctl_control_config_to_yaml(const struct ctl_control_config *cfg)
{
	return cfg_section_to_yaml(&control_section, cfg);
}

int
ctl_control_config_override(struct ctl_control_config *cfg, const struct ctl_control_overrides *ov,
			    struct d_errbuf *eb)
{
	if (ov->hostlist != NULL) {
		struct ctl_strlist l = {0};
		struct d_hostlist *hl = NULL;
		struct d_errbuf	   heb;
		int		   rc;

		/* Check the whole list with the hostlist grammar; keep it as given. */
		rc = d_hostlist_parse(ov->hostlist, &hl, &heb);
		d_hostlist_destroy(hl);
		if (rc != 0) {
			d_errbuf_set(eb, "-l/--host-list: %s", heb.msg);
			return rc;
		}
		if (cfg_strlist_add(&l, ov->hostlist) != 0) {
			cfg_strlist_fini(&l);
			d_errbuf_set(eb, "out of memory applying the host list");
			return -DER_NOMEM;
		}
		cfg_strlist_fini(&cfg->hostlist);
		cfg->hostlist = l;
	}
	if (ov->insecure)
		cfg->transport.allow_insecure = true;
	return 0;
}
