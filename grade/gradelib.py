#!/usr/bin/env python3
"""ExoLab grader library: boots obj/exolab.iso in QEMU or Bochs, drives the serial console
and scores the tests a grade/labN.py declares (Python 3 standard library only).

Run one lab with `python3 grade/lab1.py [options]`, or several with
`python3 grade/gradelib.py grade/lab1.py grade/lab2.py [options]` (that is what `make grade` does).
"""

import argparse
import codecs
import concurrent.futures
import importlib.util
import json
import os
import re
import shutil
import signal
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from emulator import (ROOT, Bochs, GradeError, Qemu, Screen, default_iso,  # noqa: E402,F401
                      kill_all, qemu_cmdline_option, stopping, timeout_scale)
# Programs built from the student's code run through these (as EXOLAB_RUN_AS on Gradescope).
from gradelib_host import host_argv, host_tmpdir, run_host  # noqa: E402,F401

POLL_SECONDS = 0.02  # how often a run looks at the serial file (waiting, not synchronising)
# After a fail-fast pattern, how long the run keeps reading (unless the emulator exits first)
# so the report shows the lines that follow it (a trap dump, a backtrace).  The score does
# not depend on it: the pattern fails the test wherever it appears.
FAIL_FAST_LINGER = 1.0
TAIL_LINES = 15
# A lock-checker report (kern/arch/x86_64/lockcheck.c, on in every boot but the benchmarks')
# is a kernel bug wherever it appears: each lab that boots the kernel makes it fail_fast.
# The checker's self-tests (test=lockcheck-*, grade/lab4b.py) provoke reports about locks
# of their own, all named ktest-*, which this pattern leaves to those tests.  It ends in `$`
# so that it looks at whole lines only (see _search): a report's first half names no lock.
LOCKCHECK_REPORT = r"^lockcheck: (?!.*\bktest-).*$"
ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;=?]*[A-Za-z]")  # firmware and GRUB screen control

_print_lock = threading.Lock()


def _exit_on_sigterm(signum, frame):
    sys.exit(128 + signum)  # unwinds main(), which kills the emulators


class Run:
    """What one boot produced, and the checks a test makes on it."""

    def __init__(self, test):
        self.test = test
        self.text = ""  # serial output, CRs removed
        self.exit_status = None  # set only when the emulator exited by itself
        self.reason = None  # "complete", "exited", "timeout" or "fail-fast"
        self.waiting_for = None  # the pattern still missing at a timeout
        self.fail_fast = None  # (pattern, offset in text) of the fail-fast pattern seen
        self.seconds = 0.0
        self.sent = []  # (line, offset in text where its reply starts)
        self.screen = None
        self.failures = []  # (part or None, message)
        self.fractions = {}  # part -> (good, total)
        self.notes = []

    def reply(self, line):
        """Serial output after `line` was sent, up to the next line sent (or the end);
        None when the run never got as far as sending it."""
        for i, (sent, start) in enumerate(self.sent):
            if sent == line:
                end = self.sent[i + 1][1] if i + 1 < len(self.sent) else len(self.text)
                return self.text[start:end]
        return None

    def _part(self, part):
        if part is not None and part not in self.test.parts:
            raise KeyError("test %s has no part %r" % (self.test.name, part))
        return part

    def fail(self, message, part=None):
        self.failures.append((self._part(part), message))

    def expect(self, pattern, part=None, text=None, count=None):
        """Require `pattern` (a multi-line regex) in the output, `count` times if given."""
        hits = len(re.findall(pattern, self.text if text is None else text, re.M))
        if count is None and hits == 0:
            self.fail("missing /%s/" % pattern, part)
        elif count is not None and hits != count:
            self.fail("/%s/ seen %d times, expected %d" % (pattern, hits, count), part)
        return hits

    def reject(self, pattern, part=None, text=None):
        m = re.search(pattern, self.text if text is None else text, re.M)
        if m:
            self.fail("unexpected %r" % m.group(0), part)

    def fraction(self, part, good, total, message=""):
        """Give `part` good/total of its points instead of all or nothing."""
        self.fractions[self._part(part)] = (good, total)
        if good < total:
            self.notes.append("%s: %d/%d %s" % (part, good, total, message))

    def short_parts(self, but=None):
        """The parts (other than `but`) that lose points: a failure, or less than their whole
        fraction; every part when a failure concerns the whole test."""
        general = any(part is None for part, _ in self.failures)
        return [p for p in self.test.parts if p != but and (
            general or any(f == p for f, _ in self.failures)
            or self.fractions.get(p, (1, 1))[0] < self.fractions.get(p, (1, 1))[1])]

    def needs_the_rest(self, part):
        """Fail `part` unless every other part earned in full: a check such as 'no leak'
        says nothing of a run that did not do its work (issue 19: an untouched handout, whose
        stubs do nothing and so leak nothing, must earn nothing)."""
        short = self.short_parts(but=part)
        if short:
            self.fail("counts only when the rest of the test passes (short: %s)"
                      % ", ".join(short), part)

    def score(self):
        general = any(part is None for part, _ in self.failures)
        if not self.test.parts:
            return 0 if self.failures else self.test.points
        total = 0.0
        for part, points in self.test.parts.items():
            if general or any(p == part for p, _ in self.failures):
                continue
            good, n = self.fractions.get(part, (1, 1))
            total += points * good / n if n else 0
        return round(total, 2)


