"""exosim's command line and trace options (docs/sim.md, "exosim run options" and
"Outputs"): --help, option errors naming the accepted range, per-task trace tracks,
--trace-window and gzip traces.  Called by run_tests.py (make sim-test)."""
import gzip
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
MIXED = os.path.join(os.path.dirname(HERE), "workloads", "mixed.json")


def test_help(run, check, tmp):
    for args, needle in ((["--help"], "exosim COMMAND"), (["help"], "exosim COMMAND"),
                         (["run", "--help"], "--trace-window"),
                         (["list", "--help"], "exosim list")):
        rc, out, err = run(*args)
        check(rc == 0 and needle in out and not err,
              f"exosim {' '.join(args)} prints its usage on stdout", f"rc={rc} {err!r}")
    rc, out, err = run("frob")
    check(rc == 2 and "frob" in err and "run" in err, "an unknown command lists the commands",
          err)


def test_option_ranges(run, check, tmp):
    base = ["run", "--machine", "legion", "--sched", "rr", "--workload", MIXED]
    cases = [
        (["--cpus", "13"], "--cpus: 13 is out of range [1, 12] (machine legion has 12"),
        (["--cpus", "0"], "--cpus: 0 is out of range [1, 12]"),
        (["--cpus", "two"], "--cpus: 'two' is not an integer in [1,"),
        (["--seed", "-3"], "--seed: '-3' is not an integer in [0, 18446744073709551615]"),
        (["--duration", "0ms"], "--duration: '0ms' is not a time > 0 with a unit"),
        (["--trace-window", "2ms:1ms", "--trace", os.path.join(tmp, "w.json")],
         "--trace-window: '2ms:1ms' is not FROM:TO"),
        (["--trace-window", "1ms:2ms"], "--trace-window: needs --trace"),
    ]
    for extra, needle in cases:
        rc, _, err = run(*base, *extra)
        check(rc == 2 and err.startswith("exosim: " + needle.split(":")[0]) and needle in err,
              f"option error names the option and its range: {' '.join(extra)}", err)


def trace_events(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt") as f:
        return json.load(f)["traceEvents"]


def test_task_tracks(run, check, tmp):
    path = os.path.join(tmp, "tasks.json")
    rc, _, err = run("run", "--machine", "legion", "--sched", "edf", "--workload", MIXED,
                     "--duration", "100ms", "--quiet", "--trace", path)
    ev = trace_events(path) if rc == 0 else []
    names = {e["tid"]: e["args"]["name"] for e in ev
             if e.get("pid") == 2 and e.get("name") == "thread_name"}
    check(rc == 0 and len(names) == 15 and "audio" in names.values(),
          "trace: one named track per task (process 2)", f"{len(names)} {err}")
    per = {}
    for e in ev:
        if e.get("pid") == 2 and e.get("ph") == "X":
            per.setdefault(e["tid"], []).append(e)
    states = {e["name"] for s in per.values() for e in s}
    check(states == {"running", "ready", "blocked"}, "task tracks: running, ready, blocked",
          str(states))
    overlap = []
    for tid, sl in per.items():
        sl.sort(key=lambda e: e["ts"])
        for a, b in zip(sl, sl[1:]):
            if round((a["ts"] + a["dur"]) * 1000) > round(b["ts"] * 1000):
                overlap.append((names.get(tid), a, b))
    check(not overlap, "task tracks: a task is in one state at a time", str(overlap[:2]))
    run_cpu = {}
    for e in ev:
        if e.get("pid") == 1 and e.get("cat") == "run":
            run_cpu[e["name"]] = run_cpu.get(e["name"], 0) + round(e["dur"] * 1000)
    run_task = {}
    for tid, sl in per.items():
        run_task[names[tid]] = sum(round(e["dur"] * 1000) for e in sl if e["name"] == "running")
    short = [n for n in run_cpu if run_task.get(n, 0) < run_cpu[n]]
    check(not short, "task tracks: running covers every CPU run slice of the task", str(short))


def test_window_and_gzip(run, check, tmp):
    args = ["run", "--machine", "legion", "--sched", "edf", "--workload", MIXED,
            "--duration", "300ms", "--quiet"]
    plain, gz = os.path.join(tmp, "full.json"), os.path.join(tmp, "full.json.gz")
    rc1, _, e1 = run(*args, "--trace", plain)
    rc2, _, e2 = run(*args, "--trace", gz)
    same = rc1 == 0 and rc2 == 0 and gzip.open(gz).read() == open(plain, "rb").read()
    check(same and open(gz, "rb").read(2) == b"\x1f\x8b",
          "--trace F.gz: gzip of the same bytes", e1 + e2)
    if same:
        check(os.path.getsize(gz) * 5 < os.path.getsize(plain), "--trace F.gz: 5x smaller",
              f"{os.path.getsize(gz)} vs {os.path.getsize(plain)}")
    win = os.path.join(tmp, "win.json")
    rc, _, err = run(*args, "--trace", win, "--trace-window", "100ms:150ms")
    ev = trace_events(win) if rc == 0 else []
    timed = [e for e in ev if e.get("ph") in ("X", "i")]
    inside = all(100000 <= e["ts"] and e["ts"] + e.get("dur", 0) <= 150000 for e in timed)
    full = [e for e in trace_events(plain) if e.get("ph") in ("X", "i")] if rc1 == 0 else []
    check(rc == 0 and timed and inside and len(timed) < len(full) / 4,
          "--trace-window: only events within [100 ms, 150 ms], clipped", err)
    busy_full = sum(min(e["ts"] + e["dur"], 150000) - max(e["ts"], 100000) for e in full
                    if e["ph"] == "X" and e["ts"] < 150000 and e["ts"] + e["dur"] > 100000)
    busy_win = sum(e["dur"] for e in timed if e["ph"] == "X")
    check(abs(busy_full - busy_win) < 0.01 * max(busy_full, 1),
          "--trace-window: the clipped slices cover what the full trace has in the window",
          f"{busy_win} vs {busy_full}")


def run_all(run, check, tmp):
    for t in (test_help, test_option_ranges, test_task_tracks, test_window_and_gzip):
        t(run, check, tmp)
