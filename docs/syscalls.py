#!/usr/bin/env python3
"""Writes docs/syscalls.md, the reference of ExoLab's system calls, capability types, rights
and error codes (Python 3 standard library only).

Numbers, names, arguments, the calls' descriptions, the types, rights and error codes are
read from the ABI headers (kern/include/abi/syscall.h, kern/include/abi/cap.h,
kern/include/abi/error.h).  What each call needs and how it fails is kept in NOTES, in
docs/syscall_notes.py: a call without notes, notes for a call that does not
exist, or an error code error.h does not define stops the generator.

    python3 docs/syscalls.py [--out docs/syscalls.md]   # write (make docs)
    python3 docs/syscalls.py --check docs/syscalls.md   # exit 1 when stale (make docs-check)
"""

import argparse
import difflib
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SYSCALL_H = "kern/include/abi/syscall.h"
CAP_H = "kern/include/abi/cap.h"
ERROR_H = "kern/include/abi/error.h"

from syscall_notes import NOTES  # noqa: E402  (the table, kept apart)

# The rules of the endpoint and notification calls, after the calls.
IPC_TEXT = """## IPC: endpoints and notifications

Endpoints and notifications are capability objects made from untyped quota
(`endpoint_alloc`, `notify_alloc`: one page of quota each, returned when the last capability
goes).  On an endpoint, READ receives and WRITE sends; on a notification, READ waits or
polls and WRITE signals.

**Messages.** A message is four payload words (`w0..w3`), the badge of the capability the
sender used (set by `cap_derive`, so a receiver knows which client spoke and no client can
claim another's badge; 0 in a reply) and at most one capability.  Nothing is buffered: a
message passes when a sender and a receiver meet, and the first to arrive waits in the
endpoint's queue (first come, first served).  A call that receives returns 0 with the badge
in rdi, the received info word in rsi and the words in rdx, r10, r8, r9 (abi/ipc.h;
lib/user's `struct ipc_msg`).

**The info word** (abi/ipc.h): bits 0..15 name a capability to send (`ABI_IPC_CSLOT`,
0: none), bits 16..31 an empty slot the caller offers for a capability it may receive
(`ABI_IPC_RSLOT`, 0: none), bit 32 is `ABI_IPC_NONBLOCK`.  The received info word has the
slot a capability arrived in (0: none) and `ABI_IPC_CALLED` when the sender used `ipc_call`.

**Capability transfer.** A capability goes with a message only if the sender names one it
holds with GRANT, through an endpoint capability with GRANT (else `E_PERM` before anything
happens; a reply needs no endpoint), and the receiver offered a slot that is still empty
when the message passes.  The receiver gets a copy (a child of the sender's capability, as
`cap_copy` makes: the sender's revoke takes it back).  If the receiver offered no slot the
message passes without it; the received info word says which happened.

**Call and reply (the "last caller").** `ipc_call` sends and then waits for a reply.  The
env that receives a call (with `ipc_recv` or `ipc_reply_recv`) owes its caller one reply;
it owes at most one at a time.  `ipc_reply_recv` first replies to the caller it owes (its
four words and optionally a capability into the slot the caller offered; no badge), then
receives like `ipc_recv`; with no caller owed, the reply part does nothing.  The debt ends
without a reply, and the caller's `ipc_call` returns `E_NOENT`, when the receiver receives
again with `ipc_recv`, or is destroyed.  A caller destroyed while it waits is simply
forgotten.

**Non-blocking.** With `ABI_IPC_NONBLOCK`, a send, call or receive that would wait for a
partner returns `E_AGAIN` instead (a call whose message was taken still waits for its
reply; `ipc_reply_recv` has replied before it returns `E_AGAIN`).

**Notifications.** A 64-bit word.  `notify_signal(bits)` ORs `bits` in and, when an env
waits, hands it the word and clears it (one waiter per signal, first come first served).
`notify_wait` returns 0 with the word (never 0) in rdi and clears it, waiting while it is 0;
`notify_poll` does the same but returns `E_AGAIN` when it is 0.

**Signals from the kernel.** `env_notify(eslot, nslot, bits)` binds an env's death to a
notification: when the env ends (`exit`, a fault that kills it, `env_destroy` by anyone),
the kernel signals `bits` on it once the env has left every CPU, as `notify_signal` would.
If the env is dead already the signal goes at once.  Each env has one such binding (a new
call replaces it; the LibOS's `wait` gives each child its own bit of one notification).
`cons_notify(nslot, bits)` binds console input: each character that arrives (serial or
keyboard: their interrupts, kern/dev/consirq.c) signals `bits` on every bound notification;
a reader calls `cgetc` until it returns `E_AGAIN`, then `notify_wait` (the word is sticky, so
a character that arrives in between is not missed; input that came before the binding
signalled nothing, so call `cgetc` once more after binding).  While an env has a console
binding, the kernel waits for input rather than entering its monitor when nothing runs.  Each env has one console binding, dropped when it dies.  Both
bindings are weak: they hold neither the notification nor its quota page, and when the
notification's last capability goes the binding is dropped and nothing is signalled.

**Teardown.** An env destroyed while it waits leaves the queue.  When the last capability to
an endpoint or notification goes (delete, revoke of an ancestor, destruction of its holder),
every env waiting on it wakes with `E_NOENT`; after `cap_revoke` of a capability to one,
every env that waits through a capability the revoke deleted wakes with `E_NOENT`.
`env_set_status(ENV_RUNNABLE)` on an env waiting in IPC ends its wait with `E_AGAIN`;
`ENV_NOT_RUNNABLE` changes nothing (it keeps waiting, and the partner that completes its
call makes it runnable).

**Locking.** The env lock covers every endpoint and notification (docs/smp.md, "Locking");
a partner on another CPU is woken through the scheduler's ordinary wake path.  A blocking
`ipc_call` or `ipc_reply_recv` that sends no capability, to a partner already waiting on this
CPU, takes the fast path (kern/ipc/fastpath.c; docs/smp.md, "IPC fast path"): a direct
switch to the partner when the scheduling policy would run it here now anyway.  Every other
wait and wake goes through the run queues (`make bench-ipc` measures the round trip).
"""

