#!/usr/bin/env python3
"""ExoLab grader library: boots obj/exolab.iso in QEMU or Bochs, drives the serial console
and scores the tests a grade/labN.py declares (Python 3 standard library only).

Run one lab with `python3 grade/lab1.py [options]`, or several with
`python3 grade/gradelib.py grade/lab1.py grade/lab2.py [options]` (that is what `make grade` does).
"""

import argparse
import atexit
import codecs
import concurrent.futures
import importlib.util
import json
import os
import pty
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OVMF_CODE = "/usr/share/OVMF/OVMF_CODE_4M.fd"
OVMF_VARS = "/usr/share/OVMF/OVMF_VARS_4M.fd"
POLL_SECONDS = 0.02  # how often a run looks at the serial file (waiting, not synchronising)
TAIL_LINES = 15

_live = set()  # emulators still running, killed at exit whatever happens
_live_lock = threading.Lock()
_print_lock = threading.Lock()


class GradeError(Exception):
    """A problem with the grading setup (missing ISO, emulator failed to start), not the kernel."""


def _kill_group(proc):
    """SIGKILL the emulator's whole process group (Bochs ignores SIGTERM) and reap it."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()
    with _live_lock:
        _live.discard(proc)


@atexit.register
def _kill_all():
    with _live_lock:
        procs = list(_live)
    for proc in procs:
        _kill_group(proc)


def _exit_on_sigterm(signum, frame):
    sys.exit(128 + signum)  # runs the atexit handler above


def timeout_scale():
    """GRADE_TIMEOUT_SCALE multiplies every test's timeout (slow or loaded machines)."""
    try:
        scale = float(os.environ.get("GRADE_TIMEOUT_SCALE", "1"))
    except ValueError:
        raise GradeError("GRADE_TIMEOUT_SCALE must be a number")
    if scale <= 0:
        raise GradeError("GRADE_TIMEOUT_SCALE must be positive")
    return scale


def default_iso():
    obj = os.environ.get("OBJ", "obj")
    return os.path.join(ROOT, obj, "exolab.iso")


def qemu_cmdline_option(args):
    """The -fw_cfg value carrying kernel options; QEMU's option parser needs ',' doubled."""
    return "name=opt/exolab/cmdline,string=" + args.replace(",", ",,")


class Screen:
    """A screendump: width, height and RGB bytes, row-major."""

    def __init__(self, width, height, rgb):
        self.width, self.height, self.rgb = width, height, rgb

    def pixel(self, x, y):
        i = 3 * (y * self.width + x)
        return self.rgb[i], self.rgb[i + 1], self.rgb[i + 2]

    @staticmethod
    def read_ppm(path):
        """Parse the binary PPM (P6, maxval 255) QEMU's screendump writes."""
        with open(path, "rb") as f:
            data = f.read()
        fields, pos = [], 0
        while len(fields) < 4:
            m = re.compile(rb"\s*(#[^\n]*\n\s*)*(\S+)").match(data, pos)
            if not m:
                raise GradeError("%s: truncated PPM header" % path)
            fields.append(m.group(2))
            pos = m.end()
        if fields[0] != b"P6" or fields[3] != b"255":
            raise GradeError("%s: not a P6 PPM with maxval 255" % path)
        width, height = int(fields[1]), int(fields[2])
        rgb = data[pos + 1:pos + 1 + 3 * width * height]
        if len(rgb) != 3 * width * height:
            raise GradeError("%s: short pixel data" % path)
        return Screen(width, height, rgb)


