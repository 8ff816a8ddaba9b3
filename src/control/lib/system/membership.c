/*
 * Member states, transitions and the membership table of the management
 * service (see system.h).  Members are kept sorted by rank in one
 * array, so listing is a filter and lookups by rank a binary search.  It
 * does not replicate anything: persistence is the caller's, through the
 * text form at the end of this file.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "control/lib/system/system.h"
#include "daos/daos_errno.h"

struct ctl_membership {
	struct ctl_member *v;
	size_t		   n;
	size_t		   cap;
	uint32_t	   next_rank;
	uint64_t	   map_version;
};

static const struct {
	uint32_t    state;
	const char *name;
} state_names[] = {
	{CTL_MS_AWAIT_FORMAT, "AwaitFormat"},
	{CTL_MS_STARTING, "Starting"},
	{CTL_MS_READY, "Ready"},
	{CTL_MS_JOINED, "Joined"},
	{CTL_MS_STOPPING, "Stopping"},
	{CTL_MS_STOPPED, "Stopped"},
	{CTL_MS_EXCLUDED, "Excluded"},
	{CTL_MS_ADMIN_EXCLUDED, "AdminExcluded"},
	{CTL_MS_ERRORED, "Errored"},
	{CTL_MS_UNRESPONSIVE, "Unresponsive"},
	{CTL_MS_CHECKER_STARTED, "CheckerStarted"},
};

const char *
ctl_member_state_name(uint32_t state)
{
	for (size_t i = 0; i < D_ARRAY_SIZE(state_names); i++)
		if (state_names[i].state == state)
			return state_names[i].name;
	return "Unknown";
}

uint32_t
ctl_member_state_parse(const char *s)
{
	if (s == NULL)
		return CTL_MS_UNKNOWN;
	for (size_t i = 0; i < D_ARRAY_SIZE(state_names); i++)
		if (strcasecmp(state_names[i].name, s) == 0)
			return state_names[i].state;
	return CTL_MS_UNKNOWN;
}

bool
ctl_member_state_transition_ok(uint32_t from, uint32_t to)
{
	uint32_t bad;

	if (from == CTL_MS_UNKNOWN || from == CTL_MS_ADMIN_EXCLUDED || from == to)
		return false;
	switch (from) {
	case CTL_MS_AWAIT_FORMAT:
	case CTL_MS_STARTING:
	case CTL_MS_READY:
		bad = CTL_MS_EXCLUDED;
		break;
	case CTL_MS_JOINED:
		bad = CTL_MS_READY;
		break;
	case CTL_MS_ERRORED:
	case CTL_MS_UNRESPONSIVE:
		bad = CTL_MS_READY | CTL_MS_JOINED | CTL_MS_STOPPING;
		break;
	case CTL_MS_CHECKER_STARTED:
		bad = CTL_MS_READY | CTL_MS_JOINED;
		break;
	case CTL_MS_EXCLUDED:
		/* only a restart through Joined (or Unknown) brings it back */
		bad = CTL_MS_ERRORED | CTL_MS_STOPPING | CTL_MS_STOPPED | CTL_MS_STARTING |
		      CTL_MS_READY | CTL_MS_UNRESPONSIVE;
		break;
	default:
		bad = 0;
		break;
	}
	return (bad & to) == 0;
}

/* ---- field checks ------------------------------------------------------------------- */

static bool
uuid_parse(const char *s, char out[CTL_UUID_STRLEN + 1])
{
	if (s == NULL || strlen(s) != CTL_UUID_STRLEN)
		return false;
	for (int i = 0; i < CTL_UUID_STRLEN; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash ? s[i] != '-' : !isxdigit((unsigned char)s[i]))
			return false;
		out[i] = (char)tolower((unsigned char)s[i]);
	}
	out[CTL_UUID_STRLEN] = '\0';
	return true;
}

/* Levels of "/a/b" (2); "/" is 0; -1 when malformed. */
static int
fault_domain_depth(const char *fd)
{
	int depth = 0;

	if (fd == NULL || fd[0] != '/')
		return -1;
	if (fd[1] == '\0')
		return 0;
	for (const char *p = fd; *p != '\0'; p++) {
		if (isspace((unsigned char)*p))
			return -1;
		if (*p == '/') {
			if (p[1] == '/' || p[1] == '\0')
				return -1;
			depth++;
		}
	}
	return depth;
}

