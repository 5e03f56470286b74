"""Privilege separation for run_autograder (autograder.py): the student's code never runs as root.

Gradescope runs run_autograder as root, and grading a lab builds the submission and runs
host programs linked with it (Criterion tests, exosim): a constructor in the student's file
would run as root and could rewrite the graders, the hidden tests or results.json.  So, when
root, autograder.py:

  - makes the work tree root's and not writable by others, but for the student's own files
    and obj/, which become USER's (an unprivileged account setup.sh creates);
  - builds as USER (setpriv(1) from util-linux: uid, gid, groups, no new privileges);
  - kills whatever USER left running, then takes obj/ back (root's, not writable by USER,
    no symlink out of the tree) before the graders, which run as root, read or write there;
  - runs the graders as root with EXOLAB_RUN_AS=USER: gradelib.run_host starts each host
    program as USER (grade/gradelib_host.py);
  - keeps the hidden Python graders and source/overlay readable by root alone.

Not root (a local `make gradescope-selftest` as a user): nothing to separate; the log says so."""

import os
import pwd
import shutil
import stat
import subprocess
import sys

USER = "exolab-student"  # the account the student's code runs as (setup.sh creates it)
KILL_ALL = "import os, signal\ntry:\n    os.kill(-1, signal.SIGKILL)\nexcept OSError:\n    pass\n"


def ensure_user(name=USER):
    """The account `name`, created (a system user, no home, no login shell) if missing."""
    try:
        return pwd.getpwnam(name)
    except KeyError:
        pass
    done = subprocess.run(["useradd", "--system", "--user-group", "--no-create-home",
                           "--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin", name],
                          capture_output=True, text=True)
    try:
        return pwd.getpwnam(name)  # another run may have created it meanwhile
    except KeyError:
        raise SystemExit("autograder: cannot create user %s: %s" % (name, done.stderr.strip()))


def plan(name=USER):
    """(the account the student's code runs as or None, a log line saying which)."""
    if os.geteuid() != 0:
        return None, ("autograder: running as uid %d, not root: NO privilege separation, the "
                      "build and the host tests run as this user (Gradescope runs this as "
                      "root, and then they run as %s)" % (os.geteuid(), name))
    if not shutil.which("setpriv"):
        raise SystemExit("autograder: root, but no setpriv (util-linux): refusing to run the "
                         "submission's code as root")
    pw = ensure_user(name)
    return pw, ("autograder: privilege separation: the build and the student's host programs "
                "run as %s (uid %d); the graders and results.json stay root"
                % (pw.pw_name, pw.pw_uid))


def walk_all(top):
    """top and every path under it, symlinks not followed."""
    yield top
    for dirpath, dirnames, filenames in os.walk(top):
        for name in dirnames + filenames:
            yield os.path.join(dirpath, name)


def make_root_only_writable(top):
    """Everything under top: owned by root, not writable by group or others."""
    for path in walk_all(top):
        os.lchown(path, 0, 0)
        mode = os.lstat(path).st_mode
        if not stat.S_ISLNK(mode):
            os.chmod(path, stat.S_IMODE(mode) & ~0o022)


def check_reachable(path, root):
    """Every folder above path lets others through (USER must reach the tree); root (the
    /autograder folder) is made so if it is not."""
    os.chmod(root, stat.S_IMODE(os.stat(root).st_mode) | stat.S_IXOTH)
    path = os.path.abspath(path)
    while path != os.path.dirname(path):
        path = os.path.dirname(path)
        if not os.stat(path).st_mode & stat.S_IXOTH:
            raise SystemExit("autograder: %s is not searchable by others: the student's user "
                             "cannot reach the work tree" % path)


def give_tree(root, tree, pw, student_files):
    """Before the build: the tree is root's, but for the student's files and obj/."""
    check_reachable(tree, root)
    make_root_only_writable(tree)
    for rel in student_files:
        path = os.path.join(tree, rel)
        if os.path.isfile(path) and not os.path.islink(path):
            os.chown(path, pw.pw_uid, pw.pw_gid)
    obj = os.path.join(tree, "obj")
    os.makedirs(obj, exist_ok=True)
    os.chown(obj, pw.pw_uid, pw.pw_gid)


def kill_leftovers(pw):
    """Every process of USER (a daemon the build left behind), killed by USER itself."""
    subprocess.run(["setpriv", "--reuid=%d" % pw.pw_uid, "--regid=%d" % pw.pw_gid,
                    "--clear-groups", "--", sys.executable, "-c", KILL_ALL])


def link_kept(target, tree):
    """A symlink the build may leave in obj/: to a folder inside the tree (the build's
    include links), not the tree itself nor the graders' grade/ or labs/."""
    inside = target.startswith(tree + os.sep)
    rel = os.path.relpath(target, tree).split(os.sep)[0]
    return inside and os.path.isdir(target) and rel not in ("grade", "labs")


def take_back_obj(tree):
    """After the build: obj/ is root's and not writable by USER, and a symlink in it leads
    only to a folder of the tree (link_kept); any other symlink, and any file with a second
    hard link, is removed, so the graders (root) write nowhere else.  The paths removed."""
    real_tree = os.path.realpath(tree)
    removed = []
    for path in list(walk_all(os.path.join(tree, "obj"))):
        st = os.lstat(path)
        if stat.S_ISLNK(st.st_mode) and not link_kept(os.path.realpath(path), real_tree):
            os.unlink(path)
            removed.append(path)
        elif stat.S_ISREG(st.st_mode) and st.st_nlink > 1:
            os.unlink(path)
            removed.append(path)
    make_root_only_writable(os.path.join(tree, "obj"))
    return [os.path.relpath(path, tree) for path in removed]


def hide(paths):
    """Files and folders root alone may read (the hidden graders, source/overlay)."""
    for path in paths:
        if os.path.lexists(path) and not os.path.islink(path):
            os.chmod(path, 0o700 if os.path.isdir(path) else 0o600)
