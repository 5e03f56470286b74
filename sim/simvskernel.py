#!/usr/bin/env python3
"""The same workload in exosim and in the kernel, side by side (issue 10 item 8).

    simvskernel.py compare SIM.csv KERNEL.csv [--title T] [--strict]
    simvskernel.py run [--iso ISO] [--exosim EXOSIM] [--only NAME] [--out DIR] [--strict]
                       [--stand-in]

Both CSVs are in exosim's `--csv` format (task,release,start,finish,response,deadline,missed;
cycles, 1 cycle = 1 instruction = 1 ns on the qemu profile).  Per task: jobs, p50/p99/max
response (nearest rank: the smallest sample with at least p% of the samples at or below it,
as docs/sim.md defines) and deadline misses, each with the kernel's relative error against
exosim; the verdict is the goal: within 10% on p50 and p99, identical miss counts.

`run` does every case of CASES: exosim (--machine qemu --cpus N) and the kernel
(sim/rtapp_run.py: qemu -icount shift=0,sleep=off), then `compare`.  --stand-in uses a second
exosim run as the kernel's CSV (to test the comparison before the kernel runner exists).

Exit status: 0; 1 when --strict and a case misses the goal, or a run failed; 2 bad input
(a malformed CSV is reported as FILE:LINE: what)."""

import argparse
import csv
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HEADER = ["task", "release", "start", "finish", "response", "deadline", "missed"]
GOAL = 0.10  # relative error allowed on p50 and p99
HZ = 1e9  # the qemu profile: cycles are nanoseconds

# (workload under sim/workloads/kernel, CPUs, policy): the bundled comparison.
CASES = [("edf1", 1, "edf"), ("edf1", 4, "edf"), ("rm1", 1, "prio"), ("rm1", 4, "prio"),
         ("edf4", 4, "edf"), ("rm4", 4, "prio")]


class BadInput(Exception):
    pass


def parse_int(path, lineno, field, text, empty_ok):
    if text == "" and empty_ok:
        return None
    if not text.isdigit():
        raise BadInput("%s:%d: %s: not a non-negative integer: %r" % (path, lineno, field, text))
    return int(text)


def read_jobs(path):
    """{task: [(response or None, missed)]}; raises BadInput naming the file and line."""
    try:
        f = open(path, newline="", encoding="utf-8")
    except OSError as e:
        raise BadInput("%s:0: cannot open: %s" % (path, e.strerror))
    jobs = {}
    with f:
        rows = csv.reader(f)
        try:
            for row in rows:
                lineno = rows.line_num
                if lineno == 1:
                    if row != HEADER:
                        raise BadInput("%s:1: header must be %s" % (path, ",".join(HEADER)))
                    continue
                if len(row) != len(HEADER):
                    raise BadInput("%s:%d: %d fields, want %d"
                                   % (path, lineno, len(row), len(HEADER)))
                task, rel, start, fin, resp, dl, missed = row
                if task == "":
                    raise BadInput("%s:%d: empty task name" % (path, lineno))
                rel = parse_int(path, lineno, "release", rel, False)
                parse_int(path, lineno, "start", start, True)
                fin = parse_int(path, lineno, "finish", fin, True)
                resp = parse_int(path, lineno, "response", resp, True)
                parse_int(path, lineno, "deadline", dl, True)
                if missed not in ("0", "1"):
                    raise BadInput("%s:%d: missed must be 0 or 1, not %r" % (path, lineno, missed))
                if (fin is None) != (resp is None):
                    raise BadInput("%s:%d: finish and response must both be set or both empty"
                                   % (path, lineno))
                if fin is not None and fin - rel != resp:
                    raise BadInput("%s:%d: response %d is not finish - release = %d"
                                   % (path, lineno, resp, fin - rel))
                jobs.setdefault(task, []).append((resp, missed == "1"))
        except csv.Error as e:
            raise BadInput("%s:%d: %s" % (path, rows.line_num, e))
        if rows.line_num == 0:
            raise BadInput("%s:1: empty file (no header)" % path)
    return jobs


