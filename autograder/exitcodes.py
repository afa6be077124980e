"""The grader's exit codes, for a TA and for a scheduler (Slurm,
Kubernetes) that must decide whether to retry.

| code | meaning | a scheduler should |
| --- | --- | --- |
| 0 | graded (or nothing was left to grade) | go on (run the merge) |
| 1 | nothing could be graded: every notebook crashed or timed out | stop; a TA looks
(`make test`) | | 2 | a person's mistake: a bad argument, a wrong zip, a folder of
another course or shard | stop; fix the command | | 75 | the machine failed, not the
class: a full disk, no process or memory to start the grader's zygote or a job, a
lost cgroup or file system | retry the same task (on another node) |

75 is `EX_TEMPFAIL` of BSD's sysexits.h ("temporary failure; the user is
invited to retry"). A retried task regrades only what it had not finished:
each finished notebook is saved at once (grade.py).
"""

from __future__ import annotations

import dataclasses
import errno
import logging
import os
import pathlib
import shutil

log = logging.getLogger(__name__)

GRADED = 0
NOTHING_GRADED = 1
USAGE = 2
INFRASTRUCTURE = getattr(os, "EX_TEMPFAIL", 75)
INTERRUPTED = 130

# what the machine, not a submission or a TA, makes fail: a full disk or
# quota, an I/O error, a file system gone read-only or stale (NFS), no memory
# or process slot left to fork the zygote or a job, a cgroup that vanished
INFRASTRUCTURE_ERRNOS = frozenset(
    getattr(errno, name)
    for name in (
        "ENOSPC",
        "EDQUOT",
        "EIO",
        "EROFS",
        "ESTALE",
        "ENOMEM",
        "EAGAIN",
        "ENFILE",
        "EMFILE",
        "ENODEV",
        "ENOLINK",
        "EREMOTEIO",
        "ENOTCONN",
        "EHOSTDOWN",
    )
    if hasattr(errno, name)
)
# below this on the results folder's file system a run would fail part-way
MIN_FREE_BYTES = 256 * 1024 * 1024


class InfrastructureError(Exception):
    """The machine cannot grade now (not the class's or the TA's fault):
    exit INFRASTRUCTURE, a scheduler retries."""


class CgroupLost(InfrastructureError):
    """The cgroups a run's jobs are held in went away under it (removed, unmounted, made read-only,
    a controller no longer offered): a job from then on would run without its limits."""


@dataclasses.dataclass(frozen=True)
class CgroupWatch:
    """What cgroups a grading run started with: `check()` raises CgroupLost
    once any of them is gone.

    A job whose cgroup cannot be made runs without it (cgroups.JobCgroups.create),
    so the run checks before and after each job instead: a job graded after the
    loss is not recorded, and the run ends with exit 75, on a node whose cgroups
    are whole again (a retried task) regrading only what it had not recorded.
    """

    controllers: frozenset[str]  # what cgroups.available() offered at the start
    # the cgroup folders the jobs go under (v1: each hierarchy's root; v2: base)
    folders: tuple[pathlib.Path, ...]

    @classmethod
    def start(cls) -> "CgroupWatch":
        from . import cgroups

        controllers = frozenset(cgroups.available())
        if not controllers:
            return cls(controllers, ())
        if cgroups.version() == "v1":
            return cls(controllers, tuple(sorted(cgroups.v1_roots().values())))
        return cls(controllers, (cgroups.place().base,))

    def check(self) -> None:
        """Raise CgroupLost, saying what went and where, when a cgroup the
        run started with is gone."""
        if not self.controllers:
            return
        from . import cgroups

        gone = [f for f in self.folders if not (f / "cgroup.procs").is_file()]
        read_only = [f for f in self.folders if f not in gone and not os.access(f, os.W_OK)]
        what = [*(f"{f} is gone" for f in gone), *(f"{f} became read-only" for f in read_only)]
        lost = sorted(self.controllers - set(cgroups.available()))
        # v2: the parent no longer offers a controller to the base (a job would lack it)
        if lost and not what:
            what = [f"{', '.join(lost)} no longer offered to {self.folders[0]}"]
        if what:
            raise CgroupLost(
                f"the cgroups the jobs are held in were lost while grading ({'; '.join(what)}): no "
                "job may run without its limits, and nothing graded since was recorded"
            )


def for_exception(exc: BaseException) -> int | None:
    """INFRASTRUCTURE for a failure of the machine (see
    `INFRASTRUCTURE_ERRNOS`), None for anything else."""
    from .cgroups import JobCgroupsMissing

    if isinstance(exc, (InfrastructureError, JobCgroupsMissing)):
        return INFRASTRUCTURE
    seen: set[int] = set()
    # an OSError wrapped by another exception counts too
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, OSError) and exc.errno in INFRASTRUCTURE_ERRNOS:
            return INFRASTRUCTURE
        exc = exc.__cause__ or exc.__context__
    return None


def describe(exc: BaseException) -> str:
    """One line for stderr: what failed and what a scheduler or TA does about it."""
    what = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    where = f" ({exc.filename})" if isinstance(exc, OSError) and exc.filename else ""
    return (
        f"the machine failed, not the class: {what}{where}; nothing finished was lost: run the "
        f"same command again (exit {INFRASTRUCTURE} asks a scheduler to retry)"
    )


def require_room(folder: pathlib.Path, minimum: int = MIN_FREE_BYTES) -> None:
    """Refuse to start a run on a file system that is (nearly) full.

    Raises:
        InfrastructureError: fewer than `minimum` bytes are free where
        `folder` (or its nearest existing parent)
            lives.
    """
    path = pathlib.Path(folder).resolve()
    while not path.exists() and path != path.parent:
        path = path.parent
    free = shutil.disk_usage(path).free
    if free < minimum:
        raise InfrastructureError(
            f"only {free / 2**20:.0f} MB free on the file system of {path} (at least "
            f"{minimum / 2**20:.0f} MB needed): free some space or run on another node"
        )


def for_summary(summary: dict) -> int:
    """GRADED when a run graded something (or had nothing to grade), NOTHING_GRADED otherwise."""
    return GRADED if summary.get("graded_any", True) else NOTHING_GRADED
