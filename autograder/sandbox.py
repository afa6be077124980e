"""Run each student's kernel in a sandbox of its own.

The grader writes a kernel spec for each job whose command is this module.
Launched (as the grader's user) by jupyter_client in place of ipykernel, it
confines itself and then becomes the real kernel:

- limits: CPU time, file size, open files and core dumps by `setrlimit`;
  resident memory and process count by a cgroup (v1 `memory` and `pids`, or
  v2) where one can be made, else by the grader's watchdog (`Watchdog`);
- where the grader runs as root: a private mount namespace in which the
  course's sources (`solutions/`, `tests/`, `.git`), the results folder and
  `/tmp` are replaced by empty size-limited tmpfs mounts, a private network
  namespace with no interface up (kernel and grader talk over Unix sockets),
  and an unprivileged user id of its own, so other jobs' files are unreadable.

Where a step cannot be had (not root, no namespaces) the kernel runs with what
remains, and the grader says so once (`describe()`).
"""
from __future__ import annotations

import ctypes
import dataclasses
import json
import os
import pathlib
import resource
import shutil
import sys
import threading
import time

UID_BASE = 61000
UID_SPAN = 4000
CLONE_NEWNS = 0x00020000
CLONE_NEWNET = 0x40000000
MS_REC, MS_PRIVATE, MS_NOSUID, MS_NODEV, MS_BIND = 16384, 1 << 18, 2, 4, 4096


@dataclasses.dataclass
class Limits:
    wall_seconds: float = 300.0
    cpu_seconds: int = 600
    memory_bytes: int = 4 * 1024**3
    processes: int = 256
    file_bytes: int = 256 * 1024**2
    tmp_bytes: int = 512 * 1024**2
    open_files: int = 1024
    threads: int = 0  # CPU threads a kernel's TensorFlow and BLAS may use (0: their default)
    # resident memory of the grader's own nbgrader process for one notebook: it holds every output
    # the kernel prints, so a submission that prints gigabytes is stopped here, not by the machine
    grader_bytes: int = 2 * 1024**3


_libc = None


def _c():
    global _libc
    if _libc is None:
        _libc = ctypes.CDLL(None, use_errno=True)
    return _libc


def _probe_namespaces() -> bool:
    """Can this process make mount and network namespaces? (tried in a child, so nothing changes here)"""
    if os.geteuid() != 0 or not sys.platform.startswith("linux"):
        return False
    pid = os.fork()
    if pid == 0:
        ok = _c().unshare(CLONE_NEWNS | CLONE_NEWNET) == 0 and \
            _c().mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None) == 0
        os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status) == 0


def _cgroup_roots() -> dict[str, pathlib.Path]:
    roots = {}
    for ctrl in ("memory", "pids"):
        p = pathlib.Path("/sys/fs/cgroup") / ctrl
        if p.is_dir() and os.access(p, os.W_OK):
            roots[ctrl] = p
    return roots


_CAPS = None


def capabilities() -> dict:
    """What isolation this machine offers the grader (probed once)."""
    global _CAPS
    if _CAPS is None:
        if os.environ.get("AEKIT_SANDBOX") == "off":  # for debugging the grader only
            _CAPS = {"root": os.geteuid() == 0, "namespaces": False, "cgroups": [], "off": True}
        else:
            _CAPS = {"root": os.geteuid() == 0, "namespaces": _probe_namespaces(), "cgroups": sorted(_cgroup_roots())}
    return _CAPS


def describe() -> str:
    caps = capabilities()
    parts = ["rlimits (CPU, file size, open files)"]
    parts.append("cgroup memory and process limits" if {"memory", "pids"} <= set(caps["cgroups"])
                 else "memory and process watchdog")
    if caps["namespaces"]:
        parts.append("own user id, private mounts hiding sources and results, no network")
        return "sandbox: " + ", ".join(parts)
    why = "not root" if not caps["root"] else "namespaces unavailable"
    return "sandbox: " + ", ".join(parts) + f"; REDUCED isolation ({why}): no private user, mounts or network"


def socket_base() -> pathlib.Path:
    """The folder holding every job's socket folder and the zygote's socket (made if missing).

    It must let the kernels' own user ids pass through (mode 0755): each job's
    socket folder inside it is 0700 and owned by that job's user, and the
    zygote's socket is 0600, so passing through reveals nothing.
    """
    base = pathlib.Path("/run" if os.access("/run", os.W_OK) else "/tmp") / "aekit"
    base.mkdir(parents=True, exist_ok=True)
    if base.stat().st_mode & 0o777 != 0o755 and base.stat().st_uid == os.geteuid():
        os.chmod(base, 0o755)
    return base


