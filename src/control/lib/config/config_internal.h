/*
 * Private to src/control/lib/config_*.c: the key tables that drive parsing,
 * defaults and printing of the configuration files (one table per section,
 * Redis style), and the small context used to collect diagnostics.
 */
#ifndef DAOS_CONTROL_LIB_CONFIG_INTERNAL_H
#define DAOS_CONTROL_LIB_CONFIG_INTERNAL_H

#include <stddef.h>

#include "control/lib/config/config.h"

enum cfg_type {
	CT_STR = 0,  /* char * (NULL when empty) */
	CT_BOOL,     /* bool */
	CT_INT,	     /* int64_t within [min, max] */
	CT_STRLIST,  /* struct ctl_strlist; a scalar is not accepted */
	CT_INTLIST,  /* struct ctl_intlist */
	CT_SECTION,  /* nested struct described by `sub` */
	CT_SECTLIST, /* array of `sub` structs: pointer at off, size_t count at cnt_off */
	CT_CUSTOM,   /* parse/emit/fini in `custom` */
};

struct cfg_ctx;
struct cfg_key;
struct cfg_emit;

struct cfg_custom {
	/* Parse `n` into the field; report problems with cfg_err(); 0 or -DER_*. */
	int (*parse)(struct cfg_ctx *cx, const struct d_yaml_node *n, void *field,
		     const char *path);
	void (*emit)(struct cfg_emit *em, const char *key, const void *field);
	void (*fini)(void *field);
};

#define CF_NO_PRINT	0x1 /* deprecated or hidden: accepted, never written */
#define CF_PRINT_IF_SET 0x2 /* written only when present in the file */
#define CF_OMIT_EMPTY	0x4 /* string written only when not empty */

struct cfg_key {
	const char		 *name;
	enum cfg_type		  type;
	size_t			  off;
	size_t			  set_off; /* bool "present" flag; 0: none */
	size_t			  cnt_off; /* CT_SECTLIST count */
	int64_t			  min, max;
	const char		 *deflt; /* YAML text of the default, NULL: zero */
	const struct cfg_section *sub;
	const struct cfg_custom	 *custom;
	/* Extra check after a successful parse (syntax of PCI lists, ...). */
	int (*check)(struct cfg_ctx *cx, const struct d_yaml_node *n, void *field,
		     const char *path);
	unsigned flags;
};

struct cfg_section {
	const char	     *name;
	size_t		      size; /* struct size, for lists of sections */
	const struct cfg_key *keys;
	size_t		      nkeys;
	/* Optional: whether a key is worth printing for this object. */
	bool (*show)(const void *obj, const struct cfg_key *k);
};

struct cfg_ctx {
	struct d_diags		*diags;
	const struct d_yaml_doc *doc;
	int			 nerr;
};