WHAT = {
    "cap_delete": "deletes the capability; its children become children of its parent "
                  "(roots if it had none), so revoking an ancestor still reaches them",
}


class DocError(Exception):
    pass


def read(rel):
    with open(os.path.join(ROOT, rel)) as f:
        return f.read()


def squash(text):
    return " ".join(text.split())


def comment_entries(lines, start):
    """Entries of a header comment written as `  KEY  text` with indented continuation
    lines: [(key line, joined text)].  `start` matches an entry's first line and gives
    (key, text)."""
    entries = []
    for line in lines:
        body = re.sub(r"^\s*\*\s?", "", line)
        m = start.match(body)
        if m:
            entries.append([m.group(1), m.group(2)])
        elif entries and body.startswith("  ") and body.strip():
            entries[-1][1] += " " + body.strip()
        elif not body.strip():
            continue
        else:
            entries.append([None, ""])  # anything else ends the previous entry
    return [(k, squash(t)) for k, t in entries if k]


def syscalls():
    """[(number, name, args, description)] from abi/syscall.h."""
    text = read(SYSCALL_H)
    calls = [(int(n), name, args) for n, name, _, args in
             re.findall(r'X\((\d+), (\w+), (\d+), "([^"]*)"\)', text)]
    # Ranges of numbers are handed out per subsystem, so the list may have gaps (an unused
    # number answers E_NOSYS); it must start at 0 and only grow.
    nums = [n for n, _, _ in calls]
    if not nums or nums[0] != 0 or any(b <= a for a, b in zip(nums, nums[1:])):
        raise DocError("%s: call numbers do not start at 0 and increase" % SYSCALL_H)
    block = text[text.index("X(number, name, nargs"):text.index("#define ABI_SYSCALLS")]
    start = re.compile(r"^(\w+)\([^)]*\)\s*(.*)$")
    what = dict(comment_entries(block.splitlines()[1:], start))
    return [(n, name, args, what.get(name) or WHAT.get(name, "")) for n, name, args in calls]


def convention():
    """The calling-convention paragraph of abi/syscall.h, comment marks removed."""
    text = read(SYSCALL_H)
    first = text[text.index("Calling convention"):text.index("*/")]
    return "\n".join(re.sub(r"^ \* ?", "", line) for line in first.rstrip().splitlines())


def limits():
    return re.findall(r"^#define (ABI_\w+_MAX)\s+(\d+)\s*/\*\s*(.*?)\s*\*/", read(SYSCALL_H),
                      re.M)


def cap_types():
    return [(int(v), name, squash(c)) for name, v, c in
            re.findall(r"^#define (CAP_(?!R_|NTYPES|NO_BADGE)[A-Z]+)\s+(\d+)\s*/\*\s*(.*?)\*/",
                       read(CAP_H), re.M)]


def rights():
    """[(bit, CAP_R_NAME, what it allows)] from abi/cap.h's rights comment."""
    text = read(CAP_H)
    bits = re.findall(r"^#define CAP_R_([A-Z]+)\s+\(1u << (\d+)\)", text, re.M)
    block = text[text.index("Rights.  What each bit"):text.index("Rights only shrink")]
    allows = dict(comment_entries(block.splitlines()[1:], re.compile(r"^  ([A-Z]+)\s+(.*)$")))
    missing = [name for name, _ in bits if name not in allows]
    if missing:
        raise DocError("%s: no description of right(s) %s" % (CAP_H, ", ".join(missing)))
    return [(int(bit), name, allows[name]) for name, bit in bits]


