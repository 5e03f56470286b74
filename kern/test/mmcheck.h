/* Private to the memory-management boot self-checks (test=mm): kern/test/mm.c runs them and
 * checks the allocator and the heap, mm_pt.c the page-table code, kvm.c the kernel address
 * space.  A check returns 0, or the result of mmcheck_fail with the reason. */
#ifndef EXOLAB_TEST_MMCHECK_H
#define EXOLAB_TEST_MMCHECK_H

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
