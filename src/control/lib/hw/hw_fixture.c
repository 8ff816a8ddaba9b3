/*
 * The fixture backend of hw.h (ctl_hw() with DAOS_HW_ROOT=<dir>): the
 * topology from <dir>/topology.xml, the fabric listing from
 * <dir>/libfabric.txt, PMem DIMMs, regions and namespaces, NVMe controllers
 * and meminfo from <dir>/storage, and the actions prepare/reset apply to
 * that tree instead of the machine (namespace create/destroy, hugepages).
 * The layout is documented in tests/fixtures/README.md; every malformed
 * file is reported with its path (and line for multi-line files).  Reached
 * only through hw_fixture_ops.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <libgen.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fs.h"
#include "control/lib/hw/hw.h"
#include "control/lib/hw/hw_internal.h"

#define FX_PATH_MAX 4096

/* Fixture locations, relative to its directory. */
#define FX_TOPOLOGY  "topology.xml"
#define FX_LIBFABRIC "libfabric.txt"
#define FX_SYS	     "sys"
#define FX_MEMINFO   "storage/meminfo"
#define FX_PMEM	     "storage/pmem"
#define FX_NVME	     "storage/nvme"
#define FX_DEV	     "storage/dev"
#define FX_RUN	     "storage/run"

/* The fixture directory (ctl_hw_use(), from DAOS_HW_ROOT by default). */
static char fx_root[FX_PATH_MAX];

