#!/usr/bin/env python3
"""The handout generator: writes the student tree for lab n (solutions of labs < n kept,
labs >= n reduced to their stubs, instructor-only files left out) as a git repository with
one reproducible commit, or only checks every marker in the tree.

    python3 labs/handout.py check
    python3 labs/handout.py make --lab 2 --dest /tmp/l2
    python3 labs/handout.py make --lab 4b --dest /tmp/l4b

A lab id is a number with an optional part letter (4, 4b, 4c: markers.lab_key orders them).

Exit status: 0 done, 2 a malformed marker (each reported as file:line: message),
1 any other error (bad lab number, DEST not empty, git failed).
"""

import argparse
import fnmatch
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import markers  # noqa: E402
import student_readme  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MANIFEST = "labs/instructor-only"
LAB_FILE = ".exolab-lab"  # the lab a handout tree is for; `make grade` reads it
AUTHOR = ("ExoLab handout", "handout@exolab.invalid")
# A fixed date makes the commit (and its hash) depend on the tree's contents alone.
COMMIT_DATE = "2026-01-01T00:00:00+0000"


class HandoutError(Exception):
    pass


def known_labs(root):
    """{id: folder} of every labs/labID-name/ folder (lab4-scheduling, lab4b-smp): those
    are the labs that exist.  Ids are strings ('4', '4b'), in lab order."""
    labs = {}
    for name in sorted(os.listdir(os.path.join(root, "labs"))):
        m = re.fullmatch(r"lab([1-9][0-9]*[a-z]?)-[a-z0-9-]+", name)
        if m and os.path.isdir(os.path.join(root, "labs", name)):
            labs[m.group(1)] = "labs/" + name
    return {k: labs[k] for k in markers.sorted_labs(labs)}


def load_manifest(root):
    """The patterns of labs/instructor-only: a path, a folder ending in '/', or a glob."""
    with open(os.path.join(root, MANIFEST)) as f:
        lines = [l.split("#", 1)[0].strip() for l in f]
    return [l for l in lines if l]


def instructor_only(path, patterns):
    for pat in patterns:
        if pat.endswith("/"):
            if path.startswith(pat) or fnmatch.fnmatch(path, pat + "*"):
                return True
        elif fnmatch.fnmatch(path, pat):
            return True
    return False


def tree_files(root):
    """Every file of the working tree that git would take (tracked or not ignored), sorted;
    a tree that is not a git checkout is walked instead, without .git/ and obj/."""
    try:
        out = subprocess.run(["git", "-C", root, "ls-files", "-z", "--cached", "--others",
                              "--exclude-standard"], check=True, capture_output=True).stdout
        paths = {p for p in out.decode().split("\0") if p}
    except (OSError, subprocess.CalledProcessError):
        paths = set()
        for d, dirs, files in os.walk(root):
            rel = os.path.relpath(d, root)
            dirs[:] = [x for x in dirs if not (rel == "." and x in (".git", "obj"))]
            paths.update(os.path.normpath(os.path.join(rel, f)) for f in files)
    return sorted(p for p in paths if os.path.lexists(os.path.join(root, p))
                  and not os.path.isdir(os.path.join(root, p)))


def student_files(root, lab=None):
    """The files a handout carries: not instructor-only and, for a lab-`lab` tree, no
    labs/labK-*/ folder of a later lab."""
    patterns = load_manifest(root) + [MANIFEST]
    later = [folder + "/" for k, folder in known_labs(root).items()
             if lab is not None and markers.lab_key(k) > markers.lab_key(lab)]
    return [p for p in tree_files(root)
            if not instructor_only(p, patterns) and not any(p.startswith(f) for f in later)]


def read_text(path):
    """The file's text, or None for a binary (not UTF-8) file."""
    with open(path, "rb") as f:
        data = f.read()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def scan(root, files):
    """{path: (text, regions)} of every marker-bearing file; every MarkerError in a list."""
    known = set(known_labs(root))
    found, errors = {}, []
    for path in files:
        if markers.comment_style(path) is None or os.path.islink(os.path.join(root, path)):
            continue
        text = read_text(os.path.join(root, path))
        if text is None:
            continue
        regions, errs = markers.parse(path, text, known)
        errors += errs
        if regions:
            found[path] = (text, regions)
    return found, errors


