"""Autograde one submitted notebook with nbgrader, in a job folder of its own.

`GradingCourse` prepares, once per run, an nbgrader course whose source step
is a copy of `solutions/` and a template gradebook that knows every assignment.
`GradingCourse.grade` then autogrades one notebook in a fresh job folder
(its own copy of the gradebook, its own kernel), under a wall-time limit, and
returns a `NotebookResult` read back from that gradebook and the autograded
notebook. Jobs share nothing writable, so any number can run at once.
"""
from __future__ import annotations

import dataclasses
import json
import os
import pathlib
import re
import shutil
import signal
import subprocess
import sys
import time

from .paths import REPO, SOLUTIONS, UsageError, source_notebook

STATUSES = ("graded", "timeout", "crashed", "invalid", "missing")
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
MESSAGE_LIMIT = 600


@dataclasses.dataclass
class TestResult:
    test_id: str
    score: float
    max_score: float
    message: str
    hidden: bool

    @property
    def passed(self) -> bool:
        return self.score >= self.max_score


@dataclasses.dataclass
class NotebookResult:
    assignment: str
    status: str
    score: float
    max_score: float
    tests: list[TestResult]
    detail: str = ""
    seconds: float = 0.0

    def failed(self) -> list[str]:
        return [t.test_id for t in self.tests if not t.passed]

    def to_json(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> "NotebookResult":
        data = dict(data)
        data["tests"] = [TestResult(**t) for t in data["tests"]]
        return cls(**data)


def test_cells(assignment: str) -> list[dict]:
    """The graded test cells of an assignment's source: id, points, hidden or not."""
    nb = json.loads(source_notebook(assignment).read_text(encoding="utf-8"))
    cells = []
    for cell in nb["cells"]:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("grade") and cell["cell_type"] == "code":
            src = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            cells.append({"test_id": meta["grade_id"], "points": float(meta.get("points", 0)),
                          "hidden": "### BEGIN HIDDEN TESTS" in src})
    return cells


def max_score(assignment: str) -> float:
    return sum(c["points"] for c in test_cells(assignment))


def check_notebook_file(path: pathlib.Path) -> str | None:
    """Why a submitted file cannot be graded as a notebook, or None when it can."""
    import nbformat

    try:
        size = path.stat().st_size
    except OSError as exc:
        return f"unreadable file: {exc.strerror}"
    if size == 0:
        return "empty file"
    if size > 50 * 1024 * 1024:
        return f"file is {size // (1024 * 1024)} MB, more than the 50 MB a notebook may be"
    try:
        nb = nbformat.read(str(path), as_version=4)
    except Exception as exc:  # not JSON, not a notebook, bad encoding
        return f"not a readable notebook ({type(exc).__name__}: {str(exc).splitlines()[0][:120] if str(exc) else ''})"
    if not isinstance(nb.get("cells"), list):
        return "notebook has no cells"
    lang = nb.get("metadata", {}).get("kernelspec", {}).get("language") or \
        nb.get("metadata", {}).get("language_info", {}).get("name")
    if lang and str(lang).lower() != "python":
        return f"notebook is written in {lang}, not Python"
    return None


def _missing_tests(path: pathlib.Path, tests: list[dict]) -> str | None:
    """Why nbgrader cannot grade a notebook whose test cells were deleted, or None."""
    nb = json.loads(path.read_text(encoding="utf-8", errors="replace"))
    present = {c.get("metadata", {}).get("nbgrader", {}).get("grade_id") for c in nb.get("cells", [])
               if isinstance(c, dict)}
    missing = [t["test_id"] for t in tests if t["test_id"] not in present]
    if missing:
        return (f"test cell{'s' if len(missing) > 1 else ''} {', '.join(missing)} deleted: "
                f"restore {'them' if len(missing) > 1 else 'it'} from the released notebook")
    return None


class GradingCourse:
    """An nbgrader course folder for one grading run (see the module docstring)."""

    def __init__(self, root: pathlib.Path, assignments: list[str], hide: list[pathlib.Path] = (),
                 limits: "sandbox.Limits | None" = None):
        from . import sandbox

        self.root = pathlib.Path(root).resolve()
        # what a student's kernel must not see: the sources, the tests, the results
        self.hide = [p for p in dict.fromkeys([SOLUTIONS, REPO / "tests", REPO / ".git", self.root,
                                               *map(pathlib.Path, hide)]) if p.exists() or p == self.root]
        self.limits = limits or sandbox.Limits()
        self.zygote = None
        self.use_zygote = os.environ.get("AEKIT_ZYGOTE", "on") != "off"
        self.assignments = list(assignments)
        self.source = self.root / "source"
        self.template_db = self.root / "gradebook-template.db"
        self._prepared = False

    def _sources_key(self) -> str:
        import hashlib

        h = hashlib.sha256()
        for a in self.assignments:
            for p in sorted((SOLUTIONS / a).rglob("*")):
                if p.is_file() and "__pycache__" not in p.parts and ".ipynb_checkpoints" not in p.parts:
                    h.update(str(p.relative_to(SOLUTIONS)).encode())
                    h.update(p.read_bytes())
        return h.hexdigest()

    def prepare(self) -> None:
        """Copy the sources and build the template gradebook (reused while the sources are unchanged)."""
        if self._prepared:
            return
        if not SOLUTIONS.is_dir():
            raise UsageError(f"no solutions/ folder at {SOLUTIONS}: the grader needs the instructor's sources")
        self.root.mkdir(parents=True, exist_ok=True)
        from .sandbox import remove_stale

        remove_stale()
        key_file = self.root / "template.key"
        key = self._sources_key()
        if self.template_db.exists() and key_file.exists() and key_file.read_text() == key:
            self._prepared = True
            return
        if self.source.exists():
            shutil.rmtree(self.source)
        for a in self.assignments:
            shutil.copytree(SOLUTIONS / a, self.source / a,
                            ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
        if self.template_db.exists():
            self.template_db.unlink()
        # the first call creates the gradebook; the others add to it one at a time (SQLite)
        build = self.root / "template-build"
        build.mkdir(exist_ok=True)
        for a in self.assignments:
            proc = subprocess.run(
                [sys.executable, "-m", "nbgrader", "generate_assignment", a, "--force",
                 "--log-level=WARN", *self._course_args(build, self.template_db)],
                cwd=self.root, capture_output=True, text=True, env=_base_env())
            if proc.returncode != 0:
                tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
                raise UsageError(f"nbgrader could not prepare {a}: {tail[0]}")
        shutil.rmtree(build, ignore_errors=True)
        key_file.write_text(key)
        self._prepared = True

    def _zygote_socket(self) -> str | None:
        """Start the kernel zygote on first use (see zygote.py); None where it cannot run."""
        import threading

        from .zygote import Zygote

        if not self.use_zygote:
            return None
        lock = self.__dict__.setdefault("_zlock", threading.Lock())
        with lock:
            if self.zygote is None:
                from .sandbox import socket_base

                zygote = Zygote(socket_base() / f"zygote-{os.getpid()}-{id(self)}.sock")
                if zygote.start():
                    import atexit

                    atexit.register(zygote.stop)
                    self.zygote = zygote
                else:
                    self.use_zygote = False
                    return None
            return str(self.zygote.sock_path)

    def close(self) -> None:
        """Stop the kernel zygote, if one runs."""
        if self.zygote is not None:
            self.zygote.stop()
            self.zygote = None

    def register_assignments(self, db_url: str) -> None:
        """Record every assignment's notebooks and test cells in the gradebook at `db_url`."""
        build = self.root / "register-build"
        build.mkdir(exist_ok=True)
        for a in self.assignments:
            args = self._course_args(build, self.template_db)
            args[3] = f"--CourseDirectory.db_url={db_url}"
            subprocess.run([sys.executable, "-m", "nbgrader", "generate_assignment", a, "--force",
                            "--log-level=WARN", *args], cwd=self.root, capture_output=True, env=_base_env(),
                           check=True)
        shutil.rmtree(build, ignore_errors=True)

    def _course_args(self, job: pathlib.Path, db: pathlib.Path) -> list[str]:
        return [
            f"--CourseDirectory.root={job}",
            f"--CourseDirectory.source_directory={self.source}",
            f"--CourseDirectory.release_directory={job / 'release'}",
            f"--CourseDirectory.db_url=sqlite:///{db}",
            "--CourseDirectory.course_id=autoencoders",
        ]

    def grade(self, submission: pathlib.Path, assignment: str, job: pathlib.Path, *,
              student_id: str = "student", timeout: float = 300.0,
              feedback: bool = False) -> NotebookResult:
        """Autograde one notebook in the fresh job folder `job`; never raises for bad submissions."""
        self.prepare()
        start = time.monotonic()
        tests = test_cells(assignment)
        total = sum(t["points"] for t in tests)
        problem = check_notebook_file(pathlib.Path(submission)) or _missing_tests(pathlib.Path(submission), tests)
        if problem:
            return NotebookResult(assignment, "invalid", 0.0, total, _zero(tests, problem), problem,
                                  time.monotonic() - start)
        if job.exists():
            shutil.rmtree(job)
        target = job / "submitted" / student_id / assignment / f"{assignment}.ipynb"
        target.parent.mkdir(parents=True)
        shutil.copyfile(submission, target)
        db = job / "gradebook.db"
        shutil.copyfile(self.template_db, db)
        from . import sandbox

        limits = dataclasses.replace(self.limits, wall_seconds=timeout,
                                     cpu_seconds=int(max(self.limits.cpu_seconds, 2 * timeout)))
        box = sandbox.Job(job, limits, [*self.hide, job.parent.resolve()], zygote=self._zygote_socket())
        cmd = [sys.executable, "-m", "nbgrader", "autograde", assignment,
               f"--student={student_id}", "--force", "--log-level=INFO",
               *self._course_args(job, db), *box.nbgrader_args(),
               f"--Execute.timeout={int(timeout)}",
               "--Execute.interrupt_on_timeout=True"]
        try:
            status, detail = _run_limited(cmd, job, timeout, box)
        finally:
            box.cleanup()
        autograded = job / "autograded" / student_id / assignment / f"{assignment}.ipynb"
        if status == "graded" and not autograded.is_file():
            status, detail = "crashed", detail or "nbgrader produced no autograded notebook"
        if status != "graded":
            return NotebookResult(assignment, status, 0.0, total, _zero(tests, detail), detail,
                                  time.monotonic() - start)
        results = _read_results(db, assignment, student_id, autograded, tests)
        left = timeout - (time.monotonic() - start)
        _apply_trusted(results, self._trusted_verdicts(target, assignment, job, max(left, 30.0)))
        score = sum(t.score for t in results)
        if _timed_out_cells(autograded):
            # nbgrader interrupted a cell and went on: keep what the other cells earned
            status, detail = "timeout", f"a cell ran longer than {timeout:g} s and was interrupted"
        if feedback:
            _feedback(cmd_base=[sys.executable, "-m", "nbgrader"], job=job,
                      args=self._course_args(job, db), assignment=assignment, student_id=student_id)
        return NotebookResult(assignment, status, score, total, results, detail, time.monotonic() - start)


    def _trusted_verdicts(self, submitted: pathlib.Path, assignment: str, job: pathlib.Path,
                          seconds: float) -> dict[str, list]:
        """Re-run the marked test cells outside the student's kernel (see trusted.py)."""
        from . import sandbox, trusted

        source = self.source / assignment / f"{assignment}.ipynb"
        if not trusted.marked_cells(json.loads(source.read_text(encoding="utf-8"))):
            return {}
        work = job / "recheck"
        work.mkdir(parents=True, exist_ok=True)
        limits = dataclasses.replace(self.limits, wall_seconds=seconds,
                                     cpu_seconds=int(max(self.limits.cpu_seconds, 2 * seconds)))
        box = sandbox.Job(work, limits, [*self.hide, job.parent.resolve()], zygote=self._zygote_socket())
        kernel_env = box.env(_base_env())
        kernel_env.update(NBGRADER_EXECUTION="autograde", AEKIT_KERNEL_IP=str(box.sock_dir / "k"))
        spec = {"source": str(source), "submitted": str(submitted), "cwd": str(work / "cwd"),
                "deadline_seconds": seconds, "kernel_env": kernel_env,
                # the re-check rebuilds the models a submission returns: it shares the job's memory limit
                "memory_cgroup": str(box.cgroups["memory"]) if "memory" in box.cgroups else None}
        (work / "cwd").mkdir(exist_ok=True)
        job_path, out_path = work / "trusted-job.json", work / "verdicts.json"
        job_path.write_text(json.dumps(spec), encoding="utf-8")
        env = dict(_base_env(), JUPYTER_PATH=kernel_env["JUPYTER_PATH"], NBGRADER_EXECUTION="autograde")
        try:
            code = None
            if self.zygote is not None:
                from .zygote import run_trusted_via_zygote

                code = run_trusted_via_zygote(str(self.zygote.sock_path), str(job_path), str(out_path),
                                              env, seconds + 30)
            if code is None:
                try:
                    subprocess.run([sys.executable, "-m", "autograder.trusted", str(job_path), str(out_path)],
                                   env=env, cwd=work, capture_output=True, timeout=seconds + 60)
                except subprocess.TimeoutExpired:
                    pass
        finally:
            box.cleanup()
        try:
            return json.loads(out_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            cells = trusted.marked_cells(json.loads(source.read_text(encoding="utf-8")))
            return {g: [False, "the trusted re-check did not finish in time"] for g in cells}


def _apply_trusted(results: list[TestResult], verdicts: dict[str, list]) -> None:
    """A marked test cell keeps its points only when the trusted re-check passed it too."""
    for t in results:
        verdict = verdicts.get(t.test_id)
        if verdict is not None and not verdict[0] and t.score > 0:
            t.score = 0.0
            t.message = f"{verdict[1]} (re-checked outside your kernel)"[:MESSAGE_LIMIT]


def _zero(tests: list[dict], message: str) -> list[TestResult]:
    return [TestResult(t["test_id"], 0.0, t["points"], message, t["hidden"]) for t in tests]


def _base_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NBGRADER_", "JPY_"))}
    env["TF_CPP_MIN_LOG_LEVEL"] = "2"
    env["PYTHONHASHSEED"] = "0"
    env["MPLBACKEND"] = "Agg"
    # nbgrader runs `alembic` and kernels by name: find this environment's first
    env["PATH"] = os.pathsep.join([os.path.dirname(sys.executable), env.get("PATH", "")])
    return env


def _kill_tree(proc: subprocess.Popen) -> None:
    import psutil

    try:
        parent = psutil.Process(proc.pid)
        procs = parent.children(recursive=True) + [parent]
    except psutil.NoSuchProcess:
        procs = []
    for p in procs:
        try:
            p.kill()
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(procs, timeout=5)


def _kill_pid_tree(pid: int) -> None:
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


def _run_limited(cmd: list[str], job: pathlib.Path, timeout: float, box) -> tuple[str, str]:
    """Run nbgrader for one job; classify the outcome as graded, timeout or crashed.

    With a zygote, the nbgrader process is forked from it (nbgrader already
    imported: about 2 s of CPU saved per notebook); otherwise it is exec'd.
    """
    from .sandbox import Watchdog

    log_path = job / "nbgrader.log"
    log_path.write_bytes(b"")
    started = None
    if getattr(box, "zygote", None) and cmd[1:3] == ["-m", "nbgrader"]:
        from .zygote import start_nbgrader_via_zygote

        started = start_nbgrader_via_zygote(box.zygote, cmd[3:], str(job), box.env(_base_env()), str(log_path))
    if started is not None:
        pid, conn = started
        watchdog = Watchdog(box, pid)
        watchdog.start()
        try:
            from .zygote import wait_exit

            returncode = wait_exit(conn, timeout + 30)
        finally:
            watchdog.stop.set()
            conn.close()
        if returncode is None:
            _kill_pid_tree(pid)
            return "timeout", f"the notebook did not finish within {timeout:g} s"
    else:
        with open(log_path, "wb") as log:
            proc = subprocess.Popen(cmd, cwd=job, stdout=log, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, env=box.env(_base_env()), start_new_session=True)
            watchdog = Watchdog(box, proc.pid)
            watchdog.start()
            try:
                # nbgrader's own start-up and the kernel's launch come on top of the student's time
                proc.wait(timeout=timeout + 30)
            except subprocess.TimeoutExpired:
                _kill_tree(proc)
                return "timeout", f"the notebook did not finish within {timeout:g} s"
            finally:
                watchdog.stop.set()
                if proc.poll() is None:
                    _kill_tree(proc)
        returncode = proc.returncode
    log_text = log_path.read_text(errors="replace")
    if watchdog.reason or box.memory_exceeded():
        return "crashed", f"the notebook {watchdog.reason or 'used more memory than allowed'} and was stopped"
    if returncode != 0:
        if "DeadKernelError" in log_text or "Kernel died" in log_text:
            return "crashed", "the kernel died while running the notebook"
        if "UnresponsiveKernelError" in log_text or "became unresponsive" in log_text:
            return "crashed", "the kernel became unresponsive"
        lines = [ln for ln in log_text.splitlines() if "[ERROR]" in ln]
        return "crashed", (lines[0].split("]", 1)[-1].strip()[:200] if lines
                           else f"nbgrader exited with status {returncode}")
    return "graded", ""


def _timed_out_cells(autograded: pathlib.Path) -> bool:
    nb = json.loads(autograded.read_text(encoding="utf-8"))
    return any(out.get("output_type") == "error" and out.get("ename") == "CellTimeoutError"
               for cell in nb["cells"] if cell["cell_type"] == "code" for out in cell.get("outputs", []))


def _cell_messages(autograded: pathlib.Path) -> dict[str, str]:
    nb = json.loads(autograded.read_text(encoding="utf-8"))
    messages = {}
    for cell in nb["cells"]:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if not grade_id or cell["cell_type"] != "code":
            continue
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                ename, evalue = out.get("ename", "Error"), out.get("evalue", "")
                if ename == "NotImplementedError" and not evalue:
                    evalue = "this exercise is not done yet"
                text = f"{ename}: {evalue}" if evalue else ename
                messages[grade_id] = _ANSI.sub("", text).strip()[:MESSAGE_LIMIT]
                break
    return messages


def _read_results(db: pathlib.Path, assignment: str, student_id: str,
                  autograded: pathlib.Path, tests: list[dict]) -> list[TestResult]:
    from nbgrader.api import Gradebook

    import warnings

    messages = _cell_messages(autograded)
    scores = {}
    with warnings.catch_warnings(), Gradebook(f"sqlite:///{db}") as gb:
        nb = gb.find_submission_notebook(assignment, assignment, student_id)
        for grade in nb.grades:
            scores[grade.name] = float(grade.score or 0.0)
    results = []
    for t in tests:
        score = scores.get(t["test_id"], 0.0)
        message = "" if score >= t["points"] else messages.get(t["test_id"], "failed")
        results.append(TestResult(t["test_id"], score, t["points"], message, t["hidden"]))
    return results


def _feedback(cmd_base, job, args, assignment, student_id) -> None:
    subprocess.run([*cmd_base, "generate_feedback", assignment, f"--student={student_id}",
                    "--force", "--log-level=WARN", *args], cwd=job, capture_output=True,
                   env=_base_env())
