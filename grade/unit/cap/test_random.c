/* Seeded random sequences of 10,000 kern/cap operations over four tables of 128 slots,
 * each checked after every step against a reference model written here independently: an
 * explicit parent index per slot, descendants found by walking parent chains, reference
 * counts recomputed by the model.  After every step the real tables must match the model
 * slot by slot (object, rights, badge, parent, child lists), and every object must have been
 * released exactly when, and exactly as often as, the model says. */
#include <stdlib.h>

#include "capfix.h"

#define NT    4
#define NS    128
#define NG    (NT * NS) /* global slot index g = table * NS + slot */
#define STEPS 10000
#define MAXOBJ 4096
#define MAXHOLD 64

struct mslot {
	bool full;
	int obj;    /* index into objs[] */
	uint32_t rights;
	uint64_t badge;
	int parent; /* global index, -1 for a root */
};

struct mobj {
	unsigned type;
	uint32_t refs;   /* capabilities + holds + objects paid from it */
	uint64_t quota;  /* untyped */
	int pool;        /* -1 or the untyped that paid */
	uint64_t charged;
	bool released;
	int released_at; /* step the model released it */
};

static struct cap slot_mem[NT][NS];
static struct cap_table tabs[NT];
static struct cap_object objs[MAXOBJ];
static struct mslot m[NG];
static struct mobj mo[MAXOBJ];
static int nobj, step;
static uint64_t mlive;
static int holds[MAXHOLD], nholds;
static int real_released_at[MAXOBJ]; /* step of the real hook, -1 before */
static unsigned real_releases[MAXOBJ];
static uint64_t rng;

