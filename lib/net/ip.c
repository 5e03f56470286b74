/* IPv4 (RFC 791) and ICMP echo (RFC 792) in the network stack (lib/net).  In: a datagram is
 * checked field by field (every malformed one is dropped and counted, see net.h) and handed to
 * ICMP or UDP; fragments are dropped (no reassembly), and the TTL of a datagram addressed to
 * us is not checked (RFC 1122 §3.2.1.7: a host must not drop it for a low TTL).  Out: one
 * interface, routed by the rule "on our subnet: straight to the destination, else to the
 * gateway"; TTL NET_IP_TTL, never fragmented (the sender keeps to NET_UDP_MAX). */
#include "abi/error.h"
#include "net_priv.h"
#include "xstring.h"

/* Writes a 20-byte header (no options) at NET_IP_AT for `plen` payload bytes. */
static void
ip_fill(struct net_stack *st, struct net_buf *b, uint32_t dst, uint8_t proto, uint16_t plen)
{
	uint8_t *ip = b->data + NET_IP_AT;

	ip[0] = 0x45; /* version 4, IHL 5 words */
	ip[1] = 0;    /* type of service */
	put16(ip + IP_OFF_TLEN, (uint16_t)(IP_HDR + plen));
	put16(ip + IP_OFF_ID, st->ip_id++);
	put16(ip + IP_OFF_FRAG, 0);
	ip[IP_OFF_TTL] = NET_IP_TTL;
	ip[IP_OFF_PROT] = proto;
	put16(ip + IP_OFF_SUM, 0);
	put32(ip + IP_OFF_SRC, st->addr);
	put32(ip + IP_OFF_DST, dst);
	put16(ip + IP_OFF_SUM, net_cksum(ip, IP_HDR, 0));
	b->len = (uint16_t)(NET_PAYLOAD_AT + plen);
}

static int
ip_is_broadcast(struct net_stack *st, uint32_t dst)
{
	return dst == NET_IP_BROADCAST || dst == (st->addr | ~st->netmask);
}

int
net_ip_output(struct net_stack *st, struct net_buf *b, uint32_t dst, uint8_t proto, uint16_t plen)
{
	uint32_t hop = dst;

	if (ip_is_broadcast(st, dst)) {
		ip_fill(st, b, dst, proto, plen);
		net_eth_send(st, b, net_bcast_mac, ETH_TYPE_IPV4);
		return 0;
	}
	if ((dst & st->netmask) != (st->addr & st->netmask)) {
		if (st->gateway == 0) {
			st->cnt.ip_no_route++;
			net_buf_free(b);
			return E_NOENT;
		}
		hop = st->gateway;
	}
	ip_fill(st, b, dst, proto, plen);
	return net_arp_output(st, b, hop);
}

/* An echo request becomes its reply in the same buffer: the ICMP message moves up behind a
 * fresh 20-byte IPv4 header (the request's options are not echoed), and the frame goes back
 * to the MAC it came from (our gateway's, for a request from off the subnet). */
static void
icmp_echo_reply(struct net_stack *st, struct net_buf *b, uint32_t src, uint16_t off, uint16_t len)
{
	uint8_t mac[6];
	uint8_t *icmp = b->data + NET_PAYLOAD_AT;

	memcpy(mac, b->data + 6, 6);
	memmove(icmp, b->data + off, len);
	icmp[0] = ICMP_ECHO_REPLY;
	put16(icmp + 2, 0);
	put16(icmp + 2, net_cksum(icmp, len, 0));
	ip_fill(st, b, src, IP_PROTO_ICMP, len);
	st->cnt.icmp_echo_in++;
	net_eth_send(st, b, mac, ETH_TYPE_IPV4);
}

