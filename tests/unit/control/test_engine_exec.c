/*
 * daos_engine argv/environment building and the engine's core accounting:
 * upstream's TestConfig_ToCmdVals expectations, every omission rule and
 * every environment rule (precedence, PMEMOBJ_CONF, ABT_THREAD_STACKSIZE,
 * VOS_BDEV_CLASS, pass-through).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "common/cores.h"
#include "control/lib/config/config.h"
#include "daos/daos_errno.h"

static char *pci[] = {"0000:81:00.0"};
static char *file[] = {"/tmp/daos-bdev"};

/* A tier-0 SCM engine as validation would leave it. */
struct fixture {
	struct ctl_engine e;
	struct ctl_tier	  tiers[4];
};

static void
fix_init(struct fixture *f, enum ctl_tier_class scm)
{
	memset(f, 0, sizeof(*f));
	f->tiers[0].class = scm;
	f->tiers[0].scm_mount = "/mnt/daos";
	f->e.storage = f->tiers;
	f->e.nstorage = 1;
	f->e.targets = 4;
	f->e.fabric.provider = "ofi+tcp";
}

static void
add_bdev(struct fixture *f, enum ctl_tier_class c, uint32_t roles)
{
	struct ctl_tier *t = &f->tiers[f->e.nstorage++];

	t->class = c;
	t->bdev_list.v = c == CTL_CLASS_NVME ? pci : file;
	t->bdev_list.n = 1;
	t->bdev_roles = roles;
}

static void
assert_strv(char **got, const char *const *want)
{
	size_t i;

	for (i = 0; want[i] != NULL; i++) {
		assert_non_null(got[i]);
		assert_string_equal(got[i], want[i]);
	}
	assert_null(got[i]);
}

static char **
env_ok(struct fixture *f, const struct ctl_engine_runtime *rt)
{
	struct d_errbuf eb = {{0}};
	char	      **env = NULL;

	assert_int_equal(ctl_engine_envp(&f->e, rt, &env, &eb), 0);
	assert_non_null(env);
	return env;
}

static void
env_err(struct fixture *f, const struct ctl_engine_runtime *rt, const char *msg)
{
	struct d_errbuf eb = {{0}};
	char	      **env = NULL;

	assert_int_equal(ctl_engine_envp(&f->e, rt, &env, &eb), -DER_INVAL);
	assert_null(env);
	assert_string_equal(eb.msg, msg);
}

/* TestConfig_ToCmdVals: same inputs, same arguments and environment. */
static void
test_to_cmd_vals(void **state)
{
	struct fixture		  f;
	struct ctl_engine_runtime rt = {
		.system_name = "test-system",
		.socket_dir = "/var/run/foo",
		.index = 2,
		.nvme_conf = "/path/to/nvme.conf",
		.mem_size_mib = 8192,
		.hugepage_mib = 2,
	};
	const char     *want_args[] = {"daos_engine",
				       "-x",
				       "1",
				       "-t",
				       "4",
				       "-s",
				       "/mnt/test",
				       "-m",
				       "foo,bar,baz",
				       "-f",
				       "8",
				       "-g",
				       "test-system",
				       "-d",
				       "/var/run/foo",
				       "-n",
				       "/path/to/nvme.conf",
				       "-I",
				       "2",
				       "-T",
				       "2",
				       "-p",
				       "1",
				       "-b",
				       "-r",
				       "8192",
				       "-H",
				       "2",
				       NULL};
	const char     *want_env[] = {"D_INTERFACE=ib0",
				      "D_PORT=20",
				      "D_PROVIDER=test+foo",
				      "D_LOG_FILE=/path/to/log",
				      "D_LOG_MASK=LOG_MASK_VALUE",
				      "CRT_TIMEOUT=30",
				      "FI_OFI_RXM_USE_SRX=0",
				      "VOS_BDEV_CLASS=NVME",
				      NULL};
	struct d_errbuf eb = {{0}};
	char	      **argv = NULL;
	char	      **env;

	(void)state;
	fix_init(&f, CTL_CLASS_DCPM);
	f.tiers[0].scm_mount = "/mnt/test";
	/* a bdev tier makes -n meaningful, as upstream's mock storage output path */
	add_bdev(&f, CTL_CLASS_NVME, 0);
	f.e.targets = 4;
	f.e.nr_xs_helpers = 1;
	f.e.first_core = 8;
	f.e.first_core_set = true;
	f.e.pinned_numa_node = 1;
	f.e.pinned_numa_node_set = true;
	f.e.modules = "foo,bar,baz";
	f.e.log_file = "/path/to/log";
	f.e.log_mask = "LOG_MASK_VALUE";
	f.e.fabric.provider = "test+foo";
	f.e.fabric.fabric_iface = "ib0";
	f.e.fabric.fabric_iface_port = 20;
	f.e.fabric.bypass_health_chk = true;
	f.e.fabric.crt_timeout = 30;
	f.e.fabric.disable_srx = true;

	assert_int_equal(ctl_engine_argv(&f.e, &rt, &argv, &eb), 0);
	assert_strv(argv, want_args);
	ctl_strv_free(argv);

	env = env_ok(&f, &rt);
	/* dcpm tier 0: the only auto-injected variable is the stack size */
	assert_string_equal(ctl_strv_getenv(env, "ABT_THREAD_STACKSIZE"), "20480");
	assert_strv(env + 1, want_env);
	ctl_strv_free(env);
}

