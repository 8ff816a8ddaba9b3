/*
 * daos_server storage commands: `storage scan|prepare` (the deployment
 * guide's syntax, prepare with --scm-only/--nvme-only/--reset), `scm
 * prepare|reset|scan` and `nvme prepare|reset|scan` (upstream's current
 * syntax).  Each refuses to run while another daos_server process exists.
 * The work is done by src/control/lib (control/lib/hw, storage and render); this file parses
 * options, asks for consent, and prints text or the -j JSON envelope.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cli.h"
#include "common/json.h"
#include "control/lib/hw/hw.h"
#include "control/lib/render/render.h"
#include "control/lib/storage/storage.h"
#include "control/server/srv_cmds.h"

/* Upstream's warning before PMem goals/namespaces are changed. */
#define MSG_PREPARE_WARN                                                                           \
	"Memory allocation goals for PMem will be changed and namespaces modified, this may be a " \
	"destructive operation. Please ensure namespaces are unmounted and locally attached PMem " \
	"modules are not in use. Please be patient as it may take several minutes and subsequent " \
	"reboot maybe required.\n"

/* Upstream's FaultScmNoPMem. */
#define NO_PMEM_CODE	   211
#define NO_PMEM_RESOLUTION "Install PMem modules and retry command"

static bool
json_mode(const struct d_cli_ctx *ctx)
{
	return d_cli_has(ctx, "json");
}

/* Report a failure the way upstream's daos_server does; returns the exit status. */
static int
fail(const struct d_cli_ctx *ctx, int rc, const char *msg)
{
	bool no_pmem = rc == -DER_NONEXIST && strstr(msg, "No PMem modules exist") != NULL;

	if (json_mode(ctx)) {
		d_json_envelope_print(stdout, NULL, msg, rc != 0 ? rc : -DER_MISC);
		return 1;
	}
	if (no_pmem) {
		fprintf(stderr, "ERROR: storage: code = %d description = \"%s\"\n", NO_PMEM_CODE,
			msg);
		fprintf(stderr, "ERROR: storage: code = %d resolution = \"%s\"\n", NO_PMEM_CODE,
			NO_PMEM_RESOLUTION);
	} else {
		fprintf(stderr, "ERROR: %s\n", msg);
	}
	return 1;
}

/* Print a finished JSON response (or null) in the envelope; returns the exit status. */
static int
json_done(struct d_json *w)
{
	int rc = w != NULL ? d_json_finish(w) : 0;

	if (rc != 0) {
		d_json_envelope_print(stdout, NULL, "out of memory building JSON output", rc);
		d_json_destroy(w);
		return 1;
	}
	d_json_envelope_print(stdout, w, NULL, 0);
	d_json_destroy(w);
	return 0;
}

/* Common start of every storage command; returns 0 or the exit status. */
static int
storage_init(const struct d_cli_ctx *ctx)
{
	struct d_errbuf eb = {{0}};
	int		rc = srv_check_dupe_process(&eb);

	return rc != 0 ? fail(ctx, rc, eb.msg) : 0;
}

static int
get_socket(const struct d_cli_ctx *ctx, int *socket)
{
	long v;

	if (!d_cli_has(ctx, "socket")) {
		*socket = -1;
		return 0;
	}
	if (d_cli_get_long(ctx, "socket", 0, 1023, -1, &v) != 0)
		return -DER_INVAL;
	*socket = (int)v;
	return 0;
}

/* Upstream's GetConsent: "yes" continues, "no" or end of input refuses. */
static bool
get_consent(void)
{
	char line[64];

	printf("Are you sure you want to continue? (yes/no)\n");
	for (;;) {
		fflush(stdout);
		if (fgets(line, sizeof(line), stdin) == NULL) {
			fprintf(stderr, "ERROR: Error reading input: EOF\n");
			return false;
		}
		line[strcspn(line, "\r\n")] = '\0';
		if (strcmp(line, "yes") == 0)
			return true;
		if (strcmp(line, "no") == 0)
			return false;
		printf("Please type yes or no and then press enter:\n");
	}
}

