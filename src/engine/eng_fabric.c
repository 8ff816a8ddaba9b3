/*
 * The engine's fabric endpoint: one libfabric RDM endpoint (with its
 * address vector and completion queue) of the configured provider, bound
 * to the interface's IPv4 address and the configured port, and the URI
 * daos_server reports for the rank.  No traffic is exchanged yet.  IPv6
 * interfaces and secondary providers are not supported.
 */
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include <rdma/fabric.h>
#include <rdma/fi_cm.h>
#include <rdma/fi_domain.h>
#include <rdma/fi_endpoint.h>
#include <rdma/fi_errno.h>

#include "common/netif.h"
#include "daos/daos_errno.h"
#include "engine/engine.h"

struct eng_fabric {
	struct fi_info	  *info;
	struct fid_fabric *fabric;
	struct fid_domain *domain;
	struct fid_av	  *av;
	struct fid_cq	  *cq;
	struct fid_ep	  *ep;
	char		   uri[128];
};

const char *
eng_fabric_ofi_name(const char *provider)
{
	if (provider == NULL || strncmp(provider, "ofi+", 4) != 0 || provider[4] == '\0')
		return NULL;
	return provider + 4;
}

static int
iface_ipv4(const char *iface, struct in_addr *out, struct d_errbuf *eb)
{
	int rc = d_netif_ipv4(iface, out, eb);

	if (rc == -DER_INVAL)
		d_errbuf_set(
			eb,
			"fabric interface \"%s\" (D_INTERFACE) has no IPv4 address; assign one "
			"or choose another fabric_iface",
			iface);
	else if (rc == -DER_NONEXIST)
		d_errbuf_set(eb,
			     "fabric interface \"%s\" (D_INTERFACE) does not exist on this host; "
			     "check fabric_iface (see daos_server network scan)",
			     iface);
	return rc == 0 ? 0 : rc == -DER_NONEXIST ? -DER_INVAL : rc;
}

/* fi_getinfo for one libfabric provider name; NULL info when it offers nothing. */
static int
get_info(const char *prov, struct sockaddr_in *sin, struct fi_info **info)
{
	struct fi_info *hints;
	int		rc;

	hints = fi_allocinfo();
	if (hints == NULL)
		return -FI_ENOMEM;
	hints->ep_attr->type = FI_EP_RDM;
	hints->caps = FI_MSG;
	hints->mode = FI_CONTEXT | FI_CONTEXT2;
	hints->addr_format = FI_SOCKADDR_IN;
	D_STRDUP(hints->fabric_attr->prov_name, prov);
	D_ALLOC(hints->src_addr, sizeof(*sin));
	if (hints->fabric_attr->prov_name == NULL || hints->src_addr == NULL) {
		fi_freeinfo(hints);
		return -FI_ENOMEM;
	}
	memcpy(hints->src_addr, sin, sizeof(*sin));
	hints->src_addrlen = sizeof(*sin);
	rc = fi_getinfo(FI_VERSION(1, 11), NULL, NULL, 0, hints, info);
	fi_freeinfo(hints);
	return rc;
}

int
eng_fabric_open(const char *provider, const char *iface, uint32_t port, struct eng_fabric **out,
		struct d_errbuf *eb)
{
	struct eng_fabric *f;
	struct sockaddr_in sin = {.sin_family = AF_INET};
	struct sockaddr_in name;
	size_t		   namelen = sizeof(name);
	struct fi_av_attr  av_attr = {.type = FI_AV_TABLE};
	struct fi_cq_attr  cq_attr = {.format = FI_CQ_FORMAT_MSG};
	const char	  *ofi = eng_fabric_ofi_name(provider);
	char		   ip[INET_ADDRSTRLEN], alt[64];
	const char	  *step;
	int		   rc;

