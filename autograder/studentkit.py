"""What students (or a JupyterHub image) get, and the pinned environment
both they and the grader use.

`python -m autograder student-kit --out course.zip` writes a zip with

    README.md            how to install and start (templates/student_README.md)
    notebooks/           the released notebooks, no answers, no hidden tests
    aekit/               the package the notebooks import
    autograder/          only for `python -m autograder validate`
    data/                MNIST subset, pretrained models and their metrics (installed as aekit/_data)
    pyproject.toml       `pip install .` installs aekit with its data (see [tool.setuptools] there)
    constraints.txt      the exact versions the course is tested with
    environment.yml      for conda
    etc/student/         JupyterLab settings: assignment list and Validate, no formgrader, no news

and never `solutions/`, `tests/`, a hidden test or a reference answer (`forbidden_texts` lists what
must not appear; tests/test_studentkit.py scans every file of the zip for it).

`python -m autograder.studentkit --lock` regenerates `constraints.txt`: for each Python the course
supports, pip resolves pyproject's requirements (with the test extra) on this machine's platform,
starting from the versions of the working environment and letting go only of the pins that Python
cannot install (or, when pip backtracks for more than ten minutes, from scratch: the committed file
was made so for 3.10); versions the Pythons share are written once, the others with a
python_version marker.
"""  # noqa: E501  (a table or a command in the docstring, kept whole)

from __future__ import annotations

import json
import logging
import os
import pathlib
import re
import stat
import subprocess
import sys
import tempfile
import zipfile

from . import cells
from .paths import ASSIGNMENTS, DATA, REPO, data_files, release_notebook, source_notebook

log = logging.getLogger(__name__)

# the kit's README.md: how to install and start, copied into the zip as it is
STUDENT_README = pathlib.Path(__file__).resolve().parent / "templates" / "student_README.md"

KIT_TREES = ["aekit", "autograder"]
KIT_FILES = ["pyproject.toml", "constraints.txt", "environment.yml"]
KIT_CONFIG = "etc/student"


def build_kit(out: pathlib.Path) -> pathlib.Path:
    """Write the student kit zip (contents: see the module docstring)."""
    out = pathlib.Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        _add_text(zf, "README.md", STUDENT_README.read_text(encoding="utf-8"))
        for a in ASSIGNMENTS:
            folder = release_notebook(a).parent
            for p in sorted(folder.rglob("*")):
                if p.is_file() and ".ipynb_checkpoints" not in p.parts:
                    zf.write(p, f"notebooks/{a}/{p.relative_to(folder)}")
        for name in KIT_TREES:
            for p in sorted((REPO / name).rglob("*")):
                if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc":
                    zf.write(p, f"{name}/{p.relative_to(REPO / name)}")
        for name in KIT_FILES:
            zf.write(REPO / name, name)
        for p in sorted((REPO / KIT_CONFIG).rglob("*")):
            if p.is_file():
                zf.write(p, f"{KIT_CONFIG}/{p.relative_to(REPO / KIT_CONFIG)}")
        for p in data_files():
            zf.write(p, f"data/{p.relative_to(DATA)}")
    return out


def _add_text(zf: zipfile.ZipFile, name: str, text: str) -> None:
    info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
    info.external_attr = (0o644 | stat.S_IFREG) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    zf.writestr(info, text)


def forbidden_texts() -> dict[str, list[str]]:
    """What must never reach a student, by kind: nbgrader's markers, and every reference answer and
    hidden test of solutions/ - each whole block, and each of its lines long enough to be telling
    (40 characters) unless that line is public anyway (it also appears outside
    the secret blocks, e.g. in a docstring or a visible test). The code that
    names the markers to find them (autograder/*.py and aekit/nbcells.py,
    their one home) is not scanned for markers by tests/test_studentkit.py."""
    answers, hidden, public = [], [], []
    for a in ASSIGNMENTS:
        for cell in cells.read_notebook(source_notebook(a))["cells"]:
            src = cells.source_text(cell)
            answers += cells.marked_blocks(src, cells.SOLUTION_BEGIN, cells.SOLUTION_END)
            hidden += cells.marked_blocks(src, cells.HIDDEN_BEGIN, cells.HIDDEN_END)
            public.append(cells.outside_marked_blocks(src))
    public_text = "\n".join(public)

    def pieces(blocks):
        out = set()
        for b in blocks:
            if b.strip():
                out.add(b.strip())
            out |= {
                line.strip()
                for line in b.splitlines()
                if len(line.strip()) >= 40 and line.strip() not in public_text
            }
        return sorted(out)

    return {
        # however many #s a line puts before them
        "marker": [m.removeprefix("### ") for m in cells.MARKERS],
        "answer": pieces(answers),
        "hidden test": pieces(hidden),
    }


# ---- constraints.txt
# ------------------------------------------------------------------------------

PYTHONS = ("3.10", "3.11", "3.12", "3.13")


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def requirements() -> list[str]:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return project["dependencies"] + project["optional-dependencies"]["test"]