/* The warning, then consent unless --force; returns 0 or the exit status. */
static int
confirm(const struct d_cli_ctx *ctx, bool force)
{
	if (!json_mode(ctx))
		printf("%s", MSG_PREPARE_WARN);
	if (force)
		return 0;
	if (json_mode(ctx))
		return fail(ctx, -DER_INVAL, "JSON output only supported with force option");
	if (!get_consent())
		return fail(ctx, -DER_CANCELED, "consent not given");
	return 0;
}

/* ---- scm ------------------------------------------------------------------ */

/*
 * `into`: in JSON mode, the open object of a combined response (storage
 * prepare) to add to, instead of printing an envelope of our own.
 */
static int
do_scm_prepare(const struct d_cli_ctx *ctx, long nr_ns, int socket, bool force, struct d_json *into)
{
	struct ctl_scm_prepare_req  req = {.nr_ns_per_socket = (unsigned int)nr_ns,
					   .socket = socket};
	struct ctl_scm_prepare_resp resp = {0};
	struct d_errbuf		    eb = {{0}};
	bool			    json = json_mode(ctx);
	struct d_json		   *w;
	int			    rc;

	if (nr_ns < 1)
		return fail(ctx, -DER_INVAL,
			    "(-S|--scm-ns-per-socket) should be set to at least 1");
	if (!json)
		printf("Prepare locally-attached PMem...\n");
	rc = confirm(ctx, force);
	if (rc != 0)
		return rc;
	rc = ctl_scm_prepare(&req, &resp, json ? NULL : stdout, &eb);
	if (rc != 0)
		return fail(ctx, rc, eb.msg);
	if (into != NULL) {
		d_json_bool(into, "reboot_required", resp.reboot_required);
		ctl_storage_json_namespaces(into, "scm_namespaces", resp.namespaces,
					    resp.nr_namespaces);
		ctl_scm_prepare_resp_fini(&resp);
		return 0;
	}
	if (resp.reboot_required) {
		ctl_scm_prepare_resp_fini(&resp);
		return json ? json_done(NULL) : 0;
	}
	if (json) {
		w = d_json_create();
		if (w != NULL)
			ctl_storage_json_namespaces(w, NULL, resp.namespaces, resp.nr_namespaces);
		ctl_scm_prepare_resp_fini(&resp);
		return w != NULL ? json_done(w) : fail(ctx, -DER_NOMEM, "out of memory");
	}
	ctl_storage_print_scm_namespaces(stdout, resp.namespaces, resp.nr_namespaces);
	ctl_scm_prepare_resp_fini(&resp);
	return 0;
}

static int
do_scm_reset(const struct d_cli_ctx *ctx, int socket, bool force, bool quiet_json)
{
	struct d_errbuf eb = {{0}};
	bool		json = json_mode(ctx);
	int		rc;

	if (!json)
		printf("Reset locally-attached PMem...\n");
	rc = confirm(ctx, force);
	if (rc != 0)
		return rc;
	rc = ctl_scm_reset(socket, json ? NULL : stdout, &eb);
	if (rc != 0)
		return fail(ctx, rc, eb.msg);
	return json && !quiet_json ? json_done(NULL) : 0;
}

static int
scm_prepare_run(struct d_cli_ctx *ctx)
{
	long nr;
	int  socket;
	int  rc;

	if ((rc = storage_init(ctx)) != 0)
		return rc;
	if (d_cli_get_long(ctx, "scm-ns-per-socket", 0, 1024, 1, &nr) != 0 ||
	    get_socket(ctx, &socket) != 0)
		return 1;
	return do_scm_prepare(ctx, nr, socket, d_cli_has(ctx, "force"), NULL);
}

