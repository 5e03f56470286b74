/* Environments as user space sees them: status values, the register record of
 * sys_env_set_regs, the fault record of a page-fault upcall, map permissions, the env info
 * page and the capability slots every env starts with.  Values never change once used. */
#ifndef EXOLAB_ABI_ENV_H
#define EXOLAB_ABI_ENV_H

#include <stdint.h>

/* Env ids: generation << 12 | index, generations start at 1 (init is 0x1000).  0 is never
 * an env id. */
#define ABI_ENVID_INDEX(id) ((id)&0xfffull)

/* Status (sys_env_status; sys_env_set_status accepts RUNNABLE and NOT_RUNNABLE). */
#define ENV_FREE         0 /* no env in this place */
#define ENV_RUNNABLE     1 /* waiting for the CPU or running */
#define ENV_NOT_RUNNABLE 2 /* exists, never picked (fresh from exofork, or stopped) */
#define ENV_DEAD         3 /* destroyed; stays until the last capability naming it goes */

/* Map permissions (sys_map, sys_protect).  The bits are the frame rights they need
 * (CAP_R_READ/WRITE/EXEC in abi/cap.h); READ is compulsory: x86 cannot map a page without
 * reads.  Without ABI_PERM_X a page is no-execute; W and X together are refused (W^X). */
#define ABI_PERM_R   (1u << 0)
#define ABI_PERM_W   (1u << 1)
#define ABI_PERM_X   (1u << 2)
#define ABI_PERM_ALL (ABI_PERM_R | ABI_PERM_W | ABI_PERM_X)

/* Registers of an env's thread (sys_env_set_regs, and inside struct abi_fault). */
struct abi_regs {
	uint64_t rax, rbx, rcx, rdx, rsi, rdi, rbp;
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t rip, rsp, rflags; /* rflags: only the arithmetic flags, DF and AC are kept */
};

/* What the kernel pushes on the exception stack before running the page-fault upcall: the
 * record lies at the (16-byte aligned) new rsp, rdi points at it, rip is the upcall entry.
 * A fault while already on the exception stack pushes below the current rsp (nesting);
 * if the record does not fit in the mapped, writable exception stack the env is destroyed. */
struct abi_fault {
	uint64_t va;     /* the faulting address (cr2) */
	uint64_t error;  /* page-fault error code (SDM Vol. 3A 4.7): P=1 W=2 U=4 RSVD=8 I=16 */
	uint64_t vector; /* 14 */
	uint64_t pad;
	struct abi_regs regs; /* the state to resume */
};

/* One page for share_pages (syscall 46): the caller's frame capability in `slot` is copied
 * into the target env's table at the same slot number and mapped there at `va` with `perm`
 * (ABI_PERM_*); with ABI_SHARE_COW, W is left out of that mapping and taken away from the
 * caller's own mapping at `va` as well (a LibOS's copy-on-write fork, one call a run); with
 * ABI_SHARE_MAPONLY the capability is not copied (a batched map). */
struct abi_share {
	uint64_t va;
	uint32_t slot;
	uint16_t perm;
	uint16_t flags; /* ABI_SHARE_* */
};
#define ABI_SHARE_COW     0x1
#define ABI_SHARE_MAPONLY 0x2 /* no capability copy: the target maps the frame, as map does */
#define ABI_SHARE_MAX     32  /* entries per call */

/* Scheduling parameters (sys_env_set_sched).  Times are in TSC cycles.  The policy in use
 * (the kernel's sched= option) reads only its own fields, but every field must be in its
 * range whichever policy runs, or the call fails with E_INVAL:
 *   rr      quantum (0: 4 ms)
 *   prio    priority, 0 (most urgent) .. 63
 *   mlfq    none
 *   stride  tickets, 0 .. 65536 (0: 100)
 *   edf     period (0: none, then deadline and budget must be 0 too; edf itself needs one);
 *           deadline <= period (0: the period); budget <= deadline (0: not enforced) */
struct abi_sched_params {
	uint32_t priority;
	uint32_t tickets;
	uint64_t quantum;
	uint64_t period;
	uint64_t deadline;
	uint64_t budget;
};

/* Capability slots an env starts with.  Slot 0 is always empty (abi/cap.h). */
#define ABI_SLOT_SELF    1 /* an env capability to itself, all rights */
#define ABI_SLOT_UNTYPED 2 /* its page quota (init: the boot quota; spawn: the given pages) */
#define ABI_SLOT_INITRD                                                                            \
	16 /* init only: the ramdisk, one region capability (CAP_REGION) with READ,                \
	    * MAP, GRANT and DERIVE; then one device capability per PCI function,                  \
	    * abi_envinfo.dev_slot/dev_count (abi/dev.h) */

/* The read-only page at ABI_ENVINFO_VA. */
#define ABI_ENVINFO_MAGIC 0x6f666e69766e6578ull /* "xenvinfo" */
struct abi_envinfo {
	uint64_t magic;
	uint64_t envid;
	uint64_t parent;         /* the creator's id, 0 for init */
	uint64_t nslots;         /* size of the env's capability table */
	uint64_t first_free;     /* the lowest slot the kernel left free at creation */
	uint64_t initrd_va;      /* init only: where the ramdisk is mapped, else 0 */
	uint64_t initrd_size;    /* bytes */
	uint64_t initrd_slot;    /* init only: the ramdisk's region capability (ABI_SLOT_INITRD) */
	uint64_t initrd_pages;   /* its pages */
	uint64_t quota_pages;    /* pages in the quota at ABI_SLOT_UNTYPED at creation */
	char cmdline[256 + 1];   /* "name arg..." (spawn's cmd, or init=NAME), NUL-terminated */
	char tests[511];         /* init only: the kernel's tests=a,b,c value, NUL-terminated */
	uint64_t dev_slot;       /* init only: first device capability (abi/dev.h), else 0 */
	uint64_t dev_count;      /* how many */
	uint64_t core_slot;      /* init only: the capability of CPU 0 (abi/core.h), else 0 */
	uint64_t core_count;     /* how many: one per CPU, CPU i's in core_slot + i */
	uint64_t tsc_hz;         /* rdtsc cycles a second, calibrated at boot; 0: unknown */
	char kcmdline[1023 + 1]; /* the kernel's whole command line, NUL-terminated: words
	                          * for user programs (docs/architecture.md, "Command line") */
};

#endif
