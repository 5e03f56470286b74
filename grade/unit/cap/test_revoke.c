/* kern/cap revoke and delete: revoke removes exactly the descendants, in every table, and
 * keeps the capability itself; delete moves children up to the deleted capability's parent. */
#include <stdlib.h>

#include "capfix.h"

TestSuite(revoke, .init = capfix_setup, .fini = capfix_teardown);

static bool
full(struct cap_table *t, uint64_t slot)
{
	return t->slots[slot].obj != NULL;
}

/* A1 -> B1 -> C1 -> A3, A1 -> A2 -> C2, B1 -> B2: a tree spread over three tables. */
static void
three_table_tree(struct cap_object *o)
{
	cr_assert_eq(cap_create(TA, 1, o, CAP_R_ALL), 0);
	cr_assert_eq(cap_copy(TA, 1, TB, 1), 0);
	cr_assert_eq(cap_copy(TB, 1, TC, 1), 0);
	cr_assert_eq(cap_derive(TC, 1, TA, 3, CAP_R_ALL, 0), 0);
	cr_assert_eq(cap_derive(TA, 1, TA, 2, CAP_R_ALL, 0), 0);
	cr_assert_eq(cap_derive(TA, 2, TC, 2, CAP_R_READ, 0), 0);
	cr_assert_eq(cap_derive(TB, 1, TB, 2, CAP_R_READ, 0), 0);
}

Test(revoke, removes_every_descendant_in_every_table_and_keeps_itself)
{
	struct cap_object *f = capfix_frame(0x3000);

	three_table_tree(f);
	cr_assert_eq(cap_live_count(), 7);
	cr_assert_eq(cap_revoke(TA, 1), 0);
	cr_expect(full(TA, 1));
	cr_expect(!full(TA, 2) && !full(TA, 3));
	cr_expect(!full(TB, 1) && !full(TB, 2));
	cr_expect(!full(TC, 1) && !full(TC, 2));
	cr_expect_null(TA->slots[1].first_child);
	cr_expect_eq(cap_live_count(), 1);
	cr_expect_eq(f->refs, 1);
	cr_expect_eq(TA->used + TB->used + TC->used, 1);
	cr_expect_eq(capfix_release_count(f), 0, "the revoker still holds it");
}

Test(revoke, of_a_middle_node_leaves_its_ancestors_and_siblings)
{
	three_table_tree(capfix_frame(0x3000));
	cr_assert_eq(cap_revoke(TB, 1), 0);
	cr_expect(full(TA, 1) && full(TA, 2) && full(TC, 2) && full(TB, 1));
	cr_expect(!full(TB, 2) && !full(TC, 1) && !full(TA, 3));
	cr_expect_eq(cap_live_count(), 4);
	cr_expect_eq(TB->slots[1].parent, &TA->slots[1]);
}

Test(revoke, use_after_revoke_fails_and_the_slot_can_be_reused)
{
	struct cap_info info;

	three_table_tree(capfix_env(5));
	cr_assert_eq(cap_revoke(TA, 1), 0);
	cr_expect_eq(cap_identify(TB, 1, &info), E_NOENT);
	cr_expect_eq(cap_derive(TB, 1, TB, 3, CAP_R_ALL, 0), E_NOENT);
	cr_expect_eq(cap_copy(TC, 2, TD, 1), E_NOENT);
	cr_expect_eq(cap_revoke(TC, 1), E_NOENT);
	cr_expect_eq(cap_delete(TA, 3), E_NOENT);
	cr_expect_eq(cap_create(TB, 1, capfix_env(6), CAP_R_READ), 0);
	cr_expect_eq(cap_identify(TB, 1, &info), 0);
	cr_expect_eq(info.id, 6);
}

Test(revoke, of_a_leaf_changes_nothing)
{
	three_table_tree(capfix_env(5));
	cr_assert_eq(cap_revoke(TC, 2), 0);
	cr_expect_eq(cap_live_count(), 7);
}

Test(revoke, a_deep_chain_needs_no_recursion)
{
	enum { N = CAP_TABLE_MAX_SLOTS };
	struct cap_table big;
	struct cap *slots = malloc(N * sizeof(*slots));
	struct cap_object *e = capfix_env(1);
	uint64_t s;

	cr_assert_not_null(slots);
	cr_assert_eq(cap_table_init(&big, slots, N, 99), 0);
	cr_assert_eq(cap_create(&big, 1, e, CAP_R_ALL), 0);
	for (s = 2; s < N; s++)
		cr_assert_eq(cap_derive(&big, s - 1, &big, s, CAP_R_ALL, 0), 0);
	cr_assert_eq(cap_live_count(), N - 1);
	cr_assert_eq(cap_revoke(&big, 1), 0);
	cr_expect_eq(cap_live_count(), 1);
	cr_expect_eq(big.used, 1);
	cr_expect_eq(e->refs, 1);
	cr_assert_eq(cap_table_destroy(&big), 0);
	free(slots);
}

