/*
 * daos_engine command line and environment from a validated engine
 * configuration (see config.h).  It builds vectors
 * only: starting, watching and restarting the process belong to
 * daos_server.  DD_SUBSYS folding into D_LOG_MASK is not done here.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "control/lib/config/config.h"
#include "daos/daos_errno.h"

/* A growable NULL-terminated vector; `nomem` latches the first failure. */
struct strv {
	char **v;
	size_t n;
	size_t cap;
	bool   nomem;
};

static void
strv_take(struct strv *sv, char *s)
{
	if (sv->nomem || s == NULL) {
		sv->nomem = true;
		D_FREE(s);
		return;
	}
	if (sv->n + 2 > sv->cap) {
		size_t cap = sv->cap ? sv->cap * 2 : 16;
		char **nv = d_realloc(sv->v, cap * sizeof(*nv));

		if (nv == NULL) {
			sv->nomem = true;
			D_FREE(s);
			return;
		}
		sv->v = nv;
		sv->cap = cap;
	}
	sv->v[sv->n++] = s;
	sv->v[sv->n] = NULL;
}

static void
strv_add(struct strv *sv, const char *s)
{
	char *c = NULL;

	D_STRDUP(c, s);
	strv_take(sv, c);
}

static void
strv_fini(struct strv *sv)
{
	for (size_t i = 0; i < sv->n; i++)
		D_FREE(sv->v[i]);
	D_FREE(sv->v);
	sv->n = sv->cap = 0;
}

/* Hand the vector to the caller (an empty one is {NULL}). */
static int
strv_finish(struct strv *sv, char ***out)
{
	if (!sv->nomem && sv->v == NULL)
		D_ALLOC_ARRAY(sv->v, 1);
	if (sv->nomem || sv->v == NULL) {
		strv_fini(sv);
		return -DER_NOMEM;
	}
	*out = sv->v;
	sv->v = NULL;
	sv->n = sv->cap = 0;
	return 0;
}

void
ctl_strv_free(char **v)
{
	if (v == NULL)
		return;
	for (char **p = v; *p != NULL; p++)
		D_FREE(*p);
	D_FREE(v);
}

/* Length of the key of "K=V", or 0 when the entry is not a usable pair. */
static size_t
kv_keylen(const char *kv)
{
	const char *eq = strchr(kv, '=');

	if (eq == NULL || eq == kv || eq[1] == '\0')
		return 0;
	return (size_t)(eq - kv);
}

static ssize_t
strv_find(const struct strv *sv, const char *key, size_t klen)
{
	for (size_t i = 0; i < sv->n; i++)
		if (strncmp(sv->v[i], key, klen) == 0 && sv->v[i][klen] == '=')
			return (ssize_t)i;
	return -1;
}

/* Set "K=V" replacing an existing K in place (later sources win). */
static void
env_set(struct strv *sv, const char *kv)
{
	size_t	klen = kv_keylen(kv);
	ssize_t i;
	char   *c = NULL;

	if (klen == 0)
		return;
	i = strv_find(sv, kv, klen);
	if (i < 0) {
		strv_add(sv, kv);
		return;
	}
	D_STRDUP(c, kv);
	if (c == NULL) {
		sv->nomem = true;
		return;
	}
	D_FREE(sv->v[i]);
	sv->v[i] = c;
}

