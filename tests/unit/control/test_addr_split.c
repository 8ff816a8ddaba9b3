/*
 * Unit tests for ctl_addr_split() (rpc.h): the "host:port" / "[v6]:port"
 * splitter daos_server (replica entries, member addresses) and dmg (the
 * leader's address, host list entries) share, and ctl_addr_split_opt(), its
 * optional-port form (--rank-hosts entries).  Nothing is written on error.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "control/lib/rpc/rpc.h"

static void
test_valid(void **state)
{
	char	 host[64];
	uint16_t port = 0;

	(void)state;
	assert_int_equal(ctl_addr_split("node-1.example:10001", host, sizeof(host), &port), 0);
	assert_string_equal(host, "node-1.example");
	assert_int_equal(port, 10001);
	assert_int_equal(ctl_addr_split("10.0.0.7:1", host, sizeof(host), &port), 0);
	assert_string_equal(host, "10.0.0.7");
	assert_int_equal(port, 1);
	assert_int_equal(ctl_addr_split("h:65535", host, sizeof(host), &port), 0);
	assert_string_equal(host, "h");
	assert_int_equal(port, 65535);
}

static void
test_v6(void **state)
{
	char	 host[64];
	uint16_t port = 0;

	(void)state;
	assert_int_equal(ctl_addr_split("[fe80::1]:10001", host, sizeof(host), &port), 0);
	assert_string_equal(host, "fe80::1");
	assert_int_equal(port, 10001);
	/* unbracketed: the last colon separates the port */
	assert_int_equal(ctl_addr_split("::1:10002", host, sizeof(host), &port), 0);
	assert_string_equal(host, "::1");
	assert_int_equal(port, 10002);
	/* empty brackets are an empty host */
	assert_int_equal(ctl_addr_split("[]:10001", host, sizeof(host), &port), -DER_INVAL);
}

typedef int (*split_fn)(const char *addr, char *host, size_t host_len, uint16_t *port);

static void
bad_with(split_fn split, const char *addr)
{
	char	 host[16] = "untouched";
	uint16_t port = 7;

	assert_int_equal(split(addr, host, sizeof(host), &port), -DER_INVAL);
	assert_string_equal(host, "untouched");
	assert_int_equal(port, 7);
}

static void
bad(const char *addr)
{
	bad_with(ctl_addr_split, addr);
}

static void
test_bad_port(void **state)
{
	(void)state;
	bad("host");
	bad("host:");
	bad("host:0");
	bad("host:65536");
	bad("host:99999999999999999999999");
	bad("host:10001x");
	bad("host:-1");
	bad("host:+80");
	bad("host: 80");
	bad("[fe80::1]");
}

static void
test_bad_host(void **state)
{
	char	 host[8];
	uint16_t port;

	(void)state;
	bad(":10001");
	bad("[]:10001");
	/* 7 characters fit in 8 bytes, 8 do not */
	assert_int_equal(ctl_addr_split("abcdefg:1", host, sizeof(host), &port), 0);
	assert_string_equal(host, "abcdefg");
	bad("a-host-name-longer-than-16:10001");
	assert_int_equal(ctl_addr_split("abcdefgh:1", host, sizeof(host), &port), -DER_INVAL);
}

static void
opt_ok(const char *addr, const char *want_host, uint16_t want_port)
{
	char	 host[16];
	uint16_t port = 7;

	assert_int_equal(ctl_addr_split_opt(addr, host, sizeof(host), &port), 0);
	assert_string_equal(host, want_host);
	assert_int_equal(port, want_port);
}

static void
opt_bad(const char *addr)
{
	bad_with(ctl_addr_split_opt, addr);
}

static void
test_opt_valid(void **state)
{
	(void)state;
	opt_ok("node-1", "node-1", 0);
	opt_ok("node-1:10001", "node-1", 10001);
	opt_ok("10.0.0.7", "10.0.0.7", 0);
	opt_ok("10.0.0.7:65535", "10.0.0.7", 65535);
	opt_ok("[fe80::1]", "fe80::1", 0);
	opt_ok("[fe80::1]:10001", "fe80::1", 10001);
	/* unbracketed with several colons: all of it is the address */
	opt_ok("fe80::1", "fe80::1", 0);
	opt_ok("::1:10002", "::1:10002", 0);
	/* 15 characters fit in 16 bytes */
	opt_ok("abcdefghijklmno:1", "abcdefghijklmno", 1);
}

static void
test_opt_bad(void **state)
{
	(void)state;
	opt_bad("");
	opt_bad(":10001");
	opt_bad("[]");
	opt_bad("[]:10001");
	opt_bad("host:");
	opt_bad("host:0");
	opt_bad("host:65536");
	opt_bad("host:99999999999999999999999");
	opt_bad("host:abc");
	opt_bad("host:+80");
	opt_bad("host: 80");
	opt_bad("host:-1");
	opt_bad("[fe80::1");
	opt_bad("[fe80::1]x");
	opt_bad("[fe80::1]:");
	opt_bad("[fe80::1]:0");
	opt_bad("[fe80::1]:10001x");
	opt_bad("abcdefghijklmnop");
	opt_bad("abcdefghijklmnop:1");
	opt_bad("[abcdefghijklmnop]:1");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),	  cmocka_unit_test(test_v6),
		cmocka_unit_test(test_bad_port),  cmocka_unit_test(test_bad_host),
		cmocka_unit_test(test_opt_valid), cmocka_unit_test(test_opt_bad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
