"""The kernel's side of the sandbox: confine this process, then become the student's kernel.

Runs in the process that will hold student code, before any of it runs (in a
child forked from the zygote, or exec'd by jupyter_client as the kernel spec's
command when there is no zygote). It reads the job's `sandbox.json`, written by
`autograder.sandbox.JobSandbox`, and:

- joins the job's cgroups (memory, processes, CPU quota, freezer);
- where the grader is root with namespaces: new mount, network, IPC and PID
  namespaces; a fresh root (tmpfs) into which only what a kernel needs is
  bound read-only (the system's `/usr`, `/lib`, `/etc`, the Python
  installation, the course's `aekit/`, `autograder/` and `data/`), its own
  socket folder (`ipc/` of the job's folder, read-write), and private `/tmp`,
  `/var/tmp`, `/run/lock`, `/dev/shm` and home, each a tmpfs limited in bytes
  and in files; then `pivot_root` into it, so sources, results, the
  gradebook, other jobs and every world-writable folder of the real disk are
  simply not there. The kernel is PID 1 of its namespace: when it ends, every
  process it started ends with it. It works in its home, chosen after the
  mounts, and runs under a user id of its own with no network;
- where the grader is root without namespaces (uid-only): a user id of its
  own with no supplementary groups, working in a fresh 0700 home made for
  this start in the job's root-owned folder (`jobspace.fresh_home`), its
  caches there too; it sees the real file system, so the grader keeps its
  secrets unreadable to others (see `autograder.sandbox`);
- writes its connection file into its home only once it runs as the
  kernel's user id: root never writes in a folder a kernel can write to;
- sets the rlimits (CPU time, file size, open files, core dumps, processes).

Only the kernel's side runs this module: `python -m autograder.confine` (the
kernel spec's command) and the zygote's child that becomes a kernel (which
imports it after the fork). What both sides share lives in light modules this
one imports: `messages` (the job's `SandboxConfig`, the zygote's requests),
`zygotelink` (the zygote's socket), `lifeline` (dying with the parent) and
`jobspace` (the kernel's home and files). The grader never imports it.
"""

from __future__ import annotations

import ctypes
import logging
import os
import platform
import resource
import select
import signal
import sys
import time

from . import jobspace, zygotelink
from .lifeline import die_with_parent
from .messages import RUNNER_PID_ENV, KernelStart, Limits, MessageError, SandboxConfig

log = logging.getLogger(__name__)

CLONE_NEWNS, CLONE_NEWNET, CLONE_NEWIPC, CLONE_NEWPID = (
    0x00020000,
    0x40000000,
    0x08000000,
    0x20000000,
)
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = (
    1,
    2,
    4,
    8,
    32,
    4096,
    16384,
    1 << 18,
)
MNT_DETACH = 2
SYS_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41}
HOME = "/home/student"
SYSTEM = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc", "/sys")
DEVICES = ("/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom")
ENV_KEEP = (
    "PATH",
    "LANG",
    "LC_ALL",
    "TF_CPP_MIN_LOG_LEVEL",
    "PYTHONHASHSEED",
    "MPLBACKEND",
    "NBGRADER_EXECUTION",
    "NBGRADER_VALIDATING",
    "OMP_NUM_THREADS",
    "TF_NUM_INTRAOP_THREADS",
    "TF_NUM_INTEROP_THREADS",
    "OPENBLAS_NUM_THREADS",
    "PYTHONPATH",
    "AEKIT_GRADE_SEED",
)
# a kernel's stand-in told to end (SIGTERM) kills the kernel this long after
STANDIN_KILL_SECONDS = 0.5


def _check(ok: bool, what: str) -> None:
    if not ok:
        raise OSError(ctypes.get_errno(), what)


def _mount(
    source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None
) -> None:
    _check(
        jobspace.libc().mount(
            source.encode() if source else None,
            target.encode(),
            fstype.encode() if fstype else None,
            flags,
            data.encode() if data else None,
        )
        == 0,
        f"cannot mount {target}",
    )


