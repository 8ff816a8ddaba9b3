/*
 * JSON writer with the layout of Go's json.MarshalIndent(v, "", "  "): one
 * member or element per line, two spaces per level, `"key": value`, empty
 * containers as `{}` / `[]`; and the {"response","error","status"} envelope
 * of upstream's `-j` mode.  There is no parser; the writer only checks that
 * what it is told to write nests correctly.
 */
#include <math.h>
#include <inttypes.h>

#include "common/common.h"
#include "common/json.h"

#define JSON_MAX_DEPTH 64

struct d_json {
	struct d_sbuf sb;
	int	      depth;
	char	      kind[JSON_MAX_DEPTH];  /* '{' or '[' per open level */
	int	      count[JSON_MAX_DEPTH]; /* values written in each level */
	int	      ntop;		     /* values written at the top level */
	bool	      nomem;
	bool	      misuse;
};

struct d_json *
d_json_create(void)
{
	struct d_json *w;

	D_ALLOC_PTR(w);
	if (w == NULL)
		return NULL;
	d_sbuf_init(&w->sb);
	return w;
}

void
d_json_destroy(struct d_json *w)
{
	if (w == NULL)
		return;
	d_sbuf_fini(&w->sb);
	D_FREE(w);
}

static void
put(struct d_json *w, const char *s, size_t n)
{
	if (d_sbuf_putn(&w->sb, s, n) != 0)
		w->nomem = true;
}

static void
puts_(struct d_json *w, const char *s)
{
	put(w, s, strlen(s));
}

/*
 * Length of the valid UTF-8 sequence at s (1-4), or 0 when invalid: bad
 * lead or continuation byte, overlong form, surrogate or beyond U+10FFFF,
 * the cases Go's utf8.DecodeRuneInString rejects.
 */
static int
utf8_len(const unsigned char *s, uint32_t *cp)
{
	int	 n;
	uint32_t c;
	uint32_t min;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if ((s[0] & 0xE0) == 0xC0) {
		n = 2, c = s[0] & 0x1F, min = 0x80;
	} else if ((s[0] & 0xF0) == 0xE0) {
		n = 3, c = s[0] & 0x0F, min = 0x800;
	} else if ((s[0] & 0xF8) == 0xF0) {
		n = 4, c = s[0] & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	for (int i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3F);
	}
	if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
		return 0;
	*cp = c;
	return n;
}

/*
 * A string as Go's encoding/json writes it (RFC 8259 valid): quote,
 * backslash, \n, \r and \t escaped by name; other control characters,
 * '<', '>', '&', U+2028 and U+2029 as \uXXXX; invalid UTF-8 bytes replaced
 * by \ufffd.  Matching Go keeps `-j` output byte-identical to upstream.
 */
static void
put_string(struct d_sbuf *sb, bool *nomem, const char *str)
{
	static const char    hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)str;
	const unsigned char *run = s;
	int		     rc = d_sbuf_putn(sb, "\"", 1);

	while (*s != '\0') {
		uint32_t cp = 0;
		int	 n = utf8_len(s, &cp);
		char	 esc[8];
		size_t	 elen;

		if (n == 1 && cp >= 0x20 && cp != '"' && cp != '\\' && cp != '<' && cp != '>' &&
		    cp != '&') {
			s++;
			continue;
		}
		if (n > 1 && cp != 0x2028 && cp != 0x2029) {
			s += n;
			continue;
		}
		rc |= d_sbuf_putn(sb, (const char *)run, (size_t)(s - run));
		if (n == 0)
			elen = (size_t)snprintf(esc, sizeof(esc), "\\ufffd");
		else if (cp == '"' || cp == '\\')
			elen = (size_t)snprintf(esc, sizeof(esc), "\\%c", (char)cp);
		else if (cp == '\n')
			elen = (size_t)snprintf(esc, sizeof(esc), "\\n");
		else if (cp == '\r')
			elen = (size_t)snprintf(esc, sizeof(esc), "\\r");
		else if (cp == '\t')
			elen = (size_t)snprintf(esc, sizeof(esc), "\\t");
		else
			elen = (size_t)snprintf(esc, sizeof(esc), "\\u%c%c%c%c",
						hex[(cp >> 12) & 0xf], hex[(cp >> 8) & 0xf],
						hex[(cp >> 4) & 0xf], hex[cp & 0xf]);
		rc |= d_sbuf_putn(sb, esc, elen);
		s += n == 0 ? 1 : n;
		run = s;
	}
	rc |= d_sbuf_putn(sb, (const char *)run, (size_t)(s - run));
	rc |= d_sbuf_putn(sb, "\"", 1);
	if (rc != 0)
		*nomem = true;
}

int
d_json_quote(struct d_sbuf *sb, const char *s)
{
	bool nomem = false;

	put_string(sb, &nomem, s != NULL ? s : "");
	return nomem ? -DER_NOMEM : 0;
}

static void
newline_indent(struct d_json *w, int depth)
{
	puts_(w, "\n");
	for (int i = 0; i < depth; i++)
		puts_(w, "  ");
}

/* Separator, indentation and key before a value; false on misuse. */
static bool
begin_value(struct d_json *w, const char *key)
{
	if (w == NULL)
		return false;
	if (w->misuse)
		return false;
	if (w->depth == 0) {
		if (w->ntop++ > 0) { /* a document holds one value */
			w->misuse = true;
			return false;
		}
		return true;
	}
	if (w->kind[w->depth - 1] == '{' && key == NULL) {
		w->misuse = true;
		return false;
	}
	if (w->count[w->depth - 1]++ > 0)
		puts_(w, ",");
	newline_indent(w, w->depth);
	if (w->kind[w->depth - 1] == '{') {
		put_string(&w->sb, &w->nomem, key);
		puts_(w, ": ");
	}
	return true;
}

