/*
 * Member states (values, names, parsing), every pair of the transition
 * table, the state filters, and the membership table: join rules, rank
 * assignment, lookups, state updates, listing and the text form.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "control/lib/system/system.h"
#include "daos/daos_errno.h"

#define U1 "11111111-1111-1111-1111-111111111111"
#define U2 "22222222-2222-2222-2222-222222222222"
#define U3 "33333333-3333-3333-3333-333333333333"
#define U4 "44444444-4444-4444-4444-444444444444"
#define U5 "55555555-5555-5555-5555-555555555555"

static const uint32_t all_states[] = {
	CTL_MS_UNKNOWN, CTL_MS_AWAIT_FORMAT, CTL_MS_STARTING,	    CTL_MS_READY,
	CTL_MS_JOINED,	CTL_MS_STOPPING,     CTL_MS_STOPPED,	    CTL_MS_EXCLUDED,
	CTL_MS_ERRORED, CTL_MS_UNRESPONSIVE, CTL_MS_ADMIN_EXCLUDED, CTL_MS_CHECKER_STARTED,
};

static void
test_state_names(void **state)
{
	static const struct {
		uint32_t    v;
		uint32_t    bits;
		const char *name;
	} tab[] = {
		{CTL_MS_UNKNOWN, 0x0, "Unknown"},
		{CTL_MS_AWAIT_FORMAT, 0x1, "AwaitFormat"},
		{CTL_MS_STARTING, 0x2, "Starting"},
		{CTL_MS_READY, 0x4, "Ready"},
		{CTL_MS_JOINED, 0x8, "Joined"},
		{CTL_MS_STOPPING, 0x10, "Stopping"},
		{CTL_MS_STOPPED, 0x20, "Stopped"},
		{CTL_MS_EXCLUDED, 0x40, "Excluded"},
		{CTL_MS_ERRORED, 0x80, "Errored"},
		{CTL_MS_UNRESPONSIVE, 0x100, "Unresponsive"},
		{CTL_MS_ADMIN_EXCLUDED, 0x200, "AdminExcluded"},
		{CTL_MS_CHECKER_STARTED, 0x400, "CheckerStarted"},
	};

	(void)state;
	for (size_t i = 0; i < D_ARRAY_SIZE(tab); i++) {
		char lower[32];

		assert_int_equal(tab[i].v, tab[i].bits);
		assert_string_equal(ctl_member_state_name(tab[i].v), tab[i].name);
		assert_int_equal(ctl_member_state_parse(tab[i].name), tab[i].v);
		for (size_t j = 0; j <= strlen(tab[i].name); j++)
			lower[j] = (char)(tab[i].name[j] | (tab[i].name[j] ? 0x20 : 0));
		assert_int_equal(ctl_member_state_parse(lower), tab[i].v);
	}
	assert_int_equal(ctl_member_state_parse("JOINED"), CTL_MS_JOINED);
	assert_int_equal(ctl_member_state_parse("admin-excluded"), CTL_MS_UNKNOWN);
	assert_int_equal(ctl_member_state_parse(""), CTL_MS_UNKNOWN);
	assert_int_equal(ctl_member_state_parse(NULL), CTL_MS_UNKNOWN);
	assert_string_equal(ctl_member_state_name(0x3), "Unknown");
	assert_string_equal(ctl_member_state_name(0x800), "Unknown");

	assert_int_equal(CTL_MS_FILTER_AVAILABLE, 0x4 | 0x8);
	assert_int_equal(CTL_MS_FILTER_EXCLUDED, 0x1 | 0x40 | 0x200);
}

/* Illegal pairs spelled out from the reference, independent of the implementation. */
static bool
expect_illegal(uint32_t from, uint32_t to)
{
	static const struct {
		uint32_t from;
		uint32_t to;
	} bad[] = {
		{CTL_MS_JOINED, CTL_MS_READY},		{CTL_MS_AWAIT_FORMAT, CTL_MS_EXCLUDED},
		{CTL_MS_STARTING, CTL_MS_EXCLUDED},	{CTL_MS_READY, CTL_MS_EXCLUDED},
		{CTL_MS_ERRORED, CTL_MS_READY},		{CTL_MS_ERRORED, CTL_MS_JOINED},
		{CTL_MS_ERRORED, CTL_MS_STOPPING},	{CTL_MS_UNRESPONSIVE, CTL_MS_READY},
		{CTL_MS_UNRESPONSIVE, CTL_MS_JOINED},	{CTL_MS_UNRESPONSIVE, CTL_MS_STOPPING},
		{CTL_MS_CHECKER_STARTED, CTL_MS_READY}, {CTL_MS_CHECKER_STARTED, CTL_MS_JOINED},
		{CTL_MS_EXCLUDED, CTL_MS_ERRORED},	{CTL_MS_EXCLUDED, CTL_MS_STOPPING},
		{CTL_MS_EXCLUDED, CTL_MS_STOPPED},	{CTL_MS_EXCLUDED, CTL_MS_STARTING},
		{CTL_MS_EXCLUDED, CTL_MS_READY},	{CTL_MS_EXCLUDED, CTL_MS_UNRESPONSIVE},
	};

	if (from == CTL_MS_UNKNOWN || from == CTL_MS_ADMIN_EXCLUDED || from == to)
		return true;
	for (size_t i = 0; i < D_ARRAY_SIZE(bad); i++)
		if (bad[i].from == from && bad[i].to == to)
			return true;
	return false;
}

