/*
 * `dmg system` output (render.h): tables, JSON objects and the error
 * summary, from the decoded responses.  Rank groups are ordered as
 * upstream's RankGroups.Keys(): most ranks first, then by key.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/hostlist.h"
#include "common/table.h"
#include "control/lib/render/render.h"
#include "control/lib/system/system.h"

/* ---- leader-query ------------------------------------------------------------------------ */

static void
print_joined(FILE *out, char *const *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fprintf(out, "%s%s", i ? ", " : "", v[i]);
}

void
ctl_system_leader_print(FILE *out, const Mgmt__LeaderQueryResp *r, bool down_only)
{
	if (!down_only) {
		fprintf(out, "Current Leader: %s\n   Replica Set: ", r->current_leader);
		print_joined(out, r->replicas, r->n_replicas);
		fprintf(out, "\n  ");
	}
	fprintf(out, "Unresponsive Replicas: ");
	print_joined(out, r->down_replicas, r->n_down_replicas);
	fprintf(out, "\n");
}

static void
json_strs(struct d_json *w, const char *key, char *const *v, size_t n)
{
	if (n == 0) { /* a nil Go slice */
		d_json_null(w, key);
		return;
	}
	d_json_arr_begin(w, key);
	for (size_t i = 0; i < n; i++)
		d_json_str(w, NULL, v[i]);
	d_json_arr_end(w);
}

void
ctl_system_leader_json(struct d_json *w, const Mgmt__LeaderQueryResp *r)
{
	d_json_obj_begin(w, NULL);
	d_json_str(w, "current_leader", r->current_leader);
	json_strs(w, "replicas", r->replicas, r->n_replicas);
	json_strs(w, "down_replicas", r->down_replicas, r->n_down_replicas);
	d_json_obj_end(w);
}

/* ---- rank groups -------------------------------------------------------------------------- */

struct rgroup {
	char		 *key; /* column values separated by '\t' */
	struct d_rankset *rs;
};

struct rgroups {
	struct rgroup *v;
	size_t	       n;
};

static void
rgroups_fini(struct rgroups *g)
{
	for (size_t i = 0; i < g->n; i++) {
		D_FREE(g->v[i].key);
		d_rankset_destroy(g->v[i].rs);
	}
	D_FREE(g->v);
	memset(g, 0, sizeof(*g));
}

static struct rgroup *
rgroups_get(struct rgroups *g, const char *key)
{
	struct rgroup *nv;

	for (size_t i = 0; i < g->n; i++)
		if (strcmp(g->v[i].key, key) == 0)
			return &g->v[i];
	D_REALLOC(nv, g->v, (g->n + 1) * sizeof(*nv));
	if (nv == NULL)
		return NULL;
	g->v = nv;
	nv = &g->v[g->n];
	D_STRDUP(nv->key, key);
	nv->rs = NULL;
	if (nv->key == NULL || d_rankset_create(&nv->rs) != 0) {
		D_FREE(nv->key);
		return NULL;
	}
	g->n++;
	return nv;
}

static int
rgroups_add(struct rgroups *g, const char *key, uint32_t rank)
{
	struct rgroup *x = rgroups_get(g, key);

	return x == NULL ? -DER_NOMEM : d_rankset_add(x->rs, rank);
}

/* A whole rank set as one group (absent ranks); nothing for an empty/invalid set. */
static int
rgroups_add_set(struct rgroups *g, const char *key, const char *ranks)
{
	struct d_rankset *rs = NULL;
	struct rgroup	 *x;
	int		  rc;

	if (ranks == NULL || ranks[0] == '\0' || d_rankset_parse(ranks, &rs, NULL) != 0)
		return 0;
	if (d_rankset_count(rs) == 0) {
		d_rankset_destroy(rs);
		return 0;
	}
	x = rgroups_get(g, key);
	rc = x == NULL ? -DER_NOMEM : d_rankset_merge(x->rs, rs);
	d_rankset_destroy(rs);
	return rc;
}

static int
rgroup_cmp(const void *a, const void *b)
{
	const struct rgroup *x = a, *y = b;
	uint64_t	     cx = d_rankset_count(x->rs), cy = d_rankset_count(y->rs);

	if (cx != cy)
		return cx > cy ? -1 : 1;
	return strcmp(x->key, y->key);
}

/* Table "<title0> <title1> ..." with one row per group; a blank line after it. */
static int
rgroups_print(FILE *out, struct rgroups *g, int ncols, const char *const *titles)
{
	struct d_table *t = d_table_create(ncols, titles);
	int		rc = t == NULL ? -DER_NOMEM : 0;

	qsort(g->v, g->n, sizeof(*g->v), rgroup_cmp);
	for (size_t i = 0; rc == 0 && i < g->n; i++) {
		const char *cells[8] = {NULL};
		char *ranks = NULL, *key = d_strndup(g->v[i].key, (size_t)-1), *p, *save = NULL;
		int   c = 1;

		if (key == NULL || d_rankset_ranged(g->v[i].rs, &ranks) != 0) {
			D_FREE(key);
			rc = -DER_NOMEM;
			break;
		}
		cells[0] = ranks;
		for (p = strtok_r(key, "\t", &save); p != NULL && c < ncols;
		     p = strtok_r(NULL, "\t", &save))
			cells[c++] = p;
		while (c < ncols)
			cells[c++] = "";
		rc = d_table_add_row(t, cells);
		D_FREE(ranks);
		D_FREE(key);
	}
	if (rc == 0) {
		d_table_print(t, out, 0);
		fprintf(out, "\n");
	}
	d_table_destroy(t);
	return rc;
}

