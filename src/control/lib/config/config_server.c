/*
 * daos_server.yml: the server key table, loading (strict parse, system name,
 * single provider, access_points migration), the server-level Validate()
 * rules of upstream in their order, command-line overrides, and the
 * effective configuration written to <socket_dir>/.daos_server.active.yml.
 * Engine and storage rules are in config_engine.c.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daos_build.h"
#include "common/fs.h"
#include "control/lib/config/config_internal.h"

#define MSG_APS_MSREPS "access_points is deprecated; please use mgmt_svc_replicas instead"

static const struct cfg_key metadata_keys[] = {
	{"path", CT_STR, offsetof(struct ctl_metadata, path)},
	{"device", CT_STR, offsetof(struct ctl_metadata, device)},
	{"allow_spdk_conf_override", CT_BOOL,
	 offsetof(struct ctl_metadata, allow_spdk_conf_override)},
};
static const struct cfg_section metadata_section = {"control_metadata", sizeof(struct ctl_metadata),
						    metadata_keys, D_ARRAY_SIZE(metadata_keys)};

static const struct cfg_key support_keys[] = {
	{"file_transfer_exec", CT_STR, offsetof(struct ctl_support, file_transfer_exec)},
};
static const struct cfg_section support_section = {"support_config", sizeof(struct ctl_support),
						   support_keys, D_ARRAY_SIZE(support_keys)};

#define SK(f) offsetof(struct ctl_server_config, f)

static const struct cfg_key server_keys[] = {
	{"name", CT_STR, SK(name), .deflt = CTL_DEFAULT_SYSTEM_NAME},
	{"mgmt_svc_replicas", CT_STRLIST, SK(mgmt_svc_replicas)},
	{"access_points", CT_STRLIST, SK(access_points), .flags = CF_NO_PRINT},
	{"control_metadata", CT_SECTION, SK(control_metadata), .sub = &metadata_section},
	{"port", CT_INT, SK(port), .min = INT32_MIN, .max = INT32_MAX, .deflt = "10001"},
	{"control_iface", CT_STR, SK(control_iface)},
	{"transport_config", CT_SECTION, SK(transport), .sub = &cfg_server_transport_section},
	{"fault_path", CT_STR, SK(fault_path)},
	{"fault_cb", CT_STR, SK(fault_cb)},
	{"provider", CT_STR, SK(fabric.provider)},
	{"fabric_iface", CT_STR, SK(fabric.fabric_iface)},
	{"fabric_iface_port", CT_INT, SK(fabric.fabric_iface_port), .min = INT32_MIN,
	 .max = INT32_MAX},
	{"bypass_health_chk", CT_BOOL, SK(fabric.bypass_health_chk)},
	{"crt_timeout", CT_INT, SK(fabric.crt_timeout), .min = 0, .max = UINT32_MAX},
	{"disable_srx", CT_BOOL, SK(fabric.disable_srx)},
	{"fabric_auth_key", CT_STR, SK(fabric.fabric_auth_key)},
	{"secondary_provider_endpoints", CT_INTLIST, SK(fabric.secondary_provider_endpoints),
	 .min = INT32_MIN, .max = INT32_MAX},
	{"core_dump_filter", CT_INT, SK(core_dump_filter), .min = 0, .max = 255, .deflt = "0x13"},
	{"bdev_exclude", CT_STRLIST, SK(bdev_exclude)},
	{"disable_vfio", CT_BOOL, SK(disable_vfio)},
	{"disable_vmd", CT_BOOL, SK(disable_vmd)},
	{"disable_hotplug", CT_BOOL, SK(disable_hotplug), .set_off = SK(disable_hotplug_set)},
	{"enable_hotplug", CT_BOOL, SK(enable_hotplug), .set_off = SK(enable_hotplug_set),
	 .flags = CF_NO_PRINT},
	{"hyperthreads", CT_BOOL, SK(hyperthreads)},
	{"socket_dir", CT_STR, SK(socket_dir), .deflt = "/var/run/daos_server"},
	{"nr_hugepages", CT_INT, SK(nr_hugepages), .min = INT64_MIN, .max = INT64_MAX},
	{"disable_hugepages", CT_BOOL, SK(disable_hugepages)},
	{"allow_numa_imbalance", CT_BOOL, SK(allow_numa_imbalance)},
	{"allow_thp", CT_BOOL, SK(allow_thp)},
	{"kernel_config_path", CT_STR, SK(kernel_config_path)},
	{"system_ram_reserved", CT_INT, SK(system_ram_reserved), .min = INT32_MIN, .max = INT32_MAX,
	 .deflt = "64"},
	{"control_log_mask", CT_STR, SK(control_log_mask), .deflt = "INFO",
	 .check = cfg_control_log_mask_check},
	{"control_log_file", CT_STR, SK(control_log_file)},
	{"control_log_json", CT_BOOL, SK(control_log_json)},
	{"helper_log_file", CT_STR, SK(helper_log_file)},
	{"firmware_helper_log_file", CT_STR, SK(firmware_helper_log_file), .flags = CF_NO_PRINT},
	{"telemetry_port", CT_INT, SK(telemetry_port), .min = INT32_MIN, .max = INT32_MAX},
	{"disable_engine_auto_restart", CT_BOOL, SK(disable_engine_auto_restart)},
	{"engine_auto_restart_min_delay", CT_INT, SK(engine_auto_restart_min_delay),
	 .min = INT32_MIN, .max = INT32_MAX, .deflt = "300"},
	{"client_env_vars", CT_STRLIST, SK(client_env_vars)},
	{"support_config", CT_SECTION, SK(support_config), .sub = &support_section},
	{"engines", CT_SECTLIST, SK(engines), .cnt_off = SK(nengines), .sub = &cfg_engine_section},
};

static const struct cfg_section server_section = {"server", sizeof(struct ctl_server_config),
						  server_keys, D_ARRAY_SIZE(server_keys)};

/* Load-time rules (upstream Server.Load after the strict unmarshal). */
static void
server_validate(struct cfg_ctx *cx, void *obj)
{
	struct ctl_server_config *cfg = obj;

	cfg_sys_name_check(cx, cfg->name, true);
	if (cfg_count_items(cfg->fabric.provider) > 1)
		cfg_verr(cx, "provider",
			 "fabric provider string \"%s\" includes more than one provider; configure "
			 "a single provider",
			 cfg->fabric.provider);
	if (cfg->access_points.n > 0 && cfg->mgmt_svc_replicas.n > 0)
		cfg_verr(cx, "access_points", MSG_APS_MSREPS);
}

