/*
 * The engine superblock: a small YAML file at <scm_mount>/superblock with
 * upstream's keys (yaml.v2 lower-cases Go field names: version, uuid,
 * system, rank, uri, validrank, hostfaultdomain, plus our incarnation),
 * written atomically and read back strictly.  Does not decide when a
 * superblock is created; that is the format flow's job.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fs.h"
#include "common/yaml_doc.h"
#include "control/lib/storage/storage_internal.h"

static bool
uuid_valid(const char *s)
{
	static const int dash[] = {8, 13, 18, 23};
	int		 i;
	int		 d = 0;

	if (strlen(s) != 36)
		return false;
	for (i = 0; i < 36; i++) {
		if (d < 4 && i == dash[d]) {
			if (s[i] != '-')
				return false;
			d++;
			continue;
		}
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f') ||
		      (s[i] >= 'A' && s[i] <= 'F')))
			return false;
	}
	return true;
}

int
ctl_superblock_init(struct ctl_superblock *sb, const char *system, struct d_errbuf *eb)
{
	struct ctl_superblock n = {0};
	unsigned char	      u[16];
	ssize_t		      got;

	if (system == NULL || system[0] == '\0' || strlen(system) >= sizeof(n.system)) {
		d_errbuf_set(eb, "invalid system name \"%s\" for a superblock",
			     system == NULL ? "" : system);
		return -DER_INVAL;
	}
	do {
		got = getrandom(u, sizeof(u), 0);
	} while (got < 0 && errno == EINTR);
	if (got != (ssize_t)sizeof(u)) {
		d_errbuf_set(eb, "cannot generate an engine UUID: getrandom: %s",
			     got < 0 ? strerror(errno) : "short read");
		return got < 0 ? d_errno2der(errno) : -DER_IO;
	}
	/* RFC 4122 version 4 (random). */
	u[6] = (unsigned char)((u[6] & 0x0f) | 0x40);
	u[8] = (unsigned char)((u[8] & 0x3f) | 0x80);
	snprintf(n.uuid, sizeof(n.uuid),
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[0], u[1],
		 u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14],
		 u[15]);
	n.version = CTL_SUPERBLOCK_VERSION;
	snprintf(n.system, sizeof(n.system), "%s", system);
	*sb = n;
	return 0;
}

/* Double-quoted YAML scalar: always valid, whatever the URI or path holds. */
static void
put_quoted(struct d_sbuf *sb, const char *s)
{
	d_sbuf_putn(sb, "\"", 1);
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			d_sbuf_printf(sb, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			d_sbuf_printf(sb, "\\x%02x", c);
		else
			d_sbuf_putn(sb, s, 1);
	}
	d_sbuf_putn(sb, "\"", 1);
}

char *
ctl_superblock_format(const struct ctl_superblock *s)
{
	struct d_sbuf sb;

	d_sbuf_init(&sb);
	d_sbuf_printf(&sb, "version: %u\nuuid: %s\nsystem: ", s->version, s->uuid);
	put_quoted(&sb, s->system);
	if (s->has_rank)
		d_sbuf_printf(&sb, "\nrank: %u\nuri: ", s->rank);
	else
		d_sbuf_printf(&sb, "\nrank: null\nuri: ");
	put_quoted(&sb, s->uri);
	d_sbuf_printf(&sb, "\nvalidrank: %s\nhostfaultdomain: ", s->validrank ? "true" : "false");
	put_quoted(&sb, s->hostfaultdomain);
	d_sbuf_printf(&sb, "\nincarnation: %ju\n", (uintmax_t)s->incarnation);
	if (sb.failed) {
		d_sbuf_fini(&sb);
		return NULL;
	}
	return d_sbuf_take(&sb);
}

/* Copy a string value into a fixed field, refusing what does not fit. */
static int
get_text(const struct d_yaml_node *v, char *dst, size_t len, struct d_errbuf *eb)
{
	const char *s;
	int	    rc;

	rc = d_yaml_get_str(v, &s, eb);
	if (rc != 0)
		return rc;
	if (strlen(s) >= len) {
		d_errbuf_set(eb, "value is longer than %zu characters", len - 1);
		return -DER_INVAL;
	}
	snprintf(dst, len, "%s", s);
	return 0;
}

