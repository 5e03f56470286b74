/* The NVMe driver's ops table in the LibOS (lib/drivers/include/nvme.h): BAR0 through a
 * device capability's window mapped uncached by region_map, DMA memory from frames of the
 * env's quota (frame_alloc, map, frame_phys), time from the TSC.  The kernel only checks
 * rights; everything the driver does to the controller is ordinary user code here.
 *
 * DMA limit: the kernel hands out one frame per frame_alloc.  One page suffices for each
 * queue the driver makes at depth <= 64 (64-byte SQ entries, 16-byte CQ entries), but its
 * PRP lists (one page per slot) and callers' multi-page buffers need physical contiguity:
 * an allocation of n > 1 pages takes frames one at a time until n of them form an ascending
 * run (the buddy allocator hands out the halves of a split block in ascending order, so this
 * normally needs n frames), giving up with E_NOMEM after NVME_LIBOS_CONTIG_TRIES frames. */
#include "abi/dev.h"
#include "libos.h"
#include "nvme_libos.h"
#include "usyscall.h"
#include "xstring.h"

#define PAGE         4096ull
#define FRAME_RIGHTS (CAP_R_READ | CAP_R_WRITE | CAP_R_MAP | CAP_R_PHYS)
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

/* One frame into a fresh slot: its slot in *slot and physical address, or an E_* code. */
static long
frame_get(uint64_t *slot)
{
	long s = slot_alloc(), pa;

	if (s < 0)
		return s;
	if ((pa = sys_frame_alloc(ABI_SLOT_UNTYPED, (uint64_t)s, FRAME_RIGHTS)) < 0 ||
	    (pa = sys_frame_phys((uint64_t)s)) < 0) {
		(void)sys_cap_delete((uint64_t)s);
		slot_free((uint64_t)s);
		return pa;
	}
	*slot = (uint64_t)s;
	return pa;
}

static void
frame_put(uint64_t slot)
{
	(void)sys_cap_delete(slot);
	slot_free(slot);
}

/* Takes frames until `n` of them are physically ascending and adjacent: their slots into
 * run[0..n) and the first one's physical address, or E_NOMEM.  Frames not in the run are
 * freed at the end (freeing them at once would hand the same frame back). */
static long
contig_run(uint64_t *run, unsigned n)
{
	uint64_t spare[NVME_LIBOS_CONTIG_TRIES];
	unsigned nspare = 0, have = 0;
	long first = 0, last = 0;

	for (unsigned i = 0; i < NVME_LIBOS_CONTIG_TRIES && have < n; i++) {
		uint64_t s;
		long pa = frame_get(&s);
		if (pa < 0)
			break;
		if (have > 0 && (uint64_t)pa != (uint64_t)last + PAGE) {
			for (unsigned k = 0; k < have; k++)
				spare[nspare++] = run[k];
			have = 0;
		}
		if (have == 0)
			first = pa;
		run[have++] = s;
		last = pa;
	}
	for (unsigned k = 0; k < nspare; k++)
		frame_put(spare[k]);
	if (have == n)
		return first;
	for (unsigned k = 0; k < have; k++)
		frame_put(run[k]);
	return E_NOMEM;
}

static struct nvme_libos_page *
page_entry(struct nvme_libos *l, uint64_t va)
{
	for (unsigned i = 0; i < NVME_LIBOS_DMA_MAX; i++)
		if (l->pages[i].slot != 0 && l->pages[i].va == va)
			return &l->pages[i];
	return NULL;
}

static unsigned
free_entries(struct nvme_libos *l)
{
	unsigned n = 0;

	for (unsigned i = 0; i < NVME_LIBOS_DMA_MAX; i++)
		n += l->pages[i].slot == 0;
	return n;
}

void
nvme_libos_dma_free(void *ctx, struct nvme_dma *dma)
{
	struct nvme_libos *l = ctx;

	for (uint64_t off = 0; off < dma->len; off += PAGE) {
		struct nvme_libos_page *p = page_entry(l, (uint64_t)dma->va + off);
		if (p == NULL)
			continue;
		(void)sys_unmap(ABI_SLOT_SELF, p->va);
		frame_put(p->slot);
		p->slot = 0;
	}
	dma->va = NULL;
}