/* access_points migration and the default replica; the defaults get them too. */
static int
server_derive(struct cfg_ctx *cx, void *obj)
{
	struct ctl_server_config *cfg = obj;
	char			  rep[32];

	if (cfg->access_points.n > 0 && cfg->mgmt_svc_replicas.n == 0) {
		cfg_vnotice(cx, "access_points", MSG_APS_MSREPS);
		cfg->mgmt_svc_replicas = cfg->access_points;
		memset(&cfg->access_points, 0, sizeof(cfg->access_points));
	}
	/* This server itself, on the port it listens on (upstream: localhost:<port>). */
	if (cfg->mgmt_svc_replicas.n == 0) {
		snprintf(rep, sizeof(rep), "localhost:%lld",
			 cfg->port > 0 && cfg->port <= 65535 ? (long long)cfg->port
							     : (long long)CTL_DEFAULT_PORT);
		if (cfg_strlist_add(&cfg->mgmt_svc_replicas, rep) != 0)
			return -DER_NOMEM;
		cfg->replicas_default = true;
	}
	return 0;
}

const struct cfg_file cfg_server_file = {
	.name = "daos_server.yml",
	.sec = &server_section,
	.path_off = SK(path),
	.doc_off = SK(doc),
	.validate = server_validate,
	.derive = server_derive,
};

void
ctl_server_config_destroy(struct ctl_server_config *cfg)
{
	cfg_file_destroy(&cfg_server_file, cfg);
}

int
ctl_server_config_default(struct ctl_server_config **out)
{
	return cfg_file_default(&cfg_server_file, (void **)out);
}

int
ctl_server_config_load(const char *path, struct ctl_server_config **out, struct d_diags *diags)
{
	return cfg_file_load(&cfg_server_file, path, (void **)out, diags);
}

