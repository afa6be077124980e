"""Start each notebook's grading run, confined, and take everything it started down with it.

`Launcher` owns the zygote (zygote.py): each grading run (`pipeline.main`) is
forked from it in the job's cgroups, with a wall-time limit on top of the
run's own deadline. When the run ends, however it ends, `JobSandbox.cleanup`
freezes and empties the job's cgroups, so no process of the job survives it.
"""
from __future__ import annotations

import dataclasses
import json
import os
import pathlib
import shutil
import subprocess
import sys
import threading
import time

from . import jobspace, sandbox, zygote
from .pipeline import MAX_NOTEBOOK_BYTES
from .results import NotebookResult, not_graded

MARGIN_SECONDS = 60.0  # kernel start and clean-up on top of a notebook's own time limit


class Launcher:
    """Runs grading jobs; starts the zygote on first use (off with AEKIT_ZYGOTE=off, for debugging)."""

    def __init__(self, limits: sandbox.Limits, use_zygote: bool | None = None):
        self.limits = limits
        self.use_zygote = os.environ.get("AEKIT_ZYGOTE", "on") != "off" if use_zygote is None else use_zygote
        self.zygote: zygote.Zygote | None = None
        self.ready = False
        self._lock = threading.Lock()

    def _zygote_socket(self) -> str | None:
        if not self.use_zygote:
            return None
        with self._lock:
            if self.zygote is None:
                self.warm()
            if not self.ready:
                self.ready = self.zygote.wait_ready()
                if not self.ready:
                    self.use_zygote = False
                    return None
            return str(self.zygote.sock_path)

    def warm(self) -> None:
        """Start the zygote now, without waiting for its imports (they overlap the run's other preparations).

        Call it from the thread that runs the whole grading run: the zygote ends with the thread that started it.
        """
        if self.use_zygote and self.zygote is None:
            self.zygote = zygote.Zygote(sandbox.socket_base() / f"aekit-{os.getpid()}-zygote-{id(self)}.sock")
            self.zygote.spawn()
            import atexit

            atexit.register(self.zygote.stop)

    def close(self) -> None:
        if self.zygote is not None:
            self.zygote.stop()
            self.zygote, self.ready = None, False

    def run(self, *, assignment: str, source: pathlib.Path, submission: pathlib.Path, job_dir: pathlib.Path,
            tests: list, timeout: float, call_seconds: float) -> NotebookResult:
        """Grade one notebook in the fresh folder `job_dir`, which then holds `autograded.ipynb` (the caller
        removes it); never raises for a bad submission."""
        start = time.monotonic()
        if job_dir.exists():
            shutil.rmtree(job_dir)
        sock = self._zygote_socket()
        limits = dataclasses.replace(self.limits, wall_seconds=timeout,
                                     cpu_seconds=int(max(self.limits.cpu_seconds, 2 * timeout)))
        box = None
        try:  # a full disk (ENOSPC) or a folder it cannot make costs this notebook, never the class's run
            job_dir.mkdir(parents=True, mode=0o700)
            # graded from a copy of its own, root's (0700): no kernel reads the class folder through the run's paths
            submission = jobspace.private_copy(submission, job_dir, MAX_NOTEBOOK_BYTES)
            box = sandbox.JobSandbox(job_dir, limits, zygote=sock)
            result_path, autograded = job_dir / "result.json", job_dir / "autograded.ipynb"
            request = {"assignment": assignment, "source": str(source), "submission": str(submission),
                       "timeout": timeout, "call_seconds": call_seconds, "result": str(result_path),
                       "autograded": str(autograded), "cwd": str(job_dir),
                       # what the run builds (models rebuilt from a submission) counts against the job's memory and
                       # CPU
                       "cgroups": {k: str(v) for k, v in box.cgroups.runner.items()},
                       "kernel_env": box.kernel_env(zygote.safe_env(NBGRADER_EXECUTION="autograde"))}
            request_path = job_dir / "request.json"
            request_path.write_text(json.dumps(request), encoding="utf-8")
        except OSError as exc:
            if box is not None:
                box.cleanup()
            result = not_graded(assignment, "crashed", tests, f"the grader could not prepare this notebook's job "
                                f"({exc.strerror or exc}): grade it again once the disk has room")
            result.seconds = time.monotonic() - start
            return result
        env = zygote.safe_env(NBGRADER_EXECUTION="autograde", JUPYTER_PATH=str(job_dir / "jupyter"))
        try:
            code = self._run_runner(sock, str(request_path), str(job_dir), env, timeout + MARGIN_SECONDS)
        finally:
            survived = not box.cleanup()  # the job's memory report is read before its cgroups go
        out_of_memory = box.cgroups.memory_report().out_of_memory
        too_much = f"the notebook used more than {limits.memory_bytes / 2**30:.1f} GB of memory"
        try:
            result = NotebookResult.from_json(json.loads(result_path.read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError, KeyError):
            if code is None:
                status, detail = "timeout", f"the notebook did not finish within {timeout:g} s"
            elif out_of_memory:
                status, detail = "crashed", too_much
            else:
                status, detail = "crashed", "the grading run stopped before it could report (memory or a crash)"
            result = not_graded(assignment, status, tests, detail)
        else:
            if result.status == "crashed" and out_of_memory:  # the kernel died of it, the run reported
                result.detail = f"{result.detail}: {too_much}" if result.detail else too_much
        if survived:  # cannot happen with a freezer cgroup; say so rather than hide it
            result.notes.append("a process of this job survived its clean-up")
        result.seconds = time.monotonic() - start
        return result

    def _run_runner(self, sock: str | None, request: str, cwd: str, env: dict, seconds: float) -> int | None:
        started = zygote.start_runner(sock, request, cwd, env) if sock else None
        if started is not None:
            pid, conn = started
            try:
                code = zygote.wait_exit(conn, seconds)
            finally:
                conn.close()
            if code is None:
                sandbox.kill_tree(pid)
            return code
        proc = subprocess.Popen([sys.executable, "-m", "autograder.pipeline", request, str(os.getpid())],
                                cwd=cwd, env=env,
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)
        try:
            return proc.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            sandbox.kill_tree(proc.pid)
            return None

