/*
 * The `engines:` section of daos_server.yml: key tables of an engine and of
 * its storage tiers, and the rules upstream applies to one engine
 * (engine.Config.Validate, storage.TierConfigs.Validate, validateBdevRoles,
 * the ABT/PMDK environment checks) and across engines
 * (validateMultiEngineConfig).  Messages keep upstream's wording first and
 * add what to do.  Nothing here looks at hardware.
 */
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <strings.h>

#include "common/log.h"
#include "common/units.h"
#include "control/lib/config/config_internal.h"

/* ---- storage class and roles ---------------------------------------------------- */

static const char *const class_names[] = {
	[CTL_CLASS_NONE] = "",	   [CTL_CLASS_DCPM] = "dcpm", [CTL_CLASS_RAM] = "ram",
	[CTL_CLASS_NVME] = "nvme", [CTL_CLASS_FILE] = "file", [CTL_CLASS_KDEV] = "kdev",
};

const char *
ctl_tier_class_name(enum ctl_tier_class c)
{
	return (size_t)c < D_ARRAY_SIZE(class_names) ? class_names[c] : "";
}

bool
cfg_class_is_scm(enum ctl_tier_class c)
{
	return c == CTL_CLASS_DCPM || c == CTL_CLASS_RAM;
}

bool
cfg_class_is_bdev(enum ctl_tier_class c)
{
	return c == CTL_CLASS_NVME || c == CTL_CLASS_FILE || c == CTL_CLASS_KDEV;
}

static int
class_parse(struct cfg_ctx *cx, const struct d_yaml_node *n, void *field, const char *path)
{
	struct d_errbuf eb;
	const char     *s;
	size_t		i;

	if (d_yaml_get_str(n, &s, &eb) != 0) {
		cfg_err(cx, n->line, path, "%s", eb.msg);
		return -DER_INVAL;
	}
	for (i = 1; i < D_ARRAY_SIZE(class_names); i++) {
		if (strcmp(s, class_names[i]) == 0) {
			*(enum ctl_tier_class *)field = (enum ctl_tier_class)i;
			return 0;
		}
	}
	cfg_err(cx, n->line, path,
		"unsupported storage class \"%s\"; use dcpm or ram for the first (SCM) tier and "
		"nvme, file or kdev for the others",
		s);
	return -DER_INVAL;
}

static void
class_emit(struct cfg_emit *em, const char *key, const void *field)
{
	em->ops->str(em, key, ctl_tier_class_name(*(const enum ctl_tier_class *)field));
}

static const struct cfg_custom class_type = {.parse = class_parse, .emit = class_emit};

static const struct {
	const char *name;
	uint32_t    bit;
} role_names[] = {
	{"data", CTL_BDEV_ROLE_DATA},
	{"meta", CTL_BDEV_ROLE_META},
	{"wal", CTL_BDEV_ROLE_WAL},
};

static int
roles_parse(struct cfg_ctx *cx, const struct d_yaml_node *n, void *field, const char *path)
{
	struct d_errbuf eb;
	uint32_t	bits = 0;
	size_t		i, j;

	if (d_yaml_is_null(n)) {
		*(uint32_t *)field = 0;
		return 0;
	}
	if (n->kind != D_YAML_SEQ) {
		cfg_err(cx, n->line, path,
			"expected a list of roles such as [wal, meta, data], got %s",
			d_yaml_describe(n));
		return -DER_INVAL;
	}
	for (i = 0; i < n->count; i++) {
		const char *s;

		if (d_yaml_get_str(n->items[i], &s, &eb) != 0) {
			cfg_err(cx, n->items[i]->line, path, "item %zu: %s", i, eb.msg);
			return -DER_INVAL;
		}
		if (*s == '\0')
			continue;
		if (strcasecmp(s, "na") == 0)
			break;
		for (j = 0; j < D_ARRAY_SIZE(role_names); j++)
			if (strcmp(s, role_names[j].name) == 0)
				break;
		if (j == D_ARRAY_SIZE(role_names)) {
			cfg_err(cx, n->items[i]->line, path,
				"unknown option flag given: \"%s\"; supported options are [data meta "
				"wal]",
				s);
			return -DER_INVAL;
		}
		bits |= role_names[j].bit;
	}
	*(uint32_t *)field = bits;
	return 0;
}

static void
roles_emit(struct cfg_emit *em, const char *key, const void *field)
{
	uint32_t bits = *(const uint32_t *)field;
	size_t	 n = 0, i;

	for (i = 0; i < D_ARRAY_SIZE(role_names); i++)
		n += (bits & role_names[i].bit) != 0;
	em->ops->list_begin(em, key, n);
	for (i = 0; i < D_ARRAY_SIZE(role_names); i++)
		if (bits & role_names[i].bit)
			em->ops->str(em, NULL, role_names[i].name);
	em->ops->list_end(em);
}

static const struct cfg_custom roles_type = {.parse = roles_parse, .emit = roles_emit};

/* ---- PCI addresses and bdev lists ---------------------------------------------- */

static bool
all_hex(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	return true;
}

/* Upstream's maybePCI(): the shape of an address, before checking digits. */
static bool
maybe_pci(const char *s)
{
	const char *c1 = strchr(s, ':'), *c2;

	if (c1 == NULL || (c2 = strchr(c1 + 1, ':')) == NULL || strchr(c2 + 1, ':') != NULL)
		return false;
	return (c1 - s == 4 || c1 - s == 6) && c2 - c1 - 1 == 2 && strlen(c2 + 1) >= 2;
}

int
ctl_pci_addr_check(const char *s)
{
	size_t dl;

	if (!maybe_pci(s))
		return -DER_INVAL;
	dl = (size_t)(strchr(s, ':') - s);
	if (!all_hex(s, dl) || !all_hex(s + dl + 1, 2))
		return -DER_INVAL;
	s += dl + 4;
	/* device "dd" '.' function "f" */
	if (strlen(s) != 4 || !all_hex(s, 2) || s[2] != '.' || !all_hex(s + 3, 1))
		return -DER_INVAL;
	return 0;
}

