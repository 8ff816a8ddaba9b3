/*
 * Unit tests for the topology module: every fixture host (counts, PCI and
 * network-interface NUMA lookups), the backend choice (ctl_hw_use, and
 * DAOS_HW_ROOT read once per process), the real machine, bad fixture files
 * and out-of-memory paths.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/common.h"
#include "control/lib/hw/hw.h"

static char fixtures[PATH_MAX / 2];

static struct ctl_topology *
load_host(const char *host)
{
	struct ctl_topology *t = NULL;
	struct d_errbuf	     eb = {{0}};
	char		     path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s/topology.xml", fixtures, host);
	assert_int_equal(ctl_topo_load_xml(path, &t, &eb), 0);
	assert_non_null(t);
	return t;
}

static void
expect_pci(const struct ctl_topology *t, const char *addr, unsigned want)
{
	unsigned numa = 99;

	assert_int_equal(ctl_topo_pci_numa(t, addr, &numa), 0);
	assert_int_equal(numa, want);
}

static void
expect_net(const struct ctl_topology *t, const char *ifname, unsigned want)
{
	unsigned numa = 99;

	assert_int_equal(ctl_topo_netdev_numa(t, ifname, &numa), 0);
	assert_int_equal(numa, want);
}

static void
test_local(void **state)
{
	struct ctl_topology	    *t = load_host("local");
	const struct ctl_topo_osdev *d;

	(void)state;
	assert_int_equal(ctl_topo_numa_count(t), 1);
	assert_int_equal(t->numa[0].id, 0);
	assert_int_equal(t->ncores, 2);
	assert_int_equal(ctl_topo_cores_per_numa(t), 2);
	assert_int_equal(t->numa[0].npus, 2);
	assert_int_equal(t->npci, 2);
	expect_pci(t, "0000:00:03.0", 0);
	expect_net(t, "eth0", 0);
	d = ctl_topo_osdev_find(t, "vda");
	assert_non_null(d);
	assert_int_equal(d->type, CTL_OSDEV_BLOCK);
	assert_string_equal(t->pci[d->pci].addr, "0000:00:02.0");
	assert_int_equal(t->pci[d->pci].class_id, 0x0180);
	assert_true(strstr(t->source, "local/topology.xml") != NULL);
	ctl_topo_free(t);
}

static void
test_wolf(void **state)
{
	struct ctl_topology	    *t = load_host("wolf");
	const struct ctl_topo_osdev *d;
	unsigned		     numa = 77;

	(void)state;
	assert_int_equal(ctl_topo_numa_count(t), 2);
	assert_int_equal(t->numa[0].id, 0);
	assert_int_equal(t->numa[1].id, 1);
	assert_int_equal(t->numa[0].ncores, 24);
	assert_int_equal(t->numa[1].ncores, 24);
	/* Two hardware threads per core: cores, not threads, are counted. */
	assert_int_equal(t->numa[0].npus, 48);
	assert_int_equal(t->ncores, 48);
	assert_int_equal(ctl_topo_cores_per_numa(t), 24);
	assert_non_null(ctl_topo_numa_get(t, 1));
	assert_null(ctl_topo_numa_get(t, 2));

	expect_pci(t, "0000:81:00.0", 0);
	expect_pci(t, "0000:87:00.0", 0);
	expect_pci(t, "0000:da:00.0", 1);
	/* Short form and upper case name the same device. */
	expect_pci(t, "da:00.0", 1);
	expect_pci(t, "0000:DA:00.0", 1);
	expect_net(t, "ib0", 0);
	expect_net(t, "eth0", 0);
	expect_net(t, "ib1", 1);
	expect_net(t, "eth1", 1);

	d = ctl_topo_osdev_find(t, "mlx5_1");
	assert_non_null(d);
	assert_int_equal(d->type, CTL_OSDEV_OPENFABRICS);
	assert_int_equal(d->numa, 1);
	assert_string_equal(t->pci[d->pci].addr, "0000:af:00.0");
	assert_int_equal(t->pci[d->pci].class_id, 0x0207);
	d = ctl_topo_osdev_find(t, "nvme2n1");
	assert_non_null(d);
	assert_string_equal(t->pci[d->pci].addr, "0000:da:00.0");

	/* Not there, or not a network interface. */
	assert_int_equal(ctl_topo_pci_numa(t, "0000:82:00.0", &numa), -DER_NONEXIST);
	assert_int_equal(ctl_topo_netdev_numa(t, "ib7", &numa), -DER_NONEXIST);
	assert_int_equal(ctl_topo_netdev_numa(t, "mlx5_0", &numa), -DER_NONEXIST);
	assert_int_equal(ctl_topo_netdev_numa(t, "nvme0n1", &numa), -DER_NONEXIST);
	assert_int_equal(numa, 77);
	ctl_topo_free(t);
}

