"""A zygote: TensorFlow imported once, each kernel and each grading run forked from it.

Importing TensorFlow costs about 8 s of CPU on the course machine. The zygote
is a trusted process, started once per grading run from a minimal environment
(`SAFE_ENV`: nothing of the grader's own environment beyond an allow-list, so
no secret is in its memory or any child's), that imports the heavy libraries
and never runs student code. It forks two kinds of children:

- a kernel (`messages.KernelStart`): the child confines itself (`confine.enter`)
  and becomes ipykernel in-process. The launcher that jupyter_client started
  (`python -m autograder.confine`) stands in for it: it forwards interrupts
  and exits with the kernel's status;
- a grading run (`messages.RunnerStart`): `pipeline.main` for one notebook, in
  the job's cgroups.

Requests and replies cross its socket as `zygotelink` says.

Each child starts from the same clean state, so nothing passes between students. The
imported objects are frozen (`gc.freeze`) before the first fork: the children's garbage
collections skip them.
"""

from __future__ import annotations

import gc
import json
import logging
import os
import pathlib
import select
import signal
import socket
import subprocess
import sys
import time

from . import jobspace, zygotelink
from .lifeline import die_with_parent, ready_line, start_module
from .messages import (
    Exited,
    KernelStart,
    RunnerStart,
    SandboxConfig,
    Started,
    zygote_request_from_json,
)

log = logging.getLogger(__name__)

PRELOAD = (
    "numpy",
    "tensorflow",
    "keras",
    "matplotlib",
    "matplotlib.pyplot",
    "ipykernel.kernelapp",
    "ipywidgets",
    "PIL.Image",
    "jupyter_client",
    "aekit.checks",
    "aekit.data",
    "autograder.calls",
    "autograder.pipeline",
)
SAFE_ENV = (
    "PATH",
    "LANG",
    "LC_ALL",
    "PYTHONPATH",
    "AEKIT_REPO",
    "AEKIT_GRADE_SEED",
    "OPENBLAS_CORETYPE",
    "OPENBLAS_L2_SIZE",
    jobspace.BASE_ENV,
    "AEKIT_SANDBOX_NAMESPACES",
)


def safe_env(**extra: str) -> dict[str, str]:
    """The grader's environment cut to an allow-list, plus `extra` (what
    every zygote child starts from)."""
    env = {k: v for k, v in os.environ.items() if k in SAFE_ENV}
    # HOME and TMPDIR root's own (0700), never /tmp: a kernel without namespaces can write /tmp, and
    # what root's processes read from their home (matplotlibrc, keras.json, a user site-packages) or
    # put in a temporary file (jupyter_client's connection files, the kernels' keys) is theirs alone
    home = jobspace.private_home()
    env.update(
        TF_CPP_MIN_LOG_LEVEL="2",
        PYTHONHASHSEED="0",
        MPLBACKEND="Agg",
        HOME=str(home),
        TMPDIR=str(jobspace.private_tmp()),
        PYTHONNOUSERSITE="1",
    )
    env["PATH"] = os.pathsep.join(
        [os.path.dirname(sys.executable), env.get("PATH", "/usr/bin:/bin")]
    )
    env.update(extra)
    return env


class Zygote:
    """Grader side: start and stop the zygote process."""

    def __init__(self, sock_path: pathlib.Path):
        self.sock_path = pathlib.Path(sock_path)
        self.proc = None

    def spawn(self) -> None:
        """Start the process (call from a thread that lives as long as the
        run: the zygote dies with it)."""
        self.sock_path.parent.mkdir(parents=True, exist_ok=True, mode=0o755)
        self.proc = start_module(
            "autograder.zygote", str(self.sock_path), env=safe_env(), stdout=subprocess.PIPE
        )

    def wait_ready(self, timeout: float = 300) -> bool:
        """Wait for the zygote's imports; False (and the process stopped)
        when it does not come up."""
        if ready_line(self.proc, timeout) != "ready":
            self.stop()
            return False
        return True

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        try:
            self.sock_path.unlink()
        except OSError as exc:  # never made, or already removed
            log.debug("cannot remove the zygote's socket %s: %s", self.sock_path, exc)


