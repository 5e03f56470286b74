# Memory-management benchmarks (`make bench` runs both): the kernel's allocate+free and
# map+unmap pairs in instructions under qemu -icount (bench/icount.py; the kernel side is
# bench/mm/kern_mm.c, run by `test=bench-mm`), and the same portable code on the host in ns.
ifndef SIMHAL_SRCS
include sim/hal/Makefrag
endif

bench-mm-kernel: $(ISO) ## instructions per 4 KiB alloc+free and map+unmap in the kernel (icount)
	$(V)$(PYTHON) bench/icount.py --name bench-mm-kernel --iso $(ISO) --args "test=bench-mm halt lockcheck=off" \
		--want mm_alloc_free_4k_kernel --want mm_alloc_free_4k_hot_kernel \
		--want mm_map_unmap_4k_kernel

# The host benchmark measures the code as the kernel runs it: -O2, no sanitizers.
MMBENCH := $(OBJ)/bench/mm/host_mm
MMBENCH_DEPS := $(MM_SRCS) $(SIMHAL_SRCS) $(wildcard kern/include/*.h kern/mm/*.h sim/hal/*.h)

$(MMBENCH): bench/mm/host_mm.c $(MMBENCH_DEPS)
	@mkdir -p $(@D)
	$(V)$(HOSTCC) -std=gnu11 -O2 -g $(WARN) -Ikern/include -Ilib/include $(SIMHAL_INC) \
		-o $@ bench/mm/host_mm.c $(MM_SRCS) $(SIMHAL_SRCS)

bench-mm-host: $(MMBENCH) ## host ns per 4 KiB alloc+free and map+unmap (portable kern/mm)
	$(V)$(MMBENCH)

BENCH_TARGETS += bench-mm-kernel bench-mm-host

.PHONY: bench-mm-kernel bench-mm-host
