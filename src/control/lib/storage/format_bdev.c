/*
 * The bdev tier of storage format: sparse backing files (class file; the
 * space they may grow to is checked to be free first), block
 * device checks (class kdev), NVMe PCI address to kernel namespace block
 * device (class nvme, via the storage scan so fixtures work too), and the
 * SPDK-style daos_nvme.conf JSON in upstream's layout (bdev subsystem with
 * upstream's default options, then one bdev_nvme_attach_controller or
 * bdev_aio_create per device; "vmd" subsystem when enabled).  Does not
 * format NVMe namespaces or write MD-on-SSD control metadata.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "common/fs.h"
#include "common/json.h"
#include "common/yaml_doc.h"
#include "control/lib/hw/hw.h"
#include "control/lib/storage/storage_internal.h"

#define GB 1000000000ULL

/* Directory part of a bdev file path into dir ("." or "/" when it has none). */
static void
file_dir(const char *path, char *dir, size_t len)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		snprintf(dir, len, ".");
	else if (slash == path)
		snprintf(dir, len, "/");
	else
		snprintf(dir, len, "%.*s", (int)(slash - path), path);
}

/* The nearest existing directory of a bdev file (its own may not exist yet), and its stat. */
static int
existing_dir(const char *path, char *dir, size_t len, struct stat *st)
{
	file_dir(path, dir, len);
	while (stat(dir, st) != 0) {
		char up[PATH_MAX];

		if (strcmp(dir, "/") == 0 || strcmp(dir, ".") == 0)
			return -DER_NONEXIST;
		file_dir(dir, up, sizeof(up));
		snprintf(dir, len, "%s", up);
	}
	return 0;
}

/*
 * The files are sparse, so a file system too small for them would accept
 * them and fail the engine's writes later: check that every file system
 * holding some has room for all of its files at full size (counting the
 * blocks the old files give back).
 */
static int
check_file_space(const struct ctl_tier *t, uint64_t size, struct d_errbuf *eb)
{
	for (size_t i = 0; i < t->bdev_list.n; i++) {
		struct statvfs vfs;
		struct stat    st;
		char	       dir[PATH_MAX];
		uint64_t       need = 0, avail, mine = 0;
		size_t	       nfiles = 0;
		dev_t	       dev;
		bool	       first = true;

		if (existing_dir(t->bdev_list.v[i], dir, sizeof(dir), &st) != 0 ||
		    statvfs(dir, &vfs) != 0)
			continue; /* creating the file reports it */
		dev = st.st_dev;
		/* Judge each file system once, at its first file. */
		for (size_t j = 0; j < t->bdev_list.n; j++) {
			char	    dj[PATH_MAX];
			struct stat sj;

			if (existing_dir(t->bdev_list.v[j], dj, sizeof(dj), &sj) != 0 ||
			    sj.st_dev != dev)
				continue;
			if (j < i)
				first = false;
			need += size;
			nfiles++;
			if (stat(t->bdev_list.v[j], &sj) == 0 && S_ISREG(sj.st_mode))
				mine += (uint64_t)sj.st_blocks * 512;
		}
		if (!first)
			continue;
		avail = (uint64_t)vfs.f_bavail * vfs.f_frsize + mine;
		if (avail < need) {
			d_errbuf_set(eb,
				     "not enough space for bdev file%s %s: %zu file%s of bdev_size "
				     "%lld GB need %ju bytes, the file system of %s has %ju bytes "
				     "free; free space there, lower bdev_size or move bdev_list",
				     nfiles > 1 ? "s" : "", t->bdev_list.v[i], nfiles,
				     nfiles > 1 ? "s" : "", (long long)t->bdev_size,
				     (uintmax_t)need, dir, (uintmax_t)avail);
			return -DER_NOSPACE;
		}
	}
	return 0;
}

