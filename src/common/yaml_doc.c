/*
 * YAML document tree with positions (libyaml event parser), strict scalar
 * accessors and the diagnostics list.  See yaml_doc.h.  Nothing here logs.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>

#include <yaml.h>

#include "common/fs.h"
#include "common/yaml_doc.h"

/* ---- diagnostics ---------------------------------------------------------- */

void
d_diags_init(struct d_diags *d, const char *file)
{
	memset(d, 0, sizeof(*d));
	D_STRDUP(d->file, file ? file : "");
	if (d->file == NULL)
		d->nomem = true;
}

void
d_diags_fini(struct d_diags *d)
{
	size_t i;

	if (d == NULL)
		return;
	for (i = 0; i < d->n; i++) {
		D_FREE(d->v[i].key);
		D_FREE(d->v[i].msg);
	}
	D_FREE(d->v);
	D_FREE(d->file);
	d->n = d->cap = 0;
}

void
d_diags_add(struct d_diags *d, enum d_diag_sev sev, int line, const char *key, const char *fmt, ...)
{
	struct d_sbuf sb;
	va_list	      ap;
	struct d_diag dg = {.sev = sev, .line = line};

	d_sbuf_init(&sb);
	va_start(ap, fmt);
	d_sbuf_vprintf(&sb, fmt, ap);
	va_end(ap);
	if (sb.failed) {
		d_sbuf_fini(&sb);
		d->nomem = true;
		return;
	}
	dg.msg = d_sbuf_take(&sb);
	if (key != NULL && *key != '\0')
		D_STRDUP(dg.key, key);
	if (dg.msg == NULL || (key != NULL && *key != '\0' && dg.key == NULL))
		goto nomem;
	if (d->n == d->cap) {
		size_t	       cap = d->cap ? d->cap * 2 : 8;
		struct d_diag *v = d_realloc(d->v, cap * sizeof(*v));

		if (v == NULL)
			goto nomem;
		d->v = v;
		d->cap = cap;
	}
	d->v[d->n++] = dg;
	return;
nomem:
	D_FREE(dg.msg);
	D_FREE(dg.key);
	d->nomem = true;
}

size_t
d_diags_count(const struct d_diags *d, enum d_diag_sev sev)
{
	size_t i, n = 0;

	for (i = 0; i < d->n; i++)
		if (d->v[i].sev == sev)
			n++;
	return n;
}

char *
d_diag_format(const struct d_diags *d, const struct d_diag *dg)
{
	struct d_sbuf sb;

	d_sbuf_init(&sb);
	if (dg->sev == D_DIAG_NOTICE)
		d_sbuf_printf(&sb, "notice: ");
	d_sbuf_printf(&sb, "%s", d->file ? d->file : "");
	if (dg->line > 0)
		d_sbuf_printf(&sb, ":%d", dg->line);
	d_sbuf_printf(&sb, ": ");
	if (dg->key != NULL)
		d_sbuf_printf(&sb, "%s: ", dg->key);
	d_sbuf_printf(&sb, "%s", dg->msg);
	if (sb.failed) {
		d_sbuf_fini(&sb);
		return NULL;
	}
	return d_sbuf_take(&sb);
}

void
d_diags_print(const struct d_diags *d, enum d_diag_sev sev, FILE *out)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		char *s;

		if (d->v[i].sev != sev)
			continue;
		s = d_diag_format(d, &d->v[i]);
		if (s != NULL)
			fprintf(out, "%s\n", s);
		D_FREE(s);
	}
	if (d->nomem && sev == D_DIAG_ERROR)
		fprintf(out, "%s: out of memory while collecting diagnostics; some are missing\n",
			d->file);
}

/* ---- tree building ----------------------------------------------------------- */

static void
node_free(struct d_yaml_node *n)
{
	size_t i, total;

	if (n == NULL)
		return;
	total = n->kind == D_YAML_MAP ? 2 * n->count : n->count;
	for (i = 0; i < total; i++)
		node_free(n->items[i]);
	D_FREE(n->items);
	D_FREE(n->str);
	D_FREE(n);
}

