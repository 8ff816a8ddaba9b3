/*
 * `dmg storage format [-v] [--force|--reformat] [--replace] [-l HOSTS] [-j]`:
 * send StorageFormat to every host and print upstream's output: host
 * errors (RPC failures and every failed SCM/bdev result of a host) as the
 * "Errors:" table on stderr, then the "Format Summary:" table of hosts
 * grouped by identical results, or with -v the per-group SCM Mount and
 * NVMe PCI tables.  -j: the envelope with HostStorage and host_errors.
 * --reformat is the guide's name of --force (upstream's older alias).
 *
 * It does not check whether the system is running before a format
 * (upstream's SystemQuery pre-check); the servers refuse to format storage
 * of running engines without --force.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/dmg/dmg_cmds.h"
#include "control/dmg/dmg_internal.h"
#include "control/lib/render/render.h"
#include "control/lib/rpc/rpc.h"

/* Every failed result of host i is a host error (upstream's addHostError per result). */
static int
add_result_errors(const struct dmg_conn *c, size_t i, const struct ctl_format_resp *r,
		  struct ctl_host_groups *errs, bool *failed)
{
	for (size_t k = 0; k < r->nmounts + r->nctrlrs; k++) {
		const struct ctl_fmt_result *res =
			k < r->nmounts ? &r->mounts[k] : &r->ctrlrs[k - r->nmounts];
		char msg[D_ERRBUF_LEN + 64];
		int  rc;

		if (res->status == 0)
			continue;
		ctl_fmt_result_error(res, msg, sizeof(msg));
		rc = ctl_host_groups_add(errs, msg, strlen(msg), c->display[i], (int)i);
		if (rc != 0)
			return rc;
		*failed = true;
	}
	return 0;
}

/*
 * Which host of the list runs the management service, when it can be told.
 * A reformat of that host's engine 0 starts a new system (its database is
 * on that SCM): formatting it before the others keeps their re-formatted
 * engines from joining the old system's database in the meantime, which
 * would refuse them (same address, new engine UUID) or lose them with it.
 * Not known (no answer, not in the list): SIZE_MAX, all hosts at once.
 */
static size_t
ms_host_index(struct dmg_conn *c)
{
	Mgmt__LeaderQueryResp *lq = NULL;
	struct d_errbuf	       eb = {{0}};
	char		       host[256];
	uint16_t	       port;
	size_t		       idx = SIZE_MAX;

	if (c->n < 2 || dmg_leader_query(c, &lq, &eb) != 0)
		return SIZE_MAX;
	if (ctl_addr_split(lq->current_leader, host, sizeof(host), &port) == 0)
		idx = dmg_conn_find(c, host, port);
	mgmt__leader_query_resp__free_unpacked(lq, NULL);
	return idx;
}