def _tmpfs(target: str, size: int, mode: str = "0755", inodes: int = 16384) -> None:
    os.makedirs(target, exist_ok=True)
    _mount(
        "tmpfs",
        target,
        "tmpfs",
        MS_NOSUID | MS_NODEV,
        f"size={size},nr_inodes={inodes},mode={mode}",
    )


def _bind_readonly(source: str, target: str) -> None:
    if os.path.isdir(source):
        os.makedirs(target, exist_ok=True)
    elif os.path.exists(source):
        os.makedirs(os.path.dirname(target), exist_ok=True)
        open(target, "a").close()
    else:
        return
    _mount(source, target, None, MS_BIND | MS_REC)
    # read-only needs a second, remounting call (the kernel ignores MS_RDONLY on the first)
    jobspace.libc().mount(
        None, target.encode(), None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV, None
    )


def visible_paths(config: SandboxConfig) -> list[str]:
    """What the kernel may read, besides the system folders: Python and the
    course's shared code and data."""
    repo = config.repo
    paths = [
        sys.base_prefix,
        sys.prefix,
        *(os.path.join(repo, name) for name in ("aekit", "autograder", "data")),
    ]
    # site-packages outside the prefixes (rare: a user site, a --target install)
    for entry in sys.path:
        if entry.endswith("-packages") and os.path.isdir(entry):
            paths.append(entry)
    out = []
    for p in dict.fromkeys(os.path.realpath(p) for p in paths):
        if os.path.exists(p) and not any(p == q or p.startswith(q.rstrip("/") + "/") for q in out):
            out.append(p)
    return out