static void
test_argv_omissions(void **state)
{
	struct fixture		  f;
	struct ctl_engine_runtime rt = {.nvme_conf = "/x/daos_nvme.conf", .system_name = ""};
	const char		 *want[] = {"daos_engine", "-x", "0",  "-s", "/mnt/daos", "-I", "0",
					    "-T",	   "1",	 "-r", "0",  "-H",	  "0",	NULL};
	struct d_errbuf		  eb = {{0}};
	char			**argv = NULL;

	(void)state;
	fix_init(&f, CTL_CLASS_RAM);
	f.e.targets = 0;
	f.e.modules = "";
	/* first_core 0 but not set, pinned 3 but not set: omitted */
	f.e.pinned_numa_node = 3;
	assert_int_equal(ctl_engine_argv(&f.e, &rt, &argv, &eb), 0);
	assert_strv(argv, want);
	ctl_strv_free(argv);

	/* no tiers at all: -s and -T disappear too */
	f.e.nstorage = 0;
	{
		const char *w[] = {"daos_engine", "-x", "0", "-I", "0", "-r", "0", "-H", "0", NULL};

		assert_int_equal(ctl_engine_argv(&f.e, &rt, &argv, &eb), 0);
		assert_strv(argv, w);
		ctl_strv_free(argv);
	}
}

static void
test_argv_extras(void **state)
{
	struct fixture		  f;
	int64_t			  eps[] = {2, 3};
	struct ctl_engine_runtime rt = {.argv0 = "/usr/bin/daos_engine",
					.index = 1,
					.checker = true,
					.mem_size_mib = 1,
					.hugepage_mib = 1024};
	const char		 *want[] = {"/usr/bin/daos_engine",
					    "-x",
					    "2",
					    "-t",
					    "4",
					    "-s",
					    "/mnt/daos",
					    "-f",
					    "0",
					    "-I",
					    "1",
					    "-T",
					    "2",
					    "-S",
					    "2,3",
					    "-r",
					    "1",
					    "-H",
					    "1024",
					    "-C",
					    NULL};
	struct d_errbuf		  eb = {{0}};
	char			**argv = NULL;

	(void)state;
	fix_init(&f, CTL_CLASS_RAM);
	add_bdev(&f, CTL_CLASS_FILE, 0);
	f.e.nr_xs_helpers = 2;
	f.e.first_core_set = true; /* explicit 0 is passed */
	f.e.fabric.secondary_provider_endpoints.v = eps;
	f.e.fabric.secondary_provider_endpoints.n = 2;
	/* bdevs but no conf path given: -n omitted */
	assert_int_equal(ctl_engine_argv(&f.e, &rt, &argv, &eb), 0);
	assert_strv(argv, want);
	ctl_strv_free(argv);
}

