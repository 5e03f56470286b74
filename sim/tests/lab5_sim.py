#!/usr/bin/env python3
"""`make sim-lab5`: the student's lab 5 drivers (lib/drivers/nvme, lib/drivers/net/e1000.c, as
built into exosim) run against the device models with --strict, before QEMU.

    python3 sim/tests/lab5_sim.py --exosim obj/sim/exosim [--only NAME] [--timeout S]

Each run of RUNS is one exosim run of a workload in sim/workloads/lab5/; it passes when exosim
exits 0 (under --strict the models stopped at no protocol error) and the I/O counts it prints
are what a correct driver gives: every command or frame offered came back, the injected fault
was decoded, verified data read back intact.  One line per run, `sim-lab5: NAME: PASS|FAIL:
what`, then a summary line; exit 1 when a run failed.  grade/lab5.py grades the same runs
(check_run)."""

import argparse
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
WORKLOADS = "sim/workloads/lab5"


def nums(pattern, out):
    """The integers of the first match of pattern in out (a tuple), or None."""
    m = re.search(pattern, out, re.M)
    return tuple(int(g) for g in m.groups()) if m else None


def nvme_counts(out, want_errors):
    """What an NVMe run printed, checked: (ok, summary)."""
    drv = nums(r"^driver: submitted (\d+), completed (\d+), errors (\d+), timeouts (\d+)", out)
    mach = nums(r"(\d+) faults injected, (\d+) protocol errors", out)
    if drv is None or mach is None:
        return False, "exosim printed no driver counters"
    sub, done, errors, timeouts = drv
    if sub < 100:
        return False, "only %d commands submitted in the run" % sub
    if done != sub:
        return False, "%d commands submitted but %d completed" % (sub, done)
    if errors != want_errors:
        return False, "the driver counted %d errors, the controller failed %d commands" \
            % (errors, want_errors)
    if timeouts:
        return False, "%d commands timed out although the controller answered all" % timeouts
    ver = nums(r"^verify: (\d+) writes acknowledged, (\d+) blocks read back, (\d+) mismatches, "
               r"(\d+) requests unanswered", out)
    extra = ""
    if ver is not None:
        if ver[2] or ver[3]:
            return False, "verify: %d blocks read back wrong, %d requests unanswered" \
                % (ver[2], ver[3])
        extra = ", %d acknowledged writes read back intact" % ver[0]
    return True, "%d commands completed (%d failed by the controller and decoded)%s, " \
        "0 protocol errors" % (done, errors, extra)


def net_counts(out, _want_errors):
    """What a forwarding run printed, checked: (ok, summary)."""
    fr = nums(r"frames: offered (\d+), received (\d+), forwarded (\d+), sunk (\d+) \((\d+) bad",
              out)
    diag = nums(r"^\s*diagnostics: (\d+)", out)
    if fr is None or diag is None:
        return False, "exosim printed no frame counters"
    offered, received, forwarded, sunk, bad = fr
    if offered == 0 or received != offered or forwarded != offered or sunk != offered:
        return False, "offered %d frames: received %d, forwarded %d, reached the wire %d" \
            % (offered, received, forwarded, sunk)
    if bad:
        return False, "%d frames reached the wire with bytes other than sent" % bad
    return True, "%d frames received, forwarded and sent intact, 0 protocol errors" % forwarded


# name, workload, checker, errors the workload injects, the exercises it runs.
RUNS = [
    ("nvme-rw-verify", "nvme-rw-verify.json", nvme_counts, 1, "part A, exercises 1-4"),
    ("nvme-randread-polled", "nvme-randread-polled.json", nvme_counts, 0, "part A, exercises 1-4"),
    ("e1000-fwd-line-rate", "e1000-fwd-line-rate.json", net_counts, 0, "part B, exercises 5-6"),
    ("e1000-fwd-interrupts", "e1000-fwd-interrupts.json", net_counts, 0, "part B, exercises 5-6"),
]

HINTS = {"nvme_init failed": "nvme_init runs the admin queue (Identify, queue creation) on "
                             "your nvme_sqe_put, nvme_sq_ring and nvme_cqe_take"}


def check_run(exosim, name, timeout=60, run=subprocess.run):
    """Run RUNS' entry `name` in exosim with --strict: (ok, one line saying what happened);
    `run` launches it (the graders pass gradelib.run_host)."""
    _, wl, checker, errors, what = next(r for r in RUNS if r[0] == name)
    path = os.path.join(WORKLOADS, wl)
    argv = [exosim, "run", "--machine", "legion", "--workload", path, "--strict", "--no-host"]
    again = "(again: %s)" % " ".join([os.path.relpath(exosim, ROOT)] + argv[1:])
    try:
        done = run(argv, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return False, "exosim did not finish in %d s: does a loop of your driver never end? %s" \
            % (timeout, again)
    except OSError as e:
        return False, "cannot run %s: %s (make sim)" % (exosim, e.strerror)
    if done.returncode != 0:
        lines = [ln for ln in done.stderr.strip().splitlines() if ln.strip()]
        line = lines[-1] if lines else "exit status %d, no message" % done.returncode
        hint = next((" (%s)" % h for k, h in HINTS.items() if k in line), "")
        return False, "%s%s %s" % (line, hint, again)
    ok, summary = checker(done.stdout, errors)
    return ok, ("%s (%s)" % (summary, what) if ok else "%s %s" % (summary, again))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--exosim", default=os.path.join(os.environ.get("OBJ", "obj"), "sim",
                                                     "exosim"))
    ap.add_argument("--only", help="one run by name")
    ap.add_argument("--timeout", type=int, default=60, help="seconds per run")
    args = ap.parse_args()
    names = [r[0] for r in RUNS if args.only in (None, r[0])]
    if not names:
        print("sim-lab5: no run named %s (%s)" % (args.only, ", ".join(r[0] for r in RUNS)),
              file=sys.stderr)
        return 2
    passed = 0
    for name in names:
        ok, line = check_run(os.path.abspath(args.exosim), name, args.timeout)
        passed += ok
        print("sim-lab5: %s: %s: %s" % (name, "PASS" if ok else "FAIL", line), flush=True)
    print("sim-lab5: %d of %d runs passed%s" % (passed, len(names), "" if passed == len(names)
          else "; fix the first FAIL above, then make sim-lab5 again"))
    return 0 if passed == len(names) else 1


if __name__ == "__main__":
    sys.exit(main())