int
ctl_superblock_parse(const char *name, const char *text, size_t len, struct ctl_superblock *out,
		     struct d_errbuf *eb)
{
	static const char *const  required[] = {"version", "uuid", "system"};
	struct ctl_superblock	  sb = {0};
	struct d_yaml_doc	 *doc = NULL;
	struct d_diags		  diags;
	struct d_errbuf		  kerr;
	const struct d_yaml_node *root;
	size_t			  i;
	int			  rc;

	d_diags_init(&diags, name);
	rc = d_yaml_load_string(name, text, len, &doc, &diags);
	if (rc != 0) {
		char *m = diags.n > 0 ? d_diag_format(&diags, &diags.v[0]) : NULL;

		d_errbuf_set(eb, "%s; the superblock is damaged: reformat the engine's storage",
			     m != NULL ? m : "cannot parse superblock");
		D_FREE(m);
		goto out;
	}
	root = doc->root;
	if (root == NULL || root->kind != D_YAML_MAP) {
		d_errbuf_set(eb, "%s:%d: expected a mapping of superblock keys, got %s", name,
			     root == NULL ? 1 : root->line,
			     root == NULL ? "an empty document" : d_yaml_describe(root));
		rc = -DER_INVAL;
		goto out;
	}
	for (i = 0; i < D_ARRAY_SIZE(required); i++) {
		if (d_yaml_map_get(root, required[i]) == NULL) {
			d_errbuf_set(eb, "%s:%d: missing key \"%s\"", name, root->line,
				     required[i]);
			rc = -DER_INVAL;
			goto out;
		}
	}
	for (i = 0; i < root->count; i++) {
		const struct d_yaml_node *k = root->items[2 * i];
		const struct d_yaml_node *v = root->items[2 * i + 1];
		int64_t			  n;
		bool			  seen_before = false;
		size_t			  j;

		for (j = 0; j < i; j++)
			if (strcmp(root->items[2 * j]->str, k->str) == 0)
				seen_before = true;
		kerr.msg[0] = '\0';
		if (seen_before) {
			d_errbuf_set(&kerr, "duplicate key");
			rc = -DER_INVAL;
		} else if (strcmp(k->str, "version") == 0) {
			rc = d_yaml_get_int(v, 0, UINT32_MAX, &n, &kerr);
			if (rc == 0 && n != CTL_SUPERBLOCK_VERSION) {
				d_errbuf_set(&kerr,
					     "unsupported superblock version %jd (this "
					     "daos_server reads version %d)",
					     (intmax_t)n, CTL_SUPERBLOCK_VERSION);
				rc = -DER_INVAL;
			}
			sb.version = (uint32_t)n;
		} else if (strcmp(k->str, "uuid") == 0) {
			char ubuf[64];

			rc = get_text(v, ubuf, sizeof(ubuf), &kerr);
			if (rc == 0 && !uuid_valid(ubuf)) {
				d_errbuf_set(&kerr, "invalid UUID \"%s\"", ubuf);
				rc = -DER_INVAL;
			}
			if (rc == 0) {
				/* uuid_valid() accepted exactly 36 characters */
				memcpy(sb.uuid, ubuf, sizeof(sb.uuid) - 1);
				sb.uuid[sizeof(sb.uuid) - 1] = '\0';
			}
		} else if (strcmp(k->str, "system") == 0) {
			rc = get_text(v, sb.system, sizeof(sb.system), &kerr);
			if (rc == 0 && sb.system[0] == '\0') {
				d_errbuf_set(&kerr, "empty system name");
				rc = -DER_INVAL;
			}
		} else if (strcmp(k->str, "rank") == 0) {
			if (d_yaml_is_null(v)) {
				sb.has_rank = false;
				rc = 0;
			} else {
				rc = d_yaml_get_int(v, 0, CTL_RANK_MAX, &n, &kerr);
				sb.rank = (uint32_t)n;
				sb.has_rank = true;
			}
		} else if (strcmp(k->str, "uri") == 0) {
			rc = get_text(v, sb.uri, sizeof(sb.uri), &kerr);
		} else if (strcmp(k->str, "validrank") == 0) {
			rc = d_yaml_get_bool(v, &sb.validrank, &kerr);
		} else if (strcmp(k->str, "hostfaultdomain") == 0) {
			rc = get_text(v, sb.hostfaultdomain, sizeof(sb.hostfaultdomain), &kerr);
		} else if (strcmp(k->str, "incarnation") == 0) {
			rc = d_yaml_get_int(v, 0, INT64_MAX, &n, &kerr);
			sb.incarnation = (uint64_t)n;
		} else {
			d_errbuf_set(&kerr, "unknown key");
			rc = -DER_INVAL;
		}
		if (rc != 0) {
			d_errbuf_set(eb, "%s:%d: %s: %s", name, k->line, k->str, kerr.msg);
			goto out;
		}
	}
	*out = sb;
out:
	d_yaml_doc_destroy(doc);
	d_diags_fini(&diags);
	return rc;
}

