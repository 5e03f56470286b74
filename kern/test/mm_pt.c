/* Boot self-checks of the page-table code on the real MMU (test=mm, run by kern/test/mm.c):
 * every operation runs on a scratch address space that shares the kernel half, and is
 * verified both with pt_lookup and by loading the scratch root and reading and writing
 * through the new mappings. */
#include <stdbool.h>

#include "abi/error.h"
#include "hal.h"
#include "kvm.h"
#include "mm.h"
#include "mmcheck.h"
#include "pmm.h"
#include "pt.h"

#define VA      0x0000000040000000ull /* scratch pages, lower half */
#define HUGE_VA 0x0000000080000000ull
#define FAR_VA  0x00007f0000000000ull /* another PML4 entry */
#define NFRAMES 4

#define RIGHTS (PT_W | PT_X | PT_U)

struct scratch {
	physaddr_t root;
	physaddr_t frame[NFRAMES];
};

/* One 64-bit access at `va` as address space `root` sees it: the root is loaded for just
 * this access (the kernel half is shared, so this code and its stack stay mapped), with
 * interrupts off so that nothing else runs on it. */
static uint64_t
access_via(physaddr_t root, uintptr_t va, bool write, uint64_t val)
{
	hal_irqstate_t st = hal_irq_save();
	physaddr_t old = hal_get_root();

	hal_set_root(root);
	if (write)
		*(volatile uint64_t *)va = val;
	else
		val = *(volatile uint64_t *)va;
	hal_set_root(old);
	hal_irq_restore(st);
	return val;
}

static uint64_t *
dm(physaddr_t pa)
{
	return hal_phys_to_virt(pa);
}

/* A scratch root and NFRAMES frames, each frame's first word holding its own address. */
static int
scratch_open(struct scratch *s)
{
	int64_t r = kvm_root_new();
	unsigned i;

	if (r < 0)
		return mmcheck_fail("kvm_root_new: %s", error_name((int)r));
	s->root = (physaddr_t)r;
	for (i = 0; i < NFRAMES; i++) {
		int64_t pa = pmm_alloc(0);

		if (pa < 0)
			break;
		s->frame[i] = (physaddr_t)pa;
		*dm(s->frame[i]) = s->frame[i];
	}
	if (i == NFRAMES)
		return 0;
	while (i-- > 0)
		pmm_free(s->frame[i], 0);
	kvm_root_free(s->root);
	return mmcheck_fail("no memory for scratch frames");
}

static void
scratch_close(struct scratch *s)
{
	kvm_root_free(s->root);
	for (unsigned i = 0; i < NFRAMES; i++)
		pmm_free(s->frame[i], 0);
}

/* `va` must translate to `pa` in a page of `size` with exactly the rights `rights`. */
static int
expect_map(physaddr_t root, uintptr_t va, physaddr_t pa, unsigned rights, uint64_t size)
{
	struct pt_mapping m;
	int err = pt_lookup(root, va, &m);

	if (err < 0)
		return mmcheck_fail("0x%lx: pt_lookup %s", (unsigned long)va, error_name(err));
	if (m.pa != pa || (m.flags & RIGHTS) != rights || m.size != size)
		return mmcheck_fail("0x%lx: pa 0x%lx rights 0x%x size 0x%lx, want 0x%lx 0x%x 0x%lx",
		                    (unsigned long)va, m.pa, m.flags & RIGHTS, m.size, pa, rights,
		                    size);
	return 0;
}

static int
expect_unmapped(physaddr_t root, uintptr_t va)
{
	struct pt_mapping m;
	int err = pt_lookup(root, va, &m);

	return err == E_NOENT ? 0
	                      : mmcheck_fail("0x%lx: pt_lookup %s, want E_NOENT", (unsigned long)va,
	                                     error_name(err));
}

static int
expect_err(int got, int want, const char *what)
{
	return got == want
	           ? 0
	           : mmcheck_fail("%s: %s, want %s", what, error_name(got), error_name(want));
}

static int
map_frames(struct scratch *s)
{
	int err = 0;

	for (unsigned i = 0; i < NFRAMES && err == 0; i++)
		err = expect_err(pt_map(s->root, VA + i * PAGE_SIZE, s->frame[i], PAGE_SIZE, PT_W),
		                 0, "pt_map");
	return err;
}

