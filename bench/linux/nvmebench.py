#!/usr/bin/env python3
"""`make bench-linux-nvme`: Linux 6.1's instructions per 4 KiB read from QEMU's NVMe
controller (bench/os/linux_nvme.c in a busybox initramfs with the nvme modules), next to
ExoLab's software path from `make bench-nvme`.  Boots the Linux guest as sidebyside.py does
(-icount shift=0,sleep=off, qemu64, one CPU, 256 MiB) plus the NVMe controller bench-nvme
gives ExoLab, collects its `NVME <row> min A median B mean C max D n E` and `NVME-NA <row>
<why>` lines, and prints one table (method: bench/linux/README.md).  --linux-log and
--exolab-log read saved output instead of running."""

import argparse
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import sidebyside  # noqa: E402

NVME = re.compile(r"^NVME (\S+) min (\d+) median (\d+) mean (\d+) max (\d+) n (\d+)$")
NVME_NA = re.compile(r"^NVME-NA (\S+) (.+)$")
NVME_IRQ = re.compile(r"^NVME-IRQ (\S+) (\d+) (\d+)$")
DONE = re.compile(r"^nvmebench: done, (\d+) failed$", re.M)
EXO_BENCH = re.compile(r"^BENCH (nvme_\S+) (\d+) instructions$")
FIELDS = ("min", "median", "mean", "max", "n")

# (row, queue depth, what Linux does), in table order.  A row's figures: `row` (the whole
# I/O), `row`_wait (an idle spinner's count while it blocked), `row`_busy (total - wait, per
# I/O), `row`_sw (split: submit + complete, + the interrupt's work for an interrupt-driven
# ring).
ROWS = [
    ("pread_qd1", 1, "O_DIRECT pread, interrupt"),
    ("preadv2_hipri_qd1", 1, "O_DIRECT preadv2 RWF_HIPRI"),
    ("uring_qd1_intr", 1, "io_uring, interrupt"),
    ("uring_qd1_poll", 1, "io_uring IOPOLL"),
    ("uring_qd1_poll_fixed", 1, "io_uring IOPOLL, fixed file+buffer"),
    ("uring_qd32_intr", 32, "io_uring, interrupt"),
    ("uring_qd32_poll", 32, "io_uring IOPOLL"),
    ("uring_qd32_poll_fixed", 32, "io_uring IOPOLL, fixed file+buffer"),
]


class ParseError(Exception):
    pass


def parse_linux(text, source):
    """{row: {min, median, mean, max, n} or 'n/a (why)'}, and for `NVME-IRQ row irqs ios`
    {row + "@irq": (irqs, ios)}; ParseError (FILE:LINE: what) on a malformed or repeated
    line, when the run did not end with `nvmebench: done, 0 failed`, or when the idle
    spinner's check (sleep_1ms) shows it did not see the wait."""
    rows = {}
    text = text.replace("\r", "")
    for lineno, line in enumerate(text.splitlines(), 1):
        m = NVME.match(line) or NVME_NA.match(line) or NVME_IRQ.match(line)
        if not m:
            if line.startswith("NVME"):
                raise ParseError("%s:%d: malformed NVME line: %r" % (source, lineno, line))
            continue
        name = m.group(1) + ("@irq" if m.re is NVME_IRQ else "")
        if name in rows:
            raise ParseError("%s:%d: %s printed twice" % (source, lineno, name))
        if m.re is NVME:
            rows[name] = dict(zip(FIELDS, (int(v) for v in m.groups()[1:])))
        elif m.re is NVME_IRQ:
            rows[name] = (int(m.group(2)), int(m.group(3)))
        else:
            rows[name] = "n/a (%s)" % m.group(2)
    done = DONE.search(text)
    if not done:
        raise ParseError("%s: no `nvmebench: done` line (the run did not finish)" % source)
    if done.group(1) != "0":
        raise ParseError("%s: %s row(s) failed" % (source, done.group(1)))
    check_spinner(rows, source)
    return rows


def check_spinner(rows, source):
    """usleep(1000) blocks 1,000,000 instructions with no device: the spinner must have run
    (nearly) all of it, or the blocking rows' wait and busy figures mean nothing."""
    total, wait = rows.get("sleep_1ms"), rows.get("sleep_1ms_wait")
    if isinstance(total, dict) and isinstance(wait, dict):
        if wait["median"] < 0.9 * total["median"]:
            raise ParseError("%s: the idle spinner ran %d of a 1 ms sleep's %d instructions "
                             "(wanted >= 90%%)" % (source, wait["median"], total["median"]))
    elif any(n.endswith("_wait") for n in rows):
        raise ParseError("%s: _wait rows without the spinner's check (sleep_1ms)" % source)


def parse_exolab(text, source):
    """{name: instructions} of bench-nvme's `BENCH nvme_* N instructions` lines."""
    out = {}
    for line in text.replace("\r", "").splitlines():
        m = EXO_BENCH.match(line.strip())
        if m:
            out[m.group(1)] = int(m.group(2))
    if "nvme_read4k_sw" not in out:
        raise ParseError("%s: no `BENCH nvme_read4k_sw N instructions` line" % source)
    return out


def exolab_sw(exo, qd):
    """ExoLab's software path at queue depth 1 (nvme_read4k_sw) or 32 (a *qd32*_sw line, when
    bench-nvme prints one), else None."""
    if qd == 1:
        return exo.get("nvme_read4k_sw")
    names = sorted(n for n in exo if "qd32" in n and n.endswith("_sw"))
    return exo[names[0]] if names else None


