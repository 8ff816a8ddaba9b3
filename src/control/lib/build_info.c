/*
 * Build information (version, revision) for the `version` commands of every
 * control-plane binary.
 */
#include <stdio.h>

#include "daos_build.h"
#include "control/lib/ctl.h"

void
ctl_build_info_get(const char *component, struct ctl_build_info *bi)
{
	bi->name       = component;
	bi->version    = DAOS_VERSION;
	bi->revision   = DAOS_REVISION;
	bi->config_dir = DAOS_CONFIG_DIR;
}

void
ctl_version_print(FILE *out, const char *component, int json)
{
	struct ctl_build_info bi;

	ctl_build_info_get(component, &bi);
	if (json) {
		fprintf(out,
			"{\n  \"response\": {\n    \"name\": \"%s\",\n    \"version\": \"%s\",\n"
			"    \"revision\": \"%s\"\n  },\n  \"error\": null,\n  \"status\": 0\n}\n",
			bi.name, bi.version, bi.revision);
		return;
	}
	if (bi.revision[0] != '\0')
		fprintf(out, "%s version %s-g%s\n", bi.name, bi.version, bi.revision);
	else
		fprintf(out, "%s version %s\n", bi.name, bi.version);
}
