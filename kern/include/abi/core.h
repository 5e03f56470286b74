/* Core capabilities (issue 15 item 1, docs/partitions.md): the kernel makes one CAP_CORE
 * object per CPU and gives init a capability to each, all rights, in slots
 * abi_envinfo.core_slot + cpu.  core_claim (needs CAP_R_CLAIM) makes the core run one env
 * only, with no timer tick and no device interrupt; core_release, or deleting the
 * capability the claim was made through (cap_delete, a revoke of an ancestor), returns it
 * to the scheduler.  core_stat reads any CPU's interrupt counters. */
#ifndef EXOLAB_ABI_CORE_H
#define EXOLAB_ABI_CORE_H

#include <stdint.h>

/* core_claim's eslot: the caller itself. */
#define ABI_CORE_SELF 0

/* What core_stat fills: interrupts this CPU took since boot, by kind, and its owner. */
struct abi_core_stat {
	uint64_t timer;  /* its local APIC timer */
	uint64_t device; /* console, INTx lines, MSI/MSI-X vectors */
	uint64_t ipi;    /* reschedule and TLB shootdown IPIs */
	uint64_t other;  /* anything else (spurious, test vectors) */
	uint64_t owner;  /* the id of the env that owns the core, 0: the scheduler's */
	uint64_t stops;  /* claims ended by a deletion of their capability (revocations) */
};

#endif
