#!/usr/bin/env python3
"""Console grader outside the lab sequence (`make test-console`, part of `make test`): the
kernel monitor's line editing over serial (kern/console.c readline).  One boot to the
monitor; each line sent mixes editing keys with a command, and the command that runs must be
the edited one:

  kerninfoX DEL          Backspace         -> kerninfo
  bogus Ctrl-U help      erase the line    -> help
  Up Up                  history (ESC [ A) -> kerninfo (two commands back)
  Ctrl-P x3 Ctrl-N       history, as the keyboard's arrows arrive -> help

and the same keys typed on the PS/2 keyboard (QEMU's monitor `sendkey`, kern/dev/i8042.c):

  kerninfox Backspace    -> kerninfo
  bogus Ctrl-U cpus      -> cpus
  Up Up                  -> kerninfo
  Up Up Up Down          -> cpus
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import gradelib  # noqa: E402

LAB = gradelib.Lab("console", fail_fast=[gradelib.LOCKCHECK_REPORT])
PROMPT = r"^K> "
KERNINFO = r"^\s*text\s+0xffffffff8[0-9a-f]{7}-0xffffffff8[0-9a-f]{7}\b"
HELP = r"^help\s+list the commands"
CPUS = r"^cpu 0: apic id \d+"
K = gradelib.Keys
LINES = {  # line sent: (part, the output that shows the edited command ran)
    "kerninfoX\x7f": ("backspace", KERNINFO),
    "bogus\x15help": ("ctrl-u", HELP),
    "\x1b[A\x1b[A": ("up", KERNINFO),
    "\x10\x10\x10\x0e": ("ctrl-p-n", HELP),
    K("k e r n i n f o x backspace ret"): ("kbd-backspace", KERNINFO),
    K("b o g u s ctrl-u c p u s ret"): ("kbd-ctrl-u", CPUS),
    K("up up ret"): ("kbd-up", KERNINFO),
    # history, newest first: kerninfo cpus kerninfo help ...: Down differs from Up and
    # from no key (a Down taken for an Up gives help, a lost Down kerninfo)
    K("up up up down ret"): ("kbd-up-down", CPUS),
}


@LAB.test("monitor-editing", parts={"backspace": 1, "ctrl-u": 1, "up": 1, "ctrl-p-n": 1,
                                    "kbd-backspace": 1, "kbd-ctrl-u": 1, "kbd-up": 1,
                                    "kbd-up-down": 1},
          steps=[(PROMPT, line) for line in list(LINES) + ["halt"]], wait_exit=True,
          reject=[r"unknown command"], timeout=30)
def monitor_editing(run):
    for line, (part, pattern) in LINES.items():
        reply = run.reply(line)
        if reply is None:
            run.fail("no prompt to send %r at" % line, part)
            continue
        run.expect(pattern, part=part, text=reply)


if __name__ == "__main__":
    sys.exit(gradelib.main([LAB]))
