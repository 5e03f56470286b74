/* ARP (RFC 826) in the network stack: requests for our address answered byte for byte, address
 * resolution before a send (held packets go out when the reply comes), the hold's limits, the
 * cache's expiry by the stack's clock, and routing through the gateway. */
#include <criterion/criterion.h>
#include <string.h>

#include "abi/error.h"
#include "frames.h"
#include "netfix.h"

TestSuite(arp, .init = fix_setup, .fini = fix_teardown);

#define SEC 1000000000ull

static int sock;

static void
expect_tx(unsigned i, const unsigned char *want, unsigned len)
{
	cr_assert_gt(fix_ntx, i, "frame %u was not sent", i);
	cr_assert_eq(fix_tx[i].len, len, "frame %u: %u bytes, want %u", i, fix_tx[i].len, len);
	cr_assert_arr_eq(fix_tx[i].data, want, len, "frame %u differs", i);
}

static void
send_hello(void)
{
	sock = net_udp_bind(&fix_st, 7);
	cr_assert_geq(sock, 0);
	cr_assert_eq(net_udp_sendto(&fix_st, sock, FIX_PEER, 5555, "hello", 5), 0);
}

Test(arp, request_for_our_address_is_answered_with_exact_bytes)
{
	fix_rx(arp_req_in, sizeof(arp_req_in));
	cr_assert_eq(fix_ntx, 1);
	expect_tx(0, arp_reply_out, sizeof(arp_reply_out));
	cr_assert_eq(fix_st.cnt.arp_requests_in, 1);
}

Test(arp, request_for_another_address_is_ignored_and_not_cached)
{
	unsigned char f[sizeof(arp_req_in)];

	memcpy(f, arp_req_in, sizeof(f));
	f[41] = 99; /* target 10.0.2.99 */
	fix_rx(f, sizeof(f));
	cr_assert_eq(fix_ntx, 0);
	cr_assert_eq(fix_st.cnt.arp_requests_in, 0);
	for (unsigned i = 0; i < NET_ARP_ENTRIES; i++)
		cr_assert_eq(fix_st.arp[i].state, NET_ARP_FREE);
}

Test(arp, send_resolves_first_then_sends_the_held_datagram)
{
	send_hello();
	cr_assert_eq(fix_ntx, 1, "only the ARP request goes out before the reply");
	expect_tx(0, arp_req_out, sizeof(arp_req_out));
	fix_rx(arp_reply_in, sizeof(arp_reply_in));
	cr_assert_eq(fix_ntx, 2);
	expect_tx(1, udp_out, sizeof(udp_out));
	cr_assert_eq(fix_st.cnt.arp_replies_in, 1);
	/* Resolved now: the next datagram goes straight out. */
	cr_assert_eq(net_udp_sendto(&fix_st, sock, FIX_PEER, 5555, "hello", 5), 0);
	cr_assert_eq(fix_ntx, 3);
	cr_assert_arr_eq(fix_tx[2].data, udp_out, 18, "same Ethernet and IPv4 start");
}

Test(arp, a_request_from_the_peer_fills_the_cache_too)
{
	fix_rx(arp_req_in, sizeof(arp_req_in));
	send_hello();
	cr_assert_eq(fix_ntx, 2, "reply to the request, then the datagram without asking");
	expect_tx(1, udp_out, sizeof(udp_out));
	cr_assert_eq(fix_st.cnt.arp_requests_out, 0);
}

Test(arp, hold_keeps_four_packets_and_drops_the_fifth)
{
	send_hello();
	for (int i = 1; i < NET_ARP_HOLD; i++)
		cr_assert_eq(net_udp_sendto(&fix_st, sock, FIX_PEER, 5555, "hello", 5), 0);
	cr_assert_eq(net_udp_sendto(&fix_st, sock, FIX_PEER, 5555, "hello", 5), E_AGAIN);
	cr_assert_eq(fix_st.cnt.arp_hold_full, 1);
	cr_assert_eq(fix_st.cnt.arp_requests_out, 1, "one request for all of them");
	fix_rx(arp_reply_in, sizeof(arp_reply_in));
	cr_assert_eq(fix_ntx, 1 + NET_ARP_HOLD);
	for (unsigned i = 1; i <= NET_ARP_HOLD; i++)
		cr_assert_eq(fix_tx[i].data[13], 0x00, "IPv4, not ARP");
}

Test(arp, unanswered_request_drops_the_held_packets_after_the_wait)
{
	send_hello();
	fix_clock_ns += NET_ARP_WAIT_NS - 1;
	net_poll(&fix_st);
	cr_assert_eq(fix_st.cnt.arp_hold_expired, 0);
	fix_clock_ns += 1;
	net_poll(&fix_st);
	cr_assert_eq(fix_st.cnt.arp_hold_expired, 1);
	cr_assert_eq(fix_pool.nfree, fix_pool.n, "the held buffer is back in the pool");
	/* A late reply names us, so RFC 826 caches it, but nothing is left to send. */
	fix_rx(arp_reply_in, sizeof(arp_reply_in));
	cr_assert_eq(fix_ntx, 1, "only the request");
}