void
d_yaml_doc_destroy(struct d_yaml_doc *doc)
{
	if (doc == NULL)
		return;
	node_free(doc->root);
	D_FREE(doc->name);
	D_FREE(doc);
}

#define YD_MAX_DEPTH 64

struct yd_frame {
	struct d_yaml_node *node;
	size_t		    cap;
	bool		    have_key; /* mapping: key stored, waiting for value */
};

struct yd_builder {
	struct yd_frame	    stack[YD_MAX_DEPTH];
	int		    depth;
	struct d_yaml_node *root;
	int		    ndocs;
};

static struct d_yaml_node *
node_new(enum d_yaml_kind kind, const yaml_mark_t *mark)
{
	struct d_yaml_node *n;

	D_ALLOC_PTR(n);
	if (n == NULL)
		return NULL;
	n->kind = kind;
	n->line = (int)mark->line + 1;
	n->col = (int)mark->column + 1;
	return n;
}

/* Attach a completed node to the current container (or make it the root). */
static int
builder_attach(struct yd_builder *b, struct d_yaml_node *n, struct d_diags *diags)
{
	struct yd_frame *f;
	size_t		 used;

	if (b->depth == 0) {
		b->root = n;
		return 0;
	}
	f = &b->stack[b->depth - 1];
	if (f->node->kind == D_YAML_SEQ) {
		if (f->node->count == f->cap) {
			size_t		     ncap = f->cap ? f->cap * 2 : 8;
			struct d_yaml_node **v = d_realloc(f->node->items, ncap * sizeof(*v));

			if (v == NULL)
				return -DER_NOMEM;
			f->node->items = v;
			f->cap = ncap;
		}
		f->node->items[f->node->count++] = n;
		return 0;
	}
	if (!f->have_key && n->kind != D_YAML_SCALAR) {
		d_diags_add(diags, D_DIAG_ERROR, n->line, NULL,
			    "YAML mapping keys must be plain strings, found %s at column %d",
			    n->kind == D_YAML_SEQ ? "a list" : "a mapping", n->col);
		return -DER_INVAL;
	}
	used = 2 * f->node->count + (f->have_key ? 1 : 0);
	if (used == f->cap) {
		size_t		     ncap = f->cap ? f->cap * 2 : 8;
		struct d_yaml_node **v = d_realloc(f->node->items, ncap * sizeof(*v));

		if (v == NULL)
			return -DER_NOMEM;
		f->node->items = v;
		f->cap = ncap;
	}
	f->node->items[used] = n;
	if (f->have_key) {
		f->node->count++;
		f->have_key = false;
	} else {
		f->have_key = true;
	}
	return 0;
}

static int
builder_event(struct yd_builder *b, const yaml_event_t *ev, struct d_diags *diags)
{
	struct d_yaml_node *n;
	int		    rc;

	switch (ev->type) {
	case YAML_DOCUMENT_START_EVENT:
		if (++b->ndocs > 1) {
			d_diags_add(diags, D_DIAG_ERROR, (int)ev->start_mark.line + 1, NULL,
				    "the file holds more than one YAML document ('---'); keep a "
				    "single document");
			return -DER_INVAL;
		}
		return 0;
	case YAML_ALIAS_EVENT:
		d_diags_add(diags, D_DIAG_ERROR, (int)ev->start_mark.line + 1, NULL,
			    "YAML aliases (*%s) are not supported in configuration files; "
			    "write the value out",
			    (const char *)ev->data.alias.anchor);
		return -DER_INVAL;
	case YAML_SCALAR_EVENT:
		n = node_new(D_YAML_SCALAR, &ev->start_mark);
		if (n == NULL)
			return -DER_NOMEM;
		D_STRNDUP(n->str, (const char *)ev->data.scalar.value, ev->data.scalar.length);
		if (n->str == NULL) {
			node_free(n);
			return -DER_NOMEM;
		}
		n->plain = ev->data.scalar.plain_implicit &&
			   ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
		/* an explicit !!int / !!bool tag still allows resolution */
		if (ev->data.scalar.tag != NULL &&
		    strcmp((const char *)ev->data.scalar.tag, YAML_STR_TAG) != 0)
			n->plain = true;
		rc = builder_attach(b, n, diags);
		if (rc != 0)
			node_free(n);
		return rc;
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		if (b->depth == YD_MAX_DEPTH) {
			d_diags_add(diags, D_DIAG_ERROR, (int)ev->start_mark.line + 1, NULL,
				    "YAML nesting deeper than %d levels", YD_MAX_DEPTH);
			return -DER_INVAL;
		}
		n = node_new(ev->type == YAML_SEQUENCE_START_EVENT ? D_YAML_SEQ : D_YAML_MAP,
			     &ev->start_mark);
		if (n == NULL)
			return -DER_NOMEM;
		rc = builder_attach(b, n, diags);
		if (rc != 0) {
			node_free(n);
			return rc;
		}
		b->stack[b->depth].node = n;
		b->stack[b->depth].cap = 0;
		b->stack[b->depth].have_key = false;
		b->depth++;
		return 0;
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		b->depth--;
		return 0;
	default:
		return 0;
	}
}

