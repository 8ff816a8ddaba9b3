/*
 * Sizing derived from a server configuration: minimum hugepages and the
 * hugepage count daos_server settles on, and the tmpfs size of ram SCM
 * tiers, with the inputs a host would report.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include <cmocka.h>

#include "control/lib/config/config.h"

#define GIB (1ULL << 30)
#define MIB (1ULL << 20)

static const char *
engine(const char *targets, const char *port, const char *bdev)
{
	static char buf[4][512];
	static int  n;
	char	   *b = buf[n++ % 4];

	snprintf(b, sizeof(buf[0]),
		 "- targets: %s\n  fabric_iface: lo\n  fabric_iface_port: %s\n  log_file: /l%s\n"
		 "  storage:\n  - class: ram\n    scm_mount: /m%s\n%s",
		 targets, port, port, port, bdev);
	return b;
}

static struct ctl_server_config *
load(const char *text)
{
	struct ctl_server_config *cfg = NULL;
	struct d_diags		  dg;

	d_diags_init(&dg, "derived");
	assert_int_equal(ctl_server_config_load_string("derived", text, &cfg, &dg), 0);
	if (ctl_server_config_validate(cfg, &dg) != 0)
		d_diags_print(&dg, D_DIAG_ERROR, stderr);
	assert_int_equal(d_diags_count(&dg, D_DIAG_ERROR), 0);
	d_diags_fini(&dg);
	return cfg;
}

static char *
two(const char *t, const char *b0, const char *b1, const char *extra)
{
	return d_asprintf("provider: ofi+tcp\n%sengines:\n%s%s", extra, engine(t, "1", b0),
			  engine(t, "2", b1));
}

#define FILEB(f) "  - class: file\n    bdev_list: [" f "]\n    bdev_size: 4\n"

static void
test_min_hugepages(void **state)
{
	struct ctl_server_config *cfg;
	struct d_errbuf		  eb;
	uint64_t		  n;
	char			 *y;

	(void)state;
	/* 2 engines x 16 targets with bdevs, 2 MiB pages: 32 GiB / 2 MiB */
	y = two("16", FILEB("/a"), FILEB("/b"), "");
	cfg = load(y);
	assert_int_equal(ctl_min_hugepages(cfg, 2048, &n, &eb), 0);
	assert_int_equal(n, 16384);
	assert_int_equal(ctl_min_hugepages(cfg, 1048576, &n, &eb), 0);
	assert_int_equal(n, 32);
	assert_int_equal(ctl_min_hugepages(cfg, 0, &n, &eb), -DER_INVAL);
	assert_non_null(strstr(eb.msg, "invalid system hugepage size"));
	ctl_server_config_destroy(cfg);
	free(y);

	/* a 1-target engine counts as 2 */
	y = d_asprintf("provider: ofi+tcp\nengines:\n%s", engine("1", "1", FILEB("/a")));
	cfg = load(y);
	assert_int_equal(ctl_min_hugepages(cfg, 2048, &n, &eb), 0);
	assert_int_equal(n, 1024);
	ctl_server_config_destroy(cfg);
	free(y);

	/* no bdevs: nothing needed */
	y = two("8", "", "", "");
	cfg = load(y);
	assert_int_equal(ctl_min_hugepages(cfg, 2048, &n, &eb), 0);
	assert_int_equal(n, 0);
	ctl_server_config_destroy(cfg);
	free(y);

	/* MD-on-SSD adds one system xstream per engine */
	cfg = load("provider: ofi+tcp\ncontrol_metadata:\n  path: /var/daos\nengines:\n"
		   "- targets: 4\n  fabric_iface: lo\n  fabric_iface_port: 1\n  log_file: /l\n"
		   "  storage:\n  - class: ram\n    scm_mount: /m\n  - class: nvme\n"
		   "    bdev_list: [\"0000:81:00.0\"]\n    bdev_roles: [wal, meta, data]\n");
	assert_int_equal(ctl_min_hugepages(cfg, 2048, &n, &eb), 0);
	assert_int_equal(n, 5 * 512);
	ctl_server_config_destroy(cfg);
}