int
ctl_bdev_file_create(const struct ctl_tier *t, struct d_errbuf *eb)
{
	uint64_t size;
	size_t	 i;
	int	 rc;

	if (t->class != CTL_CLASS_FILE || t->bdev_size <= 0 || t->bdev_list.n == 0) {
		d_errbuf_set(eb, "class file requires non-empty bdev_list and non-zero bdev_size");
		return -DER_INVAL;
	}
	size = (uint64_t)t->bdev_size * GB / CTL_AIO_BLOCK_SIZE * CTL_AIO_BLOCK_SIZE;
	rc = check_file_space(t, size, eb);
	if (rc != 0)
		return rc;
	for (i = 0; i < t->bdev_list.n; i++) {
		const char *path = t->bdev_list.v[i];
		const char *slash = strrchr(path, '/');
		char	    dir[PATH_MAX];
		int	    fd;

		if (strlen(path) >= sizeof(dir)) {
			d_errbuf_set(eb, "path %s is too long", path);
			return -DER_INVAL;
		}
		/* "/f" and "f" have no directory to create */
		if (slash != NULL && slash != path) {
			snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
			rc = d_mkdir_p(dir, 0755, eb);
			if (rc != 0)
				return rc;
		}
		fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
		if (fd < 0) {
			d_errbuf_set(eb, "cannot create bdev file %s: %s", path, strerror(errno));
			return d_errno2der(errno);
		}
		/* Emptying first drops old blocks, so the file is sparse again. */
		if (ftruncate(fd, 0) != 0 || ftruncate(fd, (off_t)size) != 0) {
			rc = d_errno2der(errno);
			d_errbuf_set(eb, "cannot size bdev file %s to %ju bytes: %s", path,
				     (uintmax_t)size, strerror(errno));
			close(fd);
			return rc;
		}
		if (fsync(fd) != 0) {
			rc = d_errno2der(errno);
			d_errbuf_set(eb, "cannot sync bdev file %s: %s", path, strerror(errno));
			close(fd);
			return rc;
		}
		close(fd);
	}
	return 0;
}

int
ctl_bdev_kdev_check(const struct ctl_tier *t, struct d_errbuf *eb)
{
	size_t i;

	if (t->class != CTL_CLASS_KDEV || t->bdev_list.n == 0) {
		d_errbuf_set(eb, "class kdev requires non-empty bdev_list");
		return -DER_INVAL;
	}
	for (i = 0; i < t->bdev_list.n; i++) {
		struct stat st;
		const char *dev = t->bdev_list.v[i];

		if (stat(dev, &st) != 0) {
			d_errbuf_set(eb, "kdev device %s: %s", dev,
				     errno == ENOENT ? "does not exist; fix bdev_list"
						     : strerror(errno));
			return errno == ENOENT ? -DER_NONEXIST : d_errno2der(errno);
		}
		if (!S_ISBLK(st.st_mode)) {
			d_errbuf_set(eb,
				     "kdev device %s is not a block device; use class file for "
				     "regular files",
				     dev);
			return -DER_INVAL;
		}
	}
	return 0;
}

int
ctl_bdev_nvme_resolve(const char *pci, char *dev, size_t len, struct d_errbuf *eb)
{
	struct ctl_storage_scan *scan = NULL;
	char			 path[PATH_MAX];
	int			 i;
	int			 rc;

	rc = ctl_storage_scan(CTL_SCAN_NVME, &scan, eb);
	if (rc != 0)
		return rc;
	for (i = 0; i < scan->nr_ctrlrs; i++)
		if (strcasecmp(scan->ctrlrs[i].pci_addr, pci) == 0)
			break;
	if (i == scan->nr_ctrlrs) {
		d_errbuf_set(eb,
			     "NVMe controller %s not found (is it bound to the kernel nvme "
			     "driver? check with daos_server nvme scan)",
			     pci);
		rc = -DER_NONEXIST;
		goto out;
	}
	if (scan->ctrlrs[i].nr_ns == 0) {
		d_errbuf_set(eb, "NVMe controller %s has no namespace; create one with nvme-cli",
			     pci);
		rc = -DER_NONEXIST;
		goto out;
	}
	ctl_hw()->path(CTL_HW_DEV, scan->ctrlrs[i].ns[0].blockdev, path, sizeof(path));
	if (strlen(path) >= len) {
		d_errbuf_set(eb, "block device path %s is too long", path);
		rc = -DER_INVAL;
		goto out;
	}
	snprintf(dev, len, "%s", path);
out:
	ctl_storage_scan_free(scan);
	return rc;
}

