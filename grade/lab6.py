#!/usr/bin/env python3
"""Lab 6 grader (the partitioned fast path; labs/lab6-fastpath/README.md).

Part A, the single-producer, single-consumer ring of lib/fastpath (lib/fastpath/ring.c, the
BEGIN/END LAB 6 regions) and its memory ordering, as the handout tells the student to test
it:

- the functional tests, grade/unit/fastpath/test_ring.c (Criterion, under AddressSanitizer
  and UBSan, `make unit-fastpath`), each one graded test, run with --filter through lab 4's
  runner so a failure names its assertion (file:line: message);
- the two-thread stress test, grade/unit/fastpath/tsan_stress.c under ThreadSanitizer:
  10 million items in batches of 1 to 64 must arrive once, in order and untorn, with no data
  race reported (a missing release or acquire is a race ThreadSanitizer reports);
- the log channel's host tests (grade/unit/fastpath/test_log.c): lib/fastpath/log.c is given,
  its records travel through the student's ring (in order, with the writer's timestamps; a
  full channel drops, counts, and the reader sees the gap in the sequence numbers);
- the ring between two owned cores in QEMU (4 CPUs, user/fpring.c): 5000 items in batches of
  1 to 32 through a 64-slot ring from CPU 2 to CPU 3, every one once and in order; in the
  same run (one boot per test), each owned core's interrupt counters (core_stat) over its
  side's run stay at 0 of every kind while the host downgrades one of its own pages every
  millisecond (a TLB shootdown that must not reach the owned cores), and the producer's log channel, drained by the host
  during the run, brings its 10 records in order (sequence numbers 0..9, the texts expected,
  TSC never going back, none dropped);
- forwarding through the ring (user/l2fwd.c's pipe mode, the devices of grade/l2fwdtests.py,
  2 CPUs): the forwarding step split into a receive and a transmit stage joined by a ring of
  buffer pointers on owned CPU 1; every one of l2gen's 2048 frames comes back once,
  unmodified but for the MAC header.  l2fwd's plain mode (test-l2fwd) does not use the
  ring, so it is not graded here.

Part B, the watchdog's stall detection and restart (lib/user/watch.c), in QEMU on 4 CPUs
under `-icount shift=0,sleep=off` (the TSC counts instructions, so the watchdog's 10 ms are
10^7 instructions of the guest's, whatever the host's load: no run depends on its speed),
with user/watchdog.c as init and user/fpspin.c as the app on owned CPU 2:

- a worker that stalls (fpspin's handler spins for ever after 300 iterations) is reported,
  naming its core, revoked and restarted, and the restarted worker makes progress again
  until it stalls the same way;
- a healthy worker (fpspin with no limit) is never declared stalled over 50 checks."""

import importlib.util
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import gradelib  # noqa: E402
import l2fwdtests  # noqa: E402
import lab3  # noqa: E402

_spec = importlib.util.spec_from_file_location(
    "lab4", os.path.join(os.path.dirname(os.path.abspath(__file__)), "lab4.py"))
lab4 = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(lab4)

LAB = gradelib.Lab("lab6")
UNIT = "fastpath"


def ring_test(suite, name, points, binary="ring"):
    """One Criterion test of grade/unit/fastpath/test_<binary> as graded test
    <suite>-<name>."""
    @LAB.test("%s-%s" % (suite, name.replace("_", "-")), points=points, **lab4.MODE)
    def check(run):
        run.text = ""
        lab4.criterion(run, binary, "%s/%s" % (suite, name), unit=UNIT)


# Given code (the ring's geometry and layout, fp_ring_init): checked, worth nothing.
ring_test("ring", "init_refuses_bad_geometry", 0)
ring_test("ring", "indices_sit_on_separate_cache_lines", 0)
ring_test("ring", "empty_ring_gives_nothing_and_full_ring_takes_nothing", 7)
ring_test("ring", "partial_batches_take_what_fits_and_give_what_is_there", 7)
ring_test("ring", "order_survives_many_wraps_of_slots_and_of_the_32_bit_indices", 7)
ring_test("ring", "peek_stops_at_the_end_of_the_slots_and_release_frees", 5)
ring_test("ring", "an_impossible_peer_index_kills_the_ring_for_this_side", 5)
ring_test("ring", "each_side_refuses_the_other_sides_operation", 4)
ring_test("poll", "sources_get_their_budget_and_the_heartbeat_counts_iterations", 3)
# The log channel (lib/fastpath/log.c, given) moves its records through the student's ring.
ring_test("log", "records_arrive_in_order_with_the_writers_timestamps", 3, binary="log")
ring_test("log", "a_full_channel_drops_counts_and_the_reader_sees_the_gap", 3, binary="log")


