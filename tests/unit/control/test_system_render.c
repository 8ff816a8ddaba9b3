/*
 * dmg system output (src/control/dmg/system_render.c): leader-query lines,
 * the query table grouped by state (ordering of groups, absent ranks and
 * hosts), the verbose table, the results table grouped by operation and
 * result, the JSON objects, the error summary and --with-states parsing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "control/lib/render/render.h"
#include "control/lib/system/system.h"
#include "daos/daos_errno.h"

struct cap {
	char  *buf;
	size_t len;
	FILE  *f;
};

static void
cap_open(struct cap *c)
{
	c->buf = NULL;
	c->len = 0;
	c->f = open_memstream(&c->buf, &c->len);
	assert_non_null(c->f);
}

static const char *
cap_text(struct cap *c)
{
	fflush(c->f);
	return c->buf;
}

static void
cap_close(struct cap *c)
{
	fclose(c->f);
	free(c->buf);
}

static Mgmt__SystemMember  mem[6];
static Mgmt__SystemMember *memp[6];

static void
set_member(int i, uint32_t rank, const char *state, const char *uri, const char *info)
{
	static char uuids[6][37];

	mgmt__system_member__init(&mem[i]);
	snprintf(uuids[i], sizeof(uuids[i]), "%08x-1111-2222-3333-444444444444", rank);
	mem[i].rank = rank;
	mem[i].uuid = uuids[i];
	mem[i].addr = (char *)"10.0.0.1:10001";
	mem[i].state = (char *)state;
	mem[i].fabric_uri = (char *)uri;
	mem[i].fault_domain = (char *)"/wolf-1";
	mem[i].info = (char *)info;
	mem[i].incarnation = 7;
	mem[i].fabric_contexts = 2;
	mem[i].last_update = (char *)"2026-01-02T03:04:05Z";
	memp[i] = &mem[i];
}

static void
test_leader(void **state)
{
	char		     *reps[] = {(char *)"a:1", (char *)"b:1", (char *)"c:1"};
	char		     *down[] = {(char *)"c:1"};
	Mgmt__LeaderQueryResp r = MGMT__LEADER_QUERY_RESP__INIT;
	struct cap	      c;
	struct d_json	     *w;

	(void)state;
	r.current_leader = (char *)"a:1";
	r.replicas = reps;
	r.n_replicas = 3;
	cap_open(&c);
	ctl_system_leader_print(c.f, &r, false);
	assert_string_equal(cap_text(&c), "Current Leader: a:1\n   Replica Set: a:1, b:1, c:1\n"
					  "  Unresponsive Replicas: \n");
	cap_close(&c);
	r.down_replicas = down;
	r.n_down_replicas = 1;
	cap_open(&c);
	ctl_system_leader_print(c.f, &r, true);
	assert_string_equal(cap_text(&c), "Unresponsive Replicas: c:1\n");
	cap_close(&c);
	w = d_json_create();
	ctl_system_leader_json(w, &r);
	assert_int_equal(d_json_finish(w), 0);
	assert_string_equal(d_json_text(w), "{\n  \"current_leader\": \"a:1\",\n  \"replicas\": [\n"
					    "    \"a:1\",\n    \"b:1\",\n    \"c:1\"\n  ],\n"
					    "  \"down_replicas\": [\n    \"c:1\"\n  ]\n}");
	d_json_destroy(w);
}

static void
test_query_grouped(void **state)
{
	Mgmt__SystemQueryResp r = MGMT__SYSTEM_QUERY_RESP__INIT;
	struct cap	      out, err;

	(void)state;
	set_member(0, 0, "Joined", "ofi+tcp://10.0.0.1:31416", "");
	set_member(1, 1, "Joined", "", "");
	set_member(2, 2, "Stopped", "", "");
	set_member(3, 3, "Excluded", "", "");
	set_member(4, 4, "Stopped", "", "");
	set_member(5, 5, "Joined", "", "");
	r.members = memp;
	r.n_members = 6;
	cap_open(&out);
	cap_open(&err);
	assert_int_equal(ctl_system_query_print(out.f, err.f, &r, false), 0);
	/* groups: most ranks first, then by state name */
	assert_string_equal(cap_text(&out), "Rank    State    \n"
					    "----    -----    \n"
					    "[0-1,5] Joined   \n"
					    "[2,4]   Stopped  \n"
					    "3       Excluded \n\n");
	assert_string_equal(cap_text(&err), "");
	cap_close(&out);
	cap_close(&err);

	/* absent ranks are a group, absent hosts a line on the error stream */
	r.n_members = 2;
	r.absentranks = (char *)"7-9";
	r.absenthosts = (char *)"foo[7-9]";
	cap_open(&out);
	cap_open(&err);
	assert_int_equal(ctl_system_query_print(out.f, err.f, &r, false), 0);
	assert_string_equal(cap_text(&out), "Rank  State        \n"
					    "----  -----        \n"
					    "[7-9] Unknown Rank \n"
					    "[0-1] Joined       \n\n");
	assert_string_equal(cap_text(&err), "Unknown 3 hosts: foo[7-9]\n");
	cap_close(&out);
	cap_close(&err);

	/* a single absent rank/host, nothing matched */
	r.n_members = 0;
	r.absentranks = (char *)"7";
	r.absenthosts = (char *)"foo1";
	cap_open(&out);
	cap_open(&err);
	assert_int_equal(ctl_system_query_print(out.f, err.f, &r, false), 0);
	assert_string_equal(cap_text(&out), "Query matches no ranks in system\n");
	assert_string_equal(cap_text(&err), "Unknown 1 host: foo1\nUnknown 1 rank: 7\n");
	cap_close(&out);
	cap_close(&err);
}

