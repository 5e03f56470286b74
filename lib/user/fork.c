/* Copy-on-write fork (fork.h): the page-fault handler that copies a shared page at its first
 * write, duppage that shares one recorded page with a child, and fork itself, which builds
 * the child around them.  The kernel supplies exofork, map/protect/unmap, capability copies
 * and the page-fault upcall; which pages are shared and how is all in the LibOS's records
 * (vm.h), because user space cannot see its page tables. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fd.h"
#include "fork.h"
#include "libos.h"
#include "pgfault.h"
#include "usyscall.h"
#include "vm.h"
#include "xstring.h"

#define PAGE        ABI_PAGE_SIZE
#define PF_P        0x1  /* page-fault error code (SDM Vol. 3A 4.7): protection violation */
#define PF_W        0x2  /* a write */
#define STACK_TOUCH 3072 /* bytes below fork's frame that child_setup (its share batch) writes */
#define SELF        ABI_SLOT_SELF

/* The top of the exception stack page holds this env's own words, above the stack top fork
 * gives the kernel (FORK_XSTACK_TOP): records never reach them, a child's page is fresh and
 * zeroed, and no page shared copy-on-write holds them, so counting a fault never copies a
 * page.  (A record that would not fit below FORK_XSTACK_TOP ends the env, as any full
 * exception stack does.) */
struct fork_private {
	struct fork_stats stats;
	uint64_t spare[6];
};
#define FORK_PRIVATE    ((struct fork_private *)(ABI_UXSTACK_TOP - sizeof(struct fork_private)))
#define FORK_XSTACK_TOP (ABI_UXSTACK_TOP - sizeof(struct fork_private))

_Static_assert(sizeof(struct fork_private) % 16 == 0, "the stack top stays 16-byte aligned");

/* Copies one page, 8 bytes a step (rep movsq, SDM Vol. 2B MOVS; DF is clear in C).  Inline:
 * a handout's stubbed cow_copy does not call it. */
static inline void
page_copy(void *dst, const void *src)
{
	uint64_t n = PAGE / 8;

	__asm__ volatile("rep movsq" : "+D"(dst), "+S"(src), "+c"(n) : : "memory");
}

/* Gives the page at r->va a private copy of its frame, mapped with the permissions the
 * owner asked for.  r->slot holds the shared frame, which stays alive for as long as
 * another env maps it: the new frame takes the same slot.  Runs in the fault handler on
 * the exception stack, so it writes no shared page (it would fault again) and uses its own
 * window VM_COW_TEMP_VA, never VM_TEMP_VA, which the interrupted code may be using. */
static void
cow_copy(const struct vm_rec *r)
{
	/* LAB 4c: give the page its own frame in r->slot, mapped at r->va with r->perm, holding
	 * what the shared frame held (panic if anything fails: the env cannot go on). */
	/* BEGIN LAB 4c */
	long err;

	if ((err = sys_cap_delete(r->slot)) < 0 ||
	    (err = sys_frame_alloc(ABI_SLOT_UNTYPED, r->slot, VM_FRAME_RIGHTS)) < 0 ||
	    (err = sys_map(SELF, r->slot, VM_COW_TEMP_VA, ABI_PERM_R | ABI_PERM_W)) < 0)
		panic("copy-on-write of 0x%lx: %s", (unsigned long)r->va, error_name((int)err));
	page_copy((void *)VM_COW_TEMP_VA, (const void *)r->va);
	if ((err = sys_map(SELF, r->slot, r->va, r->perm)) < 0 ||
	    (err = sys_unmap(SELF, VM_COW_TEMP_VA)) < 0)
		panic("copy-on-write of 0x%lx: %s", (unsigned long)r->va, error_name((int)err));
	/* END LAB 4c */
	/* STUB LAB 4c: panic("copy-on-write of 0x%lx: not written yet", (unsigned long)r->va); */
}

/* A demand-zero page's first touch: a zeroed frame into its reserved slot. */
static void
zero_fill(struct vm_rec *r)
{
	long err;

	if ((err = sys_frame_alloc(ABI_SLOT_UNTYPED, r->slot, VM_FRAME_RIGHTS)) < 0 ||
	    (err = sys_map(SELF, r->slot, r->va, r->perm)) < 0)
		panic("demand-zero page 0x%lx: %s", (unsigned long)r->va, error_name((int)err));
	r->flags &= (uint8_t)~VM_ZERO; /* may fault once more if the table page is shared */
}

