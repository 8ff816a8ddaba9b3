/*
 * Unit tests of PMem and NVMe preparation acting on copies of the storage
 * fixtures (namespaces created and destroyed, hugepages reserved and
 * released, block devices handed over and back), including every refusal
 * (non-root, bad lists, absent devices, bad counts) leaving the copy as it
 * was.  Needs root (chown); skipped otherwise.
 */
#include <glob.h>
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
#include "control/lib/storage/storage.h"
#include "unit_fi.h"

static char fixtures[1024];
static char root[4096];
static char tmpdir[64];

/* Copy a fixture to a fresh temporary directory and point DAOS_HW_ROOT at it. */
static void
use_copy(const char *name)
{
	char tmpl[] = "/tmp/stgprepXXXXXX";
	char cmd[8192];

	assert_non_null(mkdtemp(tmpl));
	snprintf(tmpdir, sizeof(tmpdir), "%s", tmpl);
	snprintf(root, sizeof(root), "%s/host", tmpl);
	snprintf(cmd, sizeof(cmd), "cp -a '%s/%s' '%s'", fixtures, name, root);
	assert_int_equal(system(cmd), 0);
	ctl_hw_use(root);
}

static void
drop_copy(void)
{
	char cmd[8192];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	assert_int_equal(system(cmd), 0);
}

/* A digest of the whole tree (names, owners, contents) to prove nothing changed. */
static char *
tree_state(void)
{
	char	      cmd[8192];
	char	     *out = NULL;
	FILE	     *p;
	char	      buf[4096];
	struct d_sbuf sb;

	snprintf(cmd, sizeof(cmd),
		 "cd '%s' && find . -printf '%%p %%u %%s\\n' | sort && find . -type f | sort | "
		 "xargs -d '\\n' cat | md5sum",
		 root);
	p = popen(cmd, "r");
	assert_non_null(p);
	d_sbuf_init(&sb);
	while (fgets(buf, sizeof(buf), p) != NULL)
		d_sbuf_printf(&sb, "%s", buf);
	pclose(p);
	out = d_sbuf_take(&sb);
	d_sbuf_fini(&sb);
	return out;
}

static uint64_t
read_u64(const char *rel)
{
	char		   path[8192];
	unsigned long long v = 0;
	FILE		  *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_int_equal(fscanf(f, "%llu", &v), 1);
	fclose(f);
	return v;
}

static uid_t
owner(const char *rel)
{
	char	    path[8192];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	assert_int_equal(stat(path, &st), 0);
	return st.st_uid;
}

static bool
exists(const char *rel)
{
	char path[8192];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	return access(path, F_OK) == 0;
}

static int
setup(void **state)
{
	(void)state;
	if (geteuid() != 0)
		skip();
	return 0;
}

