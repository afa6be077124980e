"""The grader's side of the sandbox: limits, what this machine offers, and one job's confinement handle.

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
  and a private 0700 home; it sees the real file system, so grading is safe
  only when the secrets are unreadable by other users (`unsafe_reason()`
  checks solutions/; the results folder and the job folders are 0700);
- not root: the kernel runs as the grader's own user and could read anything.

Where the isolation cannot keep solutions/ from a kernel, the grader says so
(`describe()`, `unsafe_reason()`) and refuses to grade unless told `--unsafe`.
`AEKIT_SANDBOX_NAMESPACES=off` makes the grader act as if the machine had no
namespaces (to test uid-only mode on a machine that has them); it can only
take protections away, never add one.
"""
from __future__ import annotations

import ctypes
import dataclasses
import json
import os
import pathlib
import shutil
import signal
import sys
import sysconfig
import threading
import time

UID_BASE = 61000
UID_SPAN = 4000
NAMESPACES = 0x00020000 | 0x40000000 | 0x08000000 | 0x20000000  # mount, network, IPC, PID
CONTROLLERS = ("memory", "pids", "cpu", "freezer")


@dataclasses.dataclass
class Limits:
    wall_seconds: float = 300.0
    cpu_seconds: int = 600
    memory_bytes: int = 4 * 1024**3
    processes: int = 256
    file_bytes: int = 256 * 1024**2
    tmp_bytes: int = 512 * 1024**2
    open_files: int = 1024
    threads: int = 0      # CPU threads a kernel's TensorFlow and BLAS may use (0: their default)
    cpu_share: float = 0  # cores a job may use at most (cgroup CPU quota; 0: no quota)


def _probe_namespaces() -> bool:
    """Can this process make the namespaces a kernel needs? (tried in a child, so nothing changes here)"""
    if os.geteuid() != 0 or not sys.platform.startswith("linux"):
        return False
    pid = os.fork()
    if pid == 0:
        libc = ctypes.CDLL(None, use_errno=True)
        ok = libc.unshare(NAMESPACES) == 0 and libc.mount(b"none", b"/", None, 16384 | (1 << 18), None) == 0
        os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status) == 0


def _cgroup_roots() -> dict[str, pathlib.Path]:
    roots = {}
    for ctrl in CONTROLLERS:
        p = pathlib.Path("/sys/fs/cgroup") / ctrl
        if p.is_dir() and os.access(p, os.W_OK):
            roots[ctrl] = p
    return roots


_CAPS = None


def capabilities() -> dict:
    """What isolation this machine offers the grader (probed once)."""
    global _CAPS
    if _CAPS is None:
        namespaces = os.environ.get("AEKIT_SANDBOX_NAMESPACES") != "off" and _probe_namespaces()
        _CAPS = {"root": os.geteuid() == 0, "namespaces": namespaces, "cgroups": sorted(_cgroup_roots())}
    return _CAPS


def describe() -> str:
    caps = capabilities()
    parts = ["rlimits (CPU, file size, open files)"]
    parts.append("cgroup memory, process, CPU and freezer limits" if set(CONTROLLERS) <= set(caps["cgroups"])
                 else "some cgroup limits missing (" + ", ".join(sorted(set(CONTROLLERS) - set(caps["cgroups"])))
                 + ")")
    if caps["namespaces"]:
        parts.append("own user id, own root with sources and results absent, own PID, IPC and empty network "
                     "namespaces")
        return "sandbox: " + ", ".join(parts)
    if caps["root"]:
        parts.append("own user id without groups, private home")
        return ("sandbox: " + ", ".join(parts) + "; REDUCED isolation (no namespaces): no private root (a kernel "
                "can read every world-readable file, the course's code among them, and write to /tmp), no PID "
                "namespace (it sees every process), shared network and IPC")
    return "sandbox: " + ", ".join(parts) + "; REDUCED isolation (not root): a submission could read solutions/"


def readable_by_others(root: pathlib.Path) -> pathlib.Path | None:
    """A file under `root` that a user other than its owner, with no supplementary groups, could read (None:
    none). A folder without o+x on the way, or a file without o+r, stops that user."""
    root = pathlib.Path(os.path.realpath(root))
    if not root.exists() or not _searchable_by_others(root.parents):
        return None
    if root.is_file():
        return root if root.stat().st_mode & 0o004 else None
    for folder, dirs, files in os.walk(root):
        if not os.stat(folder).st_mode & 0o001:
            dirs[:] = []
            continue
        for name in files:
            path = pathlib.Path(folder, name)
            if not path.is_symlink() and path.stat().st_mode & 0o004:
                return path
    return None


