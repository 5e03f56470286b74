# Host tests of the portable network drivers (lib/drivers/net) against the NIC models
# (sim/dev/rtl_model.c) over sim/hal (Criterion, ASan + UBSan), appended to UNIT_TESTS; and
# `net-freestanding` in TEST_TARGETS: the drivers compiled with the kernel's flags and no libc
# headers, their undefined symbols checked against what lib/string.c defines.
include sim/hal/Makefrag

NETTEST_DIR := $(OBJ)/grade/unit/net
NETTEST_NAMES := rtl_init rtl_io rtl_model
NETTEST_BINS := $(addprefix $(NETTEST_DIR)/test_,$(NETTEST_NAMES))
NET_SRCS := $(sort $(wildcard lib/drivers/net/*.c))
NETMODEL_SRCS := sim/dev/rtl_model.c
NETTEST_LIBSRCS := $(NET_SRCS) $(NETMODEL_SRCS) $(SIMHAL_SRCS) grade/unit/net/netfix.c
NETTEST_LIBOBJS := $(patsubst %.c,$(NETTEST_DIR)/obj/%.o,$(NETTEST_LIBSRCS))
NET_INC := -Ilib/drivers/include
# The drivers are portable code: `make seam-check` compiles them without the machine headers.
PORTABLE_DIRS += lib/drivers/net
SEAM_INC += $(NET_INC)
NETTEST_INC := $(NET_INC) -Ilib/drivers/net -Isim/dev $(SIMHAL_INC) -Igrade/unit/net
NETTEST_HDRS := $(wildcard kern/include/*.h lib/drivers/include/*.h lib/drivers/net/*.h \
	sim/dev/*.h sim/hal/*.h grade/unit/net/*.h)

UNIT_TESTS += $(NETTEST_BINS)

$(NETTEST_DIR)/obj/%.o: %.c $(NETTEST_HDRS) | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(V)$(HOSTCC) $(HOST_CFLAGS) $(NETTEST_INC) -c -o $@ $<

$(NETTEST_DIR)/test_%: $(NETTEST_DIR)/obj/grade/unit/net/test_%.o $(NETTEST_LIBOBJS)
	$(V)$(HOSTCC) $(HOST_CFLAGS) -o $@ $^ -lcriterion

.PRECIOUS: $(NETTEST_DIR)/obj/%.o

unit-net: $(NETTEST_BINS) ## build and run the network drivers' host tests (against the models)
	$(V)set -e; for t in $(NETTEST_BINS); do $$t $(UNITFLAGS); done

# The kernel's flags with -nostdinc (only the compiler's own freestanding headers), the
# portable include paths and the drivers' headers: nothing of libc or of kern/arch is reachable.
NET_KOBJ_DIR := $(OBJ)/lib/drivers/net/freestanding
NET_KOBJS := $(patsubst lib/drivers/net/%.c,$(NET_KOBJ_DIR)/%.o,$(NET_SRCS))
NET_KFLAGS = $(filter-out -MMD -MP,$(KERN_CFLAGS)) -nostdinc \
	-isystem $(shell $(CC) -print-file-name=include) $(PORTABLE_INC) $(NET_INC)

$(NET_KOBJ_DIR)/%.o: lib/drivers/net/%.c $(NETTEST_HDRS) | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(V)$(CC) $(NET_KFLAGS) -c -o $@ $<

net-freestanding: $(NET_KOBJS) ## compile the network drivers with the kernel's flags, no libc
	$(V)$(CC) $(NET_KFLAGS) -c -o $(NET_KOBJ_DIR)/string.o lib/string.c
	$(V)have=$$($(NM) --defined-only $(NET_KOBJ_DIR)/string.o $(NET_KOBJS) | awk '{print $$3}'); \
	bad=; for s in $$($(NM) -u $(NET_KOBJS) | awk '/ U /{print $$2}' | sort -u); do \
		case " $$(echo $$have) " in *" $$s "*) ;; *) bad="$$bad $$s";; esac; \
	done; \
	if [ -n "$$bad" ]; then echo "net-freestanding: undefined outside lib/:$$bad"; exit 1; fi; \
	echo "net-freestanding: $(words $(NET_KOBJS)) objects, every external symbol from lib/"

TEST_TARGETS += net-freestanding

.PHONY: unit-net net-freestanding
