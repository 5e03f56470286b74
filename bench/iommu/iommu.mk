# bench-nvme with DMA remapping on (issue 14 "Numbers"): the same NVMe 4 KiB read software
# path as bench-nvme (bench/nvme/nvme.mk), on q35 with QEMU's intel-iommu in front of the
# controller.  The domain's mappings are made once per buffer (frame_phys), so the per-I/O
# figures equal bench-nvme's (456 instructions per QD1 read with and without, 2026-12-05).
# QD32 too since nvmetest waits for a round's 32nd completion entry and reaps all 32 in one
# poll: before, how many completions a poll found depended on when QEMU's NVMe model (host
# AIO threads, slower with translation) completed, which icount does not fix, and the
# figures came out 352 or 353 across boots (docs/devices.md has the QD32 comparison).
bench-nvme-iommu: $(ISO) ## bench-nvme's QD1 and QD32 reads with Intel VT-d translation on (q35 + intel-iommu)
	$(V)img=$$($(PYTHON) grade/nvmetests.py --make-image bench-iommu) && \
	$(PYTHON) bench/icount.py --name bench-nvme-iommu --iso $(ISO) \
		--args "init=nvmetest tests=bench lockcheck=off" --want nvme_read4k_sw \
		--want nvme_read4k_submit --want nvme_read4k_complete \
		--want nvme_qd32_sw --want nvme_qd32_submit --want nvme_qd32_complete \
		--qemu-arg=-M --qemu-arg=q35,kernel-irqchip=split \
		--qemu-arg=-device --qemu-arg=intel-iommu,intremap=off,aw-bits=48 \
		--qemu-arg=-drive --qemu-arg=file=$$img,if=none,format=raw,id=nv0 \
		--qemu-arg=-device --qemu-arg=nvme,drive=nv0,serial=exolab-nvme0

BENCH_TARGETS += bench-nvme-iommu

.PHONY: bench-nvme-iommu
