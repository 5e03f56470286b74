#!/usr/bin/env python3
"""Self-test of the grader library (grade/gradelib.py, grade/emulator.py) against a fake
QEMU (fakeqemu.py): fail-fast patterns, lines still arriving, per-test QEMU options.  Run by
`make grade-selftest`; Python standard library only."""

import copy
import json
import os
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

import gradelib  # noqa: E402

# Far longer than a run that fails fast takes: reaching it means the pattern was ignored.
LONG = 120


def grade(test, output, emu="qemu"):
    """One run of `test` on the fake QEMU printing `output` ('|' separates lines)."""
    os.environ["QEMU"] = os.path.join(HERE, "fakeqemu.py")
    os.environ["FAKEQEMU_OUTPUT"] = output
    with tempfile.NamedTemporaryFile(suffix=".iso") as iso:
        return gradelib.run_test(test, gradelib._parse_args(["--iso", iso.name, "--emu", emu]))


def new_test(lab_fail_fast=(), **kw):
    return gradelib.Test(gradelib.Lab("self", fail_fast=lab_fail_fast), "t", None, points=5,
                         **kw)


class FailFast(unittest.TestCase):
    def test_a_fail_fast_line_ends_the_run_long_before_its_timeout(self):
        t = new_test(until=[r"^never$"], timeout=LONG, fail_fast=[r"^panic: "])
        run = grade(t, "boot|panic: kern/x.c:1: boom|  rbp 0 after the panic|")
        self.assertEqual(run.reason, "fail-fast")
        self.assertEqual(run.score(), 0)
        self.assertEqual(len(run.failures), 1)
        self.assertIn("'panic: kern/x.c:1: boom'", run.failures[0][1])
        self.assertIn("/^panic: /", run.failures[0][1])

    def test_the_labs_patterns_come_first_and_apply_to_every_test(self):
        t = new_test(lab_fail_fast=[r"^env: cannot start init"], fail_fast=[r"^panic: "],
                     until=[r"^never$"], timeout=LONG)
        self.assertEqual(t.fail_fast, [r"^env: cannot start init", r"^panic: "])
        run = grade(t, "env: cannot start init (E_NOSYS)|K> ")
        self.assertEqual(run.reason, "fail-fast")
        self.assertIn("env: cannot start init (E_NOSYS)", run.failures[0][1])

    def test_the_pattern_fails_a_run_that_completed_in_the_same_output(self):
        t = new_test(until=[r"^done$"], timeout=LONG, fail_fast=[r"^panic: "])
        run = grade(t, "done|panic: late|")
        self.assertIn(run.reason, ("fail-fast", "complete"))
        self.assertEqual(run.score(), 0)
        self.assertTrue(any("panic: " in msg for _, msg in run.failures), run.failures)

    def test_a_run_without_the_pattern_completes_and_passes(self):
        t = new_test(until=[r"^done$"], timeout=LONG, fail_fast=[r"^panic: "])
        run = grade(t, "no panic: here|done|")
        self.assertEqual(run.reason, "complete")
        self.assertEqual(run.failures, [])
        self.assertEqual(run.score(), 5)


class PartialLines(unittest.TestCase):
    def test_a_pattern_ending_in_dollar_waits_for_the_whole_line(self):
        # `.*$` would match the partial line at the end of the output if `$` could match there.
        t = new_test(until=[r"^  rbp .* kern_main\+0x[0-9a-f]+ args .*$"], timeout=2)
        run = grade(t, "  rbp 1 rip 2 kern_main+0x10 args 0000 00")
        self.assertEqual(run.reason, "timeout")
        self.assertEqual(run.waiting_for, r"^  rbp .* kern_main\+0x[0-9a-f]+ args .*$")

    def test_the_same_pattern_matches_once_the_newline_arrives(self):
        t = new_test(until=[r"^  rbp .* kern_main\+0x[0-9a-f]+ args .*$"], timeout=LONG)
        run = grade(t, "  rbp 1 rip 2 kern_main+0x10 args 0000 00|")
        self.assertEqual(run.reason, "complete")

    def test_a_prompt_matches_before_any_newline(self):
        t = new_test(until=[r"^K> "], timeout=LONG)
        run = grade(t, "boot|K> ")
        self.assertEqual(run.reason, "complete")