class Keys(tuple):
    """A step's input typed on the keyboard instead of sent on serial: QEMU's key names
    (`Keys("h i up ret")`; `sendkey` in QEMU's monitor documentation)."""

    def __new__(cls, names):
        return super().__new__(cls, names.split())


class Test:
    """A declared test.  `steps` are (pattern, line) pairs: wait for the pattern after the
    previous step, then send the line.  The run is complete when every step is done, every
    `expect` pattern appears (a check), every `until` pattern appears after the last line
    sent (only a stop condition: a missing one is reported, not failed), and, if
    `exit_status` or `wait_exit` is set, the emulator has exited; then `check(run)` adds its
    own checks.  A run also ends when the emulator exits or the timeout passes, and at once
    (after FAIL_FAST_LINGER for the lines that follow) when a `fail_fast` pattern appears:
    those name output a passing run never prints (`^panic: `, `^env: cannot start init`),
    so they also fail the test wherever they appear, and a stub fails in seconds instead of
    waiting out the timeout.  `qemu_args` are extra QEMU options (e.g. ["-cpu", "max"]).
    Patterns are multi-line regexes; end one with `$` to wait for the whole line, not just
    its start.  A `host` test boots nothing: check(run) runs alone and may fill run.text.
    `peer` (QEMU only) is a class whose instance plays the other end of the guest's network
    for one run: peer(test, workdir, iso) is made first, its start(run) is called before QEMU
    starts (it may start threads or another emulator), its qemu_args (a list) are added to
    QEMU's, its stop(run) is called when the run ends, before the checks, and close() last."""

    def __init__(self, lab, name, check, points=0, parts=None, args="", uefi=False, emu=None,
                 steps=(), expect=(), reject=(), until=(), exit_status=None, wait_exit=False,
                 screendump=False, timeout=30, mem=256, smp=None, host=False, fail_fast=(),
                 qemu_args=(), peer=None):
        self.lab, self.name, self.check = lab, name, check
        self.parts = dict(parts or {})
        self.points = sum(self.parts.values()) if self.parts else points
        self.args, self.uefi, self.emu = args, uefi, emu
        self.steps, self.expect, self.reject = list(steps), list(expect), list(reject)
        self.until, self.exit_status, self.screendump = list(until), exit_status, screendump
        self.wait_exit = wait_exit or exit_status is not None
        # GRADE_SMP=N boots every test that names no CPU count with N CPUs (lab 4B: the
        # earlier labs' graders must pass on an SMP kernel too).
        if smp is None:
            smp = int(os.environ.get("GRADE_SMP", "1"))
        self.timeout, self.mem, self.smp = timeout, mem, smp
        self.host = host  # no emulator: check(run) does the work (e.g. runs host programs)
        self.fail_fast = list(lab.fail_fast) + list(fail_fast)
        self.qemu_args = list(qemu_args)
        self.peer = peer

    @property
    def fullname(self):
        return "%s %s" % (self.lab.name, self.name)

    def qemu_only(self):
        """Why this test cannot run on Bochs (no fw_cfg, no serial input, no debug-exit)."""
        if self.host:
            return None
        if self.args:
            return "kernel options"
        if self.steps:
            return "serial input"
        if self.wait_exit:
            return "an exit status"
        if self.uefi or self.screendump:
            return "UEFI/screendump"
        if self.qemu_args or self.peer:
            return "QEMU options"
        return None


