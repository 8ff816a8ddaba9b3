/*
 * StorageFormat request/response (control/lib/format_resp.c): wire round
 * trips, the per-instance decision, host error texts, grouping keys, and
 * the `dmg storage format` layouts compared with upstream's pretty tests
 * (summary, verbose with roles, "No NVMe devices were formatted").
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/json.h"
#include "control/lib/config/config.h"
#include "control/lib/render/render.h"
#include "control/lib/rpc/rpc.h"
#include "control/lib/storage/storage.h"

typedef void (*print_fn)(FILE *, const struct ctl_format_group *, int);

static char *
render(print_fn fn, const struct ctl_format_group *g, int n)
{
	char  *buf = NULL;
	size_t len = 0;
	FILE  *f = open_memstream(&buf, &len);

	assert_non_null(f);
	fn(f, g, n);
	fclose(f);
	return buf;
}

/* upstream's MockFormatResp: n mounts /mnt/1.. and n bdevs "1".., optionally one failure */
static void
mock_resp(struct ctl_format_resp *r, int nscm, int scm_fail, int nnvme, int nvme_fail,
	  uint32_t roles)
{
	char path[32], err[64];

	for (int i = 0; i < nscm; i++) {
		snprintf(path, sizeof(path), "/mnt/%d", i + 1);
		snprintf(err, sizeof(err), "%s format failed", path);
		assert_int_equal(ctl_format_resp_add(r, true, path, (uint32_t)i, 0,
						     i == scm_fail ? -DER_IO : 0,
						     i == scm_fail ? err : NULL, NULL),
				 0);
	}
	for (int i = 0; i < nnvme; i++) {
		snprintf(path, sizeof(path), "%d", i + 1);
		snprintf(err, sizeof(err), "NVMe device %s format failed", path);
		assert_int_equal(ctl_format_resp_add(r, false, path, (uint32_t)i, roles,
						     i == nvme_fail ? -DER_IO : 0,
						     i == nvme_fail ? err : NULL, NULL),
				 0);
	}
}

static void
test_decide(void **state)
{
	(void)state;
	assert_int_equal(ctl_format_decide(false, false, false), CTL_FMT_SKIP);
	assert_int_equal(ctl_format_decide(false, true, false), CTL_FMT_SKIP);
	assert_int_equal(ctl_format_decide(true, false, false), CTL_FMT_FORMAT);
	assert_int_equal(ctl_format_decide(true, true, false), CTL_FMT_REFUSE_RUNNING);
	assert_int_equal(ctl_format_decide(false, false, true), CTL_FMT_FORMAT);
	assert_int_equal(ctl_format_decide(true, true, true), CTL_FMT_STOP_AND_FORMAT);
	assert_int_equal(ctl_format_decide(false, true, true), CTL_FMT_STOP_AND_FORMAT);
}

static void
test_wire(void **state)
{
	struct ctl_format_resp r = {0}, back = {0};
	struct d_errbuf	       eb = {{0}};
	uint8_t		      *buf = NULL;
	size_t		       len = 0;
	bool		       reformat = false, replace = true;

	(void)state;
	assert_int_equal(ctl_format_req_pack(true, false, &buf, &len), 0);
	assert_int_equal(ctl_format_req_unpack(buf, len, &reformat, &replace, &eb), 0);
	assert_true(reformat);
	assert_false(replace);
	free(buf);
	assert_int_equal(
		ctl_format_req_unpack((const uint8_t *)"\xff\xff", 2, &reformat, &replace, &eb),
		-DER_PROTO);
	assert_non_null(strstr(eb.msg, "invalid StorageFormat request"));

	mock_resp(&r, 2, 1, 1, -1, CTL_BDEV_ROLE_DATA | CTL_BDEV_ROLE_WAL);
	assert_int_equal(ctl_format_resp_add(&r, true, "/mnt/3", 2, 0, 0, NULL, CTL_FMT_ALREADY),
			 0);
	assert_int_equal(ctl_format_resp_pack(&r, &buf, &len), 0);
	assert_int_equal(ctl_format_resp_unpack(buf, len, &back, &eb), 0);
	free(buf);
	assert_int_equal(back.nmounts, 3);
	assert_int_equal(back.nctrlrs, 1);
	assert_string_equal(back.mounts[1].path, "/mnt/2");
	assert_int_equal(back.mounts[1].status, -DER_IO);
	assert_string_equal(back.mounts[1].error, "/mnt/2 format failed");
	assert_null(back.mounts[0].error);
	assert_null(back.mounts[0].info);
	assert_string_equal(back.mounts[2].info, CTL_FMT_ALREADY);
	assert_int_equal(back.mounts[2].instance, 2);
	assert_int_equal(back.ctrlrs[0].roles, CTL_BDEV_ROLE_DATA | CTL_BDEV_ROLE_WAL);
	ctl_format_resp_fini(&back);
	ctl_format_resp_fini(&r);
	ctl_format_resp_fini(NULL);
	assert_int_equal(ctl_format_resp_unpack((const uint8_t *)"\x0a\x05", 2, &back, &eb),
			 -DER_PROTO);
	assert_non_null(strstr(eb.msg, "invalid StorageFormat response"));
}

