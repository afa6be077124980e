"""The course a grading run works from, and `GradingCourse`, which grades one notebook at a time.

`Course.prepare` copies `solutions/` into the run's work folder (so later
edits of the checkout cannot change a run half-way); `Course.register` records
them in a gradebook with nbgrader's own preprocessors. Each notebook is its own nbgrader assignment of the same name.
"""
from __future__ import annotations

import hashlib
import json
import pathlib
import shutil

from . import cells
from .launcher import Launcher
from .paths import DATA, REPO, SOLUTIONS, UsageError, call_seconds, source_notebook
from .results import NotebookResult
from .sandbox import Limits


def test_cells(assignment: str) -> list[cells.TestCell]:
    """The graded test cells of an assignment's source, in order."""
    return cells.test_cells(json.loads(source_notebook(assignment).read_text(encoding="utf-8")))


def max_score(assignment: str) -> float:
    """The points the tests of an assignment award (written answers, graded by hand, not included)."""
    return sum(t.points for t in test_cells(assignment))


def manual_points(assignment: str) -> float:
    """The points of an assignment's written answers (nbgrader's manually graded cells)."""
    return sum(p for _, p in cells.manual_cells(json.loads(source_notebook(assignment).read_text(encoding="utf-8"))))


def sources_key(assignments: list[str]) -> str:
    """A hash of every source file of these assignments (what a verdict depends on besides the submission)."""
    h = hashlib.sha256()
    for a in assignments:
        for p in sorted((SOLUTIONS / a).rglob("*")):
            if p.is_file() and "__pycache__" not in p.parts and ".ipynb_checkpoints" not in p.parts:
                h.update(str(p.relative_to(SOLUTIONS)).encode())
                h.update(p.read_bytes())
    return h.hexdigest()


def environment_key() -> str:
    """A hash of what grading runs on besides the sources: the course's code (aekit, the grader), its data files
    (names and sizes), the Python and every installed package's version. A change to any of them regrades."""
    import importlib.metadata
    import platform
    import sys

    h = hashlib.sha256(f"{platform.python_version()}|{sys.executable}".encode())
    for package in ("aekit", "autograder"):
        for p in sorted((REPO / package).rglob("*.py")):
            h.update(str(p.relative_to(REPO)).encode())
            h.update(p.read_bytes())
    for p in sorted(DATA.rglob("*")) if DATA.is_dir() else []:
        if p.is_file() and "__pycache__" not in p.parts:
            h.update(f"{p.relative_to(DATA)}|{p.stat().st_size}".encode())
    h.update(repr(sorted((d.metadata["Name"] or "", d.version) for d in importlib.metadata.distributions())).encode())
    return h.hexdigest()


class Course:
    """The run's copy of the sources, and their registration in a gradebook."""

    def __init__(self, root: pathlib.Path, assignments: list[str]):
        self.root = pathlib.Path(root).resolve()
        self.assignments = list(assignments)
        self.source = self.root / "source"
        self._prepared = False

    def source_notebook(self, assignment: str) -> pathlib.Path:
        return self.source / assignment / f"{assignment}.ipynb"

    def prepare(self) -> None:
        """Copy the sources (once per run: later edits of the checkout cannot change a run half-way)."""
        if self._prepared:
            return
        if not SOLUTIONS.is_dir():
            raise UsageError(f"no solutions/ folder at {SOLUTIONS}: the grader needs the instructor's sources")
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        if self.source.exists():
            shutil.rmtree(self.source)
        for a in self.assignments:
            shutil.copytree(SOLUTIONS / a, self.source / a,
                            ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
        self._prepared = True

    def register(self, db_url: str) -> None:
        """Record every assignment's notebook and cells in the gradebook at `db_url`, with nbgrader's own
        preprocessors (what `nbgrader generate_assignment` does), so formgrader knows each cell."""
        import nbformat
        from nbgrader.preprocessors import ComputeChecksums, SaveCells

        from . import dbretry, gradebook

        self.prepare()
        with gradebook.opened(db_url) as gb:
            for a in self.assignments:
                dbretry.retrying(lambda: gb.update_or_create_assignment(a), rollback=gb.db.rollback)
        for a in self.assignments:
            nb = nbformat.read(str(self.source_notebook(a)), as_version=4)
            resources = {"nbgrader": {"notebook": a, "assignment": a, "db_url": db_url}}
            nb, resources = ComputeChecksums().preprocess(nb, resources)
            try:
                dbretry.retrying(lambda: SaveCells().preprocess(nb, resources), what=f"registering {a}'s cells")
            except RuntimeError as exc:
                raise UsageError(f"{a}: {exc}: graded cells cannot be added or removed once students are "
                                 "graded; use a new results folder") from None


class GradingCourse:
    """A course and a launcher: grade single notebooks (the grader, selftest and Gradescope use this)."""

    def __init__(self, root: pathlib.Path, assignments: list[str], limits: Limits | None = None):
        self.course = Course(root, assignments)
        self.launcher = Launcher(limits or Limits())

    def prepare(self) -> None:
        """Copy the sources and start the zygote (from the calling thread, which must outlive the grading)."""
        self.course.prepare()
        self.launcher.warm()

    def close(self) -> None:
        self.launcher.close()

    def grade(self, submission: pathlib.Path, assignment: str, job: pathlib.Path, *, timeout: float = 300.0, calls: float | None = None,
              autograded: pathlib.Path | None = None) -> NotebookResult:
        """Grade one notebook in the fresh job folder `job` (removed afterwards); write the autograded notebook
        to `autograded` when given. Never raises for a bad submission."""
        self.course.prepare()
        result = self.launcher.run(assignment=assignment, source=self.course.source_notebook(assignment),
                                   submission=pathlib.Path(submission), job_dir=pathlib.Path(job),
                                   tests=test_cells(assignment), timeout=timeout,
                                   call_seconds=calls or call_seconds(assignment))
        made = pathlib.Path(job) / "autograded.ipynb"
        if autograded is not None and made.is_file():
            autograded.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(made), autograded)
        shutil.rmtree(job, ignore_errors=True)
        return result