static int
scm_reset_run(struct d_cli_ctx *ctx)
{
	int socket;
	int rc;

	if ((rc = storage_init(ctx)) != 0)
		return rc;
	if (get_socket(ctx, &socket) != 0)
		return 1;
	return do_scm_reset(ctx, socket, d_cli_has(ctx, "force"), false);
}

static int
scan(const struct d_cli_ctx *ctx, unsigned int flags, struct ctl_storage_scan **s)
{
	struct d_errbuf eb = {{0}};
	int		rc;

	rc = ctl_storage_scan(flags, s, &eb);
	return rc != 0 ? fail(ctx, rc, eb.msg) : 0;
}

/* Keep only the PMem of one socket. */
static void
filter_socket(struct ctl_storage_scan *s, int socket)
{
	int i, n;

	if (socket < 0)
		return;
	for (i = n = 0; i < s->nr_modules; i++)
		if (s->modules[i].socket_id == (uint32_t)socket)
			s->modules[n++] = s->modules[i];
	s->nr_modules = n;
	for (i = n = 0; i < s->nr_namespaces; i++)
		if (s->namespaces[i].numa_node == (uint32_t)socket)
			s->namespaces[n++] = s->namespaces[i];
	s->nr_namespaces = n;
}

static int
scm_scan_run(struct d_cli_ctx *ctx)
{
	struct ctl_storage_scan *s = NULL;
	struct d_json		*w;
	int			 socket;
	int			 rc;

	if ((rc = storage_init(ctx)) != 0)
		return rc;
	if (get_socket(ctx, &socket) != 0)
		return 1;
	if (!json_mode(ctx))
		printf("Scanning locally-attached PMem storage...\n");
	if ((rc = scan(ctx, CTL_SCAN_SCM, &s)) != 0)
		return rc;
	filter_socket(s, socket);
	if (json_mode(ctx)) {
		w = d_json_create();
		if (w != NULL && s->nr_namespaces > 0)
			ctl_storage_json_namespaces(w, NULL, s->namespaces, s->nr_namespaces);
		else if (w != NULL)
			ctl_storage_json_modules(w, NULL, s);
		ctl_storage_scan_free(s);
		return w != NULL ? json_done(w) : fail(ctx, -DER_NOMEM, "out of memory");
	}
	ctl_storage_print_scm(stdout, s);
	ctl_storage_scan_free(s);
	return 0;
}

/* ---- nvme ----------------------------------------------------------------- */

static int
do_nvme(const struct d_cli_ctx *ctx, bool reset, const char *allow, long hugepages, bool quiet_json)
{
	struct ctl_nvme_prepare_req req = {
		.nr_hugepages = hugepages,
		.target_user = d_cli_get(ctx, "target-user"),
		.allow_list = allow,
		.block_list = d_cli_get(ctx, "pci-block-list"),
		.disable_vfio = d_cli_has(ctx, "disable-vfio"),
	};
	struct d_errbuf eb = {{0}};
	bool		json = json_mode(ctx);
	int		rc;

	rc = reset ? ctl_nvme_reset(&req, json ? NULL : stdout, &eb)
		   : ctl_nvme_prepare(&req, json ? NULL : stdout, &eb);
	if (rc != 0)
		return fail(ctx, rc, eb.msg);
	return json && !quiet_json ? json_done(NULL) : 0;
}

static int
nvme_prep_reset(struct d_cli_ctx *ctx, bool reset)
{
	long hugepages = 0;
	int  rc;

	if ((rc = storage_init(ctx)) != 0)
		return rc;
	if (ctx->argc > 1)
		return fail(ctx, -DER_INVAL,
			    "expected at most one pci-allow-list argument "
			    "(comma-separated PCI addresses)");
	if (!reset && d_cli_get_long(ctx, "hugepages", 0, 1L << 30, 0, &hugepages) != 0)
		return 1;
	return do_nvme(ctx, reset, ctx->argc == 1 ? ctx->argv[0] : NULL, hugepages, false);
}

static int
nvme_prepare_run(struct d_cli_ctx *ctx)
{
	return nvme_prep_reset(ctx, false);
}

