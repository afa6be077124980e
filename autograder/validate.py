"""`python -m autograder validate PATH.ipynb`: run a student's visible tests."""
from __future__ import annotations

import json
import os
import pathlib
import re

from .pipeline import read_submission
from .paths import UsageError, assignment_of

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def validate(path: pathlib.Path, timeout: int = 300) -> tuple[bool, list[str]]:
    """Run nbgrader's validator on one notebook; return (all passed, report lines)."""
    path = pathlib.Path(path)
    if not path.is_file():
        raise UsageError(f"{path} does not exist: give the path of a notebook such as "
                         f"notebooks/01_conv_as_matrix/01_conv_as_matrix.ipynb")
    assignment_of(path)
    nb, problem = read_submission(path)
    if nb is None:
        raise UsageError(f"{path} cannot be validated: {problem}")
    from nbgrader.validator import Validator
    from traitlets.config import Config

    config = Config()
    config.Validator.validate_all = True
    config.Execute.timeout = timeout
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("MPLBACKEND", "Agg")
    validator = Validator(config=config)
    results = validator.validate(str(path))
    return _report(path, results)


def _report(path: pathlib.Path, results: dict) -> tuple[bool, list[str]]:
    nb = json.loads(path.read_text(encoding="utf-8"))
    tests = [c["metadata"]["nbgrader"]["grade_id"] for c in nb["cells"]
             if c.get("metadata", {}).get("nbgrader", {}).get("grade") and c["cell_type"] == "code"]
    failed = {}
    for key in ("failed", "errored"):
        for item in results.get(key, []):
            cell_id = _grade_id_of(item.get("source", ""), nb)
            error = _ANSI.sub("", item.get("error", "")).strip().splitlines()
            failed[cell_id] = error[-1] if error else "failed"
    lines = []
    for t in tests:
        if t in failed:
            lines.append(f"FAIL  {t}: {failed[t]}")
        else:
            lines.append(f"ok    {t}")
    for other, msg in failed.items():
        if other not in tests:
            lines.append(f"FAIL  {other}: {msg}")
    if results.get("type_changed"):
        lines.append("FAIL  a cell's type was changed: restore it from the released notebook")
    ok = not failed and not results.get("type_changed") and not results.get("changed")
    if results.get("changed"):
        lines.append("FAIL  a test cell was edited: restore it from the released notebook")
    return ok, lines


def _grade_id_of(source: str, nb: dict) -> str:
    for cell in nb["cells"]:
        src = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        if src.strip() == source.strip():
            return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id", "a cell")
    first = source.strip().splitlines()[0] if source.strip() else "a cell"
    return first[:60]
