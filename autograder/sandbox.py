"""The grader's side of the sandbox: limits, what this machine offers, and
one job's confinement handle.

`JobSandbox` prepares one job: its cgroups (memory, processes, a CPU quota,
a freezer), its socket folder, its user id and the kernel spec whose command
is `python -m autograder.confine` (the kernel's side, which confines itself
before any student code runs: see confine.py). When the job ends,
`JobSandbox.cleanup` freezes the job's cgroup, kills everything in it until it
is empty, and removes the cgroups, so nothing a job started outlives it.

Three levels of isolation, by what the machine offers (`capabilities()`):

- root with namespaces: a user id of the kernel's own and a private root
  without sources or results, own PID, IPC and network namespaces;
- root without namespaces ("uid-only", e.g. a Docker container that forbids
  unshare or mount): a user id of the kernel's own, no supplementary groups,
  and a new private 0700 home at every kernel start; every process of that
  user id is killed when the job ends; it sees the real file system, so
  grading is safe only when the secrets are unreadable by other users
  (`unsafe_reason()` checks solutions/, the class's submissions, the results
  folder, and that no folder root imports from is writable by others; the
  job folders are 0700 and each notebook is graded from a private copy);
- not root: the kernel runs as the grader's own user and could read anything.

Where the isolation cannot keep solutions/ from a kernel, the grader says so
(`describe()`, `unsafe_reason()`) and refuses to grade unless told `--unsafe`.
`AEKIT_SANDBOX_NAMESPACES=off` makes the grader act as if the machine had no
namespaces (to test uid-only mode on a machine that has them); it can only
take protections away, never add one.
"""

from __future__ import annotations

import ctypes
import json
import logging
import os
import pathlib
import signal
import subprocess
import sys
import sysconfig
import threading

from . import cgroups, jobspace
from .lifeline import python_module_argv
from .messages import KERNEL_IP_ENV, Limits, SandboxConfig

log = logging.getLogger(__name__)

UID_BASE = 61000
UID_SPAN = 4000
NAMESPACES = 0x00020000 | 0x40000000 | 0x08000000 | 0x20000000  # mount, network, IPC, PID
CONTROLLERS = cgroups.CONTROLLERS


def _probe_namespaces() -> bool:
    """Can this process make the namespaces a kernel needs? (tried in a
    child, so nothing changes here)"""
    if os.geteuid() != 0 or not sys.platform.startswith("linux"):
        return False
    pid = os.fork()
    if pid == 0:
        libc = ctypes.CDLL(None, use_errno=True)
        ok = (
            libc.unshare(NAMESPACES) == 0
            and libc.mount(b"none", b"/", None, 16384 | (1 << 18), None) == 0
        )
        os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status) == 0


_CAPS = None


def capabilities() -> dict:
    """What isolation this machine offers the grader (probed once)."""
    global _CAPS
    if _CAPS is None:
        namespaces = os.environ.get("AEKIT_SANDBOX_NAMESPACES") != "off" and _probe_namespaces()
        _CAPS = {
            "root": os.geteuid() == 0,
            "namespaces": namespaces,
            "cgroups": cgroups.available(),
        }
    return _CAPS


def describe() -> str:
    caps = capabilities()
    parts = ["rlimits (CPU, file size, open files)"]
    parts.append(
        "cgroup memory, process, CPU and freezer limits"
        if set(CONTROLLERS) <= set(caps["cgroups"])
        else "some cgroup limits missing ("
        + ", ".join(sorted(set(CONTROLLERS) - set(caps["cgroups"])))
        + ")"
    )
    if caps["root"]:
        parts.append(
            "each job's folder a tmpfs limited in bytes and files"
            if jobspace.mountable()
            else "job folders on a shared disk (this machine cannot mount), watched: a job holding "
            "more than its share in bytes or files there, or filling it, is stopped"
        )
    if caps["namespaces"]:
        parts.append(
            "own user id, own root with sources and results absent, own PID, IPC and empty network "
            "namespaces"
        )
        return "sandbox: " + ", ".join(parts)
    if caps["root"]:
        parts.append(
            "own user id without groups (every process of it killed when its job ends), a fresh "
            "private home for every kernel start"
        )
        return (
            "sandbox: "
            + ", ".join(parts)
            + "; REDUCED isolation (no namespaces): no private root (a kernel "
            "can read every world-readable file, the course's code among "
            "them, and write to the shared /tmp, /var/tmp, /dev/shm and "
            "/run/lock, where a job holding more than its share or filling "
            "one is stopped), no PID namespace (it sees every process), shared network and IPC"
        )
    return (
        "sandbox: "
        + ", ".join(parts)
        + "; REDUCED isolation (not root): a submission could read solutions/"
    )


