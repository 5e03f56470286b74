/* lspci: the PCI functions this env holds device capabilities for (init gets one per
 * function: run as `init=lspci`), one line each in the monitor's lspci format
 * (kern/dev/pci.c, pci_print_dev), read through dev_info. */
#include <stdint.h>

#include "libos.h"
#include "usyscall.h"

static const char *const bar_names[] = { "none", "io", "mem32", "mem64" };

static void
print_dev(const struct abi_dev_info *d)
{
	const char *irq[3] = { d->intpin ? "intx" : 0, d->msi ? "msi" : 0, d->msix ? "msix" : 0 };
	int any = 0;

	printf("%02x:%02x.%u %04x:%04x class %02x/%02x/%02x irq ", d->bus, d->dev, d->fn, d->vendor,
	       d->device, d->class, d->subclass, d->progif);
	for (int i = 0; i < 3; i++)
		if (irq[i]) {
			printf("%s%s", any ? "," : "", irq[i]);
			any = 1;
		}
	printf("%s%s\n", any ? "" : "none", d->pcie ? " pcie" : "");
	for (int i = 0; i < ABI_DEV_NBARS; i++)
		if (d->bars[i].type != ABI_BAR_NONE && d->bars[i].type <= ABI_BAR_MEM64)
			printf("  bar%d %s%s base 0x%lx size 0x%lx\n", i,
			       bar_names[d->bars[i].type],
			       (d->bars[i].flags & ABI_BAR_PREFETCH) ? " prefetch" : "",
			       (unsigned long)d->bars[i].base, (unsigned long)d->bars[i].size);
}

int
main(int argc, char **argv)
{
	uint64_t first, n = libos_devices(&first);

	printf("lspci: %lu devices\n", (unsigned long)n);
	for (uint64_t s = first; s < first + n; s++) {
		struct abi_dev_info info;
		long r = sys_dev_info(s, &info);

		if (r < 0)
			printf("lspci: slot %lu: %s\n", (unsigned long)s, error_name((int)r));
		else
			print_dev(&info);
	}
	printf("lspci: end\n");
	return 0;
}
