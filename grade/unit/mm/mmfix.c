/* The kern/mm host-test fixture (see mmfix.h). */
#include "mmfix.h"

jmp_buf mmfix_panic_jmp;
volatile int mmfix_panic_armed;

static void
panic_hook(const char *msg, void *arg)
{
	if (mmfix_panic_armed)
		longjmp(mmfix_panic_jmp, 1);
	cr_assert_fail("unexpected panic: %s", msg);
}

void
mmfix_mem(size_t bytes)
{
	simhal_set_panic_hook(panic_hook, NULL);
	cr_assert_eq(simhal_init(bytes), 0);
}

void
mmfix_pmm(size_t phys, uint64_t start, uint64_t end)
{
	struct boot_mem map = { start, end - start, BOOT_MEM_AVAILABLE };

	mmfix_mem(phys);
	cr_assert_eq(pmm_init(&map, 1, NULL, 0), 0);
}

uint64_t
mmfix_free_pages(void)
{
	struct pmm_stats st;

	pmm_get_stats(&st);
	return st.free;
}
