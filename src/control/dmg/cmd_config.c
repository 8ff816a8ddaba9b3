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
generate_run(struct d_cli_ctx *ctx)
{
	bool			  json = d_cli_has(ctx, "json");
	struct ctl_autocfg_args	  args;
	struct dmg_conn		 *c = NULL;
	struct ctl_rpc_result	 *nres = NULL, *sres = NULL;
	struct ctl_net_scan	**nets = NULL;
	struct ctl_storage_scan **sts = NULL;
	struct ctl_autocfg_host	 *hosts = NULL;
	struct ctl_server_config *cfg = NULL;
	struct ctl_host_groups	  errs = {0};
	struct d_errbuf		  eb = {{0}};
	struct d_sbuf		  err;
	uint8_t			 *nreq = NULL, *sreq = NULL;
	size_t			  nlen = 0, slen = 0, i;
	int			  rc, nfailed, status = 1;

	d_sbuf_init(&err);
	rc = dmg_conn_open(ctx, &c, &eb);
	if (rc != 0) {
		d_sbuf_fini(&err);
		return dmg_fail(ctx, rc, "%s", eb.msg);
	}
	/* arguments before any host is contacted */
	rc = ctl_autocfg_args_parse(ctx, dmg_conn_first_host(c), &args, &eb);
	if (rc != 0) {
		dmg_conn_close(c);
		d_sbuf_fini(&err);
		return eb.msg[0] ? dmg_fail(ctx, rc, "%s", eb.msg) : 1;
	}
	rc = ctl_net_scan_req_pack("all", &nreq, &nlen);
	if (rc == 0)
		rc = ctl_storage_scan_req_pack(CTL_SCAN_SCM | CTL_SCAN_NVME | CTL_SCAN_MEM, &sreq,
					       &slen);
	if (rc == 0)
		rc = dmg_fanout(c, "NetworkScan", nreq, nlen, &nres);
	if (rc == 0)
		rc = dmg_fanout(c, "StorageScan", sreq, slen, &sres);
	D_ALLOC_ARRAY(nets, c->n);
	D_ALLOC_ARRAY(sts, c->n);
	D_ALLOC_ARRAY(hosts, c->n);
	if (rc != 0 || nets == NULL || sts == NULL || hosts == NULL)
		goto nomem;
	for (i = 0; i < c->n; i++) {
		/* one failure per host: the network error if any, else the storage one */
		if (nres[i].rc == 0) {
			rc = ctl_net_scan_unpack(nres[i].body, nres[i].body_len, &nets[i], &eb);
			if (rc != 0)
				ctl_rpc_result_fail(&nres[i], rc,
						    "invalid network scan response: %s", eb.msg);
		}
		if (nres[i].rc != 0)
			continue;
		if (sres[i].rc == 0) {
			rc = ctl_storage_scan_unpack(sres[i].body, sres[i].body_len, &sts[i], &eb);
			if (rc != 0)
				ctl_rpc_result_fail(&sres[i], rc,
						    "invalid storage scan response: %s", eb.msg);
		}
		if (sres[i].rc != 0) {
			nres[i].rc = sres[i].rc;
			nres[i].err = sres[i].err;
		}
		hosts[i].hostname = c->display[i];
		hosts[i].net = nets[i];
		hosts[i].storage = sts[i];
	}
	nfailed = dmg_host_errors(c, nres, &errs);
	if (nfailed < 0)
		goto nomem;
	if (nfailed > 0) {
		struct d_json *w = NULL;

		if (json) {
			w = d_json_create();
			if (w == NULL)
				goto nomem;
			d_json_obj_begin(w, NULL);
			dmg_errors_json(w, &errs);
			d_json_obj_end(w);
		} else {
			dmg_errors_print(stderr, &errs);
		}
		status = dmg_finish(ctx, nfailed, w);
		d_json_destroy(w);
		goto out;
	}
	rc = ctl_autocfg_generate(&args.req, hosts, c->n, &cfg, &err);
	if (rc != 0) {
		status = dmg_fail(ctx, rc, "%s",
				  rc == -DER_NOMEM ? "out of memory" : (err.buf ? err.buf : ""));
		goto out;
	}
	if (json) {
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
		free(yaml);
		status = 0;
	}
	goto out;
nomem:
	status = dmg_fail(ctx, -DER_NOMEM, "config generate: out of memory");
out:
	ctl_server_config_destroy(cfg);
	for (i = 0; i < c->n; i++) {
		if (nets != NULL)
			ctl_net_scan_free(nets[i]);
		if (sts != NULL)
			ctl_storage_scan_free(sts[i]);
	}
	free(nets);
	free(sts);
	free(hosts);
	dmg_results_free(nres, c->n);
	dmg_results_free(sres, c->n);
	ctl_host_groups_fini(&errs);
	free(nreq);
	free(sreq);
	ctl_autocfg_args_fini(&args);
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