static int
bdev_list_check(struct cfg_ctx *cx, const struct d_yaml_node *n, void *field, const char *path)
{
	struct ctl_strlist *l = field;
	size_t		    i, j, npci = 0;
	int		    rc = 0;

	for (i = 0; i < l->n; i++) {
		int line = n->items[i]->line;

		if (maybe_pci(l->v[i])) {
			char *p;

			if (ctl_pci_addr_check(l->v[i]) != 0) {
				cfg_err(cx, line, path,
					"bdev_list: invalid PCI address \"%s\"; use the form "
					"dddd:bb:dd.f as shown by storage scan",
					l->v[i]);
				rc = -DER_INVAL;
				continue;
			}
			/* compare and print addresses the way scans print them */
			for (p = l->v[i]; *p; p++)
				*p = (char)tolower((unsigned char)*p);
			npci++;
		}
		for (j = 0; j < i; j++) {
			if (strcmp(l->v[i], l->v[j]) == 0) {
				cfg_err(cx, line, path,
					maybe_pci(l->v[i]) ? "bdev_list: duplicate PCI address %s; "
							     "list each device once"
							   : "bdev_list: duplicate entry %s; list "
							     "each device once",
					l->v[i]);
				rc = -DER_INVAL;
				break;
			}
		}
	}
	if (npci > 0 && npci < l->n) {
		cfg_err(cx, n->line, path,
			"bdev_list: cannot mix PCI and non-PCI block device addresses; use PCI "
			"addresses with class nvme and paths with class file or kdev");
		rc = -DER_INVAL;
	}
	return rc;
}

static int
parse_bus(const char *s, size_t len, unsigned *out)
{
	char	buf[24];
	int64_t v;

	if (len == 0 || len >= sizeof(buf))
		return -DER_INVAL;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (d_yaml_parse_int(buf, &v) != 0 || v < 0 || v > 255)
		return -DER_INVAL;
	*out = (unsigned)v;
	return 0;
}

static int
busid_check(struct cfg_ctx *cx, const struct d_yaml_node *n, void *field, const char *path)
{
	const char *s = *(char **)field, *dash;
	unsigned    lo, hi;

	if (s == NULL)
		return 0;
	dash = strchr(s, '-');
	if (dash == NULL || strchr(dash + 1, '-') != NULL ||
	    parse_bus(s, (size_t)(dash - s), &lo) != 0 ||
	    parse_bus(dash + 1, strlen(dash + 1), &hi) != 0 || lo > hi) {
		cfg_err(cx, n->line, path,
			"failed to parse bus range \"%s\": invalid busid range \"%s\"; use "
			"BEGIN-END with bus numbers 0-255, e.g. 0x80-0x8f",
			s, s);
		return -DER_INVAL;
	}
	return 0;
}

/* ---- tables ---------------------------------------------------------------------- */

#define TK(f) offsetof(struct ctl_tier, f)

static bool
tier_show(const void *obj, const struct cfg_key *k)
{
	const struct ctl_tier *t = obj;

	if (strncmp(k->name, "scm_", 4) == 0)
		return cfg_class_is_scm(t->class) || t->class == CTL_CLASS_NONE;
	if (strncmp(k->name, "bdev_", 5) == 0)
		return cfg_class_is_bdev(t->class) || t->class == CTL_CLASS_NONE;
	return true;
}

static const struct cfg_key tier_keys[] = {
	{"class", CT_CUSTOM, TK(class), .custom = &class_type},
	{"scm_mount", CT_STR, TK(scm_mount)},
	{"scm_size", CT_INT, TK(scm_size), .min = 0, .max = 1LL << 40},
	{"scm_hugepages_disabled", CT_BOOL, TK(scm_hugepages_disabled),
	 .set_off = TK(scm_hugepages_disabled_set), .flags = CF_PRINT_IF_SET},
	{"scm_list", CT_STRLIST, TK(scm_list)},
	{"bdev_list", CT_STRLIST, TK(bdev_list), .check = bdev_list_check},
	{"bdev_number", CT_INT, TK(bdev_number), .min = 0, .max = INT32_MAX},
	{"bdev_size", CT_INT, TK(bdev_size), .min = INT32_MIN, .max = INT32_MAX},
	{"bdev_busid_range", CT_STR, TK(bdev_busid_range), .check = busid_check},
	{"bdev_roles", CT_CUSTOM, TK(bdev_roles), .custom = &roles_type},
};

static const struct cfg_section tier_section = {
	"storage tier", sizeof(struct ctl_tier), tier_keys, D_ARRAY_SIZE(tier_keys), tier_show,
};

static int
accel_engine_check(struct cfg_ctx *cx, const struct d_yaml_node *n, void *field, const char *path)
{
	const char *s = cfg_s(*(char **)field);

	if (*s == '\0' || strcmp(s, "none") == 0 || strcmp(s, "spdk") == 0 || strcmp(s, "dml") == 0)
		return 0;
	cfg_err(cx, n->line, path,
		"unknown acceleration engine setting \"%s\"; supported settings are [spdk dml] "
		"(or none)",
		s);
	return -DER_INVAL;
}

static int
accel_opts_check(struct cfg_ctx *cx, const struct d_yaml_node *n, void *field, const char *path)
{
	const struct ctl_strlist *l = field;
	size_t			  i;
	int			  rc = 0;

	for (i = 0; i < l->n; i++) {
		if (strcmp(l->v[i], "crc") != 0 && strcmp(l->v[i], "move") != 0) {
			cfg_err(cx, n->items[i]->line, path,
				"unknown option flag given: \"%s\"; supported options are [crc "
				"move]",
				l->v[i]);
			rc = -DER_INVAL;
		}
	}
	return rc;
}

static const struct cfg_key accel_keys[] = {
	{"engine", CT_STR, offsetof(struct ctl_accel, engine), .deflt = "none",
	 .check = accel_engine_check},
	{"options", CT_STRLIST, offsetof(struct ctl_accel, options), .check = accel_opts_check},
};
static const struct cfg_section accel_section = {"acceleration", sizeof(struct ctl_accel),
						 accel_keys, D_ARRAY_SIZE(accel_keys)};

