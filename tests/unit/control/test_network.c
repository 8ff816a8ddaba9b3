/*
 * Unit tests for the network scan: the provider table, scans of every
 * fixture host (interfaces, NUMA nodes, classes, priorities, filtering),
 * broken fixtures, the real machine and out-of-memory paths.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/common.h"
#include "common/json.h"
#include "control/lib/hw/hw.h"
#include "control/lib/render/render.h"

static char fixtures[PATH_MAX / 2];

static int
scan_host(const char *host, const char *provider, struct ctl_net_scan **out, struct d_errbuf *eb)
{
	char root[PATH_MAX];
	int  rc;

	snprintf(root, sizeof(root), "%s/%s", fixtures, host);
	ctl_hw_use(root);
	rc = ctl_net_scan(provider, NULL, out, eb);
	ctl_hw_use(NULL);
	return rc;
}

static struct ctl_net_scan *
scan_ok(const char *host, const char *provider)
{
	struct ctl_net_scan *s = NULL;
	struct d_errbuf	     eb = {{0}};
	int		     rc = scan_host(host, provider, &s, &eb);

	if (rc != 0)
		fail_msg("scan of %s failed: %d %s", host, rc, eb.msg);
	return s;
}

static const struct ctl_fabric_iface *
find(const struct ctl_net_scan *s, const char *prov, const char *dev)
{
	int i;

	for (i = 0; i < s->nifaces; i++)
		if (strcmp(s->ifaces[i].provider, prov) == 0 &&
		    strcmp(s->ifaces[i].device, dev) == 0)
			return &s->ifaces[i];
	return NULL;
}

static void
expect_ifaces(const struct ctl_net_scan *s, unsigned numa, const char *prov, const char *want)
{
	char *got = ctl_net_scan_ifaces_str(s, numa, prov);

	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

static void
test_provider_table(void **state)
{
	char buf[32];

	(void)state;
	assert_int_equal(ctl_net_provider_count(), 6);
	assert_int_equal(ctl_net_provider_priority("ofi+verbs;ofi_rxm"), 0);
	assert_int_equal(ctl_net_provider_priority("ofi+verbs"), 0);
	assert_int_equal(ctl_net_provider_priority("ofi+tcp"), 1);
	assert_int_equal(ctl_net_provider_priority("ofi+tcp;ofi_rxm"), 2);
	assert_int_equal(ctl_net_provider_priority("ofi+cxi"), 3);
	assert_int_equal(ctl_net_provider_priority("ofi+opx"), 4);
	assert_int_equal(ctl_net_provider_priority("ofi+sockets"), 5);
	assert_int_equal(ctl_net_provider_priority("ofi+psm9"), -1);
	assert_int_equal(ctl_net_provider_priority("tcp"), -1);
	assert_int_equal(ctl_net_provider_priority(NULL), -1);
	assert_string_equal(ctl_net_provider_name(2), "ofi+tcp;ofi_rxm");
	assert_null(ctl_net_provider_name(6));
	assert_null(ctl_net_provider_name(-1));

	assert_string_equal(ctl_net_class_str(1, buf, sizeof(buf)), "ETHER");
	assert_string_equal(ctl_net_class_str(32, buf, sizeof(buf)), "INFINIBAND");
	assert_string_equal(ctl_net_class_str(772, buf, sizeof(buf)), "LOOPBACK");
	assert_string_equal(ctl_net_class_str(0x30, buf, sizeof(buf)), "UNKNOWN (0x30)");
}

static void
test_wolf_all(void **state)
{
	struct ctl_net_scan	      *s = scan_ok("wolf", NULL);
	const struct ctl_fabric_iface *fi;
	int			       i;

	(void)state;
	assert_int_equal(s->numa_count, 2);
	assert_int_equal(s->cores_per_numa, 24);
	assert_int_equal(s->nifaces, 11);
	assert_int_equal(s->nproviders, 4);
	assert_string_equal(s->providers[0], "ofi+verbs;ofi_rxm");
	assert_string_equal(s->providers[1], "ofi+tcp");
	assert_string_equal(s->providers[2], "ofi+tcp;ofi_rxm");
	assert_string_equal(s->providers[3], "ofi+sockets");

	/* verbs names the HCA; the interface is the HCA's network device. */
	fi = find(s, "ofi+verbs;ofi_rxm", "ib1");
	assert_non_null(fi);
	assert_string_equal(fi->domain, "mlx5_1");
	assert_int_equal(fi->numa, 1);
	assert_int_equal(fi->priority, 0);
	assert_int_equal(fi->net_class, CTL_NET_CLASS_INFINIBAND);
	fi = find(s, "ofi+sockets", "eth0");
	assert_non_null(fi);
	assert_int_equal(fi->numa, 0);
	assert_int_equal(fi->priority, 5);
	assert_int_equal(fi->net_class, CTL_NET_CLASS_ETHER);
	/* verbs is not offered on Ethernet; eth1 is down; lo is never listed. */
	assert_null(find(s, "ofi+verbs;ofi_rxm", "eth0"));
	for (i = 0; i < s->nifaces; i++) {
		assert_string_not_equal(s->ifaces[i].device, "eth1");
		assert_string_not_equal(s->ifaces[i].device, "lo");
		assert_string_not_equal(s->ifaces[i].device, "shm");
	}
	/* Sorted by NUMA node, then priority, then interface. */
	for (i = 1; i < s->nifaces; i++) {
		const struct ctl_fabric_iface *a = &s->ifaces[i - 1], *b = &s->ifaces[i];

		assert_true(a->numa < b->numa ||
			    (a->numa == b->numa &&
			     (a->priority < b->priority ||
			      (a->priority == b->priority && strcmp(a->device, b->device) < 0))));
	}
	expect_ifaces(s, 0, "ofi+tcp", "eth0, ib0");
	expect_ifaces(s, 1, "ofi+tcp", "ib1");
	expect_ifaces(s, 0, "ofi+verbs;ofi_rxm", "ib0");
	expect_ifaces(s, 1, "ofi+sockets", "ib1");
	expect_ifaces(s, 2, "ofi+tcp", "");
	ctl_net_scan_free(s);
}

