"""Run a solution notebook's code without its demos: the weights scripts' one source of truth.

    from notebook_code import load_solution
    ns = load_solution("05_vae")            # the setup cell and every exercise cell, executed
    encoder = ns["build_vae_encoder"](2)

Only the cells a training script needs are run: code cells tagged as nbgrader
exercise (solution) cells, and locked cells whose grade_id starts with
"setup". Demo, widget and test cells are skipped, so nothing slow runs.
"""

from __future__ import annotations

import json
import pathlib

from aekit import nbcells

REPO = pathlib.Path(__file__).resolve().parent.parent


def solution_cells(assignment: str) -> list[str]:
    """The source of the setup and exercise cells of
    `solutions/<assignment>/<assignment>.ipynb`, in order."""
    path = REPO / "solutions" / assignment / f"{assignment}.ipynb"
    nb = json.loads(path.read_text(encoding="utf-8"))
    return [
        nbcells.source_text(cell)
        for cell in nb["cells"]
        if nbcells.is_exercise_cell(cell)
        or (nbcells.is_code(cell) and (nbcells.grade_id(cell) or "").startswith("setup"))
    ]


def load_solution(assignment: str) -> dict:
    """Execute the setup and exercise cells of one solution notebook; return its namespace."""
    ns: dict = {"__name__": f"solution_{assignment}"}
    for src in solution_cells(assignment):
        exec(compile(src, f"<{assignment}>", "exec"), ns)  # noqa: S102  (the instructor's own solutions/)
    return ns