def serve(sock_path: str, parent: int) -> None:
    """The zygote's loop: fork a child per request, report each one's exit.
    `parent`: the grader's pid."""
    import importlib

    children: dict[int, socket.socket | None] = {}  # None: its requester is gone
    me = os.getpid()  # each child's parent, which it checks once it has asked to die with it

    def stop(*_):
        # the grader is gone or done: take every child (kernels, grading runs) along, at once, and
        # reap them (a child not yet reaped may still hold its job's cgroup); what a killed grader's
        # jobs left in their cgroups and folders is the undertaker's to remove
        for pid in list(children):
            _kill_child(pid)
        _reap(list(children), seconds=10.0)
        os._exit(0)

    # die with the grader, even if it is killed with SIGKILL: SIGTERM (sent when the thread that
    # started us ends) runs `stop`, which takes the children along
    signal.signal(signal.SIGTERM, stop)
    die_with_parent(parent, signal.SIGTERM)
    for name in PRELOAD:
        try:
            importlib.import_module(name)
        except Exception:  # (any import error: a child imports what is missing itself)
            log.debug("the zygote could not preload %s", name, exc_info=True)
    try:  # make Keras load its layers now rather than in every child
        import tensorflow as tf

        tf.keras.layers.Dense  # noqa: B018  (the attribute's lookup is what loads the layers)
    except (ImportError, AttributeError):
        log.debug("the zygote could not preload Keras's layers", exc_info=True)
    # every object imported so far goes into the collector's permanent generation: a child's
    # collections then never walk the million objects of TensorFlow and Keras, nor write to (and so
    # copy) the pages that hold them. About a sixth less CPU per notebook of 03 and 05
    gc.collect()
    gc.freeze()
    if os.path.exists(sock_path):
        os.unlink(sock_path)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(sock_path)
    os.chmod(sock_path, 0o600)
    listener.listen(64)
    print("ready", flush=True)
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):  # nobody reads the zygote's output once it is ready
        os.dup2(devnull, fd)
    while True:
        if os.getppid() != parent:
            stop()
        readable = select.select([listener, *filter(None, children.values())], [], [], 0.1)[0]
        for pid, conn in list(children.items()):
            if conn is not None and conn in readable and not _still_wanted(conn):
                # whoever asked for this child is gone (a kernel's stand-in killed by a
                # restart or a shut-down, a runner's launcher): the child and
                # everything it started go too, now, not at the job's end
                _kill_child(pid)
                conn.close()
                children[pid] = None
        if listener in readable:
            conn, _ = listener.accept()
            try:
                request = zygote_request_from_json(json.loads(zygotelink.read_line(conn)))
            except (OSError, ValueError, RecursionError) as exc:  # MessageError is a ValueError
                log.debug("the zygote refused a request: %s", exc)
                conn.close()
                continue
            pid = os.fork()
            if pid == 0:
                listener.close()
                for c in filter(None, children.values()):
                    c.close()
                conn.close()
                _child(request, me)
                os._exit(0)
            children[pid] = conn
            try:
                zygotelink.send(conn, Started(pid))
            except OSError:  # the requester is already gone
                _kill_child(pid)
                conn.close()
                children[pid] = None
        while children:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
            conn = children.pop(pid, None)
            if conn is not None:
                try:
                    zygotelink.send(conn, Exited(os.waitstatus_to_exitcode(status)))
                except OSError as exc:  # the requester is gone: nobody to tell
                    log.debug("cannot report the exit of %d: %s", pid, exc)
                conn.close()


def _still_wanted(conn: socket.socket) -> bool:
    """False when the requester closed its end (it sends nothing after its request)."""
    try:
        return conn.recv(1, socket.MSG_DONTWAIT) != b""
    except BlockingIOError:
        return True
    except OSError:
        return False


def _kill_child(pid: int) -> None:
    """SIGKILL a child and its session: a kernel's PID-namespace init dies with it
    (PR_SET_PDEATHSIG), and with that init every process of the namespace."""
    for kill in (os.killpg, os.kill):
        try:
            kill(pid, signal.SIGKILL)
        except OSError as exc:  # already gone (or no group of its own yet)
            log.debug("%s(%d): %s", kill.__name__, pid, exc)


def _reap(pids: list[int], seconds: float) -> None:
    """Wait for killed children to end (at most `seconds`), so none stays a
    zombie in its job's cgroup."""
    end = time.monotonic() + seconds
    left = set(pids)
    while left and time.monotonic() < end:
        for pid in list(left):
            try:
                if os.waitpid(pid, os.WNOHANG)[0] != 0:
                    left.discard(pid)
            except ChildProcessError:
                left.discard(pid)
        if left:
            time.sleep(0.05)


def _child(request: KernelStart | RunnerStart, zygote: int) -> None:
    """In the forked child: a grading run, or a kernel (confined before it
    runs anything of the student's)."""
    os.setsid()
    die_with_parent(zygote)  # the zygote is gone (its grader was killed): so is this run or kernel
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGCHLD):
        signal.signal(sig, signal.SIG_DFL)
    if isinstance(request, RunnerStart):
        os.environ.clear()
        os.environ.update(request.env)
        os.chdir(request.cwd)
        from .pipeline import main

        try:
            code = main([request.request])
        except BaseException:  # (whatever ends the run, the child ends here, never in the loop)
            log.debug("the grading run raised", exc_info=True)
            code = 1
        os._exit(code)
    from . import confine

    try:
        config = SandboxConfig.read(request.config)
        conn_path, env = confine.enter(config, request.connection_file, request.env)
    except Exception as exc:  # noqa: BLE001  (confinement failed: never run the student's code unconfined)
        sys.stderr.write(f"sandbox: {exc}\n")
        os._exit(70)
    confine.become_kernel(conn_path, env, request.extra)


def start_runner(
    sock_path: str, request_path: str, cwd: str, env: dict
) -> tuple[int, socket.socket] | None:
    """Fork `pipeline.main(request_path)` from the zygote: (pid, connection reporting its exit, see
    `zygotelink.wait_exit`), or None."""
    return zygotelink.ask(sock_path, RunnerStart(request=request_path, cwd=cwd, env=dict(env)))


if __name__ == "__main__":
    serve(sys.argv[1], int(sys.argv[2]))
