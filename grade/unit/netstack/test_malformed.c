/* Malformed input to the network stack: every kind of bad frame (truncated headers, bad
 * checksums, IHL < 5, lengths beyond the frame, oversized lengths, fragments, unknown types
 * and protocols) is dropped, counted under its own name and leaks nothing; then frames made of
 * random bytes and random corruptions of valid frames, under ASan and UBSan. */
#include <criterion/criterion.h>
#include <string.h>

#include "frames.h"
#include "netfix.h"

TestSuite(malformed, .init = fix_setup, .fini = fix_teardown);

enum base { UDP, ECHO, ARP };

struct bad {
	const char *what;
	enum base base;
	int len;             /* the frame's length; 0: the base frame's */
	int at, val;         /* the byte to change and its value (at < 0: none) */
	int at2, val2;       /* a second byte (at2 < 0: none) */
	int fix;             /* 1: recompute the IPv4 header checksum; 2: and the ICMP one */
	const char *counter; /* the one counter (beside rx_frames) that must move */
};

/* clang-format off */
static const struct bad cases[] = {
	{ "frame shorter than Ethernet",  UDP,  13,      -1, 0,    -1, 0, 0, "eth_short" },
	{ "another host's MAC",           UDP,  0,        5, 0x99, -1, 0, 0, "eth_other_dst" },
	{ "IPv6 ethertype",               UDP,  0,       12, 0x86, 13, 0xdd, 0, "eth_unknown_type" },
	{ "truncated ARP",                ARP,  41,      -1, 0,    -1, 0, 0, "arp_short" },
	{ "ARP hardware type 6",          ARP,  0,       15, 6,    -1, 0, 0, "arp_bad" },
	{ "ARP protocol length 16",       ARP,  0,       19, 16,   -1, 0, 0, "arp_bad" },
	{ "ARP opcode 3",                 ARP,  0,       21, 3,    -1, 0, 0, "arp_bad" },
	{ "truncated IPv4 header",        UDP,  33,      -1, 0,    -1, 0, 0, "ip_short" },
	{ "IP version 6",                 UDP,  0,       14, 0x65, -1, 0, 1, "ip_bad_version" },
	{ "IHL 4",                        UDP,  0,       14, 0x44, -1, 0, 1, "ip_bad_ihl" },
	{ "IHL 0",                        UDP,  0,       14, 0x40, -1, 0, 0, "ip_bad_ihl" },
	{ "IHL 15 beyond the frame",      UDP,  0,       14, 0x4f, -1, 0, 0, "ip_short" },
	{ "total length beyond frame",    UDP,  0,       16, 0x03, 17, 0xe8, 1, "ip_bad_len" },
	{ "total length 65535",           UDP,  0,       16, 0xff, 17, 0xff, 1, "ip_bad_len" },
	{ "total length below header",    UDP,  0,       16, 0,    17, 10, 1, "ip_bad_len" },
	{ "IP header checksum",           UDP,  0,       24, 0x00, 25, 0x00, 0, "ip_bad_checksum" },
	{ "more-fragments flag",          UDP,  0,       20, 0x20, -1, 0, 1, "ip_fragment" },
	{ "fragment offset 8",            UDP,  0,       21, 0x01, -1, 0, 1, "ip_fragment" },
	{ "another host's IP",            UDP,  0,       33, 99,   -1, 0, 1, "ip_other_dst" },
	{ "protocol TCP",                 UDP,  0,       23, 6,    -1, 0, 1, "ip_unknown_proto" },
	{ "ICMP shorter than echo",       ECHO, 0,       17, 24,   -1, 0, 1, "icmp_short" },
	{ "ICMP checksum",                ECHO, 0,       37, 0x00, -1, 0, 0, "icmp_bad_checksum" },
	{ "ICMP timestamp request",       ECHO, 0,       34, 13,   -1, 0, 2, "icmp_other" },
	{ "ICMP echo code 1",             ECHO, 0,       35, 1,    -1, 0, 2, "icmp_other" },
	{ "UDP shorter than its header",  UDP,  0,       17, 24,   -1, 0, 1, "udp_short" },
	{ "UDP length 4",                 UDP,  0,       38, 0,    39, 4, 0, "udp_bad_len" },
	{ "UDP length beyond IP payload", UDP,  0,       38, 0x01, 39, 0, 0, "udp_bad_len" },
	{ "UDP checksum",                 UDP,  0,       41, 0x00, -1, 0, 0, "udp_bad_checksum" },
	/* Port 7 -> 8 and source port 5555 -> 5554: the checksum still verifies. */
	{ "UDP to unbound port 8",        UDP,  0,       37, 8,    35, 0xb2, 0, "udp_no_port" },
};
/* clang-format on */

static unsigned
base_frame(enum base b, uint8_t *f)
{
	const unsigned char *src = b == UDP ? udp_in : b == ECHO ? echo_req_in : arp_req_in;
	unsigned len = b == UDP    ? sizeof(udp_in)
	               : b == ECHO ? sizeof(echo_req_in)
	                           : sizeof(arp_req_in);

	memcpy(f, src, len);
	return len;
}