static void
test_transitions(void **state)
{
	int legal = 0;

	(void)state;
	for (size_t i = 0; i < D_ARRAY_SIZE(all_states); i++) {
		for (size_t j = 0; j < D_ARRAY_SIZE(all_states); j++) {
			bool ok = ctl_member_state_transition_ok(all_states[i], all_states[j]);

			if (ok == expect_illegal(all_states[i], all_states[j]))
				fail_msg("%s -> %s: got %s", ctl_member_state_name(all_states[i]),
					 ctl_member_state_name(all_states[j]),
					 ok ? "legal" : "illegal");
			legal += ok;
		}
	}
	/* 144 pairs - 24 (from Unknown/AdminExcluded) - 10 (self) - 18 listed */
	assert_int_equal(legal, 144 - 24 - 10 - 18);
	/* a few readable spot checks */
	assert_true(ctl_member_state_transition_ok(CTL_MS_EXCLUDED, CTL_MS_JOINED));
	assert_true(ctl_member_state_transition_ok(CTL_MS_STOPPED, CTL_MS_JOINED));
	assert_true(ctl_member_state_transition_ok(CTL_MS_JOINED, CTL_MS_ADMIN_EXCLUDED));
}

static struct ctl_join_req
req(const char *uuid, uint32_t rank, const char *addr, const char *fd)
{
	struct ctl_join_req r = {
		.uuid = uuid,
		.rank = rank,
		.uri = "ofi+tcp://10.0.0.1:31416",
		.nctxs = 6,
		.addr = addr,
		.fault_domain = fd,
		.incarnation = 1,
	};

	return r;
}

static uint32_t
join_ok(struct ctl_membership *m, struct ctl_join_req r, bool created)
{
	struct ctl_join_resp resp = {0};
	enum ctl_join_fail   why = CTL_JOIN_BAD_REQUEST;
	struct d_errbuf	     eb = {{0}};
	int		     rc = ctl_membership_join(m, &r, &resp, &why, &eb);

	if (rc != 0)
		fail_msg("join %s: %d %s", r.uuid, rc, eb.msg);
	assert_int_equal(why, CTL_JOIN_OK);
	assert_int_equal(resp.created, created);
	assert_int_equal(resp.map_version, ctl_membership_map_version(m));
	return resp.rank;
}

static void
join_err(struct ctl_membership *m, struct ctl_join_req r, int rc, enum ctl_join_fail want,
	 const char *msg)
{
	struct ctl_join_resp resp = {.rank = 77};
	enum ctl_join_fail   why = CTL_JOIN_OK;
	struct d_errbuf	     eb = {{0}};
	uint64_t	     ver = ctl_membership_map_version(m);

	assert_int_equal(ctl_membership_join(m, &r, &resp, &why, &eb), rc);
	assert_int_equal(why, want);
	assert_int_equal(resp.rank, 77);
	assert_int_equal(ctl_membership_map_version(m), ver);
	if (strcmp(eb.msg, msg) != 0)
		fail_msg("message\n got: %s\nwant: %s", eb.msg, msg);
}

static struct ctl_membership *
new_table(void)
{
	struct ctl_membership *m = NULL;

	assert_int_equal(ctl_membership_create(&m), 0);
	return m;
}

static void
test_join_ranks(void **state)
{
	struct ctl_membership	*m = new_table();
	const struct ctl_member *mb;

	(void)state;
	assert_int_equal(ctl_membership_next_rank(m), 1);
	assert_int_equal(join_ok(m, req(U1, CTL_NIL_RANK, "h1:10001", "/h1"), true), 1);
	assert_int_equal(join_ok(m, req(U2, 0, "h0:10001", "/h0"), true), 0);
	assert_int_equal(join_ok(m, req(U3, CTL_NIL_RANK, "h2:10001", "/h2"), true), 2);
	assert_int_equal(join_ok(m, req(U4, 3, "h3:10001", "/h3"), true), 3);
	/* next free rank skips ones taken by explicit requests */
	assert_int_equal(join_ok(m, req(U5, CTL_NIL_RANK, "h4:10001", "/h4"), true), 4);
	assert_int_equal(ctl_membership_next_rank(m), 5);
	assert_int_equal(ctl_membership_count(m), 5);
	assert_int_equal(ctl_membership_map_version(m), 5);

	mb = ctl_membership_find_rank(m, 3);
	assert_non_null(mb);
	assert_string_equal(mb->uuid, U4);
	assert_string_equal(mb->addr, "h3:10001");
	assert_string_equal(mb->uri, "ofi+tcp://10.0.0.1:31416");
	assert_string_equal(mb->fault_domain, "/h3");
	assert_int_equal(mb->state, CTL_MS_JOINED);
	assert_int_equal(mb->nctxs, 6);
	assert_null(mb->info);
	assert_null(ctl_membership_find_rank(m, 9));
	ctl_membership_destroy(m);
	ctl_membership_destroy(NULL);
}

