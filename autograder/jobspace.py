"""Where a job may write on the grader's machine: made, bounded and removed
without root following a student's path.

Every job has a folder of its own under the socket base (`base()`, root's,
0755): `aekit-GRADERPID-N`, owned by root, mode 0711, made fresh (`mkdir`
fails on anything already there). Where this process can mount, it is a tmpfs
limited in bytes and inodes (`size=`, `nr_inodes=`) whose pages also count
against the memory cgroup of whoever writes them. In it:

- `ipc/`, the job's user id's (0700): the kernel's sockets;
- `root/`, root's: with namespaces, the mount point of the kernel's private root
  (mounted in the kernel's own mount namespace only);
- `home-XXXXXXXX/`, the job's user id's (0700), uid-only: a fresh home for every
  kernel start (`fresh_home`), so nothing a kernel planted in its home is there
  when the next kernel of the job starts, and root never writes in it (the
  kernel writes its own files after dropping to its user id).

Root makes entries only in folders that are root's (no other user may rename
or replace an entry there), and removes a job's folder only after every
process of the job's user id is dead (`kill_uid`), with `rm -rf
--one-file-system` (GNU rm walks iteratively, never follows a link, unlinks a
hard link's name only), after detaching any mount under it.
"""

from __future__ import annotations

import ctypes
import fcntl
import logging
import os
import pathlib
import signal
import stat
import subprocess
import tempfile
import time

from .paths import UsageError

log = logging.getLogger(__name__)

BASE_ENV = "AEKIT_SOCKET_BASE"  # another socket base (the tests put one on a small file system)
TMPFS_MAGIC = 0x01021994
MS_NOSUID, MS_NODEV = 2, 4
MNT_DETACH = 2
COPY_CHUNK = 1 << 20

_libc = None


def libc():
    """The C library, loaded once (the one loader for the grader's and the
    kernel launcher's system calls)."""
    global _libc
    if _libc is None:
        _libc = ctypes.CDLL(None, use_errno=True)
    return _libc


class UnsafeBase(UsageError):
    """The socket base is not a folder of this process's user (a link, or another user's): root
    would follow it. Said in one line, with what to do (exit 2)."""


def base() -> pathlib.Path:
    """The folder of every job's folder and of the zygote's socket: root's
    own, 0755, never a link."""
    chosen = os.environ.get(BASE_ENV)
    # jobs enter their own folders in it
    return _own_folder(pathlib.Path(chosen) if chosen else _default_base(), 0o755, parents=True)


def is_tmpfs(path: str) -> bool:
    try:
        buf = (ctypes.c_long * 32)()  # struct statfs: f_type first
        return libc().statfs(path.encode(), buf) == 0 and buf[0] == TMPFS_MAGIC
    except (AttributeError, OSError):
        return False


def _default_base() -> pathlib.Path:
    """/run/aekit; where no job folder can be a tmpfs of its own (no mount)
    and /run is on a disk, /dev/shm/aekit when that is a tmpfs: what a job
    writes in its folder then counts against its memory cgroup."""
    writable = [d for d in ("/run", "/dev/shm") if os.access(d, os.W_OK)]  # noqa: S108  (checked: root's folder)
    if writable and os.geteuid() == 0 and not mountable() and not is_tmpfs("/run"):
        writable = [d for d in writable if is_tmpfs(d)] or writable
    return pathlib.Path(writable[0] if writable else "/tmp") / "aekit"  # noqa: S108  (base() checks it is root's)


def private_home() -> pathlib.Path:
    """HOME of the grader's own processes (zygote, grading runs, kernel launchers): root's, 0700,
    never /tmp, so no configuration, cache or import path a kernel could plant (matplotlibrc,
    keras.json, a user site-packages) is read by them."""
    # not `aekit-*`: `remove_stale` leaves it
    return _own_folder(base() / f"home-{os.geteuid()}", 0o700)


def private_tmp() -> pathlib.Path:
    """TMPDIR of the grader's own processes: in `private_home()`, root's, 0700."""
    return _own_folder(private_home() / "tmp", 0o700)


def can_mount() -> bool:
    """Can this process mount a tmpfs (a job's bounded folder)? Tried on a
    fresh folder, then undone. `AEKIT_SANDBOX_NAMESPACES=off` says no, as a
    container that forbids unshare and mount would."""
    if os.geteuid() != 0 or os.environ.get("AEKIT_SANDBOX_NAMESPACES") == "off":
        return False
    probe = tempfile.mkdtemp(prefix="aekit-mount-probe-")
    try:
        if (
            libc().mount(
                b"tmpfs", probe.encode(), b"tmpfs", MS_NOSUID | MS_NODEV, b"size=4096,nr_inodes=4"
            )
            != 0
        ):
            return False
        libc().umount2(probe.encode(), MNT_DETACH)
        return True
    finally:
        os.rmdir(probe)


_MOUNTABLE: bool | None = None


def mountable() -> bool:
    """`can_mount()`, probed once."""
    global _MOUNTABLE
    if _MOUNTABLE is None:
        _MOUNTABLE = can_mount()
    return _MOUNTABLE


