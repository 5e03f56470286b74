/* Internals shared by the files of kern/cap: the module lock, slot lookup, object
 * references with their deferred release, and the derivation-tree links. */
#ifndef EXOLAB_CAP_IMPL_H
#define EXOLAB_CAP_IMPL_H

#include "abi/error.h"
#include "cap.h"
#include "hal.h"

/* Serialises every table, every tree link and every object's refs. */
extern struct hal_spinlock cap_lock;

/* Live capabilities in all tables; changed only under cap_lock. */
extern uint64_t cap_nlive;

/* The capability in (t, slot), through *out; checks 1-3 of cap.h when `want_full`
 * (a source), checks 1, 2 and 4 otherwise (a destination). */
int cap_slot_get(struct cap_table *t, uint64_t slot, bool want_full, struct cap **out);

/* References, under cap_lock.  The last unref queues the object for release on this CPU;
 * cap_release_run (called with the lock dropped, at the end of every public operation)
 * runs the hooks. */
void cap_obj_ref(struct cap_object *obj);
void cap_obj_unref(struct cap_object *obj);
void cap_release_run(void);

/* Fills the empty slot c and links it under `parent` (NULL: a root). */
void cap_fill(struct cap *c, struct cap_object *obj, uint32_t rights, uint64_t badge,
              struct cap *parent);

/* Empties c: its children move to c's parent, its object loses a reference. */
void cap_clear(struct cap *c);

/* c, a capability to a core object, is being emptied: core.c calls the kernel's hook. */
void cap_core_cleared(const struct cap *c);

#endif
