#!/usr/bin/env python3
"""Lab 6 grader (the partitioned fast path), so far its first part: the single-producer,
single-consumer ring of lib/fastpath (lib/fastpath/ring.c, the BEGIN/END LAB 6 regions) and
its memory ordering, as labs/lab6-fastpath/README.md tells the student to test it:

- the functional tests, grade/unit/fastpath/test_ring.c (Criterion, under AddressSanitizer
  and UBSan, `make unit-fastpath`), each one graded test, run with --filter through lab 4's
  runner so a failure names its assertion (file:line: message);
- the two-thread stress test, grade/unit/fastpath/tsan_stress.c under ThreadSanitizer:
  10 million items in batches of 1 to 64 must arrive once, in order and untorn, with no data
  race reported (a missing release or acquire is a race ThreadSanitizer reports)."""

import importlib.util
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import gradelib  # noqa: E402

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
        done = subprocess.run([path], cwd=lab4.ROOT, capture_output=True, text=True,
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


if __name__ == "__main__":
    sys.exit(gradelib.main([LAB]))
