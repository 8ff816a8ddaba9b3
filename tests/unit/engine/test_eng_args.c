/*
 * Unit tests of daos_engine's option/environment parser, provider name
 * translation and xstream placement (eng_args.c, eng_fabric.c, eng_xs.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "daos/daos_errno.h"
#include "engine/engine.h"

static char *base_env[] = {"D_INTERFACE=lo",   "D_PROVIDER=ofi+tcp",	      "D_PORT=31416",
			   "D_LOG_MASK=DEBUG", "DAOS_TARGET_OVERSUBSCRIBE=1", NULL};

static int
parse(struct eng_opts *o, struct d_errbuf *eb, char *const *env, ...)
{
	char   *argv[32] = {"daos_engine"};
	int	argc = 1;
	va_list ap;

	va_start(ap, env);
	while ((argv[argc] = va_arg(ap, char *)) != NULL)
		argc++;
	va_end(ap);
	return eng_opts_parse(argc, argv, env, o, eb);
}

static void
test_full_command_line(void **state)
{
	struct eng_opts o;
	struct d_errbuf eb = {{0}};

	(void)state;
	assert_int_equal(parse(&o, &eb, base_env, "-t", "8", "-x", "2", "-f", "1", "-g", "sys1",
			       "-s", "/mnt/daos", "-d", "/run/d", "-n", "/x/nvme.conf", "-I", "1",
			       "-T", "2", "-r", "4096", "-H", "2", "-b", "-C", "-m", "vos", NULL),
			 0);
	assert_int_equal(o.targets, 8);
	assert_int_equal(o.helpers, 2);
	assert_int_equal(o.first_core, 1);
	assert_int_equal(o.numa_node, -1);
	assert_string_equal(o.group, "sys1");
	assert_string_equal(o.storage, "/mnt/daos");
	assert_string_equal(o.socket_dir, "/run/d");
	assert_string_equal(o.nvme_conf, "/x/nvme.conf");
	assert_int_equal(o.instance, 1);
	assert_int_equal(o.tiers, 2);
	assert_int_equal(o.mem_size_mib, 4096);
	assert_int_equal(o.hugepage_mib, 2);
	assert_true(o.bypass_health && o.check_mode && o.oversubscribe);
	assert_string_equal(o.modules, "vos");
	assert_string_equal(o.interface, "lo");
	assert_string_equal(o.provider, "ofi+tcp");
	assert_int_equal(o.port, 31416);
	assert_string_equal(o.log_mask, "DEBUG");
	assert_null(o.log_file);
	eng_opts_fini(&o);
}

static void
test_defaults_and_alias(void **state)
{
	struct eng_opts o;
	struct d_errbuf eb = {{0}};
	char	       *env[] = {"D_INTERFACE=eth0", "D_PROVIDER=ofi+sockets", NULL};

	(void)state;
	assert_int_equal(parse(&o, &eb, env, "--cores=3", "--pinned_numa_node=1", NULL), 0);
	assert_int_equal(o.targets, 3);
	assert_int_equal(o.numa_node, 1);
	assert_string_equal(o.group, ENG_DEFAULT_GROUP);
	assert_string_equal(o.socket_dir, ENG_DEFAULT_SOCKDIR);
	assert_false(o.oversubscribe);
	assert_int_equal(o.port, 0);
	eng_opts_fini(&o);
	/* parsing twice works (getopt state is reset) */
	assert_int_equal(parse(&o, &eb, env, "-t", "1", NULL), 0);
	eng_opts_fini(&o);
	eng_opts_fini(NULL);
}