static void
open_level(struct d_json *w, const char *key, char kind)
{
	if (!begin_value(w, key))
		return;
	if (w->depth == JSON_MAX_DEPTH) {
		w->misuse = true;
		return;
	}
	put(w, &kind, 1);
	w->kind[w->depth] = kind;
	w->count[w->depth] = 0;
	w->depth++;
}

static void
close_level(struct d_json *w, char kind)
{
	if (w == NULL || w->misuse)
		return;
	if (w->depth == 0 || w->kind[w->depth - 1] != kind) {
		w->misuse = true;
		return;
	}
	w->depth--;
	if (w->count[w->depth] > 0)
		newline_indent(w, w->depth);
	puts_(w, kind == '{' ? "}" : "]");
}

void
d_json_obj_begin(struct d_json *w, const char *key)
{
	open_level(w, key, '{');
}

void
d_json_obj_end(struct d_json *w)
{
	close_level(w, '{');
}

void
d_json_arr_begin(struct d_json *w, const char *key)
{
	open_level(w, key, '[');
}

void
d_json_arr_end(struct d_json *w)
{
	close_level(w, '[');
}

void
d_json_str(struct d_json *w, const char *key, const char *val)
{
	if (!begin_value(w, key))
		return;
	if (val == NULL)
		puts_(w, "null");
	else
		put_string(&w->sb, &w->nomem, val);
}

void
d_json_int(struct d_json *w, const char *key, int64_t val)
{
	char buf[32];

	if (!begin_value(w, key))
		return;
	snprintf(buf, sizeof(buf), "%" PRId64, val);
	puts_(w, buf);
}

void
d_json_uint(struct d_json *w, const char *key, uint64_t val)
{
	char buf[32];

	if (!begin_value(w, key))
		return;
	snprintf(buf, sizeof(buf), "%" PRIu64, val);
	puts_(w, buf);
}

/*
 * Go's encoding/json float64: the shortest digits that read back to the
 * same value, in plain decimal notation for 1e-6 <= |v| < 1e21 and in
 * exponent notation ("1e+21", "1e-07" shortened to "1e-7") otherwise.
 */
static void
format_double(double v, char *buf, size_t len)
{
	char   digits[40];
	int    prec;
	int    exp10;
	char  *e;
	double a = fabs(v);

	for (prec = 0; prec < 17; prec++) {
		snprintf(digits, sizeof(digits), "%.*e", prec, v);
		if (strtod(digits, NULL) == v)
			break;
	}
	if (v == 0 || (a >= 1e-6 && a < 1e21)) {
		e = strchr(digits, 'e');
		exp10 = atoi(e + 1);
		/* decimals needed = significant decimals - exponent */
		snprintf(buf, len, "%.*f", prec - exp10 > 0 ? prec - exp10 : 0, v);
		return;
	}
	e = strchr(digits, 'e');
	/* "e-07" -> "e-7", "e+21" stays: Go trims leading zeros of the exponent */
	exp10 = atoi(e + 1);
	*e = '\0';
	snprintf(buf, len, "%se%c%d", digits, exp10 < 0 ? '-' : '+', abs(exp10));
}

void
d_json_double(struct d_json *w, const char *key, double val)
{
	char buf[64];

	if (!begin_value(w, key))
		return;
	if (isnan(val) || isinf(val)) {
		/* not representable in JSON; Go refuses to encode it */
		w->misuse = true;
		return;
	}
	format_double(val, buf, sizeof(buf));
	puts_(w, buf);
}

void
d_json_bool(struct d_json *w, const char *key, bool val)
{
	if (!begin_value(w, key))
		return;
	puts_(w, val ? "true" : "false");
}

void
d_json_null(struct d_json *w, const char *key)
{
	if (!begin_value(w, key))
		return;
	puts_(w, "null");
}

int
d_json_finish(struct d_json *w)
{
	if (w == NULL)
		return -DER_INVAL;
	if (w->nomem)
		return -DER_NOMEM;
	if (w->misuse || w->depth != 0 || w->ntop != 1)
		return -DER_INVAL;
	return 0;
}

const char *
d_json_text(const struct d_json *w)
{
	if (w == NULL || w->sb.buf == NULL)
		return "";
	return w->sb.buf;
}

/* Write text re-indented by one level: two spaces after each newline. */
static void
put_nested(FILE *out, const char *text)
{
	for (; *text != '\0'; text++) {
		fputc(*text, out);
		if (*text == '\n')
			fputs("  ", out);
	}
}

void
d_json_envelope_print(FILE *out, struct d_json *response, const char *error, int status)
{
	struct d_sbuf sb;
	bool	      nomem = false;
	char	     *msg = NULL;
	int	      rc = 0;

	if (response != NULL)
		rc = d_json_finish(response);
	if (rc != 0) {
		/* Say so rather than print a broken document. */
		msg = d_asprintf("failed to build the JSON response: %s%s%s", d_errstr(rc),
				 error != NULL ? "; " : "", error != NULL ? error : "");
		error = msg != NULL ? msg : "failed to build the JSON response";
		response = NULL;
		if (status == 0)
			status = rc;
	}
	fputs("{\n  \"response\": ", out);
	if (response != NULL)
		put_nested(out, d_json_text(response));
	else
		fputs("null", out);
	fputs(",\n  \"error\": ", out);
	if (error != NULL) {
		d_sbuf_init(&sb);
		put_string(&sb, &nomem, error);
		fputs(nomem ? "\"out of memory\"" : sb.buf, out);
		d_sbuf_fini(&sb);
	} else {
		fputs("null", out);
	}
	fprintf(out, ",\n  \"status\": %d\n}\n", status);
	D_FREE(msg);
}
