/* The network drivers' ops table in the LibOS (lib/user/include/net_libos.h), for every NIC
 * driver of lib/drivers/net: the driver's BAR through a device capability's window mapped
 * uncached by region_map, DMA pages from frame_alloc/frame_phys one frame at a time (a ring
 * of up to 256 16-byte descriptors and two packet buffers each fit a page), time from the
 * TSC, and in interrupt mode a wait on the notification the NIC's INTx is bound to.  The
 * kernel checks rights only; what the driver does to the NIC is ordinary user code. */
#include "abi/dev.h"
#include "libos.h"
#include "net_libos.h"
#include "usyscall.h"
#include "xstring.h"

#define PAGE         4096ull
#define FRAME_RIGHTS (CAP_R_READ | CAP_R_WRITE | CAP_R_MAP | CAP_R_PHYS)
/* PCI Local Bus 3.0 §6.2.2: command register bits 1 Memory Space, 2 Bus Master, 10
 * Interrupt Disable (INTx). */
#define PCI_CMD       4
#define PCI_CMD_MEM   0x2
#define PCI_CMD_BM    0x4
#define PCI_CMD_INTXD 0x400
#define PCI_CLASS_NET 2
#define PCI_SUB_ETH   0

static volatile uint8_t *
reg(void *ctx, uint32_t off)
{
	return ((struct net_libos *)ctx)->bar + off;
}

static uint8_t
ops_read8(void *ctx, uint32_t off)
{
	return *(volatile uint8_t *)reg(ctx, off);
}

static uint16_t
ops_read16(void *ctx, uint32_t off)
{
	return *(volatile uint16_t *)reg(ctx, off);
}

static uint32_t
ops_read32(void *ctx, uint32_t off)
{
	return *(volatile uint32_t *)reg(ctx, off);
}

static void
ops_write8(void *ctx, uint32_t off, uint8_t val)
{
	*(volatile uint8_t *)reg(ctx, off) = val;
}

static void
ops_write16(void *ctx, uint32_t off, uint16_t val)
{
	*(volatile uint16_t *)reg(ctx, off) = val;
}

static void
ops_write32(void *ctx, uint32_t off, uint32_t val)
{
	*(volatile uint32_t *)reg(ctx, off) = val;
}

static uint64_t
ops_now_ns(void *ctx)
{
	(void)ctx;
	return rdtsc() / NET_LIBOS_TSC_PER_NS;
}

static struct net_libos_page *
page_entry(struct net_libos *l, uint64_t va)
{
	for (unsigned i = 0; i < NET_LIBOS_DMA_MAX; i++)
		if (l->pages[i].slot != 0 && l->pages[i].va == va)
			return &l->pages[i];
	return NULL;
}

static void
page_put(struct net_libos_page *p)
{
	(void)sys_unmap(ABI_SLOT_SELF, p->va);
	(void)sys_cap_delete(p->slot);
	slot_free(p->slot);
	p->slot = 0;
}

static void
ops_dma_free(void *ctx, struct net_dma *dma)
{
	struct net_libos_page *p = page_entry(ctx, (uint64_t)dma->va);

	if (p != NULL)
		page_put(p);
	dma->va = NULL;
}

/* One zeroed frame (frame_alloc zeroes), mapped at the next DMA address; one page at most. */
static int
ops_dma_alloc(void *ctx, size_t len, struct net_dma *out)
{
	struct net_libos *l = ctx;
	struct net_libos_page *p = NULL;
	long s, pa, r;

	if (len == 0 || len > PAGE)
		return E_INVAL;
	for (unsigned i = 0; p == NULL && i < NET_LIBOS_DMA_MAX; i++)
		if (l->pages[i].slot == 0)
			p = &l->pages[i];
	if (p == NULL)
		return E_NOMEM;
	if ((s = slot_alloc()) < 0)
		return (int)s;
	if ((pa = sys_frame_alloc(ABI_SLOT_UNTYPED, (uint64_t)s, FRAME_RIGHTS)) < 0 ||
	    (pa = sys_frame_phys((uint64_t)s)) < 0 ||
	    (r = sys_map(ABI_SLOT_SELF, (uint64_t)s, l->dma_next, ABI_PERM_R | ABI_PERM_W)) < 0) {
		(void)sys_cap_delete((uint64_t)s);
		slot_free((uint64_t)s);
		return (int)(pa < 0 ? pa : r);
	}
	*p = (struct net_libos_page){ l->dma_next, (uint64_t)s };
	*out = (struct net_dma){ (void *)l->dma_next, (uint64_t)pa, PAGE };
	l->dma_next += PAGE;
	return 0;
}

