"""`python -m autograder grade`: grade a class in parallel, with feedback and a gradebook.

Every finished notebook is saved at once as `OUT/.state/<student>/<notebook>.json`
(written to a temporary file, then renamed), keyed by a hash of the submission
and of the source notebook. The CSV files, feedback pages and gradebook are
rebuilt from those records, so a rerun regrades only what changed, never
duplicates a row, and a run killed at any moment loses no finished result.
"""
from __future__ import annotations

import concurrent.futures
import csv
import dataclasses
import hashlib
import io
import json
import os
import pathlib
import shutil
import sys
import threading
import time

from . import collect as collect_mod
from . import feedback, sandbox
from .nbgrade import GradingCourse, NotebookResult, TestResult, test_cells
from .paths import REPO, UsageError, source_notebook

GRADER_VERSION = "2"  # 2: every test cell re-checked outside the kernel
GRADE_COLUMNS = ["student_id", "notebook", "score", "max_score", "status", "detail", "seconds"]
MAX_HASHED_BYTES = 64 * 1024 * 1024
TEST_COLUMNS = ["student_id", "notebook", "test_id", "score", "max_score", "hidden", "message"]


@dataclasses.dataclass
class Job:
    student_id: str
    assignment: str
    path: pathlib.Path | None
    key: str


def _digest(path: pathlib.Path | None, assignment: str) -> str:
    h = hashlib.sha256(GRADER_VERSION.encode())
    h.update(source_notebook(assignment).read_bytes())
    if path is None:
        h.update(b"<missing>")
    else:
        # a file over the notebook size limit is invalid whatever it holds: hash its size and head only
        h.update(str(path.stat().st_size).encode())
        left = MAX_HASHED_BYTES
        with open(path, "rb") as f:
            while left > 0 and (chunk := f.read(min(1 << 20, left))):
                h.update(chunk)
                left -= len(chunk)
    return h.hexdigest()