static void
test_wolf_filter(void **state)
{
	struct ctl_net_scan *s;

	(void)state;
	s = scan_ok("wolf", "ofi+verbs");
	assert_int_equal(s->nifaces, 2);
	assert_int_equal(s->nproviders, 1);
	assert_string_equal(s->providers[0], "ofi+verbs;ofi_rxm");
	assert_non_null(find(s, "ofi+verbs;ofi_rxm", "ib0"));
	assert_non_null(find(s, "ofi+verbs;ofi_rxm", "ib1"));
	/* NUMA count and cores describe the host, not the filtered list. */
	assert_int_equal(s->numa_count, 2);
	ctl_net_scan_free(s);

	s = scan_ok("wolf", "ofi+tcp;ofi_rxm");
	assert_int_equal(s->nifaces, 3);
	assert_int_equal(s->nproviders, 1);
	expect_ifaces(s, 0, "ofi+tcp;ofi_rxm", "eth0, ib0");
	ctl_net_scan_free(s);

	/* Exact: ofi+tcp does not include ofi+tcp;ofi_rxm. */
	s = scan_ok("wolf", "ofi+tcp");
	assert_int_equal(s->nifaces, 3);
	assert_string_equal(s->providers[0], "ofi+tcp");
	ctl_net_scan_free(s);

	s = scan_ok("wolf", "ALL");
	assert_int_equal(s->nifaces, 11);
	ctl_net_scan_free(s);
	s = scan_ok("wolf", "");
	assert_int_equal(s->nifaces, 11);
	ctl_net_scan_free(s);
}

static void
test_unknown_provider(void **state)
{
	struct ctl_net_scan *s = NULL;
	struct d_errbuf	     eb = {{0}};

	(void)state;
	assert_int_equal(scan_host("wolf", "ofi+psm9", &s, &eb), -DER_INVAL);
	assert_null(s);
	assert_string_equal(eb.msg, "unknown fabric provider \"ofi+psm9\"; providers available on "
				    "this host: ofi+verbs;ofi_rxm, ofi+tcp, ofi+tcp;ofi_rxm, "
				    "ofi+sockets (or \"all\")");

	/* Known to DAOS but not offered here. */
	assert_int_equal(scan_host("local", "ofi+verbs;ofi_rxm", &s, &eb), -DER_NONEXIST);
	assert_null(s);
	assert_string_equal(eb.msg, "no fabric interfaces found with provider ofi+verbs;ofi_rxm; "
				    "providers available on this host: ofi+tcp, ofi+tcp;ofi_rxm, "
				    "ofi+sockets (or \"all\")");
}

