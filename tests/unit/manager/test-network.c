/* test-network.c - network names, LXD's network keys, address parsing and subnet arithmetic. */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "json.h"
#include "netlink.h"
#include "network.h"

static void test_names(void **state)
{
	assert_int_equal(network_name_check("cellbr0", NULL), 0);
	assert_int_equal(network_name_check("br-test_1.2", NULL), 0);
	assert_int_equal(network_name_check("0bad", NULL), -EINVAL);
	assert_int_equal(network_name_check("way-too-long-name", NULL), -EINVAL);
	assert_int_equal(network_name_check("bad/name", NULL), -EINVAL);
	assert_int_equal(network_name_check("", NULL), -EINVAL);
}

static int check(const char *key, const char *value, struct cell_error **err)
{
	json_t *c = json_pack("{ss}", key, value);
	int r = network_config_validate(c, err);
	json_decref(c);
	return r;
}

static void test_keys(void **state)
{
	assert_int_equal(check("ipv4.address", "10.180.0.1/24", NULL), 0);
	assert_int_equal(check("ipv4.address", "auto", NULL), 0);
	assert_int_equal(check("ipv4.address", "none", NULL), 0);
	assert_int_equal(check("ipv6.address", "fd42::1/64", NULL), 0);
	assert_int_equal(check("ipv4.nat", "true", NULL), 0);
	assert_int_equal(check("dns.domain", "cell.test", NULL), 0);
	assert_int_equal(check("bridge.mtu", "9000", NULL), 0);
	assert_int_equal(check("user.x", "anything", NULL), 0);
	struct cell_error *e = NULL;
	assert_int_equal(check("ipv4.address", "10.0.0.300/24", &e), -EINVAL);
	assert_non_null(strstr(e->msg, "invalid value for ipv4.address: \"10.0.0.300/24\""));
	cell_error_free(e);
	e = NULL;
	assert_int_equal(check("foo.bar", "1", &e), -EINVAL);
	assert_non_null(strstr(e->msg, "unknown network config key: foo.bar"));
	cell_error_free(e);
	/* The network's own address, its broadcast, no prefix, the wrong family, tiny subnets. */
	assert_int_equal(check("ipv4.address", "10.9.9.0/24", NULL), -EINVAL);
	assert_int_equal(check("ipv4.address", "10.9.9.255/24", NULL), -EINVAL);
	assert_int_equal(check("ipv4.address", "10.9.9.1", NULL), -EINVAL);
	assert_int_equal(check("ipv4.address", "fd42::1/64", NULL), -EINVAL);
	assert_int_equal(check("ipv4.address", "10.9.9.1/31", NULL), -EINVAL);
	assert_int_equal(check("ipv6.address", "10.9.9.1/24", NULL), -EINVAL);
	assert_int_equal(check("ipv4.nat", "maybe", NULL), -EINVAL);
	assert_int_equal(check("dns.domain", "bad..domain", NULL), -EINVAL);
	assert_int_equal(check("bridge.mtu", "100", NULL), -EINVAL);
}

static void test_addresses(void **state)
{
	struct nl_addr a, b, net;
	char buf[64];
	assert_int_equal(nl_addr_parse("10.1.2.3/20", true, &a), 0);
	assert_int_equal(a.family, AF_INET);
	assert_int_equal(a.prefix, 20);
	nl_addr_network(&a, &net);
	inet_ntop(AF_INET, net.bytes, buf, sizeof(buf));
	assert_string_equal(buf, "10.1.0.0");
	assert_int_equal(nl_addr_parse("10.1.15.9/24", true, &b), 0);
	assert_true(nl_addr_overlap(&a, &b));
	assert_int_equal(nl_addr_parse("10.1.16.1/24", true, &b), 0);
	assert_false(nl_addr_overlap(&a, &b));
	assert_int_equal(nl_addr_parse("fd42:1:2:3::1/64", true, &a), 0);
	assert_int_equal(a.family, AF_INET6);
	assert_false(nl_addr_overlap(&a, &b));
	assert_int_equal(nl_addr_parse("10.1.2.3", true, &a), -EINVAL);
	assert_int_equal(nl_addr_parse("10.1.2.3/33", true, &a), -EINVAL);
	assert_int_equal(nl_addr_parse("nonsense/8", true, &a), -EINVAL);
	uint8_t mac[6];
	assert_int_equal(nl_mac_parse("00:16:3e:12:34:56", mac), 0);
	assert_int_equal(mac[5], 0x56);
	assert_int_equal(nl_mac_parse("01:16:3e:12:34:56", mac), -EINVAL); /* multicast */
	assert_int_equal(nl_mac_parse("00:16:3e:12:34", mac), -EINVAL);
	assert_int_equal(nl_mac_parse("00:16:3e:12:34:567", mac), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_addresses),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
