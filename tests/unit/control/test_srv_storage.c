/*
 * Unit tests of daos_server's storage decisions (src/control/server/
 * srv_storage.c, compiled into this test): the format-needed query (which
 * never mounts) and the explicit dcpm mount, the automatic tmpfs size and
 * the engine's hugepage figures from a fixture's meminfo, and installing
 * daos_nvme.conf, with their error paths.  Mounting a tmpfs needs root.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/common.h"
#include "control/lib/hw/hw.h"
#include "control/lib/storage/storage.h"
#include "control/server/srv_storage.h"
#include "unit_fi.h"

#define GIB (1ULL << 30)

static char tmpdir[64];

static int
setup_tmp(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/srvstgXXXXXX");
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int
teardown_tmp(void **state)
{
	char cmd[256];

	(void)state;
	ctl_hw_use(NULL);
	snprintf(cmd, sizeof(cmd), "umount -q '%s'/* 2>/dev/null; rm -rf '%s'", tmpdir, tmpdir);
	return system(cmd) == -1 ? -1 : 0;
}

static char *
tmp_path(const char *name)
{
	char *p = d_asprintf("%s/%s", tmpdir, name);

	assert_non_null(p);
	return p;
}

static void
put(const char *name, const char *text)
{
	char *p = tmp_path(name);
	FILE *f = fopen(p, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	free(p);
}

/* A hardware fixture in tmpdir/fx whose storage/meminfo is `meminfo` (NULL: none). */
static void
use_fixture(const char *meminfo)
{
	char *p = tmp_path("fx");

	assert_true(mkdir(p, 0755) == 0 || access(p, F_OK) == 0);
	free(p);
	p = tmp_path("fx/storage");
	assert_true(mkdir(p, 0755) == 0 || access(p, F_OK) == 0);
	free(p);
	if (meminfo != NULL) {
		put("fx/storage/meminfo", meminfo);
	} else {
		p = tmp_path("fx/storage/meminfo");
		unlink(p);
		free(p);
	}
	p = tmp_path("fx");
	ctl_hw_use(p);
	free(p);
}

static const char *
meminfo(unsigned long long total_kb, unsigned free_pages, unsigned long long page_kb)
{
	static char buf[512];

	snprintf(buf, sizeof(buf),
		 "MemTotal: %llu kB\nMemFree: 1 kB\nMemAvailable: 1 kB\nHugePages_Total: %u\n"
		 "HugePages_Free: %u\nHugePages_Rsvd: 0\nHugePages_Surp: 0\n"
		 "Hugepagesize: %llu kB\n",
		 total_kb, free_pages, free_pages, page_kb);
	return buf;
}

/* One engine (1 target) on ram SCM at tmpdir/scm and, when `bdev`, a file bdev. */
static struct ctl_server_config *
config(bool bdev, const char *extra)
{
	struct ctl_server_config *cfg = NULL;
	struct d_diags		  dg;
	char			 *text;

	text = d_asprintf("provider: ofi+tcp\n%sengines:\n- targets: 1\n  fabric_iface: lo\n"
			  "  fabric_iface_port: 31416\n  log_file: %s/log\n  storage:\n"
			  "  - class: ram\n    scm_mount: %s/scm\n%s%s%s",
			  extra, tmpdir, tmpdir,
			  bdev ? "  - class: file\n    bdev_size: 1\n    bdev_list: [" : "",
			  bdev ? tmpdir : "", bdev ? "/b/f]\n" : "");
	assert_non_null(text);
	d_diags_init(&dg, "srv_storage");
	assert_int_equal(ctl_server_config_load_string("srv_storage", text, &cfg, &dg), 0);
	if (ctl_server_config_validate(cfg, &dg) != 0)
		d_diags_print(&dg, D_DIAG_ERROR, stderr);
	assert_int_equal(d_diags_count(&dg, D_DIAG_ERROR), 0);
	d_diags_fini(&dg);
	free(text);
	return cfg;
}

static bool
mounted(const char *dir)
{
	struct stat st, pst;
	char	   *parent = d_asprintf("%s/..", dir);
	bool	    rc;

	assert_non_null(parent);
	rc = stat(dir, &st) == 0 && stat(parent, &pst) == 0 && st.st_dev != pst.st_dev;
	free(parent);
	return rc;
}