int
nvme_libos_dma_alloc(void *ctx, size_t len, struct nvme_dma *out)
{
	struct nvme_libos *l = ctx;
	uint64_t run[NVME_LIBOS_CONTIG_MAX];
	unsigned n = (unsigned)((len + PAGE - 1) / PAGE), i = 0, k;
	long pa, r = 0;

	if (len == 0 || len > NVME_LIBOS_CONTIG_MAX * PAGE)
		return E_INVAL;
	if (free_entries(l) < n)
		return E_NOMEM;
	if ((pa = contig_run(run, n)) < 0)
		return (int)pa;
	*out = (struct nvme_dma){ (void *)l->dma_next, (uint64_t)pa, n * PAGE };
	for (k = 0; k < n; k++) {
		uint64_t va = l->dma_next + k * PAGE;
		while (l->pages[i].slot != 0)
			i++;
		if (r == 0)
			r = sys_map(ABI_SLOT_SELF, run[k], va, ABI_PERM_R | ABI_PERM_W);
		if (r < 0) {
			frame_put(run[k]);
			continue;
		}
		l->pages[i] = (struct nvme_libos_page){ va, run[k] };
	}
	l->dma_next += (n + 1) * PAGE; /* an unmapped guard page after each allocation */
	if (r < 0) {
		nvme_libos_dma_free(l, out);
		return (int)r;
	}
	return 0; /* frame_alloc's frames are zeroed */
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

int
nvme_libos_open(struct nvme_libos *l, uint64_t dev, struct nvme_ops *ops)
{
	int r;

	memset(l, 0, sizeof(*l));
	l->dev = dev;
	l->dma_next = NVME_LIBOS_DMA_VA;
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
	};
	return 0;
}

/* ops.wait in interrupt mode.  Order matters: the line is acknowledged at the start of the
 * next wait, after the driver reaped the completions the last interrupt announced (a level
 * INTx stays asserted while a completion queue holds unread entries, so acknowledging first
 * would only fire again at once).  The notification word is sticky: an interrupt that came
 * between the driver's empty poll and this call is not lost, notify_wait returns at once.
 *
 * Deadline: the ABI has no notification wait with a timeout, so a wait shorter than
 * NVME_LIBOS_SPIN_NS (CSTS.RDY) returns at once, and a longer one blocks until the next
 * interrupt: a controller that never answers an I/O stalls the caller here (see
 * docs/storage.md, "Interrupt mode"). */
static void
irq_wait(void *ctx, uint64_t deadline_ns)
{
	struct nvme_libos *l = ctx;
	uint64_t word, t;

	l->irq.waits++;
	if (l->owed && sys_irq_ack(l->dev) == 0)
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
	if (sys_notify_wait(l->nslot, &word) == 0) {
		l->irq.signals++;
		l->irq.blocks++;
		l->owed = true;
	}
}

int
nvme_libos_irq_bind(struct nvme_libos *l, uint64_t nslot, uint64_t bits, struct nvme_ops *ops)
{
	long r = sys_irq_bind(l->dev, nslot, bits);

	if (r < 0)
		return (int)r;
	l->nslot = nslot;
	l->nbits = bits;
	l->bound = true;
	l->owed = false;
	l->irq = (struct nvme_libos_irq_stats){ 0 };
	ops->wait = irq_wait;
	ops->intr = true;
	return 0;
}

void
nvme_libos_irq_unbind(struct nvme_libos *l, struct nvme_ops *ops)
{
	if (l->bound)
		(void)sys_irq_unbind(l->dev);
	l->bound = l->owed = false;
	ops->wait = NULL;
	ops->intr = false;
}

void
nvme_libos_close(struct nvme_libos *l)
{
	if (l->bound)
		(void)sys_irq_unbind(l->dev);
	l->bound = false;
	for (unsigned i = 0; i < NVME_LIBOS_DMA_MAX; i++) {
		if (l->pages[i].slot == 0)
			continue;
		(void)sys_unmap(ABI_SLOT_SELF, l->pages[i].va);
		frame_put(l->pages[i].slot);
		l->pages[i].slot = 0;
	}
	if (l->window != 0) {
		(void)sys_cap_delete(l->window); /* unmaps BAR0 */
		slot_free(l->window);
		l->window = 0;
	}
}