class QemuArgs(unittest.TestCase):
    def test_extra_options_follow_the_standard_ones(self):
        t = new_test(until=[r"^argv: .*$"], timeout=LONG, qemu_args=["-cpu", "max"])
        run = grade(t, "")
        self.assertEqual(run.reason, "complete")
        argv = run.text.splitlines()[0].split()
        self.assertEqual(argv[-2:], ["-cpu", "max"])
        self.assertIn("isa-debug-exit,iobase=0xf4,iosize=0x04", argv)

    def test_a_test_with_qemu_options_is_skipped_on_bochs(self):
        t = new_test(until=[r"^x$"], qemu_args=["-cpu", "max"])
        self.assertEqual(t.qemu_only(), "QEMU options")
        run = grade(t, "", emu="bochs")
        self.assertEqual(run.reason, "skipped")


class NeedsTheRest(unittest.TestCase):
    """Run.needs_the_rest: a part such as 'leak' earns only when the test did its work."""

    def run_with(self, good):
        t = gradelib.Test(gradelib.Lab("self"), "t", None, parts={"work": 3, "leak": 2})
        run = gradelib.Run(t)
        run.fraction("work", good, 4)
        run.needs_the_rest("leak")
        return run

    def test_a_run_that_did_nothing_earns_nothing_for_leaking_nothing(self):
        run = self.run_with(0)
        self.assertEqual(run.score(), 0)
        self.assertEqual([p for p, _ in run.failures], ["leak"])
        self.assertIn("short: work", run.failures[0][1])

    def test_partial_work_keeps_its_fraction_and_loses_the_leak_part(self):
        self.assertEqual(self.run_with(2).score(), 1.5)

    def test_a_whole_run_earns_the_leak_part(self):
        run = self.run_with(4)
        self.assertEqual((run.score(), run.failures), (5, []))


# Gradescope's documented results.json (gradescope-autograders.readthedocs.io/en/latest/specs/,
# "Output format", "Controlling Test Case Visibility", "Test case status", "Output String
# Formatting"; read 2026-12 from gradescope/autograder_samples docs/specs.md of 2025-01-15):
# the keys each level may carry, the values visibility, stdout_visibility, status and the
# format fields may take, Unix line endings in outputs, a top-level score overriding the sum.
TOP_KEYS = {"score", "execution_time", "output", "output_format", "test_output_format",
            "test_name_format", "visibility", "stdout_visibility", "extra_data", "tests",
            "leaderboard"}
TEST_KEYS = {"score", "max_score", "status", "name", "name_format", "number", "output",
             "output_format", "tags", "visibility", "extra_data"}
VISIBILITY = {"hidden", "after_due_date", "after_published", "visible"}
FORMATS = {"text", "html", "simple_format", "md", "ansi"}
# What ExoLab's results always carry (issue 19), beyond what the format requires.
EXOLAB_TOP = {"score", "execution_time", "stdout_visibility", "tests"}
EXOLAB_TEST = {"name", "number", "score", "max_score", "status", "output", "visibility"}


def _number(x):
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _check_text(where, res, key, errors):
    if key in res and not isinstance(res[key], str):
        errors.append("%s: %s is not a string" % (where, key))
    elif "\r" in res.get(key, ""):
        errors.append("%s: %s has a carriage return (Unix line endings only)" % (where, key))


