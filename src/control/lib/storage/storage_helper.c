/*
 * The request and response texts of daos_server_helper and the two checks
 * the helper makes before it acts (storage.h has the wire).  Both sides use
 * this file: daos_server formats requests and parses responses, the helper
 * parses requests, judges them and formats its response.  Nothing here
 * mounts, logs or looks at the caller beyond the uid it is given.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "control/lib/storage/storage.h"

static const struct {
	const char *name;
	uint32_t    keys;
} helper_ops[] = {[CTL_HELPER_NONE] = {"?", 0},
#define CTL_HELPER_ROW(e, n, k) [CTL_HELPER_##e] = {n, k},
		  CTL_HELPER_OPS(CTL_HELPER_ROW)
#undef CTL_HELPER_ROW
};

#define NR_OPS (sizeof(helper_ops) / sizeof(helper_ops[0]))

const char *
ctl_helper_op_name(enum ctl_helper_op op)
{
	return (unsigned)op < NR_OPS ? helper_ops[op].name : "?";
}

static bool
one_line(const char *s)
{
	for (; *s != '\0'; s++)
		if (iscntrl((unsigned char)*s))
			return false;
	return true;
}

char *
ctl_helper_req_format(const struct ctl_helper_req *req)
{
	struct d_sbuf sb;
	uint32_t      keys;

	if (req->op == CTL_HELPER_NONE || (unsigned)req->op >= NR_OPS || !one_line(req->config) ||
	    !one_line(req->mount) || !one_line(req->device))
		return NULL;
	keys = helper_ops[req->op].keys;
	if (((keys & CTL_HK_MOUNT) && req->mount[0] == '\0') ||
	    ((keys & CTL_HK_DEVICE) && req->device[0] == '\0'))
		return NULL;
	d_sbuf_init(&sb);
	d_sbuf_printf(&sb, "op=%s\nconfig=%s\n", helper_ops[req->op].name, req->config);
	if (keys & CTL_HK_MOUNT)
		d_sbuf_printf(&sb, "mount=%s\n", req->mount);
	if (keys & CTL_HK_DEVICE)
		d_sbuf_printf(&sb, "device=%s\n", req->device);
	if (keys & CTL_HK_SIZE_GIB)
		d_sbuf_printf(&sb, "size_gib=%ju\n", (uintmax_t)req->size_gib);
	if (sb.failed) {
		d_sbuf_fini(&sb);
		return NULL;
	}
	return d_sbuf_take(&sb);
}

/* A path value into dst (absolute, fits); `key` and `line` for the message. */
static int
put_path(char *dst, const char *key, const char *v, size_t vlen, int line, struct d_errbuf *eb)
{
	if (vlen == 0 || v[0] != '/') {
		d_errbuf_set(eb, "line %d: %s must be an absolute path", line, key);
		return -DER_INVAL;
	}
	if (vlen >= PATH_MAX) {
		d_errbuf_set(eb, "line %d: %s is longer than %d bytes", line, key, PATH_MAX - 1);
		return -DER_INVAL;
	}
	memcpy(dst, v, vlen);
	dst[vlen] = '\0';
	return 0;
}

static int
put_u64(uint64_t *dst, const char *key, const char *v, size_t vlen, int line, struct d_errbuf *eb)
{
	char  buf[24];
	char *end;

	if (vlen == 0 || vlen >= sizeof(buf) || !isdigit((unsigned char)v[0]))
		goto bad;
	memcpy(buf, v, vlen);
	buf[vlen] = '\0';
	errno = 0;
	*dst = strtoull(buf, &end, 10);
	if (errno == 0 && *end == '\0')
		return 0;
bad:
	d_errbuf_set(eb, "line %d: %s must be a whole number", line, key);
	return -DER_INVAL;
}

