/*
 * Unit tests for rpc_conv.c: every hardware fixture's storage and network
 * scan goes C -> protobuf -> bytes -> protobuf -> C and must render (text
 * tables, health, JSON) exactly as before; requests and the version
 * response round-trip; malformed bytes are refused.
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

#include "common/common.h"
#include "common/json.h"
#include "control/lib/render/render.h"
#include "control/lib/rpc/rpc.h"

static const char *const hosts[] = {"wolf", "asym", "local"};

static void
set_root(const char *sub)
{
	char root[PATH_MAX];

	snprintf(root, sizeof(root), "%s/tests/fixtures/%s", getenv("DAOS_SOURCE_DIR"), sub);
	ctl_hw_use(root);
}

static char *
render_storage(const struct ctl_storage_scan *s)
{
	struct ctl_storage_group g = {"host", s};
	struct d_json		*w = d_json_create();
	char			*buf = NULL;
	size_t			 len = 0;
	FILE			*f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_non_null(w);
	ctl_storage_print_summary(f, &g, 1);
	ctl_storage_print_verbose(f, &g, 1);
	ctl_storage_print_health(f, &g, 1);
	ctl_storage_json_host(w, NULL, s);
	assert_int_equal(d_json_finish(w), 0);
	fprintf(f, "%s\n", d_json_text(w));
	/* Fields no renderer shows. */
	for (int i = 0; i < s->nr_ctrlrs; i++)
		fprintf(f, "%s %s %s %s\n", s->ctrlrs[i].vendor_id, s->ctrlrs[i].ctrl_dev,
			s->ctrlrs[i].info ? s->ctrlrs[i].info : "-",
			s->ctrlrs[i].health ? "health" : "nohealth");
	for (int i = 0; i < s->nr_regions; i++)
		fprintf(f, "%s %u %u %lu %lu\n", s->regions[i].dev, s->regions[i].id,
			s->regions[i].numa_node, (unsigned long)s->regions[i].size,
			(unsigned long)s->regions[i].available);
	fprintf(f, "reboot %d mem %lu\n", s->reboot_required,
		(unsigned long)s->mem.mem_available_kb);
	fclose(f);
	d_json_destroy(w);
	return buf;
}

static void
test_storage_round_trip(void **state)
{
	(void)state;
	for (size_t h = 0; h < D_ARRAY_SIZE(hosts); h++) {
		struct ctl_storage_scan *scan, *back;
		struct d_errbuf		 eb = {{0}};
		uint8_t			*buf;
		size_t			 len;
		char			 sub[64];

		snprintf(sub, sizeof(sub), "hosts/%s", hosts[h]);
		set_root(sub);
		assert_int_equal(ctl_storage_scan(CTL_SCAN_ALL, &scan, &eb), 0);
		ctl_hw_use(NULL);
		assert_int_equal(ctl_storage_scan_pack(scan, &buf, &len), 0);
		assert_int_equal(ctl_storage_scan_unpack(buf, len, &back, &eb), 0);

		char *a = render_storage(scan), *b = render_storage(back);

		assert_string_equal(a, b);
		assert_int_equal(back->nr_ctrlrs, scan->nr_ctrlrs);
		assert_int_equal(back->nr_modules, scan->nr_modules);
		assert_int_equal(back->nr_namespaces, scan->nr_namespaces);
		for (int i = 0; i < scan->nr_ctrlrs; i++) {
			assert_int_equal(back->ctrlrs[i].nr_ns, scan->ctrlrs[i].nr_ns);
			if (scan->ctrlrs[i].health != NULL)
				assert_memory_equal(back->ctrlrs[i].health, scan->ctrlrs[i].health,
						    sizeof(struct ctl_nvme_health));
		}
		assert_memory_equal(&back->mem, &scan->mem, sizeof(scan->mem));
		free(a);
		free(b);
		free(buf);
		ctl_storage_scan_free(back);
		ctl_storage_scan_free(scan);
	}
}

static char *
render_net(const struct ctl_net_scan *s)
{
	struct ctl_net_host_group g = {"host", s};
	struct d_json		 *w = d_json_create();
	char			 *buf = NULL;
	size_t			  len = 0;
	FILE			 *f = open_memstream(&buf, &len);

	assert_non_null(f);
	ctl_net_print(f, &g, 1);
	ctl_net_json(w, NULL, &g, 1);
	assert_int_equal(d_json_finish(w), 0);
	fprintf(f, "%s\n%016lx\n", d_json_text(w), (unsigned long)ctl_net_scan_key(s));
	for (int i = 0; i < s->nifaces; i++)
		fprintf(f, "%s\n", s->ifaces[i].domain);
	fclose(f);
	d_json_destroy(w);
	return buf;
}

