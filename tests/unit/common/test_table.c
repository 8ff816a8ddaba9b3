/*
 * Golden tests for the table and banner layout: the tables of the
 * reference (storage scan, system query, format summary, network scan)
 * byte for byte, with the trailing padding tabwriter produces.
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
#include "common/table.h"

/* Render into a string with open_memstream. */
static char *
render(const struct d_table *t, int indent)
{
	char  *buf = NULL;
	size_t len = 0;
	FILE  *f = open_memstream(&buf, &len);

	assert_non_null(f);
	d_table_print(t, f, indent);
	fclose(f);
	return buf;
}

static void
test_storage_scan(void **state)
{
	const char *const titles[] = {"Hosts", "SCM Total", "NVMe Total"};
	struct d_table	 *t = d_table_create(3, titles);
	char		 *out;

	(void)state;
	assert_non_null(t);
	assert_int_equal(
		d_table_add(t, "host[1-2]", "3.0 TB (2 namespaces)", "8.0 TB (4 controllers)"), 0);
	out = render(t, 0);
	assert_string_equal(out, "Hosts     SCM Total             NVMe Total             \n"
				 "-----     ---------             ----------             \n"
				 "host[1-2] 3.0 TB (2 namespaces) 8.0 TB (4 controllers) \n");
	free(out);
	d_table_destroy(t);
}

static void
test_system_query(void **state)
{
	const char *const titles[] = {"Rank", "State"};
	struct d_table	 *t = d_table_create(2, titles);
	char		 *out;

	(void)state;
	assert_int_equal(d_table_add(t, "[0-1,5-6]", "Joined"), 0);
	assert_int_equal(d_table_add(t, "[2,4]", "Stopped"), 0);
	assert_int_equal(d_table_add(t, "3", "Excluded"), 0);
	assert_int_equal(d_table_nrows(t), 3);
	out = render(t, 0);
	assert_string_equal(out, "Rank      State    \n"
				 "----      -----    \n"
				 "[0-1,5-6] Joined   \n"
				 "[2,4]     Stopped  \n"
				 "3         Excluded \n");
	free(out);
	d_table_destroy(t);
}

static void
test_format_summary(void **state)
{
	const char *const titles[] = {"Hosts", "SCM Devices", "NVMe Devices"};
	const char *const row[] = {"host[1-2]", "2", "2"};
	struct d_table	 *t = d_table_create(3, titles);
	char		 *out;

	(void)state;
	assert_int_equal(d_table_add_row(t, row), 0);
	out = render(t, 2);
	assert_string_equal(out, "  Hosts     SCM Devices NVMe Devices \n"
				 "  -----     ----------- ------------ \n"
				 "  host[1-2] 2           2            \n");
	free(out);
	d_table_destroy(t);
}

/* The network scan section of the deployment document, banners included. */
static void
test_network_scan(void **state)
{
	const char *const titles[] = {"Provider", "Interfaces"};
	struct d_table	 *t = d_table_create(2, titles);
	char		 *buf = NULL;
	size_t		  len = 0;
	FILE		 *f = open_memstream(&buf, &len);

	(void)state;
	assert_int_equal(d_table_add(t, "ofi+sockets", "ib0, eth0"), 0);
	d_banner_print(f, 0, "wolf-29");
	fputc('\n', f);
	d_banner_print(f, 4, "NUMA Socket 0");
	fputc('\n', f);
	d_table_print(t, f, 8);
	fclose(f);
	assert_string_equal(buf, "-------\n"
				 "wolf-29\n"
				 "-------\n"
				 "\n"
				 "    -------------\n"
				 "    NUMA Socket 0\n"
				 "    -------------\n"
				 "\n"
				 "        Provider    Interfaces \n"
				 "        --------    ---------- \n"
				 "        ofi+sockets ib0, eth0  \n");
	free(buf);
	d_table_destroy(t);
}

