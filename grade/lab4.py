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
import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import gradelib  # noqa: E402

LAB = gradelib.Lab("lab4")
ROOT = gradelib.ROOT
HOST = "host" in inspect.signature(gradelib.Test.__init__).parameters
MODE = {"host": True} if HOST else {"until": [r"^K> "], "timeout": 30}


def binary(name, unit="sched"):
    """The Criterion binary grade/unit/<unit>.mk builds for test_<name>."""
    obj = os.environ.get("OBJ", "obj")
    return os.path.join(ROOT, obj, "grade", "unit", unit, "test_" + name)


# What a sanitizer says about a crash, without its stack dump: the error, a UBSan
# "file:line:col: runtime error", the first frame of test or kernel code, the summary.
SANITIZER = re.compile(r"ERROR: \w+Sanitizer: [\w-]+|^\S+:\d+:\d+: runtime error: .*|"
                       r"^\s+#\d+ 0x[0-9a-f]+ in \S+ \S*\b(?:kern|lib|sim|grade)/\S+\.[ch]:\d+|"
                       r"^SUMMARY: .*", re.M)


def sanitizer_lines(out):
    """The lines of a sanitizer report worth showing, each once, in order."""
    seen = []
    for m in SANITIZER.finditer(out):
        line = m.group(0).strip()
        if line not in seen:
            seen.append(line)
    return seen[:6]


def criterion_report(path, pattern, report):
    """Run one Criterion binary with a JSON report; (exit status, output, tests) where
    tests is [(suite/name, status, [message lines])] of the tests that ran."""
    env = dict(os.environ)
    # Leak reports of a test aborted half-way only hide its assertion.
    env["ASAN_OPTIONS"] = ":".join(o for o in (env.get("ASAN_OPTIONS"), "detect_leaks=0") if o)
    done = gradelib.run_host([path, "--filter", pattern, "-S", "--color=never",
                              "--json=" + report], cwd=ROOT, env=env, capture_output=True,
                             text=True, timeout=300 * gradelib.timeout_scale())
    try:
        with open(report) as f:
            doc = json.load(f)
    except (OSError, ValueError):
        return done.returncode, done.stdout + done.stderr, None
    tests = [("%s/%s" % (suite["name"], t["name"]), t["status"], t.get("messages", []))
             for suite in doc.get("test_suites", []) for t in suite.get("tests", [])
             if t["status"] != "SKIPPED"]
    return done.returncode, done.stdout + done.stderr, sorted(tests)


def criterion(run, name, pattern, part=None, unit="sched"):
    """Run the Criterion tests of grade/unit/<unit>/test_<name> matching `pattern`; a failure
    (or no such test: a renamed test must not pass silently) fails `part`, with the
    failed assertions (file:line: message) as the reason."""
    path = binary(name, unit)
    if not os.path.exists(path):
        run.fail("%s is not built (make unit-%s)" % (os.path.relpath(path, ROOT), unit), part)
        return
    with gradelib.host_tmpdir() as tmp:  # the binary writes its report there
        try:
            status, out, tests = criterion_report(path, pattern, os.path.join(tmp, "r.json"))
        except subprocess.TimeoutExpired:
            run.fail("test_%s --filter %s timed out" % (name, pattern), part)
            return
    run.text += "$ test_%s --filter '%s'\n" % (name, pattern)
    if tests is None:
        lines = sanitizer_lines(out) or out.strip().splitlines()[-5:]
        run.text += "".join(line + "\n" for line in lines)
        run.fail("test_%s wrote no report (exit status %d): %s"
                 % (name, status, " | ".join(lines) or "no output"), part)
        return
    if not tests:
        run.fail("no test matches %s in test_%s" % (pattern, name), part)
        return
    for test, result, messages in tests:
        run.text += "%s %s\n" % ("PASS" if result == "PASSED" else "FAIL", test)
        if result == "PASSED":
            continue
        detail = [m.strip() for m in messages if m.strip()] or sanitizer_lines(out) or \
            ["crashed, or exited without an assertion message"]
        run.text += "".join("    %s\n" % line for line in detail)
        run.fail("%s: %s" % (test, " ".join(detail)), part)
    if status != 0 and all(result == "PASSED" for _, result, _ in tests):
        run.fail("test_%s exited with status %d although its tests passed" % (name, status),
                 part)


def unit_test(binname, suite, name, points):
    """One Criterion test as one graded test named <suite>-<name with dashes>."""
    @LAB.test("%s-%s" % (suite, name.replace("_", "-")), points=points, **MODE)
    def check(run):
        run.text = ""  # the Criterion output replaces the (fallback) serial log
        criterion(run, binname, "%s/%s" % (suite, name))


# Exercise 1: stride scheduling (kern/sched/stride.c).
unit_test("policies", "stride", "runs_the_smallest_pass_and_splits_time_by_tickets", 12)
unit_test("policies", "stride", "a_newcomer_joins_at_the_global_pass_not_at_zero", 10)
# Parameter checks are given code (the policies' set_params): checked, worth nothing.
unit_test("policies", "stride", "rejects_too_many_tickets_and_defaults_zero_to_100", 0)
unit_test("theory_share", "theory", "stride_shares_are_within_1_percent_of_ticket_ratios", 8)

# Exercise 2: EDF with budgets (kern/sched/edf.c).
unit_test("edf", "edf", "the_earliest_absolute_deadline_runs_first", 8)
unit_test("edf", "edf", "a_woken_earlier_deadline_preempts_a_later_one_only", 8)
unit_test("edf", "edf", "an_exhausted_budget_throttles_until_the_next_period", 6)
unit_test("edf", "edf", "a_budget_exhausted_after_its_period_ended_starts_a_new_period_at_once", 4)
unit_test("edf", "edf", "waking_early_keeps_the_deadline_while_bandwidth_allows", 8)
unit_test("edf", "edf", "a_server_woken_while_out_of_budget_waits_for_its_period", 8)
unit_test("edf", "edf", "rejects_impossible_parameters", 0)  # given, as stride's
unit_test("theory_rt", "theory", "edf_meets_every_deadline_of_100_sets_with_u_at_most_1", 8)
unit_test("theory_rt", "theory", "edf_with_u_over_1_misses_first_where_demand_exceeds_time", 4)

# The given framework and policies must keep working beside yours: checked (a tree that
# breaks them fails), worth nothing.
GIVEN = {"core": ("core", "*/*"), "rr": ("policies", "rr/*"), "prio": ("policies", "prio/*"),
         "mlfq": ("policies", "mlfq/*"), "theory-rm": ("theory_rt", "theory/rm_*"),
         "theory-rr": ("theory_share", "theory/rr_*"),
         "theory-mlfq": ("theory_share", "theory/mlfq_*")}


@LAB.test("given-policies", parts=dict.fromkeys(GIVEN, 0), **MODE)
def given_policies(run):
    run.text = ""
    for part, (binname, pattern) in GIVEN.items():
        criterion(run, binname, pattern, part)


if __name__ == "__main__":
    sys.exit(gradelib.main([LAB]))
