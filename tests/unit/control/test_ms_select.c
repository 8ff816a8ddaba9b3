/*
 * Member selection of the management service's `dmg system` requests
 * (src/control/lib/system/select.c): rank and host filters, state
 * masks, absent ranks and hosts, and the refusals.  Hosts are numeric
 * addresses so no name service is involved.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "control/server/srv_mgmt.h"
#include "daos/daos_errno.h"

static struct ctl_membership *m;

/* ranks 0-1 on 10.0.0.1:10001, 2 on 10.0.0.1:10002, 3-4 on 10.0.0.2:10001; 4 Errored */
static int
setup(void **state)
{
	static const char *addrs[] = {"10.0.0.1:10001", "10.0.0.1:10001", "10.0.0.1:10002",
				      "10.0.0.2:10001", "10.0.0.2:10001"};

	(void)state;
	assert_int_equal(ctl_membership_create(&m), 0);
	for (uint32_t i = 0; i < 5; i++) {
		char		     uuid[37], uri[64];
		struct ctl_join_req  rq = {.uuid = uuid,
					   .rank = i,
					   .uri = uri,
					   .nctxs = 1,
					   .addr = addrs[i],
					   .fault_domain = "/h",
					   .incarnation = 1};
		struct ctl_join_resp rs;

		snprintf(uuid, sizeof(uuid), "%08x-0000-0000-0000-000000000000", i + 1);
		snprintf(uri, sizeof(uri), "ofi+tcp://%s%u", addrs[i], i);
		assert_int_equal(ctl_membership_join(m, &rq, &rs, NULL, NULL), 0);
	}
	assert_int_equal(ctl_membership_set_state(m, 4, CTL_MS_ERRORED, "died", NULL), 0);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	ctl_membership_destroy(m);
	return 0;
}

/* Resolve the host set first (as the MS does, outside its lock), then select. */
static int
sel(const struct ctl_membership *mm, const char *ranks, const char *hosts, uint32_t mask,
    struct ctl_system_sel *s, struct d_errbuf *eb)
{
	struct ctl_system_hosts *hq = NULL;
	int			 rc = ctl_system_hosts_resolve(hosts, &hq, eb);

	if (rc == 0)
		rc = ctl_system_select(mm, ranks, hq, mask, s, eb);
	ctl_system_hosts_free(hq);
	return rc;
}

static void
check(const char *ranks, const char *hosts, uint32_t mask, const char *want_ranks,
      const char *absent_r, const char *absent_h)
{
	struct ctl_system_sel s;
	struct d_errbuf	      eb = {{0}};
	char		      got[128] = "";

	assert_int_equal(sel(m, ranks, hosts, mask, &s, &eb), 0);
	for (size_t i = 0; i < s.n; i++)
		snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%u", i ? "," : "",
			 s.v[i]->rank);
	assert_string_equal(got, want_ranks);
	assert_string_equal(s.absent_ranks, absent_r);
	assert_string_equal(s.absent_hosts, absent_h);
	ctl_system_sel_fini(&s);
}

static void
test_filters(void **state)
{
	(void)state;
	check(NULL, NULL, 0, "0,1,2,3,4", "", "");
	check("", "", CTL_MS_FILTER_ALL, "0,1,2,3,4", "", "");
	check("[]", NULL, 0, "0,1,2,3,4", "", "");
	check("1,3-4", NULL, 0, "1,3,4", "", "");
	check("[1,3-9]", NULL, 0, "1,3,4", "5-9", "");
	check("7", NULL, 0, "", "7", "");
	check(NULL, NULL, CTL_MS_ERRORED, "4", "", "");
	check(NULL, NULL, CTL_MS_FILTER_ALL & ~(uint32_t)CTL_MS_JOINED, "4", "", "");
	check(NULL, NULL, CTL_MS_STOPPED, "", "", "");
	check("0-3", NULL, CTL_MS_ERRORED | CTL_MS_JOINED, "0,1,2,3", "", "");
	check(NULL, "10.0.0.1", 0, "0,1,2", "", "");
	check(NULL, "10.0.0.1:10002", 0, "2", "", "");
	check(NULL, "10.0.0.[1-2]:10001", 0, "0,1,3,4", "", "");
	check(NULL, "10.0.0.[2-4]", CTL_MS_JOINED, "3", "", "10.0.0.[3-4]");
	check(NULL, "10.0.0.1:9", 0, "", "", "10.0.0.1:9");
}

static void
test_refusals(void **state)
{
	struct ctl_system_sel s = {0};
	struct d_errbuf	      eb = {{0}};

	(void)state;
	assert_int_equal(sel(m, "1", "10.0.0.1", 0, &s, &eb), -DER_INVAL);
	assert_string_equal(eb.msg, "--ranks and --rank-hosts options cannot be set together");
	assert_int_equal(sel(m, "1-x", NULL, 0, &s, &eb), -DER_INVAL);
	assert_non_null(strstr(eb.msg, "invalid rank set \"1-x\" (--ranks): "));
	assert_int_equal(sel(m, NULL, "h[3-1]", 0, &s, &eb), -DER_INVAL);
	assert_non_null(strstr(eb.msg, "invalid host set \"h[3-1]\" (--rank-hosts): "));
	assert_null(s.v);
	ctl_system_sel_fini(NULL);
}

static void
test_empty_membership(void **state)
{
	struct ctl_membership *e;
	struct ctl_system_sel  s;
	struct d_errbuf	       eb = {{0}};

	(void)state;
	assert_int_equal(ctl_membership_create(&e), 0);
	assert_int_equal(sel(e, "0-2", NULL, 0, &s, &eb), 0);
	assert_int_equal(s.n, 0);
	assert_string_equal(s.absent_ranks, "0-2");
	ctl_system_sel_fini(&s);
	assert_int_equal(sel(e, NULL, "10.1.1.1", 0, &s, &eb), 0);
	assert_string_equal(s.absent_hosts, "10.1.1.1");
	ctl_system_sel_fini(&s);
	assert_int_equal(ctl_system_hosts_resolve(NULL, (struct ctl_system_hosts **)&s.v, &eb), 0);
	assert_null(s.v);
	ctl_system_hosts_free(NULL);
	ctl_membership_destroy(e);
}

static void
test_resolved_names(void **state)
{
	struct ctl_membership *e;
	struct ctl_system_sel  s;
	struct d_errbuf	       eb = {{0}};
	struct ctl_join_req    r = {.uuid = "11111111-1111-1111-1111-111111111111",
				    .rank = CTL_NIL_RANK,
				    .uri = "ofi+tcp://127.0.0.1:1",
				    .addr = "127.0.0.1:10001"};
	struct ctl_join_resp   resp;

	(void)state;
	assert_int_equal(ctl_membership_create(&e), 0);
	assert_int_equal(ctl_membership_join(e, &r, &resp, NULL, &eb), 0);
	/* "localhost" matches no address by name; its address 127.0.0.1 does */
	assert_int_equal(sel(e, NULL, "localhost", 0, &s, &eb), 0);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.absent_hosts, "");
	ctl_system_sel_fini(&s);
	assert_int_equal(sel(e, NULL, "localhost:10002", 0, &s, &eb), 0);
	assert_int_equal(s.n, 0);
	assert_string_equal(s.absent_hosts, "localhost:10002");
	ctl_system_sel_fini(&s);
	ctl_membership_destroy(e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_filters),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_empty_membership),
		cmocka_unit_test(test_resolved_names),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