static const struct cfg_key spdk_rpc_keys[] = {
	{"enable", CT_BOOL, offsetof(struct ctl_spdk_rpc, enable)},
	{"sock_addr", CT_STR, offsetof(struct ctl_spdk_rpc, sock_addr)},
};
static const struct cfg_section spdk_rpc_section = {"spdk_rpc_server", sizeof(struct ctl_spdk_rpc),
						    spdk_rpc_keys, D_ARRAY_SIZE(spdk_rpc_keys)};

static const struct cfg_key auto_faulty_keys[] = {
	{"enable", CT_BOOL, offsetof(struct ctl_auto_faulty, enable), .deflt = "true"},
	{"max_io_errs", CT_INT, offsetof(struct ctl_auto_faulty, max_io_errs), .min = 0,
	 .max = UINT32_MAX, .deflt = "10"},
	{"max_csum_errs", CT_INT, offsetof(struct ctl_auto_faulty, max_csum_errs), .min = 0,
	 .max = UINT32_MAX, .deflt = "4294967295"},
};
static const struct cfg_section auto_faulty_section = {
	"bdev_auto_faulty", sizeof(struct ctl_auto_faulty), auto_faulty_keys,
	D_ARRAY_SIZE(auto_faulty_keys)};

static const struct cfg_key iobuf_keys[] = {
	{"small_pool_count", CT_INT, offsetof(struct ctl_spdk_iobuf, small_pool_count), .min = 0,
	 .max = UINT32_MAX, .deflt = "8192"},
	{"large_pool_count", CT_INT, offsetof(struct ctl_spdk_iobuf, large_pool_count), .min = 0,
	 .max = UINT32_MAX, .deflt = "1024"},
};
static const struct cfg_section iobuf_section = {"spdk_iobuf", sizeof(struct ctl_spdk_iobuf),
						 iobuf_keys, D_ARRAY_SIZE(iobuf_keys)};

#define EK(f) offsetof(struct ctl_engine, f)

static const struct cfg_key engine_keys[] = {
	{"targets", CT_INT, EK(targets), .min = INT32_MIN, .max = INT32_MAX},
	{"nr_xs_helpers", CT_INT, EK(nr_xs_helpers), .min = INT32_MIN, .max = INT32_MAX},
	{"first_core", CT_INT, EK(first_core), .set_off = EK(first_core_set), .min = INT32_MIN,
	 .max = INT32_MAX, .flags = CF_PRINT_IF_SET},
	{"pinned_numa_node", CT_INT, EK(pinned_numa_node), .set_off = EK(pinned_numa_node_set),
	 .min = 0, .max = UINT32_MAX, .flags = CF_PRINT_IF_SET},
	{"bypass_health_chk", CT_BOOL, EK(fabric.bypass_health_chk)},
	{"fabric_iface", CT_STR, EK(fabric.fabric_iface)},
	{"fabric_iface_port", CT_INT, EK(fabric.fabric_iface_port), .min = INT32_MIN,
	 .max = INT32_MAX},
	{"provider", CT_STR, EK(fabric.provider)},
	{"crt_timeout", CT_INT, EK(fabric.crt_timeout), .min = 0, .max = UINT32_MAX},
	{"disable_srx", CT_BOOL, EK(fabric.disable_srx)},
	{"fabric_auth_key", CT_STR, EK(fabric.fabric_auth_key)},
	{"secondary_provider_endpoints", CT_INTLIST, EK(fabric.secondary_provider_endpoints),
	 .min = INT32_MIN, .max = INT32_MAX},
	{"log_mask", CT_STR, EK(log_mask)},
	{"log_file", CT_STR, EK(log_file)},
	{"env_vars", CT_STRLIST, EK(env_vars)},
	{"env_pass_through", CT_STRLIST, EK(env_pass_through)},
	{"modules", CT_STR, EK(modules)},
	{"storage", CT_SECTLIST, EK(storage), .cnt_off = EK(nstorage), .sub = &tier_section},
	{"acceleration", CT_SECTION, EK(acceleration), .sub = &accel_section},
	{"spdk_rpc_server", CT_SECTION, EK(spdk_rpc_server), .sub = &spdk_rpc_section},
	{"bdev_auto_faulty", CT_SECTION, EK(bdev_auto_faulty), .sub = &auto_faulty_section},
	{"spdk_iobuf", CT_SECTION, EK(spdk_iobuf), .sub = &iobuf_section},
};

const struct cfg_section cfg_engine_section = {"engine", sizeof(struct ctl_engine), engine_keys,
					       D_ARRAY_SIZE(engine_keys)};

/* ---- per-engine rules ---------------------------------------------------------------- */

bool
cfg_engine_has_bdevs(const struct ctl_engine *e)
{
	size_t i;

	for (i = 0; i < e->nstorage; i++)
		if (cfg_class_is_bdev(e->storage[i].class) && e->storage[i].bdev_list.n > 0)
			return true;
	return false;
}

bool
ctl_engine_md_on_ssd(const struct ctl_engine *e)
{
	size_t i;

	for (i = 0; i < e->nstorage; i++)
		if (cfg_class_is_bdev(e->storage[i].class) &&
		    (e->storage[i].bdev_roles & CTL_BDEV_ROLE_META))
			return true;
	return false;
}

size_t
cfg_count_items(const char *s)
{
	size_t n = 0;

	while (s != NULL && *s != '\0') {
		size_t len = strcspn(s, ",");
		size_t i;

		for (i = 0; i < len; i++)
			if (!isspace((unsigned char)s[i])) {
				n++;
				break;
			}
		s += len;
		if (*s == ',')
			s++;
	}
	return n;
}