int
ctl_helper_req_parse(const char *text, size_t len, struct ctl_helper_req *req, struct d_errbuf *eb)
{
	static const struct {
		const char *name;
		uint32_t    bit;
	} keys[] = {
		{"mount", CTL_HK_MOUNT}, {"device", CTL_HK_DEVICE}, {"size_gib", CTL_HK_SIZE_GIB}};
	struct ctl_helper_req r = {0};
	const char	     *p = text, *end = text + len;
	uint32_t	      seen = 0;
	bool		      have_config = false;
	int		      line = 0;
	int		      rc;

	if (len > CTL_HELPER_REQ_MAX) {
		d_errbuf_set(eb, "request of %zu bytes is longer than %d", len, CTL_HELPER_REQ_MAX);
		return -DER_INVAL;
	}
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eq, *v;
		size_t	    klen, vlen;

		line++;
		if (nl == NULL) {
			d_errbuf_set(eb, "line %d: not ended by a newline", line);
			return -DER_INVAL;
		}
		eq = memchr(p, '=', (size_t)(nl - p));
		if (eq == NULL) {
			d_errbuf_set(eb, "line %d: expected key=value", line);
			return -DER_INVAL;
		}
		klen = (size_t)(eq - p);
		v = eq + 1;
		vlen = (size_t)(nl - v);
		for (size_t i = 0; i < vlen; i++)
			if (iscntrl((unsigned char)v[i]) || v[i] == '\0') {
				d_errbuf_set(eb, "line %d: control character in the value", line);
				return -DER_INVAL;
			}
		if (line == 1) {
			size_t i;

			if (klen != 2 || memcmp(p, "op", 2) != 0) {
				d_errbuf_set(eb, "line 1: the request must start with op=");
				return -DER_INVAL;
			}
			for (i = 1; i < NR_OPS; i++)
				if (strlen(helper_ops[i].name) == vlen &&
				    memcmp(helper_ops[i].name, v, vlen) == 0)
					break;
			if (i == NR_OPS) {
				d_errbuf_set(eb, "line 1: unknown op \"%.*s\"",
					     (int)(vlen > 64 ? 64 : vlen), v);
				return -DER_INVAL;
			}
			r.op = (enum ctl_helper_op)i;
		} else if (klen == 6 && memcmp(p, "config", 6) == 0) {
			if (have_config) {
				d_errbuf_set(eb, "line %d: config given twice", line);
				return -DER_INVAL;
			}
			have_config = true;
			rc = put_path(r.config, "config", v, vlen, line, eb);
			if (rc != 0)
				return rc;
		} else {
			size_t k;

			for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
				if (strlen(keys[k].name) == klen &&
				    memcmp(keys[k].name, p, klen) == 0)
					break;
			if (k == sizeof(keys) / sizeof(keys[0])) {
				d_errbuf_set(eb, "line %d: unknown key \"%.*s\"", line,
					     (int)(klen > 64 ? 64 : klen), p);
				return -DER_INVAL;
			}
			if (!(helper_ops[r.op].keys & keys[k].bit)) {
				d_errbuf_set(eb, "line %d: op %s takes no %s", line,
					     helper_ops[r.op].name, keys[k].name);
				return -DER_INVAL;
			}
			if (seen & keys[k].bit) {
				d_errbuf_set(eb, "line %d: %s given twice", line, keys[k].name);
				return -DER_INVAL;
			}
			seen |= keys[k].bit;
			if (keys[k].bit == CTL_HK_MOUNT)
				rc = put_path(r.mount, "mount", v, vlen, line, eb);
			else if (keys[k].bit == CTL_HK_DEVICE)
				rc = put_path(r.device, "device", v, vlen, line, eb);
			else
				rc = put_u64(&r.size_gib, "size_gib", v, vlen, line, eb);
			if (rc != 0)
				return rc;
		}
		p = nl + 1;
	}
	if (r.op == CTL_HELPER_NONE) {
		d_errbuf_set(eb, "empty request");
		return -DER_INVAL;
	}
	if (!have_config || seen != helper_ops[r.op].keys) {
		const char *miss = !have_config ? "config" : "?";

		for (size_t k = 0; have_config && k < sizeof(keys) / sizeof(keys[0]); k++)
			if ((helper_ops[r.op].keys & keys[k].bit) && !(seen & keys[k].bit))
				miss = keys[k].name;
		d_errbuf_set(eb, "op %s needs %s", helper_ops[r.op].name, miss);
		return -DER_INVAL;
	}
	*req = r;
	return 0;
}

/* Only root may change what is at `path` (st: its stat); sticky_ok: see dirs_trusted(). */
static const char *
untrusted(const struct stat *st, bool sticky_ok)
{
	if (st->st_uid != 0)
		return "is not owned by root";
	if ((st->st_mode & (S_IWGRP | S_IWOTH)) && !(sticky_ok && (st->st_mode & S_ISVTX)))
		return "is writable by group or others";
	return NULL;
}

/*
 * Every directory above `real` (a resolved path) belongs to root and is not
 * writable by others, so nobody else can change where the path leads.  A
 * sticky directory (/tmp) may be writable by all when the entry on our path
 * in it exists and is root's: nobody else may rename or remove that entry;
 * a missing one could be made first by anyone.
 */
