/*
 * daos_agent.yml: key table, strict loading and the agent's Validate()
 * rules (system name, include/exclude interface lists, telemetry options),
 * plus the credential section (client_user_map keyed by uid or "default").
 * The agent validates at load time, as upstream does.
 */
#include <limits.h>
#include <regex.h>
#include <stdio.h>

#include "control/lib/config/config_internal.h"

/* ---- custom value types -------------------------------------------------------- */

static int
duration_parse(struct cfg_ctx *cx, const struct d_yaml_node *n, void *field, const char *path)
{
	struct d_errbuf eb;
	const char     *s;
	int64_t		v;

	if (d_yaml_is_null(n)) {
		*(int64_t *)field = 0;
		return 0;
	}
	/* a bare integer is a count of nanoseconds, as for Go's time.Duration */
	if (n->kind == D_YAML_SCALAR && n->plain && d_yaml_parse_int(n->str, &v) == 0) {
		*(int64_t *)field = v;
		return 0;
	}
	if (d_yaml_get_str(n, &s, &eb) != 0) {
		cfg_err(cx, n->line, path, "%s", eb.msg);
		return -DER_INVAL;
	}
	if (cfg_parse_duration(s, &v) != 0) {
		cfg_err(cx, n->line, path,
			"time: invalid duration \"%s\"; use forms such as 30s, "
			"5m or 1h30m",
			s);
		return -DER_INVAL;
	}
	*(int64_t *)field = v;
	return 0;
}

static void
duration_emit(struct cfg_emit *em, const char *key, const void *field)
{
	char buf[48];

	cfg_format_duration(*(const int64_t *)field, buf, sizeof(buf));
	em->ops->str(em, key, buf);
}

static const struct cfg_custom duration_type = {.parse = duration_parse, .emit = duration_emit};

static int
regex_check(struct cfg_ctx *cx, const struct d_yaml_node *n, void *field, const char *path)
{
	const char *s = *(char **)field;
	regex_t	    re;
	int	    rc;

	if (s == NULL) {
		cfg_err(cx, n->line, path,
			"empty regular expression; give a pattern such as "
			"^dfuse$ or remove the key");
		return -DER_INVAL;
	}
	rc = regcomp(&re, s, REG_EXTENDED | REG_NOSUB);
	if (rc != 0) {
		char msg[128];

		regerror(rc, &re, msg, sizeof(msg));
		cfg_err(cx, n->line, path, "invalid regular expression: %s (%s)", s, msg);
		return -DER_INVAL;
	}
	regfree(&re);
	return 0;
}

#define UK(f) offsetof(struct ctl_user_map, f)
static const struct cfg_key user_keys[] = {
	{"user", CT_STR, UK(user)},
	{"group", CT_STR, UK(group)},
	{"groups", CT_STRLIST, UK(groups)},
};
static const struct cfg_section user_section = {
	"client_user_map entry", sizeof(struct ctl_user_map), user_keys, D_ARRAY_SIZE(user_keys)};

static void
user_map_fini(void *field)
{
	struct ctl_credential *c = field;
	size_t		       i;

	for (i = 0; i < c->nclient_user_map; i++)
		cfg_section_fini(&user_section, &c->client_user_map[i]);
	D_FREE(c->client_user_map);
	c->nclient_user_map = 0;
}

static int
user_map_parse(struct cfg_ctx *cx, const struct d_yaml_node *n, void *field, const char *path)
{
	struct ctl_credential *c = field;
	struct ctl_user_map   *v;
	size_t		       i;
	int		       rc = 0;

	user_map_fini(c);
	if (d_yaml_is_null(n))
		return 0;
	if (n->kind != D_YAML_MAP) {
		cfg_err(cx, n->line, path,
			"expected a mapping of uid (or \"default\") to "
			"{user, group, groups}, got %s",
			d_yaml_describe(n));
		return -DER_INVAL;
	}
	D_ALLOC_ARRAY(v, n->count);
	if (v == NULL)
		return -DER_NOMEM;
	c->client_user_map = v;
	for (i = 0; i < n->count; i++) {
		const struct d_yaml_node *kn = n->items[2 * i], *vn = n->items[2 * i + 1];
		char			 *ep = d_asprintf("%s.%s", path, kn->str);
		int64_t			  uid;

		if (ep == NULL)
			return -DER_NOMEM;
		c->nclient_user_map = i + 1;
		cfg_section_defaults(&user_section, &v[i]);
		if (strcmp(kn->str, "default") == 0) {
			v[i].is_default = true;
		} else if (d_yaml_parse_int(kn->str, &uid) != 0 || uid < 0 || uid > UINT32_MAX ||
			   kn->str[0] == '-' || kn->str[0] == '+') {
			cfg_err(cx, kn->line, ep,
				"invalid uid %s; use a numeric uid or \"default\"", kn->str);
			rc = -DER_INVAL;
		} else if (uid == UINT32_MAX) {
			cfg_err(cx, kn->line, ep,
				"uid %lld is reserved; use \"default\" for the "
				"fallback entry",
				(long long)uid);
			rc = -DER_INVAL;
		} else {
			v[i].uid = (uint32_t)uid;
		}
		if (!d_yaml_is_null(vn))
			cfg_section_parse(cx, &user_section, &v[i], vn, ep);
		D_FREE(ep);
	}
	return rc;
}