int
d_yaml_load_string(const char *name, const char *text, size_t len, struct d_yaml_doc **out,
		   struct d_diags *diags)
{
	yaml_parser_t	   parser;
	yaml_event_t	   ev;
	struct yd_builder  b;
	struct d_yaml_doc *doc = NULL;
	bool		   done = false;
	int		   rc = 0;

	memset(&b, 0, sizeof(b));
	if (!yaml_parser_initialize(&parser))
		return -DER_NOMEM;
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	while (!done) {
		if (!yaml_parser_parse(&parser, &ev)) {
			int line = (int)parser.problem_mark.line + 1;

			if (parser.error == YAML_MEMORY_ERROR) {
				rc = -DER_NOMEM;
				break;
			}
			if (parser.context != NULL)
				d_diags_add(
					diags, D_DIAG_ERROR, line, NULL,
					"YAML syntax error: %s (%s, line %d column %d); fix the "
					"indentation or quoting",
					parser.problem, parser.context,
					(int)parser.context_mark.line + 1,
					(int)parser.context_mark.column + 1);
			else
				d_diags_add(diags, D_DIAG_ERROR, line, NULL,
					    "YAML syntax error: %s at column %d", parser.problem,
					    (int)parser.problem_mark.column + 1);
			rc = -DER_INVAL;
			break;
		}
		done = ev.type == YAML_STREAM_END_EVENT;
		rc = builder_event(&b, &ev, diags);
		yaml_event_delete(&ev);
		if (rc != 0)
			break;
	}
	yaml_parser_delete(&parser);
	if (rc != 0)
		goto out;

	D_ALLOC_PTR(doc);
	if (doc == NULL) {
		rc = -DER_NOMEM;
		goto out;
	}
	D_STRDUP(doc->name, name ? name : "");
	if (doc->name == NULL) {
		rc = -DER_NOMEM;
		goto out;
	}
	doc->root = b.root;
	doc->size = len;
	b.root = NULL;
	/* A document holding only "~" or nothing is empty. */
	if (doc->root != NULL && d_yaml_is_null(doc->root)) {
		node_free(doc->root);
		doc->root = NULL;
	}
	*out = doc;
	doc = NULL;
out:
	if (rc == -DER_NOMEM)
		d_diags_add(diags, D_DIAG_ERROR, 0, NULL, "out of memory while reading the file");
	/* a mapping key waiting for its value is not counted in the node yet */
	while (b.depth > 0) {
		struct yd_frame *f = &b.stack[--b.depth];

		if (f->have_key)
			node_free(f->node->items[2 * f->node->count]);
	}
	node_free(b.root);
	d_yaml_doc_destroy(doc);
	return rc;
}

