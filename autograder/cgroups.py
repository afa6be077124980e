"""A job's cgroups: its memory, process and CPU limits, and the freezer
that empties it (cgroup v1 or v2).

`JobCgroups.create(name, ...)` makes one job's cgroups and sets its limits;
`kernel` and `runner` say which cgroups the job's kernel (confine.py) and its
grading run (pipeline.py) join; `kernel_pids()` and `move_to_strays()` let
strays.py put the processes a kernel leaves running into the job's `strays`
cgroup, at the lowest CPU weight; `student` names the cgroups that hold the
student's processes and nothing else, which `end_processes` empties when the
grading run restarts a kernel; `empty()` freezes and kills everything in the
job until nothing is left, `remove()` removes them; `oom_killed()` and
`peak_bytes()` say whether the kernel's out-of-memory killer struck and how
much memory the job used at most.

cgroup v1 (one hierarchy per controller under /sys/fs/cgroup/CONTROLLER):
each job has a cgroup of its own name in the memory, pids, cpu and freezer
hierarchies; the grading run joins the memory and cpu ones, the kernel all.
The cpu one has a child `strays` (a tenth of a CPU at most; cpu.shares 2
against a task's 1024).

cgroup v2 (one unified hierarchy): each job is a cgroup `aekit-PID-N` under
the grader's base (`Place`) holding `memory.max` (swap off: `memory.swap.max`
0) and `cpu.max`, with the leaf `runner` and the cgroup `student` (`pids.max`),
whose leaves are `kernel` and `strays` (a tenth of a CPU at most, `cpu.max`,
and `cpu.weight` 1 against the kernel's 100). The process limit sits on
`student`, above both leaves, so a process moved into `strays` still counts
against it (on v1, `strays` is in the cpu hierarchy only: the same holds).
`cgroup.kill` (or `cgroup.freeze` and a kill of each process) empties it;
`memory.events` (`oom_kill`) and `memory.peak` say what memory did. v2 allows
processes only in leaves ("no internal processes"), so the base is found thus:

- the grader in the true root cgroup (a host's root, a VM's init): jobs go
  under the root, which may hold processes;
- the grader in a cgroup it may write to: the root of its own cgroup namespace
  (a container), a subtree delegated to it (`systemd-run --scope -p
  Delegate=yes`), or any cgroup on a host without systemd: every process of
  that cgroup moves into its leaf `aekit-grader`, the controllers are enabled
  below it, and jobs go beside the leaf. When the last grader ends (or its
  zygote, when it is killed), `release` moves them back and removes the leaf;
- a systemd cgroup not delegated to the grader, a read-only cgroup mount, a
  controller missing: `missing_reason` says what to do instead.

A hybrid host (v1 controllers, and a v2 hierarchy at /sys/fs/cgroup/unified)
uses whichever offers more of the controllers (v1 on a tie).
"""

from __future__ import annotations

import atexit
import dataclasses
import fcntl
import logging
import os
import pathlib
import platform
import signal
import time
from typing import Callable

log = logging.getLogger(__name__)

MOUNT = pathlib.Path("/sys/fs/cgroup")
CONTROLLERS = ("memory", "pids", "cpu", "freezer")
CPU_PERIOD_US = 100_000
PREFIX = "aekit-"  # every job cgroup's name: aekit-GRADERPID-N
# v2: where the processes of the grader's own cgroup move, so jobs can go beside them
LEAF = "aekit-grader"
# enabled below the base; "freezer" is cgroup.kill / cgroup.freeze
V2_CONTROLLERS = ("memory", "pids", "cpu")
PROC_CGROUP = pathlib.Path("/proc/self/cgroup")
SYSTEMD = pathlib.Path("/run/systemd/system")  # present when systemd runs this machine (sd_booted)
CONTAINER_FLAGS = "--privileged --cgroupns=private (podman run or docker run)"
STRAYS = "strays"  # a job's cgroup for the processes its kernel leaves running (strays.py)
# v2: a job's cgroup above `kernel` and `strays`: every process of the student's, one pids.max
STUDENT = "student"
# of one CPU, the most `strays` may use (cpu.max; v1 cpu.cfs_quota_us): weights act per CPU only
STRAY_CPU = 0.1
STRAY_QUOTA_US = int(CPU_PERIOD_US * STRAY_CPU)  # that cap per CPU_PERIOD_US
# v2 cpu.weight of `strays` (1..10000; the kernel's and the runner's leaves keep 100)
STRAY_CPU_WEIGHT = 1
# v1 cpu.shares of `strays` (the least; each task in the job's own cgroup weighs 1024)
STRAY_CPU_SHARES = 2