/* ---- daos_nvme.conf ------------------------------------------------------------ */

void
ctl_nvme_conf_fini(struct ctl_nvme_conf *conf)
{
	if (conf == NULL)
		return;
	D_FREE(conf->devs);
	conf->ndevs = 0;
}

static int
conf_add(struct ctl_nvme_conf *conf, const struct ctl_nvme_conf_dev *d)
{
	struct ctl_nvme_conf_dev *v;

	v = d_realloc(conf->devs, (conf->ndevs + 1) * sizeof(*v));
	if (v == NULL)
		return -DER_NOMEM;
	v[conf->ndevs++] = *d;
	conf->devs = v;
	return 0;
}

int
ctl_nvme_conf_build(const struct ctl_tier *tiers, size_t ntiers, const char *host, bool vmd,
		    struct ctl_nvme_conf *out, struct d_errbuf *eb)
{
	struct ctl_nvme_conf conf = {0};
	size_t		     t;
	size_t		     i;
	int		     rc;

	for (t = 0; t < ntiers; t++) {
		const struct ctl_tier *tier = &tiers[t];

		if (tier->class != CTL_CLASS_NVME && tier->class != CTL_CLASS_FILE &&
		    tier->class != CTL_CLASS_KDEV)
			continue;
		if (tier->class == CTL_CLASS_NVME)
			conf.vmd = vmd;
		for (i = 0; i < tier->bdev_list.n; i++) {
			struct ctl_nvme_conf_dev d = {0};
			const char		*pfx;
			size_t			 n;

			d.method = tier->class == CTL_CLASS_NVME ? CTL_NVME_ATTACH : CTL_AIO_CREATE;
			d.block_size = tier->class == CTL_CLASS_FILE ? CTL_AIO_BLOCK_SIZE : 0;
			d.index = (uint32_t)i;
			d.tier = (uint32_t)t;
			d.roles = tier->bdev_roles;
			pfx = d.method == CTL_NVME_ATTACH ? "Nvme" : "AIO";
			n = (size_t)snprintf(d.name, sizeof(d.name), "%s_%s_%zu_%zu_%u", pfx, host,
					     i, t, tier->bdev_roles);
			if (n >= sizeof(d.name) || strlen(tier->bdev_list.v[i]) >= sizeof(d.addr)) {
				d_errbuf_set(eb, "bdev name or path too long for %s",
					     tier->bdev_list.v[i]);
				rc = -DER_INVAL;
				goto fail;
			}
			snprintf(d.addr, sizeof(d.addr), "%s", tier->bdev_list.v[i]);
			rc = conf_add(&conf, &d);
			if (rc != 0) {
				d_errbuf_set(eb, "out of memory building %s", CTL_NVME_CONF_NAME);
				goto fail;
			}
		}
	}
	*out = conf;
	return 0;
fail:
	ctl_nvme_conf_fini(&conf);
	return rc;
}