class Lab:
    """The tests of one lab, in declaration order.  `fail_fast` patterns apply to each of
    them (see Test), before the test's own."""

    def __init__(self, name, fail_fast=()):
        self.name, self.tests = name, []
        self.fail_fast = list(fail_fast)
        self.hidden = False  # from an instructor's overlay (load_lab: grade/labK-NAME.py)

    def test(self, name, **kw):
        """Decorator: @lab.test("boot", points=10, expect=[...]) over an optional check(run)."""
        def register(func):
            self.tests.append(Test(self, name, func, **kw))
            return func
        return register


def _search(pat, text, pos=0):
    """re.search (multi-line) of `pat` in text[pos:], knowing that the last line may still be
    arriving: a pattern ending in `$` is looked for in the complete lines only, so it waits
    for the whole line (a NUL or other sentinel after the partial line would not do: `.*`
    swallows it), while one like `^K> ` also matches a prompt that has no newline yet."""
    if pat.endswith("$") and not text.endswith("\n"):
        text = text[:text.rfind("\n") + 1]
    return re.compile(pat, re.M).search(text, pos)


def _complete(test, run, pos, step):
    """The first thing the run still waits for, or None when the output is complete."""
    if step < len(test.steps):
        return test.steps[step][0]
    for pat in test.expect:
        if not _search(pat, run.text):
            return pat
    for pat in test.until:
        if not _search(pat, run.text[pos:]):
            return pat
    return None


def _fail_fast_hit(test, text):
    """(pattern, offset) of the first fail-fast pattern in text, or None."""
    for pat in test.fail_fast:
        m = _search(pat, text)
        if m:
            return pat, m.start()
    return None


def _stream(test, text, shown, everything):
    """--verbose: print the complete lines of text[shown:] (all of it at the end)."""
    end = len(text) if everything else text.rfind("\n", shown) + 1
    if end > shown:
        with _print_lock:
            for line in text[shown:end].splitlines():
                print("  [%s] %s" % (test.name, line), flush=True)
    return max(end, shown)


def _drive(test, emu, run, opts):
    """Feed the steps and watch the output until complete, exited, timed out or failed fast."""
    deadline = time.monotonic() + test.timeout * timeout_scale()
    start = time.monotonic()
    pos = step = shown = 0
    linger = None  # after a fail-fast pattern: read until then
    decoder = codecs.getincrementaldecoder("utf-8")("replace")
    with open(emu.serial, "rb") as serial:
        while True:
            emu.pump()
            exited = emu.proc.poll() is not None
            chunk = decoder.decode(serial.read()).replace("\r", "")
            if chunk:
                run.text += chunk
                if opts.verbose:
                    shown = _stream(test, run.text, shown, exited)
            if run.fail_fast is None:
                run.fail_fast = _fail_fast_hit(test, run.text)
                if run.fail_fast:
                    linger = time.monotonic() + FAIL_FAST_LINGER * timeout_scale()
            while run.fail_fast is None and step < len(test.steps):
                m = _search(test.steps[step][0], run.text, pos)
                if not m:
                    break
                pos = m.end()
                line = test.steps[step][1]
                (emu.send_keys if isinstance(line, Keys) else emu.send)(line)
                run.sent.append((line, pos))
                step += 1
            missing = _complete(test, run, pos, step)
            if run.fail_fast is not None:
                if exited or time.monotonic() > linger:
                    run.reason = "fail-fast"
            elif missing is None and (not test.wait_exit or exited):
                run.reason = "complete"
            elif exited:
                run.reason = "exited"
            elif time.monotonic() > deadline:
                run.reason, run.waiting_for = "timeout", missing or "the emulator to exit"
            if stopping.is_set():
                raise GradeError("interrupted")
            if run.reason:
                if opts.verbose:
                    _stream(test, run.text, shown, True)
                run.seconds = time.monotonic() - start
                if exited:
                    run.exit_status = emu.proc.returncode
                return
            time.sleep(POLL_SECONDS)


