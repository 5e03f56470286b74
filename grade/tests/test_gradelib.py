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


if __name__ == "__main__":
    unittest.main(verbosity=2)
