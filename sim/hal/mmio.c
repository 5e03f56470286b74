/* MMIO on the host: hal_mmio_* accesses are dispatched by address to the device model that
 * registered the range; an access nobody registered, or a misaligned one, is a failure. */
#include <stdio.h>
#include <string.h>

#include "abi/error.h"
#include "simhal.h"

struct mmio_range {
	uintptr_t base;
	size_t len;
	const struct simhal_mmio_ops *ops;
	void *ctx;
};

static struct mmio_range ranges[SIMHAL_MAX_MMIO];
static unsigned nranges;

/* The driver's source line (lib/drivers/include/drv_mmio.h): recorded by drv_mmio_src just
 * before an access (`next`), then the line of the access being dispatched (`cur`), so that a
 * model can name it in a protocol error.  An access a driver makes without the accessors has
 * no line: `next` is consumed by every access. */
struct src_line {
	const char *file;
	int line;
};
static struct src_line next, cur;

void
drv_mmio_src(const char *file, int line)
{
	next = (struct src_line){ file, line };
}

const char *
simhal_mmio_src(int *line)
{
	*line = cur.line;
	return cur.file;
}

void
simhal_mmio_src_append(char *buf, size_t size)
{
	size_t n = strlen(buf);

	if (cur.file != NULL && n + 1 < size)
		snprintf(buf + n, size - n, ", driver pc %s:%d", cur.file, cur.line);
}

void
simhal_mmio_reset(void)
{
	nranges = 0;
	next = cur = (struct src_line){ 0 };
}

int
simhal_mmio_register(uintptr_t base, size_t len, const struct simhal_mmio_ops *ops, void *ctx)
{
	if (len == 0 || base + len < base || ops == NULL || ops->read == NULL || ops->write == NULL)
		return E_INVAL;
	for (unsigned i = 0; i < nranges; i++) {
		if (base < ranges[i].base + ranges[i].len && ranges[i].base < base + len)
			return E_EXIST;
	}
	if (nranges == SIMHAL_MAX_MMIO)
		return E_NOMEM;
	ranges[nranges++] = (struct mmio_range){ base, len, ops, ctx };
	return 0;
}

int
simhal_mmio_unregister(uintptr_t base)
{
	for (unsigned i = 0; i < nranges; i++) {
		if (ranges[i].base == base) {
			ranges[i] = ranges[--nranges];
			return 0;
		}
	}
	return E_NOENT;
}

volatile void *
simhal_mmio_ptr(uintptr_t base)
{
	return (volatile void *)base;
}

/* The range holding a `size`-byte access at `addr`, which must be naturally aligned. */
static const struct mmio_range *
lookup(volatile void *addr, unsigned size, const char *who)
{
	uintptr_t a = (uintptr_t)addr;

	if (a % size != 0)
		SIMHAL_FAIL("%s: misaligned access at %p", who, (void *)a);
	for (unsigned i = 0; i < nranges; i++) {
		if (a >= ranges[i].base && a - ranges[i].base <= ranges[i].len - size)
			return &ranges[i];
	}
	SIMHAL_FAIL("%s: no device at %p", who, (void *)a);
}

static uint64_t
mmio_read(volatile void *addr, unsigned size, const char *who)
{
	const struct mmio_range *r = lookup(addr, size, who);
	uint64_t v;

	cur = next;
	next = (struct src_line){ 0 };
	v = r->ops->read(r->ctx, (uintptr_t)addr - r->base, size);
	cur = (struct src_line){ 0 };
	return v;
}

static void
mmio_write(volatile void *addr, unsigned size, uint64_t val, const char *who)
{
	const struct mmio_range *r = lookup(addr, size, who);

	cur = next;
	next = (struct src_line){ 0 };
	r->ops->write(r->ctx, (uintptr_t)addr - r->base, size, val);
	cur = (struct src_line){ 0 };
}

uint8_t
hal_mmio_read8(volatile void *addr)
{
	return (uint8_t)mmio_read(addr, 1, "hal_mmio_read8");
}

uint16_t
hal_mmio_read16(volatile void *addr)
{
	return (uint16_t)mmio_read(addr, 2, "hal_mmio_read16");
}

uint32_t
hal_mmio_read32(volatile void *addr)
{
	return (uint32_t)mmio_read(addr, 4, "hal_mmio_read32");
}

uint64_t
hal_mmio_read64(volatile void *addr)
{
	return mmio_read(addr, 8, "hal_mmio_read64");
}

void
hal_mmio_write8(volatile void *addr, uint8_t val)
{
	mmio_write(addr, 1, val, "hal_mmio_write8");
}

void
hal_mmio_write16(volatile void *addr, uint16_t val)
{
	mmio_write(addr, 2, val, "hal_mmio_write16");
}

void
hal_mmio_write32(volatile void *addr, uint32_t val)
{
	mmio_write(addr, 4, val, "hal_mmio_write32");
}

void
hal_mmio_write64(volatile void *addr, uint64_t val)
{
	mmio_write(addr, 8, val, "hal_mmio_write64");
}
