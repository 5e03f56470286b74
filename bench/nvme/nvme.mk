# The NVMe driver's software path per 4 KiB read, polled, queue depth 1 and 32
# (user/nvmetest.c with tests=bench): instructions of nvme_submit plus nvme_poll after the
# phase tag flipped (QD1) or of the polls that reaped >= 1 completion (QD32; empty polls are
# the device's time, counted apart), each part alone too, under `qemu -icount shift=0`; and
# QD1 in MSI-X mode (nvme_read4k_msix_sw: submit, then the notify_poll taking the
# notification, nvme_poll and irq_ack_msi; the kernel's delivery of the interrupt is kept out
# of it whatever QEMU's timing: user/nvmetest.c bench_irq_read4k, docs/storage.md).
# Goal (issue 12): <= 1/10 of Linux's.

bench-nvme: $(ISO) ## NVMe 4 KiB read software path in instructions (qemu -icount shift=0)
	$(V)img=$$($(PYTHON) grade/nvmetests.py --make-image bench) && \
	$(PYTHON) bench/icount.py --name bench-nvme --iso $(ISO) \
		--args "init=nvmetest tests=bench lockcheck=off" --want nvme_read4k_sw \
		--want nvme_read4k_submit --want nvme_read4k_complete \
		--want nvme_qd32_sw --want nvme_qd32_submit --want nvme_qd32_complete \
		--want nvme_read4k_msix_sw \
		--qemu-arg=-drive --qemu-arg=file=$$img,if=none,format=raw,id=nv0 \
		--qemu-arg=-device --qemu-arg=nvme,drive=nv0,serial=exolab-nvme0

BENCH_TARGETS += bench-nvme

.PHONY: bench-nvme