static void
test_scm_prepare_reset(void **state)
{
	struct ctl_scm_prepare_req  req = {.nr_ns_per_socket = 1, .socket = -1};
	struct ctl_scm_prepare_resp resp = {0};
	struct d_errbuf		    eb = {{0}};
	struct ctl_storage_scan	   *s;
	uint64_t		    region = 6ULL * 539555266560ULL;

	(void)state;
	use_copy("states/pmem-freeregions");
	assert_int_equal(ctl_scm_prepare(&req, &resp, NULL, &eb), 0);
	assert_false(resp.reboot_required);
	assert_int_equal(resp.nr_namespaces, 2);
	assert_string_equal(resp.namespaces[0].blockdev, "pmem0");
	assert_string_equal(resp.namespaces[1].blockdev, "pmem1");
	assert_int_equal(resp.namespaces[1].numa_node, 1);
	assert_int_equal(resp.namespaces[0].size, region - region / 64);
	assert_int_equal(strlen(resp.namespaces[0].uuid), 36);
	assert_int_equal(read_u64("storage/pmem/regions/region0/available_size"), 0);
	assert_true(exists("storage/dev/pmem0"));
	ctl_scm_prepare_resp_fini(&resp);

	/* Again: regions are full, the existing namespaces are reported. */
	assert_int_equal(ctl_scm_prepare(&req, &resp, NULL, &eb), 0);
	assert_int_equal(resp.nr_namespaces, 2);
	ctl_scm_prepare_resp_fini(&resp);

	/* Reset one socket, then all. */
	assert_int_equal(ctl_scm_reset(1, NULL, &eb), 0);
	assert_false(exists("storage/pmem/namespaces/namespace1.0"));
	assert_false(exists("storage/dev/pmem1"));
	assert_true(exists("storage/dev/pmem0"));
	assert_int_equal(read_u64("storage/pmem/regions/region1/available_size"), region);
	assert_int_equal(ctl_scm_reset(-1, NULL, &eb), 0);
	assert_int_equal(ctl_storage_scan(CTL_SCAN_SCM, &s, &eb), 0);
	assert_int_equal(s->nr_namespaces, 0);
	assert_int_equal(s->regions[0].available, region);
	ctl_storage_scan_free(s);

	/* Two per socket, on socket 1 only. */
	req.nr_ns_per_socket = 2;
	req.socket = 1;
	assert_int_equal(ctl_scm_prepare(&req, &resp, NULL, &eb), 0);
	assert_int_equal(resp.nr_namespaces, 2);
	assert_string_equal(resp.namespaces[0].blockdev, "pmem1");
	assert_string_equal(resp.namespaces[1].blockdev, "pmem1.1");
	assert_int_equal(read_u64("storage/pmem/regions/region0/available_size"), region);
	assert_int_equal(read_u64("storage/pmem/regions/region1/available_size"), 0);
	ctl_scm_prepare_resp_fini(&resp);
	drop_copy();
}

static void
test_scm_prepare_errors(void **state)
{
	struct ctl_scm_prepare_req  req = {.nr_ns_per_socket = 1, .socket = -1};
	struct ctl_scm_prepare_resp resp = {0};
	struct d_errbuf		    eb = {{0}};
	char			   *before, *after;

	(void)state;
	use_copy("states/pmem-freeregions");
	before = tree_state();
	req.nr_ns_per_socket = 0;
	assert_int_equal(ctl_scm_prepare(&req, &resp, NULL, &eb), -DER_INVAL);
	assert_string_equal(eb.msg, "(-S|--scm-ns-per-socket) should be set to at least 1");
	req.nr_ns_per_socket = 5;
	assert_int_equal(ctl_scm_prepare(&req, &resp, NULL, &eb), -DER_INVAL);
	assert_non_null(strstr(eb.msg, "want [1-4], got 5"));
	req.nr_ns_per_socket = 1;
	req.socket = 3;
	assert_int_equal(ctl_scm_prepare(&req, &resp, NULL, &eb), -DER_NONEXIST);
	assert_non_null(strstr(eb.msg, "no PMem region on socket 3"));
	req.socket = -1;
	/* Not root: refused before anything is read or changed. */
	assert_int_equal(seteuid(65534), 0);
	assert_int_equal(ctl_scm_prepare(&req, &resp, NULL, &eb), -DER_NO_PERM);
	assert_non_null(strstr(eb.msg, "requires root privileges"));
	assert_int_equal(ctl_scm_reset(-1, NULL, &eb), -DER_NO_PERM);
	assert_int_equal(seteuid(0), 0);
	after = tree_state();
	assert_string_equal(before, after);
	free(before);
	free(after);
	drop_copy();

	/* Modules without regions: reboot required, nothing changed. */
	use_copy("states/pmem-noregions");
	before = tree_state();
	assert_int_equal(ctl_scm_prepare(&req, &resp, NULL, &eb), 0);
	assert_true(resp.reboot_required);
	assert_int_equal(resp.nr_namespaces, 0);
	after = tree_state();
	assert_string_equal(before, after);
	free(before);
	free(after);
	drop_copy();

	/* No PMem at all. */
	use_copy("hosts/local");
	assert_int_equal(ctl_scm_prepare(&req, &resp, NULL, &eb), -DER_NONEXIST);
	assert_string_equal(eb.msg, "No PMem modules exist on storage server");
	assert_int_equal(ctl_scm_reset(-1, NULL, &eb), -DER_NONEXIST);
	drop_copy();
}

