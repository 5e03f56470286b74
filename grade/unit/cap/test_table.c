/* kern/cap tables, slot validation, objects and identify: every forged, empty or
 * out-of-range slot number and every malformed value is an error code, never a crash. */
#include <stdlib.h>

#include "capfix.h"

TestSuite(table, .init = capfix_setup, .fini = capfix_teardown);

Test(table, init_rejects_sizes_that_are_not_powers_of_two_in_range)
{
	struct cap_table t;
	struct cap slots[8];

	cr_expect_eq(cap_table_init(&t, slots, 0, 9), E_INVAL);
	cr_expect_eq(cap_table_init(&t, slots, 1, 9), E_INVAL);
	cr_expect_eq(cap_table_init(&t, slots, 6, 9), E_INVAL);
	cr_expect_eq(cap_table_init(&t, slots, (uint64_t)CAP_TABLE_MAX_SLOTS * 2, 9), E_INVAL);
	cr_expect_eq(cap_table_init(&t, slots, 1ull << 40, 9), E_INVAL);
	cr_expect_eq(cap_table_init(NULL, slots, 8, 9), E_INVAL);
	cr_expect_eq(cap_table_init(&t, NULL, 8, 9), E_INVAL);
	cr_expect_eq(cap_table_init(&t, slots, 2, 9), 0);
	cr_expect_eq(cap_table_init(&t, slots, 8, 9), 0);
	cr_expect_eq(t.nslots, 8);
	cr_expect_eq(t.used, 0);
}

Test(table, slot_zero_out_of_range_and_empty_slots_are_errors)
{
	struct cap_info info;

	cr_assert_eq(cap_create(TA, 5, capfix_env(7), CAP_R_ALL), 0);
	cr_expect_eq(cap_identify(TA, 0, &info), E_INVAL);
	cr_expect_eq(cap_identify(TA, CAPFIX_SLOTS, &info), E_RANGE);
	cr_expect_eq(cap_identify(TA, CAPFIX_SLOTS + 5, &info), E_RANGE);
	/* A 64-bit slot whose low 32 bits are in range must not alias slot 5. */
	cr_expect_eq(cap_identify(TA, (1ull << 32) + 5, &info), E_RANGE);
	cr_expect_eq(cap_identify(TA, UINT64_MAX, &info), E_RANGE);
	cr_expect_eq(cap_identify(TA, 6, &info), E_NOENT);
	cr_expect_eq(cap_identify(NULL, 5, &info), E_INVAL);
	cr_expect_eq(cap_identify(TA, 5, NULL), E_INVAL);
	cr_expect_eq(cap_delete(TA, 0), E_INVAL);
	cr_expect_eq(cap_delete(TA, 6), E_NOENT);
	cr_expect_eq(cap_revoke(TA, CAPFIX_SLOTS), E_RANGE);
	cr_expect_eq(cap_revoke(TA, 6), E_NOENT);
	cr_expect_eq(cap_derive(TA, 6, TA, 7, CAP_R_ALL, 0), E_NOENT);
	cr_expect_eq(cap_copy(TA, 0, TB, 7), E_INVAL);
	cr_expect_eq(cap_identify(TA, 5, &info), 0, "the valid slot is untouched");
	cr_expect_eq(cap_live_count(), 1);
}

Test(table, create_checks_destination_rights_and_object)
{
	struct cap_object *e = capfix_env(3);

	cr_expect_eq(cap_create(TA, 1, NULL, CAP_R_ALL), E_INVAL);
	cr_expect_eq(cap_create(TA, 0, e, CAP_R_ALL), E_INVAL);
	cr_expect_eq(cap_create(TA, CAPFIX_SLOTS, e, CAP_R_ALL), E_RANGE);
	cr_expect_eq(cap_create(TA, 1, e, CAP_R_ALL + 1), E_INVAL);
	cr_expect_eq(cap_create(TA, 1, e, 1ull << 40), E_INVAL);
	cr_expect_eq(cap_live_count(), 0);
	cr_expect_eq(cap_create(TA, 1, e, CAP_R_READ), 0);
	cr_expect_eq(cap_create(TA, 1, e, CAP_R_READ), E_EXIST);
	cr_expect_eq(e->refs, 1);
	cr_expect_eq(TA->used, 1);
	cr_expect_eq(cap_live_count(), 1);
	cr_expect_eq(cap_live_objects(), 1);
}

Test(table, create_refuses_a_released_object_until_it_is_initialised_again)
{
	struct cap_object *e = capfix_env(3);

	cr_assert_eq(cap_create(TA, 1, e, CAP_R_ALL), 0);
	cr_assert_eq(cap_delete(TA, 1), 0);
	cr_expect_eq(e->state, CAP_OBJ_RELEASED);
	cr_expect_eq(cap_create(TA, 1, e, CAP_R_ALL), E_INVAL);
	cr_expect_eq(cap_object_init(e, CAP_ENV, 4), 0);
	cr_expect_eq(cap_create(TA, 1, e, CAP_R_ALL), 0);
}

