/*
 * Build information (version, revision) for the `version` commands of every
 * control-plane binary, as text or as the `-j` JSON envelope.  Fields that
 * upstream reports but this build does not know (dirty, release, build_host,
 * build_time) are omitted rather than invented.
 */
#include <stdio.h>

#include "daos_build.h"
#include "common/cli.h"
#include "common/common.h"
#include "common/json.h"

void
d_build_info_get(const char *component, struct d_build_info *bi)
{
	bi->name = component;
	bi->version = DAOS_VERSION;
	bi->revision = DAOS_REVISION;
	bi->config_dir = DAOS_CONFIG_DIR;
}

static void
version_json(FILE *out, const struct d_build_info *bi)
{
	struct d_json *w = d_json_create();

	if (w == NULL) {
		d_json_envelope_print(out, NULL, "out of memory", -DER_NOMEM);
		return;
	}
	d_json_obj_begin(w, NULL);
	d_json_str(w, "name", bi->name);
	d_json_str(w, "version", bi->version);
	if (bi->revision[0] != '\0')
		d_json_str(w, "revision", bi->revision);
	d_json_obj_end(w);
	d_json_envelope_print(out, w, NULL, 0);
	d_json_destroy(w);
}

void
d_version_print(FILE *out, const char *component, int json)
{
	struct d_build_info bi;

	d_build_info_get(component, &bi);
	if (json) {
		version_json(out, &bi);
		return;
	}
	if (bi.revision[0] != '\0')
		fprintf(out, "%s version %s-g%s\n", bi.name, bi.version, bi.revision);
	else
		fprintf(out, "%s version %s\n", bi.name, bi.version);
}
