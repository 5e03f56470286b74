#!/usr/bin/env python3
"""Gradescope's run_autograder for one ExoLab lab (the zip `make gradescope LAB=n` writes).

Gradescope unpacks the zip into /autograder/source, puts the student's files in
/autograder/submission and reads /autograder/results/results.json when this exits
(gradescope-autograders.readthedocs.io, "Autograder Specifications").  The steps:

  1. copy the clean handout tree shipped in the zip (source/handout) to a fresh work tree;
  2. copy the submission over it, leaving out .git and obj/ (a prebuilt ISO would be booted);
  3. put back every protected path from the clean handout (PROTECTED: the graders, the
     Makefiles, the build scripts, the test programs): a protected folder is replaced whole,
     so a file the submission adds there is gone too, and a file matching a protected
     pattern that the handout does not have (a GNUmakefile, a new Makefrag) is deleted;
  4. copy the instructor's overlay (source/overlay) over it: its Python files (the hidden
     grade/labK-NAME.py tests) only after step 5, readable by root alone; its other files
     (a hidden unit test's .mk and C source, compiled with the student's code) before;
  5. build (`make grade-labN GRADEFLAGS=--list`: the ISO and the lab's host test binaries);
  6. grade (grade/gradelib.py on the lab's graders), results to a private file, then write
     results.json; if nothing graded (the build failed), every test scores 0 with the log.

As root (Gradescope), steps 5 and 6 keep the student's code away from root (privsep.py):
the build and every host program built from the submission run as the unprivileged
exolab-student; the graders, the hidden tests and results.json are root's.

EXOLAB_AUTOGRADER_ROOT replaces /autograder (the tests run this against a temporary root).
Options (for tests; Gradescope passes none): --only NAME (repeatable), --jobs N;
--setup-user (setup.sh) only creates the student's user.
"""

import argparse
import fnmatch
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import privsep

# The graders' launch helper (grade/gradelib_host.py): from the zip's handout on Gradescope,
# from this tree's grade/ when the tests import this file.
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, next(d for d in (os.path.join(HERE, "handout", "grade"),
                                    os.path.join(HERE, "..", "..", "grade"))
                        if os.path.isfile(os.path.join(d, "gradelib_host.py"))))
import gradelib_host  # noqa: E402

# Paths a submission cannot change: folders (trailing '/') are replaced whole, patterns
# match a file's path or its name anywhere in the tree.
PROTECTED_DIRS = ["grade/", "labs/", "hw/", "user/", "kern/test/"]
PROTECTED_FILES = [".exolab-lab", "Makefile", "GNUmakefile", "makefile", "Makefrag", "*.mk",
                   "*.py", "*.sh", "*.ld", "grub.cfg", ".clang-format"]
SKIPPED = {".git", "obj"}  # never taken from a submission
LOG_TAIL = 60  # lines of the build log shown when nothing could be graded


def submission_root(sub):
    """The submitted tree: the submission itself, or its one folder when the student zipped
    a folder holding the tree."""
    entries = [e for e in os.listdir(sub) if e not in SKIPPED and e != "__MACOSX"]
    if len(entries) == 1 and os.path.isdir(os.path.join(sub, entries[0])) \
            and not os.path.exists(os.path.join(sub, "Makefile")):
        return os.path.join(sub, entries[0])
    return sub


def copy_over(src, dst, skip=(), keep=None):
    """cp -R src/. dst, files and symlinks alike (a symlink is copied, not followed); only
    the files whose path keep(rel) accepts when keep is given.  The paths copied."""
    copied = []
    for dirpath, dirnames, filenames in os.walk(src):
        rel = os.path.relpath(dirpath, src)
        dirnames[:] = [d for d in dirnames
                       if not (rel == "." and d in skip) and not os.path.islink(os.path.join(dirpath, d))]
        links = [d for d in os.listdir(dirpath) if os.path.islink(os.path.join(dirpath, d))]
        os.makedirs(os.path.join(dst, rel), exist_ok=True)
        for name in set(filenames) | set(links):
            path = os.path.normpath(os.path.join(rel, name))
            if (rel == "." and name in skip) or (keep and not keep(path)):
                continue
            s, d = os.path.join(dirpath, name), os.path.join(dst, path)
            if os.path.lexists(d) and (os.path.islink(d) or not os.path.isdir(d)):
                os.unlink(d)
            elif os.path.isdir(d):
                shutil.rmtree(d)
            if os.path.islink(s):
                os.symlink(os.readlink(s), d)
            else:
                shutil.copy2(s, d)
            copied.append(path)
    return copied