def readable_by_others(root: pathlib.Path) -> pathlib.Path | None:
    """A file under `root` that a user other than its owner, with no supplementary groups, could
    read (None: none). A folder without o+x on the way, or a file without o+r, stops that user; a
    link is never followed. However deep the tree (a TA's folder 5,000 levels deep): GNU find walks
    it iteratively, beyond PATH_MAX."""
    root = pathlib.Path(os.path.realpath(root))
    if not root.exists() or not _searchable_by_others(root.parents):
        return None
    if not root.is_dir():
        return root if root.stat().st_mode & 0o004 else None
    # a folder others cannot pass is not entered; the first file they can read (not a link) is named
    try:
        found = subprocess.run(  # noqa: S603  (GNU find, a fixed argv)
            [  # noqa: S607  (root's PATH)
                "find",
                "-P",
                str(root),
                "(",
                "-type",
                "d",
                "!",
                "-perm",
                "-0001",
                "-prune",
                ")",
                "-o",
                "(",
                "!",
                "-type",
                "d",
                "!",
                "-type",
                "l",
                "-perm",
                "-0004",
                "-print0",
                "-quit",
                ")",
            ],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=600,
        )
    # cannot tell: say the folder itself may be read
    except (OSError, subprocess.SubprocessError) as exc:
        log.warning("cannot search %s for files others can read: %s", root, exc)
        return root
    name = found.stdout.split(b"\0", 1)[0]
    return pathlib.Path(os.fsdecode(name)) if name else None


def unsafe_reason(opt_in: str = "--unsafe", private: tuple = ()) -> str | None:
    """Why grading here would let a submission read the sources, with what to do
    about it (None: it cannot). `opt_in` is how the caller is told to grade
    anyway; `private`: more folders no kernel may read (the class's submissions,
    the results folder), checked with solutions/ when there are no namespaces."""
    caps = capabilities()
    if caps["namespaces"]:
        return None
    if not caps["root"]:
        return (
            "not root: a kernel could read solutions/ and the results "
            f"(run as root on Linux, or pass {opt_in})"
        )
    from .paths import REPO

    for folder in (REPO / "solutions", *map(pathlib.Path, private)):
        exposed = readable_by_others(folder)
        if exposed is not None:
            return (
                f"no namespaces: a kernel could read {exposed} (chmod -R go-rwx {folder} to grade "
                f"with separate user ids only, or pass {opt_in})"
            )
    planted = writable_import_path()
    if planted is not None:
        return (
            f"no namespaces: a kernel could write to {planted}, from "
            "which the grader imports code as root (run the grader from, "
            f"and install it in, folders only root can write to, or pass {opt_in})"
        )
    blocked = unreachable_by_others(kernel_needs())
    # not a leak, but every kernel would die at its first import: say so now
    if blocked is not None:
        return (
            "no namespaces: a kernel, under a user id of its own, cannot "
            f"reach {blocked} (make the folders above it searchable by "
            "others, chmod o+x, or install Python and the course where they are)"
        )
    return None