static int
format_run(struct d_cli_ctx *ctx)
{
	bool			 verbose = d_cli_has(ctx, "verbose");
	bool			 json = d_cli_has(ctx, "json");
	bool			 force = d_cli_has(ctx, "force") || d_cli_has(ctx, "reformat");
	bool			 replace = d_cli_has(ctx, "replace");
	struct dmg_conn		*c = NULL;
	struct ctl_rpc_result	*res = NULL;
	struct ctl_format_resp	*resps = NULL;
	struct ctl_format_group *groups = NULL;
	struct ctl_host_groups	 ok = {0}, errs = {0};
	struct d_errbuf		 eb = {{0}};
	struct d_json		*w = NULL;
	bool			*hfail = NULL;
	uint8_t			*req = NULL;
	size_t			 req_len = 0, i;
	int			 rc, nfailed = 0, status = 1;

	if (replace && force)
		return dmg_fail(ctx, -DER_INVAL, "--replace may not be mixed with --force");
	rc = dmg_conn_open(ctx, &c, &eb);
	if (rc != 0)
		return dmg_fail(ctx, rc, "%s", eb.msg);
	if (replace && c->n != 1) {
		status = dmg_fail(ctx, -DER_INVAL,
				  "command expects a single host in hostlist if replace option "
				  "used");
		goto out;
	}
	rc = ctl_format_req_pack(force, replace, &req, &req_len);
	if (rc == 0)
		rc = dmg_fanout_first(c, "StorageFormat", req, req_len,
				      force ? ms_host_index(c) : SIZE_MAX, &res);
	if (rc != 0) {
		status = dmg_fail(ctx, rc, "storage format: %s", d_errstr(rc));
		goto out;
	}
	D_ALLOC_ARRAY(resps, c->n);
	D_ALLOC_ARRAY(hfail, c->n);
	if (resps == NULL || hfail == NULL)
		goto nomem;
	for (i = 0; i < c->n; i++) {
		char  *key;
		size_t key_len = 0;

		if (res[i].rc != 0)
			continue;
		rc = ctl_format_resp_unpack(res[i].body, res[i].body_len, &resps[i], &eb);
		if (rc != 0) {
			ctl_rpc_result_fail(&res[i], rc, "invalid storage format response: %s",
					    eb.msg);
			continue;
		}
		key = ctl_format_resp_key(&resps[i], &key_len);
		if (key == NULL)
			goto nomem;
		rc = ctl_host_groups_add(&ok, key, key_len, c->display[i], (int)i);
		free(key);
		if (rc != 0)
			goto nomem;
	}
	/* a host's error is its RPC failure, or each failed result of its answer */
	for (i = 0; i < c->n; i++) {
		if (res[i].rc != 0) {
			const char *msg = res[i].err.msg[0] ? res[i].err.msg : d_errstr(res[i].rc);

			if (ctl_host_groups_add(&errs, msg, strlen(msg), c->display[i], (int)i) !=
			    0)
				goto nomem;
			nfailed++;
			continue;
		}
		if (add_result_errors(c, i, &resps[i], &errs, &hfail[i]) != 0)
			goto nomem;
		if (hfail[i])
			nfailed++;
	}
	if (ctl_host_groups_finish(&errs) != 0 || ctl_host_groups_finish(&ok) != 0)
		goto nomem;
	D_ALLOC_ARRAY(groups, ok.n > 0 ? ok.n : 1);
	if (groups == NULL)
		goto nomem;
	for (int g = 0; g < ok.n; g++) {
		groups[g].hosts = ok.v[g].hosts;
		groups[g].resp = &resps[ok.v[g].rep];
	}

	if (json) {
		w = d_json_create();
		if (w == NULL)
			goto nomem;
		d_json_obj_begin(w, NULL);
		dmg_errors_json(w, &errs);
		d_json_obj_begin(w, "HostStorage");
		for (int g = 0; g < ok.n; g++) {
			char k[24];

			d_json_obj_begin(w, ctl_host_group_name(&ok.v[g], k, sizeof(k)));
			ctl_format_json_host(w, "storage", groups[g].resp);
			d_json_str(w, "hosts", groups[g].hosts);
			d_json_obj_end(w);
		}
		d_json_obj_end(w);
		d_json_obj_end(w);
	} else {
		/* upstream logs the errors (stderr) before the results */
		dmg_errors_print(stderr, &errs);
		if (verbose)
			ctl_format_print_verbose(stdout, groups, ok.n);
		else
			ctl_format_print_summary(stdout, groups, ok.n);
	}
	status = dmg_finish(ctx, nfailed, w);
	goto out;
nomem:
	status = dmg_fail(ctx, -DER_NOMEM, "out of memory collecting storage format results");
out:
	d_json_destroy(w);
	free(groups);
	if (resps != NULL)
		for (i = 0; i < c->n; i++)
			ctl_format_resp_fini(&resps[i]);
	free(resps);
	free(hfail);
	free(req);
	dmg_fanout_fini(c, res, &ok, &errs);
	return status;
}

static const struct d_cli_opt format_opts[] = {
	DMG_OPT_HOST_LIST,
	{.short_name = 'v',
	 .long_name = "verbose",
	 .help = "Show results of each SCM & NVMe device format operation"},
	{.long_name = "force",
	 .help = "Force storage format on a host, stopping any running engines (CAUTION: "
		 "destructive operation)"},
	{.long_name = "reformat", .help = "Alias for --force"},
	{.long_name = "replace",
	 .help = "Replace an excluded rank. Allows a DAOS engine instance to reclaim its old rank "
		 "number after metadata is lost due to PMem or other storage media failure "
		 "(CAUTION: experimental operation)"},
	{0},
};

const struct d_cli_cmd dmg_storage_format_cmd = {
	.name = "format",
	.help = "Format SCM and NVMe storage attached to remote servers.",
	.opts = format_opts,
	.run = format_run,
};
