/*
 * Unit tests of netif.c: the IPv4 address of an interface by name.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <string.h>

#include "common/netif.h"

static void
test_loopback_and_missing(void **state)
{
	struct in_addr	in = {0}, before;
	struct d_errbuf eb = {{0}};
	char		buf[INET_ADDRSTRLEN];

	(void)state;
	assert_int_equal(d_netif_ipv4("lo", &in, &eb), 0);
	assert_string_equal(inet_ntop(AF_INET, &in, buf, sizeof(buf)), "127.0.0.1");
	/* no such interface: NONEXIST, *out untouched */
	before = in;
	assert_int_equal(d_netif_ipv4("no-such-if0", &in, &eb), -DER_NONEXIST);
	assert_memory_equal(&in, &before, sizeof(in));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_loopback_and_missing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
