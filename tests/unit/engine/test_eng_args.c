/*
 * Unit tests of daos_engine's option/environment parser, provider name
 * translation and xstream placement (eng_args.c, eng_fabric.c, eng_xs.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
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

/*
 * Placement on fixture topologies (hwloc reads HWLOC_XMLFILE at load):
 * wolf has 2 NUMA nodes of 24 cores with 2 hardware threads each (core k of
 * node n is CPUs 24n+k and 48+24n+k), asym has 8 cores on node 0 and 16 on
 * node 1, one thread each (core k is CPU k).
 */
static void
use_fixture(const char *host)
{
	const char *src = getenv("DAOS_SOURCE_DIR");
	char	    path[4096];

	assert_non_null(src);
	snprintf(path, sizeof(path), "%s/tests/fixtures/hosts/%s/topology.xml", src, host);
	assert_int_equal(setenv("HWLOC_XMLFILE", path, 1), 0);
}

/* "name:cpu,cpu name:cpu ..." for every xstream of the plan, in plan order. */
static const char *
plan_cpus(const struct eng_xs_plan *p)
{
	static char buf[4096];
	size_t	    o = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < p->nxs; i++) {
		const char *sep = ":";

		assert_true(p->xs[i].core < p->ncores);
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%s%s", i ? " " : "",
				      p->xs[i].name);
		for (int c = 0; c < CPU_SETSIZE; c++) {
			if (!CPU_ISSET(c, &p->cpus[p->xs[i].core]))
				continue;
			o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%s%d", sep, c);
			sep = ",";
		}
		assert_true(o < sizeof(buf));
	}
	return buf;
}

static void
test_plan_fixture_legacy(void **state)
{
	struct eng_opts	   o = {.targets = 4, .helpers = 4, .first_core = 3, .numa_node = -1};
	struct eng_xs_plan p;
	struct d_errbuf	   eb = {{0}};

	(void)state;
	use_fixture("wolf");
	assert_int_equal(eng_xs_plan(&o, &p, &eb), 0);
	assert_int_equal(p.ncores, 48);
	assert_false(p.oversubscribed);
	assert_false(p.helper_pool);
	assert_string_equal(p.mode_line, "Using legacy core allocation algorithm");
	/* cores from first_core 3 on, each target followed by its helper */
	assert_string_equal(plan_cpus(&p), "daos_sys_0:3,51 daos_swim:4,52 daos_drpc:4,52 "
					   "daos_io_0:5,53 daos_off_0:6,54 daos_io_1:7,55 "
					   "daos_off_1:8,56 daos_io_2:9,57 daos_off_2:10,58 "
					   "daos_io_3:11,59 daos_off_3:12,60");
	eng_xs_plan_fini(&p);

	/* first_core 0: the same placement three cores earlier */
	o.first_core = 0;
	assert_int_equal(eng_xs_plan(&o, &p, &eb), 0);
	assert_string_equal(plan_cpus(&p), "daos_sys_0:0,48 daos_swim:1,49 daos_drpc:1,49 "
					   "daos_io_0:2,50 daos_off_0:3,51 daos_io_1:4,52 "
					   "daos_off_1:5,53 daos_io_2:6,54 daos_off_2:7,55 "
					   "daos_io_3:8,56 daos_off_3:9,57");
	eng_xs_plan_fini(&p);
	unsetenv("HWLOC_XMLFILE");
}