Test(table, object_init_rejects_reserved_types_bad_frames_and_live_objects)
{
	struct cap_object o = { 0 };

	cr_expect_eq(cap_object_init(&o, CAP_DEVICE, 1), E_INVAL);
	cr_expect_eq(cap_object_init(&o, CAP_IRQ, 1), E_INVAL);
	cr_expect_eq(cap_object_init(&o, CAP_CORE, 1), E_INVAL);
	cr_expect_eq(cap_object_init(&o, CAP_NULL, 1), E_INVAL);
	cr_expect_eq(cap_object_init(&o, CAP_NTYPES, 1), E_INVAL);
	cr_expect_eq(cap_object_init(&o, CAP_FRAME, 1), E_INVAL, "frames need an address");
	cr_expect_eq(cap_object_init(NULL, CAP_ENV, 1), E_INVAL);
	cr_expect_eq(cap_object_init_frame(&o, 0x1000, 8192), E_INVAL);
	cr_expect_eq(cap_object_init_frame(&o, 0x1800, CAP_PAGE_BYTES), E_INVAL);
	cr_expect_eq(cap_object_init_frame(&o, 0x1000, CAP_HUGE_BYTES), E_INVAL);
	cr_expect_eq(cap_object_init_frame(&o, 0x400000, CAP_HUGE_BYTES), 0);
	cr_expect_eq(o.type, CAP_FRAME);
	cr_expect_eq(o.state, CAP_OBJ_FRESH);
}

Test(table, a_live_object_cannot_be_initialised_again)
{
	struct cap_object *e = capfix_env(3);

	cr_assert_eq(cap_create(TA, 1, e, CAP_R_ALL), 0);
	cr_expect_eq(cap_object_init(e, CAP_ENDPOINT, 9), E_INVAL);
	cr_expect_eq(cap_object_init_untyped(e, 9), E_INVAL);
	cr_expect_eq(e->type, CAP_ENV);
	cr_expect_eq(e->id, 3);
	cr_expect_eq(e->refs, 1);
}

Test(table, identify_reports_type_rights_badge_and_what_the_rights_allow)
{
	struct cap_object *f = capfix_frame(0x7000);
	struct cap_object *u = capfix_untyped(33);
	struct cap_object *ep = calloc(1, sizeof(*ep));
	struct cap_info info;

	cr_assert_eq(cap_object_init(ep, CAP_ENDPOINT, 0x42), 0);
	cr_assert_eq(cap_create(TA, 1, f, CAP_R_ALL), 0);
	cr_assert_eq(cap_derive(TA, 1, TA, 2, CAP_R_ALL & ~CAP_R_PHYS, 0), 0);
	cr_assert_eq(cap_create(TA, 3, u, CAP_R_WRITE), 0);
	cr_assert_eq(cap_create(TA, 4, ep, CAP_R_ALL), 0);
	cr_assert_eq(cap_derive(TA, 4, TA, 5, CAP_R_WRITE, 77), 0);

	cr_assert_eq(cap_identify(TA, 1, &info), 0);
	cr_expect_eq(info.type, CAP_FRAME);
	cr_expect_eq(info.rights, CAP_R_ALL);
	cr_expect_eq(info.phys, 0x7000);
	cr_expect_eq(info.bytes, CAP_PAGE_BYTES);
	cr_expect_eq(info.badge, 0);
	cr_assert_eq(cap_identify(TA, 2, &info), 0);
	cr_expect_eq(info.rights, CAP_R_ALL & ~CAP_R_PHYS);
	cr_expect_eq(info.phys, 0, "no PHYS right, no physical address");
	cr_expect_eq(info.bytes, CAP_PAGE_BYTES);
	cr_assert_eq(cap_identify(TA, 3, &info), 0);
	cr_expect_eq(info.type, CAP_UNTYPED);
	cr_expect_eq(info.pages, 33);
	cr_expect_eq(info.rights, CAP_R_WRITE);
	cr_assert_eq(cap_identify(TA, 5, &info), 0);
	cr_expect_eq(info.type, CAP_ENDPOINT);
	cr_expect_eq(info.id, 0x42);
	cr_expect_eq(info.rights, CAP_R_WRITE);
	cr_expect_eq(info.badge, 77);
	cr_expect_eq(info.phys, 0);
	cr_expect_eq(info.pages, 0);
	cr_assert_eq(cap_table_destroy(TA), 0);
	free(ep);
}

