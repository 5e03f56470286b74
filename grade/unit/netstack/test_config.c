/* Network configuration words (lib/net/config.c) and dotted-quad parsing (net_parse_ip). */
#include <criterion/criterion.h>

#include "abi/error.h"
#include "net.h"
#include "net_cfg.h"

Test(config, defaults_are_qemu_user_networking)
{
	struct net_cfg c;

	net_cfg_default(&c);
	cr_assert_eq(c.addr, NET_IP(10, 0, 2, 15));
	cr_assert_eq(c.netmask, NET_IP(255, 255, 255, 0));
	cr_assert_eq(c.gateway, NET_IP(10, 0, 2, 2));
	cr_assert_eq(c.cons_ip, 0);
}

Test(config, words_set_their_fields)
{
	struct net_cfg c;

	net_cfg_default(&c);
	cr_assert_eq(net_cfg_word(&c, "ip=10.0.3.1"), 1);
	cr_assert_eq(net_cfg_word(&c, "mask=255.255.0.0"), 1);
	cr_assert_eq(net_cfg_word(&c, "gw=0.0.0.0"), 1);
	cr_assert_eq(net_cfg_word(&c, "netcons=10.0.2.2:6666"), 1);
	cr_assert_eq(c.addr, NET_IP(10, 0, 3, 1));
	cr_assert_eq(c.netmask, NET_IP(255, 255, 0, 0));
	cr_assert_eq(c.gateway, 0);
	cr_assert_eq(c.cons_ip, NET_IP(10, 0, 2, 2));
	cr_assert_eq(c.cons_port, 6666);
	cr_assert_eq(net_cfg_word(&c, "7"), 0, "not a configuration word");
}

Test(config, malformed_values_are_refused_and_change_nothing)
{
	static const char *const bad[] = {
		"ip=10.0.2",
		"ip=10.0.2.256",
		"ip=10.0.2.1.",
		"ip=1.2.3.4x",
		"ip=",
		"ip=1..2.3",
		"ip=0001.2.3.4",
		"mask=a.b.c.d",
		"netcons=10.0.2.2",
		"netcons=10.0.2.2:",
		"netcons=10.0.2.2:0",
		"netcons=10.0.2.2:65536",
		"netcons=10.0.2.2:6x",
		"netcons=:80",
		"netcons=1234567890123456:1",
	};
	struct net_cfg c, orig;

	net_cfg_default(&c);
	orig = c;
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_eq(net_cfg_word(&c, bad[i]), E_INVAL, "%s accepted", bad[i]);
		cr_assert_arr_eq(&c, &orig, sizeof(c), "%s changed the configuration", bad[i]);
	}
}
