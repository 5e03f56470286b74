/* The LibOS's page records (vm.h): mapping and unmapping recorded pages, growing the record
 * table, and taking over the pages the kernel's loader mapped so that fork can share them. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "libos.h"
#include "usyscall.h"
#include "vm.h"

_Static_assert(SYS_map == 7, "pagemove.S calls sys_map by number");
_Static_assert(sizeof(struct vm_rec) == 16, "records pack four to a cache line pair");

#define PAGE           ABI_PAGE_SIZE
#define PAGE_DOWN(x)   ((x) & ~(PAGE - 1))
#define PAGE_UP(x)     (((x) + PAGE - 1) & ~(PAGE - 1))
#define TABLE_CAP(np)  (((np)*PAGE - sizeof(struct vm_table)) / sizeof(struct vm_rec))
#define STACK_LIVE_GAP (2 * PAGE) /* stack below rsp that adoption's own calls may use */

/* The image's bounds, from lib/user/user.ld.S. */
extern char __libos_text[], __libos_rodata[], __libos_data[], __libos_end[];

static bool table_ready, adopted;

/* A zeroed frame of the quota in a fresh slot; the slot, or a negative E_* code. */
static long
frame_new(void)
{
	long slot = slot_alloc();
	long r;

	if (slot < 0)
		return slot;
	r = sys_frame_alloc(ABI_SLOT_UNTYPED, (uint64_t)slot, VM_FRAME_RIGHTS);
	if (r < 0) {
		slot_free((uint64_t)slot);
		return r;
	}
	return slot;
}

static void
frame_drop(uint64_t slot)
{
	sys_cap_delete(slot);
	slot_free(slot);
}

static void
rec_add(uint64_t va, uint64_t slot, uint32_t perm, uint8_t flags)
{
	VM_TABLE->rec[VM_TABLE->n++] = (struct vm_rec){
		.va = va, .slot = (uint32_t)slot, .perm = (uint8_t)perm, .flags = flags
	};
}

/* Room for one more record: maps the first table page, or the next one when the table is
 * full (each table page is recorded in the table itself). */
static int
table_reserve(void)
{
	uint64_t np = table_ready ? VM_TABLE->npages : 0;
	uint64_t va = VM_TABLE_VA + np * PAGE;
	long slot, r;

	if (table_ready && VM_TABLE->n + 1 < TABLE_CAP(np))
		return 0;
	if (np == VM_TABLE_PAGES)
		return E_NOMEM;
	if ((slot = frame_new()) < 0)
		return (int)slot;
	if ((r = sys_map(ABI_SLOT_SELF, (uint64_t)slot, va, ABI_PERM_R | ABI_PERM_W)) < 0) {
		frame_drop((uint64_t)slot);
		return (int)r;
	}
	if (!table_ready) {
		VM_TABLE->n = 0;
		table_ready = true;
	}
	VM_TABLE->npages = np + 1;
	rec_add(va, (uint64_t)slot, ABI_PERM_R | ABI_PERM_W, 0);
	return 0;
}

struct vm_rec *
vm_find(uint64_t va)
{
	va = PAGE_DOWN(va);
	if (!table_ready)
		return NULL;
	for (uint64_t i = 0; i < VM_TABLE->n; i++)
		if (VM_TABLE->rec[i].va == va)
			return &VM_TABLE->rec[i];
	return NULL;
}

int
vm_page_alloc(uint64_t va, uint32_t perm)
{
	long slot, r;
	int err;

	if (va & (PAGE - 1))
		return E_ALIGN;
	if ((err = table_reserve()) < 0)
		return err;
	if (vm_find(va) != NULL)
		return E_EXIST;
	if ((slot = frame_new()) < 0)
		return (int)slot;
	if ((r = sys_map(ABI_SLOT_SELF, (uint64_t)slot, va, perm)) < 0) {
		frame_drop((uint64_t)slot);
		return (int)r;
	}
	rec_add(va, (uint64_t)slot, perm, 0);
	return 0;
}