static void
fabric_inherit(struct ctl_fabric *f, const struct ctl_fabric *g)
{
	if (f->provider == NULL)
		cfg_str_set(&f->provider, g->provider);
	if (f->fabric_iface == NULL)
		cfg_str_set(&f->fabric_iface, g->fabric_iface);
	if (f->fabric_iface_port == 0)
		f->fabric_iface_port = g->fabric_iface_port;
	if (f->crt_timeout == 0)
		f->crt_timeout = g->crt_timeout;
	if (!f->disable_srx)
		f->disable_srx = g->disable_srx;
	if (f->fabric_auth_key == NULL)
		cfg_str_set(&f->fabric_auth_key, g->fabric_auth_key);
	if (f->secondary_provider_endpoints.n == 0 && g->secondary_provider_endpoints.n > 0) {
		int64_t *v;

		D_ALLOC_ARRAY(v, g->secondary_provider_endpoints.n);
		if (v != NULL) {
			memcpy(v, g->secondary_provider_endpoints.v,
			       g->secondary_provider_endpoints.n * sizeof(*v));
			f->secondary_provider_endpoints.v = v;
			f->secondary_provider_endpoints.n = g->secondary_provider_endpoints.n;
		}
	}
}

static void
fabric_validate(struct cfg_ctx *cx, const struct ctl_fabric *f, const char *ep)
{
	char   p[160];
	size_t nprov = cfg_count_items(f->provider), nif = cfg_count_items(f->fabric_iface), i;

	if (nprov == 0)
		return; /* reported once at the server level */
	if (nif == 0) {
		snprintf(p, sizeof(p), "%s.fabric_iface", ep);
		cfg_verr(cx, p,
			 "fabric config validation failed: fabric_iface not set; set it to the "
			 "network interface this engine uses (see dmg network scan)");
	}
	snprintf(p, sizeof(p), "%s.fabric_iface_port", ep);
	if (f->fabric_iface_port == 0)
		cfg_verr(cx, p,
			 "fabric config validation failed: fabric_iface_port not set; set a port "
			 "such as 31416, unique per interface on this host");
	else if (f->fabric_iface_port < 0)
		cfg_verr(cx, p,
			 "fabric config validation failed: fabric_iface_port cannot be negative; "
			 "use a port such as 31416");
	else if (f->fabric_iface_port > 65535)
		cfg_verr(cx, p, "fabric_iface_port %lld is not a valid port; use 1-65535",
			 (long long)f->fabric_iface_port);
	if (nif != 0 && nif != nprov) {
		snprintf(p, sizeof(p), "%s.fabric_iface", ep);
		cfg_verr(cx, p,
			 "fabric config validation failed: provider, fabric_iface and "
			 "fabric_iface_port must include the same number of items delimited by "
			 "\",\" (%zu providers, %zu interfaces)",
			 nprov, nif);
	}
	if (nprov > 1) {
		snprintf(p, sizeof(p), "%s.secondary_provider_endpoints", ep);
		if (f->secondary_provider_endpoints.n != 0 &&
		    f->secondary_provider_endpoints.n != nprov - 1)
			cfg_verr(cx, p,
				 "secondary_provider_endpoints must have one value for each "
				 "secondary provider");
		for (i = 0; i < f->secondary_provider_endpoints.n; i++)
			if (f->secondary_provider_endpoints.v[i] < 1) {
				cfg_verr(cx, p,
					 "all values in secondary_provider_endpoints must be > 0");
				break;
			}
	}
}

static void
tier_validate(struct cfg_ctx *cx, const struct ctl_tier *t, const char *tp)
{
	char p[192];
	char b1[D_SIZE_BUFLEN], b2[D_SIZE_BUFLEN];

	if (t->class == CTL_CLASS_NONE) {
		snprintf(p, sizeof(p), "%s.class", tp);
		cfg_verr(cx, p,
			 "no storage class set; set class to dcpm or ram (SCM tier) or "
			 "nvme, file or kdev (bdev tier)");
		return;
	}
	if (cfg_class_is_scm(t->class)) {
		if (t->scm_mount == NULL) {
			snprintf(p, sizeof(p), "%s.scm_mount", tp);
			cfg_verr(cx, p,
				 "no scm_mount set; set scm_mount to the directory to "
				 "mount SCM on, e.g. /mnt/daos");
		}
		if (t->class == CTL_CLASS_DCPM) {
			snprintf(p, sizeof(p), "%s.scm_size", tp);
			if (t->scm_size > 0)
				cfg_verr(cx, p,
					 "scm_size may not be set when class is dcpm; "
					 "remove it (the PMem namespace size is used)");
			snprintf(p, sizeof(p), "%s.scm_list", tp);
			if (t->scm_list.n == 0)
				cfg_verr(cx, p,
					 "scm_list must be set when class is dcpm; list the "
					 "PMem namespace, e.g. [/dev/pmem0]");
		} else {
			snprintf(p, sizeof(p), "%s.scm_list", tp);
			if (t->scm_list.n > 0)
				cfg_verr(cx, p,
					 "scm_list may not be set when class is ram; remove "
					 "it or use class dcpm");
			snprintf(p, sizeof(p), "%s.scm_size", tp);
			if (t->scm_size != 0 && (uint64_t)t->scm_size << 30 < CTL_MIN_RAMDISK_BYTES)
				cfg_verr(
					cx, p,
					"configured ram-disk size %s is lower than the minimum (%s) "
					"required for SCM; set scm_size to at least %llu or remove it "
					"to size automatically",
					d_size_iec((uint64_t)t->scm_size << 30, b1, sizeof(b1)),
					d_size_iec(CTL_MIN_RAMDISK_BYTES, b2, sizeof(b2)),
					(unsigned long long)(CTL_MIN_RAMDISK_BYTES >> 30));
		}
		if (t->scm_list.n > 1) {
			snprintf(p, sizeof(p), "%s.scm_list", tp);
			cfg_verr(cx, p,
				 "scm_list may have at most 1 devices; use one PMem "
				 "namespace per engine");
		}
		return;
	}
	snprintf(p, sizeof(p), "%s.bdev_size", tp);
	if (t->bdev_size < 0)
		cfg_verr(cx, p, "negative bdev_size; give the file size in GB");
	snprintf(p, sizeof(p), "%s.bdev_list", tp);
	switch (t->class) {
	case CTL_CLASS_FILE:
		if (t->bdev_list.n == 0)
			cfg_verr(cx, p,
				 "class file requires non-empty bdev_list; list the files "
				 "to create, e.g. [/tmp/daos-bdev]");
		snprintf(p, sizeof(p), "%s.bdev_size", tp);
		if (t->bdev_size == 0)
			cfg_verr(cx, p,
				 "class file requires non-zero bdev_size; set the size of "
				 "each file in GB, e.g. 16");
		break;
	case CTL_CLASS_KDEV:
		if (t->bdev_list.n == 0)
			cfg_verr(cx, p,
				 "class kdev requires non-empty bdev_list; list the kernel "
				 "block devices, e.g. [/dev/sdc]");
		break;
	default:
		if (t->bdev_list.n == 0 || ctl_pci_addr_check(t->bdev_list.v[0]) != 0)
			cfg_verr(cx, p,
				 "class nvme requires valid PCI addresses in bdev_list; "
				 "list NVMe controllers as shown by storage scan, e.g. "
				 "[\"0000:81:00.0\"]");
		break;
	}
}

