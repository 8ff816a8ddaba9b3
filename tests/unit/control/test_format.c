/*
 * Unit tests of the storage-format primitives (control/lib/storage): superblock
 * round trip, atomic writes that leave nothing behind on failure, malformed
 * superblocks reported with file:line, mountinfo parsing, real tmpfs
 * mount/unmount/"formatted" detection (root only), sparse bdev files, kdev
 * checks, NVMe resolution and daos_nvme.conf golden JSON on the wolf fixture,
 * mkfs argv and program-runner errors, DAX refusal on a loop device (root).
 * Every mount and loop device is released in teardown even when a test fails.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "control/lib/storage/storage.h"

static char fixtures[1024];
static char tmpdir[256];
static char loopdev[64];

static int
setup_tmp(void **state)
{
	char tmpl[] = "/tmp/fmttestXXXXXX";

	(void)state;
	assert_non_null(mkdtemp(tmpl));
	snprintf(tmpdir, sizeof(tmpdir), "%s", tmpl);
	return 0;
}

/* Detach every mount under tmpdir (deepest first), the loop device, then the tree. */
static int
teardown_tmp(void **state)
{
	char cmd[1024];

	(void)state;
	snprintf(cmd, sizeof(cmd),
		 "grep -o ' %s[^ ]*' /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l",
		 tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "teardown: umount failed\n");
	if (loopdev[0] != '\0') {
		snprintf(cmd, sizeof(cmd), "losetup -d %s", loopdev);
		if (system(cmd) != 0)
			fprintf(stderr, "teardown: cannot detach %s\n", loopdev);
		loopdev[0] = '\0';
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "teardown: cannot remove %s\n", tmpdir);
	ctl_hw_use(NULL);
	return 0;
}

static bool
need_root(void)
{
	if (geteuid() == 0)
		return true;
	fprintf(stderr, "SKIP: this test mounts filesystems and needs root\n");
	skip();
	return false;
}

