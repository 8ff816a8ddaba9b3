/*
 * Unit tests of storage discovery: NVMe log page decoders, /proc/meminfo and
 * fixture parsers (with their error messages), and scans of the storage
 * fixtures under tests/fixtures (wolf, asym, local).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "control/lib/hw/hw.h"
#include "control/lib/hw/hw_internal.h"

static char fixtures[1024];

static void
use_fixture(const char *name)
{
	char path[2048];

	snprintf(path, sizeof(path), "%s/%s", fixtures, name);
	ctl_hw_use(path);
}

static void
put_le(uint8_t *p, uint64_t v, int n)
{
	int i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void
test_health_decode(void **state)
{
	struct ctl_nvme_health h = {0};
	uint8_t		       page[512] = {0};

	(void)state;
	page[0] = CTL_NVME_WARN_TEMP | CTL_NVME_WARN_READ_ONLY;
	put_le(page + 1, 318, 2);
	page[5] = 7;
	put_le(page + 96, 480, 8);
	put_le(page + 112, 15, 8);
	put_le(page + 128, 10402, 8);
	put_le(page + 144, 13, 8);
	put_le(page + 160, 2, 8);
	put_le(page + 176, 9, 8);
	put_le(page + 192, 5, 4);
	put_le(page + 196, 1, 4);
	assert_int_equal(ctl_nvme_health_decode(page, sizeof(page), &h), 0);
	assert_int_equal(h.temperature, 318);
	assert_int_equal(h.critical_warning, CTL_NVME_WARN_TEMP | CTL_NVME_WARN_READ_ONLY);
	assert_int_equal(h.percentage_used, 7);
	assert_int_equal(h.ctrl_busy_time, 480);
	assert_int_equal(h.power_cycles, 15);
	assert_int_equal(h.power_on_hours, 10402);
	assert_int_equal(h.unsafe_shutdowns, 13);
	assert_int_equal(h.media_errs, 2);
	assert_int_equal(h.err_log_entries, 9);
	assert_int_equal(h.warn_temp_time, 5);
	assert_int_equal(h.crit_temp_time, 1);
	assert_false(h.intel_vendor);
	/* A short buffer is refused. */
	assert_int_equal(ctl_nvme_health_decode(page, 100, &h), -DER_INVAL);
}

static void
intel_entry(uint8_t *e, uint8_t key, uint8_t norm, uint64_t raw)
{
	e[0] = key;
	e[3] = norm;
	put_le(e + 5, raw, 6);
}

static void
test_intel_decode(void **state)
{
	struct ctl_nvme_health h = {0};
	uint8_t		       page[13 * 12] = {0};

	(void)state;
	intel_entry(page + 0, 0xab, 100, 3);
	intel_entry(page + 12, 0xac, 99, 4);
	intel_entry(page + 24, 0xad, 98, 0x0003000200010ULL >> 4); /* min 1, max 2, avg 3 */
	intel_entry(page + 36, 0xea, 0, 0);
	page[36 + 5] = 12; /* throttle percent */
	put_le(page + 36 + 6, 77, 4);
	intel_entry(page + 48, 0xf4, 100, 222897);
	intel_entry(page + 60, 0xf5, 100, 71);
	intel_entry(page + 72, 0xe2, 100, 65535);
	intel_entry(page + 84, 0x42, 1, 1); /* unknown key: ignored */
	ctl_nvme_intel_decode(page, sizeof(page), &h);
	assert_true(h.intel_vendor);
	assert_int_equal(h.program_fail_cnt_norm, 100);
	assert_int_equal(h.program_fail_cnt_raw, 3);
	assert_int_equal(h.erase_fail_cnt_norm, 99);
	assert_int_equal(h.erase_fail_cnt_raw, 4);
	assert_int_equal(h.wear_leveling_cnt_norm, 98);
	assert_int_equal(h.wear_leveling_cnt_min, 1);
	assert_int_equal(h.wear_leveling_cnt_max, 2);
	assert_int_equal(h.wear_leveling_cnt_avg, 3);
	assert_int_equal(h.thermal_throttle_status, 12);
	assert_int_equal(h.thermal_throttle_event_cnt, 77);
	assert_int_equal(h.nand_bytes_written, 222897);
	assert_int_equal(h.host_bytes_written, 71);
	assert_int_equal(h.media_wear_raw, 65535);
}

