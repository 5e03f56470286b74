/* The x86-64 4-level paging entry format (Intel SDM Vol. 3A 4.5, "4-level paging", Tables
 * 4-14 to 4-20): a fact of the architecture shared by kern/mm/pt.c, the boot page tables
 * and the software MMU (sim/mmu). */
#ifndef EXOLAB_PTE_H
#define EXOLAB_PTE_H

#include <stdint.h>

typedef uint64_t pte_t;

/* The paging-structure levels, named and numbered as in Intel SDM Vol. 3A 4.5 ("4-Level
 * Paging"): CR3 points at a PML4, whose entries point at PDPTs; a PDPTE maps a 1 GiB page or
 * points at a PD; a PDE maps a 2 MiB page or points at a PT; a PTE maps a 4 KiB page.  A
 * level's number n makes PT_LEVEL_SHIFT(n) the shift of the address bits it translates. */
enum pt_level {
	PT_LEVEL_PT = 1,
	PT_LEVEL_PD = 2,
	PT_LEVEL_PDPT = 3,
	PT_LEVEL_PML4 = 4,
};

#define PT_LEVELS         PT_LEVEL_PML4
#define PT_ENTRIES        512
#define PT_LEVEL_SHIFT(l) (12 + 9 * ((l)-1))
#define PT_LEVEL_SIZE(l)  (1ull << PT_LEVEL_SHIFT(l)) /* bytes one entry of level l covers */
#define PTE_INDEX(va, l)  (((uint64_t)(va) >> PT_LEVEL_SHIFT(l)) & (PT_ENTRIES - 1))

#define PTE_P         (1ull << 0) /* present */
#define PTE_W         (1ull << 1) /* R/W: writes allowed */
#define PTE_U         (1ull << 2) /* U/S: user-mode accesses allowed */
#define PTE_PWT       (1ull << 3) /* page-level write-through (PAT index bit 0) */
#define PTE_PCD       (1ull << 4) /* page-level cache disable (PAT index bit 1) */
#define PTE_A         (1ull << 5) /* accessed, set by the processor */
#define PTE_D         (1ull << 6) /* dirty, set by the processor (entries that map a page) */
#define PTE_PS        (1ull << 7) /* in a PDPTE or PDE: a 1 GiB or 2 MiB page; reserved in a PML4E */
#define PTE_PAT       (1ull << 7)  /* in a PTE: PAT index bit 2 */
#define PTE_G         (1ull << 8)  /* global (entries that map a page, with CR4.PGE) */
#define PTE_PAT_LARGE (1ull << 12) /* in a PDPTE or PDE with PS: PAT index bit 2 */
#define PTE_NX        (1ull << 63) /* execute-disable, with IA32_EFER.NXE = 1 */
#define PTE_SOFT_MASK (7ull << 9)  /* bits 11:9 are ignored by the processor: free for software */

/* Physical address fields: bits 51:12 of a table pointer or 4 KiB page, 51:21 of a 2 MiB
 * page, 51:30 of a 1 GiB page. */
#define PTE_ADDR_MASK 0x000ffffffffff000ull
#define PTE_ADDR_2M   0x000fffffffe00000ull
#define PTE_ADDR_1G   0x000fffffc0000000ull

/* Bits that must be 0 in a present large-page entry whatever MAXPHYADDR is: 20:13 of a
 * 2 MiB PDE, 29:13 of a 1 GiB PDPTE (SDM Vol. 3A 4.5). */
#define PTE_RSVD_2M 0x00000000001fe000ull
#define PTE_RSVD_1G 0x000000003fffe000ull

/* Canonical addresses (48-bit linear addresses, SDM Vol. 1 3.3.7.1): the lower half ends
 * at VA_USER_END, the upper half starts at VA_KERNEL_START. */
#define VA_USER_END     0x0000800000000000ull
#define VA_KERNEL_START 0xffff800000000000ull

/* Memory types (SDM Vol. 3A 11.12.3 and Table 11-10).  A page's type is the IA32_PAT entry
 * selected by PAT:PCD:PWT.  The kernel writes PTE_PAT_MSR_VALUE to IA32_PAT (MSR 0x277): the
 * power-on types of Table 11-12 (WB, WT, UC-, UC in PA0-PA3 and PA5-PA7) except PA4, which
 * becomes write-combining.  So: WB = no bit, WT = PWT (PA1), UC = PCD|PWT (PA3),
 * WC = PAT (PA4). */
#define PAT_TYPE_UC        0x00
#define PAT_TYPE_WC        0x01
#define PAT_TYPE_WT        0x04
#define PAT_TYPE_WP        0x05
#define PAT_TYPE_WB        0x06
#define PAT_TYPE_UCM       0x07 /* UC-: uncacheable, but an MTRR may make it WC */
#define PAT_ENTRY(i, type) ((uint64_t)(type) << (8 * (i)))
#define PTE_PAT_MSR_VALUE                                                                          \
	(PAT_ENTRY(0, PAT_TYPE_WB) | PAT_ENTRY(1, PAT_TYPE_WT) | PAT_ENTRY(2, PAT_TYPE_UCM) |      \
	 PAT_ENTRY(3, PAT_TYPE_UC) | PAT_ENTRY(4, PAT_TYPE_WC) | PAT_ENTRY(5, PAT_TYPE_WT) |       \
	 PAT_ENTRY(6, PAT_TYPE_UCM) | PAT_ENTRY(7, PAT_TYPE_UC))

#endif
