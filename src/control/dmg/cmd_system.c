/*
 * `dmg system leader-query|query|stop|start|erase`: find the management
 * service leader with LeaderQuery on the first host of the host list that
 * answers, send the System* request to its current_leader, and print the
 * answer (control/lib/render) or, with -j, the JSON envelope.  As upstream, after
 * printing, absent ranks/hosts and failed ranks make the command fail
 * ("system stop failed: check results for failed ranks 1").
 */
#include <stdlib.h>
#include <string.h>

#include "common/pb.h"
#include "control/dmg/dmg_cmds.h"
#include "control/dmg/dmg_internal.h"
#include "control/lib/render/render.h"
#include "control/lib/system/system.h"

/* Stop and start wait for engines (StartRanks up to 30 s per host, then the fan-out). */
#define DMG_SYS_ACTION_MS 180000

static const char *
sys_name(const struct dmg_conn *c)
{
	return c->cfg->name != NULL ? c->cfg->name : "daos_server";
}

int
dmg_leader_query(struct dmg_conn *c, Mgmt__LeaderQueryResp **lq, struct d_errbuf *eb)
{
	Mgmt__LeaderQueryReq req = MGMT__LEADER_QUERY_REQ__INIT;
	uint8_t		     buf[512];
	size_t		     len;
	int		     rc = -DER_INVAL;

	req.sys = (char *)sys_name(c);
	if (mgmt__leader_query_req__get_packed_size(&req) > sizeof(buf)) {
		d_errbuf_set(eb, "system name \"%s\" is too long", req.sys);
		return -DER_INVAL;
	}
	len = mgmt__leader_query_req__pack(&req, buf);
	for (size_t i = 0; i < c->n; i++) {
		struct ctl_rpc_error err = {0};
		uint8_t		    *body = NULL;
		size_t		     blen = 0;

		rc = ctl_rpc_call(c->cl, c->targets[i].host, c->targets[i].port, "LeaderQuery", buf,
				  len, c->connect_ms + c->call_ms, &body, &blen, &err);
		if (rc != 0) {
			d_errbuf_set(eb, "%s: %s", c->display[i], err.msg);
			if (err.kind == CTL_RPC_ERR_REMOTE || err.kind == CTL_RPC_ERR_PERM ||
			    err.kind == CTL_RPC_ERR_VERSION || err.kind == CTL_RPC_ERR_TLS)
				return rc;
			continue;
		}
		*lq = mgmt__leader_query_resp__unpack(NULL, blen, body);
		D_FREE(body);
		if (*lq == NULL) {
			d_errbuf_set(eb, "%s: undecodable LeaderQuery response", c->display[i]);
			return -DER_PROTO;
		}
		return 0;
	}
	return rc;
}

/* Send `method` to the MS leader; the response body in *resp. */
static int
ms_call(struct dmg_conn *c, const char *method, const uint8_t *req, size_t len, int timeout_ms,
	uint8_t **resp, size_t *resp_len, struct d_errbuf *eb)
{
	Mgmt__LeaderQueryResp *lq = NULL;
	struct ctl_rpc_error   err = {0};
	char		       host[256];
	uint16_t	       port;
	int		       rc;

	rc = dmg_leader_query(c, &lq, eb);
	if (rc != 0)
		return rc;
	if (ctl_addr_split(lq->current_leader, host, sizeof(host), &port) != 0) {
		d_errbuf_set(eb, "the management service leader \"%s\" is not a host:port address",
			     lq->current_leader);
		mgmt__leader_query_resp__free_unpacked(lq, NULL);
		return -DER_INVAL;
	}
	rc = ctl_rpc_call(c->cl, host, port, method, req, len, c->connect_ms + timeout_ms, resp,
			  resp_len, &err);
	if (rc != 0) {
		/* a remote refusal is the MS's own sentence; a transport error names the host */
		if (err.kind == CTL_RPC_ERR_REMOTE)
			d_errbuf_set(eb, "%s", err.msg);
		else
			d_errbuf_set(eb, "%s: %s", lq->current_leader, err.msg);
	}
	mgmt__leader_query_resp__free_unpacked(lq, NULL);
	return rc;
}

/* Print the envelope or the text; then fail with `errs` as upstream does. */
static int
finish(struct d_cli_ctx *ctx, const char *what, struct d_json *w, char *errs)
{
	int status = 0;

	if (w != NULL) {
		if (d_json_finish(w) != 0) {
			D_FREE(errs);
			return dmg_fail(ctx, -DER_NOMEM, "%s failed: out of memory", what);
		}
		d_json_envelope_print(stdout, w, errs, errs != NULL ? -DER_MISC : 0);
		status = errs != NULL;
	} else if (errs != NULL) {
		fprintf(stderr, "ERROR: %s: %s failed: %s\n", ctx->prog, what, errs);
		status = 1;
	}
	D_FREE(errs);
	return status;
}