class Emulator:
    """One emulator process.  Serial output goes to a file in `workdir`, so nothing can block
    on a full pipe; the run polls that file."""

    def __init__(self, test, workdir, iso):
        self.test, self.dir, self.iso = test, workdir, iso
        self.serial = os.path.join(workdir, "serial.out")
        self.stderr = os.path.join(workdir, "emulator.err")
        self.proc = None

    def _spawn(self, argv, **kw):
        with open(self.serial, "wb") as out, open(self.stderr, "wb") as err:
            try:
                self.proc = subprocess.Popen(argv, stdout=kw.pop("stdout", out), stderr=err,
                                             cwd=ROOT, start_new_session=True, **kw)
            except OSError as e:
                raise GradeError("cannot start %s: %s" % (argv[0], e))
        with _live_lock:
            _live.add(self.proc)

    def send(self, line):
        raise GradeError("%s cannot send serial input" % type(self).__name__)

    def screendump(self, path):
        raise GradeError("%s cannot take a screendump" % type(self).__name__)

    def pump(self):
        """Called every poll; emulators that need servicing do it here."""

    def stop(self):
        if self.proc:
            _kill_group(self.proc)

    def errors(self):
        with open(self.stderr, "rb") as f:
            return f.read().decode("utf-8", "replace").strip()


