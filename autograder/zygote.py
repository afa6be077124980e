"""A kernel zygote: TensorFlow imported once, each student's kernel forked from it.

Importing TensorFlow costs about 8 s of CPU on the course machine, before any
student code runs, in every notebook graded. The zygote is a trusted process
started once per grading run that imports the heavy libraries and never runs
student code. For each notebook, the kernel launcher (`autograder.sandbox`,
started by jupyter_client) asks the zygote for a kernel; the zygote forks a
child that confines itself exactly as an exec'd kernel would (cgroups,
namespaces, rlimits, its own user id) and then starts ipykernel in-process. The
launcher stays as the process jupyter_client watches: it forwards interrupts
and exits with the kernel's status. Each child starts from the same clean
state, so nothing passes between students.
"""
from __future__ import annotations

import json
import os
import pathlib
import select
import signal
import socket
import subprocess
import sys
import time

PRELOAD = ("numpy", "tensorflow", "keras", "matplotlib", "ipykernel.kernelapp", "ipywidgets", "PIL.Image",
           "aekit.checks", "aekit.data",
           # the grader's own `nbgrader autograde` processes are forked from here too (our code only)
           "nbgrader.apps.nbgraderapp", "nbgrader.apps.autogradeapp", "nbgrader.converters.autograde")


class Zygote:
    """Grader side: start and stop the zygote process."""

    def __init__(self, sock_path: pathlib.Path):
        self.sock_path = pathlib.Path(sock_path)
        self.proc = None

    def start(self, timeout: float = 120) -> bool:
        self.sock_path.parent.mkdir(parents=True, exist_ok=True, mode=0o755)
        env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
        self.proc = subprocess.Popen([sys.executable, "-m", "autograder.zygote", str(self.sock_path)],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, env=env, start_new_session=True, text=True)
        ready = select.select([self.proc.stdout], [], [], timeout)[0]
        line = self.proc.stdout.readline() if ready else ""
        if line.strip() != "ready":
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
        except OSError:
            pass


def _recv_line(conn: socket.socket) -> bytes:
    buf = b""
    while not buf.endswith(b"\n"):
        chunk = conn.recv(65536)
        if not chunk:
            break
        buf += chunk
    return buf


def serve(sock_path: str) -> None:
    """The zygote's loop: fork a confined kernel per request, report each one's exit."""
    import ctypes
    import importlib

    parent = os.getppid()
    try:  # die with the grader, even if it is killed with SIGKILL
        ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass

    for name in PRELOAD:
        try:
            importlib.import_module(name)
        except Exception:
            pass
    try:  # make Keras load its layers now rather than in every child
        import tensorflow as tf

        tf.keras.layers.Dense  # noqa: B018
    except Exception:
        pass
    if os.path.exists(sock_path):
        os.unlink(sock_path)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(sock_path)
    os.chmod(sock_path, 0o600)
    listener.listen(64)
    children: dict[int, socket.socket] = {}

    def stop(*_):
        # the grader is gone or done: take every child (kernels, nbgrader runs, re-checks) along, at once
        for pid in list(children):
            try:
                os.killpg(pid, signal.SIGKILL)
            except OSError:
                pass
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)
    print("ready", flush=True)
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):  # nobody reads the zygote's output once it is ready
        os.dup2(devnull, fd)
    while True:
        if os.getppid() != parent:
            stop()
        readable = select.select([listener], [], [], 0.1)[0]
        if readable:
            conn, _ = listener.accept()
            try:
                request = json.loads(_recv_line(conn))
            except ValueError:
                conn.close()
                continue
            pid = os.fork()
            if pid == 0:
                listener.close()
                for c in children.values():
                    c.close()
                conn.close()
                if "trusted" in request:
                    _trusted_child(request)
                if "nbgrader" in request:
                    _nbgrader_child(request)
                _child(request)
                os._exit(0)
            children[pid] = conn
            conn.sendall(json.dumps({"pid": pid}).encode() + b"\n")
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
                    conn.sendall(json.dumps({"exit": os.waitstatus_to_exitcode(status)}).encode() + b"\n")
                except OSError:
                    pass
                conn.close()


def _child(request: dict) -> None:
    """In the forked child: confine, then become the kernel."""
    os.setsid()
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGCHLD):
        signal.signal(sig, signal.SIG_DFL)
    from . import sandbox

    with open(request["config"], encoding="utf-8") as f:
        config = json.load(f)
    try:
        conn_path, env = sandbox._enter(config, request["connection_file"], cwd=request["cwd"],
                                        env_in=request["env"])
    except Exception as exc:  # confinement failed: never run the student's code unconfined
        sys.stderr.write(f"sandbox: {exc}\n")
        os._exit(70)
    os.environ.clear()
    os.environ.update(env)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    from ipykernel.kernelapp import IPKernelApp

    app = IPKernelApp.instance()
    app.initialize(["-f", conn_path, *request["extra"]])
    app.start()