char *
ctl_nvme_conf_format(const struct ctl_nvme_conf *conf)
{
	struct d_json *w = d_json_create();
	char	      *text = NULL;
	size_t	       i;

	if (w == NULL)
		return NULL;
	d_json_obj_begin(w, NULL);
	d_json_obj_begin(w, "daos_data");
	d_json_arr_begin(w, "config");
	d_json_arr_end(w);
	d_json_obj_end(w);
	d_json_arr_begin(w, "subsystems");
	d_json_obj_begin(w, NULL);
	d_json_str(w, "subsystem", "bdev");
	d_json_arr_begin(w, "config");
	/* upstream's defaults (defaultSpdkConfig) */
	d_json_obj_begin(w, NULL);
	d_json_obj_begin(w, "params");
	d_json_uint(w, "bdev_io_pool_size", 65536);
	d_json_uint(w, "bdev_io_cache_size", 256);
	d_json_obj_end(w);
	d_json_str(w, "method", "bdev_set_options");
	d_json_obj_end(w);
	d_json_obj_begin(w, NULL);
	d_json_obj_begin(w, "params");
	d_json_uint(w, "retry_count", 4);
	d_json_uint(w, "timeout_us", 0);
	d_json_uint(w, "nvme_adminq_poll_period_us", 100000);
	d_json_str(w, "action_on_timeout", "none");
	d_json_uint(w, "nvme_ioq_poll_period_us", 0);
	d_json_obj_end(w);
	d_json_str(w, "method", "bdev_nvme_set_options");
	d_json_obj_end(w);
	d_json_obj_begin(w, NULL);
	d_json_obj_begin(w, "params");
	d_json_bool(w, "enable", false);
	d_json_uint(w, "period_us", 0);
	d_json_obj_end(w);
	d_json_str(w, "method", "bdev_nvme_set_hotplug");
	d_json_obj_end(w);
	for (i = 0; i < conf->ndevs; i++) {
		const struct ctl_nvme_conf_dev *d = &conf->devs[i];

		d_json_obj_begin(w, NULL);
		d_json_obj_begin(w, "params");
		if (d->method == CTL_NVME_ATTACH) {
			d_json_str(w, "trtype", "PCIe");
			d_json_str(w, "name", d->name);
			d_json_str(w, "traddr", d->addr);
			d_json_obj_end(w);
			d_json_str(w, "method", "bdev_nvme_attach_controller");
		} else {
			d_json_uint(w, "block_size", d->block_size);
			d_json_str(w, "name", d->name);
			d_json_str(w, "filename", d->addr);
			d_json_obj_end(w);
			d_json_str(w, "method", "bdev_aio_create");
		}
		d_json_obj_end(w);
	}
	d_json_arr_end(w);
	d_json_obj_end(w);
	if (conf->vmd) {
		d_json_obj_begin(w, NULL);
		d_json_str(w, "subsystem", "vmd");
		d_json_arr_begin(w, "config");
		d_json_obj_begin(w, NULL);
		d_json_obj_begin(w, "params");
		d_json_obj_end(w);
		d_json_str(w, "method", "enable_vmd");
		d_json_obj_end(w);
		d_json_arr_end(w);
		d_json_obj_end(w);
	}
	d_json_arr_end(w);
	d_json_obj_end(w);
	if (d_json_finish(w) == 0)
		text = d_asprintf("%s\n", d_json_text(w));
	d_json_destroy(w);
	return text;
}

/* ---- parsing ----------------------------------------------------------------- */

struct pctx {
	const char	*name;
	struct d_errbuf *eb;
};

static int
perr(struct pctx *p, const struct d_yaml_node *n, const char *what, const char *msg)
{
	d_errbuf_set(p->eb, "%s:%d: %s: %s", p->name, n->line, what, msg);
	return -DER_INVAL;
}

static const struct d_yaml_node *
want(struct pctx *p, const struct d_yaml_node *map, const char *key, enum d_yaml_kind kind,
     const char *what, int *rc)
{
	const struct d_yaml_node *v = d_yaml_map_get(map, key);
	char			  msg[128];

	if (v == NULL) {
		snprintf(msg, sizeof(msg), "missing key \"%s\"", key);
		*rc = perr(p, map, what, msg);
		return NULL;
	}
	if (v->kind != kind) {
		snprintf(msg, sizeof(msg), "\"%s\" must be %s, got %s", key,
			 kind == D_YAML_MAP   ? "an object"
			 : kind == D_YAML_SEQ ? "a list"
					      : "a value",
			 d_yaml_describe(v));
		*rc = perr(p, v, what, msg);
		return NULL;
	}
	return v;
}

