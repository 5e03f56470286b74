# The IPC benchmark: instructions of a call + reply_recv round trip between two envs on one
# CPU (user/benchipc.c) under `qemu -icount shift=0`; goal (issue 11) <= 300.

bench-ipc: $(ISO) ## IPC call + reply_recv round trip in instructions (qemu -icount shift=0)
	$(V)$(PYTHON) bench/icount.py --name bench-ipc --iso $(ISO) \
		--args "init=benchipc sched=rr lockcheck=off" --want ipc_call_roundtrip

BENCH_TARGETS += bench-ipc

.PHONY: bench-ipc
