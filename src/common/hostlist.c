/*
 * Host lists and host sets: parsing of the bracketed notation, ordered lists,
 * sorted unique sets and their compressed ("ranged") and expanded output.
 * Rank sets live in rankset.c.  No name resolution, no logging.
 *
 * Model: a host is prefix + number + suffix, where the number is written with
 * a digit count L (leading zeros included), or a name without number.  Two
 * written forms are the same host exactly when prefix, suffix, L and the
 * number agree, so a segment stores hosts of one L only: "node[08-120]"
 * becomes (L=2, 8-99) and (L=3, 100-120).  Sets sort by (prefix, suffix, L,
 * number), which reproduces upstream's order ("node[001-009,10-20]" ->
 * "node[10-20,001-009]") without its width-compatibility special cases, and
 * output joins segments whose numbers run on across a digit-count boundary
 * ("node[9-10]", "node[08-120]").
 */
#include <inttypes.h>
#include <stdio.h>

#include "common/hostlist.h"

struct hseg {
	char	*prefix; /* whole name when len == 0 */
	char	*suffix;
	uint64_t lo, hi;
	uint32_t len; /* digit count of every number here; 0 = name without number */
};

struct d_hostlist {
	struct hseg *segs;
	size_t	     nsegs;
	size_t	     cap;
	size_t	     count;
};

struct d_hostset {
	struct d_hostlist l;
};

#define SEPARATORS "\t, "

/* ---- small helpers ---- */

static uint32_t
ndigits(uint64_t n)
{
	uint32_t d = 1;

	while (n >= 10) {
		n /= 10;
		d++;
	}
	return d;
}

/* Largest number written with exactly L digits, saturating at UINT64_MAX. */
static uint64_t
max_of_len(uint32_t len)
{
	uint64_t p = 1;

	if (len >= 20)
		return UINT64_MAX;
	while (len-- > 0)
		p *= 10;
	return p - 1;
}

static size_t
seg_count(const struct hseg *s)
{
	return s->len == 0 ? 1 : (size_t)(s->hi - s->lo + 1);
}

static void
seg_fini(struct hseg *s)
{
	D_FREE(s->prefix);
	D_FREE(s->suffix);
}

static void
list_fini(struct d_hostlist *hl)
{
	for (size_t i = 0; i < hl->nsegs; i++)
		seg_fini(&hl->segs[i]);
	D_FREE(hl->segs);
	hl->nsegs = hl->cap = hl->count = 0;
}

static int
list_reserve(struct d_hostlist *hl, size_t more)
{
	struct hseg *p;
	size_t	     cap;

	if (hl->nsegs + more <= hl->cap)
		return 0;
	cap = hl->cap ? hl->cap * 2 : 8;
	while (cap < hl->nsegs + more)
		cap *= 2;
	p = d_realloc(hl->segs, cap * sizeof(*p));
	if (p == NULL)
		return -DER_NOMEM;
	hl->segs = p;
	hl->cap = cap;
	return 0;
}

static bool
same_key(const struct hseg *a, const struct hseg *b)
{
	return a->len == b->len && strcmp(a->prefix, b->prefix) == 0 &&
	       strcmp(a->suffix, b->suffix) == 0;
}

/*
 * Append a segment, taking ownership of its strings even on failure.  Like
 * upstream's pushRange, a run continuing the tail segment extends it.
 */
static int
list_append(struct d_hostlist *hl, struct hseg *s)
{
	struct hseg *tail = hl->nsegs ? &hl->segs[hl->nsegs - 1] : NULL;

	if (tail != NULL && s->len != 0 && same_key(tail, s) && tail->hi != UINT64_MAX &&
	    tail->hi + 1 == s->lo) {
		tail->hi = s->hi;
		hl->count += seg_count(s);
		seg_fini(s);
		return 0;
	}
	if (list_reserve(hl, 1) != 0) {
		seg_fini(s);
		return -DER_NOMEM;
	}
	hl->segs[hl->nsegs++] = *s;
	hl->count += seg_count(s);
	return 0;
}

static int
seg_copy(const struct hseg *src, struct hseg *dst, uint64_t lo, uint64_t hi)
{
	*dst = *src;
	dst->lo = lo;
	dst->hi = hi;
	D_STRDUP(dst->prefix, src->prefix);
	D_STRDUP(dst->suffix, src->suffix);
	if (dst->prefix == NULL || dst->suffix == NULL) {
		seg_fini(dst);
		return -DER_NOMEM;
	}
	return 0;
}

static int
list_append_copy(struct d_hostlist *hl, const struct hseg *src, uint64_t lo, uint64_t hi)
{
	struct hseg s;
	int	    rc;

	rc = seg_copy(src, &s, lo, hi);
	if (rc != 0)
		return rc;
	return list_append(hl, &s);
}

/* Move all segments of src to the end of dst; src is left empty. */
static int
list_move(struct d_hostlist *dst, struct d_hostlist *src)
{
	int rc = 0;

	for (size_t i = 0; i < src->nsegs; i++) {
		if (rc == 0)
			rc = list_append(dst, &src->segs[i]);
		else
			seg_fini(&src->segs[i]);
	}
	D_FREE(src->segs);
	src->nsegs = src->cap = src->count = 0;
	return rc;
}

/* ---- parsing ---- */