/* The MS's alarm (its database lost or unsaved) before the per-rank errors: either fails dmg. */
static char *
with_alarm(char *errs, const char *alarm, bool *oom)
{
	char *s;

	if (alarm == NULL || alarm[0] == '\0')
		return errs;
	s = errs != NULL ? d_asprintf("%s; %s", alarm, errs) : d_asprintf("%s", alarm);
	if (s == NULL)
		*oom = true;
	D_FREE(errs);
	return s;
}

static int
ranks_hosts(struct d_cli_ctx *ctx, const char *what, const char **ranks, const char **hosts)
{
	*ranks = d_cli_get(ctx, "ranks");
	*hosts = d_cli_get(ctx, "rank-hosts");
	if (*ranks != NULL && *ranks[0] != '\0' && *hosts != NULL && *hosts[0] != '\0')
		return dmg_fail(ctx, -DER_INVAL,
				"%s failed: --ranks and --rank-hosts options cannot be set "
				"together",
				what);
	if (*ranks == NULL)
		*ranks = "";
	if (*hosts == NULL)
		*hosts = "";
	return 0;
}

/* ---- leader-query ------------------------------------------------------------------------- */

static int
leader_run(struct d_cli_ctx *ctx)
{
	Mgmt__LeaderQueryResp *lq = NULL;
	struct dmg_conn	      *c = NULL;
	struct d_errbuf	       eb = {{0}};
	struct d_json	      *w = NULL;
	int		       rc, status;

	rc = dmg_conn_open(ctx, &c, &eb);
	if (rc != 0)
		return dmg_fail(ctx, rc, "%s", eb.msg);
	rc = dmg_leader_query(c, &lq, &eb);
	dmg_conn_close(c);
	if (rc != 0)
		return dmg_fail(ctx, rc, "leader query failed: %s", eb.msg);
	if (d_cli_has(ctx, "json")) {
		w = d_json_create();
		if (w != NULL)
			ctl_system_leader_json(w, lq);
		status = w == NULL ? dmg_fail(ctx, -DER_NOMEM, "leader query failed: out of memory")
				   : finish(ctx, "leader query", w, NULL);
	} else {
		ctl_system_leader_print(stdout, lq, d_cli_has(ctx, "down-replicas"));
		status = 0;
	}
	d_json_destroy(w);
	mgmt__leader_query_resp__free_unpacked(lq, NULL);
	return status;
}

/* ---- query -------------------------------------------------------------------------------- */

static int
query_run(struct d_cli_ctx *ctx)
{
	Mgmt__SystemQueryReq   req = MGMT__SYSTEM_QUERY_REQ__INIT;
	Mgmt__SystemQueryResp *r = NULL;
	struct dmg_conn	      *c = NULL;
	struct d_errbuf	       eb = {{0}};
	struct d_json	      *w = NULL;
	const char	      *ranks, *hosts, *states = d_cli_get(ctx, "with-states");
	uint8_t		      *body = NULL, *resp = NULL;
	size_t		       len, resp_len = 0;
	uint32_t	       mask = CTL_MS_FILTER_ALL;
	char		      *errs;
	bool		       oom;
	int		       rc, status;

	if (d_cli_has(ctx, "not-ok") && states != NULL)
		return dmg_fail(ctx, -DER_INVAL,
				"system query failed: --not-ok and --with-states options cannot "
				"be set together");
	status = ranks_hosts(ctx, "system query", &ranks, &hosts);
	if (status != 0)
		return status;
	if (d_cli_has(ctx, "not-ok"))
		mask = CTL_MS_FILTER_ALL & ~(uint32_t)CTL_MS_JOINED;
	if (states != NULL && ctl_system_states_parse(states, &mask, &eb) != 0)
		return dmg_fail(ctx, -DER_INVAL, "system query failed: %s", eb.msg);
	rc = dmg_conn_open(ctx, &c, &eb);
	if (rc != 0)
		return dmg_fail(ctx, rc, "%s", eb.msg);
	req.sys = (char *)sys_name(c);
	req.ranks = (char *)ranks;
	req.hosts = (char *)hosts;
	req.state_mask = mask;
	if (d_pb_pack(&req.base, &body, &len) != 0) {
		status = dmg_fail(ctx, -DER_NOMEM, "system query failed: out of memory");
		goto out;
	}
	rc = ms_call(c, "SystemQuery", body, len, c->call_ms, &resp, &resp_len, &eb);
	if (rc != 0) {
		status = dmg_fail(ctx, rc, "system query failed: %s", eb.msg);
		goto out;
	}
	r = mgmt__system_query_resp__unpack(NULL, resp_len, resp);
	if (r == NULL) {
		status = dmg_fail(ctx, -DER_PROTO, "system query failed: undecodable response");
		goto out;
	}
	errs = ctl_system_errors(r->absenthosts, r->absentranks, NULL, 0, &oom);
	errs = with_alarm(errs, r->alarm, &oom);
	if (d_cli_has(ctx, "json")) {
		w = d_json_create();
		if (w != NULL)
			ctl_system_query_json(w, r);
	} else if (ctl_system_query_print(stdout, stderr, r, d_cli_has(ctx, "verbose")) != 0) {
		oom = true;
	}
	if (oom || (d_cli_has(ctx, "json") && w == NULL)) {
		D_FREE(errs);
		status = dmg_fail(ctx, -DER_NOMEM, "system query failed: out of memory");
		goto out;
	}
	status = finish(ctx, "system query", w, errs);
out:
	d_json_destroy(w);
	if (r != NULL)
		mgmt__system_query_resp__free_unpacked(r, NULL);
	D_FREE(resp);
	D_FREE(body);
	dmg_conn_close(c);
	return status;
}