def remove_stale(base: pathlib.Path | None = None) -> None:
    """Remove socket folders left by graders that were killed (their process id is gone)."""
    import psutil

    base = base or socket_base()
    for entry in base.iterdir():
        parts = entry.name.split("-")
        if len(parts) >= 2 and parts[1].isdigit() and not psutil.pid_exists(int(parts[1])):
            if entry.is_dir():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)


class Job:
    """Grader-side handle of one sandboxed kernel: its spec, sockets, cgroups and clean-up."""

    _counter = 0
    _lock = threading.Lock()

    def __init__(self, job_dir: pathlib.Path, limits: Limits, hide: list[pathlib.Path],
                 zygote: str | None = None):
        with Job._lock:
            Job._counter += 1
            n = Job._counter
        self.job_dir = pathlib.Path(job_dir)
        self.limits = limits
        caps = capabilities()
        self.isolated = caps["namespaces"]
        self.uid = UID_BASE + (os.getpid() * 64 + n) % UID_SPAN if self.isolated else None
        self.name = f"aekit-{os.getpid()}-{n}"
        self.spec_dir = self.job_dir / "jupyter" / "kernels" / "python3"
        self.sock_dir = socket_base() / self.name
        self.cgroups = {}
        for ctrl, root in ({} if caps.get("off") else _cgroup_roots()).items():
            path = root / self.name
            try:
                path.mkdir()
                if ctrl == "memory":
                    (path / "memory.limit_in_bytes").write_text(str(limits.memory_bytes))
                    swap = path / "memory.memsw.limit_in_bytes"
                    if swap.exists():
                        try:
                            swap.write_text(str(limits.memory_bytes))
                        except OSError:
                            pass
                else:
                    (path / "pids.max").write_text(str(limits.processes))
                self.cgroups[ctrl] = path
            except OSError:
                pass
        self.hide = [str(p) for p in hide]
        self.zygote = zygote
        self._write_spec()

    def _write_spec(self) -> None:
        self.spec_dir.mkdir(parents=True, exist_ok=True)
        self.sock_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        if self.uid is not None:
            os.chown(self.sock_dir, self.uid, self.uid)
        from .paths import REPO

        config = {"limits": dataclasses.asdict(self.limits), "uid": self.uid, "hide": self.hide,
                  "sock_dir": str(self.sock_dir), "repo": str(REPO), "zygote": self.zygote,
                  "cgroups": {k: str(v) for k, v in self.cgroups.items()}, "isolated": self.isolated}
        cfg_path = self.job_dir / "sandbox.json"
        cfg_path.write_text(json.dumps(config))
        spec = {
            "argv": [sys.executable, "-m", "autograder.sandbox", str(cfg_path), "{connection_file}"],
            "display_name": "Python 3 (ipykernel)", "language": "python",
            "metadata": {"debugger": False},
        }
        (self.spec_dir / "kernel.json").write_text(json.dumps(spec))

    def env(self, base: dict[str, str]) -> dict[str, str]:
        env = dict(base)
        if self.limits.threads:
            for name in ("OMP_NUM_THREADS", "TF_NUM_INTRAOP_THREADS", "OPENBLAS_NUM_THREADS"):
                env[name] = str(self.limits.threads)
            env["TF_NUM_INTEROP_THREADS"] = "1"
        env["JUPYTER_PATH"] = os.pathsep.join([str(self.job_dir / "jupyter"), base.get("JUPYTER_PATH", "")])
        return env

    def nbgrader_args(self) -> list[str]:
        # Unix sockets work across the network namespace; they live in a folder only this kernel's user owns
        return ["--KernelManager.transport=ipc", f"--KernelManager.ip={self.sock_dir / 'k'}"]

    def processes(self) -> list[int]:
        pids = set()
        for path in self.cgroups.values():
            try:
                pids |= {int(x) for x in (path / "cgroup.procs").read_text().split()}
            except OSError:
                pass
        if self.uid is not None:
            import psutil

            for p in psutil.process_iter(["uids"]):
                try:
                    if p.info["uids"] and p.info["uids"].real == self.uid:
                        pids.add(p.pid)
                except (psutil.NoSuchProcess, psutil.AccessDenied):
                    pass
        return sorted(pids)

    def memory_exceeded(self) -> bool:
        mem = self.cgroups.get("memory")
        if mem is not None:
            try:
                return int((mem / "memory.failcnt").read_text()) > 0 and \
                    int((mem / "memory.max_usage_in_bytes").read_text()) >= self.limits.memory_bytes * 0.98
            except (OSError, ValueError):
                return False
        return False

    def kill_all(self) -> None:
        import signal

        for _ in range(3):
            pids = self.processes()
            if not pids:
                return
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
            time.sleep(0.2)

    def cleanup(self) -> None:
        self.kill_all()
        for path in self.cgroups.values():
            for _ in range(20):
                try:
                    path.rmdir()
                    break
                except OSError:
                    time.sleep(0.1)
        shutil.rmtree(self.sock_dir, ignore_errors=True)