static void
user_map_emit(struct cfg_emit *em, const char *key, const void *field)
{
	const struct ctl_credential *c = field;
	size_t			     i;
	char			     k[16];

	em->ops->map_begin(em, key);
	for (i = 0; i < c->nclient_user_map; i++) {
		snprintf(k, sizeof(k), "%u", c->client_user_map[i].uid);
		em->ops->map_begin(em, c->client_user_map[i].is_default ? "default" : k);
		cfg_section_emit(em, &user_section, &c->client_user_map[i]);
		em->ops->map_end(em);
	}
	em->ops->map_end(em);
}

static const struct cfg_custom user_map_type = {
	.parse = user_map_parse, .emit = user_map_emit, .fini = user_map_fini};

/* The map and its count live in struct ctl_credential; the custom type gets the struct. */
static const struct cfg_key cred_keys[] = {
	{"cache_expiration", CT_CUSTOM, offsetof(struct ctl_credential, cache_expiration_ns),
	 .custom = &duration_type},
	{"client_user_map", CT_CUSTOM, 0, .custom = &user_map_type},
};
static const struct cfg_section cred_section = {"credential_config", sizeof(struct ctl_credential),
						cred_keys, D_ARRAY_SIZE(cred_keys)};

static const struct cfg_key dev_keys[] = {
	{"iface", CT_STR, offsetof(struct ctl_fabric_dev, iface)},
	{"domain", CT_STR, offsetof(struct ctl_fabric_dev, domain)},
};
static const struct cfg_section dev_section = {
	"fabric_ifaces device", sizeof(struct ctl_fabric_dev), dev_keys, D_ARRAY_SIZE(dev_keys)};

static const struct cfg_key numa_keys[] = {
	{"numa_node", CT_INT, offsetof(struct ctl_numa_fabric, numa_node), .min = 0,
	 .max = INT32_MAX},
	{"devices", CT_SECTLIST, offsetof(struct ctl_numa_fabric, devices),
	 .cnt_off = offsetof(struct ctl_numa_fabric, ndevices), .sub = &dev_section},
};
static const struct cfg_section numa_section = {"fabric_ifaces", sizeof(struct ctl_numa_fabric),
						numa_keys, D_ARRAY_SIZE(numa_keys)};

#define AK(f) offsetof(struct ctl_agent_config, f)

static const struct cfg_key agent_keys[] = {
	{"name", CT_STR, AK(name), .deflt = CTL_DEFAULT_SYSTEM_NAME},
	{"access_points", CT_STRLIST, AK(access_points), .deflt = "[\"localhost:10001\"]"},
	{"port", CT_INT, AK(port), .min = INT32_MIN, .max = INT32_MAX, .deflt = "10001"},
	{"runtime_dir", CT_STR, AK(runtime_dir), .deflt = "/var/run/daos_agent"},
	{"log_file", CT_STR, AK(log_file)},
	{"control_log_mask", CT_STR, AK(control_log_mask), .deflt = "INFO",
	 .check = cfg_control_log_mask_check},
	{"transport_config", CT_SECTION, AK(transport), .sub = &cfg_agent_transport_section},
	{"credential_config", CT_SECTION, AK(credential_config), .sub = &cred_section},
	{"disable_caching", CT_BOOL, AK(disable_caching)},
	{"cache_expiration", CT_INT, AK(cache_expiration), .min = 0, .max = UINT32_MAX},
	{"disable_auto_evict", CT_BOOL, AK(disable_auto_evict)},
	{"enable_evict_on_start", CT_BOOL, AK(enable_evict_on_start)},
	{"exclude_fabric_ifaces", CT_STRLIST, AK(exclude_fabric_ifaces)},
	{"include_fabric_ifaces", CT_STRLIST, AK(include_fabric_ifaces)},
	{"fabric_ifaces", CT_SECTLIST, AK(fabric_ifaces), .cnt_off = AK(nfabric_ifaces),
	 .sub = &numa_section},
	{"telemetry_port", CT_INT, AK(telemetry_port), .min = INT32_MIN, .max = INT32_MAX},
	{"telemetry_enabled", CT_BOOL, AK(telemetry_enabled)},
	{"telemetry_retain", CT_CUSTOM, AK(telemetry_retain_ns), .custom = &duration_type},
	{"telemetry_enabled_procs", CT_STR, AK(telemetry_enabled_procs), .check = regex_check,
	 .flags = CF_OMIT_EMPTY},
	{"telemetry_disabled_procs", CT_STR, AK(telemetry_disabled_procs), .check = regex_check,
	 .flags = CF_OMIT_EMPTY},
};

