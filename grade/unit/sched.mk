# Host unit tests of the scheduler framework (kern/sched), and the tests that run the policies
# on exosim's engine: theory, progress (time always advances) and a seeded stress test
# (Criterion, ASan + UBSan).  `make unit-sched` runs just these.

SCHEDTEST_DIR := $(OBJ)/grade/unit/sched
SCHEDTEST_UNIT := core policies edf fair partition gedf
SCHEDTEST_SIM := theory_rt theory_share theory_multi progress stress
SCHEDTEST_BINS := $(addprefix $(SCHEDTEST_DIR)/test_,$(SCHEDTEST_UNIT) $(SCHEDTEST_SIM) doc_policy)
SCHEDTEST_HDRS := $(wildcard kern/include/sched*.h grade/unit/sched/*.h)

UNIT_TESTS += $(SCHEDTEST_BINS)

# SCHEDTEST_SRC: where the tests find their workload files, whatever the working directory.
$(SCHEDTEST_DIR)/%.o: grade/unit/sched/%.c $(SCHEDTEST_HDRS) | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(V)$(HOSTCC) $(HOST_CFLAGS) -Isim -DSCHEDTEST_SRC='"$(CURDIR)/grade/unit/sched"' \
		-c -o $@ $<

# Framework tests link only kern/sched, the others the whole simulator library.
$(addprefix $(SCHEDTEST_DIR)/test_,$(SCHEDTEST_UNIT)): $(SCHEDTEST_DIR)/test_%: \
		$(SCHEDTEST_DIR)/test_%.o $(patsubst %.c,$(OBJ)/sim/san/%.o,$(wildcard kern/sched/*.c))
	$(V)$(HOSTCC) $(HOST_CFLAGS) -o $@ $^ -lcriterion -lm

$(addprefix $(SCHEDTEST_DIR)/test_,$(SCHEDTEST_SIM)): $(SCHEDTEST_DIR)/test_%: \
		$(SCHEDTEST_DIR)/test_%.o $(SIM_SAN_LIB)
	$(V)$(HOSTCC) $(HOST_CFLAGS) -o $@ $^ -lcriterion $(SIM_LIBS)

# docs/sim.md's example policy, taken from the page with its registry line (sim/Makefrag),
# on kern/sched without its own registry.
$(SCHEDTEST_DIR)/test_doc_policy: $(SCHEDTEST_DIR)/test_doc_policy.o $(DOCPOL_DIR)/policy.o \
		$(DOCPOL_DIR)/registry.o \
		$(patsubst %.c,$(OBJ)/sim/san/%.o,$(filter-out %/registry.c,$(wildcard kern/sched/*.c)))
	$(V)$(HOSTCC) $(HOST_CFLAGS) -o $@ $^ -lcriterion

.PRECIOUS: $(SCHEDTEST_DIR)/%.o

# Every binary runs, so one failing exercise does not hide the others; the target fails at
# the end, naming the binaries that failed.
unit-sched: $(SCHEDTEST_BINS) ## build and run the scheduler unit and theory tests
	$(V)failed=; for t in $(SCHEDTEST_BINS); do $$t || failed="$$failed $${t##*/}"; done; \
	if [ -n "$$failed" ]; then echo "unit-sched: failed:$$failed" >&2; exit 1; fi

.PHONY: unit-sched