static void
test_rejoin(void **state)
{
	struct ctl_membership	*m = new_table();
	struct ctl_join_req	 r;
	struct ctl_join_resp	 resp = {0};
	struct d_errbuf		 eb = {{0}};
	const struct ctl_member *mb;

	(void)state;
	join_ok(m, req(U1, CTL_NIL_RANK, "h1:10001", "/h1"), true);
	join_ok(m, req(U2, CTL_NIL_RANK, "h2:10001", "/h2"), true);
	assert_int_equal(ctl_membership_set_state(m, 1, CTL_MS_ERRORED, "died", &eb), 0);

	/* nil rank: found by (upper-case) UUID; new URI, incarnation, fault domain */
	r = req(U1, CTL_NIL_RANK, "h1:10001", "/h1b");
	r.uri = "ofi+tcp://10.0.0.9:31416";
	r.incarnation = 7;
	r.nctxs = 9;
	assert_int_equal(ctl_membership_join(m, &r, &resp, NULL, &eb), 0);
	assert_false(resp.created);
	assert_int_equal(resp.rank, 1);
	assert_int_equal(resp.prev_state, CTL_MS_ERRORED);
	assert_int_equal(resp.state, CTL_MS_JOINED);
	mb = ctl_membership_find_uuid(m, "11111111-1111-1111-1111-111111111111");
	assert_non_null(mb);
	assert_string_equal(mb->uri, "ofi+tcp://10.0.0.9:31416");
	assert_string_equal(mb->fault_domain, "/h1b");
	assert_int_equal(mb->incarnation, 7);
	assert_int_equal(mb->nctxs, 9);
	assert_null(mb->info); /* cleared on join */

	/* by rank, check mode */
	r = req(U2, 2, "h2:10001", "/h2");
	r.check_mode = true;
	assert_int_equal(ctl_membership_join(m, &r, &resp, NULL, &eb), 0);
	assert_int_equal(resp.state, CTL_MS_CHECKER_STARTED);
	assert_int_equal(resp.prev_state, CTL_MS_JOINED);
	assert_int_equal(ctl_membership_count(m), 2);

	/* an engine whose host was unreachable comes back: same uuid, rank and address */
	assert_int_equal(ctl_membership_set_state(m, 1, CTL_MS_UNRESPONSIVE, "gone", &eb), 0);
	assert_false(ctl_member_state_transition_ok(CTL_MS_UNRESPONSIVE, CTL_MS_JOINED));
	r = req(U1, 1, "h1:10001", "/h1b");
	r.incarnation = 8;
	assert_int_equal(ctl_membership_join(m, &r, &resp, NULL, &eb), 0);
	assert_int_equal(resp.prev_state, CTL_MS_UNRESPONSIVE);
	assert_int_equal(resp.state, CTL_MS_JOINED);
	mb = ctl_membership_find_rank(m, 1);
	assert_int_equal(mb->state, CTL_MS_JOINED);
	assert_null(mb->info);
	/* but not under another address */
	assert_int_equal(ctl_membership_set_state(m, 1, CTL_MS_UNRESPONSIVE, "gone", &eb), 0);
	join_err(m, req(U1, 1, "h9:10001", "/h1b"), -DER_MISMATCH, CTL_JOIN_ADDR_CHANGED,
		 "can't rejoin member " U1 " (rank 1): control address changed from h1:10001 "
		 "-> h9:10001");
	ctl_membership_destroy(m);
}

/* One ctl_member_ping_update() case: `want` 0 means no change. */
static void
ping_case(uint32_t cur, struct ctl_ping p, uint32_t want, const char *info)
{
	char	 buf[256] = "untouched";
	uint32_t to = 0x7777;
	bool	 ch = ctl_member_ping_update(3, cur, "10.0.0.2:10001", &p, &to, buf, sizeof(buf));

	if (want == 0) {
		assert_false(ch);
		assert_int_equal(to, 0x7777);
		assert_string_equal(buf, "untouched");
		return;
	}
	assert_true(ch);
	assert_int_equal(to, want);
	if (strcmp(buf, info) != 0)
		fail_msg("info\n got: %s\nwant: %s", buf, info);
}

static void
test_ping_update(void **state)
{
	const struct ctl_ping down = {.unreachable = true, .msg = "connection refused"};
	const struct ctl_ping silent = {.unreachable = true};
	const struct ctl_ping none = {0};

	(void)state;
	ping_case(CTL_MS_JOINED, down, CTL_MS_UNRESPONSIVE,
		  "control plane of 10.0.0.2:10001 unreachable: connection refused");
	ping_case(CTL_MS_READY, silent, CTL_MS_UNRESPONSIVE,
		  "control plane of 10.0.0.2:10001 unreachable: no answer");
	ping_case(CTL_MS_UNRESPONSIVE, down, 0, NULL); /* already */
	/* members that are not pinged never change */
	for (size_t i = 0; i < sizeof(all_states) / sizeof(all_states[0]); i++) {
		uint32_t s = all_states[i];

		if ((s & CTL_MS_FILTER_PINGED) == 0) {
			ping_case(s, down, 0, NULL);
			ping_case(s, (struct ctl_ping){.answered = true, .state = "Stopped"}, 0,
				  NULL);
		}
	}
	ping_case(CTL_MS_JOINED, none, 0, NULL); /* no result for the rank */
	/* the host's word about the rank */
	ping_case(CTL_MS_JOINED,
		  (struct ctl_ping){.answered = true,
				    .state = "Errored",
				    .msg = "instance 0, pid 9, rank 3 exited with status: killed"},
		  CTL_MS_ERRORED,
		  "10.0.0.2:10001: instance 0, pid 9, rank 3 exited with status: killed");
	ping_case(CTL_MS_JOINED, (struct ctl_ping){.answered = true, .state = "Stopped", .msg = ""},
		  CTL_MS_STOPPED, "rank 3 is Stopped on 10.0.0.2:10001");
	ping_case(CTL_MS_UNRESPONSIVE, (struct ctl_ping){.answered = true, .state = "AwaitFormat"},
		  CTL_MS_AWAIT_FORMAT, "rank 3 is AwaitFormat on 10.0.0.2:10001");
	ping_case(CTL_MS_JOINED,
		  (struct ctl_ping){.answered = true,
				    .state = "Unknown",
				    .msg = "rank 3 not found on this host"},
		  CTL_MS_ERRORED, "10.0.0.2:10001: rank 3 not found on this host");
	/* alive, or coming back through Join: no change */
	ping_case(CTL_MS_JOINED, (struct ctl_ping){.answered = true, .state = "Joined"}, 0, NULL);
	ping_case(CTL_MS_JOINED, (struct ctl_ping){.answered = true, .state = "Starting"}, 0, NULL);
	ping_case(CTL_MS_JOINED, (struct ctl_ping){.answered = true, .state = "Stopping"}, 0, NULL);
	ping_case(CTL_MS_UNRESPONSIVE, (struct ctl_ping){.answered = true, .state = "Joined"}, 0,
		  NULL);
	/* illegal transitions are skipped: Ready -> ... is fine, Errored -> Errored is not */
	ping_case(CTL_MS_READY, (struct ctl_ping){.answered = true, .state = "Errored"},
		  CTL_MS_ERRORED, "rank 3 is Errored on 10.0.0.2:10001");
}

