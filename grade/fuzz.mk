# The syscall fuzzer (issue 17 items 7-8; grade/fuzz.py, user/fuzz.c), included at the end of
# grade/Makefrag.
#   make fuzz-kernel SEEDS=N CALLS=M [FIRST=S] [FUZZFLAGS="--orphans --smp 2 --failalloc 7:40"]
# runs a campaign: one line per seed, a summary, a REPLAY line for every seed that leaked,
# hung or killed the kernel.  `make test` runs two bounded passes (about 40 s in all on TCG):
#   test-fuzz       6 seeds x 3000 calls, the leak check exact after every seed, and 4 seeds
#                   with --orphans (children left behind, issue 17 defect 1: fixed on main)
#   test-failalloc  the fuzzer (4 seeds at two rates) and lab 3's programs with failalloc=SEED:RATE: every
#                   injected failure must become an error code: no panic, trap, hang or leak
SEEDS ?= 100
CALLS ?= 100000
FIRST ?= 1
FUZZFLAGS ?=

fuzz-kernel: iso ## fuzz campaign: make fuzz-kernel SEEDS=N CALLS=M [FIRST=S FUZZFLAGS=--orphans]
	$(V)$(PYTHON) grade/fuzz.py --first $(FIRST) --seeds $(SEEDS) --calls $(CALLS) $(FUZZFLAGS)

test-fuzz: iso ## bounded fuzz pass: 6 + 4 (orphans) seeds x 3000 calls, exact leak check
	$(V)fail=0; \
	$(PYTHON) grade/fuzz.py --first 1 --seeds 6 --calls 3000 --idle 90 --name fuzz-bounded \
		$(if $(TEST_LOG),--log "$(TEST_LOG)") || fail=1; \
	$(PYTHON) grade/fuzz.py --first 11 --seeds 4 --calls 3000 --orphans --idle 90 \
		--name fuzz-bounded-orphans $(if $(TEST_LOG),--log "$(TEST_LOG)") || fail=1; \
	exit $$fail

test-failalloc: iso ## allocation-failure injection: the fuzzer and lab 3's programs, failalloc=
	$(V)fail=0; \
	for fa in 7:150 3:20; do \
		$(PYTHON) grade/fuzz.py --first 101 --seeds 4 --calls 3000 --failalloc $$fa --idle 90 \
			--name failalloc-fuzz-$$fa $(if $(TEST_LOG),--log "$(TEST_LOG)") || fail=1; \
	done; \
	for fa in 11:25 5:8; do \
		$(PYTHON) grade/fuzz.py --programs lab3 --failalloc $$fa --idle 90 \
			--name failalloc-lab3-$$fa $(if $(TEST_LOG),--log "$(TEST_LOG)") || fail=1; \
	done; exit $$fail

# A fuzz pass on the undefined-behaviour-checking kernel (kernel-ubsan, grade/Makefrag): any
# `ubsan:` report is a finding.
test-fuzz-ubsan: kernel-ubsan ## bounded fuzz pass on the UBSan kernel (obj/ubsan/exolab.iso)
	$(V)$(PYTHON) grade/fuzz.py --iso obj/ubsan/exolab.iso --first 21 --seeds 4 --calls 3000 \
		--orphans --idle 120 --name fuzz-ubsan $(if $(TEST_LOG),--log "$(TEST_LOG)")

# Not in the handouts of labs 1 to 5: the fuzzer calls every syscall, stubs included.
ifeq ($(filter 1 2 3 4 4b 4c 5,$(strip $(file < .exolab-lab))),)
TEST_TARGETS += test-fuzz test-failalloc test-fuzz-ubsan
endif
.PHONY: fuzz-kernel test-fuzz test-failalloc test-fuzz-ubsan
