# Host unit tests of the ramdisk and program parsers (kern/loader: cpio newc, ELF64), built
# with the sanitizers and fed malformed input; appended to UNIT_TESTS.  `make unit-loader`
# runs just these.
ifndef LOADER_SRCS
include kern/loader/Makefrag
endif

LOADERTEST_DIR := $(OBJ)/grade/unit/loader
LOADERTEST_NAMES := cpio elf
LOADERTEST_BINS := $(addprefix $(LOADERTEST_DIR)/test_,$(LOADERTEST_NAMES))
LOADERTEST_LIBOBJS := $(patsubst %.c,$(LOADERTEST_DIR)/obj/%.o,$(LOADER_SRCS) sim/rng/rng.c)
LOADERTEST_HDRS := kern/include/loader.h kern/include/abi/error.h sim/rng/rng.h \
	$(wildcard grade/unit/loader/*.h)

UNIT_TESTS += $(LOADERTEST_BINS)

$(LOADERTEST_DIR)/obj/%.o: %.c $(LOADERTEST_HDRS) | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(V)$(HOSTCC) $(HOST_CFLAGS) -Isim -Igrade/unit/loader -c -o $@ $<

$(LOADERTEST_DIR)/test_%: $(LOADERTEST_DIR)/obj/grade/unit/loader/test_%.o $(LOADERTEST_LIBOBJS)
	$(V)$(HOSTCC) $(HOST_CFLAGS) -o $@ $^ -lcriterion -lm

.PRECIOUS: $(LOADERTEST_DIR)/obj/%.o

unit-loader: $(LOADERTEST_BINS) ## build and run the cpio/ELF parser host unit tests
	$(V)set -e; for t in $(LOADERTEST_BINS); do $$t; done

.PHONY: unit-loader