static char *
slurp(const char *path)
{
	FILE  *f = fopen(path, "r");
	char  *buf;
	size_t n;

	assert_non_null(f);
	buf = calloc(1, 1 << 16);
	assert_non_null(buf);
	n = fread(buf, 1, (1 << 16) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static int
count_entries(const char *dir)
{
	char  cmd[512];
	FILE *p;
	int   n = -1;

	snprintf(cmd, sizeof(cmd), "ls -A '%s' | wc -l", dir);
	p = popen(cmd, "r");
	assert_non_null(p);
	assert_int_equal(fscanf(p, "%d", &n), 1);
	pclose(p);
	return n;
}

/* ---- superblock ---------------------------------------------------------- */

static void
test_superblock_roundtrip(void **state)
{
	struct ctl_superblock a;
	struct ctl_superblock b;
	struct ctl_superblock c;
	struct d_errbuf	      eb = {{0}};
	char		     *text;

	(void)state;
	assert_int_equal(ctl_superblock_init(&a, "daos_server", &eb), 0);
	assert_int_equal(a.version, CTL_SUPERBLOCK_VERSION);
	assert_false(a.has_rank);
	assert_int_equal(strlen(a.uuid), 36);
	assert_int_equal(a.uuid[14], '4'); /* version 4 UUID */
	assert_int_equal(ctl_superblock_init(&c, "daos_server", &eb), 0);
	assert_string_not_equal(a.uuid, c.uuid);

	/* No rank yet. */
	text = ctl_superblock_format(&a);
	assert_non_null(strstr(text, "rank: null\n"));
	assert_int_equal(ctl_superblock_parse("sb", text, strlen(text), &b, &eb), 0);
	assert_memory_equal(&a, &b, sizeof(a));
	free(text);

	/* Every field, with characters that need quoting. */
	a.rank = 7;
	a.has_rank = true;
	a.validrank = true;
	a.incarnation = 42;
	snprintf(a.uri, sizeof(a.uri), "ofi+tcp://10.0.0.1:31416");
	snprintf(a.hostfaultdomain, sizeof(a.hostfaultdomain), "/rack \"1\"\\host: a");
	assert_int_equal(ctl_superblock_write(tmpdir, &a, &eb), 0);
	assert_int_equal(ctl_superblock_read(tmpdir, &b, &eb), 0);
	assert_memory_equal(&a, &b, sizeof(a));
	assert_int_equal(count_entries(tmpdir), 1); /* no temporary left behind */

	/* Rewrite replaces. */
	a.rank = 8;
	assert_int_equal(ctl_superblock_write(tmpdir, &a, &eb), 0);
	assert_int_equal(ctl_superblock_read(tmpdir, &b, &eb), 0);
	assert_int_equal(b.rank, 8);

	assert_int_equal(ctl_superblock_init(&a, "", &eb), -DER_INVAL);
	assert_non_null(strstr(eb.msg, "invalid system name"));
}

static void
test_superblock_missing(void **state)
{
	struct ctl_superblock sb;
	struct d_errbuf	      eb = {{0}};

	(void)state;
	assert_int_equal(ctl_superblock_read(tmpdir, &sb, &eb), -DER_NONEXIST);
	assert_non_null(strstr(eb.msg, "no superblock at"));
	assert_non_null(strstr(eb.msg, tmpdir));
}

static void
test_atomic_write_failure(void **state)
{
	struct ctl_superblock a;
	struct ctl_superblock b;
	struct d_errbuf	      eb = {{0}};
	char		      dir[512];
	char		      path[600];
	char		     *before;
	char		     *after;

	(void)state;
	assert_int_equal(ctl_superblock_init(&a, "daos_server", &eb), 0);
	/* Missing directory: error names it, nothing created. */
	snprintf(dir, sizeof(dir), "%s/nonexistent", tmpdir);
	assert_int_not_equal(ctl_superblock_write(dir, &a, &eb), 0);
	assert_non_null(strstr(eb.msg, dir));
	assert_non_null(strstr(eb.msg, "; check that the directory exists and is writable"));

	/* Read-only directory: the old superblock survives whole, no temporary remains. */
	snprintf(dir, sizeof(dir), "%s/ro", tmpdir);
	assert_int_equal(mkdir(dir, 0755), 0);
	if (geteuid() == 0)
		assert_int_equal(mount("tmpfs", dir, "tmpfs", 0, "size=1m"), 0);
	assert_int_equal(ctl_superblock_write(dir, &a, &eb), 0);
	snprintf(path, sizeof(path), "%s/superblock", dir);
	before = slurp(path);
	if (geteuid() == 0)
		assert_int_equal(mount(NULL, dir, NULL, MS_REMOUNT | MS_RDONLY, NULL), 0);
	else
		assert_int_equal(chmod(dir, 0555), 0);
	a.has_rank = true;
	a.rank = 3;
	eb.msg[0] = '\0';
	assert_int_not_equal(ctl_superblock_write(dir, &a, &eb), 0);
	assert_non_null(strstr(eb.msg, dir));
	assert_non_null(strstr(eb.msg, "; check that the directory exists and is writable"));
	after = slurp(path);
	assert_string_equal(before, after);
	assert_int_equal(count_entries(dir), 1);
	assert_int_equal(ctl_superblock_read(dir, &b, &eb), 0);
	assert_false(b.has_rank);
	free(before);
	free(after);
	if (geteuid() == 0)
		assert_int_equal(umount2(dir, 0), 0);
	else
		assert_int_equal(chmod(dir, 0755), 0);
}

static void
expect_bad_sb(const char *text, const char *msg)
{
	struct ctl_superblock sb;
	struct d_errbuf	      eb = {{0}};

	assert_int_equal(ctl_superblock_parse("/mnt/daos/superblock", text, strlen(text), &sb, &eb),
			 -DER_INVAL);
	if (strstr(eb.msg, msg) == NULL)
		fail_msg("expected \"%s\" in \"%s\"", msg, eb.msg);
}

#define SB_UUID "uuid: 0b3c3ec9-5e6a-4a4b-9c7d-9a0c1d2e3f40\n"

static void
test_superblock_malformed(void **state)
{
	(void)state;
	expect_bad_sb("", "/mnt/daos/superblock:1: expected a mapping");
	expect_bad_sb("- a\n- b\n",
		      "superblock:1: expected a mapping of superblock keys, got a list");
	expect_bad_sb("version: 1\nsystem: x\n", "superblock:1: missing key \"uuid\"");
	expect_bad_sb("version: 1\n" SB_UUID "system: x\nbogus: 1\n",
		      "/mnt/daos/superblock:4: bogus: unknown key");
	expect_bad_sb("version: 2\n" SB_UUID "system: x\n",
		      "superblock:1: version: unsupported superblock version 2");
	expect_bad_sb("version: 1\nuuid: not-a-uuid\nsystem: x\n",
		      "superblock:2: uuid: invalid UUID \"not-a-uuid\"");
	expect_bad_sb("version: 1\n" SB_UUID "system: x\nrank: -1\n", "superblock:4: rank:");
	expect_bad_sb("version: 1\n" SB_UUID "system: x\nrank: 4294967295\n",
		      "superblock:4: rank:");
	expect_bad_sb("version: 1\n" SB_UUID "system: x\nvalidrank: maybe\n",
		      "superblock:4: validrank:");
	expect_bad_sb("version: 1\n" SB_UUID "system: x\nincarnation: [1]\n",
		      "superblock:4: incarnation:");
	expect_bad_sb("version: 1\n" SB_UUID "system: x\nsystem: y\n",
		      "superblock:4: system: duplicate key");
	expect_bad_sb("version: 1\n" SB_UUID "system: [x\n",
		      "/mnt/daos/superblock:4: YAML syntax error");
}

/* ---- mounts ------------------------------------------------------------------ */

static void
test_mountinfo_parse(void **state)
{
	const char *text =
		"22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw\n"
		"30 22 0:40 / /mnt/my\\040scm rw,noatime shared:5 - tmpfs tmpfs rw,size=4194304k\n"
		"31 30 0:41 / /mnt/my\\040scm rw - ext4 /dev/pmem0 rw,dax=always\n";
	struct ctl_mount m;
	struct d_errbuf	 eb = {{0}};

	(void)state;
	assert_int_equal(ctl_mountinfo_find(text, "mi", "/mnt/my scm", &m, &eb), 0);
	assert_string_equal(m.fstype, "ext4"); /* the top of the stack */
	assert_string_equal(m.source, "/dev/pmem0");
	assert_string_equal(m.options, "rw,dax=always");
	assert_int_equal(ctl_mountinfo_find(text, "mi", "/", &m, &eb), 0);
	assert_string_equal(m.source, "/dev/vda1");
	assert_int_equal(ctl_mountinfo_find(text, "mi", "/mnt", &m, &eb), -DER_NONEXIST);
	assert_int_equal(ctl_mountinfo_find("22 1 8:1 / / rw\n", "mi", "/", &m, &eb), -DER_INVAL);
	assert_string_equal(eb.msg, "mi:1: malformed mountinfo line");
}

static void
test_ramdisk_options(void **state)
{
	struct ctl_ramdisk rd = {.size_gib = 16, .numa_node = 1};
	char		  *o;

	(void)state;
	o = ctl_ramdisk_options(&rd, true, true);
	assert_string_equal(o, "mpol=prefer:1,size=16g,huge=always");
	free(o);
	o = ctl_ramdisk_options(&rd, false, true);
	assert_string_equal(o, "size=16g,huge=always");
	free(o);
	o = ctl_ramdisk_options(&rd, true, false);
	assert_string_equal(o, "mpol=prefer:1,size=16g");
	free(o);
	rd.hugepages_disabled = true;
	rd.size_gib = 0;
	o = ctl_ramdisk_options(&rd, true, true);
	assert_string_equal(o, "mpol=prefer:1");
	free(o);
}

static void
test_tmpfs_mount(void **state)
{
	struct ctl_ramdisk    rd = {.size_gib = 1, .numa_node = 0};
	struct ctl_superblock sb, sb2;
	struct ctl_mount      m;
	struct d_errbuf	      eb = {{0}};
	char		      dir[512];

	(void)state;
	if (!need_root())
		return;
	snprintf(dir, sizeof(dir), "%s/a/b/scm", tmpdir);
	assert_int_equal(ctl_scm_ram_mount(dir, &rd, &eb), 0);
	assert_int_equal(ctl_mount_lookup(dir, &m, &eb), 0);
	assert_string_equal(m.fstype, "tmpfs");
	assert_non_null(strstr(m.options, "size=1048576k"));
	if (ctl_kernel_has_thp())
		assert_non_null(strstr(m.options, "huge=always"));

	/* A superblock on the tmpfs reads back. */
	assert_int_equal(ctl_superblock_init(&sb, "daos_server", &eb), 0);
	assert_int_equal(ctl_superblock_write(dir, &sb, &eb), 0);
	assert_int_equal(ctl_superblock_read(dir, &sb2, &eb), 0);
	assert_string_equal(sb2.uuid, sb.uuid);

	/* Second mount refused. */
	assert_int_equal(ctl_scm_ram_mount(dir, &rd, &eb), -DER_EXIST);
	assert_non_null(strstr(eb.msg, "already mounted (tmpfs"));

	assert_int_equal(ctl_scm_unmount(dir, &eb), 0);
	assert_int_equal(ctl_mount_lookup(dir, &m, &eb), -DER_NONEXIST);
	assert_int_equal(ctl_scm_unmount(dir, &eb), 0); /* idempotent */

	/* A mount point that is a file. */
	snprintf(dir, sizeof(dir), "%s/a/file", tmpdir);
	fclose(fopen(dir, "w"));
	snprintf(dir, sizeof(dir), "%s/a/file/scm", tmpdir);
	assert_int_not_equal(ctl_scm_ram_mount(dir, &rd, &eb), 0);
	assert_non_null(strstr(eb.msg, "cannot create directory"));
}

/* ---- dcpm ---------------------------------------------------------------------- */

static void
test_mkfs_argv_and_run(void **state)
{
	const char *argv[CTL_MKFS_ARGV_MAX];
	const char *fail[] = {"sh", "-c", "echo first >&2; echo 'the reason' >&2; exit 3", NULL};
	const char *ok[] = {"true", NULL};
	const char *none[] = {"no-such-program-xyz", NULL};
	struct d_errbuf eb = {{0}};
	char		joined[1024] = "";
	int		n;
	int		i;

	(void)state;
	n = ctl_dcpm_mkfs_argv("/dev/pmem0", false, argv);
	for (i = 0; i < n; i++)
		snprintf(joined + strlen(joined), sizeof(joined) - strlen(joined), "%s%s",
			 i ? " " : "", argv[i]);
	assert_null(argv[n]);
	assert_string_equal(
		joined,
		"mkfs.ext4 -q -D -L daos -m 0 -b 4096 -I 128 -i 67108864 -E "
		"stride=512,lazy_itable_init=0,lazy_journal_init=0,nodiscard,packed_meta_blocks=1 "
		"-O flex_bg,^uninit_bg,^resize_inode,^extra_isize,sparse_super2,^metadata_csum "
		"-G 128 /dev/pmem0");
	n = ctl_dcpm_mkfs_argv("/dev/pmem1", true, argv);
	assert_string_equal(argv[1], "-F");
	assert_string_equal(argv[n - 1], "/dev/pmem1");

	assert_int_equal(ctl_run(ok, &eb), 0);
	assert_int_equal(ctl_run(fail, &eb), -DER_IO);
	assert_string_equal(eb.msg, "sh failed (exit status 3): the reason");
	assert_int_equal(ctl_run(none, &eb), -DER_NONEXIST);
	assert_non_null(strstr(eb.msg, "no-such-program-xyz not found in PATH"));

	assert_int_equal(ctl_scm_dcpm_mkfs("/dev/null", false, &eb), -DER_INVAL);
	assert_string_equal(eb.msg, "PMem device /dev/null is not a block device");
	assert_int_equal(ctl_scm_dcpm_mkfs("/dev/pmem-none", false, &eb), -DER_NONEXIST);
	assert_non_null(strstr(eb.msg, "PMem device /dev/pmem-none: does not exist"));
	assert_int_equal(ctl_scm_dcpm_mount("/dev/pmem-none", tmpdir, &eb), -DER_NONEXIST);
}

/* mkfs.ext4 for real on a loop device, whose missing DAX support the mount names. */
static void
test_dcpm_loop(void **state)
{
	struct d_errbuf eb = {{0}};
	char		img[512];
	char		dir[512];
	char		cmd[2048];
	FILE	       *p;

	(void)state;
	if (!need_root())
		return;
	snprintf(img, sizeof(img), "%s/pmem.img", tmpdir);
	snprintf(cmd, sizeof(cmd), "truncate -s 256M '%s' && losetup -f --show '%s' 2>/dev/null",
		 img, img);
	p = popen(cmd, "r");
	assert_non_null(p);
	if (fgets(loopdev, sizeof(loopdev), p) == NULL)
		loopdev[0] = '\0';
	pclose(p);
	loopdev[strcspn(loopdev, "\n")] = '\0';
	if (loopdev[0] == '\0') {
		fprintf(stderr, "SKIP: no loop device available (losetup failed)\n");
		skip();
		return;
	}
	assert_int_equal(ctl_scm_dcpm_mkfs(loopdev, true, &eb), 0);
	snprintf(dir, sizeof(dir), "%s/dcpm", tmpdir);
	assert_int_equal(ctl_scm_dcpm_mount(loopdev, dir, &eb), -DER_NOTSUPPORTED);
	assert_non_null(strstr(eb.msg, loopdev));
	assert_non_null(strstr(eb.msg, "does not support DAX"));
}

/* ---- bdevs ------------------------------------------------------------------------ */

static void
test_bdev_file(void **state)
{
	char		p1[512];
	char		p2[512];
	char	       *list[2] = {p1, p2};
	struct ctl_tier t = {.class = CTL_CLASS_FILE, .bdev_size = 2};
	struct d_errbuf eb = {{0}};
	struct stat	st;
	FILE	       *f;
	int		i;

	(void)state;
	snprintf(p1, sizeof(p1), "%s/x/y/daos-bdev0", tmpdir);
	snprintf(p2, sizeof(p2), "%s/z/daos-bdev1", tmpdir);
	t.bdev_list.v = list;
	t.bdev_list.n = 2;
	/* An existing file full of data is reset. */
	assert_int_equal(system("true"), 0);
	snprintf(p2, sizeof(p2), "%s/z", tmpdir);
	assert_int_equal(mkdir(p2, 0755), 0);
	snprintf(p2, sizeof(p2), "%s/z/daos-bdev1", tmpdir);
	f = fopen(p2, "w");
	assert_non_null(f);
	for (i = 0; i < 1024; i++)
		fprintf(f, "%0255d\n", i);
	fclose(f);

	assert_int_equal(ctl_bdev_file_create(&t, &eb), 0);
	for (i = 0; i < 2; i++) {
		assert_int_equal(stat(list[i], &st), 0);
		assert_int_equal(st.st_size, 2000000000ULL / 4096 * 4096);
		assert_true(st.st_blocks < 64); /* sparse: no data blocks */
	}

	/* Sparse files a file system could not hold at full size are refused. */
	snprintf(p1, sizeof(p1), "%s/big/daos-bdev0", tmpdir);
	t.bdev_list.n = 1;
	t.bdev_size = 1000000000; /* 1 EB */
	assert_int_equal(ctl_bdev_file_create(&t, &eb), -DER_NOSPACE);
	assert_non_null(strstr(eb.msg, "not enough space for bdev file "));
	assert_non_null(strstr(eb.msg, "/big/daos-bdev0: 1 file of bdev_size 1000000000 GB need "));
	assert_non_null(
		strstr(eb.msg, "free; free space there, lower bdev_size or move bdev_list"));
	assert_int_not_equal(stat(p1, &st), 0); /* nothing created */
	t.bdev_list.n = 2;

	t.bdev_size = 0;
	assert_int_equal(ctl_bdev_file_create(&t, &eb), -DER_INVAL);
	assert_non_null(strstr(eb.msg, "non-zero bdev_size"));
	t.bdev_size = 1;
	snprintf(p1, sizeof(p1), "/proc/no/such/dir/file");
	assert_int_not_equal(ctl_bdev_file_create(&t, &eb), 0);
	assert_non_null(strstr(eb.msg, "/proc/no"));
}

static void
test_bdev_kdev(void **state)
{
	char	       *list[1];
	struct ctl_tier t = {.class = CTL_CLASS_KDEV};
	struct d_errbuf eb = {{0}};
	struct stat	st;

	(void)state;
	t.bdev_list.v = list;
	t.bdev_list.n = 1;
	list[0] = "/dev/null";
	assert_int_equal(ctl_bdev_kdev_check(&t, &eb), -DER_INVAL);
	assert_string_equal(eb.msg, "kdev device /dev/null is not a block device; use class file "
				    "for regular files");
	list[0] = "/dev/no-such-disk";
	assert_int_equal(ctl_bdev_kdev_check(&t, &eb), -DER_NONEXIST);
	assert_string_equal(eb.msg, "kdev device /dev/no-such-disk: does not exist; fix bdev_list");
	/* A real block device when the machine has one (loop0 exists once a loop is used). */
	list[0] = "/dev/loop0";
	if (stat(list[0], &st) == 0 && S_ISBLK(st.st_mode))
		assert_int_equal(ctl_bdev_kdev_check(&t, &eb), 0);
	t.bdev_list.n = 0;
	assert_int_equal(ctl_bdev_kdev_check(&t, &eb), -DER_INVAL);
}

static void
test_nvme_resolve(void **state)
{
	struct d_errbuf eb = {{0}};
	char		root[1100];
	char		want[1200];
	char		dev[1200];

	(void)state;
	snprintf(root, sizeof(root), "%s/hosts/wolf", fixtures);
	ctl_hw_use(root);
	assert_int_equal(ctl_bdev_nvme_resolve("0000:81:00.0", dev, sizeof(dev), &eb), 0);
	snprintf(want, sizeof(want), "%s/storage/dev/nvme0n1", root);
	assert_string_equal(dev, want);
	assert_int_equal(ctl_bdev_nvme_resolve("0000:DA:00.0", dev, sizeof(dev), &eb), 0);
	snprintf(want, sizeof(want), "%s/storage/dev/nvme2n1", root);
	assert_string_equal(dev, want);
	assert_int_equal(ctl_bdev_nvme_resolve("0000:01:00.0", dev, sizeof(dev), &eb),
			 -DER_NONEXIST);
	assert_non_null(strstr(eb.msg, "NVMe controller 0000:01:00.0 not found"));
	assert_int_equal(ctl_bdev_nvme_resolve("0000:81:00.0", dev, 8, &eb), -DER_INVAL);
}

/* ---- daos_nvme.conf ----------------------------------------------------------------- */

static const char *golden_head = "{\n"
				 "  \"daos_data\": {\n"
				 "    \"config\": []\n"
				 "  },\n"
				 "  \"subsystems\": [\n"
				 "    {\n"
				 "      \"subsystem\": \"bdev\",\n"
				 "      \"config\": [\n"
				 "        {\n"
				 "          \"params\": {\n"
				 "            \"bdev_io_pool_size\": 65536,\n"
				 "            \"bdev_io_cache_size\": 256\n"
				 "          },\n"
				 "          \"method\": \"bdev_set_options\"\n"
				 "        },\n"
				 "        {\n"
				 "          \"params\": {\n"
				 "            \"retry_count\": 4,\n"
				 "            \"timeout_us\": 0,\n"
				 "            \"nvme_adminq_poll_period_us\": 100000,\n"
				 "            \"action_on_timeout\": \"none\",\n"
				 "            \"nvme_ioq_poll_period_us\": 0\n"
				 "          },\n"
				 "          \"method\": \"bdev_nvme_set_options\"\n"
				 "        },\n"
				 "        {\n"
				 "          \"params\": {\n"
				 "            \"enable\": false,\n"
				 "            \"period_us\": 0\n"
				 "          },\n"
				 "          \"method\": \"bdev_nvme_set_hotplug\"\n"
				 "        },\n";

static const char *golden_nvme_tail = "        {\n"
				      "          \"params\": {\n"
				      "            \"trtype\": \"PCIe\",\n"
				      "            \"name\": \"Nvme_wolf_0_1_0\",\n"
				      "            \"traddr\": \"0000:81:00.0\"\n"
				      "          },\n"
				      "          \"method\": \"bdev_nvme_attach_controller\"\n"
				      "        },\n"
				      "        {\n"
				      "          \"params\": {\n"
				      "            \"trtype\": \"PCIe\",\n"
				      "            \"name\": \"Nvme_wolf_1_1_0\",\n"
				      "            \"traddr\": \"0000:87:00.0\"\n"
				      "          },\n"
				      "          \"method\": \"bdev_nvme_attach_controller\"\n"
				      "        },\n"
				      "        {\n"
				      "          \"params\": {\n"
				      "            \"trtype\": \"PCIe\",\n"
				      "            \"name\": \"Nvme_wolf_2_1_0\",\n"
				      "            \"traddr\": \"0000:da:00.0\"\n"
				      "          },\n"
				      "          \"method\": \"bdev_nvme_attach_controller\"\n"
				      "        }\n"
				      "      ]\n"
				      "    },\n"
				      "    {\n"
				      "      \"subsystem\": \"vmd\",\n"
				      "      \"config\": [\n"
				      "        {\n"
				      "          \"params\": {},\n"
				      "          \"method\": \"enable_vmd\"\n"
				      "        }\n"
				      "      ]\n"
				      "    }\n"
				      "  ]\n"
				      "}\n";

static const char *golden_file_tail = "        {\n"
				      "          \"params\": {\n"
				      "            \"block_size\": 4096,\n"
				      "            \"name\": \"AIO_my_host_0_1_0\",\n"
				      "            \"filename\": \"/tmp/daos-bdev0\"\n"
				      "          },\n"
				      "          \"method\": \"bdev_aio_create\"\n"
				      "        },\n"
				      "        {\n"
				      "          \"params\": {\n"
				      "            \"block_size\": 4096,\n"
				      "            \"name\": \"AIO_my_host_1_1_0\",\n"
				      "            \"filename\": \"/tmp/daos-bdev1\"\n"
				      "          },\n"
				      "          \"method\": \"bdev_aio_create\"\n"
				      "        }\n"
				      "      ]\n"
				      "    }\n"
				      "  ]\n"
				      "}\n";

static void
check_golden(const char *text, const char *tail)
{
	char *want = malloc(strlen(golden_head) + strlen(tail) + 1);

	assert_non_null(want);
	strcpy(want, golden_head);
	strcat(want, tail);
	if (strcmp(text, want) != 0)
		fail_msg("daos_nvme.conf differs:\n%s", text);
	free(want);
}

static void
test_nvme_conf_golden(void **state)
{
	char		    *nvme[] = {"0000:81:00.0", "0000:87:00.0", "0000:da:00.0"};
	char		    *files[] = {"/tmp/daos-bdev0", "/tmp/daos-bdev1"};
	struct ctl_tier	     tiers[2] = {{.class = CTL_CLASS_RAM}, {.class = CTL_CLASS_NVME}};
	struct ctl_nvme_conf conf = {0};
	struct ctl_nvme_conf back = {0};
	struct d_errbuf	     eb = {{0}};
	char		    *text;

	(void)state;
	tiers[1].bdev_list.v = nvme;
	tiers[1].bdev_list.n = 3;
	assert_int_equal(ctl_nvme_conf_build(tiers, 2, "wolf", true, &conf, &eb), 0);
	assert_int_equal(conf.ndevs, 3);
	text = ctl_nvme_conf_format(&conf);
	check_golden(text, golden_nvme_tail);
	free(text);
	assert_int_equal(ctl_nvme_conf_write(tmpdir, &conf, &eb), 0);
	assert_int_equal(ctl_nvme_conf_read(tmpdir, &back, &eb), 0);
	assert_int_equal(back.ndevs, 3);
	assert_true(back.vmd);
	assert_memory_equal(back.devs, conf.devs, 3 * sizeof(*conf.devs));
	ctl_nvme_conf_fini(&conf);
	ctl_nvme_conf_fini(&back);

	/* file class: host name with '_' still decodes; no vmd without nvme. */
	tiers[1].class = CTL_CLASS_FILE;
	tiers[1].bdev_list.v = files;
	tiers[1].bdev_list.n = 2;
	tiers[1].bdev_size = 4;
	assert_int_equal(ctl_nvme_conf_build(tiers, 2, "my_host", true, &conf, &eb), 0);
	text = ctl_nvme_conf_format(&conf);
	check_golden(text, golden_file_tail);
	assert_int_equal(ctl_nvme_conf_parse("conf", text, strlen(text), &back, &eb), 0);
	assert_false(back.vmd);
	assert_int_equal(back.ndevs, 2);
	assert_memory_equal(back.devs, conf.devs, 2 * sizeof(*conf.devs));
	free(text);
	ctl_nvme_conf_fini(&conf);
	ctl_nvme_conf_fini(&back);

	/* kdev: no block size; roles kept. */
	tiers[1].class = CTL_CLASS_KDEV;
	tiers[1].bdev_roles = CTL_BDEV_ROLE_DATA | CTL_BDEV_ROLE_WAL;
	assert_int_equal(ctl_nvme_conf_build(tiers, 2, "h", false, &conf, &eb), 0);
	text = ctl_nvme_conf_format(&conf);
	assert_int_equal(ctl_nvme_conf_parse("conf", text, strlen(text), &back, &eb), 0);
	assert_string_equal(back.devs[1].name, "AIO_h_1_1_5");
	assert_int_equal(back.devs[1].block_size, 0);
	assert_int_equal(back.devs[1].roles, 5);
	free(text);
	ctl_nvme_conf_fini(&conf);
	ctl_nvme_conf_fini(&back);
	ctl_nvme_conf_fini(NULL);
	assert_int_equal(ctl_nvme_conf_read("/nonexistent", &back, &eb), -DER_NONEXIST);
}

static void
expect_bad_conf(const char *text, const char *msg)
{
	struct ctl_nvme_conf conf;
	struct d_errbuf	     eb = {{0}};

	assert_int_equal(ctl_nvme_conf_parse("daos_nvme.conf", text, strlen(text), &conf, &eb),
			 -DER_INVAL);
	if (strstr(eb.msg, msg) == NULL)
		fail_msg("expected \"%s\" in \"%s\"", msg, eb.msg);
}

static void
test_nvme_conf_malformed(void **state)
{
	(void)state;
	expect_bad_conf("[]", "daos_nvme.conf:1: expected a JSON object");
	expect_bad_conf("{\n \"daos_data\": {}\n}", "missing key \"subsystems\"");
	expect_bad_conf("{\n \"subsystems\": [\n  {\"subsystem\": \"nbd\", \"config\": []}\n ]\n}",
			"daos_nvme.conf:3: subsystem: unsupported subsystem");
	expect_bad_conf("{\"subsystems\": [\n{\"subsystem\": \"bdev\", \"config\": [\n"
			"{\"params\": {}, \"method\": \"bdev_malloc_create\"}]}]}",
			"daos_nvme.conf:3: bdev config: unsupported method \"bdev_malloc_create\"");
	expect_bad_conf("{\"subsystems\": [\n{\"subsystem\": \"bdev\", \"config\": [\n"
			"{\"params\": {\"trtype\": \"PCIe\", \"name\": \"Nvme_h_0_1_0\"},\n"
			" \"method\": \"bdev_nvme_attach_controller\"}]}]}",
			"daos_nvme.conf:3: bdev_nvme_attach_controller: missing key \"traddr\"");
	expect_bad_conf("{\"subsystems\": [\n{\"subsystem\": \"bdev\", \"config\": [\n"
			"{\"params\": {\"name\": \"AIO_x\", \"filename\": \"/f\"},\n"
			" \"method\": \"bdev_aio_create\"}]}]}",
			"name must be AIO_<host>_<index>_<tier>_<roles>");
	/* the three numbers are plain decimals */
	expect_bad_conf("{\"subsystems\": [\n{\"subsystem\": \"bdev\", \"config\": [\n"
			"{\"params\": {\"name\": \"AIO_x_1_+1_0\", \"filename\": \"/f\"},\n"
			" \"method\": \"bdev_aio_create\"}]}]}",
			"name must be AIO_<host>_<index>_<tier>_<roles>");
	expect_bad_conf("{\"subsystems\": [\n{\"subsystem\": \"bdev\", \"config\": [\n"
			"{\"params\": {\"name\": \"AIO_x_1_1_0\", \"filename\": \"/f\",\n"
			" \"block_size\": \"big\"}, \"method\": \"bdev_aio_create\"}]}]}",
			"daos_nvme.conf:4: block_size:");
	expect_bad_conf("{\"subsystems\": [\n{\"subsystem\": \"bdev\", \"config\": {}}]}",
			"daos_nvme.conf:2: subsystems: \"config\" must be a list, got a mapping");
	expect_bad_conf("{\"subsystems\": [\n", "daos_nvme.conf:");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_superblock_roundtrip, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_superblock_missing, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_atomic_write_failure, setup_tmp, teardown_tmp),
		cmocka_unit_test(test_superblock_malformed),
		cmocka_unit_test(test_mountinfo_parse),
		cmocka_unit_test(test_ramdisk_options),
		cmocka_unit_test_setup_teardown(test_tmpfs_mount, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_mkfs_argv_and_run, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_dcpm_loop, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_bdev_file, setup_tmp, teardown_tmp),
		cmocka_unit_test(test_bdev_kdev),
		cmocka_unit_test_setup_teardown(test_nvme_resolve, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_nvme_conf_golden, setup_tmp, teardown_tmp),
		cmocka_unit_test(test_nvme_conf_malformed),
	};
	const char *src = getenv("DAOS_SOURCE_DIR");

	snprintf(fixtures, sizeof(fixtures), "%s/tests/fixtures", src != NULL ? src : ".");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
