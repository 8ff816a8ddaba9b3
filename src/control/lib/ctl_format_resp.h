/*
 * The StorageFormat exchange between dmg and daos_server as plain C
 * structures: the request flags, the per-instance SCM mount results and the
 * per-device bdev results (ctl.proto StorageFormatReq/Resp), their wire
 * form, and dmg's rendering of grouped results in upstream's layout
 * ("Format Summary:" table, verbose per-host-group "SCM Mount" and
 * "NVMe PCI" tables, the -j HostStorage object).
 *
 * It does not format anything (daos_server's srv_format.c does) and does
 * not talk to servers (dmg's cmd_format.c does).
 */
#ifndef DAOS_CONTROL_LIB_CTL_FORMAT_RESP_H
#define DAOS_CONTROL_LIB_CTL_FORMAT_RESP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/common.h"

/* Info of a successful result without its own info (upstream's status name). */
#define CTL_FMT_SUCCESS "CTL_SUCCESS"
/* Info of an instance that was not formatted because it did not need it. */
#define CTL_FMT_ALREADY "SCM is already formatted"
/* Address upstream gives a bdev result that stands for "NVMe skipped". */
#define CTL_FMT_NIL_BDEV "<nil>"

/* One ScmMountResult (path = mount point) or NvmeControllerResult (path = PCI/file). */
struct ctl_fmt_result {
	char	*path;
	uint32_t instance;
	uint32_t roles;	 /* CTL_BDEV_ROLE_* (bdev results only) */
	int32_t	 status; /* 0 or -DER_* */
	char	*error;	 /* NULL when status == 0 */
	char	*info;	 /* NULL: none */
};

struct ctl_format_resp {
	struct ctl_fmt_result *mounts;
	size_t		       nmounts;
	struct ctl_fmt_result *ctrlrs;
	size_t		       nctrlrs;
};

void ctl_format_resp_fini(struct ctl_format_resp *r);

/* Append a result (strings copied; NULL allowed for error/info).  0 or -DER_NOMEM. */
int ctl_format_resp_add(struct ctl_format_resp *r, bool mount, const char *path, uint32_t instance,
			uint32_t roles, int32_t status, const char *error, const char *info);

/* What StorageFormat does with one engine instance. */
enum ctl_fmt_action {
	CTL_FMT_SKIP = 0,	 /* formatted and no reformat: "SCM is already formatted" */
	CTL_FMT_REFUSE_RUNNING,	 /* needs format but its engine runs: refused without reformat */
	CTL_FMT_FORMAT,		 /* format it */
	CTL_FMT_STOP_AND_FORMAT, /* reformat: stop the running engine first */
};

/* The decision for an instance: does it need a format, does its engine run, reformat asked. */
enum ctl_fmt_action ctl_format_decide(bool needed, bool running, bool reformat);

/* StorageFormatReq (scm and nvme always set, as dmg does). */
int ctl_format_req_pack(bool reformat, bool replace, uint8_t **buf, size_t *len);
int ctl_format_req_unpack(const uint8_t *buf, size_t len, bool *reformat, bool *replace,
			  struct d_errbuf *eb);

/* StorageFormatResp wire bytes (malloc()ed) and back (-DER_PROTO with eb). */
int ctl_format_resp_pack(const struct ctl_format_resp *r, uint8_t **buf, size_t *len);
int ctl_format_resp_unpack(const uint8_t *buf, size_t len, struct ctl_format_resp *out,
			   struct d_errbuf *eb);

/*
 * The host error text of a failed result (upstream's ctlStateToErr): its
 * error, else "<status>: <info>", else "<status>: unknown error".
 */
void ctl_fmt_result_error(const struct ctl_fmt_result *res, char *buf, size_t len);

/* Is a bdev result one dmg lists (successful, with a real address)? */
bool ctl_fmt_ctrlr_listed(const struct ctl_fmt_result *res);

/* "data,meta,wal" style role names, "NA" for none. */
void ctl_bdev_roles_str(uint32_t roles, char *buf, size_t len);

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

struct d_json;
/* The HostStorage "storage" object of one group under `key`. */
void ctl_format_json_host(struct d_json *w, const char *key, const struct ctl_format_resp *r);

#endif /* DAOS_CONTROL_LIB_CTL_FORMAT_RESP_H */
