/* Host unit tests of lib/printfmt.c beyond the libc comparison grid: snprintf truncation,
 * NULL arguments, unknown directives, field clamping and the callback interface. */
#include <criterion/criterion.h>
#include <string.h>

#include "printfmt.h"

#define CANARY 0x5a

static char buf[64];

/* Calling through a volatile pointer hides the callee from the compiler's format checks,
 * which would (rightly) reject the malformed directives these tests feed on purpose. */
static int (*volatile unchecked_snprintf)(char *, size_t, const char *, ...) = fmt_snprintf;

static void
fill_canary(void)
{
	memset(buf, CANARY, sizeof(buf));
}

/* True when buf[from..] still holds the canary. */
static int
untouched_from(size_t from)
{
	for (size_t i = from; i < sizeof(buf); i++)
		if ((unsigned char)buf[i] != CANARY)
			return 0;
	return 1;
}

Test(printfmt_truncate, size_zero_writes_nothing_and_returns_full_length)
{
	fill_canary();
	cr_assert_eq(fmt_snprintf(buf, 0, "abc%d", 12345), 8);
	cr_assert(untouched_from(0));
}

Test(printfmt_truncate, size_zero_accepts_null_buffer)
{
	cr_assert_eq(fmt_snprintf(NULL, 0, "%s-%d", "xy", -7), 5);
}

Test(printfmt_truncate, size_one_writes_only_the_terminator)
{
	fill_canary();
	cr_assert_eq(fmt_snprintf(buf, 1, "abc%d", 12345), 8);
	cr_assert_eq(buf[0], '\0');
	cr_assert(untouched_from(1));
}

Test(printfmt_truncate, exact_size_holds_everything)
{
	fill_canary();
	cr_assert_eq(fmt_snprintf(buf, 9, "abc%d", 12345), 8);
	cr_assert_str_eq(buf, "abc12345");
	cr_assert(untouched_from(9));
}

Test(printfmt_truncate, one_short_drops_the_last_character)
{
	fill_canary();
	cr_assert_eq(fmt_snprintf(buf, 8, "abc%d", 12345), 8);
	cr_assert_str_eq(buf, "abc1234");
	cr_assert(untouched_from(8));
}

Test(printfmt_truncate, short_buffer_cuts_inside_a_padded_field)
{
	fill_canary();
	cr_assert_eq(fmt_snprintf(buf, 6, "[%-8x]", 0xabcu), 10);
	cr_assert_str_eq(buf, "[abc ");
	cr_assert(untouched_from(6));
}

Test(printfmt_truncate, empty_output_terminates)
{
	fill_canary();
	cr_assert_eq(fmt_snprintf(buf, sizeof(buf), "%s", ""), 0);
	cr_assert_eq(buf[0], '\0');
	cr_assert(untouched_from(1));
}

Test(printfmt_null, null_string_prints_null_in_parentheses)
{
	cr_assert_eq(unchecked_snprintf(buf, sizeof(buf), "%s|%8s|%-8s|", NULL, NULL, NULL), 25);
	cr_assert_str_eq(buf, "(null)|  (null)|(null)  |");
}

Test(printfmt_null, null_string_with_short_precision_prints_nothing)
{
	cr_assert_eq(unchecked_snprintf(buf, sizeof(buf), "[%.3s][%.6s]", NULL, NULL), 10);
	cr_assert_str_eq(buf, "[][(null)]");
}

Test(printfmt_null, null_pointer_prints_nil_padded_with_spaces)
{
	cr_assert_eq(
	    unchecked_snprintf(buf, sizeof(buf), "%p|%8p|%-8p|%08p", NULL, NULL, NULL, NULL), 32);
	cr_assert_str_eq(buf, "(nil)|   (nil)|(nil)   |   (nil)");
}

Test(printfmt_unknown, unknown_conversion_is_printed_verbatim)
{
	cr_assert_eq(unchecked_snprintf(buf, sizeof(buf), "a%qb"), 4);
	cr_assert_str_eq(buf, "a%qb");
}

