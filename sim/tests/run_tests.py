#!/usr/bin/env python3
"""Scripted exosim runs (make sim-test): determinism of every output, Perfetto-loadable
traces, bad input exiting 2 with a message that names the file or option, `list` and
finding hw/, and the EDF run that once stopped simulated time.
Python 3 standard library only; every run is seeded."""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

import test_cli_trace
import test_semantics

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
WL = os.path.join(ROOT, "sim", "workloads")
BAD = os.path.join(HERE, "bad")

failures = []


def check(cond, name, detail=""):
    print(("ok   " if cond else "FAIL ") + name + ("" if cond else ": " + detail))
    if not cond:
        failures.append(name)


def run(exosim, *args, timeout=300):
    try:
        p = subprocess.run([exosim, *args], cwd=ROOT, capture_output=True, text=True,
                           timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, "", f"timed out after {timeout} s"
    return p.returncode, p.stdout, p.stderr


def outputs(exosim, tmp, tag, seed, workload, sched="mlfq"):
    paths = {k: os.path.join(tmp, f"{tag}.{k}") for k in ("json", "csv", "trace")}
    rc, out, err = run(exosim, "run", "--machine", "legion", "--sched", sched,
                       "--workload", workload, "--seed", str(seed), "--duration", "300ms",
                       "--no-host", "--fingerprint", "--json", paths["json"],
                       "--csv", paths["csv"], "--trace", paths["trace"])
    check(rc == 0, f"run {tag} exits 0", err)
    fp = [l for l in out.splitlines() if l.startswith("fingerprint ")]
    data = {k: open(p, "rb").read() for k, p in paths.items()}
    return data, (fp[0] if fp else None), out


def test_determinism(exosim, tmp):
    wl = os.path.join(WL, "mixed.json")
    a, fa, out_a = outputs(exosim, tmp, "a", 7, wl)
    b, fb, out_b = outputs(exosim, tmp, "b", 7, wl)
    for k in ("json", "csv", "trace"):
        check(a[k] == b[k] and len(a[k]) > 0, f"same seed gives byte-identical {k}")
    check(out_a == out_b, "same seed gives an identical summary (--no-host)")
    check(fa is not None and fa == fb, "same seed gives the same fingerprint")
    _, fc, _ = outputs(exosim, tmp, "c", 8, wl)
    check(fc is not None and fc != fa, "a different seed changes the fingerprint", f"{fa} {fc}")
    gen = "gen:poisson:rate=20000,service=exp:20us,streams=4"
    _, fg1, _ = outputs(exosim, tmp, "g1", 1, gen, "rr")
    _, fg2, _ = outputs(exosim, tmp, "g2", 2, gen, "rr")
    check(fg1 != fg2, "a different seed changes a generated workload's fingerprint")


def test_trace(exosim, tmp):
    path = os.path.join(tmp, "t.trace")
    rc, out, err = run(exosim, "run", "--machine", "legion", "--sched", "edf", "--workload",
                       os.path.join(WL, "edf_budget.json"), "--seed", "1", "--trace", path)
    check(rc == 0, "edf_budget example runs", err)
    for word in ("jobs", "deadline misses", "context switches", "migrations", "p99.99"):
        check(word in out, f"summary mentions '{word}'")
    try:
        doc = json.load(open(path))
    except ValueError as e:
        check(False, "trace is valid JSON", str(e))
        return
    events = doc["traceEvents"] if isinstance(doc, dict) else doc
    slices = [e for e in events if e.get("ph") == "X"]
    check(len(slices) > 0, "trace has run slices (ph X)")
    check(all("ts" in e and "dur" in e and e["dur"] >= 0 for e in slices),
          "every slice has ts and a non-negative dur")
    check(any(e.get("ph") in ("i", "I") for e in events), "trace has instant events")
    names = [e for e in events if e.get("ph") == "M" and e.get("name") == "thread_name"]
    check(len(names) >= 12, "one named track per hardware thread of legion", str(len(names)))


def test_bad_input(exosim, tmp):
    wl = os.path.join(WL, "mixed.json")
    base = ["run", "--machine", "legion", "--sched", "rr", "--workload", wl]
    cases = [
        ("unknown policy", ["run", "--machine", "legion", "--sched", "bfs", "--workload", wl],
         "--sched"),
        ("unknown machine", ["run", "--machine", "vax", "--sched", "rr", "--workload", wl],
         "--machine"),
        ("missing workload file", base[:-1] + ["/nonexistent/w.json"], "/nonexistent/w.json"),
        ("malformed JSON", base[:-1] + [os.path.join(BAD, "malformed.json")],
         "malformed.json:"),
        ("negative period", base[:-1] + [os.path.join(BAD, "negative_period.json")],
         "negative_period.json:2:"),
        ("budget larger than deadline", base[:-1] + [os.path.join(BAD, "budget_over_deadline.json")],
         "budget_over_deadline.json"),
        ("duration without unit", base + ["--duration", "5"], "--duration"),
        ("negative duration", base + ["--duration", "-1s"], "--duration"),
        ("bad seed", base + ["--seed", "x"], "--seed"),
        ("too many cpus", base + ["--cpus", "13"], "--cpus"),
        ("unknown option", base + ["--frobnicate"], "--frobnicate"),
        ("option without value", base + ["--json"], "--json"),
        ("unwritable output", base + ["--csv", "/nonexistent/dir/x.csv"], "--csv"),
        ("no workload", ["run", "--machine", "legion", "--sched", "rr"], "--workload"),
        ("unknown command", ["frob"], "frob"),
    ]
    for name, args, needle in cases:
        rc, out, err = run(exosim, *args)
        lines = err.strip().splitlines()
        check(rc == 2 and lines and needle in lines[0],
              f"bad input exits 2 naming the culprit: {name}", f"rc={rc} stderr={err!r}")
        check("Sanitizer" not in err and "Segmentation" not in err, f"no crash: {name}")
    env = dict(os.environ, EXOSIM_HW_DIR="/nonexistent")
    p = subprocess.run([exosim, *base], cwd=ROOT, capture_output=True, text=True, env=env)
    check(p.returncode == 2 and "/nonexistent/legion/machine.json" in p.stderr,
          "EXOSIM_HW_DIR is honoured", p.stderr)


def test_list(exosim, tmp):
    rc, out, err = run(exosim, "list")
    check(rc == 0, "list exits 0", err)
    for word in ("legion", "qemu", "rr", "prio", "mlfq", "stride", "edf"):
        check(word in out, f"list shows {word}")
    other = tempfile.mkdtemp(dir=tmp)
    rc, out, err = subprocess.run([exosim, "list"], cwd=other, capture_output=True,
                                  text=True).returncode, None, None
    check(rc == 0, "list finds hw/ from another directory")
    rc, out, _ = run(exosim, "list", "--hw-dir", os.path.join(HERE, "hw"))
    check(rc == 0 and "uni" in out and "legion" not in out, "--hw-dir selects profiles")
    # Built with another OBJ= (deeper under the tree): hw/ is found above the executable.
    os.makedirs(os.path.join(ROOT, "obj"), exist_ok=True)
    deep = tempfile.mkdtemp(prefix="sim-test-", dir=os.path.join(ROOT, "obj"))
    try:
        copy = os.path.join(deep, "a", "b", "exosim")
        os.makedirs(os.path.dirname(copy))
        shutil.copy2(exosim, copy)
        p = subprocess.run([copy, "list"], cwd=other, capture_output=True, text=True,
                           env={k: v for k, v in os.environ.items() if k != "EXOSIM_HW_DIR"})
        check(p.returncode == 0 and "legion" in p.stdout and
              os.path.join(ROOT, "hw") in p.stdout,
              "an exosim deeper under the tree finds its hw/ from another directory",
              p.stdout + p.stderr)
    finally:
        shutil.rmtree(deep, ignore_errors=True)


def test_zero_cost_rta(exosim, tmp):
    """periodic3.json under prio on one ideal CPU: the WCRTs of response-time analysis
    (2, 13 and 37 ms), read from the CSV."""
    csv = os.path.join(tmp, "rta.csv")
    rc, _, err = run(exosim, "run", "--hw-dir", os.path.join(HERE, "hw"), "--machine", "uni",
                     "--sched", "prio", "--workload", os.path.join(WL, "periodic3.json"),
                     "--duration", "1s", "--csv", csv, "--quiet")
    check(rc == 0, "uni machine run exits 0", err)
    worst = {}
    rows = open(csv).read().splitlines()
    head = rows[0].split(",")
    for row in rows[1:]:
        r = dict(zip(head, row.split(",")))
        if not r["response"]:
            continue  # released at the closed horizon's last instant, unfinished
        worst[r["task"]] = max(worst.get(r["task"], 0), int(r["response"]))
    ms = 1000000
    check(worst == {"ctrl": 2 * ms, "video": 13 * ms, "log": 37 * ms},
          "prio worst-case responses equal RTA", str(worst))


def test_edf_late_exhaustion(exosim, tmp):
    """The run that used to spin at one instant (a budget exhausted after the server's
    period had ended) ends, on the brief's machine and on the ideal one with the job counts
    of grade/unit/sched/test_progress.c."""
    wl = os.path.join(ROOT, "grade", "unit", "sched", "workloads", "edf_late_exhaustion.json")
    rc, _, err = run(exosim, "run", "--machine", "qemu", "--cpus", "1", "--sched", "edf",
                     "--workload", wl, "--quiet", timeout=60)
    check(rc == 0, "edf late budget exhaustion on qemu --cpus 1 ends", err)
    js = os.path.join(tmp, "late.json")
    rc, _, err = run(exosim, "run", "--hw-dir", os.path.join(HERE, "hw"), "--machine", "uni",
                     "--sched", "edf", "--workload", wl, "--quiet", "--json", js, timeout=60)
    check(rc == 0, "edf late budget exhaustion on uni ends", err)
    if rc == 0:
        tasks = {t["name"]: (t["jobs"], t["misses"], t["unfinished"])
                 for t in json.load(open(js))["tasks"]}
        check(tasks == {"a": (59, 59, 1), "b": (52, 52, 1)},
              "edf late budget exhaustion: jobs, misses, unfinished per task", str(tasks))


def test_rejected_params_message(exosim, tmp):
    """More tickets than stride accepts is a bad value in the file, not a run-time error."""
    wl = os.path.join(tmp, "tickets.json")
    with open(wl, "w") as f:
        f.write('{"tasks": {"t": {"tickets": 100000, "run": "1ms"}}}')
    rc, _, err = run(exosim, "run", "--machine", "qemu", "--sched", "stride", "--workload", wl)
    check(rc == 2 and f"{wl}:1:29: 100000 is out of range [1, 65536]" in err,
          "tickets beyond stride's limit are reported at their file:line:column", err)


def test_cpus_option(exosim, tmp):
    """--cpus N runs on the first N hardware threads of the profile: four identical tasks
    run two at a time on --cpus 2 (each job waits for one other, 5 ms of work each) and all
    at once on --cpus 4; --cpus 0 is bad input.  On the qemu profile a switch costs the
    calibrated cost and a one-shot timer its own (read from hw/qemu/machine.json)."""
    wl = os.path.join(tmp, "four.json")
    with open(wl, "w") as f:
        f.write('{"tasks": {"t": {"instance": 4, "loop": 1, "run": "5ms"}}}')
    for n, busy in ((2, 2), (4, 4)):
        js = os.path.join(tmp, f"cpus{n}.json")
        rc, _, err = run(exosim, "run", "--machine", "qemu", "--cpus", str(n), "--sched", "rr",
                         "--workload", wl, "--quiet", "--zero-costs", "--json", js)
        check(rc == 0, f"--cpus {n} runs", err)
        if rc == 0:
            data = json.load(open(js))
            used = [c for c in data["cpus"] if c["busy_cycles"] > 0]
            check(len(data["cpus"]) == n and len(used) == busy,
                  f"--cpus {n}: {n} hardware threads, {busy} busy", str(data["cpus"]))
            check(data["response_cycles"]["max"] == 20000000 // busy,
                  f"--cpus {n}: the last job finishes at 20 ms of work / {busy} CPUs",
                  str(data["response_cycles"]))
    rc, _, err = run(exosim, "run", "--machine", "qemu", "--cpus", "0", "--sched", "rr",
                     "--workload", wl)
    check(rc == 2 and "--cpus" in err, "--cpus 0 is bad input", err)
    csv = os.path.join(tmp, "one.csv")
    with open(wl, "w") as f:
        f.write('{"tasks": {"t": {"loop": 1, "run": "1ms"}}}')
    rc, _, err = run(exosim, "run", "--machine", "qemu", "--cpus", "1", "--sched", "rr",
                     "--workload", wl, "--quiet", "--csv", csv)
    rows = open(csv).read().splitlines() if rc == 0 else []
    costs = json.load(open(os.path.join(ROOT, "hw", "qemu", "machine.json")))["costs"]
    want = costs["timer_interrupt"]["cycles"] + costs["context_switch"]["cycles"]
    check(rc == 0 and len(rows) == 2 and rows[1].split(",")[2] == str(want),
          "qemu profile: a job waking its own idle CPU starts after a timer interrupt and a "
          "switch (no IPI)", f"{rows}, want start {want}")


def test_nvme(exosim, tmp):
    """The real NVMe driver against the model: the bundled QD32 workload, deterministic with
    --no-host, and an NVMe workload's bad input exiting 2 with FILE:LINE:COL."""
    wl = os.path.join(WL, "nvme-randread.json")
    args = ["run", "--machine", "legion", "--workload", wl, "--duration", "5ms", "--no-host"]
    rc, a, err = run(exosim, *args)
    check(rc == 0 and "  q1 " in a and "0 protocol errors" in a, "nvme-randread runs", err + a)
    rc, b, _ = run(exosim, *args)
    check(a == b, "nvme-randread: same seed, identical summary")
    rc, c, _ = run(exosim, *args, "--seed", "3")
    check(rc == 0 and c != a, "nvme-randread: another seed, another run")
    tr = os.path.join(tmp, "nvme.trace")
    rc, _, err = run(exosim, *args, "--trace", tr)
    try:
        ev = json.load(open(tr))["traceEvents"]
    except (OSError, ValueError, KeyError):
        ev = []
    begins = [e for e in ev if e.get("ph") == "b" and e.get("cat") == "nvme q1"]
    ends = {e["id"]: e["ts"] for e in ev if e.get("ph") == "e"}
    check(rc == 0 and begins and all(ends.get(e["id"], -1) >= e["ts"] for e in begins),
          "nvme --trace: one slice per request on the queue's track", err)
    calls = [e for e in ev if e.get("ph") == "X" and e.get("cat") == "cpu0"]
    check(sum(e["args"]["requests"] for e in calls if e["name"] == "nvme_submit") == len(begins),
          "nvme --trace: the core's submit slices beside the queue's track", err)
    for name, line in (("nvme_qd.json", "3:11: 64 is out of range [1, 63]"),
                       ("nvme_fault.json", '3:16: a "cfs" fault needs "at"')):
        path = os.path.join(BAD, name)
        rc, _, err = run(exosim, "run", "--machine", "legion", "--workload", path)
        check(rc == 2 and err.strip() == f"exosim: {path}:{line}",
              f"bad NVMe workload {name} exits 2 with FILE:LINE:COL", f"rc={rc} {err!r}")
    rc, _, err = run(exosim, "run", "--workload", wl)
    check(rc == 2 and "--machine" in err, "an NVMe run needs --machine", err)


# The SSDs whose random-read IOPS are published (hw/legion/nvme.json "source"): the fitted
# model must stay within 5% of the published figure at QD32 on one queue.
SOURCED_IOPS = {"pm981": 250000, "2200s": 240000}


def test_nvme_ssds(exosim, tmp):
    """Every SSD profile of the legion machine runs the QD32 randread workload without a
    protocol error, and the ones with a published IOPS figure reproduce it within 5%."""
    ssds = json.load(open(os.path.join(ROOT, "hw", "legion", "nvme.json")))["ssds"]
    base = json.load(open(os.path.join(WL, "nvme-randread.json")))
    for name in sorted(ssds):
        base["nvme"]["ssd"] = name
        wl = os.path.join(tmp, f"ssd-{name}.json")
        with open(wl, "w") as f:
            json.dump(base, f)
        rc, out, err = run(exosim, "run", "--machine", "legion", "--workload", wl,
                           "--duration", "20ms", "--no-host")
        m = re.search(r"^  q1 +\d+ +(\d+) ", out, re.M)
        ok = rc == 0 and m and "0 protocol errors" in out and f"ssd {name}," in out
        if ok and name in SOURCED_IOPS:
            ok = abs(int(m.group(1)) - SOURCED_IOPS[name]) <= SOURCED_IOPS[name] // 20
        check(bool(ok), f"nvme ssd {name}: runs" + (", published IOPS within 5%"
                                                    if name in SOURCED_IOPS else ""), err + out)


def test_net(exosim, tmp):
    """The real NIC drivers forwarding between two NIC models: the bundled l2fwd workloads
    (e1000 and RTL8168), deterministic with --no-host, --strict accepted, and a network
    workload's bad input exiting 2 with FILE:LINE:COL."""
    for name in ("l2fwd-10g.json", "l2fwd-10g-rtl8168.json"):
        wl = os.path.join(WL, name)
        args = ["run", "--machine", "legion", "--workload", wl, "--duration", "1ms", "--no-host"]
        rc, a, err = run(exosim, *args)
        check(rc == 0 and "14.881 Mpps forwarded" in a and "  drops: 0 " in a
              and "diagnostics: 0" in a, f"{name} forwards at line rate", err + a)
        rc, b, _ = run(exosim, *args, "--strict")
        check(rc == 0 and a == b, f"{name}: identical again, and under --strict", err)
        tr = os.path.join(tmp, name + ".trace")
        rc, c, err = run(exosim, *args[:-3], "--duration", "20us", "--no-host", "--trace", tr)
        try:
            ev = json.load(open(tr))["traceEvents"]
        except (OSError, ValueError, KeyError):
            ev = []
        sunk = re.search(r"sunk (\d+) ", c)
        frames = [e for e in ev if e.get("ph") == "b" and e.get("cat") == "A rx0 > B tx0"]
        calls = [e for e in ev if e.get("ph") == "X" and e.get("cat") == "cpu0"]
        check(rc == 0 and sunk and len(frames) == int(sunk.group(1)) and calls,
              f"{name} --trace: a slice per frame sunk beside the core's track", err)
    for name, line in (("net_rate.json",
                        "4:17: 20000000 frames/s is over the line rate 14880952 of 64-byte frames"),
                       ("net_fault.json", '3:16: a "link_down" fault needs "at" and "for"')):
        path = os.path.join(BAD, name)
        rc, _, err = run(exosim, "run", "--machine", "legion", "--workload", path)
        check(rc == 2 and err.strip() == f"exosim: {path}:{line}",
              f"bad network workload {name} exits 2 with FILE:LINE:COL", f"rc={rc} {err!r}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--exosim", required=True)
    args = ap.parse_args()
    exosim = os.path.abspath(args.exosim)
    with tempfile.TemporaryDirectory() as tmp:
        for t in (test_list, test_determinism, test_trace, test_bad_input, test_zero_cost_rta,
                  test_edf_late_exhaustion, test_rejected_params_message, test_cpus_option,
                  test_nvme, test_nvme_ssds, test_net):
            t(exosim, tmp)
        for module in (test_semantics, test_cli_trace):
            module.run_all(lambda *a, **k: run(exosim, *a, **k), check, tmp)
    print(f"sim-test: {len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
