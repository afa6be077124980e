"""Gradescope autograder bundle: build it, and the code its `run_autograder` calls.

What Gradescope expects, from its autograder specification
(https://gradescope-autograders.readthedocs.io/en/latest/specs/, the `docs/specs.md` of the
repository gradescope/autograder_samples):

- the zip holds `setup.sh` and `run_autograder` *at its root* ("zip the files, and not the folder
  containing the files"); Gradescope unpacks the whole zip into `/autograder/source`, runs
  `setup.sh` once (as root) when it builds the image, copies `run_autograder` to
  `/autograder/run_autograder` and runs it once per submission with `/autograder` as working
  directory and the student's upload in `/autograder/submission`;
- `run_autograder` writes `/autograder/results/results.json`: optional top-level `score`,
  `execution_time`, `output`, `visibility`, `stdout_visibility`, `extra_data`, `tests`,
  `leaderboard`; each test optional `score`, `max_score`, `status` ("passed"/"failed"), `name`,
  `number`, `output`, `tags`, `visibility`, `extra_data`. `visibility` is one of `hidden`,
  `after_due_date`, `after_published` ("shown only when the assignment is explicitly published
  from the Review Grades page") and `visible` (default); while any test is hidden students do not
  see their total score. stdout goes to `/autograder/results/stdout`, instructors only unless
  `stdout_visibility` says otherwise.
- base images (`docs/base_images.md`): Ubuntu 22.04 is the default (its `python3` is 3.10),
  24.04 can be chosen (3.12); `python3-venv` is not installed on either, so `setup.sh` installs it
  with apt (Ubuntu's own package, nothing else).
- containers (`docs/troubleshooting.md`): 768 MB of memory and half a virtual CPU by default,
  more from the assignment's "Autograder Settings"; a run that passes the memory limit ends in
  "Killed".

The two scripts are files of the package, `templates/gradescope/setup.sh` and
`run_autograder`, copied into the bundle as they are. `run_autograder` first makes the
bundled `solutions/` readable by root alone (0700 folders, 0600 files): a container may
forbid the namespaces that give a kernel a private root, and then a kernel, under a user id
of its own, sees the real file system. `run()` grades only where `sandbox.unsafe_reason()`
finds a kernel cannot read the sources; elsewhere it writes a results.json that grades
nothing and says why, unless the instructor sets AEKIT_UNSAFE=1 in run_autograder.

`run()` grades with the same `GradingCourse` as `python -m autograder grade`, one test entry per
graded cell. Hidden tests are `after_published`, and the top-level `output` (which students see at
once) counts only the visible tests' points, so nothing about hidden tests shows before the
instructor publishes grades.
"""

from __future__ import annotations

import json
import logging
import os
import pathlib
import stat
import tempfile
import time
import zipfile

from . import cgroups, sandbox
from .course import GradingCourse
from .paths import ASSIGNMENTS, DATA, REPO, data_files
from .results import NotebookResult, not_graded

log = logging.getLogger(__name__)

# setup.sh and run_autograder, copied into the bundle's root as they are; both take the interpreter,
# the venv and the folders from the environment so that a test can stand in for Gradescope (the
# defaults are what Gradescope's Ubuntu images have)
SCRIPTS = pathlib.Path(__file__).resolve().parent / "templates" / "gradescope"
SCRIPT_NAMES = ("setup.sh", "run_autograder")

_BUNDLED = [
    "aekit",
    "autograder",
    "pyproject.toml",
    "constraints.txt",
    "nbgrader_config.py",
    "README.md",
]


def build_bundle(out: pathlib.Path, assignments: list[str]) -> pathlib.Path:
    """Write the bundle zip: setup.sh and run_autograder at its root, beside the course's code,
    the chosen notebooks' sources, the data and the constraints file."""
    out = pathlib.Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in SCRIPT_NAMES:
            _add_text(zf, name, (SCRIPTS / name).read_text(encoding="utf-8"), executable=True)
        _add_text(zf, "assignments.json", json.dumps(list(assignments)))
        for name in _BUNDLED:
            _add_tree(zf, REPO / name, name)
        for a in assignments:
            _add_tree(zf, REPO / "solutions" / a, f"solutions/{a}")
        for p in data_files():
            zf.write(p, f"data/{p.relative_to(DATA)}")
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


def _notebooks_in(submission: pathlib.Path) -> list[pathlib.Path]:
    """Every uploaded .ipynb, leaving out checkpoints, macOS zip debris and links."""
    if not submission.is_dir():
        return []
    found = []
    for p in sorted(submission.rglob("*.ipynb")):
        rel = p.relative_to(submission).parts
        if any(part in (".ipynb_checkpoints", "__MACOSX") or part.startswith("._") for part in rel):
            continue
        if p.is_file() and not p.is_symlink():
            found.append(p)
    return found