/* ---- stop / start / erase ----------------------------------------------------------------- */

enum sys_action { SYS_STOP, SYS_START, SYS_ERASE };

static int
action_run(struct d_cli_ctx *ctx, enum sys_action act)
{
	static const char *const what[] = {"system stop", "system start", "system erase"};
	static const char *const method[] = {"SystemStop", "SystemStart", "SystemErase"};
	struct dmg_conn		*c = NULL;
	struct d_errbuf		 eb = {{0}};
	struct d_json		*w = NULL;
	const char		*ranks = "", *hosts = "";
	Ctl__RankResult	       **res = NULL;
	size_t			 nres = 0, len = 0, resp_len = 0;
	const char		*absent_r = "", *absent_h = "", *alarm = "";
	uint8_t			*body = NULL, *resp = NULL;
	void			*decoded = NULL;
	char			*errs;
	bool			 oom;
	int			 rc, status;

	if (act != SYS_ERASE) {
		status = ranks_hosts(ctx, what[act], &ranks, &hosts);
		if (status != 0)
			return status;
	}
	rc = dmg_conn_open(ctx, &c, &eb);
	if (rc != 0)
		return dmg_fail(ctx, rc, "%s", eb.msg);
	if (act == SYS_STOP) {
		Mgmt__SystemStopReq q = MGMT__SYSTEM_STOP_REQ__INIT;

		q.sys = (char *)sys_name(c);
		q.ranks = (char *)ranks;
		q.hosts = (char *)hosts;
		q.force = d_cli_has(ctx, "force");
		q.ignore_admin_excluded = d_cli_has(ctx, "ignore-admin-excluded");
		rc = d_pb_pack(&q.base, &body, &len);
	} else if (act == SYS_START) {
		Mgmt__SystemStartReq q = MGMT__SYSTEM_START_REQ__INIT;

		q.sys = (char *)sys_name(c);
		q.ranks = (char *)ranks;
		q.hosts = (char *)hosts;
		q.ignore_admin_excluded = d_cli_has(ctx, "ignore-admin-excluded");
		rc = d_pb_pack(&q.base, &body, &len);
	} else {
		Mgmt__SystemEraseReq q = MGMT__SYSTEM_ERASE_REQ__INIT;

		q.sys = (char *)sys_name(c);
		rc = d_pb_pack(&q.base, &body, &len);
	}
	if (rc != 0) {
		status = dmg_fail(ctx, -DER_NOMEM, "%s failed: out of memory", what[act]);
		goto out;
	}
	rc = ms_call(c, method[act], body, len, DMG_SYS_ACTION_MS, &resp, &resp_len, &eb);
	if (rc != 0) {
		status = dmg_fail(ctx, rc, "%s failed: %s", what[act], eb.msg);
		goto out;
	}
	if (act == SYS_STOP) {
		Mgmt__SystemStopResp *r = mgmt__system_stop_resp__unpack(NULL, resp_len, resp);

		decoded = r;
		if (r != NULL) {
			res = r->results;
			nres = r->n_results;
			absent_r = r->absentranks;
			absent_h = r->absenthosts;
			alarm = r->alarm;
		}
	} else if (act == SYS_START) {
		Mgmt__SystemStartResp *r = mgmt__system_start_resp__unpack(NULL, resp_len, resp);

		decoded = r;
		if (r != NULL) {
			res = r->results;
			nres = r->n_results;
			absent_r = r->absentranks;
			absent_h = r->absenthosts;
			alarm = r->alarm;
		}
	} else {
		Mgmt__SystemEraseResp *r = mgmt__system_erase_resp__unpack(NULL, resp_len, resp);

		decoded = r;
		if (r != NULL) {
			res = r->results;
			nres = r->n_results;
		}
	}
	if (decoded == NULL) {
		status = dmg_fail(ctx, -DER_PROTO, "%s failed: undecodable response", what[act]);
		goto out;
	}
	errs = ctl_system_errors(absent_h, absent_r, res, nres, &oom);
	errs = with_alarm(errs, alarm, &oom);
	if (d_cli_has(ctx, "json")) {
		w = d_json_create();
		if (w != NULL) {
			d_json_obj_begin(w, NULL);
			if (act == SYS_ERASE)
				d_json_null(w, "host_errors");
			ctl_system_results_json(w, "Results", res, nres);
			d_json_obj_end(w);
		}
	} else if (act != SYS_ERASE || errs != NULL) {
		/* upstream's erase prints nothing when every rank was reset */
		if (ctl_system_results_print(stdout, stderr, res, nres, absent_r, absent_h) != 0)
			oom = true;
	}
	if (oom || (d_cli_has(ctx, "json") && w == NULL)) {
		D_FREE(errs);
		status = dmg_fail(ctx, -DER_NOMEM, "%s failed: out of memory", what[act]);
		goto out;
	}
	status = finish(ctx, what[act], w, errs);
out:
	d_json_destroy(w);
	if (decoded != NULL) {
		if (act == SYS_STOP)
			mgmt__system_stop_resp__free_unpacked(decoded, NULL);
		else if (act == SYS_START)
			mgmt__system_start_resp__free_unpacked(decoded, NULL);
		else
			mgmt__system_erase_resp__free_unpacked(decoded, NULL);
	}
	D_FREE(resp);
	D_FREE(body);
	dmg_conn_close(c);
	return status;
}

