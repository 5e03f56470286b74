/* UDP (RFC 768) sockets in the network stack: a datagram echoed through a socket with exact
 * bytes, the checksum rules, the socket table's and the queue's limits. */
#include <criterion/criterion.h>
#include <string.h>

#include "abi/error.h"
#include "frames.h"
#include "netfix.h"

TestSuite(udp, .init = fix_setup, .fini = fix_teardown);

Test(udp, datagram_echoed_through_a_socket_with_exact_bytes)
{
	int s = net_udp_bind(&fix_st, 7);
	char buf[64];
	uint32_t src;
	uint16_t sport;
	int n;

	cr_assert_geq(s, 0);
	cr_assert_eq(net_udp_recvfrom(&fix_st, s, buf, sizeof(buf), &src, &sport), E_AGAIN);
	fix_rx(arp_req_in, sizeof(arp_req_in)); /* learn the peer */
	fix_rx(udp_in, sizeof(udp_in));
	cr_assert_eq(fix_st.cnt.udp_in, 1);
	n = net_udp_recvfrom(&fix_st, s, buf, sizeof(buf), &src, &sport);
	cr_assert_eq(n, 5);
	cr_assert_arr_eq(buf, "hello", 5);
	cr_assert_eq(src, FIX_PEER);
	cr_assert_eq(sport, 5555);
	cr_assert_eq(net_udp_sendto(&fix_st, s, src, sport, buf, (uint16_t)n), 0);
	cr_assert_eq(fix_ntx, 2);
	cr_assert_eq(fix_tx[1].len, sizeof(udp_out));
	cr_assert_arr_eq(fix_tx[1].data, udp_out, sizeof(udp_out));
	cr_assert_eq(net_udp_recvfrom(&fix_st, s, buf, sizeof(buf), 0, 0), E_AGAIN);
}

Test(udp, zero_checksum_means_none_and_is_accepted)
{
	int s = net_udp_bind(&fix_st, 7);
	uint8_t f[sizeof(udp_in)];
	char buf[8];

	memcpy(f, udp_in, sizeof(f));
	f[40] = f[41] = 0;
	fix_rx(f, sizeof(f));
	cr_assert_eq(net_udp_recvfrom(&fix_st, s, buf, sizeof(buf), 0, 0), 5);
}

Test(udp, bad_checksum_is_dropped_and_counted)
{
	int s = net_udp_bind(&fix_st, 7);
	uint8_t f[sizeof(udp_in)];
	char buf[8];

	memcpy(f, udp_in, sizeof(f));
	f[42] ^= 1; /* one bit of the payload */
	fix_rx(f, sizeof(f));
	cr_assert_eq(fix_st.cnt.udp_bad_checksum, 1);
	cr_assert_eq(net_udp_recvfrom(&fix_st, s, buf, sizeof(buf), 0, 0), E_AGAIN);
}

Test(udp, recvfrom_cuts_to_the_buffer_and_returns_the_full_length)
{
	int s = net_udp_bind(&fix_st, 7);
	char buf[3] = { 0 };

	fix_rx(udp_in, sizeof(udp_in));
	cr_assert_eq(net_udp_recvfrom(&fix_st, s, buf, 2, 0, 0), 5);
	cr_assert_arr_eq(buf, "he\0", 3);
}

Test(udp, full_queue_drops_and_counts_then_keeps_order)
{
	int s = net_udp_bind(&fix_st, 7);
	uint8_t f[128];
	char buf[8];

	for (unsigned i = 0; i <= NET_SOCK_QLEN; i++) {
		char c = (char)('0' + i); /* up to '0' + NET_SOCK_QLEN: still a char */

		fix_inject(f, fix_udp_frame(f, 7, &c, 1));
	}
	/* A queue of NET_BATCH takes two polls to overfill (a poll takes NET_BATCH frames). */
	cr_assert_eq(net_poll(&fix_st) + net_poll(&fix_st), NET_SOCK_QLEN + 1);
	cr_assert_eq(fix_st.cnt.udp_queue_full, 1);
	for (unsigned i = 0; i < NET_SOCK_QLEN; i++) {
		cr_assert_eq(net_udp_recvfrom(&fix_st, s, buf, sizeof(buf), 0, 0), 1);
		cr_assert_eq(buf[0], '0' + (int)i);
	}
}

