/*
 * Unit tests of config generate (control/lib/autocfg/autocfg.h): every step of
 * the algorithm on the wolf and asym fixtures and on synthetic scans (thread
 * counts, MD-on-SSD splits, ports, replicas, VMD, provider choice checked
 * against an exhaustive enumeration), and the explanations of hardware that
 * differs between hosts, built by loading fixtures and changing copies.
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/common.h"
#include "control/lib/autocfg/autocfg.h"

static char fixtures[PATH_MAX / 2];

/* ---- fixture hosts --------------------------------------------------------------- */

struct th {
	struct ctl_net_scan	*net;
	struct ctl_storage_scan *st;
	int			 nif, nctl, nns; /* counts as loaded, restored before free */
};

static void
th_load(struct th *h, const char *fixture)
{
	struct d_errbuf eb = {{0}};
	char		root[PATH_MAX];

	snprintf(root, sizeof(root), "%s/%s", fixtures, fixture);
	ctl_hw_use(root);
	assert_int_equal(ctl_net_scan("all", NULL, &h->net, &eb), 0);
	assert_int_equal(ctl_storage_scan(CTL_SCAN_SCM | CTL_SCAN_NVME | CTL_SCAN_MEM, &h->st, &eb),
			 0);
	ctl_hw_use(NULL);
	h->nif = h->net->nifaces;
	h->nctl = h->st->nr_ctrlrs;
	h->nns = h->st->nr_namespaces;
}

static void
th_free(struct th *h)
{
	h->net->nifaces = h->nif;
	h->st->nr_ctrlrs = h->nctl;
	h->st->nr_namespaces = h->nns;
	ctl_net_scan_free(h->net);
	ctl_storage_scan_free(h->st);
}

/* Remove entries by rotating them past the end (kept for th_free), order preserved. */
static void
drop_iface(struct th *h, const char *dev, const char *prov)
{
	int i = 0, found = 0;

	while (i < h->net->nifaces) {
		struct ctl_fabric_iface f = h->net->ifaces[i];

		if (strcmp(f.device, dev) != 0 || (prov && strcmp(f.provider, prov) != 0)) {
			i++;
			continue;
		}
		memmove(&h->net->ifaces[i], &h->net->ifaces[i + 1],
			(size_t)(h->nif - i - 1) * sizeof(f));
		h->net->ifaces[h->nif - 1] = f;
		h->net->nifaces--;
		found++;
	}
	assert_true(found > 0);
}

static void
drop_ctrlr(struct th *h, const char *pci)
{
	int i;

	for (i = 0; i < h->st->nr_ctrlrs; i++)
		if (strcmp(h->st->ctrlrs[i].pci_addr, pci) == 0) {
			struct ctl_nvme_ctrlr c = h->st->ctrlrs[i];

			memmove(&h->st->ctrlrs[i], &h->st->ctrlrs[i + 1],
				(size_t)(h->nctl - i - 1) * sizeof(c));
			h->st->ctrlrs[h->nctl - 1] = c;
			h->st->nr_ctrlrs--;
			return;
		}
	fail_msg("no controller %s", pci);
}

static struct ctl_nvme_ctrlr *
ctrlr(struct th *h, const char *pci)
{
	int i;

	for (i = 0; i < h->st->nr_ctrlrs; i++)
		if (strcmp(h->st->ctrlrs[i].pci_addr, pci) == 0)
			return &h->st->ctrlrs[i];
	fail_msg("no controller %s", pci);
	return NULL;
}

static void
drop_ns(struct th *h, const char *blockdev)
{
	int i;

	for (i = 0; i < h->st->nr_namespaces; i++)
		if (strcmp(h->st->namespaces[i].blockdev, blockdev) == 0) {
			struct ctl_scm_namespace n = h->st->namespaces[i];

			memmove(&h->st->namespaces[i], &h->st->namespaces[i + 1],
				(size_t)(h->nns - i - 1) * sizeof(n));
			h->st->namespaces[h->nns - 1] = n;
			h->st->nr_namespaces--;
			return;
		}
	fail_msg("no namespace %s", blockdev);
}

static void
set_iface_field(struct th *h, const char *dev, int numa, int cls)
{
	int i;

	for (i = 0; i < h->net->nifaces; i++)
		if (strcmp(h->net->ifaces[i].device, dev) == 0) {
			if (numa >= 0)
				h->net->ifaces[i].numa = (unsigned)numa;
			if (cls >= 0)
				h->net->ifaces[i].net_class = (uint32_t)cls;
		}
}

/* ---- running the generator ------------------------------------------------------- */

static int
gen_hosts(const struct ctl_autocfg_req *req, struct th *hs, const char *const *names, size_t n,
	  struct ctl_server_config **cfg, char **msg)
{
	struct ctl_autocfg_host hosts[8];
	struct d_sbuf		err;
	size_t			i;
	int			rc;

	assert_true(n <= 8);
	for (i = 0; i < n; i++) {
		hosts[i].hostname = names[i];
		hosts[i].net = hs[i].net;
		hosts[i].storage = hs[i].st;
	}
	d_sbuf_init(&err);
	*cfg = NULL;
	rc = ctl_autocfg_generate(req, hosts, n, cfg, &err);
	*msg = d_sbuf_take(&err);
	if (rc != 0)
		assert_null(*cfg);
	else
		assert_string_equal(*msg, "");
	return rc;
}

static int
gen1(const struct ctl_autocfg_req *req, struct th *h, struct ctl_server_config **cfg, char **msg)
{
	static const char *const name[] = {"wolf-71"};

	return gen_hosts(req, h, name, 1, cfg, msg);
}

/* Expect failure with `want` in the message, and a second line saying what to do. */
static void
expect_fail(const struct ctl_autocfg_req *req, struct th *h, const char *want)
{
	struct ctl_server_config *cfg;
	char			 *msg;

	assert_int_equal(gen1(req, h, &cfg, &msg), -DER_INVAL);
	if (strstr(msg, want) == NULL)
		fail_msg("expected \"%s\" in:\n%s", want, msg);
	assert_non_null(strchr(msg, '\n'));
	assert_true(strlen(strchr(msg, '\n')) > 10);
	free(msg);
}

static struct ctl_server_config *
expect_ok(const struct ctl_autocfg_req *req, struct th *h)
{
	struct ctl_server_config *cfg, *back = NULL;
	struct d_diags		  dg;
	char			 *msg, *yaml;

	if (gen1(req, h, &cfg, &msg) != 0)
		fail_msg("generate failed:\n%s", msg);
	free(msg);
	/* the printed YAML loads and validates again */
	yaml = ctl_server_config_to_yaml(cfg);
	assert_non_null(yaml);
	d_diags_init(&dg, "printed");
	assert_int_equal(ctl_server_config_load_string("printed", yaml, &back, &dg), 0);
	assert_int_equal(ctl_server_config_validate(back, &dg), 0);
	d_diags_fini(&dg);
	ctl_server_config_destroy(back);
	free(yaml);
	return cfg;
}

