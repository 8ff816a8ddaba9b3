/*
 * Rendering of the `dmg system` responses (system_render.c), as upstream's
 * cmd/dmg/pretty/system.go prints them: the leader-query lines, the query
 * table of ranks grouped by state (or one row per rank with -v), the
 * "Rank Operation Result" table of stop/start/erase grouped by result, the
 * "Unknown N hosts/ranks" lines, the JSON objects of -j, and the error
 * summary upstream returns after printing ("non-existent hosts X,
 * non-existent ranks Y, check results for failed ranks Z").
 *
 * Pure functions from the decoded wire messages to text; no RPC here.
 */
#ifndef DAOS_CONTROL_DMG_DMG_SYSTEM_H
#define DAOS_CONTROL_DMG_DMG_SYSTEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/common.h"
#include "common/json.h"
#include "proto/ctl.pb-c.h"
#include "proto/system.pb-c.h"

/* "Current Leader: ...\n   Replica Set: a, b\n  Unresponsive Replicas: ...\n" (or only the last).
 */
struct dmg_conn;

/*
 * LeaderQuery on the hosts of `c` in order until one answers (transport
 * errors move on; an answer, even an error, is final).  *lq is the decoded
 * answer (free with mgmt__leader_query_resp__free_unpacked).  cmd_system.c.
 */
int dmg_leader_query(struct dmg_conn *c, Mgmt__LeaderQueryResp **lq, struct d_errbuf *eb);

void dmg_sys_leader_print(FILE *out, const Mgmt__LeaderQueryResp *r, bool down_only);
/* {"current_leader", "replicas", "down_replicas"} */
void dmg_sys_leader_json(struct d_json *w, const Mgmt__LeaderQueryResp *r);

/*
 * The query table (or "Query matches no ranks in system") on `out`;
 * "Unknown N hosts: ..." (and with -v or no members "Unknown N ranks: ...")
 * on `err`.  -DER_NOMEM or 0.
 */
int dmg_sys_query_print(FILE *out, FILE *err, const Mgmt__SystemQueryResp *r, bool verbose);
/* {"members": [...]} with upstream's member field names (state in lower case). */
void dmg_sys_query_json(struct d_json *w, const Mgmt__SystemQueryResp *r);

/*
 * "Rank Operation Result" table grouped by (action, result) with absent
 * ranks as "---- Unknown Rank", or "No results returned"; absent hosts on
 * `err`.  -DER_NOMEM or 0.
 */
int dmg_sys_results_print(FILE *out, FILE *err, Ctl__RankResult *const *v, size_t n,
			  const char *absent_ranks, const char *absent_hosts);
/* [{"addr", "action", "errored", "msg", "rank", "state"}, ...] under `key`. */
void dmg_sys_results_json(struct d_json *w, const char *key, Ctl__RankResult *const *v, size_t n);

/*
 * The error upstream reports after a system response: "non-existent hosts
 * X", "non-existent ranks Y", "check results for failed ranks Z", joined
 * with ", " (results may be NULL).  NULL when nothing failed; caller frees.
 * *oom is set on allocation failure.
 */
char *dmg_sys_errors(const char *absent_hosts, const char *absent_ranks, Ctl__RankResult *const *v,
		     size_t n, bool *oom);

/*
 * --with-states: comma-separated member state names (case-insensitive) into
 * a state mask; an unknown name is -DER_INVAL naming it and the choices.
 */
int dmg_sys_states_parse(const char *s, uint32_t *mask, struct d_errbuf *eb);

#endif /* DAOS_CONTROL_DMG_DMG_SYSTEM_H */
