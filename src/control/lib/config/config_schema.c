/*
 * The table-driven core of the configuration loaders: one walk over a key
 * table parses a YAML mapping strictly (unknown keys, duplicate keys, wrong
 * types and out-of-range values become diagnostics with line and key path),
 * applies defaults (each default is YAML text fed through the same parser)
 * and writes the effective configuration back out in table order; a whole
 * file is created, loaded and destroyed from its struct cfg_file.  The rules
 * that relate keys to each other live in config_server.c, config_engine.c,
 * config_agent.c and config_control.c.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "daos_build.h"
#include "common/log.h"
#include "control/lib/config/config_internal.h"

/* ---- diagnostics helpers -------------------------------------------------- */

static void __attribute__((format(printf, 5, 0)))
cfg_vadd(struct cfg_ctx *cx, enum d_diag_sev sev, int line, const char *path, const char *fmt,
	 va_list ap)
{
	struct d_sbuf sb;
	char	     *msg;

	d_sbuf_init(&sb);
	d_sbuf_vprintf(&sb, fmt, ap);
	if (sb.failed) {
		d_sbuf_fini(&sb);
		cx->diags->nomem = true;
		return;
	}
	msg = d_sbuf_take(&sb);
	if (msg == NULL) {
		cx->diags->nomem = true;
		return;
	}
	d_diags_add(cx->diags, sev, line, path, "%s", msg);
	D_FREE(msg);
	if (sev == D_DIAG_ERROR)
		cx->nerr++;
}

void
cfg_err(struct cfg_ctx *cx, int line, const char *path, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cfg_vadd(cx, D_DIAG_ERROR, line, path, fmt, ap);
	va_end(ap);
}

void
cfg_notice(struct cfg_ctx *cx, int line, const char *path, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cfg_vadd(cx, D_DIAG_NOTICE, line, path, fmt, ap);
	va_end(ap);
}

static int
path_line(struct cfg_ctx *cx, const char *path)
{
	if (cx->doc == NULL || cx->doc->root == NULL || path == NULL)
		return 0;
	return d_yaml_path_line(cx->doc->root, path);
}

void
cfg_verr(struct cfg_ctx *cx, const char *path, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cfg_vadd(cx, D_DIAG_ERROR, path_line(cx, path), path, fmt, ap);
	va_end(ap);
}

void
cfg_vnotice(struct cfg_ctx *cx, const char *path, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cfg_vadd(cx, D_DIAG_NOTICE, path_line(cx, path), path, fmt, ap);
	va_end(ap);
}

/* ---- small value helpers ------------------------------------------------------ */

int
cfg_str_set(char **field, const char *v)
{
	char *n = NULL;

	if (v != NULL && *v != '\0') {
		D_STRDUP(n, v);
		if (n == NULL)
			return -DER_NOMEM;
	}
	D_FREE(*field);
	*field = n;
	return 0;
}

int
cfg_strlist_add(struct ctl_strlist *l, const char *v)
{
	char **nv;
	char  *s;

	D_STRDUP(s, v);
	if (s == NULL)
		return -DER_NOMEM;
	nv = d_realloc(l->v, (l->n + 1) * sizeof(*nv));
	if (nv == NULL) {
		D_FREE(s);
		return -DER_NOMEM;
	}
	l->v = nv;
	l->v[l->n++] = s;
	return 0;
}

void
cfg_strlist_fini(struct ctl_strlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		D_FREE(l->v[i]);
	D_FREE(l->v);
	l->n = 0;
}

bool
cfg_strlist_has(const struct ctl_strlist *l, const char *v)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->v[i], v) == 0)
			return true;
	return false;
}

static const struct {
	const char *unit;
	int64_t	    ns;
} dur_units[] = {
	{"ns", 1},
	{"us", 1000},
	{"\xc2\xb5s", 1000},
	{"ms", 1000000},
	{"s", 1000000000LL},
	{"m", 60LL * 1000000000LL},
	{"h", 3600LL * 1000000000LL},
};

