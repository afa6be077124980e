"""`python -m autograder grade`: grade a class into a results folder that accumulates over a term.

The results folder is an nbgrader course folder of its own (`nbgrader_config.py`,
`source/`, `autograded/<student>/<notebook>/<notebook>.ipynb`, `gradebook.db`,
`feedback/<student>/<notebook>/<notebook>.html`), so a TA can open it in
nbgrader's formgrader. A run grades and records only the notebooks its input holds (a notebook
not in it is never turned into `missing`; `--final` records those), holds `results/.lock`
(`runlock.py`) while it runs, and refuses another course's folder (`resultsdir.py`). Each finished
notebook is saved at once: its record in
`.state/<student>/<notebook>.json` (written to a temporary file, then renamed),
its scores in the gradebook. `grades.csv`, `tests.csv` and the feedback pages
are rebuilt from all records and the gradebook after every run, so a run
(one student, one notebook, a regrade) replaces exactly the rows it graded,
never drops another, and a TA's manual scores and comments show up. A rerun
regrades a notebook only when the submission, the sources, the limits or the
grader changed, or when it did not finish last time (`crashed`, `timeout`).
Every record, state file, feedback page and table is written through the
run's reserve on the results disk (`reserve.py`): a disk that a job filled
costs no student; what still could not be written is named, the tables are
written, and the run exits 75 so that a rerun saves it.
"""
from __future__ import annotations

import concurrent.futures
import dataclasses
import datetime
import errno
import hashlib
import json
import os
import pathlib
import shutil
import sys
import threading
import time

from . import collect as collect_mod
from . import cgroups, csvsafe, exitcodes, feedback, gradebook, resultsdir, runlock, sandbox, submitted
from . import reserve as reserve_mod
from . import review
from . import dbretry
from . import shard as shard_mod
from .cells import nbgrader_meta
from .course import GradingCourse, environment_key, sources_key, test_cells
from .paths import UsageError, call_seconds
from .results import NotebookResult, not_graded

GRADER_VERSION = "3"  # 3: one run per notebook, tests only in the trusted process
GRADE_COLUMNS = ["student_id", "notebook", "score", "max_score", "status", "detail", "seconds", "manual_score",
                 "needs_manual_grade", "late", "submitted_at"]
TEST_COLUMNS = ["student_id", "notebook", "test_id", "score", "max_score", "hidden", "message", "manual"]
MAX_HASHED_BYTES = 64 * 1024 * 1024
FINISHED = ("graded", "invalid", "missing")
NOT_GRADABLE = ("invalid", "missing")  # nothing a TA could grade by hand: no written answer waits


@dataclasses.dataclass
class NotebookJob:
    """One student's notebook to grade (or to reuse, when its key is unchanged)."""
    student_id: str
    assignment: str
    path: pathlib.Path | None
    key: str
    late: bool = False
    submitted_at: str | None = None
    file_sha256: str | None = None
    time: submitted.SubmissionTime | None = None
    lms_id: str = ""
    previous: dict | None = None  # this notebook's record before this run (None: never graded)

    def record(self, result: NotebookResult) -> dict:
        """The state file of this notebook once graded (or reused) as `result`."""
        return {"key": self.key, "student_id": self.student_id, "late": self.late,
                "submitted_at": self.submitted_at, "file_sha256": self.file_sha256, "lms_id": self.lms_id,
                "time": self.time.to_json() if self.time else None, "result": result.to_json()}

    def changed_since_review(self) -> bool:
        """Is this a different file from the one graded before (which a TA may have reviewed)?"""
        old = (self.previous or {}).get("file_sha256")
        return bool(old) and old != self.file_sha256


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
    try:
        with open(tmp, "w", encoding="utf-8", newline="") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:  # a full disk, say: no half-written temporary file stays
        tmp.unlink(missing_ok=True)
        raise