/* Interrupt mode: waits for the NIC's interrupt, then clears its causes at the device (the
 * line deasserts) before the kernel unmasks it (irq_ack), so one interrupt is one wake-up.
 * With no interrupt by the deadline it returns then (notify_wait_until). */
static void
ops_wait(void *ctx, uint64_t deadline_ns)
{
	struct net_libos *l = ctx;
	uint64_t word;

	if (l->notif == 0 || ops_now_ns(ctx) >= deadline_ns)
		return;
	if (sys_notify_wait_until(l->notif, libos_tsc_deadline(deadline_ns, NET_LIBOS_TSC_PER_NS),
	                          &word) < 0)
		return;
	(void)l->netdev->drv->irq_ack(l->netdev);
	(void)sys_irq_ack(l->dev);
	l->irqs++;
}

uint64_t
net_libos_find(unsigned nth, const struct net_driver **drv, struct abi_dev_info *info)
{
	uint64_t first, count = libos_devices(&first);

	for (uint64_t s = first; s < first + count; s++) {
		if (sys_dev_info(s, info) < 0 || info->class != PCI_CLASS_NET ||
		    info->subclass != PCI_SUB_ETH)
			continue;
		if ((*drv = net_driver_find(info->vendor, info->device)) != NULL && nth-- == 0)
			return s;
	}
	return 0;
}

static int
map_bar(struct net_libos *l, const struct net_driver *drv, uint64_t va)
{
	struct abi_dev_info info;
	long s, r, cmd;

	if ((r = sys_dev_info(l->dev, &info)) < 0)
		return (int)r;
	if (drv->bar >= ABI_DEV_NBARS || (info.bars[drv->bar].type != ABI_BAR_MEM32 &&
	                                  info.bars[drv->bar].type != ABI_BAR_MEM64))
		return E_INVAL;
	if ((cmd = sys_dev_cfg_read(l->dev, PCI_CMD, 2)) < 0)
		return (int)cmd;
	/* Bus mastering before the first DMA: without it the NIC's descriptor reads and frame
	 * writes never reach memory. */
	cmd = (cmd | PCI_CMD_MEM | PCI_CMD_BM) & ~PCI_CMD_INTXD;
	if ((r = sys_dev_cfg_write(l->dev, PCI_CMD, 2, (uint64_t)cmd)) < 0)
		return (int)r;
	if ((s = slot_alloc()) < 0)
		return (int)s;
	if ((r = sys_dev_bar(l->dev, drv->bar, (uint64_t)s, CAP_R_READ | CAP_R_WRITE | CAP_R_MAP)) <
	        0 ||
	    (r = sys_dev_bar_map((uint64_t)s, ABI_SLOT_SELF, va, ABI_PERM_R | ABI_PERM_W)) < 0) {
		(void)sys_cap_delete((uint64_t)s);
		slot_free((uint64_t)s);
		return (int)r;
	}
	l->window = (uint64_t)s;
	l->bar = (volatile uint8_t *)va;
	l->bar_size = info.bars[drv->bar].size;
	return 0;
}

int
net_libos_attach(struct net_libos *l, uint64_t dev, const struct net_driver *drv, unsigned unit,
                 struct net_ops *ops)
{
	uint64_t va = NET_LIBOS_VA + unit * NET_LIBOS_UNIT_SPAN;
	int r;