int
cfg_parse_duration(const char *s, int64_t *ns)
{
	long double total = 0;
	bool	    neg = false;

	if (*s == '+' || *s == '-')
		neg = *s++ == '-';
	if (strcmp(s, "0") == 0) {
		*ns = 0;
		return 0;
	}
	if (*s == '\0')
		return -DER_INVAL;
	while (*s != '\0') {
		long double v = 0, frac = 0, scale = 1;
		bool	    digits = false;
		size_t	    i, best = 0, bi = 0;

		while (isdigit((unsigned char)*s)) {
			v = v * 10 + (*s++ - '0');
			digits = true;
		}
		if (*s == '.') {
			s++;
			while (isdigit((unsigned char)*s)) {
				frac = frac * 10 + (*s++ - '0');
				scale *= 10;
				digits = true;
			}
		}
		if (!digits)
			return -DER_INVAL;
		for (i = 0; i < D_ARRAY_SIZE(dur_units); i++) {
			size_t ul = strlen(dur_units[i].unit);

			if (strncmp(s, dur_units[i].unit, ul) == 0 && ul > best) {
				best = ul;
				bi = i;
			}
		}
		if (best == 0)
			return -DER_INVAL;
		s += best;
		total += (v + frac / scale) * (long double)dur_units[bi].ns;
		if (total > (long double)INT64_MAX)
			return -DER_OVERFLOW;
	}
	*ns = (int64_t)(neg ? -total : total);
	return 0;
}

void
cfg_format_duration(int64_t ns, char *buf, size_t len)
{
	int64_t h, m, s, rem;
	size_t	o = 0;

	if (ns == 0) {
		snprintf(buf, len, "0s");
		return;
	}
	if (ns % 1000000000LL != 0) {
		if (ns % 1000000LL == 0)
			snprintf(buf, len, "%lldms", (long long)(ns / 1000000LL));
		else
			snprintf(buf, len, "%lldns", (long long)ns);
		return;
	}
	rem = ns / 1000000000LL;
	h = rem / 3600;
	m = (rem % 3600) / 60;
	s = rem % 60;
	buf[0] = '\0';
	if (h)
		o += (size_t)snprintf(buf + o, len - o, "%lldh", (long long)h);
	if (m && o < len)
		o += (size_t)snprintf(buf + o, len - o, "%lldm", (long long)m);
	if (s && o < len)
		snprintf(buf + o, len - o, "%llds", (long long)s);
}

/* ---- parsing ------------------------------------------------------------------ */

static char *
path_join(const char *base, const char *key)
{
	if (base == NULL || *base == '\0')
		return d_asprintf("%s", key);
	return d_asprintf("%s.%s", base, key);
}

static void *
field_at(void *obj, size_t off)
{
	return (char *)obj + off;
}

static int
parse_strlist(struct cfg_ctx *cx, const struct d_yaml_node *n, struct ctl_strlist *l,
	      const char *path)
{
	struct ctl_strlist tmp = {0};
	struct d_errbuf	   eb;
	size_t		   i;
	int		   rc = 0;

	if (d_yaml_is_null(n)) {
		cfg_strlist_fini(l);
		return 0;
	}
	if (n->kind != D_YAML_SEQ) {
		cfg_err(cx, n->line, path,
			"expected a list, got %s; write it as [a, b] or as "
			"lines starting with '- '",
			d_yaml_describe(n));
		return -DER_INVAL;
	}
	for (i = 0; i < n->count; i++) {
		const char *s;

		if (d_yaml_get_str(n->items[i], &s, &eb) != 0) {
			cfg_err(cx, n->items[i]->line, path, "item %zu: %s", i, eb.msg);
			rc = -DER_INVAL;
			continue;
		}
		if (cfg_strlist_add(&tmp, s) != 0) {
			rc = -DER_NOMEM;
			break;
		}
	}
	if (rc != 0) {
		cfg_strlist_fini(&tmp);
		return rc;
	}
	cfg_strlist_fini(l);
	*l = tmp;
	return 0;
}

static int
parse_intlist(struct cfg_ctx *cx, const struct cfg_key *k, const struct d_yaml_node *n,
	      struct ctl_intlist *l, const char *path)
{
	struct d_errbuf eb;
	int64_t	       *v = NULL;
	size_t		i;

	if (d_yaml_is_null(n)) {
		D_FREE(l->v);
		l->n = 0;
		return 0;
	}
	if (n->kind != D_YAML_SEQ) {
		cfg_err(cx, n->line, path, "expected a list of integers, got %s",
			d_yaml_describe(n));
		return -DER_INVAL;
	}
	D_ALLOC_ARRAY(v, n->count);
	if (v == NULL)
		return -DER_NOMEM;
	for (i = 0; i < n->count; i++) {
		if (d_yaml_get_int(n->items[i], k->min, k->max, &v[i], &eb) != 0) {
			cfg_err(cx, n->items[i]->line, path, "item %zu: %s", i, eb.msg);
			D_FREE(v);
			return -DER_INVAL;
		}
	}
	D_FREE(l->v);
	l->v = v;
	l->n = n->count;
	return 0;
}