static void
test_meminfo_parse(void **state)
{
	struct ctl_meminfo mi = {0};
	struct d_errbuf	   eb = {{0}};

	(void)state;
	assert_int_equal(ctl_meminfo_parse("MemTotal:  100 kB\nMemFree: 50 kB\nHugePages_Total: 4\n"
					   "HugePages_Free: 3\nHugepagesize: 2048 kB\nOther: x\n",
					   "mi", &mi, &eb),
			 0);
	assert_int_equal(mi.mem_total_kb, 100);
	assert_int_equal(mi.mem_free_kb, 50);
	assert_int_equal(mi.hugepages_total, 4);
	assert_int_equal(mi.hugepages_free, 3);
	assert_int_equal(mi.hugepage_size_kb, 2048);

	assert_int_equal(ctl_meminfo_parse("MemTotal: 1 kB\nbroken line\n", "f", &mi, &eb),
			 -DER_INVAL);
	assert_non_null(strstr(eb.msg, "f:2:"));
	assert_int_equal(ctl_meminfo_parse("MemTotal: 1 MB\n", "f", &mi, &eb), -DER_INVAL);
	assert_non_null(strstr(eb.msg, "unexpected unit"));
	assert_int_equal(ctl_meminfo_parse("MemTotal: abc kB\n", "f", &mi, &eb), -DER_INVAL);
	assert_non_null(strstr(eb.msg, "expected a number"));
	/* decimal only, as the kernel writes it */
	assert_int_equal(ctl_meminfo_parse("MemTotal: 0x10 kB\n", "f", &mi, &eb), -DER_INVAL);
	assert_int_equal(ctl_meminfo_parse("MemTotal: +5 kB\n", "f", &mi, &eb), -DER_INVAL);
	assert_int_equal(ctl_meminfo_parse("MemFree: 1 kB\n", "f", &mi, &eb), -DER_INVAL);
	assert_non_null(strstr(eb.msg, "no MemTotal"));
	/* Output untouched on error. */
	assert_int_equal(mi.mem_total_kb, 100);
	/* a leading zero is not octal */
	assert_int_equal(
		ctl_meminfo_parse("MemTotal: 010 kB\nHugePages_Total: 007\n", "f", &mi, &eb), 0);
	assert_int_equal(mi.mem_total_kb, 10);
	assert_int_equal(mi.hugepages_total, 7);
}

static void
test_health_file_parse(void **state)
{
	struct ctl_nvme_health h = {0};
	struct d_errbuf	       eb = {{0}};

	(void)state;
	assert_int_equal(
		stg_fx_health_parse("# c\ntemperature = 300\n\npower_cycles=2\n", "h", &h, &eb), 0);
	assert_int_equal(h.temperature, 300);
	assert_int_equal(h.power_cycles, 2);
	assert_false(h.intel_vendor);
	assert_int_equal(stg_fx_health_parse("nand_bytes_written = 5\n", "h", &h, &eb), 0);
	assert_true(h.intel_vendor);

	assert_int_equal(stg_fx_health_parse("temperature = 1\nbogus = 2\n", "h", &h, &eb),
			 -DER_INVAL);
	assert_non_null(strstr(eb.msg, "h:2: unknown key \"bogus\""));
	assert_int_equal(stg_fx_health_parse("critical_warning = 256\n", "h", &h, &eb), -DER_INVAL);
	assert_non_null(strstr(eb.msg, "between 0 and 255"));
	assert_int_equal(stg_fx_health_parse("temperature\n", "h", &h, &eb), -DER_INVAL);
	assert_non_null(strstr(eb.msg, "h:1: expected \"key = value\""));
	assert_int_equal(stg_fx_health_parse("temperature = -1\n", "h", &h, &eb), -DER_INVAL);
	assert_int_equal(stg_fx_health_parse("temperature = 0x12c\n", "h", &h, &eb), -DER_INVAL);
	assert_non_null(strstr(eb.msg, "got \"0x12c\""));
}

