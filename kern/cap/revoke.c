/* Recursive revoke without recursion: delete every descendant of a capability, in every
 * table, deepest first.  The walk keeps only the current node: it descends to a leaf,
 * deletes it, and resumes at the leaf's parent, so each edge is walked down once and each
 * node is deleted once (time linear in the subtree, constant stack).  Deleting only leaves
 * means no node is ever re-parented during a revoke.
 *
 * A revoke also takes back what the deleted capabilities gave: an object that loses a
 * capability here and is still referenced afterwards (a frame some address space maps) is
 * put on a list, with a hold, and the type's revoke hook runs for it once the lock is gone
 * (the kernel's frame hook removes its mappings: docs/architecture.md, "Lifetimes").  A type
 * may ask for its hook to run for the revoked capability's own object as well (regions,
 * whose hook removes each mapping whose maker no longer holds a capability to it). */
#include "cap_impl.h"

static cap_revoke_fn revoke_hook[CAP_NTYPES];
static bool revoke_self[CAP_NTYPES]; /* the hook runs for the revoked capability's object too */

static void
set_hook(unsigned type, cap_revoke_fn fn, bool self)
{
	if (type >= CAP_NTYPES)
		HAL_PANIC("cap_set_revoke_hook: type %u", type);
	hal_spin_lock(&cap_lock);
	revoke_hook[type] = fn;
	revoke_self[type] = self && fn != NULL;
	hal_spin_unlock(&cap_lock);
}

void
cap_set_revoke_hook(unsigned type, cap_revoke_fn fn)
{
	set_hook(type, fn, false);
}

void
cap_set_revoke_hook_self(unsigned type, cap_revoke_fn fn)
{
	set_hook(type, fn, true);
}

bool
cap_table_names(struct cap_table *t, const struct cap_object *obj)
{
	bool found = false;

	hal_spin_lock(&cap_lock);
	for (uint32_t i = 0; t->slots != NULL && i < t->nslots && !found; i++)
		found = t->slots[i].obj == obj;
	hal_spin_unlock(&cap_lock);
	return found;
}

/* Puts obj on *list with a hold, once. */
static void
collect_one(struct cap_object *obj, struct cap_object **list)
{
	if (revoke_hook[obj->type] == NULL || obj->revoking)
		return;
	cap_obj_ref(obj);
	obj->revoking = true;
	obj->revoke_next = *list;
	*list = obj;
}

/* Puts on *list, with a hold, each object a descendant of root names whose type has a hook
 * (a walk in pre-order through the sibling and parent links, before anything is deleted),
 * and root's own object when its type asks for it. */
static void
revoke_collect(struct cap *root, struct cap_object **list)
{
	struct cap *c = root->first_child;

	if (revoke_self[root->obj->type])
		collect_one(root->obj, list);
	while (c != NULL) {
		collect_one(c->obj, list);
		if (c->first_child != NULL) {
			c = c->first_child;
			continue;
		}
		while (c != root && c->next_sibling == NULL)
			c = c->parent;
		c = c == root ? NULL : c->next_sibling;
	}
}

static int
revoke_subtree(struct cap *root)
{
	/* LAB 3: delete every descendant of root, leaves first, with a loop (no recursion). */
	/* BEGIN LAB 3 */
	struct cap *c = root->first_child;

	while (c != NULL) {
		struct cap *parent;

		if (c->first_child) {
			c = c->first_child;
			continue;
		}
		parent = c->parent;
		cap_clear(c);
		c = parent == root ? root->first_child : parent;
	}
	return 0;
	/* END LAB 3 */
	/* STUB LAB 3: return E_NOSYS; */
}

int
cap_revoke(struct cap_table *t, uint64_t slot)
{
	struct cap_object *list = NULL, *keep = NULL;
	struct cap *c;
	int err;

	hal_spin_lock(&cap_lock);
	err = cap_slot_get(t, slot, true, &c);
	if (err == 0) {
		keep = c->obj;
		revoke_collect(c, &list);
		err = revoke_subtree(c);
	}
	hal_spin_unlock(&cap_lock);
	cap_release_run();
	while (list != NULL) {
		struct cap_object *obj = list;
		cap_revoke_fn fn;
		bool used;

		hal_spin_lock(&cap_lock);
		list = obj->revoke_next;
		obj->revoke_next = NULL;
		obj->revoking = false;
		fn = revoke_hook[obj->type];
		used = obj->refs > 1; /* more than our hold: a mapping or a capability is left */
		hal_spin_unlock(&cap_lock);
		if (used)
			fn(obj, obj == keep ? t : NULL);
		cap_object_put(obj);
	}
	return err;
}
