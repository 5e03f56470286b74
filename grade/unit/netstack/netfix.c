/* The scripted NIC and helpers of the network stack's host tests (netfix.h). */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "netfix.h"

struct net_pool fix_pool;
struct net_dev fix_dev;
struct net_stack fix_st;
uint64_t fix_clock_ns;
struct fix_frame fix_tx[FIX_MAX_TX];
unsigned fix_ntx;
unsigned fix_tx_room;
const uint8_t fix_peer_mac[6] = { 0x52, 0x55, 0x0a, 0x00, 0x02, 0x02 };

static const uint8_t us_mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
static struct net_buf *rxq[FIX_MAX_RX];
static unsigned nrxq;
static uint64_t snap[NET_NCOUNTERS];

static int
fake_dma_alloc(void *ctx, size_t len, struct net_dma *out)
{
	void *va = aligned_alloc(4096, len);

	if (va == NULL)
		return -2;
	memset(va, 0, len);
	*out = (struct net_dma){ va, (uint64_t)(uintptr_t)va, len };
	return 0;
}

static void
fake_dma_free(void *ctx, struct net_dma *dma)
{
	free(dma->va);
}

static uint64_t
fake_now(void *ctx)
{
	return fix_clock_ns;
}

static int
fake_init(struct net_dev *dev, unsigned nrx, unsigned ntx)
{
	memcpy(dev->mac, us_mac, 6);
	return 0;
}

static void
fake_fini(struct net_dev *dev)
{
}

static unsigned
fake_rx(struct net_dev *dev, struct net_buf **bufs, unsigned max)
{
	unsigned n = nrxq < max ? nrxq : max;

	memcpy(bufs, rxq, n * sizeof(*bufs));
	memmove(rxq, rxq + n, (nrxq - n) * sizeof(*rxq));
	nrxq -= n;
	return n;
}

/* Records each frame and frees its buffer at once, as a NIC done with it would. */
static unsigned
fake_tx(struct net_dev *dev, struct net_buf **bufs, unsigned n)
{
	unsigned take = n < fix_tx_room ? n : fix_tx_room;

	for (unsigned i = 0; i < take; i++) {
		cr_assert_lt(fix_ntx, FIX_MAX_TX, "the test sent more frames than it records");
		cr_assert_leq(bufs[i]->len, NET_ETH_MAX);
		cr_assert_geq(bufs[i]->len, NET_ETH_MIN);
		fix_tx[fix_ntx].len = bufs[i]->len;
		memcpy(fix_tx[fix_ntx++].data, bufs[i]->data, bufs[i]->len);
		net_buf_free(bufs[i]);
	}
	return take;
}

static const struct net_driver fake_driver = {
	.name = "scripted",
	.init = fake_init,
	.fini = fake_fini,
	.rx = fake_rx,
	.tx = fake_tx,
};

void
fix_setup_gw(uint32_t gateway)
{
	struct net_ops ops = { .dma_alloc = fake_dma_alloc,
		               .dma_free = fake_dma_free,
		               .now_ns = fake_now };

	fix_clock_ns = 1000;
	fix_ntx = 0;
	nrxq = 0;
	fix_tx_room = ~0u;
	cr_assert_eq(net_pool_init(&fix_pool, &ops, FIX_NBUFS), 0);
	cr_assert_eq(net_dev_init(&fix_dev, &fake_driver, &ops, &fix_pool, 8, 8), 0);
	net_init(&fix_st, &fix_dev, FIX_US, FIX_MASK, gateway);
	fix_snapshot();
}

void
fix_setup(void)
{
	fix_setup_gw(FIX_PEER);
}

void
fix_teardown(void)
{
	while (nrxq > 0)
		net_buf_free(rxq[--nrxq]);
	net_fini(&fix_st);
	cr_expect_eq(fix_pool.nfree, fix_pool.n, "%u of %u buffers leaked",
	             fix_pool.n - fix_pool.nfree, fix_pool.n);
	net_pool_fini(&fix_pool);
}

void
fix_inject(const void *frame, unsigned len)
{
	struct net_buf *b = net_buf_alloc(&fix_pool);

	cr_assert_not_null(b);
	cr_assert_lt(nrxq, FIX_MAX_RX);
	cr_assert_leq(len, NET_BUF_SIZE);
	memcpy(b->data, frame, len);
	b->len = (uint16_t)len;
	rxq[nrxq++] = b;
}

void
fix_rx(const void *frame, unsigned len)
{
	fix_inject(frame, len);
	cr_assert_eq(net_poll(&fix_st), 1);
}

void
fix_snapshot(void)
{
	for (unsigned i = 0; i < NET_NCOUNTERS; i++)
		snap[i] = net_counter_value(&fix_st, i);
}

unsigned
fix_changed(unsigned *which)
{
	unsigned n = 0;

	for (unsigned i = 0; i < NET_NCOUNTERS; i++)
		if (net_counter_value(&fix_st, i) != snap[i]) {
			n++;
			*which = i;
		}
	return n;
}

int
fix_counter(const char *name)
{
	for (unsigned i = 0; i < NET_NCOUNTERS; i++)
		if (strcmp(net_counter_name(i), name) == 0)
			return (int)i;
	return -1;
}

/* Word by word from an array of 16-bit values, unlike the stack's byte pairs. */
uint16_t
fix_cksum(const uint8_t *p, unsigned len, uint32_t sum)
{
	uint64_t s = sum;

	for (unsigned i = 0; i < len; i++)
		s += (i & 1) ? p[i] : (uint32_t)p[i] << 8;
	s = (s & 0xffffffff) + (s >> 32);
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static void
put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

void
fix_fix_ip_sum(uint8_t *f)
{
	unsigned ihl = (f[14] & 0xfu) * 4;

	put16(f + 24, 0);
	put16(f + 24, fix_cksum(f + 14, ihl, 0));
}

unsigned
fix_udp_frame(uint8_t *f, uint16_t port, const void *payload, uint16_t len)
{
	static const uint8_t hdr[] = { 0x45, 0, 0,  0, 0, 7, 0,  0, 64, 17,
		                       0,    0, 10, 0, 2, 2, 10, 0, 2,  15 };
	uint8_t *u = f + 34;
	uint32_t pseudo = 0x0a00 + 0x0202 + 0x0a00 + 0x020f + 17 + 8u + len;

	memcpy(f, us_mac, 6);
	memcpy(f + 6, fix_peer_mac, 6);
	put16(f + 12, 0x0800);
	memcpy(f + 14, hdr, sizeof(hdr));
	put16(f + 16, 28u + len);
	put16(u, 5555);
	put16(u + 2, port);
	put16(u + 4, 8u + len);
	put16(u + 6, 0);
	memcpy(u + 8, payload, len);
	put16(u + 6, fix_cksum(u, 8u + len, pseudo));
	fix_fix_ip_sum(f);
	return 42u + len;
}