/* Node i of a binary heap (parent (i - 1) / 2) lives in table i / 63, slot 1 + i % 63. */
static struct cap_table *
heap_table(unsigned i)
{
	return &capfix_tab[i / (CAPFIX_SLOTS - 1)];
}

static uint64_t
heap_slot(unsigned i)
{
	return 1 + i % (CAPFIX_SLOTS - 1);
}

Test(revoke, a_binary_tree_over_four_tables)
{
	enum { N = CAPFIX_TABLES * (CAPFIX_SLOTS - 1) };
	unsigned i, in_sub = 0;

	cr_assert_eq(cap_create(heap_table(0), heap_slot(0), capfix_env(1), CAP_R_ALL), 0);
	for (i = 1; i < N; i++) {
		unsigned p = (i - 1) / 2;

		cr_assert_eq(cap_derive(heap_table(p), heap_slot(p), heap_table(i), heap_slot(i),
		                        CAP_R_ALL, 0),
		             0);
	}
	cr_assert_eq(cap_live_count(), N);
	/* Node 1's subtree: the nodes whose ancestor chain passes through 1. */
	for (i = 1; i < N; i++) {
		unsigned a = i;

		while (a > 1)
			a = (a - 1) / 2;
		in_sub += a == 1;
	}
	cr_assert_eq(cap_revoke(heap_table(1), heap_slot(1)), 0);
	cr_expect_eq(cap_live_count(), N - (in_sub - 1));
	cr_assert_eq(cap_revoke(heap_table(0), heap_slot(0)), 0);
	cr_expect_eq(cap_live_count(), 1);
}

Test(revoke, delete_moves_children_to_the_grandparent)
{
	three_table_tree(capfix_env(5));
	cr_assert_eq(cap_delete(TB, 1), 0);
	cr_expect_eq(TC->slots[1].parent, &TA->slots[1]);
	cr_expect_eq(TB->slots[2].parent, &TA->slots[1]);
	cr_expect_eq(TA->slots[3].parent, &TC->slots[1], "grandchildren keep their parent");
	cr_expect_eq(cap_live_count(), 6);
	cr_assert_eq(cap_revoke(TA, 1), 0);
	cr_expect(!full(TC, 1) && !full(TB, 2) && !full(TA, 3),
	          "the grandparent's revoke still reaches the moved children");
	cr_expect_eq(cap_live_count(), 1);
}

Test(revoke, delete_of_a_root_makes_its_children_roots)
{
	struct cap_object *e = capfix_env(5);

	three_table_tree(e);
	cr_assert_eq(cap_delete(TA, 1), 0);
	cr_expect_null(TB->slots[1].parent);
	cr_expect_null(TA->slots[2].parent);
	cr_expect_null(TB->slots[1].next_sibling);
	cr_expect_null(TB->slots[1].prev_sibling);
	cr_expect_null(TA->slots[2].next_sibling);
	cr_expect_null(TA->slots[2].prev_sibling);
	cr_expect_eq(cap_live_count(), 6);
	cr_expect_eq(e->refs, 6);
	cr_assert_eq(cap_revoke(TB, 1), 0);
	cr_expect_eq(cap_live_count(), 3);
	cr_expect(full(TA, 2) && full(TC, 2), "the other new root's subtree is untouched");
}

Test(revoke, destroying_a_table_moves_its_children_held_elsewhere_up)
{
	three_table_tree(capfix_env(5));
	cr_assert_eq(cap_table_destroy(TB), 0);
	cr_expect_eq(TC->slots[1].parent, &TA->slots[1]);
	cr_expect_eq(cap_live_count(), 5);
	cr_assert_eq(cap_revoke(TA, 1), 0);
	cr_expect_eq(cap_live_count(), 1);
}

Test(revoke, delete_without_children_unlinks_from_siblings)
{
	uint64_t s;
	struct cap *c;
	unsigned n = 0;

	cr_assert_eq(cap_create(TA, 1, capfix_env(1), CAP_R_ALL), 0);
	for (s = 2; s < 7; s++)
		cr_assert_eq(cap_derive(TA, 1, TA, s, CAP_R_ALL, 0), 0);
	cr_assert_eq(cap_delete(TA, 4), 0); /* a middle sibling */
	cr_assert_eq(cap_delete(TA, 6), 0); /* the first child (children are prepended) */
	cr_assert_eq(cap_delete(TA, 2), 0); /* the last */
	for (c = TA->slots[1].first_child; c; c = c->next_sibling) {
		cr_expect(c == &TA->slots[3] || c == &TA->slots[5]);
		n++;
	}
	cr_expect_eq(n, 2);
}

/* The revoke hook (issue 17): called after the revoke, once per object that lost a
 * capability and is still referenced, with the revoker's table when it names that object. */
static struct cap_object *hook_obj[4];
static struct cap_table *hook_keeper[4];
static unsigned hook_calls;