static void
test_ram_format_needed(void **state)
{
	struct ctl_tier t = {.class = CTL_CLASS_RAM};
	char		why[D_ERRBUF_LEN];
	char	       *mnt = tmp_path("scm");
	char	       *want;

	(void)state;
	t.scm_mount = mnt;
	assert_int_equal(mkdir(mnt, 0755), 0);
	assert_string_equal(srv_scm_format_needed(&t, why, sizeof(why)), "SCM");
	want = d_asprintf("%s is not mounted", mnt);
	assert_string_equal(why, want);
	free(want);
	/* Nothing to mount for ram: the tmpfs is format's business. */
	assert_int_equal(srv_scm_mount(NULL, &t, NULL), 0);
	assert_false(mounted(mnt));

	if (geteuid() != 0) {
		free(mnt);
		skip();
	}
	assert_int_equal(mount("tmpfs", mnt, "tmpfs", 0, "size=1m"), 0);
	assert_string_equal(srv_scm_format_needed(&t, why, sizeof(why)), "SCM");
	assert_non_null(strstr(why, "no superblock in "));
	/* A superblock that does not parse is damaged, not formatted (and not blank). */
	put("scm/superblock", "version: 1\n");
	assert_ptr_equal(srv_scm_format_needed(&t, why, sizeof(why)), SRV_SB_DAMAGED);
	assert_non_null(strstr(why, "the superblock is damaged: "));
	assert_non_null(strstr(why, "/scm/superblock"));
	{
		struct ctl_superblock sb;
		struct d_errbuf	      eb = {{0}};

		assert_int_equal(ctl_superblock_init(&sb, "daos_server", &eb), 0);
		assert_int_equal(ctl_superblock_write(mnt, &sb, &eb), 0);
	}
	assert_null(srv_scm_format_needed(&t, why, sizeof(why)));
	assert_int_equal(umount(mnt), 0);
	t.scm_mount = NULL;
	assert_string_equal(srv_scm_format_needed(&t, why, sizeof(why)), "SCM");
	assert_string_equal(why, "scm_mount is not mounted");
	free(mnt);
}

/* A dcpm tier: the query explains and never mounts; srv_scm_mount tries when it can. */
static void
test_dcpm_query_does_not_mount(void **state)
{
	struct ctl_tier t = {.class = CTL_CLASS_DCPM};
	struct d_errbuf eb = {{0}};
	char	       *mnt = tmp_path("pmem");
	char	       *dev = tmp_path("pmem.img");
	char	       *v[] = {dev};
	char	       *want;
	char		why[D_ERRBUF_LEN];
	unsigned char	magic[] = {0x53, 0xEF};
	FILE	       *f;

	(void)state;
	t.scm_mount = mnt;
	assert_string_equal(srv_scm_format_needed(&t, why, sizeof(why)), "SCM");
	want = d_asprintf("no scm_list device for %s", mnt);
	assert_string_equal(why, want);
	free(want);
	assert_int_equal(srv_scm_mount(NULL, &t, &eb), 0);

	t.scm_list.v = v;
	t.scm_list.n = 1;
	f = fopen(dev, "w");
	assert_non_null(f);
	assert_int_equal(ftruncate(fileno(f), 64 << 10), 0);
	fclose(f);
	assert_string_equal(srv_scm_format_needed(&t, why, sizeof(why)), "SCM");
	want = d_asprintf("%s is not mounted and %s holds no file system", mnt, dev);
	assert_string_equal(why, want);
	free(want);
	assert_int_equal(srv_scm_mount(NULL, &t, &eb), 0);

	/* The ext magic: a file system, but no mount point directory. */
	f = fopen(dev, "r+");
	assert_non_null(f);
	assert_int_equal(fseek(f, 1024 + 0x38, SEEK_SET), 0);
	assert_int_equal(fwrite(magic, 1, 2, f), 2);
	fclose(f);
	assert_string_equal(srv_scm_format_needed(&t, why, sizeof(why)), "SCM");
	want = d_asprintf("filesystem exists on device %s but mount-point path %s does not exist",
			  dev, mnt);
	assert_string_equal(why, want);
	free(want);
	assert_int_equal(srv_scm_mount(NULL, &t, &eb), 0);

	/* Mountable: the query says "not mounted" and leaves it so; the mount is tried. */
	assert_int_equal(mkdir(mnt, 0755), 0);
	assert_string_equal(srv_scm_format_needed(&t, why, sizeof(why)), "SCM");
	want = d_asprintf("%s is not mounted", mnt);
	assert_string_equal(why, want);
	free(want);
	assert_false(mounted(mnt));
	/* The mount is daos_server_helper's (of this build), on the engine of a config file. */
	{
		struct ctl_server_config *cfg = NULL;
		struct d_diags		  dg;
		char			 *path = tmp_path("dcpm.yml");
		char			 *text;

		text = d_asprintf("provider: ofi+tcp\nengines:\n- targets: 1\n  fabric_iface: lo\n"
				  "  fabric_iface_port: 31416\n  storage:\n  - class: dcpm\n"
				  "    scm_mount: %s\n    scm_list: [%s]\n",
				  mnt, dev);
		f = fopen(path, "w");
		assert_non_null(f);
		fputs(text, f);
		fclose(f);
		d_diags_init(&dg, path);
		assert_int_equal(ctl_server_config_load(path, &cfg, &dg), 0);
		d_diags_fini(&dg);
		assert_int_equal(srv_scm_mount(cfg, &cfg->engines[0].storage[0], &eb), -DER_INVAL);
		want = d_asprintf("PMem device %s is not a block device", dev);
		assert_string_equal(eb.msg, want);
		free(want);
		/* No config file behind the configuration: the helper is not asked. */
		D_FREE(cfg->path);
		assert_int_equal(srv_scm_mount(cfg, &t, &eb), -DER_INVAL);
		assert_non_null(strstr(eb.msg, "no configuration file was loaded"));
		ctl_server_config_destroy(cfg);
		free(text);
		free(path);
	}
	assert_false(mounted(mnt));
	free(mnt);
	free(dev);
}

