/* The kern/cap host tests' fixture (see capfix.h). */
#include <stdlib.h>

#include "capfix.h"

struct cap_table capfix_tab[CAPFIX_TABLES];
static struct cap *slot_mem[CAPFIX_TABLES];

struct cap_object *capfix_released[CAPFIX_MAX_RELEASES];
unsigned capfix_nreleased;
unsigned capfix_max_depth;
unsigned capfix_last_cpu;
void (*capfix_on_release)(struct cap_object *obj);

jmp_buf capfix_panic_jmp;
volatile int capfix_panic_armed;

#define MAX_OBJS 1024
static struct cap_object *objs[MAX_OBJS];
static unsigned nobjs;
static unsigned depth;

static void
record_release(struct cap_object *obj)
{
	depth++;
	if (depth > capfix_max_depth)
		capfix_max_depth = depth;
	cr_assert_lt(capfix_nreleased, CAPFIX_MAX_RELEASES);
	capfix_released[capfix_nreleased++] = obj;
	capfix_last_cpu = hal_cpu_id();
	if (capfix_on_release)
		capfix_on_release(obj);
	depth--;
}

static void
panic_hook(const char *msg, void *arg)
{
	if (capfix_panic_armed)
		longjmp(capfix_panic_jmp, 1);
	cr_assert_fail("unexpected panic: %s", msg);
}

void
capfix_setup(void)
{
	unsigned i;

	cr_assert_eq(simhal_init(4096), 0);
	simhal_set_panic_hook(panic_hook, NULL);
	for (i = 0; i < CAPFIX_TABLES; i++) {
		slot_mem[i] = malloc(CAPFIX_SLOTS * sizeof(struct cap));
		cr_assert_not_null(slot_mem[i]);
		memset(slot_mem[i], 0x5a, CAPFIX_SLOTS * sizeof(struct cap));
		cr_assert_eq(cap_table_init(&capfix_tab[i], slot_mem[i], CAPFIX_SLOTS, i + 1), 0);
	}
	for (i = 0; i < CAP_NTYPES; i++)
		cap_set_release_hook(i, record_release);
}

void
capfix_teardown(void)
{
	unsigned i;

	for (i = 0; i < CAPFIX_TABLES; i++)
		free(slot_mem[i]);
	for (i = 0; i < nobjs; i++)
		free(objs[i]);
	nobjs = 0;
	simhal_fini();
}

unsigned
capfix_release_count(const struct cap_object *obj)
{
	unsigned i, n = 0;

	for (i = 0; i < capfix_nreleased; i++)
		n += capfix_released[i] == obj;
	return n;
}

static struct cap_object *
new_obj(void)
{
	struct cap_object *o = calloc(1, sizeof(*o));

	cr_assert_not_null(o);
	cr_assert_lt(nobjs, MAX_OBJS);
	objs[nobjs++] = o;
	return o;
}

struct cap_object *
capfix_env(uint64_t id)
{
	struct cap_object *o = new_obj();

	cr_assert_eq(cap_object_init(o, CAP_ENV, id), 0);
	return o;
}

struct cap_object *
capfix_frame(physaddr_t phys)
{
	struct cap_object *o = new_obj();

	cr_assert_eq(cap_object_init_frame(o, phys, CAP_PAGE_BYTES), 0);
	return o;
}

struct cap_object *
capfix_untyped(uint64_t pages)
{
	struct cap_object *o = new_obj();

	cr_assert_eq(cap_object_init_untyped(o, pages), 0);
	return o;
}
