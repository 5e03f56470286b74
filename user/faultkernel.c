/* faultkernel: touches the kernel's image from user mode, through the direct map of all
 * physical memory, which every address space shares but only the kernel may use.  A write and
 * a read each kill their env, so the write runs in a child spawned as "faultkernel write";
 * then this env reads.  Each must end in exactly one fault report. */
#include <stdint.h>

#include "abi/memlayout.h"
#include "libos.h"
#include "usyscall.h"
#include "xstring.h"

/* Physical 1 MiB (RAM on every PC, where the kernel image is loaded) in the kernel's map of
 * all memory, found as an attacker would from the ABI's layout: a page that is certainly
 * present, so only the user/supervisor bit stands between this program and the kernel. */
#define KERNEL_VA (ABI_KERNEL_BASE + 0x100000)

/* Far more yields than a child that only prints and faults needs. */
#define WAIT_YIELDS 100000

static void
write_kernel(void)
{
	volatile uint64_t *p = (volatile uint64_t *)KERNEL_VA;

	printf("faultkernel: writing 0x%llx\n", KERNEL_VA);
	*p = 0;
	printf("faultkernel: wrote kernel memory, survived: FAIL\n");
	exit(1);
}

static int
spawn_writer(void)
{
	static const char cmd[] = "faultkernel write";
	long slot = slot_alloc();
	long id;
	int r;

	if (slot < 0)
		return (int)slot;
	id = sys_spawn(cmd, strlen(cmd), (uint64_t)slot, ABI_SLOT_UNTYPED, 0);
	if (id < 0)
		return (int)id;
	r = env_wait_dead((uint64_t)slot, WAIT_YIELDS);
	sys_cap_delete((uint64_t)slot);
	slot_free((uint64_t)slot);
	return r;
}

int
main(int argc, char **argv)
{
	volatile uint64_t *p = (volatile uint64_t *)KERNEL_VA;
	int r;

	if (argc > 1 && strcmp(argv[1], "write") == 0)
		write_kernel();
	r = spawn_writer();
	if (r < 0)
		printf("faultkernel: writer child: %s FAIL\n", error_name(r));
	printf("faultkernel: reading 0x%llx\n", KERNEL_VA);
	printf("faultkernel: read 0x%lx, survived: FAIL\n", (unsigned long)*p);
	return 1;
}