def make_job_folder(
    path: pathlib.Path, uid: int | None, *, size_bytes: int, inodes: int, mount: bool
) -> bool:
    """Make the job's folder `path` (fresh: fails if anything is there) and its `ipc/` for `uid`; on
    a tmpfs of `size_bytes` and `inodes` when `mount`. True when it is bounded (mounted)."""
    os.mkdir(path, 0o711)
    bounded = False
    if mount:
        options = f"size={size_bytes},nr_inodes={inodes},mode=0711,uid=0,gid=0".encode()
        bounded = (
            libc().mount(b"tmpfs", str(path).encode(), b"tmpfs", MS_NOSUID | MS_NODEV, options) == 0
        )
        if not bounded:
            log.warning(
                "cannot mount a tmpfs on %s (errno %d): the job's folder is not bounded",
                path,
                ctypes.get_errno(),
            )
    os.chmod(path, 0o711)  # noqa: S103  (the job's user id enters its folder; nobody may list it)
    ipc = path / "ipc"
    os.mkdir(ipc, 0o700)
    if uid is not None:
        os.chown(ipc, uid, uid, follow_symlinks=False)
    return bounded


def fresh_home(job_folder: str, uid: int | None) -> str:
    """A new home for one kernel start, in the job's root-owned folder,
    handed to `uid` (0700; None: stays this process's user's)."""
    # mkdir: never follows, fails on a name taken
    home = tempfile.mkdtemp(prefix="home-", dir=job_folder)
    if uid is not None:
        os.chown(home, uid, uid, follow_symlinks=False)
    return home


def write_new(path: str, text: str) -> None:
    """Write a file that must not exist yet, never through a link (the
    kernel's own files, after it dropped to its user id)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)


def private_copy(src: pathlib.Path, job_dir: pathlib.Path, limit: int) -> pathlib.Path:
    """A copy of a submission in the job's folder (root's, 0700), read without
    following a link: the grading run reads it, never the class folder. A file
    over `limit` bytes is not copied (it is refused by its size, unread): its path
    is returned unchanged, as is one that cannot be read (the run reports why)."""
    try:
        fd = os.open(src, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return src
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode) or os.fstat(fd).st_size > limit:
            return src
        dest = job_dir / "submission.ipynb"
        out = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        try:
            while chunk := os.read(fd, COPY_CHUNK):
                os.write(out, chunk)
        finally:
            os.close(out)
        return dest
    finally:
        os.close(fd)


def _own_folder(path: pathlib.Path, mode: int, parents: bool = False) -> pathlib.Path:
    """`path`, made if missing (and its parents, with `parents`), checked to be a folder of this
    user's (never a link), with `mode` exactly."""
    try:
        os.mkdir(path, mode)
    except FileExistsError:
        log.debug("%s exists already", path)
    except FileNotFoundError:
        if not parents:
            raise
        path.parent.mkdir(parents=True, exist_ok=True)
        os.mkdir(path, mode)
    st = os.lstat(path)
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.geteuid():
        raise UnsafeBase(
            f"{path} is not a folder of this user's (a link, or another user's): remove it "
            f"(rm -rf {path}) and grade again"
        )
    if st.st_mode & 0o777 != mode:
        os.chmod(path, mode, follow_symlinks=False)
    return path


def uid_locks() -> pathlib.Path:
    """The folder of the job user ids' locks: one for the whole machine (/run/aekit-uids, root's,
    0700), whatever socket base a grader uses, so no two graders' jobs ever share a user id."""
    return _own_folder(
        pathlib.Path("/run/aekit-uids") if os.access("/run", os.W_OK) else base() / "uids", 0o700
    )


def claim_uid(first: int, span: int, start: int) -> tuple[int, int]:
    """A user id for one job that no other job on this machine holds, any grader's: the first of
    `first + (start + i) % span` whose lock file (in `uid_locks()`) this process can lock.
    Returns it and the lock's descriptor (`release_uid`). Whatever still runs under it (a job of a
    grader that was killed) is killed first, so the job starts with a user id of its own alone."""
    for i in range(span):
        uid = first + (start + i) % span
        fd = lock_uid(uid)
        if fd is None:
            continue
        if processes_of(uid):
            kill_uid(uid)
        return uid, fd
    raise OSError(f"all {span} user ids for jobs are in use")


def lock_uid(uid: int) -> int | None:
    """The descriptor of `uid`'s lock file (in `uid_locks()`), locked by this process; None when a
    live job, any grader's, holds it (`release_uid` gives it back)."""
    fd = os.open(uid_locks() / str(uid), os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


def _orphan_owners() -> set[int]:
    """The user ids of processes whose parent is gone (their parent is now process 1)."""
    owners = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="utf-8") as f:
                state, parent = f.read().rsplit(")", 1)[1].split()[:2]
            if int(parent) == 1 and state not in ("Z", "X"):
                owners.add(os.stat(f"/proc/{entry}").st_uid)
        except (OSError, ValueError, IndexError) as exc:
            log.debug("process %s left out of the orphans (gone meanwhile?): %s", entry, exc)
    return owners


