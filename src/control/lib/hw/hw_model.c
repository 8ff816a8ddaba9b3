/*
 * What hardware discovery returns, as data (hw.h): the DAOS provider table,
 * device class names, freeing and digesting scan results, the fabric
 * listing backends fill, and the pure parsers of /proc/meminfo, PCI
 * addresses and PCI link speeds.  Nothing here reads the
 * machine or calls hwloc, libfabric or libndctl, so a remote client (dmg)
 * links this file alone to hold the scans servers send it.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/lib/hw/hw_internal.h"

char *
stg_trim(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

/*
 * DAOS provider -> the libfabric provider names (fi_info's fabric_attr->
 * prov_name) that deliver it.  `ofi+tcp` is served by libfabric's RDM tcp
 * provider (libfabric >= 1.18) or, before that, by tcp under rxm: the data
 * plane uses whichever is present (ARCHITECTURE.md).
 */
const struct hw_net_provider hw_net_providers[HW_NET_NPROVIDERS] = {
	{"ofi+verbs;ofi_rxm", "ofi+verbs", {"verbs;ofi_rxm"}},
	{"ofi+tcp", NULL, {"tcp", "tcp;ofi_rxm"}},
	{"ofi+tcp;ofi_rxm", NULL, {"tcp;ofi_rxm"}},
	{"ofi+cxi", NULL, {"cxi"}},
	{"ofi+opx", NULL, {"opx"}},
	{"ofi+sockets", NULL, {"sockets"}},
};

int
ctl_net_provider_count(void)
{
	return (int)HW_NET_NPROVIDERS;
}

const char *
ctl_net_provider_name(int priority)
{
	if (priority < 0 || priority >= ctl_net_provider_count())
		return NULL;
	return hw_net_providers[priority].name;
}

int
ctl_net_provider_priority(const char *name)
{
	int i;

	if (name == NULL)
		return -1;
	for (i = 0; i < ctl_net_provider_count(); i++)
		if (strcmp(name, hw_net_providers[i].name) == 0 ||
		    (hw_net_providers[i].alias != NULL &&
		     strcmp(name, hw_net_providers[i].alias) == 0))
			return i;
	return -1;
}

const char *
ctl_net_class_str(uint32_t net_class, char *buf, size_t len)
{
	switch (net_class) {
	case CTL_NET_CLASS_ETHER:
		snprintf(buf, len, "ETHER");
		break;
	case CTL_NET_CLASS_INFINIBAND:
		snprintf(buf, len, "INFINIBAND");
		break;
	case CTL_NET_CLASS_LOOPBACK:
		snprintf(buf, len, "LOOPBACK");
		break;
	default:
		snprintf(buf, len, "UNKNOWN (0x%x)", net_class);
		break;
	}
	return buf;
}

void
ctl_net_scan_free(struct ctl_net_scan *scan)
{
	int i;

	if (scan == NULL)
		return;
	for (i = 0; i < scan->nifaces; i++) {
		D_FREE(scan->ifaces[i].provider);
		D_FREE(scan->ifaces[i].device);
		D_FREE(scan->ifaces[i].domain);
	}
	D_FREE(scan->ifaces);
	for (i = 0; i < scan->nproviders; i++)
		D_FREE(scan->providers[i]);
	D_FREE(scan->providers);
	D_FREE(scan);
}

char *
ctl_net_scan_ifaces_str(const struct ctl_net_scan *scan, unsigned numa, const char *provider)
{
	struct d_sbuf sb;
	int	      i, n = 0;

	d_sbuf_init(&sb);
	for (i = 0; i < scan->nifaces; i++) {
		const struct ctl_fabric_iface *fi = &scan->ifaces[i];

		if (fi->numa == numa && strcmp(fi->provider, provider) == 0)
			d_sbuf_printf(&sb, "%s%s", n++ ? ", " : "", fi->device);
	}
	if (sb.failed) {
		d_sbuf_fini(&sb);
		return NULL;
	}
	return d_sbuf_take(&sb);
}

