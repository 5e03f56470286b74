/* Capabilities (kern/cap, portable): per-environment tables of slots, the derivation tree
 * behind derive/copy/revoke/delete, and the lifetime of the objects capabilities name.
 * The kernel's syscalls call these; the type numbers and rights are in abi/cap.h.
 *
 * Memory: the cap module allocates nothing.  The caller gives each table its array of
 * slots and embeds a struct cap_object in every object a capability can name (the env, the
 * endpoint, a small record per frame or quota), so no operation can run out of memory.
 *
 * Argument checks run in this order, so each error is predictable (the host tests' reference
 * model relies on it):
 *   1. a NULL pointer argument other than a table                           -> E_INVAL
 *   2. the source: NULL table or slot 0 (reserved, always empty) -> E_INVAL,
 *      slot >= the table's size -> E_RANGE, empty slot -> E_NOENT
 *   3. the destination: NULL table or slot 0 -> E_INVAL, slot >= size -> E_RANGE,
 *      occupied slot -> E_EXIST
 *   4. a malformed value: rights bits outside CAP_R_ALL, the wrong or a reserved type,
 *      an object that is not fresh (retype) or is released (create)        -> E_INVAL
 *   5. a right the source lacks, a badge that conflicts with the source's   -> E_PERM
 *   6. an untyped quota too small                                          -> E_NOMEM
 * Slot numbers are 64-bit so a forged syscall argument is never truncated into range.
 *
 * Concurrency: one module lock serialises every operation.  None may be called from an
 * interrupt handler (the lock does not mask interrupts).  Release hooks run after the lock
 * is dropped and may call any cap_* function. */
#ifndef EXOLAB_CAP_H
#define EXOLAB_CAP_H

#include <stdint.h>

#include "abi/cap.h"
#include "hal.h"

/* A table's size is a power of two in [CAP_TABLE_MIN_SLOTS, CAP_TABLE_MAX_SLOTS]. */
#define CAP_TABLE_MIN_SLOTS 2
#define CAP_TABLE_MAX_SLOTS (1u << 16)

/* The largest CPU id the module supports (a per-CPU release queue each). */
#define CAP_MAX_CPUS 64

#define CAP_PAGE_BYTES 4096ull
#define CAP_HUGE_BYTES (2ull << 20)

enum cap_object_state {
	CAP_OBJ_UNUSED = 0, /* never initialised */
	CAP_OBJ_FRESH,      /* initialised, no capability has named it yet */
	CAP_OBJ_LIVE,       /* named by capabilities or held */
	CAP_OBJ_RELEASED,   /* its release hook has been called; initialise again to reuse */
};

/* The header the kernel embeds in every object a capability names.  `refs` counts the
 * capabilities naming the object, the kernel's holds (cap_acquire, cap_object_hold), and
 * the objects made from it by cap_retype (an untyped quota outlives what it paid for).
 * When it drops to zero the object is released: an untyped source gets its pages back and
 * the type's release hook is called exactly once. */
struct cap_object {
	uint32_t refs;
	uint8_t type;            /* CAP_* */
	uint8_t state;           /* enum cap_object_state */
	uint64_t id;             /* env, endpoint, notification: the kernel's name (cap_identify) */
	physaddr_t phys;         /* frame */
	uint64_t bytes;          /* frame: CAP_PAGE_BYTES or CAP_HUGE_BYTES */
	uint64_t quota;          /* untyped: pages still available */
	struct cap_object *pool; /* the untyped object this one was paid from, or NULL */
	uint64_t charged;        /* pages paid to `pool`, refunded at release */
	struct cap_object *release_next; /* release queue link */
	struct cap_object *revoke_next;  /* revoke.c: frames whose mappings a revoke takes back */
	bool revoking;                   /* on a revoke's list (cap_lock) */
};

/* One slot.  Empty when obj is NULL.  The derivation tree: every capability has at most one
 * parent (possibly in another table) and a doubly linked list of children. */
struct cap {
	struct cap_object *obj;
	uint32_t rights;
	uint64_t badge;
	struct cap_table *table;
	struct cap *parent;
	struct cap *first_child;
	struct cap *next_sibling;
	struct cap *prev_sibling;
};

struct cap_table {
	struct cap *slots;
	uint32_t nslots;
	uint32_t used;  /* occupied slots */
	uint64_t owner; /* the environment's id, for diagnostics */
};

/* Called once per object, with no lock held, when its last reference goes. */
typedef void (*cap_release_fn)(struct cap_object *obj);