static int
nvme_reset_run(struct d_cli_ctx *ctx)
{
	return nvme_prep_reset(ctx, true);
}

static int
nvme_scan_run(struct d_cli_ctx *ctx)
{
	struct ctl_storage_scan *s = NULL;
	struct d_json		*w;
	int			 rc;

	if ((rc = storage_init(ctx)) != 0)
		return rc;
	if (!json_mode(ctx))
		printf("Scan locally-attached NVMe storage...\n");
	if ((rc = scan(ctx, CTL_SCAN_NVME | CTL_SCAN_HEALTH, &s)) != 0)
		return rc;
	if (json_mode(ctx)) {
		w = d_json_create();
		if (w != NULL)
			ctl_storage_json_ctrlrs(w, NULL, s);
		ctl_storage_scan_free(s);
		return w != NULL ? json_done(w) : fail(ctx, -DER_NOMEM, "out of memory");
	}
	ctl_storage_print_nvme(stdout, s);
	ctl_storage_scan_free(s);
	return 0;
}

/* ---- storage (the deployment guide's syntax) -------------------------------- */

static int
storage_scan_run(struct d_cli_ctx *ctx)
{
	struct ctl_storage_scan *s = NULL;
	struct ctl_storage_group g;
	struct d_json		*w;
	char			 host[256];
	int			 rc;

	if ((rc = storage_init(ctx)) != 0)
		return rc;
	if ((rc = scan(ctx, CTL_SCAN_ALL, &s)) != 0)
		return rc;
	if (json_mode(ctx)) {
		w = d_json_create();
		if (w != NULL)
			ctl_storage_json_host(w, NULL, s);
		ctl_storage_scan_free(s);
		return w != NULL ? json_done(w) : fail(ctx, -DER_NOMEM, "out of memory");
	}
	ctl_hw()->host_name(host, sizeof(host));
	g.hosts = host;
	g.scan = s;
	if (d_cli_has(ctx, "nvme-health"))
		ctl_storage_print_health(stdout, &g, 1);
	else
		ctl_storage_print_verbose(stdout, &g, 1);
	ctl_storage_scan_free(s);
	return 0;
}

/* JSON: one envelope for both tiers ({"reboot_required", "scm_namespaces"} when SCM was prepared).
 */
static int
storage_prepare_run(struct d_cli_ctx *ctx)
{
	bool	       scm_only = d_cli_has(ctx, "scm-only");
	bool	       nvme_only = d_cli_has(ctx, "nvme-only");
	bool	       reset = d_cli_has(ctx, "reset");
	bool	       force = d_cli_has(ctx, "force");
	bool	       json = json_mode(ctx);
	struct d_json *w = NULL;
	long	       nr = 1, hugepages = 0;
	int	       rc_scm = 0, rc_nvme = 0;
	int	       rc;

	if ((rc = storage_init(ctx)) != 0)
		return rc;
	if (scm_only && nvme_only)
		return fail(ctx, -DER_INVAL,
			    "nvme-only and scm-only options should not be set "
			    "together");
	if (d_cli_get_long(ctx, "scm-ns-per-socket", 0, 1024, 1, &nr) != 0 ||
	    d_cli_get_long(ctx, "hugepages", 0, 1L << 30, 0, &hugepages) != 0)
		return 1;
	if (json) {
		w = d_json_create();
		if (w == NULL)
			return fail(ctx, -DER_NOMEM, "out of memory");
		d_json_obj_begin(w, NULL);
	}
	if (!nvme_only) {
		struct ctl_storage_scan *s = NULL;

		/* Without --scm-only, a host without PMem is not an error (upstream). */
		if (!scm_only) {
			if ((rc = scan(ctx, CTL_SCAN_SCM, &s)) != 0) {
				d_json_destroy(w);
				return rc;
			}
			rc = s->nr_modules;
			ctl_storage_scan_free(s);
			if (rc == 0 && !json)
				printf("No PMem modules exist on storage server\n");
		}
		if (scm_only || rc > 0)
			rc_scm = reset ? do_scm_reset(ctx, -1, force, json)
				       : do_scm_prepare(ctx, nr, -1, force, w);
	}
	if (!scm_only && rc_scm == 0)
		rc_nvme = do_nvme(ctx, reset, d_cli_get(ctx, "pci-allow-list"), hugepages, json);
	if (rc_scm != 0 || rc_nvme != 0) {
		d_json_destroy(w); /* the failure printed its own envelope */
		return rc_scm != 0 ? rc_scm : rc_nvme;
	}
	if (json) {
		d_json_obj_end(w);
		return json_done(w);
	}
	return 0;
}