static uint64_t
rnd(void)
{
	/* splitmix64 */
	uint64_t z = (rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static unsigned
below(unsigned n)
{
	return (unsigned)(rnd() % n);
}

static void
record_release(struct cap_object *obj)
{
	int i = (int)(obj - objs);

	cr_assert(i >= 0 && i < nobj, "release of an unknown object");
	real_releases[i]++;
	real_released_at[i] = step;
}

/* ---- the reference model ---- */

static void
model_unref(int o)
{
	while (o >= 0) {
		cr_assert_gt(mo[o].refs, 0, "model underflow");
		if (--mo[o].refs > 0)
			return;
		mo[o].released = true;
		mo[o].released_at = step;
		if (mo[o].pool >= 0)
			mo[mo[o].pool].quota += mo[o].charged;
		o = mo[o].pool;
	}
}

static void
model_fill(int g, int o, uint32_t rights, uint64_t badge, int parent)
{
	m[g] = (struct mslot){ true, o, rights, badge, parent };
	mo[o].refs++;
	mlive++;
}

static void
model_remove(int g)
{
	int x;

	for (x = 0; x < NG; x++)
		if (m[x].full && m[x].parent == g)
			m[x].parent = m[g].parent;
	m[g].full = false;
	mlive--;
	model_unref(m[g].obj);
}

static bool
model_is_descendant(int x, int root)
{
	int p;

	for (p = m[x].parent; p >= 0; p = m[p].parent)
		if (p == root)
			return true;
	return false;
}

/* Checks 2 and 3 of cap.h for a (table, slot) the generator may have forged. */
static int
model_slot(uint64_t slot, bool want_full, int t, int *g)
{
	if (slot == 0)
		return E_INVAL;
	if (slot >= NS)
		return E_RANGE;
	*g = t * NS + (int)slot;
	if (want_full && !m[*g].full)
		return E_NOENT;
	if (!want_full && m[*g].full)
		return E_EXIST;
	return 0;
}

static int
model_derive(int t, uint64_t s, int dt, uint64_t ds, uint64_t mask, uint64_t badge, bool copy)
{
	int g, dg, err;
	struct mslot *src;

	if ((err = model_slot(s, true, t, &g)) || (err = model_slot(ds, false, dt, &dg)))
		return err;
	src = &m[g];
	if (copy) {
		if (!(src->rights & CAP_R_GRANT))
			return E_PERM;
		model_fill(dg, src->obj, src->rights, src->badge, g);
		return 0;
	}
	if (mask & ~(uint64_t)CAP_R_ALL)
		return E_INVAL;
	if (!(src->rights & CAP_R_DERIVE) || (t != dt && !(src->rights & CAP_R_GRANT)))
		return E_PERM;
	if (badge == 0)
		badge = src->badge;
	else if (src->badge != 0 && src->badge != badge)
		return E_PERM;
	model_fill(dg, src->obj, src->rights & (uint32_t)mask, badge, g);
	return 0;
}

static int
model_retype(int t, uint64_t s, int dt, uint64_t ds, int o, uint64_t pages, uint64_t mask)
{
	int g, dg, err;
	struct mslot *src;

	if ((err = model_slot(s, true, t, &g)) || (err = model_slot(ds, false, dt, &dg)))
		return err;
	src = &m[g];
	if (mo[src->obj].type != CAP_UNTYPED || (mask & ~(uint64_t)CAP_R_ALL))
		return E_INVAL;
	if (!(src->rights & CAP_R_WRITE) || (t != dt && !(src->rights & CAP_R_GRANT)))
		return E_PERM;
	if (mo[src->obj].quota < pages)
		return E_NOMEM;
	mo[src->obj].quota -= pages;
	mo[src->obj].refs++;
	mo[o].pool = src->obj;
	mo[o].charged = pages;
	model_fill(dg, o, src->rights & (uint32_t)mask, 0, g);
	return 0;
}

static int
model_revoke(int t, uint64_t s)
{
	int g, x, err;

	if ((err = model_slot(s, true, t, &g)))
		return err;
	for (x = 0; x < NG; x++)
		if (m[x].full && model_is_descendant(x, g)) {
			m[x].full = false;
			mlive--;
			model_unref(m[x].obj);
		}
	return 0;
}

static int
model_delete(int t, uint64_t s)
{
	int g, err;

	if ((err = model_slot(s, true, t, &g)))
		return err;
	model_remove(g);
	return 0;
}

static int
model_acquire(int t, uint64_t s, unsigned type, uint32_t need)
{
	int g, err;

	if ((err = model_slot(s, true, t, &g)))
		return err;
	if (mo[m[g].obj].type != type || (need & ~CAP_R_ALL))
		return E_INVAL;
	if ((m[g].rights & need) != need)
		return E_PERM;
	mo[m[g].obj].refs++;
	return 0;
}

/* ---- checking the real tables against the model ---- */

static struct cap *
real(int g)
{
	return &slot_mem[g / NS][g % NS];
}

static void
check_slot(int g)
{
	struct cap *c = real(g), *ch;
	unsigned nchild = 0, mchild = 0;
	int x;

	cr_assert_eq(c->obj != NULL, m[g].full, "step %d slot %d: full", step, g);
	if (!m[g].full) {
		cr_assert(!c->parent && !c->first_child && !c->next_sibling && !c->prev_sibling,
			  "step %d slot %d: an empty slot keeps tree links", step, g);
		return;
	}
	cr_assert_eq(c->obj, &objs[m[g].obj], "step %d slot %d: object", step, g);
	cr_assert_eq(c->rights, m[g].rights, "step %d slot %d: rights", step, g);
	cr_assert_eq(c->badge, m[g].badge, "step %d slot %d: badge", step, g);
	cr_assert_eq(c->table, &tabs[g / NS]);
	cr_assert_eq(c->parent, m[g].parent < 0 ? NULL : real(m[g].parent),
		     "step %d slot %d: parent", step, g);
	if (c->parent) {
		cr_assert_not_null(c->parent->obj, "step %d slot %d: dangling parent", step, g);
		cr_assert_eq(c->rights & ~c->parent->rights, 0,
			     "step %d slot %d: rights grew", step, g);
		if (c->obj == c->parent->obj && c->parent->badge != 0)
			cr_assert_eq(c->badge, c->parent->badge, "step %d slot %d: badge", step, g);
	}
	for (ch = c->first_child; ch; ch = ch->next_sibling) {
		cr_assert_lt(nchild++, NG, "step %d slot %d: child list loops", step, g);
		cr_assert_eq(ch->parent, c, "step %d slot %d: child's parent", step, g);
		cr_assert_eq(ch->prev_sibling, ch == c->first_child ? NULL : ch->prev_sibling);
		if (ch->next_sibling)
			cr_assert_eq(ch->next_sibling->prev_sibling, ch);
	}
	for (x = 0; x < NG; x++)
		mchild += m[x].full && m[x].parent == g;
	cr_assert_eq(nchild, mchild, "step %d slot %d: children", step, g);
}

static void
check_objects(void)
{
	uint64_t live = 0;
	int o;

	for (o = 0; o < nobj; o++) {
		cr_assert_eq(objs[o].refs, mo[o].refs, "step %d obj %d: refs", step, o);
		cr_assert_eq(real_releases[o], mo[o].released ? 1u : 0u,
			     "step %d obj %d: released %u times", step, o, real_releases[o]);
		if (mo[o].released)
			cr_assert_eq(real_released_at[o], mo[o].released_at,
				     "step %d obj %d: released at the wrong step", step, o);
		if (mo[o].type == CAP_UNTYPED)
			cr_assert_eq(objs[o].quota, mo[o].quota, "step %d obj %d: quota", step, o);
		live += !mo[o].released && mo[o].refs > 0;
	}
	cr_assert_eq(cap_live_objects(), live, "step %d: live objects", step);
}

static void
check_all(void)
{
	unsigned used[NT] = { 0 };
	int g;

	for (g = 0; g < NG; g++) {
		check_slot(g);
		used[g / NS] += m[g].full;
	}
	for (g = 0; g < NT; g++)
		cr_assert_eq(tabs[g].used, used[g], "step %d table %d: used", step, g);
	cr_assert_eq(cap_live_count(), mlive, "step %d: live capabilities", step);
	check_objects();
}
