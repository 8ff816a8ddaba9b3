/*
 * Small conventions shared by every component: allocation macros (with
 * optional fault injection for tests), the error-message buffer that
 * user-facing functions fill, and string helpers.  Nothing here logs.
 */
#ifndef DAOS_COMMON_COMMON_H
#define DAOS_COMMON_COMMON_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <daos/daos_errno.h>

#define D_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/*
 * Allocation.  d_calloc() fails on purpose when the environment variable
 * D_FI_ALLOC_FAIL=N is set (the Nth allocation and every later one fail), so
 * tests can reach out-of-memory paths.
 */
void *d_calloc(size_t nmemb, size_t size);
void *d_realloc(void *ptr, size_t size);
char *d_strndup(const char *s, size_t n);

#define D_ALLOC(ptr, size)	  ((ptr) = d_calloc(1, (size)))
#define D_ALLOC_PTR(ptr)	  D_ALLOC(ptr, sizeof(*(ptr)))
#define D_ALLOC_ARRAY(ptr, count) ((ptr) = d_calloc((count), sizeof(*(ptr))))
#define D_STRNDUP(ptr, s, n)	  ((ptr) = d_strndup((s), (n)))
#define D_STRDUP(ptr, s)	  ((ptr) = d_strndup((s), (size_t)-1))
/* On failure newptr is NULL and oldptr still owns its memory. */
#define D_REALLOC(newptr, oldptr, size) ((newptr) = d_realloc((oldptr), (size)))
#define D_FREE(ptr)                                                                                \
	do {                                                                                       \
		free(ptr);                                                                         \
		(ptr) = NULL;                                                                      \
	} while (0)

/*
 * A user-facing error message.  Functions that can fail because of what a
 * user typed or wrote take a `struct d_errbuf *` (NULL allowed) and fill it
 * with a complete sentence saying what is wrong, where, and what to do.
 */
#define D_ERRBUF_LEN 1024
struct d_errbuf {
	char msg[D_ERRBUF_LEN];
};

void d_errbuf_set(struct d_errbuf *eb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Strict unsigned decimal: one or more ASCII digits and nothing else -- no
 * sign, no blanks, no base prefix, no trailing characters; leading zeros are
 * fine ("007" is 7).  d_parse_u64n() reads exactly s[0..n) (a span inside a
 * longer string).  Returns 0, -DER_INVAL (empty, NULL, or not only digits) or
 * -DER_OVERFLOW (above UINT64_MAX); *out is written only on success.
 */
int d_parse_u64(const char *s, uint64_t *out);
int d_parse_u64n(const char *s, size_t n, uint64_t *out);

/* printf into a freshly allocated string; NULL on allocation failure. */
char *d_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Growable string buffer. */
struct d_sbuf {
	char  *buf;
	size_t len;
	size_t cap;
	bool   failed; /* an append ran out of memory; buf holds what fit */
};

void d_sbuf_init(struct d_sbuf *sb);
void d_sbuf_fini(struct d_sbuf *sb);
int  d_sbuf_printf(struct d_sbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int  d_sbuf_vprintf(struct d_sbuf *sb, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
int d_sbuf_putn(struct d_sbuf *sb, const char *s, size_t n);
/* Return the buffer ("" when empty), handing ownership to the caller. */
char *d_sbuf_take(struct d_sbuf *sb);

#endif /* DAOS_COMMON_COMMON_H */