/* ---- command tables ------------------------------------------------------- */

static const struct d_cli_opt socket_opt_help[] = {
	{.long_name = "socket",
	 .type = D_OPT_STR,
	 .arg_name = "SOCKET",
	 .help = "Perform PMem namespace operations on the socket identified by this ID "
		 "(defaults to all sockets)"},
	{0},
};

static const struct d_cli_opt scm_prepare_opts[] = {
	{.short_name = 'S',
	 .long_name = "scm-ns-per-socket",
	 .type = D_OPT_STR,
	 .arg_name = "N",
	 .help = "Number of PMem namespaces to create per socket",
	 .deflt = "1"},
	{.short_name = 'f',
	 .long_name = "force",
	 .help = "Perform SCM operations without waiting for confirmation"},
	{.long_name = "socket",
	 .type = D_OPT_STR,
	 .arg_name = "SOCKET",
	 .help = "Perform PMem namespace operations on the socket identified by this ID "
		 "(defaults to all sockets)"},
	{.short_name = 'l', .long_name = "helper-log-file", .type = D_OPT_STR, .hidden = true},
	{0},
};

static const struct d_cli_opt scm_reset_opts[] = {
	{.short_name = 'f',
	 .long_name = "force",
	 .help = "Perform PMem prepare operation without waiting for confirmation"},
	{.long_name = "socket",
	 .type = D_OPT_STR,
	 .arg_name = "SOCKET",
	 .help = "Perform PMem namespace operations on the socket identified by this ID "
		 "(defaults to all sockets)"},
	{.short_name = 'l', .long_name = "helper-log-file", .type = D_OPT_STR, .hidden = true},
	{0},
};

static const struct d_cli_cmd scm_subcmds[] = {
	{.name = "prepare",
	 .help = "Prepare SCM devices so that they can be used with DAOS",
	 .opts = scm_prepare_opts,
	 .run = scm_prepare_run},
	{.name = "reset",
	 .help = "Reset SCM devices that have been used with DAOS",
	 .opts = scm_reset_opts,
	 .run = scm_reset_run},
	{.name = "scan", .help = "Scan SCM devices", .opts = socket_opt_help, .run = scm_scan_run},
	{0},
};

const struct d_cli_cmd srv_scm_cmd = {
	.name = "scm",
	.help = "Perform tasks related to locally-attached SCM storage",
	.subcmds = scm_subcmds,
};

#define NVME_COMMON_OPTS                                                                           \
	{.long_name = "pci-block-list",                                                            \
	 .type = D_OPT_STR,                                                                        \
	 .arg_name = "LIST",                                                                       \
	 .help = "Comma-separated list of PCI devices (by address) to be left alone"},             \
		{.short_name = 'u',                                                                \
		 .long_name = "target-user",                                                       \
		 .type = D_OPT_STR,                                                                \
		 .arg_name = "USER",                                                               \
		 .help = "User that will own the NVMe block devices (default: running user)"},     \
		{.long_name = "disable-vfio",                                                      \
		 .help = "Force SPDK to use the UIO driver for NVMe device access (only checked "  \
			 "here: devices stay with the kernel driver)"},                            \
	{                                                                                          \
		.short_name = 'l', .long_name = "helper-log-file", .type = D_OPT_STR,              \
		.hidden = true                                                                     \
	}

