#!/usr/bin/env python3
"""Lab 1 grader (boot, consoles, printf, backtrace, monitor, traps); the serial formats it
matches are the contract in docs/architecture.md."""

import collections
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "unit", "printf"))

import gradelib  # noqa: E402
import printf_cases  # noqa: E402  (expected printf lines, shared with the host unit test)

LAB = gradelib.Lab("lab1", fail_fast=[gradelib.LOCKCHECK_REPORT])
ROOT = gradelib.ROOT

BANNER = r"^ExoLab x86-64"
PROMPT = r"^K> "
MEM_LINE = re.compile(r"^mem: 0x([0-9a-f]{16})-0x([0-9a-f]{16}) (\S+)$", re.M)
BT_LINE = re.compile(r"^  rbp ([0-9a-f]{16}) rip ([0-9a-f]{16}) (\S+)\+0x([0-9a-f]+) "
                     r"args ([0-9a-f]+) ([0-9a-f]+) ([0-9a-f]+)$", re.M)
TRAP_LINE = r"^TRAP %d %s on cpu 0$"
MIB = 1 << 20


def backtrace_frames(text):
    """(rbp, symbol, arg0, arg1) of every backtrace line in `text`, innermost first."""
    return [(int(m.group(1), 16), m.group(3), int(m.group(5), 16), int(m.group(6), 16))
            for m in BT_LINE.finditer(text)]


def check_chain(run, frames, part, outermost="kern_main"):
    """A backtrace walks outwards: frame pointers strictly increase up to `outermost`
    (None: wherever the chain ends)."""
    if not frames:
        run.fail("no backtrace lines", part)
        return
    if outermost and frames[-1][1] != outermost:
        run.fail("backtrace ends at %s, not %s" % (frames[-1][1], outermost), part)
    for inner, outer in zip(frames, frames[1:]):
        if outer[0] <= inner[0]:
            run.fail("rbp %x of %s is not above rbp %x of %s"
                     % (outer[0], outer[1], inner[0], inner[1]), part)
            return


