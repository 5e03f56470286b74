/* Boot self-checks of the kernel address space built by kern/mm/kvm.c (test=mm, run by
 * kern/test/mm.c): the rights of every image page, the guard pages, the direct map of all
 * RAM, the framebuffer's memory type and the processor's paging controls. */
#include <stdbool.h>

#include "abi/error.h"
#include "bootinfo.h"
#include "hal.h"
#include "kerninfo.h"
#include "kvm.h"
#include "mm.h"
#include "mmcheck.h"
#include "paging.h"
#include "pmm.h"
#include "pt.h"

#define RIGHTS (PT_W | PT_X | PT_U)

/* Every page of [start, end) of the image must map its own frame with `want` and none of
 * `deny`. */
static int
expect_image(const char *name, const char *start, const char *end, unsigned want, unsigned deny)
{
	if (kvm_root() == 0)
		return mmcheck_fail("no kernel page tables");
	for (uintptr_t va = (uintptr_t)start; va < (uintptr_t)end; va += PAGE_SIZE) {
		struct pt_mapping m;
		int err = pt_lookup(kvm_root(), va, &m);

		if (err < 0)
			return mmcheck_fail("%s page 0x%lx: %s", name, (unsigned long)va,
			                    error_name(err));
		if (m.pa != KERN_IMAGE_V2P(va) || (m.flags & want) != want || (m.flags & deny) != 0)
			return mmcheck_fail("%s page 0x%lx maps 0x%lx with flags 0x%x", name,
			                    (unsigned long)va, m.pa, m.flags);
	}
	return 0;
}

static int
check_kernel_root(void)
{
	const pte_t *pml4;

	if (kvm_root() == 0 || hal_get_root() != kvm_root())
		return mmcheck_fail(
		    "not running on the kernel page tables (cr3 0x%lx, kernel 0x%lx)",
		    hal_get_root(), kvm_root());
	pml4 = hal_phys_to_virt(kvm_root());
	for (unsigned i = 0; i < PTE_INDEX(VA_KERNEL_START, 4); i++) {
		if (pml4[i] & PTE_P)
			return mmcheck_fail("the user half has PML4 entry %u (boot identity map?)",
			                    i);
	}
	return 0;
}

static int
check_kernel_text(void)
{
	return expect_image("text", kern_text_start, kern_text_end, PT_X | PT_G, PT_W | PT_U);
}

static int
check_kernel_rodata(void)
{
	int err = expect_image("rodata", kern_rodata_start, kern_rodata_end, PT_G, RIGHTS);

	return err < 0 ? err : expect_image("ksyms", kern_ksyms_start, kern_end, PT_G, RIGHTS);
}

static int
check_kernel_data(void)
{
	int err = expect_image("data", kern_data_start, kern_bss_end, PT_W | PT_G, PT_X | PT_U);

	for (const struct kstack *k = kern_kstack_list_start; k < kern_kstack_list_end && !err; k++)
		err = expect_image("stack", k->bottom, k->top, PT_W | PT_G, PT_X | PT_U);
	return err;
}

static int
check_guard_pages(void)
{
	long n = kern_kstack_list_end - kern_kstack_list_start;

	if (kvm_root() == 0)
		return mmcheck_fail("no kernel page tables");
	if (n < 4)
		return mmcheck_fail("%ld kernel stacks listed, want the boot stack and 3 IST", n);
	for (const struct kstack *k = kern_kstack_list_start; k < kern_kstack_list_end; k++) {
		struct pt_mapping m;

		if (pt_lookup(kvm_root(), (uintptr_t)k->bottom - KSTACK_GUARD_SIZE, &m) != E_NOENT)
			return mmcheck_fail("the guard page under the stack at %p is mapped",
			                    k->bottom);
	}
	return 0;
}

static bool
is_ram(uint32_t type)
{
	return type == BOOT_MEM_AVAILABLE || type == BOOT_MEM_ACPI_RECLAIMABLE ||
	       type == BOOT_MEM_NVS;
}

static bool
chunk_has_ram(uint64_t pa)
{
	uint64_t base = MM_ALIGN_DOWN(pa, HUGE_SIZE);

	for (unsigned i = 0; i < bootinfo.nmem; i++) {
		const struct boot_mem *m = &bootinfo.mem[i];

		if (is_ram(m->type) && m->base < base + HUGE_SIZE && base < m->base + m->len)
			return true;
	}
	return false;
}

/* Physical `pa` must appear at KERN_DIRECTMAP_BASE + pa, writable, no-execute, supervisor. */
static int
expect_direct(uint64_t pa, unsigned cache)
{
	uint64_t ro_start = KERN_IMAGE_V2P(kern_text_start),
	         ro_end = KERN_IMAGE_V2P(kern_rodata_end);
	uintptr_t va = KERN_DIRECTMAP_BASE + pa;
	unsigned rights = pa >= ro_start && pa < ro_end ? 0 : PT_W;
	struct pt_mapping m;
	int err = kvm_root() ? pt_lookup(kvm_root(), va, &m) : E_NOENT;

	if (err < 0)
		return mmcheck_fail("direct map of 0x%lx: %s", pa, error_name(err));
	if (m.pa != pa || (m.flags & RIGHTS) != rights || (m.flags & PT_CACHE_MASK) != cache)
		return mmcheck_fail("direct map of 0x%lx maps 0x%lx with flags 0x%x, want rights "
		                    "0x%x cache 0x%x",
		                    pa, m.pa, m.flags, rights, cache);
	return 0;
}