/* ---- absent hosts and ranks --------------------------------------------------------------- */

static void
print_absent_hosts(FILE *err, const char *hosts)
{
	struct d_hostset *hs = NULL;
	size_t		  n;

	if (hosts == NULL || hosts[0] == '\0' || d_hostset_parse(hosts, &hs, NULL) != 0)
		return;
	n = d_hostset_count(hs);
	d_hostset_destroy(hs);
	if (n > 0)
		fprintf(err, "Unknown %zu %s: %s\n", n, n == 1 ? "host" : "hosts", hosts);
}

static void
print_absent_ranks(FILE *err, const char *ranks)
{
	struct d_rankset *rs = NULL;
	uint64_t	  n;

	if (ranks == NULL || ranks[0] == '\0' || d_rankset_parse(ranks, &rs, NULL) != 0)
		return;
	n = d_rankset_count(rs);
	d_rankset_destroy(rs);
	if (n > 0)
		fprintf(err, "Unknown %llu %s: %s\n", (unsigned long long)n,
			n == 1 ? "rank" : "ranks", ranks);
}

/* ---- query -------------------------------------------------------------------------------- */

/* Upstream's fabricAddress(): the URI without its scheme, "N/A" when none. */
static const char *
fabric_address(const char *uri)
{
	const char *p;

	if (uri == NULL || uri[0] == '\0')
		return "N/A";
	p = strstr(uri, "://");
	return p != NULL ? p + 3 : uri;
}

static int
print_query_verbose(FILE *out, const Mgmt__SystemQueryResp *r)
{
	static const char *const titles[] = {"Rank",	     "UUID",  "Fabric Address",
					     "Fault Domain", "State", "Reason"};
	struct d_table		*t = d_table_create(6, titles);
	int			 rc = t == NULL ? -DER_NOMEM : 0;

	for (size_t i = 0; rc == 0 && i < r->n_members; i++) {
		const Mgmt__SystemMember *m = r->members[i];
		char			  rank[16];

		snprintf(rank, sizeof(rank), "%u", m->rank);
		rc = d_table_add(t, rank, m->uuid, fabric_address(m->fabric_uri), m->fault_domain,
				 m->state, m->info);
	}
	if (rc == 0) {
		d_table_print(t, out, 0);
		fprintf(out, "\n");
	}
	d_table_destroy(t);
	return rc;
}

int
ctl_system_query_print(FILE *out, FILE *err, const Mgmt__SystemQueryResp *r, bool verbose)
{
	static const char *const titles[] = {"Rank", "State"};
	struct rgroups		 g = {0};
	int			 rc = 0;

	if (r->n_members == 0) {
		fprintf(out, "Query matches no ranks in system\n");
	} else if (verbose) {
		rc = print_query_verbose(out, r);
	} else {
		for (size_t i = 0; rc == 0 && i < r->n_members; i++)
			rc = rgroups_add(&g, r->members[i]->state, r->members[i]->rank);
		if (rc == 0)
			rc = rgroups_add_set(&g, "Unknown Rank", r->absentranks);
		if (rc == 0)
			rc = rgroups_print(out, &g, 2, titles);
		rgroups_fini(&g);
		print_absent_hosts(err, r->absenthosts);
		return rc;
	}
	print_absent_hosts(err, r->absenthosts);
	print_absent_ranks(err, r->absentranks);
	return rc;
}

static void
lower(char *dst, const char *src, size_t len)
{
	size_t i;

	for (i = 0; src[i] != '\0' && i + 1 < len; i++)
		dst[i] = (char)tolower((unsigned char)src[i]);
	dst[i] = '\0';
}

void
ctl_system_query_json(struct d_json *w, const Mgmt__SystemQueryResp *r)
{
	d_json_obj_begin(w, NULL);
	if (r->n_members == 0) {
		d_json_null(w, "members");
	} else {
		d_json_arr_begin(w, "members");
		for (size_t i = 0; i < r->n_members; i++) {
			const Mgmt__SystemMember *m = r->members[i];
			char			  state[32];

			lower(state, m->state, sizeof(state));
			d_json_obj_begin(w, NULL);
			d_json_str(w, "addr", m->addr);
			d_json_str(w, "state", state);
			d_json_str(w, "fault_domain", m->fault_domain);
			d_json_uint(w, "rank", m->rank);
			d_json_uint(w, "incarnation", m->incarnation);
			d_json_str(w, "uuid", m->uuid);
			d_json_str(w, "fabric_uri", m->fabric_uri);
			d_json_uint(w, "fabric_contexts", m->fabric_contexts);
			d_json_str(w, "info", m->info);
			d_json_str(w, "last_update", m->last_update);
			d_json_obj_end(w);
		}
		d_json_arr_end(w);
	}
	d_json_obj_end(w);
}