static int
parse_sectlist(struct cfg_ctx *cx, const struct cfg_key *k, void *obj, const struct d_yaml_node *n,
	       const char *path)
{
	void  **arr = field_at(obj, k->off);
	size_t *cnt = field_at(obj, k->cnt_off);
	char   *v;
	size_t	i;
	int	rc;

	/* drop what defaults put there */
	for (i = 0; i < *cnt; i++)
		cfg_section_fini(k->sub, (char *)*arr + i * k->sub->size);
	D_FREE(*arr);
	*cnt = 0;
	if (d_yaml_is_null(n))
		return 0;
	if (n->kind != D_YAML_SEQ) {
		cfg_err(cx, n->line, path,
			"expected a list of %s sections (lines starting with "
			"'- '), got %s",
			k->sub->name, d_yaml_describe(n));
		return -DER_INVAL;
	}
	if (n->count == 0)
		return 0;
	D_ALLOC(v, n->count * k->sub->size);
	if (v == NULL)
		return -DER_NOMEM;
	*arr = v;
	for (i = 0; i < n->count; i++) {
		char *ipath = d_asprintf("%s[%zu]", path, i);

		if (ipath == NULL)
			return -DER_NOMEM;
		*cnt = i + 1;
		rc = cfg_section_defaults(k->sub, v + i * k->sub->size);
		if (rc == 0) {
			if (d_yaml_is_null(n->items[i]))
				cfg_err(cx, n->items[i]->line, ipath,
					"empty %s entry; add its keys under the '-' or remove the "
					"line",
					k->sub->name);
			else
				cfg_section_parse(cx, k->sub, v + i * k->sub->size, n->items[i],
						  ipath);
		}
		D_FREE(ipath);
		if (rc != 0)
			return rc;
	}
	return 0;
}

static int
set_value(struct cfg_ctx *cx, const struct cfg_key *k, void *obj, const struct d_yaml_node *n,
	  const char *path)
{
	void	       *f = field_at(obj, k->off);
	struct d_errbuf eb;
	const char     *s;
	int		rc = 0;

	switch (k->type) {
	case CT_STR:
		if (d_yaml_get_str(n, &s, &eb) != 0) {
			cfg_err(cx, n->line, path, "%s", eb.msg);
			return -DER_INVAL;
		}
		rc = cfg_str_set(f, s);
		break;
	case CT_BOOL:
		if (d_yaml_is_null(n)) {
			*(bool *)f = false;
			break;
		}
		if (d_yaml_get_bool(n, f, &eb) != 0) {
			cfg_err(cx, n->line, path, "%s", eb.msg);
			return -DER_INVAL;
		}
		break;
	case CT_INT:
		if (d_yaml_is_null(n)) {
			*(int64_t *)f = 0;
			break;
		}
		if (d_yaml_get_int(n, k->min, k->max, f, &eb) != 0) {
			cfg_err(cx, n->line, path, "%s", eb.msg);
			return -DER_INVAL;
		}
		break;
	case CT_STRLIST:
		rc = parse_strlist(cx, n, f, path);
		break;
	case CT_INTLIST:
		rc = parse_intlist(cx, k, n, f, path);
		break;
	case CT_SECTION:
		if (!d_yaml_is_null(n))
			cfg_section_parse(cx, k->sub, f, n, path);
		break;
	case CT_SECTLIST:
		rc = parse_sectlist(cx, k, obj, n, path);
		break;
	case CT_CUSTOM:
		rc = k->custom->parse(cx, n, f, path);
		break;
	}
	if (rc != 0)
		return rc;
	if (k->set_off != 0)
		*(bool *)field_at(obj, k->set_off) = true;
	if (k->check != NULL)
		rc = k->check(cx, n, f, path);
	return rc;
}

static const struct cfg_key *
find_key(const struct cfg_section *sec, const char *name)
{
	size_t i;

	for (i = 0; i < sec->nkeys; i++)
		if (strcmp(sec->keys[i].name, name) == 0)
			return &sec->keys[i];
	return NULL;
}

/* Levenshtein distance, to suggest the key a typo meant. */
static size_t
edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j;
	size_t row[64];

	if (lb >= D_ARRAY_SIZE(row) || la >= 64)
		return (size_t)-1;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		size_t prev = row[0];

		row[0] = i;
		for (j = 1; j <= lb; j++) {
			size_t cur = row[j];
			size_t sub = prev + (a[i - 1] != b[j - 1]);
			size_t del = row[j] + 1, ins = row[j - 1] + 1;

			row[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
			prev = cur;
		}
	}
	return row[lb];
}