static int
dirs_trusted(char *real, const char *what, struct d_errbuf *eb)
{
	struct stat st, child;
	bool	    have_child = lstat(real, &child) == 0;
	const char *why;
	char	   *slash;

	while ((slash = strrchr(real, '/')) != NULL) {
		if (slash == real)
			slash[1] = '\0';
		else
			*slash = '\0';
		if (stat(real, &st) != 0) {
			d_errbuf_set(eb, "directory %s: %s", real, strerror(errno));
			return d_errno2der(errno);
		}
		why = untrusted(&st, have_child && child.st_uid == 0);
		if (why != NULL) {
			d_errbuf_set(
				eb,
				"directory %s of %s %s: the helper acts only on paths that only "
				"root can change",
				real, what, why);
			return -DER_NO_PERM;
		}
		child = st;
		have_child = true;
		if (slash == real)
			break;
	}
	return 0;
}

int
ctl_helper_config_trusted(const char *path, uid_t caller, char *real, size_t real_len,
			  struct d_errbuf *eb)
{
	char	    buf[PATH_MAX], what[PATH_MAX + 32];
	struct stat st;
	const char *why;

	if (caller == 0) {
		if (strlen(path) >= real_len) {
			d_errbuf_set(eb, "configuration file %s: path too long", path);
			return -DER_INVAL;
		}
		strcpy(real, path);
		return 0;
	}
	if (realpath(path, buf) == NULL) {
		d_errbuf_set(eb, "configuration file %s: %s", path, strerror(errno));
		return d_errno2der(errno);
	}
	if (strlen(buf) >= real_len) {
		d_errbuf_set(eb, "configuration file %s: path too long", path);
		return -DER_INVAL;
	}
	strcpy(real, buf);
	if (stat(buf, &st) != 0 || !S_ISREG(st.st_mode)) {
		d_errbuf_set(eb, "configuration file %s is not a regular file", buf);
		return -DER_INVAL;
	}
	why = untrusted(&st, false);
	if (why != NULL) {
		d_errbuf_set(eb,
			     "configuration file %s %s: the helper acts only on a configuration "
			     "that only root can change (chown root %s; chmod go-w %s)",
			     buf, why, buf, buf);
		return -DER_NO_PERM;
	}
	snprintf(what, sizeof(what), "configuration file %s", path);
	return dirs_trusted(buf, what, eb);
}

int
ctl_helper_path_trusted(const char *path, const char *key, uid_t caller, struct d_errbuf *eb)
{
	char   real[PATH_MAX], what[PATH_MAX + 64], part[PATH_MAX];
	char  *slash;
	size_t len = strlen(path);

	if (caller == 0)
		return 0;
	if (len >= sizeof(part) || path[0] != '/') {
		d_errbuf_set(eb, "%s %s is not an absolute path", key, path);
		return -DER_INVAL;
	}
	/* The part that exists; what is missing is created by root under it. */
	memcpy(part, path, len + 1);
	while (realpath(part, real) == NULL) {
		if (errno != ENOENT || (slash = strrchr(part, '/')) == NULL || slash == part) {
			d_errbuf_set(eb, "%s %s: %s", key, path, strerror(errno));
			return d_errno2der(errno);
		}
		*slash = '\0';
	}
	/*
	 * The path as written is the path acted on: a symbolic link anywhere in
	 * it could be pointed elsewhere between this check and the mount.
	 */
	if (strcmp(part, real) != 0) {
		d_errbuf_set(eb,
			     "%s %s goes through a symbolic link or a relative component (%s is "
			     "%s): name the real path in the configuration",
			     key, path, part, real);
		return -DER_NO_PERM;
	}
	if (strcmp(part, path) != 0) {
		/* real is an existing directory: check it as well as those above it */
		size_t n = strlen(real);

		if (n + 3 > sizeof(real)) {
			d_errbuf_set(eb, "%s %s is too long", key, path);
			return -DER_INVAL;
		}
		memcpy(real + n, "/x", 3);
	}
	snprintf(what, sizeof(what), "%s %s", key, path);
	return dirs_trusted(real, what, eb);
}

/* This host's memory in GiB, rounded up: the largest automatic tmpfs size. */
static uint64_t
phys_gib(void)
{
	long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);

	if (pages <= 0 || size <= 0)
		return 0;
	return ((uint64_t)pages * (uint64_t)size + (1ULL << 30) - 1) >> 30;
}

static bool
is_scm(const struct ctl_engine *e)
{
	return e->nstorage > 0 &&
	       (e->storage[0].class == CTL_CLASS_RAM || e->storage[0].class == CTL_CLASS_DCPM);
}

