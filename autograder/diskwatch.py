"""Bound what jobs write on file systems they share, where a job's places
cannot be tmpfs of their own.

Without namespaces and without mount (uid-only grading, a Gradescope-like
container), a kernel writes to the machine's `/tmp`, `/var/tmp`, `/dev/shm`,
`/run/lock` and to its folder under the socket base, all shared with the jobs
graded beside it and, often, with the grader's own work and results. No limit
of the kernel's bounds their total. `DiskWatch` does, from the grader:

- every `POLL_SECONDS` while jobs run it reads `os.statvfs` of each watched
  file system (one call each: cheap);
- when one has grown by more than a quarter of a job's budget since its last
  scan, or has less free than its reserve (`reserve_of`: a tenth of it, at
  most `RESERVE_BYTES` and `RESERVE_INODES`), it scans the watched places on
  it (`holdings`: GNU find, iterative, never following a link, never leaving
  the file system, entering only folders a job could have written to) and the files
  the jobs' processes hold open after deleting them (`open_deleted`), and adds
  up, by job user id, the bytes and files each job holds there;
- when a file system is low on room and no job holds much in the watched
  places, every world-writable folder of it is looked for once
  (`writable_folders`) and watched from then on;
- a job holding more than its budget on one file system (the bytes and files
  its tmpfs would have: `sandbox.Limits.tmp_bytes`, `tmp_inodes`), or, when
  the file system is below its reserve, the job holding the most, at least a
  reserve's worth, is stopped: every process of its user id killed (again at
  every poll while it is watched: a restarted kernel dies too) and what it
  made in the watched places removed, as itself. The launcher records its
  notebook `crashed` with `DiskStop.reason`, the verdicts it had earned
  standing, and grades once more a notebook that crashed while another job
  was stopped (`stops_between`).

Each job has a user id of its own (sandbox.JobSandbox), so what a user id
holds is what its job wrote.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import stat
import subprocess
import threading
import time
from typing import Callable, Iterable

from . import jobspace

log = logging.getLogger(__name__)

POLL_SECONDS = 0.2
# grown by more than budget / GROWTH_SHARE since the last scan: scan again
GROWTH_SHARE = 4
RESERVE_SHARE = 10  # a file system's reserve: a tenth of its size and of its files ...
RESERVE_BYTES = 256 * 1024**2  # ... at most this many bytes
RESERVE_INODES = 2048  # ... and this many files
SCAN_SECONDS = 120  # the most one scan of a file system may take
# a file system low on room that no job filled: scanned again after this
QUIET_SECONDS = 5.0


@dataclasses.dataclass(frozen=True)
class Usage:
    """Bytes (allocated blocks) and files (inodes)."""

    bytes: int = 0
    inodes: int = 0

    def __add__(self, other: "Usage") -> "Usage":
        return Usage(self.bytes + other.bytes, self.inodes + other.inodes)

    def exceeds(self, limit: "Usage") -> bool:
        """More bytes or more files than `limit` (a zero part of `limit` is no limit)."""
        return (limit.bytes > 0 and self.bytes > limit.bytes) or (
            limit.inodes > 0 and self.inodes > limit.inodes
        )

    def describe(self) -> str:
        return f"{self.bytes / 2**20:.0f} MB in {self.inodes} files"


@dataclasses.dataclass(frozen=True)
class DiskStop:
    """A job the watch stopped (the watch's message to the launcher)."""

    uid: int
    place: str  # a watched folder on the file system it filled
    held: Usage  # what it held there when it was stopped
    reason: str  # one line for the notebook's `detail`
    at: float  # time.monotonic()


@dataclasses.dataclass(frozen=True)
class Space:
    """One `statvfs` of a file system: used, free (to an unprivileged writer) and total."""

    used: Usage
    free: Usage
    total: Usage


def space_of(path: str) -> Space:
    st = os.statvfs(path)
    return Space(
        used=Usage((st.f_blocks - st.f_bfree) * st.f_frsize, st.f_files - st.f_ffree),
        free=Usage(st.f_bavail * st.f_frsize, st.f_favail),
        total=Usage(st.f_blocks * st.f_frsize, st.f_files),
    )


def reserve_of(total: Usage) -> Usage:
    """What must stay free on a file system of `total` (0 files: it does not count files)."""
    return Usage(
        min(RESERVE_BYTES, total.bytes // RESERVE_SHARE),
        min(RESERVE_INODES, total.inodes // RESERVE_SHARE),
    )


def holdings(roots: Iterable[str], device: int, uids: set[int]) -> dict[int, Usage]:
    """The bytes and files each of `uids` owns under `roots`, on `device` only. GNU find walks the
    trees iteratively (a folder 100,000 deep, far beyond PATH_MAX, is no deeper for it), never
    following a link nor leaving the file system; a file with several names is counted once. Only
    folders one of `uids` owns or may write to (world-writable, or group-writable by its group: jobs
    have no other groups) are entered below the roots, as nothing a job made can be anywhere else: a
    large tree of root's under /tmp costs nothing."""
    roots = [r for r in dict.fromkeys(roots) if os.path.isdir(r) and not os.path.islink(r)]
    if not roots or not uids:
        return {}
    owned = _any_of("-uid", uids)
    cmd = [
        "find",
        "-P",
        *roots,
        "-xdev",
        "-mindepth",
        "1",
        "(",
        "-type",
        "d",
        "!",
        "(",
        *owned,
        "-o",
        "-perm",
        "-0002",
        "-o",
        "(",
        "-perm",
        "-0020",
        *_any_of("-gid", uids),
        ")",
        ")",
        "-prune",
        ")",
        "-o",
        *owned,
        "-printf",
        r"%D %U %i %b\n",
    ]
    try:
        done = subprocess.run(  # noqa: S603  (GNU find, a fixed argv)
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            timeout=SCAN_SECONDS,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        log.warning("cannot scan %s: %s", ", ".join(roots), exc)
        return {}
    found: dict[int, Usage] = {}
    seen: set[int] = set()
    for line in done.stdout.splitlines():
        try:
            dev, uid, ino, blocks = map(int, line.split())
        except ValueError:
            continue
        if dev != device or ino in seen:
            continue
        seen.add(ino)
        found[uid] = found.get(uid, Usage()) + Usage(blocks * 512, 1)
    return found


def writable_folders(place: str, device: int) -> list[str]:
    """Every world-writable folder (as /tmp is) of the file system of `place`,
    which is on `device`: where else a job could have written (/var/crash, a
    forgotten 1777 folder). One walk of that file system, by GNU find."""
    top = os.path.realpath(place)
    while top != "/" and os.stat(os.path.dirname(top)).st_dev == device:
        top = os.path.dirname(top)
    try:
        done = subprocess.run(  # noqa: S603  (a fixed argv)
            ["find", "-P", top, "-xdev", "-type", "d", "-perm", "-0002", "-print0"],  # noqa: S607  (root's PATH)
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            timeout=SCAN_SECONDS,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        log.warning("cannot look for world-writable folders under %s: %s", top, exc)
        return []
    return [os.fsdecode(p) for p in done.stdout.split(b"\0") if p]


def _any_of(test: str, values: Iterable[int]) -> list[str]:
    """find's `( TEST v1 -o TEST v2 ... )`."""
    out = ["("]
    for n, value in enumerate(sorted(values)):
        out += (["-o"] if n else []) + [test, str(value)]
    return out + [")"]


def open_deleted(uids: set[int], device: int) -> dict[int, Usage]:
    """The bytes of files on `device` that processes of `uids` hold open after deleting them (a scan
    of the folders cannot see them), by user id."""
    found: dict[int, Usage] = {}
    for uid in uids:
        seen = set()
        for pid in jobspace.processes_of(uid):
            try:
                fds = os.listdir(f"/proc/{pid}/fd")
            except OSError:
                continue
            for fd in fds:
                try:
                    st = os.stat(f"/proc/{pid}/fd/{fd}")
                except OSError:
                    continue
                if (
                    st.st_dev == device
                    and st.st_nlink == 0
                    and stat.S_ISREG(st.st_mode)
                    and st.st_ino not in seen
                ):
                    seen.add(st.st_ino)
                    found[uid] = found.get(uid, Usage()) + Usage(st.st_blocks * 512, 1)
    return found


@dataclasses.dataclass
class _FileSystem:
    device: int
    places: list[str]  # watched folders on it (the shared ones)
    baseline: Usage  # used at its last scan (or its lowest since)
    # low on room, but no job held much at the last scan: no new scan before this
    quiet_until: float = 0.0
    # its other world-writable folders were looked for (`writable_folders`)
    searched: bool = False


def _remove_what_it_made(uid: int, places: tuple[str, ...]) -> None:
    jobspace.remove_files_of(uid, places)


class DiskWatch:
    """Watch shared file systems while jobs run (see the module docstring); a thread of its own,
    started at the first `watch`. `check` is one poll (the thread's, and the tests')."""

    def __init__(
        self,
        places: Iterable[str],
        budget: Usage,
        *,
        poll: float = POLL_SECONDS,
        kill: Callable[[int], bool] = jobspace.kill_uid,
        remove: Callable[[int, tuple[str, ...]], None] = _remove_what_it_made,
    ):
        self.places = tuple(dict.fromkeys(places))
        self.budget = budget
        self.poll = poll
        self._kill, self._remove = kill, remove
        # uid -> the job's own folders and their devices
        self._jobs: dict[int, tuple[tuple[str, int], ...]] = {}
        self._stopped: dict[int, DiskStop] = {}  # uid -> why, while watched
        self.stops: list[DiskStop] = []  # every stop of this watch (`stops_between`)
        self._systems: dict[int, _FileSystem] = {}
        self._lock = threading.RLock()
        self._closed = threading.Event()
        self._thread: threading.Thread | None = None

    # ---- the launcher's side
    # -------------------------------------------------------------------------

    def watch(self, uid: int, folders: Iterable[str] = ()) -> None:
        """Watch the job of user id `uid`, whose own folders (its socket folder) are `folders`."""
        with self._lock:
            # first: a file system is named by its first shared place (/tmp)
            for place in self.places:
                self._add_system(place)
            own = []
            for folder in map(str, folders):
                try:
                    own.append((folder, os.stat(folder).st_dev))
                except OSError:
                    continue
                self._add_system(os.path.dirname(folder.rstrip("/")) or "/")
            self._jobs[uid] = tuple(own)
            self._stopped.pop(uid, None)
            if self._thread is None and not self._closed.is_set():
                self._thread = threading.Thread(target=self._loop, name="diskwatch", daemon=True)
                self._thread.start()

    def unwatch(self, uid: int) -> DiskStop | None:
        """Stop watching `uid`'s job (it has ended); why it was stopped, if it was."""
        with self._lock:
            self._jobs.pop(uid, None)
            return self._stopped.pop(uid, None)

    def stops_between(self, start: float, end: float, besides: int | None = None) -> list[DiskStop]:
        """The jobs stopped between `start` and `end` (time.monotonic()), other than `besides`'s."""
        with self._lock:
            return [s for s in self.stops if start <= s.at <= end and s.uid != besides]

    def close(self) -> None:
        self._closed.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=30)
        self._thread = None

    # ---- the watch
    # ---------------------------------------------------------------------------------

    def _loop(self) -> None:
        while not self._closed.wait(self.poll):
            try:
                self.check()
            except Exception:  # the watch never stops for one bad poll (logged with its traceback)
                log.exception("the disk watch's poll failed")

    def _add_system(self, place: str) -> None:
        """Watch the file system of `place` (a folder that does not exist is left out)."""
        try:
            device = os.stat(place).st_dev
            if device not in self._systems:
                self._systems[device] = _FileSystem(device, [place], space_of(place).used)
            elif place not in self._systems[device].places:
                self._systems[device].places.append(place)
        except OSError as exc:
            log.debug("the disk watch leaves out %s: %s", place, exc)

    def check(self) -> list[DiskStop]:
        """One poll: the jobs it stopped now. Those stopped before are
        killed again if anything of theirs runs."""
        with self._lock:
            if not self._jobs:
                return []
            for uid in self._stopped:
                if uid in self._jobs and jobspace.processes_of(uid):
                    self._kill(uid)
            stopped = []
            for system in list(self._systems.values()):
                stopped += self._check_system(system)
            return stopped

    def _check_system(self, system: _FileSystem) -> list[DiskStop]:
        try:
            space = space_of(system.places[0])
        except OSError:
            return []
        reserve = reserve_of(space.total)
        system.baseline = Usage(
            min(system.baseline.bytes, space.used.bytes),
            min(system.baseline.inodes, space.used.inodes),
        )
        low = (space.free.bytes < reserve.bytes) or (
            reserve.inodes > 0 and space.free.inodes < reserve.inodes
        )
        grown = Usage(
            space.used.bytes - system.baseline.bytes, space.used.inodes - system.baseline.inodes
        )
        grew = grown.exceeds(
            Usage(self.budget.bytes // GROWTH_SHARE, self.budget.inodes // GROWTH_SHARE)
        )
        if not grew and (not low or time.monotonic() < system.quiet_until):
            return []
        system.baseline = space.used
        live = {uid for uid in self._jobs if uid not in self._stopped}
        if not live:
            return []
        roots = [
            *system.places,
            *(f for uid in live for f, device in self._jobs[uid] if device == system.device),
        ]
        held = holdings(roots, system.device, live)
        for uid, extra in open_deleted(live, system.device).items():
            held[uid] = held.get(uid, Usage()) + extra
        place = system.places[0]
        over = sorted(uid for uid, usage in held.items() if usage.exceeds(self.budget))
        stops = [
            self._stop(
                uid,
                place,
                held[uid],
                f"wrote more than {self.budget.bytes / 2**20:.0f} MB or "
                f"{self.budget.inodes} files to a disk it shares with other jobs "
                f"({held[uid].describe()} on the file system of {place})",
            )
            for uid in over
        ]
        if (
            low
            and not stops
            and not any(usage.exceeds(reserve) for usage in held.values())
            and not system.searched
        ):
            # full, and not by what jobs made in the shared folders: once,
            # every world-writable folder of it
            system.searched = True
            extra = [
                f
                for f in writable_folders(system.places[0], system.device)
                if f not in system.places
            ]
            if extra:
                log.info(
                    "watching %d more world-writable folders on the file system of %s",
                    len(extra),
                    system.places[0],
                )
                system.places += extra
                return self._check_system(system)
        if low and not stops:
            big = [uid for uid, usage in held.items() if usage.exceeds(reserve)]
            if big:  # the one holding the most, by its share of what must stay free
                top = max(
                    big,
                    key=lambda u: max(
                        held[u].bytes / max(reserve.bytes, 1),
                        held[u].inodes / max(reserve.inodes, 1),
                    ),
                )
                stops.append(
                    self._stop(
                        top,
                        place,
                        held[top],
                        f"filled the file system of {place} ({held[top].describe()}, leaving "
                        f"less than {reserve.describe()} free to the notebooks beside it)",
                    )
                )
            # full of what no job made: said, and looked at again only
            # after a while (or once it grows)
            else:
                system.quiet_until = time.monotonic() + QUIET_SECONDS
                log.warning(
                    "%s has less than %s free, but no job holds that much there",
                    place,
                    reserve.describe(),
                )
        return stops

    def _stop(self, uid: int, place: str, held: Usage, reason: str) -> DiskStop:
        stop = DiskStop(uid, place, held, reason, time.monotonic())
        log.warning("stopping the job of user %d: it %s", uid, reason)
        self._stopped[uid] = stop
        self.stops.append(stop)
        self._kill(uid)
        self._remove(
            uid, (*self.places, *_folders_of(uid, [f for f, _ in self._jobs.get(uid, ())]))
        )
        return stop


def _folders_of(uid: int, folders: list[str]) -> list[str]:
    """The folders of `uid` in its job's own folders (root's, which it cannot change: its `ipc/` and
    homes): what they hold is its to remove, as itself."""
    found = []
    for folder in folders:
        try:
            with os.scandir(folder) as entries:
                found += [
                    e.path
                    for e in entries
                    if e.is_dir(follow_symlinks=False)
                    and e.stat(follow_symlinks=False).st_uid == uid
                ]
        except OSError:
            continue
    return found
