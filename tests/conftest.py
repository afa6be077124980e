"""Shared fixtures: the one graded class, folders and runners for the isolation tests."""

from __future__ import annotations

import pathlib
import sys

import pytest

REPO = pathlib.Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from autograder.paths import available_assignments


@pytest.fixture(scope="session")
def assignments():
    return available_assignments()


@pytest.fixture(scope="session")
def graded_class(tmp_path_factory):
    """The one class of tests/graded_class.py, graded once (its tests share
    the xdist group "class")."""
    from autograder import sandbox
    from tests import graded_class

    if not sandbox.capabilities()["namespaces"] or not sandbox.capabilities()["cgroups"]:
        # without them the attacks would run as the TA's own user (the kill
        # and fork attacks would hit the TA's processes): the class is
        # graded only where the grader can isolate it (CI runs as root)
        pytest.skip("needs root, namespaces and cgroups to contain the class's attacks")
    graded = graded_class.grade(tmp_path_factory.mktemp("graded-class"))
    assert graded.proc.returncode == 0, graded.proc.stderr[-3000:]
    return graded


def _reachable_lines(paths: list[str]) -> list[str]:
    """Shell lines that, in a private mount namespace, let any user reach `paths` through folders
    that only their owner may enter (a Python under /root): such a folder is covered by an empty
    0755 tmpfs, into which the one entry on the way is bound back."""
    import os

    keep: dict[pathlib.Path, set[str]] = {}
    for path in paths:
        real = pathlib.Path(os.path.realpath(path))
        for parent in reversed(real.parents):
            if not parent.stat().st_mode & 0o001:
                keep.setdefault(parent, set()).add(real.relative_to(parent).parts[0])
                break
    lines = []
    for n, (parent, entries) in enumerate(keep.items()):
        lines.append(f"held=$(mktemp -d /tmp/aekit-held-{n}-XXXX)")
        lines += [f'mkdir "$held/{e}" && mount --bind "{parent / e}" "$held/{e}"' for e in entries]
        lines.append(f'mount -t tmpfs -o mode=0755,size=64m tmpfs "{parent}"')
        lines += [
            f'mkdir "{parent / e}" && mount --move "$held/{e}" "{parent / e}"' for e in entries
        ]
        lines.append('rm -r "$held"')
    return lines


@pytest.fixture
def run_without_namespaces():
    """Run a command as on a machine where the grader is root without namespaces (uid-only
    isolation): with AEKIT_SANDBOX_NAMESPACES=off, in a private mount namespace in which this Python
    is reachable by the kernels' user ids. Needs root and unshare (CI has both)."""
    import os
    import shutil
    import subprocess
    import sysconfig

    if os.geteuid() != 0 or not shutil.which("unshare"):
        pytest.skip("needs root and unshare")

    def run(
        args: list[str], env: dict, cwd: pathlib.Path, timeout: float = 900
    ) -> subprocess.CompletedProcess:
        paths = [sys.base_prefix, sys.prefix, sysconfig.get_paths()["purelib"]]
        script = "\n".join(["set -euo pipefail", *_reachable_lines(paths), 'exec "$@"'])
        return subprocess.run(
            ["unshare", "--mount", "--propagation", "private", "bash", "-c", script, "run", *args],
            env=dict(env, AEKIT_SANDBOX_NAMESPACES="off"),
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    return run


@pytest.fixture
def open_folder():
    """A fresh folder every user can enter (pytest's own are 0700), removed afterwards."""
    import os
    import shutil
    import tempfile

    path = pathlib.Path(tempfile.mkdtemp(prefix="aekit-open-"))
    os.chmod(path, 0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def snooper():
    """Build notebook 01's reference whose last exercise cell (no other exercise calls its function)
    first reads every file it can under `root` (the course's source folder) and
    `root`/solutions/01.../01....ipynb. It deletes its own function, losing that exercise's points
    alone, when it read a file of solutions/, ran as root, or could not read the course's public
    autograder/gradescope.py (the control: the search got in)."""
    from autograder import selftest

    def build(root: pathlib.Path) -> dict:
        a = "01_conv_as_matrix"
        name, code = list(selftest.solution_sources(a).items())[-1]
        snoop = f"""import os as _os
_root, _read, _control = {str(root)!r}, [], False
for _d, _dirs, _files in _os.walk(_root):
    for _f in _files:
        _p = _os.path.join(_d, _f)
        try:
            with open(_p, "rb") as _fh:
                _fh.read(1)
        except OSError:
            continue
        _read += [_p] if _os.path.relpath(_p, _root).split(_os.sep)[0] == "solutions" else []
        _control = _control or _p == _os.path.join(_root, "autograder", "gradescope.py")
try:
    open(_os.path.join(_root, "solutions", {a!r}, {a + ".ipynb"!r})).read()
    _read.append("the solutions notebook")
except OSError:
    pass
BREACHED = bool(_read) or _os.getuid() == 0 or not _control
print("uid", _os.getuid(), "control", _control, "read", _read[:5])
"""
        return selftest.build_submission(
            a, {name: f"{snoop}\n{code}\nif BREACHED:\n    del {name}\n"}
        )

    return build


# slow checks run only by their own make target (-m NAME)
OWN_TARGET_MARKERS = (
    "cgroup2",
    "container",
    "stacks",
    "platforms",
    "slurm",
    "hangs",
    "demo",
    "long",
)


def pytest_collection_modifyitems(config, items):
    """Leave out the tests of OWN_TARGET_MARKERS unless `-m` names their marker."""
    chosen = config.getoption("markexpr") or ""
    keep = [
        i
        for i in items
        if not any(i.get_closest_marker(m) and m not in chosen for m in OWN_TARGET_MARKERS)
    ]
    if len(keep) != len(items):
        config.hook.pytest_deselected(items=[i for i in items if i not in keep])
        items[:] = keep