int
d_yaml_load_file(const char *path, struct d_yaml_doc **out, struct d_diags *diags)
{
	struct d_errbuf eb;
	char	       *buf = NULL;
	size_t		len = 0;
	int		rc;

	rc = d_file_read(path, SIZE_MAX, &buf, &len, &eb);
	switch (rc) {
	case 0:
		break;
	case -DER_NOMEM:
		return rc;
	case -DER_NONEXIST:
		d_diags_add(
			diags, D_DIAG_ERROR, 0, NULL,
			"config file not found; check the path given with -o or create the file");
		return rc;
	case -DER_NO_PERM:
		d_diags_add(diags, D_DIAG_ERROR, 0, NULL,
			    "cannot read config file: permission denied; check its ownership and "
			    "mode");
		return rc;
	case -DER_INVAL: /* d_file_read's code for a directory */
		d_diags_add(diags, D_DIAG_ERROR, 0, NULL,
			    "is a directory, not a config file; give the path of a .yml file");
		return rc;
	default:
		d_diags_add(diags, D_DIAG_ERROR, 0, NULL, "%s", eb.msg);
		return rc;
	}
	rc = d_yaml_load_string(path, buf, len, out, diags);
	D_FREE(buf);
	return rc;
}

/* ---- accessors ------------------------------------------------------------ */

bool
d_yaml_is_null(const struct d_yaml_node *n)
{
	if (n == NULL)
		return true;
	if (n->kind != D_YAML_SCALAR || !n->plain)
		return false;
	return n->str[0] == '\0' || strcmp(n->str, "~") == 0 || strcmp(n->str, "null") == 0 ||
	       strcmp(n->str, "Null") == 0 || strcmp(n->str, "NULL") == 0;
}