/* One ctl_member_ping_rejoins() case for a member with incarnation 42. */
static void
rejoin_case(uint32_t cur, struct ctl_ping p, bool want)
{
	char buf[256] = "untouched";
	bool r = ctl_member_ping_rejoins(cur, 42, "10.0.0.2:10001", &p, buf, sizeof(buf));

	if (!want) {
		assert_false(r);
		assert_string_equal(buf, "untouched");
		return;
	}
	assert_true(r);
	assert_string_equal(buf, "host 10.0.0.2:10001 answers again, same engine (incarnation 42)");
}

static void
test_ping_rejoins(void **state)
{
	const struct ctl_ping same = {.answered = true, .state = "Joined", .incarnation = 42};
	struct ctl_ping	      p;
	char		      buf[64] = "untouched";

	(void)state;
	/* the very engine that joined answers: a verified rejoin */
	rejoin_case(CTL_MS_UNRESPONSIVE, same, true);
	p = same;
	p.state = "joined"; /* state names are case-insensitive, as everywhere */
	rejoin_case(CTL_MS_UNRESPONSIVE, p, true);
	/* another incarnation is a restarted engine: it rejoins by itself */
	p = same;
	p.incarnation = 43;
	rejoin_case(CTL_MS_UNRESPONSIVE, p, false);
	/* no incarnation reported (a daos_server without it) */
	p = same;
	p.incarnation = 0;
	rejoin_case(CTL_MS_UNRESPONSIVE, p, false);
	/* a member recorded with incarnation 0 never matches, not even a 0 answer */
	assert_false(ctl_member_ping_rejoins(CTL_MS_UNRESPONSIVE, 0, "h:1", &p, buf, sizeof(buf)));
	assert_string_equal(buf, "untouched");
	/* the host's other states */
	p = same;
	for (const char *const *st =
		     (const char *const[]){"Starting", "Stopping", "Stopped", "Errored",
					   "AwaitFormat", "Unknown", "Ready", NULL};
	     *st != NULL; st++) {
		p.state = *st;
		rejoin_case(CTL_MS_UNRESPONSIVE, p, false);
	}
	p.state = NULL;
	rejoin_case(CTL_MS_UNRESPONSIVE, p, false);
	/* not an answer */
	rejoin_case(CTL_MS_UNRESPONSIVE, (struct ctl_ping){.unreachable = true, .incarnation = 42},
		    false);
	rejoin_case(CTL_MS_UNRESPONSIVE, (struct ctl_ping){.state = "Joined", .incarnation = 42},
		    false);
	/* members in any other state: unchanged */
	for (size_t i = 0; i < sizeof(all_states) / sizeof(all_states[0]); i++)
		if (all_states[i] != CTL_MS_UNRESPONSIVE)
			rejoin_case(all_states[i], same, false);
	/* and the generic ping update still leaves Unresponsive alone on that answer */
	ping_case(CTL_MS_UNRESPONSIVE, same, 0, NULL);
}

static void
test_rejoin_same(void **state)
{
	struct ctl_membership	*m = new_table();
	struct d_errbuf		 eb = {{0}};
	struct ctl_join_req	 r = req(U1, CTL_NIL_RANK, "h1:10001", "/h1");
	struct ctl_join_resp	 resp;
	const struct ctl_member *mb;
	uint64_t		 ver;
	char			*before, *after;

	(void)state;
	r.incarnation = 42;
	assert_int_equal(ctl_membership_join(m, &r, &resp, NULL, &eb), 0);
	/* only an Unresponsive member */
	assert_int_equal(ctl_membership_rejoin_same(m, 1, 42, &eb), -DER_NOTAPPLICABLE);
	assert_string_equal(eb.msg, "rank 1 cannot rejoin as the same engine: it is Joined with "
				    "incarnation 42, not Unresponsive with incarnation 42");
	assert_int_equal(ctl_membership_set_state(m, 1, CTL_MS_UNRESPONSIVE, "unreachable", &eb),
			 0);
	/* the transition table still refuses it as a plain state update */
	assert_int_equal(ctl_membership_set_state(m, 1, CTL_MS_JOINED, NULL, &eb),
			 -DER_NOTAPPLICABLE);
	before = ctl_membership_to_text(m);
	assert_non_null(before);
	/* another incarnation, a zero one, an unknown rank: member untouched */
	assert_int_equal(ctl_membership_rejoin_same(m, 1, 43, &eb), -DER_NOTAPPLICABLE);
	assert_string_equal(eb.msg, "rank 1 cannot rejoin as the same engine: it is Unresponsive "
				    "with incarnation 42, not Unresponsive with incarnation 43");
	assert_int_equal(ctl_membership_rejoin_same(m, 1, 0, &eb), -DER_NOTAPPLICABLE);
	assert_int_equal(ctl_membership_rejoin_same(m, 9, 42, &eb), -DER_NONEXIST);
	assert_string_equal(eb.msg, "unable to find member with rank 9");
	after = ctl_membership_to_text(m);
	assert_string_equal(before, after);
	D_FREE(after);
	D_FREE(before);

	ver = ctl_membership_map_version(m);
	assert_int_equal(ctl_membership_rejoin_same(m, 1, 42, &eb), 0);
	mb = ctl_membership_find_rank(m, 1);
	assert_int_equal(mb->state, CTL_MS_JOINED);
	assert_null(mb->info);
	assert_int_equal(mb->incarnation, 42);
	assert_string_equal(mb->uuid, U1);
	assert_string_equal(mb->addr, "h1:10001");
	/* as a Join does */
	assert_int_equal(ctl_membership_map_version(m), ver + 1);
	/* once only */
	assert_int_equal(ctl_membership_rejoin_same(m, 1, 42, &eb), -DER_NOTAPPLICABLE);
	ctl_membership_destroy(m);
}

