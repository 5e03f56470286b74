/* PCI configuration-space access: ECAM (memory-mapped, 4 KiB per function) when the ACPI
 * MCFG table gave a base, else the legacy configuration mechanism #1 through I/O ports
 * 0xCF8 (address) and 0xCFC (data), 256 bytes per function.  kern/dev/pci.c enumerates
 * with these; the device syscalls (kern/env/sys_dev.c) read and write through them. */
#include "hal.h"
#include "kvm.h"
#include "pci.h"
#include "x86.h"

/* PCI Local Bus 3.0, 3.2.2.3.2: bit 31 enables the cycle; bus 23:16, device 15:11,
 * function 10:8, dword register 7:2. */
#define CF8_ADDR 0xcf8
#define CF8_DATA 0xcfc
#define CF8_ON   0x80000000u

static uint64_t ecam_base; /* 0: legacy ports */
static uint8_t ecam_start, ecam_end;
/* The legacy mechanism is two port accesses: they must not interleave between CPUs. */
static struct hal_spinlock cfg_lock = HAL_SPINLOCK_INIT("pci-cfg");

void
pci_cfg_setup(uint64_t base, uint8_t bus_start, uint8_t bus_end)
{
	ecam_base = base;
	ecam_start = bus_start;
	ecam_end = bus_end;
}

bool
pci_cfg_ecam(void)
{
	return ecam_base != 0;
}

/* ECAM (PCIe Base 4.0, 7.2.2, Table 7-1): bus 27:20, device 19:15, function 14:12,
 * register 11:0, from the base of the segment's bus_start.  The kernel reaches the window
 * through its direct map (which covers the first 4 GiB uncached outside RAM), so a bus is
 * usable only if its 1 MiB lies inside it. */
bool
pci_cfg_bus_ok(unsigned bus)
{
	uint64_t end;

	if (bus > 255)
		return false;
	if (ecam_base == 0)
		return true;
	if (bus < ecam_start || bus > ecam_end)
		return false;
	end = ecam_base + ((uint64_t)(bus - ecam_start + 1) << 20);
	return end <= kvm_directmap_end();
}

static volatile void *
ecam_addr(unsigned bus, unsigned dev, unsigned fn, unsigned off)
{
	uint64_t pa =
	    ecam_base + ((uint64_t)(bus - ecam_start) << 20) + (dev << 15) + (fn << 12) + off;

	return hal_phys_to_virt(pa);
}

uint32_t
pci_cfg_read(unsigned bus, unsigned dev, unsigned fn, unsigned off, unsigned size)
{
	uint32_t v;

	if (!pci_cfg_bus_ok(bus))
		return 0xffffffffu;
	if (ecam_base != 0) {
		volatile void *a = ecam_addr(bus, dev, fn, off);

		return size == 1   ? hal_mmio_read8(a)
		       : size == 2 ? hal_mmio_read16(a)
		                   : hal_mmio_read32(a);
	}
	hal_spin_lock(&cfg_lock);
	outl(CF8_ADDR, CF8_ON | bus << 16 | dev << 11 | fn << 8 | (off & 0xfc));
	v = inl(CF8_DATA) >> (8 * (off & 3));
	hal_spin_unlock(&cfg_lock);
	return size == 1 ? (v & 0xff) : size == 2 ? (v & 0xffff) : v;
}

void
pci_cfg_write(unsigned bus, unsigned dev, unsigned fn, unsigned off, unsigned size, uint32_t val)
{
	if (!pci_cfg_bus_ok(bus))
		return;
	if (ecam_base != 0) {
		volatile void *a = ecam_addr(bus, dev, fn, off);

		if (size == 1)
			hal_mmio_write8(a, (uint8_t)val);
		else if (size == 2)
			hal_mmio_write16(a, (uint16_t)val);
		else
			hal_mmio_write32(a, val);
		return;
	}
	hal_spin_lock(&cfg_lock);
	outl(CF8_ADDR, CF8_ON | bus << 16 | dev << 11 | fn << 8 | (off & 0xfc));
	if (size == 1)
		outb((uint16_t)(CF8_DATA + (off & 3)), (uint8_t)val);
	else if (size == 2)
		outw((uint16_t)(CF8_DATA + (off & 2)), (uint16_t)val);
	else
		outl(CF8_DATA, val);
	hal_spin_unlock(&cfg_lock);
}
