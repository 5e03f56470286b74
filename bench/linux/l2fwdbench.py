#!/usr/bin/env python3
"""`make bench-linux-l2fwd`: Linux 6.1's AF_PACKET forwarder (bench/os/linux_l2fwd.c) on the
machine `make bench-fastpath` gives ExoLab's l2fwd (two CPUs, four e1000s on two QEMU hubs,
CPU 1 isolated: isolcpus, nohz_full, rcu_nocbs, irqaffinity=0), next to bench-fastpath's
owned and shared rows.  Not under -icount (Linux's boot-time bring-up of CPU 1 stalls there,
and a hotplugged CPU 1 forwards only at QEMU's round-robin kicks): QEMU runs the vCPUs
round-robin on one thread (-accel tcg,thread=single) and the l2count plugin
(bench/linux/l2count.c) counts instructions: the forwarder vCPU's own per batch, and both
vCPUs' less the forwarder's empty polls as the latency clock.  Method:
bench/linux/README.md, "bench-linux-l2fwd".  --linux-log/--events read saved output."""

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "grade"))

import l2fwdtests  # noqa: E402
import sidebyside  # noqa: E402

NFRAMES = 2048
BATCH = 32
DONE = re.compile(r"^l2fwd-linux: done, (\d+) failed$", re.M)
L2FWD = re.compile(r"^L2FWD (\S+) (\d+)$")
EVENT = re.compile(r"^([RTB]) (\d+) (\d+) (\d+)(?: (\d+))?$")
EXO = re.compile(r"^BENCH l2fwd_(owned|shared)_(\S+) (\d+) (\S+)$")
SERIAL_NAMES = ("irqs",)
APPEND = ("console=ttyS0 quiet panic=-1 ipv6.disable=1 isolcpus=1 nohz_full=1 rcu_nocbs=1 "
          "irqaffinity=0")


class ParseError(Exception):
    pass


def parse_serial(text, source):
    """The program's `L2FWD name value` lines ({name: value}); ParseError unless the run
    ended with `l2fwd-linux: done, 0 failed`."""
    out = {}
    for lineno, line in enumerate(text.replace("\r", "").splitlines(), 1):
        if not line.startswith("L2FWD"):
            continue
        m = L2FWD.match(line)
        if not m or m.group(1) in out:
            raise ParseError("%s:%d: malformed or repeated L2FWD line: %r" % (source, lineno, line))
        out[m.group(1)] = int(m.group(2))
    done = DONE.search(text.replace("\r", ""))
    if not done:
        raise ParseError("%s: no `l2fwd-linux: done` line (the run did not finish)" % source)
    if done.group(1) != "0":
        raise ParseError("%s: %s check(s) failed" % (source, done.group(1)))
    missing = [n for n in SERIAL_NAMES if n not in out]
    if missing:
        raise ParseError("%s: no L2FWD line for %s" % (source, ", ".join(missing)))
    return out


def parse_events(text, source):
    """The plugin's lines as lists: T and R [(vcpu, n, clock, idle)], B [(vcpu, n, insns)]."""
    ev = {"T": [], "R": [], "B": []}
    for lineno, line in enumerate(text.splitlines(), 1):
        m = EVENT.match(line)
        if not m or (m.group(1) == "B") != (m.group(5) is None):
            raise ParseError("%s:%d: malformed event line: %r" % (source, lineno, line))
        ev[m.group(1)].append(tuple(int(v) for v in m.groups()[1:] if v is not None))
    return ev


def frames(events):
    """One (clock, idle) per frame, in order (an event of n frames gives n)."""
    return [(e[2], e[3]) for e in events for _ in range(e[1])]


def measured_batches(batches, source):
    """The forwarder's batches that carried the NFRAMES measured frames: the last batch is
    the stop frame's, the ones before the measured frames the warm-up's."""
    body, total = [], 0
    for b in reversed(batches[:-1]):
        if total == NFRAMES:
            break
        body.append(b)
        total += b[1]
    if total != NFRAMES:
        raise ParseError("%s: the forwarder's batches do not add up to %d measured frames"
                         % (source, NFRAMES))
    return body[::-1]