def _fresh_root(config: SandboxConfig, limits: Limits) -> None:
    """Build the kernel's root in a tmpfs and pivot into it (see the module docstring)."""
    _check(
        jobspace.libc().mount(None, b"/", None, MS_REC | MS_PRIVATE, None) == 0,
        "cannot make mounts private",
    )
    # the mount point is in the job's folder, root's (0711): no kernel can
    # have put anything in its place
    new = os.path.join(config.sock_dir, "root")
    _tmpfs(new, 16 * 1024 * 1024)
    # each a fresh tmpfs of the kernel's own, in its new root (never the machine's shared folders)
    for target, size, mode in (
        ("/tmp", limits.tmp_bytes, "1777"),  # noqa: S108
        ("/var/tmp", limits.tmp_bytes // 4, "1777"),  # noqa: S108
        ("/run/lock", 1024 * 1024, "1777"),
        ("/dev/shm", limits.tmp_bytes // 4, "1777"),  # noqa: S108
        (HOME, limits.tmp_bytes, "0700"),
    ):
        _tmpfs(new + target, size, mode, limits.tmp_inodes)
    # after the private /tmp and the rest: a course or Python installed
    # under /tmp stays visible through them
    for path in [p for p in SYSTEM if os.path.isdir(p)] + visible_paths(config):
        _bind_readonly(path, new + path)
    for dev in DEVICES:
        if os.path.exists(dev):
            os.makedirs(new + "/dev", exist_ok=True)
            open(new + dev, "a").close()
            _mount(dev, new + dev, None, MS_BIND)
    # an entry of the root-owned job folder: never a kernel's link
    ipc = os.path.join(config.sock_dir, "ipc")
    os.makedirs(new + ipc, exist_ok=True)
    # the kernel's sockets, and nothing else
    _mount(ipc, new + ipc, None, MS_BIND | MS_NOSUID | MS_NODEV)
    os.makedirs(new + "/proc", exist_ok=True)
    if os.path.isdir("/dev/mqueue"):
        os.makedirs(new + "/dev/mqueue", exist_ok=True)
        jobspace.libc().mount(
            b"mqueue",
            (new + "/dev/mqueue").encode(),
            b"mqueue",
            MS_NOSUID | MS_NODEV | MS_NOEXEC,
            None,
        )
    old = new + "/.old"
    os.makedirs(old, exist_ok=True)
    number = SYS_PIVOT_ROOT.get(platform.machine())
    _check(
        number is not None and jobspace.libc().syscall(number, new.encode(), old.encode()) == 0,
        "pivot_root failed",
    )
    os.chdir("/")
    _check(jobspace.libc().umount2(b"/.old", MNT_DETACH) == 0, "cannot detach the old root")
    os.rmdir("/.old")
    jobspace.libc().mount(
        None, b"/", None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV, None
    )


def _join_cgroups(config: SandboxConfig) -> None:
    for path in config.cgroups.values():
        try:
            with open(os.path.join(path, "cgroup.procs"), "w") as f:
                f.write(str(os.getpid()))
        # a controller this machine lacks: the others still hold (JobCgroups.require)
        except OSError as exc:
            log.debug("cannot join the cgroup %s: %s", path, exc)


def _set_limits(limits: Limits) -> None:
    for name, value in (
        (resource.RLIMIT_CPU, limits.cpu_seconds),
        (resource.RLIMIT_FSIZE, limits.file_bytes),
        (resource.RLIMIT_NOFILE, limits.open_files),
        (resource.RLIMIT_CORE, 0),
        (resource.RLIMIT_NPROC, limits.processes),
    ):
        try:
            resource.setrlimit(name, (value, value))
        # above the hard limit this process was given: that one holds
        except (ValueError, OSError) as exc:
            log.debug("cannot set rlimit %d to %d: %s", name, value, exc)


def _init_of_namespace() -> int:
    """Fork: the child is PID 1 of the new PID namespace and returns a pipe's read end, at end of
    file once this process is gone (`enter` checks it); this process waits for it, passes interrupts
    on, and exits with its status (a process that ends when its namespace's PID 1 ends)."""
    alive_r, alive_w = os.pipe()
    child = os.fork()
    if child == 0:
        os.close(alive_w)
        return alive_r
    os.close(alive_r)
    _forward_signals(child)
    while True:
        try:
            _, status = os.waitpid(child, 0)
            break
        except InterruptedError:
            continue
        except ChildProcessError:
            status = 0
            break
    os._exit(os.waitstatus_to_exitcode(status) if status else 0)


def _forward_signals(child: int, kill_after_term: float | None = None) -> None:
    """Pass interrupts and requests to end (SIGINT, SIGTERM, SIGHUP, SIGQUIT) on to `child`; with
    `kill_after_term`, a SIGTERM is followed that many seconds later by SIGKILL."""

    def forward(signum, _frame):
        _send_signal(child, signum)
        if kill_after_term is not None and signum == signal.SIGTERM:
            time.sleep(kill_after_term)
            _send_signal(child, signal.SIGKILL)

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT):
        signal.signal(sig, forward)


def _send_signal(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except OSError as exc:  # it has just ended
        log.debug("cannot send signal %d to %d: %s", sig, pid, exc)


def enter(config: SandboxConfig, connection_file: str, env_in: dict) -> tuple[str, dict]:
    """Confine this process as `config` says; return the kernel's connection file and environment.

    With namespaces this forks once: only the child (PID 1 of the job's PID namespace) returns.
    """
    limits = config.limits
    _join_cgroups(config)
    with open(connection_file, encoding="utf-8") as f:
        connection = f.read()
    uid = config.uid
    alive = None
    if config.isolated:
        _check(
            jobspace.libc().unshare(CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWPID) == 0,
            "unshare failed",
        )
        _fresh_root(config, limits)
        alive = _init_of_namespace()
        _mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
        # a tmpfs this process mounted a moment ago: nothing of a student's in it
        os.chown(HOME, uid, uid)
        home = HOME
    else:  # uid-only (or not root): a new home for every kernel start, in the root-owned job folder
        home = jobspace.fresh_home(config.sock_dir, uid)
    _set_limits(limits)
    env = {k: v for k, v in env_in.items() if k in ENV_KEEP}
    caches = "/tmp" if config.isolated else home  # noqa: S108  (its own tmpfs; uid-only: not the shared /tmp)
    env.update(
        HOME=home,
        MPLCONFIGDIR=f"{caches}/matplotlib",
        KERAS_HOME=f"{caches}/keras",
        JUPYTER_RUNTIME_DIR=f"{caches}/jupyter-runtime",
        IPYTHONDIR=f"{caches}/ipython",
    )
    if uid is not None:
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)
    # only now, as the kernel's own user: root writes nothing in a folder a kernel can write to
    os.chdir(home)  # after the mounts: the working folder is inside the kernel's own root
    conn_path = os.path.join(home, ".kernel-connection.json")
    jobspace.write_new(conn_path, connection)
    die_with_parent()
    # PID 1 sees no parent pid: the pipe says whether the process that forked it still runs
    if alive is not None:
        if select.select([alive], [], [], 0)[0]:
            os._exit(1)
        os.close(alive)
    return conn_path, env


# plain tracebacks: IPython's default (verbose, through stack_data) spends
# about 0.1 s on each error of a student's cell, half a second of a notebook
# whose exercises are not done; the plain one shows the same frames and lines
KERNEL_ARGS = ("--InteractiveShell.xmode=Plain",)


def become_kernel(conn_path: str, env: dict, extra: list[str]) -> None:
    """In a process with ipykernel already imported (the zygote's child):
    start the kernel in-process."""
    os.environ.clear()
    os.environ.update(env)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    from ipykernel.kernelapp import IPKernelApp

    app = IPKernelApp.instance()
    app.initialize(["-f", conn_path, *KERNEL_ARGS, *extra])
    app.start()


def launch_via_zygote(
    sock_path: str, config_path: str, connection_file: str, extra: list[str]
) -> int | None:
    """In the kernel's stand-in: get a kernel from the zygote and stand in
    for it (its exit code); None if the zygote is gone."""
    started = zygotelink.ask(
        sock_path,
        KernelStart(
            config=config_path,
            connection_file=connection_file,
            extra=list(extra),
            env={k: v for k, v in os.environ.items() if k in ENV_KEEP},
        ),
    )
    if started is None:
        return None
    child, conn = started
    _forward_signals(child, kill_after_term=STANDIN_KILL_SECONDS)
    return zygotelink.wait_exit(conn)


def main(argv: list[str]) -> None:
    """`python -m autograder.confine SANDBOX.json CONNECTION_FILE
    [ipykernel args]`: the kernel spec's command."""
    config_path, connection_file, *extra = argv
    runner = os.environ.pop(RUNNER_PID_ENV, "")
    # the runner that started this stand-in is gone: so is the kernel
    die_with_parent(int(runner) if runner.isdigit() else None)
    try:
        config = SandboxConfig.read(config_path)
    except (OSError, MessageError) as exc:  # never run the student's code unconfined
        sys.stderr.write(f"sandbox: cannot read {config_path}: {exc}\n")
        sys.exit(70)
    if config.zygote and os.path.exists(config.zygote):
        code = launch_via_zygote(config.zygote, config_path, connection_file, extra)
        if code is not None:
            sys.exit(code)
    try:
        conn_path, env = enter(config, connection_file, dict(os.environ))
    except Exception as exc:  # noqa: BLE001  (never run the student's code unconfined)
        sys.stderr.write(f"sandbox: {exc}\n")
        sys.exit(70)
    os.execve(  # noqa: S606  (this Python's ipykernel, a fixed argv)
        sys.executable,
        [sys.executable, "-m", "ipykernel_launcher", "-f", conn_path, *KERNEL_ARGS, *extra],
        env,
    )


if __name__ == "__main__":
    main(sys.argv[1:])