static const struct d_cli_opt nvme_prepare_opts[] = {
	{.short_name = 'p',
	 .long_name = "hugepages",
	 .type = D_OPT_STR,
	 .arg_name = "N",
	 .help = "Number of hugepages to reserve (at least 128)"},
	NVME_COMMON_OPTS,
	{0},
};

static const struct d_cli_opt nvme_reset_opts[] = {
	NVME_COMMON_OPTS,
	{0},
};

static const struct d_cli_opt nvme_scan_opts[] = {
	{.long_name = "disable-vmd", .help = "Disable VMD-aware scan (no VMD support here)"},
	{.long_name = "skip-prep",
	 .help = "Skip preparation of devices during scan (never needed here: the kernel "
		 "driver keeps the devices)"},
	{0},
};

static const struct d_cli_cmd nvme_subcmds[] = {
	{.name = "prepare",
	 .help = "Prepare NVMe SSDs for use by DAOS",
	 .opts = nvme_prepare_opts,
	 .run = nvme_prepare_run,
	 .args_usage = "[pci-allow-list]"},
	{.name = "reset",
	 .help = "Reset NVMe SSDs for use by OS",
	 .opts = nvme_reset_opts,
	 .run = nvme_reset_run,
	 .args_usage = "[pci-allow-list]"},
	{.name = "scan", .help = "Scan NVMe SSDs", .opts = nvme_scan_opts, .run = nvme_scan_run},
	{0},
};

const struct d_cli_cmd srv_nvme_cmd = {
	.name = "nvme",
	.help = "Perform tasks related to locally-attached NVMe storage",
	.subcmds = nvme_subcmds,
};

static const struct d_cli_opt storage_prepare_opts[] = {
	{.short_name = 'n', .long_name = "nvme-only", .help = "Only prepare NVMe storage."},
	{.short_name = 's', .long_name = "scm-only", .help = "Only prepare SCM."},
	{.long_name = "reset",
	 .help = "Reset SCM (remove namespaces) and give NVMe devices back to root"},
	{.short_name = 'f',
	 .long_name = "force",
	 .help = "Perform SCM operations without waiting for confirmation"},
	{.short_name = 'S',
	 .long_name = "scm-ns-per-socket",
	 .type = D_OPT_STR,
	 .arg_name = "N",
	 .help = "Number of SCM namespaces to create per socket",
	 .deflt = "1"},
	{.long_name = "pci-allow-list",
	 .type = D_OPT_STR,
	 .arg_name = "LIST",
	 .help = "Whitespace or comma separated list of PCI devices (by address) to prepare "
		 "(default is all)"},
	{.short_name = 'p',
	 .long_name = "hugepages",
	 .type = D_OPT_STR,
	 .arg_name = "N",
	 .help = "Number of hugepages to reserve (at least 128)"},
	NVME_COMMON_OPTS,
	{0},
};

static const struct d_cli_opt storage_scan_opts[] = {
	{.short_name = 'n',
	 .long_name = "nvme-health",
	 .help = "Display NVMe device health statistics instead of the device tables"},
	{.short_name = 'd',
	 .long_name = "disable-vmd",
	 .help = "Disable VMD-aware scan.",
	 .hidden = true},
	{0},
};

static const struct d_cli_cmd storage_subcmds[] = {
	{.name = "prepare",
	 .help = "Prepare SCM and NVMe storage attached to the local server",
	 .opts = storage_prepare_opts,
	 .run = storage_prepare_run},
	{.name = "scan",
	 .help = "Scan SCM and NVMe storage attached to the local server",
	 .opts = storage_scan_opts,
	 .run = storage_scan_run},
	{0},
};

const struct d_cli_cmd srv_storage_cmd = {
	.name = "storage",
	.help = "Perform tasks related to locally-attached storage",
	.subcmds = storage_subcmds,
};