	if (ofi == NULL) {
		d_errbuf_set(eb,
			     "unsupported fabric provider \"%s\" (D_PROVIDER): this daos_engine "
			     "supports libfabric providers (ofi+tcp, ofi+sockets, "
			     "ofi+verbs;ofi_rxm, ...)",
			     provider);
		return -DER_INVAL;
	}
	rc = iface_ipv4(iface, &sin.sin_addr, eb);
	if (rc)
		return rc;
	sin.sin_port = htons((uint16_t)port);
	D_ALLOC_PTR(f);
	if (f == NULL)
		return -DER_NOMEM;
	rc = get_info(ofi, &sin, &f->info);
	if (rc == -FI_ENODATA && strchr(ofi, ';') == NULL) {
		/* core providers without native RDM endpoints run under ofi_rxm */
		snprintf(alt, sizeof(alt), "%s;ofi_rxm", ofi);
		rc = get_info(alt, &sin, &f->info);
	}
	inet_ntop(AF_INET, &sin.sin_addr, ip, sizeof(ip));
	if (rc == -FI_ENODATA) {
		d_errbuf_set(eb,
			     "fabric provider \"%s\" (D_PROVIDER) is not available on interface "
			     "\"%s\" (%s): libfabric offers no such RDM endpoint; check provider "
			     "and fabric_iface (fi_info -l lists the providers)",
			     provider, iface, ip);
		rc = -DER_NONEXIST;
		goto err;
	}
	step = "fi_getinfo";
	if (rc)
		goto fi_err;
	step = "fi_fabric";
	rc = fi_fabric(f->info->fabric_attr, &f->fabric, NULL);
	if (rc)
		goto fi_err;
	step = "fi_domain";
	rc = fi_domain(f->fabric, f->info, &f->domain, NULL);
	if (rc)
		goto fi_err;
	step = "fi_av_open";
	rc = fi_av_open(f->domain, &av_attr, &f->av, NULL);
	if (rc)
		goto fi_err;
	step = "fi_cq_open";
	rc = fi_cq_open(f->domain, &cq_attr, &f->cq, NULL);
	if (rc)
		goto fi_err;
	step = "fi_endpoint";
	rc = fi_endpoint(f->domain, f->info, &f->ep, NULL);
	if (rc)
		goto fi_err;
	step = "fi_ep_bind";
	rc = fi_ep_bind(f->ep, &f->av->fid, 0);
	if (rc == 0)
		rc = fi_ep_bind(f->ep, &f->cq->fid, FI_TRANSMIT | FI_RECV);
	if (rc)
		goto fi_err;
	step = "fi_enable";
	rc = fi_enable(f->ep);
	if (rc)
		goto fi_err;
	step = "fi_getname";
	rc = fi_getname(&f->ep->fid, &name, &namelen);
	if (rc)
		goto fi_err;
	/* the bound address tells the port actually used (port 0: any) */
	if (namelen >= sizeof(name) && name.sin_family == AF_INET)
		sin = name;
	inet_ntop(AF_INET, &sin.sin_addr, ip, sizeof(ip));
	snprintf(f->uri, sizeof(f->uri), "%s://%s:%u", provider, ip, ntohs(sin.sin_port));
	*out = f;
	return 0;
fi_err:
	d_errbuf_set(eb, "cannot open a %s endpoint on %s (%s) port %u: %s failed: %s", provider,
		     iface, ip, port, step, fi_strerror(-rc));
	rc = rc == -FI_EADDRINUSE ? -DER_BUSY : -DER_HG;
err:
	eng_fabric_close(f);
	return rc;
}

const char *
eng_fabric_uri(const struct eng_fabric *f)
{
	return f->uri;
}

const char *
eng_fabric_prov_name(const struct eng_fabric *f)
{
	return f->info->fabric_attr->prov_name;
}

void
eng_fabric_close(struct eng_fabric *f)
{
	if (f == NULL)
		return;
	if (f->ep)
		fi_close(&f->ep->fid);
	if (f->cq)
		fi_close(&f->cq->fid);
	if (f->av)
		fi_close(&f->av->fid);
	if (f->domain)
		fi_close(&f->domain->fid);
	if (f->fabric)
		fi_close(&f->fabric->fid);
	if (f->info)
		fi_freeinfo(f->info);
	D_FREE(f);
}