static void
report_unknown(struct cfg_ctx *cx, const struct cfg_section *sec, const struct d_yaml_node *kn,
	       const char *path)
{
	const char *best = NULL;
	size_t	    bestd = 3, i;

	for (i = 0; i < sec->nkeys; i++) {
		size_t d = edit_distance(kn->str, sec->keys[i].name);

		/* a truncated key ("runtime" for "runtime_dir") is a likely mistake too */
		if (d >= bestd && strlen(kn->str) >= 4 &&
		    strncmp(kn->str, sec->keys[i].name, strlen(kn->str)) == 0)
			d = bestd - 1;

		if (d < bestd) {
			bestd = d;
			best = sec->keys[i].name;
		}
	}
	if (best != NULL)
		cfg_err(cx, kn->line, path,
			"unknown key \"%s\" in %s section (did you mean \"%s\"?); config contains "
			"invalid parameters and may be out of date, see the examples in %s/config/examples",
			kn->str, sec->name, best, DAOS_DATA_DIR);
	else
		cfg_err(cx, kn->line, path,
			"unknown key \"%s\" in %s section; config contains invalid parameters and "
			"may be out of date, see the examples in %s/config/examples",
			kn->str, sec->name, DAOS_DATA_DIR);
}

void
cfg_section_parse(struct cfg_ctx *cx, const struct cfg_section *sec, void *obj,
		  const struct d_yaml_node *map, const char *path)
{
	size_t i, j;

	if (map->kind != D_YAML_MAP) {
		cfg_err(cx, map->line, path && *path ? path : NULL,
			"expected a mapping of %s keys (key: value lines), got %s", sec->name,
			d_yaml_describe(map));
		return;
	}
	for (i = 0; i < map->count; i++) {
		const struct d_yaml_node *kn = map->items[2 * i];
		const struct d_yaml_node *vn = map->items[2 * i + 1];
		const struct cfg_key	 *k;
		char			 *kpath;
		bool			  dup = false;

		kpath = path_join(path, kn->str);
		if (kpath == NULL) {
			cx->diags->nomem = true;
			return;
		}
		for (j = 0; j < i; j++) {
			if (strcmp(map->items[2 * j]->str, kn->str) == 0) {
				cfg_err(cx, kn->line, kpath,
					"key is already set at line %d; keep only one of them",
					map->items[2 * j]->line);
				dup = true;
				break;
			}
		}
		k = dup ? NULL : find_key(sec, kn->str);
		if (!dup && k == NULL)
			report_unknown(cx, sec, kn, kpath);
		else if (k != NULL && set_value(cx, k, obj, vn, kpath) == -DER_NOMEM)
			cx->diags->nomem = true;
		D_FREE(kpath);
	}
}

int
cfg_section_defaults(const struct cfg_section *sec, void *obj)
{
	size_t i;
	int    rc = 0;

	for (i = 0; i < sec->nkeys && rc == 0; i++) {
		const struct cfg_key *k = &sec->keys[i];
		struct d_yaml_doc    *doc = NULL;
		struct d_diags	      dg;
		struct cfg_ctx	      cx;
		bool		      was_set = false;

		if (k->type == CT_SECTION) {
			rc = cfg_section_defaults(k->sub, field_at(obj, k->off));
			continue;
		}
		if (k->deflt == NULL)
			continue;
		d_diags_init(&dg, "<default>");
		cx = (struct cfg_ctx){.diags = &dg};
		rc = d_yaml_load_string("<default>", k->deflt, strlen(k->deflt), &doc, &dg);
		if (rc == 0) {
			static const struct d_yaml_node null_node = {
				.kind = D_YAML_SCALAR, .str = (char *)"", .plain = true};

			if (k->set_off != 0)
				was_set = *(bool *)field_at(obj, k->set_off);
			rc = set_value(&cx, k, obj, doc->root ? doc->root : &null_node, k->name);
			/* a default is not "present in the file" */
			if (k->set_off != 0)
				*(bool *)field_at(obj, k->set_off) = was_set;
			if (rc == 0 && cx.nerr > 0)
				rc = -DER_INVAL;
		}
		d_yaml_doc_destroy(doc);
		d_diags_fini(&dg);
	}
	return rc;
}

