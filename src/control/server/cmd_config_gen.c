/*
 * `daos_server config generate`: scan this host (or the DAOS_HW_ROOT
 * fixture) for fabric interfaces and storage, run the config generate
 * algorithm (control/lib/ctl_autocfg.h) for this single host and print the
 * resulting daos_server.yml on stdout (-j: the JSON envelope instead).
 * Errors go to stderr with exit status 1.
 *
 * Flags are those of the deployment guide and of upstream both:
 * -a/--access-points (guide) and -r/--ms-replicas (upstream), -s/--min-ssds
 * (guide; upstream's -s is --scm-only, which is accepted as a long flag
 * meaning --min-ssds=0).  --skip-prep is accepted and changes nothing: the
 * scan here never prepares devices.
 */
#include <errno.h>
#include <stdio.h>

#include "common/cli.h"
#include "common/hostlist.h"
#include "common/json.h"
#include "control/lib/ctl_autocfg.h"
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

/* Replicas: a host list ("wolf-[71-73]", "a:10001,b:10001"), kept in the order given. */
static int
parse_replicas(const char *s, const char *flag, struct d_hostlist **hl, char ***v, size_t *n,
	       struct d_errbuf *eb)
{
	struct d_errbuf pe;
	char	      **out;
	size_t		i, cnt;
	int		rc;

	rc = d_hostlist_parse(s, hl, &pe);
	if (rc != 0) {
		d_errbuf_set(eb, "invalid %s \"%s\": %s", flag, s, pe.msg);
		return rc;
	}
	cnt = d_hostlist_count(*hl);
	D_ALLOC_ARRAY(out, cnt);
	if (out == NULL)
		return -DER_NOMEM;
	for (i = 0; i < cnt; i++) {
		rc = d_hostlist_nth(*hl, i, &out[i]);
		if (rc != 0) {
			while (i > 0)
				free(out[--i]);
			free(out);
			return rc;
		}
	}
	*v = out;
	*n = cnt;
	return 0;
}

static int
parse_ports(const char *s, int64_t **ports, size_t *n, struct d_errbuf *eb)
{
	int64_t	   *v;
	size_t	    cnt = 1, i = 0;
	const char *p;
	char	   *end;

	for (p = s; *p; p++)
		cnt += *p == ',';
	D_ALLOC_ARRAY(v, cnt);
	if (v == NULL)
		return -DER_NOMEM;
	for (p = s; i < cnt; i++) {
		long long x;

		errno = 0;
		x = strtoll(p, &end, 10);
		if (end == p || (*end != ',' && *end != '\0') || errno != 0 || x <= 0 ||
		    x > 65535) {
			d_errbuf_set(eb,
				     "invalid --fabric-ports \"%s\": item %zu is not a port "
				     "number between 1 and 65535; give comma-separated ports, one "
				     "per engine, e.g. 31416,32416",
				     s, i + 1);
			free(v);
			return -DER_INVAL;
		}
		v[i] = x;
		p = end + (*end == ',');
	}
	*ports = v;
	*n = cnt;
	return 0;
}

