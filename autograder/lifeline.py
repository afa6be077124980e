"""Nothing of a job outlives the process that started it: a child asks the
kernel to end it with its parent.

Used by every process the grader starts that must not run on alone: the
zygote and its children, a grading run, a kernel's stand-in, the undertaker.
Light (jobspace's C library only): the kernel's side imports it too.
"""

from __future__ import annotations

import logging
import os
import signal

from . import jobspace

log = logging.getLogger(__name__)

PR_SET_PDEATHSIG = 1


def die_with_parent(parent: int | None = None, sig: int = signal.SIGKILL) -> None:
    """Have the kernel send this process `sig` when its parent ends (PR_SET_PDEATHSIG), so nothing
    of a job outlives a grader that was killed. Changing the user id clears it: call it again after.

    A parent that ended before this call sends nothing: given the pid the
    parent had, exit now if it is gone.
    """
    jobspace.libc().prctl(PR_SET_PDEATHSIG, sig)
    if parent is not None and os.getppid() != parent:
        os._exit(1)
