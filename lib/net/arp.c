/* ARP (RFC 826) for IPv4 over Ethernet (lib/net): a small cache of next-hop addresses, the
 * requests we send and the replies to requests for our address.  Policy, for the reader:
 *  - a packet to an address not yet resolved is HELD (up to NET_ARP_HOLD per address, more are
 *    dropped and counted), and sent when the reply arrives; if none comes within
 *    NET_ARP_WAIT_NS the held packets are dropped (arp_hold_expired) and the next send asks
 *    again;
 *  - a resolved entry expires NET_ARP_TTL_NS after it was learned (by the stack's clock,
 *    dev->ops.now_ns): the next send re-resolves it;
 *  - only requests or replies that name us (or that update an entry we have) enter the cache,
 *    RFC 826's "merge" rule, so other hosts' chatter cannot fill it;
 *  - when full, the entry learned or asked longest ago is replaced. */
#include "abi/error.h"
#include "net_priv.h"
#include "xstring.h"

static struct net_arp_entry *
arp_find(struct net_stack *st, uint32_t ip)
{
	for (unsigned i = 0; i < NET_ARP_ENTRIES; i++)
		if (st->arp[i].state != NET_ARP_FREE && st->arp[i].ip == ip)
			return &st->arp[i];
	return 0;
}

static void
arp_drop_held(struct net_stack *st, struct net_arp_entry *e)
{
	for (unsigned i = 0; i < e->nhold; i++)
		net_buf_free(e->hold[i]);
	e->nhold = 0;
}

/* A free entry, or the oldest one emptied. */
static struct net_arp_entry *
arp_new(struct net_stack *st, uint32_t ip)
{
	struct net_arp_entry *e = &st->arp[0];

	for (unsigned i = 0; i < NET_ARP_ENTRIES && e->state != NET_ARP_FREE; i++)
		if (st->arp[i].state == NET_ARP_FREE || st->arp[i].stamp_ns < e->stamp_ns)
			e = &st->arp[i];
	arp_drop_held(st, e);
	e->state = NET_ARP_PENDING;
	e->ip = ip;
	return e;
}

/* Fills an ARP packet (and its length) in b; the caller sends it. */
static void
arp_fill(struct net_stack *st, struct net_buf *b, uint16_t op, const uint8_t tha[6], uint32_t tpa)
{
	uint8_t *a = b->data + ETH_HDR;

	put16(a, ARP_HTYPE_ETH);
	put16(a + 2, ETH_TYPE_IPV4);
	a[4] = 6;
	a[5] = 4;
	put16(a + 6, op);
	memcpy(a + 8, st->dev->mac, 6);
	put32(a + 14, st->addr);
	memcpy(a + 18, tha, 6);
	put32(a + 24, tpa);
	b->len = ETH_HDR + ARP_LEN;
}

static void
arp_request(struct net_stack *st, struct net_arp_entry *e)
{
	static const uint8_t zero[6];
	struct net_buf *b = net_buf_alloc(st->dev->pool);

	e->stamp_ns = net_now(st);
	if (b == 0) {
		st->cnt.tx_no_buf++;
		return;
	}
	arp_fill(st, b, ARP_OP_REQ, zero, e->ip);
	st->cnt.arp_requests_out++;
	net_eth_send(st, b, net_bcast_mac, ETH_TYPE_ARP);
}

/* The address is known now: note it and send what waited for it, oldest first. */
static void
arp_learn(struct net_stack *st, struct net_arp_entry *e, const uint8_t mac[6])
{
	memcpy(e->mac, mac, 6);
	e->state = NET_ARP_RESOLVED;
	e->stamp_ns = net_now(st);
	for (unsigned i = 0; i < e->nhold; i++)
		net_eth_send(st, e->hold[i], mac, ETH_TYPE_IPV4);
	e->nhold = 0;
}

