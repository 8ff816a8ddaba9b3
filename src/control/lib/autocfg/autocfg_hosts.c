/*
 * Hardware consistency across the hosts of `config generate`: hosts are
 * grouped by identical network and by identical storage hardware (as far as
 * it matters to a configuration), and when more than one group exists each
 * smaller group is compared with the largest one and the differences are
 * spelt out ("ib1 offers ofi+verbs;ofi_rxm on wolf-[71-72] but not on
 * wolf-73").  Groups and differences come out in a fixed order so that
 * repeated runs print the same text.
 *
 * What is compared is what the generator reads: NUMA node count, cores per
 * NUMA node, fabric interfaces (NUMA node, device class, providers); the
 * hugepage size, NVMe PCI addresses and NUMA nodes, PMem namespaces (block
 * device, size, NUMA node).  SSD models, serials and health are not, as
 * upstream's "NvmeBasic" scan leaves them out so that hosts with different
 * SSD models still group.
 */
#include <stdarg.h>
#include <stdio.h>

#include "common/hostlist.h"
#include "common/units.h"
#include "control/lib/autocfg/autocfg.h"

/* One group of hosts with the same key. */
struct hw_group {
	const char	 *key;	 /* owned by the key array */
	size_t		  first; /* index of a representative host */
	size_t		  nhosts;
	struct d_hostset *hs;
	char		 *hosts; /* ranged hostset text */
};

struct hw_groups {
	struct hw_group *v;
	size_t		 n;
};

/* ---- canonical keys ---------------------------------------------------------- */

static int
iface_cmp(const void *a, const void *b)
{
	const struct ctl_fabric_iface *x = *(const struct ctl_fabric_iface *const *)a;
	const struct ctl_fabric_iface *y = *(const struct ctl_fabric_iface *const *)b;
	int			       rc = strcmp(x->device, y->device);

	if (rc != 0)
		return rc;
	if (x->priority != y->priority)
		return x->priority < y->priority ? -1 : 1;
	return strcmp(x->provider, y->provider);
}

/* Interfaces of a scan sorted by (device, priority, provider); caller frees. */
static int
ifaces_sorted(const struct ctl_net_scan *s, const struct ctl_fabric_iface ***out)
{
	const struct ctl_fabric_iface **v = NULL;
	int				i;

	if (s->nifaces > 0) {
		D_ALLOC_ARRAY(v, (size_t)s->nifaces);
		if (v == NULL)
			return -DER_NOMEM;
		for (i = 0; i < s->nifaces; i++)
			v[i] = &s->ifaces[i];
		qsort(v, (size_t)s->nifaces, sizeof(*v), iface_cmp);
	}
	*out = v;
	return 0;
}

static char *
net_key(const struct ctl_net_scan *s)
{
	const struct ctl_fabric_iface **v;
	struct d_sbuf			sb;
	int				i;

	if (ifaces_sorted(s, &v) != 0)
		return NULL;
	d_sbuf_init(&sb);
	d_sbuf_printf(&sb, "numa %u cores %u\n", s->numa_count, s->cores_per_numa);
	for (i = 0; i < s->nifaces; i++)
		d_sbuf_printf(&sb, "%s %u %u %s\n", v[i]->device, v[i]->numa, v[i]->net_class,
			      v[i]->provider);
	D_FREE(v);
	if (sb.failed) {
		d_sbuf_fini(&sb);
		return NULL;
	}
	return d_sbuf_take(&sb);
}

static char *
storage_key(const struct ctl_storage_scan *s)
{
	struct d_sbuf sb;
	int	      i;

	d_sbuf_init(&sb);
	d_sbuf_printf(&sb, "hugepage %llu\n", (unsigned long long)s->mem.hugepage_size_kb);
	/* the scan sorts controllers by PCI address and namespaces by block device */
	for (i = 0; i < s->nr_ctrlrs; i++)
		d_sbuf_printf(&sb, "nvme %s %d\n", s->ctrlrs[i].pci_addr, s->ctrlrs[i].socket_id);
	for (i = 0; i < s->nr_namespaces; i++)
		d_sbuf_printf(&sb, "pmem %s %u %llu\n", s->namespaces[i].blockdev,
			      s->namespaces[i].numa_node,
			      (unsigned long long)s->namespaces[i].size);
	if (sb.failed) {
		d_sbuf_fini(&sb);
		return NULL;
	}
	return d_sbuf_take(&sb);
}