static void env_setf(struct strv *sv, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
env_setf(struct strv *sv, const char *key, const char *fmt, ...)
{
	struct d_sbuf sb;
	va_list	      ap;
	char	     *kv;

	d_sbuf_init(&sb);
	d_sbuf_printf(&sb, "%s=", key);
	va_start(ap, fmt);
	d_sbuf_vprintf(&sb, fmt, ap);
	va_end(ap);
	if (sb.failed) {
		d_sbuf_fini(&sb);
		sv->nomem = true;
		return;
	}
	kv = d_sbuf_take(&sb);
	env_set(sv, kv);
	D_FREE(kv);
}

const char *
ctl_strv_getenv(char *const *v, const char *key)
{
	size_t klen = strlen(key);

	if (v == NULL || klen == 0)
		return NULL;
	for (; *v != NULL; v++)
		if (strncmp(*v, key, klen) == 0 && (*v)[klen] == '=')
			return *v + klen + 1;
	return NULL;
}

static bool
tier_is_bdev(const struct ctl_tier *t)
{
	return t->class == CTL_CLASS_NVME || t->class == CTL_CLASS_FILE ||
	       t->class == CTL_CLASS_KDEV;
}

static const struct ctl_tier *
first_bdev_tier(const struct ctl_engine *e)
{
	for (size_t i = 0; i < e->nstorage; i++)
		if (tier_is_bdev(&e->storage[i]))
			return &e->storage[i];
	return NULL;
}

static bool
nonempty(const char *s)
{
	return s != NULL && *s != '\0';
}

static void
arg_int(struct strv *sv, const char *flag, int64_t v)
{
	strv_add(sv, flag);
	strv_take(sv, d_asprintf("%" PRId64, v));
}

static void
arg_str(struct strv *sv, const char *flag, const char *v)
{
	if (!nonempty(v))
		return;
	strv_add(sv, flag);
	strv_add(sv, v);
}

int
ctl_engine_argv(const struct ctl_engine *e, const struct ctl_engine_runtime *rt, char ***argv_out,
		struct d_errbuf *eb)
{
	struct strv sv = {0};

	if (e->targets < 0 || e->nr_xs_helpers < 0 || (e->first_core_set && e->first_core < 0) ||
	    (e->pinned_numa_node_set && e->pinned_numa_node < 0)) {
		d_errbuf_set(eb,
			     "engine %" PRIu32 ": targets, nr_xs_helpers, first_core and "
			     "pinned_numa_node must not be negative; fix the engine section",
			     rt->index);
		return -DER_INVAL;
	}
	if (rt->mem_size_mib < 0 || rt->hugepage_mib < 0) {
		d_errbuf_set(eb,
			     "engine %" PRIu32 ": mem size (%" PRId64 " MiB) and hugepage "
			     "size (%" PRId64 " MiB) must not be negative",
			     rt->index, rt->mem_size_mib, rt->hugepage_mib);
		return -DER_INVAL;
	}

	strv_add(&sv, nonempty(rt->argv0) ? rt->argv0 : CTL_ENGINE_BIN);
	arg_int(&sv, "-x", e->nr_xs_helpers);
	if (e->targets != 0)
		arg_int(&sv, "-t", e->targets);
	for (size_t i = 0; i < e->nstorage; i++)
		if (!tier_is_bdev(&e->storage[i]))
			arg_str(&sv, "-s", e->storage[i].scm_mount);
	arg_str(&sv, "-m", e->modules);
	if (e->first_core_set)
		arg_int(&sv, "-f", e->first_core);
	arg_str(&sv, "-g", rt->system_name);
	arg_str(&sv, "-d", rt->socket_dir);
	/* daos_server leaves the SPDK config path empty when there are no bdevs */
	if (first_bdev_tier(e) != NULL)
		arg_str(&sv, "-n", rt->nvme_conf);
	arg_int(&sv, "-I", rt->index);
	if (e->nstorage != 0)
		arg_int(&sv, "-T", (int64_t)e->nstorage);
	if (e->pinned_numa_node_set)
		arg_int(&sv, "-p", e->pinned_numa_node);
	if (e->fabric.bypass_health_chk)
		strv_add(&sv, "-b");
	if (e->fabric.secondary_provider_endpoints.n != 0) {
		struct d_sbuf sb;

		d_sbuf_init(&sb);
		for (size_t i = 0; i < e->fabric.secondary_provider_endpoints.n; i++)
			d_sbuf_printf(&sb, "%s%" PRId64, i ? "," : "",
				      e->fabric.secondary_provider_endpoints.v[i]);
		strv_add(&sv, "-S");
		if (sb.failed) {
			d_sbuf_fini(&sb);
			sv.nomem = true;
		} else {
			strv_take(&sv, d_sbuf_take(&sb));
		}
	}
	arg_int(&sv, "-r", rt->mem_size_mib);
	arg_int(&sv, "-H", rt->hugepage_mib);
	if (rt->checker)
		strv_add(&sv, "-C");

	return strv_finish(&sv, argv_out);
}

/* Upstream reads the value with Atoi: optional sign, decimal digits only. */
static int
parse_stacksize(const char *s, long long *out)
{
	const char *p = s;
	char	   *end;
	long long   v;

	if (*p == '+' || *p == '-')
		p++;
	if (*p == '\0' || strspn(p, "0123456789") != strlen(p))
		return -DER_INVAL;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0)
		return -DER_INVAL;
	*out = v;
	return 0;
}

/*
 * Value of `key` as the engine would see it without the derived
 * variables (none of which are the ones checked here): the engine's
 * env_vars, then the allowed daemon environment.
 */
static const char *
lookup(const struct strv *user, const struct strv *pass, const char *key)
{
	const char *v = ctl_strv_getenv(user->v, key);

	return v != NULL ? v : ctl_strv_getenv(pass->v, key);
}

static int
check_stacksize(struct strv *user, const struct strv *pass, long long min, const char *what,
		struct d_errbuf *eb)
{
	const char *cur = lookup(user, pass, "ABT_THREAD_STACKSIZE");
	long long   v;

	if (cur == NULL) {
		env_setf(user, "ABT_THREAD_STACKSIZE", "%lld", min);
		return 0;
	}
	if (parse_stacksize(cur, &v) != 0) {
		d_errbuf_set(eb, "env_var ABT_THREAD_STACKSIZE has invalid value: %s", cur);
		return -DER_INVAL;
	}
	if (v < min) {
		d_errbuf_set(eb,
			     "env_var ABT_THREAD_STACKSIZE should be >= %lld for %s, found %lld",
			     min, what, v);
		return -DER_INVAL;
	}
	return 0;
}

