"""Lab 4 part C grader, the shell on the ramdisk's files (issue 11 items 3-4): `ls`, `cat`,
`head`, `<` redirection, pipelines, the errors bad lines get, and no leak.  Not a grader of
its own: grade/lab4c.py calls add_tests, and the tests join lab 4C's.

Each test boots `init=sh` and types lines at the prompt (`$ `); what a line printed is the
serial output between it and the next line sent (the shell echoes the line first).  The
shell's `leaks` built-in prints the kernel's leak-check line: one after a warm-up line
(the shell's first pipe maps its page tables for good) and one at the end must be equal."""

import os
import re

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROMPT = r"^\$ "
MOTD = os.path.join(ROOT, "user", "files", "motd")
# The kernel's line for each env init started (the shell's commands, here) when it ends.
EXIT_LINE = re.compile(r"^\[env 0x[0-9a-f]+\] exit status -?\d+\n", re.M)
LEAK = re.compile(r"^leak-check: pages (\d+) caps (\d+) heap (\d+)$", re.M)


def motd():
    with open(MOTD) as f:
        return f.read()


def output(run, line):
    """What `line` printed, without its echo and the next prompt; None if never sent."""
    reply = run.reply(line)
    if reply is None:
        return None
    reply = reply.split("\n", 1)[1] if "\n" in reply else ""
    reply = reply[:-2] if reply.endswith("$ ") else reply
    return EXIT_LINE.sub("", reply)


def expect_output(run, line, want, part):
    got = output(run, line)
    if got != want:
        run.fail("%r printed %r, expected %r" % (line, got, want), part)


def check_leaks(run, part):
    leaks = LEAK.findall(run.text)
    if len(leaks) != 2:
        run.fail("%d leak-check lines, expected 2 (one per 'leaks' line)" % len(leaks), part)
    elif leaks[0] != leaks[1]:
        run.fail("pages %s caps %s heap %s at the end, %s %s %s before" % (leaks[1] + leaks[0]),
                 part)


def add_tests(LAB, lab3):
    """Declares the tests on LAB (grade/lab4c.py's), with lab3's fail patterns."""
    text = motd()
    files_lines = [
        ("echo hi | wc", "1 1 3\n", "wc"),
        ("ls", None, "ls"),
        ("cat motd", text, "cat"),
        ("cat < motd", text, "redirect"),
        ("cat motd | wc", "%d %d %d\n" % (text.count("\n"), len(text.split()), len(text)),
         "cat"),
        ("head -n 3 motd", "".join(text.splitlines(True)[:3]), "head"),
        ("head -n 2 < motd", "".join(text.splitlines(True)[:2]), "head"),
        ("cat nosuchfile", "cat: nosuchfile: no such file\n", "errors"),
        ("cat < nosuchfile", "sh: nosuchfile: no such file\n", "errors"),
        ("cat > motd", "sh: '>' is not supported: the ramdisk is read-only\n", "errors"),
        ("cat <", "sh: '<' needs a file name\n", "errors"),
        ("head -n 1 /motd", text.splitlines(True)[0], "head"),
    ]
    lines = ["echo hi | wc", "leaks"] + [l for l, _, _ in files_lines[1:]] + ["leaks ",
                                                                              "monitor"]

    @LAB.test("shell-files", parts={"wc": 1, "ls": 2, "cat": 2, "redirect": 2, "head": 2,
                                    "errors": 2, "leak": 2, "monitor": 1},
              args="init=sh", steps=[(PROMPT, l) for l in lines], until=[r"^K> "],
              reject=lab3.KERNEL_DIED, timeout=120)
    def shell_files(run):
        for line, want, part in files_lines:
            if want is not None:
                expect_output(run, line, want, part)
        listing = output(run, "ls") or ""
        entries = dict(re.findall(r"^(\S+) +(\d+)$", listing, re.M))
        if entries.get("motd") != str(len(text.encode())):
            run.fail("ls: motd %s, expected size %d" % (entries.get("motd"), len(text)), "ls")
        for prog in ("cat", "head", "ls", "sh", "wc", "primes"):
            if not entries.get(prog, "0").isdigit() or int(entries.get(prog, "0")) < 4096:
                run.fail("ls lists no %s (or a size under a page)" % prog, "ls")
        if len(listing.splitlines()) != len(entries):
            run.fail("ls printed lines that are not 'NAME SIZE'", "ls")
        run.reject(r"panic at", part="errors")
        check_leaks(run, "leak")
        run.expect(r"^sh: ending: the kernel monitor follows$", part="monitor")

    pipe_lines = ["primes | head -n 5", "leaks", "primes | head -n 5 ", "leaks ",
                  "monitor"]

    @LAB.test("shell-primes-head", parts={"primes": 3, "leak": 2},
              args="init=sh", steps=[(PROMPT, l) for l in pipe_lines], until=[r"^K> "],
              reject=lab3.KERNEL_DIED, timeout=180)
    def shell_primes_head(run):
        """head exits after 5 lines; primes' filters see E_PIPE or finish, the prompt comes
        back (the steps wait for it), and the second run leaves what the first did."""
        for line in ("primes | head -n 5", "primes | head -n 5 "):
            expect_output(run, line, "2\n3\n5\n7\n11\n", "primes")
        run.reject(r"panic at", part="primes")
        check_leaks(run, "leak")