def v1_roots(mount: pathlib.Path | None = None) -> dict[str, pathlib.Path]:
    """The v1 hierarchies of CONTROLLERS this process can write to (controller: its root folder)."""
    mount = mount or MOUNT
    roots = {}
    for ctrl in CONTROLLERS:
        p = mount / ctrl
        if p.is_dir() and os.access(p, os.W_OK) and (p / "cgroup.procs").exists():
            roots[ctrl] = p
    return roots


def _v2_mount(mount: pathlib.Path | None = None) -> pathlib.Path | None:
    """The unified hierarchy's mount: /sys/fs/cgroup itself (v2), its
    `unified` folder (hybrid), or None."""
    mount = mount or MOUNT
    for path in (mount, mount / "unified"):
        if (path / "cgroup.controllers").is_file():
            return path
    return None


def _own_cgroup() -> str:
    """This process's v2 cgroup, relative to the unified mount ("/" at the
    root of its cgroup namespace)."""
    try:
        for line in PROC_CGROUP.read_text().splitlines():
            if line.startswith("0::"):
                return line[3:].strip() or "/"
    except OSError as exc:
        log.debug("%s unreadable (%s): taken as the root", PROC_CGROUP, exc)
    return "/"


def _words(path: pathlib.Path) -> set[str]:
    try:
        return set(path.read_text().split())
    except OSError:
        return set()


def _delegated(path: pathlib.Path) -> bool:
    """Did systemd delegate this cgroup (Delegate=yes: it then sets the
    `trusted.delegate` or `user.delegate` attribute)?"""
    for name in ("trusted.delegate", "user.delegate"):
        try:
            if os.getxattr(path, name).strip() in (b"1", b"yes", b"true"):
                return True
        except OSError as exc:  # no such attribute (ENODATA), or a file system without xattrs
            log.debug("%s: no %s (%s)", path, name, exc)
    return False


def _kernel_at_least(version: tuple[int, int]) -> bool:
    try:
        return tuple(int(x) for x in platform.release().split("-")[0].split(".")[:2]) >= version
    except ValueError:
        return False


@dataclasses.dataclass(frozen=True)
class Place:
    """Where a v2 grader puts its jobs: `base` (None: nowhere), whether its
    own processes must first move into the leaf, the controllers the base
    offers, and what stands in the way (`problem`, with what to do)."""

    mount: pathlib.Path
    base: pathlib.Path | None
    vacate: bool
    offered: frozenset[str]
    problem: str = ""

    @property
    def true_root(self) -> bool:
        return self.base == self.mount and not (self.mount / "cgroup.type").exists()


def place(mount: pathlib.Path | None = None) -> Place | None:
    """Where jobs go on the unified hierarchy (read only: nothing changes); None without one."""
    v2 = _v2_mount(mount)
    if v2 is None:
        return None
    here = v2 / _own_cgroup().lstrip("/")
    if here.name == LEAF:  # a grader before this one moved this process's cgroup aside
        here = here.parent
    true_root = here == v2 and not (v2 / "cgroup.type").exists()
    writable = os.access(here, os.W_OK) and os.access(here / "cgroup.subtree_control", os.W_OK)
    offered = _words(here / "cgroup.controllers") & set(V2_CONTROLLERS)
    if (
        (here / "cgroup.kill").exists()
        or (here / "cgroup.freeze").exists()
        or (true_root and _kernel_at_least((5, 14)))
    ):
        offered |= {"freezer"}  # the root has neither file; its children have both from Linux 5.14
    if os.geteuid() != 0:
        return Place(v2, None, False, frozenset(offered), "not root (run the grader as root)")
    if not writable:
        what = (
            "the cgroup file system is read-only here (run the container "
            f"with its own writable cgroup: {CONTAINER_FLAGS})"
            if here == v2
            else f"cannot write to {here} (delegate it: systemd-run "
            "--scope -p Delegate=yes, or run as root on the host)"
        )
        return Place(v2, None, False, frozenset(offered), what)
    if not true_root and here != v2 and SYSTEMD.is_dir() and not _delegated(here):
        return Place(
            v2,
            None,
            False,
            frozenset(offered),
            f"systemd owns {here} and did not delegate it (run the grader under "
            "`systemd-run --scope -p Delegate=yes ...`)",
        )
    return Place(v2, here, not true_root, frozenset(offered))


