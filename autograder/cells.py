"""Which cells of a submitted notebook run, and the autograded notebook written back.

Tests always come from the source notebook (`solutions/`): whatever a
student did to a test cell (edited, moved, deleted, duplicated, renamed)
changes nothing. Locked cells (the setup cell, provided code) are restored
from the source; the student's exercise cells and any cells they added run in
the order they were submitted.

The grader's notebook-cell module: besides the merge (`plan`) and the source's graded cells
(`test_cells`, `manual_cells`), it re-exports the cell helpers whose one home is `aekit.nbcells` (a
cell's source text, nbgrader metadata and kind, the markers), so that grader code and tests write
`cells.source_text(cell)` and never the `"".join(cell["source"])` or `.get("metadata",
{}).get("nbgrader", {})` idioms.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import logging
import pathlib

from aekit.nbcells import (  # noqa: F401  the notebook-cell API: one home (aekit.nbcells), used as cells.X
    HIDDEN_BEGIN,
    HIDDEN_END,
    MARKERS,
    SOLUTION_BEGIN,
    SOLUTION_END,
    grade_id,
    has_hidden_tests,
    is_code,
    is_exercise_cell,
    is_grade,
    is_locked,
    is_read_only,
    is_solution,
    is_test_cell,
    is_written_cell,
    marked_blocks,
    multiline_text,
    nbgrader_meta,
    outside_marked_blocks,
    points,
    source_text,
    visible_part,
)

from . import sanitize

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class TestCell:
    """A graded test cell of the source: what it is worth and its code (hidden tests included)."""

    test_id: str
    points: float
    hidden: bool
    code: str


@dataclasses.dataclass
class Plan:
    """What the kernel runs, what the tests are, and what was restored."""

    # (index in `notebook`, label, code) in order; label: grade_id or "cell N"
    run: list[tuple[int, str, str]]
    tests: list[TestCell]
    # the exercise functions' names (grade_ids of solution code cells)
    exercises: list[str]
    manual: list[tuple[str, float]]  # manually graded answer cells: (grade_id, points)
    notes: list[str]  # what was restored or ignored, for the feedback
    # the submission with locked cells restored and tests from the source
    notebook: dict


def read_notebook(path: pathlib.Path) -> dict:
    """A notebook file of the course's own (a source or release notebook)
    as a plain dict (nbformat's JSON)."""
    return json.loads(pathlib.Path(path).read_text(encoding="utf-8"))


def test_cells(source_nb: dict) -> list[TestCell]:
    """The graded test cells of a source notebook (a parsed `solutions/` notebook), in order."""
    return [
        TestCell(grade_id(c), points(c), has_hidden_tests(source_text(c)), source_text(c))
        for c in source_nb["cells"]
        if is_test_cell(c)
    ]


def manual_cells(source_nb: dict) -> list[tuple[str, float]]:
    """The written answers of a source notebook a TA grades by hand:
    (grade_id, points), in order."""
    return [(grade_id(c), points(c)) for c in source_nb["cells"] if is_written_cell(c)]


def plan(source_nb: dict, submitted_nb: dict) -> Plan:
    """Merge a submission with its source (see the module docstring)."""
    tests = test_cells(source_nb)
    test_ids = {t.test_id for t in tests}
    by_id = {grade_id(c): c for c in source_nb["cells"] if grade_id(c)}
    locked = {gid for gid, c in by_id.items() if is_read_only(c)}
    exercises = [grade_id(c) for c in source_nb["cells"] if is_exercise_cell(c)]
    notes: list[str] = []
    cells: list[dict] = []
    seen: set[str] = set()
    page = sanitize.Page.of(source_nb)
    for cell in submitted_nb.get("cells", []):
        if not isinstance(cell, dict):
            continue
        gid = grade_id(cell)
        if gid in test_ids or is_test_cell(cell):
            continue  # tests come from the source, wherever the student put theirs
        if gid in locked:
            if gid in seen:
                notes.append(f"a copy of the locked cell {gid} was ignored")
                continue
            restored = copy.deepcopy(by_id[gid])
            if source_text(restored) != source_text(cell) or cell.get("cell_type") != restored.get(
                "cell_type"
            ):
                notes.append(f"the locked cell {gid} was restored from the released notebook")
            restored["outputs"] = (
                [] if restored.get("cell_type") == "code" else restored.get("outputs", [])
            )
            cells.append(restored)
            seen.add(gid)
            continue
        # what the student wrote is shown to a TA in formgrader: rebuilt
        # from what is safe to show (sanitize.py)
        if gid in by_id and is_solution(by_id[gid]):
            cell = sanitize.student_cell(cell, by_id[gid].get("cell_type", "code"), page)
            # no points or ids of its own
            cell["metadata"]["nbgrader"] = copy.deepcopy(nbgrader_meta(by_id[gid]))
            seen.add(gid)
        else:  # no nbgrader metadata: metadata naming no source cell is the student's invention
            cell = sanitize.student_cell(cell, None, page)
        cells.append(cell)
    # cells missing from the submission: locked ones come back where the
    # source has them, tests always do
    merged: list[dict] = []
    placed = {grade_id(c) for c in cells}
    queue = list(cells)
    for src in source_nb["cells"]:
        gid = grade_id(src)
        if gid is None:
            continue
        if gid in placed:
            while queue:  # everything the student had up to this cell
                c = queue.pop(0)
                merged.append(c)
                if grade_id(c) == gid:
                    break
            continue
        if gid in test_ids or gid in locked:
            restored = copy.deepcopy(src)
            if src.get("cell_type") == "code":
                restored["outputs"], restored["execution_count"] = [], None
            if gid in test_ids:
                restored["source"] = visible_part(source_text(src))
                if gid not in {grade_id(c) for c in submitted_nb.get("cells", [])}:
                    notes.append(f"the test cell {gid} was restored from the released notebook")
            else:
                notes.append(f"the locked cell {gid} was restored from the released notebook")
            merged.append(restored)
        elif is_solution(src):
            notes.append(f"the exercise cell {gid} is missing")
    merged.extend(queue)
    run = []
    for i, c in enumerate(merged):
        gid = grade_id(c)
        if is_code(c) and gid not in test_ids:
            run.append((i, gid or f"cell {i + 1}", source_text(c)))
    notebook = {
        "cells": merged,
        "metadata": copy.deepcopy(source_nb.get("metadata", {})),
        "nbformat": source_nb.get("nbformat", 4),
        "nbformat_minor": source_nb.get("nbformat_minor", 5),
    }
    return Plan(run, tests, exercises, manual_cells(source_nb), notes, notebook)
