# The context-switch benchmark: instructions of a yield round trip between two envs on one
# CPU (user/schedtest, mode yield: the parent's sys_yield runs its partner, which yields
# back) under `qemu -icount shift=0`, through the kernel's scheduler (sched=rr).  Profile and
# history: bench/sched/README.md.

bench-ctxsw: $(ISO) ## yield round trip between two envs in instructions (qemu -icount shift=0)
	$(V)$(PYTHON) bench/icount.py --name bench-ctxsw --iso $(ISO) \
		--args "init=schedtest tests=yield sched=rr lockcheck=off" --want ctxsw_yield_roundtrip

# Instructions per function in one round trip (bench/sched/README.md; a minute or two).
bench-ctxsw-profile: $(ISO) $(KERNEL) ## bench-ctxsw's round trip, instructions per function
	$(V)$(PYTHON) bench/sched/profile.py --iso $(ISO) --kernel $(KERNEL) \
		--args "init=schedtest tests=yield sched=rr lockcheck=off"

BENCH_TARGETS += bench-ctxsw

.PHONY: bench-ctxsw bench-ctxsw-profile
