/*
 * Local network interfaces (netif.c): the IPv4 address of an interface by
 * name, for daos_server's control_iface and the engine's fabric_iface.  Never
 * logs; callers say what the interface was for.
 */
#ifndef DAOS_COMMON_NETIF_H
#define DAOS_COMMON_NETIF_H

#include <netinet/in.h>

#include "common/common.h"

/*
 * First IPv4 address of interface `iface` into *out.  -DER_NONEXIST when no
 * interface has that name, -DER_INVAL when it has no IPv4 address (tell them
 * apart to say which), or the errno of getifaddrs() converted (eb says so).
 * *out is written only on success.
 */
int d_netif_ipv4(const char *iface, struct in_addr *out, struct d_errbuf *eb);

#endif /* DAOS_COMMON_NETIF_H */