void
cfg_section_fini(const struct cfg_section *sec, void *obj)
{
	size_t i, j;

	if (obj == NULL)
		return;
	for (i = 0; i < sec->nkeys; i++) {
		const struct cfg_key *k = &sec->keys[i];
		void		     *f = field_at(obj, k->off);

		switch (k->type) {
		case CT_STR:
			D_FREE(*(char **)f);
			break;
		case CT_STRLIST:
			cfg_strlist_fini(f);
			break;
		case CT_INTLIST:
			D_FREE(((struct ctl_intlist *)f)->v);
			((struct ctl_intlist *)f)->n = 0;
			break;
		case CT_SECTION:
			cfg_section_fini(k->sub, f);
			break;
		case CT_SECTLIST: {
			char  **arr = f;
			size_t *cnt = field_at(obj, k->cnt_off);

			for (j = 0; j < *cnt; j++)
				cfg_section_fini(k->sub, *arr + j * k->sub->size);
			D_FREE(*arr);
			*cnt = 0;
			break;
		}
		case CT_CUSTOM:
			if (k->custom->fini)
				k->custom->fini(f);
			break;
		default:
			break;
		}
	}
}

/* ---- emitting -------------------------------------------------------------- */

void
cfg_section_emit(struct cfg_emit *em, const struct cfg_section *sec, const void *obj)
{
	size_t i, j;

	for (i = 0; i < sec->nkeys; i++) {
		const struct cfg_key *k = &sec->keys[i];
		const void	     *f = (const char *)obj + k->off;

		if (k->flags & CF_NO_PRINT)
			continue;
		if ((k->flags & CF_PRINT_IF_SET) && k->set_off != 0 &&
		    !*(const bool *)((const char *)obj + k->set_off))
			continue;
		if (sec->show != NULL && !sec->show(obj, k))
			continue;
		if ((k->flags & CF_OMIT_EMPTY) && k->type == CT_STR && *(char *const *)f == NULL)
			continue;
		switch (k->type) {
		case CT_STR:
			em->ops->str(em, k->name, cfg_s(*(char *const *)f));
			break;
		case CT_BOOL:
			em->ops->boolean(em, k->name, *(const bool *)f);
			break;
		case CT_INT:
			em->ops->num(em, k->name, *(const int64_t *)f);
			break;
		case CT_STRLIST: {
			const struct ctl_strlist *l = f;

			em->ops->list_begin(em, k->name, l->n);
			for (j = 0; j < l->n; j++)
				em->ops->str(em, NULL, l->v[j]);
			em->ops->list_end(em);
			break;
		}
		case CT_INTLIST: {
			const struct ctl_intlist *l = f;

			em->ops->list_begin(em, k->name, l->n);
			for (j = 0; j < l->n; j++)
				em->ops->num(em, NULL, l->v[j]);
			em->ops->list_end(em);
			break;
		}
		case CT_SECTION:
			em->ops->map_begin(em, k->name);
			cfg_section_emit(em, k->sub, f);
			em->ops->map_end(em);
			break;
		case CT_SECTLIST: {
			const char *arr = *(char *const *)f;
			size_t	    cnt = *(const size_t *)((const char *)obj + k->cnt_off);

			em->ops->list_begin(em, k->name, cnt);
			for (j = 0; j < cnt; j++) {
				em->ops->map_begin(em, NULL);
				cfg_section_emit(em, k->sub, arr + j * k->sub->size);
				em->ops->map_end(em);
			}
			em->ops->list_end(em);
			break;
		}
		case CT_CUSTOM:
			k->custom->emit(em, k->name, f);
			break;
		}
	}
}

/* YAML block-style writer. */
#define YE_MAX_DEPTH 32

struct yaml_emitter {
	struct d_sbuf sb;
	int	      indent;	    /* column of keys / items at this level */
	bool	      pending_dash; /* next key opens a list item: "- key: v" */
	struct {
		bool is_list;
		bool empty;
		int  indent;
	} st[YE_MAX_DEPTH];
	int depth;
};

