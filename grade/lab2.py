#!/usr/bin/env python3
"""Lab 2 grader (physical pages, page tables, the kernel address space).

`test=mm` makes the kernel check its allocator, heap, page tables and address space on the
real (emulated) machine and print one `mm-check: NAME: OK` or `mm-check: NAME: FAIL why` line
per check (kern/test/mm.c, mm_pt.c, kvm.c); each check is worth its own points.  The protection
tests must end in the page-fault dump for the right access, the `pages` command must add up, a
machine with memory above 4 GiB must get all of it (and the framebuffer console must work
there), and on a CPU with SMEP and SMAP (QEMU's `-cpu max`) both must be on."""

import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import gradelib  # noqa: E402

LAB = gradelib.Lab("lab2", fail_fast=[gradelib.LOCKCHECK_REPORT])

BANNER = r"^ExoLab x86-64"
PROMPT = r"^K> "
DONE = r"^mm-check: done: \d+ passed, \d+ failed$"
PAGE = 4096

# Every self-check the kernel runs, in order, with its points (0: given code, checked only).
MM_CHECKS = {
    "pmm-consistent": 2, "alloc-free": 3, "orders": 3, "split-coalesce": 4, "exhaustion": 4,
    "page-record": 2, "kmalloc-classes": 0, "kmalloc-many": 2,
    "pt-map": 4, "pt-protect": 3, "pt-unmap": 3, "pt-huge": 3, "pt-destroy": 3,
    "kernel-root": 2, "kernel-text": 3, "kernel-rodata": 2, "kernel-data": 2,
    "guard-pages": 3, "directmap": 3, "directmap-alias": 2, "memory-types": 2,
    "cpu-paging": 0, "leaks": 4,
}
# kmalloc-classes checks the given heap and cpu-paging the given CPU set-up: they pass on the
# untouched handout, so they are checked (a broken tree fails them) but earn nothing.
STATS = re.compile(r"^pages: total (\d+) reserved (\d+) managed (\d+) free (\d+) "
                   r"allocated (\d+) \((\d+) regions\)$", re.M)
ORDERS = re.compile(r"^pages: free blocks by order:((?: \d+:\d+)+)$", re.M)
MEM_LINE = re.compile(r"^mem: 0x([0-9a-f]{16})-0x([0-9a-f]{16}) available$", re.M)


def check_lines(run, parts):
    """One part per self-check: its line must say OK; FAIL and missing lines lose it."""
    for name in MM_CHECKS:
        m = re.search(r"^mm-check: %s: (OK|FAIL.*)$" % re.escape(name), run.text, re.M)
        part = name if parts else None
        if m is None:
            run.fail("no 'mm-check: %s:' line" % name, part)
        elif m.group(1) != "OK":
            run.fail(m.group(1) if parts else "%s: %s" % (name, m.group(1)), part)


@LAB.test("mm-checks", parts=MM_CHECKS, args="test=mm halt", exit_status=1, until=[DONE],
          timeout=60)
def mm_checks(run):
    check_lines(run, True)
    if re.search(r"^(TRAP \d+|panic: )", run.text, re.M):
        run.notes.append("the kernel trapped or panicked during the checks")


@LAB.test("mm-checks-uefi", points=6, args="test=mm halt", uefi=True, exit_status=1,
          until=[DONE], timeout=120)
def mm_checks_uefi(run):
    check_lines(run, False)


def pages_stats(run, text):
    """The numbers of the `pages` reply as a dict, or None (with a failure) if unreadable."""
    m, o = STATS.search(text), ORDERS.search(text)
    if not m or not o:
        run.fail("the reply lacks the 'pages: total ...' or 'free blocks by order' line",
                 "format")
        return None
    keys = ("total", "reserved", "managed", "free", "allocated", "regions")
    st = dict(zip(keys, map(int, m.groups())))
    st["blocks"] = {int(k): int(v) for k, v in re.findall(r"(\d+):(\d+)", o.group(1))}
    return st


def available_pages(run):
    """Pages of available RAM the memory-map lines announce (rounded inward to pages)."""
    pages = 0
    for start, end in MEM_LINE.findall(run.text):
        s, e = (int(start, 16) + PAGE - 1) // PAGE, int(end, 16) // PAGE
        pages += max(0, e - s)
    return pages


# `pages` is typed after the kernel's checks (test=mm, then the monitor) have allocated and
# freed thousands of blocks: the given `pages` command and memory map are only worth points
# when the student's allocator has given every page back, merged (the untouched handout's
# allocator splits nothing and merges nothing, so it has lost almost all of them).
@LAB.test("pages", parts={"format": 2, "sums": 4, "memory-map": 3, "free": 3}, args="test=mm",
          steps=[(DONE[:-1] + r"[\s\S]*^K> ", "pages"), (PROMPT, "halt")], wait_exit=True,
          timeout=90)