class Progress:
    """A one-line progress bar on a terminal, one line per notebook elsewhere.

    The time left is the mean measured time of the notebooks graded so far in this run, times the notebooks
    still to grade, over the workers; none is shown before the first notebook is graded (reused and missing
    ones take no time and say nothing about the rest). `stop` ends the bar at once (Ctrl-C): the notebooks
    still running finish and are saved without moving it.
    """

    def __init__(self, total: int, stream=sys.stderr, to_grade: int | None = None, workers: int = 1):
        self.total, self.done, self.failures = total, 0, 0
        self.to_grade, self.graded, self.seconds = (total if to_grade is None else to_grade), 0, 0.0
        self.workers = max(1, workers)
        self.stream, self.start = stream, time.monotonic()
        self.tty = hasattr(stream, "isatty") and stream.isatty()
        self.lock = threading.Lock()
        self.stopped = False

    def estimate(self) -> str:
        """`~1m20s left`, or `estimating` before any notebook was graded in this run."""
        if not self.graded:
            return "estimating time left" if self.to_grade else "nothing to grade"
        left = self.seconds / self.graded * max(0, self.to_grade - self.graded) / self.workers
        return f"~{_fmt(left)} left"

    def stop(self, why: str) -> None:
        with self.lock:
            if not self.stopped:
                self.stopped = True
                self.stream.write(("\n" if self.tty else "") + why + "\n")
                self.stream.flush()

    def update(self, student_id: str, result: NotebookResult, reused: bool = False, graded: bool = False) -> None:
        with self.lock:
            if self.stopped:
                return
            self.done += 1
            self.failures += result.status != "graded"
            if graded:
                self.graded += 1
                self.seconds += result.seconds
            filled = int(24 * self.done / max(self.total, 1))
            line = (f"[{'#' * filled}{'.' * (24 - filled)}] {self.done}/{self.total} notebooks, "
                    f"{self.failures} not graded, {self.estimate()}")
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
          roster: pathlib.Path | None = None, final: bool = False, adopt: bool = False,
          submission_times: pathlib.Path | None = None, lms_timezone: str | None = None,
          shard: shard_mod.Shard | None = None, stream=sys.stderr) -> dict:
    """Grade the notebooks found in `submissions` into `out`; return a summary (counts by status).

    Only what the input holds is graded and recorded: a notebook with no file in it is left as it was (a
    selected notebook no student has is named on `stream`); `final` records `missing` for every known student
    (in the input, the results folder or the roster) who has no result yet for a selected notebook.

    Raises:
        UsageError: a person's mistake (see the module docstring and README); `out` is another course's folder
            (unless `adopt`) or is being graded by another run.
    """
    reason = sandbox.unsafe_reason(private=(submissions, out)) or cgroups.missing_reason()  # the class, results too
    if reason and not unsafe:
        raise UsageError(f"refusing to grade: {reason}")
    out = pathlib.Path(out).resolve()
    db = db_url or f"sqlite:///{out / 'gradebook.db'}"
    lms_times = submitted.load_lms_times(submission_times, lms_timezone) if submission_times else None
    if roster is not None and not isinstance(roster, collect_mod.Roster):
        roster = collect_mod.load_roster(roster)
    resultsdir.claim(out, db, adopt, stream)
    with runlock.hold(out, stream) as me:
        if not reason:
            sandbox.remove_stale()  # what a killed grader left (processes, cgroups, sockets) goes before this run
        work_root = out / ".work"
        for old in work_root.iterdir() if work_root.is_dir() else []:  # a killed run's (we hold the lock)
            shutil.rmtree(old, ignore_errors=True) if old.is_dir() else old.unlink(missing_ok=True)
        work = work_root / me.stamp
        try:
            return _grade_held(submissions, out, work, me.stamp, db, assignments=assignments, workers=workers,
                               timeout=timeout, force=force, lms_regex=lms_regex, memory_gb=memory_gb,
                               calls=calls, preflight=preflight, roster=roster, final=final, lms_times=lms_times,
                               shard=shard, stream=stream)
        finally:
            shutil.rmtree(work, ignore_errors=True)


