/* The capability half of the kernel invariant checker (capcheck.h).  The invariants, each
 * from the comment of the code that keeps it (kern/cap, kern/env/frame.c):
 *  - a table's `used` is its number of occupied slots, and their sum is cap_nlive;
 *  - an occupied slot names its own table and a LIVE object of a usable type;
 *  - the derivation tree is a forest: a parent is occupied, a child's rights are a subset
 *    of its parent's, sibling lists are doubly linked and start at the parent's
 *    first_child, every child names its parent, and no path upwards loops;
 *  - an object's reference count is at least the capabilities naming it plus the
 *    references the caller saw elsewhere (mappings) plus the objects paid from it (an
 *    untyped quota); kernel holds make up the rest, so "at least" is all that can be said;
 *  - an object paid from a pool names a LIVE untyped pool and was charged at least one
 *    page; a quota never exceeds the machine's pages. */
#include "capcheck.h"

#include "../cap/cap_impl.h"

static void
bad(struct cap_check *ck, const char *what, const void *where, uint64_t got, uint64_t want)
{
	ck->nerrors++;
	if (ck->report)
		ck->report(ck->ctx, what, where, got, want);
}

size_t
cap_check_scratch_need(struct cap_table *const *tables, size_t ntables, size_t nextra)
{
	size_t n = nextra;

	for (size_t i = 0; i < ntables; i++)
		n += 2 * (size_t)tables[i]->nslots;
	return n;
}

/* Sibling and child links of the occupied slot c, and its path to its root. */
static void
check_links(struct cap_check *ck, const struct cap *c, uint64_t limit)
{
	const struct cap *p = c->parent, *up = c;
	uint64_t steps = 0, nchild = 0;

	if (p != NULL && p->obj == NULL)
		bad(ck, "the parent of a capability is an empty slot", c, 0, 1);
	if (p != NULL && (c->rights & ~p->rights))
		bad(ck, "a capability has rights its parent lacks", c, c->rights, p->rights);
	if (c->prev_sibling != NULL && c->prev_sibling->next_sibling != c)
		bad(ck, "prev_sibling's next_sibling is not this capability", c, 0, 1);
	if (c->prev_sibling == NULL && p != NULL && p->first_child != c)
		bad(ck, "a first sibling is not its parent's first_child", c, 0, 1);
	if (c->next_sibling != NULL &&
	    (c->next_sibling->prev_sibling != c || c->next_sibling->parent != p))
		bad(ck, "next_sibling does not link back or has another parent", c, 0, 1);
	for (const struct cap *ch = c->first_child; ch != NULL && nchild <= limit;
	     ch = ch->next_sibling, nchild++)
		if (ch->parent != c)
			bad(ck, "a child names another parent", ch, 0, 1);
	if (nchild > limit)
		bad(ck, "a child list loops", c, nchild, limit);
	while (up->parent != NULL && steps <= limit) {
		up = up->parent;
		steps++;
	}
	if (steps > limit)
		bad(ck, "the path to the root loops", c, steps, limit);
}

/* One occupied slot: its table, its object's state, its links. */
static void
check_slot(struct cap_check *ck, const struct cap_table *t, const struct cap *c, uint64_t limit)
{
	const struct cap_object *o = c->obj;

	if (c->table != t)
		bad(ck, "a capability names another table", c, 0, 1);
	if (o->state != CAP_OBJ_LIVE || o->refs == 0)
		bad(ck, "a capability names an object that is not LIVE", o, o->state, CAP_OBJ_LIVE);
	if (o->type == CAP_NULL || o->type >= CAP_NTYPES)
		bad(ck, "a capability names an object of no type", o, o->type, CAP_NTYPES);
	check_links(ck, c, limit);
}

static void
sift(struct cap_object **a, size_t i, size_t n)
{
	for (;;) {
		size_t big = i, l = 2 * i + 1, r = l + 1;
		struct cap_object *t;

		if (l < n && (uintptr_t)a[l] > (uintptr_t)a[big])
			big = l;
		if (r < n && (uintptr_t)a[r] > (uintptr_t)a[big])
			big = r;
		if (big == i)
			return;
		t = a[i];
		a[i] = a[big];
		a[big] = t;
		i = big;
	}
}