static void
assert_list(const struct ctl_strlist *l, const char *const *want, size_t n)
{
	size_t i;

	assert_int_equal(l->n, n);
	for (i = 0; i < n; i++)
		assert_string_equal(l->v[i], want[i]);
}

/* ---- wolf ------------------------------------------------------------------------- */

static void
test_wolf_default(void **state)
{
	struct ctl_autocfg_req	  req;
	struct ctl_server_config *cfg;
	struct th		  h;
	size_t			  i;

	(void)state;
	th_load(&h, "wolf");
	ctl_autocfg_req_init(&req);
	cfg = expect_ok(&req, &h);
	assert_int_equal(cfg->nengines, 2);
	assert_string_equal(cfg->fabric.provider, "ofi+verbs;ofi_rxm");
	assert_string_equal(cfg->control_log_file, "/var/log/daos/daos_server.log");
	assert_int_equal(cfg->port, 10001);
	assert_list(&cfg->mgmt_svc_replicas, (const char *[]){"localhost:10001"}, 1);
	assert_null(cfg->control_metadata.path);
	for (i = 0; i < 2; i++) {
		const struct ctl_engine *e = &cfg->engines[i];
		char			 buf[64];

		/* 24 cores - 2 reserved = 22; floor(22 * 0.8 / 1) = 17 targets, 17 / 4 helpers */
		assert_int_equal(e->targets, 17);
		assert_int_equal(e->nr_xs_helpers, 4);
		assert_true(e->pinned_numa_node_set);
		assert_int_equal(e->pinned_numa_node, i);
		assert_string_equal(e->fabric.fabric_iface, i ? "ib1" : "ib0");
		assert_string_equal(e->fabric.provider, "ofi+verbs;ofi_rxm");
		assert_int_equal(e->fabric.fabric_iface_port, 31416 + 1000 * i);
		snprintf(buf, sizeof(buf), "/var/log/daos/daos_engine.%zu.log", i);
		assert_string_equal(e->log_file, buf);
		assert_int_equal(e->nstorage, 2);
		assert_int_equal(e->storage[0].class, CTL_CLASS_DCPM);
		snprintf(buf, sizeof(buf), "/mnt/daos%zu", i);
		assert_string_equal(e->storage[0].scm_mount, buf);
		snprintf(buf, sizeof(buf), "/dev/pmem%zu", i);
		assert_list(&e->storage[0].scm_list, (const char *[]){buf}, 1);
		assert_int_equal(e->storage[1].class, CTL_CLASS_NVME);
		/* NUMA 0 has two SSDs, NUMA 1 one: balanced to the first one in order */
		assert_list(&e->storage[1].bdev_list,
			    (const char *[]){i ? "0000:da:00.0" : "0000:81:00.0"}, 1);
		assert_int_equal(e->storage[1].bdev_roles, 0);
	}
	ctl_server_config_destroy(cfg);
	th_free(&h);
}

static void
test_wolf_single_engine(void **state)
{
	struct ctl_autocfg_req	  req;
	struct ctl_server_config *cfg;
	struct th		  h;

	(void)state;
	th_load(&h, "wolf");
	ctl_autocfg_req_init(&req);
	/* equal verbs scores on both nodes: the larger SSD count (NUMA 0, two) wins */
	req.nr_engines = 1;
	cfg = expect_ok(&req, &h);
	assert_int_equal(cfg->nengines, 1);
	assert_int_equal(cfg->engines[0].pinned_numa_node, 0);
	assert_list(&cfg->engines[0].storage[1].bdev_list,
		    (const char *[]){"0000:81:00.0", "0000:87:00.0"}, 2);
	/* 22 cores: floor(22 * 0.8 / 2) = 8 per SSD, 16 targets, 4 helpers */
	assert_int_equal(cfg->engines[0].targets, 16);
	assert_int_equal(cfg->engines[0].nr_xs_helpers, 4);
	ctl_server_config_destroy(cfg);

	/* two SSDs per engine required: only NUMA 0 qualifies */
	req.min_ssds = 2;
	cfg = expect_ok(&req, &h);
	assert_int_equal(cfg->engines[0].pinned_numa_node, 0);
	ctl_server_config_destroy(cfg);
	req.nr_engines = 0;
	expect_fail(&req, &h, "insufficient number of ssds for numa 1, want 2 got 1");

	/* no NVMe: SCM only, 16 targets, no helpers */
	req.min_ssds = 0;
	req.nr_engines = 1;
	cfg = expect_ok(&req, &h);
	assert_int_equal(cfg->engines[0].nstorage, 1);
	assert_int_equal(cfg->engines[0].targets, 16);
	assert_int_equal(cfg->engines[0].nr_xs_helpers, 0);
	ctl_server_config_destroy(cfg);
	th_free(&h);
}

static void
test_wolf_network(void **state)
{
	struct ctl_autocfg_req	  req;
	struct ctl_server_config *cfg;
	struct th		  h;

	(void)state;
	th_load(&h, "wolf");
	ctl_autocfg_req_init(&req);

	/* Ethernet: only eth0 (NUMA 0; eth1 is down) */
	req.net_class = CTL_AUTOCFG_NET_ETHER;
	expect_fail(&req, &h,
		    "insufficient matching fabric interfaces, want 2 got 1 [eth0 (NUMA 0");
	req.nr_engines = 1;
	cfg = expect_ok(&req, &h);
	assert_string_equal(cfg->engines[0].fabric.fabric_iface, "eth0");
	assert_string_equal(cfg->engines[0].fabric.provider, "ofi+tcp");
	ctl_server_config_destroy(cfg);

	/* InfiniBand with a provider given: IPoIB tcp on ib0 and ib1 */
	req.nr_engines = 0;
	req.net_class = CTL_AUTOCFG_NET_IB;
	req.provider = "ofi+tcp;ofi_rxm";
	cfg = expect_ok(&req, &h);
	assert_string_equal(cfg->fabric.provider, "ofi+tcp;ofi_rxm");
	assert_string_equal(cfg->engines[0].fabric.fabric_iface, "ib0");
	assert_string_equal(cfg->engines[1].fabric.fabric_iface, "ib1");
	ctl_server_config_destroy(cfg);

	/* "all" means any provider */
	req.provider = "all";
	cfg = expect_ok(&req, &h);
	assert_string_equal(cfg->fabric.provider, "ofi+verbs;ofi_rxm");
	ctl_server_config_destroy(cfg);

	req.provider = "ofi+psm3";
	expect_fail(&req, &h, "unsupported fabric provider \"ofi+psm3\"");
	req.provider = "ofi+cxi";
	expect_fail(&req, &h, "insufficient matching fabric interfaces, want 2 got 0");
	req.provider = NULL;
	req.net_class = (enum ctl_autocfg_net_class)7;
	expect_fail(&req, &h, "unsupported net dev class in request");
	th_free(&h);
}