def resolve(python: str, pins: dict[str, str]) -> dict[str, str]:
    """name -> version that `python`'s pip installs for the requirements,
    keeping `pins` where it can."""
    pins = dict(pins)
    with tempfile.TemporaryDirectory() as tmp:
        report, cons = pathlib.Path(tmp) / "report.json", pathlib.Path(tmp) / "c.txt"
        for _ in range(40):
            cons.write_text("".join(f"{n}=={v}\n" for n, v in sorted(pins.items())))
            try:
                proc = subprocess.run(  # noqa: S603
                    [
                        python,
                        "-m",
                        "pip",
                        "install",
                        "--dry-run",
                        "--ignore-installed",
                        "--only-binary=:all:",
                        "--report",
                        str(report),
                        "-c",
                        str(cons),
                        *requirements(),
                    ],
                    capture_output=True,
                    text=True,
                    timeout=600,
                )
            except subprocess.TimeoutExpired:
                # pip can backtrack for a long time through pins an older Python cannot take (3.10):
                # resolve that Python from scratch instead
                log.info(
                    "pip's resolution for %s took too long with the pins: "
                    "resolving it from scratch",
                    python,
                )
                pins = {}
                continue
            if proc.returncode == 0:
                data = json.loads(report.read_text())
                return {
                    _norm(i["metadata"]["name"]): i["metadata"]["version"] for i in data["install"]
                }
            text = proc.stdout + proc.stderr
            names = {_norm(n) for n in re.findall(r"requirement ([A-Za-z0-9_.-]+)==", text)}
            names |= {
                _norm(n)
                for n in re.findall(r"The user requested \(constraint\) ([A-Za-z0-9_.-]+)==", text)
            }
            if not names & set(pins):
                raise RuntimeError(
                    f"pip cannot resolve the requirements on {python}:\n{text[-3000:]}"
                )
            for n in names:
                pins.pop(n, None)
    raise RuntimeError(f"gave up resolving on {python}")


def merge(resolved: dict[str, dict[str, str]]) -> str:
    """constraints.txt text from {python version: {name: version}}."""
    names = sorted(set().union(*resolved.values()))
    lines = []
    for n in names:
        versions = {py: got.get(n) for py, got in resolved.items()}
        if len(set(versions.values())) == 1:
            lines.append(f"{n}=={next(iter(versions.values()))}")
            continue
        for py, v in versions.items():
            if v:
                lines.append(f'{n}=={v}; python_version == "{py}"')
    return "\n".join(lines) + "\n"


def lock(pythons: dict[str, str]) -> str:
    """Resolve on each given interpreter (version -> executable) starting
    from the running environment."""
    freeze = subprocess.run(
        [sys.executable, "-m", "pip", "freeze", "--exclude-editable"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    pins = {
        _norm(n): v
        for n, v in (line.split("==", 1) for line in freeze.splitlines() if "==" in line)
    }
    resolved = {py: resolve(exe, pins) for py, exe in pythons.items()}
    header = (
        "# Exact versions the course is tested with, one resolution per Python on Linux x86-64\n"
        "# (pins that differ carry a python_version marker; other "
        "platforms take the same pins where\n# they apply). Used by `make "
        "venv`, the Gradescope bundle's setup.sh and the student kit.\n# "
        "Regenerate: .venv/bin/python -m autograder.studentkit --lock  (needs python3.10 to 3.13)\n"
    )
    # TensorFlow under its other name (macOS arm64, Linux aarch64) at the
    # same version as tensorflow-cpu
    for got in resolved.values():
        if "tensorflow-cpu" in got:
            got.setdefault("tensorflow", got["tensorflow-cpu"])
    return header + merge(resolved)


def find_pythons() -> dict[str, str]:
    """An interpreter for each supported version that runs: pyenv's own
    (newest patch first), or pythonX.Y on PATH (a pyenv shim of a version
    that is not selected is on PATH but fails, so each is tried)."""
    import shutil

    root = pathlib.Path(os.environ.get("PYENV_ROOT", pathlib.Path.home() / ".pyenv")) / "versions"
    found = {}
    for v in PYTHONS:
        cands = (
            [str(p) for p in sorted(root.glob(f"{v}.*/bin/python"), reverse=True)]
            if root.is_dir()
            else []
        )
        cands += [p for p in [shutil.which(f"python{v}")] if p]
        for exe in cands:
            # an interpreter found on this machine, a fixed argv
            probe = [exe, "-c", "import venv, ensurepip"]
            if subprocess.run(probe, capture_output=True, timeout=60).returncode == 0:  # noqa: S603
                found[v] = exe
                break
    return found


if __name__ == "__main__":
    if sys.argv[1:] == ["--lock"]:
        text = lock(find_pythons())
        (REPO / "constraints.txt").write_text(text, encoding="utf-8")
        print(f"wrote {REPO / 'constraints.txt'}")
    else:
        print(
            "usage: python -m autograder.studentkit --lock   (the kit "
            "itself: python -m autograder student-kit)"
        )