static void
test_errors_and_roles(void **state)
{
	struct ctl_fmt_result r = {.status = -DER_IO};
	char		      buf[256];

	(void)state;
	r.error = (char *)"boom";
	ctl_fmt_result_error(&r, buf, sizeof(buf));
	assert_string_equal(buf, "boom");
	r.error = NULL;
	r.info = (char *)"half";
	ctl_fmt_result_error(&r, buf, sizeof(buf));
	assert_string_equal(buf, "DER_IO: half");
	r.info = NULL;
	ctl_fmt_result_error(&r, buf, sizeof(buf));
	assert_string_equal(buf, "DER_IO: unknown error");

	ctl_bdev_roles_str(0, buf, sizeof(buf));
	assert_string_equal(buf, "NA");
	ctl_bdev_roles_str(CTL_BDEV_ROLE_DATA | CTL_BDEV_ROLE_META | CTL_BDEV_ROLE_WAL, buf,
			   sizeof(buf));
	assert_string_equal(buf, "data,meta,wal");
	ctl_bdev_roles_str(CTL_BDEV_ROLE_META, buf, sizeof(buf));
	assert_string_equal(buf, "meta");

	r.status = 0;
	r.path = (char *)"";
	assert_false(ctl_fmt_ctrlr_listed(&r));
	r.path = (char *)CTL_FMT_NIL_BDEV;
	assert_false(ctl_fmt_ctrlr_listed(&r));
	r.path = (char *)"0000:81:00.0";
	assert_true(ctl_fmt_ctrlr_listed(&r));
	r.status = -DER_IO;
	assert_false(ctl_fmt_ctrlr_listed(&r));
}

static void
test_key(void **state)
{
	struct ctl_format_resp a = {0}, b = {0}, c = {0};
	char		      *ka, *kb, *kc;
	size_t		       la = 0, lb = 0, lc = 0;

	(void)state;
	/* same successful results in another order, plus a failure: same group */
	assert_int_equal(ctl_format_resp_add(&a, true, "/mnt/a", 0, 0, 0, NULL, NULL), 0);
	assert_int_equal(ctl_format_resp_add(&a, true, "/mnt/b", 1, 0, 0, NULL, NULL), 0);
	assert_int_equal(ctl_format_resp_add(&b, true, "/mnt/b", 1, 0, 0, NULL, NULL), 0);
	assert_int_equal(ctl_format_resp_add(&b, true, "/mnt/a", 0, 0, 0, NULL, NULL), 0);
	assert_int_equal(ctl_format_resp_add(&b, false, "/x", 0, 0, -DER_IO, "bad", NULL), 0);
	assert_int_equal(ctl_format_resp_add(&c, true, "/mnt/a", 0, 0, 0, NULL, CTL_FMT_ALREADY),
			 0);
	assert_int_equal(ctl_format_resp_add(&c, true, "/mnt/b", 1, 0, 0, NULL, NULL), 0);
	ka = ctl_format_resp_key(&a, &la);
	kb = ctl_format_resp_key(&b, &lb);
	kc = ctl_format_resp_key(&c, &lc);
	assert_non_null(ka);
	assert_non_null(kb);
	assert_non_null(kc);
	assert_int_equal(la, lb);
	assert_memory_equal(ka, kb, la);
	assert_true(la != lc || memcmp(ka, kc, la) != 0);
	free(ka);
	free(kb);
	free(kc);
	ctl_format_resp_fini(&a);
	ctl_format_resp_fini(&b);
	ctl_format_resp_fini(&c);
}