def _grade_held(submissions: pathlib.Path, out: pathlib.Path, work: pathlib.Path, run: str, db: str, *,
                assignments: list[str], workers: int, timeout: float, force: bool, lms_regex: str | None,
                memory_gb: float, calls: float | None, preflight: bool, roster, final: bool,
                lms_times: submitted.LmsTimes | None, stream, shard: shard_mod.Shard | None = None) -> dict:
    """`grade`, once the results folder is ours and locked; `work` is this run's own scratch folder."""
    state = out / ".state"
    found = collect_mod.collect(pathlib.Path(submissions), work / "unpacked", lms_regex, roster=roster)
    found, roster = shard_mod.select(found, roster, shard, out, assignments)  # `--shard K/N`: its students only
    for why in found.skipped:
        stream.write(f"not graded: {why}\n")
    for lms_id, display in found.not_on_roster:
        stream.write(f"not on the roster: LMS id {lms_id}{f' ({display})' if display else ''}: graded under "
                     f"{lms_id}; add a row for them to the roster and grade again\n")
    resultsdir.write_reports(found, out, run)
    present = {a for _, a in found.files}
    absent = [a for a in assignments if a not in present]
    for a in absent:
        stream.write(f"no {a[:2]} file in this input ({a}): wrong zip? nothing was recorded for {a}"
                     + (" but --final's missing rows" if final else "") + "\n")
    if absent == assignments and not final and shard is None:  # a shard: select() judged the whole input
        raise UsageError(f"no file of {', '.join(a[:2] for a in assignments)} in {submissions}: wrong zip or "
                         "--notebooks? nothing was graded or changed")
    limits = sandbox.Limits(threads=max(1, (os.cpu_count() or 1) // max(1, workers)),
                            memory_bytes=int(memory_gb * 1024**3),
                            cpu_share=max(1.0, (os.cpu_count() or 1) / max(1, workers)))
    jobs = []
    environment = environment_key()
    first_seen = submitted.FirstSeen(state)

    def settings(a: str) -> str:  # what, besides the sources and the submission, a verdict depends on
        return f"{timeout}|{memory_gb}|{calls or call_seconds(a)}|{environment}"

    def previous(sid: str, a: str) -> dict | None:
        return _load_record(state / sid / f"{a}.json")

    for sid in found.students:
        for a in assignments:
            path = found.files.get((sid, a))
            if path is None:
                continue  # not in this input: whatever an earlier run recorded stays (see --final below)
            digest = submitted.file_digest(path)
            lms_id = found.lms_ids.get((sid, a), "")
            before, key = previous(sid, a), _digest(path, a, settings(a))
            # the same file as an earlier record's (one made before files were hashed: the same key) keeps its time
            if before is not None and (before.get("file_sha256") == digest
                                       or (before.get("file_sha256") is None and before.get("key") == key)):
                first_seen.remember(sid, a, digest, _first_seen_of(before, state / sid / f"{a}.json"))
            when = submitted.decide(sid, a, digest, lms_ids=(lms_id,) if lms_id else (),
                                    late_marker=found.late_marker.get((sid, a)), lms=lms_times,
                                    gradescope=found.gradescope_times.get(sid), first_seen=first_seen)
            jobs.append(NotebookJob(sid, a, path, key, bool(when.late_marker), when.at,
                                    digest, when, lms_id, before))
    if final:
        known = dict.fromkeys([*found.students, *(p.name for p in sorted(state.iterdir()) if p.is_dir()
                                                  and not p.name.startswith("."))] if state.is_dir()
                              else found.students)
        known.update(dict.fromkeys(e.student_id for e in roster.entries) if roster is not None else {})
        for sid in known:
            for a in assignments:
                if (sid, a) not in found.files and previous(sid, a) is None:
                    jobs.append(NotebookJob(sid, a, None, _digest(None, a, settings(a))))
    todo, reused = [], []
    for job in jobs:
        record = job.previous
        if record is not None and record.get("key") == job.key and not force \
                and record["result"]["status"] in FINISHED:
            reused.append(job)
        else:
            todo.append(job)
    # the notebooks whose calls may take longest go first: the run then ends on short jobs, not on one long one
    todo.sort(key=lambda j: -call_seconds(j.assignment))  # stable: students keep their order
    stream.write(sandbox.describe() + "\n")
    course = GradingCourse(work / "course", assignments, limits=limits)
    cgroup_watch = exitcodes.CgroupWatch.start()  # a cgroup lost mid-run stops it with exit 75 (exitcodes.py)
    room = reserve_mod.Reserve(work / "reserve")  # the grader's own room on the results folder's disk
    room.make()
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=max(1, workers))
    writer = gradebook.Writer(db)  # opened at the first record, once the pre-flight has registered the course
    progress = Progress(len(jobs), stream, to_grade=sum(j.path is not None for j in todo), workers=workers)
    reviewed: list[tuple[str, str, list[str]]] = []  # (student, notebook, what a TA had set and was cleared)
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
        lock = threading.Lock()

        def run(job: NotebookJob) -> None:
            autograded = out / "autograded" / job.student_id / job.assignment / f"{job.assignment}.ipynb"
            name = hashlib.sha256(f"{job.student_id}/{job.assignment}".encode()).hexdigest()[:24]
            made = work / "made" / f"{name}.ipynb"  # moved into autograded/ only once the run may record
            made.unlink(missing_ok=True)
            if job.path is None:
                result = not_graded(job.assignment, "missing", test_cells(job.assignment),
                                    "no notebook submitted (recorded by --final)")
            else:
                cgroup_watch.check()
                result = course.grade(job.path, job.assignment, work / "jobs" / name, timeout=timeout, calls=calls,
                                      autograded=made)
                cgroup_watch.check()  # graded after its cgroups were lost: not recorded
            gate.wait()
            if failed.is_set():
                made.unlink(missing_ok=True)
                return
            who = f"{job.student_id}'s {job.assignment}"
            # each write through the reserve: a full disk gives it back and writes again, or names what it lost
            placed, _ = room.write(f"the autograded notebook of {who}", lambda: _place_autograded(made, autograded))
            with lock:  # one record at a time: its gradebook rows, then its state file (a rerun reuses a notebook
                # only once both are saved: a run killed in between, or one that could not save them all, grades
                # it again)
                saved, cleared = room.write(f"the gradebook rows of {who}", lambda: writer.record(
                    job.student_id, result, job.submitted_at, found.names.get(job.student_id),
                    job.changed_since_review())) if placed else (False, None)
                if saved:
                    room.write(f"the record of {who}", lambda: _write_atomic(
                        state / job.student_id / f"{job.assignment}.json", json.dumps(job.record(result), indent=1)))
                if cleared:
                    reviewed.append((job.student_id, job.assignment, cleared))
            room.refill()
            progress.update(job.student_id, result, graded=job.path is not None)

        futures = [pool.submit(run, j) for j in todo]
        try:
            try:
                if not room.write("the results folder's sources and gradebook",
                                  lambda: _prepare_results_folder(out, course, db, assignments))[0]:
                    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(out))
                _preflight_verdict({a: f.result() for a, f in checking.items()})
            except BaseException:
                failed.set()
                raise
            finally:
                gate.set()
            # with the first record, not before: a failed pre-flight writes nothing
            room.write("the first-seen times", first_seen.save)
            for a in checking:
                room.write(f"the pre-flight's mark of {a}",
                           lambda a=a: _write_atomic(state / ".preflight" / a, keys[a]))
            if keys:
                stream.write("pre-flight: " + "; ".join(
                    ([f"the reference answers of {', '.join(a[:2] for a in checking)} earn full marks"] if checking
                     else []) + ([f"{len(keys) - len(checking)} unchanged since their last check"]
                                 if len(keys) > len(checking) else [])) + "\n")
            for job in reused:
                record = job.previous
                if (record.get("time"), record.get("lms_id")) != (job.time.to_json(), job.lms_id):
                    # the same file, its time now known better (an LMS export given this week) or an older record
                    record = job.record(NotebookResult.from_json(record["result"]))
                    with lock:
                        room.write(f"the record of {job.student_id}'s {job.assignment}", lambda: _write_atomic(
                            state / job.student_id / f"{job.assignment}.json", json.dumps(record, indent=1)))
                        room.write(f"the time of {job.student_id}'s {job.assignment}", lambda: writer.set_timestamp(
                            job.student_id, job.assignment, job.submitted_at))
                progress.update(job.student_id, NotebookResult.from_json(record["result"]), reused=True)
            for fut in concurrent.futures.as_completed(futures):
                fut.result()
        except KeyboardInterrupt:
            running = sum(f.running() for f in futures)
            progress.stop(f"interrupted: {running} notebooks being graded finish and are saved, nothing else starts")
            raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        writer.close()
        course.close()
    for sid, a, cleared in sorted(reviewed):
        stream.write(f"reviewed work changed: {sid} resubmitted {a}; the TA's scores on it were cleared "
                     f"({', '.join(cleared)}): review it again in formgrader\n")
    records = rebuild(out, db, room)
    room.release()
    if room.failed:  # the tables are written; what the full disk cost is named, and a rerun redoes just that
        for what in room.failed:
            stream.write(f"not saved (disk full): {what}\n")
        more = ", ..." if len(room.failed) > 1 else ""
        raise exitcodes.InfrastructureError(
            f"the disk was full: {len(room.failed)} writes failed ({room.failed[0]}{more}); every other record and "
            f"the tables are saved: run the same command again once there is room")
    counts: dict[str, int] = {}
    for j in jobs:
        status = records[(j.student_id, j.assignment)]["result"]["status"]
        counts[status] = counts.get(status, 0) + 1
    return {"students": len(found.students), "notebooks": len(jobs), "regraded": len(todo),
            "reused": len(reused), "statuses": counts, "out": str(out), "absent": absent,
            "reviewed_changed": [(sid, a) for sid, a, _ in sorted(reviewed)],
            "graded_any": any(s in ("graded", "invalid", "missing") for s in counts) or not jobs}