Test(table, destroy_empties_the_table_and_releases_what_only_it_held)
{
	struct cap_object *e1 = capfix_env(1), *e2 = capfix_env(2);
	uint64_t s;

	cr_assert_eq(cap_create(TA, 1, e1, CAP_R_ALL), 0);
	cr_assert_eq(cap_create(TB, 1, e2, CAP_R_ALL), 0);
	cr_assert_eq(cap_copy(TB, 1, TA, 2), 0);
	for (s = 3; s < CAPFIX_SLOTS; s++)
		cr_assert_eq(cap_derive(TA, s - 1, TA, s, CAP_R_ALL, 0), 0);
	cr_assert_eq(cap_live_count(), CAPFIX_SLOTS);
	cr_assert_eq(cap_table_destroy(TA), 0);
	cr_expect_eq(TA->used, 0);
	cr_expect_eq(cap_live_count(), 1);
	cr_expect_eq(capfix_release_count(e1), 1);
	cr_expect_eq(capfix_release_count(e2), 0, "still named from table B");
	cr_expect_eq(e2->refs, 1);
	cr_expect_null(TB->slots[1].first_child, "no dangling child in B");
	cr_expect_eq(cap_table_destroy(NULL), E_INVAL);
}

Test(table, live_counts_follow_creates_and_deletes)
{
	struct cap_object *f = capfix_frame(0);

	cr_expect_eq(cap_live_count(), 0);
	cr_expect_eq(cap_live_objects(), 0);
	cr_assert_eq(cap_create(TA, 1, f, CAP_R_ALL), 0);
	cr_assert_eq(cap_copy(TA, 1, TB, 1), 0);
	cr_assert_eq(cap_copy(TB, 1, TC, 1), 0);
	cr_expect_eq(cap_live_count(), 3);
	cr_expect_eq(cap_live_objects(), 1);
	cr_assert_eq(cap_delete(TB, 1), 0);
	cr_expect_eq(cap_live_count(), 2);
	cr_assert_eq(cap_revoke(TA, 1), 0);
	cr_expect_eq(cap_live_count(), 1);
	cr_assert_eq(cap_delete(TA, 1), 0);
	cr_expect_eq(cap_live_count(), 0);
	cr_expect_eq(cap_live_objects(), 0);
}

Test(table, ipc_lookups_give_the_badge_probe_slots_and_name_the_object)
{
	struct cap_object *ep = calloc(1, sizeof(*ep)), *n = calloc(1, sizeof(*n)), *got;
	struct cap_info info;
	uint32_t rights;
	uint64_t badge = 1;

	cr_assert_eq(cap_object_init(ep, CAP_ENDPOINT, 5), 0);
	cr_assert_eq(cap_object_init(n, CAP_NOTIFY, 6), 0);
	cr_assert_eq(cap_create(TA, 1, ep, CAP_R_ALL), 0);
	cr_assert_eq(cap_derive(TA, 1, TA, 2, CAP_R_WRITE, 0x99), 0);
	cr_assert_eq(cap_create(TA, 3, n, CAP_R_READ), 0);
	cr_assert_eq(cap_identify(TA, 3, &info), 0);
	cr_expect_eq(info.type, CAP_NOTIFY);
	cr_expect_eq(info.id, 6);
	cr_expect_eq(cap_acquire_badge(TA, 2, CAP_ENDPOINT, CAP_R_WRITE, &got, &rights, &badge), 0);
	cr_expect_eq(got, ep);
	cr_expect_eq(rights, CAP_R_WRITE);
	cr_expect_eq(badge, 0x99);
	cap_object_put(got);
	cr_expect_eq(cap_acquire_badge(TA, 2, CAP_ENDPOINT, CAP_R_READ, &got, NULL, &badge),
	             E_PERM);
	cr_expect_eq(cap_acquire_badge(TA, 3, CAP_ENDPOINT, 0, &got, NULL, &badge), E_INVAL);
	cr_expect_eq(cap_probe(TA, 2, true, &rights), 0);
	cr_expect_eq(rights, CAP_R_WRITE);
	cr_expect_eq(cap_probe(TA, 4, true, NULL), E_NOENT);
	cr_expect_eq(cap_probe(TA, 4, false, NULL), 0);
	cr_expect_eq(cap_probe(TA, 2, false, NULL), E_EXIST);
	cr_expect_eq(cap_probe(TA, 0, false, NULL), E_INVAL);
	cr_expect_eq(cap_probe(TA, 1ull << 40, true, NULL), E_RANGE);
	cr_expect(cap_names(TA, 2, ep));
	cr_expect(!cap_names(TA, 3, ep));
	cr_expect(!cap_names(TA, 4, ep));
	cr_assert_eq(cap_revoke(TA, 1), 0);
	cr_expect(!cap_names(TA, 2, ep), "the revoked child no longer names it");
	cr_assert_eq(cap_table_destroy(TA), 0);
	free(ep);
	free(n);
}