def unsafe_reason(opt_in: str = "--unsafe") -> str | None:
    """Why grading here would let a submission read the sources, with what to do about it (None: it cannot).
    `opt_in` is how the caller is told to grade anyway."""
    caps = capabilities()
    if caps["namespaces"]:
        return None
    if not caps["root"]:
        return f"not root: a kernel could read solutions/ and the results (run as root on Linux, or pass {opt_in})"
    from .paths import REPO

    exposed = readable_by_others(REPO / "solutions")
    if exposed is not None:
        return (f"no namespaces: a kernel could read {exposed} (chmod -R go-rwx {REPO / 'solutions'} to grade "
                f"with separate user ids only, or pass {opt_in})")
    blocked = unreachable_by_others(kernel_needs())
    if blocked is not None:  # not a leak, but every kernel would die at its first import: say so now
        return (f"no namespaces: a kernel, under a user id of its own, cannot reach {blocked} (make the folders "
                f"above it searchable by others, chmod o+x, or install Python and the course where they are)")
    return None


def kernel_needs() -> list[pathlib.Path]:
    """What a kernel must be able to read: Python, its packages and the course's shared code and data."""
    from .paths import REPO

    paths = [sys.base_prefix, sys.prefix, sysconfig.get_paths()["purelib"],
             *(REPO / name for name in ("aekit", "autograder", "data"))]
    return [pathlib.Path(os.path.realpath(p)) for p in paths]


def unreachable_by_others(paths: list[pathlib.Path]) -> pathlib.Path | None:
    """The first of `paths` that a user other than the owners cannot reach (a folder on the way without o+x)."""
    for path in paths:
        if path.exists() and not _searchable_by_others([*path.parents, path]):
            return path
    return None


def _searchable_by_others(folders) -> bool:
    """Can a user other than the owners pass through every one of these folders (o+x; files are skipped)?"""
    return all(p.stat().st_mode & 0o001 for p in folders if p.is_dir())


def socket_base() -> pathlib.Path:
    """The folder of every job's socket folder and the zygote's socket (0755: each job's folder is 0700)."""
    base = pathlib.Path("/run" if os.access("/run", os.W_OK) else "/tmp") / "aekit"
    base.mkdir(parents=True, exist_ok=True)
    if base.stat().st_mode & 0o777 != 0o755 and base.stat().st_uid == os.geteuid():
        os.chmod(base, 0o755)
    return base


def remove_stale(base: pathlib.Path | None = None) -> None:
    """Remove socket folders and cgroups left by graders that were killed (their process id is gone)."""
    import psutil

    def stale(entry: pathlib.Path) -> bool:  # its grader is gone (or its process id now names a younger process)
        parts = entry.name.split("-")
        if len(parts) < 2 or parts[0] != "aekit" or not parts[1].isdigit():
            return False
        try:
            return psutil.Process(int(parts[1])).create_time() > entry.stat().st_mtime + 1
        except (psutil.NoSuchProcess, FileNotFoundError):
            return True

    base = base or socket_base()
    for entry in base.iterdir() if base.is_dir() else []:
        if stale(entry):
            if entry.is_dir():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)
    _remove_job_cgroups(stale)


def remove_cgroups_of(grader_pid: int) -> None:
    """Empty and remove the cgroups of a grader's jobs: its zygote does this when the grader is gone, so a job
    the grader was killed in the middle of (even one it had just frozen) ends with it."""
    _remove_job_cgroups(lambda entry: entry.name.startswith(f"aekit-{grader_pid}-"))


def _remove_job_cgroups(chosen) -> None:
    """Each job whose cgroup `chosen(path)` picks: all its controllers at once, so a frozen job is thawed and
    killed in one pass (emptying its memory cgroup alone would wait on processes the freezer holds)."""
    roots = _cgroup_roots()
    names = {entry.name for root in roots.values() for entry in root.glob("aekit-*") if chosen(entry)}
    for name in sorted(names):
        job = {ctrl: root / name for ctrl, root in roots.items() if (root / name).is_dir()}
        _empty_cgroups(job)
        _remove_cgroups(job)


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
    except OSError:
        pass
    for p in procs:
        try:
            p.kill()
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(procs, timeout=5)


def _cgroup_pids(cgroups: dict) -> set[int]:
    pids = set()
    for path in cgroups.values():
        try:
            pids |= {int(x) for x in (path / "cgroup.procs").read_text().split()}
        except OSError:
            pass
    return pids