static void
test_argv_negative(void **state)
{
	struct fixture		  f;
	struct ctl_engine_runtime rt = {.index = 1};
	struct d_errbuf		  eb = {{0}};
	char			**argv = NULL;

	(void)state;
	fix_init(&f, CTL_CLASS_RAM);
	f.e.nr_xs_helpers = -1;
	assert_int_equal(ctl_engine_argv(&f.e, &rt, &argv, &eb), -DER_INVAL);
	assert_null(argv);
	assert_non_null(strstr(eb.msg, "engine 1: targets, nr_xs_helpers"));

	f.e.nr_xs_helpers = 0;
	f.e.first_core = -2;
	f.e.first_core_set = true;
	assert_int_equal(ctl_engine_argv(&f.e, &rt, &argv, &eb), -DER_INVAL);

	f.e.first_core = 0;
	rt.hugepage_mib = -2;
	assert_int_equal(ctl_engine_argv(&f.e, &rt, &argv, &eb), -DER_INVAL);
	assert_string_equal(eb.msg, "engine 1: mem size (0 MiB) and hugepage size (-2 MiB) must "
				    "not be negative");
	assert_null(argv);
}

/* ram tier, no bdevs, tcp: PMEMOBJ_CONF injected, SRX on, CRT_TIMEOUT always. */
static void
test_env_defaults(void **state)
{
	struct fixture		  f;
	struct ctl_engine_runtime rt = {0};
	const char *want[] = {"PMEMOBJ_CONF=sds.at_create=0", "D_PROVIDER=ofi+tcp", "CRT_TIMEOUT=0",
			      "FI_OFI_RXM_USE_SRX=1", NULL};
	char	  **env;

	(void)state;
	fix_init(&f, CTL_CLASS_RAM);
	env = env_ok(&f, &rt);
	assert_strv(env, want);
	assert_null(ctl_strv_getenv(env, "VOS_BDEV_CLASS"));
	assert_null(ctl_strv_getenv(env, "D_PORT"));
	assert_null(ctl_strv_getenv(env, "ABT_THREAD_STACKSIZE"));
	ctl_strv_free(env);

	f.e.fabric.fabric_auth_key = "secret";
	env = env_ok(&f, &rt);
	assert_string_equal(ctl_strv_getenv(env, "D_PROVIDER_AUTH_KEY"), "secret");
	ctl_strv_free(env);
}

static void
test_env_precedence(void **state)
{
	struct fixture f;
	char	      *vars[] = {
			 "FOO=BAR", "FOO=BAZ",		"BAD_BASE=",   "BAD",
			 "=x",	    "D_LOG_MASK=DEBUG", "PASS_B=user", "COMPLEX=FOO;bar=quux;woof=meow"};
	char *allow[] = {"PASS_A", "PASS_B", "EMPTY"};
	char *environ[] = {"PASS_A=a", "PASS_B=daemon", "SECRET=no", "EMPTY=", "PASS_AX=no", NULL};
	struct ctl_engine_runtime rt = {.environ = environ};
	const char		 *want[] = {"PASS_A=a",
					    "PASS_B=user",
					    "FOO=BAR",
					    "D_LOG_MASK=ERR",
					    "COMPLEX=FOO;bar=quux;woof=meow",
					    "PMEMOBJ_CONF=sds.at_create=0",
					    "D_INTERFACE=eth0",
					    "D_PORT=31416",
					    "D_PROVIDER=ofi+tcp",
					    "D_LOG_FILE=/tmp/e.log",
					    "CRT_TIMEOUT=0",
					    "FI_OFI_RXM_USE_SRX=1",
					    NULL};
	char			**env;

	(void)state;
	fix_init(&f, CTL_CLASS_RAM);
	f.e.env_vars.v = vars;
	f.e.env_vars.n = D_ARRAY_SIZE(vars);
	f.e.env_pass_through.v = allow;
	f.e.env_pass_through.n = D_ARRAY_SIZE(allow);
	f.e.fabric.fabric_iface = "eth0";
	f.e.fabric.fabric_iface_port = 31416;
	f.e.log_file = "/tmp/e.log";
	f.e.log_mask = "ERR";
	env = env_ok(&f, &rt);
	assert_strv(env, want);
	ctl_strv_free(env);
}