static int
check_pmemobj(struct strv *user, const struct strv *pass, bool dcpm, struct d_errbuf *eb)
{
	const char *cur = lookup(user, pass, "PMEMOBJ_CONF");
	bool	    has_sds = cur != NULL && strstr(cur, "sds.at_create") != NULL;

	if (dcpm) {
		if (!has_sds)
			return 0;
		d_errbuf_set(eb,
			     "env_var PMEMOBJ_CONF should NOT contain 'sds.at_create=?' for "
			     "DCPM storage class, found '%s'",
			     cur);
		return -DER_INVAL;
	}
	/* RAM-backed SCM has no shutdown state to track */
	if (cur == NULL) {
		env_set(user, "PMEMOBJ_CONF=sds.at_create=0");
		return 0;
	}
	if (!has_sds) {
		env_setf(user, "PMEMOBJ_CONF", "%s;sds.at_create=0", cur);
		return 0;
	}
	if (strstr(cur, "sds.at_create=1") != NULL) {
		d_errbuf_set(eb,
			     "env_var PMEMOBJ_CONF should contain 'sds.at_create=0' for "
			     "non-DCPM storage class, found '%s'",
			     cur);
		return -DER_INVAL;
	}
	return 0;
}

static bool
provider_is_ucx(const char *prov)
{
	if (prov == NULL)
		return false;
	while (*prov == ' ' || *prov == '\t')
		prov++;
	return strncmp(prov, "ucx+", 4) == 0;
}

int
ctl_engine_envp(const struct ctl_engine *e, const struct ctl_engine_runtime *rt, char ***env_out,
		struct d_errbuf *eb)
{
	struct strv	       pass = {0};
	struct strv	       user = {0};
	struct strv	       out = {0};
	const struct ctl_tier *bdev = first_bdev_tier(e);
	int		       rc;

	if (rt->environ != NULL) {
		for (char *const *p = rt->environ; *p != NULL; p++) {
			size_t klen = kv_keylen(*p);

			if (klen == 0)
				continue;
			for (size_t i = 0; i < e->env_pass_through.n; i++) {
				const char *k = e->env_pass_through.v[i];

				if (strlen(k) == klen && strncmp(*p, k, klen) == 0) {
					env_set(&pass, *p);
					break;
				}
			}
		}
	}
	for (size_t i = 0; i < e->env_vars.n; i++) {
		const char *kv = e->env_vars.v[i];
		size_t	    klen = kv_keylen(kv);

		/* the first of duplicated env_vars is the one kept */
		if (klen != 0 && strv_find(&user, kv, klen) < 0)
			strv_add(&user, kv);
	}

	if (e->nstorage == 0) {
		d_errbuf_set(eb, "Invalid config - no tier 0 defined");
		rc = -DER_INVAL;
		goto out;
	}
	/* same order as daos_server: UCX, then PMDK (SCM class), then MD-on-SSD */
	if (provider_is_ucx(e->fabric.provider)) {
		rc = check_stacksize(&user, &pass, CTL_ABT_STACK_MIN_UCX, "UCX provider", eb);
		if (rc != 0)
			goto out;
	}
	rc = check_pmemobj(&user, &pass, e->storage[0].class == CTL_CLASS_DCPM, eb);
	if (rc != 0)
		goto out;
	if (e->storage[0].class == CTL_CLASS_DCPM) {
		rc = check_stacksize(&user, &pass, CTL_ABT_STACK_MIN_DCPM, "DCPM storage class",
				     eb);
		if (rc != 0)
			goto out;
	}
	if (ctl_engine_md_on_ssd(e)) {
		rc = check_stacksize(&user, &pass, CTL_ABT_STACK_MIN_MD_ON_SSD, "MD on SSD", eb);
		if (rc != 0)
			goto out;
	}

	for (size_t i = 0; i < pass.n; i++)
		env_set(&out, pass.v[i]);
	for (size_t i = 0; i < user.n; i++)
		env_set(&out, user.v[i]);
	if (nonempty(e->fabric.fabric_iface))
		env_setf(&out, "D_INTERFACE", "%s", e->fabric.fabric_iface);
	if (e->fabric.fabric_iface_port != 0)
		env_setf(&out, "D_PORT", "%" PRId64, e->fabric.fabric_iface_port);
	if (nonempty(e->fabric.provider))
		env_setf(&out, "D_PROVIDER", "%s", e->fabric.provider);
	if (nonempty(e->log_file))
		env_setf(&out, "D_LOG_FILE", "%s", e->log_file);
	if (nonempty(e->log_mask))
		env_setf(&out, "D_LOG_MASK", "%s", e->log_mask);
	env_setf(&out, "CRT_TIMEOUT", "%" PRId64, e->fabric.crt_timeout);
	env_setf(&out, "FI_OFI_RXM_USE_SRX", "%d", e->fabric.disable_srx ? 0 : 1);
	if (nonempty(e->fabric.fabric_auth_key))
		env_setf(&out, "D_PROVIDER_AUTH_KEY", "%s", e->fabric.fabric_auth_key);
	if (bdev != NULL)
		env_setf(&out, "VOS_BDEV_CLASS", "%s",
			 bdev->class == CTL_CLASS_NVME ? "NVME" : "AIO");
	rc = strv_finish(&out, env_out);
out:
	strv_fini(&out);
	strv_fini(&user);
	strv_fini(&pass);
	return rc;
}
