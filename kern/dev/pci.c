/* PCI enumeration: every function reachable from bus 0, through PCI-to-PCI bridges by
 * their secondary bus numbers, with its IDs, class, BARs (sized) and the interrupt
 * capabilities a driver needs (MSI, MSI-X) plus PCI Express's.  The table it fills is what
 * the monitor's lspci prints and what the device capabilities (kern/env/sys_dev.c) name.
 * Spec references: PCI Local Bus 3.0 (header 6.1, BARs 6.2.5.1, capabilities 6.7, MSI 6.8),
 * PCI-to-PCI Bridge 1.2 (3.2.5.3 secondary bus), PCIe Base 4.0 (7.2.2 ECAM, 7.5.3). */
#include <stddef.h>

#include "acpi.h"
#include "console.h"
#include "pci.h"

#define MAX_BRIDGE_DEPTH 32 /* buses nest no deeper on anything real; guards a loop */
#define MAX_CAPS         48 /* (256 - 64) / 4: a longer list is a loop */

struct pci_dev pci_devs[PCI_MAX_DEVS];
unsigned pci_ndevs;
static uint8_t bus_seen[256 / 8];
static unsigned dropped;

static uint32_t
cfg(const struct pci_dev *d, unsigned off, unsigned size)
{
	return pci_cfg_read(d->bus, d->dev, d->fn, off, size);
}

/* Sizes one BAR: write all ones, read back which address bits stick, restore.  The caller
 * has turned decoding off, so the all-ones address never claims a bus cycle (6.2.5.1). */
static uint32_t
bar_probe(const struct pci_dev *d, unsigned off, uint32_t *mask)
{
	uint32_t orig = cfg(d, off, 4);

	pci_cfg_write(d->bus, d->dev, d->fn, off, 4, 0xffffffffu);
	*mask = cfg(d, off, 4);
	pci_cfg_write(d->bus, d->dev, d->fn, off, 4, orig);
	return orig;
}

/* BAR i (and i + 1 for the upper half of a 64-bit one); returns how many it used. */
static unsigned
bar_read(struct pci_dev *d, unsigned i)
{
	struct pci_bar *b = &d->bars[i];
	unsigned off = PCI_BAR0 + 4 * i;
	uint32_t mask, hi_mask = 0xffffffffu, hi = 0;
	uint32_t lo = bar_probe(d, off, &mask);
	uint64_t size;

	if (mask == 0 || mask == 0xffffffffu)
		return 1; /* unimplemented, or nothing answered */
	if (lo & 1) {
		b->type = PCI_BAR_IO;
		b->base = lo & ~3u;
		size = (~(uint64_t)(mask & ~3u) + 1) & 0xffff;
	} else {
		b->prefetch = (lo & 8) != 0;
		b->type = ((lo >> 1) & 3) == 2 ? PCI_BAR_MEM64 : PCI_BAR_MEM32;
		if (b->type == PCI_BAR_MEM64 && i + 1 < PCI_NBARS)
			hi = bar_probe(d, off + 4, &hi_mask);
		else
			b->type = PCI_BAR_MEM32; /* a 64-bit BAR in the last slot: broken, use 32 */
		b->base = ((uint64_t)hi << 32 | lo) & ~0xfull;
		size = ~((uint64_t)hi_mask << 32 | (mask & ~0xfu)) + 1;
		if (b->type == PCI_BAR_MEM32)
			size &= 0xffffffffu;
	}
	b->size = size;
	return b->type == PCI_BAR_MEM64 ? 2 : 1;
}

static void
bars_read(struct pci_dev *d)
{
	unsigned n = d->header == 0 ? 6 : d->header == 1 ? 2 : 0;
	uint16_t cmd = (uint16_t)cfg(d, PCI_COMMAND, 2);

	pci_cfg_write(d->bus, d->dev, d->fn, PCI_COMMAND, 2, cmd & ~(PCI_CMD_IO | PCI_CMD_MEM));
	for (unsigned i = 0; i < n;)
		i += bar_read(d, i);
	pci_cfg_write(d->bus, d->dev, d->fn, PCI_COMMAND, 2, cmd);
}

/* The MSI structure's length from its Message Control (6.8.1): 64-bit address (bit 7) adds
 * 4 bytes, per-vector masking (bit 8) adds the mask and pending registers. */
static uint8_t
msi_len(const struct pci_dev *d, unsigned off)
{
	uint16_t ctl = (uint16_t)cfg(d, off + 2, 2);
	unsigned len = (ctl & (1u << 7)) ? 14 : 10;

	if (ctl & (1u << 8))
		len = (ctl & (1u << 7)) ? 24 : 20;
	return (uint8_t)len;
}

static void
caps_read(struct pci_dev *d)
{
	unsigned off, n = 0;

	if (!(cfg(d, PCI_STATUS, 2) & PCI_STATUS_CAPS))
		return;
	for (off = cfg(d, PCI_CAP_PTR, 1) & 0xfc; off >= 0x40 && n < MAX_CAPS; n++) {
		unsigned id = cfg(d, off, 1);

		if (id == PCI_CAP_MSI && d->msi == 0 && off + msi_len(d, off) <= 256) {
			d->msi = (uint8_t)off;
			d->msi_len = msi_len(d, off);
		} else if (id == PCI_CAP_MSIX && d->msix == 0 && off + 12 <= 256) {
			d->msix = (uint8_t)off;
		} else if (id == PCI_CAP_PCIE && d->pcie == 0) {
			d->pcie = (uint8_t)off;
		}
		off = cfg(d, off + 1, 1) & 0xfc;
	}
}

