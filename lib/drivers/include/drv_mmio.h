/* The drivers' register accessors (lib/drivers): one MMIO access through the driver's ops
 * table (struct nvme_ops, struct net_ops: `o` points at one).  In a hosted build (exosim and
 * the host unit tests, where sim/hal carries the access to a device model) each access first
 * records the driver's source line, so that a model's protocol error can name the line that
 * made it (sim/hal/mmio.c, drv_mmio_src).  The kernel's LibOS build is freestanding: there
 * DRV_MMIO_AT() is nothing and an access compiles to the bare indirect call. */
#ifndef EXOLAB_DRV_MMIO_H
#define EXOLAB_DRV_MMIO_H

#if __STDC_HOSTED__
void drv_mmio_src(const char *file, int line);
#define DRV_MMIO_AT() drv_mmio_src(__FILE__, __LINE__)
#else
#define DRV_MMIO_AT() ((void)0)
#endif

#define DRV_RD8(o, off)     (DRV_MMIO_AT(), (o)->read8((o)->ctx, (off)))
#define DRV_RD16(o, off)    (DRV_MMIO_AT(), (o)->read16((o)->ctx, (off)))
#define DRV_RD32(o, off)    (DRV_MMIO_AT(), (o)->read32((o)->ctx, (off)))
#define DRV_RD64(o, off)    (DRV_MMIO_AT(), (o)->read64((o)->ctx, (off)))
#define DRV_WR8(o, off, v)  (DRV_MMIO_AT(), (o)->write8((o)->ctx, (off), (v)))
#define DRV_WR16(o, off, v) (DRV_MMIO_AT(), (o)->write16((o)->ctx, (off), (v)))
#define DRV_WR32(o, off, v) (DRV_MMIO_AT(), (o)->write32((o)->ctx, (off), (v)))
#define DRV_WR64(o, off, v) (DRV_MMIO_AT(), (o)->write64((o)->ctx, (off), (v)))

#endif