def kill_unclaimed(first: int, span: int) -> list[int]:
    """Kill every process of each job user id that no live job holds and under which an orphan runs
    (its parent gone: what a killed grader's job left running, even out of every cgroup, after a
    setsid and a double fork); the ids whose processes were killed."""
    killed = []
    for uid in sorted(u for u in _orphan_owners() if first <= u < first + span):
        try:
            fd = lock_uid(uid)
        except OSError as exc:
            log.debug("user id %d left alone: its lock cannot be opened: %s", uid, exc)
            continue
        if fd is None:
            continue  # a live job's
        try:
            kill_uid(uid)  # held meanwhile: no job claims the id until its processes are gone
            killed.append(uid)
        finally:
            release_uid(fd)
    return killed


def release_uid(fd: int | None) -> None:
    if fd is not None:
        os.close(fd)


def processes_of(uid: int) -> list[int]:
    """Live (not zombie) processes whose real, effective or saved user id is `uid`."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status", encoding="utf-8") as f:
                text = f.read()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in text.splitlines() if ":" in line)
        uids = fields.get("Uid", "").split()[:3]
        if str(uid) in uids and not fields.get("State", "").strip().startswith(("Z", "X")):
            found.append(int(entry))
    return found


def kill_uid(uid: int, seconds: float = 5.0) -> bool:
    """Kill every process of the job's user id (each job has its own): a child takes that id and
    sends SIGKILL to -1, every process it may signal, in one pass of the kernel (nothing forks away
    meanwhile). Repeated until none is left; True when none is."""
    end = time.monotonic() + seconds
    while True:
        pid = os.fork()
        if pid == 0:
            try:
                os.setgroups([])
                os.setgid(uid)
                os.setuid(uid)
                os.kill(-1, signal.SIGKILL)
            finally:
                os._exit(0)
        os.waitpid(pid, 0)
        left = processes_of(uid)
        if not left or time.monotonic() > end:
            return not left
        time.sleep(0.02)


def mounts_under(path: pathlib.Path) -> list[str]:
    """Mount points at or under `path` (deepest first)."""
    prefix = str(path).rstrip("/")
    found = []
    try:
        with open("/proc/self/mountinfo", encoding="utf-8") as f:
            for line in f:
                point = line.split()[4].encode().decode("unicode_escape")
                if point == prefix or point.startswith(prefix + "/"):
                    found.append(point)
    except OSError as exc:
        log.debug("cannot read this process's mounts (none taken as under %s): %s", path, exc)
    return sorted(set(found), key=len, reverse=True)


def remove_tree(path: pathlib.Path) -> bool:
    """Remove a job's folder whatever a job left in it (links, hard links,
    1,500 nested folders, a mount): never recursing in this process's stack,
    never following a link. False (and logged) when something is left."""
    path = pathlib.Path(path)
    for point in mounts_under(path):
        if libc().umount2(point.encode(), MNT_DETACH) != 0:
            log.warning("cannot detach %s (errno %d)", point, ctypes.get_errno())
    try:
        os.lstat(path)
    except FileNotFoundError:
        return True
    try:
        done = subprocess.run(  # noqa: S603  (a fixed argv)
            ["rm", "-rf", "--one-file-system", "--", str(path)],  # noqa: S607  (the system's rm, root's PATH)
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            timeout=600,
        )
        problem = done.stderr.strip().splitlines()[-1] if done.returncode else ""
    except (OSError, subprocess.SubprocessError) as exc:
        problem = str(exc)
    if os.path.lexists(path):
        log.warning("could not remove %s: %s", path, problem or "still there")
        return False
    return True


# where any user id may write (uid-only mode): cleaned of a job's files, never written to
SHARED_WRITABLE = ("/tmp", "/var/tmp", "/dev/shm", "/run/lock")  # noqa: S108


def remove_files_of(uid: int, folders: tuple[str, ...] = SHARED_WRITABLE) -> list[str]:
    """Remove what the job's user id left in the folders every user may write to (uid-only mode: it
    has no private /tmp), as that user id itself (it can remove nothing it could not remove anyway).
    What is left is logged and returned."""
    mine = []
    for folder in folders:
        try:
            with os.scandir(folder) as entries:
                mine += [e.path for e in entries if e.stat(follow_symlinks=False).st_uid == uid]
        except OSError:
            continue
    if not mine:
        return []
    try:
        subprocess.run(  # noqa: S603  (a fixed argv, run as the job's user id)
            ["rm", "-rf", "--one-file-system", "--", *mine],  # noqa: S607  (the system's rm, root's PATH)
            user=uid,
            group=uid,
            extra_groups=[],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=600,
            cwd="/",
        )
    except (OSError, subprocess.SubprocessError) as exc:
        log.warning("could not remove the files user %d left: %s", uid, exc)
    left = [p for p in mine if os.path.lexists(p)]
    if left:
        log.warning("user %d left files that could not be removed: %s", uid, ", ".join(left[:5]))
    return left
