"""nbgrader's gradebook as the term's store: what the grader writes and what everything else reads.

Scores go in through nbgrader's API (`Gradebook`), so formgrader, `nbgrader
export` and `generate_feedback` see them; a TA's manual scores and comments
(formgrader) come back out through the same API into `grades.csv`,
`tests.csv`, the feedback pages and the exports.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import dataclasses
import logging
import os
import sys
import warnings

from . import dbretry
from .paths import COURSE_ID, UsageError

log = logging.getLogger(__name__)


def shown_url(db_url: str) -> str:
    """A gradebook URL as printed: its password, if any, hidden."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(db_url).render_as_string(hide_password=True)
    except Exception as exc:  # noqa: BLE001  (not a URL at all: nothing to hide)
        log.debug("a gradebook URL SQLAlchemy cannot read (%s): shown as given", type(exc).__name__)
        return db_url


def check_url(db_url: str) -> str:
    """The gradebook URL a person gave (`--db`), made absolute for a SQLite file (formgrader and the
    grader run in other folders), once its database kind and driver are known to be usable here.

    Raises:
        UsageError: not a SQLAlchemy URL, an unknown database or a driver
        not installed, a SQLite gradebook in
            memory (lost when the command ends); one line, the password hidden.
    """
    import sqlalchemy.exc
    from sqlalchemy.engine import make_url

    example = (
        "e.g. postgresql+psycopg://USER@HOST/DATABASE or sqlite:////ABSOLUTE/PATH/gradebook.db"
    )
    try:
        url = make_url(db_url)
    except sqlalchemy.exc.ArgumentError:
        raise UsageError(f"--db: {db_url!r} is not a database URL ({example})") from None
    shown = url.render_as_string(hide_password=True)
    try:
        url.get_dialect().import_dbapi()
    except sqlalchemy.exc.NoSuchModuleError:
        raise UsageError(f"--db {shown}: no database kind {url.drivername!r} ({example})") from None
    except ImportError as exc:
        hint = (
            (
                ": use postgresql+psycopg://..., whose driver `pip "
                "install -c constraints.txt -e '.[scaleout]'` installs"
            )
            if url.get_backend_name() == "postgresql"
            else ""
        )
        raise UsageError(f"--db {shown}: its driver is not installed here ({exc}){hint}") from None
    if url.get_backend_name() == "sqlite":
        if not url.database or url.database == ":memory:" or url.database.startswith("file:"):
            raise UsageError(
                f"--db {shown}: a gradebook in memory is lost when the command ends ({example})"
            )
        if not os.path.isabs(url.database):
            return url.set(database=os.path.abspath(url.database)).render_as_string(
                hide_password=False
            )
    return db_url


@contextlib.contextmanager
def opened(db_url: str):
    from nbgrader.api import Gradebook

    # a new gradebook runs `alembic` by name: find this environment's
    bin_dir = os.path.dirname(sys.executable)
    if bin_dir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = os.pathsep.join([bin_dir, os.environ.get("PATH", "")])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SQLAlchemy 2.x notes on nbgrader's own queries
        # a new server gradebook's schema, made by two writers at once: the loser retries (dbretry)
        with dbretry.retrying(
            lambda: Gradebook(db_url, COURSE_ID), what="opening the gradebook"
        ) as gb:
            yield gb


REVIEW_NOTE = "[on an earlier submission] "
# no notebook a TA could read: its written answers wait for nobody
NOT_GRADABLE = ("invalid", "missing")


def record(
    gb,
    student_id: str,
    result,
    timestamp: str | None = None,
    name: str | None = None,
    resubmitted: bool = False,
) -> list[str]:
    """Put one notebook's verdicts into the gradebook (an earlier run's rows for it are updated, not
    duplicated); return what a TA had set that a resubmission cleared.

    A TA's manual score stays as it is while the submission is the same file; written answers
    (manual cells) need a manual grade until one is given. When the student `resubmitted` a
    different file, the TA's scores on the old one are cleared (an override of a test, the score and
    extra credit of a written answer: the new file is graded afresh and its written answers need a
    grade again) and the TA's comments are kept, flagged `[on an earlier submission]` (docs/term.md,
    "Resubmissions after review").
    """
    from nbgrader.api import BaseCell, Comment, Grade, MissingEntry

    gb.update_or_create_student(student_id, **({"last_name": name} if name else {}))
    a = result.assignment
    kwargs = {"timestamp": timestamp} if timestamp else {}
    try:
        gb.find_submission(a, student_id)
        if kwargs:
            gb.update_or_create_submission(a, student_id, **kwargs)
    except MissingEntry:
        gb.add_submission(a, student_id, **kwargs)
    autograded = {t.test_id: t for t in result.tests}
    notebook = gb.find_submission_notebook(a, a, student_id)
    cleared = []
    # each grade with its cell's name in one query (`grade.name` would load
    # each grade's cell on its own)
    for grade, name in (
        gb.db.query(Grade, BaseCell.name)
        .join(BaseCell, Grade.cell_id == BaseCell.id)
        .filter(Grade.notebook_id == notebook.id)
    ):
        test = autograded.get(name)
        if resubmitted and (grade.manual_score is not None or grade.extra_credit):
            what = "override of" if test is not None else "written answer"
            cleared.append(
                f"{what} {name}: {grade.manual_score if grade.manual_score is not None else 0:g}"
            )
            grade.manual_score = None
            grade.extra_credit = None
        if test is not None:
            grade.auto_score = test.score
            grade.needs_manual_grade = False
        elif result.status in NOT_GRADABLE:
            # nothing to read: an invalid or missing notebook scores 0
            grade.needs_manual_grade = False
        elif grade.manual_score is None and grade.auto_score is None:
            grade.needs_manual_grade = True
    if resubmitted:
        for comment, name in (
            gb.db.query(Comment, BaseCell.name)
            .join(BaseCell, Comment.cell_id == BaseCell.id)
            .filter(Comment.notebook_id == notebook.id)
        ):
            if comment.manual_comment and not comment.manual_comment.startswith(REVIEW_NOTE):
                cleared.append(f"comment on {name} kept, flagged")
                comment.manual_comment = REVIEW_NOTE + comment.manual_comment
    gb.db.commit()
    return cleared