def protected_file(rel):
    return any(fnmatch.fnmatch(rel, p) or fnmatch.fnmatch(os.path.basename(rel), p)
               for p in PROTECTED_FILES)


def restore_protected(clean, tree):
    """Step 3: the protected folders and files become the clean handout's again."""
    for d in PROTECTED_DIRS:
        path = os.path.join(tree, d)
        if os.path.islink(path.rstrip("/")) or os.path.isfile(path.rstrip("/")):
            os.unlink(path.rstrip("/"))
        elif os.path.isdir(path):
            shutil.rmtree(path)
        if os.path.isdir(os.path.join(clean, d)):
            copy_over(os.path.join(clean, d), path)
    for dirpath, dirnames, filenames in os.walk(tree):
        for name in filenames + [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]:
            rel = os.path.relpath(os.path.join(dirpath, name), tree)
            if protected_file(rel) and not os.path.lexists(os.path.join(clean, rel)):
                os.unlink(os.path.join(tree, rel))
    for dirpath, _, filenames in os.walk(clean):
        for name in filenames:
            rel = os.path.relpath(os.path.join(dirpath, name), clean)
            if protected_file(rel):
                dst = os.path.join(tree, rel)
                if os.path.lexists(dst) and not os.path.isdir(dst):
                    os.unlink(dst)
                elif os.path.isdir(dst):
                    shutil.rmtree(dst)
                os.makedirs(os.path.dirname(dst), exist_ok=True)
                shutil.copy2(os.path.join(clean, rel), dst)


def lab_files(grade_dir, lab):
    """grade/labN.py and the overlay's grade/labN-NAME.py (what `make grade-labN` grades)."""
    names = sorted(n for n in os.listdir(grade_dir)
                   if n == "lab%s.py" % lab or (n.startswith("lab%s-" % lab) and n.endswith(".py")))
    return [os.path.join(grade_dir, n) for n in names]


def failed_results(grade_dirs, lab, only, message, seconds):
    """Every test of the lab (the clean graders and the overlay's) at 0, each saying why."""
    sys.path.insert(0, grade_dirs[0])
    import gradelib
    labs = [gradelib.load_lab(p) for d in grade_dirs if os.path.isdir(d)
            for p in lab_files(d, lab)]
    tests = gradelib._select(labs, only)
    rows = [{"lab": t.lab.name, "name": t.name, "score": 0, "max_score": t.points,
             "skipped": False, "passed": False} for t in tests]
    return gradelib.gradescope_results(tests, rows, [[message]] * len(tests), 0, seconds)


def run_logged(argv, cwd, env):
    """Run argv; its output goes to run_autograder's stdout (the instructor sees it)."""
    done = subprocess.run(argv, cwd=cwd, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, errors="replace")
    sys.stdout.write(done.stdout)
    sys.stdout.flush()
    return done


def build(tree, lab, jobs, pw):
    """Step 5, as the student's user when pw is set: (succeeded, the make log)."""
    env = {k: v for k, v in os.environ.items() if k != gradelib_host.RUN_AS}
    argv = ["make", "-C", tree, "-j%d" % jobs, "grade-lab" + lab, "GRADEFLAGS=--list"]
    done = run_logged(gradelib_host.host_argv(argv, pw and pw.pw_name), tree, env)
    if pw:
        privsep.kill_leftovers(pw)
    return done.returncode == 0, done.stdout


def grade(tree, lab, only, jobs, private, pw):
    """Step 6, as root, host programs as the student's user: (results or None, the log)."""
    out = os.path.join(private, "results.json")
    env = dict(os.environ)
    env.pop(gradelib_host.RUN_AS, None)
    if pw:
        env[gradelib_host.RUN_AS] = pw.pw_name
    files = [os.path.relpath(f, tree) for f in lab_files(os.path.join(tree, "grade"), lab)]
    argv = [sys.executable, os.path.join("grade", "gradelib.py")] + files + \
        ["--gradescope", out, "-j%d" % jobs] + ["--only=" + o for o in only]
    done = run_logged(argv, tree, env)
    if pw:
        privsep.kill_leftovers(pw)
    if not os.path.exists(out):
        return None, done.stdout
    with open(out) as f:
        return json.load(f), done.stdout


