"""The reference submission of an assignment: its released notebook with every exercise cell holding
the instructor's answer (or code given in its place).

The grader's pre-flight grades it before a class (from the run's own copy of
the sources), and the sample class (`sampleclass.py`), the benchmark
(`bench.py`), selftest and the tests build their students from it.
"""

from __future__ import annotations

import copy
import logging

from . import cells
from .paths import release_notebook, source_notebook

log = logging.getLogger(__name__)


def solution_sources(assignment: str, source_nb: dict | None = None) -> dict[str, str]:
    """The instructor's code of each exercise cell (grade_id -> code) of `source_nb`, by default the
    checkout's source notebook of `assignment`."""
    nb = source_nb if source_nb is not None else cells.read_notebook(source_notebook(assignment))
    return {
        cells.grade_id(c): cells.source_text(c) for c in nb["cells"] if cells.is_exercise_cell(c)
    }


def build_submission(
    assignment: str,
    overrides: dict[str, str] | None = None,
    blank: bool = False,
    *,
    source_nb: dict | None = None,
) -> dict:
    """A student notebook: the release with its exercise cells filled in.

    Cells named in `overrides` get that code, the others the reference answer of `source_nb` (by
    default the checkout's source notebook); with `blank`, the release is returned untouched.

    Raises:
        ValueError: `overrides` names a cell that is no exercise of the assignment.
    """
    nb = cells.read_notebook(release_notebook(assignment))
    if blank:
        return nb
    reference = solution_sources(assignment, source_nb)
    overrides = overrides or {}
    unknown = set(overrides) - set(reference)
    if unknown:
        raise ValueError(f"{assignment}: no exercise cell named {', '.join(sorted(unknown))}")
    nb = copy.deepcopy(nb)
    for cell in nb["cells"]:
        gid = cells.grade_id(cell)
        if cells.is_solution(cell) and gid in reference:
            cell["source"] = overrides.get(gid, reference[gid])
    return nb