def pages(run):
    reply = run.reply("pages")
    if reply is None:
        run.fail("never got to type 'pages'")
        return
    st = pages_stats(run, reply)
    if st is None:
        return
    if st["free"] < st["managed"] * 9 // 10:
        run.fail("after the kernel's checks only %d of %d managed pages are free: the "
                 "allocator lost pages" % (st["free"], st["managed"]))
        return
    if sorted(st["blocks"]) != list(range(11)):
        run.fail("free blocks listed for orders %s, want 0..10" % sorted(st["blocks"]),
                 "format")
    in_blocks = sum(n << k for k, n in st["blocks"].items())
    if (st["total"] != st["reserved"] + st["managed"] or
            st["managed"] != st["free"] + st["allocated"] or st["free"] != in_blocks):
        run.fail("numbers do not add up: %s, %d pages in free blocks"
                 % (STATS.search(reply).group(0), in_blocks), "sums")
    if st["total"] != available_pages(run):
        run.fail("total %d pages, the memory map has %d available"
                 % (st["total"], available_pages(run)), "memory-map")
    # Kernel image, the first MiB and the page metadata are a few percent; at the prompt
    # almost everything else is free.
    if st["reserved"] > st["total"] // 20 or st["allocated"] > st["managed"] // 10:
        run.fail("%d of %d pages reserved and %d allocated at the prompt"
                 % (st["reserved"], st["total"], st["allocated"]), "free")


# All or nothing: the regions come from the given memory-map code, the total from your direct
# map reaching them.
@LAB.test("memory-above-4g", points=5, mem=4608,
          steps=[(PROMPT, "pages"), (PROMPT, "halt")], wait_exit=True, timeout=90)
def memory_above_4g(run):
    reply = run.reply("pages")
    st = STATS.search(reply or "")
    if st is None:
        run.fail("no 'pages: total ...' reply")
        return
    total, regions = int(st.group(1)), int(st.group(6))
    above = sum(max(0, int(e, 16) - max(int(s, 16), 1 << 32)) // PAGE
                for s, e in MEM_LINE.findall(run.text))
    if above == 0:
        run.fail("the memory map shows no RAM above 4 GiB")
    elif regions < 2:
        run.fail("%d region(s): RAM above 4 GiB is not managed" % regions)
    if total != available_pages(run):
        run.fail("total %d pages, the memory map has %d available"
                 % (total, available_pages(run)))


@LAB.test("fb-above-4g", points=3, args="test=fbhigh halt", mem=4608, exit_status=1,
          until=[r"^ktest: fbhigh done$"], timeout=90)
def fb_above_4g(run):
    """RAM above 4 GiB stands in for a framebuffer there (QEMU's display BARs are 32-bit):
    the framebuffer console must draw on it through the direct map, and refuse one that
    lies beyond the direct map."""
    run.expect(r"^fbhigh: a framebuffer at the direct map's end 0x[0-9a-f]+: E_RANGE OK$")
    run.expect(r"^fbhigh: drew 'fbhigh' at 0x[0-9a-f]{9,}: 0 wrong pixels OK$")


PAGING = re.compile(r"^paging: on:((?: [\w-]+)*); absent:((?: [\w-]+)*)$", re.M)


# Given code turns SMEP and SMAP on: checked (a tree that loses them fails), worth nothing.
@LAB.test("smep-smap", points=0, qemu_args=["-cpu", "max"], until=[PAGING.pattern],
          timeout=30)
def smep_smap(run):
    """QEMU's `max` CPU has SMEP and SMAP (they are in CPUID): the kernel must turn both on,
    and list as absent only what CPUID lacks."""
    m = PAGING.search(run.text)
    if m is None:
        run.fail("no 'paging: on: ...; absent: ...' line")
        return
    on, absent = m.group(1).split(), m.group(2).split()
    for feature in ("smep", "smap"):
        if feature in absent:
            run.fail("the kernel says the CPU lacks %s, but QEMU's -cpu max has it" % feature)
        elif feature not in on:
            run.fail("%s is not on: %r" % (feature, m.group(0)))


def fault_test(name, points, reason, told_re):
    """A protection test: one page-fault dump whose cr2 is the address the test touched and
    whose reason names the access; exit status 3 (dump and halt), one banner (no reset)."""
    @LAB.test("protect-" + name, parts={"trap": points // 2, "access": points - points // 2},
              args="test=%s halt" % name, exit_status=3,
              expect=[r"^TRAP 14 page-fault on cpu 0$"],
              timeout=30)
    def check(run):
        run.expect(BANNER, part="trap", count=1)
        run.expect(r"^TRAP 14 page-fault on cpu 0$", part="trap", count=1)
        cr2 = re.search(r"^cr2=0x([0-9a-f]+) (.*)$", run.text, re.M)
        told = re.search(told_re, run.text, re.M)
        if not cr2 or not told:
            run.fail("missing the test's address line or cr2 in the dump", "access")
            return
        if int(cr2.group(1), 16) != int(told.group(1), 16):
            run.fail("cr2=0x%s, but the test touched 0x%s" % (cr2.group(1), told.group(1)),
                     "access")
        if reason not in cr2.group(2):
            run.fail("page-fault reason %r should contain %r" % (cr2.group(2), reason),
                     "access")


fault_test("wp", 8, "kernel write of a present (protection violation) page",
           r"^wp: writing kernel text at 0x([0-9a-f]+)$")
fault_test("nx", 8, "kernel instruction fetch of a present (protection violation) page",
           r"^nx: calling heap buffer 0x([0-9a-f]+)$")
fault_test("guard", 8, "kernel write of a not-present page",
           r"^guard: writing 0x([0-9a-f]+), just below the boot stack$")


if __name__ == "__main__":
    sys.exit(gradelib.main([LAB]))