static void
test_net_class_parse(void **state)
{
	enum ctl_autocfg_net_class c;
	struct d_errbuf		   eb = {{0}};

	(void)state;
	assert_int_equal(ctl_autocfg_net_class_parse("ethernet", &c, &eb), 0);
	assert_int_equal(c, CTL_AUTOCFG_NET_ETHER);
	assert_int_equal(ctl_autocfg_net_class_parse("InfiniBand", &c, &eb), 0);
	assert_int_equal(c, CTL_AUTOCFG_NET_IB);
	assert_int_equal(ctl_autocfg_net_class_parse("best-available", &c, &eb), 0);
	assert_int_equal(c, CTL_AUTOCFG_NET_BEST);
	assert_int_equal(ctl_autocfg_net_class_parse("infiband", &c, &eb), -DER_INVAL);
	assert_non_null(strstr(eb.msg, "infiband"));
	assert_non_null(strstr(eb.msg, "best-available, ethernet or infiniband"));
	assert_string_equal(ctl_autocfg_net_class_name(CTL_AUTOCFG_NET_IB), "infiniband");
}

static void
test_wolf_tmpfs_md(void **state)
{
	struct ctl_autocfg_req	  req;
	struct ctl_server_config *cfg;
	struct th		  h;
	size_t			  i;

	(void)state;
	th_load(&h, "wolf");
	ctl_autocfg_req_init(&req);
	req.use_tmpfs_scm = true;
	cfg = expect_ok(&req, &h);
	for (i = 0; i < 2; i++) {
		assert_int_equal(cfg->engines[i].storage[0].class, CTL_CLASS_RAM);
		assert_int_equal(cfg->engines[i].storage[0].scm_list.n, 0);
		assert_int_equal(cfg->engines[i].storage[0].scm_size, 0);
	}
	assert_string_equal(cfg->engines[1].storage[0].scm_mount, "/mnt/daos1");
	ctl_server_config_destroy(cfg);

	/* MD-on-SSD, one SSD per engine: one tier with every role */
	req.control_metadata_path = "/var/daos/config";
	cfg = expect_ok(&req, &h);
	assert_string_equal(cfg->control_metadata.path, "/var/daos/config");
	for (i = 0; i < 2; i++) {
		assert_int_equal(cfg->engines[i].nstorage, 2);
		assert_int_equal(cfg->engines[i].storage[1].bdev_roles,
				 CTL_BDEV_ROLE_WAL | CTL_BDEV_ROLE_META | CTL_BDEV_ROLE_DATA);
	}
	ctl_server_config_destroy(cfg);

	/* MD-on-SSD without SSDs: no roles, so no control_metadata */
	req.min_ssds = 0;
	cfg = expect_ok(&req, &h);
	assert_null(cfg->control_metadata.path);
	assert_int_equal(cfg->engines[0].nstorage, 1);
	ctl_server_config_destroy(cfg);

	req.control_metadata_path = "var/daos";
	expect_fail(&req, &h, "control metadata path \"var/daos\" is not absolute");
	req.use_tmpfs_scm = false;
	req.control_metadata_path = "/var/daos/config";
	expect_fail(&req, &h, "md-on-ssd mode is only supported with scm class ram");
	th_free(&h);
}

/* ---- asym -------------------------------------------------------------------------- */

static void
test_asym(void **state)
{
	struct ctl_autocfg_req	  req;
	struct ctl_server_config *cfg;
	struct th		  h;

	(void)state;
	th_load(&h, "asym");
	ctl_autocfg_req_init(&req);
	expect_fail(&req, &h,
		    "insufficient number of pmem device numa groups map[0:[/dev/pmem0]], want 2 "
		    "got 1");
	req.nr_engines = 1;
	expect_fail(&req, &h, "insufficient number of ssds for numa 0, want 1 got 0");
	req.min_ssds = 0;
	cfg = expect_ok(&req, &h);
	/* node 0 has 8 cores: 6 after the reservation, fewer than 16 */
	assert_int_equal(cfg->engines[0].targets, 6);
	assert_int_equal(cfg->engines[0].nr_xs_helpers, 0);
	assert_string_equal(cfg->engines[0].fabric.fabric_iface, "ib0");
	assert_int_equal(cfg->engines[0].nstorage, 1);
	ctl_server_config_destroy(cfg);

	req.use_tmpfs_scm = true;
	req.min_ssds = 1;
	req.nr_engines = 0;
	expect_fail(&req, &h, "insufficient number of ssds for numa 0, want 1 got 0");
	/* the SSDs are on node 1, every interface on node 0 */
	req.nr_engines = 1;
	expect_fail(&req, &h,
		    "none of the provider-ifaces sets match the numa node sets that "
		    "meet storage requirements");
	req.nr_engines = 0;
	req.min_ssds = 0;
	expect_fail(&req, &h, "insufficient matching fabric interfaces, want 2 got 1");
	th_free(&h);
}

static void
test_host_data_errors(void **state)
{
	struct ctl_autocfg_req req;
	struct th	       h;

	(void)state;
	th_load(&h, "wolf");
	ctl_autocfg_req_init(&req);

	h.net->numa_count = 0;
	expect_fail(&req, &h, "zero numa nodes reported on hosts");
	req.use_tmpfs_scm = true;
	expect_fail(&req, &h, "zero numa nodes reported on hosts");
	h.net->numa_count = 2;
	h.st->mem.mem_total_kb = 0;
	expect_fail(&req, &h, "requires nonzero MemTotalKiB");
	req.use_tmpfs_scm = false;
	h.st->mem.hugepage_size_kb = 0;
	expect_fail(&req, &h, "requires nonzero HugepageSizeKiB");
	h.st->mem.hugepage_size_kb = 2048;

	h.net->cores_per_numa = 1;
	expect_fail(&req, &h, "invalid number of cores-per-numa, want at least 2 got 1");
	h.net->cores_per_numa = 24;

	h.net->ifaces[0].numa = 99;
	expect_fail(&req, &h, "is on NUMA node 99, beyond the 64 nodes");
	h.net->ifaces[0].numa = 0;
	ctrlr(&h, "0000:da:00.0")->socket_id = 64;
	expect_fail(&req, &h, "NVMe 0000:da:00.0 is on NUMA node 64, beyond");
	/* unknown affinity: the SSD is left out, NUMA 1 has none */
	ctrlr(&h, "0000:da:00.0")->socket_id = -1;
	expect_fail(&req, &h, "insufficient number of ssds for numa 1, want 1 got 0");
	ctrlr(&h, "0000:da:00.0")->socket_id = 1;
	h.st->namespaces[1].numa_node = 70;
	expect_fail(&req, &h, "PMem namespace pmem1 is on NUMA node 70, beyond");
	th_free(&h);
}