static int
pt_map_body(struct scratch *s)
{
	int err = map_frames(s);

	for (unsigned i = 0; i < NFRAMES && err == 0; i++) {
		uintptr_t va = VA + i * PAGE_SIZE;

		err = expect_map(s->root, va, s->frame[i], PT_W, PAGE_SIZE);
		if (err == 0 && access_via(s->root, va, false, 0) != s->frame[i])
			err = mmcheck_fail("0x%lx does not read frame 0x%lx", (unsigned long)va,
			                   s->frame[i]);
		if (err == 0 &&
		    (access_via(s->root, va + 8, true, ~va), *dm(s->frame[i] + 8) != ~va))
			err = mmcheck_fail("a write through 0x%lx missed frame 0x%lx",
			                   (unsigned long)va, s->frame[i]);
	}
	if (err == 0)
		err = expect_unmapped(s->root, VA + NFRAMES * PAGE_SIZE);
	if (err == 0)
		err = expect_err(pt_map(s->root, VA, s->frame[1], PAGE_SIZE, PT_W), E_EXIST,
		                 "mapping over a mapping");
	if (err == 0)
		err = expect_err(pt_map(s->root, VA + 8, s->frame[1], PAGE_SIZE, 0), E_ALIGN,
		                 "misaligned va");
	if (err == 0)
		err = expect_err(pt_map(s->root, VA_USER_END, s->frame[1], PAGE_SIZE, 0), E_RANGE,
		                 "non-canonical va");
	if (err == 0)
		err = expect_err(pt_map(s->root, VA, s->frame[1], 0, 0), E_INVAL, "zero size");
	return err;
}

static int
check_pt_map(void)
{
	struct scratch s;
	int err = scratch_open(&s);

	if (err < 0)
		return err;
	err = pt_map_body(&s);
	scratch_close(&s);
	return err;
}

static int
pt_protect_body(struct scratch *s)
{
	int err = map_frames(s);

	if (err == 0)
		err = expect_err(pt_protect(s->root, VA, 2 * PAGE_SIZE, 0), 0, "pt_protect r--");
	if (err == 0)
		err = expect_map(s->root, VA + PAGE_SIZE, s->frame[1], 0, PAGE_SIZE);
	if (err == 0)
		err = expect_err(pt_protect(s->root, VA, 2 * PAGE_SIZE, PT_W | PT_X), 0,
		                 "pt_protect rwx");
	if (err == 0)
		err = expect_map(s->root, VA, s->frame[0], PT_W | PT_X, PAGE_SIZE);
	/* A range with a hole fails and changes nothing. */
	if (err == 0)
		err = expect_err(pt_protect(s->root, VA, (NFRAMES + 1) * PAGE_SIZE, 0), E_NOENT,
		                 "pt_protect over a hole");
	if (err == 0)
		err = expect_map(s->root, VA, s->frame[0], PT_W | PT_X, PAGE_SIZE);
	if (err == 0)
		err = expect_err(pt_map(s->root, VA, s->frame[3], PAGE_SIZE, PT_W | PT_REPLACE), 0,
		                 "pt_map PT_REPLACE");
	if (err == 0)
		err = expect_map(s->root, VA, s->frame[3], PT_W, PAGE_SIZE);
	if (err == 0 && access_via(s->root, VA, false, 0) != s->frame[3])
		err = mmcheck_fail("the replaced mapping still reads the old frame");
	return err;
}

static int
check_pt_protect(void)
{
	struct scratch s;
	int err = scratch_open(&s);

	if (err < 0)
		return err;
	err = pt_protect_body(&s);
	scratch_close(&s);
	return err;
}

static int
pt_unmap_body(struct scratch *s)
{
	int err = map_frames(s);

	if (err == 0)
		err = expect_err(pt_unmap(s->root, VA + PAGE_SIZE, PAGE_SIZE), 0, "pt_unmap");
	if (err == 0)
		err = expect_unmapped(s->root, VA + PAGE_SIZE);
	if (err == 0)
		err = expect_map(s->root, VA + 2 * PAGE_SIZE, s->frame[2], PT_W, PAGE_SIZE);
	if (err == 0 && access_via(s->root, VA, false, 0) != s->frame[0])
		err = mmcheck_fail("the page below the unmapped one lost its frame");
	if (err == 0)
		err = expect_err(pt_unmap(s->root, VA + 8, PAGE_SIZE), E_ALIGN, "misaligned unmap");
	if (err == 0)
		err = expect_err(pt_unmap(s->root, VA, (NFRAMES + 4) * PAGE_SIZE), 0,
		                 "unmapping a range with holes");
	for (unsigned i = 0; i < NFRAMES && err == 0; i++)
		err = expect_unmapped(s->root, VA + i * PAGE_SIZE);
	return err;
}

