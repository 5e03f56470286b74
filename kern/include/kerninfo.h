/* Where the kernel image lives: the layout constants and the symbols kern/kernel.ld defines.
 * Kernel-private; user programs take addresses from the ABI (abi/memlayout.h). */
#ifndef EXOLAB_KERNINFO_H
#define EXOLAB_KERNINFO_H

/* Every kernel stack in the image (the boot stack, the IST stacks) sits right above an
 * unmapped guard page of this size (KSTACK_DEFINE in the arch's kstack.h).  The only line
 * the assembler sees. */
#define KSTACK_GUARD_SIZE 4096

#ifndef __ASSEMBLY__
#include <stdint.h>

#include "abi/memlayout.h"

/* Virtual layout (see docs/architecture.md, "Memory layout"). */
#define KERN_DIRECTMAP_BASE 0xFFFF800000000000UL /* physical 0 in the direct map */
#define KERN_LINK_BASE      0xFFFFFFFF80000000UL /* physical 0 in the kernel image mapping */
#define KERN_LOAD_PHYS      0x100000UL           /* where GRUB loads the image (1 MiB) */
#define KERN_BOOT_MAP_SIZE  0x100000000UL        /* the boot page tables map the first 4 GiB */

_Static_assert(KERN_DIRECTMAP_BASE == ABI_KERNEL_BASE,
               "the direct map starts the kernel half, as abi/memlayout.h tells user space");

/* Kernel-image virtual address <-> physical address (only for symbols of the image). */
/* Not clang-formatted: it takes `(va) -` for a cast. */
/* clang-format off */
#define KERN_IMAGE_V2P(va) ((uint64_t)(uintptr_t)(va) - KERN_LINK_BASE)
/* clang-format on */
#define KERN_IMAGE_P2V(pa) ((void *)((uint64_t)(pa) + KERN_LINK_BASE))

/* Section boundaries, all virtual.  Each *_end is one past the last byte. */
extern char kern_text_start[], kern_text_end[];
extern char kern_rodata_start[], kern_rodata_end[];
extern char kern_data_start[], kern_data_end[];
extern char kern_bss_start[], kern_bss_end[];
extern char kern_bootmem_start[], kern_bootmem_end[]; /* the boot page tables */
extern char kern_ksyms_start[];
extern char kern_end[]; /* end of the whole image, symbol table included */

/* The entry point GRUB jumps to (32-bit code, physical address). */
extern char _start[];

/* The boot CPU's kernel stack (kern/arch/x86_64/entry.S). */
extern char kern_bootstack_bottom[], kern_bootstack_top[];

/* The boot page tables' PML4 (entry.S), physical address below 4 GiB. */
extern char kern_boot_pml4[];

/* A kernel stack [bottom, top); its guard page is [bottom - KSTACK_GUARD_SIZE, bottom).  The
 * linker gathers one descriptor per stack between kern_kstack_list_start and _end, so
 * kern/mm/kvm.c can leave each guard page unmapped. */
struct kstack {
	char *bottom;
	char *top;
};

extern const struct kstack kern_kstack_list_start[], kern_kstack_list_end[];
/* The whole stack area, guard pages included. */
extern char kern_kstacks_start[], kern_kstacks_end[];
#endif /* !__ASSEMBLY__ */

/* "0.1" etc.; the compiler string is __VERSION__. */
#define KERN_VERSION "0.1"

#endif
