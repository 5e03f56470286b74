/* kern/cap derive and copy: rights only shrink, the grant and derive rights gate where a
 * capability may go, and a badge is set at most once along a path. */
#include "capfix.h"

TestSuite(derive, .init = capfix_setup, .fini = capfix_teardown);

static struct cap_info
info_of(struct cap_table *t, uint64_t slot)
{
	struct cap_info info;

	cr_assert_eq(cap_identify(t, slot, &info), 0, "slot %lu", (unsigned long)slot);
	return info;
}

Test(derive, child_rights_are_parent_rights_and_mask)
{
	cr_assert_eq(cap_create(TA, 1, capfix_frame(0), CAP_R_READ | CAP_R_MAP | CAP_R_DERIVE), 0);
	cr_assert_eq(cap_derive(TA, 1, TA, 2, CAP_R_READ | CAP_R_WRITE | CAP_R_DERIVE, 0), 0);
	cr_expect_eq(info_of(TA, 2).rights, CAP_R_READ | CAP_R_DERIVE,
	             "WRITE was asked for but the parent lacks it");
	cr_expect_eq(TA->slots[2].parent, &TA->slots[1]);
	cr_expect_eq(TA->slots[1].first_child, &TA->slots[2]);
}

Test(derive, rights_cannot_grow_back_through_a_second_derive)
{
	cr_assert_eq(cap_create(TA, 1, capfix_frame(0), CAP_R_ALL), 0);
	cr_assert_eq(cap_derive(TA, 1, TA, 2, CAP_R_READ | CAP_R_DERIVE, 0), 0);
	cr_assert_eq(cap_derive(TA, 2, TA, 3, CAP_R_ALL, 0), 0);
	cr_expect_eq(info_of(TA, 3).rights, CAP_R_READ | CAP_R_DERIVE);
	cr_assert_eq(cap_copy(TA, 1, TA, 4), 0);
	cr_expect_eq(info_of(TA, 4).rights, CAP_R_ALL, "a copy keeps the rights it had");
}

Test(derive, needs_the_derive_right)
{
	cr_assert_eq(cap_create(TA, 1, capfix_frame(0), CAP_R_ALL & ~CAP_R_DERIVE), 0);
	cr_expect_eq(cap_derive(TA, 1, TA, 2, CAP_R_READ, 0), E_PERM);
	cr_assert_eq(cap_create(TA, 3, capfix_frame(0x1000), CAP_R_ALL), 0);
	cr_assert_eq(cap_derive(TA, 3, TA, 4, CAP_R_READ, 0), 0);
	cr_expect_eq(cap_derive(TA, 4, TA, 5, CAP_R_READ, 0), E_PERM,
	             "a child derived without DERIVE cannot have children");
	cr_expect_eq(cap_live_count(), 3);
	cr_expect_eq(TA->used, 3);
}

Test(derive, into_another_table_needs_grant_too)
{
	cr_assert_eq(cap_create(TA, 1, capfix_env(1), CAP_R_ALL & ~CAP_R_GRANT), 0);
	cr_expect_eq(cap_derive(TA, 1, TB, 1, CAP_R_READ, 0), E_PERM);
	cr_expect_eq(cap_derive(TA, 1, TA, 2, CAP_R_READ, 0), 0, "same table: DERIVE is enough");
	cr_assert_eq(cap_create(TA, 3, capfix_env(2), CAP_R_GRANT | CAP_R_DERIVE | CAP_R_READ), 0);
	cr_expect_eq(cap_derive(TA, 3, TB, 1, CAP_R_READ, 0), 0);
	cr_expect_eq(TB->slots[1].parent, &TA->slots[3]);
	cr_expect_eq(TB->used, 1);
}

Test(derive, rejects_rights_bits_outside_the_abi)
{
	cr_assert_eq(cap_create(TA, 1, capfix_env(1), CAP_R_ALL), 0);
	cr_expect_eq(cap_derive(TA, 1, TA, 2, CAP_R_ALL + 1, 0), E_INVAL);
	cr_expect_eq(cap_derive(TA, 1, TA, 2, 1ull << 63, 0), E_INVAL);
	cr_expect_eq(cap_derive(TA, 1, TA, 2, (1ull << 32) | CAP_R_READ, 0), E_INVAL);
	cr_expect_eq(cap_live_count(), 1);
}

Test(derive, destination_must_be_an_empty_valid_slot)
{
	cr_assert_eq(cap_create(TA, 1, capfix_env(1), CAP_R_ALL), 0);
	cr_expect_eq(cap_derive(TA, 1, TA, 1, CAP_R_ALL, 0), E_EXIST);
	cr_expect_eq(cap_derive(TA, 1, TB, 0, CAP_R_ALL, 0), E_INVAL);
	cr_expect_eq(cap_derive(TA, 1, TB, CAPFIX_SLOTS, CAP_R_ALL, 0), E_RANGE);
	cr_expect_eq(cap_derive(TA, 1, NULL, 3, CAP_R_ALL, 0), E_INVAL);
	cr_expect_eq(cap_copy(TA, 1, TA, 1), E_EXIST);
	cr_expect_eq(cap_copy(TA, 1, TB, UINT64_MAX), E_RANGE);
	cr_expect_null(TA->slots[1].first_child);
}