static void
test_pci_and_link(void **state)
{
	(void)state;
	assert_true(ctl_pci_addr_valid("0000:81:00.0"));
	assert_true(ctl_pci_addr_valid("0000:da:1f.7"));
	assert_false(ctl_pci_addr_valid("0000:DA:00.0"));
	assert_false(ctl_pci_addr_valid("0000:81:00.8"));
	assert_false(ctl_pci_addr_valid("81:00.0"));
	assert_false(ctl_pci_addr_valid("0000:81:00.00"));
	assert_true(ctl_pci_link_speed_parse("8.0 GT/s PCIe") == 8e9);
	assert_true(ctl_pci_link_speed_parse("2.5 GT/s") == 2.5e9);
	assert_true(ctl_pci_link_speed_parse("Unknown") == 0);
}

static void
test_scan_wolf(void **state)
{
	struct ctl_storage_scan *s = NULL;
	struct d_errbuf		 eb = {{0}};

	(void)state;
	use_fixture("hosts/wolf");
	assert_int_equal(ctl_storage_scan(CTL_SCAN_ALL, &s, &eb), 0);
	assert_int_equal(s->nr_modules, 12);
	assert_int_equal(s->nr_regions, 2);
	assert_int_equal(s->nr_namespaces, 2);
	assert_string_equal(s->namespaces[0].blockdev, "pmem0");
	assert_int_equal(s->namespaces[0].numa_node, 0);
	assert_string_equal(s->namespaces[1].blockdev, "pmem1");
	assert_int_equal(s->namespaces[1].numa_node, 1);
	assert_int_equal(s->namespaces[0].size, 3186748293120ULL);
	assert_string_equal(s->namespaces[0].mode, "fsdax");
	/* Modules sorted by physical id. */
	assert_true(s->modules[0].physical_id < s->modules[11].physical_id);
	assert_int_equal(s->modules[0].capacity, 539555266560ULL);

	assert_int_equal(s->nr_ctrlrs, 3);
	assert_string_equal(s->ctrlrs[0].pci_addr, "0000:81:00.0");
	assert_string_equal(s->ctrlrs[0].model, "INTEL SSDPED1K750GA");
	assert_string_equal(s->ctrlrs[0].fw_rev, "E2010325");
	assert_int_equal(s->ctrlrs[0].socket_id, 0);
	assert_int_equal(ctl_nvme_ctrlr_capacity(&s->ctrlrs[0]), 750156374016ULL);
	assert_string_equal(s->ctrlrs[1].pci_addr, "0000:87:00.0");
	assert_int_equal(ctl_nvme_ctrlr_capacity(&s->ctrlrs[1]), 1600321314816ULL);
	assert_string_equal(s->ctrlrs[2].pci_addr, "0000:da:00.0");
	assert_int_equal(s->ctrlrs[2].socket_id, 1);
	assert_non_null(s->ctrlrs[0].health);
	assert_int_equal(s->ctrlrs[0].health->power_on_hours, 10402);
	assert_int_equal(s->ctrlrs[0].health->unsafe_shutdowns, 13);
	assert_int_equal(s->ctrlrs[0].health->nand_bytes_written, 222897);
	assert_true(s->ctrlrs[0].health->intel_vendor);
	assert_true(s->ctrlrs[0].health->link_max_speed == 8e9);
	assert_int_equal(s->ctrlrs[0].health->link_max_width, 4);
	assert_int_equal(s->ctrlrs[1].health->ctrl_busy_time, 8);
	assert_int_equal(s->mem.hugepage_size_kb, 2048);
	ctl_storage_scan_free(s);

	/* Without CTL_SCAN_HEALTH nothing is read from the health files. */
	assert_int_equal(ctl_storage_scan(CTL_SCAN_NVME, &s, &eb), 0);
	assert_null(s->ctrlrs[0].health);
	assert_int_equal(s->nr_modules, 0);
	ctl_storage_scan_free(s);
	ctl_storage_scan_free(NULL);
}