int
ctl_server_config_load_string(const char *name, const char *text, struct ctl_server_config **out,
			      struct d_diags *diags)
{
	return cfg_file_load_string(&cfg_server_file, name, text, (void **)out, diags);
}

/* ---- validation ------------------------------------------------------------------ */

/*
 * Split "host[:port]" ("[v6]:port" too).  Returns 0 with *port = 0 when no
 * port is given; -DER_INVAL for a malformed address; -DER_BADPATH for a bad
 * port (message in eb).
 */
static int
replica_split(const char *addr, char *host, size_t hlen, long *port, struct d_errbuf *eb)
{
	const char *colon, *hend;
	char	   *end;
	long	    v;

	if (addr[0] == '[') {
		hend = strchr(addr, ']');
		if (hend == NULL || (hend[1] != '\0' && hend[1] != ':'))
			return -DER_INVAL;
		colon = hend[1] == ':' ? hend + 1 : NULL;
		addr++;
	} else {
		colon = strchr(addr, ':');
		if (colon != NULL && strchr(colon + 1, ':') != NULL)
			return -DER_INVAL;
		hend = colon ? colon : addr + strlen(addr);
	}
	if (hend == addr || (size_t)(hend - addr) >= hlen)
		return -DER_INVAL;
	memcpy(host, addr, (size_t)(hend - addr));
	host[hend - addr] = '\0';
	*port = 0;
	if (colon == NULL)
		return 0;
	errno = 0;
	v = strtol(colon + 1, &end, 10);
	if (colon[1] == '\0' || *end != '\0' || errno != 0) {
		d_errbuf_set(eb, "port \"%s\" is not a number", colon + 1);
		return -DER_BADPATH;
	}
	if (v <= 0 || v > 65535) {
		d_errbuf_set(eb, "MS replica port cannot be %s",
			     v == 0  ? "zero"
			     : v < 0 ? "negative"
				     : "above 65535");
		return -DER_BADPATH;
	}
	*port = v;
	return 0;
}

/* After migration the replicas still sit under access_points in the file. */
static const char *
replicas_key(const struct ctl_server_config *cfg)
{
	if (cfg->doc != NULL && d_yaml_map_get(cfg->doc->root, "mgmt_svc_replicas") == NULL &&
	    d_yaml_map_get(cfg->doc->root, "access_points") != NULL)
		return "access_points";
	return "mgmt_svc_replicas";
}

static void
replicas_validate(struct cfg_ctx *cx, struct ctl_server_config *cfg)
{
	struct ctl_strlist out = {0};
	const char	  *key = replicas_key(cfg);
	size_t		   i, j;
	bool		   bad = false;

	for (i = 0; i < cfg->mgmt_svc_replicas.n; i++) {
		const char     *a = cfg->mgmt_svc_replicas.v[i];
		char		host[256], p[48], *full;
		struct d_errbuf eb;
		long		port;
		int		rc;

		snprintf(p, sizeof(p), "%s[%zu]", key, i);
		rc = replica_split(a, host, sizeof(host), &port, &eb);
		if (rc == -DER_INVAL) {
			cfg_verr(cx, p,
				 "invalid list of MS replicas in configuration: \"%s\" is not "
				 "a host[:port] address",
				 a);
			bad = true;
			continue;
		}
		if (rc != 0) {
			cfg_verr(cx, p,
				 "invalid control port in configuration: %s (\"%s\"); use a "
				 "port between 1 and 65535 or leave it out to use port",
				 eb.msg, a);
			bad = true;
			continue;
		}
		full = port ? d_asprintf("%s", a) : d_asprintf("%s:%lld", a, (long long)cfg->port);
		if (full == NULL || cfg_strlist_add(&out, full) != 0) {
			D_FREE(full);
			cx->diags->nomem = true;
			bad = true;
			break;
		}
		D_FREE(full);
		for (j = 0; j + 1 < out.n; j++)
			if (strcmp(out.v[j], out.v[out.n - 1]) == 0) {
				cfg_verr(cx, p,
					 "invalid list of MS replicas in configuration: \"%s\" is "
					 "listed twice; list each replica once",
					 out.v[j]);
				bad = true;
			}
	}
	if (bad) {
		cfg_strlist_fini(&out);
		return;
	}
	cfg_strlist_fini(&cfg->mgmt_svc_replicas);
	cfg->mgmt_svc_replicas = out;
}

