/*
 * Golden tests of the JSON writer (Go MarshalIndent layout), its escaping,
 * number formatting, misuse detection and the -j envelope.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "../unit_fi.h"
#include "common/common.h"
#include "common/json.h"

static char *
envelope(struct d_json *w, const char *error, int status)
{
	char  *buf = NULL;
	size_t len = 0;
	FILE  *f = open_memstream(&buf, &len);

	assert_non_null(f);
	d_json_envelope_print(f, w, error, status);
	fclose(f);
	return buf;
}

static void
test_nested(void **state)
{
	struct d_json *w = d_json_create();

	(void)state;
	d_json_obj_begin(w, NULL);
	d_json_str(w, "name", "x");
	d_json_int(w, "neg", -42);
	d_json_uint(w, "big", UINT64_MAX);
	d_json_bool(w, "t", true);
	d_json_bool(w, "f", false);
	d_json_null(w, "n");
	d_json_str(w, "s", NULL);
	d_json_obj_begin(w, "empty_obj");
	d_json_obj_end(w);
	d_json_arr_begin(w, "empty_arr");
	d_json_arr_end(w);
	d_json_arr_begin(w, "arr");
	d_json_int(w, "ignored key", 1);
	d_json_obj_begin(w, NULL);
	d_json_str(w, "k", "v");
	d_json_obj_end(w);
	d_json_arr_begin(w, NULL);
	d_json_arr_end(w);
	d_json_arr_end(w);
	d_json_obj_end(w);
	assert_int_equal(d_json_finish(w), 0);
	assert_string_equal(d_json_text(w), "{\n"
					    "  \"name\": \"x\",\n"
					    "  \"neg\": -42,\n"
					    "  \"big\": 18446744073709551615,\n"
					    "  \"t\": true,\n"
					    "  \"f\": false,\n"
					    "  \"n\": null,\n"
					    "  \"s\": null,\n"
					    "  \"empty_obj\": {},\n"
					    "  \"empty_arr\": [],\n"
					    "  \"arr\": [\n"
					    "    1,\n"
					    "    {\n"
					    "      \"k\": \"v\"\n"
					    "    },\n"
					    "    []\n"
					    "  ]\n"
					    "}");
	d_json_destroy(w);
}

static void
test_escape(void **state)
{
	struct d_json *w = d_json_create();

	(void)state;
	d_json_obj_begin(w, NULL);
	d_json_str(w, "q\"k", "a\"b\\c/d\n\r\t\b\f\x01\x1f\x7f \xc3\xa9");
	/* Go's HTML-safe escapes, line separators and invalid UTF-8 */
	d_json_str(w, "html", "<a&b>");
	d_json_str(w, "ls", "x\xe2\x80\xa8y\xe2\x80\xa9");
	d_json_str(w, "bad", "\xff\xc3(\xe0\x80\x80\xed\xa0\x80\xf4\x90\x80\x80\xf0\x9f\x98\x80");
	d_json_obj_end(w);
	assert_int_equal(d_json_finish(w), 0);
	assert_string_equal(
		d_json_text(w),
		"{\n  \"q\\\"k\": \"a\\\"b\\\\c/d\\n\\r\\t\\u0008\\u000c\\u0001\\u001f\x7f "
		"\xc3\xa9\",\n"
		"  \"html\": \"\\u003ca\\u0026b\\u003e\",\n"
		"  \"ls\": \"x\\u2028y\\u2029\",\n"
		"  \"bad\": \"\\ufffd\\ufffd(\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd"
		"\\ufffd\\ufffd\\ufffd\\ufffd\xf0\x9f\x98\x80\"\n}");
	d_json_destroy(w);
}