static void
roles_validate(struct cfg_ctx *cx, const struct ctl_engine *e, const char *ep)
{
	char   p[160];
	size_t i, nscm = 0, nbdev = 0, scm_idx = 0;
	int    wal = 0, meta = 0, data = 0;
	bool   any;

	snprintf(p, sizeof(p), "%s.storage", ep);
	for (i = 0; i < e->nstorage; i++)
		if (cfg_class_is_scm(e->storage[i].class) && nscm++ == 0)
			scm_idx = i;
	if (nscm != 1 || scm_idx != 0) {
		cfg_verr(cx, p,
			 "first storage tier is not scm; put exactly one tier of class ram "
			 "or dcpm first in the storage list (found %zu)",
			 nscm);
		return;
	}
	for (i = 0; i < e->nstorage; i++) {
		uint32_t r = e->storage[i].bdev_roles;

		if (!cfg_class_is_bdev(e->storage[i].class))
			continue;
		any = wal > 0 || meta > 0 || data > 0;
		snprintf(p, sizeof(p), "%s.storage[%zu].bdev_roles", ep, i);
		if (r == 0) {
			if (any) {
				cfg_verr(cx, p,
					 "bdev tier MD-on-SSD roles have been specified on "
					 "some but not all bdev tiers in config; set bdev_roles on "
					 "all bdev tiers");
				return;
			}
			nbdev++;
			continue;
		}
		if (nbdev != 0 && !any) {
			cfg_verr(cx, p,
				 "bdev tier MD-on-SSD roles have been specified on some but "
				 "not all bdev tiers in config; set bdev_roles on all bdev tiers");
			return;
		}
		nbdev++;
		if ((r & CTL_BDEV_ROLE_WAL) && (r & CTL_BDEV_ROLE_DATA) &&
		    !(r & CTL_BDEV_ROLE_META)) {
			cfg_verr(cx, p,
				 "WAL and Data MD-on-SSD roles have been specified on a bdev "
				 "tier without Meta role; avoid the WAL+Data combination");
			return;
		}
		wal += (r & CTL_BDEV_ROLE_WAL) != 0;
		meta += (r & CTL_BDEV_ROLE_META) != 0;
		data += (r & CTL_BDEV_ROLE_DATA) != 0;
	}
	snprintf(p, sizeof(p), "%s.storage", ep);
	if (wal == 0 && meta == 0 && data == 0) {
		if (nbdev > 1)
			cfg_verr(cx, p,
				 "multiple bdev tiers but MD-on-SSD roles have not been "
				 "specified; set bdev_roles on all bdev tiers or use a single bdev "
				 "tier");
		return;
	}
	if (e->storage[0].class == CTL_CLASS_DCPM) {
		snprintf(p, sizeof(p), "%s.storage[0].class", ep);
		cfg_verr(cx, p,
			 "MD-on-SSD roles has been specified in config with scm class set "
			 "to dcpm; bdev_roles need a ram SCM tier, change class to ram or remove "
			 "the roles");
		return;
	}
	if (nbdev > 3) {
		cfg_verr(cx, p,
			 "only 1, 2 or 3 bdev tiers are supported when MD-on-SSD roles are "
			 "specified; reduce the number of bdev tiers");
		return;
	}
	if (wal != 1)
		cfg_verr(cx, p,
			 "found %d WAL tiers, wanted 1; assign the wal role to exactly one "
			 "bdev tier",
			 wal);
	else if (meta != 1)
		cfg_verr(cx, p,
			 "found %d Meta tiers, wanted 1; assign the meta role to exactly "
			 "one bdev tier",
			 meta);
	else if (data != 1)
		cfg_verr(cx, p,
			 "found %d Data tiers, wanted 1; assign the data role to exactly "
			 "one bdev tier",
			 data);
}

static void
storage_validate(struct cfg_ctx *cx, const struct ctl_server_config *cfg,
		 const struct ctl_engine *e, const char *ep)
{
	char   p[160];
	size_t i, nscm = 0;
	bool   real = false, emul = false, bdevs = false;
	int    before = cx->nerr;

	snprintf(p, sizeof(p), "%s.storage", ep);
	if (e->nstorage == 0) {
		cfg_verr(cx, p,
			 "no storage tiers configured; add a storage list whose first tier "
			 "has class ram or dcpm");
		return;
	}
	for (i = 0; i < e->nstorage; i++) {
		const struct ctl_tier *t = &e->storage[i];

		nscm += cfg_class_is_scm(t->class);
		if (cfg_class_is_bdev(t->class)) {
			bdevs = true;
			if (t->bdev_list.n > 0) {
				real |= t->class == CTL_CLASS_NVME;
				emul |= t->class != CTL_CLASS_NVME;
			}
		}
	}
	if (nscm == 0) {
		cfg_verr(cx, p,
			 "missing scm storage tier in engine storage config; add a tier "
			 "of class ram or dcpm in the first position");
		return;
	}
	if (real && emul)
		cfg_verr(cx, p,
			 "bdev tiers found with both emulated and non-emulated NVMe types "
			 "specified in config; use either nvme or file/kdev tiers, not both");
	for (i = 0; i < e->nstorage; i++) {
		char tp[160];

		snprintf(tp, sizeof(tp), "%s.storage[%zu]", ep, i);
		tier_validate(cx, &e->storage[i], tp);
	}
	if (cx->nerr != before)
		return;
	roles_validate(cx, e, ep);
	if (cx->nerr != before)
		return;
	if (cfg->control_metadata.path != NULL && (!bdevs || !ctl_engine_md_on_ssd(e)))
		cfg_verr(cx, "control_metadata.path",
			 "using 'control_metadata.path' requires MD-on-SSD roles; set bdev_roles "
			 "on the bdev tiers of %s or remove control_metadata.path",
			 ep);
	else if (cfg->control_metadata.path == NULL && ctl_engine_md_on_ssd(e))
		cfg_verr(cx, p,
			 "'control_metadata.path' is required when MD-on-SSD roles are "
			 "specified; set control_metadata.path to a persistent directory");
}

