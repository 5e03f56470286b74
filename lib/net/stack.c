/* The network stack's core (lib/net): set-up, the poll loop that runs a batch of received
 * frames through the layers, Ethernet II in and out, the batch of frames for the driver, the
 * Internet checksum and the counters. */
#include "abi/error.h"
#include "net_priv.h"
#include "xstring.h"

const uint8_t net_bcast_mac[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

static const char *const counter_names[] = {
#define NET_COUNTER_NAME(name) #name,
	NET_COUNTERS(NET_COUNTER_NAME)
#undef NET_COUNTER_NAME
};

void
net_init(struct net_stack *st, struct net_dev *dev, uint32_t addr, uint32_t netmask,
         uint32_t gateway)
{
	memset(st, 0, sizeof(*st));
	st->dev = dev;
	st->addr = addr;
	st->netmask = netmask;
	st->gateway = gateway;
	st->ip_id = 1;
}

void
net_fini(struct net_stack *st)
{
	net_flush(st);
	net_arp_fini(st);
	net_udp_fini(st);
}

uint64_t
net_now(struct net_stack *st)
{
	return st->dev->ops.now_ns(st->dev->ops.ctx);
}

void
net_wait(struct net_stack *st, uint64_t deadline_ns)
{
	if (st->dev->ops.wait != 0)
		st->dev->ops.wait(st->dev->ops.ctx, deadline_ns);
}

/* Ethernet II in: the frame is ours (our MAC or broadcast) and its type picks the layer.
 * Multicast is not joined, so it counts as another host's. */
static void
eth_input(struct net_stack *st, struct net_buf *b)
{
	uint16_t type;

	st->cnt.rx_frames++;
	if (b->len < ETH_HDR) {
		st->cnt.eth_short++;
		net_buf_free(b);
		return;
	}
	if (memcmp(b->data, st->dev->mac, 6) != 0 && memcmp(b->data, net_bcast_mac, 6) != 0) {
		st->cnt.eth_other_dst++;
		net_buf_free(b);
		return;
	}
	type = get16(b->data + 12);
	if (type == ETH_TYPE_IPV4) {
		net_ip_input(st, b);
	} else if (type == ETH_TYPE_ARP) {
		net_arp_input(st, b);
	} else {
		st->cnt.eth_unknown_type++;
		net_buf_free(b);
	}
}

unsigned
net_poll(struct net_stack *st)
{
	struct net_buf *bufs[NET_BATCH];
	unsigned n = net_rx(st->dev, bufs, NET_BATCH);

	for (unsigned i = 0; i < n; i++)
		eth_input(st, bufs[i]);
	net_arp_sweep(st);
	net_flush(st);
	return n;
}

void
net_eth_send(struct net_stack *st, struct net_buf *b, const uint8_t dst[6], uint16_t type)
{
	memcpy(b->data, dst, 6);
	memcpy(b->data + 6, st->dev->mac, 6);
	put16(b->data + 12, type);
	/* A frame shorter than the minimum is padded with zeros (IEEE 802.3 §3.2.7): done here so
	 * no driver has to, and so that the bytes on the wire are ours. */
	if (b->len < NET_ETH_MIN) {
		memset(b->data + b->len, 0, NET_ETH_MIN - b->len);
		b->len = NET_ETH_MIN;
	}
	if (st->ntx == NET_BATCH)
		net_flush(st);
	st->txq[st->ntx++] = b;
}

void
net_flush(struct net_stack *st)
{
	unsigned n;

	if (st->ntx == 0)
		return;
	n = net_tx(st->dev, st->txq, st->ntx);
	st->cnt.tx_frames += n;
	/* The frames the ring could not take are dropped, as a full link would. */
	for (unsigned i = n; i < st->ntx; i++) {
		st->cnt.tx_ring_full++;
		net_buf_free(st->txq[i]);
	}
	st->ntx = 0;
}

uint16_t
net_cksum(const void *data, unsigned len, uint32_t sum)
{
	const uint8_t *p = data;
	uint64_t s = sum;
	unsigned i;

	/* RFC 1071 §4.1: 16-bit big-endian words, an odd last byte padded with a zero byte. */
	for (i = 0; i + 1 < len; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (i < len)
		s += (uint32_t)p[i] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

uint32_t
net_pseudo_sum(uint32_t src, uint32_t dst, uint8_t proto, uint16_t len)
{
	return (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) + proto + len;
}

const char *
net_counter_name(unsigned i)
{
	return i < NET_NCOUNTERS ? counter_names[i] : "?";
}

uint64_t
net_counter_value(const struct net_stack *st, unsigned i)
{
	const uint64_t *v = (const uint64_t *)&st->cnt;

	return i < NET_NCOUNTERS ? v[i] : 0;
}

int
net_parse_ip(const char *s, uint32_t *ip)
{
	uint32_t a = 0;

	for (int part = 0; part < 4; part++) {
		unsigned v = 0, digits = 0;

		for (; *s >= '0' && *s <= '9' && digits < 4; s++, digits++)
			v = v * 10 + (unsigned)(*s - '0');
		if (digits == 0 || digits > 3 || v > 255)
			return E_INVAL;
		a = a << 8 | v;
		if (part < 3 && *s++ != '.')
			return E_INVAL;
	}
	if (*s != 0)
		return E_INVAL;
	*ip = a;
	return 0;
}
