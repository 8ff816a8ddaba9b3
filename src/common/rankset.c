/*
 * Rank sets: sorted, unique uint32 ranks kept as disjoint ranges, parsed from
 * and printed in upstream's numeric notation ("0-1,5-6", "[0-3,7]").  Host
 * names are hostlist.c's business; this file knows only numbers.
 */
#include <inttypes.h>
#include <stdio.h>

#include "common/hostlist.h"

struct rrange {
	uint32_t lo, hi;
};

struct d_rankset {
	struct rrange *r;
	size_t	       n;
	size_t	       cap;
};

int
d_rankset_create(struct d_rankset **rs)
{
	struct d_rankset *p;

	D_ALLOC_PTR(p);
	if (p == NULL)
		return -DER_NOMEM;
	*rs = p;
	return 0;
}

void
d_rankset_destroy(struct d_rankset *rs)
{
	if (rs == NULL)
		return;
	D_FREE(rs->r);
	D_FREE(rs);
}

static int
rs_reserve(struct d_rankset *rs, size_t more)
{
	struct rrange *p;
	size_t	       cap;

	if (rs->n + more <= rs->cap)
		return 0;
	cap = rs->cap ? rs->cap * 2 : 8;
	while (cap < rs->n + more)
		cap *= 2;
	p = d_realloc(rs->r, cap * sizeof(*p));
	if (p == NULL)
		return -DER_NOMEM;
	rs->r = p;
	rs->cap = cap;
	return 0;
}