void
net_arp_input(struct net_stack *st, struct net_buf *b)
{
	uint8_t *a = b->data + ETH_HDR;
	uint8_t sha[6];
	uint32_t spa, tpa;
	uint16_t op;
	struct net_arp_entry *e;

	if (b->len < ETH_HDR + ARP_LEN) {
		st->cnt.arp_short++;
		net_buf_free(b);
		return;
	}
	op = get16(a + 6);
	if (get16(a) != ARP_HTYPE_ETH || get16(a + 2) != ETH_TYPE_IPV4 || a[4] != 6 || a[5] != 4 ||
	    (op != ARP_OP_REQ && op != ARP_OP_REPLY)) {
		st->cnt.arp_bad++;
		net_buf_free(b);
		return;
	}
	memcpy(sha, a + 8, 6);
	spa = get32(a + 14);
	tpa = get32(a + 24);
	e = arp_find(st, spa);
	if (e == 0 && tpa == st->addr && spa != 0)
		e = arp_new(st, spa);
	if (e != 0) {
		if (op == ARP_OP_REPLY)
			st->cnt.arp_replies_in++;
		arp_learn(st, e, sha);
	}
	if (op != ARP_OP_REQ || tpa != st->addr) {
		net_buf_free(b);
		return;
	}
	/* The reply reuses the request's buffer: the frame is the same shape. */
	st->cnt.arp_requests_in++;
	arp_fill(st, b, ARP_OP_REPLY, sha, spa);
	net_eth_send(st, b, sha, ETH_TYPE_ARP);
}

int
net_arp_output(struct net_stack *st, struct net_buf *b, uint32_t ip)
{
	struct net_arp_entry *e = arp_find(st, ip);
	uint64_t now = net_now(st);

	if (e != 0 && e->state == NET_ARP_RESOLVED && now - e->stamp_ns < NET_ARP_TTL_NS) {
		net_eth_send(st, b, e->mac, ETH_TYPE_IPV4);
		return 0;
	}
	if (e == 0) {
		e = arp_new(st, ip);
		arp_request(st, e);
	} else if (e->state == NET_ARP_RESOLVED) {
		e->state = NET_ARP_PENDING; /* expired: ask again */
		arp_request(st, e);
	} else if (now - e->stamp_ns >= NET_ARP_WAIT_NS) {
		st->cnt.arp_hold_expired += e->nhold;
		arp_drop_held(st, e);
		arp_request(st, e);
	}
	if (e->nhold == NET_ARP_HOLD) {
		st->cnt.arp_hold_full++;
		net_buf_free(b);
		return E_AGAIN;
	}
	e->hold[e->nhold++] = b;
	return 0;
}

/* RFC 5227 §2.3: an ARP Announcement, a request whose sender and target addresses are both
 * ours, broadcast when the interface comes up so neighbours learn our MAC before they need
 * it (QEMU's user network, for one, then forwards to us without asking first). */
int
net_arp_announce(struct net_stack *st)
{
	static const uint8_t zero[6];
	struct net_buf *b = net_buf_alloc(st->dev->pool);

	if (b == 0) {
		st->cnt.tx_no_buf++;
		return E_NOMEM;
	}
	arp_fill(st, b, ARP_OP_REQ, zero, st->addr);
	st->cnt.arp_requests_out++;
	net_eth_send(st, b, net_bcast_mac, ETH_TYPE_ARP);
	net_flush(st);
	return 0;
}

void
net_arp_sweep(struct net_stack *st)
{
	uint64_t now = net_now(st);

	for (unsigned i = 0; i < NET_ARP_ENTRIES; i++) {
		struct net_arp_entry *e = &st->arp[i];

		if (e->state == NET_ARP_PENDING && now - e->stamp_ns >= NET_ARP_WAIT_NS) {
			st->cnt.arp_hold_expired += e->nhold;
			arp_drop_held(st, e);
			e->state = NET_ARP_FREE;
		}
	}
}

void
net_arp_fini(struct net_stack *st)
{
	for (unsigned i = 0; i < NET_ARP_ENTRIES; i++) {
		arp_drop_held(st, &st->arp[i]);
		st->arp[i].state = NET_ARP_FREE;
	}
}
