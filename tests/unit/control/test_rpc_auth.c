/*
 * Unit tests for rpc_auth.c: the method table covers every method of the
 * proto service and every handler a server registers, roles are enforced
 * with upstream's message (every method against a hand-written copy of
 * its roles), and the version compatibility rules hold (table test).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "control/lib/rpc/rpc.h"
#include "proto/ctl.pb-c.h"
#include "proto/system.pb-c.h"

static void
test_proto_methods_in_table(void **state)
{
	const ProtobufCServiceDescriptor *svcs[] = {&ctl__ctl_svc__descriptor,
						    &mgmt__mgmt_svc__descriptor};

	(void)state;
	for (size_t s = 0; s < sizeof(svcs) / sizeof(svcs[0]); s++) {
		const ProtobufCServiceDescriptor *d = svcs[s];

		assert_true(d->n_methods >= 3);
		for (unsigned i = 0; i < d->n_methods; i++) {
			if (ctl_rpc_auth_find(d->methods[i].name) == NULL)
				fail_msg("proto method %s is not in ctl_rpc_auth_table",
					 d->methods[i].name);
		}
	}
}

static void
test_table_sane(void **state)
{
	int n = 0;

	(void)state;
	for (const struct ctl_rpc_auth *a = ctl_rpc_auth_table; a->method != NULL; a++, n++) {
		assert_int_not_equal(a->roles, 0);
		assert_int_equal(a->roles & CTL_ROLE(D_COMP_UNDEFINED), 0);
		for (const struct ctl_rpc_auth *b = a + 1; b->method != NULL; b++)
			if (strcmp(a->method, b->method) == 0)
				fail_msg("duplicate method %s", a->method);
	}
	/* upstream's CtlSvc + MgmtSvc + raft methods, plus GetVersion */
	assert_true(n >= 60);
	assert_null(ctl_rpc_auth_find("NoSuchMethod"));
	assert_null(ctl_rpc_auth_find(NULL));
}

/*
 * The whole table, written out again by hand: every method with exactly the
 * roles that may call it.  A role added to or dropped from any entry of
 * rpc_auth.c, an entry added there and not here, or one removed, fails.
 */
#define A (1u << D_COMP_ADMIN)
#define G (1u << D_COMP_AGENT)
#define S (1u << D_COMP_SERVER)
static const struct {
	const char  *method;
	unsigned int roles; /* A admin, G agent, S server */
} expected_roles[] = {
	{"GetVersion", A | G | S},
	/* CtlSvc */
	{"StorageScan", A},
	{"StorageFormat", A},
	{"StorageNvmeRebind", A},
	{"StorageNvmeAddDevice", A},
	{"NetworkScan", A},
	{"CollectLog", A},
	{"FirmwareQuery", A},
	{"FirmwareUpdate", A},
	{"SmdQuery", A},
	{"SmdManage", A},
	{"SetEngineLogMasks", A},
	{"PrepShutdownRanks", S},
	{"StopRanks", S},
	{"PingRanks", S},
	{"ResetFormatRanks", S},
	{"StartRanks", S},
	/* MgmtSvc */
	{"Join", S},
	{"ClusterEvent", S},
	{"LeaderQuery", A},
	{"SystemQuery", A},
	{"SystemStop", A},
	{"SystemStart", A},
	{"SystemExclude", A},
	{"SystemDrain", A},
	{"SystemReint", A},
	{"SystemErase", A},
	{"SystemCleanup", A | G},
	{"SystemSetAttr", A},
	{"SystemGetAttr", A},
	{"SystemSetProp", A},
	{"SystemGetProp", A},
	{"SystemCheckEnable", A},
	{"SystemCheckDisable", A},
	{"SystemCheckStart", A},
	{"SystemCheckStop", A},
	{"SystemCheckQuery", A},
	{"SystemCheckSetPolicy", A},
	{"SystemCheckGetPolicy", A},
	{"SystemCheckRepair", A},
	{"PoolCreate", A},
	{"PoolDestroy", A},
	{"PoolQuery", A},
	{"PoolQueryTarget", A},
	{"PoolSetProp", A},
	{"PoolGetProp", A},
	{"PoolGetACL", A},
	{"PoolOverwriteACL", A},
	{"PoolUpdateACL", A},
	{"PoolDeleteACL", A},
	{"PoolExclude", A},
	{"PoolDrain", A},
	{"PoolReintegrate", A},
	{"PoolExtend", A},
	{"PoolEvict", A | G},
	{"PoolUpgrade", A},
	{"GetAttachInfo", A | G},
	{"ListPools", A},
	{"ListContainers", A},
	{"ContSetOwner", A},
	{"FaultInjectReport", A},
	{"FaultInjectPoolFault", A},
	{"FaultInjectMgmtPoolFault", A},
	/* raft transport */
	{"RaftAppendEntries", S},
	{"RaftAppendEntriesPipeline", S},
	{"RaftRequestVote", S},
	{"RaftTimeoutNow", S},
	{"RaftInstallSnapshot", S},
};