static void
fx_init(const char *root)
{
	stg_strlcpy(fx_root, root, sizeof(fx_root));
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted list of the entries of a directory (no dot entries); ENOENT -> 0 entries. */
static int
list_dir(const char *path, char ***names, int *nr, struct d_errbuf *eb)
{
	DIR	      *d;
	struct dirent *de;
	char	     **v = NULL;
	int	       n = 0;
	int	       rc = 0;

	*names = NULL;
	*nr = 0;
	d = opendir(path);
	if (d == NULL) {
		if (errno == ENOENT)
			return 0;
		d_errbuf_set(eb, "cannot list %s: %s", path, strerror(errno));
		return d_errno2der(errno);
	}
	while ((de = readdir(d)) != NULL) {
		char *name;

		if (de->d_name[0] == '.')
			continue;
		D_STRDUP(name, de->d_name);
		if (name == NULL || stg_array_add((void **)&v, &n, sizeof(name), &name) != 0) {
			D_FREE(name);
			d_errbuf_set(eb, "out of memory");
			rc = -DER_NOMEM;
			break;
		}
	}
	closedir(d);
	if (rc != 0) {
		while (n > 0) {
			n--;
			D_FREE(v[n]);
		}
		D_FREE(v);
		return rc;
	}
	if (n > 1)
		qsort(v, n, sizeof(*v), cmp_names);
	*names = v;
	*nr = n;
	return 0;
}

static void
free_names(char **names, int nr)
{
	while (nr > 0) {
		nr--;
		D_FREE(names[nr]);
	}
	D_FREE(names);
}

/* Attribute readers for "<dir>/<name>"; required ones fail with the path. */
static int
attr_str(const char *dir, const char *name, char *buf, size_t len, bool required,
	 struct d_errbuf *eb)
{
	char path[FX_PATH_MAX];
	int  rc;

	stg_pathf(path, sizeof(path), "%s/%s", dir, name);
	rc = stg_read_line(path, buf, len, required ? eb : NULL);
	if (rc != 0 && !required) {
		buf[0] = '\0';
		return 0;
	}
	return rc;
}

static int
attr_u64(const char *dir, const char *name, uint64_t *v, struct d_errbuf *eb)
{
	char path[FX_PATH_MAX];

	stg_pathf(path, sizeof(path), "%s/%s", dir, name);
	return stg_read_u64(path, v, eb);
}

static int
attr_u32(const char *dir, const char *name, uint32_t *v, struct d_errbuf *eb)
{
	uint64_t x;
	int	 rc;

	rc = attr_u64(dir, name, &x, eb);
	if (rc == 0 && x > UINT32_MAX) {
		d_errbuf_set(eb, "%s/%s:1: value %" PRIu64 " is too large", dir, name, x);
		return -DER_INVAL;
	}
	if (rc == 0)
		*v = (uint32_t)x;
	return rc;
}

static int
fx_dimm(const char *dir, struct ctl_scm_module *m, struct d_errbuf *eb)
{
	int rc;

	if ((rc = attr_u32(dir, "physical_id", &m->physical_id, eb)) != 0 ||
	    (rc = attr_u32(dir, "socket", &m->socket_id, eb)) != 0 ||
	    (rc = attr_u32(dir, "memory_controller", &m->controller_id, eb)) != 0 ||
	    (rc = attr_u32(dir, "channel", &m->channel_id, eb)) != 0 ||
	    (rc = attr_u32(dir, "channel_slot", &m->channel_pos, eb)) != 0 ||
	    (rc = attr_u64(dir, "capacity", &m->capacity, eb)) != 0)
		return rc;
	attr_str(dir, "uid", m->uid, sizeof(m->uid), false, eb);
	attr_str(dir, "part_number", m->part_number, sizeof(m->part_number), false, eb);
	attr_str(dir, "firmware_rev", m->fw_rev, sizeof(m->fw_rev), false, eb);
	attr_str(dir, "health", m->health, sizeof(m->health), false, eb);
	return 0;
}

static int
fx_region(const char *dir, const char *name, struct ctl_scm_region *r, struct d_errbuf *eb)
{
	uint64_t id;
	int	 rc;

	if (strncmp(name, "region", 6) != 0 || d_parse_u64(name + 6, &id) != 0) {
		d_errbuf_set(eb, "%s: region directories are named region<N>", dir);
		return -DER_INVAL;
	}
	stg_strlcpy(r->dev, name, sizeof(r->dev));
	r->id = (uint32_t)id;
	if ((rc = attr_u32(dir, "numa_node", &r->numa_node, eb)) != 0 ||
	    (rc = attr_u64(dir, "size", &r->size, eb)) != 0 ||
	    (rc = attr_u64(dir, "available_size", &r->available, eb)) != 0)
		return rc;
	if (r->available > r->size) {
		d_errbuf_set(eb, "%s/available_size: %" PRIu64 " exceeds the region size %" PRIu64,
			     dir, r->available, r->size);
		return -DER_INVAL;
	}
	return 0;
}

static int
fx_namespace(const char *dir, const char *name, struct ctl_scm_namespace *ns, struct d_errbuf *eb)
{
	int rc;

	stg_strlcpy(ns->dev, name, sizeof(ns->dev));
	if ((rc = attr_str(dir, "region", ns->region, sizeof(ns->region), true, eb)) != 0 ||
	    (rc = attr_str(dir, "blockdev", ns->blockdev, sizeof(ns->blockdev), true, eb)) != 0 ||
	    (rc = attr_u32(dir, "numa_node", &ns->numa_node, eb)) != 0 ||
	    (rc = attr_u64(dir, "size", &ns->size, eb)) != 0)
		return rc;
	attr_str(dir, "uuid", ns->uuid, sizeof(ns->uuid), false, eb);
	attr_str(dir, "mode", ns->mode, sizeof(ns->mode), false, eb);
	if (ns->mode[0] == '\0')
		stg_strlcpy(ns->mode, "fsdax", sizeof(ns->mode));
	return 0;
}

typedef int (*fx_obj_fn)(const char *dir, const char *name, void *elem, struct d_errbuf *eb);

static int
dimm_cb(const char *dir, const char *name, void *elem, struct d_errbuf *eb)
{
	(void)name;
	return fx_dimm(dir, elem, eb);
}

static int
region_cb(const char *dir, const char *name, void *elem, struct d_errbuf *eb)
{
	return fx_region(dir, name, elem, eb);
}

static int
ns_cb(const char *dir, const char *name, void *elem, struct d_errbuf *eb)
{
	return fx_namespace(dir, name, elem, eb);
}

/* Read every object directory under <root>/<rel> into a growable array. */
static int
fx_objects(const char *root, const char *rel, fx_obj_fn fn, size_t sz, void **arr, int *nr,
	   struct d_errbuf *eb)
{
	char   dir[FX_PATH_MAX], sub[FX_PATH_MAX];
	char **names;
	int    n, i;
	int    rc;

	stg_pathf(dir, sizeof(dir), "%s/%s", root, rel);
	rc = list_dir(dir, &names, &n, eb);
	if (rc != 0)
		return rc;
	for (i = 0; i < n && rc == 0; i++) {
		void *elem = d_calloc(1, sz);

		if (elem == NULL) {
			d_errbuf_set(eb, "out of memory");
			rc = -DER_NOMEM;
			break;
		}
		stg_pathf(sub, sizeof(sub), "%s/%s", dir, names[i]);
		rc = fn(sub, names[i], elem, eb);
		if (rc == 0 && stg_array_add(arr, nr, sz, elem) != 0) {
			d_errbuf_set(eb, "out of memory");
			rc = -DER_NOMEM;
		}
		D_FREE(elem);
	}
	free_names(names, n);
	return rc;
}

static int
fx_pmem_scan(struct ctl_storage_scan *s, struct d_errbuf *eb)
{
	const char *root = fx_root;
	int	    rc;

	rc = fx_objects(root, FX_PMEM "/dimms", dimm_cb, sizeof(*s->modules), (void **)&s->modules,
			&s->nr_modules, eb);
	if (rc == 0)
		rc = fx_objects(root, FX_PMEM "/regions", region_cb, sizeof(*s->regions),
				(void **)&s->regions, &s->nr_regions, eb);
	if (rc == 0)
		rc = fx_objects(root, FX_PMEM "/namespaces", ns_cb, sizeof(*s->namespaces),
				(void **)&s->namespaces, &s->nr_namespaces, eb);
	return rc;
}

/* Keys of the fixture's NVMe "health" file: upstream's JSON names. */
#define HF(name, kind)                                                                             \
	{                                                                                          \
#name, offsetof(struct ctl_nvme_health, name), kind, false                         \
	}
#define HI(name, kind)                                                                             \
	{                                                                                          \
#name, offsetof(struct ctl_nvme_health, name), kind, true                          \
	}
enum { HK_U8, HK_U16, HK_U32, HK_U64 };
static const struct {
	const char *key;
	size_t	    off;
	int	    kind;
	bool	    intel;
} health_keys[] = {
	HF(timestamp, HK_U64),
	HF(temperature, HK_U32),
	{"warn_temp_time", offsetof(struct ctl_nvme_health, warn_temp_time), HK_U32, false},
	{"crit_temp_time", offsetof(struct ctl_nvme_health, crit_temp_time), HK_U32, false},
	HF(ctrl_busy_time, HK_U64),
	HF(power_cycles, HK_U64),
	HF(power_on_hours, HK_U64),
	HF(unsafe_shutdowns, HK_U64),
	HF(media_errs, HK_U64),
	HF(err_log_entries, HK_U64),
	HF(percentage_used, HK_U32),
	HF(bio_read_errs, HK_U32),
	HF(bio_write_errs, HK_U32),
	HF(bio_unmap_errs, HK_U32),
	HF(checksum_errs, HK_U32),
	HF(critical_warning, HK_U8),
	HI(program_fail_cnt_norm, HK_U8),
	HI(program_fail_cnt_raw, HK_U64),
	HI(erase_fail_cnt_norm, HK_U8),
	HI(erase_fail_cnt_raw, HK_U64),
	HI(wear_leveling_cnt_norm, HK_U8),
	HI(wear_leveling_cnt_min, HK_U16),
	HI(wear_leveling_cnt_max, HK_U16),
	HI(wear_leveling_cnt_avg, HK_U16),
	HI(endtoend_err_cnt_raw, HK_U64),
	HI(crc_err_cnt_raw, HK_U64),
	HI(media_wear_raw, HK_U64),
	HI(host_reads_raw, HK_U64),
	HI(workload_timer_raw, HK_U64),
	HI(thermal_throttle_status, HK_U8),
	HI(thermal_throttle_event_cnt, HK_U64),
	HI(retry_buffer_overflow_cnt, HK_U64),
	HI(pll_lock_loss_cnt, HK_U64),
	HI(nand_bytes_written, HK_U64),
	HI(host_bytes_written, HK_U64),
	HF(link_port_id, HK_U32),
};

int
stg_fx_health_parse(const char *text, const char *where, struct ctl_nvme_health *h,
		    struct d_errbuf *eb)
{
	struct ctl_nvme_health tmp = {0};
	const char	      *p = text;
	int		       lineno = 0;

	while (*p != '\0') {
		char	    line[256];
		const char *nl = strchr(p, '\n');
		size_t	    n = nl != NULL ? (size_t)(nl - p) : strlen(p);
		char	   *eq, *key, *val;
		uint64_t    v, max;
		size_t	    i;

		lineno++;
		stg_pathf(line, sizeof(line), "%.*s",
			  (int)(n < sizeof(line) ? n : sizeof(line) - 1), p);
		p += n + (nl != NULL ? 1 : 0);
		key = stg_trim(line);
		if (key[0] == '\0' || key[0] == '#')
			continue;
		eq = strchr(key, '=');
		if (eq == NULL) {
			d_errbuf_set(eb, "%s:%d: expected \"key = value\", got \"%s\"", where,
				     lineno, key);
			return -DER_INVAL;
		}
		*eq = '\0';
		key = stg_trim(key);
		val = stg_trim(eq + 1);
		for (i = 0; i < D_ARRAY_SIZE(health_keys); i++)
			if (strcmp(health_keys[i].key, key) == 0)
				break;
		if (i == D_ARRAY_SIZE(health_keys)) {
			d_errbuf_set(eb, "%s:%d: unknown key \"%s\" (see tests/fixtures/README.md)",
				     where, lineno, key);
			return -DER_INVAL;
		}
		max = health_keys[i].kind == HK_U8    ? UINT8_MAX
		      : health_keys[i].kind == HK_U16 ? UINT16_MAX
		      : health_keys[i].kind == HK_U32 ? UINT32_MAX
						      : UINT64_MAX;
		if (d_parse_u64(val, &v) != 0 || v > max) {
			d_errbuf_set(eb,
				     "%s:%d: %s: expected an integer between 0 and %" PRIu64
				     ", got \"%s\"",
				     where, lineno, key, max, val);
			return -DER_INVAL;
		}
		switch (health_keys[i].kind) {
		case HK_U8:
			*(uint8_t *)((char *)&tmp + health_keys[i].off) = (uint8_t)v;
			break;
		case HK_U16:
			*(uint16_t *)((char *)&tmp + health_keys[i].off) = (uint16_t)v;
			break;
		case HK_U32:
			*(uint32_t *)((char *)&tmp + health_keys[i].off) = (uint32_t)v;
			break;
		default:
			*(uint64_t *)((char *)&tmp + health_keys[i].off) = v;
			break;
		}
		if (health_keys[i].intel)
			tmp.intel_vendor = true;
	}
	*h = tmp;
	return 0;
}

/* "namespaces": one line per namespace, "<nsid> <blockdev> <size-bytes>". */
static int
fx_nvme_namespaces(const char *path, struct ctl_nvme_ctrlr *c, struct d_errbuf *eb)
{
	char	   *text = NULL;
	const char *p;
	int	    lineno = 0;
	int	    rc;

	rc = d_file_read(path, SIZE_MAX, &text, NULL, eb);
	if (rc != 0)
		return rc;
	for (p = text; *p != '\0' && rc == 0;) {
		struct ctl_nvme_ns ns = {0};
		char		   line[256], dev[64], extra[2];
		unsigned long long id, size;
		const char	  *nl = strchr(p, '\n');
		size_t		   n = nl != NULL ? (size_t)(nl - p) : strlen(p);
		int		   got;

		lineno++;
		stg_pathf(line, sizeof(line), "%.*s",
			  (int)(n < sizeof(line) ? n : sizeof(line) - 1), p);
		p += n + (nl != NULL ? 1 : 0);
		if (stg_trim(line)[0] == '\0' || stg_trim(line)[0] == '#')
			continue;
		got = sscanf(line, "%llu %63s %llu %1s", &id, dev, &size, extra);
		if (got != 3 || id == 0 || id > UINT32_MAX) {
			d_errbuf_set(eb,
				     "%s:%d: expected \"<nsid> <blockdev> <size-bytes>\", got "
				     "\"%s\"",
				     path, lineno, stg_trim(line));
			rc = -DER_INVAL;
			break;
		}
		ns.id = (uint32_t)id;
		ns.size = size;
		stg_strlcpy(ns.blockdev, dev, sizeof(ns.blockdev));
		if (stg_array_add((void **)&c->ns, &c->nr_ns, sizeof(ns), &ns) != 0) {
			d_errbuf_set(eb, "out of memory");
			rc = -DER_NOMEM;
		}
	}
	D_FREE(text);
	return rc;
}

static int
fx_ctrlr(const char *dir, const char *name, bool health, struct ctl_nvme_ctrlr *c,
	 struct d_errbuf *eb)
{
	char	 path[FX_PATH_MAX];
	char	*text = NULL;
	uint64_t numa;
	int	 rc;

	if (!ctl_pci_addr_valid(name)) {
		d_errbuf_set(eb,
			     "%s: NVMe controller directories are named by PCI address "
			     "(dddd:bb:dd.f, lower-case hex)",
			     dir);
		return -DER_INVAL;
	}
	stg_strlcpy(c->pci_addr, name, sizeof(c->pci_addr));
	if ((rc = attr_str(dir, "model", c->model, sizeof(c->model), true, eb)) != 0 ||
	    (rc = attr_str(dir, "serial", c->serial, sizeof(c->serial), true, eb)) != 0 ||
	    (rc = attr_str(dir, "firmware_rev", c->fw_rev, sizeof(c->fw_rev), true, eb)) != 0 ||
	    (rc = attr_u64(dir, "numa_node", &numa, eb)) != 0)
		return rc;
	c->socket_id = (int32_t)numa;
	attr_str(dir, "vendor", c->vendor_id, sizeof(c->vendor_id), false, eb);
	stg_pathf(path, sizeof(path), "%s/namespaces", dir);
	rc = fx_nvme_namespaces(path, c, eb);
	if (rc != 0 || !health)
		return rc;

	/* Health problems are per controller, like an ioctl failure on a real device. */
	stg_pathf(path, sizeof(path), "%s/health", dir);
	if (d_file_read(path, SIZE_MAX, &text, NULL, NULL) != 0) {
		/* Relative to the fixture root, so outputs do not depend on where it is. */
		c->info = d_asprintf("health: cannot read %s/%s/health: %s", FX_NVME, name,
				     strerror(errno));
		return 0;
	}
	D_ALLOC_PTR(c->health);
	if (c->health == NULL) {
		d_errbuf_set(eb, "out of memory");
		rc = -DER_NOMEM;
	} else {
		rc = stg_fx_health_parse(text, path, c->health, eb);
		if (rc == 0)
			stg_pci_link_read(dir, c->health);
	}
	D_FREE(text);
	return rc;
}

static int
fx_nvme_scan(struct ctl_storage_scan *s, bool health, struct d_errbuf *eb)
{
	const char *root = fx_root;
	char	    dir[FX_PATH_MAX], sub[FX_PATH_MAX];
	char	  **names;
	int	    n, i;
	int	    rc;

	stg_pathf(dir, sizeof(dir), "%s/%s", root, FX_NVME);
	rc = list_dir(dir, &names, &n, eb);
	if (rc != 0)
		return rc;
	for (i = 0; i < n && rc == 0; i++) {
		struct ctl_nvme_ctrlr c = {0};

		stg_pathf(sub, sizeof(sub), "%s/%s", dir, names[i]);
		rc = fx_ctrlr(sub, names[i], health, &c, eb);
		if (rc == 0 &&
		    stg_array_add((void **)&s->ctrlrs, &s->nr_ctrlrs, sizeof(c), &c) != 0) {
			d_errbuf_set(eb, "out of memory");
			rc = -DER_NOMEM;
		}
		if (rc != 0) {
			D_FREE(c.ns);
			D_FREE(c.health);
			D_FREE(c.info);
		}
	}
	free_names(names, n);
	return rc;
}

/* ---- PMem actions on the fixture ---------------------------------------- */

static int
fx_write_attr(const char *dir, const char *name, const char *val, struct d_errbuf *eb)
{
	char path[FX_PATH_MAX];
	char line[256];

	stg_pathf(path, sizeof(path), "%s/%s", dir, name);
	stg_pathf(line, sizeof(line), "%s\n", val);
	return d_file_write_atomic(path, line, strlen(line), 0644, eb);
}

static int
fx_write_u64(const char *dir, const char *name, uint64_t v, struct d_errbuf *eb)
{
	char val[32];

	stg_pathf(val, sizeof(val), "%" PRIu64, v);
	return fx_write_attr(dir, name, val, eb);
}

/* A uuid from /proc/sys/kernel/random/uuid, as the kernel makes them. */
static void
fx_uuid(char *buf, size_t len)
{
	if (stg_read_line("/proc/sys/kernel/random/uuid", buf, len, NULL) != 0)
		stg_strlcpy(buf, "00000000-0000-0000-0000-000000000000", len);
}

static int
fx_create_ns(const struct ctl_scm_region *r, uint64_t raw, struct d_errbuf *eb)
{
	const char *root = fx_root;
	char	    dir[FX_PATH_MAX], rdir[FX_PATH_MAX], path[FX_PATH_MAX];
	char	    name[64], blockdev[64], uuid[40];
	int	    k;
	int	    rc;

	/* The kernel calls the first namespace of regionN pmemN, later ones pmemN.k. */
	for (k = 0;; k++) {
		stg_pathf(name, sizeof(name), "namespace%u.%d", r->id, k);
		stg_pathf(dir, sizeof(dir), "%s/%s/namespaces/%s", root, FX_PMEM, name);
		if (access(dir, F_OK) != 0)
			break;
	}
	if (k == 0)
		stg_pathf(blockdev, sizeof(blockdev), "pmem%u", r->id);
	else
		stg_pathf(blockdev, sizeof(blockdev), "pmem%u.%d", r->id, k);
	stg_pathf(path, sizeof(path), "%s/%s/namespaces", root, FX_PMEM);
	if ((mkdir(path, 0755) != 0 && errno != EEXIST) || mkdir(dir, 0755) != 0) {
		d_errbuf_set(eb, "cannot create %s: %s", dir, strerror(errno));
		return d_errno2der(errno);
	}
	fx_uuid(uuid, sizeof(uuid));
	/* fsdax keeps its page map on the device: 64 bytes per 4 KiB page. */
	if ((rc = fx_write_attr(dir, "region", r->dev, eb)) != 0 ||
	    (rc = fx_write_attr(dir, "blockdev", blockdev, eb)) != 0 ||
	    (rc = fx_write_attr(dir, "uuid", uuid, eb)) != 0 ||
	    (rc = fx_write_attr(dir, "mode", "fsdax", eb)) != 0 ||
	    (rc = fx_write_u64(dir, "numa_node", r->numa_node, eb)) != 0 ||
	    (rc = fx_write_u64(dir, "size", raw - raw / 64, eb)) != 0 ||
	    (rc = fx_write_u64(dir, "raw_size", raw, eb)) != 0)
		return rc;
	stg_pathf(rdir, sizeof(rdir), "%s/%s/regions/%s", root, FX_PMEM, r->dev);
	rc = fx_write_u64(rdir, "available_size", r->available - raw, eb);
	if (rc != 0)
		return rc;
	stg_pathf(path, sizeof(path), "%s/%s", root, FX_DEV);
	if (mkdir(path, 0755) != 0 && errno != EEXIST) {
		d_errbuf_set(eb, "cannot create %s: %s", path, strerror(errno));
		return d_errno2der(errno);
	}
	stg_pathf(path, sizeof(path), "%s/%s/%s", root, FX_DEV, blockdev);
	return d_file_write_atomic(path, "", 0, 0644, eb);
}

static int
fx_destroy_ns(const struct ctl_scm_namespace *ns, struct d_errbuf *eb)
{
	const char *root = fx_root;
	char	    dir[FX_PATH_MAX], rdir[FX_PATH_MAX], path[FX_PATH_MAX];
	uint64_t    raw = 0, avail;
	int	    rc;

	stg_pathf(dir, sizeof(dir), "%s/%s/namespaces/%s", root, FX_PMEM, ns->dev);
	stg_pathf(rdir, sizeof(rdir), "%s/%s/regions/%s", root, FX_PMEM, ns->region);
	if (attr_u64(dir, "raw_size", &raw, NULL) != 0)
		raw = ns->size + ns->size / 63;
	rc = attr_u64(rdir, "available_size", &avail, eb);
	if (rc != 0)
		return rc;
	rc = fx_write_u64(rdir, "available_size", avail + raw, eb);
	if (rc != 0)
		return rc;
	/* Remove the namespace's attribute files, then its directory. */
	{
		char **names;
		int    n, i;

		rc = list_dir(dir, &names, &n, eb);
		if (rc != 0)
			return rc;
		for (i = 0; i < n; i++) {
			stg_pathf(path, sizeof(path), "%s/%s", dir, names[i]);
			unlink(path);
		}
		free_names(names, n);
	}
	if (rmdir(dir) != 0) {
		d_errbuf_set(eb, "cannot remove %s: %s", dir, strerror(errno));
		return d_errno2der(errno);
	}
	stg_pathf(path, sizeof(path), "%s/%s/%s", root, FX_DEV, ns->blockdev);
	if (unlink(path) != 0 && errno != ENOENT) {
		d_errbuf_set(eb, "cannot remove %s: %s", path, strerror(errno));
		return d_errno2der(errno);
	}
	return 0;
}

/* ---- topology, fabric, memory, places -------------------------------------- */

static int
fx_topo_load(struct ctl_topology **out, struct d_errbuf *eb)
{
	char path[FX_PATH_MAX];

	stg_pathf(path, sizeof(path), "%s/%s", fx_root, FX_TOPOLOGY);
	return ctl_topo_load_xml(path, out, eb);
}

/* The fixture's stand-in for fi_getinfo: "<libfabric provider> <domain>" per line, '#' comments. */
static int
lf_read_fixture(const char *path, struct ctl_fabric_list *l, struct d_errbuf *eb)
{
	FILE  *f;
	char  *line = NULL;
	size_t cap = 0;
	int    lineno = 0, rc = 0;

	f = fopen(path, "re");
	if (f == NULL) {
		int err = errno;

		d_errbuf_set(eb,
			     "hardware fixture %s: cannot open: %s (list what libfabric offers, "
			     "one \"<provider> <domain>\" per line; see tests/fixtures/README.md)",
			     path, strerror(err));
		return err == ENOENT ? -DER_NONEXIST : -DER_INVAL;
	}
	while (rc == 0 && getline(&line, &cap, f) >= 0) {
		const char *p = line, *pe, *d, *de, *rest;

		lineno++;
		while (isspace((unsigned char)*p))
			p++;
		if (*p == '\0' || *p == '#')
			continue;
		for (pe = p; *pe && !isspace((unsigned char)*pe); pe++)
			;
		for (d = pe; isspace((unsigned char)*d); d++)
			;
		for (de = d; *de && !isspace((unsigned char)*de); de++)
			;
		for (rest = de; isspace((unsigned char)*rest); rest++)
			;
		if (d == de || (*rest != '\0' && *rest != '#')) {
			char *nl = strchr(line, '\n');

			if (nl != NULL)
				*nl = '\0';
			d_errbuf_set(
				eb, "%s:%d: expected \"<libfabric provider> <domain>\", got \"%s\"",
				path, lineno, line);
			rc = -DER_INVAL;
			break;
		}
		rc = hw_fabric_list_add(l, p, pe - p, d, de - d);
		if (rc != 0)
			d_errbuf_set(eb, "out of memory reading %s", path);
	}
	D_FREE(line);
	fclose(f);
	return rc;
}

static int
fx_fabric_list(struct ctl_fabric_list *l, struct d_errbuf *eb)
{
	char path[FX_PATH_MAX];

	stg_pathf(path, sizeof(path), "%s/%s", fx_root, FX_LIBFABRIC);
	return lf_read_fixture(path, l, eb);
}

static int
fx_meminfo(struct ctl_meminfo *mi, struct d_errbuf *eb)
{
	char  path[FX_PATH_MAX];
	char *text = NULL;
	int   rc;

	stg_pathf(path, sizeof(path), "%s/%s", fx_root, FX_MEMINFO);
	rc = d_file_read(path, SIZE_MAX, &text, NULL, eb);
	if (rc != 0)
		return rc;
	rc = ctl_meminfo_parse(text, path, mi, eb);
	D_FREE(text);
	return rc;
}

/*
 * In a fixture the meminfo file is the hugepage state: rewrite its
 * HugePages_Total/Free lines as the kernel would after a change of
 * nr_hugepages (free pages move by the same delta).
 */
static int
fx_hugepages_set(uint64_t nr, struct d_errbuf *eb)
{
	char		   path[FX_PATH_MAX];
	struct ctl_meminfo mi;
	struct d_sbuf	   sb;
	char		  *text = NULL;
	const char	  *p;
	int64_t		   delta;
	int		   rc;

	stg_pathf(path, sizeof(path), "%s/%s", fx_root, FX_MEMINFO);
	rc = d_file_read(path, SIZE_MAX, &text, NULL, eb);
	if (rc != 0)
		return rc;
	rc = ctl_meminfo_parse(text, path, &mi, eb);
	if (rc != 0)
		goto out;
	delta = (int64_t)nr - (int64_t)mi.hugepages_total;
	if (delta < 0 && (uint64_t)-delta > mi.hugepages_free) {
		d_errbuf_set(eb,
			     "%s: cannot release %" PRId64 " hugepages, only %" PRIu64
			     " are free (in use by running processes)",
			     path, -delta, mi.hugepages_free);
		rc = -DER_BUSY;
		goto out;
	}
	d_sbuf_init(&sb);
	for (p = text; *p != '\0';) {
		const char *nl = strchr(p, '\n');
		size_t	    n = nl != NULL ? (size_t)(nl - p + 1) : strlen(p);

		if (strncmp(p, "HugePages_Total:", 16) == 0)
			d_sbuf_printf(&sb, "HugePages_Total: %8" PRIu64 "\n", nr);
		else if (strncmp(p, "HugePages_Free:", 15) == 0)
			d_sbuf_printf(&sb, "HugePages_Free:  %8" PRIu64 "\n",
				      (uint64_t)((int64_t)mi.hugepages_free + delta));
		else
			d_sbuf_putn(&sb, p, n);
		p += n;
	}
	if (sb.failed) {
		rc = -DER_NOMEM;
		d_errbuf_set(eb, "out of memory rewriting %s", path);
	} else {
		rc = d_file_write_atomic(path, sb.buf, sb.len, 0644, eb);
	}
	d_sbuf_fini(&sb);
out:
	D_FREE(text);
	return rc;
}

static const char *
fx_path(enum ctl_hw_place place, const char *name, char *buf, size_t len)
{
	static const char *const dirs[] = {
		[CTL_HW_SYS] = FX_SYS,
		[CTL_HW_DEV] = FX_DEV,
		[CTL_HW_RUN] = FX_RUN,
	};

	if (name == NULL)
		stg_pathf(buf, len, "%s/%s", fx_root, dirs[place]);
	else
		stg_pathf(buf, len, "%s/%s/%s", fx_root, dirs[place], name);
	return buf;
}

/* The fixture directory's name: hosts/wolf is "wolf". */
static void
fx_host_name(char *buf, size_t len)
{
	char copy[FX_PATH_MAX];

	stg_strlcpy(copy, fx_root, sizeof(copy));
	stg_strlcpy(buf, basename(copy), len);
}

const struct ctl_hw_ops hw_fixture_ops = {
	.name = "fixture",
	.init = fx_init,
	.topo_load = fx_topo_load,
	.fabric_list = fx_fabric_list,
	.pmem_scan = fx_pmem_scan,
	.nvme_scan = fx_nvme_scan,
	.meminfo = fx_meminfo,
	.hugepages_set = fx_hugepages_set,
	.ns_create = fx_create_ns,
	.ns_destroy = fx_destroy_ns,
	.path = fx_path,
	.host_name = fx_host_name,
};
