# Host unit tests of kern/cap (Criterion, ASan + UBSan) linked with the host HAL (sim/hal),
# appended to UNIT_TESTS.  `make unit-cap` builds and runs just these; test_random checks
# seeded sequences of 10,000 operations against a reference model after every step.
ifndef CAP_SRCS
include kern/cap/Makefrag
endif
ifndef SIMHAL_SRCS
include sim/hal/Makefrag
endif

CAPTEST_DIR := $(OBJ)/grade/unit/cap
CAPTEST_NAMES := table derive revoke object random check
CAPTEST_BINS := $(addprefix $(CAPTEST_DIR)/test_,$(CAPTEST_NAMES))
CAPTEST_LIBSRCS := $(CAP_SRCS) $(SIMHAL_SRCS) sim/rng/rng.c grade/unit/cap/capfix.c kern/check/capcheck.c \
	grade/unit/cap/capmodel.c
CAPTEST_LIBOBJS := $(patsubst %.c,$(CAPTEST_DIR)/obj/%.o,$(CAPTEST_LIBSRCS))
CAPTEST_HDRS := $(wildcard kern/include/cap.h kern/include/abi/cap.h kern/include/abi/error.h \
	kern/include/hal.h kern/cap/*.h kern/check/capcheck.h sim/hal/*.h grade/unit/cap/*.h)

UNIT_TESTS += $(CAPTEST_BINS)

$(CAPTEST_DIR)/obj/%.o: %.c $(CAPTEST_HDRS) | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(V)$(HOSTCC) $(HOST_CFLAGS) $(SIMHAL_INC) -Isim -Ikern/cap -Ikern/check -Igrade/unit/cap -c -o $@ $<

$(CAPTEST_DIR)/test_%: $(CAPTEST_DIR)/obj/grade/unit/cap/test_%.o $(CAPTEST_LIBOBJS)
	$(V)$(HOSTCC) $(HOST_CFLAGS) -o $@ $^ -lcriterion -lm

.PRECIOUS: $(CAPTEST_DIR)/obj/%.o

unit-cap: $(CAPTEST_BINS) ## build and run the capability host unit tests
	$(V)set -e; for t in $(CAPTEST_BINS); do $$t; done

.PHONY: unit-cap
