/* The kernel's UndefinedBehaviorSanitizer runtime: the __ubsan_handle_* functions gcc and
 * clang call from code built with -fsanitize=undefined (`make kernel-ubsan`).  Each prints
 *   ubsan: <what> at <file>:<line>:<column>
 * with the details it has and a backtrace, once per source location, and returns (the
 * checks are recoverable) except for the two that cannot (unreachable code, a missing
 * return), which panic.  The data layouts are the compilers' ABI for these calls (each
 * record starts with the source location; the types carry a kind, an info word and a
 * name); only the fields used here are declared. */
#include <stdbool.h>
#include <stdint.h>

#include "backtrace.h"
#include "console.h"
#include "hal.h"
#include "panic.h"

struct ubsan_loc {
	const char *file;
	uint32_t line, column;
};

struct ubsan_type {
	uint16_t kind; /* 0: integer, 1: float */
	uint16_t info; /* integer: bit 0 signed, bits 15:1 log2 of the width in bits */
	char name[];
};

struct ubsan_loc_type {
	struct ubsan_loc loc;
	const struct ubsan_type *type;
};

struct ubsan_mismatch {
	struct ubsan_loc loc;
	const struct ubsan_type *type;
	uint8_t log_align;
	uint8_t kind; /* an index into mismatch_kinds */
};

struct ubsan_shift {
	struct ubsan_loc loc;
	const struct ubsan_type *lhs, *rhs;
};

struct ubsan_bounds {
	struct ubsan_loc loc;
	const struct ubsan_type *array, *index;
};

#define MAX_SEEN 64

static const struct ubsan_loc *seen[MAX_SEEN];
static unsigned nseen;
static struct hal_spinlock lock = HAL_SPINLOCK_INIT("ubsan");

/* The compilers' list of checked accesses (the type_check_kind values). */
static const char *const mismatch_kinds[] = {
	"load of",
	"store to",
	"reference binding to",
	"member access within",
	"member call on",
	"constructor call on",
	"downcast of",
	"downcast of",
	"upcast of",
	"cast to virtual base of",
	"nonnull binding to",
	"dynamic operation on",
};

/* True the first time a location reports (an overflowing table reports everything). */
static bool
first_time(const struct ubsan_loc *loc)
{
	bool first = true;

	hal_spin_lock(&lock);
	for (unsigned i = 0; i < nseen && first; i++)
		first = seen[i] != loc;
	if (first && nseen < MAX_SEEN)
		seen[nseen++] = loc;
	hal_spin_unlock(&lock);
	return first;
}

static bool
report(const struct ubsan_loc *loc, const char *what)
{
	if (!first_time(loc))
		return false;
	printf("ubsan: %s at %s:%u:%u\n", what, loc->file, loc->line, loc->column & 0x7FFFFFFF);
	return true;
}

static void
done(void)
{
	backtrace_here();
}

static const char *
type_name(const struct ubsan_type *t)
{
	return t != NULL ? t->name : "?";
}

#define HANDLER(name, ...)                                                                         \
	void __ubsan_handle_##name(__VA_ARGS__);                                                   \
	void __ubsan_handle_##name(__VA_ARGS__)

HANDLER(type_mismatch_v1, const struct ubsan_mismatch *d, uintptr_t ptr)
{
	const char *kind = d->kind < sizeof(mismatch_kinds) / sizeof(mismatch_kinds[0])
	                       ? mismatch_kinds[d->kind]
	                       : "access to";
	const char *what = ptr == 0                               ? "null pointer"
	                   : (ptr & ((1ull << d->log_align) - 1)) ? "misaligned address"
	                                                          : "too small an object";

	if (!report(&d->loc, what))
		return;
	printf("  %s %p, type %s (alignment %lu)\n", kind, (void *)ptr, type_name(d->type),
	       1ul << d->log_align);
	done();
}

static void
arith(const struct ubsan_loc_type *d, const char *op, uintptr_t a, uintptr_t b)
{
	if (!report(&d->loc, "arithmetic overflow"))
		return;
	printf("  0x%lx %s 0x%lx in type %s\n", a, op, b, type_name(d->type));
	done();
}

HANDLER(add_overflow, const struct ubsan_loc_type *d, uintptr_t a, uintptr_t b)
{
	arith(d, "+", a, b);
}

HANDLER(sub_overflow, const struct ubsan_loc_type *d, uintptr_t a, uintptr_t b)
{
	arith(d, "-", a, b);
}

HANDLER(mul_overflow, const struct ubsan_loc_type *d, uintptr_t a, uintptr_t b)
{
	arith(d, "*", a, b);
}

HANDLER(divrem_overflow, const struct ubsan_loc_type *d, uintptr_t a, uintptr_t b)
{
	arith(d, "/ or %", a, b);
}

HANDLER(negate_overflow, const struct ubsan_loc_type *d, uintptr_t a)
{
	arith(d, "negated:", a, 0);
}

HANDLER(shift_out_of_bounds, const struct ubsan_shift *d, uintptr_t a, uintptr_t b)
{
	if (!report(&d->loc, "shift out of bounds"))
		return;
	printf("  0x%lx << or >> 0x%lx, %s by %s\n", a, b, type_name(d->lhs), type_name(d->rhs));
	done();
}

HANDLER(out_of_bounds, const struct ubsan_bounds *d, uintptr_t index)
{
	if (!report(&d->loc, "index out of bounds"))
		return;
	printf("  index 0x%lx of %s\n", index, type_name(d->array));
	done();
}

HANDLER(load_invalid_value, const struct ubsan_loc_type *d, uintptr_t v)
{
	if (!report(&d->loc, "load of an invalid value"))
		return;
	printf("  0x%lx for type %s\n", v, type_name(d->type));
	done();
}

HANDLER(pointer_overflow, const struct ubsan_loc *d, uintptr_t base, uintptr_t result)
{
	if (!report(d, "pointer overflow"))
		return;
	printf("  %p became %p\n", (void *)base, (void *)result);
	done();
}

HANDLER(vla_bound_not_positive, const struct ubsan_loc_type *d, uintptr_t bound)
{
	if (report(&d->loc, "variable-length array bound not positive"))
		done();
}

HANDLER(nonnull_arg, const struct ubsan_loc *d)
{
	if (report(d, "null passed as a nonnull argument"))
		done();
}

HANDLER(nonnull_return_v1, const struct ubsan_loc *d, const struct ubsan_loc *at)
{
	if (report(at, "null returned from a returns_nonnull function"))
		done();
}

HANDLER(invalid_builtin, const struct ubsan_loc *d)
{
	if (report(d, "ctz or clz of zero"))
		done();
}

HANDLER(alignment_assumption, const struct ubsan_loc *d, uintptr_t ptr, uintptr_t align,
        uintptr_t offset)
{
	if (!report(d, "alignment assumption violated"))
		return;
	printf("  %p is not aligned to %lu\n", (void *)ptr, align);
	done();
}

HANDLER(builtin_unreachable, const struct ubsan_loc *d)
{
	panic("ubsan: unreachable code reached at %s:%u", d->file, d->line);
}

HANDLER(missing_return, const struct ubsan_loc *d)
{
	panic("ubsan: the end of a value-returning function reached at %s:%u", d->file, d->line);
}
