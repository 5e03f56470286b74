# Host tests of the LibOS network stack (lib/net) on a scripted NIC (grade/unit/netstack/
# netfix.c: a struct net_driver over host memory), Criterion under ASan + UBSan, appended to
# UNIT_TESTS; and `netstack-freestanding` in TEST_TARGETS: the stack compiled with the kernel's
# flags and no libc headers, its undefined symbols checked against what lib/string.c and the
# drivers' pool (lib/drivers/net/pool.c) define, plus the user programs that use it compiled.

NETTEST_DIR := $(OBJ)/grade/unit/netstack
NETTEST_NAMES := arp icmp udp malformed netcons config
NETTEST_BINS := $(addprefix $(NETTEST_DIR)/test_,$(NETTEST_NAMES))
NETSTACK_SRCS := $(sort $(wildcard lib/net/*.c))
NETTEST_LIBSRCS := $(NETSTACK_SRCS) lib/drivers/net/pool.c grade/unit/netstack/netfix.c
NETTEST_LIBOBJS := $(patsubst %.c,$(NETTEST_DIR)/obj/%.o,$(NETTEST_LIBSRCS))
NETSTACK_INC := -Ilib/drivers/include -Ilib/net/include
# The stack is portable code: `make seam-check` compiles it without the machine headers too.
PORTABLE_DIRS += lib/net
SEAM_INC += $(NETSTACK_INC)
NETTEST_INC := $(NETSTACK_INC) -Ilib/net -Igrade/unit/netstack
NETTEST_HDRS := $(wildcard kern/include/abi/*.h lib/include/*.h lib/drivers/include/*.h \
	lib/net/*.h lib/net/include/*.h grade/unit/netstack/*.h)

UNIT_TESTS += $(NETTEST_BINS)

$(NETTEST_DIR)/obj/%.o: %.c $(NETTEST_HDRS) | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(V)$(HOSTCC) $(HOST_CFLAGS) $(NETTEST_INC) -c -o $@ $<

$(NETTEST_DIR)/test_%: $(NETTEST_DIR)/obj/grade/unit/netstack/test_%.o $(NETTEST_LIBOBJS)
	$(V)$(HOSTCC) $(HOST_CFLAGS) -o $@ $^ -lcriterion

.PRECIOUS: $(NETTEST_DIR)/obj/%.o

unit-netstack: $(NETTEST_BINS) ## build and run the network stack's host tests (scripted NIC)
	$(V)set -e; for t in $(NETTEST_BINS); do $$t $(UNITFLAGS); done

# The kernel's flags with -nostdinc: nothing of libc or of kern/arch is reachable.
NETSTACK_KOBJ_DIR := $(OBJ)/lib/net/freestanding
NETSTACK_KOBJS := $(patsubst lib/net/%.c,$(NETSTACK_KOBJ_DIR)/%.o,$(NETSTACK_SRCS))
NETSTACK_KFLAGS = $(filter-out -MMD -MP,$(KERN_CFLAGS)) -nostdinc \
	-isystem $(shell $(CC) -print-file-name=include) $(PORTABLE_INC) $(NETSTACK_INC)

$(NETSTACK_KOBJ_DIR)/%.o: lib/net/%.c $(NETTEST_HDRS) | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(V)$(CC) $(NETSTACK_KFLAGS) -c -o $@ $<

netstack-freestanding: $(NETSTACK_KOBJS) $(OBJ)/user/user/udpecho.o $(OBJ)/user/user/ping.o ## compile the network stack with the kernel's flags, no libc
	$(V)$(CC) $(NETSTACK_KFLAGS) -c -o $(NETSTACK_KOBJ_DIR)/string.o lib/string.c
	$(V)$(CC) $(NETSTACK_KFLAGS) -c -o $(NETSTACK_KOBJ_DIR)/pool.o lib/drivers/net/pool.c
	$(V)have=$$($(NM) --defined-only $(NETSTACK_KOBJ_DIR)/string.o $(NETSTACK_KOBJ_DIR)/pool.o \
		$(NETSTACK_KOBJS) | awk '{print $$3}'); \
	bad=; for s in $$($(NM) -u $(NETSTACK_KOBJS) | awk '/ U /{print $$2}' | sort -u); do \
		case " $$(echo $$have) " in *" $$s "*) ;; *) bad="$$bad $$s";; esac; \
	done; \
	if [ -n "$$bad" ]; then echo "netstack-freestanding: undefined outside lib/:$$bad"; exit 1; fi; \
	echo "netstack-freestanding: $(words $(NETSTACK_KOBJS)) objects, every external symbol from lib/"

TEST_TARGETS += netstack-freestanding

.PHONY: unit-netstack netstack-freestanding
