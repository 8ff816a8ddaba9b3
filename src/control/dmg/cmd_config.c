/*
 * `dmg config`: configuration file commands.  `validate` checks the dmg
 * configuration (global -o, else ~/.daos_control.yml, the config directory,
 * /etc/daos/daos_control.yml, else built-in defaults) and prints the
 * effective configuration or every problem.  `generate` asks every host of
 * the host list for its network (provider "all") and storage scans and runs
 * the config generate algorithm (control/lib/autocfg) over them: the flags are
 * daos_server's (autocfg.h), the access point default is the first
 * host of the sorted host list, any host error aborts with the error table,
 * and hosts with different hardware get the explanation of how they differ.
 * The two scans run as stages of the fan-out pipeline (dmg_fanout.c).
 */
#include <stdio.h>
#include <stdlib.h>

#include "control/dmg/dmg_cmds.h"
#include "control/dmg/dmg_internal.h"
#include "control/lib/autocfg/autocfg.h"
#include "control/lib/config/config.h"
#include "control/lib/rpc/rpc.h"

static int
validate_run(struct d_cli_ctx *ctx)
{
	struct ctl_control_overrides ov = {
		.hostlist = d_cli_get(ctx, "host-list"),
		.insecure = d_cli_has(ctx, "insecure"),
	};

	return ctl_config_validate_main(CTL_CFG_CONTROL, d_cli_get(ctx, "config-path"), &ov,
					d_cli_has(ctx, "json"), stdout, stderr);
}

static int
gen_net_pack(const struct d_cli_ctx *ctx, uint8_t **req, size_t *len)
{
	(void)ctx;
	return ctl_net_scan_req_pack("all", req, len);
}

static int
gen_storage_pack(const struct d_cli_ctx *ctx, uint8_t **req, size_t *len)
{
	(void)ctx;
	return ctl_storage_scan_req_pack(CTL_SCAN_SCM | CTL_SCAN_NVME | CTL_SCAN_MEM, req, len);
}

DMG_ANSWER_NEW(net, struct ctl_net_scan, ctl_net_scan_unpack, ctl_net_scan_free)
DMG_ANSWER_NEW(storage, struct ctl_storage_scan, ctl_storage_scan_unpack, ctl_storage_scan_free)

/* The two scans, not grouped: any host error aborts with the error table alone. */
static const struct dmg_fanout_cmd gen_net_cmd = {
	.method = "NetworkScan",
	.resp_name = "network scan",
	.oom = "config generate: out of memory",
	.pack = gen_net_pack,
	.unpack = net_unpack,
	.free = net_free,
};

static const struct dmg_fanout_cmd gen_storage_cmd = {
	.method = "StorageScan",
	.resp_name = "storage scan",
	.oom = "config generate: out of memory",
	.pack = gen_storage_pack,
	.unpack = storage_unpack,
	.free = storage_free,
};

