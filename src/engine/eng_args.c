/*
 * daos_engine command line and environment: upstream's option letters
 * (and their long names), the fabric and log variables daos_server sets,
 * and DAOS_TARGET_OVERSUBSCRIBE.  Parsing only: nothing is opened or
 * started here, and the process environment is never read directly (the
 * caller passes it), so the parser is unit-testable.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "daos/daos_errno.h"
#include "engine/engine.h"

const char eng_usage[] =
	"Usage: daos_engine [options]\n"
	"  -m, --modules=MODS          server modules to load\n"
	"  -t, --targets=N             number of targets (VOS xstreams); -c is a deprecated alias\n"
	"  -x, --xshelpernr=N          number of helper xstreams\n"
	"  -f, --firstcore=N           offset of the first core to use\n"
	"  -p, --pinned_numa_node=N    use only the cores of NUMA node N\n"
	"  -g, --group=NAME            system name (at most 15 characters)\n"
	"  -s, --storage=PATH          SCM mount point\n"
	"  -d, --socket_dir=DIR        directory of daos_server.sock\n"
	"  -n, --nvme=FILE             NVMe configuration file\n"
	"  -I, --instance_idx=N        engine index within daos_server\n"
	"  -T, --storage_tiers=N       number of storage tiers\n"
	"  -r, --mem_size=MIB          memory size in MiB\n"
	"  -H, --hugepage_size=MIB     huge page size in MiB\n"
	"  -b, --bypass_health_chk     skip the NVMe health check\n"
	"  -C, --check                 start in checker mode\n"
	"  -S, --nr_sec_ctx=N[,N...]   contexts of each secondary provider\n"
	"  -h, --help                  print this help\n"
	"Environment: D_INTERFACE, D_PORT, D_PROVIDER, D_LOG_FILE, D_LOG_MASK,\n"
	"DAOS_TARGET_OVERSUBSCRIBE.\n";

static const struct option eng_longopts[] = {
	{"modules", required_argument, NULL, 'm'},
	{"targets", required_argument, NULL, 't'},
	{"cores", required_argument, NULL, 'c'},
	{"xshelpernr", required_argument, NULL, 'x'},
	{"firstcore", required_argument, NULL, 'f'},
	{"pinned_numa_node", required_argument, NULL, 'p'},
	{"group", required_argument, NULL, 'g'},
	{"storage", required_argument, NULL, 's'},
	{"socket_dir", required_argument, NULL, 'd'},
	{"nvme", required_argument, NULL, 'n'},
	{"instance_idx", required_argument, NULL, 'I'},
	{"storage_tiers", required_argument, NULL, 'T'},
	{"mem_size", required_argument, NULL, 'r'},
	{"hugepage_size", required_argument, NULL, 'H'},
	{"bypass_health_chk", no_argument, NULL, 'b'},
	{"check", no_argument, NULL, 'C'},
	{"nr_sec_ctx", required_argument, NULL, 'S'},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

static const char *
env_get(char *const *envp, const char *key)
{
	size_t klen = strlen(key);

	for (; envp != NULL && *envp != NULL; envp++)
		if (strncmp(*envp, key, klen) == 0 && (*envp)[klen] == '=')
			return *envp + klen + 1;
	return NULL;
}

/* Decimal unsigned number in [0, max]; what names the flag or variable. */
static int
parse_uint(const char *what, const char *s, uint64_t max, uint64_t *out, struct d_errbuf *eb)
{
	uint64_t v;

	if (d_parse_u64(s, &v) != 0 || v > max) {
		d_errbuf_set(eb, "invalid %s \"%s\": expected a whole number from 0 to %llu", what,
			     s ? s : "", (unsigned long long)max);
		return -DER_INVAL;
	}
	*out = v;
	return 0;
}

static int
set_str(char **dst, const char *v)
{
	D_FREE(*dst);
	D_STRDUP(*dst, v);
	return *dst ? 0 : -DER_NOMEM;
}

static int
parse_sec_ctx(const char *arg, struct eng_opts *o, struct d_errbuf *eb)
{
	char	*copy, *tok, *save = NULL;
	uint64_t v;
	int	 rc = 0;

	D_STRDUP(copy, arg);
	if (copy == NULL)
		return -DER_NOMEM;
	o->nsec_ctx = 0;
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (o->nsec_ctx == ENG_SEC_CTX_MAX) {
			d_errbuf_set(eb, "invalid -S \"%s\": at most %d secondary providers", arg,
				     ENG_SEC_CTX_MAX);
			rc = -DER_INVAL;
			goto out;
		}
		rc = parse_uint("-S context count", tok, UINT32_MAX, &v, eb);
		if (rc)
			goto out;
		o->sec_ctx[o->nsec_ctx++] = (uint32_t)v;
	}
	if (o->nsec_ctx == 0) {
		d_errbuf_set(eb, "invalid -S \"%s\": expected comma-separated counts", arg);
		rc = -DER_INVAL;
	}
out:
	D_FREE(copy);
	return rc;
}

static int
parse_env(char *const *envp, struct eng_opts *o, struct d_errbuf *eb)
{
	const char *v;
	uint64_t    n;
	int	    rc;

	v = env_get(envp, "D_INTERFACE");
	if (v && *v && (rc = set_str(&o->interface, v)))
		return rc;
	v = env_get(envp, "D_PROVIDER");
	if (v && *v && (rc = set_str(&o->provider, v)))
		return rc;
	v = env_get(envp, "D_LOG_FILE");
	if (v && *v && (rc = set_str(&o->log_file, v)))
		return rc;
	v = env_get(envp, "D_LOG_MASK");
	if (v && *v && (rc = set_str(&o->log_mask, v)))
		return rc;
	v = env_get(envp, "D_PORT");
	if (v && *v) {
		rc = parse_uint("D_PORT", v, 65535, &n, eb);
		if (rc)
			return rc;
		o->port = (uint32_t)n;
	}
	v = env_get(envp, "DAOS_TARGET_OVERSUBSCRIBE");
	o->oversubscribe = v != NULL && strcmp(v, "1") == 0;
	return 0;
}