class Qemu(Emulator):
    """QEMU with serial on stdio (stdin a pipe, stdout a file) and the HMP monitor on a unix
    socket in the run's private directory."""

    def start(self):
        t = self.test
        self.monitor = os.path.join(self.dir, "monitor.sock")
        argv = [os.environ.get("QEMU", "qemu-system-x86_64"),
                "-cdrom", self.iso, "-m", str(t.mem), "-smp", str(t.smp),
                "-display", "none", "-no-reboot", "-nic", "none",
                "-serial", "stdio", "-monitor", "unix:%s,server,nowait" % self.monitor,
                "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]
        if t.args:
            argv += ["-fw_cfg", qemu_cmdline_option(t.args)]
        if t.uefi:
            vars_copy = os.path.join(self.dir, "OVMF_VARS.fd")
            shutil.copyfile(OVMF_VARS, vars_copy)  # firmware writes it; never share one
            argv += ["-M", "q35",
                     "-drive", "if=pflash,format=raw,readonly=on,file=" + OVMF_CODE,
                     "-drive", "if=pflash,format=raw,file=" + vars_copy]
        self._spawn(argv, stdin=subprocess.PIPE)

    def send(self, line):
        # A terminal sends CR for Enter; the kernel's line editor sees exactly that.
        try:
            self.proc.stdin.write(line.encode() + b"\r")
            self.proc.stdin.flush()
        except (BrokenPipeError, ValueError):
            pass  # QEMU already exited; the checks will say what is missing

    def _monitor_until_prompt(self, sock, deadline):
        got = b""
        while not got.endswith(b"(qemu) "):
            sock.settimeout(max(0.1, deadline - time.monotonic()))
            chunk = sock.recv(4096)
            if not chunk:
                raise GradeError("QEMU monitor closed the connection")
            got += chunk
        return got

    def screendump(self, path):
        deadline = time.monotonic() + 10 * timeout_scale()
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(10 * timeout_scale())
            sock.connect(self.monitor)
            self._monitor_until_prompt(sock, deadline)
            sock.sendall(b"screendump " + path.encode() + b"\n")
            self._monitor_until_prompt(sock, deadline)
        if not os.path.exists(path):
            raise GradeError("QEMU wrote no screendump")
        return Screen.read_ppm(path)


class Bochs(Emulator):
    """Bochs from hw/bochs/bochsrc.tmpl.  Debian's Bochs has no headless display library, so its
    text GUI draws on a private pseudo-terminal that the run drains and ignores."""

    def start(self):
        rc = os.path.join(self.dir, "bochsrc")
        with open(os.path.join(ROOT, "hw/bochs/bochsrc.tmpl")) as f:
            text = f.read()
        for key, val in (("MEM", str(self.test.mem)), ("ISO", self.iso),
                         ("SERIAL", self.serial), ("LOG", os.path.join(self.dir, "bochs.log"))):
            text = text.replace("@%s@" % key, val)
        with open(rc, "w") as f:
            f.write(text)
        self.master, slave = pty.openpty()
        os.set_blocking(self.master, False)
        env = dict(os.environ, TERM="vt100")
        argv = [os.environ.get("BOCHS", "bochs"), "-q", "-f", rc,
                "-rc", os.path.join(ROOT, "hw/bochs/continue.rc")]
        try:
            self._spawn(argv, stdin=slave, stdout=slave, env=env)
        finally:
            os.close(slave)

    def pump(self):
        try:
            while os.read(self.master, 65536):
                pass
        except (BlockingIOError, OSError):
            pass

    def stop(self):
        super().stop()
        if self.master is not None:
            os.close(self.master)
            self.master = None


class Run:
    """What one boot produced, and the checks a test makes on it."""

    def __init__(self, test):
        self.test = test
        self.text = ""  # serial output, CRs removed
        self.exit_status = None  # set only when the emulator exited by itself
        self.reason = None  # "complete", "exited" or "timeout"
        self.waiting_for = None  # the pattern still missing at a timeout
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


class Test:
    """A declared test.  `steps` are (pattern, line) pairs: wait for the pattern after the
    previous step, then send the line.  The run is complete when every step is done, every
    `expect` pattern appears, every `until` pattern appears after the last line sent, and, if
    `exit_status` or `wait_exit` is set, the emulator has exited; then `check(run)` adds its
    own checks.  A run also ends when the emulator exits or the timeout passes."""

    def __init__(self, lab, name, check, points=0, parts=None, args="", uefi=False, emu=None,
                 steps=(), expect=(), reject=(), until=(), exit_status=None, wait_exit=False,
                 screendump=False, timeout=30, mem=256, smp=1):
        self.lab, self.name, self.check = lab, name, check
        self.parts = dict(parts or {})
        self.points = sum(self.parts.values()) if self.parts else points
        self.args, self.uefi, self.emu = args, uefi, emu
        self.steps, self.expect, self.reject = list(steps), list(expect), list(reject)
        self.until, self.exit_status, self.screendump = list(until), exit_status, screendump
        self.wait_exit = wait_exit or exit_status is not None
        self.timeout, self.mem, self.smp = timeout, mem, smp

    @property
    def fullname(self):
        return "%s %s" % (self.lab.name, self.name)

    def qemu_only(self):
        """Why this test cannot run on Bochs (no fw_cfg, no serial input, no debug-exit)."""
        if self.args:
            return "kernel options"
        if self.steps:
            return "serial input"
        if self.wait_exit:
            return "an exit status"
        if self.uefi or self.screendump:
            return "UEFI/screendump"
        return None


class Lab:
    """The tests of one lab, in declaration order."""

    def __init__(self, name):
        self.name, self.tests = name, []

    def test(self, name, **kw):
        """Decorator: @lab.test("boot", points=10, expect=[...]) over an optional check(run)."""
        def register(func):
            self.tests.append(Test(self, name, func, **kw))
            return func
        return register


def _complete(test, run, pos, step):
    """The first thing the run still waits for, or None when the output is complete."""
    if step < len(test.steps):
        return test.steps[step][0]
    for pat in test.expect:
        if not re.search(pat, run.text, re.M):
            return pat
    for pat in test.until:
        if not re.search(pat, run.text[pos:], re.M):
            return pat
    return None


def _drive(test, emu, run, opts):
    """Feed the steps and watch the output until complete, exited or timed out."""
    deadline = time.monotonic() + test.timeout * timeout_scale()
    start = time.monotonic()
    pos = step = 0
    decoder = codecs.getincrementaldecoder("utf-8")("replace")
    with open(emu.serial, "rb") as serial:
        while True:
            emu.pump()
            exited = emu.proc.poll() is not None
            chunk = decoder.decode(serial.read()).replace("\r", "")
            if chunk:
                run.text += chunk
                if opts.verbose:
                    with _print_lock:
                        for line in chunk.splitlines():
                            print("  [%s] %s" % (test.name, line), flush=True)
            while step < len(test.steps):
                m = re.compile(test.steps[step][0], re.M).search(run.text, pos)
                if not m:
                    break
                pos = m.end()
                emu.send(test.steps[step][1])
                run.sent.append((test.steps[step][1], pos))
                step += 1
            missing = _complete(test, run, pos, step)
            if missing is None and (not test.wait_exit or exited):
                run.reason = "complete"
            elif exited:
                run.reason = "exited"
            elif time.monotonic() > deadline:
                run.reason, run.waiting_for = "timeout", missing or "the emulator to exit"
            if run.reason:
                run.seconds = time.monotonic() - start
                if exited:
                    run.exit_status = emu.proc.returncode
                return
            time.sleep(POLL_SECONDS)


def _evaluate(test, run):
    for pat in test.expect:
        run.expect(pat)
    for pat in test.reject:
        run.reject(pat)
    if test.exit_status is not None and run.exit_status != test.exit_status:
        got = "still running" if run.exit_status is None else "status %d" % run.exit_status
        run.fail("emulator exit status: expected %d, got %s" % (test.exit_status, got))
    if run.reason == "timeout":
        run.notes.append("timed out after %gs waiting for /%s/"
                         % (test.timeout * timeout_scale(), run.waiting_for))
    if test.check:
        test.check(run)


def run_test(test, opts):
    """Boot once for `test`, check the output and return the Run."""
    run = Run(test)
    emu_name = test.emu or opts.emu
    if emu_name == "bochs" and test.qemu_only():
        run.reason = "skipped"
        run.notes.append("needs QEMU (%s)" % test.qemu_only())
        return run
    if not os.path.exists(opts.iso):
        run.fail("no ISO at %s (run make first)" % opts.iso)
        return run
    user = re.sub(r"\W", "_", os.environ.get("USER", str(os.getuid())))
    workdir = tempfile.mkdtemp(prefix="exolab-grade-%s-" % user)
    emu = (Bochs if emu_name == "bochs" else Qemu)(test, workdir, opts.iso)
    try:
        emu.start()
        _drive(test, emu, run, opts)
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
    if run.failures:
        tail = run.text.rstrip("\n").splitlines()[-TAIL_LINES:]
        detail.append("    last %d lines of serial output:" % len(tail))
        detail += ["    | " + line for line in tail]
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


def _write_outputs(opts, tests, runs, reports, seconds):
    rows = _results(tests, runs)
    graded = [r for r in rows if not r["skipped"]]
    score = sum(r["score"] for r in graded)
    if opts.json:
        with open(opts.json, "w") as f:
            json.dump({"score": score, "max_score": sum(r["max_score"] for r in graded),
                       "tests": rows}, f, indent=2)
    if opts.gradescope:
        tests_gs = [{"name": "%s %s" % (r["lab"], r["name"]), "score": r["score"],
                     "max_score": r["max_score"], "output": "\n".join(rep),
                     "status": "passed" if r["passed"] else "failed"}
                    for r, rep in zip(rows, reports) if not r["skipped"]]
        with open(opts.gradescope, "w") as f:
            json.dump({"score": score, "execution_time": round(seconds, 1),
                       "tests": tests_gs}, f, indent=2)
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
    return p.parse_args(argv)


def load_lab(path):
    """Import a grade/labN.py file and return its LAB."""
    name = os.path.splitext(os.path.basename(path))[0]
    spec = importlib.util.spec_from_file_location("exolab_grade_" + name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.LAB


def main(labs=None, argv=None):
    """Run the selected tests, print each with its time and a final score; 0 iff all passed."""
    opts = _parse_args(sys.argv[1:] if argv is None else argv)
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
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
    begin = time.monotonic()
    runs, reports = [], []
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, opts.jobs)) as pool:
        futures = [pool.submit(run_test, t, opts) for t in tests]
        for test, fut in zip(tests, futures):  # print in declaration order
            run = fut.result()
            runs.append(run)
            reports.append(_report(test, run))
            with _print_lock:
                print("\n".join(reports[-1]), flush=True)
    graded = [(t, r) for t, r in zip(tests, runs) if r.reason != "skipped"]
    score = sum(r.score() for _, r in graded)
    print("Score: %g/%g" % (score, sum(t.points for t, _ in graded)))
    _write_outputs(opts, tests, runs, reports, time.monotonic() - begin)
    ok = all(r.score() == t.points and not r.failures for t, r in graded)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
