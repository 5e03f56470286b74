#!/usr/bin/env python3
"""The research tools' command lines (docs/sim-research.md): `exosim analyze`, `exosim
sweep` (grid, determinism, resume, shards + merge, the Slurm script run as Slurm would,
and a real one-node Slurm on 127.0.0.1 when slurm-wlm and munge are installed and we are
root), and sim/plot.py's figures.  Usage: test_research.py analyze|sweep|plot --exosim E."""
import argparse
import csv
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
PLOT_PY = "/usr/bin/python3"  # Debian's python3, where python3-matplotlib lives

passed = failed = 0


def check(name, cond, detail=""):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print(f"FAIL {name}: {detail}", file=sys.stderr)


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300, **kw)


def rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def body(path):
    with open(path) as f:
        lines = f.read().splitlines()
    return lines[0], sorted(lines[1:], key=lambda l: int(l.split(",")[0]))


SMALL = """{
  "machine": "legion",
  "machine_params": { "cpus": [1], "zero_costs": [true, false] },
  "tasks": [3, 6],
  "utilisation": { "from": 0.8, "to": 1.0, "step": 0.1 },
  "seeds": 6,
  "policies": ["prio", "edf"],
  "max_duration": "100ms"
}
"""


def test_analyze(exo, tmp):
    w = os.path.join(ROOT, "sim/workloads/periodic3.json")
    r = run([exo, "analyze", "--machine", "legion", "--sched", "prio", "--workload", w,
             "--cpus", "1"])
    check("analyze runs", r.returncode == 0, r.stderr)
    # RTA by hand: ctrl 2 ms; video 9 + 2*2 = 13 ms; log 20 + 4*2 + 9 = 37 ms.
    for task, r0 in (("ctrl", "2000.000"), ("video", "13000.000"), ("log", "37000.000")):
        line = next((l for l in r.stdout.splitlines() if l.startswith(task + " ")), "")
        check(f"analyze R0 of {task}", line.split()[7:8] == [r0], line)
    check("analyze verdict", "verdict for prio: schedulable (exact" in r.stdout, r.stdout)
    check("analyze LL", "Liu-Layland bound 0.7798: schedulable" in r.stdout, r.stdout)
    r = run([exo, "analyze", "--machine", "legion", "--sched", "edf", "--cpus", "1",
             "--workload", "gen:periodic:n=4,u=1.2,periods=10ms/20ms,discard=1"])
    check("analyze overload", "QPA (exact, D <= T): unschedulable (U > 1)" in r.stdout and
          "verdict for edf: unschedulable" in r.stdout, r.stdout)
    r = run([exo, "analyze", "--machine", "legion", "--sched", "edf", "--cpus", "4",
             "--workload", "gen:periodic:n=6,u=2.0,periods=10ms/20ms,discard=1"])
    check("analyze gfb", "global EDF on 4 cpus, GFB" in r.stdout and "global: see GFB" in
          r.stdout, r.stdout)
    bad = os.path.join(tmp, "bad.json")
    with open(bad, "w") as f:
        f.write('{"tasks": {"t": {"rnu": 1}}}\n')
    for args, want in ((["--bogus"], "--bogus: unknown option"),
                       (["--machine", "legion", "--sched", "prio"], "--workload: missing"),
                       (["--machine", "legion", "--sched", "prio", "--workload", bad],
                        f"{bad}:1:"),
                       (["--machine", "legion", "--sched", "nope", "--workload", w],
                        "--sched: unknown policy")):
        r = run([exo, "analyze"] + args)
        check(f"analyze bad {args}", r.returncode == 2 and want in r.stderr, r.stderr)


def sweep(exo, spec, out, *extra):
    return run([exo, "sweep", spec, "--out", out, "--jobs", "2"] + list(extra))