static void
test_scan_asym_local(void **state)
{
	struct ctl_storage_scan *s = NULL;
	struct d_errbuf		 eb = {{0}};

	(void)state;
	use_fixture("hosts/asym");
	assert_int_equal(ctl_storage_scan(CTL_SCAN_ALL, &s, &eb), 0);
	assert_int_equal(s->nr_namespaces, 1);
	assert_int_equal(s->namespaces[0].numa_node, 0);
	assert_int_equal(s->nr_ctrlrs, 2);
	assert_int_equal(s->ctrlrs[0].socket_id, 1);
	assert_int_equal(s->ctrlrs[1].socket_id, 1);
	assert_non_null(s->ctrlrs[0].health);
	assert_false(s->ctrlrs[0].health->intel_vendor);
	/* A missing health file is a per-controller problem, not a failed scan. */
	assert_null(s->ctrlrs[1].health);
	assert_non_null(strstr(s->ctrlrs[1].info, "0000:d8:00.0/health"));
	ctl_storage_scan_free(s);

	use_fixture("hosts/local");
	assert_int_equal(ctl_storage_scan(CTL_SCAN_ALL, &s, &eb), 0);
	assert_int_equal(s->nr_modules + s->nr_regions + s->nr_namespaces + s->nr_ctrlrs, 0);
	assert_true(s->mem.mem_total_kb > 0);
	ctl_storage_scan_free(s);
}