/* ---- table ------------------------------------------------------------------------- */

int
ctl_membership_create(struct ctl_membership **out)
{
	struct ctl_membership *m = NULL;

	D_ALLOC_PTR(m);
	if (m == NULL)
		return -DER_NOMEM;
	m->next_rank = 1; /* rank 0 belongs to the bootstrap replica's engine */
	*out = m;
	return 0;
}

static void
member_fini(struct ctl_member *mb)
{
	D_FREE(mb->addr);
	D_FREE(mb->uri);
	D_FREE(mb->fault_domain);
	D_FREE(mb->info);
}

void
ctl_membership_destroy(struct ctl_membership *m)
{
	if (m == NULL)
		return;
	for (size_t i = 0; i < m->n; i++)
		member_fini(&m->v[i]);
	D_FREE(m->v);
	D_FREE(m);
}

/* Index of the first member with rank >= `rank`. */
static size_t
lower_bound(const struct ctl_membership *m, uint32_t rank)
{
	size_t lo = 0, hi = m->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (m->v[mid].rank < rank)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static struct ctl_member *
find_rank(const struct ctl_membership *m, uint32_t rank)
{
	size_t i = lower_bound(m, rank);

	return i < m->n && m->v[i].rank == rank ? &m->v[i] : NULL;
}

static struct ctl_member *
find_uuid(const struct ctl_membership *m, const char *uuid)
{
	for (size_t i = 0; i < m->n; i++)
		if (strcmp(m->v[i].uuid, uuid) == 0)
			return &m->v[i];
	return NULL;
}

const struct ctl_member *
ctl_membership_find_rank(const struct ctl_membership *m, uint32_t rank)
{
	return find_rank(m, rank);
}

const struct ctl_member *
ctl_membership_find_uuid(const struct ctl_membership *m, const char *uuid)
{
	char u[CTL_UUID_STRLEN + 1];

	if (!uuid_parse(uuid, u))
		return NULL;
	return find_uuid(m, u);
}

/* Takes ownership of the strings in `mb` whatever the outcome. */
static int
insert(struct ctl_membership *m, struct ctl_member *mb)
{
	size_t i;

	if (m->n == m->cap) {
		size_t		   cap = m->cap ? m->cap * 2 : 8;
		struct ctl_member *nv = d_realloc(m->v, cap * sizeof(*nv));

		if (nv == NULL) {
			member_fini(mb);
			return -DER_NOMEM;
		}
		m->v = nv;
		m->cap = cap;
	}
	i = lower_bound(m, mb->rank);
	memmove(&m->v[i + 1], &m->v[i], (m->n - i) * sizeof(*mb));
	m->v[i] = *mb;
	m->n++;
	return 0;
}

static int
set_str(char **dst, const char *src)
{
	char *c = NULL;

	if (src != NULL && *src != '\0') {
		D_STRDUP(c, src);
		if (c == NULL)
			return -DER_NOMEM;
	}
	D_FREE(*dst);
	*dst = c;
	return 0;
}

static int
join_fail(enum ctl_join_fail *fail, enum ctl_join_fail why, int rc)
{
	if (fail != NULL)
		*fail = why;
	return rc;
}

/* Depth all members but `skip` share, or -1 when there are none. */
static int
members_depth(const struct ctl_membership *m, const struct ctl_member *skip)
{
	for (size_t i = 0; i < m->n; i++)
		if (&m->v[i] != skip)
			return fault_domain_depth(m->v[i].fault_domain);
	return -1;
}

static int
join_existing(struct ctl_member *cur, const struct ctl_join_req *req, const char *fd,
	      struct ctl_join_resp *resp, enum ctl_join_fail *fail, struct d_errbuf *eb)
{
	char	*uri = NULL, *addr = NULL, *fdc = NULL;
	uint32_t state;
	int	 rc;

	if (cur->state == CTL_MS_ADMIN_EXCLUDED) {
		d_errbuf_set(eb, "member %s (rank %u) has been administratively excluded",
			     cur->uuid, cur->rank);
		return join_fail(fail, CTL_JOIN_ADMIN_EXCLUDED, -DER_NO_PERM);
	}
	if (req->rank != CTL_NIL_RANK && req->rank != cur->rank) {
		d_errbuf_set(eb, "can't rejoin member with uuid %s: rank changed from %u -> %u",
			     cur->uuid, cur->rank, req->rank);
		return join_fail(fail, CTL_JOIN_RANK_CHANGED, -DER_MISMATCH);
	}
	if (strcasecmp(cur->uuid, req->uuid) != 0) {
		d_errbuf_set(eb, "can't rejoin member with rank %u: uuid changed from %s -> %s",
			     cur->rank, cur->uuid, req->uuid);
		return join_fail(fail, CTL_JOIN_UUID_CHANGED, -DER_MISMATCH);
	}
	if (strcmp(cur->addr, req->addr) != 0) {
		d_errbuf_set(eb,
			     "can't rejoin member %s (rank %u): control address changed from "
			     "%s -> %s",
			     cur->uuid, cur->rank, cur->addr, req->addr);
		return join_fail(fail, CTL_JOIN_ADDR_CHANGED, -DER_MISMATCH);
	}

	if (set_str(&uri, req->uri) != 0 || set_str(&addr, req->addr) != 0 ||
	    set_str(&fdc, fd) != 0) {
		rc = -DER_NOMEM;
		goto out;
	}
	state = req->check_mode ? CTL_MS_CHECKER_STARTED : CTL_MS_JOINED;
	resp->prev_state = cur->state;
	D_FREE(cur->uri);
	D_FREE(cur->addr);
	D_FREE(cur->fault_domain);
	D_FREE(cur->info);
	cur->uri = uri;
	cur->addr = addr;
	cur->fault_domain = fdc;
	uri = addr = fdc = NULL;
	cur->nctxs = req->nctxs;
	cur->incarnation = req->incarnation;
	cur->state = state;
	resp->rank = cur->rank;
	resp->state = state;
	resp->created = false;
	rc = 0;
out:
	D_FREE(uri);
	D_FREE(addr);
	D_FREE(fdc);
	return rc;
}

/* First rank from next_rank on that no member holds. */
static uint32_t
free_rank(const struct ctl_membership *m)
{
	uint32_t r = m->next_rank;

	while (find_rank(m, r) != NULL)
		r++;
	return r;
}

int
ctl_membership_join(struct ctl_membership *m, const struct ctl_join_req *req,
		    struct ctl_join_resp *resp, enum ctl_join_fail *fail, struct d_errbuf *eb)
{
	struct ctl_join_resp r = {0};
	struct ctl_member   *cur = NULL;
	struct ctl_member    nm = {0};
	const char	    *fd = req->fault_domain;
	char		     uuid[CTL_UUID_STRLEN + 1];
	int		     depth, want, rc;

	if (!uuid_parse(req->uuid, uuid)) {
		d_errbuf_set(eb, "invalid UUID \"%s\" in JoinRequest", req->uuid ? req->uuid : "");
		return join_fail(fail, CTL_JOIN_BAD_REQUEST, -DER_INVAL);
	}
	if (req->uri == NULL || *req->uri == '\0') {
		d_errbuf_set(eb, "no primary fabric URI in JoinRequest");
		return join_fail(fail, CTL_JOIN_BAD_REQUEST, -DER_INVAL);
	}
	if (req->addr == NULL || *req->addr == '\0') {
		d_errbuf_set(eb, "no control address in JoinRequest");
		return join_fail(fail, CTL_JOIN_BAD_REQUEST, -DER_INVAL);
	}
	if (req->provider != NULL && *req->provider != '\0') {
		const char *sep = strstr(req->uri, "://");
		size_t	    n = sep != NULL ? (size_t)(sep - req->uri) : strlen(req->uri);

		if (strlen(req->provider) != n || strncmp(req->uri, req->provider, n) != 0) {
			d_errbuf_set(
				eb,
				"engine at %s uses fabric provider %.*s but the system uses %s: "
				"engines of one system must share a provider; set provider: %s in "
				"the daos_server.yml of %s",
				req->addr, (int)n, req->uri, req->provider, req->provider,
				req->addr);
			return join_fail(fail, CTL_JOIN_PROVIDER, -DER_MISMATCH);
		}
	}
	if (fd == NULL || *fd == '\0')
		fd = "/";
	depth = fault_domain_depth(fd);
	if (depth < 0) {
		d_errbuf_set(eb,
			     "invalid fault domain \"%s\" in JoinRequest: use \"/\" or "
			     "\"/level1/level2\"",
			     fd);
		return join_fail(fail, CTL_JOIN_BAD_REQUEST, -DER_INVAL);
	}

	if (req->rank != CTL_NIL_RANK)
		cur = find_rank(m, req->rank);
	/* a known UUID asking for another rank is a rank change, not a new member */
	if (cur == NULL)
		cur = find_uuid(m, uuid);

	want = members_depth(m, cur);
	if (want >= 0 && depth != want) {
		d_errbuf_set(eb,
			     "cannot join system with fault domain \"%s\", need layers = %d; "
			     "reconfigure the fault domain with a depth consistent with other "
			     "system members, and restart the server",
			     fd, want);
		return join_fail(fail, CTL_JOIN_FAULT_DOMAIN_DEPTH, -DER_INVAL);
	}

	if (cur != NULL) {
		rc = join_existing(cur, req, fd, &r, fail, eb);
		if (rc != 0)
			return rc;
		goto done;
	}

	for (size_t i = 0; i < m->n; i++) {
		const struct ctl_member *o = &m->v[i];

		if (strcmp(o->addr, req->addr) == 0 && strcmp(o->uri, req->uri) == 0 &&
		    o->nctxs == req->nctxs && strcmp(o->fault_domain, fd) == 0) {
			d_errbuf_set(eb,
				     "system member with matching control address, fabric "
				     "URIs, and fault domain already exists with UUID %s (join "
				     "request UUID: %s); format the rank with 'dmg storage format "
				     "--replace' to update the UUID and rejoin the system",
				     o->uuid, uuid);
			return join_fail(fail, CTL_JOIN_MEMBER_EXISTS, -DER_EXIST);
		}
	}

	nm.rank = req->rank != CTL_NIL_RANK ? req->rank : free_rank(m);
	nm.incarnation = req->incarnation;
	nm.nctxs = req->nctxs;
	nm.state = CTL_MS_JOINED;
	memcpy(nm.uuid, uuid, sizeof(uuid));
	if (set_str(&nm.addr, req->addr) != 0 || set_str(&nm.uri, req->uri) != 0 ||
	    set_str(&nm.fault_domain, fd) != 0) {
		member_fini(&nm);
		return -DER_NOMEM;
	}
	rc = insert(m, &nm);
	if (rc != 0)
		return rc;
	if (req->rank == CTL_NIL_RANK)
		m->next_rank = nm.rank + 1;
	r.rank = nm.rank;
	r.state = nm.state;
	r.created = true;
done:
	m->map_version++;
	r.map_version = m->map_version;
	*resp = r;
	if (fail != NULL)
		*fail = CTL_JOIN_OK;
	return 0;
}

int
ctl_membership_set_state(struct ctl_membership *m, uint32_t rank, uint32_t state, const char *info,
			 struct d_errbuf *eb)
{
	struct ctl_member *mb = find_rank(m, rank);
	int		   rc;

	if (mb == NULL) {
		d_errbuf_set(eb, "unable to find member with rank %u", rank);
		return -DER_NONEXIST;
	}
	if (!ctl_member_state_transition_ok(mb->state, state)) {
		d_errbuf_set(eb, "illegal state transition for rank %u: %s -> %s", rank,
			     ctl_member_state_name(mb->state), ctl_member_state_name(state));
		return -DER_NOTAPPLICABLE;
	}
	rc = set_str(&mb->info, info);
	if (rc != 0)
		return rc;
	mb->state = state;
	m->map_version++;
	return 0;
}

int
ctl_membership_set_info(struct ctl_membership *m, uint32_t rank, const char *info)
{
	struct ctl_member *mb = find_rank(m, rank);

	if (mb == NULL)
		return -DER_NONEXIST;
	return set_str(&mb->info, info);
}

int
ctl_membership_touch(struct ctl_membership *m, uint32_t rank, int64_t when)
{
	struct ctl_member *mb = find_rank(m, rank);

	if (mb == NULL)
		return -DER_NONEXIST;
	mb->last_update = when;
	return 0;
}

static bool
state_matches(uint32_t state, uint32_t mask)
{
	if (state == CTL_MS_UNKNOWN)
		return mask == CTL_MS_FILTER_ALL;
	return (state & mask) != 0;
}

int
ctl_membership_list(const struct ctl_membership *m, uint32_t mask, const struct ctl_member ***out,
		    size_t *n)
{
	const struct ctl_member **v = NULL;
	size_t			  cnt = 0;

	if (m->n != 0) {
		D_ALLOC_ARRAY(v, m->n);
		if (v == NULL)
			return -DER_NOMEM;
	}
	for (size_t i = 0; i < m->n; i++) {
		const struct ctl_member *mb = &m->v[i];

		if (!state_matches(mb->state, mask))
			continue;
		v[cnt++] = mb;
	}
	if (cnt == 0)
		D_FREE(v);
	*out = v;
	*n = cnt;
	return 0;
}

size_t
ctl_membership_count(const struct ctl_membership *m)
{
	return m->n;
}

uint64_t
ctl_membership_map_version(const struct ctl_membership *m)
{
	return m->map_version;
}

uint32_t
ctl_membership_next_rank(const struct ctl_membership *m)
{
	return m->next_rank;
}

/* ---- text form ---------------------------------------------------------------------- */

#define MEMBERSHIP_MAGIC "daos-membership 1"

static void
put_field(struct d_sbuf *sb, const char *s)
{
	d_sbuf_putn(sb, " ", 1);
	if (s == NULL || *s == '\0') {
		d_sbuf_putn(sb, "%-", 2);
		return;
	}
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '%' || c == ' ' || c < 0x20 || c == 0x7f)
			d_sbuf_printf(sb, "%%%02X", c);
		else
			d_sbuf_putn(sb, s, 1);
	}
}