def _empty_cgroups(cgroups: dict, seconds: float = 10.0) -> bool:
    """Freeze, kill everything, thaw, until no process is left in the cgroups; True when empty."""
    freezer = cgroups.get("freezer")
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pids = _cgroup_pids(cgroups)
        if not pids:
            return True
        if freezer is not None:  # frozen processes cannot fork away while being killed
            try:
                (freezer / "freezer.state").write_text("FROZEN")
            except OSError:
                pass
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        if freezer is not None:
            try:
                (freezer / "freezer.state").write_text("THAWED")
            except OSError:
                pass
        time.sleep(0.05)
    return not _cgroup_pids(cgroups)


def _remove_cgroups(cgroups: dict) -> None:
    for path in cgroups.values():
        for _ in range(50):
            try:
                path.rmdir()
                break
            except FileNotFoundError:
                break
            except OSError:
                time.sleep(0.05)


class JobSandbox:
    """Grader-side handle of one job's confinement: cgroups, socket folder, user id, kernel spec, clean-up."""

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
        self.uid = UID_BASE + (os.getpid() * 64 + n) % UID_SPAN if caps["root"] else None
        self.name = f"aekit-{os.getpid()}-{n}"
        self.sock_dir = socket_base() / self.name
        # uid-only: the kernel's working folder, its own (with namespaces it gets one in its private root)
        self.home = self.sock_dir / "home" if self.uid is not None and not self.isolated else None
        self.cgroups: dict[str, pathlib.Path] = {}
        for ctrl, root in _cgroup_roots().items():
            path = root / self.name
            try:
                path.mkdir()
                self.cgroups[ctrl] = path
                self._configure(ctrl, path)
            except OSError:
                pass
        self.zygote = zygote
        self._write_spec()

    def _configure(self, ctrl: str, path: pathlib.Path) -> None:
        limits = self.limits
        if ctrl == "memory":
            for name in ("memory.limit_in_bytes", "memory.memsw.limit_in_bytes", "memory.max"):
                try:
                    (path / name).write_text(str(limits.memory_bytes))
                except OSError:
                    pass
        elif ctrl == "pids":
            (path / "pids.max").write_text(str(limits.processes))
        elif ctrl == "cpu" and limits.cpu_share > 0:
            period = 100_000
            (path / "cpu.cfs_period_us").write_text(str(period))
            (path / "cpu.cfs_quota_us").write_text(str(int(period * limits.cpu_share)))

    def _write_spec(self) -> None:
        spec_dir = self.job_dir / "jupyter" / "kernels" / "python3"
        spec_dir.mkdir(parents=True, exist_ok=True)
        self.sock_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        if self.uid is not None:
            os.chown(self.sock_dir, self.uid, self.uid)
        if self.home is not None:
            self.home.mkdir(mode=0o700)
            os.chown(self.home, self.uid, self.uid)
        from .paths import REPO

        config = {"limits": dataclasses.asdict(self.limits), "uid": self.uid, "sock_dir": str(self.sock_dir),
                  "home": str(self.home) if self.home else None,
                  "repo": str(REPO), "zygote": self.zygote, "isolated": self.isolated,
                  "cgroups": {k: str(v) for k, v in self.cgroups.items()}}
        cfg_path = self.job_dir / "sandbox.json"
        cfg_path.write_text(json.dumps(config))
        spec = {"argv": [sys.executable, "-m", "autograder.confine", str(cfg_path), "{connection_file}"],
                "display_name": "Python 3 (ipykernel)", "language": "python", "metadata": {"debugger": False},
                "interrupt_mode": "signal"}
        (spec_dir / "kernel.json").write_text(json.dumps(spec))

    def kernel_env(self, base: dict[str, str]) -> dict[str, str]:
        """The environment the job's kernel is started with (the kernel keeps only confine.ENV_KEEP of it)."""
        env = dict(base)
        if self.limits.threads:
            for name in ("OMP_NUM_THREADS", "TF_NUM_INTRAOP_THREADS", "OPENBLAS_NUM_THREADS"):
                env[name] = str(self.limits.threads)
            env["TF_NUM_INTEROP_THREADS"] = "1"
        env["JUPYTER_PATH"] = str(self.job_dir / "jupyter")
        env["AEKIT_KERNEL_IP"] = str(self.sock_dir / "k")
        return env

    def memory_exceeded(self) -> bool:
        mem = self.cgroups.get("memory")
        if mem is None:
            return False
        try:
            return int((mem / "memory.failcnt").read_text()) > 0 and \
                int((mem / "memory.max_usage_in_bytes").read_text()) >= self.limits.memory_bytes * 0.98
        except (OSError, ValueError):
            return False

    def cleanup(self) -> bool:
        """End every process of the job and remove its cgroups and sockets; False if a process survived."""
        empty = _empty_cgroups(self.cgroups)
        _remove_cgroups(self.cgroups)
        shutil.rmtree(self.sock_dir, ignore_errors=True)
        return empty
