#!/usr/bin/env python3
"""Lab 4 part A grader (scheduling policies): runs the host tests of kern/sched, which
compile the policies from the same source as the kernel and drive them directly (unit
tests, grade/unit/sched/test_{policies,edf}.c) or on exosim's engine (theory tests,
grade/unit/sched/test_theory_*.c).  Each gradelib test here is one Criterion test, or a
group of them, run with --filter; `make grade` builds the binaries first.

Tests run on the host when gradelib offers host tests (Test(host=True)); an older gradelib
can only boot the kernel, so each test then also boots it once, which at least shows that
the kernel still builds and boots with your policies compiled in."""

import inspect
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import gradelib  # noqa: E402

LAB = gradelib.Lab("lab4")
ROOT = gradelib.ROOT
SYNTHESIS = re.compile(r"Synthesis: Tested: (\d+) \| Passing: (\d+) \| Failing: (\d+) \| "
                       r"Crashing: (\d+)")
HOST = "host" in inspect.signature(gradelib.Test.__init__).parameters
MODE = {"host": True} if HOST else {"until": [r"^K> "], "timeout": 30}


def binary(name):
    obj = os.environ.get("OBJ", "obj")
    return os.path.join(ROOT, obj, "grade", "unit", "sched", "test_" + name)


def criterion(run, name, pattern, part=None):
    """Run the Criterion tests of grade/unit/sched/test_<name> matching `pattern`; a failure
    (or no such test: a renamed test must not pass silently) fails `part`."""
    path = binary(name)
    if not os.path.exists(path):
        run.fail("%s is not built (make unit-sched)" % os.path.relpath(path, ROOT), part)
        return
    try:
        done = subprocess.run([path, "--filter", pattern, "--ascii", "-S"], cwd=ROOT,
                              capture_output=True, text=True,
                              timeout=300 * gradelib.timeout_scale())
        out = done.stdout + done.stderr
    except subprocess.TimeoutExpired:
        run.fail("%s --filter %s timed out" % (name, pattern), part)
        return
    run.text += "$ test_%s --filter '%s'\n%s" % (name, pattern, out)
    m = SYNTHESIS.search(out)
    if not m or int(m.group(1)) == 0:
        run.fail("no test matches %s in test_%s" % (pattern, name), part)
    elif done.returncode != 0 or m.group(2) != m.group(1):
        failed = re.findall(r"^\[FAIL\] (\S+)", out, re.M)
        run.fail("%s of %s failed: %s" % (int(m.group(1)) - int(m.group(2)), m.group(1),
                                          ", ".join(failed) or "(crashed)"), part)


def unit_test(binname, suite, name, points):
    """One Criterion test as one graded test named <suite>-<name with dashes>."""
    @LAB.test("%s-%s" % (suite, name.replace("_", "-")), points=points, **MODE)
    def check(run):
        run.text = ""  # the Criterion output replaces the (fallback) serial log
        criterion(run, binname, "%s/%s" % (suite, name))


# Exercise 1: stride scheduling (kern/sched/stride.c).
unit_test("policies", "stride", "runs_the_smallest_pass_and_splits_time_by_tickets", 12)
unit_test("policies", "stride", "a_newcomer_joins_at_the_global_pass_not_at_zero", 10)
unit_test("policies", "stride", "rejects_too_many_tickets_and_defaults_zero_to_100", 3)
unit_test("theory_share", "theory", "stride_shares_are_within_1_percent_of_ticket_ratios", 8)

# Exercise 2: EDF with budgets (kern/sched/edf.c).
unit_test("edf", "edf", "the_earliest_absolute_deadline_runs_first", 8)
unit_test("edf", "edf", "a_woken_earlier_deadline_preempts_a_later_one_only", 8)
unit_test("edf", "edf", "an_exhausted_budget_throttles_until_the_next_period", 10)
unit_test("edf", "edf", "waking_early_keeps_the_deadline_while_bandwidth_allows", 8)
unit_test("edf", "edf", "a_server_woken_while_out_of_budget_waits_for_its_period", 8)
unit_test("edf", "edf", "rejects_impossible_parameters", 3)
unit_test("theory_rt", "theory", "edf_meets_every_deadline_of_100_sets_with_u_at_most_1", 8)
unit_test("theory_rt", "theory", "edf_with_u_over_1_misses_first_where_demand_exceeds_time", 4)

# The given framework and policies must keep working beside yours.
GIVEN = {"core": ("core", "*/*", 2), "rr": ("policies", "rr/*", 1),
         "prio": ("policies", "prio/*", 2), "mlfq": ("policies", "mlfq/*", 2),
         "theory-rm": ("theory_rt", "theory/rm_*", 1),
         "theory-rr": ("theory_share", "theory/rr_*", 1),
         "theory-mlfq": ("theory_share", "theory/mlfq_*", 1)}


@LAB.test("given-policies", parts={part: g[2] for part, g in GIVEN.items()}, **MODE)
def given_policies(run):
    run.text = ""
    for part, (binname, pattern, _) in GIVEN.items():
        criterion(run, binname, pattern, part)


if __name__ == "__main__":
    sys.exit(gradelib.main([LAB]))