static void
mkfile(const char *dir, const char *name, const char *text)
{
	char  path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void
test_scan_bad_fixture(void **state)
{
	struct ctl_storage_scan *s = NULL;
	struct d_errbuf		 eb = {{0}};
	char			 root[] = "/tmp/stgfxXXXXXX";
	char			 dir[4096], cmd[8192];

	(void)state;
	assert_non_null(mkdtemp(root));
	ctl_hw_use(root);
	/* No meminfo at all. */
	assert_int_equal(ctl_storage_scan(CTL_SCAN_MEM, &s, &eb), -DER_NONEXIST);
	assert_non_null(strstr(eb.msg, "storage/meminfo"));

	snprintf(dir, sizeof(dir), "%s/storage/nvme/0000:XX:00.0", root);
	snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", dir);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(ctl_storage_scan(CTL_SCAN_NVME, &s, &eb), -DER_INVAL);
	assert_non_null(strstr(eb.msg, "named by PCI address"));

	snprintf(cmd, sizeof(cmd), "mv '%s' '%s/storage/nvme/0000:01:00.0'", dir, root);
	assert_int_equal(system(cmd), 0);
	snprintf(dir, sizeof(dir), "%s/storage/nvme/0000:01:00.0", root);
	assert_int_equal(ctl_storage_scan(CTL_SCAN_NVME, &s, &eb), -DER_NONEXIST);
	assert_non_null(strstr(eb.msg, "0000:01:00.0/model"));
	mkfile(dir, "model", "M\n");
	mkfile(dir, "serial", "S\n");
	mkfile(dir, "firmware_rev", "F\n");
	mkfile(dir, "numa_node", "zero\n");
	assert_int_equal(ctl_storage_scan(CTL_SCAN_NVME, &s, &eb), -DER_INVAL);
	assert_non_null(strstr(eb.msg, "numa_node:1: expected a non-negative integer"));
	mkfile(dir, "numa_node", "0\n");
	mkfile(dir, "namespaces", "1 nvme0n1 100\n2 nvme0n2\n");
	assert_int_equal(ctl_storage_scan(CTL_SCAN_NVME, &s, &eb), -DER_INVAL);
	assert_non_null(strstr(eb.msg, "namespaces:2: expected"));
	mkfile(dir, "namespaces", "1 nvme0n1 100\n2 nvme0n2 50\n");
	mkfile(dir, "health", "temperature = hot\n");
	assert_int_equal(ctl_storage_scan(CTL_SCAN_NVME | CTL_SCAN_HEALTH, &s, &eb), -DER_INVAL);
	assert_non_null(strstr(eb.msg, "health:1: temperature"));
	assert_int_equal(ctl_storage_scan(CTL_SCAN_NVME, &s, &eb), 0);
	assert_int_equal(ctl_nvme_ctrlr_capacity(&s->ctrlrs[0]), 150);
	ctl_storage_scan_free(s);

	snprintf(dir, sizeof(dir), "%s/storage/pmem/regions/reg0", root);
	snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", dir);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(ctl_storage_scan(CTL_SCAN_SCM, &s, &eb), -DER_INVAL);
	assert_non_null(strstr(eb.msg, "region<N>"));
	snprintf(cmd, sizeof(cmd), "mv '%s' '%s/storage/pmem/regions/region0'", dir, root);
	assert_int_equal(system(cmd), 0);
	snprintf(dir, sizeof(dir), "%s/storage/pmem/regions/region0", root);
	mkfile(dir, "numa_node", "0\n");
	mkfile(dir, "size", "10\n");
	mkfile(dir, "available_size", "11\n");
	assert_int_equal(ctl_storage_scan(CTL_SCAN_SCM, &s, &eb), -DER_INVAL);
	assert_non_null(strstr(eb.msg, "exceeds the region size"));

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	assert_int_equal(system(cmd), 0);
}

/* The operations of both backends that are not scans: places, host name, meminfo. */
static void
test_backend_ops(void **state)
{
	const struct ctl_hw_ops *hw;
	struct ctl_meminfo	 mi = {0};
	struct d_errbuf		 eb = {{0}};
	char			 root[2048], want[4096], buf[4096], host[256], name[256];

	(void)state;
	snprintf(root, sizeof(root), "%s/hosts/wolf", fixtures);
	ctl_hw_use(root);
	hw = ctl_hw();
	assert_string_equal(hw->name, "fixture");
	snprintf(want, sizeof(want), "%s/storage/dev/pmem0", root);
	assert_string_equal(hw->path(CTL_HW_DEV, "pmem0", buf, sizeof(buf)), want);
	snprintf(want, sizeof(want), "%s/storage/run", root);
	assert_string_equal(hw->path(CTL_HW_RUN, NULL, buf, sizeof(buf)), want);
	snprintf(want, sizeof(want), "%s/sys/class/net", root);
	assert_string_equal(hw->path(CTL_HW_SYS, "class/net", buf, sizeof(buf)), want);
	hw->host_name(name, sizeof(name));
	assert_string_equal(name, "wolf");
	assert_int_equal(hw->meminfo(&mi, &eb), 0);
	assert_int_equal(mi.mem_total_kb, 196608000);

	ctl_hw_use("");
	hw = ctl_hw();
	assert_string_equal(hw->name, "machine");
	assert_string_equal(hw->path(CTL_HW_DEV, "nvme0n1", buf, sizeof(buf)), "/dev/nvme0n1");
	assert_string_equal(hw->path(CTL_HW_RUN, NULL, buf, sizeof(buf)), "/run/daos_server");
	assert_string_equal(hw->path(CTL_HW_SYS, NULL, buf, sizeof(buf)), "/sys");
	hw->host_name(name, sizeof(name));
	assert_int_equal(gethostname(host, sizeof(host)), 0);
	assert_string_equal(name, host);
	assert_int_equal(hw->meminfo(&mi, &eb), 0);
	assert_true(mi.mem_total_kb > 0 && mi.mem_total_kb != 196608000);
}

static void
test_scan_real_machine(void **state)
{
	struct ctl_storage_scan *s = NULL;
	struct d_errbuf		 eb = {{0}};
	struct stat		 st;

	(void)state;
	ctl_hw_use(NULL);
	assert_int_equal(ctl_storage_scan(CTL_SCAN_ALL, &s, &eb), 0);
	assert_true(s->mem.mem_total_kb > 0);
	/* Whatever the machine has must agree with sysfs. */
	if (stat("/sys/class/nvme", &st) != 0)
		assert_int_equal(s->nr_ctrlrs, 0);
	if (stat("/sys/bus/nd/devices", &st) != 0)
		assert_int_equal(s->nr_modules + s->nr_namespaces, 0);
	ctl_storage_scan_free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_health_decode),	cmocka_unit_test(test_intel_decode),
		cmocka_unit_test(test_meminfo_parse),	cmocka_unit_test(test_health_file_parse),
		cmocka_unit_test(test_pci_and_link),	cmocka_unit_test(test_scan_wolf),
		cmocka_unit_test(test_scan_asym_local), cmocka_unit_test(test_scan_bad_fixture),
		cmocka_unit_test(test_backend_ops),	cmocka_unit_test(test_scan_real_machine),
	};
	const char *src = getenv("DAOS_SOURCE_DIR");

	snprintf(fixtures, sizeof(fixtures), "%s/tests/fixtures", src != NULL ? src : ".");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