static void
test_request_errors(void **state)
{
	struct ctl_autocfg_req req;
	struct th	       h;
	const int64_t	       bad_port[] = {31416, 0};

	(void)state;
	th_load(&h, "wolf");
	ctl_autocfg_req_init(&req);
	req.nr_ms_replicas = 0;
	expect_fail(&req, &h, "no MS replicas specified");
	ctl_autocfg_req_init(&req);
	req.nr_engines = -1;
	expect_fail(&req, &h, "invalid number of engines -1");
	req.nr_engines = 65;
	expect_fail(&req, &h, "invalid number of engines 65");
	req.nr_engines = 3;
	expect_fail(&req, &h, "insufficient number of pmem device numa groups");
	ctl_autocfg_req_init(&req);
	req.min_ssds = -2;
	expect_fail(&req, &h, "invalid minimum number of SSDs -2");
	ctl_autocfg_req_init(&req);
	req.fabric_ports = bad_port;
	req.nr_fabric_ports = 2;
	expect_fail(&req, &h, "invalid fabric port 0");
	th_free(&h);
}

/* ---- thread counts, MD splits ------------------------------------------------------ */

static void
test_thread_counts(void **state)
{
	static const struct {
		unsigned cores, ssds;
		int	 tgts, hlprs;
	} cases[] = {
		{18, 0, 16, 0}, {16, 0, 14, 0}, {12, 8, 8, 2},	{10, 8, 8, 0},	{8, 8, 6, 0},
		{26, 1, 19, 4}, {16, 2, 10, 2}, {26, 2, 18, 4}, {26, 8, 16, 4}, {24, 1, 17, 4},
		{3, 0, 1, 0},	{2, 0, 1, 0},	{2, 4, 1, 0},	{7, 1, 4, 1},
	};
	struct d_errbuf eb = {{0}};
	size_t		i;
	int		t, h;

	(void)state;
	for (i = 0; i < D_ARRAY_SIZE(cases); i++) {
		assert_int_equal(
			ctl_autocfg_thread_counts(cases[i].cores, cases[i].ssds, &t, &h, &eb), 0);
		if (t != cases[i].tgts || h != cases[i].hlprs)
			fail_msg("%u cores %u ssds: got %d/%d want %d/%d", cases[i].cores,
				 cases[i].ssds, t, h, cases[i].tgts, cases[i].hlprs);
	}
	t = h = -7;
	assert_int_equal(ctl_autocfg_thread_counts(1, 1, &t, &h, &eb), -DER_INVAL);
	assert_string_equal(eb.msg, "invalid number of cores-per-numa, want at least 2 got 1");
	assert_int_equal(t, -7); /* untouched on error */
	assert_int_equal(ctl_autocfg_thread_counts(0, 0, &t, &h, &eb), -DER_INVAL);
	assert_string_equal(eb.msg, "invalid number of cores-per-numa, want at least 2 got 0");
}

static void
test_md_split(void **state)
{
	unsigned s[2];

	(void)state;
	assert_int_equal(ctl_autocfg_md_split(0, s), 0);
	assert_int_equal(ctl_autocfg_md_split(1, s), 1);
	assert_int_equal(s[0], 1);
	assert_int_equal(ctl_autocfg_md_split(2, s), 2);
	assert_true(s[0] == 1 && s[1] == 1);
	assert_int_equal(ctl_autocfg_md_split(3, s), 2);
	assert_true(s[0] == 1 && s[1] == 2);
	assert_int_equal(ctl_autocfg_md_split(5, s), 2);
	assert_true(s[0] == 1 && s[1] == 4);
	assert_int_equal(ctl_autocfg_md_split(6, s), 2);
	assert_true(s[0] == 2 && s[1] == 4);
	assert_int_equal(ctl_autocfg_md_split(9, s), 2);
	assert_true(s[0] == 2 && s[1] == 7);
}

/* ---- synthetic hosts ------------------------------------------------------------------ */

#define SYN_MAX 64

struct syn {
	struct ctl_net_scan	 net;
	struct ctl_fabric_iface	 ifaces[SYN_MAX];
	struct ctl_storage_scan	 st;
	struct ctl_nvme_ctrlr	 ctrlrs[SYN_MAX];
	struct ctl_scm_namespace ns[8];
	char			 dev[SYN_MAX][16];
};

/* `nodes` NUMA nodes with 26 cores, ib<n> with verbs on each, ssds[n] SSDs on node n. */
static void
syn_init(struct syn *s, unsigned nodes, const unsigned *ssds, bool vmd)
{
	unsigned n, k, c = 0;

	memset(s, 0, sizeof(*s));
	s->net.ifaces = s->ifaces;
	s->net.numa_count = nodes;
	s->net.cores_per_numa = 26;
	for (n = 0; n < nodes; n++) {
		snprintf(s->dev[n], sizeof(s->dev[n]), "ib%u", n);
		s->ifaces[n] = (struct ctl_fabric_iface){.provider = (char *)"ofi+verbs;ofi_rxm",
							 .device = s->dev[n],
							 .domain = s->dev[n],
							 .numa = n,
							 .priority = 0,
							 .net_class = CTL_NET_CLASS_INFINIBAND};
		for (k = 0; k < ssds[n]; k++, c++) {
			struct ctl_nvme_ctrlr *x = &s->ctrlrs[c];

			if (vmd)
				snprintf(x->pci_addr, sizeof(x->pci_addr), "%02x0505:%02x:00.0",
					 (0x5d + n) & 0xff, (k + 1) & 0xff);
			else
				snprintf(x->pci_addr, sizeof(x->pci_addr), "0000:%02x:00.0",
					 (0x10 * (n + 1) + (ssds[n] - k)) &
						 0xff); /* reverse: sorting */
			x->socket_id = (int32_t)n;
		}
	}
	s->net.nifaces = (int)nodes;
	s->st.ctrlrs = s->ctrlrs;
	s->st.nr_ctrlrs = (int)c;
	s->st.namespaces = s->ns;
	s->st.mem.hugepage_size_kb = 2048;
	s->st.mem.mem_total_kb = 64 << 20;
}

static int
syn_gen(const struct ctl_autocfg_req *req, struct syn *s, struct ctl_server_config **cfg,
	char **msg)
{
	struct ctl_autocfg_host h = {.hostname = "syn-1", .net = &s->net, .storage = &s->st};
	struct d_sbuf		err;
	int			rc;

	d_sbuf_init(&err);
	rc = ctl_autocfg_generate(req, &h, 1, cfg, &err);
	*msg = d_sbuf_take(&err);
	return rc;
}

