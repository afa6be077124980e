"""A small made-up class for `make demo` and the tests, built from the sources.

Five students, every kind a TA meets: full marks, a blank notebook, a partial
answer, a kernel that crashes, and a student who handed in only some notebooks.
Nothing is committed: the class is generated afresh from `solutions/` and
`notebooks/`, so it always matches the current release.
"""

from __future__ import annotations

import json
import logging
import pathlib

from .reference import build_submission, solution_sources

log = logging.getLogger(__name__)

STUDENTS = {
    "ada_full": "every exercise done correctly",
    "ben_blank": "the release handed in untouched",
    "cy_partial": "the first half of each notebook's exercises done",
    "dee_crash": "code that kills its own kernel",
    "eve_missing": "handed in only the first notebook",
}

CRASH = "import os\nos._exit(1)  # the kernel dies here\n"


def make(dest: pathlib.Path, assignments: list[str]) -> dict[str, str]:
    """Write `dest/<student>/<notebook>.ipynb` for the five students; return their descriptions."""
    dest = pathlib.Path(dest)
    for a in assignments:
        reference = solution_sources(a)
        names = list(reference)
        half = {n: "raise NotImplementedError()\n" for n in names[len(names) // 2 :]}
        crash = {names[0]: CRASH + reference[names[0]]}
        notebooks = {
            "ada_full": build_submission(a),
            "ben_blank": build_submission(a, blank=True),
            "cy_partial": build_submission(a, half),
            "dee_crash": build_submission(a, crash),
        }
        if a == assignments[0]:
            notebooks["eve_missing"] = build_submission(a)
        for student, nb in notebooks.items():
            path = dest / student / f"{a}.ipynb"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(nb, indent=1), encoding="utf-8")
    (dest / "eve_missing").mkdir(parents=True, exist_ok=True)
    return dict(STUDENTS)
