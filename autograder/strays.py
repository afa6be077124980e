"""The processes a student's kernel leaves running get the least CPU of their job.

A cell may start processes that run on after it (a forgotten worker, or an implant that forks a new
pid every few milliseconds to outlive its job: tests/attacks/pid_hopping_implant.py). They stay in
the job's cgroups, so they end with the job and cannot touch another student's; but they share the
job's CPU quota with the kernel, and a process that forks a copy of a TensorFlow kernel hundreds of
times a second takes a large part of it (about 8 ms of CPU per fork here, many times that in an
emulated machine), slowing the kernel until its own notebook times out.

`StrayWatch` looks at each running job's kernel cgroup a few times a second and moves
every process but the kernel itself into the job's `strays` cgroup (cgroups.py), which may
use a tenth of a CPU at most, at the least CPU weight. A process forked there stays there,
so one move holds a whole line of forks, and the kernel keeps at least its job's CPU quota
less a tenth of a CPU. (A weight alone is not enough: the scheduler weighs processes on
the same CPU, and a stray on another CPU spends the job's quota in parallel.)

The price: while graded, every process a kernel starts (a `!command`, a `subprocess.run`, a
multiprocessing pool) runs on that tenth of a CPU. A graded notebook of this course starts none (the
Colab set-up cell's pip install does nothing under grading).

Which processes are the kernel: the oldest process of the kernel cgroup (the one that joined it: the
zygote's child, or the stand-in `confine.main` started), and, in a job with its own PID namespace,
that process's oldest child (the kernel, PID 1 of the namespace, which the first waits for). Every
process forked later is younger: a process cannot make itself older.
"""

from __future__ import annotations

import dataclasses
import logging
import pathlib
import threading
import time

from .cgroups import JobCgroups

log = logging.getLogger(__name__)

POLL_SECONDS = 0.2  # how often each running job's kernel cgroup is looked at
# moves per look: a process that forks and exits at once leaves a new pid behind each time
PASSES = 5
PROC = pathlib.Path("/proc")
# after the kernel ended, how long the killed strays may use the job's whole CPU to exit
UNCAP_SECONDS = 10.0


def _stat(pid: int) -> tuple[int, int] | None:
    """(parent pid, start time in clock ticks since boot) of a process, or None when it is gone."""
    try:
        text = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    # after "pid (comm) ": state, ppid, ... starttime is field 22
    fields = text[text.rindex(")") + 2 :].split()
    return int(fields[1]), int(fields[19])


def kernel_of(pids: set[int], isolated: bool) -> set[int]:
    """Which of a kernel cgroup's processes are the kernel (see the module docstring)."""
    stats = {pid: st for pid in pids if (st := _stat(pid)) is not None}
    if not stats:
        return set()
    head = min(stats, key=lambda pid: (stats[pid][1], pid))
    kernel = {head}
    if isolated:
        children = [pid for pid, (parent, _) in stats.items() if parent == head]
        if children:
            kernel.add(min(children, key=lambda pid: (stats[pid][1], pid)))
    return kernel


def demote(job: JobCgroups, isolated: bool, kernel: set[int] | None = None) -> int:
    """Move every process of the job's kernel cgroup but the kernel into `strays`; how many moved.
    `kernel`, when given, receives the kernel's pids."""
    if job.strays_cgroup() is None:
        return 0
    moved = 0
    for _ in range(PASSES):
        pids = job.kernel_pids()
        heads = kernel_of(pids, isolated)
        if kernel is not None:
            kernel.clear()
            kernel.update(heads)
        strays = pids - heads
        if not strays:
            break
        moved += sum(job.move_to_strays(pid) for pid in sorted(strays))
    return moved


@dataclasses.dataclass
class _Watched:
    """What the watch knows of one job: the kernel it last saw, and until
    when the cap on `strays` is lifted."""

    job: JobCgroups
    isolated: bool
    kernel: set[int] = dataclasses.field(default_factory=set)
    moved: int = 0
    uncapped_until: float | None = None

    def look(self) -> None:
        """Demote the strays. When the kernel seen last ended (stopped, restarted: its namespace's
        processes are killed with it), lift the cap on `strays` until they are gone or UNCAP_SECONDS
        pass: a killed process needs CPU to exit, and until it has, it counts against the job's
        process limit, which the next kernel needs."""
        before = set(self.kernel)
        self.moved += demote(self.job, self.isolated, self.kernel)
        now = time.monotonic()
        if before and not before & self.kernel and self.job.strays_pids():
            self.job.cap_strays(False)
            self.uncapped_until = now + UNCAP_SECONDS
        elif self.uncapped_until is not None and (
            now >= self.uncapped_until or not self.job.strays_pids()
        ):
            self.job.cap_strays(True)
            self.uncapped_until = None


class StrayWatch:
    """One thread that demotes the strays of every job it watches, a few times a second."""

    def __init__(self, seconds: float = POLL_SECONDS):
        self.seconds = seconds
        self._jobs: dict[str, _Watched] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def watch(self, key: str, job: JobCgroups, isolated: bool) -> None:
        with self._lock:
            self._jobs[key] = _Watched(job, isolated)
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name="stray-watch", daemon=True)
                self._thread.start()

    def unwatch(self, key: str) -> int:
        """Stop watching a job (before its cgroups go); how many of its processes were moved."""
        with self._lock:
            watched = self._jobs.pop(key, None)
        moved = watched.moved if watched is not None else 0
        if moved:
            log.info(
                "job %s: %d processes its kernel left running were given the least CPU", key, moved
            )
        return moved

    def close(self) -> None:
        """Stop the thread (a later `watch` starts another)."""
        with self._lock:
            thread, self._thread = self._thread, None
            stop, self._stop = self._stop, threading.Event()
        stop.set()
        if thread is not None:
            thread.join(timeout=5)

    def _loop(self) -> None:
        stop = self._stop
        while not stop.wait(self.seconds):
            with self._lock:
                jobs = list(self._jobs.items())
            for key, watched in jobs:
                try:
                    watched.look()
                except OSError as exc:  # the job's cgroups went meanwhile: it ended
                    log.debug("job %s: strays not looked at: %s", key, exc)
