/* The kernel address space: builds the kernel's page tables with the portable pt_* code
 * (direct map, image sections with W^X rights, stack guard pages), checks that they can run
 * the kernel, and switches to them, retiring the boot page tables of entry.S.  Kernel only:
 * it needs the linker's section symbols, but like the rest of kern/mm no arch header. */
#include <stdbool.h>

#include "abi/error.h"
#include "hal.h"
#include "kerninfo.h"
#include "kheap.h"
#include "kvm.h"
#include "mm.h"
#include "pmm.h"
#include "pt.h"

static physaddr_t kern_root;
static uint64_t directmap_end;
static struct pmm_range excl[PMM_MAX_EXCL];
static int nexcl;

physaddr_t
kvm_root(void)
{
	return kern_root;
}

uint64_t
kvm_directmap_end(void)
{
	return directmap_end;
}

static bool
is_ram(uint32_t type)
{
	return type == BOOT_MEM_AVAILABLE || type == BOOT_MEM_ACPI_RECLAIMABLE ||
	       type == BOOT_MEM_NVS;
}

static bool
overlaps(uint64_t s1, uint64_t e1, uint64_t s2, uint64_t e2)
{
	return s1 < e2 && s2 < e1;
}

/* The end of the direct map: all RAM, at least the first 4 GiB (where the chipset puts
 * the local APIC, the IOAPIC and usually the framebuffer), and the framebuffer. */
static uint64_t
directmap_top(const struct bootinfo *bi)
{
	uint64_t top = KERN_BOOT_MAP_SIZE;

	for (unsigned i = 0; i < bi->nmem; i++) {
		uint64_t end = bi->mem[i].base + bi->mem[i].len;

		if (is_ram(bi->mem[i].type) && end > top && end <= PHYS_ADDR_END)
			top = end;
	}
	if (bi->fb.type != BOOT_FB_NONE &&
	    bi->fb.addr + (uint64_t)bi->fb.pitch * bi->fb.height > top)
		top = bi->fb.addr + (uint64_t)bi->fb.pitch * bi->fb.height;
	return MM_ALIGN_UP(top, HUGE_SIZE);
}

/* The cache type of the 2 MiB at `pa`: write-back where any RAM is (the MTRRs still make
 * legacy holes such as VGA uncached), the framebuffer's type for a chunk of framebuffer
 * only, uncached for the rest: device registers must never be cached or prefetched. */
static unsigned
chunk_cache(const struct bootinfo *bi, uint64_t pa, unsigned fb_cache)
{
	for (unsigned i = 0; i < bi->nmem; i++) {
		if (is_ram(bi->mem[i].type) &&
		    overlaps(pa, pa + HUGE_SIZE, bi->mem[i].base, bi->mem[i].base + bi->mem[i].len))
			return PT_CACHE_WB;
	}
	if (bi->fb.type != BOOT_FB_NONE &&
	    overlaps(pa, pa + HUGE_SIZE, bi->fb.addr,
	             bi->fb.addr + (uint64_t)bi->fb.pitch * bi->fb.height))
		return fb_cache;
	return PT_CACHE_UC;
}

static int
map_direct_part(physaddr_t root, uint64_t pa, uint64_t end, unsigned flags)
{
	if (pa >= end)
		return 0;
	return pt_map(root, KERN_DIRECTMAP_BASE + pa, pa, end - pa, flags | PT_HUGE);
}

/* Maps [pa, end) of physical memory into the direct map; the image's text and rodata keep
 * their read-only rights in this second mapping too (W^X holds for every alias). */
static int
map_direct_run(physaddr_t root, uint64_t pa, uint64_t end, unsigned flags)
{
	uint64_t ro_start = KERN_IMAGE_V2P(kern_text_start);
	uint64_t ro_end = MM_ALIGN_UP(KERN_IMAGE_V2P(kern_rodata_end), PAGE_SIZE);
	uint64_t lo = ro_start < pa ? pa : ro_start, hi = ro_end > end ? end : ro_end;
	int err;

	if (lo >= hi)
		return map_direct_part(root, pa, end, flags);
	err = map_direct_part(root, pa, lo, flags);
	if (err == 0)
		err = map_direct_part(root, lo, hi, flags & ~PT_W);
	if (err == 0)
		err = map_direct_part(root, hi, end, flags);
	return err;
}

static int
map_direct(physaddr_t root, const struct bootinfo *bi, unsigned fb_cache)
{
	uint64_t top = directmap_top(bi), run = 0;
	unsigned run_cache = chunk_cache(bi, 0, fb_cache);

	for (uint64_t pa = HUGE_SIZE; pa <= top; pa += HUGE_SIZE) {
		unsigned cache = pa < top ? chunk_cache(bi, pa, fb_cache) : ~0u;
		int err;

		if (cache == run_cache)
			continue;
		err = map_direct_run(root, run, pa, PT_W | PT_G | run_cache);
		if (err < 0)
			return err;
		run = pa;
		run_cache = cache;
	}
	directmap_end = top;
	return 0;
}

struct image_part {
	const char *name;
	char *start, *end;
	unsigned flags;
};