void cfg_err(struct cfg_ctx *cx, int line, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void cfg_notice(struct cfg_ctx *cx, int line, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Same, with the line looked up from the key path in the document. */
void cfg_verr(struct cfg_ctx *cx, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void cfg_vnotice(struct cfg_ctx *cx, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Apply the defaults of every key of `sec` to `obj` (zeroed by the caller). */
int cfg_section_defaults(const struct cfg_section *sec, void *obj);
/* Parse a mapping into `obj` (defaults already applied). */
void cfg_section_parse(struct cfg_ctx *cx, const struct cfg_section *sec, void *obj,
		       const struct d_yaml_node *map, const char *path);
void cfg_section_fini(const struct cfg_section *sec, void *obj);

/* Emitter interface so that the same walk writes YAML or JSON. */
struct cfg_emit_ops {
	void (*map_begin)(struct cfg_emit *em, const char *key);
	void (*map_end)(struct cfg_emit *em);
	void (*list_begin)(struct cfg_emit *em, const char *key, size_t n);
	void (*list_end)(struct cfg_emit *em);
	void (*str)(struct cfg_emit *em, const char *key, const char *v);
	void (*num)(struct cfg_emit *em, const char *key, int64_t v);
	void (*boolean)(struct cfg_emit *em, const char *key, bool v);
};

struct cfg_emit {
	const struct cfg_emit_ops *ops;
	void			  *priv;
};

void cfg_section_emit(struct cfg_emit *em, const struct cfg_section *sec, const void *obj);
/* Top-level YAML text of `obj`; caller frees; NULL on allocation failure. */
char *cfg_section_to_yaml(const struct cfg_section *sec, const void *obj);

/* JSON form of `obj` as member `key` of the current object of `w`. */
void cfg_section_to_json(const struct cfg_section *sec, const void *obj, struct d_json *w,
			 const char *key);

/*
 * One kind of configuration file.  The generic functions below create, load
 * and destroy any of them from this description; the public ctl_*_config_*
 * entry points are thin wrappers.  Loading is: key defaults, strict parse of
 * the top-level table, the empty-file rule, validate, derive, remember path.
 */
struct cfg_file {
	const char		 *name;	    /* "daos_server.yml", for messages and search */
	const struct cfg_section *sec;	    /* top-level keys; sec->size is the struct size */
	size_t			  path_off; /* char *: the file loaded, NULL for defaults */
	size_t			  doc_off;  /* struct d_yaml_doc *: kept for line numbers */
	/* No file is fine: the search may find none; a NULL path loads the built-in defaults. */
	bool optional;
	bool home_dotfile; /* ~/.<name> is searched first */
	/* Non-NULL: an empty file is an error, this advice follows the file name. */
	const char *empty_hint;
	/* Rules after a successful parse; problems and notices with cfg_verr() and friends. */
	void (*validate)(struct cfg_ctx *cx, void *cfg);
	/* Fields derived from the others, on the built-in defaults too; 0 or -DER_NOMEM. */
	int (*derive)(struct cfg_ctx *cx, void *cfg);
};

extern const struct cfg_file cfg_server_file;
extern const struct cfg_file cfg_agent_file;
extern const struct cfg_file cfg_control_file;

const struct cfg_file *cfg_file_get(enum ctl_config_kind kind);

/*
 * Built-in defaults: every key's default, then `derive` (its notices are
 * dropped).  *out is written only on success; 0 or -DER_NOMEM.
 */
int cfg_file_default(const struct cfg_file *f, void **out);
/*
 * Load `path` (or, for an optional file, the defaults when `path` is NULL).
 * Problems go to `diags`; returns 0, -DER_INVAL, -DER_NOMEM or the file's
 * own error (-DER_NONEXIST, -DER_NO_PERM, ...).  *out only on success.
 */
int cfg_file_load(const struct cfg_file *f, const char *path, void **out, struct d_diags *diags);
/* Same from memory; `name` stands for the file in messages. */
int cfg_file_load_string(const struct cfg_file *f, const char *name, const char *text, void **out,
			 struct d_diags *diags);
/* Accepts NULL. */
void cfg_file_destroy(const struct cfg_file *f, void *cfg);

/* Helpers used by the rules. */
static inline const char *
cfg_s(const char *s)
{
	return s ? s : "";
}

int  cfg_str_set(char **field, const char *v);
int  cfg_strlist_add(struct ctl_strlist *l, const char *v);
void cfg_strlist_fini(struct ctl_strlist *l);
bool cfg_strlist_has(const struct ctl_strlist *l, const char *v);
/* Go time.ParseDuration syntax ("90s", "1m30s", "500ms"); nanoseconds. */
int  cfg_parse_duration(const char *s, int64_t *ns);
void cfg_format_duration(int64_t ns, char *buf, size_t len);

/* Tables shared between files. */
extern const struct cfg_section cfg_engine_section;
/* Transport sections differ only in their default certificate names. */
extern const struct cfg_section cfg_server_transport_section;
extern const struct cfg_section cfg_agent_transport_section;
extern const struct cfg_section cfg_control_transport_section;
/* check hook of control_log_mask keys */
int cfg_control_log_mask_check(struct cfg_ctx *cx, const struct d_yaml_node *n, void *field,
			       const char *path);
/* Items of a comma-separated list, ignoring empty ones (provider strings). */
size_t cfg_count_items(const char *s);
/* Rules common to the files (key "name", "port", `key`[i]); problems via cfg_verr(). */
/* 1 to CTL_SYS_NAME_MAX characters; `quoted`: the message quotes the name (not the agent). */
void cfg_sys_name_check(struct cfg_ctx *cx, const char *name, bool quoted);
/* The control port of daos_agent.yml and daos_control.yml: 1 to 65535. */
void cfg_control_port_check(struct cfg_ctx *cx, int64_t port);
/* No empty address in `l`; `what` names an address in the message ("host"). */
void cfg_addr_list_check(struct cfg_ctx *cx, const struct ctl_strlist *l, const char *key,
			 const char *what);

/* Engine-level validation (config_engine.c), engine i of cfg. */
void cfg_engine_validate(struct cfg_ctx *cx, struct ctl_server_config *cfg, size_t idx);
void cfg_engines_validate_multi(struct cfg_ctx *cx, struct ctl_server_config *cfg);
bool cfg_engine_has_bdevs(const struct ctl_engine *e);
bool cfg_class_is_scm(enum ctl_tier_class c);
bool cfg_class_is_bdev(enum ctl_tier_class c);
/* Check the name=value form of an environment list. */
void cfg_env_list_check(struct cfg_ctx *cx, const struct ctl_strlist *l, const char *path);

#endif /* DAOS_CONTROL_LIB_CONFIG_INTERNAL_H */
