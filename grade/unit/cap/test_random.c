/* Seeded random sequences of 10,000 kern/cap operations over four tables of 128 slots,
 * each checked after every step against the reference model of capmodel.c.  After every step the
 * real tables must match the model slot by slot (object, rights, badge, parent, child lists), and
 * every object must have been released exactly when, and exactly as often as, the model says. */
#include <stdlib.h>

#include "capmodel.h"
#include "simhal.h"
#include "rng/rng.h"

#define STEPS   10000
#define MAXHOLD 64

static struct cap slot_mem[NT][NS];
static struct cap_table tabs[NT];
static struct cap_object objs[MAXOBJ];
static int nobj, step;
static int holds[MAXHOLD], nholds;
static int real_released_at[MAXOBJ]; /* step of the real hook, -1 before */
static unsigned real_releases[MAXOBJ];
/* The project's deterministic random streams (sim/rng), seeded per test. */
static struct rng rng;

static uint64_t
rnd(void)
{
	return rng_next(&rng);
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

/* ---- checking the real tables against the model ---- */

static struct cap *
real(int g)
{
	return &slot_mem[g / NS][g % NS];
}

static unsigned mchildren[NG];

static void
check_slot(int g)
{
	struct cap *c = real(g), *ch, *prev = NULL;
	unsigned nchild = 0;

	cr_assert_eq(c->obj != NULL, model_caps[g].full, "step %d slot %d: full", step, g);
	if (!model_caps[g].full) {
		cr_assert(!c->parent && !c->first_child && !c->next_sibling && !c->prev_sibling,
		          "step %d slot %d: an empty slot keeps tree links", step, g);
		return;
	}
	cr_assert_eq(c->obj, &objs[model_caps[g].obj], "step %d slot %d: object", step, g);
	cr_assert_eq(c->rights, model_caps[g].rights, "step %d slot %d: rights", step, g);
	cr_assert_eq(c->badge, model_caps[g].badge, "step %d slot %d: badge", step, g);
	cr_assert_eq(c->table, &tabs[g / NS]);
	cr_assert_eq(c->parent, model_caps[g].parent < 0 ? NULL : real(model_caps[g].parent),
	             "step %d slot %d: parent", step, g);
	if (c->parent) {
		cr_assert_not_null(c->parent->obj, "step %d slot %d: dangling parent", step, g);
		cr_assert_eq(c->rights & ~c->parent->rights, 0, "step %d slot %d: rights grew",
		             step, g);
		if (c->obj == c->parent->obj && c->parent->badge != 0)
			cr_assert_eq(c->badge, c->parent->badge, "step %d slot %d: badge", step, g);
	}
	for (ch = c->first_child; ch; ch = ch->next_sibling) {
		cr_assert_lt(nchild++, NG, "step %d slot %d: child list loops", step, g);
		cr_assert_eq(ch->parent, c, "step %d slot %d: child's parent", step, g);
		cr_assert_eq(ch->prev_sibling, prev, "step %d slot %d: sibling links", step, g);
		prev = ch;
	}
	cr_assert_eq(nchild, mchildren[g], "step %d slot %d: children", step, g);
}

static void
check_objects(void)
{
	uint64_t live = 0;
	int o;

	for (o = 0; o < nobj; o++) {
		cr_assert_eq(objs[o].refs, model_objs[o].refs, "step %d obj %d: refs", step, o);
		cr_assert_eq(real_releases[o], model_objs[o].released ? 1u : 0u,
		             "step %d obj %d: released %u times", step, o, real_releases[o]);
		if (model_objs[o].released)
			cr_assert_eq(real_released_at[o], model_objs[o].released_at,
			             "step %d obj %d: released at the wrong step", step, o);
		if (model_objs[o].type == CAP_UNTYPED)
			cr_assert_eq(objs[o].quota, model_objs[o].quota, "step %d obj %d: quota",
			             step, o);
		live += !model_objs[o].released && model_objs[o].refs > 0;
	}
	cr_assert_eq(cap_live_objects(), live, "step %d: live objects", step);
}

static void
check_all(void)
{
	unsigned used[NT] = { 0 };
	int g;

	memset(mchildren, 0, sizeof(mchildren));
	for (g = 0; g < NG; g++)
		if (model_caps[g].full && model_caps[g].parent >= 0)
			mchildren[model_caps[g].parent]++;
	for (g = 0; g < NG; g++) {
		check_slot(g);
		used[g / NS] += model_caps[g].full;
	}
	for (g = 0; g < NT; g++)
		cr_assert_eq(tabs[g].used, used[g], "step %d table %d: used", step, g);
	cr_assert_eq(cap_live_count(), model_live, "step %d: live capabilities", step);
	check_objects();
}

/* ---- the generator ---- */

struct stats {
	unsigned ok[11];      /* successful operations, by kind */
	unsigned max_revoked; /* most capabilities one revoke removed */
	unsigned max_depth;   /* deepest derivation chain seen */
	unsigned cross_links; /* parent in another table, at the end of a step, summed */
	uint64_t fill;        /* live capabilities at the end of a step, summed */
};
static struct stats st;

enum {
	OP_CREATE,
	OP_DERIVE,
	OP_COPY,
	OP_RETYPE,
	OP_REVOKE,
	OP_DELETE,
	OP_ACQUIRE,
	OP_PUT,
	OP_HOLD,
	OP_IDENTIFY,
	OP_DESTROY
};

/* A slot number of table t: mostly a full (or empty) one, sometimes anything, sometimes
 * forged: 0, past the end, or a 64-bit value whose low bits are in range. */
static uint64_t
pick_slot(int t, bool want_full)
{
	unsigned r = below(100), start = below(NS), i;

	if (r < 2)
		return 0;
	if (r < 4)
		return below(2) ? NS : NS + below(1000);
	if (r < 5)
		return below(2) ? UINT64_MAX : (1ull << 32) + 1 + below(NS - 1);
	if (r < 10)
		return 1 + below(NS - 1);
	for (i = 0; i < NS; i++) {
		unsigned s = (start + i) % NS;

		if (s != 0 && model_caps[t * NS + s].full == want_full)
			return s;
	}
	return 1 + below(NS - 1);
}

/* A full slot holding an untyped capability if table t has one. */
static uint64_t
pick_untyped(int t)
{
	unsigned start = below(NS), i;

	for (i = 0; i < NS; i++) {
		unsigned s = (start + i) % NS;
		int g = t * NS + (int)s;

		if (s != 0 && model_caps[g].full &&
		    model_objs[model_caps[g].obj].type == CAP_UNTYPED)
			return s;
	}
	return pick_slot(t, true);
}

static uint64_t
pick_rights(void)
{
	uint64_t r = (rnd() & CAP_R_ALL) | (below(5) ? CAP_R_DERIVE | CAP_R_GRANT : 0);

	if (below(100) < 3)
		r |= 1ull << (7 + below(57));
	return r;
}

static int
new_object(unsigned type)
{
	int o = nobj;

	if (o > 0 && model_objs[o - 1].refs == 0 && !model_objs[o - 1].released)
		o--; /* never referenced: reuse it */
	cr_assert_lt(o, MAXOBJ);
	if (type == CAP_FRAME)
		cr_assert_eq(cap_object_init_frame(&objs[o], (uint64_t)o << 12, CAP_PAGE_BYTES), 0);
	else if (type == CAP_UNTYPED)
		cr_assert_eq(cap_object_init_untyped(&objs[o], below(9)), 0);
	else
		cr_assert_eq(cap_object_init(&objs[o], type, (uint64_t)o), 0);
	model_objs[o] =
	    (struct mobj){ .type = type, .quota = objs[o].quota, .pool = -1, .released_at = -1 };
	nobj = o + 1;
	return o;
}

static void
check_identify(int t, uint64_t s)
{
	struct cap_info info;
	int g, want = model_slot(s, true, t, &g);
	const struct mobj *o;

	cr_assert_eq(cap_identify(&tabs[t], s, &info), want, "step %d: identify", step);
	if (want < 0)
		return;
	o = &model_objs[model_caps[g].obj];
	cr_assert_eq(info.type, o->type);
	cr_assert_eq(info.rights, model_caps[g].rights);
	cr_assert_eq(info.badge, model_caps[g].badge);
	cr_assert_eq(info.pages, o->type == CAP_UNTYPED ? o->quota : 0);
	cr_assert_eq(info.phys, o->type == CAP_FRAME && (model_caps[g].rights & CAP_R_PHYS)
	                            ? (uint64_t)model_caps[g].obj << 12
	                            : 0);
}

static const unsigned obj_types[] = { CAP_ENV, CAP_ENDPOINT, CAP_FRAME, CAP_UNTYPED };

/* Each op_* picks its arguments, applies them to the model and to kern/cap, and compares
 * the results (got, want). */
static void
expect_same(int got, int want, const char *op)
{
	cr_assert_eq(got, want, "step %d %s: got %s, the model says %s", step, op, error_name(got),
	             error_name(want));
}

static int
op_create(int t)
{
	uint64_t s = pick_slot(t, false), rights = pick_rights();
	int o = new_object(obj_types[below(4)]);
	int want = model_create(t, s, o, rights);

	expect_same(cap_create(&tabs[t], s, &objs[o], rights), want, "create");
	return want;
}

static int
op_derive(int t, int dt, bool copy)
{
	static const uint64_t badges[] = { 0, 0, 0, 1, 2, 3 };
	uint64_t s = pick_slot(t, true), ds = pick_slot(dt, false);
	uint64_t mask = pick_rights(), badge = badges[below(6)];
	int want = model_derive(t, s, dt, ds, mask, badge, copy);

	if (copy)
		expect_same(cap_copy(&tabs[t], s, &tabs[dt], ds), want, "copy");
	else
		expect_same(cap_derive(&tabs[t], s, &tabs[dt], ds, mask, badge), want, "derive");
	return want;
}

static int
op_retype(int t, int dt)
{
	uint64_t s = pick_untyped(t), ds = pick_slot(dt, false);
	uint64_t pages = below(4), mask = pick_rights();
	int o = new_object(below(5) ? CAP_FRAME : CAP_UNTYPED);
	int want = model_retype(t, s, dt, ds, o, pages, mask);

	expect_same(cap_retype(&tabs[t], s, &tabs[dt], ds, &objs[o], pages, mask), want, "retype");
	return want;
}

static int
op_acquire(int t)
{
	struct cap_object *obj = NULL;
	unsigned type = obj_types[below(4)];
	uint32_t need = (uint32_t)(rnd() & rnd() & CAP_R_ALL);
	uint64_t s = pick_slot(t, true);
	int want = model_acquire(t, s, type, need);

	expect_same(cap_acquire(&tabs[t], s, type, need, &obj, NULL), want, "acquire");
	if (want == 0) {
		cr_assert_eq(obj, &objs[model_caps[t * NS + (int)s].obj]);
		holds[nholds++] = (int)(obj - objs);
	}
	return want;
}

/* A hold on any object: initialised ones, and the one past them, never initialised. */
static int
op_hold(void)
{
	int o = (int)below((unsigned)(nobj < MAXOBJ ? nobj + 1 : nobj));
	int want = o < nobj ? model_hold(o) : E_INVAL;

	expect_same(cap_object_hold(&objs[o]), want, "hold");
	if (want == 0)
		holds[nholds++] = o;
	return want;
}

static int
op_put(void)
{
	unsigned i = below((unsigned)nholds);
	int o = holds[i];

	holds[i] = holds[--nholds];
	model_unref(o);
	cap_object_put(&objs[o]);
	return 0;
}

/* Chooses one operation; the mix keeps about a third of the slots full. */
static void
one_step(void)
{
	int t = (int)below(NT), dt = below(3) ? (int)below(NT) : t, kind, err;
	unsigned r = below(1000);
	uint64_t s, before = model_live;

	if (r < 3) {
		kind = OP_DESTROY;
		err = model_destroy(t);
		expect_same(cap_table_destroy(&tabs[t]), err, "destroy");
	} else if (r < 80) {
		kind = OP_CREATE;
		err = op_create(t);
	} else if (r < 360) {
		kind = OP_DERIVE;
		err = op_derive(t, dt, false);
	} else if (r < 500) {
		kind = OP_COPY;
		err = op_derive(t, dt, true);
	} else if (r < 600) {
		kind = OP_RETYPE;
		err = op_retype(t, dt);
	} else if (r < 650) {
		kind = OP_REVOKE;
		s = pick_slot(t, true);
		err = model_revoke(t, s);
		expect_same(cap_revoke(&tabs[t], s), err, "revoke");
	} else if (r < 850) {
		kind = OP_DELETE;
		s = pick_slot(t, true);
		err = model_delete(t, s);
		expect_same(cap_delete(&tabs[t], s), err, "delete");
	} else if (r < 930) {
		if (nholds > 0 && (r >= 890 || nholds == MAXHOLD))
			kind = OP_PUT;
		else
			kind = r < 865 ? OP_HOLD : OP_ACQUIRE;
		err = kind == OP_PUT ? op_put() : kind == OP_HOLD ? op_hold() : op_acquire(t);
	} else {
		kind = OP_IDENTIFY;
		check_identify(t, pick_slot(t, true));
		err = 0;
	}
	if (err == 0)
		st.ok[kind]++;
	if (kind == OP_REVOKE && before - model_live > st.max_revoked)
		st.max_revoked = (unsigned)(before - model_live);
	st.fill += model_live;
}

static void
tree_stats(void)
{
	int g;

	for (g = 0; g < NG; g++) {
		unsigned d = 0;
		int p;

		if (!model_caps[g].full || model_caps[g].parent < 0)
			continue;
		st.cross_links += model_caps[g].parent / NS != g / NS;
		for (p = model_caps[g].parent; p >= 0; p = model_caps[p].parent)
			d++;
		if (d > st.max_depth)
			st.max_depth = d;
	}
}

static void
run(uint64_t seed)
{
	int i;

	cr_assert_eq(simhal_init(4096), 0);
	for (i = 0; i < CAP_NTYPES; i++)
		cap_set_release_hook((unsigned)i, record_release);
	for (i = 0; i < NT; i++)
		cr_assert_eq(cap_table_init(&tabs[i], slot_mem[i], NS, (uint64_t)i), 0);
	for (i = 0; i < MAXOBJ; i++)
		real_released_at[i] = -1;
	rng_stream(&rng, seed, "cap", 0);
	for (step = 1; step <= STEPS; step++) {
		model_step = step;
		one_step();
		check_all();
		tree_stats();
	}
	/* Everything must go away: every table destroyed, every hold dropped. */
	model_step = step;
	for (i = 0; i < NT; i++) {
		model_destroy(i);
		cr_assert_eq(cap_table_destroy(&tabs[i]), 0);
	}
	while (nholds > 0) {
		model_unref(holds[--nholds]);
		cap_object_put(&objs[holds[nholds]]);
	}
	check_all();
	cr_expect_eq(cap_live_count(), 0);
	cr_expect_eq(cap_live_objects(), 0);
	for (i = 0; i < nobj; i++)
		cr_expect(model_objs[i].refs == 0 &&
		          (model_objs[i].released || objs[i].state == CAP_OBJ_FRESH));
	/* The sequence must have exercised what it claims to check. */
	for (i = OP_CREATE; i <= OP_HOLD; i++)
		cr_expect_gt(st.ok[i], 20, "only %u successful operations of kind %d", st.ok[i], i);
	cr_expect_gt(st.max_revoked, 5);
	cr_expect_gt(st.max_depth, 4);
	cr_expect_gt(st.cross_links, 1000);
	cr_log_info("seed %#llx: create %u derive %u copy %u retype %u revoke %u delete %u "
	            "acquire %u put %u hold %u destroy %u; largest revoke %u, depth %u, "
	            "objects %d, mean live %llu",
	            (unsigned long long)seed, st.ok[OP_CREATE], st.ok[OP_DERIVE], st.ok[OP_COPY],
	            st.ok[OP_RETYPE], st.ok[OP_REVOKE], st.ok[OP_DELETE], st.ok[OP_ACQUIRE],
	            st.ok[OP_PUT], st.ok[OP_HOLD], st.ok[OP_DESTROY], st.max_revoked, st.max_depth,
	            nobj, (unsigned long long)(st.fill / STEPS));
	simhal_fini();
}

Test(random, seed_1)
{
	run(1);
}
Test(random, seed_2)
{
	run(2);
}
Test(random, seed_42)
{
	run(42);
}
Test(random, seed_0xc0ffee)
{
	run(0xc0ffee);
}
Test(random, seed_0x5eed5eed5eed)
{
	run(0x5eed5eed5eedull);
}