static void
icmp_input(struct net_stack *st, struct net_buf *b, const uint8_t *ip, uint16_t off, uint16_t len)
{
	const uint8_t *icmp = b->data + off;

	if (len < ICMP_HDR) {
		st->cnt.icmp_short++;
	} else if (net_cksum(icmp, len, 0) != 0) {
		st->cnt.icmp_bad_checksum++;
	} else if (icmp[0] == ICMP_ECHO && icmp[1] == 0 && get32(ip + IP_OFF_DST) == st->addr) {
		icmp_echo_reply(st, b, get32(ip + IP_OFF_SRC), off, len);
		return;
	} else if (icmp[0] == ICMP_ECHO_REPLY && icmp[1] == 0 && st->on_echo_reply != 0) {
		st->cnt.icmp_reply_in++;
		st->on_echo_reply(st->echo_arg, get32(ip + IP_OFF_SRC), get16(icmp + 4),
		                  get16(icmp + 6), icmp + ICMP_HDR, (uint16_t)(len - ICMP_HDR));
	} else {
		st->cnt.icmp_other++;
	}
	net_buf_free(b);
}

/* The header checks of RFC 791 §3.1 and RFC 1122 §3.2.1, in order: 0 to go on, or the counter
 * of the reason to drop. */
static uint64_t *
ip_check(struct net_stack *st, const uint8_t *ip, unsigned avail)
{
	unsigned ihl = (ip[0] & 0xfu) * 4u, tlen;
	uint32_t dst;

	if (avail < IP_HDR)
		return &st->cnt.ip_short;
	if (ip[0] >> 4 != 4)
		return &st->cnt.ip_bad_version;
	if (ihl < IP_HDR)
		return &st->cnt.ip_bad_ihl;
	if (ihl > avail)
		return &st->cnt.ip_short;
	tlen = get16(ip + IP_OFF_TLEN);
	if (tlen < ihl || tlen > avail)
		return &st->cnt.ip_bad_len;
	if (net_cksum(ip, ihl, 0) != 0)
		return &st->cnt.ip_bad_checksum;
	if (get16(ip + IP_OFF_FRAG) & (IP_MF | IP_FRAGOFF))
		return &st->cnt.ip_fragment;
	dst = get32(ip + IP_OFF_DST);
	if (dst != st->addr && !ip_is_broadcast(st, dst))
		return &st->cnt.ip_other_dst;
	return 0;
}

void
net_ip_input(struct net_stack *st, struct net_buf *b)
{
	const uint8_t *ip = b->data + ETH_HDR;
	uint64_t *drop = ip_check(st, ip, (unsigned)(b->len - ETH_HDR));
	uint16_t ihl, tlen;

	if (drop != 0) {
		(*drop)++;
		net_buf_free(b);
		return;
	}
	ihl = (uint16_t)((ip[0] & 0xfu) * 4u);
	tlen = get16(ip + IP_OFF_TLEN);
	/* Bytes beyond the total length are Ethernet padding: gone from here on. */
	b->len = (uint16_t)(ETH_HDR + tlen);
	if (ip[IP_OFF_PROT] == IP_PROTO_ICMP) {
		icmp_input(st, b, ip, (uint16_t)(ETH_HDR + ihl), (uint16_t)(tlen - ihl));
	} else if (ip[IP_OFF_PROT] == IP_PROTO_UDP) {
		net_udp_input(st, b, ip, (uint16_t)(ETH_HDR + ihl), (uint16_t)(tlen - ihl));
	} else {
		st->cnt.ip_unknown_proto++;
		net_buf_free(b);
	}
}

int
net_icmp_echo(struct net_stack *st, uint32_t dst, uint16_t id, uint16_t seq, uint16_t len)
{
	struct net_buf *b;
	uint8_t *icmp;
	int r;

	if (len > NET_UDP_MAX + UDP_HDR - ICMP_HDR)
		return E_RANGE;
	b = net_buf_alloc(st->dev->pool);
	if (b == 0) {
		st->cnt.tx_no_buf++;
		return E_NOMEM;
	}
	icmp = b->data + NET_PAYLOAD_AT;
	icmp[0] = ICMP_ECHO;
	icmp[1] = 0;
	put16(icmp + 2, 0);
	put16(icmp + 4, id);
	put16(icmp + 6, seq);
	for (uint16_t i = 0; i < len; i++)
		icmp[ICMP_HDR + i] = (uint8_t)i;
	put16(icmp + 2, net_cksum(icmp, (unsigned)(ICMP_HDR + len), 0));
	r = net_ip_output(st, b, dst, IP_PROTO_ICMP, (uint16_t)(ICMP_HDR + len));
	net_flush(st);
	return r;
}
