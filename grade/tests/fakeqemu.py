#!/usr/bin/env python3
"""A stand-in for qemu-system-x86_64 in the grader's self-test (test_gradelib.py): prints
its own arguments as one `argv:` line, then the text of $FAKEQEMU_OUTPUT with each '|' as a
newline (text after the last '|' is a line still arriving), then waits to be killed, as a
kernel sitting at its prompt would."""

import os
import sys
import time

print("argv: " + " ".join(sys.argv[1:]), flush=True)
sys.stdout.write(os.environ.get("FAKEQEMU_OUTPUT", "").replace("|", "\n"))
sys.stdout.flush()
while True:
    time.sleep(3600)