static void
fault_path_validate(struct cfg_ctx *cx, const char *fp)
{
	const char *p = fp;
	int	    levels = 0;

	while (*p == ' ')
		p++;
	if (*p != '/') {
		cfg_verr(cx, "fault_path",
			 "invalid fault domain: fault path must start with root "
			 "(/); use a path such as /rack1/host1");
		return;
	}
	if (strcmp(p, "/") == 0) {
		cfg_verr(cx, "fault_path",
			 "invalid fault domain: at least one domain level is "
			 "required; use a path such as /rack1/host1");
		return;
	}
	for (p++;;) {
		size_t len = strcspn(p, "/");
		size_t a = 0, b = len;

		while (a < b && (p[a] == ' ' || p[a] == '"'))
			a++;
		while (b > a && (p[b - 1] == ' ' || p[b - 1] == '"'))
			b--;
		if (a == b) {
			cfg_verr(cx, "fault_path",
				 "invalid fault domain: empty string is an invalid "
				 "fault domain; remove the empty level from \"%s\"",
				 fp);
			return;
		}
		if (memchr(p + a, '=', b - a) != NULL) {
			cfg_verr(cx, "fault_path",
				 "invalid fault domain: '=' is a reserved "
				 "character in fault domain levels");
			return;
		}
		levels++;
		p += len;
		if (*p == '\0')
			break;
		p++;
	}
	if (levels > 2)
		cfg_verr(cx, "fault_path",
			 "the fault domain path may have a maximum of 2 levels "
			 "below the root; shorten \"%s\"",
			 fp);
}

/* Upstream's FaultConfigFaultCallbackInsecure, naming the directory it must be under. */
static void
fault_cb_unsafe(struct cfg_ctx *cx, const char *dir, size_t dl)
{
	cfg_verr(cx, "fault_cb",
		 "fault domain callback script does not meet security requirements; ensure that "
		 "the 'fault_cb' path is under the parent directory \"%.*s\", not a symbolic "
		 "link, does not have the setuid bit set, and does not have write permissions for "
		 "non-owners",
		 (int)dl, dir);
}

static void
fault_cb_validate(struct cfg_ctx *cx, const struct ctl_server_config *cfg)
{
	const char *dir = cfg->fault_cb_dir ? cfg->fault_cb_dir : DAOS_CONFIG_DIR;
	char	    cwd[PATH_MAX], *abs = NULL;
	struct stat st;
	size_t	    dl = strlen(dir);

	if (cfg->fault_cb[0] == '/')
		abs = d_asprintf("%s", cfg->fault_cb);
	else if (getcwd(cwd, sizeof(cwd)) != NULL)
		abs = d_asprintf("%s/%s", cwd, cfg->fault_cb);
	if (abs == NULL) {
		cx->diags->nomem = true;
		return;
	}
	while (dl > 1 && dir[dl - 1] == '/')
		dl--;
	if (strncmp(abs, dir, dl) != 0 || abs[dl] != '/' || strstr(abs, "/../") != NULL) {
		fault_cb_unsafe(cx, dir, dl);
		goto out;
	}
	if (lstat(abs, &st) != 0) {
		if (errno == EACCES)
			cfg_verr(cx, "fault_cb",
				 "fault domain callback cannot be executed; check "
				 "the permissions of \"%s\"",
				 abs);
		else
			cfg_verr(
				cx, "fault_cb",
				"fault domain callback script not found; specify a "
				"valid fault domain callback script ('fault_cb' parameter), \"%s\" "
				"does not exist",
				abs);
		goto out;
	}
	if (S_ISLNK(st.st_mode) || (st.st_mode & S_ISUID) || (st.st_mode & 022)) {
		fault_cb_unsafe(cx, dir, dl);
		goto out;
	}
	if (!S_ISREG(st.st_mode) || access(abs, X_OK) != 0)
		cfg_verr(cx, "fault_cb",
			 "fault domain callback cannot be executed; make \"%s\" an "
			 "executable file for the DAOS server user",
			 abs);
out:
	D_FREE(abs);
}

static bool
provider_append_rxm(char **prov)
{
	if (*prov == NULL || strcmp(*prov, "ofi+verbs") != 0)
		return true;
	return cfg_str_set(prov, "ofi+verbs;ofi_rxm") == 0;
}