static void
record_revoke(struct cap_object *obj, struct cap_table *keeper)
{
	cr_assert_lt(hook_calls, 4);
	cr_assert_geq(obj->refs, 2, "the revoke's own hold and another");
	hook_obj[hook_calls] = obj;
	hook_keeper[hook_calls++] = keeper;
}

Test(revoke, the_hook_sees_each_still_held_frame_once_with_its_keeper)
{
	struct cap_object *f = capfix_frame(0x3000);

	cap_set_revoke_hook(CAP_FRAME, record_revoke);
	three_table_tree(f);
	cr_assert_eq(cap_object_hold(f), 0); /* a mapping of it */
	hook_calls = 0;
	cr_assert_eq(cap_revoke(TA, 1), 0);
	cr_assert_eq(hook_calls, 1, "six copies of one frame: one call");
	cr_expect_eq(hook_obj[0], f);
	cr_expect_eq(hook_keeper[0], TA, "the revoker keeps its own mappings");
	cr_expect(!f->revoking && f->revoke_next == NULL);
	cap_object_put(f);
	cr_assert_eq(cap_delete(TA, 1), 0);
	cr_expect_eq(capfix_release_count(f), 1);
	cap_set_revoke_hook(CAP_FRAME, NULL);
}

Test(revoke, the_hook_skips_a_frame_nothing_else_holds)
{
	struct cap_object *u = capfix_untyped(8), *g = capfix_frame(0x5000);

	cap_set_revoke_hook(CAP_FRAME, record_revoke);
	cr_assert_eq(cap_create(TA, 5, u, CAP_R_ALL), 0);
	cr_assert_eq(cap_retype(TA, 5, TB, 5, g, 1, CAP_R_ALL), 0);
	hook_calls = 0;
	cr_assert_eq(cap_revoke(TA, 5), 0);
	cr_expect_eq(hook_calls, 0, "no mapping: nothing to take back");
	cr_expect_eq(capfix_release_count(g), 1);
	cr_expect_eq(u->quota, 8);
	cap_set_revoke_hook(CAP_FRAME, NULL);
}

Test(revoke, a_revoked_quota_takes_its_frames_back_from_everyone)
{
	struct cap_object *u = capfix_untyped(8), *g = capfix_frame(0x5000);

	cap_set_revoke_hook(CAP_FRAME, record_revoke);
	cr_assert_eq(cap_create(TA, 5, u, CAP_R_ALL), 0);
	cr_assert_eq(cap_retype(TA, 5, TB, 5, g, 1, CAP_R_ALL), 0);
	cr_assert_eq(cap_object_hold(g), 0);
	hook_calls = 0;
	cr_assert_eq(cap_revoke(TA, 5), 0);
	cr_assert_eq(hook_calls, 1);
	cr_expect_eq(hook_obj[0], g);
	cr_expect_null(hook_keeper[0], "the revoked capability names the quota: no keeper");
	cap_object_put(g);
	cr_expect_eq(u->quota, 8, "the frame's page is back in the quota");
	cap_set_revoke_hook(CAP_FRAME, NULL);
}

/* A hook set with cap_set_revoke_hook_self (regions, issue 17) runs for the revoked
 * capability's own object too, even with no descendant left: a holder that deleted its
 * derived copy before the revoke is still reached.  A plain hook does not. */
Test(revoke, a_self_hook_runs_for_the_revoked_object_with_no_descendant)
{
	struct cap_object *f = capfix_frame(0x6000);

	cr_assert_eq(cap_create(TA, 1, f, CAP_R_ALL), 0);
	cap_set_revoke_hook(CAP_FRAME, record_revoke);
	hook_calls = 0;
	cr_assert_eq(cap_revoke(TA, 1), 0);
	cr_expect_eq(hook_calls, 0, "a plain hook: no descendant, no call");
	cap_set_revoke_hook_self(CAP_FRAME, record_revoke);
	cr_assert_eq(cap_revoke(TA, 1), 0);
	cr_assert_eq(hook_calls, 1, "a self hook: one call for the object itself");
	cr_expect_eq(hook_obj[0], f);
	cr_expect_eq(hook_keeper[0], TA);
	cr_expect(!f->revoking && f->revoke_next == NULL);
	cap_set_revoke_hook(CAP_FRAME, NULL);
	cr_assert_eq(cap_delete(TA, 1), 0);
	cr_expect_eq(capfix_release_count(f), 1);
}

Test(revoke, cap_table_names_finds_an_object_only_where_a_slot_names_it)
{
	struct cap_object *f = capfix_frame(0x7000);

	cr_expect(!cap_table_names(TA, f));
	cr_assert_eq(cap_create(TA, 3, f, CAP_R_ALL), 0);
	cr_assert_eq(cap_copy(TA, 3, TB, 4), 0);
	cr_expect(cap_table_names(TA, f) && cap_table_names(TB, f));
	cr_assert_eq(cap_delete(TB, 4), 0);
	cr_expect(cap_table_names(TA, f) && !cap_table_names(TB, f));
	cr_assert_eq(cap_delete(TA, 3), 0);
	cr_expect(!cap_table_names(TA, f));
}
