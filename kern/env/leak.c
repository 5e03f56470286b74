/* Leak accounting: the counts that must return to their earlier values once a program and
 * everything it made are gone.  Pages are the pmm's free pages plus the kernel heap's (so a
 * slab the heap keeps cached is not a leak); heap objects catch what that hides. */
#include "cmdline.h"
#include "console.h"
#include "env_impl.h"
#include "failalloc.h"
#include "kheap.h"
#include "pmm.h"

CMDLINE_OPTION(leakcheck, "leakcheck",
               "print leak-check counts each time a program init spawned is gone");

bool
env_leakcheck_on(void)
{
	return cmdline_has("leakcheck");
}

void
env_leak_print(void)
{
	struct pmm_stats ps;
	struct kheap_stats hs;
	uint64_t heap;

	pmm_get_stats(&ps);
	kheap_get_stats(&hs);
	heap = hs.large_blocks;
	for (unsigned c = 0; c < KHEAP_NCLASSES; c++)
		heap += hs.objects[c];
	printf("leak-check: pages %lu caps %lu heap %lu\n", ps.free + ps.used_pages[PAGE_USE_HEAP],
	       cap_live_count(), heap);
	failalloc_print();
}

int64_t
sys_leak_check(struct env *e, const uint64_t *a)
{
	env_leak_print();
	return 0;
}