def _first_seen_of(record: dict, path: pathlib.Path) -> str | None:
    """When the file of an earlier record was first seen: its recorded first-seen time; for a record made before
    times had sources (no `time`), the time it gave the gradebook, else when it was written."""
    time_ = record.get("time") or {}
    if time_:
        return time_.get("at") if time_.get("source") == submitted.FIRST_SEEN_SOURCE else None
    if record.get("submitted_at"):
        return record["submitted_at"]
    try:
        return datetime.datetime.fromtimestamp(path.stat().st_mtime, datetime.timezone.utc).replace(
            microsecond=0).isoformat()
    except OSError:
        return None


def _prepare_results_folder(out: pathlib.Path, course: GradingCourse, db: str, assignments: list[str]) -> None:
    """Make `out` an nbgrader course folder: sources, config, and a gradebook that knows every assignment."""
    for a in assignments:
        target = out / "source" / a
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(course.course.source / a, target)
    review.write_config(out, db)  # its one writer: the course, the exchange, formgrader's sanitising
    with dbretry.registering(db):  # a server gradebook: one registration at a time, no record meanwhile
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


def _place_autograded(made: pathlib.Path, autograded: pathlib.Path) -> None:
    """Move a job's autograded notebook into the results folder (or remove a stale one when the job made none)."""
    if made.is_file():
        autograded.parent.mkdir(parents=True, exist_ok=True)
        os.replace(made, autograded)
    else:
        autograded.unlink(missing_ok=True)


def rebuild(out: pathlib.Path, db: str, room: reserve_mod.Reserve | None = None) -> dict:
    """Rewrite grades.csv, tests.csv and the feedback pages from every record and the gradebook. With `room`,
    each write goes through it (`reserve.Reserve.write`): a feedback page the full disk kept out is named in
    `room.failed`; tables that cannot be written raise ENOSPC."""
    def write(what: str, action) -> bool:
        return room.write(what, action)[0] if room is not None else (action(), True)[1]

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
        waiting = [c.name for c in cells.values() if c.needs_manual_grade] if result.status not in NOT_GRADABLE \
            else []
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
        page = feedback.render(sid, result, autograded, list(cells.values()), score, max_score, comments)
        write(f"the feedback page of {sid}'s {a}",
              lambda sid=sid, a=a, page=page: _write_atomic(out / "feedback" / sid / a / f"{a}.html", page))
    for name, columns, rows in (("grades.csv", GRADE_COLUMNS, grade_rows), ("tests.csv", TEST_COLUMNS, test_rows)):
        if not write(name, lambda name=name, columns=columns, rows=rows: csvsafe.write_csv(out / name, columns, rows)):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(out / name))
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
            f"(review: python -m autograder review {summary['out']})"]