static void
test_md_tiers(void **state)
{
	static const unsigned  counts[] = {1, 2, 3, 6};
	struct ctl_autocfg_req req;
	size_t		       i;

	(void)state;
	for (i = 0; i < D_ARRAY_SIZE(counts); i++) {
		unsigned		  ssds[2] = {counts[i], counts[i] + 1};
		struct ctl_server_config *cfg;
		struct syn		  s;
		char			 *msg;
		size_t			  e;

		syn_init(&s, 2, ssds, false);
		ctl_autocfg_req_init(&req);
		req.use_tmpfs_scm = true;
		req.control_metadata_path = "/mnt/daos_md";
		assert_int_equal(syn_gen(&req, &s, &cfg, &msg), 0);
		free(msg);
		for (e = 0; e < 2; e++) {
			const struct ctl_engine *en = &cfg->engines[e];

			if (counts[i] == 1) {
				assert_int_equal(en->nstorage, 2);
				assert_int_equal(en->storage[1].bdev_roles,
						 CTL_BDEV_ROLE_WAL | CTL_BDEV_ROLE_META |
							 CTL_BDEV_ROLE_DATA);
				continue;
			}
			assert_int_equal(en->nstorage, 3);
			assert_int_equal(en->storage[1].bdev_list.n, counts[i] < 6 ? 1 : 2);
			/* balanced to the lowest common count */
			assert_int_equal(en->storage[2].bdev_list.n,
					 counts[i] - (counts[i] < 6 ? 1 : 2));
			assert_int_equal(en->storage[1].bdev_roles, CTL_BDEV_ROLE_WAL);
			assert_int_equal(en->storage[2].bdev_roles,
					 CTL_BDEV_ROLE_META | CTL_BDEV_ROLE_DATA);
		}
		/* sorted order: the first address of NUMA 0 is the lowest one */
		if (counts[i] == 3)
			assert_list(&cfg->engines[0].storage[1].bdev_list,
				    (const char *[]){"0000:11:00.0"}, 1);
		assert_string_equal(cfg->control_metadata.path, "/mnt/daos_md");
		ctl_server_config_destroy(cfg);
	}
}

static void
test_ports_and_replicas(void **state)
{
	static const unsigned	  ssds[2] = {1, 1};
	const int64_t		  ports[] = {40000, 40100, 40200};
	const char *const	  reps3[] = {"hostX:10002", "hostY:10002", "hostZ:10002"};
	const char *const	  mixed[] = {"bob:1", "joe"};
	const char *const	  diff[] = {"bob:1", "joe:2"};
	const char *const	  neg[] = {"hostX:-10001"};
	const char *const	  two[] = {"hostX", "hostY"};
	const char *const	  v6[] = {"[fd00::1]:10003"};
	struct ctl_autocfg_req	  req;
	struct ctl_server_config *cfg;
	struct syn		  s;
	char			 *msg;

	(void)state;
	syn_init(&s, 2, ssds, false);
	ctl_autocfg_req_init(&req);
	req.use_tmpfs_scm = true; /* synthetic hosts have no PMem */
	req.fabric_ports = ports;
	req.nr_fabric_ports = 3; /* extra ports are ignored */
	req.ms_replicas = reps3;
	req.nr_ms_replicas = 3;
	if (syn_gen(&req, &s, &cfg, &msg) != 0)
		fail_msg("%s", msg);
	free(msg);
	assert_int_equal(cfg->engines[0].fabric.fabric_iface_port, 40000);
	assert_int_equal(cfg->engines[1].fabric.fabric_iface_port, 40100);
	assert_int_equal(cfg->port, 10002);
	assert_list(&cfg->mgmt_svc_replicas, reps3, 3);
	ctl_server_config_destroy(cfg);

	req.nr_fabric_ports = 1;
	assert_int_equal(syn_gen(&req, &s, &cfg, &msg), -DER_INVAL);
	assert_non_null(strstr(msg, "insufficient fabric ports for nr engines, want 2 got 1"));
	free(msg);
	req.nr_fabric_ports = 0;

	req.ms_replicas = mixed;
	req.nr_ms_replicas = 2;
	assert_int_equal(syn_gen(&req, &s, &cfg, &msg), -DER_INVAL);
	assert_non_null(strstr(msg, "MS replica port numbers do not match"));
	free(msg);
	req.ms_replicas = diff;
	assert_int_equal(syn_gen(&req, &s, &cfg, &msg), -DER_INVAL);
	assert_non_null(strstr(msg, "MS replica port numbers do not match"));
	free(msg);
	req.ms_replicas = neg;
	req.nr_ms_replicas = 1;
	assert_int_equal(syn_gen(&req, &s, &cfg, &msg), -DER_INVAL);
	assert_non_null(strstr(msg, "invalid control port in configuration: MS replica "
				    "\"hostX:-10001\""));
	free(msg);
	/* an even replica count is caught by the full validation */
	req.ms_replicas = two;
	req.nr_ms_replicas = 2;
	assert_int_equal(syn_gen(&req, &s, &cfg, &msg), -DER_INVAL);
	assert_non_null(strstr(msg, "validating engine config"));
	assert_non_null(strstr(msg, "non-odd number of MS replicas"));
	free(msg);
	req.ms_replicas = v6;
	req.nr_ms_replicas = 1;
	assert_int_equal(syn_gen(&req, &s, &cfg, &msg), 0);
	free(msg);
	assert_int_equal(cfg->port, 10003);
	ctl_server_config_destroy(cfg);

	req.helper_log_file = "/var/log/daos/helper.log";
	req.ms_replicas = two;
	req.nr_ms_replicas = 1;
	assert_int_equal(syn_gen(&req, &s, &cfg, &msg), 0);
	free(msg);
	assert_string_equal(cfg->helper_log_file, "/var/log/daos/helper.log");
	assert_list(&cfg->mgmt_svc_replicas, (const char *[]){"hostX:10001"}, 1);
	ctl_server_config_destroy(cfg);
}

static void
test_vmd(void **state)
{
	unsigned		  even[2] = {2, 2}, odd[2] = {2, 3};
	struct ctl_autocfg_req	  req;
	struct ctl_server_config *cfg;
	struct syn		  s;
	char			 *msg;

	(void)state;
	ctl_autocfg_req_init(&req);
	req.use_tmpfs_scm = true;
	syn_init(&s, 2, even, true);
	assert_int_equal(syn_gen(&req, &s, &cfg, &msg), 0);
	free(msg);
	/* backing devices 5d0505:01:00.0 and :02:00.0 become their VMD address */
	assert_list(&cfg->engines[0].storage[1].bdev_list, (const char *[]){"0000:5d:05.5"}, 1);
	assert_list(&cfg->engines[1].storage[1].bdev_list, (const char *[]){"0000:5e:05.5"}, 1);
	ctl_server_config_destroy(cfg);

	syn_init(&s, 2, odd, true);
	assert_int_equal(syn_gen(&req, &s, &cfg, &msg), -DER_INVAL);
	assert_non_null(strstr(msg, "different number of backing devices behind each engine's "
				    "VMD addresses"));
	assert_non_null(strstr(msg, "Assign an equal number of NVMe SSDs to each VMD"));
	free(msg);
}

