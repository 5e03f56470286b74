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
- the ring between two owned cores in QEMU (4 CPUs, user/fpring.c): 5000 items in batches of
  1 to 32 through a 64-slot ring from CPU 2 to CPU 3, every one once and in order.

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
import lab3  # noqa: E402

_spec = importlib.util.spec_from_file_location(
    "lab4", os.path.join(os.path.dirname(os.path.abspath(__file__)), "lab4.py"))
lab4 = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(lab4)

LAB = gradelib.Lab("lab6")
UNIT = "fastpath"


def ring_test(suite, name, points):
    """One Criterion test of grade/unit/fastpath/test_ring as graded test <suite>-<name>."""
    @LAB.test("%s-%s" % (suite, name.replace("_", "-")), points=points, **lab4.MODE)
    def check(run):
        run.text = ""
        lab4.criterion(run, "ring", "%s/%s" % (suite, name), unit=UNIT)


# Given code (the ring's geometry and layout, fp_ring_init): checked, worth nothing.
ring_test("ring", "init_refuses_bad_geometry", 0)
ring_test("ring", "indices_sit_on_separate_cache_lines", 0)
ring_test("ring", "empty_ring_gives_nothing_and_full_ring_takes_nothing", 9)
ring_test("ring", "partial_batches_take_what_fits_and_give_what_is_there", 9)
ring_test("ring", "order_survives_many_wraps_of_slots_and_of_the_32_bit_indices", 9)
ring_test("ring", "peek_stops_at_the_end_of_the_slots_and_release_frees", 7)
ring_test("ring", "an_impossible_peer_index_kills_the_ring_for_this_side", 6)
ring_test("ring", "each_side_refuses_the_other_sides_operation", 5)
ring_test("poll", "sources_get_their_budget_and_the_heartbeat_counts_iterations", 5)


@LAB.test("ring-stress-two-threads-10m-items-under-tsan", points=20, **lab4.MODE)
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
FPRING_OK = (r"^fpring: 5000 items through a 64-slot ring, cpu 2 -> cpu 3: OK$")


@LAB.test("ring-two-owned-cores-pass-5000-items-in-order", points=12, smp=4, args="init=fpring",
          until=[r"^fpring: .*(?:OK|FAIL)$"], reject=lab3.KERNEL_DIED, timeout=120)
def ring_owned_cores(run):
    """user/fpring.c: the producer on CPU 2 and the consumer on CPU 3 (each its own owned
    core), every item arrived once, in order, untorn."""
    run.expect(r"^fpring: producer on cpu 2 sent 5000; consumer on cpu 3 got 5000, 0 out of "
               r"order or torn$")
    run.expect(FPRING_OK)


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


@LAB.test("watchdog-healthy-worker-is-never-declared-stalled", points=6, smp=4,
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