/* Quote a token for messages, escaping what would not print. */
static const char *
quote(const char *s, size_t n, char *buf, size_t bufsz)
{
	size_t o = 0;

	if (n > 200)
		n = 200;
	buf[o++] = '"';
	for (size_t i = 0; i < n && o + 6 < bufsz; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
			buf[o++] = (char)c;
		else
			o += (size_t)snprintf(buf + o, bufsz - o, "\\x%02x", c);
	}
	buf[o++] = '"';
	buf[o] = '\0';
	return buf;
}

#define QBUF 1024

static bool
name_char_ok(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.' || c == '_' || c == ':';
}

/*
 * Check the characters of a name part (the whole name, a bracket prefix or a
 * suffix) and its optional ":port" ending.
 */
static int
check_chars(const char *tok, size_t toklen, const char *part, size_t n, bool port_ok,
	    struct d_errbuf *eb)
{
	char   q[QBUF];
	size_t colon = n;

	for (size_t i = 0; i < n; i++) {
		if (!name_char_ok(part[i])) {
			char c[8];

			if ((unsigned char)part[i] >= 0x20 && (unsigned char)part[i] < 0x7f)
				snprintf(c, sizeof(c), "'%c'", part[i]);
			else
				snprintf(c, sizeof(c), "0x%02x", (unsigned char)part[i]);
			d_errbuf_set(eb,
				     "invalid character %s in host name %s: host names may contain "
				     "letters, digits, '-', '.', '_', one bracketed range and a "
				     "\":port\" suffix",
				     c, quote(tok, toklen, q, sizeof(q)));
			return -DER_INVAL;
		}
		if (part[i] == ':' && colon == n)
			colon = i;
	}
	if (colon == n)
		return 0;
	if (!port_ok) {
		d_errbuf_set(eb,
			     "invalid host name %s: a \":port\" may only end the name, after any "
			     "bracketed range",
			     quote(tok, toklen, q, sizeof(q)));
		return -DER_INVAL;
	}
	{
		unsigned long port = 0;
		size_t	      i;

		for (i = colon + 1; i < n && part[i] >= '0' && part[i] <= '9' && port <= 65535; i++)
			port = port * 10 + (unsigned long)(part[i] - '0');
		if (i == colon + 1 || i != n || port == 0 || port > 65535) {
			d_errbuf_set(eb,
				     "invalid port in host name %s: write host:port with a port "
				     "number from 1 to 65535",
				     quote(tok, toklen, q, sizeof(q)));
			return -DER_INVAL;
		}
	}
	return 0;
}

static size_t
span_digits(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n && s[i] >= '0' && s[i] <= '9')
		i++;
	return i;
}

static bool
is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/*
 * Split a plain host name into prefix/number/suffix the way upstream's
 * regular expressions do: with a hyphen, the prefix runs to the last hyphen
 * of the leading [A-Za-z0-9-] run; otherwise it is the leading letters; as a
 * last resort an IPv4 address's first three octets are the prefix.  Unlike
 * upstream, a hyphenated name whose leading run has no hyphen
 * ("node1.a-b") falls back to the letters rule instead of failing.
 */
static int
split_name(const char *name, size_t n, size_t *plen, size_t *dlen, struct d_errbuf *eb)
{
	char   q[QBUF];
	size_t p = 0;

	if (memchr(name, '-', n) != NULL) {
		size_t run = 0, hy = 0;

		while (run < n && (is_alpha(name[run]) || (name[run] >= '0' && name[run] <= '9') ||
				   name[run] == '-')) {
			if (name[run] == '-')
				hy = run;
			run++;
		}
		if (hy >= 1)
			p = hy + 1;
	}
	if (p == 0)
		while (p < n && is_alpha(name[p]))
			p++;
	if (p == 0) {
		/* IPv4: d{1,3}.d{1,3}.d{1,3}.d{1,3} then nothing or :port */
		size_t i = 0;
		bool   ipv4 = false;

		for (int oct = 0; oct < 4; oct++) {
			size_t	 d = span_digits(name + i, n - i);
			uint64_t v;

			if (d == 0 || d > 3 || d_parse_u64n(name + i, d, &v) != 0 || v > 255)
				break;
			if (oct == 3) {
				p = i;
				i += d;
				ipv4 = true;
				break;
			}
			i += d;
			if (i >= n || name[i] != '.')
				break;
			i++;
		}
		if (!ipv4 || (i < n && name[i] != ':')) {
			d_errbuf_set(eb,
				     "invalid hostname %s: a host name must start with a letter "
				     "(or be an IPv4 address such as 10.5.1.2)",
				     quote(name, n, q, sizeof(q)));
			return -DER_INVAL;
		}
	}
	*plen = p;
	*dlen = span_digits(name + p, n - p);
	return 0;
}

static int
append_seg(struct d_hostlist *hl, const char *prefix, size_t plen, const char *suffix, size_t slen,
	   uint64_t lo, uint64_t hi, uint32_t len)
{
	struct hseg s = {.lo = lo, .hi = hi, .len = len};

	D_STRNDUP(s.prefix, prefix, plen);
	D_STRNDUP(s.suffix, suffix, slen);
	if (s.prefix == NULL || s.suffix == NULL) {
		seg_fini(&s);
		return -DER_NOMEM;
	}
	return list_append(hl, &s);
}

