#!/usr/bin/env python3
"""Tests sim/simvskernel.py's comparison on the small CSVs in sim/tests/simvskernel: the
table's numbers and verdicts, the exit statuses, and FILE:LINE messages for malformed CSVs.
--log FILE appends one PASS/FAIL line per check."""

import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.join(os.path.dirname(HERE), "simvskernel.py")
DATA = os.path.join(HERE, "simvskernel")
failures = 0
results = []  # (passed, what) for --log


def run(*args):
    r = subprocess.run([sys.executable, SCRIPT] + list(args), stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, universal_newlines=True)
    return r.returncode, r.stdout, r.stderr


def expect(ok, what):
    global failures
    failures += not ok
    results.append((ok, "-".join(what.split(":")[0].split())))
    print("%s: %s" % ("ok  " if ok else "FAIL", what))


def data(name):
    return os.path.join(DATA, name)


def row(out, task):
    return next((line.split() for line in out.splitlines() if line.startswith(task + " ")), [])


def test_close():
    rc, out, err = run("compare", data("sim.csv"), data("kern_close.csv"), "--strict")
    a, b = row(out, "a"), row(out, "b")
    expect(rc == 0 and err == "", "within the goal: exit 0 with --strict")
    # a: sim 1000,1000,1200 -> p50 1000, p99 1200; kernel 1050,1050,1250 (+5.0%, +4.2%).
    expect(a[1:9] == ["3/3", "1.0", "1.1", "+5.0%", "1.2", "1.2", "+4.2%", "1.2"],
           "nearest-rank p50/p99 and relative errors of task a: %s" % a)
    expect(b[-1] == "ok" and b[-2] == "0/0", "task b: no misses on either side, ok")
    expect("verdict: goal met" in out, "overall verdict: goal met")


def test_far():
    rc, out, _ = run("compare", data("sim.csv"), data("kern_far.csv"))
    a, b = row(out, "a"), row(out, "b")
    expect(rc == 0, "goal missed without --strict: still exit 0")
    expect(a[-2:] == ["MISS", "(p99)"], "task a: p99 +66.7%% is outside 10%%: %s" % a)
    expect(" ".join(b[-4:]) == "0/1 MISS (p99, misses)", "task b: p99 and misses: %s" % b)
    expect("verdict: goal NOT met" in out, "overall verdict: goal not met")
    rc, _, _ = run("compare", data("sim.csv"), data("kern_far.csv"), "--strict")
    expect(rc == 1, "goal missed with --strict: exit 1")


def test_bad(name, line, what):
    rc, out, err = run("compare", data("sim.csv"), data(name))
    want = "%s:%d: %s" % (data(name), line, what)
    expect(rc == 2 and want in err and out.count("\n") <= 1,
           "%s: exit 2 and '%s' (got %d, %r)" % (name, want, rc, err.strip()))


def main():
    test_close()
    test_far()
    test_bad("bad_header.csv", 1, "header must be")
    test_bad("bad_field.csv", 3, "finish: not a non-negative integer: '6x00'")
    test_bad("bad_columns.csv", 3, "6 fields, want 7")
    test_bad("bad_response.csv", 2, "response 999 is not finish - release = 1000")
    test_bad("missing.csv", 0, "cannot open")
    if len(sys.argv) == 3 and sys.argv[1] == "--log":
        with open(sys.argv[2], "a") as f:
            for ok, what in results:
                f.write("%s simvskernel %s\n" % ("PASS" if ok else "FAIL", what))
    print("simvskernel-test: %s" % ("all passed" if failures == 0 else "%d failed" % failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