/* Tables.  cap_table_init takes `nslots` zeroed-or-not slots of caller memory.
 * cap_table_destroy deletes every capability in the table (as cap_delete does) and leaves
 * it empty; the caller may then free the slots. */
int cap_table_init(struct cap_table *t, struct cap *slots, uint64_t nslots, uint64_t owner);
int cap_table_destroy(struct cap_table *t);

/* Objects.  The header's memory must be zeroed before its first init (state UNUSED); an
 * object may be initialised again once released.  Each returns 0 or E_INVAL (NULL, reserved
 * or unknown type, frame not aligned to its size, size neither 4 KiB nor 2 MiB, object
 * live).  cap_object_init is for CAP_ENV, CAP_ENDPOINT and CAP_NOTIFY. */
int cap_object_init(struct cap_object *obj, unsigned type, uint64_t id);
int cap_object_init_frame(struct cap_object *obj, physaddr_t phys, uint64_t bytes);
int cap_object_init_untyped(struct cap_object *obj, uint64_t pages);
void cap_set_release_hook(unsigned type, cap_release_fn fn);

/* Called by cap_clear under cap_lock, the slot already empty, when a capability with the
 * PHYS right to a CAP_FRAME or CAP_REGION leaves table t (delete, revoke, table destroy):
 * the DMA domains withdraw what t's env no longer holds (kern/env/sys_iommu.c).
 * cap_holds_locked: some slot of t names obj with every right in `rights` (cap_lock held). */
typedef void (*cap_phys_drop_fn)(struct cap_table *t, struct cap_object *obj);
void cap_set_phys_drop_hook(cap_phys_drop_fn fn);
bool cap_holds_locked(const struct cap_table *t, const struct cap_object *obj, uint32_t rights);

/* Device objects (kern/cap/device.c): CAP_DEVICE (id: the function's address) and CAP_DEVMEM
 * (a BAR window: phys and bytes page aligned, bytes > 0).  Same rules as the inits above;
 * cap_object_init refuses both types, only the kernel's device code makes them. */
int cap_object_init_device(struct cap_object *obj, unsigned type, uint64_t id, physaddr_t phys,
                           uint64_t bytes);

/* Core objects (kern/cap/core.c): CAP_CORE, id the CPU number (< CAP_MAX_CPUS).  Only the
 * kernel makes them.  The hook is called, under the module lock (it may take no lock that
 * is held around a cap_* call, and call no cap_* function), whenever a capability to a core
 * object is emptied, with that capability: the kernel ends a claim made through it. */
typedef void (*cap_clear_fn)(const struct cap *c);
int cap_object_init_core(struct cap_object *obj, uint64_t cpu);
void cap_set_core_hook(cap_clear_fn fn);

/* A child of (t, slot), which must have type `type` (E_INVAL) and the rights `need` (E_PERM),
 * naming the fresh object `obj` (a BAR window made from its device), in (dt, dslot), with
 * rights = the source's & mask and the source's badge; another table needs GRANT.  Checks
 * in cap.h's order, then those. */
int cap_derive_object(struct cap_table *t, uint64_t slot, unsigned type, uint32_t need,
                      struct cap_table *dt, uint64_t dslot, struct cap_object *obj,
                      uint64_t rights_mask);

/* A capability with no parent to a fresh or live object (the kernel's own grants: init's
 * quota, the ramdisk frames, the env capability exofork returns). */
int cap_create(struct cap_table *t, uint64_t slot, struct cap_object *obj, uint64_t rights);

/* Pays `pages` from the untyped quota in (t, slot) (needs CAP_R_WRITE) for the fresh object
 * `obj`, and puts a capability to it in (dt, dslot) as a child of the untyped capability, so
 * revoking the quota deletes what was made from it.  Rights = untyped's & mask, no badge.
 * A different destination table needs CAP_R_GRANT.  For a frame, pages is its size. */
int cap_retype(struct cap_table *t, uint64_t slot, struct cap_table *dt, uint64_t dslot,
               struct cap_object *obj, uint64_t pages, uint64_t rights_mask);

/* A child of (t, slot) in (dt, dslot) naming the same object, with rights = parent's & mask.
 * Needs CAP_R_DERIVE, and CAP_R_GRANT if dt != t.  Badge: CAP_NO_BADGE keeps the parent's;
 * another value is set if the parent has none or equals the parent's, else E_PERM. */
int cap_derive(struct cap_table *t, uint64_t slot, struct cap_table *dt, uint64_t dslot,
               uint64_t rights_mask, uint64_t badge);