class Watchdog(threading.Thread):
    """Kill a job's processes when their resident memory or count passes the limits (no cgroup here)."""

    def __init__(self, job: Job, root_pid: int):
        super().__init__(daemon=True)
        self.job, self.root_pid = job, root_pid
        self.stop = threading.Event()
        self.reason = ""

    def run(self) -> None:
        import psutil

        while not self.stop.wait(0.25):
            try:
                root = psutil.Process(self.root_pid)
                procs = root.children(recursive=True)
                root_rss = root.memory_info().rss
            except psutil.NoSuchProcess:
                return
            if root_rss > self.job.limits.grader_bytes:
                self.reason = (f"printed more output than the grader holds "
                               f"({self.job.limits.grader_bytes / 1024**3:.1f} GB)")
                self.job.kill_all()
                for p in [*procs, root]:  # nbgrader too: it would write those gigabytes to disk
                    try:
                        p.kill()
                    except psutil.NoSuchProcess:
                        pass
                return
            kernels = [p for p in procs if _is_kernel(p)]
            for pid in self.job.processes():  # forked kernels are not the launcher's children
                try:
                    kernels.append(psutil.Process(pid))
                except psutil.NoSuchProcess:
                    pass
            tree = set()
            for k in kernels:
                try:
                    tree |= {k, *k.children(recursive=True)}
                except psutil.NoSuchProcess:
                    pass
            rss = 0
            for p in tree:
                try:
                    rss += p.memory_info().rss
                except psutil.NoSuchProcess:
                    pass
            limits = self.job.limits
            if rss > limits.memory_bytes or len(tree) > limits.processes or self.job.memory_exceeded():
                self.reason = (f"used more than {limits.memory_bytes / 1024**3:.1f} GB of memory"
                               if rss > limits.memory_bytes or self.job.memory_exceeded()
                               else f"started more than {limits.processes} processes")
                for p in tree:
                    try:
                        p.kill()
                    except psutil.NoSuchProcess:
                        pass
                self.job.kill_all()
                return


def _is_kernel(p) -> bool:
    try:
        return "autograder.sandbox" in " ".join(p.cmdline()) or "ipykernel" in " ".join(p.cmdline())
    except Exception:
        return False


# ---- the kernel side: runs in place of ipykernel, then becomes it -------------------------------


def _mount_tmpfs(target: str, size: int, mode: str = "0755") -> None:
    if not os.path.isdir(target):
        return
    opts = f"size={size},mode={mode}".encode()
    if _c().mount(b"tmpfs", target.encode(), b"tmpfs", MS_NOSUID | MS_NODEV, opts) != 0:
        raise OSError(ctypes.get_errno(), f"cannot mount tmpfs on {target}")


def _blocking_ancestor(path: str) -> str | None:
    """The highest folder above `path` that other users cannot pass through, if any."""
    parts = pathlib.PurePath(path).parts
    for i in range(2, len(parts) + 1):
        folder = os.path.join(*parts[:i])
        if not os.stat(folder).st_mode & 0o001:
            return folder
    return None


def _expose(path: str, stage: str) -> None:
    """Make `path` reachable for an unprivileged user when a folder above it is closed (e.g. /root)."""
    blocker = _blocking_ancestor(path)
    if blocker is None:
        return
    os.makedirs(stage, exist_ok=True)
    if _c().mount(path.encode(), stage.encode(), None, MS_BIND | MS_REC, None) != 0:
        raise OSError(ctypes.get_errno(), f"cannot bind {path}")
    _mount_tmpfs(blocker, 1024 * 1024, "0755")
    os.makedirs(path, exist_ok=True)
    if _c().mount(stage.encode(), path.encode(), None, MS_BIND | MS_REC, None) != 0:
        raise OSError(ctypes.get_errno(), f"cannot bind {path}")


def _is_within(path: str, folder: str) -> bool:
    path, folder = os.path.realpath(path), os.path.realpath(folder)
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def _bind(source: str, target: str) -> None:
    if _c().mount(source.encode(), target.encode(), None, MS_BIND | MS_REC, None) != 0:
        raise OSError(ctypes.get_errno(), f"cannot bind {source} on {target}")