static int
parse_plain(struct d_hostlist *hl, const char *tok, size_t n, struct d_errbuf *eb)
{
	char	 q[QBUF];
	size_t	 plen, dlen;
	uint64_t num;
	int	 rc;

	rc = check_chars(tok, n, tok, n, true, eb);
	if (rc != 0)
		return rc;
	rc = split_name(tok, n, &plen, &dlen, eb);
	if (rc != 0)
		return rc;
	if (dlen == 0) /* no number: the name is kept verbatim */
		return append_seg(hl, tok, n, "", 0, 0, 0, 0);
	if (d_parse_u64n(tok + plen, dlen, &num) != 0) {
		d_errbuf_set(eb,
			     "number too large in host name %s: host numbers must fit in 64 bits",
			     quote(tok, n, q, sizeof(q)));
		return -DER_INVAL;
	}
	return append_seg(hl, tok, plen, tok + plen + dlen, n - plen - dlen, num, num,
			  (uint32_t)dlen);
}

static char *
host_at(const char *prefix, size_t plen, const char *suffix, size_t slen, uint64_t v, uint32_t len)
{
	return d_asprintf("%.*s%0*" PRIu64 "%.*s", (int)plen, prefix, (int)len, v, (int)slen,
			  suffix);
}

/*
 * Where the plain-name rule puts the number of host h = prefix + <len
 * digits> + suffix: 0 and *cp = the canonical prefix length when the number
 * is our digits plus trailing digits of the prefix ("wolf-7[1-2]" ->
 * "wolf-", 71-72); 1 when the rule splits the name elsewhere.
 */
static int
canonical_cut(const char *h, size_t plen, uint32_t len, size_t *cp, struct d_errbuf *eb)
{
	size_t p, d;
	int    rc;

	rc = split_name(h, strlen(h), &p, &d, eb);
	if (rc != 0)
		return rc;
	if (d == 0 || p > plen || p + d != plen + len)
		return 1;
	*cp = p;
	return 0;
}

/*
 * Append prefix[lo-hi]suffix (all numbers written with len digits) in
 * canonical form, so that a host has one representation however it was
 * written: "wolf-7[1-2]" and "wolf-71,wolf-72" are the same two hosts.
 */
static int
push_canonical(struct d_hostlist *hl, const char *prefix, size_t plen, const char *suffix,
	       size_t slen, uint64_t lo, uint64_t hi, uint32_t len, struct d_errbuf *eb)
{
	char	*h[2];
	size_t	 cp[2] = {0, 0};
	int	 rc = 0, k;
	uint64_t base = 0;
	bool	 uniform = true;

	h[0] = host_at(prefix, plen, suffix, slen, lo, len);
	h[1] = host_at(prefix, plen, suffix, slen, hi, len);
	if (h[0] == NULL || h[1] == NULL) {
		rc = -DER_NOMEM;
		goto out;
	}
	for (k = 0; k < 2; k++) {
		rc = canonical_cut(h[k], plen, len, &cp[k], eb);
		if (rc < 0)
			goto out;
		if (rc > 0)
			uniform = false;
	}
	rc = 0;
	if (uniform && cp[0] == cp[1] && cp[0] < plen) {
		/* the prefix's trailing digits become the high digits of the number */
		uint64_t scale = 1;

		if (d_parse_u64n(prefix + cp[0], plen - cp[0], &base) != 0)
			uniform = false;
		for (uint32_t i = 0; uniform && i < len; i++)
			if (__builtin_mul_overflow(scale, 10, &scale))
				uniform = false;
		if (uniform &&
		    (__builtin_mul_overflow(base, scale, &base) || base > UINT64_MAX - hi))
			uniform = false;
	}
	if (uniform && cp[0] == cp[1]) {
		rc = append_seg(hl, prefix, cp[0], suffix, slen, base + lo, base + hi,
				(uint32_t)(plen - cp[0]) + len);
		goto out;
	}
	/* names where the rule cuts elsewhere: one host at a time */
	for (uint64_t v = lo; rc == 0; v++) {
		char *one = host_at(prefix, plen, suffix, slen, v, len);

		if (one == NULL) {
			rc = -DER_NOMEM;
			break;
		}
		rc = parse_plain(hl, one, strlen(one), eb);
		D_FREE(one);
		if (v == hi)
			break;
	}
out:
	D_FREE(h[0]);
	D_FREE(h[1]);
	return rc;
}

/* prefix[lo-hi]suffix written with width w: one canonical piece per digit count. */
static int
push_range(struct d_hostlist *hl, const char *prefix, size_t plen, const char *suffix, size_t slen,
	   uint64_t lo, uint64_t hi, uint32_t width, struct d_errbuf *eb)
{
	uint64_t start = lo;

	for (;;) {
		uint32_t len = ndigits(start) > width ? ndigits(start) : width;
		uint64_t end = max_of_len(len) < hi ? max_of_len(len) : hi;
		int	 rc;

		rc = push_canonical(hl, prefix, plen, suffix, slen, start, end, len, eb);
		if (rc != 0 || end == hi)
			return rc;
		start = end + 1;
	}
}

