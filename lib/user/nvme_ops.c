/* The NVMe driver's ops table in the LibOS (lib/drivers/include/nvme.h): BAR0 through a
 * device capability's window mapped uncached by region_map, DMA memory from the env's
 * quota as the kernel's contiguous DMA regions (dma_alloc, syscall 50, lib/user/dma.c),
 * interrupts as notifications (INTx or MSI-X), time from the TSC.  The kernel only checks
 * rights; everything the driver does to the controller is ordinary user code here.
 *
 * DMA: one allocation is one region of 2^k >= n physically contiguous zeroed pages (the
 * kernel rounds up and charges 2^k pages to the quota), mapped write-back; the PRP lists
 * (one page per queue slot) and callers' multi-page buffers rely on the contiguity. */
#include "abi/dev.h"
#include "dma.h"
#include "libos.h"
#include "nvme_libos.h"
#include "usyscall.h"
#include "xstring.h"

#define PAGE 4096ull
/* PCI Local Bus 3.0 §6.2.2: command register bit 1 Memory Space, bit 2 Bus Master. */
#define PCI_CMD     4
#define PCI_CMD_MEM 0x2
#define PCI_CMD_BM  0x4

static uint32_t
ops_read32(void *ctx, uint32_t off)
{
	return *(volatile uint32_t *)(((struct nvme_libos *)ctx)->bar + off);
}

/* §3.1: 64-bit registers may be accessed as two dwords, low first; the controller's
 * registers read here (CAP) do not change between the halves. */
static uint64_t
ops_read64(void *ctx, uint32_t off)
{
	uint64_t lo = ops_read32(ctx, off);

	return lo | (uint64_t)ops_read32(ctx, off + 4) << 32;
}

static void
ops_write32(void *ctx, uint32_t off, uint32_t val)
{
	*(volatile uint32_t *)(((struct nvme_libos *)ctx)->bar + off) = val;
}

static void
ops_write64(void *ctx, uint32_t off, uint64_t val)
{
	ops_write32(ctx, off, (uint32_t)val);
	ops_write32(ctx, off + 4, (uint32_t)(val >> 32));
}

static uint64_t
ops_now_ns(void *ctx)
{
	(void)ctx;
	return rdtsc() / NVME_LIBOS_TSC_PER_NS;
}

static struct nvme_libos_dma *
dma_entry(struct nvme_libos *l, uint64_t va)
{
	for (unsigned i = 0; i < NVME_LIBOS_DMA_MAX; i++)
		if (l->dma[i].slot != 0 && l->dma[i].va == va)
			return &l->dma[i];
	return NULL;
}

void
nvme_libos_dma_free(void *ctx, struct nvme_dma *dma)
{
	struct nvme_libos_dma *e = dma_entry(ctx, (uint64_t)dma->va);

	if (e != NULL) {
		(void)dma_free(e->slot); /* the kernel unmaps the region */
		e->slot = 0;
	}
	dma->va = NULL;
}

int
nvme_libos_dma_alloc(void *ctx, size_t len, struct nvme_dma *out)
{
	struct nvme_libos *l = ctx;
	uint64_t n = (len + PAGE - 1) / PAGE, pa;
	unsigned i = 0;
	void *va;
	long s;

	if (len == 0 || len > NVME_LIBOS_CONTIG_MAX * PAGE)
		return E_INVAL;
	while (i < NVME_LIBOS_DMA_MAX && l->dma[i].slot != 0)
		i++;
	if (i == NVME_LIBOS_DMA_MAX)
		return E_NOMEM;
	/* Write-back: x86 DMA snoops the caches, so queues and buffers need no flushing. */
	if ((s = dma_alloc_contig(n, ABI_DMA_WB, &va, &pa)) < 0)
		return (int)s;
	l->dma[i] = (struct nvme_libos_dma){ (uint64_t)va, (uint64_t)s };
	*out = (struct nvme_dma){ va, pa, n * PAGE };
	return 0; /* the kernel zeroes the pages */
}