static uint64_t
fnv1a(uint64_t h, const void *data, size_t len)
{
	const unsigned char *p = data;

	while (len-- > 0) {
		h ^= *p++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

uint64_t
ctl_net_scan_key(const struct ctl_net_scan *scan)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	uint32_t v[4];
	int	 i;

	/* ifaces are kept sorted, so equal content hashes equally whatever the discovery order. */
	for (i = 0; i < scan->nifaces; i++) {
		const struct ctl_fabric_iface *fi = &scan->ifaces[i];

		h = fnv1a(h, fi->provider, strlen(fi->provider) + 1);
		h = fnv1a(h, fi->device, strlen(fi->device) + 1);
		v[0] = fi->numa;
		v[1] = fi->priority;
		v[2] = fi->net_class;
		h = fnv1a(h, v, 3 * sizeof(v[0]));
	}
	v[0] = scan->numa_count;
	v[1] = scan->cores_per_numa;
	return fnv1a(h, v, 2 * sizeof(v[0]));
}

uint64_t
ctl_nvme_ctrlr_capacity(const struct ctl_nvme_ctrlr *c)
{
	uint64_t total = 0;
	int	 i;

	for (i = 0; c != NULL && i < c->nr_ns; i++)
		total += c->ns[i].size;
	return total;
}

void
ctl_storage_scan_free(struct ctl_storage_scan *scan)
{
	int i;

	if (scan == NULL)
		return;
	for (i = 0; i < scan->nr_ctrlrs; i++) {
		D_FREE(scan->ctrlrs[i].ns);
		D_FREE(scan->ctrlrs[i].health);
		D_FREE(scan->ctrlrs[i].info);
	}
	D_FREE(scan->ctrlrs);
	D_FREE(scan->modules);
	D_FREE(scan->regions);
	D_FREE(scan->namespaces);
	D_FREE(scan);
}

/* /proc/meminfo keys we keep, with where they go. */
static uint64_t *
meminfo_field(struct ctl_meminfo *mi, const char *key)
{
	static const struct {
		const char *key;
		size_t	    off;
	} map[] = {
		{"MemTotal", offsetof(struct ctl_meminfo, mem_total_kb)},
		{"MemFree", offsetof(struct ctl_meminfo, mem_free_kb)},
		{"MemAvailable", offsetof(struct ctl_meminfo, mem_available_kb)},
		{"HugePages_Total", offsetof(struct ctl_meminfo, hugepages_total)},
		{"HugePages_Free", offsetof(struct ctl_meminfo, hugepages_free)},
		{"HugePages_Rsvd", offsetof(struct ctl_meminfo, hugepages_rsvd)},
		{"HugePages_Surp", offsetof(struct ctl_meminfo, hugepages_surp)},
		{"Hugepagesize", offsetof(struct ctl_meminfo, hugepage_size_kb)},
	};
	size_t i;

	for (i = 0; i < D_ARRAY_SIZE(map); i++)
		if (strcmp(map[i].key, key) == 0)
			return (uint64_t *)((char *)mi + map[i].off);
	return NULL;
}

int
ctl_meminfo_parse(const char *text, const char *where, struct ctl_meminfo *mi, struct d_errbuf *eb)
{
	struct ctl_meminfo tmp = {0};
	const char	  *p = text;
	int		   lineno = 0;
	bool		   seen_total = false;

	while (*p != '\0') {
		char	    line[256];
		const char *nl = strchr(p, '\n');
		size_t	    n = nl != NULL ? (size_t)(nl - p) : strlen(p);
		char	   *colon, *val, *unit;
		uint64_t   *field;
		uint64_t    v;

		lineno++;
		snprintf(line, sizeof(line), "%.*s", (int)(n < sizeof(line) ? n : sizeof(line) - 1),
			 p);
		p += n + (nl != NULL ? 1 : 0);
		if (stg_trim(line)[0] == '\0')
			continue;
		colon = strchr(line, ':');
		if (colon == NULL) {
			d_errbuf_set(eb, "%s:%d: expected \"Key: value\", got \"%s\"", where,
				     lineno, line);
			return -DER_INVAL;
		}
		*colon = '\0';
		field = meminfo_field(&tmp, stg_trim(line));
		if (field == NULL)
			continue;
		val = stg_trim(colon + 1);
		unit = strchr(val, ' ');
		if (unit != NULL) {
			*unit++ = '\0';
			unit = stg_trim(unit);
			if (strcmp(unit, "kB") != 0) {
				d_errbuf_set(eb, "%s:%d: %s: unexpected unit \"%s\" (expected kB)",
					     where, lineno, line, unit);
				return -DER_INVAL;
			}
		}
		if (d_parse_u64(val, &v) != 0) {
			d_errbuf_set(eb, "%s:%d: %s: expected a number, got \"%s\"", where, lineno,
				     line, val);
			return -DER_INVAL;
		}
		*field = v;
		if (strcmp(line, "MemTotal") == 0)
			seen_total = true;
	}
	if (!seen_total) {
		d_errbuf_set(eb, "%s: no MemTotal line; is this a /proc/meminfo file?", where);
		return -DER_INVAL;
	}
	*mi = tmp;
	return 0;
}

double
ctl_pci_link_speed_parse(const char *s)
{
	char  *end;
	double v;

	v = strtod(s, &end);
	if (end == s)
		return 0;
	while (*end == ' ')
		end++;
	if (strncmp(end, "GT/s", 4) == 0)
		return v * 1e9;
	if (strncmp(end, "MT/s", 4) == 0)
		return v * 1e6;
	return 0;
}

bool
ctl_pci_addr_valid(const char *s)
{
	static const char pat[] = "xxxx:xx:xx.x";
	size_t		  i;

	if (strlen(s) != sizeof(pat) - 1)
		return false;
	for (i = 0; i < sizeof(pat) - 1; i++) {
		if (pat[i] == 'x') {
			if (!isxdigit((unsigned char)s[i]) || isupper((unsigned char)s[i]))
				return false;
		} else if (s[i] != pat[i]) {
			return false;
		}
	}
	/* PCI function numbers are 0-7. */
	return s[11] >= '0' && s[11] <= '7';
}

void
ctl_fabric_list_fini(struct ctl_fabric_list *l)
{
	int i;

	for (i = 0; i < l->n; i++) {
		D_FREE(l->e[i].prov);
		D_FREE(l->e[i].domain);
	}
	D_FREE(l->e);
	l->n = l->cap = 0;
}

int
hw_fabric_list_add(struct ctl_fabric_list *l, const char *prov, size_t plen, const char *dom,
		   size_t dlen)
{
	int i;

	for (i = 0; i < l->n; i++)
		if (strlen(l->e[i].prov) == plen && strncmp(l->e[i].prov, prov, plen) == 0 &&
		    strlen(l->e[i].domain) == dlen && strncmp(l->e[i].domain, dom, dlen) == 0)
			return 0;
	if (l->n == l->cap) {
		int			  cap = l->cap ? l->cap * 2 : 16;
		struct ctl_fabric_domain *e = d_realloc(l->e, cap * sizeof(*e));

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
