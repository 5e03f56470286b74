/* The LibOS network stack (lib/net): Ethernet II, ARP, IPv4, ICMP echo and UDP sockets over one
 * NIC of the portable driver API (netdev.h).  Small on purpose: one interface, one address, no
 * fragmentation, no TCP.  Poll-driven and single-threaded: net_poll() takes a batch of received
 * frames from the driver and runs each through the stack, which parses it in place (zero copy)
 * and may turn it into the reply (ICMP echo, ARP).  Addresses are IPv4 in host byte order
 * (10.0.2.15 is 0x0a00020f); ports are host order too.  docs/net-stack.md is the guide. */
#ifndef EXOLAB_NET_H
#define EXOLAB_NET_H

#include <stdint.h>

#include "netdev.h"

#define NET_ARP_ENTRIES 16 /* the ARP cache; the oldest entry is replaced when full */
#define NET_ARP_HOLD    4  /* packets held per address being resolved (more are dropped) */
#define NET_ARP_TTL_NS  (60ull * 1000000000) /* a resolved entry is trusted this long */
#define NET_ARP_WAIT_NS (1ull * 1000000000)  /* an unanswered request is retried after this */
#define NET_SOCKS       8                    /* UDP sockets */
#define NET_SOCK_QLEN   NET_BATCH /* datagrams queued per socket (more are dropped): a batch */
#define NET_UDP_MAX     1472u     /* the largest UDP payload: 1500 - 20 (IPv4) - 8 (UDP) */
#define NET_IP_TTL      64        /* the TTL of every datagram we send (RFC 1700's default) */

#define NET_IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))
#define NET_IP_BROADCAST   0xffffffffu

/* Every reason the stack drops a packet, and what it did, each a counter (net_counter_name
 * names them for printing).  X-macro: one list, the struct and the names from it. */
#define NET_COUNTERS(X)                                                                            \
	X(rx_frames)         /* frames taken from the driver */                                    \
	X(eth_short)         /* shorter than an Ethernet header */                                 \
	X(eth_other_dst)     /* for another MAC address */                                         \
	X(eth_unknown_type)  /* neither IPv4 nor ARP */                                            \
	X(arp_short)         /* truncated ARP packet */                                            \
	X(arp_bad)           /* not Ethernet/IPv4 ARP, or an unknown opcode */                     \
	X(arp_requests_in)   /* requests for our address, answered */                              \
	X(arp_replies_in)    /* replies that filled the cache */                                   \
	X(arp_requests_out)  /* requests we sent */                                                \
	X(arp_hold_full)     /* packets dropped: NET_ARP_HOLD already wait for that address */     \
	X(arp_hold_expired)  /* held packets dropped: no reply within NET_ARP_WAIT_NS */           \
	X(ip_short)          /* shorter than its IPv4 header */                                    \
	X(ip_bad_version)    /* version is not 4 */                                                \
	X(ip_bad_ihl)        /* header length below 5 words */                                     \
	X(ip_bad_len)        /* total length below the header or beyond the frame */               \
	X(ip_bad_checksum)   /* header checksum wrong (RFC 791 §3.1) */                           \
	X(ip_fragment)       /* a fragment: no reassembly here */                                  \
	X(ip_other_dst)      /* not for our address */                                             \
	X(ip_unknown_proto)  /* neither ICMP nor UDP */                                            \
	X(ip_no_route)       /* send: off the subnet and no gateway */                             \
	X(icmp_short)        /* shorter than an ICMP echo header */                                \
	X(icmp_bad_checksum) /* ICMP checksum wrong */                                             \
	X(icmp_other)        /* ICMP types other than echo request/reply */                        \
	X(icmp_echo_in)      /* echo requests answered */                                          \
	X(icmp_reply_in)     /* echo replies given to the on_echo_reply callback */                \
	X(udp_short)         /* shorter than a UDP header */                                       \
	X(udp_bad_len)       /* UDP length below 8 or beyond the IP payload */                     \
	X(udp_bad_checksum)  /* non-zero checksum that does not verify (RFC 768) */                \
	X(udp_no_port)       /* no socket bound to the destination port */                         \
	X(udp_queue_full)    /* the socket's queue held NET_SOCK_QLEN datagrams already */         \
	X(udp_in)            /* datagrams queued on a socket */                                    \
	X(udp_out)           /* datagrams sent */                                                  \
	X(tx_no_buf)         /* send: the pool had no free buffer */                               \
	X(tx_ring_full)      /* the driver's ring took fewer frames than offered: dropped */       \
	X(tx_frames)         /* frames the driver accepted */

struct net_counters {
#define NET_COUNTER_FIELD(name) uint64_t name;
	NET_COUNTERS(NET_COUNTER_FIELD)
#undef NET_COUNTER_FIELD
};

#define NET_NCOUNTERS (sizeof(struct net_counters) / sizeof(uint64_t))

