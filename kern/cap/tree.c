/* The derivation tree: every capability made by derive, copy or retype is a child of the
 * capability it came from, possibly in another table; cap_create makes roots.  Each node
 * keeps its parent and a doubly linked list of its children, so linking and unlinking are
 * O(1) and a revoke can walk a subtree without recursion (kern/cap/revoke.c).
 *
 * Delete re-parents: the children of a deleted capability become children of its parent.
 * The alternatives are worse.  Refusing to delete a capability with children would let a
 * child's holder stop its parent's holder from ever emptying a slot or destroying its env;
 * deleting the whole subtree would make delete a revoke that the holder did not ask for.
 * Re-parenting keeps the two invariants revoke relies on: every descendant of a capability
 * stays reachable from each of its remaining ancestors, and rights still only shrink along
 * every path (a grandchild's rights are a subset of the deleted child's, hence of the
 * grandparent's). */
#include "cap_impl.h"

static cap_phys_drop_fn phys_drop;

void
cap_set_phys_drop_hook(cap_phys_drop_fn fn)
{
	phys_drop = fn;
}

bool
cap_holds_locked(const struct cap_table *t, const struct cap_object *obj, uint32_t rights)
{
	uint32_t seen = 0;

	for (uint32_t i = 1; i < t->nslots && seen < t->used; i++) {
		const struct cap *c = &t->slots[i];

		if (c->obj == NULL)
			continue;
		seen++;
		if (c->obj == obj && (c->rights & rights) == rights)
			return true;
	}
	return false;
}

static void
tree_link(struct cap *parent, struct cap *c)
{
	c->parent = parent;
	c->prev_sibling = NULL;
	c->next_sibling = parent->first_child;
	if (parent->first_child)
		parent->first_child->prev_sibling = c;
	parent->first_child = c;
}

static void
tree_unlink(struct cap *c)
{
	if (c->prev_sibling)
		c->prev_sibling->next_sibling = c->next_sibling;
	else if (c->parent)
		c->parent->first_child = c->next_sibling;
	if (c->next_sibling)
		c->next_sibling->prev_sibling = c->prev_sibling;
	c->parent = NULL;
	c->next_sibling = NULL;
	c->prev_sibling = NULL;
}

void
cap_fill(struct cap *c, struct cap_object *obj, uint32_t rights, uint64_t badge, struct cap *parent)
{
	cap_obj_ref(obj);
	c->obj = obj;
	c->rights = rights;
	c->badge = badge;
	c->first_child = NULL;
	c->parent = NULL;
	c->next_sibling = NULL;
	c->prev_sibling = NULL;
	if (parent)
		tree_link(parent, c);
	c->table->used++;
	cap_nlive++;
}

void
cap_clear(struct cap *c)
{
	struct cap *up = c->parent;
	struct cap_object *obj = c->obj;
	bool phys = (c->rights & CAP_R_PHYS) && (obj->type == CAP_FRAME || obj->type == CAP_REGION);

	while (c->first_child) {
		struct cap *child = c->first_child;

		tree_unlink(child);
		if (up)
			tree_link(up, child);
	}
	tree_unlink(c);
	if (obj->type == CAP_CORE)
		cap_core_cleared(c); /* a claim made through c ends (core.c) */
	c->obj = NULL;
	c->rights = 0;
	c->badge = CAP_NO_BADGE;
	c->table->used--;
	cap_nlive--;
	if (phys && phys_drop != NULL) /* a DMA right gone: issue 14's revoke rule */
		phys_drop(c->table, obj);
	cap_obj_unref(obj);
}

int
cap_create(struct cap_table *t, uint64_t slot, struct cap_object *obj, uint64_t rights)
{
	struct cap *c;
	int err;

	if (obj == NULL)
		return E_INVAL;
	hal_spin_lock(&cap_lock);
	err = cap_slot_get(t, slot, false, &c);
	if (err == 0 && (rights & ~(uint64_t)CAP_R_ALL))
		err = E_INVAL;
	if (err == 0 && (obj->state != CAP_OBJ_FRESH && obj->state != CAP_OBJ_LIVE))
		err = E_INVAL;
	if (err == 0 && obj->refs == UINT32_MAX)
		err = E_RANGE;
	if (err == 0)
		cap_fill(c, obj, (uint32_t)rights, CAP_NO_BADGE, NULL);
	hal_spin_unlock(&cap_lock);
	return err;
}

int
cap_delete(struct cap_table *t, uint64_t slot)
{
	struct cap *c;
	int err;

	hal_spin_lock(&cap_lock);
	err = cap_slot_get(t, slot, true, &c);
	if (err == 0)
		cap_clear(c);
	hal_spin_unlock(&cap_lock);
	cap_release_run();
	return err;
}
