/*
 * A YAML document as a tree that keeps the line and column of every node,
 * built with libyaml, plus strict typed accessors and a diagnostics list.
 *
 * The tree is deliberately dumb: it does not resolve tags or types when
 * loading.  The accessors do that on request, the way a strict decoder does
 * (YAML 1.1 booleans, Go-style integer literals, quoted scalars are always
 * strings), so that a configuration loader can say "expected an integer, got
 * a list" with the exact place.  Anchors and aliases are rejected: the
 * configuration files never need them and they complicate line reporting.
 *
 * Diagnostics (struct d_diags) collect every problem found in a file so that
 * one run can report all of them, printed as "file:line: key: message".
 */
#ifndef DAOS_COMMON_YAML_DOC_H
#define DAOS_COMMON_YAML_DOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/common.h"

enum d_yaml_kind {
	D_YAML_SCALAR = 0,
	D_YAML_SEQ,
	D_YAML_MAP,
};

struct d_yaml_node {
	enum d_yaml_kind kind;
	int		 line;	/* 1-based */
	int		 col;	/* 1-based */
	char		*str;	/* scalar text ("" for an empty scalar) */
	bool		 plain; /* unquoted scalar without tag: subject to resolution */
	size_t		 count; /* sequence items or mapping pairs */
	/* sequence: items[0..count); mapping: items[2i] key, items[2i+1] value */
	struct d_yaml_node **items;
};

struct d_yaml_doc {
	char		   *name; /* file name used in messages */
	struct d_yaml_node *root; /* NULL for an empty document (only comments) */
	size_t		    size; /* bytes read */
};

/* ---- diagnostics ---------------------------------------------------------- */

enum d_diag_sev {
	D_DIAG_ERROR = 0,
	D_DIAG_NOTICE,
};

struct d_diag {
	enum d_diag_sev sev;
	int		line; /* 0: no line (file-level or derived key) */
	char	       *key;  /* key path such as "engines[1].targets", or NULL */
	char	       *msg;
};

struct d_diags {
	char	      *file; /* name printed in front of each line */
	struct d_diag *v;
	size_t	       n;
	size_t	       cap;
	bool	       nomem; /* a diagnostic was lost to an allocation failure */
};

void d_diags_init(struct d_diags *d, const char *file);
void d_diags_fini(struct d_diags *d);
void d_diags_add(struct d_diags *d, enum d_diag_sev sev, int line, const char *key, const char *fmt,
		 ...) __attribute__((format(printf, 5, 6)));
size_t d_diags_count(const struct d_diags *d, enum d_diag_sev sev);
/* Print diagnostics of one severity, one per line: "file:line: key: msg"
 * (notices are prefixed with "notice: "). */
void d_diags_print(const struct d_diags *d, enum d_diag_sev sev, FILE *out);
/* One diagnostic formatted as printed; caller frees. */
char *d_diag_format(const struct d_diags *d, const struct d_diag *dg);

/* ---- loading -------------------------------------------------------------- */

/*
 * Load a file.  Problems go to `diags` (file-level messages have line 0,
 * syntax errors carry the line libyaml reports).  Returns 0, -DER_NONEXIST
 * (missing file), -DER_NO_PERM (unreadable), -DER_INVAL (not YAML, or
 * aliases, multiple documents, non-scalar keys) or -DER_NOMEM.
 */
int d_yaml_load_file(const char *path, struct d_yaml_doc **out, struct d_diags *diags);
/* Same from memory; `name` is used in messages. */
int  d_yaml_load_string(const char *name, const char *text, size_t len, struct d_yaml_doc **out,
			struct d_diags *diags);
void d_yaml_doc_destroy(struct d_yaml_doc *doc);

/* ---- strict accessors ------------------------------------------------------- */

/* "a string", "a list", "a mapping", "null", "an integer", "a boolean". */
const char *d_yaml_describe(const struct d_yaml_node *n);
/* Plain ~, null, Null, NULL or empty scalar. */
bool d_yaml_is_null(const struct d_yaml_node *n);
/* Scalar (any resolved type) as text; null gives "". */
int d_yaml_get_str(const struct d_yaml_node *n, const char **out, struct d_errbuf *eb);
/* YAML 1.1 booleans (true/false/yes/no/on/off/y/n in the usual cases); plain only. */
int d_yaml_get_bool(const struct d_yaml_node *n, bool *out, struct d_errbuf *eb);
/* Integers: decimal, 0x, 0o, 0b, leading-0 octal, '_' separators; plain only. */
int d_yaml_get_int(const struct d_yaml_node *n, int64_t min, int64_t max, int64_t *out,
		   struct d_errbuf *eb);
/* Parse a Go-style integer literal outside of a document (same rules). */
int d_yaml_parse_int(const char *s, int64_t *out);

/* Value of `key` in a mapping, or NULL. */
const struct d_yaml_node *d_yaml_map_get(const struct d_yaml_node *map, const char *key);

/*
 * Follow a key path like "engines[1].storage[0].scm_size" from `root` and
 * return the line of the deepest node that exists on the way (the key's line
 * when present, else its nearest existing parent), or 0 when none.
 */
int d_yaml_path_line(const struct d_yaml_node *root, const char *path);

#endif /* DAOS_COMMON_YAML_DOC_H */
