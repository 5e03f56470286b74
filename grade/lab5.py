#!/usr/bin/env python3
"""Lab 5 grader (drivers in user space): part A, the NVMe driver's submission and completion
path (lib/drivers/nvme/io.c, the BEGIN/END LAB 5 regions); part B, the e1000 network card's
transmit and receive path (lib/drivers/net/e1000.c, the same markers).

Two kinds of tests, as labs/lab5-drivers/README.md tells the student to run them:

- host tests: the driver compiled for the host against the controller model
  (sim/dev/nvme_model.c), grade/unit/nvme/test_*.c run by Criterion (`make unit-nvme`), and
  the e1000 against the 82540EM model (sim/dev/e1000_model.c), grade/unit/net/test_e1000_*.c
  (`make unit-net`); each
  gradelib test here is one Criterion test, run with --filter through lab 4's runner, so a
  failure names the assertion (file:line: message);
- model-checked runs: `make sim-lab5` (sim/tests/lab5_sim.py), the driver in exosim against
  the same models with --strict, graded by the model's verdict and the I/O counts (sim-*);
- QEMU tests: every test of grade/nvmetests.py (`make test-nvme`: the driver in a LibOS env
  on QEMU's NVMe controller), every test of grade/nettests.py (`make test-net`: the network
  drivers in a LibOS env on QEMU's e1000 and rtl8139), and, as lab 4C grades the kernel's
  given IPC, the given kernel
  device support the driver stands on: grade/pcitests.py (PCI, device capabilities, BAR
  windows) and grade/irqtests.py (interrupts to notifications).

The Realtek driver's host tests (grade/unit/net/test_rtl_*.c) are not graded here: the
student does not write that driver; its QEMU test comes with grade/nettests.py and must pass.

`--iommu` (or EXOLAB_IOMMU=1) runs the drivers' QEMU tests with Intel VT-d translation on
(see with_iommu below; issue 14: "the honest drivers of lab 5 pass with translation on")."""

import copy
import importlib.util
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import gradelib  # noqa: E402
import irqtests  # noqa: E402
import lab3  # noqa: E402
import nettests  # noqa: E402
import nvmetests  # noqa: E402
import pcitests  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "sim", "tests"))
import lab5_sim  # noqa: E402

_spec = importlib.util.spec_from_file_location(
    "lab4", os.path.join(os.path.dirname(os.path.abspath(__file__)), "lab4.py"))
lab4 = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(lab4)

LAB = gradelib.Lab("lab5", fail_fast=lab3.KERNEL_DIED + [gradelib.LOCKCHECK_REPORT])


def host_test(unit, binname, suite, name, points):
    """One Criterion test of grade/unit/<unit>/test_<binname> as one graded test named
    <suite>-<name> with dashes (e.g. nvme-io-init-identifies-...)."""
    @LAB.test("%s-%s" % (suite.replace("_", "-"), name.replace("_", "-")), points=points,
              **lab4.MODE)
    def check(run):
        run.text = ""  # the Criterion output is the log
        lab4.criterion(run, binname, "%s/%s" % (suite, name), unit=unit)


def adopt(module):
    """Every test of another grader (its gradelib.Lab `LAB`) as a test of lab 5, unchanged:
    the same boot, checks and points (a copy, so that the other grader still runs alone)."""
    for test in module.LAB.tests:
        mine = copy.copy(test)
        mine.lab = LAB
        LAB.tests.append(mine)


# ---- Part A: NVMe (lib/drivers/nvme/io.c) ------------------------------------------------
NVME = "nvme"

# Exercises 1 and 2: the submission queue (nvme_sqe_put, nvme_sq_ring) and the completion
# queue (nvme_cqe_take).  The admin queue runs on them: with them, nvme_init identifies.
host_test(NVME, "io", "nvme_io", "init_identifies_the_controller_and_namespace_1", 10)
host_test(NVME, "io", "nvme_io_stride", "doorbells_follow_cap_dstrd", 5)
host_test(NVME, "recovery", "nvme_err", "bad_admin_commands_get_command_specific_statuses", 5)

# Exercise 3: Read and Write entries with their PRPs (build_io's command dwords, build_prps).
host_test(NVME, "io", "nvme_io", "patterns_written_across_the_disk_read_back_intact", 10)
host_test(NVME, "io", "nvme_io", "transfers_of_1_2_3_and_64_pages_through_prps_and_prp_lists",
          12)
