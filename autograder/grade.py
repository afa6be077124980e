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

`grade` takes the TA's options as one `RunSettings` and runs a `ClassRun`,
whose named steps (collect, plan, pre-flight, run, record, rebuild) read
the sources only from the run's own copy (`course.GradingCourse`).
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import datetime
import errno
import hashlib
import json
import logging
import os
import pathlib
import shutil
import sys
import threading
import time

from . import (
    cells,
    cgroups,
    csvsafe,
    exitcodes,
    feedback,
    gradebook,
    reference,
    resultsdir,
    runlock,
    sandbox,
    submitted,
)
from . import collect as collect_mod
from . import reserve as reserve_mod
from . import shard as shard_mod
from .course import GradingCourse, call_limit, environment_key
from .paths import UsageError, call_seconds
from .results import NotebookResult, not_graded

log = logging.getLogger(__name__)

GRADER_VERSION = "3"  # 3: one run per notebook, tests only in the trusted process
GRADE_COLUMNS = [
    "student_id",
    "notebook",
    "score",
    "max_score",
    "status",
    "detail",
    "seconds",
    "manual_score",
    "needs_manual_grade",
    "late",
    "submitted_at",
]
TEST_COLUMNS = [
    "student_id",
    "notebook",
    "test_id",
    "score",
    "max_score",
    "hidden",
    "message",
    "manual",
]
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
        return {
            "key": self.key,
            "student_id": self.student_id,
            "late": self.late,
            "submitted_at": self.submitted_at,
            "file_sha256": self.file_sha256,
            "lms_id": self.lms_id,
            "time": self.time.to_json() if self.time else None,
            "result": result.to_json(),
        }

    def changed_since_review(self) -> bool:
        """Is this a different file from the one graded before (which a TA may have reviewed)?"""
        old = (self.previous or {}).get("file_sha256")
        return bool(old) and old != self.file_sha256