def pct(values, q):
    """Nearest rank, as the program's pct: the smallest value with >= q of them <= it."""
    i = -(-len(values) * q // 1000)
    return values[max(i, 1) - 1]


def figures(ev, source):
    """Per-frame instructions at batch 32 (least full batch / 32; mean over the measured
    frames) on the forwarder's vCPU, and the latency distribution over the measured frames:
    the generator's stamp to the forwarder's receive in both vCPUs' instructions less the
    forwarder's empty polls (and, as spin_*, with them)."""
    sent = [t for t in ev["T"] if t[1] == BATCH]
    if len(sent) != NFRAMES // BATCH:
        raise ParseError("%s: %d stamped batches of %d, wanted %d"
                         % (source, len(sent), BATCH, NFRAMES // BATCH))
    stop = ev["T"][-1]
    rx = frames(ev["R"])
    # Received: the warm-up frames that came back, the measured ones, then the stop frame.
    if stop[1] != 1 or len(rx) < NFRAMES + 1:
        raise ParseError("%s: %d frames received, wanted the %d measured and the stop frame"
                         % (source, len(rx), NFRAMES))
    # Stamp to receive in both vCPUs' instructions, less the forwarder's empty polls between.
    lat = sorted((r - t) - (ri - ti) for (r, ri), (t, ti) in zip(rx[-NFRAMES - 1:-1],
                                                                 frames(sent)))
    spin = sorted(r - t for (r, _), (t, _) in zip(rx[-NFRAMES - 1:-1], frames(sent)))
    if lat[0] < 0:
        raise ParseError("%s: a frame received before it was stamped (events out of order)"
                         % source)
    body = measured_batches(ev["B"], source)
    full = [insns for _, n, insns in body if n == BATCH]
    return {
        "pkt": min(full) // BATCH if full else None,
        "pkt_mean": sum(insns for _, _, insns in body) // NFRAMES,
        "full": len(full), "batches": len(body),
        "lat_p50": pct(lat, 500), "lat_p99": pct(lat, 990), "lat_p999": pct(lat, 999),
        "lat_max": lat[-1], "spin_p50": pct(spin, 500), "spin_max": spin[-1],
    }


def parse_exolab(text, source):
    """{owned|shared: {name: value}} of bench-fastpath's BENCH lines."""
    out = {}
    for line in text.replace("\r", "").splitlines():
        m = EXO.match(line.strip())
        if m:
            out.setdefault(m.group(1), {})[m.group(2)] = int(m.group(3))
    if not out:
        raise ParseError("%s: no `BENCH l2fwd_owned_* N unit` line" % source)
    return out


def table(exo, lin):
    head = ("config", "insn/frame", "mean", "p50", "p99", "p99.9", "max", "p99.9/p50",
            "irqs")
    rows = []
    for mode, label in (("owned", "ExoLab owned core"), ("shared", "ExoLab shared core")):
        if mode in exo:
            rows.append(row(label, exo[mode]))
    rows.append(row("Linux AF_PACKET, isolated core", lin))
    widths = [max(len(r[i]) for r in [head] + rows) for i in range(len(head))]
    out = []
    for i, r in enumerate([head] + rows):
        out.append(" | ".join(c.rjust(w) if j else c.ljust(w)
                              for j, (c, w) in enumerate(zip(r, widths))).rstrip())
        if i == 0:
            out.append("-+-".join("-" * w for w in widths))
    return "\n".join(out)


def row(label, f):
    ratio = ("%.2f" % (f["lat_p999"] / f["lat_p50"])
             if f.get("lat_p50") and f.get("lat_p999") is not None else "-")
    return (label,) + tuple(fmt(f.get(k)) for k in (
        "pkt", "pkt_mean", "lat_p50", "lat_p99", "lat_p999", "lat_max")) + (
        ratio, fmt(f.get("irqs")))


def linux_row(serial, ev):
    """Linux's figures: instructions and latency from the plugin's events, interrupts from the
    program's lines."""
    out = dict(ev)
    out["irqs"] = serial["irqs"]
    return out


def notes(f):
    return [
        "Linux: %d measured batches on the forwarder's vCPU, %d of them full (%d); latency "
        "counts both vCPUs' instructions but the forwarder's empty polls; with them (QEMU's "
        "round-robin handoff, host-timed): p50 %s max %s"
        % (f["batches"], f["full"], BATCH, fmt(f["spin_p50"]), fmt(f["spin_max"])),
    ]


def fmt(v):
    return "{:,}".format(v) if isinstance(v, int) else "-"


def symbol(nm, binary, name):
    out = subprocess.run([nm, binary], check=True, capture_output=True, text=True).stdout
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[2] == name:
            return int(parts[0], 16)
    raise ParseError("%s: no symbol %s" % (binary, name))


def run_linux(o, events):
    """Boots the guest as bench-linux does (sidebyside.COMMON) but with 512 MiB, two CPUs
    round-robin instead of -icount, the plugin and bench-fastpath's four e1000s."""
    common, skip = [], 0
    for a in sidebyside.COMMON:
        if skip:
            skip -= 1
        elif a in ("-icount", "-nic", "-m"):
            skip = 1
        else:
            common.append(a)
    argv = [o.qemu, "-kernel", o.kernel, "-initrd", o.initrd, "-append", o.append] + common
    argv += ["-m", "512", "-smp", "2", "-accel", "tcg,thread=single", "-plugin",
             "%s,marks=%#x,out=%s" % (o.plugin, symbol(o.nm, o.binary, "l2mark"), events)]
    return sidebyside.boot(argv + devices(), o.timeout, DONE)


def devices():
    """bench-fastpath's e1000s (grade/l2fwdtests.py) with QEMU's interrupt mitigation off:
    its timer runs on host time without icount (the README says why)."""
    return [a + ",mitigation=off" if a.startswith("e1000,") else a
            for a in l2fwdtests.devices()]


def read(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        return f.read()


def measure(o):
    """(serial text, its name, events text, their name), from a boot or saved files."""
    if o.linux_log:
        return read(o.linux_log), o.linux_log, read(o.events), o.events
    with tempfile.TemporaryDirectory(prefix="exolab-l2fwd-") as tmp:
        events = os.path.join(tmp, "events")
        t0 = time.monotonic()
        text = run_linux(o, events)
        ev = read(events) if os.path.exists(events) else ""
    for path, data in ((o.save, text), (o.save and o.save + ".events", ev)):
        if path:
            with open(path, "w") as f:
                f.write(data)
    print("linux: booted and ran in %.0f s (serial in %s)" % (time.monotonic() - t0,
                                                             o.save or "-"), file=sys.stderr)
    return text, "linux serial", ev, "plugin events"


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--qemu", default=os.environ.get("QEMU", "qemu-system-x86_64"))
    p.add_argument("--kernel", help="the Linux guest's vmlinuz")
    p.add_argument("--initrd", help="the initramfs (mkinitramfs.py --module e1000.ko)")
    p.add_argument("--binary", help="the forwarder program (for its l2mark address)")
    p.add_argument("--plugin", help="l2count.so")
    p.add_argument("--nm", default="nm")
    p.add_argument("--append", default=APPEND, help="the Linux kernel command line")
    p.add_argument("--linux-log", help="parse this saved serial output (with --events)")
    p.add_argument("--events", help="the plugin's saved event lines")
    p.add_argument("--exolab-log", required=True, help="`make bench-fastpath`'s output")
    p.add_argument("--save", help="file to keep the serial output in (events: FILE.events)")
    p.add_argument("--timeout", type=float, default=900, help="seconds for the boot")
    o = p.parse_args()
    if o.linux_log and not o.events:
        p.error("--linux-log needs --events")
    if not o.linux_log and not (o.kernel and o.initrd and o.binary and o.plugin):
        p.error("--kernel, --initrd, --binary and --plugin (or --linux-log) are needed")
    try:
        exo = parse_exolab(read(o.exolab_log), o.exolab_log)
        text, source, events, esource = measure(o)
        try:
            lin = linux_row(parse_serial(text, source),
                            figures(parse_events(events, esource), esource))
        except ParseError:
            tail = "\n".join(text.rstrip("\n").splitlines()[-20:])
            print("linux: serial tail:\n%s" % tail, file=sys.stderr)
            raise
    except (ParseError, OSError, subprocess.CalledProcessError) as e:
        print("bench-linux-l2fwd: %s" % e, file=sys.stderr)
        return 1
    print(table(exo, lin))
    print("\n".join(notes(lin)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
