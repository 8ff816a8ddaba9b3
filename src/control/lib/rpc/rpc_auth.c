/*
 * Who may call what: the one table of every control method the servers
 * serve now or will serve (upstream's CtlSvc, MgmtSvc and raft transport
 * methods, plus our GetVersion) with the roles allowed, and the version
 * compatibility rules of upstream's build/interop.go.  The dispatcher in
 * rpc.c consults both before any handler runs; a method missing here can
 * never be called.
 */
#include <stdio.h>

#include "control/lib/rpc/rpc.h"

#define ADMIN  CTL_ROLE(D_COMP_ADMIN)
#define AGENT  CTL_ROLE(D_COMP_AGENT)
#define SERVER CTL_ROLE(D_COMP_SERVER)
/* The methods an agent may call take small requests only (see rpc.h). */
#define SMALL CTL_RPC_REQ_SMALL

const struct ctl_rpc_auth ctl_rpc_auth_table[] = {
	/* Ours: `dmg server-version`, and version probes between components. */
	{"GetVersion", ADMIN | AGENT | SERVER, SMALL},

	/* CtlSvc */
	{"StorageScan", ADMIN},
	{"StorageFormat", ADMIN},
	{"StorageNvmeRebind", ADMIN},
	{"StorageNvmeAddDevice", ADMIN},
	{"NetworkScan", ADMIN},
	{"CollectLog", ADMIN},
	{"FirmwareQuery", ADMIN},
	{"FirmwareUpdate", ADMIN},
	{"SmdQuery", ADMIN},
	{"SmdManage", ADMIN},
	{"SetEngineLogMasks", ADMIN},
	{"PrepShutdownRanks", SERVER},
	{"StopRanks", SERVER},
	{"PingRanks", SERVER},
	{"ResetFormatRanks", SERVER},
	{"StartRanks", SERVER},

	/* MgmtSvc */
	{"Join", SERVER},
	{"ClusterEvent", SERVER},
	{"LeaderQuery", ADMIN},
	{"SystemQuery", ADMIN},
	{"SystemStop", ADMIN},
	{"SystemStart", ADMIN},
	{"SystemExclude", ADMIN},
	{"SystemDrain", ADMIN},
	{"SystemReint", ADMIN},
	{"SystemErase", ADMIN},
	{"SystemCleanup", ADMIN | AGENT, SMALL},
	{"SystemSetAttr", ADMIN},
	{"SystemGetAttr", ADMIN},
	{"SystemSetProp", ADMIN},
	{"SystemGetProp", ADMIN},
	{"SystemCheckEnable", ADMIN},
	{"SystemCheckDisable", ADMIN},
	{"SystemCheckStart", ADMIN},
	{"SystemCheckStop", ADMIN},
	{"SystemCheckQuery", ADMIN},
	{"SystemCheckSetPolicy", ADMIN},
	{"SystemCheckGetPolicy", ADMIN},
	{"SystemCheckRepair", ADMIN},
	{"PoolCreate", ADMIN},
	{"PoolDestroy", ADMIN},
	{"PoolQuery", ADMIN},
	{"PoolQueryTarget", ADMIN},
	{"PoolSetProp", ADMIN},
	{"PoolGetProp", ADMIN},
	{"PoolGetACL", ADMIN},
	{"PoolOverwriteACL", ADMIN},
	{"PoolUpdateACL", ADMIN},
	{"PoolDeleteACL", ADMIN},
	{"PoolExclude", ADMIN},
	{"PoolDrain", ADMIN},
	{"PoolReintegrate", ADMIN},
	{"PoolExtend", ADMIN},
	{"PoolEvict", ADMIN | AGENT, SMALL},
	{"PoolUpgrade", ADMIN},
	{"GetAttachInfo", ADMIN | AGENT, SMALL},
	{"ListPools", ADMIN},
	{"ListContainers", ADMIN},
	{"ContSetOwner", ADMIN},
	{"FaultInjectReport", ADMIN},
	{"FaultInjectPoolFault", ADMIN},
	{"FaultInjectMgmtPoolFault", ADMIN},

	/* Raft transport between management service replicas. */
	{"RaftAppendEntries", SERVER},
	{"RaftAppendEntriesPipeline", SERVER},
	{"RaftRequestVote", SERVER},
	{"RaftTimeoutNow", SERVER},
	{"RaftInstallSnapshot", SERVER},

	{NULL, 0, 0},
};

