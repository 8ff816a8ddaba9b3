/*
 * Parsing of the "config generate" flags shared by daos_server and dmg
 * (autocfg.h).  Only argument checks live here: no scan, no output
 * beyond d_cli_get_long()'s range message.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "control/lib/autocfg/autocfg.h"

/* Replicas: a host list ("wolf-[71-73]", "a:10001,b:10001"), kept in the order given. */
static int
parse_replicas(const char *s, const char *flag, struct ctl_autocfg_args *a, struct d_errbuf *eb)
{
	struct d_errbuf pe;
	size_t		i, cnt;
	int		rc;

	rc = d_hostlist_parse(s, &a->hl, &pe);
	if (rc != 0) {
		d_errbuf_set(eb, "invalid %s \"%s\": %s", flag, s, pe.msg);
		return rc;
	}
	cnt = d_hostlist_count(a->hl);
	D_ALLOC_ARRAY(a->reps, cnt);
	if (a->reps == NULL)
		return -DER_NOMEM;
	for (i = 0; i < cnt; i++) {
		rc = d_hostlist_nth(a->hl, i, &a->reps[i]);
		if (rc != 0)
			return rc;
		a->nreps++;
	}
	return 0;
}

static int
parse_ports(const char *s, struct ctl_autocfg_args *a, struct d_errbuf *eb)
{
	size_t	    cnt = 1, i = 0;
	const char *p;
	char	   *end;

	for (p = s; *p; p++)
		cnt += *p == ',';
	D_ALLOC_ARRAY(a->ports, cnt);
	if (a->ports == NULL)
		return -DER_NOMEM;
	for (p = s; i < cnt; i++) {
		long long x;

		errno = 0;
		x = strtoll(p, &end, 10);
		if (end == p || (*end != ',' && *end != '\0') || errno != 0 || x <= 0 ||
		    x > 65535) {
			d_errbuf_set(eb,
				     "invalid --fabric-ports \"%s\": item %zu is not a port "
				     "number between 1 and 65535; give comma-separated ports, one "
				     "per engine, e.g. 31416,32416",
				     s, i + 1);
			return -DER_INVAL;
		}
		a->ports[i] = x;
		p = end + (*end == ',');
	}
	a->req.fabric_ports = a->ports;
	a->req.nr_fabric_ports = cnt;
	return 0;
}

int
ctl_autocfg_args_parse(const struct d_cli_ctx *ctx, const char *default_replicas,
		       struct ctl_autocfg_args *a, struct d_errbuf *eb)
{
	const char *replicas, *flag;
	long	    num;
	int	    rc;

	memset(a, 0, sizeof(*a));
	eb->msg[0] = '\0';
	ctl_autocfg_req_init(&a->req);

	if (d_cli_has(ctx, "access-points") && d_cli_has(ctx, "ms-replicas")) {
		d_errbuf_set(eb,
			     "--access-points and --ms-replicas both given; use "
			     "--ms-replicas (-r) alone (--access-points is its deprecated alias)");
		rc = -DER_INVAL;
		goto out;
	}
	if (d_cli_has(ctx, "access-points")) {
		flag = "--access-points";
		replicas = d_cli_get(ctx, "access-points");
	} else if (d_cli_has(ctx, "ms-replicas")) {
		flag = "--ms-replicas";
		replicas = d_cli_get(ctx, "ms-replicas");
	} else {
		flag = "--ms-replicas";
		replicas = default_replicas;
	}
	rc = parse_replicas(replicas != NULL ? replicas : "localhost", flag, a, eb);
	if (rc != 0)
		goto out;
	a->req.ms_replicas = (const char *const *)a->reps;
	a->req.nr_ms_replicas = a->nreps;

	rc = d_cli_get_long(ctx, "num-engines", 0, CTL_AUTOCFG_MAX_NUMA, 0, &num);
	if (rc != 0)
		goto out;
	a->req.nr_engines = (int)num;
	rc = d_cli_get_long(ctx, "min-ssds", 0, 1024, 1, &num);
	if (rc != 0)
		goto out;
	a->req.min_ssds = (int)num;
	if (d_cli_has(ctx, "scm-only")) {
		if (d_cli_has(ctx, "min-ssds") && a->req.min_ssds != 0) {
			d_errbuf_set(eb, "--scm-only means --min-ssds=0 but --min-ssds is given "
					 "too; give one of them");
			rc = -DER_INVAL;
			goto out;
		}
		a->req.min_ssds = 0;
	}
	rc = ctl_autocfg_net_class_parse(d_cli_get(ctx, "net-class"), &a->req.net_class, eb);
	if (rc != 0)
		goto out;
	a->req.provider = d_cli_get(ctx, "net-provider");
	a->req.use_tmpfs_scm = d_cli_has(ctx, "use-tmpfs-scm");
	a->req.control_metadata_path = d_cli_get(ctx, "control-metadata-path");
	if (d_cli_has(ctx, "fabric-ports"))
		rc = parse_ports(d_cli_get(ctx, "fabric-ports"), a, eb);
out:
	if (rc == -DER_NOMEM)
		d_errbuf_set(eb, "out of memory parsing the config generate flags");
	if (rc != 0)
		ctl_autocfg_args_fini(a);
	return rc;
}

void
ctl_autocfg_args_fini(struct ctl_autocfg_args *a)
{
	if (a == NULL)
		return;
	for (size_t i = 0; i < a->nreps; i++)
		D_FREE(a->reps[i]);
	D_FREE(a->reps);
	D_FREE(a->ports);
	d_hostlist_destroy(a->hl);
	memset(a, 0, sizeof(*a));
}
