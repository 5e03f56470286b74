/* The kernel invariant checker's capability half (kern/check/capcheck.c) on fabricated
 * states: a consistent state built through the public operations reports nothing, and each
 * corruption injected by hand is reported once, naming the capability or object it is in. */
#include "capcheck.h"
#include "capfix.h"

TestSuite(check, .init = capfix_setup, .fini = capfix_teardown);

#define MAX_SEEN 16

static struct cap_object *scratch[4 * CAPFIX_TABLES * CAPFIX_SLOTS + 16];
static const char *seen_what[MAX_SEEN];
static const void *seen_where[MAX_SEEN];
static unsigned nseen;

static void
record(void *ctx, const char *what, const void *where, uint64_t got, uint64_t want)
{
	(void)ctx;
	(void)got;
	(void)want;
	if (nseen < MAX_SEEN) {
		seen_what[nseen] = what;
		seen_where[nseen] = where;
	}
	nseen++;
}

/* Checks every fixture table with the given outside references. */
static uint64_t
run(struct cap_object *const *extra, size_t nextra)
{
	static struct cap_table *const tables[] = { TA, TB, TC, TD };
	struct cap_check ck = { .tables = tables,
		                .ntables = 4,
		                .extra = extra,
		                .nextra = nextra,
		                .scratch = scratch,
		                .nscratch = sizeof(scratch) / sizeof(scratch[0]),
		                .max_pages = 1000,
		                .all_tables = true,
		                .report = record };

	nseen = 0;
	cr_assert_leq(cap_check_scratch_need(tables, 4, nextra), ck.nscratch);
	cr_assert_eq(cap_check_run(&ck), 0);
	cr_assert_eq(ck.nerrors, nseen);
	return ck.nerrors;
}

/* An untyped in A, two frames retyped from it (one copied to B, derived to C), an env. */
static void
build(struct cap_object **u, struct cap_object **f, struct cap_object **g)
{
	*u = capfix_untyped(10);
	*f = capfix_frame(0x1000);
	*g = capfix_frame(0x2000);
	cr_assert_eq(cap_create(TA, 1, *u, CAP_R_ALL), 0);
	cr_assert_eq(cap_retype(TA, 1, TA, 2, *f, 1, CAP_R_ALL), 0);
	cr_assert_eq(cap_retype(TA, 1, TA, 3, *g, 2, CAP_R_ALL), 0);
	cr_assert_eq(cap_copy(TA, 2, TB, 5), 0);
	cr_assert_eq(cap_derive(TB, 5, TC, 7, CAP_R_READ, 0), 0);
	cr_assert_eq(cap_create(TD, 1, capfix_env(9), CAP_R_ALL), 0);
}

Test(check, a_consistent_state_reports_nothing)
{
	struct cap_object *u, *f, *g;

	cr_expect_eq(run(NULL, 0), 0, "empty tables");
	build(&u, &f, &g);
	cr_expect_eq(run(NULL, 0), 0);
	cr_assert_eq(cap_delete(TB, 5), 0); /* C's capability moves up to A's slot 2 */
	cr_expect_eq(run(NULL, 0), 0);
	cr_assert_eq(cap_revoke(TA, 1), 0);
	cr_expect_eq(run(NULL, 0), 0);
}

Test(check, a_reference_count_below_what_was_found_is_reported_with_its_object)
{
	struct cap_object *u, *f, *g;

	build(&u, &f, &g);
	cr_assert_eq(cap_object_hold(g), 0); /* a mapping's reference, say */
	cr_expect_eq(run(&g, 1), 0);
	g->refs--;
	cr_expect_eq(run(&g, 1), 1);
	cr_expect_eq(seen_where[0], g);
	cr_expect_str_eq(seen_what[0], "an object has fewer references than were found");
	g->refs++;
	u->refs -= 2; /* A's slot 1 and the two frames paid from it: 3 found, 1 left */
	cr_expect_eq(run(&g, 1), 1);
	cr_expect_eq(seen_where[0], u);
	u->refs += 2;
	cap_object_put(g);
}

Test(check, broken_tree_links_are_reported_at_the_capability)
{
	struct cap_object *u, *f, *g;
	struct cap *b5 = &TB->slots[5], *c7 = &TC->slots[7];

	build(&u, &f, &g);
	c7->parent = &TA->slots[3]; /* g's capability, which does not list it as a child */
	cr_expect_geq(run(NULL, 0), 1);
	cr_expect_eq(seen_where[0], c7);
	c7->parent = b5;
	c7->rights |= CAP_R_GRANT;
	b5->rights &= ~(uint32_t)CAP_R_GRANT;
	cr_expect_eq(run(NULL, 0), 1);
	cr_expect_str_eq(seen_what[0], "a capability has rights its parent lacks");
	cr_expect_eq(seen_where[0], c7);
}

Test(check, counts_states_and_quotas_are_checked)
{
	struct cap_object *u, *f, *g;

	build(&u, &f, &g);
	TB->used++;
	cr_expect_eq(run(NULL, 0), 1);
	cr_expect_eq(seen_where[0], TB);
	TB->used--;
	u->quota = 5000;
	cr_expect_eq(run(NULL, 0), 1);
	cr_expect_str_eq(seen_what[0], "an untyped quota exceeds the machine's pages");
	u->quota = 7;
	f->charged = 0;
	cr_expect_eq(run(NULL, 0), 1);
	cr_expect_eq(seen_where[0], f);
	f->charged = 1;
	cr_expect_eq(run(NULL, 0), 0);
}
