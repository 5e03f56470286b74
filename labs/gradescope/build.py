#!/usr/bin/env python3
"""Writes the Gradescope autograder zip for one lab (`make gradescope LAB=n [OVERLAY=dir]`):

    setup.sh        Gradescope runs it once, as root: installs ExoLab's packages
    run_autograder  Gradescope runs it per submission (autograder.py does the work)
    autograder.py   copies the submission into the handout, protects the graders, grades
    privsep.py      when root: the build and the student's host programs run unprivileged
    handout/        the lab's clean handout tree (labs/handout.py, without its .git)
    overlay/        the instructor's OVERLAY dir, copied over the tree after the submission
                    (hidden tests: grade/labN-NAME.py, shown after the grades are published)

Exit status 0, or 1 with a message (unknown lab, OVERLAY not a folder, handout failed).
"""

import argparse
import os
import subprocess
import sys
import tempfile
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SCRIPTS = ("setup.sh", "run_autograder", "autograder.py", "privsep.py")


def add_tree(z, src, prefix):
    """Every file and symlink under src as prefix/..., with its mode (unzip restores it)."""
    for dirpath, dirnames, filenames in os.walk(src):
        dirnames[:] = sorted(d for d in dirnames if not (dirpath == src and d == ".git"))
        for name in sorted(filenames) + [d for d in dirnames
                                         if os.path.islink(os.path.join(dirpath, d))]:
            path = os.path.join(dirpath, name)
            arc = os.path.join(prefix, os.path.relpath(path, src))
            add_file(z, path, arc)


def add_file(z, path, arc):
    info = zipfile.ZipInfo(arc, date_time=(2026, 1, 1, 0, 0, 0))
    st = os.lstat(path)
    info.external_attr = (st.st_mode & 0xFFFF) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    if os.path.islink(path):
        z.writestr(info, os.readlink(path))
    else:
        with open(path, "rb") as f:
            z.writestr(info, f.read())


def build(lab, out, overlay):
    if overlay and not os.path.isdir(overlay):
        raise RuntimeError("OVERLAY=%s is not a directory" % overlay)
    with tempfile.TemporaryDirectory(prefix="exolab-gradescope-") as tmp:
        handout = os.path.join(tmp, "handout")
        done = subprocess.run([sys.executable, os.path.join(ROOT, "labs", "handout.py"),
                               "make", "--lab", lab, "--dest", handout],
                              capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError("the handout failed: " + done.stderr.strip())
        os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
        with zipfile.ZipFile(out + ".tmp", "w") as z:
            for name in SCRIPTS:
                add_file(z, os.path.join(HERE, name), name)
            add_tree(z, handout, "handout")
            if overlay:
                add_tree(z, overlay, "overlay")
        os.replace(out + ".tmp", out)
    hidden = sorted(n for n in os.listdir(os.path.join(overlay, "grade"))
                    if n.endswith(".py")) if overlay and os.path.isdir(
                        os.path.join(overlay, "grade")) else []
    print("gradescope: lab %s autograder in %s (hidden tests: %s)"
          % (lab, out, ", ".join(hidden) or "none"))


def main(argv=None):
    p = argparse.ArgumentParser(description="Write the Gradescope autograder zip for a lab.")
    p.add_argument("--lab", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--overlay", help="the instructor's overlay folder (hidden tests)")
    opts = p.parse_args(argv)
    try:
        build(opts.lab, opts.out, opts.overlay)
    except (RuntimeError, OSError) as e:
        print("gradescope: %s" % e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
