/*
 * Unit tests for rank sets (src/common/rankset.c): upstream's ranklist test
 * cases (inputs and expected strings), add/remove/merge, and every error path.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "common/hostlist.h"

struct rs_case {
	const char *in;
	const char *str;
	const char *ranged;
	uint64_t    count;
};

static const struct rs_case good[] = {
	{"", "", "", 0},
	{"[]", "", "", 0},
	{"[0-10]", "0-10", "[0-10]", 11},
	{"0-10", "0-10", "[0-10]", 11},
	{"1,2,3,5,6,8,10,10,1", "1-3,5-6,8,10", "[1-3,5-6,8,10]", 7},
	{"2,3,10-19,0-9", "0-19", "[0-19]", 20},
	{"0-1,5-6", "0-1,5-6", "[0-1,5-6]", 4},
	{"[0-3,7]", "0-3,7", "[0-3,7]", 5},
	{"3", "3", "3", 1},
	{"[3]", "3", "3", 1},
	{"[0-1,3-5,3]", "0-1,3-5", "[0-1,3-5]", 5},
	{"[0-3],[5]", "0-3,5", "[0-3,5]", 5},
	{"[0-3],5", "0-3,5", "[0-3,5]", 5},
	{"7,3,5,4,6", "3-7", "[3-7]", 5},
	{"4294967294", "4294967294", "4294967294", 1},
	{"4294950000-4294966384", "4294950000-4294966384", "[4294950000-4294966384]", 16385},
	{"007", "7", "7", 1},
};

static void
test_good(void **state)
{
	(void)state;
	for (size_t i = 0; i < D_ARRAY_SIZE(good); i++) {
		struct d_errbuf	  eb = {{0}};
		struct d_rankset *rs;
		char		 *s;

		if (d_rankset_parse(good[i].in, &rs, &eb) != 0)
			fail_msg("case %zu \"%s\": %s", i, good[i].in, eb.msg);
		assert_int_equal(d_rankset_str(rs, &s), 0);
		if (strcmp(s, good[i].str) != 0)
			fail_msg("case %zu \"%s\": %s, want %s", i, good[i].in, s, good[i].str);
		free(s);
		assert_int_equal(d_rankset_ranged(rs, &s), 0);
		assert_string_equal(s, good[i].ranged);
		free(s);
		assert_int_equal(d_rankset_count(rs), good[i].count);
		d_rankset_destroy(rs);
	}
}

struct bad_case {
	const char *in;
	const char *msg;
};

static const struct bad_case bad[] = {
	{"1, 5", "unexpected whitespace character(s) in rank list \"1, 5\""},
	{"1\t5", "unexpected whitespace"},
	{"node2-1,node1-2.suffix1,node1-[45,47].suffix2,node3,node1-3",
	 "unexpected alphabetic character(s)"},
	{"node[1-128]", "unexpected alphabetic character(s)"},
	{"5-3", "invalid range \"5-3\" (3 < 5)"},
	{"0-16385", "invalid range \"0-16385\" (> 16384 hosts)"},
	{"4294967295", "out of range [0, 4294967294]"},
	{"99999999999999999999999", "out of range"},
	{"1-", "invalid range \"1-\""},
	{"-1", "invalid range \"-1\""},
	{"1--2", "invalid range \"1--2\""},
	{"1,,2", "invalid range \"\""},
	{"1,", "trailing \",\""},
	{"[1-2", "missing \"]\""},
	{"1-2]", "\"]\" without \"[\""},
	{"[[1]]", "nested \"[\""},
	{"1[2]", "unexpected \"[\""},
	{"[1]2", "unexpected character after \"]\""},
	{"1.5", "invalid range \"1.5\""},
	{"#", "invalid range \"#\""},
};

static void
test_bad(void **state)
{
	(void)state;
	for (size_t i = 0; i < D_ARRAY_SIZE(bad); i++) {
		struct d_errbuf	  eb = {{0}};
		struct d_rankset *rs = (void *)0x1;

		if (d_rankset_parse(bad[i].in, &rs, &eb) != -DER_INVAL)
			fail_msg("case %zu \"%s\" accepted", i, bad[i].in);
		assert_ptr_equal(rs, (void *)0x1);
		if (strstr(eb.msg, bad[i].msg) == NULL)
			fail_msg("case %zu \"%s\": \"%s\" lacks \"%s\"", i, bad[i].in, eb.msg,
				 bad[i].msg);
	}
}

static int
sum_cb(uint32_t rank, void *arg)
{
	uint64_t *sum = arg;

	*sum = *sum * 100 + rank;
	return rank == 7 ? 9 : 0;
}

static void
test_ops(void **state)
{
	struct d_errbuf	  eb = {{0}};
	struct d_rankset *rs, *other;
	char		 *s;
	uint32_t	  r;
	uint64_t	  sum = 0;

	(void)state;
	/* upstream NumericList cases as a set: add 0,2,5 then delete 2 */
	assert_int_equal(d_rankset_create(&rs), 0);
	assert_int_equal(d_rankset_add(rs, 0), 0);
	assert_int_equal(d_rankset_add(rs, 2), 0);
	assert_int_equal(d_rankset_add(rs, 5), 0);
	assert_int_equal(d_rankset_ranged(rs, &s), 0);
	assert_string_equal(s, "[0,2,5]");
	free(s);
	assert_int_equal(d_rankset_remove(rs, 2), 0);
	assert_int_equal(d_rankset_remove(rs, 77), 0); /* absent: no-op */
	assert_int_equal(d_rankset_ranged(rs, &s), 0);
	assert_string_equal(s, "[0,5]");
	free(s);
	assert_int_equal(d_rankset_add(rs, UINT32_MAX), -DER_INVAL);
	assert_int_equal(d_rankset_count(rs), 2);

	/* adds that bridge ranges, removes that split them */
	assert_int_equal(d_rankset_add(rs, 1), 0);
	assert_int_equal(d_rankset_add(rs, 3), 0);
	assert_int_equal(d_rankset_add(rs, 4), 0);
	assert_int_equal(d_rankset_add(rs, 4), 0);
	assert_int_equal(d_rankset_str(rs, &s), 0);
	assert_string_equal(s, "0-1,3-5");
	free(s);
	assert_int_equal(d_rankset_add(rs, 2), 0); /* bridges two ranges */
	assert_int_equal(d_rankset_str(rs, &s), 0);
	assert_string_equal(s, "0-5");
	free(s);
	assert_int_equal(d_rankset_remove(rs, 3), 0);
	assert_int_equal(d_rankset_remove(rs, 0), 0);
	assert_int_equal(d_rankset_remove(rs, 5), 0);
	assert_int_equal(d_rankset_str(rs, &s), 0);
	assert_string_equal(s, "1-2,4");
	assert_int_equal(d_rankset_count(rs), 3);
	free(s);
	assert_true(d_rankset_contains(rs, 4));
	assert_false(d_rankset_contains(rs, 3));
	assert_false(d_rankset_contains(rs, 0));
	assert_false(d_rankset_contains(NULL, 0));
	assert_int_equal(d_rankset_remove(rs, 4), 0);
	assert_int_equal(d_rankset_str(rs, &s), 0);
	assert_string_equal(s, "1-2");
	free(s);

	/* upstream "ranged rank list": 2,3,10-19,0-9 plus 30,32 */
	assert_int_equal(d_rankset_parse("2,3,10-19,0-9", &other, &eb), 0);
	assert_int_equal(d_rankset_add(other, 30), 0);
	assert_int_equal(d_rankset_add(other, 32), 0);
	assert_int_equal(d_rankset_str(other, &s), 0);
	assert_string_equal(s, "0-19,30,32");
	free(s);
	assert_int_equal(d_rankset_count(other), 22);

	assert_int_equal(d_rankset_merge(rs, other), 0);
	assert_int_equal(d_rankset_merge(rs, NULL), 0);
	assert_int_equal(d_rankset_merge(rs, rs), 0);
	assert_int_equal(d_rankset_str(rs, &s), 0);
	assert_string_equal(s, "0-19,30,32");
	free(s);
	d_rankset_destroy(other);

	assert_int_equal(d_rankset_nth(rs, 0, &r), 0);
	assert_int_equal(r, 0);
	assert_int_equal(d_rankset_nth(rs, 20, &r), 0);
	assert_int_equal(r, 30);
	assert_int_equal(d_rankset_nth(rs, 21, &r), 0);
	assert_int_equal(r, 32);
	r = 12345;
	assert_int_equal(d_rankset_nth(rs, 22, &r), -DER_NONEXIST);
	assert_int_equal(r, 12345);
	d_rankset_destroy(rs);

	/* iteration in ascending order, stopped by the callback */
	assert_int_equal(d_rankset_parse("9,7,3", &rs, &eb), 0);
	assert_int_equal(d_rankset_foreach(rs, sum_cb, &sum), 9);
	assert_int_equal(sum, 307);
	d_rankset_destroy(rs);

	/* top of the rank space */
	assert_int_equal(d_rankset_create(&rs), 0);
	assert_int_equal(d_rankset_add(rs, D_RANK_MAX), 0);
	assert_int_equal(d_rankset_add(rs, D_RANK_MAX - 1), 0);
	assert_true(d_rankset_contains(rs, D_RANK_MAX));
	assert_false(d_rankset_contains(rs, UINT32_MAX));
	assert_int_equal(d_rankset_str(rs, &s), 0);
	assert_string_equal(s, "4294967293-4294967294");
	free(s);
	d_rankset_destroy(rs);
	d_rankset_destroy(NULL);
	assert_int_equal(d_rankset_count(NULL), 0);

	/* many single adds in random order collapse into one range */
	assert_int_equal(d_rankset_create(&rs), 0);
	for (uint32_t i = 0; i < 1000; i++)
		assert_int_equal(d_rankset_add(rs, (i * 617) % 1000), 0);
	assert_int_equal(d_rankset_str(rs, &s), 0);
	assert_string_equal(s, "0-999");
	free(s);
	d_rankset_destroy(rs);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_ops),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
