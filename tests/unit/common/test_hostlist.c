/*
 * Unit tests for host lists and host sets (src/common/hostlist.c): every
 * example of the reference and the deployment guide, upstream's own
 * hostlist test cases (inputs and expected outputs), and every error path.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "common/hostlist.h"

struct good_case {
	const char *in;
	const char *raw;  /* ranged string of the list */
	const char *uniq; /* ranged string of the set */
	size_t	    count_list;
	size_t	    count_set;
};

static const struct good_case good[] = {
	/* upstream TestHostList_Create / TestHostSet_Create */
	{"node[1-128]", "node[1-128]", "node[1-128]", 128, 128},
	{"node2-1,node1-2,node1-[45,47],node3,node1-3", "node2-1,node1-[2,45,47],node3,node1-3",
	 "node3,node1-[2-3,45,47],node2-1", 6, 6},
	{"node2-1,node1-2.suffix1,node1-[45,47].suffix2,node3,node1-3",
	 "node2-1,node1-2.suffix1,node1-[45,47].suffix2,node3,node1-3",
	 "node3,node1-3,node1-2.suffix1,node1-[45,47].suffix2,node2-1", 6, 6},
	{"node-3,node-1", "node-[3,1]", "node-[1,3]", 2, 2},
	{"node1-3,node1-1,node2-1", "node1-[3,1],node2-1", "node1-[1,3],node2-1", 3, 3},
	{"10.5.1.[2-32]:10001,10.5.1.42:10001,10.5.1.1:10001", "10.5.1.[2-32,42,1]:10001",
	 "10.5.1.[1-32,42]:10001", 33, 33},
	{"node[1-128],node2,node4,node8,node16,node32,node64,node128",
	 "node[1-128,2,4,8,16,32,64,128]", "node[1-128]", 135, 128},
	{"node[001-9],node[010-20]", "node[001-020]", "node[001-020]", 20, 20},
	{"node[001-9],node[10-20]", "node[001-009,10-20]", "node[10-20,001-009]", 20, 20},
	{"node[001-009,10-20]", "node[001-009,10-20]", "node[10-20,001-009]", 20, 20},
	{"node1 node2 node3", "node[1-3]", "node[1-3]", 3, 3},
	{"node1\tnode2\tnode3", "node[1-3]", "node[1-3]", 3, 3},
	{"node1\tnode2 node3,node4", "node[1-4]", "node[1-4]", 4, 4},
	{"dserver-0001,dserver-0002,dserver-0003", "dserver-[0001-0003]", "dserver-[0001-0003]", 3,
	 3},
	{"d-server-0001,d-server-0002,d-server-0003", "d-server-[0001-0003]",
	 "d-server-[0001-0003]", 3, 3},
	{"d-server-[0001-0003]", "d-server-[0001-0003]", "d-server-[0001-0003]", 3, 3},
	{"d-server-0001ab,d-server-0002ab", "d-server-[0001-0002]ab", "d-server-[0001-0002]ab", 2,
	 2},
	{"d-server-j-0001,d-server-j-0002,d-server-j-0003", "d-server-j-[0001-0003]",
	 "d-server-j-[0001-0003]", 3, 3},
	{"server[1,3,5,7,9]:10000,server[2,4,6,8,10]:10001",
	 "server[1,3,5,7,9]:10000,server[2,4,6,8,10]:10001",
	 "server[1,3,5,7,9]:10000,server[2,4,6,8,10]:10001", 10, 10},
	{"node[2-5],node5,node6,node12,node[1-2]", "node[2-5,5-6,12,1-2]", "node[1-6,12]", 9, 7},
	{"node[0003-5],node[1-2]", "node[0003-0005,1-2]", "node[1-2,0003-0005]", 5, 5},
	{"node2,node2-1.prefix2,node2-2.prefix2,node1-[2-5].prefix1,node2-[3-22].prefix2,node3",
	 "node2,node2-[1-2].prefix2,node1-[2-5].prefix1,node2-[3-22].prefix2,node3",
	 "node[2-3],node1-[2-5].prefix1,node2-[1-22].prefix2", 28, 28},
	{"foo-1,foo-2,foo-[8-10]", "foo-[1-2,8-10]", "foo-[1-2,8-10]", 5, 5},
	{"node[1-2,4-8],quack", "node[1-2,4-8],quack", "node[1-2,4-8],quack", 8, 8},
	/* reference §2.2 and the deployment guide */
	{"node[001-020]", "node[001-020]", "node[001-020]", 20, 20},
	{"wolf-71", "wolf-71", "wolf-71", 1, 1},
	{"node12", "node12", "node12", 1, 1},
	{"wolf-[71-72]", "wolf-[71-72]", "wolf-[71-72]", 2, 2},
	{"wolf-71,wolf-72", "wolf-[71-72]", "wolf-[71-72]", 2, 2},
	{"wolf-7[1-2]", "wolf-[71-72]", "wolf-[71-72]", 2, 2},
	{"foo-1[28-63],bar[256-511]", "foo-[128-163],bar[256-511]", "bar[256-511],foo-[128-163]",
	 292, 292},
	{"machines-[118-121,130-133]", "machines-[118-121,130-133]", "machines-[118-121,130-133]",
	 8, 8},
	{"wolf-[118-121,130-133]", "wolf-[118-121,130-133]", "wolf-[118-121,130-133]", 8, 8},
	{"10.5.1.[2-32]:10001", "10.5.1.[2-32]:10001", "10.5.1.[2-32]:10001", 31, 31},
	{"host1:10001,host2:10001", "host[1-2]:10001", "host[1-2]:10001", 2, 2},
	{"quack", "quack", "quack", 1, 1},
	{"quack,quack", "quack,quack", "quack", 2, 1},
	{"localhost,localhost:10001", "localhost,localhost:10001", "localhost,localhost:10001", 2,
	 2},
	/* digit counts: the written form is the identity */
	{"node9,node10", "node[9-10]", "node[9-10]", 2, 2},
	{"node[08-120]", "node[08-120]", "node[08-120]", 113, 113},
	{"node[08-12],node[10-11]", "node[08-12,10-11]", "node[08-12]", 7, 5},
	{"node[1-5],node[01-05]", "node[1-5,01-05]", "node[1-5,01-05]", 10, 10},
	{"node010,node10", "node[010,10]", "node[10,010]", 2, 2},
	{"node[098-102],node100", "node[098-102,100]", "node[098-102]", 6, 5},
	{"node0,node00,node000", "node[0,00,000]", "node[0,00,000]", 3, 3},
	{"node1[0-5]", "node[10-15]", "node[10-15]", 6, 6},
	{"node0[1-3],node02", "node[01-03,02]", "node[01-03]", 4, 3},
	/* names the plain-name rule cuts elsewhere stay one host each */
	{"rack1-node[1-2],rack1-node2", "rack1-node1,rack1-node2,rack1-node2",
	 "rack1-node1,rack1-node2", 3, 2},
	{"node[1-2]5", "node[15,25]", "node[15,25]", 2, 2},
	{"node1.cluster-a,node2.cluster-a", "node[1-2].cluster-a", "node[1-2].cluster-a", 2, 2},
	/* separators and spacing */
	{" ,node1,, node2\t,", "node[1-2]", "node[1-2]", 2, 2},
	{"node[1 - 3, 5]", "node[1-3,5]", "node[1-3,5]", 4, 4},
	{"node[0-16384]", "node[0-16384]", "node[0-16384]", 16385, 16385},
	{"node[18446744073709551614-18446744073709551615]",
	 "node[18446744073709551614-18446744073709551615]",
	 "node[18446744073709551614-18446744073709551615]", 2, 2},
	{"a_b-1.c_d", "a_b-1.c_d", "a_b-1.c_d", 1, 1},
	{"node-a1", "node-a1", "node-a1", 1, 1},
	{"node[0000000000000000000000001-3]",
	 "node[0000000000000000000000001-0000000000000000000000003]",
	 "node[0000000000000000000000001-0000000000000000000000003]", 3, 3},
};