def _write_atomic(path: pathlib.Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    with open(tmp, "w", encoding="utf-8", newline="") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


class Progress:
    """A one-line progress bar on a terminal, one line per notebook elsewhere."""

    def __init__(self, total: int, stream=sys.stderr):
        self.total, self.done, self.failures = total, 0, 0
        self.stream, self.start = stream, time.monotonic()
        self.tty = hasattr(stream, "isatty") and stream.isatty()
        self.lock = threading.Lock()

    def update(self, student_id: str, result: NotebookResult, reused: bool = False) -> None:
        with self.lock:
            self.done += 1
            self.failures += result.status != "graded"
            elapsed = time.monotonic() - self.start
            left = elapsed / self.done * (self.total - self.done) if self.done else 0
            bar_len = 24
            filled = int(bar_len * self.done / max(self.total, 1))
            line = (f"[{'#' * filled}{'.' * (bar_len - filled)}] {self.done}/{self.total} notebooks, "
                    f"{self.failures} not graded, ~{_fmt(left)} left")
            if self.tty:
                self.stream.write("\r" + line + ("\n" if self.done == self.total else ""))
            else:
                what = "unchanged" if reused else f"{result.status} {result.score:g}/{result.max_score:g}"
                self.stream.write(f"{line} | {student_id} {result.assignment}: {what}\n")
            self.stream.flush()


def _fmt(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"


def grade(submissions: pathlib.Path, out: pathlib.Path, *, assignments: list[str], workers: int,
          timeout: float, force: bool = False, db_url: str | None = None,
          lms_regex: str | None = None, memory_gb: float = 4.0, stream=sys.stderr) -> dict:
    """Grade every student's notebooks; return a summary (counts by status)."""
    out = pathlib.Path(out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    state = out / ".state"
    work = out / ".work"
    found = collect_mod.collect(pathlib.Path(submissions), work / "unpacked", lms_regex)
    for why in found.skipped:
        stream.write(f"skipped {why}\n")
    jobs = []
    for sid in found.students:
        for a in assignments:
            path = found.files.get((sid, a))
            jobs.append(Job(sid, a, path, _digest(path, a)))
    todo, reused = [], []
    for job in jobs:
        record = _load_record(state, job)
        if record is not None and record.get("key") == job.key and not force:
            reused.append(job)
        else:
            todo.append(job)
    progress = Progress(len(jobs), stream)
    for job in reused:
        progress.update(job.student_id, _result_of(_load_record(state, job)), reused=True)
    # share the cores between the kernels running at once instead of letting each take them all
    limits = sandbox.Limits(threads=max(1, (os.cpu_count() or 1) // max(1, workers)),
                            memory_bytes=int(memory_gb * 1024**3))
    stream.write(sandbox.describe() + "\n")
    course = GradingCourse(work / "course", assignments, hide=[out, pathlib.Path(submissions).resolve()],
                           limits=limits)
    if any(j.path is not None for j in todo):
        course.prepare()

    def run(job: Job) -> None:
        if job.path is None:
            tests = test_cells(job.assignment)
            result = NotebookResult(job.assignment, "missing", 0.0, sum(t["points"] for t in tests),
                                    [TestResult(t["test_id"], 0.0, t["points"], "not submitted", t["hidden"])
                                     for t in tests], "no notebook submitted")
        else:
            job_dir = work / "jobs" / f"{job.student_id}--{job.assignment}"
            result = course.grade(job.path, job.assignment, job_dir, student_id=job.student_id,
                                  timeout=timeout)
            shutil.rmtree(job_dir, ignore_errors=True)
        record = {"key": job.key, "student_id": job.student_id, "result": result.to_json()}
        _write_atomic(state / job.student_id / f"{job.assignment}.json", json.dumps(record, indent=1))
        _write_atomic(out / "feedback" / job.student_id / f"{job.assignment}.html",
                      feedback.render(job.student_id, result, source_notebook(job.assignment)))
        progress.update(job.student_id, result)

    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        futures = [pool.submit(run, j) for j in todo]
        for fut in concurrent.futures.as_completed(futures):
            fut.result()
    records = [_load_record(state, j) for j in jobs]
    _write_tables(out, records)
    _write_gradebook(db_url or f"sqlite:///{out / 'gradebook.db'}", course, assignments, records)
    counts: dict[str, int] = {}
    for r in records:
        counts[r["result"]["status"]] = counts.get(r["result"]["status"], 0) + 1
    return {"students": len(found.students), "notebooks": len(jobs), "regraded": len(todo),
            "reused": len(reused), "statuses": counts, "out": str(out)}


def _load_record(state: pathlib.Path, job: Job) -> dict | None:
    path = state / job.student_id / f"{job.assignment}.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _result_of(record: dict) -> NotebookResult:
    return NotebookResult.from_json(record["result"])


def _write_tables(out: pathlib.Path, records: list[dict]) -> None:
    grades, tests = io.StringIO(), io.StringIO()
    gw, tw = csv.writer(grades), csv.writer(tests)
    gw.writerow(GRADE_COLUMNS)
    tw.writerow(TEST_COLUMNS)
    for rec in sorted(records, key=lambda r: (r["student_id"], r["result"]["assignment"])):
        r = _result_of(rec)
        gw.writerow([rec["student_id"], r.assignment, f"{r.score:g}", f"{r.max_score:g}", r.status,
                     r.detail, f"{r.seconds:.1f}"])
        for t in r.tests:
            tw.writerow([rec["student_id"], r.assignment, t.test_id, f"{t.score:g}", f"{t.max_score:g}",
                         "yes" if t.hidden else "no", t.message])
    _write_atomic(out / "grades.csv", grades.getvalue())
    _write_atomic(out / "tests.csv", tests.getvalue())


def _write_gradebook(db_url: str, course: GradingCourse, assignments: list[str], records: list[dict]) -> None:
    """Put every result into nbgrader's gradebook (one writer: this process)."""
    from nbgrader.api import Gradebook, MissingEntry

    if db_url.startswith("sqlite:///"):
        db_path = pathlib.Path(db_url[len("sqlite:///"):])
        if not db_path.exists():
            course.prepare()
            shutil.copyfile(course.template_db, db_path)
    else:
        course.prepare()
        course.register_assignments(db_url)
    import warnings

    warnings.filterwarnings("ignore", module="nbgrader")  # SQLAlchemy 2.1 notes on nbgrader's own queries
    with Gradebook(db_url, "autoencoders") as gb:
        for rec in records:
            r = _result_of(rec)
            sid = rec["student_id"]
            gb.update_or_create_student(sid)
            try:
                gb.find_assignment(r.assignment)
            except MissingEntry:
                course.register_assignments(db_url)
            gb.update_or_create_submission(r.assignment, sid)
            for t in r.tests:
                grade = gb.find_grade(t.test_id, r.assignment, r.assignment, sid)
                grade.auto_score = t.score
                grade.needs_manual_grade = False
            gb.db.commit()


def summary_lines(summary: dict) -> list[str]:
    statuses = ", ".join(f"{n} {s}" for s, n in sorted(summary["statuses"].items()))
    return [f"graded {summary['notebooks']} notebooks of {summary['students']} students "
            f"({summary['regraded']} graded now, {summary['reused']} unchanged): {statuses}",
            f"results in {summary['out']}: grades.csv, tests.csv, feedback/, gradebook"]
