"""Launching programs built from the student's code on the host (gradelib re-exports these).

A grader that runs a host binary (a Criterion test linked with the student's code, exosim
with the student's driver) starts it with run_host, and gives it a scratch folder from
host_tmpdir.  Normally that is plain subprocess.run.  Gradescope's run_autograder runs the
graders as root and sets EXOLAB_RUN_AS=USER (labs/gradescope/autograder.py): the program then
runs as USER through setpriv(1) (util-linux), with no new privileges, so the student's code
(a constructor, say) cannot touch the graders, the hidden tests or results.json, which are
root's and not writable by USER.  The graders themselves stay root."""

import contextlib
import os
import pwd
import subprocess
import tempfile

RUN_AS = "EXOLAB_RUN_AS"


def run_as():
    """The user host programs run as (EXOLAB_RUN_AS), or None: the grader's own user."""
    return os.environ.get(RUN_AS) or None


def host_argv(argv, user=None):
    """argv, run as `user` (default EXOLAB_RUN_AS) when one is set: setpriv drops to its
    uid, gid and groups; --no-new-privs keeps a setuid program from raising them again."""
    user = user or run_as()
    if not user:
        return list(argv)
    pw = pwd.getpwnam(user)
    return ["setpriv", "--reuid=%d" % pw.pw_uid, "--regid=%d" % pw.pw_gid, "--init-groups",
            "--no-new-privs", "--"] + list(argv)


def run_host(argv, **kw):
    """subprocess.run(argv, **kw) for a program built from the student's code."""
    return subprocess.run(host_argv(argv), **kw)


@contextlib.contextmanager
def host_tmpdir():
    """A temporary folder a host program may write (a Criterion --json report): owned by
    EXOLAB_RUN_AS when that is set, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="exolab-host-") as d:
        user = run_as()
        if user:
            pw = pwd.getpwnam(user)
            os.chown(d, pw.pw_uid, pw.pw_gid)
        yield d
