#!/usr/bin/env python3
"""Self-test of the grader library (grade/gradelib.py, grade/emulator.py) against a fake
QEMU (fakeqemu.py): fail-fast patterns, lines still arriving, per-test QEMU options.  Run by
`make grade-selftest`; Python standard library only."""

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


# Gradescope's documented results.json (gradescope-autograders.readthedocs.io, "Autograder
# Specifications", "Output format"): the values visibility and stdout_visibility may take, a
# test's status, and the types of the fields.
VISIBILITY = {"hidden", "after_due_date", "after_published", "visible"}


def check_gradescope_schema(case, res):
    """Every rule of the documented format that ExoLab's results rely on."""
    case.assertIsInstance(res["score"], (int, float))
    case.assertIsInstance(res["execution_time"], int)
    case.assertGreaterEqual(res["execution_time"], 0)
    case.assertIn(res["stdout_visibility"], VISIBILITY)
    numbers = set()
    for t in res["tests"]:
        case.assertEqual(set(t), {"name", "number", "score", "max_score", "status", "output",
                                  "visibility"})
        case.assertIsInstance(t["name"], str)
        case.assertIsInstance(t["number"], str)
        case.assertIsInstance(t["output"], str)
        case.assertIsInstance(t["score"], (int, float))
        case.assertIsInstance(t["max_score"], (int, float))
        case.assertTrue(0 <= t["score"] <= t["max_score"], t)
        case.assertIn(t["status"], {"passed", "failed"})
        case.assertIn(t["visibility"], VISIBILITY)
        case.assertNotIn(t["number"], numbers)
        numbers.add(t["number"])
    # The top-level score overrides the tests' sum on Gradescope: they must agree.
    case.assertEqual(res["score"], sum(t["score"] for t in res["tests"]))


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

    def test_a_test_from_a_labK_NAME_file_is_hidden(self):
        with tempfile.TemporaryDirectory() as d:
            for name in ("lab9.py", "lab9-extra.py"):
                with open(os.path.join(d, name), "w") as f:
                    f.write("import gradelib\nLAB = gradelib.Lab('x')\n")
            self.assertFalse(gradelib.load_lab(os.path.join(d, "lab9.py")).hidden)
            self.assertTrue(gradelib.load_lab(os.path.join(d, "lab9-extra.py")).hidden)


if __name__ == "__main__":
    unittest.main(verbosity=2)