def _check_test(i, t, errors):
    where = "tests[%d]" % i
    if not isinstance(t, dict):
        errors.append("%s: not an object" % where)
        return
    for k in sorted(set(t) - TEST_KEYS):
        errors.append("%s: unknown key %s" % (where, k))
    for k in sorted(EXOLAB_TEST - set(t)):
        errors.append("%s: no %s" % (where, k))
    for k in ("name", "number"):
        if k in t and not isinstance(t[k], str):
            errors.append("%s: %s is not a string" % (where, k))
    _check_text(where, t, "output", errors)
    for k in ("score", "max_score"):
        if k in t and not _number(t[k]):
            errors.append("%s: %s is not a number" % (where, k))
    if _number(t.get("score")) and _number(t.get("max_score")):
        if not 0 <= t["score"] <= t["max_score"]:
            errors.append("%s: score %s outside 0..max_score %s"
                          % (where, t["score"], t["max_score"]))
        elif t.get("status") == "passed" and t["score"] != t["max_score"]:
            errors.append("%s: passed with %s of %s points" % (where, t["score"], t["max_score"]))
    if "status" in t and t["status"] not in ("passed", "failed"):
        errors.append("%s: status %r is not passed or failed" % (where, t["status"]))
    if "visibility" in t and t["visibility"] not in VISIBILITY:
        errors.append("%s: visibility %r" % (where, t["visibility"]))
    for k in ("name_format", "output_format"):
        if k in t and t[k] not in FORMATS:
            errors.append("%s: %s %r" % (where, k, t[k]))


def gradescope_schema_errors(res):
    """What in res breaks Gradescope's documented format or ExoLab's use of it (a list of
    'where: what' strings; empty when res is valid)."""
    if not isinstance(res, dict):
        return ["top: not an object"]
    errors = ["top: unknown key %s" % k for k in sorted(set(res) - TOP_KEYS)]
    errors += ["top: no %s" % k for k in sorted(EXOLAB_TOP - set(res))]
    if "score" in res and not _number(res["score"]):
        errors.append("top: score is not a number")
    t = res.get("execution_time", 0)
    if not isinstance(t, int) or isinstance(t, bool) or t < 0:
        errors.append("top: execution_time %r is not whole seconds" % (t,))
    for k in ("visibility", "stdout_visibility"):
        if k in res and res[k] not in VISIBILITY:
            errors.append("top: %s %r" % (k, res[k]))
    for k in ("output_format", "test_output_format", "test_name_format"):
        if k in res and res[k] not in FORMATS:
            errors.append("top: %s %r" % (k, res[k]))
    _check_text("top", res, "output", errors)
    tests = res.get("tests", [])
    if not isinstance(tests, list):
        return errors + ["top: tests is not a list"]
    numbers = set()
    for i, test in enumerate(tests):
        _check_test(i, test, errors)
        if isinstance(test, dict) and "number" in test:
            if test["number"] in numbers:
                errors.append("tests[%d]: number %r repeats" % (i, test["number"]))
            numbers.add(test["number"])
    # The format needs a score on top or on every test; the top one overrides the tests' sum,
    # so ExoLab's must equal it.
    if "score" not in res and any("score" not in t for t in tests if isinstance(t, dict)):
        errors.append("top: no score, and a test without one")
    if _number(res.get("score")) and all(isinstance(t, dict) and _number(t.get("score"))
                                         for t in tests):
        total = sum(t["score"] for t in tests)
        if res["score"] != total:
            errors.append("top: score %s is not the tests' sum %s" % (res["score"], total))
    return errors


def load_strict_json(path):
    """results.json as Gradescope's parser takes it: strict JSON (no NaN or Infinity)."""
    def refuse(word):
        raise ValueError("%s: %s is not JSON" % (path, word))
    with open(path) as f:
        return json.load(f, parse_constant=refuse)


def check_gradescope_schema(case, res):
    """Every documented rule of the format, and what ExoLab's results always carry."""
    case.assertEqual(gradescope_schema_errors(res), [])


