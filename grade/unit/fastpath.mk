# Host tests of lib/fastpath (rings, poll loop, log channel, metrics), Criterion.  Two builds:
# the functional tests under ASan + UBSan (HOST_CFLAGS), and the concurrent tests (a 10M-item
# two-thread ring stress, metrics snapshots beside a writer) under ThreadSanitizer, which
# cannot share a binary with ASan.  `make unit-fastpath` runs both (in TEST_TARGETS);
# `fastpath-freestanding` compiles the library with the kernel's flags and no libc, with gcc
# and with clang, and checks that every symbol it needs comes from lib/.

FPTEST_DIR := $(OBJ)/grade/unit/fastpath
FASTPATH_SRCS := $(sort $(wildcard lib/fastpath/*.c))
FASTPATH_INC := -Ilib/fastpath/include
FPTEST_HDRS := $(wildcard kern/include/abi/*.h lib/include/*.h lib/fastpath/*.h lib/fastpath/include/*.h \
	grade/unit/fastpath/*.h)
# The library is portable code: `make seam-check` compiles it without the machine headers.
PORTABLE_DIRS += lib/fastpath
SEAM_INC += $(FASTPATH_INC)

FPTEST_SAN_NAMES := ring log hist
FPTEST_TSAN_NAMES := stress snapshot
FPTEST_BINS := $(addprefix $(FPTEST_DIR)/test_,$(FPTEST_SAN_NAMES)) \
	$(addprefix $(FPTEST_DIR)/tsan_,$(FPTEST_TSAN_NAMES))
FPTEST_LIBSRCS := $(FASTPATH_SRCS) lib/printfmt.c

# -iquote: kern/include/sched.h must not hide the C library's <sched.h> from the threads.
TSAN_CFLAGS := -std=gnu11 -O1 -g $(WARN) -fsanitize=thread -fno-omit-frame-pointer \
	-iquote kern/include -Ilib/include
FPTEST_INC := $(FASTPATH_INC) -Igrade/unit/fastpath

$(FPTEST_DIR)/san/%.o: %.c $(FPTEST_HDRS) | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(V)$(HOSTCC) $(HOST_CFLAGS) $(FPTEST_INC) -c -o $@ $<

$(FPTEST_DIR)/tsan/%.o: %.c $(FPTEST_HDRS) | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(V)$(HOSTCC) $(TSAN_CFLAGS) $(FPTEST_INC) -c -o $@ $<

$(FPTEST_DIR)/test_%: $(FPTEST_DIR)/san/grade/unit/fastpath/test_%.o \
		$(patsubst %.c,$(FPTEST_DIR)/san/%.o,$(FPTEST_LIBSRCS))
	$(V)$(HOSTCC) $(HOST_CFLAGS) -o $@ $^ -lcriterion

$(FPTEST_DIR)/tsan_%: $(FPTEST_DIR)/tsan/grade/unit/fastpath/tsan_%.o \
		$(patsubst %.c,$(FPTEST_DIR)/tsan/%.o,$(FPTEST_LIBSRCS))
	$(V)$(HOSTCC) $(TSAN_CFLAGS) -o $@ $^ -lpthread

.PRECIOUS: $(FPTEST_DIR)/san/%.o $(FPTEST_DIR)/tsan/%.o

# Every binary runs (UNITFLAGS go to the Criterion ones); with TEST_LOG (make test) each one
# is a PASS or FAIL line.
unit-fastpath: $(FPTEST_BINS) ## build and run lib/fastpath's host tests (ASan+UBSan and TSan)
	$(V)failed=; for t in $(FPTEST_BINS); do \
		case $${t##*/} in test_*) f="$(UNITFLAGS)";; *) f=;; esac; \
		if $$t $$f; then r=PASS; else r=FAIL; failed="$$failed $${t##*/}"; fi; \
		if [ -n "$(TEST_LOG)" ]; then echo "$$r unit-fastpath $${t##*/}" >> "$(TEST_LOG)"; fi; \
	done; \
	if [ -n "$$failed" ]; then echo "unit-fastpath: failed:$$failed"; exit 1; fi

# The stress test's ring traffic without sanitizers at -O2, for a throughput number.
FPBENCH := $(FPTEST_DIR)/ring_bench
$(FPBENCH): grade/unit/fastpath/ring_bench.c $(FASTPATH_SRCS) $(FPTEST_HDRS) | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(V)$(HOSTCC) -std=gnu11 -O2 -g $(WARN) -iquote kern/include -Ilib/include $(FPTEST_INC) \
		-o $@ grade/unit/fastpath/ring_bench.c $(FASTPATH_SRCS) lib/printfmt.c -lpthread

bench-fastpath-ring: $(FPBENCH) ## two threads move 10M items through an SPSC ring: items/s
	$(V)$(FPBENCH)

# The kernel's flags with -nostdinc: nothing of libc or of kern/arch is reachable.  The user
# programs' build (user/Makefrag) adds the library to the LibOS with its own flags.
FASTPATH_KOBJ_DIR := $(OBJ)/lib/fastpath/freestanding
FASTPATH_KFLAGS = $(filter-out -MMD -MP,$(KERN_CFLAGS)) -nostdinc $(PORTABLE_INC) $(FASTPATH_INC)

fastpath-freestanding: $(FASTPATH_SRCS) $(FPTEST_HDRS) | $(DEPS_STAMP) ## compile lib/fastpath with the kernel's flags (gcc and clang), no libc
	$(V)set -e; for cc in gcc clang; do \
		d=$(FASTPATH_KOBJ_DIR)/$$cc; mkdir -p $$d; \
		flags="$(FASTPATH_KFLAGS) -isystem $$($$cc -print-file-name=include)"; \
		for f in $(FASTPATH_SRCS) lib/string.c lib/printfmt.c; do \
			$$cc $$flags -c -o $$d/$$(basename $${f%.c}).o $$f; \
		done; \
		objs="$(patsubst lib/fastpath/%.c,$$d/%.o,$(FASTPATH_SRCS))"; \
		have=$$($(NM) --defined-only $$d/*.o | awk '{print $$3}'); \
		bad=; for s in $$($(NM) -u $$objs | awk '/ U /{print $$2}' | sort -u); do \
			case " $$(echo $$have) " in *" $$s "*) ;; *) bad="$$bad $$s";; esac; \
		done; \
		if [ -n "$$bad" ]; then echo "fastpath-freestanding ($$cc): undefined outside lib/:$$bad"; exit 1; fi; \
		echo "fastpath-freestanding ($$cc): $(words $(FASTPATH_SRCS)) objects, every external symbol from lib/"; \
	done

# A handout of an earlier lab has the ring's lab 6 regions stubbed: the tests would fail there.
# Lab 6 (grade/lab6.py) runs the ring's tests: `make grade` and `make grade-lab6` build them
# wherever lab 6 is graded (the reference tree, lab 6's handout and later ones).
FPTEST_LAB_BEFORE_6 := $(filter 1 2 3 4 4b 4c 5,$(strip $(file < .exolab-lab)))
ifeq ($(FPTEST_LAB_BEFORE_6),)
TEST_TARGETS += unit-fastpath
grade test-grade grade-lab6: $(FPTEST_BINS)
endif
TEST_TARGETS += fastpath-freestanding

.PHONY: unit-fastpath bench-fastpath-ring fastpath-freestanding