/* True when fault f on the page recorded by r (NULL: none) is one copy-on-write serves. */
static bool
is_cow_fault(const struct abi_fault *f, const struct vm_rec *r)
{
	/* LAB 4c: a write to a present page that fork shared copy-on-write. */
	/* BEGIN LAB 4c */
	return r != NULL && (r->flags & VM_COW) && (f->error & (PF_P | PF_W)) == (PF_P | PF_W);
	/* END LAB 4c */
	/* STUB LAB 4c: return false; */
}

/* Makes the page holding `va` writable if fork shares it or has not filled it yet. */
static void
own_page(uint64_t va)
{
	struct vm_rec *r = vm_find(va);

	if (r != NULL && (r->flags & VM_COW))
		cow_copy(r);
	else if (r != NULL && (r->flags & VM_ZERO))
		zero_fill(r);
}

/* fork's page-fault handler: a write to a copy-on-write page copies it, a touch of a
 * demand-zero page fills it, and any other fault takes the kernel's default path: the
 * handler turns the upcall off and returns, the access faults again, and the kernel ends
 * the env with its normal page-fault line.  The return writes two words just below the
 * faulting stack's red zone (upcall.S): their page is made the env's own first, else that
 * write would fault (upcall off) and be reported instead of the env's own fault. */
static void
fork_pgfault(struct abi_fault *f)
{
	struct vm_rec *r = vm_find(f->va);

	if (is_cow_fault(f, r)) {
		cow_copy(r);
		FORK_PRIVATE->stats.cow_copies++;
		return;
	}
	if (r != NULL && (r->flags & VM_ZERO) && !(f->error & PF_P)) {
		zero_fill(r);
		FORK_PRIVATE->stats.zero_fills++;
		return;
	}
	own_page(f->regs.rsp - PGFAULT_RED_ZONE - 16);
	own_page(f->regs.rsp - PGFAULT_RED_ZONE - 1);
	sys_env_set_upcall(SELF, 0, ABI_UXSTACK_TOP);
}

/* The pages fork shares with the child, queued for one share_pages call (docs/syscalls.md,
 * 46) per ABI_SHARE_MAX of them: one kernel entry, and one page-table walk per run of pages
 * in a 2 MiB region, instead of three calls a page. */
struct share_batch {
	uint64_t child; /* the child env's slot */
	uint64_t n;
	struct abi_share e[ABI_SHARE_MAX];
};

static int
share_flush(struct share_batch *b)
{
	long err = b->n > 0 ? sys_share_pages(b->child, b->e, b->n) : 0;

	b->n = 0;
	return (int)err;
}

/* Shares the recorded page r with the child env b->child: the child's table gets a copy of
 * the frame's capability in the same slot number (its copy of the records names it), and
 * its address space the frame at r->va.  The caller (fork) has already marked every
 * writable page VM_COW, and calls share_flush after the last page. */
static int
duppage(struct share_batch *b, const struct vm_rec *r)
{
	if (r->flags & VM_ZERO)
		return 0; /* nothing there yet: the child fills its own */
	/* LAB 4c: map the page in the child (read-only if it is copy-on-write, with the
	 * capability copied to the same slot), then make it read-only here too if it is
	 * (one page at a time with cap_copy, map and protect; or queue it in b). */
	/* BEGIN LAB 4c */
	/* Queued: share_pages does, per page, what cap_copy, map and protect would, in that
	 * order.  The child's mapping comes first: once this env's page is read-only, its next
	 * write would give the slot a new frame, and the child must get the one it shared. */
	b->e[b->n++] = (struct abi_share){
		.va = r->va,
		.slot = r->slot,
		.perm = (uint16_t)r->perm,
		.flags = (r->flags & VM_COW) ? ABI_SHARE_COW : 0,
	};
	return b->n == ABI_SHARE_MAX ? share_flush(b) : 0;
	/* END LAB 4c */
	/* STUB LAB 4c: return E_NOSYS; */
}

/* A fresh frame mapped in the child at va with perm; the child's mapping alone holds it. */
static int
child_page(uint64_t child, uint64_t va, uint32_t perm, const void *init, size_t len)
{
	long slot = slot_alloc();
	long err;

	if (slot < 0)
		return (int)slot;
	err = sys_frame_alloc(ABI_SLOT_UNTYPED, (uint64_t)slot, VM_FRAME_RIGHTS);
	if (err == 0 && init != NULL &&
	    (err = sys_map(SELF, (uint64_t)slot, VM_TEMP_VA, ABI_PERM_R | ABI_PERM_W)) == 0) {
		memcpy((void *)VM_TEMP_VA, init, len);
		err = sys_unmap(SELF, VM_TEMP_VA);
	}
	if (err == 0)
		err = sys_map(child, (uint64_t)slot, va, perm);
	sys_cap_delete((uint64_t)slot);
	slot_free((uint64_t)slot);
	return (int)err;
}

