/*
 * What the control plane prints (library src/control/lib/render): text tables
 * in upstream's layouts and JSON with upstream's field names, for storage
 * scans, network scans, StorageFormat results and `dmg system` responses,
 * from groups of (hostset, result).  Pure functions from data to text: no
 * RPC, no hardware, no logging.
 */
#ifndef DAOS_CONTROL_LIB_RENDER_RENDER_H
#define DAOS_CONTROL_LIB_RENDER_RENDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/common.h"
#include "common/json.h"
#include "control/lib/hw/hw.h"
#include "control/lib/rpc/rpc.h"
#include "proto/ctl.pb-c.h"
#include "proto/system.pb-c.h"

/* ==== storage scans ================================================================ */

/* One group of hosts with identical storage. */
struct ctl_storage_group {
	const char		      *hosts; /* ranged hostset string */
	const struct ctl_storage_scan *scan;
};

/* "Hosts SCM Total NVMe Total" summary table. */
void ctl_storage_print_summary(FILE *out, const struct ctl_storage_group *groups, int n);
/* Per group: banner, hugepage size, SCM and NVMe tables. */
void ctl_storage_print_verbose(FILE *out, const struct ctl_storage_group *groups, int n);
/* Per group: banner, then each controller with its health. */
void ctl_storage_print_health(FILE *out, const struct ctl_storage_group *groups, int n);

/* SCM namespace table, else module table, else "No SCM modules found". */
void ctl_storage_print_scm(FILE *out, const struct ctl_storage_scan *scan);
void ctl_storage_print_scm_namespaces(FILE *out, const struct ctl_scm_namespace *ns, int n);
/* NVMe table or "No NVMe devices found". */
void ctl_storage_print_nvme(FILE *out, const struct ctl_storage_scan *scan);

/* Summary strings: "6.4 TB (2 namespaces)", "3.1 TB (3 controllers)", "3.0 TiB (6 modules)". */
char *ctl_storage_scm_summary(const struct ctl_storage_scan *scan);
char *ctl_storage_nvme_summary(const struct ctl_storage_scan *scan);

/* JSON: the HostStorage object, or one of its arrays, under `key`. */
void ctl_storage_json_host(struct d_json *w, const char *key, const struct ctl_storage_scan *s);
void ctl_storage_json_ctrlrs(struct d_json *w, const char *key, const struct ctl_storage_scan *s);
void ctl_storage_json_modules(struct d_json *w, const char *key, const struct ctl_storage_scan *s);
void ctl_storage_json_namespaces(struct d_json *w, const char *key,
				 const struct ctl_scm_namespace *ns, int n);

/* ==== network scans ================================================================ */

/* A group of hosts with identical scans. */
struct ctl_net_host_group {
	const char *hosts; /* ranged hostset text, e.g. "wolf-[1-4]" or "localhost" */
	const struct ctl_net_scan *scan;
};

/*
 * Text rendering: per group a banner with the hosts, then per NUMA node (in
 * ascending order) a 4-space-indented banner "NUMA Socket N" and an
 * 8-space-indented table "Provider Interfaces", providers by priority and
 * interfaces by name.  Upstream iterates Go maps here, so its order varies
 * from run to run; ours is fixed.  Groups print in the order given.
 */
void ctl_net_print(FILE *out, const struct ctl_net_host_group *groups, int ngroups);

/*
 * JSON rendering with upstream's field names (control.HostFabricMap): an
 * object keyed by the decimal ctl_net_scan_key() of each group, each value
 * {"HostFabric": {"Interfaces": [{"Provider", "Device", "NumaNode",
 * "Priority", "NetDevClass"}], "Providers": [...], "NumaCount",
 * "CoresPerNuma"}, "HostSet": "<hosts>"}.  Written as a value with `key`
 * (NULL inside arrays or at top level).
 */
void ctl_net_json(struct d_json *w, const char *key, const struct ctl_net_host_group *groups,
		  int ngroups);

/*
 * Scan this host's fabric interfaces (`provider`: a filter; NULL or "all":
 * every provider) and print them for the group "localhost", as text or,
 * with `json`, in the -j envelope.  A failed scan prints "ERROR: <prog>: get
 * local fabric interfaces: <why>" to err (and the envelope to out).
 * Returns the exit status.  For `daos_server network scan` and `daos_agent
 * net-scan`.
 */