static int
check_pt_unmap(void)
{
	struct scratch s;
	int err = scratch_open(&s);

	if (err < 0)
		return err;
	err = pt_unmap_body(&s);
	scratch_close(&s);
	return err;
}

static int
pt_huge_body(physaddr_t root, physaddr_t block)
{
	const uint64_t off = 0x123000;
	int err;

	*dm(block + HUGE_SIZE - 8) = block ^ 0x5a5a;
	err = expect_err(pt_map(root, HUGE_VA, block, HUGE_SIZE, PT_W | PT_HUGE), 0, "pt_map 2M");
	if (err == 0)
		err = expect_map(root, HUGE_VA + off, block + off, PT_W, HUGE_SIZE);
	if (err == 0 && access_via(root, HUGE_VA + HUGE_SIZE - 8, false, 0) != (block ^ 0x5a5a))
		err = mmcheck_fail("the end of the 2 MiB page does not read its frame");
	if (err == 0)
		err = expect_err(pt_unmap(root, HUGE_VA + off, PAGE_SIZE), E_HUGE,
		                 "unmapping 4 KiB of a 2 MiB page");
	if (err == 0)
		err = expect_err(pt_protect(root, HUGE_VA, PAGE_SIZE, 0), E_HUGE,
		                 "protecting 4 KiB of a 2 MiB page");
	if (err == 0)
		err = expect_map(root, HUGE_VA, block, PT_W, HUGE_SIZE);
	if (err == 0)
		err = expect_err(pt_unmap(root, HUGE_VA, HUGE_SIZE), 0, "unmapping the 2 MiB page");
	if (err == 0)
		err = expect_unmapped(root, HUGE_VA + off);
	return err;
}

static int
check_pt_huge(void)
{
	int64_t root = kvm_root_new(), block = pmm_alloc(HUGE_SHIFT - PAGE_SHIFT);
	int err;

	if (root < 0 || block < 0)
		err = mmcheck_fail("no memory for a root and a 2 MiB block");
	else
		err = pt_huge_body((physaddr_t)root, (physaddr_t)block);
	if (root >= 0)
		kvm_root_free((physaddr_t)root);
	if (block >= 0)
		pmm_free((physaddr_t)block, HUGE_SHIFT - PAGE_SHIFT);
	return err;
}

static uint64_t
pt_pages(void)
{
	struct pmm_stats st;

	pmm_get_stats(&st);
	return st.used_pages[PAGE_USE_PT];
}

/* Three mappings that need 8 table pages besides the root: PML4[0] -> one PDPT -> two
 * PDs -> two PTs, and PML4[254] -> PDPT -> PD -> PT.  Tear-down must free all nine. */
static int
check_pt_destroy(void)
{
	static const uintptr_t vas[] = { VA, 0x400000, FAR_VA };
	uint64_t before = pt_pages(), used;
	struct scratch s;
	int err = scratch_open(&s);

	if (err < 0)
		return err;
	for (unsigned i = 0; i < 3 && err == 0; i++)
		err = expect_err(pt_map(s.root, vas[i], s.frame[i], PAGE_SIZE, PT_W), 0, "pt_map");
	used = pt_pages() - before;
	if (err == 0 && used != 9)
		err = mmcheck_fail("%lu page-table pages for 3 mappings, want 9", used);
	if (err == 0)
		err = expect_err(pt_destroy(s.root, 0, 5), E_ALIGN, "pt_destroy of a partial slot");
	scratch_close(&s);
	if (err == 0 && pt_pages() != before)
		err =
		    mmcheck_fail("%lu page-table pages left after tear-down", pt_pages() - before);
	return err;
}

const struct mmcheck mmcheck_pt[] = {
	{ "pt-map", check_pt_map },         { "pt-protect", check_pt_protect },
	{ "pt-unmap", check_pt_unmap },     { "pt-huge", check_pt_huge },
	{ "pt-destroy", check_pt_destroy },
};
const unsigned mmcheck_pt_count = sizeof(mmcheck_pt) / sizeof(mmcheck_pt[0]);