/* Engine debug subsystem names accepted by log_mask assignments and DD_SUBSYS. */
static const char *const log_subsystems[] = {
	"ALL",	    "DAOS", "ARRAY", "KV",    "COMMON",	   "TREE",   "VOS",	  "CLIENT",
	"SERVER",   "RDB",  "RSVC",  "POOL",  "CONTAINER", "OBJECT", "PLACEMENT", "REBUILD",
	"MGMT",	    "BIO",  "TESTS", "DFS",   "DUNS",	   "DRPC",   "SECURITY",  "DTX",
	"DFUSE",    "IL",   "CSUM",  "STACK", "MISC",	   "MEM",    "SWIM",	  "FI",
	"TELEM",    "CRT",  "RPC",   "BULK",  "CORPC",	   "GRP",    "LM",	  "HG",
	"EXTERNAL", "ST",   "IV",    "CTL",
};

static const char *const log_streams[] = {
	"ALL",
	"MD",
	"PL",
	"MGMT",
	"EPC",
	"DF",
	"REBUILD",
	"SEC",
	"CSUM",
	"GROUP_DEFAULT",
	"GROUP_METADATA_ONLY",
	"GROUP_METADATA",
	"ANY",
	"TRACE",
	"MEM",
	"NET",
	"IO",
	"TEST",
};

static bool
name_in(const char *s, size_t len, const char *const *names, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strlen(names[i]) == len && strncasecmp(names[i], s, len) == 0)
			return true;
	return false;
}

/* DD_MASK / DD_SUBSYS: comma-separated names, ALL alone. */
static void
log_names_check(struct cfg_ctx *cx, const char *val, const char *const *names, size_t n,
		const char *what, const char *path)
{
	const char *p = val;
	size_t	    count = cfg_count_items(val);

	while (*p != '\0') {
		size_t len = strcspn(p, ",");

		if (!name_in(p, len, names, n)) {
			cfg_verr(cx, path, "%s: unknown name \"%.*s\"; see the engine's list of %s",
				 what, (int)len, p, what);
			return;
		}
		if (len == 3 && strncasecmp(p, "ALL", 3) == 0 && count != 1) {
			cfg_verr(cx, path,
				 "%s: 'all' identifier can not be used with any other log "
				 "identifier",
				 what);
			return;
		}
		p += len;
		if (*p == ',')
			p++;
	}
}

static void
log_mask_validate(struct cfg_ctx *cx, const char *mask, const char *path)
{
	enum d_log_level lvl;
	struct d_errbuf	 eb;
	const char	*p;

	if (mask == NULL)
		return;
	if (d_log_mask_parse(mask, &lvl, &eb) != 0) {
		cfg_verr(cx, path, "validate engine log masks: %s", eb.msg);
		return;
	}
	for (p = mask; *p != '\0';) {
		size_t	    len = strcspn(p, ",");
		const char *eq = memchr(p, '=', len);

		if (eq != NULL) {
			if (eq - p == 3 && strncasecmp(p, "ALL", 3) == 0) {
				cfg_verr(cx, path,
					 "validate engine log masks: 'all' identifier can "
					 "not be used in log mask level assignments");
				return;
			}
			if (!name_in(p, (size_t)(eq - p), log_subsystems,
				     D_ARRAY_SIZE(log_subsystems))) {
				cfg_verr(cx, path,
					 "validate engine log masks: unknown subsystem "
					 "\"%.*s\"; use names such as MGMT, POOL, OBJECT or VOS",
					 (int)(eq - p), p);
				return;
			}
		}
		p += len;
		if (*p == ',')
			p++;
	}
}

void
cfg_env_list_check(struct cfg_ctx *cx, const struct ctl_strlist *l, const char *path)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		const char *eq = strchr(l->v[i], '=');
		char	    p[160];

		snprintf(p, sizeof(p), "%s[%zu]", path, i);
		if (eq == NULL || eq == l->v[i])
			cfg_verr(cx, p,
				 "\"%s\" is not of the form NAME=VALUE; write the variable "
				 "as NAME=VALUE without quotes",
				 l->v[i]);
	}
}

static const char *
env_get(const struct ctl_strlist *l, const char *name, size_t *idx)
{
	size_t i, n = strlen(name);

	/* the last setting wins, as when merged into the environment */
	for (i = l->n; i > 0; i--) {
		if (strncmp(l->v[i - 1], name, n) == 0 && l->v[i - 1][n] == '=') {
			*idx = i - 1;
			return l->v[i - 1] + n + 1;
		}
	}
	return NULL;
}

