/* Fixture of the network stack's host tests (lib/net): a scripted NIC that implements struct
 * net_driver over host memory.  Tests queue frames for it to "receive" (fix_inject), run
 * net_poll, and read back the frames the stack transmitted (fix_tx); the pool's DMA memory is
 * aligned calloc'ed memory whose "physical" address is its host address, and the clock is a
 * variable the test moves (fix_clock_ns).  Addresses: us 10.0.2.15/24 52:54:00:12:34:56,
 * gateway and peer 10.0.2.2 52:55:0a:00:02:02 (the bytes of frames.py). */
#ifndef EXOLAB_NETFIX_H
#define EXOLAB_NETFIX_H

#include <stdint.h>

#include "net.h"

#define FIX_US     NET_IP(10, 0, 2, 15)
#define FIX_PEER   NET_IP(10, 0, 2, 2)
#define FIX_MASK   NET_IP(255, 255, 255, 0)
#define FIX_NBUFS  64
#define FIX_MAX_TX 64
#define FIX_MAX_RX 64

struct fix_frame {
	uint16_t len;
	uint8_t data[NET_BUF_SIZE];
};

extern struct net_pool fix_pool;
extern struct net_dev fix_dev;
extern struct net_stack fix_st;
extern uint64_t fix_clock_ns;
extern struct fix_frame fix_tx[FIX_MAX_TX]; /* transmitted frames, in order */
extern unsigned fix_ntx;
extern unsigned fix_tx_room; /* frames the "ring" takes per net_tx call (default: all) */
extern const uint8_t fix_peer_mac[6];

/* The stack on the scripted NIC, at FIX_US with gateway `gateway` (0: none). */
void fix_setup_gw(uint32_t gateway);
void fix_setup(void); /* gateway FIX_PEER */
/* net_fini, then asserts that every buffer is back in the pool. */
void fix_teardown(void);
/* Queues a frame for the next net_poll to receive. */
void fix_inject(const void *frame, unsigned len);
/* fix_inject then net_poll. */
void fix_rx(const void *frame, unsigned len);
/* Counts how many counters changed since the last fix_snapshot: the number, and the index of
 * the last one in *which. */
void fix_snapshot(void);
unsigned fix_changed(unsigned *which);
/* The counter's index by name, or -1. */
int fix_counter(const char *name);

/* Frames built by the test itself (for the malformed cases), with an RFC 1071 checksum of its
 * own.  fix_udp_frame: peer:5555 -> us:port, payload, correct checksums; the frame's length. */
uint16_t fix_cksum(const uint8_t *p, unsigned len, uint32_t sum);
unsigned fix_udp_frame(uint8_t *f, uint16_t port, const void *payload, uint16_t len);
/* Recomputes the IPv4 header checksum of a frame (after a test changed a field). */
void fix_fix_ip_sum(uint8_t *f);

#endif