@LAB.test("ring-stress-two-threads-10m-items-under-tsan", points=14, **lab4.MODE)
def stress(run):
    """The ThreadSanitizer stress program: exit 0, and no race report."""
    run.text = ""
    path = os.path.join(os.path.dirname(lab4.binary("x", UNIT)), "tsan_stress")
    if not os.path.exists(path):
        run.fail("%s is not built (make unit-fastpath)" % os.path.relpath(path, lab4.ROOT))
        return
    try:
        done = gradelib.run_host([path], cwd=lab4.ROOT, capture_output=True, text=True,
                                 timeout=300 * gradelib.timeout_scale())
    except subprocess.TimeoutExpired:
        run.fail("tsan_stress timed out")
        return
    out = done.stdout + done.stderr
    run.text = out
    races = [l for l in out.splitlines() if "WARNING: ThreadSanitizer" in l]
    if races:
        run.fail("ThreadSanitizer: %s (%d reports)" % (races[0].strip(), len(races)))
    elif done.returncode != 0:
        tail = [l for l in out.strip().splitlines() if l.strip()][-3:]
        run.fail("tsan_stress exited with status %d: %s"
                 % (done.returncode, " | ".join(tail) or "no output"))


# ---- Part A in QEMU: the ring between two owned cores ----
FPRING = dict(smp=4, args="init=fpring", until=[r"^fpring: .*(?:OK|FAIL)$"],
              reject=lab3.KERNEL_DIED, timeout=120)
FPRING_SIDES = (r"^fpring: producer on cpu 2 sent 5000; consumer on cpu 3 got 5000, 0 out of "
                r"order or torn$")
FPRING_OK = (r"^fpring: 5000 items through a 64-slot ring, cpu 2 -> cpu 3: OK$")


@LAB.test("ring-two-owned-cores-pass-5000-items-in-order", points=8, **FPRING)
def ring_owned_cores(run):
    """user/fpring.c: the producer on CPU 2 and the consumer on CPU 3 (each its own owned
    core), every item arrived once, in order, untorn."""
    run.expect(FPRING_SIDES)
    run.expect(FPRING_OK)


@LAB.test("owned-cores-take-no-interrupt-while-the-ring-runs", points=5, **FPRING)
def owned_cores_quiet(run):
    """The same run: each side's own CPU's interrupt counters (core_stat: timer, device,
    IPI, other), read before its first and after its last ring operation, did not move while
    the host changed its own page tables every millisecond (a kernel that sends those TLB
    shootdowns to every CPU fails here), and the ring delivered all 5000 items in between (a
    side that never finishes reports nothing)."""
    run.expect(FPRING_SIDES)
    for who, cpu in (("producer", 2), ("consumer", 3)):
        run.expect(r"^fpring: %s on cpu %d took timer 0 device 0 ipi 0 other 0 during its "
                   r"run \(\d+ us\)$" % (who, cpu))
    run.expect(FPRING_OK)


@LAB.test("log-channel-from-an-owned-core-arrives-in-order", points=5, **FPRING)
def log_channel_order(run):
    """The same run: the producer on CPU 2 logs a record after every 500 items through its
    log channel (an SPSC ring of lib/fastpath/ring.c); the host drains it during the run and
    finds all 10, sequence numbers 0..9 with no gap, each text the one expected next, each
    TSC at or after the one before, none dropped."""
    run.expect(r"^fpring: log channel from cpu 2: 10 records of 10, 0 out of order, 0 "
               r"dropped$")
    run.expect(FPRING_OK)


# ---- Part A: forwarding through the ring (user/l2fwd.c's pipe mode, grade/l2fwdtests.py) ----
@LAB.test("l2fwd-pipeline-forwards-every-frame-once-through-the-ring", points=8, smp=2,
          args="init=l2fwd tests=pipe sched=rr", qemu_args=l2fwdtests.devices(),
          until=[r"^l2fwd: done$"], reject=lab3.KERNEL_DIED, timeout=120)
