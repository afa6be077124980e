"""Per-notebook figures for the README: words of teaching text, exercises,
points, imagined students.

.venv/bin/python bench/course_figures.py
"""

from __future__ import annotations

import json
import pathlib
import re
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))

from autograder import cells, selftest
from autograder.paths import available_assignments, release_notebook, source_notebook


def words(nb: dict) -> int:
    return sum(
        len(re.findall(r"\w+", cells.source_text(c)))
        for c in nb["cells"]
        if c.get("cell_type") == "markdown"
    )


def derive_predict(assignment: str) -> int:
    """Code exercises in the "Derive / predict" table of the notebook's contract file
    (docs/contracts/) whose kind is "derive" or "predict" and checked by code: not a written
    question, not an "explain" question asked after the answer is shown, not a derivation that
    nothing grades."""
    path = (
        pathlib.Path(__file__).resolve().parent.parent / "docs" / "contracts" / f"{assignment}.md"
    )
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    if "## Derive / predict" not in text:
        return 0
    section = text.split("## Derive / predict", 1)[1].split("\n## ", 1)[0]
    kinds = [line.split("|")[2].strip() for line in section.splitlines() if line.startswith("| `")]
    return sum(
        1
        for kind in kinds
        if kind.startswith(("derive", "predict"))
        and "written" not in kind
        and "not graded" not in kind
    )


def main() -> int:
    print(
        "| notebook | words (student release) | exercises | derive/predict | auto points | manual "
        "points | imagined students: wrong / correct-but-different / forging |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for a in available_assignments():
        source = json.loads(source_notebook(a).read_text(encoding="utf-8"))
        release = json.loads(release_notebook(a).read_text(encoding="utf-8"))
        exercises = [
            c
            for c in source["cells"]
            if cells.nbgrader_meta(c).get("solution") and c["cell_type"] == "code"
        ]
        auto = sum(t.points for t in cells.test_cells(source))
        manual = sum(p for _, p in cells.manual_cells(source))
        cs = selftest.cases(a)
        forging = [c for c in cs if c.name.startswith("forge")]
        wrong = [c for c in cs if c.expect_failed and c not in forging]
        right = [c for c in cs if not c.expect_failed]
        print(
            f"| {a} | {words(release)} | {len(exercises)} | {derive_predict(a)} | {auto:g} | "
            f"{manual:g} | {len(wrong)} / {len(right)} / {len(forging)} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