def _digest(path: pathlib.Path | None, sources: str, settings: str) -> str:
    """What a verdict depends on: the grader, its limits, the sources (`course.Sources.key`), the
    environment and the submission (settings end with `environment_key()`)."""
    h = hashlib.sha256(f"{GRADER_VERSION}|{settings}|{sources}".encode())
    if path is None:
        h.update(b"<missing>")
    # a file over the notebook size limit is invalid whatever it holds: hash its size and head only
    else:
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

    The time left is the mean measured time of the notebooks graded so far in this run, times the
    notebooks still to grade, over the workers; none is shown before the first notebook is graded
    (reused and missing ones take no time and say nothing about the rest). `stop` ends the bar at
    once (Ctrl-C): the notebooks still running finish and are saved without moving it.
    """

    def __init__(
        self, total: int, stream=sys.stderr, to_grade: int | None = None, workers: int = 1
    ):
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

    def update(
        self, student_id: str, result: NotebookResult, reused: bool = False, graded: bool = False
    ) -> None:
        with self.lock:
            if self.stopped:
                return
            self.done += 1
            self.failures += result.status != "graded"
            if graded:
                self.graded += 1
                self.seconds += result.seconds
            filled = int(24 * self.done / max(self.total, 1))
            line = (
                f"[{'#' * filled}{'.' * (24 - filled)}] {self.done}/{self.total} notebooks, "
                f"{self.failures} not graded, {self.estimate()}"
            )
            if self.tty:
                self.stream.write("\r" + line + ("\n" if self.done == self.total else ""))
            else:
                what = (
                    "unchanged"
                    if reused
                    else f"{result.status} {result.score:g}/{result.max_score:g}"
                )
                self.stream.write(f"{line} | {student_id} {result.assignment}: {what}\n")
            self.stream.flush()


def _fmt(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"


@dataclasses.dataclass(frozen=True)
class RunSettings:
    """What a TA chose for one class run: `grade`'s options (README, "Grading a class")."""

    assignments: tuple[str, ...]
    workers: int
    timeout: float  # seconds one notebook may run
    force: bool = False  # regrade what is unchanged too
    db_url: str | None = None  # None: results/gradebook.db
    lms_regex: str | None = None
    memory_gb: float = 4.0
    # one test call or cell (--call-timeout); None: each notebook's default
    call_seconds: float | None = None
    unsafe: bool = False  # grade where kernels cannot be isolated
    preflight: bool = True  # grade the reference answers first
    roster: pathlib.Path | collect_mod.Roster | None = None
    final: bool = False  # record `missing` for every known student without a result
    adopt: bool = False  # take over another course's results folder
    submission_times: pathlib.Path | None = None
    lms_timezone: str | None = None
    shard: shard_mod.Shard | None = None

    def __post_init__(self):
        object.__setattr__(self, "assignments", tuple(self.assignments))

    def limits(self) -> sandbox.Limits:
        """One notebook's share of the machine: the cores over the workers, `memory_gb`."""
        cores, workers = os.cpu_count() or 1, max(1, self.workers)
        return sandbox.Limits(
            threads=max(1, cores // workers),
            memory_bytes=int(self.memory_gb * 1024**3),
            cpu_share=max(1.0, cores / workers),
        )

    def call_limit(self, assignment: str) -> float:
        """The seconds one test call or cell of `assignment` may run in this run."""
        return call_limit(assignment, self.call_seconds)

    def verdict_settings(self, assignment: str, environment: str) -> str:
        """What, besides the sources and the submission, a verdict of `assignment` depends on."""
        return f"{self.timeout}|{self.memory_gb}|{self.call_limit(assignment)}|{environment}"


def grade(
    submissions: pathlib.Path,
    out: pathlib.Path,
    settings: RunSettings | None = None,
    *,
    stream=sys.stderr,
    **options,
) -> dict:
    """Grade the notebooks found in `submissions` into `out` with `settings` (or
    `RunSettings(**options)`); return a summary (counts by status).

    Only what the input holds is graded and recorded: a notebook with no file in it
    is left as it was (a selected notebook no student has is named on `stream`);
    `final` records `missing` for every known student (in the input, the results
    folder or the roster) who has no result yet for a selected notebook.

    Raises:
        UsageError: a person's mistake (see the module docstring and
        README); `out` is another course's folder
            (unless `adopt`) or is being graded by another run.
    """
    settings = settings if settings is not None else RunSettings(**options)
    # the class, results too
    reason = sandbox.unsafe_reason(private=(submissions, out)) or cgroups.missing_reason()
    if reason and not settings.unsafe:
        raise UsageError(f"refusing to grade: {reason}")
    out = pathlib.Path(out).resolve()
    db = settings.db_url or f"sqlite:///{out / 'gradebook.db'}"
    lms_times = (
        submitted.load_lms_times(settings.submission_times, settings.lms_timezone)
        if settings.submission_times
        else None
    )
    roster = settings.roster
    if roster is not None and not isinstance(roster, collect_mod.Roster):
        roster = collect_mod.load_roster(roster)
    resultsdir.claim(out, db, settings.adopt, stream)
    with runlock.hold(out, stream) as me:
        if not reason:
            # what a killed grader left (processes, cgroups, sockets) goes before this run
            sandbox.remove_stale()
        work_root = out / ".work"
        # a killed run's (we hold the lock)
        for old in work_root.iterdir() if work_root.is_dir() else []:
            shutil.rmtree(old, ignore_errors=True) if old.is_dir() else old.unlink(missing_ok=True)
        work = work_root / me.stamp
        try:
            return ClassRun(
                pathlib.Path(submissions),
                out,
                work,
                me.stamp,
                db,
                settings,
                roster=roster,
                lms_times=lms_times,
                stream=stream,
            ).execute()
        finally:
            shutil.rmtree(work, ignore_errors=True)


class ClassRun:
    """One class run into a results folder that `grade` holds locked;
    `work` is the run's own scratch folder.

    Its steps, in order (`execute`):

    1. `collect`: the input's students and files, the collection reports,
       the selected notebooks it lacks;
    2. `plan`: the run's copy of the sources, and one job per notebook, reused (its key unchanged)
       or to grade, the notebooks whose calls may take longest first;
    3. `preflight`: the reference answers of each notebook to grade, graded
       first in the same pool as the class;
    4. `run`: every job graded (`grade_one`), each held until the pre-flight has passed and the
       results folder is an nbgrader course folder (`open_gate`);
    5. `record`: one job's autograded notebook, gradebook rows and state
       file, each through the reserve;
    6. `rebuild`: the tables and feedback pages rewritten from every record, and the run's summary.
    """

    def __init__(
        self,
        submissions: pathlib.Path,
        out: pathlib.Path,
        work: pathlib.Path,
        stamp: str,
        db: str,
        settings: RunSettings,
        *,
        roster: collect_mod.Roster | None,
        lms_times: submitted.LmsTimes | None,
        stream,
    ):
        self.submissions, self.out, self.work, self.stamp, self.db = (
            submissions,
            out,
            work,
            stamp,
            db,
        )
        self.settings, self.roster, self.lms_times, self.stream = (
            settings,
            roster,
            lms_times,
            stream,
        )
        self.assignments = list(settings.assignments)
        self.state = out / ".state"
        self.course = GradingCourse(work / "course", self.assignments, limits=settings.limits())
        self.first_seen = submitted.FirstSeen(self.state)
        self.found: collect_mod.Collection | None = None
        # selected notebooks the input holds no file of
        self.absent: list[str] = []
        self.jobs: list[NotebookJob] = []
        self.todo: list[NotebookJob] = []
        self.reused: list[NotebookJob] = []
        # notebook -> (its sources' key, its verdicts' settings)
        self._keys: dict[str, tuple[str, str]] = {}
        # notebook -> the key its pre-flight mark must match
        self.preflight_keys: dict[str, str] = {}
        # (student, notebook, what a TA set and was cleared)
        self.reviewed: list[tuple[str, str, list[str]]] = []
        self.gate, self.failed, self.lock = threading.Event(), threading.Event(), threading.Lock()

    def execute(self) -> dict:
        try:
            self.collect()
            self.plan()
            self.run()
        finally:
            self.course.close()
        return self.rebuild()

    # 1
    def collect(self) -> None:
        """Find the input's students and files; write the collection
        reports; name what the input lacks.

        Raises:
            UsageError: the input holds no file of any selected notebook
            (and this is no `--final` or shard run).
        """
        settings, stream = self.settings, self.stream
        found = collect_mod.collect(
            self.submissions, self.work / "unpacked", settings.lms_regex, roster=self.roster
        )
        # `--shard K/N`: its students only
        found, self.roster = shard_mod.select(
            found, self.roster, settings.shard, self.out, self.assignments
        )
        for why in found.skipped:
            stream.write(f"not graded: {why}\n")
        for lms_id, display in found.not_on_roster:
            stream.write(
                f"not on the roster: LMS id {lms_id}{f' ({display})' if display else ''}: graded "
                f"under {lms_id}; add a row for them to the roster and grade again\n"
            )
        resultsdir.write_reports(found, self.out, self.stamp)
        present = {a for _, a in found.files}
        self.absent = [a for a in self.assignments if a not in present]
        for a in self.absent:
            stream.write(
                f"no {a[:2]} file in this input ({a}): wrong zip? nothing was recorded for {a}"
                + (" but --final's missing rows" if settings.final else "")
                + "\n"
            )
        if self.absent == self.assignments and not settings.final and settings.shard is None:
            # a shard: select() judged the whole input
            raise UsageError(
                f"no file of {', '.join(a[:2] for a in self.assignments)} in {self.submissions}: "
                "wrong zip or --notebooks? nothing was graded or changed"
            )
        self.found = found

    # 2
    def plan(self) -> None:
        """Copy the sources, then make a job of each notebook of the input (and, with `final`, of
        each known student's notebook without a result) and split them into reused and to grade."""
        self.course.prepare(warm=False)  # every later read of the sources is of this copy
        environment = environment_key()
        self._keys = {
            a: (self.course.sources.key([a]), self.settings.verdict_settings(a, environment))
            for a in self.assignments
        }
        found, state = self.found, self.state
        for sid in found.students:
            for a in self.assignments:
                path = found.files.get((sid, a))
                if path is None:
                    # not in this input: whatever an earlier run recorded stays (see --final below)
                    continue
                digest = submitted.file_digest(path)
                lms_id = found.lms_ids.get((sid, a), "")
                before, key = self._previous(sid, a), self.key(path, a)
                # the same file as an earlier record's (one made before
                # files were hashed: the same key) keeps its time
                if before is not None and (
                    before.get("file_sha256") == digest
                    or (before.get("file_sha256") is None and before.get("key") == key)
                ):
                    self.first_seen.remember(
                        sid, a, digest, _first_seen_of(before, state / sid / f"{a}.json")
                    )
                when = submitted.decide(
                    sid,
                    a,
                    digest,
                    lms_ids=(lms_id,) if lms_id else (),
                    late_marker=found.late_marker.get((sid, a)),
                    lms=self.lms_times,
                    gradescope=found.gradescope_times.get(sid),
                    first_seen=self.first_seen,
                )
                self.jobs.append(
                    NotebookJob(
                        sid,
                        a,
                        path,
                        key,
                        bool(when.late_marker),
                        when.at,
                        digest,
                        when,
                        lms_id,
                        before,
                    )
                )
        if self.settings.final:
            known = dict.fromkeys(
                [
                    *found.students,
                    *(
                        p.name
                        for p in sorted(state.iterdir())
                        if p.is_dir() and not p.name.startswith(".")
                    ),
                ]
                if state.is_dir()
                else found.students
            )
            known.update(
                dict.fromkeys(e.student_id for e in self.roster.entries)
                if self.roster is not None
                else {}
            )
            for sid in known:
                for a in self.assignments:
                    if (sid, a) not in found.files and self._previous(sid, a) is None:
                        self.jobs.append(NotebookJob(sid, a, None, self.key(None, a)))
        for job in self.jobs:
            record = job.previous
            if (
                record is not None
                and record.get("key") == job.key
                and not self.settings.force
                and record["result"]["status"] in FINISHED
            ):
                self.reused.append(job)
            else:
                self.todo.append(job)
        # the notebooks whose calls may take longest go first: the run then
        # ends on short jobs, not on one long one
        # stable: students keep their order
        self.todo.sort(key=lambda j: _longest_first(j.assignment))
        if self.settings.preflight:
            self.preflight_keys = {
                a: self.key(None, a, preflight=True)
                for a in {j.assignment for j in self.todo if j.path is not None}
            }

    def key(self, path: pathlib.Path | None, assignment: str, preflight: bool = False) -> str:
        """The key of a verdict on the file at `path` (None: missing;
        `preflight`: the reference answers)."""
        sources, settings = self._keys[assignment]
        return _digest(path, sources, f"preflight|{settings}" if preflight else settings)

    def _previous(self, sid: str, assignment: str) -> dict | None:
        return _load_record(self.state / sid / f"{assignment}.json")

    # 3
    def preflight(self) -> dict[str, concurrent.futures.Future]:
        """Start grading the reference answers of each notebook to grade whose pre-flight mark is
        not this run's key; return their futures by notebook."""
        keys = self.preflight_keys
        return {
            a: self.pool.submit(self._preflight_one, a)
            for a in sorted(keys, key=lambda a: (_longest_first(a), a))
            if _read(self.state / ".preflight" / a) != keys[a]
        }

    def _preflight_one(self, assignment: str) -> NotebookResult:
        """The reference answers of `assignment` (from the run's sources),
        graded as a student's notebook is."""
        path = self.work / "preflight" / f"{assignment}.ipynb"
        path.parent.mkdir(parents=True, exist_ok=True)
        nb = reference.build_submission(assignment, source_nb=self.course.sources.read(assignment))
        path.write_text(json.dumps(nb), encoding="utf-8")
        return self.course.grade(
            path,
            assignment,
            self.work / "preflight" / f"job-{assignment}",
            timeout=self.settings.timeout,
            call_seconds=self.settings.call_limit(assignment),
        )

    # 4
    def run(self) -> None:
        """Grade every job to grade and record it (`record`) once the gate
        opens; save the reused jobs' times."""
        stream, settings = self.stream, self.settings
        stream.write(sandbox.describe() + "\n")
        # a cgroup lost mid-run stops it with exit 75 (exitcodes.py)
        self.cgroup_watch = exitcodes.CgroupWatch.start()
        # the grader's own room on the results folder's disk
        self.room = reserve_mod.Reserve(self.work / "reserve")
        self.room.make()
        self.pool = concurrent.futures.ThreadPoolExecutor(max_workers=max(1, settings.workers))
        # opened at the first record, once the pre-flight registered the course
        self.writer = gradebook.Writer(self.db)
        self.progress = Progress(
            len(self.jobs),
            stream,
            to_grade=sum(j.path is not None for j in self.todo),
            workers=settings.workers,
        )
        try:
            self.course.prepare(warm=bool(self.todo))
            # the pre-flight's notebooks go first into the same pool as the class, whose jobs grade
            # meanwhile but record nothing until the pre-flight has passed (the gate): its idle tail
            # and the results folder's preparation overlap the grading instead of holding it up
            checking = self.preflight()
            futures = [self.pool.submit(self.grade_one, j) for j in self.todo]
            try:
                self.open_gate(checking)
                self.record_reused()
                for fut in concurrent.futures.as_completed(futures):
                    fut.result()
            except KeyboardInterrupt:
                running = sum(f.running() for f in futures)
                self.progress.stop(
                    f"interrupted: {running} notebooks being graded finish and are saved, nothing "
                    "else starts"
                )
                raise
        finally:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.writer.close()

    def grade_one(self, job: NotebookJob) -> None:
        """Grade one job (a missing notebook: its `missing` verdict), then,
        once the gate opens, record it."""
        name = hashlib.sha256(f"{job.student_id}/{job.assignment}".encode()).hexdigest()[:24]
        # moved into autograded/ only once the run may record
        made = self.work / "made" / f"{name}.ipynb"
        made.unlink(missing_ok=True)
        if job.path is None:
            result = not_graded(
                job.assignment,
                "missing",
                self.course.sources.tests(job.assignment),
                "no notebook submitted (recorded by --final)",
            )
        else:
            self.cgroup_watch.check()
            result = self.course.grade(
                job.path,
                job.assignment,
                self.work / "jobs" / name,
                timeout=self.settings.timeout,
                call_seconds=self.settings.call_limit(job.assignment),
                autograded=made,
            )
            self.cgroup_watch.check()  # graded after its cgroups were lost: not recorded
        self.gate.wait()
        if self.failed.is_set():
            made.unlink(missing_ok=True)
            return
        self.record(job, result, made)

    def open_gate(self, checking: dict[str, concurrent.futures.Future]) -> None:
        """Make the results folder an nbgrader course folder, wait for the
        pre-flight's verdict, then let the graded jobs record (or, when
        either failed, drop them); mark and name the pre-flight's passes."""
        stream, room = self.stream, self.room
        try:
            try:
                if not room.write(
                    "the results folder's sources and gradebook",
                    lambda: self.course.publish(self.out, self.db),
                )[0]:
                    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(self.out))
                _preflight_verdict({a: f.result() for a, f in checking.items()})
            except BaseException:
                self.failed.set()
                raise
        finally:
            self.gate.set()
        # with the first record, not before: a failed pre-flight writes nothing
        room.write("the first-seen times", self.first_seen.save)
        keys = self.preflight_keys
        for a in checking:
            room.write(
                f"the pre-flight's mark of {a}",
                lambda a=a: _write_atomic(self.state / ".preflight" / a, keys[a]),
            )
        if keys:
            stream.write(
                "pre-flight: "
                + "; ".join(
                    (
                        [
                            "the reference answers of "
                            f"{', '.join(a[:2] for a in checking)} earn full marks"
                        ]
                        if checking
                        else []
                    )
                    + (
                        [f"{len(keys) - len(checking)} unchanged since their last check"]
                        if len(keys) > len(checking)
                        else []
                    )
                )
                + "\n"
            )

    def record_reused(self) -> None:
        """Count each reused job; rewrite its record and gradebook time
        when its time is now known better."""
        for job in self.reused:
            record = job.previous
            if (record.get("time"), record.get("lms_id")) != (job.time.to_json(), job.lms_id):
                # the same file, its time now known better (an LMS export
                # given this week) or an older record
                record = job.record(NotebookResult.from_json(record["result"]))
                state, text = (
                    self.state / job.student_id / f"{job.assignment}.json",
                    json.dumps(record, indent=1),
                )
                who = f"{job.student_id}'s {job.assignment}"
                with self.lock:
                    self.room.write(
                        f"the record of {who}",
                        lambda state=state, text=text: _write_atomic(state, text),
                    )
                    self.room.write(
                        f"the time of {who}",
                        lambda job=job: self.writer.set_timestamp(
                            job.student_id, job.assignment, job.submitted_at
                        ),
                    )
            self.progress.update(
                job.student_id, NotebookResult.from_json(record["result"]), reused=True
            )

    # 5
    def record(self, job: NotebookJob, result: NotebookResult, made: pathlib.Path) -> None:
        """Save one graded job: its autograded notebook, then its gradebook rows, then its state
        file (a rerun reuses a notebook only once both are saved), each write through the reserve (a
        full disk gives it back and writes again, or names what it lost)."""
        room = self.room
        who = f"{job.student_id}'s {job.assignment}"
        autograded = (
            self.out / "autograded" / job.student_id / job.assignment / f"{job.assignment}.ipynb"
        )
        placed, _ = room.write(
            f"the autograded notebook of {who}", lambda: _place_autograded(made, autograded)
        )
        # one record at a time: a run killed in between, or one that could not save them all,
        with self.lock:
            # grades it again
            saved, cleared = (
                room.write(
                    f"the gradebook rows of {who}",
                    lambda: self.writer.record(
                        job.student_id,
                        result,
                        timestamp=job.submitted_at,
                        name=self.found.names.get(job.student_id),
                        resubmitted=job.changed_since_review(),
                    ),
                )
                if placed
                else (False, None)
            )
            if saved:
                room.write(
                    f"the record of {who}",
                    lambda: _write_atomic(
                        self.state / job.student_id / f"{job.assignment}.json",
                        json.dumps(job.record(result), indent=1),
                    ),
                )
            if cleared:
                self.reviewed.append((job.student_id, job.assignment, cleared))
        room.refill()
        self.progress.update(job.student_id, result, graded=job.path is not None)

    # 6
    def rebuild(self) -> dict:
        """Name the reviewed work a resubmission changed, rewrite the tables and feedback pages (the
        module's `rebuild`), and return the run's summary.

        Raises:
            exitcodes.InfrastructureError: a full disk kept a write out
            (each one named on the stream).
        """
        stream, room = self.stream, self.room
        for sid, a, cleared in sorted(self.reviewed):
            stream.write(
                f"reviewed work changed: {sid} resubmitted {a}; the TA's scores on it were cleared "
                f"({', '.join(cleared)}): review it again in formgrader\n"
            )
        records = rebuild(self.out, self.db, room)
        room.release()
        # the tables are written; what the full disk cost is named, and a rerun redoes just that
        if room.failed:
            for what in room.failed:
                stream.write(f"not saved (disk full): {what}\n")
            more = ", ..." if len(room.failed) > 1 else ""
            raise exitcodes.InfrastructureError(
                f"the disk was full: {len(room.failed)} writes failed "
                f"({room.failed[0]}{more}); every other record and the "
                "tables are saved: run the same command again once there is room"
            )
        counts: dict[str, int] = {}
        for j in self.jobs:
            status = records[(j.student_id, j.assignment)]["result"]["status"]
            counts[status] = counts.get(status, 0) + 1
        return {
            "students": len(self.found.students),
            "notebooks": len(self.jobs),
            "regraded": len(self.todo),
            "reused": len(self.reused),
            "statuses": counts,
            "out": str(self.out),
            "absent": self.absent,
            "reviewed_changed": [(sid, a) for sid, a, _ in sorted(self.reviewed)],
            "graded_any": any(s in ("graded", "invalid", "missing") for s in counts)
            or not self.jobs,
        }


