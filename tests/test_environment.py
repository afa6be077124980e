"""Is the environment described the same way for pip and conda, for every platform, and pinned?"""

import os
import pathlib
import re
import shutil
import subprocess

import pytest
import yaml
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

from tests import makecmd

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

REPO = pathlib.Path(__file__).resolve().parent.parent
PROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
ENV = yaml.safe_load((REPO / "environment.yml").read_text())

# (sys_platform, platform_machine) -> the TensorFlow distribution with 2.21
# wheels there (PyPI, checked with `pip install --dry-run --no-deps
# --only-binary=:all: --platform ... --python-version 3.10..3.13`)
PLATFORMS = {
    ("linux", "x86_64"): "tensorflow-cpu",
    ("win32", "AMD64"): "tensorflow-cpu",
    ("darwin", "arm64"): "tensorflow",
    ("linux", "aarch64"): "tensorflow",
    ("darwin", "x86_64"): None,  # no TensorFlow 2.21 wheel for Intel Macs
}


def _name(req: str) -> str:
    return re.split(r"[<>=!~;\[ ]", req.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _env_items():
    conda, pip = [], []
    for dep in ENV["dependencies"]:
        if isinstance(dep, dict):
            pip += dep["pip"]
        else:
            conda.append(dep)
    return conda, pip


def _conda_spec(item: str) -> tuple[str, SpecifierSet]:
    name, _, spec = re.match(r"([A-Za-z0-9_.-]+)\s*(=*)\s*(.*)", item).groups()
    spec = spec.split("#")[0].strip()
    if spec and not re.match(r"[<>=!~]", spec):  # conda's `nbgrader=0.9` means 0.9.*
        spec = f"=={spec}.*"
    return name.lower().replace("_", "-"), SpecifierSet(spec)


def _tf_for(reqs: list[str], platform: str, machine: str, python: str = "3.12") -> set[str]:
    env = {"sys_platform": platform, "platform_machine": machine, "python_version": python}
    got = set()
    for r in map(Requirement, reqs):
        if r.name.startswith("tensorflow") and (r.marker is None or r.marker.evaluate(env)):
            got.add(r.name)
    return got


def test_environment_yml_lists_the_same_packages_as_pyproject():
    """Does environment.yml name every package pyproject.toml installs (tensorflow and
    tensorflow-cpu apart), and nothing else?"""
    wanted = {_name(r) for r in PROJECT["dependencies"] + PROJECT["optional-dependencies"]["test"]}
    conda, pip = _env_items()
    listed = {_name(i) for i in conda + pip} - {"python", "pip", "-e"}
    assert listed == wanted, (
        f"only in environment.yml: {listed - wanted}; only in pyproject: {wanted - listed}"
    )


def test_bounds_agree_between_pyproject_and_environment_yml():
    """Does every package carry the same version range in both files
    (conda's part and pip's), with an upper bound?"""
    # a package with a range per Python (nbgrader: 0.9.6 needs 3.11) is
    # compared at 3.12's, conda's default
    reqs = [
        Requirement(r) for r in PROJECT["dependencies"] + PROJECT["optional-dependencies"]["test"]
    ]
    pyproject = {
        r.name.lower(): r.specifier
        for r in reqs
        if r.marker is None
        or "platform" in str(r.marker)
        or r.marker.evaluate({"python_version": "3.12"})
    }
    conda, pip = _env_items()
    compared = set()
    for item in conda:
        name, spec = _conda_spec(item)
        if name in ("pip", "tomli"):
            continue
        if name == "python":
            assert spec == SpecifierSet(PROJECT["requires-python"])
            continue
        assert set(spec) == set(pyproject[name]) or (
            name == "nbgrader" and str(pyproject[name]) == "==0.9.*"
        ), name
        compared.add(name)
    for item in pip:
        if item.startswith("-e"):
            continue
        r = Requirement(item)
        assert set(r.specifier) == set(pyproject[r.name.lower()]), r.name
        compared.add(r.name.lower())
    # every package of both files was compared (a loop over nothing would pass)
    assert compared == set(pyproject) - {"tomli"}, set(pyproject) ^ compared
    assert {"tensorflow", "tensorflow-cpu", "keras", "nbgrader", "numpy"} <= compared
    for name, spec in pyproject.items():
        if name != "tomli":
            assert any(s.operator in ("<", "<=", "==", "~=") for s in spec), (
                f"{name} has no upper bound"
            )


@pytest.mark.parametrize("platform, machine", list(PLATFORMS))
def test_tensorflow_comes_under_the_name_that_has_wheels_on_each_platform(platform, machine):
    """Do pyproject and environment.yml both install tensorflow-cpu where it has wheels (Linux
    x86-64, Windows), tensorflow on macOS arm64 and Linux aarch64, and exactly one of them?"""
    want = {PLATFORMS[(platform, machine)]} - {None}
    assert _tf_for(PROJECT["dependencies"], platform, machine) == want
    assert (
        _tf_for(
            [i for i in _env_items()[1] if _name(i).startswith("tensorflow")], platform, machine
        )
        == want
    )


def test_python_versions_are_310_to_313():
    """Does the package accept Python 3.10 to 3.13 (TensorFlow 2.21's wheels) and refuse 3.14?"""
    spec = SpecifierSet(PROJECT["requires-python"])
    assert all(v in spec for v in ("3.10.0", "3.11.5", "3.12.1", "3.13.0")) and "3.14.0" not in spec
    assert "scipy" in {_name(r) for r in PROJECT["dependencies"]}


def test_constraints_pin_every_requirement_for_every_python():
    """Does constraints.txt pin each requirement exactly (tensorflow-cpu and tensorflow alike) for
    each supported Python, within pyproject's ranges?"""
    pins: dict[str, list[tuple[str, Marker | None]]] = {}
    for line in (REPO / "constraints.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            r = Requirement(line)
            (version,) = [s.version for s in r.specifier if s.operator == "=="]
            pins.setdefault(r.name.lower().replace("_", "-"), []).append((version, r.marker))
    for py in ("3.10", "3.11", "3.12", "3.13"):
        for req in map(
            Requirement, PROJECT["dependencies"] + PROJECT["optional-dependencies"]["test"]
        ):
            if (
                req.marker is not None
                and not req.marker.evaluate({"python_version": py})
                and "platform" not in str(req.marker)
            ):
                continue
            name = req.name.lower()
            versions = [
                v for v, m in pins.get(name, []) if m is None or m.evaluate({"python_version": py})
            ]
            assert len(versions) == 1, f"{name} on Python {py}: {versions}"
            assert versions[0] in req.specifier, f"{name}=={versions[0]} outside {req.specifier}"


@pytest.mark.skipif(
    shutil.which("make") is None, reason="GNU make is not installed on this machine"
)
def test_make_test_lints_then_runs_every_suite_and_the_fast_tests_on_a_second_python():
    """Does `make test` (the README's command) install with constraints.txt,
    lint before any test, run the main suite, then the shipped, demo, long and
    hangs suites, and the fast tests in a fresh venv of another Python?"""
    commands = makecmd.dry_run("test")
    install = next(
        i for i, c in enumerate(commands) if "pip install" in c and "-c constraints.txt" in c
    )
    lint = next(i for i, c in enumerate(commands) if "-m ruff check" in c)
    first_test = next(i for i, c in enumerate(commands) if "-m pytest" in c)
    assert install < lint < first_test
    selections = makecmd.pytest_selections(commands)
    assert selections[0] == "not shipped and not demo"
    assert {"shipped", "demo", "long", "hangs"} <= set(selections), selections
    other = next(c for c in commands if "other-python" in c and "-m venv" in c)
    assert "-c constraints.txt '.[test]'" in other and selections[-1] == "not slow and not browser"


def test_ci_runs_the_readme_test_command(tmp_path):
    """Does .ci/run call `make test` (the command the README gives) first,
    and stop when it fails?"""
    assert "make test" in (REPO / "README.md").read_text()
    calls = tmp_path / "calls"
    fake = tmp_path / "bin" / "make"
    fake.parent.mkdir()
    fake.write_text(f'#!/bin/sh\necho "$*" >> {calls}\n[ "$1" != test ] || exit "${{FAIL:-0}}"\n')
    fake.chmod(0o755)
    env = dict(os.environ, PATH=f"{fake.parent}:{os.environ['PATH']}")
    proc = subprocess.run(
        ["bash", str(REPO / ".ci" / "run")], env=env, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    ran = calls.read_text().splitlines()
    assert ran[0] == "test" and len(ran) > 1, ran
    calls.unlink()
    proc = subprocess.run(
        ["bash", str(REPO / ".ci" / "run")],
        env=dict(env, FAIL="2"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2 and calls.read_text().splitlines() == ["test"]
