/*
 * Which members a `dmg system` request is about (srv_mgmt.h): rank-set and
 * host-set filters, a state mask, and the requested ranks and hosts that
 * match no member (reported back as absentRanks / absentHosts).  Host
 * names are resolved with getaddrinfo() only when the name itself matches
 * no member's control address.  No locking: the caller holds the MS lock.
 */
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "common/hostlist.h"
#include "control/server/srv_mgmt.h"

/* Split "host[:port]" / "[v6]:port" into host and port (0 when none). */
static void
split_host(const char *s, char *host, size_t len, unsigned *port)
{
	const char *colon = strrchr(s, ':');
	const char *h = s;
	size_t	    hl;
	char	   *end;

	*port = 0;
	if (s[0] == '[') {
		const char *rb = strchr(s, ']');

		h = s + 1;
		hl = rb != NULL ? (size_t)(rb - h) : strlen(h);
		if (rb != NULL && rb[1] == ':')
			*port = (unsigned)strtoul(rb + 2, NULL, 10);
	} else if (colon != NULL && strchr(s, ':') == colon) {
		unsigned long p = strtoul(colon + 1, &end, 10);

		hl = (size_t)(colon - s);
		if (*end == '\0' && colon[1] != '\0' && p > 0 && p <= 65535)
			*port = (unsigned)p;
		else
			hl = strlen(s);
	} else {
		hl = strlen(s);
	}
	if (hl >= len)
		hl = len - 1;
	memcpy(host, h, hl);
	host[hl] = '\0';
}

static bool
member_on(const struct ctl_member *mb, const char *host, unsigned port)
{
	char	 mh[256];
	unsigned mp;

	split_host(mb->addr, mh, sizeof(mh), &mp);
	return strcmp(mh, host) == 0 && (port == 0 || port == mp);
}

struct host_walk {
	const struct ctl_membership *m;
	const struct ctl_member	   **all;
	size_t			     nall;
	bool			    *hit; /* per member of `all` */
	struct d_hostset	    *absent;
	int			     rc;
};

static int
match_host(const char *entry, void *arg)
{
	struct host_walk *w = arg;
	struct addrinfo	  hints = {.ai_socktype = SOCK_STREAM}, *res = NULL, *r;
	char		  host[256];
	unsigned	  port;
	bool		  found = false;

	split_host(entry, host, sizeof(host), &port);
	for (size_t i = 0; i < w->nall; i++)
		if (member_on(w->all[i], host, port)) {
			w->hit[i] = true;
			found = true;
		}
	if (!found && getaddrinfo(host, NULL, &hints, &res) == 0) {
		for (r = res; r != NULL; r = r->ai_next) {
			char num[NI_MAXHOST];

			if (getnameinfo(r->ai_addr, r->ai_addrlen, num, sizeof(num), NULL, 0,
					NI_NUMERICHOST) != 0)
				continue;
			for (size_t i = 0; i < w->nall; i++)
				if (member_on(w->all[i], num, port)) {
					w->hit[i] = true;
					found = true;
				}
		}
		freeaddrinfo(res);
	}
	if (!found) {
		int rc = d_hostset_insert(w->absent, entry, NULL, NULL);

		if (rc != 0) {
			w->rc = rc;
			return rc;
		}
	}
	return 0;
}

void
srv_ms_sel_fini(struct srv_ms_sel *s)
{
	if (s == NULL)
		return;
	free(s->v);
	free(s->absent_ranks);
	free(s->absent_hosts);
	memset(s, 0, sizeof(*s));
}

int
srv_ms_select(const struct ctl_membership *m, const char *ranks, const char *hosts, uint32_t mask,
	      struct srv_ms_sel *out, struct d_errbuf *eb)
{
	const struct ctl_member **all = NULL, **sel = NULL;
	struct d_rankset	 *rs = NULL, *absent_r = NULL;
	struct d_hostset	 *hs = NULL, *absent_h = NULL;
	struct srv_ms_sel	  s = {0};
	bool			 *hit = NULL;
	size_t			  nall = 0, n = 0;
	bool			  by_rank = ranks != NULL && ranks[0] != '\0';
	bool			  by_host = hosts != NULL && hosts[0] != '\0';
	int			  rc;

	if (by_rank && by_host) {
		d_errbuf_set(eb, "--ranks and --rank-hosts options cannot be set together");
		return -DER_INVAL;
	}
	if (by_rank) {
		struct d_errbuf peb;

		rc = d_rankset_parse(ranks, &rs, &peb);
		if (rc != 0) {
			d_errbuf_set(eb, "invalid rank set \"%s\" (--ranks): %s", ranks, peb.msg);
			return rc;
		}
		by_rank = d_rankset_count(rs) > 0; /* "[]" is all ranks, as upstream */
	}
	if (by_host) {
		struct d_errbuf peb;

		rc = d_hostset_parse(hosts, &hs, &peb);
		if (rc != 0) {
			d_errbuf_set(eb, "invalid host set \"%s\" (--rank-hosts): %s", hosts,
				     peb.msg);
			goto out;
		}
	}
	rc = d_rankset_create(&absent_r);
	if (rc == 0)
		rc = d_hostset_create(&absent_h);
	if (rc == 0)
		rc = ctl_membership_list(m, CTL_MS_FILTER_ALL, &all, &nall);
	if (rc != 0)
		goto nomem;
	if (nall > 0) {
		D_ALLOC_ARRAY(sel, nall);
		D_ALLOC_ARRAY(hit, nall);
		if (sel == NULL || hit == NULL)
			goto nomem;
	}
	if (by_host) {
		struct host_walk w = {
			.m = m, .all = all, .nall = nall, .hit = hit, .absent = absent_h};

		rc = d_hostset_foreach(hs, match_host, &w);
		if (rc != 0 || w.rc != 0)
			goto nomem;
	}
	if (by_rank) {
		uint64_t cnt = d_rankset_count(rs);

		for (uint64_t i = 0; i < cnt; i++) {
			uint32_t r;

			d_rankset_nth(rs, i, &r);
			if (ctl_membership_find_rank(m, r) == NULL &&
			    d_rankset_add(absent_r, r) != 0)
				goto nomem;
		}
	}
	for (size_t i = 0; i < nall; i++) {
		uint32_t st = all[i]->state;

		if (by_rank && !d_rankset_contains(rs, all[i]->rank))
			continue;
		if (by_host && !hit[i])
			continue;
		if (mask != 0 && mask != CTL_MS_FILTER_ALL && (st & mask) == 0)
			continue;
		sel[n++] = all[i];
	}
	if (d_rankset_str(absent_r, &s.absent_ranks) != 0 ||
	    d_hostset_ranged(absent_h, &s.absent_hosts) != 0)
		goto nomem;
	s.v = sel;
	s.n = n;
	sel = NULL;
	*out = s;
	memset(&s, 0, sizeof(s));
	rc = 0;
	goto out;
nomem:
	rc = -DER_NOMEM;
	d_errbuf_set(eb, "out of memory selecting system members");
out:
	srv_ms_sel_fini(&s);
	free(all);
	free(sel);
	free(hit);
	d_rankset_destroy(rs);
	d_rankset_destroy(absent_r);
	d_hostset_destroy(hs);
	d_hostset_destroy(absent_h);
	return rc;
}