int
eng_opts_parse(int argc, char **argv, char *const *envp, struct eng_opts *opts, struct d_errbuf *eb)
{
	struct eng_opts o = {.numa_node = -1};
	uint64_t	v = 0; /* read after every parse_uint(), even a failed one */
	int		c, rc = 0;

	optind = 0; /* full re-initialisation, so the parser can run more than once */
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":m:t:c:x:f:p:g:s:d:n:I:T:r:H:bCS:h", eng_longopts,
				NULL)) != -1) {
		switch (c) {
		case 'm':
			rc = set_str(&o.modules, optarg);
			break;
		case 't':
		case 'c':
			rc = parse_uint(c == 't' ? "-t (targets)" : "-c (targets)", optarg,
					UINT16_MAX, &v, eb);
			o.targets = (uint32_t)v;
			break;
		case 'x':
			rc = parse_uint("-x (helper xstreams)", optarg, UINT16_MAX, &v, eb);
			o.helpers = (uint32_t)v;
			break;
		case 'f':
			rc = parse_uint("-f (first core)", optarg, INT_MAX, &v, eb);
			o.first_core = (int)v;
			o.first_core_set = true;
			break;
		case 'p':
			rc = parse_uint("-p (pinned NUMA node)", optarg, INT_MAX, &v, eb);
			o.numa_node = (int)v;
			break;
		case 'g':
			if (strlen(optarg) == 0 || strlen(optarg) > ENG_GROUP_MAX) {
				d_errbuf_set(eb,
					     "invalid -g (group) \"%s\": a system name has 1 to "
					     "%d characters",
					     optarg, ENG_GROUP_MAX);
				rc = -DER_INVAL;
				break;
			}
			rc = set_str(&o.group, optarg);
			break;
		case 's':
			rc = set_str(&o.storage, optarg);
			break;
		case 'd':
			rc = set_str(&o.socket_dir, optarg);
			break;
		case 'n':
			rc = set_str(&o.nvme_conf, optarg);
			break;
		case 'I':
			rc = parse_uint("-I (instance index)", optarg, UINT32_MAX, &v, eb);
			o.instance = (uint32_t)v;
			break;
		case 'T':
			rc = parse_uint("-T (storage tiers)", optarg, 4, &v, eb);
			o.tiers = (uint32_t)v;
			break;
		case 'r':
			rc = parse_uint("-r (memory size MiB)", optarg, UINT32_MAX, &v, eb);
			o.mem_size_mib = v;
			break;
		case 'H':
			rc = parse_uint("-H (huge page size MiB)", optarg, UINT32_MAX, &v, eb);
			o.hugepage_mib = v;
			break;
		case 'b':
			o.bypass_health = true;
			break;
		case 'C':
			o.check_mode = true;
			break;
		case 'S':
			rc = parse_sec_ctx(optarg, &o, eb);
			break;
		case 'h':
			o.help = true;
			break;
		case ':':
			d_errbuf_set(eb, "option %s needs a value; see daos_engine --help",
				     argv[optind - 1]);
			rc = -DER_INVAL;
			break;
		default:
			d_errbuf_set(eb, "unknown option %s; see daos_engine --help",
				     argv[optind - 1]);
			rc = -DER_INVAL;
			break;
		}
		if (rc)
			goto out;
	}
	if (optind < argc) {
		d_errbuf_set(eb, "unexpected argument \"%s\"; daos_engine takes options only",
			     argv[optind]);
		rc = -DER_INVAL;
		goto out;
	}
	if (o.help)
		goto done;
	if (o.targets == 0) {
		d_errbuf_set(eb, "missing -t (targets): the number of targets must be at least 1");
		rc = -DER_INVAL;
		goto out;
	}
	rc = parse_env(envp, &o, eb);
	if (rc)
		goto out;
	if ((o.group == NULL && (rc = set_str(&o.group, ENG_DEFAULT_GROUP))) ||
	    (o.socket_dir == NULL && (rc = set_str(&o.socket_dir, ENG_DEFAULT_SOCKDIR))))
		goto out;
	if (o.provider == NULL || o.interface == NULL) {
		d_errbuf_set(eb,
			     "engine %u: D_PROVIDER and D_INTERFACE must be set in the environment "
			     "(daos_server sets them from fabric_iface and provider)",
			     o.instance);
		rc = -DER_INVAL;
		goto out;
	}
	if (o.nsec_ctx > 0) {
		d_errbuf_set(
			eb,
			"engine %u: -S names %u secondary provider(s), but secondary providers "
			"are not supported by this daos_engine; remove "
			"secondary_provider_endpoints",
			o.instance, o.nsec_ctx);
		rc = -DER_INVAL;
		goto out;
	}
done:
	*opts = o;
	return 0;
out:
	eng_opts_fini(&o);
	return rc;
}

void
eng_opts_fini(struct eng_opts *o)
{
	if (o == NULL)
		return;
	D_FREE(o->modules);
	D_FREE(o->group);
	D_FREE(o->storage);
	D_FREE(o->socket_dir);
	D_FREE(o->nvme_conf);
	D_FREE(o->interface);
	D_FREE(o->provider);
	D_FREE(o->log_file);
	D_FREE(o->log_mask);
}