static int
map_bar0(struct nvme_libos *l)
{
	struct abi_dev_info info;
	long s, r;

	if ((r = sys_dev_info(l->dev, &info)) < 0)
		return (int)r;
	if (info.class != 1 || info.subclass != 8 || info.progif != 2 ||
	    (info.bars[0].type != ABI_BAR_MEM32 && info.bars[0].type != ABI_BAR_MEM64) ||
	    info.bars[0].size < 0x2000)
		return E_INVAL;
	long cmd = sys_dev_cfg_read(l->dev, PCI_CMD, 2);
	if (cmd < 0)
		return (int)cmd;
	/* Bus mastering before the first DMA: without it the controller's reads of the queues
	 * and writes of the completions never reach memory. */
	if ((r = sys_dev_cfg_write(l->dev, PCI_CMD, 2, (uint64_t)cmd | PCI_CMD_MEM | PCI_CMD_BM)))
		return (int)r;
	if ((s = slot_alloc()) < 0)
		return (int)s;
	if ((r = sys_dev_bar(l->dev, 0, (uint64_t)s, CAP_R_READ | CAP_R_WRITE | CAP_R_MAP)) < 0 ||
	    (r = sys_dev_bar_map((uint64_t)s, ABI_SLOT_SELF, NVME_LIBOS_BAR_VA,
	                         ABI_PERM_R | ABI_PERM_W)) < 0) {
		(void)sys_cap_delete((uint64_t)s);
		slot_free((uint64_t)s);
		return (int)r;
	}
	l->window = (uint64_t)s;
	l->bar = (volatile uint8_t *)NVME_LIBOS_BAR_VA;
	l->bar_size = info.bars[0].size;
	return 0;
}

uint64_t
nvme_libos_find(void)
{
	struct abi_dev_info info;
	uint64_t first, n = libos_devices(&first);

	for (uint64_t s = first; s < first + n; s++)
		if (sys_dev_info(s, &info) == 0 && info.class == 1 && info.subclass == 8 &&
		    info.progif == 2)
			return s;
	return 0;
}

int
nvme_libos_open(struct nvme_libos *l, uint64_t dev, struct nvme_ops *ops)
{
	int r;

	memset(l, 0, sizeof(*l));
	l->dev = dev;
	if ((r = map_bar0(l)) < 0)
		return r;
	*ops = (struct nvme_ops){
		.ctx = l,
		.read32 = ops_read32,
		.read64 = ops_read64,
		.write32 = ops_write32,
		.write64 = ops_write64,
		.dma_alloc = nvme_libos_dma_alloc,
		.dma_free = nvme_libos_dma_free,
		.now_ns = ops_now_ns,
		.wait = NULL, /* polled until nvme_libos_irq_bind */
		.wp = nvme_libos_protect(l),
	};
	return 0;
}

/* Acknowledges the interrupt the last notification announced (the kernel masked it). */
static long
irq_ack(struct nvme_libos *l)
{
	if (l->kind == NVME_LIBOS_MSIX)
		return sys_irq_ack_msi(l->dev, NVME_LIBOS_MSIX_WHICH);
	return sys_irq_ack(l->dev);
}

/* ops.wait in interrupt mode.  Order matters: the interrupt is acknowledged at the start of
 * the next wait, after the driver reaped the completions the last interrupt announced, and
 * before this wait looks at the notification or blocks.
 *
 * INTx is level-triggered: the line stays asserted while a completion queue holds entries
 * the CQ head doorbell has not released, so acknowledging before reaping would only fire
 * again at once.  MSI-X is an edge (one message as the controller posts completions); the
 * kernel masks the table entry on delivery, and a message the controller would send while
 * the entry is masked sets its Pending bit and is sent at the unmask (PCI Local Bus 3.0
 * §6.8.2.9).  So a completion posted between the driver's last look at the queue and this
 * ack is not lost: the unmask delivers it, the notification word (sticky) holds it, and
 * notify_poll below returns at once.  Acknowledging before reaping would be as correct for
 * MSI-X but lets each completion posted during the reap raise its own interrupt; after the
 * reap they cost one at most (or one spurious wake-up, when the reap already took them).
 * What must never happen is blocking with the interrupt still masked: a pending message
 * would wait for an ack that never comes, and the driver would sleep to its deadline.
 *
 * Deadline: a wait shorter than NVME_LIBOS_SPIN_NS (CSTS.RDY) returns at once; a longer
 * one blocks in notify_wait_until, so a controller that never answers still comes back to
 * the driver by the deadline, which then aborts or resets as in polled mode. */
