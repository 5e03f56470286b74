#!/usr/bin/env python3
"""Lab 4 part B grader: FPU isolation (this block; the SMP tests join it in this file).

Every FPU test boots with `tests=fputest,hello leakcheck` and a CPU model that picks the
kernel's save instruction: QEMU's default qemu64 and `-cpu qemu64` have no XSAVE (FXSAVE),
`-cpu max` has XSAVE, XSAVEOPT and AVX (QEMU's TCG has no XSAVES, which the kernel uses only
with `fpu=xsaves`), and `fpu=NAME` on the
kernel command line caps the choice so the plain XSAVE path and FXSAVE on an AVX CPU are
reached too.  The kernel's `fpu:` line must name the path; fputest's workers must each say
`fputest: env K ok (checks M)`, the parent its summary, and nothing may leak."""

import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import gradelib  # noqa: E402

LEAK = re.compile(r"^leak-check: pages (\d+) caps (\d+) heap (\d+)$", re.M)
KERNEL_DIED = [r"^panic: ", r"^TRAP \d+ ", r"^ExoLab x86-64[\s\S]*^ExoLab x86-64"]
LAB = gradelib.Lab("lab4b", fail_fast=KERNEL_DIED + [r"^env: cannot start init"])

FPU_WORKERS = 4
FPU_TESTS = ["fputest", "hello"]
FPU_LINE = re.compile(r"^fpu: (\w+), xcr0 0x([0-9a-f]+) \(([\w ]+)\), (\d+)-byte save area "
                      r"per env, eager switch$", re.M)


def fpu_section(run, name):
    m = re.search(r"^init: start %s\n([\s\S]*?)^init: end %s$" % (name, name), run.text, re.M)
    return m.group(1) if m else None


def fpu_leaks(run, part):
    """The last leak-check line inside fputest's frame equals the one before it started."""
    first = re.search(r"^init: start fputest$", run.text, re.M)
    before = LEAK.findall(run.text[:first.start()]) if first else []
    text = fpu_section(run, "fputest")
    after = LEAK.findall(text) if text else []
    if not before or not after:
        run.fail("no leak-check lines around fputest", part)
    elif after[-1] != before[-1]:
        run.fail("after fputest: pages %s caps %s heap %s, before: pages %s caps %s heap %s"
                 % (after[-1] + before[-1]), part)


def fpu_test(name, modes, avx, qemu_args=(), extra=""):
    """fputest on one CPU model: `modes` are the save instructions the kernel may pick,
    `avx` whether the workers must see AVX (and so check ymm0-15 whole)."""

    @LAB.test(name, parts={"path": 2, "workers": 8, "kernel-path": 4, "summary": 2, "leak": 2},
              args=("tests=%s leakcheck %s" % (",".join(FPU_TESTS), extra)).strip(),
              qemu_args=list(qemu_args),
              until=[r"^init: all %d tests done$" % len(FPU_TESTS)], reject=KERNEL_DIED,
              timeout=120)
    def check(run):
        m = FPU_LINE.search(run.text)
        if m is None:
            run.fail("no 'fpu: ...' line from the kernel", "path")
        else:
            mode, xcr0, size = m.group(1), int(m.group(2), 16), int(m.group(4))
            if mode not in modes:
                run.fail("the kernel picked %s, expected %s" % (mode, " or ".join(modes)),
                         "path")
            if bool(xcr0 & 4) != avx:
                run.fail("xcr0 0x%x %s AVX" % (xcr0, "lacks" if avx else "has"), "path")
            if size < 512:
                run.fail("a %d-byte save area is smaller than FXSAVE's" % size, "path")
        text = fpu_section(run, "fputest") or ""
        run.expect(r"^fputest: x87 sse2%s, %d workers$" % (" avx" if avx else "", FPU_WORKERS),
                   part="path", text=text)
        ok = {int(k) for k in re.findall(r"^fputest: env (\d+) ok \(checks \d+\)$", text, re.M)}
        for line in re.findall(r"^fputest: env \d+: .* FAIL .*$", text, re.M)[:5]:
            run.notes.append(line)
        run.fraction("workers", len(ok & set(range(1, FPU_WORKERS + 1))), FPU_WORKERS,
                     "workers kept their x87/SSE state")
        run.expect(r"^fputest: kernel path ok \(checks \d+\)$", part="kernel-path", text=text)
        run.expect(r"^fputest: %d of %d envs ok, \d+ checks, 0 failed$"
                   % (FPU_WORKERS, FPU_WORKERS), part="summary", text=text)
        run.expect(r"^\[env 0x[0-9a-f]+\] exit status 0$", part="summary", text=text,
                   count=FPU_WORKERS + 1)
        fpu_leaks(run, "leak")
    return check


fpu_test("fpu-default-machine-fxsave", ["fxsave"], avx=False)
fpu_test("fpu-qemu64-fxsave", ["fxsave"], avx=False, qemu_args=["-cpu", "qemu64"])
fpu_test("fpu-max-xsaveopt-avx", ["xsaveopt"], avx=True, qemu_args=["-cpu", "max"])
fpu_test("fpu-max-capped-to-xsave", ["xsave"], avx=True, qemu_args=["-cpu", "max"],
         extra="fpu=xsave")
fpu_test("fpu-max-capped-to-fxsave", ["fxsave"], avx=False, qemu_args=["-cpu", "max"],
         extra="fpu=fxsave")


if __name__ == "__main__":
    sys.exit(gradelib.main([LAB]))
