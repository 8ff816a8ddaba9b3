/*
 * The config generate algorithm (upstream lib/control/auto.go, facts in
 * daos-reference.md 2.4): network details by class and provider, storage
 * details by NUMA node, the engine count, SCM and SSD checks, the choice of
 * NUMA nodes, SSD balancing, per-engine storage tiers, fabric and thread
 * counts, and the global keys.  The result is written as YAML text and
 * loaded through the ordinary strict loader and validator, so a generated
 * configuration is by construction one that `config validate` accepts.
 *
 * Choice of NUMA nodes: upstream enumerates every set of NrEngines nodes
 * with SCM, scores each by the priorities of the best provider with an
 * interface on all of them, keeps the lowest score and, on equal scores, the
 * set with the larger lowest-common SSD count.  Since every interface of a
 * provider has that provider's priority, the winning score is that of the
 * best provider covering NrEngines storage nodes, and among its sets the
 * winner is the first (lowest node ids) set whose nodes all hold at least
 * the best achievable lowest-common SSD count.  That is computed directly
 * here, in linear time, with the same result as the enumeration (the unit
 * tests check both against each other).
 *
 * Hardware consistency across hosts is autocfg_hosts.c.  Nothing here scans,
 * logs or prints.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <strings.h>

#include "control/lib/autocfg/autocfg.h"

#define MAX_NUMA CTL_AUTOCFG_MAX_NUMA

static const char *const net_class_names[] = {
	[CTL_AUTOCFG_NET_BEST] = "best-available",
	[CTL_AUTOCFG_NET_ETHER] = "ethernet",
	[CTL_AUTOCFG_NET_IB] = "infiniband",
};

const char *
ctl_autocfg_net_class_name(enum ctl_autocfg_net_class c)
{
	return (unsigned)c < D_ARRAY_SIZE(net_class_names) ? net_class_names[c] : "unknown";
}

int
ctl_autocfg_net_class_parse(const char *s, enum ctl_autocfg_net_class *out, struct d_errbuf *eb)
{
	size_t i;

	for (i = 0; s != NULL && i < D_ARRAY_SIZE(net_class_names); i++)
		if (strcasecmp(s, net_class_names[i]) == 0) {
			*out = (enum ctl_autocfg_net_class)i;
			return 0;
		}
	d_errbuf_set(eb,
		     "unsupported net dev class in request: %s; use best-available, ethernet "
		     "or infiniband",
		     s ? s : "(none)");
	return -DER_INVAL;
}

void
ctl_autocfg_req_init(struct ctl_autocfg_req *req)
{
	static const char *const localhost[] = {"localhost"};

	memset(req, 0, sizeof(*req));
	req->ms_replicas = localhost;
	req->nr_ms_replicas = 1;
	req->min_ssds = 1;
	req->net_class = CTL_AUTOCFG_NET_BEST;
}

/* ---- pure helpers -------------------------------------------------------------- */

int
ctl_autocfg_thread_counts(unsigned cores_per_numa, unsigned nr_ssds, int *targets, int *helpers,
			  struct d_errbuf *eb)
{
	unsigned cores, per_ssd, tgts, hlprs = 0;

	if (cores_per_numa < 2) {
		d_errbuf_set(eb, "invalid number of cores-per-numa, want at least 2 got %u",
			     cores_per_numa);
		return -DER_INVAL;
	}
	cores = cores_per_numa - CTL_AUTOCFG_RESERVED_CORES;
	if (nr_ssds == 0) {
		tgts = cores < CTL_AUTOCFG_DEFAULT_TARGETS ? cores : CTL_AUTOCFG_DEFAULT_TARGETS;
	} else {
		/* floor(cores * 0.8 / ssds) in integers, exact where a double may not be */
		per_ssd = (cores * 4) / (nr_ssds * 5);
		if (per_ssd == 0) {
			tgts = nr_ssds < cores ? nr_ssds : cores;
		} else {
			tgts = per_ssd * nr_ssds;
			hlprs = tgts / 4;
		}
	}
	if (tgts == 0)
		tgts = 1; /* 2 cores per node: share them rather than produce an invalid config */
	*targets = (int)tgts;
	*helpers = (int)hlprs;
	return 0;
}