/* ---- stop / start / erase results --------------------------------------------------------- */

int
ctl_system_results_print(FILE *out, FILE *err, Ctl__RankResult *const *v, size_t n,
			 const char *absent_ranks, const char *absent_hosts)
{
	static const char *const titles[] = {"Rank", "Operation", "Result"};
	struct rgroups		 g = {0};
	int			 rc = 0;

	if (n == 0) {
		fprintf(out, "No results returned\n");
		print_absent_hosts(err, absent_hosts);
		print_absent_ranks(err, absent_ranks);
		return 0;
	}
	for (size_t i = 0; rc == 0 && i < n; i++) {
		const char *msg = v[i]->errored ? v[i]->msg : "OK";
		char	   *key, *p;

		key = d_asprintf("%s\t%s", v[i]->action, msg);
		if (key == NULL) {
			rc = -DER_NOMEM;
			break;
		}
		/* a tab in the message must not make another column (upstream replaces it) */
		for (p = key + strlen(v[i]->action) + 1; *p != '\0'; p++)
			if (*p == '\t')
				*p = ' ';
		rc = rgroups_add(&g, key, v[i]->rank);
		D_FREE(key);
	}
	if (rc == 0)
		rc = rgroups_add_set(&g, "----\tUnknown Rank", absent_ranks);
	if (rc == 0)
		rc = rgroups_print(out, &g, 3, titles);
	rgroups_fini(&g);
	print_absent_hosts(err, absent_hosts);
	return rc;
}

void
ctl_system_results_json(struct d_json *w, const char *key, Ctl__RankResult *const *v, size_t n)
{
	if (n == 0) {
		d_json_null(w, key);
		return;
	}
	d_json_arr_begin(w, key);
	for (size_t i = 0; i < n; i++) {
		char state[32];

		lower(state, v[i]->state, sizeof(state));
		d_json_obj_begin(w, NULL);
		d_json_str(w, "addr", v[i]->addr);
		d_json_str(w, "action", v[i]->action);
		d_json_bool(w, "errored", v[i]->errored);
		d_json_str(w, "msg", v[i]->msg);
		d_json_uint(w, "rank", v[i]->rank);
		d_json_str(w, "state", state);
		d_json_obj_end(w);
	}
	d_json_arr_end(w);
}

char *
ctl_system_errors(const char *absent_hosts, const char *absent_ranks, Ctl__RankResult *const *v,
		  size_t n, bool *oom)
{
	struct d_rankset *failed = NULL;
	struct d_sbuf	  sb;
	char		 *fr = NULL;
	int		  parts = 0;

	*oom = false;
	d_sbuf_init(&sb);
	if (absent_hosts != NULL && absent_hosts[0] != '\0') {
		d_sbuf_printf(&sb, "non-existent hosts %s", absent_hosts);
		parts++;
	}
	if (absent_ranks != NULL && absent_ranks[0] != '\0') {
		d_sbuf_printf(&sb, "%snon-existent ranks %s", parts ? ", " : "", absent_ranks);
		parts++;
	}
	if (d_rankset_create(&failed) != 0) {
		*oom = true;
		d_sbuf_fini(&sb);
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		if (v[i]->errored)
			d_rankset_add(failed, v[i]->rank);
	if (d_rankset_count(failed) > 0) {
		if (d_rankset_str(failed, &fr) != 0) {
			*oom = true;
		} else {
			d_sbuf_printf(&sb, "%scheck results for failed ranks %s", parts ? ", " : "",
				      fr);
			parts++;
		}
	}
	D_FREE(fr);
	d_rankset_destroy(failed);
	if (sb.failed)
		*oom = true;
	if (parts == 0 || *oom) {
		d_sbuf_fini(&sb);
		return NULL;
	}
	return sb.buf; /* handed over */
}

int
ctl_system_states_parse(const char *s, uint32_t *mask, struct d_errbuf *eb)
{
	char	*dup = d_strndup(s, (size_t)-1), *tok, *save = NULL;
	uint32_t m = 0;

	if (dup == NULL)
		return -DER_NOMEM;
	for (tok = strtok_r(dup, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		uint32_t st;

		while (isspace((unsigned char)*tok))
			tok++;
		st = ctl_member_state_parse(tok);
		if (st == CTL_MS_UNKNOWN) {
			d_errbuf_set(eb,
				     "invalid state name \"%s\" in --with-states: use one or more "
				     "of AwaitFormat, Starting, Ready, Joined, Stopping, Stopped, "
				     "Excluded, AdminExcluded, Errored, Unresponsive, "
				     "CheckerStarted separated by commas",
				     tok);
			D_FREE(dup);
			return -DER_INVAL;
		}
		m |= st;
	}
	D_FREE(dup);
	if (m == 0) {
		d_errbuf_set(eb, "--with-states needs at least one member state name");
		return -DER_INVAL;
	}
	*mask = m;
	return 0;
}