/* ---- grouping ---------------------------------------------------------------- */

static void
groups_fini(struct hw_groups *g)
{
	size_t i;

	for (i = 0; i < g->n; i++) {
		d_hostset_destroy(g->v[i].hs);
		D_FREE(g->v[i].hosts);
	}
	D_FREE(g->v);
	g->n = 0;
}

static int
group_cmp(const void *a, const void *b)
{
	const struct hw_group *x = a, *y = b;

	/* largest first: it is the reference the others are compared with */
	if (x->nhosts != y->nhosts)
		return x->nhosts > y->nhosts ? -1 : 1;
	return strcmp(x->hosts, y->hosts);
}

/* Group hosts by keys[i]; a host name the hostlist grammar rejects is an error. */
static int
groups_build(const struct ctl_autocfg_host *hosts, char **keys, size_t nhosts,
	     struct hw_groups *out, struct d_sbuf *err)
{
	struct hw_groups g = {0};
	struct d_errbuf	 eb;
	size_t		 i, j;
	int		 rc = 0;

	D_ALLOC_ARRAY(g.v, nhosts);
	if (g.v == NULL)
		return -DER_NOMEM;
	for (i = 0; i < nhosts; i++) {
		for (j = 0; j < g.n; j++)
			if (strcmp(g.v[j].key, keys[i]) == 0)
				break;
		if (j == g.n) {
			g.v[j].key = keys[i];
			g.v[j].first = i;
			rc = d_hostset_create(&g.v[j].hs);
			if (rc != 0)
				goto out;
			g.n++;
		}
		rc = d_hostset_insert(g.v[j].hs, hosts[i].hostname, NULL, &eb);
		if (rc != 0) {
			if (rc != -DER_NOMEM && err != NULL)
				d_sbuf_printf(err, "invalid host name \"%s\": %s\n",
					      hosts[i].hostname, eb.msg);
			goto out;
		}
	}
	for (j = 0; j < g.n; j++) {
		g.v[j].nhosts = d_hostset_count(g.v[j].hs);
		rc = d_hostset_ranged(g.v[j].hs, &g.v[j].hosts);
		if (rc != 0)
			goto out;
	}
	qsort(g.v, g.n, sizeof(*g.v), group_cmp);
out:
	if (rc != 0) {
		groups_fini(&g);
		return rc;
	}
	*out = g;
	return 0;
}

/* ---- differences ------------------------------------------------------------- */

struct diffs {
	struct d_sbuf *out;
	int	       shown;
	int	       total;
	const char    *g;  /* the group compared */
	size_t	       gn; /* its host count, for verb agreement */
	const char    *r;  /* the reference group */
	size_t	       rn;
};

static const char *
has(size_t n)
{
	return n == 1 ? "has" : "have";
}

static const char *
does_not(size_t n)
{
	return n == 1 ? "does not" : "do not";
}