def test_sweep_local(exo, tmp, spec):
    full = os.path.join(tmp, "full.csv")
    r = sweep(exo, spec, full, "--progress")
    check("sweep runs", r.returncode == 0 and "sweep [" in r.stderr, r.stderr)
    rs = rows(full)
    check("sweep run count", len(rs) == 2 * 2 * 3 * 6 * 2, len(rs))
    check("sweep every run once", sorted(int(x["run"]) for x in rs) == list(range(len(rs))))
    for x in rs:
        exact = x["rta"] if x["policy"] == "prio" else x["edf_qpa"]
        if x["zero_costs"] == "1" and exact == "1":
            check(f"sweep run {x['run']}: exact test => no simulated miss",
                  x["sim_schedulable"] == "1", x)
    check("sweep some miss", any(x["sim_schedulable"] == "0" for x in rs))
    again = os.path.join(tmp, "again.csv")
    sweep(exo, spec, again)
    check("sweep deterministic", body(full) == body(again))
    # Resume: keep the header and 10 rows, then a torn line, and run again.
    head, lines = body(full)
    with open(again, "w") as f:
        f.write(head + "\n" + "\n".join(lines[:10]) + "\n" + lines[10][:17])
    r = sweep(exo, spec, again)
    check("sweep resume skips", "10 runs already in" in r.stderr and
          f"{len(rs) - 10} runs in" in r.stderr, r.stderr)
    check("sweep resume result", body(again) == body(full))
    with open(again, "w") as f:
        f.write("run,other\n")
    r = sweep(exo, spec, again)
    check("sweep wrong header", r.returncode == 2 and f"{again}:1:" in r.stderr, r.stderr)
    return full


def test_shards(exo, tmp, spec, full):
    shards = []
    for i in range(3):
        shards.append(os.path.join(tmp, f"s{i}.csv"))
        r = sweep(exo, spec, shards[-1], "--shard", f"{i}/3")
        check(f"shard {i}", r.returncode == 0, r.stderr)
    merged = os.path.join(tmp, "merged.csv")
    r = run([exo, "sweep", "--merge", merged] + shards + shards[:1])
    check("merge", r.returncode == 0, r.stderr)
    check("shards + merge == unsharded", body(merged) == body(full))
    with open(merged) as f:
        lines = f.read().splitlines()
    check("merge sorted", lines[1:] == body(full)[1])
    with open(shards[0]) as f:
        text = f.read().splitlines()
    text[1] = text[1].replace(",legion,", ",legion2,")
    with open(shards[0], "w") as f:
        f.write("\n".join(text) + "\n")
    r = run([exo, "sweep", "--merge", merged, shards[0], os.path.join(tmp, "full.csv")])
    check("merge conflict", r.returncode == 2 and "differs from" in r.stderr, r.stderr)


def slurm_script(exo, tmp, spec, out, shards):
    script = os.path.join(tmp, "job.sh")
    r = run([exo, "sweep", spec, "--slurm", "--shards", str(shards), "--cpus-per-task", "1",
             "--out", out, "--script", script])
    check("slurm script written", r.returncode == 0, r.stderr)
    with open(script) as f:
        text = f.read()
    for want in (f"#SBATCH --array=0-{shards - 1}", "#SBATCH --cpus-per-task=1",
                 f'--shard "$SLURM_ARRAY_TASK_ID/{shards}"', "#!/bin/bash"):
        check(f"slurm script has {want}", want in text, text)
    sb = [l for l in text.splitlines() if l.startswith("#SBATCH")]
    first_cmd = next(i for i, l in enumerate(text.splitlines())
                     if l and not l.startswith("#"))
    check("slurm #SBATCH before any command",
          all(text.splitlines().index(l) < first_cmd for l in sb))
    check("slurm script parses", run(["bash", "-n", script]).returncode == 0)
    return script


def test_slurm_script(exo, tmp, spec, full):
    out = os.path.join(tmp, "arr.csv")
    script = slurm_script(exo, tmp, spec, out, 4)
    for i in range(4):  # each array task, as Slurm would start it
        r = run(["bash", script], env=dict(os.environ, SLURM_ARRAY_TASK_ID=str(i)))
        check(f"array task {i}", r.returncode == 0, r.stderr)
    merged = os.path.join(tmp, "arr-merged.csv")
    run([exo, "sweep", "--merge", merged] + [f"{out}.shard-{i}-of-4.csv" for i in range(4)])
    check("array tasks + merge == unsharded", body(merged) == body(full))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


