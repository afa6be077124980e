"""One grading run at a time per results folder: `results/.lock` names the run that holds it.

The lock file is held with `flock` for the whole run and names the holder: its
process id, the kernel's start time of that process (so a process id reused by
another program is not taken for the holder) and the wall-clock time the run
started. A second run cannot take the `flock`, reads who holds it and refuses in
one line (`UsageError`, exit 2). A lock file that still names a run but whose
`flock` is free is stale (its holder was killed -9, the machine rebooted): it is
taken over and the take-over said on stderr.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import fcntl
import json
import logging
import os
import pathlib

from .paths import UsageError

log = logging.getLogger(__name__)
LOCK_NAME = ".lock"


@dataclasses.dataclass(frozen=True)
class Holder:
    """Who holds a results folder's lock."""

    pid: int
    # the kernel's start time of the process (/proc/<pid>/stat field 22), "" where unknown
    process_start: str
    started_at: str  # ISO 8601 UTC, when the run took the lock
    stamp: str  # the run's name: its per-run folders and collection report are named by it

    def alive(self) -> bool:
        """Is the process that took the lock still running (and not another process with its id)?"""
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            log.debug("process %d runs as another user: alive", self.pid)
        return not self.process_start or process_start(self.pid) == self.process_start


def process_start(pid: int) -> str:
    """The start time of process `pid` in clock ticks since boot, as text ("" when unknown)."""
    try:
        stat = pathlib.Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    return stat.rsplit(")", 1)[1].split()[19]  # field 22; the name in parentheses may hold spaces


def _read(path: pathlib.Path) -> Holder | None:
    try:
        text = path.read_text(encoding="utf-8")
        if not text.strip():
            return None  # released
        data = json.loads(text)
        return Holder(
            int(data["pid"]),
            str(data.get("process_start", "")),
            str(data["started_at"]),
            str(data.get("stamp", "")),
        )
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError):
        return Holder(0, "", "unknown", "")  # unreadable (a crash mid-write): stale


def new_stamp(now: datetime.datetime | None = None) -> str:
    """A run's name: UTC time and process id, e.g. `20261207T001500Z-4242` (sorts by time)."""
    now = now or datetime.datetime.now(datetime.timezone.utc)
    return f"{now:%Y%m%dT%H%M%SZ}-{os.getpid()}"


@contextlib.contextmanager
def hold(folder: pathlib.Path, stream=None):
    """Hold `folder`'s lock for the `with` block; yield this run's `Holder`.

    The file is locked with `flock` while the run lasts (the kernel releases it when the process
    dies, however it dies) and names its holder; when the run ends it is emptied, not removed (a
    removed file could be locked anew by one run while another still holds the old one).

    Raises:
        UsageError: another live run holds it.
    """
    path = pathlib.Path(folder) / LOCK_NAME
    now = datetime.datetime.now(datetime.timezone.utc)
    me = Holder(
        os.getpid(), process_start(os.getpid()), now.isoformat(timespec="seconds"), new_stamp(now)
    )
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            other = _read(path)
            who = (
                f"process {other.pid}, started {other.started_at}"
                if other and other.pid
                else "another process"
            )
            raise UsageError(
                f"{folder} is being graded by another run ({who}): wait for it to finish; "
                "one run at a time per results folder"
            ) from None
        other = _read(path)
        if other is not None and other.pid:
            reused = ", its process id now names another program" if other.alive() else ""
            line = (
                f"{folder}: taking over the lock of a run that is gone (process {other.pid}, "
                f"started {other.started_at}{reused})"
            )
            log.info(line)
            if stream is not None:
                stream.write(line + "\n")
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(dataclasses.asdict(me)).encode(), 0)
        os.fsync(fd)
        try:
            yield me
        finally:
            os.ftruncate(fd, 0)
    finally:
        os.close(fd)  # releases the flock