/*
 * Upstream's exhaustive choice: every k-subset of SCM nodes (here in
 * lexicographic order), scored by the best provider covering it; a lower
 * score wins, an equal score only with a strictly larger lowest-common SSD
 * count.
 */
static int
brute_force_lex(const bool *scm, const unsigned *nssd, const bool cover[][8], int nprov, int nodes,
		int k, int *best_set)
{
	int best_score = INT32_MAX, best_min = -1, found = 0, idx[8], i, j;

	for (i = 0; i < k; i++)
		idx[i] = i;
	while (k <= nodes) {
		int p, score = -1, mn = INT32_MAX, ok = 1;

		for (i = 0; i < k; i++)
			ok &= scm[idx[i]];
		for (p = 0; ok && p < nprov && score < 0; p++) {
			for (i = 0; i < k && cover[p][idx[i]]; i++)
				;
			if (i == k)
				score = p * k;
		}
		if (ok && score >= 0) {
			for (i = 0; i < k; i++)
				mn = (int)nssd[idx[i]] < mn ? (int)nssd[idx[i]] : mn;
			if (!found || score < best_score ||
			    (score == best_score && mn > best_min)) {
				found = 1;
				best_score = score;
				best_min = mn;
				memcpy(best_set, idx, sizeof(int) * (size_t)k);
			}
		}
		/* next combination */
		for (i = k - 1; i >= 0 && idx[i] == nodes - k + i; i--)
			;
		if (i < 0)
			break;
		idx[i]++;
		for (j = i + 1; j < k; j++)
			idx[j] = idx[j - 1] + 1;
	}
	return found;
}

static void
test_numa_choice_matches_enumeration(void **state)
{
	static const char *const provs[] = {"ofi+verbs;ofi_rxm", "ofi+tcp", "ofi+tcp;ofi_rxm"};
	unsigned		 seed = 12345;
	int			 iter, agree = 0;

	(void)state;
	for (iter = 0; iter < 400; iter++) {
		struct ctl_autocfg_req	  req;
		struct ctl_server_config *cfg;
		struct syn		  s;
		unsigned		  nssd[8], zero[8] = {0};
		bool			  scm[8], cover[3][8], ssd_ok[8];
		int			  nodes, k, n, p, want[8], a, b, rc, i;
		char			 *msg;

#define RND() (seed = seed * 1103515245u + 12345u, (seed >> 16) & 0x7fff)
		nodes = 1 + (int)(RND() % 6);
		k = 1 + (int)(RND() % (unsigned)nodes);
		syn_init(&s, (unsigned)nodes, zero, false);
		s.net.nifaces = 0;
		for (n = 0; n < nodes; n++) {
			nssd[n] = RND() % 4;
			scm[n] = RND() % 4 != 0;
			for (p = 0; p < 3; p++) {
				cover[p][n] = RND() % 3 != 0;
				if (cover[p][n])
					s.ifaces[s.net.nifaces++] = (struct ctl_fabric_iface){
						.provider = (char *)provs[p],
						.device = s.dev[n],
						.domain = s.dev[n],
						.numa = (unsigned)n,
						.priority = (unsigned)p,
						.net_class = CTL_NET_CLASS_INFINIBAND};
			}
		}
		/* the scan's order: NUMA node, then priority */
		for (a = 0, i = 0; a < nodes; a++) {
			unsigned c;

			for (c = 0; c < nssd[a]; c++, i++) {
				snprintf(s.ctrlrs[i].pci_addr, sizeof(s.ctrlrs[i].pci_addr),
					 "0000:%02x:%02x.0", (a + 1) & 0xff, c & 0xff);
				s.ctrlrs[i].socket_id = a;
			}
			if (scm[a]) {
				snprintf(s.ns[s.st.nr_namespaces].blockdev, 32, "pmem%d", a);
				s.ns[s.st.nr_namespaces].numa_node = (uint32_t)a;
				s.ns[s.st.nr_namespaces].size = 1ULL << 40;
				s.st.nr_namespaces++;
			}
		}
		s.st.nr_ctrlrs = i;
		for (n = 0; n < nodes; n++)
			ssd_ok[n] = scm[n] && nssd[n] >= 1;
		ctl_autocfg_req_init(&req);
		req.nr_engines = k;
		rc = syn_gen(&req, &s, &cfg, &msg);
		free(msg);
		{
			int enough = 0;

			for (n = 0; n < nodes; n++)
				enough += ssd_ok[n];
			/* storage checks fail before the choice when too few nodes qualify */
			if (enough < k || (int)s.st.nr_namespaces < k) {
				assert_int_equal(rc, -DER_INVAL);
				continue;
			}
		}
		b = brute_force_lex(ssd_ok, nssd, (const bool(*)[8])cover, 3, nodes, k, want);
		if (!b) {
			assert_int_equal(rc, -DER_INVAL);
			continue;
		}
		assert_int_equal(rc, 0);
		assert_int_equal((int)cfg->nengines, k);
		for (i = 0; i < k; i++)
			assert_int_equal(cfg->engines[i].pinned_numa_node, want[i]);
		ctl_server_config_destroy(cfg);
		agree++;
#undef RND
	}
	assert_true(agree > 50);
}

/* ---- heterogeneous hosts -------------------------------------------------------------- */

static const char *const wolves[] = {"wolf-71", "wolf-72", "wolf-73"};

static char *
hetero(struct th *hs, const char *const *names, size_t n)
{
	struct ctl_autocfg_req	  req;
	struct ctl_server_config *cfg;
	char			 *msg;

	ctl_autocfg_req_init(&req);
	assert_int_equal(gen_hosts(&req, hs, names, n, &cfg, &msg), -DER_INVAL);
	return msg;
}

static void
want_in(const char *msg, const char *want)
{
	assert_non_null(msg);
	if (strstr(msg, want) == NULL)
		fail_msg("expected \"%s\" in:\n%s", want ? want : "", msg ? msg : "");
}

static void
load3(struct th *hs, const char *f0, const char *f1, const char *f2)
{
	th_load(&hs[0], f0);
	th_load(&hs[1], f1);
	th_load(&hs[2], f2);
}

static void
free3(struct th *hs)
{
	th_free(&hs[0]);
	th_free(&hs[1]);
	th_free(&hs[2]);
}

static void
test_hosts_identical(void **state)
{
	struct ctl_autocfg_req	  req;
	struct ctl_server_config *cfg;
	struct th		  hs[3];
	char			 *msg;

	(void)state;
	load3(hs, "wolf", "wolf", "wolf");
	/* models, serials and health may differ: not compared */
	snprintf(hs[2].st->ctrlrs[0].serial, sizeof(hs[2].st->ctrlrs[0].serial), "OTHER");
	ctl_autocfg_req_init(&req);
	assert_int_equal(gen_hosts(&req, hs, wolves, 3, &cfg, &msg), 0);
	free(msg);
	assert_int_equal(cfg->nengines, 2);
	ctl_server_config_destroy(cfg);
	free3(hs);
}

