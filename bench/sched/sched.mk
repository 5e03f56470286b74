# The context-switch benchmark: instructions of a yield round trip between two envs on one
# CPU (user/schedtest, mode yield: the parent's sys_yield runs its partner, which yields
# back) under `qemu -icount shift=0`, through the kernel's scheduler (sched=rr).

bench-ctxsw: $(ISO) ## yield round trip between two envs in instructions (qemu -icount shift=0)
	$(V)$(PYTHON) bench/icount.py --name bench-ctxsw --iso $(ISO) \
		--args "init=schedtest tests=yield sched=rr lockcheck=off" --want ctxsw_yield_roundtrip

BENCH_TARGETS += bench-ctxsw

.PHONY: bench-ctxsw