def version() -> str:
    """ "v1" or "v2": the hierarchy jobs go in (a hybrid host picks the one
    offering more controllers)."""
    v2 = place()
    if v2 is None:
        return "v1"
    if v2.mount == MOUNT:
        return "v2"
    v1 = set(v1_roots())
    return "v2" if v2.base is not None and len(v2.offered) > len(v1) else "v1"


def available() -> list[str]:
    """The CONTROLLERS this process can put a job under ("freezer" on v2:
    cgroup.kill or cgroup.freeze)."""
    if version() == "v1":
        return sorted(v1_roots())
    where = place()
    return sorted(where.offered) if where is not None and where.base is not None else []


def missing_reason(opt_in: str = "--unsafe") -> str | None:
    """Why this machine's cgroups cannot hold a job to its limits (memory,
    processes, the freezer, the CPU quota), with what to do about it, in one line;
    None when they can. On v2 this also prepares the base (the grader's processes
    move into their leaf), so what could fail at the first job fails here."""
    if not platform.system() == "Linux":
        return (
            f"no cgroups on {platform.system()} (grade on Linux, e.g. in "
            f"the grader's container, or pass {opt_in})"
        )
    if version() == "v1":
        missing = sorted(set(CONTROLLERS) - set(v1_roots()))
        if not missing:
            return None
        how = (
            "run the grader as root"
            if os.geteuid() != 0
            else f"mount them under {MOUNT}, or grade in the grader's container ({CONTAINER_FLAGS})"
        )
        return f"cgroup limits missing ({', '.join(missing)}): {how}, or pass {opt_in}"
    where = place()
    missing = sorted(set(CONTROLLERS) - where.offered)
    if where.base is None:
        label = f" ({', '.join(sorted(CONTROLLERS))})"
        return f"cgroup v2 limits unavailable{label}: {where.problem}, or pass {opt_in}"
    if missing:
        parent = where.base.parent if where.base != where.mount else where.base
        enable = " ".join("+" + c for c in missing if c != "freezer")
        how = [f"enable {enable} in {parent / 'cgroup.subtree_control'}"] if enable else []
        if "freezer" in missing:
            how.append("use Linux 5.14 or later (cgroup.kill)")
        how += [
            "delegate a cgroup (systemd-run --scope -p Delegate=yes)",
            f"run the container with {CONTAINER_FLAGS}",
        ]
        return (
            f"cgroup v2 limits missing ({', '.join(missing)}) in {where.base}: {', '.join(how)}; "
            f"or pass {opt_in}"
        )
    try:
        _prepare(where)
    except OSError as exc:
        return (
            f"cannot set up the cgroup v2 limits under {where.base} "
            f"({exc.strerror or exc}): delegate a cgroup to the grader "
            f"(systemd-run --scope -p Delegate=yes), or pass {opt_in}"
        )
    return None


class _Locked:
    """flock on a cgroup folder: graders sharing a base prepare and release it one at a time."""

    def __init__(self, path: pathlib.Path):
        self.path = path

    def __enter__(self):
        self.fd = os.open(self.path, os.O_RDONLY | os.O_DIRECTORY)
        fcntl.flock(self.fd, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc):
        os.close(self.fd)


_RELEASE_REGISTERED = False


def _move_all(source: pathlib.Path, dest: pathlib.Path) -> None:
    """Move every process of cgroup `source` into `dest` (a few passes: a
    process may fork meanwhile)."""
    for _ in range(20):
        pids = _pids([source])
        if not pids:
            return
        for pid in pids:
            try:
                (dest / "cgroup.procs").write_text(str(pid))
            except ProcessLookupError:
                log.debug("process %d ended before it moved to %s", pid, dest)
            except OSError as exc:
                if exc.errno != 3:  # ESRCH: it ended
                    raise
        if _pids([source]) == pids:  # nothing moved (a fake tree, or processes that cannot move)
            return