static void
test_join_refused(void **state)
{
	struct ctl_membership *m = new_table();
	struct d_errbuf	       eb = {{0}};
	struct ctl_join_req    r;

	(void)state;
	join_ok(m, req(U1, CTL_NIL_RANK, "h1:10001", "/rack1/h1"), true);
	join_ok(m, req(U2, CTL_NIL_RANK, "h2:10001", "/rack1/h2"), true);

	join_err(m, req(U3, 1, "h1:10001", "/rack1/h1"), -DER_MISMATCH, CTL_JOIN_UUID_CHANGED,
		 "can't rejoin member with rank 1: uuid changed from " U1 " -> " U3);
	join_err(m, req(U1, 7, "h1:10001", "/rack1/h1"), -DER_MISMATCH, CTL_JOIN_RANK_CHANGED,
		 "can't rejoin member with uuid " U1 ": rank changed from 1 -> 7");
	join_err(m, req(U1, CTL_NIL_RANK, "h9:10001", "/rack1/h1"), -DER_MISMATCH,
		 CTL_JOIN_ADDR_CHANGED,
		 "can't rejoin member " U1 " (rank 1): control address changed from h1:10001 -> "
		 "h9:10001");
	join_err(m, req(U3, CTL_NIL_RANK, "h3:10001", "/h3"), -DER_INVAL,
		 CTL_JOIN_FAULT_DOMAIN_DEPTH,
		 "cannot join system with fault domain \"/h3\", need layers = 2; reconfigure the "
		 "fault domain with a depth consistent with other system members, and restart "
		 "the server");
	/* an existing member is checked against the others too */
	join_err(m, req(U1, 1, "h1:10001", "/"), -DER_INVAL, CTL_JOIN_FAULT_DOMAIN_DEPTH,
		 "cannot join system with fault domain \"/\", need layers = 2; reconfigure the "
		 "fault domain with a depth consistent with other system members, and restart "
		 "the server");
	join_err(m, req(U3, CTL_NIL_RANK, "h1:10001", "/rack1/h1"), -DER_EXIST,
		 CTL_JOIN_MEMBER_EXISTS,
		 "system member with matching control address, fabric URIs, and fault domain "
		 "already exists with UUID " U1 " (join request UUID: " U3 "); format the rank "
		 "with 'dmg storage format --replace' to update the UUID and rejoin the system");

	assert_int_equal(ctl_membership_set_state(m, 2, CTL_MS_ADMIN_EXCLUDED, NULL, &eb), 0);
	join_err(m, req(U2, 2, "h2:10001", "/rack1/h2"), -DER_NO_PERM, CTL_JOIN_ADMIN_EXCLUDED,
		 "member " U2 " (rank 2) has been administratively excluded");

	/* one fabric provider per system: the URI's scheme must be the system's */
	r = req(U5, CTL_NIL_RANK, "h5:1", "/a/b");
	r.uri = "ofi+sockets://10.0.0.5:31416";
	r.provider = "ofi+tcp";
	join_err(m, r, -DER_MISMATCH, CTL_JOIN_PROVIDER,
		 "engine at h5:1 uses fabric provider ofi+sockets but the system uses ofi+tcp: "
		 "engines of one system must share a provider; set provider: ofi+tcp in the "
		 "daos_server.yml of h5:1");
	r.provider = "ofi+tcp;ofi_rxm";
	r.uri = "ofi+tcp://10.0.0.5:31416";
	join_err(m, r, -DER_MISMATCH, CTL_JOIN_PROVIDER,
		 "engine at h5:1 uses fabric provider ofi+tcp but the system uses ofi+tcp;ofi_rxm: "
		 "engines of one system must share a provider; set provider: ofi+tcp;ofi_rxm in "
		 "the daos_server.yml of h5:1");

	r = req("not-a-uuid", CTL_NIL_RANK, "h5:1", "/a/b");
	join_err(m, r, -DER_INVAL, CTL_JOIN_BAD_REQUEST,
		 "invalid UUID \"not-a-uuid\" in JoinRequest");
	r.uuid = NULL;
	join_err(m, r, -DER_INVAL, CTL_JOIN_BAD_REQUEST, "invalid UUID \"\" in JoinRequest");
	r = req(U5, CTL_NIL_RANK, "h5:1", "/a/b");
	r.uri = "";
	join_err(m, r, -DER_INVAL, CTL_JOIN_BAD_REQUEST, "no primary fabric URI in JoinRequest");
	r.uri = "x";
	r.addr = NULL;
	join_err(m, r, -DER_INVAL, CTL_JOIN_BAD_REQUEST, "no control address in JoinRequest");
	{
		static const char *bad_fd[] = {"a/b", "/a//b", "/a/", "/a b", "//"};

		for (size_t i = 0; i < D_ARRAY_SIZE(bad_fd); i++) {
			char msg[256];

			r = req(U5, CTL_NIL_RANK, "h5:1", bad_fd[i]);
			snprintf(msg, sizeof(msg),
				 "invalid fault domain \"%s\" in JoinRequest: use \"/\" or "
				 "\"/level1/level2\"",
				 bad_fd[i]);
			join_err(m, r, -DER_INVAL, CTL_JOIN_BAD_REQUEST, msg);
		}
	}
	assert_int_equal(ctl_membership_count(m), 2);
	ctl_membership_destroy(m);
}

