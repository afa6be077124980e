"""Nothing of a job outlives the process that started it: a child asks the
kernel to end it with its parent.

Used by every process the grader starts that must not run on alone: the
zygote and its children, a grading run, a kernel's stand-in, the undertaker;
and the grader starts each of its Python children here (`start_module`), with
fixed interpreter flags. Light (the standard library and jobspace's C library
only): the kernel's side imports it too.
"""

from __future__ import annotations

import logging
import os
import select
import signal
import subprocess
import sys

from . import jobspace

log = logging.getLogger(__name__)

PR_SET_PDEATHSIG = 1
# every Python the grader starts as root (the kernel launcher, the zygote, the undertaker) reads no
# user site-packages and (3.11+) puts no working folder on its import path: nothing it imports lies
# where a job could write
PYTHON_FLAGS = ("-s", "-P") if sys.version_info >= (3, 11) else ("-s",)
# where `python -m autograder.…` finds the package
_PACKAGE_PARENT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def python_module_argv(module: str, *args: str) -> list[str]:
    """The command that runs `python -m module args…` with this interpreter and PYTHON_FLAGS."""
    return [sys.executable, *PYTHON_FLAGS, "-m", module, *args]


def start_module(
    module: str,
    *args: str,
    env: dict[str, str] | None = None,
    cwd: str = _PACKAGE_PARENT,
    stdout: int = subprocess.DEVNULL,
) -> subprocess.Popen:
    """Start `python -m module args… <this pid>`, a process that must not outlive this one (it
    calls `die_with_parent` with that pid), in a session of its own. A companion that says when
    it is ready takes `stdout=subprocess.PIPE` (`ready_line`). Call it from a thread that lives
    as long as the run: the process is told when that thread ends."""
    return subprocess.Popen(  # noqa: S603  (this Python, a fixed argv)
        python_module_argv(module, *args, str(os.getpid())),
        stdin=subprocess.DEVNULL,
        stdout=stdout,
        stderr=subprocess.DEVNULL,
        env=env,
        start_new_session=True,
        text=True,
        cwd=cwd,
    )


def ready_line(proc: subprocess.Popen, seconds: float) -> str:
    """The first line a started module wrote, stripped; "" when none came within `seconds`."""
    if not select.select([proc.stdout], [], [], seconds)[0]:
        return ""
    return proc.stdout.readline().strip()


def die_with_parent(parent: int | None = None, sig: int = signal.SIGKILL) -> None:
    """Have the kernel send this process `sig` when its parent ends (PR_SET_PDEATHSIG), so nothing
    of a job outlives a grader that was killed. Changing the user id clears it: call it again after.

    A parent that ended before this call sends nothing: given the pid the
    parent had, exit now if it is gone.
    """
    jobspace.libc().prctl(PR_SET_PDEATHSIG, sig)
    if parent is not None and os.getppid() != parent:
        os._exit(1)