static void
test_nvme_prepare_reset(void **state)
{
	struct ctl_nvme_prepare_req req = {.target_user = "nobody"};
	struct ctl_storage_scan	   *s;
	struct d_errbuf		    eb = {{0}};

	(void)state;
	use_copy("hosts/wolf");
	assert_int_equal(ctl_nvme_prepare(&req, NULL, &eb), 0);
	assert_int_equal(owner("storage/dev/nvme0n1"), 65534);
	assert_int_equal(owner("storage/dev/nvme1n1"), 65534);
	assert_int_equal(owner("storage/dev/nvme2n1"), 65534);
	assert_true(exists("storage/run/nvme_prepare.state"));
	assert_int_equal(ctl_storage_scan(CTL_SCAN_MEM, &s, &eb), 0);
	assert_int_equal(s->mem.hugepages_total, CTL_NVME_MIN_HUGEPAGES);
	assert_int_equal(s->mem.hugepages_free, CTL_NVME_MIN_HUGEPAGES);
	ctl_storage_scan_free(s);

	/* More pages on a second prepare; reset restores the original count. */
	req.nr_hugepages = 512;
	assert_int_equal(ctl_nvme_prepare(&req, NULL, &eb), 0);
	assert_int_equal(ctl_storage_scan(CTL_SCAN_MEM, &s, &eb), 0);
	assert_int_equal(s->mem.hugepages_total, 512);
	ctl_storage_scan_free(s);

	assert_int_equal(ctl_nvme_reset(&req, NULL, &eb), 0);
	assert_int_equal(owner("storage/dev/nvme0n1"), 0);
	assert_int_equal(owner("storage/dev/nvme2n1"), 0);
	assert_false(exists("storage/run/nvme_prepare.state"));
	assert_int_equal(ctl_storage_scan(CTL_SCAN_MEM, &s, &eb), 0);
	assert_int_equal(s->mem.hugepages_total, 0);
	ctl_storage_scan_free(s);

	/* Allow list and block list select controllers. */
	req.allow_list = "0000:81:00.0,0000:DA:00.0";
	req.block_list = "0000:da:00.0";
	assert_int_equal(ctl_nvme_prepare(&req, NULL, &eb), 0);
	assert_int_equal(owner("storage/dev/nvme0n1"), 65534);
	assert_int_equal(owner("storage/dev/nvme1n1"), 0);
	assert_int_equal(owner("storage/dev/nvme2n1"), 0);
	drop_copy();
}

static void
test_nvme_errors(void **state)
{
	struct ctl_nvme_prepare_req req = {.target_user = "nobody"};
	struct d_errbuf		    eb = {{0}};
	char			    rel[] = "storage/dev/nvme1n1";
	char			    path[8192];
	char			   *before, *after;

	(void)state;
	use_copy("hosts/wolf");
	before = tree_state();

	req.allow_list = "0000:81:00.0,0000:99:00.0";
	assert_int_equal(ctl_nvme_prepare(&req, NULL, &eb), -DER_NONEXIST);
	assert_non_null(strstr(eb.msg, "0000:99:00.0 in the allow list is not an NVMe controller"));
	req.allow_list = "81:00.0";
	assert_int_equal(ctl_nvme_prepare(&req, NULL, &eb), -DER_INVAL);
	assert_non_null(strstr(eb.msg, "invalid addresses in pci allow list: \"81:00.0\""));
	req.allow_list = NULL;
	req.block_list = "nonsense";
	assert_int_equal(ctl_nvme_reset(&req, NULL, &eb), -DER_INVAL);
	assert_non_null(strstr(eb.msg, "pci block list"));
	req.block_list = NULL;
	req.target_user = "no-such-user-xyz";
	assert_int_equal(ctl_nvme_prepare(&req, NULL, &eb), -DER_NONEXIST);
	assert_non_null(strstr(eb.msg, "target user \"no-such-user-xyz\" does not exist"));
	req.target_user = "nobody";
	req.disable_vfio = true;
	assert_int_equal(ctl_nvme_prepare(&req, NULL, &eb), -DER_INVAL);
	assert_non_null(strstr(eb.msg, "VFIO can not be disabled"));
	req.disable_vfio = false;
	assert_int_equal(seteuid(65534), 0);
	assert_int_equal(ctl_nvme_prepare(&req, NULL, &eb), -DER_NO_PERM);
	assert_int_equal(ctl_nvme_reset(&req, NULL, &eb), -DER_NO_PERM);
	assert_int_equal(seteuid(0), 0);
	after = tree_state();
	assert_string_equal(before, after);
	free(after);

	/* A namespace whose block device is missing: refused before any change. */
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	assert_int_equal(unlink(path), 0);
	free(before);
	before = tree_state();
	assert_int_equal(ctl_nvme_prepare(&req, NULL, &eb), -DER_NONEXIST);
	assert_non_null(strstr(eb.msg, "0000:87:00.0: block device"));
	after = tree_state();
	assert_string_equal(before, after);
	free(before);
	free(after);
	drop_copy();

	/* No NVMe: nothing to do, nothing changed (no hugepages either). */
	use_copy("hosts/local");
	before = tree_state();
	assert_int_equal(ctl_nvme_prepare(&req, NULL, &eb), 0);
	assert_int_equal(ctl_nvme_reset(&req, NULL, &eb), 0);
	after = tree_state();
	assert_string_equal(before, after);
	free(before);
	free(after);
	drop_copy();
}