def _longest_first(assignment: str) -> float:
    """A sort key: the notebooks whose calls may take longest (by their
    default call limit) first."""
    return -call_seconds(assignment)


def _first_seen_of(record: dict, path: pathlib.Path) -> str | None:
    """When the file of an earlier record was first seen: its recorded
    first-seen time; for a record made before times had sources (no
    `time`), the time it gave the gradebook, else when it was written."""
    time_ = record.get("time") or {}
    if time_:
        return time_.get("at") if time_.get("source") == submitted.FIRST_SEEN_SOURCE else None
    if record.get("submitted_at"):
        return record["submitted_at"]
    try:
        return (
            datetime.datetime.fromtimestamp(path.stat().st_mtime, datetime.timezone.utc)
            .replace(microsecond=0)
            .isoformat()
        )
    except OSError as exc:
        log.debug("%s: no time of its own (%s)", path, exc)
        return None


def _preflight_verdict(results: dict[str, NotebookResult]) -> None:
    """Stop the run with one line when a notebook's reference answers lose points (a
    broken environment). A pass is remembered in `.state/.preflight/<notebook>`
    under its key (sources, limits, code, packages): a later run into the same
    results folder on an unchanged environment skips it."""
    for a, result in sorted(results.items()):
        if result.status != "graded" or result.score < result.max_score:
            why = result.detail or next((t.message for t in result.tests if not t.passed), "")
            hint = (
                "the kernel died: check the environment (`make test`)"
                if result.status == "crashed"
                else f"{result.status}: {why}"
            )
            raise UsageError(
                f"pre-flight: the reference answers of {a} earn "
                f"{result.score:g}/{result.max_score:g} ({hint[:300]}); nothing was graded"
            )