def fig(rows, name, field="min"):
    v = rows.get(name)
    return v[field] if isinstance(v, dict) else None


def irqs(rows, row):
    """NVMe interrupts per I/O in the row's run (the whole-I/O run, else the split one)."""
    v = rows.get(row + "@irq") or rows.get(row + "_sw@irq")
    return "%.2f" % (v[0] / v[1]) if v and v[1] else "-"


def table(lin, exo):
    """Per row, per I/O: NVMe interrupts; the whole I/O and the wait in it (medians: the
    device's time is the host's, and a blocking path changes with it, e.g. whether the reader
    slept; at QD32 a minimum would also be biased, a sample being 32 completions, not the 32
    I/Os submitted in it); the software path (split: the minimum, an exact path; total-wait:
    the median); ExoLab's; Linux/ExoLab of the software paths."""
    head = ("Linux path", "QD", "irq/IO", "total", "wait", "software", "(how)", "ExoLab sw",
            "Linux/ExoLab")
    lines = []
    for row, qd, what in ROWS:
        lines += table_rows(lin, exo, row, qd, what)
    widths = [max(len(r[i]) for r in [head] + lines) for i in range(len(head))]
    out = []
    for i, r in enumerate([head] + lines):
        out.append(" | ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())
        if i == 0:
            out.append("-+-".join("-" * w for w in widths))
    enter0 = fig(lin, "uring_qd1_poll_enter0")
    if enter0 is not None:
        out.append("io_uring_enter with nothing to do: %s instructions (an enter that submits "
                   "and polls saves one over the split's two)" % fmt(enter0))
    return "\n".join(out)


def table_rows(lin, exo, row, qd, what):
    """One table line for the row; a blocking row whose samples split by whether the reader
    slept gets one more line per kind of sample, each with its own software path."""
    out = [table_line(lin, exo, row, qd, what)]
    for kind, label in (("slept", "slept"), ("awake", "done before sleeping")):
        v = lin.get("%s_%s" % (row, kind))
        if isinstance(v, dict):
            sw = v["median"]
            e = exolab_sw(exo, qd)
            ratio = "%.1f" % (sw / e) if e else "-"
            out.append(("  %s: %d of %d samples" % (label, v["n"], fig(lin, row, "n") or 0), "",
                        "", "", "", fmt(sw), "total-wait", fmt(e), ratio))
    return out


def table_line(lin, exo, row, qd, what):
    """The row's main line (see table)."""
    total = fig(lin, row, "median")
    split = fig(lin, row + "_sw")
    idle, busy = fig(lin, row + "_wait", "median"), fig(lin, row + "_busy", "median")
    if split is not None:
        sw, how = split, "split"
    elif busy is not None:
        sw, how = busy, "total-wait"
    else:
        sw, how = None, "-"
    wait = idle if idle is not None else (total - sw if total is not None and sw else None)
    wait = None if wait is not None and wait < 0 else wait
    e = exolab_sw(exo, qd)
    ratio = "%.1f" % (sw / e) if sw and e else "-"
    na = lin.get(row) if isinstance(lin.get(row), str) else None
    return ("%s (%s)" % (what, row), str(qd), irqs(lin, row), na or fmt(total), fmt(wait),
            fmt(sw), how, fmt(e), ratio)


def fmt(v):
    return "{:,}".format(v) if isinstance(v, int) else "-"


def linux_argv(o):
    return sidebyside.linux_argv(o.qemu, o.kernel, o.initrd, o.append) + [
        "-drive", "file=%s,if=none,format=raw,id=nv0" % o.image,
        "-device", "nvme,drive=nv0,serial=exolab-nvme0"]


def read(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        return f.read()


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--qemu", default=os.environ.get("QEMU", "qemu-system-x86_64"))
    p.add_argument("--kernel", help="the Linux guest's vmlinuz")
    p.add_argument("--initrd", help="the initramfs (mkinitramfs.py --module ...)")
    p.add_argument("--image", help="the NVMe namespace's raw image")
    p.add_argument("--append", default="console=ttyS0 quiet panic=-1",
                   help="the Linux kernel command line")
    p.add_argument("--linux-log", help="parse this saved Linux serial output instead")
    p.add_argument("--exolab-log", required=True, help="`make bench-nvme`'s output")
    p.add_argument("--save", help="file to keep the Linux serial output in")
    p.add_argument("--timeout", type=float, default=600, help="seconds for the boot")
    o = p.parse_args()
    if not o.linux_log and not (o.kernel and o.initrd and o.image):
        p.error("--kernel, --initrd and --image (or --linux-log) are needed")
    try:
        exo = parse_exolab(read(o.exolab_log), o.exolab_log)
        if o.linux_log:
            text, source = read(o.linux_log), o.linux_log
        else:
            t0 = time.monotonic()
            text, source = sidebyside.boot(linux_argv(o), o.timeout, DONE), "linux serial"
            if o.save:
                with open(o.save, "w") as f:
                    f.write(text)
            print("linux: booted and ran in %.0f s (serial in %s)"
                  % (time.monotonic() - t0, o.save or "-"), file=sys.stderr)
        try:
            lin = parse_linux(text, source)
        except ParseError:
            tail = "\n".join(text.rstrip("\n").splitlines()[-20:])
            print("linux: serial tail:\n%s" % tail, file=sys.stderr)
            raise
    except (ParseError, OSError) as e:
        print("bench-linux-nvme: %s" % e, file=sys.stderr)
        return 1
    print(table(lin, exo))
    return 0


if __name__ == "__main__":
    sys.exit(main())