host_test(NVME, "io", "nvme_io", "a_transfer_over_the_maximum_is_refused_before_the_device", 3)
host_test(NVME, "recovery", "nvme_err", "a_prp_outside_memory_is_a_data_transfer_error", 4)

# Exercise 4: completions to commands (nvme_poll): the slot named by the CID, the status field
# and its error, wrapping queues; the timeout paths (given) rely on it.
host_test(NVME, "io", "nvme_io", "batches_larger_than_the_queue_wrap_around_and_all_complete",
          12)
host_test(NVME, "recovery", "nvme_err", "an_lba_out_of_range_is_decoded_and_the_driver_goes_on",
          8)
host_test(NVME, "recovery", "nvme_err", "a_prp_list_entry_with_an_offset_is_prp_offset_invalid",
          3)
host_test(NVME, "recovery", "nvme_err", "a_prp_list_chained_to_itself_is_refused", 3)
host_test(NVME, "recovery", "nvme_err", "a_timed_out_command_is_aborted", 4)
host_test(NVME, "recovery", "nvme_err", "an_unabortable_command_is_resubmitted_after_a_reset", 4)
host_test(NVME, "recovery", "nvme_err", "a_command_never_answered_fails_after_bounded_resets", 4)

# The given parts of the driver (status decoding, the ready timeout) must keep working.
GIVEN = {"status": ("status", "nvme_status/*", 2), "ready": ("recovery", "nvme_ready/*", 1)}


@LAB.test("nvme-given-parts", parts={part: g[2] for part, g in GIVEN.items()}, **lab4.MODE)
def nvme_given_parts(run):
    run.text = ""
    for part, (binname, pattern, _) in GIVEN.items():
        lab4.criterion(run, binname, pattern, part, unit=NVME)




def sim_test(name, points):
    """One run of `make sim-lab5` (sim/tests/lab5_sim.py): the driver in exosim against the
    models with --strict; a protocol error or a wrong I/O count fails it with the model's line."""
    @LAB.test("sim-" + name, points=points, **lab4.MODE)
    def check(run):
        exosim = os.path.join(lab5_sim.ROOT, os.environ.get("OBJ", "obj"), "sim", "exosim")
        ok, line = lab5_sim.check_run(exosim, name, timeout=60 * gradelib.timeout_scale(),
                                      run=gradelib.run_host)
        if ok:
            run.text = "PASS: %s\n" % line
        else:
            run.fail(line)


# The model-checked runs (exosim --strict): mixed reads and writes verified through two
# queues with an injected error, and polled QD32 reads.
sim_test("nvme-rw-verify", 5)
sim_test("nvme-randread-polled", 3)

# The driver on QEMU's controller (grade/nvmetests.py: nvmetest).
adopt(nvmetests)

# ---- Part B: the e1000 (lib/drivers/net/e1000.c) --------------------------------------
NET = "net"

# Transmit: fill a legacy descriptor per frame, one TDT write per batch, reclaim by DD.
host_test(NET, "e1000_io", "e1000", "tx_batch_of_32_reaches_the_wire_in_order_with_one_tdt_write",
          10)
host_test(NET, "e1000_io", "e1000", "short_frames_leave_padded_to_60_bytes_with_zeros", 3)
host_test(NET, "e1000_io", "e1000",
          "tx_takes_a_frame_of_a_bad_length_counts_it_and_never_sends_it", 4)
host_test(NET, "e1000_io", "e1000",
          "a_full_tx_ring_queues_what_fits_and_the_rest_after_the_nic_is_done", 8)

# Receive: reap DD descriptors in order, hand up, refill, one RDT write per call.
host_test(NET, "e1000_io", "e1000",
          "rx_delivers_injected_frames_in_order_with_one_rdt_write_per_call", 10)
host_test(NET, "e1000_io", "e1000",
          "a_full_rx_ring_misses_frames_and_rx_takes_the_ring_in_order", 6)
host_test(NET, "e1000_io", "e1000",
          "rx_without_a_pool_buffer_drops_the_frame_and_keeps_the_ring_full", 6)
host_test(NET, "e1000_io", "e1000", "error_frames_are_dropped_and_counted_and_the_rest_delivered",
          6)

# Both: wrapping rings, interrupt causes, every buffer accounted for.
host_test(NET, "e1000_io", "e1000", "rings_wrap_over_hundreds_of_packets_without_losing_one", 10)
host_test(NET, "e1000_io", "e1000", "transmit_and_receive_raise_txdw_and_rxt0", 3)
host_test(NET, "e1000_io", "e1000", "fini_after_traffic_gives_every_buffer_back", 4)