int ctl_net_local_report(const char *prog, const char *provider, bool json, FILE *out, FILE *err);

/* ==== StorageFormat results ======================================================== */

/* Is a bdev result one dmg lists (successful, with a real address)? */
bool ctl_fmt_ctrlr_listed(const struct ctl_fmt_result *res);

/* "data,meta,wal" style role names, "NA" for none. */
void ctl_bdev_roles_str(uint32_t roles, char *buf, size_t len);

/*
 * The host error text of a failed result (upstream's ctlStateToErr): its
 * error, else "<status>: <info>", else "<status>: unknown error".
 */
void ctl_fmt_result_error(const struct ctl_fmt_result *res, char *buf, size_t len);

/*
 * Grouping key of a host's successful results (sorted, so that the
 * servers' order does not matter): hosts group when keys are equal.
 * Caller frees; NULL on allocation failure.
 */
char *ctl_format_resp_key(const struct ctl_format_resp *r, size_t *len);

/* A group of hosts with identical successful results. */
struct ctl_format_group {
	const char		     *hosts; /* ranged hostset */
	const struct ctl_format_resp *resp;
};

/* "Format Summary:" and the Hosts / SCM Devices / NVMe Devices table (nothing when n == 0). */
void ctl_format_print_summary(FILE *out, const struct ctl_format_group *g, int n);

/*
 * Per group: banner, "SCM Mount Format Result" table (or "  No SCM mount
 * results"), blank line, "NVMe PCI Format Result Role(s)" table (or
 * "  No NVMe devices were formatted"), blank line.
 */
void ctl_format_print_verbose(FILE *out, const struct ctl_format_group *g, int n);

/* The HostStorage "storage" object of one group under `key`. */
void ctl_format_json_host(struct d_json *w, const char *key, const struct ctl_format_resp *r);

/* ==== dmg system ==================================================================== */

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

/* "Current Leader: ...\n   Replica Set: a, b\n  Unresponsive Replicas: ...\n" (or only the last).
 */
void ctl_system_leader_print(FILE *out, const Mgmt__LeaderQueryResp *r, bool down_only);
/* {"current_leader", "replicas", "down_replicas"} */
void ctl_system_leader_json(struct d_json *w, const Mgmt__LeaderQueryResp *r);

/*
 * The query table (or "Query matches no ranks in system") on `out`;
 * "Unknown N hosts: ..." (and with -v or no members "Unknown N ranks: ...")
 * on `err`.  -DER_NOMEM or 0.
 */
int ctl_system_query_print(FILE *out, FILE *err, const Mgmt__SystemQueryResp *r, bool verbose);
/* {"members": [...]} with upstream's member field names (state in lower case). */
void ctl_system_query_json(struct d_json *w, const Mgmt__SystemQueryResp *r);

/*
 * "Rank Operation Result" table grouped by (action, result) with absent
 * ranks as "---- Unknown Rank", or "No results returned"; absent hosts on
 * `err`.  -DER_NOMEM or 0.
 */
int ctl_system_results_print(FILE *out, FILE *err, Ctl__RankResult *const *v, size_t n,
			     const char *absent_ranks, const char *absent_hosts);
/* [{"addr", "action", "errored", "msg", "rank", "state"}, ...] under `key`. */
void ctl_system_results_json(struct d_json *w, const char *key, Ctl__RankResult *const *v,
			     size_t n);

/*
 * The error upstream reports after a system response: "non-existent hosts
 * X", "non-existent ranks Y", "check results for failed ranks Z", joined
 * with ", " (results may be NULL).  NULL when nothing failed; caller frees.
 * *oom is set on allocation failure.
 */
char *ctl_system_errors(const char *absent_hosts, const char *absent_ranks,
			Ctl__RankResult *const *v, size_t n, bool *oom);

/*
 * --with-states: comma-separated member state names (case-insensitive) into
 * a state mask; an unknown name is -DER_INVAL naming it and the choices.
 */
int ctl_system_states_parse(const char *s, uint32_t *mask, struct d_errbuf *eb);

#endif /* DAOS_CONTROL_LIB_RENDER_RENDER_H */