def student_files(sub, tree):
    """The submission's files that stayed in the tree (not protected): the student's own."""
    files = []
    for dirpath, dirnames, filenames in os.walk(sub):
        if dirpath == sub:
            dirnames[:] = [d for d in dirnames if d not in SKIPPED]
        for name in filenames:
            rel = os.path.relpath(os.path.join(dirpath, name), sub)
            if not protected_file(rel) and not any(rel.startswith(d) for d in PROTECTED_DIRS) \
                    and os.path.isfile(os.path.join(tree, rel)):
                files.append(rel)
    return files


def prepare(root, clean, tree, pw):
    """Steps 1-4 (the overlay's Python files wait): the tree, and its hidden graders."""
    source = os.path.join(root, "source")
    shutil.rmtree(os.path.join(root, "work"), ignore_errors=True)
    os.makedirs(os.path.join(root, "work"))
    os.chmod(os.path.join(root, "work"), 0o755)
    copy_over(clean, tree)
    sub = submission_root(os.path.join(root, "submission"))
    copy_over(sub, tree, skip=SKIPPED)
    restore_protected(clean, tree)
    overlay = os.path.join(source, "overlay")
    if os.path.isdir(overlay):
        copy_over(overlay, tree, keep=lambda rel: not rel.endswith(".py"))
    os.makedirs(os.path.join(root, "results"), exist_ok=True)
    if pw:
        privsep.make_root_only_writable(os.path.join(root, "results"))
        privsep.make_root_only_writable(source)
        privsep.hide([overlay])
        privsep.give_tree(root, tree, pw, student_files(sub, tree))


def add_hidden(source, tree, pw):
    """After the build: the overlay's Python files (hidden graders), root's alone."""
    overlay = os.path.join(source, "overlay")
    if not os.path.isdir(overlay):
        return
    copied = copy_over(overlay, tree, keep=lambda rel: rel.endswith(".py"))
    privsep.hide([os.path.join(tree, rel) for rel in copied])


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--only", action="append", default=[], help="grade only these tests")
    p.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1))
    p.add_argument("--setup-user", action="store_true",
                   help="only create the student's user (setup.sh, as root)")
    opts = p.parse_args(argv)
    if opts.setup_user:
        print("autograder: user %s is uid %d" % (privsep.USER, privsep.ensure_user().pw_uid))
        return 0
    begin = time.monotonic()
    root = os.environ.get("EXOLAB_AUTOGRADER_ROOT", "/autograder")
    source, clean = os.path.join(root, "source"), os.path.join(root, "source", "handout")
    with open(os.path.join(clean, ".exolab-lab")) as f:
        lab = f.read().strip()
    tree = os.path.join(root, "work", "exolab")
    pw, why = privsep.plan()
    print(why)
    prepare(root, clean, tree, pw)
    built, log = build(tree, lab, opts.jobs, pw)
    if pw:
        for rel in privsep.take_back_obj(tree):
            print("autograder: removed %s (a link out of obj/)" % rel)
    add_hidden(source, tree, pw)
    res = None
    if built:
        private = tempfile.mkdtemp(prefix="exolab-results-", dir=os.path.join(root, "work"))
        res, log = grade(tree, lab, opts.only, opts.jobs, private, pw)
    seconds = time.monotonic() - begin
    if res is None or not res.get("tests"):
        tail = "\n".join(log.rstrip("\n").splitlines()[-LOG_TAIL:])
        dirs = [os.path.join(clean, "grade"), os.path.join(source, "overlay", "grade")]
        res = failed_results(dirs, lab, opts.only,
                             "nothing was graded: the build failed.  Last lines of the log:\n"
                             + tail, seconds)
        res["output"] = "The build failed: no test ran."
    res["execution_time"] = int(round(seconds))
    res["score"] = sum(t["score"] for t in res["tests"])
    os.makedirs(os.path.join(root, "results"), exist_ok=True)
    with open(os.path.join(root, "results", "results.json"), "w") as f:
        json.dump(res, f, indent=2, allow_nan=False)
    print("autograder: lab %s: %g/%g in %ds" % (lab, res["score"],
                                                sum(t["max_score"] for t in res["tests"]), seconds))
    return 0


if __name__ == "__main__":
    sys.exit(main())