	if (drv == NULL || unit >= NET_LIBOS_UNITS)
		return E_INVAL;
	memset(l, 0, sizeof(*l));
	l->dev = dev;
	l->dma_next = va + NET_LIBOS_BAR_SPAN;
	if ((r = map_bar(l, drv, va)) < 0)
		return r;
	*ops = (struct net_ops){
		.ctx = l,
		.read8 = ops_read8,
		.read16 = ops_read16,
		.read32 = ops_read32,
		.write8 = ops_write8,
		.write16 = ops_write16,
		.write32 = ops_write32,
		.dma_alloc = ops_dma_alloc,
		.dma_free = ops_dma_free,
		.now_ns = ops_now_ns,
		.wait = NULL,
	};
	return 0;
}

int
net_libos_irq(struct net_libos *l, struct net_dev *dev, bool on)
{
	long s, r;

	if (!on) {
		if (l->notif == 0)
			return E_NOENT;
		dev->drv->irq_enable(dev, false);
		(void)sys_irq_unbind(l->dev);
		(void)sys_cap_delete(l->notif);
		slot_free(l->notif);
		l->notif = 0;
		dev->ops.wait = NULL;
		return 0;
	}
	if (l->notif != 0)
		return E_BUSY;
	if ((s = slot_alloc()) < 0)
		return (int)s;
	if ((r = sys_notify_alloc(ABI_SLOT_UNTYPED, (uint64_t)s, CAP_R_ALL)) < 0 ||
	    (r = sys_irq_bind(l->dev, (uint64_t)s, NET_LIBOS_IRQ_BIT)) < 0) {
		(void)sys_cap_delete((uint64_t)s);
		slot_free((uint64_t)s);
		return (int)r;
	}
	l->notif = (uint64_t)s;
	l->netdev = dev;
	(void)dev->drv->irq_ack(dev); /* stale causes from before the binding */
	dev->ops.wait = ops_wait;
	dev->drv->irq_enable(dev, true);
	return 0;
}

void
net_libos_detach(struct net_libos *l)
{
	if (l->notif != 0) {
		(void)sys_irq_unbind(l->dev);
		(void)sys_cap_delete(l->notif);
		slot_free(l->notif);
		l->notif = 0;
	}
	for (unsigned i = 0; i < NET_LIBOS_DMA_MAX; i++)
		if (l->pages[i].slot != 0)
			page_put(&l->pages[i]);
	if (l->window != 0) {
		(void)sys_cap_delete(l->window); /* unmaps the BAR */
		slot_free(l->window);
		l->window = 0;
	}
}

/* The one-call form the network programs use (user/udpecho.c, user/ping.c): the first NIC
 * with a driver, unit 0, polled, rings of NET_LIBOS_RING. */
static struct net_libos prog_lo;

int
net_libos_open(struct net_dev *dev, struct net_pool *pool, unsigned nbufs)
{
	const struct net_driver *drv;
	struct abi_dev_info info;
	struct net_ops ops;
	uint64_t slot = net_libos_find(0, &drv, &info);
	int r;

	if (slot == 0)
		return E_NOENT;
	if ((r = net_libos_attach(&prog_lo, slot, drv, 0, &ops)) < 0)
		return r;
	if ((r = net_pool_init(pool, &ops, nbufs)) < 0) {
		net_libos_detach(&prog_lo);
		return r;
	}
	/* The receive ring holds its buffers all the time: at most half the pool, so that
	 * replies and sends always find one. */
	if ((r = net_dev_init(dev, drv, &ops, pool,
	                      nbufs / 2 < NET_LIBOS_RING ? nbufs / 2 : NET_LIBOS_RING,
	                      NET_LIBOS_RING)) < 0) {
		net_pool_fini(pool);
		net_libos_detach(&prog_lo);
	}
	return r;
}

void
net_libos_close(struct net_dev *dev, struct net_pool *pool)
{
	dev->drv->fini(dev);
	net_pool_fini(pool);
	net_libos_detach(&prog_lo);
}