static void
env_validate(struct cfg_ctx *cx, const struct ctl_engine *e, const char *ep)
{
	char	    p[160], ip[192];
	const char *v;
	size_t	    idx;
	bool	    dcpm = e->nstorage > 0 && e->storage[0].class == CTL_CLASS_DCPM;
	bool	    md = ctl_engine_md_on_ssd(e);
	bool	    ucx = e->fabric.provider && strncmp(e->fabric.provider, "ucx+", 4) == 0;

	snprintf(p, sizeof(p), "%s.env_vars", ep);
	cfg_env_list_check(cx, &e->env_vars, p);
	if ((v = env_get(&e->env_vars, "DD_MASK", &idx)) != NULL && *v) {
		snprintf(ip, sizeof(ip), "%s[%zu]", p, idx);
		log_names_check(cx, v, log_streams, D_ARRAY_SIZE(log_streams),
				"logging debug streams", ip);
	}
	if ((v = env_get(&e->env_vars, "DD_SUBSYS", &idx)) != NULL && *v) {
		snprintf(ip, sizeof(ip), "%s[%zu]", p, idx);
		log_names_check(cx, v, log_subsystems, D_ARRAY_SIZE(log_subsystems),
				"logging subsystems", ip);
	}
	if ((v = env_get(&e->env_vars, "ABT_THREAD_STACKSIZE", &idx)) != NULL) {
		int64_t sz;
		struct {
			bool	    on;
			int64_t	    min;
			const char *what;
		} req[] = {
			{dcpm, 20480, "DCPM storage class"},
			{md, 24576, "MD on SSD"},
			{ucx, 32768, "UCX provider"},
		};
		size_t i;

		snprintf(ip, sizeof(ip), "%s[%zu]", p, idx);
		if (d_yaml_parse_int(v, &sz) != 0) {
			cfg_verr(cx, ip,
				 "env_var ABT_THREAD_STACKSIZE has invalid value: %s; use a "
				 "size in bytes",
				 v);
			return;
		}
		for (i = 0; i < D_ARRAY_SIZE(req); i++)
			if (req[i].on && sz < req[i].min)
				cfg_verr(cx, ip,
					 "env_var ABT_THREAD_STACKSIZE should be >= %lld for "
					 "%s, found %lld; raise it or remove it to use the default",
					 (long long)req[i].min, req[i].what, (long long)sz);
	}
	if ((v = env_get(&e->env_vars, "PMEMOBJ_CONF", &idx)) != NULL) {
		snprintf(ip, sizeof(ip), "%s[%zu]", p, idx);
		if (dcpm && strstr(v, "sds.at_create") != NULL)
			cfg_verr(cx, ip,
				 "env_var PMEMOBJ_CONF should NOT contain 'sds.at_create=?' "
				 "for DCPM storage class, found '%s'",
				 v);
		else if (!dcpm && strstr(v, "sds.at_create=1") != NULL)
			cfg_verr(cx, ip,
				 "env_var PMEMOBJ_CONF should contain 'sds.at_create=0' for "
				 "non-DCPM storage class, found '%s'",
				 v);
	}
	snprintf(p, sizeof(p), "%s.env_pass_through", ep);
	for (idx = 0; idx < e->env_pass_through.n; idx++)
		if (strchr(e->env_pass_through.v[idx], '=') != NULL) {
			snprintf(ip, sizeof(ip), "%s[%zu]", p, idx);
			cfg_verr(cx, ip, "\"%s\": list variable names only, without =VALUE",
				 e->env_pass_through.v[idx]);
		}
}

void
cfg_engine_validate(struct cfg_ctx *cx, struct ctl_server_config *cfg, size_t idx)
{
	struct ctl_engine *e = &cfg->engines[idx];
	char		   ep[32], p[160];

	snprintf(ep, sizeof(ep), "engines[%zu]", idx);
	fabric_inherit(&e->fabric, &cfg->fabric);

	if (e->pinned_numa_node_set && e->first_core_set && e->first_core != 0) {
		snprintf(p, sizeof(p), "%s.first_core", ep);
		cfg_verr(cx, p,
			 "cannot specify both pinned_numa_node and first_core; keep "
			 "pinned_numa_node and remove first_core");
	}
	snprintf(p, sizeof(p), "%s.targets", ep);
	if (e->targets < 0)
		cfg_verr(cx, p,
			 "target count must not be negative; set targets to the number "
			 "of I/O service threads, e.g. 16");
	else if (e->targets == 0)
		cfg_verr(cx, p,
			 "target count must be nonzero; set targets to the number of I/O "
			 "service threads, e.g. 16");
	snprintf(p, sizeof(p), "%s.nr_xs_helpers", ep);
	if (e->nr_xs_helpers < 0)
		cfg_verr(cx, p, "helper stream count must not be negative; use 0 or more");
	else if (e->targets > 0 && e->nr_xs_helpers > 2 * e->targets)
		cfg_vnotice(cx, p,
			    "nr_xs_helpers %lld is more than twice the targets (%lld); the "
			    "engine will use %lld",
			    (long long)e->nr_xs_helpers, (long long)e->targets,
			    (long long)(2 * e->targets));
	snprintf(p, sizeof(p), "%s.first_core", ep);
	if (e->first_core_set && e->first_core < 0)
		cfg_verr(cx, p, "service thread core index must not be negative");

	fabric_validate(cx, &e->fabric, ep);
	storage_validate(cx, cfg, e, ep);
	snprintf(p, sizeof(p), "%s.log_mask", ep);
	log_mask_validate(cx, e->log_mask, p);
	env_validate(cx, e, ep);
	if (e->acceleration.engine != NULL && strcmp(e->acceleration.engine, "none") != 0 &&
	    e->acceleration.options.n == 0) {
		/* upstream: an accelerator with no options gets all of them */
		cfg_strlist_add(&e->acceleration.options, "crc");
		cfg_strlist_add(&e->acceleration.options, "move");
	}
	if (e->log_file == NULL)
		cfg_vnotice(cx, ep,
			    "no daos log file specified for server %zu; engine messages "
			    "go to the control log",
			    idx);
}

/* ---- across engines ---------------------------------------------------------------------- */

static const struct ctl_tier *
engine_scm(const struct ctl_engine *e)
{
	size_t i;

	for (i = 0; i < e->nstorage; i++)
		if (cfg_class_is_scm(e->storage[i].class))
			return &e->storage[i];
	return NULL;
}