/* A cache entry: FREE, PENDING (a request is out, packets wait in `hold`) or RESOLVED. */
enum net_arp_state { NET_ARP_FREE, NET_ARP_PENDING, NET_ARP_RESOLVED };

struct net_arp_entry {
	enum net_arp_state state;
	uint32_t ip;
	uint8_t mac[6];
	uint64_t stamp_ns; /* PENDING: when the request went out; RESOLVED: when learned */
	unsigned nhold;
	struct net_buf *hold[NET_ARP_HOLD]; /* IPv4 packets, oldest first, Ethernet header blank */
};

/* A received datagram kept in its receive buffer until recvfrom copies it out. */
struct net_dgram {
	struct net_buf *buf;
	uint16_t off, len; /* the payload within buf->data */
	uint32_t src;
	uint16_t sport;
};

struct net_sock {
	uint16_t port; /* 0: the socket is free */
	unsigned head, count;
	struct net_dgram q[NET_SOCK_QLEN];
};

struct net_stack;
/* Called for each ICMP echo reply addressed to us (ping): the source, identifier and sequence
 * number (RFC 792), and the data after the echo header. */
typedef void net_echo_fn(void *arg, uint32_t src, uint16_t id, uint16_t seq, const uint8_t *data,
                         uint16_t len);

struct net_stack {
	struct net_dev *dev;
	uint32_t addr, netmask, gateway; /* gateway 0: no route off the subnet */
	uint16_t ip_id;                  /* the next IPv4 identification */
	net_echo_fn *on_echo_reply;
	void *echo_arg;
	struct net_counters cnt;
	struct net_arp_entry arp[NET_ARP_ENTRIES];
	struct net_sock socks[NET_SOCKS];
	unsigned ntx;
	struct net_buf *txq[NET_BATCH]; /* frames for the driver, given at the end of a poll */
};

/* Binds the stack to an initialised device (its MAC, pool and clock: dev->ops.now_ns). */
void net_init(struct net_stack *st, struct net_dev *dev, uint32_t addr, uint32_t netmask,
              uint32_t gateway);
/* Frees every buffer the stack holds (ARP holds, socket queues, frames not yet sent). */
void net_fini(struct net_stack *st);
/* Takes up to NET_BATCH frames from the driver, runs each through the stack, hands the replies
 * to the driver in one batch: the number of frames received. */
unsigned net_poll(struct net_stack *st);
/* Blocks (dev->ops.wait; returns at once without one) until the NIC may have something or the
 * clock reaches deadline_ns. */
void net_wait(struct net_stack *st, uint64_t deadline_ns);
uint64_t net_now(struct net_stack *st);
/* Gives the queued frames to the driver (net_poll and the send calls do it themselves). */
void net_flush(struct net_stack *st);

/* UDP (RFC 768).  net_udp_bind returns a socket number >= 0, or E_INVAL (port 0), E_EXIST
 * (port bound), E_NOMEM (no free socket). */
int net_udp_bind(struct net_stack *st, uint16_t port);
void net_udp_close(struct net_stack *st, int sock);
/* Sends `len` bytes (<= NET_UDP_MAX) to dst:dport from the socket's port: 0 when the datagram
 * was handed to the driver or is held for ARP (a frame the driver's full ring refuses is
 * dropped and counted, tx_ring_full, as the wire would lose it), or E_INVAL, E_RANGE (too
 * long), E_NOMEM (no buffer), E_NOENT (no route), E_AGAIN (NET_ARP_HOLD packets already wait
 * for that address). */
int net_udp_sendto(struct net_stack *st, int sock, uint32_t dst, uint16_t dport, const void *data,
                   uint16_t len);
/* Copies the oldest queued datagram (cut to `cap` bytes) to `data`: its full length, or E_AGAIN
 * when the queue is empty (never blocks: net_poll fills the queue).  src/sport may be NULL. */
int net_udp_recvfrom(struct net_stack *st, int sock, void *data, uint16_t cap, uint32_t *src,
                     uint16_t *sport);

/* Broadcasts an ARP Announcement of our address (RFC 5227 §2.3): 0 or E_NOMEM. */
int net_arp_announce(struct net_stack *st);

/* ICMP echo request (RFC 792) of `len` data bytes (a counting pattern) to dst: 0 or E_*. */
int net_icmp_echo(struct net_stack *st, uint32_t dst, uint16_t id, uint16_t seq, uint16_t len);

/* The counters, by index < NET_NCOUNTERS, for printing. */
const char *net_counter_name(unsigned i);
uint64_t net_counter_value(const struct net_stack *st, unsigned i);

/* The Internet checksum (RFC 1071) of `len` bytes, added to a partial sum `sum` (0 to start):
 * the one's complement of the folded one's complement sum, ready to store big-endian. */
uint16_t net_cksum(const void *data, unsigned len, uint32_t sum);

/* "a.b.c.d" -> host-order address: 0, or E_INVAL. */
int net_parse_ip(const char *s, uint32_t *ip);

#endif
