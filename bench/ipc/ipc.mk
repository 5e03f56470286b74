# The IPC benchmark: instructions of a call + reply_recv round trip between two envs on one
# CPU (user/benchipc.c) under `qemu -icount shift=0`; goal (issue 11) <= 300.

bench-ipc: $(ISO) ## IPC call + reply_recv round trip in instructions (qemu -icount shift=0)
	$(V)$(PYTHON) bench/icount.py --name bench-ipc --iso $(ISO) \
		--args "init=benchipc sched=rr lockcheck=off" --want ipc_call_roundtrip

# The LibOS pipe round trip: one byte each way through two pipes between a parent and its
# forked child on one CPU (user/pipebench.c), mean instructions; goal (issue 11) <= 2,000.
# sched=prio: the pair runs more urgent than init, whose polling stays out of the window.
bench-pipe: $(ISO) ## LibOS pipe ping-pong round trip in instructions (qemu -icount shift=0)
	$(V)$(PYTHON) bench/icount.py --name bench-pipe --iso $(ISO) \
		--args "tests=pipebench sched=prio lockcheck=off" --want pipe_roundtrip

BENCH_TARGETS += bench-ipc bench-pipe

.PHONY: bench-ipc bench-pipe
