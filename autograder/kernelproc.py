"""The student's kernel as a process, seen from the trusted grading run: start it, see it alive,
interrupt it, stop it, and the notebook's time left.

`KernelProcess` is the life cycle only; what runs in the kernel (cells, calls, their time limits) is
`calls.Kernel`'s. The kernel is started from the job's kernel spec (sandbox.py), whose command
confines it before any student code runs (confine.py).

When the kernel cannot be used any more, `KernelGone` says why with a `Gone` reason, never in its
text alone: the grading run decides the notebook's status from the reason (pipeline.py).
"""

from __future__ import annotations

import enum
import logging
import os
import time

from .cgroups import end_processes, process_count
from .messages import KERNEL_IP_ENV, RUNNER_PID_ENV

log = logging.getLogger(__name__)

# the least and the most a kernel start may wait for the kernel's first answer
START_SECONDS = (5.0, 120.0)
# the most a stop waits for the student's processes to be gone (killed processes must exit)
END_SECONDS = 60.0
# the kernel's own processes in the student's cgroups: the kernel, and (in a PID namespace) the
# process that waits for it (confine.py); any more were started by the student's code
KERNEL_PROCESSES = 2


class Gone(enum.Enum):
    """Why the kernel cannot be used any more (the value is what the grader says)."""

    DIED = "the kernel died"
    TIME_UP = "the notebook's time ran out"
    NO_START = "the kernel did not start"
    NO_SERVER = "the kernel cannot answer calls"


class KernelGone(Exception):
    """The student's kernel died or cannot be made to answer; `reason` says which (`Gone`)."""

    def __init__(self, reason: Gone, detail: str = ""):
        super().__init__(f"{reason.value} ({detail})" if detail else reason.value)
        self.reason = reason


class KernelProcess:
    """One student's kernel: started with `env` (the job's, `sandbox.JobSandbox.kernel_env`) in
    `cwd`, and the notebook's `deadline` (time.monotonic). `student_cgroups`
    (`cgroups.JobCgroups.student`) hold the kernel and every process it started, and nothing else: a
    stop empties them, so a restarted kernel starts alone, with the whole process limit, whatever
    the last one left running (a fork bomb, a worker, an implant)."""

    def __init__(self, env: dict, cwd: str, deadline: float, student_cgroups: dict | None = None):
        self.env, self.cwd, self.deadline = dict(env), cwd, deadline
        self.student_cgroups = dict(student_cgroups or {})
        self.km = self.kc = None

    def start(self) -> None:
        """Start the kernel and wait for its first answer;
        KernelGone(NO_START) when it does not come."""
        from jupyter_client import KernelManager

        env = dict(self.env)
        self.km = KernelManager(kernel_name="python3")
        self.km.transport = "ipc"
        self.km.ip = env.pop(KERNEL_IP_ENV)
        # its stand-in exits at once if this process is gone before it watches
        env[RUNNER_PID_ENV] = str(os.getpid())
        self.km.start_kernel(env=env, cwd=self.cwd)
        self.kc = self.km.blocking_client()
        self.kc.start_channels()
        try:
            self.kc.wait_for_ready(
                timeout=max(START_SECONDS[0], min(START_SECONDS[1], self.left()))
            )
        except RuntimeError as exc:
            raise KernelGone(Gone.NO_START, str(exc)) from None

    def left(self) -> float:
        """The notebook's time left, in seconds (negative once it ran out)."""
        return self.deadline - time.monotonic()

    def alive(self) -> bool:
        return self.km is not None and self.km.is_alive()

    def left_running(self) -> bool:
        """Are processes the student's code started still running (a worker, a fork bomb)? After a
        stopped cell they must end: they hold the job's process limit, and a kernel that then
        cannot start a thread aborts (TensorFlow starts its thread pools at its first operation)."""
        return bool(self.student_cgroups) and process_count(self.student_cgroups) > KERNEL_PROCESSES

    def interrupt(self) -> None:
        """SIGINT the kernel (what it runs raises KeyboardInterrupt, unless
        it ignores the signal)."""
        self.km.interrupt_kernel()

    def stop(self) -> None:
        """Stop the kernel now, and every process it started (nothing when it is not running)."""
        if self.km is None:
            return
        try:
            self.kc.stop_channels()
        finally:
            try:
                self.km.shutdown_kernel(now=True)
            except Exception:  # (jupyter_client raises several kinds for a kernel already gone)
                log.debug("the kernel was already gone when stopped", exc_info=True)
            self.km = self.kc = None
            if self.student_cgroups and not end_processes(self.student_cgroups, END_SECONDS):
                log.warning(
                    "the processes of a stopped kernel were still there after %g s", END_SECONDS
                )
