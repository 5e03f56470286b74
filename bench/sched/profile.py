#!/usr/bin/env python3
"""Where a benchmark's instructions go: instructions per function in one timed window.

Boots the ISO under `qemu -icount shift=0 -singlestep` (one instruction per translation
block) with a GDB stub, stops with a hardware breakpoint at the window's first rdtsc in the
user program, turns on QEMU's per-block execution log (`-d exec,nochain`, so every executed
instruction is one log line) and lets the machine run for --warmup + --rounds windows, and
maps each logged PC to the function that holds it (`nm` of the kernel ELF and of the user
program).  Prints the window sizes seen and, for the smallest window (the benchmark reports
the smallest), the instructions of each function in order of first execution, and the
total, which must equal the benchmark's BENCH figure (the same window under icount).

The window is the first `rdtsc; ...; syscall; rdtsc` run of straight-line code in the
program (the shape of schedtest's yield loop and of benchnull's timed block), or --window
START:END (hex addresses of the two rdtsc).

  bench/sched/profile.py                       # the yield round trip (make bench-ctxsw)
  bench/sched/profile.py --prog benchnull --args "tests=benchnull lockcheck=off"
  make bench-ctxsw-profile                     # the first, with the tree's ISO
"""

import argparse
import bisect
import collections
import os
import re
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OBJ = os.environ.get("OBJ", "obj")
TRACE_PC = re.compile(r"^Trace \d+: \S+ \[[0-9a-f]+/([0-9a-f]+)/")
INSN = re.compile(r"^\s*([0-9a-f]+):\s+(\S+)")
POLL_SECONDS = 0.2  # how often the log is read (waiting, not synchronising)
WINDOW_SPAN = 8  # instructions from the first rdtsc to the second, at most


def fail(where, what):
    print("%s: %s" % (where, what), file=sys.stderr)
    sys.exit(1)


def functions(elf):
    """Sorted [(addr, name)] of the text symbols of `elf`."""
    out = subprocess.run(["nm", "-n", "--defined-only", elf], capture_output=True, text=True)
    if out.returncode != 0:
        fail(elf, "nm failed: " + out.stderr.strip())
    syms = []
    for line in out.stdout.splitlines():
        f = line.split()
        if len(f) == 3 and f[1] in "TtWw":
            syms.append((int(f[0], 16), f[2]))
    return syms