static void
test_double(void **state)
{
	static const struct {
		double	    v;
		const char *s;
	} cases[] = {
		{0, "0"},
		{1, "1"},
		{1.5, "1.5"},
		{-2.25, "-2.25"},
		{0.1, "0.1"},
		{100, "100"},
		{1e20, "100000000000000000000"},
		{1e21, "1e+21"},
		{1.5e300, "1.5e+300"},
		{1e-6, "0.000001"},
		{1e-7, "1e-7"},
		{123456.789, "123456.789"},
		{0.30000000000000004, "0.30000000000000004"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct d_json *w = d_json_create();

		d_json_double(w, NULL, cases[i].v);
		assert_int_equal(d_json_finish(w), 0);
		assert_string_equal(d_json_text(w), cases[i].s);
		d_json_destroy(w);
	}
}

static void
test_misuse(void **state)
{
	struct d_json *w;

	(void)state;
	/* nothing written */
	w = d_json_create();
	assert_int_equal(d_json_finish(w), -DER_INVAL);
	assert_string_equal(d_json_text(w), "");
	d_json_destroy(w);
	/* unterminated */
	w = d_json_create();
	d_json_obj_begin(w, NULL);
	assert_int_equal(d_json_finish(w), -DER_INVAL);
	d_json_destroy(w);
	/* missing key inside an object */
	w = d_json_create();
	d_json_obj_begin(w, NULL);
	d_json_int(w, NULL, 1);
	d_json_obj_end(w);
	assert_int_equal(d_json_finish(w), -DER_INVAL);
	d_json_destroy(w);
	/* mismatched end */
	w = d_json_create();
	d_json_obj_begin(w, NULL);
	d_json_arr_end(w);
	assert_int_equal(d_json_finish(w), -DER_INVAL);
	d_json_destroy(w);
	/* end without begin */
	w = d_json_create();
	d_json_obj_end(w);
	assert_int_equal(d_json_finish(w), -DER_INVAL);
	d_json_destroy(w);
	/* two top-level values */
	w = d_json_create();
	d_json_int(w, NULL, 1);
	d_json_int(w, NULL, 2);
	assert_int_equal(d_json_finish(w), -DER_INVAL);
	d_json_destroy(w);
	/* NaN has no JSON form */
	w = d_json_create();
	d_json_double(w, NULL, 0.0 / 0.0);
	assert_int_equal(d_json_finish(w), -DER_INVAL);
	d_json_destroy(w);
	/* too deep */
	w = d_json_create();
	for (int i = 0; i < 65; i++)
		d_json_arr_begin(w, NULL);
	assert_int_equal(d_json_finish(w), -DER_INVAL);
	d_json_destroy(w);
	/* NULL writer */
	assert_int_equal(d_json_finish(NULL), -DER_INVAL);
	assert_string_equal(d_json_text(NULL), "");
	d_json_obj_begin(NULL, NULL);
	d_json_obj_end(NULL);
	d_json_destroy(NULL);
}

static void
test_envelope(void **state)
{
	struct d_json *w = d_json_create();
	char	      *out;

	(void)state;
	d_json_obj_begin(w, NULL);
	d_json_str(w, "name", "DAOS Admin Tool");
	d_json_arr_begin(w, "list");
	d_json_int(w, NULL, 1);
	d_json_arr_end(w);
	d_json_obj_begin(w, "empty");
	d_json_obj_end(w);
	d_json_obj_end(w);
	out = envelope(w, NULL, 0);
	assert_string_equal(out, "{\n"
				 "  \"response\": {\n"
				 "    \"name\": \"DAOS Admin Tool\",\n"
				 "    \"list\": [\n"
				 "      1\n"
				 "    ],\n"
				 "    \"empty\": {}\n"
				 "  },\n"
				 "  \"error\": null,\n"
				 "  \"status\": 0\n"
				 "}\n");
	free(out);
	d_json_destroy(w);

	out = envelope(NULL, "1 host had errors: \"x\"", -1025);
	assert_string_equal(out, "{\n"
				 "  \"response\": null,\n"
				 "  \"error\": \"1 host had errors: \\\"x\\\"\",\n"
				 "  \"status\": -1025\n"
				 "}\n");
	free(out);

	/* an empty object response */
	w = d_json_create();
	d_json_obj_begin(w, NULL);
	d_json_obj_end(w);
	out = envelope(w, NULL, 0);
	assert_string_equal(out,
			    "{\n  \"response\": {},\n  \"error\": null,\n  \"status\": 0\n}\n");
	free(out);
	d_json_destroy(w);

	/* a broken response is reported, not printed */
	w = d_json_create();
	d_json_obj_begin(w, NULL);
	out = envelope(w, NULL, 0);
	assert_string_equal(
		out, "{\n"
		     "  \"response\": null,\n"
		     "  \"error\": \"failed to build the JSON response: Invalid parameters\",\n"
		     "  \"status\": -1003\n"
		     "}\n");
	free(out);
	out = envelope(w, "boom", -1025);
	assert_string_equal(out,
			    "{\n"
			    "  \"response\": null,\n"
			    "  \"error\": \"failed to build the JSON response: Invalid parameters; "
			    "boom\",\n"
			    "  \"status\": -1025\n"
			    "}\n");
	free(out);
	d_json_destroy(w);
}

/* Child: allocation failures while writing surface as -DER_NOMEM. */
static int
fi_write(void)
{
	struct d_json *w = d_json_create();
	int	       rc;

	if (w == NULL)
		return 0;
	d_json_obj_begin(w, NULL);
	d_json_str(w, "k", "v");
	d_json_obj_end(w);
	rc = d_json_finish(w);
	d_json_destroy(w);
	return rc == -DER_NOMEM ? 0 : 1;
}

static void
test_alloc_failures(void **state)
{
	(void)state;
	for (int n = 1; n <= 2; n++)
		assert_int_equal(unit_fi_run("write", n), 0);
}

static const struct unit_fi_case fi_cases[] = {
	{"write", fi_write},
	{NULL, NULL},
};

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nested),	 cmocka_unit_test(test_escape),
		cmocka_unit_test(test_double),	 cmocka_unit_test(test_misuse),
		cmocka_unit_test(test_envelope), cmocka_unit_test(test_alloc_failures),
	};

	unit_fi_dispatch(fi_cases);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
