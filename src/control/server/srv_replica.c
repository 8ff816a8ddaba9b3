/*
 * Is this daos_server one of the management-service replicas of its
 * configuration?  A `mgmt_svc_replicas` entry ("host:port", ports filled
 * in by validation) names this server when its port is our `port` and its
 * host resolves to an address of one of this host's interfaces (loopback
 * included, so "localhost:10001" names a single-host system).  Comparing the
 * port too lets several daemons share one machine in tests.
 *
 * Name resolution is done on every call: a replica list may name hosts
 * whose addresses change, and the callers ask rarely.
 */
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "control/server/srv_internal.h"

static bool
same_addr(const struct sockaddr *a, const struct sockaddr *b)
{
	if (a->sa_family != b->sa_family)
		return false;
	if (a->sa_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)b)->sin_addr.s_addr;
	if (a->sa_family == AF_INET6)
		return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
			      &((const struct sockaddr_in6 *)b)->sin6_addr,
			      sizeof(struct in6_addr)) == 0;
	return false;
}

static bool
host_is_local(const char *host, const struct ifaddrs *ifa)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res, *r;
	bool		local = false;

	if (getaddrinfo(host, NULL, &hints, &res) != 0)
		return false;
	for (r = res; r != NULL && !local; r = r->ai_next)
		for (const struct ifaddrs *i = ifa; i != NULL && !local; i = i->ifa_next)
			if (i->ifa_addr != NULL && same_addr(r->ai_addr, i->ifa_addr))
				local = true;
	freeaddrinfo(res);
	return local;
}

int
srv_replica_index(const struct ctl_server_config *cfg)
{
	struct ifaddrs *ifa;
	int		idx = -1;

	if (getifaddrs(&ifa) != 0)
		return -1;
	for (size_t i = 0; i < cfg->mgmt_svc_replicas.n && idx < 0; i++) {
		char	 host[256];
		uint16_t port;

		if (ctl_addr_split(cfg->mgmt_svc_replicas.v[i], host, sizeof(host), &port) != 0)
			continue;
		if ((int64_t)port == cfg->port && host_is_local(host, ifa))
			idx = (int)i;
	}
	freeifaddrs(ifa);
	return idx;
}
