/*
 * `daos_server config generate`: scan this host (or the DAOS_HW_ROOT
 * fixture) for fabric interfaces and storage, run the config generate
 * algorithm (control/lib/autocfg/autocfg.h) for this single host and print the
 * resulting daos_server.yml on stdout (-j: the JSON envelope instead).
 * Errors go to stderr with exit status 1.
 *
 * Flags are those of the deployment guide and of upstream both:
 * -a/--access-points (guide) and -r/--ms-replicas (upstream), -s/--min-ssds
 * (guide; upstream's -s is --scm-only, which is accepted as a long flag
 * meaning --min-ssds=0).  --skip-prep is accepted and changes nothing: the
 * scan here never prepares devices.
 */
#include <stdio.h>

#include "common/cli.h"
#include "common/json.h"
#include "control/lib/autocfg/autocfg.h"
#include "control/server/srv_cmds.h"

static int
gen_fail(const struct d_cli_ctx *ctx, bool json, int rc, const char *msg)
{
	if (json)
		d_json_envelope_print(stdout, NULL, msg, rc);
	fprintf(stderr, "ERROR: %s: %s%s", ctx->prog, msg,
		msg[0] && msg[strlen(msg) - 1] == '\n' ? "" : "\n");
	return 1;
}

static int
generate_run(struct d_cli_ctx *ctx)
{
	bool			  json = d_cli_has(ctx, "json");
	struct ctl_autocfg_args	  args;
	struct ctl_autocfg_host	  host;
	struct ctl_net_scan	 *net = NULL;
	struct ctl_storage_scan	 *st = NULL;
	struct ctl_server_config *cfg = NULL;
	struct d_errbuf		  eb = {{0}};
	struct d_sbuf		  err;
	char			 *yaml;
	int			  rc, status = 1;

	d_sbuf_init(&err);
	/* arguments first: a typo should not wait for a scan */
	rc = ctl_autocfg_args_parse(ctx, "localhost", &args, &eb);
	if (rc != 0) {
		d_sbuf_fini(&err);
		return eb.msg[0] ? gen_fail(ctx, json, rc, eb.msg) : 1;
	}
	args.req.helper_log_file = d_cli_get(ctx, "helper-log-file");

	rc = srv_check_dupe_process(&eb);
	if (rc != 0) {
		status = gen_fail(ctx, json, rc, eb.msg);
		goto out;
	}
	rc = ctl_net_scan("all", NULL, &net, &eb);
	if (rc != 0) {
		char *m = d_asprintf("fetching local fabric interfaces: %s", eb.msg);

		status = gen_fail(ctx, json, rc, m ? m : eb.msg);
		D_FREE(m);
		goto out;
	}
	rc = ctl_storage_scan(CTL_SCAN_SCM | CTL_SCAN_NVME | CTL_SCAN_MEM, &st, &eb);
	if (rc != 0) {
		char *m = d_asprintf("fetching local storage: %s", eb.msg);

		status = gen_fail(ctx, json, rc, m ? m : eb.msg);
		D_FREE(m);
		goto out;
	}
	host.hostname = "localhost";
	host.net = net;
	host.storage = st;
	rc = ctl_autocfg_generate(&args.req, &host, 1, &cfg, &err);
	if (rc != 0) {
		status = gen_fail(ctx, json, rc,
				  rc == -DER_NOMEM ? "out of memory" : (err.buf ? err.buf : ""));
		goto out;
	}
	if (json) {
		struct d_json *w = d_json_create();

		if (w != NULL)
			ctl_server_config_json(cfg, w, NULL);
		rc = w != NULL ? d_json_finish(w) : -DER_NOMEM;
		if (rc == 0)
			d_json_envelope_print(stdout, w, NULL, 0);
		d_json_destroy(w);
		status = rc == 0 ? 0 : gen_fail(ctx, false, rc, "out of memory writing JSON");
		goto out;
	}
	yaml = ctl_server_config_to_yaml(cfg);
	if (yaml == NULL) {
		status = gen_fail(ctx, false, -DER_NOMEM, "out of memory writing YAML");
		goto out;
	}
	fputs(yaml, stdout);
	D_FREE(yaml);
	status = 0;
out:
	ctl_server_config_destroy(cfg);
	ctl_storage_scan_free(st);
	ctl_net_scan_free(net);
	ctl_autocfg_args_fini(&args);
	d_sbuf_fini(&err);
	return status;
}

static const struct d_cli_opt generate_opts[] = {
	CTL_AUTOCFG_CLI_OPTS("localhost",
			     "Comma separated list of MS replica addresses <ipv4addr/hostname> "
			     "to host management service"),
	{.long_name = "skip-prep",
	 .type = D_OPT_BOOL,
	 .help = "Skip preparation of devices during scan (the scan never prepares)"},
	{.short_name = 'l',
	 .long_name = "helper-log-file",
	 .type = D_OPT_STR,
	 .arg_name = "PATH",
	 .help = "Log file location for debug from daos_server_helper binary"},
	{0},
};

const struct d_cli_cmd srv_config_generate_cmd = {
	.name = "generate",
	.aliases = {"gen", NULL},
	.help = "Generate DAOS server configuration file based on discoverable locally-attached "
		"hardware devices",
	.opts = generate_opts,
	.run = generate_run,
};
