/* The network drivers' host tests' fixture (netfix.h). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "hal.h"
#include "netfix.h"
#include "simhal.h"

struct rtl_model fix_rtl;
struct net_dev fix_dev;
struct net_pool fix_pool;
uint64_t fix_clock_ns;
const uint8_t fix_mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
static uint64_t dma_next;

extern const struct net_driver rtl8139_driver, rtl8168_driver;

static const struct simhal_mmio_ops rtl_mmio = {
	.read = rtl_model_mmio_read,
	.write = rtl_model_mmio_write,
};

static volatile void *
reg(uint32_t off)
{
	return (volatile uint8_t *)simhal_mmio_ptr(FIX_BAR) + off;
}

static uint8_t
op_read8(void *ctx, uint32_t off)
{
	return hal_mmio_read8(reg(off));
}

static uint16_t
op_read16(void *ctx, uint32_t off)
{
	return hal_mmio_read16(reg(off));
}

static uint32_t
op_read32(void *ctx, uint32_t off)
{
	return hal_mmio_read32(reg(off));
}

static void
op_write8(void *ctx, uint32_t off, uint8_t v)
{
	hal_mmio_write8(reg(off), v);
}

static void
op_write16(void *ctx, uint32_t off, uint16_t v)
{
	hal_mmio_write16(reg(off), v);
}

static void
op_write32(void *ctx, uint32_t off, uint32_t v)
{
	hal_mmio_write32(reg(off), v);
}

static int
op_dma_alloc(void *ctx, size_t len, struct net_dma *out)
{
	uint64_t pa = dma_next;

	len = (len + 4095) & ~(size_t)4095;
	cr_assert(pa + len <= FIX_MEM_BYTES, "fixture DMA memory exhausted");
	dma_next += len;
	out->va = hal_phys_to_virt(pa);
	out->pa = pa;
	out->len = len;
	memset(out->va, 0, len);
	return 0;
}

static void
op_dma_free(void *ctx, struct net_dma *dma)
{
	/* A bump allocator: the memory is reused only by the next test's fresh fixture. */
}

static uint64_t
op_now(void *ctx)
{
	return fix_clock_ns += 1000;
}

static void
op_wait(void *ctx, uint64_t deadline)
{
	if (deadline > fix_clock_ns)
		fix_clock_ns = deadline;
}

static const struct net_ops ops = {
	.read8 = op_read8,
	.read16 = op_read16,
	.read32 = op_read32,
	.write8 = op_write8,
	.write16 = op_write16,
	.write32 = op_write32,
	.dma_alloc = op_dma_alloc,
	.dma_free = op_dma_free,
	.now_ns = op_now,
	.wait = op_wait,
};

const struct net_ops *
fix_ops(void)
{
	return &ops;
}

const struct net_driver *
fix_driver(enum rtlm_chip chip)
{
	return net_driver_find(0x10ec, chip == RTLM_8139CP ? 0x8139 : 0x8168);
}

void
fix_setup_mem(void)
{
	cr_assert_eq(simhal_init(FIX_MEM_BYTES), 0);
	fix_clock_ns = 0;
	dma_next = 1u << 20; /* the first MiB stays unused: a stray address 0 reads as garbage */
}

void
fix_setup_rtl(enum rtlm_chip chip)
{
	fix_setup_mem();
	cr_assert_eq(
	    rtl_model_init(&fix_rtl, chip, hal_phys_to_virt(0), simhal_phys_size(), fix_mac), 0);
	cr_assert_eq(simhal_mmio_register(FIX_BAR, RTLM_BAR_BYTES, &rtl_mmio, &fix_rtl), 0);
}

void
fix_start_rtl(enum rtlm_chip chip, unsigned nbuf, unsigned nring)
{
	const struct net_driver *drv = fix_driver(chip);

	fix_setup_rtl(chip);
	cr_assert_not_null(drv);
	cr_assert_eq(net_pool_init(&fix_pool, &ops, nbuf), 0);
	int r = net_dev_init(&fix_dev, drv, &ops, &fix_pool, nring, nring);
	cr_assert_eq(r, 0, "init: %d (%s)", r, fix_rtl.last_error);
	cr_assert_eq(fix_rtl.protocol_errors, 0, "%s", fix_rtl.last_error);
}

void
fix_teardown(void)
{
	rtl_model_fini(&fix_rtl);
	simhal_fini();
}

unsigned
fix_len(uint32_t seq)
{
	return 60 + (seq * 997u) % (NET_ETH_MAX - 60 + 1);
}

void
fix_frame(uint8_t *out, unsigned len, uint32_t seq, const uint8_t *dst)
{
	static const uint8_t src[6] = { 0x02, 0, 0, 0, 0, 0x01 };
	uint32_t s = seq * 2654435761u + 1;

	memcpy(out, dst != NULL ? dst : fix_mac, 6);
	memcpy(out + 6, src, 6);
	out[12] = 0x88;
	out[13] = 0xb5;
	for (unsigned i = 14; i < len; i++) {
		s ^= s << 13;
		s ^= s >> 17;
		s ^= s << 5;
		out[i] = (uint8_t)s;
	}
	if (len >= 18)
		memcpy(out + 14, &seq, 4);
}
