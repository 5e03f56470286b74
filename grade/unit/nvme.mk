# Host tests of the portable NVMe driver (lib/drivers/nvme) against the controller model
# (sim/dev/nvme_model*.c) over sim/hal (Criterion, ASan + UBSan), appended to UNIT_TESTS; and
# `nvme-freestanding` in TEST_TARGETS: the driver compiled with the kernel's flags and no libc
# headers, its undefined symbols checked against what lib/string.c defines.
include sim/hal/Makefrag

NVMETEST_DIR := $(OBJ)/grade/unit/nvme
NVMETEST_NAMES := io recovery status diag
NVMETEST_BINS = $(addprefix $(NVMETEST_DIR)/test_,$(NVMETEST_NAMES)) $(NVMESIM_TEST)
NVME_SRCS := $(sort $(wildcard lib/drivers/nvme/*.c))
NVMEMODEL_SRCS := sim/dev/nvme_model.c sim/dev/nvme_model_cmd.c sim/dev/nvme_model_check.c
NVMETEST_LIBSRCS := $(NVME_SRCS) $(NVMEMODEL_SRCS) $(SIMHAL_SRCS) grade/unit/nvme/nvmefix.c
NVMETEST_LIBOBJS := $(patsubst %.c,$(NVMETEST_DIR)/obj/%.o,$(NVMETEST_LIBSRCS))
NVME_INC := -Ilib/drivers/include
# The driver is portable code: `make seam-check` compiles it without the machine headers too.
PORTABLE_DIRS += lib/drivers/nvme
SEAM_INC += $(NVME_INC)
NVMETEST_INC := $(NVME_INC) -Ilib/drivers/nvme -Isim/dev $(SIMHAL_INC) -Igrade/unit/nvme \
	-Isim -Isim/nvme
NVMETEST_HDRS := $(wildcard grade/unit/srcline.h kern/include/*.h lib/drivers/include/*.h lib/drivers/nvme/*.h \
	sim/dev/*.h sim/hal/*.h grade/unit/nvme/*.h sim/nvme/*.h)

# exosim's NVMe run (sim/nvme: the driver in the simulator, faults, the workload parser),
# linked against exosim's sanitizer library rather than the objects above.
ifneq ($(SIM_SAN_LIB),)
NVMESIM_TEST := $(NVMETEST_DIR)/test_sim
$(NVMESIM_TEST): $(NVMETEST_DIR)/obj/grade/unit/nvme/test_nvme_sim.o $(SIM_SAN_LIB)
	$(V)$(HOSTCC) $(HOST_CFLAGS) -o $@ $^ -lcriterion $(SIM_LIBS)
endif

# Lab 5 (grade/lab5.py) runs these tests: `make unit`, `make grade` and `make grade-lab5`
# build them wherever lab 5 is graded (the reference tree, lab 5's handout and later ones);
# a handout of an earlier lab has the driver's lab 5 regions stubbed, so not there.
NVMETEST_LAB_BEFORE_5 := $(filter 1 2 3 4 4b 4c,$(strip $(file < .exolab-lab)))
ifeq ($(NVMETEST_LAB_BEFORE_5),)
UNIT_TESTS += $(NVMETEST_BINS)
grade test-grade grade-lab5: $(NVMETEST_BINS)
endif

$(NVMETEST_DIR)/obj/%.o: %.c $(NVMETEST_HDRS) | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(V)$(HOSTCC) $(HOST_CFLAGS) $(NVMETEST_INC) -c -o $@ $<

$(NVMETEST_DIR)/test_%: $(NVMETEST_DIR)/obj/grade/unit/nvme/test_nvme_%.o $(NVMETEST_LIBOBJS)
	$(V)$(HOSTCC) $(HOST_CFLAGS) -o $@ $^ -lcriterion

.PRECIOUS: $(NVMETEST_DIR)/obj/%.o

unit-nvme: $(NVMETEST_BINS) ## build and run the NVMe driver's host tests (against the model)
	$(V)set -e; for t in $(NVMETEST_BINS); do $$t $(UNITFLAGS); done

# The kernel's flags with -nostdinc (only the compiler's own freestanding headers), the
# portable include paths and the driver's header: nothing of libc or of kern/arch is reachable.
NVME_KOBJ_DIR := $(OBJ)/lib/drivers/nvme/freestanding
NVME_KOBJS := $(patsubst lib/drivers/nvme/%.c,$(NVME_KOBJ_DIR)/%.o,$(NVME_SRCS))
NVME_KFLAGS = $(filter-out -MMD -MP,$(KERN_CFLAGS)) -nostdinc \
	-isystem $(shell $(CC) -print-file-name=include) $(PORTABLE_INC) $(NVME_INC)

$(NVME_KOBJ_DIR)/%.o: lib/drivers/nvme/%.c $(NVMETEST_HDRS) | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(V)$(CC) $(NVME_KFLAGS) -c -o $@ $<

nvme-freestanding: $(NVME_KOBJS) ## compile the NVMe driver with the kernel's flags, no libc
	$(V)$(CC) $(NVME_KFLAGS) -c -o $(NVME_KOBJ_DIR)/string.o lib/string.c
	$(V)have=$$($(NM) --defined-only $(NVME_KOBJ_DIR)/string.o $(NVME_KOBJS) | awk '{print $$3}'); \
	bad=; for s in $$($(NM) -u $(NVME_KOBJS) | awk '/ U /{print $$2}' | sort -u); do \
		case " $$(echo $$have) " in *" $$s "*) ;; *) bad="$$bad $$s";; esac; \
	done; \
	if [ -n "$$bad" ]; then echo "nvme-freestanding: undefined outside lib/:$$bad"; exit 1; fi; \
	echo "nvme-freestanding: $(words $(NVME_KOBJS)) objects, every external symbol from lib/"

TEST_TARGETS += nvme-freestanding

.PHONY: unit-nvme nvme-freestanding