static void
test_local(void **state)
{
	struct ctl_net_scan *s = scan_ok("local", "all");

	(void)state;
	assert_int_equal(s->numa_count, 1);
	assert_int_equal(s->cores_per_numa, 2);
	/* net, udp;ofi_rxd and shm are not DAOS providers; lo is loopback. */
	assert_int_equal(s->nifaces, 3);
	assert_int_equal(s->nproviders, 3);
	assert_string_equal(s->providers[0], "ofi+tcp");
	assert_string_equal(s->providers[1], "ofi+tcp;ofi_rxm");
	assert_string_equal(s->providers[2], "ofi+sockets");
	/* libfabric 1.17 has tcp only through rxm: ofi+tcp comes from it. */
	assert_string_equal(find(s, "ofi+tcp", "eth0")->domain, "eth0");
	ctl_net_scan_free(s);
}

static void
test_asym(void **state)
{
	struct ctl_net_scan *s = scan_ok("asym", NULL);
	int		     i;

	(void)state;
	assert_int_equal(s->numa_count, 2);
	assert_int_equal(s->cores_per_numa, 8);
	assert_int_equal(s->nifaces, 7);
	for (i = 0; i < s->nifaces; i++)
		assert_int_equal(s->ifaces[i].numa, 0);
	expect_ifaces(s, 0, "ofi+tcp", "eth0, ib0");
	expect_ifaces(s, 1, "ofi+tcp", "");
	ctl_net_scan_free(s);
}

static void
test_key(void **state)
{
	struct ctl_net_scan *a = scan_ok("wolf", NULL);
	struct ctl_net_scan *b = scan_ok("wolf", NULL);
	struct ctl_net_scan *c = scan_ok("asym", NULL);
	uint64_t	     k;

	(void)state;
	assert_true(ctl_net_scan_key(a) == ctl_net_scan_key(b));
	assert_true(ctl_net_scan_key(a) != ctl_net_scan_key(c));
	k = ctl_net_scan_key(b);
	b->cores_per_numa++;
	assert_true(ctl_net_scan_key(b) != k);
	b->cores_per_numa--;
	b->ifaces[3].numa = 1;
	assert_true(ctl_net_scan_key(b) != k);
	ctl_net_scan_free(a);
	ctl_net_scan_free(b);
	ctl_net_scan_free(c);
}

/* A scratch fixture: wolf's topology plus the files each test writes. */
static char scratch[64];

