# The null-syscall benchmark (bench/syscall/run.py): instructions of a sys_null round trip from
# user space (user/benchnull) under `qemu -icount shift=0`, checked identical over two boots.

bench-syscall: $(ISO) ## null-syscall round trip in instructions (qemu -icount shift=0)
	$(V)OBJ=$(OBJ) $(PYTHON) bench/syscall/run.py --iso $(ISO)

BENCH_TARGETS += bench-syscall

.PHONY: bench-syscall
