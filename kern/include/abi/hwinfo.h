/* The hardware report's kernel half: hwinfo(kind, index, buf, len) (syscall 66) copies one
 * record about what the firmware and the boot loader told the kernel, and what the kernel
 * made of it, into user memory.  user/hwinfo.c prints them all (docs/legion.md, "Hardware
 * report").  Read-only, and no capability: every fact is one the firmware hands any OS
 * (docs/syscall_notes.py says why that is safe).
 *
 * Each call fills one struct abi_hwinfo (`len` must be at least its size; the call copies
 * exactly sizeof(struct abi_hwinfo) bytes and returns that size).  Errors: E_INVAL an
 * unknown kind or a short len, E_NOENT an index past the kind's last record, E_FAULT a
 * buffer the caller cannot write.  Records of one kind are numbered from 0 with no gaps,
 * so a reader loops until E_NOENT. */
#ifndef EXOLAB_ABI_HWINFO_H
#define EXOLAB_ABI_HWINFO_H

#include <stdint.h>

/* Kinds. */
#define ABI_HW_SUMMARY 0 /* index 0 only: clocks, CPU counts, the ACPI root */
#define ABI_HW_ACPI    1 /* every ACPI table the kernel saw: root, XSDT entries, DSDT, FACS */
#define ABI_HW_CPU     2 /* the MADT's processors (enabled or online-capable) */
#define ABI_HW_IOAPIC  3 /* the MADT's I/O APICs */
#define ABI_HW_MCFG    4 /* the MCFG's ECAM windows, every segment */
#define ABI_HW_DMAR    5 /* the DMAR's remapping units (DRHD) */
#define ABI_HW_MEM                                                                                 \
	6               /* the boot loader's memory map (multiboot2; under UEFI from the           \
	                 * EFI memory map) */
#define ABI_HW_FB     7 /* index 0 only: the framebuffer the boot loader set up */
#define ABI_HW_NKINDS 8

/* summary.tsc_source: how the TSC rate was found (kern/arch/x86_64/clock.c). */
#define ABI_HW_TSC_NONE     0 /* not calibrated */
#define ABI_HW_TSC_CPUID15  1 /* CPUID 15h: crystal * EBX / EAX (exact) */
#define ABI_HW_TSC_CPUID16  2 /* CPUID 16h: the nominal base frequency */
#define ABI_HW_TSC_PM_TIMER 3 /* measured against the ACPI PM timer (50 ms) */
#define ABI_HW_TSC_GUESS    4 /* none of them: 1 GHz assumed */

/* summary.flags */
#define ABI_HW_TSC_DEADLINE 0x1u  /* the one-shot timer runs in TSC-deadline mode */
#define ABI_HW_PM_TIMER     0x2u  /* the FADT has a usable PM timer */
#define ABI_HW_PM_TIMER_IO  0x4u  /* ... an I/O port (else memory-mapped) */
#define ABI_HW_PM_TIMER_32  0x8u  /* ... 32 bits wide (else 24) */
#define ABI_HW_ACPI_XSDT    0x10u /* the root table is the XSDT (else the RSDT) */
#define ABI_HW_IOMMU_ON     0x20u /* DMA remapping is enabled (kern/dev/iommu.c) */

struct abi_hw_summary {
	uint64_t tsc_hz;     /* TSC ticks per second */
	uint64_t lapic_hz;   /* local APIC timer input clock, measured against the TSC; 0: none */
	uint64_t crystal_hz; /* core crystal (CPUID 15h ECX, or the model's known 24 MHz); 0 */
	uint32_t tsc_source; /* ABI_HW_TSC_* */
	uint32_t flags;      /* ABI_HW_* flags */
	uint64_t pm_timer_addr; /* port or physical address when ABI_HW_PM_TIMER */
	uint64_t lapic_addr;    /* the MADT's local APIC address */
	uint64_t online;        /* bit i: CPU i is running (CPU numbers, not APIC ids) */
	uint64_t rsdp;          /* physical address of the RSDP copy; 0: no ACPI */
	uint32_t cpus_online;
	uint32_t rsdp_version;          /* 1: ACPI 1.0 RSDP, 2: XSDP; 0: none */
	uint32_t counts[ABI_HW_NKINDS]; /* records of each kind (counts[ABI_HW_SUMMARY] = 1) */
};

/* An ACPI table's header (ACPI 6.5 5.2.6, Table 5.4); the FACS (5.2.10) has no OEM fields
 * (left zero) and its revision is its Version byte. */
struct abi_hw_acpi {
	char sig[4];
	char oem_id[6];
	char oem_table_id[8];
	uint8_t revision;
	uint8_t checksum_ok; /* 1: the bytes sum to 0 now (FACS: not checksummed, 0) */
	uint32_t length;
	uint32_t oem_revision;
	char creator_id[4];
	uint32_t creator_revision;
	uint64_t addr; /* physical */
};

#define ABI_HW_CPU_ENABLED        0x1u /* MADT Local APIC flags bit 0 */
#define ABI_HW_CPU_ONLINE_CAPABLE 0x2u /* listed but not enabled: may be brought up later */

struct abi_hw_cpu {
	uint32_t apic_id;
	uint32_t uid;   /* ACPI processor UID */
	uint32_t flags; /* ABI_HW_CPU_* */
	int32_t cpu;    /* the kernel's CPU number when it runs, else -1 */
};

struct abi_hw_ioapic {
	uint32_t id;
	uint32_t gsi_base;
	uint64_t addr;
};

/* PCI Firmware Specification 3.x, 4.1.2, Table 4-3. */
struct abi_hw_mcfg {
	uint64_t base; /* ECAM base */
	uint16_t segment;
	uint8_t bus_start, bus_end;
	uint32_t used; /* 1: the window the kernel uses (segment 0) */
};

/* VT-d 3.x 8.3: a DMA-remapping hardware unit definition. */
#define ABI_HW_DMAR_INCLUDE_ALL 0x1u /* DRHD flag INCLUDE_PCI_ALL */
struct abi_hw_dmar {
	uint64_t base; /* register base */
	uint16_t segment;
	uint8_t flags; /* ABI_HW_DMAR_* */
	uint8_t haw;   /* the DMAR's host address width (bits) */
	uint32_t reserved;
};

/* Types as in multiboot2 3.6.8: 1 available, 2 reserved, 3 ACPI reclaimable, 4 NVS, 5 bad. */
struct abi_hw_mem {
	uint64_t base;
	uint64_t len;
	uint32_t type;
	uint32_t reserved;
};

/* Types as in multiboot2 3.6.12: 0 indexed, 1 RGB, 2 EGA text; -1: no framebuffer. */
struct abi_hw_fb {
	uint64_t addr;
	uint32_t pitch, width, height; /* bytes per line; pixels (characters for EGA text) */
	int32_t type;
	uint8_t bpp;
	uint8_t red_pos, red_size, green_pos, green_size, blue_pos, blue_size;
	uint8_t reserved;
};

struct abi_hwinfo {
	uint32_t kind, index; /* what the call asked for */
	union {
		struct abi_hw_summary summary;
		struct abi_hw_acpi acpi;
		struct abi_hw_cpu cpu;
		struct abi_hw_ioapic ioapic;
		struct abi_hw_mcfg mcfg;
		struct abi_hw_dmar dmar;
		struct abi_hw_mem mem;
		struct abi_hw_fb fb;
		uint8_t pad[120];
	} u;
};

#endif