SLURM_CONF = """ClusterName=exosimtest
SlurmctldHost=localhost(127.0.0.1)
SlurmUser=root
SlurmdUser=root
SlurmctldPort={p1}
SlurmdPort={p2}
AuthType=auth/munge
AuthInfo=socket={d}/munge.socket
StateSaveLocation={d}/state
SlurmdSpoolDir={d}/spool
SlurmctldPidFile={d}/slurmctld.pid
SlurmdPidFile={d}/slurmd.pid
SlurmctldLogFile={d}/slurmctld.log
SlurmdLogFile={d}/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MpiDefault=none
NodeName=localhost NodeAddr=127.0.0.1 CPUs={cpus} State=UNKNOWN
PartitionName=exosim Nodes=localhost Default=YES MaxTime=INFINITE State=UP
"""


def test_real_slurm(exo, tmp, spec, full):
    """munged, slurmctld and slurmd on 127.0.0.1, started here and stopped by their pids."""
    need = ["munged", "slurmctld", "slurmd", "sbatch", "sinfo"]
    if os.geteuid() != 0 or not all(shutil.which(n) for n in need):
        print("real Slurm: skipped (needs root and hw/host/deps.sh sim-slurm)")
        return
    d = os.path.join(tmp, "slurm")
    for sub in ("state", "spool"):
        os.makedirs(os.path.join(d, sub))
    os.chmod(d, 0o700)
    conf = os.path.join(d, "slurm.conf")
    with open(conf, "w") as f:
        f.write(SLURM_CONF.format(d=d, p1=free_port(), p2=free_port(), cpus=os.cpu_count()))
    env = dict(os.environ, SLURM_CONF=conf)
    pids = []
    try:
        r = run(["munged", "--force", f"--socket={d}/munge.socket",
                 f"--pid-file={d}/munged.pid", f"--log-file={d}/munged.log",
                 f"--seed-file={d}/munge.seed"])
        check("munged starts", r.returncode == 0, r.stderr)
        pids.append(f"{d}/munged.pid")
        for daemon in ("slurmctld", "slurmd"):
            r = run([daemon, "-f", conf], env=env)
            check(f"{daemon} starts", r.returncode == 0, r.stderr)
            pids.append(f"{d}/{daemon}.pid")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # wait on the node's state, not on a clock
            s = run(["sinfo", "-h", "-o", "%t"], env=env).stdout.strip()
            if s == "idle":
                break
        check("slurm node idle", s == "idle", s)
        out = os.path.join(tmp, "slurm.csv")
        script = slurm_script(exo, tmp, spec, out, 3)
        r = run(["sbatch", "--wait", script], env=env, cwd=tmp)
        check("sbatch --wait", r.returncode == 0, r.stdout + r.stderr)
        merged = os.path.join(tmp, "slurm-merged.csv")
        run([exo, "sweep", "--merge", merged] + [f"{out}.shard-{i}-of-3.csv" for i in range(3)])
        check("real Slurm array + merge == unsharded", body(merged) == body(full))
        print("real Slurm: job array of 3 shards ran on 127.0.0.1")
    finally:
        for p in reversed(pids):
            try:
                with open(p) as f:
                    os.kill(int(f.read().strip()), 15)
            except (OSError, ValueError):
                pass


def test_sweep(exo, tmp):
    spec = os.path.join(tmp, "small.json")
    with open(spec, "w") as f:
        f.write(SMALL)
    full = test_sweep_local(exo, tmp, spec)
    test_shards(exo, tmp, spec, full)
    test_slurm_script(exo, tmp, spec, full)
    test_real_slurm(exo, tmp, spec, full)
    with open(spec, "w") as f:
        f.write('{\n  "machine": "legion",\n  "polices": ["edf"]\n}\n')
    r = sweep(exo, spec, os.path.join(tmp, "x.csv"))
    check("sweep bad spec", r.returncode == 2 and f"{spec}:3:3: unknown key" in r.stderr,
          r.stderr)
    bundled = os.path.join(ROOT, "sim/sweeps/schedulability.json")
    r = run([exo, "sweep", bundled, "--slurm", "--script", os.path.join(tmp, "b.sh")])
    check("bundled spec loads", r.returncode == 0, r.stderr)


