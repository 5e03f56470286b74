# Host unit tests, built with the sanitizers: the printf engine (lib/printfmt.c) compared with
# the C library's snprintf, and the string helpers (lib/string.c).  `make unit` runs every
# binary in UNIT_TESTS; `make unit-printf` runs just these.

PRINTF_TEST := $(OBJ)/grade/unit/printf/test_printfmt
PRINTF_TEST_SRCS := grade/unit/printf/test_printfmt.c grade/unit/printf/test_printfmt_edges.c \
	lib/printfmt.c

# lib/string.c is renamed (memset -> xs_memset, ...) so it sits beside libc, not over it.
STRING_TEST := $(OBJ)/grade/unit/printf/test_string
STRING_RENAME := $(foreach f,memset memcpy memmove memcmp strlen strnlen strcmp strncmp \
	strchr strlcpy,-D$(f)=xs_$(f))

$(PRINTF_TEST): $(PRINTF_TEST_SRCS) lib/include/printfmt.h lib/printfmt_cases.h | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(V)$(HOSTCC) $(HOST_CFLAGS) -o $@ $(PRINTF_TEST_SRCS) -lcriterion

$(STRING_TEST): grade/unit/printf/test_string.c lib/string.c lib/include/xstring.h | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(V)$(HOSTCC) $(HOST_CFLAGS) -fno-builtin $(STRING_RENAME) -o $@ \
		grade/unit/printf/test_string.c lib/string.c -lcriterion

unit-printf: $(PRINTF_TEST) $(STRING_TEST) ## run the printf and string host unit tests
	$(PRINTF_TEST)
	$(STRING_TEST)

UNIT_TESTS += $(PRINTF_TEST) $(STRING_TEST)
COMPDB_ARGS += --group '$(HOSTCC) $(HOST_CFLAGS)' grade/unit/printf/test_printfmt.c \
	grade/unit/printf/test_printfmt_edges.c

.PHONY: unit-printf
