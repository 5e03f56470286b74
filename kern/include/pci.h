/* PCI and PCI Express devices (kern/dev/pci.c, pci_cfg.c): the kernel's table of every
 * function found at boot, and access to their configuration space.  Configuration space is
 * reached through ECAM, the memory-mapped mechanism whose base the ACPI MCFG table gives
 * (PCI Firmware Specification 3.x, 4.1.2; PCIe Base 4.0, 7.2.2), or, when there is no
 * MCFG (QEMU's i440fx `pc` machine), through the legacy ports 0xCF8/0xCFC (PCI Local Bus
 * 3.0, 3.2.2.3.2), which reach only the first 256 bytes of each function.
 *
 * Drivers find their device by class (NVMe: 01/08/02, Ethernet: 02/00), never by bus
 * address: firmware numbers buses as it likes. */
#ifndef EXOLAB_PCI_H
#define EXOLAB_PCI_H

#include <stdbool.h>
#include <stdint.h>

#define PCI_MAX_DEVS 64 /* functions kept; more are reported and ignored */
#define PCI_NBARS    6

/* Type 0 header registers (PCI Local Bus 3.0, 6.1, Figure 6-1) and bridge (type 1) ones
 * (PCI-to-PCI Bridge 1.2, 3.2). */
#define PCI_VENDOR       0x00
#define PCI_DEVICE       0x02
#define PCI_COMMAND      0x04
#define PCI_STATUS       0x06
#define PCI_REVISION     0x08
#define PCI_PROGIF       0x09
#define PCI_SUBCLASS     0x0a
#define PCI_CLASS        0x0b
#define PCI_HEADER_TYPE  0x0e
#define PCI_BAR0         0x10
#define PCI_SECONDARY    0x19 /* type 1: secondary bus number */
#define PCI_CAP_PTR      0x34
#define PCI_INT_PIN      0x3d
#define PCI_CMD_IO       (1u << 0)
#define PCI_CMD_MEM      (1u << 1)
#define PCI_CMD_MASTER   (1u << 2)
#define PCI_CMD_INTX_OFF (1u << 10)
#define PCI_STATUS_CAPS  (1u << 4)

/* Capability IDs (PCI Code and ID Assignment 1.11, 2). */
#define PCI_CAP_MSI  0x05
#define PCI_CAP_PCIE 0x10
#define PCI_CAP_MSIX 0x11

enum pci_bar_type { PCI_BAR_NONE = 0, PCI_BAR_IO, PCI_BAR_MEM32, PCI_BAR_MEM64 };

struct pci_bar {
	uint8_t type; /* enum pci_bar_type; the upper half of a 64-bit BAR is NONE */
	bool prefetch;
	uint64_t base;
	uint64_t size;
};

struct pci_dev {
	uint8_t bus, dev, fn;
	uint16_t vendor, device;
	uint8_t class, subclass, progif, revision;
	uint8_t header;          /* header type without the multi-function bit */
	uint8_t intpin;          /* INTA#..INTD# = 1..4, 0: none (6.2.4) */
	uint16_t cfg_size;       /* bytes of configuration space: 4096 (ECAM) or 256 (legacy) */
	uint8_t msi, msix, pcie; /* offsets of those capabilities, 0 when absent */
	uint8_t msi_len;         /* bytes of the MSI capability structure */
	struct pci_bar bars[PCI_NBARS];
};

extern struct pci_dev pci_devs[PCI_MAX_DEVS];
extern unsigned pci_ndevs;

/* Chooses the access mechanism, walks every bus reachable from bus 0 through bridges, and
 * fills pci_devs.  Prints one summary line; never panics on what the hardware reports. */
void pci_init(void);

/* pci_cfg.c.  pci_cfg_setup: ECAM for buses [bus_start, bus_end] at `base` when base != 0,
 * else the legacy ports.  Reads of a function that is absent return all ones.  `off` must
 * be aligned to `size` (1, 2 or 4) and below the mechanism's space: the callers check. */
void pci_cfg_setup(uint64_t base, uint8_t bus_start, uint8_t bus_end);
bool pci_cfg_ecam(void);
bool pci_cfg_bus_ok(unsigned bus);
uint32_t pci_cfg_read(unsigned bus, unsigned dev, unsigned fn, unsigned off, unsigned size);
void pci_cfg_write(unsigned bus, unsigned dev, unsigned fn, unsigned off, unsigned size,
                   uint32_t val);

/* The nth (0, 1, ...) function of class/subclass/progif (progif 0xffff: any), or NULL. */
const struct pci_dev *pci_find_class(uint8_t class, uint8_t subclass, unsigned progif,
                                     unsigned nth);

/* One device's lspci lines (monitor and user/lspci share the format, docs/syscalls.md). */
void pci_print_dev(const struct pci_dev *d);
void pci_print(void);

#endif