static void
test_good_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < D_ARRAY_SIZE(good); i++) {
		const struct good_case *c = &good[i];
		struct d_errbuf		eb = {{0}};
		struct d_hostlist      *hl = NULL;
		struct d_hostset       *hs = NULL;
		char		       *s = NULL;
		int			rc;

		rc = d_hostlist_parse(c->in, &hl, &eb);
		if (rc != 0)
			fail_msg("case %zu %s: %s", i, c->in, eb.msg);
		assert_int_equal(d_hostlist_ranged(hl, &s), 0);
		if (strcmp(s, c->raw) != 0)
			fail_msg("case %zu %s: list %s, want %s", i, c->in, s, c->raw);
		free(s);
		assert_int_equal(d_hostlist_count(hl), c->count_list);

		assert_int_equal(d_hostset_parse(c->in, &hs, &eb), 0);
		assert_int_equal(d_hostset_ranged(hs, &s), 0);
		if (strcmp(s, c->uniq) != 0)
			fail_msg("case %zu %s: set %s, want %s", i, c->in, s, c->uniq);
		assert_int_equal(d_hostset_count(hs), c->count_set);
		d_hostset_destroy(hs);

		/* the compressed forms parse back to the same set */
		assert_int_equal(d_hostset_parse(s, &hs, &eb), 0);
		free(s);
		assert_int_equal(d_hostset_ranged(hs, &s), 0);
		assert_string_equal(s, c->uniq);
		free(s);
		d_hostset_destroy(hs);

		assert_int_equal(d_hostlist_ranged(hl, &s), 0);
		d_hostlist_destroy(hl);
		assert_int_equal(d_hostlist_parse(s, &hl, &eb), 0);
		free(s);
		assert_int_equal(d_hostlist_ranged(hl, &s), 0);
		assert_string_equal(s, c->raw);
		free(s);
		d_hostlist_destroy(hl);
	}
}