static void
test_query_verbose_and_json(void **state)
{
	Mgmt__SystemQueryResp r = MGMT__SYSTEM_QUERY_RESP__INIT;
	struct cap	      out, err;
	struct d_json	     *w;
	const char	     *t;

	(void)state;
	set_member(0, 0, "Joined", "ofi+tcp://10.0.0.1:31416", "");
	set_member(1, 12, "Errored", "", "exited with status: exit status 1");
	r.members = memp;
	r.n_members = 2;
	r.absentranks = (char *)"3";
	cap_open(&out);
	cap_open(&err);
	assert_int_equal(ctl_system_query_print(out.f, err.f, &r, true), 0);
	assert_string_equal(
		cap_text(&out),
		"Rank UUID                                 Fabric Address Fault Domain State   "
		"Reason                            \n"
		"---- ----                                 -------------- ------------ -----   "
		"------                            \n"
		"0    00000000-1111-2222-3333-444444444444 10.0.0.1:31416 /wolf-1      Joined  "
		"                                  \n"
		"12   0000000c-1111-2222-3333-444444444444 N/A            /wolf-1      Errored "
		"exited with status: exit status 1 \n\n");
	assert_string_equal(cap_text(&err), "Unknown 1 rank: 3\n");
	cap_close(&out);
	cap_close(&err);

	w = d_json_create();
	r.n_members = 1;
	ctl_system_query_json(w, &r);
	assert_int_equal(d_json_finish(w), 0);
	t = d_json_text(w);
	assert_string_equal(t, "{\n  \"members\": [\n    {\n"
			       "      \"addr\": \"10.0.0.1:10001\",\n"
			       "      \"state\": \"joined\",\n"
			       "      \"fault_domain\": \"/wolf-1\",\n"
			       "      \"rank\": 0,\n"
			       "      \"incarnation\": 7,\n"
			       "      \"uuid\": \"00000000-1111-2222-3333-444444444444\",\n"
			       "      \"fabric_uri\": \"ofi+tcp://10.0.0.1:31416\",\n"
			       "      \"fabric_contexts\": 2,\n"
			       "      \"info\": \"\",\n"
			       "      \"last_update\": \"2026-01-02T03:04:05Z\"\n"
			       "    }\n  ]\n}");
	d_json_destroy(w);
	w = d_json_create();
	r.n_members = 0;
	ctl_system_query_json(w, &r);
	assert_int_equal(d_json_finish(w), 0);
	assert_string_equal(d_json_text(w), "{\n  \"members\": null\n}");
	d_json_destroy(w);
}

static Ctl__RankResult	res[5];
static Ctl__RankResult *resp[5];

static void
set_result(int i, uint32_t rank, const char *action, bool errored, const char *msg, const char *st)
{
	ctl__rank_result__init(&res[i]);
	res[i].rank = rank;
	res[i].action = (char *)action;
	res[i].errored = errored;
	res[i].msg = (char *)msg;
	res[i].state = (char *)st;
	res[i].addr = (char *)"10.0.0.1:10001";
	resp[i] = &res[i];
}