def _trusted_child(request: dict) -> None:
    """In the forked child: run the trusted re-check (our code only; it never runs student code)."""
    os.setsid()
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGCHLD):
        signal.signal(sig, signal.SIG_DFL)
    os.environ.clear()
    os.environ.update(request["env"])
    from .trusted import main

    try:
        code = main(request["trusted"])
    except BaseException:
        code = 1
    os._exit(code)


def _nbgrader_child(request: dict) -> None:
    """In the forked child: run `nbgrader ARGS` (the grader's side: it starts a sandboxed kernel for
    the student's code, exactly as the `python -m nbgrader` it replaces), with nbgrader already imported."""
    import ctypes

    zygote = os.getppid()
    os.setsid()
    try:  # die with the zygote, which dies with the grader
        ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() != zygote:
        os._exit(1)
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGCHLD):
        signal.signal(sig, signal.SIG_DFL)
    os.environ.clear()
    os.environ.update(request["env"])
    os.chdir(request["cwd"])
    fd = os.open(request["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    sys.stdout = open(1, "w", buffering=1, closefd=False)
    sys.stderr = open(2, "w", buffering=1, closefd=False)
    sys.argv = ["nbgrader", *request["nbgrader"]]
    code = 0
    try:
        from nbgrader.apps.nbgraderapp import main

        main()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:
        import traceback

        traceback.print_exc()
        code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def start_nbgrader_via_zygote(sock_path: str, args: list[str], cwd: str, env: dict, log: str):
    """Fork `nbgrader ARGS` from the zygote: (pid, connection that reports its exit), or None."""
    try:
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        conn.connect(sock_path)
        conn.sendall(json.dumps({"nbgrader": args, "cwd": cwd, "env": env, "log": log}).encode() + b"\n")
        return int(json.loads(_recv_line(conn))["pid"]), conn
    except (OSError, ValueError, KeyError):
        return None


def wait_exit(conn: socket.socket, timeout: float) -> int | None:
    """The exit code the zygote reports for a child; None when `timeout` passes first."""
    conn.settimeout(timeout)
    try:
        line = _recv_line(conn)
    except (socket.timeout, TimeoutError):
        return None
    except OSError:
        return 1
    try:
        return int(json.loads(line)["exit"]) if line else 1
    except (ValueError, KeyError):
        return 1


def run_trusted_via_zygote(sock_path: str, job_path: str, out_path: str, env: dict,
                           timeout: float) -> int | None:
    """Run `autograder.trusted` in a child of the zygote; its exit code, or None if the zygote is gone."""
    try:
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        conn.connect(sock_path)
        conn.sendall(json.dumps({"trusted": [job_path, out_path], "env": env}).encode() + b"\n")
        child = int(json.loads(_recv_line(conn))["pid"])
    except (OSError, ValueError, KeyError):
        return None
    conn.settimeout(timeout)
    try:
        line = _recv_line(conn)
        return int(json.loads(line)["exit"]) if line else 1
    except (OSError, ValueError, KeyError):  # timed out: stop it
        try:
            os.killpg(child, signal.SIGKILL)
        except OSError:
            pass
        return 1
    finally:
        conn.close()


def launch_via_zygote(sock_path: str, config_path: str, connection_file: str, extra: list[str]) -> int | None:
    """In the launcher: get a kernel from the zygote and stand in for it; None if the zygote is gone."""
    try:
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        conn.connect(sock_path)
        conn.sendall(json.dumps({"config": config_path, "connection_file": connection_file, "extra": extra,
                                 "cwd": os.getcwd(), "env": dict(os.environ)}).encode() + b"\n")
        reply = json.loads(_recv_line(conn))
    except (OSError, ValueError):
        return None
    child = int(reply["pid"])

    def forward(signum, _frame):
        try:
            os.kill(child, signum)
        except OSError:
            pass
        if signum == signal.SIGTERM:
            time.sleep(0.5)
            try:
                os.kill(child, signal.SIGKILL)
            except OSError:
                pass

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT, signal.SIGHUP):
        signal.signal(sig, forward)
    while True:
        try:
            line = _recv_line(conn)
            break
        except InterruptedError:
            continue
    try:
        return int(json.loads(line)["exit"]) if line else 1
    except (ValueError, KeyError):
        return 1


if __name__ == "__main__":
    serve(sys.argv[1])
