/* Private to the kern/mm boot self-checks (test=mm): kern/mm/mmcheck.c runs them and checks
 * the allocator and the heap, mmcheck_pt.c the page-table code, mmcheck_kvm.c the kernel
 * address space.  A check returns 0, or the result of mmcheck_fail with the reason. */
#ifndef EXOLAB_MM_MMCHECK_H
#define EXOLAB_MM_MMCHECK_H

#include <stdint.h>

struct mmcheck {
	const char *name;
	int (*run)(void);
};

/* Records the reason printed after FAIL; returns E_RANGE. */
int mmcheck_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

uint64_t mmcheck_free_pages(void);

/* The page-table and address-space checks, in the order they run. */
extern const struct mmcheck mmcheck_pt[], mmcheck_kvm[];
extern const unsigned mmcheck_pt_count, mmcheck_kvm_count;

#endif
