# The null-syscall benchmark: instructions of a sys_null round trip from user space
# (user/benchnull, run by init) under `qemu -icount shift=0` (bench/icount.py), checked
# identical over two boots.

bench-syscall: $(ISO) ## null-syscall round trip in instructions (qemu -icount shift=0)
	$(V)$(PYTHON) bench/icount.py --name bench-syscall --iso $(ISO) \
		--args "tests=benchnull lockcheck=off" --want syscall_null

BENCH_TARGETS += bench-syscall

.PHONY: bench-syscall
