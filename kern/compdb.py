#!/usr/bin/env python3
"""Writes compile_commands.json (the clang JSON compilation database) from make variables.

  compdb.py --dir DIR --out FILE --group 'CC FLAGS...' SRC... [--group 'CC FLAGS...' SRC...]...

Each --group gives one compiler command line shared by the sources after it; the entry for a
source is that command plus `-c SRC`.  A source listed twice keeps its last group.
"""

import json
import os
import shlex
import sys


def parse_args(argv):
    """(directory, output path, [(command words, [sources])]) from the command line."""
    directory = out = None
    groups = []
    it = iter(argv)
    for word in it:
        if word == "--dir":
            directory = next(it, None)
        elif word == "--out":
            out = next(it, None)
        elif word == "--group":
            groups.append((shlex.split(next(it, "")), []))
        elif groups:
            groups[-1][1].append(word)
        else:
            raise ValueError("source %s before any --group" % word)
    if directory is None or out is None:
        raise ValueError("--dir and --out are required")
    return directory, out, groups


def main(argv):
    try:
        directory, out, groups = parse_args(argv[1:])
    except ValueError as e:
        sys.stderr.write("compdb: %s\n%s" % (e, __doc__))
        return 2

    entries = {}
    for command, sources in groups:
        for src in sources:
            entries[src] = {
                "directory": directory,
                "file": os.path.join(directory, src),
                "arguments": command + ["-c", src],
            }

    tmp = out + ".tmp"
    with open(tmp, "w") as f:
        json.dump(list(entries.values()), f, indent=1)
        f.write("\n")
    os.replace(tmp, out)
    print("compdb: %d entries in %s" % (len(entries), out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