uint32_t
ctl_rpc_req_max(const struct ctl_rpc_auth *a)
{
	if (a == NULL)
		return 0;
	return a->req_max != 0 ? a->req_max : CTL_RPC_REQ_MAX;
}

uint32_t
ctl_rpc_role_frame_max(enum d_tls_component comp)
{
	uint32_t body = 0;

	for (const struct ctl_rpc_auth *a = ctl_rpc_auth_table; a->method != NULL; a++) {
		if (comp != D_COMP_UNDEFINED && (a->roles & CTL_ROLE(comp)) == 0)
			continue;
		if (ctl_rpc_req_max(a) > body)
			body = ctl_rpc_req_max(a);
	}
	return body + CTL_RPC_ENV_MAX;
}

const struct ctl_rpc_auth *
ctl_rpc_auth_find(const char *method)
{
	if (method == NULL)
		return NULL;
	for (const struct ctl_rpc_auth *a = ctl_rpc_auth_table; a->method != NULL; a++)
		if (strcmp(a->method, method) == 0)
			return a;
	return NULL;
}

int
ctl_rpc_authorize(enum d_tls_component comp, const char *method, struct d_errbuf *eb)
{
	const struct ctl_rpc_auth *a = ctl_rpc_auth_find(method);

	if (a == NULL || comp == D_COMP_UNDEFINED || (a->roles & CTL_ROLE(comp)) == 0) {
		d_errbuf_set(eb, "%s does not have permission to call %s",
			     d_tls_component_name(comp), method != NULL ? method : "(none)");
		return -DER_NO_PERM;
	}
	return 0;
}

struct semver {
	unsigned long major, minor, patch;
};

/* "2.9.100", optionally followed by "-<anything>" (pre-release, git suffix). */
static int
semver_parse(const char *s, struct semver *v)
{
	char *end;

	if (s == NULL || *s < '0' || *s > '9')
		return -DER_INVAL;
	v->major = strtoul(s, &end, 10);
	if (*end != '.' || end[1] < '0' || end[1] > '9')
		return -DER_INVAL;
	v->minor = strtoul(end + 1, &end, 10);
	if (*end != '.' || end[1] < '0' || end[1] > '9')
		return -DER_INVAL;
	v->patch = strtoul(end + 1, &end, 10);
	if (*end != '\0' && *end != '-' && *end != '+')
		return -DER_INVAL;
	return 0;
}

static bool
is_server_agent_pair(const char *a, const char *b)
{
	return (strcmp(a, "server") == 0 && strcmp(b, "agent") == 0) ||
	       (strcmp(a, "agent") == 0 && strcmp(b, "server") == 0);
}

int
ctl_version_compat(const char *self_comp, const char *self_ver, const char *other_comp,
		   const char *other_ver, struct d_errbuf *eb)
{
	struct semver s, o;
	bool	      ok;

	if (semver_parse(self_ver, &s) != 0 || semver_parse(other_ver, &o) != 0) {
		const char *bad = semver_parse(self_ver, &s) != 0 ? self_ver : other_ver;

		d_errbuf_set(eb, "invalid version \"%s\" (expected MAJOR.MINOR.PATCH)",
			     bad != NULL ? bad : "");
		return -DER_INVAL;
	}
	if (s.major == o.major && s.minor == o.minor && s.patch == o.patch)
		return 0;
	if ((s.major < 2) != (o.major < 2))
		ok = false;
	else if (is_server_agent_pair(self_comp, other_comp))
		ok = s.major == o.major &&
		     (s.minor > o.minor ? s.minor - o.minor : o.minor - s.minor) <= 2;
	else
		ok = s.major == o.major && s.minor == o.minor;
	if (!ok) {
		d_errbuf_set(eb, "%s %s is incompatible with %s %s", other_comp, other_ver,
			     self_comp, self_ver);
		return -DER_MISMATCH;
	}
	return 0;
}