/* Index of the first range that ends at or after v - 1 (could absorb v). */
static size_t
rs_lower(const struct d_rankset *rs, uint64_t v)
{
	size_t lo = 0, hi = rs->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if ((uint64_t)rs->r[mid].hi + 1 < v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int
rs_add_range(struct d_rankset *rs, uint32_t lo, uint32_t hi)
{
	size_t i = rs_lower(rs, lo), j;

	if (i == rs->n || (uint64_t)rs->r[i].lo > (uint64_t)hi + 1) {
		if (rs_reserve(rs, 1) != 0)
			return -DER_NOMEM;
		memmove(&rs->r[i + 1], &rs->r[i], (rs->n - i) * sizeof(rs->r[0]));
		rs->r[i] = (struct rrange){lo, hi};
		rs->n++;
		return 0;
	}
	if (lo < rs->r[i].lo)
		rs->r[i].lo = lo;
	if (hi > rs->r[i].hi)
		rs->r[i].hi = hi;
	for (j = i + 1; j < rs->n && (uint64_t)rs->r[j].lo <= (uint64_t)rs->r[i].hi + 1; j++)
		if (rs->r[j].hi > rs->r[i].hi)
			rs->r[i].hi = rs->r[j].hi;
	memmove(&rs->r[i + 1], &rs->r[j], (rs->n - j) * sizeof(rs->r[0]));
	rs->n -= j - i - 1;
	return 0;
}

int
d_rankset_add(struct d_rankset *rs, uint32_t rank)
{
	if (rank > D_RANK_MAX)
		return -DER_INVAL;
	return rs_add_range(rs, rank, rank);
}

int
d_rankset_remove(struct d_rankset *rs, uint32_t rank)
{
	size_t	       i = rs_lower(rs, (uint64_t)rank + 1);
	struct rrange *r;

	if (i == rs->n || rs->r[i].lo > rank || rs->r[i].hi < rank)
		return 0;
	r = &rs->r[i];
	if (r->lo == r->hi) {
		memmove(&rs->r[i], &rs->r[i + 1], (rs->n - i - 1) * sizeof(rs->r[0]));
		rs->n--;
	} else if (rank == r->lo) {
		r->lo++;
	} else if (rank == r->hi) {
		r->hi--;
	} else {
		if (rs_reserve(rs, 1) != 0)
			return -DER_NOMEM;
		r = &rs->r[i];
		memmove(&rs->r[i + 1], &rs->r[i], (rs->n - i) * sizeof(rs->r[0]));
		rs->n++;
		rs->r[i].hi = rank - 1;
		rs->r[i + 1].lo = rank + 1;
	}
	return 0;
}

int
d_rankset_merge(struct d_rankset *rs, const struct d_rankset *other)
{
	if (other == NULL || other == rs)
		return 0;
	for (size_t i = 0; i < other->n; i++) {
		int rc = rs_add_range(rs, other->r[i].lo, other->r[i].hi);

		if (rc != 0)
			return rc;
	}
	return 0;
}

bool
d_rankset_contains(const struct d_rankset *rs, uint32_t rank)
{
	size_t i;

	if (rs == NULL)
		return false;
	i = rs_lower(rs, (uint64_t)rank + 1);
	return i < rs->n && rs->r[i].lo <= rank && rank <= rs->r[i].hi;
}

uint64_t
d_rankset_count(const struct d_rankset *rs)
{
	uint64_t c = 0;

	if (rs == NULL)
		return 0;
	for (size_t i = 0; i < rs->n; i++)
		c += (uint64_t)rs->r[i].hi - rs->r[i].lo + 1;
	return c;
}

int
d_rankset_nth(const struct d_rankset *rs, uint64_t n, uint32_t *rank)
{
	for (size_t i = 0; i < rs->n; i++) {
		uint64_t c = (uint64_t)rs->r[i].hi - rs->r[i].lo + 1;

		if (n < c) {
			*rank = (uint32_t)(rs->r[i].lo + n);
			return 0;
		}
		n -= c;
	}
	return -DER_NONEXIST;
}

int
d_rankset_foreach(const struct d_rankset *rs, int (*cb)(uint32_t rank, void *arg), void *arg)
{
	for (size_t i = 0; i < rs->n; i++) {
		for (uint32_t v = rs->r[i].lo;; v++) {
			int rc = cb(v, arg);

			if (rc != 0)
				return rc;
			if (v == rs->r[i].hi)
				break;
		}
	}
	return 0;
}

static int
rs_format(const struct d_rankset *rs, bool brackets, char **str)
{
	struct d_sbuf sb;

	d_sbuf_init(&sb);
	if (brackets)
		d_sbuf_putn(&sb, "[", 1);
	for (size_t i = 0; i < rs->n; i++) {
		d_sbuf_printf(&sb, "%s%" PRIu32, i ? "," : "", rs->r[i].lo);
		if (rs->r[i].hi != rs->r[i].lo)
			d_sbuf_printf(&sb, "-%" PRIu32, rs->r[i].hi);
	}
	if (brackets)
		d_sbuf_putn(&sb, "]", 1);
	if (sb.failed) {
		d_sbuf_fini(&sb);
		return -DER_NOMEM;
	}
	*str = d_sbuf_take(&sb);
	return *str == NULL ? -DER_NOMEM : 0;
}

int
d_rankset_str(const struct d_rankset *rs, char **str)
{
	return rs_format(rs, false, str);
}

int
d_rankset_ranged(const struct d_rankset *rs, char **str)
{
	/* as upstream: brackets only around more than one rank */
	return rs_format(rs, d_rankset_count(rs) > 1, str);
}

/* ---- parsing ---- */

static int
rs_bad(struct d_errbuf *eb, const char *str, const char *what)
{
	d_errbuf_set(eb,
		     "%s in rank list \"%.200s\": write ranks as N or N-M separated by commas, "
		     "e.g. 0-3,7 or [0-3,7]",
		     what, str);
	return -DER_INVAL;
}

/* Decimal digits it[0..n) into *v, saturating above UINT32_MAX; false if not all digits. */
static bool
rs_number(const char *it, size_t n, uint64_t *v)
{
	uint64_t x = 0;

	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (it[i] < '0' || it[i] > '9')
			return false;
		x = x * 10 + (uint64_t)(it[i] - '0');
		if (x > UINT32_MAX)
			x = (uint64_t)UINT32_MAX + 1;
	}
	*v = x;
	return true;
}

static int
rs_parse_item(const char *str, const char *it, size_t n, uint32_t *lo, uint32_t *hi,
	      struct d_errbuf *eb)
{
	const char *dash = memchr(it, '-', n);
	size_t	    n0 = dash ? (size_t)(dash - it) : n;
	uint64_t    v[2];
	int	    pn = (int)(n > 200 ? 200 : n);

	if (!rs_number(it, n0, &v[0]) ||
	    (dash != NULL && !rs_number(dash + 1, n - n0 - 1, &v[1]))) {
		d_errbuf_set(eb,
			     "invalid range \"%.*s\" in rank list \"%.200s\": a range is N or N-M "
			     "with decimal numbers, e.g. 0-3,7",
			     pn, it, str);
		return -DER_INVAL;
	}
	if (dash == NULL)
		v[1] = v[0];
	for (int k = 0; k < 2; k++) {
		if (v[k] > D_RANK_MAX) {
			d_errbuf_set(
				eb, "rank in \"%.*s\" out of range [0, %u] in rank list \"%.200s\"",
				pn, it, D_RANK_MAX, str);
			return -DER_INVAL;
		}
	}
	if (v[1] < v[0]) {
		d_errbuf_set(eb,
			     "invalid range \"%.*s\" (%" PRIu64 " < %" PRIu64 ") in rank list "
			     "\"%.200s\": write the lower bound first",
			     pn, it, v[1], v[0], str);
		return -DER_INVAL;
	}
	if (v[1] - v[0] > D_HOSTLIST_MAX_RANGE) {
		d_errbuf_set(
			eb,
			"invalid range \"%.*s\" (> %d hosts) in rank list \"%.200s\": split it "
			"into ranges whose bounds differ by at most %d",
			pn, it, D_HOSTLIST_MAX_RANGE, str, D_HOSTLIST_MAX_RANGE);
		return -DER_INVAL;
	}
	*lo = (uint32_t)v[0];
	*hi = (uint32_t)v[1];
	return 0;
}

int
d_rankset_parse(const char *str, struct d_rankset **out, struct d_errbuf *eb)
{
	struct d_rankset *rs = NULL;
	size_t		  n, i, start;
	int		  depth = 0;
	int		  rc;

	if (str == NULL)
		str = "";
	n = strlen(str);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)str[i];

		if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f')
			return rs_bad(eb, str, "unexpected whitespace character(s)");
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
			return rs_bad(eb, str, "unexpected alphabetic character(s)");
	}
	rc = d_rankset_create(&rs);
	if (rc != 0)
		goto oom;
	if (strcmp(str, "[]") == 0 || n == 0)
		goto done;

	/* brackets group items: "[0-3,7]", "[0-3],[5]"; no nesting */
	i = 0;
	while (i <= n) {
		uint32_t lo, hi;
		size_t	 end;

		if (i < n && str[i] == '[') {
			if (depth++ > 0) {
				rc = rs_bad(eb, str, "nested \"[\"");
				goto out;
			}
			i++;
		}
		start = i;
		while (i < n && str[i] != ',' && str[i] != '[' && str[i] != ']')
			i++;
		end = i;
		if (i < n && str[i] == '[') {
			rc = rs_bad(eb, str, depth ? "nested \"[\"" : "unexpected \"[\"");
			goto out;
		}
		if (i < n && str[i] == ']') {
			if (depth-- == 0) {
				rc = rs_bad(eb, str, "unbalanced brackets (\"]\" without \"[\")");
				goto out;
			}
			i++;
			if (i < n && str[i] != ',') {
				rc = rs_bad(eb, str, "unexpected character after \"]\"");
				goto out;
			}
		}
		rc = rs_parse_item(str, str + start, end - start, &lo, &hi, eb);
		if (rc != 0)
			goto out;
		rc = rs_add_range(rs, lo, hi);
		if (rc != 0)
			goto oom;
		if (i >= n)
			break;
		i++; /* the ',' */
		if (i == n) {
			rc = rs_bad(eb, str, "trailing \",\"");
			goto out;
		}
	}
	if (depth != 0) {
		rc = rs_bad(eb, str, "unbalanced brackets (missing \"]\")");
		goto out;
	}
done:
	*out = rs;
	return 0;
oom:
	d_errbuf_set(eb, "out of memory while parsing a rank list");
	rc = -DER_NOMEM;
out:
	d_rankset_destroy(rs);
	return rc;
}
