/* The device ABI (issue 12 items 1-2): what dev_info reports about a PCI function, and the
 * limits of the device calls (abi/syscall.h 40-44, docs/syscalls.md "Devices").
 *
 * At boot the kernel makes one CAP_DEVICE capability per PCI function it found and gives
 * them all to init, in slots abi_envinfo.dev_slot .. dev_slot + dev_count - 1 (right after
 * the ramdisk's region, ABI_SLOT_INITRD + 1), in the kernel's enumeration order.
 * Rights of a device capability: READ config reads and dev_info; WRITE config writes (the
 * command register, and MSI's and MSI-X's Message Control with the enable bit clear); MAP BAR
 * windows; PHYS a window's physical base in cap_identify; GRANT and DERIVE as for any capability.
 * A BAR window (CAP_DEVMEM, which is CAP_REGION: a region mapped by region_map, made by dev_bar) is
 * a child of the device capability: revoking the device capability deletes every window made from
 * it, and when a window's last capability goes, every mapping made through it is removed (a later
 * access faults). */
#ifndef EXOLAB_ABI_DEV_H
#define EXOLAB_ABI_DEV_H

#include <stdint.h>

#define ABI_DEV_NBARS 6

/* abi_dev_info.bars[i].type */
#define ABI_BAR_NONE  0 /* unimplemented, or the upper half of a 64-bit BAR */
#define ABI_BAR_IO    1
#define ABI_BAR_MEM32 2
#define ABI_BAR_MEM64 3

#define ABI_BAR_PREFETCH 1u /* abi_dev_info.bars[i].flags */

/* The largest BAR dev_bar makes a window of (bytes); larger ones are E_RANGE. */
#define ABI_DEV_BAR_MAX (16ull << 20)

/* How many region_map mappings one window records (each removed when it goes). */
#define ABI_DEV_MAPS_MAX 4

/* dma_alloc (syscall 50, kern/env/sys_dma.c): at most this many pages (256 KiB) in one
 * physically contiguous region; npages is rounded up to a power of two and charged so. */
#define ABI_DMA_MAX_PAGES 64
/* dma_alloc's cache type for every mapping of the region (SDM Vol. 3A 11.3). */
#define ABI_DMA_WB 0 /* write-back: descriptor rings, buffers (DMA snoops the caches) */
#define ABI_DMA_UC 1 /* uncached */
#define ABI_DMA_WC 2 /* write-combining */

/* irq_bind_msi, irq_ack_msi, irq_unbind_msi (syscalls 51-53): `which` names one vector of
 * the device, ABI_IRQ_WHICH(ABI_IRQ_MSI, 0) or ABI_IRQ_WHICH(ABI_IRQ_MSIX, i) with i below
 * the MSI-X table size (Message Control bits 0-10, plus 1). */
#define ABI_IRQ_MSI         1
#define ABI_IRQ_MSIX        2
#define ABI_IRQ_KIND_SHIFT  16
#define ABI_IRQ_INDEX_MASK  0xffffull
#define ABI_IRQ_WHICH(k, i) ((uint64_t)(k) << ABI_IRQ_KIND_SHIFT | (uint64_t)(i))

struct abi_dev_info {
	uint8_t bus, dev, fn;
	uint8_t class, subclass, progif, revision;
	uint8_t header; /* header type, multi-function bit cleared */
	uint16_t vendor, device;
	uint16_t cfg_size;       /* bytes dev_cfg_read reaches: 4096 (ECAM) or 256 (legacy ports) */
	uint8_t msi, msix, pcie; /* capability offsets in configuration space, 0: absent */
	uint8_t msi_len;         /* bytes of the MSI capability */
	uint8_t intpin;          /* 1..4 = INTA#..INTD#, 0: no legacy interrupt */
	uint8_t pad[3];
	struct {
		uint32_t type; /* ABI_BAR_* */
		uint32_t flags;
		uint64_t base;
		uint64_t size;
	} bars[ABI_DEV_NBARS];
};

#endif
