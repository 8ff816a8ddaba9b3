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

static void
print_versions(const struct ctl_host_groups *ok, const struct ctl_server_version *v)
{
	static const char *const titles[] = {"Hosts", "Component", "Version"};
	struct d_table		*t = d_table_create(3, titles);

	if (t == NULL)
		return;
	for (int g = 0; g < ok->n; g++) {
		const struct ctl_server_version *sv = &v[ok->v[g].rep];
		char				*ver;

		ver = sv->revision && sv->revision[0]
			      ? d_asprintf("%s-g%s", sv->version, sv->revision)
			      : strdup(sv->version);
		d_table_add(t, ok->v[g].hosts, sv->name, ver);
		free(ver);
	}
	d_table_print(t, stdout, 0);
	d_table_destroy(t);
}

static int
server_version_run(struct d_cli_ctx *ctx)
{
	struct dmg_conn		  *c = NULL;
	struct ctl_rpc_result	  *res = NULL;
	struct ctl_server_version *v = NULL;
	struct ctl_host_groups	   ok = {0}, errs = {0};
	struct d_errbuf		   eb = {{0}};
	struct d_json		  *w = NULL;
	size_t			   i;
	int			   rc, nfailed, status = 1;

	rc = dmg_conn_open(ctx, &c, &eb);
	if (rc != 0)
		return dmg_fail(ctx, rc, "%s", eb.msg);
	rc = dmg_fanout(c, "GetVersion", NULL, 0, &res);
	if (rc != 0) {
		status = dmg_fail(ctx, rc, "server-version: %s", d_errstr(rc));
		goto out;
	}
	D_ALLOC_ARRAY(v, c->n);
	if (v == NULL)
		goto nomem;
	for (i = 0; i < c->n; i++) {
		char *key;

		if (res[i].rc != 0)
			continue;
		rc = ctl_server_version_unpack(res[i].body, res[i].body_len, &v[i], &eb);
		if (rc != 0) {
			ctl_rpc_result_fail(&res[i], rc, "invalid version response: %s", eb.msg);
			continue;
		}
		/* the host name is not part of the key: it differs on every host */
		key = d_asprintf("%s\n%s\n%s", v[i].name ? v[i].name : "",
				 v[i].version ? v[i].version : "",
				 v[i].revision ? v[i].revision : "");
		if (key == NULL ||
		    ctl_host_groups_add(&ok, key, strlen(key), c->display[i], (int)i) != 0) {
			free(key);
			goto nomem;
		}
		free(key);
	}
	nfailed = dmg_host_errors(c, res, &errs);
	if (nfailed < 0 || ctl_host_groups_finish(&ok) != 0)
		goto nomem;
	if (d_cli_has(ctx, "json")) {
		w = d_json_create();
		if (w == NULL)
			goto nomem;
		d_json_obj_begin(w, NULL);
		dmg_errors_json(w, &errs);
		d_json_arr_begin(w, "versions");
		for (int g = 0; g < ok.n; g++) {
			const struct ctl_server_version *sv = &v[ok.v[g].rep];

			d_json_obj_begin(w, NULL);
			d_json_str(w, "hosts", ok.v[g].hosts);
			d_json_str(w, "name", sv->name);
			d_json_str(w, "version", sv->version);
			d_json_str(w, "revision", sv->revision);
			d_json_obj_end(w);
		}
		d_json_arr_end(w);
		d_json_obj_end(w);
	} else {
		dmg_errors_print(stderr, &errs);
		if (ok.n > 0)
			print_versions(&ok, v);
	}
	status = dmg_finish(ctx, nfailed, w);
	goto out;
nomem:
	status = dmg_fail(ctx, -DER_NOMEM, "out of memory collecting server versions");
out:
	d_json_destroy(w);
	if (v != NULL)
		for (i = 0; i < c->n; i++)
			ctl_server_version_fini(&v[i]);
	free(v);
	dmg_fanout_fini(c, res, &ok, &errs);
	return status;
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