int
vm_page_free(uint64_t va)
{
	struct vm_rec *r = vm_find(va);
	long err;

	if (r == NULL || (va >= VM_TABLE_VA && va < VM_TABLE_VA + VM_TABLE_PAGES * PAGE))
		return E_NOENT;
	if (!(r->flags & VM_ZERO) && (err = sys_unmap(ABI_SLOT_SELF, r->va)) < 0)
		return (int)err;
	frame_drop(r->slot);
	*r = VM_TABLE->rec[--VM_TABLE->n];
	return 0;
}

int
vm_record_shared(uint64_t va, uint64_t slot, uint32_t perm)
{
	int err;

	if ((err = table_reserve()) < 0)
		return err;
	if (vm_find(va) != NULL)
		return E_EXIST;
	rec_add(va, slot, perm, VM_SHARE);
	return 0;
}

int
vm_share(uint64_t va)
{
	struct vm_rec *r = vm_find(va);

	if (r == NULL)
		return E_NOENT;
	if (r->flags & (VM_COW | VM_ZERO))
		return E_BUSY; /* sharing needs the page's own frame, mapped */
	r->flags |= VM_SHARE;
	return 0;
}

/* Moves one loader page into a frame of the quota, with the same contents and perm. */
static int
adopt_page(uint64_t va, uint32_t perm)
{
	long slot, r;
	int err;

	if (sys_protect(ABI_SLOT_SELF, va, perm) < 0)
		return 0; /* not mapped (an empty segment): nothing to take over */
	if ((err = table_reserve()) < 0)
		return err;
	if ((slot = frame_new()) < 0)
		return (int)slot;
	if ((r = sys_map(ABI_SLOT_SELF, (uint64_t)slot, VM_TEMP_VA, ABI_PERM_R | ABI_PERM_W)) < 0 ||
	    (r = vm_page_move(va, VM_TEMP_VA, (uint64_t)slot, perm)) < 0) {
		sys_unmap(ABI_SLOT_SELF, VM_TEMP_VA);
		frame_drop((uint64_t)slot);
		return (int)r;
	}
	sys_unmap(ABI_SLOT_SELF, VM_TEMP_VA);
	rec_add(va, (uint64_t)slot, perm, 0);
	return 0;
}

/* A stack page below the live part: its contents are dead (x86-64 psABI 3.2.2: nothing
 * below rsp and its red zone is kept), so it becomes demand-zero with a reserved slot. */
static int
adopt_dead_stack_page(uint64_t va)
{
	long slot;
	int err;

	if ((err = table_reserve()) < 0)
		return err;
	if ((slot = slot_alloc()) < 0)
		return (int)slot;
	sys_unmap(ABI_SLOT_SELF, va);
	rec_add(va, (uint64_t)slot, ABI_PERM_R | ABI_PERM_W, VM_ZERO);
	return 0;
}

static int
adopt_range(uint64_t lo, uint64_t hi, uint32_t perm)
{
	int err;

	for (uint64_t va = PAGE_DOWN(lo); va < PAGE_UP(hi); va += PAGE)
		if ((err = adopt_page(va, perm)) < 0)
			return err;
	return 0;
}

int
vm_adopt_image(void)
{
	uint64_t sp, live;
	int err;

	if (adopted)
		return 0;
	__asm__ volatile("mov %%rsp, %0" : "=r"(sp));
	live = PAGE_DOWN(sp - STACK_LIVE_GAP);
	if ((err = adopt_range((uint64_t)__libos_text, (uint64_t)__libos_rodata,
	                       ABI_PERM_R | ABI_PERM_X)) < 0 ||
	    (err = adopt_range((uint64_t)__libos_rodata, (uint64_t)__libos_data, ABI_PERM_R)) < 0 ||
	    (err = adopt_range((uint64_t)__libos_data, (uint64_t)__libos_end,
	                       ABI_PERM_R | ABI_PERM_W)) < 0)
		return err;
	for (uint64_t va = ABI_USTACK_TOP - ABI_USTACK_PAGES * PAGE; va < ABI_USTACK_TOP;
	     va += PAGE) {
		err =
		    va < live ? adopt_dead_stack_page(va) : adopt_page(va, ABI_PERM_R | ABI_PERM_W);
		if (err < 0)
			return err;
	}
	adopted = true;
	return 0;
}
