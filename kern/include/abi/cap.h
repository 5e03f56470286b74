/* The capability ABI shared by the kernel and user space: capability type numbers, rights
 * bits and the record cap_identify fills.  Values never change once used. */
#ifndef EXOLAB_ABI_CAP_H
#define EXOLAB_ABI_CAP_H

#include <stdint.h>

/* Capability types.  IRQ is reserved: creating, retyping or initialising an object of a
 * reserved type fails with E_INVAL.  CORE objects are made only by the kernel at boot. */
#define CAP_NULL     0 /* an empty slot */
#define CAP_UNTYPED  1 /* a quota of pages from which frames (and smaller quotas) are made */
#define CAP_FRAME    2 /* a physical page of 4 KiB or 2 MiB */
#define CAP_ENV      3 /* an environment */
#define CAP_ENDPOINT 4 /* an IPC endpoint */
#define CAP_DEVICE   5 /* a PCI function (abi/dev.h); made only by the kernel at boot */
#define CAP_IRQ      6 /* reserved: an interrupt line */
#define CAP_CORE     7 /* a CPU core (abi/core.h); made only by the kernel at boot */
#define CAP_NOTIFY   8 /* a notification: a 64-bit word of signal bits */
#define CAP_REGION   9 /* a run of pages mapped whole by region_map (the ramdisk, a BAR window) */
#define CAP_NTYPES   10

/* A BAR window (dev_bar, abi/dev.h) is a region whose pages map uncached. */
#define CAP_DEVMEM CAP_REGION

/* How many mappings a region made by region_derive records at once (the ramdisk's region
 * records one per env, a BAR window ABI_DEV_MAPS_MAX). */
#define ABI_REGION_RECS 16

/* Rights.  What each bit allows depends on the type:
 *
 *   READ    frame, region: map readable.     env: read its state.    endpoint: receive.
 *           notification: wait, poll.
 *   WRITE   frame, region: map writable.     env: set its state.     endpoint: send, call.
 *           untyped: allocate from the quota.                  notification: signal.
 *   EXEC    frame: map executable.
 *   MAP     frame: map at all.         env: map frames into its address space.
 *           device: make BAR windows.  region: map it (region_map).
 *   PHYS    frame, region: learn the physical address (cap_identify reports 0 without).
 *   GRANT   the capability may be placed in another environment's table (copy, or derive
 *           into another table).  endpoint: a message sent through it may carry a capability.
 *   DERIVE  the capability may have children made by derive.  region: region_derive.
 *   SCHED   env: set its scheduling parameters and CPU affinity (env_set_sched).
 *           core: claim the core (core_claim), as CAP_R_CLAIM.
 *
 * Rights only shrink: a child's rights are always a subset of its parent's. */
#define CAP_R_READ   (1u << 0)
#define CAP_R_WRITE  (1u << 1)
#define CAP_R_EXEC   (1u << 2)
#define CAP_R_MAP    (1u << 3)
#define CAP_R_PHYS   (1u << 4)
#define CAP_R_GRANT  (1u << 5)
#define CAP_R_DERIVE (1u << 6)
#define CAP_R_SCHED  (1u << 7)
#define CAP_R_ALL    0xffu
#define CAP_R_CLAIM  CAP_R_SCHED /* core: own it (abi/core.h) */

/* Badge 0 means "no badge"; a non-zero badge, once set, is inherited by every child. */
#define CAP_NO_BADGE 0

/* What cap_identify reports about one capability. */
struct cap_info {
	uint32_t type;   /* CAP_* */
	uint32_t rights; /* CAP_R_* */
	uint64_t badge;
	uint64_t id;    /* env, endpoint, notification: the kernel's name for the object;
	                 * device, BAR window: bus << 16 | device << 11 | function << 8 | BAR;
	                 * core: the CPU number */
	uint64_t phys;  /* frame, BAR window: physical base, only with CAP_R_PHYS; else 0 */
	uint64_t bytes; /* frame: 4096 or 2 MiB; BAR window: its bytes (whole pages); else 0 */
	uint64_t pages; /* untyped: pages the quota can still give; else 0 */
};

#endif
