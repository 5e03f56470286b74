#!/usr/bin/python3
"""exosim's figures (docs/sim-research.md), each written as OUT.svg and OUT.png:

  plot.py gantt --trace t.json --out g     Gantt chart per CPU and per task (exosim --trace)
  plot.py gantt --csv jobs.csv --out g     per task only, from the job CSV (start..finish)
  plot.py cdf --csv jobs.csv --out c       response-time CDF per task (exosim --csv)
  plot.py sched --sweep s.csv --out r      schedulability ratio against utilisation per
                                           policy, 95% Wilson intervals (exosim sweep)

Every plotted series carries an SVG id "series-<name>" so tests and scripts can count them.
Bad input: "FILE:LINE: what" on stderr, exit status 2.  Needs Debian's python3-matplotlib.
"""
import argparse
import collections
import csv
import json
import math
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

matplotlib.rcParams["svg.hashsalt"] = "exosim"  # the same input gives the same SVG


class BadInput(Exception):
    pass


def fail(path, line, what):
    raise BadInput(f"{path}:{line}: {what}")


def read_csv(path, need):
    """Rows of a CSV as dicts, with the line number of each; `need` columns must exist."""
    try:
        f = open(path, newline="")
    except OSError as e:
        fail(path, 0, f"cannot open: {e.strerror}")
    with f:
        r = csv.DictReader(f)
        missing = [c for c in need if c not in (r.fieldnames or [])]
        if missing:
            fail(path, 1, f"missing column(s) {', '.join(missing)}")
        return [(r.line_num, row) for row in r]


def number(path, line, row, key, cast=float):
    try:
        return cast(row[key])
    except (TypeError, ValueError):
        fail(path, line, f"{key}: not a number: {row[key]!r}")


def save(fig, out):
    fig.tight_layout()
    for ext in ("svg", "png"):
        fig.savefig(f"{out}.{ext}", format=ext, dpi=100, metadata={"Date": None}
                    if ext == "svg" else None)
    plt.close(fig)


def trace_slices(path):
    """(track name, task, start us, duration us) of every run slice, and the CPU names."""
    try:
        with open(path) as f:
            doc = json.load(f)
    except OSError as e:
        fail(path, 0, f"cannot open: {e.strerror}")
    except json.JSONDecodeError as e:
        fail(path, e.lineno, f"not JSON: {e.msg}")
    events = doc.get("traceEvents") if isinstance(doc, dict) else None
    if not isinstance(events, list):
        fail(path, 1, "no traceEvents array (not an exosim --trace file)")
    # Process 1 holds the per-CPU tracks; process 2 the per-task ones (running, ready,
    # blocked), which the per-task chart rebuilds from the CPU slices instead.
    cpu = [e for e in events if e.get("pid", 1) == 1]
    names = {e["tid"]: e["args"]["name"] for e in cpu
             if e.get("ph") == "M" and e.get("name") == "thread_name"}
    runs = [(names.get(e.get("tid"), f"tid{e.get('tid')}"), e["name"], e["ts"], e["dur"])
            for e in cpu if e.get("ph") == "X" and e.get("cat") == "run"]
    return runs


def draw_gantt(ax, rows, title):
    """rows: {row label: [(start, dur, colour key)]}, one broken bar series per row."""
    keys = sorted({k for bars in rows.values() for _, _, k in bars})
    colour = {k: plt.cm.tab10(i % 10) for i, k in enumerate(keys)}
    labels = sorted(rows)
    for y, label in enumerate(labels):
        bars = rows[label]
        coll = ax.broken_barh([(s, d) for s, d, _ in bars], (y - 0.4, 0.8),
                              facecolors=[colour[k] for _, _, k in bars])
        coll.set_gid(f"series-{label}")
    ax.set_yticks(range(len(labels)), labels)
    if len(keys) > 1:
        ax.legend(handles=[Patch(color=colour[k], label=k) for k in keys], fontsize="small",
                  loc="upper left", bbox_to_anchor=(1.0, 1.0))
    ax.set_xlabel("time (us)")
    ax.set_title(title)


def cmd_gantt(a):
    if a.trace:
        runs = trace_slices(a.trace)
        per_cpu, per_task = collections.defaultdict(list), collections.defaultdict(list)
        for cpu, task, ts, dur in runs:
            per_cpu[cpu].append((ts, dur, task))
            per_task[task].append((ts, dur, cpu))
        if not runs:
            fail(a.trace, 1, "no run slices")
        fig, (top, bottom) = plt.subplots(2, 1, figsize=(10, 2 + 0.4 * (len(per_cpu) +
                                                                          len(per_task))))
        draw_gantt(top, per_cpu, "per CPU (colour: task)")
        draw_gantt(bottom, per_task, "per task (colour: CPU)")
    else:
        rows = read_csv(a.csv, ["task", "start", "finish"])
        per_task = collections.defaultdict(list)
        for line, r in rows:
            if r["finish"] == "":
                continue
            s = number(a.csv, line, r, "start")
            per_task[r["task"]].append((s / a.hz_us, (number(a.csv, line, r, "finish") - s) /
                                        a.hz_us, r["task"]))
        if not per_task:
            fail(a.csv, 1, "no finished jobs")
        fig, ax = plt.subplots(figsize=(10, 1.5 + 0.4 * len(per_task)))
        draw_gantt(ax, per_task, "per task, first start to finish of each job")
    save(fig, a.out)