static void
test_asym(void **state)
{
	struct ctl_topology *t = load_host("asym");

	(void)state;
	assert_int_equal(ctl_topo_numa_count(t), 2);
	assert_int_equal(t->numa[0].ncores, 8);
	assert_int_equal(t->numa[1].ncores, 16);
	assert_int_equal(t->ncores, 24);
	/* The smallest node bounds what every engine can use. */
	assert_int_equal(ctl_topo_cores_per_numa(t), 8);
	expect_pci(t, "0000:5e:00.0", 1);
	expect_pci(t, "0000:5f:00.0", 1);
	expect_net(t, "ib0", 0);
	expect_net(t, "eth0", 0);
	ctl_topo_free(t);
}

static void
test_no_numa(void **state)
{
	struct ctl_topology *t = load_host("nonuma");

	(void)state;
	assert_int_equal(ctl_topo_numa_count(t), 1);
	assert_int_equal(t->numa[0].id, 0);
	assert_int_equal(t->numa[0].ncores, 4);
	assert_int_equal(ctl_topo_cores_per_numa(t), 4);
	assert_int_equal(t->npci, 0);
	assert_int_equal(t->nosdev, 0);
	ctl_topo_free(t);
}

static char *
write_tmp(const char *text)
{
	char  tmpl[] = "/tmp/daos_topo_XXXXXX";
	int   fd = mkstemp(tmpl);
	FILE *f;

	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return strdup(tmpl);
}