/* With a single member, its own fault domain may change depth; NULL means "/". */
static void
test_fault_domain_single(void **state)
{
	struct ctl_membership	*m = new_table();
	const struct ctl_member *mb;

	(void)state;
	join_ok(m, req(U1, CTL_NIL_RANK, "h1:10001", NULL), true);
	mb = ctl_membership_find_rank(m, 1);
	assert_string_equal(mb->fault_domain, "/");
	join_ok(m, req(U1, 1, "h1:10001", "/r/h1"), false);
	join_ok(m, req(U2, CTL_NIL_RANK, "h2:10001", "/r/h2"), true);
	ctl_membership_destroy(m);
}

static void
test_find_uuid(void **state)
{
	struct ctl_membership *m = new_table();

	(void)state;
	join_ok(m, req(U1, 1, "host1:10001", "/a"), true);
	join_ok(m, req(U2, 0, "host1:10001", "/b"), true);
	join_ok(m, req("aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee", 4, "h4:1", "/e"), true);
	assert_non_null(ctl_membership_find_uuid(m, "AAAAAAAA-BBBB-CCCC-DDDD-EEEEEEEEEEEE"));
	assert_int_equal(ctl_membership_find_uuid(m, "AAAAAAAA-BBBB-CCCC-DDDD-EEEEEEEEEEEE")->rank,
			 4);
	assert_null(ctl_membership_find_uuid(m, "bogus"));
	assert_null(ctl_membership_find_uuid(m, U5));
	ctl_membership_destroy(m);
}