def cmd_cdf(a):
    rows = read_csv(a.csv, ["task", "response"])
    resp = collections.defaultdict(list)
    for line, r in rows:
        if r["response"] != "":
            resp[r["task"]].append(number(a.csv, line, r, "response") / a.hz_us)
    if not resp:
        fail(a.csv, 1, "no finished jobs")
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for task in sorted(resp):
        xs = sorted(resp[task])
        ys = [(i + 1) / len(xs) for i in range(len(xs))]
        (line,) = ax.step(xs, ys, where="post", label=f"{task} (n={len(xs)})")
        line.set_gid(f"series-{task}")
    ax.set_xlabel("response time (us)" if a.hz_us != 1 else "response time (cycles)")
    ax.set_ylabel("fraction of jobs")
    ax.set_ylim(0, 1.02)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")
    save(fig, a.out)


def wilson(k, n, z=1.959964):
    """Wilson score interval for k successes in n trials (E. B. Wilson, "Probable
    inference, the law of succession, and statistical inference", JASA 22(158), 1927):
    unlike the normal approximation it stays inside [0, 1] and is sound at 0 and n."""
    if n == 0:
        return 0.0, 1.0
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    # The interval always holds p; at k = n (or 0) rounding can put its end a hair inside,
    # and matplotlib refuses the negative error bar that would make.
    return min(p, max(0.0, centre - half)), max(p, min(1.0, centre + half))


def cmd_sched(a):
    rows = read_csv(a.sweep, ["policy", "utilisation", a.metric] + [k for k, _ in a.where])
    groups = collections.defaultdict(lambda: collections.defaultdict(lambda: [0, 0]))
    for line, r in rows:
        if any(r[k] != v for k, v in a.where):
            continue
        label = " ".join([r["policy"]] + [f"{k}={r[k]}" for k in a.by])
        cell = groups[label][number(a.sweep, line, r, "utilisation")]
        cell[0] += number(a.sweep, line, r, a.metric, int) != 0
        cell[1] += 1
    if not groups:
        fail(a.sweep, 1, "no rows match")
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for label in sorted(groups):
        us = sorted(groups[label])
        ks = [groups[label][u] for u in us]
        ratio = [k / n for k, n in ks]
        lo_hi = [wilson(k, n) for k, n in ks]
        err = [[r - lo for r, (lo, _) in zip(ratio, lo_hi)],
               [hi - r for r, (_, hi) in zip(ratio, lo_hi)]]
        cont = ax.errorbar(us, ratio, yerr=err, marker="o", capsize=3, label=label)
        cont.lines[0].set_gid(f"series-{label.replace(' ', '_')}")
    ax.set_xlabel("utilisation")
    ax.set_ylabel(f"schedulability ratio ({a.metric})")
    ax.set_ylim(-0.02, 1.02)
    ax.set_title("95% Wilson intervals")
    ax.grid(alpha=0.3)
    ax.legend(loc="lower left")
    save(fig, a.out)


def main(argv):
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("gantt")
    src = g.add_mutually_exclusive_group(required=True)
    src.add_argument("--trace")
    src.add_argument("--csv")
    c = sub.add_parser("cdf")
    c.add_argument("--csv", required=True)
    s = sub.add_parser("sched")
    s.add_argument("--sweep", required=True)
    s.add_argument("--metric", default="sim_schedulable",
                   help="0/1 column: sim_schedulable (default), rta, edf_qpa, gedf_gfb, ...")
    s.add_argument("--by", action="append", default=[],
                   help="another column that splits the series (e.g. zero_costs)")
    s.add_argument("--where", action="append", default=[], metavar="COL=VALUE",
                   help="keep only the rows with this value")
    for q in (g, c):
        q.add_argument("--hz", type=float, default=0,
                       help="cycles per second of the CSV (times in us); default: cycles")
    for q in (g, c, s):
        q.add_argument("--out", required=True, help="writes OUT.svg and OUT.png")
    a = p.parse_args(argv)
    if a.cmd == "sched":
        try:
            a.where = [tuple(w.split("=", 1)) for w in a.where]
            assert all(len(w) == 2 for w in a.where)
        except AssertionError:
            p.error("--where needs COL=VALUE")
    else:
        a.hz_us = a.hz / 1e6 if a.hz else 1
    try:
        {"gantt": cmd_gantt, "cdf": cmd_cdf, "sched": cmd_sched}[a.cmd](a)
    except BadInput as e:
        print(f"plot.py: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