def series(svg):
    ids = [e.get("id") for e in ET.parse(svg).iter() if (e.get("id") or "").startswith(
        "series-")]
    return sorted(i[len("series-"):] for i in ids)


def png_size(path):
    with open(path, "rb") as f:
        head = f.read(24)
    if head[:8] != b"\x89PNG\r\n\x1a\n" or head[12:16] != b"IHDR":
        return None
    return struct.unpack(">II", head[16:24])


def figure(name, tmp, out, args, want):
    r = run([PLOT_PY, os.path.join(ROOT, "sim/plot.py")] + args + ["--out", out])
    check(f"plot {name} runs", r.returncode == 0, r.stderr)
    size = png_size(out + ".png") if os.path.exists(out + ".png") else None
    check(f"plot {name} png", size is not None and size[0] > 100 and size[1] > 100, size)
    got = series(out + ".svg") if os.path.exists(out + ".svg") else None
    check(f"plot {name} series", got == sorted(want), f"{got} != {sorted(want)}")


def test_plot(exo, tmp):
    csvf, trace = os.path.join(tmp, "jobs.csv"), os.path.join(tmp, "t.json")
    r = run([exo, "run", "--machine", "legion", "--sched", "edf", "--cpus", "2", "--quiet",
             "--workload", os.path.join(ROOT, "sim/workloads/periodic3.json"),
             "--duration", "100ms", "--csv", csvf, "--trace", trace])
    check("plot input run", r.returncode == 0, r.stderr)
    tasks = ["ctrl", "video", "log"]
    figure("gantt", tmp, os.path.join(tmp, "g"), ["gantt", "--trace", trace],
           ["cpu0", "cpu1"] + tasks)
    figure("gantt csv", tmp, os.path.join(tmp, "gc"), ["gantt", "--csv", csvf], tasks)
    figure("cdf", tmp, os.path.join(tmp, "c"), ["cdf", "--csv", csvf, "--hz", "2592e6"], tasks)
    spec = os.path.join(tmp, "small.json")
    with open(spec, "w") as f:
        f.write(SMALL)
    sw = os.path.join(tmp, "sw.csv")
    sweep(exo, spec, sw)
    figure("sched", tmp, os.path.join(tmp, "r"),
           ["sched", "--sweep", sw, "--by", "zero_costs"],
           ["edf_zero_costs=0", "edf_zero_costs=1", "prio_zero_costs=0", "prio_zero_costs=1"])
    # The bundled spec (sim/sweeps/schedulability.json), one shard of its 10,000 runs (every
    # 49th: 49 is prime to the axes' sizes, so every cell of the grid is met), to the
    # standard figure: a CSV row per run, a series per policy and cost setting.
    bundled = os.path.join(ROOT, "sim/sweeps/schedulability.json")
    bcsv = os.path.join(tmp, "b.csv")
    r = sweep(exo, bundled, bcsv, "--shard", "0/49")
    check("bundled spec sweeps (shard 0/49: 205 runs)",
          r.returncode == 0 and len(rows(bcsv)) == 205, r.stderr)
    figure("sched bundled", tmp, os.path.join(tmp, "rb"),
           ["sched", "--sweep", bcsv, "--by", "zero_costs"],
           ["edf_zero_costs=0", "edf_zero_costs=1", "prio_zero_costs=0", "prio_zero_costs=1"])
    with open(csvf, "a") as f:
        f.write("ctrl,1,2,x,y,,0\n")
    r = run([PLOT_PY, os.path.join(ROOT, "sim/plot.py"), "cdf", "--csv", csvf, "--out",
             os.path.join(tmp, "bad")])
    check("plot bad input", r.returncode == 2 and f"{csvf}:" in r.stderr and
          "response: not a number" in r.stderr, r.stderr)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("what", choices=["analyze", "sweep", "plot"])
    p.add_argument("--exosim", required=True)
    a = p.parse_args()
    exo = os.path.abspath(a.exosim)
    with tempfile.TemporaryDirectory(prefix="exosim-research-") as tmp:
        {"analyze": test_analyze, "sweep": test_sweep, "plot": test_plot}[a.what](exo, tmp)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
