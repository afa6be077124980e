"""The course a grading run works from, and `GradingCourse`, which grades one notebook at a time.

`Sources` is one folder of source notebooks: the checkout's `solutions/` (`CHECKOUT`, what tests and
tools read) or a run's own copy of it. `Course.prepare` makes that copy in the run's work folder,
and everything a run reads of the sources afterwards (its tests and points, its sources key, the
pre-flight's reference answers, the results folder's `source/`) comes from the copy, so a later edit
of the checkout cannot change a run half-way. `Course.register` records the sources in a gradebook
with nbgrader's own preprocessors and `Course.publish` makes a results folder an nbgrader course
folder of them. Each notebook is its own nbgrader assignment of the same name.
"""

from __future__ import annotations

import hashlib
import logging
import pathlib
import shutil

from . import cells, nbconfig, paths
from .launcher import Launcher, NotebookJob
from .paths import DATA, REPO, SOLUTIONS, UsageError
from .results import NotebookResult
from .sandbox import Limits

log = logging.getLogger(__name__)


class Sources:
    """The source notebooks (answers and hidden tests) in
    `folder/<assignment>/<assignment>.ipynb`, with the files beside them."""

    def __init__(self, folder: pathlib.Path):
        self.folder = pathlib.Path(folder)

    def notebook(self, assignment: str) -> pathlib.Path:
        return self.folder / assignment / f"{assignment}.ipynb"

    def read(self, assignment: str) -> dict:
        """An assignment's source notebook, parsed."""
        return cells.read_notebook(self.notebook(assignment))

    def tests(self, assignment: str) -> list[cells.TestCell]:
        """The graded test cells of an assignment, in order (`cells.test_cells` of its source)."""
        return cells.test_cells(self.read(assignment))

    def max_score(self, assignment: str) -> float:
        """The points the tests of an assignment award (written answers,
        graded by hand, not included)."""
        return sum(t.points for t in self.tests(assignment))

    def manual_points(self, assignment: str) -> float:
        """The points of an assignment's written answers (nbgrader's manually graded cells)."""
        return sum(p for _, p in cells.manual_cells(self.read(assignment)))

    def key(self, assignments: list[str]) -> str:
        """A hash of every source file of these assignments (what a verdict depends on besides the
        submission): the same for the checkout and a run's copy of it."""
        h = hashlib.sha256()
        for a in assignments:
            for p in sorted((self.folder / a).rglob("*")):
                if (
                    p.is_file()
                    and "__pycache__" not in p.parts
                    and ".ipynb_checkpoints" not in p.parts
                ):
                    h.update(str(p.relative_to(self.folder)).encode())
                    h.update(p.read_bytes())
        return h.hexdigest()


# the instructor's sources in this checkout (tests, tools); a run reads its copy
CHECKOUT = Sources(SOLUTIONS)


def call_limit(assignment: str, chosen: float | None = None) -> float:
    """The seconds one test call or cell of `assignment` may run: `chosen` (`grade --call-timeout`),
    else the notebook's default (`paths.call_seconds`)."""
    return chosen if chosen is not None else paths.call_seconds(assignment)


def environment_key() -> str:
    """A hash of what grading runs on besides the sources: the course's code
    (aekit, the grader), its data files (names and sizes), the Python and
    every installed package's version. A change to any of them regrades."""
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
    h.update(
        repr(
            sorted(
                (d.metadata["Name"] or "", d.version) for d in importlib.metadata.distributions()
            )
        ).encode()
    )
    return h.hexdigest()