int
ctl_autocfg_md_split(unsigned nr_ssds, unsigned sizes[2])
{
	if (nr_ssds == 0)
		return 0;
	if (nr_ssds == 1) {
		sizes[0] = 1;
		return 1;
	}
	sizes[0] = nr_ssds < 6 ? 1 : 2;
	sizes[1] = nr_ssds - sizes[0];
	return 2;
}

/* ---- PCI addresses ----------------------------------------------------------- */

struct pci {
	unsigned long dom; /* > 0xffff: VMD backing device, domain encodes the VMD address */
	unsigned      bus, dev, fn;
};

static bool
pci_parse(const char *s, struct pci *p)
{
	char *end;

	p->dom = strtoul(s, &end, 16);
	if (end == s || *end != ':')
		return false;
	s = end + 1;
	p->bus = (unsigned)strtoul(s, &end, 16);
	if (end == s || *end != ':')
		return false;
	s = end + 1;
	p->dev = (unsigned)strtoul(s, &end, 16);
	if (end == s || *end != '.')
		return false;
	s = end + 1;
	p->fn = (unsigned)strtoul(s, &end, 16);
	return end != s && *end == '\0';
}

static int
pci_cmp(const void *a, const void *b)
{
	const char *x = *(const char *const *)a, *y = *(const char *const *)b;
	struct pci  p, q;

	if (!pci_parse(x, &p) || !pci_parse(y, &q))
		return strcmp(x, y);
	if (p.dom != q.dom)
		return p.dom < q.dom ? -1 : 1;
	if (p.bus != q.bus)
		return p.bus < q.bus ? -1 : 1;
	if (p.dev != q.dev)
		return p.dev < q.dev ? -1 : 1;
	if (p.fn != q.fn)
		return p.fn < q.fn ? -1 : 1;
	return 0;
}

static bool
pci_is_vmd_backing(const char *s)
{
	struct pci p;

	return pci_parse(s, &p) && p.dom > 0xffff;
}

/* "5d0505:01:00.0" -> "0000:5d:05.5": the VMD controller a backing device sits behind. */
static void
pci_vmd_addr(const char *s, char *buf, size_t len)
{
	struct pci p;

	pci_parse(s, &p);
	snprintf(buf, len, "0000:%02lx:%02lx.%lx", (p.dom >> 16) & 0xff, (p.dom >> 8) & 0xff,
		 p.dom & 0xff);
}

/* ---- generator state ------------------------------------------------------------- */

struct numa_dev {
	bool	     scm;  /* PMem namespace or tmpfs slot */
	const char  *pmem; /* first PMem block device (dcpm), NULL for ram */
	const char **ssds; /* PCI addresses, sorted */
	unsigned     nssds;
	unsigned     cap;
};

struct gen {
	const struct ctl_autocfg_req  *req;
	const struct ctl_net_scan     *net;
	const struct ctl_storage_scan *st;
	struct d_sbuf		      *err;
	int			       nprov;
	int			       prov_filter; /* -1: any provider */
	/* best interface per (provider priority, NUMA node) of the requested class */
	const struct ctl_fabric_iface **best;
	struct numa_dev			numa[MAX_NUMA];
	bool				ram;
	int				nr_engines;
	int				prov;		 /* chosen provider priority */
	int				nodes[MAX_NUMA]; /* chosen NUMA nodes, ascending */
	unsigned			nssds;		 /* SSDs per engine after balancing */
};