static void
test_set_nr_hugepages(void **state)
{
	struct ctl_server_config *cfg;
	struct d_diags		  dg;
	char			 *y;

	(void)state;
	d_diags_init(&dg, "hp");
	/* 0 becomes the minimum */
	y = two("16", FILEB("/a"), FILEB("/b"), "");
	cfg = load(y);
	assert_int_equal(ctl_server_set_nr_hugepages(cfg, 2048, &dg), 0);
	assert_int_equal(cfg->nr_hugepages, 16384);
	ctl_server_config_destroy(cfg);
	free(y);

	/* below the minimum: kept, with a notice */
	y = two("16", FILEB("/a"), FILEB("/b"), "nr_hugepages: 100\n");
	cfg = load(y);
	assert_int_equal(ctl_server_set_nr_hugepages(cfg, 2048, &dg), 0);
	assert_int_equal(cfg->nr_hugepages, 100);
	assert_non_null(strstr(dg.v[dg.n - 1].msg, "is less than recommended 16384"));
	ctl_server_config_destroy(cfg);
	free(y);

	/* no bdev targets: at least 128 for NVMe discovery */
	y = two("8", "", "", "");
	cfg = load(y);
	assert_int_equal(ctl_server_set_nr_hugepages(cfg, 2048, &dg), 0);
	assert_int_equal(cfg->nr_hugepages, CTL_SCAN_MIN_HUGEPAGES);
	ctl_server_config_destroy(cfg);
	free(y);

	/* disabled hugepages with file bdevs: allowed, experimental notice */
	y = two("8", FILEB("/a"), FILEB("/b"), "disable_hugepages: true\n");
	cfg = load(y);
	assert_int_equal(ctl_server_set_nr_hugepages(cfg, 2048, &dg), 0);
	assert_int_equal(cfg->nr_hugepages, 0);
	assert_non_null(strstr(dg.v[dg.n - 1].msg, "experimental"));
	cfg->nr_hugepages = 8;
	assert_int_equal(ctl_server_set_nr_hugepages(cfg, 2048, &dg), -DER_INVAL);
	ctl_server_config_destroy(cfg);
	free(y);
	d_diags_fini(&dg);
}

static void
test_calc_ramdisk(void **state)
{
	struct d_errbuf eb;
	uint64_t	sz;

	(void)state;
	/* (128 GiB - 16 GiB huge - 64 GiB sys - 2 x max(16 x 128 MiB, 1 GiB)) / 2 */
	assert_int_equal(ctl_calc_ramdisk_size(128 * GIB, 16 * GIB, 64 * GIB, 16, 2, &sz, &eb), 0);
	assert_int_equal(sz, (128 * GIB - 16 * GIB - 64 * GIB - 2 * 2 * GIB) / 2);
	/* few targets: the 1 GiB engine minimum applies */
	assert_int_equal(ctl_calc_ramdisk_size(16 * GIB, 0, 4 * GIB, 1, 1, &sz, &eb), 0);
	assert_int_equal(sz, 11 * GIB);
	assert_int_equal(ctl_calc_ramdisk_size(0, 0, 0, 1, 1, &sz, &eb), -DER_INVAL);
	assert_string_equal(eb.msg, "requires nonzero total mem");
	assert_int_equal(ctl_calc_ramdisk_size(GIB, 0, 0, 0, 1, &sz, &eb), -DER_INVAL);
	assert_string_equal(eb.msg, "requires positive nonzero nr engine targets");
	assert_int_equal(ctl_calc_ramdisk_size(GIB, 0, 0, 1, 0, &sz, &eb), -DER_INVAL);
	assert_string_equal(eb.msg, "requires positive nonzero nr engines");
	assert_int_equal(ctl_calc_ramdisk_size(8 * GIB, 0, 64 * GIB, 1, 1, &sz, &eb), -DER_NOSPACE);
	assert_non_null(strstr(eb.msg, "insufficient ram to meet minimum requirements"));
}

static void
test_set_ramdisk_size(void **state)
{
	struct ctl_server_config *cfg;
	struct d_diags		  dg;
	char			 *y;

	(void)state;
	d_diags_init(&dg, "rd");
	/* auto-size: 64 GiB RAM, 8 GiB reserved, 2 engines of 8 targets, no hugepages */
	y = two("8", "", "", "system_ram_reserved: 8\n");
	cfg = load(y);
	assert_int_equal(ctl_server_set_ramdisk_size(cfg, 64 * GIB / 1024, 2048, &dg), 0);
	assert_int_equal(cfg->engines[0].storage[0].scm_size, (64 - 8 - 2) / 2);
	assert_int_equal(cfg->engines[1].storage[0].scm_size, 27);
	/* a configured size above the maximum */
	cfg->engines[1].storage[0].scm_size = 40;
	assert_int_equal(ctl_server_set_ramdisk_size(cfg, 64 * GIB / 1024, 2048, &dg), -DER_INVAL);
	assert_non_null(strstr(dg.v[dg.n - 1].msg,
			       "configured scm tmpfs size 40 GiB is larger than "
			       "the maximum (27 GiB) that total system memory "
			       "(RAM) will allow"));
	/* too little memory for the 4 GiB minimum */
	assert_int_equal(ctl_server_set_ramdisk_size(cfg, 16 * GIB / 1024, 2048, &dg),
			 -DER_NOSPACE);
	assert_non_null(strstr(dg.v[dg.n - 1].msg, "Total memory (RAM) insufficient for configured "
						   "4.0 GiB ram-disk size"));
	ctl_server_config_destroy(cfg);
	free(y);
	d_diags_fini(&dg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_min_hugepages),
		cmocka_unit_test(test_set_nr_hugepages),
		cmocka_unit_test(test_calc_ramdisk),
		cmocka_unit_test(test_set_ramdisk_size),
	};

	return cmocka_run_group_tests_name("config_derived", tests, NULL, NULL);
}