/* A child of (t, slot) in (dt, dslot) with the same rights and badge.  Needs CAP_R_GRANT,
 * into any table.  A copy is a child, so revoking the original removes the copy. */
int cap_copy(struct cap_table *t, uint64_t slot, struct cap_table *dt, uint64_t dslot);

/* Deletes every descendant of (t, slot), in every table; the capability itself stays.
 * Iterative, linear in the size of the subtree. */
int cap_revoke(struct cap_table *t, uint64_t slot);

/* Deletes (t, slot); its children become children of its parent (roots if it had none). */
int cap_delete(struct cap_table *t, uint64_t slot);

int cap_identify(struct cap_table *t, uint64_t slot, struct cap_info *out);

/* For the kernel's syscalls: the object in (t, slot) if it has type `type` (E_INVAL) and
 * every right in `need` (E_PERM), with a hold taken so it survives a concurrent revoke.
 * `rights` (may be NULL) receives the capability's rights.  Drop the hold with
 * cap_object_put; a kernel that keeps one hold per mapping of a frame frees the frame only
 * when its last capability and its last mapping are gone. */
int cap_acquire(struct cap_table *t, uint64_t slot, unsigned type, uint32_t need,
                struct cap_object **obj, uint32_t *rights);
/* The same, and the capability's badge through `badge` (may be NULL): IPC's sender badge. */
int cap_acquire_badge(struct cap_table *t, uint64_t slot, unsigned type, uint32_t need,
                      struct cap_object **obj, uint32_t *rights, uint64_t *badge);

/* cap_acquire_badge without the hold, for a caller that holds a lock every change of a
 * capability table also holds (in the kernel the env lock, kern/env/lock.c): while it keeps
 * that lock no capability can be deleted, so the object cannot be released and *obj stays
 * valid; it must not use *obj after letting go.  The IPC fast path (kern/ipc/fastpath.c). */
int cap_peek(struct cap_table *t, uint64_t slot, unsigned type, uint32_t need,
             struct cap_object **obj, uint64_t *badge);

/* Checks (t, slot) as a source (want_full: checks 1-2 of the list above, and its rights
 * through `rights` if not NULL) or as a destination (check 3), changing nothing. */
int cap_probe(struct cap_table *t, uint64_t slot, bool want_full, uint32_t *rights);

/* True if (t, slot) holds a capability to obj (IPC: is a waiter's capability still there). */
bool cap_names(struct cap_table *t, uint64_t slot, const struct cap_object *obj);

/* A hold on an object the kernel already has in hand, with no capability to look it up
 * through: a page it maps for an env on its own account (a loaded program, the ramdisk).
 * The object may be fresh (the hold makes it live, and its release then runs when the last
 * hold or capability goes) or live.  E_INVAL: NULL, never initialised or released;
 * E_RANGE: the reference count is full.  Dropped with cap_object_put like any hold. */
int cap_object_hold(struct cap_object *obj);
void cap_object_put(struct cap_object *obj);

/* Charges to an untyped object the caller holds (a quota whose pages pay for kernel memory
 * with no capability of its own: an env's pages, its page tables).  take: E_NOMEM when fewer
 * than `pages` remain, E_INVAL for a released or non-untyped object; give returns them. */
int cap_quota_take(struct cap_object *pool, uint64_t pages);
void cap_quota_give(struct cap_object *pool, uint64_t pages);

/* Called after cap_revoke, with no lock held, once per object of `type` that lost a
 * capability in the revoke and is still referenced (a mapping or another hold keeps it):
 * `keeper` is the table whose capability was revoked when it names obj itself (its holder
 * keeps what it mapped), NULL when it names something else (an untyped quota the object was
 * paid from).  The kernel's frame hook removes the mappings (kern/env/vm.c). */
typedef void (*cap_revoke_fn)(struct cap_object *obj, struct cap_table *keeper);
void cap_set_revoke_hook(unsigned type, cap_revoke_fn fn);
/* The same, and the hook also runs for the revoked capability's own object when it is of
 * `type` (even with no descendant left: a holder that deleted its derived copy after using
 * it is still reached).  For hooks that find by themselves what to take back (regions). */
void cap_set_revoke_hook_self(unsigned type, cap_revoke_fn fn);
/* Whether some slot of table t names obj (a scan of the table, under the module lock). */
bool cap_table_names(struct cap_table *t, const struct cap_object *obj);

/* Accounting, for leak checks: capabilities in every table, objects not yet released. */
uint64_t cap_live_count(void);
uint64_t cap_live_objects(void);

#endif
