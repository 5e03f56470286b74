# Host unit tests of exosim's workloads and metrics (Criterion, ASan + UBSan), appended to
# UNIT_TESTS, and the short seeded fuzz pass of the workload loader (sim/fuzz/fuzz.mk),
# appended to TEST_TARGETS.  `make unit-simio` runs just the unit tests.
ifndef SIM_IO_SRCS
include sim/workload/workload.mk
endif

SIMIO_DIR := $(OBJ)/grade/unit/simio
SIMIO_NAMES := hist loader loader_errors generators writers
SIMIO_BINS := $(addprefix $(SIMIO_DIR)/test_,$(SIMIO_NAMES))
SIMIO_LIBSRCS := sim/rng/rng.c $(SIM_IO_SRCS)
SIMIO_LIBOBJS := $(patsubst %.c,$(SIMIO_DIR)/obj/%.o,$(SIMIO_LIBSRCS))
SIMIO_HDRS := $(wildcard sim/rng/*.h sim/workload/*.h sim/metrics/*.h grade/unit/simio/*.h)

UNIT_TESTS += $(SIMIO_BINS)

$(SIMIO_DIR)/obj/%.o: %.c $(SIMIO_HDRS) | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(V)$(HOSTCC) $(HOST_CFLAGS) -Isim -c -o $@ $<

$(SIMIO_DIR)/test_%: $(SIMIO_DIR)/obj/grade/unit/simio/test_%.o $(SIMIO_LIBOBJS)
	$(V)$(HOSTCC) $(HOST_CFLAGS) -o $@ $^ -lcriterion $(SIM_IO_LIBS)

.PRECIOUS: $(SIMIO_DIR)/obj/%.o

unit-simio: $(SIMIO_BINS) ## build and run the exosim workload/metrics unit tests
	$(V)set -e; for t in $(SIMIO_BINS); do $$t; done

.PHONY: unit-simio

include sim/fuzz/fuzz.mk