static void
test_every_method_roles(void **state)
{
	static const enum d_tls_component comps[] = {D_COMP_ADMIN, D_COMP_AGENT, D_COMP_SERVER,
						     D_COMP_UNDEFINED};
	size_t				  n = 0;

	(void)state;
	/* the table has no method this test does not list */
	for (const struct ctl_rpc_auth *a = ctl_rpc_auth_table; a->method != NULL; a++, n++) {
		size_t i;

		for (i = 0; i < D_ARRAY_SIZE(expected_roles); i++)
			if (strcmp(a->method, expected_roles[i].method) == 0)
				break;
		if (i == D_ARRAY_SIZE(expected_roles))
			fail_msg("ctl_rpc_auth_table has %s, which this test does not list: add it "
				 "to expected_roles with the roles it should have",
				 a->method);
		if (a->roles != expected_roles[i].roles)
			fail_msg("%s: roles 0x%x in ctl_rpc_auth_table, 0x%x expected", a->method,
				 a->roles, expected_roles[i].roles);
	}
	assert_int_equal(n, D_ARRAY_SIZE(expected_roles));
	/* and every listed method is in the table, enforced as listed for each role */
	for (size_t i = 0; i < D_ARRAY_SIZE(expected_roles); i++) {
		const char *m = expected_roles[i].method;

		if (ctl_rpc_auth_find(m) == NULL)
			fail_msg("%s is missing from ctl_rpc_auth_table", m);
		for (size_t c = 0; c < D_ARRAY_SIZE(comps); c++) {
			struct d_errbuf eb = {{0}};
			bool		allowed = comps[c] != D_COMP_UNDEFINED &&
				       (expected_roles[i].roles & (1u << comps[c])) != 0;
			char want[128];
			int  rc = ctl_rpc_authorize(comps[c], m, &eb);

			if (allowed && rc != 0)
				fail_msg("%s may call %s, but is refused (%d: %s)",
					 d_tls_component_name(comps[c]), m, rc, eb.msg);
			if (allowed)
				continue;
			if (rc != -DER_NO_PERM)
				fail_msg("%s may not call %s, but authorize returns %d",
					 d_tls_component_name(comps[c]), m, rc);
			snprintf(want, sizeof(want), "%s does not have permission to call %s",
				 d_tls_component_name(comps[c]), m);
			assert_string_equal(eb.msg, want);
		}
	}
}
#undef A
#undef G
#undef S

static void
test_authorize(void **state)
{
	static const struct {
		enum d_tls_component comp;
		const char	    *method;
		int		     rc;
	} cases[] = {
		{D_COMP_ADMIN, "StorageScan", 0},
		{D_COMP_ADMIN, "StorageFormat", 0},
		{D_COMP_AGENT, "StorageFormat", -DER_NO_PERM},
		{D_COMP_SERVER, "StorageScan", -DER_NO_PERM},
		{D_COMP_ADMIN, "NetworkScan", 0},
		{D_COMP_AGENT, "NetworkScan", -DER_NO_PERM},
		{D_COMP_SERVER, "Join", 0},
		{D_COMP_ADMIN, "Join", -DER_NO_PERM},
		{D_COMP_SERVER, "RaftAppendEntries", 0},
		{D_COMP_AGENT, "RaftAppendEntries", -DER_NO_PERM},
		{D_COMP_AGENT, "GetAttachInfo", 0},
		{D_COMP_ADMIN, "GetAttachInfo", 0},
		{D_COMP_AGENT, "PoolEvict", 0},
		{D_COMP_AGENT, "SystemCleanup", 0},
		{D_COMP_AGENT, "PoolCreate", -DER_NO_PERM},
		{D_COMP_AGENT, "GetVersion", 0},
		{D_COMP_SERVER, "GetVersion", 0},
		{D_COMP_ADMIN, "GetVersion", 0},
		{D_COMP_UNDEFINED, "GetVersion", -DER_NO_PERM},
		{D_COMP_ADMIN, "NoSuchMethod", -DER_NO_PERM},
	};
	struct d_errbuf eb;

	(void)state;
	for (size_t i = 0; i < D_ARRAY_SIZE(cases); i++) {
		memset(&eb, 0, sizeof(eb));
		if (ctl_rpc_authorize(cases[i].comp, cases[i].method, &eb) != cases[i].rc)
			fail_msg("%s calling %s", d_tls_component_name(cases[i].comp),
				 cases[i].method);
	}
	ctl_rpc_authorize(D_COMP_AGENT, "StorageFormat", &eb);
	assert_string_equal(eb.msg, "agent does not have permission to call StorageFormat");
	ctl_rpc_authorize(D_COMP_UNDEFINED, "GetVersion", &eb);
	assert_string_equal(eb.msg, "undefined does not have permission to call GetVersion");
}

