/*
 * A small JSON writer (no parser) producing indented output (2 spaces) like
 * upstream's `-j` mode, and the envelope every `-j` command prints:
 *
 *   {
 *     "response": <value or null>,
 *     "error": <string or null>,
 *     "status": <int>
 *   }
 *
 * Usage: w = d_json_create(); d_json_obj_begin(w, NULL); d_json_str(w,
 * "name", "x"); d_json_obj_end(w); then d_json_envelope_print(stdout, w,
 * NULL, 0).  Keys are ignored inside arrays and required inside objects.
 * Strings are escaped (quotes, backslash, control characters as \uXXXX)
 * exactly as Go's encoding/json does (also <, >, &, U+2028/9; invalid UTF-8
 * becomes \ufffd).
 * Allocation failures are remembered and reported by d_json_finish().
 */
#ifndef DAOS_COMMON_JSON_H
#define DAOS_COMMON_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct d_json;

struct d_json *d_json_create(void);
void	       d_json_destroy(struct d_json *w);

void d_json_obj_begin(struct d_json *w, const char *key);
void d_json_obj_end(struct d_json *w);
void d_json_arr_begin(struct d_json *w, const char *key);
void d_json_arr_end(struct d_json *w);
void d_json_str(struct d_json *w, const char *key, const char *val); /* NULL -> null */
void d_json_int(struct d_json *w, const char *key, int64_t val);
void d_json_uint(struct d_json *w, const char *key, uint64_t val);
void d_json_double(struct d_json *w, const char *key, double val);
void d_json_bool(struct d_json *w, const char *key, bool val);
void d_json_null(struct d_json *w, const char *key);

/* 0 when the document is complete and well nested, -DER_NOMEM / -DER_INVAL otherwise. */
int d_json_finish(struct d_json *w);

/* The text so far (valid until the next call on w). */
const char *d_json_text(const struct d_json *w);

/*
 * Append `s` as a quoted, escaped JSON string to sb (for one-line JSON such
 * as log records).  0 or -DER_NOMEM.
 */
struct d_sbuf;
int d_json_quote(struct d_sbuf *sb, const char *s);

/*
 * Print the envelope: `response` is the finished writer (NULL -> null),
 * `error` the error text (NULL -> null), `status` the DAOS status (0 on
 * success, a negative -DER_* otherwise).
 */
void d_json_envelope_print(FILE *out, struct d_json *response, const char *error, int status);

#endif /* DAOS_COMMON_JSON_H */