static void
trim(const char **s, size_t *n)
{
	while (*n > 0 && (**s == ' ' || **s == '\t')) {
		(*s)++;
		(*n)--;
	}
	while (*n > 0 && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t'))
		(*n)--;
}

/* One element of a bracketed range list: N or N-M. */
static int
parse_one_range(const char *tok, size_t toklen, const char *r, size_t n, uint64_t *lo, uint64_t *hi,
		uint32_t *width, struct d_errbuf *eb)
{
	char	    q[QBUF], qr[QBUF], qb[QBUF];
	const char *dash = memchr(r, '-', n);
	const char *bounds[2];
	size_t	    blen[2];
	uint64_t    v[2];
	int	    nb = dash ? 2 : 1;

	bounds[0] = r;
	blen[0] = dash ? (size_t)(dash - r) : n;
	if (dash) {
		bounds[1] = dash + 1;
		blen[1] = n - blen[0] - 1;
	}
	for (int i = 0; i < nb; i++) {
		trim(&bounds[i], &blen[i]);
		if (blen[i] == 0 || span_digits(bounds[i], blen[i]) != blen[i]) {
			d_errbuf_set(eb,
				     "invalid range %s (%s is not a number) in %s: a range is N or "
				     "N-M with decimal numbers, e.g. node[1-4,8]",
				     quote(r, n, qr, sizeof(qr)),
				     quote(bounds[i], blen[i], qb, sizeof(qb)),
				     quote(tok, toklen, q, sizeof(q)));
			return -DER_INVAL;
		}
		if (d_parse_u64n(bounds[i], blen[i], &v[i]) != 0) {
			d_errbuf_set(eb, "invalid range %s (number too large) in %s",
				     quote(r, n, qr, sizeof(qr)), quote(tok, toklen, q, sizeof(q)));
			return -DER_INVAL;
		}
	}
	if (nb == 1)
		v[1] = v[0];
	if (v[1] < v[0]) {
		d_errbuf_set(eb,
			     "invalid range %s (%" PRIu64 " < %" PRIu64 ") in %s: write the "
			     "lower bound first",
			     quote(r, n, qr, sizeof(qr)), v[1], v[0],
			     quote(tok, toklen, q, sizeof(q)));
		return -DER_INVAL;
	}
	if (v[1] - v[0] > D_HOSTLIST_MAX_RANGE) {
		d_errbuf_set(eb,
			     "invalid range %s (> %d hosts) in %s: split it into ranges whose "
			     "bounds differ by at most %d",
			     quote(r, n, qr, sizeof(qr)), D_HOSTLIST_MAX_RANGE,
			     quote(tok, toklen, q, sizeof(q)), D_HOSTLIST_MAX_RANGE);
		return -DER_INVAL;
	}
	*lo = v[0];
	*hi = v[1];
	*width = (uint32_t)blen[0];
	return 0;
}

static int
parse_bracketed(struct d_hostlist *hl, const char *tok, size_t n, size_t lb, struct d_errbuf *eb)
{
	char	    q[QBUF];
	const char *rbp = memchr(tok + lb, ']', n - lb);
	size_t	    rb, i;
	int	    rc;

	/* the tokenizer guarantees balance and no nesting */
	rb = (size_t)(rbp - tok);
	if (memchr(tok + rb + 1, '[', n - rb - 1) != NULL) {
		d_errbuf_set(eb,
			     "more than one bracketed range in %s: only one [..] per host name is "
			     "supported; list the combinations separately",
			     quote(tok, n, q, sizeof(q)));
		return -DER_INVAL;
	}
	if (lb == 0) {
		d_errbuf_set(eb,
			     "invalid range %s: a bracketed range needs a host name prefix, e.g. "
			     "node[1-4]",
			     quote(tok, n, q, sizeof(q)));
		return -DER_INVAL;
	}
	rc = check_chars(tok, n, tok, lb, false, eb);
	if (rc == 0)
		rc = check_chars(tok, n, tok + rb + 1, n - rb - 1, true, eb);
	if (rc != 0)
		return rc;

	i = lb + 1;
	for (;;) {
		const char *comma = memchr(tok + i, ',', rb - i);
		size_t	    end = comma ? (size_t)(comma - tok) : rb;
		const char *r = tok + i;
		size_t	    rlen = end - i;
		uint64_t    lo, hi;
		uint32_t    width;

		trim(&r, &rlen);
		if (rlen == 0) {
			d_errbuf_set(eb,
				     "empty range in %s: give numbers or N-M ranges between the "
				     "brackets, separated by commas, e.g. node[1-4,8]",
				     quote(tok, n, q, sizeof(q)));
			return -DER_INVAL;
		}
		rc = parse_one_range(tok, n, r, rlen, &lo, &hi, &width, eb);
		if (rc == 0)
			rc = push_range(hl, tok, lb, tok + rb + 1, n - rb - 1, lo, hi, width, eb);
		if (rc != 0)
			return rc;
		if (comma == NULL)
			break;
		i = end + 1;
	}
	return 0;
}

static int
parse_token(struct d_hostlist *hl, const char *tok, size_t n, struct d_errbuf *eb)
{
	const char *lb = memchr(tok, '[', n);

	if (lb == NULL)
		return parse_plain(hl, tok, n, eb);
	return parse_bracketed(hl, tok, n, (size_t)(lb - tok), eb);
}

/* Parse str and append to hl; hl is untouched on failure. */
static int
list_parse_append(struct d_hostlist *hl, const char *str, struct d_errbuf *eb)
{
	struct d_hostlist tmp = {0};
	char		  q[QBUF];
	size_t		  i = 0, ntok = 0, n;
	int		  rc = 0;

	if (str == NULL)
		str = "";
	n = strlen(str);
	while (i < n) {
		size_t start, depth = 0;

		if (strchr(SEPARATORS, str[i]) != NULL) {
			i++;
			continue;
		}
		start = i;
		for (; i < n; i++) {
			char c = str[i];

			if (c == '[') {
				if (depth > 0) {
					d_errbuf_set(eb,
						     "nested \"[\" in %s: brackets cannot be "
						     "nested; write e.g. node[1-4]",
						     quote(str + start, n - start, q, sizeof(q)));
					rc = -DER_INVAL;
					goto out;
				}
				depth++;
			} else if (c == ']') {
				if (depth == 0) {
					d_errbuf_set(
						eb,
						"unbalanced brackets in %s: \"]\" without a "
						"matching \"[\"",
						quote(str + start, i + 1 - start, q, sizeof(q)));
					rc = -DER_INVAL;
					goto out;
				}
				depth--;
			} else if (depth == 0 && strchr(SEPARATORS, c) != NULL) {
				break;
			}
		}
		if (depth > 0) {
			d_errbuf_set(eb, "unbalanced brackets in %s: missing \"]\"",
				     quote(str + start, i - start, q, sizeof(q)));
			rc = -DER_INVAL;
			goto out;
		}
		rc = parse_token(&tmp, str + start, i - start, eb);
		if (rc != 0)
			goto out;
		ntok++;
	}
	if (ntok == 0) {
		d_errbuf_set(eb, "empty host list: give at least one host name, e.g. node[1-4] or "
				 "host1,host2");
		rc = -DER_INVAL;
		goto out;
	}
	rc = list_move(hl, &tmp);
out:
	if (rc == -DER_NOMEM)
		d_errbuf_set(eb, "out of memory while parsing a host list");
	list_fini(&tmp);
	return rc;
}

/* ---- output ---- */

static int
put_num(struct d_sbuf *sb, uint64_t v, uint32_t width)
{
	return d_sbuf_printf(sb, "%0*" PRIu64, (int)width, v);
}

/*
 * Compressed output.  Consecutive segments with the same prefix and suffix
 * share one bracket; inside it a segment that runs on from the previous one
 * across a digit-count boundary (..99 then 100..) joins its range.
 */
static int
list_ranged(const struct d_hostlist *hl, char **str)
{
	struct d_sbuf sb;
	size_t	      i = 0;

	d_sbuf_init(&sb);
	while (i < hl->nsegs) {
		const struct hseg *g = &hl->segs[i];
		size_t		   j, hosts = 0;

		if (i > 0)
			d_sbuf_putn(&sb, ",", 1);
		if (g->len == 0) {
			d_sbuf_printf(&sb, "%s", g->prefix);
			i++;
			continue;
		}
		for (j = i; j < hl->nsegs && hl->segs[j].len != 0 &&
			    strcmp(hl->segs[j].prefix, g->prefix) == 0 &&
			    strcmp(hl->segs[j].suffix, g->suffix) == 0;
		     j++)
			hosts += seg_count(&hl->segs[j]);
		d_sbuf_printf(&sb, "%s", g->prefix);
		if (hosts > 1)
			d_sbuf_putn(&sb, "[", 1);
		for (size_t k = i; k < j;) {
			const struct hseg *a = &hl->segs[k];
			uint64_t	   hi = a->hi;
			uint32_t	   last = a->len;
			size_t		   m = k + 1;

			while (m < j && hi != UINT64_MAX && hl->segs[m].lo == hi + 1 &&
			       (hl->segs[m].len == last ||
				(hl->segs[m].len == last + 1 && hi == max_of_len(last)))) {
				hi = hl->segs[m].hi;
				last = hl->segs[m].len;
				m++;
			}
			if (k > i)
				d_sbuf_putn(&sb, ",", 1);
			put_num(&sb, a->lo, a->len);
			if (hi != a->lo) {
				d_sbuf_putn(&sb, "-", 1);
				put_num(&sb, hi, a->len);
			}
			k = m;
		}
		if (hosts > 1)
			d_sbuf_putn(&sb, "]", 1);
		d_sbuf_printf(&sb, "%s", g->suffix);
		i = j;
	}
	if (sb.failed) {
		d_sbuf_fini(&sb);
		return -DER_NOMEM;
	}
	*str = d_sbuf_take(&sb);
	return *str == NULL ? -DER_NOMEM : 0;
}

static int
list_foreach(const struct d_hostlist *hl, d_host_cb_t cb, void *arg)
{
	char  *buf = NULL;
	size_t cap = 0;
	int    rc = 0;

	for (size_t i = 0; i < hl->nsegs && rc == 0; i++) {
		const struct hseg *s = &hl->segs[i];
		size_t		   need =
			strlen(s->prefix) + strlen(s->suffix) + (s->len > 20 ? s->len : 20) + 1;

		if (s->len == 0) {
			rc = cb(s->prefix, arg);
			continue;
		}
		if (need > cap) {
			char *p = d_realloc(buf, need);

			if (p == NULL) {
				rc = -DER_NOMEM;
				break;
			}
			buf = p;
			cap = need;
		}
		for (uint64_t v = s->lo;; v++) {
			snprintf(buf, cap, "%s%0*" PRIu64 "%s", s->prefix, (int)s->len, v,
				 s->suffix);
			rc = cb(buf, arg);
			if (rc != 0 || v == s->hi)
				break;
		}
	}
	D_FREE(buf);
	return rc;
}

static int
deranged_cb(const char *host, void *arg)
{
	struct d_sbuf *sb = arg;

	if (sb->len > 0)
		d_sbuf_putn(sb, ",", 1);
	d_sbuf_printf(sb, "%s", host);
	return sb->failed ? -DER_NOMEM : 0;
}

static int
list_deranged(const struct d_hostlist *hl, char **str)
{
	struct d_sbuf sb;
	int	      rc;

	d_sbuf_init(&sb);
	rc = list_foreach(hl, deranged_cb, &sb);
	if (rc != 0 || sb.failed) {
		d_sbuf_fini(&sb);
		return -DER_NOMEM;
	}
	*str = d_sbuf_take(&sb);
	return *str == NULL ? -DER_NOMEM : 0;
}

static int
list_nth(const struct d_hostlist *hl, size_t n, char **host)
{
	for (size_t i = 0; i < hl->nsegs; i++) {
		const struct hseg *s = &hl->segs[i];
		size_t		   c = seg_count(s);
		char		  *p;

		if (n >= c) {
			n -= c;
			continue;
		}
		if (s->len == 0)
			D_STRDUP(p, s->prefix);
		else
			p = d_asprintf("%s%0*" PRIu64 "%s", s->prefix, (int)s->len, s->lo + n,
				       s->suffix);
		if (p == NULL)
			return -DER_NOMEM;
		*host = p;
		return 0;
	}
	return -DER_NONEXIST;
}

/* ---- public: lists ---- */

int
d_hostlist_create(struct d_hostlist **hl)
{
	struct d_hostlist *p;

	D_ALLOC_PTR(p);
	if (p == NULL)
		return -DER_NOMEM;
	*hl = p;
	return 0;
}

void
d_hostlist_destroy(struct d_hostlist *hl)
{
	if (hl == NULL)
		return;
	list_fini(hl);
	D_FREE(hl);
}

int
d_hostlist_parse(const char *str, struct d_hostlist **hl, struct d_errbuf *eb)
{
	struct d_hostlist *p;
	int		   rc;

	rc = d_hostlist_create(&p);
	if (rc != 0) {
		d_errbuf_set(eb, "out of memory while parsing a host list");
		return rc;
	}
	rc = list_parse_append(p, str, eb);
	if (rc != 0) {
		d_hostlist_destroy(p);
		return rc;
	}
	*hl = p;
	return 0;
}

int
d_hostlist_push(struct d_hostlist *hl, const char *str, struct d_errbuf *eb)
{
	return list_parse_append(hl, str, eb);
}

static int
list_copy_into(struct d_hostlist *dst, const struct d_hostlist *src)
{
	struct d_hostlist tmp = {0};
	int		  rc = 0;

	for (size_t i = 0; i < src->nsegs && rc == 0; i++)
		rc = list_append_copy(&tmp, &src->segs[i], src->segs[i].lo, src->segs[i].hi);
	if (rc == 0)
		rc = list_move(dst, &tmp);
	list_fini(&tmp);
	return rc;
}

int
d_hostlist_push_list(struct d_hostlist *hl, const struct d_hostlist *other)
{
	if (other == NULL)
		return 0;
	return list_copy_into(hl, other);
}

size_t
d_hostlist_count(const struct d_hostlist *hl)
{
	return hl == NULL ? 0 : hl->count;
}

int
d_hostlist_nth(const struct d_hostlist *hl, size_t n, char **host)
{
	return list_nth(hl, n, host);
}

int
d_hostlist_foreach(const struct d_hostlist *hl, d_host_cb_t cb, void *arg)
{
	return list_foreach(hl, cb, arg);
}

int
d_hostlist_ranged(const struct d_hostlist *hl, char **str)
{
	return list_ranged(hl, str);
}

int
d_hostlist_deranged(const struct d_hostlist *hl, char **str)
{
	return list_deranged(hl, str);
}

/* ---- sets ---- */

static int
seg_cmp(const void *va, const void *vb)
{
	const struct hseg *a = va, *b = vb;
	int		   c;

	c = strcmp(a->prefix, b->prefix);
	if (c == 0)
		c = strcmp(a->suffix, b->suffix);
	if (c == 0 && a->len != b->len)
		c = a->len < b->len ? -1 : 1;
	if (c == 0 && a->lo != b->lo)
		c = a->lo < b->lo ? -1 : 1;
	return c;
}

/* Sort and merge overlapping or adjacent segments of one key. */
static void
set_normalize(struct d_hostlist *l)
{
	size_t out = 0;

	if (l->nsegs == 0)
		return;
	qsort(l->segs, l->nsegs, sizeof(l->segs[0]), seg_cmp);
	for (size_t i = 1; i < l->nsegs; i++) {
		struct hseg *cur = &l->segs[out];
		struct hseg *s = &l->segs[i];

		if (same_key(cur, s) &&
		    (cur->len == 0 || cur->hi == UINT64_MAX || s->lo <= cur->hi + 1)) {
			if (cur->len != 0 && s->hi > cur->hi)
				cur->hi = s->hi;
			seg_fini(s);
			continue;
		}
		l->segs[++out] = *s;
	}
	l->nsegs = out + 1;
	l->count = 0;
	for (size_t i = 0; i < l->nsegs; i++)
		l->count += seg_count(&l->segs[i]);
}

int
d_hostset_create(struct d_hostset **hs)
{
	struct d_hostset *p;

	D_ALLOC_PTR(p);
	if (p == NULL)
		return -DER_NOMEM;
	*hs = p;
	return 0;
}

void
d_hostset_destroy(struct d_hostset *hs)
{
	if (hs == NULL)
		return;
	list_fini(&hs->l);
	D_FREE(hs);
}

int
d_hostset_parse(const char *str, struct d_hostset **hs, struct d_errbuf *eb)
{
	struct d_hostset *p;
	int		  rc;

	rc = d_hostset_create(&p);
	if (rc != 0) {
		d_errbuf_set(eb, "out of memory while parsing a host list");
		return rc;
	}
	rc = d_hostset_insert(p, str, NULL, eb);
	if (rc != 0) {
		d_hostset_destroy(p);
		return rc;
	}
	*hs = p;
	return 0;
}

int
d_hostset_insert(struct d_hostset *hs, const char *str, size_t *added, struct d_errbuf *eb)
{
	size_t before = hs->l.count;
	int    rc;

	rc = list_parse_append(&hs->l, str, eb);
	if (rc != 0)
		return rc;
	set_normalize(&hs->l);
	if (added != NULL)
		*added = hs->l.count - before;
	return 0;
}

int
d_hostset_insert_list(struct d_hostset *hs, const struct d_hostlist *hl, size_t *added)
{
	size_t before = hs->l.count;
	int    rc;

	rc = list_copy_into(&hs->l, hl);
	if (rc != 0)
		return rc;
	set_normalize(&hs->l);
	if (added != NULL)
		*added = hs->l.count - before;
	return 0;
}

int
d_hostset_merge(struct d_hostset *hs, const struct d_hostset *other)
{
	if (other == NULL)
		return 0;
	return d_hostset_insert_list(hs, &other->l, NULL);
}

/*
 * Walk the segments of canonical set a against canonical set b, emitting
 * into out the parts of a that are in b (keep_common) or not in b.
 */
static int
set_combine(const struct d_hostlist *a, const struct d_hostlist *b, bool keep_common,
	    struct d_hostlist *out)
{
	size_t j = 0;
	int    rc;

	for (size_t i = 0; i < a->nsegs; i++) {
		const struct hseg *s = &a->segs[i];
		uint64_t	   pos = s->lo; /* first number of s not yet handled */
		bool		   end = false;

		while (j < b->nsegs && seg_cmp(&b->segs[j], s) < 0 && !same_key(&b->segs[j], s))
			j++;
		for (size_t k = j; k < b->nsegs && same_key(&b->segs[k], s) && !end; k++) {
			const struct hseg *t = &b->segs[k];
			uint64_t	   olo, ohi;

			if (s->len == 0) {
				end = true; /* same name */
				if (keep_common) {
					rc = list_append_copy(out, s, 0, 0);
					if (rc != 0)
						return rc;
				}
				break;
			}
			if (t->hi < pos) {
				/* a is canonical too: no later segment of a reaches t */
				if (k == j)
					j++;
				continue;
			}
			if (t->lo > s->hi)
				break;
			olo = t->lo > pos ? t->lo : pos;
			ohi = t->hi < s->hi ? t->hi : s->hi;
			if (!keep_common && olo > pos) {
				rc = list_append_copy(out, s, pos, olo - 1);
				if (rc != 0)
					return rc;
			}
			if (keep_common) {
				rc = list_append_copy(out, s, olo, ohi);
				if (rc != 0)
					return rc;
			}
			if (ohi == s->hi)
				end = true;
			else
				pos = ohi + 1;
		}
		if (!keep_common && !end) {
			rc = list_append_copy(out, s, s->len == 0 ? 0 : pos,
					      s->len == 0 ? 0 : s->hi);
			if (rc != 0)
				return rc;
		}
	}
	return 0;
}

/* Parse str into a canonical temporary set. */
static int
set_parse_tmp(const char *str, struct d_hostlist *tmp, struct d_errbuf *eb)
{
	int rc;

	memset(tmp, 0, sizeof(*tmp));
	rc = list_parse_append(tmp, str, eb);
	if (rc == 0)
		set_normalize(tmp);
	return rc;
}

int
d_hostset_remove(struct d_hostset *hs, const char *str, size_t *removed, struct d_errbuf *eb)
{
	struct d_hostlist q, out = {0};
	size_t		  before = hs->l.count;
	int		  rc;

	rc = set_parse_tmp(str, &q, eb);
	if (rc != 0)
		return rc;
	rc = set_combine(&hs->l, &q, false, &out);
	list_fini(&q);
	if (rc != 0) {
		list_fini(&out);
		d_errbuf_set(eb, "out of memory while removing hosts");
		return rc;
	}
	list_fini(&hs->l);
	hs->l = out;
	set_normalize(&hs->l);
	if (removed != NULL)
		*removed = before - hs->l.count;
	return 0;
}

int
d_hostset_contains(const struct d_hostset *hs, const char *str, bool *all, struct d_errbuf *eb)
{
	struct d_hostlist q, out = {0};
	int		  rc;

	rc = set_parse_tmp(str, &q, eb);
	if (rc != 0)
		return rc;
	rc = set_combine(&q, &hs->l, false, &out);
	if (rc == 0)
		*all = out.count == 0;
	else
		d_errbuf_set(eb, "out of memory while comparing host sets");
	list_fini(&q);
	list_fini(&out);
	return rc;
}

int
d_hostset_intersect(const struct d_hostset *hs, const char *str, struct d_hostset **out,
		    struct d_errbuf *eb)
{
	struct d_hostlist q;
	struct d_hostset *res;
	int		  rc;

	rc = set_parse_tmp(str, &q, eb);
	if (rc != 0)
		return rc;
	rc = d_hostset_create(&res);
	if (rc == 0)
		rc = set_combine(&q, &hs->l, true, &res->l);
	list_fini(&q);
	if (rc != 0) {
		d_hostset_destroy(res);
		d_errbuf_set(eb, "out of memory while intersecting host sets");
		return rc;
	}
	set_normalize(&res->l);
	*out = res;
	return 0;
}

size_t
d_hostset_count(const struct d_hostset *hs)
{
	return hs == NULL ? 0 : hs->l.count;
}

int
d_hostset_nth(const struct d_hostset *hs, size_t n, char **host)
{
	return list_nth(&hs->l, n, host);
}

int
d_hostset_foreach(const struct d_hostset *hs, d_host_cb_t cb, void *arg)
{
	return list_foreach(&hs->l, cb, arg);
}

int
d_hostset_ranged(const struct d_hostset *hs, char **str)
{
	return list_ranged(&hs->l, str);
}

int
d_hostset_deranged(const struct d_hostset *hs, char **str)
{
	return list_deranged(&hs->l, str);
}

/* ---- host:port addresses ---- */

struct addr_acc {
	char	   **v;
	size_t	     n;
	size_t	     cap;
	unsigned int port;
};

static int
addr_cb(const char *host, void *arg)
{
	struct addr_acc *acc = arg;
	char		*a;

	if (acc->n == acc->cap) {
		size_t cap = acc->cap ? acc->cap * 2 : 16;
		char **p = d_realloc(acc->v, cap * sizeof(*p));

		if (p == NULL)
			return -DER_NOMEM;
		acc->v = p;
		acc->cap = cap;
	}
	if (strchr(host, ':') != NULL)
		D_STRDUP(a, host);
	else
		a = d_asprintf("%s:%u", host, acc->port);
	if (a == NULL)
		return -DER_NOMEM;
	acc->v[acc->n++] = a;
	return 0;
}

struct addr_ref {
	const char *s;
	size_t	    idx;
};

static int
addr_ref_cmp(const void *va, const void *vb)
{
	const struct addr_ref *a = va, *b = vb;
	int		       c = strcmp(a->s, b->s);

	if (c != 0)
		return c;
	return a->idx < b->idx ? -1 : a->idx > b->idx;
}

int
d_host_addrs_parse(const char *str, unsigned int default_port, char ***addrs, size_t *naddrs,
		   struct d_errbuf *eb)
{
	struct d_hostset *hs = NULL;
	struct addr_acc	  acc = {.port = default_port};
	struct addr_ref	 *refs = NULL;
	size_t		  out = 0;
	int		  rc;

	if (default_port == 0 || default_port > 65535) {
		d_errbuf_set(eb, "invalid default port %u: use a port number from 1 to 65535",
			     default_port);
		return -DER_INVAL;
	}
	rc = d_hostset_parse(str, &hs, eb);
	if (rc != 0)
		return rc;
	rc = d_hostset_foreach(hs, addr_cb, &acc);
	if (rc != 0)
		goto out;
	/*
	 * "node1" and "node1:10001" are distinct set members but the same
	 * address once the default port is added: keep the first, in set order.
	 */
	D_ALLOC_ARRAY(refs, acc.n ? acc.n : 1);
	if (refs == NULL) {
		rc = -DER_NOMEM;
		goto out;
	}
	for (size_t i = 0; i < acc.n; i++)
		refs[i] = (struct addr_ref){.s = acc.v[i], .idx = i};
	qsort(refs, acc.n, sizeof(*refs), addr_ref_cmp);
	/* mark first (pointers in refs must stay valid while comparing), then free */
	for (size_t i = acc.n; i-- > 1;)
		if (strcmp(refs[i].s, refs[i - 1].s) == 0)
			refs[i].s = NULL;
	for (size_t i = 1; i < acc.n; i++)
		if (refs[i].s == NULL)
			D_FREE(acc.v[refs[i].idx]);
	for (size_t i = 0; i < acc.n; i++)
		if (acc.v[i] != NULL)
			acc.v[out++] = acc.v[i];
	*addrs = acc.v;
	*naddrs = out;
	acc.v = NULL;
	acc.n = 0;
out:
	if (rc == -DER_NOMEM)
		d_errbuf_set(eb, "out of memory while expanding a host list");
	D_FREE(refs);
	d_host_addrs_free(acc.v, acc.n);
	d_hostset_destroy(hs);
	return rc;
}

void
d_host_addrs_free(char **addrs, size_t naddrs)
{
	if (addrs == NULL)
		return;
	for (size_t i = 0; i < naddrs; i++)
		D_FREE(addrs[i]);
	D_FREE(addrs);
}
