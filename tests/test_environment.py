"""Is the environment described the same way for pip and conda?"""
import pathlib
import re
import tomllib

import yaml

REPO = pathlib.Path(__file__).resolve().parent.parent


def _name(req: str) -> str:
    return re.split(r"[<>=!~;\[ ]", req.strip(), maxsplit=1)[0].lower().replace("_", "-")


def test_environment_yml_lists_the_same_packages_as_pyproject():
    """Does environment.yml name every package pyproject.toml installs, and nothing else?"""
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    wanted = {_name(r) for r in project["dependencies"] + project["optional-dependencies"]["test"]}
    # TensorFlow is one requirement under two names (CPU build on Linux x86-64)
    wanted = {"tensorflow-cpu" if n == "tensorflow" else n for n in wanted}
    env = yaml.safe_load((REPO / "environment.yml").read_text())
    listed = set()
    for dep in env["dependencies"]:
        for item in (dep["pip"] if isinstance(dep, dict) else [dep]):
            name = _name(item)
            if name not in ("python", "pip", "-e"):
                listed.add(name)
    assert listed == wanted, f"only in environment.yml: {listed - wanted}; only in pyproject: {wanted - listed}"


def test_ci_runs_the_readme_test_command():
    """Does .ci/run call `make test`, the command the README gives?"""
    ci = (REPO / ".ci" / "run").read_text()
    assert "make test" in ci
    assert "make test" in (REPO / "README.md").read_text()
