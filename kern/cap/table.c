/* Capability tables: one per environment, a power-of-two array of slots the caller owns,
 * slot 0 reserved and always empty so that a zeroed slot number never names a capability.
 * Slot lookup is where every forged or stale slot number a syscall passes is turned away. */
#include "cap_impl.h"

uint64_t cap_nlive;

int
cap_table_init(struct cap_table *t, struct cap *slots, uint64_t nslots, uint64_t owner)
{
	uint64_t i;

	if (t == NULL || slots == NULL)
		return E_INVAL;
	if (nslots < CAP_TABLE_MIN_SLOTS || nslots > CAP_TABLE_MAX_SLOTS ||
	    (nslots & (nslots - 1)) != 0)
		return E_INVAL;
	/* Only `obj` tells an empty slot; cap_slot_get fills in the rest of a slot (its table)
	 * when it hands the slot out empty, and cap_fill the other fields.  A fork from init
	 * makes a table of 1,024 slots: writing each whole slot here cost 15,000 instructions. */
	for (i = 0; i < nslots; i++)
		slots[i].obj = NULL;
	t->slots = slots;
	t->nslots = (uint32_t)nslots;
	t->used = 0;
	t->owner = owner;
	return 0;
}

int
cap_slot_get(struct cap_table *t, uint64_t slot, bool want_full, struct cap **out)
{
	struct cap *c;

	if (t == NULL || slot == 0)
		return E_INVAL;
	if (slot >= t->nslots)
		return E_RANGE;
	c = &t->slots[slot];
	if (want_full && c->obj == NULL)
		return E_NOENT;
	if (!want_full) {
		if (c->obj != NULL)
			return E_EXIST;
		c->table = t; /* the slot is about to be filled (cap_table_init left it unset) */
	}
	*out = c;
	return 0;
}

int
cap_identify(struct cap_table *t, uint64_t slot, struct cap_info *out)
{
	const struct cap_object *obj;
	struct cap *c;
	int err;

	if (out == NULL)
		return E_INVAL;
	hal_spin_lock(&cap_lock);
	if ((err = cap_slot_get(t, slot, true, &c)) < 0) {
		hal_spin_unlock(&cap_lock);
		return err;
	}
	obj = c->obj;
	*out = (struct cap_info){ .type = obj->type, .rights = c->rights, .badge = c->badge };
	if (obj->type == CAP_ENV || obj->type == CAP_ENDPOINT || obj->type == CAP_NOTIFY ||
	    obj->type == CAP_DEVICE || obj->type == CAP_DEVMEM || obj->type == CAP_CORE)
		out->id = obj->id;
	if (obj->type == CAP_FRAME || obj->type == CAP_DEVMEM) {
		out->bytes = obj->bytes;
		if (c->rights & CAP_R_PHYS)
			out->phys = obj->phys;
	}
	if (obj->type == CAP_UNTYPED)
		out->pages = obj->quota;
	hal_spin_unlock(&cap_lock);
	return 0;
}

/* The environment is going away.  Children held elsewhere move up to the deleted
 * capabilities' parents, exactly as cap_delete does, so no other table keeps a dangling
 * parent and every ancestor's revoke still reaches them. */
int
cap_table_destroy(struct cap_table *t)
{
	uint32_t i;

	if (t == NULL || t->slots == NULL)
		return E_INVAL;
	hal_spin_lock(&cap_lock);
	/* `used` counts the full slots (cap_fill, cap_clear): the scan ends at the last one
	 * instead of reading every empty slot after it. */
	for (i = 1; i < t->nslots && t->used > 0; i++)
		if (t->slots[i].obj != NULL)
			cap_clear(&t->slots[i]);
	if (t->used != 0)
		HAL_PANIC("cap_table_destroy: %u slots still used", t->used);
	hal_spin_unlock(&cap_lock);
	cap_release_run();
	return 0;
}

int
cap_probe(struct cap_table *t, uint64_t slot, bool want_full, uint32_t *rights)
{
	struct cap *c;
	int err;

	hal_spin_lock(&cap_lock);
	err = cap_slot_get(t, slot, want_full, &c);
	if (err == 0 && rights != NULL)
		*rights = want_full ? c->rights : 0;
	hal_spin_unlock(&cap_lock);
	return err;
}

/* No cap_lock either: every writer of a table holds the caller's lock too (cap.h). */
int
cap_peek(struct cap_table *t, uint64_t slot, unsigned type, uint32_t need, struct cap_object **obj,
         uint64_t *badge)
{
	struct cap *c;
	int err;

	if ((err = cap_slot_get(t, slot, true, &c)) < 0)
		return err;
	if (c->obj->type != type || (need & ~CAP_R_ALL))
		return E_INVAL;
	if ((c->rights & need) != need)
		return E_PERM;
	*obj = c->obj;
	*badge = c->badge;
	return 0;
}

bool
cap_names(struct cap_table *t, uint64_t slot, const struct cap_object *obj)
{
	struct cap *c;
	bool yes;

	hal_spin_lock(&cap_lock);
	yes = cap_slot_get(t, slot, true, &c) == 0 && c->obj == obj;
	hal_spin_unlock(&cap_lock);
	return yes;
}

uint64_t
cap_live_count(void)
{
	uint64_t n;

	hal_spin_lock(&cap_lock);
	n = cap_nlive;
	hal_spin_unlock(&cap_lock);
	return n;
}
