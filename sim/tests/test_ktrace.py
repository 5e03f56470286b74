#!/usr/bin/env python3
"""Tests of sim/ktrace.py, the kernel trace dump's converter, on the hand-written dump
sim/tests/ktrace/dump.log (two CPUs, every event type, a line of other output inside the
dump) and on broken copies of it.  `make ktrace-test` runs them (part of `make test`);
--log FILE appends one PASS/FAIL line per test."""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SCRIPT = os.path.join(ROOT, "sim", "ktrace.py")
SAMPLE = os.path.join(HERE, "ktrace", "dump.log")
EXPECTED = os.path.join(HERE, "ktrace", "trace.json")
sys.path.insert(0, os.path.join(ROOT, "sim"))

import ktrace  # noqa: E402


def sample():
    with open(SAMPLE) as f:
        return f.read()


def run_script(text, *extra):
    """Runs the script on `text` written to a file; (status, stdout, stderr, path)."""
    with tempfile.TemporaryDirectory() as tmp:
        log = os.path.join(tmp, "serial.log")
        with open(log, "w") as f:
            f.write(text)
        p = subprocess.run([sys.executable, SCRIPT, log] + list(extra), capture_output=True,
                           text=True)
        return p.returncode, p.stdout, p.stderr, log


def line_of(text, needle):
    """1-based number of the line that contains needle."""
    for n, line in enumerate(text.split("\n"), 1):
        if needle in line:
            return n
    raise AssertionError("no line with %r" % needle)


class Converts(unittest.TestCase):
    def test_sample_gives_the_checked_in_trace(self):
        status, out, err, _ = run_script(sample(), "--machine", "qemu")
        self.assertEqual((status, err), (0, ""))
        with open(EXPECTED) as f:
            self.assertEqual(out, f.read())

    def test_trace_has_exosims_layout(self):
        doc = json.loads(ktrace.convert(ktrace.parse(sample())))
        events = doc["traceEvents"]
        threads = {e["tid"]: e["args"]["name"] for e in events
                   if e["ph"] == "M" and e["name"] == "thread_name"}
        self.assertEqual(threads, {1: "cpu0", 2: "cpu1"})
        for e in events:
            self.assertEqual(e["pid"], 1)
            if e["ph"] == "X":
                self.assertEqual(e["cat"], "run")
                self.assertEqual(set(e["args"]), {"task"})
            if e["ph"] == "i":
                self.assertEqual((e["s"], e["cat"]), ("t", e["name"]))
        self.assertEqual(doc["otherData"]["policy"], "edf")

    def test_run_slices_follow_the_switches(self):
        events = json.loads(ktrace.convert(ktrace.parse(sample())))["traceEvents"]
        runs = [(e["tid"], e["name"], e["ts"], e["dur"]) for e in events if e["ph"] == "X"]
        # cpu0: 0x1000 from 2500 to 20100 and from 30200 to the dump (90000); cpu1: 0x1001
        # from 3500 to 24050.  1 GHz, time from start = 1000.
        self.assertEqual(runs, [(1, "schedtest 0x1000", 1.5, 17.6),
                                (1, "schedtest 0x1000", 29.2, 59.8),
                                (2, "schedtest task 0 0x1001", 2.5, 20.55)])

    def test_jobs_are_numbered_per_env_and_a_miss_is_drawn_at_its_deadline(self):
        events = json.loads(ktrace.convert(ktrace.parse(sample())))["traceEvents"]
        marks = [(e["name"], e["args"]["task"], e["args"]["job"], e["ts"]) for e in events
                 if e["ph"] == "i" and e["name"] in ("release", "miss")]
        self.assertIn(("miss", "schedtest 0x1000", 0, 11.0), marks)
        self.assertIn(("release", "schedtest 0x1000", 2, 29.0), marks)
        self.assertIn(("miss", "schedtest task 0 0x1001", 0, 22.0), marks)

    def test_the_last_dump_is_converted(self):
        text = sample()
        second = text.replace("policy edf", "policy rr")
        dump = ktrace.parse(text + second)
        self.assertEqual(dump.policy, "rr")

    def test_a_cpu_that_dropped_events_ends_at_its_last_one(self):
        text = sample().replace("cpu 0 events 12 dropped 0", "cpu 0 events 12 dropped 3")
        text = text.replace("end events 17 dropped 0", "end events 17 dropped 3")
        events = json.loads(ktrace.convert(ktrace.parse(text)))["traceEvents"]
        last = [e for e in events if e["ph"] == "X" and e["tid"] == 1][-1]
        self.assertEqual((last["ts"], last["dur"]), (29.2, 0.0))
        self.assertIn('"dropped":"3"', ktrace.convert(ktrace.parse(text)))


