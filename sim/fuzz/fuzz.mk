# libFuzzer target for the exosim workload loader (clang, ASan + UBSan).  `make fuzz-workload`
# is the short seeded pass `make test` runs; `make fuzz-workload FUZZ_RUNS=-1` fuzzes until
# stopped.  New inputs go to a scratch corpus under $(OBJ); sim/fuzz/corpus/ is only read.
FUZZ_WL := $(OBJ)/sim/fuzz/fuzz_workload
FUZZ_WL_SRCS := sim/fuzz/fuzz_workload.c sim/rng/rng.c $(SIM_IO_SRCS)
FUZZ_RUNS ?= 20000
FUZZ_SEED ?= 1

$(FUZZ_WL): $(FUZZ_WL_SRCS) $(wildcard sim/rng/*.h sim/workload/*.h sim/metrics/*.h) kern/include/sched.h | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(V)clang -std=gnu11 -O1 -g $(WARN) -Isim -Ikern/include -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=all -o $@ $(FUZZ_WL_SRCS) $(SIM_IO_LIBS)

fuzz-workload: $(FUZZ_WL) ## fuzz the workload loader: a short seeded libFuzzer pass
	$(V)rm -rf $(OBJ)/sim/fuzz/work && mkdir -p $(OBJ)/sim/fuzz/work
	$(V)$(FUZZ_WL) -runs=$(FUZZ_RUNS) -seed=$(FUZZ_SEED) -max_len=4096 -timeout=10 \
		-rss_limit_mb=1024 -print_final_stats=1 \
		-artifact_prefix=$(OBJ)/sim/fuzz/ $(OBJ)/sim/fuzz/work sim/fuzz/corpus

TEST_TARGETS += fuzz-workload

.PHONY: fuzz-workload