def match_submission(
    notebooks: list[pathlib.Path], assignments: list[str]
) -> dict[str, pathlib.Path]:
    """Which uploaded file is which assignment.

    A file named as released (`05_vae.ipynb`) wins; then a name that starts with the assignment's
    name or number, as browsers and LMSs rename downloads (`05_vae (1).ipynb`, `05_vae-2.ipynb`,
    `05 my attempt.ipynb`). A bundle for one notebook takes any single notebook whatever its name
    (`my work.ipynb`).
    """
    found: dict[str, pathlib.Path] = {}
    for a in assignments:
        exact = [p for p in notebooks if p.stem == a]
        if exact:
            found[a] = exact[0]
    for a in assignments:
        if a in found:
            continue
        number = a.split("_", 1)[0]
        loose = [
            p
            for p in notebooks
            if p not in found.values()
            and (p.stem.lower().startswith(a.lower()) or _starts_with_number(p.stem, number))
        ]
        if loose:
            found[a] = loose[0]
    if len(assignments) == 1 and assignments[0] not in found and len(notebooks) == 1:
        found[assignments[0]] = notebooks[0]
    return found


def _starts_with_number(stem: str, number: str) -> bool:
    return stem.startswith(number) and (len(stem) == len(number) or not stem[len(number)].isdigit())


def _visible_points(r: NotebookResult) -> tuple[float, float]:
    shown = [t for t in r.tests if not t.hidden]
    return sum(t.score for t in shown), sum(t.max_score for t in shown)


def results_json(results: list[NotebookResult], seconds: float) -> dict:
    """Gradescope's results.json for a list of notebook results (format:
    see the module docstring)."""
    tests = []
    for r in results:
        for t in r.tests:
            output = t.message or ("passed" if t.passed else "failed")
            if r.status not in ("graded",):
                output = f"{r.status}: {r.detail}" + (
                    f" ({t.message})" if t.message and t.message != r.detail else ""
                )
            tests.append(
                {
                    "name": f"{r.assignment}: {t.test_id}" + (" (hidden test)" if t.hidden else ""),
                    "score": t.score,
                    "max_score": t.max_score,
                    "status": "passed" if t.passed else "failed",
                    "output": output,
                    "visibility": "after_published" if t.hidden else "visible",
                }
            )
    # the top-level output is shown to students at once: visible tests' points only
    lines = []
    for r in results:
        got, most = _visible_points(r)
        hidden = sum(1 for t in r.tests if t.hidden)
        line = f"{r.assignment}: visible tests {got:g}/{most:g} points"
        if hidden:
            line += (
                f"; {hidden} hidden test{'s' if hidden != 1 else ''} "
                "shown when grades are published"
            )
        if r.status != "graded":
            line += f" ({r.status}: {r.detail})"
        lines.append(line)
    return {
        "score": sum(r.score for r in results),
        "execution_time": int(seconds),
        "output": "\n".join(lines),
        "stdout_visibility": "hidden",
        "tests": tests,
    }


def _bundle_assignments() -> list[str]:
    listed = REPO / "assignments.json"
    if listed.is_file():
        return [a for a in json.loads(listed.read_text(encoding="utf-8")) if a in ASSIGNMENTS]
    return [a for a in ASSIGNMENTS if (REPO / "solutions" / a).is_dir()]


UNSAFE_ENV = "AEKIT_UNSAFE"  # "1": grade even where a kernel could read the hidden tests


def refusal_json(reason: str, seconds: float) -> dict:
    """A results.json that grades nothing and says why (the student sees it too)."""
    return {
        "score": 0.0,
        "execution_time": int(seconds),
        "stdout_visibility": "hidden",
        "tests": [],
        "output": "Not graded: the autograder cannot keep the hidden "
        f"tests from a submission here ({reason}). Your instructor needs "
        "to fix the autograder and regrade; nothing is wrong with your upload.",
    }


def _write_results(root: pathlib.Path, results: dict) -> None:
    out = root / "results" / "results.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1), encoding="utf-8")
    print(f"wrote {out}")


def run(root: pathlib.Path, timeout: float = 600.0) -> int:
    """Grade `root/submission` and write `root/results/results.json` (a
    refusal where grading is unsafe)."""
    start = time.monotonic()
    root = pathlib.Path(root)
    opt_in = f"set {UNSAFE_ENV}=1 in run_autograder"
    reason = sandbox.unsafe_reason(opt_in=opt_in) or cgroups.missing_reason(opt_in=opt_in)
    if reason and os.environ.get(UNSAFE_ENV) != "1":
        print(f"refusing to grade: {reason}")
        _write_results(root, refusal_json(reason, time.monotonic() - start))
        return 0
    print(sandbox.describe())
    assignments = _bundle_assignments()
    notebooks = _notebooks_in(root / "submission")
    found = match_submission(notebooks, assignments)
    results = []
    with tempfile.TemporaryDirectory(prefix="gradescope-") as tmp:
        tmp = pathlib.Path(tmp)
        course = GradingCourse(tmp / "course", assignments)
        for a in assignments:
            if a not in found:
                names = ", ".join(p.name for p in notebooks) or "no notebook"
                results.append(
                    not_graded(
                        a,
                        "missing",
                        course.sources.tests(a),
                        f"no {a}.ipynb in the submission (found: {names})",
                    )
                )
                continue
            print(f"grading {found[a].name} as {a}")
            results.append(course.grade(found[a], a, tmp / "jobs" / a, timeout=timeout))
    _write_results(root, results_json(results, time.monotonic() - start))
    return 0
