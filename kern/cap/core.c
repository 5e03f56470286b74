/* Core objects (issue 15 item 1, docs/partitions.md): one CAP_CORE object per CPU, made by
 * the kernel at boot (kern/env/sys_core.c) and given to init.  The capability module only
 * makes them and tells the kernel when a capability to one is deleted (by cap_delete, a
 * revoke of an ancestor, or its table's destruction): a claim made through that capability
 * must end at once, so the kernel cannot wait for the object's release, which never comes
 * (the kernel keeps a hold on every core object). */
#include "cap_impl.h"

static cap_clear_fn core_hook;

int
cap_object_init_core(struct cap_object *obj, uint64_t cpu)
{
	if (obj == NULL || cpu >= CAP_MAX_CPUS)
		return E_INVAL;
	hal_spin_lock(&cap_lock);
	if (obj->state == CAP_OBJ_LIVE) {
		hal_spin_unlock(&cap_lock);
		return E_INVAL;
	}
	*obj = (struct cap_object){ .type = CAP_CORE, .state = CAP_OBJ_FRESH, .id = cpu };
	hal_spin_unlock(&cap_lock);
	return 0;
}

void
cap_set_core_hook(cap_clear_fn fn)
{
	hal_spin_lock(&cap_lock);
	core_hook = fn;
	hal_spin_unlock(&cap_lock);
}

void
cap_core_cleared(const struct cap *c)
{
	if (core_hook != NULL)
		core_hook(c);
}