def writable_import_path(entries: list[str] | None = None) -> pathlib.Path | None:
    """A folder on this Python's import path (or one above it) that a user
    other than root and this process's could change: a file put there, or
    the folder replaced, would be imported by root (None: there is none)."""
    for entry in sys.path if entries is None else entries:
        if not entry or not os.path.isdir(entry):
            continue
        path = pathlib.Path(os.path.realpath(entry))
        for folder in (path, *path.parents):
            st = folder.stat()
            foreign = st.st_uid not in (0, os.geteuid())
            # job ids: no groups
            open_to_all = st.st_mode & 0o002 and not (folder != path and st.st_mode & 0o1000)
            if foreign or open_to_all:
                return folder
    return None


def kernel_needs() -> list[pathlib.Path]:
    """What a kernel must be able to read: Python, its packages and the
    course's shared code and data."""
    from .paths import REPO

    paths = [
        sys.base_prefix,
        sys.prefix,
        sysconfig.get_paths()["purelib"],
        *(REPO / name for name in ("aekit", "autograder", "data")),
    ]
    return [pathlib.Path(os.path.realpath(p)) for p in paths]


def unreachable_by_others(paths: list[pathlib.Path]) -> pathlib.Path | None:
    """The first of `paths` that a user other than the owners cannot reach
    (a folder on the way without o+x)."""
    for path in paths:
        if path.exists() and not _searchable_by_others([*path.parents, path]):
            return path
    return None


def _searchable_by_others(folders) -> bool:
    """Can a user other than the owners pass through every one of these
    folders (o+x; files are skipped)?"""
    return all(p.stat().st_mode & 0o001 for p in folders if p.is_dir())


def socket_base() -> pathlib.Path:
    """The folder of every job's folder and the zygote's socket (root's,
    0755; see `jobspace.base`)."""
    return jobspace.base()


def remove_stale(base: pathlib.Path | None = None) -> None:
    """Remove socket folders and cgroups left by graders that were killed
    (their process id is gone)."""
    import psutil

    # its grader is gone (or its process id now names a younger process)
    def stale(entry: pathlib.Path) -> bool:
        parts = entry.name.split("-")
        if len(parts) < 2 or parts[0] != "aekit" or not parts[1].isdigit():
            return False
        try:
            return psutil.Process(int(parts[1])).create_time() > entry.stat().st_mtime + 1
        except (psutil.NoSuchProcess, FileNotFoundError):
            return True

    remove_left_by(stale, base or socket_base())


def remove_left_by(chosen, base: pathlib.Path) -> None:
    """Remove what the graders whose entries `chosen(entry)` picks left: their folders in `base`
    (jobs' folders, a zygote's socket) and their jobs' cgroups, and, as root, every process of a job
    user id no live job holds. Each failure is logged; nothing raises (a killed grader's next run
    and its undertaker both use this)."""
    for entry in base.iterdir() if base.is_dir() else []:
        # whatever a job left (a deep tree, links, a mount, a file): removed, or logged and left
        try:
            if chosen(entry):
                jobspace.remove_tree(entry)
        except Exception:  # (one entry never stops the run)
            log.exception("could not remove what a grader left: %s", entry)
    # processes a killed grader's jobs left outside every cgroup (uid-only): by user id
    if os.geteuid() == 0:
        jobspace.kill_unclaimed(UID_BASE, UID_SPAN)
    cgroups.remove_jobs(chosen)


def kill_tree(pid: int) -> None:
    """Kill a process, its process group and all its descendants (the one helper for this)."""
    import psutil

    try:
        parent = psutil.Process(pid)
        procs = parent.children(recursive=True) + [parent]
    except psutil.NoSuchProcess:
        procs = []
    try:
        os.killpg(pid, signal.SIGKILL)
    except OSError as exc:  # no such group (the process was no group leader, or is gone)
        log.debug("killpg(%d): %s", pid, exc)
    for p in procs:
        try:
            p.kill()
        except psutil.NoSuchProcess:
            log.debug("process %d of the tree of %d had already ended", p.pid, pid)
    psutil.wait_procs(procs, timeout=5)


