/* The user half of every address space, as the kernel and the LibOS both see it.
 *
 *   0                     page 0 is never mappable: a NULL dereference always faults
 *   ABI_USER_START        lowest mappable address
 *   ABI_UTEXT             where user programs are linked (the loader accepts any segment
 *                         inside the user range, this is only the convention)
 *   ABI_INITRD_VA         init only: the ramdisk, mapped read-only by the kernel
 *   ABI_UXSTACK_TOP       the conventional page-fault exception stack (one page below it);
 *                         the LibOS maps it, sys_env_set_upcall names it
 *   ABI_USTACK_TOP        the user stack the loader maps (ABI_USTACK_PAGES pages below it,
 *                         then one unmapped guard page)
 *   ABI_ENVINFO_VA        one read-only page: struct abi_envinfo (abi/env.h)
 *   ABI_USER_END          end of the user range (exclusive).  The last page below the 128 TiB
 *                         canonical boundary is never mappable, so a syscall instruction can
 *                         never sit where its return address would be non-canonical
 *                         (SDM Vol. 2B SYSRET: a non-canonical rcx #GPs in ring 0).
 *   ABI_KERNEL_BASE       the kernel half, up to the top of the address space: never
 *                         accessible from user mode.  The kernel maps all physical memory
 *                         there (physical p at ABI_KERNEL_BASE + p), for itself only.
 */
#ifndef EXOLAB_ABI_MEMLAYOUT_H
#define EXOLAB_ABI_MEMLAYOUT_H

/* Constants without a C suffix in assembly and linker scripts (cpp -D__ASSEMBLER__). */
#if defined(__ASSEMBLER__) || defined(__ASSEMBLY__)
#define ABI_U64(x) x
#else
#define ABI_U64(x) x##ull
#endif

#define ABI_PAGE_SIZE ABI_U64(4096)

#define ABI_USER_START   ABI_U64(0x0000000000001000)
#define ABI_UTEXT        ABI_U64(0x0000000000400000)
#define ABI_INITRD_VA    ABI_U64(0x0000100000000000)
#define ABI_UXSTACK_TOP  ABI_U64(0x00007fffe0000000)
#define ABI_UXSTACK_SIZE ABI_PAGE_SIZE
#define ABI_USTACK_TOP   ABI_U64(0x00007ffff0000000)
#define ABI_USTACK_PAGES 16
#define ABI_ENVINFO_VA   ABI_U64(0x00007ffff8000000)
#define ABI_USER_END     ABI_U64(0x00007ffffffff000)
#define ABI_KERNEL_BASE  ABI_U64(0xffff800000000000)

/* True when [va, va + len) lies inside the user range (len may be 0).  C only. */
#define ABI_USER_RANGE_OK(va, len)                                                                 \
	((unsigned long long)(va) >= ABI_USER_START && (unsigned long long)(va) <= ABI_USER_END && \
	 (unsigned long long)(len) <= ABI_USER_END - (unsigned long long)(va))

#endif