def nearest_rank(sorted_values, p):
    """The smallest sample with at least p% of the samples at or below it."""
    if not sorted_values:
        return None
    k = -(-len(sorted_values) * p // 100)  # ceil(n * p / 100)
    return sorted_values[max(k, 1) - 1]


def task_stats(job_list):
    done = sorted(r for r, _ in job_list if r is not None)
    return {"jobs": len(done), "p50": nearest_rank(done, 50), "p99": nearest_rank(done, 99),
            "max": done[-1] if done else None, "misses": sum(1 for _, m in job_list if m)}


def rel_err(sim, kern):
    if sim is None or kern is None:
        return None
    if sim == 0:
        return 0.0 if kern == 0 else float("inf")
    return (kern - sim) / sim


def fmt_us(v):
    return "-" if v is None else "%.1f" % (v * 1e6 / HZ)


def fmt_err(e):
    return "-" if e is None else "%+.1f%%" % (100 * e)


def compare(sim_csv, kern_csv, title, out=sys.stdout):
    """Prints the table; returns True when every task meets the goal."""
    sim, kern = read_jobs(sim_csv), read_jobs(kern_csv)
    print("== %s" % title, file=out)
    print("%-10s %11s  %8s %8s %7s  %8s %8s %7s  %8s %8s %7s  %9s  %s"
          % ("task", "jobs s/k", "p50 sim", "p50 kern", "err", "p99 sim", "p99 kern", "err",
             "max sim", "max kern", "err", "miss s/k", "verdict"), file=out)
    ok_all = True
    for task in sorted(set(sim) | set(kern)):
        s, k = task_stats(sim.get(task, [])), task_stats(kern.get(task, []))
        e50, e99 = rel_err(s["p50"], k["p50"]), rel_err(s["p99"], k["p99"])
        why = []
        if e50 is None or e99 is None:
            why.append("no finished jobs on one side")
        else:
            if abs(e50) > GOAL:
                why.append("p50")
            if abs(e99) > GOAL:
                why.append("p99")
        if s["misses"] != k["misses"]:
            why.append("misses")
        ok_all &= not why
        print("%-10s %5d/%-5d  %8s %8s %7s  %8s %8s %7s  %8s %8s %7s  %4d/%-4d  %s"
              % (task, s["jobs"], k["jobs"], fmt_us(s["p50"]), fmt_us(k["p50"]), fmt_err(e50),
                 fmt_us(s["p99"]), fmt_us(k["p99"]), fmt_err(e99), fmt_us(s["max"]),
                 fmt_us(k["max"]), fmt_err(rel_err(s["max"], k["max"])), s["misses"],
                 k["misses"], "ok" if not why else "MISS (" + ", ".join(why) + ")"), file=out)
    print("verdict: %s (goal: p50 and p99 within %d%%, identical deadline misses; "
          "times in us)" % ("goal met" if ok_all else "goal NOT met", int(GOAL * 100)), file=out)
    return ok_all


def run_case(opts, wl_name, ncpus, policy):
    wl = os.path.join(ROOT, "sim", "workloads", "kernel", wl_name + ".json")
    stem = os.path.join(opts.out, "%s-%dcpu-%s" % (wl_name, ncpus, policy))
    sim_csv, kern_csv = stem + ".sim.csv", stem + ".kernel.csv"
    simcmd = [opts.exosim, "run", "--machine", "qemu", "--cpus", str(ncpus), "--sched", policy,
              "--workload", wl, "--quiet", "--csv"]
    if opts.stand_in:
        kerncmd = simcmd + [kern_csv]
    else:
        kerncmd = [sys.executable, os.path.join(ROOT, "sim", "rtapp_run.py"), "--iso", opts.iso,
                   "--workload", wl, "--smp", str(ncpus), "--sched", policy, "--csv", kern_csv,
                   "--machine", os.path.join(ROOT, "hw", "qemu", "machine.json")]
    for cmd in (simcmd + [sim_csv], kerncmd):
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           universal_newlines=True)
        if r.returncode != 0:
            print("simvskernel: %s failed (exit %d):\n%s" % (" ".join(cmd), r.returncode,
                                                               r.stdout.rstrip()), file=sys.stderr)
            return None
    title = "%s.json, %d CPU%s, --sched %s%s" % (wl_name, ncpus, "s" if ncpus > 1 else "",
                                                 policy, " (stand-in kernel CSV)"
                                                 if opts.stand_in else "")
    return compare(sim_csv, kern_csv, title)


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("compare")
    c.add_argument("sim_csv")
    c.add_argument("kernel_csv")
    c.add_argument("--title", default=None)
    c.add_argument("--strict", action="store_true", help="exit 1 when the goal is missed")
    r = sub.add_parser("run")
    r.add_argument("--iso", default=os.path.join(ROOT, os.environ.get("OBJ", "obj"), "exolab.iso"))
    r.add_argument("--exosim", default=os.path.join(ROOT, os.environ.get("OBJ", "obj"),
                                                    "sim", "exosim"))
    r.add_argument("--out", default=os.path.join(ROOT, os.environ.get("OBJ", "obj"),
                                                 "simvskernel"))
    r.add_argument("--only", help="only the cases of this workload (e.g. edf1)")
    r.add_argument("--strict", action="store_true", help="exit 1 when the goal is missed")
    r.add_argument("--stand-in", action="store_true",
                   help="a second exosim run stands in for the kernel's CSV")
    opts = p.parse_args(argv[1:])
    try:
        if opts.cmd == "compare":
            ok = compare(opts.sim_csv, opts.kernel_csv,
                         opts.title or "%s vs %s" % (opts.sim_csv, opts.kernel_csv))
            return 1 if opts.strict and not ok else 0
        os.makedirs(opts.out, exist_ok=True)
        if not opts.stand_in and not os.path.exists(os.path.join(ROOT, "sim", "rtapp_run.py")):
            print("simvskernel: sim/rtapp_run.py (the kernel runner) is not in this tree; "
                  "--stand-in compares exosim with itself", file=sys.stderr)
            return 1
        results = [run_case(opts, *case) for case in CASES
                   if not opts.only or case[0] == opts.only]
        print("simvskernel: %d of %d cases meet the goal, %d failed to run"
              % (results.count(True), len(results), results.count(None)))
        return 1 if None in results or (opts.strict and False in results) else 0
    except BadInput as e:
        print("simvskernel: %s" % e, file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