class JobSandbox:
    """Grader-side handle of one job's confinement: cgroups, socket folder,
    user id, kernel spec, clean-up."""

    _counter = 0
    _lock = threading.Lock()

    def __init__(self, job_dir: pathlib.Path, limits: Limits, zygote: str | None = None):
        with JobSandbox._lock:
            JobSandbox._counter += 1
            n = JobSandbox._counter
        self.job_dir = pathlib.Path(job_dir)
        self.limits = limits
        caps = capabilities()
        self.isolated = caps["namespaces"]
        # a user id of its own, locked against every other job of every grader on this machine
        self.uid, self._uid_lock = (
            jobspace.claim_uid(UID_BASE, UID_SPAN, os.getpid() * 64 + n)
            if caps["root"]
            else (None, None)
        )
        self.name = f"aekit-{os.getpid()}-{n}"
        # the job's folder (root's, 0711; a bounded tmpfs where this machine
        # can mount): its `ipc/` holds the kernel's sockets, and in uid-only
        # mode each kernel start gets a fresh home in it (see jobspace.py)
        self.sock_dir = socket_base() / self.name
        self.bounded = False
        self.cgroups = cgroups.JobCgroups.create(
            self.name,
            memory_bytes=limits.memory_bytes,
            processes=limits.processes,
            cpu_share=limits.cpu_share,
        )
        self.zygote = zygote
        try:
            self._write_spec()
        except BaseException:  # a full disk, say: nothing of the job is left behind
            self.cleanup()
            raise

    def _write_spec(self) -> None:
        spec_dir = self.job_dir / "jupyter" / "kernels" / "python3"
        spec_dir.mkdir(parents=True, exist_ok=True)
        self.bounded = jobspace.make_job_folder(
            self.sock_dir,
            self.uid,
            size_bytes=self.limits.tmp_bytes,
            inodes=self.limits.tmp_inodes,
            mount=jobspace.mountable(),
        )
        from .paths import REPO

        config = SandboxConfig(
            limits=self.limits,
            uid=self.uid,
            sock_dir=str(self.sock_dir),
            repo=str(REPO),
            isolated=self.isolated,
            cgroups={k: str(v) for k, v in self.cgroups.kernel.items()},
            zygote=self.zygote,
        )
        cfg_path = self.job_dir / "sandbox.json"
        config.write(cfg_path)
        spec = {
            "argv": python_module_argv("autograder.confine", str(cfg_path), "{connection_file}"),
            "display_name": "Python 3 (ipykernel)",
            "language": "python",
            "metadata": {"debugger": False},
            "interrupt_mode": "signal",
        }
        (spec_dir / "kernel.json").write_text(json.dumps(spec))

    def kernel_env(self, base: dict[str, str]) -> dict[str, str]:
        """The environment the job's kernel is started with (the kernel
        keeps only confine.ENV_KEEP of it)."""
        env = dict(base)
        if self.limits.threads:
            for name in ("OMP_NUM_THREADS", "TF_NUM_INTRAOP_THREADS", "OPENBLAS_NUM_THREADS"):
                env[name] = str(self.limits.threads)
            env["TF_NUM_INTEROP_THREADS"] = "1"
        env["JUPYTER_PATH"] = str(self.job_dir / "jupyter")
        env[KERNEL_IP_ENV] = str(self.sock_dir / "ipc" / "k")
        return env

    def cleanup(self) -> bool:
        """End every process of the job and remove its cgroups and sockets;
        False if a process survived."""
        empty = self.cgroups.empty()
        self.cgroups.remove()
        # each job has a user id of its own: whatever escaped its cgroups dies here
        if self.uid is not None:
            empty = jobspace.kill_uid(self.uid) and empty
            # it had the machine's /tmp, /var/tmp, /dev/shm: what it left there goes too
            if not self.isolated:
                jobspace.remove_files_of(self.uid)
        jobspace.remove_tree(self.sock_dir)  # logged when something stays; never raises
        jobspace.release_uid(self._uid_lock)
        self._uid_lock = None
        return empty