class Rejects(unittest.TestCase):
    """A broken dump: exit status 2 and `file:line: what` on stderr."""

    def rejects(self, text, line, words):
        status, out, err, log = run_script(text)
        self.assertEqual(status, 2, err)
        self.assertEqual(out, "")
        self.assertIn("%s:%d: " % (log, line), err)
        self.assertIn(words, err)

    def test_time_going_back_on_a_cpu(self):
        text = sample().replace("tsc 20000 block", "tsc 12000 block")
        self.rejects(text, line_of(text, "tsc 12000 block"), "time goes back")

    def test_fewer_events_than_the_cpu_header_says(self):
        text = sample().replace("ktrace: cpu 1 tsc 50000 exit 0x1001\n", "")
        self.rejects(text, line_of(text, "cpu 1 events 5"), "its section has 4")

    def test_an_unknown_event_type(self):
        text = sample().replace("block 0x1000", "nap 0x1000")
        self.rejects(text, line_of(text, "nap 0x1000"), "unknown event type 'nap'")

    def test_bad_event_arguments(self):
        text = sample().replace("late", "later")
        self.rejects(text, line_of(text, "later"), "bad arguments for 'miss'")

    def test_a_switch_from_an_env_that_was_not_running(self):
        text = sample().replace("switch 0x0 prev 0x1000", "switch 0x0 prev 0x1003")
        self.rejects(text, line_of(text, "prev 0x1003"), "switch from 0x1003")

    def test_a_dump_without_its_end(self):
        text = sample().replace("ktrace: end events 17 dropped 0\n", "")
        self.rejects(text, len(text.split("\n")), "has no end line")

    def test_a_log_without_a_dump(self):
        self.rejects("ExoLab x86-64\nK> \n", 3, "no 'ktrace: begin' line")

    def test_a_bad_begin_line(self):
        text = sample().replace(" now 90000", "")
        self.rejects(text, line_of(text, "ktrace: begin"), "bad begin line")

    def test_a_garbled_dump_line(self):
        text = sample().replace("ktrace: cpu 0 tsc 2100", "ktrace: cpu 0 tcs 2100")
        self.rejects(text, line_of(text, "tcs 2100"), "not a dump line")

    def test_a_missing_file(self):
        p = subprocess.run([sys.executable, SCRIPT, "/nonexistent/serial.log"],
                           capture_output=True, text=True)
        self.assertEqual(p.returncode, 2)
        self.assertIn("/nonexistent/serial.log", p.stderr)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--log", help="append PASS/FAIL lines here")
    opts, rest = ap.parse_known_args()
    suite = unittest.defaultTestLoader.loadTestsFromModule(sys.modules[__name__])
    tests = list(_tests(suite))  # the runner empties the suite
    result = unittest.TextTestRunner(verbosity=2).run(suite)
    if opts.log:
        bad = {t.id() for t, _ in result.failures + result.errors}
        with open(opts.log, "a") as f:
            for t in tests:
                f.write("%s ktrace %s\n" % ("FAIL" if t.id() in bad else "PASS",
                                            t.id().split(".")[-1]))
    return 0 if result.wasSuccessful() else 1


def _tests(suite):
    for t in suite:
        if isinstance(t, unittest.TestSuite):
            yield from _tests(t)
        else:
            yield t


if __name__ == "__main__":
    sys.exit(main())
