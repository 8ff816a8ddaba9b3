/*
 * Which members a `dmg system` request is about (srv_mgmt.h): rank-set and
 * host-set filters, a state mask, and the requested ranks and hosts that
 * match no member (reported back as absentRanks / absentHosts).  Host
 * names are resolved (ctl_system_hosts_resolve) before the caller takes the MS
 * lock, since getaddrinfo() may block; a name's addresses are used only when
 * the name itself matches no member's control address.  ctl_system_select()
 * does no I/O: the caller holds the MS lock.
 */
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "common/hostlist.h"
#include "control/lib/rpc/rpc.h"
#include "control/lib/system/system.h"

/*
 * Split "host[:port]" / "[v6]:port" into host and port (0 when none).
 * Member addresses and --rank-hosts entries (host set grammar) always split;
 * anything else is kept whole as a name, which matches no member.
 */
static void
split_host(const char *s, char *host, size_t len, unsigned *port)
{
	uint16_t p;

	if (ctl_addr_split_opt(s, host, len, &p) == 0) {
		*port = p;
		return;
	}
	snprintf(host, len, "%s", s);
	*port = 0;
}

static bool
member_on(const struct ctl_member *mb, const char *host, unsigned port)
{
	char	 mh[256];
	unsigned mp;

	split_host(mb->addr, mh, sizeof(mh), &mp);
	return strcmp(mh, host) == 0 && (port == 0 || port == mp);
}

/* One --rank-hosts entry, resolved before the MS lock is taken. */
struct hq_entry {
	char	*entry; /* as given, for absentHosts */
	char	 host[256];
	unsigned port;
	char   **nums; /* numeric addresses the name resolves to */
	size_t	 nnums;
};

struct ctl_system_hosts {
	struct hq_entry *v;
	size_t		 n;
	size_t		 cap;
};

void
ctl_system_hosts_free(struct ctl_system_hosts *h)
{
	if (h == NULL)
		return;
	for (size_t i = 0; i < h->n; i++) {
		D_FREE(h->v[i].entry);
		for (size_t k = 0; k < h->v[i].nnums; k++)
			D_FREE(h->v[i].nums[k]);
		D_FREE(h->v[i].nums);
	}
	D_FREE(h->v);
	D_FREE(h);
}

/* The numeric addresses of `e->host` (none when it does not resolve). */
static int
resolve_entry(struct hq_entry *e)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;

	if (getaddrinfo(e->host, NULL, &hints, &res) != 0)
		return 0;
	for (struct addrinfo *r = res; r != NULL; r = r->ai_next) {
		char   num[NI_MAXHOST];
		char **nv;

		if (getnameinfo(r->ai_addr, r->ai_addrlen, num, sizeof(num), NULL, 0,
				NI_NUMERICHOST) != 0)
			continue;
		D_REALLOC(nv, e->nums, (e->nnums + 1) * sizeof(*nv));
		if (nv == NULL)
			goto nomem;
		e->nums = nv;
		D_STRDUP(e->nums[e->nnums], num);
		if (e->nums[e->nnums] == NULL)
			goto nomem;
		e->nnums++;
	}
	freeaddrinfo(res);
	return 0;
nomem:
	freeaddrinfo(res);
	return -DER_NOMEM;
}

static int
add_entry(const char *entry, void *arg)
{
	struct ctl_system_hosts *h = arg;
	struct hq_entry		*e;

	if (h->n == h->cap) {
		size_t		 cap = h->cap ? h->cap * 2 : 8;
		struct hq_entry *nv = d_realloc(h->v, cap * sizeof(*nv));

		if (nv == NULL)
			return -DER_NOMEM;
		h->v = nv;
		h->cap = cap;
	}
	e = &h->v[h->n++];
	memset(e, 0, sizeof(*e));
	D_STRDUP(e->entry, entry);
	if (e->entry == NULL)
		return -DER_NOMEM;
	split_host(entry, e->host, sizeof(e->host), &e->port);
	return resolve_entry(e);
}

int
ctl_system_hosts_resolve(const char *hosts, struct ctl_system_hosts **out, struct d_errbuf *eb)
{
	struct ctl_system_hosts *h = NULL;
	struct d_hostset	*hs = NULL;
	struct d_errbuf		 peb;
	int			 rc;

	*out = NULL;
	if (hosts == NULL || hosts[0] == '\0')
		return 0;
	rc = d_hostset_parse(hosts, &hs, &peb);
	if (rc != 0) {
		d_errbuf_set(eb, "invalid host set \"%s\" (--rank-hosts): %s", hosts, peb.msg);
		return rc;
	}
	D_ALLOC_PTR(h);
	rc = h == NULL ? -DER_NOMEM : d_hostset_foreach(hs, add_entry, h);
	d_hostset_destroy(hs);
	if (rc != 0) {
		ctl_system_hosts_free(h);
		d_errbuf_set(eb, "out of memory resolving the host set");
		return -DER_NOMEM;
	}
	*out = h;
	return 0;
}

/* Mark the members on entry `e`; false when none is. */
static bool
match_entry(const struct hq_entry *e, const struct ctl_member **all, size_t nall, bool *hit)
{
	bool found = false;

	for (size_t i = 0; i < nall; i++)
		if (member_on(all[i], e->host, e->port)) {
			hit[i] = true;
			found = true;
		}
	/* by address only when the name itself matches no member, as before */
	for (size_t k = 0; !found && k < e->nnums; k++)
		for (size_t i = 0; i < nall; i++)
			if (member_on(all[i], e->nums[k], e->port)) {
				hit[i] = true;
				found = true;
			}
	return found;
}

void
ctl_system_sel_fini(struct ctl_system_sel *s)
{
	if (s == NULL)
		return;
	D_FREE(s->v);
	D_FREE(s->absent_ranks);
	D_FREE(s->absent_hosts);
	memset(s, 0, sizeof(*s));
}

int
ctl_system_select(const struct ctl_membership *m, const char *ranks,
		  const struct ctl_system_hosts *hosts, uint32_t mask, struct ctl_system_sel *out,
		  struct d_errbuf *eb)
{
	const struct ctl_member **all = NULL, **sel = NULL;
	struct d_rankset	 *rs = NULL, *absent_r = NULL;
	struct d_hostset	 *absent_h = NULL;
	struct ctl_system_sel	  s = {0};
	bool			 *hit = NULL;
	size_t			  nall = 0, n = 0;
	bool			  by_rank = ranks != NULL && ranks[0] != '\0';
	bool			  by_host = hosts != NULL;
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
	for (size_t k = 0; by_host && k < hosts->n; k++)
		if (!match_entry(&hosts->v[k], all, nall, hit) &&
		    d_hostset_insert(absent_h, hosts->v[k].entry, NULL, NULL) != 0)
			goto nomem;
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
	ctl_system_sel_fini(&s);
	D_FREE(all);
	D_FREE(sel);
	D_FREE(hit);
	d_rankset_destroy(rs);
	d_rankset_destroy(absent_r);
	d_hostset_destroy(absent_h);
	return rc;
}
