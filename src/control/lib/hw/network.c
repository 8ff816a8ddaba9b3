/*
 * Network scan (see hw.h): the backend's fabric listing (libfabric, or the
 * fixture's libfabric.txt) says which provider offers which domain; the
 * hwloc topology and <sys>/class/net turn domains into OS interfaces with
 * NUMA node and device class.  Rendering lives in net_render.c.  Nothing here opens endpoints or
 * checks link state: libfabric only offers interfaces that are usable.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "common/log.h"
#include "control/lib/hw/hw_internal.h"

struct scan_ctx {
	const struct ctl_topology *topo;
	const char		  *sys; /* "/sys" or "<root>/sys" */
	struct ctl_net_scan	  *scan;
	int			   cap;
	struct d_errbuf		  *eb;
};

static int
iface_add(struct scan_ctx *c, int prio, const char *dev, const char *dom, unsigned numa)
{
	struct ctl_net_scan	*s = c->scan;
	struct ctl_fabric_iface *fi;
	char			 path[PATH_MAX];
	int64_t			 type;
	int			 i, rc;

	for (i = 0; i < s->nifaces; i++)
		if (s->ifaces[i].priority == (unsigned)prio &&
		    strcmp(s->ifaces[i].device, dev) == 0)
			return 0;

	snprintf(path, sizeof(path), "%s/class/net/%s/type", c->sys, dev);
	rc = stg_read_i64(path, &type, NULL);
	if (rc != 0 || type < 0 || type > UINT32_MAX) {
		d_errbuf_set(c->eb, "%s: %s (expected the interface's ARPHRD number)", path,
			     rc == -DER_NONEXIST ? "missing" : "not a number");
		return rc == 0 ? -DER_INVAL : rc;
	}
	if (type == CTL_NET_CLASS_LOOPBACK)
		return 0;

	if (s->nifaces == c->cap) {
		int cap = c->cap ? c->cap * 2 : 16;

		fi = d_realloc(s->ifaces, cap * sizeof(*fi));
		if (fi == NULL)
			goto nomem;
		s->ifaces = fi;
		c->cap = cap;
	}
	fi = &s->ifaces[s->nifaces];
	memset(fi, 0, sizeof(*fi));
	D_STRDUP(fi->provider, hw_net_providers[prio].name);
	D_STRDUP(fi->device, dev);
	D_STRDUP(fi->domain, dom);
	if (fi->provider == NULL || fi->device == NULL || fi->domain == NULL) {
		D_FREE(fi->provider);
		D_FREE(fi->device);
		D_FREE(fi->domain);
		goto nomem;
	}
	fi->numa = numa;
	fi->priority = prio;
	fi->net_class = (uint32_t)type;
	s->nifaces++;
	return 0;
nomem:
	d_errbuf_set(c->eb, "out of memory while listing fabric interfaces");
	return -DER_NOMEM;
}

/*
 * Map one libfabric domain to OS interfaces and record them for provider
 * `prio`.  A domain hwloc knows as a network interface is that interface; an
 * OpenFabrics (or other) device stands for the network interfaces of its PCI
 * device; a domain hwloc does not know but /sys/class/net does is a virtual
 * interface (lo, bridges, bonds); anything else (e.g. shm's "shm") is not an
 * interface and is skipped, as upstream drops what its topology lacks.
 */
static int
domain_add(struct scan_ctx *c, int prio, const char *dom)
{
	const struct ctl_topo_osdev *od = ctl_topo_osdev_find(c->topo, dom);
	char			     path[PATH_MAX];
	struct stat		     st;
	unsigned		     i;
	int64_t			     numa;
	int			     rc = 0;

	if (od != NULL && od->type == CTL_OSDEV_NETWORK)
		return iface_add(c, prio, dom, dom, od->numa);
	if (od != NULL && od->pci >= 0) {
		for (i = 0; i < c->topo->nosdev && rc == 0; i++) {
			const struct ctl_topo_osdev *sib = &c->topo->osdev[i];

			if (sib->pci == od->pci && sib->type == CTL_OSDEV_NETWORK)
				rc = iface_add(c, prio, sib->name, dom, sib->numa);
		}
		return rc;
	}
	snprintf(path, sizeof(path), "%s/class/net/%s", c->sys, dom);
	if (strchr(dom, '/') != NULL || stat(path, &st) != 0) {
		D_DEBUG("fabric domain %s (%s) is not a network interface; skipped", dom,
			hw_net_providers[prio].name);
		return 0;
	}
	snprintf(path, sizeof(path), "%s/class/net/%s/device/numa_node", c->sys, dom);
	if (stg_read_i64(path, &numa, NULL) != 0 || numa < 0)
		numa = 0;
	return iface_add(c, prio, dom, dom, (unsigned)numa);
}

static int
cmp_iface(const void *a, const void *b)
{
	const struct ctl_fabric_iface *x = a, *y = b;

	if (x->numa != y->numa)
		return x->numa < y->numa ? -1 : 1;
	if (x->priority != y->priority)
		return x->priority < y->priority ? -1 : 1;
	return strcmp(x->device, y->device);
}

/* Fill scan->providers from the interfaces (by priority). */
static int
scan_list_providers(struct ctl_net_scan *s)
{
	bool seen[HW_NET_NPROVIDERS] = {0};
	int  i, n = 0;

	for (i = 0; i < s->nifaces; i++)
		seen[s->ifaces[i].priority] = true;
	D_ALLOC_ARRAY(s->providers, HW_NET_NPROVIDERS);
	if (s->providers == NULL)
		return -DER_NOMEM;
	for (i = 0; i < ctl_net_provider_count(); i++) {
		if (!seen[i])
			continue;
		D_STRDUP(s->providers[n], hw_net_providers[i].name);
		if (s->providers[n] == NULL)
			return -DER_NOMEM;
		n++;
		s->nproviders = n;
	}
	return 0;
}

