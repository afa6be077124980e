"""What a grader killed with SIGKILL leaves behind, removed: a small process started with the
grading run that waits for its grader to end and, if it ended without cleaning up (killed), removes
its jobs' cgroups and folders and kills every process of a job user id no live job holds.

The zygote kills its own children when the grader goes, but it may never have come up
(its imports take minutes in a slow machine, and a run then starts its jobs itself), or
it may have died; this process imports nothing heavy and is up in a fraction of a second,
so what a killed grader leaves is removed in every case. The next grader's
`sandbox.remove_stale` removes it too, should this process itself have been killed.

    python -m autograder.undertaker BASE GRADER_PID
"""

from __future__ import annotations

import logging
import os
import pathlib
import signal
import subprocess
import sys
import time

from . import cgroups
from .lifeline import die_with_parent, ready_line, start_module
from .sandbox import remove_left_by

log = logging.getLogger(__name__)

READY = "ready"
START_SECONDS = 60.0  # its imports are light: a machine where it needs longer has other problems
# how often it looks whether the grader is gone (getppid: no cost worth counting)
POLL_SECONDS = 0.1


def aftermath(grader: int, base: pathlib.Path) -> None:
    """Remove what the killed grader `grader` left (`sandbox.remove_left_by` its entries), then give
    back the cgroup base it had prepared, if no other grader's job is left there."""
    prefix = f"aekit-{grader}-"
    remove_left_by(lambda entry: entry.name.startswith(prefix), base)
    cgroups.release()


class Undertaker:
    """The grader's side: start the process (from the thread that lives as
    long as the run: the process is told when that thread ends), and stop
    it at the run's ordinary end (then it removes nothing)."""

    def __init__(self, base: pathlib.Path):
        self.base = base
        self.proc: subprocess.Popen | None = None

    def start(self) -> bool:
        """Start it and wait until it watches; False (logged) when it does not come up."""
        self.proc = start_module("autograder.undertaker", str(self.base), stdout=subprocess.PIPE)
        if ready_line(self.proc, START_SECONDS) != READY:
            log.warning(
                "the clean-up process for a killed grader did not start: "
                "the next run cleans up instead"
            )
            self.stop()
            return False
        return True

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            # the grader's ordinary end: it exits, removing nothing
            self.proc.send_signal(signal.SIGUSR1)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


def main(argv: list[str]) -> int:
    base, grader = pathlib.Path(argv[0]), int(argv[1])
    # the grader's ordinary end says so with SIGUSR1: nothing to remove (its own clean-up ran)
    signal.signal(signal.SIGUSR1, lambda *_: os._exit(0))
    # SIGTERM comes when the grader's thread that started this one ends (PR_SET_PDEATHSIG): when the
    # grader is killed, that thread may end before its others, and until the last one has, this
    # process is their child and getppid() still names the grader; so the signal only wakes the
    # loop, which waits for the whole process
    signal.signal(signal.SIGTERM, lambda *_: None)
    die_with_parent(sig=signal.SIGTERM)
    print(READY, flush=True)
    while os.getppid() == grader:
        time.sleep(POLL_SECONDS)
    aftermath(grader, base)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