static void
test_ramdisk_gib(void **state)
{
	struct ctl_server_config *cfg = config(true, "nr_hugepages: 2\nsystem_ram_reserved: 1\n");
	struct d_errbuf		  eb = {{0}};
	uint64_t		  gib = 0;
	char			 *want;

	(void)state;
	/* 64 TiB, 1 GiB pages: 64 TiB - (2 hugepages + 1 GiB reserved + 1 GiB engine) */
	use_fixture(meminfo(64ULL << 30, 5, 1 << 20));
	assert_int_equal(srv_ramdisk_gib(cfg, &cfg->engines[0], &gib, &eb), 0);
	assert_int_equal(gib, 64 * 1024 - 4);

	/* 6 GiB: 2 GiB left, below the 4 GiB minimum. */
	use_fixture(meminfo(6ULL << 20, 5, 1 << 20));
	assert_int_equal(srv_ramdisk_gib(cfg, &cfg->engines[0], &gib, &eb), -DER_NOSPACE);
	assert_non_null(strstr(eb.msg, "is 2048 MiB, below the minimum of 4 GiB"));

	/* 3 GiB: less than the reservations. */
	use_fixture(meminfo(3ULL << 20, 5, 1 << 20));
	assert_int_equal(srv_ramdisk_gib(cfg, &cfg->engines[0], &gib, &eb), -DER_NOSPACE);
	assert_non_null(strstr(eb.msg, "cannot size the tmpfs for "));
	assert_non_null(strstr(eb.msg, "insufficient ram"));

	/* No meminfo in the fixture: named, never the machine's. */
	use_fixture(NULL);
	assert_int_equal(srv_ramdisk_gib(cfg, &cfg->engines[0], &gib, &eb), -DER_NONEXIST);
	want = d_asprintf("cannot size the tmpfs for %s/scm: cannot read %s/fx/storage/meminfo: "
			  "No such file or directory; set scm_size",
			  tmpdir, tmpdir);
	assert_string_equal(eb.msg, want);
	free(want);

	/* scm_size needs no memory figures. */
	cfg->engines[0].storage[0].scm_size = 16;
	assert_int_equal(srv_ramdisk_gib(cfg, &cfg->engines[0], &gib, &eb), 0);
	assert_int_equal(gib, 16);
	ctl_server_config_destroy(cfg);
}

static void
test_engine_mem_sizes(void **state)
{
	struct ctl_server_config *cfg = config(true, "nr_hugepages: 2\n");
	struct d_errbuf		  eb = {{0}};
	int64_t			  mem = -1, hp = -1;

	(void)state;
	use_fixture(meminfo(64ULL << 30, 5, 1 << 20));
	assert_int_equal(srv_engine_mem_sizes(cfg, 0, &mem, &hp, &eb), 0);
	assert_int_equal(mem, 2048);
	assert_int_equal(hp, 1024);
	/* Fewer free than configured: no matter, engines allocate no hugepages. */
	use_fixture(meminfo(64ULL << 30, 1, 1 << 20));
	assert_int_equal(srv_engine_mem_sizes(cfg, 0, &mem, &hp, &eb), 0);
	assert_int_equal(mem, 2048);
	use_fixture(NULL);
	assert_int_equal(srv_engine_mem_sizes(cfg, 0, &mem, &hp, &eb), -DER_NONEXIST);
	assert_non_null(strstr(eb.msg, "/fx/storage/meminfo: No such file or directory"));
	ctl_server_config_destroy(cfg);

	/* Without bdevs: 0/0 and no meminfo needed. */
	cfg = config(false, "");
	assert_int_equal(srv_engine_mem_sizes(cfg, 0, &mem, &hp, &eb), 0);
	assert_int_equal(mem, 0);
	assert_int_equal(hp, 0);
	ctl_server_config_destroy(cfg);
}