def report(errors):
    for e in errors:
        print(str(e), file=sys.stderr)
    print("handout: %d malformed marker%s" % (len(errors), "" if len(errors) == 1 else "s"),
          file=sys.stderr)


def cmd_check(root):
    found, errors = scan(root, student_files(root))
    if errors:
        report(errors)
        return 2
    count = {}
    for _, regions in found.values():
        for r in regions:
            count[r.lab] = count.get(r.lab, 0) + 1
    print("check-markers: %s" % (", ".join("lab %s: %d regions" % (k, count[k])
                                           for k in markers.sorted_labs(count))
                                 or "no markers"))
    return 0


def copy_file(root, path, dest, text):
    src, dst = os.path.join(root, path), os.path.join(dest, path)
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    if os.path.islink(src):
        os.symlink(os.readlink(src), dst)
        return
    if text is None:
        shutil.copyfile(src, dst)
    else:
        with open(dst, "w", newline="") as f:
            f.write(text)
    os.chmod(dst, 0o755 if os.stat(src).st_mode & 0o111 else 0o644)


def git_commit(dest, lab):
    env = dict(os.environ, GIT_AUTHOR_NAME=AUTHOR[0], GIT_AUTHOR_EMAIL=AUTHOR[1],
               GIT_COMMITTER_NAME=AUTHOR[0], GIT_COMMITTER_EMAIL=AUTHOR[1],
               GIT_AUTHOR_DATE=COMMIT_DATE, GIT_COMMITTER_DATE=COMMIT_DATE,
               GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull)
    git = ["git", "-C", dest, "-c", "commit.gpgsign=false", "-c", "core.autocrlf=false"]
    for argv in (["init", "-q", "-b", "main"], ["add", "-A"],
                 ["commit", "-q", "-m", "ExoLab lab %s handout" % lab]):
        done = subprocess.run(git + argv, env=env, capture_output=True, text=True)
        if done.returncode != 0:
            raise HandoutError("git %s failed: %s" % (argv[0], done.stderr.strip()))


def cmd_make(root, lab, dest):
    labs = known_labs(root)
    if lab not in labs:
        raise HandoutError("no lab %s (the labs are %s)" % (lab, ", ".join(labs)))
    if os.path.exists(dest) and os.listdir(dest):
        raise HandoutError("%s exists and is not empty" % dest)
    files = student_files(root, lab)
    found, errors = scan(root, files)
    if errors:
        report(errors)
        return 2
    os.makedirs(dest, exist_ok=True)
    for path in files:
        text = None
        if path in found:
            text = markers.strip_for_lab(*found[path], lab)
        copy_file(root, path, dest, text)
    with open(os.path.join(dest, LAB_FILE), "w") as f:
        f.write("%s\n" % lab)
    # The reference README describes the reference tree: the student's says what theirs is.
    earlier = [k for k in labs if markers.lab_key(k) < markers.lab_key(lab)]
    with open(os.path.join(dest, "README.md"), "w") as f:
        f.write(student_readme.render(root, lab, labs[lab], earlier))
    git_commit(dest, lab)
    stubs = sum(1 for _, regions in found.values() for r in regions
                if markers.lab_key(r.lab) >= markers.lab_key(lab))
    print("handout: lab %s in %s: %d files, %d regions reduced to stubs"
          % (lab, dest, len(files) + 1, stubs))
    return 0


def main(argv=None):
    p = argparse.ArgumentParser(description="Write a lab handout tree or check the markers.")
    p.add_argument("--root", default=ROOT, help="the reference tree (default: this checkout)")
    sub = p.add_subparsers(dest="cmd", required=True)
    sub.add_parser("check", help="check every marker; exit 2 if any is malformed")
    mk = sub.add_parser("make", help="write the lab-N handout into DEST")
    mk.add_argument("--lab", required=True, help="a lab id: 1, 2, ..., 4, 4b, 5")
    mk.add_argument("--dest", required=True)
    opts = p.parse_args(argv)
    try:
        if opts.cmd == "check":
            return cmd_check(opts.root)
        if not markers.LAB_ID.fullmatch(opts.lab):
            raise HandoutError("lab %r is not a lab id (4, 4b)" % opts.lab)
        return cmd_make(opts.root, opts.lab, os.path.abspath(opts.dest))
    except (HandoutError, OSError) as e:
        print("handout: %s" % e, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
