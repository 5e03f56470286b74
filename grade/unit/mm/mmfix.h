/* Shared fixture of the kern/mm host tests: simulated memory, allocator set-up, and a panic
 * catcher (simhal's panic hook longjmps back into the test instead of aborting). */
#ifndef EXOLAB_MMFIX_H
#define EXOLAB_MMFIX_H

#include <criterion/criterion.h>
#include <setjmp.h>
#include <string.h>

#include "abi/error.h"
#include "pmm.h"
#include "simhal.h"

#define MiB (1ll << 20)
#define GiB (1ll << 30)

extern jmp_buf mmfix_panic_jmp;
extern volatile int mmfix_panic_armed;

/* Simulated memory of `bytes`, with the panic hook installed. */
void mmfix_mem(size_t bytes);
/* mmfix_mem(phys) then pmm_init with one available range [start, end) and no exclusions. */
void mmfix_pmm(size_t phys, uint64_t start, uint64_t end);
uint64_t mmfix_free_pages(void);

/* Runs `stmt`, which must panic with a message containing `needle`. */
#define MMFIX_EXPECT_PANIC(stmt, needle)                                                           \
	do {                                                                                       \
		mmfix_panic_armed = 1;                                                             \
		if (setjmp(mmfix_panic_jmp) == 0) {                                                \
			stmt;                                                                      \
			mmfix_panic_armed = 0;                                                     \
			cr_assert_fail("%s did not panic", #stmt);                                 \
		}                                                                                  \
		mmfix_panic_armed = 0;                                                             \
		cr_assert(strstr(simhal_last_panic(), (needle)) != NULL,                           \
		          "panic message \"%s\" lacks \"%s\"", simhal_last_panic(), (needle));     \
	} while (0)

#endif