static void
test_hosts_nvme_numa(void **state)
{
	struct th hs[2];
	char	 *msg;

	(void)state;
	th_load(&hs[0], "wolf");
	th_load(&hs[1], "wolf");
	ctrlr(&hs[1], "0000:87:00.0")->socket_id = 1;
	msg = hetero(hs, wolves, 2);
	want_in(msg, "storage hardware not consistent across hosts: 2 sets of hosts have "
		     "different storage hardware: wolf-71 (1 host), wolf-72 (1 host)\n");
	want_in(msg, "  wolf-72 differs from wolf-71:\n");
	want_in(msg, "    - NVMe 0000:87:00.0 is on NUMA node 1 on wolf-72 but NUMA node 0 on "
		     "wolf-71\n");
	want_in(msg, "Generate the configuration for hosts with identical hardware (for example "
		     "-l wolf-71)");
	assert_null(strstr(msg, "network hardware"));
	free(msg);
	th_free(&hs[0]);
	th_free(&hs[1]);
}

static void
test_hosts_pmem(void **state)
{
	struct th hs[3];
	char	 *msg;

	(void)state;
	load3(hs, "wolf", "wolf", "wolf");
	drop_ns(&hs[2], "pmem1");
	msg = hetero(hs, wolves, 3);
	want_in(msg, "wolf-[71-72] (2 hosts), wolf-73 (1 host)");
	want_in(msg, "wolf-73 has no PMem namespace on NUMA node 1 (wolf-[71-72] have pmem1, "
		     "3.2 TB)");
	want_in(msg, "(for example -l wolf-[71-72])");
	free(msg);
	free3(hs);

	/* the other way round, and a different size */
	load3(hs, "wolf", "wolf", "wolf");
	drop_ns(&hs[0], "pmem1");
	drop_ns(&hs[1], "pmem1");
	hs[2].st->namespaces[0].size /= 2;
	msg = hetero(hs, wolves, 3);
	want_in(msg, "wolf-73 has PMem namespace pmem1, 3.2 TB on NUMA node 1 but wolf-[71-72] "
		     "have none");
	want_in(msg, "PMem on NUMA node 0 is pmem0, 1.6 TB on wolf-73 but pmem0, 3.2 TB on "
		     "wolf-[71-72]");
	free(msg);
	free3(hs);
}

static void
test_hosts_network(void **state)
{
	struct th hs[3];
	char	 *msg;

	(void)state;
	load3(hs, "wolf", "wolf", "wolf");
	drop_iface(&hs[2], "ib1", "ofi+verbs;ofi_rxm");
	hs[2].net->cores_per_numa = 16;
	msg = hetero(hs, wolves, 3);
	want_in(msg, "network hardware not consistent across hosts: 2 sets of hosts have "
		     "different network hardware: wolf-[71-72] (2 hosts), wolf-73 (1 host)");
	want_in(msg, "ib1 offers ofi+verbs;ofi_rxm on wolf-[71-72] but not on wolf-73");
	want_in(msg, "wolf-73 has 16 cores per NUMA node but wolf-[71-72] have 24");
	assert_null(strstr(msg, "storage hardware"));
	free(msg);
	free3(hs);

	load3(hs, "wolf", "wolf", "wolf");
	hs[2].net->numa_count = 1;
	set_iface_field(&hs[2], "ib1", 0, -1);
	set_iface_field(&hs[2], "eth0", -1, CTL_NET_CLASS_INFINIBAND);
	msg = hetero(hs, wolves, 3);
	want_in(msg, "NUMA node count is 1 on wolf-73 but 2 on wolf-[71-72]");
	want_in(msg, "ib1 is on NUMA node 0 on wolf-73 but NUMA node 1 on wolf-[71-72]");
	want_in(msg, "eth0 is INFINIBAND on wolf-73 but ETHER on wolf-[71-72]");
	free(msg);
	free3(hs);

	load3(hs, "wolf", "wolf", "wolf");
	drop_iface(&hs[2], "eth0", NULL);
	msg = hetero(hs, wolves, 3);
	want_in(msg, "wolf-[71-72] have fabric interface eth0 (NUMA node 0, ETHER: ofi+tcp, "
		     "ofi+tcp;ofi_rxm, ofi+sockets) but wolf-73 does not");
	free(msg);
	free3(hs);

	load3(hs, "wolf", "wolf", "wolf");
	drop_iface(&hs[0], "eth0", NULL);
	drop_iface(&hs[1], "eth0", NULL);
	drop_iface(&hs[0], "ib0", "ofi+sockets");
	drop_iface(&hs[1], "ib0", "ofi+sockets");
	msg = hetero(hs, wolves, 3);
	want_in(msg, "wolf-73 has fabric interface eth0 (NUMA node 0, ETHER: ofi+tcp, "
		     "ofi+tcp;ofi_rxm, ofi+sockets) that wolf-[71-72] do not have");
	want_in(msg, "ib0 offers ofi+sockets on wolf-73 but not on wolf-[71-72]");
	free(msg);
	free3(hs);
}

static void
test_hosts_nvme_sets(void **state)
{
	struct th hs[3];
	char	 *msg;

	(void)state;
	load3(hs, "wolf", "wolf", "wolf");
	drop_ctrlr(&hs[2], "0000:da:00.0");
	hs[2].st->mem.hugepage_size_kb = 1048576;
	msg = hetero(hs, wolves, 3);
	want_in(msg, "wolf-[71-72] have NVMe 0000:da:00.0 (NUMA node 1) but wolf-73 does not");
	want_in(msg, "hugepage size is 1.0 GiB on wolf-73 but 2.0 MiB on wolf-[71-72]");
	free(msg);
	free3(hs);

	load3(hs, "wolf", "wolf", "wolf");
	drop_ctrlr(&hs[0], "0000:da:00.0");
	drop_ctrlr(&hs[1], "0000:da:00.0");
	msg = hetero(hs, wolves, 3);
	want_in(msg, "wolf-73 has NVMe 0000:da:00.0 (NUMA node 1) that wolf-[71-72] do not have");
	free(msg);
	free3(hs);
}