static size_t
engine_bdev_count(const struct ctl_engine *e)
{
	size_t i, n = 0;

	for (i = 0; i < e->nstorage; i++)
		if (cfg_class_is_bdev(e->storage[i].class))
			n += e->storage[i].bdev_list.n;
	return n;
}

static bool
bdevs_overlap(const struct ctl_engine *a, const struct ctl_engine *b)
{
	size_t i, j, k;

	for (i = 0; i < a->nstorage; i++) {
		if (!cfg_class_is_bdev(a->storage[i].class))
			continue;
		for (j = 0; j < a->storage[i].bdev_list.n; j++)
			for (k = 0; k < b->nstorage; k++)
				if (cfg_class_is_bdev(b->storage[k].class) &&
				    cfg_strlist_has(&b->storage[k].bdev_list,
						    a->storage[i].bdev_list.v[j]))
					return true;
	}
	return false;
}

static bool
same_str(const char *a, const char *b)
{
	return strcmp(cfg_s(a), cfg_s(b)) == 0;
}

void
cfg_engines_validate_multi(struct cfg_ctx *cx, struct ctl_server_config *cfg)
{
	size_t i, j, k;
	char   p[160];

	for (i = 1; i < cfg->nengines; i++) {
		const struct ctl_engine *e = &cfg->engines[i];
		const struct ctl_tier	*es = engine_scm(e);

		for (j = 0; j < i; j++) {
			const struct ctl_engine *o = &cfg->engines[j];
			const struct ctl_tier	*os = engine_scm(o);

			if (same_str(e->fabric.provider, o->fabric.provider) &&
			    same_str(e->fabric.fabric_iface, o->fabric.fabric_iface) &&
			    e->fabric.fabric_iface_port == o->fabric.fabric_iface_port) {
				snprintf(p, sizeof(p), "engines[%zu].fabric_iface_port", i);
				cfg_verr(
					cx, p,
					"the fabric configuration in I/O Engine %zu is a "
					"duplicate of I/O Engine %zu; give each engine a unique "
					"combination of provider, fabric_iface and fabric_iface_port",
					i, j);
			}
			if (e->log_file != NULL && same_str(e->log_file, o->log_file)) {
				snprintf(p, sizeof(p), "engines[%zu].log_file", i);
				cfg_verr(cx, p,
					 "the log_file value in I/O Engine %zu is a duplicate of "
					 "I/O Engine %zu; ensure that each I/O Engine has a unique "
					 "log_file value",
					 i, j);
			}
			if (es != NULL && os != NULL) {
				snprintf(p, sizeof(p), "engines[%zu].storage[%zu].scm_mount", i,
					 (size_t)(es - e->storage));
				if (same_str(es->scm_mount, os->scm_mount))
					cfg_verr(
						cx, p,
						"the scm_mount value in I/O Engine %zu is a "
						"duplicate of I/O Engine %zu; ensure that each I/O "
						"Engine has a unique scm_mount value",
						i, j);
				for (k = 0; k < es->scm_list.n; k++)
					if (cfg_strlist_has(&os->scm_list, es->scm_list.v[k])) {
						snprintf(p, sizeof(p),
							 "engines[%zu].storage[%zu].scm_list", i,
							 (size_t)(es - e->storage));
						cfg_verr(cx, p,
							 "the scm_list value in I/O Engine "
							 "%zu is a duplicate of I/O Engine %zu; "
							 "ensure that each I/O Engine has a unique "
							 "scm_list value",
							 i, j);
						break;
					}
			}
			if (bdevs_overlap(e, o)) {
				snprintf(p, sizeof(p), "engines[%zu].storage", i);
				cfg_verr(cx, p,
					 "the bdev_list value in engine %zu overlaps with "
					 "entries in engine %zu; give each engine its own devices",
					 i, j);
			}
		}
		/* the remaining checks compare with the previous engine, as upstream */
		{
			const struct ctl_engine *o = &cfg->engines[i - 1];
			const struct ctl_tier	*os = engine_scm(o);

			if (es != NULL && os != NULL) {
				snprintf(p, sizeof(p), "engines[%zu].storage[%zu].class", i,
					 (size_t)(es - e->storage));
				if (es->class != os->class)
					cfg_verr(
						cx, p,
						"the SCM class in engine %zu is different from "
						"engine %zu; use the same SCM class in every engine",
						i, i - 1);
				snprintf(p, sizeof(p), "engines[%zu].storage[%zu]", i,
					 (size_t)(es - e->storage));
				if (es->scm_hugepages_disabled_set !=
					    os->scm_hugepages_disabled_set ||
				    (es->scm_hugepages_disabled_set &&
				     es->scm_hugepages_disabled != os->scm_hugepages_disabled))
					cfg_verr(
						cx, p,
						"the scm_hugepages_disabled in engine %zu is "
						"different from engine %zu; use the same setting in "
						"every engine",
						i, i - 1);
			}
			if (engine_bdev_count(e) != engine_bdev_count(o)) {
				snprintf(p, sizeof(p), "engines[%zu].storage", i);
				cfg_vnotice(cx, p,
					    "the total number of bdev_list entries in all tiers "
					    "is not equal across engines, engine %zu has %zu but "
					    "engine %zu has %zu",
					    i, engine_bdev_count(e), i - 1, engine_bdev_count(o));
			}
			if (e->targets != o->targets) {
				snprintf(p, sizeof(p), "engines[%zu].targets", i);
				cfg_verr(
					cx, p,
					"the target count is not equal across engines, engine "
					"%zu has %lld but engine %zu has %lld; use the same targets "
					"value in every engine",
					i, (long long)e->targets, i - 1, (long long)o->targets);
			}
			if (e->nr_xs_helpers != o->nr_xs_helpers) {
				snprintf(p, sizeof(p), "engines[%zu].nr_xs_helpers", i);
				cfg_verr(
					cx, p,
					"the helper stream count is not equal across engines, "
					"engine %zu has %lld but engine %zu has %lld; use the same "
					"nr_xs_helpers value in every engine",
					i, (long long)e->nr_xs_helpers, i - 1,
					(long long)o->nr_xs_helpers);
			}
		}
	}
}