def check_memory_map(run, part):
    """The `mem:` lines of the boot (your multiboot2 memory-map parser): well formed, and
    the available ranges add up to the machine's memory."""
    lines = re.findall(r"^mem: .*$", run.text, re.M)
    entries = MEM_LINE.findall(run.text)
    if not entries or len(entries) != len(lines):
        run.fail("expected 'mem: 0x<16 hex>-0x<16 hex> <type>' lines, got %d of %d"
                 % (len(entries), len(lines)), part)
        return
    usable = sum(int(e, 16) - int(s, 16) for s, e, kind in entries if kind == "available")
    if any(int(e, 16) <= int(s, 16) for s, e, _ in entries):
        run.fail("a memory range ends before it starts", part)
    # The machine has run.test.mem MiB; firmware keeps a little, and nothing is invented.
    if not (run.test.mem - 16) * MIB <= usable <= run.test.mem * MIB:
        run.fail("available memory adds up to %d KiB for a %d MiB machine"
                 % (usable // 1024, run.test.mem), part)


# The banner, the prompt and a boot without a reset come from given code (the boot path and
# the console): checked, so a tree that no longer boots fails, but worth nothing.
@LAB.test("boot-bios", parts={"banner": 0, "memory-map": 3, "prompt": 0, "no-reset": 0},
          until=[PROMPT], timeout=30)
def boot_bios(run):
    run.expect(BANNER, part="banner")
    run.expect(BANNER, part="no-reset", count=1)
    run.expect(PROMPT, part="prompt")
    check_memory_map(run, "memory-map")


def font_glyphs(path):
    """The bitmap of kern/dev/font8x16.c: {code: [16 row bytes]}; absent codes are blank."""
    with open(path) as f:
        src = re.sub(r"/\*.*?\*/", "", f.read(), flags=re.S)
    body = src[src.index("font8x16"):]
    glyphs = {}
    for m in re.finditer(r"\[\s*(0x[0-9a-fA-F]+|\d+|'.')\s*\]\s*=\s*\{([^}]*)\}", body):
        key = m.group(1)
        code = ord(key[1]) if key.startswith("'") else int(key, 0)
        glyphs[code] = [int(v, 0) for v in m.group(2).replace(",", " ").split()]
    return glyphs


def lit_pixels(screen, row):
    """White pixels in text row `row` (8x16 cells from pixel (0,0))."""
    lit = 0
    for y in range(16 * row, min(16 * row + 16, screen.height)):
        for x in range(screen.width):
            r, g, b = screen.pixel(x, y)
            lit += r >= 0x80 and g >= 0x80 and b >= 0x80
    return lit


def glyph_bits(glyphs, text):
    return sum(bin(b).count("1") for c in text for b in glyphs.get(ord(c), []))


# The banner is given code (worth nothing); the framebuffer console's line needs your printf.
@LAB.test("boot-uefi-framebuffer", parts={"banner": 0, "fb-console": 4, "screen": 8},
          uefi=True, until=[PROMPT], screendump=True, timeout=120)
def boot_uefi(run):
    run.expect(BANNER, part="banner", count=1)
    fb = re.search(r"^console: framebuffer \d+x\d+x\d+ .*$", run.text, re.M)
    if not fb:
        run.fail("missing /console: framebuffer WxHxBPP/", "fb-console")
        run.fail("no framebuffer console to look at", "screen")
        return
    if run.screen is None:
        run.fail("no screendump (the run did not reach the prompt)", "screen")
        return
    # The framebuffer console starts with the line that announces it; row k shows the k-th
    # line printed from there on, or a later one once the console has scrolled.  Find the
    # scroll offset at which every text row's white pixels match its line's glyph bits.
    shown = run.text[fb.start():].split("\n")
    banner = next((i for i, l in enumerate(shown) if re.match(BANNER, l)), None)
    if banner is None:
        run.fail("the banner was printed before the framebuffer console started", "screen")
        return
    glyphs = font_glyphs(os.path.join(ROOT, "kern/dev/font8x16.c"))
    want = [glyph_bits(glyphs, line) for line in shown]
    rows = [lit_pixels(run.screen, r) for r in range(min(run.screen.height // 16, len(shown)))]
    for offset in range(len(shown) - len(rows) + 1):
        if rows == want[offset:offset + len(rows)]:
            if not offset <= banner < offset + len(rows):
                run.fail("the banner has scrolled off the screen", "screen")
            return
    run.fail("the screen does not show the serial lines in the font: row 0 has %d white "
             "pixels, %r has %d glyph bits; the banner's row %d has %d, its glyphs %d"
             % (rows[0], shown[0], want[0], banner, rows[banner] if banner < len(rows) else -1,
                want[banner]), "screen")


def printf_number_cases(path):
    """For each case of lib/printfmt_cases.h, in order: whether it prints a number (d i u x
    X o, and %p of a non-null pointer), the conversions your fmt_number writes."""
    numbers = []
    with open(path) as f:
        for line in f:
            m = printf_cases.CASE_LINE.match(line.strip())
            if not m:
                continue
            conv = [d.group(5) for d in printf_cases.DIRECTIVE.finditer(m.group(2))
                    if d.group(5) != "%"][0]
            value = printf_cases.parse_value(m.group(5))
            numbers.append(conv in "diuxXo" or (conv == "p" and value not in (0, None)))
    return numbers


# Only the cases that print a number earn points: strings, characters and a null %p are
# printed by given code, so they are checked (given-cases) but worth nothing.
@LAB.test("printf-formats", parts={"cases": 20, "given-cases": 0}, args="test=printf",
          until=[r"^printf-test: done$"], timeout=30)
def printf_formats(run):
    path = os.path.join(ROOT, "lib/printfmt_cases.h")
    want = printf_cases.expected_lines(path)
    numbers = printf_number_cases(path)
    got = re.findall(r"^printf-test: .* => \[.*\]$", run.text, re.M)
    matched = collections.Counter(want) & collections.Counter(got)
    missing = [w for w in want if w not in matched]
    for w in missing[:5]:
        fmt = w[len("printf-test: "):w.index(" => [")]
        printed = [g for g in got if g.startswith("printf-test: %s => [" % fmt)][:3]
        run.notes.append("want %r, printed %s" % (w, printed or "nothing for that format"))
    given = [w for w, n in zip(want, numbers) if not n]
    if any(w not in matched for w in given):
        run.fail("%d of %d cases without a number are wrong (given code)"
                 % (sum(w not in matched for w in given), len(given)), "given-cases")
    good = sum(1 for w, n in zip(want, numbers) if n and w in matched)
    run.fraction("cases", good, sum(numbers), "printf cases with a number right")


@LAB.test("backtrace", parts={"test-frames": 8, "caller-chain": 7}, args="test=backtrace",
          until=[r"^  rbp .* kern_main\+0x[0-9a-f]+ args .*$"], timeout=30)
def backtrace(run):
    start = run.text.find("ktest: backtrace")
    frames = backtrace_frames(run.text[max(start, 0):])
    tb = [f for f in frames if f[1] == "test_backtrace"]
    args = [(f[2], f[3]) for f in tb]
    want = [(n, 0xb7ace) for n in range(6)]
    if args != want:
        run.fail("test_backtrace frames have args %s, expected %s"
                 % ([(a, hex(b)) for a, b in args], [(a, hex(b)) for a, b in want]),
                 "test-frames")
    if not tb:
        run.fail("no test_backtrace frames", "caller-chain")
        return
    first = frames.index(tb[0])
    if frames[first:first + len(tb)] != tb:
        run.fail("test_backtrace frames are not consecutive", "test-frames")
    rest = frames[first:]
    check_chain(run, rest[:next((i + 1 for i, f in enumerate(rest) if f[1] == "kern_main"),
                                len(rest))], "caller-chain")


MONITOR_CMDS = ["help", "kerninfo", "mem", "cpuid", "backtrace", "xyz", "halt"]


# The monitor is given; kerninfo, mem and backtrace print through your printf, memory-map
# parser and backtrace, and only they earn points.
@LAB.test("monitor", parts={"help": 0, "kerninfo": 2, "mem": 2, "cpuid": 0, "backtrace": 2,
                            "unknown": 0, "halt": 0},
          steps=[(PROMPT, c) for c in MONITOR_CMDS], wait_exit=True, timeout=30)
def monitor(run):
    replies = {c: run.reply(c) for c in MONITOR_CMDS}
    for cmd, reply in replies.items():
        if reply is None:
            run.fail("no prompt to type '%s' at" % cmd, cmd if cmd in run.test.parts
                     else "unknown")
    if replies["help"] is not None:
        for cmd in ("help", "kerninfo", "mem", "cpuid", "backtrace", "halt"):
            run.expect(r"^\s*%s\b" % cmd, part="help", text=replies["help"])
    if replies["kerninfo"] is not None:
        for sect in ("text", "data", "bss"):
            run.expect(r"^\s*%s\s+0xffffffff8[0-9a-f]{7}-0xffffffff8[0-9a-f]{7}\b" % sect,
                       part="kerninfo", text=replies["kerninfo"])
    if replies["mem"] is not None:
        run.expect(r"0x[0-9a-f]+-0x[0-9a-f]+\s+available", part="mem", text=replies["mem"])
    if replies["cpuid"] is not None:
        run.expect(r"GenuineIntel|AuthenticAMD", part="cpuid", text=replies["cpuid"])
    if replies["backtrace"] is not None:
        # The monitor is not always entered from kern_main (later labs enter it from the
        # scheduler), so the chain must only start in the monitor and walk outwards.
        frames = backtrace_frames(replies["backtrace"])
        check_chain(run, frames, "backtrace", outermost=None)
        if frames and not any("mon" in f[1] for f in frames[:3]):
            run.fail("the backtrace does not start in the monitor: %s"
                     % [f[1] for f in frames[:3]], "backtrace")
    if replies["xyz"] is not None:
        run.expect(r"^unknown command 'xyz' \(try 'help'\)$", part="unknown",
                   text=replies["xyz"])
    if run.exit_status != 1:
        run.fail("'halt' should make QEMU exit with status 1, got %s"
                 % ("no exit" if run.exit_status is None else run.exit_status), "halt")


def trap_test(name, vector, trap_name, extra=None):
    """A self-test that faults: the dump, one banner (no reset) and exit status 3."""
    @LAB.test("trap-" + name, points=5, args="test=" + name, exit_status=3,
              expect=[TRAP_LINE % (vector, trap_name)], timeout=30)
    def check(run):
        run.expect(BANNER, count=1)
        frames = backtrace_frames(run.text[run.text.find("TRAP "):])
        if not frames:
            run.fail("the trap dump has no backtrace")
        if extra:
            extra(run)


def pgfault_details(run):
    m = re.search(r"^cr2=0x([0-9a-f]+)\s+(.*)$", run.text, re.M)
    if not m:
        run.fail("missing /cr2=0x.../ in the page-fault dump")
        return
    told = re.search(r"^pgfault: reading 0x([0-9a-f]+)$", run.text, re.M)
    if told and int(told.group(1), 16) != int(m.group(1), 16):
        run.fail("cr2=0x%s, but the test read 0x%s" % (m.group(1), told.group(1)))
    reason = m.group(2)
    if not re.search(r"\bread\b", reason) or not re.search(r"not-present", reason):
        run.fail("page-fault reason %r should say a read of a not-present page" % reason)


trap_test("divzero", 0, "divide-error")
trap_test("ud", 6, "invalid-opcode")
trap_test("pgfault", 14, "page-fault", pgfault_details)


# The command line parser is given: checked, worth nothing.
@LAB.test("cmdline-unknown-option", points=0, args="frobnicate",
          expect=[r"^cmdline: unknown option 'frobnicate'$", BANNER, PROMPT], timeout=30)
def cmdline_unknown(run):
    pass


# Another emulator's BIOS hands over another memory map: your parser must read it too (the
# boot itself, given code, earns nothing).
@LAB.test("boot-bochs", parts={"boot": 0, "memory-map": 5}, emu="bochs",
          expect=[BANNER, PROMPT], timeout=120)
def boot_bochs(run):
    run.expect(BANNER, count=1, part="boot")
    check_memory_map(run, "memory-map")


if __name__ == "__main__":
    sys.exit(gradelib.main([LAB]))