def _prepare(where: Place) -> pathlib.Path:
    """Make `where.base` ready for jobs: its processes in the leaf, the
    controllers enabled below it."""
    global _RELEASE_REGISTERED
    base = where.base
    with _Locked(base):
        enabled = _words(base / "cgroup.subtree_control")
        wanted = [c for c in V2_CONTROLLERS if c in where.offered and c not in enabled]
        if wanted:
            if where.vacate:
                leaf = base / LEAF
                leaf.mkdir(exist_ok=True)
                _move_all(base, leaf)
            (base / "cgroup.subtree_control").write_text(" ".join("+" + c for c in wanted))
    if where.vacate and not _RELEASE_REGISTERED:
        _RELEASE_REGISTERED = True
        atexit.register(release)
    return base


def release() -> None:
    """Undo `_prepare` once no job is left under the base: the controllers
    it enabled off again, the leaf's processes back where they were, the
    leaf removed (the grader at its end; its zygote when it is killed)."""
    where = place()
    if where is None or where.base is None or not (where.base / LEAF).is_dir():
        return
    base = where.base
    try:
        with _Locked(base):
            if any(p.is_dir() and p.name != LEAF for p in base.iterdir()):
                return  # a job (this grader's or another's) or a cgroup not ours is still there
            enabled = _words(base / "cgroup.subtree_control")
            if enabled:
                (base / "cgroup.subtree_control").write_text(
                    " ".join("-" + c for c in sorted(enabled))
                )
            _move_all(base / LEAF, base)
            _remove_folders([base / LEAF])
    except OSError as exc:
        log.warning("could not restore %s: %s", base, exc)


def _write(path: pathlib.Path, value: str) -> bool:
    try:
        path.write_text(value)
        return True
    except OSError:
        return False


