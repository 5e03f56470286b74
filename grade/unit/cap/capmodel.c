/* The reference model of the kern/cap random tests, written independently of kern/cap: one
 * record per slot with an explicit parent index, descendants found by walking parent chains,
 * and reference counts kept by hand.  Each model_* applies one operation with the rules and
 * the error order documented in kern/include/cap.h, and returns the expected result. */
#include "capmodel.h"

struct mslot model_caps[NG];
struct mobj model_objs[MAXOBJ];
uint64_t model_live;
int model_step;

void
model_unref(int o)
{
	while (o >= 0) {
		cr_assert_gt(model_objs[o].refs, 0, "model underflow");
		if (--model_objs[o].refs > 0)
			return;
		model_objs[o].released = true;
		model_objs[o].released_at = model_step;
		if (model_objs[o].pool >= 0)
			model_objs[model_objs[o].pool].quota += model_objs[o].charged;
		o = model_objs[o].pool;
	}
}

static void
model_fill(int g, int o, uint32_t rights, uint64_t badge, int parent)
{
	model_caps[g] = (struct mslot){ true, o, rights, badge, parent };
	model_objs[o].refs++;
	model_live++;
}

static void
model_remove(int g)
{
	int x;

	for (x = 0; x < NG; x++)
		if (model_caps[x].full && model_caps[x].parent == g)
			model_caps[x].parent = model_caps[g].parent;
	model_caps[g].full = false;
	model_live--;
	model_unref(model_caps[g].obj);
}

static bool
model_is_descendant(int x, int root)
{
	int p;

	for (p = model_caps[x].parent; p >= 0; p = model_caps[p].parent)
		if (p == root)
			return true;
	return false;
}

/* Checks 2 and 3 of cap.h for a (table, slot) the generator may have forged. */
int
model_slot(uint64_t slot, bool want_full, int t, int *g)
{
	if (slot == 0)
		return E_INVAL;
	if (slot >= NS)
		return E_RANGE;
	*g = t * NS + (int)slot;
	if (want_full && !model_caps[*g].full)
		return E_NOENT;
	if (!want_full && model_caps[*g].full)
		return E_EXIST;
	return 0;
}

int
model_derive(int t, uint64_t s, int dt, uint64_t ds, uint64_t mask, uint64_t badge, bool copy)
{
	int g, dg, err;
	struct mslot *src;

	if ((err = model_slot(s, true, t, &g)) || (err = model_slot(ds, false, dt, &dg)))
		return err;
	src = &model_caps[g];
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

int
model_retype(int t, uint64_t s, int dt, uint64_t ds, int o, uint64_t pages, uint64_t mask)
{
	int g, dg, err;
	struct mslot *src;

	if ((err = model_slot(s, true, t, &g)) || (err = model_slot(ds, false, dt, &dg)))
		return err;
	src = &model_caps[g];
	if (model_objs[src->obj].type != CAP_UNTYPED || (mask & ~(uint64_t)CAP_R_ALL))
		return E_INVAL;
	if (!(src->rights & CAP_R_WRITE) || (t != dt && !(src->rights & CAP_R_GRANT)))
		return E_PERM;
	if (model_objs[src->obj].quota < pages)
		return E_NOMEM;
	model_objs[src->obj].quota -= pages;
	model_objs[src->obj].refs++;
	model_objs[o].pool = src->obj;
	model_objs[o].charged = pages;
	model_fill(dg, o, src->rights & (uint32_t)mask, 0, g);
	return 0;
}

int
model_revoke(int t, uint64_t s)
{
	int g, x, err;

	if ((err = model_slot(s, true, t, &g)))
		return err;
	for (x = 0; x < NG; x++)
		if (model_caps[x].full && model_is_descendant(x, g)) {
			model_caps[x].full = false;
			model_live--;
			model_unref(model_caps[x].obj);
		}
	return 0;
}

int
model_delete(int t, uint64_t s)
{
	int g, err;

	if ((err = model_slot(s, true, t, &g)))
		return err;
	model_remove(g);
	return 0;
}

int
model_acquire(int t, uint64_t s, unsigned type, uint32_t need)
{
	int g, err;

	if ((err = model_slot(s, true, t, &g)))
		return err;
	if (model_objs[model_caps[g].obj].type != type || (need & ~CAP_R_ALL))
		return E_INVAL;
	if ((model_caps[g].rights & need) != need)
		return E_PERM;
	model_objs[model_caps[g].obj].refs++;
	return 0;
}

int
model_hold(int o)
{
	if (model_objs[o].released)
		return E_INVAL;
	model_objs[o].refs++;
	return 0;
}

int
model_create(int t, uint64_t s, int o, uint64_t rights)
{
	int g, err;

	if ((err = model_slot(s, false, t, &g)))
		return err;
	if (rights & ~(uint64_t)CAP_R_ALL)
		return E_INVAL;
	model_fill(g, o, (uint32_t)rights, 0, -1);
	return 0;
}

int
model_destroy(int t)
{
	int s;

	for (s = 1; s < NS; s++)
		if (model_caps[t * NS + s].full)
			model_remove(t * NS + s);
	return 0;
}