class Course:
    """The run's copy of the sources (`sources`, made by `prepare`), and
    their registration in a gradebook."""

    def __init__(self, root: pathlib.Path, assignments: list[str]):
        self.root = pathlib.Path(root).resolve()
        self.assignments = list(assignments)
        self.source = self.root / "source"
        self._sources = Sources(self.source)
        self._prepared = False

    @property
    def sources(self) -> Sources:
        """The run's copy of the sources (copied at the first use)."""
        self.prepare()
        return self._sources

    def source_notebook(self, assignment: str) -> pathlib.Path:
        return self._sources.notebook(assignment)

    def prepare(self) -> None:
        """Copy the sources (once per run: later edits of the checkout
        cannot change a run half-way)."""
        if self._prepared:
            return
        if not SOLUTIONS.is_dir():
            raise UsageError(
                f"no solutions/ folder at {SOLUTIONS}: the grader needs the instructor's sources"
            )
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        if self.source.exists():
            shutil.rmtree(self.source)
        for a in self.assignments:
            shutil.copytree(
                SOLUTIONS / a,
                self.source / a,
                ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"),
            )
        log.debug(
            "the sources of %s copied into %s: the run reads only these",
            ", ".join(self.assignments),
            self.source,
        )
        self._prepared = True

    def register(self, db_url: str) -> None:
        """Record every assignment's notebook and cells in the gradebook at
        `db_url`, with nbgrader's own preprocessors (what `nbgrader
        generate_assignment` does), so formgrader knows each cell."""
        import nbformat
        from nbgrader.preprocessors import ComputeChecksums, SaveCells

        from . import dbretry, gradebook

        self.prepare()
        with gradebook.opened(db_url) as gb:
            for a in self.assignments:
                dbretry.retrying(
                    lambda a=a: gb.update_or_create_assignment(a), rollback=gb.db.rollback
                )
        for a in self.assignments:
            nb = nbformat.read(str(self.source_notebook(a)), as_version=4)
            resources = {"nbgrader": {"notebook": a, "assignment": a, "db_url": db_url}}
            nb, resources = ComputeChecksums().preprocess(nb, resources)
            try:
                dbretry.retrying(
                    lambda nb=nb, resources=resources: SaveCells().preprocess(nb, resources),
                    what=f"registering {a}'s cells",
                )
            except RuntimeError as exc:
                raise UsageError(
                    f"{a}: {exc}: graded cells cannot be added or removed once students are "
                    "graded; use a new results folder"
                ) from None

    def publish(self, out: pathlib.Path, db_url: str) -> None:
        """Make `out` an nbgrader course folder of these sources:
        `source/<notebook>/` as copied, its `nbgrader_config.py` (`nbconfig`),
        and a gradebook at `db_url` that knows every notebook's cells."""
        from . import dbretry

        self.prepare()
        for a in self.assignments:
            target = pathlib.Path(out) / "source" / a
            if target.exists():
                shutil.rmtree(target)
            shutil.copytree(self.source / a, target)
        nbconfig.write_config(out, db_url)
        # a server gradebook: one registration at a time, no record meanwhile
        with dbretry.registering(db_url):
            self.register(db_url)


class GradingCourse:
    """A course and a launcher: grade single notebooks (the grader,
    selftest and Gradescope use this)."""

    def __init__(self, root: pathlib.Path, assignments: list[str], limits: Limits | None = None):
        self._course = Course(root, assignments)
        self._launcher = Launcher(limits or Limits())

    def prepare(self, warm: bool = True) -> None:
        """Copy the sources; with `warm`, start the zygote too (from the
        calling thread, which must outlive the grading)."""
        self._course.prepare()
        if warm:
            self._launcher.warm()

    @property
    def sources(self) -> Sources:
        """The run's copy of the sources: what every read of a test, a
        point or a source file during a run uses."""
        return self._course.sources

    def publish(self, out: pathlib.Path, db_url: str) -> None:
        """`Course.publish`: `out` made an nbgrader course folder of the run's sources."""
        self._course.publish(out, db_url)

    def close(self) -> None:
        self._launcher.close()

    def grade(
        self,
        submission: pathlib.Path,
        assignment: str,
        job: pathlib.Path,
        *,
        timeout: float = 300.0,
        call_seconds: float | None = None,
        autograded: pathlib.Path | None = None,
    ) -> NotebookResult:
        """Grade one notebook in the fresh job folder `job` (removed afterwards), each call or cell
        limited to `call_seconds` (`call_limit`'s default when None); write the autograded notebook
        to `autograded` when given. Never raises for a bad submission."""
        sources = self.sources
        result = self._launcher.run(
            NotebookJob(
                assignment=assignment,
                source=sources.notebook(assignment),
                submission=pathlib.Path(submission),
                job_dir=pathlib.Path(job),
                tests=sources.tests(assignment),
                timeout=timeout,
                call_seconds=call_limit(assignment, call_seconds),
            )
        )
        made = pathlib.Path(job) / "autograded.ipynb"
        if autograded is not None and made.is_file():
            autograded.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(made), autograded)
        shutil.rmtree(job, ignore_errors=True)
        return result