int
ctl_helper_req_check(const struct ctl_server_config *cfg, const struct ctl_helper_req *req,
		     uid_t caller, uint32_t *engine, struct d_errbuf *eb)
{
	uint32_t keys = helper_ops[req->op].keys;
	uint32_t i;

	for (i = 0; i < cfg->nengines; i++) {
		const struct ctl_tier *t = &cfg->engines[i].storage[0];
		const char	      *dev;

		if (!is_scm(&cfg->engines[i]))
			continue;
		dev = t->scm_list.n > 0 ? t->scm_list.v[0] : NULL;
		if ((keys & CTL_HK_MOUNT) &&
		    (t->scm_mount == NULL || strcmp(t->scm_mount, req->mount)))
			continue;
		if ((keys & CTL_HK_DEVICE) && (dev == NULL || strcmp(dev, req->device) != 0))
			continue;
		/* the size is root's to choose; anyone else gets the configuration's */
		if (caller != 0 && req->op == CTL_HELPER_SCM_MOUNT_RAM &&
		    t->class == CTL_CLASS_RAM && t->scm_size > 0 &&
		    req->size_gib != (uint64_t)t->scm_size) {
			d_errbuf_set(eb, "size_gib %ju is not the scm_size %jd of engine %u in %s",
				     (uintmax_t)req->size_gib, (intmax_t)t->scm_size, i,
				     req->config);
			return -DER_NO_PERM;
		}
		if (caller != 0 && req->op == CTL_HELPER_SCM_MOUNT_RAM &&
		    t->class == CTL_CLASS_RAM && t->scm_size == 0 && req->size_gib > phys_gib()) {
			d_errbuf_set(eb,
				     "size_gib %ju is more than the %ju GiB of memory of this host",
				     (uintmax_t)req->size_gib, (uintmax_t)phys_gib());
			return -DER_NO_PERM;
		}
		if (req->op == CTL_HELPER_SCM_MOUNT_RAM && t->class != CTL_CLASS_RAM) {
			d_errbuf_set(
				eb,
				"%s is the scm_mount of engine %u in %s, of class dcpm, not ram",
				req->mount, i, req->config);
			return -DER_NO_PERM;
		}
		if ((keys & CTL_HK_DEVICE) && t->class != CTL_CLASS_DCPM)
			continue;
		*engine = i;
		return 0;
	}
	if (keys & CTL_HK_DEVICE && keys & CTL_HK_MOUNT)
		d_errbuf_set(
			eb,
			"%s on %s is not the scm_list device and scm_mount of a dcpm engine in "
			"%s; the helper only acts on the SCM of the configured engines",
			req->device, req->mount, req->config);
	else if (keys & CTL_HK_DEVICE)
		d_errbuf_set(
			eb,
			"%s is not the scm_list device of a dcpm engine in %s; the helper only "
			"acts on the SCM of the configured engines",
			req->device, req->config);
	else
		d_errbuf_set(
			eb,
			"%s is not the scm_mount of an engine in %s; the helper only acts on the "
			"SCM of the configured engines",
			req->mount, req->config);
	return -DER_NO_PERM;
}

char *
ctl_helper_resp_format(int status, const char *message)
{
	struct d_sbuf sb;

	d_sbuf_init(&sb);
	d_sbuf_printf(&sb, "status=%d\n", status);
	if (status != 0 && message != NULL) {
		d_sbuf_printf(&sb, "message=");
		for (const char *c = message; *c != '\0'; c++)
			d_sbuf_putn(&sb, iscntrl((unsigned char)*c) ? " " : c, 1);
		d_sbuf_printf(&sb, "\n");
	}
	if (sb.failed) {
		d_sbuf_fini(&sb);
		return NULL;
	}
	return d_sbuf_take(&sb);
}

int
ctl_helper_resp_parse(const char *text, size_t len, int *status, struct d_errbuf *eb)
{
	const char *nl = memchr(text, '\n', len);
	char	    num[16];
	char	   *end;
	long	    v;
	size_t	    n;

	if (nl == NULL || len < 8 || memcmp(text, "status=", 7) != 0)
		goto bad;
	n = (size_t)(nl - text) - 7;
	if (n == 0 || n >= sizeof(num))
		goto bad;
	memcpy(num, text + 7, n);
	num[n] = '\0';
	v = strtol(num, &end, 10);
	if (*end != '\0' || v > 0 || v < -100000)
		goto bad;
	text = nl + 1;
	len -= n + 8;
	if (v != 0) {
		if (len < 8 || memcmp(text, "message=", 8) != 0)
			d_errbuf_set(eb, "%s", d_errstr((int)v));
		else
			d_errbuf_set(eb, "%.*s", (int)(len - 8 - (text[len - 1] == '\n')),
				     text + 8);
	}
	*status = (int)v;
	return 0;
bad:
	d_errbuf_set(eb, "daos_server_helper answered something that is not a response");
	return -DER_PROTO;
}