def find_window(elf):
    """(start, end): the first rdtsc ... syscall ... rdtsc of straight-line code in elf."""
    out = subprocess.run(["objdump", "-d", "--no-show-raw-insn", elf], capture_output=True,
                         text=True)
    if out.returncode != 0:
        fail(elf, "objdump failed: " + out.stderr.strip())
    insns = [(int(m.group(1), 16), m.group(2)) for m in map(INSN.match, out.stdout.splitlines())
             if m]
    for i, (addr, op) in enumerate(insns):
        if op != "rdtsc":
            continue
        seen_syscall = False
        for a, o in insns[i + 1:i + 1 + WINDOW_SPAN]:
            if o.startswith("j") or o.startswith("call") or o.startswith("ret"):
                break
            if o == "syscall":
                seen_syscall = True
            elif o == "rdtsc":
                if seen_syscall:
                    return addr, a
                break
    fail(elf, "no rdtsc; ...; syscall; rdtsc window (give --window START:END)")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(opts, start, tmp):
    """Boots, logs --warmup + --rounds windows from `start`, returns the log's path."""
    log, serial, port = os.path.join(tmp, "exec.log"), os.path.join(tmp, "serial"), free_port()
    qemu = [opts.qemu, "-cdrom", opts.iso, "-m", "256", "-display", "none", "-no-reboot",
            "-nic", "none", "-monitor", "none", "-serial", "file:" + serial,
            "-icount", "shift=0,sleep=off", "-singlestep", "-D", log,
            "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
            "-fw_cfg", "name=opt/exolab/cmdline,string=" + opts.args.replace(",", ",,"),
            "-gdb", "tcp:127.0.0.1:%d" % port, "-S"]
    gdb = ["gdb", "-nx", "-batch",
           "-ex", "set pagination off", "-ex", "set confirm off",
           "-ex", "target remote 127.0.0.1:%d" % port,
           "-ex", "hbreak *0x%x" % start,
           "-ex", "continue",
           "-ex", "delete",
           "-ex", "monitor log exec,nochain",
           "-ex", "detach"]
    # The breakpoint stops the machine once, at the first window; the log is on from there
    # and the machine runs free (a stop per window would perturb them: every one took a
    # timer interrupt), until the log holds --warmup + --rounds windows.
    proc = subprocess.Popen(qemu, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.monotonic() + opts.timeout
    try:
        g = subprocess.run(gdb, capture_output=True, text=True, timeout=opts.timeout)
        marker, seen, off = ("/%016x/" % start).encode(), 0, 0
        while proc.poll() is None and time.monotonic() < deadline:
            if os.path.exists(log):
                with open(log, "rb") as f:
                    f.seek(off)
                    chunk = f.read()
                cut = chunk.rfind(b"\n") + 1
                seen += chunk[:cut].count(marker)
                off += cut
                if seen > opts.warmup + opts.rounds:
                    break
            time.sleep(POLL_SECONDS)
    except subprocess.TimeoutExpired:
        g = None
    finally:
        proc.kill()
        proc.wait()
    if g is None or not os.path.exists(log) or os.path.getsize(log) == 0:
        tail = open(serial, errors="replace").read()[-800:] if os.path.exists(serial) else ""
        fail(opts.name, "no execution log (gdb %s); serial tail:\n%s"
             % ("timed out" if g is None else "said: " + g.stderr.strip()[-400:], tail))
    return log


def windows(log, start, end):
    """Yields each window's list of PCs: from `start` (included) to `end` (excluded)."""
    cur = None
    with open(log, errors="replace") as f:
        for line in f:
            m = TRACE_PC.match(line)
            if not m:
                continue
            pc = int(m.group(1), 16)
            if pc == start:
                cur = []
            elif pc == end and cur is not None:
                yield cur
                cur = None
            if cur is not None:
                cur.append(pc)


def symbolise(pcs, kern, user):
    """{function: instructions} in order of first execution."""
    counts = collections.OrderedDict()
    for pc in pcs:
        syms = kern if pc >= 0xffff800000000000 else user
        i = bisect.bisect_right(syms, (pc, "\x7f")) - 1
        name = syms[i][1] if i >= 0 else "?"
        name = ("user:" if syms is user else "") + name
        counts[name] = counts.get(name, 0) + 1
    return counts


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--name", default="profile", help="for messages")
    p.add_argument("--prog", default="schedtest", help="the user program holding the window")
    p.add_argument("--args", default="init=schedtest tests=yield sched=rr lockcheck=off",
                   help="kernel command line")
    p.add_argument("--window", help="START:END, hex addresses of the two rdtsc")
    p.add_argument("--warmup", type=int, default=5, help="logged windows left out first")
    p.add_argument("--rounds", type=int, default=20, help="windows profiled (the smallest is shown)")
    p.add_argument("--iso", default=os.path.join(ROOT, OBJ, "exolab.iso"))
    p.add_argument("--kernel", default=os.path.join(ROOT, OBJ, "kern", "kernel"))
    p.add_argument("--qemu", default=os.environ.get("QEMU", "qemu-system-x86_64"))
    p.add_argument("--timeout", type=float, default=300, help="seconds for the whole run")
    opts = p.parse_args()
    prog = os.path.join(ROOT, OBJ, "user", opts.prog)
    for path in (opts.iso, opts.kernel, prog):
        if not os.path.exists(path):
            fail(path, "missing (run make first)")
    if opts.window:
        try:
            start, end = (int(x, 16) for x in opts.window.split(":"))
        except ValueError:
            fail("--window", "want START:END in hex, got %r" % opts.window)
    else:
        start, end = find_window(prog)
    kern, user = functions(opts.kernel), functions(prog)
    with tempfile.TemporaryDirectory(prefix="exolab-profile-") as tmp:
        got = list(windows(run(opts, start, tmp), start, end))
    if not got:
        fail(opts.name, "the log holds no whole window 0x%x..0x%x" % (start, end))
    got = got[opts.warmup:] or got[-1:]
    best = min(got, key=len)
    sizes = collections.Counter(len(w) for w in got)
    print("# window 0x%x..0x%x of %s; %d windows logged after %d: %s; the smallest:" %
          (start, end, opts.prog, len(got), opts.warmup,
           ", ".join("%d x %d insns" % (n, size) for size, n in sorted(sizes.items()))))
    counts = symbolise(best, kern, user)
    for name, n in counts.items():
        print("%6d  %s" % (n, name))
    print("%6d  total" % sum(counts.values()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