def set_timestamp(gb, student_id: str, assignment: str, timestamp: str | None) -> None:
    """The time a submission was handed in (nbgrader's `timestamp`, which
    its lateness is computed from)."""
    if timestamp:
        gb.update_or_create_submission(assignment, student_id, timestamp=timestamp)


class Writer:
    """One grading run's gradebook: opened once, written from one thread of
    its own, one notebook at a time.

    `record` returns once the notebook's verdicts are committed (as a fresh `Gradebook` per notebook
    did), but the engine stays open: SQLAlchemy keeps its compiled statements per engine, and a
    gradebook opened anew for each notebook compiled every query again (about 40 ms per notebook
    instead of 14). One thread, because nbgrader's `Gradebook.db` is a session per thread.
    """

    def __init__(self, db_url: str):
        self.db_url = db_url
        self._thread = concurrent.futures.ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="gradebook"
        )
        self._open = contextlib.ExitStack()  # the gradebook, once opened (by the writer's thread)
        self._gb = None

    def _call(self, function, *args, **kwargs):
        if self._gb is None:
            self._gb = self._open.enter_context(opened(self.db_url))

        def attempt():
            dbretry.after_registrations(self._gb.db)
            return function(self._gb, *args, **kwargs)

        # one transaction per record, run again when it lost a race with another writer (dbretry)
        try:
            return dbretry.retrying(attempt, rollback=self._gb.db.rollback, what=function.__name__)
        except BaseException:
            self._gb.db.rollback()
            raise

    def record(self, student_id: str, result, **details) -> list[str]:
        """`record(gb, student_id, result, **details)` into this run's gradebook (`details`:
        its `timestamp`, `name` and `resubmitted`); returns and raises what it did."""
        return self._thread.submit(self._call, record, student_id, result, **details).result()

    def set_timestamp(self, student_id: str, assignment: str, timestamp: str | None) -> None:
        """`set_timestamp(...)` in this run's gradebook."""
        self._thread.submit(self._call, set_timestamp, student_id, assignment, timestamp).result()

    def _close(self) -> None:
        self._gb = None
        self._open.close()

    def close(self) -> None:
        self._thread.submit(self._close).result()
        self._thread.shutdown(wait=True)


@dataclasses.dataclass
class CellGrade:
    name: str
    # nbgrader's score: the manual one when a TA gave it, else the autograded one
    score: float | None
    max_score: float
    manual: bool  # a TA's score (override or written answer)
    needs_manual_grade: bool
    comment: str = ""


def every_grade(gb) -> dict[tuple[str, str], tuple[list[CellGrade], dict[str, str]]]:
    """Every graded cell of every submission in the gradebook, and a TA's comments on its
    cells, by (student id, assignment): what `Gradebook.find_submission_notebook(...).grades`
    and `.comments` say, read in two queries (nbgrader's objects load each grade's cell name
    and maximum one query at a time: a rebuild of 570 notebooks spent about 20 s there, one
    of 300 students' six notebooks would spend a minute)."""
    from nbgrader.api import (
        Assignment,
        BaseCell,
        Comment,
        Grade,
        SubmittedAssignment,
        SubmittedNotebook,
    )

    def joined(query, model):
        return (
            query.select_from(model)
            .join(SubmittedNotebook, model.notebook_id == SubmittedNotebook.id)
            .join(SubmittedAssignment, SubmittedNotebook.assignment_id == SubmittedAssignment.id)
            .join(Assignment, SubmittedAssignment.assignment_id == Assignment.id)
            .join(BaseCell, model.cell_id == BaseCell.id)
        )

    comments: dict[tuple[str, str], dict[str, str]] = {}
    for sid, a, cell, text in joined(
        gb.db.query(
            SubmittedAssignment.student_id, Assignment.name, BaseCell.name, Comment.manual_comment
        ),
        Comment,
    ):
        if text:
            comments.setdefault((sid, a), {})[cell] = text
    out: dict[tuple[str, str], tuple[list[CellGrade], dict[str, str]]] = {}
    query = gb.db.query(
        SubmittedAssignment.student_id,
        Assignment.name,
        BaseCell.name,
        Grade.score,
        Grade.max_score,
        Grade.manual_score,
        Grade.needs_manual_grade,
    )
    for sid, a, cell, score, max_score, manual, needs in joined(query, Grade):
        grades, notes = out.setdefault((sid, a), ([], comments.get((sid, a), {})))
        grades.append(
            CellGrade(
                cell,
                None if score is None and needs else float(score or 0.0),
                float(max_score),
                manual is not None,
                bool(needs),
                notes.get(cell, ""),
            )
        )
    return out