static void
test_summary(void **state)
{
	struct ctl_format_resp	r = {0}, s = {0};
	struct ctl_format_group g = {"host1", &r};
	char		       *out;

	(void)state;
	mock_resp(&r, 2, 0, 2, -1, 0);
	out = render(ctl_format_print_summary, &g, 1);
	assert_string_equal(out, "Format Summary:\n"
				 "  Hosts SCM Devices NVMe Devices \n"
				 "  ----- ----------- ------------ \n"
				 "  host1 1           2            \n");
	free(out);

	mock_resp(&s, 2, -1, 2, -1, 0);
	g.hosts = "host[1-2]";
	g.resp = &s;
	out = render(ctl_format_print_summary, &g, 1);
	assert_string_equal(out, "Format Summary:\n"
				 "  Hosts     SCM Devices NVMe Devices \n"
				 "  -----     ----------- ------------ \n"
				 "  host[1-2] 2           2            \n");
	free(out);
	out = render(ctl_format_print_summary, &g, 0);
	assert_string_equal(out, "");
	free(out);
	ctl_format_resp_fini(&r);
	ctl_format_resp_fini(&s);

	/*
	 * Found formatted counts, and is said; formatted before a later failure
	 * (the engine did not start) counts too.
	 */
	struct ctl_format_resp u = {0};

	assert_int_equal(ctl_format_resp_add(&u, true, "/mnt/0", 0, 0, 0, NULL, CTL_FMT_ALREADY),
			 0);
	assert_int_equal(ctl_format_resp_add(&u, true, "/mnt/1", 1, 0, -DER_NONEXIST,
					     "instance 1: storage formatted, but the engine did "
					     "not start",
					     CTL_FMT_DONE_BEFORE),
			 0);
	g.hosts = "host1";
	g.resp = &u;
	out = render(ctl_format_print_summary, &g, 1);
	assert_string_equal(out,
			    "Format Summary:\n"
			    "  Hosts SCM Devices NVMe Devices \n"
			    "  ----- ----------- ------------ \n"
			    "  host1 2           0            \n"
			    "  host1: 1 of 2 instances already formatted, left as they were\n");
	free(out);
	ctl_format_resp_fini(&u);
}

static void
test_verbose(void **state)
{
	struct ctl_format_resp	r = {0}, s = {0}, t = {0};
	struct ctl_format_group g = {"host[1-2]", &r};
	char		       *out;

	(void)state;
	mock_resp(&r, 2, 0, 2, -1, 0);
	out = render(ctl_format_print_verbose, &g, 1);
	assert_string_equal(out, "---------\n"
				 "host[1-2]\n"
				 "---------\n"
				 "SCM Mount Format Result \n"
				 "--------- ------------- \n"
				 "/mnt/2    CTL_SUCCESS   \n"
				 "\n"
				 "NVMe PCI Format Result Role(s) \n"
				 "-------- ------------- ------- \n"
				 "1        CTL_SUCCESS   NA      \n"
				 "2        CTL_SUCCESS   NA      \n"
				 "\n");
	free(out);

	mock_resp(&s, 2, -1, 2, -1, CTL_BDEV_ROLE_DATA | CTL_BDEV_ROLE_META | CTL_BDEV_ROLE_WAL);
	g.resp = &s;
	out = render(ctl_format_print_verbose, &g, 1);
	assert_non_null(strstr(out, "NVMe PCI Format Result Role(s)       \n"
				    "-------- ------------- -------       \n"
				    "1        CTL_SUCCESS   data,meta,wal \n"));
	free(out);

	/* an "NVMe skipped" placeholder is not listed; already formatted SCM shows its info */
	assert_int_equal(ctl_format_resp_add(&t, true, "/mnt/0", 0, 0, 0, NULL, CTL_FMT_ALREADY),
			 0);
	assert_int_equal(
		ctl_format_resp_add(&t, false, CTL_FMT_NIL_BDEV, 0, 0, 0, NULL, "skipping"), 0);
	g.hosts = "host1";
	g.resp = &t;
	out = render(ctl_format_print_verbose, &g, 1);
	assert_string_equal(out, "-----\n"
				 "host1\n"
				 "-----\n"
				 "SCM Mount Format Result            \n"
				 "--------- -------------            \n"
				 "/mnt/0    SCM is already formatted \n"
				 "\n"
				 "  No NVMe devices were formatted\n"
				 "\n");
	free(out);
	ctl_format_resp_fini(&r);
	ctl_format_resp_fini(&s);
	ctl_format_resp_fini(&t);
}

static void
test_json(void **state)
{
	struct ctl_format_resp r = {0};
	struct d_json	      *w = d_json_create();
	const char	      *t;

	(void)state;
	mock_resp(&r, 1, -1, 1, -1, CTL_BDEV_ROLE_DATA);
	assert_non_null(w);
	ctl_format_json_host(w, NULL, &r);
	assert_int_equal(d_json_finish(w), 0);
	t = d_json_text(w);
	assert_non_null(strstr(t, "\"scm_mount_points\": [\n"));
	assert_non_null(strstr(t, "\"path\": \"/mnt/1\""));
	assert_non_null(strstr(t, "\"info\": \"CTL_SUCCESS\""));
	assert_non_null(strstr(t, "\"pci_addr\": \"1\""));
	assert_non_null(strstr(t, "\"role_bits\": 1"));
	d_json_destroy(w);
	ctl_format_resp_fini(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decide),
		cmocka_unit_test(test_wire),
		cmocka_unit_test(test_errors_and_roles),
		cmocka_unit_test(test_key),
		cmocka_unit_test(test_summary),
		cmocka_unit_test(test_verbose),
		cmocka_unit_test(test_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
