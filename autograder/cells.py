"""Which cells of a submitted notebook run, and the autograded notebook written back.

Tests always come from the source notebook (`solutions/`): whatever a
student did to a test cell (edited, moved, deleted, duplicated, renamed)
changes nothing. Locked cells (the setup cell, provided code) are restored
from the source; the student's exercise cells and any cells they added run in
the order they were submitted.
"""
from __future__ import annotations

import copy
import dataclasses

from . import sanitize

HIDDEN_BEGIN = "### BEGIN HIDDEN TESTS"


def source_text(cell: dict) -> str:
    src = cell.get("source", "")
    if isinstance(src, list):
        return "".join(s for s in src if isinstance(s, str))
    return src if isinstance(src, str) else ""


def nbgrader_meta(cell: dict) -> dict:
    meta = cell.get("metadata") if isinstance(cell, dict) else None
    nbg = meta.get("nbgrader") if isinstance(meta, dict) else None
    return nbg if isinstance(nbg, dict) else {}


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
    run: list[tuple[int, str, str]]       # (index in `notebook`, label, code) in order; label: grade_id or "cell N"
    tests: list[TestCell]
    exercises: list[str]                  # the exercise functions' names (grade_ids of solution code cells)
    manual: list[tuple[str, float]]       # manually graded answer cells: (grade_id, points)
    notes: list[str]                      # what was restored or ignored, for the feedback
    notebook: dict                        # the submission with locked cells restored and tests from the source


def test_cells(source_nb: dict) -> list[TestCell]:
    out = []
    for cell in source_nb["cells"]:
        meta = nbgrader_meta(cell)
        if meta.get("grade") and cell.get("cell_type") == "code":
            code = source_text(cell)
            out.append(TestCell(meta["grade_id"], float(meta.get("points", 0)), HIDDEN_BEGIN in code, code))
    return out


def manual_cells(source_nb: dict) -> list[tuple[str, float]]:
    return [(nbgrader_meta(c)["grade_id"], float(nbgrader_meta(c).get("points", 0))) for c in source_nb["cells"]
            if nbgrader_meta(c).get("grade") and nbgrader_meta(c).get("solution") and c.get("cell_type") != "code"]


def plan(source_nb: dict, submitted_nb: dict) -> Plan:
    """Merge a submission with its source (see the module docstring)."""
    tests = test_cells(source_nb)
    test_ids = {t.test_id for t in tests}
    by_id = {nbgrader_meta(c).get("grade_id"): c for c in source_nb["cells"] if nbgrader_meta(c).get("grade_id")}
    locked = {gid for gid, c in by_id.items() if nbgrader_meta(c).get("locked") and gid not in test_ids
              and not nbgrader_meta(c).get("solution")}
    exercises = [nbgrader_meta(c)["grade_id"] for c in source_nb["cells"]
                 if nbgrader_meta(c).get("solution") and c.get("cell_type") == "code"]
    notes: list[str] = []
    cells: list[dict] = []
    seen: set[str] = set()
    reserved, budget = sanitize.reserved_ids(source_nb), sanitize.RenderBudget()
    for cell in submitted_nb.get("cells", []):
        if not isinstance(cell, dict):
            continue
        gid = nbgrader_meta(cell).get("grade_id")
        if gid in test_ids or (nbgrader_meta(cell).get("grade") and cell.get("cell_type") == "code"
                               and not nbgrader_meta(cell).get("solution")):
            continue  # tests come from the source, wherever the student put theirs
        if gid in locked:
            if gid in seen:
                notes.append(f"a copy of the locked cell {gid} was ignored")
                continue
            restored = copy.deepcopy(by_id[gid])
            if source_text(restored) != source_text(cell) or cell.get("cell_type") != restored.get("cell_type"):
                notes.append(f"the locked cell {gid} was restored from the released notebook")
            restored["outputs"] = [] if restored.get("cell_type") == "code" else restored.get("outputs", [])
            cells.append(restored)
            seen.add(gid)
            continue
        # what the student wrote is shown to a TA in formgrader: rebuilt from what is safe to show (sanitize.py)
        if gid in by_id and nbgrader_meta(by_id[gid]).get("solution"):
            cell = sanitize.student_cell(cell, by_id[gid].get("cell_type", "code"), reserved, budget)
            cell["metadata"]["nbgrader"] = copy.deepcopy(nbgrader_meta(by_id[gid]))  # no points or ids of its own
            seen.add(gid)
        else:  # no nbgrader metadata: metadata naming no source cell is the student's invention
            cell = sanitize.student_cell(cell, None, reserved, budget)
        cells.append(cell)
    # cells missing from the submission: locked ones come back where the source has them, tests always do
    merged: list[dict] = []
    placed = {nbgrader_meta(c).get("grade_id") for c in cells}
    queue = list(cells)
    for src in source_nb["cells"]:
        gid = nbgrader_meta(src).get("grade_id")
        if gid is None:
            continue
        if gid in placed:
            while queue:  # everything the student had up to this cell
                c = queue.pop(0)
                merged.append(c)
                if nbgrader_meta(c).get("grade_id") == gid:
                    break
            continue
        if gid in test_ids or gid in locked:
            restored = copy.deepcopy(src)
            if src.get("cell_type") == "code":
                restored["outputs"], restored["execution_count"] = [], None
            if gid in test_ids:
                restored["source"] = _visible_part(source_text(src))
                if gid not in {nbgrader_meta(c).get("grade_id") for c in submitted_nb.get("cells", [])
                               if isinstance(c, dict)}:
                    notes.append(f"the test cell {gid} was restored from the released notebook")
            else:
                notes.append(f"the locked cell {gid} was restored from the released notebook")
            merged.append(restored)
        elif nbgrader_meta(src).get("solution"):
            notes.append(f"the exercise cell {gid} is missing")
    merged.extend(queue)
    run = []
    for i, c in enumerate(merged):
        gid = nbgrader_meta(c).get("grade_id")
        if c.get("cell_type") == "code" and gid not in test_ids:
            run.append((i, gid or f"cell {i + 1}", source_text(c)))
    notebook = {"cells": merged, "metadata": copy.deepcopy(source_nb.get("metadata", {})),
                "nbformat": source_nb.get("nbformat", 4), "nbformat_minor": source_nb.get("nbformat_minor", 5)}
    return Plan(run, tests, exercises, manual_cells(source_nb), notes, notebook)


def _visible_part(code: str) -> str:
    """A test cell's code as the student saw it: a hidden test keeps only what precedes its hidden part."""
    if HIDDEN_BEGIN not in code:
        return code
    return code.split(HIDDEN_BEGIN, 1)[0].rstrip() + "\n# (hidden tests: run only when graded)"
