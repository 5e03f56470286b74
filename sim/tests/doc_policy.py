#!/usr/bin/env python3
"""The example policy of docs/sim.md ("Adding a policy"), built and run as the page writes it
(make sim-doc-policy).

`extract` takes the section's code blocks: the first ```c block is the policy file, the
second the registration line, which goes into a copy of kern/sched/registry.c above the
comment that ends the SCHED_POLICIES list, exactly as the page tells a reader to do.  The
Makefile compiles the two files into a sanitizer build of exosim in place of the registry.

`check` runs that exosim with the section's command line on its ```json workload and wants
the ```csv block byte for byte; then it checks the page's claim that round robin finishes
the same jobs in another order (so the workload tells the two apart).
Python 3 standard library only."""
import argparse
import os
import re
import shlex
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SECTION = "## Adding a policy"
LIST_END = "/* one line per policy, each ending in a backslash, above this comment */"


class DocError(Exception):
    pass


def section_blocks(doc):
    """The fenced blocks of the section as (info string, first line number, text)."""
    lines = open(doc).read().split("\n")
    try:
        start = lines.index(SECTION)
    except ValueError:
        raise DocError(f"{doc}: no '{SECTION}' section")
    blocks, i = [], start + 1
    while i < len(lines) and not lines[i].startswith("## "):
        m = re.match(r"^( *)```(\w*)$", lines[i])
        if not m:
            i += 1
            continue
        indent, info, first, body = len(m.group(1)), m.group(2), i + 2, []
        i += 1
        while i < len(lines) and lines[i].strip() != "```":
            body.append(lines[i][indent:])
            i += 1
        blocks.append((info, first, "\n".join(body) + "\n"))
        i += 1
    return blocks


def block(blocks, info, n, doc):
    found = [b for b in blocks if b[0] == info]
    if len(found) <= n:
        raise DocError(f"{doc}: '{SECTION}' needs at least {n + 1} ```{info} block(s)")
    return found[n]


def extract(args):
    blocks = section_blocks(args.doc)
    _, line, policy = block(blocks, "c", 0, args.doc)
    _, _, reg = block(blocks, "c", 1, args.doc)
    m = re.search(r"^const struct sched_policy sched_policy_(\w+) =", policy, re.M)
    if not m:
        raise DocError(f"{args.doc}:{line}: the policy block defines no sched_policy_NAME")
    name = m.group(1)
    reg = reg.rstrip("\n")
    if "\n" in reg or not re.fullmatch(r"\s*P\(%s\)\s*\\" % name, reg):
        raise DocError(f"{args.doc}: the registration block is not the one line 'P({name}) \\'")
    registry = open(args.registry).read()
    if registry.count(LIST_END) != 1:
        raise DocError(f"{args.registry}: the SCHED_POLICIES list has no end comment")
    at = registry.index(LIST_END)
    at = registry.rindex("\n", 0, at) + 1
    os.makedirs(args.out, exist_ok=True)
    # Compiler messages about the policy point into the page.
    with open(os.path.join(args.out, "policy.c"), "w") as f:
        f.write(f'#line {line} "{os.path.relpath(args.doc, ROOT)}"\n' + policy)
    with open(os.path.join(args.out, "registry.c"), "w") as f:
        f.write(f'#line 1 "{os.path.relpath(args.registry, ROOT)}"\n'
                + registry[:at] + reg + "\n" + registry[at:])
    print(f"doc-policy: {name} from {args.doc}:{line}, registered in a copy of {args.registry}")


failures = []


def check_one(cond, name, log, detail=""):
    print(("ok   " if cond else "FAIL ") + name + ("" if cond else ": " + detail))
    if log:
        with open(log, "a") as f:
            f.write(("PASS" if cond else "FAIL") + " sim-doc-policy: " + name + "\n")
    if not cond:
        failures.append(name)


def run(argv):
    p = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=120)
    return p.returncode, p.stdout, p.stderr


def check(args):
    blocks = section_blocks(args.doc)
    policy = block(blocks, "c", 0, args.doc)[2]
    name = re.search(r"sched_policy_(\w+) =", policy).group(1)
    workload = block(blocks, "json", 0, args.doc)[2]
    want = block(blocks, "csv", 0, args.doc)[2]
    cmds = [b[2].strip() for b in blocks if b[0] == "" and b[2].startswith("exosim run")]
    if len(cmds) != 1:
        raise DocError(f"{args.doc}: '{SECTION}' needs one ``` block with an exosim run command")
    argv = shlex.split(cmds[0])
    for opt in ("--workload", "--csv", "--sched"):
        if opt not in argv[:-1]:
            raise DocError(f"{args.doc}: the exosim command has no {opt}")

    rc, out, err = run([args.exosim, "list"])
    check_one(rc == 0 and re.search(r"\b%s\b" % name, out) is not None,
              f"exosim list shows the registered policy {name}", args.log, err or out)
    with tempfile.TemporaryDirectory() as tmp:
        wl, csv = os.path.join(tmp, "workload.json"), os.path.join(tmp, "jobs.csv")
        with open(wl, "w") as f:
            f.write(workload)
        argv[0] = args.exosim
        argv[argv.index("--workload") + 1] = wl
        argv[argv.index("--csv") + 1] = csv
        rc, out, err = run(argv)
        got = open(csv).read() if rc == 0 and os.path.exists(csv) else ""
        check_one(rc == 0 and got == want, f"the page's {name} run writes the page's jobs.csv",
                  args.log, err if rc else f"got\n{got}want\n{want}")
        argv[argv.index("--sched") + 1] = "rr"
        rc, out, err = run(argv)
        rr = open(csv).read() if rc == 0 else ""
        order = [l.split(",")[0] for l in rr.splitlines()[1:]]
        check_one(order == ["b", "c", "a"], "round robin finishes the same jobs as b, c, a",
                  args.log, err if rc else f"order {order}")
    print(f"doc-policy: {len(failures)} failed" if failures else "doc-policy: all passed")
    return 1 if failures else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    ex = sub.add_parser("extract", help="write the page's policy and a registry with it")
    ex.add_argument("--doc", default=os.path.join(ROOT, "docs", "sim.md"))
    ex.add_argument("--registry", default=os.path.join(ROOT, "kern", "sched", "registry.c"))
    ex.add_argument("--out", required=True)
    ck = sub.add_parser("check", help="run the built exosim as the page does")
    ck.add_argument("--doc", default=os.path.join(ROOT, "docs", "sim.md"))
    ck.add_argument("--exosim", required=True)
    ck.add_argument("--log", help="append PASS/FAIL lines here (make test's TEST_LOG)")
    args = ap.parse_args()
    try:
        return extract(args) if args.cmd == "extract" else check(args)
    except DocError as e:
        print(f"doc-policy: {e}", file=sys.stderr)
        if args.cmd == "check" and args.log:
            with open(args.log, "a") as f:
                f.write("FAIL sim-doc-policy: the page's example is incomplete\n")
        return 1


if __name__ == "__main__":
    sys.exit(main())