static void
test_plan_fixture_numa(void **state)
{
	struct eng_opts	   o = {.targets = 6, .helpers = 3, .numa_node = 1};
	struct eng_xs_plan p;
	struct d_errbuf	   eb = {{0}};

	(void)state;
	use_fixture("wolf");
	assert_int_equal(eng_xs_plan(&o, &p, &eb), 0);
	assert_int_equal(p.ncores, 24);
	assert_false(p.oversubscribed);
	assert_true(p.helper_pool);
	assert_string_equal(p.mode_line, "Using NUMA core allocation algorithm");
	/* only node 1's cores (24-47), from its first; the helper pool after the targets */
	assert_string_equal(plan_cpus(&p), "daos_sys_0:24,72 daos_swim:25,73 daos_drpc:25,73 "
					   "daos_io_0:26,74 daos_io_1:27,75 daos_io_2:28,76 "
					   "daos_io_3:29,77 daos_io_4:30,78 daos_io_5:31,79 "
					   "daos_off_0:32,80 daos_off_1:33,81 daos_off_2:34,82");
	eng_xs_plan_fini(&p);

	/* -f counts within the node */
	o.first_core = 2;
	assert_int_equal(eng_xs_plan(&o, &p, &eb), 0);
	assert_string_equal(plan_cpus(&p), "daos_sys_0:26,74 daos_swim:27,75 daos_drpc:27,75 "
					   "daos_io_0:28,76 daos_io_1:29,77 daos_io_2:30,78 "
					   "daos_io_3:31,79 daos_io_4:32,80 daos_io_5:33,81 "
					   "daos_off_0:34,82 daos_off_1:35,83 daos_off_2:36,84");
	eng_xs_plan_fini(&p);

	/* asym's node 0: its 8 cores only */
	use_fixture("asym");
	o.numa_node = 0;
	o.first_core = 0;
	o.targets = 4;
	o.helpers = 2;
	assert_int_equal(eng_xs_plan(&o, &p, &eb), 0);
	assert_int_equal(p.ncores, 8);
	assert_string_equal(plan_cpus(&p), "daos_sys_0:0 daos_swim:1 daos_drpc:1 daos_io_0:2 "
					   "daos_io_1:3 daos_io_2:4 daos_io_3:5 daos_off_0:6 "
					   "daos_off_1:7");
	eng_xs_plan_fini(&p);

	/* a first core beyond the node's cores */
	o.first_core = 8;
	assert_int_equal(eng_xs_plan(&o, &p, &eb), -DER_INVAL);
	assert_string_equal(eb.msg, "invalid -f (first core) 8: it must be below the 8 usable "
				    "core(s) of the NUMA node");
	unsetenv("HWLOC_XMLFILE");
}

static void
test_plan_fixture_oversubscribed(void **state)
{
	struct eng_opts	   o = {.targets = 16, .helpers = 8, .numa_node = -1};
	struct eng_xs_plan p;
	struct d_errbuf	   eb = {{0}};

	(void)state;
	use_fixture("asym");
	/* 2 + 16 + 8 cores needed, 24 there */
	assert_int_equal(eng_xs_plan(&o, &p, &eb), -DER_INVAL);
	assert_non_null(strstr(eb.msg, "cannot start engine with 16 targets 8 xs_helpers on 24 "
				       "cores, may try with DAOS_TARGET_OVERSUBSCRIBE=1"));
	o.oversubscribe = true;
	assert_int_equal(eng_xs_plan(&o, &p, &eb), 0);
	assert_int_equal(p.ncores, 24);
	assert_true(p.oversubscribed);
	assert_true(p.helper_pool);
	assert_string_equal(p.mode_line, "Using legacy core allocation algorithm");
	/* the last two helpers wrap around to cores 0 and 1 */
	assert_string_equal(plan_cpus(&p),
			    "daos_sys_0:0 daos_swim:1 daos_drpc:1 daos_io_0:2 daos_io_1:3 "
			    "daos_io_2:4 daos_io_3:5 daos_io_4:6 daos_io_5:7 daos_io_6:8 "
			    "daos_io_7:9 daos_io_8:10 daos_io_9:11 daos_io_10:12 daos_io_11:13 "
			    "daos_io_12:14 daos_io_13:15 daos_io_14:16 daos_io_15:17 "
			    "daos_off_0:18 daos_off_1:19 daos_off_2:20 daos_off_3:21 "
			    "daos_off_4:22 daos_off_5:23 daos_off_6:0 daos_off_7:1");
	eng_xs_plan_fini(&p);

	/*
	 * Enough cores, but counted from first_core 44 of 48: two helpers per
	 * target, wrapping to core 0 after core 47.
	 */
	use_fixture("wolf");
	o.targets = 2;
	o.helpers = 4;
	o.first_core = 44;
	o.oversubscribe = false;
	assert_int_equal(eng_xs_plan(&o, &p, &eb), 0);
	assert_false(p.oversubscribed);
	assert_string_equal(plan_cpus(&p), "daos_sys_0:44,92 daos_swim:45,93 daos_drpc:45,93 "
					   "daos_io_0:46,94 daos_off_0:47,95 daos_off_1:0,48 "
					   "daos_io_1:1,49 daos_off_2:2,50 daos_off_3:3,51");
	eng_xs_plan_fini(&p);
	unsetenv("HWLOC_XMLFILE");
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
		cmocka_unit_test(test_plan_fixture_legacy),
		cmocka_unit_test(test_plan_fixture_numa),
		cmocka_unit_test(test_plan_fixture_oversubscribed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