# The given parts of the driver (table, bring-up, MAC, link, interrupt masking) keep working.
E1000_GIVEN = {"table": ("e1000_init", "e1000_table/*", 1),
               "init": ("e1000_init", "e1000/*", 4)}


@LAB.test("e1000-given-parts", parts={part: g[2] for part, g in E1000_GIVEN.items()},
          **lab4.MODE)
def e1000_given_parts(run):
    run.text = ""
    for part, (binname, pattern, _) in E1000_GIVEN.items():
        lab4.criterion(run, binname, pattern, part, unit=NET)


# The model-checked runs (exosim --strict): 64-byte frames forwarded at 10 GbE line rate
# polled, and full-size frames by interrupt.
sim_test("e1000-fwd-line-rate", 4)
sim_test("e1000-fwd-interrupts", 4)

# The drivers on QEMU's NICs (grade/nettests.py: nettest-e1000, nettest-rtl8139, ...).
adopt(nettests)

# ---- Given: the kernel's device support (as lab 4C grades the kernel's IPC) ---------------
adopt(pcitests)
adopt(irqtests)


# ---- What earns points (issue 19: an untouched handout earns nothing) ----------------------
# Lab 5's code is the NVMe driver's queues and I/O entries and the e1000's transmit and
# receive path.  The rest is given, and its tests are checked but worth nothing: the drivers'
# given parts (status decoding, bring-up), the Realtek driver the student does not write (its
# QEMU tests), and the kernel's device support (PCI, interrupts).
TESTS = {t.name: t for t in LAB.tests}


def given(name, parts=None):
    """Test `name`'s `parts` (all: None) check given code: worth 0 points.  (A copy of the
    parts: adopt()'s tests share theirs with the other graders' tests.)"""
    t = TESTS[name]
    t.parts = dict(t.parts)
    for part in parts or list(t.parts):
        t.parts[part] = 0
    t.points = sum(t.parts.values())


# ping's server is a second ExoLab that only has to boot: its part shows nothing of yours.
given("ping-e1000", ["server"])
for _name in list(TESTS):
    if _name.endswith("-given-parts") or _name.endswith("-rtl8139") or \
            _name.startswith(("pcitest-", "lspci-", "irqtest-")):
        given(_name)


# ---- With the IOMMU (issue 14): `--iommu`, or EXOLAB_IOMMU=1 ------------------------------
# Every QEMU test that can have VT-d, on q35 with QEMU's intel-iommu, options as
# grade/iommutests.py's: translation must be on and no DMA of an honest driver may fault.
# The drivers' tests (NVMe, network), and the given kernel support on q35: PCI (pcitest,
# lspci) and interrupts (irqtest: INTx, MSI and MSI-X of a device in a DMA domain; without
# interrupt remapping the unit passes MSI writes through, docs/devices.md).  Left out: the
# i440fx (`pc`) boots, pcitest-pc, lspci-shell-pc, irqtest-pc-*: QEMU's intel-iommu exists
# on q35 only (their q35 twins run).  Host tests boot nothing and are unchanged.
IOMMU_TESTS = ("nvmetest", "blktest", "nettest-", "udpecho-", "ping-", "pcitest-q35",
               "lspci-user-q35", "irqtest-q35-")
IOMMU_ARGS = ["-M", "q35,kernel-irqchip=split", "-device", "intel-iommu,intremap=off,aw-bits=48"]


def with_iommu(lab):
    """Keeps lab's host tests and its driver tests, the latter booted with the IOMMU."""
    kept = []
    for test in lab.tests:
        if not test.host and not test.name.startswith(IOMMU_TESTS):
            continue
        if not test.host:
            test.qemu_args = IOMMU_ARGS + test.qemu_args  # the machine before the devices
            # new lists: adopt()'s copies share them with the other graders' tests
            test.expect = test.expect + [r"^iommu: \d+ units, translation on"]
            test.reject = test.reject + [r"^iommu: fault:"]
        kept.append(test)
    lab.tests[:] = kept


if __name__ == "__main__":
    argv = sys.argv[1:]
    if "--iommu" in argv or os.environ.get("EXOLAB_IOMMU") == "1":
        argv = [a for a in argv if a != "--iommu"]
        with_iommu(LAB)
    sys.exit(gradelib.main([LAB], argv))