static void
test_nvme_conf_install(void **state)
{
	struct ctl_server_config *cfg = config(true, "");
	struct ctl_nvme_conf	  conf = {0};
	struct d_errbuf		  eb = {{0}};
	char			 *mnt = tmp_path("scm");
	char			 *path = NULL, *want;

	(void)state;
	/* The mount point does not exist: nothing written, the error names it. */
	assert_int_not_equal(srv_nvme_conf_install(cfg, 0, "wolf", &path, &eb), 0);
	assert_null(path);
	assert_non_null(strstr(eb.msg, mnt));

	assert_int_equal(mkdir(mnt, 0755), 0);
	assert_int_equal(srv_nvme_conf_install(cfg, 0, "wolf", &path, &eb), 0);
	want = d_asprintf("%s/daos_nvme.conf", mnt);
	assert_string_equal(path, want);
	assert_int_equal(access(want, F_OK), 0);
	assert_int_equal(ctl_nvme_conf_read(mnt, &conf, &eb), 0);
	assert_int_equal(conf.ndevs, 1);
	ctl_nvme_conf_fini(&conf);
	assert_int_equal(unlink(want), 0);
	assert_int_equal(srv_nvme_conf_install(cfg, 0, "wolf", NULL, &eb), 0);
	assert_int_equal(access(want, F_OK), 0);
	free(want);
	free(path);
	free(mnt);
	ctl_server_config_destroy(cfg);
}

/*
 * Child of test_nvme_conf_install_oom: 0 done, 10 -DER_NOMEM with a message,
 * else 20.  The configuration is built by hand: D_FI_ALLOC_FAIL counts every
 * allocation from the first, and loading one would take the failures.
 */
static int
install_child(void)
{
	char	       *mnt = getenv("SRV_STORAGE_MNT");
	char	       *bdev[] = {getenv("SRV_STORAGE_BDEV")};
	struct ctl_tier tiers[2] = {
		{.class = CTL_CLASS_RAM, .scm_mount = mnt},
		{.class = CTL_CLASS_FILE, .bdev_list = {bdev, 1}, .bdev_size = 1},
	};
	struct ctl_engine	 e = {.targets = 1, .storage = tiers, .nstorage = 2};
	struct ctl_server_config cfg = {.engines = &e, .nengines = 1};
	struct d_errbuf		 eb = {{0}};
	char			*path = NULL;
	int			 rc;

	rc = srv_nvme_conf_install(&cfg, 0, "wolf", &path, &eb);
	free(path);
	if (rc == 0)
		return 0;
	return rc == -DER_NOMEM && eb.msg[0] != '\0' ? 10 : 20;
}

/* Fail the Nth allocation until the install succeeds: every failure is -DER_NOMEM. */
static void
test_nvme_conf_install_oom(void **state)
{
	char *mnt = tmp_path("scm");
	char *bdev = tmp_path("b/f");
	int   n, st = -1;

	(void)state;
	assert_int_equal(mkdir(mnt, 0755), 0);
	setenv("SRV_STORAGE_MNT", mnt, 1);
	setenv("SRV_STORAGE_BDEV", bdev, 1);
	for (n = 1; n < 200; n++) {
		st = unit_fi_run("install", n);
		assert_true(st == 0 || st == 10);
		if (st == 0)
			break;
	}
	assert_int_equal(st, 0);
	assert_true(n > 2); /* the injection did reach several allocations */
	free(mnt);
	free(bdev);
}

int
main(void)
{
	static const struct unit_fi_case cases[] = {
		{"install", install_child},
		{NULL, NULL},
	};
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ram_format_needed, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_dcpm_query_does_not_mount, setup_tmp,
						teardown_tmp),
		cmocka_unit_test_setup_teardown(test_ramdisk_gib, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_engine_mem_sizes, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_nvme_conf_install, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_nvme_conf_install_oom, setup_tmp,
						teardown_tmp),
	};

	unit_fi_dispatch(cases);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
