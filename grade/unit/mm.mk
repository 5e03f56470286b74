# Host unit tests of kern/mm, sim/hal and sim/mmu (Criterion, ASan + UBSan), appended to
# UNIT_TESTS.  The benchmarks of the same code are in bench/mm/mm.mk.
# kern/Makefrag includes kern/mm/Makefrag (which also feeds KERN_SRCS); only a stand-alone
# use of this file needs it here.  The sim/ fragments hold variables only.
ifndef MM_SRCS
include kern/mm/Makefrag
endif
include sim/hal/Makefrag
include sim/mmu/Makefrag

MMTEST_DIR := $(OBJ)/grade/unit/mm
MMTEST_NAMES := simhal mmu buddy buddy_random pmm_window pt pt_huge pt_leaf kheap
MMTEST_BINS := $(addprefix $(MMTEST_DIR)/test_,$(MMTEST_NAMES))
MMTEST_LIBSRCS := $(MM_SRCS) $(SIMHAL_SRCS) $(SIMMMU_SRCS) grade/unit/mm/mmfix.c
MMTEST_LIBOBJS := $(patsubst %.c,$(MMTEST_DIR)/obj/%.o,$(MMTEST_LIBSRCS))
MMTEST_INC := $(SIMHAL_INC) $(SIMMMU_INC) -Igrade/unit/mm
MM_HDRS := $(wildcard kern/include/*.h kern/mm/*.h sim/hal/*.h sim/mmu/*.h grade/unit/mm/*.h)

UNIT_TESTS += $(MMTEST_BINS)

$(MMTEST_DIR)/obj/%.o: %.c $(MM_HDRS)
	@mkdir -p $(@D)
	$(V)$(HOSTCC) $(HOST_CFLAGS) $(MMTEST_INC) -c -o $@ $<

$(MMTEST_DIR)/test_%: $(MMTEST_DIR)/obj/grade/unit/mm/test_%.o $(MMTEST_LIBOBJS)
	$(V)$(HOSTCC) $(HOST_CFLAGS) -o $@ $^ -lcriterion

.PRECIOUS: $(MMTEST_DIR)/obj/%.o

# Every binary runs, even after one fails to build or fails its tests (lab 2 students run
# test_pt while test_buddy still fails); the last line sums up, and the exit status is 1 if
# any failed.
unit-mm: | $(DEPS_STAMP) ## build and run every memory-management host unit test, then sum up
	$(V)failed=""; passed=0; \
	for t in $(MMTEST_BINS); do \
		echo "unit-mm: $${t##*/}"; \
		if $(MAKE) --no-print-directory $$t && $$t; then passed=$$((passed + 1)); \
		else failed="$$failed $${t##*/}"; fi; \
	done; \
	echo "unit-mm: $$passed of $(words $(MMTEST_BINS)) test binaries passed$${failed:+; failed:$$failed}"; \
	[ -z "$$failed" ]

.PHONY: unit-mm
