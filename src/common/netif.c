/*
 * Local network interface lookups (netif.h).
 */
#include <errno.h>
#include <ifaddrs.h>
#include <string.h>

#include "common/netif.h"

int
d_netif_ipv4(const char *iface, struct in_addr *out, struct d_errbuf *eb)
{
	struct ifaddrs *ifa, *i;
	int		rc = -DER_NONEXIST;

	if (getifaddrs(&ifa) != 0) {
		rc = d_errno2der(errno);
		d_errbuf_set(eb, "cannot list network interfaces: %s", strerror(errno));
		return rc;
	}
	for (i = ifa; i != NULL; i = i->ifa_next) {
		if (strcmp(i->ifa_name, iface) != 0)
			continue;
		rc = -DER_INVAL;
		if (i->ifa_addr != NULL && i->ifa_addr->sa_family == AF_INET) {
			*out = ((struct sockaddr_in *)i->ifa_addr)->sin_addr;
			rc = 0;
			break;
		}
	}
	freeifaddrs(ifa);
	return rc;
}