int
ctl_server_config_validate(struct ctl_server_config *cfg, struct d_diags *diags)
{
	struct cfg_ctx cx = {.diags = diags, .doc = cfg->doc};
	size_t	       i, j, k;
	bool	       nvme = false;

	/* 1. deprecated hotplug switch */
	if (cfg->enable_hotplug_set) {
		if (cfg->disable_hotplug_set) {
			cfg_verr(
				&cx, "enable_hotplug",
				"'enable_hotplug' setting is deprecated and no "
				"longer supported; set 'disable_hotplug: true' in server config file "
				"to disable hotplug and remove enable_hotplug");
		} else {
			cfg_vnotice(&cx, "enable_hotplug",
				    "enable_hotplug is deprecated; please use "
				    "disable_hotplug instead (false by default)");
			cfg->disable_hotplug = !cfg->enable_hotplug;
			cfg->disable_hotplug_set = true;
		}
	}
	if (cfg->firmware_helper_log_file != NULL) {
		if (cfg->helper_log_file != NULL) {
			cfg_verr(&cx, "firmware_helper_log_file",
				 "firmware_helper_log_file is "
				 "deprecated; please use helper_log_file instead (both are set, "
				 "remove firmware_helper_log_file)");
		} else {
			cfg_vnotice(&cx, "firmware_helper_log_file",
				    "firmware_helper_log_file is "
				    "deprecated; please use helper_log_file instead");
			cfg->helper_log_file = cfg->firmware_helper_log_file;
			cfg->firmware_helper_log_file = NULL;
		}
	}
	/* 2. MS replicas: ports filled from `port`, no duplicates */
	replicas_validate(&cx, cfg);
	/* 3. metadata device needs a mount point */
	if (cfg->control_metadata.device != NULL && cfg->control_metadata.path == NULL)
		cfg_verr(&cx, "control_metadata.device",
			 "using a control_metadata device requires "
			 "a path to use as the mount point; add a valid 'path' to the "
			 "'control_metadata' section of the config");
	/* 4. */
	if (cfg->system_ram_reserved <= 0)
		cfg_verr(&cx, "system_ram_reserved",
			 "`system_ram_reserved` is set to zero in "
			 "server config; set `system_ram_reserved` to a positive integer value "
			 "(GiB) in config, default 64");
	if (cfg->engine_auto_restart_min_delay < 0)
		cfg_verr(&cx, "engine_auto_restart_min_delay",
			 "engine_auto_restart_min_delay must "
			 "be >= 0 (got %lld)",
			 (long long)cfg->engine_auto_restart_min_delay);
	/* checks done when the server starts upstream, but decidable from the file alone */
	if (cfg->fault_path != NULL && cfg->fault_cb != NULL)
		cfg_verr(&cx, "fault_cb",
			 "both fault domain and fault path are defined in the "
			 "configuration; remove either the fault domain ('fault_path' parameter) "
			 "or callback script ('fault_cb' parameter)");
	else if (cfg->fault_path != NULL)
		fault_path_validate(&cx, cfg->fault_path);
	else if (cfg->fault_cb != NULL)
		fault_cb_validate(&cx, cfg);
	cfg_env_list_check(&cx, &cfg->client_env_vars, "client_env_vars");

	/* 5. discovery mode: the listener still needs a port (start and validate agree) */
	if (cfg->nengines == 0) {
		cfg_notice(&cx, 0, NULL,
			   "No DAOS I/O Engines in configuration, DAOS Control "
			   "Server starting in discovery mode");
		if (cfg->port <= 0 || cfg->port > 65535)
			cfg_verr(&cx, "port",
				 "port %lld is out of range; set a TCP port between 1 and 65535 "
				 "(default 10001)",
				 (long long)cfg->port);
		goto out;
	}

	/* 6. replica count */
	if (cfg->mgmt_svc_replicas.n < 1)
		cfg_verr(&cx, replicas_key(cfg), "invalid list of MS replicas in configuration");
	else if (cfg->mgmt_svc_replicas.n % 2 == 0)
		cfg_verr(&cx, replicas_key(cfg),
			 "non-odd number of MS replicas in configuration; "
			 "'mgmt_svc_replicas' must contain an odd number (e.g. 1, 3, 5, etc.) of "
			 "addresses, found %zu",
			 cfg->mgmt_svc_replicas.n);
	else if (cfg->mgmt_svc_replicas.n == 1)
		cfg_vnotice(&cx, replicas_key(cfg),
			    "Configuration includes only one MS replica. "
			    "This provides no redundancy in the event of a MS replica failure.");

	/* 7. provider, ports */
	if (cfg->fabric.provider == NULL)
		cfg_verr(&cx, "provider",
			 "provider not specified in server configuration; "
			 "specify a valid network provider in configuration ('provider' "
			 "parameter), e.g. ofi+tcp (see daos_server network scan)");
	if (cfg->port <= 0 || cfg->port > 65535)
		cfg_verr(&cx, "port",
			 "invalid control port in configuration; specify a positive "
			 "non-zero network port in configuration ('port' parameter), e.g. 10001");
	if (cfg->telemetry_port < 0 || cfg->telemetry_port > 65535)
		cfg_verr(&cx, "telemetry_port",
			 "invalid telemetry port in configuration; specify a "
			 "positive non-zero network port in configuration ('telemetry_port' "
			 "parameter), e.g. 9191, or 0 to disable");
	if (!provider_append_rxm(&cfg->fabric.provider))
		cx.diags->nomem = true;

	/* 8. each engine */
	for (i = 0; i < cfg->nengines; i++) {
		if (!provider_append_rxm(&cfg->engines[i].fabric.provider))
			cx.diags->nomem = true;
		cfg_engine_validate(&cx, cfg, i);
	}
	/* 9. across engines */
	if (cfg->nengines > 1)
		cfg_engines_validate_multi(&cx, cfg);

	/* 10. hugepages */
	if (cfg->nr_hugepages < 0 || cfg->nr_hugepages > INT32_MAX)
		cfg_verr(&cx, "nr_hugepages",
			 "number of hugepages specified (%lld) is out of range "
			 "(0 - %d); specify a nr_hugepages value between 0 and %d",
			 (long long)cfg->nr_hugepages, INT32_MAX, INT32_MAX);
	for (i = 0; i < cfg->nengines; i++)
		for (j = 0; j < cfg->engines[i].nstorage; j++)
			nvme |= cfg->engines[i].storage[j].class == CTL_CLASS_NVME &&
				cfg->engines[i].storage[j].bdev_list.n > 0;
	if (cfg->disable_hugepages && cfg->nr_hugepages != 0)
		cfg_verr(&cx, "disable_hugepages",
			 "hugepages cannot be disabled if non-zero number "
			 "has been specified in config; either set false (or remove) "
			 "disable_hugepages or remove nr_hugepages");
	if (cfg->disable_hugepages && nvme)
		cfg_verr(&cx, "disable_hugepages",
			 "hugepages cannot be disabled if nvme-bdevs have "
			 "been specified in config; either set false (or remove) disable_hugepages "
			 "or remove nvme storage assignment in config");

	/* 11. excluded devices must not be in use */
	for (i = 0; i < cfg->nengines; i++)
		for (j = 0; j < cfg->engines[i].nstorage; j++) {
			const struct ctl_tier *t = &cfg->engines[i].storage[j];

			if (t->class != CTL_CLASS_NVME)
				continue;
			for (k = 0; k < t->bdev_list.n; k++)
				if (cfg_strlist_has(&cfg->bdev_exclude, t->bdev_list.v[k])) {
					cfg_verr(
						&cx, "bdev_exclude",
						"'bdev_exclude' list includes "
						"address used in engine config bdev_list (%s in "
						"engines[%zu]); make sure addresses excluded are not "
						"included in engine storage configs",
						t->bdev_list.v[k], i);
				}
		}
out:
	if (diags->nomem)
		return -DER_NOMEM;
	return cx.nerr > 0 ? -DER_INVAL : 0;
}