static void
test_errors(void **state)
{
	struct eng_opts o;
	struct d_errbuf eb = {{0}};

	(void)state;
	assert_int_equal(parse(&o, &eb, base_env, "-t", "0", NULL), -DER_INVAL);
	assert_non_null(strstr(eb.msg, "missing -t"));
	assert_int_equal(parse(&o, &eb, base_env, "-t", "70000", NULL), -DER_INVAL);
	assert_non_null(strstr(eb.msg, "from 0 to 65535"));
	assert_int_equal(parse(&o, &eb, base_env, "-t", "1", "-g", "", NULL), -DER_INVAL);
	assert_non_null(strstr(eb.msg, "1 to 15 characters"));
	assert_int_equal(parse(&o, &eb, base_env, "-t", "1", "--bogus", NULL), -DER_INVAL);
	assert_non_null(strstr(eb.msg, "unknown option --bogus"));
	assert_int_equal(parse(&o, &eb, base_env, "-t", "1", "-S", "1,2", NULL), -DER_INVAL);
	assert_non_null(strstr(eb.msg, "-S names 2 secondary"));
	assert_int_equal(parse(&o, &eb, NULL, "-t", "1", NULL), -DER_INVAL);
	assert_non_null(strstr(eb.msg, "D_PROVIDER and D_INTERFACE"));
}

static void
test_help(void **state)
{
	struct eng_opts o;
	struct d_errbuf eb = {{0}};

	(void)state;
	assert_int_equal(parse(&o, &eb, NULL, "-h", NULL), 0);
	assert_true(o.help);
	eng_opts_fini(&o);
}

static void
test_ofi_name(void **state)
{
	(void)state;
	assert_string_equal(eng_fabric_ofi_name("ofi+tcp"), "tcp");
	assert_string_equal(eng_fabric_ofi_name("ofi+verbs;ofi_rxm"), "verbs;ofi_rxm");
	assert_null(eng_fabric_ofi_name("ucx+rc"));
	assert_null(eng_fabric_ofi_name("ofi+"));
	assert_null(eng_fabric_ofi_name(NULL));
}

static void
test_plan_placement(void **state)
{
	struct eng_opts	   o = {.targets = 3, .helpers = 2, .numa_node = -1, .oversubscribe = true};
	struct eng_xs_plan p;
	struct d_errbuf	   eb = {{0}};

	(void)state;
	assert_int_equal(eng_xs_plan(&o, &p, &eb), 0);
	/* 3 system xstreams, 3 targets, then a shared pool of 2 helpers */
	assert_int_equal(p.nxs, 8);
	assert_true(p.helper_pool);
	assert_string_equal(p.xs[0].name, "daos_sys_0");
	assert_int_equal(p.xs[0].core, 0);
	assert_int_equal(p.xs[1].core, 1 % p.ncores);
	assert_int_equal(p.xs[2].core, p.xs[1].core);
	assert_string_equal(p.xs[3].name, "daos_io_0");
	assert_int_equal(p.xs[3].core, 2 % p.ncores);
	assert_string_equal(p.xs[6].name, "daos_off_0");
	/* slot 6: XS0, SWIM+dRPC, three targets, one helper before it */
	assert_int_equal(p.xs[7].core, 6 % p.ncores);
	assert_string_equal(p.mode_line, "Using legacy core allocation algorithm");
	eng_xs_plan_fini(&p);

	/* helpers % targets == 0: each target followed by its own helper */
	o.targets = 2;
	o.helpers = 2;
	assert_int_equal(eng_xs_plan(&o, &p, &eb), 0);
	assert_false(p.helper_pool);
	assert_string_equal(p.xs[3].name, "daos_io_0");
	assert_string_equal(p.xs[4].name, "daos_off_0");
	assert_string_equal(p.xs[5].name, "daos_io_1");
	assert_string_equal(p.xs[6].name, "daos_off_1");
	eng_xs_plan_fini(&p);

	/* too many cores asked without oversubscription */
	o.targets = 4096;
	o.oversubscribe = false;
	assert_int_equal(eng_xs_plan(&o, &p, &eb), -DER_INVAL);
	assert_non_null(strstr(eb.msg, "DAOS_TARGET_OVERSUBSCRIBE=1"));
	eng_xs_plan_fini(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_command_line),
		cmocka_unit_test(test_defaults_and_alias),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_help),
		cmocka_unit_test(test_ofi_name),
		cmocka_unit_test(test_plan_placement),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