static int
generate_run(struct d_cli_ctx *ctx)
{
	struct ctl_autocfg_args	  args;
	struct dmg_fanout	  net = {.cmd = &gen_net_cmd, .ctx = ctx};
	struct dmg_fanout	  sto = {.cmd = &gen_storage_cmd, .ctx = ctx};
	struct dmg_conn		 *c = NULL;
	struct ctl_autocfg_host	 *hosts = NULL;
	struct ctl_server_config *cfg = NULL;
	struct d_errbuf		  eb = {{0}};
	struct d_sbuf		  err;
	char			 *first = NULL;
	int			  rc, status = 1;

	d_sbuf_init(&err);
	rc = dmg_conn_open(ctx, &c, &eb);
	if (rc != 0) {
		d_sbuf_fini(&err);
		return dmg_fail(ctx, rc, "%s", eb.msg);
	}
	net.c = sto.c = c;
	/*
	 * Arguments before any host is contacted.  The default replica is the
	 * first host with the port it was reached on, and the servers' port
	 * (when they share one) is the generated `port`, so a system on a port
	 * other than 10001 gets a configuration for that port.
	 */
	first = c->n > 0 ? d_asprintf("%s:%u", c->names[0], c->targets[0].port) : NULL;
	if (c->n > 0 && first == NULL) {
		dmg_conn_close(c);
		d_sbuf_fini(&err);
		return dmg_fail(ctx, -DER_NOMEM, "config generate: out of memory");
	}
	rc = ctl_autocfg_args_parse(ctx, first != NULL ? first : dmg_conn_first_host(c), &args,
				    &eb);
	if (rc != 0) {
		D_FREE(first);
		dmg_conn_close(c);
		d_sbuf_fini(&err);
		return eb.msg[0] ? dmg_fail(ctx, rc, "%s", eb.msg) : 1;
	}
	for (size_t i = 0; i < c->n; i++) {
		if (c->targets[i].port != c->targets[0].port)
			break;
		if (i + 1 == c->n)
			args.req.control_port = c->targets[0].port;
	}
	rc = dmg_fanout_call(&net);
	if (rc == 0)
		rc = dmg_fanout_call(&sto);
	if (rc == 0)
		rc = dmg_fanout_decode(&net);
	if (rc == 0)
		rc = dmg_fanout_decode(&sto);
	D_ALLOC_ARRAY(hosts, c->n > 0 ? c->n : 1);
	if (rc != 0 || hosts == NULL)
		goto nomem;
	for (size_t i = 0; i < c->n; i++) {
		/* one failure per host: the network error if any, else the storage one */
		if (net.res[i].rc == 0 && sto.res[i].rc != 0) {
			net.res[i].rc = sto.res[i].rc;
			net.res[i].err = sto.res[i].err;
		}
		hosts[i].hostname = c->display[i];
		hosts[i].net = net.objs[i];
		hosts[i].storage = sto.objs[i];
	}
	if (dmg_fanout_errors(&net) != 0)
		goto nomem;
	if (net.nfailed > 0) {
		status = dmg_fanout_report(&net);
		goto out;
	}
	rc = ctl_autocfg_generate(&args.req, hosts, c->n, &cfg, &err);
	if (rc != 0) {
		status = dmg_fail(ctx, rc, "%s",
				  rc == -DER_NOMEM ? "out of memory" : (err.buf ? err.buf : ""));
		goto out;
	}
	if (d_cli_has(ctx, "json")) {
		struct d_json *w = d_json_create();

		if (w == NULL)
			goto nomem;
		ctl_server_config_json(cfg, w, NULL);
		status = dmg_finish(ctx, 0, w);
		d_json_destroy(w);
	} else {
		char *yaml = ctl_server_config_to_yaml(cfg);

		if (yaml == NULL)
			goto nomem;
		fputs(yaml, stdout);
		D_FREE(yaml);
		status = 0;
	}
	goto out;
nomem:
	status = dmg_fail(ctx, -DER_NOMEM, "config generate: out of memory");
out:
	ctl_server_config_destroy(cfg);
	D_FREE(hosts);
	dmg_fanout_fini(&net);
	dmg_fanout_fini(&sto);
	ctl_autocfg_args_fini(&args);
	D_FREE(first);
	dmg_conn_close(c);
	d_sbuf_fini(&err);
	return status;
}

static const struct d_cli_opt generate_opts[] = {
	DMG_OPT_HOST_LIST,
	CTL_AUTOCFG_CLI_OPTS(NULL, "Comma separated list of MS replica addresses "
				   "<ipv4addr/hostname> to host management service (default: the "
				   "first host of the sorted host list)"),
	{0},
};

static const struct d_cli_cmd config_subcmds[] = {
	{.name = "generate",
	 .aliases = {"gen", NULL},
	 .help = "Generate DAOS server configuration file based on discoverable hardware devices",
	 .opts = generate_opts,
	 .run = generate_run},
	{.name = "validate",
	 .help = "Check the dmg config file (-o) and print the effective configuration",
	 .run = validate_run},
	{0},
};

const struct d_cli_cmd dmg_config_cmd = {
	.name = "config",
	.help = "Check configuration files",
	.subcmds = config_subcmds,
};
