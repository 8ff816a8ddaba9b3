/*
 * Network scan (see hw.h): libfabric (or the fixture's libfabric.txt)
 * says which provider offers which domain; the hwloc topology and
 * /sys/class/net turn domains into OS interfaces with NUMA node and device
 * class.  Rendering lives in net_render.c.  Nothing here opens endpoints or
 * checks link state: libfabric only offers interfaces that are usable.
 */
#include <ctype.h>
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <rdma/fabric.h>

#include "common/log.h"
#include "control/lib/hw/hw_internal.h"

/* One (libfabric provider, domain) pair as fi_getinfo reports it. */
struct lf_entry {
	char *prov;
	char *domain;
};

struct lf_list {
	int		 n;
	int		 cap;
	struct lf_entry *e;
};

static void
lf_list_fini(struct lf_list *l)
{
	int i;

	for (i = 0; i < l->n; i++) {
		D_FREE(l->e[i].prov);
		D_FREE(l->e[i].domain);
	}
	D_FREE(l->e);
	l->n = l->cap = 0;
}

static int
lf_list_add(struct lf_list *l, const char *prov, size_t plen, const char *dom, size_t dlen)
{
	int i;

	for (i = 0; i < l->n; i++)
		if (strlen(l->e[i].prov) == plen && strncmp(l->e[i].prov, prov, plen) == 0 &&
		    strlen(l->e[i].domain) == dlen && strncmp(l->e[i].domain, dom, dlen) == 0)
			return 0;
	if (l->n == l->cap) {
		int		 cap = l->cap ? l->cap * 2 : 16;
		struct lf_entry *e = d_realloc(l->e, cap * sizeof(*e));

		if (e == NULL)
			return -DER_NOMEM;
		l->e = e;
		l->cap = cap;
	}
	D_STRNDUP(l->e[l->n].prov, prov, plen);
	D_STRNDUP(l->e[l->n].domain, dom, dlen);
	if (l->e[l->n].prov == NULL || l->e[l->n].domain == NULL) {
		D_FREE(l->e[l->n].prov);
		D_FREE(l->e[l->n].domain);
		return -DER_NOMEM;
	}
	l->n++;
	return 0;
}

/*
 * libfabric is loaded only when the real machine is scanned: loading it pulls
 * in provider libraries whose constructors take a noticeable time (PSM's
 * sleeps for ~0.2 s), which every daos_server command would otherwise pay.
 */
struct lf_api {
	int (*getinfo)(uint32_t, const char *, const char *, uint64_t, const struct fi_info *,
		       struct fi_info **);
	void (*freeinfo)(struct fi_info *);
	struct fi_info *(*dupinfo)(const struct fi_info *);
	const char *(*strerror)(int);
};