static void
run_case(const struct bad *c)
{
	uint8_t f[128];
	unsigned len = base_frame(c->base, f), which = 0;
	int want = fix_counter(c->counter);

	cr_assert_geq(want, 0, "%s: no counter %s", c->what, c->counter);
	if (c->at >= 0)
		f[c->at] = (uint8_t)c->val;
	if (c->at2 >= 0)
		f[c->at2] = (uint8_t)c->val2;
	if (c->fix == 2) {
		f[36] = f[37] = 0;
		uint16_t s = fix_cksum(f + 34, 16, 0);
		f[36] = (uint8_t)(s >> 8);
		f[37] = (uint8_t)s;
	}
	if (c->fix >= 1)
		fix_fix_ip_sum(f);
	if (c->len > 0)
		len = (unsigned)c->len;
	fix_snapshot();
	fix_rx(f, len);
	cr_assert_eq(fix_changed(&which), 2, "%s: %u counters moved", c->what, fix_changed(&which));
	cr_assert_eq(net_counter_value(&fix_st, (unsigned)want), 1, "%s: %s not counted", c->what,
	             c->counter);
	cr_assert_eq(fix_ntx, 0, "%s: something was sent", c->what);
	cr_assert_eq(fix_pool.nfree, fix_pool.n, "%s: the buffer was not freed", c->what);
}

Test(malformed, every_bad_frame_is_dropped_and_counted_by_name)
{
	cr_assert_geq(net_udp_bind(&fix_st, 7), 0);
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&fix_st.cnt, 0, sizeof(fix_st.cnt));
		run_case(&cases[i]);
	}
}

Test(malformed, the_base_frames_themselves_are_accepted)
{
	uint8_t f[128];
	char buf[8];

	cr_assert_geq(net_udp_bind(&fix_st, 7), 0);
	fix_rx(f, base_frame(UDP, f));
	fix_rx(f, base_frame(ECHO, f));
	fix_rx(f, base_frame(ARP, f));
	cr_assert_eq(fix_st.cnt.udp_in, 1);
	cr_assert_eq(fix_st.cnt.icmp_echo_in, 1);
	cr_assert_eq(fix_st.cnt.arp_requests_in, 1);
	cr_assert_eq(net_udp_recvfrom(&fix_st, 0, buf, sizeof(buf), 0, 0), 5);
}

static uint64_t
next_rand(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Drains the socket so the queue never holds the pool's buffers across iterations. */
static void
drain(int s)
{
	char buf[NET_UDP_MAX];

	while (net_udp_recvfrom(&fix_st, s, buf, sizeof(buf), 0, 0) >= 0)
		;
}

Test(malformed, random_frames_never_crash_or_leak)
{
	uint64_t seed = 0x9e3779b97f4a7c15ull;
	int s = net_udp_bind(&fix_st, 7);
	uint8_t f[NET_ETH_MAX];

	for (unsigned it = 0; it < 20000; it++) {
		unsigned len = (unsigned)(next_rand(&seed) % (NET_ETH_MAX + 1));

		for (unsigned i = 0; i < len; i++)
			f[i] = (uint8_t)next_rand(&seed);
		if (len >= 14 && (it & 1)) {
			memcpy(f, udp_in, 14); /* ours, IPv4 or ARP: get past Ethernet */
			f[13] = (it & 2) ? 0x06 : 0x00;
			f[14] = (uint8_t)(0x40 | (f[14] & 0xf));
		}
		fix_ntx = 0;
		fix_rx(f, len);
		drain(s);
	}
	cr_assert_eq(fix_st.cnt.rx_frames, 20000);
	cr_assert_eq(fix_pool.nfree, fix_pool.n);
}

Test(malformed, corrupted_valid_frames_never_crash_or_leak)
{
	uint64_t seed = 12345;
	int s = net_udp_bind(&fix_st, 7);
	uint8_t f[128];

	for (unsigned it = 0; it < 20000; it++) {
		unsigned len = base_frame((enum base)(it % 3), f);
		unsigned nflip = 1 + (unsigned)(next_rand(&seed) % 4);

		for (unsigned k = 0; k < nflip; k++)
			f[14 + next_rand(&seed) % (len - 14)] = (uint8_t)next_rand(&seed);
		if (next_rand(&seed) % 4 == 0)
			len = (unsigned)(next_rand(&seed) % (len + 1));
		if (next_rand(&seed) % 2 == 0 && len >= 34)
			fix_fix_ip_sum(f); /* get past the IPv4 checksum to the layers above */
		fix_ntx = 0;
		fix_rx(f, len);
		drain(s);
	}
	cr_assert_eq(fix_pool.nfree, fix_pool.n);
	/* The corruptions reached every layer, and some frames survived them. */
	cr_assert_gt(fix_st.cnt.ip_bad_checksum, 0);
	cr_assert_gt(fix_st.cnt.udp_bad_checksum, 0);
	cr_assert_gt(fix_st.cnt.icmp_bad_checksum, 0);
	cr_assert_gt(fix_st.cnt.arp_bad, 0);
	cr_assert_gt(fix_st.cnt.udp_in + fix_st.cnt.icmp_echo_in + fix_st.cnt.arp_requests_in, 0);
}