/* The state file nvme prepare leaves for reset (storage/run/nvme_prepare.state). */
static void
test_nvme_state_errors(void **state)
{
	static const char *const bad_states[] = {
		"hugepages_before = 1\n",
		"hugepages_before = 1\nhugepages_reserved = -1\n",
		"hugepages_before = 0x1\nhugepages_reserved = 2\n",
		"hugepages_before = 1\nhugepages_reserved = 2 pages\n",
		"hugepages_before = 1\nhugepages_reserved = 18446744073709551616\n",
	};
	struct ctl_nvme_prepare_req req = {.target_user = "nobody"};
	struct d_errbuf		    eb = {{0}};
	char			    path[8192];
	glob_t			    g;
	FILE			   *f;

	(void)state;
	use_copy("hosts/wolf");
	/*
	 * Something that is not a file where the state goes: prepare says it cannot
	 * replace it, and leaves no temporary file behind.
	 */
	snprintf(path, sizeof(path), "%s/storage/run", root);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/storage/run/nvme_prepare.state", root);
	assert_int_equal(mkdir(path, 0755), 0);
	assert_int_equal(ctl_nvme_prepare(&req, NULL, &eb), -DER_MISC);
	assert_non_null(strstr(eb.msg, "cannot rename "));
	assert_non_null(strstr(eb.msg, "nvme_prepare.state: Is a directory"));
	snprintf(path, sizeof(path), "%s/storage/run/nvme_prepare.state.tmp*", root);
	assert_int_equal(glob(path, 0, NULL, &g), GLOB_NOMATCH);
	snprintf(path, sizeof(path), "%s/storage/run/nvme_prepare.state", root);
	/* ... and reset that it cannot read it. */
	assert_int_equal(ctl_nvme_reset(&req, NULL, &eb), -DER_MISC);
	assert_non_null(strstr(eb.msg, "cannot read "));
	assert_int_equal(rmdir(path), 0);

	/*
	 * A state file without the two counts, or with one that is not a plain
	 * decimal: reset stops and says what to check.
	 */
	for (size_t i = 0; i < D_ARRAY_SIZE(bad_states); i++) {
		f = fopen(path, "w");
		assert_non_null(f);
		fputs(bad_states[i], f);
		fclose(f);
		assert_int_equal(ctl_nvme_reset(&req, NULL, &eb), -DER_INVAL);
		assert_non_null(strstr(eb.msg, "malformed (expected hugepages_before and "
					       "hugepages_reserved)"));
		assert_int_equal(unlink(path), 0);
	}
	/* Blanks around '=' are optional: this one is read, and reset removes it. */
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("hugepages_before=1\nhugepages_reserved =\t2 \ntarget_user = nobody\n", f);
	fclose(f);
	assert_int_equal(ctl_nvme_reset(&req, NULL, &eb), 0);
	assert_int_equal(access(path, F_OK), -1);

	/* A file where the run directory goes. */
	snprintf(path, sizeof(path), "%s/storage/run", root);
	assert_int_equal(rmdir(path), 0);
	f = fopen(path, "w");
	assert_non_null(f);
	fclose(f);
	req.nr_hugepages = 512; /* more than the first prepare reserved: the state is written */
	assert_int_equal(ctl_nvme_prepare(&req, NULL, &eb), -DER_NOTDIR);
	assert_non_null(strstr(eb.msg, "storage/run: Not a directory"));
	req.nr_hugepages = 0;

	/* Lists with empty entries and the most entries their length allows. */
	req.allow_list = ",0000:81:00.0,,0000:87:00.0,";
	req.block_list = "0000:87:00.0";
	assert_int_equal(unlink(path), 0);
	assert_int_equal(ctl_nvme_prepare(&req, NULL, &eb), 0);
	assert_int_equal(owner("storage/dev/nvme0n1"), 65534);
	assert_int_equal(owner("storage/dev/nvme1n1"), 0);
	req.allow_list = "a,b";
	assert_int_equal(ctl_nvme_prepare(&req, NULL, &eb), -DER_INVAL);
	assert_non_null(strstr(eb.msg, "\"a\" is not a PCI address"));
	drop_copy();
}