/* A RAM page: direct-mapped write-back, in a 2 MiB page unless it shares the 2 MiB with the
 * image (whose read-only alias needs 4 KiB pages), and readable. */
static int
expect_ram(uint64_t pa)
{
	uint64_t img = MM_ALIGN_DOWN(KERN_IMAGE_V2P(kern_text_start), HUGE_SIZE);
	uint64_t want = MM_ALIGN_DOWN(pa, HUGE_SIZE) == img ? PAGE_SIZE : HUGE_SIZE;
	struct pt_mapping m;
	int err = expect_direct(pa, PT_CACHE_WB);

	if (err < 0)
		return err;
	pt_lookup(kvm_root(), KERN_DIRECTMAP_BASE + pa, &m);
	if (m.size != want)
		return mmcheck_fail("direct map of 0x%lx uses 0x%lx-byte pages", pa, m.size);
	(void)*(volatile uint8_t *)hal_phys_to_virt(pa);
	return 0;
}

/* Every RAM entry of the memory map (each 2 MiB of it and its last page) is in the direct
 * map, and nothing of the boot identity map is left. */
static int
check_directmap(void)
{
	struct pt_mapping m;

	if (kvm_directmap_end() < KERN_BOOT_MAP_SIZE)
		return mmcheck_fail("the direct map ends at 0x%lx, below 4 GiB",
		                    kvm_directmap_end());
	for (unsigned i = 0; i < bootinfo.nmem; i++) {
		const struct boot_mem *r = &bootinfo.mem[i];
		uint64_t end = MM_ALIGN_DOWN(r->base + r->len, PAGE_SIZE);
		int err = 0;

		if (!is_ram(r->type) || MM_ALIGN_UP(r->base, PAGE_SIZE) >= end)
			continue;
		if (end > kvm_directmap_end())
			return mmcheck_fail("RAM up to 0x%lx, direct map to 0x%lx", end,
			                    kvm_directmap_end());
		for (uint64_t pa = MM_ALIGN_UP(r->base, PAGE_SIZE); pa < end && err == 0;
		     pa = MM_ALIGN_DOWN(pa + HUGE_SIZE, HUGE_SIZE))
			err = expect_ram(pa);
		if (err == 0)
			err = expect_ram(end - PAGE_SIZE);
		if (err < 0)
			return err;
	}
	if (pt_lookup(kvm_root(), KERN_LOAD_PHYS, &m) != E_NOENT)
		return mmcheck_fail("the boot identity map is still there");
	return 0;
}

/* The image's direct-map alias keeps W^X: text and rodata read-only there too. */
static int
check_directmap_alias(void)
{
	int err = expect_direct(KERN_IMAGE_V2P(kern_text_start), PT_CACHE_WB);

	if (err == 0)
		err = expect_direct(KERN_IMAGE_V2P(kern_rodata_start), PT_CACHE_WB);
	if (err == 0)
		err = expect_direct(KERN_IMAGE_V2P(kern_data_start), PT_CACHE_WB);
	return err;
}

/* Device registers are uncached: the local APIC's page (Intel SDM Vol. 3A 11.4.1) is no
 * RAM on any PC.  The framebuffer is write-combining when the CPU has a PAT, unless it
 * shares 2 MiB with RAM (then write-back, as the MTRRs decide). */
static int
check_memory_types(void)
{
	const uint64_t lapic = 0xFEE00000;
	struct paging_features f;
	unsigned fb_cache;

	paging_get_features(&f);
	if (!chunk_has_ram(lapic)) {
		int err = expect_direct(lapic, PT_CACHE_UC);

		if (err < 0)
			return err;
	}
	if (bootinfo.fb.type == BOOT_FB_NONE)
		return 0;
	fb_cache = chunk_has_ram(bootinfo.fb.addr) ? PT_CACHE_WB
	           : f.pat                         ? PT_CACHE_WC
	                                           : PT_CACHE_UC;
	return expect_direct(MM_ALIGN_DOWN(bootinfo.fb.addr, PAGE_SIZE), fb_cache);
}

static int
check_cpu_paging(void)
{
	char why[96];

	return paging_check(why, sizeof(why)) == 0 ? 0 : mmcheck_fail("%s", why);
}

const struct mmcheck mmcheck_kvm[] = {
	{ "kernel-root", check_kernel_root },         { "kernel-text", check_kernel_text },
	{ "kernel-rodata", check_kernel_rodata },     { "kernel-data", check_kernel_data },
	{ "guard-pages", check_guard_pages },         { "directmap", check_directmap },
	{ "directmap-alias", check_directmap_alias }, { "memory-types", check_memory_types },
	{ "cpu-paging", check_cpu_paging },
};
const unsigned mmcheck_kvm_count = sizeof(mmcheck_kvm) / sizeof(mmcheck_kvm[0]);
