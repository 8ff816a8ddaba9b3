/*
 * Golden tests of storage rendering on the wolf fixture (the deployment
 * guide's host): the summary table of `dmg storage scan`, the verbose and
 * --nvme-health layouts (compared with the files in tests/system/golden/storage),
 * summary strings, and the JSON field names.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/json.h"
#include "control/lib/hw/hw.h"
#include "control/lib/render/render.h"

static char src[1024];

static struct ctl_storage_scan *
scan_fixture(const char *name)
{
	struct ctl_storage_scan *s = NULL;
	struct d_errbuf		 eb = {{0}};
	char			 path[2048];

	snprintf(path, sizeof(path), "%s/tests/fixtures/%s", src, name);
	ctl_hw_use(path);
	assert_int_equal(ctl_storage_scan(CTL_SCAN_ALL, &s, &eb), 0);
	return s;
}

static char *
golden(const char *name)
{
	char  path[2048];
	char *buf;
	long  n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/tests/system/golden/storage/%s", src, name);
	f = fopen(path, "r");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = calloc(1, (size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	return buf;
}

typedef void (*print_fn)(FILE *, const struct ctl_storage_group *, int);

static char *
render(print_fn fn, const struct ctl_storage_group *g, int n)
{
	char  *buf = NULL;
	size_t len = 0;
	FILE  *f = open_memstream(&buf, &len);

	assert_non_null(f);
	fn(f, g, n);
	fclose(f);
	return buf;
}

static void
test_summary(void **state)
{
	struct ctl_storage_scan *wolf = scan_fixture("hosts/wolf");
	struct ctl_storage_scan *local = scan_fixture("hosts/local");
	struct ctl_storage_scan *nr = scan_fixture("states/pmem-noregions");
	struct ctl_storage_group g[] = {{"wolf-[71-72]", wolf}, {"vm1", local}, {"wolf-9", nr}};
	char			*out;

	(void)state;
	out = render(ctl_storage_print_summary, g, 1);
	/* The guide's `dmg storage scan`, with upstream's trailing cell padding. */
	assert_string_equal(out, "Hosts        SCM Total             NVMe Total             \n"
				 "-----        ---------             ----------             \n"
				 "wolf-[71-72] 6.4 TB (2 namespaces) 3.1 TB (3 controllers) \n");
	free(out);
	out = render(ctl_storage_print_summary, g, 3);
	assert_non_null(
		strstr(out, "vm1          0 B (0 modules)       0 B (0 controllers)    \n"));
	assert_non_null(
		strstr(out, "wolf-9       5.9 TiB (12 modules)  0 B (0 controllers)    \n"));
	free(out);
	out = render(ctl_storage_print_summary, g, 0);
	assert_null(out == NULL ? NULL : (out[0] == '\0' ? NULL : out));
	free(out);
	ctl_storage_scan_free(wolf);
	ctl_storage_scan_free(local);
	ctl_storage_scan_free(nr);
}

static void
test_verbose_and_health(void **state)
{
	static const char *hosts[] = {"wolf", "asym", "local"};
	char		   name[64];
	size_t		   i;

	(void)state;
	for (i = 0; i < 3; i++) {
		char			 fx[64];
		struct ctl_storage_scan *s;
		struct ctl_storage_group g;
		char			*out, *exp;

		snprintf(fx, sizeof(fx), "hosts/%s", hosts[i]);
		s = scan_fixture(fx);
		g.hosts = hosts[i];
		g.scan = s;
		out = render(ctl_storage_print_verbose, &g, 1);
		snprintf(name, sizeof(name), "%s-scan.txt", hosts[i]);
		exp = golden(name);
		assert_string_equal(out, exp);
		free(out);
		free(exp);
		out = render(ctl_storage_print_health, &g, 1);
		snprintf(name, sizeof(name), "%s-health.txt", hosts[i]);
		exp = golden(name);
		assert_string_equal(out, exp);
		free(out);
		free(exp);
		ctl_storage_scan_free(s);
	}
}

static void
test_health_timestamp(void **state)
{
	struct ctl_nvme_health h = {.timestamp = 86400,
				    .temperature = 300,
				    .bio_read_errs = 2,
				    .warn_temp_time = 90,
				    .crit_temp_time = 1,
				    .critical_warning = CTL_NVME_WARN_SPARE};
	struct ctl_nvme_ctrlr  c = {
		 .pci_addr = "0000:01:00.0", .model = "M", .fw_rev = "F", .health = &h};
	struct ctl_storage_scan	 s = {.ctrlrs = &c, .nr_ctrlrs = 1};
	struct ctl_storage_group g = {"h", &s};
	char			*out;

	(void)state;
	setenv("TZ", "UTC", 1);
	out = render(ctl_storage_print_health, &g, 1);
	assert_non_null(strstr(out, "    Timestamp:1970-01-02T00:00:00.000+00:00\n"));
	assert_non_null(strstr(out, "    Temperature:300K(26.85C)\n"));
	assert_non_null(strstr(out, "    Temperature Warning Duration:1h30m0s\n"));
	assert_non_null(strstr(out, "    Temperature Critical Duration:1m0s\n"));
	assert_non_null(strstr(out, "    Read Errors:2\n"));
	assert_non_null(strstr(out, "    Available Spare: WARNING\n"));
	assert_non_null(strstr(out, "    Max Speed: 0 T/s\n"));
	assert_null(strstr(out, "Intel Vendor"));
	free(out);
}

static void
test_json(void **state)
{
	struct ctl_storage_scan *s = scan_fixture("hosts/wolf");
	struct d_json		*w = d_json_create();
	const char		*t;
	static const char	*keys[] = {"\"nvme_devices\": [",
					   "\"scm_modules\": [",
					   "\"scm_namespaces\": [",
					   "\"scm_mount_points\": []",
					   "\"smd_info\": null",
					   "\"reboot_required\": false",
					   "\"mem_info\": {",
					   "\"hugepage_size_kb\": 2048",
					   "\"pci_addr\": \"0000:81:00.0\"",
					   "\"fw_rev\": \"E2010325\"",
					   "\"socket_id\": 1",
					   "\"power_on_hours\": 10402",
					   "\"nand_bytes_written\": 222897",
					   "\"blockdev\": \"pmem1\"",
					   "\"numa_node\": 1",
					   "\"size\": 3186748293120",
					   "\"PhysicalID\": 4096",
					   "\"Capacity\": 539555266560",
					   "\"namespaces\": [",
					   "\"size\": 1600321314816"};
	size_t			 i;

	(void)state;
	assert_non_null(w);
	ctl_storage_json_host(w, NULL, s);
	assert_int_equal(d_json_finish(w), 0);
	t = d_json_text(w);
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (strstr(t, keys[i]) == NULL)
			fail_msg("missing %s in %s", keys[i], t);
	}
	d_json_destroy(w);
	ctl_storage_scan_free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_summary),
		cmocka_unit_test(test_verbose_and_health),
		cmocka_unit_test(test_health_timestamp),
		cmocka_unit_test(test_json),
	};
	const char *s = getenv("DAOS_SOURCE_DIR");

	snprintf(src, sizeof(src), "%s", s != NULL ? s : ".");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