def _read_int(path: pathlib.Path) -> int | None:
    try:
        return int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _text(path: pathlib.Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""


def _events(path: pathlib.Path) -> dict[str, int]:
    """A flat-keyed cgroup file ("name value" lines: memory.events,
    memory.oom_control) as a dict."""
    events = {}
    try:
        for line in path.read_text().splitlines():
            key, _, value = line.partition(" ")
            events[key] = int(value)
    except (OSError, ValueError) as exc:
        log.debug("%s unreadable (%s): no events", path, exc)
    return events


@dataclasses.dataclass(frozen=True)
class MemoryReport:
    """What a job's memory cgroup says of it: did the out-of-memory killer
    strike, and its peak use (None: unknown)."""

    out_of_memory: bool = False
    peak_bytes: int | None = None


class JobCgroupsMissing(RuntimeError):
    """A job's cgroups could not be made although the run started with them
    (removed or made read-only under it): the job must not run without its
    limits, and the run stops as a failure of the machine (exit 75)."""


class JobCgroups:
    """One job's cgroups (v1: controller -> its folder; empty where this machine offers none)."""

    def __init__(self, paths: dict[str, pathlib.Path]):
        self.paths = paths
        self._last_report: MemoryReport | None = None  # read just before the cgroups were removed

    def lacking(self, expected: list[str]) -> list[str]:
        """Which of the `expected` controllers this job has no cgroup of."""
        return sorted(set(expected) - set(self.paths))

    def require(self, expected: list[str]) -> None:
        """Raise JobCgroupsMissing when the job lacks a cgroup of one of
        the `expected` controllers."""
        lacking = self.lacking(expected)
        if lacking:
            raise JobCgroupsMissing(
                f"a job's cgroups could not be made ({', '.join(lacking)}) although the run "
                "started with them: no job may run without its limits"
            )

    @classmethod
    def create(
        cls, name: str, *, memory_bytes: int, processes: int, cpu_share: float
    ) -> "JobCgroups":
        """The job's cgroups, made and limited (none where this machine offers none:
        `missing_reason` says so before grading starts)."""
        if version() == "v2":
            return JobCgroupsV2.create(
                name, memory_bytes=memory_bytes, processes=processes, cpu_share=cpu_share
            )
        paths = {}
        for ctrl, root in v1_roots().items():
            path = root / name
            try:
                path.mkdir()
            except OSError:
                continue
            paths[ctrl] = path
            _configure_v1(ctrl, path, memory_bytes, processes, cpu_share)
        if "cpu" in paths:
            try:
                (paths["cpu"] / STRAYS).mkdir()
                _write(paths["cpu"] / STRAYS / "cpu.shares", str(STRAY_CPU_SHARES))
                _write(paths["cpu"] / STRAYS / "cpu.cfs_period_us", str(CPU_PERIOD_US))
            except OSError as exc:
                log.warning("no %s cgroup for job %s: %s", STRAYS, name, exc)
        box = cls(paths)
        box.cap_strays()
        return box

    @property
    def kernel(self) -> dict[str, pathlib.Path]:
        """The cgroups the job's kernel joins: all of them."""
        return dict(self.paths)

    @property
    def runner(self) -> dict[str, pathlib.Path]:
        """The cgroups the job's grading run joins: what it builds counts against the job's memory
        and CPU; the process limit and the freezer are the kernel's alone."""
        return {k: v for k, v in self.paths.items() if k in ("memory", "cpu")}

    @property
    def student(self) -> dict[str, pathlib.Path]:
        """The cgroups that hold every process of the student's (the kernel and what it started) and
        no other: the pids and freezer ones (the grading run joins neither)."""
        return {k: v for k, v in self.paths.items() if k in ("pids", "freezer")}

    def kernel_pids(self) -> set[int]:
        """The kernel's processes not moved into `strays`: in the job's kernel-only cgroup (pids or
        freezer: the runner joins neither) and still in its cpu cgroup itself."""
        only = [self.paths[c] for c in ("pids", "freezer") if c in self.paths]
        return (
            _pids(only[:1]) & _pids([self.paths["cpu"]]) if only and "cpu" in self.paths else set()
        )

    def strays_cgroup(self) -> pathlib.Path | None:
        """Where the processes a kernel leaves running go (its CPU weight is the least), or None."""
        strays = self.paths["cpu"] / STRAYS if "cpu" in self.paths else None
        return strays if strays is not None and strays.is_dir() else None

    def cap_strays(self, capped: bool = True) -> None:
        """Hold `strays` to STRAY_CPU (or lift that cap: killed processes need CPU to exit, and
        until they have, they count against the job's process limit)."""
        strays = self.strays_cgroup()
        if strays is not None:
            _write(strays / "cpu.cfs_quota_us", str(STRAY_QUOTA_US if capped else -1))

    def strays_pids(self) -> set[int]:
        strays = self.strays_cgroup()
        return _pids([strays]) if strays is not None else set()

    def move_to_strays(self, pid: int) -> bool:
        """Move one process of the kernel's into `strays` (v1: the cpu hierarchy only; it stays in
        the job's memory, pids and freezer cgroups). False when it is gone or cannot move."""
        strays = self.strays_cgroup()
        return strays is not None and _write(strays / "cgroup.procs", str(pid))

    def empty(self, seconds: float = 10.0) -> bool:
        self.cap_strays(False)  # killed, they exit at once
        return end_processes(self.paths, seconds)

    def remove(self) -> None:
        """Remove the (emptied) cgroups, `strays` first; what `memory_report` says is kept."""
        self._last_report = self.memory_report()
        _remove_folders(_with_children(self.paths.values()))

    def memory_report(self) -> MemoryReport:
        if self._last_report is not None:
            return self._last_report
        mem = self.paths.get("memory")
        if mem is None:
            return MemoryReport()
        # memory.oom_control counts the out-of-memory killer's kills (Linux
        # 4.13+); before, a peak at the limit
        events = _events(mem / "memory.oom_control")
        peak, limit = (
            _read_int(mem / "memory.max_usage_in_bytes"),
            _read_int(mem / "memory.limit_in_bytes"),
        )
        at_limit = peak is not None and limit is not None and peak >= limit * 0.98
        return MemoryReport(events["oom_kill"] > 0 if "oom_kill" in events else at_limit, peak)


class JobCgroupsV2(JobCgroups):
    """One job's cgroup on the unified hierarchy: `job` (memory, CPU) with the leaf `runner` and
    `student` (processes), whose leaves are `kernel` and `strays`; `paths` holds the job, the
    kernel's and the runner's leaves."""

    def __init__(self, job: pathlib.Path | None):
        super().__init__(
            {}
            if job is None
            else {"job": job, "kernel": job / STUDENT / "kernel", "runner": job / "runner"}
        )
        self.job = job

    @property
    def student(self) -> dict[str, pathlib.Path]:
        return {"unified": self.job / STUDENT} if self.job else {}

    def kernel_pids(self) -> set[int]:
        """The processes of the `kernel` leaf (those moved into `strays` are no longer in it)."""
        return _pids([self.paths["kernel"]]) if self.job else set()

    def strays_cgroup(self) -> pathlib.Path | None:
        strays = self.job / STUDENT / STRAYS if self.job else None
        return strays if strays is not None and strays.is_dir() else None

    def cap_strays(self, capped: bool = True) -> None:
        strays = self.strays_cgroup()
        if strays is not None:
            _write(strays / "cpu.max", f"{STRAY_QUOTA_US if capped else 'max'} {CPU_PERIOD_US}")

    @classmethod
    def create(
        cls, name: str, *, memory_bytes: int, processes: int, cpu_share: float
    ) -> "JobCgroupsV2":
        where = place()
        if where is None or where.base is None:
            return cls(None)
        try:
            base = _prepare(where)
            job = base / name
            job.mkdir()
        except OSError as exc:
            log.warning("no cgroup for job %s: %s", name, exc)
            return cls(None)
        box = cls(job)
        _write(job / "memory.max", str(memory_bytes))
        # absent without swap accounting: then there is no swap to use
        _write(job / "memory.swap.max", "0")
        if cpu_share > 0:
            _write(job / "cpu.max", f"{int(CPU_PERIOD_US * cpu_share)} {CPU_PERIOD_US}")
        student = job / STUDENT
        for node, children in ((job, ("runner", STUDENT)), (student, ("kernel", STRAYS))):
            # the CPU cap of `strays` needs cpu
            if not _write(node / "cgroup.subtree_control", "+pids +cpu"):
                _write(node / "cgroup.subtree_control", "+pids")
            for child in children:
                (node / child).mkdir(exist_ok=True)
        _write(student / "pids.max", str(processes))
        _write(student / STRAYS / "cpu.weight", str(STRAY_CPU_WEIGHT))
        box.cap_strays()
        return box

    def lacking(self, expected: list[str]) -> list[str]:
        return sorted(expected) if self.job is None else []

    @property
    def kernel(self) -> dict[str, pathlib.Path]:
        return {"unified": self.paths["kernel"]} if self.job else {}

    @property
    def runner(self) -> dict[str, pathlib.Path]:
        return {"unified": self.paths["runner"]} if self.job else {}

    def _all(self) -> list[pathlib.Path]:
        """The job's cgroup and every one below it (a kernel cannot make
        any, but the count costs nothing)."""
        return _with_children([self.job]) if self.job is not None else []

    def empty(self, seconds: float = 10.0) -> bool:
        """Kill everything in the job until it is empty (`end_processes`)."""
        self.cap_strays(False)  # killed, they exit at once
        return end_processes({"unified": self.job}, seconds) if self.job is not None else True

    def remove(self, seconds: float = 60.0) -> None:
        """Remove the job's cgroups, innermost first, trying again until `seconds` pass: a large
        process killed just before may take seconds to go, and a removed leaf's controllers go
        offline a moment after it (until then its parent's removal fails with EBUSY), many times
        longer in an emulated machine. A process found in them meanwhile is killed again. What stays
        is logged with the kernel's word on it."""
        self._last_report = self.memory_report()
        if self.job is None:
            return
        end = time.monotonic() + seconds
        while self.job.is_dir():
            if "populated 1" in _text(self.job / "cgroup.events"):
                _write(self.job / "cgroup.kill", "1")
            else:
                _remove_folders(self._all())
            if not self.job.is_dir() or time.monotonic() >= end:
                break
            time.sleep(0.1)
        if self.job.is_dir():
            log.warning(
                "cgroup %s stays after %g s: %s; processes %s",
                self.job,
                seconds,
                " ".join(_text(self.job / "cgroup.events").split()),
                sorted(_pids(self._all())),
            )

    def memory_report(self) -> MemoryReport:
        if self._last_report is not None:
            return self._last_report
        if self.job is None:
            return MemoryReport()
        events = _events(self.job / "memory.events")
        peak, limit = _read_int(self.job / "memory.peak"), _read_int(self.job / "memory.max")
        at_limit = (
            peak is not None
            and limit is not None
            and peak >= limit * 0.98
            and events.get("max", 0) > 0
        )
        return MemoryReport(events.get("oom_kill", 0) > 0 or at_limit, peak)


def _configure_v1(
    ctrl: str, path: pathlib.Path, memory_bytes: int, processes: int, cpu_share: float
) -> None:
    if ctrl == "memory":
        for name in ("memory.limit_in_bytes", "memory.memsw.limit_in_bytes"):
            _write(path / name, str(memory_bytes))
    elif ctrl == "pids":
        (path / "pids.max").write_text(str(processes))
    elif ctrl == "cpu" and cpu_share > 0:
        (path / "cpu.cfs_period_us").write_text(str(CPU_PERIOD_US))
        (path / "cpu.cfs_quota_us").write_text(str(int(CPU_PERIOD_US * cpu_share)))


def _pids(paths) -> set[int]:
    pids = set()
    for path in paths:
        try:
            pids |= {int(x) for x in (path / "cgroup.procs").read_text().split()}
        except OSError as exc:  # a cgroup removed meanwhile
            log.debug("%s unreadable: %s", path, exc)
    return pids


def _with_children(paths) -> list[pathlib.Path]:
    """The cgroup folders and every one below them (a v1 job's `strays`)."""
    return [
        pathlib.Path(folder) for path in paths if path.is_dir() for folder, _, _ in os.walk(path)
    ]


def process_count(cgroups: dict[str, pathlib.Path]) -> int:
    """How many processes the cgroups (and those below them) hold."""
    return len(_pids(_with_children(cgroups.values())))


def end_processes(cgroups: dict[str, pathlib.Path], seconds: float) -> bool:
    """Kill every process in the cgroups (and those below them) until none is left, or `seconds`
    pass; True when they are empty. v2 (`"unified"`): `cgroup.kill`; else (v1, or a v2 kernel
    without `cgroup.kill`) freeze (v1 `freezer.state`, v2 `cgroup.freeze`), kill each process, thaw:
    frozen processes cannot fork away while they are killed. Used for a whole job
    (`JobCgroups.empty`) and by the grading run for the student's processes alone
    (`JobCgroups.student`) when it restarts a kernel."""
    unified = cgroups.get("unified")
    freezer = cgroups.get("freezer")
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pids = _pids(_with_children(cgroups.values()))
        if not pids:
            return True
        if unified is not None and _write(unified / "cgroup.kill", "1"):
            time.sleep(0.05)
            continue
        frozen = (
            _write(unified / "cgroup.freeze", "1")
            if unified is not None
            else freezer is not None and _write(freezer / "freezer.state", "FROZEN")
        )
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError) as exc:
                log.debug("process %d not killed: %s", pid, exc)
        if frozen:
            if unified is not None:
                _write(unified / "cgroup.freeze", "0")
            else:
                _write(freezer / "freezer.state", "THAWED")
        time.sleep(0.05)
    return not _pids(_with_children(cgroups.values()))