def _evaluate(test, run):
    if run.reason == "fail-fast":
        pat, at = run.fail_fast
        run.fail("stopped at %r: it matches the fail-fast pattern /%s/"
                 % (run.text[at:].split("\n", 1)[0], pat))
        for other in test.fail_fast:
            if other != pat:
                run.reject(other)
        return  # the test has failed; its checks would only list what never came
    for pat in test.expect:
        run.expect(pat)
    for pat in dict.fromkeys(test.reject + test.fail_fast):  # once each, in order
        run.reject(pat)
    if test.exit_status is not None and run.exit_status != test.exit_status:
        got = "still running" if run.exit_status is None else "status %d" % run.exit_status
        run.fail("emulator exit status: expected %d, got %s" % (test.exit_status, got))
    if run.reason == "timeout":
        run.notes.append("timed out after %gs waiting for /%s/"
                         % (test.timeout * timeout_scale(), run.waiting_for))
    if test.check:
        test.check(run)


def _run_host(test, run):
    start = time.monotonic()
    try:
        if test.check:
            test.check(run)
        for pat in test.expect:
            run.expect(pat)
        for pat in test.reject:
            run.reject(pat)
    except GradeError as e:
        run.fail(str(e))
    run.reason, run.seconds = "complete", time.monotonic() - start
    return run


def run_test(test, opts):
    """Boot once for `test`, check the output and return the Run."""
    run = Run(test)
    emu_name = test.emu or opts.emu
    if emu_name == "bochs" and test.qemu_only():
        run.reason = "skipped"
        run.notes.append("needs QEMU (%s)" % test.qemu_only())
        return run
    if test.host:
        return _run_host(test, run)
    if not os.path.exists(opts.iso):
        run.fail("no ISO at %s (run make first)" % opts.iso)
        return run
    user = re.sub(r"\W", "_", os.environ.get("USER", str(os.getuid())))
    workdir = tempfile.mkdtemp(prefix="exolab-grade-%s-" % user)
    emu = (Bochs if emu_name == "bochs" else Qemu)(test, workdir, opts.iso)
    peer = test.peer(test, workdir, opts.iso) if test.peer else None
    try:
        if peer:
            peer.start(run)
            emu.extra_args = list(peer.qemu_args)
        emu.start()
        _drive(test, emu, run, opts)
        if peer:
            peer.stop(run)
        if test.screendump and run.reason == "complete":
            run.screen = emu.screendump(os.path.join(workdir, "screen.ppm"))
        emu.stop()
        if run.reason == "exited" and not run.text and emu.errors():
            run.fail("emulator failed: " + emu.errors().splitlines()[-1])
        _evaluate(test, run)
    except GradeError as e:
        run.fail(str(e))
    finally:
        emu.stop()
        if peer:
            peer.close()
        shutil.rmtree(workdir, ignore_errors=True)
    return run