int
ctl_scm_file_write(const char *dir, const char *name, const char *text, struct d_errbuf *eb)
{
	struct d_errbuf web;
	char		path[PATH_MAX];
	int		rc;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path)) {
		d_errbuf_set(eb, "SCM mount path %s is too long", dir);
		return -DER_INVAL;
	}
	if (text == NULL) {
		d_errbuf_set(eb, "out of memory writing %s", path);
		return -DER_NOMEM;
	}
	rc = d_file_write_atomic(path, text, strlen(text), 0644, &web);
	if (rc != 0)
		d_errbuf_set(eb, "%s%s", web.msg,
			     access(dir, W_OK) != 0
				     ? "; check that the directory exists and is writable"
				     : "");
	return rc;
}

int
ctl_superblock_path(const char *dir, char *buf, size_t len)
{
	if ((size_t)snprintf(buf, len, "%s/%s", dir, CTL_SUPERBLOCK_NAME) >= len)
		return -DER_INVAL;
	return 0;
}

int
ctl_superblock_write(const char *dir, const struct ctl_superblock *sb, struct d_errbuf *eb)
{
	char *text = ctl_superblock_format(sb);
	int   rc;

	rc = ctl_scm_file_write(dir, CTL_SUPERBLOCK_NAME, text, eb);
	D_FREE(text);
	return rc;
}

int
ctl_superblock_read(const char *dir, struct ctl_superblock *sb, struct d_errbuf *eb)
{
	char	    path[PATH_MAX];
	char	   *text = NULL;
	struct stat st;
	size_t	    n;
	int	    rc;

	if (ctl_superblock_path(dir, path, sizeof(path)) != 0) {
		d_errbuf_set(eb, "SCM mount path %s is too long", dir);
		return -DER_INVAL;
	}
	if (stat(path, &st) != 0) {
		rc = d_errno2der(errno);
		if (errno == ENOENT)
			d_errbuf_set(eb,
				     "no superblock at %s: the engine's storage is not "
				     "formatted (run dmg storage format)",
				     path);
		else
			d_errbuf_set(eb, "cannot read %s: %s", path, strerror(errno));
		return rc;
	}
	/* checked before opening: a FIFO or a device is never read */
	if (!S_ISREG(st.st_mode) || st.st_size > (1 << 20)) {
		d_errbuf_set(eb,
			     "%s is not a superblock file (not a regular file of at most 1 MiB)",
			     path);
		return -DER_INVAL;
	}
	rc = d_file_read(path, 1 << 20, &text, &n, eb);
	if (rc != 0)
		return rc;
	rc = ctl_superblock_parse(path, text, n, sb, eb);
	D_FREE(text);
	return rc;
}

enum ctl_fmt_action
ctl_format_decide(bool needed, bool running, bool reformat)
{
	if (!needed && !reformat)
		return CTL_FMT_SKIP;
	if (running)
		return reformat ? CTL_FMT_STOP_AND_FORMAT : CTL_FMT_REFUSE_RUNNING;
	return CTL_FMT_FORMAT;
}