/* "<Pfx>_<host>_<idx>_<tier>_<roles>": host may contain '_', so split from the right. */
static bool
decode_name(const char *name, const char *pfx, struct ctl_nvme_conf_dev *d)
{
	char	 buf[128];
	uint32_t v[3];
	int	 i;

	if (strncmp(name, pfx, strlen(pfx)) != 0 || strlen(name) >= sizeof(buf))
		return false;
	snprintf(buf, sizeof(buf), "%s", name + strlen(pfx));
	for (i = 2; i >= 0; i--) {
		char	*us = strrchr(buf, '_');
		uint64_t n;

		if (us == NULL || d_parse_u64(us + 1, &n) != 0 || n > UINT32_MAX)
			return false;
		v[i] = (uint32_t)n;
		*us = '\0';
	}
	if (buf[0] == '\0')
		return false;
	d->index = v[0];
	d->tier = v[1];
	d->roles = v[2];
	return true;
}

static int
get_field(struct pctx *p, const struct d_yaml_node *params, const char *key, char *dst, size_t len,
	  const char *what)
{
	const struct d_yaml_node *v;
	const char		 *s;
	struct d_errbuf		  e;
	int			  rc = 0;

	v = want(p, params, key, D_YAML_SCALAR, what, &rc);
	if (v == NULL)
		return rc;
	if (d_yaml_get_str(v, &s, &e) != 0)
		return perr(p, v, what, e.msg);
	if (s[0] == '\0' || strlen(s) >= len)
		return perr(p, v, what, "empty or too long value");
	snprintf(dst, len, "%s", s);
	return 0;
}

static int
parse_bdev_entry(struct pctx *p, const struct d_yaml_node *e, struct ctl_nvme_conf *conf)
{
	static const char *const  defaults[] = {"bdev_set_options", "bdev_nvme_set_options",
						"bdev_nvme_set_hotplug"};
	struct ctl_nvme_conf_dev  d = {0};
	const struct d_yaml_node *m;
	const struct d_yaml_node *params;
	const char		 *method;
	struct d_errbuf		  eb;
	size_t			  i;
	int			  rc = 0;

	if (e->kind != D_YAML_MAP)
		return perr(p, e, "bdev config", "entries must be objects");
	m = want(p, e, "method", D_YAML_SCALAR, "bdev config", &rc);
	if (m == NULL)
		return rc;
	params = want(p, e, "params", D_YAML_MAP, "bdev config", &rc);
	if (params == NULL)
		return rc;
	if (d_yaml_get_str(m, &method, &eb) != 0)
		return perr(p, m, "method", eb.msg);
	for (i = 0; i < D_ARRAY_SIZE(defaults); i++)
		if (strcmp(method, defaults[i]) == 0)
			return 0;
	if (strcmp(method, "bdev_nvme_attach_controller") == 0) {
		d.method = CTL_NVME_ATTACH;
		rc = get_field(p, params, "name", d.name, sizeof(d.name), method);
		if (rc == 0)
			rc = get_field(p, params, "traddr", d.addr, sizeof(d.addr), method);
		if (rc == 0 && !decode_name(d.name, "Nvme_", &d))
			rc = perr(p, params, method,
				  "name must be Nvme_<host>_<index>_<tier>_<roles>");
	} else if (strcmp(method, "bdev_aio_create") == 0) {
		const struct d_yaml_node *bs = d_yaml_map_get(params, "block_size");

		d.method = CTL_AIO_CREATE;
		rc = get_field(p, params, "name", d.name, sizeof(d.name), method);
		if (rc == 0)
			rc = get_field(p, params, "filename", d.addr, sizeof(d.addr), method);
		if (rc == 0 && bs != NULL) {
			int64_t n;

			if (d_yaml_get_int(bs, 0, UINT32_MAX, &n, &eb) != 0)
				rc = perr(p, bs, "block_size", eb.msg);
			d.block_size = (uint32_t)n;
		}
		if (rc == 0 && !decode_name(d.name, "AIO_", &d))
			rc = perr(p, params, method,
				  "name must be AIO_<host>_<index>_<tier>_<roles>");
	} else {
		char msg[160];

		snprintf(msg, sizeof(msg), "unsupported method \"%s\"", method);
		return perr(p, m, "bdev config", msg);
	}
	if (rc != 0)
		return rc;
	rc = conf_add(conf, &d);
	if (rc != 0)
		d_errbuf_set(p->eb, "out of memory reading %s", p->name);
	return rc;
}

