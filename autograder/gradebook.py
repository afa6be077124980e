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
import os
import sys
import warnings

from .paths import COURSE_ID


@contextlib.contextmanager
def opened(db_url: str):
    from nbgrader.api import Gradebook

    bin_dir = os.path.dirname(sys.executable)  # a new gradebook runs `alembic` by name: find this environment's
    if bin_dir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = os.pathsep.join([bin_dir, os.environ.get("PATH", "")])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SQLAlchemy 2.x notes on nbgrader's own queries
        with Gradebook(db_url, COURSE_ID) as gb:
            yield gb


def record(gb, student_id: str, result, timestamp: str | None = None, name: str | None = None) -> None:
    """Put one notebook's verdicts into the gradebook (an earlier run's rows for it are updated, not duplicated).

    A TA's manual score stays as it is; written answers (manual cells) need a manual grade until one is given.
    """
    from nbgrader.api import BaseCell, Grade, MissingEntry

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
    # each grade with its cell's name in one query (`grade.name` would load each grade's cell on its own)
    for grade, name in (gb.db.query(Grade, BaseCell.name).join(BaseCell, Grade.cell_id == BaseCell.id)
                        .filter(Grade.notebook_id == notebook.id)):
        test = autograded.get(name)
        if test is not None:
            grade.auto_score = test.score
            grade.needs_manual_grade = False
        elif grade.manual_score is None and grade.auto_score is None:
            grade.needs_manual_grade = True
    gb.db.commit()


class Writer:
    """One grading run's gradebook: opened once, written from one thread of its own, one notebook at a time.

    `record` returns once the notebook's verdicts are committed (as a fresh `Gradebook` per notebook did), but
    the engine stays open: SQLAlchemy keeps its compiled statements per engine, and a gradebook opened anew for
    each notebook compiled every query again (about 40 ms per notebook instead of 14). One thread, because
    nbgrader's `Gradebook.db` is a session per thread.
    """

    def __init__(self, db_url: str):
        self.db_url = db_url
        self._thread = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="gradebook")
        self._opened = None
        self._gb = None

    def _record(self, *args) -> None:
        if self._gb is None:
            self._opened = opened(self.db_url)
            self._gb = self._opened.__enter__()
        try:
            record(self._gb, *args)
        except BaseException:
            self._gb.db.rollback()
            raise

    def record(self, student_id: str, result, timestamp: str | None = None, name: str | None = None) -> None:
        """`record(...)` into this run's gradebook; raises what it raised."""
        self._thread.submit(self._record, student_id, result, timestamp, name).result()

    def _close(self) -> None:
        if self._opened is not None:
            was_opened, self._opened, self._gb = self._opened, None, None
            was_opened.__exit__(None, None, None)

    def close(self) -> None:
        self._thread.submit(self._close).result()
        self._thread.shutdown(wait=True)


@dataclasses.dataclass
class CellGrade:
    name: str
    score: float | None        # nbgrader's score: the manual one when a TA gave it, else the autograded one
    max_score: float
    manual: bool               # a TA's score (override or written answer)
    needs_manual_grade: bool
    comment: str = ""


def every_grade(gb) -> dict[tuple[str, str], tuple[list[CellGrade], dict[str, str]]]:
    """Every graded cell of every submission in the gradebook, and a TA's comments on its cells, by (student id,
    assignment): what `Gradebook.find_submission_notebook(...).grades` and `.comments` say, read in two queries
    (nbgrader's objects load each grade's cell name and maximum one query at a time: a rebuild of 570
    notebooks spent about 20 s there, one of 300 students' six notebooks would spend a minute)."""
    from nbgrader.api import Assignment, BaseCell, Comment, Grade, SubmittedAssignment, SubmittedNotebook

    def joined(query, model):
        return (query.select_from(model).join(SubmittedNotebook, model.notebook_id == SubmittedNotebook.id)
                .join(SubmittedAssignment, SubmittedNotebook.assignment_id == SubmittedAssignment.id)
                .join(Assignment, SubmittedAssignment.assignment_id == Assignment.id)
                .join(BaseCell, model.cell_id == BaseCell.id))

    comments: dict[tuple[str, str], dict[str, str]] = {}
    for sid, a, cell, text in joined(gb.db.query(SubmittedAssignment.student_id, Assignment.name, BaseCell.name,
                                                 Comment.manual_comment), Comment):
        if text:
            comments.setdefault((sid, a), {})[cell] = text
    out: dict[tuple[str, str], tuple[list[CellGrade], dict[str, str]]] = {}
    query = gb.db.query(SubmittedAssignment.student_id, Assignment.name, BaseCell.name, Grade.score, Grade.max_score,
                        Grade.manual_score, Grade.needs_manual_grade)
    for sid, a, cell, score, max_score, manual, needs in joined(query, Grade):
        grades, notes = out.setdefault((sid, a), ([], comments.get((sid, a), {})))
        grades.append(CellGrade(cell, None if score is None and needs else float(score or 0.0), float(max_score),
                                manual is not None, bool(needs), notes.get(cell, "")))
    return out
