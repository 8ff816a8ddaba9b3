/*
 * Table-driven tests of the go-humanize size formatting and of
 * d_size_parse(), including every error message.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>
#include <string.h>

#include "common/units.h"

struct fmt_case {
	uint64_t    in;
	const char *si;
	const char *iec;
};

/* Expected strings computed with go-humanize's algorithm. */
static const struct fmt_case fmt_cases[] = {
	{0, "0 B", "0 B"},
	{9, "9 B", "9 B"},
	{10, "10 B", "10 B"},
	{999, "999 B", "999 B"},
	{1000, "1.0 kB", "1000 B"},
	{1023, "1.0 kB", "1023 B"},
	{1024, "1.0 kB", "1.0 KiB"},
	{1536, "1.5 kB", "1.5 KiB"},
	{9950, "10 kB", "9.7 KiB"},
	{9999, "10 kB", "9.8 KiB"},
	{2048 * 1024, "2.1 MB", "2.0 MiB"},
	{750156374016ULL, "750 GB", "699 GiB"},
	{1600321314816ULL, "1.6 TB", "1.5 TiB"},
	{3200000000000ULL, "3.2 TB", "2.9 TiB"},
	{3298534883328ULL, "3.3 TB", "3.0 TiB"},
	{8000000000000ULL, "8.0 TB", "7.3 TiB"},
	{1000000000000000000ULL, "1.0 EB", "888 PiB"},
	{UINT64_MAX, "18 EB", "16 EiB"},
};

static void
test_format(void **state)
{
	char buf[D_SIZE_BUFLEN];

	(void)state;
	for (size_t i = 0; i < sizeof(fmt_cases) / sizeof(fmt_cases[0]); i++) {
		assert_string_equal(d_size_si(fmt_cases[i].in, buf, sizeof(buf)), fmt_cases[i].si);
		assert_string_equal(d_size_iec(fmt_cases[i].in, buf, sizeof(buf)),
				    fmt_cases[i].iec);
	}
}

struct parse_case {
	const char *in;
	uint64_t    out;
};

static const struct parse_case parse_ok[] = {
	{"0", 0},
	{"4096", 4096},
	{"4096B", 4096},
	{"10b", 10},
	{"10K", 10240},
	{"10k", 10240},
	{"10KB", 10000},
	{"10kB", 10000},
	{"10KiB", 10240},
	{"10G", 10737418240ULL},
	{"10GB", 10000000000ULL},
	{"10GiB", 10737418240ULL},
	{"10gib", 10737418240ULL},
	{"512 MiB", 536870912ULL},
	{" 512MiB", 536870912ULL},
	{"1.5T", 1649267441664ULL},
	{"1.5TB", 1500000000000ULL},
	{"0.5K", 512},
	{"1.", 1},
	{".5KB", 500},
	{"1.0000001KB", 1000},
	{"2P", 2251799813685248ULL},
	{"2PB", 2000000000000000ULL},
	{"16383P", 18445618173802708992ULL},
	{"18446744073709551615", UINT64_MAX},
	{"18446744073709551615.9", UINT64_MAX},
};

struct parse_err {
	const char *in;
	const char *msg;
};

static const struct parse_err parse_bad[] = {
	{"", "invalid size \"\": empty value; use a number with an optional unit, e.g. 10G or "
	     "512MiB"},
	{"G", "invalid size \"G\": expected a number followed by an optional unit, e.g. 10G, 1.5TB "
	      "or 512MiB"},
	{"-1G", "invalid size \"-1G\": expected a number followed by an optional unit, e.g. 10G, "
		"1.5TB or 512MiB"},
	{".", "invalid size \".\": expected a number followed by an optional unit, e.g. 10G, 1.5TB "
	      "or 512MiB"},
	{"12Q", "invalid size \"12Q\": unknown unit \"Q\"; use B, K, M, G, T, P, KB..PB or "
		"KiB..PiB"},
	{"12 GiBs", "invalid size \"12 GiBs\": unknown unit \"GiBs\"; use B, K, M, G, T, P, KB..PB "
		    "or KiB..PiB"},
	{"12Gi", "invalid size \"12Gi\": unknown unit \"Gi\"; use B, K, M, G, T, P, KB..PB or "
		 "KiB..PiB"},
	{"1E", "invalid size \"1E\": unknown unit \"E\"; use B, K, M, G, T, P, KB..PB or KiB..PiB"},
	{"1 2", "invalid size \"1 2\": unknown unit \"2\"; use B, K, M, G, T, P, KB..PB or "
		"KiB..PiB"},
	{"18446744073709551616",
	 "invalid size \"18446744073709551616\": larger than 18446744073709551615 bytes"},
	{"16384P", "invalid size \"16384P\": larger than 18446744073709551615 bytes"},
	{"18446744073709551615K",
	 "invalid size \"18446744073709551615K\": larger than 18446744073709551615 bytes"},
	{"99999999999999999999999999P",
	 "invalid size \"99999999999999999999999999P\": larger than 18446744073709551615 bytes"},
};

static void
test_parse(void **state)
{
	struct d_errbuf eb;
	uint64_t	v;

	(void)state;
	for (size_t i = 0; i < sizeof(parse_ok) / sizeof(parse_ok[0]); i++) {
		v = 12345;
		assert_int_equal(d_size_parse(parse_ok[i].in, &v, &eb), 0);
		if (v != parse_ok[i].out)
			fail_msg("\"%s\": got %llu, want %llu", parse_ok[i].in,
				 (unsigned long long)v, (unsigned long long)parse_ok[i].out);
	}
	for (size_t i = 0; i < sizeof(parse_bad) / sizeof(parse_bad[0]); i++) {
		v = 12345;
		memset(&eb, 0, sizeof(eb));
		assert_int_equal(d_size_parse(parse_bad[i].in, &v, &eb), -DER_INVAL);
		assert_string_equal(eb.msg, parse_bad[i].msg);
		assert_int_equal(v, 12345); /* untouched on error */
	}
	/* NULL string and NULL error buffer */
	assert_int_equal(d_size_parse(NULL, &v, NULL), -DER_INVAL);
	assert_int_equal(d_size_parse("1Q", &v, NULL), -DER_INVAL);
}

/* Whatever is formatted reads back within the rounding of one decimal. */
static void
test_roundtrip(void **state)
{
	char	 buf[D_SIZE_BUFLEN];
	uint64_t v;

	(void)state;
	assert_int_equal(d_size_parse(d_size_si(3200000000000ULL, buf, sizeof(buf)), &v, NULL), 0);
	assert_int_equal(v, 3200000000000ULL);
	assert_int_equal(d_size_parse(d_size_iec(2048 * 1024, buf, sizeof(buf)), &v, NULL), 0);
	assert_int_equal(v, 2048 * 1024);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_roundtrip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