Test(udp, unbound_port_is_dropped_and_counted)
{
	fix_rx(udp_in, sizeof(udp_in));
	cr_assert_eq(fix_st.cnt.udp_no_port, 1);
	cr_assert_eq(fix_ntx, 0, "no ICMP port unreachable");
}

Test(udp, bind_refuses_port_zero_a_bound_port_and_a_full_table)
{
	cr_assert_eq(net_udp_bind(&fix_st, 0), E_INVAL);
	cr_assert_geq(net_udp_bind(&fix_st, 7), 0);
	cr_assert_eq(net_udp_bind(&fix_st, 7), E_EXIST);
	for (int i = 1; i < NET_SOCKS; i++)
		cr_assert_geq(net_udp_bind(&fix_st, (uint16_t)(100 + i)), 0);
	cr_assert_eq(net_udp_bind(&fix_st, 200), E_NOMEM);
}

Test(udp, close_frees_queued_datagrams_and_the_port)
{
	int s = net_udp_bind(&fix_st, 7);

	fix_rx(udp_in, sizeof(udp_in));
	net_udp_close(&fix_st, s);
	cr_assert_eq(fix_pool.nfree, fix_pool.n);
	cr_assert_eq(net_udp_recvfrom(&fix_st, s, 0, 0, 0, 0), E_INVAL);
	cr_assert_geq(net_udp_bind(&fix_st, 7), 0);
}

Test(udp, sendto_refuses_bad_arguments)
{
	static char big[NET_UDP_MAX + 1];
	int s = net_udp_bind(&fix_st, 7);

	cr_assert_eq(net_udp_sendto(&fix_st, s, FIX_PEER, 0, "x", 1), E_INVAL);
	cr_assert_eq(net_udp_sendto(&fix_st, -1, FIX_PEER, 9, "x", 1), E_INVAL);
	cr_assert_eq(net_udp_sendto(&fix_st, NET_SOCKS, FIX_PEER, 9, "x", 1), E_INVAL);
	cr_assert_eq(net_udp_sendto(&fix_st, s + 1, FIX_PEER, 9, "x", 1), E_INVAL);
	cr_assert_eq(net_udp_sendto(&fix_st, s, FIX_PEER, 9, big, NET_UDP_MAX + 1), E_RANGE);
	cr_assert_eq(fix_ntx, 0);
}

Test(udp, largest_datagram_fills_the_largest_frame)
{
	static char big[NET_UDP_MAX];
	int s = net_udp_bind(&fix_st, 7);

	fix_rx(arp_req_in, sizeof(arp_req_in));
	memset(big, 0x5a, sizeof(big));
	cr_assert_eq(net_udp_sendto(&fix_st, s, FIX_PEER, 9, big, NET_UDP_MAX), 0);
	cr_assert_eq(fix_ntx, 2);
	cr_assert_eq(fix_tx[1].len, NET_ETH_MAX);
	cr_assert_eq(fix_cksum(fix_tx[1].data + 14, 20, 0), 0);
	cr_assert_eq(fix_cksum(fix_tx[1].data + 34, 8 + NET_UDP_MAX,
	                       0x0a00 + 0x020f + 0x0a00 + 0x0202 + 17 + 8 + NET_UDP_MAX),
	             0);
}

Test(udp, pool_exhaustion_fails_the_send_and_counts)
{
	struct net_buf *held[FIX_NBUFS + 1];
	unsigned n = 0;
	int s = net_udp_bind(&fix_st, 7);

	while ((held[n] = net_buf_alloc(&fix_pool)) != 0)
		n++;
	cr_assert_eq(net_udp_sendto(&fix_st, s, FIX_PEER, 9, "x", 1), E_NOMEM);
	cr_assert_eq(fix_st.cnt.tx_no_buf, 1);
	while (n > 0)
		net_buf_free(held[--n]);
}

Test(udp, frames_the_ring_cannot_take_are_dropped_and_counted)
{
	int s = net_udp_bind(&fix_st, 7);

	fix_rx(arp_req_in, sizeof(arp_req_in));
	fix_tx_room = 0;
	cr_assert_eq(net_udp_sendto(&fix_st, s, FIX_PEER, 9, "x", 1), 0);
	cr_assert_eq(fix_st.cnt.tx_ring_full, 1);
	cr_assert_eq(fix_pool.nfree, fix_pool.n);
}