/* ---- overrides and output -------------------------------------------------------- */

static int
override_int(const char *v, const char *flag, int64_t min, int64_t max, int64_t *out,
	     struct d_errbuf *eb)
{
	int64_t n;

	if (v == NULL)
		return 0;
	if (d_yaml_parse_int(v, &n) != 0 || n < min || n > max) {
		d_errbuf_set(eb,
			     "invalid argument for flag `%s': expected an integer between %lld "
			     "and %lld, got \"%s\"",
			     flag, (long long)min, (long long)max, v);
		return -DER_INVAL;
	}
	*out = n;
	return 0;
}

int
ctl_server_config_override(struct ctl_server_config *cfg, const struct ctl_server_overrides *ov,
			   struct d_errbuf *eb)
{
	size_t	i;
	int64_t v;
	int	rc = 0;

	rc = override_int(ov->port, "-p, --port", 1, 65535, &cfg->port, eb);
	if (rc == 0 && ov->port != NULL && cfg->replicas_default) {
		char rep[32];

		snprintf(rep, sizeof(rep), "localhost:%lld", (long long)cfg->port);
		rc = cfg_str_set(&cfg->mgmt_svc_replicas.v[0], rep);
	}
	if (rc == 0 && ov->targets != NULL) {
		rc = override_int(ov->targets, "-t, --targets", 1, INT32_MAX, &v, eb);
		for (i = 0; rc == 0 && i < cfg->nengines; i++)
			cfg->engines[i].targets = v;
	}
	if (rc == 0 && ov->xs_helpers != NULL) {
		rc = override_int(ov->xs_helpers, "-x, --xshelpernr", 0, INT32_MAX, &v, eb);
		for (i = 0; rc == 0 && i < cfg->nengines; i++)
			cfg->engines[i].nr_xs_helpers = v;
	}
	if (rc == 0 && ov->first_core != NULL) {
		rc = override_int(ov->first_core, "-f, --firstcore", 0, INT32_MAX, &v, eb);
		for (i = 0; rc == 0 && i < cfg->nengines; i++) {
			cfg->engines[i].first_core = v;
			cfg->engines[i].first_core_set = true;
		}
	}
	if (rc != 0)
		return rc;
	if (ov->scm_mount != NULL) {
		struct ctl_tier *t = NULL;

		if (cfg->nengines > 0 && cfg->engines[0].nstorage > 0 &&
		    cfg_class_is_scm(cfg->engines[0].storage[0].class))
			t = &cfg->engines[0].storage[0];
		if (t == NULL) {
			d_errbuf_set(eb, "flag `-s, --storage' needs an engine with an scm tier in "
					 "the config file");
			return -DER_INVAL;
		}
		rc = cfg_str_set(&t->scm_mount, ov->scm_mount);
	}
	if (rc == 0 && ov->modules != NULL)
		for (i = 0; rc == 0 && i < cfg->nengines; i++)
			rc = cfg_str_set(&cfg->engines[i].modules, ov->modules);
	if (rc == 0 && ov->group != NULL)
		rc = cfg_str_set(&cfg->name, ov->group);
	if (rc == 0 && ov->socket_dir != NULL)
		rc = cfg_str_set(&cfg->socket_dir, ov->socket_dir);
	if (rc == 0 && ov->insecure)
		cfg->transport.allow_insecure = true;
	if (rc == -DER_NOMEM)
		d_errbuf_set(eb, "out of memory applying command-line overrides");
	return rc;
}

char *
ctl_server_config_to_yaml(const struct ctl_server_config *cfg)
{
	return cfg_section_to_yaml(&server_section, cfg);
}

int
ctl_server_config_save_active(const struct ctl_server_config *cfg, const char *socket_dir,
			      char **path_out, struct d_errbuf *eb)
{
	struct d_errbuf web;
	char	       *text = NULL, *path = NULL;
	int		rc;

	text = ctl_server_config_to_yaml(cfg);
	path = d_asprintf("%s/%s", socket_dir, CTL_ACTIVE_CONFIG_NAME);
	if (text == NULL || path == NULL) {
		d_errbuf_set(eb, "out of memory writing the active configuration");
		rc = -DER_NOMEM;
		goto out;
	}
	rc = d_file_write_atomic(path, text, strlen(text), 0644, &web);
	if (rc != 0) {
		d_errbuf_set(eb,
			     "cannot save the active configuration: %s; check that socket_dir "
			     "exists and is writable",
			     web.msg);
		goto out;
	}
	*path_out = path;
	path = NULL;
out:
	D_FREE(path);
	D_FREE(text);
	return rc;
}
