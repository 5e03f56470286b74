# `make qemu-fastpath` (issue 15, "Done means"): the machine of the fast path's demo, booted
# to the shell, so that one typed command starts each application on an owned core:
#
#   $ l2fwd              forwards l2gen's 2048 frames on CPU 1 (docs/l2fwd.md), fpstat -p after
#   $ blkclient -n 200   blkserve serves 200 NVMe reads on CPU 2 (docs/partitions.md)
#   $ fpstat             every CPU's interrupt counters and its owner
#
# Four CPUs; the four e1000s of grade/l2fwdtests.py devices() on two QEMU hubs (nothing
# leaves QEMU); an NVMe controller on a 4 MiB image whose block b holds the words
# b * 0x9e3779b1 + j (grade/nvmetests.py make_image, rewritten at each boot under obj/nvme/).
# The options come from those two graders, so the demo and `make test-fastpath`'s
# shell-fastpath test boot the same machine.  The same boot by hand (the target prints it):
#   make qemu SMP=4 ARGS=init=sh QEMUEXTRA="$(FASTPATH_DEVICES)"
# SMP= on the command line wins (at least 3: l2fwd owns CPU 1, blkserve CPU 2); ARGS= adds
# kernel options as for `make qemu` (then give init=sh yourself).

FASTPATH_DEVICES = $(shell $(PYTHON) -c 'import sys; sys.path.insert(0, "grade"); \
	import l2fwdtests, nvmetests; \
	print(" ".join(l2fwdtests.devices() + nvmetests.devices("qemu-fastpath")))')

qemu-fastpath: SMP = 4
qemu-fastpath: override ARGS := $(or $(strip $(ARGS)),init=sh)
qemu-fastpath: iso ## the fast-path demo: 4 CPUs, 4 e1000s, NVMe; type l2fwd, blkclient, fpstat
	$(eval FASTPATH_QEMU := $(FASTPATH_DEVICES))
	@echo "*** qemu-fastpath: at the shell type l2fwd, blkclient -n 200, fpstat"
	@echo "*** the same as: make qemu SMP=$(SMP) ARGS=$(ARGS) QEMUEXTRA=\"$(FASTPATH_QEMU)\""
	$(call QEMU_RUN,$(QEMU_WINDOW) $(FASTPATH_QEMU))

.PHONY: qemu-fastpath