static const struct cfg_section agent_section = {"agent", sizeof(struct ctl_agent_config),
						 agent_keys, D_ARRAY_SIZE(agent_keys)};

static void
agent_validate(struct cfg_ctx *cx, void *obj)
{
	struct ctl_agent_config *cfg = obj;
	size_t			 i;

	cfg_sys_name_check(cx, cfg->name, false);
	cfg_control_port_check(cx, cfg->port);
	cfg_addr_list_check(cx, &cfg->access_points, "access_points", "access point");
	if (cfg->exclude_fabric_ifaces.n > 0 && cfg->include_fabric_ifaces.n > 0)
		cfg_verr(cx, "include_fabric_ifaces",
			 "cannot specify both exclude_fabric_ifaces and "
			 "include_fabric_ifaces; keep one of the two lists");
	for (i = 0; i < cfg->nfabric_ifaces; i++) {
		size_t j;

		for (j = 0; j < cfg->fabric_ifaces[i].ndevices; j++)
			if (cfg->fabric_ifaces[i].devices[j].iface == NULL) {
				char p[96];

				snprintf(p, sizeof(p), "fabric_ifaces[%zu].devices[%zu]", i, j);
				cfg_verr(cx, p, "iface is required for each fabric device");
			}
	}
	/* telemetry, in upstream's order */
	if (cfg->telemetry_port < 0 || cfg->telemetry_port > 65535)
		cfg_verr(cx, "telemetry_port",
			 "invalid telemetry port %lld; use 1-65535 (9192 is "
			 "typical) or 0 to disable",
			 (long long)cfg->telemetry_port);
	if (cfg->telemetry_retain_ns > 0 && !cfg->telemetry_enabled)
		cfg_verr(cx, "telemetry_retain",
			 "telemetry_retain requires telemetry_enabled: true");
	if (cfg->telemetry_enabled && cfg->telemetry_port == 0)
		cfg_verr(cx, "telemetry_enabled",
			 "telemetry_enabled requires telemetry_port; set "
			 "telemetry_port (e.g. 9192)");
	if (cfg->telemetry_enabled_procs != NULL && !cfg->telemetry_enabled)
		cfg_verr(cx, "telemetry_enabled_procs",
			 "cannot specify telemetry_enabled_procs "
			 "without telemetry_enabled");
	if (cfg->telemetry_disabled_procs != NULL && !cfg->telemetry_enabled)
		cfg_verr(cx, "telemetry_disabled_procs",
			 "cannot specify telemetry_disabled_procs "
			 "without telemetry_enabled");
	if (cfg->telemetry_enabled_procs != NULL && cfg->telemetry_disabled_procs != NULL)
		cfg_verr(cx, "telemetry_disabled_procs",
			 "cannot specify both "
			 "telemetry_enabled_procs and telemetry_disabled_procs");
}

const struct cfg_file cfg_agent_file = {
	.name = "daos_agent.yml",
	.sec = &agent_section,
	.path_off = AK(path),
	.doc_off = AK(doc),
	.validate = agent_validate,
};

void
ctl_agent_config_destroy(struct ctl_agent_config *cfg)
{
	cfg_file_destroy(&cfg_agent_file, cfg);
}

int
ctl_agent_config_default(struct ctl_agent_config **out)
{
	return cfg_file_default(&cfg_agent_file, (void **)out);
}

int
ctl_agent_config_load(const char *path, struct ctl_agent_config **out, struct d_diags *diags)
{
	return cfg_file_load(&cfg_agent_file, path, (void **)out, diags);
}

int
ctl_agent_config_load_string(const char *name, const char *text, struct ctl_agent_config **out,
			     struct d_diags *diags)
{
	return cfg_file_load_string(&cfg_agent_file, name, text, (void **)out, diags);
}

char *
ctl_agent_config_to_yaml(const struct ctl_agent_config *cfg)
{
	return cfg_section_to_yaml(&agent_section, cfg);
}

int
ctl_agent_config_override(struct ctl_agent_config *cfg, const struct ctl_agent_overrides *ov,
			  struct d_errbuf *eb)
{
	int rc = 0;

	if (ov->runtime_dir != NULL)
		rc = cfg_str_set(&cfg->runtime_dir, ov->runtime_dir);
	if (rc == 0 && ov->log_file != NULL)
		rc = cfg_str_set(&cfg->log_file, ov->log_file);
	if (ov->insecure)
		cfg->transport.allow_insecure = true;
	if (rc != 0)
		d_errbuf_set(eb, "out of memory applying command-line overrides");
	return rc;
}
