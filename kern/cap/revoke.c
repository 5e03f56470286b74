/* Recursive revoke without recursion: delete every descendant of a capability, in every
 * table, deepest first.  The walk keeps only the current node: it descends to a leaf,
 * deletes it, and resumes at the leaf's parent, so each edge is walked down once and each
 * node is deleted once (time linear in the subtree, constant stack).  Deleting only leaves
 * means no node is ever re-parented during a revoke. */
#include "cap_impl.h"

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
	struct cap *c;
	int err;

	hal_spin_lock(&cap_lock);
	err = cap_slot_get(t, slot, true, &c);
	if (err == 0)
		err = revoke_subtree(c);
	hal_spin_unlock(&cap_lock);
	cap_release_run();
	return err;
}
