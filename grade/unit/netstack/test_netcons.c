/* The netconsole (lib/net/netcons.c): text cut into lines, one UDP datagram per line to the
 * configured collector, long lines in NETCONS_LINE pieces. */
#include <criterion/criterion.h>
#include <string.h>

#include "abi/error.h"
#include "frames.h"
#include "netcons.h"
#include "netfix.h"

TestSuite(netcons, .init = fix_setup, .fini = fix_teardown);

static struct netcons nc;

/* The UDP payload of sent frame i, and its length. */
static const uint8_t *
payload(unsigned i, unsigned *len)
{
	const uint8_t *u = fix_tx[i].data + 34;

	cr_assert_eq(fix_tx[i].data[23], 17, "frame %u is UDP", i);
	cr_assert_eq(u[0] << 8 | u[1], 6666, "from the netconsole's port");
	cr_assert_eq(u[2] << 8 | u[3], 6667, "to the collector's port");
	*len = (unsigned)(u[4] << 8 | u[5]) - 8;
	return u + 8;
}

Test(netcons, each_line_is_one_datagram)
{
	unsigned len;

	fix_rx(arp_req_in, sizeof(arp_req_in));
	cr_assert_eq(netcons_init(&nc, &fix_st, 6666, FIX_PEER, 6667), 0);
	netcons_write(&nc, "boot ok\nsecond", 14);
	cr_assert_eq(fix_ntx, 2, "only the complete line went out");
	cr_assert_arr_eq(payload(1, &len), "boot ok\n", 8);
	cr_assert_eq(len, 8);
	netcons_write(&nc, " line\n", 6);
	cr_assert_arr_eq(payload(2, &len), "second line\n", 12);
	cr_assert_eq(len, 12);
	netcons_write(&nc, "tail", 4);
	netcons_fini(&nc);
	cr_assert_eq(fix_ntx, 4, "fini sends the partial line");
	cr_assert_arr_eq(payload(3, &len), "tail", 4);
	cr_assert_eq(nc.lines, 3);
}

Test(netcons, long_line_goes_in_pieces)
{
	char text[NETCONS_LINE + 10];
	unsigned len;

	memset(text, 'x', sizeof(text));
	text[sizeof(text) - 1] = '\n';
	fix_rx(arp_req_in, sizeof(arp_req_in));
	cr_assert_eq(netcons_init(&nc, &fix_st, 6666, FIX_PEER, 6667), 0);
	netcons_write(&nc, text, sizeof(text));
	cr_assert_eq(fix_ntx, 3);
	payload(1, &len);
	cr_assert_eq(len, NETCONS_LINE);
	payload(2, &len);
	cr_assert_eq(len, 10);
	netcons_fini(&nc);
}

Test(netcons, lines_before_arp_wait_in_the_hold)
{
	cr_assert_eq(netcons_init(&nc, &fix_st, 6666, FIX_PEER, 6667), 0);
	netcons_write(&nc, "a\nb\n", 4);
	cr_assert_eq(fix_ntx, 1, "the ARP request only");
	fix_rx(arp_reply_in, sizeof(arp_reply_in));
	cr_assert_eq(fix_ntx, 3);
	netcons_fini(&nc);
}

Test(netcons, refuses_port_zero_and_a_bound_port)
{
	cr_assert_eq(netcons_init(&nc, &fix_st, 6666, FIX_PEER, 0), E_INVAL);
	cr_assert_geq(net_udp_bind(&fix_st, 6666), 0);
	cr_assert_eq(netcons_init(&nc, &fix_st, 6666, FIX_PEER, 6667), E_EXIST);
}
