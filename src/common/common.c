/*
 * Allocation wrappers with test-only fault injection, the user-facing error
 * buffer, a growable string buffer and the strict decimal parser.
 */
#include <errno.h>
#include <stdio.h>

#include "common/common.h"

static long fi_alloc_left = -2; /* -2: not read yet, -1: disabled */

static bool
fi_alloc_should_fail(void)
{
	if (fi_alloc_left == -2) {
		const char *v = getenv("D_FI_ALLOC_FAIL");

		fi_alloc_left = (v && *v) ? strtol(v, NULL, 10) : -1;
		if (fi_alloc_left == 0)
			fi_alloc_left = -1;
	}
	if (fi_alloc_left < 0)
		return false;
	if (fi_alloc_left > 1) {
		fi_alloc_left--;
		return false;
	}
	return true;
}

void *
d_calloc(size_t nmemb, size_t size)
{
	if (fi_alloc_should_fail()) {
		errno = ENOMEM;
		return NULL;
	}
	return calloc(nmemb ? nmemb : 1, size ? size : 1);
}

void *
d_realloc(void *ptr, size_t size)
{
	if (fi_alloc_should_fail()) {
		errno = ENOMEM;
		return NULL;
	}
	return realloc(ptr, size ? size : 1);
}

char *
d_strndup(const char *s, size_t n)
{
	size_t len;
	char  *p;

	if (s == NULL)
		return NULL;
	len = strnlen(s, n);
	p = d_calloc(1, len + 1);
	if (p != NULL)
		memcpy(p, s, len);
	return p;
}

int
d_parse_u64n(const char *s, size_t n, uint64_t *out)
{
	uint64_t v = 0;
	size_t	 i;

	if (s == NULL || n == 0)
		return -DER_INVAL;
	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return -DER_INVAL;
	for (i = 0; i < n; i++) {
		unsigned d = (unsigned)(s[i] - '0');

		if (v > (UINT64_MAX - d) / 10)
			return -DER_OVERFLOW;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

int
d_parse_u64(const char *s, uint64_t *out)
{
	return d_parse_u64n(s, s != NULL ? strlen(s) : 0, out);
}

void
d_errbuf_set(struct d_errbuf *eb, const char *fmt, ...)
{
	va_list ap;

	if (eb == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(eb->msg, sizeof(eb->msg), fmt, ap);
	va_end(ap);
}

char *
d_asprintf(const char *fmt, ...)
{
	struct d_sbuf sb;
	va_list	      ap;
	int	      rc;

	d_sbuf_init(&sb);
	va_start(ap, fmt);
	rc = d_sbuf_vprintf(&sb, fmt, ap);
	va_end(ap);
	if (rc != 0) {
		d_sbuf_fini(&sb);
		return NULL;
	}
	return d_sbuf_take(&sb);
}

void
d_sbuf_init(struct d_sbuf *sb)
{
	memset(sb, 0, sizeof(*sb));
}

void
d_sbuf_fini(struct d_sbuf *sb)
{
	D_FREE(sb->buf);
	sb->len = sb->cap = 0;
}

static int
sbuf_reserve(struct d_sbuf *sb, size_t extra)
{
	size_t need = sb->len + extra + 1;
	size_t cap;
	char  *p;

	if (need <= sb->cap)
		return 0;
	cap = sb->cap ? sb->cap : 64;
	while (cap < need)
		cap *= 2;
	p = d_realloc(sb->buf, cap);
	if (p == NULL) {
		sb->failed = true;
		return -DER_NOMEM;
	}
	sb->buf = p;
	sb->cap = cap;
	return 0;
}

int
d_sbuf_vprintf(struct d_sbuf *sb, const char *fmt, va_list ap)
{
	va_list ap2;
	int	n;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return -DER_INVAL;
	if (sbuf_reserve(sb, (size_t)n) != 0)
		return -DER_NOMEM;
	vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
	sb->len += (size_t)n;
	return 0;
}

int
d_sbuf_printf(struct d_sbuf *sb, const char *fmt, ...)
{
	va_list ap;
	int	rc;

	va_start(ap, fmt);
	rc = d_sbuf_vprintf(sb, fmt, ap);
	va_end(ap);
	return rc;
}

int
d_sbuf_putn(struct d_sbuf *sb, const char *s, size_t n)
{
	if (sbuf_reserve(sb, n) != 0)
		return -DER_NOMEM;
	memcpy(sb->buf + sb->len, s, n);
	sb->len += n;
	sb->buf[sb->len] = '\0';
	return 0;
}

char *
d_sbuf_take(struct d_sbuf *sb)
{
	char *p = sb->buf;

	if (p == NULL)
		p = d_strndup("", 1);
	memset(sb, 0, sizeof(*sb));
	return p;
}