/* NULL cells print "None"; a title wider than its cells sets the width. */
static void
test_none_and_title_width(void **state)
{
	const char *const titles[] = {"NVMe PCI", "Rank"};
	const char *const row[] = {"0000:81:00.0", NULL};
	struct d_table	 *t = d_table_create(2, titles);
	char		 *out;

	(void)state;
	assert_int_equal(d_table_add_row(t, row), 0);
	out = render(t, 0);
	assert_string_equal(out, "NVMe PCI     Rank \n"
				 "--------     ---- \n"
				 "0000:81:00.0 None \n");
	free(out);
	d_table_destroy(t);
}

/* Widths count UTF-8 characters as tabwriter counts runes; empty cells pad. */
static void
test_utf8_and_empty(void **state)
{
	const char *const titles[] = {"A", "B"};
	struct d_table	 *t = d_table_create(2, titles);
	char		 *out;

	(void)state;
	assert_int_equal(d_table_add(t, "\xc3\xa9t\xc3\xa9", ""), 0);
	out = render(t, 0);
	assert_string_equal(out, "A   B \n"
				 "-   - \n"
				 "\xc3\xa9t\xc3\xa9 "
				 "  \n");
	free(out);
	d_table_destroy(t);
}

/* A table without rows still prints its header, as upstream does. */
static void
test_no_rows(void **state)
{
	const char *const titles[] = {"Pool", "Size"};
	struct d_table	 *t = d_table_create(2, titles);
	char		 *out;

	(void)state;
	assert_int_equal(d_table_nrows(t), 0);
	out = render(t, 0);
	assert_string_equal(out, "Pool Size \n---- ---- \n");
	free(out);
	d_table_destroy(t);
}

static void
test_errors(void **state)
{
	const char *const titles[] = {"A"};
	struct d_table	 *t;

	(void)state;
	assert_null(d_table_create(0, titles));
	assert_null(d_table_create(1, NULL));
	assert_int_equal(d_table_add_row(NULL, titles), -DER_INVAL);
	assert_int_equal(d_table_add(NULL, "x"), -DER_INVAL);
	assert_int_equal(d_table_nrows(NULL), 0);
	d_table_destroy(NULL);
	t = d_table_create(1, titles);
	assert_non_null(t);
	d_table_destroy(t);
}

/* Child side of the fault-injection cases: 0 when the failure was reported. */
static int
fi_create(void)
{
	const char *const titles[] = {"A", "B"};
	struct d_table	 *t = d_table_create(2, titles);

	if (t == NULL)
		return 0;
	d_table_destroy(t); /* no leak: sanitizer builds check at exit */
	return 1;
}

/* An allocation failure in add: -DER_NOMEM, the table stays usable. */
static int
fi_add_row(void)
{
	const char *const titles[] = {"A"};
	struct d_table	 *t = d_table_create(1, titles);
	int		  rc;

	if (t == NULL)
		return 1;
	rc = d_table_add(t, "x") == -DER_NOMEM && d_table_nrows(t) == 0 ? 0 : 1;
	d_table_destroy(t);
	return rc;
}

static void
test_alloc_failures(void **state)
{
	(void)state;
	/* create(2 columns) allocates the table, titles, widths, two titles */
	for (int n = 1; n <= 6; n++)
		assert_int_equal(unit_fi_run("create", n), n <= 5 ? 0 : 1);
	/* create(1) makes 4; then the cell array, the row array, the cell copy */
	for (int n = 5; n <= 7; n++)
		assert_int_equal(unit_fi_run("add_row", n), 0);
}

static const struct unit_fi_case fi_cases[] = {
	{"create", fi_create},
	{"add_row", fi_add_row},
	{NULL, NULL},
};

int
main(void)
{
	unit_fi_dispatch(fi_cases);

	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_storage_scan),
		cmocka_unit_test(test_system_query),
		cmocka_unit_test(test_format_summary),
		cmocka_unit_test(test_network_scan),
		cmocka_unit_test(test_none_and_title_width),
		cmocka_unit_test(test_utf8_and_empty),
		cmocka_unit_test(test_no_rows),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_alloc_failures),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