static int
bool_resolve(const char *s, bool *out)
{
	static const char *const yes[] = {"y",	  "Y",	  "yes", "Yes", "YES", "true",
					  "True", "TRUE", "on",	 "On",	"ON"};
	static const char *const no[] = {"n",	  "N",	   "no",  "No",	 "NO", "false",
					 "False", "FALSE", "off", "Off", "OFF"};
	size_t			 i;

	for (i = 0; i < D_ARRAY_SIZE(yes); i++) {
		if (strcmp(s, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcmp(s, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return -DER_INVAL;
}

int
d_yaml_parse_int(const char *s, int64_t *out)
{
	char	 digits[72];
	size_t	 n = 0;
	bool	 neg = false;
	int	 base = 10;
	uint64_t v = 0, limit;
	char	*end;

	if (*s == '+' || *s == '-')
		neg = *s++ == '-';
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	} else if (s[0] == '0' && (s[1] == 'o' || s[1] == 'O')) {
		base = 8;
		s += 2;
	} else if (s[0] == '0' && (s[1] == 'b' || s[1] == 'B')) {
		base = 2;
		s += 2;
	} else if (s[0] == '0' && s[1] != '\0') {
		base = 8;
		s++;
	}
	for (; *s != '\0'; s++) {
		if (*s == '_')
			continue;
		if (!isxdigit((unsigned char)*s) || n + 1 >= sizeof(digits))
			return -DER_INVAL;
		digits[n++] = *s;
	}
	if (n == 0)
		return -DER_INVAL;
	digits[n] = '\0';
	errno = 0;
	v = strtoull(digits, &end, base);
	if (*end != '\0')
		return -DER_INVAL;
	if (errno == ERANGE)
		return -DER_OVERFLOW;
	limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	if (v > limit)
		return -DER_OVERFLOW;
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return 0;
}

const char *
d_yaml_describe(const struct d_yaml_node *n)
{
	int64_t i;
	bool	b;

	if (n == NULL || d_yaml_is_null(n))
		return "null";
	if (n->kind == D_YAML_SEQ)
		return "a list";
	if (n->kind == D_YAML_MAP)
		return "a mapping";
	if (!n->plain)
		return "a quoted string";
	if (bool_resolve(n->str, &b) == 0)
		return "a boolean";
	if (d_yaml_parse_int(n->str, &i) == 0)
		return "an integer";
	return "a string";
}

int
d_yaml_get_str(const struct d_yaml_node *n, const char **out, struct d_errbuf *eb)
{
	if (d_yaml_is_null(n)) {
		*out = "";
		return 0;
	}
	if (n->kind != D_YAML_SCALAR) {
		d_errbuf_set(eb, "expected a string, got %s", d_yaml_describe(n));
		return -DER_INVAL;
	}
	*out = n->str;
	return 0;
}

int
d_yaml_get_bool(const struct d_yaml_node *n, bool *out, struct d_errbuf *eb)
{
	bool v;

	if (n == NULL || n->kind != D_YAML_SCALAR || !n->plain || bool_resolve(n->str, &v) != 0) {
		if (n != NULL && n->kind == D_YAML_SCALAR)
			d_errbuf_set(eb, "expected true or false, got %s \"%s\"",
				     d_yaml_describe(n), n->str);
		else
			d_errbuf_set(eb, "expected true or false, got %s", d_yaml_describe(n));
		return -DER_INVAL;
	}
	*out = v;
	return 0;
}

int
d_yaml_get_int(const struct d_yaml_node *n, int64_t min, int64_t max, int64_t *out,
	       struct d_errbuf *eb)
{
	int64_t v;
	int	rc;

	if (n == NULL || n->kind != D_YAML_SCALAR || !n->plain || d_yaml_is_null(n)) {
		if (n != NULL && n->kind == D_YAML_SCALAR && !d_yaml_is_null(n))
			d_errbuf_set(eb, "expected an integer, got %s \"%s\"", d_yaml_describe(n),
				     n->str);
		else
			d_errbuf_set(eb, "expected an integer, got %s", d_yaml_describe(n));
		return -DER_INVAL;
	}
	rc = d_yaml_parse_int(n->str, &v);
	if (rc == -DER_OVERFLOW || (rc == 0 && (v < min || v > max))) {
		d_errbuf_set(eb, "value %s is out of range; use an integer between %lld and %lld",
			     n->str, (long long)min, (long long)max);
		return -DER_INVAL;
	}
	if (rc != 0) {
		d_errbuf_set(eb, "expected an integer, got %s \"%s\"", d_yaml_describe(n), n->str);
		return -DER_INVAL;
	}
	*out = v;
	return 0;
}

const struct d_yaml_node *
d_yaml_map_get(const struct d_yaml_node *map, const char *key)
{
	size_t i;

	if (map == NULL || map->kind != D_YAML_MAP)
		return NULL;
	/* the last occurrence wins, as the decoder would see it */
	for (i = map->count; i > 0; i--)
		if (strcmp(map->items[2 * (i - 1)]->str, key) == 0)
			return map->items[2 * (i - 1) + 1];
	return NULL;
}

static const struct d_yaml_node *
map_get_key(const struct d_yaml_node *map, const char *key, size_t len)
{
	size_t i;

	if (map == NULL || map->kind != D_YAML_MAP)
		return NULL;
	for (i = map->count; i > 0; i--) {
		const struct d_yaml_node *k = map->items[2 * (i - 1)];

		if (strlen(k->str) == len && strncmp(k->str, key, len) == 0)
			return k;
	}
	return NULL;
}

int
d_yaml_path_line(const struct d_yaml_node *root, const char *path)
{
	const struct d_yaml_node *cur = root;
	int			  line = root ? root->line : 0;
	const char		 *p = path;

	while (cur != NULL && p != NULL && *p != '\0') {
		size_t			  len = strcspn(p, ".[");
		const struct d_yaml_node *k;

		if (len > 0) {
			k = map_get_key(cur, p, len);
			if (k == NULL)
				return line;
			line = k->line;
			cur = d_yaml_map_get(cur, k->str);
			p += len;
		}
		while (*p == '[') {
			long idx = strtol(p + 1, (char **)&p, 10);

			if (*p == ']')
				p++;
			if (cur == NULL || cur->kind != D_YAML_SEQ || idx < 0 ||
			    (size_t)idx >= cur->count)
				return line;
			cur = cur->items[idx];
			line = cur->line;
		}
		if (*p == '.')
			p++;
	}
	return line;
}