/* Hardware threads without core objects (some VMs): each thread counts as a core. */
static void
test_pus_without_cores(void **state)
{
	static const char    xml[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
				     "<!DOCTYPE topology SYSTEM \"hwloc.dtd\">\n<topology>\n"
				     "  <object type=\"Machine\" os_index=\"0\" cpuset=\"0x00000007\" "
				     "complete_cpuset=\"0x00000007\" online_cpuset=\"0x00000007\" "
				     "allowed_cpuset=\"0x00000007\">\n"
				     "    <object type=\"PU\" os_index=\"0\" cpuset=\"0x00000001\" "
				     "complete_cpuset=\"0x00000001\" online_cpuset=\"0x00000001\" "
				     "allowed_cpuset=\"0x00000001\"/>\n"
				     "    <object type=\"PU\" os_index=\"1\" cpuset=\"0x00000002\" "
				     "complete_cpuset=\"0x00000002\" online_cpuset=\"0x00000002\" "
				     "allowed_cpuset=\"0x00000002\"/>\n"
				     "    <object type=\"PU\" os_index=\"2\" cpuset=\"0x00000004\" "
				     "complete_cpuset=\"0x00000004\" online_cpuset=\"0x00000004\" "
				     "allowed_cpuset=\"0x00000004\"/>\n"
				     "  </object>\n</topology>\n";
	char		    *path = write_tmp(xml);
	struct ctl_topology *t = NULL;
	struct d_errbuf	     eb = {{0}};

	(void)state;
	assert_int_equal(ctl_topo_load_xml(path, &t, &eb), 0);
	assert_int_equal(ctl_topo_numa_count(t), 1);
	assert_int_equal(t->ncores, 3);
	assert_int_equal(ctl_topo_cores_per_numa(t), 3);
	ctl_topo_free(t);
	unlink(path);
	free(path);
}

static void
test_pci_addr_normalize(void **state)
{
	char buf[16];

	(void)state;
	assert_int_equal(ctl_pci_addr_normalize("0000:81:00.0", buf), 0);
	assert_string_equal(buf, "0000:81:00.0");
	assert_int_equal(ctl_pci_addr_normalize("5E:00.1", buf), 0);
	assert_string_equal(buf, "0000:5e:00.1");
	assert_int_equal(ctl_pci_addr_normalize("10000:81:00.0", buf), -DER_INVAL);
	assert_int_equal(ctl_pci_addr_normalize("0000:81:00", buf), -DER_INVAL);
	assert_int_equal(ctl_pci_addr_normalize("0000:81:00.0x", buf), -DER_INVAL);
	assert_int_equal(ctl_pci_addr_normalize("0000:81:20.0", buf), -DER_INVAL);
	assert_int_equal(ctl_pci_addr_normalize("0000:81:00.8", buf), -DER_INVAL);
	assert_int_equal(ctl_pci_addr_normalize("0000:-1:00.0", buf), -DER_INVAL);
	assert_int_equal(ctl_pci_addr_normalize("zz:00.0", buf), -DER_INVAL);
	assert_int_equal(ctl_pci_addr_normalize("", buf), -DER_INVAL);
	assert_int_equal(ctl_pci_addr_normalize(NULL, buf), -DER_INVAL);
}

static void
test_bad_pci_lookup(void **state)
{
	struct ctl_topology *t = load_host("wolf");
	unsigned	     numa = 5;

	(void)state;
	assert_int_equal(ctl_topo_pci_numa(t, "nvme0", &numa), -DER_INVAL);
	assert_int_equal(numa, 5);
	ctl_topo_free(t);
}

static void
test_hw_root(void **state)
{
	struct ctl_topology *t = NULL;
	struct d_errbuf	     eb = {{0}};
	char		     root[PATH_MAX];

	(void)state;
	snprintf(root, sizeof(root), "%s/wolf", fixtures);
	ctl_hw_use(root);
	assert_int_equal(ctl_topo_load(&t, &eb), 0);
	assert_int_equal(ctl_topo_numa_count(t), 2);
	ctl_topo_free(t);

	/* A hardware root without a topology is an error naming the file. */
	ctl_hw_use("/nonexistent-daos-hw-root");
	t = NULL;
	assert_int_equal(ctl_topo_load(&t, &eb), -DER_NONEXIST);
	assert_null(t);
	assert_non_null(strstr(eb.msg, "/nonexistent-daos-hw-root/topology.xml"));
	assert_non_null(strstr(eb.msg, "tests/fixtures/README.md"));
	ctl_hw_use(NULL);
}

static void
test_real_machine(void **state)
{
	struct ctl_topology *t = NULL;
	struct d_errbuf	     eb = {{0}};
	unsigned	     i, pus = 0, cores = 0;
	long		     ncpu = sysconf(_SC_NPROCESSORS_CONF);

	(void)state;
	ctl_hw_use(NULL);
	assert_int_equal(ctl_topo_load(&t, &eb), 0);
	assert_true(ctl_topo_numa_count(t) >= 1);
	for (i = 0; i < t->nnuma; i++) {
		pus += t->numa[i].npus;
		cores += t->numa[i].ncores;
	}
	assert_int_equal(cores, t->ncores);
	assert_true(t->ncores >= 1);
	assert_true(pus >= t->ncores);
	assert_true((long)pus <= ncpu);
	assert_string_equal(t->source, "hwloc");
	ctl_topo_free(t);
}

static void
test_bad_xml(void **state)
{
	struct ctl_topology *t = NULL;
	struct d_errbuf	     eb = {{0}};
	char		    *path = write_tmp("this is not XML\n");

	(void)state;
	assert_int_equal(ctl_topo_load_xml(path, &t, &eb), -DER_INVAL);
	assert_null(t);
	assert_non_null(strstr(eb.msg, path));
	assert_non_null(strstr(eb.msg, "make_topology.py"));
	unlink(path);
	free(path);

	/* A directory cannot be read as a file. */
	assert_int_equal(ctl_topo_load_xml("/", &t, &eb), -DER_INVAL);
	assert_null(t);

	assert_int_equal(ctl_topo_load_xml("/nonexistent/topology.xml", &t, &eb), -DER_NONEXIST);
	assert_non_null(strstr(eb.msg, "/nonexistent/topology.xml"));
	ctl_topo_free(NULL);
}

/*
 * Child side of test_env_read_once (a fresh process, DAOS_HW_ROOT=<wolf>):
 * the first ctl_hw() takes the fixture; changing the environment later
 * changes nothing.  Exit 0 when all holds, else the failed step.
 */
static int
env_child(void)
{
	struct ctl_topology *t = NULL;
	struct d_errbuf	     eb = {{0}};
	const char	    *want = getenv("DAOS_HW_ROOT");
	char		     name[64];
	int		     n;

	if (want == NULL)
		return 1;
	if (want[0] == '\0')
		return strcmp(ctl_hw()->name, "machine") == 0 ? 0 : 2;
	if (strcmp(ctl_hw()->name, "fixture") != 0)
		return 3;
	setenv("DAOS_HW_ROOT", "/nonexistent-daos-hw-root", 1);
	if (ctl_topo_load(&t, &eb) != 0)
		return 4;
	n = (int)ctl_topo_numa_count(t);
	ctl_topo_free(t);
	unsetenv("DAOS_HW_ROOT");
	ctl_hw()->host_name(name, sizeof(name));
	if (strcmp(ctl_hw()->name, "fixture") != 0 || strcmp(name, "wolf") != 0)
		return 5;
	return n == 2 ? 0 : 6;
}

static int
run_env_child(const char *root)
{
	pid_t pid = fork();
	int   status;

	assert_true(pid >= 0);
	if (pid == 0) {
		setenv("DAOS_HW_ROOT", root, 1);
		execl("/proc/self/exe", "test_topology", "--env-child", (char *)NULL);
		_exit(30);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static void
test_env_read_once(void **state)
{
	char root[PATH_MAX];

	(void)state;
	snprintf(root, sizeof(root), "%s/wolf", fixtures);
	assert_int_equal(run_env_child(root), 0);
	/* Empty is unset: the machine. */
	assert_int_equal(run_env_child(""), 0);
}

/* Child side of test_out_of_memory: load with the Nth allocation failing. */
static int
oom_child(const char *path)
{
	struct ctl_topology *t = NULL;
	struct d_errbuf	     eb = {{0}};
	int		     rc;

	rc = ctl_topo_load_xml(path, &t, &eb);
	ctl_topo_free(t);
	return rc == 0 ? 0 : (rc == -DER_NOMEM && eb.msg[0] != '\0') ? 10 : 20;
}

/*
 * Fail the Nth allocation until loading succeeds: every failure must come
 * back as -DER_NOMEM (and, in the sanitizer build, without leaking).  The
 * fault injection is read once per process, so each N runs in a fresh
 * execution of this test binary.
 */
static void
test_out_of_memory(void **state)
{
	char path[PATH_MAX];
	int  n, ok = 0;

	(void)state;
	snprintf(path, sizeof(path), "%s/wolf/topology.xml", fixtures);
	for (n = 1; n < 500 && !ok; n++) {
		pid_t pid = fork();
		int   status;

		assert_true(pid >= 0);
		if (pid == 0) {
			char v[16];

			snprintf(v, sizeof(v), "%d", n);
			setenv("D_FI_ALLOC_FAIL", v, 1);
			execl("/proc/self/exe", "test_topology", "--oom-child", path, (char *)NULL);
			_exit(30);
		}
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFEXITED(status));
		assert_true(WEXITSTATUS(status) == 0 || WEXITSTATUS(status) == 10);
		ok = WEXITSTATUS(status) == 0;
	}
	assert_true(ok);
	assert_true(n > 5); /* the injection did reach several allocations */
}

int
main(int argc, char **argv)
{
	const char	       *src = getenv("DAOS_SOURCE_DIR");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_local),
		cmocka_unit_test(test_wolf),
		cmocka_unit_test(test_asym),
		cmocka_unit_test(test_no_numa),
		cmocka_unit_test(test_pus_without_cores),
		cmocka_unit_test(test_pci_addr_normalize),
		cmocka_unit_test(test_bad_pci_lookup),
		cmocka_unit_test(test_hw_root),
		cmocka_unit_test(test_env_read_once),
		cmocka_unit_test(test_real_machine),
		cmocka_unit_test(test_bad_xml),
		cmocka_unit_test(test_out_of_memory),
	};

	if (argc == 3 && strcmp(argv[1], "--oom-child") == 0)
		return oom_child(argv[2]);
	if (argc == 2 && strcmp(argv[1], "--env-child") == 0)
		return env_child();
	snprintf(fixtures, sizeof(fixtures), "%s/tests/fixtures/hosts", src ? src : ".");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