char *
ctl_membership_to_text(const struct ctl_membership *m)
{
	struct d_sbuf sb;

	d_sbuf_init(&sb);
	d_sbuf_printf(&sb, MEMBERSHIP_MAGIC "\nnext_rank %u\nmap_version %" PRIu64 "\n",
		      m->next_rank, m->map_version);
	for (size_t i = 0; i < m->n; i++) {
		const struct ctl_member *mb = &m->v[i];

		d_sbuf_printf(&sb, "member %u %s %s %" PRIu64 " %u", mb->rank, mb->uuid,
			      ctl_member_state_name(mb->state), mb->incarnation, mb->nctxs);
		put_field(&sb, mb->addr);
		put_field(&sb, mb->uri);
		put_field(&sb, mb->fault_domain);
		put_field(&sb, mb->info);
		d_sbuf_printf(&sb, " %" PRId64 "\n", mb->last_update);
	}
	if (sb.failed) {
		d_sbuf_fini(&sb);
		return NULL;
	}
	return d_sbuf_take(&sb);
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Decode one escaped field in place; NULL result for "%-". */
static int
unescape(char *s, char **out)
{
	char *w = s;

	if (strcmp(s, "%-") == 0) {
		*out = NULL;
		return 0;
	}
	for (char *r = s; *r != '\0'; r++) {
		if (*r == '%') {
			int hi = hexval(r[1]), lo = hi < 0 ? -1 : hexval(r[2]);

			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
				return -DER_INVAL;
			*w++ = (char)(hi * 16 + lo);
			r += 2;
		} else {
			*w++ = *r;
		}
	}
	*w = '\0';
	*out = s;
	return 0;
}

/* A decimal field of the database in [0, max]. */
static int
parse_field(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v;

	if (d_parse_u64(s, &v) != 0 || v > max)
		return -DER_INVAL;
	*out = v;
	return 0;
}

/* F_TIME is optional: files written before it existed end at F_INFO. */
enum { F_TAG, F_RANK, F_UUID, F_STATE, F_INC, F_NCTX, F_ADDR, F_URI, F_FD, F_INFO, F_TIME, F_NR };

static const char *const field_names[F_NR] = {"record",	      "rank",  "uuid",	     "state",
					      "incarnation",  "nctxs", "addr",	     "uri",
					      "fault_domain", "info",  "last_update"};

static int
parse_member(struct ctl_membership *m, char *line, unsigned lineno, struct d_errbuf *eb)
{
	char		 *f[F_NR];
	char		 *val[F_NR];
	int		  nf = 0;
	struct ctl_member mb = {0};
	char		  zero[] = "0";
	uint64_t	  u;
	int		  bad;

	char *p = line;

	while (p != NULL && nf < F_NR) {
		f[nf++] = p;
		p = strchr(p, ' ');
		if (p != NULL)
			*p++ = '\0';
	}
	if (nf < F_TIME || p != NULL) {
		d_errbuf_set(eb, "membership line %u: member record needs %d or %d fields", lineno,
			     F_TIME, F_NR);
		return -DER_INVAL;
	}
	if (nf == F_TIME)
		f[F_TIME] = zero; /* unescape() writes in place: not a literal */
	for (bad = F_RANK; bad < F_NR; bad++)
		if (unescape(f[bad], &val[bad]) != 0)
			goto bad_field;

	bad = F_RANK;
	if (val[F_RANK] == NULL || parse_field(val[F_RANK], CTL_NIL_RANK - 1, &u) != 0)
		goto bad_field;
	mb.rank = (uint32_t)u;
	bad = F_UUID;
	if (!uuid_parse(val[F_UUID], mb.uuid))
		goto bad_field;
	bad = F_STATE;
	if (val[F_STATE] == NULL)
		goto bad_field;
	mb.state = ctl_member_state_parse(val[F_STATE]);
	if (mb.state == CTL_MS_UNKNOWN && strcasecmp(val[F_STATE], "Unknown") != 0)
		goto bad_field;
	bad = F_INC;
	if (val[F_INC] == NULL || parse_field(val[F_INC], UINT64_MAX, &mb.incarnation) != 0)
		goto bad_field;
	bad = F_NCTX;
	if (val[F_NCTX] == NULL || parse_field(val[F_NCTX], UINT32_MAX, &u) != 0)
		goto bad_field;
	mb.nctxs = (uint32_t)u;
	bad = F_ADDR;
	if (val[F_ADDR] == NULL)
		goto bad_field;
	bad = F_URI;
	if (val[F_URI] == NULL)
		goto bad_field;
	bad = F_FD;
	if (fault_domain_depth(val[F_FD]) < 0)
		goto bad_field;
	bad = F_TIME;
	if (val[F_TIME] == NULL || parse_field(val[F_TIME], INT64_MAX, &u) != 0)
		goto bad_field;
	mb.last_update = (int64_t)u;

	if (find_rank(m, mb.rank) != NULL) {
		d_errbuf_set(eb, "membership line %u: rank %u appears twice", lineno, mb.rank);
		return -DER_INVAL;
	}
	if (find_uuid(m, mb.uuid) != NULL) {
		d_errbuf_set(eb, "membership line %u: uuid %s appears twice", lineno, mb.uuid);
		return -DER_INVAL;
	}
	if (set_str(&mb.addr, val[F_ADDR]) != 0 || set_str(&mb.uri, val[F_URI]) != 0 ||
	    set_str(&mb.fault_domain, val[F_FD]) != 0 || set_str(&mb.info, val[F_INFO]) != 0) {
		member_fini(&mb);
		return -DER_NOMEM;
	}
	return insert(m, &mb);

bad_field:
	d_errbuf_set(eb, "membership line %u: invalid %s \"%s\"", lineno, field_names[bad], f[bad]);
	return -DER_INVAL;
}

int
ctl_membership_from_text(const char *text, struct ctl_membership **out, struct d_errbuf *eb)
{
	struct ctl_membership *m = NULL;
	char		      *copy = NULL;
	char		      *line, *next;
	unsigned	       lineno = 0;
	bool		       magic = false, have_next = false, have_ver = false;
	int		       rc;

	D_STRDUP(copy, text);
	if (copy == NULL)
		return -DER_NOMEM;
	rc = ctl_membership_create(&m);
	if (rc != 0)
		goto out;

	for (line = copy; line != NULL; line = next) {
		uint64_t u;

		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		lineno++;
		if (*line == '\0' || *line == '#')
			continue;
		if (!magic) {
			if (strcmp(line, MEMBERSHIP_MAGIC) != 0) {
				d_errbuf_set(eb,
					     "membership line %u: expected \"" MEMBERSHIP_MAGIC
					     "\", found \"%s\"",
					     lineno, line);
				rc = -DER_INVAL;
				goto out;
			}
			magic = true;
		} else if (strncmp(line, "next_rank ", 10) == 0) {
			if (parse_field(line + 10, CTL_NIL_RANK - 1, &u) != 0) {
				d_errbuf_set(eb, "membership line %u: invalid next_rank \"%s\"",
					     lineno, line + 10);
				rc = -DER_INVAL;
				goto out;
			}
			m->next_rank = (uint32_t)u;
			have_next = true;
		} else if (strncmp(line, "map_version ", 12) == 0) {
			if (parse_field(line + 12, UINT64_MAX, &u) != 0) {
				d_errbuf_set(eb, "membership line %u: invalid map_version \"%s\"",
					     lineno, line + 12);
				rc = -DER_INVAL;
				goto out;
			}
			m->map_version = u;
			have_ver = true;
		} else if (strncmp(line, "member ", 7) == 0) {
			rc = parse_member(m, line, lineno, eb);
			if (rc != 0)
				goto out;
		} else {
			d_errbuf_set(eb, "membership line %u: unknown record \"%.40s\"", lineno,
				     line);
			rc = -DER_INVAL;
			goto out;
		}
	}
	if (!magic || !have_next || !have_ver) {
		d_errbuf_set(eb, "membership text is incomplete: missing %s",
			     !magic	  ? "the \"" MEMBERSHIP_MAGIC "\" header"
			     : !have_next ? "next_rank"
					  : "map_version");
		rc = -DER_INVAL;
		goto out;
	}
	*out = m;
	m = NULL;
out:
	ctl_membership_destroy(m);
	D_FREE(copy);
	return rc;
}

/* ---- liveness ----------------------------------------------------------------------- */

bool
ctl_member_ping_update(uint32_t rank, uint32_t cur, const char *addr, const struct ctl_ping *p,
		       uint32_t *to, char *info, size_t info_len)
{
	const char *msg = p->msg != NULL ? p->msg : "";
	uint32_t    st;

	if ((cur & CTL_MS_FILTER_PINGED) == 0 || cur == CTL_MS_UNKNOWN)
		return false;
	if (p->unreachable) {
		st = CTL_MS_UNRESPONSIVE;
		if (!ctl_member_state_transition_ok(cur, st))
			return false;
		snprintf(info, info_len, "control plane of %s unreachable: %s", addr,
			 msg[0] ? msg : "no answer");
		*to = st;
		return true;
	}
	if (!p->answered)
		return false;
	st = ctl_member_state_parse(p->state);
	switch (st) {
	case CTL_MS_UNKNOWN: /* the host does not know the rank */
		st = CTL_MS_ERRORED;
		break;
	case CTL_MS_ERRORED:
	case CTL_MS_STOPPED:
	case CTL_MS_AWAIT_FORMAT:
		break;
	default:
		return false;
	}
	if (!ctl_member_state_transition_ok(cur, st))
		return false;
	if (msg[0] != '\0')
		snprintf(info, info_len, "%s: %s", addr, msg);
	else
		snprintf(info, info_len, "rank %u is %s on %s", rank, ctl_member_state_name(st),
			 addr);
	*to = st;
	return true;
}

bool
ctl_member_ping_rejoins(uint32_t cur, uint64_t incarnation, const char *addr,
			const struct ctl_ping *p, char *why, size_t why_len)
{
	/* incarnation 0 is "not reported" (an older daos_server), never a match */
	if (cur != CTL_MS_UNRESPONSIVE || incarnation == 0 || p->unreachable || !p->answered ||
	    p->incarnation != incarnation || ctl_member_state_parse(p->state) != CTL_MS_JOINED)
		return false;
	snprintf(why, why_len, "host %s answers again, same engine (incarnation %" PRIu64 ")", addr,
		 incarnation);
	return true;
}

int
ctl_membership_rejoin_same(struct ctl_membership *m, uint32_t rank, uint64_t incarnation,
			   struct d_errbuf *eb)
{
	struct ctl_member *mb = find_rank(m, rank);

	if (mb == NULL) {
		d_errbuf_set(eb, "unable to find member with rank %u", rank);
		return -DER_NONEXIST;
	}
	if (mb->state != CTL_MS_UNRESPONSIVE || mb->incarnation != incarnation ||
	    incarnation == 0) {
		d_errbuf_set(eb,
			     "rank %u cannot rejoin as the same engine: it is %s with incarnation "
			     "%" PRIu64 ", not Unresponsive with incarnation %" PRIu64,
			     rank, ctl_member_state_name(mb->state), mb->incarnation, incarnation);
		return -DER_NOTAPPLICABLE;
	}
	D_FREE(mb->info);
	mb->state = CTL_MS_JOINED;
	m->map_version++;
	return 0;
}