Test(arp, resolved_entry_expires_after_its_ttl)
{
	send_hello();
	fix_rx(arp_reply_in, sizeof(arp_reply_in));
	fix_clock_ns += NET_ARP_TTL_NS - 1;
	cr_assert_eq(net_udp_sendto(&fix_st, sock, FIX_PEER, 5555, "hello", 5), 0);
	cr_assert_eq(fix_st.cnt.arp_requests_out, 1, "still fresh");
	cr_assert_eq(fix_ntx, 3);
	fix_clock_ns += 1;
	cr_assert_eq(net_udp_sendto(&fix_st, sock, FIX_PEER, 5555, "hello", 5), 0);
	cr_assert_eq(fix_st.cnt.arp_requests_out, 2, "expired: asked again");
	cr_assert_eq(fix_ntx, 4);
	cr_assert_arr_eq(fix_tx[3].data, arp_req_out, sizeof(arp_req_out));
	fix_rx(arp_reply_in, sizeof(arp_reply_in));
	cr_assert_eq(fix_ntx, 5);
	cr_assert_arr_eq(fix_tx[4].data, udp_out, 18, "the held datagram, to the peer");
}

Test(arp, off_subnet_destination_resolves_the_gateway)
{
	sock = net_udp_bind(&fix_st, 7);
	cr_assert_eq(net_udp_sendto(&fix_st, sock, NET_IP(192, 168, 7, 9), 53, "q", 1), 0);
	expect_tx(0, arp_req_out, sizeof(arp_req_out)); /* who has 10.0.2.2 */
	fix_rx(arp_reply_in, sizeof(arp_reply_in));
	cr_assert_eq(fix_ntx, 2);
	cr_assert_arr_eq(fix_tx[1].data, fix_peer_mac, 6);
	cr_assert_eq(fix_tx[1].data[30], 192, "the IPv4 destination stays the far host");
}

Test(arp, no_gateway_means_no_route)
{
	fix_teardown();
	fix_setup_gw(0);
	sock = net_udp_bind(&fix_st, 7);
	cr_assert_eq(net_udp_sendto(&fix_st, sock, NET_IP(192, 168, 7, 9), 53, "q", 1), E_NOENT);
	cr_assert_eq(fix_st.cnt.ip_no_route, 1);
	cr_assert_eq(fix_ntx, 0);
}

Test(arp, broadcast_destination_needs_no_resolution)
{
	sock = net_udp_bind(&fix_st, 7);
	cr_assert_eq(net_udp_sendto(&fix_st, sock, NET_IP(10, 0, 2, 255), 9, "x", 1), 0);
	cr_assert_eq(net_udp_sendto(&fix_st, sock, NET_IP_BROADCAST, 9, "x", 1), 0);
	cr_assert_eq(fix_ntx, 2);
	for (unsigned i = 0; i < 2; i++)
		for (unsigned k = 0; k < 6; k++)
			cr_assert_eq(fix_tx[i].data[k], 0xff);
}

Test(arp, full_cache_replaces_the_oldest_entry)
{
	sock = net_udp_bind(&fix_st, 7);
	for (unsigned i = 0; i <= NET_ARP_ENTRIES; i++) {
		fix_clock_ns += 10;
		cr_assert_eq(net_udp_sendto(&fix_st, sock, NET_IP(10, 0, 2, 100 + i), 9, "x", 1),
		             0);
	}
	cr_assert_eq(fix_st.cnt.arp_requests_out, NET_ARP_ENTRIES + 1);
	for (unsigned i = 0; i < NET_ARP_ENTRIES; i++)
		cr_assert_neq(fix_st.arp[i].ip, NET_IP(10, 0, 2, 100), "the oldest is gone");
	cr_assert_eq(fix_pool.nfree, fix_pool.n - NET_ARP_ENTRIES, "its held packet was freed");
}

Test(arp, announcement_names_our_address_as_sender_and_target)
{
	static const uint8_t head[] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	static const uint8_t arp[] = { 0x08, 0x06, 0, 1, 0x08, 0x00, 6, 4, 0, 1 };
	static const uint8_t us[4] = { 10, 0, 2, 15 };
	const uint8_t *f;

	cr_assert_eq(net_arp_announce(&fix_st), 0);
	cr_assert_eq(fix_ntx, 1);
	f = fix_tx[0].data;
	cr_assert_eq(fix_tx[0].len, NET_ETH_MIN, "padded to the minimum frame");
	cr_assert_arr_eq(f, head, 6, "broadcast");
	cr_assert_arr_eq(f + 6, fix_dev.mac, 6);
	cr_assert_arr_eq(f + 12, arp, sizeof(arp), "ARP request for IPv4 over Ethernet");
	cr_assert_arr_eq(f + 22, fix_dev.mac, 6, "sender MAC");
	cr_assert_arr_eq(f + 28, us, 4, "sender IP");
	for (unsigned i = 32; i < 38; i++)
		cr_assert_eq(f[i], 0, "target MAC zero (RFC 5227 §2.3)");
	cr_assert_arr_eq(f + 38, us, 4, "target IP: ours too");
	cr_assert_eq(fix_st.cnt.arp_requests_out, 1);
}