static int
parse_subsystem(struct pctx *p, const struct d_yaml_node *s, struct ctl_nvme_conf *conf)
{
	const struct d_yaml_node *name;
	const struct d_yaml_node *cfg;
	const char		 *str;
	struct d_errbuf		  eb;
	size_t			  i;
	int			  rc = 0;

	if (s->kind != D_YAML_MAP)
		return perr(p, s, "subsystems", "entries must be objects");
	name = want(p, s, "subsystem", D_YAML_SCALAR, "subsystems", &rc);
	if (name == NULL)
		return rc;
	cfg = want(p, s, "config", D_YAML_SEQ, "subsystems", &rc);
	if (cfg == NULL)
		return rc;
	if (d_yaml_get_str(name, &str, &eb) != 0)
		return perr(p, name, "subsystem", eb.msg);
	if (strcmp(str, "vmd") == 0) {
		conf->vmd = true;
		return 0;
	}
	if (strcmp(str, "bdev") != 0)
		return perr(p, name, "subsystem", "unsupported subsystem (bdev or vmd expected)");
	for (i = 0; i < cfg->count; i++) {
		rc = parse_bdev_entry(p, cfg->items[i], conf);
		if (rc != 0)
			return rc;
	}
	return 0;
}

int
ctl_nvme_conf_parse(const char *name, const char *text, size_t len, struct ctl_nvme_conf *out,
		    struct d_errbuf *eb)
{
	struct ctl_nvme_conf	  conf = {0};
	struct pctx		  p = {name, eb};
	struct d_yaml_doc	 *doc = NULL;
	struct d_diags		  diags;
	const struct d_yaml_node *subs;
	size_t			  i;
	int			  rc = 0;

	d_diags_init(&diags, name);
	rc = d_yaml_load_string(name, text, len, &doc, &diags);
	if (rc != 0) {
		char *m = diags.n > 0 ? d_diag_format(&diags, &diags.v[0]) : NULL;

		d_errbuf_set(eb, "%s", m != NULL ? m : "cannot parse NVMe config");
		D_FREE(m);
		goto out;
	}
	if (doc->root == NULL || doc->root->kind != D_YAML_MAP) {
		d_errbuf_set(eb, "%s:1: expected a JSON object", name);
		rc = -DER_INVAL;
		goto out;
	}
	subs = want(&p, doc->root, "subsystems", D_YAML_SEQ, "document", &rc);
	if (subs == NULL)
		goto out;
	for (i = 0; i < subs->count; i++) {
		rc = parse_subsystem(&p, subs->items[i], &conf);
		if (rc != 0)
			goto out;
	}
	*out = conf;
	conf.devs = NULL;
out:
	ctl_nvme_conf_fini(&conf);
	d_yaml_doc_destroy(doc);
	d_diags_fini(&diags);
	return rc;
}

int
ctl_nvme_conf_write(const char *dir, const struct ctl_nvme_conf *conf, struct d_errbuf *eb)
{
	char *text = ctl_nvme_conf_format(conf);
	int   rc;

	rc = ctl_scm_file_write(dir, CTL_NVME_CONF_NAME, text, eb);
	D_FREE(text);
	return rc;
}

int
ctl_nvme_conf_read(const char *dir, struct ctl_nvme_conf *conf, struct d_errbuf *eb)
{
	char   path[PATH_MAX];
	char  *text = NULL;
	size_t len;
	int    rc;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, CTL_NVME_CONF_NAME) >=
	    sizeof(path)) {
		d_errbuf_set(eb, "SCM mount path %s is too long", dir);
		return -DER_INVAL;
	}
	rc = d_file_read(path, SIZE_MAX, &text, &len, eb);
	if (rc != 0)
		return rc;
	rc = ctl_nvme_conf_parse(path, text, len, conf, eb);
	D_FREE(text);
	return rc;
}
