/* Reaching user memory from a syscall: a pointer is used only after every page it covers is
 * found in the caller's page table with the user bit (and the write bit for a copy out), and
 * the copy runs inside stac/clac when SMAP is on, so any other kernel access to a user page
 * still faults (SDM Vol. 3A 4.6.1, "Determination of Access Rights"). */
#include "abi/memlayout.h"
#include "env_impl.h"
#include "mm.h"
#include "pt.h"
#include "x86.h"
#include "xstring.h"

#define CR4_SMAP (1ull << 21)

static bool smap_on;

void
uaccess_init(void)
{
	smap_on = (read_cr4() & CR4_SMAP) != 0;
}

void
uaccess_begin(void)
{
	if (smap_on)
		__asm__ volatile("stac" ::: "memory");
}

void
uaccess_end(void)
{
	if (smap_on)
		__asm__ volatile("clac" ::: "memory");
}

int
uaccess_check(struct env *e, uint64_t va, uint64_t len, bool write)
{
	uint64_t page, last;

	if (e == NULL || e->status == ENV_DEAD)
		return E_FAULT;
	if (len == 0)
		return 0;
	if (!ABI_USER_RANGE_OK(va, len))
		return E_FAULT;
	last = va + len - 1;
	for (page = MM_ALIGN_DOWN(va, PAGE_SIZE);; page += PAGE_SIZE) {
		struct pt_mapping m;

		if (pt_lookup(e->root, page, &m) < 0 || !(m.flags & PT_U))
			return E_FAULT;
		if (write && !(m.flags & PT_W))
			return E_FAULT;
		if (last - page < PAGE_SIZE)
			return 0;
	}
}

int
copyin(void *dst, uint64_t usrc, size_t len)
{
	int err = uaccess_check(env_current(), usrc, len, false);

	if (err < 0)
		return err;
	uaccess_begin();
	memcpy(dst, (const void *)(uintptr_t)usrc, len);
	uaccess_end();
	return 0;
}

int
copyout(uint64_t udst, const void *src, size_t len)
{
	int err = uaccess_check(env_current(), udst, len, true);

	if (err < 0)
		return err;
	uaccess_begin();
	memcpy((void *)(uintptr_t)udst, src, len);
	uaccess_end();
	return 0;
}
