# Host unit tests of the scheduler framework (kern/sched) and the theory tests that run the
# policies on exosim's engine (Criterion, ASan + UBSan).  `make unit-sched` runs just these.

SCHEDTEST_DIR := $(OBJ)/grade/unit/sched
SCHEDTEST_UNIT := core policies edf
SCHEDTEST_THEORY := theory_rt theory_share
SCHEDTEST_BINS := $(addprefix $(SCHEDTEST_DIR)/test_,$(SCHEDTEST_UNIT) $(SCHEDTEST_THEORY))
SCHEDTEST_HDRS := $(wildcard kern/include/sched*.h grade/unit/sched/*.h)

UNIT_TESTS += $(SCHEDTEST_BINS)

$(SCHEDTEST_DIR)/%.o: grade/unit/sched/%.c $(SCHEDTEST_HDRS) | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(V)$(HOSTCC) $(HOST_CFLAGS) -Isim -c -o $@ $<

# Framework tests link only kern/sched, the theory tests the whole simulator library.
$(addprefix $(SCHEDTEST_DIR)/test_,$(SCHEDTEST_UNIT)): $(SCHEDTEST_DIR)/test_%: \
		$(SCHEDTEST_DIR)/test_%.o $(patsubst %.c,$(OBJ)/sim/san/%.o,$(wildcard kern/sched/*.c))
	$(V)$(HOSTCC) $(HOST_CFLAGS) -o $@ $^ -lcriterion

$(addprefix $(SCHEDTEST_DIR)/test_,$(SCHEDTEST_THEORY)): $(SCHEDTEST_DIR)/test_%: \
		$(SCHEDTEST_DIR)/test_%.o $(SIM_SAN_LIB)
	$(V)$(HOSTCC) $(HOST_CFLAGS) -o $@ $^ -lcriterion $(SIM_LIBS)

.PRECIOUS: $(SCHEDTEST_DIR)/%.o

unit-sched: $(SCHEDTEST_BINS) ## build and run the scheduler unit and theory tests
	$(V)set -e; for t in $(SCHEDTEST_BINS); do $$t; done

.PHONY: unit-sched
