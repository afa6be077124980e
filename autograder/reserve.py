"""Room kept on the results folder's disk for the grader's own writes, so a
full disk loses no student.

A run makes, in its work folder inside the results folder, a file of
`RESERVE_BYTES` (allocated, not sparse) and `RESERVE_FILES` empty files: space
and inodes no one else can take. Each write of a finished notebook's record,
of the state and of the tables goes through `Reserve.write`: when it fails
because the disk is full (ENOSPC, EDQUOT, SQLite's "database or disk is
full"), the reserve is given back and the write tried once more. A write that
still fails is named in `Reserve.failed` (the run goes on with every other
student, writes its tables, and then says which records were not saved); the
reserve is made again once the disk has room (`refill`).
"""

from __future__ import annotations

import errno
import logging
import os
import pathlib
import shutil
import threading
from typing import Callable, TypeVar

log = logging.getLogger(__name__)

RESERVE_BYTES = 64 * 1024**2
RESERVE_FILES = 256
REFILL_FACTOR = 4  # made again once this many reserves' worth of bytes and files are free
FULL_ERRNOS = frozenset((errno.ENOSPC, errno.EDQUOT))
FULL_WORDS = ("disk is full", "no space left on device", "disk quota exceeded")
CHUNK = 1 << 20

T = TypeVar("T")


def is_disk_full(exc: BaseException) -> bool:
    """Did `exc` (or what caused it: SQLAlchemy wraps SQLite's error) come
    from a full disk or quota?"""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, OSError) and exc.errno in FULL_ERRNOS:
            return True
        if any(word in str(exc).lower() for word in FULL_WORDS):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


class Reserve:
    """The room kept in `folder` (made by `make`, given back by `release`)."""

    def __init__(self, folder: pathlib.Path, size: int | None = None, files: int | None = None):
        self.folder = pathlib.Path(folder)
        self.size = RESERVE_BYTES if size is None else size
        self.files = RESERVE_FILES if files is None else files
        self.held = False
        self.failed: list[str] = []  # what could not be written, each with why
        self._lock = threading.Lock()

    def make(self) -> bool:
        """Take the room now; False (and nothing left behind) when the disk has not that much."""
        with self._lock:
            return self._make()

    def _make(self) -> bool:
        if self.held:
            return True
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            fd = os.open(
                self.folder / "bytes", os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600
            )
            try:
                try:
                    os.posix_fallocate(fd, 0, self.size)
                except OSError as exc:
                    if exc.errno in FULL_ERRNOS:
                        raise
                    # no fallocate here: written, and not compressible to nothing
                    block = os.urandom(CHUNK)
                    for _ in range(0, self.size, CHUNK):
                        os.write(fd, block)
                os.fsync(fd)
            finally:
                os.close(fd)
            for n in range(self.files):
                os.close(
                    os.open(
                        self.folder / f"file-{n}", os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW, 0o600
                    )
                )
        except OSError as exc:
            log.warning(
                "cannot keep %d MB and %d files in reserve in %s: %s",
                self.size >> 20,
                self.files,
                self.folder,
                exc.strerror or exc,
            )
            self._release()
            return False
        self.held = True
        return True

    def release(self) -> bool:
        """Give the room back; True when there was some to give."""
        with self._lock:
            return self._release()

    def _release(self) -> bool:
        was = self.held or self.folder.exists()
        shutil.rmtree(self.folder, ignore_errors=True)
        self.held = False
        return was

    def refill(self) -> bool:
        """Take the room again if it was given back and the disk has plenty now."""
        with self._lock:
            if self.held:
                return True
            try:
                st = os.statvfs(self.folder.parent)
            except OSError:
                return False
            room = st.f_bavail * st.f_frsize >= REFILL_FACTOR * self.size and (
                st.f_files == 0 or st.f_favail >= REFILL_FACTOR * self.files
            )
            return self._make() if room else False

    def write(self, what: str, action: Callable[[], T]) -> tuple[bool, T | None]:
        """Run `action` (a write); on a full disk give the reserve back and
        run it once more. (True, its value), or (False, None) when the disk
        stayed full: `what` is then in `failed`. Other errors are raised."""
        for attempt in (1, 2):
            try:
                return True, action()
            except Exception as exc:  # only a full disk is handled; the rest is re-raised
                if not is_disk_full(exc):
                    raise
                if attempt == 1 and self.release():
                    log.warning(
                        "the disk was full while writing %s: the reserve "
                        "was given back, writing again",
                        what,
                    )
                    continue
                why = (
                    exc.strerror
                    if isinstance(exc, OSError) and exc.strerror
                    else str(exc).splitlines()[0]
                )
                with self._lock:
                    self.failed.append(f"{what} ({why[:200]})")
                log.error("could not write %s: %s", what, why)
                return False, None
        return False, None  # not reached
