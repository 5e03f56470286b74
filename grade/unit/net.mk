# Host tests of the portable network drivers (lib/drivers/net) against the NIC models
# (sim/dev/rtl_model.c, sim/dev/e1000_model*.c) over sim/hal (Criterion, ASan + UBSan), appended
# to UNIT_TESTS; and
# `net-freestanding` in TEST_TARGETS: the drivers compiled with the kernel's flags and no libc
# headers, their undefined symbols checked against what lib/string.c defines.
include sim/hal/Makefrag

NETDRVTEST_DIR := $(OBJ)/grade/unit/net
NETDRVTEST_NAMES := rtl_init rtl_io rtl_model e1000_init e1000_io e1000_model e1000_diag rtl_diag
NETDRVTEST_BINS := $(addprefix $(NETDRVTEST_DIR)/test_,$(NETDRVTEST_NAMES))
NETDRV_SRCS := $(sort $(wildcard lib/drivers/net/*.c))
NETDRVMODEL_SRCS := sim/dev/rtl_model.c sim/dev/e1000_model.c sim/dev/e1000_model_regs.c \
	sim/dev/crc32.c
NETDRVTEST_LIBSRCS := $(NETDRV_SRCS) $(NETDRVMODEL_SRCS) $(SIMHAL_SRCS) grade/unit/net/netfix.c
NETDRVTEST_LIBOBJS := $(patsubst %.c,$(NETDRVTEST_DIR)/obj/%.o,$(NETDRVTEST_LIBSRCS))
NETDRV_INC := -Ilib/drivers/include
# The drivers are portable code: `make seam-check` compiles them without the machine headers.
PORTABLE_DIRS += lib/drivers/net
SEAM_INC += $(NETDRV_INC)
NETDRVTEST_INC := $(NETDRV_INC) -Ilib/drivers/net -Isim/dev $(SIMHAL_INC) -Igrade/unit/net
NETDRVTEST_HDRS := $(wildcard grade/unit/srcline.h kern/include/*.h lib/drivers/include/*.h lib/drivers/net/*.h \
	sim/dev/*.h sim/hal/*.h grade/unit/net/*.h)

# Lab 5 (grade/lab5.py) runs these tests: `make unit`, `make grade` and `make grade-lab5`
# build them wherever lab 5 is graded (the reference tree, lab 5's handout and later ones);
# a handout of an earlier lab has the e1000's lab 5 regions stubbed, so not there.
NETDRVTEST_LAB_BEFORE_5 := $(filter 1 2 3 4 4b 4c,$(strip $(file < .exolab-lab)))
ifeq ($(NETDRVTEST_LAB_BEFORE_5),)
UNIT_TESTS += $(NETDRVTEST_BINS)
grade test-grade grade-lab5: $(NETDRVTEST_BINS)
endif

$(NETDRVTEST_DIR)/obj/%.o: %.c $(NETDRVTEST_HDRS) | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(V)$(HOSTCC) $(HOST_CFLAGS) $(NETDRVTEST_INC) -c -o $@ $<

$(NETDRVTEST_DIR)/test_%: $(NETDRVTEST_DIR)/obj/grade/unit/net/test_%.o $(NETDRVTEST_LIBOBJS)
	$(V)$(HOSTCC) $(HOST_CFLAGS) -o $@ $^ -lcriterion

.PRECIOUS: $(NETDRVTEST_DIR)/obj/%.o

# exosim's network run (sim/net: the drivers in the simulator, traffic, faults, the workload
# parser), linked against exosim's sanitizer library rather than the objects above.
ifneq ($(SIM_SAN_LIB),)
NETSIM_TEST := $(NETDRVTEST_DIR)/test_net_sim
$(NETSIM_TEST): $(NETDRVTEST_DIR)/obj/grade/unit/net/test_net_sim.o $(SIM_SAN_LIB)
	$(V)$(HOSTCC) $(HOST_CFLAGS) -o $@ $^ -lcriterion $(SIM_LIBS)
$(NETDRVTEST_DIR)/obj/grade/unit/net/test_net_sim.o: NETDRVTEST_INC += -Isim -Isim/net -Ilib/fastpath/include
$(NETDRVTEST_DIR)/obj/grade/unit/net/test_net_sim.o: $(wildcard sim/*.h sim/net/*.h lib/fastpath/include/*.h)
ifeq ($(NETDRVTEST_LAB_BEFORE_5),)
UNIT_TESTS += $(NETSIM_TEST)
endif
endif

unit-net: $(NETDRVTEST_BINS) $(NETSIM_TEST) ## build and run the network drivers' host tests (against the models)
	$(V)set -e; for t in $(NETDRVTEST_BINS) $(NETSIM_TEST); do $$t $(UNITFLAGS); done

# The kernel's flags with -nostdinc (only the compiler's own freestanding headers), the
# portable include paths and the drivers' headers: nothing of libc or of kern/arch is reachable.
NETDRV_KOBJ_DIR := $(OBJ)/lib/drivers/net/freestanding
NETDRV_KOBJS := $(patsubst lib/drivers/net/%.c,$(NETDRV_KOBJ_DIR)/%.o,$(NETDRV_SRCS))
NETDRV_KFLAGS = $(filter-out -MMD -MP,$(KERN_CFLAGS)) -nostdinc \
	-isystem $(shell $(CC) -print-file-name=include) $(PORTABLE_INC) $(NETDRV_INC)

$(NETDRV_KOBJ_DIR)/%.o: lib/drivers/net/%.c $(NETDRVTEST_HDRS) | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(V)$(CC) $(NETDRV_KFLAGS) -c -o $@ $<

net-freestanding: $(NETDRV_KOBJS) ## compile the network drivers with the kernel's flags, no libc
	$(V)$(CC) $(NETDRV_KFLAGS) -c -o $(NETDRV_KOBJ_DIR)/string.o lib/string.c
	$(V)have=$$($(NM) --defined-only $(NETDRV_KOBJ_DIR)/string.o $(NETDRV_KOBJS) | awk '{print $$3}'); \
	bad=; for s in $$($(NM) -u $(NETDRV_KOBJS) | awk '/ U /{print $$2}' | sort -u); do \
		case " $$(echo $$have) " in *" $$s "*) ;; *) bad="$$bad $$s";; esac; \
	done; \
	if [ -n "$$bad" ]; then echo "net-freestanding: undefined outside lib/:$$bad"; exit 1; fi; \
	echo "net-freestanding: $(words $(NETDRV_KOBJS)) objects, every external symbol from lib/"

TEST_TARGETS += net-freestanding

.PHONY: unit-net net-freestanding