/*
 * Children of test_out_of_memory, on the fixture copy in $STG_PREP_ROOT: 0
 * done, 10 -DER_NOMEM with a message, 20 anything else.
 */
static int
oom_status(int rc, const struct d_errbuf *eb)
{
	if (rc == 0)
		return 0;
	return rc == -DER_NOMEM && eb->msg[0] != '\0' ? 10 : 20;
}

static int
oom_scm_prepare(void)
{
	struct ctl_scm_prepare_req  req = {.nr_ns_per_socket = 2, .socket = -1};
	struct ctl_scm_prepare_resp resp = {0};
	struct d_errbuf		    eb = {{0}};
	int			    rc;

	ctl_hw_use(getenv("STG_PREP_ROOT"));
	rc = ctl_scm_prepare(&req, &resp, NULL, &eb);
	ctl_scm_prepare_resp_fini(&resp);
	return oom_status(rc, &eb);
}

static int
oom_nvme_prepare(void)
{
	struct ctl_nvme_prepare_req req = {.target_user = "nobody",
					   .allow_list = "0000:81:00.0,0000:87:00.0",
					   .block_list = "0000:87:00.0"};
	struct d_errbuf		    eb = {{0}};

	ctl_hw_use(getenv("STG_PREP_ROOT"));
	return oom_status(ctl_nvme_prepare(&req, NULL, &eb), &eb);
}

/* Fail the Nth allocation of a prepare until it succeeds: each failure is -DER_NOMEM. */
static void
oom_loop(const char *fixture, const char *name)
{
	int n, st = -1;

	use_copy(fixture);
	setenv("STG_PREP_ROOT", root, 1);
	for (n = 1; n < 500; n++) {
		st = unit_fi_run(name, n);
		assert_true(st == 0 || st == 10);
		if (st == 0)
			break;
	}
	assert_int_equal(st, 0);
	assert_true(n > 2); /* the injection did reach several allocations */
	drop_copy();
}

static void
test_out_of_memory(void **state)
{
	(void)state;
	oom_loop("states/pmem-freeregions", "scm_prepare");
	oom_loop("hosts/wolf", "nvme_prepare");
}

int
main(void)
{
	static const struct unit_fi_case cases[] = {
		{"scm_prepare", oom_scm_prepare},
		{"nvme_prepare", oom_nvme_prepare},
		{NULL, NULL},
	};
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_scm_prepare_reset, setup),
		cmocka_unit_test_setup(test_scm_prepare_errors, setup),
		cmocka_unit_test_setup(test_nvme_prepare_reset, setup),
		cmocka_unit_test_setup(test_nvme_state_errors, setup),
		cmocka_unit_test_setup(test_nvme_errors, setup),
		cmocka_unit_test_setup(test_out_of_memory, setup),
	};
	const char *src = getenv("DAOS_SOURCE_DIR");

	unit_fi_dispatch(cases);
	snprintf(fixtures, sizeof(fixtures), "%s/tests/fixtures", src != NULL ? src : ".");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