static void
test_results(void **state)
{
	struct cap     out, err;
	struct d_json *w;
	char	      *e;
	bool	       oom;

	(void)state;
	set_result(0, 0, "stop", false, "", "Stopped");
	set_result(1, 1, "stop", true, "rank 1 not found on this host", "Errored");
	set_result(2, 2, "stop", false, "", "Stopped");
	set_result(3, 3, "stop", true, "rank 3 not found on this host", "Errored");
	set_result(4, 4, "stop", false, "", "Stopped");
	cap_open(&out);
	cap_open(&err);
	assert_int_equal(ctl_system_results_print(out.f, err.f, resp, 5, "8", "bar[1-2]"), 0);
	assert_string_equal(cap_text(&out), "Rank    Operation Result                        \n"
					    "----    --------- ------                        \n"
					    "[0,2,4] stop      OK                            \n"
					    /* equal counts: by key, and "----" sorts first */
					    "8       ----      Unknown Rank                  \n"
					    "1       stop      rank 1 not found on this host \n"
					    "3       stop      rank 3 not found on this host \n\n");
	assert_string_equal(cap_text(&err), "Unknown 2 hosts: bar[1-2]\n");
	cap_close(&out);
	cap_close(&err);

	cap_open(&out);
	cap_open(&err);
	assert_int_equal(ctl_system_results_print(out.f, err.f, resp, 0, "8", ""), 0);
	assert_string_equal(cap_text(&out), "No results returned\n");
	assert_string_equal(cap_text(&err), "Unknown 1 rank: 8\n");
	cap_close(&out);
	cap_close(&err);

	w = d_json_create();
	d_json_obj_begin(w, NULL);
	ctl_system_results_json(w, "Results", resp, 1);
	d_json_obj_end(w);
	assert_int_equal(d_json_finish(w), 0);
	assert_string_equal(d_json_text(w), "{\n  \"Results\": [\n    {\n"
					    "      \"addr\": \"10.0.0.1:10001\",\n"
					    "      \"action\": \"stop\",\n"
					    "      \"errored\": false,\n"
					    "      \"msg\": \"\",\n"
					    "      \"rank\": 0,\n"
					    "      \"state\": \"stopped\"\n"
					    "    }\n  ]\n}");
	d_json_destroy(w);

	e = ctl_system_errors("bar[1-2]", "8", resp, 5, &oom);
	assert_false(oom);
	assert_string_equal(e, "non-existent hosts bar[1-2], non-existent ranks 8, check results "
			       "for failed ranks 1,3");
	free(e);
	e = ctl_system_errors("", "", resp, 5, &oom);
	assert_string_equal(e, "check results for failed ranks 1,3");
	free(e);
	assert_null(ctl_system_errors("", NULL, resp, 1, &oom));
	assert_false(oom);
	e = ctl_system_errors("", "3-4", NULL, 0, &oom);
	assert_string_equal(e, "non-existent ranks 3-4");
	free(e);
}

static void
test_with_states(void **state)
{
	struct d_errbuf eb = {{0}};
	uint32_t	mask = 0;

	(void)state;
	assert_int_equal(ctl_system_states_parse("Joined", &mask, &eb), 0);
	assert_int_equal(mask, CTL_MS_JOINED);
	assert_int_equal(ctl_system_states_parse("stopped,ERRORED, awaitformat", &mask, &eb), 0);
	assert_int_equal(mask, CTL_MS_STOPPED | CTL_MS_ERRORED | CTL_MS_AWAIT_FORMAT);
	mask = 0;
	assert_int_equal(ctl_system_states_parse("Joined,Sleeping", &mask, &eb), -DER_INVAL);
	assert_non_null(strstr(eb.msg, "invalid state name \"Sleeping\" in --with-states"));
	assert_int_equal(mask, 0);
	assert_int_equal(ctl_system_states_parse("Unknown", &mask, &eb), -DER_INVAL);
	assert_int_equal(ctl_system_states_parse(",", &mask, &eb), -DER_INVAL);
	assert_non_null(strstr(eb.msg, "at least one member state"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_leader),
		cmocka_unit_test(test_query_grouped),
		cmocka_unit_test(test_query_verbose_and_json),
		cmocka_unit_test(test_results),
		cmocka_unit_test(test_with_states),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
