"""`python -m autograder grade`: grade a class into a results folder that accumulates over a term.

The results folder is an nbgrader course folder of its own (`nbgrader_config.py`,
`source/`, `autograded/<student>/<notebook>/<notebook>.ipynb`, `gradebook.db`,
`feedback/<student>/<notebook>/<notebook>.html`), so a TA can open it in
nbgrader's formgrader. Each finished notebook is saved at once: its record in
`.state/<student>/<notebook>.json` (written to a temporary file, then renamed),
its scores in the gradebook. `grades.csv`, `tests.csv` and the feedback pages
are rebuilt from all records and the gradebook after every run, so a run
(one student, one notebook, a regrade) replaces exactly the rows it graded,
never drops another, and a TA's manual scores and comments show up. A rerun
regrades a notebook only when the submission, the sources, the limits or the
grader changed, or when it did not finish last time (`crashed`, `timeout`).
"""
from __future__ import annotations

import concurrent.futures
import dataclasses
import hashlib
import json
import os
import pathlib
import shutil
import sys
import threading
import time

from . import collect as collect_mod
from . import csvsafe, feedback, gradebook, sandbox
from .cells import nbgrader_meta
from .course import GradingCourse, environment_key, sources_key, test_cells
from .paths import COURSE_ID, UsageError, call_seconds
from .results import NotebookResult, not_graded

GRADER_VERSION = "3"  # 3: one run per notebook, tests only in the trusted process
GRADE_COLUMNS = ["student_id", "notebook", "score", "max_score", "status", "detail", "seconds", "manual_score",
                 "needs_manual_grade", "late", "submitted_at"]
TEST_COLUMNS = ["student_id", "notebook", "test_id", "score", "max_score", "hidden", "message", "manual"]
MAX_HASHED_BYTES = 64 * 1024 * 1024
FINISHED = ("graded", "invalid", "missing")


@dataclasses.dataclass
class NotebookJob:
    """One student's notebook to grade (or to reuse, when its key is unchanged)."""
    student_id: str
    assignment: str
    path: pathlib.Path | None
    key: str
    late: bool = False
    submitted_at: str | None = None