static void
test_components(void **state)
{
	(void)state;
	assert_int_equal(d_tls_component_from_cn("admin"), D_COMP_ADMIN);
	assert_int_equal(d_tls_component_from_cn("agent"), D_COMP_AGENT);
	assert_int_equal(d_tls_component_from_cn("server"), D_COMP_SERVER);
	assert_int_equal(d_tls_component_from_cn("Server"), D_COMP_UNDEFINED);
	assert_int_equal(d_tls_component_from_cn("DAOS CA"), D_COMP_UNDEFINED);
	assert_int_equal(d_tls_component_from_cn(NULL), D_COMP_UNDEFINED);
	assert_string_equal(d_tls_component_name(D_COMP_SERVER), "server");
	assert_string_equal(d_tls_component_name((enum d_tls_component)99), "undefined");
}

static void
test_interop(void **state)
{
	static const struct {
		const char *self_comp, *self_ver, *other_comp, *other_ver;
		int	    rc;
	} cases[] = {
		/* equal versions */
		{"server", "2.9.100", "admin", "2.9.100", 0},
		{"server", "1.2.0", "admin", "1.2.0", 0},
		/* same major.minor, patch differs */
		{"server", "2.6.1", "admin", "2.6.3", 0},
		{"server", "2.6.1", "server", "2.6.0", 0},
		/* minor differs: only server<->agent within 2 */
		{"server", "2.6.0", "admin", "2.4.0", -DER_MISMATCH},
		{"server", "2.6.0", "server", "2.5.0", -DER_MISMATCH},
		{"server", "2.6.0", "agent", "2.4.0", 0},
		{"agent", "2.4.0", "server", "2.6.3", 0},
		{"server", "2.6.0", "agent", "2.3.9", -DER_MISMATCH},
		{"server", "3.0.0", "agent", "2.8.0", -DER_MISMATCH},
		/* nothing < 2.0 with >= 2.0 */
		{"server", "2.0.0", "agent", "1.2.0", -DER_MISMATCH},
		{"server", "1.2.0", "admin", "2.0.0", -DER_MISMATCH},
		{"server", "1.2.0", "admin", "1.2.1", 0},
		/* suffixes */
		{"server", "2.9.100", "admin", "2.9.101-rc1", 0},
		/* garbage */
		{"server", "2.9.100", "admin", "two", -DER_INVAL},
		{"server", "2.9", "admin", "2.9.0", -DER_INVAL},
		{"server", "2.9.100", "admin", "", -DER_INVAL},
		{"server", "2.9.100", "admin", "2.9.1x", -DER_INVAL},
	};
	struct d_errbuf eb;

	(void)state;
	for (size_t i = 0; i < D_ARRAY_SIZE(cases); i++) {
		memset(&eb, 0, sizeof(eb));
		int rc = ctl_version_compat(cases[i].self_comp, cases[i].self_ver,
					    cases[i].other_comp, cases[i].other_ver, &eb);

		if (rc != cases[i].rc)
			fail_msg("case %zu: %s %s vs %s %s: %d", i, cases[i].self_comp,
				 cases[i].self_ver, cases[i].other_comp, cases[i].other_ver, rc);
	}
	ctl_version_compat("server", "2.9.100", "admin", "2.4.0", &eb);
	assert_string_equal(eb.msg, "admin 2.4.0 is incompatible with server 2.9.100");
	ctl_version_compat("server", "2.9.100", "admin", "two", &eb);
	assert_string_equal(eb.msg, "invalid version \"two\" (expected MAJOR.MINOR.PATCH)");
}

