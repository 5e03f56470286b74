/* A capability-slot allocator for the LibOS: a bitmap over the slots the kernel left free
 * at creation (abi_envinfo.first_free up to the table's size). */
#include <stdint.h>

#include "abi/memlayout.h"
#include "libos.h"
#include "usyscall.h"

/* The image's bounds, from lib/user/user.ld.S (its segments are page-aligned runs). */
extern char __libos_text[], __libos_end[];

/* Slots at or above this are never handed out; enough for every program in user/. */
#define SLOT_MAX 1024

static uint64_t used[SLOT_MAX / 64];

long
slot_alloc(void)
{
	uint64_t end = libos_envinfo->nslots < SLOT_MAX ? libos_envinfo->nslots : SLOT_MAX;

	for (uint64_t s = libos_envinfo->first_free; s < end; s++) {
		if (!(used[s / 64] & (1ull << (s % 64)))) {
			used[s / 64] |= 1ull << (s % 64);
			return (long)s;
		}
	}
	return E_NOMEM;
}

void
slot_free(uint64_t slot)
{
	if (slot < SLOT_MAX)
		used[slot / 64] &= ~(1ull << (slot % 64));
}

int
slot_reserve(uint64_t slot)
{
	if (slot < libos_envinfo->first_free || slot >= SLOT_MAX || slot >= libos_envinfo->nslots)
		return E_RANGE;
	if (used[slot / 64] & (1ull << (slot % 64)))
		return E_BUSY;
	used[slot / 64] |= 1ull << (slot % 64);
	return 0;
}

uint64_t
libos_quota_pages(void)
{
	struct cap_info ci;

	if (sys_cap_identify(ABI_SLOT_UNTYPED, &ci) < 0)
		return 0;
	return ci.pages;
}

uint64_t
libos_image_pages(void)
{
	uint64_t text = (uint64_t)__libos_text, end = (uint64_t)__libos_end;

	return (end + ABI_PAGE_SIZE - 1) / ABI_PAGE_SIZE - text / ABI_PAGE_SIZE + ABI_USTACK_PAGES +
	       1;
}