def _digest(path: pathlib.Path | None, assignment: str, settings: str) -> str:
    """What a verdict depends on: the grader, its limits, the sources, the environment and the submission
    (settings end with `environment_key()`)."""
    h = hashlib.sha256(f"{GRADER_VERSION}|{settings}|{sources_key([assignment])}".encode())
    if path is None:
        h.update(b"<missing>")
    else:  # a file over the notebook size limit is invalid whatever it holds: hash its size and head only
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
            filled = int(24 * self.done / max(self.total, 1))
            line = (f"[{'#' * filled}{'.' * (24 - filled)}] {self.done}/{self.total} notebooks, "
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
          timeout: float, force: bool = False, db_url: str | None = None, lms_regex: str | None = None,
          memory_gb: float = 4.0, calls: float | None = None, unsafe: bool = False, preflight: bool = True,
          roster: pathlib.Path | None = None, stream=sys.stderr) -> dict:
    """Grade every student's notebooks into `out`; return a summary (counts by status)."""
    reason = sandbox.unsafe_reason()
    if reason and not unsafe:
        raise UsageError(f"refusing to grade: {reason}")
    if not reason:
        sandbox.remove_stale()  # what a killed grader left (processes, cgroups, sockets) goes before this run
    out = pathlib.Path(out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    os.chmod(out, 0o700)
    state, work = out / ".state", out / ".work"
    found = collect_mod.collect(pathlib.Path(submissions), work / "unpacked", lms_regex, roster=roster)
    for why in found.skipped:
        stream.write(f"not graded: {why}\n")
    collect_mod.write_report(found, out / "collection_report.csv")
    limits = sandbox.Limits(threads=max(1, (os.cpu_count() or 1) // max(1, workers)),
                            memory_bytes=int(memory_gb * 1024**3),
                            cpu_share=max(1.0, (os.cpu_count() or 1) / max(1, workers)))
    jobs = []
    environment = environment_key()

    def settings(a: str) -> str:  # what, besides the sources and the submission, a verdict depends on
        return f"{timeout}|{memory_gb}|{calls or call_seconds(a)}|{environment}"

    for sid in found.students:
        for a in assignments:
            path = found.files.get((sid, a))
            jobs.append(NotebookJob(sid, a, path, _digest(path, a, settings(a)), bool(found.late.get((sid, a))),
                                    found.submitted_at.get((sid, a))))
    todo, reused = [], []
    for job in jobs:
        record = _load_record(state / job.student_id / f"{job.assignment}.json")
        if record is not None and record.get("key") == job.key and not force \
                and record["result"]["status"] in FINISHED:
            reused.append(job)
        else:
            todo.append(job)
    # the notebooks whose calls may take longest go first: the run then ends on short jobs, not on one long one
    todo.sort(key=lambda j: -call_seconds(j.assignment))  # stable: students keep their order
    stream.write(sandbox.describe() + "\n")
    course = GradingCourse(work / "course", assignments, limits=limits)
    db = db_url or f"sqlite:///{out / 'gradebook.db'}"
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=max(1, workers))
    writer = gradebook.Writer(db)  # opened at the first record, once the pre-flight has registered the course
    try:
        course.course.prepare()
        if todo:
            course.launcher.warm()
        # the pre-flight's notebooks go first into the same pool as the class, whose jobs grade meanwhile but
        # record nothing until the pre-flight has passed (`gate`): its idle tail and the results folder's
        # preparation overlap the grading instead of holding it up
        keys = {a: _digest(None, a, f"preflight|{settings(a)}")
                for a in {j.assignment for j in todo if j.path is not None}} if preflight else {}
        checking = {a: pool.submit(_preflight_one, course, work, a, timeout, calls)
                    for a in sorted(keys, key=lambda a: (-call_seconds(a), a))
                    if _read(state / ".preflight" / a) != keys[a]}
        gate, failed = threading.Event(), threading.Event()
        progress = Progress(len(jobs), stream)
        lock = threading.Lock()

        def run(job: NotebookJob) -> None:
            autograded = out / "autograded" / job.student_id / job.assignment / f"{job.assignment}.ipynb"
            name = hashlib.sha256(f"{job.student_id}/{job.assignment}".encode()).hexdigest()[:24]
            made = work / "made" / f"{name}.ipynb"  # moved into autograded/ only once the run may record
            made.unlink(missing_ok=True)
            if job.path is None:
                result = not_graded(job.assignment, "missing", test_cells(job.assignment), "no notebook submitted")
            else:
                result = course.grade(job.path, job.assignment, work / "jobs" / name, timeout=timeout, calls=calls,
                                      autograded=made)
            gate.wait()
            if failed.is_set():
                made.unlink(missing_ok=True)
                return
            if made.is_file():
                autograded.parent.mkdir(parents=True, exist_ok=True)
                os.replace(made, autograded)
            else:
                autograded.unlink(missing_ok=True)
            record = {"key": job.key, "student_id": job.student_id, "late": job.late,
                      "submitted_at": job.submitted_at, "result": result.to_json()}
            with lock:  # one record at a time: its state file, then its gradebook rows
                _write_atomic(state / job.student_id / f"{job.assignment}.json", json.dumps(record, indent=1))
                writer.record(job.student_id, result, job.submitted_at, found.names.get(job.student_id))
            progress.update(job.student_id, result)

        futures = [pool.submit(run, j) for j in todo]
        try:
            _prepare_results_folder(out, course, db, assignments)
            _preflight_verdict({a: f.result() for a, f in checking.items()})
        except BaseException:
            failed.set()
            raise
        finally:
            gate.set()
        for a in checking:
            _write_atomic(state / ".preflight" / a, keys[a])
        if keys:
            stream.write("pre-flight: " + "; ".join(
                ([f"the reference answers of {', '.join(a[:2] for a in checking)} earn full marks"] if checking
                 else []) + ([f"{len(keys) - len(checking)} unchanged since their last check"]
                             if len(keys) > len(checking) else [])) + "\n")
        for job in reused:
            progress.update(job.student_id, NotebookResult.from_json(
                _load_record(state / job.student_id / f"{job.assignment}.json")["result"]), reused=True)
        for fut in concurrent.futures.as_completed(futures):
            fut.result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        writer.close()
        course.close()
    records = rebuild(out, db)
    counts: dict[str, int] = {}
    for j in jobs:
        status = records[(j.student_id, j.assignment)]["result"]["status"]
        counts[status] = counts.get(status, 0) + 1
    return {"students": len(found.students), "notebooks": len(jobs), "regraded": len(todo),
            "reused": len(reused), "statuses": counts, "out": str(out),
            "graded_any": any(s in ("graded", "invalid", "missing") for s in counts) or not jobs}


def _prepare_results_folder(out: pathlib.Path, course: GradingCourse, db: str, assignments: list[str]) -> None:
    """Make `out` an nbgrader course folder: sources, config, and a gradebook that knows every assignment."""
    for a in assignments:
        target = out / "source" / a
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(course.course.source / a, target)
    (out / "nbgrader_config.py").write_text(
        '"""nbgrader configuration of this results folder (written by `python -m autograder grade`)."""\n'
        "import os\n\nc = get_config()  # noqa: F821\n"
        "c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))\n"
        f"c.CourseDirectory.db_url = {db!r}\n"
        f"c.CourseDirectory.course_id = {COURSE_ID!r}\n", encoding="utf-8")
    course.course.register(db)


def _preflight_one(course: GradingCourse, work: pathlib.Path, assignment: str, timeout: float,
                   calls: float | None) -> NotebookResult:
    """The reference answers of `assignment`, graded as a student's notebook would be."""
    from .selftest import build_submission

    path = work / "preflight" / f"{assignment}.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(build_submission(assignment)), encoding="utf-8")
    return course.grade(path, assignment, work / "preflight" / f"job-{assignment}", timeout=timeout, calls=calls)


def _preflight_verdict(results: dict[str, NotebookResult]) -> None:
    """Stop the run with one line when a notebook's reference answers lose points (a broken environment).
    A pass is remembered in `.state/.preflight/<notebook>` under its key (sources, limits, code, packages):
    a later run into the same results folder on an unchanged environment skips it."""
    for a, result in sorted(results.items()):
        if result.status != "graded" or result.score < result.max_score:
            why = result.detail or next((t.message for t in result.tests if not t.passed), "")
            hint = ("the kernel died: check the environment (`make test`)" if result.status == "crashed"
                    else f"{result.status}: {why}")
            raise UsageError(f"pre-flight: the reference answers of {a} earn {result.score:g}/{result.max_score:g} "
                             f"({hint[:300]}); nothing was graded")


def _read(path: pathlib.Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        return None


def _load_record(path: pathlib.Path) -> dict | None:
    text = _read(path)
    try:
        return json.loads(text) if text is not None else None
    except ValueError:
        return None


def rebuild(out: pathlib.Path, db: str) -> dict:
    """Rewrite grades.csv, tests.csv and the feedback pages from every record and the gradebook."""
    records = {}
    for path in sorted((out / ".state").glob("*/*.json")):
        rec = _load_record(path)
        if rec is not None:
            records[(rec["student_id"], rec["result"]["assignment"])] = rec
    grade_rows, test_rows = [], []
    with gradebook.opened(db) as gb:
        every = gradebook.every_grade(gb)
    order = {a: _cell_order(out, a) for a in {a for _, a in records}}
    for (sid, a), rec in sorted(records.items()):
        result = NotebookResult.from_json(rec["result"])
        grades, comments = every.get((sid, a), ([], {}))
        cells = {c.name: c for c in sorted(grades, key=lambda c: order[a].get(c.name, len(order[a])))}
        score = sum(c.score or 0.0 for c in cells.values()) if cells else result.score
        max_score = sum(c.max_score for c in cells.values()) if cells else result.max_score
        manual = [c for c in cells.values() if c.manual]
        waiting = [c.name for c in cells.values() if c.needs_manual_grade]
        grade_rows.append([sid, a, f"{score:g}", f"{max_score:g}", result.status, result.detail,
                           f"{result.seconds:.1f}", f"{sum(c.score or 0 for c in manual):g}" if manual else "",
                           " ".join(waiting), "yes" if rec.get("late") else "", rec.get("submitted_at") or ""])
        for t in result.tests:
            c = cells.get(t.test_id)
            test_rows.append([sid, a, t.test_id, f"{c.score if c and c.score is not None else t.score:g}",
                              f"{t.max_score:g}", "yes" if t.hidden else "no",
                              t.message + (f" [TA: {c.comment}]" if c and c.comment else ""),
                              "yes" if c and c.manual else ""])
        autograded = out / "autograded" / sid / a / f"{a}.ipynb"
        _write_atomic(out / "feedback" / sid / a / f"{a}.html",
                      feedback.render(sid, result, autograded, list(cells.values()), score, max_score,
                                      comments))
    csvsafe.write_csv(out / "grades.csv", GRADE_COLUMNS, grade_rows)
    csvsafe.write_csv(out / "tests.csv", TEST_COLUMNS, test_rows)
    return records


def _cell_order(out: pathlib.Path, assignment: str) -> dict[str, int]:
    """Each graded cell's position in the results folder's source notebook (the order a page lists them in)."""
    path = out / "source" / assignment / f"{assignment}.ipynb"
    nb = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {"cells": []}
    return {nbgrader_meta(c).get("grade_id"): i for i, c in enumerate(nb["cells"]) if nbgrader_meta(c).get("grade_id")}


def summary_lines(summary: dict) -> list[str]:
    statuses = ", ".join(f"{n} {s}" for s, n in sorted(summary["statuses"].items()))
    return [f"graded {summary['notebooks']} notebooks of {summary['students']} students "
            f"({summary['regraded']} graded now, {summary['reused']} unchanged): {statuses}",
            f"results in {summary['out']}: grades.csv, tests.csv, feedback/, autograded/, gradebook "
            f"(review: cd {summary['out']} && nbgrader formgrader)"]
