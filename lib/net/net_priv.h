/* The network stack's private definitions (lib/net): wire layouts as byte offsets and the
 * calls between its layers.  Every field is read and written a byte at a time in network
 * (big-endian) order, so the code runs on any CPU and needs no aligned or packed structs. */
#ifndef EXOLAB_NET_PRIV_H
#define EXOLAB_NET_PRIV_H

#include <stdint.h>

#include "net.h"

/* Ethernet II (IEEE 802.3 §3.2, with the type field of RFC 894). */
#define ETH_HDR       14
#define ETH_TYPE_IPV4 0x0800
#define ETH_TYPE_ARP  0x0806

/* ARP for IPv4 over Ethernet (RFC 826): 28 bytes after the Ethernet header. */
#define ARP_LEN       28
#define ARP_HTYPE_ETH 1
#define ARP_OP_REQ    1
#define ARP_OP_REPLY  2

/* IPv4 (RFC 791 §3.1): offsets within its header. */
#define IP_HDR        20
#define IP_OFF_TLEN   2
#define IP_OFF_ID     4
#define IP_OFF_FRAG   6 /* flags (3 bits: 0, DF, MF) and fragment offset (13 bits) */
#define IP_OFF_TTL    8
#define IP_OFF_PROT   9
#define IP_OFF_SUM    10
#define IP_OFF_SRC    12
#define IP_OFF_DST    16
#define IP_MF         0x2000
#define IP_FRAGOFF    0x1fff
#define IP_PROTO_ICMP 1
#define IP_PROTO_UDP  17

#define ICMP_HDR        8 /* type, code, checksum, identifier, sequence number (echo) */
#define ICMP_ECHO_REPLY 0
#define ICMP_ECHO       8

#define UDP_HDR 8 /* source port, destination port, length, checksum (RFC 768) */

/* Where a datagram's IPv4 header starts in a frame we build: right after Ethernet. */
#define NET_IP_AT      ETH_HDR
#define NET_PAYLOAD_AT (ETH_HDR + IP_HDR)

static inline uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void
put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

extern const uint8_t net_bcast_mac[6];

/* stack.c: fills the Ethernet header and queues the frame for the driver (padded to
 * NET_ETH_MIN); the frame belongs to the stack from here on. */
void net_eth_send(struct net_stack *st, struct net_buf *b, const uint8_t dst[6], uint16_t type);
/* The sum of the UDP pseudo-header (RFC 768), to start net_cksum with. */
uint32_t net_pseudo_sum(uint32_t src, uint32_t dst, uint8_t proto, uint16_t len);

/* arp.c */
void net_arp_input(struct net_stack *st, struct net_buf *b);
/* Sends an IPv4 frame to the next hop `ip`, resolving its MAC first when needed: 0, or E_AGAIN
 * when it was dropped (the buffer is freed either way). */
int net_arp_output(struct net_stack *st, struct net_buf *b, uint32_t ip);
/* Drops the packets held for requests unanswered for NET_ARP_WAIT_NS. */
void net_arp_sweep(struct net_stack *st);
void net_arp_fini(struct net_stack *st);

/* ip.c */
void net_ip_input(struct net_stack *st, struct net_buf *b);
/* Fills the IPv4 header of a frame whose `plen` payload bytes sit at NET_PAYLOAD_AT, and sends
 * it by the routing rule: 0 or E_* (the buffer is the stack's either way). */
int net_ip_output(struct net_stack *st, struct net_buf *b, uint32_t dst, uint8_t proto,
                  uint16_t plen);

/* udp.c: `ip` is the IPv4 header inside b->data, `len` the IP payload's length. */
void net_udp_input(struct net_stack *st, struct net_buf *b, const uint8_t *ip, uint16_t off,
                   uint16_t len);
void net_udp_fini(struct net_stack *st);

#endif