/* Maps the image at its link addresses. */
static int
map_image(physaddr_t root)
{
	/* LAB 2: map each part of the image at its link address (KERN_IMAGE_V2P gives the
	 * frames) with only the rights it needs: nothing is both writable and executable. */
	/* BEGIN LAB 2 */
	static const struct image_part parts[] = {
		{ "text", kern_text_start, kern_text_end, PT_X | PT_G },
		{ "rodata", kern_rodata_start, kern_rodata_end, PT_G },
		{ "data", kern_data_start, kern_bss_end, PT_W | PT_G },
		{ "stacks", kern_kstacks_start, kern_kstacks_end, PT_W | PT_G },
		{ "ksyms", kern_ksyms_start, kern_end, PT_G },
	};

	for (unsigned i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		uintptr_t va = (uintptr_t)parts[i].start;
		uint64_t size = MM_ALIGN_UP((uintptr_t)parts[i].end, PAGE_SIZE) - va;
		int err;

		if (size == 0)
			continue;
		err = pt_map(root, va, KERN_IMAGE_V2P(va), size, parts[i].flags);
		if (err < 0) {
			hal_log("kvm: mapping %s: %d\n", parts[i].name, err);
			return err;
		}
	}
	return 0;
	/* END LAB 2 */
	/* STUB LAB 2: return E_NOSYS; */
}

/* Leaves the page under every kernel stack unmapped, so an overflow faults. */
static int
unmap_guards(physaddr_t root)
{
	/* LAB 2: unmap the guard page below each stack of the kstack list (kstack.h). */
	/* BEGIN LAB 2 */
	for (const struct kstack *k = kern_kstack_list_start; k < kern_kstack_list_end; k++) {
		int err =
		    pt_unmap(root, (uintptr_t)k->bottom - KSTACK_GUARD_SIZE, KSTACK_GUARD_SIZE);

		if (err < 0)
			return err;
	}
	/* END LAB 2 */
	return 0;
}

/* Before switching, the new tables must at least map what the next instructions touch:
 * this code, this stack, the kernel's data and the tables themselves.  A mistake then
 * shows as a message instead of a triple fault and a reset. */
static int
check_root(physaddr_t root)
{
	static const char *const what[] = {
		"kernel text",
		"kernel data",
		"the stack",
		"the page tables (direct map)",
	};
	int local = 0;
	const uintptr_t va[] = {
		(uintptr_t)kvm_init,
		(uintptr_t)kern_data_start,
		(uintptr_t)&local,
		(uintptr_t)hal_phys_to_virt(root),
	};
	const unsigned need[] = { PT_X, PT_W, PT_W, PT_W };

	for (unsigned i = 0; i < 4; i++) {
		struct pt_mapping m;

		if (pt_lookup(root, va[i], &m) < 0 || (m.flags & need[i]) != need[i] ||
		    m.pa != hal_virt_to_phys((const void *)va[i])) {
			hal_log("kvm: the new page tables do not map %s at 0x%lx right\n", what[i],
			        (unsigned long)va[i]);
			return E_NOENT;
		}
	}
	return 0;
}

int64_t
kvm_root_new(void)
{
	int64_t root = pt_root_alloc();
	pte_t *dst, *src;

	if (root < 0 || kern_root == 0)
		return root < 0 ? root : E_NOENT;
	dst = hal_phys_to_virt((physaddr_t)root);
	src = hal_phys_to_virt(kern_root);
	for (unsigned i = PTE_INDEX(VA_KERNEL_START, PT_LEVEL_PML4); i < PT_ENTRIES; i++)
		dst[i] = src[i];
	return root;
}

int
kvm_root_free(physaddr_t root)
{
	return kvm_root_free_each(root, NULL, NULL);
}

int
kvm_root_free_each(physaddr_t root, pt_put_fn put, void *arg)
{
	int err = pt_destroy_each(root, 0, VA_USER_END - 1, put, arg);

	if (err == 0)
		pt_root_free(root);
	return err;
}

static int
build(physaddr_t root, const struct bootinfo *bi, unsigned fb_cache)
{
	int err = map_direct(root, bi, fb_cache);

	if (err == 0)
		err = map_image(root);
	if (err == 0)
		err = unmap_guards(root);
	if (err == 0)
		err = check_root(root);
	return err;
}

static void
print_layout(physaddr_t root)
{
	struct pmm_stats st;

	pmm_get_stats(&st);
	hal_log("kvm: direct map of 0x0-0x%llx at 0x%llx, 2 MiB pages, no-execute\n",
	        (unsigned long long)directmap_end, (unsigned long long)KERN_DIRECTMAP_BASE);
	hal_log("kvm: image text r-x, rodata r--, data+bss rw-, stacks rw- (%ld guard pages), "
	        "ksyms r--\n",
	        (long)(kern_kstack_list_end - kern_kstack_list_start));
	hal_log("kvm: switched to PML4 0x%llx (%llu page-table pages); boot page tables at "
	        "0x%llx-0x%llx stay reserved in the image\n",
	        (unsigned long long)root, (unsigned long long)st.used_pages[PAGE_USE_PT],
	        (unsigned long long)KERN_IMAGE_V2P(kern_bootmem_start),
	        (unsigned long long)KERN_IMAGE_V2P(kern_bootmem_end));
}

int
kvm_init(const struct bootinfo *bi, unsigned fb_cache)
{
	int64_t root;
	int err;

	nexcl = pmm_boot_exclusions(bi, excl, PMM_MAX_EXCL);
	if (nexcl < 0)
		return nexcl;
	/* Until the switch, only what the boot page tables map is reachable. */
	err = pmm_init_below(bi->mem, bi->nmem, excl, (unsigned)nexcl, KERN_BOOT_MAP_SIZE);
	if (err < 0)
		return err;
	kheap_init();
	root = pt_root_alloc();
	if (root < 0)
		return (int)root;
	err = build((physaddr_t)root, bi, fb_cache);
	if (err < 0) {
		pt_destroy((physaddr_t)root, VA_KERNEL_START, UINTPTR_MAX);
		pt_root_free((physaddr_t)root);
		directmap_end = 0;
		return err;
	}
	hal_set_root((physaddr_t)root);
	kern_root = (physaddr_t)root;
	print_layout(kern_root);
	return pmm_add_above(bi->mem, bi->nmem, excl, (unsigned)nexcl);
}