static void
test_env_vos_class(void **state)
{
	struct fixture		  f;
	struct ctl_engine_runtime rt = {0};
	char			**env;

	(void)state;
	fix_init(&f, CTL_CLASS_RAM);
	add_bdev(&f, CTL_CLASS_FILE, 0);
	env = env_ok(&f, &rt);
	assert_string_equal(ctl_strv_getenv(env, "VOS_BDEV_CLASS"), "AIO");
	ctl_strv_free(env);

	f.tiers[1].class = CTL_CLASS_KDEV;
	env = env_ok(&f, &rt);
	assert_string_equal(ctl_strv_getenv(env, "VOS_BDEV_CLASS"), "AIO");
	ctl_strv_free(env);

	f.tiers[1].class = CTL_CLASS_NVME;
	env = env_ok(&f, &rt);
	assert_string_equal(ctl_strv_getenv(env, "VOS_BDEV_CLASS"), "NVME");
	ctl_strv_free(env);

	/* a user value does not override the derived class */
	{
		char *vars[] = {"VOS_BDEV_CLASS=AIO"};

		f.e.env_vars.v = vars;
		f.e.env_vars.n = 1;
		env = env_ok(&f, &rt);
		assert_string_equal(ctl_strv_getenv(env, "VOS_BDEV_CLASS"), "NVME");
		ctl_strv_free(env);
	}
}

static void
test_env_pmemobj(void **state)
{
	struct fixture		  f;
	struct ctl_engine_runtime rt = {0};
	char			 *vars[1];
	char			**env;

	(void)state;
	fix_init(&f, CTL_CLASS_RAM);
	f.e.env_vars.v = vars;
	f.e.env_vars.n = 1;

	vars[0] = "PMEMOBJ_CONF=prefault.at_open=1";
	env = env_ok(&f, &rt);
	assert_string_equal(ctl_strv_getenv(env, "PMEMOBJ_CONF"),
			    "prefault.at_open=1;sds.at_create=0");
	ctl_strv_free(env);

	vars[0] = "PMEMOBJ_CONF=sds.at_create=0";
	env = env_ok(&f, &rt);
	assert_string_equal(ctl_strv_getenv(env, "PMEMOBJ_CONF"), "sds.at_create=0");
	ctl_strv_free(env);

	vars[0] = "PMEMOBJ_CONF=sds.at_create=1";
	env_err(&f, &rt,
		"env_var PMEMOBJ_CONF should contain 'sds.at_create=0' for non-DCPM "
		"storage class, found 'sds.at_create=1'");

	f.tiers[0].class = CTL_CLASS_DCPM;
	vars[0] = "PMEMOBJ_CONF=sds.at_create=0";
	env_err(&f, &rt,
		"env_var PMEMOBJ_CONF should NOT contain 'sds.at_create=?' for DCPM "
		"storage class, found 'sds.at_create=0'");

	vars[0] = "PMEMOBJ_CONF=prefault.at_open=1";
	env = env_ok(&f, &rt);
	assert_string_equal(ctl_strv_getenv(env, "PMEMOBJ_CONF"), "prefault.at_open=1");
	ctl_strv_free(env);

	f.e.env_vars.n = 0;
	env = env_ok(&f, &rt);
	assert_null(ctl_strv_getenv(env, "PMEMOBJ_CONF"));
	ctl_strv_free(env);
}

