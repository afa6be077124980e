"""Start each notebook's grading run, confined, and take everything it started down with it.

`Launcher` owns the zygote (zygote.py): each grading run (`pipeline.main`) is
forked from it in the job's cgroups, with a wall-time limit on top of the
run's own deadline. When the run ends, however it ends, `JobSandbox.cleanup`
freezes and empties the job's cgroups, so no process of the job survives it.

Without namespaces (uid-only), jobs write to disks they share; the launcher's
`diskwatch.DiskWatch` stops a job that holds more there than its own tmpfs
would have held, or that fills one. Its notebook is recorded `crashed` with
the reason, the verdicts it had earned standing; a notebook that crashed while
another job was being stopped (a kernel that could not start on the full
disk, say) is graded once more.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import pathlib
import shutil
import subprocess
import threading
import time

from . import cgroups, diskwatch, jobspace, sandbox, strays, undertaker, zygote, zygotelink
from .lifeline import start_module
from .messages import GradingRequest
from .pipeline import MAX_NOTEBOOK_BYTES
from .results import NotebookResult, not_graded

log = logging.getLogger(__name__)

MARGIN_SECONDS = 60.0  # kernel start and clean-up on top of a notebook's own time limit
# in a verdict: the job met a full disk (graded again, see `run`)
FULL_DISK_WORDS = "No space left on device"


@dataclasses.dataclass(frozen=True)
class NotebookJob:
    """One notebook to grade: what `Launcher.run` takes.

    `job_dir`: a fresh folder for the job (made by the run, removed by the caller). `tests`: the
    test cells' grade ids (for a verdict when the run cannot report). `timeout`: the notebook's
    wall-time limit. `call_seconds`: the limit of one test call or cell (its default is resolved
    by the caller, `course.call_limit`), carried to the grading run by its
    `messages.GradingRequest`."""

    assignment: str
    source: pathlib.Path
    submission: pathlib.Path
    job_dir: pathlib.Path
    tests: list
    timeout: float
    call_seconds: float


class Launcher:
    """Runs grading jobs; starts the zygote on first use (off with
    AEKIT_ZYGOTE=off, for debugging)."""

    def __init__(self, limits: sandbox.Limits, use_zygote: bool | None = None):
        self.limits = limits
        self.use_zygote = (
            os.environ.get("AEKIT_ZYGOTE", "on") != "off" if use_zygote is None else use_zygote
        )
        self.zygote: zygote.Zygote | None = None
        self.ready = False
        self.undertaker: undertaker.Undertaker | None = None
        # made at the first job on disks it shares (uid-only)
        self.diskwatch: diskwatch.DiskWatch | None = None
        # what a kernel leaves running gets the least of its job's CPU
        self.strays = strays.StrayWatch()
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
        """Start the zygote now, without waiting for its imports (they
        overlap the run's other preparations).

        Call it from the thread that runs the whole grading run: the zygote
        ends with the thread that started it.
        """
        # removes what this run's jobs left, if it is killed
        if self.undertaker is None and os.geteuid() == 0:
            self.undertaker = undertaker.Undertaker(sandbox.socket_base())
            if self.undertaker.start():
                import atexit

                atexit.register(self.undertaker.stop)
            else:
                self.undertaker = None
        if self.use_zygote and self.zygote is None:
            self.zygote = zygote.Zygote(
                sandbox.socket_base() / f"aekit-{os.getpid()}-zygote-{id(self)}.sock"
            )
            self.zygote.spawn()
            import atexit

            atexit.register(self.zygote.stop)

    def close(self) -> None:
        if self.undertaker is not None:
            self.undertaker.stop()
            self.undertaker = None
        if self.zygote is not None:
            self.zygote.stop()
            self.zygote, self.ready = None, False
        if self.diskwatch is not None:
            self.diskwatch.close()
            self.diskwatch = None
        self.strays.close()

    def _disk_watch(self) -> diskwatch.DiskWatch:
        """The watch over the disks jobs share: the machine's shared folders and the socket base."""
        with self._lock:
            if self.diskwatch is None:
                self.diskwatch = diskwatch.DiskWatch(
                    (*jobspace.SHARED_WRITABLE, str(sandbox.socket_base())),
                    diskwatch.Usage(self.limits.tmp_bytes, self.limits.tmp_inodes),
                )
            return self.diskwatch

    def run(self, job: NotebookJob) -> NotebookResult:
        """Grade one notebook in the fresh folder `job.job_dir`, which then holds
        `autograded.ipynb` (the caller removes it); never raises for a bad submission. A notebook
        that met a disk another job filled (crashed, or a verdict saying "No space left on
        device", while the watch stopped that job) is graded once more."""
        start = time.monotonic()
        result, stopped = self._run_once(job)
        met_full_disk = result.status == "crashed" or any(
            FULL_DISK_WORDS in t.message for t in result.tests
        )
        if (
            self.diskwatch is not None
            and not stopped
            and met_full_disk
            and self.diskwatch.stops_between(start, time.monotonic())
        ):
            log.warning(
                "grading %s again: another job filled a disk it shares while it ran", job.submission
            )
            result, _ = self._run_once(job)
            result.notes.append(
                "graded a second time: another job filled a disk it shares while it was graded"
            )
            result.seconds = time.monotonic() - start
        return result

    def _run_once(self, job: NotebookJob) -> tuple[NotebookResult, bool]:
        """`run`, once; and whether the disk watch stopped the job."""
        start = time.monotonic()
        assignment, tests, timeout, job_dir = job.assignment, job.tests, job.timeout, job.job_dir
        if job_dir.exists():
            shutil.rmtree(job_dir)
        sock = self._zygote_socket()
        limits = dataclasses.replace(
            self.limits,
            wall_seconds=timeout,
            cpu_seconds=int(max(self.limits.cpu_seconds, 2 * timeout)),
        )
        box = None
        # a full disk (ENOSPC) or a folder it cannot make costs this notebook, never the class's run
        try:
            job_dir.mkdir(parents=True, mode=0o700)
            # graded from a copy of its own, root's (0700): no kernel reads
            # the class folder through the run's paths
            submission = jobspace.private_copy(job.submission, job_dir, MAX_NOTEBOOK_BYTES)
            box = sandbox.JobSandbox(job_dir, limits, zygote=sock)
            # cgroups the run started with, that this job could not get:
            # the machine failed (exit 75)
            try:
                box.cgroups.require(sandbox.capabilities()["cgroups"])
            except cgroups.JobCgroupsMissing:
                box.cleanup()
                raise
            result_path, autograded = job_dir / "result.json", job_dir / "autograded.ipynb"
            request = GradingRequest(
                assignment=assignment,
                source=str(job.source),
                submission=str(submission),
                timeout=float(timeout),
                call_seconds=float(job.call_seconds),
                result=str(result_path),
                autograded=str(autograded),
                cwd=str(job_dir),
                # what the run builds (models rebuilt from a submission)
                # counts against the job's memory and CPU
                cgroups={k: str(v) for k, v in box.cgroups.runner.items()},
                student_cgroups={k: str(v) for k, v in box.cgroups.student.items()},
                kernel_env=box.kernel_env(zygote.safe_env(NBGRADER_EXECUTION="autograde")),
            )
            request_path = job_dir / "request.json"
            request.write(request_path)
        except OSError as exc:
            if box is not None:
                box.cleanup()
            result = not_graded(
                assignment,
                "crashed",
                tests,
                f"the grader could not prepare this notebook's job "
                f"({exc.strerror or exc}): grade it again once the disk has room",
            )
            result.seconds = time.monotonic() - start
            return result, False
        env = zygote.safe_env(NBGRADER_EXECUTION="autograde", JUPYTER_PATH=str(job_dir / "jupyter"))
        # uid-only: the job writes to disks it shares with the others (see diskwatch.py)
        watch = self._disk_watch() if box.uid is not None and not box.isolated else None
        stop = None
        try:
            if watch is not None:
                watch.watch(box.uid, (str(box.sock_dir),))
            self.strays.watch(str(job_dir), box.cgroups, box.isolated)
            code = self._run_runner(
                sock, str(request_path), str(job_dir), env, timeout + MARGIN_SECONDS
            )
        finally:
            self.strays.unwatch(str(job_dir))
            if watch is not None:
                stop = watch.unwatch(box.uid)
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
                status, detail = (
                    "crashed",
                    "the grading run stopped before it could report (memory or a crash)",
                )
            result = not_graded(assignment, status, tests, detail)
        else:
            # the kernel died of it, the run reported
            if result.status == "crashed" and out_of_memory:
                result.detail = f"{result.detail}: {too_much}" if result.detail else too_much
        # the watch stopped it: `crashed`, whatever the run reported, its earned verdicts kept
        if stop is not None:
            result.status = "crashed"
            earned = any(t.passed for t in result.tests)
            result.detail = f"the notebook {stop.reason}" + (
                "; the verdicts before it stand" if earned else ""
            )
        if survived:  # cannot happen with a freezer cgroup; say so rather than hide it
            result.notes.append("a process of this job survived its clean-up")
        result.seconds = time.monotonic() - start
        return result, stop is not None

    def _run_runner(
        self, sock: str | None, request: str, cwd: str, env: dict, seconds: float
    ) -> int | None:
        started = zygote.start_runner(sock, request, cwd, env) if sock else None
        if started is not None:
            pid, conn = started
            try:
                code = zygotelink.wait_exit(conn, seconds)
            finally:
                conn.close()
            if code is None:
                sandbox.kill_tree(pid)
            return code
        proc = start_module("autograder.pipeline", request, cwd=cwd, env=env)
        try:
            return proc.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            sandbox.kill_tree(proc.pid)
            return None
