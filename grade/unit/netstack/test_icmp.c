/* ICMP echo (RFC 792) in the network stack: a request answered in its own buffer with exact
 * bytes and checksums, the requests it must not answer, and echo requests sent (ping) with
 * their replies delivered to the callback. */
#include <criterion/criterion.h>
#include <string.h>

#include "frames.h"
#include "netfix.h"

TestSuite(icmp, .init = fix_setup, .fini = fix_teardown);

Test(icmp, echo_request_is_answered_with_exact_bytes)
{
	fix_rx(echo_req_in, sizeof(echo_req_in));
	cr_assert_eq(fix_ntx, 1);
	cr_assert_eq(fix_tx[0].len, sizeof(echo_reply_out));
	cr_assert_arr_eq(fix_tx[0].data, echo_reply_out, sizeof(echo_reply_out));
	cr_assert_eq(fix_st.cnt.icmp_echo_in, 1);
	/* The checksums verify by the test's own RFC 1071 sum. */
	cr_assert_eq(fix_cksum(fix_tx[0].data + 14, 20, 0), 0);
	cr_assert_eq(fix_cksum(fix_tx[0].data + 34, 16, 0), 0);
}

Test(icmp, echo_reply_needs_no_arp)
{
	fix_rx(echo_req_in, sizeof(echo_req_in));
	cr_assert_eq(fix_st.cnt.arp_requests_out, 0);
}

Test(icmp, a_request_with_ip_options_is_answered_without_them)
{
	uint8_t f[sizeof(echo_req_in) + 4];

	/* The same request with one 4-byte option (four no-operation bytes, RFC 791 §3.1). */
	memcpy(f, echo_req_in, 34);
	memset(f + 34, 1, 4);
	memcpy(f + 38, echo_req_in + 34, sizeof(echo_req_in) - 34);
	f[14] = 0x46;
	f[17] += 4;
	fix_fix_ip_sum(f);
	fix_rx(f, sizeof(f));
	cr_assert_eq(fix_ntx, 1);
	cr_assert_arr_eq(fix_tx[0].data, echo_reply_out, sizeof(echo_reply_out));
}

Test(icmp, echo_to_the_broadcast_address_is_not_answered)
{
	uint8_t f[sizeof(echo_req_in)];

	memcpy(f, echo_req_in, sizeof(f));
	f[33] = 255; /* 10.0.2.255 */
	fix_fix_ip_sum(f);
	fix_rx(f, sizeof(f));
	cr_assert_eq(fix_ntx, 0);
	cr_assert_eq(fix_st.cnt.icmp_other, 1);
}

static unsigned nreplies;
static uint16_t reply_id, reply_seq, reply_len;
static uint32_t reply_src;

static void
on_reply(void *arg, uint32_t src, uint16_t id, uint16_t seq, const uint8_t *data, uint16_t len)
{
	cr_assert_eq(arg, &nreplies);
	nreplies++;
	reply_src = src;
	reply_id = id;
	reply_seq = seq;
	reply_len = len;
	cr_assert_arr_eq(data, "abcdefgh", 8);
}

Test(icmp, echo_request_sent_with_exact_bytes)
{
	fix_rx(arp_req_in, sizeof(arp_req_in)); /* the peer's MAC, learned from its request */
	cr_assert_eq(net_icmp_echo(&fix_st, FIX_PEER, 0x77, 3, 4), 0);
	cr_assert_eq(fix_ntx, 2);
	cr_assert_arr_eq(fix_tx[1].data, ping_out, sizeof(ping_out));
}

Test(icmp, echo_reply_goes_to_the_callback)
{
	uint8_t f[sizeof(echo_reply_out)];

	/* The reply we would send, turned around: from the peer to us. */
	memcpy(f, echo_reply_out, sizeof(f));
	memcpy(f, echo_req_in, 12);
	memcpy(f + 26, echo_req_in + 26, 8);
	fix_fix_ip_sum(f);
	fix_st.on_echo_reply = on_reply;
	fix_st.echo_arg = &nreplies;
	fix_rx(f, sizeof(f));
	cr_assert_eq(nreplies, 1);
	cr_assert_eq(reply_src, FIX_PEER);
	cr_assert_eq(reply_id, 0x1234);
	cr_assert_eq(reply_seq, 1);
	cr_assert_eq(reply_len, 8);
	cr_assert_eq(fix_st.cnt.icmp_reply_in, 1);
	cr_assert_eq(fix_ntx, 0);
}
