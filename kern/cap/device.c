/* Device objects (issue 12 item 2): a PCI function (CAP_DEVICE) and a window on one of its
 * memory BARs (CAP_DEVMEM).  The kernel makes the device objects at boot; a window is a
 * new object whose capability is a child of the device capability it was made from, so
 * revoking the device capability deletes every window (and, through the window's release
 * hook in kern/env/sys_dev.c, every mapping made through it). */
#include "cap_impl.h"

int
cap_object_init_device(struct cap_object *obj, unsigned type, uint64_t id, physaddr_t phys,
                       uint64_t bytes)
{
	if (obj == NULL || (type != CAP_DEVICE && type != CAP_DEVMEM))
		return E_INVAL;
	if (type == CAP_DEVMEM &&
	    (bytes == 0 || (phys & (CAP_PAGE_BYTES - 1)) || (bytes & (CAP_PAGE_BYTES - 1))))
		return E_INVAL;
	hal_spin_lock(&cap_lock);
	if (obj->state == CAP_OBJ_LIVE) {
		hal_spin_unlock(&cap_lock);
		return E_INVAL;
	}
	*obj = (struct cap_object){ .type = (uint8_t)type,
		                    .state = CAP_OBJ_FRESH,
		                    .id = id,
		                    .phys = phys,
		                    .bytes = bytes };
	hal_spin_unlock(&cap_lock);
	return 0;
}

int
cap_derive_object(struct cap_table *t, uint64_t slot, unsigned type, uint32_t need,
                  struct cap_table *dt, uint64_t dslot, struct cap_object *obj,
                  uint64_t rights_mask)
{
	struct cap *src, *dst;
	int err;

	if (obj == NULL)
		return E_INVAL;
	hal_spin_lock(&cap_lock);
	if ((err = cap_slot_get(t, slot, true, &src)) < 0 ||
	    (err = cap_slot_get(dt, dslot, false, &dst)) < 0)
		goto out;
	if (src->obj->type != type || (rights_mask & ~(uint64_t)CAP_R_ALL) ||
	    obj->state != CAP_OBJ_FRESH || (need & ~CAP_R_ALL)) {
		err = E_INVAL;
		goto out;
	}
	if ((src->rights & need) != need || (dt != t && !(src->rights & CAP_R_GRANT))) {
		err = E_PERM;
		goto out;
	}
	cap_fill(dst, obj, src->rights & (uint32_t)rights_mask, src->badge, src);
out:
	hal_spin_unlock(&cap_lock);
	return err;
}
