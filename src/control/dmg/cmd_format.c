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
format_errors(struct dmg_fanout *f, size_t i, struct ctl_host_groups *errs)
{
	const struct ctl_format_resp *r = f->objs[i];

	for (size_t k = 0; k < r->nmounts + r->nctrlrs; k++) {
		const struct ctl_fmt_result *res =
			k < r->nmounts ? &r->mounts[k] : &r->ctrlrs[k - r->nmounts];
		char msg[D_ERRBUF_LEN + 64];
		int  rc;

		if (res->status == 0)
			continue;
		ctl_fmt_result_error(res, msg, sizeof(msg));
		rc = ctl_host_groups_add(errs, msg, strlen(msg), f->c->display[i], (int)i);
		if (rc != 0)
			return rc;
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

static size_t
format_first(struct dmg_fanout *f)
{
	return d_cli_has(f->ctx, "force") || d_cli_has(f->ctx, "reformat") ? ms_host_index(f->c)
									   : SIZE_MAX;
}

static int
format_check(struct dmg_fanout *f)
{
	if (d_cli_has(f->ctx, "replace") && f->c->n != 1)
		return dmg_fail(f->ctx, -DER_INVAL,
				"command expects a single host in hostlist if replace option used");
	return 0;
}

static int
format_pack(const struct d_cli_ctx *ctx, uint8_t **req, size_t *len)
{
	bool force = d_cli_has(ctx, "force") || d_cli_has(ctx, "reformat");

	return ctl_format_req_pack(force, d_cli_has(ctx, "replace"), req, len);
}

DMG_ANSWER_INTO(format, struct ctl_format_resp, ctl_format_resp_unpack, ctl_format_resp_fini)

static int
format_key(void *obj, uint8_t **key, size_t *len)
{
	*key = (uint8_t *)ctl_format_resp_key(obj, len);
	return *key != NULL ? 0 : -DER_NOMEM;
}

static void
format_print(const struct dmg_fanout *f)
{
	if (d_cli_has(f->ctx, "verbose"))
		ctl_format_print_verbose(stdout, f->view, f->ok.n);
	else
		ctl_format_print_summary(stdout, f->view, f->ok.n);
}

static void
format_json_host(struct d_json *w, const char *key, const void *obj)
{
	ctl_format_json_host(w, key, obj);
}

static void
format_json(const struct dmg_fanout *f, struct d_json *w)
{
	dmg_fanout_json_map(f, w, "HostStorage", "storage", format_json_host);
}

static const struct dmg_fanout_cmd format_cmd = {
	.method = "StorageFormat",
	.name = "storage format",
	.resp_name = "storage format",
	.oom = "out of memory collecting storage format results",
	.view = DMG_VIEW(struct ctl_format_group, hosts, resp),
	.check = format_check,
	.pack = format_pack,
	.first = format_first,
	.unpack = format_unpack,
	.key = format_key,
	.errors = format_errors,
	.free = format_free,
	.print = format_print,
	.json = format_json,
};

static int
format_run(struct d_cli_ctx *ctx)
{
	if (d_cli_has(ctx, "replace") && (d_cli_has(ctx, "force") || d_cli_has(ctx, "reformat")))
		return dmg_fail(ctx, -DER_INVAL, "--replace may not be mixed with --force");
	return dmg_fanout_run(ctx, &format_cmd);
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
