"""Regenerate `notebooks/` from `solutions/` with nbgrader, or check it is in sync."""

from __future__ import annotations

import concurrent.futures
import json
import logging
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile

from .paths import RELEASE, REPO, UsageError, release_notebook, resolve_assignments
from .zygote import safe_env

log = logging.getLogger(__name__)


def generate(assignment: str, release_dir: pathlib.Path) -> None:
    """Run `nbgrader generate_assignment` for one assignment into `release_dir`.

    Raises:
        UsageError: nbgrader rejected the source notebook (its log's last line is quoted).
    """
    cmd = [
        sys.executable,
        "-m",
        "nbgrader",
        "generate_assignment",
        assignment,
        "--force",
        "--no-db",
        "--log-level=WARN",
        f"--CourseDirectory.root={REPO}",
        f"--CourseDirectory.release_directory={release_dir}",
    ]
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, env=safe_env())  # noqa: S603  (our argv)
    if proc.returncode != 0:
        lines = [ln for ln in (proc.stderr + proc.stdout).splitlines() if ln.strip()]
        raise UsageError(
            f"nbgrader could not release {assignment}: {lines[-1] if lines else 'no output'}"
        )


def _generate_all(assignments: list[str], release_dir: pathlib.Path) -> None:
    with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        for fut in [pool.submit(generate, a, release_dir) for a in assignments]:
            fut.result()


def release(assignments: list[str] | None = None) -> list[pathlib.Path]:
    """Regenerate the student notebooks; return their paths."""
    assignments = assignments or resolve_assignments(None)
    with tempfile.TemporaryDirectory(prefix="aekit-release-") as tmp:
        _generate_all(assignments, pathlib.Path(tmp))
        for a in assignments:
            dest = RELEASE / a
            if dest.exists():
                shutil.rmtree(dest)
            shutil.copytree(pathlib.Path(tmp) / a, dest)
    return [release_notebook(a) for a in assignments]


def _canonical(path: pathlib.Path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def check(assignments: list[str] | None = None) -> list[str]:
    """Return the notebooks whose committed release differs from what the sources give."""
    assignments = assignments or resolve_assignments(None)
    stale = []
    with tempfile.TemporaryDirectory(prefix="aekit-release-check-") as tmp:
        _generate_all(assignments, pathlib.Path(tmp))
        for a in assignments:
            fresh_dir, committed_dir = pathlib.Path(tmp) / a, RELEASE / a
            fresh = sorted(p.relative_to(fresh_dir) for p in fresh_dir.rglob("*") if p.is_file())
            committed = (
                sorted(
                    p.relative_to(committed_dir) for p in committed_dir.rglob("*") if p.is_file()
                )
                if committed_dir.is_dir()
                else []
            )
            if fresh != committed:
                stale.append(f"{a} (files differ: expected {[str(p) for p in fresh]})")
                continue
            for rel in fresh:
                if rel.suffix == ".ipynb":
                    same = _canonical(fresh_dir / rel) == _canonical(committed_dir / rel)
                else:
                    same = (fresh_dir / rel).read_bytes() == (committed_dir / rel).read_bytes()
                if not same:
                    stale.append(str(pathlib.Path("notebooks") / a / rel))
    return stale
