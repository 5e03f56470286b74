/* Turns on the syscall instruction: its entry point, the segments it loads and the rflags
 * bits it clears (Intel SDM Vol. 3A 5.8.8, "Fast System Calls in 64-Bit Mode"). */
#include <stdint.h>

#include "cpu.h"
#include "syscall.h"
#include "x86.h"

#define MSR_EFER  0xC0000080
#define MSR_STAR  0xC0000081
#define MSR_LSTAR 0xC0000082
#define MSR_FMASK 0xC0000084
#define EFER_SCE  (1ull << 0)

/* Cleared on entry: TF (8), IF (9), DF (10), IOPL (12-13), NT (14), AC (18).  A clear AC
 * keeps SMAP armed in the kernel whatever user space left in it. */
#define SYSCALL_FMASK 0x47700ull

/* SYSRET loads CS = STAR[63:48] + 16 and SS = STAR[63:48] + 8 (SDM Vol. 2B SYSRET), so the
 * user data descriptor must sit just below user code, as cpu.h lays them out. */
_Static_assert(GDT_UCODE == GDT_UDATA + 8, "sysret needs user data just below user code");
_Static_assert(SYSCALL_USER_CS == GDT_UCODE && SYSCALL_USER_SS == GDT_UDATA,
               "syscall.h selectors differ from cpu.h");
_Static_assert(GDT_KDATA == GDT_KCODE + 8, "syscall needs kernel data just above kernel code");

void
syscall_init(void)
{
	uint64_t star = ((uint64_t)(GDT_UDATA - 8) << 48) | ((uint64_t)GDT_KCODE << 32);

	wrmsr(MSR_STAR, star);
	wrmsr(MSR_LSTAR, (uint64_t)(uintptr_t)syscall_entry);
	wrmsr(MSR_FMASK, SYSCALL_FMASK);
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);
}