struct bad_case {
	const char *in;
	const char *msg; /* substring of the error */
};

static const struct bad_case bad[] = {
	{"", "empty host list"},
	{" ,\t, ", "empty host list"},
	{"node[5-4]", "invalid range \"5-4\" (4 < 5) in \"node[5-4]\""},
	{"node[5-3]", "invalid range \"5-3\" (3 < 5)"},
	{"node[a-b]", "invalid range \"a-b\" (\"a\" is not a number)"},
	{"node[0-b]", "(\"b\" is not a number)"},
	{"node[0--1]", "is not a number"},
	{"node[1-]", "(\"\" is not a number)"},
	{"node[ab]", "invalid range \"ab\""},
	{"node[0-1", "unbalanced brackets in \"node[0-1\": missing \"]\""},
	{"node0-1]", "unbalanced brackets in \"node0-1]\""},
	{"node[[1-2]]", "nested \"[\""},
	{"[0-1,3-5]", "needs a host name prefix"},
	{"[45,    7,2,42,4,6,8,8,0]", "needs a host name prefix"},
	{"00]000000[", "unbalanced brackets"},
	{"host[1-10000000000]", "(> 16384 hosts)"},
	{"node[0-16385]", "invalid range \"0-16385\" (> 16384 hosts)"},
	{"node[]", "empty range in \"node[]\""},
	{"node[1,,2]", "empty range"},
	{"node[1,]", "empty range"},
	{"node[1-2]x[3-4]", "more than one bracketed range"},
	{"node[99999999999999999999]", "number too large"},
	{"node99999999999999999999", "number too large in host name"},
	{"node4:10001,node5:-10001", "invalid port in host name \"node5:-10001\""},
	{"1.2.3.4:10001,1.2.3.5:-10001", "invalid port"},
	{"node1:0", "invalid port"},
	{"node1:65536", "invalid port"},
	{"node1:", "invalid port"},
	{"node1:10:20", "invalid port"},
	{"node:1[1-2]", "a \":port\" may only end the name"},
	{"-,-,,1 b,e-,d,y _m,%", "invalid hostname \"-\""},
	{"1node", "invalid hostname \"1node\": a host name must start with a letter"},
	{"10.5.1.256", "invalid hostname"},
	{"10.5.1.2x", "invalid hostname"},
	{"10.5.1.[250-300]", "invalid hostname \"10.5.1.300\""},
	{"node!", "invalid character '!' in host name \"node!\""},
	{"no/de1", "invalid character '/'"},
	{"node1\n", "invalid character 0x0a"},
	{"node[1-2]@x", "invalid character '@'"},
	{"node1,node[1-2", "missing \"]\""},
	/* all-digit names are IPv4 addresses, whole */
	{"127.0.0.", "must start with a letter (or be an IPv4 address"},
	{"127.0.0.,0.0.0.", "must start with a letter (or be an IPv4 address"},
	{"127.0.0.256", "must start with a letter (or be an IPv4 address"},
	{"127.0.0", "must start with a letter (or be an IPv4 address"},
	{"1.2.3.4.5", "must start with a letter (or be an IPv4 address"},
};

static void
test_bad_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < D_ARRAY_SIZE(bad); i++) {
		struct d_errbuf	   eb = {{0}};
		struct d_hostlist *hl = (void *)0x1;
		struct d_hostset  *hs = (void *)0x1;
		int		   rc;

		rc = d_hostlist_parse(bad[i].in, &hl, &eb);
		if (rc != -DER_INVAL)
			fail_msg("case %zu \"%s\": rc %d", i, bad[i].in, rc);
		assert_ptr_equal(hl, (void *)0x1); /* untouched on failure */
		if (strstr(eb.msg, bad[i].msg) == NULL)
			fail_msg("case %zu \"%s\": message \"%s\" lacks \"%s\"", i, bad[i].in,
				 eb.msg, bad[i].msg);
		memset(&eb, 0, sizeof(eb));
		assert_int_equal(d_hostset_parse(bad[i].in, &hs, &eb), -DER_INVAL);
		assert_ptr_equal(hs, (void *)0x1);
		assert_non_null(strstr(eb.msg, bad[i].msg));
	}
	/* a NULL errbuf is allowed */
	{
		struct d_hostlist *hl;

		assert_int_equal(d_hostlist_parse("node[", &hl, NULL), -DER_INVAL);
		assert_int_equal(d_hostlist_parse(NULL, &hl, NULL), -DER_INVAL);
	}
}

