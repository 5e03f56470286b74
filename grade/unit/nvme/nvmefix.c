/* The NVMe host tests' fixture (nvmefix.h). */
#include <criterion/criterion.h>
#include <string.h>

#include "hal.h"
#include "nvmefix.h"
#include "simhal.h"

struct nvme_model fix_model;
struct nvme_ctrl fix_ctrl;
uint64_t fix_clock_ns;
static uint64_t dma_next;

static const struct simhal_mmio_ops model_mmio = {
	.read = nvme_model_mmio_read,
	.write = nvme_model_mmio_write,
};

static volatile void *
reg(uint32_t off)
{
	return (volatile uint8_t *)simhal_mmio_ptr(FIX_BAR0) + off;
}

static uint32_t
op_read32(void *ctx, uint32_t off)
{
	return hal_mmio_read32(reg(off));
}

static uint64_t
op_read64(void *ctx, uint32_t off)
{
	return hal_mmio_read64(reg(off));
}

static void
op_write32(void *ctx, uint32_t off, uint32_t v)
{
	hal_mmio_write32(reg(off), v);
}

static void
op_write64(void *ctx, uint32_t off, uint64_t v)
{
	hal_mmio_write64(reg(off), v);
}

uint64_t
fix_dma(size_t len, void **va)
{
	uint64_t pa = dma_next;

	len = (len + 4095) & ~(size_t)4095;
	cr_assert(pa + len <= FIX_MEM_BYTES, "fixture DMA memory exhausted");
	dma_next += len;
	*va = hal_phys_to_virt(pa);
	memset(*va, 0, len);
	return pa;
}

static int
op_dma_alloc(void *ctx, size_t len, struct nvme_dma *out)
{
	out->pa = fix_dma(len, &out->va);
	out->len = len;
	return 0;
}

static void
op_dma_free(void *ctx, struct nvme_dma *dma)
{
	/* A bump allocator: the memory is reused only by the next test's fresh fixture. */
}

/* In deferred mode the device runs when time passes: at each clock reading and wait. */
static uint64_t
op_now(void *ctx)
{
	if (fix_model.deferred)
		nvme_model_run(&fix_model);
	return fix_clock_ns += 1000;
}

static void
op_wait(void *ctx, uint64_t deadline)
{
	if (fix_model.deferred)
		nvme_model_run(&fix_model);
	if (deadline > fix_clock_ns)
		fix_clock_ns = deadline;
}

static const struct nvme_ops ops = {
	.read32 = op_read32,
	.read64 = op_read64,
	.write32 = op_write32,
	.write64 = op_write64,
	.dma_alloc = op_dma_alloc,
	.dma_free = op_dma_free,
	.now_ns = op_now,
	.wait = op_wait,
};

const struct nvme_ops *
fix_ops(void)
{
	return &ops;
}

void
fix_setup_model(unsigned dstrd)
{
	cr_assert_eq(simhal_init(FIX_MEM_BYTES), 0);
	cr_assert_eq(nvme_model_init(&fix_model, hal_phys_to_virt(0), simhal_phys_size(),
	                             FIX_NBLOCKS, dstrd, 2),
	             0);
	cr_assert_eq(simhal_mmio_register(FIX_BAR0, NVMEM_BAR0_BYTES, &model_mmio, &fix_model), 0);
	fix_clock_ns = 0;
	dma_next = 1u << 20; /* the first MiB stays unused: a stray address 0 reads as garbage */
}

void
fix_setup(unsigned nioq, unsigned depth)
{
	fix_setup_model(0);
	int r = nvme_init(&fix_ctrl, &ops, nioq, depth);
	cr_assert_eq(r, 0, "nvme_init: %d (%s)", r, fix_model.last_error);
}

void
fix_teardown(void)
{
	nvme_model_fini(&fix_model);
	simhal_fini();
}

uint64_t
fix_rand(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

void
fix_fill(void *buf, size_t len, uint64_t seed)
{
	uint64_t s = seed | 1;
	uint8_t *p = buf;

	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(fix_rand(&s) >> 24);
}

uint64_t
fix_sum(const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}