static void
test_set_state_and_list(void **state)
{
	struct ctl_membership	 *m = new_table();
	struct d_errbuf		  eb = {{0}};
	const struct ctl_member **v = NULL;
	size_t			  n;
	uint64_t		  ver;

	(void)state;
	join_ok(m, req(U3, 3, "h3:1", "/"), true);
	join_ok(m, req(U1, 1, "h1:1", "/"), true);
	join_ok(m, req(U2, 2, "h2:1", "/"), true);
	join_ok(m, req(U4, 0, "h0:1", "/"), true);

	assert_int_equal(ctl_membership_set_state(m, 9, CTL_MS_STOPPED, NULL, &eb), -DER_NONEXIST);
	assert_string_equal(eb.msg, "unable to find member with rank 9");

	ver = ctl_membership_map_version(m);
	assert_int_equal(ctl_membership_set_state(m, 1, CTL_MS_READY, "x", &eb),
			 -DER_NOTAPPLICABLE);
	assert_string_equal(eb.msg, "illegal state transition for rank 1: Joined -> Ready");
	assert_int_equal(ctl_membership_set_state(m, 1, CTL_MS_JOINED, NULL, &eb),
			 -DER_NOTAPPLICABLE);
	assert_int_equal(ctl_membership_map_version(m), ver);
	assert_null(ctl_membership_find_rank(m, 1)->info);

	assert_int_equal(ctl_membership_set_state(m, 1, CTL_MS_EXCLUDED, "swim dead", &eb), 0);
	assert_string_equal(ctl_membership_find_rank(m, 1)->info, "swim dead");
	assert_int_equal(ctl_membership_map_version(m), ver + 1);
	assert_int_equal(ctl_membership_set_state(m, 1, CTL_MS_STOPPED, NULL, &eb),
			 -DER_NOTAPPLICABLE);
	assert_int_equal(ctl_membership_set_state(m, 2, CTL_MS_STOPPING, "", &eb), 0);
	assert_null(ctl_membership_find_rank(m, 2)->info);
	assert_int_equal(ctl_membership_set_state(m, 3, CTL_MS_UNKNOWN, NULL, &eb), 0);

	assert_int_equal(ctl_membership_list(m, CTL_MS_FILTER_ALL, &v, &n), 0);
	assert_int_equal(n, 4);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(v[i]->rank, i);
	free(v);
	assert_int_equal(ctl_membership_list(m, CTL_MS_FILTER_AVAILABLE, &v, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(v[0]->rank, 0);
	free(v);
	assert_int_equal(ctl_membership_list(m, CTL_MS_FILTER_EXCLUDED, &v, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(v[0]->rank, 1);
	free(v);
	assert_int_equal(ctl_membership_list(m, CTL_MS_STOPPING | CTL_MS_EXCLUDED, &v, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(v[0]->rank, 1);
	assert_int_equal(v[1]->rank, 2);
	free(v);
	/* Unknown members only show up when everything is asked for */
	assert_int_equal(ctl_membership_list(m, 0x7FF, &v, &n), 0);
	assert_int_equal(n, 3);
	free(v);
	assert_int_equal(ctl_membership_list(m, CTL_MS_ERRORED, &v, &n), 0);
	assert_int_equal(n, 0);
	assert_null(v);
	ctl_membership_destroy(m);
}

#define HDR_OLD	 "daos-membership 1\nnext_rank 3\nmap_version 2\n"
#define MEM1_OLD "member 1 " U1 " Joined 1 6 h1:1 uri /a %-\n"

static void
test_text_round_trip(void **state)
{
	struct ctl_membership	*m = new_table();
	struct ctl_membership	*m2 = NULL;
	struct d_errbuf		 eb = {{0}};
	struct ctl_join_req	 r;
	const struct ctl_member *a, *b;
	char			*t1, *t2;

	(void)state;
	r = req(U1, CTL_NIL_RANK, "h1:10001", "/rack 1/h1");
	r.fault_domain = "/rack%1/h1";
	r.incarnation = UINT64_MAX;
	r.uri = "ucx+dc_x://10.0.0.1:31416";
	join_ok(m, r, true);
	join_ok(m, req(U2, 0, "[fe80::1]:10001", "/rack2/h2"), true);
	assert_int_equal(ctl_membership_set_state(m, 1, CTL_MS_ERRORED,
						  "exit status 1: bad\nthing 100%", &eb),
			 0);
	assert_int_equal(ctl_membership_set_state(m, 0, CTL_MS_UNKNOWN, NULL, &eb), 0);
	assert_int_equal(ctl_membership_touch(m, 1, 1700000000), 0);
	assert_int_equal(ctl_membership_touch(m, 5, 1700000000), -DER_NONEXIST);
	/* a new reason for the same state: info only, the map does not change */
	{
		uint64_t ver = ctl_membership_map_version(m);

		assert_int_equal(ctl_membership_set_info(m, 1, "failed again"), 0);
		assert_string_equal(ctl_membership_find_rank(m, 1)->info, "failed again");
		assert_int_equal(ctl_membership_find_rank(m, 1)->state, CTL_MS_ERRORED);
		assert_int_equal(ctl_membership_map_version(m), ver);
		assert_int_equal(ctl_membership_set_info(m, 5, "x"), -DER_NONEXIST);
		assert_int_equal(ctl_membership_set_info(m, 1, "exit status 1: bad\nthing 100%"),
				 0);
	}

	t1 = ctl_membership_to_text(m);
	assert_non_null(t1);
	assert_non_null(strstr(t1, "daos-membership 1\nnext_rank 2\nmap_version 4\n"));
	assert_non_null(strstr(t1, "member 1 " U1 " Errored 18446744073709551615 6 h1:10001 "
				   "ucx+dc_x://10.0.0.1:31416 /rack%251/h1 "
				   "exit%20status%201:%20bad%0Athing%20100%25 1700000000\n"));
	assert_non_null(strstr(t1, "member 0 " U2 " Unknown 1 6 [fe80::1]:10001"));
	assert_non_null(strstr(t1, " /rack2/h2 %- 0\n")); /* never touched */

	assert_int_equal(ctl_membership_from_text(t1, &m2, &eb), 0);
	t2 = ctl_membership_to_text(m2);
	assert_string_equal(t1, t2);
	assert_int_equal(ctl_membership_count(m2), 2);
	assert_int_equal(ctl_membership_next_rank(m2), 2);
	assert_int_equal(ctl_membership_map_version(m2), 4);
	a = ctl_membership_find_rank(m, 1);
	b = ctl_membership_find_rank(m2, 1);
	assert_string_equal(a->uuid, b->uuid);
	assert_string_equal(a->info, b->info);
	assert_string_equal(a->fault_domain, "/rack%1/h1");
	assert_string_equal(b->fault_domain, "/rack%1/h1");
	assert_int_equal(b->incarnation, UINT64_MAX);
	assert_int_equal(b->state, CTL_MS_ERRORED);
	assert_int_equal(b->last_update, 1700000000);
	assert_null(ctl_membership_find_rank(m2, 0)->info);
	assert_int_equal(ctl_membership_find_rank(m2, 0)->state, CTL_MS_UNKNOWN);

	/* the restored table keeps enforcing the rules */
	join_err(m2, req(U3, 0, "h3:1", "/a/b"), -DER_MISMATCH, CTL_JOIN_UUID_CHANGED,
		 "can't rejoin member with rank 0: uuid changed from " U2 " -> " U3);
	assert_int_equal(join_ok(m2, req(U3, CTL_NIL_RANK, "h3:1", "/a/b"), true), 2);
	free(t1);
	free(t2);
	ctl_membership_destroy(m2);

	/* empty table, comments and blank lines */
	t1 = ctl_membership_to_text(m);
	ctl_membership_destroy(m);
	assert_int_equal(ctl_membership_from_text("# saved\n\ndaos-membership 1\nnext_rank 1\n"
						  "map_version 0\n",
						  &m, &eb),
			 0);
	assert_int_equal(ctl_membership_count(m), 0);
	ctl_membership_destroy(m);
	free(t1);

	/* a file written before last_update existed (10 fields) loads with time 0 */
	assert_int_equal(ctl_membership_from_text(HDR_OLD MEM1_OLD, &m, &eb), 0);
	assert_int_equal(ctl_membership_find_rank(m, 1)->last_update, 0);
	assert_int_equal(ctl_membership_find_rank(m, 1)->state, CTL_MS_JOINED);
	t1 = ctl_membership_to_text(m);
	assert_non_null(strstr(t1, "member 1 " U1 " Joined 1 6 h1:1 uri /a %- 0\n"));
	free(t1);
	ctl_membership_destroy(m);
}

static void
text_err(const char *text, const char *msg)
{
	struct ctl_membership *m = (struct ctl_membership *)0x1;
	struct d_errbuf	       eb = {{0}};

	assert_int_equal(ctl_membership_from_text(text, &m, &eb), -DER_INVAL);
	assert_ptr_equal(m, (struct ctl_membership *)0x1);
	if (strcmp(eb.msg, msg) != 0)
		fail_msg("message\n got: %s\nwant: %s", eb.msg, msg);
}

#define HDR  "daos-membership 1\nnext_rank 3\nmap_version 2\n"
#define MEM1 "member 1 " U1 " Joined 1 6 h1:1 uri /a %-\n"

static void
test_text_errors(void **state)
{
	(void)state;
	text_err("", "membership text is incomplete: missing the \"daos-membership 1\" header");
	text_err("daos-membership 2\n",
		 "membership line 1: expected \"daos-membership 1\", found \"daos-membership 2\"");
	text_err("daos-membership 1\nmap_version 2\n",
		 "membership text is incomplete: missing next_rank");
	text_err("daos-membership 1\nnext_rank 1\n",
		 "membership text is incomplete: missing map_version");
	text_err("daos-membership 1\nnext_rank x\n", "membership line 2: invalid next_rank \"x\"");
	text_err("daos-membership 1\nnext_rank 4294967295\n",
		 "membership line 2: invalid next_rank \"4294967295\"");
	text_err("daos-membership 1\nmap_version -1\n",
		 "membership line 2: invalid map_version \"-1\"");
	text_err(HDR "pool 1\n", "membership line 4: unknown record \"pool 1\"");
	text_err(HDR "member 1 " U1 " Joined 1 6 h1:1 uri /a\n",
		 "membership line 4: member record needs 10 or 11 fields");
	text_err(HDR "member 1 " U1 " Joined 1 6 h1:1 uri /a %- 5 extra\n",
		 "membership line 4: member record needs 10 or 11 fields");
	text_err(HDR "member 1 " U1 " Joined 1 6 h1:1 uri /a %- soon\n",
		 "membership line 4: invalid last_update \"soon\"");
	text_err(HDR "member 1 " U1 " Joined 1 6 h1:1 uri /a %- -5\n",
		 "membership line 4: invalid last_update \"-5\"");
	text_err(HDR "member 1 " U1 " Joined 1 6 h1:1 uri /a %- %-\n",
		 "membership line 4: invalid last_update \"%-\"");
	text_err(HDR "member x " U1 " Joined 1 6 h1:1 uri /a %-\n",
		 "membership line 4: invalid rank \"x\"");
	text_err(HDR "member 4294967295 " U1 " Joined 1 6 h1:1 uri /a %-\n",
		 "membership line 4: invalid rank \"4294967295\"");
	text_err(HDR "member 1 nope Joined 1 6 h1:1 uri /a %-\n",
		 "membership line 4: invalid uuid \"nope\"");
	text_err(HDR "member 1 " U1 " Sleeping 1 6 h1:1 uri /a %-\n",
		 "membership line 4: invalid state \"Sleeping\"");
	text_err(HDR "member 1 " U1 " Joined -1 6 h1:1 uri /a %-\n",
		 "membership line 4: invalid incarnation \"-1\"");
	text_err(HDR "member 1 " U1 " Joined 1 4294967296 h1:1 uri /a %-\n",
		 "membership line 4: invalid nctxs \"4294967296\"");
	text_err(HDR "member 1 " U1 " Joined 1 6 %- uri /a %-\n",
		 "membership line 4: invalid addr \"%-\"");
	text_err(HDR "member 1 " U1 " Joined 1 6 h1:1 %- /a %-\n",
		 "membership line 4: invalid uri \"%-\"");
	text_err(HDR "member 1 " U1 " Joined 1 6 h1:1 uri a/ %-\n",
		 "membership line 4: invalid fault_domain \"a/\"");
	text_err(HDR "member 1 " U1 " Joined 1 6 h1:1 uri /a bad%zz\n",
		 "membership line 4: invalid info \"bad%zz\"");
	text_err(HDR "member 1 " U1 " Joined 1 6 h1:1 uri /a nul%00\n",
		 "membership line 4: invalid info \"nul%00\"");
	text_err(HDR "member 1 " U1 " Joined 1 6 h1:1 uri /a cut%4\n",
		 "membership line 4: invalid info \"cut%4\"");
	text_err(HDR MEM1 "member 1 " U2 " Joined 1 6 h2:1 uri /a %-\n",
		 "membership line 5: rank 1 appears twice");
	text_err(HDR MEM1 "member 2 " U1 " Joined 1 6 h2:1 uri /a %-\n",
		 "membership line 5: uuid " U1 " appears twice");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_state_names),	cmocka_unit_test(test_transitions),
		cmocka_unit_test(test_join_ranks),	cmocka_unit_test(test_rejoin),
		cmocka_unit_test(test_join_refused),	cmocka_unit_test(test_fault_domain_single),
		cmocka_unit_test(test_find_uuid),	cmocka_unit_test(test_set_state_and_list),
		cmocka_unit_test(test_text_round_trip), cmocka_unit_test(test_text_errors),
		cmocka_unit_test(test_ping_update),	cmocka_unit_test(test_ping_rejoins),
		cmocka_unit_test(test_rejoin_same),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