static bool
yaml_needs_quotes(const char *s)
{
	const char *p;
	int64_t	    iv;
	char	   *end;

	if (*s == '\0' || strchr("-?:,[]{}#&*!|>'\"%@` ", *s) != NULL)
		return true;
	if (s[strlen(s) - 1] == ' ' || s[strlen(s) - 1] == ':')
		return true;
	if (strstr(s, ": ") || strstr(s, " #"))
		return true;
	for (p = s; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return true;
	if (strcmp(d_yaml_describe(&(struct d_yaml_node){
			   .kind = D_YAML_SCALAR, .str = (char *)s, .plain = true}),
		   "a string") != 0)
		return true;
	if (d_yaml_parse_int(s, &iv) == 0)
		return true;
	errno = 0;
	(void)strtod(s, &end);
	if (*end == '\0')
		return true;
	if (strcasecmp(s, ".inf") == 0 || strcasecmp(s, ".nan") == 0 || strcasecmp(s, "-.inf") == 0)
		return true;
	return false;
}

static void
yaml_put_scalar(struct d_sbuf *sb, const char *s)
{
	const char *p;

	if (!yaml_needs_quotes(s)) {
		d_sbuf_printf(sb, "%s", s);
		return;
	}
	d_sbuf_putn(sb, "\"", 1);
	for (p = s; *p; p++) {
		unsigned char c = (unsigned char)*p;

		if (c == '"' || c == '\\')
			d_sbuf_printf(sb, "\\%c", c);
		else if (c == '\n')
			d_sbuf_printf(sb, "\\n");
		else if (c == '\t')
			d_sbuf_printf(sb, "\\t");
		else if (c < 0x20 || c == 0x7f)
			d_sbuf_printf(sb, "\\x%02x", c);
		else
			d_sbuf_putn(&*sb, (const char *)&c, 1);
	}
	d_sbuf_putn(sb, "\"", 1);
}

static void
ye_prefix(struct yaml_emitter *ye, const char *key)
{
	bool in_list = ye->depth > 0 && ye->st[ye->depth - 1].is_list;

	if (ye->pending_dash) {
		d_sbuf_printf(&ye->sb, "%*s- ", ye->indent - 2, "");
		ye->pending_dash = false;
	} else if (in_list) {
		d_sbuf_printf(&ye->sb, "%*s- ", ye->indent, "");
	} else {
		d_sbuf_printf(&ye->sb, "%*s", ye->indent, "");
	}
	if (key != NULL && !in_list)
		d_sbuf_printf(&ye->sb, "%s:", key);
}

static void
ye_push(struct yaml_emitter *ye, bool is_list, bool empty)
{
	if (ye->depth < YE_MAX_DEPTH) {
		ye->st[ye->depth].is_list = is_list;
		ye->st[ye->depth].empty = empty;
		ye->st[ye->depth].indent = ye->indent;
	}
	ye->depth++;
}

static void
ye_map_begin(struct cfg_emit *em, const char *key)
{
	struct yaml_emitter *ye = em->priv;
	bool		     in_list = ye->depth > 0 && ye->st[ye->depth - 1].is_list;

	if (ye->depth == 0) {
		ye_push(ye, false, false);
		return;
	}
	ye_push(ye, false, false);
	if (in_list) {
		/* keys of a list item sit two columns right of the dash */
		ye->indent += 2;
		ye->pending_dash = true;
		return;
	}
	ye_prefix(ye, key);
	d_sbuf_printf(&ye->sb, "\n");
	ye->indent += 2;
}

static void
ye_map_end(struct cfg_emit *em)
{
	struct yaml_emitter *ye = em->priv;

	ye->depth--;
	if (ye->depth >= 0 && ye->depth < YE_MAX_DEPTH)
		ye->indent = ye->st[ye->depth].indent;
	ye->pending_dash = false;
}

static void
ye_list_begin(struct cfg_emit *em, const char *key, size_t n)
{
	struct yaml_emitter *ye = em->priv;

	ye_prefix(ye, key);
	d_sbuf_printf(&ye->sb, n == 0 ? " []\n" : "\n");
	ye_push(ye, true, n == 0);
}

static void
ye_list_end(struct cfg_emit *em)
{
	struct yaml_emitter *ye = em->priv;

	ye->depth--;
	if (ye->depth >= 0 && ye->depth < YE_MAX_DEPTH)
		ye->indent = ye->st[ye->depth].indent;
}

static void
ye_str(struct cfg_emit *em, const char *key, const char *v)
{
	struct yaml_emitter *ye = em->priv;

	ye_prefix(ye, key);
	if (key != NULL && !(ye->depth > 0 && ye->st[ye->depth - 1].is_list))
		d_sbuf_putn(&ye->sb, " ", 1);
	yaml_put_scalar(&ye->sb, v);
	d_sbuf_putn(&ye->sb, "\n", 1);
}

static void
ye_num(struct cfg_emit *em, const char *key, int64_t v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%lld", (long long)v);
	{
		struct yaml_emitter *ye = em->priv;

		ye_prefix(ye, key);
		d_sbuf_printf(&ye->sb, "%s%s\n",
			      key != NULL && !(ye->depth > 0 && ye->st[ye->depth - 1].is_list) ? " "
											       : "",
			      buf);
	}
}

static void
ye_bool(struct cfg_emit *em, const char *key, bool v)
{
	struct yaml_emitter *ye = em->priv;

	ye_prefix(ye, key);
	d_sbuf_printf(&ye->sb, "%s%s\n",
		      key != NULL && !(ye->depth > 0 && ye->st[ye->depth - 1].is_list) ? " " : "",
		      v ? "true" : "false");
}

static const struct cfg_emit_ops yaml_ops = {
	.map_begin = ye_map_begin,
	.map_end = ye_map_end,
	.list_begin = ye_list_begin,
	.list_end = ye_list_end,
	.str = ye_str,
	.num = ye_num,
	.boolean = ye_bool,
};

char *
cfg_section_to_yaml(const struct cfg_section *sec, const void *obj)
{
	struct yaml_emitter ye;
	struct cfg_emit	    em = {.ops = &yaml_ops, .priv = &ye};

	memset(&ye, 0, sizeof(ye));
	d_sbuf_init(&ye.sb);
	ye_map_begin(&em, NULL);
	cfg_section_emit(&em, sec, obj);
	ye_map_end(&em);
	if (ye.sb.failed) {
		d_sbuf_fini(&ye.sb);
		return NULL;
	}
	return d_sbuf_take(&ye.sb);
}

/* ---- one file kind: create, load, destroy ------------------------------------ */

static char **
file_path(const struct cfg_file *f, void *cfg)
{
	return field_at(cfg, f->path_off);
}

static struct d_yaml_doc **
file_doc(const struct cfg_file *f, void *cfg)
{
	return field_at(cfg, f->doc_off);
}

void
cfg_file_destroy(const struct cfg_file *f, void *cfg)
{
	if (cfg == NULL)
		return;
	cfg_section_fini(f->sec, cfg);
	d_yaml_doc_destroy(*file_doc(f, cfg));
	D_FREE(*file_path(f, cfg));
	D_FREE(cfg);
}

/* The struct with every key's default; no derived fields yet. */
static int
file_alloc(const struct cfg_file *f, void **out)
{
	void *cfg;
	int   rc;

	D_ALLOC(cfg, f->sec->size);
	if (cfg == NULL)
		return -DER_NOMEM;
	rc = cfg_section_defaults(f->sec, cfg);
	if (rc != 0) {
		cfg_file_destroy(f, cfg);
		return rc;
	}
	*out = cfg;
	return 0;
}

int
cfg_file_default(const struct cfg_file *f, void **out)
{
	struct d_diags dg;
	struct cfg_ctx cx;
	void	      *cfg;
	int	       rc;

	rc = file_alloc(f, &cfg);
	if (rc != 0)
		return rc;
	if (f->derive != NULL) {
		d_diags_init(&dg, "<defaults>");
		cx = (struct cfg_ctx){.diags = &dg};
		rc = f->derive(&cx, cfg);
		d_diags_fini(&dg);
	}
	if (rc != 0) {
		cfg_file_destroy(f, cfg);
		return rc;
	}
	*out = cfg;
	return 0;
}

static int
file_load(const struct cfg_file *f, const char *path, const char *name, const char *text,
	  void **out, struct d_diags *diags)
{
	struct d_yaml_doc *doc;
	struct cfg_ctx	   cx;
	void		  *cfg;
	int		   rc;

	if (path == NULL && text == NULL && f->optional)
		return cfg_file_default(f, out); /* no file anywhere */
	rc = file_alloc(f, &cfg);
	if (rc != 0)
		return rc;
	if (text != NULL)
		rc = d_yaml_load_string(name, text, strlen(text), file_doc(f, cfg), diags);
	else
		rc = d_yaml_load_file(path, file_doc(f, cfg), diags);
	if (rc != 0)
		goto out;
	doc = *file_doc(f, cfg);
	cx = (struct cfg_ctx){.diags = diags, .doc = doc};
	if (doc->root != NULL)
		cfg_section_parse(&cx, f->sec, cfg, doc->root, "");
	rc = diags->nomem ? -DER_NOMEM : cx.nerr > 0 ? -DER_INVAL : 0;
	if (rc == 0 && f->empty_hint != NULL && doc->size == 0) {
		d_diags_add(diags, D_DIAG_ERROR, 0, NULL, "empty config file: %s; %s", name,
			    f->empty_hint);
		rc = -DER_INVAL;
	}
	if (rc != 0)
		goto out;
	/* rules run on the whole file, then the derived fields, whatever the rules found */
	if (f->validate != NULL)
		f->validate(&cx, cfg);
	if (f->derive != NULL)
		rc = f->derive(&cx, cfg);
	if (rc == 0)
		rc = diags->nomem ? -DER_NOMEM : cx.nerr > 0 ? -DER_INVAL : 0;
	if (rc == 0 && path != NULL) {
		D_STRDUP(*file_path(f, cfg), path);
		if (*file_path(f, cfg) == NULL)
			rc = -DER_NOMEM;
	}
out:
	if (rc != 0) {
		cfg_file_destroy(f, cfg);
		return rc;
	}
	*out = cfg;
	return 0;
}

int
cfg_file_load(const struct cfg_file *f, const char *path, void **out, struct d_diags *diags)
{
	return file_load(f, path, path, NULL, out, diags);
}

int
cfg_file_load_string(const struct cfg_file *f, const char *name, const char *text, void **out,
		     struct d_diags *diags)
{
	return file_load(f, NULL, name, text, out, diags);
}

/* ---- transport_config, shared by the three files ---------------------------- */

#define TRANSPORT_KEYS(cdir, crt, ckey)                                                            \
	{                                                                                          \
		{"allow_insecure", CT_BOOL, offsetof(struct ctl_transport, allow_insecure),        \
		 .deflt = "false"},                                                                \
			{"client_cert_dir", CT_STR,                                                \
			 offsetof(struct ctl_transport, client_cert_dir), .deflt = cdir},          \
			{"ca_cert", CT_STR, offsetof(struct ctl_transport, ca_cert),               \
			 .deflt = "/etc/daos/certs/daosCA.crt"},                                   \
			{"cert", CT_STR, offsetof(struct ctl_transport, cert), .deflt = crt},      \
			{"key", CT_STR, offsetof(struct ctl_transport, key), .deflt = ckey},       \
	}

static const struct cfg_key server_transport_keys[] = TRANSPORT_KEYS(
	"/etc/daos/certs/clients", "/etc/daos/certs/server.crt", "/etc/daos/certs/server.key");
static const struct cfg_key agent_transport_keys[] =
	TRANSPORT_KEYS(NULL, "/etc/daos/certs/agent.crt", "/etc/daos/certs/agent.key");
static const struct cfg_key control_transport_keys[] =
	TRANSPORT_KEYS(NULL, "/etc/daos/certs/admin.crt", "/etc/daos/certs/admin.key");

const struct cfg_section cfg_server_transport_section = {
	"transport_config", sizeof(struct ctl_transport), server_transport_keys,
	D_ARRAY_SIZE(server_transport_keys)};
const struct cfg_section cfg_agent_transport_section = {
	"transport_config", sizeof(struct ctl_transport), agent_transport_keys,
	D_ARRAY_SIZE(agent_transport_keys)};
const struct cfg_section cfg_control_transport_section = {
	"transport_config", sizeof(struct ctl_transport), control_transport_keys,
	D_ARRAY_SIZE(control_transport_keys)};

int
cfg_control_log_mask_check(struct cfg_ctx *cx, const struct d_yaml_node *n, void *field,
			   const char *path)
{
	enum d_log_level lvl;
	struct d_errbuf	 eb;
	const char	*s = *(char **)field;

	if (s == NULL || d_log_control_mask_parse(s, &lvl, &eb) == 0)
		return 0;
	cfg_err(cx, n->line, path, "%s", eb.msg);
	return -DER_INVAL;
}

void
cfg_sys_name_check(struct cfg_ctx *cx, const char *name, bool quoted)
{
	const char *q = quoted ? "\"" : "";

	name = cfg_s(name);
	if (*name == '\0' || strlen(name) > CTL_SYS_NAME_MAX)
		cfg_verr(cx, "name", "invalid system name: %s%s%s; use 1 to %d characters", q, name,
			 q, CTL_SYS_NAME_MAX);
}

void
cfg_control_port_check(struct cfg_ctx *cx, int64_t port)
{
	if (port <= 0 || port > 65535)
		cfg_verr(cx, "port",
			 "invalid control port %lld; use a port between 1 and 65535, "
			 "default 10001",
			 (long long)port);
}

void
cfg_addr_list_check(struct cfg_ctx *cx, const struct ctl_strlist *l, const char *key,
		    const char *what)
{
	char   p[64];
	size_t i;

	for (i = 0; i < l->n; i++)
		if (l->v[i][0] == '\0') {
			snprintf(p, sizeof(p), "%s[%zu]", key, i);
			cfg_verr(cx, p, "empty %s address; give a host name or address", what);
		}
}
