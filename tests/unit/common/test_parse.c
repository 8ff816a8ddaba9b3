/*
 * Table-driven tests of d_parse_u64() and d_parse_u64n(), the one strict
 * decimal parser: what it accepts, what it rejects and with which code, and
 * that *out is left alone on every error.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>
#include <string.h>

#include "common/common.h"

struct u64_case {
	const char *in;
	int	    rc;
	uint64_t    v;
};

static const struct u64_case u64_cases[] = {
	{"0", 0, 0},
	{"1", 0, 1},
	{"007", 0, 7},
	{"4096", 0, 4096},
	{"18446744073709551615", 0, UINT64_MAX},
	{"018446744073709551615", 0, UINT64_MAX},
	{"18446744073709551616", -DER_OVERFLOW, 0},
	{"99999999999999999999", -DER_OVERFLOW, 0},
	{"184467440737095516150", -DER_OVERFLOW, 0},
	{"", -DER_INVAL, 0},
	{"-1", -DER_INVAL, 0},
	{"-0", -DER_INVAL, 0},
	{"+1", -DER_INVAL, 0},
	{"12x", -DER_INVAL, 0},
	{"1 ", -DER_INVAL, 0},
	{" 1", -DER_INVAL, 0},
	{"\t1", -DER_INVAL, 0},
	{"1\n", -DER_INVAL, 0},
	{"0x10", -DER_INVAL, 0},
	{"1.0", -DER_INVAL, 0},
	{"1e3", -DER_INVAL, 0},
	{"1_000", -DER_INVAL, 0},
	/* not a number at all beats too large: the input is wrong, not big */
	{"99999999999999999999x", -DER_INVAL, 0},
};

static void
test_u64_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < D_ARRAY_SIZE(u64_cases); i++) {
		const struct u64_case *c = &u64_cases[i];
		uint64_t	       v = 12345;
		int		       rc = d_parse_u64(c->in, &v);

		if (rc != c->rc)
			fail_msg("\"%s\": rc %d, expected %d", c->in, rc, c->rc);
		if (rc == 0 && v != c->v)
			fail_msg("\"%s\": %llu, expected %llu", c->in, (unsigned long long)v,
				 (unsigned long long)c->v);
		if (rc != 0 && v != 12345)
			fail_msg("\"%s\": output written on error", c->in);
	}
}

static void
test_u64_null(void **state)
{
	uint64_t v = 5;

	(void)state;
	assert_int_equal(d_parse_u64(NULL, &v), -DER_INVAL);
	assert_int_equal(d_parse_u64n(NULL, 3, &v), -DER_INVAL);
	assert_int_equal(v, 5);
}

static void
test_u64n_span(void **state)
{
	const char *s = "node12-34x";
	uint64_t    v = 0;

	(void)state;
	assert_int_equal(d_parse_u64n(s + 4, 2, &v), 0);
	assert_int_equal(v, 12);
	assert_int_equal(d_parse_u64n(s + 7, 2, &v), 0);
	assert_int_equal(v, 34);
	/* the span is exactly what is read: one character more is garbage */
	assert_int_equal(d_parse_u64n(s + 7, 3, &v), -DER_INVAL);
	assert_int_equal(d_parse_u64n(s + 4, 0, &v), -DER_INVAL);
	assert_int_equal(d_parse_u64n("18446744073709551615", 20, &v), 0);
	assert_true(v == UINT64_MAX);
	assert_int_equal(d_parse_u64n("184467440737095516159", 21, &v), -DER_OVERFLOW);
	/* a NUL inside the span is not a digit */
	assert_int_equal(d_parse_u64n("1\0002", 3, &v), -DER_INVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_u64_table),
		cmocka_unit_test(test_u64_null),
		cmocka_unit_test(test_u64n_span),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