static void
test_hosts_many_differences(void **state)
{
	static const char *const order2[] = {"wolf-73", "wolf-71", "wolf-72"};
	struct th		 hs[3], rev[3];
	char			*msg, *msg2;

	(void)state;
	load3(hs, "wolf", "wolf", "asym");
	hs[2].net->numa_count = 4;
	hs[2].st->mem.hugepage_size_kb = 1048576;
	drop_iface(&hs[2], "eth0", NULL);
	msg = hetero(hs, wolves, 3);
	want_in(msg, "network hardware not consistent across hosts");
	want_in(msg, "storage hardware not consistent across hosts");
	want_in(msg, "more differences\n");
	/* at most CTL_AUTOCFG_MAX_DIFFS listed */
	{
		const char *p = msg;
		int	    n = 0;

		while ((p = strstr(p, "    - ")) != NULL) {
			n++;
			p++;
		}
		assert_int_equal(n, CTL_AUTOCFG_MAX_DIFFS);
	}
	/* the same hosts given in another order explain the same way */
	load3(rev, "asym", "wolf", "wolf");
	rev[0].net->numa_count = 4;
	rev[0].st->mem.hugepage_size_kb = 1048576;
	drop_iface(&rev[0], "eth0", NULL);
	msg2 = hetero(rev, order2, 3);
	assert_string_equal(msg, msg2);
	free(msg);
	free(msg2);
	free3(hs);
	free3(rev);
}

static void
test_hosts_input_errors(void **state)
{
	struct ctl_autocfg_host	  h[2];
	struct ctl_autocfg_req	  req;
	struct ctl_server_config *cfg = NULL;
	struct d_sbuf		  err;
	struct th		  t;

	(void)state;
	th_load(&t, "wolf");
	ctl_autocfg_req_init(&req);
	h[0] = (struct ctl_autocfg_host){.hostname = "wolf-71", .net = t.net, .storage = t.st};
	h[1] = (struct ctl_autocfg_host){.hostname = "wolf-[72", .net = t.net, .storage = t.st};

	d_sbuf_init(&err);
	assert_int_equal(ctl_autocfg_generate(&req, h, 0, &cfg, &err), -DER_INVAL);
	assert_non_null(strstr(err.buf, "no hosts specified"));
	d_sbuf_fini(&err);

	d_sbuf_init(&err);
	assert_int_equal(ctl_autocfg_check_hosts(h, 2, &err), -DER_INVAL);
	assert_non_null(strstr(err.buf, "invalid host name \"wolf-[72\""));
	d_sbuf_fini(&err);

	h[1].hostname = "wolf-72";
	h[1].storage = NULL;
	d_sbuf_init(&err);
	assert_int_equal(ctl_autocfg_check_hosts(h, 2, &err), -DER_INVAL);
	assert_non_null(strstr(err.buf, "missing storage scan of host wolf-72"));
	d_sbuf_fini(&err);
	h[1].net = NULL;
	assert_int_equal(ctl_autocfg_check_hosts(h, 2, NULL), -DER_INVAL);

	/* no error buffer: still refused */
	h[1].net = t.net;
	h[1].storage = t.st;
	assert_int_equal(ctl_autocfg_check_hosts(h, 2, NULL), 0);
	t.st->mem.hugepage_size_kb = 0;
	assert_int_equal(ctl_autocfg_generate(&req, h, 2, &cfg, NULL), -DER_INVAL);
	assert_null(cfg);
	th_free(&t);
}

/* ---- out of memory -------------------------------------------------------------------- */

/* Synthetic scans only: the first d_calloc() reads D_FI_ALLOC_FAIL, so nothing may allocate before.
 */
static int
oom_child(void)
{
	static const unsigned	  ssds[2] = {3, 2};
	struct ctl_autocfg_host	  h[2];
	struct ctl_autocfg_req	  req;
	struct ctl_server_config *cfg = NULL;
	struct d_sbuf		  err;
	static struct syn	  s[2];
	int			  rc;

	syn_init(&s[0], 2, ssds, false);
	syn_init(&s[1], 2, ssds, false);
	s[1].ctrlrs[0].socket_id = 1;
	h[0] = (struct ctl_autocfg_host){
		.hostname = "wolf-71", .net = &s[0].net, .storage = &s[0].st};
	h[1] = (struct ctl_autocfg_host){
		.hostname = "wolf-72", .net = &s[1].net, .storage = &s[1].st};
	ctl_autocfg_req_init(&req);
	req.use_tmpfs_scm = true;
	req.control_metadata_path = "/var/daos/config";
	d_sbuf_init(&err);
	/* heterogeneous pair: the explanation paths */
	rc = ctl_autocfg_generate(&req, h, 2, &cfg, &err);
	d_sbuf_fini(&err);
	if (rc != -DER_INVAL && rc != -DER_NOMEM)
		return 20;
	/* one host: the generation paths */
	d_sbuf_init(&err);
	rc = ctl_autocfg_generate(&req, h, 1, &cfg, &err);
	d_sbuf_fini(&err);
	ctl_server_config_destroy(cfg);
	return rc == 0 ? 0 : rc == -DER_NOMEM ? 10 : 20;
}

static void
test_out_of_memory(void **state)
{
	int n, ok = 0;

	(void)state;
	for (n = 1; n < 3000 && !ok; n++) {
		pid_t pid = fork();
		int   status;

		assert_true(pid >= 0);
		if (pid == 0) {
			char v[16];

			snprintf(v, sizeof(v), "%d", n);
			setenv("D_FI_ALLOC_FAIL", v, 1);
			execl("/proc/self/exe", "test_autocfg", "--oom-child", (char *)NULL);
			_exit(30);
		}
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFEXITED(status));
		if (WEXITSTATUS(status) != 0 && WEXITSTATUS(status) != 10)
			fail_msg("allocation %d: child exited with %d", n, WEXITSTATUS(status));
		ok = WEXITSTATUS(status) == 0;
	}
	assert_true(ok);
	assert_true(n > 10);
}

int
main(int argc, char **argv)
{
	const char	       *src = getenv("DAOS_SOURCE_DIR");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wolf_default),
		cmocka_unit_test(test_wolf_single_engine),
		cmocka_unit_test(test_wolf_network),
		cmocka_unit_test(test_net_class_parse),
		cmocka_unit_test(test_wolf_tmpfs_md),
		cmocka_unit_test(test_asym),
		cmocka_unit_test(test_host_data_errors),
		cmocka_unit_test(test_request_errors),
		cmocka_unit_test(test_thread_counts),
		cmocka_unit_test(test_md_split),
		cmocka_unit_test(test_md_tiers),
		cmocka_unit_test(test_ports_and_replicas),
		cmocka_unit_test(test_vmd),
		cmocka_unit_test(test_numa_choice_matches_enumeration),
		cmocka_unit_test(test_hosts_identical),
		cmocka_unit_test(test_hosts_nvme_numa),
		cmocka_unit_test(test_hosts_pmem),
		cmocka_unit_test(test_hosts_network),
		cmocka_unit_test(test_hosts_nvme_sets),
		cmocka_unit_test(test_hosts_many_differences),
		cmocka_unit_test(test_hosts_input_errors),
		cmocka_unit_test(test_out_of_memory),
	};

	snprintf(fixtures, sizeof(fixtures), "%s/tests/fixtures/hosts", src ? src : ".");
	if (argc > 1 && strcmp(argv[1], "--oom-child") == 0)
		return oom_child();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