/* Ask libfabric what a Mercury-style data plane could open: RDM endpoints with messages and RMA. */
static int
lf_query(struct lf_list *l, struct d_errbuf *eb)
{
	struct fi_info *hints = NULL, *info = NULL, *cur;
	struct lf_api	api;
	void	       *dl;
	int		rc;

	/* Never unmapped: libfabric keeps provider state in globals until exit. */
	dl = dlopen("libfabric.so.1", RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
	if (dl == NULL) {
		d_errbuf_set(eb,
			     "cannot load libfabric (%s); install libfabric to scan fabric "
			     "interfaces",
			     dlerror());
		return -DER_NOSYS;
	}
	*(void **)&api.getinfo = dlsym(dl, "fi_getinfo");
	*(void **)&api.freeinfo = dlsym(dl, "fi_freeinfo");
	*(void **)&api.dupinfo = dlsym(dl, "fi_dupinfo");
	*(void **)&api.strerror = dlsym(dl, "fi_strerror");
	if (api.getinfo == NULL || api.freeinfo == NULL || api.dupinfo == NULL ||
	    api.strerror == NULL) {
		d_errbuf_set(eb,
			     "libfabric.so.1 lacks fi_getinfo/fi_freeinfo/fi_dupinfo/fi_strerror; "
			     "install libfabric 1.9 or later");
		rc = -DER_NOSYS;
		goto out;
	}

	hints = api.dupinfo(NULL);
	if (hints == NULL) {
		d_errbuf_set(eb, "libfabric: out of memory");
		rc = -DER_NOMEM;
		goto out;
	}
	hints->ep_attr->type = FI_EP_RDM;
	hints->caps = FI_MSG | FI_RMA;
	hints->mode = FI_CONTEXT | FI_ASYNC_IOV;
	/* Without these memory-registration modes verbs would not be offered. */
	hints->domain_attr->mr_mode =
		FI_MR_VIRT_ADDR | FI_MR_ALLOCATED | FI_MR_PROV_KEY | FI_MR_LOCAL | FI_MR_ENDPOINT;

	rc = api.getinfo(FI_VERSION(1, 9), NULL, NULL, 0, hints, &info);
	if (rc == -FI_ENODATA) {
		rc = 0;
		goto out;
	}
	if (rc != 0) {
		d_errbuf_set(eb, "libfabric fi_getinfo failed: %s", api.strerror(-rc));
		rc = -DER_MISC;
		goto out;
	}
	for (cur = info; cur != NULL && rc == 0; cur = cur->next) {
		const char *p = cur->fabric_attr ? cur->fabric_attr->prov_name : NULL;
		const char *d = cur->domain_attr ? cur->domain_attr->name : NULL;

		if (p != NULL && d != NULL)
			rc = lf_list_add(l, p, strlen(p), d, strlen(d));
	}
	if (rc != 0)
		d_errbuf_set(eb, "out of memory while listing fabric interfaces");
out:
	if (info != NULL)
		api.freeinfo(info);
	if (hints != NULL)
		api.freeinfo(hints);
	dlclose(dl);
	return rc;
}

/* The fixture's stand-in for fi_getinfo: "<libfabric provider> <domain>" per line, '#' comments. */
static int
lf_read_fixture(const char *path, struct lf_list *l, struct d_errbuf *eb)
{
	FILE  *f;
	char  *line = NULL;
	size_t cap = 0;
	int    lineno = 0, rc = 0;

	f = fopen(path, "re");
	if (f == NULL) {
		int err = errno;

		d_errbuf_set(eb,
			     "hardware fixture %s: cannot open: %s (list what libfabric offers, "
			     "one \"<provider> <domain>\" per line; see tests/fixtures/README.md)",
			     path, strerror(err));
		return err == ENOENT ? -DER_NONEXIST : -DER_INVAL;
	}
	while (rc == 0 && getline(&line, &cap, f) >= 0) {
		const char *p = line, *pe, *d, *de, *rest;

		lineno++;
		while (isspace((unsigned char)*p))
			p++;
		if (*p == '\0' || *p == '#')
			continue;
		for (pe = p; *pe && !isspace((unsigned char)*pe); pe++)
			;
		for (d = pe; isspace((unsigned char)*d); d++)
			;
		for (de = d; *de && !isspace((unsigned char)*de); de++)
			;
		for (rest = de; isspace((unsigned char)*rest); rest++)
			;
		if (d == de || (*rest != '\0' && *rest != '#')) {
			char *nl = strchr(line, '\n');

			if (nl != NULL)
				*nl = '\0';
			d_errbuf_set(
				eb, "%s:%d: expected \"<libfabric provider> <domain>\", got \"%s\"",
				path, lineno, line);
			rc = -DER_INVAL;
			break;
		}
		rc = lf_list_add(l, p, pe - p, d, de - d);
		if (rc != 0)
			d_errbuf_set(eb, "out of memory reading %s", path);
	}
	free(line);
	fclose(f);
	return rc;
}

/* Read a small integer file such as /sys/class/net/eth0/type. */
static int
read_long(const char *path, long *val)
{
	FILE *f = fopen(path, "re");
	char  buf[64], *end;
	long  v;

	if (f == NULL)
		return errno == ENOENT ? -DER_NONEXIST : -DER_IO;
	if (fgets(buf, sizeof(buf), f) == NULL) {
		fclose(f);
		return -DER_INVAL;
	}
	fclose(f);
	errno = 0;
	v = strtol(buf, &end, 10);
	if (errno != 0 || end == buf)
		return -DER_INVAL;
	while (isspace((unsigned char)*end))
		end++;
	if (*end != '\0')
		return -DER_INVAL;
	*val = v;
	return 0;
}

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
	long			 type;
	int			 i, rc;

	for (i = 0; i < s->nifaces; i++)
		if (s->ifaces[i].priority == (unsigned)prio &&
		    strcmp(s->ifaces[i].device, dev) == 0)
			return 0;

	snprintf(path, sizeof(path), "%s/class/net/%s/type", c->sys, dev);
	rc = read_long(path, &type);
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
	long			     numa;
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
	if (read_long(path, &numa) != 0 || numa < 0)
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
	free(avail);
	return -DER_NONEXIST;
}

int
ctl_net_scan(const char *provider, const struct ctl_topology *topo, struct ctl_net_scan **out,
	     struct d_errbuf *eb)
{
	struct ctl_topology *own_topo = NULL;
	struct lf_list	     lf = {0};
	struct scan_ctx	     c = {0};
	char		     sys[PATH_MAX], path[PATH_MAX];
	int		     want = -1, i, j, k, rc;

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

	if (ctl_hw_path(path, sizeof(path), "libfabric.txt") != NULL) {
		ctl_hw_path(sys, sizeof(sys), "sys");
		rc = lf_read_fixture(path, &lf, eb);
	} else {
		snprintf(sys, sizeof(sys), "/sys");
		rc = lf_query(&lf, eb);
	}
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
		free(avail);
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
	lf_list_fini(&lf);
	ctl_topo_free(own_topo);
	return rc;
}