_ENV_KEEP = ("PATH", "LANG", "LC_ALL", "TF_CPP_MIN_LOG_LEVEL", "PYTHONHASHSEED", "MPLBACKEND",
             "NBGRADER_EXECUTION", "NBGRADER_VALIDATING", "OMP_NUM_THREADS", "AEKIT_DATA_DIR",
             "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS", "OPENBLAS_NUM_THREADS", "PYTHONPATH")


def _enter(config: dict, connection_file: str, cwd: str | None = None,
           env_in: dict | None = None) -> tuple[str, dict]:
    """Confine this process as `config` says; return the kernel's connection file and environment."""
    limits = Limits(**config["limits"])
    if cwd is not None:
        os.chdir(cwd)
    for path in config.get("cgroups", {}).values():
        try:
            with open(os.path.join(path, "cgroup.procs"), "w") as f:
                f.write(str(os.getpid()))
        except OSError:
            pass
    with open(connection_file, encoding="utf-8") as f:
        connection = f.read()
    cwd = os.getcwd()
    uid = config.get("uid")
    if config.get("isolated"):
        if _c().unshare(CLONE_NEWNS | CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), "unshare failed")
        if _c().mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None) != 0:
            raise OSError(ctypes.get_errno(), "cannot make mounts private")
        for target in config.get("hide", []):
            _mount_tmpfs(target, 1024 * 1024, "0755")
        # the interpreter may live under a folder closed to other users (pyenv in /root)
        stage_root = os.path.join(config["sock_dir"], "stage")
        for i, needed in enumerate(dict.fromkeys([sys.base_prefix, sys.prefix, config["repo"]])):
            _expose(needed, os.path.join(stage_root, str(i)))
        keep = list(dict.fromkeys([sys.base_prefix, sys.prefix, config["repo"]]))
        for n, target in enumerate(("/tmp", "/var/tmp", "/dev/shm")):
            # a course checked out under /tmp must stay visible through the fresh, empty /tmp
            inside = [p for p in keep if os.path.isdir(target) and _is_within(p, target)]
            staged = []
            for j, path in enumerate(inside):
                stage = os.path.join(stage_root, f"keep{n}-{j}")
                os.makedirs(stage, exist_ok=True)
                _bind(path, stage)
                staged.append((path, stage))
            _mount_tmpfs(target, limits.tmp_bytes, "1777")
            for path, stage in staged:
                os.makedirs(path, exist_ok=True)
                _bind(stage, path)
        # the kernel's working folder: empty, size-limited, its own
        os.makedirs(cwd, exist_ok=True)
        _mount_tmpfs(cwd, limits.tmp_bytes, "0700")
        os.chown(cwd, uid, uid)
    conn_path = os.path.join(cwd, ".kernel-connection.json")
    with open(conn_path, "w", encoding="utf-8") as f:
        f.write(connection)
    if uid is not None:
        os.chown(conn_path, uid, uid)
    for name, value in ((resource.RLIMIT_CPU, limits.cpu_seconds), (resource.RLIMIT_FSIZE, limits.file_bytes),
                        (resource.RLIMIT_NOFILE, limits.open_files), (resource.RLIMIT_CORE, 0),
                        (resource.RLIMIT_NPROC, limits.processes)):
        try:
            resource.setrlimit(name, (value, value))
        except (ValueError, OSError):
            pass
    env = {k: v for k, v in (os.environ if env_in is None else env_in).items() if k in _ENV_KEEP}
    env.update(HOME=cwd, MPLCONFIGDIR="/tmp/matplotlib", KERAS_HOME="/tmp/keras",
               JUPYTER_RUNTIME_DIR="/tmp/jupyter-runtime", IPYTHONDIR="/tmp/ipython")
    if uid is not None:
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)
    return conn_path, env


def main(argv: list[str]) -> None:
    config_path, connection_file, *extra = argv
    with open(config_path, encoding="utf-8") as f:
        config = json.load(f)
    if config.get("zygote") and os.path.exists(config["zygote"]):
        from .zygote import launch_via_zygote

        code = launch_via_zygote(config["zygote"], config_path, connection_file, extra)
        if code is not None:
            sys.exit(code)
    conn_path, env = _enter(config, connection_file)
    os.execve(sys.executable, [sys.executable, "-m", "ipykernel_launcher", "-f", conn_path, *extra], env)


if __name__ == "__main__":
    main(sys.argv[1:])