static void
test_net_round_trip(void **state)
{
	(void)state;
	for (size_t h = 0; h < D_ARRAY_SIZE(hosts); h++) {
		struct ctl_net_scan *scan, *back;
		struct d_errbuf	     eb = {{0}};
		uint8_t		    *buf;
		size_t		     len;
		char		     sub[64];

		snprintf(sub, sizeof(sub), "hosts/%s", hosts[h]);
		set_root(sub);
		assert_int_equal(ctl_net_scan(NULL, NULL, &scan, &eb), 0);
		ctl_hw_use(NULL);
		assert_true(scan->nifaces > 0);
		assert_int_equal(ctl_net_scan_pack(scan, &buf, &len), 0);
		assert_int_equal(ctl_net_scan_unpack(buf, len, &back, &eb), 0);

		char *a = render_net(scan), *b = render_net(back);

		assert_string_equal(a, b);
		assert_int_equal(back->nproviders, scan->nproviders);
		free(a);
		free(b);
		free(buf);
		ctl_net_scan_free(back);
		ctl_net_scan_free(scan);
	}
}

static void
test_requests(void **state)
{
	struct d_errbuf eb = {{0}};
	uint8_t	       *buf;
	size_t		len;
	unsigned int	flags;
	char	       *prov;

	(void)state;
	for (unsigned int f = 0; f <= CTL_SCAN_ALL; f++) {
		assert_int_equal(ctl_storage_scan_req_pack(f, &buf, &len), 0);
		assert_int_equal(ctl_storage_scan_req_unpack(buf, len, &flags, &eb), 0);
		assert_int_equal(flags, f);
		free(buf);
	}
	assert_int_equal(ctl_net_scan_req_pack("ofi+tcp;ofi_rxm", &buf, &len), 0);
	assert_int_equal(ctl_net_scan_req_unpack(buf, len, &prov, &eb), 0);
	assert_string_equal(prov, "ofi+tcp;ofi_rxm");
	free(prov);
	free(buf);
	assert_int_equal(ctl_net_scan_req_pack(NULL, &buf, &len), 0);
	assert_int_equal(ctl_net_scan_req_unpack(buf, len, &prov, &eb), 0);
	assert_string_equal(prov, "");
	free(prov);
	free(buf);

	struct ctl_server_version v = {(char *)"DAOS Control Server", (char *)"2.9.100",
				       (char *)"abc123", (char *)"wolf-71"};
	struct ctl_server_version r;

	assert_int_equal(ctl_server_version_pack(&v, &buf, &len), 0);
	assert_int_equal(ctl_server_version_unpack(buf, len, &r, &eb), 0);
	assert_string_equal(r.name, v.name);
	assert_string_equal(r.version, v.version);
	assert_string_equal(r.revision, v.revision);
	assert_string_equal(r.hostname, v.hostname);
	ctl_server_version_fini(&r);
	ctl_server_version_fini(NULL);
	free(buf);
}

static void
test_malformed(void **state)
{
	/* Field 1 as a length-delimited record longer than the buffer. */
	static const uint8_t	  bad[] = {0x0a, 0x7f, 0x01};
	struct ctl_storage_scan	 *s = NULL;
	struct ctl_net_scan	 *n = NULL;
	struct ctl_server_version v;
	struct d_errbuf		  eb = {{0}};
	unsigned int		  flags;
	char			 *p;

	(void)state;
	assert_int_equal(ctl_storage_scan_unpack(bad, sizeof(bad), &s, &eb), -DER_PROTO);
	assert_non_null(strstr(eb.msg, "malformed StorageScanResp"));
	assert_null(s);
	assert_int_equal(ctl_net_scan_unpack(bad, sizeof(bad), &n, &eb), -DER_PROTO);
	assert_non_null(strstr(eb.msg, "malformed NetworkScanResp"));
	assert_int_equal(ctl_storage_scan_req_unpack(bad, sizeof(bad), &flags, &eb), -DER_PROTO);
	assert_int_equal(ctl_net_scan_req_unpack(bad, sizeof(bad), &p, &eb), -DER_PROTO);
	assert_int_equal(ctl_server_version_unpack(bad, sizeof(bad), &v, &eb), -DER_PROTO);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_storage_round_trip),
		cmocka_unit_test(test_net_round_trip),
		cmocka_unit_test(test_requests),
		cmocka_unit_test(test_malformed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