static char *
providers_str(const struct ctl_net_scan *s)
{
	struct d_sbuf sb;
	int	      i;

	d_sbuf_init(&sb);
	for (i = 0; i < s->nproviders; i++)
		d_sbuf_printf(&sb, "%s%s", i ? ", " : "", s->providers[i]);
	if (s->nproviders == 0)
		d_sbuf_printf(&sb, "none");
	return sb.failed ? (d_sbuf_fini(&sb), NULL) : d_sbuf_take(&sb);
}

/* Keep only provider `prio`; the caller has checked it is known. */
static int
scan_filter(struct ctl_net_scan *s, int prio, const char *asked, struct d_errbuf *eb)
{
	int   i, j = 0;
	char *avail;

	for (i = 0; i < s->nifaces; i++) {
		if (s->ifaces[i].priority == (unsigned)prio) {
			s->ifaces[j++] = s->ifaces[i];
		} else {
			D_FREE(s->ifaces[i].provider);
			D_FREE(s->ifaces[i].device);
			D_FREE(s->ifaces[i].domain);
		}
	}
	if (j > 0) {
		s->nifaces = j;
		for (i = 0; i < s->nproviders; i++)
			D_FREE(s->providers[i]);
		s->nproviders = 0;
		D_FREE(s->providers);
		if (scan_list_providers(s) != 0) {
			d_errbuf_set(eb, "out of memory while listing fabric interfaces");
			return -DER_NOMEM;
		}
		return 0;
	}
	avail = providers_str(s);
	s->nifaces = 0;
	if (avail == NULL) {
		d_errbuf_set(eb, "out of memory while listing fabric interfaces");
		return -DER_NOMEM;
	}
	d_errbuf_set(eb,
		     "no fabric interfaces found with provider %s; providers available on this "
		     "host: %s (or \"all\")",
		     asked, avail);
	D_FREE(avail);
	return -DER_NONEXIST;
}

int
ctl_net_scan(const char *provider, const struct ctl_topology *topo, struct ctl_net_scan **out,
	     struct d_errbuf *eb)
{
	const struct ctl_hw_ops *hw = ctl_hw();
	struct ctl_topology	*own_topo = NULL;
	struct ctl_fabric_list	 lf = {0};
	struct scan_ctx		 c = {0};
	char			 sys[PATH_MAX];
	int			 want = -1, i, j, k, rc;

	if (provider != NULL && provider[0] != '\0' && strcasecmp(provider, "all") != 0) {
		want = ctl_net_provider_priority(provider);
		if (want < 0) {
			/* Reported after the scan, so the message can list what this host offers.
			 */
			want = -2;
		}
	}

	if (topo == NULL) {
		rc = ctl_topo_load(&own_topo, eb);
		if (rc != 0)
			return rc;
		topo = own_topo;
	}

	hw->path(CTL_HW_SYS, NULL, sys, sizeof(sys));
	rc = hw->fabric_list(&lf, eb);
	if (rc != 0)
		goto out;

	c.topo = topo;
	c.sys = sys;
	c.eb = eb;
	D_ALLOC_PTR(c.scan);
	if (c.scan == NULL) {
		rc = -DER_NOMEM;
		d_errbuf_set(eb, "out of memory while listing fabric interfaces");
		goto out;
	}
	for (i = 0; i < lf.n; i++) {
		for (j = 0; j < ctl_net_provider_count(); j++) {
			for (k = 0; k < (int)D_ARRAY_SIZE(hw_net_providers[j].lf); k++) {
				const char *name = hw_net_providers[j].lf[k];

				if (name == NULL || strcmp(name, lf.e[i].prov) != 0)
					continue;
				rc = domain_add(&c, j, lf.e[i].domain);
				if (rc != 0)
					goto out;
			}
		}
	}
	if (c.scan->nifaces > 0)
		qsort(c.scan->ifaces, c.scan->nifaces, sizeof(*c.scan->ifaces), cmp_iface);
	rc = scan_list_providers(c.scan);
	if (rc != 0) {
		d_errbuf_set(eb, "out of memory while listing fabric interfaces");
		goto out;
	}
	c.scan->numa_count = ctl_topo_numa_count(topo);
	c.scan->cores_per_numa = ctl_topo_cores_per_numa(topo);

	if (c.scan->nifaces == 0) {
		d_errbuf_set(eb,
			     "no fabric interfaces could be found: libfabric offers no provider "
			     "DAOS supports on a non-loopback interface of this host");
		rc = -DER_NONEXIST;
		goto out;
	}
	if (want == -2) {
		char *avail = providers_str(c.scan);

		if (avail == NULL) {
			d_errbuf_set(eb, "out of memory while listing fabric interfaces");
			rc = -DER_NOMEM;
			goto out;
		}
		d_errbuf_set(eb,
			     "unknown fabric provider \"%s\"; providers available on this host: %s "
			     "(or \"all\")",
			     provider, avail);
		D_FREE(avail);
		rc = -DER_INVAL;
		goto out;
	}
	if (want >= 0) {
		rc = scan_filter(c.scan, want, provider, eb);
		if (rc != 0)
			goto out;
	}
	*out = c.scan;
	c.scan = NULL;
out:
	ctl_net_scan_free(c.scan);
	ctl_fabric_list_fini(&lf);
	ctl_topo_free(own_topo);
	return rc;
}