static void
test_env_stacksize(void **state)
{
	struct fixture		  f;
	struct ctl_engine_runtime rt = {0};
	char			 *vars[1];
	char			**env;

	(void)state;
	/* dcpm */
	fix_init(&f, CTL_CLASS_DCPM);
	f.e.env_vars.v = vars;
	vars[0] = "ABT_THREAD_STACKSIZE=20479";
	f.e.env_vars.n = 1;
	env_err(&f, &rt,
		"env_var ABT_THREAD_STACKSIZE should be >= 20480 for DCPM storage "
		"class, found 20479");
	vars[0] = "ABT_THREAD_STACKSIZE=20480";
	env = env_ok(&f, &rt);
	assert_string_equal(ctl_strv_getenv(env, "ABT_THREAD_STACKSIZE"), "20480");
	ctl_strv_free(env);
	vars[0] = "ABT_THREAD_STACKSIZE=20k";
	env_err(&f, &rt, "env_var ABT_THREAD_STACKSIZE has invalid value: 20k");
	vars[0] = "ABT_THREAD_STACKSIZE=-";
	env_err(&f, &rt, "env_var ABT_THREAD_STACKSIZE has invalid value: -");

	/* MD-on-SSD (ram + meta role) */
	fix_init(&f, CTL_CLASS_RAM);
	add_bdev(&f, CTL_CLASS_NVME, CTL_BDEV_ROLE_DATA | CTL_BDEV_ROLE_META | CTL_BDEV_ROLE_WAL);
	env = env_ok(&f, &rt);
	assert_string_equal(ctl_strv_getenv(env, "ABT_THREAD_STACKSIZE"), "24576");
	ctl_strv_free(env);
	f.e.env_vars.v = vars;
	f.e.env_vars.n = 1;
	vars[0] = "ABT_THREAD_STACKSIZE=24575";
	env_err(&f, &rt,
		"env_var ABT_THREAD_STACKSIZE should be >= 24576 for MD on SSD, "
		"found 24575");
	vars[0] = "ABT_THREAD_STACKSIZE=+65536";
	env = env_ok(&f, &rt);
	assert_string_equal(ctl_strv_getenv(env, "ABT_THREAD_STACKSIZE"), "+65536");
	ctl_strv_free(env);

	/* a data-only bdev is not MD-on-SSD */
	fix_init(&f, CTL_CLASS_RAM);
	add_bdev(&f, CTL_CLASS_NVME, CTL_BDEV_ROLE_DATA);
	env = env_ok(&f, &rt);
	assert_null(ctl_strv_getenv(env, "ABT_THREAD_STACKSIZE"));
	ctl_strv_free(env);

	/* UCX: checked first, so dcpm's smaller minimum is satisfied */
	fix_init(&f, CTL_CLASS_DCPM);
	f.e.fabric.provider = "ucx+dc_x";
	env = env_ok(&f, &rt);
	assert_string_equal(ctl_strv_getenv(env, "ABT_THREAD_STACKSIZE"), "32768");
	ctl_strv_free(env);
	f.e.env_vars.v = vars;
	f.e.env_vars.n = 1;
	vars[0] = "ABT_THREAD_STACKSIZE=24576";
	env_err(&f, &rt,
		"env_var ABT_THREAD_STACKSIZE should be >= 32768 for UCX provider, "
		"found 24576");
	/* ofi providers containing "ucx" elsewhere are not UCX */
	f.e.fabric.provider = "ofi+ucx";
	env = env_ok(&f, &rt);
	assert_string_equal(ctl_strv_getenv(env, "ABT_THREAD_STACKSIZE"), "24576");
	ctl_strv_free(env);
}

/* Values coming from the daemon's environment count as set. */
static void
test_env_passthrough_checked(void **state)
{
	struct fixture		  f;
	char			 *allow[] = {"ABT_THREAD_STACKSIZE", "PMEMOBJ_CONF"};
	char			 *environ[] = {"ABT_THREAD_STACKSIZE=4096", NULL};
	struct ctl_engine_runtime rt = {.environ = environ};
	char			**env;

	(void)state;
	fix_init(&f, CTL_CLASS_DCPM);
	f.e.env_pass_through.v = allow;
	f.e.env_pass_through.n = 2;
	env_err(&f, &rt,
		"env_var ABT_THREAD_STACKSIZE should be >= 20480 for DCPM storage "
		"class, found 4096");

	environ[0] = "PMEMOBJ_CONF=x=1";
	f.tiers[0].class = CTL_CLASS_RAM;
	env = env_ok(&f, &rt);
	assert_string_equal(ctl_strv_getenv(env, "PMEMOBJ_CONF"), "x=1;sds.at_create=0");
	ctl_strv_free(env);

	/* not allowed: ignored, so the default is injected */
	f.e.env_pass_through.n = 1;
	env = env_ok(&f, &rt);
	assert_string_equal(ctl_strv_getenv(env, "PMEMOBJ_CONF"), "sds.at_create=0");
	ctl_strv_free(env);
}