/* What a peer may make a server read is bounded by its role (issue: memory before auth). */
static void
test_request_limits(void **state)
{
	(void)state;
	assert_int_equal(ctl_rpc_req_max(NULL), 0);
	assert_int_equal(ctl_rpc_req_max(ctl_rpc_auth_find("StorageFormat")), CTL_RPC_REQ_MAX);
	assert_int_equal(ctl_rpc_req_max(ctl_rpc_auth_find("GetAttachInfo")), CTL_RPC_REQ_SMALL);
	assert_int_equal(ctl_rpc_role_frame_max(D_COMP_AGENT), CTL_RPC_REQ_SMALL + CTL_RPC_ENV_MAX);
	assert_int_equal(ctl_rpc_role_frame_max(D_COMP_ADMIN), CTL_RPC_REQ_MAX + CTL_RPC_ENV_MAX);
	assert_int_equal(ctl_rpc_role_frame_max(D_COMP_SERVER), CTL_RPC_REQ_MAX + CTL_RPC_ENV_MAX);
	assert_int_equal(ctl_rpc_role_frame_max(D_COMP_UNDEFINED),
			 CTL_RPC_REQ_MAX + CTL_RPC_ENV_MAX);
	assert_true(ctl_rpc_role_frame_max(D_COMP_UNDEFINED) < CTL_RPC_MAX_FRAME);
	/* Every method an agent may call takes small requests only. */
	for (const struct ctl_rpc_auth *a = ctl_rpc_auth_table; a->method != NULL; a++)
		if ((a->roles & CTL_ROLE(D_COMP_AGENT)) && ctl_rpc_req_max(a) > CTL_RPC_REQ_SMALL)
			fail_msg("%s may be called by agents with %u-byte requests", a->method,
				 ctl_rpc_req_max(a));
}

static int
h_dummy(void *arg, const struct ctl_rpc_peer *peer, const uint8_t *req, size_t req_len,
	uint8_t **resp, size_t *resp_len, struct d_errbuf *eb)
{
	(void)arg, (void)peer, (void)req, (void)req_len, (void)eb;
	*resp = NULL;
	*resp_len = 0;
	return 0;
}

static void
test_server_refuses_unlisted_handler(void **state)
{
	struct d_tls_cfg	  tls = {.allow_insecure = true};
	struct ctl_rpc_method	  m[] = {{"GetVersion", h_dummy}, {"MakeCoffee", h_dummy}};
	struct ctl_rpc_server_cfg cfg = {.tls = &tls, .methods = m, .nr_methods = 2};
	struct ctl_rpc_server	 *srv = NULL;
	struct d_errbuf		  eb = {{0}};

	(void)state;
	assert_int_equal(ctl_rpc_server_create(&cfg, &srv, &eb), -DER_INVAL);
	assert_null(srv);
	assert_string_equal(eb.msg, "method MakeCoffee has a handler but no entry in the "
				    "authorization table (rpc_auth.c)");
	ctl_rpc_server_destroy(NULL);
}

static void
test_server_port_taken(void **state)
{
	struct d_tls_cfg	  tls = {.allow_insecure = true};
	struct ctl_rpc_method	  m[] = {{"GetVersion", h_dummy}};
	struct ctl_rpc_server_cfg cfg = {.tls = &tls, .methods = m, .nr_methods = 1};
	struct ctl_rpc_server	 *srv = NULL, *srv2 = NULL;
	struct d_errbuf		  eb = {{0}};
	char			  want[128];

	(void)state;
	assert_int_equal(ctl_rpc_server_create(&cfg, &srv, &eb), 0);
	assert_true(ctl_rpc_server_insecure(srv));
	cfg.port = ctl_rpc_server_port(srv);
	assert_int_not_equal(cfg.port, 0);
	assert_int_equal(ctl_rpc_server_create(&cfg, &srv2, &eb), -DER_EXIST);
	snprintf(want, sizeof(want), "port %u is already in use (EADDRINUSE)", cfg.port);
	assert_non_null(strstr(eb.msg, want));
	assert_null(srv2);
	ctl_rpc_server_destroy(srv);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_proto_methods_in_table),
		cmocka_unit_test(test_table_sane),
		cmocka_unit_test(test_every_method_roles),
		cmocka_unit_test(test_authorize),
		cmocka_unit_test(test_components),
		cmocka_unit_test(test_interop),
		cmocka_unit_test(test_request_limits),
		cmocka_unit_test(test_server_refuses_unlisted_handler),
		cmocka_unit_test(test_server_port_taken),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
