"""Where the course's pieces live, and the six assignments in order."""

from __future__ import annotations

import logging
import os
import pathlib

log = logging.getLogger(__name__)

REPO = pathlib.Path(os.environ.get("AEKIT_REPO", pathlib.Path(__file__).resolve().parent.parent))
SOLUTIONS = REPO / "solutions"
RELEASE = REPO / "notebooks"
DATA = REPO / "data"
COURSE_ID = "autoencoders"  # the nbgrader course id of the gradebook (grade.py, export.py)
# the files of data/ that the course package installs as aekit._data (pyproject.toml's package-data:
# the MNIST subset, the pretrained models, their metrics, the README); the student kit and the
# Gradescope bundle ship these and nothing else of data/ (its scripts read solutions/)
DATA_SUFFIXES = (".npz", ".keras", ".json", ".md")

ASSIGNMENTS = (
    "01_conv_as_matrix",
    "02_transpose_conv",
    "03_conv_autoencoder",
    "04_gaussian_generative_models",
    "05_vae",
    "06_checkerboard_artifacts",
)

# seconds one test call or one of the student's cells may run before it is interrupted (the notebook
# as a whole has --timeout); the notebooks that train in their tests get more
CALL_SECONDS = {"03_conv_autoencoder": 90.0, "05_vae": 60.0}
DEFAULT_CALL_SECONDS = 30.0


class UsageError(Exception):
    """A mistake a person made (bad argument, missing file); printed as one line."""


def data_files() -> list[pathlib.Path]:
    """The files of data/ that the course package installs (DATA_SUFFIXES), in a stable order."""
    return [
        p
        for p in sorted(DATA.rglob("*"))
        if p.is_file() and p.suffix in DATA_SUFFIXES and "__pycache__" not in p.parts
    ]


def source_notebook(assignment: str) -> pathlib.Path:
    """The instructor's notebook (answers and hidden tests) of one assignment."""
    return SOLUTIONS / assignment / f"{assignment}.ipynb"


def release_notebook(assignment: str) -> pathlib.Path:
    """The student's notebook of one assignment."""
    return RELEASE / assignment / f"{assignment}.ipynb"


def available_assignments() -> list[str]:
    """The assignments whose source notebook exists, in course order."""
    return [a for a in ASSIGNMENTS if source_notebook(a).is_file()]


def resolve_assignments(spec: str | None) -> list[str]:
    """Turn "01,05" (prefixes or full names) into assignment names; None means all.

    Raises:
        UsageError: a name matches no assignment, or its source notebook is missing.
    """
    available = available_assignments()
    if not SOLUTIONS.is_dir():
        raise UsageError(
            f"no solutions/ folder at {SOLUTIONS}: run from a checkout of the course kit"
        )
    if spec is None:
        return available
    chosen = []
    for part in (p.strip() for p in spec.split(",")):
        if not part:
            continue
        matches = [a for a in ASSIGNMENTS if a == part or a.split("_", 1)[0] == part.zfill(2)]
        if not matches:
            raise UsageError(
                f"unknown notebook {part!r}: use two-digit numbers such as 01,05 "
                f"or names such as {ASSIGNMENTS[0]}"
            )
        if matches[0] not in available:
            raise UsageError(
                f"{matches[0]} has no source notebook at {source_notebook(matches[0])}"
            )
        chosen.append(matches[0])
    return list(dict.fromkeys(chosen))


def assignment_of(path: pathlib.Path) -> str:
    """The assignment a notebook file belongs to, from its file name.

    Raises:
        UsageError: the name is not one of the six released notebook names.
    """
    stem = pathlib.Path(path).stem
    if stem in ASSIGNMENTS:
        return stem
    raise UsageError(
        f"{path.name} is not a course notebook: its name must be one of "
        + ", ".join(f"{a}.ipynb" for a in ASSIGNMENTS)
    )


def call_seconds(assignment: str) -> float:
    """The default time limit of one test call or cell of `assignment` (see CALL_SECONDS)."""
    return CALL_SECONDS.get(assignment, DEFAULT_CALL_SECONDS)


def default_workers() -> int:
    """Notebooks graded at once by default: the cores plus one. A notebook's grading
    spends part of its time waiting (kernel start, messages between the trusted
    process and the student's kernel), and a third worker on two cores fills it; a
    fourth only adds contention (README, `python -m autograder.bench`)."""
    return (os.cpu_count() or 2) + 1
