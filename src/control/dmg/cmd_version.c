/*
 * `dmg version` (this tool's build) and `dmg server-version [-l HOSTS]`:
 * GetVersion on every host, hosts with the same component, version and
 * revision grouped into one row of a "Hosts Component Version" table
 * (host errors on stderr before it); -j: {"host_errors", "versions":
 * [{"hosts", "name", "version", "revision"}]} in the envelope.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cli.h"
#include "common/table.h"
#include "control/dmg/dmg_cmds.h"
#include "control/dmg/dmg_internal.h"
#include "control/lib/rpc/rpc.h"

static int
version_run(struct d_cli_ctx *ctx)
{
	d_version_print(stdout, "DAOS Admin Tool", d_cli_has(ctx, "json"));
	return 0;
}

const struct d_cli_cmd dmg_version_cmd = {
	.name = "version",
	.help = "Print dmg version",
	.run = version_run,
};

DMG_ANSWER_INTO(version, struct ctl_server_version, ctl_server_version_unpack,
		ctl_server_version_fini)

/* The host name is not part of the key: it differs on every host. */
static int
version_key(void *obj, uint8_t **key, size_t *len)
{
	const struct ctl_server_version *v = obj;
	char				*k;

	k = d_asprintf("%s\n%s\n%s", v->name ? v->name : "", v->version ? v->version : "",
		       v->revision ? v->revision : "");
	if (k == NULL)
		return -DER_NOMEM;
	*key = (uint8_t *)k;
	*len = strlen(k);
	return 0;
}

static void
version_print(const struct dmg_fanout *f)
{
	static const char *const titles[] = {"Hosts", "Component", "Version"};
	struct d_table		*t;

	if (f->ok.n == 0)
		return;
	t = d_table_create(3, titles);
	if (t == NULL)
		return;
	for (int g = 0; g < f->ok.n; g++) {
		const struct ctl_server_version *sv = dmg_fanout_obj(f, g);
		char				*ver;

		ver = sv->revision && sv->revision[0]
			      ? d_asprintf("%s-g%s", sv->version, sv->revision)
			      : d_strndup(sv->version, (size_t)-1);
		d_table_add(t, f->ok.v[g].hosts, sv->name, ver);
		D_FREE(ver);
	}
	d_table_print(t, stdout, 0);
	d_table_destroy(t);
}

static void
version_json(const struct dmg_fanout *f, struct d_json *w)
{
	d_json_arr_begin(w, "versions");
	for (int g = 0; g < f->ok.n; g++) {
		const struct ctl_server_version *sv = dmg_fanout_obj(f, g);

		d_json_obj_begin(w, NULL);
		d_json_str(w, "hosts", f->ok.v[g].hosts);
		d_json_str(w, "name", sv->name);
		d_json_str(w, "version", sv->version);
		d_json_str(w, "revision", sv->revision);
		d_json_obj_end(w);
	}
	d_json_arr_end(w);
}

static const struct dmg_fanout_cmd server_version_cmd = {
	.method = "GetVersion",
	.name = "server-version",
	.resp_name = "version",
	.oom = "out of memory collecting server versions",
	.unpack = version_unpack,
	.key = version_key,
	.free = version_free,
	.print = version_print,
	.json = version_json,
};

static int
server_version_run(struct d_cli_ctx *ctx)
{
	return dmg_fanout_run(ctx, &server_version_cmd);
}

static const struct d_cli_opt server_version_opts[] = {
	DMG_OPT_HOST_LIST,
	{0},
};

const struct d_cli_cmd dmg_server_version_cmd = {
	.name = "server-version",
	.help = "Print the version of the daos_server on every host",
	.opts = server_version_opts,
	.run = server_version_run,
};