static void scan_bus(unsigned bus, unsigned depth);

static void
add_function(unsigned bus, unsigned dev, unsigned fn, unsigned depth)
{
	struct pci_dev *d;
	unsigned sec;

	if (pci_ndevs == PCI_MAX_DEVS) {
		dropped++;
		return;
	}
	d = &pci_devs[pci_ndevs++];
	*d = (struct pci_dev){ .bus = (uint8_t)bus, .dev = (uint8_t)dev, .fn = (uint8_t)fn };
	d->vendor = (uint16_t)cfg(d, PCI_VENDOR, 2);
	d->device = (uint16_t)cfg(d, PCI_DEVICE, 2);
	d->revision = (uint8_t)cfg(d, PCI_REVISION, 1);
	d->progif = (uint8_t)cfg(d, PCI_PROGIF, 1);
	d->subclass = (uint8_t)cfg(d, PCI_SUBCLASS, 1);
	d->class = (uint8_t)cfg(d, PCI_CLASS, 1);
	d->header = (uint8_t)(cfg(d, PCI_HEADER_TYPE, 1) & 0x7f);
	d->intpin = (uint8_t)cfg(d, PCI_INT_PIN, 1);
	d->cfg_size = pci_cfg_ecam() ? 4096 : 256;
	bars_read(d);
	caps_read(d);
	if (d->header != 1)
		return;
	sec = cfg(d, PCI_SECONDARY, 1);
	if (sec > bus) /* a bridge not yet numbered (0) or pointing back is left alone */
		scan_bus(sec, depth + 1);
}

static void
scan_bus(unsigned bus, unsigned depth)
{
	if (depth > MAX_BRIDGE_DEPTH || !pci_cfg_bus_ok(bus) ||
	    (bus_seen[bus / 8] >> (bus % 8)) & 1)
		return;
	bus_seen[bus / 8] |= (uint8_t)(1u << (bus % 8));
	for (unsigned dev = 0; dev < 32; dev++) {
		unsigned nfn;

		if (pci_cfg_read(bus, dev, 0, PCI_VENDOR, 2) == 0xffff)
			continue;
		nfn = (pci_cfg_read(bus, dev, 0, PCI_HEADER_TYPE, 1) & 0x80) ? 8 : 1;
		for (unsigned fn = 0; fn < nfn; fn++)
			if (pci_cfg_read(bus, dev, fn, PCI_VENDOR, 2) != 0xffff)
				add_function(bus, dev, fn, depth);
	}
}

void
pci_init(void)
{
	if (acpi.mcfg.base != 0)
		pci_cfg_setup(acpi.mcfg.base, acpi.mcfg.bus_start, acpi.mcfg.bus_end);
	else
		pci_cfg_setup(0, 0, 0);
	scan_bus(pci_cfg_ecam() ? acpi.mcfg.bus_start : 0, 0);
	printf("pci: %u functions through ", pci_ndevs);
	if (pci_cfg_ecam())
		printf("ECAM at 0x%lx (MCFG, buses %u-%u)", acpi.mcfg.base, acpi.mcfg.bus_start,
		       acpi.mcfg.bus_end);
	else
		printf("ports 0xcf8/0xcfc");
	if (dropped)
		printf(", %u more ignored (PCI_MAX_DEVS)", dropped);
	printf("\n");
}

const struct pci_dev *
pci_find_class(uint8_t class, uint8_t subclass, unsigned progif, unsigned nth)
{
	for (unsigned i = 0; i < pci_ndevs; i++) {
		const struct pci_dev *d = &pci_devs[i];

		if (d->class == class && d->subclass == subclass &&
		    (progif > 0xff || d->progif == progif) && nth-- == 0)
			return d;
	}
	return NULL;
}

static const char *const bar_names[] = { "none", "io", "mem32", "mem64" };

/* "00:04.0 1b36:0010 class 01/08/02 irq intx,msix pcie", then one line per BAR. */
void
pci_print_dev(const struct pci_dev *d)
{
	const char *irq[3] = { d->intpin ? "intx" : NULL, d->msi ? "msi" : NULL,
		               d->msix ? "msix" : NULL };
	bool any = false;

	printf("%02x:%02x.%u %04x:%04x class %02x/%02x/%02x irq ", d->bus, d->dev, d->fn, d->vendor,
	       d->device, d->class, d->subclass, d->progif);
	for (unsigned i = 0; i < 3; i++)
		if (irq[i] != NULL) {
			printf("%s%s", any ? "," : "", irq[i]);
			any = true;
		}
	printf("%s%s\n", any ? "" : "none", d->pcie ? " pcie" : "");
	for (unsigned i = 0; i < PCI_NBARS; i++) {
		const struct pci_bar *b = &d->bars[i];

		if (b->type != PCI_BAR_NONE)
			printf("  bar%u %s%s base 0x%lx size 0x%lx\n", i, bar_names[b->type],
			       b->prefetch ? " prefetch" : "", b->base, b->size);
	}
}

void
pci_print(void)
{
	for (unsigned i = 0; i < pci_ndevs; i++)
		pci_print_dev(&pci_devs[i]);
}