static void
put(const char *rel, const char *text)
{
	char  path[PATH_MAX], *slash;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", scratch, rel);
	for (slash = strchr(path + strlen(scratch) + 1, '/'); slash;
	     slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		mkdir(path, 0755);
		*slash = '/';
	}
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int
scratch_setup(void **state)
{
	char src[PATH_MAX], dst[PATH_MAX];

	(void)state;
	snprintf(scratch, sizeof(scratch), "/tmp/daos_net_XXXXXX");
	if (mkdtemp(scratch) == NULL)
		return -1;
	snprintf(src, sizeof(src), "%s/wolf/topology.xml", fixtures);
	snprintf(dst, sizeof(dst), "%s/topology.xml", scratch);
	if (symlink(src, dst) != 0)
		return -1;
	put("sys/class/net/eth0/type", "1\n");
	put("sys/class/net/ib0/type", "32\n");
	put("sys/class/net/ib1/type", "32\n");
	put("sys/class/net/lo/type", "772\n");
	ctl_hw_use(scratch);
	return 0;
}

static int
scratch_teardown(void **state)
{
	(void)state;
	ctl_hw_use(NULL);
	return nftw(scratch, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void
test_fixture_errors(void **state)
{
	struct ctl_net_scan *s = NULL;
	struct d_errbuf	     eb = {{0}};
	char		     want[PATH_MAX];

	(void)state;
	/* No libfabric.txt. */
	assert_int_equal(ctl_net_scan(NULL, NULL, &s, &eb), -DER_NONEXIST);
	snprintf(want, sizeof(want), "hardware fixture %s/libfabric.txt: cannot open", scratch);
	assert_non_null(strstr(eb.msg, want));

	/* A line without a domain. */
	put("libfabric.txt", "# comment\n\ntcp eth0\ntcp\n");
	assert_int_equal(ctl_net_scan(NULL, NULL, &s, &eb), -DER_INVAL);
	snprintf(want, sizeof(want),
		 "%s/libfabric.txt:4: expected \"<libfabric provider> <domain>\", got \"tcp\"",
		 scratch);
	assert_string_equal(eb.msg, want);

	/* Three fields. */
	put("libfabric.txt", "tcp eth0 extra\n");
	assert_int_equal(ctl_net_scan(NULL, NULL, &s, &eb), -DER_INVAL);
	assert_non_null(strstr(eb.msg, "libfabric.txt:1:"));

	/* An interface without its class file. */
	put("libfabric.txt", "tcp eth1   # trailing comment\n");
	assert_int_equal(ctl_net_scan(NULL, NULL, &s, &eb), -DER_NONEXIST);
	snprintf(want, sizeof(want),
		 "%s/sys/class/net/eth1/type: missing (expected the interface's ARPHRD number)",
		 scratch);
	assert_string_equal(eb.msg, want);

	/* A class file that is not a number. */
	put("sys/class/net/eth1/type", "ether\n");
	assert_int_equal(ctl_net_scan(NULL, NULL, &s, &eb), -DER_INVAL);
	assert_non_null(strstr(eb.msg, "eth1/type: not a number"));
	put("sys/class/net/eth1/type", "\n");
	assert_int_equal(ctl_net_scan(NULL, NULL, &s, &eb), -DER_INVAL);

	/* Only loopback and non-interfaces: nothing to offer. */
	put("libfabric.txt", "tcp lo\nshm shm\nsockets nosuchif\n");
	assert_int_equal(ctl_net_scan(NULL, NULL, &s, &eb), -DER_NONEXIST);
	assert_non_null(strstr(eb.msg, "no fabric interfaces could be found"));
	/* ... also when a provider was asked for. */
	assert_int_equal(ctl_net_scan("ofi+tcp", NULL, &s, &eb), -DER_NONEXIST);
	assert_null(s);
}

/* Interfaces hwloc does not know (bridges, bonds) come from /sys/class/net. */
static void
test_virtual_iface(void **state)
{
	struct ctl_net_scan	      *s = NULL;
	struct d_errbuf		       eb = {{0}};
	const struct ctl_fabric_iface *fi;

	(void)state;
	put("sys/class/net/br0/type", "1\n");
	put("sys/class/net/bond0/type", "1\n");
	put("sys/class/net/bond0/device/numa_node", "1\n");
	put("sys/class/net/veth0/type", "1\n");
	put("sys/class/net/veth0/device/numa_node", "-1\n");
	put("libfabric.txt", "tcp br0\ntcp bond0\ntcp veth0\ntcp ../../etc\n");
	assert_int_equal(ctl_net_scan(NULL, NULL, &s, &eb), 0);
	assert_int_equal(s->nifaces, 3);
	fi = find(s, "ofi+tcp", "br0");
	assert_non_null(fi);
	assert_int_equal(fi->numa, 0);
	assert_int_equal(find(s, "ofi+tcp", "bond0")->numa, 1);
	assert_int_equal(find(s, "ofi+tcp", "veth0")->numa, 0);
	ctl_net_scan_free(s);
}

/* A given topology is used as is (here: the local one against wolf's libfabric list). */
static void
test_given_topology(void **state)
{
	struct ctl_topology *t = NULL;
	struct ctl_net_scan *s = NULL;
	struct d_errbuf	     eb = {{0}};
	char		     path[PATH_MAX];

	(void)state;
	snprintf(path, sizeof(path), "%s/local/topology.xml", fixtures);
	assert_int_equal(ctl_topo_load_xml(path, &t, &eb), 0);
	put("libfabric.txt", "verbs;ofi_rxm mlx5_0\ntcp eth0\n");
	assert_int_equal(ctl_net_scan(NULL, t, &s, &eb), 0);
	/* mlx5_0 is unknown to the local topology and to sysfs: skipped. */
	assert_int_equal(s->nifaces, 1);
	assert_int_equal(s->numa_count, 1);
	assert_int_equal(s->cores_per_numa, 2);
	ctl_net_scan_free(s);
	ctl_topo_free(t);
}

static void
test_topology_error(void **state)
{
	struct ctl_net_scan *s = NULL;
	struct d_errbuf	     eb = {{0}};

	(void)state;
	ctl_hw_use("/nonexistent-daos-hw-root");
	assert_int_equal(ctl_net_scan(NULL, NULL, &s, &eb), -DER_NONEXIST);
	assert_non_null(strstr(eb.msg, "/nonexistent-daos-hw-root/topology.xml"));
	ctl_hw_use(NULL);
}

/* The real machine: whatever is listed exists in /sys/class/net and is not loopback. */
static void
test_real_machine(void **state)
{
	struct ctl_net_scan *s = NULL;
	struct d_errbuf	     eb = {{0}};
	int		     i, rc;

	(void)state;
	ctl_hw_use(NULL);
	rc = ctl_net_scan("all", NULL, &s, &eb);
	if (rc == -DER_NONEXIST) {
		assert_non_null(strstr(eb.msg, "no fabric interfaces"));
		return;
	}
	assert_int_equal(rc, 0);
	assert_true(s->nifaces > 0);
	assert_true(s->numa_count >= 1);
	for (i = 0; i < s->nifaces; i++) {
		char	    path[PATH_MAX];
		struct stat st;

		snprintf(path, sizeof(path), "/sys/class/net/%s", s->ifaces[i].device);
		assert_int_equal(stat(path, &st), 0);
		assert_int_not_equal(s->ifaces[i].net_class, CTL_NET_CLASS_LOOPBACK);
		assert_string_equal(ctl_net_provider_name(s->ifaces[i].priority),
				    s->ifaces[i].provider);
	}
	ctl_net_scan_free(s);
}

static int
oom_child(const char *root, const char *provider)
{
	struct ctl_net_scan *s = NULL;
	struct d_errbuf	     eb = {{0}};
	int		     rc;

	ctl_hw_use(root);
	rc = ctl_net_scan(provider, NULL, &s, &eb);
	ctl_net_scan_free(s);
	return rc == 0 ? 0 : (rc == -DER_NOMEM && eb.msg[0] != '\0') ? 10 : 20;
}

/* Fail the Nth allocation (in a fresh process each time) until the scan succeeds. */
static void
oom_loop(const char *provider)
{
	char root[PATH_MAX];
	int  n, ok = 0;

	snprintf(root, sizeof(root), "%s/wolf", fixtures);
	for (n = 1; n < 1000 && !ok; n++) {
		pid_t pid = fork();
		int   status;

		assert_true(pid >= 0);
		if (pid == 0) {
			char v[16];

			snprintf(v, sizeof(v), "%d", n);
			setenv("D_FI_ALLOC_FAIL", v, 1);
			execl("/proc/self/exe", "test_network", "--oom-child", root, provider,
			      (char *)NULL);
			_exit(30);
		}
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFEXITED(status));
		if (WEXITSTATUS(status) != 0 && WEXITSTATUS(status) != 10)
			fail_msg("allocation %d: child exited with %d", n, WEXITSTATUS(status));
		ok = WEXITSTATUS(status) == 0;
	}
	assert_true(ok);
	assert_true(n > 20);
}

static void
test_out_of_memory(void **state)
{
	(void)state;
	oom_loop("all");
	oom_loop("ofi+verbs");
}

static char *
render(const struct ctl_net_host_group *groups, int n)
{
	char  *buf = NULL;
	size_t len = 0;
	FILE  *f = open_memstream(&buf, &len);

	assert_non_null(f);
	ctl_net_print(f, groups, n);
	fclose(f);
	return buf;
}

#define BANNER(h, d) d "\n" h "\n" d "\n\n"
#define NUMA(n)	     "    -------------\n    NUMA Socket " #n "\n    -------------\n\n"

/* Two host groups; each table is padded like Go's tabwriter (trailing space included). */
static void
test_render_text(void **state)
{
	struct ctl_net_scan	 *w = scan_ok("wolf", "ofi+tcp");
	struct ctl_net_scan	 *a = scan_ok("asym", "all");
	struct ctl_net_host_group g[2] = {{"wolf-[1-4]", w}, {"asym1", a}};
	char			 *out = render(g, 2);

	(void)state;
	assert_string_equal(
		out,
		BANNER("wolf-[1-4]", "----------")
			NUMA(0) "        Provider Interfaces \n"
				"        -------- ---------- \n"
				"        ofi+tcp  eth0, ib0  \n"
				"\n" NUMA(1) "        Provider Interfaces \n"
					     "        -------- ---------- \n"
					     "        ofi+tcp  ib1        \n"
					     "\n" BANNER("asym1", "-----") NUMA(
						     0) "        Provider          Interfaces \n"
							"        --------          ---------- \n"
							"        ofi+verbs;ofi_rxm ib0        \n"
							"        ofi+tcp           eth0, ib0  \n"
							"        ofi+tcp;ofi_rxm   eth0, ib0  \n"
							"        ofi+sockets       eth0, ib0  \n"
							"\n");
	free(out);
	ctl_net_scan_free(w);
	ctl_net_scan_free(a);
}

static void
test_render_json(void **state)
{
	struct ctl_net_scan	 *l = scan_ok("local", NULL);
	struct ctl_net_host_group g = {"localhost", l};
	struct d_json		 *w = d_json_create();
	char			  want[2048];

	(void)state;
	assert_non_null(w);
	ctl_net_json(w, NULL, &g, 1);
	assert_int_equal(d_json_finish(w), 0);
	snprintf(want, sizeof(want),
		 "{\n"
		 "  \"%llu\": {\n"
		 "    \"HostFabric\": {\n"
		 "      \"Interfaces\": [\n"
		 "        {\n"
		 "          \"Provider\": \"ofi+tcp\",\n"
		 "          \"Device\": \"eth0\",\n"
		 "          \"NumaNode\": 0,\n"
		 "          \"Priority\": 1,\n"
		 "          \"NetDevClass\": 1\n"
		 "        },\n"
		 "        {\n"
		 "          \"Provider\": \"ofi+tcp;ofi_rxm\",\n"
		 "          \"Device\": \"eth0\",\n"
		 "          \"NumaNode\": 0,\n"
		 "          \"Priority\": 2,\n"
		 "          \"NetDevClass\": 1\n"
		 "        },\n"
		 "        {\n"
		 "          \"Provider\": \"ofi+sockets\",\n"
		 "          \"Device\": \"eth0\",\n"
		 "          \"NumaNode\": 0,\n"
		 "          \"Priority\": 5,\n"
		 "          \"NetDevClass\": 1\n"
		 "        }\n"
		 "      ],\n"
		 "      \"Providers\": [\n"
		 "        \"ofi+sockets\",\n"
		 "        \"ofi+tcp\",\n"
		 "        \"ofi+tcp;ofi_rxm\"\n"
		 "      ],\n"
		 "      \"NumaCount\": 1,\n"
		 "      \"CoresPerNuma\": 2\n"
		 "    },\n"
		 "    \"HostSet\": \"localhost\"\n"
		 "  }\n"
		 "}",
		 (unsigned long long)ctl_net_scan_key(l));
	assert_string_equal(d_json_text(w), want);
	d_json_destroy(w);
	ctl_net_scan_free(l);
}

int
main(int argc, char **argv)
{
	const char	       *src = getenv("DAOS_SOURCE_DIR");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_provider_table),
		cmocka_unit_test(test_wolf_all),
		cmocka_unit_test(test_wolf_filter),
		cmocka_unit_test(test_unknown_provider),
		cmocka_unit_test(test_local),
		cmocka_unit_test(test_asym),
		cmocka_unit_test(test_key),
		cmocka_unit_test(test_render_text),
		cmocka_unit_test(test_render_json),
		cmocka_unit_test_setup_teardown(test_fixture_errors, scratch_setup,
						scratch_teardown),
		cmocka_unit_test_setup_teardown(test_virtual_iface, scratch_setup,
						scratch_teardown),
		cmocka_unit_test_setup_teardown(test_given_topology, scratch_setup,
						scratch_teardown),
		cmocka_unit_test(test_topology_error),
		cmocka_unit_test(test_real_machine),
		cmocka_unit_test(test_out_of_memory),
	};

	if (argc == 4 && strcmp(argv[1], "--oom-child") == 0)
		return oom_child(argv[2], argv[3]);
	snprintf(fixtures, sizeof(fixtures), "%s/tests/fixtures/hosts", src ? src : ".");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
