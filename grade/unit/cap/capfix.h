/* Shared fixture of the kern/cap host tests: a few tables on the heap, objects, and a
 * release hook that records which object was released, in which order, at what depth. */
#ifndef EXOLAB_CAPFIX_H
#define EXOLAB_CAPFIX_H

#include <criterion/criterion.h>
#include <setjmp.h>
#include <string.h>

#include "abi/error.h"
#include "cap.h"
#include "simhal.h"

#define CAPFIX_TABLES       4
#define CAPFIX_SLOTS        64
#define CAPFIX_MAX_RELEASES 4096

/* Tables A, B, C, D of CAPFIX_SLOTS slots each, owners 1..4. */
extern struct cap_table capfix_tab[CAPFIX_TABLES];
#define TA (&capfix_tab[0])
#define TB (&capfix_tab[1])
#define TC (&capfix_tab[2])
#define TD (&capfix_tab[3])

/* Every release seen by the recording hook, oldest first. */
extern struct cap_object *capfix_released[CAPFIX_MAX_RELEASES];
extern unsigned capfix_nreleased;
extern unsigned capfix_max_depth; /* deepest nesting of release hooks seen */
extern unsigned capfix_last_cpu;  /* hal_cpu_id() in the latest hook */

/* An optional action run inside the recording hook (after recording). */
extern void (*capfix_on_release)(struct cap_object *obj);

/* simhal set-up, the tables, and the recording hook on every type. */
void capfix_setup(void);
void capfix_teardown(void);

/* How many times `obj` was released. */
unsigned capfix_release_count(const struct cap_object *obj);

/* Zeroed heap objects, freed at teardown. */
struct cap_object *capfix_env(uint64_t id);
struct cap_object *capfix_frame(physaddr_t phys);
struct cap_object *capfix_untyped(uint64_t pages);

/* Panic catching: simhal's hook longjmps here while armed. */
extern jmp_buf capfix_panic_jmp;
extern volatile int capfix_panic_armed;

#define CAPFIX_EXPECT_PANIC(stmt, needle)                                                          \
	do {                                                                                       \
		capfix_panic_armed = 1;                                                            \
		if (setjmp(capfix_panic_jmp) == 0) {                                               \
			stmt;                                                                      \
			capfix_panic_armed = 0;                                                    \
			cr_assert_fail("%s did not panic", #stmt);                                 \
		}                                                                                  \
		capfix_panic_armed = 0;                                                            \
		cr_assert(strstr(simhal_last_panic(), (needle)) != NULL,                           \
		          "panic message \"%s\" lacks \"%s\"", simhal_last_panic(), (needle));     \
	} while (0)

#endif