/* Everything the child needs besides its pages, then its pages, then it may run. */
static int
child_setup(uint64_t child, long id, int index)
{
	struct abi_envinfo info = *libos_envinfo;
	struct share_batch batch = { .child = child, .n = 0 };
	int err;

	info.envid = (uint64_t)id;
	info.parent = libos_envinfo->envid;
	if ((err = child_page(child, ABI_ENVINFO_VA, ABI_PERM_R, &info, sizeof(info))) < 0 ||
	    (err = child_page(child, ABI_UXSTACK_TOP - ABI_UXSTACK_SIZE, ABI_PERM_R | ABI_PERM_W,
	                      NULL, 0)) < 0 ||
	    (err = child_attach(child, index, id, FD_MAX)) < 0 ||
	    (err = (int)sys_cap_copy(ABI_SLOT_UNTYPED, child, ABI_SLOT_UNTYPED)) < 0 ||
	    (err = (int)sys_env_set_upcall(child, (uintptr_t)pgfault_upcall, FORK_XSTACK_TOP)) < 0)
		return err;
	for (uint64_t i = 0; i < VM_TABLE->n; i++)
		if ((err = duppage(&batch, &VM_TABLE->rec[i])) < 0)
			return err;
	if ((err = share_flush(&batch)) < 0)
		return err;
	/* The child's fds (fd.c): pipe ends count once the child holds them. */
	if ((err = fd_fork(child)) < 0)
		return err;
	if ((err = (int)sys_env_set_status(child, ENV_RUNNABLE)) < 0)
		fd_unfork();
	return err;
}

/* Writes the stack just below the caller's frame, so that the pages fork's walk writes are
 * this env's own before the walk: a copy-on-write fault in the middle of duppage would
 * give the slot it is sharing a new frame. */
static __attribute__((noinline)) void
stack_touch(void)
{
	volatile char buf[STACK_TOUCH];

	for (size_t i = 0; i < sizeof(buf); i += 512)
		buf[i] = 0;
}

/* Makes fork's handler this env's, with the stack top below its private words. */
static int
handler_own(void)
{
	int err;

	if (pgfault_current == fork_pgfault)
		return 0;
	if ((err = pgfault_set_handler(fork_pgfault)) < 0)
		return err;
	*FORK_PRIVATE = (struct fork_private){ { 0, 0 }, { 0 } }; /* old records' bytes */
	return (int)sys_env_set_upcall(SELF, (uintptr_t)pgfault_upcall, FORK_XSTACK_TOP);
}

long
fork(void)
{
	long slot, id;
	int err, index;

	if ((err = handler_own()) < 0 || (err = vm_adopt_image()) < 0 ||
	    (index = err = child_prepare()) < 0)
		return err;
	if ((slot = slot_alloc()) < 0)
		return slot;
	/* Every change to the records before the walk: the walk shares the table's own pages,
	 * and the child must see the same records as this env. */
	for (uint64_t i = 0; i < VM_TABLE->n; i++) {
		struct vm_rec *r = &VM_TABLE->rec[i];

		/* Written only when it changes: after an earlier fork the table pages are
		 * read-only here, and each write would copy one. */
		if ((r->perm & ABI_PERM_W) && !(r->flags & (VM_SHARE | VM_ZERO | VM_COW)))
			r->flags |= VM_COW;
	}
	stack_touch();
	if ((id = sys_exofork((uint64_t)slot)) == 0)
		return 0; /* the child: everything else is done by the parent */
	if (id < 0) {
		slot_free((uint64_t)slot);
		return id;
	}
	if ((err = child_setup((uint64_t)slot, id, index)) < 0) {
		child_abandon(index, (uint64_t)slot);
		return err;
	}
	child_add(index, (uint64_t)slot);
	return id;
}

void
fork_stats(struct fork_stats *st)
{
	if (pgfault_current == fork_pgfault)
		*st = FORK_PRIVATE->stats;
	else
		*st = (struct fork_stats){ 0, 0 }; /* no exception stack to read them from */
}