Test(printfmt_unknown, unknown_directive_keeps_flags_width_and_length)
{
	cr_assert_eq(unchecked_snprintf(buf, sizeof(buf), "%-5.2lq|%hy"), 11);
	cr_assert_str_eq(buf, "%-5.2lq|%hy");
}

Test(printfmt_unknown, unknown_directive_consumes_no_argument)
{
	cr_assert_eq(unchecked_snprintf(buf, sizeof(buf), "%q%d", 7), 3);
	cr_assert_str_eq(buf, "%q7");
}

Test(printfmt_unknown, percent_n_writes_nothing)
{
	int target = 1234;

	cr_assert_eq(unchecked_snprintf(buf, sizeof(buf), "ab%n", &target), 4);
	cr_assert_str_eq(buf, "ab%n");
	cr_assert_eq(target, 1234);
}

Test(printfmt_unknown, wide_char_and_string_are_printed_verbatim)
{
	cr_assert_eq(unchecked_snprintf(buf, sizeof(buf), "%lc %ls %lp"), 11);
	cr_assert_str_eq(buf, "%lc %ls %lp");
}

Test(printfmt_unknown, directive_cut_by_end_of_string_is_printed_verbatim)
{
	cr_assert_eq(unchecked_snprintf(buf, sizeof(buf), "x%"), 2);
	cr_assert_str_eq(buf, "x%");
	cr_assert_eq(unchecked_snprintf(buf, sizeof(buf), "x%-08ll"), 7);
	cr_assert_str_eq(buf, "x%-08ll");
}

Test(printfmt_percent, percent_percent_prints_one_percent)
{
	cr_assert_eq(fmt_snprintf(buf, sizeof(buf), "100%%%d%%", 5), 6);
	cr_assert_str_eq(buf, "100%5%");
}

/* Widths and precisions beyond FMT_MAX_FIELD are clamped, from digits or from '*'. */
Test(printfmt_clamp, huge_widths_are_clamped)
{
	cr_assert_eq(unchecked_snprintf(NULL, 0, "%99999999999999999999d", 1), FMT_MAX_FIELD);
	cr_assert_eq(unchecked_snprintf(NULL, 0, "%*d", 1 << 30, 1), FMT_MAX_FIELD);
	cr_assert_eq(unchecked_snprintf(NULL, 0, "%*d", -(1 << 30), 1), FMT_MAX_FIELD);
	cr_assert_eq(unchecked_snprintf(NULL, 0, "%.99999999999d", 1), FMT_MAX_FIELD);
}

Test(printfmt_clamp, int_min_star_width_left_aligns)
{
	cr_assert_eq(unchecked_snprintf(buf, 4, "%*d", -2147483647 - 1, 5), FMT_MAX_FIELD);
	cr_assert_str_eq(buf, "5  ");
}

struct sink {
	char text[64];
	int calls;
};

static void
sink_putch(int c, void *arg)
{
	struct sink *s = arg;

	if (s->calls < (int)sizeof(s->text) - 1)
		s->text[s->calls] = (char)c;
	s->calls++;
}

Test(printfmt_callback, one_call_per_character_in_order)
{
	struct sink s = { { 0 }, 0 };

	cr_assert_eq(printfmt(sink_putch, &s, "%s=%04x;", "reg", 0x1fu), 9);
	cr_assert_eq(s.calls, 9);
	cr_assert_str_eq(s.text, "reg=001f;");
}

Test(printfmt_callback, nul_from_percent_c_is_delivered_and_counted)
{
	struct sink s = { { 0 }, 0 };

	cr_assert_eq(printfmt(sink_putch, &s, "a%cb", 0), 3);
	cr_assert_eq(s.calls, 3);
	cr_assert_eq(memcmp(s.text, "a\0b", 3), 0);
}