def _report(test, run):
    """The lines printed for one test."""
    score = run.score()
    if run.reason == "skipped":
        status = "SKIP"
    elif score == test.points and not run.failures:
        status = "OK"
    elif score > 0:
        status = "PARTIAL %g/%g" % (score, test.points)
    else:
        status = "FAIL"
    out = ["%s: %s (%.1fs)" % (test.fullname, status, run.seconds)]
    detail = ["    %s%s" % ("" if part is None else part + ": ", msg)
              for part, msg in run.failures]
    detail += ["    " + note for note in run.notes]
    if run.failures or (score < test.points and run.reason != "skipped"):
        tail = run.text.rstrip("\n").splitlines()[-TAIL_LINES:]
        detail.append("    last %d lines of serial output:" % len(tail))
        detail += ["    | " + ANSI_ESCAPE.sub("", line) for line in tail]
    return out + detail


def _results(tests, runs):
    rows = []
    for test, run in zip(tests, runs):
        rows.append({"lab": test.lab.name, "name": test.name, "score": run.score(),
                     "max_score": test.points, "skipped": run.reason == "skipped",
                     "passed": run.score() == test.points and not run.failures,
                     "seconds": round(run.seconds, 2), "end": run.reason,
                     "exit_status": run.exit_status,
                     "failures": [{"part": p, "message": m} for p, m in run.failures],
                     "notes": run.notes, "parts": test.parts})
    return rows


