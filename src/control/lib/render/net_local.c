/*
 * ctl_net_local_report() (render.h): scan this host and print the result
 * for `daos_server network scan` and `daos_agent net-scan`.  A file of its
 * own so that programs that only render (dmg) do not link the scanner and
 * its libraries.
 */
#include <stdio.h>

#include "common/json.h"
#include "control/lib/hw/hw.h"
#include "control/lib/render/render.h"

static void
local_error(const char *prog, bool json, FILE *out, FILE *err, const char *msg, int rc)
{
	char *full = d_asprintf("get local fabric interfaces: %s", msg);

	if (json)
		d_json_envelope_print(out, NULL, full ? full : msg, rc);
	fprintf(err, "ERROR: %s: %s\n", prog, full ? full : msg);
	D_FREE(full);
}

int
ctl_net_local_report(const char *prog, const char *provider, bool json, FILE *out, FILE *err)
{
	struct ctl_net_scan	 *scan = NULL;
	struct ctl_net_host_group group;
	struct d_errbuf		  eb = {{0}};
	struct d_json		 *w;
	int			  rc;

	rc = ctl_net_scan(provider, NULL, &scan, &eb);
	if (rc != 0) {
		local_error(prog, json, out, err, eb.msg, rc);
		return 1;
	}
	group.hosts = "localhost";
	group.scan = scan;
	if (!json) {
		ctl_net_print(out, &group, 1);
		ctl_net_scan_free(scan);
		return 0;
	}
	w = d_json_create();
	if (w != NULL)
		ctl_net_json(w, NULL, &group, 1);
	rc = w != NULL ? d_json_finish(w) : -DER_NOMEM;
	if (rc != 0)
		local_error(prog, json, out, err, "out of memory while writing JSON", rc);
	else
		d_json_envelope_print(out, w, NULL, 0);
	d_json_destroy(w);
	ctl_net_scan_free(scan);
	return rc == 0 ? 0 : 1;
}
