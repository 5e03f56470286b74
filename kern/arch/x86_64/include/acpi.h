/* The ACPI facts the kernel needs, read once at boot from the firmware's tables (acpi.c):
 * the CPUs and IOAPICs of the MADT, the power-management timer of the FADT and the
 * PCIe configuration window of the MCFG.  Everything
 * here has been checked (signatures, checksums, lengths, addresses inside the direct map);
 * a table that fails a check is reported and left out, never trusted. */
#ifndef EXOLAB_ACPI_H
#define EXOLAB_ACPI_H

#include <stdbool.h>
#include <stdint.h>

#include "bootinfo.h"

#define ACPI_MAX_CPUS    64 /* SMP_MAX_CPUS: further MADT entries are reported and ignored */
#define ACPI_MAX_IOAPICS 8
#define ACPI_MAX_TABLES  48 /* tables listed for the hardware report; more are left out */

/* A processor of the MADT (ACPI 6.5 5.2.12.2 and 5.2.12.12). */
struct acpi_cpu {
	uint32_t apic_id; /* local APIC id (xAPIC: 0..254; x2APIC: 32 bits) */
	uint32_t uid;     /* ACPI processor UID */
	bool enabled;     /* usable now; else only "online capable" (hot-add later) */
};

/* An I/O APIC of the MADT (5.2.12.3), kept for interrupt routing (lab 5). */
struct acpi_ioapic {
	uint8_t id;
	uint32_t addr; /* physical address of its registers */
	uint32_t gsi_base;
};

/* The ACPI power-management timer (4.8.3.3): 3.579545 MHz, 24 or 32 bits wide. */
#define ACPI_PM_TIMER_HZ 3579545
struct acpi_pm_timer {
	bool present;
	bool io;       /* true: an I/O port; false: memory-mapped (direct map) */
	uint64_t addr; /* port or physical address */
	bool bits32;   /* FADT flag TMR_VAL_EXT: 32-bit counter, else 24-bit */
};

/* The ECAM window of PCI segment 0 from the MCFG (PCI Firmware 3.x, 4.1.2); base 0: none. */
struct acpi_mcfg {
	uint64_t base;
	uint8_t bus_start, bus_end;
};

struct acpi_info {
	bool valid; /* an RSDP and a root table were found */
	uint64_t lapic_addr;
	unsigned ncpus; /* entries of cpus[], enabled ones and online-capable ones */
	struct acpi_cpu cpus[ACPI_MAX_CPUS];
	unsigned nioapics;
	struct acpi_ioapic ioapics[ACPI_MAX_IOAPICS];
	struct acpi_pm_timer pm_timer;
	struct acpi_mcfg mcfg;
	uint64_t dmar; /* physical address of the checked DMAR table (VT-d 8.1), 0: none */
	/* Every table seen, for the hardware report (kern/env/sys_hwinfo.c): the root, each
	 * entry whose header and length are readable, then the FADT's DSDT and FACS; physical
	 * addresses, the headers are read again (ACPI memory is never reused, kern/mm/pmm.c). */
	unsigned ntables;
	uint64_t tables[ACPI_MAX_TABLES];
};

extern struct acpi_info acpi;

/* Reads the tables the RSDP in `bi` leads to and fills `acpi`; prints one line per table it
 * uses and one per problem.  Never panics on what the firmware wrote. */
void acpi_init(const struct bootinfo *bi);

/* The PM timer's current count (masked to its width); 0 when there is none. */
uint32_t acpi_pm_timer_read(void);

#endif