Test(derive, source_errors_come_before_destination_errors)
{
	cr_assert_eq(cap_create(TA, 1, capfix_env(1), CAP_R_ALL), 0);
	cr_expect_eq(cap_derive(TA, 2, TA, 1, CAP_R_ALL, 0), E_NOENT);
	cr_expect_eq(cap_derive(TA, CAPFIX_SLOTS, TA, 0, CAP_R_ALL, 0), E_RANGE);
	cr_expect_eq(cap_copy(TA, 0, NULL, 1), E_INVAL);
	cr_expect_eq(cap_derive(TA, 1, TA, 1, CAP_R_ALL + 1, 0), E_EXIST,
	             "an occupied destination is found before a bad mask");
}

Test(derive, badge_is_set_once_and_inherited)
{
	cr_assert_eq(cap_create(TA, 1, capfix_env(1), CAP_R_ALL), 0);
	cr_assert_eq(cap_derive(TA, 1, TA, 2, CAP_R_ALL, 0), 0);
	cr_expect_eq(info_of(TA, 2).badge, 0, "no badge asked, none inherited");
	cr_assert_eq(cap_derive(TA, 1, TA, 3, CAP_R_ALL, 0x55), 0);
	cr_expect_eq(info_of(TA, 3).badge, 0x55);
	cr_assert_eq(cap_derive(TA, 3, TA, 4, CAP_R_ALL, CAP_NO_BADGE), 0);
	cr_expect_eq(info_of(TA, 4).badge, 0x55, "badge kept when none is asked");
	cr_assert_eq(cap_derive(TA, 3, TA, 5, CAP_R_ALL, 0x55), 0);
	cr_expect_eq(info_of(TA, 5).badge, 0x55, "asking for the same badge is allowed");
	cr_expect_eq(cap_derive(TA, 3, TA, 6, CAP_R_ALL, 0x56), E_PERM);
	cr_expect_eq(cap_derive(TA, 4, TA, 6, CAP_R_ALL, UINT64_MAX), E_PERM);
	cr_assert_eq(cap_copy(TA, 3, TB, 1), 0);
	cr_expect_eq(info_of(TB, 1).badge, 0x55, "a copy keeps the badge");
	cr_expect_eq(cap_derive(TA, 1, TA, 6, CAP_R_ALL, 0x56), 0,
	             "an unbadged parent can still give another badge");
	cr_expect_eq(info_of(TA, 6).badge, 0x56);
}

Test(derive, copy_needs_grant)
{
	cr_assert_eq(cap_create(TA, 1, capfix_frame(0), CAP_R_ALL & ~CAP_R_GRANT), 0);
	cr_expect_eq(cap_copy(TA, 1, TB, 1), E_PERM);
	cr_expect_eq(cap_copy(TA, 1, TA, 2), E_PERM, "copy needs GRANT even within a table");
	cr_assert_eq(cap_create(TA, 3, capfix_frame(0x1000), CAP_R_ALL), 0);
	cr_assert_eq(cap_derive(TA, 3, TA, 4, CAP_R_ALL & ~CAP_R_GRANT, 0), 0);
	cr_expect_eq(cap_copy(TA, 4, TB, 1), E_PERM, "GRANT removed by a derive stays removed");
	cr_expect_eq(cap_live_count(), 3);
	cr_expect_eq(TB->used, 0);
}

Test(derive, copy_is_a_child_with_the_same_rights_badge_and_object)
{
	struct cap_object *e = capfix_env(9);

	cr_assert_eq(cap_create(TA, 1, e, CAP_R_GRANT | CAP_R_READ), 0);
	cr_assert_eq(cap_copy(TA, 1, TC, 7), 0);
	cr_expect_eq(TC->slots[7].obj, e);
	cr_expect_eq(TC->slots[7].rights, CAP_R_GRANT | CAP_R_READ);
	cr_expect_eq(TC->slots[7].parent, &TA->slots[1]);
	cr_expect_eq(e->refs, 2);
}

Test(derive, children_of_one_parent_are_all_linked)
{
	uint64_t s;
	struct cap *c;
	unsigned n = 0;

	cr_assert_eq(cap_create(TA, 1, capfix_env(1), CAP_R_ALL), 0);
	for (s = 2; s < 12; s++)
		cr_assert_eq(cap_derive(TA, 1, s % 2 ? TA : TB, s, CAP_R_ALL, 0), 0);
	for (c = TA->slots[1].first_child; c; c = c->next_sibling) {
		cr_expect_eq(c->parent, &TA->slots[1]);
		if (c->next_sibling)
			cr_expect_eq(c->next_sibling->prev_sibling, c);
		n++;
	}
	cr_expect_eq(n, 10);
	cr_expect_null(TA->slots[1].first_child->prev_sibling);
}