def _unix_text(text):
    """text with Unix line ends: CR LF and a lone CR (a terminal's) become one LF."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def gradescope_results(tests, rows, reports, score, seconds):
    """Gradescope's results.json (gradescope-autograders.readthedocs.io, "Autograder
    Specifications"): per test name, number, score, max_score, status, output and visibility;
    a hidden overlay's tests (grade/labK-NAME.py) show after the grades are published, the
    rest at once; run_autograder's stdout is for the instructor only.  Outputs keep Unix line
    ends only, as the specification asks (a host test's text may carry '\\r')."""
    out = []
    for test, r, rep in zip(tests, rows, reports):
        if r["skipped"]:
            continue
        out.append({"name": "%s %s" % (r["lab"], r["name"]), "number": str(len(out) + 1),
                    "score": r["score"], "max_score": r["max_score"],
                    "status": "passed" if r["passed"] else "failed",
                    "output": _unix_text("\n".join(rep)),
                    "visibility": "after_published" if test.lab.hidden else "visible"})
    return {"score": score, "execution_time": int(round(seconds)),
            "stdout_visibility": "hidden", "tests": out}


def _write_outputs(opts, tests, runs, reports, seconds):
    rows = _results(tests, runs)
    graded = [r for r in rows if not r["skipped"]]
    score = sum(r["score"] for r in graded)
    if opts.json:
        with open(opts.json, "w") as f:
            json.dump({"score": score, "max_score": sum(r["max_score"] for r in graded),
                       "tests": rows}, f, indent=2)
    if opts.gradescope:
        with open(opts.gradescope, "w") as f:
            json.dump(gradescope_results(tests, rows, reports, score, seconds), f, indent=2,
                      allow_nan=False)
    if opts.log:
        with open(opts.log, "a") as f:
            for r in graded:
                f.write("%s %s %s\n" % ("PASS" if r["passed"] else "FAIL", r["lab"], r["name"]))


def _select(labs, only):
    tests = [t for lab in labs for t in lab.tests]
    if not only:
        return tests
    chosen = [t for t in tests
              if any(o in (t.name, t.fullname) or re.search(o, t.fullname) for o in only)]
    if not chosen:
        raise GradeError("--only %s matches no test; tests are: %s"
                         % (" ".join(only), ", ".join(t.fullname for t in tests)))
    return chosen


def _parse_args(argv):
    p = argparse.ArgumentParser(description="Grade ExoLab labs by booting the kernel.")
    p.add_argument("labfiles", nargs="*", help="grade/labN.py files (when run as gradelib.py)")
    p.add_argument("--emu", choices=("qemu", "bochs"), default="qemu",
                   help="emulator for tests that do not name one (default qemu)")
    p.add_argument("--only", action="append", default=[], metavar="NAME",
                   help="run only tests whose name is NAME or matches the regex (repeatable)")
    p.add_argument("--json", metavar="FILE", help="write per-test results as JSON")
    p.add_argument("--gradescope", metavar="FILE", help="write Gradescope results.json")
    p.add_argument("--log", metavar="FILE", help="append one 'PASS|FAIL lab test' line per test")
    p.add_argument("-j", "--jobs", type=int, default=1, help="tests run in parallel (default 1)")
    p.add_argument("-v", "--verbose", action="store_true", help="stream serial output")
    p.add_argument("--iso", default=default_iso(), help="the ISO to boot (default obj/exolab.iso)")
    p.add_argument("--list", action="store_true", help="list the tests and their points")
    p.add_argument("--boot", action="store_true",
                   help="no tests: boot once, copy serial output here until Ctrl-C (make bochs)")
    p.add_argument("--mem", type=int, default=256, help="--boot: memory in MiB (default 256)")
    return p.parse_args(argv)


def boot(opts):
    """Boot the ISO once and copy its serial output to this terminal until the emulator
    stops or Ctrl-C; the emulator's process group dies with it either way."""
    test = Test(Lab("boot"), "boot", None, mem=opts.mem)
    workdir = tempfile.mkdtemp(prefix="exolab-boot-")
    emu = (Bochs if opts.emu == "bochs" else Qemu)(test, workdir, opts.iso)
    print("*** %s: serial output follows; Ctrl-C stops it" % opts.emu, flush=True)
    try:
        emu.start()
        with open(emu.serial, "rb") as serial:
            while True:
                emu.pump()
                exited = emu.proc.poll() is not None
                sys.stdout.buffer.write(serial.read())
                sys.stdout.flush()
                if exited:
                    break
                time.sleep(POLL_SECONDS)
        print("*** %s exited with status %d" % (opts.emu, emu.proc.returncode))
    except KeyboardInterrupt:
        print("\n*** stopped")
    except GradeError as e:
        print("boot: " + str(e), file=sys.stderr)
        return 1
    finally:
        emu.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


def load_lab(path):
    """Import a grade/labN.py file and return its LAB."""
    name = os.path.splitext(os.path.basename(path))[0]
    spec = importlib.util.spec_from_file_location("exolab_grade_" + name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    mod.LAB.hidden = "-" in name  # labK-NAME.py: a hidden test an overlay added
    return mod.LAB


def main(labs=None, argv=None):
    """Run the selected tests, print each with its time and a final score; 0 iff all passed."""
    opts = _parse_args(sys.argv[1:] if argv is None else argv)
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even when started in background
    try:
        labs = (labs or []) + [load_lab(p) for p in opts.labfiles]
        tests = _select(labs, opts.only)
        timeout_scale()
    except GradeError as e:
        print("grade: " + str(e), file=sys.stderr)
        return 1
    if opts.list:
        for t in tests:
            print("%-32s %3g points%s" % (t.fullname, t.points,
                                          "  (%s)" % ", ".join(t.parts) if t.parts else ""))
        return 0
    if opts.boot:
        return boot(opts)
    begin = time.monotonic()
    runs, reports = [], []
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=max(1, opts.jobs))
    try:
        futures = [pool.submit(run_test, t, opts) for t in tests]
        for test, fut in zip(tests, futures):  # print in declaration order
            run = fut.result()
            runs.append(run)
            reports.append(_report(test, run))
            with _print_lock:
                print("\n".join(reports[-1]), flush=True)
    except (KeyboardInterrupt, SystemExit):
        # Worker threads are joined at exit: stop them starting emulators, then kill those
        # running, so each run ends at once.
        stopping.set()
        pool.shutdown(wait=False, cancel_futures=True)
        kill_all()
        print("grade: interrupted", file=sys.stderr)
        return 130
    pool.shutdown()
    graded = [(t, r) for t, r in zip(tests, runs) if r.reason != "skipped"]
    score = sum(r.score() for _, r in graded)
    print("Score: %g/%g" % (score, sum(t.points for t, _ in graded)))
    _write_outputs(opts, tests, runs, reports, time.monotonic() - begin)
    ok = all(r.score() == t.points and not r.failures for t, r in graded)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