def _remove_folders(paths) -> None:
    """Remove cgroup folders, innermost first (a cgroup's removal waits a
    moment for its last process to go)."""
    for path in sorted(paths, key=lambda p: len(p.parts), reverse=True):
        for _ in range(50):
            try:
                path.rmdir()
                break
            except FileNotFoundError:
                break
            except OSError:
                time.sleep(0.05)


def remove_jobs(chosen: Callable[[pathlib.Path], bool]) -> None:
    """Empty and remove each job whose cgroup `chosen(path)` picks: all its
    controllers at once, so a frozen job is thawed and killed in one pass (emptying
    its memory cgroup alone would wait on processes the freezer holds)."""
    if version() == "v2":
        where = place()
        for entry in sorted(where.base.glob(PREFIX + "[0-9]*") if where.base is not None else []):
            if entry.is_dir() and chosen(entry):
                job = JobCgroupsV2(entry)
                job.empty()
                job.remove()
        return
    roots = v1_roots()
    names = {
        entry.name for root in roots.values() for entry in root.glob(PREFIX + "*") if chosen(entry)
    }
    for name in sorted(names):
        job = JobCgroups(
            {ctrl: root / name for ctrl, root in roots.items() if (root / name).is_dir()}
        )
        job.empty()
        job.remove()


def remove_cgroups_of(grader_pid: int) -> None:
    """Empty and remove the cgroups of a grader's jobs, then give back the
    base: a job the grader was killed in the middle of (even one it had just
    frozen) ends with it (what the undertaker's aftermath does for them)."""
    remove_jobs(lambda entry: entry.name.startswith(f"{PREFIX}{grader_pid}-"))
    release()
