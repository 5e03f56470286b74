/* The boot-time printf self-test cases (test=printf), as an X-macro list.  Read by
 * kern/test/printf.c (ktest_printf), by the host unit tests and, as plain text, by the grader.
 *
 * Grammar, one case per line, nothing else on the line but optional comments:
 *   CASE(format, TYPE, value)              printf(format, (TYPE)value)
 *   CASE_STAR(format, width, TYPE, value)  printf(format, (int)width, (TYPE)value)
 * TYPE is SCHAR UCHAR SHORT USHORT INT UINT LONG ULONG LLONG ULLONG SIZE (8, 8, 16, 16,
 * 32, 32, 64, 64, 64, 64, 64 bits; U means unsigned, SIZE is unsigned), CHAR, STR or PTR.
 * A value is an integer expression of decimal or 0x literals with - and parentheses (C
 * suffixes U, L, LL may follow a literal), a 'c' character literal, a "string" without
 * escapes, or NULL.  Formats avoid where Python's % differs from C (no '"' or '\', no
 * "%#o", no '#' or a precision of 0 with the value 0, no "%0p", no NULL with a precision),
 * so Python gives C's answer once the length modifier is removed and the value is wrapped
 * to its C type and then to its length modifier.  %p prints like %s of "(nil)" for 0 and
 * of "0x" + lowercase hex otherwise; a NULL %s prints like %s of "(null)".
 * The includer defines both CASE and CASE_STAR. */

/* %d and %i: signs, extremes, flags, width, precision */
CASE("%d", INT, 0)
CASE("%d", INT, 42)
CASE("%d", INT, -1)
CASE("%d", INT, 2147483647)
CASE("%d", INT, -2147483647 - 1)
CASE("%i", INT, -12345)
CASE("%5d", INT, -42)
CASE("%-5d|", INT, 42)
CASE("%05d", INT, -42)
CASE("%+d", INT, 7)
CASE("% d", INT, 7)
CASE("%.3d", INT, 5)
CASE("%8.3d", INT, -5)
CASE("%.0d", INT, 7)
CASE_STAR("%*d", 6, INT, 123)
CASE_STAR("%*d|", -6, INT, 123)
/* %u %x %X %o */
CASE("%u", UINT, 4294967295)
CASE("%u", UINT, 0)
CASE("%x", UINT, 3735928559)
CASE("%X", UINT, 3735928559)
CASE("%08x", UINT, 0xbeef)
CASE("%#x", UINT, 255)
CASE("%#X", UINT, 255)
CASE("%o", UINT, 8)
CASE("%-8o|", UINT, 511)
/* length modifiers */
CASE("%hhd", SCHAR, 255)
CASE("%hhu", UCHAR, -1)
CASE("%hd", SHORT, 32768)
CASE("%hx", USHORT, -1)
CASE("%ld", LONG, -9223372036854775807L - 1)
CASE("%lu", ULONG, 18446744073709551615UL)
CASE("%lld", LLONG, -9223372036854775807LL - 1)
CASE("%lld", LLONG, 9223372036854775807LL)
CASE("%llu", ULLONG, 18446744073709551615ULL)
CASE("%llx", ULLONG, 18446744073709551615ULL)
CASE("%llo", ULLONG, 18446744073709551615ULL)
CASE("%zu", SIZE, 4096)
CASE("%zx", SIZE, 0xffff800000000000)
CASE("%20llu|", ULLONG, 1)
CASE("%-20lld|", LLONG, -1)
/* %p %s %c %% */
CASE("%p", PTR, 0xffffffff80100000)
CASE("%p", PTR, 0)
CASE("%20p|", PTR, 0x1000)
CASE("%-20p|", PTR, 0)
CASE("%s", STR, "hello")
CASE("%s", STR, NULL)
CASE("%8s|", STR, "abc")
CASE("%-8s|", STR, "abc")
CASE("%.2s", STR, "abcdef")
CASE("%c", CHAR, 'x')
CASE("%3c|", CHAR, 'y')
CASE("100%% %d", INT, 1)
