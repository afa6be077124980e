"""Gradescope autograder bundle: build it, and the code its `run_autograder` calls.

Gradescope runs one container per submission with the bundle unpacked in
`/autograder/source` and the student's files in `/autograder/submission`; it
reads `/autograder/results/results.json`. `run()` grades with the same
`GradingCourse` as `python -m autograder grade`, one test entry per graded
cell; hidden tests are `after_published`, so students see them only once the
instructor publishes grades.
"""
from __future__ import annotations

import json
import pathlib
import stat
import tempfile
import time
import zipfile

from .course import GradingCourse, test_cells
from .results import NotebookResult, not_graded
from .paths import ASSIGNMENTS, REPO

SETUP_SH = """#!/usr/bin/env bash
# Gradescope runs this once when the autograder image is built
set -euo pipefail
cd /autograder/source
if ! command -v python3.11 >/dev/null 2>&1; then
    apt-get update
    apt-get install -y python3.11 python3.11-venv
fi
python3.11 -m venv /autograder/venv
/autograder/venv/bin/python -m pip install --upgrade pip
/autograder/venv/bin/python -m pip install -e /autograder/source
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Gradescope runs this once per submission; AUTOGRADER_ROOT lets a test stand in for /autograder
set -uo pipefail
ROOT="${AUTOGRADER_ROOT:-/autograder}"
PY="${AUTOGRADER_PYTHON:-$ROOT/venv/bin/python}"
cd "$ROOT/source"
mkdir -p "$ROOT/results"
"$PY" -m autograder gradescope-run --root "$ROOT"
"""

_BUNDLED = ["aekit", "autograder", "pyproject.toml", "nbgrader_config.py", "README.md"]


def build_bundle(out: pathlib.Path, assignments: list[str]) -> pathlib.Path:
    """Write the bundle zip: setup.sh, run_autograder, and the course's code, sources and data."""
    out = pathlib.Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        _add_text(zf, "setup.sh", SETUP_SH, executable=True)
        _add_text(zf, "run_autograder", RUN_AUTOGRADER, executable=True)
        for name in _BUNDLED:
            _add_tree(zf, REPO / name, f"source/{name}")
        for a in assignments:
            _add_tree(zf, REPO / "solutions" / a, f"source/solutions/{a}")
        for p in sorted((REPO / "data").rglob("*")):
            if p.is_file() and p.suffix in (".npz", ".keras", ".md", ".py"):
                zf.write(p, f"source/data/{p.relative_to(REPO / 'data')}")
    return out


def _add_text(zf: zipfile.ZipFile, name: str, text: str, executable: bool = False) -> None:
    info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
    info.external_attr = ((0o755 if executable else 0o644) | stat.S_IFREG) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    zf.writestr(info, text)


def _add_tree(zf: zipfile.ZipFile, path: pathlib.Path, arcname: str) -> None:
    if path.is_file():
        zf.write(path, arcname)
        return
    for p in sorted(path.rglob("*")):
        if p.is_file() and "__pycache__" not in p.parts and ".ipynb_checkpoints" not in p.parts:
            zf.write(p, f"{arcname}/{p.relative_to(path)}")


def results_json(results: list[NotebookResult], seconds: float) -> dict:
    """Gradescope's results.json for a list of notebook results."""
    tests = []
    for r in results:
        for t in r.tests:
            output = t.message or ("passed" if t.passed else "failed")
            if r.status not in ("graded",):
                output = f"{r.status}: {r.detail}" + (f" ({t.message})" if t.message and t.message != r.detail else "")
            tests.append({
                "name": f"{r.assignment}: {t.test_id}",
                "score": t.score,
                "max_score": t.max_score,
                "status": "passed" if t.passed else "failed",
                "output": output,
                "visibility": "after_published" if t.hidden else "visible",
            })
    summary = "; ".join(f"{r.assignment}: {r.score:g}/{r.max_score:g} ({r.status})" for r in results)
    return {
        "score": sum(r.score for r in results),
        "execution_time": int(seconds),
        "output": summary,
        "stdout_visibility": "hidden",
        "tests": tests,
    }


def run(root: pathlib.Path, timeout: float = 600.0) -> int:
    """Grade `root/submission` and write `root/results/results.json`."""
    start = time.monotonic()
    root = pathlib.Path(root)
    assignments = [a for a in ASSIGNMENTS if (REPO / "solutions" / a).is_dir()]
    submission = root / "submission"
    found = {p.stem: p for p in sorted(submission.rglob("*.ipynb"))
             if p.stem in assignments and p.is_file() and not p.is_symlink()} if submission.is_dir() else {}
    results = []
    with tempfile.TemporaryDirectory(prefix="gradescope-") as tmp:
        tmp = pathlib.Path(tmp)
        course = GradingCourse(tmp / "course", assignments)
        for a in assignments:
            if a not in found:
                results.append(not_graded(a, "missing", test_cells(a), f"no {a}.ipynb in the submission"))
                continue
            results.append(course.grade(found[a], a, tmp / "jobs" / a, timeout=timeout))
    out = root / "results" / "results.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results_json(results, time.monotonic() - start), indent=1), encoding="utf-8")
    print(f"wrote {out}")
    return 0