static int
collect_cb(const char *host, void *arg)
{
	struct d_sbuf *sb = arg;

	d_sbuf_printf(sb, "%s%s", sb->len ? " " : "", host);
	return 0;
}

static int
stop_cb(const char *host, void *arg)
{
	int *n = arg;

	(void)host;
	return ++*n == 3 ? 42 : 0;
}

static void
test_list_ops(void **state)
{
	struct d_errbuf	   eb = {{0}};
	struct d_hostlist *hl, *other;
	struct d_sbuf	   sb;
	char		  *s;
	int		   n = 0;

	(void)state;
	assert_int_equal(d_hostlist_parse("node[1-2,4-8],quack", &hl, &eb), 0);
	assert_int_equal(d_hostlist_nth(hl, 0, &s), 0);
	assert_string_equal(s, "node1");
	free(s);
	assert_int_equal(d_hostlist_nth(hl, 3, &s), 0);
	assert_string_equal(s, "node5");
	free(s);
	assert_int_equal(d_hostlist_nth(hl, 7, &s), 0);
	assert_string_equal(s, "quack");
	free(s);
	s = (char *)0x1;
	assert_int_equal(d_hostlist_nth(hl, 8, &s), -DER_NONEXIST);
	assert_ptr_equal(s, (char *)0x1);

	assert_int_equal(d_hostlist_deranged(hl, &s), 0);
	assert_string_equal(s, "node1,node2,node4,node5,node6,node7,node8,quack");
	free(s);

	d_sbuf_init(&sb);
	assert_int_equal(d_hostlist_foreach(hl, collect_cb, &sb), 0);
	assert_string_equal(sb.buf, "node1 node2 node4 node5 node6 node7 node8 quack");
	d_sbuf_fini(&sb);
	assert_int_equal(d_hostlist_foreach(hl, stop_cb, &n), 42);
	assert_int_equal(n, 3);

	/* push keeps order and duplicates; a failed push changes nothing */
	assert_int_equal(d_hostlist_push(hl, "node5,node6,node12", &eb), 0);
	assert_int_equal(d_hostlist_push(hl, "node[3-", &eb), -DER_INVAL);
	assert_int_equal(d_hostlist_ranged(hl, &s), 0);
	assert_string_equal(s, "node[1-2,4-8],quack,node[5-6,12]");
	free(s);
	assert_int_equal(d_hostlist_count(hl), 11);

	assert_int_equal(d_hostlist_parse("node[1-2]", &other, &eb), 0);
	assert_int_equal(d_hostlist_push_list(hl, other), 0);
	assert_int_equal(d_hostlist_push_list(hl, NULL), 0);
	assert_int_equal(d_hostlist_count(hl), 13);
	d_hostlist_destroy(other);
	d_hostlist_destroy(hl);

	/* empty list */
	assert_int_equal(d_hostlist_create(&hl), 0);
	assert_int_equal(d_hostlist_count(hl), 0);
	assert_int_equal(d_hostlist_ranged(hl, &s), 0);
	assert_string_equal(s, "");
	free(s);
	assert_int_equal(d_hostlist_deranged(hl, &s), 0);
	assert_string_equal(s, "");
	free(s);
	assert_int_equal(d_hostlist_nth(hl, 0, &s), -DER_NONEXIST);
	assert_int_equal(d_hostlist_push(hl, "host[1-8]", &eb), 0);
	assert_int_equal(d_hostlist_count(hl), 8);
	d_hostlist_destroy(hl);
	d_hostlist_destroy(NULL);
	assert_int_equal(d_hostlist_count(NULL), 0);

	/* upstream Slice test */
	assert_int_equal(d_hostlist_parse("foo-1,foo-2,foo-[8-10]", &hl, &eb), 0);
	assert_int_equal(d_hostlist_deranged(hl, &s), 0);
	assert_string_equal(s, "foo-1,foo-2,foo-8,foo-9,foo-10");
	free(s);
	d_hostlist_destroy(hl);

	/* expansion of padded and run-on ranges */
	assert_int_equal(d_hostlist_parse("n[08-11],n[098-100]", &hl, &eb), 0);
	assert_int_equal(d_hostlist_deranged(hl, &s), 0);
	assert_string_equal(s, "n08,n09,n10,n11,n098,n099,n100");
	free(s);
	d_hostlist_destroy(hl);
}

static char *
set_str(const struct d_hostset *hs)
{
	static char buf[512];
	char	   *s;

	assert_int_equal(d_hostset_ranged(hs, &s), 0);
	snprintf(buf, sizeof(buf), "%s", s);
	free(s);
	return buf;
}

