/* Making new capabilities from old ones: derive (fewer rights, maybe a badge), copy (the
 * same rights, into any table, with the grant right) and retype (a new object paid from an
 * untyped quota).  Each result is a child of its source in the derivation tree, so the
 * source's revoke removes it wherever it went. */
#include "cap_impl.h"

/* The source must be full and the destination empty; checks 2 and 3 of cap.h. */
static int
lookup_pair(struct cap_table *t, uint64_t slot, struct cap_table *dt, uint64_t dslot,
            struct cap **src, struct cap **dst)
{
	int err;

	if ((err = cap_slot_get(t, slot, true, src)) < 0)
		return err;
	/* Every result references the source's object (or, for retype, pays from it): a count
	 * at its maximum is an error, not cap_obj_ref's panic. */
	if ((*src)->obj->refs == UINT32_MAX)
		return E_RANGE;
	return cap_slot_get(dt, dslot, false, dst);
}

/* Rights = the parent's & mask; a badge, once set, never changes along a path. */
static int
derive_child(struct cap *src, struct cap *dst, bool other_table, uint64_t mask, uint64_t badge)
{
	/* LAB 3: check the mask, the rights and the badge rule, then fill dst as src's child. */
	/* BEGIN LAB 3 */
	if (mask & ~(uint64_t)CAP_R_ALL)
		return E_INVAL;
	if (!(src->rights & CAP_R_DERIVE))
		return E_PERM;
	if (other_table && !(src->rights & CAP_R_GRANT))
		return E_PERM;
	if (badge == CAP_NO_BADGE)
		badge = src->badge;
	else if (src->badge != CAP_NO_BADGE && src->badge != badge)
		return E_PERM;
	cap_fill(dst, src->obj, src->rights & (uint32_t)mask, badge, src);
	return 0;
	/* END LAB 3 */
	/* STUB LAB 3: return E_NOSYS; */
}

int
cap_derive(struct cap_table *t, uint64_t slot, struct cap_table *dt, uint64_t dslot,
           uint64_t rights_mask, uint64_t badge)
{
	struct cap *src, *dst;
	int err;

	hal_spin_lock(&cap_lock);
	err = lookup_pair(t, slot, dt, dslot, &src, &dst);
	if (err == 0)
		err = derive_child(src, dst, dt != t, rights_mask, badge);
	hal_spin_unlock(&cap_lock);
	return err;
}

int
cap_copy(struct cap_table *t, uint64_t slot, struct cap_table *dt, uint64_t dslot)
{
	struct cap *src, *dst;
	int err;

	hal_spin_lock(&cap_lock);
	err = lookup_pair(t, slot, dt, dslot, &src, &dst);
	if (err == 0 && !(src->rights & CAP_R_GRANT))
		err = E_PERM;
	if (err == 0)
		cap_fill(dst, src->obj, src->rights, src->badge, src);
	hal_spin_unlock(&cap_lock);
	return err;
}

/* Checks 4-6 of cap.h for a retype from the untyped capability src. */
static int
retype_check(const struct cap *src, bool other_table, const struct cap_object *obj, uint64_t pages,
             uint64_t mask)
{
	if (src->obj->type != CAP_UNTYPED || (mask & ~(uint64_t)CAP_R_ALL))
		return E_INVAL;
	if (obj->state != CAP_OBJ_FRESH)
		return E_INVAL;
	if (!(src->rights & CAP_R_WRITE))
		return E_PERM;
	if (other_table && !(src->rights & CAP_R_GRANT))
		return E_PERM;
	if (src->obj->quota < pages)
		return E_NOMEM;
	return 0;
}

int
cap_retype(struct cap_table *t, uint64_t slot, struct cap_table *dt, uint64_t dslot,
           struct cap_object *obj, uint64_t pages, uint64_t rights_mask)
{
	struct cap *src, *dst;
	struct cap_object *pool;
	int err;

	if (obj == NULL)
		return E_INVAL;
	hal_spin_lock(&cap_lock);
	err = lookup_pair(t, slot, dt, dslot, &src, &dst);
	if (err == 0)
		err = retype_check(src, dt != t, obj, pages, rights_mask);
	if (err == 0) {
		pool = src->obj;
		pool->quota -= pages;
		cap_obj_ref(pool);
		obj->pool = pool;
		obj->charged = pages;
		cap_fill(dst, obj, src->rights & (uint32_t)rights_mask, CAP_NO_BADGE, src);
	}
	hal_spin_unlock(&cap_lock);
	return err;
}