static void diff_add(struct diffs *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
diff_add(struct diffs *d, const char *fmt, ...)
{
	va_list ap;

	d->total++;
	if (d->out == NULL || d->shown >= CTL_AUTOCFG_MAX_DIFFS)
		return;
	d->shown++;
	d_sbuf_printf(d->out, "    - ");
	va_start(ap, fmt);
	d_sbuf_vprintf(d->out, fmt, ap);
	va_end(ap);
	d_sbuf_printf(d->out, "\n");
}

static const char *
class_str(uint32_t c, char *buf, size_t len)
{
	return ctl_net_class_str(c, buf, len);
}

/* Index range [*lo, *hi) of entries of sorted `v` for device v[*lo]. */
static int
dev_end(const struct ctl_fabric_iface **v, int n, int lo)
{
	int hi = lo + 1;

	while (hi < n && strcmp(v[hi]->device, v[lo]->device) == 0)
		hi++;
	return hi;
}

static void
providers_str(struct d_sbuf *sb, const struct ctl_fabric_iface **v, int lo, int hi)
{
	int i;

	for (i = lo; i < hi; i++)
		d_sbuf_printf(sb, "%s%s", i > lo ? ", " : "", v[i]->provider);
}

static void
iface_only(struct diffs *d, const struct ctl_fabric_iface **v, int lo, int hi, bool in_ref)
{
	struct d_sbuf sb;
	char	      cls[32];

	d_sbuf_init(&sb);
	providers_str(&sb, v, lo, hi);
	if (in_ref)
		diff_add(d, "%s %s fabric interface %s (NUMA node %u, %s: %s) but %s %s", d->r,
			 has(d->rn), v[lo]->device, v[lo]->numa,
			 class_str(v[lo]->net_class, cls, sizeof(cls)), sb.buf ? sb.buf : "", d->g,
			 does_not(d->gn));
	else
		diff_add(d, "%s %s fabric interface %s (NUMA node %u, %s: %s) that %s %s have",
			 d->g, has(d->gn), v[lo]->device, v[lo]->numa,
			 class_str(v[lo]->net_class, cls, sizeof(cls)), sb.buf ? sb.buf : "", d->r,
			 does_not(d->rn));
	d_sbuf_fini(&sb);
}

static void
iface_compare(struct diffs *d, const struct ctl_fabric_iface **gv, int glo, int ghi,
	      const struct ctl_fabric_iface **rv, int rlo, int rhi)
{
	char c1[32], c2[32];
	int  i = glo, j = rlo, c;

	if (gv[glo]->numa != rv[rlo]->numa)
		diff_add(d, "%s is on NUMA node %u on %s but NUMA node %u on %s", gv[glo]->device,
			 gv[glo]->numa, d->g, rv[rlo]->numa, d->r);
	if (gv[glo]->net_class != rv[rlo]->net_class)
		diff_add(d, "%s is %s on %s but %s on %s", gv[glo]->device,
			 class_str(gv[glo]->net_class, c1, sizeof(c1)), d->g,
			 class_str(rv[rlo]->net_class, c2, sizeof(c2)), d->r);
	while (i < ghi || j < rhi) {
		if (i == ghi)
			c = 1;
		else if (j == rhi)
			c = -1;
		else
			c = iface_cmp(&gv[i], &rv[j]);
		if (c < 0) {
			diff_add(d, "%s offers %s on %s but not on %s", gv[i]->device,
				 gv[i]->provider, d->g, d->r);
			i++;
		} else if (c > 0) {
			diff_add(d, "%s offers %s on %s but not on %s", rv[j]->device,
				 rv[j]->provider, d->r, d->g);
			j++;
		} else {
			i++;
			j++;
		}
	}
}

static int
net_diff(struct diffs *d, const struct ctl_net_scan *g, const struct ctl_net_scan *r)
{
	const struct ctl_fabric_iface **gv = NULL, **rv = NULL;
	int				i = 0, j = 0, c, rc;

	if (g->numa_count != r->numa_count)
		diff_add(d, "NUMA node count is %u on %s but %u on %s", g->numa_count, d->g,
			 r->numa_count, d->r);
	if (g->cores_per_numa != r->cores_per_numa)
		diff_add(d, "%s %s %u cores per NUMA node but %s %s %u", d->g, has(d->gn),
			 g->cores_per_numa, d->r, has(d->rn), r->cores_per_numa);
	rc = ifaces_sorted(g, &gv);
	if (rc == 0)
		rc = ifaces_sorted(r, &rv);
	while (rc == 0 && (i < g->nifaces || j < r->nifaces)) {
		int ge = i < g->nifaces ? dev_end(gv, g->nifaces, i) : i;
		int re = j < r->nifaces ? dev_end(rv, r->nifaces, j) : j;

		if (i == g->nifaces)
			c = 1;
		else if (j == r->nifaces)
			c = -1;
		else
			c = strcmp(gv[i]->device, rv[j]->device);
		if (c < 0) {
			iface_only(d, gv, i, ge, false);
			i = ge;
		} else if (c > 0) {
			iface_only(d, rv, j, re, true);
			j = re;
		} else {
			iface_compare(d, gv, i, ge, rv, j, re);
			i = ge;
			j = re;
		}
	}
	D_FREE(gv);
	D_FREE(rv);
	return rc;
}

/* "pmem1, 3.2 TB; pmem3, 1.6 TB" for the namespaces of `s` on `numa`; "" when none. */
static void
pmem_on_numa(struct d_sbuf *sb, const struct ctl_storage_scan *s, unsigned numa)
{
	char sz[D_SIZE_BUFLEN];
	int  i, n = 0;

	for (i = 0; i < s->nr_namespaces; i++) {
		if (s->namespaces[i].numa_node != numa)
			continue;
		d_sbuf_printf(sb, "%s%s, %s", n++ ? "; " : "", s->namespaces[i].blockdev,
			      d_size_si(s->namespaces[i].size, sz, sizeof(sz)));
	}
}

static bool
numa_listed(const struct ctl_storage_scan *s, int upto, unsigned numa)
{
	int i;

	for (i = 0; i < upto; i++)
		if (s->namespaces[i].numa_node == numa)
			return true;
	return false;
}

static void
pmem_diff_numa(struct diffs *d, const struct ctl_storage_scan *g, const struct ctl_storage_scan *r,
	       unsigned numa)
{
	struct d_sbuf gs, rs;

	d_sbuf_init(&gs);
	d_sbuf_init(&rs);
	pmem_on_numa(&gs, g, numa);
	pmem_on_numa(&rs, r, numa);
	if (gs.len == 0 && rs.len > 0)
		diff_add(d, "%s %s no PMem namespace on NUMA node %u (%s %s %s)", d->g, has(d->gn),
			 numa, d->r, has(d->rn), rs.buf);
	else if (gs.len > 0 && rs.len == 0)
		diff_add(d, "%s %s PMem namespace %s on NUMA node %u but %s %s none", d->g,
			 has(d->gn), gs.buf, numa, d->r, has(d->rn));
	else if (gs.len > 0 && strcmp(gs.buf, rs.buf) != 0)
		diff_add(d, "PMem on NUMA node %u is %s on %s but %s on %s", numa, gs.buf, d->g,
			 rs.buf, d->r);
	d_sbuf_fini(&gs);
	d_sbuf_fini(&rs);
}

static void
storage_diff(struct diffs *d, const struct ctl_storage_scan *g, const struct ctl_storage_scan *r)
{
	char	 s1[D_SIZE_BUFLEN], s2[D_SIZE_BUFLEN];
	int	 i = 0, j = 0, c;
	unsigned numa, max = 0;

	if (g->mem.hugepage_size_kb != r->mem.hugepage_size_kb)
		diff_add(d, "hugepage size is %s on %s but %s on %s",
			 d_size_iec(g->mem.hugepage_size_kb * 1024, s1, sizeof(s1)), d->g,
			 d_size_iec(r->mem.hugepage_size_kb * 1024, s2, sizeof(s2)), d->r);
	while (i < g->nr_ctrlrs || j < r->nr_ctrlrs) {
		const struct ctl_nvme_ctrlr *gc = i < g->nr_ctrlrs ? &g->ctrlrs[i] : NULL;
		const struct ctl_nvme_ctrlr *rf = j < r->nr_ctrlrs ? &r->ctrlrs[j] : NULL;

		c = gc == NULL ? 1 : rf == NULL ? -1 : strcmp(gc->pci_addr, rf->pci_addr);
		if (c < 0) {
			diff_add(d, "%s %s NVMe %s (NUMA node %d) that %s %s have", d->g,
				 has(d->gn), gc->pci_addr, gc->socket_id, d->r, does_not(d->rn));
			i++;
		} else if (c > 0) {
			diff_add(d, "%s %s NVMe %s (NUMA node %d) but %s %s", d->r, has(d->rn),
				 rf->pci_addr, rf->socket_id, d->g, does_not(d->gn));
			j++;
		} else {
			if (gc->socket_id != rf->socket_id)
				diff_add(d,
					 "NVMe %s is on NUMA node %d on %s but NUMA node %d on %s",
					 gc->pci_addr, gc->socket_id, d->g, rf->socket_id, d->r);
			i++;
			j++;
		}
	}
	/* PMem by NUMA node, in ascending node order */
	for (i = 0; i < g->nr_namespaces; i++)
		max = g->namespaces[i].numa_node > max ? g->namespaces[i].numa_node : max;
	for (i = 0; i < r->nr_namespaces; i++)
		max = r->namespaces[i].numa_node > max ? r->namespaces[i].numa_node : max;
	for (numa = 0; numa <= max; numa++) {
		if (!numa_listed(g, g->nr_namespaces, numa) &&
		    !numa_listed(r, r->nr_namespaces, numa))
			continue;
		pmem_diff_numa(d, g, r, numa);
	}
}

/* ---- the check --------------------------------------------------------------- */

static void
explain(const char *what, const struct ctl_autocfg_host *hosts, const struct hw_groups *g, bool net,
	struct diffs *d, struct d_sbuf *err)
{
	size_t i;

	if (err != NULL) {
		d_sbuf_printf(err,
			      "%s hardware not consistent across hosts: %zu sets of hosts "
			      "have different %s hardware:",
			      what, g->n, what);
		for (i = 0; i < g->n; i++)
			d_sbuf_printf(err, "%s %s (%zu host%s)", i ? "," : "", g->v[i].hosts,
				      g->v[i].nhosts, g->v[i].nhosts == 1 ? "" : "s");
		d_sbuf_printf(err, "\n");
	}
	d->r = g->v[0].hosts;
	d->rn = g->v[0].nhosts;
	for (i = 1; i < g->n; i++) {
		const struct ctl_autocfg_host *gh = &hosts[g->v[i].first];
		const struct ctl_autocfg_host *rh = &hosts[g->v[0].first];

		d->g = g->v[i].hosts;
		d->gn = g->v[i].nhosts;
		if (err != NULL && d->shown < CTL_AUTOCFG_MAX_DIFFS)
			d_sbuf_printf(err, "  %s differs from %s:\n", d->g, d->r);
		if (net)
			net_diff(d, gh->net, rh->net);
		else
			storage_diff(d, gh->storage, rh->storage);
	}
}

int
ctl_autocfg_check_hosts(const struct ctl_autocfg_host *hosts, size_t nhosts, struct d_sbuf *err)
{
	struct hw_groups ng = {0}, sg = {0}, all = {0};
	struct diffs	 d = {.out = err};
	char	       **nk = NULL, **sk = NULL, **ak = NULL;
	size_t		 i;
	int		 rc = 0;

	if (nhosts == 0) {
		if (err != NULL)
			d_sbuf_printf(err, "no hosts specified\nGive at least one host.\n");
		return -DER_INVAL;
	}
	for (i = 0; i < nhosts; i++)
		if (hosts[i].hostname == NULL || hosts[i].net == NULL || hosts[i].storage == NULL) {
			if (err != NULL)
				d_sbuf_printf(err,
					      "missing %s scan of host %s\nScan every host "
					      "before generating a configuration.\n",
					      hosts[i].net == NULL ? "network" : "storage",
					      hosts[i].hostname ? hosts[i].hostname : "(unnamed)");
			return -DER_INVAL;
		}
	D_ALLOC_ARRAY(nk, nhosts);
	D_ALLOC_ARRAY(sk, nhosts);
	D_ALLOC_ARRAY(ak, nhosts);
	if (nk == NULL || sk == NULL || ak == NULL) {
		rc = -DER_NOMEM;
		goto out;
	}
	for (i = 0; i < nhosts; i++) {
		nk[i] = net_key(hosts[i].net);
		sk[i] = storage_key(hosts[i].storage);
		ak[i] = nk[i] && sk[i] ? d_asprintf("%s--\n%s", nk[i], sk[i]) : NULL;
		if (ak[i] == NULL) {
			rc = -DER_NOMEM;
			goto out;
		}
	}
	rc = groups_build(hosts, nk, nhosts, &ng, err);
	if (rc == 0)
		rc = groups_build(hosts, sk, nhosts, &sg, err);
	if (rc == 0)
		rc = groups_build(hosts, ak, nhosts, &all, err);
	if (rc != 0)
		goto out;
	if (all.n == 1)
		goto out;

	if (ng.n > 1)
		explain("network", hosts, &ng, true, &d, err);
	if (sg.n > 1)
		explain("storage", hosts, &sg, false, &d, err);
	if (err != NULL) {
		if (d.total > d.shown)
			d_sbuf_printf(err, "  and %d more difference%s\n", d.total - d.shown,
				      d.total - d.shown == 1 ? "" : "s");
		d_sbuf_printf(err,
			      "Generate the configuration for hosts with identical hardware "
			      "(for example -l %s), or make the hardware of the other hosts "
			      "match.\n",
			      all.v[0].hosts);
	}
	rc = -DER_INVAL;
out:
	groups_fini(&ng);
	groups_fini(&sg);
	groups_fini(&all);
	for (i = 0; i < nhosts; i++) {
		if (nk)
			D_FREE(nk[i]);
		if (sk)
			D_FREE(sk[i]);
		if (ak)
			D_FREE(ak[i]);
	}
	D_FREE(nk);
	D_FREE(sk);
	D_FREE(ak);
	return rc;
}
