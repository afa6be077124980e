"""The versions aekit supports of the packages a student's environment
shares with its host, checked on import.

A student's notebooks run in many places that bring their own TensorFlow, Keras, NumPy and
ipywidgets: Colab, a JupyterHub image, a conda environment, VS Code. There the course package is
installed without its dependencies (`pip install --no-deps`, see README "Where students can work"),
so pip never replaces the host's TensorFlow, and this check says in one line when the host's
versions are outside what the course was tested with:

- older than the oldest supported version: `UnsupportedEnvironment` (an ImportError) naming the fix,
  because the notebooks would fail later with an error that names nothing useful;
- newer than the newest tested version, or a version known to be broken: a warning, and the
  notebooks go on;
- not installed: nothing (the import of that package fails by itself where a notebook needs it).

`SUPPORTED` is the one home of these ranges: pyproject.toml's requirements carry the same bounds
(tests/test_platforms.py checks them against this) and environment.yml
pyproject's (tests/test_environment.py).
"""

from __future__ import annotations

import dataclasses
import logging
import re
import warnings

logger = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class Supported:
    """A supported range of one package: from `lowest` (inclusive) to
    `below` (exclusive), minus `broken`."""

    what: str  # how a person calls it
    distributions: tuple[str, ...]  # the distribution names it is installed under
    lowest: str
    below: str
    # version -> what is wrong with it
    broken: dict[str, str] = dataclasses.field(default_factory=dict)


SUPPORTED = (
    # 2.19 with Keras 3.10 is Colab's stack (tests/test_stacks.py runs
    # every notebook on it); 2.21 is constraints.txt's
    Supported("TensorFlow", ("tensorflow", "tensorflow-cpu"), "2.19", "2.22"),
    # Keras 3.10 loads the .keras files saved with 3.15 (aekit.data drops three newer config keys)
    # and runs notebook 02 with aekit.kerascompat's adaptation (tests/test_stacks.py)
    Supported("Keras", ("keras",), "3.10", "4"),
    Supported("NumPy", ("numpy",), "1.26", "3"),
    # 7.7 is Colab's; 8.1.9's widgets render nothing in VS Code's notebook view
    # (microsoft/vscode-jupyter#17504)
    Supported(
        "ipywidgets",
        ("ipywidgets",),
        "7.7",
        "9",
        broken={
            "8.1.9": "its widgets render nothing in VS Code (microsoft/vscode-jupyter#17504): "
            "pip install 'ipywidgets>=7.7,!=8.1.9,<9'"
        },
    ),
)


class UnsupportedEnvironment(ImportError):
    """A package the notebooks need is older than the course supports; the
    message says what to do."""


def release(version: str) -> tuple[int, ...]:
    """The release numbers of a version string: "2.19.0rc1" -> (2, 19, 0),
    "1.26.4" -> (1, 26, 4)."""
    match = re.match(r"\d+(?:\.\d+)*", version.strip())
    return tuple(int(p) for p in match.group(0).split(".")) if match else ()


def before(a: str, b: str) -> bool:
    """Whether version `a` comes before `b`, comparing release numbers (2.19 < 2.19.1 < 2.21)."""
    ra, rb = release(a), release(b)
    width = max(len(ra), len(rb))
    return ra + (0,) * (width - len(ra)) < rb + (0,) * (width - len(rb))


def installed_versions() -> dict[str, str]:
    """Distribution name -> version of each distribution `SUPPORTED` names that is installed (a
    millisecond: one metadata look-up per name, not a scan of every installed package)."""
    from importlib import metadata

    found: dict[str, str] = {}
    for s in SUPPORTED:
        for dist in s.distributions:
            try:
                found[dist] = metadata.version(dist)
            except metadata.PackageNotFoundError:
                logger.debug("%s is not installed", dist)
    return found


@dataclasses.dataclass(frozen=True)
class Finding:
    """One problem with the environment: `fatal` ones stop the import."""

    fatal: bool
    message: str


def findings(versions: dict[str, str]) -> list[Finding]:
    """What is wrong with an environment of these versions (see the module docstring)."""
    out = []
    for s in SUPPORTED:
        present = {d: versions[d] for d in s.distributions if d in versions}
        if len(present) > 1:
            names = " and ".join(f"{d} {v}" for d, v in present.items())
            out.append(
                Finding(
                    False,
                    f"{names} are both installed and share one folder: uninstall both, then "
                    f"install one (`pip install --force-reinstall {next(iter(present))}`)",
                )
            )
        for dist, version in present.items():
            if before(version, s.lowest):
                out.append(
                    Finding(
                        True,
                        f"the course needs {s.what} {s.lowest} or later, this environment has "
                        f"{dist} {version}: on Colab use the default runtime; elsewhere install "
                        f"the course into a fresh environment (`pip install -c constraints.txt .`)",
                    )
                )
            elif not before(version, s.below):
                out.append(
                    Finding(
                        False,
                        f"{dist} {version} is newer than the course was tested with "
                        f"({s.what} below {s.below}): if a notebook fails, install the tested "
                        f"versions (`pip install -c constraints.txt .` in a fresh environment)",
                    )
                )
            elif release(version)[:3] in {release(b)[:3] for b in s.broken}:
                why = next(w for b, w in s.broken.items() if release(b)[:3] == release(version)[:3])
                out.append(Finding(False, f"{dist} {version}: {why}"))
    return out


def check(versions: dict[str, str] | None = None) -> list[Finding]:
    """Warn about each non-fatal finding; raise `UnsupportedEnvironment` on the first fatal one."""
    try:
        got = installed_versions() if versions is None else versions
    except Exception as exc:  # noqa: BLE001  (unreadable metadata must not stop a notebook: say so, go on)
        logger.warning("could not read the installed packages' versions (%s): not checked", exc)
        return []
    found = findings(got)
    for f in found:
        if f.fatal:
            raise UnsupportedEnvironment(f.message)
    for f in found:
        warnings.warn(f.message, RuntimeWarning, stacklevel=2)
    return found