static void
test_env_no_tiers(void **state)
{
	struct fixture		  f;
	struct ctl_engine_runtime rt = {0};

	(void)state;
	fix_init(&f, CTL_CLASS_RAM);
	f.e.nstorage = 0;
	env_err(&f, &rt, "Invalid config - no tier 0 defined");
}

static void
test_cores(void **state)
{
	struct d_engine_cores c = {0};
	struct d_errbuf	      eb = {{0}};

	(void)state;
	/* exact fit: 2 + 16 + 4 = 22 */
	assert_int_equal(d_engine_cores_check(16, 4, 22, false, &c, &eb), 0);
	assert_int_equal(c.cores_needed, 22);
	assert_int_equal(c.helpers, 4);
	assert_false(c.helpers_capped || c.no_helpers || c.oversubscribed);
	assert_true(c.helper_pool); /* 4 % 16 != 0 */

	memset(&c, 0xff, sizeof(c));
	assert_int_equal(d_engine_cores_check(16, 4, 21, false, &c, &eb), -DER_INVAL);
	assert_int_equal(c.helpers, UINT32_MAX); /* untouched on error */
	assert_string_equal(eb.msg, "cannot start engine with 16 targets 4 xs_helpers on 21 cores, "
				    "may try with DAOS_TARGET_OVERSUBSCRIBE=1 or reduce "
				    "#targets/#nr_xs_helpers(2 cores reserved for system service)");

	assert_int_equal(d_engine_cores_check(16, 4, 21, true, &c, &eb), 0);
	assert_true(c.oversubscribed);

	/* helpers capped at 2 x targets, before counting cores */
	assert_int_equal(d_engine_cores_check(2, 9, 8, false, &c, &eb), 0);
	assert_true(c.helpers_capped);
	assert_int_equal(c.helpers, 4);
	assert_int_equal(c.cores_needed, 8);
	assert_false(c.helper_pool);
	assert_int_equal(d_engine_cores_check(2, 4, 8, false, &c, &eb), 0);
	assert_false(c.helpers_capped);

	assert_int_equal(d_engine_cores_check(8, 0, 10, false, &c, &eb), 0);
	assert_true(c.no_helpers);
	assert_false(c.helper_pool);
	assert_int_equal(d_engine_cores_check(8, 8, 18, false, &c, &eb), 0);
	assert_false(c.no_helpers);
	assert_false(c.helper_pool);

	assert_int_equal(d_engine_cores_check(0, 0, 18, false, &c, &eb), -DER_INVAL);
	assert_string_equal(eb.msg, "cannot start engine with 0 targets on 18 cores: both must be "
				    "non-zero");
	assert_int_equal(d_engine_cores_check(1, 0, 0, true, &c, &eb), -DER_INVAL);
}

static void
test_strv(void **state)
{
	char *v[] = {"A=1", "AB=2", "B=", NULL};

	(void)state;
	assert_string_equal(ctl_strv_getenv(v, "AB"), "2");
	assert_string_equal(ctl_strv_getenv(v, "A"), "1");
	assert_string_equal(ctl_strv_getenv(v, "B"), "");
	assert_null(ctl_strv_getenv(v, "C"));
	assert_null(ctl_strv_getenv(v, ""));
	assert_null(ctl_strv_getenv(NULL, "A"));
	ctl_strv_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_to_cmd_vals),
		cmocka_unit_test(test_argv_omissions),
		cmocka_unit_test(test_argv_extras),
		cmocka_unit_test(test_argv_negative),
		cmocka_unit_test(test_env_defaults),
		cmocka_unit_test(test_env_precedence),
		cmocka_unit_test(test_env_vos_class),
		cmocka_unit_test(test_env_pmemobj),
		cmocka_unit_test(test_env_stacksize),
		cmocka_unit_test(test_env_passthrough_checked),
		cmocka_unit_test(test_env_no_tiers),
		cmocka_unit_test(test_cores),
		cmocka_unit_test(test_strv),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