def l2fwd_pipeline(run):
    """l2fwd on owned CPU 1, its step split into a receive and a transmit stage joined by a
    64-slot ring of buffer pointers: every one of l2gen's 2048 stamped frames comes back
    exactly once, 60 bytes, the MAC header rewritten and every other byte as sent; the
    forwarder counts 2049 frames (with the warm-up), 2048 latencies and no drop, and every
    buffer is back in its pool."""
    run.reject(r"^l2(fwd|gen): .* FAIL$")
    for what in ("frames sent = 2048", "frames lost = 0", "frames duplicated = 0",
                 "frames changed beyond the MAC header = 0", "frames never seen = 0"):
        run.expect(r"^l2gen: run: %s OK$" % what)
    run.expect(r"^l2fwd: run: frames forwarded = 2049 OK$")
    run.expect(r"^l2fwd: run: latencies recorded = 2048 OK$")
    run.expect(r"^l2fwd: pipe: frames 2049 batches \d+ full \d+ drops 0$")
    run.expect(r"^l2fwd: end: every buffer back in its pool = \d+ OK$", count=2)
    run.expect(r"^l2fwd: pipe: 0 checks failed$")


# ---- Part B: the watchdog (lib/user/watch.c), under icount ----
ICOUNT = ["-icount", "shift=0,sleep=off"]
WD_END = r"^watchdog: done: \d+ checks, \d+ stalls, \d+ restarts"
STALL = (r"^watchdog: stall: heartbeat (\d+) unchanged for (\d+) us \(limit 9999 us\) on "
         r"cpu 2; revoking$")


@LAB.test("watchdog-stalled-worker-is-named-revoked-and-restarted",
          parts={"stall": 4, "restart": 4, "progress": 4}, smp=4,
          args="init=watchdog tests=-r,1,fpspin,300 lockcheck=off", qemu_args=ICOUNT,
          until=[WD_END], reject=lab3.KERNEL_DIED, timeout=180)
def watchdog_stall(run):
    """Two stalls of fpspin on CPU 2: the first reported (heartbeat 299 after 300
    iterations, unchanged past the 10 ms limit), the core revoked and the app restarted as
    generation 2; the second after the restarted app's own 300 iterations, then the end."""
    stalls = re.findall(STALL, run.text, re.M)
    if [b for b, _ in stalls] != ["299", "299"]:
        run.fail("stalls seen at heartbeats %s, expected 299 twice (each after fpspin's 300 "
                 "iterations)" % [b for b, _ in stalls], "stall")
    if any(not 9999 < int(t) <= 11000 for _, t in stalls):
        run.fail("stalls declared after %s us unchanged, expected past the 9999 us limit and "
                 "within one 1 ms check of it" % [int(t) for _, t in stalls], "stall")
    run.expect(r"^app: \[\d+\.\d{9}\] WARN +handler stuck after 300 iterations$", "stall",
               count=2)
    run.expect(r"^core: cpu 2 taken from env 0x[0-9a-f]+: its capability is gone$", "restart",
               count=2)
    run.expect(r"^watchdog: revoke ok: env 0x[0-9a-f]+ gone from cpu 2, restart ok "
               r"\(generation 2\) \d+ us after detection$", "restart")
    run.expect(r"^watchdog: restart 1: running again on cpu 2 \d+ us after detection",
               "restart")
    run.expect(r"^app: \[\d+\.\d{9}\] INFO generation 2 on cpu 2, stuck after 300$",
               "progress")
    run.expect(r"^watchdog: no restart left: heartbeat 299; revoke ok, cpu 2 free", "progress")
    run.expect(r"^watchdog: done: \d+ checks, 2 stalls, 1 restarts", "progress")


@LAB.test("watchdog-healthy-worker-is-never-declared-stalled", points=4, smp=4,
          args="init=watchdog tests=-n,50,fpspin lockcheck=off", qemu_args=ICOUNT,
          until=[WD_END], reject=lab3.KERNEL_DIED, timeout=180)
def watchdog_healthy(run):
    """fpspin with no limit beats on every iteration: 50 checks, no stall, no restart, and
    the heartbeat it ends with shows it ran all along."""
    run.reject(r"^watchdog: stall:")
    m = re.search(r"^watchdog: checks done: heartbeat (\d+); revoke ok, cpu 2 free", run.text,
                  re.M)
    if not m or int(m.group(1)) < 50:
        run.fail("the worker's last heartbeat: %s, expected one past 50 (one beat per "
                 "iteration over 50 ms)" % (m.group(1) if m else "no 'checks done' line"))
    run.expect(r"^watchdog: done: 50 checks, 0 stalls, 0 restarts")


if __name__ == "__main__":
    sys.exit(gradelib.main([LAB]))
