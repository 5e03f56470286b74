"""The README.md of a student tree (labs/handout.py writes it in place of the reference
tree's): what the tree is, the lab it is for and its handout, the commands that work there,
and how it is graded.  Nothing in it may name a command that only the reference tree has
(labs/tests/test_handout.py runs `make -n` on every `make X` it names, in a real handout)."""

import os


def lab_title(root, folder):
    """The handout's first heading without its '# ' ('Lab 2: physical pages and page
    tables'), or the folder's name."""
    with open(os.path.join(root, folder, "README.md")) as f:
        for line in f:
            if line.startswith("# "):
                return line[2:].strip()
    return os.path.basename(folder)


def earlier_text(earlier):
    if not earlier:
        return "It is the first lab: nothing is solved for you yet."
    return ("The earlier labs (%s) are solved in it, so what you build on works; `make grade` "
            "checks they keep working." % ", ".join(earlier))


def render(root, lab, folder, earlier):
    """The README's text for the lab-`lab` tree; `earlier` are the ids of the labs before."""
    title = lab_title(root, folder)
    graded = ", ".join(earlier + [lab])
    return """# ExoLab: your tree for lab {lab}

This is your copy of ExoLab, a small x86-64 exokernel written in C, handed out for
**{title}**. {earlier}
The code you write is marked in the source by comments that start with `LAB {lab}:`
(`grep -rn "LAB {lab}:" kern lib user` finds them); everywhere else the tree is complete.

Start with the handout: [`{folder}/README.md`]({folder}/README.md). It explains what to
build, in which files, the exercises and questions, and the commands for debugging this lab.

## Commands that work in this tree

```
make qemu            # build the kernel and its ISO, boot it in QEMU (a window if there is a display)
make qemu-nox        # the same without a window: serial console in this terminal
make qemu-nox-gdb    # boot, but wait for gdb before the first instruction ...
make gdb             # ... and attach gdb with the kernel's symbols (in a second terminal)
make grade           # grade your work (see below)
make help            # every target of this tree, one line each
```

At the `K>` prompt, `help` lists the kernel monitor's commands. To leave QEMU, type `halt` at
the prompt, or `Ctrl-a x` with `make qemu-nox`. `ARGS="..."` passes kernel options:
`make qemu-nox ARGS="test=mm"` runs a self-test (the handout names the ones for this lab).

## Grading

`make grade` grades labs {graded} and prints one line per test and then your score.  An
untouched tree scores 0 on lab {lab} and full marks on the earlier labs.

```
make grade GRADEFLAGS="--list"             # the tests and their points
make grade GRADEFLAGS="--only NAME -v"     # one test, with the kernel's serial output
```

Your instructor grades the same way, possibly with hidden tests added.  Commit your work with
git (this tree is a git repository with one commit: `git diff` shows what you changed).
""".format(lab=lab, title=title, earlier=earlier_text(earlier), folder=folder, graded=graded)