def errors():
    return [(name, int(v), squash(c)) for name, v, c in
            re.findall(r"^#define (E_[A-Z]+)\s+(-\d+)\s*/\*\s*(.*?)\s*\*/", read(ERROR_H),
                       re.M)]


def check_notes(calls, codes):
    names = {name for _, name, _, _ in calls}
    if names - set(NOTES) or set(NOTES) - names:
        raise DocError("NOTES in docs/syscall_notes.py: no notes for %s; notes for unknown %s"
                       % (sorted(names - set(NOTES)) or "-", sorted(set(NOTES) - names) or "-"))
    for name, (_, errs) in NOTES.items():
        for code, when in errs:
            used = [code] if code != "slot" else []
            used += re.findall(r"`(E_[A-Z]+)`", when)
            for c in used:
                if c not in codes:
                    raise DocError("NOTES[%r] names %s, which %s does not define"
                                   % (name, c, ERROR_H))


def call_section(n, name, args, what):
    need, errs = NOTES[name]
    out = ["### %d `%s(%s)`" % (n, name, args), ""]
    out += [what[0].upper() + what[1:] + "." if what else "(no description in the header)",
            "", "- Rights: %s." % need]
    if errs:
        out.append("- Errors, in the order they are checked:")
        for code, when in errs:
            out.append("  - %s" % (when if code == "slot" else "`%s` %s" % (code, when)))
    else:
        out.append("- Errors: none.")
    return out + [""]


def render():
    calls, codes = syscalls(), errors()
    check_notes(calls, {c for c, _, _ in codes})
    out = ["# System calls, capability types and rights", "",
           "<!-- Generated by docs/syscalls.py from %s, %s and %s: edit those (or the notes "
           "in docs/syscall_notes.py) and run `make docs`; `make docs-check` fails while this "
           "file is stale. -->" % (SYSCALL_H, CAP_H, ERROR_H), "",
           "The exokernel's whole interface: %d system calls over a per-environment table of "
           "capabilities.  The kernel checks rights and addresses, never trusts a pointer or "
           "a slot number, and answers bad input with an error code." % len(calls), "",
           "## Calling convention", "", "```", convention(), "```", "",
           "Slot arguments are checked in a fixed order (kern/include/cap.h): the source "
           "slot, the destination slot, malformed values, missing rights, then the quota. "
           "The first failing check decides the error.", "",
           "## The calls", "", "| # | call | rights needed |", "| --- | --- | --- |"]
    out += ["| %d | `%s(%s)` | %s |" % (n, name, args, NOTES[name][0])
            for n, name, args, _ in calls]
    out.append("")
    for call in calls:
        out += call_section(*call)
    for para in IPC_TEXT.strip().split("\n\n"):
        out += [para if para.startswith("## ") else squash(para), ""]
    out += ["## Limits", "", "| constant | value | meaning |", "| --- | --- | --- |"]
    out += ["| `%s` | %s | %s |" % row for row in limits()]
    out += ["", "## Capability types", "", "| # | type | names |", "| --- | --- | --- |"]
    out += ["| %d | `%s` | %s |" % row for row in cap_types()]
    out += ["", "## Rights", "",
            "Rights only shrink: a derived or copied capability has a subset of its parent's. "
            "`CAP_R_ALL` is every bit below.", "",
            "| bit | right | allows |", "| --- | --- | --- |"]
    out += ["| %d | `CAP_R_%s` | %s |" % row for row in rights()]
    out += ["", "## Error codes", "", "| code | value | meaning |", "| --- | --- | --- |"]
    out += ["| `%s` | %d | %s |" % row for row in codes]
    return "\n".join(out) + "\n"


def main(argv=None):
    ap = argparse.ArgumentParser(description="Generate docs/syscalls.md from the ABI headers.")
    ap.add_argument("--out", help="write here (default: standard output)")
    ap.add_argument("--check", metavar="FILE", help="exit 1 if FILE differs from the output")
    opts = ap.parse_args(argv)
    try:
        text = render()
    except (DocError, ValueError) as e:
        print("syscalls.py: %s" % e, file=sys.stderr)
        return 2
    if opts.check:
        with open(opts.check) as f:
            old = f.read()
        if old != text:
            sys.stdout.writelines(difflib.unified_diff(old.splitlines(True), text.splitlines(True),
                                                       opts.check, "generated", n=1))
            print("%s is stale: run `make docs` and commit it" % opts.check, file=sys.stderr)
            return 1
        return 0
    if opts.out:
        with open(opts.out, "w") as f:
            f.write(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