static void
irq_wait(void *ctx, uint64_t deadline_ns)
{
	struct nvme_libos *l = ctx;
	uint64_t word, t;

	l->irq.waits++;
	if (l->owed && irq_ack(l) == 0)
		l->owed = false;
	if (sys_notify_poll(l->nslot, &word) == 0) {
		l->irq.signals++;
		l->owed = true;
		return;
	}
	t = ops_now_ns(l);
	if (t >= deadline_ns || deadline_ns - t < NVME_LIBOS_SPIN_NS) {
		l->irq.spins++;
		return;
	}
	if (sys_notify_wait_until(l->nslot, libos_tsc_deadline(deadline_ns, NVME_LIBOS_TSC_PER_NS),
	                          &word) == 0) {
		l->irq.signals++;
		l->irq.blocks++;
		l->owed = true;
	} else {
		l->irq.spins++;
	}
}

static long
irq_bind(struct nvme_libos *l, uint64_t nslot, uint64_t bits, unsigned kinds)
{
	long r = E_INVAL;

	l->kind = 0;
	if (kinds & NVME_LIBOS_MSIX) {
		r = sys_irq_bind_msi(l->dev, nslot, bits, NVME_LIBOS_MSIX_WHICH,
		                     NVME_LIBOS_MSIX_CPU);
		l->kind = r >= 0 ? NVME_LIBOS_MSIX : 0;
	}
	if (l->kind == 0 && (kinds & NVME_LIBOS_INTX)) {
		r = sys_irq_bind(l->dev, nslot, bits);
		l->kind = r >= 0 ? NVME_LIBOS_INTX : 0;
	}
	return r;
}

int
nvme_libos_irq_bind(struct nvme_libos *l, uint64_t nslot, uint64_t bits, unsigned kinds,
                    struct nvme_ops *ops)
{
	long r = irq_bind(l, nslot, bits, kinds);

	if (r < 0)
		return (int)r;
	l->nslot = nslot;
	l->nbits = bits;
	l->owed = false;
	l->irq = (struct nvme_libos_irq_stats){ 0 };
	ops->wait = irq_wait;
	ops->intr = true;
	return 0;
}

static void
irq_unbind(struct nvme_libos *l)
{
	if (l->kind == NVME_LIBOS_MSIX)
		(void)sys_irq_unbind_msi(l->dev, NVME_LIBOS_MSIX_WHICH);
	else if (l->kind == NVME_LIBOS_INTX)
		(void)sys_irq_unbind(l->dev);
	l->kind = 0;
	l->owed = false;
}

void
nvme_libos_irq_unbind(struct nvme_libos *l, struct nvme_ops *ops)
{
	irq_unbind(l);
	ops->wait = NULL;
	ops->intr = false;
}

void
nvme_libos_close(struct nvme_libos *l)
{
	irq_unbind(l);
	for (unsigned i = 0; i < NVME_LIBOS_DMA_MAX; i++) {
		if (l->dma[i].slot != 0)
			(void)dma_free(l->dma[i].slot);
		l->dma[i].slot = 0;
	}
	if (l->window != 0) {
		(void)sys_cap_delete(l->window); /* unmaps BAR0 */
		slot_free(l->window);
		l->window = 0;
	}
}