static int
stop_run(struct d_cli_ctx *ctx)
{
	return action_run(ctx, SYS_STOP);
}

static int
start_run(struct d_cli_ctx *ctx)
{
	return action_run(ctx, SYS_START);
}

static int
erase_run(struct d_cli_ctx *ctx)
{
	return action_run(ctx, SYS_ERASE);
}

/* ---- command tree ------------------------------------------------------------------------- */

#define RANKS_OPTS                                                                                 \
	{.short_name = 'r',                                                                        \
	 .long_name = "ranks",                                                                     \
	 .type = D_OPT_STR,                                                                        \
	 .arg_name = "RANKS",                                                                      \
	 .help = "Comma separated ranges or individual system ranks to operate on"},               \
	{                                                                                          \
		.long_name = "rank-hosts", .type = D_OPT_STR, .arg_name = "HOSTS",                 \
		.help = "Hostlist representing hosts whose managed ranks are to be operated on"    \
	}

static const struct d_cli_opt leader_opts[] = {
	DMG_OPT_HOST_LIST,
	{.short_name = 'N', .long_name = "down-replicas", .help = "Show Down Replicas only"},
	{0},
};

static const struct d_cli_opt query_opts[] = {
	DMG_OPT_HOST_LIST,
	RANKS_OPTS,
	{.short_name = 'v', .long_name = "verbose", .help = "Display more member details"},
	{.long_name = "not-ok",
	 .help = "Display components in need of administrative investigation"},
	{.long_name = "with-states",
	 .type = D_OPT_STR,
	 .arg_name = "STATES",
	 .help = "Only show engines in one of a set of comma-separated states"},
	{0},
};

static const struct d_cli_opt stop_opts[] = {
	DMG_OPT_HOST_LIST,
	RANKS_OPTS,
	{.long_name = "force", .help = "Force stop DAOS system members"},
	{.long_name = "ignore-admin-excluded",
	 .help = "Also stop ranks that have been administratively excluded"},
	{0},
};

static const struct d_cli_opt start_opts[] = {
	DMG_OPT_HOST_LIST,
	RANKS_OPTS,
	{.long_name = "ignore-admin-excluded",
	 .help = "Also start ranks that have been administratively excluded"},
	{0},
};

static const struct d_cli_opt erase_opts[] = {
	DMG_OPT_HOST_LIST,
	{0},
};

static const struct d_cli_cmd system_subcmds[] = {
	{.name = "erase",
	 .help = "Erase system metadata prior to reformat",
	 .opts = erase_opts,
	 .run = erase_run},
	{.name = "leader-query",
	 .help = "Query for current Management Service leader",
	 .opts = leader_opts,
	 .run = leader_run},
	{.name = "query", .help = "Query DAOS system status", .opts = query_opts, .run = query_run},
	{.name = "start",
	 .help = "Perform start of stopped DAOS system",
	 .opts = start_opts,
	 .run = start_run},
	{.name = "stop",
	 .help = "Perform controlled shutdown of DAOS system",
	 .opts = stop_opts,
	 .run = stop_run},
	{0},
};

const struct d_cli_cmd dmg_system_cmd = {
	.name = "system",
	.aliases = {"sys", NULL},
	.help = "Perform distributed tasks related to DAOS system",
	.subcmds = system_subcmds,
};