def _read(path: pathlib.Path) -> str | None:
    """A small file's text, or None when it cannot be read (not written yet, most often)."""
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        log.debug("%s not read (%s)", path, exc)
        return None


def _load_record(path: pathlib.Path) -> dict | None:
    """A notebook's state file, or None when there is none or it is not
    JSON (then it is graded again)."""
    text = _read(path)
    try:
        return json.loads(text) if text is not None else None
    except ValueError as exc:
        log.debug("%s is not a record (%s): graded again", path, exc)
        return None


def _place_autograded(made: pathlib.Path, autograded: pathlib.Path) -> None:
    """Move a job's autograded notebook into the results folder (or remove
    a stale one when the job made none)."""
    if made.is_file():
        autograded.parent.mkdir(parents=True, exist_ok=True)
        os.replace(made, autograded)
    else:
        autograded.unlink(missing_ok=True)


def rebuild(out: pathlib.Path, db: str, room: reserve_mod.Reserve | None = None) -> dict:
    """Rewrite grades.csv, tests.csv and the feedback pages from every record and the gradebook.
    With `room`, each write goes through it (`reserve.Reserve.write`): a feedback page the full disk
    kept out is named in `room.failed`; tables that cannot be written raise ENOSPC."""

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
        by_name = {
            c.name: c for c in sorted(grades, key=lambda c: order[a].get(c.name, len(order[a])))
        }
        score = sum(c.score or 0.0 for c in by_name.values()) if by_name else result.score
        max_score = sum(c.max_score for c in by_name.values()) if by_name else result.max_score
        manual = [c for c in by_name.values() if c.manual]
        waiting = (
            [c.name for c in by_name.values() if c.needs_manual_grade]
            if result.status not in NOT_GRADABLE
            else []
        )
        grade_rows.append(
            [
                sid,
                a,
                f"{score:g}",
                f"{max_score:g}",
                result.status,
                result.detail,
                f"{result.seconds:.1f}",
                f"{sum(c.score or 0 for c in manual):g}" if manual else "",
                " ".join(waiting),
                "yes" if rec.get("late") else "",
                rec.get("submitted_at") or "",
            ]
        )
        for t in result.tests:
            c = by_name.get(t.test_id)
            test_rows.append(
                [
                    sid,
                    a,
                    t.test_id,
                    f"{c.score if c and c.score is not None else t.score:g}",
                    f"{t.max_score:g}",
                    "yes" if t.hidden else "no",
                    t.message + (f" [TA: {c.comment}]" if c and c.comment else ""),
                    "yes" if c and c.manual else "",
                ]
            )
        autograded = out / "autograded" / sid / a / f"{a}.ipynb"
        page = feedback.render(
            sid, result, autograded, list(by_name.values()), score, max_score, comments
        )
        write(
            f"the feedback page of {sid}'s {a}",
            lambda sid=sid, a=a, page=page: _write_atomic(
                out / "feedback" / sid / a / f"{a}.html", page
            ),
        )
    for name, columns, rows in (
        ("grades.csv", GRADE_COLUMNS, grade_rows),
        ("tests.csv", TEST_COLUMNS, test_rows),
    ):
        if not write(
            name,
            lambda name=name, columns=columns, rows=rows: csvsafe.write_csv(
                out / name, columns, rows
            ),
        ):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(out / name))
    return records


def _cell_order(out: pathlib.Path, assignment: str) -> dict[str, int]:
    """Each graded cell's position in the results folder's source notebook
    (the order a page lists them in)."""
    path = out / "source" / assignment / f"{assignment}.ipynb"
    nb = cells.read_notebook(path) if path.is_file() else {"cells": []}
    return {cells.grade_id(c): i for i, c in enumerate(nb["cells"]) if cells.grade_id(c)}


def summary_lines(summary: dict) -> list[str]:
    statuses = ", ".join(f"{n} {s}" for s, n in sorted(summary["statuses"].items()))
    return [
        f"graded {summary['notebooks']} notebooks of {summary['students']} students "
        f"({summary['regraded']} graded now, {summary['reused']} unchanged): {statuses}",
        f"results in {summary['out']}: grades.csv, tests.csv, feedback/, autograded/, gradebook "
        f"(review: python -m autograder review {summary['out']})",
    ]