static void
test_set_ops(void **state)
{
	struct d_errbuf	   eb = {{0}};
	struct d_hostset  *hs, *other, *x;
	struct d_hostlist *hl;
	size_t		   n;
	bool		   all;
	char		  *s;

	(void)state;
	/* upstream TestHostSet_Insert */
	assert_int_equal(
		d_hostset_parse("node2-1,node1-2.suffix1,node1-[45,47].suffix2,node3,node1-3", &hs,
				&eb),
		0);
	assert_int_equal(d_hostset_insert(hs, "node1-[1-5],node1-[32-64].suffix2", &n, &eb), 0);
	assert_int_equal(n, 35);
	assert_string_equal(set_str(hs),
			    "node3,node1-[1-5],node1-2.suffix1,node1-[32-64].suffix2,node2-1");
	assert_int_equal(d_hostset_count(hs), 41);
	assert_int_equal(d_hostset_insert(hs, "bad[", &n, &eb), -DER_INVAL);
	assert_int_equal(d_hostset_count(hs), 41);
	d_hostset_destroy(hs);

	/* contains (upstream Within) and intersect */
	assert_int_equal(d_hostset_parse("node[1-128]", &hs, &eb), 0);
	assert_int_equal(d_hostset_contains(hs, "node1", &all, &eb), 0);
	assert_true(all);
	assert_int_equal(d_hostset_contains(hs, "node[1-8]", &all, &eb), 0);
	assert_true(all);
	assert_int_equal(d_hostset_contains(hs, "node[1-256]", &all, &eb), 0);
	assert_false(all);
	assert_int_equal(d_hostset_contains(hs, "node[128-256]", &all, &eb), 0);
	assert_false(all);
	assert_int_equal(d_hostset_contains(hs, "node001", &all, &eb), 0);
	assert_false(all);
	assert_int_equal(d_hostset_contains(hs, "quack", &all, &eb), 0);
	assert_false(all);
	assert_int_equal(d_hostset_contains(hs, "node[", &all, &eb), -DER_INVAL);

	assert_int_equal(d_hostset_intersect(hs, "node[120-130],other1,node5", &x, &eb), 0);
	assert_string_equal(set_str(x), "node[5,120-128]");
	d_hostset_destroy(x);
	assert_int_equal(d_hostset_intersect(hs, "other[1-3]", &x, &eb), 0);
	assert_int_equal(d_hostset_count(x), 0);
	assert_string_equal(set_str(x), "");
	d_hostset_destroy(x);
	x = (void *)0x1;
	assert_int_equal(d_hostset_intersect(hs, "]", &x, &eb), -DER_INVAL);
	assert_ptr_equal(x, (void *)0x1);

	/* remove splits ranges */
	assert_int_equal(d_hostset_remove(hs, "node[3-5],node100,nothere,node[120-200]", &n, &eb),
			 0);
	assert_int_equal(n, 13);
	assert_string_equal(set_str(hs), "node[1-2,6-99,101-119]");
	assert_int_equal(d_hostset_remove(hs, "node[", &n, &eb), -DER_INVAL);
	assert_int_equal(d_hostset_remove(hs, "node[1-200]", &n, &eb), 0);
	assert_int_equal(n, 115);
	assert_int_equal(d_hostset_count(hs), 0);
	d_hostset_destroy(hs);

	assert_int_equal(d_hostset_parse("quack,node[1-3],duck", &hs, &eb), 0);
	assert_int_equal(d_hostset_remove(hs, "quack,node2", &n, &eb), 0);
	assert_int_equal(n, 2);
	assert_string_equal(set_str(hs), "duck,node[1,3]");
	assert_int_equal(d_hostset_intersect(hs, "duck,goose", &x, &eb), 0);
	assert_string_equal(set_str(x), "duck");
	d_hostset_destroy(x);

	/* merge (upstream TestHostSet_MergeSet) */
	assert_int_equal(d_hostset_parse("node[1-3],duck", &other, &eb), 0);
	assert_int_equal(d_hostset_merge(hs, other), 0);
	assert_int_equal(d_hostset_merge(hs, NULL), 0);
	assert_string_equal(set_str(hs), "duck,node[1-3]");
	assert_int_equal(d_hostset_count(hs), 4);
	d_hostset_destroy(other);

	/* insert a host list */
	assert_int_equal(d_hostlist_parse("node5,node4,node5,node[2-3]", &hl, &eb), 0);
	assert_int_equal(d_hostset_insert_list(hs, hl, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(set_str(hs), "duck,node[1-5]");
	d_hostlist_destroy(hl);

	assert_int_equal(d_hostset_nth(hs, 0, &s), 0);
	assert_string_equal(s, "duck");
	free(s);
	assert_int_equal(d_hostset_nth(hs, 5, &s), 0);
	assert_string_equal(s, "node5");
	free(s);
	assert_int_equal(d_hostset_nth(hs, 6, &s), -DER_NONEXIST);
	assert_int_equal(d_hostset_deranged(hs, &s), 0);
	assert_string_equal(s, "duck,node1,node2,node3,node4,node5");
	free(s);
	{
		struct d_sbuf sb;

		d_sbuf_init(&sb);
		assert_int_equal(d_hostset_foreach(hs, collect_cb, &sb), 0);
		assert_string_equal(sb.buf, "duck node1 node2 node3 node4 node5");
		d_sbuf_fini(&sb);
	}
	d_hostset_destroy(hs);
	d_hostset_destroy(NULL);
	assert_int_equal(d_hostset_count(NULL), 0);

	/* zero-value style use: create empty, then insert */
	assert_int_equal(d_hostset_create(&hs), 0);
	assert_int_equal(d_hostset_insert(hs, "host[1-8]", &n, &eb), 0);
	assert_int_equal(n, 8);
	assert_int_equal(d_hostset_insert(hs, "host[5-10]", &n, &eb), 0);
	assert_int_equal(n, 2);
	d_hostset_destroy(hs);

	/* padding identity in set operations */
	assert_int_equal(d_hostset_parse("node[08-12]", &hs, &eb), 0);
	assert_int_equal(d_hostset_contains(hs, "node10,node08", &all, &eb), 0);
	assert_true(all);
	assert_int_equal(d_hostset_contains(hs, "node8", &all, &eb), 0);
	assert_false(all);
	assert_int_equal(d_hostset_remove(hs, "node[9-10]", &n, &eb), 0);
	assert_int_equal(n, 1); /* node9 is not node09 */
	assert_string_equal(set_str(hs), "node[08-09,11-12]");
	d_hostset_destroy(hs);
}

static void
test_addrs(void **state)
{
	struct d_errbuf eb = {{0}};
	char	      **a = (char **)0x1;
	size_t		n;

	(void)state;
	assert_int_equal(
		d_host_addrs_parse("wolf-[71-72],wolf-71:10002,10.5.1.[2-3]", 10001, &a, &n, &eb),
		0);
	assert_int_equal(n, 5);
	assert_string_equal(a[0], "10.5.1.2:10001");
	assert_string_equal(a[1], "10.5.1.3:10001");
	assert_string_equal(a[2], "wolf-71:10001");
	assert_string_equal(a[3], "wolf-72:10001");
	assert_string_equal(a[4], "wolf-71:10002");
	d_host_addrs_free(a, n);

	/* "node1" and "node1:10001" are one address */
	assert_int_equal(d_host_addrs_parse("node1:10001,node1,localhost", 10001, &a, &n, &eb), 0);
	assert_int_equal(n, 2);
	assert_string_equal(a[0], "localhost:10001");
	assert_string_equal(a[1], "node1:10001");
	d_host_addrs_free(a, n);
	d_host_addrs_free(NULL, 0);

	a = (char **)0x1;
	assert_int_equal(d_host_addrs_parse("node[1-", 10001, &a, &n, &eb), -DER_INVAL);
	assert_ptr_equal(a, (char **)0x1);
	assert_non_null(strstr(eb.msg, "missing \"]\""));
	assert_int_equal(d_host_addrs_parse("node1", 0, &a, &n, &eb), -DER_INVAL);
	assert_non_null(strstr(eb.msg, "invalid default port 0"));
	assert_int_equal(d_host_addrs_parse("node1", 70000, &a, &n, &eb), -DER_INVAL);
	assert_int_equal(d_host_addrs_parse("", 10001, &a, &n, &eb), -DER_INVAL);
	assert_non_null(strstr(eb.msg, "empty host list"));
}

/*
 * check() on 20,000 comma lists of 1..maxk pieces drawn with xorshift64 from
 * `x` (deterministic).
 */
static void
random_lists(const char *const *piece, size_t npiece, uint64_t x, int maxk,
	     void (*check)(const char *))
{
	for (int round = 0; round < 20000; round++) {
		struct d_sbuf sb;
		int	      k;

		d_sbuf_init(&sb);
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		k = 1 + (int)(x % (uint64_t)maxk);
		for (int j = 0; j < k; j++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			d_sbuf_printf(&sb, "%s%s", j ? "," : "", piece[x % npiece]);
		}
		assert_false(sb.failed);
		check(sb.buf);
		d_sbuf_fini(&sb);
	}
}

/* The compressed form parses back to a set that compresses the same. */
static void
check_stable(const char *in)
{
	struct d_hostset *hs = NULL, *again = NULL;
	char		 *ranged = NULL, *ranged2 = NULL;

	if (d_hostset_parse(in, &hs, NULL) != 0)
		fail_msg("\"%s\" does not parse", in);
	assert_int_equal(d_hostset_ranged(hs, &ranged), 0);
	if (d_hostset_parse(ranged, &again, NULL) != 0)
		fail_msg("\"%s\" compresses to \"%s\", which does not parse", in, ranged);
	assert_int_equal(d_hostset_ranged(again, &ranged2), 0);
	if (strcmp(ranged, ranged2) != 0 || d_hostset_count(again) != d_hostset_count(hs))
		fail_msg("\"%s\" -> \"%s\" -> \"%s\"", in, ranged, ranged2);
	free(ranged);
	free(ranged2);
	d_hostset_destroy(again);
	d_hostset_destroy(hs);
}

/*
 * Compression and parsing round-trip on every set the parser accepts: many
 * small sets built from pieces that exercise names, numbers, widths,
 * addresses and ports (a deterministic sample of the fuzz target's check).
 */
static void
test_ranged_round_trip(void **state)
{
	static const char *const piece[] = {
		"node1",
		"node01",
		"node001",
		"node9",
		"node10",
		"n-1",
		"n-01",
		"a1b",
		"a2b",
		"rack1-node2",
		"x",
		"10.0.0.1",
		"10.0.0.2",
		"10.0.1.1",
		"0.0.0.0",
		"127.0.0.1",
		"node1:10001",
		"node2:10001",
		"node1:10002",
		"h.1",
		"h1.a",
		"h2.a",
		"node18446744073709551615",
		"node0",
		"a-b-1",
		"a-b-2",
	};
	(void)state;
	random_lists(piece, D_ARRAY_SIZE(piece), 88172645463325252ULL, 5, check_stable);
}

/*
 * Hosts written with different digit counts are different hosts, so a
 * compressed form may only join numbers across a width change where the
 * narrower run ends at its largest number ("node9,node10"): joining
 * "node5" with "node06" would write node[5-7], which expands to node6 and
 * node7, hosts that were never given.
 */
struct width_case {
	const char *in;
	const char *list;     /* ranged string of the list */
	const char *set;      /* ranged string of the set */
	const char *expanded; /* the set, expanded, in set order */
};

static const struct width_case width_cases[] = {
	{"node5,node06,node07", "node[5,06-07]", "node[5,06-07]", "node5,node06,node07"},
	{"node06,node07,node5", "node[06-07,5]", "node[5,06-07]", "node5,node06,node07"},
	{"node[5,06-07]", "node[5,06-07]", "node[5,06-07]", "node5,node06,node07"},
	{"node98,node099,node100", "node[98,099-100]", "node[98,099-100]",
	 "node98,node099,node100"},
	{"node8,node09,node10", "node[8,09-10]", "node[8,09-10]", "node8,node09,node10"},
	{"node9,node010,node011", "node[9,010-011]", "node[9,010-011]", "node9,node010,node011"},
	/* the legitimate joins next to the refused ones */
	{"node9,node10,node011", "node[9-10,011]", "node[9-10,011]", "node9,node10,node011"},
	{"node4,node5,node06,node07,node08", "node[4-5,06-08]", "node[4-5,06-08]",
	 "node4,node5,node06,node07,node08"},
	{"node[1-9],node[010-012]", "node[1-9,010-012]", "node[1-9,010-012]",
	 "node1,node2,node3,node4,node5,node6,node7,node8,node9,node010,node011,node012"},
	/* prefixes that end in a hyphen, a dot or digits, and suffixes */
	{"rack1-5,rack1-06,rack1-07", "rack1-[5,06-07]", "rack1-[5,06-07]",
	 "rack1-5,rack1-06,rack1-07"},
	{"10.0.0.5,10.0.0.06,10.0.0.07", "10.0.0.[5,06-07]", "10.0.0.[5,06-07]",
	 "10.0.0.5,10.0.0.06,10.0.0.07"},
	{"10.0.0.[5,06-07]:10001", "10.0.0.[5,06-07]:10001", "10.0.0.[5,06-07]:10001",
	 "10.0.0.5:10001,10.0.0.06:10001,10.0.0.07:10001"},
	{"a5b02,a06b02,a07b02", "a[5,06-07]b02", "a[5,06-07]b02", "a5b02,a06b02,a07b02"},
	{"node5.ib0,node06.ib0,node07.ib0", "node[5,06-07].ib0", "node[5,06-07].ib0",
	 "node5.ib0,node06.ib0,node07.ib0"},
	/* the plain-name rule keeps these whole: no number to range over */
	{"rack1-node05,rack1-node6,rack1-node07", "rack1-node05,rack1-node6,rack1-node07",
	 "rack1-node05,rack1-node07,rack1-node6", "rack1-node05,rack1-node07,rack1-node6"},
	/* one prefix, several width families and other prefixes between */
	{"node5,n06,node06,n5,node07,n07", "node5,n06,node06,n5,node07,n07",
	 "n[5,06-07],node[5,06-07]", "n5,n06,n07,node5,node06,node07"},
};

/* Expanded form of a compressed string, parsed back as a set. */
static char *
reexpand(const char *ranged)
{
	struct d_errbuf	  eb = {{0}};
	struct d_hostset *hs = NULL;
	char		 *s = NULL;

	if (d_hostset_parse(ranged, &hs, &eb) != 0)
		fail_msg("\"%s\" does not parse: %s", ranged, eb.msg);
	assert_int_equal(d_hostset_deranged(hs, &s), 0);
	d_hostset_destroy(hs);
	return s;
}

static void
test_ranged_keeps_widths(void **state)
{
	(void)state;
	for (size_t i = 0; i < D_ARRAY_SIZE(width_cases); i++) {
		const struct width_case *c = &width_cases[i];
		struct d_errbuf		 eb = {{0}};
		struct d_hostlist	*hl = NULL;
		struct d_hostset	*hs = NULL;
		char			*s = NULL, *e = NULL;

		if (d_hostset_parse(c->in, &hs, &eb) != 0)
			fail_msg("case %zu %s: %s", i, c->in, eb.msg);
		assert_int_equal(d_hostset_deranged(hs, &s), 0);
		if (strcmp(s, c->expanded) != 0)
			fail_msg("case %zu %s: expanded %s, want %s", i, c->in, s, c->expanded);
		free(s);
		assert_int_equal(d_hostset_ranged(hs, &s), 0);
		if (strcmp(s, c->set) != 0)
			fail_msg("case %zu %s: set %s, want %s", i, c->in, s, c->set);
		/* compress -> parse -> expand gives back exactly the input set */
		e = reexpand(s);
		if (strcmp(e, c->expanded) != 0)
			fail_msg("case %zu %s: set %s expands to %s, want %s", i, c->in, s, e,
				 c->expanded);
		free(e);
		free(s);
		d_hostset_destroy(hs);

		assert_int_equal(d_hostlist_parse(c->in, &hl, &eb), 0);
		assert_int_equal(d_hostlist_ranged(hl, &s), 0);
		if (strcmp(s, c->list) != 0)
			fail_msg("case %zu %s: list %s, want %s", i, c->in, s, c->list);
		e = reexpand(s);
		if (strcmp(e, c->expanded) != 0)
			fail_msg("case %zu %s: list %s expands to %s, want %s", i, c->in, s, e,
				 c->expanded);
		free(e);
		free(s);
		d_hostlist_destroy(hl);
	}
}

/* Compressing, parsing and expanding gives the hosts that expanding directly gives. */
static void
check_expands_back(const char *in)
{
	struct d_hostset *hs = NULL;
	char		 *ranged = NULL, *direct = NULL, *back;

	if (d_hostset_parse(in, &hs, NULL) != 0)
		fail_msg("\"%s\" does not parse", in);
	assert_int_equal(d_hostset_deranged(hs, &direct), 0);
	assert_int_equal(d_hostset_ranged(hs, &ranged), 0);
	back = reexpand(ranged);
	if (strcmp(back, direct) != 0)
		fail_msg("\"%s\" compresses to \"%s\", which expands to \"%s\", not \"%s\"", in,
			 ranged, back, direct);
	free(back);
	free(ranged);
	free(direct);
	d_hostset_destroy(hs);
}

/*
 * The round trip on random mixtures of width families: compressing,
 * parsing and expanding must give the same hosts as expanding directly
 * (the count alone does not see node[5-7] standing for node5,node06,node07).
 */
static void
test_ranged_widths_round_trip(void **state)
{
	static const char *const piece[] = {
		"node5",    "node05",	    "node005",	   "node6",	  "node06",
		"node07",   "node8",	    "node09",	   "node9",	  "node10",
		"node010",  "node99",	    "node098",	   "node099",	  "node100",
		"10.0.0.5", "10.0.0.06",    "10.0.0.07",   "10.0.0.9",	  "10.0.0.010",
		"a5b02",    "a06b02",	    "a07b02",	   "rack1-5",	  "rack1-06",
		"rack1-07", "rack1-node05", "rack1-node6", "node5:10001", "node06:10001",
	};
	(void)state;
	random_lists(piece, D_ARRAY_SIZE(piece), 0x9e3779b97f4a7c15ULL, 6, check_expands_back);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_table),
		cmocka_unit_test(test_bad_table),
		cmocka_unit_test(test_list_ops),
		cmocka_unit_test(test_set_ops),
		cmocka_unit_test(test_addrs),
		cmocka_unit_test(test_ranged_round_trip),
		cmocka_unit_test(test_ranged_keeps_widths),
		cmocka_unit_test(test_ranged_widths_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