static int
generate_run(struct d_cli_ctx *ctx)
{
	bool			  json = d_cli_has(ctx, "json");
	struct ctl_autocfg_req	  req;
	struct ctl_autocfg_host	  host;
	struct ctl_net_scan	 *net = NULL;
	struct ctl_storage_scan	 *st = NULL;
	struct ctl_server_config *cfg = NULL;
	struct d_hostlist	 *hl = NULL;
	struct d_errbuf		  eb = {{0}};
	struct d_sbuf		  err;
	const char		 *replicas, *flag, *v;
	char			**reps = NULL, *yaml;
	int64_t			 *ports = NULL;
	size_t			  nreps = 0, i;
	long			  num;
	int			  rc, status = 1;

	d_sbuf_init(&err);
	ctl_autocfg_req_init(&req);

	/* arguments first: a typo should not wait for a scan */
	if (d_cli_has(ctx, "access-points") && d_cli_has(ctx, "ms-replicas")) {
		status = gen_fail(ctx, json, -DER_INVAL,
				  "--access-points and --ms-replicas both "
				  "given; use --ms-replicas (-r) alone (--access-points is its "
				  "deprecated alias)");
		goto out;
	}
	flag = d_cli_has(ctx, "access-points") ? "--access-points" : "--ms-replicas";
	replicas = d_cli_has(ctx, "access-points") ? d_cli_get(ctx, "access-points")
						   : d_cli_get(ctx, "ms-replicas");
	rc = parse_replicas(replicas, flag, &hl, &reps, &nreps, &eb);
	if (rc != 0) {
		status = gen_fail(ctx, json, rc, rc == -DER_NOMEM ? "out of memory" : eb.msg);
		goto out;
	}
	req.ms_replicas = (const char *const *)reps;
	req.nr_ms_replicas = nreps;

	if (d_cli_get_long(ctx, "num-engines", 0, CTL_AUTOCFG_MAX_NUMA, 0, &num) != 0)
		goto out;
	req.nr_engines = (int)num;
	if (d_cli_get_long(ctx, "min-ssds", 0, 1024, 1, &num) != 0)
		goto out;
	req.min_ssds = (int)num;
	if (d_cli_has(ctx, "scm-only")) {
		if (d_cli_has(ctx, "min-ssds") && req.min_ssds != 0) {
			status = gen_fail(ctx, json, -DER_INVAL,
					  "--scm-only means --min-ssds=0 "
					  "but --min-ssds is given too; give one of them");
			goto out;
		}
		req.min_ssds = 0;
	}
	v = d_cli_get(ctx, "net-class");
	if (ctl_autocfg_net_class_parse(v, &req.net_class, &eb) != 0) {
		status = gen_fail(ctx, json, -DER_INVAL, eb.msg);
		goto out;
	}
	req.provider = d_cli_get(ctx, "net-provider");
	req.use_tmpfs_scm = d_cli_has(ctx, "use-tmpfs-scm");
	req.control_metadata_path = d_cli_get(ctx, "control-metadata-path");
	req.helper_log_file = d_cli_get(ctx, "helper-log-file");
	if (d_cli_has(ctx, "fabric-ports")) {
		rc = parse_ports(d_cli_get(ctx, "fabric-ports"), &ports, &req.nr_fabric_ports, &eb);
		if (rc != 0) {
			status = gen_fail(ctx, json, rc,
					  rc == -DER_NOMEM ? "out of memory" : eb.msg);
			goto out;
		}
		req.fabric_ports = ports;
	}

	rc = srv_check_dupe_process(&eb);
	if (rc != 0) {
		status = gen_fail(ctx, json, rc, eb.msg);
		goto out;
	}
	rc = ctl_net_scan("all", NULL, &net, &eb);
	if (rc != 0) {
		char *m = d_asprintf("fetching local fabric interfaces: %s", eb.msg);

		status = gen_fail(ctx, json, rc, m ? m : eb.msg);
		free(m);
		goto out;
	}
	rc = ctl_storage_scan(CTL_SCAN_SCM | CTL_SCAN_NVME | CTL_SCAN_MEM, &st, &eb);
	if (rc != 0) {
		char *m = d_asprintf("fetching local storage: %s", eb.msg);

		status = gen_fail(ctx, json, rc, m ? m : eb.msg);
		free(m);
		goto out;
	}
	host.hostname = "localhost";
	host.net = net;
	host.storage = st;
	rc = ctl_autocfg_generate(&req, &host, 1, &cfg, &err);
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
	free(yaml);
	status = 0;
out:
	ctl_server_config_destroy(cfg);
	ctl_storage_scan_free(st);
	ctl_net_scan_free(net);
	for (i = 0; i < nreps; i++)
		free(reps[i]);
	free(reps);
	free(ports);
	d_hostlist_destroy(hl);
	d_sbuf_fini(&err);
	return status;
}

static const struct d_cli_opt generate_opts[] = {
	{.short_name = 'a',
	 .long_name = "access-points",
	 .type = D_OPT_STR,
	 .arg_name = "HOSTS",
	 .help = "Comma separated list of access point addresses <ipv4addr/hostname> "
		 "(deprecated alias of --ms-replicas)"},
	{.short_name = 'r',
	 .long_name = "ms-replicas",
	 .type = D_OPT_STR,
	 .arg_name = "HOSTS",
	 .deflt = "localhost",
	 .help = "Comma separated list of MS replica addresses <ipv4addr/hostname> to host "
		 "management service"},
	{.short_name = 'e',
	 .long_name = "num-engines",
	 .type = D_OPT_STR,
	 .arg_name = "N",
	 .help = "Set the number of DAOS Engine sections to be populated in the config file "
		 "output. If unset then the value will be set to the number of NUMA nodes "
		 "on storage hosts in the DAOS system."},
	{.short_name = 's',
	 .long_name = "min-ssds",
	 .type = D_OPT_STR,
	 .arg_name = "N",
	 .deflt = "1",
	 .help = "Minimum number of NVMe SSDs required per DAOS Engine (SSDs must reside on "
		 "the host that is managing the engine). Set to 0 to generate a config with "
		 "no NVMe."},
	{.long_name = "scm-only",
	 .type = D_OPT_BOOL,
	 .help = "Create a SCM-only config without NVMe SSDs (same as --min-ssds=0)"},
	{.short_name = 'c',
	 .long_name = "net-class",
	 .type = D_OPT_STR,
	 .arg_name = "best-available|ethernet|infiniband",
	 .deflt = "best-available",
	 .help = "Network class preferred"},
	{.short_name = 'p',
	 .long_name = "net-provider",
	 .type = D_OPT_STR,
	 .arg_name = "PROVIDER",
	 .help = "Set the network fabric provider to be used (default: best available)"},
	{.short_name = 't',
	 .long_name = "use-tmpfs-scm",
	 .type = D_OPT_BOOL,
	 .help = "Use tmpfs for scm rather than PMem"},
	{.short_name = 'm',
	 .long_name = "control-metadata-path",
	 .type = D_OPT_STR,
	 .arg_name = "PATH",
	 .help = "External storage path to store control metadata. Set this to a persistent "
		 "location and specify --use-tmpfs-scm to create an MD-on-SSD config"},
	{.short_name = 'f',
	 .long_name = "fabric-ports",
	 .type = D_OPT_STR,
	 .arg_name = "PORTS",
	 .help = "Allow custom fabric interface ports to be specified for each engine "
		 "config section. Comma separated port numbers, one per engine"},
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