static int fail(struct gen *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Append one error (message line(s) then what to do) and return -DER_INVAL. */
static int
fail(struct gen *g, const char *fmt, ...)
{
	va_list ap;

	if (g->err != NULL) {
		va_start(ap, fmt);
		d_sbuf_vprintf(g->err, fmt, ap);
		va_end(ap);
		d_sbuf_printf(g->err, "\n");
	}
	return -DER_INVAL;
}

static const struct ctl_fabric_iface **
best_at(struct gen *g, int prov, unsigned numa)
{
	return &g->best[(size_t)prov * MAX_NUMA + numa];
}

static void
gen_fini(struct gen *g)
{
	int i;

	for (i = 0; i < MAX_NUMA; i++)
		D_FREE(g->numa[i].ssds);
	D_FREE(g->best);
}

/* Go-style "map[0:[/dev/pmem0] 1:[]]" of the SCM devices, as upstream's messages show. */
static void
scm_map_str(struct gen *g, struct d_sbuf *sb)
{
	int i, n = 0;

	d_sbuf_printf(sb, "map[");
	for (i = 0; i < MAX_NUMA; i++) {
		if (!g->numa[i].scm)
			continue;
		d_sbuf_printf(sb, "%s%d:[", n++ ? " " : "", i);
		if (g->numa[i].pmem != NULL)
			d_sbuf_printf(sb, "/dev/%s", g->numa[i].pmem);
		d_sbuf_printf(sb, "]");
	}
	d_sbuf_printf(sb, "]");
}

/* ---- steps ------------------------------------------------------------------------- */

static bool
class_ok(const struct gen *g, uint32_t cls)
{
	switch (g->req->net_class) {
	case CTL_AUTOCFG_NET_ETHER:
		return cls == CTL_NET_CLASS_ETHER;
	case CTL_AUTOCFG_NET_IB:
		return cls == CTL_NET_CLASS_INFINIBAND;
	default:
		return cls == CTL_NET_CLASS_ETHER || cls == CTL_NET_CLASS_INFINIBAND;
	}
}

static int
check_request(struct gen *g)
{
	const struct ctl_autocfg_req *req = g->req;
	size_t			      i;

	if (req->nr_ms_replicas == 0)
		return fail(g, "no MS replicas specified\nList the management service replicas "
			       "with --ms-replicas (-r) or --access-points (-a), e.g. -r wolf-71.");
	if (req->nr_engines < 0 || req->nr_engines > MAX_NUMA)
		return fail(g,
			    "invalid number of engines %d\nUse --num-engines (-e) between 0 "
			    "(one per NUMA node) and %d.",
			    req->nr_engines, MAX_NUMA);
	if (req->min_ssds < 0)
		return fail(g,
			    "invalid minimum number of SSDs %d\nUse --min-ssds (-s) 0 (no "
			    "NVMe) or more.",
			    req->min_ssds);
	if ((unsigned)req->net_class >= D_ARRAY_SIZE(net_class_names))
		return fail(g,
			    "unsupported net dev class in request: %d\nUse best-available, "
			    "ethernet or infiniband.",
			    (int)req->net_class);
	g->prov_filter = -1;
	if (req->provider != NULL && req->provider[0] != '\0' &&
	    strcasecmp(req->provider, "all") != 0) {
		g->prov_filter = ctl_net_provider_priority(req->provider);
		if (g->prov_filter < 0) {
			struct d_sbuf sb;
			int	      p;

			d_sbuf_init(&sb);
			for (p = 0; p < g->nprov; p++)
				d_sbuf_printf(&sb, "%s%s", p ? ", " : "", ctl_net_provider_name(p));
			fail(g,
			     "unsupported fabric provider \"%s\"\nUse one of %s with "
			     "--net-provider (-p), or leave it out for the best available.",
			     req->provider, sb.buf ? sb.buf : "");
			d_sbuf_fini(&sb);
			return -DER_INVAL;
		}
	}
	for (i = 0; i < req->nr_fabric_ports; i++)
		if (req->fabric_ports[i] <= 0 || req->fabric_ports[i] > 65535)
			return fail(g,
				    "invalid fabric port %lld\nGive --fabric-ports (-f) as "
				    "comma-separated port numbers between 1 and 65535, one per "
				    "engine.",
				    (long long)req->fabric_ports[i]);
	if (req->control_metadata_path != NULL && req->control_metadata_path[0] != '\0' &&
	    req->control_metadata_path[0] != '/')
		return fail(g,
			    "control metadata path \"%s\" is not absolute\nGive "
			    "--control-metadata-path (-m) as an absolute directory on persistent "
			    "storage, e.g. /var/daos/config.",
			    req->control_metadata_path);
	return 0;
}

/* Network details: per provider and NUMA node, the first interface of the wanted class. */
static int
network_details(struct gen *g)
{
	int i;

	D_ALLOC_ARRAY(g->best, (size_t)g->nprov * MAX_NUMA);
	if (g->best == NULL)
		return -DER_NOMEM;
	/* the scan is sorted by NUMA node, priority and device: first wins */
	for (i = 0; i < g->net->nifaces; i++) {
		const struct ctl_fabric_iface *f = &g->net->ifaces[i];

		if (!class_ok(g, f->net_class) || (int)f->priority >= g->nprov)
			continue;
		if (g->prov_filter >= 0 && (int)f->priority != g->prov_filter)
			continue;
		if (f->numa >= MAX_NUMA)
			return fail(g,
				    "fabric interface %s is on NUMA node %u, beyond the %d nodes "
				    "config generate handles\nWrite the configuration by hand for "
				    "this host.",
				    f->device, f->numa, MAX_NUMA);
		if (*best_at(g, (int)f->priority, f->numa) == NULL)
			*best_at(g, (int)f->priority, f->numa) = f;
	}
	return 0;
}

static int
ssd_add(struct numa_dev *n, const char *addr)
{
	if (n->nssds == n->cap) {
		unsigned     cap = n->cap ? n->cap * 2 : 4;
		const char **v = d_realloc(n->ssds, cap * sizeof(*v));

		if (v == NULL)
			return -DER_NOMEM;
		n->ssds = v;
		n->cap = cap;
	}
	n->ssds[n->nssds++] = addr;
	return 0;
}

/* Storage details: SSDs by NUMA node (controller socket), SCM by NUMA node. */
static int
storage_details(struct gen *g)
{
	const struct ctl_storage_scan *st = g->st;
	int			       i, rc;

	if (st->mem.hugepage_size_kb == 0)
		return fail(g, "requires nonzero HugepageSizeKiB: the host reports no hugepage "
			       "size\nCheck that the kernel supports hugepages (Hugepagesize in "
			       "/proc/meminfo).");
	for (i = 0; i < st->nr_ctrlrs; i++) {
		const struct ctl_nvme_ctrlr *c = &st->ctrlrs[i];

		/* an SSD of unknown affinity cannot be placed next to an engine */
		if (c->socket_id < 0)
			continue;
		if (c->socket_id >= MAX_NUMA)
			return fail(g,
				    "NVMe %s is on NUMA node %d, beyond the %d nodes config "
				    "generate handles\nWrite the configuration by hand for this "
				    "host.",
				    c->pci_addr, c->socket_id, MAX_NUMA);
		rc = ssd_add(&g->numa[c->socket_id], c->pci_addr);
		if (rc != 0)
			return rc;
	}
	for (i = 0; i < MAX_NUMA; i++)
		if (g->numa[i].nssds > 1)
			qsort(g->numa[i].ssds, g->numa[i].nssds, sizeof(char *), pci_cmp);

	if (g->req->use_tmpfs_scm) {
		if (g->net->numa_count == 0)
			return fail(g, "zero numa nodes reported on hosts\nCheck the hardware "
				       "topology (lstopo) of the hosts.");
		if (st->mem.mem_total_kb == 0)
			return fail(g, "requires nonzero MemTotalKiB: the host reports no memory "
				       "for tmpfs SCM\nCheck /proc/meminfo on the hosts.");
		for (i = 0; i < (int)g->net->numa_count && i < MAX_NUMA; i++)
			g->numa[i].scm = true;
		g->ram = true;
		return 0;
	}
	/* namespaces are sorted by block device, so the first on a node is its lowest name */
	for (i = 0; i < st->nr_namespaces; i++) {
		const struct ctl_scm_namespace *ns = &st->namespaces[i];

		if (ns->numa_node >= MAX_NUMA)
			return fail(g,
				    "PMem namespace %s is on NUMA node %u, beyond the %d nodes "
				    "config generate handles\nWrite the configuration by hand for "
				    "this host.",
				    ns->blockdev, ns->numa_node, MAX_NUMA);
		if (!g->numa[ns->numa_node].scm) {
			g->numa[ns->numa_node].scm = true;
			g->numa[ns->numa_node].pmem = ns->blockdev;
		}
	}
	return 0;
}

static int
nr_scm_nodes(const struct gen *g)
{
	int i, n = 0;

	for (i = 0; i < MAX_NUMA; i++)
		n += g->numa[i].scm;
	return n;
}

/* NrEngines, then SCM and SSD requirements (upstream checkNvmeAffinity). */
static int
storage_checks(struct gen *g)
{
	unsigned want = (unsigned)g->req->min_ssds;
	int	 i, pass = 0;

	g->nr_engines = g->req->nr_engines ? g->req->nr_engines : (int)g->net->numa_count;
	if (g->nr_engines == 0)
		return fail(g, "zero numa nodes reported on hosts\nCheck the hardware topology "
			       "(lstopo) of the hosts, or give --num-engines (-e).");
	if (nr_scm_nodes(g) < g->nr_engines) {
		struct d_sbuf sb;

		d_sbuf_init(&sb);
		scm_map_str(g, &sb);
		fail(g,
		     "insufficient number of pmem device numa groups %s, want %d got %d\nEach "
		     "engine needs SCM on its own NUMA node: create PMem namespaces with "
		     "`daos_server scm prepare`, use tmpfs with --use-tmpfs-scm (-t), or lower "
		     "--num-engines (-e).",
		     sb.buf ? sb.buf : "", g->nr_engines, nr_scm_nodes(g));
		d_sbuf_fini(&sb);
		return -DER_INVAL;
	}
	if (want == 0) {
		/* no NVMe: every SCM node gets an empty SSD list */
		for (i = 0; i < MAX_NUMA; i++)
			g->numa[i].nssds = 0;
		return 0;
	}
	for (i = 0; i < MAX_NUMA; i++)
		if (g->numa[i].scm && g->numa[i].nssds >= want)
			pass++;
	if (pass < g->nr_engines) {
		for (i = 0; i < MAX_NUMA; i++)
			if (g->numa[i].scm && g->numa[i].nssds < want)
				break;
		return fail(g,
			    "insufficient number of ssds for numa %d, want %u got %u\nEach "
			    "engine needs --min-ssds (-s) NVMe SSDs on its NUMA node: attach SSDs "
			    "there, lower --min-ssds, use --min-ssds=0 (--scm-only) for a "
			    "configuration without NVMe, or lower --num-engines (-e).",
			    i, want, g->numa[i].nssds);
	}
	for (i = 0; i < MAX_NUMA; i++)
		if (g->numa[i].scm && g->numa[i].nssds < want)
			g->numa[i].scm = false; /* cannot host an engine */
	return 0;
}

/* Interfaces of the wanted class and provider per NUMA node, for error messages. */
static void
ifaces_str(struct gen *g, struct d_sbuf *sb)
{
	int	 p, n = 0;
	unsigned numa;

	d_sbuf_printf(sb, "[");
	for (numa = 0; numa < MAX_NUMA; numa++)
		for (p = 0; p < g->nprov; p++) {
			const struct ctl_fabric_iface *f = *best_at(g, p, numa);

			if (f != NULL)
				d_sbuf_printf(sb, "%s%s (NUMA %u, %s)", n++ ? " " : "", f->device,
					      numa, f->provider);
		}
	d_sbuf_printf(sb, "]");
}

static int
choose_numa_nodes(struct gen *g)
{
	int	 k = g->nr_engines, p, i, cover, ncand = 0, max_cover = 0;
	unsigned counts[MAX_NUMA], m;

	for (p = 0; p < g->nprov; p++) {
		cover = 0;
		for (i = 0; i < MAX_NUMA; i++)
			cover += *best_at(g, p, (unsigned)i) != NULL;
		max_cover = cover > max_cover ? cover : max_cover;
	}
	if (max_cover < k) {
		struct d_sbuf sb;

		d_sbuf_init(&sb);
		ifaces_str(g, &sb);
		fail(g,
		     "insufficient matching fabric interfaces, want %d got %d %s\nEach engine "
		     "needs a fabric interface of class %s%s%s on its own NUMA node: choose "
		     "another --net-class (-c) or --net-provider (-p), or lower --num-engines "
		     "(-e).",
		     k, max_cover, sb.buf ? sb.buf : "",
		     ctl_autocfg_net_class_name(g->req->net_class),
		     g->prov_filter >= 0 ? " with provider " : "",
		     g->prov_filter >= 0 ? ctl_net_provider_name(g->prov_filter) : "");
		d_sbuf_fini(&sb);
		return -DER_INVAL;
	}

	/* the best provider (lowest priority) with an interface on k storage nodes */
	for (p = 0; p < g->nprov; p++) {
		ncand = 0;
		for (i = 0; i < MAX_NUMA; i++)
			if (g->numa[i].scm && *best_at(g, p, (unsigned)i) != NULL)
				counts[ncand++] = g->numa[i].nssds;
		if (ncand >= k)
			break;
	}
	if (p == g->nprov)
		return fail(g,
			    "none of the provider-ifaces sets match the numa node sets that "
			    "meet storage requirements\nThe NUMA nodes with the required SCM and "
			    "SSDs have no common fabric provider of class %s: choose another "
			    "--net-class (-c) or --net-provider (-p), lower --min-ssds (-s) or "
			    "--num-engines (-e).",
			    ctl_autocfg_net_class_name(g->req->net_class));
	g->prov = p;

	/* best lowest-common SSD count of a k-set: the k-th largest count */
	for (i = 1; i < ncand; i++) {
		unsigned v = counts[i];
		int	 j = i;

		for (; j > 0 && counts[j - 1] < v; j--)
			counts[j] = counts[j - 1];
		counts[j] = v;
	}
	m = counts[k - 1];
	/* first k nodes (ascending) with at least m SSDs: the first such set upstream finds */
	for (i = 0, ncand = 0; i < MAX_NUMA && ncand < k; i++)
		if (g->numa[i].scm && *best_at(g, p, (unsigned)i) != NULL && g->numa[i].nssds >= m)
			g->nodes[ncand++] = i;
	return 0;
}

/* Every engine uses the lowest common SSD count: the first N addresses in sorted order. */
static int
balance_ssds(struct gen *g)
{
	unsigned min = UINT32_MAX;
	int	 i;

	if (g->req->min_ssds == 0) {
		g->nssds = 0;
		return 0;
	}
	for (i = 0; i < g->nr_engines; i++)
		if (g->numa[g->nodes[i]].nssds < min)
			min = g->numa[g->nodes[i]].nssds;
	for (i = 0; i < g->nr_engines; i++) {
		struct numa_dev *n = &g->numa[g->nodes[i]];
		unsigned	 j;

		if (n->nssds <= min)
			continue;
		for (j = 0; j < n->nssds; j++)
			if (pci_is_vmd_backing(n->ssds[j]))
				return fail(g,
					    "different number of backing devices behind each "
					    "engine's VMD addresses (NUMA node %d has %u, the "
					    "lowest is %u)\nAssign an equal number of NVMe SSDs to "
					    "each VMD when configuring in BIOS.",
					    g->nodes[i], n->nssds, min);
		n->nssds = min;
	}
	g->nssds = min;
	return 0;
}

/* ---- YAML of the result -------------------------------------------------------------- */

static void
yq(struct d_sbuf *sb, const char *s)
{
	d_sbuf_printf(sb, "\"");
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			d_sbuf_printf(sb, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			d_sbuf_printf(sb, "\\x%02x", (unsigned char)*s);
		else
			d_sbuf_putn(sb, s, 1);
	}
	d_sbuf_printf(sb, "\"");
}

/* PCI addresses of one bdev tier; VMD backing devices become their VMD address. */
static void
bdev_list(struct d_sbuf *sb, const char **ssds, unsigned n)
{
	char	 vmd[32], prev[32] = "";
	unsigned i;

	d_sbuf_printf(sb, "      bdev_list:\n");
	for (i = 0; i < n; i++) {
		if (pci_is_vmd_backing(ssds[i])) {
			pci_vmd_addr(ssds[i], vmd, sizeof(vmd));
			if (strcmp(vmd, prev) == 0)
				continue;
			snprintf(prev, sizeof(prev), "%s", vmd);
			d_sbuf_printf(sb, "      - ");
			yq(sb, vmd);
		} else {
			d_sbuf_printf(sb, "      - ");
			yq(sb, ssds[i]);
		}
		d_sbuf_printf(sb, "\n");
	}
}

static void
engine_yaml(struct gen *g, struct d_sbuf *sb, int idx, int targets, int helpers, bool md)
{
	const struct ctl_autocfg_req  *req = g->req;
	int			       numa = g->nodes[idx];
	struct numa_dev		      *n = &g->numa[numa];
	const struct ctl_fabric_iface *f = *best_at(g, g->prov, (unsigned)numa);
	int64_t			       port;
	unsigned		       sizes[2], off = 0;
	int			       nt, t;
	char			       buf[64];

	port = req->nr_fabric_ports > 0
		       ? req->fabric_ports[idx]
		       : CTL_AUTOCFG_FABRIC_PORT + (int64_t)idx * CTL_AUTOCFG_FABRIC_PORT_STEP;
	d_sbuf_printf(sb, "- targets: %d\n  nr_xs_helpers: %d\n  pinned_numa_node: %d\n", targets,
		      helpers, numa);
	d_sbuf_printf(sb, "  provider: ");
	yq(sb, f->provider);
	d_sbuf_printf(sb, "\n  fabric_iface: ");
	yq(sb, f->device);
	d_sbuf_printf(sb, "\n  fabric_iface_port: %lld\n", (long long)port);
	snprintf(buf, sizeof(buf), "%s.%d.log", CTL_AUTOCFG_ENGINE_LOG_PREFIX, idx);
	d_sbuf_printf(sb, "  log_file: ");
	yq(sb, buf);
	d_sbuf_printf(sb, "\n  storage:\n");
	d_sbuf_printf(sb, "    - class: %s\n      scm_mount: %s%d\n", g->ram ? "ram" : "dcpm",
		      CTL_AUTOCFG_SCM_MOUNT_PREFIX, numa);
	if (!g->ram) {
		snprintf(buf, sizeof(buf), "/dev/%s", n->pmem);
		d_sbuf_printf(sb, "      scm_list:\n      - ");
		yq(sb, buf);
		d_sbuf_printf(sb, "\n");
	}
	if (g->nssds == 0)
		return;
	if (!md) {
		d_sbuf_printf(sb, "    - class: nvme\n");
		bdev_list(sb, n->ssds, g->nssds);
		return;
	}
	nt = ctl_autocfg_md_split(g->nssds, sizes);
	for (t = 0; t < nt; t++) {
		d_sbuf_printf(sb, "    - class: nvme\n");
		bdev_list(sb, n->ssds + off, sizes[t]);
		off += sizes[t];
		/* roles as upstream AssignBdevTierRoles: one tier all, two wal | meta+data */
		d_sbuf_printf(sb, "      bdev_roles: [%s]\n",
			      nt == 1  ? "wal, meta, data"
			      : t == 0 ? "wal"
				       : "meta, data");
	}
}

/* Port shared by every replica (0: none given); upstream checkReplicaPorts. */
static int
replica_port(struct gen *g, long *out)
{
	long   port = -1, v;
	size_t i;

	for (i = 0; i < g->req->nr_ms_replicas; i++) {
		const char *a = g->req->ms_replicas[i], *c;
		char	   *end;

		c = a[0] == '[' ? strstr(a, "]:") : strrchr(a, ':');
		if (c != NULL && a[0] == '[')
			c++;
		else if (c != NULL && strchr(a, ':') != c)
			c = NULL; /* bare IPv6 address: no port */
		v = 0;
		if (c != NULL) {
			errno = 0;
			v = strtol(c + 1, &end, 10);
			if (c[1] == '\0' || *end != '\0' || errno != 0 || v <= 0 || v > 65535)
				return fail(
					g,
					"invalid control port in configuration: MS replica "
					"\"%s\"\nGive replicas as host or host:port with a port "
					"between 1 and 65535.",
					a);
		}
		if (port != -1 && v != port)
			return fail(g,
				    "MS replica port numbers do not match\nGive every replica "
				    "the same port (e.g. -r wolf-71:10001,wolf-72:10001) or none "
				    "(the default 10001).");
		port = v;
	}
	*out = port;
	return 0;
}

static int
build_yaml(struct gen *g, char **out)
{
	const struct ctl_autocfg_req *req = g->req;
	struct d_errbuf		      eb;
	struct d_sbuf		      sb;
	bool			      md;
	long			      port = 0;
	size_t			      i;
	int			      targets, helpers, e, rc;

	rc = ctl_autocfg_thread_counts(g->net->cores_per_numa, g->nssds, &targets, &helpers, &eb);
	if (rc != 0)
		return fail(g,
			    "%s\nThe hosts' topology reports too few cores per NUMA node for "
			    "a DAOS engine; check it with lstopo.",
			    eb.msg);
	rc = replica_port(g, &port);
	if (rc != 0)
		return rc;
	/* Replicas without a port: the servers' own port, or the default. */
	if (port == 0 && req->control_port > 0)
		port = (long)req->control_port;
	md = req->control_metadata_path != NULL && req->control_metadata_path[0] != '\0';

	d_sbuf_init(&sb);
	d_sbuf_printf(&sb, "mgmt_svc_replicas:\n");
	for (i = 0; i < req->nr_ms_replicas; i++) {
		d_sbuf_printf(&sb, "- ");
		yq(&sb, req->ms_replicas[i]);
		d_sbuf_printf(&sb, "\n");
	}
	if (port > 0)
		d_sbuf_printf(&sb, "port: %ld\n", port);
	d_sbuf_printf(&sb, "provider: ");
	yq(&sb, ctl_net_provider_name(g->prov));
	d_sbuf_printf(&sb, "\ncontrol_log_file: %s\n", CTL_AUTOCFG_CONTROL_LOG_FILE);
	if (req->helper_log_file != NULL && req->helper_log_file[0] != '\0') {
		d_sbuf_printf(&sb, "helper_log_file: ");
		yq(&sb, req->helper_log_file);
		d_sbuf_printf(&sb, "\n");
	}
	/* control_metadata only once roles exist: an SCM-only MD request has none */
	if (md && g->nssds > 0) {
		d_sbuf_printf(&sb, "control_metadata:\n  path: ");
		yq(&sb, req->control_metadata_path);
		d_sbuf_printf(&sb, "\n");
	}
	d_sbuf_printf(&sb, "engines:\n");
	for (e = 0; e < g->nr_engines; e++)
		engine_yaml(g, &sb, e, targets, helpers, md);
	if (sb.failed) {
		d_sbuf_fini(&sb);
		return -DER_NOMEM;
	}
	*out = d_sbuf_take(&sb);
	return 0;
}

static void
diags_append(struct gen *g, const struct d_diags *dg)
{
	size_t i;

	for (i = 0; g->err != NULL && i < dg->n; i++)
		if (dg->v[i].sev == D_DIAG_ERROR)
			d_sbuf_printf(g->err, "  %s%s%s\n", dg->v[i].key ? dg->v[i].key : "",
				      dg->v[i].key ? ": " : "", dg->v[i].msg);
}

static int
load_and_validate(struct gen *g, const char *yaml, struct ctl_server_config **out)
{
	struct ctl_server_config *cfg = NULL;
	struct d_diags		  dg;
	int			  rc;

	d_diags_init(&dg, "generated configuration");
	rc = ctl_server_config_load_string("generated configuration", yaml, &cfg, &dg);
	if (rc == 0)
		rc = ctl_server_config_validate(cfg, &dg);
	if (rc == -DER_NOMEM || dg.nomem) {
		rc = -DER_NOMEM;
	} else if (rc != 0) {
		fail(g, "validating engine config: the generated configuration is not valid:");
		diags_append(g, &dg);
		if (g->err != NULL)
			d_sbuf_printf(g->err, "Correct the request (replicas, ports, paths) named "
					      "above.\n");
	}
	d_diags_fini(&dg);
	if (rc != 0) {
		ctl_server_config_destroy(cfg);
		return rc;
	}
	*out = cfg;
	return 0;
}

int
ctl_autocfg_generate(const struct ctl_autocfg_req *req, const struct ctl_autocfg_host *hosts,
		     size_t nhosts, struct ctl_server_config **out, struct d_sbuf *err)
{
	struct gen g;
	char	  *yaml = NULL;
	int	   rc;

	memset(&g, 0, sizeof(g));
	g.req = req;
	g.err = err;
	g.nprov = ctl_net_provider_count();
	rc = check_request(&g);
	if (rc != 0)
		goto out;
	rc = ctl_autocfg_check_hosts(hosts, nhosts, err);
	if (rc != 0)
		goto out;
	g.net = hosts[0].net;
	g.st = hosts[0].storage;

	rc = network_details(&g);
	if (rc == 0)
		rc = storage_details(&g);
	if (rc == 0)
		rc = storage_checks(&g);
	if (rc == 0)
		rc = choose_numa_nodes(&g);
	if (rc != 0)
		goto out;
	if (req->nr_fabric_ports > 0 && req->nr_fabric_ports < (size_t)g.nr_engines) {
		rc = fail(&g,
			  "insufficient fabric ports for nr engines, want %d got %zu\nGive one "
			  "port per engine with --fabric-ports (-f), e.g. -f 31416,32416.",
			  g.nr_engines, req->nr_fabric_ports);
		goto out;
	}
	if (req->control_metadata_path != NULL && req->control_metadata_path[0] != '\0' && !g.ram) {
		rc = fail(&g, "md-on-ssd mode is only supported with scm class ram\nAdd "
			      "--use-tmpfs-scm (-t) to put SCM on tmpfs, or leave out "
			      "--control-metadata-path (-m).");
		goto out;
	}
	rc = balance_ssds(&g);
	if (rc == 0)
		rc = build_yaml(&g, &yaml);
	if (rc == 0)
		rc = load_and_validate(&g, yaml, out);
out:
	D_FREE(yaml);
	gen_fini(&g);
	return rc;
}