class GradescopeResults(unittest.TestCase):
    def results(self, hidden_lab):
        visible = gradelib.Lab("lab1")
        hidden = gradelib.Lab("lab1-extra")
        hidden.hidden = hidden_lab
        tests = [gradelib.Test(visible, "ok", None, points=5, expect=[r"^hello$"], timeout=5),
                 gradelib.Test(hidden, "secret", None, points=3, expect=[r"^nope$"],
                               timeout=5)]
        runs = [grade(t, "hello|bye") for t in tests]
        rows = gradelib._results(tests, runs)
        reports = [gradelib._report(t, r) for t, r in zip(tests, runs)]
        return gradelib.gradescope_results(tests, rows, reports, 5, 2.4)

    def test_results_follow_gradescopes_schema_and_hidden_tests_wait_for_publishing(self):
        res = self.results(True)
        check_gradescope_schema(self, res)
        self.assertEqual([(t["name"], t["number"], t["score"], t["status"], t["visibility"])
                          for t in res["tests"]],
                         [("lab1 ok", "1", 5, "passed", "visible"),
                          ("lab1-extra secret", "2", 0, "failed", "after_published")])
        self.assertEqual((res["score"], res["execution_time"], res["stdout_visibility"]),
                         (5, 2, "hidden"))

    def test_the_schema_check_refuses_what_the_format_forbids(self):
        good = self.results(True)
        self.assertEqual(gradescope_schema_errors(good), [])
        for change, want in [
                (lambda r: r.update(stdout_visibility="students"), "top: stdout_visibility"),
                (lambda r: r.update(score=6), "top: score 6 is not the tests' sum 5"),
                (lambda r: r.update(execution_time=2.4), "top: execution_time 2.4"),
                (lambda r: r.update(grade=5), "top: unknown key grade"),
                (lambda r: r.update(output_format="markdown"), "top: output_format"),
                (lambda r: r.pop("tests"), "top: no tests"),
                (lambda r: r["tests"][0].update(status="ok"), "tests[0]: status 'ok'"),
                (lambda r: r["tests"][1].update(status="passed"), "tests[1]: passed with 0"),
                (lambda r: r["tests"][0].update(number=1), "tests[0]: number is not a string"),
                (lambda r: r["tests"][1].update(number="1"), "tests[1]: number '1' repeats"),
                (lambda r: r["tests"][0].update(output="a\r\nb"), "tests[0]: output has a"),
                (lambda r: r["tests"][1].update(visibility="later"), "tests[1]: visibility"),
                (lambda r: r["tests"][0].update(score=True), "tests[0]: score is not a number"),
                (lambda r: r["tests"][0].update(score=7), "tests[0]: score 7 outside"),
                (lambda r: r["tests"][0].pop("max_score"), "tests[0]: no max_score"),
                (lambda r: r["tests"][0].update(hint="x"), "tests[0]: unknown key hint")]:
            bad = copy.deepcopy(good)
            change(bad)
            errors = gradescope_schema_errors(bad)
            self.assertTrue(any(e.startswith(want) for e in errors), (want, errors))

    def test_results_json_must_be_strict_json(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "results.json")
            with open(path, "w") as f:
                f.write('{"score": NaN, "tests": []}')
            with self.assertRaises(ValueError):
                load_strict_json(path)

    def test_carriage_returns_in_a_report_become_unix_line_ends(self):
        t = gradelib.Test(gradelib.Lab("lab1"), "ok", None, points=1, expect=[], timeout=5)
        row = {"lab": "lab1", "name": "ok", "score": 1, "max_score": 1, "skipped": False,
               "passed": True}
        res = gradelib.gradescope_results([t], [row], [["line\r\nnext\r"]], 1, 0)
        self.assertEqual(res["tests"][0]["output"], "line\nnext\n")
        check_gradescope_schema(self, res)

    def test_a_test_from_a_labK_NAME_file_is_hidden(self):
        with tempfile.TemporaryDirectory() as d:
            for name in ("lab9.py", "lab9-extra.py"):
                with open(os.path.join(d, name), "w") as f:
                    f.write("import gradelib\nLAB = gradelib.Lab('x')\n")
            self.assertFalse(gradelib.load_lab(os.path.join(d, "lab9.py")).hidden)
            self.assertTrue(gradelib.load_lab(os.path.join(d, "lab9-extra.py")).hidden)


if __name__ == "__main__":
    unittest.main(verbosity=2)