/* Heapsort: no recursion, no allocation, O(n log n) on the scratch array. */
static void
sort_objects(struct cap_object **a, size_t n)
{
	for (size_t i = n / 2; i-- > 0;)
		sift(a, i, n);
	for (size_t end = n; end-- > 1;) {
		struct cap_object *t = a[0];

		a[0] = a[end];
		a[end] = t;
		sift(a, 0, end);
	}
}

/* One distinct object seen `seen` times (capabilities, outside references, paid objects). */
static void
check_object(struct cap_check *ck, const struct cap_object *o, uint64_t seen)
{
	ck->nobjects++;
	if (o->state != CAP_OBJ_LIVE)
		bad(ck, "a referenced object is not LIVE", o, o->state, CAP_OBJ_LIVE);
	if (o->refs < seen)
		bad(ck, "an object has fewer references than were found", o, o->refs, seen);
	if (o->pool != NULL && (o->pool->type != CAP_UNTYPED || o->pool->state != CAP_OBJ_LIVE))
		bad(ck, "an object was paid from a pool that is not a LIVE untyped", o,
		    o->pool->state, CAP_OBJ_LIVE);
	if ((o->pool != NULL) != (o->charged != 0))
		bad(ck, "an object's charge and its pool disagree", o, o->charged, o->pool != NULL);
	if (o->type == CAP_UNTYPED && o->quota > ck->max_pages)
		bad(ck, "an untyped quota exceeds the machine's pages", o, o->quota, ck->max_pages);
}

/* Fills the scratch array with one pointer per capability and outside reference, sorted;
 * then one more per distinct object paid from a pool (the reference it holds on the pool),
 * sorted again.  False if the array is too small. */
static bool
collect(struct cap_check *ck, size_t *n)
{
	size_t k = 0, end;

	for (size_t i = 0; i < ck->nextra; i++) {
		if (k == ck->nscratch)
			return false;
		ck->scratch[k++] = ck->extra[i];
	}
	for (size_t i = 0; i < ck->ntables; i++) {
		const struct cap_table *t = ck->tables[i];

		for (uint32_t s = 0; t->slots != NULL && s < t->nslots; s++) {
			if (t->slots[s].obj == NULL)
				continue;
			if (k == ck->nscratch)
				return false;
			ck->scratch[k++] = t->slots[s].obj;
		}
	}
	sort_objects(ck->scratch, k);
	end = k;
	for (size_t i = 0; i < end; i++) {
		if ((i > 0 && ck->scratch[i] == ck->scratch[i - 1]) || ck->scratch[i]->pool == NULL)
			continue;
		if (k == ck->nscratch)
			return false;
		ck->scratch[k++] = ck->scratch[i]->pool;
	}
	sort_objects(ck->scratch, k);
	*n = k;
	return true;
}

int
cap_check_run(struct cap_check *ck)
{
	uint64_t used_sum = 0;
	size_t n = 0;

	ck->ncaps = ck->nobjects = ck->nerrors = 0;
	hal_spin_lock(&cap_lock);
	for (size_t i = 0; i < ck->ntables; i++) {
		const struct cap_table *t = ck->tables[i];
		uint64_t used = 0;

		for (uint32_t s = 0; t->slots != NULL && s < t->nslots; s++) {
			if (t->slots[s].obj == NULL)
				continue;
			used++;
			check_slot(ck, t, &t->slots[s], cap_nlive);
		}
		if (used != t->used)
			bad(ck, "a table's used count is not its occupied slots", t, t->used, used);
		used_sum += used;
		ck->ncaps += used;
	}
	if (ck->all_tables && used_sum != cap_nlive)
		bad(ck, "cap_nlive is not the occupied slots of every table", &cap_nlive, cap_nlive,
		    used_sum);
	if (!collect(ck, &n)) {
		hal_spin_unlock(&cap_lock);
		return E_NOMEM;
	}
	for (size_t i = 0, j; i < n; i = j) {
		for (j = i + 1; j < n && ck->scratch[j] == ck->scratch[i]; j++)
			;
		check_object(ck, ck->scratch[i], j - i);
	}
	hal_spin_unlock(&cap_lock);
	return 0;
}
